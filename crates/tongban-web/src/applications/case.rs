//! The applicant's side of a case after submission: where it stands (the four stages, status,
//! expected completion), what the department needs (the latest correction notice's items),
//! the timeline the applicant may see, the notices as PDF, corrections answered in place and
//! withdrawal.
//!
//! Every page first asks the applications module whether the caller may see the case (the
//! applicant, the enterprise's agent, whoever entered it): anyone else gets the same 404 as a
//! missing case. Actions carry the case version the page showed, so a department acting in
//! between turns the applicant's post into "the application changed" rather than a surprise.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongban_domain::forms::{
    Answer, Answers, FieldError, FieldKind, FileRef, FormDefinition, SubmissionProblem,
    check_submission, parse_page, summary_rows, visible_pages,
};
use tongban_domain::notices::{Notice, NoticeKind};
use tongban_domain::workflow::ActionKind;
use tongban_services::applications::CaseView;
use tongban_services::identity::CurrentUser;
use tongban_services::workflow::{ActRefusal, ActRequest, ApplicantView, CaseRef, HandlingError};
use uuid::Uuid;

use super::view::{self, FieldView, Posted};
use super::{RowView, check_csrf, display_words, refusal, sections, service_name, signed_in};
use crate::catalog::chrome;
use crate::csrf::Csrf;
use crate::errors::internal_error;
use crate::identity::{ClientAddr, MaybeUser, origin, page, see_other};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::progress::{StageView, action_label, stage_views, state_label, status_text};
use crate::state::{AppState, Snapshot};

/// One line of the applicant's timeline.
pub(crate) struct TimelineEntry {
    pub at: String,
    pub title: String,
    pub comment: Option<String>,
    /// Files staff attached to the action (a decision's annex).
    pub files: Vec<crate::cases::view::EventFile>,
}

/// A notice issued with the case, with its download link.
pub(crate) struct NoticeLink {
    pub title: String,
    pub number: String,
    pub issued_on: String,
    pub href: String,
}

/// What the case pages show of a case's handling.
pub(crate) struct Handling {
    pub stages: Vec<StageView>,
    pub state_name: String,
    pub status: String,
    pub due_on: Option<String>,
    pub waiting_for_me: bool,
    /// The latest correction notice's items, while the case waits for the applicant.
    pub needed: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
    pub notices: Vec<NoticeLink>,
    pub can_correct: bool,
    pub can_withdraw: bool,
}

fn may(view: &ApplicantView, kind: ActionKind) -> bool {
    view.actions.iter().any(|a| a.action.kind == kind)
}

/// The key of the action of `kind` the applicant may take now.
fn action_key(view: &ApplicantView, kind: ActionKind) -> Option<String> {
    view.actions
        .iter()
        .find(|a| a.action.kind == kind)
        .map(|a| a.action.key.clone())
}

/// The items of the latest correction notice (every line of the staff's comment is one).
fn correction_items(view: &ApplicantView) -> Vec<String> {
    view.documents
        .iter()
        .filter(|d| d.kind == NoticeKind::Correction.key())
        .max_by_key(|d| d.created_at)
        .and_then(|d| serde_json::from_str::<Notice>(&d.content).ok())
        .map(|n| n.items)
        .unwrap_or_default()
}

pub(crate) fn handling_view(c: &Chrome<'_>, case_id: Uuid, view: &ApplicantView) -> Handling {
    let locale = c.locale;
    let def = &view.definition;
    let timeline = view
        .events
        .iter()
        .filter(|e| e.visibility == "applicant")
        .filter_map(|e| {
            let title = match e.kind.as_str() {
                "action" => {
                    let action = action_label(def, e.action.as_deref().unwrap_or_default(), locale);
                    match &e.to_state {
                        Some(to) if e.from_state.as_deref() != Some(to) => {
                            format!("{action} → {}", state_label(def, to, locale))
                        }
                        _ => action,
                    }
                }
                "message" => c.tr.t("case-timeline-message"),
                _ => return None,
            };
            Some(TimelineEntry {
                at: local_time(e.at),
                title,
                comment: e.comment.clone().filter(|t| !t.trim().is_empty()),
                files: crate::cases::view::event_files(&e.detail),
            })
        })
        .collect();
    let notices = view
        .documents
        .iter()
        .map(|d| NoticeLink {
            title: NoticeKind::from_key(&d.kind)
                .map(|k| k.title(crate::guide_pdf::pdf_locale(locale)).to_owned())
                .unwrap_or_else(|| d.kind.clone()),
            number: d.number.clone(),
            issued_on: d.issued_on.to_string(),
            href: format!("/applications/cases/{case_id}/notices/{}.pdf", d.id),
        })
        .collect();
    Handling {
        stages: stage_views(&c.tr, &view.stages),
        state_name: view.state_name.get(locale).to_owned(),
        status: status_text(&c.tr, &view.status, view.outcome),
        due_on: view.due_on.map(|d| d.to_string()),
        waiting_for_me: view.waiting_for_me,
        needed: if view.waiting_for_me {
            correction_items(view)
        } else {
            Vec::new()
        },
        timeline,
        notices,
        can_correct: may(view, ActionKind::Resubmit),
        can_withdraw: may(view, ActionKind::Withdraw),
    }
}

