//! The workflow engine: `(definition, case state, action, actor, today) -> (new state, events)`.
//!
//! Pure: no database, no clock. A refused action returns an error and the caller keeps the
//! state it had; an allowed one returns the whole next state and the events the services layer
//! turns into tasks, timeline entries, notices and messages. The clock is recorded as dates
//! (acceptance, pauses, extension); the calendar turns them into deadlines.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    APPLICANT, Action, ActionKind, LocalizedText, Requirement, Stage, State, Target, WITHDRAWN,
    WorkflowDefinition, kind_label,
};
use crate::forms::Answers;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// 准予: granted (licence issued, registration made, payment approved).
    Approved,
    /// 不予许可: refused after review.
    Refused,
    /// 不予受理: refused at intake.
    NotAccepted,
    /// 撤回: withdrawn by the applicant.
    Withdrawn,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Approved,
        Outcome::Refused,
        Outcome::NotAccepted,
        Outcome::Withdrawn,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Refused => "refused",
            Outcome::NotAccepted => "not-accepted",
            Outcome::Withdrawn => "withdrawn",
        }
    }

    pub fn from_key(key: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.key() == key)
    }
}

/// A department's view in a parallel review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Concur,
    Object,
}

/// A task of the current state: who works on it and, in a parallel review, what they decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    pub department: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PauseReason {
    /// Waiting for the applicant's corrections (补正).
    Correction,
    /// Suspended by the department (暂停), e.g. for an expert opinion or a hearing.
    Suspension,
}

/// A pause of the clock: from the day it began until the day it ended (open while `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseRecord {
    pub from: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
    pub reason: PauseReason,
}

/// Where a case stands in its workflow; stored with the case as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseState {
    /// The current state's key ([`WITHDRAWN`] after a withdrawal).
    pub state: String,
    /// The local day the case entered the current state (for the state's own time limit).
    pub entered_on: NaiveDate,
    pub tasks: Vec<TaskState>,
    /// The local day it was accepted (受理); the clock starts on the next working day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<PauseRecord>,
    /// Working days added by an extension (延期).
    #[serde(default)]
    pub extension_days: u16,
    #[serde(default)]
    pub suspended: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
}

impl CaseState {
    pub fn is_closed(&self) -> bool {
        self.outcome.is_some()
    }

    /// Whether the clock is stopped now (waiting for corrections or suspended).
    pub fn is_paused(&self) -> bool {
        self.pauses.iter().any(|p| p.until.is_none())
    }

    fn close_pause(&mut self, reason: PauseReason, on: NaiveDate, events: &mut Vec<Event>) {
        for pause in self.pauses.iter_mut() {
            if pause.until.is_none() && pause.reason == reason {
                pause.until = Some(on);
                events.push(Event::ClockResumed { on, reason });
            }
        }
    }

    fn open_pause(&mut self, reason: PauseReason, on: NaiveDate, events: &mut Vec<Event>) {
        // Before acceptance there is no clock to stop.
        if self.accepted_on.is_some()
            && !self
                .pauses
                .iter()
                .any(|p| p.until.is_none() && p.reason == reason)
        {
            self.pauses.push(PauseRecord {
                from: on,
                until: None,
                reason,
            });
            events.push(Event::ClockPaused { on, reason });
        }
    }
}

/// Who acts: the applicant of this case (or their agent), or staff with departmental roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    /// Acting as (or for) the case's applicant.
    pub applicant: bool,
    /// (role key, department code) pairs the staff member holds in the case's region.
    pub grants: Vec<(String, String)>,
}

impl Actor {
    pub fn applicant() -> Actor {
        Actor {
            applicant: true,
            grants: Vec::new(),
        }
    }

    pub fn staff(grants: impl IntoIterator<Item = (String, String)>) -> Actor {
        Actor {
            applicant: false,
            grants: grants.into_iter().collect(),
        }
    }

