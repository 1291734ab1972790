//! Editing a service's workflow (办理流程) online: the workflow of the open draft (or of the
//! latest published version when none is open), the checks publishing makes with where each
//! problem sits in the YAML text, the templates an administrator can start from, and saving a
//! definition into the draft.
//!
//! The workflow is part of the service's draft, so it is saved through
//! [`catalog_admin::save_draft`] exactly as the form is (the same rights: a department
//! administrator, their own department's services only, another department's answered like a
//! missing one; the same lock and the same audit entry) and published by the service editor's
//! publish. Unlike a form, a definition with problems is not saved: it is one text the editor
//! keeps on screen as typed, and a stored workflow that cannot run would stop every new case of
//! the service the moment the draft is published by someone who did not open this page.

use std::collections::HashSet;
use std::sync::OnceLock;

use tongban_domain::LocalizedText;
use tongban_domain::catalog::CatalogProblem;
use tongban_domain::clock::Clock;
use tongban_domain::forms::FormDefinition;
use tongban_domain::workflow::{
    CheckContext, FormContext, WorkflowChoice, WorkflowDefinition, WorkflowProblem,
    WorkflowTemplate,
};
use tongban_store::Connection;

use crate::catalog_admin::{self, EditError};
use crate::form_admin::{self, SyntaxError};
use crate::identity::{CurrentUser, Origin};
use crate::yaml_lines::YamlLines;

/// The workflow an administrator edits, or reads when no draft is open.
#[derive(Debug, Clone)]
pub struct WorkflowEdit {
    pub code: String,
    /// The service's name in the draft (or the latest published version).
    pub service_name: LocalizedText,
    /// Whether a draft is open: only a draft's workflow can be changed.
    pub draft: bool,
    /// The service's own workflow; the standard one when it names none.
    pub workflow: WorkflowDefinition,
    /// Whether `workflow` is the standard one because the service names none.
    pub is_default: bool,
    /// The service's form, which routes are checked against.
    pub form: Option<FormDefinition>,
    /// The codes of the region's departments, which tasks may name.
    pub departments: Vec<String>,
}

impl WorkflowEdit {
    /// Every problem publishing would refuse in `def`, checked against this service.
    pub fn check(&self, def: &WorkflowDefinition) -> Vec<WorkflowProblem> {
        check(def, &self.departments, self.form.as_ref())
    }
}

/// The workflow of service `code`: the draft's when one is open, else the latest published one.
pub async fn load(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    code: &str,
) -> Result<WorkflowEdit, EditError> {
    let found = catalog_admin::service_versions(db, clock, user, code).await?;
    let draft = found.draft();
    let shown = draft.or_else(|| found.latest());
    let own = shown.and_then(|v| {
        v.content
            .workflow
            .as_ref()
            .and_then(WorkflowChoice::definition)
    });
    Ok(WorkflowEdit {
        code: found.code.clone(),
        service_name: shown.map(|v| v.content.name.clone()).unwrap_or_default(),
        draft: draft.is_some(),
        is_default: own.is_none(),
        workflow: own.cloned().unwrap_or_else(WorkflowDefinition::standard),
        form: shown.and_then(|v| v.content.form.clone()),
        departments: departments(db, found.region_id).await?,
    })
}

/// The codes of the region's departments, sorted.
async fn departments(db: &Connection, region_id: uuid::Uuid) -> Result<Vec<String>, EditError> {
    let mut codes: Vec<String> = tongban_store::catalog::department_ids(db, region_id)
        .await?
        .into_keys()
        .collect();
    codes.sort();
    Ok(codes)
}

/// The checks of `def` for a service with `form` in a region with `departments`.
pub fn check(
    def: &WorkflowDefinition,
    departments: &[String],
    form: Option<&FormDefinition>,
) -> Vec<WorkflowProblem> {
    let departments: HashSet<&str> = departments.iter().map(String::as_str).collect();
    def.check(CheckContext {
        departments: &departments,
        form: FormContext::Service(form),
    })
}

/// A problem with the line and column (1-based) of the YAML it is about, when the text has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedProblem {
    pub path: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Places each problem in `text`, the YAML the definition was read from.
