//! Editing a service's application form (申请表单) online: the form of the open draft, edits to
//! its structure (add, move and remove fields and pages), the whole form as YAML, and where a
//! definition problem sits in words people read (the page and the field it is about).
//!
//! The form is part of the service's draft, so every change is saved through
//! [`catalog_admin::save_draft`]: the same rights (a department administrator, their own
//! department's services only, another department's service answered like a missing one), the
//! same lock and the same audit entry. A form with problems is still saved, so work is never
//! lost; publishing refuses it (`Service::validate` includes [`FormDefinition::check`]).

use std::fmt;

use tongban_domain::LocalizedText;
use tongban_domain::clock::Clock;
use tongban_domain::forms::{
    ChoiceOption, Declaration, Field, FieldKind, FileKind, FormDefinition, Page,
};
use tongban_store::Connection;

use crate::catalog_admin::{self, EditError};
use crate::identity::{CurrentUser, Origin};

/// The form an administrator edits, or reads when no draft is open.
#[derive(Debug, Clone)]
pub struct FormEdit {
    pub code: String,
    /// The service's name in the draft (or the latest published version).
    pub service_name: LocalizedText,
    /// Whether a draft is open: only a draft's form can be changed.
    pub draft: bool,
    /// The draft's form; without a draft, the latest published version's.
    pub form: Option<FormDefinition>,
}

/// The form of service `code`: the draft's when one is open, else the latest published one.
pub async fn load(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    code: &str,
) -> Result<FormEdit, EditError> {
    let found = catalog_admin::service_versions(db, clock, user, code).await?;
    let draft = found.draft();
    let shown = draft.or_else(|| found.latest());
    Ok(FormEdit {
        code: found.code.clone(),
        service_name: shown.map(|v| v.content.name.clone()).unwrap_or_default(),
        draft: draft.is_some(),
        form: shown.and_then(|v| v.content.form.clone()),
    })
}

/// Replaces the draft's form (`None` removes the online form) through the draft save, which
/// checks rights, locks the service and writes the audit entry in one transaction.
pub async fn save_form(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
    form: Option<FormDefinition>,
) -> Result<(), EditError> {
    let found = catalog_admin::service_versions(db, clock, user, code).await?;
    let mut content = found.draft().ok_or(EditError::NoDraft)?.content.clone();
    content.form = form;
    catalog_admin::save_draft(db, clock, user, origin, code, content).await
}

/// A field of a form: on page `page`, at `field`, and inside that group at `sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldPath {
    pub page: usize,
    pub field: usize,
    pub sub: Option<usize>,
}

/// A list of fields: a page's, or a group's (`group` is the group's index on the page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListPath {
    pub page: usize,
    pub group: Option<usize>,
}

/// Reads `name[3]` at the start of `text`, returning the index and the rest.
fn indexed<'t>(text: &'t str, name: &str) -> Option<(usize, &'t str)> {
    let rest = text.strip_prefix(name)?.strip_prefix('[')?;
    let (digits, rest) = rest.split_once(']')?;
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((digits.parse().ok()?, rest))
}

impl FieldPath {
    /// Parses `pages[1].fields[2]` or `pages[1].fields[2].fields[0]`.
    pub fn parse(text: &str) -> Option<FieldPath> {
        let (path, rest) = FieldPath::prefix(text)?;
        rest.is_empty().then_some(path)
    }

    /// The longest field path `text` starts with, and what follows it.
    pub fn prefix(text: &str) -> Option<(FieldPath, &str)> {
        let (page, rest) = indexed(text, "pages")?;
        let (field, rest) = indexed(rest.strip_prefix('.')?, "fields")?;
        if let Some((sub, after)) = rest.strip_prefix('.').and_then(|r| indexed(r, "fields")) {
            return Some((
                FieldPath {
                    page,
                    field,
                    sub: Some(sub),
                },
                after,
            ));
        }
        Some((
            FieldPath {
                page,
                field,
                sub: None,
            },
            rest,
        ))
    }

    /// The list the field is in.
    pub fn list(self) -> ListPath {
        ListPath {
            page: self.page,
            group: self.sub.map(|_| self.field),
        }
    }

    fn index(self) -> usize {
        self.sub.unwrap_or(self.field)
    }

