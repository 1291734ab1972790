//! Sealed legal notices (电子签章) through the real router, on SQLite and PostgreSQL: a clerk's
//! acceptance files a notice sealed by market regulation's key; its public verification page
//! says the seal is valid with the applicant's name masked, and a wrong code or id is a 404;
//! the verification API accepts the seal, refuses it with one byte of the payload changed or
//! when signed by another department's key; a snapshot changed in the database shows as not
//! valid; the PDF prints the seal block and the verification address (read back with
//! `pdftotext`), the same bytes on every download; a notice filed before seals existed still
//! renders, with the honest note, and has no verification page.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use common::browser::*;
use common::*;
use serde_json::json;
use tongban_domain::certificates::{Algorithm, SoftwareKey};
use tongban_domain::notices::seal::{SealClaims, seal_notice, snapshot_digest};
use tongban_services::identity::{Origin, staff_session};
use tongban_services::workflow::{ActRequest, CaseRef};
use tongban_store::entities::case_document;
use tongban_store::sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use tongban_store::testing::{TestDb, skip};

/// The text of `pdf` as `pdftotext` reads it, without whitespace; `None` (said "skipped")
/// without pdftotext.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let Ok(mut child) = Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    else {
        skip(
            "reading sealed notice PDFs back with pdftotext",
            "pdftotext cannot be started; apt-get install poppler-utils",
        );
        return None;
    };
    child.stdin.take()?.write_all(pdf).ok()?;
    let output = child.wait_with_output().ok()?;
    assert!(output.status.success(), "pdftotext failed");
    let text = String::from_utf8(output.stdout).expect("UTF-8 text");
    Some(text.chars().filter(|c| !c.is_whitespace()).collect())
}

