//! The applications JSON API through the real router, on SQLite and PostgreSQL: every demo
//! service with an online form is applied for end to end with answers generated from its form
//! (files uploaded to a draft first), Idempotency-Key retries and concurrent duplicates make one
//! case, a reused key with another body is refused, errors come back as localised problem
//! details, and tokens are required.

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, NaiveDate};
use common::*;
use tongban_domain::forms::{
    AddressAnswer, Answer, Answers, DateBound, DateSpan, Field, FieldKind, FileKind, FileRef,
    FormDefinition, Step, visible_fields, visible_pages,
};
use tongban_store::entities::{case, oidc_client, oidc_token};
use tongban_store::sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use tongban_store::testing::TestDb;
use uuid::Uuid;

const TOKEN: &str = "test-access-token-of-zhang-san-0123456789";
const MACHINE_TOKEN: &str = "test-machine-token-without-a-person-0123456";

/// The app, with an access token for 张三 and one for a machine client.
async fn api_app(db: &TestDb) -> axum::Router {
    let state = demo_state(db, tongban_web::Mode::Demo).await;
    state
        .oidc
        .seed_demo_client(state.clock.as_ref(), DEMO_REGION)
        .await
        .expect("demo client");
    let client = oidc_client::Entity::find()
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let person = tongban_store::entities::account::Entity::find()
        .filter(tongban_store::entities::account::Column::DisplayName.eq("张三"))
        .one(&db.conn)
        .await
        .unwrap()
        .unwrap();
    let now = clock().0;
    for (token, account) in [(TOKEN, Some(person.id)), (MACHINE_TOKEN, None)] {
        oidc_token::Entity::insert(oidc_token::ActiveModel {
            token_hash: Set(tongban_services::crypto::sha256_hex(token.as_bytes())),
            client_id: Set(client.id),
            account_id: Set(account),
            code_hash: Set(None),
            scope: Set("openid profile".into()),
            enterprise: Set(None),
            created_at: Set(now),
            expires_at: Set(now + Duration::hours(1)),
            revoked_at: Set(None),
        })
        .exec_without_returning(&db.conn)
        .await
        .unwrap();
    }
    tongban_web::app(state)
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let reply = send(app, request.body(Body::from(body)).unwrap()).await;
    let json = serde_json::from_slice(&reply.body).unwrap_or(serde_json::Value::Null);
    (reply.status, reply.headers, json)
}

async fn post_json(
    app: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
    body: &serde_json::Value,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    call(
        app,
        "POST",
        uri,
        Some(TOKEN),
        &all,
        body.to_string().into_bytes(),
    )
    .await
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// A text that fits the field's pattern and lengths, from a few typical shapes.
fn text_for(field: &Field) -> String {
    let FieldKind::Text {
        min_length,
        max_length,
        pattern,
        ..
    } = &field.kind
    else {
        return "测试".into();
    };
    let candidates = [
        "测试内容",
        "ABC12345",
        "A1234567",
        "E12345678",
        "12345678",
        "123456",
        "100000",
        "粤B12345",
        "2026",
        "示范市示范路1号",
        "91350100M000100Y43",
        "6222020200112233445",
        "13800000001",
        "0755-12345678",
        "ABCD",
        "1",
        "A",
        "O123456789",
        "12345678901234567890",
        "99010219900307123311",
        "JY20261126000001",
        "ZHANG SAN",
        "https://example.gov.cn/a",
        "EA1234567",
    ];
    candidates
        .iter()
        .find(|c| {
            let len = c.chars().count() as u32;
            min_length.is_none_or(|m| len >= m)
                && max_length.is_none_or(|m| len <= m)
                && pattern.as_ref().is_none_or(|p| {
                    regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| re.is_match(c))
                })
        })
        .map(|c| (*c).to_owned())
        .unwrap_or_else(|| panic!("no sample text fits field {}", field.key))
}

fn date_within(
    not_before: &Option<DateBound>,
    not_after: &Option<DateBound>,
    wish: NaiveDate,
) -> NaiveDate {
    let mut date = wish;
    if let Some(limit) = not_before.map(|b| b.resolve(today())) {
        date = date.max(limit);
    }
    if let Some(limit) = not_after.map(|b| b.resolve(today())) {
        date = date.min(limit);
    }
    date
}

