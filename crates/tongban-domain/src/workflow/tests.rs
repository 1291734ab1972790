//! Tests of the workflow definition checks and the engine, with property tests over random
//! sequences of actions by random actors.

use std::collections::HashSet;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::forms::{Answer, Answers};

const HOME: &str = "SJ";

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn departments() -> HashSet<&'static str> {
    ["SJ", "WJ", "GA"].into_iter().collect()
}

fn ctx<'a>(deps: &'a HashSet<&'a str>) -> CheckContext<'a> {
    CheckContext {
        departments: deps,
        form: FormContext::Service(None),
    }
}

/// 食品经营许可: intake at market regulation, then market regulation and health review at once;
/// one objection ends the review.
const FOOD: &str = r#"
start: intake
states:
  - key: intake
    name: { zh-CN: 受理 }
    stage: accept
    tasks: [ { role: front-desk-clerk } ]
    actions:
      - { key: accept, kind: accept, by: [front-desk-clerk], to: joint-review }
      - { key: correct, kind: request-correction, by: [front-desk-clerk], to: correction, comment: required }
      - { key: refuse, kind: refuse-intake, by: [front-desk-clerk], to: not-accepted, comment: required }
  - key: correction
    name: { zh-CN: 待补正 }
    stage: accept
    waits_for_applicant: true
    actions:
      - { key: resubmit, kind: resubmit, by: [applicant], to: intake }
  - key: joint-review
    name: { zh-CN: 并联审查 }
    stage: review
    tasks: [ { role: reviewer }, { department: WJ, role: reviewer } ]
    join: { all_concur: decision, objection: refused, objection_ends: true }
    actions:
      - { key: agree, kind: concur, by: [reviewer] }
      - { key: object, kind: object, by: [reviewer], comment: required }
  - key: decision
    name: { zh-CN: 决定 }
    stage: decide
    tasks: [ { role: approver } ]
    actions:
      - { key: approve, kind: approve, by: [approver], to: approved }
      - { key: refuse, kind: refuse, by: [approver], to: refused, comment: required }
  - { key: approved, name: { zh-CN: 准予 }, stage: complete, outcome: approved }
  - { key: refused, name: { zh-CN: 不予许可 }, stage: complete, outcome: refused }
  - { key: not-accepted, name: { zh-CN: 不予受理 }, stage: accept, outcome: not-accepted }
"#;

/// A withdrawal of more than 500,000 fen goes to the director.
const ROUTED: &str = r#"
start: review
states:
  - key: review
    name: { zh-CN: 审核 }
    stage: review
    tasks: [ { role: reviewer } ]
    actions:
      - key: pass
        kind: forward
        by: [reviewer]
        to:
          - { when: { above: { field: amount, value: 500000 } }, state: director }
          - { state: decision }
  - key: decision
    name: { zh-CN: 决定 }
    stage: decide
    tasks: [ { role: approver } ]
    actions:
      - { key: approve, kind: approve, by: [approver], to: approved }
  - key: director
    name: { zh-CN: 主任审批 }
    stage: decide
    tasks: [ { role: department-admin } ]
    actions:
      - { key: approve, kind: approve, by: [department-admin], to: approved }
      - { key: refuse, kind: refuse, by: [department-admin], to: refused, comment: required }
  - { key: approved, name: { zh-CN: 准予 }, stage: complete, outcome: approved }
  - { key: refused, name: { zh-CN: 不予 }, stage: complete, outcome: refused }
"#;

fn parse(yaml: &str) -> WorkflowDefinition {
    serde_norway::from_str(yaml).expect("test definition parses")
}

fn staff(grants: &[(&str, &str)]) -> Actor {
    Actor::staff(
        grants
            .iter()
            .map(|(r, d)| ((*r).to_owned(), (*d).to_owned())),
    )
}

fn act<'a>(action: &'a str, actor: &'a Actor, answers: &'a Answers) -> Command<'a> {
    Command {
        action,
        actor,
        today: day(2),
        answers,
        comment: Some("理由"),
        has_attachment: false,
        extension_days: None,
    }
}

