//! Applicants' answers: reading what a page posted, validating every value against its field,
//! following conditions and branches, and the final check before a submission is accepted.
//!
//! The same rules run for the HTML pages (text posted per page), for the JSON API (typed answers
//! for the whole form) and again on the server at submission, so a value can never be accepted by
//! one path and refused by another.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::conditions::Observed;
use super::{
    CHECK_ANSWERS, ChoiceOption, CrossRule, Field, FieldKind, FileKind, FormDefinition, Page,
    Prefill,
};
use crate::identity::{CreditCode, EmailAddress, IdentifierError, MobileNumber, ResidentId};
use crate::locale::LocalizedText;

/// Answers by field key. Only answered fields are present.
pub type Answers = BTreeMap<String, Answer>;

/// One field's answer, in the shape its type stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// Text, long text, numbers (normalised decimal), dates (`YYYY-MM-DD`), single choice,
    /// yes/no (`yes` | `no`) and the identifiers (normalised).
    Text(String),
    /// Money, in fen.
    Amount(i64),
    /// Multiple choice: the chosen option values, in the definition's order.
    Many(Vec<String>),
    Files(Vec<FileRef>),
    /// A repeating group's items.
    Items(Vec<Answers>),
    Range(DateSpan),
    Address(AddressAnswer),
    /// An e-certificate field: which certificate is shared, and the applicant's consent.
    Certificate(CertificateAnswer),
}

/// Where a shared e-certificate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateSource {
    /// One the applicant holds in their wallet (我的证照), named by `id`.
    Wallet,
    /// The platform fetches the applicant's current one from the issuing department.
    Fetch,
}

/// The answer to an e-certificate field. Stored only with `consent: true`: sharing the field's
/// `disclose` list with the case's department is what the applicant agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateAnswer {
    pub source: CertificateSource,
    /// The held certificate's id, for [`CertificateSource::Wallet`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The applicant agreed to share the certificate's listed fields for this application.
    pub consent: bool,
}

impl CertificateAnswer {
    /// The form's radio value: `wallet:<id>` or `fetch`.
    pub fn choice_value(&self) -> String {
        match (&self.source, &self.id) {
            (CertificateSource::Wallet, Some(id)) => format!("wallet:{id}"),
            (CertificateSource::Wallet, None) => "wallet:".to_owned(),
            (CertificateSource::Fetch, _) => "fetch".to_owned(),
        }
    }
}

/// A date range's two ends, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateSpan {
    pub from: String,
    pub to: String,
}

/// An address: a county-level division code and the rest of the address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressAnswer {
    pub division: String,
    pub street: String,
}

/// An uploaded file an answer refers to; the bytes live in the platform's file storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// The upload's id.
    pub id: String,
    /// The sanitised file name, for display.
    pub name: String,
    pub size: u64,
    pub kind: FileKind,
}

/// Why an answer is refused. The web layer turns each into a localised sentence naming the
/// field; none of them carries the value, which may be personal data.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerError {
    Required,
    TooShort {
        min: u32,
    },
    TooLong {
        max: u32,
    },
    /// The definition's `pattern_hint` says what is expected.
    PatternMismatch,
    /// Characters a text must not contain (control characters).
    InvalidCharacters,
    NotANumber,
    TooManyDecimals {
        decimals: u8,
    },
    BelowMinimum {
        min: String,
    },
    AboveMaximum {
        max: String,
    },
    NotAnAmount,
    NotADate,
    DateTooEarly {
        limit: NaiveDate,
    },
    DateTooLate {
        limit: NaiveDate,
    },
    RangeReversed,
    RangeTooLong {
        max_days: u32,
    },
    UnknownOption,
    TooFewChoices {
        min: u32,
    },
    TooManyChoices {
        max: u32,
    },
    NotYesNo,
    /// No county-level division chosen (or one the field does not allow).
    DivisionMissing,
    StreetMissing,
    Identifier(IdentifierError),
    TooManyFiles {
        max: u32,
    },
    FileKindNotAllowed,
    FileTooLarge {
        max_size_kb: u32,
    },
    TooFewItems {
        min: u32,
    },
    TooManyItems {
        max: u32,
    },
    /// A cross-field rule: this field must be later or larger than `than`.
    NotAfter {
        than: String,
    },
    /// A cross-field rule's own message.
    Rule(LocalizedText),
    /// The answer's shape does not fit the field (an API client sent a list for a date).
    WrongShape,
    /// A file the application refers to was not uploaded with it.
    UnknownFile,
    /// An e-certificate is shared only with the applicant's consent (the box was not ticked).
    ConsentRequired,
    /// The field does not let the platform fetch the certificate; pick one from the wallet.
    NotFetchable,
    /// The named certificate is not one of the applicant's of the field's type.
    CertificateNotHeld,
    /// The certificate was revoked (or suspended) by its issuer.
    CertificateRevoked,
    /// The certificate's validity has ended.
    CertificateExpired,
    /// The issuing department holds no valid certificate of this type for the applicant.
    NothingToFetch,
}

