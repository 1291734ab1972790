//! The staff workbench through the real router, on SQLite and PostgreSQL: cases of SJ0001
//! (registration workflow) filed for the demo person, then the clerk's inbox lists them, the case
//! page offers acceptance, accepting moves the case and a second post on the old version is
//! refused as a conflict, a correction request without its required comment is refused with
//! the error linked to the field, a batch reports one line per case (a stale one included),
//! the acceptance notice downloads as PDF, a police clerk neither lists nor opens the case, and
//! no POST goes through without its CSRF token.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use tongban_store::entities::{audit_entry, case, case_event};
use tongban_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tongban_store::testing::TestDb;
use tongban_web::AppState;
use uuid::Uuid;

const PERSON: &str = "13800000001";

async fn setup(name: &str) -> Vec<(TestDb, AppState)> {
    let mut out = Vec::new();
    for db in TestDb::all(name).await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        out.push((db, state));
    }
    out
}

/// The value of the hidden `version` field of the page's action forms.
fn version_of(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("an action form") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn case_path(id: Uuid) -> String {
    format!("/workbench/cases/{id}")
}

#[tokio::test]
async fn the_clerk_accepts_from_the_case_page_and_a_stale_page_is_refused() {
    for (db, state) in setup("workbench walk").await {
        let filed = file_cases(&state, &db, "SJ0001", 1).await.remove(0);
        let app = tongban_web::app(state.clone());
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;

        let inbox = clerk.get("/workbench").await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", inbox.text());
        let inbox = inbox.text();
        assert!(
            inbox.contains(&filed.tracking_number),
            "listed in the inbox"
        );
        assert!(inbox.contains(&format!("href=\"/workbench/cases/{}\"", filed.id)));
        assert!(inbox.contains("1 task in total"));
        // The deadline says in words how far off it is, not only by colour.
        assert!(
            inbox.contains("working day left") || inbox.contains("Due today"),
            "{inbox}"
        );
        assert!(inbox.contains("class=\"deadline deadline-"));
        assert!(inbox.contains("Nobody"), "claimed by nobody yet");

        let path = case_path(filed.id);
        let page = clerk.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.text();
        assert!(page.contains("id=\"action-accept\""), "accept offered");
        assert!(page.contains(">Accept</button>"));
        assert!(page.contains("id=\"action-request-correction\""));
        assert!(page.contains("aria-current=\"step\""), "progress bar");
        let version = version_of(&page);
        let csrf = csrf_of(&page);

        // A correction request needs its comment: refused, the error linked to the field.
        let act = format!("{path}/act");
        let refused = clerk
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "request-correction"),
                    ("version", &version),
                    ("comment", "  "),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = refused.text();
        assert!(text.contains("a comment is required"), "{text}");
        assert!(text.contains("href=\"#comment-request-correction\""));

        // Accepting moves the case on.
        let accepted = clerk
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "accept"),
                    ("version", &version),
                    ("comment", "材料齐全"),
                ],
            )
            .await;
        assert_eq!(
            accepted.status,
            StatusCode::SEE_OTHER,
            "{}",
            accepted.text()
        );
        assert_eq!(
            accepted.header("location"),
            Some(&*format!("{path}?done=acted"))
        );
        let after = clerk.get(&format!("{path}?done=acted")).await.text();
        assert!(after.contains("Done. The case has moved on."));
        assert!(after.contains("Examination and registration"), "new state");
        assert!(after.contains("材料齐全"), "the comment is in the timeline");
        assert!(
            after.contains("You can see this case but there is nothing for you to do on it."),
            "the clerk may see it, not act on it, after acceptance"
        );
        let row = case::Entity::find_by_id(filed.id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, "review");

        // The same form again, on the version it showed: a conflict, nothing written.
        let again = clerk
            .post(
                &act,
                &[
                    ("csrf", &csrf),
                    ("action", "accept"),
                    ("version", &version),
                    ("comment", "第二次"),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let text = again.text();
        assert!(text.contains("changed since you loaded it"), "{text}");
        assert!(text.contains("第二次"), "the comment is kept");
        let events = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(filed.id))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "one action recorded");

        // The acceptance notice downloads as PDF.
        let marker = format!("href=\"{path}/notices/");
        let start = after.find(&marker).expect("a notice link") + "href=\"".len();
        let href = &after[start..start + after[start..].find('"').unwrap()];
        let pdf = clerk.get(href).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert!(pdf.body.starts_with(b"%PDF"));
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(
            pdf.header("content-disposition")
                .is_some_and(|v| v.contains("acceptance")),
            "{:?}",
            pdf.header("content-disposition")
        );

        // The reviewer claims the new task and finds it under "claimed by me".
        let mut reviewer = signed_in(app.clone(), "sj.reviewer").await;
        let page = reviewer.get(&path).await.text();
        assert!(
            page.contains(">Register</button>"),
            "the reviewer may decide"
        );
        let marker = "name=\"task\" value=\"";
        let start = page.find(marker).expect("a claim form") + marker.len();
        let task = page[start..start + 36].to_owned();
        let csrf = csrf_of(&page);
        let claimed = reviewer
            .post(
                &format!("{path}/claim"),
                &[("csrf", &csrf), ("task", &task)],
            )
            .await;
        assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.text());
        let mine = reviewer.get("/workbench?mine=1").await.text();
        assert!(mine.contains(&filed.tracking_number));
        assert!(mine.contains(">Me</td>"));

        // An internal note lands in the timeline, marked internal; an empty one is refused.
        let empty = reviewer
            .post(
                &format!("{path}/note"),
                &[("csrf", &csrf), ("text", " "), ("to", "internal")],
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.text().contains("href=\"#note-text\""));
        let noted = reviewer
            .post(
                &format!("{path}/note"),
                &[
                    ("csrf", &csrf),
                    ("text", "已电话核实经营场所"),
                    ("to", "internal"),
                ],
            )
            .await;
        assert_eq!(noted.status, StatusCode::SEE_OTHER);
        let page = reviewer.get(&path).await.text();
        assert!(page.contains("已电话核实经营场所"));
        assert!(page.contains("Internal note"));

        let audits = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("cases.accept"))
            .all(&db.conn)
            .await
            .unwrap();
        assert_eq!(audits.len(), 1, "the service audits the action");
    }
}

