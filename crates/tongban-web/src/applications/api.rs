//! The applications JSON API for departments' own front ends and mobile apps, authenticated
//! with an access token of the platform's OpenID Connect provider (a person's token; machine
//! tokens have no applicant). Errors are RFC 7807 `application/problem+json`, worded in the
//! language of `Accept-Language`.
//!
//! `POST /api/v1/applications` files a whole application at once; an `Idempotency-Key` makes a
//! retry return the first case (the same key with a different body is refused). Drafts let a
//! client save answers as it goes and submit later.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_domain::Locale;
use tongban_domain::forms::{Answers, FieldError};
use tongban_services::applications::{ApplyError, Receipt};
use tongban_services::identity::{AccountKind, CurrentUser, PasswordDue, SecondFactor};
use uuid::Uuid;

use crate::identity::{ClientAddr, origin};
use crate::layout::local_time;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/applications", post(create).get(list))
        .route("/api/v1/applications/{id}", get(show))
        .route("/api/v1/applications/drafts", post(create_draft))
        .route(
            "/api/v1/applications/drafts/{id}",
            get(show_draft).put(replace_draft),
        )
        .route(
            "/api/v1/applications/drafts/{id}/submit",
            post(submit_draft),
        )
        .route(
            "/api/v1/applications/drafts/{id}/files/{field}",
            post(upload_file).layer(axum::extract::DefaultBodyLimit::max(
                super::UPLOAD_REQUEST_LIMIT,
            )),
        )
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An RFC 7807 problem with a stable `type`, never cached; the JSON APIs' one error shape.
pub(crate) fn problem(
    status: StatusCode,
    kind: &str,
    title: String,
    extra: Option<serde_json::Value>,
) -> Response {
    let mut body = serde_json::json!({
        "type": format!("https://tongban.example/problems/{kind}"),
        "title": title,
        "status": status.as_u16(),
    });
    if let (Some(extra), Some(map)) = (extra, body.as_object_mut())
        && let Some(more) = extra.as_object()
    {
        for (k, v) in more {
            map.insert(k.clone(), v.clone());
        }
    }
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn unauthorized(challenge: &'static str) -> Response {
    let mut response = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "A valid access token is required".to_owned(),
        None,
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("Bearer realm=\"tongban\", error=\"{challenge}\""))
    {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The account a request's bearer token was issued to (`None` for a machine client's token);
/// a missing or unknown token is answered 401.
pub(crate) async fn bearer_account(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Uuid>, Box<Response>> {
    let token = bearer_token(headers).ok_or_else(|| Box::new(unauthorized("invalid_request")))?;
    let bearer = state
        .oidc
        .bearer(state.clock.as_ref(), token)
        .await
        .map_err(|e| Box::new(server_error(&e)))?
        .ok_or_else(|| Box::new(unauthorized("invalid_token")))?;
    Ok(bearer.account_id)
}

/// The person an access token stands for.
async fn api_user(state: &AppState, headers: &HeaderMap) -> Result<CurrentUser, Box<Response>> {
    let account_id = bearer_account(state, headers)
        .await?
        .ok_or_else(|| Box::new(forbidden_machine()))?;
    let account = tongban_store::identity::account_by_id(&state.db, account_id)
        .await
        .map_err(|e| Box::new(server_error(&e)))?
        .filter(|a| a.status == "active" && a.kind == "person")
        .ok_or_else(|| Box::new(unauthorized("invalid_token")))?;
    Ok(CurrentUser {
        account_id: account.id,
        kind: AccountKind::Person,
        display_name: account.display_name,
        roles: Vec::new(),
        session_hash: String::new(),
        second_factor: SecondFactor::Passed,
        acting_for: None,
        password_due: PasswordDue::No,
    })
}

fn forbidden_machine() -> Response {
    problem(
        StatusCode::FORBIDDEN,
        "person-token-required",
        "Applications are made by people: use a token issued to a signed-in person".to_owned(),
        None,
    )
}

/// A 500 whose error id is in the log beside the error.
pub(crate) fn server_error(error: &dyn std::fmt::Display) -> Response {
    let error_id = Uuid::now_v7().to_string();
    tracing::error!(%error, error_id, "API request failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Something went wrong on our side".to_owned(),
        Some(serde_json::json!({ "error_id": error_id })),
    )
}

/// Turns a refusal into its problem response, worded in `locale`.
fn refusal(state: &AppState, locale: Locale, error: ApplyError) -> Response {
    let tr = state.i18n.tr(locale);
    match error {
        ApplyError::NotFound | ApplyError::NoOnlineForm => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            tr.t("api-not-found"),
            None,
        ),
        ApplyError::NotAllowed => problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            tr.t("api-forbidden"),
            None,
        ),
        ApplyError::Invalid(errors) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-answers",
            tr.t("api-invalid-answers"),
            Some(serde_json::json!({ "errors": error_list(state, locale, None, &errors) })),
        ),
        ApplyError::NotEligible { exit } => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-eligible",
            tr.t("api-not-eligible"),
            Some(serde_json::json!({ "exit": exit })),
        ),
        ApplyError::DeclarationMissing => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "declaration-required",
            tr.t("apply-declaration-missing"),
            None,
        ),
        ApplyError::KeyReused => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            tr.t("api-key-reused"),
            None,
        ),
        ApplyError::Conflict => problem(
            StatusCode::CONFLICT,
            "conflict",
            tr.t("apply-conflict-message"),
            None,
        ),
        ApplyError::Unavailable => {
            let mut response = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                tr.t("apply-unavailable-message"),
                None,
            );
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            response
        }
        other => server_error(&other),
    }
}

