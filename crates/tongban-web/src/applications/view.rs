//! What a form page shows, built from the form definition, the answers so far and the errors:
//! one view per field with its label, hint, value, options and error, ready for the template.
//! The administrators' preview builds the same views, so it shows exactly what applicants see.

use std::collections::BTreeMap;

use tongban_domain::divisions::{Divisions, Level};
use tongban_domain::forms::{
    Answer, AnswerError, Answers, Field, FieldError, FieldKind, FileKind, FormDefinition, Page,
    RawInput, visible_fields,
};
use tongban_domain::identity::IdentifierError;
use tongban_domain::{Fen, Locale};

use crate::i18n::Tr;

/// One option of a choice, as shown.
#[derive(Debug, Clone)]
pub struct OptionView {
    pub id: String,
    pub value: String,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

/// A division to pick in an address field.
pub struct DivisionOption {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// An uploaded file already attached to a field.
pub struct FileView {
    pub id: String,
    pub name: String,
    pub size_kb: u64,
}

/// One item of a repeating group.
pub struct ItemView {
    pub index: usize,
    pub heading: String,
    pub fields: Vec<FieldView>,
}

/// One question, ready for the template.
pub struct FieldView {
    /// The form-control name (`key`, `group.2.key`).
    pub name: String,
    /// The element id (dots become hyphens), also the error summary's link target.
    pub id: String,
    pub label: String,
    pub hint: String,
    pub required: bool,
    /// The field type's schema name, which the template switches on.
    pub kind: &'static str,
    pub input_type: &'static str,
    pub inputmode: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
    pub value_to: String,
    pub unit: String,
    pub options: Vec<OptionView>,
    pub error: Option<String>,
    pub provinces: Vec<DivisionOption>,
    pub cities: Vec<DivisionOption>,
    pub counties: Vec<DivisionOption>,
    pub files: Vec<FileView>,
    pub accept: String,
    pub accept_names: String,
    pub max_size_kb: u32,
    /// "PDF / JPG, up to 5 MB each".
    pub file_hint: String,
    pub can_add_file: bool,
    pub items: Vec<ItemView>,
    pub item_label: String,
    pub can_add_item: bool,
    /// An e-certificate field: labels of the fields the department will receive.
    pub disclosed: Vec<String>,
    /// The consent sentence the applicant ticks.
    pub consent_text: String,
    pub consent_checked: bool,
    /// Said instead of options when none can be offered.
    pub none_text: String,
}

/// What an e-certificate field offers, worded for the page: built from the services' offer
/// by the page handler, which knows the applicant, the catalogue and the language.
#[derive(Debug, Clone, Default)]
pub struct CertificateChoices {
    /// One per valid certificate held (`wallet:<id>`), then `fetch` where allowed.
    pub options: Vec<OptionView>,
    pub disclosed: Vec<String>,
    pub consent_text: String,
    pub none_text: String,
}

/// The message for an answer error, naming the field.
pub fn error_message(tr: &Tr<'_>, locale: Locale, label: &str, error: &AnswerError) -> String {
    let with = |key: &str, args: &[(&str, String)]| {
        let mut all: Vec<(&str, String)> = vec![("label", label.to_owned())];
        all.extend(args.iter().cloned());
        tr.tn(key, &all)
    };
    match error {
        AnswerError::Required => with("apply-error-required", &[]),
        AnswerError::TooShort { min } => with("apply-error-too-short", &[("min", min.to_string())]),
        AnswerError::TooLong { max } => with("apply-error-too-long", &[("max", max.to_string())]),
        AnswerError::PatternMismatch => with("apply-error-pattern", &[]),
        AnswerError::InvalidCharacters => with("apply-error-characters", &[]),
        AnswerError::NotANumber => with("apply-error-number", &[]),
        AnswerError::TooManyDecimals { decimals } => with(
            "apply-error-decimals",
            &[("decimals", decimals.to_string())],
        ),
        AnswerError::BelowMinimum { min } => with("apply-error-min", &[("min", min.clone())]),
        AnswerError::AboveMaximum { max } => with("apply-error-max", &[("max", max.clone())]),
        AnswerError::NotAnAmount => with("apply-error-amount", &[]),
        AnswerError::NotADate => with("apply-error-date", &[]),
        AnswerError::DateTooEarly { limit } => with(
            "apply-error-date-early",
            &[("date", limit.format("%Y-%m-%d").to_string())],
        ),
        AnswerError::DateTooLate { limit } => with(
            "apply-error-date-late",
            &[("date", limit.format("%Y-%m-%d").to_string())],
        ),
        AnswerError::RangeReversed => with("apply-error-range-reversed", &[]),
        AnswerError::RangeTooLong { max_days } => {
            with("apply-error-range-long", &[("days", max_days.to_string())])
        }
        AnswerError::UnknownOption => with("apply-error-option", &[]),
        AnswerError::TooFewChoices { min } => {
            with("apply-error-choices-few", &[("min", min.to_string())])
        }
        AnswerError::TooManyChoices { max } => {
            with("apply-error-choices-many", &[("max", max.to_string())])
        }
        AnswerError::NotYesNo => with("apply-error-yes-no", &[]),
        AnswerError::DivisionMissing => with("apply-error-division", &[]),
        AnswerError::StreetMissing => with("apply-error-street", &[]),
        AnswerError::Identifier(e) => identifier_message(tr, label, e),
        AnswerError::TooManyFiles { max } => {
            with("apply-error-files-many", &[("max", max.to_string())])
        }
        AnswerError::FileKindNotAllowed => with("apply-error-file-kind", &[]),
        AnswerError::FileTooLarge { max_size_kb } => with(
            "apply-error-file-large",
            &[("size", size_text(u64::from(*max_size_kb)))],
        ),
        AnswerError::TooFewItems { min } => {
            with("apply-error-items-few", &[("min", min.to_string())])
        }
        AnswerError::TooManyItems { max } => {
            with("apply-error-items-many", &[("max", max.to_string())])
        }
        AnswerError::NotAfter { than } => with("apply-error-after", &[("other", than.clone())]),
        AnswerError::Rule(text) => text.get(locale).to_owned(),
        AnswerError::WrongShape => with("apply-error-shape", &[]),
        AnswerError::UnknownFile => with("apply-error-file-unknown", &[]),
        AnswerError::ConsentRequired => with("apply-error-cert-consent", &[]),
        AnswerError::NotFetchable => with("apply-error-cert-not-fetchable", &[]),
        AnswerError::CertificateNotHeld => with("apply-error-cert-not-held", &[]),
        AnswerError::CertificateRevoked => with("apply-error-cert-revoked", &[]),
        AnswerError::CertificateExpired => with("apply-error-cert-expired", &[]),
        AnswerError::NothingToFetch => with("apply-error-cert-nothing", &[]),
    }
}

fn identifier_message(tr: &Tr<'_>, label: &str, error: &IdentifierError) -> String {
    let key = match error {
        IdentifierError::Empty => "apply-error-required",
        IdentifierError::WrongLength { .. } | IdentifierError::LengthOutOfRange { .. } => {
            "apply-error-id-length"
        }
        IdentifierError::InvalidCharacter { .. } => "apply-error-id-character",
        _ => "apply-error-id-invalid",
    };
    tr.tn(key, &[("label", label.to_owned())])
}

/// `1024` KB as "1 MB", `500` as "500 KB".
pub fn size_text(kb: u64) -> String {
    if kb >= 1024 && kb.is_multiple_of(1024) {
        format!("{} MB", kb / 1024)
    } else {
        format!("{kb} KB")
    }
}

fn element_id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

/// The first error at `path` or below it.
fn error_at<'e>(errors: &'e [FieldError], path: &str) -> Option<&'e FieldError> {
    errors.iter().find(|e| {
        e.path == path
            || e.path.strip_prefix(path).is_some_and(|rest| {
                rest.starts_with('.') && !rest[1..].starts_with(|c: char| c.is_ascii_digit())
            })
    })
}

