//! Applying online over HTTP: the start page of a service's application, one page per question
//! group, "check your answers", the declaration, the confirmation with the tracking number,
//! "my applications", the case page, counter intake for front-desk clerks, and uploads.
//!
//! Every page works without JavaScript: branching, "add another" in repeating groups and the
//! address lists all post the page and come back. Every form carries a CSRF token. Drafts and
//! cases are looked up through the signed-in person only, so someone else's id finds nothing
//! (the same 404 as a missing one).

pub mod api;
mod case;
pub(crate) mod uploads;
pub mod view;

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_domain::forms::{
    Answer, Answers, DisplayWords, FieldError, FieldKind, FileRef, FormDefinition, Step,
    summary_rows,
};
use tongban_services::applications::{ApplyError, Channel, Draft, PageSaved};
use tongban_services::identity::{AccountKind, CurrentUser};
use uuid::Uuid;

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::i18n::Tr;
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};
use tongban_domain::Locale;
use view::{FieldView, Posted};

/// The largest question-page post: files are limited per field while they stream in (at most
/// 50 MB each), this only bounds the request as a whole.
pub const UPLOAD_REQUEST_LIMIT: usize = 64 * 1024 * 1024;

/// Whether a request may carry files (a question page, a draft's file in the API, an action on
/// a case with its attachments), and so may be larger than other posts.
pub fn is_upload_request<B>(request: &axum::http::Request<B>) -> bool {
    let path = request.uri().path();
    if request.method() == axum::http::Method::POST
        && ((path.starts_with("/api/v1/applications/drafts/") && path.contains("/files/"))
            || (path.starts_with("/api/v1/cases/") && path.ends_with("/actions")))
    {
        return true;
    }
    if request.method() == axum::http::Method::POST
        && path.starts_with("/workbench/cases/")
        && path.ends_with("/act")
    {
        return true;
    }
    request.method() == axum::http::Method::POST
        && request.uri().path().starts_with("/applications/")
        && request.uri().path().contains("/pages/")
        && request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"))
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/{code}/apply", get(start_page).post(start))
        .route("/applications/{id}", get(resume))
        .route(
            "/applications/{id}/pages/{page}",
            get(question_page)
                .post(save_page)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_REQUEST_LIMIT)),
        )
        .route("/applications/{id}/check", get(check_page))
        .route(
            "/applications/{id}/declaration",
            get(declaration_page).post(submit),
        )
        .route("/applications/{id}/exit/{key}", get(exit_page))
        .route("/applications/{id}/discard", post(discard))
        .route("/applications/cases/{id}", get(case::case_page))
        .route(
            "/applications/cases/{id}/notices/{document}",
            get(case::notice_pdf),
        )
        .route(
            "/applications/cases/{id}/correct",
            get(case::correct_page).post(case::correct),
        )
        .route(
            "/applications/cases/{id}/withdraw",
            get(case::withdraw_page).post(case::withdraw),
        )
        .route("/applications/cases/{id}/confirmation", get(confirmation))
        .route("/applications/cases/{id}/application.pdf", get(case_pdf))
        .route("/account/applications", get(mine))
        .route("/counter", get(counter_page).post(counter_start))
        .merge(uploads::router())
        .merge(api::router())
}

/// Housekeeping every ten minutes: reminders of drafts about to expire, deletion of expired
/// drafts, and removal of uploaded files nothing refers to any more.
pub fn spawn_housekeeping(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(600));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            housekeeping(&state).await;
        }
    })
}

/// One round of [`spawn_housekeeping`].
pub async fn housekeeping(state: &AppState) {
    let snapshot = state.snapshots.current();
    match state
        .applications
        .sweep_drafts(state.clock.as_ref(), &snapshot.catalog)
        .await
    {
        Ok(report) if report.reminded > 0 || report.deleted > 0 => tracing::info!(
            reminded = report.reminded,
            deleted = report.deleted,
            "application drafts swept"
        ),
        Ok(_) => {}
        Err(error) => tracing::error!(%error, "sweeping application drafts failed"),
    }
    let handling = state.applications.handling();
    match handling
        .recompute_deadlines_if_calendar_changed(state.clock.as_ref(), &snapshot.catalog)
        .await
    {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "open cases' deadlines recomputed on a new calendar"),
        Err(error) => tracing::error!(%error, "recomputing deadlines failed"),
    }
    match handling
        .scan_deadlines(state.clock.as_ref(), &snapshot.catalog)
        .await
    {
        Ok(0) => {}
        Ok(raised) => tracing::info!(raised, "deadline alerts raised"),
        Err(error) => tracing::error!(%error, "scanning deadlines failed"),
    }
    match tongban_services::uploads::collect_garbage(
        &state.db,
        state.blobs.as_ref(),
        state.clock.now(),
    )
    .await
    {
        Ok(collected) => tracing::debug!(?collected, "uploaded files collected"),
        Err(error) => tracing::error!(%error, "collecting unused uploaded files failed"),
    }
}

