//! The 18-character resident identity number (居民身份证号码, GB 11643-1999).

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::{IdentifierError, mask, serde_as_validated_string, trim_input};

/// Oldest birth year accepted. GB 11643's own example (`440524188001010014`) was born in 1880,
/// so the bound is generous; it only stops nonsense years such as 0001.
pub(super) const EARLIEST_BIRTH_YEAR: i32 = 1800;
/// Latest birth year accepted without a clock; [`ResidentId::parse_as_of`] is stricter.
pub(super) const LATEST_BIRTH_YEAR: i32 = 2099;

const LENGTH: usize = 18;
/// ISO 7064 MOD 11-2 weights (2^(17-i) mod 11) for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each value of the weighted sum mod 11.
const CHECK_CHARACTERS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A resident identity number: 6-digit region code, 8-digit birth date, 3-digit sequence and
/// an ISO 7064 MOD 11-2 check character (0–9 or X).
///
/// Validity means: the format and check character are right, and the birth date is a real
/// calendar date in the years 1800–2099. `parse` needs no clock so that deserialisation can
/// validate; where "not born in the future" matters (registration), use
/// [`ResidentId::parse_as_of`] with today's date from the clock.
///
/// The region code is not checked against GB/T 2260: codes of abolished regions stay on valid
/// cards for life, so only digits are required.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId {
    value: String,
    birth_date: NaiveDate,
}