    pub fn holds(&self, role: &str, department: &str) -> bool {
        self.grants
            .iter()
            .any(|(r, d)| r == role && d == department)
    }
}

/// One request to act on a case.
#[derive(Debug, Clone)]
pub struct Command<'a> {
    /// The action's key (a state's action, or `withdraw`, `suspend`, `resume`, `extend`).
    pub action: &'a str,
    pub actor: &'a Actor,
    /// The local day in the case's region.
    pub today: NaiveDate,
    /// The form's answers, for routing conditions.
    pub answers: &'a Answers,
    pub comment: Option<&'a str>,
    pub has_attachment: bool,
    /// Working days asked for by an extension.
    pub extension_days: Option<u16>,
}

/// What an allowed action did, for the timeline, the tasks, the notices and the applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The action was taken; `to` equals `from` when the case stayed where it was.
    Acted {
        action: String,
        kind: ActionKind,
        from: String,
        to: String,
    },
    /// A department recorded its view in a parallel review.
    Voted {
        department: String,
        role: String,
        decision: Decision,
    },
    ClockStarted {
        on: NaiveDate,
    },
    ClockPaused {
        on: NaiveDate,
        reason: PauseReason,
    },
    ClockResumed {
        on: NaiveDate,
        reason: PauseReason,
    },
    Extended {
        days: u16,
    },
    Closed {
        outcome: Outcome,
    },
    /// What the definition says the applicant is told.
    Tell(LocalizedText),
}

/// The next state and what happened on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub state: CaseState,
    pub events: Vec<Event>,
}

/// Why an action was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the case is closed")]
    Closed,
    #[error("the case is suspended; it must be resumed first")]
    Suspended,
    #[error("action {0} is not available in the case's current state")]
    NotAvailable(String),
    #[error("you may not take action {0} on this case")]
    NotPermitted(String),
    #[error("your department has already decided")]
    AlreadyDecided,
    #[error("a comment is required")]
    CommentRequired,
    #[error("an attachment is required")]
    AttachmentRequired,
    #[error("the time limit has already been extended")]
    AlreadyExtended,
    #[error("an extension of 1 to {max} working days is required")]
    ExtensionDays { max: u16 },
    #[error("the time limit can be extended only after acceptance")]
    NotAccepted,
    #[error("no route of action {0} applies to this application")]
    NoRoute(String),
    #[error("the workflow has no state {0}")]
    UnknownState(String),
}

/// The state a new case enters, received on `today`.
pub fn start(def: &WorkflowDefinition, home: &str, today: NaiveDate) -> CaseState {
    let mut case = CaseState {
        state: def.start.clone(),
        entered_on: today,
        tasks: Vec::new(),
        accepted_on: None,
        pauses: Vec::new(),
        extension_days: 0,
        suspended: false,
        outcome: None,
    };
    if let Some(state) = def.state(&def.start) {
        case.tasks = open_tasks(state, home);
        case.outcome = state.outcome;
    }
    case
}

fn open_tasks(state: &State, home: &str) -> Vec<TaskState> {
    state
        .tasks
        .iter()
        .map(|t| TaskState {
            department: t.department_or(home).to_owned(),
            role: t.role.clone(),
            decision: None,
        })
        .collect()
}

/// The built-in actions, as the engine offers them.
fn built_in(def: &WorkflowDefinition, kind: ActionKind) -> Action {
    let by = if kind == ActionKind::Withdraw {
        vec![APPLICANT.to_owned()]
    } else {
        def.suspend_roles.clone()
    };
    Action {
        key: kind.key().to_owned(),
        kind,
        name: Some(kind_label(kind)),
        by,
        to: None,
        comment: if kind == ActionKind::Withdraw {
            Requirement::Optional
        } else {
            Requirement::Required
        },
        attachment: Requirement::None,
        tell: None,
    }
}

