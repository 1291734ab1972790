//! The public progress lookup (办件进度查询): anyone with a tracking number and the last four
//! digits of the applicant's mobile sees where the case stands, without signing in — as a page
//! (`GET`/`POST /progress`) and as JSON (`GET /api/v1/cases/{tracking_number}/progress`).
//!
//! Two brakes against guessing. The lockout is the service's: five wrong answers lock a
//! tracking number for half an hour, kept in the database, so it survives restarts and holds
//! across instances; unknown numbers and wrong digits give the same answer. The rate limit is
//! this module's: a small token bucket per client address in this process's memory (20
//! lookups a minute), so one client cannot walk through many numbers either.
//!
//! The stage bar and the status wording live here too; the applicant's own pages reuse them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tongban_domain::Locale;
use tongban_domain::workflow::{Outcome, Stage, StepStatus, WorkflowDefinition};
use tongban_services::workflow::{LookupError, PublicProgress};

use crate::applications::api::problem;
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::i18n::Tr;
use crate::identity::{ClientAddr, MaybeUser, forbidden, page};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

/// Lookups one client may make per minute, page and API together.
pub const LOOKUPS_PER_MINUTE: u32 = 20;

/// Client addresses remembered at most; beyond it, clients whose bucket has refilled are
/// forgotten (they would start full anyway).
const MAX_CLIENTS: usize = 10_000;

pub fn router() -> Router<AppState> {
    let limiter = Arc::new(RateLimiter::new(LOOKUPS_PER_MINUTE));
    Router::new()
        .route("/progress", get(lookup_page).post(lookup))
        // `{case}` is the tracking number here; the segment is named as in the case API.
        .route("/api/v1/cases/{case}/progress", get(lookup_api))
        .layer(Extension(limiter))
}

// ----- Rate limit -----

/// A token bucket per client address: `capacity` lookups at once, refilled at `capacity` a
/// minute. In memory and per process (the lockout in the database is the lasting brake).
#[derive(Debug)]
pub struct RateLimiter {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<Option<IpAddr>, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        let capacity = f64::from(per_minute.max(1));
        RateLimiter {
            capacity,
            per_second: capacity / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: DateTime<Utc>) -> f64 {
        let elapsed = (now - bucket.at).num_milliseconds().max(0) as f64 / 1000.0;
        (bucket.tokens + elapsed * self.per_second).min(self.capacity)
    }

    /// Takes one lookup for `client` (clients without a known address share one bucket);
    /// refused with the seconds until the next lookup is allowed.
    pub fn take(&self, client: Option<IpAddr>, now: DateTime<Utc>) -> Result<(), u64> {
        let key = client.map(network_of);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_CLIENTS {
            buckets.retain(|_, b| self.refilled(*b, now) < self.capacity);
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let tokens = self.refilled(*bucket, now);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            let wait = ((1.0 - tokens) / self.per_second).ceil();
            Err((wait as u64).max(1))
        }
    }
}

/// The unit a client is counted by: its IPv4 address, or its IPv6 /64 (one subscriber gets a
/// whole /64 and could otherwise rotate through it).
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
    }
}

// ----- Shared views: the stage bar and the status line -----

/// One stage of the progress bar, with its state in words (never colour alone).
pub(crate) struct StageView {
    pub name: String,
    /// `done`, `current`, `upcoming` or `skipped`: the class and `aria-current`.
    pub status: &'static str,
    pub status_text: String,
}

fn step_key(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Done => "done",
        StepStatus::Current => "current",
        StepStatus::Upcoming => "upcoming",
        StepStatus::Skipped => "skipped",
    }
}

pub(crate) fn stage_views(tr: &Tr<'_>, stages: &[(Stage, StepStatus)]) -> Vec<StageView> {
    stages
        .iter()
        .map(|(stage, status)| StageView {
            name: tr.t(&format!("progress-stage-{}", stage.key())),
            status: step_key(*status),
            status_text: tr.t(&format!("progress-step-{}", step_key(*status))),
        })
        .collect()
}

/// The case's status in words: in progress, waiting for the applicant, suspended, or finished
/// with its outcome.
pub(crate) fn status_text(tr: &Tr<'_>, status: &str, outcome: Option<Outcome>) -> String {
    match outcome {
        Some(outcome) => tr.t(&format!("case-outcome-{}", outcome.key())),
        None => tr.t(&format!("case-status-{status}")),
    }
}

