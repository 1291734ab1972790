//! Sealed legal notices on the web: where a notice's printed verification address and QR code
//! lead, and an API that checks a seal. Neither needs signing in.
//!
//! - `GET /notices/check/{id}/{code}`: the notice as the platform filed it — issuing
//!   department, kind, number, date, tracking number, the applicant's name masked — and the
//!   verdict on its electronic seal, verified with the issuing department's keys only and
//!   against the stored snapshot. The code is random per notice, so addresses cannot be
//!   enumerated; a wrong code, or a notice filed before seals existed, is a plain 404.
//! - `POST /api/v1/notices/verify` with `{ "seal": "<jws>" }`: `valid` with the seal's claims
//!   and whether the platform holds that very notice, or `forged` with the reason.
//!
//! The seal and its checks are `tongban_domain::notices::seal` and
//! `tongban_services::certificates`; the notice's PDF, which prints the address, is
//! [`crate::notice_pdf`].

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use tongban_domain::Locale;
use tongban_domain::identity::PersonName;
use tongban_domain::notices::seal::{DIGEST_PREFIX, SealError, VerifiedSeal};
use tongban_domain::notices::{chinese_date, english_date};
use tongban_services::workflow::HandlingError;
use uuid::Uuid;

use crate::applications::api::{problem, server_error};
use crate::catalog::chrome;
use crate::csrf::Csrf;
use crate::identity::{MaybeUser, page};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

/// The longest seal the API takes: a seal is well under a kilobyte.
const MAX_SEAL_BYTES: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notices/check/{id}/{code}", get(check_page))
        .route("/api/v1/notices/verify", post(verify_api))
}

/// The name of the department a seal's `iss` names, in the reader's language; the URL itself
/// when it is not one of ours.
fn sealed_by(state: &AppState, locale: Locale, iss: &str) -> String {
    let snapshot = state.snapshots.current();
    let prefix = format!(
        "{}/departments/",
        state
            .applications
            .handling()
            .certificates()
            .settings
            .public_url
    );
    iss.strip_prefix(&prefix)
        .and_then(|slug| snapshot.catalog.department_by_slug(slug))
        .map(|d| d.name.get(locale).to_owned())
        .unwrap_or_else(|| iss.to_owned())
}

/// The reason key of a bad seal, for the page and the API.
fn reason_key(error: &SealError) -> &'static str {
    match error {
        SealError::Signature(_) => "signature",
        SealError::DigestMismatch => "changed",
        SealError::WrongType | SealError::MalformedClaim(_) => "malformed",
    }
}

/// The applicant's name as a public page may show it: the first character and a star.
fn masked_name(name: &str) -> String {
    match PersonName::parse(name) {
        Ok(name) => name.masked(),
        Err(_) => "*".to_owned(),
    }
}

struct CheckView {
    valid: bool,
    headline: String,
    detail: String,
    issuer: String,
    kind: String,
    number: String,
    issued: String,
    tracking_number: String,
    applicant: String,
    kid: String,
    digest: String,
    seal: String,
}

#[derive(Template)]
#[template(path = "notices/check.html")]
struct CheckPage<'a> {
    c: Chrome<'a>,
    r: CheckView,
}

/// Where a notice's printed address and QR code lead.
async fn check_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path((id, code)): Path<(String, String)>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return crate::errors::not_found(&state, prefs);
    };
    let snapshot = state.snapshots.current();
    let check = match state
        .applications
        .handling()
        .notice_check(&snapshot.catalog, id, &code)
        .await
    {
        Ok(check) => check,
        Err(HandlingError::NotFound) => return crate::errors::not_found(&state, prefs),
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    let path = format!("/notices/check/{id}/{code}");
    let csrf = Csrf::issue(&state.secret, user.as_ref(), &headers);
    let c =
        chrome(&state, &snapshot, prefs, &path).for_user(user.as_ref(), Some(csrf.token.clone()));
    let locale = prefs.locale;
    let notice = &check.notice;
    let (valid, headline, detail, kid, digest) = match &check.verdict {
        Ok(VerifiedSeal { kid, claims, .. }) => {
            let department = sealed_by(&state, locale, &claims.issuer);
            (
                true,
                c.tr.t("notice-check-valid"),
                c.tr.t1("notice-check-valid-detail", "department", department),
                kid.clone(),
                claims.digest.chars().take(DIGEST_PREFIX).collect(),
            )
        }
        Err(error) => (
            false,
            c.tr.t("notice-check-forged"),
            c.tr.t(&format!("notice-check-forged-{}", reason_key(error))),
            String::new(),
            String::new(),
        ),
    };
    let r = CheckView {
        valid,
        headline,
        detail,
        issuer: notice.department.clone(),
        kind: notice.kind.title(locale).to_owned(),
        number: notice.number.clone(),
        issued: match locale {
            Locale::En => english_date(notice.issued_on),
            _ => chinese_date(notice.issued_on),
        },
        tracking_number: notice.tracking_number.clone(),
        applicant: masked_name(&notice.applicant_name),
        kid,
        digest,
        seal: check.seal.clone(),
    };
    let mut response = page(
        &state,
        prefs,
        StatusCode::OK,
        CheckPage { c, r },
        Some(&csrf),
    );
    // A notice names its applicant (masked here) and case: never kept by a shared cache.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    seal: String,
}

/// The API's verdict on a seal: `valid` with the claims, the signing key and whether the
/// platform holds that notice with the very text sealed (`on_record`: `matches`, `differs`,
/// `absent`), or `forged` with the reason.
fn verdict_json(verdict: &Result<VerifiedSeal, SealError>, on_record: Option<bool>) -> Value {
    match verdict {
        Ok(verified) => {
            let c = &verified.claims;
            serde_json::json!({
                "verdict": "valid",
                "alg": verified.alg.name(),
                "kid": verified.kid,
                "issuer": c.issuer,
                "document_id": c.document_id,
                "kind": c.kind.key(),
                "number": c.number,
                "tracking_number": c.tracking_number,
                "issued_on": c.issued_on.to_string(),
                "issued_at": c.issued_at,
                "notice_sha256": c.digest,
                "on_record": match on_record {
                    Some(true) => "matches",
                    Some(false) => "differs",
                    None => "absent",
                },
            })
        }
        Err(error) => serde_json::json!({
            "verdict": "forged",
            "reason": reason_key(error),
            "detail": error.to_string(),
        }),
    }
}

async fn verify_api(
    State(state): State<AppState>,
    body: Result<Json<VerifyBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The body is a JSON object: { seal }".into(),
            None,
        );
    };
    let seal = body.seal.trim();
    if seal.is_empty() || seal.len() > MAX_SEAL_BYTES {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-seal",
            format!("seal must be 1 to {MAX_SEAL_BYTES} bytes"),
            None,
        );
    }
    let snapshot = state.snapshots.current();
    let handling = state.applications.handling();
    let verdict = match handling
        .certificates()
        .verify_notice_seal(&snapshot.catalog, seal)
        .await
    {
        Ok(verdict) => verdict,
        Err(error) => return server_error(&error),
    };
    let on_record = match &verdict {
        Ok(verified) => match handling.seal_on_record(&snapshot.catalog, verified).await {
            Ok(found) => found,
            Err(error) => return server_error(&error),
        },
        Err(_) => None,
    };
    let mut response = Json(verdict_json(&verdict, on_record)).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
