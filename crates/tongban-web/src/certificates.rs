//! E-certificates on the web: what verifiers fetch (the issuers' keys as a JWKS and as SD-JWT
//! VC issuer metadata, the status lists), and the public verification page and API anyone
//! may use without signing in.
//!
//! - `GET /.well-known/jwks.json`: every department's keys, retired ones included.
//! - `GET /.well-known/jwt-vc-issuer/departments/{slug}`: `{ issuer, jwks }` of one
//!   department, where a certificate's `iss` (`{public_url}/departments/{slug}`) points.
//! - `GET /certificates/status/{id}`: the signed Status List Token
//!   (`application/statuslist+jwt`), cacheable for its `ttl`.
//! - `GET`/`POST /certificates/verify`: paste a certificate, see valid / expired / revoked /
//!   suspended / forged with the fields it discloses (personal identifiers masked).
//! - `POST /api/v1/certificates/verify`: the same as JSON.
//! - `GET /certificates/check/{id}/{code}`: where a certificate's QR code leads; the verdict of
//!   the certificate as issued (the code is random per certificate, so addresses cannot be
//!   guessed).
//! - `/account/certificates` (我的证照): the holder's certificates with their validity; one
//!   certificate's page shows its fields, its QR code and the whole token to copy, and makes
//!   a presentation with only the fields the holder ticks;
//!   `/account/certificates/{id}.pdf` prints it (see `certificate_pdf`).

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use tongban_domain::certificates::{ForgeryReason, Verdict};
use tongban_services::certificates::CertificateError;
use uuid::Uuid;

use crate::applications::api::{problem, server_error};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::i18n::Tr;
use crate::identity::{MaybeUser, forbidden, page};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

/// The longest certificate the page and API take (a certificate is a few kilobytes).
const MAX_TOKEN_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route(
            "/.well-known/jwt-vc-issuer/departments/{slug}",
            get(issuer_metadata),
        )
        .route("/certificates/status/{id}", get(status_list))
        .route("/certificates/verify", get(verify_page).post(verify_form))
        .route("/api/v1/certificates/verify", post(verify_api))
        .route("/certificates/check/{id}/{code}", get(check_page))
        .route("/account/certificates", get(wallet_page))
        .route("/account/certificates/{id}", get(held_page).post(present))
}

fn json_with(content_type: &'static str, max_age: u32, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        headers.insert(CACHE_CONTROL, value);
    }
    response
}

fn failed(error: CertificateError) -> Response {
    match error {
        CertificateError::NotFound => {
            problem(StatusCode::NOT_FOUND, "not-found", "Not found".into(), None)
        }
        other => server_error(&other),
    }
}

async fn jwks(State(state): State<AppState>) -> Response {
    let snapshot = state.snapshots.current();
    match state
        .applications
        .handling()
        .certificates()
        .jwks(snapshot.catalog.region_id, None)
        .await
    {
        Ok(keys) => json_with("application/jwk-set+json", 300, keys.to_json()),
        Err(error) => failed(error),
    }
}

async fn issuer_metadata(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let snapshot = state.snapshots.current();
    let Some(department) = snapshot.catalog.department_by_slug(&slug) else {
        return failed(CertificateError::NotFound);
    };
    let Some(department_id) = snapshot.catalog.department_id(&department.code) else {
        return failed(CertificateError::NotFound);
    };
    let certificates = state.applications.handling().certificates();
    match certificates
        .jwks(snapshot.catalog.region_id, Some(department_id))
        .await
    {
        Ok(keys) => json_with(
            "application/json",
            300,
            serde_json::json!({
                "issuer": certificates.issuer_url(department),
                "jwks": keys,
            })
            .to_string(),
        ),
        Err(error) => failed(error),
    }
}

async fn status_list(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return failed(CertificateError::NotFound);
    };
    let snapshot = state.snapshots.current();
    let certificates = state.applications.handling().certificates();
    match certificates
        .status_list_token(state.clock.as_ref(), &snapshot.catalog, id)
        .await
    {
        Ok(token) => {
            let ttl = u32::try_from(certificates.settings.status_ttl_seconds).unwrap_or(300);
            json_with("application/statuslist+jwt", ttl, token.to_string())
        }
        Err(error) => failed(error),
    }
}

// ----- Verification -----

