//! Workflows (办理流程): what happens to a case after it is submitted, as data.
//!
//! A [`WorkflowDefinition`] is a state machine written in the catalogue YAML and versioned with
//! its service: states grouped into the four stages an applicant sees (受理 accept → 审查 review →
//! 决定 decide → 办结 complete), the tasks each state opens (one department and role each; several
//! at once is 并联审批, parallel approval), and the actions that move a case on (who may take
//! them, whether a comment or an attachment is required, where the case goes — possibly by a
//! condition on the form's answers — and what the applicant is told).
//!
//! [`engine`] applies actions to a [`CaseState`] as a pure function; [`check`] refuses a
//! definition with unreachable states, dead ends or unknown roles before it is published.
//!
//! ```yaml
//! workflow:
//!   start: intake
//!   states:
//!     - key: intake
//!       name: { zh-CN: 受理, en: Intake }
//!       stage: accept
//!       tasks: [ { role: front-desk-clerk } ]
//!       actions:
//!         - { key: accept, kind: accept, by: [front-desk-clerk], to: review }
//!         - { key: refuse, kind: refuse-intake, by: [front-desk-clerk], to: not-accepted, comment: required }
//!     - key: review
//!       ...
//! ```

pub mod check;
pub mod diagram;
pub mod engine;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::LocalizedText;
use crate::access::Role;
use crate::forms::Condition;

pub use check::{CheckContext, FormContext, WorkflowProblem};
pub use engine::{
    Actor, Available, CaseState, Command, Decision, Event, Outcome, PauseReason, PauseRecord,
    StepStatus, TaskState, Transition, WorkflowError, apply, available_actions, progress, start,
};

/// The state every case can be withdrawn into by its applicant (撤回); definitions need not
/// (and may not) declare it.
pub const WITHDRAWN: &str = "withdrawn";

/// The most working days one extension may add: the Administrative Licensing Law (Art. 42)
/// lets the head of the authority extend the 20-day limit by 10 days.
pub const MAX_EXTENSION_DAYS: u16 = 30;

/// A workflow: the states a case passes through and the actions between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowDefinition {
    /// The state a new case enters.
    pub start: String,
    pub states: Vec<State>,
    /// Roles that may suspend, resume and extend a case (暂停/延期), in the case's department.
    #[serde(default = "default_supervising_roles")]
    pub suspend_roles: Vec<String>,
}

fn default_supervising_roles() -> Vec<String> {
    vec![Role::Approver.key().to_owned()]
}

/// The four stages shown to applicants as a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// 受理: checked for completeness and accepted (or refused, or sent back for correction).
    Accept,
    /// 审查: examined, possibly by several departments at once.
    Review,
    /// 决定: decided.
    Decide,
    /// 办结: finished, the result delivered.
    Complete,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::Accept, Stage::Review, Stage::Decide, Stage::Complete];

    pub fn key(self) -> &'static str {
        match self {
            Stage::Accept => "accept",
            Stage::Review => "review",
            Stage::Decide => "decide",
            Stage::Complete => "complete",
        }
    }

    pub fn from_key(key: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// One state of the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// Lower-case key, unique in the workflow.
    pub key: String,
    pub name: LocalizedText,
    pub stage: Stage,
    /// Committed working days for this state, counted from the day the case enters it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u16>,
    /// Who works on the case here: one task, or several at once (parallel approval).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskSpec>,
    /// How the decisions of parallel tasks combine; required when there are several tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<Join>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// The case waits for the applicant here (补正): the clock is paused.
    #[serde(default, skip_serializing_if = "is_false")]
    pub waits_for_applicant: bool,
    /// Set on the states that end a case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

fn is_false(value: &bool) -> bool {
    !value
}

impl State {
    pub fn is_terminal(&self) -> bool {
        self.outcome.is_some()
    }

    pub fn is_parallel(&self) -> bool {
        self.join.is_some()
    }

    pub fn action(&self, key: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.key == key)
    }
}

/// A task a state opens: a role in a department (the service's own when not named).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    pub role: String,
}