/// An answer refused, with where: `key`, `group[2].key`, `period.to`, `address.street`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub path: String,
    /// The key of the top-level field, to find its label and page.
    pub field: String,
    pub error: AnswerError,
}

/// Every file an answer set refers to, with the path of its field (`key`, `group.1.key`).
pub fn file_refs(answers: &Answers) -> Vec<(String, &FileRef)> {
    let mut out = Vec::new();
    for (key, answer) in answers {
        match answer {
            Answer::Files(files) => out.extend(files.iter().map(|f| (key.clone(), f))),
            Answer::Items(items) => {
                for (index, item) in items.iter().enumerate() {
                    for (sub, answer) in item {
                        if let Answer::Files(files) = answer {
                            out.extend(files.iter().map(|f| (format!("{key}.{index}.{sub}"), f)));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What a page posted: every `name=value` pair in order (a multiple choice posts its name once
/// per ticked box). Group items are posted as `group.N.field`, date ranges as `key.from` and
/// `key.to`, addresses as `key.province`, `key.city`, `key.county`, `key.street`.
pub type RawInput = [(String, String)];

/// What the platform already knows about the applicant, for prefilling.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub name: Option<String>,
    pub resident_id: Option<String>,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub enterprise_name: Option<String>,
    pub credit_code: Option<String>,
}

/// Looks up national administrative divisions for address fields.
pub trait DivisionLookup: Send + Sync {
    /// Whether an address can be given down to `code`: a county-level division, or a
    /// division with nothing below it (东莞, 中山, 香港).
    fn ends_address(&self, code: &str) -> bool;
}

/// What validation needs besides the answers.
pub struct CheckContext<'a> {
    /// Today in the region's time zone, for relative date limits.
    pub today: NaiveDate,
    pub divisions: &'a dyn DivisionLookup,
}

/// Where the applicant goes after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Page(String),
    /// Not eligible: an exit page.
    Exit(String),
    CheckAnswers,
}

/// The result of reading one page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageOutcome {
    /// All answers after the page: earlier answers kept, this page's replaced.
    pub answers: Answers,
    pub errors: Vec<FieldError>,
}

/// Longest text accepted when the definition sets no maximum.
const DEFAULT_TEXT_MAX: u32 = 500;
const DEFAULT_LONG_TEXT_MAX: u32 = 10_000;

/// What conditions see of one field's answer (also used by workflow routing).
pub fn observe(answers: &Answers, key: &str) -> Observed {
    match answers.get(key) {
        None => Observed::default(),
        Some(Answer::Text(text)) => Observed {
            answered: true,
            number: text.parse().ok(),
            values: vec![text.clone()],
        },
        Some(Answer::Amount(fen)) => Observed {
            answered: true,
            number: Some(*fen as f64),
            values: vec![fen.to_string()],
        },
        Some(Answer::Many(values)) => Observed {
            answered: !values.is_empty(),
            values: values.clone(),
            number: None,
        },
        Some(Answer::Files(files)) => Observed {
            answered: !files.is_empty(),
            ..Observed::default()
        },
        Some(Answer::Items(items)) => Observed {
            answered: !items.is_empty(),
            number: Some(items.len() as f64),
            values: Vec::new(),
        },
        Some(Answer::Range(_)) | Some(Answer::Address(_)) => Observed {
            answered: true,
            ..Observed::default()
        },
        // Routing sees whether a certificate is shared and from where (`wallet`, `fetch`); one
        // that is not valid never gets past submission.
        Some(Answer::Certificate(shared)) => Observed {
            answered: shared.consent,
            number: None,
            values: vec![
                match shared.source {
                    CertificateSource::Wallet => "wallet",
                    CertificateSource::Fetch => "fetch",
                }
                .to_owned(),
            ],
        },
    }
}

fn holds(condition: Option<&super::Condition>, answers: &Answers) -> bool {
    condition.is_none_or(|c| c.holds(&|key| observe(answers, key)))
}

/// The fields of `page` shown given `answers`.
pub fn visible_fields<'d>(page: &'d Page, answers: &Answers) -> Vec<&'d Field> {
    page.fields
        .iter()
        .filter(|f| holds(f.show_if.as_ref(), answers))
        .collect()
}

/// The pages an applicant with `answers` goes through, in order, and where the route ends.
/// Branches only go forward (the definition check makes sure), so this always ends.
pub fn visible_pages<'d>(def: &'d FormDefinition, answers: &Answers) -> (Vec<&'d Page>, Step) {
    let mut route = Vec::new();
    let mut index = 0;
    while let Some(page) = def.pages.get(index) {
        if !holds(page.show_if.as_ref(), answers) {
            index += 1;
            continue;
        }
        route.push(page);
        match branch_target(page, answers) {
            None => index += 1,
            Some(target) if target == CHECK_ANSWERS => return (route, Step::CheckAnswers),
            Some(target) => match def.pages.iter().position(|p| p.key == target) {
                Some(position) if position > index => index = position,
                Some(_) => index += 1,
                None => return (route, Step::Exit(target.to_owned())),
            },
        }
    }
    (route, Step::CheckAnswers)
}

fn branch_target<'d>(page: &'d Page, answers: &Answers) -> Option<&'d str> {
    page.next
        .iter()
        .find(|b| holds(b.when.as_ref(), answers))
        .map(|b| b.goto.as_str())
}

