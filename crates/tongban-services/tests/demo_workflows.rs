//! The demo region's workflows, walked through the engine by the demo staff accounts: every
//! service has its own resolved workflow, the food business licence goes through a joint review
//! by market regulation and health, and a large housing fund withdrawal needs a manager.

use chrono::NaiveDate;
use tongban_domain::forms::{Answer, Answers};
use tongban_domain::workflow::{
    Actor, CaseState, Command, Outcome, WorkflowDefinition, WorkflowError, apply,
};
use tongban_services::catalog::demo_document;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date")
}

/// A staff member holding `role` in `department`, as demo/accounts.yaml grants them.
fn staff(role: &str, department: &str) -> Actor {
    Actor::staff([(role.to_owned(), department.to_owned())])
}

fn definition(code: &str) -> (WorkflowDefinition, String) {
    let doc = demo_document().expect("the demo catalogue is valid");
    let service = doc
        .services
        .iter()
        .find(|s| s.code == code)
        .unwrap_or_else(|| panic!("service {code}"));
    (
        service.workflow_definition().into_owned(),
        service.department.clone(),
    )
}

fn take(
    def: &WorkflowDefinition,
    home: &str,
    case: &CaseState,
    action: &str,
    actor: &Actor,
    answers: &Answers,
) -> Result<CaseState, WorkflowError> {
    apply(
        def,
        home,
        case,
        &Command {
            action,
            actor,
            today: today(),
            answers,
            comment: Some("理由"),
            has_attachment: false,
            extension_days: None,
        },
    )
    .map(|t| t.state)
}

#[test]
fn every_demo_service_names_its_workflow() {
    let doc = demo_document().expect("the demo catalogue is valid");
    for service in &doc.services {
        assert!(
            service
                .workflow
                .as_ref()
                .and_then(|w| w.definition())
                .is_some(),
            "{} has a workflow, resolved on import",
            service.code
        );
    }
    let keys: Vec<&str> = doc.workflows.iter().map(|t| t.key.as_str()).collect();
    for key in ["standard", "on-the-spot", "registration", "multi-level"] {
        assert!(keys.contains(&key), "template {key}");
    }
}

#[test]
fn the_food_licence_is_reviewed_by_market_regulation_and_health_at_once() {
    let (def, home) = definition("SJ0002");
    let start = tongban_domain::workflow::start(&def, &home, today());
    let clerk = staff("front-desk-clerk", "SJ");
    // Without a shared certificate of no criminal record the bureau checks the record first.
    let unchecked = take(&def, &home, &start, "accept", &clerk, &Answers::new()).unwrap();
    assert_eq!(unchecked.state, "record-check");
    let bureau = staff("front-desk-clerk", "GA");
    let checked = take(
        &def,
        &home,
        &unchecked,
        "record-clear",
        &bureau,
        &Answers::new(),
    )
    .unwrap();
    assert_eq!(checked.state, "joint-review");
    // With one, that check is skipped.
    let mut answers = Answers::new();
    answers.insert(
        "manager_record".into(),
        tongban_domain::forms::Answer::Certificate(tongban_domain::forms::CertificateAnswer {
            source: tongban_domain::forms::CertificateSource::Fetch,
            id: None,
            consent: true,
        }),
    );
    let case = take(&def, &home, &start, "accept", &clerk, &answers).unwrap();
    assert_eq!(case.state, "joint-review", "the record check is skipped");
    assert_eq!(case.tasks.len(), 2, "two departments review in parallel");
    let departments: Vec<&str> = case.tasks.iter().map(|t| t.department.as_str()).collect();
    assert_eq!(departments, ["SJ", "WJ"]);

    let sj = staff("reviewer", "SJ");
    let wj = staff("reviewer", "WJ");
    let one = take(&def, &home, &case, "concur", &sj, &answers).unwrap();
    assert_eq!(one.state, "joint-review", "waits for health");
    let both = take(&def, &home, &one, "concur", &wj, &answers).unwrap();
    assert_eq!(both.state, "decision");
    let approver = staff("approver", "SJ");
    let done = take(&def, &home, &both, "approve", &approver, &answers).unwrap();
    assert_eq!(done.outcome, Some(Outcome::Approved));

    // An objection stands on evidence: without an attached file it is refused.
    assert_eq!(
        take(&def, &home, &case, "object", &wj, &answers),
        Err(WorkflowError::AttachmentRequired)
    );
    let objected = apply(
        &def,
        &home,
        &case,
        &Command {
            action: "object",
            actor: &wj,
            today: today(),
            answers: &answers,
            comment: Some("现场核查：后厨未设洗手设施"),
            has_attachment: true,
            extension_days: None,
        },
    )
    .unwrap()
    .state;
    // The objection waits for the other department, then goes to the approver.
    assert_eq!(objected.state, "joint-review");
    let objected = take(&def, &home, &objected, "concur", &sj, &answers).unwrap();
    assert_eq!(objected.state, "objection");
    let refused = take(&def, &home, &objected, "refuse", &approver, &answers).unwrap();
    assert_eq!(refused.outcome, Some(Outcome::Refused));
}

#[test]
fn a_large_housing_fund_withdrawal_needs_the_manager() {
    let (def, home) = definition("GJJ0001");
    let reviewer = staff("reviewer", "GJJ");
    let approver = staff("approver", "GJJ");
    let manager = staff("department-admin", "GJJ");
    let answers = |fen: i64| {
        let mut answers = Answers::new();
        answers.insert("withdrawal_reason".into(), Answer::Text("buy".into()));
        answers.insert("withdrawal_amount".into(), Answer::Amount(fen));
        answers
    };
    let small = answers(5_000_000);
    let large = answers(25_000_000);
    let start = tongban_domain::workflow::start(&def, &home, today());
    let accepted = take(&def, &home, &start, "accept", &reviewer, &small).unwrap();
    assert_eq!(accepted.state, "recheck");
    let paid = take(&def, &home, &accepted, "pass", &approver, &small).unwrap();
    assert_eq!(
        paid.outcome,
        Some(Outcome::Approved),
        "¥50,000 is paid at once"
    );

    let to_manager = take(&def, &home, &accepted, "pass", &approver, &large).unwrap();
    assert_eq!(to_manager.state, "manager", "¥250,000 needs the manager");
    assert!(take(&def, &home, &to_manager, "approve", &approver, &large).is_err());
    let paid = take(&def, &home, &to_manager, "approve", &manager, &large).unwrap();
    assert_eq!(paid.outcome, Some(Outcome::Approved));

    let mut emigrating = answers(1_000_000);
    emigrating.insert("withdrawal_reason".into(), Answer::Text("emigrate".into()));
    let to_manager = take(&def, &home, &accepted, "pass", &approver, &emigrating).unwrap();
    assert_eq!(
        to_manager.state, "manager",
        "settling abroad needs the manager"
    );
}