/// The case for the signed-in caller, with its form and its handling; 404 for anyone else.
async fn load(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    snapshot: &Snapshot,
    id: &str,
) -> Result<(CaseView, FormDefinition, ApplicantView), Box<Response>> {
    let Ok(case_id) = Uuid::parse_str(id.strip_suffix(".pdf").unwrap_or(id)) else {
        return Err(Box::new(crate::errors::not_found(state, prefs)));
    };
    let (case, form) = state
        .applications
        .case_with_form(user, &snapshot.catalog, case_id)
        .await
        .map_err(|e| Box::new(refusal(state, prefs, e)))?;
    let view = state
        .applications
        .handling()
        .applicant_view(&snapshot.catalog, case_id)
        .await
        .map_err(|e| Box::new(handling_error(state, prefs, &e)))?;
    Ok((case, form, view))
}

fn handling_error(state: &AppState, prefs: Prefs, error: &HandlingError) -> Response {
    match error {
        HandlingError::NotFound | HandlingError::NotAllowed => {
            crate::errors::not_found(state, prefs)
        }
        other => internal_error(state, prefs, other),
    }
}

fn act_refusal(state: &AppState, prefs: Prefs, refusal: &ActRefusal) -> Response {
    match refusal {
        ActRefusal::NotFound => crate::errors::not_found(state, prefs),
        // Stale page or an action no longer available: the case moved on meanwhile.
        ActRefusal::Conflict | ActRefusal::Workflow(_) | ActRefusal::Certificate(_) => {
            crate::errors::error_page(state, prefs, StatusCode::CONFLICT, "case-conflict", None)
        }
    }
}

// ----- The case page -----

#[derive(Template)]
#[template(path = "applications/case.html")]
struct CasePage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    tracking_number: String,
    service_name: String,
    submitted_at: String,
    channel: String,
    version: i32,
    sections: Vec<(String, Vec<RowView>)>,
    handling: Handling,
    stages: Vec<StageView>,
    done: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    done: Option<String>,
}

pub(super) async fn case_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<DoneQuery>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (case, form, view) = match load(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let path = format!("/applications/cases/{}", case.id);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), None);
    let rows = summary_rows(
        &form,
        &case.answers,
        prefs.locale,
        &state.divisions,
        &display_words(&c, true),
    );
    let sections = sections(&form, rows, prefs, |_| String::new());
    let mut handling = handling_view(&c, case.id, &view);
    let done = match query.done.as_deref() {
        Some("resubmitted") => Some(c.tr.t("case-done-resubmitted")),
        Some("withdrawn") => Some(c.tr.t("case-done-withdrawn")),
        _ => None,
    };
    let body = CasePage {
        id: case.id,
        tracking_number: case.tracking_number.clone(),
        service_name: service_name(&snapshot, &case.service_code, prefs),
        submitted_at: local_time(case.submitted_at),
        channel: c.tr.t(&format!("apply-channel-{}", case.channel.as_str())),
        version: case.service_version,
        sections,
        stages: std::mem::take(&mut handling.stages),
        handling,
        done,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, None)
}

// ----- Notices -----

/// A notice of the case as PDF, for whoever may see the case.
pub(super) async fn notice_pdf(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((id, document)): Path<(String, String)>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let (Ok(case_id), Some(Ok(document_id))) = (
        Uuid::parse_str(&id),
        document.strip_suffix(".pdf").map(Uuid::parse_str),
    ) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    if let Err(error) = state
        .applications
        .case(&user, snapshot.catalog.region_id, case_id)
        .await
    {
        return refusal(&state, prefs, error);
    }
    let notice = match state
        .applications
        .handling()
        .notice(&snapshot.catalog, case_id, document_id)
        .await
    {
        Ok(notice) => notice,
        Err(error) => return handling_error(&state, prefs, &error),
    };
    let disposition = crate::notice_pdf::notice_content_disposition(&notice, prefs.locale);
    let locale = prefs.locale;
    let rendered =
        tokio::task::spawn_blocking(move || crate::notice_pdf::render_notice(&notice, locale))
            .await;
    let bytes = match rendered {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(error)) => return internal_error(&state, prefs, &error),
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

// ----- Corrections in place -----

/// One page of the form on the correction page.
struct SectionView {
    title: String,
    fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "applications/correct.html")]