/// Where to go after `page_key`, given the answers so far.
pub fn next_step(def: &FormDefinition, page_key: &str, answers: &Answers) -> Step {
    let (route, end) = visible_pages(def, answers);
    match route.iter().position(|p| p.key == page_key) {
        Some(i) if i + 1 < route.len() => Step::Page(route[i + 1].key.clone()),
        Some(_) => end,
        // The page is no longer on the route (an earlier answer changed): continue where the
        // route needs an answer.
        None => first_unanswered(def, answers).unwrap_or(end),
    }
}

/// The first page on the route with a required field still unanswered, if any.
pub fn first_unanswered(def: &FormDefinition, answers: &Answers) -> Option<Step> {
    let (route, _) = visible_pages(def, answers);
    route
        .into_iter()
        .find(|page| {
            visible_fields(page, answers)
                .iter()
                .any(|f| f.required && !answers.contains_key(&f.key))
        })
        .map(|page| Step::Page(page.key.clone()))
}

/// Answers for prefilled fields not yet answered, from the applicant's profile.
pub fn prefill(def: &FormDefinition, answers: &Answers, profile: &Profile) -> Answers {
    let mut out = answers.clone();
    for (_, field) in def.fields() {
        let Some(source) = field.prefill else {
            continue;
        };
        if out.contains_key(&field.key) {
            continue;
        }
        let value = match source {
            Prefill::Name => &profile.name,
            Prefill::ResidentId => &profile.resident_id,
            Prefill::Mobile => &profile.mobile,
            Prefill::Email => &profile.email,
            Prefill::EnterpriseName => &profile.enterprise_name,
            Prefill::CreditCode => &profile.credit_code,
        };
        if let Some(value) = value.as_ref().filter(|v| !v.trim().is_empty()) {
            out.insert(field.key.clone(), Answer::Text(value.clone()));
        }
    }
    out
}

/// Reads a page's posted values into answers and validates them. Answers of fields hidden on
/// this page are removed; answers of other pages are kept as they were.
pub fn parse_page(
    def: &FormDefinition,
    page: &Page,
    raw: &RawInput,
    existing: &Answers,
    uploads: &BTreeMap<String, Vec<FileRef>>,
    ctx: &CheckContext<'_>,
) -> PageOutcome {
    let mut answers = existing.clone();
    let mut errors = Vec::new();
    for field in &page.fields {
        answers.remove(&field.key);
    }
    for field in visible_fields(page, existing) {
        let read = if let FieldKind::File { .. } = field.kind {
            uploads
                .get(&field.key)
                .filter(|files| !files.is_empty())
                .map(|files| Answer::Files(files.clone()))
        } else {
            read_raw(field, &field.key, raw)
        };
        match read {
            None if field.required => {
                errors.push(error(&field.key, &field.key, AnswerError::Required))
            }
            None => {}
            Some(answer) => match normalise(field, &field.key, answer, ctx) {
                Ok(answer) => {
                    answers.insert(field.key.clone(), answer);
                }
                Err(mut field_errors) => {
                    // Keep what was typed so the page shows it back; submission re-checks.
                    if let Some(kept) = read_raw(field, &field.key, raw) {
                        answers.insert(field.key.clone(), kept);
                    }
                    errors.append(&mut field_errors)
                }
            },
        }
    }
    if errors.is_empty() {
        let shown = visible_fields(page, existing);
        errors = cross_rule_errors(def, &answers, &|key| shown.iter().any(|f| f.key == key));
    }
    // Fields of later pages hidden by this page's answers are dropped at submission, not here,
    // so that changing an answer back does not lose what was typed.
    PageOutcome { answers, errors }
}