/// A valid answer for a field; `ordinal` spreads dates so later fields come later.
fn answer_for(field: &Field, ordinal: i64, choice: usize) -> Option<Answer> {
    Some(match &field.kind {
        FieldKind::Text { .. } => Answer::Text(text_for(field)),
        FieldKind::LongText { min_length, .. } => Answer::Text(
            "家庭情况说明：收入较低，需要帮助。"
                .chars()
                .cycle()
                .take(min_length.unwrap_or(10).max(10) as usize)
                .collect(),
        ),
        FieldKind::Number { min, max, .. } => {
            let low = min.unwrap_or(1.0).max(1.0);
            let high = max.unwrap_or(low + 100.0).max(low);
            // Other choices try a middling and the largest value, for conditions on numbers.
            let value = match choice % 3 {
                0 => low,
                1 => (low + high) / 2.0,
                _ => high,
            };
            Answer::Text(format!("{}", value.floor().max(low.ceil()) as i64))
        }
        FieldKind::Money { min, max } => {
            let fen = min.map_or(10_000, |m| m.0.max(10_000));
            Answer::Amount(max.map_or(fen, |m| fen.min(m.0)))
        }
        FieldKind::Date {
            not_before,
            not_after,
        } => Answer::Text(
            date_within(
                not_before,
                not_after,
                today() - Duration::days(300 - 20 * ordinal),
            )
            .to_string(),
        ),
        FieldKind::DateRange {
            not_before,
            not_after,
            max_days,
        } => {
            let from = date_within(not_before, not_after, today() + Duration::days(1));
            let span = i64::from(max_days.unwrap_or(30).min(30)) - 1;
            let to = date_within(not_before, not_after, from + Duration::days(span));
            Answer::Range(DateSpan {
                from: from.to_string(),
                to: to.max(from).to_string(),
            })
        }
        FieldKind::Choice { options } => {
            Answer::Text(options[choice % options.len()].value.clone())
        }
        FieldKind::Choices { options, min, .. } => Answer::Many(
            options
                .iter()
                .skip(choice % options.len())
                .chain(options.iter())
                .take(min.unwrap_or(1).max(1) as usize)
                .map(|o| o.value.clone())
                .collect(),
        ),
        FieldKind::YesNo => Answer::Text(
            if choice.is_multiple_of(2) {
                "no"
            } else {
                "yes"
            }
            .into(),
        ),
        FieldKind::Address { within } => Answer::Address(AddressAnswer {
            division: if within.is_some() { "990102" } else { "110105" }.into(),
            street: "示范路1号".into(),
        }),
        FieldKind::ResidentId => Answer::Text("990102199003071233".into()),
        FieldKind::CreditCode => Answer::Text("91350100M000100Y43".into()),
        FieldKind::Mobile => Answer::Text("13800000001".into()),
        FieldKind::Email => Answer::Text("zhangsan@shifan.example".into()),
        // Files are uploaded to the draft by the caller.
        FieldKind::File { .. } => return None,
        // The applicant holds one of each type (`hold_every_certificate_type`).
        FieldKind::ECertificate { .. } => {
            Answer::Certificate(tongban_domain::forms::CertificateAnswer {
                source: tongban_domain::forms::CertificateSource::Fetch,
                id: None,
                consent: true,
            })
        }
        FieldKind::Group {
            fields, min_items, ..
        } => Answer::Items(
            (0..(*min_items).max(1))
                .map(|_| {
                    fields
                        .iter()
                        .filter_map(|f| answer_for(f, ordinal, 0).map(|a| (f.key.clone(), a)))
                        .collect()
                })
                .collect(),
        ),
    })
}

fn build(form: &FormDefinition, choices: &BTreeMap<String, usize>) -> Answers {
    let mut answers = Answers::new();
    // Answer page by page: a later page's visibility depends on earlier answers.
    for _ in 0..form.pages.len() + 1 {
        let (route, _) = visible_pages(form, &answers);
        for (ordinal, page) in route.iter().enumerate() {
            for field in visible_fields(page, &answers) {
                if answers.contains_key(&field.key) {
                    continue;
                }
                let choice = choices.get(&field.key).copied().unwrap_or(0);
                if let Some(answer) = answer_for(field, ordinal as i64, choice) {
                    answers.insert(field.key.clone(), answer);
                }
            }
        }
    }
    // Rules that one answer must be later or larger than another: make it so (a few passes,
    // for chains of rules), never lowering an answer below what its own limits chose.
    for rule in form.rules.iter().cycle().take(form.rules.len() * 3) {
        if let tongban_domain::forms::CrossRule::After { field, than, .. } = rule {
            let current = answers.get(field).cloned();
            let bigger = match answers.get(than) {
                Some(Answer::Amount(fen)) => Some(Answer::Amount(match current {
                    Some(Answer::Amount(own)) if own > *fen => own,
                    _ => fen * 2 + 100,
                })),
                Some(Answer::Text(text)) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                    Ok(date) => Some(Answer::Text((date + Duration::days(30)).to_string())),
                    Err(_) => text
                        .parse::<i64>()
                        .ok()
                        .map(|n| Answer::Text((n * 2 + 1).to_string())),
                },
                _ => None,
            };
            if let (Some(bigger), true) = (bigger, answers.contains_key(field)) {
                answers.insert(field.clone(), bigger);
            }
        }
    }
    answers
}