fn problems(def: &WorkflowDefinition) -> Vec<String> {
    def.check(ctx(&departments()))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_shipped_definitions_pass_the_checks() {
    assert_eq!(
        problems(&WorkflowDefinition::standard()),
        Vec::<String>::new()
    );
    assert!(!WorkflowDefinition::standard().states.is_empty());
    assert_eq!(problems(&parse(FOOD)), Vec::<String>::new());
}

#[test]
fn routes_need_the_form_fields_they_read() {
    let def = parse(ROUTED);
    let found = problems(&def);
    assert_eq!(
        found,
        vec!["states[0].actions[0].to[0].when: routing on answers needs the service's online form"]
    );
}

#[test]
fn unreachable_states_and_dead_ends_are_reported_with_their_paths() {
    let mut def = parse(FOOD);
    // Nothing leads to `decision` any more, and `joint-review` no longer reaches an end.
    let review = def
        .states
        .iter_mut()
        .find(|s| s.key == "joint-review")
        .unwrap();
    review.join = Some(Join {
        all_concur: "joint-review".into(),
        objection: "joint-review".into(),
        objection_ends: false,
    });
    let found = problems(&def);
    assert!(
        found.contains(&"states[3]: state \"decision\" cannot be reached from the start".into()),
        "{found:?}"
    );
    assert!(
        found.contains(&"states[2]: no final state can be reached from \"joint-review\"".into()),
        "{found:?}"
    );
}

#[test]
fn roles_must_exist_and_work_in_a_department() {
    let mut def = WorkflowDefinition::standard();
    def.states[0].tasks[0].role = "clerk".into();
    def.states[2].actions[0].by = vec!["auditor".into()];
    def.states[0].tasks.push(TaskSpec {
        department: Some("XX".into()),
        role: "reviewer".into(),
    });
    let found = problems(&def);
    assert!(found.contains(&"states[0].tasks[0].role: there is no role \"clerk\"".into()));
    assert!(
        found.contains(
            &"states[2].actions[0].by[0]: auditor is not a department role and cannot handle cases"
                .into()
        )
    );
    assert!(found.contains(&"states[0].tasks[1].department: unknown department XX".into()));
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("states[0].join: several tasks"))
    );
}

#[test]
fn kinds_are_used_where_they_make_sense() {
    let mut def = WorkflowDefinition::standard();
    // Correction into a state that does not wait; refusal into approval; a built-in defined.
    def.states[0].actions[1].to = Some(Target::State("review".into()));
    def.states[3].actions[1].to = Some(Target::State("approved".into()));
    def.states[2].actions.push(Action {
        key: "withdraw".into(),
        kind: ActionKind::Withdraw,
        name: None,
        by: vec!["applicant".into()],
        to: Some(Target::State("refused".into())),
        comment: Requirement::Optional,
        attachment: Requirement::None,
        tell: None,
    });
    let found = problems(&def);
    for expected in [
        "states[0].actions[1].to: a correction request leads to a state that waits for the applicant",
        "states[3].actions[1].to: refuse leads to a final state with outcome refused",
        "states[2].actions[3].key: \"withdraw\" is a built-in action every open case has",
    ] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected}\n{found:?}"
        );
    }
}

