//! The unified social credit code (统一社会信用代码, GB 32100-2015) of an enterprise or
//! organisation.

use std::fmt;

use super::{IdentifierError, mask, serde_as_validated_string, trim_input};

const LENGTH: usize = 18;
/// The 31 characters of the code, in value order: digits and capitals without I, O, S, V, Z,
/// which are too easily read as 1, 0, 5, U and 2.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 3^i mod 31 for the first 17 characters.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// An 18-character unified social credit code whose check character is right.
///
/// Only the alphabet and the check character are verified: the registration-authority and
/// organisation-type codes in the first two characters gain new values over time, and
/// refusing an unknown one would turn away a real organisation.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

impl CreditCode {
    /// Validates and normalises `input`: trims ASCII and full-width spaces at the ends and
    /// upper-cases ASCII letters. Letters outside the alphabet (I, O, S, V, Z) are refused, not
    /// guessed, because the check character decides which reading was meant.
    pub fn parse(input: &str) -> Result<CreditCode, IdentifierError> {
        let trimmed = trim_input(input);
        let value = normalise(trimmed, &[LENGTH])?;
        let expected = check_character(&value[..LENGTH - 1]);
        let found = char::from(value.as_bytes()[LENGTH - 1]);
        if expected != found {
            return Err(IdentifierError::WrongCheckCharacter { expected, found });
        }
        Ok(CreditCode(value))
    }

    /// Completes the first 17 characters with their check character, for test data builders
    /// and demo data. Upper-cases ASCII letters; does not trim.
    pub fn with_check_character(first17: &str) -> Result<CreditCode, IdentifierError> {
        let mut value = normalise(first17, &[LENGTH - 1])?;
        value.push(check_character(&value));
        Ok(CreditCode(value))
    }

    /// The full code. Organisation codes are public in the national credit register, but a
    /// sole trader's code points at a person, so it is masked on screens all the same.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The masked form shown on screens: first 2 and last 4 characters,
    /// `91************0Y43`.
    pub fn masked(&self) -> String {
        mask(&self.0, 2, 4)
    }
}

/// Checks the length (one of `lengths`) and alphabet of `text` and returns it upper-cased.
fn normalise(text: &str, lengths: &'static [usize]) -> Result<String, IdentifierError> {
    let found = text.chars().count();
    if found == 0 {
        return Err(IdentifierError::Empty);
    }
    if !lengths.contains(&found) {
        return Err(IdentifierError::WrongLength {
            expected: lengths,
            found,
        });
    }
    text.chars()
        .enumerate()
        .map(|(index, c)| {
            let upper = c.to_ascii_uppercase();
            if value_of(upper).is_some() {
                Ok(upper)
            } else {
                Err(IdentifierError::InvalidCharacter {
                    position: index + 1,
                    found: c,
                })
            }
        })
        .collect()
}

fn value_of(c: char) -> Option<u32> {
    let byte = u8::try_from(c).ok()?;
    ALPHABET
        .iter()
        .position(|&a| a == byte)
        .map(|index| index as u32)
}

/// The check character of 17 characters from the alphabet (checked by the callers):
/// alphabet[(31 - Σ value·weight mod 31) mod 31].
fn check_character(first17: &str) -> char {
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, weight)| value_of(c).unwrap_or(0) * weight)
        .sum();
    char::from(ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// Masked, never the full code: debug output ends up in logs.
impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.masked())
    }
}

/// The masked form, for screens.
impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

