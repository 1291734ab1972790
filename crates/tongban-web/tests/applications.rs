//! Applying online through the real router, on SQLite and PostgreSQL: a demo service applied for
//! end to end (prefill, branching, check your answers, declaration, confirmation after commit),
//! errors listed and linked in the applicant's language, exit pages, uploads checked by content
//! and served only to whom may see them, double submission making one case, counter intake by a
//! front-desk clerk, an agent applying for a relative, and the JSON API with Idempotency-Key.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::entities::{audit_entry, case, case_task, notification, upload};
use tongban_store::sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tongban_store::testing::TestDb;

const CITIZEN: &str = "13800000001"; // 张三, 990102199003071233
const OTHER: &str = "13800000004"; // 李四, 990102199206113317
const OTHER_ID: &str = "990102199206113317";
const ELDER: &str = "13800000003"; // 王𠀀, whose relative 张三 acts for him

fn location(reply: &Reply) -> String {
    reply
        .header("location")
        .unwrap_or_else(|| panic!("no redirect ({}): {}", reply.status, reply.text()))
        .to_owned()
}

/// Starts GA0001 (no-criminal-record certificate) and returns the first page's path.
async fn start(browser: &mut Browser, code: &str) -> String {
    let page = browser.get(&format!("/services/{code}/apply")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let csrf = csrf_of(&page.text());
    let started = browser
        .post(&format!("/services/{code}/apply"), &[("csrf", &csrf)])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text());
    location(&started)
}

/// Posts a question page with the page's own CSRF token.
async fn answer(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
    let html = browser.get(path).await.text();
    let csrf = csrf_of(&html);
    let mut all = fields.to_vec();
    all.push(("csrf", &csrf));
    let action = path.split('#').next().unwrap_or(path);
    browser.post(action, &all).await
}

fn draft_id(path: &str) -> String {
    path.split('/').nth(2).unwrap().to_owned()
}

/// Walks GA0001 to the check-your-answers page for the signed-in person.
async fn fill_ga0001(browser: &mut Browser) -> String {
    let first = start(browser, "GA0001").await;
    assert!(first.ends_with("/pages/eligibility"), "{first}");
    let next = answer(
        browser,
        &first,
        &[
            ("nationality", "chinese"),
            ("local_link", "hukou"),
            ("by_agent", "no"),
        ],
    )
    .await;
    let applicant = location(&next);
    assert!(applicant.ends_with("/pages/applicant"), "{applicant}");
    let next = answer(
        browser,
        &applicant,
        &[
            ("full_name", "张三"),
            ("id_number", "990102199003071233"),
            ("phone", "13800000001"),
        ],
    )
    .await;
    let purpose = location(&next);
    let next = answer(
        browser,
        &purpose,
        &[
            ("purpose", "employment"),
            ("receiving_org", "示范市某某有限公司"),
            ("paper_copy", "no"),
        ],
    )
    .await;
    let check = location(&next);
    assert!(
        check.ends_with("/check"),
        "the authorisation page is skipped without an agent: {check}"
    );
    check
}

