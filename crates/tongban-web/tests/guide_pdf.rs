//! Printable guides over the real app, on SQLite and (when configured) PostgreSQL: the PDF of
//! two demo services in zh-CN and en is downloaded and read back with `pdftotext` (Debian's
//! poppler-utils). Without `pdftotext` the text checks print "skipped" and pass, unless
//! `TONGBAN_TEST_STRICT=1`, where they fail; the checks on the bytes always run.

mod common;

use axum::http::StatusCode;
use common::pdf::{pdftotext, pdftotext_available, squeezed};
use common::*;
use tongban_domain::Locale;
use tongban_store::testing::TestDb;
use tongban_web::Mode;
use tongban_web::i18n::I18n;

/// The size a guide PDF must stay under (the font subset is most of it).
const MAX_PDF_BYTES: usize = 150 * 1024;

#[tokio::test]
async fn guides_download_as_a4_pdfs_whose_text_reads_back() {
    let i18n = I18n::load().expect("strings");
    let catalog = tongban_services::catalog::demo_document().expect("demo catalogue");
    let can_read = pdftotext_available("reading guide PDFs back with pdftotext");
    for db in TestDb::all("guide pdf").await {
        let state = demo_state(&db, Mode::Demo).await;
        let app = tongban_web::app(state.clone());
        for code in ["GA0001", "SJ0001"] {
            let service = catalog
                .services
                .iter()
                .find(|s| s.code == code)
                .expect("demo service");
            let hall_code = service
                .halls
                .first()
                .cloned()
                .or_else(|| {
                    catalog
                        .departments
                        .iter()
                        .find(|d| d.code == service.department)
                        .and_then(|d| d.halls.first().cloned())
                })
                .expect("the service has a hall");
            let hall = catalog
                .halls
                .iter()
                .find(|h| h.code == hall_code)
                .expect("hall");
            for locale in [Locale::ZhCn, Locale::En] {
                let tag = locale.tag();
                let reply = get(&app, &format!("/services/{code}/guide.pdf?lang={tag}")).await;
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{code} {tag} {:?}",
                    db.backend
                );
                assert_eq!(reply.header("content-type"), Some("application/pdf"));
                let disposition = reply.header("content-disposition").expect("disposition");
                assert!(
                    disposition.starts_with(&format!("attachment; filename=\"{code}-{tag}.pdf\"")),
                    "{disposition}"
                );
                assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
                let pdf = &reply.body;
                assert!(pdf.starts_with(b"%PDF-"), "a PDF");
                assert!(
                    pdf.len() < MAX_PDF_BYTES,
                    "{code} {tag}: {} bytes, over the limit",
                    pdf.len()
                );
                let raw = String::from_utf8_lossy(pdf);
                let pages = raw.matches("/MediaBox [0 0 595.28 841.89]").count();
                assert!(pages >= 1, "A4 pages");
                assert_eq!(raw.matches("/MediaBox").count(), pages, "every page is A4");

                if !can_read {
                    continue;
                }
                let text = squeezed(&pdftotext(pdf));
                let tr = i18n.tr(locale);
                let mut expected = vec![
                    service.name.get(locale).to_owned(),
                    service.materials[0].name.get(locale).to_owned(),
                    hall.address.get(locale).to_owned(),
                    tr.t1("time-limit-days", "days", service.committed_days),
                    code.to_owned(),
                ];
                for heading in [
                    "guide-conditions",
                    "guide-materials",
                    "guide-process",
                    "guide-time-limits",
                    "guide-where",
                    "guide-legal-basis",
                    "guide-contact",
                ] {
                    expected.push(tr.t(heading));
                }
                for phrase in expected {
                    assert!(
                        text.contains(&squeezed(&phrase)),
                        "{code} {tag}: {phrase:?} missing from the PDF's text:\n{text}"
                    );
                }
            }
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_second_download_comes_from_the_cache_and_other_languages_get_chinese() {
    for db in TestDb::all("guide pdf cache").await {
        let state = demo_state(&db, Mode::Demo).await;
        let app = tongban_web::app(state.clone());
        let before = state.snapshots.current().pages.len();
        let first = get(&app, "/services/GA0001/guide.pdf?lang=zh-CN").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(state.snapshots.current().pages.len(), before + 1);
        let second = get(&app, "/services/GA0001/guide.pdf?lang=zh-CN").await;
        assert_eq!(second.body, first.body);
        assert_eq!(second.header("etag"), first.header("etag"));
        assert_eq!(
            state.snapshots.current().pages.len(),
            before + 1,
            "served from the cache, not rendered again"
        );

        // Uyghur and Tibetan readers get the Chinese PDF (the same cached bytes).
        for tag in ["ug", "bo"] {
            let reply = get(&app, &format!("/services/GA0001/guide.pdf?lang={tag}")).await;
            assert_eq!(reply.status, StatusCode::OK);
            assert!(
                reply
                    .header("content-disposition")
                    .is_some_and(|d| d.contains("filename=\"GA0001-zh-CN.pdf\"")),
                "{tag}"
            );
            assert_eq!(reply.body, first.body);
        }
        assert_eq!(state.snapshots.current().pages.len(), before + 1);

        // Compressed variants are offered like any cached page.
        let gzip = get_with(
            &app,
            "/services/GA0001/guide.pdf?lang=zh-CN",
            &[("accept-encoding", "gzip")],
        )
        .await;
        assert_eq!(gzip.header("content-encoding"), Some("gzip"));
        assert_eq!(gzip.header("content-type"), Some("application/pdf"));

        let missing = get(&app, "/services/XX9999/guide.pdf").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text().contains("<html"), "the localised 404 page");
        db.finish().await;
    }
}

#[tokio::test]
async fn the_guide_page_links_to_its_pdf_in_every_language() {
    for db in TestDb::all("guide pdf link").await {
        let app = demo_app(&db).await;
        let i18n = I18n::load().expect("strings");
        for locale in Locale::ALL {
            let tag = locale.tag();
            let page = get(&app, &format!("/services/SJ0001?lang={tag}")).await;
            let html = page.text();
            assert!(
                html.contains(&format!(
                    "href=\"/services/SJ0001/guide.pdf?lang={tag}\" type=\"application/pdf\" download"
                )),
                "{tag}"
            );
            assert!(html.contains(&escaped(&i18n.tr(locale).t("pdf-download"))));
        }
        db.finish().await;
    }
}

/// Writes every demo guide's PDF in zh-CN and en into `$TONGBAN_PDF_OUT` (default: the system
/// temporary directory) and prints sizes and render times, for looking at them:
/// `cargo test -p tongban-web --test guide_pdf -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "writes files for inspection and measures; run by hand"]
async fn write_demo_guides_for_inspection() {
    let out = std::env::var_os("TONGBAN_PDF_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let db = TestDb::sqlite().await;
    let state = demo_state(&db, Mode::Demo).await;
    let snapshot = state.snapshots.current();
    for published in &snapshot.catalog.services {
        for locale in [Locale::ZhCn, Locale::En] {
            let document =
                tongban_web::guide_pdf::guide_document(&state, &snapshot, published, locale);
            let started = std::time::Instant::now();
            let runs = 20;
            let mut pdf = Vec::new();
            for _ in 0..runs {
                pdf = tongban_pdf::render(&document).expect("renders");
            }
            let each = started.elapsed() / runs;
            let pages = tongban_pdf::page_count(&document).expect("pages");
            let path = out.join(format!("{}-{}.pdf", published.service.code, locale.tag()));
            std::fs::write(&path, &pdf).expect("write");
            println!(
                "{}: {} bytes, {pages} pages, {each:?} per render",
                path.display(),
                pdf.len()
            );
        }
    }
    db.finish().await;
}
