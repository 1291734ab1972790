//! What the workbench pages show, worked out from what the case handling use cases return:
//! deadlines with their band and words, refusal reasons, and the names of states, actions,
//! stages and roles in the page's language. Nothing here reads the database.

use chrono::NaiveDate;
use tongban_domain::forms::{Answer, Answers, FileRef, FormDefinition, SummaryRow};
use tongban_domain::workflow::{
    ActionKind, Stage, StepStatus, WorkflowDefinition, WorkflowError, kind_label,
};
use tongban_domain::{Locale, LocalizedText};
use tongban_services::workflow::ActRefusal;

use crate::i18n::Tr;

/// Working days left at or under which a deadline is shown as close.
pub const SOON_DAYS: i64 = 2;

/// A deadline as shown: the date, words saying how far off it is, and a CSS class for its
/// band. The words carry the meaning; the colour only repeats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineView {
    pub date: String,
    pub text: String,
    pub class: &'static str,
}

/// The band of a deadline `remaining` working days away (negative: overdue).
pub fn band(remaining: i64) -> &'static str {
    if remaining < 0 {
        "deadline-overdue"
    } else if remaining <= SOON_DAYS {
        "deadline-soon"
    } else {
        "deadline-ok"
    }
}

/// How a deadline reads: "3 working days left", "due today", "2 working days overdue"; a
/// case whose clock has not started has no date.
pub fn deadline(tr: &Tr<'_>, due: Option<NaiveDate>, remaining: Option<i64>) -> DeadlineView {
    match (due, remaining) {
        (Some(due), Some(remaining)) => DeadlineView {
            date: due.format("%Y-%m-%d").to_string(),
            text: if remaining < 0 {
                tr.t1("wb-deadline-overdue", "days", remaining.saturating_neg())
            } else if remaining == 0 {
                tr.t("wb-deadline-today")
            } else {
                tr.t1("wb-deadline-left", "days", remaining)
            },
            class: band(remaining),
        },
        (Some(due), None) => DeadlineView {
            date: due.format("%Y-%m-%d").to_string(),
            text: String::new(),
            class: "deadline-ok",
        },
        (None, _) => DeadlineView {
            date: String::new(),
            text: tr.t("wb-deadline-none"),
            class: "deadline-none",
        },
    }
}

/// Why one case's action was refused, in words a clerk acts on.
pub fn refusal_text(tr: &Tr<'_>, refusal: &ActRefusal) -> String {
    match refusal {
        ActRefusal::NotFound => tr.t("wb-refused-not-found"),
        ActRefusal::Conflict => tr.t("wb-refused-conflict"),
        ActRefusal::Workflow(error) => workflow_error_text(tr, error),
        // The detail names the certificate type and field (catalogue keys): what an
        // administrator must fix in the service's form or mapping.
        ActRefusal::Certificate(detail) => {
            tr.t1("wb-refused-certificate", "detail", detail.as_str())
        }
    }
}

fn workflow_error_text(tr: &Tr<'_>, error: &WorkflowError) -> String {
    match error {
        WorkflowError::Closed => tr.t("wb-refused-closed"),
        WorkflowError::Suspended => tr.t("wb-refused-suspended"),
        WorkflowError::NotAvailable(_) | WorkflowError::UnknownState(_) => {
            tr.t("wb-refused-not-available")
        }
        WorkflowError::NotPermitted(_) => tr.t("wb-refused-not-permitted"),
        WorkflowError::AlreadyDecided => tr.t("wb-refused-already-decided"),
        WorkflowError::CommentRequired => tr.t("wb-refused-comment-required"),
        WorkflowError::AttachmentRequired => tr.t("wb-refused-attachment-required"),
        WorkflowError::AlreadyExtended => tr.t("wb-refused-already-extended"),
        WorkflowError::ExtensionDays { max } => tr.t1("wb-refused-extension-days", "max", *max),
        WorkflowError::NotAccepted => tr.t("wb-refused-not-accepted"),
        WorkflowError::NoRoute(_) => tr.t("wb-refused-no-route"),
    }
}

/// Whether a refusal concerns the comment the person typed (the error links to that field).
pub fn about_comment(refusal: &ActRefusal) -> bool {
    matches!(
        refusal,
        ActRefusal::Workflow(WorkflowError::CommentRequired)
    )
}

/// The name of a workflow state, or its key when the workflow no longer has it.
pub fn state_name(def: &WorkflowDefinition, key: &str, locale: Locale) -> String {
    def.state(key)
        .map(|s| s.name.get(locale).to_owned())
        .unwrap_or_else(|| key.to_owned())
}

/// The label of an action taken from `from`: the workflow's own name for it, else the standard
/// label of its kind, else the key.
pub fn action_label(
    def: &WorkflowDefinition,
    from: Option<&str>,
    key: &str,
    locale: Locale,
) -> String {
    if let Some(action) = from.and_then(|f| def.state(f)).and_then(|s| s.action(key)) {
        return action.label().get(locale).to_owned();
    }
    match ActionKind::from_key(key) {
        Some(kind) => kind_label(kind).get(locale).to_owned(),
        None => key.to_owned(),
    }
}

/// The action keys staff can choose for a batch across `definitions`, labelled with their
/// kind's standard label (the key added where two keys would read the same).
pub fn batch_actions<'a>(
    definitions: impl IntoIterator<Item = &'a WorkflowDefinition>,
    locale: Locale,
) -> Vec<(String, String)> {
    let mut keys: Vec<(String, LocalizedText)> = Vec::new();
    for def in definitions {
        for state in &def.states {
            for action in &state.actions {
                let staff_may = action
                    .by
                    .iter()
                    .any(|b| b != tongban_domain::workflow::APPLICANT);
                if staff_may && !keys.iter().any(|(k, _)| *k == action.key) {
                    keys.push((action.key.clone(), kind_label(action.kind)));
                }
            }
        }
    }
    let labels: Vec<String> = keys.iter().map(|(_, l)| l.get(locale).to_owned()).collect();
    keys.iter()
        .zip(&labels)
        .map(|((key, _), label)| {
            let shared = labels.iter().filter(|l| *l == label).count() > 1;
            let shown = if shared {
                format!("{label} ({key})")
            } else {
                label.clone()
            };
            (key.clone(), shown)
        })
        .collect()
}