/// Checks a whole application before it becomes a case: the route must not end in an exit,
/// every shown field is validated again, answers of pages or fields not shown are dropped.
/// Returns the cleaned answers, or every error with the page it is on.
pub fn check_submission(
    def: &FormDefinition,
    answers: &Answers,
    ctx: &CheckContext<'_>,
) -> Result<Answers, SubmissionProblem> {
    let (route, end) = visible_pages(def, answers);
    if let Step::Exit(exit) = end {
        return Err(SubmissionProblem::NotEligible { exit });
    }
    let mut clean = Answers::new();
    let mut errors = Vec::new();
    for page in &route {
        for field in visible_fields(page, answers) {
            match answers.get(&field.key) {
                None if field.required => errors.push((
                    page.key.clone(),
                    error(&field.key, &field.key, AnswerError::Required),
                )),
                None => {}
                Some(answer) => match normalise(field, &field.key, answer.clone(), ctx) {
                    Ok(answer) => {
                        clean.insert(field.key.clone(), answer);
                    }
                    Err(field_errors) => {
                        errors.extend(field_errors.into_iter().map(|e| (page.key.clone(), e)))
                    }
                },
            }
        }
    }
    if errors.is_empty() {
        let shown: Vec<&str> = route
            .iter()
            .flat_map(|page| visible_fields(page, answers))
            .map(|f| f.key.as_str())
            .collect();
        for e in cross_rule_errors(def, &clean, &|key| shown.contains(&key)) {
            let page = def
                .fields()
                .find(|(_, f)| f.key == e.field)
                .map(|(p, _)| p.key.clone())
                .unwrap_or_default();
            errors.push((page, e));
        }
    }
    if errors.is_empty() {
        Ok(clean)
    } else {
        Err(SubmissionProblem::Invalid(errors))
    }
}

/// Why a submission is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SubmissionProblem {
    /// The answers lead to an exit page.
    NotEligible { exit: String },
    /// Errors with the key of the page each is on.
    Invalid(Vec<(String, FieldError)>),
}

fn error(path: &str, field: &str, error: AnswerError) -> FieldError {
    FieldError {
        path: path.to_owned(),
        field: field.to_owned(),
        error,
    }
}

fn raw_values<'r>(raw: &'r RawInput, name: &str) -> impl Iterator<Item = &'r str> {
    raw.iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn raw_value<'r>(raw: &'r RawInput, name: &str) -> Option<&'r str> {
    raw_values(raw, name).map(str::trim).find(|v| !v.is_empty())
}