/// Answers for every field on the route, choosing other options where the first ones lead to an
/// exit page (a small search over the answers the exit branches read), until the route
/// reaches "check your answers".
fn answers_for(code: &str, form: &FormDefinition) -> Answers {
    let mut choices: BTreeMap<String, usize> = BTreeMap::new();
    for _round in 0..20 {
        let answers = build(form, &choices);
        let (route, end) = visible_pages(form, &answers);
        let Step::Exit(exit) = end else {
            return answers;
        };
        let fields: Vec<String> = route
            .iter()
            .flat_map(|p| p.next.iter())
            .filter(|b| b.goto == exit)
            .flat_map(|b| b.when.as_ref().map(|c| c.fields()).unwrap_or_default())
            .map(str::to_owned)
            .collect();
        let mut found = None;
        'search: for key in &fields {
            for idx in 0..6 {
                let mut tried = choices.clone();
                tried.insert(key.clone(), idx);
                let (_, end) = visible_pages(form, &build(form, &tried));
                if end != Step::Exit(exit.clone()) {
                    found = Some(tried);
                    break 'search;
                }
            }
        }
        if found.is_none() {
            // Conditions over two answers (any of two "no"s): change both.
            'pairs: for (i, a) in fields.iter().enumerate() {
                for b in fields.iter().skip(i + 1) {
                    for x in 0..4 {
                        for y in 0..4 {
                            let mut tried = choices.clone();
                            tried.insert(a.clone(), x);
                            tried.insert(b.clone(), y);
                            let (_, end) = visible_pages(form, &build(form, &tried));
                            if end != Step::Exit(exit.clone()) {
                                found = Some(tried);
                                break 'pairs;
                            }
                        }
                    }
                }
            }
        }
        match found {
            Some(tried) => choices = tried,
            None => panic!("{code}: no answers avoid exit {exit} (it reads {fields:?})"),
        }
    }
    panic!("{code}: no answers avoid the exit pages")
}

/// The file fields on the route that are required, with the kind to upload.
fn file_fields(form: &FormDefinition, answers: &Answers) -> Vec<(String, FileKind)> {
    let (route, _) = visible_pages(form, answers);
    route
        .iter()
        .flat_map(|p| visible_fields(p, answers))
        .filter(|f| f.required)
        .filter_map(|f| match &f.kind {
            FieldKind::File { accept, .. } => Some((f.key.clone(), accept[0])),
            _ => None,
        })
        .collect()
}

fn sample_file(kind: FileKind) -> Vec<u8> {
    match kind {
        FileKind::Pdf => b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec(),
        FileKind::Jpeg => vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
        ],
        FileKind::Png => {
            let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
            png.extend_from_slice(&[0, 0, 0, 0]);
            png
        }
        FileKind::Ofd => {
            // A ZIP whose first entry is OFD.xml.
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend_from_slice(&[
                20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ]);
            zip.extend_from_slice(&[7, 0, 0, 0]);
            zip.extend_from_slice(b"OFD.xml");
            zip
        }
    }
}

/// Issues the demo person a certificate of every type the demo's forms ask for, so that their
/// e-certificate questions can be answered (by fetching it).
async fn hold_every_certificate_type(db: &TestDb) {
    let state = demo_state(db, tongban_web::Mode::Demo).await;
    let snapshot = state.snapshots.current();
    let catalog = &snapshot.catalog;
    let doc = tongban_services::catalog::demo_document().unwrap();
    let mut wanted: Vec<String> = doc
        .services
        .iter()
        .filter_map(|s| s.form.as_ref())
        .flat_map(|f| {
            f.fields()
                .map(|(_, field)| field.kind.clone())
                .collect::<Vec<_>>()
        })
        .filter_map(|kind| match kind {
            FieldKind::ECertificate {
                certificate_type, ..
            } => Some(certificate_type),
            _ => None,
        })
        .collect();
    wanted.sort();
    wanted.dedup();
    for key in wanted {
        let certificate = catalog.certificate_type(&key).unwrap();
        let claims = certificate
            .fields
            .iter()
            .map(|f| (f.key.clone(), serde_json::json!("示范")))
            .collect();
        issue_to_demo_person(&state, &key, claims, None).await;
    }
}

