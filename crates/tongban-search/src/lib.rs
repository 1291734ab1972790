//! Full-text search over a region's published services: a tantivy index with jieba for Chinese,
//! stemming and typo tolerance for English, and a plain word splitter for Uyghur and Tibetan.
//!
//! One [`SearchIndex`] holds one region. It lives in a directory of its own (or in memory for
//! tests); the commit that last changed it carries a fingerprint of what it holds (service codes
//! and versions, plus the version of this crate's schema and analysers), so start-up compares
//! fingerprints and rebuilds only a stale, missing or corrupt index. [`SearchIndex::sync`]
//! applies only what changed since, so publishing a service makes it searchable at once.
//!
//! Queries are built from analysed terms, never handed to tantivy's query parser, so no input
//! can be a syntax error. Ranking: a name match (exact, then prefix, then by words) above a match
//! in the guide; synonyms are added at query time with a lower weight.

mod analysis;
mod snippet;
mod synonyms;

use std::collections::HashMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FacetOptions, Field, IndexRecordOption, NumericOptions, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use tongban_domain::catalog::{Audience, Channel, LifeEvent, Service};
use tongban_domain::{Locale, LocalizedText};

pub use analysis::warm_up;
pub use synonyms::normalize;

use analysis::Analyzers;
use snippet::Matcher;
use synonyms::Synonyms;

/// Bumped whenever the schema, the analysers or what is indexed changes: an index built by an
/// older version then has a different fingerprint and is rebuilt at start-up.
pub const SCHEMA_VERSION: u32 = 1;

/// Heap of the index writer. tantivy's minimum is 15 MB per thread; one thread is enough for a
/// catalogue (5,000 services index in seconds) and keeps the peak memory low. The writer only
/// exists while a rebuild or sync runs.
const WRITER_HEAP_BYTES: usize = 20_000_000;

/// Characters of a query that are looked at; the rest is ignored (a 2,000-character paste is
/// not a search, and the cost of a query grows with its terms).
const MAX_QUERY_CHARS: usize = 100;
/// Terms taken from a query per analyser.
const MAX_QUERY_TERMS: usize = 12;
/// Results per page at most.
pub const MAX_LIMIT: usize = 100;
/// How deep paging goes.
const MAX_OFFSET: usize = 10_000;

// Field weights. A match in the name counts four times a match in the guide; the whole query
// being the name, or its start, counts more still, so 失业登记 beats a service that mentions
// 失业登记 in passing. Fuzzy (typo) matches count half, synonyms a little over half.
const NAME_BOOST: f32 = 4.0;
const BODY_BOOST: f32 = 1.0;
const EXACT_NAME_BOOST: f32 = 6.0;
const PREFIX_NAME_BOOST: f32 = 8.0;
const FUZZY_FACTOR: f32 = 0.5;
const SYNONYM_WEIGHT: f32 = 0.6;

/// Chinese words that carry no meaning for search ("how do I apply for ..."): dropped from a
/// query unless nothing else is left.
const ZH_STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "怎么",
    "怎样",
    "如何",
    "怎么办",
    "我",
    "我要",
    "我想",
    "想",
    "要",
    "去",
    "在",
    "哪里",
    "哪儿",
    "什么",
    "办",
    "办理",
    "需要",
    "可以",
    "能",
    "和",
    "与",
    "及",
];

/// Why the index could not be opened, written or searched.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
}

/// A published service version to index.
#[derive(Debug, Clone, Copy)]
pub struct IndexedService<'a> {
    pub service: &'a Service,
    pub version: i32,
}

/// What an index built from `services` of `region` holds: changes when a service is added,
/// removed or gets a new version, and when [`SCHEMA_VERSION`] changes.
pub fn fingerprint_of(region: &str, services: &[IndexedService<'_>]) -> String {
    let mut pairs: Vec<(&str, i32)> = services
        .iter()
        .map(|s| (s.service.code.as_str(), s.version))
        .collect();
    pairs.sort_unstable();
    // FNV-1a: stable across builds and platforms, unlike the standard library's hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (code, version) in &pairs {
        feed(str::as_bytes(code));
        feed(&[0]);
        feed(&version.to_le_bytes());
    }
    format!("v{SCHEMA_VERSION}/{region}/{}/{hash:016x}", pairs.len())
}

