//! The OpenID Connect provider over HTTP: discovery, JWKS, the authorization endpoint with its
//! consent page, the token endpoint, userinfo and end-session; and the client administration
//! page ([`admin`]).
//!
//! The browser-facing steps (consent, sign-out) are server-rendered forms with CSRF tokens.
//! The token and userinfo endpoints are called by department systems, not browsers: they carry
//! no cookies and authenticate with the client's secret or a bearer token instead, so CSRF
//! does not apply to them. Their answers are JSON, errors as RFC 6749 / RFC 6750 say, never
//! cached.

mod admin;

use askama::Template;
use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde::Deserialize;
use tongban_services::identity::CurrentUser;
use tongban_services::oidc::{
    AuthorizeProblem, AuthorizeRequest, ClientAuth, TokenError, UserinfoError, ValidAuthorize,
    form_encode,
};

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{error_page, internal_error};
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oidc/jwks", get(jwks))
        .route("/oidc/authorize", get(authorize).post(decide))
        .route("/oidc/token", axum::routing::post(token))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/oidc/end-session", get(end_session_page).post(end_session))
        .merge(admin::router())
}

/// A JSON answer that no cache keeps (token responses must not be cached, RFC 6749 §5.1).
fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Public metadata: cacheable for a short while.
fn public_json(body: &serde_json::Value) -> Response {
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        &serde_json::json!({ "error": error, "error_description": description }),
    )
}

async fn discovery(State(state): State<AppState>) -> Response {
    public_json(&state.oidc.discovery())
}

async fn jwks(State(state): State<AppState>) -> Response {
    match state.oidc.jwks(state.clock.as_ref()).await {
        Ok(keys) => public_json(&keys),
        Err(error) => {
            tracing::error!(%error, "JWKS failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the keys cannot be read",
            )
        }
    }
}

// ---- authorization ----------------------------------------------------------------------

/// One requested scope as the consent page explains it.
struct ScopeLine {
    title: String,
    text: String,
    sensitive: bool,
}

#[derive(Template)]
#[template(path = "oidc/consent.html")]
struct ConsentPage<'a> {
    c: Chrome<'a>,
    client_name: String,
    department: Option<String>,
    scopes: Vec<ScopeLine>,
    request: AuthorizeRequest,
    asks_id_number: bool,
}

/// Where the signed-out browser goes to sign in and come back: only ever our own path.
fn login_location(uri: &axum::http::Uri) -> String {
    let back = uri
        .path_and_query()
        .map_or("/oidc/authorize", |p| p.as_str());
    format!("/login?next={}", form_encode(back))
}

