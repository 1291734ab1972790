//! A certificate's printable PDF over the real app, on SQLite and (when configured)
//! PostgreSQL: its holder downloads it from the certificate's page and reads back (with
//! `pdftotext`) the type, the department, the labelled fields with personal data masked,
//! the dates, the id and the verification address its QR code holds; in English, in Chinese,
//! and in Chinese for a Uyghur reader. Nobody else can get it, and signed out is sent to sign
//! in. The same certificate prints to the same bytes whatever the time. The QR code is scanned
//! from an image of the page (`pdftoppm`, `zbarimg`) and must give the verification address.

mod common;

use axum::http::StatusCode;
use chrono::TimeZone;
use common::browser::*;
use common::pdf::{
    keep_for_inspection, pdftotext, pdftotext_available, qr_scanner_available, scan_qr_codes,
    squeezed,
};
use common::*;
use serde_json::{Map, json};
use tongban_services::certificates::NewCertificate;
use tongban_store::testing::TestDb;

const HOLDER: &str = "13800000001";
const OTHER: &str = "13800000004";
const ID_NUMBER: &str = "990102199003071233";

#[tokio::test]
async fn the_holder_prints_a_certificate_and_nobody_else_can() {
    let can_read = pdftotext_available("reading certificate PDFs back with pdftotext");
    let can_scan = qr_scanner_available("scanning the QR code of certificate PDFs");
    for db in TestDb::all("certificate pdf").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let snapshot = state.snapshots.current();
        let catalog = &snapshot.catalog;
        let holder = state.identity.demo_person(HOLDER).await.unwrap().unwrap();
        let certificates = state.applications.handling().certificates().clone();
        let kind = catalog
            .certificate_types
            .iter()
            .find(|t| t.key == "no-criminal-record")
            .expect("demo type");
        let mut plain = Map::new();
        plain.insert("certificate_number".into(), json!("GA-2026-000123"));
        let mut disclosable = Map::new();
        disclosable.insert("holder_name".into(), json!("张三"));
        disclosable.insert("id_number".into(), json!(ID_NUMBER));
        disclosable.insert("finding".into(), json!("未发现有犯罪记录"));
        disclosable.insert("purpose".into(), json!("求职"));
        disclosable.insert("issued_on".into(), json!("2026-11-26"));
        let now = state.clock.now();
        let issued = certificates
            .issue(
                &state.db,
                state.clock.as_ref(),
                catalog,
                NewCertificate {
                    type_key: kind.key.clone(),
                    vct: kind.vct(&certificates.settings.public_url, &catalog.region.code),
                    department_id: catalog.department_id("GA").unwrap(),
                    holder_account_id: holder,
                    holder_enterprise_id: None,
                    case_id: None,
                    valid_from: now,
                    expires_at: Some(now + chrono::Duration::days(90)),
                    plain,
                    disclosable,
                    summary: json!({ "name": "无犯罪记录证明" }),
                },
            )
            .await
            .unwrap();
        let app = tongban_web::app(state.clone());
        let page_path = format!("/account/certificates/{}", issued.id);
        let pdf_path = format!("{page_path}.pdf");

        // Signed out: sent to sign in, and back to the PDF afterwards.
        let anonymous = get(&app, &pdf_path).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert_eq!(
            anonymous.header("location"),
            Some(format!("/login?next={pdf_path}").as_str())
        );

        // The certificate's page links to its PDF.
        let mut zhang = signed_in(app.clone(), HOLDER).await;
        let page = zhang.get(&page_path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text().contains(&format!("href=\"{pdf_path}\"")),
            "the page links to the PDF"
        );
        let check_url = {
            let html = page.text();
            let start = html
                .find("http://127.0.0.1:8080/certificates/check/")
                .unwrap();
            html[start..start + html[start..].find('"').unwrap()].to_owned()
        };

        // English, as the browser asks.
        let reply = zhang.get(&pdf_path).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-type"), Some("application/pdf"));
        assert_eq!(reply.header("cache-control"), Some("private, no-store"));
        let disposition = reply.header("content-disposition").unwrap();
        assert!(
            disposition.starts_with(&format!(
                "attachment; filename=\"no-criminal-record-{}-en.pdf\"",
                issued.id
            )),
            "{disposition}"
        );
        assert!(reply.body.starts_with(b"%PDF-"));
        let english = reply.body.clone();
        keep_for_inspection("certificate-en.pdf", &english);
        if can_read {
            let text = pdftotext(&english);
            let flat = squeezed(&text);
            for phrase in [
                "Certificate of No Criminal Record", // the template's title
                "Demo City Public Security Bureau",
                "Finding",
                "未发现有犯罪记录",
                "Resident ID number",
                "Valid until",
                "2027-02-24", // 90 days after issue
                &issued.id.to_string(),
                &check_url,
                "Scan to verify",
            ] {
                assert!(flat.contains(&squeezed(phrase)), "{phrase:?} in:\n{text}");
            }
            // Personal data masked as on screen: the name keeps its first character.
            assert!(
                !flat.contains(ID_NUMBER),
                "the ID number is masked:\n{text}"
            );
            assert!(flat.contains("990***********1233"), "{text}");
            assert!(!flat.contains("张三") && flat.contains("张*"), "{text}");
            // The fields in the template's order: name, ID number, finding, purpose.
            let at = |s: &str| flat.find(s).unwrap_or_else(|| panic!("{s} in {text}"));
            assert!(at("张*") < at("990***********1233"));
            assert!(at("990***********1233") < at("未发现有犯罪记录"));
            assert!(at("未发现有犯罪记录") < at("求职"));
            // No verdict frozen on paper: where to check instead.
            assert!(!flat.contains("Valid:genuine"), "{text}");
        }
        if can_scan {
            // The drawn QR code, printed and scanned, leads to the verification page.
            assert_eq!(scan_qr_codes(&english), vec![check_url.clone()]);
        }

        // Chinese when chosen; a Uyghur reader gets the Chinese PDF too.
        for lang in ["zh-CN", "ug"] {
            let reply = zhang.get(&format!("{pdf_path}?lang={lang}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{lang}");
            keep_for_inspection(&format!("certificate-{lang}.pdf"), &reply.body);
            assert!(
                reply
                    .header("content-disposition")
                    .unwrap()
                    .contains(&format!("{}-zh-CN.pdf", issued.id)),
                "{lang}"
            );
            if can_read {
                let text = pdftotext(&reply.body);
                let flat = squeezed(&text);
                for phrase in [
                    "无犯罪记录证明",
                    "示范市公安局",
                    "查询结果",
                    "公民身份号码",
                    "990***********1233",
                    "有效期至",
                    "扫码核验",
                    &check_url,
                ] {
                    assert!(flat.contains(phrase), "{lang}: {phrase:?} in:\n{text}");
                }
                assert!(!flat.contains(ID_NUMBER), "{lang}: masked");
            }
        }
        // The Uyghur page's link says the PDF is in Chinese.
        let page = zhang.get(&page_path).await.text();
        assert!(page.contains("(PDF، خەنزۇچە)"), "{page}");
        let _ = zhang.get(&format!("{page_path}?lang=en")).await;

        // Another person, an unknown id and a malformed one: the same 404 as for nothing.
        let mut li = signed_in(app.clone(), OTHER).await;
        assert_eq!(li.get(&pdf_path).await.status, StatusCode::NOT_FOUND);
        let unknown = format!("/account/certificates/{}.pdf", uuid::Uuid::now_v7());
        assert_eq!(zhang.get(&unknown).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            zhang.get("/account/certificates/x.pdf").await.status,
            StatusCode::NOT_FOUND
        );

        // A month later, on another server: the same bytes (the printout states no verdict).
        let later = std::sync::Arc::new(tongban_domain::clock::FixedClock(
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 26, 9, 30, 0)
                .unwrap(),
        ));
        let state_later = tongban_web::AppState::load(
            db.conn.clone(),
            settings(tongban_web::Mode::Demo),
            later,
            identity(&db),
            SECRET,
        )
        .await
        .unwrap();
        let mut zhang_later = signed_in(tongban_web::app(state_later), HOLDER).await;
        let again = zhang_later.get(&pdf_path).await;
        assert_eq!(again.status, StatusCode::OK);
        assert!(
            again.body == english,
            "the same certificate prints the same"
        );
    }
}