/// Words for showing answers, in the page's language.
pub(crate) fn display_words(c: &Chrome<'_>, mask: bool) -> DisplayWords {
    DisplayWords {
        yes: c.tr.t("apply-yes"),
        no: c.tr.t("apply-no"),
        range_to: c.tr.t("apply-range-to"),
        not_answered: c.tr.t("apply-not-answered"),
        mask_identifiers: mask,
        certificate_wallet: c.tr.t("apply-cert-shared-wallet"),
        certificate_fetch: c.tr.t("apply-cert-shared-fetch"),
    }
}

/// People apply; staff use the counter. Not signed in: to the sign-in page and back.
fn signed_in(user: Option<CurrentUser>, back: &str) -> Result<CurrentUser, Box<Response>> {
    user.ok_or_else(|| Box::new(see_other(&format!("/login?next={back}"))))
}

fn check_csrf(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    token: &str,
) -> Result<(), Box<Response>> {
    if csrf::verify(&state.secret, Some(user), headers, token) {
        Ok(())
    } else {
        Err(Box::new(forbidden(state, prefs)))
    }
}

/// Maps a refusal to the page a person sees.
fn refusal(state: &AppState, prefs: Prefs, error: ApplyError) -> Response {
    match error {
        ApplyError::NotFound | ApplyError::NoOnlineForm => crate::errors::not_found(state, prefs),
        ApplyError::NotAllowed => crate::admin::no_access(state, prefs),
        ApplyError::Conflict => {
            crate::errors::error_page(state, prefs, StatusCode::CONFLICT, "apply-conflict", None)
        }
        ApplyError::Unavailable => crate::errors::error_page(
            state,
            prefs,
            StatusCode::SERVICE_UNAVAILABLE,
            "apply-unavailable",
            None,
        ),
        other => internal_error(state, prefs, &other),
    }
}

// ----- Start -----

#[derive(Template)]
#[template(path = "applications/start.html")]
struct StartPage<'a> {
    c: Chrome<'a>,
    code: String,
    service_name: String,
    summary: String,
    materials: Vec<String>,
    pages: usize,
    signed_in: bool,
    is_staff: bool,
    acting_for: Option<String>,
    drafts: Vec<(Uuid, String)>,
    draft_days: i64,
}