/// The verdict's key: `valid`, `expired`, `not-yet-valid`, `revoked`, `suspended`, `forged`,
/// `status-unavailable`.
fn verdict_key(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Valid { .. } => "valid",
        Verdict::Expired(_) => "expired",
        Verdict::NotYetValid(_) => "not-yet-valid",
        Verdict::Revoked { .. } => "revoked",
        Verdict::Suspended(_) => "suspended",
        Verdict::Forged(_) => "forged",
        Verdict::StatusUnavailable { .. } => "status-unavailable",
    }
}

pub(crate) fn certificate_of(
    verdict: &Verdict,
) -> Option<&tongban_domain::certificates::VerifiedCertificate> {
    match verdict {
        Verdict::Valid { certificate, .. }
        | Verdict::Revoked { certificate, .. }
        | Verdict::StatusUnavailable { certificate, .. } => Some(certificate),
        Verdict::Suspended(certificate)
        | Verdict::Expired(certificate)
        | Verdict::NotYetValid(certificate) => Some(certificate),
        Verdict::Forged(_) => None,
    }
}

/// A field's value for a screen: text as it is, except personal identifiers, masked.
fn shown(value: &Value) -> String {
    use tongban_domain::identity::{CreditCode, ResidentId};
    match value {
        Value::String(text) => {
            if let Ok(id) = ResidentId::parse(text) {
                id.masked()
            } else if let Ok(code) = CreditCode::parse(text) {
                // A business's credit code is public on its licence; shown whole.
                code.to_string()
            } else {
                text.clone()
            }
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A personal value masked: identifiers by their own rule, other text (a name) keeping its
/// first character.
fn mask_personal(text: &str) -> String {
    use tongban_domain::identity::ResidentId;
    if let Ok(id) = ResidentId::parse(text) {
        return id.masked();
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            format!("{first}{}", "*".repeat(rest.max(1)))
        }
        None => String::new(),
    }
}

/// A field's value on a screen or a printout: personal data masked whatever its shape
/// (`spec` is the field in the certificate's type, when known), resident ID numbers always.
pub(crate) fn displayed(
    spec: Option<&tongban_domain::certificate_types::CertificateField>,
    value: &Value,
) -> String {
    match (spec, value) {
        (Some(f), Value::String(text)) if f.personal => mask_personal(text),
        _ => shown(value),
    }
}

fn date(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(local_time)
}

pub(crate) struct FieldView {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) disclosed: bool,
}

pub(crate) struct VerdictView {
    pub(crate) key: &'static str,
    pub(crate) headline: String,
    pub(crate) detail: Option<String>,
    pub(crate) issuer: String,
    pub(crate) vct: String,
    pub(crate) issued: Option<String>,
    pub(crate) valid_from: Option<String>,
    pub(crate) expires: Option<String>,
    pub(crate) fields: Vec<FieldView>,
}

/// The issuing department's name when `iss` is one of ours, the URL otherwise.
fn issuer_name(state: &AppState, prefs: Prefs, iss: &str) -> String {
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
        .map(|d| d.name.get(prefs.locale).to_owned())
        .unwrap_or_else(|| iss.to_owned())
}

fn forgery_text(tr: &Tr<'_>, reason: &ForgeryReason) -> String {
    let key = match reason {
        ForgeryReason::Signature(_) => "cert-forged-signature",
        ForgeryReason::TamperedDisclosure
        | ForgeryReason::DuplicateDisclosure
        | ForgeryReason::ForbiddenDisclosure(_)
        | ForgeryReason::ClaimCollision(_) => "cert-forged-disclosure",
        _ => "cert-forged-malformed",
    };
    tr.t(key)
}

/// The catalogue's type of a certificate, found by its `vct`: its name, field labels, which
/// fields are personal and in which order the view shows them.
fn type_of_vct<'a>(
    state: &AppState,
    catalog: &'a tongban_services::catalog::PortalCatalog,
    vct: &str,
) -> Option<&'a tongban_domain::certificate_types::CertificateType> {
    let public_url = &state
        .applications
        .handling()
        .certificates()
        .settings
        .public_url;
    catalog
        .certificate_types
        .iter()
        .find(|t| t.vct(public_url, &catalog.region.code) == vct)
}

fn verdict_view(state: &AppState, prefs: Prefs, tr: &Tr<'_>, verdict: &Verdict) -> VerdictView {
    verdict_view_for(state, prefs, tr, verdict, true)
}