#[test]
fn a_case_goes_from_intake_through_correction_to_approval() {
    let def = WorkflowDefinition::standard();
    let none = Answers::new();
    let clerk = staff(&[("front-desk-clerk", HOME)]);
    let reviewer = staff(&[("reviewer", HOME)]);
    let approver = staff(&[("approver", HOME)]);
    let applicant = Actor::applicant();

    let case = start(&def, HOME, day(2));
    assert_eq!(case.state, "intake");
    assert_eq!(case.tasks.len(), 1);

    let t = apply(&def, HOME, &case, &act("accept", &clerk, &none)).unwrap();
    assert!(t.events.contains(&Event::ClockStarted { on: day(2) }));
    let case = t.state;

    let mut cmd = act("request-correction", &reviewer, &none);
    cmd.today = day(4);
    let t = apply(&def, HOME, &case, &cmd).unwrap();
    assert_eq!(t.state.state, "correction");
    assert!(t.state.tasks.is_empty());
    assert!(t.state.is_paused());
    let case = t.state;

    // Staff cannot answer for the applicant.
    assert_eq!(
        apply(&def, HOME, &case, &act("resubmit", &reviewer, &none)),
        Err(WorkflowError::NotPermitted("resubmit".into()))
    );
    let mut cmd = act("resubmit", &applicant, &none);
    cmd.today = day(9);
    let t = apply(&def, HOME, &case, &cmd).unwrap();
    assert_eq!(t.state.state, "intake");
    assert_eq!(
        t.state.pauses,
        vec![PauseRecord {
            from: day(4),
            until: Some(day(9)),
            reason: PauseReason::Correction
        }]
    );
    // Accepting again does not restart the clock.
    let t = apply(&def, HOME, &t.state, &act("accept", &clerk, &none)).unwrap();
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e, Event::ClockStarted { .. }))
    );
    assert_eq!(t.state.accepted_on, Some(day(2)));
    let t = apply(&def, HOME, &t.state, &act("forward", &reviewer, &none)).unwrap();
    let t = apply(&def, HOME, &t.state, &act("approve", &approver, &none)).unwrap();
    assert_eq!(t.state.outcome, Some(Outcome::Approved));
    assert!(t.events.contains(&Event::Closed {
        outcome: Outcome::Approved
    }));
    assert_eq!(
        apply(&def, HOME, &t.state, &act("withdraw", &applicant, &none)),
        Err(WorkflowError::Closed)
    );
}

#[test]
fn comments_are_required_where_the_definition_says() {
    let def = WorkflowDefinition::standard();
    let none = Answers::new();
    let clerk = staff(&[("front-desk-clerk", HOME)]);
    let case = start(&def, HOME, day(2));
    let mut cmd = act("refuse-intake", &clerk, &none);
    cmd.comment = Some("   ");
    assert_eq!(
        apply(&def, HOME, &case, &cmd),
        Err(WorkflowError::CommentRequired)
    );
}

#[test]
fn staff_of_another_department_cannot_act() {
    let def = WorkflowDefinition::standard();
    let none = Answers::new();
    let elsewhere = staff(&[("front-desk-clerk", "GA")]);
    let case = start(&def, HOME, day(2));
    assert_eq!(
        apply(&def, HOME, &case, &act("accept", &elsewhere, &none)),
        Err(WorkflowError::NotPermitted("accept".into()))
    );
    assert!(available_actions(&def, HOME, &case, &elsewhere).is_empty());
}

#[test]
fn parallel_review_waits_for_every_department() {
    let def = parse(FOOD);
    let none = Answers::new();
    let clerk = staff(&[("front-desk-clerk", HOME)]);
    let sj = staff(&[("reviewer", HOME)]);
    let wj = staff(&[("reviewer", "WJ")]);
    let case = start(&def, HOME, day(2));
    let case = apply(&def, HOME, &case, &act("accept", &clerk, &none))
        .unwrap()
        .state;
    assert_eq!(case.tasks.len(), 2);
    assert_eq!(case.tasks[1].department, "WJ");

    let t = apply(&def, HOME, &case, &act("agree", &sj, &none)).unwrap();
    assert_eq!(t.state.state, "joint-review", "waits for health");
    assert_eq!(
        apply(&def, HOME, &t.state, &act("agree", &sj, &none)),
        Err(WorkflowError::AlreadyDecided)
    );
    let keys: Vec<String> = available_actions(&def, HOME, &t.state, &wj)
        .into_iter()
        .map(|a| a.action.key)
        .collect();
    assert_eq!(keys, ["agree", "object"]);
    let t = apply(&def, HOME, &t.state, &act("agree", &wj, &none)).unwrap();
    assert_eq!(t.state.state, "decision");
    assert_eq!(t.state.tasks.len(), 1);
}

#[test]
fn one_objection_ends_a_parallel_review_when_configured() {
    let def = parse(FOOD);
    let none = Answers::new();
    let clerk = staff(&[("front-desk-clerk", HOME)]);
    let wj = staff(&[("reviewer", "WJ")]);
    let case = start(&def, HOME, day(2));
    let case = apply(&def, HOME, &case, &act("accept", &clerk, &none))
        .unwrap()
        .state;
    let t = apply(&def, HOME, &case, &act("object", &wj, &none)).unwrap();
    assert_eq!(t.state.outcome, Some(Outcome::Refused));
    assert!(t.state.tasks.is_empty());
}