async fn start_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let Some(published) = snapshot.catalog.service(&code) else {
        return crate::errors::not_found(&state, prefs);
    };
    let Some(form) = &published.service.form else {
        return crate::errors::not_found(&state, prefs);
    };
    let path = format!("/services/{code}/apply");
    let csrf = user
        .as_ref()
        .map(|u| Csrf::issue(&state.secret, Some(u), &headers));
    let c = chrome(&state, &snapshot, prefs, &path)
        .for_user(user.as_ref(), csrf.as_ref().map(|c| c.token.clone()));
    let service = &published.service;
    // Unfinished drafts of this service: resume rather than start over.
    let drafts = match &user {
        Some(u) if u.kind == AccountKind::Person => state
            .applications
            .mine(state.clock.as_ref(), u, snapshot.catalog.region_id)
            .await
            .map(|(drafts, _)| {
                drafts
                    .into_iter()
                    .filter(|d| d.service_code == code)
                    .map(|d| (d.id, local_time(d.updated_at)))
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let body = StartPage {
        code: code.clone(),
        service_name: service.name.get(prefs.locale).to_owned(),
        summary: service.summary.get(prefs.locale).to_owned(),
        materials: service
            .materials
            .iter()
            .map(|m| m.name.get(prefs.locale).to_owned())
            .collect(),
        pages: form.pages.len(),
        signed_in: user.is_some(),
        is_staff: user.as_ref().is_some_and(|u| u.kind == AccountKind::Staff),
        acting_for: user
            .as_ref()
            .and_then(|u| u.acting_for.as_ref())
            .map(|a| a.name.clone()),
        drafts,
        draft_days: state.applications.settings.draft_days,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, csrf.as_ref())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn start(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = match signed_in(user, &format!("/services/{code}/apply")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let snapshot = state.snapshots.current();
    match state
        .applications
        .start(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &code,
            None,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(draft) => see_other(&format!(
            "/applications/{}/pages/{}",
            draft.id, draft.current_page
        )),
        Err(error) => refusal(&state, prefs, error),
    }
}

/// The draft and its form, for the signed-in filler.
async fn load_draft(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    snapshot: &Snapshot,
    id: &str,
) -> Result<(Draft, FormDefinition), Box<Response>> {
    let not_found = || Box::new(crate::errors::not_found(state, prefs));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    state
        .applications
        .draft_with_form(state.clock.as_ref(), user, &snapshot.catalog, id)
        .await
        .map_err(|e| Box::new(refusal(state, prefs, e)))
}

fn step_href(id: Uuid, step: &Step) -> String {
    match step {
        Step::Page(key) => format!("/applications/{id}/pages/{key}"),
        Step::Exit(key) => format!("/applications/{id}/exit/{key}"),
        Step::CheckAnswers => format!("/applications/{id}/check"),
    }
}

async fn resume(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok((draft, form)) => see_other(&step_href(
            draft.id,
            &tongban_services::applications::Applications::resume_step(&form, &draft),
        )),
        Err(response) => *response,
    }
}

// ----- Question pages -----

#[derive(Template)]
#[template(path = "applications/page.html")]
pub(crate) struct QuestionPage<'a> {
    pub c: Chrome<'a>,
    pub service_name: String,
    pub title: String,
    pub intro: String,
    pub action: String,
    pub back: String,
    pub fields: Vec<FieldView>,
    pub errors: Vec<(String, String)>,
    pub multipart: bool,
    pub return_to_check: bool,
    pub counter_for: Option<String>,
    pub preview: bool,
    /// In a preview, every page of the form: link, title, whether it is this one.
    pub preview_pages: Vec<(String, String, bool)>,
    /// "Page 2 of 4".
    pub progress: String,
    pub expires: String,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    change: Option<String>,
}

fn has_files(form: &FormDefinition, page_key: &str) -> bool {
    form.page(page_key).is_some_and(|p| {
        p.fields.iter().any(|f| match &f.kind {
            FieldKind::File { .. } => true,
            FieldKind::Group { fields, .. } => fields
                .iter()
                .any(|s| matches!(s.kind, FieldKind::File { .. })),
            _ => false,
        })
    })
}

/// What each e-certificate field of the form offers the applicant, worded for the page. A
/// failure to read the wallet is logged and offers nothing (the field then says so); the
/// submission checks the holding again anyway.
pub(crate) async fn certificate_choices(
    state: &AppState,
    snapshot: &Snapshot,
    tr: &Tr<'_>,
    locale: Locale,
    form: &FormDefinition,
    service_code: &str,
    holder: Uuid,
) -> BTreeMap<String, view::CertificateChoices> {
    let catalog = &snapshot.catalog;
    let offers = match state
        .applications
        .handling()
        .certificates()
        .offers(catalog, form, holder, state.clock.now())
        .await
    {
        Ok(offers) => offers,
        Err(error) => {
            tracing::error!(%error, "the applicant's certificates could not be read");
            Vec::new()
        }
    };
    let department_name = |code: &str| {
        catalog
            .department(code)
            .map(|d| d.name.get(locale).to_owned())
            .unwrap_or_else(|| code.to_owned())
    };
    let receiver = catalog
        .service(service_code)
        .map(|s| department_name(&s.service.department))
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for offer in offers {
        let certificate = &offer.certificate_type;
        let type_name = certificate.name.get(locale).to_owned();
        let issuer = department_name(&certificate.department);
        let mut options: Vec<view::OptionView> = offer
            .held
            .iter()
            .map(|row| view::OptionView {
                id: String::new(),
                value: format!("wallet:{}", row.id),
                label: c_held_label(tr, &type_name, row),
                hint: match row.expires_at {
                    Some(at) => tr.tn(
                        "apply-cert-held-hint",
                        &[
                            ("issuer", issuer.clone()),
                            ("until", crate::layout::local_date(at)),
                        ],
                    ),
                    None => tr.t1("apply-cert-held-hint-lasting", "issuer", issuer.as_str()),
                },
                checked: false,
            })
            .collect();
        if offer.fetchable {
            options.push(view::OptionView {
                id: String::new(),
                value: "fetch".to_owned(),
                label: tr.tn(
                    "apply-cert-fetch",
                    &[
                        ("issuer", issuer.clone()),
                        ("certificate", type_name.clone()),
                    ],
                ),
                hint: tr.t("apply-cert-fetch-hint"),
                checked: false,
            });
        }
        let disclosed: Vec<String> = offer
            .disclosed
            .iter()
            .filter_map(|key| certificate.field(key))
            .map(|f| f.label.get(locale).to_owned())
            .collect();
        out.insert(
            offer.field_key.clone(),
            view::CertificateChoices {
                options,
                consent_text: tr.tn(
                    "apply-cert-consent",
                    &[
                        ("receiver", receiver.clone()),
                        ("certificate", type_name.clone()),
                    ],
                ),
                none_text: tr.tn(
                    "apply-cert-none",
                    &[("issuer", issuer), ("certificate", type_name)],
                ),
                disclosed,
            },
        );
    }
    out
}

/// "营业执照（TB2612060001X）, issued 2026-12-06".
fn c_held_label(
    tr: &Tr<'_>,
    type_name: &str,
    row: &tongban_store::certificates::CertificateRow,
) -> String {
    let number = serde_json::from_str::<serde_json::Value>(&row.summary)
        .ok()
        .and_then(|v| v.get("number")?.as_str().map(str::to_owned))
        .unwrap_or_default();
    tr.tn(
        "apply-cert-held",
        &[
            ("certificate", type_name.to_owned()),
            ("number", number),
            ("issued", crate::layout::local_date(row.issued_at)),
        ],
    )
}

#[allow(clippy::too_many_arguments)]
async fn render_question(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    snapshot: &Snapshot,
    draft: &Draft,
    form: &FormDefinition,
    page_key: &str,
    answers: &Answers,
    errors: &[FieldError],
    posted: &Posted<'_>,
    return_to_check: bool,
) -> Response {
    let Some(form_page) = form.page(page_key) else {
        return crate::errors::not_found(state, prefs);
    };
    let path = format!("/applications/{}/pages/{page_key}", draft.id);
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let locale = prefs.locale;
    let posted = Posted {
        raw: posted.raw,
        extra_items: posted.extra_items.clone(),
        // The wallet is read only for a page that asks for a certificate.
        certificates: if form_page
            .fields
            .iter()
            .any(|f| matches!(f.kind, FieldKind::ECertificate { .. }))
        {
            certificate_choices(
                state,
                snapshot,
                &c.tr,
                locale,
                form,
                &draft.service_code,
                draft.applicant_id,
            )
            .await
        } else {
            BTreeMap::new()
        },
    };
    let fields = view::page_fields(
        &c.tr,
        locale,
        &state.divisions,
        form_page,
        answers,
        errors,
        &posted,
    );
    let summary = view::summary(&c.tr, locale, form, errors);
    let (route, _) = tongban_domain::forms::visible_pages(form, answers);
    let position = route.iter().position(|p| p.key == page_key);
    let back = match position {
        Some(i) if i > 0 => format!("/applications/{}/pages/{}", draft.id, route[i - 1].key),
        _ => format!("/services/{}/apply", draft.service_code),
    };
    let service_name = snapshot
        .catalog
        .service(&draft.service_code)
        .map(|s| s.service.name.get(locale).to_owned())
        .unwrap_or_default();
    let counter_for = (draft.channel == Channel::Counter).then(|| c.tr.t("apply-counter-banner"));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let body = QuestionPage {
        service_name,
        title: form_page.title.get(locale).to_owned(),
        intro: form_page.intro.get(locale).to_owned(),
        action: if return_to_check {
            format!("{path}?change=1")
        } else {
            path.clone()
        },
        back: if return_to_check {
            format!("/applications/{}/check", draft.id)
        } else {
            back
        },
        fields,
        errors: summary,
        multipart: has_files(form, page_key),
        return_to_check,
        counter_for,
        preview: false,
        preview_pages: Vec::new(),
        progress: c.tr.tn(
            "apply-page-of",
            &[
                ("page", position.map_or(1, |i| i + 1).to_string()),
                ("pages", route.len().max(1).to_string()),
            ],
        ),
        expires: local_time(draft.expires_at),
        c,
    };
    page(state, prefs, status, body, Some(&csrf))
}

async fn question_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((id, page_key)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    render_question(
        &state,
        prefs,
        &user,
        &headers,
        &snapshot,
        &draft,
        &form,
        &page_key,
        &draft.answers,
        &[],
        &Posted::default(),
        query.change.is_some(),
    )
    .await
}

/// What a page post asks for besides saving: add a group row, remove one, remove a file, or
/// narrow the address lists. These save what was typed and show the page again.
enum Extra {
    None,
    AddItem(String),
    RemoveItem(String, usize),
    RemoveFile(String, String),
    Refresh,
}

fn extra_of(raw: &[(String, String)]) -> Extra {
    for (name, value) in raw {
        match name.as_str() {
            "add-item" => return Extra::AddItem(value.clone()),
            "remove-item" => {
                if let Some((group, index)) = value.rsplit_once('.')
                    && let Ok(index) = index.parse()
                {
                    return Extra::RemoveItem(group.to_owned(), index);
                }
            }
            "remove-file" => {
                if let Some((field, upload)) = value.split_once(':') {
                    return Extra::RemoveFile(field.to_owned(), upload.to_owned());
                }
            }
            "refresh" => return Extra::Refresh,
            _ => {}
        }
    }
    Extra::None
}

#[allow(clippy::too_many_arguments)]
async fn save_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path((id, page_key)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if form.page(&page_key).is_none() {
        return crate::errors::not_found(&state, prefs);
    }
    let (posted, refused) = match uploads::read_page_post(
        &state,
        &user,
        &snapshot,
        &draft,
        &form,
        &page_key,
        &origin(&headers, peer),
        request,
    )
    .await
    {
        Ok(posted) => posted,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &posted.csrf) {
        return *response;
    }
    let mut raw = posted.raw;
    let mut files = current_files(&form, &page_key, &draft.answers);
    for (field, file) in posted.files {
        files.entry(field).or_default().push(file);
    }
    let extra = extra_of(&raw);
    let mut extra_items = BTreeMap::new();
    match &extra {
        Extra::RemoveFile(field, upload) => {
            if let Some(list) = files.get_mut(field) {
                list.retain(|f| f.id != *upload);
            }
            // The file goes with its record, so it never travels with the case.
            if let Ok(upload_id) = Uuid::parse_str(upload) {
                match tongban_services::uploads::discard_upload(
                    &state.db,
                    &user,
                    snapshot.catalog.region_id,
                    upload_id,
                )
                .await
                {
                    Ok(()) | Err(tongban_services::uploads::UploadError::NotFound) => {}
                    Err(error) => return crate::errors::internal_error(&state, prefs, &error),
                }
            }
        }
        Extra::RemoveItem(group, index) => {
            let prefix = format!("{group}.{index}.");
            raw.retain(|(k, _)| !k.starts_with(&prefix));
        }
        Extra::AddItem(group) => {
            extra_items.insert(group.clone(), 1);
        }
        Extra::None | Extra::Refresh => {}
    }
    let saved = state
        .applications
        .save_page(
            state.clock.as_ref(),
            &snapshot.catalog,
            &draft,
            &form,
            &page_key,
            &raw,
            &files,
        )
        .await;
    let reshow = !matches!(extra, Extra::None);
    // Files refused while streaming (too large, wrong kind) are errors of their field.
    let upload_errors: Vec<FieldError> = refused
        .into_iter()
        .map(|(field, error)| FieldError {
            path: field.clone(),
            field,
            error: match error {
                tongban_services::uploads::UploadError::TooLarge { limit_kb } => {
                    tongban_domain::forms::AnswerError::FileTooLarge {
                        max_size_kb: limit_kb,
                    }
                }
                _ => tongban_domain::forms::AnswerError::FileKindNotAllowed,
            },
        })
        .collect();
    let saved = match saved {
        Ok(PageSaved::Next(_)) if !upload_errors.is_empty() => match state
            .applications
            .draft(
                state.clock.as_ref(),
                &user,
                snapshot.catalog.region_id,
                draft.id,
            )
            .await
        {
            Ok(d) => Ok(PageSaved::Errors {
                answers: d.answers,
                errors: upload_errors,
            }),
            Err(e) => Err(e),
        },
        Ok(PageSaved::Errors {
            answers,
            mut errors,
        }) => {
            errors.extend(upload_errors);
            Ok(PageSaved::Errors { answers, errors })
        }
        other => other,
    };
    match saved {
        Ok(PageSaved::Next(step)) if !reshow => {
            let href = match (&step, query.change.is_some()) {
                // Changing an answer from "check your answers" goes back there, unless the
                // change opened pages that still need answers.
                (Step::Page(_), true) => {
                    let reloaded = state
                        .applications
                        .draft(
                            state.clock.as_ref(),
                            &user,
                            snapshot.catalog.region_id,
                            draft.id,
                        )
                        .await;
                    match reloaded {
                        Ok(d) => step_href(
                            d.id,
                            &tongban_services::applications::Applications::resume_step(&form, &d),
                        ),
                        Err(e) => return refusal(&state, prefs, e),
                    }
                }
                _ => step_href(draft.id, &step),
            };
            see_other(&href)
        }
        Ok(outcome) => {
            // Show the page again: with errors, or after add/remove/refresh without them.
            let (answers, errors) = match outcome {
                PageSaved::Errors { answers, errors } if !reshow => (answers, errors),
                PageSaved::Errors { answers, .. } => (answers, Vec::new()),
                PageSaved::Next(_) => {
                    match state
                        .applications
                        .draft(
                            state.clock.as_ref(),
                            &user,
                            snapshot.catalog.region_id,
                            draft.id,
                        )
                        .await
                    {
                        Ok(d) => (d.answers, Vec::new()),
                        Err(e) => return refusal(&state, prefs, e),
                    }
                }
            };
            let fresh = match state
                .applications
                .draft(
                    state.clock.as_ref(),
                    &user,
                    snapshot.catalog.region_id,
                    draft.id,
                )
                .await
            {
                Ok(d) => d,
                Err(e) => return refusal(&state, prefs, e),
            };
            render_question(
                &state,
                prefs,
                &user,
                &headers,
                &snapshot,
                &fresh,
                &form,
                &page_key,
                &answers,
                &errors,
                &Posted {
                    raw: Some(&raw),
                    extra_items,
                    certificates: BTreeMap::new(),
                },
                query.change.is_some(),
            )
            .await
        }
        Err(error) => refusal(&state, prefs, error),
    }
}

/// Files already attached to the page's file fields.
fn current_files(
    form: &FormDefinition,
    page_key: &str,
    answers: &Answers,
) -> BTreeMap<String, Vec<FileRef>> {
    let mut files = BTreeMap::new();
    if let Some(p) = form.page(page_key) {
        for field in &p.fields {
            if let (FieldKind::File { .. }, Some(Answer::Files(list))) =
                (&field.kind, answers.get(&field.key))
            {
                files.insert(field.key.clone(), list.clone());
            }
        }
    }
    files
}

// ----- Check your answers, declaration, submission -----

pub(crate) struct RowView {
    pub label: String,
    pub lines: Vec<String>,
    pub items: Vec<Vec<(String, String)>>,
    pub change: String,
}

/// Summary rows grouped under their page titles, in route order, each with its change link.
fn sections(
    form: &FormDefinition,
    rows: Vec<tongban_domain::forms::SummaryRow>,
    prefs: Prefs,
    change: impl Fn(&tongban_domain::forms::SummaryRow) -> String,
) -> Vec<(String, Vec<RowView>)> {
    let mut sections: Vec<(String, Vec<RowView>)> = Vec::new();
    for row in rows {
        let title = form
            .page(&row.page_key)
            .map(|p| p.title.get(prefs.locale).to_owned())
            .unwrap_or_default();
        let view = RowView {
            change: change(&row),
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

#[derive(Template)]
#[template(path = "applications/check.html")]
struct CheckPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    service_name: String,
    sections: Vec<(String, Vec<RowView>)>,
    back: String,
}

async fn check_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if let Some(step) = unfinished(&form, &draft) {
        return see_other(&step_href(draft.id, &step));
    }
    let path = format!("/applications/{}/check", draft.id);
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), Some(csrf.token.clone()));
    let rows = summary_rows(
        &form,
        &draft.answers,
        prefs.locale,
        &state.divisions,
        &display_words(&c, false),
    );
    let sections = sections(&form, rows, prefs, |row| {
        format!(
            "/applications/{}/pages/{}?change=1#f-{}",
            draft.id, row.page_key, row.field_key
        )
    });
    let (route, _) = tongban_domain::forms::visible_pages(&form, &draft.answers);
    let back = route
        .last()
        .map(|p| format!("/applications/{}/pages/{}", draft.id, p.key))
        .unwrap_or_default();
    let body = CheckPage {
        id: draft.id,
        service_name: service_name(&snapshot, &draft.service_code, prefs),
        sections,
        back,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, Some(&csrf))
}

/// Where a draft must go before its answers can be checked: a page still missing an answer,
/// or the exit page its answers lead to.
fn unfinished(form: &FormDefinition, draft: &Draft) -> Option<Step> {
    tongban_domain::forms::first_unanswered(form, &draft.answers).or_else(|| {
        match tongban_domain::forms::visible_pages(form, &draft.answers).1 {
            Step::Exit(key) => Some(Step::Exit(key)),
            _ => None,
        }
    })
}

fn service_name(snapshot: &Snapshot, code: &str, prefs: Prefs) -> String {
    snapshot
        .catalog
        .service(code)
        .map(|s| s.service.name.get(prefs.locale).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

#[derive(Template)]
#[template(path = "applications/declaration.html")]
struct DeclarationPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    service_name: String,
    text: String,
    confirm: String,
    error: Option<String>,
    counter: bool,
}

#[allow(clippy::too_many_arguments)]
async fn render_declaration(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    snapshot: &Snapshot,
    draft: &Draft,
    form: &FormDefinition,
    error: Option<String>,
) -> Response {
    let path = format!("/applications/{}/declaration", draft.id);
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = DeclarationPage {
        id: draft.id,
        service_name: service_name(snapshot, &draft.service_code, prefs),
        text: form.declaration.text.get(prefs.locale).to_owned(),
        confirm: form.declaration.confirm.get(prefs.locale).to_owned(),
        error,
        counter: draft.channel == Channel::Counter,
        c,
    };
    page(state, prefs, status, body, Some(&csrf))
}

async fn declaration_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if let Some(step) = unfinished(&form, &draft) {
        return see_other(&step_href(draft.id, &step));
    }
    render_declaration(
        &state, prefs, &user, &headers, &snapshot, &draft, &form, None,
    )
    .await
}

#[derive(Deserialize)]
struct SubmitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    declaration: Option<String>,
}

