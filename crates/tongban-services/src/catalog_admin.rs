//! Editing services online: department administrators (部门管理员) open a draft of one of their
//! department's services, save it as often as they like, preview it, publish it with a change
//! note and an effective date, and read the history of versions with a field-by-field diff.
//!
//! Rules:
//! - only a department administrator edits, and only their own department's services; any
//!   other department's service is answered exactly like a missing one ([`EditError::NotFound`]);
//! - a service has at most one draft (the database refuses a second), started as a copy of the
//!   latest published version, or blank for a new service;
//! - publishing checks the draft with [`Service::validate`] against the region's departments
//!   and halls, needs a change note, and takes effect today or on a future date in the region's
//!   time zone, never in the past; the version number is the highest so far plus one;
//! - published versions never change (the store refuses), and stay readable;
//! - every change appends an audit entry in the same transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use tongban_domain::access::Role;
use tongban_domain::catalog::{CatalogProblem, Contact, Service, ServiceKind};
use tongban_domain::clock::Clock;
use tongban_domain::{Locale, LocalizedText};
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use tongban_store::catalog_versions::{self as versions, VersionError, VersionRow};
use tongban_store::entities::service;
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::StoreError;
use crate::identity::{AccountKind, CurrentUser, Origin};

/// The longest change note kept.
pub const NOTE_MAX_CHARS: usize = 500;

/// Why an editing action was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The caller is not a department administrator.
    #[error("only department administrators edit services")]
    Forbidden,
    /// No such service in the caller's department (or no such version or draft).
    #[error("no such service")]
    NotFound,
    /// The action needs an open draft and there is none.
    #[error("the service has no open draft")]
    NoDraft,
    /// The draft is not ready to publish: the problems, paths relative to the service.
    #[error("the draft has {} problem(s)", .0.len())]
    Invalid(Vec<CatalogProblem>),
    #[error("a change note is required")]
    NoteMissing,
    #[error("the change note is too long")]
    NoteTooLong,
    #[error("the effective date is in the past")]
    DateInPast,
    /// Someone else published or created at the same moment; trying again works.
    #[error("a concurrent change got there first")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<VersionError> for EditError {
    fn from(error: VersionError) -> Self {
        match error {
            VersionError::NotFound => EditError::NotFound,
            VersionError::Immutable(_) | VersionError::DraftExists => EditError::Conflict,
            VersionError::Store(StoreError::Duplicate(_)) => EditError::Conflict,
            VersionError::Store(other) => EditError::Store(other),
        }
    }
}

impl From<tongban_store::sea_orm::DbErr> for EditError {
    fn from(error: tongban_store::sea_orm::DbErr) -> Self {
        EditError::Store(error.into())
    }
}

/// Where a department administrator's editing rights reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditorScope {
    pub region_id: Uuid,
    pub department_id: Uuid,
}

/// The editing scope of a signed-in user: staff holding the department administrator role.
pub fn editor_scope(user: &CurrentUser) -> Result<EditorScope, EditError> {
    if user.kind != AccountKind::Staff {
        return Err(EditError::Forbidden);
    }
    user.roles
        .iter()
        .find_map(|g| match (g.role, g.department_id) {
            (Role::DepartmentAdmin, Some(department_id)) => Some(EditorScope {
                region_id: g.region_id,
                department_id,
            }),
            _ => None,
        })
        .ok_or(EditError::Forbidden)
}

/// One line of the department's service list.
#[derive(Debug, Clone)]
pub struct ServiceLine {
    pub code: String,
    pub name: LocalizedText,
    /// The version the public sees now.
    pub in_force: Option<i32>,
    pub draft_open: bool,
    pub last_change: DateTime<Utc>,
}

/// A service and its versions, as the editor and the history page show them.
#[derive(Debug, Clone)]
pub struct ServiceVersions {
    pub service_id: Uuid,
    pub code: String,
    pub region_id: Uuid,
    /// Draft first, then published versions from the newest.
    pub versions: Vec<VersionRow>,
    /// Names of who edited and published, by account id.
    pub people: HashMap<Uuid, String>,
    /// The number of the version the public sees now.
    pub in_force: Option<i32>,
}

