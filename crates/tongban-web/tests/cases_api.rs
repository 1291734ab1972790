//! The case API (`/api/v1/cases/…`) with access tokens, on SQLite and PostgreSQL: a clerk's
//! system reads a case and accepts it, a stale version is a 409, a refused action says why, a
//! batch answers per case, a police clerk's token finds nothing; the applicant's app reads their
//! own case and withdraws it, another person's token gets 404; corrections are checked against
//! the case's form.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use common::*;
use tongban_store::cases::{BatchOutcome, Channel, NewCase};
use tongban_store::entities::{oidc_client, oidc_token};
use tongban_store::sea_orm::{ActiveValue::Set, EntityTrait};
use tongban_store::testing::TestDb;
use tongban_web::AppState;
use uuid::Uuid;

const PERSON: &str = "13800000001";

/// Issues an access token of the demo client to `account`, as the token endpoint would.
async fn token_for(state: &AppState, db: &TestDb, account: Uuid, token: &str) {
    let client = oidc_client::Entity::find()
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let now = state.clock.now();
    oidc_token::Entity::insert(oidc_token::ActiveModel {
        token_hash: Set(tongban_services::crypto::sha256_hex(token.as_bytes())),
        client_id: Set(client.id),
        account_id: Set(Some(account)),
        code_hash: Set(None),
        scope: Set("openid profile".into()),
        enterprise: Set(None),
        created_at: Set(now),
        expires_at: Set(now + Duration::hours(1)),
        revoked_at: Set(None),
    })
    .exec_without_returning(&db.conn)
    .await
    .unwrap();
}

async fn staff_id(db: &TestDb, username: &str) -> Uuid {
    tongban_store::identity::find_by_login(
        &db.conn,
        &tongban_store::identity::LoginKey::Username(username.into()),
    )
    .await
    .unwrap()
    .unwrap()
    .id
}