/// Reads a field's posted text into the answer shape of its type, without judging it; `None`
/// when nothing was entered.
fn read_raw(field: &Field, name: &str, raw: &RawInput) -> Option<Answer> {
    match &field.kind {
        FieldKind::Choices { .. } => {
            let chosen: Vec<String> = raw_values(raw, name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect();
            (!chosen.is_empty()).then_some(Answer::Many(chosen))
        }
        FieldKind::DateRange { .. } => {
            let from = raw_value(raw, &format!("{name}.from"));
            let to = raw_value(raw, &format!("{name}.to"));
            (from.is_some() || to.is_some()).then(|| {
                Answer::Range(DateSpan {
                    from: from.unwrap_or_default().to_owned(),
                    to: to.unwrap_or_default().to_owned(),
                })
            })
        }
        FieldKind::Address { .. } => {
            let county = raw_value(raw, &format!("{name}.county"));
            let street = raw_value(raw, &format!("{name}.street"));
            let province = raw_value(raw, &format!("{name}.province"));
            let city = raw_value(raw, &format!("{name}.city"));
            (county.is_some() || street.is_some() || province.is_some() || city.is_some()).then(
                || {
                    Answer::Address(AddressAnswer {
                        division: county.unwrap_or_default().to_owned(),
                        street: street.unwrap_or_default().to_owned(),
                    })
                },
            )
        }
        FieldKind::Group { fields, .. } => {
            let mut indices: Vec<usize> = raw
                .iter()
                .filter_map(|(k, _)| {
                    let rest = k.strip_prefix(name)?.strip_prefix('.')?;
                    rest.split('.').next()?.parse().ok()
                })
                .filter(|i| *i < 1000)
                .collect();
            indices.sort_unstable();
            indices.dedup();
            let items: Vec<Answers> = indices
                .into_iter()
                .map(|i| {
                    fields
                        .iter()
                        .filter_map(|f| {
                            read_raw(f, &format!("{name}.{i}.{}", f.key), raw)
                                .map(|a| (f.key.clone(), a))
                        })
                        .collect::<Answers>()
                })
                // An item left wholly blank (the spare row of "add another") is no item.
                .filter(|item| !item.is_empty())
                .collect();
            (!items.is_empty()).then_some(Answer::Items(items))
        }
        FieldKind::Money { .. } => raw_value(raw, name).map(|v| Answer::Text(v.to_owned())),
        FieldKind::ECertificate { .. } => raw_value(raw, name).map(|choice| {
            let (source, id) = match choice.strip_prefix("wallet:") {
                Some(id) => (CertificateSource::Wallet, Some(id.trim().to_owned())),
                None if choice == "fetch" => (CertificateSource::Fetch, None),
                // Anything else names no certificate of the applicant's.
                None => (CertificateSource::Wallet, Some(choice.to_owned())),
            };
            Answer::Certificate(CertificateAnswer {
                source,
                id,
                consent: raw_value(raw, &format!("{name}.consent")) == Some("yes"),
            })
        }),
        FieldKind::LongText { .. } => raw_values(raw, name)
            .find(|v| !v.trim().is_empty())
            .map(|v| Answer::Text(v.trim().replace("\r\n", "\n"))),
        _ => raw_value(raw, name).map(|v| Answer::Text(v.to_owned())),
    }
}

/// Validates one answer against its field and returns it in its stored form.
fn normalise(
    field: &Field,
    path: &str,
    answer: Answer,
    ctx: &CheckContext<'_>,
) -> Result<Answer, Vec<FieldError>> {
    let fail = |e: AnswerError| vec![error(path, &field.key, e)];
    match (&field.kind, answer) {
        (
            FieldKind::Text {
                min_length,
                max_length,
                pattern,
                ..
            },
            Answer::Text(text),
        ) => {
            let text = text.trim().to_owned();
            check_text(
                &text,
                *min_length,
                max_length.unwrap_or(DEFAULT_TEXT_MAX),
                false,
            )
            .map_err(fail)?;
            if let Some(pattern) = pattern {
                // The definition check compiled it already; a pattern that fails here is
                // treated as not matching rather than as a server error.
                let matches = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .is_ok_and(|re| re.is_match(&text));
                if !matches {
                    return Err(fail(AnswerError::PatternMismatch));
                }
            }
            Ok(Answer::Text(text))
        }
        (
            FieldKind::LongText {
                min_length,
                max_length,
            },
            Answer::Text(text),
        ) => {
            let text = text.trim().replace("\r\n", "\n");
            check_text(
                &text,
                *min_length,
                max_length.unwrap_or(DEFAULT_LONG_TEXT_MAX),
                true,
            )
            .map_err(fail)?;
            Ok(Answer::Text(text))
        }
        (
            FieldKind::Number {
                min, max, decimals, ..
            },
            Answer::Text(text),
        ) => {
            let normalised = parse_decimal(&text, *decimals).map_err(fail)?;
            let value: f64 = normalised
                .parse()
                .map_err(|_| fail(AnswerError::NotANumber))?;
            if let Some(min) = min.filter(|m| value < *m) {
                return Err(fail(AnswerError::BelowMinimum {
                    min: format_number(min),
                }));
            }
            if let Some(max) = max.filter(|m| value > *m) {
                return Err(fail(AnswerError::AboveMaximum {
                    max: format_number(max),
                }));
            }
            Ok(Answer::Text(normalised))
        }
        (FieldKind::Money { min, max }, answer) => {
            let fen = match answer {
                Answer::Amount(fen) => fen,
                Answer::Text(text) => {
                    parse_yuan(&text).ok_or_else(|| fail(AnswerError::NotAnAmount))?
                }
                _ => return Err(fail(AnswerError::WrongShape)),
            };
            if let Some(min) = min.filter(|m| fen < m.0) {
                return Err(fail(AnswerError::BelowMinimum {
                    min: min.to_string(),
                }));
            }
            if let Some(max) = max.filter(|m| fen > m.0) {
                return Err(fail(AnswerError::AboveMaximum {
                    max: max.to_string(),
                }));
            }
            Ok(Answer::Amount(fen))
        }
        (
            FieldKind::Date {
                not_before,
                not_after,
            },
            Answer::Text(text),
        ) => {
            let date = parse_date(&text).ok_or_else(|| fail(AnswerError::NotADate))?;
            check_date_bounds(date, *not_before, *not_after, ctx.today).map_err(fail)?;
            Ok(Answer::Text(date.format("%Y-%m-%d").to_string()))
        }
        (
            FieldKind::DateRange {
                not_before,
                not_after,
                max_days,
            },
            Answer::Range(span),
        ) => {
            let from_path = format!("{path}.from");
            let to_path = format!("{path}.to");
            let from = parse_date(&span.from)
                .ok_or_else(|| vec![error(&from_path, &field.key, AnswerError::NotADate)])?;
            let to = parse_date(&span.to)
                .ok_or_else(|| vec![error(&to_path, &field.key, AnswerError::NotADate)])?;
            check_date_bounds(from, *not_before, *not_after, ctx.today)
                .map_err(|e| vec![error(&from_path, &field.key, e)])?;
            check_date_bounds(to, *not_before, *not_after, ctx.today)
                .map_err(|e| vec![error(&to_path, &field.key, e)])?;
            if to < from {
                return Err(vec![error(
                    &to_path,
                    &field.key,
                    AnswerError::RangeReversed,
                )]);
            }
            if let Some(max_days) = max_days
                && (to - from).num_days() + 1 > i64::from(*max_days)
            {
                return Err(vec![error(
                    &to_path,
                    &field.key,
                    AnswerError::RangeTooLong {
                        max_days: *max_days,
                    },
                )]);
            }
            Ok(Answer::Range(DateSpan {
                from: from.format("%Y-%m-%d").to_string(),
                to: to.format("%Y-%m-%d").to_string(),
            }))
        }
        (FieldKind::Choice { options }, Answer::Text(value)) => {
            let value = value.trim();
            if has_option(options, value) {
                Ok(Answer::Text(value.to_owned()))
            } else {
                Err(fail(AnswerError::UnknownOption))
            }
        }
        (FieldKind::Choices { options, min, max }, answer) => {
            let chosen = match answer {
                Answer::Many(values) => values,
                Answer::Text(value) => vec![value],
                _ => return Err(fail(AnswerError::WrongShape)),
            };
            if chosen.iter().any(|v| !has_option(options, v)) {
                return Err(fail(AnswerError::UnknownOption));
            }
            // Stored in the definition's order, once each.
            let ordered: Vec<String> = options
                .iter()
                .filter(|o| chosen.contains(&o.value))
                .map(|o| o.value.clone())
                .collect();
            let count = ordered.len() as u32;
            if let Some(min) = min.filter(|m| count < *m) {
                return Err(fail(AnswerError::TooFewChoices { min }));
            }
            if let Some(max) = max.filter(|m| count > *m) {
                return Err(fail(AnswerError::TooManyChoices { max }));
            }
            Ok(Answer::Many(ordered))
        }
        (FieldKind::YesNo, Answer::Text(value)) => match value.trim() {
            "yes" | "no" => Ok(Answer::Text(value.trim().to_owned())),
            _ => Err(fail(AnswerError::NotYesNo)),
        },
        (FieldKind::Address { within }, Answer::Address(address)) => {
            let county = address.division.trim();
            let allowed = within
                .as_deref()
                .is_none_or(|w| county.starts_with(division_prefix(w)));
            if county.is_empty() || !ctx.divisions.ends_address(county) || !allowed {
                return Err(vec![error(
                    &format!("{path}.county"),
                    &field.key,
                    AnswerError::DivisionMissing,
                )]);
            }
            let street = address.street.trim();
            let street_path = format!("{path}.street");
            if street.is_empty() {
                return Err(vec![error(
                    &street_path,
                    &field.key,
                    AnswerError::StreetMissing,
                )]);
            }
            check_text(street, Some(2), 120, false)
                .map_err(|e| vec![error(&street_path, &field.key, e)])?;
            Ok(Answer::Address(AddressAnswer {
                division: county.to_owned(),
                street: street.to_owned(),
            }))
        }
        (FieldKind::ResidentId, Answer::Text(text)) => ResidentId::parse_as_of(&text, ctx.today)
            .map(|id| Answer::Text(id.as_str().to_owned()))
            .map_err(|e| fail(AnswerError::Identifier(e))),
        (FieldKind::CreditCode, Answer::Text(text)) => CreditCode::parse(&text)
            .map(|code| Answer::Text(code.as_str().to_owned()))
            .map_err(|e| fail(AnswerError::Identifier(e))),
        (FieldKind::Mobile, Answer::Text(text)) => MobileNumber::parse(&text)
            .map(|m| Answer::Text(m.as_str().to_owned()))
            .map_err(|e| fail(AnswerError::Identifier(e))),
        (FieldKind::Email, Answer::Text(text)) => EmailAddress::parse(&text)
            .map(|m| Answer::Text(m.as_str().to_owned()))
            .map_err(|e| fail(AnswerError::Identifier(e))),
        (
            FieldKind::File {
                accept,
                max_size_kb,
                max_count,
            },
            Answer::Files(files),
        ) => {
            if files.len() as u32 > *max_count {
                return Err(fail(AnswerError::TooManyFiles { max: *max_count }));
            }
            if files.iter().any(|f| !accept.contains(&f.kind)) {
                return Err(fail(AnswerError::FileKindNotAllowed));
            }
            if files
                .iter()
                .any(|f| f.size > u64::from(*max_size_kb) * 1024)
            {
                return Err(fail(AnswerError::FileTooLarge {
                    max_size_kb: *max_size_kb,
                }));
            }
            Ok(Answer::Files(files))
        }
        (FieldKind::ECertificate { fetch, .. }, Answer::Certificate(shared)) => {
            if !shared.consent {
                return Err(fail(AnswerError::ConsentRequired));
            }
            match shared.source {
                CertificateSource::Fetch if fetch.is_none() => Err(fail(AnswerError::NotFetchable)),
                CertificateSource::Fetch => Ok(Answer::Certificate(CertificateAnswer {
                    id: None,
                    ..shared
                })),
                // Whether the applicant holds it is the services' check; here only its shape.
                CertificateSource::Wallet => match shared
                    .id
                    .as_deref()
                    .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok())
                {
                    Some(id) => Ok(Answer::Certificate(CertificateAnswer {
                        id: Some(id.to_string()),
                        ..shared
                    })),
                    None => Err(fail(AnswerError::CertificateNotHeld)),
                },
            }
        }
        (
            FieldKind::Group {
                fields,
                min_items,
                max_items,
                ..
            },
            Answer::Items(items),
        ) => {
            let count = items.len() as u32;
            if count > *max_items {
                return Err(fail(AnswerError::TooManyItems { max: *max_items }));
            }
            if count < *min_items {
                return Err(fail(AnswerError::TooFewItems { min: *min_items }));
            }
            let mut errors = Vec::new();
            let mut clean_items = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let mut clean = Answers::new();
                for sub in fields {
                    let sub_path = format!("{path}.{index}.{}", sub.key);
                    match item.get(&sub.key) {
                        None if sub.required => {
                            errors.push(error(&sub_path, &field.key, AnswerError::Required))
                        }
                        None => {}
                        Some(answer) => match normalise(sub, &sub_path, answer.clone(), ctx) {
                            Ok(answer) => {
                                clean.insert(sub.key.clone(), answer);
                            }
                            Err(sub_errors) => {
                                errors.extend(sub_errors.into_iter().map(|mut e| {
                                    e.field = field.key.clone();
                                    e
                                }))
                            }
                        },
                    }
                }
                clean_items.push(clean);
            }
            if errors.is_empty() {
                Ok(Answer::Items(clean_items))
            } else {
                Err(errors)
            }
        }
        _ => Err(fail(AnswerError::WrongShape)),
    }
}