/// A search: the words typed, the visitor's language (for snippets) and the filters.
#[derive(Debug, Clone, Copy)]
pub struct SearchQuery<'a> {
    pub text: &'a str,
    pub locale: Locale,
    pub department: Option<&'a str>,
    pub life_event: Option<LifeEvent>,
    pub audience: Option<Audience>,
    pub channel: Option<Channel>,
    pub offset: usize,
    pub limit: usize,
}

impl<'a> SearchQuery<'a> {
    /// A first page of ten results without filters.
    pub fn new(text: &'a str, locale: Locale) -> SearchQuery<'a> {
        SearchQuery {
            text,
            locale,
            department: None,
            life_event: None,
            audience: None,
            channel: None,
            offset: 0,
            limit: 10,
        }
    }
}

/// One page of results and how many there are in all.
#[derive(Debug, Clone, Default)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// How many of all the results fall in each department, life event, audience and channel
    /// (by key), largest first.
    pub departments: Vec<(String, u64)>,
    pub life_events: Vec<(String, u64)>,
    pub audiences: Vec<(String, u64)>,
    pub channels: Vec<(String, u64)>,
}

/// A found service.
#[derive(Debug, Clone)]
pub struct Hit {
    pub code: String,
    pub version: i32,
    pub score: f32,
    /// The name, HTML-escaped, matches in `<mark>`.
    pub title_html: String,
    /// The best passage of the guide, HTML-escaped, matches in `<mark>`.
    pub snippet_html: String,
    /// The language of title and snippet: the query's, or zh-CN when the service lacks it.
    pub locale: Locale,
}

/// Field handles of one language.
#[derive(Clone, Copy)]
struct LangFields {
    name: Field,
    body: Field,
}

/// English words as written (lower-cased, not stemmed), only for typo-tolerant matching.
#[derive(Clone, Copy)]
struct WordFields {
    name: Field,
    body: Field,
}

#[derive(Clone, Copy)]
struct Fields {
    code: Field,
    version: Field,
    facets: Field,
    name_exact: Field,
    /// In the order of [`Locale::ALL`].
    langs: [LangFields; 4],
    en_words: WordFields,
}

fn lang_slot(locale: Locale) -> usize {
    Locale::ALL.iter().position(|l| *l == locale).unwrap_or(0)
}

fn suffix(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => "zh",
        Locale::En => "en",
        Locale::Ug => "ug",
        Locale::Bo => "bo",
    }
}

fn analyzer_name(locale: Locale) -> &'static str {
    match locale {
        Locale::ZhCn => analysis::ZH,
        Locale::En => analysis::EN,
        Locale::Ug | Locale::Bo => analysis::SCRIPT,
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let code = builder.add_text_field("code", STRING | tantivy::schema::STORED);
    let version = builder.add_i64_field("version", NumericOptions::default().set_stored());
    let facets = builder.add_facet_field("facets", FacetOptions::default());
    let name_exact = builder.add_text_field("name_exact", STRING);
    let text = |locale: Locale| {
        // Frequencies but no positions: no phrase queries are run, and positions would about
        // double the postings.
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer_name(locale))
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let langs = Locale::ALL.map(|locale| LangFields {
        name: builder.add_text_field(&format!("name_{}", suffix(locale)), text(locale)),
        body: builder.add_text_field(&format!("body_{}", suffix(locale)), text(locale)),
    });
    // Fuzzy matches are scored as constants, so neither frequencies nor storage are needed.
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analysis::EN_WORDS)
            .set_index_option(IndexRecordOption::Basic),
    );
    let en_words = WordFields {
        name: builder.add_text_field("name_en_words", words.clone()),
        body: builder.add_text_field("body_en_words", words),
    };
    (
        builder.build(),
        Fields {
            code,
            version,
            facets,
            name_exact,
            langs,
            en_words,
        },
    )
}

/// The commit payload: the fingerprint and each indexed service's version, which `sync` diffs
/// against.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Held {
    fingerprint: Option<String>,
    versions: HashMap<String, i32>,
}

