//! What the service tests share: the demo region seeded into a test database, with its demo
//! accounts, catalogue and case handling (certificates included), and its staff as signed in.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tongban_domain::clock::FixedClock;
use tongban_services::catalog::PortalCatalog;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex, FieldCipher};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::{CurrentUser, Identity, IdentitySettings, Origin};
use tongban_services::workflow::{CaseHandling, HandlingSettings};
use tongban_store::testing::TestDb;
use uuid::Uuid;

/// A Wednesday morning, Beijing time.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap()
}

pub fn clock() -> FixedClock {
    FixedClock(now())
}

pub struct World {
    pub db: TestDb,
    pub identity: Identity,
    pub catalog: PortalCatalog,
    pub handling: CaseHandling,
    pub cipher: Arc<dyn FieldCipher>,
    pub applicant: Uuid,
}

pub async fn world(db: TestDb) -> World {
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
    let catalog = tongban_services::catalog::load_portal_catalog(&db.conn, "990100", &clock())
        .await
        .unwrap();
    let cipher: Arc<dyn FieldCipher> = identity.cipher.clone();
    let handling = CaseHandling::new(
        db.conn.clone(),
        cipher.clone(),
        Arc::new(tongban_domain::calendar::CalendarSet::embedded().clone()),
        HandlingSettings::default(),
        Arc::new(tongban_services::certificates::Certificates::new(
            db.conn.clone(),
            cipher.clone(),
            tongban_services::certificates::CertificateSettings::new("http://127.0.0.1:8080"),
        )),
    );
    let applicant = identity.demo_person("13800000001").await.unwrap().unwrap();
    let db_for_world = db;
    World {
        db: db_for_world,
        identity,
        catalog,
        handling,
        cipher,
        applicant,
    }
}

pub async fn staff(w: &World, username: &str) -> CurrentUser {
    tongban_services::identity::staff_session(&w.db.conn, username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo staff {username}"))
}

pub fn origin() -> Origin {
    Origin {
        ip: Some("127.0.0.1".into()),
        user_agent: None,
    }
}
