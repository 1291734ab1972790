//! The index over the demo catalogue: ranking, snippets, filters, languages, synonyms, typo
//! tolerance, persistence with its fingerprint, incremental sync, and hostile queries.

use std::path::PathBuf;

use proptest::prelude::*;
use tongban_domain::Locale;
use tongban_domain::catalog::{Audience, CatalogDocument, Channel, LifeEvent, Service};
use tongban_search::{IndexedService, SearchIndex, SearchQuery, fingerprint_of};

fn demo() -> CatalogDocument {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../demo/catalog.yaml");
    let yaml = std::fs::read_to_string(&path).expect("demo catalogue");
    serde_norway::from_str(&yaml).expect("demo catalogue parses")
}

fn indexed(services: &[Service]) -> Vec<IndexedService<'_>> {
    services
        .iter()
        .map(|service| IndexedService {
            service,
            version: 1,
        })
        .collect()
}

fn built(services: &[Service]) -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let items = indexed(services);
    index
        .rebuild(&items, &fingerprint_of("990100", &items), &mut |_, _| {})
        .unwrap();
    index
}

fn codes(index: &SearchIndex, query: &SearchQuery<'_>) -> Vec<String> {
    index
        .search(query)
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.code)
        .collect()
}

fn top(index: &SearchIndex, text: &str, locale: Locale) -> Vec<String> {
    codes(index, &SearchQuery::new(text, locale))
}

#[test]
fn a_name_match_ranks_first_and_is_highlighted() {
    let doc = demo();
    let index = built(&doc.services);
    let results = index
        .search(&SearchQuery::new("失业登记", Locale::ZhCn))
        .unwrap();
    let first = &results.hits[0];
    assert_eq!(first.code, "RS0001");
    assert_eq!(first.title_html, "<mark>失业登记</mark>");
    assert!(
        first.snippet_html.contains("<mark>"),
        "{}",
        first.snippet_html
    );
    assert_eq!(first.locale, Locale::ZhCn);
    assert!(results.total >= 1);
}

#[test]
fn chinese_words_inside_longer_words_are_found() {
    let doc = demo();
    let index = built(&doc.services);
    // 犯罪 is inside 无犯罪记录证明: jieba's search mode indexes the parts of long words.
    assert_eq!(top(&index, "犯罪记录", Locale::ZhCn)[0], "GA0001");
    assert_eq!(top(&index, "公积金", Locale::ZhCn)[0], "GJJ0001");
}

#[test]
fn english_is_stemmed_and_typo_tolerant() {
    let doc = demo();
    let index = built(&doc.services);
    assert_eq!(top(&index, "marriage", Locale::En)[0], "MZ0001");
    // One letter missing, two letters swapped.
    assert_eq!(top(&index, "mariage registration", Locale::En)[0], "MZ0001");
    assert_eq!(top(&index, "unemplyoed", Locale::En)[0], "RS0001");
    let hit = &index
        .search(&SearchQuery::new("unemployed", Locale::En))
        .unwrap()
        .hits[0];
    assert!(hit.title_html.contains("<mark>"), "{}", hit.title_html);
    assert_eq!(hit.locale, Locale::En);
}

#[test]
fn snippets_fall_back_to_chinese_when_the_service_lacks_the_language() {
    let mut doc = demo();
    let service = doc
        .services
        .iter_mut()
        .find(|s| s.code == "RS0001")
        .unwrap();
    service.name = tongban_domain::LocalizedText::new("失业登记");
    let index = built(&doc.services);
    let hit = index
        .search(&SearchQuery::new("失业登记", Locale::En))
        .unwrap()
        .hits
        .into_iter()
        .find(|h| h.code == "RS0001")
        .unwrap();
    assert_eq!(hit.locale, Locale::ZhCn);
    assert_eq!(hit.title_html, "<mark>失业登记</mark>");
}

#[test]
fn uyghur_and_tibetan_names_are_searchable() {
    let doc = demo();
    let index = built(&doc.services);
    assert_eq!(top(&index, "جىنايى خاتىرىسى", Locale::Ug)[0], "GA0001");
    let hit = &index
        .search(&SearchQuery::new("ཉེས་གསོག", Locale::Bo))
        .unwrap()
        .hits[0];
    assert_eq!(hit.code, "GA0001");
    assert!(hit.title_html.contains("<mark>"), "{}", hit.title_html);
}

