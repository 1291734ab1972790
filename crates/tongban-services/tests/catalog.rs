//! Catalogue storage and seeding on SQLite and (when configured) PostgreSQL.

use chrono::{TimeZone, Utc};
use tongban_domain::clock::FixedClock;
use tongban_services::catalog::{
    CatalogError, demo_document, load_portal_catalog, parse_document, seed_demo,
};
use tongban_store::testing::TestDb;

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap())
}

#[tokio::test]
async fn the_demo_region_loads_once_however_often_it_is_seeded() {
    for db in TestDb::all("idempotent seeding").await {
        let doc = demo_document().unwrap();
        let first = seed_demo(&db.conn, &clock()).await.unwrap();
        assert!(first.region_created);
        assert_eq!(first.halls_created, doc.halls.len());
        assert_eq!(first.departments_created, doc.departments.len());
        assert_eq!(first.services_created, doc.services.len());
        let counts = tongban_store::catalog::count_rows(&db.conn, &doc.region.code)
            .await
            .unwrap();

        let second = seed_demo(&db.conn, &clock()).await.unwrap();
        assert!(second.is_empty(), "{:?}: {second:?}", db.backend);
        let again = tongban_store::catalog::count_rows(&db.conn, &doc.region.code)
            .await
            .unwrap();
        assert_eq!(counts, again);
        assert_eq!(
            counts,
            [
                doc.halls.len() as u64,
                doc.departments.len() as u64,
                doc.services.len() as u64,
                doc.services.len() as u64
            ]
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn concurrent_seeding_never_duplicates() {
    for db in TestDb::all("concurrent seeding").await {
        let (first, second) = (clock(), clock());
        let (a, b) = tokio::join!(seed_demo(&db.conn, &first), seed_demo(&db.conn, &second));
        // One of them may lose a race and fail on a unique key; neither may duplicate.
        assert!(a.is_ok() || b.is_ok(), "{a:?} {b:?}");
        let doc = demo_document().unwrap();
        let counts = tongban_store::catalog::count_rows(&db.conn, &doc.region.code)
            .await
            .unwrap();
        assert_eq!(counts[2], doc.services.len() as u64, "{:?}", db.backend);
        assert_eq!(counts[3], doc.services.len() as u64);
        db.finish().await;
    }
}

#[tokio::test]
async fn what_is_stored_reads_back_exactly() {
    for db in TestDb::all("catalogue round trip").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let doc = demo_document().unwrap();
        let catalog = load_portal_catalog(&db.conn, &doc.region.code, &clock())
            .await
            .unwrap();
        assert_eq!(catalog.region, doc.region);
        assert_eq!(catalog.halls, doc.halls);
        assert_eq!(catalog.departments, doc.departments);
        let services: Vec<_> = catalog.services.iter().map(|s| s.service.clone()).collect();
        assert_eq!(services, doc.services, "order and content survive storage");
        assert!(catalog.services.iter().all(|s| s.version == 1));
        db.finish().await;
    }
}

#[tokio::test]
async fn services_are_not_public_before_their_effective_date() {
    for db in TestDb::all("effective dates").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let before = FixedClock(Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap());
        let catalog = load_portal_catalog(&db.conn, "990100", &before)
            .await
            .unwrap();
        assert!(catalog.services.is_empty(), "{:?}", db.backend);
        db.finish().await;
    }
}

#[tokio::test]
async fn an_unknown_region_is_an_error_not_an_empty_page() {
    let db = TestDb::sqlite().await;
    let err = load_portal_catalog(&db.conn, "123456", &clock())
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::UnknownRegion(code) if code == "123456"));
}

#[test]
fn syntax_errors_name_the_line() {
    let err = parse_document("schema: tongban/catalog/v1\nregion:\n  code: [\n").unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("line "), "{message}");

    let err = parse_document(
        "schema: tongban/catalog/v1\nregion: { code: '990100', name: 示范市, contact: {} }\nservices:\n  - code: 1\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("line 4"), "{err}");
}

