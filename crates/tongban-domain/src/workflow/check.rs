//! Checks a workflow definition before it is published: every reference resolves, every role
//! exists and works in a department, every state is reachable from the start, a terminal state
//! is reachable from every state, and each kind of action is used where it makes sense. Every
//! problem is reported with its path, not just the first.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use super::{APPLICANT, ActionKind, Outcome, Target, WITHDRAWN, WorkflowDefinition};
use crate::Locale;
use crate::access::Role;
use crate::forms::FormDefinition;

/// A problem in a definition: where (`states[2].actions[0].to`) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for WorkflowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What a definition is checked against: the region's department codes (tasks may name any of
/// them) and the service's form (routes read its fields).
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    pub departments: &'a HashSet<&'a str>,
    pub form: FormContext<'a>,
}

/// The form routes are checked against.
#[derive(Debug, Clone, Copy)]
pub enum FormContext<'a> {
    /// The service's form (none: the service is applied for at a hall).
    Service(Option<&'a FormDefinition>),
    /// A template shared by services with different forms: routes are checked with each service
    /// that uses it ([`WorkflowDefinition::check_routes`]).
    Template,
}

fn valid_key(key: &str) -> bool {
    crate::catalog::is_slug(key)
}

impl WorkflowDefinition {
    /// Every problem that would make the definition unsafe or confusing to run.
    pub fn check(&self, ctx: CheckContext) -> Vec<WorkflowProblem> {
        let mut problems = Vec::new();
        let mut problem = |path: String, message: String| {
            problems.push(WorkflowProblem { path, message });
        };

        if self.states.is_empty() {
            problem("states".into(), "define at least one state".into());
            return problems;
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, state) in self.states.iter().enumerate() {
            let at = format!("states[{i}]");
            if !valid_key(&state.key) {
                problem(
                    format!("{at}.key"),
                    format!(
                        "\"{}\" is not a key: use lower-case letters, digits and hyphens",
                        state.key
                    ),
                );
            } else if state.key == WITHDRAWN {
                problem(
                    format!("{at}.key"),
                    format!(
                        "\"{WITHDRAWN}\" is reserved for withdrawals, which every workflow has"
                    ),
                );
            } else if index.insert(&state.key, i).is_some() {
                problem(
                    format!("{at}.key"),
                    format!("state \"{}\" is defined twice", state.key),
                );
            }
            if !state.name.has(Locale::ZhCn) {
                problem(format!("{at}.name"), "the zh-CN text is missing".into());
            }
        }
        if !index.contains_key(self.start.as_str()) {
            problem(
                "start".into(),
                format!("there is no state \"{}\"", self.start),
            );
        }
        let outcome_of = |key: &str| index.get(key).and_then(|&i| self.states[i].outcome);
        let waits = |key: &str| {
            index
                .get(key)
                .is_some_and(|&i| self.states[i].waits_for_applicant)
        };

        for (path, role) in self.role_uses() {
            if role == APPLICANT && path.contains(".by[") {
                continue;
            }
            match Role::from_key(role) {
                None => problem(path, format!("there is no role \"{role}\"")),
                Some(r) if !r.is_departmental() => problem(
                    path,
                    format!("{role} is not a department role and cannot handle cases"),
                ),
                Some(_) => {}
            }
        }

        for (i, state) in self.states.iter().enumerate() {
            let at = format!("states[{i}]");
            if state.is_terminal() {
                if !state.tasks.is_empty() || !state.actions.is_empty() || state.join.is_some() {
                    problem(
                        at.clone(),
                        "a final state (with an outcome) has no tasks, actions or join".into(),
                    );
                }
                if state.waits_for_applicant {
                    problem(
                        format!("{at}.waits_for_applicant"),
                        "a final state does not wait for anyone".into(),
                    );
                }
                continue;
            }
            if state.waits_for_applicant {
                if !state.tasks.is_empty() {
                    problem(
                        format!("{at}.tasks"),
                        "a state waiting for the applicant has no staff tasks".into(),
                    );
                }
                if !state.actions.iter().any(|a| a.allows(APPLICANT)) {
                    problem(
                        format!("{at}.actions"),
                        "a state waiting for the applicant needs an action `by: [applicant]`"
                            .into(),
                    );
                }
            } else if state.tasks.is_empty() {
                problem(
                    format!("{at}.tasks"),
                    "name who works on the case in this state".into(),
                );
            }
            for (j, task) in state.tasks.iter().enumerate() {
                if let Some(department) = &task.department
                    && !ctx.departments.contains(department.as_str())
                {
                    problem(
                        format!("{at}.tasks[{j}].department"),
                        format!("unknown department {department}"),
                    );
                }
            }
            match &state.join {
                Some(join) => {
                    if state.tasks.len() < 2 {
                        problem(
                            format!("{at}.join"),
                            "a parallel review needs at least two tasks".into(),
                        );
                    }
                    let mut seen = HashSet::new();
                    for task in &state.tasks {
                        if !seen.insert((task.department.as_deref(), task.role.as_str())) {
                            problem(
                                format!("{at}.tasks"),
                                "two tasks of a parallel review have the same department and role"
                                    .into(),
                            );
                        }
                    }
                    for (field, target) in [
                        ("all_concur", &join.all_concur),
                        ("objection", &join.objection),
                    ] {
                        if !index.contains_key(target.as_str()) {
                            problem(
                                format!("{at}.join.{field}"),
                                format!("there is no state \"{target}\""),
                            );
                        }
                    }
                    if !state.actions.iter().any(|a| a.kind == ActionKind::Concur) {
                        problem(
                            format!("{at}.actions"),
                            "a parallel review needs a `concur` action".into(),
                        );
                    }
                }
                None if state.tasks.len() > 1 => problem(
                    format!("{at}.join"),
                    "several tasks at once need a `join` (where the case goes when all agree, \
                     and on an objection)"
                        .into(),
                ),
                None => {}
            }

            let mut keys = HashSet::new();
            for (j, action) in state.actions.iter().enumerate() {
                let at = format!("{at}.actions[{j}]");
                if !valid_key(&action.key) {
                    problem(
                        format!("{at}.key"),
                        format!("\"{}\" is not a key", action.key),
                    );
                } else if ActionKind::from_key(&action.key).is_some_and(|k| k.is_built_in()) {
                    problem(
                        format!("{at}.key"),
                        format!(
                            "\"{}\" is a built-in action every open case has",
                            action.key
                        ),
                    );
                } else if !keys.insert(action.key.as_str()) {
                    problem(
                        format!("{at}.key"),
                        format!("action \"{}\" appears twice in this state", action.key),
                    );
                }
                if action.kind.is_built_in() {
                    problem(
                        format!("{at}.kind"),
                        format!(
                            "{} is built in (withdraw, suspend, resume and extend need no definition)",
                            action.kind
                        ),
                    );
                }
                if action.by.is_empty() {
                    problem(format!("{at}.by"), "name who may take the action".into());
                }
                if let Some(name) = &action.name
                    && !name.has(Locale::ZhCn)
                {
                    problem(format!("{at}.name"), "the zh-CN text is missing".into());
                }
                let vote = action.kind.is_parallel_vote();
                if vote != state.join.is_some() {
                    problem(
                        format!("{at}.kind"),
                        if vote {
                            "concur and object are for parallel reviews (states with a join)".into()
                        } else {
                            format!(
                                "a parallel review takes concur and object, not {}",
                                action.kind
                            )
                        },
                    );
                }
                if vote {
                    if action.to.is_some() {
                        problem(
                            format!("{at}.to"),
                            "a vote does not move the case; the join does".into(),
                        );
                    }
                    continue;
                }
                let Some(target) = &action.to else {
                    problem(format!("{at}.to"), "name the state the case goes to".into());
                    continue;
                };
                if let Target::Routes(routes) = target {
                    if routes.is_empty() {
                        problem(format!("{at}.to"), "give at least one route".into());
                    }
                    if routes.last().is_some_and(|r| r.when.is_some()) {
                        problem(
                            format!("{at}.to"),
                            "the last route has no `when`, so that every application has a way"
                                .into(),
                        );
                    }
                }
                for (k, to) in target.states().into_iter().enumerate() {
                    let path = match target {
                        Target::State(_) => format!("{at}.to"),
                        Target::Routes(_) => format!("{at}.to[{k}].state"),
                    };
                    if !index.contains_key(to) {
                        problem(path, format!("there is no state \"{to}\""));
                        continue;
                    }
                    let expected = match action.kind {
                        ActionKind::RefuseIntake => Some(Outcome::NotAccepted),
                        ActionKind::Refuse => Some(Outcome::Refused),
                        _ => None,
                    };
                    if expected.is_some() && outcome_of(to) != expected {
                        problem(
                            path.clone(),
                            format!(
                                "{} leads to a final state with outcome {}",
                                action.kind,
                                expected.map(Outcome::key).unwrap_or_default()
                            ),
                        );
                    }
                    if action.kind == ActionKind::RequestCorrection && !waits(to) {
                        problem(
                            path.clone(),
                            "a correction request leads to a state that waits for the applicant"
                                .into(),
                        );
                    }
                    if action.kind != ActionKind::Approve
                        && action.kind != ActionKind::Complete
                        && action.kind != ActionKind::Forward
                        && outcome_of(to) == Some(Outcome::Approved)
                    {
                        problem(
                            path,
                            format!("{} cannot end a case as approved", action.kind),
                        );
                    }
                }
                if action.kind == ActionKind::Resubmit && !state.waits_for_applicant {
                    problem(
                        format!("{at}.kind"),
                        "resubmit is taken in a state that waits for the applicant".into(),
                    );
                }
            }
        }

        if let FormContext::Service(form) = ctx.form {
            for p in self.check_routes(form) {
                problem(p.path, p.message);
            }
        }

        // Reachability, forward from the start and backward from the final states.
        let edges: Vec<(usize, usize)> = self
            .states
            .iter()
            .enumerate()
            .flat_map(|(i, state)| {
                let mut to: Vec<&str> = state
                    .actions
                    .iter()
                    .filter_map(|a| a.to.as_ref())
                    .flat_map(|t| t.states())
                    .collect();
                if let Some(join) = &state.join {
                    to.push(&join.all_concur);
                    to.push(&join.objection);
                }
                to.into_iter()
                    .filter_map(|k| index.get(k).copied())
                    .map(move |j| (i, j))
                    .collect::<Vec<_>>()
            })
            .collect();
        if let Some(&start) = index.get(self.start.as_str()) {
            let forward = reach(start, self.states.len(), &edges, false);
            for (i, state) in self.states.iter().enumerate() {
                if !forward[i] {
                    problem(
                        format!("states[{i}]"),
                        format!("state \"{}\" cannot be reached from the start", state.key),
                    );
                }
            }
        }
        let terminals: Vec<usize> = (0..self.states.len())
            .filter(|&i| self.states[i].is_terminal())
            .collect();
        if terminals.is_empty() {
            problem(
                "states".into(),
                "define at least one final state (with an outcome)".into(),
            );
        } else {
            let mut backward = vec![false; self.states.len()];
            for &t in &terminals {
                for (i, seen) in reach(t, self.states.len(), &edges, true)
                    .into_iter()
                    .enumerate()
                {
                    backward[i] |= seen;
                }
            }
            for (i, state) in self.states.iter().enumerate() {
                if !backward[i] {
                    problem(
                        format!("states[{i}]"),
                        format!("no final state can be reached from \"{}\"", state.key),
                    );
                }
            }
        }
        problems
    }
}