#[tokio::test]
async fn a_citizen_applies_end_to_end_and_a_double_submit_makes_one_case() {
    for db in TestDb::all("web applications end to end").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;

        // The guide offers the online application.
        let guide = citizen.get("/services/GA0001").await.text();
        assert!(guide.contains("href=\"/services/GA0001/apply\""));

        let first = start(&mut citizen, "GA0001").await;
        // Prefill: the applicant page starts with what the platform knows.
        let next = answer(
            &mut citizen,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ],
        )
        .await;
        let applicant = location(&next);
        let page = citizen.get(&applicant).await.text();
        assert!(page.contains("value=\"张三\""), "name prefilled");
        assert!(
            page.contains("value=\"990102199003071233\""),
            "ID prefilled"
        );
        assert!(
            page.contains("for=\"f-full_name\""),
            "labels tied to inputs"
        );

        let check = fill_ga0001(&mut citizen).await;
        let id = draft_id(&check);
        let summary = citizen.get(&check).await.text();
        assert!(summary.contains("Check your answers"));
        assert!(summary.contains("示范市某某有限公司"));
        assert!(
            summary.contains(&format!("/applications/{id}/pages/purpose?change=1")),
            "change links go back to the page"
        );

        // The declaration must be confirmed.
        let declaration_path = format!("/applications/{id}/declaration");
        let declaration = citizen.get(&declaration_path).await.text();
        let csrf = csrf_of(&declaration);
        let refused = citizen.post(&declaration_path, &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("href=\"#declaration\""));

        let sent = citizen
            .post(
                &declaration_path,
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        let confirmation = location(&sent);
        // A double click posts the same draft again: the same case comes back.
        let again = citizen
            .post(
                &declaration_path,
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_eq!(location(&again), confirmation);

        let done = citizen.get(&confirmation).await.text();
        assert!(done.contains("Application sent"));
        let cases = case::Entity::find().all(&db.conn).await.unwrap();
        assert_eq!(cases.len(), 1, "exactly one case");
        let number = &cases[0].tracking_number;
        let parsed = tongban_domain::forms::TrackingNumber::parse(number).expect("valid number");
        assert_eq!(parsed.prefix(), "SF");
        assert_eq!(parsed.date().to_string(), "2026-11-26", "the region's date");
        assert!(done.contains(number.as_str()));
        assert_eq!(cases[0].channel, "online");
        assert_eq!(cases[0].service_code, "GA0001");
        assert!(
            !cases[0].answers.contains("990102199003071233"),
            "answers are encrypted at rest"
        );
        let tasks = case_task::Entity::find().all(&db.conn).await.unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].case_id, cases[0].id);
        let audits = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("cases.submit"))
            .count(&db.conn)
            .await
            .unwrap();
        assert_eq!(audits, 1);
        let notes = notification::Entity::find()
            .filter(notification::Column::Template.eq("case-submitted"))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
        let inbox = citizen.get("/account/inbox").await.text();
        assert!(inbox.contains(number.as_str()), "the applicant is notified");

        // The draft is gone; the case is in "my applications" and readable, masked.
        let mine = citizen.get("/account/applications").await.text();
        assert!(mine.contains(number.as_str()));
        assert!(
            !mine.contains(&format!("/applications/{id}\"")),
            "no draft left"
        );
        let case_page = citizen
            .get(&format!("/applications/cases/{}", cases[0].id))
            .await
            .text();
        assert!(
            case_page.contains("990***********1233"),
            "ID masked on screen"
        );
        assert!(!case_page.contains("990102199003071233"));
        let pdf = citizen
            .get(&format!(
                "/applications/cases/{}/application.pdf",
                cases[0].id
            ))
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF-"));

        // Someone else finds neither the case nor its PDF.
        let mut other = signed_in(app.clone(), OTHER).await;
        for path in [
            format!("/applications/cases/{}", cases[0].id),
            format!("/applications/cases/{}/application.pdf", cases[0].id),
        ] {
            assert_eq!(
                other.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn errors_are_summarised_linked_and_in_the_applicants_language() {
    for db in TestDb::all("web applications errors").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let next = answer(
            &mut citizen,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ],
        )
        .await;
        let applicant = location(&next);
        let bad = answer(
            &mut citizen,
            &applicant,
            &[
                ("full_name", ""),
                ("id_number", "990102199003071234"),
                ("phone", "13800000001"),
            ],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        let html = bad.text();
        assert!(html.contains("class=\"error-summary\""));
        assert!(html.contains("href=\"#f-full_name\""));
        assert!(html.contains("href=\"#f-id_number\""));
        assert!(
            html.contains("id=\"f-id_number\""),
            "the link target exists"
        );
        assert!(html.contains("is not a valid number"), "{html}");
        assert!(
            html.contains("value=\"990102199003071234\""),
            "what was typed is kept"
        );
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(
            html.contains("<title>Error:"),
            "the title says there is an error"
        );

        // The same page in Chinese.
        let zh = citizen.get(&format!("{applicant}?lang=zh-CN")).await;
        let csrf = csrf_of(&zh.text());
        let bad = citizen
            .post(
                &applicant,
                &[
                    ("full_name", ""),
                    ("id_number", "990102199003071233"),
                    ("phone", "13800000001"),
                    ("csrf", &csrf),
                ],
            )
            .await;
        // The language was remembered from ?lang=.
        assert!(bad.text().contains("请填写"), "{}", bad.text());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_branch_ends_on_the_exit_page_and_nothing_can_be_submitted() {
    for db in TestDb::all("web applications exit").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let id = draft_id(&first);
        let next = answer(
            &mut citizen,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "none"),
                ("by_agent", "no"),
            ],
        )
        .await;
        let exit = location(&next);
        assert_eq!(exit, format!("/applications/{id}/exit/not-in-city"));
        let page = citizen.get(&exit).await.text();
        assert!(page.contains("Apply to the police where your hukou is registered"));
        // Posting the declaration anyway does not make a case.
        let declaration = citizen.get(&format!("/applications/{id}/check")).await;
        assert_eq!(
            declaration.status,
            StatusCode::SEE_OTHER,
            "missing answers are asked first"
        );
        let html = citizen.get("/account/applications").await.text();
        let csrf = csrf_of(&html);
        let sent = citizen
            .post(
                &format!("/applications/{id}/declaration"),
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_ne!(sent.status, StatusCode::OK);
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 0);
        db.finish().await;
    }
}