/// Field errors as JSON: where, a stable code, and a sentence for people.
fn error_list(
    state: &AppState,
    locale: Locale,
    form: Option<&tongban_domain::forms::FormDefinition>,
    errors: &[(String, FieldError)],
) -> Vec<serde_json::Value> {
    let tr = state.i18n.tr(locale);
    errors
        .iter()
        .map(|(page, e)| {
            let label = form
                .and_then(|f| f.field(&e.field))
                .map_or_else(|| e.field.clone(), |f| f.label.get(locale).to_owned());
            serde_json::json!({
                "page": page,
                "path": e.path,
                "code": error_code(&e.error),
                "message": super::view::error_message(&tr, locale, &label, &e.error),
            })
        })
        .collect()
}

fn error_code(error: &tongban_domain::forms::AnswerError) -> String {
    let debug = format!("{error:?}");
    let name = debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("Invalid");
    // `TooLong` → `too-long`
    let mut code = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            code.push('-');
        }
        code.extend(c.to_lowercase());
    }
    code
}

fn receipt_json(receipt: &Receipt, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": receipt.case_id,
        "tracking_number": receipt.tracking_number.as_str(),
        "status": status,
        "submitted_at": receipt.submitted_at.to_rfc3339(),
    })
}

fn created(receipt: &Receipt) -> Response {
    let mut response = json(StatusCode::CREATED, &receipt_json(receipt, "submitted"));
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/applications/{}", receipt.case_id))
    {
        response.headers_mut().insert(LOCATION, location);
    }
    if receipt.duplicate {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn locale_of(headers: &HeaderMap) -> Locale {
    Prefs::resolve(None, headers).locale
}

fn parse_body<T: for<'de> Deserialize<'de>>(
    state: &AppState,
    locale: Locale,
    body: &Bytes,
) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(problem(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            state.i18n.tr(locale).t("api-malformed"),
            Some(serde_json::json!({ "detail": e.to_string() })),
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApplication {
    service: String,
    #[serde(default)]
    answers: Answers,
    #[serde(default)]
    declaration: bool,
}

async fn create(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let request: NewApplication = match parse_body(&state, locale, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    if key.is_some_and(|k| k.is_empty() || k.len() > 255) {
        return problem(
            StatusCode::BAD_REQUEST,
            "idempotency-key-invalid",
            state.i18n.tr(locale).t("api-key-invalid"),
            None,
        );
    }
    let snapshot = state.snapshots.current();
    let result = state
        .applications
        .submit_direct(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &request.service,
            &request.answers,
            request.declaration,
            key,
            &origin(&headers, peer),
        )
        .await;
    match result {
        Ok(receipt) => created(&receipt),
        Err(ApplyError::Invalid(errors)) => {
            let form = snapshot
                .catalog
                .service(&request.service)
                .and_then(|s| s.service.form.as_ref());
            problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-answers",
                state.i18n.tr(locale).t("api-invalid-answers"),
                Some(serde_json::json!({ "errors": error_list(&state, locale, form, &errors) })),
            )
        }
        Err(error) => refusal(&state, locale, error),
    }
}

async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    match state
        .applications
        .mine(state.clock.as_ref(), &user, snapshot.catalog.region_id)
        .await
    {
        Ok((drafts, cases)) => json(
            StatusCode::OK,
            &serde_json::json!({
                "applications": cases.iter().map(|c| serde_json::json!({
                    "id": c.id,
                    "tracking_number": c.tracking_number,
                    "service": c.service_code,
                    "status": c.status,
                    "channel": c.channel.as_str(),
                    "submitted_at": c.submitted_at.to_rfc3339(),
                })).collect::<Vec<_>>(),
                "drafts": drafts.iter().map(|d| serde_json::json!({
                    "id": d.id,
                    "service": d.service_code,
                    "updated_at": d.updated_at.to_rfc3339(),
                    "expires_at": d.expires_at.to_rfc3339(),
                })).collect::<Vec<_>>(),
            }),
        ),
        Err(error) => refusal(&state, locale, error),
    }
}

async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let snapshot = state.snapshots.current();
    match state
        .applications
        .case(&user, snapshot.catalog.region_id, id)
        .await
    {
        Ok(case) => json(
            StatusCode::OK,
            &serde_json::json!({
                "id": case.id,
                "tracking_number": case.tracking_number,
                "service": case.service_code,
                "service_version": case.service_version,
                "status": case.status,
                "channel": case.channel.as_str(),
                "submitted_at": case.submitted_at.to_rfc3339(),
                "submitted_at_local": local_time(case.submitted_at),
                "answers": case.answers,
            }),
        ),
        Err(error) => refusal(&state, locale, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDraft {
    service: String,
}

fn draft_json(
    draft: &tongban_services::applications::Draft,
    form: &tongban_domain::forms::FormDefinition,
) -> serde_json::Value {
    serde_json::json!({
        "id": draft.id,
        "service": draft.service_code,
        "service_version": draft.service_version,
        "form": form,
        "answers": draft.answers,
        "updated_at": draft.updated_at.to_rfc3339(),
        "expires_at": draft.expires_at.to_rfc3339(),
    })
}

async fn create_draft(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let request: NewDraft = match parse_body(&state, locale, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let draft = match state
        .applications
        .start(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            &request.service,
            None,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(draft) => draft,
        Err(error) => return refusal(&state, locale, error),
    };
    match state
        .applications
        .form_of(
            &snapshot.catalog,
            &draft.service_code,
            draft.service_version,
        )
        .await
    {
        Ok(form) => {
            let mut response = json(StatusCode::CREATED, &draft_json(&draft, &form));
            if let Ok(location) =
                HeaderValue::from_str(&format!("/api/v1/applications/drafts/{}", draft.id))
            {
                response.headers_mut().insert(LOCATION, location);
            }
            response
        }
        Err(error) => refusal(&state, locale, error),
    }
}

async fn show_draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let snapshot = state.snapshots.current();
    match state
        .applications
        .draft_with_form(state.clock.as_ref(), &user, &snapshot.catalog, id)
        .await
    {
        Ok((draft, form)) => json(StatusCode::OK, &draft_json(&draft, &form)),
        Err(error) => refusal(&state, locale, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DraftAnswers {
    answers: Answers,
}

/// Replaces a draft's answers. They are saved whatever their state (a client saves as it
/// goes); the response lists what would still stop a submission.
async fn replace_draft(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let request: DraftAnswers = match parse_body(&state, locale, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match state
        .applications
        .draft_with_form(state.clock.as_ref(), &user, &snapshot.catalog, id)
        .await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, locale, error),
    };
    match state
        .applications
        .replace_answers(
            state.clock.as_ref(),
            &snapshot.catalog,
            &draft,
            &form,
            request.answers,
        )
        .await
    {
        Ok((saved, problems)) => {
            let (ready, errors, exit) = match problems {
                None => (true, Vec::new(), None),
                Some(tongban_domain::forms::SubmissionProblem::Invalid(errors)) => (
                    false,
                    error_list(&state, locale, Some(&form), &errors),
                    None,
                ),
                Some(tongban_domain::forms::SubmissionProblem::NotEligible { exit }) => {
                    (false, Vec::new(), Some(exit))
                }
            };
            let mut body = draft_json(&saved, &form);
            if let Some(map) = body.as_object_mut() {
                map.remove("form");
                map.insert("ready".into(), serde_json::json!(ready));
                map.insert("errors".into(), serde_json::json!(errors));
                map.insert("exit".into(), serde_json::json!(exit));
            }
            json(StatusCode::OK, &body)
        }
        Err(error) => refusal(&state, locale, error),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitRequest {
    #[serde(default)]
    declaration: bool,
}

async fn submit_draft(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let request: SubmitRequest = match parse_body(&state, locale, &body) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let snapshot = state.snapshots.current();
    match state
        .applications
        .submit_draft(
            state.clock.as_ref(),
            &user,
            &snapshot.catalog,
            id,
            request.declaration,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(receipt) => created(&receipt),
        Err(error) => refusal(&state, locale, error),
    }
}

#[derive(Deserialize, Default)]
struct UploadQuery {
    #[serde(default)]
    name: Option<String>,
}

/// Uploads one file for a file field of a draft: the body is the file itself (any
/// `Content-Type`; the kind is judged by content), `?name=` its file name. The answer to put
/// under the field (in a list) comes back.
async fn upload_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, field)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<UploadQuery>,
    body: axum::body::Body,
) -> Response {
    use futures_util::TryStreamExt;
    let locale = locale_of(&headers);
    let user = match api_user(&state, &headers).await {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let snapshot = state.snapshots.current();
    let (draft, form) = match state
        .applications
        .draft_with_form(state.clock.as_ref(), &user, &snapshot.catalog, id)
        .await
    {
        Ok(found) => found,
        Err(error) => return refusal(&state, locale, error),
    };
    let Some(limits) = form
        .field(&field)
        .and_then(|f| tongban_services::uploads::UploadLimits::of_field(&f.kind))
    else {
        return refusal(&state, locale, ApplyError::NotFound);
    };
    let name = query.name.unwrap_or_else(|| "file".to_owned());
    let chunks = body.into_data_stream().map_err(std::io::Error::other);
    match tongban_services::uploads::store_upload(
        &state.db,
        state.blobs.as_ref(),
        state.clock.as_ref(),
        &user,
        snapshot.catalog.region_id,
        Some(draft.id),
        &limits,
        &name,
        chunks,
    )
    .await
    {
        Ok(record) => json(
            StatusCode::CREATED,
            &serde_json::to_value(record.file_ref()).unwrap_or_default(),
        ),
        Err(error) if error.is_internal() => server_error(&error),
        Err(error) => {
            let (key, args) = error.message();
            let title = state.i18n.message(locale, key, Some(&args));
            let status = match error {
                tongban_services::uploads::UploadError::TooLarge { .. } => {
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                tongban_services::uploads::UploadError::NotFound => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            problem(status, key, title, None)
        }
    }
}
