//! Signing in and out through the real router, on SQLite and PostgreSQL: CSRF on every form,
//! cookies, masking, throttling and signed-in pages that are never cached.

mod common;

use axum::http::StatusCode;
use common::*;
use tongban_store::testing::TestDb;

use common::browser::*;

#[tokio::test]
async fn a_person_signs_in_sees_masked_identifiers_and_signs_out() {
    for db in TestDb::all("web sign-in").await {
        let app = demo_app(&db).await;
        let mut browser = Browser::new(app);
        let page = browser.get("/login").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(browser.has_cookie("tb_csrf"), "the form's CSRF seed is set");
        let html = page.text();
        assert!(html.contains("autocomplete=\"current-password\""));
        assert!(
            html.contains("Demo accounts"),
            "demo mode lists its accounts"
        );
        let csrf = csrf_of(&html);

        let reply = browser
            .post(
                "/login",
                &[
                    ("identifier", "13800000001"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/account"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(reply.header("location"), Some("/account"));
        let cookie = reply.header("set-cookie").unwrap();
        assert!(
            cookie.starts_with("tb_session=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );

        let account = browser.get("/account").await;
        assert_eq!(account.status, StatusCode::OK);
        let html = account.text();
        assert!(html.contains("990***********1233"), "masked ID shown");
        assert!(html.contains("138****0001"), "masked mobile shown");
        assert!(
            !html.contains("990102199003071233") && !html.contains("13800000001"),
            "never in full"
        );
        assert_eq!(account.header("cache-control"), Some("private, no-store"));

        // Public pages show who is signed in and are not served from the shared cache.
        let home = browser.get("/").await;
        assert!(home.text().contains("张三"));
        assert_eq!(home.header("cache-control"), Some("private, no-store"));
        let anonymous = get(&demo_app_cached(&db).await, "/").await;
        assert!(!anonymous.text().contains("张三"));

        let csrf = csrf_of(&home.text());
        let out = browser.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(!browser.has_cookie("tb_session"));
        let after = browser.get("/account").await;
        assert_eq!(after.status, StatusCode::SEE_OTHER);
        assert_eq!(after.header("location"), Some("/login?next=/account"));
        db.finish().await;
    }
}

async fn demo_app_cached(db: &TestDb) -> axum::Router {
    tongban_web::app(demo_state(db, tongban_web::Mode::Demo).await)
}

#[tokio::test]
async fn every_form_post_without_its_csrf_token_is_refused() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    // Signed out: the sign-in form.
    let mut browser = Browser::new(app.clone());
    browser.get("/login").await;
    for token in ["", "forged"] {
        let reply = browser
            .post(
                "/login",
                &[
                    ("identifier", "13800000001"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", token),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.text().contains("This form has expired"));
        assert!(!browser.has_cookie("tb_session"));
    }
    // Signed in: sign-out and sign-out-everywhere.
    let mut browser = signed_in(app.clone(), "ga.clerk").await;
    for path in ["/logout", "/account/sign-out-everywhere"] {
        let reply = browser.post(path, &[("csrf", "forged")]).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        browser.get("/account").await.status,
        StatusCode::OK,
        "still signed in"
    );
    // A token from another browser's session does not work either.
    let other = signed_in(app.clone(), "sj.clerk").await;
    let mut other = other;
    let foreign = csrf_of(&other.get("/account").await.text());
    assert_eq!(
        browser.post("/logout", &[("csrf", &foreign)]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn wrong_passwords_get_a_localised_error_and_then_back_off() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let mut browser = Browser::new(app);
    let csrf = csrf_of(&browser.get("/login").await.text());
    let empty = browser
        .post(
            "/login",
            &[("identifier", ""), ("password", ""), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = empty.text();
    assert!(html.contains("There is a problem"));
    assert!(
        html.contains("href=\"#identifier\""),
        "the summary links to the field"
    );
    assert!(html.contains("Enter your password"));

    for _ in 0..5 {
        let reply = browser
            .post(
                "/login",
                &[
                    ("identifier", "sj.admin"),
                    ("password", "wrong password"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert!(
            reply
                .text()
                .contains("The account or password is not right")
        );
        assert!(
            reply.text().contains("value=\"sj.admin\""),
            "what was typed is kept"
        );
    }
    let blocked = browser
        .post(
            "/login",
            &[
                ("identifier", "sj.admin"),
                ("password", DEMO_PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.header("retry-after").is_some());
    assert!(
        blocked
            .text()
            .contains("Too many attempts. Try again in 1 minute")
    );
}

#[tokio::test]
async fn staff_see_their_roles_and_sign_out_everywhere() {
    for db in TestDb::all("web roles").await {
        let app = demo_app(&db).await;
        let mut first = signed_in(app.clone(), "sj.reviewer").await;
        let mut second = signed_in(app.clone(), "sj.reviewer").await;
        let account = first.get("/account").await.text();
        assert!(account.contains("Reviewer"));
        assert!(
            account.contains("Market Regulation"),
            "the department of the grant"
        );
        assert!(account.contains("This browser"));

        let csrf = csrf_of(&account);
        let reply = first
            .post("/account/sign-out-everywhere", &[("csrf", &csrf)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(
            second.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "the other browser is signed out too"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn sign_in_never_redirects_off_site() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let mut browser = Browser::new(app);
    let csrf = csrf_of(&browser.get("/login?next=//evil.example").await.text());
    let reply = browser
        .post(
            "/login",
            &[
                ("identifier", "ga.clerk"),
                ("password", DEMO_PASSWORD),
                ("csrf", &csrf),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(reply.header("location"), Some("/account"));
}

#[tokio::test]
async fn a_password_change_checks_everything_and_signs_out_other_browsers() {
    for db in TestDb::all("password change").await {
        let app = demo_app(&db).await;
        let mut browser = signed_in(app.clone(), "13800000004").await;
        let mut elsewhere = signed_in(app.clone(), "13800000004").await;
        let form = browser.get("/account/password").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = csrf_of(&form.text());

        let attempt = |current: &'static str, new: &'static str, confirm: &'static str| {
            [("current", current), ("new", new), ("confirm", confirm)]
        };
        let cases = [
            (
                attempt("", "a long new passphrase", "a long new passphrase"),
                "Enter your current password",
            ),
            (
                attempt(DEMO_PASSWORD, "a long new passphrase", "another passphrase"),
                "The two new passwords are not the same",
            ),
            (
                attempt(
                    "not my password",
                    "a long new passphrase",
                    "a long new passphrase",
                ),
                "Your current password is not right",
            ),
            (
                attempt(DEMO_PASSWORD, "short", "short"),
                "at least 10 characters",
            ),
            (
                attempt(DEMO_PASSWORD, "password123", "password123"),
                "too common",
            ),
            (
                attempt(
                    DEMO_PASSWORD,
                    "my 13800000004 phone",
                    "my 13800000004 phone",
                ),
                "must not contain your name",
            ),
        ];
        for (fields, expected) in cases {
            let mut form: Vec<(&str, &str)> = fields.to_vec();
            form.push(("csrf", &csrf));
            let reply = browser.post("/account/password", &form).await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{expected}");
            assert!(
                reply.text().contains(expected),
                "{expected}: {}",
                reply.text()
            );
        }
        let no_token = browser
            .post(
                "/account/password",
                &[
                    ("current", DEMO_PASSWORD),
                    ("new", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                ],
            )
            .await;
        assert_eq!(no_token.status, StatusCode::FORBIDDEN);

        let done = browser
            .post(
                "/account/password",
                &[
                    ("current", DEMO_PASSWORD),
                    ("new", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        assert_eq!(done.header("location"), Some("/account?done=password"));
        let account = browser.get("/account?done=password").await;
        assert_eq!(
            account.status,
            StatusCode::OK,
            "this browser got a fresh session"
        );
        assert!(account.text().contains("Your password was changed"));
        assert_eq!(
            elsewhere.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "the other browser is out"
        );

        let mut fresh = Browser::new(app.clone());
        let csrf = csrf_of(&fresh.get("/login").await.text());
        let old = fresh
            .post(
                "/login",
                &[
                    ("identifier", "13800000004"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(old.status, StatusCode::UNAUTHORIZED);
        let new = fresh
            .post(
                "/login",
                &[
                    ("identifier", "13800000004"),
                    ("password", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(new.status, StatusCode::SEE_OTHER);
        db.finish().await;
    }
}

#[tokio::test]
async fn people_download_their_own_data_in_full_and_it_is_audited() {
    for db in TestDb::all("data download").await {
        let app = demo_app(&db).await;
        let mut browser = signed_in(app.clone(), "13800000002").await;
        let reply = browser.get("/account/data").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert!(
            reply
                .header("content-disposition")
                .unwrap()
                .starts_with("attachment")
        );
        let data: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(data["format"], "tongban/personal-data/v1");
        assert_eq!(data["account"]["name"], "阿依古丽·买买提");
        assert_eq!(
            data["account"]["identity_document"]["number"],
            "990105198507150028"
        );
        assert_eq!(data["account"]["mobile"], "13800000002");
        assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
        let actions: Vec<&str> = data["activity"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"identity.login"));

        // The download itself is on record.
        let again: serde_json::Value =
            serde_json::from_slice(&browser.get("/account/data").await.body).unwrap();
        let actions: Vec<&str> = again["activity"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"identity.data-download"));

        let anonymous = get(&app, "/account/data").await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        db.finish().await;
    }
}

/// The demo code shown on the second registration page.
fn demo_code_of(html: &str) -> String {
    let marker = "Your code is ";
    let start = html.find(marker).expect("demo mode shows the code") + marker.len();
    html[start..start + 6].to_owned()
}

fn flow_of(html: &str) -> String {
    let marker = "name=\"flow\" value=\"";
    let start = html.find(marker).expect("flow field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn a_visitor_registers_and_lands_in_their_inbox() {
    for db in TestDb::all("web registration").await {
        let app = demo_app(&db).await;
        let mut browser = Browser::new(app.clone());
        let page = browser.get("/register").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("href=\"/privacy\""));
        let csrf = csrf_of(&page.text());

        let refused = browser
            .post("/register", &[("mobile", "13900000001"), ("csrf", &csrf)])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused
                .text()
                .contains("Read and accept the privacy notice")
        );
        assert_eq!(
            browser
                .post(
                    "/register",
                    &[("mobile", "13900000001"), ("privacy", "accepted")]
                )
                .await
                .status,
            StatusCode::FORBIDDEN,
            "no CSRF token, no code"
        );

        let step2 = browser
            .post(
                "/register",
                &[
                    ("mobile", "13900000001"),
                    ("privacy", "accepted"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(step2.status, StatusCode::OK);
        let html = step2.text();
        let code = demo_code_of(&html);
        let flow = flow_of(&html);
        assert!(html.contains("autocomplete=\"one-time-code\""));

        let bad_id = browser
            .post(
                "/register/verify",
                &[
                    ("flow", &flow),
                    ("code", &code),
                    ("name", "赵六"),
                    ("resident_id", "110105194912310021"),
                    ("password", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(bad_id.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_id
                .text()
                .contains("Enter your 18-character resident ID number")
        );
        assert!(bad_id.text().contains("value=\"赵六\""), "answers are kept");

        let done = browser
            .post(
                "/register/verify",
                &[
                    ("flow", &flow),
                    ("code", &code),
                    ("name", "赵六"),
                    ("resident_id", "11010519491231002X"),
                    ("password", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        assert_eq!(done.header("location"), Some("/account/inbox"));
        let inbox = browser.get("/account/inbox").await;
        assert_eq!(inbox.status, StatusCode::OK);
        assert!(inbox.text().contains("Your account is ready"));
        let account = browser.get("/account").await.text();
        assert!(account.contains("110***********002X"));
        db.finish().await;
    }
}

#[tokio::test]
async fn registering_someone_elses_id_number_leads_to_a_hall_without_naming_them() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let mut browser = Browser::new(app.clone());
    let csrf = csrf_of(&browser.get("/register").await.text());
    let step2 = browser
        .post(
            "/register",
            &[
                ("mobile", "13900000002"),
                ("privacy", "accepted"),
                ("csrf", &csrf),
            ],
        )
        .await
        .text();
    let reply = browser
        .post(
            "/register/verify",
            &[
                ("flow", &flow_of(&step2)),
                ("code", &demo_code_of(&step2)),
                ("name", "某人"),
                ("resident_id", "990102199003071233"),
                ("password", "a long new passphrase"),
                ("confirm", "a long new passphrase"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    let html = reply.text();
    assert!(html.contains("Please have your identity checked at a service hall"));
    assert!(!html.contains("张三") && !html.contains("138****0001"));
    // The owner finds a message in their inbox.
    let mut owner = signed_in(app, "13800000001").await;
    assert!(
        owner
            .get("/account/inbox")
            .await
            .text()
            .contains("Someone tried to register with your ID number")
    );
}

#[tokio::test]
async fn the_privacy_notice_is_public_and_versioned() {
    let db = TestDb::sqlite().await;
    let app = demo_app(&db).await;
    let page = get_with(&app, "/privacy", &[("accept-language", "en")]).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Version 2026-11"));
    assert!(html.contains("Personal Information Protection Law"));
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_code_and_unknown_numbers_look_the_same() {
    for db in TestDb::all("password reset").await {
        let app = demo_app(&db).await;
        let mut elsewhere = signed_in(app.clone(), "13800000003").await;
        let mut browser = Browser::new(app.clone());
        let csrf = csrf_of(&browser.get("/password-reset").await.text());

        // A number without an account gets the same page (and no text message).
        let unknown = browser
            .post(
                "/password-reset",
                &[("mobile", "13912345678"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(unknown.text().contains("If an account uses this number"));
        let unknown_flow = flow_of(&unknown.text());
        let unknown_code = demo_code_of(&unknown.text());
        let nothing = browser
            .post(
                "/password-reset/verify",
                &[
                    ("flow", &unknown_flow),
                    ("code", &unknown_code),
                    ("password", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nothing.text().contains("The code has expired"));

        let page = browser
            .post(
                "/password-reset",
                &[("mobile", "13800000003"), ("csrf", &csrf)],
            )
            .await;
        let html = page.text();
        let (flow, code) = (flow_of(&html), demo_code_of(&html));
        let wrong = browser
            .post(
                "/password-reset/verify",
                &[
                    ("flow", &flow),
                    ("code", "999999"),
                    ("password", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        if code != "999999" {
            assert!(wrong.text().contains("The code is not right"));
        }
        let done = browser
            .post(
                "/password-reset/verify",
                &[
                    ("flow", &flow),
                    ("code", &code),
                    ("password", "a long new passphrase"),
                    ("confirm", "a long new passphrase"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        assert_eq!(
            browser.get("/account").await.status,
            StatusCode::OK,
            "signed in with the new password"
        );
        assert_eq!(
            elsewhere.get("/account").await.status,
            StatusCode::SEE_OTHER,
            "everyone else signed out"
        );
        assert!(
            browser
                .get("/account/inbox")
                .await
                .text()
                .contains("Your password was reset")
        );

        let sms = tongban_store::notifications::by_channel(&db.conn, "sms")
            .await
            .unwrap();
        assert_eq!(sms.len(), 1, "only the number with an account was texted");
        db.finish().await;
    }
}

#[tokio::test]
async fn closing_an_account_removes_personal_data_and_frees_the_identifiers() {
    for db in TestDb::all("account closure").await {
        let app = demo_app(&db).await;
        let mut browser = signed_in(app.clone(), "13800000004").await;
        let page = browser.get("/account/close").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("are kept for 30 years"));
        let csrf = csrf_of(&page.text());

        let unconfirmed = browser
            .post(
                "/account/close",
                &[("password", DEMO_PASSWORD), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
        let wrong = browser
            .post(
                "/account/close",
                &[("password", "not it"), ("confirm", "yes"), ("csrf", &csrf)],
            )
            .await;
        assert!(wrong.text().contains("The password is not right"));
        assert_eq!(
            browser
                .post(
                    "/account/close",
                    &[("password", DEMO_PASSWORD), ("confirm", "yes")]
                )
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        let closed = browser
            .post(
                "/account/close",
                &[
                    ("password", DEMO_PASSWORD),
                    ("confirm", "yes"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(closed.header("location"), Some("/account/closed"));
        assert!(
            browser
                .get("/account/closed")
                .await
                .text()
                .contains("Your account is closed")
        );
        assert_eq!(browser.get("/account").await.status, StatusCode::SEE_OTHER);

        // Nothing personal is left on the row, and nobody can sign in to it.
        use tongban_store::sea_orm::{ConnectionTrait, Statement};
        let rows = db
            .conn
            .query_all_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT display_name, id_doc_ciphertext, phone_ciphertext, email, status FROM accounts WHERE status = 'closed'",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let name: String = rows[0].try_get("", "display_name").unwrap();
        let id: Option<String> = rows[0].try_get("", "id_doc_ciphertext").unwrap();
        let email: Option<String> = rows[0].try_get("", "email").unwrap();
        assert!(name.is_empty() && id.is_none() && email.is_none());
        let mut again = Browser::new(app.clone());
        let csrf = csrf_of(&again.get("/login").await.text());
        let refused = again
            .post(
                "/login",
                &[
                    ("identifier", "13800000004"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

        // Staff accounts are not closed by their holders.
        let mut staff = signed_in(app.clone(), "sj.clerk").await;
        let csrf = csrf_of(&staff.get("/account/close").await.text());
        let reply = staff
            .post(
                "/account/close",
                &[
                    ("password", DEMO_PASSWORD),
                    ("confirm", "yes"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert!(
            reply
                .text()
                .contains("Staff accounts are closed by the security administrator")
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn staff_reach_nothing_until_they_pass_the_second_factor() {
    for db in TestDb::all("second factor").await {
        let app = demo_app(&db).await;
        let mut browser = Browser::new(app.clone());
        let csrf = csrf_of(&browser.get("/login").await.text());
        browser
            .post(
                "/login",
                &[
                    ("identifier", "sj.approver"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        let half_session = browser.cookie_header();
        for (path, next) in [
            ("/account", "%2Faccount"),
            ("/", "%2F"),
            ("/account/data", "%2Faccount%2Fdata"),
            (
                "/services/GA0001?lang=en",
                "%2Fservices%2FGA0001%3Flang%3Den",
            ),
        ] {
            let reply = browser.get(path).await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(
                reply.header("location"),
                Some(format!("/login/second-factor?next={next}").as_str()),
                "{path}: the page asked for opens after the code"
            );
        }
        // The page asked for is where the code leads, never off the site.
        let page = browser
            .get("/login/second-factor?next=%2Faccount%2Fdata")
            .await
            .text();
        assert!(page.contains("name=\"next\" value=\"/account/data\""));
        let offsite = browser
            .get("/login/second-factor?next=%2F%2Fevil.example")
            .await
            .text();
        assert!(offsite.contains("name=\"next\" value=\"/account\""));
        let page = browser.get("/login/second-factor").await;
        assert_eq!(page.status, StatusCode::OK);
        let csrf = csrf_of(&page.text());
        let wrong = browser
            .post(
                "/login/second-factor",
                &[("code", "000000"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().contains("The code is not right"));
        assert_eq!(
            browser
                .post("/login/second-factor", &[("code", "000000")])
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        pass_second_factor(&mut browser, "sj.approver").await;
        assert_ne!(
            browser.cookie_header(),
            half_session,
            "a new session token after the second factor"
        );
        assert_eq!(browser.get("/account").await.status, StatusCode::OK);
        let stale = get_with(&app, "/account", &[("cookie", &half_session)]).await;
        assert_eq!(
            stale.status,
            StatusCode::SEE_OTHER,
            "the pre-factor token is dead"
        );
        assert_eq!(stale.header("location"), Some("/login?next=/account"));

        // People sign in with a password alone.
        let mut person = signed_in(app.clone(), "13800000002").await;
        assert_eq!(person.get("/account").await.status, StatusCode::OK);
        db.finish().await;
    }
}

#[tokio::test]
async fn new_staff_enrol_an_authenticator_and_get_recovery_codes() {
    for db in TestDb::all("enrolment").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        // A staff account without an authenticator, as an administrator would create it.
        let hash = state.identity.passwords.hash(DEMO_PASSWORD).await.unwrap();
        tongban_store::identity::insert_account(
            &db.conn,
            &tongban_store::identity::NewAccount {
                id: uuid::Uuid::now_v7(),
                kind: "staff",
                username: Some("new.clerk".into()),
                display_name: "新同事".into(),
                id_doc_kind: None,
                id_doc_ciphertext: None,
                id_doc_index: None,
                phone_ciphertext: None,
                phone_index: None,
                email: None,
                password_hash: hash,
                region_id: None,
                department_id: None,
                privacy_version: None,
                totp_secret_ciphertext: None,
            },
            clock().0,
        )
        .await
        .unwrap();
        let app = tongban_web::app(state);
        let mut browser = Browser::new(app.clone());
        let csrf = csrf_of(&browser.get("/login").await.text());
        browser
            .post(
                "/login",
                &[
                    ("identifier", "new.clerk"),
                    ("password", DEMO_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        let redirect = browser.get("/account").await;
        assert_eq!(redirect.header("location"), Some("/account/second-factor"));
        let page = browser.get("/account/second-factor").await;
        let html = page.text();
        assert!(html.contains("<svg"), "a QR code to scan");
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
        let csrf = csrf_of(&html);
        let wrong = browser
            .post(
                "/account/second-factor",
                &[("sealed", &sealed), ("code", "123456"), ("csrf", &csrf)],
            )
            .await;
        if code != "123456" {
            assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let done = browser
            .post(
                "/account/second-factor",
                &[("sealed", &sealed), ("code", &code), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK);
        let codes: Vec<String> = done
            .text()
            .split("<li><code>")
            .skip(1)
            .map(|part| part.split("</code>").next().unwrap().to_owned())
            .collect();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            browser.get("/account").await.status,
            StatusCode::OK,
            "enrolled and through"
        );

        // Next time a recovery code stands in for the phone, once.
        let csrf = csrf_of(&browser.get("/account").await.text());
        browser.post("/logout", &[("csrf", &csrf)]).await;
        for (attempt, expected) in [
            (1, StatusCode::SEE_OTHER),
            (2, StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let mut again = Browser::new(app.clone());
            let csrf = csrf_of(&again.get("/login").await.text());
            again
                .post(
                    "/login",
                    &[
                        ("identifier", "new.clerk"),
                        ("password", DEMO_PASSWORD),
                        ("csrf", &csrf),
                    ],
                )
                .await;
            let csrf = csrf_of(&again.get("/login/second-factor").await.text());
            let reply = again
                .post(
                    "/login/second-factor",
                    &[("code", &codes[0]), ("csrf", &csrf)],
                )
                .await;
            assert_eq!(reply.status, expected, "recovery code use #{attempt}");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_foreign_national_registers_with_a_passport_through_the_form() {
    for db in TestDb::all("web registration passport").await {
        let app = demo_app(&db).await;
        let mut browser = Browser::new(app.clone());
        let csrf = csrf_of(&browser.get("/register").await.text());
        let step2 = browser
            .post(
                "/register",
                &[
                    ("mobile", "13900000021"),
                    ("privacy", "accepted"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        let html = step2.text();
        assert!(
            html.contains("value=\"passport\""),
            "the document kinds are offered"
        );
        let (code, flow) = (demo_code_of(&html), flow_of(&html));
        let form = |country: &'static str| {
            vec![
                ("flow", flow.clone()),
                ("code", code.clone()),
                ("name", "John Smith".to_owned()),
                ("document_kind", "passport".to_owned()),
                ("resident_id", "E12345678".to_owned()),
                ("country", country.to_owned()),
                ("password", "a long new passphrase".to_owned()),
                ("confirm", "a long new passphrase".to_owned()),
                ("csrf", csrf.clone()),
            ]
        };
        let bad = form("U1");
        let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/register/verify", &bad).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text();
        assert!(
            text.contains("href=\"#country\""),
            "the error links to the field"
        );
        assert!(
            text.contains("<option value=\"passport\" selected>"),
            "the choice is kept"
        );

        let good = form("usa");
        let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = browser.post("/register/verify", &good).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let account = browser.get("/account").await.text();
        assert!(account.contains("E******78"), "masked on screen");
        assert!(!account.contains("E12345678"));
        db.finish().await;
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_cookies_are_secure_and_audit_names_the_client() {
    use axum::body::Body;
    use axum::http::Request;
    use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    for db in TestDb::all("trusted proxy").await {
        let clock = clock();
        tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
            .await
            .unwrap();
        let identity = identity(&db);
        identity.seed_demo_accounts(clock.as_ref()).await.unwrap();
        for trust_proxy in [true, false] {
            let mut web = settings(tongban_web::Mode::Demo);
            web.trust_proxy = trust_proxy;
            let state = tongban_web::AppState::load(
                db.conn.clone(),
                web,
                clock.clone(),
                identity.clone(),
                SECRET,
            )
            .await
            .unwrap();
            let app = tongban_web::app(state);
            let login_page = get(&app, "/login").await;
            let seed = login_page
                .headers
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("; ");
            let csrf = csrf_of(&login_page.text());
            let body = format!(
                "identifier=13800000001&password={}&csrf={csrf}",
                urlencode(DEMO_PASSWORD)
            );
            let reply = send(
                &app,
                Request::post("/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", seed)
                    .header("x-forwarded-proto", "https")
                    .header("x-forwarded-for", "203.0.113.7, 198.51.100.9")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
            let session = reply
                .headers
                .get_all("set-cookie")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .find(|c| c.starts_with("tb_session="))
                .expect("a session cookie");
            assert_eq!(session.contains("; Secure"), trust_proxy, "{session}");
            use tongban_store::entities::audit_entry;
            let entry = audit_entry::Entity::find()
                .filter(audit_entry::Column::Action.eq("identity.login"))
                .order_by_desc(audit_entry::Column::Seq)
                .one(&db.conn)
                .await
                .unwrap()
                .unwrap();
            let expected = trust_proxy.then(|| "198.51.100.9".to_owned());
            assert_eq!(entry.ip, expected, "the proxy's word only when trusted");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn a_new_password_may_not_contain_the_e_mail_address() {
    for db in TestDb::all("password e-mail").await {
        let app = demo_app(&db).await;
        // 张三's demo e-mail address is zhangsan@shifan.example.
        let mut browser = signed_in(app.clone(), "13800000001").await;
        let page = browser.get("/account/password").await.text();
        let refused = browser
            .post(
                "/account/password",
                &[
                    ("current", DEMO_PASSWORD),
                    ("new", "ZhangSan-loves-tea-42"),
                    ("confirm", "ZhangSan-loves-tea-42"),
                    ("csrf", &csrf_of(&page)),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("or e-mail address"));
        db.finish().await;
    }
}
