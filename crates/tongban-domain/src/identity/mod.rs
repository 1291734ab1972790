//! Identity: the personal and organisational identifiers people give the platform.
//!
//! Resident ID numbers (GB 11643-1999), unified social credit codes (GB 32100-2015), mainland
//! mobile numbers, personal names, and other identity documents (passports, travel permits for
//! Hong Kong, Macao and Taiwan residents). Each type can only be built by validating input, so a
//! value of the type is proof that the format and check character are right.
//!
//! These values are personal data. Every type here keeps it out of logs: `Debug` shows at most
//! the masked form, and `Display` is the masked form shown on screens (`110***********123X`),
//! except [`PersonName`], which screens show in full (to its owner and to staff) and `Debug`
//! redacts. The full value is only reachable through `as_str()` (or serde, which writes the
//! plain string because storage encrypts it); deserialising validates through `parse`.
//!
//! Errors are [`IdentifierError`]: one variant per thing that can be wrong, with an English
//! `Display` for logs that never repeats the input. The web layer localises by variant.

mod credit_code;
mod document;
mod email;
mod mobile;
mod name;
mod resident_id;

pub use credit_code::CreditCode;
pub use document::{DocumentKind, IdentityDocument, Passport, PermitKind, TravelPermit};
pub use email::EmailAddress;
pub use mobile::MobileNumber;
pub use name::PersonName;
pub use resident_id::{ResidentId, Sex};

/// Why a piece of text is not a valid identifier.
///
/// Positions are 1-based and count characters (not bytes) of the input after trimming, so they
/// match what a person sees in the field. No variant carries the input itself: errors are
/// logged, and the input is personal data even when it is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("the value is empty")]
    Empty,
    #[error(
        "wrong length: expected {} characters, found {found}",
        list_lengths(expected)
    )]
    WrongLength {
        expected: &'static [usize],
        found: usize,
    },
    #[error("wrong length: expected {min} to {max} characters, found {found}")]
    LengthOutOfRange {
        min: usize,
        max: usize,
        found: usize,
    },
    #[error("invalid character U+{:04X} at position {position}", u32::from(*found))]
    InvalidCharacter { position: usize, found: char },
    #[error("the birth date in the resident ID number is not a real calendar date")]
    ImpossibleBirthDate,
    #[error(
        "the birth date in the resident ID number is outside the supported years {}–{}",
        resident_id::EARLIEST_BIRTH_YEAR,
        resident_id::LATEST_BIRTH_YEAR
    )]
    BirthDateOutOfRange,
    #[error("the birth date in the resident ID number is after today")]
    BirthDateInFuture,
    #[error("wrong check character: expected {expected}, found {found}")]
    WrongCheckCharacter { expected: char, found: char },
    #[error(
        "not a mainland China mobile number: it must be 1 then 3–9, optionally after +86 or 0086"
    )]
    NotMainlandMobile,
    #[error("not an e-mail address: it must be NAME@DOMAIN with a dot in the domain")]
    NotEmailAddress,
    #[error("the issuing country is not an ISO 3166-1 alpha-3 code (three letters A–Z)")]
    InvalidCountryCode,
    #[error("unknown identity document kind")]
    UnknownDocumentKind,
}

fn list_lengths(lengths: &[usize]) -> String {
    lengths
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Trims ASCII whitespace and the full-width space (U+3000) that Chinese input methods type.
fn trim_input(input: &str) -> &str {
    input.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{3000}')
}

/// Replaces every character but the first `keep_start` and last `keep_end` with `*`, keeping
/// the length so the shape stays recognisable (`110***********123X`). Values too short to hide
/// anything are starred entirely.
fn mask(value: &str, keep_start: usize, keep_end: usize) -> String {
    let len = value.chars().count();
    if len <= keep_start + keep_end {
        return "*".repeat(len);
    }
    value
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= len - keep_end {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// Serialises a validated string type as its full plain value and deserialises it through
/// `parse`, so nothing invalid can come back from storage or an API request.
macro_rules! serde_as_validated_string {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                <$type>::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::identity::IdentifierError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$type>::parse(text)
            }
        }
    };
}
use serde_as_validated_string;

#[cfg(test)]
mod vectors;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_keeps_length_and_the_ends() {
        assert_eq!(mask("11010519491231002X", 3, 4), "110***********002X");
        assert_eq!(mask("13800138000", 3, 4), "138****8000");
        assert_eq!(mask("abc", 1, 2), "***");
        assert_eq!(mask("", 1, 2), "");
    }

    #[test]
    fn error_messages_are_sentences_without_the_input() {
        let wrong_length = IdentifierError::WrongLength {
            expected: &[9, 11],
            found: 10,
        };
        assert_eq!(
            wrong_length.to_string(),
            "wrong length: expected 9 or 11 characters, found 10"
        );
        let invalid = IdentifierError::InvalidCharacter {
            position: 17,
            found: '２',
        };
        assert_eq!(
            invalid.to_string(),
            "invalid character U+FF12 at position 17"
        );
        assert_eq!(
            IdentifierError::BirthDateOutOfRange.to_string(),
            "the birth date in the resident ID number is outside the supported years 1800–2099"
        );
    }

    #[test]
    fn trimming_removes_ascii_and_full_width_spaces_only_at_the_ends() {
        assert_eq!(trim_input("\u{3000} 1 2\t\u{3000}"), "1 2");
        assert_eq!(trim_input("\u{a0}1"), "\u{a0}1");
    }
}
