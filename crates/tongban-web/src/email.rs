//! E-mail pages: adding, changing and removing the address on one's account (a new address is
//! stored only after the code sent to it is entered), and password reset by e-mail code.
//!
//! Asking for a reset code shows the same page whether or not the address belongs to an
//! account. Every form carries a CSRF token; a POST without a valid one is refused with 403.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_services::identity::CurrentUser;
use tongban_services::identity::email::EmailChange;
use tongban_services::identity::registration::{CODE_MINUTES, RegistrationError};
use uuid::Uuid;

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::identity::registration::site_name;
use crate::identity::reset::{Field, ResetCodeForm, finish_reset};
use crate::identity::{
    ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, rejection_message, see_other,
};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/email", get(address_page).post(start_change))
        .route("/account/email/verify", post(confirm_change))
        .route("/account/email/remove", post(remove))
        .route("/password-reset/email", get(reset_page).post(start_reset))
        .route("/password-reset/email/verify", post(complete_reset))
}

type Errors = Vec<(&'static str, String)>;

fn available(state: &AppState) -> bool {
    state.identity.settings.email_channel
}

/// The message for a refused code request or code, if it is one a person can act on.
fn code_error(
    tr: &crate::i18n::Tr<'_>,
    error: &RegistrationError,
) -> Option<(&'static str, String)> {
    Some(match error {
        RegistrationError::InvalidEmail => ("email", tr.t("email-error-invalid")),
        RegistrationError::EmailUnchanged => ("email", tr.t("email-error-unchanged")),
        RegistrationError::EmailUnavailable => ("email", tr.t("email-unavailable")),
        RegistrationError::TooSoon { retry_after_secs } => (
            "email",
            tr.t1("register-error-too-soon", "seconds", *retry_after_secs),
        ),
        RegistrationError::TooManyCodes => ("email", tr.t("register-error-too-many")),
        RegistrationError::CodeWrong => ("code", tr.t("register-error-code-wrong")),
        RegistrationError::CodeExpired => ("code", tr.t("register-error-code-expired")),
        RegistrationError::EmailTaken => ("code", tr.t("email-error-taken")),
        RegistrationError::PasswordRejected(rejection) => {
            ("password", rejection_message(tr, *rejection))
        }
        _ => return None,
    })
}

// ---- The address on one's account ----

#[derive(Template)]
#[template(path = "email/address.html")]
struct AddressPage<'a> {
    c: Chrome<'a>,
    available: bool,
    current: Option<String>,
    done: Option<String>,
    email: String,
    errors: Errors,
}

impl FormErrors for AddressPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "email/verify.html")]
struct VerifyPage<'a> {
    c: Chrome<'a>,
    flow: Uuid,
    /// The new address, masked.
    masked: String,
    minutes: i64,
    demo_code: Option<String>,
    errors: Errors,
}

impl FormErrors for VerifyPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

async fn address_form(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    (done, email): (Option<String>, String),
    errors: Errors,
) -> Response {
    let profile = match state.identity.profile(state.clock.as_ref(), user).await {
        Ok(profile) => profile,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/account/email")
        .for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        AddressPage {
            c,
            available: available(state),
            current: profile.email,
            done,
            email,
            errors,
        },
        Some(&csrf),
    )
}

fn verify_form(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    (flow, masked, demo_code): (Uuid, String, Option<String>),
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/account/email/verify")
        .for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        VerifyPage {
            c,
            flow,
            masked,
            minutes: CODE_MINUTES,
            demo_code,
            errors,
        },
        Some(&csrf),
    )
}

