//! Catalogue import and export on SQLite and (when configured) PostgreSQL: round trips, new
//! versions for changed services, line-numbered refusals that change nothing, department
//! scope, and services that lower regions inherit.

use chrono::{TimeZone, Utc};
use tongban_domain::catalog::CatalogDocument;
use tongban_domain::clock::FixedClock;
use tongban_services::catalog::{CatalogError, load_portal_catalog, seed_demo};
use tongban_services::catalog_io::{ImportRequest, export, import};
use tongban_store::testing::TestDb;

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 26, 8, 0, 0).unwrap())
}

fn later() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap())
}

fn request(dry_run: bool) -> ImportRequest {
    ImportRequest {
        department: None,
        dry_run,
        change_note: "test import".into(),
        effective_from: None,
        audit: None,
    }
}

fn yaml_of(doc: &CatalogDocument) -> String {
    serde_norway::to_string(doc).unwrap()
}

/// The 1-based line of the first line of `yaml` containing `needle`.
fn line_of(yaml: &str, needle: &str) -> usize {
    yaml.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[tokio::test]
async fn an_export_imports_back_without_changing_anything() {
    for db in TestDb::all("catalogue export round trip").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        assert!(
            yaml.starts_with("# Tongban catalogue: region 990100"),
            "{yaml}"
        );
        let report = import(&db.conn, &yaml, &request(false), &later())
            .await
            .unwrap();
        assert!(report.is_empty(), "{:?}: {report:?}", db.backend);
        let demo = tongban_services::catalog::demo_document().unwrap();
        assert_eq!(report.services_unchanged, demo.services.len());
        db.finish().await;
    }
}

