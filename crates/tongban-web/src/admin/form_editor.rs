//! Editing a service's application form in the browser, for department administrators: the
//! pages and their fields with buttons to add, move and remove them, a properties panel for the
//! selected field, page or declaration, the whole form as YAML (and JSON to download), the
//! problems publishing would refuse (each with its precise path and the page and field it is
//! about, linked to the field), and a preview rendered by the applicant's own page.
//!
//! Everything works without JavaScript: each button is a small form of its own, so pressing
//! Enter in one input never triggers another action. Every change is saved to the service's
//! draft through `tongban_services::form_admin`, even when the form still has problems, so work
//! is never lost; publishing (the service editor's) refuses a form with problems.

use std::collections::{HashMap, HashSet};

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use tongban_domain::forms::{
    Answers, Branch, Condition, CrossRule, DateBound, ExitPage, Field, FieldKind, FileKind,
    FormDefinition, Page, Prefill,
};
use tongban_domain::{Locale, LocalizedText};
use tongban_services::catalog_admin::EditError;
use tongban_services::form_admin::{
    self, FieldPath, FormEdit, ListPath, Op, OpError, Selection, SyntaxError,
};
use tongban_services::identity::CurrentUser;

use super::{no_access, signed_in_or_login};
use crate::applications::QuestionPage;
use crate::applications::view::{Posted, page_fields};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, MaybeUser, forbidden, html, origin, page, see_other};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/catalog/services/{code}/form", get(editor))
        .route("/admin/catalog/services/{code}/form/edit", post(edit))
        .route(
            "/admin/catalog/services/{code}/form/field",
            post(save_field),
        )
        .route("/admin/catalog/services/{code}/form/page", post(save_page))
        .route(
            "/admin/catalog/services/{code}/form/declaration",
            post(save_declaration),
        )
        .route(
            "/admin/catalog/services/{code}/form/yaml",
            get(yaml_page).post(save_yaml),
        )
        .route("/admin/catalog/services/{code}/form.json", get(json))
        .route("/admin/catalog/services/{code}/form/preview", get(preview))
}

/// The longest YAML accepted, and most option rows read: bound the work a post can cause.
const MAX_YAML_BYTES: usize = 512 * 1024;
const MAX_OPTIONS: usize = 200;

fn form_href(code: &str) -> String {
    format!("/admin/catalog/services/{code}/form")
}

/// Maps a refusal to its page: 403 without the role, 404 for another department's service.
fn refusal(state: &AppState, prefs: Prefs, error: EditError) -> Response {
    match error {
        EditError::Forbidden => no_access(state, prefs),
        EditError::NotFound | EditError::NoDraft => not_found(state, prefs),
        other => internal_error(state, prefs, &other),
    }
}

/// The signed-in user of a POST, after the CSRF check, and the posted fields.
#[allow(clippy::result_large_err)]
fn poster(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    body: &[u8],
    back: &str,
) -> Result<(CurrentUser, Values), Response> {
    let user = signed_in_or_login(user, back)?;
    let values = Values::from_form(body);
    if !csrf::verify(&state.secret, Some(&user), headers, values.get("csrf")) {
        return Err(forbidden(state, prefs));
    }
    Ok((user, values))
}

// ---------------------------------------------------------------------------------------------
// Posted and shown values: one flat map of input names, built from the form definition or from a
// post, so a refused post is shown again exactly as typed.

#[derive(Debug, Default, Clone)]
struct Values {
    map: HashMap<String, String>,
    /// Ticked checkboxes, by name and value.
    checked: HashSet<(String, String)>,
}

impl Values {
    fn from_form(body: &[u8]) -> Values {
        let mut values = Values::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "accept" | "required" => {
                    values
                        .checked
                        .insert((key.into_owned(), value.into_owned()));
                }
                _ => {
                    values.map.insert(key.into_owned(), value.into_owned());
                }
            }
        }
        values
    }

    fn get(&self, name: &str) -> &str {
        self.map.get(name).map(String::as_str).unwrap_or("")
    }

    fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.map.insert(name.into(), value.into());
    }

    fn is_checked(&self, name: &str, value: &str) -> bool {
        self.checked.contains(&(name.to_owned(), value.to_owned()))
    }

    fn check(&mut self, name: &str, value: &str) {
        self.checked.insert((name.to_owned(), value.to_owned()));
    }

    fn set_text(&mut self, base: &str, text: &LocalizedText) {
        for locale in Locale::ALL {
            if text.has(locale) {
                self.set(format!("{base}.{}", locale.tag()), text.get(locale));
            }
        }
    }

    fn text(&self, base: &str) -> LocalizedText {
        let mut text = LocalizedText::default();
        for locale in Locale::ALL {
            let value = self.get(&format!("{base}.{}", locale.tag())).trim();
            if !value.is_empty() {
                text = text.with(locale, value);
            }
        }
        text
    }

    /// How many option rows the post carried (the highest index plus one).
    fn option_rows(&self) -> usize {
        self.map
            .keys()
            .filter_map(|k| k.strip_prefix("options["))
            .filter_map(|rest| rest.split(']').next())
            .filter_map(|i| i.parse::<usize>().ok())
            .filter(|i| *i < MAX_OPTIONS)
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
    }
}