impl ServiceVersions {
    pub fn draft(&self) -> Option<&VersionRow> {
        self.versions.iter().find(|v| v.is_draft())
    }

    pub fn published(&self, number: i32) -> Option<&VersionRow> {
        self.versions
            .iter()
            .find(|v| !v.is_draft() && v.version == number)
    }

    /// The newest published version, whatever its effective date.
    pub fn latest(&self) -> Option<&VersionRow> {
        self.versions.iter().find(|v| !v.is_draft())
    }

    pub fn person(&self, id: Option<Uuid>) -> String {
        id.and_then(|id| self.people.get(&id).cloned())
            .unwrap_or_default()
    }
}

/// The published version in force at `now` among `versions` (highest number already effective).
fn in_force(versions: &[VersionRow], now: DateTime<Utc>) -> Option<i32> {
    versions
        .iter()
        .filter(|v| !v.is_draft() && v.effective_from.is_none_or(|from| from <= now))
        .map(|v| v.version)
        .max()
}

fn record(
    user: &CurrentUser,
    origin: &Origin,
    now: DateTime<Utc>,
    region: Uuid,
    action: &str,
    code: &str,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        at: now,
        region_id: Some(region),
        actor_id: Some(user.account_id),
        on_behalf_of: None,
        action: action.to_owned(),
        target: Some(code.to_owned()),
        outcome: "success".to_owned(),
        ip: origin.ip.clone(),
        detail,
    }
}

/// The service `code` if it belongs to the caller's department; otherwise `NotFound`, exactly
/// as for a code that does not exist.
async fn own_service<C: tongban_store::sea_orm::ConnectionTrait>(
    db: &C,
    scope: EditorScope,
    code: &str,
) -> Result<service::Model, EditError> {
    match versions::service_by_code(db, scope.region_id, code).await? {
        Some(s) if s.department_id == scope.department_id => Ok(s),
        _ => Err(EditError::NotFound),
    }
}

async fn department_code<C: tongban_store::sea_orm::ConnectionTrait>(
    db: &C,
    scope: EditorScope,
) -> Result<String, EditError> {
    tongban_store::catalog::department_ids(db, scope.region_id)
        .await?
        .into_iter()
        .find(|(_, id)| *id == scope.department_id)
        .map(|(code, _)| code)
        .ok_or(EditError::Forbidden)
}

/// The caller's department's services with their version in force and whether a draft is open.
pub async fn list_services(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
) -> Result<Vec<ServiceLine>, EditError> {
    let scope = editor_scope(user)?;
    let services =
        versions::services_of_department(db, scope.region_id, scope.department_id).await?;
    let ids: Vec<Uuid> = services.iter().map(|s| s.id).collect();
    let all = versions::versions_of_services(db, scope.region_id, &ids).await?;
    let mut by_service: HashMap<Uuid, Vec<VersionRow>> = HashMap::new();
    for v in all {
        by_service.entry(v.service_id).or_default().push(v);
    }
    let now = clock.now();
    Ok(services
        .into_iter()
        .map(|s| {
            let rows = by_service.remove(&s.id).unwrap_or_default();
            let draft = rows.iter().find(|v| v.is_draft());
            let name = draft
                .or_else(|| rows.iter().find(|v| !v.is_draft()))
                .map(|v| v.content.name.clone())
                .unwrap_or_default();
            ServiceLine {
                in_force: in_force(&rows, now),
                draft_open: draft.is_some(),
                last_change: rows
                    .iter()
                    .map(VersionRow::changed_at)
                    .max()
                    .unwrap_or(s.created_at),
                code: s.code,
                name,
            }
        })
        .collect())
}

/// A service of the caller's department and all its versions.
pub async fn service_versions(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    code: &str,
) -> Result<ServiceVersions, EditError> {
    let scope = editor_scope(user)?;
    let service = own_service(db, scope, code).await?;
    let rows = versions::versions_of(db, scope.region_id, service.id).await?;
    let mut ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|v| [v.edited_by, v.published_by])
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    let people = tongban_store::identity::accounts_by_ids(db, &ids)
        .await?
        .into_iter()
        .map(|a| {
            let name = match a.username {
                Some(username) => format!("{} ({username})", a.display_name),
                None => a.display_name,
            };
            (a.id, name)
        })
        .collect();
    Ok(ServiceVersions {
        service_id: service.id,
        code: service.code,
        region_id: scope.region_id,
        in_force: in_force(&rows, clock.now()),
        versions: rows,
        people,
    })
}

