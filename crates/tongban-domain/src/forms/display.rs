//! Answers as people read them: the rows of "check your answers", of the case page and of the
//! filled-in PDF, with option labels instead of values, yuan instead of fen and division names
//! instead of codes. One function, so every place shows an answer the same way.

use super::answers::{Answer, Answers, visible_fields, visible_pages};
use super::{ChoiceOption, Field, FieldKind, FormDefinition};
use crate::divisions::Divisions;
use crate::identity::{EmailAddress, MobileNumber, ResidentId};
use crate::locale::Locale;
use crate::money::Fen;

/// Words the display needs from the interface's translations.
#[derive(Debug, Clone)]
pub struct DisplayWords {
    pub yes: String,
    pub no: String,
    /// Joins the two ends of a date range (" 至 ", " to ").
    pub range_to: String,
    /// Shown for an optional question left unanswered.
    pub not_answered: String,
    /// Show ID numbers, mobile numbers and e-mail addresses masked (`110***********002X`):
    /// everywhere except the page where the applicant has just typed them.
    pub mask_identifiers: bool,
    /// A shared e-certificate picked from the wallet ("shared from my certificates").
    pub certificate_wallet: String,
    /// One the platform fetches from its issuer with consent.
    pub certificate_fetch: String,
}

/// One answered (or skipped optional) question.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub page_key: String,
    pub field_key: String,
    pub label: String,
    /// One line per value (a file, a chosen option, an address line).
    pub lines: Vec<String>,
    /// Items of a repeating group: each a list of (label, value) pairs.
    pub items: Vec<Vec<(String, String)>>,
}

/// The rows of every question on the applicant's route, in order.
pub fn summary_rows(
    def: &FormDefinition,
    answers: &Answers,
    locale: Locale,
    divisions: &Divisions,
    words: &DisplayWords,
) -> Vec<SummaryRow> {
    let (route, _) = visible_pages(def, answers);
    let mut rows = Vec::new();
    for page in route {
        for field in visible_fields(page, answers) {
            let (lines, items) = match answers.get(&field.key) {
                None => (vec![words.not_answered.clone()], Vec::new()),
                Some(Answer::Items(list)) => {
                    let FieldKind::Group { fields, .. } = &field.kind else {
                        continue;
                    };
                    let items = list
                        .iter()
                        .map(|item| {
                            fields
                                .iter()
                                .map(|sub| {
                                    let value = item
                                        .get(&sub.key)
                                        .map(|a| {
                                            answer_lines(sub, a, locale, divisions, words)
                                                .join("；")
                                        })
                                        .unwrap_or_else(|| words.not_answered.clone());
                                    (sub.label.get(locale).to_owned(), value)
                                })
                                .collect()
                        })
                        .collect();
                    (Vec::new(), items)
                }
                Some(answer) => (
                    answer_lines(field, answer, locale, divisions, words),
                    Vec::new(),
                ),
            };
            rows.push(SummaryRow {
                page_key: page.key.clone(),
                field_key: field.key.clone(),
                label: field.label.get(locale).to_owned(),
                lines,
                items,
            });
        }
    }
    rows
}

fn option_label(options: &[ChoiceOption], value: &str, locale: Locale) -> String {
    options
        .iter()
        .find(|o| o.value == value)
        .map_or_else(|| value.to_owned(), |o| o.label.get(locale).to_owned())
}

/// One answer as lines of text.
pub fn answer_lines(
    field: &Field,
    answer: &Answer,
    locale: Locale,
    divisions: &Divisions,
    words: &DisplayWords,
) -> Vec<String> {
    match (&field.kind, answer) {
        (FieldKind::Choice { options }, Answer::Text(value)) => {
            vec![option_label(options, value, locale)]
        }
        (FieldKind::Choices { options, .. }, Answer::Many(values)) => values
            .iter()
            .map(|v| option_label(options, v, locale))
            .collect(),
        (FieldKind::YesNo, Answer::Text(value)) => vec![if value == "yes" {
            words.yes.clone()
        } else {
            words.no.clone()
        }],
        (FieldKind::Number { unit, .. }, Answer::Text(value)) if !unit.is_empty() => {
            vec![format!("{value} {}", unit.get(locale))]
        }
        (FieldKind::ResidentId, Answer::Text(value)) if words.mask_identifiers => {
            vec![ResidentId::parse(value).map_or_else(|_| mask_middle(value), |id| id.masked())]
        }
        (FieldKind::Mobile, Answer::Text(value)) if words.mask_identifiers => {
            vec![MobileNumber::parse(value).map_or_else(|_| mask_middle(value), |m| m.masked())]
        }
        (FieldKind::Email, Answer::Text(value)) if words.mask_identifiers => {
            vec![EmailAddress::parse(value).map_or_else(|_| mask_middle(value), |e| e.masked())]
        }
        (_, Answer::Amount(fen)) => vec![Fen(*fen).to_string()],
        (_, Answer::Range(span)) => vec![format!("{}{}{}", span.from, words.range_to, span.to)],
        (_, Answer::Address(address)) => {
            let place = divisions
                .full_name(&address.division)
                .unwrap_or_else(|| address.division.clone());
            vec![format!("{place}{}", address.street)]
        }
        (_, Answer::Files(files)) => files
            .iter()
            .map(|f| format!("{} ({} KB)", f.name, f.size.div_ceil(1024)))
            .collect(),
        (_, Answer::Many(values)) => values.clone(),
        (_, Answer::Text(text)) => text.lines().map(str::to_owned).collect(),
        (_, Answer::Items(items)) => vec![items.len().to_string()],
        // Which certificate and its fields are shown verified from the case's shared record,
        // not from the answer.
        (_, Answer::Certificate(shared)) => vec![match shared.source {
            super::CertificateSource::Wallet => words.certificate_wallet.clone(),
            super::CertificateSource::Fetch => words.certificate_fetch.clone(),
        }],
    }
}

/// Keeps the first and last two characters of something that failed to parse.
fn mask_middle(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..2].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 4));
    out.extend(&chars[chars.len() - 2..]);
    out
}