    fn at(list: ListPath, index: usize) -> FieldPath {
        match list.group {
            Some(group) => FieldPath {
                page: list.page,
                field: group,
                sub: Some(index),
            },
            None => FieldPath {
                page: list.page,
                field: index,
                sub: None,
            },
        }
    }

    pub fn get(self, form: &FormDefinition) -> Option<&Field> {
        let field = form.pages.get(self.page)?.fields.get(self.field)?;
        match (self.sub, &field.kind) {
            (None, _) => Some(field),
            (Some(sub), FieldKind::Group { fields, .. }) => fields.get(sub),
            (Some(_), _) => None,
        }
    }

    pub fn get_mut(self, form: &mut FormDefinition) -> Option<&mut Field> {
        let list = self.list().get_mut(form)?;
        list.get_mut(self.index())
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pages[{}].fields[{}]", self.page, self.field)?;
        if let Some(sub) = self.sub {
            write!(f, ".fields[{sub}]")?;
        }
        Ok(())
    }
}

impl ListPath {
    /// Parses `pages[1]` (a page's fields) or `pages[1].fields[2]` (a group's).
    pub fn parse(text: &str) -> Option<ListPath> {
        let (page, rest) = indexed(text, "pages")?;
        if rest.is_empty() {
            return Some(ListPath { page, group: None });
        }
        let (group, rest) = indexed(rest.strip_prefix('.')?, "fields")?;
        rest.is_empty().then_some(ListPath {
            page,
            group: Some(group),
        })
    }

    pub fn get_mut(self, form: &mut FormDefinition) -> Option<&mut Vec<Field>> {
        let page = form.pages.get_mut(self.page)?;
        match self.group {
            None => Some(&mut page.fields),
            Some(group) => match &mut page.fields.get_mut(group)?.kind {
                FieldKind::Group { fields, .. } => Some(fields),
                _ => None,
            },
        }
    }
}

impl fmt::Display for ListPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pages[{}]", self.page)?;
        if let Some(group) = self.group {
            write!(f, ".fields[{group}]")?;
        }
        Ok(())
    }
}

/// A change to the structure of a form.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A new field of type `type_name` with `key` at the end of a list.
    AddField {
        list: ListPath,
        type_name: String,
        key: String,
    },
    MoveField {
        at: FieldPath,
        up: bool,
    },
    RemoveField(FieldPath),
    /// A new page with `key` (and one blank text field, as a page needs one) at the end.
    AddPage {
        key: String,
    },
    MovePage {
        index: usize,
        up: bool,
    },
    RemovePage(usize),
}

/// Why an edit could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// The page or field is not there (the page was stale).
    #[error("no such page or field")]
    NoSuchItem,
    #[error("unknown field type")]
    UnknownType,
    #[error("groups cannot be nested")]
    NestedGroup,
}

/// A field of `type_name` with its key and the least its type needs; labels are left for the
/// administrator (the check lists them as missing until they are written).
pub fn blank_field(type_name: &str, key: &str) -> Option<Field> {
    let kind = match type_name {
        "text" => FieldKind::Text {
            min_length: None,
            max_length: None,
            pattern: None,
            pattern_hint: LocalizedText::default(),
        },
        "long-text" => FieldKind::LongText {
            min_length: None,
            max_length: None,
        },
        "number" => FieldKind::Number {
            min: None,
            max: None,
            decimals: 0,
            unit: LocalizedText::default(),
        },
        "money" => FieldKind::Money {
            min: None,
            max: None,
        },
        "date" => FieldKind::Date {
            not_before: None,
            not_after: None,
        },
        "date-range" => FieldKind::DateRange {
            not_before: None,
            not_after: None,
            max_days: None,
        },
        "choice" => FieldKind::Choice {
            options: Vec::new(),
        },
        "choices" => FieldKind::Choices {
            options: Vec::new(),
            min: None,
            max: None,
        },
        "yes-no" => FieldKind::YesNo,
        "address" => FieldKind::Address { within: None },
        "resident-id" => FieldKind::ResidentId,
        "credit-code" => FieldKind::CreditCode,
        "mobile" => FieldKind::Mobile,
        "email" => FieldKind::Email,
        // Defaults an administrator rarely needs to change: common document kinds, 10 MB.
        "file" => FieldKind::File {
            accept: vec![FileKind::Pdf, FileKind::Jpeg, FileKind::Png],
            max_size_kb: 10 * 1024,
            max_count: 1,
        },
        // The type to accept is the administrator's to name; the check asks for it.
        "e-certificate" => FieldKind::ECertificate {
            certificate_type: String::new(),
            disclose: Vec::new(),
            fetch: None,
        },
        "group" => FieldKind::Group {
            fields: Vec::new(),
            min_items: 0,
            max_items: 10,
            item_label: LocalizedText::default(),
        },
        _ => return None,
    };
    Some(Field {
        key: key.trim().to_owned(),
        label: LocalizedText::default(),
        help: LocalizedText::default(),
        required: true,
        show_if: None,
        prefill: None,
        kind,
    })
}