#[test]
fn semantic_problems_are_all_listed() {
    let yaml =
        "schema: tongban/catalog/v2\nregion: { code: '99', name: { en: Demo }, contact: {} }\n";
    let message = parse_document(yaml).unwrap_err().to_string();
    assert!(message.contains("3 problem(s)"), "{message}");
    assert!(message.contains("schema: expected \"tongban/catalog/v1\""));
    assert!(message.contains("region.code: must be a six-digit division code"));
    assert!(message.contains("region.name: the zh-CN text is missing"));
}

#[test]
fn the_demo_region_is_complete() {
    let doc = demo_document().expect("the shipped demo file is valid");
    assert!(doc.region.districts.len() >= 2, "two districts");
    for code in ["GA", "SJ", "WJ", "RS", "MZ", "GJJ", "CZ", "YB", "SW", "JY"] {
        assert!(
            doc.departments.iter().any(|d| d.code == code),
            "department {code}"
        );
    }
    assert!(
        doc.services.len() >= 32,
        "the search relevance set needs a realistic catalogue"
    );
    for service in &doc.services {
        assert!(
            !service.materials.is_empty() || service.code.starts_with("CZ"),
            "{} materials",
            service.code
        );
        assert!(!service.faq.is_empty(), "{} FAQ", service.code);
        assert!(
            service.name.has(tongban_domain::Locale::En),
            "{} English name",
            service.code
        );
    }
    for key in [
        "birth",
        "employment",
        "business",
        "housing",
        "marriage",
        "social-security",
        "retirement",
    ] {
        let event = tongban_domain::catalog::LifeEvent::from_key(key).unwrap();
        assert!(
            doc.services.iter().any(|s| s.life_events.contains(&event)),
            "life event {key}"
        );
    }
}

#[test]
fn the_demo_issues_and_reuses_the_certificates_of_the_food_licence_story() {
    let doc = demo_document().unwrap();
    let service = |code: &str| doc.services.iter().find(|s| s.code == code).unwrap();
    let certificate = |key: &str| {
        doc.certificate_types
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    };
    // 个体工商户设立登记 issues the business licence; 无犯罪记录证明 and 健康证明 their own.
    for (code, key, department) in [
        ("SJ0001", "business-licence", "SJ"),
        ("GA0001", "no-criminal-record", "GA"),
        ("WJ0001", "health-certificate", "WJ"),
    ] {
        let issues = service(code).issues.as_ref().expect(code);
        assert_eq!(issues.certificate, key);
        assert_eq!(certificate(key).department, department);
        for field in certificate(key).fields.iter().filter(|f| f.required) {
            assert!(
                issues.fields.contains_key(&field.key),
                "{code} {}",
                field.key
            );
        }
        for locale in [tongban_domain::Locale::ZhCn, tongban_domain::Locale::En] {
            assert!(certificate(key).name.has(locale), "{key} {locale:?}");
        }
    }
    for key in ["business-licence", "no-criminal-record"] {
        for locale in [tongban_domain::Locale::Ug, tongban_domain::Locale::Bo] {
            assert!(certificate(key).name.has(locale), "{key} {locale:?}");
        }
    }
    // 食品经营许可 takes both without uploads: offered from the wallet or fetched on consent.
    let food = service("SJ0002");
    for key in ["business-licence", "no-criminal-record"] {
        let material = food
            .materials
            .iter()
            .find(|m| m.certificate_type.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("SJ0002 accepts {key}"));
        assert_eq!(
            material.fetch,
            Some(tongban_domain::certificate_types::Fetch::OnConsent)
        );
    }
}

