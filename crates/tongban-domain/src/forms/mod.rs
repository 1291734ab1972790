//! Application forms (申请表单) as data: the schema a service version's form is written in,
//! the checks a definition must pass before it is published, the rules that validate an
//! applicant's answers page by page, and the tracking numbers cases are known by.
//!
//! A form is part of a service version in the catalogue YAML (`services[].form`) and is stored
//! with it, so a case always records the exact form it was submitted on. Nothing about a
//! particular form lives in code. The schema is documented in docs/forms.md.

mod answers;
mod check;
mod conditions;
mod display;
#[cfg(test)]
mod tests;
mod tracking;

use serde::{Deserialize, Serialize};

use crate::locale::LocalizedText;
use crate::money::Fen;

pub use answers::{
    AddressAnswer, Answer, AnswerError, Answers, CertificateAnswer, CertificateSource,
    CheckContext, DateSpan, DivisionLookup, FieldError, FileRef, PageOutcome, Profile, RawInput,
    Step, SubmissionProblem, check_submission, division_prefix, file_refs, first_unanswered,
    next_step, observe, parse_date, parse_page, parse_yuan, prefill, visible_fields, visible_pages,
};
pub use check::{FormProblem, is_field_key};
pub use conditions::{Condition, FieldNumber, FieldValue, FieldValues, Observed};
pub use display::{DisplayWords, SummaryRow, answer_lines, summary_rows};
pub use tracking::{TrackingNumber, TrackingNumberError, check_character, valid_prefix};

/// The schema tag a form definition carries; a later incompatible schema gets a new tag.
pub const FORM_SCHEMA: &str = "tongban/form/v1";

/// A service version's application form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    #[serde(default = "form_schema")]
    pub schema: String,
    /// Question pages in the order they are asked (branches may skip some).
    pub pages: Vec<Page>,
    /// Pages that end the application for people who are not eligible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exits: Vec<ExitPage>,
    /// Rules that involve more than one field (an end date after a start date).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<CrossRule>,
    /// What the applicant declares before submitting.
    pub declaration: Declaration,
}

fn form_schema() -> String {
    FORM_SCHEMA.to_owned()
}

/// One page: a group of questions asked together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// Stable key, used in URLs (`/apply/{service}/{page}`) and in conditions.
    pub key: String,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    pub intro: LocalizedText,
    pub fields: Vec<Field>,
    /// The page is asked only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Branches taken after this page, the first that holds wins; without one the next page
    /// in order follows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<Branch>,
}

/// Where to go after a page when a condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Without a condition the branch is always taken (and must be the page's last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    /// A page key, an exit page key, or `check-answers` to skip to the end.
    pub goto: String,
}

/// The target of a branch that skips every remaining page.
pub const CHECK_ANSWERS: &str = "check-answers";

/// A page that tells an applicant they cannot apply here, and why, and what to do instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitPage {
    pub key: String,
    pub title: LocalizedText,
    pub body: LocalizedText,
}

/// The declaration (承诺) the applicant confirms before submitting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    pub text: LocalizedText,
    /// The label of the box the applicant ticks.
    pub confirm: LocalizedText,
}

/// One question.
// No `deny_unknown_fields` here: serde does not support it with `flatten`. The flattened
// `FieldKind` denies what neither it nor this struct knows, so typos are still errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Unique within the form (within its group for fields of a repeating group).
    pub key: String,
    pub label: LocalizedText,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    pub help: LocalizedText,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub required: bool,
    /// The field is asked only when this holds; a hidden field's answer is discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// Filled in from the applicant's profile when the field is first shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<Prefill>,
    #[serde(flatten)]
    pub kind: FieldKind,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