impl TaskSpec {
    /// The department that works on the task: its own, or the service's (`home`).
    pub fn department_or<'a>(&'a self, home: &'a str) -> &'a str {
        self.department.as_deref().unwrap_or(home)
    }
}

/// Where a parallel state goes once its tasks have decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Join {
    /// When every task concurred.
    pub all_concur: String,
    /// When a task objected.
    pub objection: String,
    /// Whether the first objection moves the case at once (closing the other tasks) rather
    /// than waiting for every department.
    #[serde(default, skip_serializing_if = "is_false")]
    pub objection_ends: bool,
}

/// The kind of an action: what it means for the clock, the notices and the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActionKind {
    /// 受理: the application is complete and accepted; the clock starts.
    Accept,
    /// 不予受理: refused at intake.
    RefuseIntake,
    /// 补正: back to the applicant with everything to fix; the clock pauses.
    RequestCorrection,
    /// The applicant answers a correction request; the clock resumes.
    Resubmit,
    /// Passed on to the next state (审查通过).
    Forward,
    /// 退回: sent back a stage.
    SendBack,
    /// 准予: decided in the applicant's favour.
    Approve,
    /// 不予许可: refused.
    Refuse,
    /// 办结: the result is delivered.
    Complete,
    /// A department of a parallel review agrees.
    Concur,
    /// A department of a parallel review objects.
    Object,
    /// 撤回: the applicant withdraws (available in every open state).
    Withdraw,
    /// 暂停: the case is suspended with a reason; the clock pauses.
    Suspend,
    /// The suspension ends; the clock resumes.
    Resume,
    /// 延期: the time limit is extended by some working days.
    Extend,
}

impl ActionKind {
    pub const ALL: [ActionKind; 15] = [
        ActionKind::Accept,
        ActionKind::RefuseIntake,
        ActionKind::RequestCorrection,
        ActionKind::Resubmit,
        ActionKind::Forward,
        ActionKind::SendBack,
        ActionKind::Approve,
        ActionKind::Refuse,
        ActionKind::Complete,
        ActionKind::Concur,
        ActionKind::Object,
        ActionKind::Withdraw,
        ActionKind::Suspend,
        ActionKind::Resume,
        ActionKind::Extend,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ActionKind::Accept => "accept",
            ActionKind::RefuseIntake => "refuse-intake",
            ActionKind::RequestCorrection => "request-correction",
            ActionKind::Resubmit => "resubmit",
            ActionKind::Forward => "forward",
            ActionKind::SendBack => "send-back",
            ActionKind::Approve => "approve",
            ActionKind::Refuse => "refuse",
            ActionKind::Complete => "complete",
            ActionKind::Concur => "concur",
            ActionKind::Object => "object",
            ActionKind::Withdraw => "withdraw",
            ActionKind::Suspend => "suspend",
            ActionKind::Resume => "resume",
            ActionKind::Extend => "extend",
        }
    }

    pub fn from_key(key: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Actions every open case has without the definition naming them.
    pub fn is_built_in(self) -> bool {
        matches!(
            self,
            ActionKind::Withdraw | ActionKind::Suspend | ActionKind::Resume | ActionKind::Extend
        )
    }

    /// Actions that record one department's view in a parallel state instead of moving the case.
    pub fn is_parallel_vote(self) -> bool {
        matches!(self, ActionKind::Concur | ActionKind::Object)
    }
}

/// Whether an action asks for a comment or an attachment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    #[default]
    Optional,
    Required,
    /// Not offered at all.
    None,
}

/// An action staff (or the applicant) can take in a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Lower-case key, unique in its state.
    pub key: String,
    pub kind: ActionKind,
    /// The button's label; the kind's standard label when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<LocalizedText>,
    /// Who may take it: role keys (in the task's department), or `applicant`.
    pub by: Vec<String>,
    /// Where the case goes; parallel votes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Target>,
    #[serde(default, skip_serializing_if = "is_optional")]
    pub comment: Requirement,
    #[serde(default = "no_attachment", skip_serializing_if = "is_none_requirement")]
    pub attachment: Requirement,
    /// What the applicant is told when it is taken (besides any notice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tell: Option<LocalizedText>,
}

