//! Editing services in the browser, for department administrators: the department's service
//! list, the editor of a draft (every guide field, the four languages side by side, missing
//! translations marked), the preview rendered by the public page's own code, publishing, and
//! the history of versions with a field-by-field diff. Also the public, read-only page of any
//! published version (`/services/{code}/versions/{n}`), which cases made under an older
//! version link to, and the ticker that makes a version dated in the future go live.
//!
//! Lists work without JavaScript: each list shows its rows plus one blank row; "add another"
//! saves and shows the form again with a new blank row; a row whose fields are all cleared is
//! removed on save. Rules live in `tongban_services::catalog_admin`; this module only reads
//! forms and renders.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_domain::catalog::{
    Audience, CatalogProblem, Channel, Faq, Fee, LifeEvent, Material, MaterialForm, Service,
    ServiceKind,
};
use tongban_domain::money::Fen;
use tongban_domain::{Locale, LocalizedText};
use tongban_services::catalog_admin::{
    self as editing, Change, EditError, PathPart, Publication, ServiceLine, Value,
};
use tongban_services::identity::CurrentUser;

use super::{no_access, signed_in_or_login};
use crate::catalog::{chrome, render_service};
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, MaybeUser, forbidden, html, origin, page, see_other};
use crate::layout::{Chrome, local_date, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/catalog", get(list))
        .route("/admin/catalog/new", post(create))
        .route("/admin/catalog/services/{code}", get(editor))
        .route("/admin/catalog/services/{code}/draft", post(open_draft))
        .route("/admin/catalog/services/{code}/save", post(save))
        .route("/admin/catalog/services/{code}/discard", post(discard))
        .route("/admin/catalog/services/{code}/publish", post(publish))
        .route("/admin/catalog/services/{code}/preview", get(preview))
        .route("/admin/catalog/services/{code}/history", get(history))
        .route(
            "/admin/catalog/services/{code}/history/{n}",
            get(history_diff),
        )
        .route("/services/{code}/versions/{n}", get(public_version))
}

/// Most rows a list may have: bounds the work a crafted form can cause.
const MAX_ROWS: usize = 100;

/// Maps a refusal to its page: 403 without the role, 404 for another department's service.
fn refusal(state: &AppState, prefs: Prefs, error: EditError) -> Response {
    match error {
        EditError::Forbidden => no_access(state, prefs),
        EditError::NotFound | EditError::NoDraft => not_found(state, prefs),
        EditError::Store(error) => internal_error(state, prefs, &error),
        other => internal_error(state, prefs, &other),
    }
}

fn editor_href(code: &str) -> String {
    format!("/admin/catalog/services/{code}")
}

// ---------------------------------------------------------------------------------------------
// The department's services

#[derive(Template)]
#[template(path = "admin/catalog/list.html")]
struct ListPage<'a> {
    c: Chrome<'a>,
    services: Vec<ServiceLine>,
}

impl ListPage<'_> {
    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_time(*at)
    }
}

async fn list(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/catalog") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let services = match editing::list_services(&state.db, state.clock.as_ref(), &user).await {
        Ok(services) => services,
        Err(error) => return refusal(&state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/admin/catalog")
        .for_user(Some(&user), Some(csrf.token.clone()));
    page(
        &state,
        prefs,
        StatusCode::OK,
        ListPage { c, services },
        Some(&csrf),
    )
}

/// Reads the CSRF field of a posted form.
fn csrf_field(body: &[u8]) -> String {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The signed-in user of a POST, after the CSRF check.
#[allow(clippy::result_large_err)]
fn poster(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    body: &[u8],
    back: &str,
) -> Result<CurrentUser, Response> {
    let user = signed_in_or_login(user, back)?;
    if !csrf::verify(&state.secret, Some(&user), headers, &csrf_field(body)) {
        return Err(forbidden(state, prefs));
    }
    Ok(user)
}

async fn create(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &body, "/admin/catalog") {
        Ok(user) => user,
        Err(response) => return response,
    };
    let origin = origin(&headers, peer);
    match editing::create_service(&state.db, state.clock.as_ref(), &user, &origin).await {
        Ok(code) => see_other(&format!("{}?done=created", editor_href(&code))),
        Err(error) => refusal(&state, prefs, error),
    }
}

// ---------------------------------------------------------------------------------------------
// Form fields: one flat map of names to values, built from a service or from a posted form, so
// the editor shows a refused submission exactly as it was typed.

#[derive(Debug, Default, Clone)]
struct Fields {
    values: HashMap<String, String>,
    checked: HashSet<(String, String)>,
}

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.values.get(name).map(String::as_str).unwrap_or("")
    }

    fn set(&mut self, name: String, value: impl Into<String>) {
        self.values.insert(name, value.into());
    }

    fn check(&mut self, name: &str, value: &str) {
        self.checked.insert((name.to_owned(), value.to_owned()));
    }

    fn is_checked(&self, name: &str, value: &str) -> bool {
        self.checked.contains(&(name.to_owned(), value.to_owned()))
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

    /// How many rows of list `list` the form carried (its highest index plus one).
    fn rows(&self, list: &str) -> usize {
        let prefix = format!("{list}[");
        self.values
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split(']').next())
            .filter_map(|i| i.parse::<usize>().ok())
            .filter(|i| *i < MAX_ROWS)
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
    }

    fn from_form(body: &[u8]) -> Fields {
        let mut fields = Fields::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "audience" | "life_event" | "channel" | "hall" => fields.check(&key, &value),
                name if name.ends_with(".mandatory") => fields.check(name, "yes"),
                _ => fields.set(key.into_owned(), value.into_owned()),
            }
        }
        fields
    }

    fn from_service(s: &Service) -> Fields {
        let mut f = Fields::default();
        f.set_text("name", &s.name);
        f.set_text("summary", &s.summary);
        f.set("kind".into(), s.kind.key());
        for a in &s.audiences {
            f.check("audience", a.key());
        }
        for e in &s.life_events {
            f.check("life_event", e.key());
        }
        for ch in &s.channels {
            f.check("channel", ch.key());
        }
        f.set("visits".into(), s.visits.to_string());
        f.set("committed_days".into(), s.committed_days.to_string());
        f.set("statutory_days".into(), s.statutory_days.to_string());
        for (list, items) in [
            ("conditions", &s.conditions),
            ("process", &s.process),
            ("legal_basis", &s.legal_basis),
        ] {
            for (i, text) in items.iter().enumerate() {
                f.set_text(&format!("{list}[{i}]"), text);
            }
        }
        for (i, m) in s.materials.iter().enumerate() {
            let at = |field: &str| format!("materials[{i}].{field}");
            f.set_text(&at("name"), &m.name);
            f.set_text(&at("description"), &m.description);
            f.set(at("form"), material_form_key(m.form));
            if m.mandatory {
                f.check(&at("mandatory"), "yes");
            }
            f.set(at("copies"), m.copies.to_string());
            f.set(
                at("certificate_type"),
                m.certificate_type.clone().unwrap_or_default(),
            );
        }
        for (i, fee) in s.fees.iter().enumerate() {
            let at = |field: &str| format!("fees[{i}].{field}");
            f.set_text(&at("item"), &fee.item);
            f.set(at("amount"), yuan(fee.amount));
            f.set_text(&at("note"), &fee.note);
            f.set_text(&at("basis"), &fee.basis);
        }
        f.set_text("result", &s.result);
        for h in &s.halls {
            f.check("hall", h);
        }
        for (i, faq) in s.faq.iter().enumerate() {
            f.set_text(&format!("faq[{i}].question"), &faq.question);
            f.set_text(&format!("faq[{i}].answer"), &faq.answer);
        }
        let c = &s.contact;
        f.set("contact.phone".into(), c.phone.clone().unwrap_or_default());
        f.set(
            "contact.complaint_phone".into(),
            c.complaint_phone.clone().unwrap_or_default(),
        );
        f.set("contact.email".into(), c.email.clone().unwrap_or_default());
        f.set_text("contact.address", &c.address);
        f.set_text("contact.hours", &c.hours);
        f
    }
}

