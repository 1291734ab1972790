//! Mainland China mobile numbers, where SMS codes and notifications are sent.

use std::fmt;

use super::{IdentifierError, mask, serde_as_validated_string, trim_input};

const LENGTH: usize = 11;

/// An 11-digit mainland mobile number: `1`, then `3`–`9`, then 9 digits.
///
/// The second-digit rule is as far as the check goes: operators are given new number blocks
/// every few years, and a list of them here would refuse real numbers the day after.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Accepts the number as people write it: with spaces or hyphens between digit groups
    /// and an optional country code `+86`, `86` or `0086`; stores only the 11 digits.
    /// Positions in errors count characters of the trimmed input as typed.
    pub fn parse(input: &str) -> Result<MobileNumber, IdentifierError> {
        let trimmed = trim_input(input);
        let mut digits = String::with_capacity(LENGTH + 4);
        let mut international = false;
        for (index, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if index == 0 => international = true,
                _ => {
                    return Err(IdentifierError::InvalidCharacter {
                        position: index + 1,
                        found: c,
                    });
                }
            }
        }
        if digits.is_empty() && !international {
            return Err(IdentifierError::Empty);
        }
        // Without `+`, a leading 86 is only a country code when the length says so: an
        // 11-digit number starting with 86 is a wrong number, not a short international one.
        let national = if international {
            digits
                .strip_prefix("86")
                .ok_or(IdentifierError::NotMainlandMobile)?
        } else if digits.len() == LENGTH + 4 && digits.starts_with("0086") {
            &digits[4..]
        } else if digits.len() == LENGTH + 2 && digits.starts_with("86") {
            &digits[2..]
        } else {
            &digits
        };
        if national.len() != LENGTH {
            return Err(IdentifierError::WrongLength {
                expected: &[LENGTH],
                found: national.len(),
            });
        }
        let bytes = national.as_bytes();
        if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(IdentifierError::NotMainlandMobile);
        }
        Ok(MobileNumber(national.to_owned()))
    }

    /// The 11 digits. Personal data: for sending messages and encryption, not for logs.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number in E.164 form (`+8613812345678`), as SMS gateways expect it.
    pub fn e164(&self) -> String {
        format!("+86{}", self.0)
    }

    /// The masked form shown on screens: `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

/// Masked, never the full number: debug output ends up in logs.
impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

/// The masked form, for screens.
impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

serde_as_validated_string!(MobileNumber);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn digits(input: &str) -> Result<String, IdentifierError> {
        MobileNumber::parse(input).map(|m| m.as_str().to_owned())
    }

    #[test]
    fn accepts_the_ways_people_write_numbers() {
        for input in [
            "13812345678",
            " 138 1234 5678 ",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "+8613812345678",
            "8613812345678",
            "86 138 1234 5678",
            "0086 138 1234 5678",
            "\u{3000}13812345678\u{3000}",
        ] {
            assert_eq!(digits(input), Ok("13812345678".to_owned()), "{input:?}");
        }
        assert_eq!(digits("19912345678"), Ok("19912345678".to_owned()));
    }

    #[test]
    fn says_exactly_what_is_wrong() {
        assert_eq!(digits("  "), Err(IdentifierError::Empty));
        assert_eq!(
            digits("1381234567"),
            Err(IdentifierError::WrongLength {
                expected: &[11],
                found: 10
            })
        );
        assert_eq!(
            digits("+86 1381234567"),
            Err(IdentifierError::WrongLength {
                expected: &[11],
                found: 10
            })
        );
        // Second digit 2 and numbers not starting with 1 are not mobile numbers.
        assert_eq!(
            digits("12812345678"),
            Err(IdentifierError::NotMainlandMobile)
        );
        assert_eq!(
            digits("23812345678"),
            Err(IdentifierError::NotMainlandMobile)
        );
        // An 11-digit number starting with 86 is not a short international number.
        assert_eq!(
            digits("86123456789"),
            Err(IdentifierError::NotMainlandMobile)
        );
        // Other countries are refused.
        assert_eq!(
            digits("+44 7700 900123"),
            Err(IdentifierError::NotMainlandMobile)
        );
        assert_eq!(digits("+"), Err(IdentifierError::NotMainlandMobile));
        assert_eq!(
            digits("138１2345678"),
            Err(IdentifierError::InvalidCharacter {
                position: 4,
                found: '１'
            })
        );
        assert_eq!(
            digits("138 1234 5678+"),
            Err(IdentifierError::InvalidCharacter {
                position: 14,
                found: '+'
            })
        );
        assert_eq!(
            digits("(+86) 13812345678"),
            Err(IdentifierError::InvalidCharacter {
                position: 1,
                found: '('
            })
        );
    }

    #[test]
    fn masked_on_screens_and_in_debug_plain_in_serde() {
        let number = MobileNumber::parse("+86 138 1234 5678").unwrap();
        assert_eq!(number.to_string(), "138****5678");
        assert_eq!(format!("{number:?}"), "MobileNumber(138****5678)");
        assert_eq!(number.e164(), "+8613812345678");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"13812345678\"");
        let back: MobileNumber = serde_json::from_str("\"138-1234-5678\"").unwrap();
        assert_eq!(back, number);
        assert!(serde_json::from_str::<MobileNumber>("\"12812345678\"").is_err());
    }

    proptest! {
        #[test]
        fn separators_and_country_code_do_not_change_the_number(
            national in "1[3-9][0-9]{9}",
            prefix in proptest::sample::select(vec!["", "+86", "86", "0086", "+86 ", "+86-"]),
            separator in proptest::sample::select(vec!["", " ", "-"]),
        ) {
            let written = format!(
                "{prefix}{}{separator}{}{separator}{}",
                &national[..3], &national[3..7], &national[7..]
            );
            let parsed = MobileNumber::parse(&written).unwrap();
            prop_assert_eq!(parsed.as_str(), national.as_str());
            let masked = parsed.to_string();
            prop_assert_eq!(&masked[..3], &national[..3]);
            prop_assert_eq!(&masked[3..7], "****");
            prop_assert_eq!(&masked[7..], &national[7..]);
        }

        #[test]
        fn parse_never_panics(input in any::<String>(), near in "[+0-9 \u{3000}-]{0,20}") {
            let _ = MobileNumber::parse(&input);
            if let Ok(number) = MobileNumber::parse(&near) {
                prop_assert_eq!(number.as_str().len(), 11);
            }
        }
    }
}
