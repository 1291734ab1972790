//! Registration, the notification outbox and its worker, on SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};

use chrono::{Duration, TimeZone, Utc};
use tongban_domain::Locale;
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::registration::{
    DemoRealNameVerifier, RegistrationDetails, RegistrationError,
};
use tongban_services::identity::{Identity, IdentitySettings, Origin};
use tongban_services::notifications::{SmsGateway, SmsMessage, Templates, Worker};
use tongban_store::testing::TestDb;

const SITE: &str = "示范市政务服务网";
const PASSWORD: &str = "a long new passphrase";

fn at(minutes: i64) -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap() + Duration::minutes(minutes))
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

/// A gateway that records what it was asked to send, and fails the first `failures` times.
#[derive(Default)]
struct RecordingSms {
    sent: Mutex<Vec<SmsMessage>>,
    failures: Mutex<u32>,
}

impl SmsGateway for RecordingSms {
    fn send<'a>(
        &'a self,
        message: &'a SmsMessage,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let mut failures = self.failures.lock().unwrap();
            if *failures > 0 {
                *failures -= 1;
                return Err("gateway timed out".into());
            }
            self.sent.lock().unwrap().push(message.clone());
            Ok(())
        })
    }
}

fn worker(identity: &Identity, sms: Arc<RecordingSms>, minutes: i64) -> Worker {
    Worker {
        db: identity.db.clone(),
        cipher: identity.cipher.clone(),
        templates: Arc::new(Templates::load().unwrap()),
        sms,
        email: None,
        clock: Arc::new(at(minutes)),
    }
}

fn details<'a>(flow: uuid::Uuid, code: &'a str, id: &'a str) -> RegistrationDetails<'a> {
    RegistrationDetails {
        flow,
        code,
        name: "赵六",
        document_kind: tongban_domain::identity::DocumentKind::ResidentId,
        document_number: id,
        passport_country: "",
        password: PASSWORD,
        locale: Locale::ZhCn,
        site: SITE,
    }
}

const NEW_ID: &str = "11010519491231002X";

#[tokio::test]
async fn a_person_registers_with_an_sms_code_and_is_welcomed() {
    for db in TestDb::all("registration").await {
        let identity = identity(&db).await;
        let started = identity
            .start_registration(&at(0), "139 0000 0009", true, Locale::ZhCn, SITE, true)
            .await
            .unwrap();
        let code = started.demo_code.clone().expect("demo mode shows the code");

        // The code leaves through the outbox, exactly once.
        let sms = Arc::new(RecordingSms::default());
        assert_eq!(
            worker(&identity, sms.clone(), 0).run_once().await.unwrap(),
            1
        );
        assert_eq!(
            worker(&identity, sms.clone(), 0).run_once().await.unwrap(),
            0
        );
        let sent = sms.sent.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].to.as_str(), "13900000009");
        assert!(
            sent[0].text.contains(&code) && sent[0].text.contains(SITE),
            "{}",
            sent[0].text
        );

        let session = identity
            .complete_registration(
                &at(1),
                &details(started.flow, &code, NEW_ID),
                &Origin::default(),
            )
            .await
            .unwrap();
        let user = identity
            .current_user(&at(1), &session.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.display_name, "赵六");
        let profile = identity.profile(&at(1), &user).await.unwrap();
        assert_eq!(profile.masked_id.as_deref(), Some("110***********002X"));
        let inbox = tongban_store::notifications::inbox(&db.conn, user.account_id, 10)
            .await
            .unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].template, "welcome");
        assert!(
            identity
                .login(&at(2), "13900000009", PASSWORD, &Origin::default())
                .await
                .is_ok()
        );

        // The code cannot be used twice.
        let again = identity
            .complete_registration(
                &at(2),
                &details(started.flow, &code, "440524188001010014"),
                &Origin::default(),
            )
            .await;
        assert!(matches!(again, Err(RegistrationError::CodeExpired)));
        db.finish().await;
    }
}

