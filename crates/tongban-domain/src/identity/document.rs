//! Identity documents: the resident ID card, and for people who do not hold one, a passport
//! or a mainland travel permit for Hong Kong, Macao and Taiwan residents.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{IdentifierError, ResidentId, mask, trim_input};

/// Which kind of document, as stored next to the document's value and sent by forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// 居民身份证
    ResidentId,
    /// 护照 (foreign nationals)
    Passport,
    /// 港澳居民来往内地通行证
    HongKongMacaoPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 4] = [
        DocumentKind::ResidentId,
        DocumentKind::Passport,
        DocumentKind::HongKongMacaoPermit,
        DocumentKind::TaiwanPermit,
    ];

    /// The stable key used in storage, form values and the API. Never change one: stored
    /// documents are read back by it.
    pub fn key(self) -> &'static str {
        match self {
            DocumentKind::ResidentId => "resident_id",
            DocumentKind::Passport => "passport",
            DocumentKind::HongKongMacaoPermit => "hk_macao_permit",
            DocumentKind::TaiwanPermit => "taiwan_permit",
        }
    }

    pub fn from_key(key: &str) -> Result<DocumentKind, IdentifierError> {
        DocumentKind::ALL
            .into_iter()
            .find(|kind| kind.key() == key)
            .ok_or(IdentifierError::UnknownDocumentKind)
    }
}

impl Serialize for DocumentKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for DocumentKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = Cow::<'de, str>::deserialize(deserializer)?;
        DocumentKind::from_key(&key).map_err(serde::de::Error::custom)
    }
}

/// Who a mainland travel permit is issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PermitKind {
    /// 港澳居民来往内地通行证: `H` (Hong Kong) or `M` (Macao) and 8 or 10 digits.
    HongKongMacao,
    /// 台湾居民来往大陆通行证: 8 digits.
    Taiwan,
}

/// A passport: the issuing country and the number printed in it.
///
/// Only the shapes are checked (three letters; 5 to 20 letters and digits): passport number
/// formats differ per country and change, and the issuing state is the authority on them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Passport {
    country: String,
    number: String,
}

impl Passport {
    const NUMBER_LENGTH: (usize, usize) = (5, 20);

    /// Trims both parts and upper-cases ASCII letters, then checks that `country` is three
    /// letters A–Z (ISO 3166-1 alpha-3) and `number` 5 to 20 letters A–Z and digits 0–9.
    pub fn parse(country: &str, number: &str) -> Result<Passport, IdentifierError> {
        let country = trim_input(country).to_ascii_uppercase();
        if country.len() != 3 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(IdentifierError::InvalidCountryCode);
        }
        let number = trim_input(number);
        let (min, max) = Passport::NUMBER_LENGTH;
        let found = number.chars().count();
        if found == 0 {
            return Err(IdentifierError::Empty);
        }
        if !(min..=max).contains(&found) {
            return Err(IdentifierError::LengthOutOfRange { min, max, found });
        }
        let number = upper_case_checked(number, |_, c| c.is_ascii_alphanumeric())?;
        Ok(Passport { country, number })
    }

    /// The issuing country's ISO 3166-1 alpha-3 code, such as `GBR`.
    pub fn country(&self) -> &str {
        &self.country
    }

    /// The full passport number. Personal data: for encryption and matching only.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The number as screens show it: first character and last two, `E******78`.
    pub fn masked_number(&self) -> String {
        mask(&self.number, 1, 2)
    }
}

/// The country and the masked number: debug output ends up in logs.
impl fmt::Debug for Passport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Passport {{ country: {}, number: {} }}",
            self.country,
            self.masked_number()
        )
    }
}

/// The masked number, for screens.
impl fmt::Display for Passport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked_number())
    }
}

/// A mainland travel permit (来往内地/大陆通行证) of a Hong Kong, Macao or Taiwan resident.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TravelPermit {
    kind: PermitKind,
    number: String,
}