async fn submit(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SubmitForm>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let Ok(draft_id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let declared = form.declaration.as_deref() == Some("confirmed");
    let result = state
        .applications
        .submit_draft(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            draft_id,
            declared,
            &origin(&headers, peer),
        )
        .await;
    match result {
        // The confirmation is a separate page (post/redirect/get): reloading it never
        // submits again, and a second click lands on the same case.
        Ok(receipt) => see_other(&format!(
            "/applications/cases/{}/confirmation",
            receipt.case_id
        )),
        Err(ApplyError::DeclarationMissing) => {
            let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
                Ok(found) => found,
                Err(response) => return *response,
            };
            let message = state.i18n.tr(prefs.locale).t("apply-declaration-missing");
            render_declaration(
                &state,
                prefs,
                &user,
                &headers,
                &snapshot,
                &draft,
                &form,
                Some(message),
            )
            .await
        }
        Err(ApplyError::Invalid(errors)) => {
            // Answers that were valid when typed can fail later (a date limit passed): back
            // to the first page with a problem.
            match errors.first() {
                Some((page_key, _)) => see_other(&format!(
                    "/applications/{draft_id}/pages/{page_key}?change=1"
                )),
                None => see_other(&format!("/applications/{draft_id}/check")),
            }
        }
        Err(ApplyError::NotEligible { exit }) => {
            see_other(&format!("/applications/{draft_id}/exit/{exit}"))
        }
        Err(error) => refusal(&state, prefs, error),
    }
}

