//! The single submission writer on SQLite and PostgreSQL: many concurrent callers with
//! repeated keys get exactly one case per key and the same tracking number for every retry; a
//! key reused for a different request is refused; an item that cannot be written fails alone.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use tongban_services::submissions::{Receipt, SubmissionWriter, SubmitError};
use tongban_store::cases::{self, Channel, NewCase};
use tongban_store::entities::{account, case, case_task, region};
use tongban_store::sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use tongban_store::testing::TestDb;
use tongban_store::{Connection, audit};
use uuid::Uuid;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()
}

async fn add_region(db: &Connection) -> Uuid {
    let id = Uuid::now_v7();
    region::Entity::insert(region::ActiveModel {
        id: Set(id),
        code: Set("440300".into()),
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

async fn add_person(db: &Connection, region_id: Uuid) -> Uuid {
    let id = Uuid::now_v7();
    account::Entity::insert(account::ActiveModel {
        id: Set(id),
        kind: Set("person".into()),
        username: Set(None),
        display_name: Set("申请人".into()),
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

fn submission(region_id: Uuid, applicant: Uuid, key: &str) -> NewCase {
    NewCase {
        region_id,
        tracking_prefix: "SZ".into(),
        local_date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        service_code: "residence-permit".into(),
        service_name: "居住证申领".into(),
        service_version: 1,
        department_id: Uuid::nil(),
        applicant_id: applicant,
        enterprise_id: None,
        entered_by: applicant,
        channel: Channel::Api,
        answers: "ciphertext".into(),
        submission_key: key.to_owned(),
        request_digest: format!("digest:{key}"),
        submitted_at: now(),
        applicant_phone_last4: None,
        draft_id: None,
        workflow: tongban_store::cases::StartingState {
            state: "intake".into(),
            json: "{}".into(),
            status: "open".into(),
            stage_due_on: None,
            tasks: vec![tongban_store::cases::NewTask {
                department_id: Uuid::nil(),
                stage: "intake".into(),
                role: "front-desk-clerk".into(),
                due_on: None,
            }],
        },
        locale: "zh-CN".into(),
        ip: None,
        shares: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_make_one_case_per_key() {
    for db in TestDb::all("submission writer").await {
        let region_id = add_region(&db.conn).await;
        let applicant = add_person(&db.conn, region_id).await;
        let writer = SubmissionWriter::start(db.conn.clone());

        // 200 callers over 150 keys: every fourth caller repeats the key of the one before.
        let mut callers = Vec::new();
        for i in 0..200u32 {
            let n = if i % 4 == 3 { i - 1 } else { i };
            let key = format!("api:{applicant}:{n}");
            let writer = writer.clone();
            let item = submission(region_id, applicant, &key);
            callers.push(tokio::spawn(
                async move { (key, writer.submit(item).await) },
            ));
        }
        let mut by_key: HashMap<String, Vec<Receipt>> = HashMap::new();
        for caller in callers {
            let (key, receipt) = caller.await.unwrap();
            by_key.entry(key).or_default().push(receipt.unwrap());
        }
        assert_eq!(by_key.len(), 150);
        let mut numbers = HashSet::new();
        for (key, receipts) in &by_key {
            let first = &receipts[0];
            assert!(
                receipts
                    .iter()
                    .all(|r| r.tracking_number == first.tracking_number
                        && r.case_id == first.case_id),
                "{key}: {receipts:?}"
            );
            assert_eq!(
                receipts.iter().filter(|r| !r.duplicate).count(),
                1,
                "{key}: exactly one receipt is the first"
            );
            assert!(numbers.insert(first.tracking_number.clone()));
            let stored = cases::case_by_submission_key(&db.conn, key)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(stored.id, first.case_id);
            assert_eq!(stored.tracking_number, first.tracking_number.as_str());
        }
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 150);
        assert_eq!(
            case_task::Entity::find().count(&db.conn).await.unwrap(),
            150
        );
        let mut sequences: Vec<u64> = numbers.iter().map(|n| n.sequence()).collect();
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=150).collect::<Vec<u64>>());
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(150));

        // A later retry is answered as the first time was.
        let (key, receipts) = by_key.iter().next().unwrap();
        let again = writer
            .submit(submission(region_id, applicant, key))
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.tracking_number, receipts[0].tracking_number);

        // The same key for a different request is not a retry.
        let mut other = submission(region_id, applicant, key);
        other.request_digest = "a different application".into();
        assert_eq!(writer.submit(other).await, Err(SubmitError::KeyReused));
        drop(writer);
        db.finish().await;
    }
}

// One thread: every caller enqueues before the writer runs again, so its batches of 16 each
// hold bad items among good ones.
#[tokio::test]
async fn an_item_that_cannot_be_written_fails_alone() {
    for db in TestDb::all("submission writer isolation").await {
        let region_id = add_region(&db.conn).await;
        let applicant = add_person(&db.conn, region_id).await;
        let writer = SubmissionWriter::with_batch_limit(db.conn.clone(), 16);
        let mut callers = Vec::new();
        for i in 0..60 {
            let mut item = submission(region_id, applicant, &format!("api:x:{i}"));
            if i % 10 == 5 {
                // No such account: its notification row breaks a foreign key.
                item.applicant_id = Uuid::now_v7();
            }
            let writer = writer.clone();
            callers.push(tokio::spawn(async move { (i, writer.submit(item).await) }));
        }
        for caller in callers {
            let (i, answer) = caller.await.unwrap();
            if i % 10 == 5 {
                assert_eq!(answer, Err(SubmitError::Unavailable), "item {i}");
            } else {
                assert!(answer.is_ok(), "item {i}: {answer:?}");
            }
        }
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 54);
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(54));

        let mut refused = submission(region_id, applicant, "api:x:prefix");
        refused.tracking_prefix = "s".into();
        assert!(matches!(
            writer.submit(refused).await,
            Err(SubmitError::Refused(_))
        ));
        db.finish().await;
    }
}

// Two writers (as two servers on one PostgreSQL would run) racing on the same keys: the unique
// key and `ON CONFLICT DO NOTHING` leave one case per key, and the loser answers with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_racing_on_the_same_keys_make_one_case_each() {
    for db in TestDb::all("two submission writers").await {
        let region_id = add_region(&db.conn).await;
        let applicant = add_person(&db.conn, region_id).await;
        let writers = [
            SubmissionWriter::start(db.conn.clone()),
            SubmissionWriter::start(db.conn.clone()),
        ];
        let mut callers = Vec::new();
        for i in 0..100 {
            for writer in &writers {
                let writer = writer.clone();
                let key = format!("api:{applicant}:{i}");
                let item = submission(region_id, applicant, &key);
                callers.push(tokio::spawn(
                    async move { (key, writer.submit(item).await) },
                ));
            }
        }
        let mut by_key: HashMap<String, Vec<Receipt>> = HashMap::new();
        for caller in callers {
            let (key, receipt) = caller.await.unwrap();
            by_key.entry(key).or_default().push(receipt.unwrap());
        }
        for (key, receipts) in &by_key {
            assert_eq!(receipts.len(), 2);
            assert_eq!(receipts[0].case_id, receipts[1].case_id, "{key}");
            assert_eq!(receipts[0].tracking_number, receipts[1].tracking_number);
            assert_eq!(receipts.iter().filter(|r| !r.duplicate).count(), 1, "{key}");
        }
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 100);
        assert_eq!(audit::verify_chain(&db.conn).await.unwrap(), Ok(100));
        db.finish().await;
    }
}
