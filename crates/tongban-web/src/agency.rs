//! Acting for others over HTTP: `/account/acting` (whom I act for, and switching),
//! `/account/enterprises` (enterprises I represent, and registering one) and `/account/agents`
//! (the agents of myself and of my enterprises: granting and revoking mandates).
//!
//! Every form carries a CSRF token; ids posted in forms are only ever looked up through the
//! signed-in person's own principals, so someone else's id finds nothing. Management pages
//! refuse to change anything while the person acts for someone else (no sub-delegation).

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{NaiveDate, Offset};
use serde::Deserialize;
use tongban_services::identity::agency::{
    ActingOption, AgencyError, EnterpriseError, EnterpriseInput, MandateError, MandateInput,
    MandateStatus, MandateView, PrincipalKind, PrincipalMandates, Scope, end_of_day_label,
};
use tongban_services::identity::{AccountKind, CurrentUser};
use uuid::Uuid;

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::i18n::Tr;
use crate::identity::{
    ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, see_other, with_session_cookie,
};
use crate::layout::{Chrome, local_date};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/acting", get(acting_page).post(switch))
        .route("/account/acting/self", post(switch_back))
        .route(
            "/account/enterprises",
            get(enterprises_page).post(register_enterprise),
        )
        .route("/account/agents", get(agents_page).post(grant))
        .route("/account/agents/revoke", post(revoke))
}

/// `enterprise:UUID` or `person:UUID`, as forms carry a principal.
fn parse_principal(value: &str) -> Option<(PrincipalKind, Uuid)> {
    let (kind, id) = value.split_once(':')?;
    Some((PrincipalKind::from_key(kind)?, Uuid::parse_str(id).ok()?))
}

fn principal_value(kind: PrincipalKind, id: Uuid) -> String {
    format!("{}:{id}", kind.key())
}

fn scope_labels(tr: &Tr<'_>, scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| tr.t(&format!("agency-scope-{}", s.key())))
        .collect::<Vec<_>>()
        .join(&tr.t("list-separator"))
}

/// Sign-in first; these pages are for people: staff act only for themselves and get the
/// localised 403 that docs/access.md expects.
fn person(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    path: &str,
) -> Result<CurrentUser, Box<Response>> {
    match user {
        None => Err(Box::new(see_other(&format!("/login?next={path}")))),
        Some(user) if user.kind != AccountKind::Person => {
            Err(Box::new(crate::admin::no_access(state, prefs)))
        }
        Some(user) => Ok(user),
    }
}

/// [`person`] for a form: also refuses a POST without its CSRF token.
fn person_posting(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    csrf_token: &str,
    path: &str,
) -> Result<CurrentUser, Box<Response>> {
    let user = person(state, prefs, user, path)?;
    if !csrf::verify(&state.secret, Some(&user), headers, csrf_token) {
        return Err(Box::new(forbidden(state, prefs)));
    }
    Ok(user)
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

// ----- /account/acting -----

struct OptionLine {
    value: String,
    kind: String,
    name: String,
    code: Option<String>,
    scopes: String,
    until: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "agency/acting.html")]
struct ActingPage<'a> {
    c: Chrome<'a>,
    notice: Option<String>,
    error: Option<String>,
    options: Vec<OptionLine>,
}

fn option_line(tr: &Tr<'_>, option: ActingOption) -> OptionLine {
    OptionLine {
        value: principal_value(option.kind, option.id),
        kind: tr.t(&format!("agency-kind-{}", option.kind.key())),
        name: option.name,
        code: option.masked_credit_code,
        scopes: scope_labels(tr, &option.scopes),
        until: option.expires_at.map_or_else(
            || tr.t("agency-legal-representative"),
            |at| tr.t1("agency-until", "date", end_of_day_label(at)),
        ),
        current: option.current,
    }
}

