//! Case handling on the demo region, on SQLite and PostgreSQL: a case walked from intake to a
//! decision by the demo staff its workflow names, notices filed and numbered, the applicant
//! told; concurrent actions; a batch with a stale case; staff of another department kept out;
//! corrections answered by the applicant; the public progress lookup's lockout.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use common::*;
use tongban_domain::clock::FixedClock;
use tongban_domain::workflow::{ActionKind, Outcome, WorkflowError};
use tongban_services::identity::CurrentUser;
use tongban_services::workflow::{
    ActRefusal, ActRequest, CaseHandling, CaseRef, HandlingSettings, InboxFilter, LookupError,
};
use tongban_store::cases::{Channel, NewCase};
use tongban_store::testing::TestDb;
use uuid::Uuid;

/// Files `count` cases of `service` for the demo applicant directly through the store's batch,
/// starting them as the submission path does.
async fn file_cases(w: &World, service: &str, count: usize) -> Vec<Uuid> {
    let published = w.catalog.service(service).unwrap();
    let sealed = w
        .cipher
        .encrypt(
            tongban_services::applications::CASE_ANSWERS_FIELD,
            &serde_json::to_string(&tongban_services::catalog::demo_sole_trader_answers()).unwrap(),
        )
        .unwrap();
    let batch: Vec<NewCase> = (0..count)
        .map(|i| NewCase {
            region_id: w.catalog.region_id,
            tracking_prefix: "SF".into(),
            local_date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            service_code: service.into(),
            service_name: "test".into(),
            service_version: published.version,
            department_id: w
                .catalog
                .department_id(&published.service.department)
                .unwrap(),
            applicant_id: w.applicant,
            enterprise_id: None,
            entered_by: w.applicant,
            channel: Channel::Api,
            answers: sealed.clone(),
            submission_key: format!("test:{service}:{i}:{}", Uuid::now_v7()),
            request_digest: "d".into(),
            submitted_at: now(),
            applicant_phone_last4: Some("0001".into()),
            draft_id: None,
            workflow: w
                .handling
                .starting_state(&w.catalog, &published.service, now())
                .unwrap(),
            locale: "zh-CN".into(),
            ip: None,
            shares: Vec::new(),
        })
        .collect();
    let txn = tongban_store::cases::begin_write(&w.db.conn).await.unwrap();
    let outcomes = tongban_store::cases::insert_batch(&txn, &batch)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    outcomes
        .into_iter()
        .map(|o| match o {
            tongban_store::cases::BatchOutcome::Created(row) => row.id,
            other => panic!("not created: {other:?}"),
        })
        .collect()
}

/// The key of the action of `kind` that `user` may take on the case.
async fn action_key(w: &World, user: &CurrentUser, case: Uuid, kind: ActionKind) -> String {
    w.handling
        .staff_case(&clock(), user, &w.catalog, case)
        .await
        .unwrap()
        .actions
        .iter()
        .find(|a| a.action.kind == kind)
        .unwrap_or_else(|| panic!("{} may not {}", user.display_name, kind))
        .action
        .key
        .clone()
}

fn request(action: &str, comment: Option<&str>) -> ActRequest {
    ActRequest {
        action: action.into(),
        comment: comment.map(str::to_owned),
        extension_days: None,
        attachments: Vec::new(),
    }
}

/// The staff member whose available actions include one of the preferred kinds.
const WALKERS: [&str; 5] = [
    "sj.clerk",
    "sj.reviewer",
    "sj.approver",
    "wj.reviewer",
    "gjj.reviewer",
];