/// A region's search index. `Send + Sync`; share it in an `Arc`.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzers: Analyzers,
    synonyms: RwLock<Arc<Synonyms>>,
    /// What the last commit holds; the lock also makes writers take turns.
    held: Mutex<Held>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

fn facet_term(field: Field, kind: &str, key: &str) -> Term {
    Term::from_facet(field, &tantivy::schema::Facet::from_path([kind, key]))
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index that cannot be read (a
    /// corrupt file, a schema from another version) is deleted and created afresh, empty: its
    /// [`fingerprint`](Self::fingerprint) is then `None` and the caller rebuilds it.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        match Self::open_dir(dir) {
            Ok(index) => Ok(index),
            // Only a directory that holds an index is wiped, never one with other files.
            Err(_) if dir.join("meta.json").exists() => {
                std::fs::remove_dir_all(dir)?;
                std::fs::create_dir_all(dir)?;
                Self::open_dir(dir)
            }
            Err(e) => Err(e),
        }
    }

    fn open_dir(dir: &Path) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        let index = Index::open_or_create(MmapDirectory::open(dir)?, schema)?;
        Self::with_index(index, fields)
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        let analyzers = Analyzers::new();
        analyzers.register(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // Reading every segment's metadata now finds a corrupt index at open, not at the
        // first query.
        let searcher: &IndexReader = &reader;
        let _ = searcher.searcher().num_docs();
        let held = index
            .load_metas()?
            .payload
            .and_then(|p| serde_json::from_str::<Held>(&p).ok())
            .unwrap_or_default();
        Ok(SearchIndex {
            index,
            reader,
            fields,
            analyzers,
            synonyms: RwLock::new(Arc::new(Synonyms::default())),
            held: Mutex::new(held),
        })
    }

    /// The fingerprint of what the index holds; `None` for a new or reset index.
    pub fn fingerprint(&self) -> Option<String> {
        self.held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fingerprint
            .clone()
    }

    /// How many services the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn writer(&self) -> Result<IndexWriter, SearchError> {
        Ok(self.index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?)
    }

    fn commit(
        &self,
        mut writer: IndexWriter,
        held: &mut Held,
        fresh: Held,
    ) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&fresh).unwrap_or_default();
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        *held = fresh;
        Ok(())
    }

    /// Replaces the whole content with `services`, calling `progress(done, total)` as it goes.
    pub fn rebuild(
        &self,
        services: &[IndexedService<'_>],
        fingerprint: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), SearchError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let writer = self.writer()?;
        writer.delete_all_documents()?;
        let total = services.len();
        let mut versions = HashMap::with_capacity(total);
        for (done, service) in services.iter().enumerate() {
            writer.add_document(self.document(service))?;
            versions.insert(service.service.code.clone(), service.version);
            progress(done + 1, total);
        }
        let fresh = Held {
            fingerprint: Some(fingerprint.to_owned()),
            versions,
        };
        self.commit(writer, &mut held, fresh)
    }

    /// Brings the index in step with `services`: re-indexes services whose version changed,
    /// adds new ones and removes those no longer given. Does nothing when the fingerprint is
    /// already `fingerprint`; indexes everything when the index has no fingerprint of this
    /// [`SCHEMA_VERSION`]. Searchable as soon as it returns.
    pub fn sync(
        &self,
        services: &[IndexedService<'_>],
        fingerprint: &str,
    ) -> Result<(), SearchError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if held.fingerprint.as_deref() == Some(fingerprint) {
            return Ok(());
        }
        let writer = self.writer()?;
        // An index without a fingerprint of this version (new, reset, or analysed by an older
        // version) cannot be patched: every service is indexed afresh.
        let current = held
            .fingerprint
            .as_deref()
            .is_some_and(|f| f.starts_with(&format!("v{SCHEMA_VERSION}/")));
        if !current {
            writer.delete_all_documents()?;
            held.versions.clear();
        }
        let wanted: HashMap<&str, i32> = services
            .iter()
            .map(|s| (s.service.code.as_str(), s.version))
            .collect();
        for code in held.versions.keys() {
            if !wanted.contains_key(code.as_str()) {
                writer.delete_term(Term::from_field_text(self.fields.code, code));
            }
        }
        for service in services {
            let code = service.service.code.as_str();
            if held.versions.get(code) != Some(&service.version) {
                writer.delete_term(Term::from_field_text(self.fields.code, code));
                writer.add_document(self.document(service))?;
            }
        }
        let fresh = Held {
            fingerprint: Some(fingerprint.to_owned()),
            versions: wanted.into_iter().map(|(c, v)| (c.to_owned(), v)).collect(),
        };
        self.commit(writer, &mut held, fresh)
    }

    /// Replaces the synonym groups; the next query uses them.
    pub fn set_synonyms(&self, groups: Vec<Vec<String>>) {
        *self.synonyms.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Synonyms::new(groups));
    }

    fn document(&self, indexed: &IndexedService<'_>) -> TantivyDocument {
        let f = &self.fields;
        let s = indexed.service;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.code, &s.code);
        doc.add_i64(f.version, i64::from(indexed.version));
        let mut facet = |kind: &str, key: &str| {
            doc.add_facet(f.facets, tantivy::schema::Facet::from_path([kind, key]));
        };
        facet("department", &s.department);
        for event in &s.life_events {
            facet("event", event.key());
        }
        for audience in &s.audiences {
            facet("audience", audience.key());
        }
        for channel in &s.channels {
            facet("channel", channel.key());
        }
        let mut exact_names: Vec<String> = Vec::new();
        for locale in Locale::ALL {
            let lang = f.langs[lang_slot(locale)];
            if let Some(name) = own_text(&s.name, locale) {
                doc.add_text(lang.name, name);
                if locale == Locale::En {
                    doc.add_text(f.en_words.name, name);
                }
                let normalized = normalize(name);
                if !exact_names.contains(&normalized) {
                    exact_names.push(normalized);
                }
            }
            let body = body_text(s, locale);
            if !body.is_empty() {
                if locale == Locale::En {
                    doc.add_text(f.en_words.body, &body);
                }
                doc.add_text(lang.body, &body);
            }
        }
        for name in exact_names {
            doc.add_text(f.name_exact, &name);
        }
        doc
    }

    /// Runs a search. Never fails on what was typed: any string is a valid query.
    pub fn search(&self, query: &SearchQuery<'_>) -> Result<SearchResults, SearchError> {
        let text: String = query.text.chars().take(MAX_QUERY_CHARS).collect();
        let normalized = normalize(&text);
        let synonyms = self
            .synonyms
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut expansions: Vec<(&str, f32)> = Vec::new();
        if !normalized.is_empty() {
            expansions.push((normalized.as_str(), 1.0));
            for alternative in synonyms.expand(&normalized) {
                expansions.push((alternative, SYNONYM_WEIGHT));
            }
        }

        let mut analyzers = self.analyzers.clone();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut highlight = Highlight::default();
        for (text, weight) in &expansions {
            self.text_clauses(&mut analyzers, text, *weight, &mut should, &mut highlight);
        }

        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let f = self.fields.facets;
        if let Some(department) = query.department {
            must.push((
                Occur::Must,
                term_query(facet_term(f, "department", department)),
            ));
        }
        if let Some(event) = query.life_event {
            must.push((Occur::Must, term_query(facet_term(f, "event", event.key()))));
        }
        if let Some(audience) = query.audience {
            must.push((
                Occur::Must,
                term_query(facet_term(f, "audience", audience.key())),
            ));
        }
        if let Some(channel) = query.channel {
            must.push((
                Occur::Must,
                term_query(facet_term(f, "channel", channel.key())),
            ));
        }
        if !should.is_empty() {
            must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        } else if !expansions.is_empty() {
            // Words were typed but none of them can match anything (only punctuation, say).
            return Ok(SearchResults::default());
        } else {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        let query_tree = BooleanQuery::new(must);

        let limit = query.limit.clamp(1, MAX_LIMIT);
        let offset = query.offset.min(MAX_OFFSET);
        let mut facets = FacetCollector::for_field("facets");
        for root in ["/department", "/event", "/audience", "/channel"] {
            facets.add_facet(root);
        }
        let searcher = self.reader.searcher();
        let (top, total, counts) = searcher.search(
            &query_tree,
            &(
                TopDocs::with_limit(limit)
                    .and_offset(offset)
                    .order_by_score(),
                Count,
                facets,
            ),
        )?;

        let mut matchers: [Option<Matcher>; 4] = [None, None, None, None];
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&doc, score, query.locale, &highlight, &mut matchers));
        }
        let count_of = |root: &str| -> Vec<(String, u64)> {
            let mut out: Vec<(String, u64)> = counts
                .get(root)
                .filter_map(|(facet, n)| facet.to_path().last().map(|key| ((*key).to_owned(), n)))
                .collect();
            out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            out
        };
        Ok(SearchResults {
            total,
            hits,
            departments: count_of("/department"),
            life_events: count_of("/event"),
            audiences: count_of("/audience"),
            channels: count_of("/channel"),
        })
    }

    /// Adds the clauses that match `text` (the query, or one synonym of it) with `weight`.
    fn text_clauses(
        &self,
        analyzers: &mut Analyzers,
        text: &str,
        weight: f32,
        should: &mut Vec<(Occur, Box<dyn Query>)>,
        highlight: &mut Highlight,
    ) {
        let f = &self.fields;
        let boosted = |q: Box<dyn Query>, boost: f32| -> (Occur, Box<dyn Query>) {
            (Occur::Should, Box::new(BoostQuery::new(q, boost)))
        };

        // The whole query as the name, or as the start of the name.
        let name = Term::from_field_text(f.name_exact, text);
        should.push(boosted(term_query(name.clone()), EXACT_NAME_BOOST * weight));
        if text.chars().count() >= 2 {
            let mut upper = text.to_owned();
            upper.push(char::MAX);
            should.push(boosted(
                Box::new(RangeQuery::new(
                    Bound::Included(name),
                    Bound::Excluded(Term::from_field_text(f.name_exact, &upper)),
                )),
                PREFIX_NAME_BOOST * weight,
            ));
        }

        let zh = content_words(analysis::terms(&mut analyzers.zh, text, MAX_QUERY_TERMS));
        let en = analysis::terms(&mut analyzers.en, text, MAX_QUERY_TERMS);
        let en_words = analysis::terms(&mut analyzers.en_words, text, MAX_QUERY_TERMS);
        let script = analysis::terms(&mut analyzers.script, text, MAX_QUERY_TERMS);
        for locale in Locale::ALL {
            let lang = f.langs[lang_slot(locale)];
            let terms = match locale {
                Locale::ZhCn => &zh,
                Locale::En => &en,
                Locale::Ug | Locale::Bo => &script,
            };
            for term in terms {
                for (field, boost) in [(lang.name, NAME_BOOST), (lang.body, BODY_BOOST)] {
                    let t = Term::from_field_text(field, term);
                    should.push(boosted(term_query(t), boost * weight));
                }
            }
        }
        for word in &en_words {
            let distance = snippet::typo_distance(word);
            if distance == 0 {
                continue;
            }
            for (field, boost) in [(f.en_words.name, NAME_BOOST), (f.en_words.body, BODY_BOOST)] {
                should.push(boosted(
                    Box::new(FuzzyTermQuery::new(
                        Term::from_field_text(field, word),
                        distance,
                        true,
                    )),
                    boost * weight * FUZZY_FACTOR,
                ));
            }
        }
        highlight.add(zh, en, en_words, script);
    }

    fn hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        wanted: Locale,
        highlight: &Highlight,
        matchers: &mut [Option<Matcher>; 4],
    ) -> Hit {
        let stored = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let code = stored(self.fields.code).to_owned();
        let version = doc
            .get_first(self.fields.version)
            .and_then(|v| v.as_i64())
            .and_then(|v| i32::try_from(v).ok())
            .unwrap_or(0);
        let locale = if stored(self.fields.langs[lang_slot(wanted)].name).is_empty() {
            Locale::ZhCn
        } else {
            wanted
        };
        let lang = self.fields.langs[lang_slot(locale)];
        let matcher = matchers[lang_slot(locale)]
            .get_or_insert_with(|| highlight.matcher(locale, &self.analyzers));
        let name = stored(lang.name);
        let (spans, _) = matcher.spans(name);
        let title_html = snippet::render(name, &spans);
        let snippet_html = snippet::best_passage(stored(lang.body).split('\n'), matcher);
        Hit {
            code,
            version,
            score,
            title_html,
            snippet_html,
            locale,
        }
    }
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
}