fn material_form_key(form: MaterialForm) -> &'static str {
    match form {
        MaterialForm::Upload => "upload",
        MaterialForm::FormField => "form-field",
    }
}

/// Fen as yuan with two decimals, without the currency sign, for an input.
fn yuan(fen: Fen) -> String {
    let sign = if fen.0 < 0 { "-" } else { "" };
    let abs = fen.0.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Yuan as typed (`20`, `20.5`, `20.50`, `２０` is refused) to fen; at most two decimals, not
/// negative, at most 100 million yuan.
fn parse_yuan(text: &str) -> Option<Fen> {
    let text = text.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if whole.is_empty()
        || whole.len() > 9
        || fraction.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    Some(Fen(whole * 100 + cents))
}

/// A form problem: the id of the field it is about and the message id of what is wrong.
type Problem = (String, &'static str);

/// The id of the input called `name` (ids avoid brackets and dots so links to them are plain).
fn field_id(name: &str) -> String {
    name.chars()
        .filter(|c| *c != ']')
        .map(|c| if c == '[' || c == '.' { '-' } else { c })
        .collect()
}

/// The service the form describes, or the problems that stop it being saved (numbers that are
/// not numbers). Missing content is not a problem here: a draft may be incomplete.
fn service_from(fields: &Fields, base: &Service) -> Result<Service, Vec<Problem>> {
    let mut problems: Vec<Problem> = Vec::new();
    let mut number = |name: &str, max: u32| -> u32 {
        let raw = fields.get(name).trim();
        if raw.is_empty() {
            return 0;
        }
        match raw.parse::<u32>() {
            Ok(n) if n <= max => n,
            _ => {
                problems.push((field_id(name), "catalog-admin-error-number"));
                0
            }
        }
    };
    let visits = number("visits", u32::from(u8::MAX)) as u8;
    let committed_days = number("committed_days", u32::from(u16::MAX)) as u16;
    let statutory_days = number("statutory_days", u32::from(u16::MAX)) as u16;
    let mut copies = Vec::new();
    for i in 0..fields.rows("materials") {
        copies.push(number(&format!("materials[{i}].copies"), u32::from(u8::MAX)) as u8);
    }

    let texts = |list: &str| -> Vec<LocalizedText> {
        (0..fields.rows(list))
            .map(|i| fields.text(&format!("{list}[{i}]")))
            .filter(|t| !t.is_empty())
            .collect()
    };
    let mut materials = Vec::new();
    for (i, copies) in copies.into_iter().enumerate() {
        let at = |field: &str| format!("materials[{i}].{field}");
        let name = fields.text(&at("name"));
        let description = fields.text(&at("description"));
        let certificate = fields.get(&at("certificate_type")).trim().to_owned();
        if name.is_empty() && description.is_empty() && certificate.is_empty() {
            continue;
        }
        materials.push(Material {
            name,
            description,
            form: match fields.get(&at("form")) {
                "form-field" => MaterialForm::FormField,
                _ => MaterialForm::Upload,
            },
            mandatory: fields.is_checked(&at("mandatory"), "yes"),
            copies,
            // Whether the platform may fetch the certificate is set by catalogue import, like
            // what the service issues; the row keeps it while it names the same certificate.
            fetch: base
                .materials
                .iter()
                .find(|m| m.certificate_type.as_deref() == Some(certificate.as_str()))
                .and_then(|m| m.fetch),
            certificate_type: (!certificate.is_empty()).then_some(certificate),
        });
    }
    let mut fees = Vec::new();
    for i in 0..fields.rows("fees") {
        let at = |field: &str| format!("fees[{i}].{field}");
        let item = fields.text(&at("item"));
        let note = fields.text(&at("note"));
        let basis = fields.text(&at("basis"));
        let amount = fields.get(&at("amount")).trim();
        if item.is_empty() && note.is_empty() && basis.is_empty() && amount.is_empty() {
            continue;
        }
        let amount = match parse_yuan(amount) {
            Some(fen) => fen,
            None => {
                problems.push((field_id(&at("amount")), "catalog-admin-error-amount"));
                Fen(0)
            }
        };
        fees.push(Fee {
            item,
            amount,
            note,
            basis,
        });
    }
    let faq = (0..fields.rows("faq"))
        .map(|i| Faq {
            question: fields.text(&format!("faq[{i}].question")),
            answer: fields.text(&format!("faq[{i}].answer")),
        })
        .filter(|f| !(f.question.is_empty() && f.answer.is_empty()))
        .collect();
    let optional = |name: &str| {
        let v = fields.get(name).trim();
        (!v.is_empty()).then(|| v.to_owned())
    };
    let kind = [
        ServiceKind::AdministrativePermit,
        ServiceKind::AdministrativeConfirmation,
        ServiceKind::AdministrativePayment,
        ServiceKind::PublicService,
        ServiceKind::Other,
    ]
    .into_iter()
    .find(|k| k.key() == fields.get("kind"))
    .unwrap_or(base.kind);
    let service = Service {
        code: base.code.clone(),
        department: base.department.clone(),
        kind,
        name: fields.text("name"),
        summary: fields.text("summary"),
        audiences: keep_order(&base.audiences, Audience::ALL, |a| {
            fields.is_checked("audience", a.key())
        }),
        life_events: keep_order(&base.life_events, LifeEvent::ALL, |e| {
            fields.is_checked("life_event", e.key())
        }),
        channels: keep_order(&base.channels, [Channel::Online, Channel::Hall], |ch| {
            fields.is_checked("channel", ch.key())
        }),
        visits,
        committed_days,
        statutory_days,
        conditions: texts("conditions"),
        materials,
        process: texts("process"),
        fees,
        legal_basis: texts("legal_basis"),
        result: fields.text("result"),
        halls: keep_order(
            &base.halls,
            fields
                .checked
                .iter()
                .filter(|(name, _)| name == "hall")
                .map(|(_, code)| code.clone())
                .collect::<std::collections::BTreeSet<_>>(),
            |code| fields.is_checked("hall", code),
        ),
        faq,
        contact: tongban_domain::catalog::Contact {
            phone: optional("contact.phone"),
            complaint_phone: optional("contact.complaint_phone"),
            email: optional("contact.email"),
            address: fields.text("contact.address"),
            hours: fields.text("contact.hours"),
        },
        issues: base.issues.clone(),
        // Whether lower regions inherit the service is set by catalogue import, like the
        // certificate it issues.
        shared: base.shared,
        // The form has its own editor; the guide editor keeps it as it is.
        form: base.form.clone(),
        workflow: base.workflow.clone(),
    };
    if problems.is_empty() {
        Ok(service)
    } else {
        Err(problems)
    }
}

/// The chosen items: those the draft had, in its order (so saving an unchanged form changes
/// nothing), then newly chosen ones in `all`'s order.
fn keep_order<T: Clone + PartialEq>(
    before: &[T],
    all: impl IntoIterator<Item = T>,
    chosen: impl Fn(&T) -> bool,
) -> Vec<T> {
    let mut out: Vec<T> = before.iter().filter(|t| chosen(t)).cloned().collect();
    for item in all {
        if chosen(&item) && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The editor page

/// One language's input of a multilingual field.
struct LangInput {
    tag: &'static str,
    endonym: &'static str,
    dir: &'static str,
    name: String,
    id: String,
    value: String,
    /// The Chinese text is there and this language's is not.
    missing: bool,
}

/// An input of the editor. `kind` says which of its parts apply: `texts` (a multilingual text,
/// the four languages side by side), `line` (one value: numbers, phone numbers, codes), `select`
/// or `checks` (checkboxes sharing one name).
#[derive(Default)]
struct Input {
    kind: &'static str,
    id: String,
    name: String,
    label: String,
    /// Texts: a text area rather than a line.
    long: bool,
    langs: Vec<LangInput>,
    /// Lines: the input type.
    input_type: &'static str,
    value: String,
    hint: String,
    options: Vec<Choice>,
    error: Option<String>,
}

struct Choice {
    id: String,
    name: String,
    value: String,
    label: String,
    selected: bool,
}

/// A row of a list (or the fields of a plain section).
struct Group {
    title: String,
    inputs: Vec<Input>,
}

struct Section {
    id: &'static str,
    title: String,
    groups: Vec<Group>,
    /// Lists offer "add another".
    list: bool,
}

struct Builder<'f, 'c> {
    fields: &'f Fields,
    c: &'f Chrome<'c>,
    errors: &'f HashMap<String, String>,
    missing: usize,
}

impl Builder<'_, '_> {
    fn label(&self, key: &str) -> String {
        self.c.tr.t(&format!("catalog-field-{key}"))
    }

    fn texts(&mut self, base: &str, key: &str, long: bool) -> Input {
        let has_chinese = !self.fields.get(&format!("{base}.zh-CN")).trim().is_empty();
        let mut error = None;
        let langs = Locale::ALL
            .into_iter()
            .map(|locale| {
                let name = format!("{base}.{}", locale.tag());
                let value = self.fields.get(&name).to_owned();
                let missing = has_chinese && locale != Locale::ZhCn && value.trim().is_empty();
                if missing {
                    self.missing += 1;
                }
                let id = field_id(&name);
                if let Some(e) = self.errors.get(&id) {
                    error = Some(e.clone());
                }
                LangInput {
                    tag: locale.tag(),
                    endonym: locale.endonym(),
                    dir: locale.direction().as_str(),
                    name,
                    id,
                    value,
                    missing,
                }
            })
            .collect();
        Input {
            kind: "texts",
            id: field_id(base),
            label: self.label(key),
            long,
            langs,
            error,
            ..Input::default()
        }
    }

    fn line(&self, name: &str, key: &str, kind: &'static str, hint: String) -> Input {
        let id = field_id(name);
        Input {
            kind: "line",
            error: self.errors.get(&id).cloned(),
            id,
            name: name.to_owned(),
            label: self.label(key),
            input_type: kind,
            value: self.fields.get(name).to_owned(),
            hint,
            ..Input::default()
        }
    }

    fn checks(&self, name: &str, key: &str, options: Vec<(String, String)>) -> Input {
        let options = options
            .into_iter()
            .map(|(value, label)| Choice {
                id: format!("{name}-{value}"),
                name: name.to_owned(),
                selected: self.fields.is_checked(name, &value),
                value,
                label,
            })
            .collect();
        Input {
            kind: "checks",
            id: name.to_owned(),
            label: self.label(key),
            options,
            error: self.errors.get(name).cloned(),
            ..Input::default()
        }
    }

    fn select(&self, name: &str, key: &str, options: Vec<(String, String)>) -> Input {
        let current = self.fields.get(name).to_owned();
        let options = options
            .into_iter()
            .map(|(value, label)| Choice {
                id: String::new(),
                name: name.to_owned(),
                selected: value == current,
                value,
                label,
            })
            .collect();
        Input {
            kind: "select",
            id: field_id(name),
            name: name.to_owned(),
            label: self.label(key),
            options,
            ..Input::default()
        }
    }

    fn row_title(&self, key: &str, i: usize) -> String {
        format!("{} {}", self.label(key), i + 1)
    }

    fn sections(&mut self) -> Vec<Section> {
        let tr = self.c.tr;
        let mut sections = Vec::new();
        let about = vec![
            self.texts("name", "name", false),
            self.texts("summary", "summary", true),
            self.select(
                "kind",
                "kind",
                [
                    ServiceKind::AdministrativePermit,
                    ServiceKind::AdministrativeConfirmation,
                    ServiceKind::AdministrativePayment,
                    ServiceKind::PublicService,
                    ServiceKind::Other,
                ]
                .into_iter()
                .map(|k| (k.key().to_owned(), tr.t(&format!("kind-{}", k.key()))))
                .collect(),
            ),
            self.checks(
                "audience",
                "audiences",
                Audience::ALL
                    .into_iter()
                    .map(|a| (a.key().to_owned(), tr.t(&format!("audience-{}", a.key()))))
                    .collect(),
            ),
            self.checks(
                "life_event",
                "life-events",
                LifeEvent::ALL
                    .into_iter()
                    .map(|e| (e.key().to_owned(), tr.t(&format!("life-event-{}", e.key()))))
                    .collect(),
            ),
            self.texts("result", "result", false),
        ];
        sections.push(Section {
            id: "about",
            title: tr.t("catalog-admin-section-about"),
            groups: vec![Group {
                title: String::new(),
                inputs: about,
            }],
            list: false,
        });
        let how = vec![
            self.checks(
                "channel",
                "channels",
                [Channel::Online, Channel::Hall]
                    .into_iter()
                    .map(|ch| (ch.key().to_owned(), tr.t(&format!("channel-{}", ch.key()))))
                    .collect(),
            ),
            self.line("visits", "visits", "number", String::new()),
            self.line(
                "committed_days",
                "committed-days",
                "number",
                tr.t("catalog-admin-days-hint"),
            ),
            self.line(
                "statutory_days",
                "statutory-days",
                "number",
                tr.t("catalog-admin-days-hint"),
            ),
            self.checks(
                "hall",
                "halls",
                self.c
                    .catalog
                    .halls
                    .iter()
                    .map(|h| (h.code.clone(), self.c.l(&h.name).to_owned()))
                    .collect(),
            ),
        ];
        sections.push(Section {
            id: "how",
            title: tr.t("catalog-admin-section-how"),
            groups: vec![Group {
                title: String::new(),
                inputs: how,
            }],
            list: false,
        });
        for (list, key) in [
            ("conditions", "conditions"),
            ("process", "process"),
            ("legal_basis", "legal-basis"),
        ] {
            let rows = self.fields.rows(list) + 1;
            let groups = (0..rows)
                .map(|i| Group {
                    title: self.row_title(key, i),
                    inputs: vec![self.texts(&format!("{list}[{i}]"), key, true)],
                })
                .collect();
            sections.push(Section {
                id: list_id(list),
                title: self.label(key),
                groups,
                list: true,
            });
        }
        let rows = self.fields.rows("materials") + 1;
        let mut groups = Vec::new();
        for i in 0..rows {
            let at = |f: &str| format!("materials[{i}].{f}");
            let mandatory_name = at("mandatory");
            let inputs = vec![
                self.texts(&at("name"), "name", false),
                self.texts(&at("description"), "description", true),
                self.select(
                    &at("form"),
                    "material-form",
                    [MaterialForm::Upload, MaterialForm::FormField]
                        .into_iter()
                        .map(|f| (material_form_key(f).to_owned(), self.c.material_form(&f)))
                        .collect(),
                ),
                Input {
                    kind: "checks",
                    id: field_id(&mandatory_name),
                    label: self.label("mandatory"),
                    options: vec![Choice {
                        id: format!("{}-yes", field_id(&mandatory_name)),
                        // A blank row starts mandatory, as most materials are.
                        selected: self.fields.is_checked(&mandatory_name, "yes") || i + 1 == rows,
                        name: mandatory_name,
                        value: "yes".into(),
                        label: tr.t("material-mandatory"),
                    }],
                    ..Input::default()
                },
                self.line(&at("copies"), "copies", "number", String::new()),
                self.line(
                    &at("certificate_type"),
                    "certificate-type",
                    "text",
                    tr.t("catalog-admin-certificate-hint"),
                ),
            ];
            groups.push(Group {
                title: self.row_title("materials", i),
                inputs,
            });
        }
        sections.push(Section {
            id: "materials",
            title: self.label("materials"),
            groups,
            list: true,
        });
        let rows = self.fields.rows("fees") + 1;
        let mut groups = Vec::new();
        for i in 0..rows {
            let at = |f: &str| format!("fees[{i}].{f}");
            let inputs = vec![
                self.texts(&at("item"), "fee-item", false),
                self.line(
                    &at("amount"),
                    "amount",
                    "text",
                    tr.t("catalog-admin-amount-hint"),
                ),
                self.texts(&at("note"), "fee-note", false),
                self.texts(&at("basis"), "fee-basis", false),
            ];
            groups.push(Group {
                title: self.row_title("fees", i),
                inputs,
            });
        }
        sections.push(Section {
            id: "fees",
            title: self.label("fees"),
            groups,
            list: true,
        });
        let rows = self.fields.rows("faq") + 1;
        let groups = (0..rows)
            .map(|i| Group {
                title: self.row_title("faq", i),
                inputs: vec![
                    self.texts(&format!("faq[{i}].question"), "question", false),
                    self.texts(&format!("faq[{i}].answer"), "answer", true),
                ],
            })
            .collect();
        sections.push(Section {
            id: "faq",
            title: self.label("faq"),
            groups,
            list: true,
        });
        let contact = vec![
            self.line("contact.phone", "phone", "tel", String::new()),
            self.line(
                "contact.complaint_phone",
                "complaint-phone",
                "tel",
                String::new(),
            ),
            self.line("contact.email", "email", "email", String::new()),
            self.texts("contact.address", "address", false),
            self.texts("contact.hours", "hours", false),
        ];
        sections.push(Section {
            id: "contact",
            title: self.label("contact"),
            groups: vec![Group {
                title: String::new(),
                inputs: contact,
            }],
            list: false,
        });
        sections
    }
}

fn list_id(list: &str) -> &'static str {
    match list {
        "conditions" => "conditions",
        "process" => "process",
        _ => "legal-basis",
    }
}

/// A path of the diff or of a validation problem as people read it: "材料 2 · 名称 · en".
fn path_label(c: &Chrome<'_>, path: &[PathPart]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path {
        match part {
            PathPart::Field(key) => parts.push(c.tr.t(&format!("catalog-field-{key}"))),
            PathPart::Row(i) => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&format!(" {}", i + 1));
                }
            }
            PathPart::Lang(tag) => parts.push((*tag).to_owned()),
        }
    }
    parts.join(" · ")
}

