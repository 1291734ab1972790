//! The e-mail channel end to end: notifications queued in a transaction leave through the real
//! worker and lettre's SMTP client to an SMTP server started by the test (never a mock), on
//! SQLite and PostgreSQL: delivery with localised text and a stable Message-ID, retries with
//! back-off on 4xx replies, no retries on 5xx, and a crashed claim taken over after its lease.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use tongban_domain::Locale;
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::registration::{DemoRealNameVerifier, RegistrationError};
use tongban_services::identity::{Identity, IdentitySettings, Origin};
use tongban_services::mail::{EmailMessage, EmailSender, SmtpConfig, SmtpEmail, message_id};
use tongban_services::notifications::{LogSms, Templates, Worker};
use tongban_services::testing::smtp::{SmtpSink, Stage};
use tongban_store::testing::TestDb;

const SITE: &str = "示范市政务服务网";
/// 张三 in demo/accounts.yaml.
const DEMO_EMAIL: &str = "zhangsan@shifan.example";
const FROM: &str = "noreply@shifan.example";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap()
}

fn at(seconds: i64) -> FixedClock {
    FixedClock(t0() + Duration::seconds(seconds))
}

async fn identity(db: &TestDb) -> Identity {
    tongban_services::catalog::seed_demo(&db.conn, &at(0))
        .await
        .unwrap();
    let identity = Identity {
        db: db.conn.clone(),
        cipher: Arc::new(AesGcmKeyring::new([9u8; 32], &[])),
        index: BlindIndex::derive(&[5u8; 32]),
        passwords: Passwords::new(
            Argon2Settings {
                memory_kib: 256,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap(),
        settings: IdentitySettings::default(),
        verifier: Arc::new(DemoRealNameVerifier),
    };
    identity.seed_demo_accounts(&at(0)).await.unwrap();
    identity
}

fn smtp(sink: &SmtpSink) -> Arc<SmtpEmail> {
    Arc::new(
        SmtpEmail::new(&SmtpConfig {
            url: sink.url(),
            username: String::new(),
            password: String::new(),
            from: format!("示范市政务服务网 <{FROM}>"),
            reply_to: "help@shifan.example".into(),
            timeout: StdDuration::from_secs(5),
        })
        .unwrap(),
    )
}

fn worker(identity: &Identity, email: Arc<SmtpEmail>, seconds: i64) -> Worker {
    let clock = Arc::new(at(seconds));
    Worker {
        db: identity.db.clone(),
        cipher: identity.cipher.clone(),
        templates: Arc::new(Templates::load().unwrap()),
        sms: Arc::new(LogSms {
            db: identity.db.clone(),
            clock: clock.clone(),
        }),
        email: Some(email),
        clock,
    }
}

/// Asks for a reset code by e-mail for the demo address, in `locale`; returns the code.
async fn queue_reset_code(identity: &Identity, locale: Locale) -> String {
    identity
        .start_password_reset_by_email(&at(0), "ZhangSan@Shifan.Example", locale, SITE, true)
        .await
        .unwrap()
        .demo_code
        .unwrap()
}

async fn the_email(db: &TestDb) -> tongban_store::notifications::NotificationRow {
    let mut rows = tongban_store::notifications::by_channel(&db.conn, "email")
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.remove(0)
}

#[tokio::test]
async fn a_queued_email_reaches_the_smtp_server_localised_with_a_stable_message_id() {
    for db in TestDb::all("email_delivered").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        let code = queue_reset_code(&identity, Locale::En).await;
        let row = the_email(&db).await;
        assert_eq!(row.status, "pending");
        // The address is encrypted in the outbox like an SMS number.
        assert!(
            !row.recipient_ciphertext
                .as_deref()
                .unwrap()
                .contains("zhangsan")
        );

        let delivered = worker(&identity, smtp(&sink), 0).run_once().await.unwrap();
        assert_eq!(delivered, 1);
        let messages = sink.wait_for(1).await;
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message.rcpt_to, vec![DEMO_EMAIL.to_owned()]);
        assert_eq!(message.mail_from, FROM);
        assert_eq!(
            message.header("Subject").as_deref(),
            Some("Your password reset code")
        );
        assert_eq!(
            message.header("Message-ID"),
            Some(message_id(row.id, "shifan.example"))
        );
        assert_eq!(
            message.header("Reply-To").as_deref(),
            Some("help@shifan.example")
        );
        let text = message.part("text/plain").expect("a text part");
        assert!(
            text.contains(&format!("Your password reset code is {code}.")),
            "{text}"
        );
        assert!(
            text.contains("valid for 10 minutes") && text.ends_with(SITE),
            "{text}"
        );
        let html = message.part("text/html").expect("an HTML part");
        assert!(
            html.contains("lang=\"en\"") && html.contains(&code),
            "{html}"
        );

        let row = the_email(&db).await;
        assert_eq!(row.status, "sent");
        let log = tongban_store::notifications::deliveries_of(&db.conn, row.id)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].outcome, "sent");

        // Nothing is sent twice: the next round finds nothing due.
        assert_eq!(
            worker(&identity, smtp(&sink), 3600)
                .run_once()
                .await
                .unwrap(),
            0
        );
        assert_eq!(sink.messages().len(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn the_subject_and_body_follow_the_requesters_language() {
    for db in TestDb::all("email_localised").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        let code = queue_reset_code(&identity, Locale::Ug).await;
        worker(&identity, smtp(&sink), 0).run_once().await.unwrap();
        let message = &sink.wait_for(1).await[0];
        assert_eq!(
            message.header("Subject").as_deref(),
            Some("پارولنى قايتا بەلگىلەش دەلىللەش كودىڭىز")
        );
        let text = message.part("text/plain").unwrap();
        assert!(text.contains(&code) && text.contains("مىنۇت"), "{text}");
        let html = message.part("text/html").unwrap();
        assert!(html.contains("dir=\"rtl\"") && html.contains("lang=\"ug\""));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_with_back_off_and_logged() {
    for db in TestDb::all("email_transient").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        queue_reset_code(&identity, Locale::ZhCn).await;
        sink.refuse_next(Stage::Rcpt, "451 4.3.0 mailbox busy, try later");

        assert_eq!(
            worker(&identity, smtp(&sink), 0).run_once().await.unwrap(),
            0
        );
        let row = the_email(&db).await;
        assert_eq!(row.status, "pending");
        assert_eq!(row.attempts, 1);
        assert_eq!(row.next_attempt_at, t0() + Duration::seconds(30));
        let log = tongban_store::notifications::deliveries_of(&db.conn, row.id)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].outcome, "failed");
        assert!(log[0].detail.as_deref().unwrap().contains("451"), "{log:?}");

        // Not before the back-off has passed …
        assert_eq!(
            worker(&identity, smtp(&sink), 10).run_once().await.unwrap(),
            0
        );
        assert_eq!(sink.messages().len(), 0);
        // … and then exactly once.
        assert_eq!(
            worker(&identity, smtp(&sink), 31).run_once().await.unwrap(),
            1
        );
        assert_eq!(sink.wait_for(1).await.len(), 1);
        let row = the_email(&db).await;
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
        let log = tongban_store::notifications::deliveries_of(&db.conn, row.id)
            .await
            .unwrap();
        let outcomes: Vec<&str> = log.iter().map(|d| d.outcome.as_str()).collect();
        assert_eq!(outcomes, ["failed", "sent"]);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_permanent_refusal_is_recorded_and_not_retried() {
    for db in TestDb::all("email_permanent").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        queue_reset_code(&identity, Locale::ZhCn).await;
        sink.refuse_next(Stage::Rcpt, "550 5.1.1 no such mailbox");

        worker(&identity, smtp(&sink), 0).run_once().await.unwrap();
        let row = the_email(&db).await;
        assert_eq!(row.status, "failed");
        assert!(
            row.last_error.as_deref().unwrap().starts_with("permanent:"),
            "{:?}",
            row.last_error
        );
        for later in [60, 3600, 86_400] {
            worker(&identity, smtp(&sink), later)
                .run_once()
                .await
                .unwrap();
        }
        let row = the_email(&db).await;
        assert_eq!((row.status.as_str(), row.attempts), ("failed", 1));
        let log = tongban_store::notifications::deliveries_of(&db.conn, row.id)
            .await
            .unwrap();
        assert_eq!(log.len(), 1);
        assert!(sink.messages().is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_refusal_after_the_message_was_transferred_is_retried_too() {
    for db in TestDb::all("email_data_refused").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        queue_reset_code(&identity, Locale::ZhCn).await;
        sink.refuse_next(Stage::Data, "451 4.7.1 greylisted, come back later");
        worker(&identity, smtp(&sink), 0).run_once().await.unwrap();
        assert!(sink.messages().is_empty());
        assert_eq!(the_email(&db).await.status, "pending");
        worker(&identity, smtp(&sink), 60).run_once().await.unwrap();
        assert_eq!(sink.wait_for(1).await.len(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_claim_whose_worker_crashed_is_taken_again_after_the_lease_and_sent_once() {
    for db in TestDb::all("email_crash").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        queue_reset_code(&identity, Locale::ZhCn).await;
        // A worker claims the notification and dies before sending.
        let claimed = tongban_store::notifications::claim_due(
            &db.conn,
            t0(),
            t0() + Duration::seconds(60),
            50,
        )
        .await
        .unwrap();
        assert_eq!(claimed.len(), 1);

        // While the claim holds, no other worker touches it.
        assert_eq!(
            worker(&identity, smtp(&sink), 30).run_once().await.unwrap(),
            0
        );
        assert!(sink.messages().is_empty());
        // After the lease it is taken over and sent …
        assert_eq!(
            worker(&identity, smtp(&sink), 61).run_once().await.unwrap(),
            1
        );
        assert_eq!(sink.wait_for(1).await.len(), 1);
        // … and once delivered never again.
        for later in [120, 3600, 86_400] {
            assert_eq!(
                worker(&identity, smtp(&sink), later)
                    .run_once()
                    .await
                    .unwrap(),
                0
            );
        }
        assert_eq!(sink.messages().len(), 1);
        let row = the_email(&db).await;
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
        db.finish().await;
    }
}

/// The window SMTP leaves open: a worker that crashed after the relay accepted the message but
/// before recording it. The message is sent again after the lease, as the same message (same
/// Message-ID), which receiving systems that drop duplicates show once.
#[tokio::test]
async fn a_crash_after_the_relay_accepted_resends_the_same_message_id() {
    for db in TestDb::all("email_crash_after_accept").await {
        let identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        queue_reset_code(&identity, Locale::En).await;
        let claimed = tongban_store::notifications::claim_due(
            &db.conn,
            t0(),
            t0() + Duration::seconds(60),
            50,
        )
        .await
        .unwrap();
        let row = &claimed[0];
        // The crashed worker got as far as handing the message over.
        smtp(&sink)
            .send(&EmailMessage {
                to: tongban_domain::identity::EmailAddress::parse(DEMO_EMAIL).unwrap(),
                subject: "Your password reset code".into(),
                text: "…".into(),
                html: "<p>…</p>".into(),
                notification_id: row.id,
                account_id: row.account_id,
            })
            .await
            .unwrap();
        worker(&identity, smtp(&sink), 61).run_once().await.unwrap();
        let messages = sink.wait_for(2).await;
        assert_eq!(messages.len(), 2);
        assert_eq!(
            messages[0].header("Message-ID"),
            messages[1].header("Message-ID")
        );
        assert_eq!(
            messages[1].header("Message-ID"),
            Some(message_id(row.id, "shifan.example"))
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_limits_but_no_message() {
    for db in TestDb::all("email_unknown").await {
        let identity = identity(&db).await;
        let started = identity
            .start_password_reset_by_email(
                &at(0),
                "nobody@shifan.example",
                Locale::ZhCn,
                SITE,
                true,
            )
            .await
            .unwrap();
        assert!(started.demo_code.is_some());
        assert!(
            tongban_store::notifications::by_channel(&db.conn, "email")
                .await
                .unwrap()
                .is_empty()
        );
        // The same throttling as for a known address.
        for address in ["nobody@shifan.example", DEMO_EMAIL] {
            if address == DEMO_EMAIL {
                identity
                    .start_password_reset_by_email(&at(0), address, Locale::ZhCn, SITE, true)
                    .await
                    .unwrap();
            }
            let again = identity
                .start_password_reset_by_email(&at(10), address, Locale::ZhCn, SITE, true)
                .await;
            assert!(
                matches!(
                    again,
                    Err(RegistrationError::TooSoon {
                        retry_after_secs: 50
                    })
                ),
                "{address}: {again:?}"
            );
        }
        let wrong = identity
            .start_password_reset_by_email(&at(0), "not an address", Locale::ZhCn, SITE, true)
            .await;
        assert!(matches!(wrong, Err(RegistrationError::InvalidEmail)));
        db.finish().await;
    }
}

/// Five wrong passwords make the platform warn the account's owner (through `notify_owner`).
async fn lock_out(identity: &Identity, mobile: &str) {
    for _ in 0..5 {
        let _ = identity
            .login(&at(0), mobile, "not the password", &Origin::default())
            .await;
    }
}

#[tokio::test]
async fn owners_are_told_by_e_mail_too_unless_e_mail_is_off() {
    for db in TestDb::all("email_notify_owner").await {
        let mut identity = identity(&db).await;
        let sink = SmtpSink::start().await;
        lock_out(&identity, "13800000001").await;
        let emails = tongban_store::notifications::by_channel(&db.conn, "email")
            .await
            .unwrap();
        assert_eq!(emails.len(), 1);
        assert_eq!(emails[0].template, "lockout");
        worker(&identity, smtp(&sink), 0).run_once().await.unwrap();
        let message = &sink.wait_for(1).await[0];
        assert_eq!(message.rcpt_to, vec![DEMO_EMAIL.to_owned()]);
        assert_eq!(
            message.header("Subject").as_deref(),
            Some("您的账号因多次密码错误被暂时锁定")
        );

        // Without an e-mail channel: inbox and SMS only, and no reset by e-mail.
        identity.settings.email_channel = false;
        lock_out(&identity, "13800000004").await;
        assert_eq!(
            tongban_store::notifications::by_channel(&db.conn, "email")
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            tongban_store::notifications::by_channel(&db.conn, "sms")
                .await
                .unwrap()
                .len(),
            2
        );
        let refused = identity
            .start_password_reset_by_email(&at(0), "lisi@shifan.example", Locale::ZhCn, SITE, true)
            .await;
        assert!(matches!(refused, Err(RegistrationError::EmailUnavailable)));
        db.finish().await;
    }
}
