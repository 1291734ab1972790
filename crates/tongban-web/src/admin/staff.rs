//! Staff accounts and their roles, for security and department administrators.
//!
//! An id outside the administrator's scope gets the same 404 as an id that does not exist. An
//! initial password is shown once, on the response to the form that made it, never stored in
//! clear and never put in a URL.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use tongban_domain::access::Role;
use tongban_services::identity::CurrentUser;
use tongban_services::identity::staff::{
    DepartmentChoice, InitialPassword, NewStaff, StaffError, StaffMember, StaffProblem, StaffScope,
    staff_scope,
};
use uuid::Uuid;

use super::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, FormErrors, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/staff", get(directory))
        .route("/admin/staff/new", get(new_page).post(create))
        .route("/admin/staff/{id}", get(member_page))
        .route("/admin/staff/{id}/roles", post(grant))
        .route("/admin/staff/{id}/roles/{assignment}/revoke", post(revoke))
        .route("/admin/staff/{id}/status", post(set_status))
        .route("/admin/staff/{id}/reset", post(reset))
}

type Errors = Vec<(&'static str, String)>;

/// A role as forms show it.
struct RoleOption {
    key: &'static str,
    label: String,
    departmental: bool,
}

fn role_options(c: &Chrome<'_>, scope: StaffScope) -> Vec<RoleOption> {
    scope
        .grantable_roles()
        .into_iter()
        .map(|role| RoleOption {
            key: role.key(),
            label: c.tr.t(&format!("role-{}", role.key())),
            departmental: role.is_departmental(),
        })
        .collect()
}

fn problem_message(c: &Chrome<'_>, problem: StaffProblem) -> String {
    c.tr.t(match problem {
        StaffProblem::UsernameFormat => "staff-error-username-format",
        StaffProblem::UsernameTaken => "staff-error-username-taken",
        StaffProblem::NameInvalid => "staff-error-name",
        StaffProblem::DepartmentUnknown => "staff-error-department",
        StaffProblem::RolesMissing => "staff-error-roles-missing",
        StaffProblem::RoleNotGrantable => "staff-error-role-not-grantable",
        StaffProblem::RoleNeedsDepartment => "staff-error-role-needs-department",
        StaffProblem::Separation => "staff-error-separation",
    })
}

/// Maps a refusal that is not a form problem to its page.
fn refusal(state: &AppState, prefs: Prefs, error: StaffError) -> Response {
    match error {
        StaffError::Forbidden => no_access(state, prefs),
        StaffError::NotFound => not_found(state, prefs),
        StaffError::Store(error) => internal_error(state, prefs, &error),
        other => internal_error(state, prefs, &other),
    }
}

fn parse_id(raw: &str) -> Option<Uuid> {
    Uuid::parse_str(raw).ok()
}

#[derive(Template)]
#[template(path = "admin/staff_list.html")]
struct DirectoryPage<'a> {
    c: Chrome<'a>,
    staff: Vec<StaffMember>,
    role_label: fn(&Chrome<'_>, &Role) -> String,
}

fn role_label(c: &Chrome<'_>, role: &Role) -> String {
    c.tr.t(&format!("role-{}", role.key()))
}

async fn directory(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/staff") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let directory = match state.identity.staff_directory(&user, prefs.locale).await {
        Ok(directory) => directory,
        Err(error) => return refusal(&state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin/staff").for_user(Some(&user), None);
    page(
        &state,
        prefs,
        StatusCode::OK,
        DirectoryPage {
            c,
            staff: directory.staff,
            role_label,
        },
        None,
    )
}

#[derive(Template)]
#[template(path = "admin/staff_new.html")]
struct NewPage<'a> {
    c: Chrome<'a>,
    errors: Errors,
    form: NewStaffForm,
    departments: Vec<DepartmentChoice>,
    /// Department administrators add staff to their own department only.
    fixed_department: Option<DepartmentChoice>,
    roles: Vec<RoleOption>,
}

impl FormErrors for NewPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

impl NewPage<'_> {
    fn role_checked(&self, key: &str) -> bool {
        self.form.roles.iter().any(|r| r == key)
    }
}

#[derive(Debug, Default)]
struct NewStaffForm {
    username: String,
    name: String,
    department: String,
    roles: Vec<String>,
    csrf: String,
}

impl NewStaffForm {
    /// Reads the form body by hand: its checkboxes repeat the `role` field, which axum's `Form`
    /// cannot collect into a list. Unknown fields are ignored, as `Form` would.
    fn parse(body: &[u8]) -> NewStaffForm {
        let mut form = NewStaffForm::default();
        for (key, value) in form_urlencoded::parse(body) {
            match key.as_ref() {
                "username" => form.username = value.into_owned(),
                "name" => form.name = value.into_owned(),
                "department" => form.department = value.into_owned(),
                "role" => form.roles.push(value.into_owned()),
                "csrf" => form.csrf = value.into_owned(),
                _ => {}
            }
        }
        form
    }
}