#[derive(Template)]
#[template(path = "applications/exit.html")]
struct ExitPageView<'a> {
    c: Chrome<'a>,
    title: String,
    body: String,
    back: String,
    guide: String,
}

async fn exit_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match load_draft(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let Some(exit) = form.exit(&key) else {
        return crate::errors::not_found(&state, prefs);
    };
    let path = format!("/applications/{}/exit/{key}", draft.id);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), None);
    let (route, _) = tongban_domain::forms::visible_pages(&form, &draft.answers);
    let body = ExitPageView {
        title: exit.title.get(prefs.locale).to_owned(),
        body: exit.body.get(prefs.locale).to_owned(),
        back: route
            .last()
            .map(|p| format!("/applications/{}/pages/{}", draft.id, p.key))
            .unwrap_or_default(),
        guide: format!("/services/{}", draft.service_code),
        c,
    };
    page(&state, prefs, StatusCode::OK, body, None)
}

async fn discard(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = match signed_in(user, "/account/applications") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let Ok(draft_id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    match state
        .applications
        .discard(
            state.clock.as_ref(),
            &user,
            snapshot.catalog.region_id,
            draft_id,
        )
        .await
    {
        Ok(()) if user.kind == AccountKind::Staff => see_other("/counter?done=discarded"),
        Ok(()) => see_other("/account/applications?done=discarded"),
        Err(error) => refusal(&state, prefs, error),
    }
}

// ----- Confirmation, my applications, the case page -----

#[derive(Template)]
#[template(path = "applications/confirmation.html")]
struct ConfirmationPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    tracking_number: String,
    /// "Your application for … was received at …".
    received: String,
    committed_days: u16,
    counter: bool,
}