/// The query's Chinese words without the stop words, unless that would leave nothing.
fn content_words(words: Vec<String>) -> Vec<String> {
    let kept: Vec<String> = words
        .iter()
        .filter(|w| !ZH_STOP_WORDS.contains(&String::as_str(w)))
        .cloned()
        .collect();
    if kept.is_empty() { words } else { kept }
}

/// The query terms per analyser, gathered for highlighting.
#[derive(Default)]
struct Highlight {
    zh: Vec<String>,
    en: Vec<String>,
    en_words: Vec<String>,
    script: Vec<String>,
}

impl Highlight {
    fn add(
        &mut self,
        zh: Vec<String>,
        en: Vec<String>,
        en_words: Vec<String>,
        script: Vec<String>,
    ) {
        for (into, from) in [
            (&mut self.zh, zh),
            (&mut self.en, en),
            (&mut self.en_words, en_words),
            (&mut self.script, script),
        ] {
            for term in from {
                if !into.contains(&term) {
                    into.push(term);
                }
            }
        }
    }

    fn matcher(&self, locale: Locale, analyzers: &Analyzers) -> Matcher {
        match locale {
            Locale::ZhCn => {
                // Single characters (开 of 开饭店) would mark every 开 in the text; they are
                // marked only when the query has nothing longer.
                let long: Vec<String> = self
                    .zh
                    .iter()
                    .filter(|w| w.chars().count() >= 2)
                    .cloned()
                    .collect();
                let mut needles = if long.is_empty() {
                    self.zh.clone()
                } else {
                    long
                };
                needles.sort_by_key(|w| std::cmp::Reverse(w.len()));
                Matcher::Substrings(needles)
            }
            Locale::En => Matcher::English {
                stemmed: Box::new(analyzers.en.clone()),
                plain: Box::new(analyzers.en_words.clone()),
                stems: self.en.clone(),
                words: self.en_words.clone(),
            },
            Locale::Ug | Locale::Bo => Matcher::Terms {
                analyzer: Box::new(analyzers.script.clone()),
                terms: self.script.clone(),
            },
        }
    }
}