serde_as_validated_string!(CreditCode);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn alphabet_char() -> impl Strategy<Value = char> {
        proptest::sample::select(ALPHABET.map(char::from).to_vec())
    }

    fn first17() -> impl Strategy<Value = String> {
        proptest::collection::vec(alphabet_char(), 17).prop_map(|cs| cs.into_iter().collect())
    }

    #[test]
    fn computes_the_check_character() {
        // Lower case is accepted and stored upper-cased.
        let code = CreditCode::with_check_character("91350100m000100y4").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
        let code = CreditCode::with_check_character("91110000600037341").unwrap();
        assert_eq!(code.as_str(), "91110000600037341L");
        // A sum that is already a multiple of 31 gives check character 0, not index 31.
        let code = CreditCode::with_check_character("00000000000000000").unwrap();
        assert_eq!(code.as_str(), "000000000000000000");
    }

    #[test]
    fn says_exactly_what_is_wrong() {
        assert_eq!(CreditCode::parse(""), Err(IdentifierError::Empty));
        assert_eq!(
            CreditCode::parse("911100001000013428"),
            Err(IdentifierError::WrongCheckCharacter {
                expected: 'C',
                found: '8'
            })
        );
        assert_eq!(
            CreditCode::parse("9135010OM000100Y43"),
            Err(IdentifierError::InvalidCharacter {
                position: 8,
                found: 'O'
            })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(IdentifierError::WrongLength {
                expected: &[18],
                found: 17
            })
        );
        assert_eq!(
            CreditCode::with_check_character("91350100M000100Y43"),
            Err(IdentifierError::WrongLength {
                expected: &[17],
                found: 18
            })
        );
    }

    #[test]
    fn normalises_case_and_surrounding_spaces() {
        let code = CreditCode::parse("\u{3000}91350100m000100y43 ").unwrap();
        assert_eq!(code.as_str(), "91350100M000100Y43");
    }

    #[test]
    fn debug_display_and_serde() {
        let code = CreditCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(code.to_string(), "91************0Y43");
        assert_eq!(format!("{code:?}"), "CreditCode(91************0Y43)");
        assert_eq!(
            serde_json::to_string(&code).unwrap(),
            "\"91350100M000100Y43\""
        );
        let back: CreditCode = serde_json::from_str("\"91350100m000100y43\"").unwrap();
        assert_eq!(back, code);
        assert!(serde_json::from_str::<CreditCode>("\"911100001000013428\"").is_err());
    }

    proptest! {
        #[test]
        fn completed_prefixes_parse(first17 in first17()) {
            let built = CreditCode::with_check_character(&first17).unwrap();
            prop_assert!(built.as_str().starts_with(&first17));
            prop_assert_eq!(CreditCode::parse(built.as_str()), Ok(built.clone()));
            prop_assert_eq!(built.to_string().chars().count(), 18);
        }

        #[test]
        fn any_single_substitution_is_caught(
            first17 in first17(),
            position in 0..18usize,
            replacement in alphabet_char(),
        ) {
            let valid = CreditCode::with_check_character(&first17).unwrap();
            let mut changed: Vec<char> = valid.as_str().chars().collect();
            prop_assume!(changed[position] != replacement);
            changed[position] = replacement;
            let changed: String = changed.into_iter().collect();
            let refused = matches!(
                CreditCode::parse(&changed),
                Err(IdentifierError::WrongCheckCharacter { .. })
            );
            prop_assert!(refused, "{} was not refused", changed);
        }

        #[test]
        fn masking_never_reveals_the_middle(first17 in first17()) {
            let code = CreditCode::with_check_character(&first17).unwrap();
            let masked: Vec<char> = code.to_string().chars().collect();
            let full: Vec<char> = code.as_str().chars().collect();
            prop_assert!(masked[2..14].iter().all(|&c| c == '*'));
            prop_assert_eq!(&masked[..2], &full[..2]);
            prop_assert_eq!(&masked[14..], &full[14..]);
            prop_assert_eq!(format!("{code:?}"), format!("CreditCode({code})"));
        }

        #[test]
        fn parse_never_panics(input in any::<String>(), near in "[ 0-9A-Za-z\u{3000}]{16,19}") {
            let _ = CreditCode::parse(&input);
            let _ = CreditCode::with_check_character(&input);
            if let Ok(code) = CreditCode::parse(&near) {
                prop_assert_eq!(code.as_str().len(), 18);
            }
        }
    }
}