#[tokio::test]
async fn a_changed_service_gets_a_new_version_and_a_dry_run_writes_nothing() {
    for db in TestDb::all("catalogue import versions").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let mut doc: CatalogDocument = serde_norway::from_str(&yaml).unwrap();
        let code = doc.services[0].code.clone();
        doc.services[0].summary = tongban_domain::LocalizedText::new("新的事项概述。");
        let changed = yaml_of(&doc);
        let before = tongban_store::catalog::count_rows(&db.conn, "990100")
            .await
            .unwrap();

        let dry = import(&db.conn, &changed, &request(true), &later())
            .await
            .unwrap();
        assert!(dry.dry_run);
        assert_eq!(dry.services_updated, vec![(code.clone(), 2)]);
        let after_dry = tongban_store::catalog::count_rows(&db.conn, "990100")
            .await
            .unwrap();
        assert_eq!(
            before, after_dry,
            "{:?}: a dry run writes nothing",
            db.backend
        );

        let real = import(&db.conn, &changed, &request(false), &later())
            .await
            .unwrap();
        assert_eq!(real.services_updated, vec![(code.clone(), 2)]);
        let catalog = load_portal_catalog(&db.conn, "990100", &later())
            .await
            .unwrap();
        let published = catalog.service(&code).unwrap();
        assert_eq!(published.version, 2);
        assert_eq!(
            published.service.summary.get(tongban_domain::Locale::ZhCn),
            "新的事项概述。"
        );
        // The version made before stays readable: the earlier clock still sees version 1.
        let earlier = load_portal_catalog(&db.conn, "990100", &clock())
            .await
            .unwrap();
        assert_eq!(earlier.service(&code).unwrap().version, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_bad_file_is_refused_with_line_numbers_and_changes_nothing() {
    for db in TestDb::all("catalogue import refusal").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let mut doc: CatalogDocument = serde_norway::from_str(&yaml).unwrap();
        // A good change and a bad one: neither may land.
        doc.services[0].summary = tongban_domain::LocalizedText::new("应当不会保存的改动。");
        let mut bad = doc.services[1].clone();
        bad.code = "XX0001".into();
        bad.department = "XX".into();
        doc.services.push(bad);
        let text = yaml_of(&doc);
        let before = tongban_store::catalog::count_rows(&db.conn, "990100")
            .await
            .unwrap();

        let Err(CatalogError::Invalid(problems)) =
            import(&db.conn, &text, &request(false), &later()).await
        else {
            panic!("the file must be refused");
        };
        let problem = problems
            .iter()
            .find(|p| p.message == "unknown department XX")
            .unwrap_or_else(|| panic!("{problems:?}"));
        assert_eq!(problem.line, Some(line_of(&text, "department: XX")));
        assert!(problem.to_string().starts_with(&format!(
            "line {}, column",
            line_of(&text, "department: XX")
        )));
        let after = tongban_store::catalog::count_rows(&db.conn, "990100")
            .await
            .unwrap();
        assert_eq!(before, after, "{:?}", db.backend);
        let catalog = load_portal_catalog(&db.conn, "990100", &later())
            .await
            .unwrap();
        assert_eq!(catalog.services[0].version, 1);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_department_import_touches_only_its_department() {
    for db in TestDb::all("department import").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let sj = export(&db.conn, "990100", Some("SJ"), &clock())
            .await
            .unwrap();
        let doc: CatalogDocument = serde_norway::from_str(&sj).unwrap();
        assert_eq!(doc.departments.len(), 1);
        assert!(doc.services.iter().all(|s| s.department == "SJ"));
        assert!(!doc.services.is_empty());

        let scoped = ImportRequest {
            department: Some("SJ".into()),
            ..request(false)
        };
        let report = import(&db.conn, &sj, &scoped, &later()).await.unwrap();
        assert!(report.is_empty(), "{report:?}");
        assert!(report.services_not_in_file.is_empty());

        // The whole region's file is refused under a department scope, service by service.
        let whole = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let Err(CatalogError::Invalid(problems)) =
            import(&db.conn, &whole, &scoped, &later()).await
        else {
            panic!("a file with other departments must be refused");
        };
        assert!(
            problems.iter().any(|p| p.path.ends_with(".department")
                && p.message == "this import is limited to department SJ"
                && p.line.is_some()),
            "{problems:?}"
        );
        let unknown = export(&db.conn, "990100", Some("NOPE"), &clock()).await;
        assert!(matches!(unknown, Err(CatalogError::UnknownDepartment(_))));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_brand_new_service_needs_only_yaml() {
    for db in TestDb::all("new service by yaml").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let addition = r#"
- code: MZ0099
  department: MZ
  kind: public-service
  name: { zh-CN: 养犬登记, en: Dog registration }
  summary: { zh-CN: 为犬只办理登记并领取犬牌。, en: Register a dog and receive its tag. }
  audiences: [individual]
  channels: [online]
  visits: 0
  committed_days: 5
  statutory_days: 20
  conditions: [本市居民饲养的犬只]
  materials: [{ name: 犬只免疫证明, form: upload }]
  process: [在线申请, 审核, 领取犬牌]
  legal_basis: [示范市养犬管理条例]
  result: 犬只登记证
"#;
        // serde_norway writes sequence items at their key's indentation.
        let text = format!("{}{addition}", yaml.trim_end());
        let report = import(&db.conn, &text, &request(false), &later())
            .await
            .unwrap();
        assert_eq!(report.services_created, vec!["MZ0099".to_owned()]);
        let catalog = load_portal_catalog(&db.conn, "990100", &later())
            .await
            .unwrap();
        let dog = catalog.service("MZ0099").expect("on the portal");
        assert_eq!(
            dog.service.name.get(tongban_domain::Locale::En),
            "Dog registration"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_district_inherits_shared_services_with_its_own_halls() {
    for db in TestDb::all("inherited services").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let mut city: CatalogDocument = serde_norway::from_str(&yaml).unwrap();
        city.services[0].shared = true;
        let shared_code = city.services[0].code.clone();
        import(&db.conn, &yaml_of(&city), &request(false), &later())
            .await
            .unwrap();

        let district = format!(
            r#"schema: tongban/catalog/v1
region:
  code: "990102"
  name: {{ zh-CN: 东城区, en: Dongcheng District }}
  parent: "990100"
  contact: {{ phone: "12345" }}
  overrides:
    - service: {shared_code}
      halls: [dongcheng-hall]
      contact: {{ phone: "0999-1234567" }}
halls:
  - {{ code: dongcheng-hall, name: 东城区政务服务中心, address: 东城区和平路8号, hours: 工作日 9:00-17:00 }}
"#
        );
        import(&db.conn, &district, &request(false), &later())
            .await
            .unwrap();
        let catalog = load_portal_catalog(&db.conn, "990102", &later())
            .await
            .unwrap();
        let inherited = catalog.service(&shared_code).expect("inherited");
        assert_eq!(inherited.service.halls, vec!["dongcheng-hall".to_owned()]);
        assert_eq!(
            inherited.service.contact.phone.as_deref(),
            Some("0999-1234567")
        );
        assert!(catalog.department(&inherited.service.department).is_some());
        assert_eq!(
            catalog.halls_for(&inherited.service)[0].code,
            "dongcheng-hall"
        );
        // Only shared services come down; the city's own are not the district's.
        assert_eq!(catalog.services.len(), 1, "{:?}", db.backend);

        // A district may not redefine an inherited service, nor override one that is not shared.
        let not_shared = city.services[1].code.clone();
        let bad = district.replace(
            &format!("service: {shared_code}"),
            &format!("service: {not_shared}"),
        );
        let Err(CatalogError::Invalid(problems)) =
            import(&db.conn, &bad, &request(false), &later()).await
        else {
            panic!("overriding a service that is not shared must be refused");
        };
        assert_eq!(problems[0].path, "region.overrides[0].service");
        assert_eq!(problems[0].line, Some(line_of(&bad, "- service:")));
        db.finish().await;
    }
}

fn by_key(doc: &CatalogDocument) -> Vec<tongban_domain::certificate_types::CertificateType> {
    let mut types = doc.certificate_types.clone();
    types.sort_by(|a, b| a.key.cmp(&b.key));
    types
}

#[tokio::test]
async fn certificate_types_round_trip_and_a_changed_type_gets_a_new_version() {
    for db in TestDb::all("certificate types round trip").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let demo = tongban_services::catalog::demo_document().unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let mut doc: CatalogDocument = serde_norway::from_str(&yaml).unwrap();
        // Exported by department, in the order of the departments.
        assert_eq!(by_key(&doc), by_key(&demo));
        assert_eq!(doc.certificate_types[0].department, "GA");
        let licence = doc
            .services
            .iter()
            .find(|s| s.code == "SJ0001")
            .and_then(|s| s.issues.clone())
            .expect("the sole-trader registration issues a licence");
        assert_eq!(licence.certificate, "business-licence");
        let catalog = load_portal_catalog(&db.conn, "990100", &later())
            .await
            .unwrap();
        assert_eq!(
            catalog
                .certificate_type("business-licence")
                .unwrap()
                .department,
            "SJ"
        );

        // A new field in a type publishes its version 2; the same file again changes nothing.
        let i = doc
            .certificate_types
            .iter()
            .position(|c| c.key == "health-certificate")
            .unwrap();
        let mut extra = doc.certificate_types[i].fields[0].clone();
        extra.key = "clinic".into();
        extra.required = false;
        doc.certificate_types[i].fields.push(extra);
        let changed = yaml_of(&doc);
        let report = import(&db.conn, &changed, &request(false), &later())
            .await
            .unwrap();
        assert_eq!(
            report.certificate_types_updated,
            vec![("health-certificate".to_owned(), 2)],
            "{:?}",
            db.backend
        );
        assert!(report.departments_updated.is_empty(), "{report:?}");
        let again = import(&db.conn, &changed, &request(false), &later())
            .await
            .unwrap();
        assert!(again.is_empty(), "{again:?}");
        let catalog = load_portal_catalog(&db.conn, "990100", &later())
            .await
            .unwrap();
        let health = catalog.certificate_type("health-certificate").unwrap();
        assert!(health.field("clinic").is_some());
        // The first version stays, for certificates issued under it.
        let versions = tongban_store::catalog::certificate_type_versions(
            &db.conn,
            catalog.region_id,
            "health-certificate",
        )
        .await
        .unwrap();
        let numbers: Vec<i32> = versions.iter().map(|v| v.version).collect();
        assert_eq!(numbers, [1, 2]);
        assert!(versions[0].content.field("clinic").is_none());
        assert_eq!(&versions[1].content, health);
        let exported = export(&db.conn, "990100", None, &later()).await.unwrap();
        let back: CatalogDocument = serde_norway::from_str(&exported).unwrap();
        assert_eq!(by_key(&back), by_key(&doc));
        db.finish().await;
    }
}

#[tokio::test]
async fn a_department_file_carries_the_types_it_uses_but_changes_only_its_own() {
    for db in TestDb::all("certificate types by department").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let sj = export(&db.conn, "990100", Some("SJ"), &clock())
            .await
            .unwrap();
        let mut doc: CatalogDocument = serde_norway::from_str(&sj).unwrap();
        let keys: Vec<&str> = doc
            .certificate_types
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        for key in [
            "business-licence",
            "food-business-licence",
            "no-criminal-record",
            "health-certificate",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        assert!(!keys.contains(&"marriage-certificate"), "{keys:?}");

        // The police's type changed in the market regulator's file is refused, at its line.
        let i = doc
            .certificate_types
            .iter()
            .position(|c| c.key == "no-criminal-record")
            .unwrap();
        doc.certificate_types[i].validity = tongban_domain::certificate_types::Validity::Years(1);
        let text = yaml_of(&doc);
        let scoped = ImportRequest {
            department: Some("SJ".into()),
            ..request(false)
        };
        let Err(CatalogError::Invalid(problems)) = import(&db.conn, &text, &scoped, &later()).await
        else {
            panic!("another department's type must not change through this file");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].path, format!("certificate_types[{i}].key"));
        assert_eq!(
            problems[0].message,
            "no-criminal-record differs from the region's; it belongs to department GA and changes with its import"
        );
        assert_eq!(
            problems[0].line,
            Some(line_of(&text, "key: no-criminal-record"))
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_type_keeps_its_issuer_and_names_a_department_of_the_region() {
    for db in TestDb::all("certificate type issuer").await {
        seed_demo(&db.conn, &clock()).await.unwrap();
        let yaml = export(&db.conn, "990100", None, &clock()).await.unwrap();
        let mut doc: CatalogDocument = serde_norway::from_str(&yaml).unwrap();
        let register = doc
            .certificate_types
            .iter()
            .position(|c| c.key == "household-register")
            .unwrap();
        doc.certificate_types[register].department = "MZ".into();
        let mut stray = doc.certificate_types[register].clone();
        stray.key = "dog-licence".into();
        stray.department = "NY".into();
        doc.certificate_types.push(stray);
        let text = yaml_of(&doc);
        let Err(CatalogError::Invalid(problems)) =
            import(&db.conn, &text, &request(false), &later()).await
        else {
            panic!("the file must be refused");
        };
        let found: Vec<(String, String)> = problems
            .iter()
            .map(|p| (p.path.clone(), p.message.clone()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    format!("certificate_types[{register}].department"),
                    "household-register is issued by department GA; a certificate type cannot change its issuer (define a new type)".to_owned()
                ),
                (
                    format!("certificate_types[{}].department", doc.certificate_types.len() - 1),
                    "the region has no department NY".to_owned()
                ),
            ]
        );
        assert!(problems.iter().all(|p| p.line.is_some()), "{problems:?}");
        db.finish().await;
    }
}
