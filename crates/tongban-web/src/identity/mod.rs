//! Signing in and out, and the signed-in person's account page.
//!
//! The session cookie is `HttpOnly`, `SameSite=Lax` and `Secure` behind HTTPS; a new session is
//! issued at every sign-in. Every form carries a CSRF token; a POST without a valid one is
//! refused with 403 before anything else happens.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Query, State};
use axum::http::header::{LOCATION, RETRY_AFTER, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_services::identity::password::PasswordRejection;
use tongban_services::identity::{
    CurrentUser, IssuedSession, LoginError, Origin, PasswordChangeError, PasswordDue, Profile,
};

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::layout::Chrome;
use crate::prefs::{Prefs, cookie, is_local_path};
use crate::state::AppState;

mod inbox;
pub(crate) mod registration;
pub(crate) mod reset;
pub mod second_factor;

pub const SESSION_COOKIE: &str = "tb_session";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/account", get(account))
        .route("/account/sign-out-everywhere", post(sign_out_everywhere))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route("/account/data", get(download_data))
        .merge(registration::router())
        .merge(inbox::router())
        .merge(reset::router())
        .merge(second_factor::router())
}

/// The signed-in user, if the request carries a live session. Looking it up costs a database
/// read, so only requests with a session cookie pay it.
#[derive(Debug, Clone, Default)]
pub struct MaybeUser(pub Option<CurrentUser>);

/// The user the second-factor gate already looked up for this request.
#[derive(Debug, Clone)]
pub struct ResolvedUser(pub Option<CurrentUser>);

/// The live session's user, if the request carries a session cookie (a database read).
pub(crate) async fn resolve_user(state: &AppState, headers: &HeaderMap) -> Option<CurrentUser> {
    let token = cookie(headers, SESSION_COOKIE).filter(|t| !t.is_empty() && t.len() <= 128)?;
    match state
        .identity
        .current_user(state.clock.as_ref(), token)
        .await
    {
        Ok(user) => user,
        Err(error) => {
            tracing::error!(%error, "session look-up failed; treating the request as signed out");
            None
        }
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ResolvedUser(user)) = parts.extensions.get::<ResolvedUser>() {
            return Ok(MaybeUser(user.clone()));
        }
        Ok(MaybeUser(resolve_user(state, &parts.headers).await))
    }
}

/// The client's address as a trusted reverse proxy reported it (`server.trust_proxy`).
#[derive(Debug, Clone, Copy)]
pub struct ForwardedClient(pub SocketAddr);

/// The client's address: what a trusted proxy forwarded, else the peer's when the server was
/// started with connect info (tests through `oneshot` have none).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ForwardedClient>()
                .map(|f| f.0)
                .or_else(|| {
                    parts
                        .extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| c.0)
                }),
        ))
    }
}

/// The client's address and browser, for audit and throttling.
pub(crate) fn origin(parts_headers: &HeaderMap, peer: Option<SocketAddr>) -> Origin {
    Origin {
        ip: peer.map(|p| p.ip().to_string()),
        user_agent: parts_headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static(crate::HTML),
    );
    headers.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

pub(crate) fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

pub(crate) fn session_cookie(token: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("tb_session=; Path=/; Max-Age=0"))
}

/// Renders a page of this feature: never cached, with the CSRF seed cookie when the page's form
/// needs one and the language cookie when the language was chosen in the URL.
pub(crate) fn page<T: Template>(
    state: &AppState,
    prefs: Prefs,
    status: StatusCode,
    page: T,
    csrf: Option<&Csrf>,
) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = html(status, body);
            if let Some(csrf) = csrf {
                csrf.apply(&mut response, state.settings.secure_cookies);
            }
            prefs.apply(&mut response, state.settings.secure_cookies);
            response
        }
        Err(error) => crate::errors::render_failed(state, prefs, error),
    }
}

/// Redirects to `location` with the cookie of a session just issued.
pub(crate) fn signed_in_redirect(
    state: &AppState,
    session: &IssuedSession,
    location: &str,
) -> Response {
    with_session_cookie(state, see_other(location), session)
}

/// Adds the cookie of a session just issued to a response.
pub(crate) fn with_session_cookie(
    state: &AppState,
    mut response: Response,
    session: &IssuedSession,
) -> Response {
    let max_age = (session.expires_at - state.clock.now())
        .num_seconds()
        .max(0);
    response.headers_mut().append(
        SET_COOKIE,
        session_cookie(&session.token, max_age, state.settings.secure_cookies),
    );
    response
}

