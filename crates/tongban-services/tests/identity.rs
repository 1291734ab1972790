//! Sign-in, sessions, throttling, masking and the audit chain, on SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::{Identity, IdentitySettings, LoginError, Origin};
use tongban_store::testing::TestDb;

const PASSWORD: &str = "Demo-Tongban-2026";

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap())
}

fn later(minutes: i64) -> FixedClock {
    FixedClock(clock().0 + Duration::minutes(minutes))
}

fn origin() -> Origin {
    Origin {
        ip: Some("192.0.2.7".into()),
        user_agent: Some("test".into()),
    }
}

async fn identity(db: &TestDb) -> Identity {
    tongban_services::catalog::seed_demo(&db.conn, &clock())
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
        verifier: Arc::new(tongban_services::identity::registration::DemoRealNameVerifier),
    };
    identity.seed_demo_accounts(&clock()).await.unwrap();
    identity
}

#[tokio::test]
async fn people_sign_in_with_mobile_or_id_number_and_staff_with_a_user_name() {
    for db in TestDb::all("sign-in").await {
        let identity = identity(&db).await;
        for who in [
            "13800000001",
            "+86 138-0000-0001",
            "990102199003071233",
            "ga.clerk",
            "GA.Clerk",
        ] {
            let session = identity.login(&clock(), who, PASSWORD, &origin()).await;
            assert!(session.is_ok(), "{who} on {:?}: {session:?}", db.backend);
        }
        let session = identity
            .login(&clock(), "13800000001", PASSWORD, &origin())
            .await
            .unwrap();
        let user = identity
            .current_user(&clock(), &session.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.display_name, "张三");
        assert!(user.roles.is_empty());

        let profile = identity.profile(&clock(), &user).await.unwrap();
        assert_eq!(profile.masked_id.as_deref(), Some("990***********1233"));
        assert_eq!(profile.masked_mobile.as_deref(), Some("138****0001"));
        db.finish().await;
    }
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_look_the_same() {
    for db in TestDb::all("sign-in failures").await {
        let identity = identity(&db).await;
        let wrong = identity
            .login(&clock(), "13800000001", "not the password", &origin())
            .await;
        let unknown = identity
            .login(&clock(), "13899999999", PASSWORD, &origin())
            .await;
        assert!(matches!(wrong, Err(LoginError::Invalid)));
        assert!(matches!(unknown, Err(LoginError::Invalid)));
        assert_eq!(
            wrong.unwrap_err().to_string(),
            unknown.unwrap_err().to_string()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn repeated_failures_back_off_before_any_hashing() {
    for db in TestDb::all("throttling").await {
        let identity = identity(&db).await;
        for _ in 0..5 {
            let result = identity
                .login(&clock(), "sj.reviewer", "guess", &origin())
                .await;
            assert!(matches!(result, Err(LoginError::Invalid)));
        }
        // Even the right password waits now.
        let blocked = identity
            .login(&clock(), "sj.reviewer", PASSWORD, &origin())
            .await;
        assert!(
            matches!(blocked, Err(LoginError::Throttled { retry_after_secs }) if retry_after_secs > 0 && retry_after_secs <= 60)
        );
        // Another account from the same address is not affected yet.
        assert!(
            identity
                .login(&clock(), "sj.approver", PASSWORD, &origin())
                .await
                .is_ok()
        );
        // After the back-off the right password works and clears the count.
        assert!(
            identity
                .login(&later(2), "sj.reviewer", PASSWORD, &origin())
                .await
                .is_ok()
        );
        assert!(matches!(
            identity
                .login(&later(2), "sj.reviewer", "guess", &origin())
                .await,
            Err(LoginError::Invalid)
        ));
        db.finish().await;
    }
}

#[tokio::test]
async fn sessions_end_when_idle_when_old_and_on_sign_out() {
    for db in TestDb::all("sessions").await {
        let identity = identity(&db).await;
        let a = identity
            .login(&clock(), "supervisor", PASSWORD, &origin())
            .await
            .unwrap();
        assert!(
            identity
                .current_user(&later(29), &a.token)
                .await
                .unwrap()
                .is_some()
        );
        // Used at 29 minutes, so still alive 29 minutes later; idle for 31 minutes ends it.
        assert!(
            identity
                .current_user(&later(58), &a.token)
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            identity
                .current_user(&later(58 + 31), &a.token)
                .await
                .unwrap()
                .is_none()
        );

        let b = identity
            .login(&clock(), "supervisor", PASSWORD, &origin())
            .await
            .unwrap();
        let user = identity
            .current_user(&clock(), &b.token)
            .await
            .unwrap()
            .unwrap();
        identity.logout(&clock(), &user, &origin()).await.unwrap();
        assert!(
            identity
                .current_user(&clock(), &b.token)
                .await
                .unwrap()
                .is_none()
        );

        let c = identity
            .login(&clock(), "supervisor", PASSWORD, &origin())
            .await
            .unwrap();
        let d = identity
            .login(&clock(), "supervisor", PASSWORD, &origin())
            .await
            .unwrap();
        let user = identity
            .current_user(&clock(), &c.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            identity
                .logout_everywhere(&clock(), &user, &origin())
                .await
                .unwrap(),
            2
        );
        assert!(
            identity
                .current_user(&clock(), &d.token)
                .await
                .unwrap()
                .is_none()
        );

        assert!(
            identity
                .current_user(&clock(), "forged-token")
                .await
                .unwrap()
                .is_none()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn staff_roles_are_scoped_and_demo_seeding_is_idempotent() {
    for db in TestDb::all("roles").await {
        let identity = identity(&db).await;
        identity.seed_demo_accounts(&clock()).await.unwrap();
        let session = identity
            .login(&clock(), "sj.reviewer", PASSWORD, &origin())
            .await
            .unwrap();
        let user = identity
            .current_user(&clock(), &session.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.roles.len(), 1, "seeding twice grants nothing twice");
        assert_eq!(user.roles[0].role, tongban_domain::access::Role::Reviewer);
        assert!(user.roles[0].department_id.is_some());

        let session = identity
            .login(&clock(), "supervisor", PASSWORD, &origin())
            .await
            .unwrap();
        let user = identity
            .current_user(&clock(), &session.token)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            user.roles[0].department_id, None,
            "supervisors span the region"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn identifiers_are_never_stored_in_clear() {
    let db = TestDb::sqlite().await;
    identity(&db).await;
    use tongban_store::sea_orm::{ConnectionTrait, Statement};
    let rows = db
        .conn
        .query_all_raw(Statement::from_string(
            db.conn.get_database_backend(),
            "SELECT id_doc_ciphertext, id_doc_index, phone_ciphertext, phone_index FROM accounts WHERE kind = 'person'",
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        for column in [
            "id_doc_ciphertext",
            "id_doc_index",
            "phone_ciphertext",
            "phone_index",
        ] {
            let value: String = row.try_get("", column).unwrap();
            assert!(
                !value.contains("990102199003071233") && !value.contains("13800000001"),
                "{column}: {value}"
            );
        }
    }
}

#[tokio::test]
async fn every_sign_in_is_audited_in_an_intact_chain() {
    for db in TestDb::all("audit chain").await {
        let identity = identity(&db).await;
        identity
            .login(&clock(), "auditor", PASSWORD, &origin())
            .await
            .unwrap();
        identity
            .login(&clock(), "auditor", "wrong", &origin())
            .await
            .unwrap_err();
        let verified = tongban_store::audit::verify_chain(&db.conn).await.unwrap();
        assert_eq!(verified, Ok(2), "{:?}", db.backend);

        // Editing an entry breaks the chain where it was edited.
        use tongban_store::sea_orm::ConnectionTrait;
        db.conn
            .execute_unprepared("UPDATE audit_log SET outcome = 'success' WHERE seq = 2")
            .await
            .unwrap();
        assert_eq!(
            tongban_store::audit::verify_chain(&db.conn).await.unwrap(),
            Err(tongban_store::audit::ChainBreak::Altered { seq: 2 })
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn concurrent_audit_writers_never_fork_the_chain() {
    for db in TestDb::all("concurrent audit").await {
        let identity = identity(&db).await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let identity = identity.clone();
            tasks.push(tokio::spawn(async move {
                let who = if i % 2 == 0 {
                    "auditor"
                } else {
                    "nobody-at-all"
                };
                let _ = identity.login(&clock(), who, PASSWORD, &origin()).await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(
            tongban_store::audit::verify_chain(&db.conn).await.unwrap(),
            Ok(8)
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_owner_is_told_when_wrong_passwords_lock_their_account() {
    for db in TestDb::all("lock-out notice").await {
        let identity = identity(&db).await;
        for _ in 0..5 {
            let _ = identity
                .login(&clock(), "13800000001", "guess", &origin())
                .await;
        }
        let owner = identity
            .login(&later(2), "13800000001", PASSWORD, &origin())
            .await
            .unwrap();
        let inbox = tongban_store::notifications::inbox(&db.conn, owner.account_id, 10)
            .await
            .unwrap();
        assert_eq!(
            inbox.iter().filter(|m| m.template == "lockout").count(),
            1,
            "told once, not per attempt"
        );
        let sms = tongban_store::notifications::by_channel(&db.conn, "sms")
            .await
            .unwrap();
        assert_eq!(sms.len(), 1);
        assert_eq!(sms[0].account_id, Some(owner.account_id));
        assert_eq!(sms[0].params["site"], "通办");

        // Guessing at an unknown number notifies nobody.
        for _ in 0..5 {
            let _ = identity
                .login(&clock(), "13899999999", "guess", &origin())
                .await;
        }
        assert_eq!(
            tongban_store::notifications::by_channel(&db.conn, "sms")
                .await
                .unwrap()
                .len(),
            1
        );
        db.finish().await;
    }
}
