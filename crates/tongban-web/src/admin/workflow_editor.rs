//! Editing a service's workflow in the browser, for department administrators (the same rights
//! as the form editor: their own department's services; another department's is a 404): the
//! workflow drawn as a diagram, the definition as YAML in a text area, a choice of templates to
//! start from, "Check" to see every problem with its path and line without saving, and "Save"
//! to store a definition that passes into the service's draft. Publishing is the service
//! editor's, which checks the workflow again with the rest of the draft.
//!
//! Works without JavaScript: the template choice is a GET that fills the text area, and Check and
//! Save are two buttons of one form.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tongban_domain::workflow::{WorkflowDefinition, diagram};
use tongban_services::catalog_admin::EditError;
use tongban_services::form_admin::SyntaxError;
use tongban_services::identity::CurrentUser;
use tongban_services::workflow_admin::{self, LocatedProblem, WorkflowEdit};

use super::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::{internal_error, not_found};
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page, see_other};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/admin/catalog/services/{code}/workflow",
        get(editor).post(submit),
    )
}

/// The longest definition accepted: bounds the work a post can cause.
const MAX_YAML_BYTES: usize = 256 * 1024;

fn workflow_href(code: &str) -> String {
    format!("/admin/catalog/services/{code}/workflow")
}

/// Maps a refusal to its page: 403 without the role, 404 for another department's service.
fn refusal(state: &AppState, prefs: Prefs, error: EditError) -> Response {
    match error {
        EditError::Forbidden => no_access(state, prefs),
        EditError::NotFound | EditError::NoDraft => not_found(state, prefs),
        other => internal_error(state, prefs, &other),
    }
}

/// A problem as the page lists it.
struct ProblemView {
    path: String,
    message: String,
    /// "line 12" when the text has the place.
    place: String,
}

/// A template in the choice.
struct TemplateView {
    key: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/workflow/editor.html")]
struct EditorPage<'a> {
    c: Chrome<'a>,
    code: String,
    title: String,
    draft: bool,
    /// The standard workflow is shown because the service names none.
    is_default: bool,
    /// The drawing of what the text area holds, when it parses.
    svg: Option<String>,
    yaml: String,
    /// A syntax error, shown on the text area and in the summary.
    errors: Vec<(String, String)>,
    problems: Vec<ProblemView>,
    /// The text comes from a template and is not saved yet.
    from_template: Option<String>,
    templates: Vec<TemplateView>,
    done: Option<String>,
}

fn syntax_message(c: &Chrome<'_>, error: &SyntaxError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => c.tr.tn(
            "form-editor-error-yaml-at",
            &[
                ("line", line.to_string()),
                ("column", column.to_string()),
                ("message", error.message.clone()),
            ],
        ),
        _ => {
            c.tr.t1("form-editor-error-yaml", "message", error.message.as_str())
        }
    }
}

fn problem_views(c: &Chrome<'_>, problems: Vec<LocatedProblem>) -> Vec<ProblemView> {
    problems
        .into_iter()
        .map(|p| ProblemView {
            place: match (p.line, p.column) {
                (Some(line), Some(column)) => c.tr.tn(
                    "workflow-editor-at",
                    &[("line", line.to_string()), ("column", column.to_string())],
                ),
                _ => c.tr.t("workflow-editor-at-whole"),
            },
            path: p.path,
            message: p.message,
        })
        .collect()
}

/// What the page shows besides the stored workflow.
#[derive(Default)]
struct Shown {
    /// The text to show instead of the stored definition's.
    yaml: Option<String>,
    template: Option<String>,
    checked: bool,
    done: Option<String>,
}