impl TravelPermit {
    /// Trims and upper-cases the number, then checks it against the permit kind's format:
    /// `H` or `M` and 8 or 10 digits for Hong Kong and Macao (the 10-digit form is the 8-digit
    /// one with a 2-digit issue count), 8 digits for Taiwan.
    pub fn parse(kind: PermitKind, number: &str) -> Result<TravelPermit, IdentifierError> {
        let number = trim_input(number);
        let found = number.chars().count();
        if found == 0 {
            return Err(IdentifierError::Empty);
        }
        let lengths: &'static [usize] = match kind {
            PermitKind::HongKongMacao => &[9, 11],
            PermitKind::Taiwan => &[8],
        };
        if !lengths.contains(&found) {
            return Err(IdentifierError::WrongLength {
                expected: lengths,
                found,
            });
        }
        let number = upper_case_checked(number, |index, c| match kind {
            PermitKind::HongKongMacao if index == 0 => matches!(c, 'H' | 'M'),
            PermitKind::HongKongMacao | PermitKind::Taiwan => c.is_ascii_digit(),
        })?;
        Ok(TravelPermit { kind, number })
    }

    pub fn kind(&self) -> PermitKind {
        self.kind
    }

    /// The full permit number. Personal data: for encryption and matching only.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The number as screens show it: first character and last two, `H******78`.
    pub fn masked_number(&self) -> String {
        mask(&self.number, 1, 2)
    }
}

/// The kind and the masked number: debug output ends up in logs.
impl fmt::Debug for TravelPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TravelPermit {{ kind: {:?}, number: {} }}",
            self.kind,
            self.masked_number()
        )
    }
}

/// The masked number, for screens.
impl fmt::Display for TravelPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked_number())
    }
}

/// Upper-cases ASCII letters and checks each character (by 0-based index) with `allowed`.
fn upper_case_checked(
    text: &str,
    allowed: impl Fn(usize, char) -> bool,
) -> Result<String, IdentifierError> {
    text.chars()
        .enumerate()
        .map(|(index, c)| {
            let upper = c.to_ascii_uppercase();
            if allowed(index, upper) {
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

/// The document a person identifies with. Each variant holds a validated value, so a document
/// can only be built through parsing.
///
/// `Debug` and `Display` are masked like the values inside. Serde writes
/// `{"kind": "<kind key>", "value": "<full value>"}` with [`IdentityDocument::value`], and
/// reading validates through [`IdentityDocument::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IdentityDocument {
    ResidentId(ResidentId),
    Passport(Passport),
    MainlandTravelPermit(TravelPermit),
}

impl IdentityDocument {
    /// Parses a document from its kind and single-string value, as stored or sent by a form.
    /// A passport's value is `COUNTRY:NUMBER` (`GBR:123456789`), the form
    /// [`IdentityDocument::value`] writes; forms with two fields call [`Passport::parse`].
    pub fn parse(kind: DocumentKind, value: &str) -> Result<IdentityDocument, IdentifierError> {
        Ok(match kind {
            DocumentKind::ResidentId => IdentityDocument::ResidentId(ResidentId::parse(value)?),
            DocumentKind::Passport => {
                let (country, number) = value
                    .split_once(':')
                    .ok_or(IdentifierError::InvalidCountryCode)?;
                IdentityDocument::Passport(Passport::parse(country, number)?)
            }
            DocumentKind::HongKongMacaoPermit => IdentityDocument::MainlandTravelPermit(
                TravelPermit::parse(PermitKind::HongKongMacao, value)?,
            ),
            DocumentKind::TaiwanPermit => IdentityDocument::MainlandTravelPermit(
                TravelPermit::parse(PermitKind::Taiwan, value)?,
            ),
        })
    }

    /// [`IdentityDocument::parse`] with the kind given by its key.
    pub fn parse_keyed(kind_key: &str, value: &str) -> Result<IdentityDocument, IdentifierError> {
        IdentityDocument::parse(DocumentKind::from_key(kind_key)?, value)
    }

    pub fn kind(&self) -> DocumentKind {
        match self {
            IdentityDocument::ResidentId(_) => DocumentKind::ResidentId,
            IdentityDocument::Passport(_) => DocumentKind::Passport,
            IdentityDocument::MainlandTravelPermit(permit) => match permit.kind {
                PermitKind::HongKongMacao => DocumentKind::HongKongMacaoPermit,
                PermitKind::Taiwan => DocumentKind::TaiwanPermit,
            },
        }
    }

    /// The stable key of the document's kind, see [`DocumentKind::key`].
    pub fn kind_key(&self) -> &'static str {
        self.kind().key()
    }

    /// The full value that [`IdentityDocument::parse`] reads back with [`Self::kind`].
    /// Personal data: for encryption and matching only.
    pub fn value(&self) -> Cow<'_, str> {
        match self {
            IdentityDocument::ResidentId(id) => Cow::Borrowed(id.as_str()),
            IdentityDocument::Passport(passport) => {
                Cow::Owned(format!("{}:{}", passport.country, passport.number))
            }
            IdentityDocument::MainlandTravelPermit(permit) => Cow::Borrowed(&permit.number),
        }
    }
}

impl From<ResidentId> for IdentityDocument {
    fn from(id: ResidentId) -> Self {
        IdentityDocument::ResidentId(id)
    }
}

impl From<Passport> for IdentityDocument {
    fn from(passport: Passport) -> Self {
        IdentityDocument::Passport(passport)
    }
}

impl From<TravelPermit> for IdentityDocument {
    fn from(permit: TravelPermit) -> Self {
        IdentityDocument::MainlandTravelPermit(permit)
    }
}

/// The masked number, for screens.
impl fmt::Display for IdentityDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentityDocument::ResidentId(id) => fmt::Display::fmt(id, f),
            IdentityDocument::Passport(passport) => fmt::Display::fmt(passport, f),
            IdentityDocument::MainlandTravelPermit(permit) => fmt::Display::fmt(permit, f),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredDocument<'a> {
    kind: DocumentKind,
    #[serde(borrow)]
    value: Cow<'a, str>,
}