/// What a field asks for, with the constraints of its type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum FieldKind {
    /// One line of text.
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_length: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
        /// A regular expression the whole answer must match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        /// What to tell the applicant when the pattern does not match.
        #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
        pattern_hint: LocalizedText,
    },
    /// Several lines of text.
    LongText {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_length: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    /// A number, with at most `decimals` digits after the point.
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        #[serde(default)]
        decimals: u8,
        /// Shown after the input (㎡, 人).
        #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
        unit: LocalizedText,
    },
    /// An amount of money in yuan, stored as fen.
    Money {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<Fen>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Fen>,
    },
    /// A calendar date.
    Date {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_before: Option<DateBound>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_after: Option<DateBound>,
    },
    /// A start and an end date, the end not before the start.
    DateRange {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_before: Option<DateBound>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_after: Option<DateBound>,
        /// The longest allowed span, in days, counting both ends.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_days: Option<u32>,
    },
    /// One option out of several (radios, or a select when there are many).
    Choice {
        options: Vec<ChoiceOption>,
    },
    /// Any number of options (checkboxes).
    Choices {
        options: Vec<ChoiceOption>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u32>,
    },
    /// Yes or no.
    YesNo,
    /// Province, city and district from the national division codes, then the street.
    Address {
        /// Restrict the choice to divisions under this code (e.g. the region's own city).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        within: Option<String>,
    },
    /// A resident ID number (GB 11643), checked and stored normalised.
    ResidentId,
    /// A unified social credit code (GB 32100).
    CreditCode,
    /// A mainland mobile number.
    Mobile,
    Email,
    /// Uploaded files.
    File {
        /// Allowed kinds, recognised by content, not by file name.
        accept: Vec<FileKind>,
        /// Largest size of one file, in kilobytes (1 KB = 1,024 bytes).
        max_size_kb: u32,
        #[serde(default = "one")]
        max_count: u32,
    },
    /// An e-certificate the government already issued (营业执照, 无犯罪记录证明), shared with
    /// the department instead of an uploaded copy: the applicant picks one from their wallet
    /// or, where `fetch` allows, lets the platform fetch it from the issuing department. Either
    /// way they consent to sharing the `disclose` fields with this department for this case.
    ECertificate {
        /// The certificate type's key in the catalogue (`business-licence`).
        certificate_type: String,
        /// The certificate's fields the department receives; empty shares every field the
        /// type marks disclosable.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        disclose: Vec<String>,
        /// Whether the platform may fetch it from the issuing department on the applicant's
        /// consent when their wallet holds none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fetch: Option<crate::certificate_types::Fetch>,
    },
    /// A repeating group (family members): the same questions asked for each item.
    Group {
        fields: Vec<Field>,
        #[serde(default)]
        min_items: u32,
        max_items: u32,
        /// How one item is called ("family member"), for "add another" and headings.
        item_label: LocalizedText,
    },
}

fn one() -> u32 {
    1
}

impl FieldKind {
    /// The schema's name of the type, as written in `type:`.
    pub fn type_name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::LongText { .. } => "long-text",
            FieldKind::Number { .. } => "number",
            FieldKind::Money { .. } => "money",
            FieldKind::Date { .. } => "date",
            FieldKind::DateRange { .. } => "date-range",
            FieldKind::Choice { .. } => "choice",
            FieldKind::Choices { .. } => "choices",
            FieldKind::YesNo => "yes-no",
            FieldKind::Address { .. } => "address",
            FieldKind::ResidentId => "resident-id",
            FieldKind::CreditCode => "credit-code",
            FieldKind::Mobile => "mobile",
            FieldKind::Email => "email",
            FieldKind::File { .. } => "file",
            FieldKind::ECertificate { .. } => "e-certificate",
            FieldKind::Group { .. } => "group",
        }
    }

    /// Every type name, for editors' type pickers.
    pub const TYPE_NAMES: [&'static str; 17] = [
        "text",
        "long-text",
        "number",
        "money",
        "date",
        "date-range",
        "choice",
        "choices",
        "yes-no",
        "address",
        "resident-id",
        "credit-code",
        "mobile",
        "email",
        "file",
        "e-certificate",
        "group",
    ];
}

/// One option of a choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// What is stored and what conditions compare with.
    pub value: String,
    pub label: LocalizedText,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    pub hint: LocalizedText,
}

/// A limit on a date: a fixed date, or relative to the day the applicant answers.
///
/// Written as `2020-01-01`, `today`, `today+30` or `today-365` (days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateBound {
    Fixed(chrono::NaiveDate),
    /// Days from today (negative for the past).
    Today(i32),
}

impl DateBound {
    pub fn parse(text: &str) -> Option<DateBound> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("today") {
            if rest.is_empty() {
                return Some(DateBound::Today(0));
            }
            let (sign, digits) = match rest.as_bytes()[0] {
                b'+' => (1, &rest[1..]),
                b'-' => (-1, &rest[1..]),
                _ => return None,
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let days: i32 = digits.parse().ok().filter(|d| *d <= 36_600)?;
            return Some(DateBound::Today(sign * days));
        }
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .map(DateBound::Fixed)
    }

    pub fn resolve(self, today: chrono::NaiveDate) -> chrono::NaiveDate {
        match self {
            DateBound::Fixed(date) => date,
            DateBound::Today(days) => today
                .checked_add_signed(chrono::Duration::days(i64::from(days)))
                .unwrap_or(today),
        }
    }
}

impl std::fmt::Display for DateBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateBound::Fixed(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            DateBound::Today(0) => f.write_str("today"),
            DateBound::Today(days) if *days > 0 => write!(f, "today+{days}"),
            DateBound::Today(days) => write!(f, "today{days}"),
        }
    }
}