/// Opens a draft of the service, a copy of its latest published version. Opening when a draft
/// is already open (by this or a concurrent request) changes nothing.
pub async fn open_draft(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
) -> Result<(), EditError> {
    let scope = editor_scope(user)?;
    let now = clock.now();
    let service = own_service(db, scope, code).await?;
    let txn = db.begin().await?;
    versions::lock_service(&txn, scope.region_id, service.id).await?;
    if versions::draft_of(&txn, scope.region_id, service.id)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let rows = versions::versions_of(&txn, scope.region_id, service.id).await?;
    let Some(latest) = rows.iter().find(|v| !v.is_draft()) else {
        // A service is created with its draft, so one without any version is not expected;
        // it gets a blank draft like a new service.
        let department = department_code(&txn, scope).await?;
        let blank = blank_service(&service.code, &department);
        return finish_open(txn, scope, user, origin, now, &service, &blank, None).await;
    };
    let content = latest.content.clone();
    let based_on = Some(latest.version);
    finish_open(txn, scope, user, origin, now, &service, &content, based_on).await
}

#[allow(clippy::too_many_arguments)]
async fn finish_open(
    txn: tongban_store::sea_orm::DatabaseTransaction,
    scope: EditorScope,
    user: &CurrentUser,
    origin: &Origin,
    now: DateTime<Utc>,
    service: &service::Model,
    content: &Service,
    based_on: Option<i32>,
) -> Result<(), EditError> {
    match versions::open_draft(
        &txn,
        scope.region_id,
        service.id,
        content,
        based_on,
        user.account_id,
        now,
    )
    .await
    {
        Ok(_) => {}
        // A concurrent request opened it first: the caller finds the draft open, as asked.
        Err(VersionError::DraftExists) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    let entry = record(
        user,
        origin,
        now,
        scope.region_id,
        "catalog.draft-open",
        &service.code,
        serde_json::json!({ "based_on": based_on }),
    );
    tongban_store::audit::append(&txn, &entry).await?;
    txn.commit().await?;
    Ok(())
}

/// A new service's first draft: the code and department filled in, everything else empty.
pub fn blank_service(code: &str, department: &str) -> Service {
    Service {
        code: code.to_owned(),
        department: department.to_owned(),
        kind: ServiceKind::PublicService,
        name: LocalizedText::default(),
        summary: LocalizedText::default(),
        audiences: Vec::new(),
        life_events: Vec::new(),
        channels: Vec::new(),
        visits: 0,
        committed_days: 0,
        statutory_days: 0,
        conditions: Vec::new(),
        materials: Vec::new(),
        process: Vec::new(),
        fees: Vec::new(),
        legal_basis: Vec::new(),
        result: LocalizedText::default(),
        halls: Vec::new(),
        faq: Vec::new(),
        contact: Contact::default(),
        issues: None,
        shared: false,
        form: None,
        workflow: None,
    }
}

/// Creates a service in the caller's department with the next free code and a blank draft.
/// Returns the code.
pub async fn create_service(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
) -> Result<String, EditError> {
    let scope = editor_scope(user)?;
    let now = clock.now();
    let department = department_code(db, scope).await?;
    let txn = db.begin().await?;
    versions::lock_department(&txn, scope.region_id, scope.department_id).await?;
    let (service_id, code) = match versions::create_service(
        &txn,
        scope.region_id,
        scope.department_id,
        &department,
        now,
    )
    .await
    {
        Ok(created) => created,
        Err(StoreError::Duplicate(_)) => return Err(EditError::Conflict),
        Err(other) => return Err(other.into()),
    };
    let blank = blank_service(&code, &department);
    versions::open_draft(
        &txn,
        scope.region_id,
        service_id,
        &blank,
        None,
        user.account_id,
        now,
    )
    .await?;
    let entry = record(
        user,
        origin,
        now,
        scope.region_id,
        "catalog.service-create",
        &code,
        serde_json::json!({ "department": department }),
    );
    tongban_store::audit::append(&txn, &entry).await?;
    txn.commit().await?;
    Ok(code)
}

/// Saves the draft's content. The code and department stay the service's whatever the form
/// said; the content may be incomplete (publishing checks it).
pub async fn save_draft(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
    mut content: Service,
) -> Result<(), EditError> {
    let scope = editor_scope(user)?;
    let now = clock.now();
    let service = own_service(db, scope, code).await?;
    let txn = db.begin().await?;
    versions::lock_service(&txn, scope.region_id, service.id).await?;
    let draft = versions::draft_of(&txn, scope.region_id, service.id)
        .await?
        .ok_or(EditError::NoDraft)?;
    content.code = draft.content.code.clone();
    content.department = draft.content.department.clone();
    if content == draft.content {
        // Nothing changed: no write, no audit entry.
        return Ok(());
    }
    versions::save_draft(
        &txn,
        scope.region_id,
        draft.id,
        &content,
        user.account_id,
        now,
    )
    .await?;
    let changed = diff(&draft.content, &content).len();
    let entry = record(
        user,
        origin,
        now,
        scope.region_id,
        "catalog.draft-save",
        &service.code,
        serde_json::json!({ "fields_changed": changed }),
    );
    tongban_store::audit::append(&txn, &entry).await?;
    txn.commit().await?;
    Ok(())
}

/// Throws the draft away; the published versions are untouched.
pub async fn discard_draft(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
) -> Result<(), EditError> {
    let scope = editor_scope(user)?;
    let now = clock.now();
    let service = own_service(db, scope, code).await?;
    let txn = db.begin().await?;
    versions::lock_service(&txn, scope.region_id, service.id).await?;
    let draft = versions::draft_of(&txn, scope.region_id, service.id)
        .await?
        .ok_or(EditError::NoDraft)?;
    versions::discard_draft(&txn, scope.region_id, draft.id).await?;
    let entry = record(
        user,
        origin,
        now,
        scope.region_id,
        "catalog.draft-discard",
        &service.code,
        serde_json::json!({ "based_on": draft.based_on }),
    );
    tongban_store::audit::append(&txn, &entry).await?;
    txn.commit().await?;
    Ok(())
}

/// What the publish form asks for.
#[derive(Debug, Clone, Default)]
pub struct Publication {
    pub change_note: String,
    /// The first day the version is in force; `None` or today means at once.
    pub effective_on: Option<NaiveDate>,
}

/// The offset of a region's time zone. Every zone the platform serves today keeps Beijing time
/// (UTC+8, no daylight saving since 1991); a deployment elsewhere adds a time-zone database here.
pub fn region_offset(_timezone: &str) -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// When a version published at `now` for `effective_on` takes effect: at once for today (or
/// no date), at local midnight for a future day; a past day is refused.
pub fn effective_from(
    effective_on: Option<NaiveDate>,
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Result<DateTime<Utc>, EditError> {
    let today = now.with_timezone(&offset).date_naive();
    match effective_on {
        None => Ok(now),
        Some(day) if day == today => Ok(now),
        Some(day) if day < today => Err(EditError::DateInPast),
        Some(day) => offset
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|local| local.with_timezone(&Utc))
            .ok_or(EditError::DateInPast),
    }
}

/// Checks a draft as publishing will, against the region's departments, halls and
/// certificate types. Paths are relative to the service.
pub async fn check_draft(
    db: &Connection,
    region_id: Uuid,
    draft: &Service,
) -> Result<Vec<CatalogProblem>, EditError> {
    let departments: Vec<String> = tongban_store::catalog::department_ids(db, region_id)
        .await?
        .into_keys()
        .collect();
    let halls = versions::hall_codes(db, region_id).await?;
    let departments: HashSet<&str> = departments.iter().map(String::as_str).collect();
    let halls: HashSet<&str> = halls.iter().map(String::as_str).collect();
    let certificate_types = tongban_store::catalog::certificate_types(db, region_id).await?;
    let mut problems = draft.validate(&departments, &halls);
    problems.extend(draft.validate_certificates(&certificate_types));
    Ok(problems)
}

/// Publishes the draft as the next version. Returns its number.
pub async fn publish(
    db: &Connection,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    code: &str,
    publication: &Publication,
) -> Result<i32, EditError> {
    let scope = editor_scope(user)?;
    let now = clock.now();
    let service = own_service(db, scope, code).await?;
    let timezone = versions::region_timezone(db, scope.region_id).await?;
    let txn = db.begin().await?;
    versions::lock_service(&txn, scope.region_id, service.id).await?;
    // Read under the lock: what is checked is what is published.
    let draft = versions::draft_of(&txn, scope.region_id, service.id)
        .await?
        .ok_or(EditError::NoDraft)?;
    let problems = check_draft(db, scope.region_id, &draft.content).await?;
    if !problems.is_empty() {
        return Err(EditError::Invalid(problems));
    }
    let note = publication.change_note.trim();
    if note.is_empty() {
        return Err(EditError::NoteMissing);
    }
    if note.chars().count() > NOTE_MAX_CHARS {
        return Err(EditError::NoteTooLong);
    }
    let from = effective_from(publication.effective_on, now, region_offset(&timezone))?;
    let number = versions::publish_draft(
        &txn,
        scope.region_id,
        service.id,
        draft.id,
        from,
        note,
        user.account_id,
        now,
    )
    .await?;
    let entry = record(
        user,
        origin,
        now,
        scope.region_id,
        "catalog.publish",
        &service.code,
        serde_json::json!({
            "version": number,
            "effective_from": from.to_rfc3339(),
            "change_note": note,
        }),
    );
    tongban_store::audit::append(&txn, &entry).await?;
    txn.commit().await?;
    Ok(number)
}

/// A published version as the public reads it, with when the next one replaced it.
#[derive(Debug, Clone)]
pub struct PublicVersion {
    pub version: VersionRow,
    /// When the version after it took (or takes) effect.
    pub superseded_on: Option<DateTime<Utc>>,
}

/// Published version `number` of service `code` in region `region_code`, for anyone.
pub async fn public_version(
    db: &Connection,
    region_code: &str,
    code: &str,
    number: i32,
) -> Result<Option<PublicVersion>, EditError> {
    let Some((region_id, service)) = versions::region_and_service(db, region_code, code).await?
    else {
        return Ok(None);
    };
    let Some(version) = versions::published_version(db, region_id, service.id, number).await?
    else {
        return Ok(None);
    };
    let superseded_on = versions::successor(db, region_id, service.id, number)
        .await?
        .and_then(|next| next.effective_from.or(next.published_at));
    Ok(Some(PublicVersion {
        version,
        superseded_on,
    }))
}

/// Whether a version became effective after `since` and by `until` in the region `region_code`.
pub async fn became_effective(
    db: &Connection,
    region_code: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, EditError> {
    let Some(region_id) = tongban_store::catalog::region_id(db, region_code).await? else {
        return Ok(false);
    };
    Ok(versions::became_effective(db, region_id, since, until).await?)
}

/// One step of a field path: a field, a row of a list (1-based when shown), or a language.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathPart {
    /// A field, by the suffix of its label's message id (`catalog-field-<key>`).
    Field(&'static str),
    Row(usize),
    Lang(&'static str),
}

/// A flattened value: plain text, or message ids of terms (kinds, audiences) to translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Terms(Vec<String>),
}

/// What changed at one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added {
        path: Vec<PathPart>,
        new: Value,
    },
    Removed {
        path: Vec<PathPart>,
        old: Value,
    },
    Changed {
        path: Vec<PathPart>,
        old: Value,
        new: Value,
    },
}

