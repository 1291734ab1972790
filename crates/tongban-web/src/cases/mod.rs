//! The staff workbench (办件工作台): the inbox of open tasks for the caller's departmental roles
//! with filters, deadlines and batch handling (批量处理); the case page with the application,
//! the tasks, the timeline, the notices and one form per action the caller may take; claiming,
//! notes and messages to the applicant; and the notices as PDF.
//!
//! Handlers stay thin: every decision (who sees which case, what may be done, conflicts between
//! two people acting at once) is `tongban_services::workflow::CaseHandling`'s. A case the caller
//! may not see answers 404, exactly like one that does not exist. Every form carries a CSRF
//! token and the case version the page showed, so an action on a case that changed meanwhile
//! is refused with a message instead of applied blindly. Pages work without JavaScript.

mod act_post;
pub mod api;
pub mod view;

use std::collections::HashSet;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_domain::access::Role;
use tongban_domain::calendar::remaining_working_days;
use tongban_domain::forms::summary_rows;
use tongban_domain::notices::NoticeKind;
use tongban_domain::workflow::{ActionKind, Requirement, progress};
use tongban_services::identity::{AccountKind, CurrentUser};
use tongban_services::workflow::{
    ActRefusal, ActRequest, BatchLine, CaseRef, HandlingError, INBOX_PAGE, InboxFilter, StaffCase,
};
use uuid::Uuid;

use crate::admin::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::{AppState, Snapshot};
use view::{AnswerRow, DeadlineView};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(api::router())
        .route("/workbench", get(inbox))
        .route("/workbench/batch", post(batch))
        .route("/workbench/cases/{id}", get(case_page))
        .route(
            "/workbench/cases/{id}/act",
            post(act).layer(axum::extract::DefaultBodyLimit::max(
                crate::applications::UPLOAD_REQUEST_LIMIT,
            )),
        )
        .route("/workbench/cases/{id}/claim", post(claim))
        .route("/workbench/cases/{id}/release", post(release))
        .route("/workbench/cases/{id}/note", post(note))
        .route(
            "/workbench/cases/{id}/certificates/{certificate}/revoke",
            post(revoke_certificate),
        )
        // `{doc}.pdf`: the router takes whole segments, the handler strips the extension.
        .route("/workbench/cases/{id}/notices/{doc}", get(notice_pdf))
}

/// Pages past this one are not offered (nobody pages through 500,000 tasks; the filters do).
const MAX_PAGE: u64 = 10_000;

/// The departments where `user` holds a role exercised inside one department, in the
/// catalogue's region.
fn departments_of(user: &CurrentUser, snapshot: &Snapshot) -> HashSet<Uuid> {
    if user.kind != AccountKind::Staff {
        return HashSet::new();
    }
    user.roles
        .iter()
        .filter(|g| g.region_id == snapshot.catalog.region_id && g.role.is_departmental())
        .filter_map(|g| g.department_id)
        .collect()
}

