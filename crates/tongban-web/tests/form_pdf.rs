//! Application forms as PDF over the real app, on SQLite and (when configured) PostgreSQL: a
//! service given a form in a test catalogue downloads as a blank form in zh-CN and en, read back
//! with `pdftotext` (Debian's poppler-utils) for its labels, options, room to write and the
//! declaration; a service without a form is a 404; a filled-in application prints its answers
//! with identifiers masked and a name outside the Basic Multilingual Plane in one piece. Without
//! `pdftotext` the text checks print "skipped" and pass, unless `TONGBAN_TEST_STRICT=1`.

mod common;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use common::pdf::{keep_for_inspection, pdftotext, pdftotext_available, squeezed};
use common::*;
use tongban_domain::Locale;
use tongban_domain::divisions::Divisions;
use tongban_domain::forms::{Answer, FormDefinition, summary_rows};
use tongban_store::testing::TestDb;
use tongban_web::i18n::I18n;
use tongban_web::layout::Chrome;
use tongban_web::prefs::Prefs;
use tongban_web::{AppState, Mode};

/// The service given the test form, and one explicitly without a form.
const WITH_FORM: &str = "GA0001";
const WITHOUT_FORM: &str = "SJ0001";

/// A form with one field of most types, a conditional page and field, a group and a file.
const FORM: &str = r#"
pages:
  - key: about
    title: { zh-CN: 申请人信息, en: About you }
    fields:
      - key: name
        type: text
        label: { zh-CN: 申请人姓名, en: Full name }
        help: { zh-CN: 与身份证上的姓名一致, en: As on your identity card }
      - key: id_number
        type: resident-id
        label: { zh-CN: 公民身份号码, en: Resident ID number }
      - key: phone
        type: mobile
        label: { zh-CN: 联系电话, en: Mobile number }
      - key: born
        type: date
        label: { zh-CN: 出生日期, en: Date of birth }
      - key: use
        type: choice
        label: { zh-CN: 证明用途, en: What the certificate is for }
        options:
          - { value: job, label: { zh-CN: 求职就业, en: Applying for a job } }
          - { value: visa, label: { zh-CN: 出国签证, en: A visa abroad } }
  - key: purpose
    title: { zh-CN: 申请用途, en: Purpose }
    fields:
      - key: country
        type: text
        label: { zh-CN: 前往国家, en: Country }
        show_if: { equals: { field: use, value: visa } }
      - key: urgent
        type: yes-no
        label: { zh-CN: 是否加急, en: Is it urgent? }
      - key: note
        type: long-text
        required: false
        label: { zh-CN: 补充说明, en: Anything else }
  - key: family
    title: { zh-CN: 随行家属, en: Family travelling with you }
    show_if: { equals: { field: use, value: visa } }
    fields:
      - key: members
        type: group
        max_items: 5
        item_label: { zh-CN: 家属, en: family member }
        label: { zh-CN: 家属信息, en: Family members }
        fields:
          - key: member_name
            type: text
            label: { zh-CN: 家属姓名, en: Name }
          - key: member_id
            type: resident-id
            label: { zh-CN: 家属身份号码, en: ID number }
      - key: scans
        type: file
        accept: [pdf, jpeg]
        max_size_kb: 2048
        max_count: 3
        label: { zh-CN: 护照扫描件, en: Passport scans }
declaration:
  text: { zh-CN: 本人承诺所填信息真实、准确，如有虚假愿承担法律责任。, en: I declare that the information I have given is true and complete. }
  confirm: { zh-CN: 我已阅读并同意上述承诺, en: I agree to this declaration }
"#;

fn form() -> FormDefinition {
    serde_norway::from_str(FORM).expect("the test form parses")
}