fn has_option(options: &[ChoiceOption], value: &str) -> bool {
    options.iter().any(|o| o.value == value)
}

/// The significant leading digits of a division code: `440300` → `4403`, `440000` → `44`.
pub fn division_prefix(code: &str) -> &str {
    let mut prefix = code;
    while prefix.len() > 2 && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    prefix
}

fn check_text(text: &str, min: Option<u32>, max: u32, multiline: bool) -> Result<(), AnswerError> {
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err(AnswerError::InvalidCharacters);
    }
    // Characters, not bytes: a name outside the Basic Multilingual Plane counts as one.
    let length = text.chars().count() as u32;
    if let Some(min) = min.filter(|m| length < *m) {
        return Err(AnswerError::TooShort { min });
    }
    if length > max {
        return Err(AnswerError::TooLong { max });
    }
    Ok(())
}

/// Full-width digits and punctuation, as Chinese input methods type them, to ASCII.
fn to_ascii_digits(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '．' | '。' => '.',
            '－' => '-',
            '，' => ',',
            c => c,
        })
        .collect()
}

/// A decimal number as typed (thousands separators allowed) to its normalised text.
fn parse_decimal(text: &str, decimals: u8) -> Result<String, AnswerError> {
    let text: String = to_ascii_digits(text)
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    if whole.is_empty()
        || whole.len() > 15
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (body.contains('.') && fraction.is_empty())
    {
        return Err(AnswerError::NotANumber);
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(decimals) {
        return Err(AnswerError::TooManyDecimals { decimals });
    }
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let sign = if negative && (whole != "0" || !fraction.is_empty()) {
        "-"
    } else {
        ""
    };
    Ok(if fraction.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    })
}

fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Yuan as typed (`1,234.5`, `¥20`, `２０元`) to fen; at most two decimals.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let text = to_ascii_digits(text);
    let text = text
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .trim();
    let normalised = parse_decimal(text, 2).ok()?;
    let (negative, body) = match normalised.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, normalised.as_str()),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    let fen = whole.checked_mul(100)?.checked_add(fraction)?;
    Some(if negative { -fen } else { fen })
}

/// A date as people write it: `2026-01-05`, `2026/1/5`, `2026.1.5` or `2026年1月5日`.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = to_ascii_digits(text);
    let text = text.trim().trim_end_matches('日');
    let parts: Vec<&str> = text.split(['-', '/', '.', '年', '月']).collect();
    let [year, month, day] = parts[..] else {
        return None;
    };
    if year.len() != 4
        || !(1..=2).contains(&month.len())
        || !(1..=2).contains(&day.len())
        || ![year, month, day]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

fn check_date_bounds(
    date: NaiveDate,
    not_before: Option<super::DateBound>,
    not_after: Option<super::DateBound>,
    today: NaiveDate,
) -> Result<(), AnswerError> {
    if let Some(limit) = not_before.map(|b| b.resolve(today)).filter(|l| date < *l) {
        return Err(AnswerError::DateTooEarly { limit });
    }
    if let Some(limit) = not_after.map(|b| b.resolve(today)).filter(|l| date > *l) {
        return Err(AnswerError::DateTooLate { limit });
    }
    Ok(())
}