/// Whether `user` may open case pages at all: departmental staff, or the region's supervisors
/// (who see every case). Which case they may see is the service's decision.
fn may_open_cases(user: &CurrentUser, snapshot: &Snapshot) -> bool {
    user.kind == AccountKind::Staff
        && (!departments_of(user, snapshot).is_empty()
            || user
                .roles
                .iter()
                .any(|g| g.region_id == snapshot.catalog.region_id && g.role == Role::Supervisor))
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

fn handling_failed(state: &AppState, prefs: Prefs, error: HandlingError) -> Response {
    match error {
        HandlingError::NotFound => not_found(state, prefs),
        HandlingError::NotAllowed => no_access(state, prefs),
        other => internal_error(state, prefs, &other),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn service_label(snapshot: &Snapshot, code: &str, prefs: Prefs) -> String {
    snapshot
        .catalog
        .service(code)
        .map(|s| s.service.name.get(prefs.locale).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

fn claimed_by(
    tr: &crate::i18n::Tr<'_>,
    me: Uuid,
    assignee: Option<Uuid>,
    name: Option<&str>,
) -> String {
    match assignee {
        None => tr.t("wb-claimed-nobody"),
        Some(id) if id == me => tr.t("wb-claimed-me"),
        Some(_) => name
            .map(str::to_owned)
            .unwrap_or_else(|| tr.t("wb-claimed-someone")),
    }
}

// ----- Inbox -----

#[derive(Debug, Default, Deserialize)]
struct InboxParams {
    service: Option<String>,
    state: Option<String>,
    kind: Option<String>,
    overdue: Option<String>,
    mine: Option<String>,
    sort: Option<String>,
    page: Option<String>,
    error: Option<String>,
}

struct InboxRow {
    case_id: Uuid,
    token: String,
    tracking_number: String,
    service: String,
    state: String,
    applicant_kind: String,
    submitted: String,
    deadline: DeadlineView,
    claimed: String,
}

#[derive(Template)]
#[template(path = "cases/inbox.html")]
struct InboxPage<'a> {
    c: Chrome<'a>,
    rows: Vec<InboxRow>,
    total_text: String,
    services: Vec<(String, String)>,
    states: Vec<(String, String)>,
    actions: Vec<(String, String)>,
    service: String,
    state: String,
    kind: String,
    overdue: bool,
    mine: bool,
    newest: bool,
    previous: Option<String>,
    next: Option<String>,
    page_text: String,
    error: Option<String>,
}

async fn inbox(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(params): Query<InboxParams>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/workbench") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let snapshot = state.snapshots.current();
    let departments = departments_of(&user, &snapshot);
    if departments.is_empty() {
        return no_access(&state, prefs);
    }
    let page_number = params
        .page
        .as_deref()
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_PAGE);
    let service = non_empty(params.service);
    let stage = non_empty(params.state);
    let kind = non_empty(params.kind).filter(|k| k == "person" || k == "enterprise");
    let overdue = params.overdue.is_some_and(|v| !v.is_empty());
    let mine = params.mine.is_some_and(|v| !v.is_empty());
    let newest = params.sort.as_deref() == Some("newest");
    let filter = InboxFilter {
        service_code: service.clone(),
        stage: stage.clone(),
        applicant_kind: kind.clone(),
        overdue,
        mine,
        newest_first: newest,
        page: page_number - 1,
    };
    let handling = state.applications.handling();
    let found = match handling
        .inbox(state.clock.as_ref(), &user, &snapshot.catalog, &filter)
        .await
    {
        Ok(found) => found,
        Err(error) => return handling_failed(&state, prefs, error),
    };

    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/workbench")
        .for_user(Some(&user), Some(csrf.token.clone()));
    let tr = c.tr;
    let rows = found
        .lines
        .iter()
        .map(|line| InboxRow {
            case_id: line.case_id,
            token: view::case_token(line.case_id, line.version),
            tracking_number: line.tracking_number.clone(),
            service: service_label(&snapshot, &line.service_code, prefs),
            state: line.state_name.get(prefs.locale).to_owned(),
            applicant_kind: tr.t(&format!("wb-kind-{}", line.applicant_kind)),
            submitted: crate::layout::local_date(line.submitted_at),
            deadline: view::deadline(&tr, line.due_on, line.remaining_days),
            claimed: claimed_by(
                &tr,
                user.account_id,
                line.assignee_id,
                line.assignee_name.as_deref(),
            ),
        })
        .collect();

    // The department's services, their workflows' working states and staff actions.
    let own_services: Vec<_> = snapshot
        .catalog
        .services
        .iter()
        .filter(|s| {
            snapshot
                .catalog
                .department_id(&s.service.department)
                .is_some_and(|d| departments.contains(&d))
        })
        .collect();
    let definitions: Vec<_> = own_services
        .iter()
        .map(|s| s.service.workflow_definition().into_owned())
        .collect();
    let mut states: Vec<(String, String)> = Vec::new();
    for def in &definitions {
        for s in def.states.iter().filter(|s| !s.tasks.is_empty()) {
            if !states.iter().any(|(k, _)| *k == s.key) {
                states.push((s.key.clone(), s.name.get(prefs.locale).to_owned()));
            }
        }
    }
    let services = own_services
        .iter()
        .map(|s| {
            (
                s.service.code.clone(),
                format!("{} {}", s.service.code, s.service.name.get(prefs.locale)),
            )
        })
        .collect();
    let actions = view::batch_actions(&definitions, prefs.locale);

    // Beyond the counted bound the last page is unknown: "next" while pages come back full.
    let pages = if found.total_exact {
        found.total.div_ceil(INBOX_PAGE).max(1)
    } else {
        page_number + u64::from(found.lines.len() as u64 == INBOX_PAGE)
    };
    let link = |number: u64| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("service", service.as_deref()),
            ("state", stage.as_deref()),
            ("kind", kind.as_deref()),
            ("overdue", overdue.then_some("1")),
            ("mine", mine.then_some("1")),
            ("sort", newest.then_some("newest")),
        ] {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
        query.append_pair("page", &number.to_string());
        format!("/workbench?{}", query.finish())
    };
    let error = params
        .error
        .as_deref()
        .filter(|e| matches!(*e, "none-selected" | "no-action"))
        .map(|e| tr.t(&format!("wb-batch-error-{e}")));
    let body = InboxPage {
        total_text: if found.total_exact {
            tr.t1("wb-inbox-total", "count", found.total as i64)
        } else {
            tr.t1("wb-inbox-total-more", "count", found.total as i64)
        },
        page_text: if found.total_exact {
            tr.tn(
                "wb-inbox-page",
                &[
                    ("page", page_number.to_string()),
                    ("pages", pages.to_string()),
                ],
            )
        } else {
            tr.t1("wb-inbox-page-open", "page", page_number as i64)
        },
        previous: (page_number > 1).then(|| link(page_number - 1)),
        next: (page_number < pages).then(|| link(page_number + 1)),
        rows,
        services,
        states,
        actions,
        service: service.unwrap_or_default(),
        state: stage.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        overdue,
        mine,
        newest,
        error,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, Some(&csrf))
}

// ----- Batch -----

struct BatchRow {
    tracking_number: String,
    done: bool,
    text: String,
    case_id: Uuid,
    visible: bool,
}

#[derive(Template)]
#[template(path = "cases/batch.html")]
struct BatchPage<'a> {
    c: Chrome<'a>,
    action: String,
    summary: String,
    rows: Vec<BatchRow>,
    error: Option<String>,
}

async fn batch(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = match signed_in_or_login(user, "/workbench") {
        Ok(user) => user,
        Err(login) => return login,
    };
    // Checkboxes repeat their name: read the pairs as posted.
    let mut token = String::new();
    let mut action = String::new();
    let mut comment = String::new();
    let mut cases: Vec<CaseRef> = Vec::new();
    for (key, value) in form_urlencoded::parse(&body) {
        match &*key {
            "csrf" => token = value.into_owned(),
            "action" => action = value.trim().to_owned(),
            "comment" => comment = value.into_owned(),
            "case" => {
                if let Some((id, version)) = view::parse_case_token(&value) {
                    cases.push(CaseRef { id, version });
                }
            }
            _ => {}
        }
    }
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &token) {
        return *response;
    }
    let snapshot = state.snapshots.current();
    if departments_of(&user, &snapshot).is_empty() {
        return no_access(&state, prefs);
    }
    if cases.is_empty() {
        return see_other("/workbench?error=none-selected");
    }
    if action.is_empty() {
        return see_other("/workbench?error=no-action");
    }
    let request = ActRequest {
        action: action.clone(),
        comment: Some(comment).filter(|c| !c.trim().is_empty()),
        extension_days: None,
        attachments: Vec::new(),
    };
    let handling = state.applications.handling();
    let result = handling
        .act_many(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            &cases,
            &request,
        )
        .await;
    let c = chrome(&state, &snapshot, prefs, "/workbench/batch").for_user(Some(&user), None);
    let action_label = ActionKind::from_key(&action)
        .map(|k| {
            tongban_domain::workflow::kind_label(k)
                .get(prefs.locale)
                .to_owned()
        })
        .unwrap_or_else(|| action.clone());
    let lines = match result {
        Ok(lines) => lines,
        Err(HandlingError::TooMany(limit)) => {
            let body = BatchPage {
                error: Some(c.tr.t1("wb-batch-too-many", "max", limit)),
                action: action_label,
                summary: String::new(),
                rows: Vec::new(),
                c,
            };
            return page(&state, prefs, StatusCode::UNPROCESSABLE_ENTITY, body, None);
        }
        Err(error) => return handling_failed(&state, prefs, error),
    };
    let rows = batch_rows(prefs, &c, &lines);
    let done = rows.iter().filter(|r| r.done).count();
    let body = BatchPage {
        summary: c.tr.tn(
            "wb-batch-summary",
            &[
                ("done", done.to_string()),
                ("refused", (rows.len() - done).to_string()),
            ],
        ),
        action: action_label,
        rows,
        error: None,
        c,
    };
    page(&state, prefs, StatusCode::OK, body, None)
}