async fn file_case(state: &AppState, db: &TestDb, service: &str) -> Uuid {
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let published = catalog.service(service).unwrap();
    let applicant = state.identity.demo_person(PERSON).await.unwrap().unwrap();
    let sealed = state
        .identity
        .cipher
        .encrypt(tongban_services::applications::CASE_ANSWERS_FIELD, "{}")
        .unwrap();
    let now = state.clock.now();
    let case = NewCase {
        region_id: catalog.region_id,
        tracking_prefix: "SF".into(),
        local_date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        service_code: service.into(),
        service_name: "test".into(),
        service_version: published.version,
        department_id: catalog
            .department_id(&published.service.department)
            .unwrap(),
        applicant_id: applicant,
        enterprise_id: None,
        entered_by: applicant,
        channel: Channel::Api,
        answers: sealed,
        submission_key: format!("cases-api:{}", Uuid::now_v7()),
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
    };
    let txn = tongban_store::cases::begin_write(&db.conn).await.unwrap();
    let outcome = tongban_store::cases::insert_batch(&txn, &[case])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    match &outcome[0] {
        BatchOutcome::Created(row) => row.id,
        other => panic!("{other:?}"),
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let reply = send(app, request.body(body).unwrap()).await;
    let json = serde_json::from_slice(&reply.body).unwrap_or(serde_json::Value::Null);
    (reply.status, json)
}

#[tokio::test]
async fn staff_systems_and_applicants_handle_cases_through_the_api() {
    for db in TestDb::all("cases api").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        state
            .oidc
            .seed_demo_client(state.clock.as_ref(), DEMO_REGION)
            .await
            .unwrap();
        let zhang = state.identity.demo_person(PERSON).await.unwrap().unwrap();
        let li = state
            .identity
            .demo_person("13800000004")
            .await
            .unwrap()
            .unwrap();
        token_for(
            &state,
            &db,
            staff_id(&db, "sj.clerk").await,
            "clerk-token-0123456789abcdef",
        )
        .await;
        token_for(
            &state,
            &db,
            staff_id(&db, "ga.clerk").await,
            "police-token-0123456789abcdef",
        )
        .await;
        token_for(&state, &db, zhang, "zhang-token-0123456789abcdef").await;
        token_for(&state, &db, li, "li-token-0123456789abcdef-00").await;
        let first = file_case(&state, &db, "SJ0001").await;
        let second = file_case(&state, &db, "SJ0001").await;
        let third = file_case(&state, &db, "SJ0001").await;
        let app = tongban_web::app(state.clone());
        let clerk = "clerk-token-0123456789abcdef";

        // The clerk's system reads the case with the actions it may take.
        let (status, case) =
            call(&app, "GET", &format!("/api/v1/cases/{first}"), clerk, None).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["version"], 0);
        let accept = case["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["kind"] == "accept")
            .expect("the clerk may accept")["key"]
            .as_str()
            .unwrap()
            .to_owned();

        let (status, acted) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{first}/actions"),
            clerk,
            Some(serde_json::json!({ "action": accept, "version": 0 })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{acted}");
        assert_eq!(acted["version"], 1);
        assert_eq!(acted["notices"], serde_json::json!(["acceptance"]));
        // The same request again, on the version it read: someone acted meanwhile.
        let (status, body) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{first}/actions"),
            clerk,
            Some(serde_json::json!({ "action": accept, "version": 0 })),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        // Without a version, the workflow says why it cannot be done now.
        let (status, body) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{first}/actions"),
            clerk,
            Some(serde_json::json!({ "action": accept })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["reason"], "not-available");

        // A batch answers per case.
        let (status, body) = call(
            &app,
            "POST",
            "/api/v1/cases/actions",
            clerk,
            Some(serde_json::json!({
                "action": accept,
                "comment": "批量受理",
                "cases": [ { "id": second }, { "id": first }, { "id": Uuid::now_v7() } ],
            })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let results = body["results"].as_array().unwrap();
        assert_eq!(results[0]["ok"], true);
        assert_eq!(results[1]["error"], "not-available");
        assert_eq!(results[2]["error"], "not-found");

        // A police clerk's token finds nothing of market regulation's.
        let police = "police-token-0123456789abcdef";
        let (status, _) = call(&app, "GET", &format!("/api/v1/cases/{third}"), police, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{third}/actions"),
            police,
            Some(serde_json::json!({ "action": accept })),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The applicant reads their own case and withdraws it; another person cannot.
        let zhang_token = "zhang-token-0123456789abcdef";
        let (status, mine) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{third}"),
            zhang_token,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        assert_eq!(mine["stages"][0]["status"], "current");
        let (status, _) = call(
            &app,
            "GET",
            &format!("/api/v1/cases/{third}"),
            "li-token-0123456789abcdef-00",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{third}/actions"),
            "li-token-0123456789abcdef-00",
            Some(serde_json::json!({ "action": "withdraw" })),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // The applicant cannot take staff's actions.
        let (status, body) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{third}/actions"),
            zhang_token,
            Some(serde_json::json!({ "action": accept })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["reason"], "not-permitted");
        let (status, body) = call(
            &app,
            "POST",
            &format!("/api/v1/cases/{third}/actions"),
            zhang_token,
            Some(serde_json::json!({ "action": "withdraw", "comment": "不需要了" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["outcome"], "withdrawn");

        // No token, no answer.
        let reply = send(
            &app,
            Request::builder()
                .uri(format!("/api/v1/cases/{first}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_reviewers_system_objects_with_its_evidence_in_the_body() {
    use base64::Engine;
    for db in TestDb::all("cases api attachments").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        state
            .oidc
            .seed_demo_client(state.clock.as_ref(), DEMO_REGION)
            .await
            .unwrap();
        let clerk = "clerk-token-0123456789abcdef";
        let health = "health-token-0123456789abcdef";
        let zhang = "zhang-token-0123456789abcdef";
        token_for(&state, &db, staff_id(&db, "sj.clerk").await, clerk).await;
        token_for(&state, &db, staff_id(&db, "wj.reviewer").await, health).await;
        let person = state.identity.demo_person(PERSON).await.unwrap().unwrap();
        token_for(&state, &db, person, zhang).await;
        let case = file_case(&state, &db, "SJ0002").await;
        let app = tongban_web::app(state.clone());
        let uri = format!("/api/v1/cases/{case}/actions");
        let (status, body) = call(
            &app,
            "POST",
            &uri,
            clerk,
            Some(serde_json::json!({ "action": "accept" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        clear_record_check(&state, &db, case).await;

        let (_, read) = call(&app, "GET", &format!("/api/v1/cases/{case}"), health, None).await;
        let object = read["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "object")
            .expect("health may object")
            .clone();
        assert_eq!(object["attachment"], "required");

        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let pdf = b"%PDF-1.7\n%%EOF\n";
        let objection = |attachments: serde_json::Value| {
            serde_json::json!({
                "action": "object",
                "comment": "后厨未设洗手设施",
                "attachments": attachments,
            })
        };
        // Without the file, with bytes that are not base64, with a web page: refused.
        let (status, body) = call(
            &app,
            "POST",
            &uri,
            health,
            Some(objection(serde_json::json!([]))),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["reason"], "attachment-required", "{body}");
        let (status, body) = call(
            &app,
            "POST",
            &uri,
            health,
            Some(objection(
                serde_json::json!([{ "filename": "a.pdf", "content_base64": "%%%" }]),
            )),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = call(
            &app,
            "POST",
            &uri,
            health,
            Some(objection(serde_json::json!([{
                "filename": "a.pdf",
                "content_base64": b64(b"<html></html>"),
            }]))),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        // An applicant does not attach files to an action.
        let (status, _) = call(
            &app,
            "POST",
            &uri,
            zhang,
            Some(serde_json::json!({
                "action": "withdraw",
                "attachments": [{ "filename": "a.pdf", "content_base64": b64(pdf) }],
            })),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        let (status, body) = call(
            &app,
            "POST",
            &uri,
            health,
            Some(objection(serde_json::json!([{
                "filename": "现场核查记录.pdf",
                "content_base64": b64(pdf),
            }]))),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, read) = call(&app, "GET", &format!("/api/v1/cases/{case}"), health, None).await;
        let entry = read["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "object")
            .expect("the objection in the timeline")
            .clone();
        assert_eq!(entry["attachments"][0]["name"], "现场核查记录.pdf");
        assert!(
            entry["attachments"][0]["href"]
                .as_str()
                .is_some_and(|h| h.starts_with("/applications/files/")),
            "{entry}"
        );
    }
}
