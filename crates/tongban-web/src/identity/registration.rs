//! Registration pages: the mobile number and the privacy notice, then the SMS code, name,
//! resident ID number and password. Also the privacy notice itself.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tongban_domain::identity::DocumentKind;
use tongban_services::identity::PRIVACY_VERSION;
use tongban_services::identity::registration::{RegistrationDetails, RegistrationError};
use uuid::Uuid;

use super::{
    ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, see_other, signed_in_redirect,
};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", get(start_page).post(start))
        .route("/register/verify", axum::routing::post(verify))
        .route("/privacy", get(privacy))
}

type Errors = Vec<(&'static str, String)>;

#[derive(Template)]
#[template(path = "identity/register.html")]
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

/// Each field: name, label, hint, input type, autocomplete token, value.
type Field = (
    &'static str,
    String,
    String,
    &'static str,
    &'static str,
    String,
);

#[derive(Template)]
#[template(path = "identity/register_verify.html")]
struct VerifyPage<'a> {
    c: Chrome<'a>,
    flow: Uuid,
    demo_code: Option<String>,
    /// The code and the name, before the identity document.
    fields: Vec<Field>,
    document: DocumentEntry,
    /// The document's number (after the choice of kind, before the passport's country).
    document_fields: Vec<Field>,
    /// Key and label of each kind of identity document.
    document_kinds: Vec<(&'static str, String)>,
    /// The new password, after the identity document.
    password_fields: Vec<Field>,
    errors: Errors,
}

/// The identity document as typed: a resident ID card unless the person holds none.
#[derive(Debug, Clone, Default)]
struct DocumentEntry {
    kind: String,
    number: String,
    country: String,
}

impl FormErrors for VerifyPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "identity/hall_verification.html")]
struct HallPage<'a> {
    c: Chrome<'a>,
}

/// The name that signs messages, e.g. 示范市政务服务网.
pub(crate) fn site_name(state: &AppState) -> String {
    state.identity.settings.site_name.clone()
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
    let c = chrome(state, &snapshot, prefs, "/register").for_user(None, Some(csrf.token.clone()));
    page(
        state,
        prefs,
        status,
        StartPage { c, mobile, errors },
        Some(&csrf),
    )
}

#[allow(clippy::too_many_arguments)]
fn verify_form(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    flow: Uuid,
    demo_code: Option<String>,
    name: &str,
    document: DocumentEntry,
    errors: Errors,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c = chrome(state, &snapshot, prefs, "/register/verify")
        .for_user(None, Some(csrf.token.clone()));
    let tr = c.tr;
    let fields = vec![
        (
            "code",
            tr.t("register-code"),
            tr.t("register-code-hint"),
            "text",
            "one-time-code",
            String::new(),
        ),
        (
            "name",
            tr.t("register-name"),
            tr.t("register-name-hint"),
            "text",
            "name",
            name.to_owned(),
        ),
    ];
    let password_fields = vec![
        (
            "password",
            tr.t("password-new"),
            tr.t("password-new-hint"),
            "password",
            "new-password",
            String::new(),
        ),
        (
            "confirm",
            tr.t("password-confirm"),
            String::new(),
            "password",
            "new-password",
            String::new(),
        ),
    ];
    page(
        state,
        prefs,
        status,
        VerifyPage {
            c,
            flow,
            demo_code,
            fields,
            document_fields: vec![(
                "resident_id",
                tr.t("register-resident-id"),
                tr.t("register-resident-id-hint"),
                "text",
                "off",
                document.number.clone(),
            )],
            document,
            document_kinds: DocumentKind::ALL
                .into_iter()
                .map(|kind| {
                    (
                        kind.key(),
                        tr.t(&format!("register-document-{}", kind.key())),
                    )
                })
                .collect(),
            password_fields,
            errors,
        },
        Some(&csrf),
    )
}

async fn start_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    if user.is_some() {
        return see_other("/account");
    }
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
    privacy: Option<String>,
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
    let accepted = form.privacy.as_deref() == Some("accepted");
    let result = state
        .identity
        .start_registration(
            state.clock.as_ref(),
            &form.mobile,
            accepted,
            prefs.locale,
            &site_name(&state),
            state.demo(),
        )
        .await;
    let refuse = |field: &'static str, message: String| {
        start_form(
            &state,
            prefs,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.mobile.clone(),
            vec![(field, message)],
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
            "",
            DocumentEntry::default(),
            Vec::new(),
        ),
        Err(RegistrationError::InvalidMobile) => refuse("mobile", tr.t("register-error-mobile")),
        Err(RegistrationError::PrivacyNotAccepted) => {
            refuse("privacy", tr.t("register-error-privacy"))
        }
        Err(RegistrationError::TooSoon { retry_after_secs }) => refuse(
            "mobile",
            tr.t1("register-error-too-soon", "seconds", retry_after_secs),
        ),
        Err(RegistrationError::TooManyCodes) => refuse("mobile", tr.t("register-error-too-many")),
        Err(RegistrationError::Store(error)) => internal_error(&state, prefs, &error),
        Err(other) => internal_error(&state, prefs, &other),
    }
}