async fn confirmation(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}/confirmation")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(case_id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let case = match state
        .applications
        .case(&user, snapshot.catalog.region_id, case_id)
        .await
    {
        Ok(case) => case,
        Err(error) => return refusal(&state, prefs, error),
    };
    let path = format!("/applications/cases/{case_id}/confirmation");
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), None);
    let committed_days = snapshot
        .catalog
        .service(&case.service_code)
        .map_or(0, |s| s.service.committed_days);
    let body = ConfirmationPage {
        id: case.id,
        tracking_number: case.tracking_number.clone(),
        received: c.tr.tn(
            "apply-done-received",
            &[
                (
                    "service",
                    service_name(&snapshot, &case.service_code, prefs),
                ),
                ("time", local_time(case.submitted_at)),
            ],
        ),
        committed_days,
        counter: case.channel == Channel::Counter && case.entered_by == user.account_id,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, None)
}

struct DraftRow {
    id: Uuid,
    service_name: String,
    updated: String,
    expires: String,
}

struct CaseRow {
    id: Uuid,
    tracking_number: String,
    service_name: String,
    submitted: String,
    status: String,
    channel: String,
    /// The current state's name and the stage bar, when the handling could be read.
    state_name: Option<String>,
    stages: Vec<crate::progress::StageView>,
    due_on: Option<String>,
    waiting_for_me: bool,
}

