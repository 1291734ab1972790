//! The search vocabulary: synonym groups that system administrators keep per region, and the
//! queries that found nothing, recorded without personal data so administrators see what people
//! look for and do not find.
//!
//! Synonyms: 2–10 terms a group, each 1–40 characters after normalisation (full-width ASCII to
//! ASCII, spaces trimmed and collapsed), no term twice in a group and no term in two groups of a
//! region (the database enforces the last one; the error names the group that holds the term).
//! Every change is audited in its transaction. [`synonym_groups`] is what the search index loads.
//!
//! Unmet queries go through a [`MissRecorder`]: `record` never waits (a bounded queue; when it
//! is full the entry is dropped and counted), and a background task writes batches of up to 200
//! rows, at the latest 500 ms after the first entry of a batch, in one statement each. Queries
//! that look like a resident ID number, a mobile number, an e-mail address or a unified social
//! credit code are never stored.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tongban_domain::Locale;
use tongban_domain::access::Role;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{CreditCode, EmailAddress, MobileNumber, ResidentId};
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use tongban_store::sea_orm::TransactionTrait;
use tongban_store::search_terms::{MissCount, NewMiss, SynonymRow, term_key};
use uuid::Uuid;

use crate::StoreError;
use crate::identity::{AccountKind, CurrentUser, Origin};

/// The fewest and most terms a group may have.
pub const MIN_TERMS: usize = 2;
pub const MAX_TERMS: usize = 10;
/// The longest term, in characters.
pub const MAX_TERM_CHARS: usize = 40;
/// The longest query stored, in characters; longer ones are cut.
pub const MAX_QUERY_CHARS: usize = 100;
/// The periods, in days, the unmet-queries page offers.
pub const MISS_PERIODS: [u32; 3] = [7, 30, 90];

/// The demo region's synonyms, shipped inside the binary.
pub const DEMO_SYNONYMS_YAML: &str = include_str!("../../../demo/search-synonyms.yaml");