fn problem_page(state: &AppState, prefs: Prefs, problem: &AuthorizeProblem) -> Response {
    match problem {
        AuthorizeProblem::UnknownClient => error_page(
            state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-unknown-client",
            None,
        ),
        AuthorizeProblem::BadRedirectUri => error_page(
            state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-bad-redirect",
            None,
        ),
        AuthorizeProblem::Redirect { .. } => match problem.location() {
            Some(location) => see_other(&location),
            None => error_page(
                state,
                prefs,
                StatusCode::BAD_REQUEST,
                "oidc-bad-redirect",
                None,
            ),
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn authorize(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    query: Result<Query<AuthorizeRequest>, QueryRejection>,
) -> Response {
    let Ok(Query(request)) = query else {
        return error_page(
            &state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-bad-request",
            None,
        );
    };
    // The client and redirect URI are checked before anything else, signed in or not, so an
    // unregistered redirect URI never receives anything.
    let valid = match state.oidc.validate_authorize(&request).await {
        Ok(valid) => valid,
        Err(problem) => return problem_page(&state, prefs, &problem),
    };
    let Some(user) = user else {
        return see_other(&login_location(&uri));
    };
    match state.oidc.has_consent(&user, &valid).await {
        Ok(true) => {
            let origin = origin(&headers, peer);
            match state
                .oidc
                .approve(state.clock.as_ref(), &user, &valid, &origin)
                .await
            {
                Ok(location) => see_other(&location),
                Err(error) => internal_error(&state, prefs, &error),
            }
        }
        Ok(false) => render_consent(&state, prefs, &user, &headers, request, &valid),
        Err(error) => internal_error(&state, prefs, &error),
    }
}

fn render_consent(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    request: AuthorizeRequest,
    valid: &ValidAuthorize,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/oidc/authorize")
        .for_user(Some(user), Some(csrf.token.clone()));
    let department = valid
        .client
        .department_id
        .and_then(|id| snapshot.catalog.department_by_id(id))
        .map(|d| d.name.get(prefs.locale).to_owned());
    let scopes = valid
        .scopes
        .iter()
        .map(|scope| {
            let known = tongban_services::oidc::USER_SCOPES.contains(&scope.as_str());
            let key = if known {
                scope.replace('_', "-")
            } else {
                "other".to_owned()
            };
            ScopeLine {
                title: c
                    .tr
                    .t1(&format!("oidc-scope-{key}"), "scope", scope.as_str()),
                text: c.tr.t(&format!("oidc-scope-{key}-text")),
                sensitive: scope == "id_number",
            }
        })
        .collect();
    let asks_id_number = valid.scopes.iter().any(|s| s == "id_number");
    let response = page(
        state,
        prefs,
        StatusCode::OK,
        ConsentPage {
            c,
            client_name: valid.client.name.clone(),
            department,
            scopes,
            request,
            asks_id_number,
        },
        Some(&csrf),
    );
    allow_form_target(response, &valid.redirect_uri)
}

/// The origin (`scheme://host[:port]`) of an absolute URI.
fn origin_of(uri: &str) -> Option<&str> {
    let scheme_end = uri.find("://")? + 3;
    let end = uri[scheme_end..]
        .find(['/', '?'])
        .map_or(uri.len(), |i| scheme_end + i);
    Some(&uri[..end])
}

/// Lets this page's form lead to a registered client URI: browsers apply `form-action` to the
/// redirect that answers the form, so the consent and sign-out pages name that one origin.
fn allow_form_target(mut response: Response, target: &str) -> Response {
    if let Some(origin) = origin_of(target)
        && let Ok(value) = HeaderValue::from_str(&crate::CONTENT_SECURITY_POLICY.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        ))
    {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

#[derive(Debug, Deserialize)]
struct DecisionForm {
    #[serde(flatten)]
    request: AuthorizeRequest,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    csrf: String,
}

async fn decide(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<DecisionForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(
            &state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-bad-request",
            None,
        );
    };
    let Some(user) = user else {
        // The session ended while the page was open: start again from the client.
        return error_page(
            &state,
            prefs,
            StatusCode::UNAUTHORIZED,
            "oidc-session-ended",
            None,
        );
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let valid = match state.oidc.validate_authorize(&form.request).await {
        Ok(valid) => valid,
        Err(problem) => return problem_page(&state, prefs, &problem),
    };
    let origin = origin(&headers, peer);
    let clock = state.clock.as_ref();
    let outcome = match form.decision.as_str() {
        "allow" => state.oidc.approve(clock, &user, &valid, &origin).await,
        "deny" => state.oidc.deny(clock, &user, &valid, &origin).await,
        _ => {
            return error_page(
                &state,
                prefs,
                StatusCode::BAD_REQUEST,
                "oidc-bad-request",
                None,
            );
        }
    };
    match outcome {
        Ok(location) => see_other(&location),
        Err(error) => internal_error(&state, prefs, &error),
    }
}

// ---- token endpoint ---------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    scope: String,
}

/// Percent-decoding of one `application/x-www-form-urlencoded` value (RFC 6749 §2.3.1 encodes
/// the client id and secret this way inside HTTP Basic).
fn form_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// The client's credentials from HTTP Basic or the form; both at once is refused (RFC 6749
/// §2.3.1: one method per request).
fn client_auth(headers: &HeaderMap, form: &TokenForm) -> Result<ClientAuth, TokenError> {
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        });
    match (basic, &form.client_secret) {
        (Some(_), Some(_)) => Err(TokenError::InvalidRequest(
            "use one client authentication method",
        )),
        (Some(encoded), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or(TokenError::InvalidClient { basic: true })?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or(TokenError::InvalidClient { basic: true })?;
            let (Some(id), Some(secret)) = (form_decode(id), form_decode(secret)) else {
                return Err(TokenError::InvalidClient { basic: true });
            };
            if form.client_id.as_ref().is_some_and(|f| *f != id) {
                return Err(TokenError::InvalidRequest(
                    "client_id differs from the credentials",
                ));
            }
            Ok(ClientAuth {
                client_id: id,
                secret: Some(secret),
                basic: true,
            })
        }
        (None, secret) => match &form.client_id {
            Some(id) if !id.is_empty() => Ok(ClientAuth {
                client_id: id.clone(),
                secret: secret.clone(),
                basic: false,
            }),
            _ => Err(TokenError::InvalidClient { basic: false }),
        },
    }
}

fn token_error(error: &TokenError) -> Response {
    if let TokenError::Store(cause) = error {
        tracing::error!(error = %cause, "token request failed");
    }
    let status = match error {
        TokenError::InvalidClient { .. } => StatusCode::UNAUTHORIZED,
        TokenError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut response = oauth_error(status, error.code(), error.description());
    if let TokenError::InvalidClient { basic: true } = error {
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"tongban\""),
        );
    }
    response
}

