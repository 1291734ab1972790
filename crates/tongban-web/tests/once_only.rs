//! Once-only sharing through the real router on SQLite and PostgreSQL: registering a sole trader
//! (SJ0001) issues the business licence, and an online application (GA0001) the certificate of
//! no criminal record; applying for the food business licence (SJ0002) then answers its
//! e-certificate questions with the licence from the wallet and lets the platform fetch the
//! record certificate, without uploading either; consent is required; market regulation's staff
//! see both verified in the case (and revoked once the issuer revokes one), corrections keep
//! them, acceptance skips the bureau's record check; the exchange API serves them to the
//! department's system; the holder's data-use record lists every use; the evidence log verifies
//! and a tampered entry is caught.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::exchange::LogBreak;
use tongban_store::sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tongban_store::testing::TestDb;
use uuid::Uuid;

const PERSON: &str = "13800000001";

fn location(reply: &Reply) -> String {
    reply
        .header("location")
        .unwrap_or_else(|| panic!("no redirect ({}): {}", reply.status, reply.text()))
        .to_owned()
}

/// Posts a question page with the page's own CSRF token.
async fn answer(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let html = browser.get(path).await.text();
    let csrf = csrf_of(&html);
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    browser.post(path, &all).await
}

#[tokio::test]
async fn a_food_licence_reuses_the_business_licence_and_the_record_certificate_without_uploads() {
    for db in TestDb::all("once-only sharing").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        // Registering the sole trader (SJ0001) and its approval issue the business licence.
        let registration = file_cases(&state, &db, "SJ0001", 1).await.remove(0);
        act_as(&state, &db, "sj.clerk", registration.id, "accept", None).await;
        let approved = act_as(&state, &db, "sj.reviewer", registration.id, "approve", None).await;
        assert_eq!(approved.certificates.len(), 1, "the licence is issued");
        let licence = tongban_store::entities::certificate::Entity::find()
            .one(&db.conn)
            .await
            .unwrap()
            .expect("the business licence")
            .id;
        let app = tongban_web::app(state.clone());
        let mut citizen = signed_in(app.clone(), PERSON).await;

        // The person applies online for a certificate of no criminal record (GA0001); the
        // bureau's desk approves it, which issues the certificate.
        let page = citizen.get("/services/GA0001/apply").await;
        let csrf = csrf_of(&page.text());
        let mut path = location(
            &citizen
                .post("/services/GA0001/apply", &[("csrf", &csrf)])
                .await,
        );
        for fields in [
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ][..],
            &[
                ("full_name", "张三"),
                ("id_number", "990102199003071233"),
                ("phone", "13800000001"),
            ][..],
            &[
                ("purpose", "employment"),
                ("receiving_org", "示范市张三小吃店"),
                ("paper_copy", "no"),
            ][..],
        ] {
            let next = answer(&mut citizen, &path, fields).await;
            assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text());
            path = location(&next);
        }
        let record_draft = path.split('/').nth(2).unwrap().to_owned();
        let declaration = format!("/applications/{record_draft}/declaration");
        let csrf = csrf_of(&citizen.get(&declaration).await.text());
        let sent = citizen
            .post(
                &declaration,
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        let record_case = tongban_store::entities::case::Entity::find()
            .filter(tongban_store::entities::case::Column::ServiceCode.eq("GA0001"))
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        act_as(&state, &db, "ga.clerk", record_case.id, "accept", None).await;
        let approved = act_as(&state, &db, "ga.clerk", record_case.id, "approve", None).await;
        assert_eq!(approved.certificates.len(), 1, "the certificate is issued");

        // The question offers the licence held and the fetch, and lists what is shared.
        let page = citizen.get("/services/SJ0002/apply").await;
        let csrf = csrf_of(&page.text());
        let started = citizen
            .post("/services/SJ0002/apply", &[("csrf", &csrf)])
            .await;
        let business = location(&started);
        assert!(business.ends_with("/pages/business"), "{business}");
        let draft = business.split('/').nth(2).unwrap().to_owned();
        let html = citizen.get(&business).await.text();
        let wallet = format!("wallet:{licence}");
        assert!(html.contains(&format!("value=\"{wallet}\"")), "{html}");
        assert!(html.contains("value=\"fetch\""), "{html}");
        assert!(
            html.contains("Licence number"),
            "the shared fields are named"
        );
        assert!(
            !html.contains("Registered capital"),
            "not on the field's disclose list"
        );
        assert!(html.contains("only for this application"), "{html}");

        // Picked without the consent box: refused, nothing shared.
        let business_fields = [
            ("enterprise_name", "示范市张三小吃店"),
            ("credit_code", "91350100M000100Y43"),
            ("business_licence", wallet.as_str()),
            ("scope_includes_food", "yes"),
        ];
        let refused = answer(&mut citizen, &business, &business_fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.text().contains("Tick the box to agree"),
            "{}",
            refused.text()
        );
        // Someone else's certificate id (here: a made-up one) is not theirs to share.
        let mut borrowed = business_fields.to_vec();
        let foreign = format!("wallet:{}", Uuid::now_v7());
        borrowed[2] = ("business_licence", &foreign);
        borrowed.push(("business_licence.consent", "yes"));
        let refused = answer(&mut citizen, &business, &borrowed).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("is not one of yours"));

        let mut consented = business_fields.to_vec();
        consented.push(("business_licence.consent", "yes"));
        let next = answer(&mut citizen, &business, &consented).await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text());
        let operations = location(&next);
        let next = answer(
            &mut citizen,
            &operations,
            &[
                ("food_categories", "hot-food"),
                ("premises_address.province", "990000"),
                ("premises_address.city", "990100"),
                ("premises_address.county", "990102"),
                ("premises_address.street", "人民路1号"),
                ("premises_area", "60"),
                ("central_kitchen", "no"),
            ],
        )
        .await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text());
        let safety = location(&next);
        let next = answer(
            &mut citizen,
            &safety,
            &[
                ("manager_name", "张三"),
                ("manager_id", "11010519491231002X"),
                ("manager_phone", "13800000001"),
                ("manager_record", "fetch"),
                ("manager_record.consent", "yes"),
                ("food_handlers", "3"),
            ],
        )
        .await;
        assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text());
        let documents = location(&next);
        let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        for field in ["floor_plan", "safety_procedures"] {
            let csrf = csrf_of(&citizen.get(&documents).await.text());
            post_multipart(
                &mut citizen,
                &documents,
                &[("csrf", &csrf)],
                Some((field, "plan.pdf", pdf)),
            )
            .await;
        }
        let check = citizen.get(&format!("/applications/{draft}/check")).await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.text());
        assert!(
            check
                .text()
                .contains("Shared from my e-certificates (with consent)")
        );
        assert!(
            check
                .text()
                .contains("Fetched from the issuing department (with consent)")
        );
        let declaration = format!("/applications/{draft}/declaration");
        let csrf = csrf_of(&citizen.get(&declaration).await.text());
        let sent = citizen
            .post(
                &declaration,
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        let case = tongban_store::entities::case::Entity::find()
            .filter(tongban_store::entities::case::Column::ServiceCode.eq("SJ0002"))
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();

        // What the department received: two presentations, each with only the consented
        // fields, and two evidence entries that verify.
        let shared = tongban_store::exchange::shares_of_case(&db.conn, case.region_id, case.id)
            .await
            .unwrap();
        assert_eq!(shared.len(), 2);
        let fetched = shared.iter().find(|s| s.source == "fetch").unwrap();
        assert_eq!(fetched.type_key, "no-criminal-record");
        assert_eq!(
            fetched.fields,
            r#"["certificate_number","holder_name","finding","issued_on"]"#
        );
        assert_eq!(
            tongban_store::exchange::verify_log(&db.conn).await.unwrap(),
            Ok(2)
        );

        // Market regulation's clerk sees both verified, with the shared values and without
        // what was withheld (the manager's ID number).
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let staff_page = clerk.get(&format!("/workbench/cases/{}", case.id)).await;
        assert_eq!(staff_page.status, StatusCode::OK);
        let html = staff_page.text();
        assert!(
            html.contains("E-certificates shared by the applicant"),
            "{html}"
        );
        assert_eq!(html.matches("verdict-valid").count(), 2, "{html}");
        assert!(
            html.contains(&registration.tracking_number),
            "the licence number"
        );
        assert!(html.contains("未发现有犯罪记录"));
        assert!(
            !html.contains("11010519491231002X"),
            "withheld, so not there"
        );
        assert!(html.contains("fetched by the platform with the applicant"));
        assert!(html.contains("chosen from the applicant"));

        // A correction request keeps the shared certificates as they were: the page says so
        // and offers no choice, and the corrected application still carries them.
        act_as(
            &state,
            &db,
            "sj.clerk",
            case.id,
            "request-correction",
            Some("经营场所面积填写有误"),
        )
        .await;
        let correct = format!("/applications/cases/{}/correct", case.id);
        let page = citizen.get(&correct).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let html = page.text();
        assert!(
            html.contains("stay as they were while correcting"),
            "{html}"
        );
        assert!(
            !html.contains(&format!("value=\"{wallet}\"")),
            "no choice offered"
        );
        let mut corrected: Vec<(&str, &str)> = business_fields
            .iter()
            .filter(|(k, _)| *k != "business_licence")
            .copied()
            .collect();
        corrected.extend([
            ("food_categories", "hot-food"),
            ("premises_address.province", "990000"),
            ("premises_address.city", "990100"),
            ("premises_address.county", "990102"),
            ("premises_address.street", "人民路1号"),
            ("premises_area", "65"),
            ("central_kitchen", "no"),
            ("manager_name", "张三"),
            ("manager_id", "11010519491231002X"),
            ("manager_phone", "13800000001"),
            ("food_handlers", "3"),
        ]);
        let csrf = csrf_of(&html);
        corrected.push(("csrf", &csrf));
        let sent = citizen.post(&correct, &corrected).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());

        // Accepting routes past the bureau's record check: a valid certificate was shared.
        let accepted = act_as(&state, &db, "sj.clerk", case.id, "accept", None).await;
        assert_eq!(accepted.to, "joint-review", "the record check is skipped");

        // Market regulation's own system reads the same through the exchange API with a
        // client_credentials token; another department's system cannot; each read is evidence.
        let token_of = |department: &'static str, scopes: &'static [&'static str]| {
            let state = state.clone();
            let app = app.clone();
            async move {
                let client = state
                    .oidc
                    .register_client(
                        state.clock.as_ref(),
                        tongban_services::oidc::Admin::Console,
                        "990100",
                        &tongban_services::oidc::NewClient {
                            client_id: format!("{}-system", department.to_lowercase()),
                            name: format!("{department} 业务系统"),
                            redirect_uris: vec!["https://dept.example/cb".into()],
                            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                            department_code: department.into(),
                            ..Default::default()
                        },
                        &tongban_services::identity::Origin::default(),
                    )
                    .await
                    .unwrap();
                let body = format!(
                    "grant_type=client_credentials&scope={}&client_id={}&client_secret={}",
                    scopes.join("%20"),
                    client.client_id,
                    urlencode(&client.secret.unwrap())
                );
                let reply = send(
                    &app,
                    axum::http::Request::post("/oidc/token")
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(axum::body::Body::from(body))
                        .unwrap(),
                )
                .await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
                serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap()["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let read = |token: Option<String>| {
            let app = app.clone();
            let path = format!(
                "/api/v1/exchange/cases/{}/certificates",
                case.tracking_number
            );
            async move {
                let mut request = axum::http::Request::get(path);
                if let Some(token) = token {
                    request = request.header("authorization", format!("Bearer {token}"));
                }
                send(&app, request.body(axum::body::Body::empty()).unwrap()).await
            }
        };
        assert_eq!(read(None).await.status, StatusCode::UNAUTHORIZED);
        let sj = token_of("SJ", &["exchange.read"]).await;
        let reply = read(Some(sj)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        let listed = body["certificates"].as_array().unwrap();
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .all(|c| c["verification"]["verdict"] == "valid"),
            "{body}"
        );
        let record = listed
            .iter()
            .find(|c| c["certificate_type"] == "no-criminal-record")
            .unwrap();
        assert_eq!(record["source"], "fetch");
        assert!(
            record["verification"]["fields"].get("id_number").is_none(),
            "the withheld field is not in the presentation"
        );
        let ga = token_of("GA", &["exchange.read"]).await;
        assert_eq!(
            read(Some(ga)).await.status,
            StatusCode::NOT_FOUND,
            "the case is not routed to the public security bureau"
        );
        let unscoped = token_of("WJ", &["other.scope"]).await;
        assert_eq!(read(Some(unscoped)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            tongban_store::exchange::verify_log(&db.conn).await.unwrap(),
            Ok(4),
            "two reads through the API added two entries"
        );
        let openapi = get(&app, "/api/v1/exchange/openapi.yaml").await;
        assert!(
            openapi
                .text()
                .contains("/cases/{tracking_number}/certificates")
        );

        // The holder sees who used what.
        let uses = citizen.get("/account/data-use").await;
        assert_eq!(uses.status, StatusCode::OK);
        let html = uses.text();
        assert!(html.contains("食品经营许可（SJ0002）"), "{html}");
        assert!(html.contains("You agreed to share it when you submitted your application"));
        assert!(
            html.contains("A department&#x27;s system fetched it")
                || html.contains("A department&#39;s system fetched it"),
            "{html}"
        );
        assert!(
            html.contains(&fetched.id.to_string()),
            "the consent reference"
        );
        assert!(html.contains(&format!("/applications/cases/{}", case.id)));
        // Another person sees none of it.
        let mut other = signed_in(app.clone(), "13800000002").await;
        let theirs = other.get("/account/data-use").await.text();
        assert!(!theirs.contains("SJ0002"), "{theirs}");

        // The issuer revokes the licence: the case now shows it revoked, and it can no longer
        // be chosen for a new application.
        let snapshot = state.snapshots.current();
        let approver = tongban_services::identity::staff_session(&db.conn, "sj.approver")
            .await
            .unwrap()
            .unwrap();
        state
            .applications
            .handling()
            .certificates()
            .revoke(
                state.clock.as_ref(),
                &approver,
                &snapshot.catalog,
                &tongban_services::identity::Origin {
                    ip: None,
                    user_agent: None,
                },
                licence,
                "营业执照已注销",
            )
            .await
            .unwrap();
        let html = clerk
            .get(&format!("/workbench/cases/{}", case.id))
            .await
            .text();
        assert_eq!(html.matches("verdict-revoked").count(), 1, "{html}");
        let page = citizen.get("/services/SJ0002/apply").await;
        let csrf = csrf_of(&page.text());
        let again = location(
            &citizen
                .post("/services/SJ0002/apply", &[("csrf", &csrf)])
                .await,
        );
        let html = citizen.get(&again).await.text();
        assert!(
            !html.contains(&wallet),
            "a revoked certificate is not offered"
        );
        let mut reuse = business_fields.to_vec();
        reuse.push(("business_licence.consent", "yes"));
        let refused = answer(&mut citizen, &again, &reuse).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("was revoked by its issuer"));

        // Tampering with the evidence log is caught at the entry.
        db.conn
            .execute_unprepared("UPDATE exchange_log SET purpose = '另一目的' WHERE seq = 3")
            .await
            .unwrap();
        assert!(matches!(
            tongban_store::exchange::verify_log(&db.conn).await.unwrap(),
            Err(LogBreak::Entry { seq: 3, .. })
        ));
        db.finish().await;
    }
}