/// A form to start from when a service has none: one page with one question, and the
/// declaration every form ends with.
pub fn starter_form() -> FormDefinition {
    let mut field = blank_field("text", "name").unwrap_or_else(|| unreachable_field("name"));
    field.label = LocalizedText::new("姓名").with(tongban_domain::Locale::En, "Full name");
    FormDefinition {
        schema: tongban_domain::forms::FORM_SCHEMA.to_owned(),
        pages: vec![Page {
            key: "applicant".into(),
            title: LocalizedText::new("申请人信息").with(tongban_domain::Locale::En, "About you"),
            intro: LocalizedText::default(),
            fields: vec![field],
            show_if: None,
            next: Vec::new(),
        }],
        exits: Vec::new(),
        rules: Vec::new(),
        declaration: Declaration {
            text: LocalizedText::new("本人承诺所填信息真实、准确、完整。").with(
                tongban_domain::Locale::En,
                "I declare that the information I have given is true, accurate and complete.",
            ),
            confirm: LocalizedText::new("我已阅读并承诺")
                .with(tongban_domain::Locale::En, "I confirm this declaration"),
        },
    }
}

// `blank_field("text", …)` always succeeds; this keeps the starter free of `unwrap`.
fn unreachable_field(key: &str) -> Field {
    Field {
        key: key.to_owned(),
        label: LocalizedText::default(),
        help: LocalizedText::default(),
        required: true,
        show_if: None,
        prefill: None,
        kind: FieldKind::YesNo,
    }
}

/// Applies `op`, returning the field or page the editor should select afterwards.
pub fn apply(form: &mut FormDefinition, op: Op) -> Result<Selection, OpError> {
    match op {
        Op::AddField {
            list,
            type_name,
            key,
        } => {
            let field = blank_field(&type_name, &key).ok_or(OpError::UnknownType)?;
            if list.group.is_some() && matches!(field.kind, FieldKind::Group { .. }) {
                return Err(OpError::NestedGroup);
            }
            let fields = list.get_mut(form).ok_or(OpError::NoSuchItem)?;
            fields.push(field);
            Ok(Selection::Field(FieldPath::at(list, fields.len() - 1)))
        }
        Op::MoveField { at, up } => {
            let fields = at.list().get_mut(form).ok_or(OpError::NoSuchItem)?;
            let index = at.index();
            if index >= fields.len() {
                return Err(OpError::NoSuchItem);
            }
            let to = if up {
                index.saturating_sub(1)
            } else {
                (index + 1).min(fields.len() - 1)
            };
            fields.swap(index, to);
            Ok(Selection::Field(FieldPath::at(at.list(), to)))
        }
        Op::RemoveField(at) => {
            let fields = at.list().get_mut(form).ok_or(OpError::NoSuchItem)?;
            if at.index() >= fields.len() {
                return Err(OpError::NoSuchItem);
            }
            fields.remove(at.index());
            Ok(Selection::None)
        }
        Op::AddPage { key } => {
            let field = blank_field("text", "").ok_or(OpError::UnknownType)?;
            form.pages.push(Page {
                key: key.trim().to_owned(),
                title: LocalizedText::default(),
                intro: LocalizedText::default(),
                fields: vec![field],
                show_if: None,
                next: Vec::new(),
            });
            Ok(Selection::Page(form.pages.len() - 1))
        }
        Op::MovePage { index, up } => {
            if index >= form.pages.len() {
                return Err(OpError::NoSuchItem);
            }
            let to = if up {
                index.saturating_sub(1)
            } else {
                (index + 1).min(form.pages.len() - 1)
            };
            form.pages.swap(index, to);
            Ok(Selection::Page(to))
        }
        Op::RemovePage(index) => {
            if index >= form.pages.len() {
                return Err(OpError::NoSuchItem);
            }
            form.pages.remove(index);
            Ok(Selection::None)
        }
    }
}

