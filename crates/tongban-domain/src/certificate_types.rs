//! Certificate types (电子证照类型) as catalogue data: what a department's e-certificate is
//! called, which fields it carries, how long it is valid and how it is shown; what a service
//! issues when a case is approved (and where each field's value comes from); and which
//! certificate satisfies a material of an application.
//!
//! Nothing here signs or verifies anything (that is `certificates`); these are the definitions
//! the catalogue holds and the checks a catalogue document must pass before it is stored. A
//! type is written once in the catalogue file (`certificate_types:`) and named by its key
//! everywhere else, so that a new kind of certificate needs YAML, not code.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::catalog::{check_text, is_slug};
use crate::forms::{FieldKind, FormDefinition, Prefill};
use crate::identity::{CreditCode, MobileNumber, ResidentId};
use crate::locale::LocalizedText;

/// The path under which a platform publishes derived type URIs: `{platform}/vct/{region}/{key}`.
pub const VCT_PATH: &str = "vct";

/// Claim names an SD-JWT VC reserves for itself (RFC 7519, SD-JWT VC, Token Status List): a
/// certificate field of that name would be confused with them. (`_sd`, `_sd_alg` and `...`
/// cannot be field keys anyway: keys start with a letter.)
pub const RESERVED_CLAIMS: [&str; 10] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "vct", "status",
];

/// A kind of e-certificate a department issues (营业执照, 无犯罪记录证明, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateType {
    /// Stable identifier within the region, used by services and materials
    /// (`business-licence`).
    pub key: String,
    /// The SD-JWT VC type URI (`vct`), when it must be a particular one (a national type);
    /// otherwise derived from the platform's address, see [`CertificateType::vct`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vct: Option<String>,
    pub name: LocalizedText,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    pub description: LocalizedText,
    /// Code of the issuing department, whose key signs the certificates.
    pub department: String,
    /// The claims of the certificate, in the order of the full view.
    pub fields: Vec<CertificateField>,
    /// How long a certificate is valid from the day it is issued.
    pub validity: Validity,
    /// The human-readable view (page and PDF); when absent, every field under the type's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<CertificateTemplate>,
}

/// One claim of a certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateField {
    /// The claim name: lower-case ASCII letters, digits and underscores, starting with a letter.
    pub key: String,
    pub label: LocalizedText,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// Every certificate has a value for it, so an issuing service must name a source.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    /// The holder may reveal the certificate without this field (an SD-JWT disclosure of its
    /// own); fields that are not are always visible to whoever sees the certificate.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub disclosable: bool,
    /// Personal data: masked on screens (`110***********123X`) and never shown in full to
    /// anyone but the holder and the staff handling a case it was disclosed to.
    #[serde(default, skip_serializing_if = "is_false")]
    pub personal: bool,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !value
}

/// What kind of value a certificate field holds, which decides how it is checked and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A resident ID number (GB 11643).
    ResidentId,
    /// A unified social credit code (GB 32100).
    CreditCode,
    /// A mainland mobile number.
    Mobile,
    /// A decimal number (`12`, `35.5`).
    Number,
}

/// Why a value does not fit its field's type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("the value is empty")]
    Empty,
    #[error("not a date in the form YYYY-MM-DD")]
    NotADate,
    #[error("not a number")]
    NotANumber,
    /// The value is not a valid identifier of the type; the input is never repeated.
    #[error("not a valid {0}")]
    Identifier(&'static str),
}

impl ValueType {
    pub const ALL: [ValueType; 6] = [
        ValueType::Text,
        ValueType::Date,
        ValueType::ResidentId,
        ValueType::CreditCode,
        ValueType::Mobile,
        ValueType::Number,
    ];

