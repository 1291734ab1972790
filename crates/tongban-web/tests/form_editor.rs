//! Editing application forms in the browser, through the real application on SQLite and
//! PostgreSQL: a department administrator adds, moves and removes questions and edits a
//! choice's options; the whole form round-trips through YAML; a condition on an unknown field
//! and a duplicate key are saved but listed with their path and place, and publishing refuses
//! them with the same message; the preview is the applicant's own page; another department's
//! service is a 404 on every route, and every change needs the CSRF token.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::testing::TestDb;

const SERVICE: &str = "/admin/catalog/services/SJ0001";
const FORM: &str = "/admin/catalog/services/SJ0001/form";

fn unescape(text: &str) -> String {
    text.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

/// The text of the text area called `name`.
fn textarea(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("a text area {name}"));
    let body = &html[start + html[start..].find('>').unwrap() + 1..];
    unescape(&body[..body.find("</textarea>").unwrap()])
}

/// The draft's form as the JSON download gives it.
async fn form_json(admin: &mut Browser) -> serde_json::Value {
    let reply = admin.get(&format!("{FORM}.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment"))
    );
    serde_json::from_slice(&reply.body).expect("JSON")
}

fn keys(form: &serde_json::Value, page: usize) -> Vec<String> {
    form["pages"][page]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap().to_owned())
        .collect()
}