#[tokio::test]
async fn a_case_walks_from_intake_to_approval_with_its_notices() {
    for db in TestDb::all("handling walk").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        let mut people = HashMap::new();
        for name in WALKERS {
            people.insert(name, staff(&w, name).await);
        }
        // The clerk's inbox shows it, due within the intake stage.
        let inbox = w
            .handling
            .inbox(
                &clock(),
                &people["sj.clerk"],
                &w.catalog,
                &InboxFilter::default(),
            )
            .await
            .unwrap();
        assert!(inbox.lines.iter().any(|l| l.case_id == case));

        let preferred = [
            ActionKind::Accept,
            ActionKind::Forward,
            ActionKind::Concur,
            ActionKind::Approve,
            ActionKind::Complete,
        ];
        let mut steps = 0;
        let mut acts = 0;
        let mut last_actor = "";
        loop {
            steps += 1;
            assert!(steps < 12, "the walk ends");
            let mut took = None;
            'find: for kind in preferred {
                for name in WALKERS {
                    let view = w
                        .handling
                        .staff_case(&clock(), &people[name], &w.catalog, case)
                        .await;
                    let Ok(view) = view else { continue };
                    if view.state.is_closed() {
                        break 'find;
                    }
                    if let Some(a) = view.actions.iter().find(|a| a.action.kind == kind) {
                        took = Some((name, a.action.key.clone(), view.case.version));
                        break 'find;
                    }
                }
            }
            let Some((name, action, version)) = took else {
                break;
            };
            let acted = w
                .handling
                .act(
                    &clock(),
                    &people[name],
                    &w.catalog,
                    &origin(),
                    CaseRef {
                        id: case,
                        version: Some(version),
                    },
                    &request(&action, Some("材料齐全")),
                )
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("{name} {action}: {e}"));
            assert_eq!(acted.version, version + 1);
            acts += 1;
            last_actor = name;
        }
        let view = w
            .handling
            .staff_case(&clock(), &people["sj.approver"], &w.catalog, case)
            .await
            .unwrap();
        assert_eq!(view.state.outcome, Some(Outcome::Approved));
        assert_eq!(view.case.status, "closed");
        let kinds: Vec<&str> = view.documents.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(kinds, ["acceptance", "approval"]);
        assert!(view.documents[0].number.contains("〔2026〕"));
        let notice = w
            .handling
            .notice(&w.catalog, case, view.documents[1].id)
            .await
            .unwrap();
        assert_eq!(notice.tracking_number, view.case.tracking_number);
        // The approval issued the business licence, filled from the case, signed by market
        // regulation, valid and in the applicant's wallet.
        let certificates = w.handling.certificates();
        let issued = tongban_store::certificates::of_case(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap();
        assert_eq!(issued.len(), 1, "one licence");
        assert_eq!(issued[0].type_key, "business-licence");
        assert_eq!(issued[0].holder_account_id, w.applicant);
        let token = w
            .cipher
            .decrypt(
                tongban_services::certificates::TOKEN_FIELD,
                &issued[0].token_sealed,
            )
            .unwrap();
        match certificates
            .verify(&clock(), &w.catalog, &token)
            .await
            .unwrap()
        {
            tongban_domain::certificates::Verdict::Valid { certificate, .. } => {
                assert!(
                    certificate
                        .issuer
                        .ends_with("/departments/market-regulation")
                );
                assert_eq!(certificate.claims["operator"], "张三");
                assert_eq!(certificate.claims["kind"], "个体工商户");
                assert_eq!(
                    certificate.claims["licence_number"],
                    view.case.tracking_number.as_str()
                );
                assert_eq!(certificate.claims["premises"], "示范市东湖区人民路1号");
                assert_eq!(certificate.claims["registered_on"], "2026-12-02");
                assert!(certificate.vct.ends_with("/vct/990100/business-licence"));
            }
            other => panic!("{other:?}"),
        }
        // The timeline has every action; the applicant was told by inbox and SMS.
        assert_eq!(view.events.len(), acts);
        assert!(acts >= 2, "accepted, then decided");
        let sms = tongban_store::notifications::by_channel(&w.db.conn, "sms")
            .await
            .unwrap();
        assert!(
            sms.iter()
                .any(|n| n.account_id == Some(w.applicant) && n.template == "case-update")
        );
        let audit =
            tongban_store::audit::recent_for_actor(&w.db.conn, people[last_actor].account_id, 20)
                .await
                .unwrap();
        assert!(audit.iter().any(|a| a.action == "cases.approve"
            && a.target.as_deref() == Some(&*format!("case:{case}"))));
    }
}