/// The demo region with [`FORM`] on [`WITH_FORM`] and no form on [`WITHOUT_FORM`] (whatever
/// the demo catalogue gives them by now), imported before the demo seed, which then adds
/// nothing.
async fn state_with_form(db: &TestDb) -> AppState {
    let mut doc = tongban_services::catalog::demo_document().expect("demo catalogue");
    for service in &mut doc.services {
        // What the demo service issues takes its fields from the demo's own form; with
        // another form (or none) the import would rightly refuse those sources.
        if service.code == WITH_FORM {
            service.form = Some(form());
            service.issues = None;
        } else if service.code == WITHOUT_FORM {
            service.form = None;
            service.issues = None;
        }
    }
    let yaml = serde_norway::to_string(&doc).expect("catalogue as YAML");
    let request = tongban_services::catalog_io::ImportRequest {
        department: None,
        dry_run: false,
        change_note: "form PDF test".to_owned(),
        effective_from: None,
        audit: None,
    };
    tongban_services::catalog_io::import(&db.conn, &yaml, &request, clock().as_ref())
        .await
        .expect("import the catalogue with a form");
    demo_state(db, Mode::Demo).await
}

fn assert_contains(text: &str, phrases: &[String], what: &str) {
    let text = squeezed(text);
    for phrase in phrases {
        assert!(
            text.contains(&squeezed(phrase)),
            "{what}: {phrase:?} missing from the PDF's text:\n{text}"
        );
    }
}