struct CorrectPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    tracking_number: String,
    service_name: String,
    items: Vec<String>,
    sections: Vec<SectionView>,
    errors: Vec<(String, String)>,
    version: i32,
    /// For the shared form controls: no adding or removing rows, files or lists here.
    preview: bool,
}

#[allow(clippy::too_many_arguments)]
fn render_correct(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    snapshot: &Snapshot,
    case: &CaseView,
    form: &FormDefinition,
    view: &ApplicantView,
    answers: &Answers,
    errors: &[FieldError],
    raw: Option<&[(String, String)]>,
) -> Response {
    let path = format!("/applications/cases/{}/correct", case.id);
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let locale = prefs.locale;
    let posted = Posted {
        raw,
        extra_items: BTreeMap::new(),
        certificates: BTreeMap::new(),
    };
    let (route, _) = visible_pages(form, answers);
    let sections = route
        .iter()
        .map(|form_page| SectionView {
            title: form_page.title.get(locale).to_owned(),
            fields: view::page_fields(
                &c.tr,
                locale,
                &state.divisions,
                form_page,
                answers,
                errors,
                &posted,
            )
            .into_iter()
            .map(|mut f| {
                // Files stay as they are (new uploads while correcting are a later step).
                f.can_add_file = false;
                // So do shared certificates: they were presented to the department with the
                // application, on the consent given then.
                if f.kind == "e-certificate" {
                    f.options.clear();
                    let shared = match answers.get(&f.name) {
                        Some(Answer::Certificate(a))
                            if a.source == tongban_domain::forms::CertificateSource::Fetch =>
                        {
                            c.tr.t("apply-cert-shared-fetch")
                        }
                        Some(Answer::Certificate(_)) => c.tr.t("apply-cert-shared-wallet"),
                        _ => c.tr.t("apply-not-answered"),
                    };
                    f.none_text = format!("{shared} {}", c.tr.t("case-correct-certificates"));
                }
                f
            })
            .collect(),
        })
        .collect();
    let body = CorrectPage {
        id: case.id,
        tracking_number: case.tracking_number.clone(),
        service_name: service_name(snapshot, &case.service_code, prefs),
        items: correction_items(view),
        sections,
        errors: view::summary(&c.tr, locale, form, errors),
        version: view.version,
        preview: true,
        c,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(state, prefs, status, body, Some(&csrf))
}

pub(super) async fn correct_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}/correct")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (case, form, view) = match load(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !may(&view, ActionKind::Resubmit) {
        return see_other(&format!("/applications/cases/{}", case.id));
    }
    render_correct(
        &state,
        prefs,
        &user,
        &headers,
        &snapshot,
        &case,
        &form,
        &view,
        &case.answers,
        &[],
        None,
    )
}

/// The files already attached to the application's file fields: kept through a correction.
fn kept_files(form: &FormDefinition, answers: &Answers) -> BTreeMap<String, Vec<FileRef>> {
    form.fields()
        .filter(|(_, f)| matches!(f.kind, FieldKind::File { .. }))
        .filter_map(|(_, f)| match answers.get(&f.key) {
            Some(Answer::Files(list)) => Some((f.key.clone(), list.clone())),
            _ => None,
        })
        .collect()
}

/// Reads the whole posted form, page by page in route order (each page's answers decide
/// which fields of the next are shown), then checks it as a submission.
fn read_correction(
    form: &FormDefinition,
    existing: &Answers,
    raw: &[(String, String)],
    ctx: &tongban_domain::forms::CheckContext<'_>,
) -> Result<Answers, (Answers, Vec<FieldError>)> {
    let files = kept_files(form, existing);
    // Shared certificates are kept as they were: the page shows no choice for them, so their
    // stored answers are read back as if posted.
    let mut raw = raw.to_vec();
    for (_, field) in form.fields() {
        if let (FieldKind::ECertificate { .. }, Some(Answer::Certificate(shared))) =
            (&field.kind, existing.get(&field.key))
        {
            raw.retain(|(k, _)| k != &field.key && *k != format!("{}.consent", field.key));
            raw.push((field.key.clone(), shared.choice_value()));
            raw.push((format!("{}.consent", field.key), "yes".to_owned()));
        }
    }
    let raw = raw.as_slice();
    let mut answers = existing.clone();
    let mut errors = Vec::new();
    let (route, _) = visible_pages(form, existing);
    for form_page in route {
        let outcome = parse_page(form, form_page, raw, &answers, &files, ctx);
        answers = outcome.answers;
        errors.extend(outcome.errors);
    }
    if !errors.is_empty() {
        return Err((answers, errors));
    }
    match check_submission(form, &answers, ctx) {
        Ok(clean) => Ok(clean),
        Err(SubmissionProblem::Invalid(found)) => {
            Err((answers, found.into_iter().map(|(_, e)| e).collect()))
        }
        // Corrections cannot make the applicant ineligible behind their back: the answer that
        // leads to the exit is shown as needing a change.
        Err(SubmissionProblem::NotEligible { .. }) => {
            let error = first_shown_field(form, &answers).map(|field| FieldError {
                path: field.clone(),
                field,
                error: tongban_domain::forms::AnswerError::UnknownOption,
            });
            Err((answers, error.into_iter().collect()))
        }
    }
}