#[tokio::test]
async fn of_two_people_acting_at_once_only_one_succeeds() {
    for db in TestDb::all("handling conflict").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        let clerk = staff(&w, "sj.clerk").await;
        let accept = action_key(&w, &clerk, case, ActionKind::Accept).await;
        let at = CaseRef {
            id: case,
            version: Some(0),
        };
        let (c, o, r) = (clock(), origin(), request(&accept, None));
        let (a, b) = tokio::join!(
            w.handling.act(&c, &clerk, &w.catalog, &o, at, &r),
            w.handling.act(&c, &clerk, &w.catalog, &o, at, &r),
        );
        let results = [a.unwrap(), b.unwrap()];
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(ActRefusal::Conflict)))
        );
    }
}

#[tokio::test]
async fn a_batch_reports_every_case_and_staff_elsewhere_see_nothing() {
    for db in TestDb::all("handling batch").await {
        let w = world(db).await;
        let cases = file_cases(&w, "SJ0001", 12).await;
        let clerk = staff(&w, "sj.clerk").await;
        let accept = action_key(&w, &clerk, cases[0], ActionKind::Accept).await;
        let mut refs: Vec<CaseRef> = cases
            .iter()
            .map(|&id| CaseRef {
                id,
                version: Some(0),
            })
            .collect();
        // One was shown at a version it no longer has; one does not exist.
        refs[3].version = Some(7);
        refs.push(CaseRef {
            id: Uuid::now_v7(),
            version: None,
        });
        let lines = w
            .handling
            .act_many(
                &clock(),
                &clerk,
                &w.catalog,
                &origin(),
                &refs,
                &request(&accept, Some("批量受理")),
            )
            .await
            .unwrap();
        assert_eq!(lines.len(), 13);
        assert_eq!(lines.iter().filter(|l| l.result.is_ok()).count(), 11);
        assert!(matches!(lines[3].result, Err(ActRefusal::Conflict)));
        assert!(matches!(lines[12].result, Err(ActRefusal::NotFound)));
        // Acting again on an accepted case is refused by the workflow, and reported; with the
        // version the page showed before, as a conflict.
        let stale: Vec<CaseRef> = refs[..2].to_vec();
        let fresh: Vec<CaseRef> = stale
            .iter()
            .map(|r| CaseRef {
                id: r.id,
                version: None,
            })
            .collect();
        let again = w
            .handling
            .act_many(
                &clock(),
                &clerk,
                &w.catalog,
                &origin(),
                &fresh,
                &request(&accept, None),
            )
            .await
            .unwrap();
        assert!(again.iter().all(|l| matches!(
            l.result,
            Err(ActRefusal::Workflow(WorkflowError::NotAvailable(_)))
        )));
        let again = w
            .handling
            .act_many(
                &clock(),
                &clerk,
                &w.catalog,
                &origin(),
                &stale,
                &request(&accept, None),
            )
            .await
            .unwrap();
        assert!(
            again
                .iter()
                .all(|l| matches!(l.result, Err(ActRefusal::Conflict)))
        );

        // A police clerk neither sees nor acts on market regulation's cases.
        let police = staff(&w, "ga.clerk").await;
        assert!(matches!(
            w.handling
                .staff_case(&clock(), &police, &w.catalog, cases[3])
                .await,
            Err(tongban_services::workflow::HandlingError::NotFound)
        ));
        let lines = w
            .handling
            .act_many(
                &clock(),
                &police,
                &w.catalog,
                &origin(),
                &refs[3..4],
                &request(&accept, None),
            )
            .await
            .unwrap();
        assert!(matches!(lines[0].result, Err(ActRefusal::NotFound)));
        let inbox = w
            .handling
            .inbox(&clock(), &police, &w.catalog, &InboxFilter::default())
            .await
            .unwrap();
        assert!(inbox.lines.iter().all(|l| !cases.contains(&l.case_id)));
    }
}