    /// The schema's name of the type, as written in `type:`.
    pub fn key(self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Date => "date",
            ValueType::ResidentId => "resident-id",
            ValueType::CreditCode => "credit-code",
            ValueType::Mobile => "mobile",
            ValueType::Number => "number",
        }
    }

    /// Whether `value` is a well-formed value of this type (the issuer checks every field
    /// before signing; fixed values in the catalogue are checked on import).
    pub fn check(self, value: &str) -> Result<(), ValueError> {
        if value.trim().is_empty() {
            return Err(ValueError::Empty);
        }
        match self {
            ValueType::Text => Ok(()),
            ValueType::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                // chrono accepts unpadded and signed years; certificates use one spelling.
                .filter(|d| d.format("%Y-%m-%d").to_string() == value)
                .map(|_| ())
                .ok_or(ValueError::NotADate),
            ValueType::ResidentId => ResidentId::parse(value)
                .map(|_| ())
                .map_err(|_| ValueError::Identifier("resident ID number")),
            ValueType::CreditCode => CreditCode::parse(value)
                .map(|_| ())
                .map_err(|_| ValueError::Identifier("unified social credit code")),
            ValueType::Mobile => MobileNumber::parse(value)
                .map(|_| ())
                .map_err(|_| ValueError::Identifier("mobile number")),
            ValueType::Number => is_decimal(value)
                .then_some(())
                .ok_or(ValueError::NotANumber),
        }
    }
}

/// `12`, `-3`, `35.50`: digits with an optional sign and fraction, nothing else.
fn is_decimal(value: &str) -> bool {
    let unsigned = value.strip_prefix('-').unwrap_or(value);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// How long a certificate is valid: `none` (until revoked), or one period from the day it is
/// issued, written `{ years: 5 }`, `{ months: 6 }` or `{ days: 90 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// Valid until revoked (营业执照 of a business with no fixed term, 出生医学证明).
    Unlimited,
    Years(u32),
    Months(u32),
    Days(u32),
}

impl Validity {
    /// The first day on which a certificate issued on `issued_on` is no longer valid (`None`:
    /// it does not expire; also `None` past the calendar's end). Months and years keep the day
    /// of the month, or take the month's last day when it has fewer days: a one-year
    /// certificate issued on 29 February 2028 expires on 28 February 2029.
    pub fn expires_on(self, issued_on: NaiveDate) -> Option<NaiveDate> {
        match self {
            Validity::Unlimited => None,
            Validity::Years(n) => n
                .checked_mul(12)
                .and_then(|months| issued_on.checked_add_months(Months::new(months))),
            Validity::Months(n) => issued_on.checked_add_months(Months::new(n)),
            Validity::Days(n) => issued_on.checked_add_days(Days::new(u64::from(n))),
        }
    }

    /// Why the period cannot be used, if it cannot: it is empty or longer than a century.
    pub fn problem(self) -> Option<String> {
        let (amount, unit, longest) = match self {
            Validity::Unlimited => return None,
            Validity::Years(n) => (n, "years", 100),
            Validity::Months(n) => (n, "months", 100 * 12),
            Validity::Days(n) => (n, "days", 36_525),
        };
        if amount == 0 {
            Some(format!(
                "a validity of 0 {unit} would expire on issue; write `none` for no expiry"
            ))
        } else if amount > longest {
            Some(format!(
                "{amount} {unit} is longer than 100 years; write `none` for no expiry"
            ))
        } else {
            None
        }
    }
}

impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let (unit, amount) = match *self {
            Validity::Unlimited => return serializer.serialize_str("none"),
            Validity::Years(n) => ("years", n),
            Validity::Months(n) => ("months", n),
            Validity::Days(n) => ("days", n),
        };
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(unit, &amount)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const EXPECTED: &str =
            "`validity` is `none` or one period: { years: N }, { months: N } or { days: N }";
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(word) if word == "none" => Ok(Validity::Unlimited),
            serde_json::Value::Object(map) if map.len() == 1 => {
                let Some((unit, amount)) = map.into_iter().next() else {
                    return Err(serde::de::Error::custom(EXPECTED));
                };
                let amount = amount
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        serde::de::Error::custom(format!(
                            "`validity.{unit}` must be a whole number"
                        ))
                    })?;
                match unit.as_str() {
                    "years" => Ok(Validity::Years(amount)),
                    "months" => Ok(Validity::Months(amount)),
                    "days" => Ok(Validity::Days(amount)),
                    _ => Err(serde::de::Error::custom(EXPECTED)),
                }
            }
            _ => Err(serde::de::Error::custom(EXPECTED)),
        }
    }
}

/// The human-readable view of a certificate: its title and which fields it shows, in order.
/// The issuer, the validity and the verification QR code are always shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateTemplate {
    pub title: LocalizedText,
    /// Field keys in the order shown; fields not listed are left out of the view (they stay
    /// in the certificate).
    pub fields: Vec<String>,
}