/// The id of the input called `name`: brackets and dots become hyphens so links stay plain.
fn input_id(name: &str) -> String {
    name.chars()
        .filter(|c| *c != ']')
        .map(|c| if c == '[' || c == '.' { '-' } else { c })
        .collect()
}

/// How a type-specific property is edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    /// A whole number.
    Int,
    /// A number that may have decimals.
    Float,
    /// An amount in yuan, stored as fen.
    Yuan,
    /// One line of text.
    Line,
    /// A date bound: `2026-01-01`, `today`, `today+30`.
    Date,
    /// Multilingual text.
    Lang,
    /// File kinds, ticked.
    Kinds,
    /// The options of a choice.
    Options,
}

/// The properties of each field type beyond those every field has, as written in the schema.
fn props(type_name: &str) -> &'static [(&'static str, Prop)] {
    use Prop::*;
    match type_name {
        "text" => &[
            ("min_length", Int),
            ("max_length", Int),
            ("pattern", Line),
            ("pattern_hint", Lang),
        ],
        "long-text" => &[("min_length", Int), ("max_length", Int)],
        "number" => &[
            ("min", Float),
            ("max", Float),
            ("decimals", Int),
            ("unit", Lang),
        ],
        "money" => &[("min", Yuan), ("max", Yuan)],
        "date" => &[("not_before", Date), ("not_after", Date)],
        "date-range" => &[("not_before", Date), ("not_after", Date), ("max_days", Int)],
        "choice" => &[("options", Options)],
        "choices" => &[("options", Options), ("min", Int), ("max", Int)],
        "address" => &[("within", Line)],
        "file" => &[("accept", Kinds), ("max_size_kb", Int), ("max_count", Int)],
        "group" => &[("min_items", Int), ("max_items", Int), ("item_label", Lang)],
        _ => &[],
    }
}

const PREFILLS: [Prefill; 6] = [
    Prefill::Name,
    Prefill::ResidentId,
    Prefill::Mobile,
    Prefill::Email,
    Prefill::EnterpriseName,
    Prefill::CreditCode,
];

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn json_text(value: &Json) -> LocalizedText {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn field_values(field: &Field) -> Values {
    let mut v = Values::default();
    v.set("key", field.key.as_str());
    v.set_text("label", &field.label);
    v.set_text("help", &field.help);
    if field.required {
        v.check("required", "yes");
    }
    v.set("prefill", field.prefill.map(Prefill::key).unwrap_or(""));
    if let Some(condition) = &field.show_if {
        v.set("show_if", form_admin::to_yaml(condition));
    }
    let json = serde_json::to_value(field).unwrap_or_default();
    for (name, prop) in props(field.kind.type_name()) {
        let Some(value) = json.get(name) else {
            continue;
        };
        match prop {
            Prop::Int | Prop::Float => v.set(*name, value.to_string()),
            Prop::Yuan => v.set(*name, value.as_i64().map(yuan).unwrap_or_default()),
            Prop::Line | Prop::Date => v.set(*name, value.as_str().unwrap_or_default()),
            Prop::Lang => v.set_text(name, &json_text(value)),
            Prop::Kinds => {
                for kind in value.as_array().into_iter().flatten() {
                    v.check("accept", kind.as_str().unwrap_or_default());
                }
            }
            Prop::Options => {
                for (i, option) in form_admin::options_of(field).iter().enumerate() {
                    v.set(format!("options[{i}].value"), option.value.as_str());
                    v.set_text(&format!("options[{i}].label"), &option.label);
                    v.set_text(&format!("options[{i}].hint"), &option.hint);
                }
            }
        }
    }
    v
}

/// A problem with what was posted: the id of the input and the message.
type Problem = (String, String);

fn syntax_message(c: &Chrome<'_>, error: &SyntaxError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => c.tr.tn(
            "form-editor-error-yaml-at",
            &[
                ("line", line.to_string()),
                ("column", column.to_string()),
                ("message", error.message.clone()),
            ],
        ),
        _ => {
            c.tr.t1("form-editor-error-yaml", "message", error.message.as_str())
        }
    }
}

/// Parses an optional YAML text area: empty is `None`.
fn optional_yaml<T: serde::de::DeserializeOwned>(
    c: &Chrome<'_>,
    values: &Values,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    let text = values.get(name);
    if text.trim().is_empty() {
        return None;
    }
    match form_admin::parse_yaml(text) {
        Ok(value) => Some(value),
        Err(error) => {
            problems.push((input_id(name), syntax_message(c, &error)));
            None
        }
    }
}

fn text_json(text: &LocalizedText) -> Json {
    serde_json::to_value(text).unwrap_or_default()
}

