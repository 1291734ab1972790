//! Error pages and the safety nets around handlers: localised 404, 413 and 500 pages, a panic
//! catcher that turns a bug into a 500 with an error id (also in the log), and the body limit.

use std::panic::AssertUnwindSafe;

use askama::Template;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use uuid::Uuid;

use crate::catalog::chrome;
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

/// A page with a title and a message: errors, and confirmations with nothing else to show.
#[derive(Template)]
#[template(path = "errors/error.html")]
pub(crate) struct ErrorPage<'a> {
    pub c: Chrome<'a>,
    pub title: String,
    pub message: String,
    pub error_id: Option<String>,
}

/// Renders an error page; if even that fails, a plain-text line in the same spirit.
pub(crate) fn error_page(
    state: &AppState,
    prefs: Prefs,
    status: StatusCode,
    key: &str,
    error_id: Option<String>,
) -> Response {
    let snapshot = state.snapshots.current();
    let c = chrome(state, &snapshot, prefs, "/");
    let title = c.tr.t(&format!("{key}-title"));
    let message = c.tr.t(&format!("{key}-message"));
    let html = ErrorPage {
        c,
        title: title.clone(),
        message,
        error_id: error_id.clone(),
    }
    .render()
    .unwrap_or_else(|_| {
        format!(
            "<!DOCTYPE html><title>{title}</title><h1>{title}</h1><p>{}</p>",
            error_id.unwrap_or_default()
        )
    });
    let mut response = (status, html).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(crate::HTML));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn not_found(state: &AppState, prefs: Prefs) -> Response {
    error_page(state, prefs, StatusCode::NOT_FOUND, "not-found", None)
}

/// A 500 page whose error id is also in the log line that explains it.
pub fn internal_error(state: &AppState, prefs: Prefs, cause: &dyn std::fmt::Display) -> Response {
    let id = Uuid::now_v7().simple().to_string();
    tracing::error!(error_id = %id, error = %cause, "request failed");
    error_page(
        state,
        prefs,
        StatusCode::INTERNAL_SERVER_ERROR,
        "server-error",
        Some(id),
    )
}

pub fn render_failed(state: &AppState, prefs: Prefs, error: askama::Error) -> Response {
    internal_error(
        state,
        prefs,
        &format_args!("template rendering failed: {error}"),
    )
}

/// For assets: no page chrome, nothing to localise.
pub fn not_found_plain() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// Any route nobody serves.
pub async fn fallback(State(state): State<AppState>, prefs: Prefs) -> Response {
    not_found(&state, prefs)
}

/// What every request passes through on its way to a handler, in one middleware (each layer
/// of its own costs a boxed future per request on the hot path):
/// - bodies over the configured size are refused before anything reads them (a declared
///   `Content-Length`; bodies without one are cut off by `DefaultBodyLimit` in the extractors);
/// - a staff session that owes the second factor is sent to it;
/// - a panic in a handler becomes a logged, localised 500 instead of a dropped connection.
pub async fn guard(
    State(state): State<AppState>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let over_https = state.settings.trust_proxy && behind_proxy(&mut request);
    let mut response = guard_inner(state.clone(), request, next).await;
    if over_https && !state.settings.secure_cookies {
        mark_cookies_secure(&mut response);
    }
    response
}

/// Reads what a trusted reverse proxy says: the client's address (the last `X-Forwarded-For`
/// entry, the one our proxy appended) goes into the request for audit and throttling; returns
/// whether the client spoke https to the proxy.
fn behind_proxy(request: &mut Request<Body>) -> bool {
    let headers = request.headers();
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    let client = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<std::net::IpAddr>().ok())
        .next_back();
    if let Some(ip) = client {
        request
            .extensions_mut()
            .insert(crate::identity::ForwardedClient(std::net::SocketAddr::new(
                ip, 0,
            )));
    }
    https
}

/// Adds `Secure` to every cookie a response sets (the connection to the proxy is plain HTTP,
/// the browser's is not).
fn mark_cookies_secure(response: &mut Response) {
    let cookies: Vec<HeaderValue> = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| match value.to_str() {
            Ok(text) if !text.to_ascii_lowercase().contains("; secure") => {
                HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| value.clone())
            }
            _ => value.clone(),
        })
        .collect();
    let headers = response.headers_mut();
    headers.remove(header::SET_COOKIE);
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
}

async fn guard_inner(state: AppState, mut request: Request<Body>, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = if crate::applications::is_upload_request(&request) {
        state
            .settings
            .max_body_bytes
            .max(crate::applications::UPLOAD_REQUEST_LIMIT)
    } else {
        state.settings.max_body_bytes
    };
    if declared.is_some_and(|len| len > limit as u64) {
        let prefs = Prefs::resolve(request.uri().query(), request.headers());
        return error_page(
            &state,
            prefs,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            None,
        );
    }
    if let Some(redirect) = crate::identity::second_factor::gate(&state, &mut request).await {
        return redirect;
    }
    let prefs = Prefs::resolve(request.uri().query(), request.headers());
    let route = request.uri().path().to_owned();
    match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            internal_error(&state, prefs, &format_args!("panic in {route}: {message}"))
        }
    }
}
