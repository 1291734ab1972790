//! Personal names, in any script people in China write them in.

use std::fmt;

use super::{IdentifierError, serde_as_validated_string};

/// The longest name accepted, in characters (Unicode scalar values), not bytes: a name of rare
/// characters from CJK Extension B takes 4 bytes per character in UTF-8 and must not be
/// refused earlier than a name of common ones.
const MAX_CHARS: usize = 64;

/// A person's name exactly as written: Chinese with characters outside the Basic Multilingual
/// Plane (王𠀀, GB 18030-2022), Uyghur in Chinese transcription with the middle dot
/// (阿依古丽·买买提) or in Arabic script, Tibetan, Latin.
///
/// Only surrounding whitespace is removed; nothing is normalised, so the name round-trips
/// byte for byte (certificates must print what the person typed). Private-use characters are
/// allowed because older systems encoded rare name characters there.
///
/// `Display` shows the full name: screens show it to its owner and to staff. `Debug`, which
/// ends up in logs, shows only the first character and one star (`张*`) whatever the length.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName(String);

impl PersonName {
    /// Trims whitespace (including the full-width space), then refuses an empty name, one
    /// longer than 64 characters, and one containing a character that is not part of any name:
    /// control characters (C0, C1, DEL), line and paragraph separators, and the bidirectional
    /// embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which can make
    /// a name display as something else. Joiners (ZWJ, ZWNJ) and direction marks stay allowed:
    /// Arabic-script names may need them.
    pub fn parse(input: &str) -> Result<PersonName, IdentifierError> {
        let trimmed = input.trim();
        let found = trimmed.chars().count();
        if found == 0 {
            return Err(IdentifierError::Empty);
        }
        if found > MAX_CHARS {
            return Err(IdentifierError::LengthOutOfRange {
                min: 1,
                max: MAX_CHARS,
                found,
            });
        }
        if let Some((index, c)) = trimmed.chars().enumerate().find(|&(_, c)| !allowed(c)) {
            return Err(IdentifierError::InvalidCharacter {
                position: index + 1,
                found: c,
            });
        }
        Ok(PersonName(trimmed.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first character and one star (`张*`), for logs and for public lists such as a hall's
    /// queue screen. One star whatever the length, so the mask does not tell the length.
    pub fn masked(&self) -> String {
        let first = self.0.chars().next().unwrap_or('*');
        format!("{first}*")
    }
}

fn allowed(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
}

/// Redacted to the first character: debug output ends up in logs.
impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName({})", self.masked())
    }
}

/// The full name, for screens shown to its owner and to staff.
impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

serde_as_validated_string!(PersonName);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_characters_outside_the_basic_plane() {
        let name = PersonName::parse("王𠀀").unwrap();
        assert_eq!(name.as_str(), "王𠀀");
        assert_eq!(name.as_str().len(), 7); // 3 + 4 bytes
        assert_eq!(name.to_string(), "王𠀀");
        assert_eq!(format!("{name:?}"), "PersonName(王*)");
        // A name starting with a non-BMP character keeps it whole in the mask.
        let name = PersonName::parse("𠀀三").unwrap();
        assert_eq!(format!("{name:?}"), "PersonName(𠀀*)");
    }

    #[test]
    fn counts_length_in_characters_not_bytes() {
        let longest = "𠀀".repeat(64); // 256 bytes
        assert_eq!(PersonName::parse(&longest).unwrap().as_str(), longest);
        assert_eq!(
            PersonName::parse(&"𠀀".repeat(65)),
            Err(IdentifierError::LengthOutOfRange {
                min: 1,
                max: 64,
                found: 65
            })
        );
        assert_eq!(
            PersonName::parse(&"a".repeat(65)),
            Err(IdentifierError::LengthOutOfRange {
                min: 1,
                max: 64,
                found: 65
            })
        );
    }

    #[test]
    fn trims_but_keeps_inner_spaces_and_marks() {
        assert_eq!(
            PersonName::parse("\u{3000} 张三\t").unwrap().as_str(),
            "张三"
        );
        assert_eq!(
            PersonName::parse(" ئايگۈل مەمەت ").unwrap().as_str(),
            "ئايگۈل مەمەت"
        );
        // Zero-width non-joiner, needed in some Arabic-script spellings.
        assert!(PersonName::parse("می\u{200C}خواهم").is_ok());
        assert_eq!(
            PersonName::parse(" \u{3000}\n"),
            Err(IdentifierError::Empty)
        );
    }

    #[test]
    fn refuses_control_and_bidirectional_override_characters() {
        for (input, position, found) in [
            ("张\u{0}三", 2, '\u{0}'),
            ("张\n三", 2, '\n'),
            ("张三\u{7F}", 3, '\u{7F}'),
            ("张\u{85}三", 2, '\u{85}'),
            ("张\u{2028}三", 2, '\u{2028}'),
            ("\u{202E}三张", 1, '\u{202E}'),
            ("张三\u{2066}", 3, '\u{2066}'),
        ] {
            assert_eq!(
                PersonName::parse(input),
                Err(IdentifierError::InvalidCharacter { position, found }),
                "{input:?}"
            );
        }
    }

    #[test]
    fn serialises_as_the_name() {
        let name = PersonName::parse("阿依古丽·买买提").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"阿依古丽·买买提\"");
        let back: PersonName = serde_json::from_str("\"阿依古丽·买买提\"").unwrap();
        assert_eq!(back, name);
        assert!(serde_json::from_str::<PersonName>("\"张\\u0000三\"").is_err());
    }

    proptest! {
        #[test]
        fn names_without_forbidden_characters_round_trip_exactly(
            name in "[^\\p{Cc}\\s\u{2028}\u{2029}\u{202A}-\u{202E}\u{2066}-\u{2069}]([^\\p{Cc}\u{2028}\u{2029}\u{202A}-\u{202E}\u{2066}-\u{2069}]{0,62}[^\\p{Cc}\\s\u{2028}\u{2029}\u{202A}-\u{202E}\u{2066}-\u{2069}])?"
        ) {
            let parsed = PersonName::parse(&name).unwrap();
            prop_assert_eq!(parsed.as_str(), name.as_str());
            prop_assert_eq!(parsed.to_string(), name.clone());
            let first = name.chars().next().unwrap();
            prop_assert_eq!(format!("{parsed:?}"), format!("PersonName({first}*)"));
        }

        #[test]
        fn parse_never_panics(input in any::<String>()) {
            if let Ok(name) = PersonName::parse(&input) {
                prop_assert!(name.as_str().chars().count() <= 64);
                prop_assert!(!name.as_str().chars().any(char::is_control));
            }
        }
    }
}
