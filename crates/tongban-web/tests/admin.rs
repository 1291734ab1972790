//! Staff administration through the browser, on SQLite and PostgreSQL: creating staff with a
//! one-time password, the first sign-in that replaces it, what a department administrator may
//! grant, separation of duties, disabling and resetting, and the audit entries all of it leaves.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::identity::LoginKey;
use tongban_store::testing::TestDb;
use uuid::Uuid;

async fn staff_id(db: &TestDb, username: &str) -> Uuid {
    tongban_store::identity::find_by_login(&db.conn, &LoginKey::Username(username.into()))
        .await
        .unwrap()
        .expect("staff account")
        .id
}

async fn department_id(db: &TestDb, code: &str) -> Uuid {
    let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
        .await
        .unwrap()
        .unwrap();
    tongban_store::catalog::department_ids(&db.conn, region)
        .await
        .unwrap()[code]
}

async fn audit_actions(db: &TestDb) -> Vec<String> {
    use tongban_store::sea_orm::EntityTrait;
    tongban_store::entities::audit_entry::Entity::find()
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

/// The initial password on the page shown once after creating or resetting an account.
fn initial_password(html: &str) -> String {
    let marker = "<code id=\"initial-password\">";
    let start = html.find(marker).expect("the initial password is shown") + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_owned()
}

/// Signs in with a password, enrols the authenticator the enrolment page offers, and returns
/// the browser at the point the password change is due.
async fn first_sign_in(app: &axum::Router, username: &str, password: &str) -> Browser {
    let mut browser = Browser::new(app.clone());
    let csrf = csrf_of(&browser.get("/login").await.text());
    let reply = browser
        .post(
            "/login",
            &[
                ("identifier", username),
                ("password", password),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    assert_eq!(
        browser.get("/account").await.header("location"),
        Some("/account/second-factor"),
        "the authenticator comes first"
    );
    let html = browser.get("/account/second-factor").await.text();
    let secret = html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split("</code>")
        .next()
        .unwrap()
        .to_owned();
    let sealed = {
        let marker = "name=\"sealed\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        html[start..start + html[start..].find('"').unwrap()].to_owned()
    };
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let code = tongban_services::crypto::totp_at_step(
        &bytes,
        tongban_services::crypto::totp_step(clock().0.timestamp()),
        6,
    );
    let done = browser
        .post(
            "/account/second-factor",
            &[
                ("sealed", &sealed),
                ("code", &code),
                ("csrf", &csrf_of(&html)),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    browser
}

#[tokio::test]
async fn a_security_administrator_creates_staff_who_replace_their_initial_password() {
    for db in TestDb::all("staff_create").await {
        let app = demo_app(&db).await;
        let sj = department_id(&db, "SJ").await;
        let mut admin = signed_in(app.clone(), "secadmin").await;
        assert!(
            admin
                .get("/account")
                .await
                .text()
                .contains("href=\"/admin\""),
            "administrators find their tools from the account page"
        );
        // Case handlers find their workbench among the tools; hall staff hold no tool.
        let mut reviewer = signed_in(app.clone(), "sj.reviewer").await;
        assert!(
            reviewer
                .get("/account")
                .await
                .text()
                .contains("href=\"/admin\"")
        );
        assert!(
            reviewer
                .get("/admin")
                .await
                .text()
                .contains("href=\"/workbench\"")
        );
        let mut hall = signed_in(app.clone(), "hall.staff").await;
        assert!(
            !hall
                .get("/account")
                .await
                .text()
                .contains("href=\"/admin\"")
        );
        let page = admin.get("/admin/staff/new").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = csrf_of(&page.text());

        // Every problem at once, each linked to its field, nothing created.
        let refused = admin
            .post(
                "/admin/staff/new",
                &[
                    ("username", "13800000009"),
                    ("name", ""),
                    ("role", "system-admin"),
                    ("role", "auditor"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = refused.text();
        for expected in [
            "href=\"#username\"",
            "href=\"#name\"",
            "href=\"#roles\"",
            "cannot be held by one account",
        ] {
            assert!(html.contains(expected), "missing {expected}");
        }
        let taken = admin
            .post(
                "/admin/staff/new",
                &[
                    ("username", "sj.clerk"),
                    ("name", "重名"),
                    ("department", &sj.to_string()),
                    ("role", "reviewer"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert!(taken.text().contains("This user name is taken"));

        let created = admin
            .post(
                "/admin/staff/new",
                &[
                    ("username", "Liu.Fang"),
                    ("name", "刘芳"),
                    ("department", &sj.to_string()),
                    ("role", "reviewer"),
                    ("role", "approver"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.text());
        assert_eq!(created.header("cache-control"), Some("private, no-store"));
        let password = initial_password(&created.text());
        let id = staff_id(&db, "liu.fang").await;
        let list = admin.get("/admin/staff").await.text();
        assert!(list.contains(&format!("/admin/staff/{id}")));
        let member = admin.get(&format!("/admin/staff/{id}")).await.text();
        assert!(member.contains("Approver") && member.contains("Reviewer"));
        assert!(member.contains("Must replace the administrator"));
        assert!(
            !member.contains(&password),
            "the initial password is never shown again"
        );

        // First sign-in: authenticator, then a password of their own, then the pages.
        let mut newcomer = first_sign_in(&app, "liu.fang", &password).await;
        let gated = newcomer.get("/account").await;
        assert_eq!(gated.header("location"), Some("/account/password"));
        let page = newcomer.get("/account/password").await;
        assert!(page.text().contains("An administrator set your password"));
        let changed = newcomer
            .post(
                "/account/password",
                &[
                    ("current", &password),
                    ("new", "Spring-Rain-Over-Hills-7"),
                    ("confirm", "Spring-Rain-Over-Hills-7"),
                    ("csrf", &csrf_of(&page.text())),
                ],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
        assert_eq!(newcomer.get("/account").await.status, StatusCode::OK);

        let actions = audit_actions(&db).await;
        assert!(actions.iter().any(|a| a == "identity.staff-create"));
        assert!(actions.iter().any(|a| a == "identity.password-change"));
        db.finish().await;
    }
}

#[tokio::test]
async fn department_administrators_grant_only_working_roles_in_their_own_department() {
    for db in TestDb::all("staff_department_admin").await {
        let app = demo_app(&db).await;
        let clerk = staff_id(&db, "sj.clerk").await;
        let ga = department_id(&db, "GA").await;
        let mut admin = signed_in(app.clone(), "sj.admin").await;
        let page = admin.get(&format!("/admin/staff/{clerk}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = csrf_of(&page.text());
        let html = page.text();
        assert!(
            !html.contains("value=\"security-admin\""),
            "only grantable roles are offered"
        );

        for (role, department) in [
            ("department-admin", String::new()),
            ("security-admin", String::new()),
            ("reviewer", ga.to_string()),
        ] {
            let refused = admin
                .post(
                    &format!("/admin/staff/{clerk}/roles"),
                    &[("role", role), ("department", &department), ("csrf", &csrf)],
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
            assert!(refused.text().contains("You may not grant this role"));
        }
        let granted = admin
            .post(
                &format!("/admin/staff/{clerk}/roles"),
                &[("role", "approver"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(
            granted.header("location").map(str::to_owned),
            Some(format!("/admin/staff/{clerk}?done=granted"))
        );
        // Their own account is not theirs to administer, even by id.
        let own = staff_id(&db, "sj.admin").await;
        assert_eq!(
            admin.get(&format!("/admin/staff/{own}")).await.status,
            StatusCode::NOT_FOUND
        );
        // A POST without its token changes nothing.
        let forged = admin
            .post(
                &format!("/admin/staff/{clerk}/roles"),
                &[("role", "content-editor")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let roles = tongban_store::identity::roles_of(&db.conn, clerk)
            .await
            .unwrap();
        let mut keys: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
        keys.sort();
        assert_eq!(keys, ["approver", "front-desk-clerk"]);
        assert!(
            audit_actions(&db)
                .await
                .iter()
                .any(|a| a == "identity.role-grant")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn no_account_combines_two_of_the_three_administrators() {
    for db in TestDb::all("staff_separation").await {
        let app = demo_app(&db).await;
        let auditor = staff_id(&db, "auditor").await;
        let sysadmin = staff_id(&db, "sysadmin").await;
        let own = staff_id(&db, "secadmin").await;
        let mut admin = signed_in(app.clone(), "secadmin").await;
        let csrf = csrf_of(&admin.get("/admin/staff").await.text());
        let csrf = if csrf.is_empty() {
            csrf_of(&admin.get("/account").await.text())
        } else {
            csrf
        };
        for (target, role) in [
            (auditor, "system-admin"),
            (sysadmin, "security-admin"),
            (sysadmin, "auditor"),
            (auditor, "reviewer"),
        ] {
            let refused = admin
                .post(
                    &format!("/admin/staff/{target}/roles"),
                    &[
                        ("role", role),
                        ("department", &department_id(&db, "SJ").await.to_string()),
                        ("csrf", &csrf),
                    ],
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{role}");
            assert!(refused.text().contains("cannot be held by one account"));
        }
        // Nor does an administrator raise or lower their own rights.
        let own_grant = admin
            .post(
                &format!("/admin/staff/{own}/roles"),
                &[("role", "supervisor"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(own_grant.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            own_grant
                .text()
                .contains("cannot change the roles or status of their own")
        );
        for id in [auditor, sysadmin, own] {
            assert_eq!(
                tongban_store::identity::roles_of(&db.conn, id)
                    .await
                    .unwrap()
                    .len(),
                1
            );
        }
        db.finish().await;
    }
}

/// The CSRF token of any page with a form for this signed-in browser.
async fn token(browser: &mut Browser) -> String {
    csrf_of(&browser.get("/account").await.text())
}

#[tokio::test]
async fn disabling_signs_out_at_once_and_a_reset_hands_over_new_credentials() {
    for db in TestDb::all("staff_disable_reset").await {
        let app = demo_app(&db).await;
        let reviewer = staff_id(&db, "sj.reviewer").await;
        let mut victim = signed_in(app.clone(), "sj.reviewer").await;
        assert_eq!(victim.get("/account").await.status, StatusCode::OK);

        let mut admin = signed_in(app.clone(), "secadmin").await;
        let csrf = token(&mut admin).await;
        let disabled = admin
            .post(
                &format!("/admin/staff/{reviewer}/status"),
                &[("active", "false"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(disabled.status, StatusCode::SEE_OTHER);
        assert_eq!(
            victim.get("/account").await.header("location"),
            Some("/login?next=/account"),
            "the open session ended"
        );
        let mut again = Browser::new(app.clone());
        let login_csrf = csrf_of(&again.get("/login").await.text());
        let refused = again
            .post(
                "/login",
                &[
                    ("identifier", "sj.reviewer"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &login_csrf),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

        admin
            .post(
                &format!("/admin/staff/{reviewer}/status"),
                &[("active", "true"), ("csrf", &csrf)],
            )
            .await;
        let reset = admin
            .post(
                &format!("/admin/staff/{reviewer}/reset"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(reset.status, StatusCode::OK, "{}", reset.text());
        let password = initial_password(&reset.text());
        // The old password is gone; the new one leads to a fresh enrolment.
        let mut old = Browser::new(app.clone());
        let login_csrf = csrf_of(&old.get("/login").await.text());
        let stale = old
            .post(
                "/login",
                &[
                    ("identifier", "sj.reviewer"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &login_csrf),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::UNAUTHORIZED);
        let mut fresh = first_sign_in(&app, "sj.reviewer", &password).await;
        assert_eq!(
            fresh.get("/account").await.header("location"),
            Some("/account/password")
        );
        let actions = audit_actions(&db).await;
        for expected in [
            "identity.staff-disable",
            "identity.staff-enable",
            "identity.staff-credentials-reset",
        ] {
            assert!(actions.iter().any(|a| a == expected), "{expected}");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn under_the_strict_policy_old_staff_passwords_must_be_replaced() {
    use tongban_services::identity::password::PasswordPolicy;
    use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    for db in TestDb::all("staff_password_age").await {
        let clock = clock();
        tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
            .await
            .unwrap();
        let mut identity = identity(&db);
        identity.settings.policy = PasswordPolicy::Strict;
        identity.seed_demo_accounts(clock.as_ref()).await.unwrap();
        let state = tongban_web::AppState::load(
            db.conn.clone(),
            settings(tongban_web::Mode::Demo),
            clock.clone(),
            identity,
            SECRET,
        )
        .await
        .unwrap();
        let app = tongban_web::app(state);
        use tongban_store::entities::account;
        account::Entity::update_many()
            .col_expr(
                account::Column::PasswordChangedAt,
                Expr::value(clock.0 - chrono::Duration::days(91)),
            )
            .filter(account::Column::Username.is_in(["sj.clerk", "sj.reviewer"]))
            .exec(&db.conn)
            .await
            .unwrap();
        // People are not subject to the staff rule.
        let mut person = signed_in(app.clone(), "13800000001").await;
        assert_eq!(person.get("/account").await.status, StatusCode::OK);

        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let gated = clerk.get("/account/inbox").await;
        assert_eq!(gated.header("location"), Some("/account/password"));
        let page = clerk.get("/account/password").await;
        assert!(page.text().contains("older than this platform allows"));
        let changed = clerk
            .post(
                "/account/password",
                &[
                    ("current", DEMO_PASSWORD),
                    ("new", "Autumn-Leaves-Fall-42"),
                    ("confirm", "Autumn-Leaves-Fall-42"),
                    ("csrf", &csrf_of(&page.text())),
                ],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.text());
        assert_eq!(clerk.get("/account/inbox").await.status, StatusCode::OK);
        db.finish().await;
    }
}

#[tokio::test]
async fn auditors_read_their_regions_trail_and_find_tampering() {
    use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    for db in TestDb::all("audit_trail").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let doc = tongban_services::catalog::parse_document(
            r#"
schema: tongban/catalog/v1
region:
  code: "990200"
  name: { zh-CN: 邻市 }
  timezone: Asia/Shanghai
  contact: { phone: "12345" }
halls: []
departments: []
services: []
"#,
        )
        .unwrap();
        tongban_store::catalog::insert_missing(&db.conn, &doc, clock().0)
            .await
            .unwrap();
        state
            .identity
            .create_staff_from_console(
                clock().as_ref(),
                "990200",
                &tongban_services::identity::staff::NewStaff {
                    username: "neighbour.admin".into(),
                    name: "邻市管理员".into(),
                    department_id: None,
                    roles: vec![tongban_domain::access::Role::SecurityAdmin],
                },
            )
            .await
            .unwrap();
        let app = tongban_web::app(state);
        // Something to find: a security administrator of this region creates an account.
        let mut admin = signed_in(app.clone(), "secadmin").await;
        let csrf = csrf_of(&admin.get("/admin/staff/new").await.text());
        admin
            .post(
                "/admin/staff/new",
                &[
                    ("username", "hall.two"),
                    ("name", "何静"),
                    ("role", "hall-staff"),
                    ("csrf", &csrf),
                ],
            )
            .await;

        let mut auditor = signed_in(app.clone(), "auditor").await;
        let trail = auditor.get("/admin/audit").await;
        assert_eq!(trail.status, StatusCode::OK);
        let html = trail.text();
        assert!(html.contains("identity.staff-create"));
        assert!(html.contains("hall.two"), "the entry's details are shown");
        assert!(
            !html.contains("neighbour.admin"),
            "another region's entries stay there"
        );
        let filtered = auditor
            .get("/admin/audit?action=identity.login&outcome=success")
            .await
            .text();
        assert!(filtered.contains("identity.login"));
        assert!(!filtered.contains("identity.staff-create"));

        let csrf = csrf_of(&html);
        let verdict = auditor
            .post("/admin/audit/verify", &[("csrf", &csrf)])
            .await;
        assert!(verdict.text().contains("The trail is intact"));
        // Someone with database access rewrites history; the check finds where.
        use tongban_store::entities::audit_entry;
        audit_entry::Entity::update_many()
            .col_expr(audit_entry::Column::Outcome, Expr::value("failure"))
            .filter(audit_entry::Column::Action.eq("identity.staff-create"))
            .exec(&db.conn)
            .await
            .unwrap();
        let verdict = auditor
            .post("/admin/audit/verify", &[("csrf", &csrf)])
            .await;
        assert!(verdict.text().contains("The trail was tampered with"));
        let actions = audit_actions(&db).await;
        assert!(actions.iter().any(|a| a == "audit.view"));
        assert!(actions.iter().any(|a| a == "audit.verify"));
        db.finish().await;
    }
}