async fn token(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        );
    };
    let auth = match client_auth(&headers, &form) {
        Ok(auth) => auth,
        Err(error) => return token_error(&error),
    };
    let origin = origin(&headers, peer);
    let clock = state.clock.as_ref();
    let result = match form.grant_type.as_str() {
        "authorization_code" => {
            state
                .oidc
                .exchange_code(
                    clock,
                    &auth,
                    &form.code,
                    &form.redirect_uri,
                    form.code_verifier.as_deref(),
                    &origin,
                )
                .await
        }
        "client_credentials" => {
            state
                .oidc
                .client_credentials(clock, &auth, &form.scope, &origin)
                .await
        }
        "" => Err(TokenError::InvalidRequest("grant_type is missing")),
        _ => Err(TokenError::UnsupportedGrantType),
    };
    match result {
        Ok(tokens) => json(
            StatusCode::OK,
            &serde_json::to_value(&tokens).unwrap_or_default(),
        ),
        Err(error) => token_error(&error),
    }
}

// ---- userinfo ---------------------------------------------------------------------------

async fn userinfo(
    State(state): State<AppState>,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let refuse = |status: StatusCode, challenge: &'static str| {
        let mut response = json(status, &serde_json::json!({ "error": challenge }));
        if let Ok(value) =
            HeaderValue::from_str(&format!("Bearer realm=\"tongban\", error=\"{challenge}\""))
        {
            response.headers_mut().insert(WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(bearer) = bearer else {
        let mut response = json(
            StatusCode::UNAUTHORIZED,
            &serde_json::json!({ "error": "invalid_request" }),
        );
        response.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"tongban\""),
        );
        return response;
    };
    match state
        .oidc
        .userinfo(state.clock.as_ref(), bearer, &origin(&headers, peer))
        .await
    {
        Ok(claims) => json(StatusCode::OK, &claims),
        Err(UserinfoError::InvalidToken) => refuse(StatusCode::UNAUTHORIZED, "invalid_token"),
        Err(UserinfoError::InsufficientScope) => {
            refuse(StatusCode::FORBIDDEN, "insufficient_scope")
        }
        Err(UserinfoError::Store(error)) => {
            tracing::error!(%error, "userinfo failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the server could not complete the request",
            )
        }
    }
}

// ---- end-session ------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize, serde::Serialize)]
struct EndSessionParams {
    #[serde(default)]
    id_token_hint: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    post_logout_redirect_uri: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "oidc/end_session.html")]
struct EndSessionPage<'a> {
    c: Chrome<'a>,
    params: EndSessionParams,
    client_name: Option<String>,
    signed_in: bool,
}

async fn post_logout_target(state: &AppState, params: &EndSessionParams) -> Option<String> {
    match state
        .oidc
        .post_logout_target(
            state.clock.as_ref(),
            params.client_id.as_deref(),
            params.id_token_hint.as_deref(),
            params.post_logout_redirect_uri.as_deref(),
            params.state.as_deref(),
        )
        .await
    {
        Ok(target) => target,
        Err(error) => {
            tracing::error!(%error, "end-session look-up failed");
            None
        }
    }
}