/// Sex as encoded by the parity of the sequence digit (odd = male).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl ResidentId {
    /// Validates and normalises `input`: trims ASCII and full-width (U+3000) spaces at the ends
    /// and upper-cases a trailing `x`. Anything else, full-width digits included, is refused:
    /// silently converting them would hide input-method mistakes the person should see.
    pub fn parse(input: &str) -> Result<ResidentId, IdentifierError> {
        let trimmed = trim_input(input);
        let found = trimmed.chars().count();
        if found == 0 {
            return Err(IdentifierError::Empty);
        }
        if found != LENGTH {
            return Err(IdentifierError::WrongLength {
                expected: &[LENGTH],
                found,
            });
        }
        let mut value = String::with_capacity(LENGTH);
        for (index, c) in trimmed.chars().enumerate() {
            let is_last = index == LENGTH - 1;
            let normalised = match c {
                '0'..='9' => c,
                'X' | 'x' if is_last => 'X',
                _ => {
                    return Err(IdentifierError::InvalidCharacter {
                        position: index + 1,
                        found: c,
                    });
                }
            };
            value.push(normalised);
        }
        let birth_date = birth_date_of(&value)?;
        let expected = check_character(&value[..LENGTH - 1]);
        let found = char::from(value.as_bytes()[LENGTH - 1]);
        if expected != found {
            return Err(IdentifierError::WrongCheckCharacter { expected, found });
        }
        Ok(ResidentId { value, birth_date })
    }

    /// Like [`ResidentId::parse`], and also refuses a birth date after `today`.
    pub fn parse_as_of(input: &str, today: NaiveDate) -> Result<ResidentId, IdentifierError> {
        let id = ResidentId::parse(input)?;
        if id.birth_date > today {
            return Err(IdentifierError::BirthDateInFuture);
        }
        Ok(id)
    }

    /// Completes the first 17 digits with their check character, for test data builders and
    /// demo data. `first17` must be exactly 17 ASCII digits with a valid birth date.
    pub fn with_check_digit(first17: &str) -> Result<ResidentId, IdentifierError> {
        let found = first17.chars().count();
        if found != LENGTH - 1 {
            return Err(IdentifierError::WrongLength {
                expected: &[LENGTH - 1],
                found,
            });
        }
        if let Some((index, c)) = first17
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_digit())
        {
            return Err(IdentifierError::InvalidCharacter {
                position: index + 1,
                found: c,
            });
        }
        let mut value = String::with_capacity(LENGTH);
        value.push_str(first17);
        value.push(check_character(first17));
        let birth_date = birth_date_of(&value)?;
        Ok(ResidentId { value, birth_date })
    }

    /// The full number. Personal data: for encryption and matching, never for logs or screens.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The 6-digit administrative region code where the number was first issued.
    pub fn region_code(&self) -> &str {
        &self.value[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        // Digits 15–17 are the sequence; its last digit carries the sex.
        if (self.value.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The masked form shown on screens: first 3 and last 4 characters, `110***********123X`.
    pub fn masked(&self) -> String {
        mask(&self.value, 3, 4)
    }
}

/// The ISO 7064 MOD 11-2 check character of 17 ASCII digits (checked by the callers).
fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARACTERS[(sum % 11) as usize]
}

/// Reads characters 7–14 (`YYYYMMDD`) of a number whose first 17 characters are ASCII digits.
fn birth_date_of(value: &str) -> Result<NaiveDate, IdentifierError> {
    let number = |range: std::ops::Range<usize>| -> u32 {
        value.as_bytes()[range]
            .iter()
            .fold(0, |acc, digit| acc * 10 + u32::from(digit - b'0'))
    };
    let (year, month, day) = (number(6..10), number(10..12), number(12..14));
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or(IdentifierError::ImpossibleBirthDate)?;
    if !(EARLIEST_BIRTH_YEAR..=LATEST_BIRTH_YEAR).contains(&date.year()) {
        return Err(IdentifierError::BirthDateOutOfRange);
    }
    Ok(date)
}

/// Masked, never the full number: debug output ends up in logs.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// The masked form, for screens.
impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

serde_as_validated_string!(ResidentId);

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// 17-digit prefixes with a birth date anywhere in the accepted range.
    pub(crate) fn valid_first17() -> impl Strategy<Value = String> {
        let first = date(EARLIEST_BIRTH_YEAR, 1, 1);
        let days = (date(LATEST_BIRTH_YEAR, 12, 31) - first).num_days();
        ("[0-9]{6}", 0..=days, "[0-9]{3}").prop_map(move |(region, offset, sequence)| {
            let birth = first + chrono::Duration::days(offset);
            format!("{region}{}{sequence}", birth.format("%Y%m%d"))
        })
    }

    #[test]
    fn reads_region_birth_date_and_sex() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.birth_date(), date(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female); // sequence 002
        let id = ResidentId::parse("440524188001010014").unwrap();
        assert_eq!(id.birth_date(), date(1880, 1, 1));
        assert_eq!(id.sex(), Sex::Male); // sequence 001
        assert_eq!(id.as_str(), "440524188001010014");
    }

    #[test]
    fn computes_the_check_digit_including_x() {
        let id = ResidentId::with_check_digit("11010519491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        let id = ResidentId::with_check_digit("44052418800101001").unwrap();
        assert_eq!(id.as_str(), "440524188001010014");
        assert_eq!(
            ResidentId::with_check_digit("1101051949123100"),
            Err(IdentifierError::WrongLength {
                expected: &[17],
                found: 16
            })
        );
        assert_eq!(
            ResidentId::with_check_digit("1101051949123100X"),
            Err(IdentifierError::InvalidCharacter {
                position: 17,
                found: 'X'
            })
        );
        assert_eq!(
            ResidentId::with_check_digit("11010519490229001"),
            Err(IdentifierError::ImpossibleBirthDate)
        );
    }

    #[test]
    fn every_check_character_is_mapped_as_the_standard_says() {
        // Computed independently of this code (by hand from ISO 7064 MOD 11-2), one per check
        // character, so a swapped entry in the map cannot hide behind self-consistent tests.
        for expected in [
            "110105194912310070",
            "110105194912310011",
            "110105194912310062",
            "110105194912310003",
            "110105194912310054",
            "110105194912310185",
            "110105194912310046",
            "110105194912310097",
            "110105194912310038",
            "110105194912310089",
            "11010519491231002X",
        ] {
            let built = ResidentId::with_check_digit(&expected[..17]).unwrap();
            assert_eq!(built.as_str(), expected);
            assert!(ResidentId::parse(expected).is_ok(), "{expected}");
        }
    }

    #[test]
    fn says_exactly_what_is_wrong() {
        assert_eq!(ResidentId::parse(" \u{3000} "), Err(IdentifierError::Empty));
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdentifierError::WrongCheckCharacter {
                expected: 'X',
                found: '1'
            })
        );
        // A lower-case x is only accepted as the check character.
        assert_eq!(
            ResidentId::parse("x10105194912310021"),
            Err(IdentifierError::InvalidCharacter {
                position: 1,
                found: 'x'
            })
        );
        // The check character is right for these digits, the date is not.
        // 1900 was not a leap year (divisible by 100, not by 400).
        let digits = "11010519000229001";
        let leap_day_1900 = format!("{digits}{}", check_character(digits));
        assert_eq!(
            ResidentId::parse(&leap_day_1900),
            Err(IdentifierError::ImpossibleBirthDate)
        );
        assert_eq!(
            ResidentId::with_check_digit("11010517991231001"),
            Err(IdentifierError::BirthDateOutOfRange)
        );
        assert_eq!(
            ResidentId::with_check_digit("11010521000101001"),
            Err(IdentifierError::BirthDateOutOfRange)
        );
        // Year 2000 is a leap year (divisible by 400).
        assert!(ResidentId::with_check_digit("11010520000229001").is_ok());
    }

    #[test]
    fn refuses_birth_dates_after_today_when_given_today() {
        let id = ResidentId::with_check_digit("11010520300101001").unwrap();
        assert_eq!(
            ResidentId::parse_as_of(id.as_str(), date(2029, 12, 31)),
            Err(IdentifierError::BirthDateInFuture)
        );
        assert_eq!(
            ResidentId::parse_as_of(id.as_str(), date(2030, 1, 1)),
            Ok(id.clone())
        );
        // And still reports format errors first.
        assert_eq!(
            ResidentId::parse_as_of("110105194912310021", date(2030, 1, 1)),
            Err(IdentifierError::WrongCheckCharacter {
                expected: 'X',
                found: '1'
            })
        );
    }

    #[test]
    fn debug_and_display_are_masked() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.to_string(), "110***********002X");
        assert_eq!(format!("{id:?}"), "ResidentId(110***********002X)");
        assert!(!format!("{:?}", Some(&id)).contains("19491231"));
    }

    #[test]
    fn serialises_as_the_plain_number_and_validates_on_the_way_back() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"11010519491231002X\""
        );
        let back: ResidentId = serde_json::from_str("\"11010519491231002x\"").unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<ResidentId>("\"110105194912310021\"").is_err());
        assert_eq!("11010519491231002X".parse::<ResidentId>(), Ok(id));
    }

    proptest! {
        #[test]
        fn completed_prefixes_parse_and_mask_to_18_characters(first17 in valid_first17()) {
            let built = ResidentId::with_check_digit(&first17).unwrap();
            prop_assert!(built.as_str().starts_with(&first17));
            let parsed = ResidentId::parse(built.as_str()).unwrap();
            prop_assert_eq!(&parsed, &built);
            prop_assert_eq!(parsed.to_string().chars().count(), 18);
            prop_assert_eq!(parsed.region_code(), &first17[..6]);
            prop_assert_eq!(parsed.birth_date().format("%Y%m%d").to_string(), &first17[6..14]);
        }

        #[test]
        fn any_single_digit_substitution_is_caught(
            first17 in valid_first17(),
            position in 0..18usize,
            replacement in proptest::char::range('0', '9'),
        ) {
            let valid = ResidentId::with_check_digit(&first17).unwrap();
            let original = valid.as_str().as_bytes()[position] as char;
            prop_assume!(replacement != original);
            let mut changed: Vec<char> = valid.as_str().chars().collect();
            changed[position] = replacement;
            let changed: String = changed.into_iter().collect();
            let result = ResidentId::parse(&changed);
            match result {
                // Only a date change can fail before the check character is compared.
                Err(IdentifierError::ImpossibleBirthDate | IdentifierError::BirthDateOutOfRange) => {
                    prop_assert!((6..14).contains(&position));
                }
                Err(IdentifierError::WrongCheckCharacter { .. }) => {}
                other => prop_assert!(false, "{changed} was not refused: {other:?}"),
            }
        }

        #[test]
        fn masking_never_reveals_the_middle(first17 in valid_first17()) {
            let id = ResidentId::with_check_digit(&first17).unwrap();
            let masked: Vec<char> = id.to_string().chars().collect();
            let full: Vec<char> = id.as_str().chars().collect();
            prop_assert_eq!(masked.len(), 18);
            prop_assert!(masked[3..14].iter().all(|&c| c == '*'));
            prop_assert_eq!(&masked[..3], &full[..3]);
            prop_assert_eq!(&masked[14..], &full[14..]);
            prop_assert_eq!(format!("{id:?}"), format!("ResidentId({id})"));
        }

        #[test]
        fn parse_never_panics(input in any::<String>(), near in "[ \u{3000}0-9xX２]{15,20}") {
            let _ = ResidentId::parse(&input);
            let _ = ResidentId::with_check_digit(&input);
            if let Ok(id) = ResidentId::parse(&near) {
                prop_assert_eq!(id.as_str().len(), 18);
            }
            let _ = ResidentId::with_check_digit(&near);
        }
    }
}