async fn render_new(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    form: NewStaffForm,
    problems: Vec<(&'static str, StaffProblem)>,
) -> Response {
    // The form needs the caller's scope and the region's departments, not the staff list.
    let Some(scope) = staff_scope(user) else {
        return refusal(state, prefs, StaffError::Forbidden);
    };
    let departments = match state
        .identity
        .department_choices(scope.region_id(), prefs.locale)
        .await
    {
        Ok(departments) => departments,
        Err(error) => return refusal(state, prefs, error.into()),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/admin/staff/new")
        .for_user(Some(user), Some(csrf.token.clone()));
    let errors = problems
        .into_iter()
        .map(|(field, problem)| (field, problem_message(&c, problem)))
        .collect();
    let fixed_department = match scope {
        StaffScope::Department { department_id, .. } => {
            departments.iter().find(|d| d.id == department_id).cloned()
        }
        StaffScope::Region { .. } => None,
    };
    let roles = role_options(&c, scope);
    page(
        state,
        prefs,
        status,
        NewPage {
            c,
            errors,
            form,
            departments,
            fixed_department,
            roles,
        },
        None,
    )
}

async fn new_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/staff/new") {
        Ok(user) => user,
        Err(login) => return login,
    };
    render_new(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        NewStaffForm::default(),
        Vec::new(),
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/initial_password.html")]
struct InitialPasswordPage<'a> {
    c: Chrome<'a>,
    created: bool,
    issued: InitialPassword,
}

fn show_initial_password(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    created: bool,
    issued: InitialPassword,
) -> Response {
    let snapshot = state.snapshots.current();
    let c = chrome(state, &snapshot, prefs, "/admin/staff").for_user(Some(user), None);
    page(
        state,
        prefs,
        StatusCode::OK,
        InitialPasswordPage { c, created, issued },
        None,
    )
}

async fn create(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = NewStaffForm::parse(&body);
    let user = match signed_in_or_login(user, "/admin/staff/new") {
        Ok(user) => user,
        Err(login) => return login,
    };
    if !csrf::verify(&state.secret, Some(&user), &headers, &form.csrf) {
        return forbidden(&state, prefs);
    }
    let mut problems = Vec::new();
    let department_id = match form.department.trim() {
        "" => None,
        raw => {
            let parsed = parse_id(raw);
            if parsed.is_none() {
                problems.push(("department", StaffProblem::DepartmentUnknown));
            }
            parsed
        }
    };
    let mut roles = Vec::new();
    for key in &form.roles {
        match Role::from_key(key) {
            Some(role) => roles.push(role),
            None => problems.push(("roles", StaffProblem::RoleNotGrantable)),
        }
    }
    if problems.is_empty() {
        let new = NewStaff {
            username: form.username.clone(),
            name: form.name.clone(),
            department_id,
            roles,
        };
        let origin = origin(&headers, peer);
        match state
            .identity
            .create_staff(state.clock.as_ref(), &user, &origin, &new)
            .await
        {
            Ok(issued) => return show_initial_password(&state, prefs, &user, true, issued),
            Err(StaffError::Invalid(found)) => problems = found,
            Err(StaffError::Separation(_)) => problems.push(("roles", StaffProblem::Separation)),
            Err(other) => return refusal(&state, prefs, other),
        }
    }
    render_new(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        form,
        problems,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin/staff_member.html")]
struct MemberPage<'a> {
    c: Chrome<'a>,
    done: Option<String>,
    errors: Errors,
    member: StaffMember,
    departments: Vec<DepartmentChoice>,
    roles: Vec<RoleOption>,
    is_self: bool,
    role_label: fn(&Chrome<'_>, &Role) -> String,
}

impl FormErrors for MemberPage<'_> {
    fn errors(&self) -> &[(&'static str, String)] {
        &self.errors
    }
}

#[derive(Debug, Deserialize, Default)]
struct DoneQuery {
    done: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn render_member(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    status: StatusCode,
    staff_id: Uuid,
    done: Option<&str>,
    errors: Vec<(&'static str, &'static str)>,
) -> Response {
    let (scope, member, departments) = match state
        .identity
        .staff_member(user, staff_id, prefs.locale)
        .await
    {
        Ok(found) => found,
        Err(error) => return refusal(state, prefs, error),
    };
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = format!("/admin/staff/{staff_id}");
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let done = done
        .filter(|d| matches!(*d, "granted" | "revoked" | "disabled" | "enabled"))
        .map(|d| c.tr.t(&format!("staff-done-{d}")));
    let errors = errors
        .into_iter()
        .map(|(field, key)| (field, c.tr.t(key)))
        .collect();
    let roles = role_options(&c, scope);
    page(
        state,
        prefs,
        status,
        MemberPage {
            c,
            done,
            errors,
            is_self: member.id == user.account_id,
            member,
            departments,
            roles,
            role_label,
        },
        Some(&csrf),
    )
}

async fn member_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(id): Path<String>,
    Query(query): Query<DoneQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/staff") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let Some(staff_id) = parse_id(&id) else {
        return not_found(&state, prefs);
    };
    render_member(
        &state,
        prefs,
        &user,
        &headers,
        StatusCode::OK,
        staff_id,
        query.done.as_deref(),
        Vec::new(),
    )
    .await
}

/// The signed-in administrator and the staff id of a POST, after the CSRF check.
// The error is the response a handler returns at once; boxing it would only add noise.
#[allow(clippy::result_large_err)]
fn post_target(
    state: &AppState,
    prefs: Prefs,
    user: Option<CurrentUser>,
    headers: &HeaderMap,
    csrf_token: &str,
    id: &str,
) -> Result<(CurrentUser, Uuid), Response> {
    let user = signed_in_or_login(user, "/admin/staff")?;
    if !csrf::verify(&state.secret, Some(&user), headers, csrf_token) {
        return Err(forbidden(state, prefs));
    }
    let staff_id = parse_id(id).ok_or_else(|| not_found(state, prefs))?;
    Ok((user, staff_id))
}

/// After a change: back to the member page with a confirmation, or the page again with the
/// reason it was refused.
async fn after_change(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    staff_id: Uuid,
    result: Result<(), StaffError>,
    done: &str,
) -> Response {
    let (field, key) = match result {
        Ok(()) => return see_other(&format!("/admin/staff/{staff_id}?done={done}")),
        Err(StaffError::OwnAccount) => ("actions", "staff-error-own-account"),
        Err(StaffError::Separation(_)) => ("role", "staff-error-separation"),
        Err(StaffError::Invalid(problems)) => match problems.first().map(|p| p.1) {
            Some(StaffProblem::RoleNeedsDepartment) => {
                ("department", "staff-error-role-needs-department")
            }
            Some(StaffProblem::DepartmentUnknown) => ("department", "staff-error-department"),
            _ => ("role", "staff-error-role-not-grantable"),
        },
        Err(other) => return refusal(state, prefs, other),
    };
    render_member(
        state,
        prefs,
        user,
        headers,
        StatusCode::UNPROCESSABLE_ENTITY,
        staff_id,
        None,
        vec![(field, key)],
    )
    .await
}

#[derive(Debug, Deserialize)]
struct GrantForm {
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    csrf: String,
}

async fn grant(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<GrantForm>,
) -> Response {
    let (user, staff_id) = match post_target(&state, prefs, user, &headers, &form.csrf, &id) {
        Ok(target) => target,
        Err(response) => return response,
    };
    let result = match Role::from_key(&form.role) {
        None => Err(StaffError::Invalid(vec![(
            "role",
            StaffProblem::RoleNotGrantable,
        )])),
        Some(role) => {
            let department = match form.department.trim() {
                "" => Ok(None),
                raw => parse_id(raw).map(Some).ok_or(StaffError::Invalid(vec![(
                    "department",
                    StaffProblem::DepartmentUnknown,
                )])),
            };
            match department {
                Ok(department) => {
                    state
                        .identity
                        .grant_staff_role(
                            state.clock.as_ref(),
                            &user,
                            &origin(&headers, peer),
                            staff_id,
                            role,
                            department,
                        )
                        .await
                }
                Err(error) => Err(error),
            }
        }
    };
    after_change(&state, prefs, &user, &headers, staff_id, result, "granted").await
}

#[derive(Debug, Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn revoke(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path((id, assignment)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (user, staff_id) = match post_target(&state, prefs, user, &headers, &form.csrf, &id) {
        Ok(target) => target,
        Err(response) => return response,
    };
    let Some(assignment_id) = parse_id(&assignment) else {
        return not_found(&state, prefs);
    };
    let result = state
        .identity
        .revoke_staff_role(
            state.clock.as_ref(),
            &user,
            &origin(&headers, peer),
            staff_id,
            assignment_id,
        )
        .await;
    after_change(&state, prefs, &user, &headers, staff_id, result, "revoked").await
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    #[serde(default)]
    active: String,
    #[serde(default)]
    csrf: String,
}

async fn set_status(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> Response {
    let (user, staff_id) = match post_target(&state, prefs, user, &headers, &form.csrf, &id) {
        Ok(target) => target,
        Err(response) => return response,
    };
    let active = form.active == "true";
    let result = state
        .identity
        .set_staff_active(
            state.clock.as_ref(),
            &user,
            &origin(&headers, peer),
            staff_id,
            active,
        )
        .await;
    let done = if active { "enabled" } else { "disabled" };
    after_change(&state, prefs, &user, &headers, staff_id, result, done).await
}

async fn reset(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let (user, staff_id) = match post_target(&state, prefs, user, &headers, &form.csrf, &id) {
        Ok(target) => target,
        Err(response) => return response,
    };
    match state
        .identity
        .reset_staff_credentials(
            state.clock.as_ref(),
            &user,
            &origin(&headers, peer),
            staff_id,
        )
        .await
    {
        Ok(issued) => show_initial_password(&state, prefs, &user, false, issued),
        Err(error) => after_change(&state, prefs, &user, &headers, staff_id, Err(error), "").await,
    }
}