#[tokio::test]
async fn codes_are_rate_limited_and_guesses_are_counted() {
    for db in TestDb::all("registration codes").await {
        let identity = identity(&db).await;
        let refused = identity
            .start_registration(&at(0), "13900000008", false, Locale::En, SITE, true)
            .await;
        assert!(matches!(
            refused,
            Err(RegistrationError::PrivacyNotAccepted)
        ));
        assert!(matches!(
            identity
                .start_registration(&at(0), "12345", true, Locale::En, SITE, true)
                .await,
            Err(RegistrationError::InvalidMobile)
        ));
        let first = identity
            .start_registration(&at(0), "13900000008", true, Locale::En, SITE, true)
            .await
            .unwrap();
        assert!(matches!(
            identity
                .start_registration(&at(0), "13900000008", true, Locale::En, SITE, true)
                .await,
            Err(RegistrationError::TooSoon {
                retry_after_secs: 60
            })
        ));
        for minute in 2..6 {
            identity
                .start_registration(&at(minute), "13900000008", true, Locale::En, SITE, true)
                .await
                .unwrap();
        }
        assert!(matches!(
            identity
                .start_registration(&at(7), "13900000008", true, Locale::En, SITE, true)
                .await,
            Err(RegistrationError::TooManyCodes)
        ));

        for _ in 0..5 {
            let wrong = identity
                .complete_registration(
                    &at(1),
                    &details(first.flow, "000000", NEW_ID),
                    &Origin::default(),
                )
                .await;
            assert!(
                matches!(wrong, Err(RegistrationError::CodeWrong))
                    || first.demo_code.as_deref() == Some("000000")
            );
        }
        let code = first.demo_code.unwrap();
        let late = identity
            .complete_registration(
                &at(1),
                &details(first.flow, &code, NEW_ID),
                &Origin::default(),
            )
            .await;
        assert!(
            matches!(late, Err(RegistrationError::CodeExpired)),
            "five wrong guesses use the code up"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_id_number_with_an_account_goes_to_a_hall_and_its_owner_is_told() {
    for db in TestDb::all("id dispute").await {
        let identity = identity(&db).await;
        let started = identity
            .start_registration(&at(0), "13900000007", true, Locale::ZhCn, SITE, true)
            .await
            .unwrap();
        let code = started.demo_code.unwrap();
        // 990102199003071233 belongs to the demo account 张三 (13800000001).
        let result = identity
            .complete_registration(
                &at(1),
                &details(started.flow, &code, "990102199003071233"),
                &Origin::default(),
            )
            .await;
        assert!(matches!(
            result,
            Err(RegistrationError::NeedsHallVerification)
        ));
        let message = result.unwrap_err().to_string();
        assert!(
            !message.contains("张") && !message.contains("1380"),
            "nobody is told whose it is"
        );

        let owner = identity
            .login(
                &at(2),
                "13800000001",
                "Demo-Tongban-2026",
                &Origin::default(),
            )
            .await
            .unwrap();
        let inbox = tongban_store::notifications::inbox(&db.conn, owner.account_id, 10)
            .await
            .unwrap();
        assert!(inbox.iter().any(|m| m.template == "id-dispute"));
        let sms = Arc::new(RecordingSms::default());
        worker(&identity, sms.clone(), 2).run_once().await.unwrap();
        let sent = sms.sent.lock().unwrap().clone();
        assert!(
            sent.iter()
                .any(|m| m.to.as_str() == "13800000001" && m.account_id == Some(owner.account_id))
        );

        // A mobile number that already has an account is told to sign in.
        let started = identity
            .start_registration(&at(3), "13800000002", true, Locale::ZhCn, SITE, true)
            .await
            .unwrap();
        let taken = identity
            .complete_registration(
                &at(4),
                &details(started.flow, &started.demo_code.unwrap(), NEW_ID),
                &Origin::default(),
            )
            .await;
        assert!(matches!(taken, Err(RegistrationError::MobileTaken)));
        db.finish().await;
    }
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_back_off_and_logged() {
    for db in TestDb::all("notification retries").await {
        let identity = identity(&db).await;
        identity
            .start_registration(&at(0), "13900000006", true, Locale::En, SITE, false)
            .await
            .unwrap();
        let sms = Arc::new(RecordingSms {
            failures: Mutex::new(2),
            ..Default::default()
        });
        assert_eq!(
            worker(&identity, sms.clone(), 0).run_once().await.unwrap(),
            0,
            "first attempt fails"
        );
        assert_eq!(
            worker(&identity, sms.clone(), 0).run_once().await.unwrap(),
            0,
            "not due again yet"
        );
        assert_eq!(
            worker(&identity, sms.clone(), 1).run_once().await.unwrap(),
            0,
            "second attempt fails"
        );
        assert_eq!(
            worker(&identity, sms.clone(), 3).run_once().await.unwrap(),
            1,
            "third succeeds"
        );
        let rows = tongban_store::notifications::by_channel(&db.conn, "sms")
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "sent");
        let log = tongban_store::notifications::deliveries_of(&db.conn, rows[0].id)
            .await
            .unwrap();
        let outcomes: Vec<&str> = log.iter().map(|d| d.outcome.as_str()).collect();
        assert_eq!(outcomes, ["failed", "failed", "sent"]);
        assert_eq!(sms.sent.lock().unwrap().len(), 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_claim_abandoned_by_a_crashed_worker_is_taken_again() {
    for db in TestDb::all("abandoned claims").await {
        let identity = identity(&db).await;
        identity
            .start_registration(&at(0), "13900000005", true, Locale::En, SITE, false)
            .await
            .unwrap();
        // A worker claims the message and dies before delivering it.
        let claimed = tongban_store::notifications::claim_due(&db.conn, at(0).0, at(1).0, 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let sms = Arc::new(RecordingSms::default());
        assert_eq!(
            worker(&identity, sms.clone(), 0).run_once().await.unwrap(),
            0,
            "still leased"
        );
        assert_eq!(
            worker(&identity, sms.clone(), 2).run_once().await.unwrap(),
            1,
            "lease expired: taken again"
        );
        assert_eq!(sms.sent.lock().unwrap().len(), 1);
        assert_eq!(
            sms.sent.lock().unwrap()[0].idempotency_key,
            claimed[0].id,
            "same key for the gateway"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn people_without_a_resident_id_register_with_a_passport_or_travel_permit() {
    use tongban_domain::identity::DocumentKind;
    for db in TestDb::all("registration documents").await {
        let identity = identity(&db).await;
        let register = |mobile: &'static str,
                        kind: DocumentKind,
                        number: &'static str,
                        country: &'static str,
                        minute: i64| {
            let identity = identity.clone();
            async move {
                let started = identity
                    .start_registration(&at(minute), mobile, true, Locale::En, SITE, true)
                    .await
                    .unwrap();
                let code = started.demo_code.clone().unwrap();
                identity
                    .complete_registration(
                        &at(minute + 1),
                        &RegistrationDetails {
                            document_kind: kind,
                            passport_country: country,
                            ..details(started.flow, &code, number)
                        },
                        &Origin::default(),
                    )
                    .await
            }
        };
        // A foreign national with a passport; shown masked, never in full.
        let session = register("13900000011", DocumentKind::Passport, "123456789", "gbr", 0)
            .await
            .expect("a passport holder registers");
        let user = identity
            .current_user(&at(1), &session.token)
            .await
            .unwrap()
            .unwrap();
        let profile = identity.profile(&at(1), &user).await.unwrap();
        let masked = profile.masked_id.expect("the passport is on the profile");
        assert_eq!(masked, "1******89");

        // A Hong Kong resident with a mainland travel permit.
        register(
            "13900000012",
            DocumentKind::HongKongMacaoPermit,
            "H12345678",
            "",
            10,
        )
        .await
        .expect("a permit holder registers");

        // The same passport again goes to a hall, like a resident ID number would.
        let twice = register(
            "13900000013",
            DocumentKind::Passport,
            "123456789",
            "GBR",
            20,
        )
        .await;
        assert!(matches!(
            twice,
            Err(RegistrationError::NeedsHallVerification)
        ));
        // Bad shapes get their own errors.
        let country = register("13900000014", DocumentKind::Passport, "123456789", "XX", 30).await;
        assert!(matches!(country, Err(RegistrationError::InvalidCountry(_))));
        let permit = register(
            "13900000015",
            DocumentKind::TaiwanPermit,
            "H12345678",
            "",
            40,
        )
        .await;
        assert!(matches!(permit, Err(RegistrationError::InvalidDocument(_))));
        db.finish().await;
    }
}