impl WorkflowDefinition {
    /// Routing conditions read fields the service's form has.
    pub fn check_routes(&self, form: Option<&FormDefinition>) -> Vec<WorkflowProblem> {
        let mut problems = Vec::new();
        for (i, state) in self.states.iter().enumerate() {
            for (j, action) in state.actions.iter().enumerate() {
                let Some(Target::Routes(routes)) = &action.to else {
                    continue;
                };
                for (k, route) in routes.iter().enumerate() {
                    let Some(when) = &route.when else { continue };
                    let path = format!("states[{i}].actions[{j}].to[{k}].when");
                    for field in when.fields() {
                        let message = match form {
                            None => "routing on answers needs the service's online form".into(),
                            Some(form) if form.field(field).is_none() => {
                                format!("the form has no field \"{field}\"")
                            }
                            Some(_) => continue,
                        };
                        problems.push(WorkflowProblem {
                            path: path.clone(),
                            message,
                        });
                    }
                }
            }
        }
        problems
    }
}

/// The states reachable from `from` along `edges` (against them when `reverse`).
fn reach(from: usize, count: usize, edges: &[(usize, usize)], reverse: bool) -> Vec<bool> {
    let mut seen = vec![false; count];
    let mut queue = VecDeque::from([from]);
    seen[from] = true;
    while let Some(at) = queue.pop_front() {
        for &(a, b) in edges {
            let (here, there) = if reverse { (b, a) } else { (a, b) };
            if here == at && !seen[there] {
                seen[there] = true;
                queue.push_back(there);
            }
        }
    }
    seen
}