fn is_optional(value: &Requirement) -> bool {
    *value == Requirement::Optional
}

fn no_attachment() -> Requirement {
    Requirement::None
}

fn is_none_requirement(value: &Requirement) -> bool {
    *value == Requirement::None
}

/// The party allowed to take an action.
pub const APPLICANT: &str = "applicant";

/// Where an action leads: one state, or routes tried in order (the first whose condition holds
/// on the form's answers; the last one without a condition).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Target {
    State(String),
    Routes(Vec<Route>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Condition>,
    pub state: String,
}

impl Target {
    /// Every state the target may lead to.
    pub fn states(&self) -> Vec<&str> {
        match self {
            Target::State(state) => vec![state.as_str()],
            Target::Routes(routes) => routes.iter().map(|r| r.state.as_str()).collect(),
        }
    }
}

// A string or a list; decided by looking, so that a mistake inside a route is reported as
// itself rather than as "did not match any variant".
impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(state) => Ok(Target::State(state)),
            serde_json::Value::Array(_) => serde_json::from_value(value)
                .map(Target::Routes)
                .map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(
                "`to` is a state key or a list of routes ({ when, state })",
            )),
        }
    }
}

/// A service's workflow as written in the catalogue: the key of one of the document's
/// templates (`workflow: standard`), or a definition of its own. Imports resolve templates, so a
/// stored service version always carries its whole definition and a later template change never
/// alters the cases already filed under it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WorkflowChoice {
    Template(String),
    Defined(Box<WorkflowDefinition>),
}

impl<'de> Deserialize<'de> for WorkflowChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(key) => Ok(WorkflowChoice::Template(key)),
            serde_json::Value::Object(_) => serde_json::from_value(value)
                .map(|d| WorkflowChoice::Defined(Box::new(d)))
                .map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(
                "`workflow` is a template key or a workflow definition",
            )),
        }
    }
}

impl WorkflowChoice {
    pub fn definition(&self) -> Option<&WorkflowDefinition> {
        match self {
            WorkflowChoice::Defined(def) => Some(def),
            WorkflowChoice::Template(_) => None,
        }
    }
}

/// A named workflow in the catalogue document that services refer to by key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowTemplate {
    pub key: String,
    pub name: LocalizedText,
    pub definition: WorkflowDefinition,
}

impl WorkflowDefinition {
    pub fn state(&self, key: &str) -> Option<&State> {
        self.states.iter().find(|s| s.key == key)
    }

    /// The standard four-stage workflow of a service handled in one department, used for
    /// services whose catalogue entry names none: intake by the front desk (accept, refuse,
    /// or ask for corrections), review, decision, delivery.
    pub fn standard() -> WorkflowDefinition {
        serde_json::from_str(STANDARD_JSON).unwrap_or_else(|_| WorkflowDefinition {
            // Unreachable: STANDARD_JSON is checked by a test. A definition with only a
            // terminal state is still safe to run.
            start: "intake".into(),
            states: Vec::new(),
            suspend_roles: default_supervising_roles(),
        })
    }

    /// Role keys used anywhere in the definition, with where.
    pub(crate) fn role_uses(&self) -> Vec<(String, &str)> {
        let mut uses = Vec::new();
        for (i, state) in self.states.iter().enumerate() {
            for (j, task) in state.tasks.iter().enumerate() {
                uses.push((format!("states[{i}].tasks[{j}].role"), task.role.as_str()));
            }
            for (j, action) in state.actions.iter().enumerate() {
                for (k, by) in action.by.iter().enumerate() {
                    uses.push((format!("states[{i}].actions[{j}].by[{k}]"), by.as_str()));
                }
            }
        }
        for (k, role) in self.suspend_roles.iter().enumerate() {
            uses.push((format!("suspend_roles[{k}]"), role.as_str()));
        }
        uses
    }
}

