//! Tongban's HTTP layer: the public portal, health endpoints, metrics and the middleware every
//! response passes through (security headers, compression, body limit, panic safety).
//!
//! One module per feature exports `router()`; handlers stay thin and render from the snapshot.

pub mod admin;
pub mod agency;
pub mod applications;
pub mod assets;
pub mod cases;
pub mod catalog;
pub mod certificate_pdf;
pub mod certificates;
pub mod csrf;
pub mod data_use;
pub mod email;
pub mod errors;
pub mod exchange_api;
pub mod form_pdf;
pub mod guide_pdf;
pub mod health;
pub mod i18n;
pub mod identity;
pub mod layout;
pub mod metrics;
pub mod notice_pdf;
pub mod notices;
pub mod oidc;
pub mod pages;
pub mod prefs;
pub mod progress;
pub mod search;
pub mod state;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

pub use state::{AppState, Mode, WebSettings};

pub const HTML: &str = "text/html; charset=utf-8";

/// Scripts only from our own origin (none are needed today), no inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; \
form-action 'self'; frame-ancestors 'none'";

/// The whole application.
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The application with extra routes under the same middleware (tests use it to provoke
/// failures that real routes cannot).
pub fn app_with(state: AppState, extra: Router<AppState>) -> Router {
    let max_body = state.settings.max_body_bytes;
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .merge(admin::router())
        .merge(catalog::router())
        .merge(guide_pdf::router())
        .merge(form_pdf::router())
        .merge(health::router())
        .merge(
            identity::router().route_layer(from_fn_with_state(state.clone(), oidc::login_return)),
        )
        .merge(email::router())
        .merge(agency::router())
        .merge(applications::router())
        .merge(cases::router())
        .merge(oidc::router())
        .merge(search::router())
        .merge(progress::router())
        .merge(certificates::router())
        .merge(data_use::router())
        .merge(exchange_api::router())
        .merge(notices::router())
        .route("/preferences/elder", get(prefs::toggle_elder))
        .route("/static/{file}", get(assets::serve_static))
        .merge(extra)
        .fallback(errors::fallback)
        .layer(from_fn_with_state(state.clone(), errors::guard))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(CompressionLayer::new())
        .layer(header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(header(
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
        .layer(header(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(from_fn(metrics::track))
        .with_state(state)
}
