//! Administration pages for staff: the index of the tools a signed-in administrator holds, and
//! staff accounts with their roles ([`staff`]), and search vocabulary ([`search`]).
//!
//! Who reaches what is written down in docs/access.md, independently of this router, and
//! `tests/access.rs` compares every route's behaviour for every role with that table.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use tongban_domain::access::Role;
use tongban_services::identity::{AccountKind, CurrentUser};

use crate::catalog::chrome;
use crate::identity::{MaybeUser, page, see_other};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

mod audit;
pub mod catalog;
mod catalog_io;
pub mod form_editor;
mod search;
mod staff;
mod workflow_editor;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(index))
        .merge(staff::router())
        .merge(audit::router())
        .merge(catalog_io::router())
        .merge(catalog::router())
        .merge(form_editor::router())
        .merge(search::router())
        .merge(workflow_editor::router())
}

/// An administration tool and the roles that open it.
struct Tool {
    href: &'static str,
    title_key: &'static str,
    hint_key: &'static str,
    roles: &'static [Role],
}

const TOOLS: &[Tool] = &[
    Tool {
        href: "/workbench",
        title_key: "admin-tool-workbench",
        hint_key: "admin-tool-workbench-hint",
        roles: &[
            Role::FrontDeskClerk,
            Role::Reviewer,
            Role::Approver,
            Role::DepartmentAdmin,
        ],
    },
    Tool {
        href: "/counter",
        title_key: "counter-title",
        hint_key: "counter-tool-hint",
        roles: &[Role::FrontDeskClerk],
    },
    Tool {
        href: "/admin/staff",
        title_key: "admin-tool-staff",
        hint_key: "admin-tool-staff-hint",
        roles: &[Role::SecurityAdmin, Role::DepartmentAdmin],
    },
    Tool {
        href: "/admin/oidc/clients",
        title_key: "admin-tool-oidc",
        hint_key: "admin-tool-oidc-hint",
        roles: &[Role::SystemAdmin],
    },
    Tool {
        href: "/admin/catalog/transfer",
        title_key: "admin-tool-catalog-io",
        hint_key: "admin-tool-catalog-io-hint",
        roles: &[Role::SystemAdmin, Role::DepartmentAdmin],
    },
    Tool {
        href: "/admin/catalog",
        title_key: "admin-tool-catalog",
        hint_key: "admin-tool-catalog-hint",
        roles: &[Role::DepartmentAdmin],
    },
    Tool {
        href: "/admin/audit",
        title_key: "admin-tool-audit",
        hint_key: "admin-tool-audit-hint",
        roles: &[Role::Auditor],
    },
    Tool {
        href: "/admin/search/synonyms",
        title_key: "admin-tool-search-synonyms",
        hint_key: "admin-tool-search-synonyms-hint",
        roles: &[Role::SystemAdmin],
    },
    Tool {
        href: "/admin/search/misses",
        title_key: "admin-tool-search-misses",
        hint_key: "admin-tool-search-misses-hint",
        roles: &[Role::SystemAdmin, Role::DepartmentAdmin],
    },
];

/// Whether `user` holds a role for any administration tool (the account page links here).
pub(crate) fn has_tools(user: &CurrentUser) -> bool {
    !tools_of(user).is_empty()
}

/// The tools `user` holds a role for.
fn tools_of(user: &CurrentUser) -> Vec<&'static Tool> {
    if user.kind != AccountKind::Staff {
        return Vec::new();
    }
    TOOLS
        .iter()
        .filter(|tool| user.roles.iter().any(|g| tool.roles.contains(&g.role)))
        .collect()
}

/// 403 for a signed-in account without the role a page needs.
pub(crate) fn no_access(state: &AppState, prefs: Prefs) -> Response {
    crate::errors::error_page(state, prefs, StatusCode::FORBIDDEN, "no-access", None)
}

/// The signed-in user, or the sign-in page that comes back to `path`.
// The error is the response a handler returns at once; boxing it would only add noise.
#[allow(clippy::result_large_err)]
pub(crate) fn signed_in_or_login(
    user: Option<CurrentUser>,
    path: &str,
) -> Result<CurrentUser, Response> {
    user.ok_or_else(|| see_other(&format!("/login?next={path}")))
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct IndexPage<'a> {
    c: Chrome<'a>,
    /// Link, title and hint of each tool.
    tools: Vec<(&'static str, String, String)>,
}

async fn index(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
) -> Response {
    let user = match signed_in_or_login(user, "/admin") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let tools = tools_of(&user);
    if tools.is_empty() {
        return no_access(&state, prefs);
    }
    let snapshot = state.snapshots.current();
    let c = chrome(&state, &snapshot, prefs, "/admin").for_user(Some(&user), None);
    let tr = c.tr;
    let tools = tools
        .into_iter()
        .map(|t| (t.href, tr.t(t.title_key), tr.t(t.hint_key)))
        .collect();
    page(&state, prefs, StatusCode::OK, IndexPage { c, tools }, None)
}