/// The verdict as shown; `mask_personal_fields` false only for the staff handling a case the
/// certificate was shared with, who are entitled to its personal fields.
pub(crate) fn verdict_view_for(
    state: &AppState,
    prefs: Prefs,
    tr: &Tr<'_>,
    verdict: &Verdict,
    mask_personal_fields: bool,
) -> VerdictView {
    let key = verdict_key(verdict);
    let detail = match verdict {
        Verdict::Forged(reason) => Some(forgery_text(tr, reason)),
        Verdict::Revoked { .. } => Some(tr.t("cert-revoked-detail")),
        Verdict::StatusUnavailable { .. } => Some(tr.t("cert-status-unavailable-detail")),
        _ => None,
    };
    let certificate = certificate_of(verdict);
    let snapshot = state.snapshots.current();
    let known = certificate.and_then(|c| type_of_vct(state, &snapshot.catalog, &c.vct));
    VerdictView {
        key,
        headline: tr.t(&format!("cert-verdict-{key}")),
        detail,
        issuer: certificate
            .map(|c| issuer_name(state, prefs, &c.issuer))
            .unwrap_or_default(),
        vct: known
            .map(|t| t.name.get(prefs.locale).to_owned())
            .or_else(|| certificate.map(|c| c.vct.clone()))
            .unwrap_or_default(),
        issued: certificate.and_then(|c| date(c.issued_at)),
        valid_from: certificate.and_then(|c| date(c.valid_from)),
        expires: certificate.and_then(|c| date(c.expires_at)),
        fields: certificate
            .map(|c| {
                let mut fields: Vec<(usize, FieldView)> = c
                    .fields()
                    .map(|(name, value)| {
                        let spec = known.and_then(|t| t.field(name));
                        let order = known
                            .and_then(|t| t.fields.iter().position(|f| &f.key == name))
                            .unwrap_or(usize::MAX);
                        let value = match (spec, value) {
                            // Staff handling a case the certificate was shared with see
                            // personal fields as shared; every other screen masks them.
                            (Some(f), Value::String(text))
                                if f.personal && !mask_personal_fields =>
                            {
                                shown(&Value::String(text.clone()))
                            }
                            _ => displayed(spec, value),
                        };
                        let view = FieldView {
                            name: spec
                                .map(|f| f.label.get(prefs.locale).to_owned())
                                .unwrap_or_else(|| name.clone()),
                            value,
                            disclosed: c.disclosed.contains(name),
                        };
                        (order, view)
                    })
                    .collect();
                fields.sort_by_key(|(order, _)| *order);
                fields.into_iter().map(|(_, view)| view).collect()
            })
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "certificates/verify.html")]
struct VerifyPage<'a> {
    c: Chrome<'a>,
    token: String,
    error: Option<String>,
    result: Option<VerdictView>,
}

#[derive(Debug, Default, Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

#[allow(clippy::too_many_arguments)]
fn render_verify(
    state: &AppState,
    prefs: Prefs,
    user: Option<&tongban_services::identity::CurrentUser>,
    headers: &HeaderMap,
    status: StatusCode,
    token: String,
    error: Option<String>,
    verdict: Option<&Verdict>,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, user, headers);
    let c = chrome(state, &snapshot, prefs, "/certificates/verify")
        .for_user(user, Some(csrf.token.clone()));
    let result = verdict.map(|v| verdict_view(state, prefs, &c.tr, v));
    let body = VerifyPage {
        c,
        token,
        error,
        result,
    };
    let mut response = page(state, prefs, status, body, Some(&csrf));
    // The answer shows a certificate's fields: never kept by a shared cache.
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn verify_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    render_verify(
        &state,
        prefs,
        user.as_ref(),
        &headers,
        StatusCode::OK,
        String::new(),
        None,
        None,
    )
}