const BUILT_INS: [ActionKind; 4] = [
    ActionKind::Withdraw,
    ActionKind::Suspend,
    ActionKind::Resume,
    ActionKind::Extend,
];

/// An action the actor may take now, with the task it would decide in a parallel review.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    pub action: Action,
    pub task: Option<usize>,
}

/// The actions `actor` may take on `case` now (comments and attachments aside).
pub fn available_actions(
    def: &WorkflowDefinition,
    home: &str,
    case: &CaseState,
    actor: &Actor,
) -> Vec<Available> {
    let Some(state) = def.state(&case.state) else {
        return Vec::new();
    };
    if case.is_closed() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if !case.suspended {
        for action in &state.actions {
            if let Ok(task) = permitted(action, state, home, case, actor) {
                out.push(Available {
                    action: action.clone(),
                    task,
                });
            }
        }
    }
    for kind in BUILT_INS {
        let action = built_in(def, kind);
        if built_in_permitted(&action, state, home, case, actor).is_ok() {
            out.push(Available { action, task: None });
        }
    }
    out
}

/// Whether `actor` may take the state's `action`; for a parallel vote, the task it decides.
fn permitted(
    action: &Action,
    state: &State,
    home: &str,
    case: &CaseState,
    actor: &Actor,
) -> Result<Option<usize>, WorkflowError> {
    let refused = || WorkflowError::NotPermitted(action.key.clone());
    if action.kind.is_parallel_vote() {
        let mine = |t: &TaskState| action.allows(&t.role) && actor.holds(&t.role, &t.department);
        if let Some(i) = case
            .tasks
            .iter()
            .position(|t| t.decision.is_none() && mine(t))
        {
            return Ok(Some(i));
        }
        return Err(if case.tasks.iter().any(mine) {
            WorkflowError::AlreadyDecided
        } else {
            refused()
        });
    }
    if actor.applicant && action.allows(APPLICANT) {
        return Ok(None);
    }
    // Staff act in the departments the state's tasks are in (the service's own for states
    // without tasks).
    let departments: Vec<&str> = if state.tasks.is_empty() {
        vec![home]
    } else {
        state.tasks.iter().map(|t| t.department_or(home)).collect()
    };
    let allowed = action
        .by
        .iter()
        .filter(|r| r.as_str() != APPLICANT)
        .any(|role| departments.iter().any(|d| actor.holds(role, d)));
    if allowed { Ok(None) } else { Err(refused()) }
}

fn built_in_permitted(
    action: &Action,
    state: &State,
    home: &str,
    case: &CaseState,
    actor: &Actor,
) -> Result<(), WorkflowError> {
    let refused = || WorkflowError::NotPermitted(action.key.clone());
    let not_now = || WorkflowError::NotAvailable(action.key.clone());
    match action.kind {
        ActionKind::Withdraw => {
            if actor.applicant {
                Ok(())
            } else {
                Err(refused())
            }
        }
        kind => {
            if !action.by.iter().any(|role| actor.holds(role, home)) {
                return Err(refused());
            }
            match kind {
                ActionKind::Suspend if case.suspended || state.waits_for_applicant => {
                    Err(not_now())
                }
                ActionKind::Resume if !case.suspended => Err(not_now()),
                ActionKind::Extend if case.suspended => Err(WorkflowError::Suspended),
                ActionKind::Extend if case.accepted_on.is_none() => Err(WorkflowError::NotAccepted),
                ActionKind::Extend if case.extension_days > 0 => {
                    Err(WorkflowError::AlreadyExtended)
                }
                _ => Ok(()),
            }
        }
    }
}

fn has_text(comment: Option<&str>) -> bool {
    comment.is_some_and(|c| !c.trim().is_empty())
}

fn check_inputs(action: &Action, cmd: &Command) -> Result<(), WorkflowError> {
    if action.comment == Requirement::Required && !has_text(cmd.comment) {
        return Err(WorkflowError::CommentRequired);
    }
    if action.attachment == Requirement::Required && !cmd.has_attachment {
        return Err(WorkflowError::AttachmentRequired);
    }
    Ok(())
}

