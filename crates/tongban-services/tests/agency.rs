//! Enterprises, mandates and acting for others at the use-case level, on SQLite and
//! PostgreSQL: the demo seed is idempotent, a session's switch ends when its mandate expires,
//! and audit records built from a user acting for someone name that principal.

use std::sync::Arc;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::agency::{
    AgencyError, MandateError, MandateInput, PrincipalKind, Scope,
};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::{CurrentUser, Identity, IdentitySettings, Origin};
use tongban_store::entities::{enterprise, mandate};
use tongban_store::sea_orm::{EntityTrait, PaginatorTrait};
use tongban_store::testing::TestDb;

const PASSWORD: &str = "Demo-Tongban-2026";

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap())
}

fn origin() -> Origin {
    Origin {
        ip: Some("192.0.2.9".into()),
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

async fn sign_in(identity: &Identity, clock: &FixedClock, who: &str) -> (String, CurrentUser) {
    let session = identity
        .login(clock, who, PASSWORD, &origin())
        .await
        .unwrap();
    let user = identity
        .current_user(clock, &session.token)
        .await
        .unwrap()
        .unwrap();
    (session.token, user)
}

#[tokio::test]
async fn the_demo_enterprise_and_mandates_are_seeded_once() {
    for db in TestDb::all("agency seed").await {
        let identity = identity(&db).await;
        identity.seed_demo_accounts(&clock()).await.unwrap();
        identity
            .seed_demo_accounts(&FixedClock(clock().0 + Duration::days(400)))
            .await
            .unwrap();
        assert_eq!(enterprise::Entity::find().count(&db.conn).await.unwrap(), 1);
        assert_eq!(mandate::Entity::find().count(&db.conn).await.unwrap(), 2);
        let code = enterprise::Entity::find()
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap()
            .credit_code;
        assert!(tongban_domain::identity::CreditCode::parse(&code).is_ok());
    }
}

#[tokio::test]
async fn a_switch_lasts_only_as_long_as_its_mandate() {
    for db in TestDb::all("agency expiry").await {
        let identity = identity(&db).await;
        let now = clock();
        let (_, elder) = sign_in(&identity, &now, "13800000003").await;
        let (_, relative) = sign_in(&identity, &now, "13800000001").await;

        // 王𠀀 gives 张三 a second, short mandate after withdrawing the demo one.
        let demo = identity
            .agents_overview(&now, &elder)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(demo.live.len(), 1);
        identity
            .revoke_mandate(
                &now,
                &elder,
                PrincipalKind::Person,
                elder.account_id,
                demo.live[0].id,
                &origin(),
            )
            .await
            .unwrap();
        let again = identity
            .revoke_mandate(
                &now,
                &elder,
                PrincipalKind::Person,
                elder.account_id,
                demo.live[0].id,
                &origin(),
            )
            .await;
        assert!(matches!(again, Err(AgencyError::NotFound)), "revoked once");
        let input = MandateInput {
            principal: PrincipalKind::Person,
            principal_id: elder.account_id,
            agent_mobile: "+86 138-0000-0001",
            agent_name: "张三",
            scopes: vec![Scope::View, Scope::Apply, Scope::View],
            expires_on: NaiveDate::from_ymd_opt(2026, 11, 27),
        };
        let granted = identity
            .grant_mandate(&now, &elder, &input, &origin())
            .await
            .unwrap();
        assert_eq!(granted.scopes, serde_json::json!(["apply", "view"]));
        assert!(matches!(
            identity
                .grant_mandate(&now, &elder, &input, &origin())
                .await,
            Err(MandateError::Duplicate)
        ));

        let session = identity
            .switch_acting(
                &now,
                &relative,
                Some((PrincipalKind::Person, elder.account_id)),
                &origin(),
            )
            .await
            .unwrap();
        assert_eq!(
            session.expires_at,
            now.0 + Duration::hours(12),
            "switching keeps the sign-in's absolute expiry"
        );
        let acting = identity
            .current_user(&now, &session.token)
            .await
            .unwrap()
            .unwrap();
        let principal = acting.acting_for.clone().expect("acting for 王𠀀");
        assert_eq!(principal.name, "王𠀀");
        assert!(principal.allows(Scope::Apply) && !principal.allows(Scope::Pay));

        // The helper every feature uses names the principal.
        let record = acting.audit_record(now.0, "cases.submit", "success", &origin());
        assert_eq!(record.actor_id, Some(relative.account_id));
        assert_eq!(record.on_behalf_of, Some(elder.account_id));
        assert_eq!(
            relative
                .audit_record(now.0, "cases.submit", "success", &origin())
                .on_behalf_of,
            None
        );

        // Midnight after 2026-11-27 in Beijing (16:00 UTC) the mandate ends, and with it the
        // switch, while the session itself lives on.
        let before_end = FixedClock(Utc.with_ymd_and_hms(2026, 11, 27, 15, 59, 0).unwrap());
        let after_end = FixedClock(Utc.with_ymd_and_hms(2026, 11, 27, 16, 0, 0).unwrap());
        let (_, relative) = sign_in(&identity, &before_end, "13800000001").await;
        let fresh_session = identity
            .switch_acting(
                &before_end,
                &relative,
                Some((PrincipalKind::Person, elder.account_id)),
                &origin(),
            )
            .await
            .unwrap();
        assert!(
            identity
                .current_user(&before_end, &fresh_session.token)
                .await
                .unwrap()
                .unwrap()
                .acting_for
                .is_some()
        );
        let lapsed = identity
            .current_user(&after_end, &fresh_session.token)
            .await
            .unwrap()
            .expect("still signed in");
        assert_eq!(lapsed.acting_for, None);

        // The lapsed mandate does not block a new one for the same pair.
        let renewed = MandateInput {
            expires_on: NaiveDate::from_ymd_opt(2027, 1, 31),
            ..input
        };
        identity
            .grant_mandate(&after_end, &elder, &renewed, &origin())
            .await
            .unwrap();
        let overview = identity
            .agents_overview(&after_end, &elder)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(overview.live.len(), 1);
        assert_eq!(overview.history.len(), 2, "one revoked, one expired");
    }
}

#[tokio::test]
async fn the_database_keeps_one_live_mandate_per_principal_and_agent() {
    for db in TestDb::all("agency live mandate index").await {
        // Seeds the demo accounts and their mandates.
        identity(&db).await;
        let existing = mandate::Entity::find()
            .one(&db.conn)
            .await
            .unwrap()
            .expect("demo mandate");
        // A second live row for the same pair, as a racing request would write it.
        let twin = tongban_store::agency::MandateRow {
            id: uuid::Uuid::now_v7(),
            ..existing.clone()
        };
        assert!(matches!(
            tongban_store::agency::insert_mandate(&db.conn, twin.clone()).await,
            Err(tongban_store::StoreError::Duplicate(_))
        ));
        // Once the first is revoked, the pair may be joined again.
        assert!(
            tongban_store::agency::revoke_mandate(
                &db.conn,
                existing.id,
                &existing.principal_kind,
                existing.principal_id,
                existing.created_by,
                clock().0,
            )
            .await
            .unwrap()
        );
        tongban_store::agency::insert_mandate(&db.conn, twin)
            .await
            .unwrap();
    }
}