fn value_text(c: &Chrome<'_>, value: &Value) -> String {
    match value {
        Value::Text(text) => text.clone(),
        Value::Terms(keys) => keys
            .iter()
            .map(|k| c.tr.t(k))
            .collect::<Vec<_>>()
            .join(&c.tr.t("list-separator")),
    }
}

/// A publishing problem of the domain check, as a field id, a readable place and a message.
fn describe_problem(c: &Chrome<'_>, problem: &CatalogProblem) -> (String, String) {
    // Paths look like `name`, `materials[1].name`, `halls[0]`, `committed_days`.
    let path = problem.path.as_str();
    // The form's own check says precisely what and where; its editor links each to the field.
    if let Some(form_path) = path.strip_prefix("form.") {
        return (
            "form".to_owned(),
            format!(
                "{} · {form_path}: {}",
                c.tr.t("form-editor-problem-in-form"),
                problem.message
            ),
        );
    }
    let (base, row) = match path.split_once('[') {
        Some((list, rest)) => {
            let index = rest.split(']').next().and_then(|i| i.parse::<usize>().ok());
            let after = rest.split_once("].").map(|(_, f)| f);
            (list, index.map(|i| (i, after)))
        }
        None => (path, None),
    };
    let message = problem.message.as_str();
    let key = if message == "the zh-CN text is missing" {
        "catalog-admin-problem-chinese"
    } else if message.starts_with("name at least one audience") {
        "catalog-admin-problem-audiences"
    } else if message.starts_with("name at least one channel") {
        "catalog-admin-problem-channels"
    } else if message.contains("longer than the statutory") {
        "catalog-admin-problem-days"
    } else if message.starts_with("state at least one condition") {
        "catalog-admin-problem-conditions"
    } else if message.starts_with("describe at least one step") {
        "catalog-admin-problem-process"
    } else if message.starts_with("cite at least one legal basis") {
        "catalog-admin-problem-legal-basis"
    } else if message.starts_with("unknown hall") {
        "catalog-admin-problem-hall"
    } else {
        "catalog-admin-problem-other"
    };
    let id = match (base, row) {
        ("audiences", _) => "audience".to_owned(),
        ("channels", _) => "channel".to_owned(),
        ("halls", _) => "hall".to_owned(),
        ("conditions" | "process" | "legal_basis", None) => format!("{base}-0-zh-CN"),
        ("conditions" | "process" | "legal_basis", Some((i, None))) => {
            format!("{base}-{i}-zh-CN")
        }
        (list, Some((i, Some(field)))) => {
            let field = field.replace('.', "-");
            if matches!(field.as_str(), "amount") {
                format!("{list}-{i}-{field}")
            } else {
                format!("{list}-{i}-{field}-zh-CN")
            }
        }
        ("name" | "summary" | "result", None) => format!("{base}-zh-CN"),
        (other, _) => field_id(other),
    };
    let place = match (base, row) {
        (list, Some((i, field))) => {
            let mut label = format!("{} {}", c.tr.t(&problem_label(list)), i + 1);
            if let Some(field) = field {
                label.push_str(" · ");
                label.push_str(&c.tr.t(&problem_label(field)));
            }
            label
        }
        (field, None) => c.tr.t(&problem_label(field)),
    };
    (id, format!("{place}: {}", c.tr.t(key)))
}