#[tokio::test]
async fn the_public_lookup_locks_a_number_after_five_wrong_attempts() {
    for db in TestDb::all("handling lookup").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        let row = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap();
        let number = row.tracking_number.as_str();
        let found = w
            .handling
            .public_progress(&clock(), &w.catalog, number, "0001")
            .await
            .unwrap();
        assert_eq!(found.tracking_number, number);
        // Unknown numbers and wrong digits look the same.
        assert_eq!(
            w.handling
                .public_progress(&clock(), &w.catalog, "SF-20261202-99999999-0", "0001")
                .await
                .unwrap_err(),
            LookupError::NotFound
        );
        for attempt in 1..=5 {
            let e = w
                .handling
                .public_progress(&clock(), &w.catalog, number, "9999")
                .await
                .unwrap_err();
            let expected = if attempt < 5 {
                LookupError::NotFound
            } else {
                LookupError::Locked
            };
            assert_eq!(e, expected, "attempt {attempt}");
        }
        // Locked: even the right digits are refused until the lock ends.
        assert_eq!(
            w.handling
                .public_progress(&clock(), &w.catalog, number, "0001")
                .await
                .unwrap_err(),
            LookupError::Locked
        );
        let later = FixedClock(now() + chrono::Duration::minutes(31));
        assert!(
            w.handling
                .public_progress(&later, &w.catalog, number, "0001")
                .await
                .is_ok()
        );
    }
}

async fn accept(w: &World, case: Uuid) {
    let clerk = staff(w, "sj.clerk").await;
    let accept = action_key(w, &clerk, case, ActionKind::Accept).await;
    let one = CaseRef {
        id: case,
        version: None,
    };
    w.handling
        .act(
            &clock(),
            &clerk,
            &w.catalog,
            &origin(),
            one,
            &request(&accept, None),
        )
        .await
        .unwrap()
        .unwrap();
    // The food licence's cases filed here share no certificate of no criminal record, so the
    // bureau's record check comes first; clear it, as the tests are about what follows.
    let state = w
        .handling
        .staff_case(&clock(), &clerk, &w.catalog, case)
        .await
        .unwrap()
        .state
        .state;
    if state == "record-check" {
        let bureau = staff(w, "ga.clerk").await;
        w.handling
            .act(
                &clock(),
                &bureau,
                &w.catalog,
                &origin(),
                one,
                &request("record-clear", None),
            )
            .await
            .unwrap()
            .unwrap();
    }
}

#[tokio::test]
async fn the_applicant_hears_of_acceptance_by_email_through_a_real_smtp_server() {
    use tongban_services::mail::{SmtpConfig, SmtpEmail};
    use tongban_services::notifications::{LogSms, Templates, Worker};
    use tongban_services::testing::smtp::SmtpSink;
    for db in TestDb::all("handling email").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        accept(&w, case).await;
        let row = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap();
        let sink = SmtpSink::start().await;
        let clock = Arc::new(clock());
        let worker = Worker {
            db: w.db.conn.clone(),
            cipher: w.identity.cipher.clone(),
            templates: Arc::new(Templates::load().unwrap()),
            sms: Arc::new(LogSms {
                db: w.db.conn.clone(),
                clock: clock.clone(),
            }),
            email: Some(Arc::new(
                SmtpEmail::new(&SmtpConfig {
                    url: sink.url(),
                    username: String::new(),
                    password: String::new(),
                    from: "示范市政务服务网 <noreply@shifan.example>".into(),
                    reply_to: "help@shifan.example".into(),
                    timeout: std::time::Duration::from_secs(5),
                })
                .unwrap(),
            )),
            clock,
        };
        worker.run_once().await.unwrap();
        let messages = sink.wait_for(1).await;
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].rcpt_to, ["zhangsan@shifan.example"]);
        let sent = tongban_store::notifications::by_channel(&w.db.conn, "email")
            .await
            .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].template, "case-update");
        assert_eq!(
            sent[0].params["tracking_number"],
            row.tracking_number.as_str()
        );
        assert_ne!(sent[0].status, "pending", "delivered");
        // The SMS went through the demo gateway, which copies it to the inbox.
        let sms = tongban_store::notifications::by_channel(&w.db.conn, "sms")
            .await
            .unwrap();
        assert!(
            sms.iter()
                .any(|n| n.template == "case-update" && n.status != "pending")
        );
    }
}