/// The text in exactly `locale`; for zh-CN whatever the fallback gives (zh-CN is required).
fn own_text(text: &LocalizedText, locale: Locale) -> Option<&str> {
    if locale == Locale::ZhCn || text.has(locale) {
        let t = text.get(locale);
        (!t.trim().is_empty()).then_some(t)
    } else {
        None
    }
}

/// A service's guide in one language as passages separated by newlines: summary, result,
/// conditions, materials, process, FAQ, legal basis. Passages are what snippets are cut from.
fn body_text(s: &Service, locale: Locale) -> String {
    let mut out = String::new();
    let mut push = |text: Option<&str>| {
        if let Some(text) = text {
            if !out.is_empty() {
                out.push('\n');
            }
            out.extend(text.chars().map(|c| if c == '\n' { ' ' } else { c }));
        }
    };
    push(own_text(&s.summary, locale));
    push(own_text(&s.result, locale));
    for text in &s.conditions {
        push(own_text(text, locale));
    }
    for material in &s.materials {
        match (
            own_text(&material.name, locale),
            own_text(&material.description, locale),
        ) {
            (Some(name), Some(description)) => push(Some(&format!("{name}: {description}"))),
            (name, description) => push(name.or(description)),
        }
    }
    for step in &s.process {
        push(own_text(step, locale));
    }
    for faq in &s.faq {
        match (
            own_text(&faq.question, locale),
            own_text(&faq.answer, locale),
        ) {
            (Some(q), Some(a)) => push(Some(&format!("{q} {a}"))),
            (q, a) => push(q.or(a)),
        }
    }
    for law in &s.legal_basis {
        push(own_text(law, locale));
    }
    out
}