/// Redirects to `location` and removes the session cookie.
pub(crate) fn signed_out_redirect(state: &AppState, location: &str) -> Response {
    let mut response = see_other(location);
    response.headers_mut().append(
        SET_COOKIE,
        session_cookie("", 0, state.settings.secure_cookies),
    );
    response
}

/// 403 for a form whose CSRF token is missing or wrong.
pub(crate) fn forbidden(state: &AppState, prefs: Prefs) -> Response {
    crate::errors::error_page(state, prefs, StatusCode::FORBIDDEN, "csrf", None)
}

#[derive(Debug, Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
}

struct DemoAccountLine {
    login: String,
    who: String,
}

#[derive(Template)]
#[template(path = "identity/login.html")]
struct LoginPage<'a> {
    c: Chrome<'a>,
    identifier: String,
    next: String,
    errors: Vec<(&'static str, String)>,
    demo_accounts: Vec<DemoAccountLine>,
    demo_password: String,
}

fn demo_lines(state: &AppState, prefs: Prefs) -> (Vec<DemoAccountLine>, String) {
    if !state.demo() {
        return (Vec::new(), String::new());
    }
    let Ok(demo) = tongban_services::identity::demo_accounts() else {
        return (Vec::new(), String::new());
    };
    let tr = state.i18n.tr(prefs.locale);
    let mut lines: Vec<DemoAccountLine> = demo
        .people
        .iter()
        .map(|p| DemoAccountLine {
            login: p.mobile.clone(),
            who: format!("{} · {}", p.name, p.about.get(prefs.locale)),
        })
        .collect();
    lines.extend(demo.staff.iter().map(|s| DemoAccountLine {
        login: s.username.clone(),
        who: format!(
                "{} · {}",
                s.name,
                s.roles
                    .iter()
                    .map(|r| tr.t(&format!("role-{r}")))
                    .collect::<Vec<_>>()
                    .join(&tr.t("list-separator"))
            ),
    }));
    (lines, demo.password.clone())
}

#[allow(clippy::too_many_arguments)]
fn render_login(
    state: &AppState,
    prefs: Prefs,
    headers: &HeaderMap,
    status: StatusCode,
    identifier: String,
    next: String,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, None, headers);
    let c = chrome(state, &snapshot, prefs, "/login").for_user(None, Some(csrf.token.clone()));
    let (demo_accounts, demo_password) = demo_lines(state, prefs);
    page(
        state,
        prefs,
        status,
        LoginPage {
            c,
            identifier,
            next,
            errors,
            demo_accounts,
            demo_password,
        },
        Some(&csrf),
    )
}

