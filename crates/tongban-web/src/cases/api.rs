//! The case handling API (`/api/v1/cases/{id}`), for departments' own systems and applicants'
//! apps, with OpenID Connect access tokens: a staff member's token reads the case as the
//! workbench shows it and takes actions (one, or a batch); a person's token reads their own
//! case and withdraws it or sends corrections (answers checked against the case's form version).
//! Errors are RFC 7807 problem documents; the rights are the workbench's and the applicant
//! pages' own, because the same service calls decide.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tongban_domain::Locale;
use tongban_domain::forms::{Answers, SubmissionProblem, check_submission};
use tongban_services::identity::{AccountKind, CurrentUser, PasswordDue, SecondFactor};
use tongban_services::workflow::{
    ActRefusal, ActRequest, Acted, ActionAttachment, CaseRef, HandlingError,
    MAX_ACTION_ATTACHMENTS, action_attachment_limits,
};
use uuid::Uuid;

use crate::applications::api::{bearer_account, problem, server_error, unauthorized};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases/{case}", get(read))
        .route(
            "/api/v1/cases/{case}/actions",
            post(act).layer(axum::extract::DefaultBodyLimit::max(
                crate::applications::UPLOAD_REQUEST_LIMIT,
            )),
        )
        .route("/api/v1/cases/actions", post(act_batch))
}

fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "No such case".to_owned(),
        None,
    )
}

/// The person or staff member a bearer token was issued to, with their current grants.
async fn token_user(state: &AppState, headers: &HeaderMap) -> Result<CurrentUser, Box<Response>> {
    let account_id = bearer_account(state, headers)
        .await?
        .ok_or_else(|| Box::new(unauthorized("invalid_token")))?;
    let account = tongban_store::identity::account_by_id(&state.db, account_id)
        .await
        .map_err(|e| Box::new(server_error(&e)))?
        .filter(|a| a.status == "active")
        .ok_or_else(|| Box::new(unauthorized("invalid_token")))?;
    let staff = account.kind == "staff";
    let roles = if staff {
        state
            .identity
            .grants(account.id)
            .await
            .map_err(|e| Box::new(server_error(&e)))?
    } else {
        Vec::new()
    };
    Ok(CurrentUser {
        account_id: account.id,
        kind: if staff {
            AccountKind::Staff
        } else {
            AccountKind::Person
        },
        display_name: account.display_name,
        roles,
        session_hash: String::new(),
        second_factor: SecondFactor::Passed,
        acting_for: None,
        password_due: PasswordDue::No,
    })
}

fn handling_failed(error: HandlingError) -> Response {
    match error {
        HandlingError::NotFound => not_found(),
        HandlingError::NotAllowed => problem(
            StatusCode::FORBIDDEN,
            "not-allowed",
            "This account does not handle cases".to_owned(),
            None,
        ),
        HandlingError::TooMany(max) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too-many",
            "Too many cases in one batch".to_owned(),
            Some(serde_json::json!({ "max": max })),
        ),
        other => server_error(&other),
    }
}

fn case_id(id: &str) -> Result<Uuid, Box<Response>> {
    Uuid::parse_str(id).map_err(|_| Box::new(not_found()))
}