async fn verify_api(app: &axum::Router, seal: &str) -> serde_json::Value {
    let reply = send(
        app,
        axum::http::Request::post("/api/v1/notices/verify")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(json!({ "seal": seal }).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    serde_json::from_slice(&reply.body).unwrap()
}

#[tokio::test]
async fn notices_are_sealed_and_anyone_can_check_them() {
    for db in TestDb::all("sealed notices").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let snapshot = state.snapshots.current();
        let catalog = &snapshot.catalog;
        let handling = state.applications.handling();
        let filed = file_cases(&state, &db, "SJ0001", 1).await;
        let clerk = staff_session(&state.db, "sj.clerk").await.unwrap().unwrap();
        let acted = handling
            .act(
                state.clock.as_ref(),
                &clerk,
                catalog,
                &Origin {
                    ip: None,
                    user_agent: None,
                },
                CaseRef {
                    id: filed[0].id,
                    version: None,
                },
                &ActRequest {
                    action: "accept".into(),
                    ..ActRequest::default()
                },
            )
            .await
            .unwrap()
            .expect("the clerk accepts");
        assert_eq!(acted.notices, ["acceptance"]);

        // Filed with its seal and a random check code, in the action's transaction.
        let documents =
            tongban_store::workflow::documents_of(&state.db, catalog.region_id, filed[0].id)
                .await
                .unwrap();
        let [document] = documents.as_slice() else {
            panic!("one notice: {documents:?}");
        };
        let seal = document.seal.clone().expect("sealed");
        let code = document.check_code.clone().expect("a check code");
        assert!(code.len() >= 22, "128 random bits");
        let header: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(seal.split('.').next().unwrap()).unwrap())
                .unwrap();
        assert_eq!(header["typ"], "notice+jwt");
        let notice = handling
            .notice(catalog, filed[0].id, document.id)
            .await
            .unwrap();
        let mark = notice.seal.clone().expect("the printed mark");
        let check_path = format!("/notices/check/{}/{code}", document.id);
        assert!(mark.check_url.ends_with(&check_path), "{}", mark.check_url);
        assert_eq!(mark.digest, snapshot_digest(&document.content));
        let app = tongban_web::app(state.clone());

        // The public page: valid, the notice's facts, the applicant's name masked.
        let page = get(&app, &format!("{check_path}?lang=en")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        let html = page.text();
        assert!(html.contains("Electronic seal valid"), "{html}");
        assert!(
            html.contains("Market Regulation"),
            "sealed by the department"
        );
        assert!(html.contains(&escaped(&notice.number)), "the number");
        assert!(html.contains(&filed[0].tracking_number));
        assert!(html.contains(&mark.kid));
        let name = notice.applicant_name.clone();
        assert!(name.chars().count() > 1, "{name}");
        assert!(!html.contains(&name), "the applicant's name is masked");
        let first: String = name.chars().take(1).collect();
        assert!(html.contains(&format!("{first}*")));
        // A wrong code, a wrong id, a malformed id: not found, alike.
        let wrong = format!("/notices/check/{}/{}", document.id, "A".repeat(code.len()));
        assert_eq!(get(&app, &wrong).await.status, StatusCode::NOT_FOUND);
        let other = format!("/notices/check/{}/{code}", uuid::Uuid::now_v7());
        assert_eq!(get(&app, &other).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            get(&app, &format!("/notices/check/nope/{code}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // The API: the seal is valid and the platform holds that very notice.
        let answer = verify_api(&app, &seal).await;
        assert_eq!(answer["verdict"], "valid", "{answer}");
        assert_eq!(answer["kind"], "acceptance");
        assert_eq!(answer["number"], notice.number.as_str());
        assert_eq!(answer["tracking_number"], filed[0].tracking_number.as_str());
        assert_eq!(answer["document_id"], document.id.to_string());
        assert_eq!(answer["on_record"], "matches");
        assert!(
            answer["issuer"]
                .as_str()
                .unwrap()
                .ends_with("/departments/market-regulation")
        );
        // One byte of the payload changed: forged.
        let payload_at = seal.find('.').unwrap() + 20;
        let mut bytes = seal.clone().into_bytes();
        bytes[payload_at] = if bytes[payload_at] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let answer = verify_api(&app, &String::from_utf8(bytes).unwrap()).await;
        assert_eq!(answer["verdict"], "forged", "{answer}");
        assert_eq!(answer["reason"], "signature");
        // The same claims signed by another department's key (the police's own, published
        // key): refused, because only market regulation's keys vouch for its seals.
        let claims = claims_of(&verify_api(&app, &seal).await);
        let police = catalog.department_id("GA").expect("the police");
        // The police seal something of their own, which makes (and publishes) their key.
        let own = handling
            .certificates()
            .seal_notices(
                &state.db,
                state.clock.as_ref(),
                catalog,
                vec![(police, claims.clone())],
            )
            .await
            .unwrap();
        assert_eq!(
            verify_api(&app, &own[0]).await["verdict"],
            "valid",
            "their own seal"
        );
        let police_key =
            tongban_store::certificates::signing_key(&state.db, catalog.region_id, police)
                .await
                .unwrap()
                .expect("the police key");
        let secret = state
            .identity
            .cipher
            .decrypt(
                tongban_services::certificates::KEY_SECRET_FIELD,
                &police_key.secret_sealed,
            )
            .unwrap();
        let secret = base64::engine::general_purpose::STANDARD
            .decode(secret)
            .unwrap();
        let key = SoftwareKey::from_secret(Algorithm::from_name(&police_key.alg).unwrap(), &secret)
            .unwrap();
        let counterfeit = seal_notice(&key, &claims).unwrap();
        let answer = verify_api(&app, &counterfeit).await;
        assert_eq!(answer["verdict"], "forged", "{answer}");
        assert_eq!(answer["reason"], "signature");
        let bad = send(
            &app,
            axum::http::Request::post("/api/v1/notices/verify")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(r#"{"token":"x"}"#))
                .unwrap(),
        )
        .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);

        // The PDF prints the seal block and the address, the same bytes each time.
        let mut staff = signed_in(app.clone(), "sj.clerk").await;
        let pdf_path = format!(
            "/workbench/cases/{}/notices/{}.pdf?lang=zh-CN",
            filed[0].id, document.id
        );
        let pdf = staff.get(&pdf_path).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(staff.get(&pdf_path).await.body, pdf.body, "deterministic");
        if let Some(text) = pdf_text(&pdf.body) {
            assert!(text.contains("电子签章"), "{text}");
            assert!(text.contains(&mark.kid), "{text}");
            assert!(text.contains(&mark.digest[..16]), "{text}");
            assert!(text.contains(&mark.check_url), "{text}");
            assert!(!text.contains("不带电子印章"), "{text}");
        }

        // The snapshot changed in the database after sealing: the page says so.
        let mut row: case_document::ActiveModel = case_document::Entity::find_by_id(document.id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.content = Set(document
            .content
            .replace(&notice.number, "示市监受〔2026〕999号"));
        row.update(&db.conn).await.unwrap();
        let html = get(&app, &format!("{check_path}?lang=en")).await.text();
        assert!(html.contains("Electronic seal not valid"), "{html}");
        assert!(html.contains("may have been changed"), "{html}");
        assert_eq!(verify_api(&app, &seal).await["on_record"], "differs");

        // A notice filed before seals existed: no seal, no code. It renders as it always did,
        // saying it carries no seal, and has no verification page.
        let mut row: case_document::ActiveModel = case_document::Entity::find_by_id(document.id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.content = Set(document.content.clone());
        row.seal = Set(None);
        row.check_code = Set(None);
        row.update(&db.conn).await.unwrap();
        assert_eq!(get(&app, &check_path).await.status, StatusCode::NOT_FOUND);
        let pdf = staff.get(&pdf_path).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with(b"%PDF"));
        if let Some(text) = pdf_text(&pdf.body) {
            assert!(text.contains("不带电子印章"), "{text}");
            assert!(!text.contains("/notices/check/"), "{text}");
        }
    }
}

/// Seal claims rebuilt from the API's answer (the issuer kept: a counterfeit claims to be
/// market regulation).
fn claims_of(answer: &serde_json::Value) -> SealClaims {
    assert_eq!(answer["verdict"], "valid", "{answer}");
    let text = |name: &str| answer[name].as_str().unwrap().to_owned();
    SealClaims {
        issuer: text("issuer"),
        document_id: text("document_id"),
        kind: tongban_domain::notices::NoticeKind::from_key(&text("kind")).unwrap(),
        number: text("number"),
        tracking_number: text("tracking_number"),
        issued_on: text("issued_on").parse().unwrap(),
        issued_at: text("issued_at").parse().unwrap(),
        digest: text("notice_sha256"),
    }
}