/// The label message of a field named as the domain names it (`legal_basis`, `fees`).
fn problem_label(field: &str) -> String {
    let key = match field {
        "item" => "fee-item",
        "committed_days" => "committed-days",
        "statutory_days" => "statutory-days",
        "legal_basis" => "legal-basis",
        other => other,
    };
    format!("catalog-field-{}", key.replace('_', "-"))
}

#[derive(Template)]
#[template(path = "admin/catalog/editor.html")]
struct EditorPage<'a> {
    c: Chrome<'a>,
    code: String,
    title: String,
    done: Option<String>,
    /// Problems linked from the error summary: field id, message.
    errors: Vec<(String, String)>,
    /// The draft's editor, when a draft is open.
    draft: Option<DraftView>,
    /// "Version n is in force", or "not published yet".
    in_force_line: String,
    published: bool,
    /// The publish form's values.
    note: String,
    effective_on: String,
    today: String,
}

struct DraftView {
    sections: Vec<Section>,
    missing: usize,
    /// What publishing would refuse, shown before anyone tries.
    blocking: Vec<(String, String)>,
    /// Where the draft started from.
    origin_line: String,
}

impl EditorPage<'_> {
    fn error_for(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == id)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

/// What a render of the editor starts from besides the stored draft.
#[derive(Default)]
struct EditorInput {
    /// A refused submission, shown as typed.
    fields: Option<Fields>,
    errors: Vec<Problem>,
    /// Problems of a publish attempt, already phrased.
    publish_errors: Vec<(String, String)>,
    note: String,
    effective_on: String,
    done: Option<String>,
}