/// Cases on "your applications" shown with their stage bar; older ones show their status only
/// (each bar costs a few reads until the services offer a batch view).
const CASES_WITH_PROGRESS: usize = 50;

#[derive(Template)]
#[template(path = "applications/mine.html")]
struct MinePage<'a> {
    c: Chrome<'a>,
    drafts: Vec<DraftRow>,
    cases: Vec<CaseRow>,
    notice: Option<String>,
    acting_for: Option<String>,
}

#[derive(Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

async fn mine(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, "/account/applications") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if user.kind != AccountKind::Person {
        return crate::admin::no_access(&state, prefs);
    }
    let snapshot = state.snapshots.current();
    let (drafts, cases) = match state
        .applications
        .mine(state.clock.as_ref(), &user, snapshot.catalog.region_id)
        .await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/account/applications")
        .for_user(Some(&user), Some(csrf.token.clone()));
    let drafts = drafts
        .into_iter()
        .map(|d| DraftRow {
            id: d.id,
            service_name: service_name(&snapshot, &d.service_code, prefs),
            updated: local_time(d.updated_at),
            expires: local_time(d.expires_at),
        })
        .collect();
    let handling = state.applications.handling();
    let mut rows = Vec::with_capacity(cases.len());
    for (index, k) in cases.into_iter().enumerate() {
        let view = if index < CASES_WITH_PROGRESS {
            handling.applicant_view(&snapshot.catalog, k.id).await.ok()
        } else {
            None
        };
        rows.push(CaseRow {
            id: k.id,
            tracking_number: k.tracking_number,
            service_name: service_name(&snapshot, &k.service_code, prefs),
            submitted: local_time(k.submitted_at),
            status: match &view {
                Some(v) => crate::progress::status_text(&c.tr, &v.status, v.outcome),
                None => c.tr.t(&format!("case-status-{}", k.status)),
            },
            channel: c.tr.t(&format!("apply-channel-{}", k.channel.as_str())),
            state_name: view
                .as_ref()
                .map(|v| v.state_name.get(prefs.locale).to_owned()),
            stages: view
                .as_ref()
                .map(|v| crate::progress::stage_views(&c.tr, &v.stages))
                .unwrap_or_default(),
            due_on: view.as_ref().and_then(|v| v.due_on).map(|d| d.to_string()),
            waiting_for_me: view.as_ref().is_some_and(|v| v.waiting_for_me),
        });
    }
    let cases = rows;
    let notice = query
        .done
        .as_deref()
        .filter(|d| *d == "discarded")
        .map(|_| c.tr.t("apply-draft-discarded"));
    let body = MinePage {
        drafts,
        cases,
        notice,
        acting_for: user.acting_for.as_ref().map(|a| a.name.clone()),
        c,
    };
    page(&state, prefs, StatusCode::OK, body, Some(&csrf))
}