async fn verify_form(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Form(form): Form<VerifyForm>,
) -> Response {
    if !csrf::verify(&state.secret, user.as_ref(), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let token: String = form.token.split_whitespace().collect();
    let tr = state.i18n.tr(prefs.locale);
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        let key = if token.is_empty() {
            "cert-verify-empty"
        } else {
            "cert-verify-too-long"
        };
        return render_verify(
            &state,
            prefs,
            user.as_ref(),
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            String::new(),
            Some(tr.t(key)),
            None,
        );
    }
    let snapshot = state.snapshots.current();
    match state
        .applications
        .handling()
        .certificates()
        .verify(state.clock.as_ref(), &snapshot.catalog, &token)
        .await
    {
        Ok(verdict) => render_verify(
            &state,
            prefs,
            user.as_ref(),
            &headers,
            StatusCode::OK,
            token,
            None,
            Some(&verdict),
        ),
        Err(error) => crate::errors::internal_error(&state, prefs, &error),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    token: String,
}

/// The verdict as JSON: `verdict`, `reason` (for forgeries), and for a genuine certificate its
/// issuer, type, dates, revocation check and fields (unmasked: the caller holds the token).
pub fn verdict_json(verdict: &Verdict) -> Value {
    let mut out = serde_json::json!({ "verdict": verdict_key(verdict) });
    if let Verdict::Forged(reason) = verdict {
        out["reason"] = Value::from(reason.to_string());
    }
    if let Verdict::StatusUnavailable { reason, .. } = verdict {
        out["reason"] = Value::from(reason.to_string());
    }
    if let Verdict::Valid { revocation, .. } = verdict {
        out["revocation"] = Value::from(format!("{revocation:?}").to_lowercase());
    }
    if let Some(c) = certificate_of(verdict) {
        out["issuer"] = Value::from(c.issuer.clone());
        out["vct"] = Value::from(c.vct.clone());
        out["issued_at"] = serde_json::json!(c.issued_at);
        out["valid_from"] = serde_json::json!(c.valid_from);
        out["expires_at"] = serde_json::json!(c.expires_at);
        out["kid"] = Value::from(c.kid.clone());
        out["fields"] = Value::Object(
            c.fields()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<serde_json::Map<_, _>>(),
        );
        out["disclosed"] = serde_json::json!(c.disclosed);
    }
    out
}

async fn verify_api(
    State(state): State<AppState>,
    body: Result<Json<VerifyBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The body is a JSON object: { token }".into(),
            None,
        );
    };
    let token = body.token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-token",
            format!("token must be 1 to {MAX_TOKEN_BYTES} bytes"),
            None,
        );
    }
    let snapshot = state.snapshots.current();
    match state
        .applications
        .handling()
        .certificates()
        .verify(state.clock.as_ref(), &snapshot.catalog, token)
        .await
    {
        Ok(verdict) => {
            let mut response = Json(verdict_json(&verdict)).into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => server_error(&error),
    }
}

// ----- The holder's wallet -----

struct HeldRow {
    id: Uuid,
    name: String,
    issuer: String,
    issued: String,
    expires: Option<String>,
    /// `valid`, `revoked` or `expired`.
    status: &'static str,
}

#[derive(Template)]
#[template(path = "certificates/wallet.html")]
struct WalletPage<'a> {
    c: Chrome<'a>,
    rows: Vec<HeldRow>,
}

fn held_status(
    row: &tongban_store::certificates::CertificateRow,
    now: DateTime<Utc>,
) -> &'static str {
    if row.status != tongban_store::certificates::STATUS_VALID {
        "revoked"
    } else if row.expires_at.is_some_and(|at| at <= now) {
        "expired"
    } else {
        "valid"
    }
}

#[allow(clippy::result_large_err)]
pub(crate) fn signed_in_person(
    state: &AppState,
    prefs: Prefs,
    user: Option<tongban_services::identity::CurrentUser>,
    back: &str,
) -> Result<tongban_services::identity::CurrentUser, Response> {
    let user = user.ok_or_else(|| crate::identity::see_other(&format!("/login?next={back}")))?;
    if user.kind != tongban_services::identity::AccountKind::Person {
        return Err(crate::admin::no_access(state, prefs));
    }
    Ok(user)
}