async fn render_editor(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    code: &str,
    input: EditorInput,
) -> Response {
    let found = match editing::service_versions(&state.db, state.clock.as_ref(), user, code).await {
        Ok(found) => found,
        Err(error) => return refusal(state, prefs, error),
    };
    let blocking = match found.draft() {
        Some(draft) => {
            match editing::check_draft(&state.db, found.region_id, &draft.content).await {
                Ok(problems) => problems,
                Err(error) => return refusal(state, prefs, error),
            }
        }
        None => Vec::new(),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = editor_href(&found.code);
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let tr = c.tr;
    let mut errors: Vec<(String, String)> = input
        .errors
        .iter()
        .map(|(id, key)| (id.clone(), tr.t(key)))
        .collect();
    errors.extend(input.publish_errors);
    let error_map: HashMap<String, String> = errors.iter().cloned().collect();
    let draft = found.draft().map(|draft| {
        let fields = input
            .fields
            .clone()
            .unwrap_or_else(|| Fields::from_service(&draft.content));
        let mut builder = Builder {
            fields: &fields,
            c: &c,
            errors: &error_map,
            missing: 0,
        };
        let sections = builder.sections();
        let missing = builder.missing;
        DraftView {
            sections,
            missing,
            blocking: blocking.iter().map(|p| describe_problem(&c, p)).collect(),
            origin_line: match draft.based_on {
                Some(b) => tr.t1("catalog-admin-draft-based-on", "version", i64::from(b)),
                None => tr.t("catalog-admin-draft-new"),
            },
        }
    });
    let shown = found
        .draft()
        .or_else(|| found.latest())
        .map(|v| c.l(&v.content.name).to_owned())
        .unwrap_or_default();
    let title = if shown.is_empty() {
        found.code.clone()
    } else {
        format!("{shown} ({})", found.code)
    };
    let done = input
        .done
        .as_deref()
        .filter(|d| matches!(*d, "saved" | "opened" | "created" | "discarded"))
        .map(|d| tr.t(&format!("catalog-admin-done-{d}")));
    let today = local_date(state.clock.now());
    page(
        state,
        prefs,
        status,
        EditorPage {
            code: found.code.clone(),
            title,
            done,
            errors,
            draft,
            in_force_line: match found.in_force {
                Some(n) => tr.t1("catalog-admin-in-force-line", "version", i64::from(n)),
                None => tr.t("catalog-admin-not-published"),
            },
            published: found.in_force.is_some(),
            note: input.note,
            effective_on: if input.effective_on.is_empty() {
                today.clone()
            } else {
                input.effective_on
            },
            today,
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
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, &editor_href(&code)) {
        Ok(user) => user,
        Err(login) => return login,
    };
    render_editor(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        &code,
        EditorInput {
            done: query.done,
            ..EditorInput::default()
        },
    )
    .await
}

async fn open_draft(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &body, &editor_href(&code)) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let origin = origin(&headers, peer);
    match editing::open_draft(&state.db, state.clock.as_ref(), &user, &origin, &code).await {
        Ok(()) => see_other(&format!("{}?done=opened", editor_href(&code))),
        Err(error) => refusal(&state, prefs, error),
    }
}

async fn save(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &body, &editor_href(&code)) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let found = match editing::service_versions(&state.db, state.clock.as_ref(), &user, &code).await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let Some(draft) = found.draft() else {
        return not_found(&state, prefs);
    };
    let fields = Fields::from_form(&body);
    let then = fields.get("then").to_owned();
    let service = match service_from(&fields, &draft.content) {
        Ok(service) => service,
        Err(problems) => {
            return render_editor(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                &code,
                EditorInput {
                    fields: Some(fields),
                    errors: problems,
                    ..EditorInput::default()
                },
            )
            .await;
        }
    };
    let origin = origin(&headers, peer);
    match editing::save_draft(
        &state.db,
        state.clock.as_ref(),
        &user,
        &origin,
        &code,
        service,
    )
    .await
    {
        Ok(()) => {
            // "Add another" comes back to the list it was pressed in.
            let anchor = [
                "about",
                "how",
                "conditions",
                "process",
                "legal-basis",
                "materials",
                "fees",
                "faq",
                "contact",
            ]
            .into_iter()
            .find(|s| *s == then)
            .map(|s| format!("#{s}"))
            .unwrap_or_default();
            see_other(&format!("{}?done=saved{anchor}", editor_href(&code)))
        }
        Err(error) => refusal(&state, prefs, error),
    }
}

