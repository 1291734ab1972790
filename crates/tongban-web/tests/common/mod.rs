//! Test builders: a demo-seeded app on a given database, and request helpers.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use chrono::NaiveDate;
use chrono::TimeZone;
use http_body_util::BodyExt;
use tongban_domain::clock::FixedClock;
use tongban_services::crypto::{AesGcmKeyring, BlindIndex};
use tongban_services::identity::password::{Argon2Settings, Passwords};
use tongban_services::identity::{Identity, IdentitySettings};
use tongban_store::cases::{BatchOutcome, Channel, NewCase};
use tongban_store::testing::TestDb;
use tongban_web::{AppState, Mode, WebSettings};
use tower::ServiceExt;
use uuid::Uuid;

pub mod browser;
pub mod pdf;

pub const DEMO_REGION: &str = "990100";
pub const MAX_BODY: usize = 64 * 1024;
/// The demo citizen's mobile number, who files the cases of [`file_cases`].
pub const DEMO_PERSON: &str = "13800000001";

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(
        chrono::Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap(),
    ))
}

pub fn settings(mode: Mode) -> WebSettings {
    WebSettings {
        mode,
        region: DEMO_REGION.to_owned(),
        secure_cookies: false,
        trust_proxy: false,
        max_body_bytes: MAX_BODY,
        public_url: "http://127.0.0.1:8080".to_owned(),
        search_dir: None,
        files_dir: None,
        applications: Default::default(),
    }
}

pub const SECRET: [u8; 32] = [42u8; 32];
pub const DEMO_PASSWORD: &str = "Demo-Tongban-2026";

/// The identity feature over `db`, with cheap password hashing for tests.
pub fn identity(db: &TestDb) -> Identity {
    Identity {
        db: db.conn.clone(),
        cipher: Arc::new(AesGcmKeyring::new([7u8; 32], &[])),
        index: BlindIndex::derive(&SECRET),
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
    }
}

/// The app over `db` with the demo region seeded (and its accounts, in demo mode).
pub async fn demo_state(db: &TestDb, mode: Mode) -> AppState {
    let clock = clock();
    tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
        .await
        .expect("seed demo");
    tongban_services::search_terms::seed_demo_synonyms(&db.conn, clock.as_ref())
        .await
        .expect("seed demo synonyms");
    let identity = identity(db);
    if mode == Mode::Demo {
        identity
            .seed_demo_accounts(clock.as_ref())
            .await
            .expect("demo accounts");
    }
    AppState::load(db.conn.clone(), settings(mode), clock, identity, SECRET)
        .await
        .expect("load state")
}

pub async fn demo_app(db: &TestDb) -> Router {
    tongban_web::app(demo_state(db, Mode::Demo).await)
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("utf-8 body")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response: Response<Body> = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    send(app, request.body(Body::empty()).unwrap()).await
}