async fn render_acting(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let options = match state
        .identity
        .acting_options(state.clock.as_ref(), user)
        .await
    {
        Ok(options) => options,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c =
        chrome(state, &snapshot, prefs, "/account/acting").for_user(Some(user), Some(csrf.token));
    let options = options.into_iter().map(|o| option_line(&c.tr, o)).collect();
    page(
        state,
        prefs,
        status,
        ActingPage {
            c,
            notice,
            error,
            options,
        },
        None,
    )
}

async fn acting_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match person(&state, prefs, user, "/account/acting") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    let notice = match (query.done.as_deref(), &user.acting_for) {
        (Some("switched"), Some(acting)) => {
            Some(tr.t1("agency-switched", "name", acting.name.as_str()))
        }
        (Some("self"), None) => Some(tr.t("agency-switched-self")),
        _ => None,
    };
    render_acting(&state, prefs, &user, &headers, StatusCode::OK, notice, None).await
}

#[derive(Debug, Deserialize)]
struct SwitchForm {
    #[serde(default)]
    principal: String,
    #[serde(default)]
    csrf: String,
}

async fn switch(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<SwitchForm>,
) -> Response {
    let user = match person_posting(&state, prefs, user, &headers, &form.csrf, "/account/acting") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    // A malformed value is treated like an id without a mandate: the same refusal, audited.
    let target = parse_principal(&form.principal).unwrap_or((PrincipalKind::Person, Uuid::nil()));
    do_switch(&state, prefs, &user, peer, &headers, Some(target), &tr).await
}

async fn do_switch(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    target: Option<(PrincipalKind, Uuid)>,
    tr: &Tr<'_>,
) -> Response {
    match state
        .identity
        .switch_acting(state.clock.as_ref(), user, target, &origin(headers, peer))
        .await
    {
        Ok(session) => {
            let to = if target.is_some() {
                "/account/acting?done=switched"
            } else {
                "/account/acting?done=self"
            };
            with_session_cookie(state, see_other(to), &session)
        }
        Err(AgencyError::NotFound) => {
            render_acting(
                state,
                prefs,
                user,
                headers,
                StatusCode::FORBIDDEN,
                None,
                Some(tr.t("agency-error-no-mandate")),
            )
            .await
        }
        Err(AgencyError::Store(error)) => internal_error(state, prefs, &error),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn switch_back(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = match person_posting(&state, prefs, user, &headers, &form.csrf, "/account/acting") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    do_switch(&state, prefs, &user, peer, &headers, None, &tr).await
}

// ----- /account/enterprises -----

struct EnterpriseLine {
    name: String,
    code: String,
    representative: String,
    since: String,
}

#[derive(Template)]
#[template(path = "agency/enterprises.html")]
struct EnterprisesPage<'a> {
    c: Chrome<'a>,
    notice: Option<String>,
    /// Forms are not offered while acting for someone else.
    acting: bool,
    enterprises: Vec<EnterpriseLine>,
    errors: Vec<(&'static str, String)>,
    name: String,
    credit_code: String,
    representative: String,
}

impl FormErrors for EnterprisesPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Debug, Deserialize, Default)]
struct EnterpriseForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    representative: String,
    #[serde(default)]
    csrf: String,
}

