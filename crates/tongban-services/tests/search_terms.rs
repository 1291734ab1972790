//! Search vocabulary on SQLite and (when configured) PostgreSQL: synonym validation, one group
//! per term per region, audited changes, idempotent demo seeding, and unmet queries recorded in
//! batches without personal data and read back aggregated.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use tongban_domain::Locale;
use tongban_domain::access::Role;
use tongban_domain::clock::FixedClock;
use tongban_services::identity::{
    AccountKind, CurrentUser, Grant, Origin, PasswordDue, SecondFactor,
};
use tongban_services::search_terms::{
    self, MissRecorder, MissSettings, SearchTermsError, SynonymProblem, clean_query,
    looks_personal, split_terms, validate_terms,
};
use tongban_store::testing::TestDb;
use uuid::Uuid;

fn clock() -> FixedClock {
    FixedClock(Utc.with_ymd_and_hms(2026, 11, 28, 8, 0, 0).unwrap())
}

fn staff(region: Uuid, role: Role) -> CurrentUser {
    CurrentUser {
        account_id: Uuid::now_v7(),
        kind: AccountKind::Staff,
        display_name: "测试管理员".into(),
        roles: vec![Grant {
            role,
            region_id: region,
            department_id: None,
        }],
        session_hash: String::new(),
        second_factor: SecondFactor::Passed,
        acting_for: None,
        password_due: PasswordDue::No,
    }
}

fn terms(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

async fn demo_region(db: &TestDb) -> Uuid {
    tongban_services::catalog::seed_demo(&db.conn, &clock())
        .await
        .unwrap();
    tongban_store::catalog::region_id(&db.conn, "990100")
        .await
        .unwrap()
        .unwrap()
}

async fn audit_actions(db: &TestDb) -> Vec<(String, Option<String>)> {
    use tongban_store::sea_orm::{EntityTrait, QueryOrder};
    tongban_store::entities::audit_entry::Entity::find()
        .order_by_asc(tongban_store::entities::audit_entry::Column::Seq)
        .all(&db.conn)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.target))
        .collect()
}

#[test]
fn terms_are_split_normalised_and_checked() {
    assert_eq!(
        split_terms("营业执照，个体工商户设立登记\n 身份证 、居民身份证,,\r\n"),
        terms(&["营业执照", "个体工商户设立登记", "身份证", "居民身份证"])
    );
    // Full-width ASCII and the ideographic space become ASCII; inner spaces collapse.
    assert_eq!(
        validate_terms(&terms(&["ＩＤ　ｃａｒｄ", "  id   card2 "])).unwrap(),
        terms(&["ID card", "id card2"])
    );
    assert_eq!(
        validate_terms(&terms(&["身份证"])).unwrap_err(),
        vec![SynonymProblem::TooFewTerms { found: 1 }]
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("词{i}")).collect();
    assert_eq!(
        validate_terms(&eleven).unwrap_err(),
        vec![SynonymProblem::TooManyTerms { found: 11 }]
    );
    let long = "长".repeat(41);
    let problems =
        validate_terms(&[long.clone(), "  ".into(), "ID".into(), "ｉｄ".into()]).unwrap_err();
    assert_eq!(
        problems,
        vec![
            SynonymProblem::TermLength {
                term: long,
                found: 41
            },
            SynonymProblem::TermLength {
                term: String::new(),
                found: 0
            },
            SynonymProblem::Duplicate { term: "id".into() },
        ]
    );
    assert!(validate_terms(&["长".repeat(40), "短".into()]).is_ok());
    assert_eq!(
        validate_terms(&terms(&["甲,乙", "丙"])).unwrap_err(),
        vec![SynonymProblem::TermCharacters {
            term: "甲,乙".into()
        }]
    );
}

