//! The audit trail for auditors: their region's entries newest first, filtered by action and
//! outcome, and a button that recomputes the hash chain.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_services::audit::{AuditError, AuditLine};
use tongban_store::audit::{AuditFilter, ChainBreak};

use super::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(trail))
        .route("/admin/audit/verify", post(verify))
}

/// The outcomes an entry can have, as the filter offers them.
const OUTCOMES: [&str; 3] = ["success", "failure", "denied"];

#[derive(Debug, Deserialize, Default)]
struct TrailQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    older_than: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct TrailPage<'a> {
    c: Chrome<'a>,
    lines: Vec<AuditLine>,
    action: String,
    outcome: String,
    outcomes: [&'static str; 3],
    older_link: Option<String>,
    /// The verdict of a chain check just run.
    verdict: Option<(bool, String)>,
}

impl TrailPage<'_> {
    fn when(&self, line: &AuditLine) -> String {
        local_time(line.at)
    }
}

fn refusal(state: &AppState, prefs: Prefs, error: AuditError) -> Response {
    match error {
        AuditError::Forbidden => no_access(state, prefs),
        AuditError::Store(error) => internal_error(state, prefs, &error),
    }
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &AppState,
    prefs: Prefs,
    user: &tongban_services::identity::CurrentUser,
    headers: &HeaderMap,
    peer: Option<std::net::SocketAddr>,
    query: TrailQuery,
    verdict: Option<(bool, String)>,
) -> Response {
    let action = query.action.trim().chars().take(64).collect::<String>();
    let outcome = Some(query.outcome.trim())
        .filter(|o| OUTCOMES.contains(o))
        .unwrap_or("")
        .to_owned();
    let filter = AuditFilter {
        action_prefix: Some(action.clone()).filter(|a| !a.is_empty()),
        outcome: Some(outcome.clone()).filter(|o| !o.is_empty()),
    };
    let found = tongban_services::audit::browse(
        &state.identity,
        state.clock.as_ref(),
        user,
        &origin(headers, peer),
        &filter,
        query.older_than,
    )
    .await;
    let trail = match found {
        Ok(trail) => trail,
        Err(error) => return refusal(state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/admin/audit")
        .for_user(Some(user), Some(csrf.token.clone()));
    let older_link = trail.older_than.map(|seq| {
        format!(
            "/admin/audit?action={}&outcome={}&older_than={seq}",
            encode(&action),
            encode(&outcome)
        )
    });
    page(
        state,
        prefs,
        StatusCode::OK,
        TrailPage {
            c,
            lines: trail.lines,
            action,
            outcome,
            outcomes: OUTCOMES,
            older_link,
            verdict,
        },
        None,
    )
}

async fn trail(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Query(query): Query<TrailQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/audit") {
        Ok(user) => user,
        Err(login) => return login,
    };
    render(&state, prefs, &user, &headers, peer, query, None).await
}

#[derive(Debug, Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
}

async fn verify(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/audit") {
        Ok(user) => user,
        Err(login) => return login,
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let result = tongban_services::audit::verify(
        &state.identity,
        state.clock.as_ref(),
        &user,
        &origin(&headers, peer),
    )
    .await;
    let tr = state.i18n.tr(prefs.locale);
    let verdict = match result {
        Ok(Ok(count)) => (true, tr.t1("audit-chain-intact", "count", count as i64)),
        Ok(Err(breach)) => {
            let seq = match breach {
                ChainBreak::Altered { seq } | ChainBreak::Unlinked { seq } => seq,
                ChainBreak::Truncated { last_seq, .. } => last_seq,
            };
            (false, tr.t1("audit-chain-broken", "seq", seq))
        }
        Err(error) => return refusal(&state, prefs, error),
    };
    render(
        &state,
        prefs,
        &user,
        &headers,
        peer,
        TrailQuery::default(),
        Some(verdict),
    )
    .await
}