async fn discard(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &body, &editor_href(&code)) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let origin = origin(&headers, peer);
    match editing::discard_draft(&state.db, state.clock.as_ref(), &user, &origin, &code).await {
        Ok(()) => see_other(&format!("{}?done=discarded", editor_href(&code))),
        Err(error) => refusal(&state, prefs, error),
    }
}

async fn publish(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match poster(&state, prefs, user, &headers, &body, &editor_href(&code)) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let fields = Fields::from_form(&body);
    let note = fields.get("change_note").to_owned();
    let effective_on = fields.get("effective_on").trim().to_owned();
    let retry = |errors: Vec<Problem>, publish_errors: Vec<(String, String)>| EditorInput {
        errors,
        publish_errors,
        note: note.clone(),
        effective_on: effective_on.clone(),
        ..EditorInput::default()
    };
    let date = if effective_on.is_empty() {
        None
    } else {
        match chrono::NaiveDate::parse_from_str(&effective_on, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                let input = retry(
                    vec![("effective_on".into(), "catalog-admin-error-date")],
                    Vec::new(),
                );
                return render_editor(
                    &state,
                    prefs,
                    &user,
                    &headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &code,
                    input,
                )
                .await;
            }
        }
    };
    let origin = origin(&headers, peer);
    let publication = Publication {
        change_note: note.clone(),
        effective_on: date,
    };
    let result = editing::publish(
        &state.db,
        state.clock.as_ref(),
        &user,
        &origin,
        &code,
        &publication,
    )
    .await;
    let input = match result {
        Ok(number) => {
            // The public page shows the new version at once (or from its date, by the ticker).
            if let Err(error) = state.reload_catalog().await {
                tracing::error!(%error, "catalogue reload after publishing failed");
            }
            return see_other(&format!(
                "/admin/catalog/services/{code}/history?done=published&version={number}"
            ));
        }
        Err(EditError::NoteMissing) => retry(
            vec![("change_note".into(), "catalog-admin-error-note")],
            Vec::new(),
        ),
        Err(EditError::NoteTooLong) => retry(
            vec![("change_note".into(), "catalog-admin-error-note-long")],
            Vec::new(),
        ),
        Err(EditError::DateInPast) => retry(
            vec![("effective_on".into(), "catalog-admin-error-date-past")],
            Vec::new(),
        ),
        Err(EditError::Conflict) => retry(
            vec![("publish".into(), "catalog-admin-error-conflict")],
            Vec::new(),
        ),
        Err(EditError::Invalid(problems)) => {
            let snapshot = state.snapshots.current();
            let c = chrome(&state, &snapshot, prefs, "/admin/catalog");
            let described = problems.iter().map(|p| describe_problem(&c, p)).collect();
            retry(Vec::new(), described)
        }
        Err(other) => return refusal(&state, prefs, other),
    };
    render_editor(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        &code,
        input,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Preview and the public page of a published version

/// A guide page rendered per request: never cached by the browser or any proxy.
fn uncached(state: &AppState, prefs: Prefs, rendered: Result<String, askama::Error>) -> Response {
    match rendered {
        Ok(body) => {
            let mut response = html(StatusCode::OK, body);
            prefs.apply(&mut response, state.settings.secure_cookies);
            response
        }
        Err(error) => crate::errors::render_failed(state, prefs, error),
    }
}

async fn preview(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let back = format!("{}/preview", editor_href(&code));
    let user = match signed_in_or_login(user, &back) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match editing::service_versions(&state.db, state.clock.as_ref(), &user, &code).await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let Some(draft) = found.draft() else {
        return not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let path = format!("/services/{}", found.code);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), Some(csrf.token));
    let banner = c.tr.t("catalog-admin-preview-banner");
    let version_line = c.tr.t("catalog-admin-preview-version");
    uncached(
        &state,
        prefs,
        render_service(c, &draft.content, version_line, Some(banner)),
    )
}