impl Serialize for DateBound {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DateBound {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DateBound::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a date bound: write YYYY-MM-DD, today, today+N or today-N"
            ))
        })
    }
}

/// Kinds of uploaded file, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Pdf,
    Jpeg,
    Png,
    /// OFD, China's fixed-layout document format (GB/T 33190), a ZIP container.
    Ofd,
}

impl FileKind {
    pub const ALL: [FileKind; 4] = [FileKind::Pdf, FileKind::Jpeg, FileKind::Png, FileKind::Ofd];

    pub fn key(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
            FileKind::Ofd => "ofd",
        }
    }

    pub fn from_key(key: &str) -> Option<FileKind> {
        FileKind::ALL.into_iter().find(|k| k.key() == key)
    }

    pub fn media_type(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Ofd => "application/ofd",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Ofd => "ofd",
        }
    }

    /// The kind a file's first bytes announce, if any we accept. An OFD is a ZIP container;
    /// telling it from other ZIPs needs its `OFD.xml` entry, which the storage layer checks.
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        if head.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else if head.starts_with(b"PK\x03\x04") {
            Some(FileKind::Ofd)
        } else {
            None
        }
    }
}

/// Facts from the applicant's profile a field can start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prefill {
    /// The person's legal name.
    Name,
    /// Their resident ID number.
    ResidentId,
    Mobile,
    Email,
    /// The name of the enterprise they act for.
    EnterpriseName,
    /// The unified social credit code of the enterprise they act for.
    CreditCode,
}

impl Prefill {
    pub fn key(self) -> &'static str {
        match self {
            Prefill::Name => "name",
            Prefill::ResidentId => "resident-id",
            Prefill::Mobile => "mobile",
            Prefill::Email => "email",
            Prefill::EnterpriseName => "enterprise-name",
            Prefill::CreditCode => "credit-code",
        }
    }
}

/// A rule between two fields of the form (outside repeating groups), written as a one-key
/// mapping: `- after: { field: finish, than: start }`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CrossRuleRepr", into = "CrossRuleRepr")]
pub enum CrossRule {
    /// The date (or number, or amount) in `field` must be later / larger than in `than`.
    After {
        field: String,
        than: String,
        message: LocalizedText,
    },
    /// `field` must be answered when `when` holds, even if it is optional otherwise.
    RequiredIf {
        field: String,
        when: Condition,
        message: LocalizedText,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AfterRepr {
    field: String,
    than: String,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    message: LocalizedText,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredIfRepr {
    field: String,
    when: Condition,
    #[serde(default, skip_serializing_if = "LocalizedText::is_empty")]
    message: LocalizedText,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossRuleRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    after: Option<AfterRepr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required_if: Option<RequiredIfRepr>,
}

impl TryFrom<CrossRuleRepr> for CrossRule {
    type Error = &'static str;

    fn try_from(repr: CrossRuleRepr) -> Result<Self, Self::Error> {
        match (repr.after, repr.required_if) {
            (Some(a), None) => Ok(CrossRule::After {
                field: a.field,
                than: a.than,
                message: a.message,
            }),
            (None, Some(r)) => Ok(CrossRule::RequiredIf {
                field: r.field,
                when: r.when,
                message: r.message,
            }),
            _ => Err("a rule is exactly one of after or required_if"),
        }
    }
}

impl From<CrossRule> for CrossRuleRepr {
    fn from(rule: CrossRule) -> Self {
        match rule {
            CrossRule::After {
                field,
                than,
                message,
            } => CrossRuleRepr {
                after: Some(AfterRepr {
                    field,
                    than,
                    message,
                }),
                ..Default::default()
            },
            CrossRule::RequiredIf {
                field,
                when,
                message,
            } => CrossRuleRepr {
                required_if: Some(RequiredIfRepr {
                    field,
                    when,
                    message,
                }),
                ..Default::default()
            },
        }
    }
}

impl FormDefinition {
    /// Every field of the form outside groups, with the page it is on.
    pub fn fields(&self) -> impl Iterator<Item = (&Page, &Field)> {
        self.pages
            .iter()
            .flat_map(|page| page.fields.iter().map(move |field| (page, field)))
    }

    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields().map(|(_, f)| f).find(|f| f.key == key)
    }

    pub fn page(&self, key: &str) -> Option<&Page> {
        self.pages.iter().find(|p| p.key == key)
    }

    pub fn exit(&self, key: &str) -> Option<&ExitPage> {
        self.exits.iter().find(|p| p.key == key)
    }
}