impl Change {
    pub fn path(&self) -> &[PathPart] {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::Changed { path, .. } => path,
        }
    }
}

fn push_text(out: &mut Vec<(Vec<PathPart>, Value)>, path: &[PathPart], text: &LocalizedText) {
    for locale in Locale::ALL {
        if text.has(locale) {
            let mut p = path.to_vec();
            p.push(PathPart::Lang(locale.tag()));
            out.push((p, Value::Text(text.get(locale).to_owned())));
        }
    }
}

fn push_plain(out: &mut Vec<(Vec<PathPart>, Value)>, path: &[PathPart], text: &str) {
    if !text.trim().is_empty() {
        out.push((path.to_vec(), Value::Text(text.to_owned())));
    }
}

fn push_terms(out: &mut Vec<(Vec<PathPart>, Value)>, path: &[PathPart], terms: Vec<String>) {
    if !terms.is_empty() {
        out.push((path.to_vec(), Value::Terms(terms)));
    }
}

/// The service as labelled paths and values, in the order the editor shows its fields.
pub fn flatten(s: &Service) -> Vec<(Vec<PathPart>, Value)> {
    use PathPart::{Field, Row};
    let mut out = Vec::new();
    let f = |key: &'static str| vec![Field(key)];
    push_text(&mut out, &f("name"), &s.name);
    push_text(&mut out, &f("summary"), &s.summary);
    push_terms(&mut out, &f("kind"), vec![format!("kind-{}", s.kind.key())]);
    push_terms(
        &mut out,
        &f("audiences"),
        s.audiences
            .iter()
            .map(|a| format!("audience-{}", a.key()))
            .collect(),
    );
    push_terms(
        &mut out,
        &f("life-events"),
        s.life_events
            .iter()
            .map(|e| format!("life-event-{}", e.key()))
            .collect(),
    );
    push_terms(
        &mut out,
        &f("channels"),
        s.channels
            .iter()
            .map(|c| format!("channel-{}", c.key()))
            .collect(),
    );
    out.push((f("visits"), Value::Text(s.visits.to_string())));
    out.push((
        f("committed-days"),
        Value::Text(s.committed_days.to_string()),
    ));
    out.push((
        f("statutory-days"),
        Value::Text(s.statutory_days.to_string()),
    ));
    for (key, list) in [
        ("conditions", &s.conditions),
        ("process", &s.process),
        ("legal-basis", &s.legal_basis),
    ] {
        for (i, text) in list.iter().enumerate() {
            push_text(&mut out, &[Field(key), Row(i)], text);
        }
    }
    for (i, m) in s.materials.iter().enumerate() {
        let at = |key: &'static str| vec![Field("materials"), Row(i), Field(key)];
        push_text(&mut out, &at("name"), &m.name);
        push_text(&mut out, &at("description"), &m.description);
        push_terms(
            &mut out,
            &at("material-form"),
            vec![
                match m.form {
                    tongban_domain::catalog::MaterialForm::Upload => "material-form-upload",
                    tongban_domain::catalog::MaterialForm::FormField => "material-form-field",
                }
                .to_owned(),
            ],
        );
        push_terms(
            &mut out,
            &at("mandatory"),
            vec![
                if m.mandatory {
                    "material-mandatory"
                } else {
                    "material-optional"
                }
                .to_owned(),
            ],
        );
        out.push((at("copies"), Value::Text(m.copies.to_string())));
        push_plain(
            &mut out,
            &at("certificate-type"),
            m.certificate_type.as_deref().unwrap_or(""),
        );
    }
    for (i, fee) in s.fees.iter().enumerate() {
        let at = |key: &'static str| vec![Field("fees"), Row(i), Field(key)];
        push_text(&mut out, &at("fee-item"), &fee.item);
        out.push((at("amount"), Value::Text(fee.amount.to_string())));
        push_text(&mut out, &at("fee-note"), &fee.note);
        push_text(&mut out, &at("fee-basis"), &fee.basis);
    }
    push_text(&mut out, &f("result"), &s.result);
    push_plain(&mut out, &f("halls"), &s.halls.join(", "));
    for (i, faq) in s.faq.iter().enumerate() {
        let at = |key: &'static str| vec![Field("faq"), Row(i), Field(key)];
        push_text(&mut out, &at("question"), &faq.question);
        push_text(&mut out, &at("answer"), &faq.answer);
    }
    let c = &s.contact;
    let at = |key: &'static str| vec![Field("contact"), Field(key)];
    push_plain(&mut out, &at("phone"), c.phone.as_deref().unwrap_or(""));
    push_plain(
        &mut out,
        &at("complaint-phone"),
        c.complaint_phone.as_deref().unwrap_or(""),
    );
    push_plain(&mut out, &at("email"), c.email.as_deref().unwrap_or(""));
    push_text(&mut out, &at("address"), &c.address);
    push_text(&mut out, &at("hours"), &c.hours);
    out
}

