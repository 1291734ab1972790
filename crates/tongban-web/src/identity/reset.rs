//! Password reset by SMS code, and closing one's own account.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_services::identity::registration::RegistrationError;
use tongban_services::identity::reset::{CloseError, PasswordReset, RETENTION_YEARS};
use uuid::Uuid;

use super::registration::site_name;
use super::{
    ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, see_other, signed_in_redirect,
    signed_out_redirect,
};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password-reset", get(start_page).post(start))
        .route("/password-reset/verify", post(verify))
        .route("/account/close", get(close_page).post(close))
        .route("/account/closed", get(closed))
}

type Errors = Vec<(&'static str, String)>;

#[derive(Template)]
#[template(path = "identity/reset.html")]
struct StartPage<'a> {
    c: Chrome<'a>,
    mobile: String,
    errors: Errors,
}

impl FormErrors for StartPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

/// Each field: name, label, hint, input type, autocomplete token.
/// Name, label, hint, input type and autocomplete token of a form field.
pub(crate) type Field = (&'static str, String, String, &'static str, &'static str);

#[derive(Template)]
#[template(path = "identity/reset_verify.html")]
struct VerifyPage<'a> {
    c: Chrome<'a>,
    flow: Uuid,
    demo_code: Option<String>,
    fields: Vec<Field>,
    errors: Errors,
}

impl FormErrors for VerifyPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

fn start_form(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    mobile: String,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c =
        chrome(state, &snapshot, prefs, "/password-reset").for_user(None, Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        StartPage { c, mobile, errors },
        Some(&csrf),
    )
}

/// The fields that finish a reset: the code (whose hint says where it was sent) and the new
/// password twice.
pub(crate) fn code_and_password_fields(tr: &crate::i18n::Tr<'_>, code_hint: String) -> Vec<Field> {
    vec![
        (
            "code",
            tr.t("register-code"),
            code_hint,
            "text",
            "one-time-code",
        ),
        (
            "password",
            tr.t("password-new"),
            tr.t("password-new-hint"),
            "password",
            "new-password",
        ),
        (
            "confirm",
            tr.t("password-confirm"),
            String::new(),
            "password",
            "new-password",
        ),
    ]
}

fn verify_form(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    flow: Uuid,
    demo_code: Option<String>,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c = chrome(state, &snapshot, prefs, "/password-reset/verify")
        .for_user(None, Some(csrf.token.clone()));
    let fields = code_and_password_fields(&c.tr, c.tr.t("register-code-hint"));
    page(
        state,
        prefs,
        status,
        VerifyPage {
            c,
            flow,
            demo_code,
            fields,
            errors,
        },
        Some(&csrf),
    )
}

async fn start_page(State(state): State<AppState>, prefs: Prefs, headers: HeaderMap) -> Response {
    start_form(
        &state,
        prefs,
        &headers,
        StatusCode::OK,
        String::new(),
        Vec::new(),
    )
}

#[derive(Debug, Deserialize)]
struct StartForm {
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    csrf: String,
}

