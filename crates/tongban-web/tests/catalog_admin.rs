//! Editing services online, through the real application on SQLite and PostgreSQL: a
//! department administrator edits a draft, previews it (the public does not see it), publishes
//! it (the public does, at once), reads the diff, and the old version stays readable; another
//! department's service is answered like a missing one; published versions cannot be changed
//! through the store; one draft per service holds under concurrent requests; a version dated in
//! the future goes live when the ticker sees its date pass.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::browser::*;
use common::*;
use tongban_domain::clock::Clock;
use tongban_services::catalog_admin::{self, EditError, Publication};
use tongban_services::identity::{
    AccountKind, CurrentUser, Grant, Origin, PasswordDue, SecondFactor,
};
use tongban_store::catalog_versions::{self as versions, VersionError};
use tongban_store::testing::TestDb;
use uuid::Uuid;

const EDITOR: &str = "/admin/catalog/services/SJ0001";

fn unescape(text: &str) -> String {
    text.replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// The fields a browser would submit from the form posting to `action`: inputs, checked
/// checkboxes, text areas and selected options (buttons left out).
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("a form posting to {action}"));
    let end = start + html[start..].find("</form>").expect("the form ends");
    let form = &html[start..end];
    let mut fields = Vec::new();
    let mut at = 0;
    while let Some(i) = form[at..].find('<') {
        let rest = &form[at + i..];
        let tag = &rest[..rest.find('>').expect("tag ends") + 1];
        if tag.starts_with("<input") {
            let checkbox = attr(tag, "type").as_deref() == Some("checkbox");
            if let Some(name) = attr(tag, "name")
                && (!checkbox || tag.contains(" checked"))
            {
                fields.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<textarea") {
            let body = &rest[tag.len()..];
            let text = &body[..body.find("</textarea>").expect("text area ends")];
            fields.push((attr(tag, "name").expect("named"), unescape(text)));
        } else if tag.starts_with("<select") {
            let body = &rest[tag.len()..];
            let options = &body[..body.find("</select>").expect("select ends")];
            let chosen = options
                .split("<option")
                .skip(1)
                .find(|o| o.contains(" selected"))
                .or_else(|| options.split("<option").nth(1))
                .expect("an option");
            fields.push((
                attr(tag, "name").expect("named"),
                attr(&format!(" {chosen}"), "value").unwrap_or_default(),
            ));
        }
        at += i + 1;
    }
    fields
}