const STANDARD_JSON: &str = r#"{
  "start": "intake",
  "states": [
    { "key": "intake", "name": { "zh-CN": "受理", "en": "Intake" }, "stage": "accept", "days": 1,
      "tasks": [ { "role": "front-desk-clerk" } ],
      "actions": [
        { "key": "accept", "kind": "accept", "by": ["front-desk-clerk"], "to": "review" },
        { "key": "request-correction", "kind": "request-correction", "by": ["front-desk-clerk"], "to": "correction", "comment": "required" },
        { "key": "refuse-intake", "kind": "refuse-intake", "by": ["front-desk-clerk"], "to": "not-accepted", "comment": "required" }
      ] },
    { "key": "correction", "name": { "zh-CN": "待补正", "en": "Waiting for corrections" }, "stage": "accept",
      "waits_for_applicant": true,
      "actions": [ { "key": "resubmit", "kind": "resubmit", "by": ["applicant"], "to": "intake" } ] },
    { "key": "review", "name": { "zh-CN": "审查", "en": "Review" }, "stage": "review",
      "tasks": [ { "role": "reviewer" } ],
      "actions": [
        { "key": "forward", "kind": "forward", "by": ["reviewer"], "to": "decision" },
        { "key": "request-correction", "kind": "request-correction", "by": ["reviewer"], "to": "correction", "comment": "required" },
        { "key": "send-back", "kind": "send-back", "by": ["reviewer"], "to": "intake", "comment": "required" }
      ] },
    { "key": "decision", "name": { "zh-CN": "决定", "en": "Decision" }, "stage": "decide",
      "tasks": [ { "role": "approver" } ],
      "actions": [
        { "key": "approve", "kind": "approve", "by": ["approver"], "to": "approved" },
        { "key": "refuse", "kind": "refuse", "by": ["approver"], "to": "refused", "comment": "required" },
        { "key": "send-back", "kind": "send-back", "by": ["approver"], "to": "review", "comment": "required" }
      ] },
    { "key": "approved", "name": { "zh-CN": "办结（准予）", "en": "Completed: approved" }, "stage": "complete", "outcome": "approved" },
    { "key": "refused", "name": { "zh-CN": "办结（不予许可）", "en": "Completed: refused" }, "stage": "complete", "outcome": "refused" },
    { "key": "not-accepted", "name": { "zh-CN": "不予受理", "en": "Not accepted" }, "stage": "accept", "outcome": "not-accepted" }
  ]
}"#;

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The standard label of an action kind, for actions that name none.
pub fn kind_label(kind: ActionKind) -> LocalizedText {
    use crate::Locale;
    let (zh, en) = match kind {
        ActionKind::Accept => ("受理", "Accept"),
        ActionKind::RefuseIntake => ("不予受理", "Refuse to accept"),
        ActionKind::RequestCorrection => ("要求补正", "Ask for corrections"),
        ActionKind::Resubmit => ("提交补正材料", "Send corrections"),
        ActionKind::Forward => ("审查通过", "Pass on"),
        ActionKind::SendBack => ("退回", "Send back"),
        ActionKind::Approve => ("准予", "Approve"),
        ActionKind::Refuse => ("不予许可", "Refuse"),
        ActionKind::Complete => ("办结", "Complete"),
        ActionKind::Concur => ("同意", "Agree"),
        ActionKind::Object => ("不同意", "Object"),
        ActionKind::Withdraw => ("撤回申请", "Withdraw"),
        ActionKind::Suspend => ("暂停", "Suspend"),
        ActionKind::Resume => ("恢复办理", "Resume"),
        ActionKind::Extend => ("延期", "Extend the time limit"),
    };
    LocalizedText::new(zh).with(Locale::En, en)
}

impl Action {
    /// The label shown on the action's button.
    pub fn label(&self) -> LocalizedText {
        self.name.clone().unwrap_or_else(|| kind_label(self.kind))
    }

    pub fn allows(&self, party: &str) -> bool {
        self.by.iter().any(|b| b == party)
    }
}
