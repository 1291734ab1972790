//! Searching through the real app: the results page and its filters, paging and "no results"
//! page, the JSON endpoint, hostile input, the search box on every page, and a service
//! published after start-up being found right after the reload.

mod common;

use common::*;
use tongban_domain::Locale;
use tongban_domain::catalog::Service;
use tongban_store::entities::{service, service_version};
use tongban_store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tongban_store::testing::TestDb;
use tongban_web::Mode;

fn q(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn a_query_finds_the_service_with_marked_matches() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let page = get(&app, &format!("/search?q={}", q("失业登记"))).await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("href=\"/services/RS0001\""), "{html}");
    assert!(html.contains("<mark>失业登记</mark>"), "{html}");
    // The first result is the one whose name matches.
    let first = html.find("/services/").unwrap();
    assert_eq!(&html[first..first + 16], "/services/RS0001");
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    // The query stays in the field, escaped.
    assert!(html.contains("value=\"失业登记\""), "{html}");
}

#[tokio::test]
async fn results_are_in_the_visitors_language() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let html = get(&app, "/search?q=marriage&lang=en").await.text();
    assert!(html.contains("href=\"/services/MZ0001\""), "{html}");
    assert!(html.contains("<mark>"), "{html}");
    assert!(html.contains("Search services"), "{html}");
    for locale in Locale::ALL {
        let page = get(
            &app,
            &format!("/search?q={}&lang={}", q("失业"), locale.tag()),
        )
        .await;
        assert_eq!(page.status, 200, "{locale}");
        assert!(page.text().contains("/services/RS0001"), "{locale}");
    }
}

#[tokio::test]
async fn filters_narrow_the_results() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let all = get(&app, &format!("/search?q={}", q("登记"))).await.text();
    assert!(all.contains("/services/RS0001"), "{all}");
    assert!(all.contains("/services/SJ0001"), "{all}");
    let rs = get(&app, &format!("/search?q={}&department=RS", q("登记")))
        .await
        .text();
    assert!(rs.contains("/services/RS0001"), "{rs}");
    assert!(!rs.contains("/services/SJ0001"), "{rs}");
    // The chosen filter stays selected.
    assert!(rs.contains("<option value=\"RS\" selected>"), "{rs}");

    let online = get(&app, "/search?q=&channel=online&audience=enterprise").await;
    assert_eq!(online.status, 200);
    // An unknown filter value is ignored rather than an error.
    let odd = get(
        &app,
        &format!(
            "/search?q={}&event=nonsense&department=ZZ&page=x",
            q("失业")
        ),
    )
    .await;
    assert_eq!(odd.status, 200);
    assert!(odd.text().contains("/services/RS0001"));
}

#[tokio::test]
async fn an_empty_query_shows_the_form_and_no_results_show_help() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let empty = get(&app, "/search").await.text();
    assert!(empty.contains("id=\"search-q\""), "{empty}");
    assert!(empty.contains("name=\"department\""), "{empty}");
    assert!(!empty.contains("search-summary"), "{empty}");

    let none = get(&app, &format!("/search?q={}", q("量子纠缠望远镜"))).await;
    assert_eq!(none.status, 200);
    let html = none.text();
    assert!(html.contains("没有找到相关事项"), "{html}");
    assert!(html.contains("href=\"/departments\""), "{html}");
    assert!(html.contains("href=\"/life-events/"), "{html}");
    assert!(html.contains("tel:12345"), "{html}");
}

#[tokio::test]
async fn pages_link_to_each_other() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    // Ten per page: a next link exactly when more services than that are handled at halls.
    let at_halls = tongban_services::catalog::demo_document()
        .unwrap()
        .services
        .iter()
        .filter(|s| s.channels.contains(&tongban_domain::catalog::Channel::Hall))
        .count();
    let first = get(&app, "/search?channel=hall").await.text();
    assert_eq!(first.contains("rel=\"next\""), at_halls > 10, "{first}");
    assert!(!first.contains("rel=\"prev\""));
    let second = get(&app, "/search?channel=hall&page=2").await.text();
    assert!(second.contains("rel=\"prev\""), "{second}");
}

#[tokio::test]
async fn hostile_input_gets_a_normal_page() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let long = "营业执照".repeat(500);
    for text in [
        "\"",
        "<script>alert(1)</script>",
        "name_zh:失业 AND (",
        "*~^[]{}\\",
        long.as_str(),
        "%",
    ] {
        let page = get(&app, &format!("/search?q={}", q(text))).await;
        assert_eq!(page.status, 200, "{text}");
        let html = page.text();
        assert!(!html.contains("<script>alert"), "{text}");
    }
    // Malformed percent-encoding and bytes that are not UTF-8.
    assert_eq!(get(&app, "/search?q=%E5%A4%B1%ZZ%FF").await.status, 200);
    assert_eq!(get(&app, "/api/v1/search?q=%22%3A%28").await.status, 200);
}