fn first_shown_field(form: &FormDefinition, answers: &Answers) -> Option<String> {
    let (route, _) = visible_pages(form, answers);
    route.last().and_then(|p| {
        tongban_domain::forms::visible_fields(p, answers)
            .into_iter()
            .next()
            .map(|f| f.key.clone())
    })
}

pub(super) async fn correct(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(raw): Form<Vec<(String, String)>>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}/correct")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let field = |name: &str| {
        raw.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, field("csrf")) {
        return *response;
    }
    // Field keys start with a letter, so `_version` never collides with an answer.
    let shown_version = field("_version").parse::<i32>().ok();
    let snapshot = state.snapshots.current();
    let (case, form, view) = match load(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let Some(action) = action_key(&view, ActionKind::Resubmit) else {
        return act_refusal(&state, prefs, &ActRefusal::Conflict);
    };
    let ctx = state
        .applications
        .context(&snapshot.catalog, state.clock.now());
    let corrected = match read_correction(&form, &case.answers, &raw, &ctx) {
        Ok(answers) => answers,
        Err((answers, errors)) => {
            return render_correct(
                &state,
                prefs,
                &user,
                &headers,
                &snapshot,
                &case,
                &form,
                &view,
                &answers,
                &errors,
                Some(&raw),
            );
        }
    };
    let acted = state
        .applications
        .handling()
        .applicant_act(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            &state.applications,
            CaseRef {
                id: case.id,
                version: shown_version,
            },
            &ActRequest {
                action,
                ..ActRequest::default()
            },
            Some(corrected),
        )
        .await;
    match acted {
        Ok(Ok(_)) => see_other(&format!("/applications/cases/{}?done=resubmitted", case.id)),
        Ok(Err(refused)) => act_refusal(&state, prefs, &refused),
        Err(error) => handling_error(&state, prefs, &error),
    }
}

// ----- Withdrawal -----

#[derive(Template)]
#[template(path = "applications/withdraw.html")]
struct WithdrawPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    tracking_number: String,
    service_name: String,
    version: i32,
}

pub(super) async fn withdraw_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}/withdraw")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (case, _, view) = match load(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    if !may(&view, ActionKind::Withdraw) {
        return see_other(&format!("/applications/cases/{}", case.id));
    }
    let path = format!("/applications/cases/{}/withdraw", case.id);
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, &path).for_user(Some(&user), Some(csrf.token.clone()));
    let body = WithdrawPage {
        id: case.id,
        tracking_number: case.tracking_number.clone(),
        service_name: service_name(&snapshot, &case.service_code, prefs),
        version: view.version,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, Some(&csrf))
}

#[derive(Deserialize)]
pub(super) struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    comment: String,
}

pub(super) async fn withdraw(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<WithdrawForm>,
) -> Response {
    let user = match signed_in(user, &format!("/applications/cases/{id}/withdraw")) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let snapshot = state.snapshots.current();
    let (case, _, view) = match load(&state, prefs, &user, &snapshot, &id).await {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let Some(action) = action_key(&view, ActionKind::Withdraw) else {
        return act_refusal(&state, prefs, &ActRefusal::Conflict);
    };
    let comment = form.comment.trim();
    let acted = state
        .applications
        .handling()
        .applicant_act(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            &state.applications,
            CaseRef {
                id: case.id,
                version: form.version,
            },
            &ActRequest {
                action,
                comment: (!comment.is_empty()).then(|| comment.chars().take(2000).collect()),
                ..ActRequest::default()
            },
            None,
        )
        .await;
    match acted {
        Ok(Ok(_)) => see_other(&format!("/applications/cases/{}?done=withdrawn", case.id)),
        Ok(Err(refused)) => act_refusal(&state, prefs, &refused),
        Err(error) => handling_error(&state, prefs, &error),
    }
}
