//! `/admin/oidc/clients`: system administrators list, register and disable department clients
//! and give them new secrets. Every action is a CSRF-protected form, checked for the role in
//! the service layer and audited there; a new secret is shown once and never again.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_services::identity::CurrentUser;
use tongban_services::oidc::{Admin, ClientAdminError, ClientSummary, IssuedClient, NewClient};

use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{error_page, internal_error};
use crate::identity::{ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::{Chrome, local_time};
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/oidc/clients", get(list).post(add))
        .route("/admin/oidc/clients/{client_id}/disable", post(disable))
        .route("/admin/oidc/clients/{client_id}/enable", post(enable))
        .route("/admin/oidc/clients/{client_id}/secret", post(new_secret))
}

const HOME: &str = "/admin/oidc/clients";

/// One client as the list shows it.
struct ClientLine {
    summary: ClientSummary,
    department: String,
    created: String,
}

/// What was typed into the add form, kept when it is shown again with errors.
#[derive(Debug, Default, Deserialize)]
struct AddForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    sector: String,
    #[serde(default)]
    public: Option<String>,
    #[serde(default)]
    allow_id_number: Option<String>,
    #[serde(default)]
    csrf: String,
}

struct DepartmentOption {
    code: String,
    name: String,
}

#[derive(Template)]
#[template(path = "oidc/clients.html")]
struct ClientsPage<'a> {
    c: Chrome<'a>,
    done: Option<String>,
    clients: Vec<ClientLine>,
    departments: Vec<DepartmentOption>,
    form: AddForm,
    errors: Vec<(&'static str, String)>,
}

impl FormErrors for ClientsPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Template)]
#[template(path = "oidc/client_secret.html")]
struct SecretPage<'a> {
    c: Chrome<'a>,
    issued: IssuedClient,
    new_client: bool,
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

/// The signed-in user, or the response for someone who may not be here.
fn admin_user(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
) -> Result<CurrentUser, Box<Response>> {
    let Some(user) = user else {
        return Err(Box::new(see_other(&format!("/login?next={HOME}"))));
    };
    if !user
        .roles
        .iter()
        .any(|g| g.role == tongban_domain::access::Role::SystemAdmin)
    {
        return Err(Box::new(error_page(
            state,
            prefs,
            StatusCode::FORBIDDEN,
            "oidc-admin-forbidden",
            None,
        )));
    }
    Ok(user)
}

#[allow(clippy::too_many_arguments)]
async fn render_list(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    done: Option<String>,
    form: AddForm,
    errors: Vec<(&'static str, String)>,
) -> Response {
    let clients = match state
        .oidc
        .list_clients(Admin::User(user), &state.settings.region)
        .await
    {
        Ok(clients) => clients,
        Err(ClientAdminError::Forbidden) => {
            return error_page(
                state,
                prefs,
                StatusCode::FORBIDDEN,
                "oidc-admin-forbidden",
                None,
            );
        }
        Err(error) => return internal_error(state, prefs, &error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, HOME).for_user(Some(user), Some(csrf.token.clone()));
    let clients = clients
        .into_iter()
        .map(|summary| ClientLine {
            department: summary
                .department_id
                .and_then(|id| snapshot.catalog.department_by_id(id))
                .map(|d| d.name.get(prefs.locale).to_owned())
                .unwrap_or_default(),
            created: local_time(summary.created_at),
            summary,
        })
        .collect();
    let departments = snapshot
        .catalog
        .departments
        .iter()
        .map(|d| DepartmentOption {
            code: d.code.clone(),
            name: d.name.get(prefs.locale).to_owned(),
        })
        .collect();
    let done = done.and_then(|key| match key.as_str() {
        "disabled" | "enabled" => Some(c.tr.t(&format!("oidc-admin-done-{key}"))),
        _ => None,
    });
    page(
        state,
        prefs,
        status,
        ClientsPage {
            c,
            done,
            clients,
            departments,
            form,
            errors,
        },
        Some(&csrf),
    )
}

async fn list(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match admin_user(&state, prefs, user) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    render_list(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        query.done,
        AddForm::default(),
        Vec::new(),
    )
    .await
}

fn lines(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn render_secret(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    issued: IssuedClient,
    new_client: bool,
) -> Response {
    let snapshot = state.snapshots.current();
    let c = chrome(state, &snapshot, prefs, HOME).for_user(Some(user), None);
    page(
        state,
        prefs,
        StatusCode::OK,
        SecretPage {
            c,
            issued,
            new_client,
        },
        None,
    )
}

async fn add(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Response {
    let user = match admin_user(&state, prefs, user) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let new = NewClient {
        client_id: form.client_id.clone(),
        name: form.name.clone(),
        redirect_uris: lines(&form.redirect_uris),
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        scopes: lines(&form.scopes),
        sector: form.sector.clone(),
        public: form.public.is_some(),
        allow_id_number: form.allow_id_number.is_some(),
        department_code: form.department.clone(),
    };
    match state
        .oidc
        .register_client(
            state.clock.as_ref(),
            Admin::User(&user),
            &state.settings.region,
            &new,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(issued) => render_secret(&state, prefs, &user, issued, true),
        Err(ClientAdminError::Invalid(problems)) => {
            let tr = state.i18n.tr(prefs.locale);
            let errors = problems
                .iter()
                .map(|p| (p.field(), tr.t(&format!("oidc-error-{}", p.key()))))
                .collect();
            render_list(
                &state,
                prefs,
                &user,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                form,
                errors,
            )
            .await
        }
        Err(ClientAdminError::Forbidden) => error_page(
            &state,
            prefs,
            StatusCode::FORBIDDEN,
            "oidc-admin-forbidden",
            None,
        ),
        Err(error) => internal_error(&state, prefs, &error),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[allow(clippy::too_many_arguments)]
async fn set_active(
    state: AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    peer: Option<std::net::SocketAddr>,
    headers: HeaderMap,
    client_id: String,
    form: CsrfForm,
    active: bool,
) -> Response {
    let user = match admin_user(&state, prefs, user) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    match state
        .oidc
        .set_client_active(
            state.clock.as_ref(),
            Admin::User(&user),
            &state.settings.region,
            &client_id,
            active,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(()) => see_other(&format!(
            "{HOME}?done={}",
            if active { "enabled" } else { "disabled" }
        )),
        Err(error) => admin_error(&state, prefs, &error),
    }
}

fn admin_error(state: &AppState, prefs: Prefs, error: &ClientAdminError) -> Response {
    match error {
        ClientAdminError::NotFound => crate::errors::not_found(state, prefs),
        ClientAdminError::Forbidden => error_page(
            state,
            prefs,
            StatusCode::FORBIDDEN,
            "oidc-admin-forbidden",
            None,
        ),
        other => internal_error(state, prefs, other),
    }
}

async fn disable(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_active(state, prefs, user, peer, headers, client_id, form, false).await
}

async fn enable(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    set_active(state, prefs, user, peer, headers, client_id, form, true).await
}

async fn new_secret(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let user = match admin_user(&state, prefs, user) {
        Ok(user) => user,
        Err(response) => return *response,
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    match state
        .oidc
        .rotate_client_secret(
            state.clock.as_ref(),
            Admin::User(&user),
            &state.settings.region,
            &client_id,
            &origin(&headers, peer),
        )
        .await
    {
        Ok(issued) => render_secret(&state, prefs, &user, issued, false),
        Err(error) => admin_error(&state, prefs, &error),
    }
}
