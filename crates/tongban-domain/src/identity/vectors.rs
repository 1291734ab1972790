//! The standards' own examples and derived cases from `testdata/identifiers.yaml`, shared with
//! the other layers' tests.

use serde::Deserialize;

use super::{CreditCode, IdentifierError, PersonName, ResidentId};

const VECTORS: &str = include_str!("../../../../testdata/identifiers.yaml");

#[derive(Deserialize)]
struct Vectors {
    resident_id: Cases,
    uscc: Cases,
    names: Names,
}

#[derive(Deserialize)]
struct Cases {
    valid: Vec<String>,
    invalid: Vec<Invalid>,
    #[serde(default)]
    normalise: Vec<Normalise>,
}

#[derive(Deserialize)]
struct Invalid {
    value: String,
    why: String,
}

impl Invalid {
    fn is_wrong_check_character(&self) -> bool {
        self.why.starts_with("wrong check")
    }
}

#[derive(Deserialize)]
struct Normalise {
    value: String,
    to: String,
}

#[derive(Deserialize)]
struct Names {
    valid: Vec<String>,
}

fn vectors() -> Vectors {
    serde_norway::from_str(VECTORS).expect("testdata/identifiers.yaml is valid")
}

/// Runs one identifier's cases; `parse` returns the normalised value.
fn check(cases: &Cases, parse: impl Fn(&str) -> Result<String, IdentifierError>) {
    // Guard against an edit that empties the file and makes every loop below vacuous.
    assert!(!cases.valid.is_empty() && !cases.invalid.is_empty());
    for valid in &cases.valid {
        assert_eq!(parse(valid).as_deref(), Ok(valid.as_str()), "{valid}");
    }
    let mut check_character_cases = 0;
    for invalid in &cases.invalid {
        let result = parse(&invalid.value);
        assert!(
            result.is_err(),
            "{} ({}) was accepted",
            invalid.value,
            invalid.why
        );
        if invalid.is_wrong_check_character() {
            check_character_cases += 1;
            assert!(
                matches!(result, Err(IdentifierError::WrongCheckCharacter { .. })),
                "{} ({}) gave {result:?}",
                invalid.value,
                invalid.why
            );
        }
    }
    assert!(check_character_cases > 0, "no wrong-check-character case");
    for case in &cases.normalise {
        assert_eq!(
            parse(&case.value).as_deref(),
            Ok(case.to.as_str()),
            "{:?}",
            case.value
        );
    }
}

#[test]
fn resident_id_vectors() {
    let vectors = vectors();
    assert!(!vectors.resident_id.normalise.is_empty());
    check(&vectors.resident_id, |value| {
        ResidentId::parse(value).map(|id| id.as_str().to_owned())
    });
}

#[test]
fn resident_id_vectors_fail_for_the_stated_reason() {
    let vectors = vectors();
    for invalid in &vectors.resident_id.invalid {
        let error = ResidentId::parse(&invalid.value).unwrap_err();
        let expected = if invalid.why.starts_with("birth date") {
            matches!(error, IdentifierError::ImpossibleBirthDate)
        } else if invalid.why.contains("characters") {
            matches!(error, IdentifierError::WrongLength { .. })
        } else if invalid.why.starts_with("full-width") {
            matches!(
                error,
                IdentifierError::InvalidCharacter {
                    found: '０'..='９',
                    ..
                }
            )
        } else {
            invalid.is_wrong_check_character()
        };
        assert!(
            expected,
            "{} ({}) gave {error:?}",
            invalid.value, invalid.why
        );
    }
}

#[test]
fn credit_code_vectors() {
    let vectors = vectors();
    check(&vectors.uscc, |value| {
        CreditCode::parse(value).map(|code| code.as_str().to_owned())
    });
    // "wrong check character (should be C)": the expected character is reported.
    let with_expected: Vec<_> = vectors
        .uscc
        .invalid
        .iter()
        .filter_map(|case| {
            let (_, rest) = case.why.split_once("should be ")?;
            Some((case, rest.chars().next()?))
        })
        .collect();
    assert!(!with_expected.is_empty());
    for (case, expected) in with_expected {
        assert!(
            matches!(
                CreditCode::parse(&case.value),
                Err(IdentifierError::WrongCheckCharacter { expected: e, .. }) if e == expected
            ),
            "{}",
            case.value
        );
    }
}

#[test]
fn names_round_trip_exactly() {
    let vectors = vectors();
    assert!(
        vectors
            .names
            .valid
            .iter()
            .any(|name| name.chars().any(|c| c > '\u{FFFF}'))
    );
    for name in &vectors.names.valid {
        let parsed = PersonName::parse(name).unwrap();
        assert_eq!(parsed.as_str().as_bytes(), name.as_bytes());
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(serde_json::from_str::<PersonName>(&json).unwrap(), parsed);
    }
}
