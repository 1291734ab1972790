//! Editing workflows in the browser, through the real application on SQLite and PostgreSQL: the
//! page draws the service's workflow and is linked from the service editor; a template fills
//! the text area without saving; a broken definition is listed with each problem's path and
//! line and not saved; a valid one is saved in the draft (audited) and published by the service
//! editor; another department's service is a 404, other roles get a 403, and every post needs
//! the CSRF token.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::testing::TestDb;

const SERVICE: &str = "/admin/catalog/services/SJ0002";
const WORKFLOW: &str = "/admin/catalog/services/SJ0002/workflow";

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

/// Signs in as the SJ administrator and opens a draft of the food business licence.
async fn admin_with_draft(app: &axum::Router) -> (Browser, String) {
    let mut admin = signed_in(app.clone(), "sj.admin").await;
    let page = admin.get(WORKFLOW).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(" readonly"), "read-only without a draft");
    assert!(
        !html.contains("value=\"save\""),
        "no saving without a draft"
    );
    let csrf = csrf_of(&html);
    let opened = admin
        .post(&format!("{SERVICE}/draft"), &[("csrf", csrf.as_str())])
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
async fn the_page_draws_the_workflow_and_offers_templates() {
    for db in TestDb::all("workflow_editor_page").await {
        let app = demo_app(&db).await;
        let (mut admin, _) = admin_with_draft(&app).await;
        let service = admin.get(SERVICE).await.text();
        assert!(service.contains(&format!("href=\"{WORKFLOW}\"")), "linked");

        let html = admin.get(WORKFLOW).await.text();
        let svg = &html[html.find("<svg").expect("a diagram")..html.find("</svg>").unwrap()];
        assert!(svg.contains("role=\"img\"") && svg.contains("<desc"));
        assert!(svg.contains("data-state=\"joint-review\""));
        assert!(
            svg.contains("stroke-dasharray=\"6 4\""),
            "the join is dashed"
        );
        let yaml = textarea(&html, "yaml");
        assert!(yaml.contains("department: WJ"), "{yaml}");
        assert!(!html.contains(" readonly"), "editable in a draft");
        assert!(html.contains("value=\"on-the-spot\""), "templates offered");

        let template = admin.get(&format!("{WORKFLOW}?template=on-the-spot")).await;
        assert_eq!(template.status, StatusCode::OK);
        let html = template.text();
        assert!(textarea(&html, "yaml").contains("start: counter"));
        assert!(
            html.contains("data-state=\"counter\""),
            "the template is drawn"
        );
        // Nothing was stored: the page without the template still shows the service's own.
        let html = admin.get(WORKFLOW).await.text();
        assert!(textarea(&html, "yaml").contains("department: WJ"));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_broken_definition_shows_precise_problems_and_is_not_saved() {
    for db in TestDb::all("workflow_editor_broken").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let yaml = textarea(&admin.get(WORKFLOW).await.text(), "yaml");
        let saves = audit_count(&db, "catalog.draft-save").await;

        let broken = yaml.replacen("role: approver", "role: boss", 1).replacen(
            "all_concur: decision",
            "all_concur: nowhere",
            1,
        );
        assert_ne!(broken, yaml);
        let unknown_role_line = broken
            .lines()
            .position(|l| l.contains("role: boss"))
            .unwrap()
            + 1;
        let reply = admin
            .post(
                WORKFLOW,
                &[("csrf", &csrf), ("op", "save"), ("yaml", &broken)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = reply.text();
        assert!(
            html.contains(&escaped("there is no role \"boss\"")),
            "{html}"
        );
        assert!(html.contains(".tasks[0].role</code>"));
        assert!(
            html.contains(&format!("Line {unknown_role_line},"))
                || html.contains(&format!("第 {unknown_role_line} 行")),
            "the line of the problem: {html}"
        );
        assert!(html.contains(&escaped("there is no state \"nowhere\"")));
        assert!(
            textarea(&html, "yaml").contains("role: boss"),
            "shown as typed"
        );
        assert_eq!(audit_count(&db, "catalog.draft-save").await, saves);
        let stored = textarea(&admin.get(WORKFLOW).await.text(), "yaml");
        assert_eq!(stored, yaml, "nothing saved");

        // Not YAML of a workflow at all: the place of the error, nothing saved.
        let reply = admin
            .post(
                WORKFLOW,
                &[
                    ("csrf", &csrf),
                    ("op", "save"),
                    ("yaml", "start: intake\nstates: []\ncolour: red\n"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = reply.text();
        assert!(html.contains("error-summary"), "{html}");
        assert!(!html.contains("<svg"), "nothing to draw");

        // Check never saves, even a valid definition.
        let changed = yaml.replacen("决定发证", "发证决定", 1);
        let reply = admin
            .post(
                WORKFLOW,
                &[("csrf", &csrf), ("op", "check"), ("yaml", &changed)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.text().contains("发证决定"));
        assert_eq!(audit_count(&db, "catalog.draft-save").await, saves);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_valid_definition_is_saved_and_published() {
    for db in TestDb::all("workflow_editor_save").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let yaml = textarea(&admin.get(WORKFLOW).await.text(), "yaml");
        let saves = audit_count(&db, "catalog.draft-save").await;
        let changed = yaml.replacen("决定发证", "发证决定", 1);
        assert_ne!(changed, yaml);
        let reply = admin
            .post(
                WORKFLOW,
                &[("csrf", &csrf), ("op", "save"), ("yaml", &changed)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
        let location = reply.header("location").unwrap().to_owned();
        assert_eq!(location, format!("{WORKFLOW}?done=saved"));
        let html = admin.get(&location).await.text();
        assert!(html.contains("class=\"notice\" role=\"status\""));
        assert!(textarea(&html, "yaml").contains("发证决定"));
        assert_eq!(audit_count(&db, "catalog.draft-save").await, saves + 1);

        let service = admin.get(SERVICE).await.text();
        let publish = admin
            .post(
                &format!("{SERVICE}/publish"),
                &[
                    ("csrf", csrf_of(&service).as_str()),
                    ("change_note", "办理流程"),
                ],
            )
            .await;
        assert_eq!(publish.status, StatusCode::SEE_OTHER, "{}", publish.text());
        // Without a draft the page shows the published version, read-only.
        let html = admin.get(WORKFLOW).await.text();
        assert!(html.contains(" readonly"));
        assert!(textarea(&html, "yaml").contains("发证决定"));
        assert!(html.contains("发证决定"), "drawn");
        db.finish().await;
    }
}

#[tokio::test]
async fn other_departments_and_roles_are_refused_and_posts_need_the_token() {
    for db in TestDb::all("workflow_editor_scope").await {
        let app = demo_app(&db).await;
        let (mut admin, csrf) = admin_with_draft(&app).await;
        let yaml = textarea(&admin.get(WORKFLOW).await.text(), "yaml");
        let other = "/admin/catalog/services/GA0001/workflow";
        assert_eq!(admin.get(other).await.status, StatusCode::NOT_FOUND);
        for op in ["check", "save"] {
            let reply = admin
                .post(other, &[("csrf", &csrf), ("op", op), ("yaml", &yaml)])
                .await;
            assert_eq!(reply.status, StatusCode::NOT_FOUND, "{op}");
        }
        let saves = audit_count(&db, "catalog.draft-save").await;
        let changed = yaml.replacen("决定发证", "发证决定", 1);
        for token in [None, Some("forged")] {
            let mut fields = vec![("op", "save"), ("yaml", changed.as_str())];
            if let Some(token) = token {
                fields.push(("csrf", token));
            }
            let reply = admin.post(WORKFLOW, &fields).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{token:?}");
        }
        assert_eq!(audit_count(&db, "catalog.draft-save").await, saves);

        for who in ["sj.clerk", "sj.approver", "13800000001"] {
            let mut browser = signed_in(app.clone(), who).await;
            assert_eq!(
                browser.get(WORKFLOW).await.status,
                StatusCode::FORBIDDEN,
                "{who}"
            );
        }
        let anonymous = Browser::new(app.clone()).get(WORKFLOW).await;
        assert!(anonymous.header("location").unwrap().starts_with("/login"));
        db.finish().await;
    }
}
