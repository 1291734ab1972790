//! E-mail pages through the real router on SQLite and PostgreSQL, with messages delivered by the
//! real worker through lettre to an SMTP server started by the test: adding and removing an
//! address (stored only after its code is entered), and password reset by e-mail code.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use std::sync::Arc;

use tongban_services::mail::{SmtpConfig, SmtpEmail};
use tongban_services::notifications::{LogSms, Templates, Worker};
use tongban_services::testing::smtp::SmtpSink;
use tongban_store::testing::TestDb;

fn flow_of(html: &str) -> String {
    let marker = "name=\"flow\" value=\"";
    let start = html.find(marker).expect("flow field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

/// The six digits after `marker` in `text`.
fn code_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} in {text}"))
        + marker.len();
    let code: String = text[start..].chars().take(6).collect();
    assert!(code.chars().all(|c| c.is_ascii_digit()), "{code}");
    code
}

/// The real worker, delivering e-mail through lettre to `sink`.
fn worker(db: &TestDb, sink: &SmtpSink) -> Worker {
    let clock = clock();
    Worker {
        db: db.conn.clone(),
        cipher: identity(db).cipher.clone(),
        templates: Arc::new(Templates::load().unwrap()),
        sms: Arc::new(LogSms {
            db: db.conn.clone(),
            clock: clock.clone(),
        }),
        email: Some(Arc::new(
            SmtpEmail::new(&SmtpConfig {
                url: sink.url(),
                username: String::new(),
                password: String::new(),
                from: "noreply@shifan.example".into(),
                reply_to: String::new(),
                timeout: std::time::Duration::from_secs(5),
            })
            .unwrap(),
        )),
        clock,
    }
}