/// What the editor shows in its properties panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Selection {
    #[default]
    None,
    Field(FieldPath),
    Page(usize),
    /// The declaration, exit pages and cross-field rules.
    Declaration,
}

/// A YAML text that is not a form: the message and, when known, where (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            _ => f.write_str(&self.message),
        }
    }
}

/// Parses YAML into `T` (a form, a condition, a list of branches), with the place of an error.
pub fn parse_yaml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, SyntaxError> {
    serde_norway::from_str(text).map_err(|e| {
        let location = e.location();
        let message = e.to_string();
        // The library appends " at line L column C"; the place is reported separately.
        let message = match message.find(" at line ") {
            Some(i) if location.is_some() => message[..i].to_owned(),
            _ => message,
        };
        SyntaxError {
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            message,
        }
    })
}

/// `value` as YAML (empty for nothing to show).
pub fn to_yaml<T: serde::Serialize>(value: &T) -> String {
    serde_norway::to_string(value).unwrap_or_default()
}

/// Where a problem of [`FormDefinition::check`] sits, for people: the page and the field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProblemPlace {
    /// The page's index and key.
    pub page: Option<(usize, String)>,
    /// The field's path and key (`group.member` inside a group).
    pub field: Option<(FieldPath, String)>,
    /// An exit page's key.
    pub exit: Option<String>,
    /// What the editor selects to fix the problem.
    pub selection: Selection,
}

/// Locates a problem path like `pages[1].fields[2].show_if` in `form`.
pub fn locate(form: &FormDefinition, path: &str) -> ProblemPlace {
    let mut place = ProblemPlace::default();
    if let Some((at, _)) = FieldPath::prefix(path) {
        if let Some(page) = form.pages.get(at.page) {
            place.page = Some((at.page, page.key.clone()));
        }
        if let Some(field) = at.get(form) {
            let key = match at.sub {
                Some(_) => format!(
                    "{}.{}",
                    FieldPath { sub: None, ..at }
                        .get(form)
                        .map(|g| g.key.as_str())
                        .unwrap_or(""),
                    field.key
                ),
                None => field.key.clone(),
            };
            place.field = Some((at, key));
            place.selection = Selection::Field(at);
        }
    } else if let Some((index, _)) = indexed(path, "pages") {
        if let Some(page) = form.pages.get(index) {
            place.page = Some((index, page.key.clone()));
            place.selection = Selection::Page(index);
        }
    } else if let Some((index, _)) = indexed(path, "exits") {
        place.exit = form.exits.get(index).map(|e| e.key.clone());
        place.selection = Selection::Declaration;
    } else if path.starts_with("declaration") || path.starts_with("rules") {
        place.selection = Selection::Declaration;
    }
    place
}