/// The element id the error summary links to for an error: the input that needs fixing
/// (`period.to` → the range's end, `address.street` → the street; a date range's start and a
/// whole field → the field's first input).
pub fn error_anchor(error: &FieldError) -> String {
    element_id(error.path.strip_suffix(".from").unwrap_or(&error.path))
}

/// What a page shows beyond the stored answers: values posted that did not validate, and
/// address lists narrowed to a chosen province or city.
#[derive(Default)]
pub struct Posted<'r> {
    pub raw: Option<&'r RawInput>,
    /// Extra blank items to show per group ("add another").
    pub extra_items: BTreeMap<String, usize>,
    /// What each e-certificate field offers, by field key.
    pub certificates: BTreeMap<String, CertificateChoices>,
}

impl Posted<'_> {
    fn value(&self, name: &str) -> Option<&str> {
        self.raw?
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Builds the views of a page's visible fields.
#[allow(clippy::too_many_arguments)]
pub fn page_fields(
    tr: &Tr<'_>,
    locale: Locale,
    divisions: &Divisions,
    page: &Page,
    answers: &Answers,
    errors: &[FieldError],
    posted: &Posted<'_>,
) -> Vec<FieldView> {
    visible_fields(page, answers)
        .into_iter()
        .map(|field| {
            field_view(
                tr,
                locale,
                divisions,
                field,
                &field.key,
                answers.get(&field.key),
                errors,
                posted,
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn field_view(
    tr: &Tr<'_>,
    locale: Locale,
    divisions: &Divisions,
    field: &Field,
    name: &str,
    answer: Option<&Answer>,
    errors: &[FieldError],
    posted: &Posted<'_>,
) -> FieldView {
    let label = field.label.get(locale).to_owned();
    let error = error_at(errors, name).map(|e| error_message(tr, locale, &label, &e.error));
    let text = |a: Option<&Answer>| match a {
        Some(Answer::Text(t)) => t.clone(),
        Some(Answer::Amount(fen)) => yuan_text(*fen),
        _ => String::new(),
    };
    let mut view = FieldView {
        name: name.to_owned(),
        id: element_id(name),
        label,
        hint: field.help.get(locale).to_owned(),
        required: field.required,
        kind: field.kind.type_name(),
        input_type: "text",
        inputmode: "",
        autocomplete: "off",
        value: text(answer),
        value_to: String::new(),
        unit: String::new(),
        options: Vec::new(),
        error,
        provinces: Vec::new(),
        cities: Vec::new(),
        counties: Vec::new(),
        files: Vec::new(),
        accept: String::new(),
        accept_names: String::new(),
        max_size_kb: 0,
        file_hint: String::new(),
        can_add_file: false,
        items: Vec::new(),
        item_label: String::new(),
        can_add_item: false,
        disclosed: Vec::new(),
        consent_text: String::new(),
        consent_checked: false,
        none_text: String::new(),
    };
    match &field.kind {
        FieldKind::Text { .. } | FieldKind::LongText { .. } => {
            view.autocomplete = match field.prefill {
                Some(tongban_domain::forms::Prefill::Name) => "name",
                Some(tongban_domain::forms::Prefill::EnterpriseName) => "organization",
                _ => "off",
            };
        }
        FieldKind::Number { unit, decimals, .. } => {
            view.inputmode = if *decimals > 0 { "decimal" } else { "numeric" };
            view.unit = unit.get(locale).to_owned();
        }
        FieldKind::Money { .. } => {
            view.inputmode = "decimal";
            view.unit = tr.t("apply-unit-yuan");
        }
        FieldKind::Date { .. } => view.input_type = "date",
        FieldKind::DateRange { .. } => {
            view.input_type = "date";
            if let Some(Answer::Range(span)) = answer {
                view.value = span.from.clone();
                view.value_to = span.to.clone();
            }
        }
        FieldKind::Choice { options } | FieldKind::Choices { options, .. } => {
            let chosen: Vec<&str> = match answer {
                Some(Answer::Text(t)) => vec![t.as_str()],
                Some(Answer::Many(values)) => values.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            };
            view.options = options
                .iter()
                .enumerate()
                .map(|(i, o)| OptionView {
                    id: format!("{}-{i}", view.id),
                    value: o.value.clone(),
                    label: o.label.get(locale).to_owned(),
                    hint: o.hint.get(locale).to_owned(),
                    checked: chosen.contains(&o.value.as_str()),
                })
                .collect();
            // The first option carries the id the label and error summary point at.
            if let Some(first) = view.options.first_mut() {
                first.id = view.id.clone();
            }
        }
        FieldKind::YesNo => {
            let chosen = text(answer);
            view.options = [("yes", "apply-yes"), ("no", "apply-no")]
                .into_iter()
                .enumerate()
                .map(|(i, (value, key))| OptionView {
                    id: if i == 0 {
                        view.id.clone()
                    } else {
                        format!("{}-{i}", view.id)
                    },
                    value: value.to_owned(),
                    label: tr.t(key),
                    hint: String::new(),
                    checked: chosen == value,
                })
                .collect();
        }
        FieldKind::Address { within } => address_view(
            &mut view,
            divisions,
            name,
            answer,
            within.as_deref(),
            posted,
        ),
        FieldKind::ResidentId => view.autocomplete = "off",
        FieldKind::CreditCode => view.autocomplete = "off",
        FieldKind::Mobile => {
            view.input_type = "tel";
            view.inputmode = "numeric";
            view.autocomplete = "tel-national";
        }
        FieldKind::Email => {
            view.input_type = "email";
            view.autocomplete = "email";
        }
        FieldKind::File {
            accept,
            max_size_kb,
            max_count,
        } => {
            if let Some(Answer::Files(files)) = answer {
                view.files = files
                    .iter()
                    .map(|f| FileView {
                        id: f.id.clone(),
                        name: f.name.clone(),
                        size_kb: f.size.div_ceil(1024),
                    })
                    .collect();
            }
            view.accept = accept
                .iter()
                .map(|k| format!(".{},{}", k.extension(), k.media_type()))
                .collect::<Vec<_>>()
                .join(",");
            view.accept_names = accept
                .iter()
                .map(|k| kind_name(*k))
                .collect::<Vec<_>>()
                .join(" / ");
            view.max_size_kb = *max_size_kb;
            view.file_hint = tr.tn(
                "apply-file-hint",
                &[
                    ("kinds", view.accept_names.clone()),
                    ("size", size_text(u64::from(*max_size_kb))),
                ],
            );
            view.can_add_file = (view.files.len() as u32) < *max_count;
        }
        FieldKind::ECertificate { .. } => {
            let (chosen, consent) = match answer {
                Some(Answer::Certificate(shared)) => (shared.choice_value(), shared.consent),
                _ => (
                    posted.value(name).unwrap_or_default().to_owned(),
                    posted.value(&format!("{name}.consent")) == Some("yes"),
                ),
            };
            view.consent_checked = consent;
            match posted.certificates.get(name) {
                Some(choices) => {
                    view.options = choices
                        .options
                        .iter()
                        .enumerate()
                        .map(|(i, o)| OptionView {
                            id: if i == 0 {
                                view.id.clone()
                            } else {
                                format!("{}-{i}", view.id)
                            },
                            checked: o.value == chosen
                                || (choices.options.len() == 1 && chosen.is_empty()),
                            ..o.clone()
                        })
                        .collect();
                    view.disclosed = choices.disclosed.clone();
                    view.consent_text = choices.consent_text.clone();
                    view.none_text = choices.none_text.clone();
                }
                // The form editor's preview: nobody's wallet to offer from.
                None => view.none_text = tr.t("apply-cert-preview"),
            }
        }
        FieldKind::Group {
            fields,
            max_items,
            item_label,
            ..
        } => {
            view.item_label = item_label.get(locale).to_owned();
            let items: &[Answers] = match answer {
                Some(Answer::Items(items)) => items,
                _ => &[],
            };
            let extra = posted.extra_items.get(name).copied().unwrap_or(0);
            // Always at least one row to fill in.
            let shown = (items.len() + extra).max(1).min(*max_items as usize);
            view.items = (0..shown)
                .map(|index| ItemView {
                    index,
                    heading: format!("{} {}", view.item_label, index + 1),
                    fields: fields
                        .iter()
                        .map(|sub| {
                            let sub_name = format!("{name}.{index}.{}", sub.key);
                            field_view(
                                tr,
                                locale,
                                divisions,
                                sub,
                                &sub_name,
                                items.get(index).and_then(|item| item.get(&sub.key)),
                                errors,
                                posted,
                            )
                        })
                        .collect(),
                })
                .collect();
            view.can_add_item = shown < *max_items as usize;
        }
    }
    view
}

fn kind_name(kind: FileKind) -> String {
    match kind {
        FileKind::Pdf => "PDF",
        FileKind::Jpeg => "JPG",
        FileKind::Png => "PNG",
        FileKind::Ofd => "OFD",
    }
    .to_owned()
}

fn yuan_text(fen: i64) -> String {
    let text = Fen(fen).to_string();
    text.trim_start_matches('-')
        .trim_start_matches('¥')
        .to_owned()
}

fn options_of(
    list: Vec<&tongban_domain::divisions::Division>,
    selected: &str,
) -> Vec<DivisionOption> {
    list.into_iter()
        .map(|d| DivisionOption {
            code: d.code.clone(),
            name: d.name.clone(),
            selected: d.code == selected,
        })
        .collect()
}

/// Province, city and county lists for an address field. Without JavaScript, each list holds
/// the divisions under the one chosen above it (the "update lists" button posts the page);
/// a stored answer selects its whole path.
fn address_view(
    view: &mut FieldView,
    divisions: &Divisions,
    name: &str,
    answer: Option<&Answer>,
    within: Option<&str>,
    posted: &Posted<'_>,
) {
    let (mut province, mut city, mut county) = (String::new(), String::new(), String::new());
    if let Some(Answer::Address(address)) = answer {
        view.value = address.street.clone();
        county = address.division.clone();
        for d in divisions.path(&address.division) {
            match d.level {
                Level::Province => province = d.code.clone(),
                Level::City => city = d.code.clone(),
                Level::County => {}
            }
        }
    }
    if let Some(p) = posted.value(&format!("{name}.province")) {
        province = p.to_owned();
    }
    if let Some(c) = posted.value(&format!("{name}.city")) {
        city = c.to_owned();
    }
    if let Some(c) = posted.value(&format!("{name}.county")) {
        county = c.to_owned();
    }
    if let Some(street) = posted.value(&format!("{name}.street")) {
        view.value = street.to_owned();
    }
    let within_prefix = within.map(tongban_domain::forms::division_prefix);
    let allowed = |code: &str| {
        within_prefix
            .is_none_or(|w| code.starts_with(w) || w.starts_with(&code[..2.min(code.len())]))
    };
    let provinces: Vec<_> = divisions
        .provinces()
        .into_iter()
        .filter(|d| allowed(&d.code))
        .collect();
    if provinces.len() == 1 {
        province = provinces[0].code.clone();
    }
    view.provinces = options_of(provinces, &province);
    if !province.is_empty() {
        let children: Vec<_> = divisions
            .children(&province)
            .into_iter()
            .filter(|d| allowed(&d.code))
            .collect();
        let (cities, direct): (Vec<_>, Vec<_>) =
            children.into_iter().partition(|d| d.level == Level::City);
        if cities.len() == 1 && direct.is_empty() {
            city = cities[0].code.clone();
        }
        view.cities = options_of(cities, &city);
        // Counties directly under a province (municipalities, 省直辖县级).
        let mut counties = direct;
        if !city.is_empty() {
            counties.extend(
                divisions
                    .children(&city)
                    .into_iter()
                    .filter(|d| allowed(&d.code)),
            );
        }
        view.counties = options_of(counties, &county);
    }
}

/// The error summary's entries: (anchor, message).
pub fn summary(
    tr: &Tr<'_>,
    locale: Locale,
    form: &FormDefinition,
    errors: &[FieldError],
) -> Vec<(String, String)> {
    errors
        .iter()
        .map(|e| {
            let label = form
                .field(&e.field)
                .map(|f| {
                    // For group items, name the item's field and its number.
                    match (&f.kind, e.path.split('.').collect::<Vec<_>>().as_slice()) {
                        (
                            FieldKind::Group {
                                fields, item_label, ..
                            },
                            [_, index, sub, ..],
                        ) => {
                            let sub_label = fields
                                .iter()
                                .find(|s| s.key == *sub)
                                .map(|s| s.label.get(locale).to_owned())
                                .unwrap_or_default();
                            let number = index.parse::<usize>().map(|i| i + 1).unwrap_or(1);
                            format!("{} {number}: {sub_label}", item_label.get(locale))
                        }
                        _ => f.label.get(locale).to_owned(),
                    }
                })
                .unwrap_or_else(|| e.field.clone());
            (error_anchor(e), error_message(tr, locale, &label, &e.error))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use tongban_domain::LocalizedText;

    /// Every refusal an answer can get has a sentence naming the field, in every language,
    /// rather than a message id or an English fallback.
    #[test]
    fn every_answer_error_reads_as_a_sentence_in_every_language() {
        let i18n = I18n::load().unwrap();
        let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let errors = [
            AnswerError::Required,
            AnswerError::TooShort { min: 2 },
            AnswerError::TooLong { max: 20 },
            AnswerError::PatternMismatch,
            AnswerError::InvalidCharacters,
            AnswerError::NotANumber,
            AnswerError::TooManyDecimals { decimals: 2 },
            AnswerError::BelowMinimum { min: "1".into() },
            AnswerError::AboveMaximum { max: "9".into() },
            AnswerError::NotAnAmount,
            AnswerError::NotADate,
            AnswerError::DateTooEarly { limit: date },
            AnswerError::DateTooLate { limit: date },
            AnswerError::RangeReversed,
            AnswerError::RangeTooLong { max_days: 31 },
            AnswerError::UnknownOption,
            AnswerError::TooFewChoices { min: 1 },
            AnswerError::TooManyChoices { max: 2 },
            AnswerError::NotYesNo,
            AnswerError::DivisionMissing,
            AnswerError::StreetMissing,
            AnswerError::Identifier(IdentifierError::Empty),
            AnswerError::Identifier(IdentifierError::WrongLength {
                expected: &[18],
                found: 17,
            }),
            AnswerError::Identifier(IdentifierError::InvalidCharacter {
                position: 3,
                found: 'x',
            }),
            AnswerError::Identifier(IdentifierError::ImpossibleBirthDate),
            AnswerError::TooManyFiles { max: 2 },
            AnswerError::FileKindNotAllowed,
            AnswerError::FileTooLarge { max_size_kb: 5120 },
            AnswerError::TooFewItems { min: 1 },
            AnswerError::TooManyItems { max: 3 },
            AnswerError::NotAfter {
                than: "start".into(),
            },
            AnswerError::WrongShape,
            AnswerError::UnknownFile,
            AnswerError::ConsentRequired,
            AnswerError::NotFetchable,
            AnswerError::CertificateNotHeld,
            AnswerError::CertificateRevoked,
            AnswerError::CertificateExpired,
            AnswerError::NothingToFetch,
        ];
        for locale in Locale::ALL {
            let tr = i18n.tr(locale);
            let label = "字段甲";
            for error in &errors {
                let message = error_message(&tr, locale, label, error);
                assert!(message.contains(label), "{locale} {error:?}: {message}");
                assert!(
                    !message.contains("apply-error"),
                    "{locale} {error:?}: {message}"
                );
                if locale != Locale::En {
                    assert!(
                        !message.is_ascii() || message == label,
                        "{locale} {error:?} is in English: {message}"
                    );
                }
            }
        }
        let custom = AnswerError::Rule(LocalizedText::new("自定义").with(Locale::En, "Custom"));
        let tr = i18n.tr(Locale::En);
        assert_eq!(error_message(&tr, Locale::En, "x", &custom), "Custom");
        assert_eq!(size_text(5120), "5 MB");
        assert_eq!(size_text(500), "500 KB");
    }
}