#[tokio::test]
async fn the_blank_form_prints_every_question_with_room_to_answer() {
    let i18n = I18n::load().expect("strings");
    let can_read = pdftotext_available("reading form PDFs back with pdftotext");
    let form = form();
    for db in TestDb::all("form pdf").await {
        let state = state_with_form(&db).await;
        let app = tongban_web::app(state.clone());
        let snapshot = state.snapshots.current();
        let service = &snapshot
            .catalog
            .service(WITH_FORM)
            .expect("service")
            .service;
        assert!(service.form.is_some(), "the form survived the import");
        for locale in [Locale::ZhCn, Locale::En] {
            let tag = locale.tag();
            let reply = get(&app, &format!("/services/{WITH_FORM}/form.pdf?lang={tag}")).await;
            assert_eq!(reply.status, StatusCode::OK, "{tag} {:?}", db.backend);
            assert_eq!(reply.header("content-type"), Some("application/pdf"));
            let disposition = reply.header("content-disposition").expect("disposition");
            assert!(
                disposition.starts_with(&format!(
                    "attachment; filename=\"{WITH_FORM}-form-{tag}.pdf\""
                )),
                "{disposition}"
            );
            let pdf = &reply.body;
            assert!(pdf.starts_with(b"%PDF-"));
            assert!(pdf.len() < 150 * 1024, "{} bytes", pdf.len());
            keep_for_inspection(&format!("{WITH_FORM}-form-{tag}.pdf"), pdf);

            if !can_read {
                continue;
            }
            let text = pdftotext(pdf);
            let tr = i18n.tr(locale);
            let l = |t: &tongban_domain::LocalizedText| t.get(locale).to_owned();
            let mut expected = vec![
                tr.t1("form-pdf-title", "service", service.name.get(locale)),
                tr.t("form-pdf-declaration"),
                l(&form.declaration.text),
                format!("\u{25A1} {}", l(&form.declaration.confirm)),
                tr.t("form-pdf-signature"),
                tr.t("form-pdf-date-blank"),
                tr.t("form-pdf-choose-one"),
                format!("\u{25A1} {}", tr.t("form-pdf-yes")),
                format!("\u{25A1} {}", tr.t("form-pdf-no")),
                // The optional question says so; the conditional page and field say when.
                format!(
                    "{}{}",
                    l(&form.field("note").unwrap().label),
                    tr.t("form-pdf-optional")
                ),
                tr.t1(
                    "form-pdf-only-if",
                    "question",
                    form.field("use").unwrap().label.get(locale),
                ),
                // The group's columns, and which files to attach.
                tr.t1(
                    "form-pdf-group-rows",
                    "item",
                    if locale == Locale::En {
                        "family member"
                    } else {
                        "家属"
                    },
                ),
                tr.t1(
                    "form-pdf-attach-formats",
                    "formats",
                    if locale == Locale::En {
                        "PDF, JPEG"
                    } else {
                        "PDF、JPEG"
                    },
                ),
                tr.t1("form-pdf-attach-size", "size", "2 MB"),
            ];
            for page in &form.pages {
                expected.push(l(&page.title));
            }
            for (_, field) in form.fields() {
                expected.push(l(&field.label));
                if !field.help.is_empty() {
                    expected.push(l(&field.help));
                }
            }
            for key in ["member_name", "member_id"] {
                let label = match &form.field("members").unwrap().kind {
                    tongban_domain::forms::FieldKind::Group { fields, .. } => {
                        fields.iter().find(|f| f.key == key).unwrap().label.clone()
                    }
                    _ => unreachable!(),
                };
                expected.push(l(&label));
            }
            if let tongban_domain::forms::FieldKind::Choice { options } =
                &form.field("use").unwrap().kind
            {
                for option in options {
                    expected.push(format!("\u{25A1} {}", l(&option.label)));
                }
            }
            assert_contains(&text, &expected, tag);
            if locale == Locale::ZhCn {
                assert!(
                    squeezed(&text).contains("年____月____日"),
                    "a date to write"
                );
            } else {
                assert!(text.contains("YYYY-MM-DD"), "the date format, in English");
            }
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn blank_forms_are_cached_and_a_service_without_a_form_has_none() {
    for db in TestDb::all("form pdf cache").await {
        let state = state_with_form(&db).await;
        let app = tongban_web::app(state.clone());
        let before = state.snapshots.current().pages.len();
        let uri = format!("/services/{WITH_FORM}/form.pdf?lang=zh-CN");
        let first = get(&app, &uri).await;
        assert_eq!(first.status, StatusCode::OK);
        let second = get(&app, &uri).await;
        assert_eq!(second.body, first.body);
        assert_eq!(second.header("etag"), first.header("etag"));
        // Uyghur and Tibetan readers get the Chinese form, from the same cache entry.
        for tag in ["ug", "bo"] {
            let reply = get(&app, &format!("/services/{WITH_FORM}/form.pdf?lang={tag}")).await;
            assert_eq!(reply.status, StatusCode::OK);
            assert_eq!(reply.body, first.body, "{tag}");
        }
        assert_eq!(
            state.snapshots.current().pages.len(),
            before + 1,
            "rendered once"
        );

        for uri in [
            format!("/services/{WITHOUT_FORM}/form.pdf"),
            "/services/XX9999/form.pdf".to_owned(),
        ] {
            let reply = get(&app, &uri).await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
            assert!(reply.text().contains("<html"), "the localised 404 page");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn the_guide_links_to_the_blank_form_only_when_there_is_one() {
    for db in TestDb::all("form pdf link").await {
        let app = tongban_web::app(state_with_form(&db).await);
        let i18n = I18n::load().expect("strings");
        for locale in Locale::ALL {
            let tag = locale.tag();
            let html = get(&app, &format!("/services/{WITH_FORM}?lang={tag}"))
                .await
                .text();
            assert!(
                html.contains(&format!(
                    "href=\"/services/{WITH_FORM}/form.pdf?lang={tag}\" type=\"application/pdf\" download"
                )),
                "{tag}"
            );
            assert!(html.contains(&escaped(&i18n.tr(locale).t("form-pdf-download"))));
            let without = get(&app, &format!("/services/{WITHOUT_FORM}?lang={tag}"))
                .await
                .text();
            assert!(!without.contains("/form.pdf"), "{tag}: no form, no link");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_filled_form_prints_answers_masked_and_names_outside_the_bmp_whole() {
    let db = TestDb::sqlite().await;
    let state = state_with_form(&db).await;
    let snapshot = state.snapshots.current();
    let service = &snapshot
        .catalog
        .service(WITH_FORM)
        .expect("service")
        .service;
    let definition = service.form.as_ref().expect("form");

    let text = |v: &str| Answer::Text(v.to_owned());
    let mut member = BTreeMap::new();
    member.insert("member_name".to_owned(), text("李𠀀"));
    member.insert("member_id".to_owned(), text("110105198001010016"));
    let answers: BTreeMap<String, Answer> = [
        ("name", text("王𠀀")),
        ("id_number", text("11010519491231002X")),
        ("phone", text("13800138000")),
        ("born", text("1949-12-31")),
        ("use", text("visa")),
        ("country", text("Deutschland")),
        ("urgent", text("yes")),
        ("members", Answer::Items(vec![member])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();

    let can_read = pdftotext_available("reading form PDFs back with pdftotext");
    for locale in [Locale::ZhCn, Locale::En] {
        let prefs = Prefs {
            locale,
            elder: false,
            remember_locale: false,
        };
        let path = "/applications/cases/1";
        let c = Chrome::new(
            state.i18n.tr(locale),
            prefs,
            true,
            "/static/site.css",
            path,
            &snapshot.catalog,
        );
        let words = tongban_web::form_pdf::display_words(c.tr);
        assert!(words.mask_identifiers);
        let rows = summary_rows(definition, &answers, locale, Divisions::national(), &words);
        let document = tongban_web::form_pdf::filled_form_document(
            &c,
            service,
            "SF-20261126-00012345-K",
            "2026-11-26 10:00",
            &rows,
        );
        let pdf = tongban_pdf::render(&document).expect("renders");
        assert!(pdf.starts_with(b"%PDF-"));
        keep_for_inspection(&format!("{WITH_FORM}-filled-{}.pdf", locale.tag()), &pdf);
        if !can_read {
            continue;
        }
        let out = pdftotext(&pdf);
        let flat = squeezed(&out);
        // 𠀀 (U+20000) is one character: the font's glyph if it has one, else one square.
        let shown = if tongban_pdf::has_glyph('𠀀') {
            '𠀀'
        } else {
            tongban_pdf::REPLACEMENT
        };
        assert!(flat.contains(&format!("王{shown}")), "{out}");
        assert!(
            !flat.contains(&format!("王{shown}{shown}")),
            "not two halves"
        );
        assert!(
            flat.contains(&format!("李{shown}")),
            "group rows too: {out}"
        );
        // Identifiers are masked, in answers and in group tables.
        assert!(flat.contains("110***********002X"), "{out}");
        assert!(flat.contains("110***********0016"), "{out}");
        assert!(
            !flat.contains("11010519491231002X"),
            "the full ID number leaks"
        );
        assert!(
            !flat.contains("110105198001010016"),
            "a member's ID number leaks"
        );
        assert!(!flat.contains("13800138000"), "the mobile number leaks");
        let tr = state.i18n.tr(locale);
        let l = |t: &tongban_domain::LocalizedText| t.get(locale).to_owned();
        assert_contains(
            &out,
            &[
                tr.t1("form-pdf-title", "service", service.name.get(locale)),
                "SF-20261126-00012345-K".to_owned(),
                "2026-11-26 10:00".to_owned(),
                l(&definition.page("family").unwrap().title),
                l(&definition.field("use").unwrap().label),
                // The option's label, not its value.
                if locale == Locale::En {
                    "A visa abroad".to_owned()
                } else {
                    "出国签证".to_owned()
                },
                tr.t("form-pdf-yes"),
                "Deutschland".to_owned(),
                // An optional question left blank says so.
                tr.t("form-pdf-not-answered"),
                l(&definition.declaration.text),
                l(&definition.declaration.confirm),
                tr.t("form-pdf-declared"),
            ],
            locale.tag(),
        );
    }
    db.finish().await;
}