#[test]
fn certificate_problems_name_their_line() {
    let yaml = tongban_services::catalog::DEMO_CATALOG_YAML.replacen(
        "        finding: \"fixed:未发现有犯罪记录\"\n",
        "        finding: form.verdict\n",
        1,
    );
    let line = yaml
        .lines()
        .position(|l| l.contains("finding: form.verdict"))
        .unwrap()
        + 1;
    let Err(CatalogError::Invalid(problems)) = parse_document(&yaml) else {
        panic!("a source naming no form field must be refused");
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].message,
        "form.verdict: the form has no field verdict"
    );
    assert!(problems[0].path.ends_with(".issues.fields.finding"));
    assert_eq!(problems[0].line, Some(line));

    let bad_source = tongban_services::catalog::DEMO_CATALOG_YAML.replacen(
        "        finding: \"fixed:未发现有犯罪记录\"\n",
        "        finding: verdict\n",
        1,
    );
    // A source that cannot be read at all is a syntax error: it names the service's field map
    // (at its first entry) and the text that is wrong.
    let Err(CatalogError::Syntax {
        line: Some(at),
        message,
        ..
    }) = parse_document(&bad_source)
    else {
        panic!("an unreadable source must be refused");
    };
    let map_starts = bad_source
        .lines()
        .position(|l| l.contains("certificate_number: case.tracking-number"))
        .unwrap()
        + 1;
    assert_eq!(at, map_starts, "{message}");
    assert!(
        message.starts_with("services[0].issues.fields: unknown source \"verdict\""),
        "{message}"
    );
}

#[tokio::test]
async fn a_draft_naming_an_unknown_certificate_is_refused() {
    for db in TestDb::all("draft certificate check").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let catalog = load_portal_catalog(&db.conn, "990100", &clock())
            .await
            .unwrap();
        let mut draft = catalog.service("SJ0002").unwrap().service.clone();
        assert!(
            tongban_services::catalog_admin::check_draft(&db.conn, catalog.region_id, &draft)
                .await
                .unwrap()
                .is_empty()
        );
        draft.materials[0].certificate_type = Some("business-permit".into());
        let problems: Vec<String> =
            tongban_services::catalog_admin::check_draft(&db.conn, catalog.region_id, &draft)
                .await
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(
            problems,
            ["materials[0].certificate_type: unknown certificate type business-permit"]
        );
        db.finish().await;
    }
}

#[test]
fn every_certificate_problem_is_placed_at_its_line() {
    // Each change breaks one rule; each problem must point at the changed line.
    let changes = [
        (
            "    validity: { years: 5 }\n",
            "    validity: { years: 0 }\n",
            "a validity of 0 years would expire on issue; write `none` for no expiry",
        ),
        (
            "        certificate_type: household-register\n",
            "        certificate_type: hukou-book\n",
            "unknown certificate type hukou-book",
        ),
        (
            "        security_number: form.holder_id\n",
            "        security_code: form.holder_id\n",
            "social-security-card has no field security_code",
        ),
        (
            "        id_number: form.id_number\n",
            "        id_number: form.receiving_org\n",
            "id_number: form.receiving_org gives no resident-id value",
        ),
    ];
    let mut yaml = tongban_services::catalog::DEMO_CATALOG_YAML.to_owned();
    let mut expected = Vec::new();
    for &(from, to, message) in &changes {
        assert!(yaml.contains(from), "{from}");
        yaml = yaml.replacen(from, to, 1);
        let changed_line = to.lines().last().unwrap();
        expected.push((message, changed_line));
    }
    let Err(err) = parse_document(&yaml) else {
        panic!("the changed demo must be refused");
    };
    let CatalogError::Invalid(problems) = err else {
        panic!("{err}");
    };
    // Renaming the mapped field also leaves the required one without a source, reported at
    // the service's `fields:`.
    expected.push((
        "no source for security_number, a required field of social-security-card",
        "      fields:",
    ));
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    for (message, changed_line) in expected {
        let problem = problems
            .iter()
            .find(|p| p.message == message)
            .unwrap_or_else(|| panic!("{message} in {problems:#?}"));
        let line = problem.line.expect("every problem has a line");
        let at = yaml.lines().nth(line - 1).unwrap();
        assert_eq!(at.trim(), changed_line.trim(), "{message}: line {line}");
    }
}