async fn wallet_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_person(&state, prefs, user, "/account/certificates") {
        Ok(user) => user,
        Err(response) => return response,
    };
    let snapshot = state.snapshots.current();
    let held = match state
        .applications
        .handling()
        .certificates()
        .wallet(&user, snapshot.catalog.region_id)
        .await
    {
        Ok(held) => held,
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    let now = state.clock.now();
    let rows = held
        .iter()
        .map(|h| HeldRow {
            id: h.row.id,
            name: tongban_services::certificates::summary_name(&h.row.summary),
            issuer: snapshot
                .catalog
                .department_by_id(h.row.department_id)
                .map(|d| d.name.get(prefs.locale).to_owned())
                .unwrap_or_default(),
            issued: local_time(h.row.issued_at),
            expires: date(h.row.expires_at),
            status: held_status(&h.row, now),
        })
        .collect();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/account/certificates")
        .for_user(Some(&user), Some(csrf.token.clone()));
    let mut response = page(
        &state,
        prefs,
        StatusCode::OK,
        WalletPage { c, rows },
        Some(&csrf),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

#[derive(Template)]
#[template(path = "certificates/held.html")]
struct HeldPage<'a> {
    c: Chrome<'a>,
    id: Uuid,
    name: String,
    result: VerdictView,
    qr_svg: String,
    check_url: String,
    token: String,
    /// The fields the holder may withhold, with whether the last presentation kept them.
    choices: Vec<(String, bool)>,
    presentation: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PresentForm {
    #[serde(default)]
    csrf: String,
}

fn qr_svg(text: &str) -> Option<String> {
    let svg = qrcode::QrCode::new(text.as_bytes())
        .ok()?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    // The XML declaration is not allowed inside HTML.
    Some(
        svg.find("<svg")
            .map_or(svg.clone(), |at| svg[at..].to_owned()),
    )
}

#[allow(clippy::too_many_arguments)]
async fn render_held(
    state: &AppState,
    prefs: Prefs,
    user: &tongban_services::identity::CurrentUser,
    headers: &HeaderMap,
    id: &str,
    keep: Option<Vec<String>>,
) -> Response {
    let Ok(id) = Uuid::parse_str(id) else {
        return crate::errors::not_found(state, prefs);
    };
    let snapshot = state.snapshots.current();
    let certificates = state.applications.handling().certificates();
    let held = match certificates
        .held_by(user, snapshot.catalog.region_id, id)
        .await
    {
        Ok(held) => held,
        Err(CertificateError::NotFound) => return crate::errors::not_found(state, prefs),
        Err(error) => return crate::errors::internal_error(state, prefs, &error),
    };
    let verdict = match certificates
        .verify(state.clock.as_ref(), &snapshot.catalog, &held.token)
        .await
    {
        Ok(verdict) => verdict,
        Err(error) => return crate::errors::internal_error(state, prefs, &error),
    };
    let disclosable: Vec<String> = certificate_of(&verdict)
        .map(|c| c.disclosed.clone())
        .unwrap_or_default();
    let presentation = match &keep {
        Some(keep) => {
            let names: Vec<&str> = keep.iter().map(String::as_str).collect();
            match tongban_domain::certificates::sdjwt::present(&held.token, &names) {
                Ok(token) => Some(token),
                Err(error) => return crate::errors::internal_error(state, prefs, &error),
            }
        }
        None => None,
    };
    let choices = disclosable
        .iter()
        .map(|name| {
            let kept = keep.as_ref().is_none_or(|k| k.contains(name));
            (name.clone(), kept)
        })
        .collect();
    let check_url = certificates.check_url(&held.row);
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = format!("/account/certificates/{id}");
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let result = verdict_view(state, prefs, &c.tr, &verdict);
    let body = HeldPage {
        id,
        name: tongban_services::certificates::summary_name(&held.row.summary),
        result,
        qr_svg: qr_svg(&check_url).unwrap_or_default(),
        check_url,
        token: held.token,
        choices,
        presentation,
        c,
    };
    let mut response = page(state, prefs, StatusCode::OK, body, Some(&csrf));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

async fn held_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match signed_in_person(&state, prefs, user, &format!("/account/certificates/{id}")) {
        Ok(user) => user,
        Err(response) => return response,
    };
    // `/account/certificates/{id}.pdf`: the router cannot tell a suffix from the id.
    if let Some(id) = id.strip_suffix(".pdf") {
        return crate::certificate_pdf::held_pdf(&state, prefs, &user, id).await;
    }
    render_held(&state, prefs, &user, &headers, &id, None).await
}

/// Makes a presentation with the ticked fields (checkboxes named `show`, repeated).
async fn present(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let user = match signed_in_person(&state, prefs, user, &format!("/account/certificates/{id}")) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let mut form = PresentForm::default();
    let mut keep = Vec::new();
    for (name, value) in form_urlencoded::parse(&body) {
        match &*name {
            "csrf" => form.csrf = value.into_owned(),
            "show" => keep.push(value.into_owned()),
            _ => {}
        }
    }
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    render_held(&state, prefs, &user, &headers, &id, Some(keep)).await
}

/// Where a certificate's QR code leads: the verdict on the certificate as issued.
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
    let certificates = state.applications.handling().certificates();
    let held = match certificates
        .by_check_code(snapshot.catalog.region_id, id, &code)
        .await
    {
        Ok(held) => held,
        Err(CertificateError::NotFound) => return crate::errors::not_found(&state, prefs),
        Err(error) => return crate::errors::internal_error(&state, prefs, &error),
    };
    match certificates
        .verify(state.clock.as_ref(), &snapshot.catalog, &held.token)
        .await
    {
        Ok(verdict) => render_verify(
            &state,
            prefs,
            user.as_ref(),
            &headers,
            StatusCode::OK,
            String::new(),
            None,
            Some(&verdict),
        ),
        Err(error) => crate::errors::internal_error(&state, prefs, &error),
    }
}
