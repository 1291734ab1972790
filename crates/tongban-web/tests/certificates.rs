//! What verifiers see of e-certificates, through the real router on SQLite and PostgreSQL: the
//! issuers' JWKS and SD-JWT VC issuer metadata, the status list token, and the public
//! verification page and API (valid, forged, revoked), with personal identifiers masked on
//! the page.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use serde_json::{Map, json};
use tongban_domain::certificates::status_list;
use tongban_domain::certificates::{Jwks, Status, StatusReference};
use tongban_services::certificates::NewCertificate;
use tongban_store::testing::TestDb;

const PERSON: &str = "13800000001";

#[tokio::test]
async fn verifiers_find_keys_status_and_an_honest_verdict() {
    for db in TestDb::all("certificates web").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let snapshot = state.snapshots.current();
        let catalog = &snapshot.catalog;
        let holder = state.identity.demo_person(PERSON).await.unwrap().unwrap();
        let certificates = state.applications.handling().certificates().clone();
        let mut plain = Map::new();
        plain.insert("licence_number".into(), json!("92990100MA0000001X"));
        let mut disclosable = Map::new();
        disclosable.insert("operator_name".into(), json!("张三"));
        disclosable.insert("operator_id_number".into(), json!("11010519491231002X"));
        let issued = certificates
            .issue(
                &state.db,
                state.clock.as_ref(),
                catalog,
                NewCertificate {
                    type_key: "business-licence".into(),
                    vct: "https://zwfw.example.gov.cn/certificate-types/business-licence".into(),
                    department_id: catalog.department_id("SJ").unwrap(),
                    holder_account_id: holder,
                    holder_enterprise_id: None,
                    case_id: None,
                    valid_from: state.clock.now(),
                    expires_at: None,
                    plain,
                    disclosable,
                    summary: json!({ "name": "营业执照" }),
                },
            )
            .await
            .unwrap();
        let app = tongban_web::app(state.clone());

        // The keys, and the metadata where the certificate's issuer URL points.
        let jwks = get(&app, "/.well-known/jwks.json").await;
        assert_eq!(jwks.status, StatusCode::OK);
        assert_eq!(
            jwks.header("content-type"),
            Some("application/jwk-set+json")
        );
        let keys = Jwks::parse(&jwks.text()).unwrap();
        assert_eq!(keys.keys.len(), 1);
        let metadata = get(
            &app,
            "/.well-known/jwt-vc-issuer/departments/market-regulation",
        )
        .await;
        assert_eq!(metadata.status, StatusCode::OK);
        let metadata: serde_json::Value = serde_json::from_slice(&metadata.body).unwrap();
        let issuer = metadata["issuer"].as_str().unwrap().to_owned();
        assert!(
            issuer.ends_with("/departments/market-regulation"),
            "{issuer}"
        );
        assert_eq!(metadata["jwks"]["keys"].as_array().unwrap().len(), 1);
        assert_eq!(
            get(&app, "/.well-known/jwt-vc-issuer/departments/nowhere")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The status list token: signed by the department, the certificate's slot valid.
        let status_path = format!("/certificates/status/{}", issued.status_list_id);
        let list = get(&app, &status_path).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(
            list.header("content-type"),
            Some("application/statuslist+jwt")
        );
        let uri = certificates.status_uri(issued.status_list_id);
        let verified = status_list::verify_token(
            &list.text(),
            &keys,
            &uri,
            state.clock.now(),
            chrono::Duration::seconds(60),
        )
        .unwrap();
        let slot = StatusReference {
            idx: issued.status_index as u64,
            uri: uri.clone(),
        };
        assert_eq!(verified.status_of(&slot).unwrap(), Status::Valid);

        // The API's verdict, then a forged copy (the signature's last character changed).
        let token = certificates
            .held_by(
                &tongban_services::identity::CurrentUser {
                    account_id: holder,
                    kind: tongban_services::identity::AccountKind::Person,
                    display_name: String::new(),
                    roles: Vec::new(),
                    session_hash: String::new(),
                    second_factor: tongban_services::identity::SecondFactor::Passed,
                    acting_for: None,
                    password_due: tongban_services::identity::PasswordDue::No,
                },
                catalog.region_id,
                issued.id,
            )
            .await
            .unwrap()
            .token;
        let verify = |token: String| {
            let app = app.clone();
            async move {
                let reply = send(
                    &app,
                    axum::http::Request::post("/api/v1/certificates/verify")
                        .header("content-type", "application/json")
                        .body(axum::body::Body::from(
                            json!({ "token": token }).to_string(),
                        ))
                        .unwrap(),
                )
                .await;
                assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
                serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap()
            }
        };
        let answer = verify(token.clone()).await;
        assert_eq!(answer["verdict"], "valid", "{answer}");
        assert_eq!(answer["revocation"], "checked");
        assert_eq!(answer["issuer"], issuer.as_str());
        assert_eq!(answer["fields"]["operator_name"], "张三");
        // One character in the middle of the signature, changed.
        let signature_at = token.rfind('.').unwrap() + 10;
        let mut forged = token.clone().into_bytes();
        forged[signature_at] = if forged[signature_at] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let answer = verify(String::from_utf8(forged).unwrap()).await;
        assert_eq!(answer["verdict"], "forged", "{answer}");

        // The page: no verdict without the form's token; then valid, the ID number masked.
        let mut visitor = Browser::new(app.clone());
        let page = visitor.get("/certificates/verify").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = csrf_of(&page.text());
        let forged_post = visitor
            .post("/certificates/verify", &[("token", &token)])
            .await;
        assert_eq!(forged_post.status, StatusCode::FORBIDDEN);
        let shown = visitor
            .post(
                "/certificates/verify",
                &[("csrf", &csrf), ("token", &token)],
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK);
        let html = shown.text();
        assert!(html.contains("Valid: genuine"), "{html}");
        assert!(html.contains("Market Regulation"), "the issuer by name");
        assert!(
            !html.contains("11010519491231002X"),
            "the ID number is masked"
        );
        assert!(html.contains("张三"));
        let empty = visitor
            .post("/certificates/verify", &[("csrf", &csrf), ("token", "  ")])
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().contains("href=\"#token\""));

        // The holder's wallet lists it; its page shows the fields, the QR code and its address.
        let mut zhang = signed_in(app.clone(), PERSON).await;
        let wallet = zhang.get("/account/certificates").await;
        assert_eq!(wallet.status, StatusCode::OK);
        let wallet = wallet.text();
        assert!(wallet.contains("营业执照"), "{wallet}");
        let held_path = format!("/account/certificates/{}", issued.id);
        assert!(wallet.contains(&held_path));
        let held = zhang.get(&held_path).await.text();
        assert!(held.contains("<svg"), "the QR code");
        let marker = "/certificates/check/";
        let start = held.find(marker).expect("the check address");
        let check = &held[start..start + held[start..].find('"').unwrap()];
        assert!(!held.contains("11010519491231002X"), "masked on screen too");

        // A presentation with only the operator's name verifies, without the ID number.
        let shown = zhang
            .post(
                &held_path,
                &[("csrf", &csrf_of(&held)), ("show", "operator_name")],
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK);
        let html = shown.text();
        let start = html.find("id=\"presentation\"").expect("the presentation");
        let start = start + html[start..].find('>').unwrap() + 1;
        let presentation = &html[start..start + html[start..].find('<').unwrap()];
        let answer = verify(presentation.to_owned()).await;
        assert_eq!(answer["verdict"], "valid", "{answer}");
        assert_eq!(answer["fields"]["operator_name"], "张三");
        assert!(answer["fields"].get("operator_id_number").is_none());

        // The QR code's address shows the verdict to anyone; a wrong code is a 404, and
        // another person cannot open the holder's page.
        let checked = get(&app, check).await;
        assert_eq!(checked.status, StatusCode::OK);
        assert!(checked.text().contains("Valid: genuine") || checked.text().contains("有效"));
        let wrong = format!("{}x", check);
        assert_eq!(get(&app, &wrong).await.status, StatusCode::NOT_FOUND);
        let mut li = signed_in(app.clone(), "13800000004").await;
        assert_eq!(li.get(&held_path).await.status, StatusCode::NOT_FOUND);

        // Revoked by the department: the API and the page say so.
        certificates
            .revoke(
                state.clock.as_ref(),
                &tongban_services::identity::staff_session(&state.db, "sj.approver")
                    .await
                    .unwrap()
                    .unwrap(),
                catalog,
                &tongban_services::identity::Origin {
                    ip: None,
                    user_agent: None,
                },
                issued.id,
                "经营者申请注销登记",
            )
            .await
            .unwrap();
        assert_eq!(verify(token.clone()).await["verdict"], "revoked");
        let html = visitor
            .post(
                "/certificates/verify",
                &[("csrf", &csrf), ("token", &token)],
            )
            .await
            .text();
        assert!(html.contains("Revoked: the issuing department"), "{html}");
    }
}