async fn post_fields(browser: &mut Browser, uri: &str, fields: &[(String, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.post(uri, &pairs).await
}

fn set(fields: &mut [(String, String)], name: &str, value: &str) {
    let field = fields
        .iter_mut()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("the form has {name}"));
    field.1 = value.to_owned();
}

async fn public_page(app: &axum::Router, uri: &str) -> Reply {
    get_with(app, uri, &[("accept-language", "en")]).await
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

#[tokio::test]
async fn a_draft_is_previewed_published_and_kept_in_the_history() {
    for db in TestDb::all("catalog_edit_publish").await {
        let app = demo_app(&db).await;
        let mut admin = signed_in(app.clone(), "sj.admin").await;
        let list = admin.get("/admin/catalog").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(list.text().contains("SJ0001") && !list.text().contains("GA0001"));
        assert!(
            admin.get("/admin").await.text().contains("/admin/catalog"),
            "the tool is listed"
        );

        let editor = admin.get(EDITOR).await.text();
        let opened = admin
            .post(
                &format!("{EDITOR}/draft"),
                &[("csrf", csrf_of(&editor).as_str())],
            )
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER);
        let editor = admin.get(EDITOR).await.text();
        assert!(
            editor.contains("dir=\"rtl\""),
            "Uyghur inputs run right to left"
        );
        assert!(editor.contains("missing-translation"), "gaps are marked");
        let mut ids: Vec<&str> = editor
            .split(" id=\"")
            .skip(1)
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "every id on the editor page is unique");
        for id in &ids {
            if let Some(input) = id.strip_suffix("-zh-CN") {
                assert!(
                    editor.contains(&format!("<label for=\"{input}-zh-CN\">")),
                    "the input {id} has its label"
                );
            }
        }
        let mut fields = form_fields(&editor, &format!("{EDITOR}/save"));
        let old_name = fields
            .iter()
            .find(|(k, _)| k == "name.en")
            .map(|(_, v)| v.clone())
            .expect("an English name");
        let new_name = "Registration of individual businesses (revised)";
        set(&mut fields, "name.en", new_name);
        let saved = post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());

        let preview = admin.get(&format!("{EDITOR}/preview")).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert_eq!(preview.header("cache-control"), Some("private, no-store"));
        assert!(preview.text().contains(&escaped(new_name)));
        assert!(preview.text().contains("not published"));
        let public = public_page(&app, "/services/SJ0001").await.text();
        assert!(
            !public.contains(&escaped(new_name)),
            "a draft is not public"
        );
        assert!(public.contains(&escaped(&old_name)));

        // Publishing needs a change note.
        let editor = admin.get(EDITOR).await.text();
        let refused = admin
            .post(
                &format!("{EDITOR}/publish"),
                &[("csrf", csrf_of(&editor).as_str()), ("change_note", " ")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("href=\"#change_note\""));
        let past = admin
            .post(
                &format!("{EDITOR}/publish"),
                &[
                    ("csrf", csrf_of(&editor).as_str()),
                    ("change_note", "English name revised"),
                    ("effective_on", "2020-01-01"),
                ],
            )
            .await;
        assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(past.text().contains("href=\"#effective_on\""));

        let published = admin
            .post(
                &format!("{EDITOR}/publish"),
                &[
                    ("csrf", csrf_of(&editor).as_str()),
                    ("change_note", "English name revised"),
                ],
            )
            .await;
        assert_eq!(
            published.status,
            StatusCode::SEE_OTHER,
            "{}",
            published.text()
        );
        let public = public_page(&app, "/services/SJ0001").await.text();
        assert!(public.contains(&escaped(new_name)), "published at once");

        let history = admin.get(&format!("{EDITOR}/history")).await.text();
        assert!(history.contains("English name revised"));
        assert!(history.contains("sj.admin"), "the publisher is named");
        let diff = admin.get(&format!("{EDITOR}/history/2")).await.text();
        assert!(diff.contains("Name · en"), "{diff}");
        assert!(diff.contains(&escaped(&old_name)) && diff.contains(&escaped(new_name)));
        assert!(
            !diff.contains("Summary · zh-CN"),
            "only what changed is listed"
        );

        let old = public_page(&app, "/services/SJ0001/versions/1").await;
        assert_eq!(old.status, StatusCode::OK);
        assert!(old.text().contains(&escaped(&old_name)));
        assert!(old.text().contains("This is version 1"));
        assert!(old.text().contains("superseded on 2026-11-26"));
        assert_eq!(
            public_page(&app, "/services/SJ0001/versions/9")
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        let actions = audit_actions(&db).await;
        for action in [
            "catalog.draft-open",
            "catalog.draft-save",
            "catalog.publish",
        ] {
            assert!(actions.iter().any(|a| a == action), "{action} audited");
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn lists_grow_and_shrink_without_javascript_and_errors_link_to_fields() {
    for db in TestDb::all("catalog_edit_lists").await {
        let app = demo_app(&db).await;
        let mut admin = signed_in(app.clone(), "sj.admin").await;
        let editor = admin.get(EDITOR).await.text();
        admin
            .post(
                &format!("{EDITOR}/draft"),
                &[("csrf", csrf_of(&editor).as_str())],
            )
            .await;
        let editor = admin.get(EDITOR).await.text();
        let mut fields = form_fields(&editor, &format!("{EDITOR}/save"));
        let rows = |html: &str| {
            (0..50)
                .take_while(|i| html.contains(&format!("name=\"faq[{i}].question.zh-CN\"")))
                .count()
        };
        let before = rows(&editor);
        let blank = before - 1;
        set(
            &mut fields,
            &format!("faq[{blank}].question.zh-CN"),
            "可以代办吗？",
        );
        set(
            &mut fields,
            &format!("faq[{blank}].answer.zh-CN"),
            "可以，需提供授权委托书。",
        );
        fields.push(("then".into(), "faq".into()));
        let saved = post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER);
        assert!(saved.header("location").unwrap().ends_with("#faq"));
        let editor = admin.get(EDITOR).await.text();
        assert_eq!(
            rows(&editor),
            before + 1,
            "the row was kept and a blank one added"
        );
        assert!(editor.contains("可以代办吗？"));

        // Clearing every field of the row removes it.
        let mut fields = form_fields(&editor, &format!("{EDITOR}/save"));
        for (name, value) in fields.iter_mut() {
            if name.starts_with(&format!("faq[{blank}].")) {
                value.clear();
            }
        }
        post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        let editor = admin.get(EDITOR).await.text();
        assert_eq!(rows(&editor), before);

        // A fee in yuan is stored in fen; a malformed amount is refused and shown as typed.
        let mut fields = form_fields(&editor, &format!("{EDITOR}/save"));
        let fee_rows = (0..50)
            .take_while(|i| editor.contains(&format!("name=\"fees[{i}].amount\"")))
            .count();
        let fee = fee_rows - 1;
        set(&mut fields, &format!("fees[{fee}].item.zh-CN"), "工本费");
        set(&mut fields, &format!("fees[{fee}].amount"), "12.345");
        let refused = post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = refused.text();
        assert!(page.contains(&format!("href=\"#fees-{fee}-amount\"")));
        assert!(page.contains("value=\"12.345\""));
        set(&mut fields, &format!("fees[{fee}].amount"), "12.5");
        post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
            .await
            .unwrap()
            .unwrap();
        let service = versions::service_by_code(&db.conn, region, "SJ0001")
            .await
            .unwrap()
            .unwrap();
        let draft = versions::draft_of(&db.conn, region, service.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(draft.content.fees[fee].amount.0, 1250);

        // An incomplete draft is kept, and publishing lists what is missing, linked to fields.
        let mut fields = form_fields(&editor, &format!("{EDITOR}/save"));
        set(&mut fields, "name.zh-CN", "");
        post_fields(&mut admin, &format!("{EDITOR}/save"), &fields).await;
        let editor = admin.get(EDITOR).await.text();
        assert!(editor.contains("href=\"#name-zh-CN\""), "{editor}");
        let refused = admin
            .post(
                &format!("{EDITOR}/publish"),
                &[
                    ("csrf", csrf_of(&editor).as_str()),
                    ("change_note", "rename"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.text().contains("error-summary"));

        // Discarding leaves the published version untouched.
        let discarded = admin
            .post(
                &format!("{EDITOR}/discard"),
                &[("csrf", csrf_of(&editor).as_str())],
            )
            .await;
        assert_eq!(discarded.status, StatusCode::SEE_OTHER);
        assert!(
            versions::draft_of(&db.conn, region, service.id)
                .await
                .unwrap()
                .is_none()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn another_departments_service_is_answered_like_a_missing_one() {
    for db in TestDb::all("catalog_edit_scope").await {
        let app = demo_app(&db).await;
        let mut admin = signed_in(app.clone(), "sj.admin").await;
        let csrf = csrf_of(&admin.get("/admin/catalog").await.text());
        let missing = admin.get("/admin/catalog/services/SJ9999").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let other = admin.get("/admin/catalog/services/GA0001").await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        assert_eq!(other.text(), missing.text().replace("SJ9999", "GA0001"));
        let publish = admin
            .post(
                "/admin/catalog/services/GA0001/publish",
                &[("csrf", csrf.as_str()), ("change_note", "x")],
            )
            .await;
        assert_eq!(publish.status, StatusCode::NOT_FOUND);
        let draft = admin
            .post(
                "/admin/catalog/services/GA0001/draft",
                &[("csrf", csrf.as_str())],
            )
            .await;
        assert_eq!(draft.status, StatusCode::NOT_FOUND);
        let mut clerk = signed_in(app.clone(), "sj.clerk").await;
        assert_eq!(
            clerk.get("/admin/catalog/services/SJ0001").await.status,
            StatusCode::FORBIDDEN
        );
        // A new service gets the department's next code and starts as a draft.
        let highest = tongban_services::catalog::demo_document()
            .unwrap()
            .services
            .iter()
            .filter_map(|s| s.code.strip_prefix("SJ")?.parse::<u32>().ok())
            .max()
            .unwrap();
        let next = format!("SJ{:04}", highest + 1);
        let created = admin
            .post("/admin/catalog/new", &[("csrf", csrf.as_str())])
            .await;
        assert_eq!(
            created.header("location"),
            Some(format!("/admin/catalog/services/{next}?done=created").as_str())
        );
        let editor = admin
            .get(&format!("/admin/catalog/services/{next}"))
            .await
            .text();
        assert!(editor.contains(&format!("action=\"/admin/catalog/services/{next}/save\"")));
        assert!(
            audit_actions(&db)
                .await
                .contains(&"catalog.service-create".to_owned())
        );
        db.finish().await;
    }
}

/// The id of a demo service and its region.
async fn demo_service(db: &TestDb, code: &str) -> (Uuid, Uuid) {
    let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
        .await
        .unwrap()
        .unwrap();
    let service = versions::service_by_code(&db.conn, region, code)
        .await
        .unwrap()
        .unwrap();
    (region, service.id)
}

#[tokio::test]
async fn the_store_refuses_to_change_a_published_version() {
    for db in TestDb::all("catalog_immutable").await {
        demo_state(&db, tongban_web::Mode::Demo).await;
        let (region, service) = demo_service(&db, "SJ0001").await;
        let published = versions::versions_of(&db.conn, region, service)
            .await
            .unwrap();
        let v1 = published.iter().find(|v| v.version == 1).unwrap();
        let mut changed = v1.content.clone();
        changed.name = tongban_domain::LocalizedText::new("篡改");
        let now = clock().0;
        let by = Uuid::now_v7();
        assert!(matches!(
            versions::save_draft(&db.conn, region, v1.id, &changed, by, now).await,
            Err(VersionError::Immutable(_))
        ));
        assert!(matches!(
            versions::discard_draft(&db.conn, region, v1.id).await,
            Err(VersionError::Immutable(_))
        ));
        assert!(matches!(
            versions::publish_draft(&db.conn, region, service, v1.id, now, "again", by, now).await,
            Err(VersionError::Immutable(_))
        ));
        // Another region's id for the same row finds nothing.
        assert!(matches!(
            versions::save_draft(&db.conn, Uuid::now_v7(), v1.id, &changed, by, now).await,
            Err(VersionError::NotFound)
        ));
        let after = versions::published_version(&db.conn, region, service, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.content, v1.content);
        // A second draft is refused by the database itself.
        versions::open_draft(&db.conn, region, service, &changed, Some(1), by, now)
            .await
            .unwrap();
        assert!(matches!(
            versions::open_draft(&db.conn, region, service, &changed, Some(1), by, now).await,
            Err(VersionError::DraftExists)
        ));
        db.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_draft_per_service_holds_under_concurrent_requests() {
    for db in TestDb::all("catalog_one_draft").await {
        let state = demo_state(&db, tongban_web::Mode::Demo).await;
        let app = tongban_web::app(state);
        let mut first = signed_in(app.clone(), "sj.admin").await;
        let mut second = signed_in(app.clone(), "sj.admin").await;
        let csrf_first = csrf_of(&first.get(EDITOR).await.text());
        let csrf_second = csrf_of(&second.get(EDITOR).await.text());
        let uri = format!("{EDITOR}/draft");
        let form_first = [("csrf", csrf_first.as_str())];
        let form_second = [("csrf", csrf_second.as_str())];
        // Both requests are in flight together: each opens its transaction before either
        // commits.
        let (a, b) = tokio::join!(
            first.post(&uri, &form_first),
            second.post(&uri, &form_second),
        );
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.text());
        assert_eq!(b.status, StatusCode::SEE_OTHER, "{}", b.text());
        let (region, service) = demo_service(&db, "SJ0001").await;
        let drafts = versions::versions_of(&db.conn, region, service)
            .await
            .unwrap()
            .into_iter()
            .filter(|v| v.is_draft())
            .count();
        assert_eq!(drafts, 1);
        let opened = audit_actions(&db)
            .await
            .into_iter()
            .filter(|a| a == "catalog.draft-open")
            .count();
        assert_eq!(
            opened, 1,
            "the request that found the draft open changed nothing"
        );
        db.finish().await;
    }
}

/// A clock the test moves forward.
struct MovableClock(Mutex<DateTime<Utc>>);

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn a_version_dated_in_the_future_goes_live_when_its_day_comes() {
    for db in TestDb::all("catalog_future").await {
        let clock = Arc::new(MovableClock(Mutex::new(common::clock().0)));
        tongban_services::catalog::seed_demo(&db.conn, clock.as_ref())
            .await
            .unwrap();
        let identity = common::identity(&db);
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
        let app = tongban_web::app(state.clone());
        // The service layer is driven directly here: the HTTP flow is covered above, and
        // this test moves the clock, which a signed-in session would not survive.
        let account = tongban_store::identity::find_by_login(
            &db.conn,
            &tongban_store::identity::LoginKey::Username("sj.admin".into()),
        )
        .await
        .unwrap()
        .unwrap();
        let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
            .await
            .unwrap()
            .unwrap();
        let user = CurrentUser {
            account_id: account.id,
            kind: AccountKind::Staff,
            display_name: account.display_name.clone(),
            roles: vec![Grant {
                role: tongban_domain::access::Role::DepartmentAdmin,
                region_id: region,
                department_id: Some(demo_department(&db, "SJ").await),
            }],
            session_hash: String::new(),
            second_factor: SecondFactor::Passed,
            acting_for: None,
            password_due: PasswordDue::No,
        };
        let origin = Origin::default();
        catalog_admin::open_draft(&db.conn, clock.as_ref(), &user, &origin, "SJ0001")
            .await
            .unwrap();
        let found = catalog_admin::service_versions(&db.conn, clock.as_ref(), &user, "SJ0001")
            .await
            .unwrap();
        let mut content = found.draft().unwrap().content.clone();
        content.summary = content
            .summary
            .with(tongban_domain::Locale::En, "New rules from tomorrow.");
        catalog_admin::save_draft(&db.conn, clock.as_ref(), &user, &origin, "SJ0001", content)
            .await
            .unwrap();
        let yesterday = (clock.now() - Duration::days(1)).date_naive();
        assert!(matches!(
            catalog_admin::publish(
                &db.conn,
                clock.as_ref(),
                &user,
                &origin,
                "SJ0001",
                &Publication {
                    change_note: "from tomorrow".into(),
                    effective_on: Some(yesterday),
                },
            )
            .await,
            Err(EditError::DateInPast)
        ));
        let tomorrow = (clock.now() + Duration::days(1)).date_naive();
        let number = catalog_admin::publish(
            &db.conn,
            clock.as_ref(),
            &user,
            &origin,
            "SJ0001",
            &Publication {
                change_note: "from tomorrow".into(),
                effective_on: Some(tomorrow),
            },
        )
        .await
        .unwrap();
        assert_eq!(number, 2);
        state.reload_catalog().await.unwrap();
        let since = clock.now();
        assert!(
            !public_page(&app, "/services/SJ0001")
                .await
                .text()
                .contains("New rules from tomorrow.")
        );
        assert_eq!(
            tongban_web::admin::catalog::tick(&state, since).await,
            clock.now()
        );
        *clock.0.lock().unwrap() += Duration::days(1);
        tongban_web::admin::catalog::tick(&state, since).await;
        assert!(
            public_page(&app, "/services/SJ0001")
                .await
                .text()
                .contains("New rules from tomorrow."),
            "the ticker reloaded the snapshot"
        );
        db.finish().await;
    }
}

async fn demo_department(db: &TestDb, code: &str) -> Uuid {
    let region = tongban_store::catalog::region_id(&db.conn, DEMO_REGION)
        .await
        .unwrap()
        .unwrap();
    tongban_store::catalog::department_ids(&db.conn, region)
        .await
        .unwrap()[code]
}