// ----- Counter intake (窗口代录) -----

#[derive(Template)]
#[template(path = "applications/counter.html")]
struct CounterPage<'a> {
    c: Chrome<'a>,
    services: Vec<(String, String)>,
    chosen: String,
    id_number: String,
    error: Option<String>,
    notice: Option<String>,
}

/// The services a clerk can take applications for: those with a form in the departments
/// where they hold the front-desk role.
fn counter_services(
    snapshot: &Snapshot,
    user: &CurrentUser,
    prefs: Prefs,
) -> Vec<(String, String)> {
    let catalog = &snapshot.catalog;
    catalog
        .services
        .iter()
        .filter(|s| s.service.form.is_some())
        .filter(|s| {
            catalog
                .department_id(&s.service.department)
                .is_some_and(|d| {
                    tongban_services::applications::Applications::is_clerk_of(
                        user,
                        catalog.region_id,
                        d,
                    )
                })
        })
        .map(|s| {
            (
                s.service.code.clone(),
                format!("{} {}", s.service.code, s.service.name.get(prefs.locale)),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn render_counter(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    chosen: String,
    id_number: String,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let snapshot = state.snapshots.current();
    let services = counter_services(&snapshot, user, prefs);
    if services.is_empty() {
        return crate::admin::no_access(state, prefs);
    }
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c =
        chrome(state, &snapshot, prefs, "/counter").for_user(Some(user), Some(csrf.token.clone()));
    let body = CounterPage {
        services,
        chosen,
        id_number,
        error,
        notice,
        c,
    };
    page(state, prefs, status, body, Some(&csrf))
}

async fn counter_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, "/counter") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let notice = query
        .done
        .as_deref()
        .filter(|d| *d == "discarded")
        .map(|_| state.i18n.tr(prefs.locale).t("apply-draft-discarded"));
    render_counter(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        String::new(),
        String::new(),
        None,
        notice,
    )
}

#[derive(Deserialize)]
struct CounterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    id_number: String,
}

async fn counter_start(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CounterForm>,
) -> Response {
    let user = match signed_in(user, "/counter") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let snapshot = state.snapshots.current();
    let result = state
        .applications
        .start(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &form.service,
            Some(&form.id_number),
            &origin(&headers, peer),
        )
        .await;
    let tr = state.i18n.tr(prefs.locale);
    let message = match result {
        Ok(draft) => {
            return see_other(&format!(
                "/applications/{}/pages/{}",
                draft.id, draft.current_page
            ));
        }
        Err(ApplyError::ApplicantIdInvalid) => tr.t("counter-error-id"),
        Err(ApplyError::ApplicantUnknown) => tr.t("counter-error-unknown"),
        Err(ApplyError::NotFound) | Err(ApplyError::NoOnlineForm) => tr.t("counter-error-service"),
        Err(error) => return refusal(&state, prefs, error),
    };
    render_counter(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        form.service,
        form.id_number,
        Some(message),
        None,
    )
}

/// The filled-in application as PDF (zh-CN or en), for whoever may see the case.
async fn case_pdf(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(case_id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let (case, form) = match state
        .applications
        .case_with_form(&user, &snapshot.catalog, case_id)
        .await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let Some(published) = snapshot.catalog.service(&case.service_code) else {
        return crate::errors::not_found(&state, prefs);
    };
    let locale = crate::guide_pdf::pdf_locale(prefs.locale);
    let pdf_prefs = Prefs { locale, ..prefs };
    let path = format!("/applications/cases/{case_id}/application.pdf");
    let c = chrome(&state, &snapshot, pdf_prefs, &path);
    let rows = summary_rows(
        &form,
        &case.answers,
        locale,
        &state.divisions,
        &crate::form_pdf::display_words(c.tr),
    );
    let mut service = published.service.clone();
    // The declaration printed is the one the applicant confirmed.
    service.form = Some(form);
    let document = crate::form_pdf::filled_form_document(
        &c,
        &service,
        &case.tracking_number,
        &local_time(case.submitted_at),
        &rows,
    );
    let rendered = tokio::task::spawn_blocking(move || tongban_pdf::render(&document)).await;
    let bytes = match rendered {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return internal_error(&state, prefs, &error),
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    let disposition = format!(
        "attachment; filename=\"{}.pdf\"",
        case.tracking_number
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect::<String>()
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&disposition) {
        headers.insert(axum::http::header::CONTENT_DISPOSITION, value);
    }
    response
}