impl CertificateType {
    /// The type URI certificates of this type carry in `vct`: the one written in the
    /// catalogue, else `{platform}/vct/{region}/{key}` (`https://gov.example/vct/990100/
    /// business-licence`). The region is part of it because each region defines its own types;
    /// the version is not, because a certificate keeps its type when the type's later version
    /// adds a field.
    pub fn vct(&self, platform_url: &str, region: &str) -> String {
        match &self.vct {
            Some(vct) => vct.clone(),
            None => format!(
                "{}/{VCT_PATH}/{region}/{}",
                platform_url.trim_end_matches('/'),
                self.key
            ),
        }
    }

    pub fn field(&self, key: &str) -> Option<&CertificateField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The fields of the human view, in its order.
    pub fn shown_fields(&self) -> Vec<&CertificateField> {
        match &self.template {
            Some(template) => template
                .fields
                .iter()
                .filter_map(|k| self.field(k))
                .collect(),
            None => self.fields.iter().collect(),
        }
    }

    /// The type's own rules (keys, texts, fields, validity, template) and its department
    /// among `departments`. Problems are reported through `problem` with paths under `at`
    /// (`certificate_types[0]`).
    pub(crate) fn check(
        &self,
        at: &str,
        departments: &HashSet<&str>,
        problem: &mut impl FnMut(String, String),
    ) {
        let path = |field: &str| format!("{at}.{field}");
        if !is_slug(&self.key) {
            problem(
                path("key"),
                "use lower-case letters, digits and hyphens".into(),
            );
        }
        if let Some(vct) = &self.vct
            && !is_uri(vct)
        {
            problem(
                path("vct"),
                "must be an absolute URI (https://… or urn:…) without spaces".into(),
            );
        }
        check_text(problem, &path("name"), &self.name);
        if !self.description.is_empty() {
            check_text(problem, &path("description"), &self.description);
        }
        if !departments.contains(self.department.as_str()) {
            problem(
                path("department"),
                format!("unknown department {}", self.department),
            );
        }
        if self.fields.is_empty() {
            problem(
                path("fields"),
                "a certificate needs at least one field".into(),
            );
        }
        let mut keys = HashSet::new();
        for (i, field) in self.fields.iter().enumerate() {
            let field_at = |name: &str| path(&format!("fields[{i}].{name}"));
            if !is_claim_name(&field.key) {
                problem(
                    field_at("key"),
                    "use lower-case letters, digits and underscores, starting with a letter".into(),
                );
            } else if RESERVED_CLAIMS.contains(&field.key.as_str()) {
                problem(
                    field_at("key"),
                    format!("{} is a claim the certificate format reserves", field.key),
                );
            }
            if !keys.insert(field.key.as_str()) {
                problem(field_at("key"), format!("duplicate field {}", field.key));
            }
            check_text(problem, &field_at("label"), &field.label);
            if field.personal && !field.disclosable {
                problem(
                    field_at("disclosable"),
                    "a personal field must be selectively disclosable, so the holder can \
                     leave it out"
                        .into(),
                );
            }
        }
        if let Some(message) = self.validity.problem() {
            problem(path("validity"), message);
        }
        if let Some(template) = &self.template {
            check_text(problem, &path("template.title"), &template.title);
            let mut shown = HashSet::new();
            for (j, key) in template.fields.iter().enumerate() {
                let field_at = path(&format!("template.fields[{j}]"));
                if self.field(key).is_none() {
                    problem(field_at, format!("{} has no field {key}", self.key));
                } else if !shown.insert(key.as_str()) {
                    problem(field_at, format!("{key} is shown twice"));
                }
            }
        }
    }
}