/// Applies one action. On error nothing changed; on success the whole next state is returned.
pub fn apply(
    def: &WorkflowDefinition,
    home: &str,
    case: &CaseState,
    cmd: &Command,
) -> Result<Transition, WorkflowError> {
    if case.is_closed() {
        return Err(WorkflowError::Closed);
    }
    let state = def
        .state(&case.state)
        .ok_or_else(|| WorkflowError::UnknownState(case.state.clone()))?;
    let mut next = case.clone();
    let mut events = Vec::new();

    if let Some(kind) = ActionKind::from_key(cmd.action).filter(|k| k.is_built_in())
        && state.action(cmd.action).is_none()
    {
        let action = built_in(def, kind);
        if case.suspended && !matches!(kind, ActionKind::Resume | ActionKind::Withdraw) {
            return Err(WorkflowError::Suspended);
        }
        built_in_permitted(&action, state, home, case, cmd.actor)?;
        check_inputs(&action, cmd)?;
        let acted = |to: &str| Event::Acted {
            action: action.key.clone(),
            kind,
            from: case.state.clone(),
            to: to.to_owned(),
        };
        match kind {
            ActionKind::Withdraw => {
                events.push(acted(WITHDRAWN));
                finish(
                    &mut next,
                    WITHDRAWN,
                    Outcome::Withdrawn,
                    cmd.today,
                    &mut events,
                );
            }
            ActionKind::Suspend => {
                events.push(acted(&case.state));
                next.suspended = true;
                next.open_pause(PauseReason::Suspension, cmd.today, &mut events);
            }
            ActionKind::Resume => {
                events.push(acted(&case.state));
                next.suspended = false;
                next.close_pause(PauseReason::Suspension, cmd.today, &mut events);
            }
            _ => {
                let days = cmd
                    .extension_days
                    .filter(|d| (1..=super::MAX_EXTENSION_DAYS).contains(d))
                    .ok_or(WorkflowError::ExtensionDays {
                        max: super::MAX_EXTENSION_DAYS,
                    })?;
                events.push(acted(&case.state));
                next.extension_days = days;
                events.push(Event::Extended { days });
            }
        }
        return Ok(Transition {
            state: next,
            events,
        });
    }

    let action = state
        .action(cmd.action)
        .ok_or_else(|| WorkflowError::NotAvailable(cmd.action.to_owned()))?;
    if case.suspended {
        return Err(WorkflowError::Suspended);
    }
    let task = permitted(action, state, home, case, cmd.actor)?;
    check_inputs(action, cmd)?;

    if let (Some(i), Some(join)) = (task, &state.join) {
        let decision = if action.kind == ActionKind::Concur {
            Decision::Concur
        } else {
            Decision::Object
        };
        next.tasks[i].decision = Some(decision);
        events.push(Event::Voted {
            department: next.tasks[i].department.clone(),
            role: next.tasks[i].role.clone(),
            decision,
        });
        let objected = next
            .tasks
            .iter()
            .any(|t| t.decision == Some(Decision::Object));
        let all_decided = next.tasks.iter().all(|t| t.decision.is_some());
        let target = if objected && (join.objection_ends || all_decided) {
            Some(join.objection.as_str())
        } else if all_decided {
            Some(join.all_concur.as_str())
        } else {
            None
        };
        events.push(Event::Acted {
            action: action.key.clone(),
            kind: action.kind,
            from: case.state.clone(),
            to: target.unwrap_or(&case.state).to_owned(),
        });
        if let Some(tell) = &action.tell {
            events.push(Event::Tell(tell.clone()));
        }
        if let Some(target) = target {
            enter(def, home, &mut next, target, cmd.today, &mut events)?;
        }
        return Ok(Transition {
            state: next,
            events,
        });
    }

    let target = resolve(action, cmd.answers)
        .ok_or_else(|| WorkflowError::NoRoute(action.key.clone()))?
        .to_owned();
    events.push(Event::Acted {
        action: action.key.clone(),
        kind: action.kind,
        from: case.state.clone(),
        to: target.clone(),
    });
    if action.kind == ActionKind::Accept && next.accepted_on.is_none() {
        next.accepted_on = Some(cmd.today);
        events.push(Event::ClockStarted { on: cmd.today });
    }
    if let Some(tell) = &action.tell {
        events.push(Event::Tell(tell.clone()));
    }
    enter(def, home, &mut next, &target, cmd.today, &mut events)?;
    Ok(Transition {
        state: next,
        events,
    })
}