/// Signs in as the SJ administrator and opens a draft through the form editor.
async fn admin_with_draft(app: &axum::Router) -> (Browser, String) {
    let mut admin = signed_in(app.clone(), "sj.admin").await;
    let page = admin.get(FORM).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("op\" value=\"open-draft"), "no draft yet");
    assert!(
        !html.contains("value=\"remove\""),
        "read-only without a draft"
    );
    let csrf = csrf_of(&html);
    let opened = admin
        .post(
            &format!("{FORM}/edit"),
            &[("csrf", csrf.as_str()), ("op", "open-draft")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    (admin, csrf)
}

async fn audit_count(db: &TestDb, action: &str) -> usize {
    use tongban_store::sea_orm::EntityTrait;
    tongban_store::entities::audit_entry::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

#[tokio::test]
async fn questions_are_added_moved_removed_and_their_options_edited() {
    for db in TestDb::all("form_editor_fields").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let service = admin.get(SERVICE).await.text();
        assert!(service.contains(&format!("href=\"{FORM}\"")), "linked");
        let edit = format!("{FORM}/edit");
        let before = form_json(&mut admin).await;
        assert_eq!(keys(&before, 0).len(), 4);

        let added = admin
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("op", "add"),
                    ("at", "pages[0]"),
                    ("type", "choice"),
                    ("key", "colour"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
        let location = added.header("location").unwrap().to_owned();
        assert!(
            location.contains("field=pages[0].fields[4]"),
            "the new field is selected: {location}"
        );
        let page = admin.get(&location).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("<code>colour</code>"));
        assert!(html.contains("id=\"panel\""), "its properties are shown");
        assert!(
            html.contains("pages[0].fields[4].options"),
            "a choice without options is a problem, with its path"
        );
        assert_eq!(keys(&form_json(&mut admin).await, 0)[4], "colour");

        let moved = admin
            .post(
                &edit,
                &[("csrf", &csrf), ("op", "up"), ("at", "pages[0].fields[4]")],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER);
        assert_eq!(
            keys(&form_json(&mut admin).await, 0),
            [
                "age_ok",
                "barred",
                "organisation",
                "colour",
                "premises_kind"
            ]
        );

        // The properties panel: labels, required, and the options list.
        let saved = admin
            .post(
                &format!("{FORM}/field"),
                &[
                    ("csrf", &csrf),
                    ("at", "pages[0].fields[3]"),
                    ("key", "colour"),
                    ("label.zh-CN", "颜色"),
                    ("label.en", "Colour"),
                    ("help.zh-CN", ""),
                    ("options[0].value", "red"),
                    ("options[0].label.zh-CN", "红"),
                    ("options[1].value", "blue"),
                    ("options[1].label.zh-CN", "蓝"),
                    ("options[1].label.en", "Blue"),
                    ("options[2].value", ""),
                    ("options[2].label.zh-CN", ""),
                    ("prefill", ""),
                    ("show_if", "equals: { field: organisation, value: family }"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
        let form = form_json(&mut admin).await;
        let field = &form["pages"][0]["fields"][3];
        assert_eq!(field["label"]["en"], "Colour");
        assert_eq!(field["required"], false, "the box was not ticked");
        assert_eq!(field["options"].as_array().unwrap().len(), 2);
        assert_eq!(field["options"][1]["label"]["en"], "Blue");
        assert_eq!(field["show_if"]["equals"]["field"], "organisation");
        let panel = admin
            .get(&format!("{FORM}?field=pages[0].fields[3]"))
            .await
            .text();
        assert!(
            panel.contains("value=\"blue\""),
            "options shown for editing"
        );
        assert!(
            !panel.contains("pages[0].fields[3].options"),
            "two options fix the problem"
        );

        // A show_if that is not YAML is refused with its place, and nothing is saved.
        let refused = admin
            .post(
                &format!("{FORM}/field"),
                &[
                    ("csrf", &csrf),
                    ("at", "pages[0].fields[3]"),
                    ("key", "colour"),
                    ("label.zh-CN", "颜色改"),
                    ("show_if", "equals: { field: [unclosed"),
                    ("max", "x"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text();
        assert!(text.contains("Line 1, column"), "{text}");
        assert!(text.contains("value=\"颜色改\""), "shown as typed");
        assert_eq!(
            form_json(&mut admin).await["pages"][0]["fields"][3]["label"]["zh-CN"],
            "颜色"
        );

        let removed = admin
            .post(
                &edit,
                &[
                    ("csrf", &csrf),
                    ("op", "remove"),
                    ("at", "pages[0].fields[3]"),
                ],
            )
            .await;
        assert_eq!(removed.status, StatusCode::SEE_OTHER);
        assert_eq!(form_json(&mut admin).await, before, "back where it started");
        assert_eq!(
            audit_count(&db, "catalog.draft-save").await,
            4,
            "every change is an audited draft save"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn yaml_round_trips_and_problems_are_saved_but_block_publishing() {
    for db in TestDb::all("form_editor_yaml").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let yaml_url = format!("{FORM}/yaml");
        let before = form_json(&mut admin).await;
        let yaml = textarea(&admin.get(&yaml_url).await.text(), "yaml");
        assert!(yaml.contains("key: premises_kind"), "{yaml}");
        let same = admin
            .post(&yaml_url, &[("csrf", &csrf), ("yaml", &yaml)])
            .await;
        assert_eq!(same.status, StatusCode::SEE_OTHER);
        assert_eq!(form_json(&mut admin).await, before, "round trip");

        let broken = admin
            .post(
                &yaml_url,
                &[
                    ("csrf", &csrf),
                    ("yaml", "pages:\n  - key: a\n    colour: red\n"),
                ],
            )
            .await;
        assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(broken.text().contains("Line "), "a place is given");
        assert_eq!(form_json(&mut admin).await, before, "nothing saved");

        // A condition on a field that does not exist: saved, listed, and not publishable.
        let unknown = yaml.replacen(
            "equals: { field: premises_kind, value: physical }",
            "equals: { field: nowhere, value: physical }",
            1,
        );
        let unknown = if unknown == yaml {
            // The serialiser writes block mappings.
            yaml.replacen("field: premises_kind", "field: nowhere", 1)
        } else {
            unknown
        };
        assert_ne!(unknown, yaml);
        let saved = admin
            .post(&yaml_url, &[("csrf", &csrf), ("yaml", &unknown)])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
        let message = escaped("refers to unknown field \"nowhere\"");
        let page = admin.get(FORM).await.text();
        assert!(page.contains(&message), "{page}");
        assert!(page.contains("<code>pages[3].show_if</code>"));
        assert!(
            page.contains("href=\"/admin/catalog/services/SJ0001/form?page=pages[3]#panel\">Page “premises”</a>"),
            "the place, linked to what to fix"
        );
        let service = admin.get(SERVICE).await.text();
        let publish = admin
            .post(
                &format!("{SERVICE}/publish"),
                &[
                    ("csrf", csrf_of(&service).as_str()),
                    ("change_note", "表单"),
                ],
            )
            .await;
        assert_eq!(publish.status, StatusCode::UNPROCESSABLE_ENTITY);
        let refused = publish.text();
        assert!(refused.contains(&message), "the same message: {refused}");
        assert!(refused.contains("Application form · pages[3].show_if: "));
        assert!(
            refused.contains("href=\"#form\""),
            "linked to the form editor's link"
        );

        // A duplicate key: the second one is named with the page of the first.
        let duplicate = yaml.replacen("key: barred", "key: age_ok", 1);
        assert_ne!(duplicate, yaml);
        admin
            .post(&yaml_url, &[("csrf", &csrf), ("yaml", &duplicate)])
            .await;
        let page = admin.get(FORM).await.text();
        assert!(
            page.contains(&escaped(
                "duplicate field key \"age_ok\" (also on page \"eligibility\")"
            )),
            "{page}"
        );
        assert!(page.contains("<code>pages[0].fields[1].key</code>"));
        assert!(page.contains("?field=pages[0].fields[1]#panel"));
        db.finish().await;
    }
}

#[tokio::test]
async fn the_preview_is_the_applicants_page() {
    for db in TestDb::all("form_editor_preview").await {
        let app = demo_app(&db).await;
        let mut admin = signed_in(app.clone(), "sj.admin").await;
        // Without a draft the published form is previewed.
        let reply = admin.get(&format!("{FORM}/preview?page=operator")).await;
        assert_eq!(reply.status, StatusCode::OK);
        let html = reply.text();
        assert!(html.contains("Full name"), "the field's label, in English");
        assert!(
            html.contains("this is what applicants will see"),
            "the banner"
        );
        assert!(
            html.contains("name=\"operator_name\""),
            "the applicant's input"
        );
        assert!(
            !html.contains("type=\"submit\" class=\"button\">"),
            "no continue"
        );
        assert!(
            html.contains("href=\"/admin/catalog/services/SJ0001/form/preview?page=business\""),
            "links to the other pages"
        );
        let chinese = admin
            .get(&format!("{FORM}/preview?page=operator&lang=zh-CN"))
            .await
            .text();
        assert!(chinese.contains("经营者姓名"));
        // Questions asked only after some answers are shown too.
        let premises = admin.get(&format!("{FORM}/preview?page=premises")).await;
        assert!(
            premises
                .text()
                .contains("name=\"premises_address.province\"")
        );
        assert_eq!(
            admin
                .get(&format!("{FORM}/preview?page=nowhere"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn another_departments_form_is_not_found_and_changes_need_the_token() {
    for db in TestDb::all("form_editor_scope").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let other = "/admin/catalog/services/GA0001/form";
        for path in [
            other.to_owned(),
            format!("{other}/yaml"),
            format!("{other}/preview"),
            "/admin/catalog/services/GA0001/form.json".to_owned(),
        ] {
            assert_eq!(
                admin.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        for (path, op) in [
            ("edit", "open-draft"),
            ("edit", "remove"),
            ("field", ""),
            ("page", ""),
            ("declaration", ""),
            ("yaml", ""),
        ] {
            let reply = admin
                .post(
                    &format!("{other}/{path}"),
                    &[
                        ("csrf", csrf.as_str()),
                        ("op", op),
                        ("at", "pages[0].fields[0]"),
                        ("yaml", "pages: []"),
                    ],
                )
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path} {op}");
        }
        let before = form_json(&mut admin).await;
        for (path, fields) in [
            ("edit", vec![("op", "remove"), ("at", "pages[0].fields[0]")]),
            ("yaml", vec![("yaml", "")]),
            ("declaration", vec![("text.zh-CN", "改")]),
        ] {
            let reply = admin.post(&format!("{FORM}/{path}"), &fields).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path} without a token"
            );
            let mut wrong = fields.clone();
            wrong.push(("csrf", "forged"));
            let reply = admin.post(&format!("{FORM}/{path}"), &wrong).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path} with a forged token"
            );
        }
        assert_eq!(form_json(&mut admin).await, before, "nothing changed");
        // People and other staff are refused; strangers are sent to sign in.
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        assert_eq!(clerk.get(FORM).await.status, StatusCode::FORBIDDEN);
        let anonymous = Browser::new(app.clone()).get(FORM).await;
        assert!(anonymous.header("location").unwrap().starts_with("/login"));
        db.finish().await;
    }
}
