//! After submission, through the real router on SQLite and PostgreSQL: the applicant's stage
//! bar, a correction request answered in place (invalid answers change nothing, valid ones send
//! the case back to intake), the notice PDF for the applicant only, withdrawal, and the public
//! progress lookup as page and API with its lockout, rate limit and CSRF check.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use common::browser::*;
use common::*;
use tongban_domain::workflow::Outcome;
use tongban_services::identity::{CurrentUser, Origin};
use tongban_services::workflow::{ActRequest, CaseRef};
use tongban_store::entities::case;
use tongban_store::sea_orm::EntityTrait;
use tongban_store::testing::TestDb;
use tongban_web::AppState;
use uuid::Uuid;

const CITIZEN: &str = "13800000001"; // 张三
const OTHER: &str = "13800000004"; // 李四

fn location(reply: &Reply) -> String {
    reply
        .header("location")
        .unwrap_or_else(|| panic!("no redirect ({}): {}", reply.status, reply.text()))
        .to_owned()
}

async fn answer(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let reply = browser.submit(path, path, fields).await;
    location(&reply)
}

/// 张三 applies for GA0001 online; returns the case id.
async fn apply(citizen: &mut Browser) -> Uuid {
    let start = citizen.get("/services/GA0001/apply").await.text();
    let started = citizen
        .post("/services/GA0001/apply", &[("csrf", &csrf_of(&start))])
        .await;
    let first = location(&started);
    let applicant = answer(
        citizen,
        &first,
        &[
            ("nationality", "chinese"),
            ("local_link", "hukou"),
            ("by_agent", "no"),
        ],
    )
    .await;
    let purpose = answer(
        citizen,
        &applicant,
        &[
            ("full_name", "张三"),
            ("id_number", "990102199003071233"),
            ("phone", "13800000001"),
        ],
    )
    .await;
    let check = answer(
        citizen,
        &purpose,
        &[
            ("purpose", "employment"),
            ("receiving_org", "示范市某某有限公司"),
            ("paper_copy", "no"),
        ],
    )
    .await;
    let declaration = check.replace("/check", "/declaration");
    let sent = citizen
        .submit(&declaration, &declaration, &[("declaration", "confirmed")])
        .await;
    let confirmation = location(&sent);
    let id = confirmation
        .trim_start_matches("/applications/cases/")
        .trim_end_matches("/confirmation");
    Uuid::parse_str(id).expect("case id in the confirmation's path")
}

/// A demo staff member as the services see them after sign-in and the second factor.
async fn staff(state: &AppState, username: &str) -> CurrentUser {
    tongban_services::identity::staff_session(&state.db, username)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("demo staff {username}"))
}

/// The police front desk asks for corrections, one item per line.
async fn request_correction(state: &AppState, case_id: Uuid) {
    let clerk = staff(state, "ga.clerk").await;
    let snapshot = state.snapshots.current();
    let acted = state
        .applications
        .handling()
        .act(
            state.clock.as_ref(),
            &clerk,
            &snapshot.catalog,
            &Origin {
                ip: None,
                user_agent: None,
            },
            CaseRef {
                id: case_id,
                version: None,
            },
            &ActRequest {
                action: "request-correction".into(),
                comment: Some("请写明接收单位的全称\n请核对联系电话".into()),
                ..ActRequest::default()
            },
        )
        .await
        .expect("handled");
    assert!(acted.is_ok(), "{acted:?}");
}

async fn case_row(state: &AppState, id: Uuid) -> case::Model {
    case::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .unwrap()
        .expect("case")
}