/// `GET /api/v1/cases/{id}`.
async fn read(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match token_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let id = match case_id(&id) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let handling = state.applications.handling();
    if user.kind == AccountKind::Staff {
        return match handling
            .staff_case(state.clock.as_ref(), &user, catalog, id)
            .await
        {
            Ok(case) => Json(serde_json::json!({
                "id": case.case.id,
                "tracking_number": case.case.tracking_number,
                "service_code": case.case.service_code,
                "service_version": case.case.service_version,
                "state": case.state.state,
                "state_name": tongban_services::workflow::state_name(&case.definition, &case.state.state).get(Locale::ZhCn),
                "status": case.case.status,
                "outcome": case.state.outcome.map(|o| o.key()),
                "version": case.case.version,
                "due_on": case.case.due_on,
                "statutory_due_on": case.case.statutory_due_on,
                "remaining_working_days": case.remaining_days,
                "tasks": case.tasks.iter().map(|t| serde_json::json!({
                    "id": t.id,
                    "state": t.stage,
                    "role": t.role,
                    "department": catalog.department_by_id(t.department_id).map(|d| d.code.clone()),
                    "status": t.status,
                    "decision": t.decision,
                    "assignee": t.assignee_id,
                })).collect::<Vec<_>>(),
                "actions": case.actions.iter().map(|a| serde_json::json!({
                    "key": a.action.key,
                    "kind": a.action.kind.key(),
                    "label": a.action.label().get(Locale::ZhCn),
                    "comment": format!("{:?}", a.action.comment).to_lowercase(),
                    "attachment": format!("{:?}", a.action.attachment).to_lowercase(),
                })).collect::<Vec<_>>(),
                "timeline": case.events.iter().map(|e| serde_json::json!({
                    "at": e.at,
                    "kind": e.kind,
                    "action": e.action,
                    "from": e.from_state,
                    "to": e.to_state,
                    "comment": e.comment,
                    "visibility": e.visibility,
                    "by": e.actor_name,
                    "attachments": event_attachments(&e.detail),
                })).collect::<Vec<_>>(),
                "notices": case.documents.iter().map(|d| serde_json::json!({
                    "id": d.id, "kind": d.kind, "number": d.number, "issued_on": d.issued_on,
                })).collect::<Vec<_>>(),
            }))
            .into_response(),
            Err(error) => handling_failed(error),
        };
    }
    if state
        .applications
        .case(&user, catalog.region_id, id)
        .await
        .is_err()
    {
        return not_found();
    }
    match handling.applicant_view(catalog, id).await {
        Ok(view) => Json(serde_json::json!({
            "id": id,
            "state": view.state.state,
            "state_name": view.state_name.get(Locale::ZhCn),
            "status": view.status,
            "outcome": view.outcome.map(|o| o.key()),
            "version": view.version,
            "due_on": view.due_on,
            "waiting_for_you": view.waiting_for_me,
            "stages": view.stages.iter().map(|(stage, status)| serde_json::json!({
                "stage": stage.key(), "status": status,
            })).collect::<Vec<_>>(),
            "actions": view.actions.iter().map(|a| serde_json::json!({
                "key": a.action.key, "kind": a.action.kind.key(),
            })).collect::<Vec<_>>(),
            "timeline": view.events.iter().map(|e| serde_json::json!({
                "at": e.at, "action": e.action, "to": e.to_state, "comment": e.comment,
                "attachments": event_attachments(&e.detail),
            })).collect::<Vec<_>>(),
            "notices": view.documents.iter().map(|d| serde_json::json!({
                "id": d.id, "kind": d.kind, "number": d.number, "issued_on": d.issued_on,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(error) => handling_failed(error),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActBody {
    action: String,
    #[serde(default)]
    comment: Option<String>,
    /// The version the caller last read: a changed case answers 409.
    #[serde(default)]
    version: Option<i32>,
    #[serde(default)]
    extension_days: Option<u16>,
    /// Corrected answers, when the applicant sends corrections.
    #[serde(default)]
    answers: Option<Answers>,
    /// Files staff attach to the action.
    #[serde(default)]
    attachments: Vec<ApiAttachment>,
}

/// A file in a JSON body: its name and its bytes in standard base64.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiAttachment {
    filename: String,
    content_base64: String,
}

/// The files of an action's timeline entry, with the address to download each.
fn event_attachments(detail: &str) -> Vec<serde_json::Value> {
    crate::cases::view::event_files(detail)
        .into_iter()
        .map(|f| {
            serde_json::json!({
                "id": f.id,
                "name": f.name,
                "size": f.size,
                "href": format!("/applications/files/{}", f.id),
            })
        })
        .collect()
}

/// Checks and stores the files of an action, each under the workbench's limits; the first
/// one refused answers 422 and the action is not taken.
async fn receive_attachments(
    state: &AppState,
    files: &[ApiAttachment],
) -> Result<Vec<ActionAttachment>, Box<Response>> {
    use base64::Engine;
    if files.len() > MAX_ACTION_ATTACHMENTS {
        return Err(Box::new(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too-many-attachments",
            format!("An action takes at most {MAX_ACTION_ATTACHMENTS} files"),
            None,
        )));
    }
    let limits = action_attachment_limits(&state.applications.handling().settings);
    let mut received = Vec::with_capacity(files.len());
    for (index, file) in files.iter().enumerate() {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&file.content_base64)
        else {
            return Err(Box::new(problem(
                StatusCode::BAD_REQUEST,
                "bad-attachment",
                format!("attachments[{index}].content_base64 is not standard base64"),
                None,
            )));
        };
        let chunks = futures_util::stream::once(async move {
            Ok::<_, std::io::Error>(bytes::Bytes::from(bytes))
        });
        match tongban_services::uploads::receive(state.blobs.as_ref(), chunks, &limits).await {
            Ok(blob) => received.push(ActionAttachment::new(blob, &file.filename)),
            Err(error) if error.is_internal() => return Err(Box::new(server_error(&error))),
            Err(error) => {
                let (key, _) = error.message();
                return Err(Box::new(problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    key,
                    format!("attachments[{index}]: {error}"),
                    None,
                )));
            }
        }
    }
    Ok(received)
}

fn acted_json(acted: &Acted) -> serde_json::Value {
    serde_json::json!({
        "case_id": acted.case_id,
        "tracking_number": acted.tracking_number,
        "from": acted.from,
        "to": acted.to,
        "state_name": acted.to_name.get(Locale::ZhCn),
        "version": acted.version,
        "outcome": acted.outcome.map(|o| o.key()),
        "notices": acted.notices,
    })
}

fn refusal(refusal: &ActRefusal) -> Response {
    match refusal {
        ActRefusal::NotFound => not_found(),
        ActRefusal::Conflict => problem(
            StatusCode::CONFLICT,
            "conflict",
            "The case changed since you read it; read it again".to_owned(),
            None,
        ),
        ActRefusal::Workflow(e) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "workflow",
            e.to_string(),
            Some(serde_json::json!({ "reason": refusal_code(e) })),
        ),
        ActRefusal::Certificate(why) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "workflow",
            format!("The certificate this decision grants cannot be issued: {why}"),
            Some(serde_json::json!({ "reason": "certificate-incomplete" })),
        ),
    }
}

fn refusal_code(error: &tongban_domain::workflow::WorkflowError) -> &'static str {
    use tongban_domain::workflow::WorkflowError as E;
    match error {
        E::Closed => "closed",
        E::Suspended => "suspended",
        E::NotAvailable(_) => "not-available",
        E::NotPermitted(_) => "not-permitted",
        E::AlreadyDecided => "already-decided",
        E::CommentRequired => "comment-required",
        E::AttachmentRequired => "attachment-required",
        E::AlreadyExtended => "already-extended",
        E::ExtensionDays { .. } => "extension-days",
        E::NotAccepted => "not-accepted",
        E::NoRoute(_) => "no-route",
        E::UnknownState(_) => "unknown-state",
    }
}

/// `POST /api/v1/cases/{id}/actions`: one action on one case.
async fn act(
    State(state): State<AppState>,
    crate::identity::ClientAddr(peer): crate::identity::ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<ActBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let user = match token_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let id = match case_id(&id) {
        Ok(id) => id,
        Err(response) => return *response,
    };
    let Ok(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The body is a JSON object: { action, comment?, version?, extension_days?, answers?, attachments? }"
                .to_owned(),
            None,
        );
    };
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let origin = crate::identity::origin(&headers, peer);
    if !body.attachments.is_empty() && user.kind != AccountKind::Staff {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "attachments-not-allowed",
            "Applicants send files with their answers, not with an action".to_owned(),
            None,
        );
    }
    let attachments = match receive_attachments(&state, &body.attachments).await {
        Ok(files) => files,
        Err(response) => return *response,
    };
    let request = ActRequest {
        action: body.action.clone(),
        comment: body.comment.clone(),
        extension_days: body.extension_days,
        attachments,
    };
    let case = CaseRef {
        id,
        version: body.version,
    };
    let handling = state.applications.handling();
    let result = if user.kind == AccountKind::Staff {
        if body.answers.is_some() {
            return problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "answers-not-allowed",
                "Staff do not change an application's answers".to_owned(),
                None,
            );
        }
        handling
            .act(
                state.clock.as_ref(),
                &user,
                catalog,
                &origin,
                case,
                &request,
            )
            .await
    } else {
        // Corrections are checked against the form version the case was filed under.
        let corrected = match body.answers {
            None => None,
            Some(answers) => {
                let form = match state.applications.case_with_form(&user, catalog, id).await {
                    Ok((_, form)) => form,
                    Err(_) => return not_found(),
                };
                let ctx = state.applications.context(catalog, state.clock.now());
                match check_submission(&form, &answers, &ctx) {
                    Ok(clean) => Some(clean),
                    Err(SubmissionProblem::Invalid(errors)) => {
                        return problem(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "invalid-answers",
                            "Some answers are not valid".to_owned(),
                            Some(serde_json::json!({
                                "errors": errors.iter().map(|(field, e)| serde_json::json!({
                                    "field": field, "error": format!("{e:?}"),
                                })).collect::<Vec<_>>(),
                            })),
                        );
                    }
                    Err(SubmissionProblem::NotEligible { exit }) => {
                        return problem(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "not-eligible",
                            "The answers lead to an exit page".to_owned(),
                            Some(serde_json::json!({ "exit": exit })),
                        );
                    }
                }
            }
        };
        handling
            .applicant_act(
                state.clock.as_ref(),
                &user,
                catalog,
                &origin,
                &state.applications,
                case,
                &request,
                corrected,
            )
            .await
    };
    match result {
        Ok(Ok(acted)) => Json(acted_json(&acted)).into_response(),
        Ok(Err(e)) => refusal(&e),
        Err(error) => handling_failed(error),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    action: String,
    #[serde(default)]
    comment: Option<String>,
    cases: Vec<BatchCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchCase {
    id: Uuid,
    #[serde(default)]
    version: Option<i32>,
}

/// `POST /api/v1/cases/actions`: one action with one comment on many cases (staff), a result
/// per case.
async fn act_batch(
    State(state): State<AppState>,
    crate::identity::ClientAddr(peer): crate::identity::ClientAddr,
    headers: HeaderMap,
    body: Result<Json<BatchBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let user = match token_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The body is a JSON object: { action, comment?, cases: [{ id, version? }] }".to_owned(),
            None,
        );
    };
    if user.kind != AccountKind::Staff {
        return handling_failed(HandlingError::NotAllowed);
    }
    let snapshot = state.snapshots.current();
    let cases: Vec<CaseRef> = body
        .cases
        .iter()
        .map(|c| CaseRef {
            id: c.id,
            version: c.version,
        })
        .collect();
    let request = ActRequest {
        action: body.action,
        comment: body.comment,
        extension_days: None,
        attachments: Vec::new(),
    };
    match state
        .applications
        .handling()
        .act_many(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &crate::identity::origin(&headers, peer),
            &cases,
            &request,
        )
        .await
    {
        Ok(lines) => Json(serde_json::json!({
            "results": lines.iter().map(|line| match &line.result {
                Ok(acted) => serde_json::json!({ "id": line.case_id, "ok": true, "result": acted_json(acted) }),
                Err(e) => serde_json::json!({
                    "id": line.case_id,
                    "ok": false,
                    "error": match e {
                        ActRefusal::NotFound => "not-found",
                        ActRefusal::Conflict => "conflict",
                        ActRefusal::Workflow(w) => refusal_code(w),
                        ActRefusal::Certificate(_) => "certificate-incomplete",
                    },
                }),
            }).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(error) => handling_failed(error),
    }
}