/// The words of a stage of the progress bar and of where the case stands in it.
pub fn stage_words(
    tr: &Tr<'_>,
    stage: Stage,
    status: StepStatus,
) -> (String, String, &'static str) {
    let status_key = match status {
        StepStatus::Done => "done",
        StepStatus::Current => "current",
        StepStatus::Upcoming => "upcoming",
        StepStatus::Skipped => "skipped",
    };
    (
        tr.t(&format!("wb-stage-{}", stage.key())),
        tr.t(&format!("wb-step-{status_key}")),
        status_key,
    )
}

/// One answer of the application as shown, under its page's title.
pub struct AnswerRow {
    pub label: String,
    pub lines: Vec<String>,
    pub items: Vec<Vec<(String, String)>>,
}

/// Summary rows grouped under their page titles, in route order.
pub fn sections(
    form: &FormDefinition,
    rows: Vec<SummaryRow>,
    locale: Locale,
) -> Vec<(String, Vec<AnswerRow>)> {
    let mut sections: Vec<(String, Vec<AnswerRow>)> = Vec::new();
    for row in rows {
        let title = form
            .page(&row.page_key)
            .map(|p| p.title.get(locale).to_owned())
            .unwrap_or_default();
        let view = AnswerRow {
            label: row.label,
            lines: row.lines,
            items: row.items,
        };
        match sections.last_mut() {
            Some((t, list)) if *t == title => list.push(view),
            _ => sections.push((title, vec![view])),
        }
    }
    sections
}

/// Every file uploaded with the application, repeating groups included, in answer order.
pub fn attachments(answers: &Answers) -> Vec<&FileRef> {
    let mut files = Vec::new();
    for answer in answers.values() {
        match answer {
            Answer::Files(list) => files.extend(list.iter()),
            Answer::Items(items) => {
                for item in items {
                    files.extend(attachments(item));
                }
            }
            _ => {}
        }
    }
    files
}

/// A file size for people: bytes, KB or MB.
pub fn file_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// A file attached to an action, as the timeline links it: upload id, name, size in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFile {
    pub id: String,
    pub name: String,
    pub size: String,
}

/// The files an action's timeline entry carries (its detail's `attachments`); none when the
/// detail is not readable, as an old entry's may not be.
pub fn event_files(detail: &str) -> Vec<EventFile> {
    #[derive(serde::Deserialize)]
    struct Detail {
        #[serde(default)]
        attachments: Vec<File>,
    }
    #[derive(serde::Deserialize)]
    struct File {
        id: String,
        name: String,
        size: u64,
    }
    serde_json::from_str::<Detail>(detail)
        .map(|d| {
            d.attachments
                .into_iter()
                .map(|f| EventFile {
                    id: f.id,
                    name: f.name,
                    size: file_size(f.size),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A batch checkbox's value: the case and the version the page showed, `id.version`.
pub fn case_token(id: uuid::Uuid, version: i32) -> String {
    format!("{id}.{version}")
}

/// Reads a batch checkbox's value back; anything else is ignored rather than guessed at.
pub fn parse_case_token(token: &str) -> Option<(uuid::Uuid, Option<i32>)> {
    match token.split_once('.') {
        Some((id, version)) => Some((uuid::Uuid::parse_str(id).ok()?, Some(version.parse().ok()?))),
        None => Some((uuid::Uuid::parse_str(token).ok()?, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_split_at_overdue_and_two_days() {
        assert_eq!(band(-1), "deadline-overdue");
        assert_eq!(band(0), "deadline-soon");
        assert_eq!(band(2), "deadline-soon");
        assert_eq!(band(3), "deadline-ok");
    }

    #[test]
    fn deadlines_read_in_words_in_every_band() {
        let i18n = crate::i18n::I18n::load().expect("locales load");
        let tr = i18n.tr(Locale::En);
        let due = NaiveDate::from_ymd_opt(2026, 12, 1);
        let words = |left: i64| deadline(&tr, due, Some(left));
        assert_eq!(words(3).text, "3 working days left");
        assert_eq!(words(1).text, "1 working day left");
        assert_eq!(words(1).class, "deadline-soon");
        assert_eq!(words(0).text, "Due today");
        assert_eq!(words(-2).text, "2 working days overdue");
        assert_eq!(words(-2).class, "deadline-overdue");
        assert_eq!(words(-2).date, "2026-12-01");
        assert_eq!(deadline(&tr, None, None).text, "Clock not started");
        let zh = i18n.tr(Locale::ZhCn);
        assert_eq!(deadline(&zh, due, Some(-2)).text, "已超期 2 个工作日");
    }

    #[test]
    fn case_tokens_round_trip_and_refuse_garbage() {
        let id = uuid::Uuid::now_v7();
        assert_eq!(parse_case_token(&case_token(id, 7)), Some((id, Some(7))));
        assert_eq!(parse_case_token(&id.to_string()), Some((id, None)));
        assert_eq!(parse_case_token("x.1"), None);
        assert_eq!(parse_case_token(&format!("{id}.seven")), None);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(file_size(512), "512 B");
        assert_eq!(file_size(2048), "2 KB");
        assert_eq!(file_size(3 * 1024 * 1024), "3.0 MB");
    }
}