#[tokio::test]
async fn the_applicant_follows_the_case_corrects_in_place_and_withdraws() {
    for db in TestDb::all("web case progress applicant").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let app = tongban_web::app(state.clone());
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let case_id = apply(&mut citizen).await;
        let page_path = format!("/applications/cases/{case_id}");

        // The stage bar: an ordered list with words, intake current, the rest upcoming.
        let page = citizen.get(&page_path).await.text();
        assert!(page.contains("<ol class=\"stages\""), "{page}");
        assert!(page.contains(
            "class=\"stage stage-current\" aria-current=\"step\"><span class=\"stage-name\">Intake</span> <span class=\"stage-status\">current step</span>"
        ));
        assert_eq!(page.matches("stage-upcoming").count(), 3);
        assert!(page.contains("In progress"));
        assert!(!page.contains("/correct\""), "nothing to correct yet");
        let mine = citizen.get("/account/applications").await.text();
        assert!(mine.contains("stages compact") && mine.contains("In progress"));

        // The front desk asks for corrections: the items and the way to answer them.
        request_correction(&state, case_id).await;
        let page = citizen.get(&page_path).await.text();
        assert!(page.contains("What we need from you"));
        assert!(page.contains("<li>请写明接收单位的全称</li>"));
        assert!(page.contains("<li>请核对联系电话</li>"));
        assert!(page.contains(&format!("href=\"/applications/cases/{case_id}/correct\"")));
        assert!(page.contains("Waiting for corrections"));
        // The correction notice (补正告知书) is listed and downloads for the applicant only.
        let marker = format!("/applications/cases/{case_id}/notices/");
        let at = page.find(&marker).expect("a notice link");
        let href = &page[at..at + page[at..].find('"').unwrap()];
        assert!(href.ends_with(".pdf"), "{href}");
        let pdf = citizen.get(href).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF"));
        let mut other = signed_in(app.clone(), OTHER).await;
        assert_eq!(other.get(href).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get(&page_path).await.status, StatusCode::NOT_FOUND);

        // The correction form: the items and the answers, prefilled.
        let correct_path = format!("{page_path}/correct");
        let form = citizen.get(&correct_path).await.text();
        assert!(form.contains("<li>请写明接收单位的全称</li>"));
        assert!(form.contains("value=\"示范市某某有限公司\""));
        assert!(form.contains("name=\"_version\""));
        let before = case_row(&state, case_id).await;

        // Invalid answers: the error summary, and nothing changes.
        let refused = citizen
            .submit(
                &correct_path,
                &correct_path,
                &[
                    ("nationality", "chinese"),
                    ("local_link", "hukou"),
                    ("by_agent", "no"),
                    ("full_name", "张三"),
                    ("id_number", "990102199003071233"),
                    ("phone", "12345"),
                    ("purpose", "employment"),
                    ("receiving_org", "示范市某某有限公司"),
                    ("paper_copy", "no"),
                    ("_version", &before.version.to_string()),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text();
        assert!(text.contains("error-summary"), "{text}");
        assert!(text.contains("href=\"#f-phone\""), "{text}");
        let unchanged = case_row(&state, case_id).await;
        assert_eq!(unchanged.version, before.version);
        assert_eq!(unchanged.answers, before.answers);
        assert_eq!(unchanged.status, "waiting");

        // A CSRF token from elsewhere is refused.
        let forged = citizen
            .post(
                &correct_path,
                &[("csrf", "forged"), ("receiving_org", "伪造单位")],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // Valid corrections send the case back to intake with the new answers.
        let sent = citizen
            .submit(
                &correct_path,
                &correct_path,
                &[
                    ("nationality", "chinese"),
                    ("local_link", "hukou"),
                    ("by_agent", "no"),
                    ("full_name", "张三"),
                    ("id_number", "990102199003071233"),
                    ("phone", "13800000001"),
                    ("purpose", "employment"),
                    ("receiving_org", "示范市新单位有限公司"),
                    ("paper_copy", "no"),
                    ("_version", &before.version.to_string()),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        assert_eq!(location(&sent), format!("{page_path}?done=resubmitted"));
        let after = case_row(&state, case_id).await;
        assert_eq!(after.state, "intake");
        assert_eq!(after.status, "open");
        assert!(after.version > before.version);
        let page = citizen.get(&location(&sent)).await.text();
        assert!(page.contains("Your corrections were sent"));
        assert!(
            page.contains("示范市新单位有限公司"),
            "the corrected answer"
        );
        assert!(!page.contains("What we need from you"));
        // Corrections are only for cases that wait for them.
        let again = citizen.get(&correct_path).await;
        assert_eq!(location(&again), page_path);

        // Withdrawal: a confirmation page, then the case is closed.
        let withdraw_path = format!("{page_path}/withdraw");
        let confirm = citizen.get(&withdraw_path).await.text();
        assert!(confirm.contains("Withdraw your application?"));
        let forged = citizen.post(&withdraw_path, &[("csrf", "forged")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let withdrawn = citizen
            .submit(
                &withdraw_path,
                &withdraw_path,
                &[("comment", "已在别处办理")],
            )
            .await;
        assert_eq!(location(&withdrawn), format!("{page_path}?done=withdrawn"));
        let closed = case_row(&state, case_id).await;
        assert_eq!(closed.status, "closed");
        assert_eq!(closed.outcome.as_deref(), Some(Outcome::Withdrawn.key()));
        let page = citizen.get(&page_path).await.text();
        assert!(page.contains("Finished: withdrawn"));
        assert!(page.contains("stage-skipped"), "later stages are skipped");
        assert!(!page.contains(&format!("href=\"{withdraw_path}\"")));
    }
}

fn from(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40000)
}

async fn api(app: &axum::Router, number: &str, digits: &str, client: SocketAddr) -> Reply {
    send(
        app,
        Request::get(format!(
            "/api/v1/cases/{number}/progress?phone_last4={digits}"
        ))
        .header("accept-language", "en")
        .extension(ConnectInfo(client))
        .body(Body::empty())
        .unwrap(),
    )
    .await
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).expect("JSON body")
}

#[tokio::test]
async fn anyone_with_the_number_and_digits_sees_the_progress_and_guessing_is_braked() {
    for db in TestDb::all("web case progress public").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let app = tongban_web::app(state.clone());
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let case_id = apply(&mut citizen).await;
        let number = case_row(&state, case_id).await.tracking_number;

        // The API: right digits give the progress.
        let found = api(&app, &number, "0001", from("192.0.2.1")).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text());
        let body = json(&found);
        assert_eq!(body["tracking_number"], number.as_str());
        assert_eq!(body["service_code"], "GA0001");
        assert_eq!(body["status"], "open");
        assert_eq!(body["stages"].as_array().unwrap().len(), 4);
        assert_eq!(body["stages"][0]["stage"], "accept");
        assert_eq!(body["stages"][0]["status"], "current");
        assert!(body["steps"].is_array());
        assert!(body["outcome"].is_null());

        // Wrong digits and an unknown number: the same 404.
        let wrong = api(&app, &number, "9999", from("192.0.2.1")).await;
        let unknown = api(&app, "SF0000000000X", "0001", from("192.0.2.1")).await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert_eq!(
            wrong.header("content-type"),
            Some("application/problem+json")
        );
        assert_eq!(wrong.body, unknown.body, "nothing tells them apart");

        // The public page, signed out: a form with CSRF, then the progress.
        let mut visitor = Browser::new(app.clone());
        let form = visitor.get("/progress").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.text().contains("name=\"phone_last4\""));
        let shown = visitor
            .submit(
                "/progress",
                "/progress",
                &[("tracking_number", &number), ("phone_last4", "0001")],
            )
            .await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
        let text = shown.text();
        assert!(text.contains("<ol class=\"stages\""));
        assert!(text.contains("Certificate of no criminal record"));
        let missing = visitor
            .submit(
                "/progress",
                "/progress",
                &[("tracking_number", &number), ("phone_last4", "1234")],
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.text().contains("We could not find an application"));
        let forged = visitor
            .post(
                "/progress",
                &[
                    ("csrf", "forged"),
                    ("tracking_number", &number),
                    ("phone_last4", "0001"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // The rate limit: twenty look-ups a minute per client, then 429 with Retry-After.
        let busy = from("198.51.100.7");
        for _ in 0..20 {
            assert_eq!(
                api(&app, &number, "0001", busy).await.status,
                StatusCode::OK
            );
        }
        let limited = api(&app, &number, "0001", busy).await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            json(&limited)["type"],
            "https://tongban.example/problems/rate-limited"
        );
        assert!(
            limited
                .header("retry-after")
                .is_some_and(|s| s.parse::<u64>().unwrap() > 0)
        );
        assert_eq!(
            api(&app, &number, "0001", from("198.51.100.8"))
                .await
                .status,
            StatusCode::OK,
            "other clients are not held up"
        );

        // The lockout: five wrong answers lock the number, right digits included.
        let guesser = from("203.0.113.5");
        for guess in ["1111", "2222", "3333", "4444"] {
            assert_eq!(
                api(&app, &number, guess, guesser).await.status,
                StatusCode::NOT_FOUND
            );
        }
        let locked = api(&app, &number, "5555", guesser).await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            json(&locked)["type"],
            "https://tongban.example/problems/locked"
        );
        assert!(locked.header("retry-after").is_some());
        let still = api(&app, &number, "0001", from("203.0.113.6")).await;
        assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
        let page = visitor
            .submit(
                "/progress",
                "/progress",
                &[("tracking_number", &number), ("phone_last4", "0001")],
            )
            .await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.text().contains("Too many attempts"));
    }
}