#[test]
fn personal_identifiers_are_recognised() {
    for personal in [
        "11010519491231002X",
        "身份证 110105194912310021",
        "110105194912310028", // wrong check digit: still someone's number, mistyped
        "13800138000",
        "+86 138 0013 8000",
        "电话13800138000查询",
        "zhang.san@example.com",
        "邮箱 a.b@mail.example.cn 找回",
        "91350100M000100Y43",
        "6222021234567890123", // a bank card number
    ] {
        assert!(looks_personal(personal), "{personal}");
        assert_eq!(clean_query(personal), None, "{personal}");
    }
    for ordinary in [
        "营业执照",
        "2026年 医保缴费",
        "passport renewal",
        "GA0001",
        "公积金 提取 12 个月",
        "食品经营许可",
    ] {
        assert!(!looks_personal(ordinary), "{ordinary}");
    }
    assert_eq!(
        clean_query("  Ｐａｓｓｐｏｒｔ   Renewal "),
        Some("passport renewal".into())
    );
    assert_eq!(clean_query("   "), None);
    assert_eq!(clean_query(&"办".repeat(150)).unwrap().chars().count(), 100);
}

#[tokio::test]
async fn administrators_keep_synonym_groups_and_every_change_is_audited() {
    for db in TestDb::all("synonym_groups").await {
        let region = demo_region(&db).await;
        let admin = staff(region, Role::SystemAdmin);
        let origin = Origin::default();
        let created = search_terms::create_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            &terms(&["营业执照", "个体工商户设立登记"]),
        )
        .await
        .unwrap();

        // A term of that group in another group is refused, naming the group that holds it
        // (case and width folded: ＩＤ and id are the same term).
        let second = search_terms::create_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            &terms(&["ID card", "身份证", "居民身份证"]),
        )
        .await
        .unwrap();
        let refused = search_terms::create_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            &terms(&["开店", "营业执照", "ｉｄ ＣＡＲＤ"]),
        )
        .await;
        match refused {
            Err(SearchTermsError::Invalid(problems)) => assert_eq!(
                problems,
                vec![
                    SynonymProblem::TermTaken {
                        term: "营业执照".into(),
                        group: terms(&["营业执照", "个体工商户设立登记"]),
                    },
                    SynonymProblem::TermTaken {
                        term: "id CARD".into(),
                        group: terms(&["ID card", "身份证", "居民身份证"]),
                    },
                ],
                "{:?}",
                db.backend
            ),
            other => panic!("{:?}: expected a refusal, got {other:?}", db.backend),
        }
        // Invalid groups are refused before anything is written.
        assert!(matches!(
            search_terms::create_synonym(&db.conn, &clock(), &admin, &origin, &terms(&["独"]))
                .await,
            Err(SearchTermsError::Invalid(_))
        ));

        // Editing a group may keep its own terms, and may not take another group's.
        search_terms::update_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            created,
            &terms(&["营业执照", "个体工商户设立登记", "开店"]),
        )
        .await
        .unwrap();
        assert!(matches!(
            search_terms::update_synonym(
                &db.conn,
                &clock(),
                &admin,
                &origin,
                created,
                &terms(&["营业执照", "居民身份证"]),
            )
            .await,
            Err(SearchTermsError::Invalid(ref p)) if matches!(&p[..], [SynonymProblem::TermTaken { term, .. }] if term == "居民身份证")
        ));
        assert_eq!(
            search_terms::synonym_groups(&db.conn, "990100")
                .await
                .unwrap(),
            vec![
                terms(&["营业执照", "个体工商户设立登记", "开店"]),
                terms(&["ID card", "身份证", "居民身份证"]),
            ]
        );

        // Deleting frees the terms for another group.
        assert_eq!(
            search_terms::delete_synonym(&db.conn, &clock(), &admin, &origin, second)
                .await
                .unwrap(),
            terms(&["ID card", "身份证", "居民身份证"])
        );
        search_terms::create_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            &terms(&["身份证", "居民身份证"]),
        )
        .await
        .unwrap();

        let actions: Vec<String> = audit_actions(&db).await.into_iter().map(|a| a.0).collect();
        assert_eq!(
            actions,
            [
                "search.synonym-create",
                "search.synonym-create",
                "search.synonym-update",
                "search.synonym-delete",
                "search.synonym-create"
            ],
            "{:?}: refused attempts change nothing and leave nothing",
            db.backend
        );
        assert_eq!(
            tongban_store::audit::verify_chain(&db.conn).await.unwrap(),
            Ok(5)
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn synonyms_are_kept_per_region_and_by_system_administrators_only() {
    for db in TestDb::all("synonym_rights").await {
        let region = demo_region(&db).await;
        let origin = Origin::default();
        let other_region = Uuid::now_v7();
        let stranger = staff(other_region, Role::SystemAdmin);
        let admin = staff(region, Role::SystemAdmin);
        let id = search_terms::create_synonym(
            &db.conn,
            &clock(),
            &admin,
            &origin,
            &terms(&["结婚", "婚姻登记"]),
        )
        .await
        .unwrap();
        for role in [Role::DepartmentAdmin, Role::SecurityAdmin, Role::Auditor] {
            let user = staff(region, role);
            assert!(matches!(
                search_terms::list_synonyms(&db.conn, &user).await,
                Err(SearchTermsError::Forbidden)
            ));
            assert!(matches!(
                search_terms::delete_synonym(&db.conn, &clock(), &user, &origin, id).await,
                Err(SearchTermsError::Forbidden)
            ));
        }
        // Another region's administrator: the group does not exist for them.
        assert!(matches!(
            search_terms::synonym_group(&db.conn, &stranger, id).await,
            Err(SearchTermsError::NotFound)
        ));
        assert!(matches!(
            search_terms::update_synonym(
                &db.conn,
                &clock(),
                &stranger,
                &origin,
                id,
                &terms(&["甲", "乙"])
            )
            .await,
            Err(SearchTermsError::NotFound)
        ));
        assert!(matches!(
            search_terms::delete_synonym(&db.conn, &clock(), &stranger, &origin, id).await,
            Err(SearchTermsError::NotFound)
        ));
        assert_eq!(
            search_terms::list_synonyms(&db.conn, &admin).await.unwrap()[0].terms,
            terms(&["结婚", "婚姻登记"])
        );
        assert!(
            search_terms::synonym_groups(&db.conn, "no-such-region")
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn demo_synonyms_are_seeded_once() {
    for db in TestDb::all("synonym_seed").await {
        demo_region(&db).await;
        let file = search_terms::demo_synonyms().unwrap();
        assert!(file.len() >= 2);
        let first = search_terms::seed_demo_synonyms(&db.conn, &clock())
            .await
            .unwrap();
        assert_eq!(first, file.len());
        let second = search_terms::seed_demo_synonyms(&db.conn, &clock())
            .await
            .unwrap();
        assert_eq!(second, 0, "{:?}: a second run adds nothing", db.backend);
        let groups = search_terms::synonym_groups(&db.conn, "990100")
            .await
            .unwrap();
        assert_eq!(groups, file);
        assert!(groups.contains(&terms(&["身份证", "居民身份证"])));
        db.finish().await;
    }
}

#[tokio::test]
async fn unmet_queries_are_recorded_in_batches_and_listed_by_frequency() {
    for db in TestDb::all("search_misses").await {
        let region = demo_region(&db).await;
        let now = clock().0;
        let recorder = MissRecorder::start(db.conn.clone(), "990100".into(), Arc::new(clock()));
        // 500 misses: 300 of one query, 150 of another (in two languages), 50 of a third.
        for i in 0..500 {
            let (query, locale) = match i % 10 {
                0..=5 => ("开饭店", Locale::ZhCn),
                6 | 7 if i % 20 < 10 => ("无犯罪证明", Locale::ZhCn),
                6 | 7 => ("Criminal record", Locale::En),
                8 => ("无犯罪证明", Locale::ZhCn),
                _ => ("失业金", Locale::ZhCn),
            };
            recorder.record(query, locale);
        }
        // Personal identifiers never reach the database.
        recorder.record("110105194912310021", Locale::ZhCn);
        recorder.record("13800138000", Locale::ZhCn);
        recorder.record("someone@example.com", Locale::En);
        recorder.flush().await;
        assert_eq!(recorder.dropped(), 0);

        let top = search_terms::top_misses(&db.conn, region, now - Duration::days(7), 10)
            .await
            .unwrap();
        let summary: Vec<(&str, &str, i64)> = top
            .iter()
            .map(|m| (m.query.as_str(), m.locale.as_str(), m.count))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("开饭店", "zh-CN", 300),
                ("无犯罪证明", "zh-CN", 100),
                ("criminal record", "en", 50),
                ("失业金", "zh-CN", 50),
            ],
            "{:?}",
            db.backend
        );
        assert!(top.iter().all(|m| m.last_seen == now));
        {
            use tongban_store::sea_orm::{EntityTrait, PaginatorTrait};
            let stored = tongban_store::entities::search_miss::Entity::find()
                .count(&db.conn)
                .await
                .unwrap();
            assert_eq!(stored, 500, "the personal queries were not stored");
        }
        // The period bounds what is counted; another region sees nothing of this one's.
        assert!(
            search_terms::top_misses(&db.conn, region, now + Duration::seconds(1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            search_terms::top_misses(&db.conn, Uuid::now_v7(), now - Duration::days(7), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Department administrators read them; other staff do not.
        let reader = staff(region, Role::DepartmentAdmin);
        let read = search_terms::unmet_queries(&db.conn, &clock(), &reader, 7, 2)
            .await
            .unwrap();
        assert_eq!(read.len(), 2);
        assert!(matches!(
            search_terms::unmet_queries(&db.conn, &clock(), &staff(region, Role::Reviewer), 7, 2)
                .await,
            Err(SearchTermsError::Forbidden)
        ));

        // Shutdown writes what is pending; afterwards entries are dropped and counted.
        recorder.record("开饭店", Locale::ZhCn);
        recorder.shutdown().await;
        recorder.record("开饭店", Locale::ZhCn);
        assert_eq!(recorder.dropped(), 1);
        let after = search_terms::top_misses(&db.conn, region, now - Duration::days(1), 1)
            .await
            .unwrap();
        assert_eq!(after[0].count, 301);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_instead_of_waiting() {
    let db = TestDb::sqlite().await;
    demo_region(&db).await;
    // A queue of 5 that nobody drains while this synchronous loop runs: `record` must return
    // at once every time, keeping 5 and counting the rest.
    let recorder = MissRecorder::with_settings(
        db.conn.clone(),
        "990100".into(),
        Arc::new(clock()),
        MissSettings {
            queue: 5,
            batch: 200,
            interval: std::time::Duration::from_millis(500),
        },
    );
    for _ in 0..20 {
        recorder.record("排队", Locale::ZhCn);
    }
    assert_eq!(recorder.dropped(), 15);
    recorder.flush().await;
    let region = tongban_store::catalog::region_id(&db.conn, "990100")
        .await
        .unwrap()
        .unwrap();
    let top = search_terms::top_misses(&db.conn, region, clock().0 - Duration::days(1), 5)
        .await
        .unwrap();
    assert_eq!(top[0].count, 5);
    db.finish().await;
}

#[tokio::test]
async fn a_batch_is_written_without_a_flush_after_the_interval() {
    let db = TestDb::sqlite().await;
    let region = demo_region(&db).await;
    let recorder = MissRecorder::with_settings(
        db.conn.clone(),
        "990100".into(),
        Arc::new(clock()),
        MissSettings {
            queue: 100,
            batch: 200,
            interval: std::time::Duration::from_millis(50),
        },
    );
    recorder.record("公积金贷款", Locale::ZhCn);
    // Wait for the writer's own deadline, polling the database rather than sleeping a guess.
    let mut found = Vec::new();
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        found = search_terms::top_misses(&db.conn, region, clock().0 - Duration::days(1), 5)
            .await
            .unwrap();
        if !found.is_empty() {
            break;
        }
    }
    assert_eq!(found.len(), 1, "written within two seconds without a flush");
    db.finish().await;
}
