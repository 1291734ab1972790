//! Drafts, cases and the batch writer on SQLite and PostgreSQL: one case per submission key
//! (repeats inside a batch and keys that already made a case), consecutive tracking numbers per
//! region and local day, the audit chain intact after batches, notifications and tasks for new
//! cases only, optimistic draft saves, and tenant scoping.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use tongban_domain::forms::{TrackingNumber, TrackingNumberError};
use tongban_store::cases::{self, BatchOutcome, Channel, DraftSave, NewCase, NewDraft};
use tongban_store::entities::{account, audit_entry, case, case_task, notification, region};
use tongban_store::sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use tongban_store::testing::TestDb;
use tongban_store::{audit, notifications};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    // 23:30 UTC is already the next day in Asia/Shanghai: the local date comes from the caller.
    Utc.with_ymd_and_hms(2026, 12, 4, 23, 30, 0).unwrap()
}

fn local_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
}

async fn add_region<C: ConnectionTrait>(db: &C, code: &str) -> Uuid {
    let id = Uuid::now_v7();
    region::Entity::insert(region::ActiveModel {
        id: Set(id),
        code: Set(code.to_owned()),
        parent_id: Set(None),
        content: Set(serde_json::json!({})),
        created_at: Set(now()),
        updated_at: Set(now()),
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    id
}

async fn add_person<C: ConnectionTrait>(db: &C, region_id: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    account::Entity::insert(account::ActiveModel {
        id: Set(id),
        kind: Set("person".into()),
        username: Set(None),
        display_name: Set("测试𠀀申请人".into()),
        id_doc_kind: Set(None),
        id_doc_ciphertext: Set(None),
        id_doc_index: Set(None),
        phone_ciphertext: Set(None),
        phone_index: Set(None),
        email: Set(None),
        password_hash: Set("x".into()),
        status: Set("active".into()),
        region_id: Set(Some(region_id)),
        department_id: Set(None),
        totp_secret_ciphertext: Set(None),
        totp_last_step: Set(None),
        created_at: Set(now()),
        updated_at: Set(now()),
        password_changed_at: Set(now()),
        privacy_version: Set(None),
        privacy_accepted_at: Set(None),
        password_must_change: Set(false),
    })
    .exec_without_returning(db)
    .await
    .unwrap();
    id
}

struct World {
    region: Uuid,
    other_region: Uuid,
    department: Uuid,
    applicant: Uuid,
    other_applicant: Uuid,
}

async fn world(db: &TestDb) -> World {
    let region = add_region(&db.conn, "440300").await;
    let other_region = add_region(&db.conn, "440100").await;
    World {
        region,
        other_region,
        department: Uuid::now_v7(),
        applicant: add_person(&db.conn, region).await,
        other_applicant: add_person(&db.conn, other_region).await,
    }
}

fn submission(w: &World, key: &str) -> NewCase {
    NewCase {
        region_id: w.region,
        tracking_prefix: "SZ".into(),
        local_date: local_day(),
        service_code: "residence-permit".into(),
        service_name: "居住证申领".into(),
        service_version: 2,
        department_id: w.department,
        applicant_id: w.applicant,
        enterprise_id: None,
        entered_by: w.applicant,
        channel: Channel::Online,
        answers: format!("ciphertext-of-{key}"),
        submission_key: key.to_owned(),
        request_digest: format!("digest-of-{key}"),
        submitted_at: now(),
        applicant_phone_last4: Some("1234".into()),
        draft_id: None,
        workflow: tongban_store::cases::StartingState {
            state: "intake".into(),
            json: "{}".into(),
            status: "open".into(),
            stage_due_on: None,
            tasks: vec![tongban_store::cases::NewTask {
                department_id: w.department,
                stage: "intake".into(),
                role: "front-desk-clerk".into(),
                due_on: None,
            }],
        },
        locale: "zh-CN".into(),
        ip: Some("192.0.2.7".into()),
        shares: Vec::new(),
    }
}

async fn write(db: &TestDb, batch: &[NewCase]) -> Vec<BatchOutcome> {
    let txn = cases::begin_write(&db.conn).await.unwrap();
    let outcomes = cases::insert_batch(&txn, batch).await.unwrap();
    txn.commit().await.unwrap();
    outcomes
}

fn created(outcome: &BatchOutcome) -> &case::Model {
    match outcome {
        BatchOutcome::Created(row) => row,
        other => panic!("expected a new case, got {other:?}"),
    }
}

async fn inbox_count(db: &TestDb) -> u64 {
    notification::Entity::find()
        .filter(notification::Column::Template.eq(cases::SUBMITTED_TEMPLATE))
        .count(&db.conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_makes_one_case_per_key_with_consecutive_numbers() {
    for db in TestDb::all("cases batch").await {
        let w = world(&db).await;
        let before = write(&db, &[submission(&w, "api:a:1"), submission(&w, "api:a:2")]).await;
        let (pre1, pre2) = (created(&before[0]).clone(), created(&before[1]).clone());

        // 50 submissions: 47 fresh keys, one of them repeated, and the two keys above (one of
        // them reused for a different request).
        let mut batch: Vec<NewCase> = (0..47)
            .map(|i| submission(&w, &format!("draft:{i:02}")))
            .collect();
        batch.insert(10, submission(&w, "draft:03"));
        batch.insert(20, submission(&w, "api:a:1"));
        let mut reused = submission(&w, "api:a:2");
        reused.request_digest = "another request".into();
        batch.push(reused);
        assert_eq!(batch.len(), 50);

        let outcomes = write(&db, &batch).await;
        assert_eq!(outcomes.len(), 50);
        let new: Vec<&case::Model> = outcomes
            .iter()
            .filter_map(|o| match o {
                BatchOutcome::Created(row) => Some(row),
                _ => None,
            })
            .collect();
        assert_eq!(new.len(), 47);
        let sequences: Vec<u64> = new
            .iter()
            .map(|row| {
                let number = TrackingNumber::parse(&row.tracking_number).unwrap();
                assert_eq!(number.prefix(), "SZ");
                assert_eq!(number.date(), local_day());
                number.sequence()
            })
            .collect();
        assert_eq!(sequences, (3..=49).collect::<Vec<u64>>());

        // The repeat inside the batch is the case its first occurrence made.
        let BatchOutcome::Duplicate {
            case: repeat,
            digest_matches: true,
        } = &outcomes[10]
        else {
            panic!("{:?}", outcomes[10]);
        };
        assert_eq!(repeat.submission_key, "draft:03");
        let first = outcomes
            .iter()
            .find_map(|o| match o {
                BatchOutcome::Created(row) if row.submission_key == "draft:03" => Some(row),
                _ => None,
            })
            .unwrap();
        assert_eq!(repeat, first);
        // Keys that made a case before return that case, and say whether the request matches.
        assert_eq!(
            outcomes[20],
            BatchOutcome::Duplicate {
                case: pre1.clone(),
                digest_matches: true
            }
        );
        assert_eq!(
            outcomes[49],
            BatchOutcome::Duplicate {
                case: pre2.clone(),
                digest_matches: false
            }
        );

        // What the batch returned is what is stored.
        let stored = cases::case_by_id(&db.conn, w.region, first.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&stored, first);
        assert_eq!(
            cases::case_by_tracking(&db.conn, w.region, &first.tracking_number)
                .await
                .unwrap()
                .as_ref(),
            Some(first)
        );
        assert_eq!(
            cases::case_by_submission_key(&db.conn, "api:a:1")
                .await
                .unwrap(),
            Some(pre1)
        );

        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 49);
        let tasks = cases::tasks_of(&db.conn, w.region, first.id).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(
            (
                tasks[0].stage.as_str(),
                tasks[0].role.as_str(),
                tasks[0].status.as_str()
            ),
            ("intake", "front-desk-clerk", "open")
        );
        assert_eq!(case_task::Entity::find().count(&db.conn).await.unwrap(), 49);
        assert_eq!(inbox_count(&db).await, 49);
        let inbox = notifications::inbox(&db.conn, w.applicant, 100)
            .await
            .unwrap();
        assert!(inbox.iter().any(|n| n.params["tracking_number"]
            == serde_json::json!(first.tracking_number)
            && n.status == "sent"));
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(49));
        let entry = audit_entry::Entity::find()
            .filter(audit_entry::Column::Target.eq(format!("case:{}", first.id)))
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.action, cases::SUBMIT_ACTION);
        assert_eq!(entry.actor_id, Some(w.applicant));

        // A batch of nothing but retries writes nothing and wastes no numbers.
        let again = write(&db, &batch[..5]).await;
        assert!(
            again
                .iter()
                .all(|o| matches!(o, BatchOutcome::Duplicate { .. }))
        );
        assert_eq!(inbox_count(&db).await, 49);
        let next = write(&db, &[submission(&w, "draft:next")]).await;
        let next = TrackingNumber::parse(&created(&next[0]).tracking_number).unwrap();
        assert_eq!(next.sequence(), 50);
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(50));

        // Newest first, and only the applicant's.
        let mine = cases::cases_of(&db.conn, w.region, w.applicant, 100)
            .await
            .unwrap();
        assert_eq!(mine.len(), 50);
        assert_eq!(mine[0].submission_key, "draft:next");
        db.finish().await;
    }
}