#[test]
fn routes_follow_the_answers() {
    let def = parse(ROUTED);
    let reviewer = staff(&[("reviewer", HOME)]);
    let mut big = Answers::new();
    big.insert("amount".into(), Answer::Amount(600_000));
    let mut small = Answers::new();
    small.insert("amount".into(), Answer::Amount(100_000));
    let case = start(&def, HOME, day(2));
    let to = |answers: &Answers| {
        apply(&def, HOME, &case, &act("pass", &reviewer, answers))
            .unwrap()
            .state
            .state
    };
    assert_eq!(to(&big), "director");
    assert_eq!(to(&small), "decision");
}

#[test]
fn suspension_and_extension_are_recorded() {
    let def = WorkflowDefinition::standard();
    let none = Answers::new();
    let clerk = staff(&[("front-desk-clerk", HOME)]);
    let approver = staff(&[("approver", HOME)]);
    let case = start(&def, HOME, day(2));
    // No extension before the clock runs.
    let mut extend = act("extend", &approver, &none);
    extend.extension_days = Some(10);
    assert_eq!(
        apply(&def, HOME, &case, &extend),
        Err(WorkflowError::NotAccepted)
    );
    let case = apply(&def, HOME, &case, &act("accept", &clerk, &none))
        .unwrap()
        .state;
    assert_eq!(
        apply(&def, HOME, &case, &act("suspend", &clerk, &none)),
        Err(WorkflowError::NotPermitted("suspend".into()))
    );
    let mut suspend = act("suspend", &approver, &none);
    suspend.today = day(3);
    let suspended = apply(&def, HOME, &case, &suspend).unwrap().state;
    assert!(suspended.suspended && suspended.is_paused());
    assert_eq!(
        apply(&def, HOME, &suspended, &act("forward", &approver, &none)),
        Err(WorkflowError::Suspended)
    );
    let mut resume = act("resume", &approver, &none);
    resume.today = day(5);
    let resumed = apply(&def, HOME, &suspended, &resume).unwrap().state;
    assert!(!resumed.suspended && !resumed.is_paused());
    let mut bad = extend.clone();
    bad.extension_days = Some(0);
    assert_eq!(
        apply(&def, HOME, &resumed, &bad),
        Err(WorkflowError::ExtensionDays {
            max: MAX_EXTENSION_DAYS
        })
    );
    let extended = apply(&def, HOME, &resumed, &extend).unwrap().state;
    assert_eq!(extended.extension_days, 10);
    assert_eq!(
        apply(&def, HOME, &extended, &extend),
        Err(WorkflowError::AlreadyExtended)
    );
}

#[test]
fn progress_marks_the_stages() {
    let def = WorkflowDefinition::standard();
    let case = start(&def, HOME, day(2));
    let steps: Vec<StepStatus> = progress(&def, &case).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        steps,
        [
            StepStatus::Current,
            StepStatus::Upcoming,
            StepStatus::Upcoming,
            StepStatus::Upcoming
        ]
    );
    let applicant = Actor::applicant();
    let none = Answers::new();
    let gone = apply(&def, HOME, &case, &act("withdraw", &applicant, &none))
        .unwrap()
        .state;
    let steps: Vec<StepStatus> = progress(&def, &gone).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        steps,
        [
            StepStatus::Done,
            StepStatus::Skipped,
            StepStatus::Skipped,
            StepStatus::Skipped
        ]
    );
}

#[test]
fn definitions_round_trip_through_json() {
    for def in [WorkflowDefinition::standard(), parse(FOOD), parse(ROUTED)] {
        let json = serde_json::to_string(&def).unwrap();
        let back: WorkflowDefinition = serde_json::from_str(&json).unwrap();
        assert_eq!(back, def);
    }
}