async fn count_audit(db: &TestDb, action: &str, outcome: &str) -> i64 {
    use tongban_store::sea_orm::{ConnectionTrait, Statement};
    let sql = format!(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = '{action}' AND outcome = '{outcome}'"
    );
    let row = db
        .conn
        .query_one_raw(Statement::from_string(db.conn.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

const NEW_PASSWORD: &str = "a long new passphrase";

#[tokio::test]
async fn a_password_is_reset_with_a_code_read_from_the_email_and_unknown_addresses_look_the_same() {
    for db in TestDb::all("web_email_reset").await {
        let app = demo_app(&db).await;
        let sink = SmtpSink::start().await;
        let mut browser = Browser::new(app.clone());
        let by_mobile = browser.get("/password-reset").await.text();
        assert!(by_mobile.contains("href=\"/password-reset/email\""));
        let csrf = csrf_of(&browser.get("/password-reset/email").await.text());

        // An address without an account gets the same page, and no e-mail.
        let unknown = browser
            .post(
                "/password-reset/email",
                &[("email", "nobody@shifan.example"), ("csrf", &csrf)],
            )
            .await;
        let known = browser
            .post(
                "/password-reset/email",
                &[("email", "ZhangSan@shifan.example"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(
            (unknown.status, known.status),
            (StatusCode::OK, StatusCode::OK)
        );
        let lead = "If the address belongs to an account, a code is on its way to it.";
        assert!(unknown.text().contains(lead) && known.text().contains(lead));
        let strip = |html: &str| {
            html.replace(&flow_of(html), "FLOW")
                .replace(&code_after(html, "Your code is "), "CODE")
        };
        assert_eq!(strip(&unknown.text()), strip(&known.text()));

        assert_eq!(worker(&db, &sink).run_once().await.unwrap(), 1);
        let messages = sink.wait_for(1).await;
        assert_eq!(
            messages.len(),
            1,
            "only the address with an account gets mail"
        );
        assert_eq!(messages[0].rcpt_to, ["zhangsan@shifan.example"]);
        assert_eq!(
            messages[0].header("Subject").as_deref(),
            Some("Your password reset code")
        );
        let code = code_after(
            &messages[0].part("text/plain").unwrap(),
            "Your password reset code is ",
        );

        let flow = flow_of(&known.text());
        let wrong = browser
            .post(
                "/password-reset/email/verify",
                &[
                    ("flow", &flow),
                    ("code", if code == "000000" { "111111" } else { "000000" }),
                    ("password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(wrong.text().contains("The code is not right"));
        assert!(wrong.text().contains("href=\"#code\""));
        let done = browser
            .post(
                "/password-reset/email/verify",
                &[
                    ("flow", &flow),
                    ("code", &code),
                    ("password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                    ("csrf", &csrf),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        assert_eq!(done.header("location"), Some("/account?done=password"));
        assert!(
            browser
                .get("/account/inbox")
                .await
                .text()
                .contains("Your password was reset")
        );
        // The new password works.
        let mut again = Browser::new(app.clone());
        let csrf = csrf_of(&again.get("/login").await.text());
        let login = again
            .post(
                "/login",
                &[
                    ("identifier", "13800000001"),
                    ("password", NEW_PASSWORD),
                    ("csrf", &csrf),
                    ("next", "/account"),
                ],
            )
            .await;
        assert_eq!(login.status, StatusCode::SEE_OTHER);
        assert_eq!(
            count_audit(&db, "identity.password-reset", "success").await,
            1
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_new_address_is_stored_only_after_its_code_is_entered() {
    for db in TestDb::all("web_email_change").await {
        let app = demo_app(&db).await;
        let sink = SmtpSink::start().await;
        // 阿依古丽 has no e-mail address yet.
        let mut browser = signed_in(app.clone(), "13800000002").await;
        assert!(
            browser
                .get("/account")
                .await
                .text()
                .contains("href=\"/account/email\"")
        );
        let page = browser.get("/account/email").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text()
                .contains("You have not added an e-mail address.")
        );
        let csrf = csrf_of(&page.text());

        let invalid = browser
            .post("/account/email", &[("email", "aygul@"), ("csrf", &csrf)])
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(invalid.text().contains("href=\"#email\""));
        assert!(
            invalid
                .text()
                .contains("Enter an e-mail address like name@example.com")
        );

        let sent = browser
            .post(
                "/account/email",
                &[("email", "Aygul@Example.CN"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(sent.status, StatusCode::OK);
        assert!(sent.text().contains("We sent a code to A***l@example.cn."));
        // Not stored before the code is entered.
        assert!(
            browser
                .get("/account/email")
                .await
                .text()
                .contains("You have not added an e-mail address.")
        );
        worker(&db, &sink).run_once().await.unwrap();
        let messages = sink.wait_for(1).await;
        assert_eq!(messages[0].rcpt_to, ["Aygul@example.cn"]);
        assert_eq!(
            messages[0].header("Subject").as_deref(),
            Some("Please confirm your e-mail address")
        );
        let code = code_after(&messages[0].part("text/plain").unwrap(), "Your code is ");
        let flow = flow_of(&sent.text());

        // Someone else cannot finish this change, even with the code.
        let mut other = signed_in(app.clone(), "13800000003").await;
        let other_csrf = csrf_of(&other.get("/account/email").await.text());
        let stolen = other
            .post(
                "/account/email/verify",
                &[("flow", &flow), ("code", &code), ("csrf", &other_csrf)],
            )
            .await;
        assert_eq!(stolen.status, StatusCode::UNPROCESSABLE_ENTITY);

        let done = browser
            .post(
                "/account/email/verify",
                &[("flow", &flow), ("code", &code), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(done.header("location"), Some("/account/email?done=changed"));
        let page = browser.get("/account/email?done=changed").await.text();
        assert!(page.contains("Your e-mail address was saved."));
        assert!(page.contains("A***l@example.cn") && !page.contains("Aygul@example.cn"));
        assert_eq!(
            count_audit(&db, "identity.email-change", "success").await,
            1
        );
        // Encrypted at rest.
        use tongban_store::sea_orm::{ConnectionTrait, Statement};
        let rows = db
            .conn
            .query_all_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT email_ciphertext, email_index FROM account_emails",
            ))
            .await
            .unwrap();
        assert_eq!(rows.len(), 3, "张三, 李四 and now 阿依古丽");
        for row in rows {
            for column in ["email_ciphertext", "email_index"] {
                let value: String = row.try_get("", column).unwrap();
                assert!(!value.to_lowercase().contains("aygul") && !value.contains('@'));
            }
        }

        // The same address for another account: the same page, but no mail and no change.
        let before = sink.messages().len();
        let taken = other
            .post(
                "/account/email",
                &[("email", "aygul@example.cn"), ("csrf", &other_csrf)],
            )
            .await;
        assert_eq!(taken.status, StatusCode::OK);
        assert!(taken.text().contains("We sent a code to a***l@example.cn."));
        worker(&db, &sink).run_once().await.unwrap();
        assert_eq!(sink.messages().len(), before);
        assert_eq!(count_audit(&db, "identity.email-code", "withheld").await, 1);

        // Removing it.
        let removed = browser
            .post("/account/email/remove", &[("csrf", &csrf)])
            .await;
        assert_eq!(
            removed.header("location"),
            Some("/account/email?done=removed")
        );
        let page = browser.get("/account/email?done=removed").await.text();
        assert!(page.contains("Your e-mail address was removed."));
        assert!(page.contains("You have not added an e-mail address."));
        assert_eq!(
            count_audit(&db, "identity.email-remove", "success").await,
            1
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn every_email_form_refuses_a_post_without_its_csrf_token() {
    for db in TestDb::all("web_email_csrf").await {
        let app = demo_app(&db).await;
        let mut browser = signed_in(app.clone(), "13800000001").await;
        for (uri, form) in [
            ("/account/email", vec![("email", "new@example.cn")]),
            (
                "/account/email/verify",
                vec![("flow", "x"), ("code", "123456")],
            ),
            ("/account/email/remove", vec![]),
            (
                "/password-reset/email",
                vec![("email", "zhangsan@shifan.example")],
            ),
            (
                "/password-reset/email/verify",
                vec![
                    ("flow", "x"),
                    ("code", "123456"),
                    ("password", NEW_PASSWORD),
                    ("confirm", NEW_PASSWORD),
                ],
            ),
        ] {
            let reply = browser.post(uri, &form).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri}");
        }
        // Nothing was changed or queued.
        assert!(
            browser
                .get("/account/email")
                .await
                .text()
                .contains("z******n@shifan.example")
        );
        assert!(
            tongban_store::notifications::by_channel(&db.conn, "email")
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn without_an_e_mail_channel_the_pages_say_so_and_send_nothing() {
    for db in TestDb::all("web_email_off").await {
        let clock = clock();
        tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
            .await
            .unwrap();
        let mut identity = identity(&db);
        identity.settings.email_channel = false;
        let state = tongban_web::AppState::load(
            db.conn.clone(),
            settings(tongban_web::Mode::Production),
            clock,
            identity,
            SECRET,
        )
        .await
        .unwrap();
        let mut browser = Browser::new(tongban_web::app(state));
        let page = browser.get("/password-reset/email").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.text()
                .contains("E-mail is not available on this site at the moment.")
        );
        assert!(!page.text().contains("action=\"/password-reset/email\""));
        // A request made anyway is refused with the same explanation, and nothing is queued.
        // (The page has no form; the mobile reset page's token serves this browser.)
        let csrf = csrf_of(&browser.get("/password-reset").await.text());
        let refused = browser
            .post(
                "/password-reset/email",
                &[("email", "someone@example.cn"), ("csrf", &csrf)],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("E-mail is not available"));
        assert!(
            tongban_store::notifications::by_channel(&db.conn, "email")
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}