/// A JWT claim name of our own: `[a-z][a-z0-9_]*`, at most 64 bytes.
fn is_claim_name(key: &str) -> bool {
    key.len() <= 64
        && key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An absolute URI as far as a catalogue can tell: a scheme, a colon, something after it, no
/// whitespace.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

/// What a service issues when one of its cases is approved:
///
/// ```yaml
/// issues:
///   certificate: business-licence
///   fields:
///     name: form.trade_name
///     registered_on: case.decision-date
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuance {
    /// Key of the certificate type.
    pub certificate: String,
    /// Where each field's value comes from, by field key.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
}

/// `issues` as a service writes it: a map, or (in versions stored before field sources
/// existed) a bare key. Read with a visitor rather than through a JSON value, so that a bad
/// source inside the map is reported at its own line.
pub(crate) fn deserialize_issuance<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Issuance>, D::Error> {
    struct IssuanceVisitor;

    impl<'de> serde::de::Visitor<'de> for IssuanceVisitor {
        type Value = Option<Issuance>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("{ certificate: KEY, fields: { FIELD: SOURCE } }")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_any(self)
        }

        fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
            Ok(Some(Issuance {
                certificate: key.to_owned(),
                fields: BTreeMap::new(),
            }))
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Issuance::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(IssuanceVisitor)
}

/// Where a certificate field's value comes from when a case is approved. Written as a short
/// string in the catalogue:
///
/// | source | value |
/// | --- | --- |
/// | `form.KEY` | the answer to the form field `KEY` (outside repeating groups) |
/// | `applicant.name`, `applicant.resident-id`, `applicant.mobile`, `applicant.email`, `applicant.enterprise-name`, `applicant.credit-code` | from the applicant's verified profile (the same facts forms prefill) |
/// | `case.tracking-number` | the case's tracking number (办件编号) |
/// | `case.decision-date`, `case.submission-date` | the day the case was decided or submitted, in the region's time zone |
/// | `department.name` | the issuing department's name (zh-CN) |
/// | `fixed:TEXT` | the text itself, for every certificate of the service |
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    Form(String),
    Applicant(Prefill),
    CaseTrackingNumber,
    CaseDecisionDate,
    CaseSubmissionDate,
    DepartmentName,
    Fixed(String),
}

/// Why a source could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "unknown source \"{0}\": use form.FIELD, applicant.FACT, case.tracking-number, \
         case.decision-date, case.submission-date, department.name or fixed:TEXT"
    )]
    Unknown(String),
    #[error(
        "unknown applicant fact \"{0}\": name, resident-id, mobile, email, enterprise-name or credit-code"
    )]
    ApplicantFact(String),
    #[error("form. needs a field key after it")]
    EmptyFormField,
    #[error("fixed: needs a text after it")]
    EmptyFixed,
}

const APPLICANT_FACTS: [Prefill; 6] = [
    Prefill::Name,
    Prefill::ResidentId,
    Prefill::Mobile,
    Prefill::Email,
    Prefill::EnterpriseName,
    Prefill::CreditCode,
];

impl FromStr for FieldSource {
    type Err = SourceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(value) = text.strip_prefix("fixed:") {
            // The text is kept exactly, inner spaces included; only a blank one is refused.
            return if value.trim().is_empty() {
                Err(SourceError::EmptyFixed)
            } else {
                Ok(FieldSource::Fixed(value.to_owned()))
            };
        }
        if let Some(key) = text.strip_prefix("form.") {
            return if key.is_empty() {
                Err(SourceError::EmptyFormField)
            } else if key.chars().any(|c| c.is_whitespace() || c == '.') {
                Err(SourceError::Unknown(text.to_owned()))
            } else {
                Ok(FieldSource::Form(key.to_owned()))
            };
        }
        if let Some(fact) = text.strip_prefix("applicant.") {
            return APPLICANT_FACTS
                .into_iter()
                .find(|p| p.key() == fact)
                .map(FieldSource::Applicant)
                .ok_or_else(|| SourceError::ApplicantFact(fact.to_owned()));
        }
        match text {
            "case.tracking-number" => Ok(FieldSource::CaseTrackingNumber),
            "case.decision-date" => Ok(FieldSource::CaseDecisionDate),
            "case.submission-date" => Ok(FieldSource::CaseSubmissionDate),
            "department.name" => Ok(FieldSource::DepartmentName),
            _ => Err(SourceError::Unknown(text.to_owned())),
        }
    }
}

impl fmt::Display for FieldSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldSource::Form(key) => write!(f, "form.{key}"),
            FieldSource::Applicant(fact) => write!(f, "applicant.{}", fact.key()),
            FieldSource::CaseTrackingNumber => f.write_str("case.tracking-number"),
            FieldSource::CaseDecisionDate => f.write_str("case.decision-date"),
            FieldSource::CaseSubmissionDate => f.write_str("case.submission-date"),
            FieldSource::DepartmentName => f.write_str("department.name"),
            FieldSource::Fixed(text) => write!(f, "fixed:{text}"),
        }
    }
}