async fn address_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/email");
    };
    let tr = state.i18n.tr(prefs.locale);
    let done = match query.done.as_deref() {
        Some("changed") => Some(tr.t("email-done-changed")),
        Some("removed") => Some(tr.t("email-done-removed")),
        _ => None,
    };
    address_form(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        (done, String::new()),
        Vec::new(),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ChangeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

async fn start_change(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/email");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let result = state
        .identity
        .start_email_change(
            state.clock.as_ref(),
            &user,
            &form.email,
            (prefs.locale, &site_name(&state), state.demo()),
            &origin(&headers, peer),
        )
        .await;
    match result {
        Ok(started) => {
            let masked = tongban_domain::identity::EmailAddress::parse(&form.email)
                .map(|e| e.masked())
                .unwrap_or_default();
            verify_form(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::OK,
                (started.flow, masked, started.demo_code),
                Vec::new(),
            )
        }
        Err(error) => match code_error(&tr, &error) {
            Some((_, message)) => {
                address_form(
                    &state,
                    prefs,
                    &user,
                    &headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    (None, form.email.trim().to_owned()),
                    vec![("email", message)],
                )
                .await
            }
            None => internal_error(&state, prefs, &error),
        },
    }
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    flow: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    masked: String,
    #[serde(default)]
    csrf: String,
}

async fn confirm_change(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/email");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let Ok(flow) = Uuid::parse_str(form.flow.trim()) else {
        return see_other("/account/email");
    };
    let tr = state.i18n.tr(prefs.locale);
    let result = state
        .identity
        .confirm_email_change(
            state.clock.as_ref(),
            &user,
            &EmailChange {
                flow,
                code: &form.code,
                locale: prefs.locale,
                site: &site_name(&state),
            },
            &origin(&headers, peer),
        )
        .await;
    match result {
        Ok(_) => see_other("/account/email?done=changed"),
        Err(error) => match code_error(&tr, &error) {
            Some((_, message)) => {
                // The masked address only labels the page again; it is never trusted.
                let masked: String = form.masked.chars().take(254).collect();
                verify_form(
                    &state,
                    prefs,
                    &user,
                    &headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    (flow, masked, None),
                    vec![("code", message)],
                )
            }
            None => internal_error(&state, prefs, &error),
        },
    }
}

#[derive(Debug, Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

async fn remove(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/email");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    match state
        .identity
        .remove_email(
            state.clock.as_ref(),
            &user,
            prefs.locale,
            &site_name(&state),
            &origin(&headers, peer),
        )
        .await
    {
        Ok(true) => see_other("/account/email?done=removed"),
        Ok(false) => see_other("/account/email"),
        Err(error) => internal_error(&state, prefs, &error),
    }
}

// ---- Password reset by e-mail code ----

#[derive(Template)]
#[template(path = "email/reset.html")]
struct ResetPage<'a> {
    c: Chrome<'a>,
    available: bool,
    email: String,
    errors: Errors,
}

impl FormErrors for ResetPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "email/reset_verify.html")]
struct ResetVerifyPage<'a> {
    c: Chrome<'a>,
    flow: Uuid,
    minutes: i64,
    demo_code: Option<String>,
    fields: Vec<Field>,
    errors: Errors,
}

impl FormErrors for ResetVerifyPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

fn reset_form(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    email: String,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c = chrome(state, &snapshot, prefs, "/password-reset/email")
        .for_user(None, Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        ResetPage {
            c,
            available: available(state),
            email,
            errors,
        },
        Some(&csrf),
    )
}

fn reset_verify_form(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    (flow, demo_code): (Uuid, Option<String>),
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c = chrome(state, &snapshot, prefs, "/password-reset/email/verify")
        .for_user(None, Some(csrf.token.clone()));
    let fields = crate::identity::reset::code_and_password_fields(&c.tr, c.tr.t("email-code-hint"));
    page(
        state,
        prefs,
        status,
        ResetVerifyPage {
            c,
            flow,
            minutes: CODE_MINUTES,
            demo_code,
            fields,
            errors,
        },
        Some(&csrf),
    )
}

async fn reset_page(State(state): State<AppState>, prefs: Prefs, headers: HeaderMap) -> Response {
    reset_form(
        &state,
        prefs,
        &headers,
        StatusCode::OK,
        String::new(),
        Vec::new(),
    )
}

async fn start_reset(
    State(state): State<AppState>,
    prefs: Prefs,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    if !csrf::verify(&state.secret, None, &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let result = state
        .identity
        .start_password_reset_by_email(
            state.clock.as_ref(),
            &form.email,
            prefs.locale,
            &site_name(&state),
            state.demo(),
        )
        .await;
    match result {
        Ok(started) => reset_verify_form(
            &state,
            prefs,
            &headers,
            StatusCode::OK,
            (started.flow, started.demo_code),
            Vec::new(),
        ),
        Err(error) => match code_error(&tr, &error) {
            Some((_, message)) => reset_form(
                &state,
                prefs,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                form.email.trim().to_owned(),
                vec![("email", message)],
            ),
            None => internal_error(&state, prefs, &error),
        },
    }
}

async fn complete_reset(
    State(state): State<AppState>,
    prefs: Prefs,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<ResetCodeForm>,
) -> Response {
    finish_reset(
        &state,
        prefs,
        peer,
        &headers,
        &form,
        "/password-reset/email",
        |flow, errors| {
            reset_verify_form(
                &state,
                prefs,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                (flow, None),
                errors,
            )
        },
    )
    .await
}