#[tokio::test]
async fn numbers_count_per_region_and_local_day() {
    for db in TestDb::all("cases numbering").await {
        let w = world(&db).await;
        let mut today = submission(&w, "k1");
        today.local_date = local_day();
        let mut tomorrow = submission(&w, "k2");
        tomorrow.local_date = local_day().succ_opt().unwrap();
        let mut elsewhere = submission(&w, "k3");
        elsewhere.region_id = w.other_region;
        elsewhere.applicant_id = w.other_applicant;
        elsewhere.entered_by = w.other_applicant;
        elsewhere.tracking_prefix = "GZ".into();
        let mut today_again = submission(&w, "k4");
        today_again.local_date = local_day();
        let mut bad_prefix = submission(&w, "k5");
        bad_prefix.tracking_prefix = "sz".into();

        let outcomes = write(&db, &[today, tomorrow, elsewhere, today_again, bad_prefix]).await;
        let numbers: Vec<TrackingNumber> = outcomes[..4]
            .iter()
            .map(|o| TrackingNumber::parse(&created(o).tracking_number).unwrap())
            .collect();
        assert_eq!(numbers[0].sequence(), 1);
        assert_eq!(numbers[3].sequence(), 2);
        assert_eq!(numbers[1].sequence(), 1, "a new day starts again at 1");
        assert_eq!(numbers[1].date(), local_day().succ_opt().unwrap());
        assert_eq!(numbers[2].sequence(), 1, "each region counts its own");
        assert_eq!(numbers[2].prefix(), "GZ");
        assert_eq!(
            outcomes[4],
            BatchOutcome::Refused(TrackingNumberError::Prefix)
        );
        assert_eq!(
            cases::case_by_submission_key(&db.conn, "k5").await.unwrap(),
            None
        );

        // Tenant scoping: the other region's case is not found from this one, nor the reverse.
        let theirs = created(&outcomes[2]);
        assert_eq!(
            cases::case_by_id(&db.conn, w.region, theirs.id)
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            cases::case_by_tracking(&db.conn, w.region, &theirs.tracking_number)
                .await
                .unwrap(),
            None
        );
        assert!(
            cases::cases_of(&db.conn, w.region, w.other_applicant, 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            cases::case_by_id(&db.conn, w.other_region, theirs.id)
                .await
                .unwrap()
                .is_some()
        );
        db.finish().await;
    }
}

fn new_draft(w: &World) -> NewDraft {
    NewDraft {
        region_id: w.region,
        service_code: "residence-permit".into(),
        service_version: 2,
        applicant_id: w.applicant,
        enterprise_id: None,
        entered_by: w.applicant,
        channel: Channel::Online,
        answers: "ciphertext-0".into(),
        current_page: "about-you".into(),
        now: now(),
        expires_at: now() + Duration::days(30),
    }
}

#[tokio::test]
async fn drafts_save_only_from_the_latest_revision_and_stay_in_their_region() {
    for db in TestDb::all("drafts").await {
        let w = world(&db).await;
        let draft = cases::create_draft(&db.conn, new_draft(&w)).await.unwrap();
        assert_eq!(draft.revision, 1);
        assert_eq!(
            cases::draft(&db.conn, w.region, draft.id).await.unwrap(),
            Some(draft.clone())
        );
        assert_eq!(
            cases::draft(&db.conn, w.other_region, draft.id)
                .await
                .unwrap(),
            None
        );

        let save = |answers: &str, page: &str| DraftSave {
            answers: answers.into(),
            current_page: page.into(),
            now: now() + Duration::minutes(5),
            expires_at: now() + Duration::days(31),
        };
        assert!(
            cases::save_draft(&db.conn, w.region, draft.id, 1, save("ct-1", "address"))
                .await
                .unwrap()
        );
        // A second tab still holding revision 1 loses instead of overwriting.
        assert!(
            !cases::save_draft(&db.conn, w.region, draft.id, 1, save("ct-stale", "x"))
                .await
                .unwrap()
        );
        // Another region cannot write into it.
        assert!(
            !cases::save_draft(&db.conn, w.other_region, draft.id, 2, save("ct-x", "x"))
                .await
                .unwrap()
        );
        let saved = cases::draft(&db.conn, w.region, draft.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                saved.revision,
                saved.answers.as_str(),
                saved.current_page.as_str()
            ),
            (2, "ct-1", "address")
        );
        assert_eq!(saved.expires_at, now() + Duration::days(31));

        let second = cases::create_draft(
            &db.conn,
            NewDraft {
                now: now() + Duration::hours(1),
                expires_at: now() + Duration::days(2),
                ..new_draft(&w)
            },
        )
        .await
        .unwrap();
        let mine = cases::drafts_of(&db.conn, w.region, w.applicant)
            .await
            .unwrap();
        assert_eq!(
            mine.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![second.id, draft.id]
        );
        assert!(
            cases::drafts_of(&db.conn, w.other_region, w.applicant)
                .await
                .unwrap()
                .is_empty()
        );

        // Reminders: once per draft, for drafts expiring inside the window.
        let window = now() + Duration::days(3);
        let due = cases::drafts_to_remind(&db.conn, window, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![second.id]
        );
        assert!(
            cases::mark_reminded(&db.conn, second.id, now())
                .await
                .unwrap()
        );
        assert!(
            !cases::mark_reminded(&db.conn, second.id, now())
                .await
                .unwrap()
        );
        assert!(
            cases::drafts_to_remind(&db.conn, window, 10)
                .await
                .unwrap()
                .is_empty()
        );

        // Expiry.
        let later = now() + Duration::days(2);
        let expired = cases::expired_drafts(&db.conn, later, 10).await.unwrap();
        assert_eq!(
            expired.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![second.id]
        );
        assert_eq!(cases::delete_expired(&db.conn, later).await.unwrap(), 1);

        // Deleting from another region does nothing; from its own it does.
        assert!(
            !cases::delete_draft(&db.conn, w.other_region, draft.id)
                .await
                .unwrap()
        );
        let third = cases::create_draft(&db.conn, new_draft(&w)).await.unwrap();
        assert!(
            cases::delete_draft(&db.conn, w.region, third.id)
                .await
                .unwrap()
        );

        // Submitting consumes the draft in the same transaction as the case.
        let mut submitted = submission(&w, &format!("draft:{}", draft.id));
        submitted.draft_id = Some(draft.id);
        let outcome = write(&db, &[submitted]).await;
        created(&outcome[0]);
        assert_eq!(
            cases::draft(&db.conn, w.region, draft.id).await.unwrap(),
            None
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn batched_and_single_audit_appends_form_one_chain() {
    for db in TestDb::all("audit append_many").await {
        let record = |action: &str| audit::AuditRecord {
            at: now(),
            region_id: None,
            actor_id: None,
            on_behalf_of: None,
            action: action.to_owned(),
            target: None,
            outcome: "success".into(),
            ip: None,
            detail: serde_json::json!({"n": action}),
        };
        audit::append_alone(&db.conn, &record("one")).await.unwrap();
        let txn = db.conn.begin().await.unwrap();
        let seqs = audit::append_many(&txn, &[record("a"), record("b"), record("c")])
            .await
            .unwrap();
        assert!(audit::append_many(&txn, &[]).await.unwrap().is_empty());
        txn.commit().await.unwrap();
        assert_eq!(seqs, vec![2, 3, 4]);
        audit::append_alone(&db.conn, &record("five"))
            .await
            .unwrap();
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(5));

        // Single and batched appends on one connection: PostgreSQL caches the statement they
        // share with the parameter type of its first use, so the types must agree.
        let txn = db.conn.begin().await.unwrap();
        audit::append(&txn, &record("six")).await.unwrap();
        let seqs = audit::append_many(&txn, &[record("seven"), record("eight")])
            .await
            .unwrap();
        audit::append(&txn, &record("nine")).await.unwrap();
        txn.commit().await.unwrap();
        assert_eq!(seqs, vec![7, 8]);
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(9));

        // Tampering with a batched entry is caught.
        audit_entry::Entity::update_many()
            .col_expr(audit_entry::Column::Action, "edited".into())
            .filter(audit_entry::Column::Seq.eq(3))
            .exec(&db.conn)
            .await
            .unwrap();
        assert_eq!(
            audit::verify_chain(&db.conn).await.unwrap(),
            Err(audit::ChainBreak::Altered { seq: 3 })
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_inbox_pages_through_dated_tasks_in_deadline_order_then_undated_ones() {
    use tongban_store::workflow::{InboxQuery, inbox};
    for db in TestDb::all("inbox order").await {
        let w = world(&db).await;
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 12, d);
        let dues = [day(9), None, day(3), None, day(20)];
        let batch: Vec<NewCase> = dues
            .iter()
            .enumerate()
            .map(|(i, due)| {
                let mut case = submission(&w, &format!("inbox-{i}"));
                case.workflow.tasks[0].due_on = *due;
                case
            })
            .collect();
        write(&db, &batch).await;
        let page = |offset: u64| {
            let db = &db;
            let w = &w;
            async move {
                let q = InboxQuery {
                    grants: vec![(w.department, "front-desk-clerk".into())],
                    offset,
                    limit: 2,
                    ..InboxQuery::default()
                };
                inbox(&db.conn, w.region, &q).await.unwrap()
            }
        };
        let first = page(0).await;
        assert_eq!((first.total, first.total_exact), (5, true));
        let dues_of = |p: &tongban_store::workflow::InboxPage| -> Vec<Option<NaiveDate>> {
            p.rows.iter().map(|(t, _)| t.due_on).collect()
        };
        assert_eq!(dues_of(&first), [day(3), day(9)]);
        assert_eq!(dues_of(&page(2).await), [day(20), None]);
        assert_eq!(dues_of(&page(4).await), [None]);
        // Another role of the department, or another region, sees none of them.
        let q = InboxQuery {
            grants: vec![(w.department, "reviewer".into())],
            limit: 50,
            ..InboxQuery::default()
        };
        assert_eq!(inbox(&db.conn, w.region, &q).await.unwrap().total, 0);
        let q = InboxQuery {
            grants: vec![(w.department, "front-desk-clerk".into())],
            limit: 50,
            ..InboxQuery::default()
        };
        assert_eq!(inbox(&db.conn, w.other_region, &q).await.unwrap().total, 0);
    }
}