#[test]
fn a_mistake_inside_a_route_is_reported_as_itself() {
    let err = serde_norway::from_str::<WorkflowDefinition>(
        "start: a\nstates:\n  - key: a\n    name: { zh-CN: A }\n    stage: accept\n    actions:\n      - { key: x, kind: forward, by: [reviewer], to: [ { stat: b } ] }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("stat"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Properties

fn actors() -> Vec<Actor> {
    let mut all = vec![Actor::applicant(), Actor::default()];
    for role in [
        "front-desk-clerk",
        "reviewer",
        "approver",
        "department-admin",
    ] {
        for dept in ["SJ", "WJ", "GA"] {
            all.push(staff(&[(role, dept)]));
        }
    }
    all.push(staff(&[
        ("front-desk-clerk", "SJ"),
        ("reviewer", "SJ"),
        ("approver", "SJ"),
        ("reviewer", "WJ"),
    ]));
    all
}

fn keys_of(def: &WorkflowDefinition) -> Vec<String> {
    let mut keys: Vec<String> = def
        .states
        .iter()
        .flat_map(|s| s.actions.iter().map(|a| a.key.clone()))
        .collect();
    keys.extend(["withdraw", "suspend", "resume", "extend", "nonsense"].map(String::from));
    keys.sort();
    keys.dedup();
    keys
}

/// What must hold of every state the engine can produce.
fn assert_well_formed(def: &WorkflowDefinition, case: &CaseState) {
    if case.state == WITHDRAWN {
        assert_eq!(case.outcome, Some(Outcome::Withdrawn));
    } else {
        let state = def
            .state(&case.state)
            .unwrap_or_else(|| panic!("undefined state {}", case.state));
        assert_eq!(case.outcome, state.outcome, "outcome matches the state");
        if state.outcome.is_none() {
            assert_eq!(
                case.tasks.len(),
                state.tasks.len(),
                "tasks follow the state"
            );
            for (task, spec) in case.tasks.iter().zip(&state.tasks) {
                assert_eq!(task.department, spec.department_or(HOME));
                assert_eq!(task.role, spec.role);
            }
            let waiting = case
                .pauses
                .iter()
                .any(|p| p.until.is_none() && p.reason == PauseReason::Correction);
            assert_eq!(
                waiting,
                state.waits_for_applicant && case.accepted_on.is_some(),
                "the clock is paused exactly while waiting for corrections"
            );
        }
    }
    if case.is_closed() {
        assert!(case.tasks.is_empty() && !case.is_paused() && !case.suspended);
    }
    if case.suspended && case.accepted_on.is_some() {
        assert!(
            case.pauses
                .iter()
                .any(|p| p.until.is_none() && p.reason == PauseReason::Suspension)
        );
    }
    for reason in [PauseReason::Correction, PauseReason::Suspension] {
        let open = case
            .pauses
            .iter()
            .filter(|p| p.until.is_none() && p.reason == reason)
            .count();
        assert!(open <= 1);
    }
    for pause in &case.pauses {
        assert!(pause.until.is_none_or(|u| u >= pause.from));
    }
    assert!(case.extension_days <= MAX_EXTENSION_DAYS);
}

fn run_sequence(def: &WorkflowDefinition, steps: &[(usize, usize, bool, u16, u8)]) {
    let actors = actors();
    let keys = keys_of(def);
    let mut amount = Answers::new();
    amount.insert("amount".into(), Answer::Amount(700_000));
    let mut case = start(def, HOME, day(1));
    assert_well_formed(def, &case);
    let mut today = day(1);
    for &(a, k, with_comment, days, advance) in steps {
        today = today
            .checked_add_days(chrono::Days::new(u64::from(advance % 3)))
            .unwrap();
        let actor = &actors[a % actors.len()];
        let key = &keys[k % keys.len()];
        let cmd = Command {
            action: key,
            actor,
            today,
            answers: &amount,
            comment: with_comment.then_some("因为"),
            has_attachment: true,
            extension_days: Some(days),
        };
        let offered: HashSet<String> = available_actions(def, HOME, &case, actor)
            .into_iter()
            .map(|a| a.action.key)
            .collect();
        match apply(def, HOME, &case, &cmd) {
            Ok(t) => {
                assert!(offered.contains(key), "{key} succeeded but was not offered");
                assert!(
                    t.events.iter().any(|e| matches!(e, Event::Acted { .. })),
                    "every success records the action"
                );
                case = t.state;
            }
            Err(e) => {
                // Refused actions change nothing (the caller keeps `case`), and the same
                // command is refused the same way.
                assert_eq!(apply(def, HOME, &case, &cmd), Err(e.clone()));
                if with_comment && (1..=MAX_EXTENSION_DAYS).contains(&days) {
                    assert!(
                        !offered.contains(key) || matches!(e, WorkflowError::NoRoute(_)),
                        "{key} was offered but refused: {e}"
                    );
                }
            }
        }
        assert_well_formed(def, &case);
    }
}

fn routed_with_form() -> WorkflowDefinition {
    parse(ROUTED)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn no_sequence_of_actions_leaves_a_case_undefined(
        which in 0usize..3,
        steps in proptest::collection::vec((0usize..64, 0usize..64, any::<bool>(), 0u16..40, any::<u8>()), 0..40),
    ) {
        let def = match which {
            0 => WorkflowDefinition::standard(),
            1 => parse(FOOD),
            _ => routed_with_form(),
        };
        run_sequence(&def, &steps);
    }

    #[test]
    fn random_chains_that_pass_the_checks_run_safely(
        links in proptest::collection::vec((0usize..6, 0usize..7, 0usize..4), 0..12),
        steps in proptest::collection::vec((0usize..64, 0usize..64, any::<bool>(), 0u16..40, any::<u8>()), 0..30),
    ) {
        let def = random_definition(&links);
        let deps = departments();
        prop_assert_eq!(def.check(ctx(&deps)), Vec::<WorkflowProblem>::new());
        run_sequence(&def, &steps);
    }
}

/// A definition of six working states in a chain to two final ones, with extra forward (and
/// back) actions along `links` (from, to, role): random graphs that all pass the checks.
fn random_definition(links: &[(usize, usize, usize)]) -> WorkflowDefinition {
    let roles = [
        "front-desk-clerk",
        "reviewer",
        "approver",
        "department-admin",
    ];
    let mut states: Vec<State> = (0..6)
        .map(|i| State {
            key: format!("s{i}"),
            name: LocalizedText::new(format!("状态{i}")),
            stage: Stage::ALL[i % 3],
            days: None,
            tasks: vec![TaskSpec {
                department: None,
                role: roles[i % roles.len()].into(),
            }],
            join: None,
            actions: Vec::new(),
            waits_for_applicant: false,
            outcome: None,
        })
        .collect();
    for (key, outcome) in [("yes", Outcome::Approved), ("no", Outcome::Refused)] {
        states.push(State {
            key: key.into(),
            name: LocalizedText::new(key),
            stage: Stage::Complete,
            days: None,
            tasks: Vec::new(),
            join: None,
            actions: Vec::new(),
            waits_for_applicant: false,
            outcome: Some(outcome),
        });
    }
    let chain = (0..6).map(|i| (i, i + 1, i % roles.len()));
    for (n, (from, to, role)) in chain.chain(links.iter().copied()).enumerate() {
        let target = if to >= 6 {
            "yes".to_owned()
        } else {
            format!("s{to}")
        };
        let kind = if target == "yes" {
            ActionKind::Approve
        } else {
            ActionKind::Forward
        };
        states[from].actions.push(Action {
            key: format!("a{n}"),
            kind,
            name: None,
            by: vec![roles[role].into()],
            to: Some(Target::State(target)),
            comment: Requirement::Optional,
            attachment: Requirement::None,
            tell: None,
        });
        if n % 3 == 0 {
            states[from].actions.push(Action {
                key: format!("r{n}"),
                kind: ActionKind::Refuse,
                name: None,
                by: vec![roles[role].into()],
                to: Some(Target::State("no".into())),
                comment: Requirement::Required,
                attachment: Requirement::None,
                tell: None,
            });
        }
    }
    WorkflowDefinition {
        start: "s0".into(),
        states,
        suspend_roles: vec!["approver".into()],
    }
}