pub fn locate(text: &str, problems: Vec<WorkflowProblem>) -> Vec<LocatedProblem> {
    let lines = YamlLines::read(text);
    problems
        .into_iter()
        .map(|p| {
            let at = lines.locate(&p.path);
            LocatedProblem {
                line: at.map(|(line, _)| line),
                column: at.map(|(_, column)| column),
                path: p.path,
                message: p.message,
            }
        })
        .collect()
}

/// Reads a definition from YAML, with where a syntax error sits.
pub fn parse(text: &str) -> Result<WorkflowDefinition, SyntaxError> {
    form_admin::parse_yaml(text)
}

/// `def` as the YAML the editor shows.
pub fn to_yaml(def: &WorkflowDefinition) -> String {
    form_admin::to_yaml(def)
}

/// Stores `def` as the draft's workflow when it passes every check; otherwise nothing is
/// stored and the problems are returned (paths relative to the definition).
pub async fn save_workflow(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
    def: WorkflowDefinition,
) -> Result<(), EditError> {
    let found = catalog_admin::service_versions(db, clock, user, code).await?;
    let mut content = found.draft().ok_or(EditError::NoDraft)?.content.clone();
    let problems = check(
        &def,
        &departments(db, found.region_id).await?,
        content.form.as_ref(),
    );
    if !problems.is_empty() {
        return Err(EditError::Invalid(
            problems
                .into_iter()
                .map(|p| CatalogProblem {
                    path: p.path,
                    message: p.message,
                })
                .collect(),
        ));
    }
    content.workflow = Some(WorkflowChoice::Defined(Box::new(def)));
    catalog_admin::save_draft(db, clock, user, origin, code, content).await
}

/// The workflows an administrator can start from: the standard one, then the templates of the
/// demo catalogue, which are written for any region (imports resolve a document's templates
/// into its services and do not keep them, so these are the templates every region has).
pub fn templates() -> &'static [WorkflowTemplate] {
    static TEMPLATES: OnceLock<Vec<WorkflowTemplate>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let mut templates = vec![WorkflowTemplate {
            key: "standard".into(),
            name: LocalizedText::new("标准流程（受理、审查、决定）").with(
                tongban_domain::Locale::En,
                "Standard: intake, review, decision",
            ),
            definition: WorkflowDefinition::standard(),
        }];
        // The demo document is checked by tests; were it broken, the standard one remains.
        if let Ok(doc) = crate::catalog::demo_document() {
            for template in doc.workflows {
                match templates.iter_mut().find(|t| t.key == template.key) {
                    Some(existing) => *existing = template,
                    None => templates.push(template),
                }
            }
        }
        templates
    })
}

/// The template called `key`.
pub fn template(key: &str) -> Option<&'static WorkflowTemplate> {
    templates().iter().find(|t| t.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departments() -> Vec<String> {
        vec!["SJ".into(), "WJ".into()]
    }

    #[test]
    fn every_template_passes_the_checks_and_round_trips_through_yaml() {
        let keys: Vec<&str> = templates().iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys[0], "standard");
        for key in ["on-the-spot", "registration", "multi-level"] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        for t in templates() {
            assert_eq!(check(&t.definition, &departments(), None), [], "{}", t.key);
            assert_eq!(parse(&to_yaml(&t.definition)).unwrap(), t.definition);
        }
    }

    #[test]
    fn problems_are_placed_on_their_line() {
        let text = "start: intake\nstates:\n  - key: intake\n    name: { zh-CN: 受理 }\n    stage: accept\n    tasks: [ { role: clerk } ]\n    actions:\n      - { key: go, kind: accept, by: [front-desk-clerk], to: nowhere }\n";
        let def = parse(text).unwrap();
        let found = locate(text, check(&def, &departments(), None));
        let unknown = found
            .iter()
            .find(|p| p.path == "states[0].actions[0].to")
            .expect("the unknown target");
        assert_eq!(unknown.line, Some(8), "{found:?}");
        let role = found
            .iter()
            .find(|p| p.path == "states[0].tasks[0].role")
            .expect("the unknown role");
        assert_eq!(role.line, Some(6));
        let error = parse("start: a\nstates: []\ncolour: red\n").unwrap_err();
        assert_eq!(error.line, Some(3), "{error:?}");
    }
}