async fn public_version(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((code, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Ok(number) = n.parse::<i32>() else {
        return not_found(&state, prefs);
    };
    let found =
        match editing::public_version(&state.db, &state.settings.region, &code, number).await {
            Ok(Some(found)) => found,
            Ok(None) => return not_found(&state, prefs),
            Err(error) => return refusal(&state, prefs, error),
        };
    let snapshot = state.snapshots.current();
    let path = format!("/services/{code}/versions/{number}");
    let csrf = user
        .as_ref()
        .map(|u| Csrf::issue(&state.secret, Some(u), &headers).token);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(user.as_ref(), csrf);
    let version = &found.version;
    let number_line = c.tr.t1(
        "catalog-version-number",
        "version",
        i64::from(version.version),
    );
    let banner = match found.superseded_on {
        Some(on) => format!(
            "{number_line} {}",
            c.tr.t1("catalog-version-superseded", "date", local_date(on))
        ),
        None => format!("{number_line} {}", c.tr.t("catalog-version-current")),
    };
    let version_line = match version.effective_from {
        Some(from) => c.tr.t1(
            "guide-version-since",
            "version",
            format!("{} · {}", version.version, local_date(from)),
        ),
        None => {
            c.tr.t1("guide-version", "version", i64::from(version.version))
        }
    };
    let mut response = uncached(
        &state,
        prefs,
        render_service(c, &version.content, version_line, Some(banner)),
    );
    // A published version never changes, but the banner does when a newer one comes.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    response
}

// ---------------------------------------------------------------------------------------------
// History and diff

struct HistoryLine {
    number: i32,
    draft: bool,
    in_force: bool,
    effective_from: String,
    published_at: String,
    by: String,
    note: String,
}

#[derive(Template)]
#[template(path = "admin/catalog/history.html")]
struct HistoryPage<'a> {
    c: Chrome<'a>,
    code: String,
    done: Option<String>,
    lines: Vec<HistoryLine>,
}

#[derive(Debug, Deserialize, Default)]
struct HistoryQuery {
    done: Option<String>,
    version: Option<i32>,
}

async fn history(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<HistoryQuery>,
    headers: HeaderMap,
) -> Response {
    let back = format!("{}/history", editor_href(&code));
    let user = match signed_in_or_login(user, &back) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match editing::service_versions(&state.db, state.clock.as_ref(), &user, &code).await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, &back).for_user(Some(&user), Some(csrf.token.clone()));
    let done = match (query.done.as_deref(), query.version) {
        (Some("published"), Some(n)) => {
            Some(c.tr.t1("catalog-admin-done-published", "version", i64::from(n)))
        }
        _ => None,
    };
    let lines = found
        .versions
        .iter()
        .map(|v| HistoryLine {
            number: v.version,
            draft: v.is_draft(),
            in_force: found.in_force == Some(v.version) && !v.is_draft(),
            effective_from: v.effective_from.map(local_time).unwrap_or_default(),
            published_at: v.published_at.map(local_time).unwrap_or_default(),
            by: if v.is_draft() {
                found.person(v.edited_by)
            } else {
                found.person(v.published_by)
            },
            note: v.change_note.clone().unwrap_or_default(),
        })
        .collect();
    page(
        &state,
        prefs,
        StatusCode::OK,
        HistoryPage {
            c,
            code: found.code.clone(),
            done,
            lines,
        },
        Some(&csrf),
    )
}