/// The field the properties panel describes, or what stops it being read.
fn field_from(c: &Chrome<'_>, values: &Values, existing: &Field) -> Result<Field, Vec<Problem>> {
    let mut problems = Vec::new();
    let type_name = existing.kind.type_name();
    let mut obj = Map::new();
    obj.insert("key".into(), values.get("key").trim().into());
    obj.insert("type".into(), type_name.into());
    obj.insert("label".into(), text_json(&values.text("label")));
    obj.insert("help".into(), text_json(&values.text("help")));
    obj.insert(
        "required".into(),
        values.is_checked("required", "yes").into(),
    );
    let prefill = values.get("prefill");
    if let Some(p) = PREFILLS.iter().find(|p| p.key() == prefill) {
        obj.insert("prefill".into(), p.key().into());
    }
    if let Some(condition) = optional_yaml::<Condition>(c, values, "show_if", &mut problems) {
        obj.insert(
            "show_if".into(),
            serde_json::to_value(condition).unwrap_or_default(),
        );
    }
    for (name, prop) in props(type_name) {
        let raw = values.get(name).trim();
        let value: Option<Json> = match prop {
            Prop::Int if raw.is_empty() => None,
            Prop::Int => match raw.parse::<u32>() {
                Ok(n) => Some(n.into()),
                Err(_) => {
                    problems.push((input_id(name), c.tr.t("form-editor-error-whole-number")));
                    None
                }
            },
            Prop::Float if raw.is_empty() => None,
            Prop::Float => match raw.parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::Number::from_f64(n).map(Json::Number),
                _ => {
                    problems.push((input_id(name), c.tr.t("form-editor-error-number")));
                    None
                }
            },
            Prop::Yuan if raw.is_empty() => None,
            Prop::Yuan => match tongban_domain::forms::parse_yuan(raw) {
                Some(fen) => Some(fen.into()),
                None => {
                    problems.push((input_id(name), c.tr.t("form-editor-error-amount")));
                    None
                }
            },
            Prop::Line => (!raw.is_empty()).then(|| raw.into()),
            Prop::Date if raw.is_empty() => None,
            Prop::Date => match DateBound::parse(raw) {
                Some(bound) => Some(bound.to_string().into()),
                None => {
                    problems.push((input_id(name), c.tr.t("form-editor-error-date-bound")));
                    None
                }
            },
            Prop::Lang => {
                let text = values.text(name);
                (!text.is_empty()).then(|| text_json(&text))
            }
            Prop::Kinds => Some(
                FileKind::ALL
                    .into_iter()
                    .filter(|k| values.is_checked("accept", k.key()))
                    .map(|k| Json::from(k.key()))
                    .collect(),
            ),
            Prop::Options => {
                let mut options = Vec::new();
                for i in 0..values.option_rows() {
                    let at = |part: &str| format!("options[{i}].{part}");
                    let value = values.get(&at("value")).trim();
                    let label = values.text(&at("label"));
                    let hint = values.text(&at("hint"));
                    // A row cleared of everything is removed.
                    if value.is_empty() && label.is_empty() && hint.is_empty() {
                        continue;
                    }
                    let mut option = Map::new();
                    option.insert("value".into(), value.into());
                    option.insert("label".into(), text_json(&label));
                    option.insert("hint".into(), text_json(&hint));
                    options.push(Json::Object(option));
                }
                Some(Json::Array(options))
            }
        };
        if let Some(value) = value {
            obj.insert((*name).into(), value);
        }
    }
    if let FieldKind::Group { fields, .. } = &existing.kind {
        obj.insert(
            "fields".into(),
            serde_json::to_value(fields).unwrap_or_default(),
        );
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_value(Json::Object(obj)).map_err(|e| {
        vec![(
            "key".to_owned(),
            c.tr.t1("form-editor-error-field", "message", e.to_string()),
        )]
    })
}

fn page_values(page: &Page) -> Values {
    let mut v = Values::default();
    v.set("key", page.key.as_str());
    v.set_text("title", &page.title);
    v.set_text("intro", &page.intro);
    if let Some(condition) = &page.show_if {
        v.set("show_if", form_admin::to_yaml(condition));
    }
    if !page.next.is_empty() {
        v.set("next", form_admin::to_yaml(&page.next));
    }
    v
}

fn page_from(c: &Chrome<'_>, values: &Values, existing: &Page) -> Result<Page, Vec<Problem>> {
    let mut problems = Vec::new();
    let show_if = optional_yaml::<Condition>(c, values, "show_if", &mut problems);
    let next = optional_yaml::<Vec<Branch>>(c, values, "next", &mut problems).unwrap_or_default();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Page {
        key: values.get("key").trim().to_owned(),
        title: values.text("title"),
        intro: values.text("intro"),
        fields: existing.fields.clone(),
        show_if,
        next,
    })
}

fn declaration_values(form: &FormDefinition) -> Values {
    let mut v = Values::default();
    v.set_text("text", &form.declaration.text);
    v.set_text("confirm", &form.declaration.confirm);
    if !form.exits.is_empty() {
        v.set("exits", form_admin::to_yaml(&form.exits));
    }
    if !form.rules.is_empty() {
        v.set("rules", form_admin::to_yaml(&form.rules));
    }
    v
}

// ---------------------------------------------------------------------------------------------
// The editor page

struct LangInput {
    tag: &'static str,
    endonym: &'static str,
    dir: &'static str,
    name: String,
    id: String,
    value: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

struct OptionRow {
    title: String,
    value_name: String,
    value_id: String,
    value: String,
    label: Vec<LangInput>,
    hint: Vec<LangInput>,
}

/// An input of the properties panel; `kind` says which parts apply: `texts` (four languages),
/// `line`, `yaml` (a text area of YAML), `check`, `select`, `kinds` (checkboxes), `options`.
#[derive(Default)]
struct Input {
    kind: &'static str,
    id: String,
    name: String,
    label: String,
    hint: String,
    value: String,
    checked: bool,
    long: bool,
    langs: Vec<LangInput>,
    choices: Vec<Choice>,
    rows: Vec<OptionRow>,
    error: Option<String>,
}

struct Panel {
    heading: String,
    /// Where the panel posts.
    action: String,
    /// The selected field's or page's path, posted back.
    at: String,
    inputs: Vec<Input>,
    /// The field's type, shown (a type is chosen when the field is added).
    type_label: String,
}

struct Builder<'v, 'c> {
    values: &'v Values,
    c: &'v Chrome<'c>,
    errors: &'v HashMap<String, String>,
}

impl Builder<'_, '_> {
    fn label(&self, key: &str) -> String {
        self.c
            .tr
            .t(&format!("form-editor-prop-{}", key.replace('_', "-")))
    }