#[allow(clippy::too_many_arguments)]
async fn render_enterprises(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<String>,
    errors: Vec<(&'static str, String)>,
    form: EnterpriseForm,
) -> Response {
    let rows = match state.identity.my_enterprises(user).await {
        Ok(rows) => rows,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/account/enterprises")
        .for_user(Some(user), Some(csrf.token));
    let enterprises = rows
        .into_iter()
        .map(|e| EnterpriseLine {
            code: tongban_services::identity::agency::mask_code(&e.credit_code),
            name: e.name,
            representative: e.legal_representative_name,
            since: local_date(e.created_at),
        })
        .collect();
    let representative = if form.representative.is_empty() && errors.is_empty() {
        user.display_name.clone()
    } else {
        form.representative
    };
    page(
        state,
        prefs,
        status,
        EnterprisesPage {
            acting: user.acting_for.is_some(),
            c,
            notice,
            enterprises,
            errors,
            name: form.name,
            credit_code: form.credit_code,
            representative,
        },
        None,
    )
}

async fn enterprises_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match person(&state, prefs, user, "/account/enterprises") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let notice = (query.done.as_deref() == Some("registered"))
        .then(|| state.i18n.tr(prefs.locale).t("enterprise-registered"));
    render_enterprises(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        notice,
        Vec::new(),
        EnterpriseForm::default(),
    )
    .await
}

async fn register_enterprise(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<EnterpriseForm>,
) -> Response {
    let user = match person_posting(
        &state,
        prefs,
        user,
        &headers,
        &form.csrf,
        "/account/enterprises",
    ) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    let mut errors = Vec::new();
    if form.name.trim().is_empty() {
        errors.push(("name", tr.t("enterprise-error-name")));
    }
    if form.credit_code.trim().is_empty() {
        errors.push(("credit_code", tr.t("enterprise-error-code-missing")));
    }
    if form.representative.trim().is_empty() {
        errors.push((
            "representative",
            tr.t("enterprise-error-representative-missing"),
        ));
    }
    if errors.is_empty() {
        let input = EnterpriseInput {
            name: &form.name,
            credit_code: &form.credit_code,
            legal_representative: &form.representative,
        };
        match state
            .identity
            .register_enterprise(
                state.clock.as_ref(),
                &user,
                state.enterprise_registry.as_ref(),
                input,
                &origin(&headers, peer),
            )
            .await
        {
            Ok(_) => return see_other("/account/enterprises?done=registered"),
            Err(EnterpriseError::Store(error)) => return internal_error(&state, prefs, &error),
            Err(refusal) => errors.push(match refusal {
                EnterpriseError::InvalidName => ("name", tr.t("enterprise-error-name")),
                EnterpriseError::InvalidCreditCode(_) => {
                    ("credit_code", tr.t("enterprise-error-code-invalid"))
                }
                EnterpriseError::InvalidRepresentative(_) => (
                    "representative",
                    tr.t("enterprise-error-representative-invalid"),
                ),
                EnterpriseError::NotConfirmed => {
                    ("representative", tr.t("enterprise-error-not-confirmed"))
                }
                EnterpriseError::AlreadyRegistered => {
                    ("credit_code", tr.t("enterprise-error-registered"))
                }
                EnterpriseError::NotAllowed | EnterpriseError::Store(_) => {
                    ("name", tr.t("agency-error-while-acting"))
                }
            }),
        }
    }
    render_enterprises(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        errors,
        form,
    )
    .await
}

// ----- /account/agents -----

struct MandateLine {
    id: Uuid,
    agent: String,
    mobile: String,
    scopes: String,
    since: String,
    until: String,
    status: String,
}

struct ScopeBox {
    key: &'static str,
    label: String,
    checked: bool,
}

/// One principal's section: its mandates and its grant form.
struct PrincipalBlock {
    /// Prefix of this section's field ids, unique on the page.
    prefix: String,
    value: String,
    heading: String,
    code: Option<String>,
    live: Vec<MandateLine>,
    history: Vec<MandateLine>,
    mobile: String,
    agent_name: String,
    expires: String,
    scopes: Vec<ScopeBox>,
    /// Field name → message, for this section's form only.
    errors: Vec<(&'static str, String)>,
}

impl PrincipalBlock {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    fn has_error(&self, field: &str) -> bool {
        self.error_for(field).is_some()
    }
}

#[derive(Template)]
#[template(path = "agency/agents.html")]
struct AgentsPage<'a> {
    c: Chrome<'a>,
    notice: Option<String>,
    /// A refusal that belongs to no field (someone else's principal or mandate).
    alert: Option<String>,
    acting: bool,
    blocks: Vec<PrincipalBlock>,
    /// Anchor (`prefix-field`) → message, for the error summary.
    errors: Vec<(String, String)>,
    today: String,
    latest: String,
}

#[derive(Debug, Deserialize, Default, Clone)]
struct GrantForm {
    #[serde(default)]
    principal: String,
    #[serde(default)]
    mobile: String,
    #[serde(default)]
    agent_name: String,
    #[serde(default)]
    expires: String,
    #[serde(default)]
    scope_apply: Option<String>,
    #[serde(default)]
    scope_view: Option<String>,
    #[serde(default)]
    scope_certificates: Option<String>,
    #[serde(default)]
    scope_pay: Option<String>,
    #[serde(default)]
    csrf: String,
}

impl GrantForm {
    fn scopes(&self) -> Vec<Scope> {
        [
            (Scope::Apply, &self.scope_apply),
            (Scope::View, &self.scope_view),
            (Scope::Certificates, &self.scope_certificates),
            (Scope::Pay, &self.scope_pay),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(s, _)| s)
        .collect()
    }
}

fn mandate_line(tr: &Tr<'_>, view: &MandateView) -> MandateLine {
    MandateLine {
        id: view.id,
        agent: view.agent_name.clone(),
        mobile: view.agent_masked_mobile.clone(),
        scopes: scope_labels(tr, &view.scopes),
        since: local_date(view.created_at),
        until: end_of_day_label(view.expires_at),
        status: match view.status {
            MandateStatus::Live => tr.t("agency-status-live"),
            MandateStatus::Expired => tr.t("agency-status-expired"),
            MandateStatus::Revoked => tr.t1(
                "agency-status-revoked",
                "date",
                view.revoked_at.map(local_date).unwrap_or_default(),
            ),
        },
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_agents(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    notice: Option<String>,
    alert: Option<String>,
    failed: Option<(GrantForm, Vec<(&'static str, String)>)>,
) -> Response {
    let overview: Vec<PrincipalMandates> = match state
        .identity
        .agents_overview(state.clock.as_ref(), user)
        .await
    {
        Ok(overview) => overview,
        Err(error) => return internal_error(state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c =
        chrome(state, &snapshot, prefs, "/account/agents").for_user(Some(user), Some(csrf.token));
    let tr = c.tr;
    let mut errors = Vec::new();
    let blocks = overview
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let prefix = format!("p{n}");
            let value = principal_value(p.kind, p.id);
            let (form, block_errors) = match &failed {
                Some((form, errs)) if form.principal == value => (form.clone(), errs.clone()),
                _ => (GrantForm::default(), Vec::new()),
            };
            errors.extend(
                block_errors
                    .iter()
                    // The scopes' error links to the first checkbox, which can take focus.
                    .map(|(field, message)| {
                        let anchor = if *field == "scopes" {
                            "scope-apply"
                        } else {
                            field
                        };
                        (format!("{prefix}-{anchor}"), message.clone())
                    }),
            );
            let chosen = form.scopes();
            PrincipalBlock {
                heading: match p.kind {
                    PrincipalKind::Person => tr.t("agents-for-myself"),
                    PrincipalKind::Enterprise => p.name.clone(),
                },
                code: p.masked_credit_code.clone(),
                live: p.live.iter().map(|v| mandate_line(&tr, v)).collect(),
                history: p.history.iter().map(|v| mandate_line(&tr, v)).collect(),
                mobile: form.mobile.clone(),
                agent_name: form.agent_name.clone(),
                expires: form.expires.clone(),
                scopes: Scope::ALL
                    .into_iter()
                    .map(|s| ScopeBox {
                        key: s.key(),
                        label: tr.t(&format!("agency-scope-{}", s.key())),
                        checked: chosen.contains(&s),
                    })
                    .collect(),
                errors: block_errors,
                prefix,
                value,
            }
        })
        .collect();
    let now = state.clock.now();
    let today = local_date(now);
    let latest = now
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix()))
        .date_naive()
        .checked_add_months(chrono::Months::new(
            12 * tongban_services::identity::agency::MAX_MANDATE_YEARS,
        ))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    page(
        state,
        prefs,
        status,
        AgentsPage {
            acting: user.acting_for.is_some(),
            c,
            notice,
            alert,
            blocks,
            errors,
            today,
            latest,
        },
        None,
    )
}

async fn agents_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match person(&state, prefs, user, "/account/agents") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    let notice = match query.done.as_deref() {
        Some("granted") => Some(tr.t("agents-granted")),
        Some("revoked") => Some(tr.t("agents-revoked")),
        _ => None,
    };
    render_agents(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        notice,
        None,
        None,
    )
    .await
}

async fn grant(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<GrantForm>,
) -> Response {
    let user = match person_posting(&state, prefs, user, &headers, &form.csrf, "/account/agents") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    let Some((kind, id)) = parse_principal(&form.principal) else {
        return render_agents(
            &state,
            prefs,
            &user,
            &headers,
            StatusCode::FORBIDDEN,
            None,
            Some(tr.t("agency-error-not-yours")),
            None,
        )
        .await;
    };
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    if form.mobile.trim().is_empty() {
        errors.push(("mobile", tr.t("agents-error-mobile-missing")));
    }
    if form.agent_name.trim().is_empty() {
        errors.push(("agent_name", tr.t("agents-error-name-missing")));
    }
    let expires_on = NaiveDate::parse_from_str(form.expires.trim(), "%Y-%m-%d").ok();
    if form.expires.trim().is_empty() {
        errors.push(("expires", tr.t("agents-error-expiry-missing")));
    } else if expires_on.is_none() {
        errors.push(("expires", tr.t("agents-error-expiry-invalid")));
    }
    if form.scopes().is_empty() {
        errors.push(("scopes", tr.t("agents-error-scopes")));
    }
    if errors.is_empty() {
        let input = MandateInput {
            principal: kind,
            principal_id: id,
            agent_mobile: &form.mobile,
            agent_name: &form.agent_name,
            scopes: form.scopes(),
            expires_on,
        };
        match state
            .identity
            .grant_mandate(state.clock.as_ref(), &user, &input, &origin(&headers, peer))
            .await
        {
            Ok(_) => return see_other("/account/agents?done=granted"),
            Err(MandateError::Store(error)) => return internal_error(&state, prefs, &error),
            Err(MandateError::NotAllowed) => {
                let message = if user.acting_for.is_some() {
                    tr.t("agency-error-while-acting")
                } else {
                    tr.t("agency-error-not-yours")
                };
                return render_agents(
                    &state,
                    prefs,
                    &user,
                    &headers,
                    StatusCode::FORBIDDEN,
                    None,
                    Some(message),
                    None,
                )
                .await;
            }
            Err(refusal) => errors.push(match refusal {
                MandateError::UnknownAgent => ("mobile", tr.t("agents-error-unknown-agent")),
                MandateError::SelfMandate => ("mobile", tr.t("agents-error-self")),
                MandateError::NoScopes => ("scopes", tr.t("agents-error-scopes")),
                MandateError::ExpiryMissing => ("expires", tr.t("agents-error-expiry-missing")),
                MandateError::ExpiryPast => ("expires", tr.t("agents-error-expiry-past")),
                MandateError::ExpiryTooFar => ("expires", tr.t("agents-error-expiry-far")),
                MandateError::Duplicate => ("mobile", tr.t("agents-error-duplicate")),
                MandateError::NotAllowed | MandateError::Store(_) => {
                    ("mobile", tr.t("agency-error-not-yours"))
                }
            }),
        }
    }
    render_agents(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        None,
        Some((form, errors)),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    #[serde(default)]
    principal: String,
    #[serde(default)]
    mandate: String,
    #[serde(default)]
    csrf: String,
}

async fn revoke(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<RevokeForm>,
) -> Response {
    let user = match person_posting(&state, prefs, user, &headers, &form.csrf, "/account/agents") {
        Ok(user) => user,
        Err(response) => return *response,
    };
    let tr = state.i18n.tr(prefs.locale);
    let (kind, id) =
        parse_principal(&form.principal).unwrap_or((PrincipalKind::Person, Uuid::nil()));
    let mandate = Uuid::parse_str(form.mandate.trim()).unwrap_or(Uuid::nil());
    match state
        .identity
        .revoke_mandate(
            state.clock.as_ref(),
            &user,
            kind,
            id,
            mandate,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(()) => see_other("/account/agents?done=revoked"),
        Err(AgencyError::NotFound) => {
            let message = if user.acting_for.is_some() {
                tr.t("agency-error-while-acting")
            } else {
                tr.t("agency-error-not-yours")
            };
            render_agents(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::FORBIDDEN,
                None,
                Some(message),
                None,
            )
            .await
        }
        Err(AgencyError::Store(error)) => internal_error(&state, prefs, &error),
    }
}