/// The options of a choice field, for editors that list them.
pub fn options_of(field: &Field) -> &[ChoiceOption] {
    match &field.kind {
        FieldKind::Choice { options } | FieldKind::Choices { options, .. } => options,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> FormDefinition {
        let mut form = starter_form();
        apply(
            &mut form,
            Op::AddField {
                list: ListPath {
                    page: 0,
                    group: None,
                },
                type_name: "group".into(),
                key: "members".into(),
            },
        )
        .unwrap();
        form
    }

    #[test]
    fn paths_round_trip_and_refuse_anything_else() {
        for text in ["pages[0].fields[1]", "pages[2].fields[0].fields[3]"] {
            assert_eq!(FieldPath::parse(text).unwrap().to_string(), text);
        }
        for bad in [
            "pages[0]",
            "pages[x].fields[1]",
            "pages[0].fields[1]x",
            "pages[].fields[1]",
            "pages[99999].fields[0]",
            "",
        ] {
            assert_eq!(FieldPath::parse(bad), None, "{bad}");
        }
        assert_eq!(
            ListPath::parse("pages[1].fields[2]").unwrap().to_string(),
            "pages[1].fields[2]"
        );
        let (at, rest) = FieldPath::prefix("pages[1].fields[2].show_if").unwrap();
        assert_eq!(
            (at.to_string().as_str(), rest),
            ("pages[1].fields[2]", ".show_if")
        );
    }

    #[test]
    fn fields_are_added_moved_and_removed_in_pages_and_groups() {
        let mut form = form();
        let group = ListPath {
            page: 0,
            group: Some(1),
        };
        let added = apply(
            &mut form,
            Op::AddField {
                list: group,
                type_name: "mobile".into(),
                key: "phone".into(),
            },
        )
        .unwrap();
        let at = FieldPath::parse("pages[0].fields[1].fields[0]").unwrap();
        assert_eq!(added, Selection::Field(at));
        assert_eq!(at.get(&form).unwrap().key, "phone");
        assert_eq!(
            apply(
                &mut form,
                Op::AddField {
                    list: group,
                    type_name: "group".into(),
                    key: "inner".into()
                }
            ),
            Err(OpError::NestedGroup)
        );
        let moved = apply(
            &mut form,
            Op::MoveField {
                at: FieldPath::parse("pages[0].fields[1]").unwrap(),
                up: true,
            },
        )
        .unwrap();
        assert_eq!(
            moved,
            Selection::Field(FieldPath::parse("pages[0].fields[0]").unwrap())
        );
        assert_eq!(form.pages[0].fields[0].key, "members");
        // Moving the first up leaves it first.
        apply(
            &mut form,
            Op::MoveField {
                at: FieldPath::parse("pages[0].fields[0]").unwrap(),
                up: true,
            },
        )
        .unwrap();
        assert_eq!(form.pages[0].fields[0].key, "members");
        apply(
            &mut form,
            Op::RemoveField(FieldPath::parse("pages[0].fields[0]").unwrap()),
        )
        .unwrap();
        assert_eq!(form.pages[0].fields.len(), 1);
        assert_eq!(
            apply(
                &mut form,
                Op::RemoveField(FieldPath::parse("pages[0].fields[5]").unwrap())
            ),
            Err(OpError::NoSuchItem)
        );
        assert_eq!(
            apply(
                &mut form,
                Op::AddField {
                    list: ListPath {
                        page: 0,
                        group: None
                    },
                    type_name: "signature".into(),
                    key: "x".into()
                }
            ),
            Err(OpError::UnknownType)
        );
    }

    #[test]
    fn every_type_name_has_a_blank_field_of_that_type() {
        for name in FieldKind::TYPE_NAMES {
            assert_eq!(blank_field(name, "k").unwrap().kind.type_name(), name);
        }
    }

    #[test]
    fn pages_are_added_and_moved_and_problems_located() {
        let mut form = form();
        apply(&mut form, Op::AddPage { key: "more".into() }).unwrap();
        assert_eq!(
            apply(&mut form, Op::MovePage { index: 1, up: true }).unwrap(),
            Selection::Page(0)
        );
        assert_eq!(form.pages[0].key, "more");
        let place = locate(&form, "pages[1].fields[1].max_items");
        assert_eq!(place.page, Some((1, "applicant".into())));
        assert_eq!(place.field.as_ref().unwrap().1, "members");
        assert_eq!(locate(&form, "pages[0]").selection, Selection::Page(0));
        assert_eq!(
            locate(&form, "declaration.text").selection,
            Selection::Declaration
        );
        assert_eq!(locate(&form, "pages[9].fields[0]").page, None);
    }

    #[test]
    fn yaml_errors_say_where() {
        let error =
            parse_yaml::<FormDefinition>("pages:\n  - key: a\n    colour: red\n").unwrap_err();
        assert!(error.line.is_some(), "{error:?}");
        assert!(!error.message.contains(" at line "), "{error:?}");
        let form = starter_form();
        let back: FormDefinition = parse_yaml(&to_yaml(&form)).unwrap();
        assert_eq!(back, form);
    }
}