    fn langs(&self, base: &str) -> Vec<LangInput> {
        Locale::ALL
            .into_iter()
            .map(|locale| {
                let name = format!("{base}.{}", locale.tag());
                LangInput {
                    tag: locale.tag(),
                    endonym: locale.endonym(),
                    dir: locale.direction().as_str(),
                    id: input_id(&name),
                    value: self.values.get(&name).to_owned(),
                    name,
                }
            })
            .collect()
    }

    fn texts(&self, name: &str, key: &str, long: bool) -> Input {
        let langs = self.langs(name);
        let error = langs
            .iter()
            .find_map(|l| self.errors.get(&l.id))
            .or_else(|| self.errors.get(&input_id(name)))
            .cloned();
        Input {
            kind: "texts",
            id: input_id(name),
            name: name.to_owned(),
            label: self.label(key),
            long,
            langs,
            error,
            ..Input::default()
        }
    }

    fn simple(&self, kind: &'static str, name: &str, hint: String) -> Input {
        let id = input_id(name);
        Input {
            kind,
            error: self.errors.get(&id).cloned(),
            id,
            name: name.to_owned(),
            label: self.label(name),
            value: self.values.get(name).to_owned(),
            hint,
            ..Input::default()
        }
    }

    fn field_inputs(&self, type_name: &str) -> Vec<Input> {
        let tr = self.c.tr;
        let mut inputs = vec![
            self.simple("line", "key", tr.t("form-editor-key-hint")),
            self.texts("label", "label", false),
            self.texts("help", "help", true),
            Input {
                kind: "check",
                id: "required".into(),
                name: "required".into(),
                label: self.label("required"),
                checked: self.values.is_checked("required", "yes"),
                ..Input::default()
            },
        ];
        for (name, prop) in props(type_name) {
            let input = match prop {
                Prop::Lang => self.texts(name, name, false),
                Prop::Kinds => Input {
                    kind: "kinds",
                    id: "accept".into(),
                    name: "accept".into(),
                    label: self.label(name),
                    choices: FileKind::ALL
                        .into_iter()
                        .map(|k| Choice {
                            value: k.key().to_owned(),
                            label: k.extension().to_uppercase(),
                            selected: self.values.is_checked("accept", k.key()),
                        })
                        .collect(),
                    error: self.errors.get("accept").cloned(),
                    ..Input::default()
                },
                Prop::Options => {
                    let rows = (0..self.values.option_rows() + 1)
                        .map(|i| {
                            let value_name = format!("options[{i}].value");
                            OptionRow {
                                title: tr.t1("form-editor-option-row", "number", (i + 1) as i64),
                                value_id: input_id(&value_name),
                                value: self.values.get(&value_name).to_owned(),
                                value_name,
                                label: self.langs(&format!("options[{i}].label")),
                                hint: self.langs(&format!("options[{i}].hint")),
                            }
                        })
                        .collect();
                    Input {
                        kind: "options",
                        id: "options".into(),
                        label: self.label(name),
                        hint: tr.t("form-editor-options-hint"),
                        rows,
                        ..Input::default()
                    }
                }
                Prop::Date => self.simple("line", name, tr.t("form-editor-date-hint")),
                Prop::Yuan => self.simple("line", name, tr.t("form-editor-yuan-hint")),
                Prop::Line if *name == "pattern" => {
                    self.simple("line", name, tr.t("form-editor-pattern-hint"))
                }
                Prop::Line if *name == "within" => {
                    self.simple("line", name, tr.t("form-editor-within-hint"))
                }
                Prop::Int | Prop::Float | Prop::Line => self.simple("line", name, String::new()),
            };
            inputs.push(input);
        }
        let current = self.values.get("prefill");
        let mut choices = vec![Choice {
            value: String::new(),
            label: tr.t("form-editor-prefill-none"),
            selected: current.is_empty(),
        }];
        choices.extend(PREFILLS.iter().map(|p| Choice {
            value: p.key().to_owned(),
            label: tr.t(&format!("form-editor-prefill-{}", p.key())),
            selected: p.key() == current,
        }));
        inputs.push(Input {
            kind: "select",
            id: "prefill".into(),
            name: "prefill".into(),
            label: self.label("prefill"),
            choices,
            error: self.errors.get("prefill").cloned(),
            ..Input::default()
        });
        inputs.push(self.simple("yaml", "show_if", tr.t("form-editor-show-if-hint")));
        inputs
    }

    fn page_inputs(&self) -> Vec<Input> {
        let tr = self.c.tr;
        vec![
            self.simple("line", "key", tr.t("form-editor-page-key-hint")),
            self.texts("title", "title", false),
            self.texts("intro", "intro", true),
            self.simple("yaml", "show_if", tr.t("form-editor-show-if-hint")),
            self.simple("yaml", "next", tr.t("form-editor-next-hint")),
        ]
    }

