//! Catalogue files in the browser: who may export and import what, a dry run that changes
//! nothing, line-numbered problems, and an import that shows on the portal at once.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::browser::{Browser, csrf_of, signed_in};
use common::*;
use tongban_store::testing::TestDb;

/// Posts the import form as multipart, with the CSRF token of the transfer page.
async fn upload(browser: &mut Browser, yaml: &str, fields: &[(&str, &str)]) -> Reply {
    let page = browser.get("/admin/catalog/transfer").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.text());
    upload_with_token(browser, yaml, fields, &csrf).await
}

async fn upload_with_token(
    browser: &mut Browser,
    yaml: &str,
    fields: &[(&str, &str)],
    csrf: &str,
) -> Reply {
    let boundary = "tongban-test-boundary";
    let mut body = String::new();
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    for (name, value) in all {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"catalog.yaml\"\r\nContent-Type: application/yaml\r\n\r\n{yaml}\r\n--{boundary}--\r\n"
    ));
    let reply = send(
        &browser.app,
        Request::post("/admin/catalog/import")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header("cookie", browser.cookie_header())
            .header("accept-language", "en")
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    browser.keep(&reply);
    reply
}

#[tokio::test]
async fn a_system_administrator_exports_the_region_and_a_department_administrator_their_department()
{
    for db in TestDb::all("catalogue export in the browser").await {
        let app = demo_app(&db).await;
        let mut sysadmin = signed_in(app.clone(), "sysadmin").await;
        let whole = sysadmin.get("/admin/catalog/export").await;
        assert_eq!(whole.status, StatusCode::OK);
        assert_eq!(
            whole.header("content-disposition"),
            Some("attachment; filename=\"catalog-990100.yaml\"")
        );
        let text = whole.text();
        assert!(text.contains("code: GA0001") && text.contains("code: SJ0001"));

        let mut sj = signed_in(app.clone(), "sj.admin").await;
        let own = sj.get("/admin/catalog/export").await;
        assert_eq!(own.status, StatusCode::OK);
        let own = own.text();
        assert!(own.contains("code: SJ0001"));
        assert!(
            !own.contains("code: GA0001"),
            "only the department's services"
        );
        let other = sj.get("/admin/catalog/export?department=GA").await;
        assert_eq!(other.status, StatusCode::FORBIDDEN);

        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        assert_eq!(
            clerk.get("/admin/catalog/export").await.status,
            StatusCode::FORBIDDEN
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn an_import_is_checked_first_then_published_to_the_portal() {
    for db in TestDb::all("catalogue import in the browser").await {
        let app = demo_app(&db).await;
        let mut sj = signed_in(app.clone(), "sj.admin").await;
        let exported = sj.get("/admin/catalog/export").await.text();
        let english = "Register as a sole trader (updated by import)";
        let mut doc: tongban_domain::catalog::CatalogDocument =
            serde_norway::from_str(&exported).unwrap();
        assert_eq!(doc.services[0].code, "SJ0001");
        doc.services[0].name = doc.services[0]
            .name
            .clone()
            .with(tongban_domain::Locale::En, english);
        let changed = serde_norway::to_string(&doc).unwrap();
        assert_ne!(changed, exported);

        let dry = upload(&mut sj, &changed, &[("dry_run", "1"), ("note", "")]).await;
        assert_eq!(dry.status, StatusCode::OK, "{}", dry.text());
        assert!(dry.text().contains("Dry run finished"));
        assert!(dry.text().contains("SJ0001 (v2)"), "{}", dry.text());
        let public = get_with(&app, "/services/SJ0001", &[("accept-language", "en")]).await;
        assert!(
            !public.text().contains(english),
            "a dry run publishes nothing"
        );

        let no_note = upload(&mut sj, &changed, &[]).await;
        assert_eq!(no_note.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_note.text().contains("A real import needs a change note"));

        let real = upload(&mut sj, &changed, &[("note", "English name reworded")]).await;
        assert_eq!(real.status, StatusCode::OK, "{}", real.text());
        assert!(real.text().contains("Import finished"));
        let public = get_with(&app, "/services/SJ0001", &[("accept-language", "en")]).await;
        assert!(public.text().contains(english), "published at once");

        // The audit trail names the import.
        let mut auditor = signed_in(app.clone(), "auditor").await;
        let trail = auditor.get("/admin/audit?action=catalog.").await.text();
        assert!(trail.contains("catalog.import"), "{trail}");
        assert!(trail.contains("catalog.export"));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bad_file_gets_its_problems_by_line_and_changes_nothing() {
    for db in TestDb::all("catalogue import refusals in the browser").await {
        let app = demo_app(&db).await;
        let mut sj = signed_in(app.clone(), "sj.admin").await;
        let exported = sj.get("/admin/catalog/export").await.text();
        // A service moved to another department (the file also names GA as the issuer of a
        // certificate type SJ's materials accept, so the line is found after the service's code).
        let service = "- code: SJ0001\n  department: ";
        assert!(exported.contains(&format!("{service}SJ\n")), "{exported}");
        let broken = exported.replacen(&format!("{service}SJ\n"), &format!("{service}GA\n"), 1);
        let line = broken
            .lines()
            .position(|l| l.ends_with("- code: SJ0001"))
            .unwrap()
            + 2;
        let reply = upload(&mut sj, &broken, &[("note", "try")]).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = reply.text();
        assert!(text.contains(&format!("Line {line}, column")), "{text}");
        assert!(text.contains("Nothing was written"));

        let syntax = upload(&mut sj, "schema: [\n", &[("note", "try")]).await;
        assert_eq!(syntax.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(syntax.text().contains("Line "), "{}", syntax.text());

        let forged = upload_with_token(&mut sj, &exported, &[("note", "x")], "forged").await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let not_multipart = sj.post("/admin/catalog/import", &[("note", "x")]).await;
        assert_eq!(not_multipart.status, StatusCode::FORBIDDEN);
        db.finish().await;
    }
}

/// A new service of the civil affairs department, written as catalogue YAML and nothing else.
const DOG_REGISTRATION: &str = r#"
- code: MZ0099
  department: MZ
  kind: public-service
  name: { zh-CN: 养犬登记, en: Dog registration }
  summary: { zh-CN: 为本市居民饲养的犬只办理登记并领取犬牌。, en: Register a dog kept in the city and receive its tag. }
  audiences: [individual]
  channels: [online, hall]
  visits: 0
  committed_days: 5
  statutory_days: 20
  conditions: [本市居民饲养的犬只已接种狂犬病疫苗]
  materials: [{ name: 犬只免疫证明, form: upload }]
  process: [在线申请, 审核, 领取犬牌]
  legal_basis: [示范市养犬管理条例（演示）]
  result: 犬只登记证和犬牌
"#;

#[tokio::test]
async fn a_service_added_by_yaml_alone_is_on_the_portal_and_found_by_search() {
    for db in TestDb::all("new service by yaml on the portal").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let misses = state.search_misses.clone();
        let app = tongban_web::app(state);
        // A search that finds nothing is what administrators get to see.
        let nothing = get(
            &app,
            "/search?q=%E5%A4%A9%E6%96%87%E6%9C%9B%E8%BF%9C%E9%95%9C",
        )
        .await
        .text(); // 天文望远镜
        assert!(!nothing.contains("href=\"/services/"), "{nothing}");
        misses.flush().await;

        let mut admin = signed_in(app.clone(), "sysadmin").await;
        let misses_page = admin.get("/admin/search/misses").await.text();
        assert!(misses_page.contains("天文望远镜"), "{misses_page}");

        let exported = admin.get("/admin/catalog/export").await.text();
        let file = format!("{}{DOG_REGISTRATION}", exported.trim_end());
        let reply = upload(&mut admin, &file, &[("note", "养犬登记上线")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
        assert!(reply.text().contains("MZ0099"));

        let guide = get_with(&app, "/services/MZ0099", &[("accept-language", "en")]).await;
        assert_eq!(guide.status, StatusCode::OK);
        assert!(guide.text().contains("Dog registration"));
        let found = get(&app, "/search?q=%E5%85%BB%E7%8A%AC").await.text(); // 养犬
        assert!(found.contains("/services/MZ0099"), "{found}");
        let english = get(&app, "/search?q=dog+registration&lang=en").await.text();
        assert!(english.contains("/services/MZ0099"));

        // The everyday word finds it once an administrator makes it a synonym.
        let pets = "/search?q=%E6%AF%9B%E5%AD%A9%E5%AD%90"; // 毛孩子
        assert!(!get(&app, pets).await.text().contains("/services/MZ0099"));
        let added = admin
            .submit(
                "/admin/search/synonyms",
                "/admin/search/synonyms",
                &[("terms", "毛孩子，养犬登记")],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.text());
        let after = get(&app, pets).await.text();
        assert!(after.contains("/services/MZ0099"), "{after}");
        db.finish().await;
    }
}

#[tokio::test]
async fn the_demo_synonyms_steer_live_search() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    // 营业执照 names the licence; people who say it want to register a business (SJ0001).
    let page = get(&app, "/search?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7")
        .await
        .text();
    let mut codes: Vec<&str> = Vec::new();
    for (i, marker) in page.match_indices("href=\"/services/") {
        let rest = &page[i + marker.len()..];
        let code = &rest[..rest.find(['"', '?', '/']).unwrap_or(rest.len())];
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    let rank = codes.iter().position(|code| *code == "SJ0001");
    assert!(rank.is_some_and(|r| r < 3), "{codes:?}");
}