/// The state an action leads to on these answers.
fn resolve<'a>(action: &'a Action, answers: &Answers) -> Option<&'a str> {
    match action.to.as_ref()? {
        Target::State(state) => Some(state),
        Target::Routes(routes) => routes
            .iter()
            .find(|r| {
                r.when
                    .as_ref()
                    .is_none_or(|c| c.holds(&|field| crate::forms::observe(answers, field)))
            })
            .map(|r| r.state.as_str()),
    }
}

/// Moves the case into `target`: opens its tasks, pauses or resumes the clock, closes the case
/// in a terminal state.
fn enter(
    def: &WorkflowDefinition,
    home: &str,
    case: &mut CaseState,
    target: &str,
    today: NaiveDate,
    events: &mut Vec<Event>,
) -> Result<(), WorkflowError> {
    let state = def
        .state(target)
        .ok_or_else(|| WorkflowError::UnknownState(target.to_owned()))?;
    let was_waiting = def
        .state(&case.state)
        .is_some_and(|s| s.waits_for_applicant);
    if was_waiting && !state.waits_for_applicant {
        case.close_pause(PauseReason::Correction, today, events);
    }
    if let Some(outcome) = state.outcome {
        finish(case, target, outcome, today, events);
        return Ok(());
    }
    case.state = target.to_owned();
    case.entered_on = today;
    case.tasks = open_tasks(state, home);
    if state.waits_for_applicant {
        case.open_pause(PauseReason::Correction, today, events);
    }
    Ok(())
}

fn finish(
    case: &mut CaseState,
    target: &str,
    outcome: Outcome,
    today: NaiveDate,
    events: &mut Vec<Event>,
) {
    for reason in [PauseReason::Correction, PauseReason::Suspension] {
        case.close_pause(reason, today, events);
    }
    case.state = target.to_owned();
    case.entered_on = today;
    case.tasks.clear();
    case.suspended = false;
    case.outcome = Some(outcome);
    events.push(Event::Closed { outcome });
}

/// One step of the applicant's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    Done,
    Current,
    Upcoming,
    /// Not reached because the case ended earlier (refused at intake, withdrawn).
    Skipped,
}

/// The four stages with where the case stands in each.
pub fn progress(def: &WorkflowDefinition, case: &CaseState) -> Vec<(Stage, StepStatus)> {
    let current = def
        .state(&case.state)
        .map(|s| s.stage)
        .unwrap_or(Stage::Accept);
    Stage::ALL
        .into_iter()
        .map(|stage| {
            let status = match (case.outcome, stage.cmp(&current)) {
                (Some(Outcome::Approved | Outcome::Refused), _) => StepStatus::Done,
                (Some(_), std::cmp::Ordering::Greater) => StepStatus::Skipped,
                (Some(_), _) => StepStatus::Done,
                (None, std::cmp::Ordering::Less) => StepStatus::Done,
                (None, std::cmp::Ordering::Equal) => StepStatus::Current,
                (None, std::cmp::Ordering::Greater) => StepStatus::Upcoming,
            };
            (stage, status)
        })
        .collect()
}