/// What changed from `old` to `new`, field by field: changes and additions in the order of
/// `new`, then removals in the order of `old`.
pub fn diff(old: &Service, new: &Service) -> Vec<Change> {
    let before = flatten(old);
    let after = flatten(new);
    let old_by_path: BTreeMap<&Vec<PathPart>, &Value> =
        before.iter().map(|(p, v)| (p, v)).collect();
    let new_paths: HashSet<&Vec<PathPart>> = after.iter().map(|(p, _)| p).collect();
    let mut changes = Vec::new();
    for (path, value) in &after {
        match old_by_path.get(path) {
            None => changes.push(Change::Added {
                path: path.clone(),
                new: value.clone(),
            }),
            Some(old) if *old != value => changes.push(Change::Changed {
                path: path.clone(),
                old: (*old).clone(),
                new: value.clone(),
            }),
            Some(_) => {}
        }
    }
    for (path, value) in &before {
        if !new_paths.contains(path) {
            changes.push(Change::Removed {
                path: path.clone(),
                old: value.clone(),
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_domain::catalog::{Audience, Channel, Material, MaterialForm};

    fn service() -> Service {
        let mut s = blank_service("SJ0009", "SJ");
        s.name = LocalizedText::new("测试事项");
        s.summary = LocalizedText::new("摘要");
        s.result = LocalizedText::new("结果");
        s.audiences = vec![Audience::Individual];
        s.channels = vec![Channel::Online];
        s.conditions = vec![LocalizedText::new("条件")];
        s.process = vec![LocalizedText::new("步骤")];
        s.legal_basis = vec![LocalizedText::new("依据")];
        s.materials = vec![
            Material {
                name: LocalizedText::new("身份证"),
                description: LocalizedText::default(),
                form: MaterialForm::Upload,
                mandatory: true,
                copies: 0,
                certificate_type: None,
                fetch: None,
            };
            2
        ];
        s
    }

    #[test]
    fn the_diff_names_each_changed_field_with_row_and_language() {
        let old = service();
        let mut new = old.clone();
        new.materials[1].name = new.materials[1].name.clone().with(Locale::En, "ID card");
        new.name = LocalizedText::new("新名称");
        new.process.clear();
        let changes = diff(&old, &new);
        assert!(changes.contains(&Change::Changed {
            path: vec![PathPart::Field("name"), PathPart::Lang("zh-CN")],
            old: Value::Text("测试事项".into()),
            new: Value::Text("新名称".into()),
        }));
        assert!(changes.contains(&Change::Added {
            path: vec![
                PathPart::Field("materials"),
                PathPart::Row(1),
                PathPart::Field("name"),
                PathPart::Lang("en")
            ],
            new: Value::Text("ID card".into()),
        }));
        assert!(changes.contains(&Change::Removed {
            path: vec![
                PathPart::Field("process"),
                PathPart::Row(0),
                PathPart::Lang("zh-CN")
            ],
            old: Value::Text("步骤".into()),
        }));
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert!(diff(&old, &old).is_empty());
    }

    #[test]
    fn a_blank_service_fails_the_same_checks_as_an_import() {
        let departments = HashSet::from(["SJ"]);
        let halls = HashSet::new();
        let problems = blank_service("SJ0009", "SJ").validate(&departments, &halls);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"name"), "{paths:?}");
        assert!(paths.contains(&"audiences"));
        assert!(paths.contains(&"legal_basis"));
        assert!(service().validate(&departments, &halls).is_empty());
        let mut elsewhere = service();
        elsewhere.halls = vec!["nowhere".into()];
        assert_eq!(
            elsewhere.validate(&departments, &halls)[0].to_string(),
            "halls[0]: unknown hall nowhere"
        );
    }

    #[test]
    fn effective_dates_are_today_or_later_in_the_region_zone() {
        let offset = region_offset("Asia/Shanghai");
        // 2026-11-26 18:00 UTC is already 27 November in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 18, 0, 0).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d);
        assert_eq!(effective_from(None, now, offset).unwrap(), now);
        assert_eq!(effective_from(day(27), now, offset).unwrap(), now);
        assert!(matches!(
            effective_from(day(26), now, offset),
            Err(EditError::DateInPast)
        ));
        assert_eq!(
            effective_from(day(30), now, offset).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap(),
            "local midnight of the chosen day"
        );
    }
}
