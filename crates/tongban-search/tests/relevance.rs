//! The relevance set: every query of demo/search-relevance.yaml must find its expected service
//! within the stated rank, over the demo catalogue with the demo synonyms. On failure the whole
//! table is printed (query → top five) so a ranking change can be judged as a whole.

use std::path::PathBuf;

use serde::Deserialize;
use tongban_domain::Locale;
use tongban_domain::catalog::CatalogDocument;
use tongban_search::{IndexedService, SearchIndex, SearchQuery, fingerprint_of};

#[derive(Deserialize)]
struct SynonymFile {
    groups: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct RelevanceFile {
    queries: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    query: String,
    #[serde(default = "zh_cn")]
    locale: String,
    /// A service code (or its zh-CN name).
    expect: String,
    #[serde(default = "one")]
    within: usize,
    #[serde(default)]
    why: String,
}

fn zh_cn() -> String {
    "zh-CN".to_owned()
}

fn one() -> usize {
    1
}

fn demo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_query_finds_its_service() {
    let doc: CatalogDocument = serde_norway::from_str(&demo_file("catalog.yaml")).unwrap();
    let synonyms: SynonymFile = serde_norway::from_str(&demo_file("search-synonyms.yaml")).unwrap();
    let set: RelevanceFile = serde_norway::from_str(&demo_file("search-relevance.yaml")).unwrap();
    assert!(
        set.queries.len() >= 30,
        "the set has {} queries",
        set.queries.len()
    );

    let items: Vec<IndexedService<'_>> = doc
        .services
        .iter()
        .map(|service| IndexedService {
            service,
            version: 1,
        })
        .collect();
    let index = SearchIndex::in_memory().unwrap();
    index
        .rebuild(&items, &fingerprint_of("990100", &items), &mut |_, _| {})
        .unwrap();
    index.set_synonyms(synonyms.groups);

    let code_of = |expect: &str| -> String {
        doc.services
            .iter()
            .find(|s| s.code == expect || s.name.get(Locale::ZhCn) == expect)
            .map(|s| s.code.clone())
            .unwrap_or_else(|| panic!("the relevance set expects an unknown service {expect}"))
    };
    let name_of = |code: &str| -> String {
        doc.services
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.name.get(Locale::ZhCn).to_owned())
            .unwrap_or_default()
    };

    let mut table = Vec::new();
    let mut failures = 0;
    for case in &set.queries {
        let locale = Locale::from_tag(&case.locale)
            .unwrap_or_else(|| panic!("unknown locale {} for {}", case.locale, case.query));
        let expected = code_of(&case.expect);
        let mut query = SearchQuery::new(&case.query, locale);
        query.limit = 5.max(case.within);
        let hits = index.search(&query).unwrap().hits;
        let rank = hits.iter().position(|h| h.code == expected).map(|r| r + 1);
        let ok = rank.is_some_and(|r| r <= case.within);
        if !ok {
            failures += 1;
        }
        let top: Vec<String> = hits
            .iter()
            .take(5)
            .map(|h| format!("{} {} ({:.1})", h.code, name_of(&h.code), h.score))
            .collect();
        table.push(format!(
            "{} {:<16} [{}] expect {} {} within {}, got {}\n      top: {}\n      why: {}",
            if ok { "ok  " } else { "FAIL" },
            case.query,
            case.locale,
            expected,
            name_of(&expected),
            case.within,
            rank.map_or("-".to_owned(), |r| r.to_string()),
            top.join(" | "),
            case.why
        ));
    }
    let report = table.join("\n");
    println!("{report}");
    assert_eq!(
        failures,
        0,
        "{failures} of {} relevance queries failed:\n{report}",
        set.queries.len()
    );
}