impl Serialize for FieldSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl FieldSource {
    /// Whether this source can fill a certificate field of type `target`; for a form answer,
    /// `form_kind` is the form field's type. `Err` says why not.
    fn feeds(&self, target: ValueType, form_kind: Option<&FieldKind>) -> Result<(), String> {
        let gives: &[ValueType] = match self {
            FieldSource::Applicant(Prefill::ResidentId) => &[ValueType::ResidentId],
            FieldSource::Applicant(Prefill::CreditCode) => &[ValueType::CreditCode],
            FieldSource::Applicant(Prefill::Mobile) => &[ValueType::Mobile],
            FieldSource::Applicant(_)
            | FieldSource::CaseTrackingNumber
            | FieldSource::DepartmentName => &[],
            FieldSource::CaseDecisionDate | FieldSource::CaseSubmissionDate => &[ValueType::Date],
            FieldSource::Fixed(text) => {
                return target.check(text).map_err(|e| {
                    format!("the fixed value does not fit a {} field: {e}", target.key())
                });
            }
            FieldSource::Form(_) => match form_kind {
                None => &[],
                Some(kind) => match kind {
                    FieldKind::Date { .. } => &[ValueType::Date],
                    FieldKind::ResidentId => &[ValueType::ResidentId],
                    FieldKind::CreditCode => &[ValueType::CreditCode],
                    FieldKind::Mobile => &[ValueType::Mobile],
                    FieldKind::Number { .. } | FieldKind::Money { .. } => &[ValueType::Number],
                    FieldKind::Text { .. }
                    | FieldKind::LongText { .. }
                    | FieldKind::Choice { .. }
                    | FieldKind::Choices { .. }
                    | FieldKind::Address { .. }
                    | FieldKind::Email => &[],
                    FieldKind::DateRange { .. }
                    | FieldKind::YesNo
                    | FieldKind::File { .. }
                    | FieldKind::ECertificate { .. }
                    | FieldKind::Group { .. } => {
                        return Err(format!(
                            "a {} answer cannot fill a certificate field",
                            kind.type_name()
                        ));
                    }
                },
            },
        };
        // Anything that has a value can be written as text.
        if target == ValueType::Text || gives.contains(&target) {
            Ok(())
        } else {
            Err(format!("{self} gives no {} value", target.key()))
        }
    }
}

/// Whether the platform may obtain a material's certificate itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fetch {
    /// With the applicant's consent, the platform fetches the certificate from the issuing
    /// department, even when the applicant holds none in their wallet.
    OnConsent,
}

/// The checks of a service's `issues` against its type and its form, with paths under `at`
/// (`services[3].issues`). `issuing_department` is the service's department.
pub(crate) fn check_issuance(
    issuance: &Issuance,
    certificate: &CertificateType,
    issuing_department: &str,
    form: Option<&FormDefinition>,
    at: &str,
    problem: &mut impl FnMut(String, String),
) {
    if certificate.department != issuing_department {
        problem(
            format!("{at}.certificate"),
            format!(
                "{} is issued by department {}, not by this service's department {issuing_department}",
                certificate.key, certificate.department
            ),
        );
    }
    for (key, source) in &issuance.fields {
        let field_at = format!("{at}.fields.{key}");
        let Some(field) = certificate.field(key) else {
            problem(field_at, format!("{} has no field {key}", certificate.key));
            continue;
        };
        let form_kind = match source {
            FieldSource::Form(name) => match form {
                None => {
                    problem(
                        field_at,
                        format!("{source}: the service has no online form"),
                    );
                    continue;
                }
                Some(form) => match form.field(name) {
                    None => {
                        problem(field_at, format!("{source}: the form has no field {name}"));
                        continue;
                    }
                    Some(f) => Some(&f.kind),
                },
            },
            _ => None,
        };
        if let Err(message) = source.feeds(field.value_type, form_kind) {
            problem(field_at, format!("{}: {message}", field.key));
        }
    }
    for field in certificate.fields.iter().filter(|f| f.required) {
        if !issuance.fields.contains_key(&field.key) {
            problem(
                format!("{at}.fields"),
                format!(
                    "no source for {}, a required field of {}",
                    field.key, certificate.key
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
