//! Liveness and readiness for load balancers and orchestrators.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// The process answers: nothing else is checked, so a slow database never restarts it.
async fn healthz() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], "ok").into_response()
}

/// Ready to serve: the database answers and its schema is current.
async fn readyz(State(state): State<AppState>) -> Response {
    let (status, body) = match tongban_store::ping(&state.db).await {
        Err(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "unavailable", "database": "unreachable" }),
            )
        }
        Ok(()) => match tongban_store::pending_migrations(&state.db).await {
            Ok(0) => (
                StatusCode::OK,
                serde_json::json!({ "status": "ready", "database": "ok" }),
            ),
            Ok(pending) => (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "status": "unavailable", "database": "ok", "pending_migrations": pending }),
            ),
            Err(error) => {
                tracing::warn!(%error, "readiness: cannot read migrations");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    serde_json::json!({ "status": "unavailable", "database": "error" }),
                )
            }
        },
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}