/// `GET /oidc/end-session`: signed in, the person confirms (a cross-site page cannot sign
/// anyone out); signed out, straight back to the client's registered URI, or a page saying
/// they are signed out.
async fn end_session_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    query: Result<Query<EndSessionParams>, QueryRejection>,
) -> Response {
    let Ok(Query(params)) = query else {
        return error_page(
            &state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-bad-request",
            None,
        );
    };
    if user.is_none()
        && let Some(target) = post_logout_target(&state, &params).await
    {
        return see_other(&target);
    }
    let client_name = match params.client_id.as_deref() {
        Some(id) => state.oidc.client_name(id).await.ok().flatten(),
        None => None,
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, user.as_ref(), &headers);
    let c = chrome(&state, &snapshot, prefs, "/oidc/end-session")
        .for_user(user.as_ref(), Some(csrf.token.clone()));
    let target = post_logout_target(&state, &params).await;
    let response = page(
        &state,
        prefs,
        StatusCode::OK,
        EndSessionPage {
            c,
            params,
            client_name,
            signed_in: user.is_some(),
        },
        Some(&csrf),
    );
    match target {
        Some(target) => allow_form_target(response, &target),
        None => response,
    }
}

#[derive(Debug, Deserialize)]
struct EndSessionForm {
    #[serde(flatten)]
    params: EndSessionParams,
    #[serde(default)]
    csrf: String,
}

async fn end_session(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    form: Result<Form<EndSessionForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error_page(
            &state,
            prefs,
            StatusCode::BAD_REQUEST,
            "oidc-bad-request",
            None,
        );
    };
    if let Some(user) = &user {
        if !csrf::verify(&state.secret, Some(user), &headers, &form.csrf) {
            return forbidden(&state, prefs);
        }
        if let Err(error) = state
            .identity
            .logout(state.clock.as_ref(), user, &origin(&headers, peer))
            .await
        {
            return internal_error(&state, prefs, &error);
        }
    }
    let target = post_logout_target(&state, &form.params)
        .await
        .unwrap_or_else(|| "/".to_owned());
    crate::identity::signed_out_redirect(&state, &target)
}

// ---- returning through the sign-in page ---------------------------------------------------

/// The `next` field of a sign-in form body.
fn next_of_form(body: &[u8]) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("next="))
        .and_then(form_decode)
}

/// The client address a sign-in that returns to `next` may end at: when `next` is an
/// authorization request of a registered client with a registered redirect URI.
async fn return_target(state: &AppState, next: &str) -> Option<String> {
    let uri: axum::http::Uri = next.parse().ok()?;
    let Query(request) = Query::<AuthorizeRequest>::try_from_uri(&uri).ok()?;
    match state.oidc.validate_authorize(&request).await {
        Ok(valid) => Some(valid.redirect_uri),
        Err(AuthorizeProblem::Redirect { redirect_uri, .. }) => Some(redirect_uri),
        Err(_) => None,
    }
}

/// Around the sign-in page: when the person signs in on their way to a department system whose
/// consent they already gave, the sign-in form's answer redirects through `/oidc/authorize`
/// straight to the system. Browsers check that redirect chain against the sign-in page's
/// `form-action`, so that page must name the system's (registered) origin.
pub async fn login_return(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if request.uri().path() != "/login" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let (next_path, body) = if parts.method == axum::http::Method::POST {
        let Ok(bytes) = axum::body::to_bytes(body, state.settings.max_body_bytes).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        (next_of_form(&bytes), axum::body::Body::from(bytes))
    } else {
        let next = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|pair| pair.strip_prefix("next="))
                .and_then(form_decode)
        });
        (next, body)
    };
    let response = next
        .run(axum::extract::Request::from_parts(parts, body))
        .await;
    match next_path {
        Some(path) if path.starts_with("/oidc/authorize?") => {
            match return_target(&state, &path).await {
                Some(target) => allow_form_target(response, &target),
                None => response,
            }
        }
        _ => response,
    }
}

#[cfg(test)]
mod tests {
    use super::form_decode;

    #[test]
    fn basic_credentials_are_form_decoded() {
        assert_eq!(form_decode("a%2Bb+c").as_deref(), Some("a+b c"));
        assert_eq!(form_decode("%zz"), None);
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("plain").as_deref(), Some("plain"));
    }
}