#[test]
fn filters_narrow_the_results_and_counts_describe_them() {
    let doc = demo();
    let index = built(&doc.services);
    let all = index
        .search(&SearchQuery::new("登记", Locale::ZhCn))
        .unwrap();
    assert!(all.total >= 2, "{:?}", all.hits);
    assert!(all.departments.len() >= 2, "{:?}", all.departments);

    let mut query = SearchQuery::new("登记", Locale::ZhCn);
    query.department = Some("RS");
    let rs = index.search(&query).unwrap();
    assert!(rs.total >= 1 && rs.total < all.total);
    assert!(rs.hits.iter().all(|h| h.code.starts_with("RS")));
    assert_eq!(rs.departments, vec![("RS".to_owned(), rs.total as u64)]);

    let mut query = SearchQuery::new("", Locale::ZhCn);
    query.life_event = Some(LifeEvent::Marriage);
    let marriage = codes(&index, &query);
    assert!(marriage.contains(&"MZ0001".to_owned()), "{marriage:?}");

    let mut query = SearchQuery::new("证明", Locale::ZhCn);
    query.audience = Some(Audience::Enterprise);
    query.channel = Some(Channel::Online);
    for code in codes(&index, &query) {
        let s = doc.services.iter().find(|s| s.code == code).unwrap();
        assert!(s.audiences.contains(&Audience::Enterprise), "{code}");
        assert!(s.channels.contains(&Channel::Online), "{code}");
    }
}

#[test]
fn paging_returns_disjoint_pages() {
    let doc = demo();
    let index = built(&doc.services);
    let mut query = SearchQuery::new("", Locale::ZhCn);
    query.limit = 3;
    let first = codes(&index, &query);
    query.offset = 3;
    let second = codes(&index, &query);
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|c| !second.contains(c)));
}

#[test]
fn synonyms_expand_a_query_with_a_lower_weight() {
    let doc = demo();
    let index = built(&doc.services);
    // Nothing in the demo says 摆摊 (setting up a stall) …
    assert!(top(&index, "摆摊", Locale::ZhCn).is_empty());
    // … until an administrator says it means registering as a sole trader.
    index.set_synonyms(vec![vec!["摆摊".into(), "个体工商户设立登记".into()]]);
    assert_eq!(top(&index, "我想摆摊", Locale::ZhCn)[0], "SJ0001");
    index.set_synonyms(Vec::new());
    assert!(top(&index, "摆摊", Locale::ZhCn).is_empty());
}

#[test]
fn the_index_persists_with_its_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let doc = demo();
    let items = indexed(&doc.services);
    let fingerprint = fingerprint_of("990100", &items);
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.fingerprint(), None);
        let mut seen = Vec::new();
        index
            .rebuild(&items, &fingerprint, &mut |done, total| {
                seen.push((done, total))
            })
            .unwrap();
        assert_eq!(seen.last(), Some(&(items.len(), items.len())));
    }
    let size: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("index of {} services: {size} bytes on disk", items.len());
    let started = std::time::Instant::now();
    let index = SearchIndex::open(dir.path()).unwrap();
    let opened = started.elapsed();
    println!("opening a current index took {opened:?}");
    assert_eq!(index.fingerprint().as_deref(), Some(fingerprint.as_str()));
    assert_eq!(index.len(), items.len() as u64);
    assert_eq!(top(&index, "失业", Locale::ZhCn)[0], "RS0001");
    assert!(opened.as_millis() < 1000, "opening took {opened:?}");
    // The same content has the same fingerprint; sync then has nothing to do.
    index.sync(&items, &fingerprint).unwrap();
    assert_eq!(index.len(), items.len() as u64);
}

#[test]
fn a_corrupt_index_is_reset_and_reported_as_unbuilt() {
    let dir = tempfile::tempdir().unwrap();
    let doc = demo();
    let items = indexed(&doc.services);
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        index
            .rebuild(&items, &fingerprint_of("990100", &items), &mut |_, _| {})
            .unwrap();
    }
    std::fs::write(dir.path().join("meta.json"), "{ not json").unwrap();
    let index = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(index.fingerprint(), None);
    assert!(index.is_empty());
}