#[tokio::test]
async fn overdue_cases_alert_their_handlers_once() {
    for db in TestDb::all("handling alerts").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        accept(&w, case).await;
        let row = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap();
        let due = row.due_on.expect("an accepted case has a deadline");
        assert!(due > NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        // Today it is at most approaching (a short committed limit).
        let calendar = w.handling.calendar(&w.catalog);
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let approaching = usize::from(calendar.working_days_between(today, due) <= 2);
        assert_eq!(
            w.handling
                .scan_deadlines(&clock(), &w.catalog)
                .await
                .unwrap(),
            approaching
        );
        let late = FixedClock(now() + chrono::Duration::days(90));
        assert_eq!(
            w.handling.scan_deadlines(&late, &w.catalog).await.unwrap(),
            1
        );
        assert_eq!(
            w.handling.scan_deadlines(&late, &w.catalog).await.unwrap(),
            0,
            "once per case, kind and deadline"
        );
        let department = w.catalog.department_id("SJ").unwrap();
        let alerts = tongban_store::workflow::alerts_of_department(
            &w.db.conn,
            w.catalog.region_id,
            department,
            10,
        )
        .await
        .unwrap();
        assert_eq!(alerts.len(), 1 + approaching);
        assert_eq!(alerts[0].kind, "overdue");
        // The open task's role holders and the department's approvers were told.
        let inbox = tongban_store::notifications::by_channel(&w.db.conn, "inbox")
            .await
            .unwrap();
        let told: Vec<Uuid> = inbox
            .iter()
            .filter(|n| n.template == "case-deadline")
            .filter_map(|n| n.account_id)
            .collect();
        assert!(told.contains(&staff(&w, "sj.approver").await.account_id));
        assert!(!told.contains(&staff(&w, "ga.clerk").await.account_id));
    }
}

#[tokio::test]
async fn a_calendar_change_recomputes_open_deadlines() {
    for db in TestDb::all("handling recompute").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        accept(&w, case).await;
        let before = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap()
            .due_on
            .unwrap();
        // The first round records the calendar it counted with.
        w.handling
            .recompute_deadlines_if_calendar_changed(&clock(), &w.catalog)
            .await
            .unwrap();
        assert_eq!(
            w.handling
                .recompute_deadlines_if_calendar_changed(&clock(), &w.catalog)
                .await
                .unwrap(),
            0,
            "an unchanged calendar costs nothing"
        );
        // The city declares the day after acceptance a holiday.
        let holiday = "applies_to: [\"99\"]\n2026:\n  holidays:\n    - { name: 建市纪念日, from: 2026-12-03, to: 2026-12-03 }\n";
        let calendars = tongban_domain::calendar::CalendarSet::embedded()
            .with_extra(&[tongban_domain::calendar::CalendarSource::new(
                "city.yaml",
                holiday,
            )])
            .unwrap();
        let handling = CaseHandling::new(
            w.db.conn.clone(),
            w.cipher.clone(),
            Arc::new(calendars),
            HandlingSettings::default(),
            w.handling.certificates().clone(),
        );
        assert_eq!(
            handling
                .recompute_deadlines_if_calendar_changed(&clock(), &w.catalog)
                .await
                .unwrap(),
            1
        );
        let after = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap()
            .due_on
            .unwrap();
        assert_eq!(
            handling
                .calendar(&w.catalog)
                .working_days_between(before, after),
            1,
            "one working day later"
        );
    }
}

