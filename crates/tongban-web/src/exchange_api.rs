//! The department data-exchange API, `/api/v1/exchange/...` (docs/openapi/exchange.yaml):
//! department systems, authenticated as machine clients with the client_credentials grant and
//! the `exchange.read` scope, read the e-certificates shared with the cases routed to their
//! department, each verified by the platform. Every certificate returned is recorded in the
//! sealed evidence log before the answer leaves (`Certificates::exchange_case_certificates`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tongban_services::certificates::CertificateError;

use crate::applications::api::{bearer_token, problem, server_error, unauthorized};
use crate::certificates::verdict_json;
use crate::state::AppState;

/// The scope a machine client needs.
pub const EXCHANGE_SCOPE: &str = "exchange.read";

const OPENAPI: &str = include_str!("../../../docs/openapi/exchange.yaml");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/exchange/openapi.yaml", get(openapi))
        .route(
            "/api/v1/exchange/cases/{tracking_number}/certificates",
            get(case_certificates),
        )
}

async fn openapi() -> Response {
    let mut response = (StatusCode::OK, OPENAPI).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/yaml; charset=utf-8"),
    );
    response
}

async fn case_certificates(
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = bearer_token(&headers) else {
        return unauthorized("invalid_request");
    };
    let bearer = match state.oidc.bearer(state.clock.as_ref(), token).await {
        Ok(Some(bearer)) => bearer,
        Ok(None) => return unauthorized("invalid_token"),
        Err(error) => return server_error(&error),
    };
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let department = match bearer.department_id {
        Some(department)
            if bearer.account_id.is_none()
                && bearer.region_id == catalog.region_id
                && bearer.scopes.iter().any(|s| s == EXCHANGE_SCOPE) =>
        {
            department
        }
        _ => {
            return problem(
                StatusCode::FORBIDDEN,
                "insufficient-scope",
                format!("a department's machine token with the {EXCHANGE_SCOPE} scope is required"),
                None,
            );
        }
    };
    let shared = match state
        .applications
        .handling()
        .certificates()
        .exchange_case_certificates(
            state.clock.as_ref(),
            catalog,
            department,
            &bearer.client_id,
            tracking_number.trim(),
        )
        .await
    {
        Ok(shared) => shared,
        Err(CertificateError::NotFound) => {
            return problem(
                StatusCode::NOT_FOUND,
                "not-found",
                "no such case among those routed to your department".into(),
                None,
            );
        }
        Err(error) => return server_error(&error),
    };
    let certificates: Vec<serde_json::Value> = shared
        .iter()
        .map(|(view, presentation)| {
            json!({
                "field": view.row.field_key,
                "certificate_type": view.row.type_key,
                "source": view.row.source,
                "consent": {
                    "reference": view.row.id,
                    "given_at": view.row.consented_at,
                    "fields": serde_json::from_str::<serde_json::Value>(&view.row.fields)
                        .unwrap_or_default(),
                },
                "presentation": presentation,
                "verification": verdict_json(&view.verdict),
            })
        })
        .collect();
    let body = json!({
        "tracking_number": tracking_number.trim(),
        "certificates": certificates,
    });
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