/// HTML-escapes text the way askama does, so tests can look for content in pages.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&#38;"),
            '<' => out.push_str("&#60;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A case filed by [`file_cases`].
pub struct Filed {
    pub id: Uuid,
    pub tracking_number: String,
}

/// Files `count` cases of `service` for the demo person as the submission path does: sealed
/// (empty) answers and the workflow's starting state.
pub async fn file_cases(state: &AppState, db: &TestDb, service: &str, count: usize) -> Vec<Filed> {
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let published = catalog.service(service).expect("demo service");
    let applicant = state
        .identity
        .demo_person(DEMO_PERSON)
        .await
        .unwrap()
        .expect("demo person");
    let sealed = state
        .identity
        .cipher
        .encrypt(
            tongban_services::applications::CASE_ANSWERS_FIELD,
            &serde_json::to_string(&tongban_services::catalog::demo_sole_trader_answers()).unwrap(),
        )
        .unwrap();
    let now = state.clock.now();
    let batch: Vec<NewCase> = (0..count)
        .map(|i| NewCase {
            region_id: catalog.region_id,
            tracking_prefix: "SF".into(),
            local_date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            service_code: service.into(),
            service_name: published
                .service
                .name
                .get(tongban_domain::Locale::ZhCn)
                .into(),
            service_version: published.version,
            department_id: catalog
                .department_id(&published.service.department)
                .unwrap(),
            applicant_id: applicant,
            enterprise_id: None,
            entered_by: applicant,
            channel: Channel::Online,
            answers: sealed.clone(),
            submission_key: format!("test:{service}:{i}:{}", Uuid::now_v7()),
            request_digest: "d".into(),
            submitted_at: now,
            applicant_phone_last4: Some("0001".into()),
            draft_id: None,
            workflow: state
                .applications
                .handling()
                .starting_state(catalog, &published.service, now)
                .unwrap(),
            locale: "zh-CN".into(),
            ip: None,
            shares: Vec::new(),
        })
        .collect();
    let txn = tongban_store::cases::begin_write(&db.conn).await.unwrap();
    let outcomes = tongban_store::cases::insert_batch(&txn, &batch)
        .await
        .unwrap();
    txn.commit().await.unwrap();
    outcomes
        .into_iter()
        .map(|o| match o {
            BatchOutcome::Created(row) => Filed {
                id: row.id,
                tracking_number: row.tracking_number,
            },
            other => panic!("not created: {other:?}"),
        })
        .collect()
}

/// Takes a workflow action on a case as the demo staff member `who`, through the services as
/// the workbench does; panics with who and what when it is refused.
pub async fn act_as(
    state: &AppState,
    db: &TestDb,
    who: &str,
    case: Uuid,
    action: &str,
    comment: Option<&str>,
) -> tongban_services::workflow::Acted {
    let staff = tongban_services::identity::staff_session(&db.conn, who)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo staff {who}"));
    let snapshot = state.snapshots.current();
    state
        .applications
        .handling()
        .act(
            state.clock.as_ref(),
            &staff,
            &snapshot.catalog,
            &tongban_services::identity::Origin::default(),
            tongban_services::workflow::CaseRef {
                id: case,
                version: None,
            },
            &tongban_services::workflow::ActRequest {
                action: action.into(),
                comment: comment.map(str::to_owned),
                extension_days: None,
                attachments: Vec::new(),
            },
        )
        .await
        .unwrap()
        .unwrap_or_else(|refused| panic!("{who} {action}: {refused:?}"))
}

/// Clears the public security bureau's record check of a food licence case (SJ0002) filed
/// without a shared certificate of no criminal record, as its desk clerk: for tests about what
/// follows acceptance.
pub async fn clear_record_check(state: &AppState, db: &TestDb, case: Uuid) {
    act_as(state, db, "ga.clerk", case, "record-clear", None).await;
}

/// Issues the demo person (13800000001) a certificate of the catalogue type `type_key` with
/// `claims`, every one disclosable, valid for `valid_days` (or without expiry); its id.
pub async fn issue_to_demo_person(
    state: &AppState,
    type_key: &str,
    claims: serde_json::Map<String, serde_json::Value>,
    valid_days: Option<i64>,
) -> Uuid {
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let certificates = state.applications.handling().certificates().clone();
    let certificate = catalog.certificate_type(type_key).expect("demo type");
    let holder = state
        .identity
        .demo_person("13800000001")
        .await
        .unwrap()
        .expect("demo person");
    certificates
        .issue(
            &state.db,
            state.clock.as_ref(),
            catalog,
            tongban_services::certificates::NewCertificate {
                type_key: type_key.into(),
                vct: certificate.vct(&certificates.settings.public_url, &catalog.region.code),
                department_id: catalog.department_id(&certificate.department).unwrap(),
                holder_account_id: holder,
                holder_enterprise_id: None,
                case_id: None,
                valid_from: state.clock.now(),
                expires_at: valid_days.map(|days| state.clock.now() + chrono::Duration::days(days)),
                plain: serde_json::Map::new(),
                disclosable: claims,
                summary: serde_json::json!({
                    "name": certificate.name.get(tongban_domain::Locale::ZhCn),
                    "number": format!("{type_key}-1"),
                }),
            },
        )
        .await
        .unwrap()
        .id
}
