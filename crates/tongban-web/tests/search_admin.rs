//! Search administration through the browser, on SQLite and PostgreSQL: a system
//! administrator adds, edits and deletes synonym groups with CSRF-protected forms (each change
//! audited, a term already in another group refused with that group named); a department
//! administrator is refused the synonyms but reads the unmet searches; forged forms change
//! nothing.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_domain::Locale;
use tongban_store::testing::TestDb;
use uuid::Uuid;

async fn region(db: &TestDb) -> Uuid {
    tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
        .await
        .unwrap()
        .unwrap()
}

/// The id of the region's group holding `term`.
async fn group_with(db: &TestDb, term: &str) -> Option<Uuid> {
    tongban_store::search_terms::groups_of(&db.conn, region(db).await)
        .await
        .unwrap()
        .into_iter()
        .find(|g| g.terms.iter().any(|t| t == term))
        .map(|g| g.id)
}

/// Actions and actor user names of the audit entries about synonyms.
async fn synonym_audit(db: &TestDb) -> Vec<(String, String)> {
    use tongban_store::sea_orm::{EntityTrait, QueryOrder};
    let entries = tongban_store::entities::audit_entry::Entity::find()
        .order_by_asc(tongban_store::entities::audit_entry::Column::Seq)
        .all(&db.conn)
        .await
        .unwrap();
    let mut out = Vec::new();
    for entry in entries
        .into_iter()
        .filter(|e| e.action.starts_with("search.synonym"))
    {
        let actor = tongban_store::identity::accounts_by_ids(&db.conn, &[entry.actor_id.unwrap()])
            .await
            .unwrap()
            .remove(0)
            .username
            .unwrap_or_default();
        out.push((entry.action, actor));
    }
    out
}

