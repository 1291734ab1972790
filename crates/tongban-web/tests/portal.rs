//! The public portal through the real router, on SQLite and (when configured) PostgreSQL:
//! pages, languages, right-to-left, guide content, errors, headers, compression and health.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get as route_get;
use common::*;
use tongban_domain::Locale;
use tongban_domain::catalog::Channel;
use tongban_store::testing::TestDb;
use tongban_web::Mode;

#[tokio::test]
async fn home_lists_every_department_and_service_in_both_databases() {
    for db in TestDb::all("home page").await {
        let app = demo_app(&db).await;
        let doc = tongban_services::catalog::demo_document().unwrap();
        let page = get(&app, "/").await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", db.backend);
        let html = page.text();
        assert!(html.contains("<html lang=\"zh-CN\" dir=\"ltr\""));
        assert!(html.contains(&escaped(doc.region.name.get(Locale::ZhCn))));
        for department in &doc.departments {
            assert!(html.contains(&format!("href=\"/departments/{}\"", department.slug)));
        }
        for service in &doc.services {
            assert!(
                html.contains(&format!("href=\"/services/{}\"", service.code)),
                "{}",
                service.code
            );
        }
        assert!(html.contains("href=\"/life-events/marriage\""));
        assert!(html.contains("href=\"/audiences/enterprise\""));
        assert!(
            html.contains("class=\"demo-ribbon\""),
            "demo mode shows the ribbon"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn the_language_comes_from_query_then_cookie_then_header() {
    for db in TestDb::all("locale negotiation").await {
        let app = demo_app(&db).await;

        let english = get_with(&app, "/", &[("accept-language", "en-GB,en;q=0.9")]).await;
        assert!(english.text().contains("<html lang=\"en\" dir=\"ltr\""));
        assert!(english.text().contains("Demo City"));
        assert_eq!(
            english.header("set-cookie"),
            None,
            "a header choice is not stored"
        );

        let chosen = get_with(&app, "/?lang=bo", &[("accept-language", "en")]).await;
        assert!(chosen.text().contains("<html lang=\"bo\" dir=\"ltr\""));
        let cookie = chosen.header("set-cookie").expect("choice remembered");
        assert!(
            cookie.starts_with("lang=bo;") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let remembered = get_with(
            &app,
            "/departments",
            &[("cookie", "lang=bo"), ("accept-language", "en")],
        )
        .await;
        assert!(remembered.text().contains("<html lang=\"bo\""));

        let unknown = get_with(&app, "/?lang=fr", &[("accept-language", "fr, en;q=0.5")]).await;
        assert!(unknown.text().contains("<html lang=\"en\""));

        let fallback = get_with(&app, "/", &[("accept-language", "de, fr")]).await;
        assert!(fallback.text().contains("<html lang=\"zh-CN\""));
        db.finish().await;
    }
}

#[tokio::test]
async fn uyghur_pages_are_right_to_left_throughout() {
    for db in TestDb::all("rtl").await {
        let app = demo_app(&db).await;
        for path in [
            "/",
            "/departments",
            "/services/GA0001",
            "/life-events/employment",
            "/no-such-page",
        ] {
            let page = get(&app, &format!("{path}?lang=ug")).await;
            let html = page.text();
            assert!(html.contains("<html lang=\"ug\" dir=\"rtl\""), "{path}");
            // The switcher offers every language in its own script and direction.
            assert!(html.contains("lang=\"zh-CN\" hreflang=\"zh-CN\""), "{path}");
        }
        // Guide text not yet translated into Uyghur falls back to Chinese, marked as such so it
        // reads left to right inside the right-to-left page.
        let guide = get(&app, "/services/GA0002?lang=ug").await.text();
        assert!(guide.contains("<span lang=\"zh-CN\" dir=\"ltr\">"));
        db.finish().await;
    }
}

#[tokio::test]
async fn every_guide_shows_every_part_of_the_guide() {
    for db in TestDb::all("guide content").await {
        let app = demo_app(&db).await;
        let doc = tongban_services::catalog::demo_document().unwrap();
        for locale in [Locale::ZhCn, Locale::En] {
            for service in &doc.services {
                let page = get(
                    &app,
                    &format!("/services/{}?lang={}", service.code, locale.tag()),
                )
                .await;
                assert_eq!(page.status, StatusCode::OK, "{}", service.code);
                let html = page.text();
                let shows = |text: &str| html.contains(&escaped(text));
                let must = |what: &str, text: &str| {
                    assert!(
                        shows(text),
                        "{} {locale}: {what} {text:?} missing",
                        service.code
                    );
                };
                must("name", service.name.get(locale));
                must("summary", service.summary.get(locale));
                must("result", service.result.get(locale));
                service
                    .conditions
                    .iter()
                    .for_each(|c| must("condition", c.get(locale)));
                service
                    .materials
                    .iter()
                    .for_each(|m| must("material", m.name.get(locale)));
                service
                    .process
                    .iter()
                    .for_each(|p| must("step", p.get(locale)));
                service
                    .legal_basis
                    .iter()
                    .for_each(|l| must("legal basis", l.get(locale)));
                service.faq.iter().for_each(|f| {
                    must("question", f.question.get(locale));
                    must("answer", f.answer.get(locale));
                });
                for fee in &service.fees {
                    must("fee item", fee.item.get(locale));
                    must("fee amount", &fee.amount.to_string());
                }
                let days = |n: u16| match (locale, n) {
                    (_, 0) => None,
                    (Locale::ZhCn, n) => Some(format!("{n} 个工作日")),
                    (_, 1) => Some("1 working day".to_owned()),
                    (_, n) => Some(format!("{n} working days")),
                };
                if let Some(text) = days(service.committed_days) {
                    must("committed limit", &text);
                }
                if let Some(text) = days(service.statutory_days) {
                    must("statutory limit", &text);
                }
                let halls: Vec<_> = if service.halls.is_empty() {
                    doc.departments
                        .iter()
                        .find(|d| d.code == service.department)
                        .unwrap()
                        .halls
                        .clone()
                } else {
                    service.halls.clone()
                };
                for code in halls {
                    let hall = doc.halls.iter().find(|h| h.code == code).unwrap();
                    must("hall", hall.name.get(locale));
                    must("hall address", hall.address.get(locale));
                    must("hall hours", hall.hours.get(locale));
                }
                let channel_word = |c: &Channel| match (locale, c) {
                    (Locale::ZhCn, Channel::Online) => "网上办理",
                    (Locale::ZhCn, Channel::Hall) => "窗口办理",
                    (_, Channel::Online) => "Online",
                    (_, Channel::Hall) => "At a service hall",
                };
                service
                    .channels
                    .iter()
                    .for_each(|c| must("channel", channel_word(c)));
                if service.is_free() {
                    must(
                        "free",
                        if locale == Locale::ZhCn {
                            "不收费"
                        } else {
                            "Free"
                        },
                    );
                }
            }
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn guides_are_small_enough() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let doc = tongban_services::catalog::demo_document().unwrap();
    for service in &doc.services {
        for locale in Locale::ALL {
            let page = get(
                &app,
                &format!("/services/{}?lang={}", service.code, locale.tag()),
            )
            .await;
            let limit = if locale == Locale::ZhCn {
                30 * 1024
            } else {
                60 * 1024
            };
            assert!(
                page.body.len() < limit,
                "{} {locale}: {} bytes",
                service.code,
                page.body.len()
            );
        }
    }
}

#[tokio::test]
async fn department_life_event_and_audience_pages_list_their_services() {
    for db in TestDb::all("listing pages").await {
        let app = demo_app(&db).await;
        let doc = tongban_services::catalog::demo_document().unwrap();
        for department in &doc.departments {
            let html = get(&app, &format!("/departments/{}", department.slug))
                .await
                .text();
            for service in doc
                .services
                .iter()
                .filter(|s| s.department == department.code)
            {
                assert!(html.contains(&format!("/services/{}\"", service.code)));
            }
            for other in doc
                .services
                .iter()
                .filter(|s| s.department != department.code)
            {
                assert!(
                    !html.contains(&format!("/services/{}\"", other.code)),
                    "{} leaks {}",
                    department.code,
                    other.code
                );
            }
        }
        let marriage = get(&app, "/life-events/marriage").await.text();
        for service in &doc.services {
            let listed = marriage.contains(&format!("/services/{}\"", service.code));
            assert_eq!(
                listed,
                service
                    .life_events
                    .contains(&tongban_domain::catalog::LifeEvent::Marriage)
            );
        }
        let enterprise = get(&app, "/audiences/enterprise").await.text();
        let for_enterprises = doc.services.iter().filter(|s| {
            s.audiences
                .contains(&tongban_domain::catalog::Audience::Enterprise)
        });
        let mut listed = 0;
        for service in for_enterprises {
            assert!(enterprise.contains(&format!("/services/{}\"", service.code)));
            listed += 1;
        }
        assert!(listed > 0, "the demo has services for enterprises");
        assert_eq!(
            get(&app, "/life-events/space-travel").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&app, "/audiences/aliens").await.status,
            StatusCode::NOT_FOUND
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn not_found_is_a_localised_page() {
    for db in TestDb::all("404").await {
        let app = demo_app(&db).await;
        let zh = get(&app, "/services/XX9999").await;
        assert_eq!(zh.status, StatusCode::NOT_FOUND);
        assert!(zh.text().contains("页面不存在"));
        let en = get_with(&app, "/nowhere/at/all", &[("accept-language", "en")]).await;
        assert_eq!(en.status, StatusCode::NOT_FOUND);
        assert!(en.text().contains("Page not found"));
        assert_eq!(en.header("content-type"), Some("text/html; charset=utf-8"));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bug_becomes_a_500_page_with_an_error_id_and_no_internals() {
    let db = TestDb::sqlite().await;
    let state = demo_state(&db, Mode::Demo).await;
    async fn boom() -> String {
        let secret = "internal detail: table service_versions";
        panic!("{secret}")
    }
    let extra = axum::Router::new().route("/boom", route_get(boom));
    let app = tongban_web::app_with(state, extra);
    let page = get_with(&app, "/boom", &[("accept-language", "en")]).await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = page.text();
    assert!(html.contains("Sorry, there is a problem with the service"));
    let id_start = html.find("<code>").expect("error id shown") + "<code>".len();
    let id = &html[id_start..id_start + 32];
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert!(!html.contains("service_versions"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    // The server goes on serving.
    assert_eq!(get(&app, "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let big = vec![b'x'; MAX_BODY + 1];
    let reply = send(
        &app,
        Request::post("/")
            .header("content-length", big.len().to_string())
            .header("accept-language", "en")
            .body(Body::from(big))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.text().contains("What you sent is too large"));
    let small = send(
        &app,
        Request::post("/")
            .header("content-length", "3")
            .body(Body::from("abc"))
            .unwrap(),
    )
    .await;
    assert_eq!(small.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let css = tongban_web::assets::CSS.href.clone();
    for path in [
        "/",
        "/services/GA0001",
        "/no-such-page",
        "/healthz",
        css.as_str(),
    ] {
        let reply = get(&app, path).await;
        let csp = reply
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}: no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'self'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            reply.header("referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    }
}

#[tokio::test]
async fn pages_come_compressed_when_asked_and_revalidate_with_etags() {
    use std::io::Read;
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let plain = get(&app, "/services/SJ0002").await;
    assert_eq!(plain.header("content-encoding"), None);

    let br = get_with(&app, "/services/SJ0002", &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut decoded).unwrap();
    assert_eq!(decoded, plain.body);
    assert!(br.body.len() * 2 < plain.body.len());

    let gz = get_with(&app, "/services/SJ0002", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut decoded)
        .unwrap();
    assert_eq!(decoded, plain.body);
    assert!(gz.header("vary").unwrap().contains("Accept-Encoding"));

    let etag = plain.header("etag").unwrap().to_owned();
    let again = get_with(&app, "/services/SJ0002", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn the_stylesheet_is_served_under_its_hash_for_a_year() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let href = tongban_web::assets::CSS.href.clone();
    let home = get(&app, "/").await.text();
    assert!(home.contains(&format!("href=\"{href}\"")));
    let css = get(&app, &href).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css.header("cache-control").unwrap().contains("immutable"));
    assert_eq!(css.body, tongban_web::assets::STYLESHEET.as_bytes());
    assert_eq!(
        get(&app, "/static/tongban.000000000000.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn elder_mode_is_a_remembered_toggle_that_never_redirects_off_site() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let on = get(&app, "/preferences/elder?mode=on&back=/services/GA0001").await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(on.header("location"), Some("/services/GA0001"));
    assert!(on.header("set-cookie").unwrap().starts_with("elder=1;"));
    let page = get_with(&app, "/services/GA0001", &[("cookie", "elder=1")])
        .await
        .text();
    assert!(page.contains("class=\"elder\""));
    assert!(page.contains("/preferences/elder?mode=off"));

    let off = get(&app, "/preferences/elder?mode=off&back=//evil.example/").await;
    assert_eq!(off.header("location"), Some("/"));
    assert!(off.header("set-cookie").unwrap().contains("Max-Age=0"));
    let bare = get(&app, "/preferences/elder").await;
    assert_eq!(bare.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn production_mode_shows_no_demo_ribbon() {
    let db = TestDb::sqlite().await;
    let app = tongban_web::app(demo_state(&db, Mode::Production).await);
    let html = get(&app, "/").await.text();
    assert!(!html.contains("demo-ribbon"));
}

#[tokio::test]
async fn an_empty_production_install_still_serves_its_pages() {
    let db = TestDb::sqlite().await;
    let state = tongban_web::AppState::load(
        db.conn.clone(),
        settings(Mode::Production),
        clock(),
        identity(&db),
        SECRET,
    )
    .await
    .unwrap();
    let app = tongban_web::app(state);
    assert_eq!(get(&app, "/").await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/services/GA0001").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn health_and_readiness_follow_the_database() {
    for db in TestDb::all("health").await {
        let app = demo_app(&db).await;
        let live = get(&app, "/healthz").await;
        assert_eq!((live.status, live.text().as_str()), (StatusCode::OK, "ok"));
        let ready = get(&app, "/readyz").await;
        assert_eq!(ready.status, StatusCode::OK);
        assert!(ready.text().contains("\"ready\""));

        db.conn.clone().close().await.ok();
        let unready = get(&app, "/readyz").await;
        assert_eq!(unready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            get(&app, "/healthz").await.status,
            StatusCode::OK,
            "liveness ignores the database"
        );
        // Public pages keep being served from memory.
        assert_eq!(get(&app, "/services/GA0001").await.status, StatusCode::OK);
        db.finish().await;
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    tongban_web::metrics::handle();
    get(&app, "/services/GA0002").await;
    get(&app, "/services/RS0001").await;
    let metrics_app = tongban_web::metrics::router();
    let reply = {
        use tower::ServiceExt;
        let response = metrics_app
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap();
        use http_body_util::BodyExt;
        String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap()
    };
    assert!(
        reply.contains(
            "tongban_http_requests_total{route=\"/services/{code}\",method=\"GET\",status=\"200\"}"
        ),
        "{reply}"
    );
    assert!(
        reply.contains("tongban_http_request_duration_seconds_bucket{route=\"/services/{code}\"")
    );
    assert!(!reply.contains("GA0002"), "raw paths never become labels");
}