/// The label of an action key in the case's workflow (its own name, or the kind's label).
pub(crate) fn action_label(def: &WorkflowDefinition, key: &str, locale: Locale) -> String {
    def.states
        .iter()
        .find_map(|s| s.action(key))
        .map(|a| a.label().get(locale).to_owned())
        .or_else(|| {
            tongban_domain::workflow::ActionKind::from_key(key).map(|k| {
                tongban_domain::workflow::kind_label(k)
                    .get(locale)
                    .to_owned()
            })
        })
        .unwrap_or_else(|| key.to_owned())
}

/// The name of a state key in the case's workflow.
pub(crate) fn state_label(def: &WorkflowDefinition, key: &str, locale: Locale) -> String {
    def.state(key)
        .map(|s| s.name.get(locale).to_owned())
        .unwrap_or_else(|| {
            tongban_domain::workflow::kind_label(tongban_domain::workflow::ActionKind::Withdraw)
                .get(locale)
                .to_owned()
        })
}

// ----- The page -----

struct StepView {
    at: String,
    action: String,
    to: String,
}

struct ResultView {
    tracking_number: String,
    service_name: String,
    state_name: String,
    status: String,
    due_on: Option<String>,
    submitted: String,
    steps: Vec<StepView>,
}

#[derive(Template)]
#[template(path = "progress/lookup.html")]
struct LookupPage<'a> {
    c: Chrome<'a>,
    tracking_number: String,
    phone_last4: String,
    errors: Vec<(String, String)>,
    /// Not found or locked: one message above the form.
    message: Option<String>,
    result: Option<ResultView>,
    stages: Vec<StageView>,
}

#[derive(Deserialize, Default)]
struct LookupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    tracking_number: String,
    #[serde(default)]
    phone_last4: String,
}

#[allow(clippy::too_many_arguments)]
fn render_lookup(
    state: &AppState,
    prefs: Prefs,
    user: Option<&tongban_services::identity::CurrentUser>,
    headers: &HeaderMap,
    status: StatusCode,
    form: &LookupForm,
    errors: Vec<(String, String)>,
    message: Option<String>,
    found: Option<&PublicProgress>,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, user, headers);
    let c = chrome(state, &snapshot, prefs, "/progress").for_user(user, Some(csrf.token.clone()));
    let locale = prefs.locale;
    let stages = found
        .map(|p| stage_views(&c.tr, &p.stages))
        .unwrap_or_default();
    let result = found.map(|p| {
        let def = snapshot
            .catalog
            .service(&p.service_code)
            .map(|s| s.service.workflow_definition());
        ResultView {
            tracking_number: p.tracking_number.clone(),
            service_name: p.service_name.get(locale).to_owned(),
            state_name: p.state_name.get(locale).to_owned(),
            status: status_text(&c.tr, &p.status, p.outcome),
            due_on: p.due_on.map(|d| d.to_string()),
            submitted: local_time(p.submitted_at),
            steps: p
                .steps
                .iter()
                .map(|(at, action, to)| StepView {
                    at: local_time(*at),
                    action: def
                        .as_ref()
                        .map(|d| action_label(d, action, locale))
                        .unwrap_or_else(|| action.clone()),
                    to: match (to, &def) {
                        (Some(to), Some(d)) => state_label(d, to, locale),
                        (Some(to), None) => to.clone(),
                        (None, _) => String::new(),
                    },
                })
                .collect(),
        }
    });
    let body = LookupPage {
        tracking_number: form.tracking_number.clone(),
        phone_last4: form.phone_last4.clone(),
        errors,
        message,
        result,
        stages,
        c,
    };
    let mut response = page(state, prefs, status, body, Some(&csrf));
    // The answer names a case: never kept by a shared cache.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn lookup_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    render_lookup(
        &state,
        prefs,
        user.as_ref(),
        &headers,
        StatusCode::OK,
        &LookupForm::default(),
        Vec::new(),
        None,
        None,
    )
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// Seconds a locked number stays locked, for `Retry-After`.
fn lock_seconds(state: &AppState) -> u64 {
    u64::try_from(
        state
            .applications
            .handling()
            .settings
            .lookup_lock_minutes
            .max(1)
            * 60,
    )
    .unwrap_or(1800)
}