/// Comparable value of an answer for `after` rules: dates and numbers.
fn comparable(answer: &Answer) -> Option<f64> {
    match answer {
        Answer::Amount(fen) => Some(*fen as f64),
        Answer::Text(text) => parse_date(text)
            .map(|d| f64::from(d.num_days_from_ce()))
            .or_else(|| text.parse().ok()),
        Answer::Range(span) => parse_date(&span.from).map(|d| f64::from(d.num_days_from_ce())),
        _ => None,
    }
}

use chrono::Datelike;

/// Cross-field rule errors of the rules whose field `applies` (is shown where this runs).
fn cross_rule_errors(
    def: &FormDefinition,
    answers: &Answers,
    applies: &dyn Fn(&str) -> bool,
) -> Vec<FieldError> {
    let on_page = |key: &str| applies(key);
    let mut errors = Vec::new();
    for rule in &def.rules {
        match rule {
            CrossRule::After {
                field,
                than,
                message,
            } if on_page(field) => {
                let (Some(a), Some(b)) = (answers.get(field), answers.get(than)) else {
                    continue;
                };
                if let (Some(a), Some(b)) = (comparable(a), comparable(b))
                    && a <= b
                {
                    let e = if message.is_empty() {
                        AnswerError::NotAfter { than: than.clone() }
                    } else {
                        AnswerError::Rule(message.clone())
                    };
                    errors.push(error(field, field, e));
                }
            }
            CrossRule::RequiredIf {
                field,
                when,
                message,
            } if on_page(field)
                && !answers.contains_key(field)
                && when.holds(&|key| observe(answers, key)) =>
            {
                let e = if message.is_empty() {
                    AnswerError::Required
                } else {
                    AnswerError::Rule(message.clone())
                };
                errors.push(error(field, field, e));
            }
            _ => {}
        }
    }
    errors
}