#[tokio::test]
async fn the_food_licence_is_reviewed_by_market_regulation_and_health_at_once() {
    for db in TestDb::all("handling parallel").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0002", 1).await[0];
        let health = staff(&w, "wj.reviewer").await;
        let market = staff(&w, "sj.reviewer").await;
        // Health sees nothing until the workflow routes the case to it.
        assert!(
            w.handling
                .staff_case(&clock(), &health, &w.catalog, case)
                .await
                .is_err()
        );
        accept(&w, case).await;
        let view = w
            .handling
            .staff_case(&clock(), &health, &w.catalog, case)
            .await
            .unwrap();
        assert_eq!(view.state.state, "joint-review");
        assert_eq!(view.state.tasks.len(), 2);
        // Each department's inbox holds its own task only.
        let inbox = w
            .handling
            .inbox(&clock(), &health, &w.catalog, &InboxFilter::default())
            .await
            .unwrap();
        let mine: Vec<_> = inbox.lines.iter().filter(|l| l.case_id == case).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(Some(mine[0].department_id), w.catalog.department_id("WJ"));

        let concur = |who: CurrentUser| {
            let w = &w;
            async move {
                w.handling
                    .act(
                        &clock(),
                        &who,
                        &w.catalog,
                        &origin(),
                        CaseRef {
                            id: case,
                            version: None,
                        },
                        &request("concur", None),
                    )
                    .await
                    .unwrap()
            }
        };
        let first = concur(market.clone()).await.unwrap();
        assert_eq!(first.to, "joint-review", "waits for health");
        // A department decides once.
        assert!(matches!(
            concur(market.clone()).await,
            Err(ActRefusal::Workflow(WorkflowError::AlreadyDecided))
        ));
        let second = concur(health.clone()).await.unwrap();
        assert_eq!(second.to, "decision");
        let tasks = tongban_store::cases::tasks_of(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap();
        let decided: Vec<_> = tasks
            .iter()
            .filter(|t| t.decision.as_deref() == Some("concur"))
            .collect();
        assert_eq!(decided.len(), 2);
        assert!(
            tasks
                .iter()
                .any(|t| t.status == "open" && t.role == "approver")
        );
    }
}

#[tokio::test]
async fn a_refusal_without_reasons_is_refused_before_anything_is_written() {
    for db in TestDb::all("handling reasons").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        let clerk = staff(&w, "sj.clerk").await;
        let refuse = action_key(&w, &clerk, case, ActionKind::RefuseIntake).await;
        // A comment of list markers only carries no reason for the decision.
        let result = w
            .handling
            .act(
                &clock(),
                &clerk,
                &w.catalog,
                &origin(),
                CaseRef {
                    id: case,
                    version: None,
                },
                &request(&refuse, Some("-\n  *  ")),
            )
            .await
            .unwrap();
        assert_eq!(
            result,
            Err(ActRefusal::Workflow(WorkflowError::CommentRequired))
        );
        let row = tongban_store::cases::case_by_id(&w.db.conn, w.catalog.region_id, case)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.version, 0, "nothing was written");
        // With reasons, the intake refusal notice lists them.
        let refused = w
            .handling
            .act(
                &clock(),
                &clerk,
                &w.catalog,
                &origin(),
                CaseRef {
                    id: case,
                    version: Some(0),
                },
                &request(
                    &refuse,
                    Some("- 不属于本部门职权范围\n- 请向区市场监督管理局申请"),
                ),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(refused.notices, ["intake-refusal"]);
        let documents =
            tongban_store::workflow::documents_of(&w.db.conn, w.catalog.region_id, case)
                .await
                .unwrap();
        let notice = w
            .handling
            .notice(&w.catalog, case, documents[0].id)
            .await
            .unwrap();
        assert_eq!(
            notice.items,
            ["不属于本部门职权范围", "请向区市场监督管理局申请"]
        );
    }
}

/// A file as the blob store would have received it (the bytes themselves are not needed to
/// record the attachment).
fn attachment(name: &str, content: &[u8]) -> tongban_services::workflow::ActionAttachment {
    tongban_services::workflow::ActionAttachment::new(
        tongban_services::uploads::StoredBlob {
            address: tongban_services::uploads::BlobAddress::of(content),
            size: content.len() as u64,
            kind: tongban_domain::forms::FileKind::Pdf,
        },
        name,
    )
}