#[tokio::test]
async fn a_batch_reports_every_case_including_one_that_changed() {
    for (db, state) in setup("workbench batch").await {
        let filed = file_cases(&state, &db, "SJ0001", 3).await;
        let app = tongban_web::app(state.clone());
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let inbox = clerk.get("/workbench").await.text();
        let csrf = csrf_of(&inbox);
        let tokens: Vec<String> = filed
            .iter()
            .map(|f| {
                let marker = format!("value=\"{}.", f.id);
                let start = inbox.find(&marker).expect("a checkbox per case") + "value=\"".len();
                inbox[start..start + inbox[start..].find('"').unwrap()].to_owned()
            })
            .collect();

        // Someone accepts the first case meanwhile: the inbox's version is stale.
        let path = case_path(filed[0].id);
        let page = clerk.get(&path).await.text();
        let moved = clerk
            .post(
                &format!("{path}/act"),
                &[
                    ("csrf", &csrf_of(&page)),
                    ("action", "accept"),
                    ("version", &version_of(&page)),
                ],
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER);

        let mut form: Vec<(&str, &str)> = tokens.iter().map(|t| ("case", t.as_str())).collect();
        form.extend([
            ("csrf", csrf.as_str()),
            ("action", "accept"),
            ("comment", ""),
        ]);
        let result = clerk.post("/workbench/batch", &form).await;
        assert_eq!(result.status, StatusCode::OK, "{}", result.text());
        let text = result.text();
        assert!(text.contains("2 done, 1 not done"), "{text}");
        for f in &filed {
            assert!(text.contains(&f.tracking_number), "a line per case");
        }
        assert!(text.contains("changed since you loaded it"));
        assert_eq!(
            text.matches("now: Examination and registration").count(),
            2,
            "{text}"
        );

        // A refusal the workflow makes is named too: a correction needs its comment.
        let more = file_cases(&state, &db, "SJ0001", 1).await;
        let version = case::Entity::find_by_id(more[0].id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap()
            .version;
        let token = format!("{}.{version}", more[0].id);
        let refused = clerk
            .post(
                "/workbench/batch",
                &[
                    ("case", token.as_str()),
                    ("csrf", csrf.as_str()),
                    ("action", "request-correction"),
                ],
            )
            .await;
        assert!(refused.text().contains("a comment is required"));

        // Nothing selected: back to the inbox with the error.
        let none = clerk
            .post("/workbench/batch", &[("csrf", &csrf), ("action", "accept")])
            .await;
        assert_eq!(
            none.header("location"),
            Some("/workbench?error=none-selected")
        );
        let page = clerk.get("/workbench?error=none-selected").await.text();
        assert!(page.contains("Select at least one case"));
    }
}

#[tokio::test]
async fn a_police_clerk_neither_lists_nor_opens_a_market_regulation_case() {
    for (db, state) in setup("workbench departments").await {
        let filed = file_cases(&state, &db, "SJ0001", 1).await.remove(0);
        let app = tongban_web::app(state.clone());
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let page = clerk.get(&case_path(filed.id)).await.text();
        let version = version_of(&page);
        clerk
            .post(
                &format!("{}/act", case_path(filed.id)),
                &[
                    ("csrf", &csrf_of(&page)),
                    ("action", "accept"),
                    ("version", &version),
                ],
            )
            .await;
        let page = clerk.get(&case_path(filed.id)).await.text();
        let marker = format!("href=\"{}/notices/", case_path(filed.id));
        let start = page.find(&marker).expect("a notice") + "href=\"".len();
        let notice = page[start..start + page[start..].find('"').unwrap()].to_owned();

        let mut police = signed_in(app.clone(), "ga.clerk").await;
        let inbox = police.get("/workbench").await;
        assert_eq!(inbox.status, StatusCode::OK);
        assert!(!inbox.text().contains(&filed.tracking_number));
        assert_eq!(
            police.get(&case_path(filed.id)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(police.get(&notice).await.status, StatusCode::NOT_FOUND);
        let csrf = csrf_of(&inbox.text());
        let act = police
            .post(
                &format!("{}/act", case_path(filed.id)),
                &[("csrf", &csrf), ("action", "accept"), ("version", "2")],
            )
            .await;
        assert_eq!(act.status, StatusCode::NOT_FOUND);
        let batch = police
            .post(
                "/workbench/batch",
                &[
                    ("csrf", &csrf),
                    ("action", "accept"),
                    ("case", &format!("{}.2", filed.id)),
                ],
            )
            .await;
        assert!(batch.text().contains("not found"));
        assert!(
            !batch.text().contains(&filed.tracking_number),
            "the batch does not reveal the number"
        );

        // Who reaches the inbox at all.
        let anonymous = get(&app, "/workbench").await;
        assert!(
            anonymous
                .header("location")
                .is_some_and(|l| l.starts_with("/login"))
        );
        let mut person = signed_in(app.clone(), PERSON).await;
        assert_eq!(person.get("/workbench").await.status, StatusCode::FORBIDDEN);
        assert_eq!(
            person.get(&case_path(filed.id)).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn every_post_without_its_csrf_token_is_refused() {
    for (db, state) in setup("workbench csrf").await {
        let filed = file_cases(&state, &db, "SJ0001", 1).await.remove(0);
        let app = tongban_web::app(state.clone());
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let page = clerk.get(&case_path(filed.id)).await.text();
        let version = version_of(&page);
        let path = case_path(filed.id);
        let token = format!("{}.{version}", filed.id);
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                format!("{path}/act"),
                vec![("action", "accept"), ("version", &version)],
            ),
            (format!("{path}/claim"), vec![("task", "x")]),
            (format!("{path}/release"), vec![("task", "x")]),
            (
                format!("{path}/note"),
                vec![("text", "备注"), ("to", "internal")],
            ),
            (
                "/workbench/batch".to_owned(),
                vec![("case", &token), ("action", "accept")],
            ),
        ];
        for (uri, fields) in &posts {
            let reply = clerk.post(uri, fields).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{uri} without a token");
            let mut wrong = fields.clone();
            wrong.push(("csrf", "forged"));
            let reply = clerk.post(uri, &wrong).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{uri} with a forged token"
            );
        }
        let row = case::Entity::find_by_id(filed.id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, "intake", "nothing was done");
        let events = case_event::Entity::find()
            .filter(case_event::Column::CaseId.eq(filed.id))
            .all(&db.conn)
            .await
            .unwrap();
        assert!(events.is_empty());
    }
}

/// The `href` of the first link to an uploaded file in `html`.
fn file_link(html: &str) -> String {
    let marker = "href=\"/applications/files/";
    let start = html.find(marker).expect("a file link") + "href=\"".len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn an_objection_takes_its_file_and_only_staff_may_download_it() {
    use tongban_store::entities::upload;
    use tongban_store::sea_orm::PaginatorTrait;
    for (db, state) in setup("workbench attachments").await {
        let filed = file_cases(&state, &db, "SJ0002", 1).await.remove(0);
        let app = tongban_web::app(state.clone());
        let path = case_path(filed.id);
        let act = format!("{path}/act");

        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        let page = clerk.get(&path).await.text();
        let accepted = clerk
            .post(
                &act,
                &[
                    ("csrf", &csrf_of(&page)),
                    ("action", "accept"),
                    ("version", &version_of(&page)),
                ],
            )
            .await;
        assert_eq!(
            accepted.status,
            StatusCode::SEE_OTHER,
            "{}",
            accepted.text()
        );
        clear_record_check(&state, &db, filed.id).await;

        // Health's reviewer sees the objection form take files.
        let mut health = signed_in(app.clone(), "wj.reviewer").await;
        let page = health.get(&path).await.text();
        let form_start = page.find("id=\"action-object\"").expect("object offered");
        let form = &page[form_start..form_start + page[form_start..].find("</form>").unwrap()];
        assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");
        assert!(form.contains("name=\"attachment\" type=\"file\""));
        assert!(form.contains("aria-required=\"true\""));
        let csrf = csrf_of(&page);
        let version = version_of(&page);
        let pdf: &[u8] = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

        // A file without the form's token is refused before a byte is stored.
        let forged = post_multipart(
            &mut health,
            &act,
            &[("action", "object"), ("version", &version)],
            Some(("attachment", "record.pdf", pdf)),
        )
        .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(upload::Entity::find().count(&db.conn).await.unwrap(), 0);

        // No file: refused, the error linked to the file input, the comment kept.
        let fields = [
            ("csrf", csrf.as_str()),
            ("action", "object"),
            ("version", version.as_str()),
            ("comment", "后厨未设洗手设施"),
        ];
        let bare = post_multipart(&mut health, &act, &fields, None).await;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = bare.text();
        assert!(text.contains("href=\"#attachment-object\""), "{text}");
        assert!(text.contains("后厨未设洗手设施"));

        // A web page dressed as a PDF is refused by its content; the case does not move.
        let fake = post_multipart(
            &mut health,
            &act,
            &fields,
            Some((
                "attachment",
                "record.pdf",
                b"<html><script>alert(1)</script>",
            )),
        )
        .await;
        assert_eq!(fake.status, StatusCode::UNPROCESSABLE_ENTITY);
        let text = fake.text();
        assert!(text.contains("record.pdf: "), "{text}");
        assert!(text.contains("not of an accepted kind"), "{text}");
        assert_eq!(upload::Entity::find().count(&db.conn).await.unwrap(), 0);

        // With the inspection record the objection is recorded, the file in the timeline.
        let objected = post_multipart(
            &mut health,
            &act,
            &fields,
            Some(("attachment", "现场核查记录.pdf", pdf)),
        )
        .await;
        assert_eq!(
            objected.status,
            StatusCode::SEE_OTHER,
            "{}",
            objected.text()
        );
        let page = health.get(&path).await.text();
        assert!(
            page.contains("现场核查记录.pdf"),
            "listed with the objection"
        );
        let href = file_link(&page);

        // Market regulation's reviewer reads it (audited); the applicant may not.
        let mut market = signed_in(app.clone(), "sj.reviewer").await;
        let download = market.get(&href).await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(download.body.as_slice(), pdf);
        assert!(
            download
                .header("content-disposition")
                .is_some_and(|v| v.starts_with("attachment")),
            "never rendered inline"
        );
        let reads = audit_entry::Entity::find()
            .filter(audit_entry::Column::Action.eq("cases.read-attachment"))
            .count(&db.conn)
            .await
            .unwrap();
        assert_eq!(reads, 1);
        let mut applicant = signed_in(app.clone(), PERSON).await;
        assert_eq!(applicant.get(&href).await.status, StatusCode::NOT_FOUND);

        // Once market regulation agrees, the approver sends the findings to the applicant with
        // the correction notice: that file is the applicant's to read, on their own case page.
        let page = market.get(&path).await.text();
        let concurred = market
            .post(
                &act,
                &[
                    ("csrf", &csrf_of(&page)),
                    ("action", "concur"),
                    ("version", &version_of(&page)),
                ],
            )
            .await;
        assert_eq!(
            concurred.status,
            StatusCode::SEE_OTHER,
            "{}",
            concurred.text()
        );
        let mut approver = signed_in(app.clone(), "sj.approver").await;
        let page = approver.get(&path).await.text();
        let sent = post_multipart(
            &mut approver,
            &act,
            &[
                ("csrf", &csrf_of(&page)),
                ("action", "request-correction"),
                ("version", &version_of(&page)),
                ("comment", "增设洗手设施并上传照片"),
            ],
            Some(("attachment", "整改要求.pdf", pdf)),
        )
        .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text());
        let mine = applicant
            .get(&format!("/applications/cases/{}", filed.id))
            .await
            .text();
        assert!(mine.contains("整改要求.pdf"), "{mine}");
        assert!(
            !mine.contains("现场核查记录.pdf"),
            "the internal file stays internal"
        );
        let told = applicant.get(&file_link(&mine)).await;
        assert_eq!(told.status, StatusCode::OK);
        assert_eq!(told.body.as_slice(), pdf);
    }
}

#[tokio::test]
async fn a_registration_issues_the_licence_which_the_approver_may_revoke_with_a_reason() {
    use tongban_store::entities::certificate;
    for (db, state) in setup("workbench certificates").await {
        let filed = file_cases(&state, &db, "SJ0001", 1).await.remove(0);
        let app = tongban_web::app(state.clone());
        let path = case_path(filed.id);
        let act = format!("{path}/act");
        for (who, action) in [("sj.clerk", "accept"), ("sj.reviewer", "approve")] {
            let mut person = signed_in(app.clone(), who).await;
            let page = person.get(&path).await.text();
            let done = person
                .post(
                    &act,
                    &[
                        ("csrf", &csrf_of(&page)),
                        ("action", action),
                        ("version", &version_of(&page)),
                    ],
                )
                .await;
            assert_eq!(done.status, StatusCode::SEE_OTHER, "{who}: {}", done.text());
        }
        let issued = certificate::Entity::find()
            .filter(certificate::Column::CaseId.eq(filed.id))
            .one(&db.conn)
            .await
            .unwrap()
            .expect("the registration issued the licence");
        assert_eq!(issued.type_key, "business-licence");
        // The applicant finds it in their wallet, its fields under the type's labels.
        let mut applicant = signed_in(app.clone(), PERSON).await;
        let held = applicant
            .get(&format!("/account/certificates/{}", issued.id))
            .await
            .text();
        assert!(held.contains("Valid: genuine"), "{held}");
        assert!(held.contains("Trader or legal representative"), "{held}");
        assert!(held.contains("张三"));
        assert!(held.contains("个体工商户"));

        // The reviewer sees it listed; only the approver (or the administrator) may revoke.
        let mut reviewer = signed_in(app.clone(), "sj.reviewer").await;
        let page = reviewer.get(&path).await.text();
        assert!(
            page.contains("Business licence") || page.contains("营业执照"),
            "{page}"
        );
        assert!(!page.contains("/revoke\""), "the reviewer may not revoke");
        let mut approver = signed_in(app.clone(), "sj.approver").await;
        let page = approver.get(&path).await.text();
        let revoke = format!("{path}/certificates/{}/revoke", issued.id);
        assert!(page.contains(&revoke));
        let csrf = csrf_of(&page);
        let bare = approver
            .post(&revoke, &[("csrf", &csrf), ("reason", " ")])
            .await;
        assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bare.text()
                .contains(&format!("href=\"#revoke-reason-{}\"", issued.id))
        );
        let forged = reviewer
            .post(&revoke, &[("csrf", &csrf), ("reason", "冒充")])
            .await;
        assert_eq!(
            forged.status,
            StatusCode::FORBIDDEN,
            "another session's token"
        );
        let done = approver
            .post(
                &revoke,
                &[("csrf", &csrf), ("reason", "登记事项虚假，依法撤销登记")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
        let after = approver.get(&format!("{path}?done=revoked")).await.text();
        assert!(after.contains("The certificate is revoked."), "{after}");
        assert!(after.contains("登记事项虚假"));
        let row = certificate::Entity::find_by_id(issued.id)
            .one(&db.conn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "revoked");
    }
}