async fn start(
    State(state): State<AppState>,
    prefs: Prefs,
    headers: HeaderMap,
    Form(form): Form<StartForm>,
) -> Response {
    if !csrf::verify(&state.secret, None, &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let result = state
        .identity
        .start_password_reset(
            state.clock.as_ref(),
            &form.mobile,
            prefs.locale,
            &site_name(&state),
            state.demo(),
        )
        .await;
    let refuse = |message: String| {
        start_form(
            &state,
            prefs,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.mobile.clone(),
            vec![("mobile", message)],
        )
    };
    match result {
        Ok(started) => verify_form(
            &state,
            prefs,
            &headers,
            StatusCode::OK,
            started.flow,
            started.demo_code,
            Vec::new(),
        ),
        Err(RegistrationError::InvalidMobile) => refuse(tr.t("register-error-mobile")),
        Err(RegistrationError::TooSoon { retry_after_secs }) => {
            refuse(tr.t1("register-error-too-soon", "seconds", retry_after_secs))
        }
        Err(RegistrationError::TooManyCodes) => refuse(tr.t("register-error-too-many")),
        Err(other) => internal_error(&state, prefs, &other),
    }
}

/// The form that finishes a reset, whichever way its code was sent.
#[derive(Debug, Deserialize)]
pub(crate) struct ResetCodeForm {
    #[serde(default)]
    flow: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

async fn verify(
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
        "/password-reset",
        |flow, errors| {
            verify_form(
                &state,
                prefs,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                flow,
                None,
                errors,
            )
        },
    )
    .await
}

/// Checks a reset's code and new password, for the SMS and the e-mail path alike: a flow that
/// does not parse starts again at `restart`, a refusal is shown by `refuse` on that path's own
/// page, success signs the person in.
pub(crate) async fn finish_reset(
    state: &AppState,
    prefs: Prefs,
    peer: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
    form: &ResetCodeForm,
    restart: &str,
    refuse: impl Fn(Uuid, Vec<(&'static str, String)>) -> Response,
) -> Response {
    if !csrf::verify(&state.secret, None, headers, &form.csrf) {
        return forbidden(state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let Ok(flow) = Uuid::parse_str(form.flow.trim()) else {
        return see_other(restart);
    };
    let refuse = |field: &'static str, message: String| refuse(flow, vec![(field, message)]);
    if form.password != form.confirm {
        return refuse("confirm", tr.t("password-error-mismatch"));
    }
    let result = state
        .identity
        .complete_password_reset(
            state.clock.as_ref(),
            &PasswordReset {
                flow,
                code: &form.code,
                password: &form.password,
                locale: prefs.locale,
                site: &site_name(state),
            },
            &origin(headers, peer),
        )
        .await;
    match result {
        Ok(session) => signed_in_redirect(state, &session, "/account?done=password"),
        Err(RegistrationError::CodeWrong) => refuse("code", tr.t("register-error-code-wrong")),
        Err(RegistrationError::CodeExpired) => refuse("code", tr.t("register-error-code-expired")),
        Err(RegistrationError::PasswordRejected(rejection)) => {
            refuse("password", super::rejection_message(&tr, rejection))
        }
        Err(other) => internal_error(state, prefs, &other),
    }
}

#[derive(Template)]
#[template(path = "identity/close.html")]
struct ClosePage<'a> {
    c: Chrome<'a>,
    years: u32,
    errors: Errors,
}

impl FormErrors for ClosePage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

fn close_form(
    state: &AppState,
    prefs: Prefs,
    user: &tongban_services::identity::CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/account/close")
        .for_user(Some(user), Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        ClosePage {
            c,
            years: RETENTION_YEARS,
            errors,
        },
        Some(&csrf),
    )
}

async fn close_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/close");
    };
    close_form(&state, prefs, &user, &headers, StatusCode::OK, Vec::new())
}

#[derive(Debug, Deserialize)]
struct CloseForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn close(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CloseForm>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/close");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let refuse = |field: &'static str, message: String| {
        close_form(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![(field, message)],
        )
    };
    if form.confirm.as_deref() != Some("yes") {
        return refuse("confirm", tr.t("close-error-confirm"));
    }
    match state
        .identity
        .close_account(
            state.clock.as_ref(),
            &user,
            &form.password,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(()) => signed_out_redirect(&state, "/account/closed"),
        Err(CloseError::WrongPassword) => refuse("password", tr.t("close-error-password")),
        Err(CloseError::StaffAccount) => refuse("password", tr.t("close-error-staff")),
        Err(CloseError::Store(error)) => internal_error(&state, prefs, &error),
    }
}

/// The page after closing: no account, just the confirmation.
async fn closed(State(state): State<AppState>, prefs: Prefs) -> Response {
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/account/closed");
    let tr = c.tr;
    page(
        &state,
        prefs,
        StatusCode::OK,
        crate::errors::ErrorPage {
            title: tr.t("closed-title"),
            message: tr.t("closed-message"),
            error_id: None,
            c,
        },
        None,
    )
}