    fn declaration_inputs(&self) -> Vec<Input> {
        let tr = self.c.tr;
        vec![
            self.texts("text", "declaration-text", true),
            self.texts("confirm", "declaration-confirm", false),
            self.simple("yaml", "exits", tr.t("form-editor-exits-hint")),
            self.simple("yaml", "rules", tr.t("form-editor-rules-hint")),
        ]
    }
}

/// One field in the list of a page (or of a group).
struct FieldRow {
    at: String,
    key: String,
    type_label: String,
    label: String,
    required: bool,
    conditional: bool,
    selected: bool,
    first: bool,
    last: bool,
    /// A group's own fields, and the list path to add one to it.
    group: Option<(Vec<FieldRow>, String)>,
}

struct PageView {
    number: usize,
    at: String,
    key: String,
    title: String,
    conditional: bool,
    selected: bool,
    first: bool,
    last: bool,
    fields: Vec<FieldRow>,
}

struct ProblemView {
    href: String,
    place: String,
    path: String,
    message: String,
}

#[derive(Template)]
#[template(path = "admin/form/editor.html")]
struct EditorPage<'a> {
    c: Chrome<'a>,
    code: String,
    title: String,
    draft: bool,
    has_form: bool,
    done: Option<String>,
    /// Problems with a post, linked from the error summary.
    errors: Vec<(String, String)>,
    problems: Vec<ProblemView>,
    pages: Vec<PageView>,
    types: Vec<(&'static str, String)>,
    panel: Option<Panel>,
}

fn type_label(c: &Chrome<'_>, type_name: &str) -> String {
    c.tr.t(&format!("form-editor-type-{type_name}"))
}

fn field_rows(
    c: &Chrome<'_>,
    fields: &[Field],
    list: ListPath,
    selection: Selection,
) -> Vec<FieldRow> {
    let count = fields.len();
    fields
        .iter()
        .enumerate()
        .map(|(i, field)| {
            let at = match list.group {
                Some(group) => FieldPath {
                    page: list.page,
                    field: group,
                    sub: Some(i),
                },
                None => FieldPath {
                    page: list.page,
                    field: i,
                    sub: None,
                },
            };
            let group = match &field.kind {
                FieldKind::Group { fields, .. } if list.group.is_none() => {
                    let inner = ListPath {
                        page: list.page,
                        group: Some(i),
                    };
                    Some((field_rows(c, fields, inner, selection), inner.to_string()))
                }
                _ => None,
            };
            FieldRow {
                at: at.to_string(),
                key: field.key.clone(),
                type_label: type_label(c, field.kind.type_name()),
                label: field.label.get(Locale::ZhCn).to_owned(),
                required: field.required,
                conditional: field.show_if.is_some(),
                selected: selection == Selection::Field(at),
                first: i == 0,
                last: i + 1 == count,
                group,
            }
        })
        .collect()
}

fn problem_views(c: &Chrome<'_>, code: &str, form: &FormDefinition) -> Vec<ProblemView> {
    form.check()
        .into_iter()
        .map(|problem| {
            let place = form_admin::locate(form, &problem.path);
            let mut parts = Vec::new();
            if let Some((_, key)) = &place.page {
                parts.push(c.tr.t1("form-editor-place-page", "key", key.as_str()));
            }
            if let Some((_, key)) = &place.field {
                parts.push(c.tr.t1("form-editor-place-field", "key", key.as_str()));
            }
            if let Some(key) = &place.exit {
                parts.push(c.tr.t1("form-editor-place-exit", "key", key.as_str()));
            }
            if parts.is_empty() {
                parts.push(c.tr.t("form-editor-place-form"));
            }
            ProblemView {
                href: selection_href(code, place.selection),
                place: parts.join(" · "),
                path: problem.path,
                message: problem.message,
            }
        })
        .collect()
}

fn selection_href(code: &str, selection: Selection) -> String {
    let base = form_href(code);
    match selection {
        Selection::None => base,
        Selection::Field(at) => format!("{base}?field={at}#panel"),
        Selection::Page(i) => format!("{base}?page=pages[{i}]#panel"),
        Selection::Declaration => format!("{base}?part=declaration#panel"),
    }
}

#[derive(Debug, Deserialize, Default)]
struct EditorQuery {
    field: Option<String>,
    page: Option<String>,
    part: Option<String>,
    done: Option<String>,
}

impl EditorQuery {
    fn selection(&self) -> Selection {
        if let Some(at) = self.field.as_deref().and_then(FieldPath::parse) {
            Selection::Field(at)
        } else if let Some(list) = self.page.as_deref().and_then(ListPath::parse)
            && list.group.is_none()
        {
            Selection::Page(list.page)
        } else if self.part.as_deref() == Some("declaration") {
            Selection::Declaration
        } else {
            Selection::None
        }
    }
}

/// What a render starts from besides the stored form: a refused post, shown as typed.
#[derive(Default)]
struct Refused {
    values: Option<Values>,
    errors: Vec<Problem>,
}

#[allow(clippy::too_many_arguments)]
fn render_editor(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    found: &FormEdit,
    selection: Selection,
    done: Option<&str>,
    refused: Refused,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = form_href(&found.code);
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let error_map: HashMap<String, String> = refused.errors.iter().cloned().collect();
    let form = found.form.as_ref();
    let panel = form.and_then(|form| {
        let (values, heading, action, at, inputs_of, type_name): (
            Values,
            String,
            &str,
            String,
            u8,
            &str,
        ) = match selection {
            Selection::Field(at) => {
                let field = at.get(form)?;
                (
                    field_values(field),
                    c.tr.t1("form-editor-field-heading", "key", field.key.as_str()),
                    "field",
                    at.to_string(),
                    0,
                    field.kind.type_name(),
                )
            }
            Selection::Page(i) => {
                let page = form.pages.get(i)?;
                (
                    page_values(page),
                    c.tr.t1("form-editor-page-heading", "key", page.key.as_str()),
                    "page",
                    format!("pages[{i}]"),
                    1,
                    "",
                )
            }
            Selection::Declaration => (
                declaration_values(form),
                c.tr.t("form-editor-declaration-heading"),
                "declaration",
                String::new(),
                2,
                "",
            ),
            Selection::None => return None,
        };
        let values = refused.values.clone().unwrap_or(values);
        let builder = Builder {
            values: &values,
            c: &c,
            errors: &error_map,
        };
        let inputs = match inputs_of {
            0 => builder.field_inputs(type_name),
            1 => builder.page_inputs(),
            _ => builder.declaration_inputs(),
        };
        Some(Panel {
            heading,
            action: format!("{path}/{action}"),
            at,
            inputs,
            type_label: if type_name.is_empty() {
                String::new()
            } else {
                type_label(&c, type_name)
            },
        })
    });
    let pages = form
        .map(|form| {
            let count = form.pages.len();
            form.pages
                .iter()
                .enumerate()
                .map(|(i, p)| PageView {
                    number: i + 1,
                    at: format!("pages[{i}]"),
                    key: p.key.clone(),
                    title: p.title.get(Locale::ZhCn).to_owned(),
                    conditional: p.show_if.is_some() || !p.next.is_empty(),
                    selected: selection == Selection::Page(i),
                    first: i == 0,
                    last: i + 1 == count,
                    fields: field_rows(
                        &c,
                        &p.fields,
                        ListPath {
                            page: i,
                            group: None,
                        },
                        selection,
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    let problems = form
        .map(|form| problem_views(&c, &found.code, form))
        .unwrap_or_default();
    let name = c.l(&found.service_name).to_owned();
    let title = if name.is_empty() {
        found.code.clone()
    } else {
        format!("{name} ({})", found.code)
    };
    let done = done
        .filter(|d| matches!(*d, "saved" | "opened" | "created" | "removed"))
        .map(|d| c.tr.t(&format!("form-editor-done-{d}")));
    let types = FieldKind::TYPE_NAMES
        .into_iter()
        .map(|t| (t, type_label(&c, t)))
        .collect();
    let errors = refused.errors;
    page(
        state,
        prefs,
        status,
        EditorPage {
            code: found.code.clone(),
            title,
            draft: found.draft,
            has_form: form.is_some(),
            done,
            errors,
            problems,
            pages,
            types,
            panel,
            c,
        },
        Some(&csrf),
    )
}

async fn editor(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<EditorQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, &form_href(&code)) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match form_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    render_editor(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        &found,
        query.selection(),
        query.done.as_deref(),
        Refused::default(),
    )
}

/// Loads the form of a POST: rights first (so another department's service is a 404 whatever
/// was posted), then a draft, which every change needs.
async fn load_for_change(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    code: &str,
) -> Result<FormEdit, Response> {
    match form_admin::load(&state.db, state.clock.as_ref(), user, code).await {
        Ok(found) if found.draft => Ok(found),
        Ok(_) => Err(not_found(state, prefs)),
        Err(error) => Err(refusal(state, prefs, error)),
    }
}

#[allow(clippy::too_many_arguments)]
async fn store(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    code: &str,
    form: Option<FormDefinition>,
    then: Selection,
    done: &str,
) -> Response {
    let origin = origin(headers, peer);
    match form_admin::save_form(&state.db, state.clock.as_ref(), user, &origin, code, form).await {
        Ok(()) => {
            let href = selection_href(code, then);
            let (base, anchor) = match href.split_once('#') {
                Some((base, anchor)) => (base.to_owned(), format!("#{anchor}")),
                None => (href, String::new()),
            };
            let join = if base.contains('?') { '&' } else { '?' };
            see_other(&format!("{base}{join}done={done}{anchor}"))
        }
        Err(error) => refusal(state, prefs, error),
    }
}

async fn edit(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, values) = match poster(&state, prefs, user, &headers, &body, &form_href(&code)) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let op = values.get("op");
    if op == "open-draft" {
        let origin = origin(&headers, peer);
        return match tongban_services::catalog_admin::open_draft(
            &state.db,
            state.clock.as_ref(),
            &user,
            &origin,
            &code,
        )
        .await
        {
            Ok(()) => see_other(&format!("{}?done=opened", form_href(&code))),
            Err(error) => refusal(&state, prefs, error),
        };
    }
    let found = match load_for_change(&state, prefs, &user, &code).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if op == "create" {
        if found.form.is_some() {
            return see_other(&form_href(&code));
        }
        return store(
            &state,
            prefs,
            &user,
            &headers,
            peer,
            &code,
            Some(form_admin::starter_form()),
            Selection::None,
            "created",
        )
        .await;
    }
    let Some(mut form) = found.form else {
        return not_found(&state, prefs);
    };
    let at = values.get("at");
    let field = FieldPath::parse(at);
    let page_index = ListPath::parse(at)
        .filter(|l| l.group.is_none())
        .map(|l| l.page);
    let op = match (op, field, page_index) {
        ("add", _, _) => match ListPath::parse(at) {
            Some(list) => Op::AddField {
                list,
                type_name: values.get("type").to_owned(),
                key: values.get("key").to_owned(),
            },
            None => return not_found(&state, prefs),
        },
        ("up" | "down", Some(at), _) => Op::MoveField { at, up: op == "up" },
        ("remove", Some(at), _) => Op::RemoveField(at),
        ("add-page", _, _) => Op::AddPage {
            key: values.get("key").to_owned(),
        },
        ("page-up" | "page-down", _, Some(index)) => Op::MovePage {
            index,
            up: op == "page-up",
        },
        ("remove-page", _, Some(index)) => Op::RemovePage(index),
        _ => return not_found(&state, prefs),
    };
    let removed = matches!(op, Op::RemoveField(_) | Op::RemovePage(_));
    let selection = match form_admin::apply(&mut form, op) {
        Ok(selection) => selection,
        Err(OpError::NoSuchItem) => return not_found(&state, prefs),
        Err(error @ (OpError::UnknownType | OpError::NestedGroup)) => {
            let snapshot = state.snapshots.current();
            let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
            let key = match error {
                OpError::NestedGroup => "form-editor-error-nested-group",
                _ => "form-editor-error-type",
            };
            let message = c.tr.t(key);
            return render_editor(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &found_again(found.code, found.service_name, Some(form)),
                Selection::None,
                None,
                Refused {
                    values: None,
                    errors: vec![(format!("add-{at}"), message)],
                },
            );
        }
    };
    let done = if removed { "removed" } else { "saved" };
    store(
        &state,
        prefs,
        &user,
        &headers,
        peer,
        &code,
        Some(form),
        selection,
        done,
    )
    .await
}

fn found_again(
    code: String,
    service_name: LocalizedText,
    form: Option<FormDefinition>,
) -> FormEdit {
    FormEdit {
        code,
        service_name,
        draft: true,
        form,
    }
}

async fn save_field(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, values) = match poster(&state, prefs, user, &headers, &body, &form_href(&code)) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let found = match load_for_change(&state, prefs, &user, &code).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(mut form) = found.form.clone() else {
        return not_found(&state, prefs);
    };
    let Some(at) = FieldPath::parse(values.get("at")) else {
        return not_found(&state, prefs);
    };
    let Some(existing) = at.get(&form).cloned() else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
    match field_from(&c, &values, &existing) {
        Ok(field) => {
            if let Some(slot) = at.get_mut(&mut form) {
                *slot = field;
            }
            store(
                &state,
                prefs,
                &user,
                &headers,
                peer,
                &code,
                Some(form),
                Selection::Field(at),
                "saved",
            )
            .await
        }
        Err(errors) => render_editor(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Selection::Field(at),
            None,
            Refused {
                values: Some(values),
                errors,
            },
        ),
    }
}

async fn save_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, values) = match poster(&state, prefs, user, &headers, &body, &form_href(&code)) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let found = match load_for_change(&state, prefs, &user, &code).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(mut form) = found.form.clone() else {
        return not_found(&state, prefs);
    };
    let Some(index) = ListPath::parse(values.get("at"))
        .filter(|l| l.group.is_none())
        .map(|l| l.page)
        .filter(|i| *i < form.pages.len())
    else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
    match page_from(&c, &values, &form.pages[index]) {
        Ok(page) => {
            form.pages[index] = page;
            store(
                &state,
                prefs,
                &user,
                &headers,
                peer,
                &code,
                Some(form),
                Selection::Page(index),
                "saved",
            )
            .await
        }
        Err(errors) => render_editor(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Selection::Page(index),
            None,
            Refused {
                values: Some(values),
                errors,
            },
        ),
    }
}

async fn save_declaration(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (user, values) = match poster(&state, prefs, user, &headers, &body, &form_href(&code)) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let found = match load_for_change(&state, prefs, &user, &code).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(mut form) = found.form.clone() else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
    let mut errors = Vec::new();
    let exits = optional_yaml::<Vec<ExitPage>>(&c, &values, "exits", &mut errors);
    let rules = optional_yaml::<Vec<CrossRule>>(&c, &values, "rules", &mut errors);
    if !errors.is_empty() {
        return render_editor(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Selection::Declaration,
            None,
            Refused {
                values: Some(values),
                errors,
            },
        );
    }
    form.declaration.text = values.text("text");
    form.declaration.confirm = values.text("confirm");
    form.exits = exits.unwrap_or_default();
    form.rules = rules.unwrap_or_default();
    store(
        &state,
        prefs,
        &user,
        &headers,
        peer,
        &code,
        Some(form),
        Selection::Declaration,
        "saved",
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// YAML and JSON

#[derive(Template)]
#[template(path = "admin/form/yaml.html")]
struct YamlPage<'a> {
    c: Chrome<'a>,
    code: String,
    title: String,
    draft: bool,
    yaml: String,
    errors: Vec<(String, String)>,
    problems: Vec<ProblemView>,
    done: Option<String>,
}

#[allow(clippy::too_many_arguments)]
fn render_yaml(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    found: &FormEdit,
    yaml: Option<String>,
    errors: Vec<Problem>,
    done: Option<&str>,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = format!("{}/yaml", form_href(&found.code));
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let yaml = yaml.unwrap_or_else(|| {
        found
            .form
            .as_ref()
            .map(form_admin::to_yaml)
            .unwrap_or_default()
    });
    let problems = found
        .form
        .as_ref()
        .map(|form| problem_views(&c, &found.code, form))
        .unwrap_or_default();
    let name = c.l(&found.service_name).to_owned();
    let done = done
        .filter(|d| *d == "saved")
        .map(|_| c.tr.t("form-editor-done-saved"));
    page(
        state,
        prefs,
        status,
        YamlPage {
            code: found.code.clone(),
            title: if name.is_empty() {
                found.code.clone()
            } else {
                format!("{name} ({})", found.code)
            },
            draft: found.draft,
            yaml,
            errors,
            problems,
            done,
            c,
        },
        Some(&csrf),
    )
}

async fn yaml_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<EditorQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, &format!("{}/yaml", form_href(&code))) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match form_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    render_yaml(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        &found,
        None,
        Vec::new(),
        query.done.as_deref(),
    )
}