#[derive(Debug, Deserialize)]
struct VerifyForm {
    #[serde(default)]
    flow: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_kind: String,
    /// The document's number (the resident ID number for most people).
    #[serde(default)]
    resident_id: String,
    #[serde(default)]
    country: String,
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
    Form(form): Form<VerifyForm>,
) -> Response {
    if !csrf::verify(&state.secret, None, &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let Ok(flow) = Uuid::parse_str(form.flow.trim()) else {
        return see_other("/register");
    };
    let refuse = |field: &'static str, message: String| {
        verify_form(
            &state,
            prefs,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            flow,
            None,
            &form.name,
            DocumentEntry {
                kind: form.document_kind.clone(),
                number: form.resident_id.clone(),
                country: form.country.clone(),
            },
            vec![(field, message)],
        )
    };
    if form.password != form.confirm {
        return refuse("confirm", tr.t("password-error-mismatch"));
    }
    let site = site_name(&state);
    let details = RegistrationDetails {
        flow,
        code: &form.code,
        name: &form.name,
        // No choice made (older pages, scripts) means a resident ID card.
        document_kind: DocumentKind::from_key(form.document_kind.trim())
            .unwrap_or(DocumentKind::ResidentId),
        document_number: &form.resident_id,
        passport_country: &form.country,
        password: &form.password,
        locale: prefs.locale,
        site: &site,
    };
    let origin = origin(&headers, peer);
    match state
        .identity
        .complete_registration(state.clock.as_ref(), &details, &origin)
        .await
    {
        Ok(session) => signed_in_redirect(&state, &session, "/account/inbox"),
        Err(RegistrationError::CodeWrong) => refuse("code", tr.t("register-error-code-wrong")),
        Err(RegistrationError::CodeExpired) => refuse("code", tr.t("register-error-code-expired")),
        Err(RegistrationError::InvalidName(_)) => refuse("name", tr.t("register-error-name")),
        Err(RegistrationError::InvalidResidentId(_)) => {
            refuse("resident_id", tr.t("register-error-resident-id"))
        }
        Err(RegistrationError::InvalidDocument(_)) => {
            refuse("resident_id", tr.t("register-error-document"))
        }
        Err(RegistrationError::InvalidCountry(_)) => {
            refuse("country", tr.t("register-error-country"))
        }
        Err(RegistrationError::PasswordRejected(rejection)) => {
            refuse("password", super::rejection_message(&tr, rejection))
        }
        Err(RegistrationError::RealNameMismatch) => {
            refuse("name", tr.t("register-error-real-name"))
        }
        Err(RegistrationError::MobileTaken) => refuse("code", tr.t("register-error-mobile-taken")),
        Err(RegistrationError::NeedsHallVerification) => {
            let snapshot = state.snapshots.current();
            let c = chrome(&state, &snapshot, prefs, "/register/verify");
            page(&state, prefs, StatusCode::CONFLICT, HallPage { c }, None)
        }
        Err(RegistrationError::Store(error)) => internal_error(&state, prefs, &error),
        Err(other) => internal_error(&state, prefs, &other),
    }
}

#[derive(Template)]
#[template(path = "identity/privacy.html")]
struct PrivacyPage<'a> {
    c: Chrome<'a>,
    version: &'static str,
    sections: Vec<(String, String)>,
}

/// The privacy notice people accept at registration, in its current version.
async fn privacy(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = user
        .as_ref()
        .map(|u| Csrf::issue(&state.secret, Some(u), &headers).token);
    let c = chrome(&state, &snapshot, prefs, "/privacy").for_user(user.as_ref(), csrf);
    let tr = c.tr;
    let sections = ["collect", "use", "store", "share", "keep", "rights"]
        .into_iter()
        .map(|part| {
            (
                tr.t(&format!("privacy-{part}-title")),
                tr.t(&format!("privacy-{part}")),
            )
        })
        .collect();
    page(
        &state,
        prefs,
        StatusCode::OK,
        PrivacyPage {
            c,
            version: PRIVACY_VERSION,
            sections,
        },
        None,
    )
}