async fn login_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    let next = query
        .next
        .filter(|n| is_local_path(n))
        .unwrap_or_else(|| "/account".to_owned());
    if user.is_some() {
        return see_other(&next);
    }
    render_login(
        &state,
        prefs,
        &headers,
        StatusCode::OK,
        String::new(),
        next,
        Vec::new(),
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<AppState>,
    prefs: Prefs,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    if !csrf::verify(&state.secret, None, &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let next = Some(form.next.clone())
        .filter(|n| is_local_path(n))
        .unwrap_or_else(|| "/account".to_owned());
    let identifier = form.identifier.trim().to_owned();
    let mut errors = Vec::new();
    if identifier.is_empty() {
        errors.push(("identifier", tr.t("login-error-identifier-missing")));
    }
    if form.password.is_empty() {
        errors.push(("password", tr.t("login-error-password-missing")));
    }
    if !errors.is_empty() {
        return render_login(
            &state,
            prefs,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            identifier,
            next,
            errors,
        );
    }
    let origin = origin(&headers, peer);
    match state
        .identity
        .login(state.clock.as_ref(), &identifier, &form.password, &origin)
        .await
    {
        Ok(session) => signed_in_redirect(&state, &session, &next),
        Err(LoginError::Invalid) => render_login(
            &state,
            prefs,
            &headers,
            StatusCode::UNAUTHORIZED,
            identifier,
            next,
            vec![("identifier", tr.t("login-error-invalid"))],
        ),
        Err(LoginError::Throttled { retry_after_secs }) => {
            let minutes = (retry_after_secs + 59) / 60;
            let mut response = render_login(
                &state,
                prefs,
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                identifier,
                next,
                vec![(
                    "identifier",
                    tr.t1("login-error-throttled", "minutes", minutes),
                )],
            );
            if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
            response
        }
        Err(LoginError::Store(error)) => internal_error(&state, prefs, &error),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Which sessions a sign-out ends.
#[derive(Clone, Copy)]
enum SignOut {
    ThisBrowser,
    Everywhere,
}

async fn logout(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    sign_out(
        &state,
        prefs,
        user,
        peer,
        &headers,
        &form,
        SignOut::ThisBrowser,
    )
    .await
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    sign_out(
        &state,
        prefs,
        user,
        peer,
        &headers,
        &form,
        SignOut::Everywhere,
    )
    .await
}

async fn sign_out(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    form: &CsrfForm,
    scope: SignOut,
) -> Response {
    let Some(user) = user else {
        // Already signed out (an expired session): nothing to protect, just go home.
        return see_other("/");
    };
    if !csrf::verify(&state.secret, Some(&user), headers, &form.csrf) {
        return forbidden(state, prefs);
    }
    let origin = origin(headers, peer);
    let clock = state.clock.as_ref();
    let ended = match scope {
        SignOut::ThisBrowser => state.identity.logout(clock, &user, &origin).await,
        SignOut::Everywhere => state
            .identity
            .logout_everywhere(clock, &user, &origin)
            .await
            .map(|_| ()),
    };
    if let Err(error) = ended {
        return internal_error(state, prefs, &error);
    }
    signed_out_redirect(state, "/")
}

struct RoleLine {
    role: String,
    scope: String,
}

struct SessionLine {
    started: String,
    last_seen: String,
    from: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "identity/account.html")]
struct AccountPage<'a> {
    c: Chrome<'a>,
    /// Staff with an administration role get a link to their tools.
    admin_tools: bool,
    done: Option<String>,
    profile: Profile,
    roles: Vec<RoleLine>,
    sessions: Vec<SessionLine>,
    /// People and enterprises this person may act for (see `crate::agency`).
    acts_for: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account");
    };
    let profile = match state.identity.profile(state.clock.as_ref(), &user).await {
        Ok(profile) => profile,
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(&user), &headers);
    let c = chrome(&state, &snapshot, prefs, "/account")
        .for_user(Some(&user), Some(csrf.token.clone()));
    let tr = c.tr;
    let department_name = |id: uuid::Uuid| -> Option<String> {
        snapshot
            .catalog
            .department_by_id(id)
            .map(|d| d.name.get(prefs.locale).to_owned())
    };
    let region_name = snapshot.catalog.region.name.get(prefs.locale).to_owned();
    let roles = profile
        .roles
        .iter()
        .map(|grant| RoleLine {
            role: tr.t(&format!("role-{}", grant.role.key())),
            scope: grant
                .department_id
                .and_then(department_name)
                .unwrap_or_else(|| region_name.clone()),
        })
        .collect();
    let local = crate::layout::local_time;
    let sessions = profile
        .sessions
        .iter()
        .map(|s| SessionLine {
            started: local(s.created_at),
            last_seen: local(s.last_seen_at),
            from: [
                s.ip.clone().unwrap_or_default(),
                s.user_agent.clone().unwrap_or_default(),
            ]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
            current: s.current,
        })
        .collect();
    let acts_for = match state
        .identity
        .acting_options(state.clock.as_ref(), &user)
        .await
    {
        Ok(options) => options
            .into_iter()
            .map(|o| {
                format!(
                    "{} ({})",
                    o.name,
                    tr.t(&format!("agency-kind-{}", o.kind.key()))
                )
            })
            .collect(),
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let done =
        (query.done.as_deref() == Some("password")).then(|| tr.t("account-password-changed"));
    page(
        &state,
        prefs,
        StatusCode::OK,
        AccountPage {
            admin_tools: crate::admin::has_tools(&user),
            c,
            done,
            profile,
            roles,
            sessions,
            acts_for,
        },
        None,
    )
}

#[derive(Template)]
#[template(path = "identity/password.html")]
struct PasswordPage<'a> {
    c: Chrome<'a>,
    /// Name, label, hint and autocomplete token of each field.
    fields: Vec<(&'static str, String, String, &'static str)>,
    errors: Vec<(&'static str, String)>,
    /// Why this page came first, when it did.
    required: Option<String>,
}

fn render_password(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c =
        chrome(state, &snapshot, prefs, "/account/password").for_user(Some(user), Some(csrf.token));
    let tr = c.tr;
    let fields = vec![
        (
            "current",
            tr.t("password-current"),
            String::new(),
            "current-password",
        ),
        (
            "new",
            tr.t("password-new"),
            tr.t("password-new-hint"),
            "new-password",
        ),
        (
            "confirm",
            tr.t("password-confirm"),
            String::new(),
            "new-password",
        ),
    ];
    page(
        state,
        prefs,
        status,
        PasswordPage {
            required: match user.password_due {
                PasswordDue::No => None,
                PasswordDue::SetByAdministrator => Some(tr.t("password-required-notice")),
                PasswordDue::Expired => Some(tr.t("password-expired-notice")),
            },
            c,
            fields,
            errors,
        },
        None,
    )
}

async fn password_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/password");
    };
    render_password(&state, prefs, &user, &headers, StatusCode::OK, Vec::new())
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    csrf: String,
}