struct DiffLine {
    place: String,
    /// `added`, `removed` or `changed`.
    kind: &'static str,
    kind_label: String,
    old: String,
    new: String,
}

#[derive(Template)]
#[template(path = "admin/catalog/diff.html")]
struct DiffPage<'a> {
    c: Chrome<'a>,
    code: String,
    heading: String,
    compared_with: Option<String>,
    lines: Vec<DiffLine>,
}

async fn history_diff(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((code, n)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let back = format!("{}/history/{n}", editor_href(&code));
    let user = match signed_in_or_login(user, &back) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match editing::service_versions(&state.db, state.clock.as_ref(), &user, &code).await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    // `draft` compares the draft with the version it started from; a number, with the one before.
    let (subject, base) = if n == "draft" {
        let Some(draft) = found.draft() else {
            return not_found(&state, prefs);
        };
        (draft, draft.based_on.and_then(|b| found.published(b)))
    } else {
        let Some(version) = n.parse::<i32>().ok().and_then(|n| found.published(n)) else {
            return not_found(&state, prefs);
        };
        (version, found.published(version.version - 1))
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, &back).for_user(Some(&user), Some(csrf.token.clone()));
    let empty = editing::blank_service(&found.code, &subject.content.department);
    let changes = editing::diff(base.map_or(&empty, |b| &b.content), &subject.content);
    let lines = changes
        .iter()
        .map(|change| {
            let place = path_label(&c, change.path());
            match change {
                Change::Added { new, .. } => DiffLine {
                    place,
                    kind: "added",
                    kind_label: c.tr.t("catalog-admin-diff-added"),
                    old: String::new(),
                    new: value_text(&c, new),
                },
                Change::Removed { old, .. } => DiffLine {
                    place,
                    kind: "removed",
                    kind_label: c.tr.t("catalog-admin-diff-removed"),
                    old: value_text(&c, old),
                    new: String::new(),
                },
                Change::Changed { old, new, .. } => DiffLine {
                    place,
                    kind: "changed",
                    kind_label: c.tr.t("catalog-admin-diff-changed"),
                    old: value_text(&c, old),
                    new: value_text(&c, new),
                },
            }
        })
        .collect();
    let heading = if subject.is_draft() {
        c.tr.t("catalog-admin-diff-draft")
    } else {
        c.tr.t1(
            "catalog-admin-diff-version",
            "version",
            i64::from(subject.version),
        )
    };
    let compared_with = base.map(|b| {
        c.tr.t1(
            "catalog-admin-diff-against",
            "version",
            i64::from(b.version),
        )
    });
    page(
        &state,
        prefs,
        StatusCode::OK,
        DiffPage {
            c,
            code: found.code.clone(),
            heading,
            compared_with,
            lines,
        },
        Some(&csrf),
    )
}

// ---------------------------------------------------------------------------------------------
// Versions dated in the future go live without a restart

/// Starts a task that rebuilds the portal's snapshot once a version's effective date has
/// passed: once a minute it asks whether any published version of the region became effective
/// since the last look (one indexed count query), and reloads only then.
pub fn spawn_effective_date_ticker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = state.clock.now();
        let mut interval = tokio::time::interval(Duration::from_secs(60));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            last = tick(&state, last).await;
        }
    })
}

/// One look: reloads the snapshot when a version became effective after `since`. Returns the
/// time to look from next.
pub async fn tick(
    state: &AppState,
    since: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    let now = state.clock.now();
    match editing::became_effective(&state.db, &state.settings.region, since, now).await {
        Ok(false) => now,
        Ok(true) => match state.reload_catalog().await {
            Ok(()) => {
                tracing::info!("a service version became effective: catalogue reloaded");
                now
            }
            Err(error) => {
                tracing::error!(%error, "catalogue reload failed; retrying next minute");
                since
            }
        },
        Err(error) => {
            tracing::error!(%error, "checking for newly effective versions failed");
            since
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_yuan_become_fen() {
        assert_eq!(parse_yuan("20"), Some(Fen(2000)));
        assert_eq!(parse_yuan(" 20.5 "), Some(Fen(2050)));
        assert_eq!(parse_yuan("0.05"), Some(Fen(5)));
        assert_eq!(parse_yuan("20.505"), None);
        assert_eq!(parse_yuan("-1"), None);
        assert_eq!(parse_yuan("1e3"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(parse_yuan("１"), None);
        assert_eq!(yuan(Fen(2050)), "20.50");
    }

    #[test]
    fn field_ids_are_plain() {
        assert_eq!(
            field_id("materials[1].name.zh-CN"),
            "materials-1-name-zh-CN"
        );
    }

    #[test]
    fn a_form_round_trips_a_service_and_drops_cleared_rows() {
        let doc = tongban_services::catalog::demo_document().unwrap();
        for service in &doc.services {
            let fields = Fields::from_service(service);
            assert_eq!(&service_from(&fields, service).unwrap(), service);
        }
        let original = doc.services[0].clone();
        let fields = Fields::from_service(&original);
        let mut cleared = fields.clone();
        for locale in Locale::ALL {
            cleared
                .values
                .remove(&format!("conditions[0].{}", locale.tag()));
        }
        let service = service_from(&cleared, &original).unwrap();
        assert_eq!(service.conditions.len(), original.conditions.len() - 1);
        let mut bad = fields;
        bad.set("visits".into(), "many");
        assert_eq!(
            service_from(&bad, &original).unwrap_err(),
            vec![("visits".to_owned(), "catalog-admin-error-number")]
        );
    }
}