impl Serialize for IdentityDocument {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StoredDocument {
            kind: self.kind(),
            value: self.value(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IdentityDocument {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = StoredDocument::deserialize(deserializer)?;
        IdentityDocument::parse(stored.kind, &stored.value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn permit(kind: PermitKind, number: &str) -> Result<String, IdentifierError> {
        TravelPermit::parse(kind, number).map(|p| p.number().to_owned())
    }

    #[test]
    fn hong_kong_and_macao_permits() {
        use PermitKind::HongKongMacao;
        assert_eq!(permit(HongKongMacao, "H12345678"), Ok("H12345678".into()));
        assert_eq!(
            permit(HongKongMacao, " m1234567801 "),
            Ok("M1234567801".into())
        );
        assert_eq!(
            permit(HongKongMacao, "A12345678"),
            Err(IdentifierError::InvalidCharacter {
                position: 1,
                found: 'A'
            })
        );
        assert_eq!(
            permit(HongKongMacao, "H123456789"),
            Err(IdentifierError::WrongLength {
                expected: &[9, 11],
                found: 10
            })
        );
        assert_eq!(
            permit(HongKongMacao, "H1234567H"),
            Err(IdentifierError::InvalidCharacter {
                position: 9,
                found: 'H'
            })
        );
        assert_eq!(permit(HongKongMacao, ""), Err(IdentifierError::Empty));
    }

    #[test]
    fn taiwan_permits() {
        use PermitKind::Taiwan;
        assert_eq!(permit(Taiwan, "01234567"), Ok("01234567".into()));
        assert_eq!(
            permit(Taiwan, "H1234567"),
            Err(IdentifierError::InvalidCharacter {
                position: 1,
                found: 'H'
            })
        );
        assert_eq!(
            permit(Taiwan, "012345678"),
            Err(IdentifierError::WrongLength {
                expected: &[8],
                found: 9
            })
        );
    }

    #[test]
    fn passports() {
        let passport = Passport::parse(" gbr ", "\u{3000}e12345678 ").unwrap();
        assert_eq!(passport.country(), "GBR");
        assert_eq!(passport.number(), "E12345678");
        for country in ["GB", "GBRR", "G1R", "英国", ""] {
            assert_eq!(
                Passport::parse(country, "E12345678"),
                Err(IdentifierError::InvalidCountryCode),
                "{country:?}"
            );
        }
        assert_eq!(
            Passport::parse("GBR", "1234"),
            Err(IdentifierError::LengthOutOfRange {
                min: 5,
                max: 20,
                found: 4
            })
        );
        assert_eq!(
            Passport::parse("GBR", &"1".repeat(21)),
            Err(IdentifierError::LengthOutOfRange {
                min: 5,
                max: 20,
                found: 21
            })
        );
        assert!(Passport::parse("GBR", &"1".repeat(20)).is_ok());
        assert!(Passport::parse("GBR", "12345").is_ok());
        assert_eq!(
            Passport::parse("GBR", "E1234-678"),
            Err(IdentifierError::InvalidCharacter {
                position: 6,
                found: '-'
            })
        );
        assert_eq!(Passport::parse("GBR", " "), Err(IdentifierError::Empty));
    }

    #[test]
    fn documents_round_trip_through_kind_key_and_value() {
        let documents = [
            IdentityDocument::parse(DocumentKind::ResidentId, "11010519491231002X").unwrap(),
            IdentityDocument::parse(DocumentKind::Passport, "gbr:e12345678").unwrap(),
            IdentityDocument::parse(DocumentKind::HongKongMacaoPermit, "H1234567801").unwrap(),
            IdentityDocument::parse(DocumentKind::TaiwanPermit, "01234567").unwrap(),
        ];
        let keys: Vec<_> = documents.iter().map(IdentityDocument::kind_key).collect();
        assert_eq!(
            keys,
            [
                "resident_id",
                "passport",
                "hk_macao_permit",
                "taiwan_permit"
            ]
        );
        assert_eq!(documents[1].value(), "GBR:E12345678");
        for document in &documents {
            let back = IdentityDocument::parse_keyed(document.kind_key(), &document.value());
            assert_eq!(back.as_ref(), Ok(document));
            let json = serde_json::to_string(document).unwrap();
            assert_eq!(
                serde_json::from_str::<IdentityDocument>(&json).unwrap(),
                *document
            );
        }
        assert_eq!(
            serde_json::to_string(&documents[3]).unwrap(),
            r#"{"kind":"taiwan_permit","value":"01234567"}"#
        );
    }

    #[test]
    fn kind_mismatches_and_unknown_kinds_are_refused() {
        assert_eq!(
            IdentityDocument::parse_keyed("driving_licence", "123"),
            Err(IdentifierError::UnknownDocumentKind)
        );
        assert_eq!(
            IdentityDocument::parse(DocumentKind::Passport, "E12345678"),
            Err(IdentifierError::InvalidCountryCode)
        );
        // A Hong Kong permit number is not a Taiwan one and the other way round.
        assert!(IdentityDocument::parse(DocumentKind::TaiwanPermit, "H12345678").is_err());
        assert!(IdentityDocument::parse(DocumentKind::HongKongMacaoPermit, "01234567").is_err());
        assert!(
            serde_json::from_str::<IdentityDocument>(
                r#"{"kind":"taiwan_permit","value":"H12345678"}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<IdentityDocument>(r#"{"kind":"visa","value":"01234567"}"#)
                .is_err()
        );
    }

    #[test]
    fn debug_and_display_are_masked() {
        let passport = IdentityDocument::parse(DocumentKind::Passport, "GBR:E12345678").unwrap();
        assert_eq!(passport.to_string(), "E******78");
        assert_eq!(
            format!("{passport:?}"),
            "Passport(Passport { country: GBR, number: E******78 })"
        );
        let permit =
            IdentityDocument::parse(DocumentKind::HongKongMacaoPermit, "M1234567801").unwrap();
        assert_eq!(permit.to_string(), "M********01");
        assert_eq!(
            format!("{permit:?}"),
            "MainlandTravelPermit(TravelPermit { kind: HongKongMacao, number: M********01 })"
        );
        let id = IdentityDocument::parse(DocumentKind::ResidentId, "11010519491231002X").unwrap();
        assert_eq!(id.to_string(), "110***********002X");
        assert_eq!(
            format!("{id:?}"),
            "ResidentId(ResidentId(110***********002X))"
        );
    }

    proptest! {
        #[test]
        fn masking_never_reveals_the_middle(
            number in "[HM][0-9]{8}([0-9]{2})?",
            passport in "[A-Z0-9]{5,20}",
        ) {
            let permit = TravelPermit::parse(PermitKind::HongKongMacao, &number).unwrap();
            let passport = Passport::parse("FRA", &passport).unwrap();
            for (full, masked) in [
                (permit.number(), permit.to_string()),
                (passport.number(), passport.to_string()),
            ] {
                let full: Vec<char> = full.chars().collect();
                let masked: Vec<char> = masked.chars().collect();
                let len = full.len();
                prop_assert_eq!(masked.len(), len);
                prop_assert_eq!(masked[0], full[0]);
                prop_assert!(masked[1..len - 2].iter().all(|&c| c == '*'));
                prop_assert_eq!(&masked[len - 2..], &full[len - 2..]);
            }
            let debug = format!("{passport:?}{permit:?}");
            prop_assert!(!debug.contains(passport.number()) && !debug.contains(permit.number()));
        }

        #[test]
        fn parse_never_panics(input in any::<String>(), key in any::<String>()) {
            for kind in DocumentKind::ALL {
                if let Ok(document) = IdentityDocument::parse(kind, &input) {
                    prop_assert_eq!(document.kind(), kind);
                }
            }
            let _ = IdentityDocument::parse_keyed(&key, &input);
            let _ = Passport::parse(&key, &input);
        }
    }
}