/// What is wrong with a synonym group. Each carries what the message must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SynonymProblem {
    TooFewTerms {
        found: usize,
    },
    TooManyTerms {
        found: usize,
    },
    /// Empty, or longer than [`MAX_TERM_CHARS`].
    TermLength {
        term: String,
        found: usize,
    },
    /// A control character or a list separator (comma, 、, semicolon) inside a term.
    TermCharacters {
        term: String,
    },
    /// The same term twice in the group.
    Duplicate {
        term: String,
    },
    /// Another group of the region holds the term; `group` is that group's terms.
    TermTaken {
        term: String,
        group: Vec<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum SearchTermsError {
    /// The caller lacks the role.
    #[error("the caller may not do this")]
    Forbidden,
    /// No such group in the caller's region (the same answer whether it exists elsewhere).
    #[error("no such synonym group in the caller's region")]
    NotFound,
    #[error("invalid synonym group: {0:?}")]
    Invalid(Vec<SynonymProblem>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A synonym group as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymGroup {
    pub id: Uuid,
    pub terms: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<SynonymRow> for SynonymGroup {
    fn from(row: SynonymRow) -> Self {
        SynonymGroup {
            id: row.id,
            terms: row.terms,
            updated_at: row.updated_at,
        }
    }
}

/// Full-width ASCII (what a Chinese input method types in full-width mode) becomes ASCII and
/// the ideographic space a space: `ＩＤ　ｃａｒｄ` and `ID card` are one term.
pub fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// A term as stored: width folded, trimmed, inner runs of white space made one space.
pub fn normalise_term(raw: &str) -> String {
    fold_width(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_separator(c: char) -> bool {
    matches!(c, ',' | '，' | '、' | ';' | '；' | '\n' | '\r')
}

/// Splits what an administrator typed into terms: commas (also full-width ，), 、, semicolons or
/// new lines separate them; empty pieces (a trailing comma) are skipped.
pub fn split_terms(text: &str) -> Vec<String> {
    fold_width(text)
        .split(is_separator)
        .map(normalise_term)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Normalises and checks a group on its own (not against the region's other groups).
pub fn validate_terms(raw: &[String]) -> Result<Vec<String>, Vec<SynonymProblem>> {
    let mut problems = Vec::new();
    let terms: Vec<String> = raw.iter().map(|t| normalise_term(t)).collect();
    if terms.len() < MIN_TERMS {
        problems.push(SynonymProblem::TooFewTerms { found: terms.len() });
    }
    if terms.len() > MAX_TERMS {
        problems.push(SynonymProblem::TooManyTerms { found: terms.len() });
    }
    let mut seen: Vec<String> = Vec::new();
    for term in &terms {
        let found = term.chars().count();
        if found == 0 || found > MAX_TERM_CHARS {
            problems.push(SynonymProblem::TermLength {
                term: term.clone(),
                found,
            });
        } else if term.chars().any(|c| c.is_control() || is_separator(c)) {
            problems.push(SynonymProblem::TermCharacters { term: term.clone() });
        }
        let key = term_key(term);
        if seen.contains(&key) {
            let problem = SynonymProblem::Duplicate { term: term.clone() };
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        } else {
            seen.push(key);
        }
    }
    if problems.is_empty() {
        Ok(terms)
    } else {
        Err(problems)
    }
}

/// The region whose synonyms `user` maintains: system administrators only.
pub fn synonym_region(user: &CurrentUser) -> Option<Uuid> {
    region_for(user, &[Role::SystemAdmin])
}

/// The region whose unmet queries `user` reads: system and department administrators (the
/// list holds no personal data).
pub fn misses_region(user: &CurrentUser) -> Option<Uuid> {
    region_for(user, &[Role::SystemAdmin, Role::DepartmentAdmin])
}

fn region_for(user: &CurrentUser, roles: &[Role]) -> Option<Uuid> {
    if user.kind != AccountKind::Staff {
        return None;
    }
    user.roles
        .iter()
        .find(|g| roles.contains(&g.role))
        .map(|g| g.region_id)
}

/// The synonym groups of the region `region_code`, for the search index; none when the
/// region is not in the database yet.
pub async fn synonym_groups(
    db: &Connection,
    region_code: &str,
) -> Result<Vec<Vec<String>>, StoreError> {
    let Some(region_id) = tongban_store::catalog::region_id(db, region_code).await? else {
        return Ok(Vec::new());
    };
    Ok(tongban_store::search_terms::groups_of(db, region_id)
        .await?
        .into_iter()
        .map(|row| row.terms)
        .collect())
}

/// The groups of the administrator's region.
pub async fn list_synonyms(
    db: &Connection,
    user: &CurrentUser,
) -> Result<Vec<SynonymGroup>, SearchTermsError> {
    let region = synonym_region(user).ok_or(SearchTermsError::Forbidden)?;
    Ok(tongban_store::search_terms::groups_of(db, region)
        .await?
        .into_iter()
        .map(SynonymGroup::from)
        .collect())
}

/// One group of the administrator's region.
pub async fn synonym_group(
    db: &Connection,
    user: &CurrentUser,
    id: Uuid,
) -> Result<SynonymGroup, SearchTermsError> {
    let region = synonym_region(user).ok_or(SearchTermsError::Forbidden)?;
    tongban_store::search_terms::group(db, region, id)
        .await?
        .map(SynonymGroup::from)
        .ok_or(SearchTermsError::NotFound)
}

/// The terms of `terms` that another group of the region (not `except`) holds, each with that
/// group's terms.
async fn conflicts(
    db: &Connection,
    region: Uuid,
    terms: &[String],
    except: Option<Uuid>,
) -> Result<Vec<SynonymProblem>, StoreError> {
    let keys: Vec<String> = terms.iter().map(|t| term_key(t)).collect();
    let held = tongban_store::search_terms::holders(db, region, &keys).await?;
    let mut problems = Vec::new();
    for term in terms {
        let key = term_key(term);
        let Some((_, holder)) = held
            .iter()
            .find(|(k, holder)| *k == key && Some(*holder) != except)
        else {
            continue;
        };
        let group = tongban_store::search_terms::group(db, region, *holder)
            .await?
            .map(|row| row.terms)
            .unwrap_or_default();
        problems.push(SynonymProblem::TermTaken {
            term: term.clone(),
            group,
        });
    }
    Ok(problems)
}

/// After the database refused a duplicate term that the check before did not see (another
/// administrator saved it in between): the problems as they are now.
async fn refused_duplicate(
    db: &Connection,
    region: Uuid,
    terms: &[String],
    except: Option<Uuid>,
    error: StoreError,
) -> SearchTermsError {
    match conflicts(db, region, terms, except).await {
        Ok(found) if !found.is_empty() => SearchTermsError::Invalid(found),
        Ok(_) => SearchTermsError::Store(error),
        Err(other) => SearchTermsError::Store(other),
    }
}

fn audit(
    user: &CurrentUser,
    origin: &Origin,
    now: DateTime<Utc>,
    region: Uuid,
    action: &str,
    group: Uuid,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        at: now,
        region_id: Some(region),
        actor_id: Some(user.account_id),
        on_behalf_of: None,
        action: action.to_owned(),
        target: Some(group.to_string()),
        outcome: "success".to_owned(),
        ip: origin.ip.clone(),
        detail,
    }
}

/// Adds a group to the administrator's region; returns its id.
pub async fn create_synonym(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    raw_terms: &[String],
) -> Result<Uuid, SearchTermsError> {
    let region = synonym_region(user).ok_or(SearchTermsError::Forbidden)?;
    let terms = validate_terms(raw_terms).map_err(SearchTermsError::Invalid)?;
    let taken = conflicts(db, region, &terms, None).await?;
    if !taken.is_empty() {
        return Err(SearchTermsError::Invalid(taken));
    }
    let now = clock.now();
    let id = Uuid::now_v7();
    let txn = db.begin().await.map_err(StoreError::from)?;
    match tongban_store::search_terms::insert_group(
        &txn,
        region,
        id,
        &terms,
        Some(user.account_id),
        now,
    )
    .await
    {
        Ok(()) => {}
        Err(error @ StoreError::Duplicate(_)) => {
            drop(txn);
            return Err(refused_duplicate(db, region, &terms, None, error).await);
        }
        Err(other) => return Err(other.into()),
    }
    let record = audit(
        user,
        origin,
        now,
        region,
        "search.synonym-create",
        id,
        serde_json::json!({ "terms": terms }),
    );
    tongban_store::audit::append(&txn, &record).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

/// Replaces the terms of a group of the administrator's region.
pub async fn update_synonym(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    id: Uuid,
    raw_terms: &[String],
) -> Result<(), SearchTermsError> {
    let region = synonym_region(user).ok_or(SearchTermsError::Forbidden)?;
    let before = tongban_store::search_terms::group(db, region, id)
        .await?
        .ok_or(SearchTermsError::NotFound)?;
    let terms = validate_terms(raw_terms).map_err(SearchTermsError::Invalid)?;
    let taken = conflicts(db, region, &terms, Some(id)).await?;
    if !taken.is_empty() {
        return Err(SearchTermsError::Invalid(taken));
    }
    let now = clock.now();
    let txn = db.begin().await.map_err(StoreError::from)?;
    match tongban_store::search_terms::replace_terms(
        &txn,
        region,
        id,
        &terms,
        Some(user.account_id),
        now,
    )
    .await
    {
        Ok(true) => {}
        // Deleted by someone else since it was read.
        Ok(false) => return Err(SearchTermsError::NotFound),
        Err(error @ StoreError::Duplicate(_)) => {
            drop(txn);
            return Err(refused_duplicate(db, region, &terms, Some(id), error).await);
        }
        Err(other) => return Err(other.into()),
    }
    let record = audit(
        user,
        origin,
        now,
        region,
        "search.synonym-update",
        id,
        serde_json::json!({ "before": before.terms, "after": terms }),
    );
    tongban_store::audit::append(&txn, &record).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Removes a group of the administrator's region; returns the terms it had.
pub async fn delete_synonym(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    id: Uuid,
) -> Result<Vec<String>, SearchTermsError> {
    let region = synonym_region(user).ok_or(SearchTermsError::Forbidden)?;
    let before = tongban_store::search_terms::group(db, region, id)
        .await?
        .ok_or(SearchTermsError::NotFound)?;
    let now = clock.now();
    // The transaction starts with its write: a SQLite transaction that read first could not
    // upgrade to writing once another writer committed in between.
    let txn = db.begin().await.map_err(StoreError::from)?;
    if !tongban_store::search_terms::delete_group(&txn, region, id).await? {
        return Err(SearchTermsError::NotFound);
    }
    let record = audit(
        user,
        origin,
        now,
        region,
        "search.synonym-delete",
        id,
        serde_json::json!({ "terms": before.terms }),
    );
    tongban_store::audit::append(&txn, &record).await?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(before.terms)
}

/// The demo synonyms file: `groups:` a list of term lists.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    groups: Vec<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedSynonymsError {
    #[error("demo/search-synonyms.yaml: {0}")]
    Syntax(String),
    #[error("demo/search-synonyms.yaml, group {index} ({terms}): {problems:?}")]
    Invalid {
        index: usize,
        terms: String,
        problems: Vec<SynonymProblem>,
    },
    #[error("the demo region {0} is not in the database: seed the catalogue first")]
    UnknownRegion(String),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The groups of the demo synonyms file, validated.
pub fn demo_synonyms() -> Result<Vec<Vec<String>>, SeedSynonymsError> {
    let file: SynonymsFile = serde_norway::from_str(DEMO_SYNONYMS_YAML)
        .map_err(|e| SeedSynonymsError::Syntax(e.to_string()))?;
    file.groups
        .iter()
        .enumerate()
        .map(|(index, terms)| {
            validate_terms(terms).map_err(|problems| SeedSynonymsError::Invalid {
                index: index + 1,
                terms: terms.join(", "),
                problems,
            })
        })
        .collect()
}

/// Loads the demo synonyms into the demo region, adding only groups none of whose terms is
/// there yet: a second run, or a concurrent second process, adds nothing. Returns how many
/// groups were added.
pub async fn seed_demo_synonyms(
    db: &Connection,
    clock: &dyn Clock,
) -> Result<usize, SeedSynonymsError> {
    let groups = demo_synonyms()?;
    let code = crate::catalog::demo_document()?.region.code;
    let region = tongban_store::catalog::region_id(db, &code)
        .await?
        .ok_or(SeedSynonymsError::UnknownRegion(code))?;
    let now = clock.now();
    let mut added = 0;
    for terms in groups {
        let keys: Vec<String> = terms.iter().map(|t| term_key(t)).collect();
        if !tongban_store::search_terms::holders(db, region, &keys)
            .await?
            .is_empty()
        {
            continue;
        }
        // One transaction per group: a group another process inserted meanwhile is refused by
        // the term key and skipped, without undoing the others.
        let txn = db.begin().await.map_err(StoreError::from)?;
        match tongban_store::search_terms::insert_group(
            &txn,
            region,
            Uuid::now_v7(),
            &terms,
            None,
            now,
        )
        .await
        {
            Ok(()) => {
                txn.commit().await.map_err(StoreError::from)?;
                added += 1;
            }
            Err(StoreError::Duplicate(_)) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(added)
}

/// The region's most frequent unmet queries over the last `days` days (one of
/// [`MISS_PERIODS`]; anything else reads 30).
pub async fn unmet_queries(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    days: u32,
    limit: u64,
) -> Result<Vec<MissCount>, SearchTermsError> {
    let region = misses_region(user).ok_or(SearchTermsError::Forbidden)?;
    let days = if MISS_PERIODS.contains(&days) {
        days
    } else {
        30
    };
    let since = clock.now() - chrono::Duration::days(i64::from(days));
    Ok(tongban_store::search_terms::top_misses(db, region, since, limit).await?)
}

/// `top_misses` for a region given by id, for tools and tests that hold no user.
pub async fn top_misses(
    db: &Connection,
    region: Uuid,
    since: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<MissCount>, StoreError> {
    tongban_store::search_terms::top_misses(db, region, since, limit).await
}

/// Whether a query contains something that identifies a person or an enterprise: an 18-digit
/// resident ID number (also with a wrong check digit: a mistyped number is still someone's),
/// an 11-digit mobile number, an e-mail address, a unified social credit code, or any run of
/// eleven or more digits (bank cards, old 15-digit ID numbers, landlines with area code). None
/// of these is a way to look for a service, so nothing useful is lost by dropping them.
pub fn looks_personal(query: &str) -> bool {
    let text = fold_width(query);
    let mut digits = 0usize;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 11 {
                return true;
            }
        } else if !matches!(c, ' ' | '-') {
            // Digit groups written with spaces or hyphens (138 0013 8000) still count as one run.
            digits = 0;
        }
    }
    let tokens = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '、' | '，' | '：' | ':'))
        .filter(|t| !t.is_empty());
    for token in tokens {
        let trimmed = token.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '@');
        if trimmed.contains('@') && (EmailAddress::parse(trimmed).is_ok() || trimmed.contains('.'))
        {
            return true;
        }
        if ResidentId::parse(trimmed).is_ok()
            || CreditCode::parse(trimmed).is_ok()
            || MobileNumber::parse(trimmed).is_ok()
        {
            return true;
        }
        // An identifier run into other text (身份证110101…) is found by the digit-run rule;
        // an ID number with its check character X, or a credit code, by its 18-character shape.
        for piece in trimmed.split(|c: char| !c.is_ascii_alphanumeric()) {
            if piece.len() == 18
                && piece.chars().filter(char::is_ascii_digit).count() >= 8
                && piece
                    .chars()
                    .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == 'x')
            {
                return true;
            }
        }
    }
    false
}

/// A query as stored: width folded, spaces collapsed, Latin letters in lower case (so `Passport`
/// and `passport` count together), cut to [`MAX_QUERY_CHARS`]; `None` when empty or personal.
pub fn clean_query(query: &str) -> Option<String> {
    if looks_personal(query) {
        return None;
    }
    let text = normalise_term(query).to_lowercase();
    if text.is_empty() || text.chars().any(char::is_control) {
        return None;
    }
    Some(text.chars().take(MAX_QUERY_CHARS).collect())
}

/// How the recorder batches; [`MissSettings::default`] is what the server uses.
#[derive(Debug, Clone, Copy)]
pub struct MissSettings {
    /// Entries waiting beyond this are dropped (and counted) rather than slow a request.
    pub queue: usize,
    /// A batch is written when it has this many entries…
    pub batch: usize,
    /// …or this long after its first entry, whichever comes first.
    pub interval: Duration,
}

impl Default for MissSettings {
    fn default() -> Self {
        MissSettings {
            queue: 10_000,
            batch: 200,
            interval: Duration::from_millis(500),
        }
    }
}

enum Command {
    Miss(NewMiss),
    Flush(oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

/// Records unmet queries of one region without slowing the request that found nothing.
/// Cheap to clone: every clone feeds the same background writer.
#[derive(Clone)]
pub struct MissRecorder {
    queue: mpsc::Sender<Command>,
    clock: Arc<dyn Clock>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for MissRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MissRecorder")
            .field("dropped", &self.dropped())
            .finish()
    }
}

impl MissRecorder {
    /// Starts the background writer for the region `region_code` (looked up when the first
    /// batch is written, so a server may start before its region is imported). Must be called
    /// inside a Tokio runtime.
    pub fn start(db: Connection, region_code: String, clock: Arc<dyn Clock>) -> MissRecorder {
        MissRecorder::with_settings(db, region_code, clock, MissSettings::default())
    }

    pub fn with_settings(
        db: Connection,
        region_code: String,
        clock: Arc<dyn Clock>,
        settings: MissSettings,
    ) -> MissRecorder {
        let (queue, receiver) = mpsc::channel(settings.queue.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            db,
            region_code,
            region_id: None,
            dropped: dropped.clone(),
            batch: settings.batch.max(1),
            interval: settings.interval,
        };
        tokio::spawn(writer.run(receiver));
        MissRecorder {
            queue,
            clock,
            dropped,
        }
    }

    /// Notes that `query`, searched in `locale`, found nothing. Returns at once: a query that
    /// looks personal is not kept, and when the queue is full the entry is dropped and counted.
    pub fn record(&self, query: &str, locale: Locale) {
        let Some(query) = clean_query(query) else {
            return;
        };
        let miss = NewMiss {
            query,
            locale: locale.tag().to_owned(),
            occurred_at: self.clock.now(),
        };
        if self.queue.try_send(Command::Miss(miss)).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Entries lost so far: queue full, recorder stopped, or a batch the database refused.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes everything recorded before this call; returns when it is stored.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Command::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }

    /// Writes what is pending and stops the writer (graceful shutdown). Entries recorded
    /// afterwards are dropped and counted.
    pub async fn shutdown(&self) {
        let (done, stopped) = oneshot::channel();
        if self.queue.send(Command::Stop(done)).await.is_ok() {
            let _ = stopped.await;
        }
    }
}

struct Writer {
    db: Connection,
    region_code: String,
    region_id: Option<Uuid>,
    dropped: Arc<AtomicU64>,
    batch: usize,
    interval: Duration,
}

impl Writer {
    async fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
        let mut pending: Vec<NewMiss> = Vec::with_capacity(self.batch);
        let mut deadline = tokio::time::Instant::now();
        loop {
            let command = tokio::select! {
                command = receiver.recv() => command,
                _ = tokio::time::sleep_until(deadline), if !pending.is_empty() => {
                    self.write(&mut pending).await;
                    continue;
                }
            };
            match command {
                Some(Command::Miss(miss)) => {
                    if pending.is_empty() {
                        deadline = tokio::time::Instant::now() + self.interval;
                    }
                    pending.push(miss);
                    if pending.len() >= self.batch {
                        self.write(&mut pending).await;
                    }
                }
                Some(Command::Flush(done)) => {
                    self.write(&mut pending).await;
                    let _ = done.send(());
                }
                Some(Command::Stop(done)) => {
                    receiver.close();
                    // What was queued before the stop is still written.
                    while let Ok(command) = receiver.try_recv() {
                        match command {
                            Command::Miss(miss) => pending.push(miss),
                            Command::Flush(other) | Command::Stop(other) => {
                                let _ = other.send(());
                            }
                        }
                        if pending.len() >= self.batch {
                            self.write(&mut pending).await;
                        }
                    }
                    self.write(&mut pending).await;
                    let _ = done.send(());
                    return;
                }
                None => {
                    self.write(&mut pending).await;
                    return;
                }
            }
        }
    }

    /// Writes `pending` in one statement and empties it; a failure is logged and the entries
    /// counted as dropped: misses are a hint for administrators, not worth retrying forever.
    async fn write(&mut self, pending: &mut Vec<NewMiss>) {
        if pending.is_empty() {
            return;
        }
        let result = match self.region().await {
            Ok(Some(region)) => {
                tongban_store::search_terms::insert_misses(&self.db, region, pending).await
            }
            Ok(None) => {
                tracing::warn!(region = %self.region_code, lost = pending.len(),
                    "unmet search queries not recorded: the region is not in the database");
                Ok(0)
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(written) if written as usize == pending.len() => {}
            Ok(written) => {
                self.dropped
                    .fetch_add(pending.len() as u64 - written, Ordering::Relaxed);
            }
            Err(error) => {
                tracing::error!(%error, lost = pending.len(), "cannot record unmet search queries");
                self.dropped
                    .fetch_add(pending.len() as u64, Ordering::Relaxed);
            }
        }
        pending.clear();
    }

    async fn region(&mut self) -> Result<Option<Uuid>, StoreError> {
        if self.region_id.is_none() {
            self.region_id = tongban_store::catalog::region_id(&self.db, &self.region_code).await?;
        }
        Ok(self.region_id)
    }
}