fn render(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    found: &WorkflowEdit,
    shown: Shown,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let path = workflow_href(&found.code);
    let c = chrome(state, &snapshot, prefs, &path).for_user(Some(user), Some(csrf.token.clone()));
    let yaml = shown
        .yaml
        .unwrap_or_else(|| workflow_admin::to_yaml(&found.workflow));
    let mut errors = Vec::new();
    let (svg, problems) = match parsed(&yaml) {
        Ok(def) => {
            let problems = workflow_admin::locate(&yaml, found.check(&def));
            (
                Some(diagram::svg(&def, c.locale)),
                problem_views(&c, problems),
            )
        }
        Err(message) => {
            errors.push(("yaml".to_owned(), message.render(&c)));
            (None, Vec::new())
        }
    };
    let status = if errors.is_empty() && (problems.is_empty() || !shown.checked) {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let name = c.l(&found.service_name).to_owned();
    let title = if name.is_empty() {
        found.code.clone()
    } else {
        format!("{name} ({})", found.code)
    };
    let templates = workflow_admin::templates()
        .iter()
        .map(|t| TemplateView {
            key: t.key.clone(),
            name: c.l(&t.name).to_owned(),
            selected: shown.template.as_deref() == Some(t.key.as_str()),
        })
        .collect();
    let from_template = shown
        .template
        .as_deref()
        .and_then(workflow_admin::template)
        .map(|t| c.l(&t.name).to_owned());
    let done = shown
        .done
        .filter(|d| d == "saved")
        .map(|_| c.tr.t("workflow-editor-done-saved"));
    page(
        state,
        prefs,
        status,
        EditorPage {
            code: found.code.clone(),
            title,
            draft: found.draft,
            is_default: found.is_default && shown.template.is_none(),
            svg,
            yaml,
            errors,
            problems,
            from_template,
            templates,
            done,
            c,
        },
        Some(&csrf),
    )
}

/// Why a text is not a definition: too long to read, or a syntax error.
enum Unreadable {
    TooLong,
    Syntax(SyntaxError),
}

impl Unreadable {
    fn render(&self, c: &Chrome<'_>) -> String {
        match self {
            Unreadable::TooLong => c.tr.t("form-editor-error-too-long"),
            Unreadable::Syntax(error) => syntax_message(c, error),
        }
    }
}

fn parsed(text: &str) -> Result<WorkflowDefinition, Unreadable> {
    if text.len() > MAX_YAML_BYTES {
        return Err(Unreadable::TooLong);
    }
    workflow_admin::parse(text).map_err(Unreadable::Syntax)
}

#[derive(Debug, Deserialize, Default)]
struct EditorQuery {
    template: Option<String>,
    done: Option<String>,
}

async fn editor(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    Path(code): Path<String>,
    Query(query): Query<EditorQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, &workflow_href(&code)) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let found = match workflow_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let template = query.template.as_deref().and_then(workflow_admin::template);
    render(
        &state,
        prefs,
        &user,
        &headers,
        &found,
        Shown {
            yaml: template.map(|t| workflow_admin::to_yaml(&t.definition)),
            template: template.map(|t| t.key.clone()),
            checked: false,
            done: query.done,
        },
    )
}

/// The fields of a post; anything else is ignored.
#[derive(Debug, Default)]
struct Posted {
    csrf: String,
    op: String,
    yaml: String,
}

impl Posted {
    fn from_form(body: &[u8]) -> Posted {
        let mut posted = Posted::default();
        for (key, value) in form_urlencoded::parse(body) {
            let slot = match key.as_ref() {
                "csrf" => &mut posted.csrf,
                "op" => &mut posted.op,
                "yaml" => &mut posted.yaml,
                _ => continue,
            };
            *slot = value.into_owned();
        }
        posted
    }
}

async fn submit(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let back = workflow_href(&code);
    let user = match signed_in_or_login(user, &back) {
        Ok(user) => user,
        Err(login) => return login,
    };
    let posted = Posted::from_form(&body);
    if !csrf::verify(&state.secret, Some(&user), &headers, &posted.csrf) {
        return forbidden(&state, prefs);
    }
    // Rights first, so that another department's service is a 404 whatever was posted.
    let found = match workflow_admin::load(&state.db, state.clock.as_ref(), &user, &code).await {
        Ok(found) => found,
        Err(error) => return refusal(&state, prefs, error),
    };
    let text = posted.yaml.replace("\r\n", "\n");
    let shown = Shown {
        yaml: Some(text.clone()),
        template: None,
        checked: true,
        done: None,
    };
    if posted.op != "save" {
        return render(&state, prefs, &user, &headers, &found, shown);
    }
    if !found.draft {
        return not_found(&state, prefs);
    }
    let Ok(def) = parsed(&text) else {
        return render(&state, prefs, &user, &headers, &found, shown);
    };
    let origin = origin(&headers, peer);
    match workflow_admin::save_workflow(&state.db, state.clock.as_ref(), &user, &origin, &code, def)
        .await
    {
        Ok(()) => see_other(&format!("{back}?done=saved")),
        // The page lists the same problems, each with its line.
        Err(EditError::Invalid(_)) => render(&state, prefs, &user, &headers, &found, shown),
        Err(error) => refusal(&state, prefs, error),
    }
}