#[tokio::test]
async fn a_system_administrator_adds_edits_and_deletes_synonym_groups() {
    for db in TestDb::all("search_admin_synonyms").await {
        let app = demo_app(&db).await;
        let mut admin = signed_in(app.clone(), "sysadmin").await;
        assert!(
            admin
                .get("/admin")
                .await
                .text()
                .contains("href=\"/admin/search/synonyms\""),
            "the tool is listed for system administrators"
        );
        let list = admin.get("/admin/search/synonyms").await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.header("cache-control"), Some("private, no-store"));
        let html = list.text();
        for seeded in ["营业执照", "个体工商户设立登记", "居民身份证"] {
            assert!(
                html.contains(seeded),
                "the demo group with {seeded} is listed"
            );
        }
        assert!(html.contains("<label for=\"terms\">"));

        // Commas, full-width commas, 、 and new lines all separate terms.
        let created = admin
            .submit(
                "/admin/search/synonyms",
                "/admin/search/synonyms",
                &[("terms", "开饭店，食品经营许可、餐饮许可\n")],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.text());
        assert_eq!(
            created.header("location"),
            Some("/admin/search/synonyms?done=created")
        );
        let id = group_with(&db, "餐饮许可").await.expect("group created");
        let html = admin
            .get("/admin/search/synonyms?done=created")
            .await
            .text();
        assert!(html.contains("Synonym group added"));
        assert!(html.contains(&format!("/admin/search/synonyms/{id}")));

        // A term of another group: refused with an error summary naming that group.
        let refused = admin
            .submit(
                "/admin/search/synonyms",
                "/admin/search/synonyms",
                &[("terms", "开店, 营业执照")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text();
        assert!(html.contains("class=\"error-summary\""));
        assert!(html.contains("href=\"#terms\""));
        assert!(
            html.contains("is already in another group: 营业执照"),
            "{html}"
        );
        assert!(html.contains("个体工商户设立登记"));
        assert!(html.contains("开店, 营业执照"), "what was typed is kept");
        let one = admin
            .submit(
                "/admin/search/synonyms",
                "/admin/search/synonyms",
                &[("terms", "孤零零")],
            )
            .await;
        assert_eq!(one.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(one.text().contains("Enter at least 2 terms"));
        assert!(group_with(&db, "开店").await.is_none());
        assert!(group_with(&db, "孤零零").await.is_none());

        // Edit: the form shows the terms one a line; saving replaces them.
        let edit_path = format!("/admin/search/synonyms/{id}");
        let edit = admin.get(&edit_path).await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(
            edit.text()
                .contains("开饭店\n食品经营许可\n餐饮许可</textarea>")
        );
        let saved = admin
            .submit(&edit_path, &edit_path, &[("terms", "开饭店\n食品经营许可")])
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
        assert_eq!(group_with(&db, "餐饮许可").await, None);
        assert_eq!(group_with(&db, "开饭店").await, Some(id));
        let clash = admin
            .submit(&edit_path, &edit_path, &[("terms", "开饭店\n身份证")])
            .await;
        assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(clash.text().contains("居民身份证"));

        // Delete: a confirmation page first, then the POST.
        let delete_path = format!("/admin/search/synonyms/{id}/delete");
        let confirm = admin.get(&delete_path).await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.text().contains("Delete this synonym group?"));
        assert_eq!(group_with(&db, "开饭店").await, Some(id), "not yet deleted");
        let deleted = admin.submit(&delete_path, &delete_path, &[]).await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER);
        assert_eq!(group_with(&db, "开饭店").await, None);
        assert_eq!(admin.get(&edit_path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            admin.get("/admin/search/synonyms/not-a-uuid").await.status,
            StatusCode::NOT_FOUND
        );

        assert_eq!(
            synonym_audit(&db).await,
            vec![
                ("search.synonym-create".into(), "sysadmin".into()),
                ("search.synonym-update".into(), "sysadmin".into()),
                ("search.synonym-delete".into(), "sysadmin".into()),
            ],
            "{:?}",
            db.backend
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn forged_forms_and_other_roles_change_nothing() {
    for db in TestDb::all("search_admin_forgery").await {
        let app = demo_app(&db).await;
        let id = group_with(&db, "身份证").await.expect("demo group");
        let mut admin = signed_in(app.clone(), "sysadmin").await;
        admin.get("/admin/search/synonyms").await;
        for (path, fields) in [
            (
                "/admin/search/synonyms".to_owned(),
                vec![("terms", "伪造,伪造的"), ("csrf", "forged")],
            ),
            (
                format!("/admin/search/synonyms/{id}"),
                vec![("terms", "伪造,伪造的"), ("csrf", "forged")],
            ),
            (
                format!("/admin/search/synonyms/{id}/delete"),
                vec![("csrf", "")],
            ),
        ] {
            let reply = admin.post(&path, &fields).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        }
        assert!(group_with(&db, "伪造").await.is_none());
        assert_eq!(group_with(&db, "身份证").await, Some(id));

        // A department administrator: no synonyms, with or without a valid token.
        let mut department = signed_in(app.clone(), "sj.admin").await;
        assert_eq!(
            department.get("/admin/search/synonyms").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            department
                .get(&format!("/admin/search/synonyms/{id}"))
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        let csrf = csrf_of(&department.get("/account").await.text());
        let refused = department
            .post(
                &format!("/admin/search/synonyms/{id}/delete"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(group_with(&db, "身份证").await, Some(id));

        let anonymous = get(&app, "/admin/search/synonyms").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert!(anonymous.header("location").unwrap().starts_with("/login"));
        assert!(synonym_audit(&db).await.is_empty());
        db.finish().await;
    }
}

#[tokio::test]
async fn department_administrators_read_the_unmet_searches() {
    for db in TestDb::all("search_admin_misses").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let misses = state.search_misses.clone();
        let app = tongban_web::app(state);
        for _ in 0..3 {
            misses.record("开饭店", Locale::ZhCn);
        }
        misses.record("Business licence", Locale::En);
        misses.record("13800138000", Locale::ZhCn);
        misses.flush().await;

        let mut department = signed_in(app.clone(), "sj.admin").await;
        assert!(
            department
                .get("/admin")
                .await
                .text()
                .contains("href=\"/admin/search/misses\"")
        );
        let page = department.get("/admin/search/misses").await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.text();
        assert!(html.contains("开饭店"));
        assert!(html.contains("business licence"));
        assert!(html.contains(">3</td>"), "the count is shown");
        assert!(html.contains("English"), "the language is named");
        assert!(!html.contains("13800138000"), "personal data is never kept");
        assert!(html.contains("<option value=\"30\" selected>"));
        assert!(
            !html.contains("href=\"/admin/search/synonyms\""),
            "only system administrators are sent to the synonyms"
        );
        let week = department.get("/admin/search/misses?days=7").await.text();
        assert!(week.contains("<option value=\"7\" selected>"));
        assert!(week.contains("开饭店"));
        // A period not offered shows the default one rather than an error.
        let odd = department.get("/admin/search/misses?days=abc").await;
        assert_eq!(odd.status, StatusCode::OK);
        assert!(odd.text().contains("<option value=\"30\" selected>"));

        let mut admin = signed_in(app.clone(), "sysadmin").await;
        let html = admin.get("/admin/search/misses?days=90").await.text();
        assert!(html.contains("开饭店"));
        assert!(html.contains("href=\"/admin/search/synonyms\""));

        let mut reviewer = signed_in(app.clone(), "sj.reviewer").await;
        assert_eq!(
            reviewer.get("/admin/search/misses").await.status,
            StatusCode::FORBIDDEN
        );
        db.finish().await;
    }
}
