//! `tongban demo token`'s use case: an access token of the demo client for a demo person,
//! accepted by the bearer check the applications API uses, audited, and never issued for
//! anyone outside demo/accounts.yaml or for staff. On SQLite and PostgreSQL.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::{Identity, IdentitySettings};
use tongban_services::oidc::{DemoTokenError, Oidc, OidcSettings};
use tongban_store::identity::LoginKey;
use tongban_store::testing::TestDb;

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap())
}

async fn setup(db: &TestDb) -> (Identity, Oidc) {
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
    let oidc = Oidc::new(
        db.conn.clone(),
        Arc::new(AesGcmKeyring::new([9u8; 32], &[])),
        &[5u8; 32],
        OidcSettings::new("http://127.0.0.1:8080"),
    );
    (identity, oidc)
}

#[tokio::test]
async fn a_demo_person_gets_a_token_the_api_accepts_and_the_issuance_is_audited() {
    for db in TestDb::all("demo-token").await {
        let (identity, oidc) = setup(&db).await;
        // Before the demo client exists there is nothing to issue for.
        let zhang = identity.demo_person("13800000001").await.unwrap().unwrap();
        assert!(matches!(
            oidc.issue_demo_token(&clock(), zhang, Duration::minutes(60))
                .await,
            Err(DemoTokenError::NoDemoClient)
        ));
        oidc.seed_demo_client(&clock(), "990100").await.unwrap();

        // The mobile number and the resident ID number find the same person.
        assert_eq!(
            identity.demo_person("990102199003071233").await.unwrap(),
            Some(zhang)
        );
        let token = oidc
            .issue_demo_token(&clock(), zhang, Duration::minutes(60))
            .await
            .unwrap();
        assert_eq!(token.expires_at, clock().0 + Duration::minutes(60));
        let bearer = oidc
            .bearer(&clock(), &token.access_token)
            .await
            .unwrap()
            .expect("the token is live");
        assert_eq!(bearer.account_id, Some(zhang));
        assert_eq!(bearer.client_id, "demo-department-portal");
        // It ends when it says.
        let after = FixedClock(clock().0 + Duration::minutes(61));
        assert!(
            oidc.bearer(&after, &token.access_token)
                .await
                .unwrap()
                .is_none()
        );

        let entries = tongban_store::audit::recent_for_actor(&db.conn, zhang, 10)
            .await
            .unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.action == "oidc.demo-token" && e.outcome == "success"),
            "{entries:?}"
        );
        assert!(
            tongban_store::audit::verify_chain(&db.conn)
                .await
                .unwrap()
                .is_ok()
        );
    }
}

#[tokio::test]
async fn no_token_for_people_outside_the_demo_file_for_staff_or_for_long() {
    for db in TestDb::all("demo-token-refused").await {
        let (identity, oidc) = setup(&db).await;
        oidc.seed_demo_client(&clock(), "990100").await.unwrap();
        // A well-formed number that is not a demo person, and a staff user name.
        assert_eq!(identity.demo_person("13912345678").await.unwrap(), None);
        assert_eq!(identity.demo_person("sj.reviewer").await.unwrap(), None);

        let staff = tongban_store::identity::find_by_login(
            &db.conn,
            &LoginKey::Username("sj.reviewer".into()),
        )
        .await
        .unwrap()
        .unwrap();
        assert!(matches!(
            oidc.issue_demo_token(&clock(), staff.id, Duration::minutes(60))
                .await,
            Err(DemoTokenError::NotAPerson)
        ));

        let zhang = identity.demo_person("13800000001").await.unwrap().unwrap();
        for ttl in [Duration::zero(), Duration::days(2)] {
            assert!(matches!(
                oidc.issue_demo_token(&clock(), zhang, ttl).await,
                Err(DemoTokenError::Lifetime)
            ));
        }
    }
}