#[tokio::test]
async fn the_api_answers_json() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let reply = get(&app, &format!("/api/v1/search?q={}", q("公积金"))).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let json: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(json["results"][0]["code"], "GJJ0001");
    assert_eq!(json["results"][0]["url"], "/services/GJJ0001");
    assert_eq!(json["results"][0]["name"], "住房公积金提取");
    assert!(
        json["results"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>")
    );
    assert!(json["total"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn every_page_has_the_search_box() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    for path in ["/", "/departments", "/services/GA0001", "/no-such-page"] {
        let html = get(&app, path).await.text();
        assert!(
            html.contains("<form class=\"site-search\" method=\"get\" action=\"/search\" role=\"search\"><label for=\"site-search-q\">"),
            "{path}"
        );
        assert!(html.contains("type=\"search\" name=\"q\""), "{path}");
    }
}

async fn publish_after_start(db: &TestDb) {
    let state = demo_state(db, Mode::Demo).await;
    let app = tongban_web::app(state.clone());
    assert!(
        !get(&app, &format!("/search?q={}", q("烟花爆竹")))
            .await
            .text()
            .contains("/services/GA0099")
    );

    // A brand-new service, imported (published as version 1) while the app runs …
    let mut doc = tongban_services::catalog::demo_document().unwrap();
    let mut fireworks: Service = doc.services[0].clone();
    fireworks.code = "GA0099".into();
    fireworks.name = tongban_domain::LocalizedText::new("烟花爆竹燃放许可");
    doc.services = vec![fireworks];
    tongban_store::catalog::insert_missing(&db.conn, &doc, clock().0)
        .await
        .unwrap();
    // … and a new published version of an existing one.
    let rs = service::Entity::find()
        .filter(service::Column::Code.eq("RS0001"))
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let mut unemployment = tongban_services::catalog::demo_document()
        .unwrap()
        .services
        .into_iter()
        .find(|s| s.code == "RS0001")
        .unwrap();
    unemployment.name = unemployment
        .name
        .clone()
        .with(Locale::ZhCn, "失业登记及零工市场求职登记");
    service_version::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        service_id: Set(rs.id),
        region_id: Set(rs.region_id),
        version: Set(2),
        status: Set("published".to_owned()),
        effective_from: Set(Some(clock().0)),
        published_at: Set(Some(clock().0)),
        content: Set(serde_json::to_value(&unemployment).unwrap()),
        change_note: Set(Some("test".to_owned())),
        created_at: Set(clock().0),
    }
    .insert(&db.conn)
    .await
    .unwrap();

    let started = std::time::Instant::now();
    state.reload_catalog().await.unwrap();
    let reload = started.elapsed();
    assert!(reload.as_millis() < 1000, "reload took {reload:?}");

    let html = get(&app, &format!("/search?q={}", q("烟花爆竹")))
        .await
        .text();
    assert!(html.contains("/services/GA0099"), "{html}");
    let html = get(&app, &format!("/search?q={}", q("零工市场求职登记")))
        .await
        .text();
    let first = html.find("/services/").unwrap();
    assert_eq!(&html[first..first + 16], "/services/RS0001", "{html}");
    assert!(html.contains("<mark>零工市场求职登记</mark>"), "{html}");
}

#[tokio::test]
async fn a_service_published_after_start_is_found_after_the_reload() {
    for db in TestDb::all("search_publish").await {
        publish_after_start(&db).await;
        db.finish().await;
    }
}

#[tokio::test]
async fn the_index_on_disk_is_reused_when_current_and_rebuilt_when_stale() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
        .await
        .unwrap();
    let mut settings = settings(Mode::Production);
    settings.search_dir = Some(dir.path().to_owned());
    let load = |settings: tongban_web::WebSettings| {
        tongban_web::AppState::load(
            db.conn.clone(),
            settings,
            clock.clone(),
            identity(&db),
            SECRET,
        )
    };
    let first = load(settings.clone()).await.unwrap();
    let fingerprint = first.search.fingerprint().expect("built at start-up");
    assert!(dir.path().join(DEMO_REGION).join("meta.json").exists());
    drop(first);

    let second = load(settings.clone()).await.unwrap();
    assert_eq!(second.search.fingerprint(), Some(fingerprint.clone()));
    let app = tongban_web::app(second.clone());
    assert!(
        get(&app, &format!("/search?q={}", q("失业")))
            .await
            .text()
            .contains("/services/RS0001")
    );
    drop((app, second));

    // A damaged index is rebuilt at the next start.
    std::fs::write(dir.path().join(DEMO_REGION).join("meta.json"), "garbage").unwrap();
    let third = load(settings).await.unwrap();
    assert_eq!(third.search.fingerprint(), Some(fingerprint));
    let app = tongban_web::app(third);
    assert!(
        get(&app, &format!("/search?q={}", q("失业")))
            .await
            .text()
            .contains("/services/RS0001")
    );
}