#[tokio::test]
async fn an_objection_carries_its_evidence_and_only_staff_may_read_it() {
    use tongban_store::entities::{case_event, upload};
    use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for db in TestDb::all("handling attachments").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0002", 1).await[0];
        accept(&w, case).await;
        let health = staff(&w, "wj.reviewer").await;
        let market = staff(&w, "sj.reviewer").await;
        let approver = staff(&w, "sj.approver").await;
        let one = CaseRef {
            id: case,
            version: None,
        };
        let uploads_of_case = || async {
            upload::Entity::find()
                .filter(upload::Column::CaseId.eq(case))
                .all(&w.db.conn)
                .await
                .unwrap()
        };

        // The demo's objection requires evidence: without a file nothing is written.
        let bare = w
            .handling
            .act(
                &clock(),
                &health,
                &w.catalog,
                &origin(),
                one,
                &request("object", Some("后厨未设洗手设施")),
            )
            .await
            .unwrap();
        assert_eq!(
            bare,
            Err(ActRefusal::Workflow(WorkflowError::AttachmentRequired))
        );
        assert!(uploads_of_case().await.is_empty());

        let mut objection = request("object", Some("后厨未设洗手设施"));
        objection.attachments = vec![attachment("现场核查记录.pdf", b"%PDF-1.7 inspection")];
        let objected = w
            .handling
            .act(&clock(), &health, &w.catalog, &origin(), one, &objection)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(objected.to, "joint-review");
        let files = uploads_of_case().await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].owner_id, health.account_id);
        assert_eq!(files[0].filename, "现场核查记录.pdf");
        assert!(files[0].internal, "a reviewer's objection is internal");
        let event = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(case))
            .filter(case_event::Column::Action.eq("object"))
            .one(&w.db.conn)
            .await
            .unwrap()
            .expect("the objection is in the timeline");
        let detail: serde_json::Value = serde_json::from_str(&event.detail).unwrap();
        assert_eq!(
            detail["attachments"][0]["id"],
            serde_json::json!(files[0].id.to_string())
        );

        // Market regulation agrees; the approver puts the findings to the applicant, with the
        // inspection record: that copy is the applicant's to read.
        w.handling
            .act(
                &clock(),
                &market,
                &w.catalog,
                &origin(),
                one,
                &request("concur", None),
            )
            .await
            .unwrap()
            .unwrap();
        let mut correction = request("request-correction", Some("增设洗手设施并提交照片"));
        correction.attachments = vec![attachment("现场核查记录.pdf", b"%PDF-1.7 inspection")];
        let corrected = w
            .handling
            .act(&clock(), &approver, &w.catalog, &origin(), one, &correction)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(corrected.to, "correction");
        let files = uploads_of_case().await;
        assert_eq!(files.len(), 2, "each action keeps its own record");
        let told = files
            .iter()
            .find(|f| f.owner_id == approver.account_id)
            .unwrap();
        assert!(!told.internal, "sent with the correction notice");
        assert_eq!(files[0].sha256, told.sha256, "the bytes are stored once");
    }
}

#[tokio::test]
async fn an_approval_that_cannot_fill_its_licence_is_refused_and_writes_nothing() {
    for db in TestDb::all("handling certificate incomplete").await {
        let w = world(db).await;
        let case = file_cases(&w, "SJ0001", 1).await[0];
        // The application lost its operator's name (an old form version, say).
        let mut answers = tongban_services::catalog::demo_sole_trader_answers();
        answers.remove("operator_name");
        let sealed = w
            .cipher
            .encrypt(
                tongban_services::applications::CASE_ANSWERS_FIELD,
                &serde_json::to_string(&answers).unwrap(),
            )
            .unwrap();
        tongban_store::workflow::replace_answers(&w.db.conn, w.catalog.region_id, case, &sealed)
            .await
            .unwrap();
        accept(&w, case).await;
        let reviewer = staff(&w, "sj.reviewer").await;
        let approve = action_key(&w, &reviewer, case, ActionKind::Approve).await;
        let before = w
            .handling
            .staff_case(&clock(), &reviewer, &w.catalog, case)
            .await
            .unwrap();
        let refused = w
            .handling
            .act(
                &clock(),
                &reviewer,
                &w.catalog,
                &origin(),
                CaseRef {
                    id: case,
                    version: None,
                },
                &request(&approve, None),
            )
            .await
            .unwrap();
        match refused {
            Err(ActRefusal::Certificate(why)) => assert!(why.contains("operator"), "{why}"),
            other => panic!("{other:?}"),
        }
        let after = w
            .handling
            .staff_case(&clock(), &reviewer, &w.catalog, case)
            .await
            .unwrap();
        assert_eq!(after.case.version, before.case.version, "nothing written");
        assert!(after.state.outcome.is_none());
        assert!(
            tongban_store::certificates::of_case(&w.db.conn, w.catalog.region_id, case)
                .await
                .unwrap()
                .is_empty()
        );
    }
}