async fn save_yaml(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let back = format!("{}/yaml", form_href(&code));
    let (user, values) = match poster(&state, prefs, user, &headers, &body, &back) {
        Ok(posted) => posted,
        Err(response) => return response,
    };
    let found = match load_for_change(&state, prefs, &user, &code).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let text = values.get("yaml");
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
    let parsed = if text.len() > MAX_YAML_BYTES {
        Err(c.tr.t("form-editor-error-too-long"))
    } else if text.trim().is_empty() {
        // An empty text removes the online form: the service is then applied for in the hall.
        Ok(None)
    } else {
        form_admin::parse_yaml::<FormDefinition>(text)
            .map(Some)
            .map_err(|e| syntax_message(&c, &e))
    };
    match parsed {
        Ok(form) => {
            let origin = origin(&headers, peer);
            match form_admin::save_form(
                &state.db,
                state.clock.as_ref(),
                &user,
                &origin,
                &code,
                form,
            )
            .await
            {
                Ok(()) => see_other(&format!("{back}?done=saved")),
                Err(error) => refusal(&state, prefs, error),
            }
        }
        Err(message) => render_yaml(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &found,
            Some(text.to_owned()),
            vec![("yaml".into(), message)],
            None,
        ),
    }
}

async fn json(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
) -> Response {
    let user = match signed_in_or_login(user, &format!("{}.json", form_href(&code))) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match form_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let Some(form) = found.form else {
        return not_found(&state, prefs);
    };
    let body = match serde_json::to_string_pretty(&form) {
        Ok(body) => body,
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let mut response = html(StatusCode::OK, body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    // The code is a service code (letters and digits), safe in a header.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}-form.json\"",
        found.code
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------------------
// Preview

#[derive(Debug, Deserialize, Default)]
struct PreviewQuery {
    page: Option<String>,
}

async fn preview(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<PreviewQuery>,
    headers: HeaderMap,
) -> Response {
    let base = format!("{}/preview", form_href(&code));
    let user = match signed_in_or_login(user, &base) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match form_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let Some(form) = found.form.as_ref() else {
        return not_found(&state, prefs);
    };
    let index = match query.page.as_deref() {
        None => 0,
        Some(key) => match form.pages.iter().position(|p| p.key == key) {
            Some(index) => index,
            None => return not_found(&state, prefs),
        },
    };
    let Some(form_page) = form.pages.get(index) else {
        return not_found(&state, prefs);
    };
    // Every question of the page is shown, including those asked only after some answers:
    // the administrator checks them all.
    let mut shown = form_page.clone();
    for field in &mut shown.fields {
        field.show_if = None;
    }
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, &base).for_user(Some(&user), Some(csrf.token.clone()));
    let locale = prefs.locale;
    let answers = Answers::new();
    let fields = page_fields(
        &c.tr,
        locale,
        &state.divisions,
        &shown,
        &answers,
        &[],
        &Posted::default(),
    );
    let page_href = |key: &str| format!("{base}?page={key}");
    let preview_pages = form
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                page_href(&p.key),
                p.title.get(locale).to_owned(),
                i == index,
            )
        })
        .collect();
    let multipart = shown.fields.iter().any(|f| match &f.kind {
        FieldKind::File { .. } => true,
        FieldKind::Group { fields, .. } => fields
            .iter()
            .any(|s| matches!(s.kind, FieldKind::File { .. })),
        _ => false,
    });
    let body = QuestionPage {
        service_name: found.service_name.get(locale).to_owned(),
        title: form_page.title.get(locale).to_owned(),
        intro: form_page.intro.get(locale).to_owned(),
        action: page_href(&form_page.key),
        back: match index {
            0 => form_href(&code),
            i => page_href(&form.pages[i - 1].key),
        },
        fields,
        errors: Vec::new(),
        multipart,
        return_to_check: false,
        counter_for: None,
        preview: true,
        preview_pages,
        progress: c.tr.tn(
            "apply-page-of",
            &[
                ("page", (index + 1).to_string()),
                ("pages", form.pages.len().to_string()),
            ],
        ),
        expires: String::new(),
        c,
    };
    let mut response = page(&state, prefs, StatusCode::OK, body, Some(&csrf));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