/// One line per case named: the new state's name for those done, the reason for the others.
fn batch_rows(prefs: Prefs, c: &Chrome<'_>, lines: &[BatchLine]) -> Vec<BatchRow> {
    lines
        .iter()
        .map(|line| {
            let (done, text) = match &line.result {
                Ok(acted) => (
                    true,
                    c.tr.t1(
                        "wb-batch-done",
                        "state",
                        acted.to_name.get(prefs.locale).to_owned(),
                    ),
                ),
                Err(refusal) => (false, view::refusal_text(&c.tr, refusal)),
            };
            BatchRow {
                tracking_number: line
                    .tracking_number
                    .clone()
                    .unwrap_or_else(|| line.case_id.to_string()),
                visible: line.tracking_number.is_some(),
                case_id: line.case_id,
                done,
                text,
            }
        })
        .collect()
}

// ----- Case page -----

struct TaskView {
    id: Uuid,
    department: String,
    role: String,
    state: String,
    open: bool,
    claimed: String,
    decision: String,
    can_claim: bool,
    can_release: bool,
}

struct EventView {
    at: String,
    who: String,
    what: String,
    from_to: Option<String>,
    comment: Option<String>,
    /// `internal` (staff only) or `applicant` (a message to the applicant); none for an
    /// action the applicant also sees.
    mark: Option<(&'static str, String)>,
    files: Vec<view::EventFile>,
}

/// A certificate the case issued, and whether the viewer may revoke it.
struct CertificateView {
    id: Uuid,
    name: String,
    status: String,
    issued: String,
    revoked_reason: Option<String>,
    can_revoke: bool,
}

/// A certificate the applicant shared with the case, verified as the page is shown.
struct SharedView {
    name: String,
    field: String,
    /// "From the applicant's wallet" or "Fetched from the issuing department".
    source: String,
    consented: String,
    verdict: crate::certificates::VerdictView,
}

struct NoticeView {
    title: String,
    number: String,
    issued: String,
    href: String,
}

struct ActionView {
    key: String,
    label: String,
    /// `required`, `optional` or `none`.
    comment: &'static str,
    days: bool,
    /// `required`, `optional` or `none`: whether the form offers a file input.
    attachment: &'static str,
    comment_value: String,
    days_value: String,
    error: Option<String>,
}

/// A refused post, shown again on the case page with what the person typed.
#[derive(Default)]
struct Problem {
    /// The action whose form failed, or `note`, or `claim`.
    form: String,
    /// The field the error summary links to.
    field: String,
    message: String,
    comment: String,
    days: String,
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    version: i32,
    tracking_number: String,
    service: String,
    state_name: String,
    status: String,
    outcome: Option<String>,
    submitted: String,
    channel: String,
    applicant_kind: String,
    committed: DeadlineView,
    statutory: DeadlineView,
    stages: Vec<(String, String, &'static str)>,
    sections: Vec<(String, Vec<AnswerRow>)>,
    /// (upload id, file name, size) of every attached file.
    files: Vec<(String, String, String)>,
    tasks: Vec<TaskView>,
    timeline: Vec<EventView>,
    notices: Vec<NoticeView>,
    certificates: Vec<CertificateView>,
    shared: Vec<SharedView>,
    actions: Vec<ActionView>,
    /// The largest file an action takes, in megabytes (for the hint).
    attachment_max_mb: u32,
    read_only: bool,
    done: Option<String>,
    problem: Option<Problem>,
    note_text: String,
    note_to_applicant: bool,
    /// The comment of an action that is no longer offered (the case moved on), shown so that
    /// nothing typed is lost.
    kept_comment: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// The signed-in staff member allowed to open case pages, and the case id; or the response.
#[allow(clippy::result_large_err)]
fn case_gate(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    id: &str,
    snapshot: &Snapshot,
) -> Result<(CurrentUser, Uuid), Response> {
    let user = signed_in_or_login(user, &format!("/workbench/cases/{id}"))?;
    if !may_open_cases(&user, snapshot) {
        return Err(no_access(state, prefs));
    }
    let case_id = Uuid::parse_str(id).map_err(|_| not_found(state, prefs))?;
    Ok((user, case_id))
}

async fn case_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let done = query
        .done
        .as_deref()
        .filter(|d| matches!(*d, "acted" | "claimed" | "released" | "noted" | "revoked"))
        .map(|d| state.i18n.tr(prefs.locale).t(&format!("wb-done-{d}")));
    render_case(
        &state,
        prefs,
        &user,
        &headers,
        case_id,
        StatusCode::OK,
        done,
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_case(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    case_id: Uuid,
    status: StatusCode,
    done: Option<String>,
    problem: Option<Problem>,
) -> Response {
    let snapshot = state.snapshots.current();
    let handling = state.applications.handling();
    let case = match handling
        .staff_case(state.clock.as_ref(), user, &snapshot.catalog, case_id)
        .await
    {
        Ok(case) => case,
        Err(error) => return handling_failed(state, prefs, error),
    };
    let certificates = handling.certificates();
    let issued = match certificates
        .of_case(snapshot.catalog.region_id, case_id)
        .await
    {
        Ok(rows) => rows,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = format!("/workbench/cases/{case_id}");
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let certificates = issued
        .iter()
        .map(|row| CertificateView {
            id: row.id,
            name: snapshot
                .catalog
                .certificate_type(&row.type_key)
                .map(|t| t.name.get(prefs.locale).to_owned())
                .unwrap_or_else(|| row.type_key.clone()),
            status: c
                .tr
                .t(if row.status == tongban_store::certificates::STATUS_VALID {
                    "wallet-status-valid"
                } else {
                    "wallet-status-revoked"
                }),
            issued: local_time(row.issued_at),
            revoked_reason: row.revoke_reason.clone(),
            can_revoke: row.status == tongban_store::certificates::STATUS_VALID
                && tongban_services::certificates::Certificates::may_administer(
                    user,
                    snapshot.catalog.region_id,
                    row.department_id,
                ),
        })
        .collect();
    let shared = match handling
        .certificates()
        .shared_with_case(state.clock.as_ref(), &snapshot.catalog, case_id)
        .await
    {
        Ok(shared) => shared,
        Err(error) => return internal_error(state, prefs, &error),
    };
    // The form version the application was made with names the fields.
    let form = case.service.form.clone();
    let shared = shared
        .iter()
        .map(|view| SharedView {
            name: snapshot
                .catalog
                .certificate_type(&view.row.type_key)
                .map(|t| t.name.get(prefs.locale).to_owned())
                .unwrap_or_else(|| view.row.type_key.clone()),
            field: form
                .as_ref()
                .and_then(|f| f.field(&view.row.field_key))
                .map(|f| f.label.get(prefs.locale).to_owned())
                .unwrap_or_else(|| view.row.field_key.clone()),
            source: c.tr.t(if view.row.source == "fetch" {
                "wb-shared-fetched"
            } else {
                "wb-shared-wallet"
            }),
            consented: local_time(view.row.consented_at),
            verdict: crate::certificates::verdict_view_for(
                state,
                prefs,
                &c.tr,
                &view.verdict,
                false,
            ),
        })
        .collect();
    let mut body = case_view(state, &snapshot, prefs, user, case, c, done, problem);
    body.certificates = certificates;
    body.shared = shared;
    page(state, prefs, status, body, Some(&csrf))
}

#[allow(clippy::too_many_arguments)]
fn case_view<'a>(
    state: &AppState,
    snapshot: &Snapshot,
    prefs: Prefs,
    user: &CurrentUser,
    case: StaffCase,
    c: Chrome<'a>,
    done: Option<String>,
    problem: Option<Problem>,
) -> CasePage<'a> {
    let tr = c.tr;
    let locale = prefs.locale;
    let def = &case.definition;
    let row = &case.case;
    let today = state
        .clock
        .now()
        .with_timezone(&tongban_services::catalog_admin::region_offset(
            &snapshot.catalog.region.timezone,
        ))
        .date_naive();
    let calendar = state.applications.handling().calendar(&snapshot.catalog);
    let statutory_left = row
        .statutory_due_on
        .map(|due| remaining_working_days(&calendar, today, due));

    let sections = match &case.service.form {
        Some(form) => view::sections(
            form,
            summary_rows(
                form,
                &case.answers,
                locale,
                &state.divisions,
                &crate::applications::display_words(&c, true),
            ),
            locale,
        ),
        None => Vec::new(),
    };
    let files = view::attachments(&case.answers)
        .into_iter()
        .map(|f| (f.id.clone(), f.name.clone(), view::file_size(f.size)))
        .collect();

    let tasks = case
        .tasks
        .iter()
        .map(|t| {
            let claimable = case.claimable.contains(&t.id);
            TaskView {
                id: t.id,
                department: snapshot
                    .catalog
                    .department_by_id(t.department_id)
                    .map(|d| d.name.get(locale).to_owned())
                    .unwrap_or_default(),
                role: tr.t(&format!("role-{}", t.role)),
                state: view::state_name(def, &t.stage, locale),
                open: t.status == tongban_store::cases::TASK_OPEN,
                claimed: claimed_by(
                    &tr,
                    user.account_id,
                    t.assignee_id,
                    t.assignee_id
                        .and_then(|id| case.names.get(&id))
                        .map(String::as_str),
                ),
                decision: t
                    .decision
                    .as_deref()
                    .map(|d| tr.t(&format!("wb-decision-{d}")))
                    .unwrap_or_default(),
                can_claim: claimable && t.assignee_id.is_none(),
                can_release: claimable && t.assignee_id == Some(user.account_id),
            }
        })
        .collect();

    let timeline = case
        .events
        .iter()
        .map(|e| {
            let (what, mark) = match e.kind.as_str() {
                "note" => (
                    tr.t("wb-event-note"),
                    Some(("internal", tr.t("wb-mark-internal"))),
                ),
                "message" => (
                    tr.t("wb-event-message"),
                    Some(("applicant", tr.t("wb-mark-to-applicant"))),
                ),
                _ => (
                    e.action
                        .as_deref()
                        .map(|a| view::action_label(def, e.from_state.as_deref(), a, locale))
                        .unwrap_or_else(|| e.kind.clone()),
                    (e.visibility == "internal").then(|| ("internal", tr.t("wb-mark-internal"))),
                ),
            };
            EventView {
                at: local_time(e.at),
                who: e.actor_name.clone(),
                what,
                from_to: match (&e.from_state, &e.to_state) {
                    (Some(from), Some(to)) => Some(format!(
                        "{} → {}",
                        view::state_name(def, from, locale),
                        view::state_name(def, to, locale)
                    )),
                    _ => None,
                },
                comment: e.comment.clone(),
                mark,
                files: view::event_files(&e.detail),
            }
        })
        .collect();

    let notices = case
        .documents
        .iter()
        .map(|d| NoticeView {
            title: NoticeKind::from_key(&d.kind)
                .map(|k| k.title(crate::guide_pdf::pdf_locale(locale)).to_owned())
                .unwrap_or_else(|| d.kind.clone()),
            number: d.number.clone(),
            issued: d.issued_on.format("%Y-%m-%d").to_string(),
            href: format!("/workbench/cases/{}/notices/{}.pdf", row.id, d.id),
        })
        .collect();

    let mut seen = HashSet::new();
    let actions: Vec<ActionView> = case
        .actions
        .iter()
        .filter(|a| seen.insert(a.action.key.clone()))
        .map(|a| {
            let failed = problem.as_ref().filter(|p| p.form == a.action.key);
            ActionView {
                key: a.action.key.clone(),
                label: a.action.label().get(locale).to_owned(),
                comment: match a.action.comment {
                    Requirement::Required => "required",
                    Requirement::Optional => "optional",
                    Requirement::None => "none",
                },
                days: a.action.kind == ActionKind::Extend,
                attachment: match a.action.attachment {
                    Requirement::Required => "required",
                    Requirement::Optional => "optional",
                    Requirement::None => "none",
                },
                comment_value: failed.map(|p| p.comment.clone()).unwrap_or_default(),
                days_value: failed.map(|p| p.days.clone()).unwrap_or_default(),
                error: failed.map(|p| p.message.clone()),
            }
        })
        .collect();
    let kept_comment = problem
        .as_ref()
        .filter(|p| !matches!(p.form.as_str(), "note" | "claim"))
        .filter(|p| !actions.iter().any(|a| a.key == p.form))
        .map(|p| p.comment.trim().to_owned())
        .filter(|c| !c.is_empty());
    let (note_text, note_to_applicant) = match &problem {
        Some(p) if p.form == "note" => (p.comment.clone(), p.days == "applicant"),
        _ => (String::new(), false),
    };

    CasePage {
        id: row.id,
        version: row.version,
        tracking_number: row.tracking_number.clone(),
        service: case.service.name.get(locale).to_owned(),
        state_name: view::state_name(def, &case.state.state, locale),
        status: tr.t(&format!("wb-status-{}", row.status)),
        outcome: case
            .state
            .outcome
            .map(|o| tr.t(&format!("wb-outcome-{}", o.key()))),
        submitted: local_time(row.submitted_at),
        channel: tr.t(&format!("apply-channel-{}", row.channel)),
        applicant_kind: tr.t(&format!(
            "wb-kind-{}",
            tongban_store::cases::applicant_kind(row.enterprise_id)
        )),
        committed: view::deadline(&tr, row.due_on, case.remaining_days),
        statutory: view::deadline(&tr, row.statutory_due_on, statutory_left),
        stages: progress(def, &case.state)
            .into_iter()
            .map(|(stage, status)| view::stage_words(&tr, stage, status))
            .collect(),
        sections,
        files,
        read_only: actions.is_empty() && case.claimable.is_empty(),
        tasks,
        timeline,
        notices,
        certificates: Vec::new(),
        shared: Vec::new(),
        actions,
        attachment_max_mb: state
            .applications
            .handling()
            .settings
            .attachment_max_kb
            .div_ceil(1024),
        done,
        problem,
        note_text,
        note_to_applicant,
        kept_comment,
        c,
    }
}

// ----- Acting on one case -----

async fn act(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let post = match act_post::read_act_post(&state, prefs, &user, request).await {
        Ok(post) => post,
        Err(response) => return *response,
    };
    let form = post.form;
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    // The version is what makes a stale page fail instead of acting blindly: a form without
    // one is not ours.
    let Ok(version) = form.version.trim().parse::<i32>() else {
        return crate::errors::error_page(
            &state,
            prefs,
            StatusCode::BAD_REQUEST,
            "apply-bad-post",
            None,
        );
    };
    let action = form.action.trim().to_owned();
    if let Some(message) = post.refused {
        let problem = Problem {
            field: format!("attachment-{action}"),
            form: action,
            message,
            comment: form.comment,
            days: form.days,
        };
        return render_case(
            &state,
            prefs,
            &user,
            &headers,
            case_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(problem),
        )
        .await;
    }
    let request = ActRequest {
        action,
        comment: Some(form.comment.clone()).filter(|c| !c.trim().is_empty()),
        extension_days: form.days.trim().parse::<u16>().ok(),
        attachments: post.attachments,
    };
    let result = state
        .applications
        .handling()
        .act(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            CaseRef {
                id: case_id,
                version: Some(version),
            },
            &request,
        )
        .await;
    match result {
        Ok(Ok(_)) => see_other(&format!("/workbench/cases/{case_id}?done=acted")),
        Ok(Err(ActRefusal::NotFound)) => not_found(&state, prefs),
        Ok(Err(refusal)) => {
            let tr = state.i18n.tr(prefs.locale);
            let status = if refusal == ActRefusal::Conflict {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let field = if view::about_comment(&refusal) {
                format!("comment-{}", request.action)
            } else if refusal
                == ActRefusal::Workflow(tongban_domain::workflow::WorkflowError::AttachmentRequired)
            {
                format!("attachment-{}", request.action)
            } else {
                format!("action-{}", request.action)
            };
            let problem = Problem {
                form: request.action.clone(),
                field,
                message: view::refusal_text(&tr, &refusal),
                comment: form.comment,
                days: form.days,
            };
            render_case(
                &state,
                prefs,
                &user,
                &headers,
                case_id,
                status,
                None,
                Some(problem),
            )
            .await
        }
        Err(error) => handling_failed(&state, prefs, error),
    }
}

// ----- Revoking a certificate the case issued -----

#[derive(Debug, Default, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

async fn revoke_certificate(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path((id, certificate)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let Ok(certificate_id) = Uuid::parse_str(&certificate) else {
        return not_found(&state, prefs);
    };
    let handling = state.applications.handling();
    // Only a certificate this case issued, on a case the caller may see.
    let belongs = match handling
        .certificates()
        .of_case(snapshot.catalog.region_id, case_id)
        .await
    {
        Ok(rows) => rows.iter().any(|r| r.id == certificate_id),
        Err(error) => return internal_error(&state, prefs, &error),
    };
    match handling
        .staff_may_see(&user, &snapshot.catalog, case_id)
        .await
    {
        Ok(true) if belongs => {}
        Ok(_) => return not_found(&state, prefs),
        Err(error) => return handling_failed(&state, prefs, error),
    }
    use tongban_services::certificates::CertificateError;
    match handling
        .certificates()
        .revoke(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            certificate_id,
            &form.reason,
        )
        .await
    {
        Ok(()) | Err(CertificateError::AlreadyRevoked) => {
            see_other(&format!("/workbench/cases/{case_id}?done=revoked"))
        }
        Err(CertificateError::ReasonRequired) => {
            let tr = state.i18n.tr(prefs.locale);
            let problem = Problem {
                form: "revoke".into(),
                field: format!("revoke-reason-{certificate_id}"),
                message: tr.t("wb-revoke-reason-required"),
                comment: form.reason,
                days: String::new(),
            };
            render_case(
                &state,
                prefs,
                &user,
                &headers,
                case_id,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(problem),
            )
            .await
        }
        Err(CertificateError::NotAllowed) => no_access(&state, prefs),
        Err(CertificateError::NotFound) => not_found(&state, prefs),
        Err(error) => internal_error(&state, prefs, &error),
    }
}

// ----- Claiming -----

#[derive(Debug, Default, Deserialize)]
struct TaskForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    task: String,
}

async fn claim(
    state: State<AppState>,
    prefs: Prefs,
    user: MaybeUser,
    peer: ClientAddr,
    id: Path<String>,
    headers: HeaderMap,
    form: Form<TaskForm>,
) -> Response {
    claim_or_release(state, prefs, user, peer, id, headers, form, false).await
}

async fn release(
    state: State<AppState>,
    prefs: Prefs,
    user: MaybeUser,
    peer: ClientAddr,
    id: Path<String>,
    headers: HeaderMap,
    form: Form<TaskForm>,
) -> Response {
    claim_or_release(state, prefs, user, peer, id, headers, form, true).await
}

#[allow(clippy::too_many_arguments)]
async fn claim_or_release(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<TaskForm>,
    release: bool,
) -> Response {
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let Ok(task_id) = Uuid::parse_str(form.task.trim()) else {
        return not_found(&state, prefs);
    };
    let result = state
        .applications
        .handling()
        .claim(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            case_id,
            task_id,
            release,
        )
        .await;
    match result {
        Ok(true) => see_other(&format!(
            "/workbench/cases/{case_id}?done={}",
            if release { "released" } else { "claimed" }
        )),
        Ok(false) => {
            let tr = state.i18n.tr(prefs.locale);
            let problem = Problem {
                form: "claim".to_owned(),
                field: "tasks".to_owned(),
                message: tr.t(if release {
                    "wb-release-not-yours"
                } else {
                    "wb-claim-taken"
                }),
                ..Problem::default()
            };
            render_case(
                &state,
                prefs,
                &user,
                &headers,
                case_id,
                StatusCode::CONFLICT,
                None,
                Some(problem),
            )
            .await
        }
        Err(error) => handling_failed(&state, prefs, error),
    }
}

// ----- Notes and messages -----

#[derive(Debug, Default, Deserialize)]
struct NoteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    to: String,
}

/// The longest note kept (the service keeps the first 4,000 characters).
const NOTE_MAX_CHARS: usize = 4000;

async fn note(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<NoteForm>,
) -> Response {
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = check_csrf(&state, prefs, &user, &headers, &form.csrf) {
        return *response;
    }
    let to_applicant = form.to == "applicant";
    let text = form.text.trim();
    let refused = if text.is_empty() {
        Some("wb-note-empty")
    } else if text.chars().count() > NOTE_MAX_CHARS {
        Some("wb-note-too-long")
    } else {
        None
    };
    if let Some(key) = refused {
        let tr = state.i18n.tr(prefs.locale);
        let problem = Problem {
            form: "note".to_owned(),
            field: "note-text".to_owned(),
            message: tr.t(key),
            comment: form.text.clone(),
            days: if to_applicant {
                "applicant"
            } else {
                "internal"
            }
            .to_owned(),
        };
        return render_case(
            &state,
            prefs,
            &user,
            &headers,
            case_id,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(problem),
        )
        .await;
    }
    match state
        .applications
        .handling()
        .note(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &origin(&headers, peer),
            case_id,
            text,
            to_applicant,
        )
        .await
    {
        Ok(()) => see_other(&format!("/workbench/cases/{case_id}?done=noted")),
        Err(error) => handling_failed(&state, prefs, error),
    }
}

// ----- Notices -----

async fn notice_pdf(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path((id, doc)): Path<(String, String)>,
) -> Response {
    let snapshot = state.snapshots.current();
    let (user, case_id) = match case_gate(&state, prefs, user, &id, &snapshot) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(document_id) = doc
        .strip_suffix(".pdf")
        .and_then(|d| Uuid::parse_str(d).ok())
    else {
        return not_found(&state, prefs);
    };
    let handling = state.applications.handling();
    match handling
        .staff_may_see(&user, &snapshot.catalog, case_id)
        .await
    {
        Ok(true) => {}
        Ok(false) => return not_found(&state, prefs),
        Err(error) => return handling_failed(&state, prefs, error),
    }
    let notice = match handling
        .notice(&snapshot.catalog, case_id, document_id)
        .await
    {
        Ok(notice) => notice,
        Err(error) => return handling_failed(&state, prefs, error),
    };
    let bytes = match crate::notice_pdf::render_notice(&notice, prefs.locale) {
        Ok(bytes) => bytes,
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(value) = HeaderValue::from_str(&crate::notice_pdf::notice_content_disposition(
        &notice,
        prefs.locale,
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}