async fn change_password(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account/password");
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let tr = state.i18n.tr(prefs.locale);
    let mut errors = Vec::new();
    if form.current.is_empty() {
        errors.push(("current", tr.t("password-error-current-missing")));
    }
    if form.new != form.confirm {
        errors.push(("confirm", tr.t("password-error-mismatch")));
    }
    if !errors.is_empty() {
        return render_password(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
        );
    }
    let origin = origin(&headers, peer);
    match state
        .identity
        .change_password(
            state.clock.as_ref(),
            &user,
            &form.current,
            &form.new,
            &origin,
        )
        .await
    {
        Ok(session) => signed_in_redirect(&state, &session, "/account?done=password"),
        Err(PasswordChangeError::Store(error)) => internal_error(&state, prefs, &error),
        Err(refusal) => {
            let refused = |field: &'static str, message: String| {
                render_password(
                    &state,
                    prefs,
                    &user,
                    &headers,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    vec![(field, message)],
                )
            };
            match refusal {
                PasswordChangeError::WrongCurrent => {
                    refused("current", tr.t("password-error-wrong-current"))
                }
                PasswordChangeError::Throttled { retry_after_secs } => refused(
                    "current",
                    tr.t1(
                        "password-error-throttled",
                        "minutes",
                        (retry_after_secs + 59) / 60,
                    ),
                ),
                PasswordChangeError::Unchanged => refused("new", tr.t("password-error-unchanged")),
                PasswordChangeError::Rejected(rejection) => {
                    refused("new", rejection_message(&tr, rejection))
                }
                PasswordChangeError::Store(error) => internal_error(&state, prefs, &error),
            }
        }
    }
}

pub(crate) fn rejection_message(tr: &crate::i18n::Tr<'_>, rejection: PasswordRejection) -> String {
    match rejection {
        PasswordRejection::TooShort(min) => tr.t1("password-error-too-short", "min", min),
        PasswordRejection::TooLong(max) => tr.t1("password-error-too-long", "max", max),
        PasswordRejection::Common => tr.t("password-error-common"),
        PasswordRejection::TooSimple => tr.t("password-error-too-simple"),
        PasswordRejection::Personal => tr.t("password-error-personal"),
    }
}

/// `GET /account/data`: the signed-in user's own data as a JSON download.
async fn download_data(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let Some(user) = user else {
        return see_other("/login?next=/account");
    };
    match state
        .identity
        .export_my_data(state.clock.as_ref(), &user, &origin(&headers, peer))
        .await
    {
        Ok(data) => {
            let body = serde_json::to_vec_pretty(&data).unwrap_or_default();
            let mut response = (StatusCode::OK, body).into_response();
            let headers = response.headers_mut();
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            headers.insert(
                axum::http::header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"tongban-my-data.json\""),
            );
            headers.insert(
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            response
        }
        Err(error) => internal_error(&state, prefs, &error),
    }
}

/// The field errors a form page shows, and the summary's links to them.
pub trait FormErrors {
    fn errors(&self) -> &[(&'static str, String)];

    fn has_error(&self, field: &str) -> bool {
        self.errors().iter().any(|(f, _)| *f == field)
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors()
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}