#[tokio::test]
async fn every_demo_form_can_be_applied_for_through_the_api() {
    for db in TestDb::all("api applications every form").await {
        let app = api_app(&db).await;
        hold_every_certificate_type(&db).await;
        let doc = tongban_services::catalog::demo_document().unwrap();
        let mut applied = 0;
        for service in doc.services.iter().filter(|s| s.form.is_some()) {
            let code = &service.code;
            let (status, _, draft) = post_json(
                &app,
                "/api/v1/applications/drafts",
                &[],
                &serde_json::json!({ "service": code }),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{code}: {draft}");
            let form: FormDefinition = serde_json::from_value(draft["form"].clone()).unwrap();
            let id = draft["id"].as_str().unwrap().to_owned();
            let mut answers = answers_for(code, &form);
            let mut to_upload = file_fields(&form, &answers);
            let mut rounds = 0;
            loop {
                for (field, kind) in to_upload.drain(..) {
                    let (status, _, file) = call(
                        &app,
                        "POST",
                        &format!(
                            "/api/v1/applications/drafts/{id}/files/{field}?name=scan.{}",
                            kind.extension()
                        ),
                        Some(TOKEN),
                        &[],
                        sample_file(kind),
                    )
                    .await;
                    assert_eq!(status, StatusCode::CREATED, "{code} {field}: {file}");
                    let file: FileRef = serde_json::from_value(file).unwrap();
                    answers.insert(field, Answer::Files(vec![file]));
                }
                let (status, _, saved) = call(
                    &app,
                    "PUT",
                    &format!("/api/v1/applications/drafts/{id}"),
                    Some(TOKEN),
                    &[("content-type", "application/json")],
                    serde_json::json!({ "answers": answers })
                        .to_string()
                        .into_bytes(),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{code}: {saved}");
                if saved["ready"] == true {
                    break;
                }
                // Files a cross-field rule asks for once other answers are known.
                to_upload = saved["errors"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|e| {
                        let key = e["path"].as_str()?;
                        match &form.field(key)?.kind {
                            FieldKind::File { accept, .. } => Some((key.to_owned(), accept[0])),
                            _ => None,
                        }
                    })
                    .collect();
                rounds += 1;
                assert!(!to_upload.is_empty() && rounds < 3, "{code}: {saved}");
            }
            let (status, _, receipt) = post_json(
                &app,
                &format!("/api/v1/applications/drafts/{id}/submit"),
                &[],
                &serde_json::json!({ "declaration": true }),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{code}: {receipt}");
            applied += 1;
        }
        assert!(applied >= 30, "every demo form, found {applied}");
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), applied);
        db.finish().await;
    }
}

fn ga0001_answers() -> serde_json::Value {
    serde_json::json!({
        "nationality": "chinese",
        "local_link": "hukou",
        "by_agent": "no",
        "full_name": "张三",
        "id_number": "990102199003071233",
        "phone": "13800000001",
        "purpose": "employment",
        "receiving_org": "示范市某某有限公司",
        "paper_copy": "no",
    })
}

#[tokio::test]
async fn idempotency_keys_make_one_case_and_refuse_another_body() {
    for db in TestDb::all("api applications idempotency").await {
        let app = api_app(&db).await;
        let body = serde_json::json!({
            "service": "GA0001",
            "answers": ga0001_answers(),
            "declaration": true,
        });
        let key = [("idempotency-key", "retry-0001")];
        let (status, headers, first) = post_json(&app, "/api/v1/applications", &key, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert!(headers.get("idempotent-replayed").is_none());
        assert_eq!(
            headers.get("location").unwrap(),
            &format!("/api/v1/applications/{}", first["id"].as_str().unwrap())
        );
        let (status, headers, again) = post_json(&app, "/api/v1/applications", &key, &body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again["tracking_number"], first["tracking_number"]);

        // The same key for another application is refused.
        let mut other = body.clone();
        other["answers"]["receiving_org"] = serde_json::json!("另一家单位");
        let (status, _, refused) = post_json(&app, "/api/v1/applications", &key, &other).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            refused["type"],
            "https://tongban.example/problems/idempotency-key-reused"
        );

        // Twenty clients retrying one key at once: one case.
        let racing: Vec<_> = (0..20)
            .map(|_| {
                let app = app.clone();
                let body = body.clone();
                tokio::spawn(async move {
                    post_json(
                        &app,
                        "/api/v1/applications",
                        &[("idempotency-key", "race-1")],
                        &body,
                    )
                    .await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in racing {
            let (status, _, receipt) = task.await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{receipt}");
            numbers.push(receipt["tracking_number"].as_str().unwrap().to_owned());
        }
        numbers.dedup();
        assert_eq!(numbers.len(), 1, "one tracking number for one key");
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 2);

        // Reading it back.
        let (status, _, shown) = call(
            &app,
            "GET",
            &format!("/api/v1/applications/{}", first["id"].as_str().unwrap()),
            Some(TOKEN),
            &[],
            Vec::new(),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(shown["answers"]["receiving_org"], "示范市某某有限公司");
        assert_eq!(shown["channel"], "api");
        db.finish().await;
    }
}

#[tokio::test]
async fn problems_are_localised_and_tokens_are_required() {
    for db in TestDb::all("api applications problems").await {
        let app = api_app(&db).await;
        let mut answers = ga0001_answers();
        answers["id_number"] = serde_json::json!("990102199003071234");
        answers["phone"] = serde_json::json!(["not", "a", "phone"]);
        let body =
            serde_json::json!({ "service": "GA0001", "answers": answers, "declaration": true });
        for (language, expected) in [("en", "is not a valid number"), ("zh-CN", "不是有效的号码")]
        {
            let (status, headers, problem) = post_json(
                &app,
                "/api/v1/applications",
                &[("accept-language", language)],
                &body,
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
            assert_eq!(
                headers.get("content-type").unwrap(),
                "application/problem+json"
            );
            let errors = problem["errors"].as_array().unwrap();
            let id_error = errors.iter().find(|e| e["path"] == "id_number").unwrap();
            assert_eq!(id_error["code"], "identifier");
            assert_eq!(id_error["page"], "applicant");
            assert!(
                id_error["message"].as_str().unwrap().contains(expected),
                "{id_error}"
            );
            assert!(
                errors
                    .iter()
                    .any(|e| e["path"] == "phone" && e["code"] == "wrong-shape")
            );
        }
        // A file id not uploaded with the application is refused.
        let mut with_file = ga0001_answers();
        with_file["by_agent"] = serde_json::json!("yes");
        let forged = serde_json::json!([{ "id": Uuid::now_v7().to_string(), "name": "x.pdf", "size": 10, "kind": "pdf" }]);
        with_file["authorisation_letter"] = forged.clone();
        with_file["agent_id_card"] = forged;
        let (status, _, problem) = post_json(
            &app,
            "/api/v1/applications",
            &[],
            &serde_json::json!({ "service": "GA0001", "answers": with_file, "declaration": true }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["code"] == "unknown-file")
        );

        let (status, _, problem) = post_json(
            &app,
            "/api/v1/applications",
            &[],
            &serde_json::json!({ "service": "GA0001", "answers": ga0001_answers() }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem["type"],
            "https://tongban.example/problems/declaration-required"
        );
        let (status, _, _) = post_json(
            &app,
            "/api/v1/applications",
            &[],
            &serde_json::json!({ "service": "GA0001", "answers": {}, "declaration": true, "extra": 1 }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "unknown fields are refused"
        );

        let body = serde_json::json!({ "service": "GA0001", "answers": ga0001_answers(), "declaration": true }).to_string();
        let (status, headers, _) = call(
            &app,
            "POST",
            "/api/v1/applications",
            None,
            &[],
            body.clone().into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(headers.get("www-authenticate").is_some());
        let (status, _, _) = call(
            &app,
            "POST",
            "/api/v1/applications",
            Some("wrong"),
            &[],
            body.clone().into_bytes(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = call(
            &app,
            "POST",
            "/api/v1/applications",
            Some(MACHINE_TOKEN),
            &[],
            body.into_bytes(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "machine tokens have no applicant"
        );
        assert_eq!(case::Entity::find().count(&db.conn).await.unwrap(), 0);
        db.finish().await;
    }
}