#[tokio::test]
async fn uploads_are_judged_by_content_and_served_only_to_whom_may_see_them() {
    for db in TestDb::all("web applications uploads").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let id = draft_id(&first);
        // With an agent, the authorisation page asks for files.
        let next = answer(
            &mut citizen,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "yes"),
            ],
        )
        .await;
        let applicant = location(&next);
        let next = answer(
            &mut citizen,
            &applicant,
            &[
                ("full_name", "张三"),
                ("id_number", "990102199003071233"),
                ("phone", "13800000001"),
            ],
        )
        .await;
        let purpose = location(&next);
        let next = answer(
            &mut citizen,
            &purpose,
            &[
                ("purpose", "employment"),
                ("receiving_org", "某公司"),
                ("paper_copy", "no"),
            ],
        )
        .await;
        let authorisation = location(&next);
        assert!(
            authorisation.ends_with("/pages/authorisation"),
            "{authorisation}"
        );
        let page = citizen.get(&authorisation).await.text();
        assert!(page.contains("enctype=\"multipart/form-data\""));
        let csrf = csrf_of(&page);

        // A file without the page's CSRF token is refused before it is stored.
        let forged = post_multipart(
            &mut citizen,
            &authorisation,
            &[],
            Some(("authorisation_letter", "letter.pdf", b"%PDF-1.7\n%%EOF\n")),
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(upload::Entity::find().count(&db.conn).await.unwrap(), 0);

        // HTML dressed as a PDF is refused by its content.
        let fake = post_multipart(
            &mut citizen,
            &authorisation,
            &[("csrf", &csrf)],
            Some((
                "authorisation_letter",
                "letter.pdf",
                b"<html><script>alert(1)</script></html>",
            )),
        )
        .await;
        assert_eq!(
            fake.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            fake.text()
        );
        assert!(fake.text().contains("not of an accepted kind"));

        // Larger than the field's 5 MB: refused while streaming.
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(5 * 1024 * 1024 + 1, b'0');
        let large = post_multipart(
            &mut citizen,
            &authorisation,
            &[("csrf", &csrf)],
            Some(("authorisation_letter", "big.pdf", &big)),
        )
        .await;
        assert_eq!(large.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            large.text().contains("larger than 5 MB"),
            "{}",
            large.text()
        );

        // A real PDF with a path trick in its name is kept, its name cleaned.
        let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
        let good = post_multipart(
            &mut citizen,
            &authorisation,
            &[("csrf", &csrf)],
            Some(("authorisation_letter", "../../etc/passwd.pdf", pdf)),
        )
        .await;
        // The agent's ID card is still missing, so the page comes back with that error only.
        assert_eq!(
            good.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            good.text()
        );
        let html = good.text();
        assert!(html.contains("href=\"#f-agent_id_card\""));
        assert!(!html.contains("href=\"#f-authorisation_letter\""), "{html}");
        let rows = upload::Entity::find().all(&db.conn).await.unwrap();
        assert_eq!(rows.len(), 1, "refused files leave no record");
        assert!(!rows[0].filename.contains('/'), "{}", rows[0].filename);
        assert!(!rows[0].filename.contains(".."), "{}", rows[0].filename);
        let file_path = format!("/applications/files/{}", rows[0].id);
        assert!(html.contains(&file_path), "the kept file is listed");

        let served = citizen.get(&file_path).await;
        assert_eq!(served.status, StatusCode::OK);
        assert!(
            served
                .header("content-disposition")
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(served.body, pdf);
        let mut other = signed_in(app.clone(), OTHER).await;
        assert_eq!(other.get(&file_path).await.status, StatusCode::NOT_FOUND);

        // Add the ID card, then send; the files move to the case.
        let page = citizen.get(&authorisation).await.text();
        let csrf = csrf_of(&page);
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 0xFF, 0xD9,
        ];
        let done = post_multipart(
            &mut citizen,
            &authorisation,
            &[("csrf", &csrf)],
            Some(("agent_id_card", "身份证.jpg", &jpeg)),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        assert_eq!(location(&done), format!("/applications/{id}/check"));
        let declaration = citizen
            .get(&format!("/applications/{id}/declaration"))
            .await
            .text();
        let csrf = csrf_of(&declaration);
        let sent = citizen
            .post(
                &format!("/applications/{id}/declaration"),
                &[("csrf", &csrf), ("declaration", "confirmed")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        let the_case = case::Entity::find().one(&db.conn).await.unwrap().unwrap();
        let rows = upload::Entity::find().all(&db.conn).await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter().all(|r| r.case_id == Some(the_case.id)),
            "attached to the case"
        );
        assert_eq!(other.get(&file_path).await.status, StatusCode::NOT_FOUND);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_front_desk_clerk_enters_an_application_the_applicant_then_sees() {
    for db in TestDb::all("web applications counter").await {
        let app = demo_app(&db).await;
        let mut clerk = signed_in(app.clone(), "ga.clerk").await;
        let counter = clerk.get("/counter").await;
        assert_eq!(counter.status, StatusCode::OK, "{}", counter.text());
        let html = counter.text();
        assert!(
            html.contains("value=\"GA0001\""),
            "the clerk's department's services"
        );
        assert!(
            !html.contains("value=\"SJ0001\""),
            "not another department's"
        );
        let csrf = csrf_of(&html);
        let unknown = clerk
            .post(
                "/counter",
                &[
                    ("csrf", &csrf),
                    ("service", "GA0001"),
                    ("id_number", "11010519491231002X"),
                ],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(unknown.text().contains("No account is registered"));
        let other_department = clerk
            .post(
                "/counter",
                &[
                    ("csrf", &csrf),
                    ("service", "SJ0001"),
                    ("id_number", OTHER_ID),
                ],
            )
            .await;
        assert_ne!(other_department.status, StatusCode::SEE_OTHER);

        let started = clerk
            .post(
                "/counter",
                &[
                    ("csrf", &csrf),
                    ("service", "GA0001"),
                    ("id_number", OTHER_ID),
                ],
            )
            .await;
        let first = location(&started);
        let page = clerk.get(&first).await.text();
        assert!(
            page.contains("Counter intake"),
            "the clerk is told whom they fill in for"
        );
        let next = answer(
            &mut clerk,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ],
        )
        .await;
        let applicant = location(&next);
        let prefilled = clerk.get(&applicant).await.text();
        assert!(
            prefilled.contains("value=\"李四\""),
            "the applicant's data, not the clerk's"
        );
        let next = answer(
            &mut clerk,
            &applicant,
            &[
                ("full_name", "李四"),
                ("id_number", OTHER_ID),
                ("phone", OTHER),
            ],
        )
        .await;
        let purpose = location(&next);
        let next = answer(
            &mut clerk,
            &purpose,
            &[
                ("purpose", "licence"),
                ("receiving_org", "示范市交警支队"),
                ("paper_copy", "yes"),
            ],
        )
        .await;
        let id = draft_id(&location(&next));
        let declaration = clerk
            .get(&format!("/applications/{id}/declaration"))
            .await
            .text();
        assert!(declaration.contains("Read the declaration to the applicant"));
        let sent = clerk
            .post(
                &format!("/applications/{id}/declaration"),
                &[
                    ("csrf", &csrf_of(&declaration)),
                    ("declaration", "confirmed"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());

        let the_case = case::Entity::find().one(&db.conn).await.unwrap().unwrap();
        assert_eq!(the_case.channel, "counter");
        assert_ne!(
            the_case.entered_by, the_case.applicant_id,
            "entered by the clerk"
        );
        let started_audit = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("applications.counter-start"))
            .one(&db.conn)
            .await
            .unwrap()
            .expect("counter intake is audited");
        assert_eq!(started_audit.actor_id, Some(the_case.entered_by));
        assert_eq!(started_audit.on_behalf_of, Some(the_case.applicant_id));

        let mut applicant = signed_in(app.clone(), OTHER).await;
        let mine = applicant.get("/account/applications").await.text();
        assert!(mine.contains(the_case.tracking_number.as_str()));
        assert!(mine.contains("entered at a counter"));
        // A citizen cannot open the counter.
        assert_eq!(
            applicant.get("/counter").await.status,
            StatusCode::FORBIDDEN
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_relative_applies_for_the_person_they_act_for() {
    for db in TestDb::all("web applications agent").await {
        let app = demo_app(&db).await;
        let mut relative = signed_in(app.clone(), CITIZEN).await;
        let page = relative.get("/account/acting").await.text();
        let principal = page
            .split("name=\"principal\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the relative can act for someone")
            .to_owned();
        let switched = relative
            .post(
                "/account/acting",
                &[("csrf", &csrf_of(&page)), ("principal", &principal)],
            )
            .await;
        assert_eq!(
            switched.status,
            StatusCode::SEE_OTHER,
            "{}",
            switched.text()
        );
        let first = start(&mut relative, "GA0001").await;
        let next = answer(
            &mut relative,
            &first,
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ],
        )
        .await;
        let applicant = location(&next);
        let prefilled = relative.get(&applicant).await.text();
        assert!(
            prefilled.contains("value=\"王𠀀\""),
            "the principal's name, outside the BMP"
        );
        let next = answer(
            &mut relative,
            &applicant,
            &[
                ("full_name", "王𠀀"),
                ("id_number", "99010219480214001X"),
                ("phone", ELDER),
            ],
        )
        .await;
        let purpose = location(&next);
        let next = answer(
            &mut relative,
            &purpose,
            &[
                ("purpose", "other"),
                ("receiving_org", "社区"),
                ("paper_copy", "no"),
            ],
        )
        .await;
        let id = draft_id(&location(&next));
        let declaration = relative
            .get(&format!("/applications/{id}/declaration"))
            .await
            .text();
        let sent = relative
            .post(
                &format!("/applications/{id}/declaration"),
                &[
                    ("csrf", &csrf_of(&declaration)),
                    ("declaration", "confirmed"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        let the_case = case::Entity::find().one(&db.conn).await.unwrap().unwrap();
        let mut elder = signed_in(app.clone(), ELDER).await;
        let mine = elder.get("/account/applications").await.text();
        assert!(
            mine.contains(the_case.tracking_number.as_str()),
            "the principal sees it"
        );
        let case_page = elder
            .get(&format!("/applications/cases/{}", the_case.id))
            .await
            .text();
        assert!(case_page.contains("王𠀀"), "the name round-trips exactly");
        db.finish().await;
    }
}

#[tokio::test]
async fn drafts_belong_to_their_filler() {
    for db in TestDb::all("web applications draft access").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let id = draft_id(&first);
        let mut other = signed_in(app.clone(), OTHER).await;
        for path in [
            first.clone(),
            format!("/applications/{id}"),
            format!("/applications/{id}/check"),
            format!("/applications/{id}/declaration"),
        ] {
            assert_eq!(
                other.get(&path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        // Resuming from "my applications" goes to the first unanswered page.
        let mine = citizen.get("/account/applications").await.text();
        assert!(mine.contains(&format!("/applications/{id}\"")));
        let resumed = citizen.get(&format!("/applications/{id}")).await;
        assert_eq!(location(&resumed), first);
        // Not signed in: to the sign-in page.
        let anonymous = get(&app, &first).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert!(
            anonymous
                .header("location")
                .unwrap()
                .starts_with("/login?next=")
        );
        // Discarding deletes it.
        let csrf = csrf_of(&mine);
        let discarded = citizen
            .post(&format!("/applications/{id}/discard"), &[("csrf", &csrf)])
            .await;
        assert_eq!(discarded.status, StatusCode::SEE_OTHER);
        assert_eq!(citizen.get(&first).await.status, StatusCode::NOT_FOUND);
        db.finish().await;
    }
}

#[tokio::test]
async fn drafts_are_reminded_once_before_they_expire_and_then_deleted() {
    use tongban_domain::clock::FixedClock;
    for db in TestDb::all("web applications draft expiry").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let app = tongban_web::app(state.clone());
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let snapshot = state.snapshots.current();
        let now = clock().0;
        let sweep = |days: i64| {
            let state = state.clone();
            let snapshot = snapshot.clone();
            async move {
                state
                    .applications
                    .sweep_drafts(
                        &FixedClock(now + chrono::Duration::days(days)),
                        &snapshot.catalog,
                    )
                    .await
                    .unwrap()
            }
        };
        let early = sweep(20).await;
        assert_eq!((early.reminded, early.deleted), (0, 0), "not yet");
        let due = sweep(28).await;
        assert_eq!((due.reminded, due.deleted), (1, 0));
        let again = sweep(29).await;
        assert_eq!(again.reminded, 0, "reminded once only");
        let reminders = notification::Entity::find()
            .filter(notification::Column::Template.eq("draft-expiring"))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(reminders.len(), 1);
        let inbox = citizen.get("/account/inbox").await.text();
        assert!(inbox.contains("will be deleted"), "{inbox}");
        let gone = sweep(31).await;
        assert_eq!(gone.deleted, 1);
        assert_eq!(citizen.get(&first).await.status, StatusCode::NOT_FOUND);
        db.finish().await;
    }
}

#[tokio::test]
async fn files_of_a_page_later_skipped_do_not_travel_with_the_case() {
    for db in TestDb::all("web applications skipped files").await {
        let app = demo_app(&db).await;
        let mut citizen = signed_in(app.clone(), CITIZEN).await;
        let first = start(&mut citizen, "GA0001").await;
        let id = draft_id(&first);
        let with_agent = [
            ("nationality", "chinese"),
            ("local_link", "hukou"),
            ("by_agent", "yes"),
        ];
        let next = answer(&mut citizen, &first, &with_agent).await;
        let applicant = location(&next);
        let next = answer(
            &mut citizen,
            &applicant,
            &[
                ("full_name", "张三"),
                ("id_number", "990102199003071233"),
                ("phone", CITIZEN),
            ],
        )
        .await;
        let purpose = location(&next);
        let next = answer(
            &mut citizen,
            &purpose,
            &[
                ("purpose", "employment"),
                ("receiving_org", "某公司"),
                ("paper_copy", "no"),
            ],
        )
        .await;
        let authorisation = location(&next);
        let csrf = csrf_of(&citizen.get(&authorisation).await.text());
        let pdf = b"%PDF-1.7\n%%EOF\n";
        post_multipart(
            &mut citizen,
            &authorisation,
            &[("csrf", &csrf)],
            Some(("authorisation_letter", "letter.pdf", pdf)),
        )
        .await;
        assert_eq!(upload::Entity::find().count(&db.conn).await.unwrap(), 1);
        // No agent after all: the authorisation page drops off the route.
        let changed = answer(
            &mut citizen,
            &format!("{first}?change=1"),
            &[
                ("nationality", "chinese"),
                ("local_link", "hukou"),
                ("by_agent", "no"),
            ],
        )
        .await;
        assert_eq!(location(&changed), format!("/applications/{id}/check"));
        let declaration = citizen
            .get(&format!("/applications/{id}/declaration"))
            .await
            .text();
        let sent = citizen
            .post(
                &format!("/applications/{id}/declaration"),
                &[
                    ("csrf", &csrf_of(&declaration)),
                    ("declaration", "confirmed"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 1);
        assert_eq!(
            upload::Entity::find().count(&db.conn).await.unwrap(),
            0,
            "the unused file's record is gone with the draft"
        );
        db.finish().await;
    }
}
