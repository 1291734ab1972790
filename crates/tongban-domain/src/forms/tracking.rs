//! Tracking numbers (办件编号) shown to applicants: `SF-20261126-00012345-K`.
//!
//! The region's prefix, the date of submission in the region's time zone, an 8-digit daily
//! sequence and a check character. The check is ISO 7064 MOD 11-2 (the pure system resident ID
//! numbers use; `0`–`9` or `X`) over the sixteen digits, so any one mistyped digit and any swap
//! of two neighbouring digits is caught before a lookup reaches the database. (The hybrid MOD
//! 37,36 over the whole text misses some swaps; a mistyped prefix finds no region anyway.)

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

/// A case's tracking number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingNumber(String);

/// Why a text is not a tracking number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrackingNumberError {
    #[error("not in the form PREFIX-YYYYMMDD-NNNNNNNN-C")]
    Shape,
    #[error("the date part is not a calendar date")]
    Date,
    #[error("the check character does not match")]
    Check,
    #[error("the daily sequence is beyond 99,999,999")]
    SequenceExhausted,
    #[error("the prefix must be 2 to 4 capital letters")]
    Prefix,
}

/// Whether `prefix` can start a tracking number: 2–4 ASCII capital letters.
pub fn valid_prefix(prefix: &str) -> bool {
    (2..=4).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase())
}

/// The ISO 7064 MOD 11-2 check character of a string of ASCII digits (`None` for anything
/// else).
pub fn check_character(digits: &str) -> Option<char> {
    let mut p = 0u32;
    for c in digits.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        p = ((p + u32::from(c - b'0')) * 2) % 11;
    }
    let check = (12 - p) % 11;
    Some(if check == 10 {
        'X'
    } else {
        char::from(b'0' + check as u8)
    })
}

impl TrackingNumber {
    /// The number of the `sequence`-th case (from 1) of `date` in the region with `prefix`.
    pub fn new(
        prefix: &str,
        date: NaiveDate,
        sequence: u64,
    ) -> Result<TrackingNumber, TrackingNumberError> {
        if !valid_prefix(prefix) {
            return Err(TrackingNumberError::Prefix);
        }
        if sequence > 99_999_999 {
            return Err(TrackingNumberError::SequenceExhausted);
        }
        let date = date.format("%Y%m%d").to_string();
        let seq = format!("{sequence:08}");
        let check = check_character(&format!("{date}{seq}")).ok_or(TrackingNumberError::Shape)?;
        Ok(TrackingNumber(format!("{prefix}-{date}-{seq}-{check}")))
    }

    /// Reads a number as a person types it: surrounding spaces, lower case and full-width
    /// hyphens are forgiven; a wrong check character is not.
    pub fn parse(input: &str) -> Result<TrackingNumber, TrackingNumberError> {
        let normalised: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '－' | '—' | '–' => '-',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        let parts: Vec<&str> = normalised.split('-').collect();
        let [prefix, date, seq, check] = parts[..] else {
            return Err(TrackingNumberError::Shape);
        };
        if !valid_prefix(prefix)
            || date.len() != 8
            || seq.len() != 8
            || check.len() != 1
            || !date.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(TrackingNumberError::Shape);
        }
        NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| TrackingNumberError::Date)?;
        let expected =
            check_character(&format!("{date}{seq}")).ok_or(TrackingNumberError::Shape)?;
        if !check.starts_with(expected) {
            return Err(TrackingNumberError::Check);
        }
        Ok(TrackingNumber(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region prefix.
    pub fn prefix(&self) -> &str {
        self.0.split('-').next().unwrap_or_default()
    }

    /// The date of submission (in the region's time zone).
    pub fn date(&self) -> NaiveDate {
        let date = self.0.split('-').nth(1).unwrap_or_default();
        NaiveDate::parse_from_str(date, "%Y%m%d").unwrap_or_default()
    }

    /// The daily sequence number.
    pub fn sequence(&self) -> u64 {
        self.0
            .split('-')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TrackingNumber {
    type Err = TrackingNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrackingNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn formats_as_the_issue_shows() {
        let number = TrackingNumber::new("SF", day(), 12_345).unwrap();
        let text = number.as_str();
        assert!(text.starts_with("SF-20261126-00012345-"), "{text}");
        assert_eq!(text.len(), "SF-20261126-00012345-K".len());
        assert_eq!(TrackingNumber::parse(text).unwrap(), number);
        assert_eq!(number.prefix(), "SF");
        assert_eq!(number.date(), day());
        assert_eq!(number.sequence(), 12_345);
    }

    #[test]
    fn typing_slips_are_forgiven_but_wrong_checks_are_not() {
        let number = TrackingNumber::new("SF", day(), 7).unwrap();
        let typed = format!(" {} ", number.as_str().to_lowercase().replace('-', "－"));
        assert_eq!(TrackingNumber::parse(&typed).unwrap(), number);
        let mut wrong = number.as_str().to_owned();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert_eq!(
            TrackingNumber::parse(&wrong),
            Err(TrackingNumberError::Check)
        );
        assert_eq!(
            TrackingNumber::parse("SF-20261131-00000001-0"),
            Err(TrackingNumberError::Date)
        );
        assert_eq!(
            TrackingNumber::parse("SF-2026112-00000001-0"),
            Err(TrackingNumberError::Shape)
        );
        assert_eq!(
            TrackingNumber::new("sf", day(), 1),
            Err(TrackingNumberError::Prefix)
        );
        assert_eq!(
            TrackingNumber::new("SF", day(), 100_000_000),
            Err(TrackingNumberError::SequenceExhausted)
        );
    }

    proptest! {
        #[test]
        fn any_single_substitution_is_caught(seq in 1u64..=99_999_999, pos in 0usize..16, digit in 0u8..10) {
            let number = TrackingNumber::new("SF", day(), seq).unwrap();
            let body: Vec<u8> = number.as_str().bytes().filter(|b| *b != b'-').skip(2).collect();
            let check = *body.last().unwrap();
            let mut changed = body[..body.len() - 1].to_vec();
            let pos = pos % changed.len();
            let replacement = b'0' + digit;
            prop_assume!(changed[pos] != replacement);
            changed[pos] = replacement;
            let recomputed = check_character(std::str::from_utf8(&changed).unwrap()).unwrap();
            prop_assert_ne!(recomputed as u8, check);
        }

        #[test]
        fn any_swap_of_neighbours_is_caught(seq in 1u64..=99_999_999, pos in 0usize..15) {
            let number = TrackingNumber::new("SF", day(), seq).unwrap();
            let body: Vec<u8> = number.as_str().bytes().filter(|b| *b != b'-').skip(2).collect();
            let check = *body.last().unwrap();
            let mut swapped = body[..body.len() - 1].to_vec();
            prop_assume!(swapped[pos] != swapped[pos + 1]);
            swapped.swap(pos, pos + 1);
            let recomputed = check_character(std::str::from_utf8(&swapped).unwrap()).unwrap();
            prop_assert_ne!(recomputed as u8, check);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            let _ = TrackingNumber::parse(&input);
        }
    }
}
