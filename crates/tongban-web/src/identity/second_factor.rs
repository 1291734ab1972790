//! The staff second factor in the browser: the gate that keeps a session that owes it away
//! from everything else, the code page, and enrolment with a QR code.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tongban_services::identity::mfa::SecondFactorError;
use tongban_services::identity::{CurrentUser, PasswordDue, SecondFactor};

use super::{
    ClientAddr, FormErrors, MaybeUser, ResolvedUser, forbidden, origin, page, see_other,
    signed_in_redirect, with_session_cookie,
};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::layout::Chrome;
use crate::prefs::{Prefs, is_local_path};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login/second-factor", get(code_page).post(check_code))
        .route("/account/second-factor", get(enrol_page).post(enrol))
}

/// Paths a session that owes the second factor may still reach.
fn allowed_while_owed(path: &str) -> bool {
    matches!(
        path,
        "/login/second-factor" | "/account/second-factor" | "/logout"
    ) || path.starts_with("/static/")
        || path.starts_with("/preferences/")
        || matches!(path, "/healthz" | "/readyz")
}

/// Resolves the signed-in user once per request (handlers read it through [`MaybeUser`]) and
/// answers with a redirect when a staff session that owes the second factor asks for anything
/// else than the code or enrolment page. Anonymous requests (the public pages' hot path) pass
/// untouched.
pub async fn gate(state: &AppState, request: &mut Request) -> Option<Response> {
    crate::prefs::cookie(request.headers(), super::SESSION_COOKIE)?;
    let user = super::resolve_user(state, request.headers()).await;
    if let Some(user) = &user
        && user.second_factor != SecondFactor::Passed
        && !allowed_while_owed(request.uri().path())
    {
        if user.second_factor == SecondFactor::EnrolmentOwed {
            return Some(see_other("/account/second-factor"));
        }
        // A page asked for on the way (a department system's sign-in request, a bookmark)
        // opens once the code is entered.
        let wanted = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .filter(|p| request.method() == axum::http::Method::GET && is_local_path(p));
        return Some(see_other(&match wanted {
            Some(path) => format!(
                "/login/second-factor?next={}",
                form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            ),
            None => "/login/second-factor".to_owned(),
        }));
    }
    // Staff whose password an administrator chose, or whose password the strict policy finds
    // too old, replace it before anything else (after the second factor, so a stolen initial
    // password alone reaches nothing).
    if let Some(user) = &user
        && user.password_due != PasswordDue::No
        && request.uri().path() != "/account/password"
        && !allowed_while_owed(request.uri().path())
    {
        return Some(see_other("/account/password"));
    }
    request.extensions_mut().insert(ResolvedUser(user));
    None
}

type Errors = Vec<(&'static str, String)>;

#[derive(Template)]
#[template(path = "identity/second_factor.html")]
struct CodePage<'a> {
    c: Chrome<'a>,
    errors: Errors,
    /// Where to go once the code is accepted (a local path).
    next: String,
}

impl FormErrors for CodePage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "identity/enrol.html")]
struct EnrolPage<'a> {
    c: Chrome<'a>,
    secret: String,
    sealed: String,
    qr_svg: String,
    errors: Errors,
}

impl FormErrors for EnrolPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "identity/recovery_codes.html")]
struct RecoveryPage<'a> {
    c: Chrome<'a>,
    codes: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn code_form(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Errors,
    next: String,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/login/second-factor")
        .for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        CodePage { c, errors, next },
        Some(&csrf),
    )
}

/// The local page to open after the code, `/account` when none (or an unsafe one) was asked.
fn next_or_account(next: Option<&str>) -> String {
    next.filter(|n| is_local_path(n))
        .unwrap_or("/account")
        .to_owned()
}

#[derive(Debug, Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

async fn code_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let next = next_or_account(query.next.as_deref());
    match user {
        Some(user) if user.second_factor == SecondFactor::Owed => code_form(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::OK,
            Vec::new(),
            next,
        ),
        Some(_) => see_other(&next),
        None => see_other("/login"),
    }
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

async fn check_code(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(user) = user.filter(|u| u.second_factor == SecondFactor::Owed) else {
        return see_other("/login");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let next = next_or_account(Some(&form.next));
    match state
        .identity
        .pass_second_factor(
            state.clock.as_ref(),
            &user,
            &form.code,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(session) => signed_in_redirect(&state, &session, &next),
        Err(SecondFactorError::WrongCode | SecondFactorError::BadEnrolment) => code_form(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![("code", tr.t("mfa-error-code"))],
            next,
        ),
        Err(SecondFactorError::Throttled { retry_after_secs }) => code_form(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            vec![(
                "code",
                tr.t1(
                    "login-error-throttled",
                    "minutes",
                    (retry_after_secs + 59) / 60,
                ),
            )],
            next,
        ),
        Err(SecondFactorError::Store(error)) => internal_error(&state, prefs, &error),
    }
}

fn enrol_form(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let issuer = state.identity.settings.site_name.clone();
    let enrolment = match state
        .identity
        .start_enrolment(user, &issuer, &user.display_name)
    {
        Ok(enrolment) => enrolment,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let qr_svg = match qrcode::QrCode::new(enrolment.uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(error) => return internal_error(state, prefs, &error),
    };
    // The XML declaration is not allowed inside HTML.
    let qr_svg = match qr_svg.find("<svg") {
        Some(start) => qr_svg[start..].to_owned(),
        None => qr_svg,
    };
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/account/second-factor")
        .for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        EnrolPage {
            c,
            secret: enrolment.secret,
            sealed: enrolment.sealed,
            qr_svg,
            errors,
        },
        Some(&csrf),
    )
}

async fn enrol_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    match user {
        Some(user) if user.second_factor == SecondFactor::EnrolmentOwed => {
            enrol_form(&state, prefs, &user, &headers, StatusCode::OK, Vec::new())
        }
        Some(_) => see_other("/account"),
        None => see_other("/login"),
    }
}

#[derive(Debug, Deserialize)]
struct EnrolForm {
    #[serde(default)]
    sealed: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

async fn enrol(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<EnrolForm>,
) -> Response {
    let Some(user) = user.filter(|u| u.second_factor == SecondFactor::EnrolmentOwed) else {
        return see_other("/account");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    match state
        .identity
        .confirm_enrolment(
            state.clock.as_ref(),
            &user,
            &form.sealed,
            &form.code,
            &origin(&headers, peer),
        )
        .await
    {
        Ok((session, codes)) => {
            let snapshot = state.snapshots.current();
            let c = chrome(&state, &snapshot, prefs, "/account/second-factor");
            // The recovery codes are shown once, on this page, with the new session's cookie.
            let response = page(
                &state,
                prefs,
                StatusCode::OK,
                RecoveryPage { c, codes },
                None,
            );
            with_session_cookie(&state, response, &session)
        }
        Err(SecondFactorError::Store(error)) => internal_error(&state, prefs, &error),
        Err(_) => enrol_form(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![("code", tr.t("mfa-error-code"))],
        ),
    }
}