async fn lookup(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RateLimiter>>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LookupForm>,
) -> Response {
    if !csrf::verify(&state.secret, user.as_ref(), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let render = |status, errors, message, found| {
        render_lookup(
            &state,
            prefs,
            user.as_ref(),
            &headers,
            status,
            &form,
            errors,
            message,
            found,
        )
    };
    let mut errors = Vec::new();
    if form.tracking_number.trim().is_empty() {
        errors.push(("tracking_number".to_owned(), tr.t("progress-error-number")));
    }
    let digits = form.phone_last4.trim();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(("phone_last4".to_owned(), tr.t("progress-error-digits")));
    }
    if !errors.is_empty() {
        return render(StatusCode::UNPROCESSABLE_ENTITY, errors, None, None);
    }
    if let Err(wait) = limiter.take(peer.map(|p| p.ip()), state.clock.now()) {
        let response = render(
            StatusCode::TOO_MANY_REQUESTS,
            Vec::new(),
            Some(tr.t("progress-rate-limited")),
            None,
        );
        return with_retry_after(response, wait);
    }
    let snapshot = state.snapshots.current();
    let found = state
        .applications
        .handling()
        .public_progress(
            state.clock.as_ref(),
            &snapshot.catalog,
            &form.tracking_number,
            digits,
        )
        .await;
    match found {
        Ok(progress) => render(StatusCode::OK, Vec::new(), None, Some(&progress)),
        Err(LookupError::NotFound) => render(
            StatusCode::NOT_FOUND,
            Vec::new(),
            Some(tr.t("progress-not-found")),
            None,
        ),
        Err(LookupError::Locked) => with_retry_after(
            render(
                StatusCode::TOO_MANY_REQUESTS,
                Vec::new(),
                Some(tr.t("progress-locked")),
                None,
            ),
            lock_seconds(&state),
        ),
    }
}

// ----- The API -----

#[derive(Deserialize, Default)]
struct LookupQuery {
    #[serde(default)]
    phone_last4: String,
}

/// The progress as JSON: the same facts as the page, keys rather than words where a client
/// would translate (stages, status, outcome, actions), names in the asked language.
fn progress_json(progress: &PublicProgress, locale: Locale) -> serde_json::Value {
    serde_json::json!({
        "tracking_number": progress.tracking_number,
        "service_code": progress.service_code,
        "service_name": progress.service_name.get(locale),
        "state": progress.state_name.get(locale),
        "stages": progress.stages.iter().map(|(stage, status)| serde_json::json!({
            "stage": stage.key(),
            "status": step_key(*status),
        })).collect::<Vec<_>>(),
        "status": progress.status,
        "outcome": progress.outcome.map(Outcome::key),
        "due_on": progress.due_on.map(|d| d.to_string()),
        "steps": progress.steps.iter().map(|(at, action, to)| serde_json::json!({
            "at": at.to_rfc3339(),
            "action": action,
            "to": to,
        })).collect::<Vec<_>>(),
    })
}

async fn lookup_api(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<RateLimiter>>,
    prefs: Prefs,
    ClientAddr(peer): ClientAddr,
    Path(tracking_number): Path<String>,
    Query(query): Query<LookupQuery>,
) -> Response {
    let tr = state.i18n.tr(prefs.locale);
    if let Err(wait) = limiter.take(peer.map(|p| p.ip()), state.clock.now()) {
        return with_retry_after(
            problem(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                tr.t("progress-rate-limited"),
                None,
            ),
            wait,
        );
    }
    let snapshot = state.snapshots.current();
    match state
        .applications
        .handling()
        .public_progress(
            state.clock.as_ref(),
            &snapshot.catalog,
            &tracking_number,
            query.phone_last4.trim(),
        )
        .await
    {
        Ok(progress) => {
            let mut response = (
                StatusCode::OK,
                progress_json(&progress, prefs.locale).to_string(),
            )
                .into_response();
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(LookupError::NotFound) => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            tr.t("progress-not-found"),
            None,
        ),
        Err(LookupError::Locked) => with_retry_after(
            problem(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                tr.t("progress-locked"),
                None,
            ),
            lock_seconds(&state),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_bucket_allows_a_burst_then_refills_at_its_rate() {
        let limiter = RateLimiter::new(20);
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let client = Some("192.0.2.1".parse().unwrap());
        for _ in 0..20 {
            assert!(limiter.take(client, start).is_ok());
        }
        let wait = limiter.take(client, start).unwrap_err();
        assert_eq!(wait, 3, "one lookup every three seconds");
        assert!(
            limiter
                .take(Some("192.0.2.2".parse().unwrap()), start)
                .is_ok(),
            "another client has its own bucket"
        );
        assert!(
            limiter
                .take(client, start + chrono::Duration::seconds(3))
                .is_ok()
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_bit_prefix() {
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:1".parse().unwrap();
        let c: IpAddr = "2001:db8:0:1::1".parse().unwrap();
        assert_eq!(network_of(a), network_of(b));
        assert_ne!(network_of(a), network_of(c));
    }
}