#[test]
fn sync_applies_only_the_difference() {
    let doc = demo();
    let mut services = doc.services.clone();
    let index = built(&services);
    let before = index.len();

    // A new version of one service, one service withdrawn, one added.
    let mut versions: Vec<i32> = vec![1; services.len()];
    let at = services.iter().position(|s| s.code == "RS0001").unwrap();
    services[at].name = services[at]
        .name
        .clone()
        .with(Locale::ZhCn, "失业登记及零工市场求职登记");
    versions[at] = 2;
    let gone = services.iter().position(|s| s.code == "CZ0001").unwrap();
    services.remove(gone);
    versions.remove(gone);
    let mut added = services[0].clone();
    added.code = "GA0099".into();
    added.name = tongban_domain::LocalizedText::new("烟花爆竹燃放许可");
    services.push(added);
    versions.push(1);

    let items: Vec<IndexedService<'_>> = services
        .iter()
        .zip(&versions)
        .map(|(service, version)| IndexedService {
            service,
            version: *version,
        })
        .collect();
    let fingerprint = fingerprint_of("990100", &items);
    assert_ne!(Some(fingerprint.clone()), index.fingerprint());
    index.sync(&items, &fingerprint).unwrap();

    assert_eq!(index.len(), before);
    assert_eq!(top(&index, "烟花爆竹", Locale::ZhCn)[0], "GA0099");
    let hit = &index
        .search(&SearchQuery::new(
            "失业登记及零工市场求职登记",
            Locale::ZhCn,
        ))
        .unwrap()
        .hits[0];
    assert_eq!((hit.code.as_str(), hit.version), ("RS0001", 2));
    assert!(!top(&index, "非税收入", Locale::ZhCn).contains(&"CZ0001".to_owned()));
    assert_eq!(index.fingerprint(), Some(fingerprint));
}

#[test]
fn hostile_queries_are_plain_searches() {
    let doc = demo();
    let index = built(&doc.services);
    for text in [
        "\"",
        "name_zh:失业",
        "(失业 OR",
        "*",
        "失业~2",
        "<script>alert(1)</script>",
        "\\",
        "[a TO z]",
        "+-&&||!",
        "",
        "   ",
        "\u{0}",
    ] {
        let results = index.search(&SearchQuery::new(text, Locale::ZhCn)).unwrap();
        for hit in &results.hits {
            assert!(
                !hit.title_html.contains("<script"),
                "{text}: {}",
                hit.title_html
            );
            assert!(!hit.snippet_html.contains("<script"), "{text}");
        }
    }
    let long = "失业".repeat(1000);
    let started = std::time::Instant::now();
    let results = index
        .search(&SearchQuery::new(&long, Locale::ZhCn))
        .unwrap();
    assert_eq!(results.hits[0].code, "RS0001");
    assert!(started.elapsed().as_millis() < 500);
}

#[test]
fn query_latency_on_the_demo_catalogue() {
    let doc = demo();
    let index = built(&doc.services);
    tongban_search::warm_up();
    let queries = [
        "营业执照",
        "失业",
        "结婚",
        "公积金",
        "无犯罪证明",
        "passport",
        "health certificate",
        "居住证",
        "社保卡",
        "开饭店",
    ];
    for q in queries {
        index.search(&SearchQuery::new(q, Locale::ZhCn)).unwrap();
    }
    let rounds = 50;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        for q in queries {
            index.search(&SearchQuery::new(q, Locale::ZhCn)).unwrap();
        }
    }
    let per_query = started.elapsed() / (rounds * queries.len() as u32);
    println!("mean query time with snippets: {per_query:?}");
    // A debug build on a shared 2-core machine: a generous bound that still catches a query
    // that does something per document.
    assert!(per_query.as_millis() < 50, "{per_query:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_query_string_searches_without_error(
        text in "[\\PC\"':()*~^\\[\\]{}!+\\-&|\\\\/ 失业登记营业执照a-z]{0,60}",
        page in 0usize..3,
    ) {
        let index = shared();
        let mut query = SearchQuery::new(&text, Locale::En);
        query.offset = page * 10;
        let results = index.search(&query).unwrap();
        prop_assert!(results.hits.len() <= 10);
        for hit in results.hits {
            prop_assert!(!hit.snippet_html.contains("<script"));
        }
    }
}

fn shared() -> &'static SearchIndex {
    static INDEX: std::sync::OnceLock<SearchIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| built(&demo().services))
}
