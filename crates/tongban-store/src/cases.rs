//! Applications in storage: drafts saved at every page, submitted cases, and [`insert_batch`],
//! which writes a whole batch of submissions in a fixed number of statements.
//!
//! Answers arrive encrypted (the services layer holds the cipher); the store never reads them.
//! Every look-up takes the region and filters on it, except the ones keyed by something
//! globally unique that background jobs and idempotency need (expiry sweeps, submission keys).
//!
//! A batch costs the same dozen statements whether it holds one submission or five hundred:
//! on SQLite every statement costs about 50 µs in sqlx and every commit an fsync, so the single
//! writer (`tongban_services::submissions`) groups submissions and calls this once per group.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tongban_domain::forms::{TrackingNumber, TrackingNumberError};
use uuid::Uuid;

use crate::StoreResult;
use crate::audit::{self, AuditRecord};
use crate::entities::{application_draft, case, case_task, tracking_counter};
use crate::notifications::{self, NewNotification};

pub use application_draft::Model as DraftRow;
pub use case::Model as CaseRow;
pub use case_task::Model as CaseTaskRow;

/// The inbox template that tells an applicant their application arrived.
pub const SUBMITTED_TEMPLATE: &str = "case-submitted";
/// The audit action of a submission.
pub const SUBMIT_ACTION: &str = "cases.submit";
/// A case being handled.
pub const STATUS_OPEN: &str = "open";
/// A case waiting for the applicant's corrections (the clock is paused).
pub const STATUS_WAITING: &str = "waiting";
/// A case suspended by the department (the clock is paused).
pub const STATUS_SUSPENDED: &str = "suspended";
/// A case that has ended (approved, refused, not accepted, withdrawn).
pub const STATUS_CLOSED: &str = "closed";

/// How an application reached the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The applicant (or their agent) in the browser.
    Online,
    /// A front-desk clerk for a walk-in applicant (窗口代录).
    Counter,
    /// A department's own front end or app through the JSON API.
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Counter => "counter",
            Channel::Api => "api",
        }
    }

    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "online" => Some(Channel::Online),
            "counter" => Some(Channel::Counter),
            "api" => Some(Channel::Api),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Drafts

/// A draft to create.
#[derive(Debug, Clone)]
pub struct NewDraft {
    pub region_id: Uuid,
    pub service_code: String,
    pub service_version: i32,
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub entered_by: Uuid,
    pub channel: Channel,
    /// Ciphertext of the answers JSON.
    pub answers: String,
    pub current_page: String,
    pub now: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What a page save writes into a draft.
#[derive(Debug, Clone)]
pub struct DraftSave {
    /// Ciphertext of the answers JSON.
    pub answers: String,
    pub current_page: String,
    pub now: DateTime<Utc>,
    /// Saving pushes the expiry forward (and makes a new reminder possible).
    pub expires_at: DateTime<Utc>,
}

/// Creates a draft at revision 1.
pub async fn create_draft<C: ConnectionTrait>(db: &C, new: NewDraft) -> StoreResult<DraftRow> {
    let row = DraftRow {
        id: Uuid::now_v7(),
        region_id: new.region_id,
        service_code: new.service_code,
        service_version: new.service_version,
        applicant_id: new.applicant_id,
        enterprise_id: new.enterprise_id,
        entered_by: new.entered_by,
        channel: new.channel.as_str().to_owned(),
        answers: new.answers,
        current_page: new.current_page,
        created_at: new.now.trunc_subsecs(6),
        updated_at: new.now.trunc_subsecs(6),
        expires_at: new.expires_at.trunc_subsecs(6),
        reminded_at: None,
        revision: 1,
    };
    application_draft::Entity::insert(application_draft::ActiveModel {
        id: Set(row.id),
        region_id: Set(row.region_id),
        service_code: Set(row.service_code.clone()),
        service_version: Set(row.service_version),
        applicant_id: Set(row.applicant_id),
        enterprise_id: Set(row.enterprise_id),
        entered_by: Set(row.entered_by),
        channel: Set(row.channel.clone()),
        answers: Set(row.answers.clone()),
        current_page: Set(row.current_page.clone()),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
        expires_at: Set(row.expires_at),
        reminded_at: Set(None),
        revision: Set(row.revision),
    })
    .exec_without_returning(db)
    .await?;
    Ok(row)
}

/// A draft of the region.
pub async fn draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<DraftRow>> {
    Ok(application_draft::Entity::find_by_id(id)
        .filter(application_draft::Column::RegionId.eq(region_id))
        .one(db)
        .await?)
}

/// The drafts made for an applicant, most recently saved first.
pub async fn drafts_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    applicant_id: Uuid,
) -> StoreResult<Vec<DraftRow>> {
    Ok(application_draft::Entity::find()
        .filter(application_draft::Column::RegionId.eq(region_id))
        .filter(application_draft::Column::ApplicantId.eq(applicant_id))
        .order_by_desc(application_draft::Column::UpdatedAt)
        .order_by_desc(application_draft::Column::Id)
        .all(db)
        .await?)
}

/// Saves a page into a draft if nobody saved since `expected_revision` was read; `false` when
/// the revision moved (another tab or device saved first) or the draft is gone.
pub async fn save_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    expected_revision: i32,
    save: DraftSave,
) -> StoreResult<bool> {
    Ok(application_draft::Entity::update_many()
        .col_expr(application_draft::Column::Answers, save.answers.into())
        .col_expr(
            application_draft::Column::CurrentPage,
            save.current_page.into(),
        )
        .col_expr(
            application_draft::Column::UpdatedAt,
            save.now.trunc_subsecs(6).into(),
        )
        .col_expr(
            application_draft::Column::ExpiresAt,
            save.expires_at.trunc_subsecs(6).into(),
        )
        .col_expr(
            application_draft::Column::RemindedAt,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(
            application_draft::Column::Revision,
            Expr::col(application_draft::Column::Revision).add(1),
        )
        .filter(application_draft::Column::Id.eq(id))
        .filter(application_draft::Column::RegionId.eq(region_id))
        .filter(application_draft::Column::Revision.eq(expected_revision))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Deletes a draft; `false` when there was none.
pub async fn delete_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    Ok(application_draft::Entity::delete_many()
        .filter(application_draft::Column::Id.eq(id))
        .filter(application_draft::Column::RegionId.eq(region_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Drafts of every region whose time ran out, oldest first (for a sweep that logs them).
pub async fn expired_drafts<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<DraftRow>> {
    Ok(application_draft::Entity::find()
        .filter(application_draft::Column::ExpiresAt.lte(now))
        .order_by_asc(application_draft::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Deletes every expired draft; returns how many went.
pub async fn delete_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> StoreResult<u64> {
    Ok(application_draft::Entity::delete_many()
        .filter(application_draft::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Drafts expiring by `window_end` whose applicant has not been reminded yet, soonest first.
pub async fn drafts_to_remind<C: ConnectionTrait>(
    db: &C,
    window_end: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<DraftRow>> {
    Ok(application_draft::Entity::find()
        .filter(application_draft::Column::ExpiresAt.lte(window_end))
        .filter(application_draft::Column::RemindedAt.is_null())
        .order_by_asc(application_draft::Column::ExpiresAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Records the reminder; `false` if another sweep already did (so only one reminder goes out).
pub async fn mark_reminded<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(application_draft::Entity::update_many()
        .col_expr(
            application_draft::Column::RemindedAt,
            Some(now.trunc_subsecs(6)).into(),
        )
        .filter(application_draft::Column::Id.eq(id))
        .filter(application_draft::Column::RemindedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

// ---------------------------------------------------------------------------------------------
// Cases

/// A case of the region.
pub async fn case_by_id<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<CaseRow>> {
    Ok(case::Entity::find_by_id(id)
        .filter(case::Column::RegionId.eq(region_id))
        .one(db)
        .await?)
}

/// The case of the region with a tracking number (as stored: parse what people type first).
pub async fn case_by_tracking<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    number: &str,
) -> StoreResult<Option<CaseRow>> {
    Ok(case::Entity::find()
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::TrackingNumber.eq(number))
        .one(db)
        .await?)
}

/// An applicant's cases, newest first.
pub async fn cases_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    applicant_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<CaseRow>> {
    Ok(case::Entity::find()
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::ApplicantId.eq(applicant_id))
        .order_by_desc(case::Column::SubmittedAt)
        .order_by_desc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// An enterprise's cases, newest first (whoever filed them for it).
pub async fn cases_of_enterprise<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    enterprise_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<CaseRow>> {
    Ok(case::Entity::find()
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::EnterpriseId.eq(enterprise_id))
        .order_by_desc(case::Column::SubmittedAt)
        .order_by_desc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The case a submission key created, if any (keys are unique across regions).
pub async fn case_by_submission_key<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> StoreResult<Option<CaseRow>> {
    Ok(case::Entity::find()
        .filter(case::Column::SubmissionKey.eq(key))
        .one(db)
        .await?)
}

/// The open tasks of a case (the intake task after submission).
pub async fn tasks_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
) -> StoreResult<Vec<CaseTaskRow>> {
    Ok(case_task::Entity::find()
        .filter(case_task::Column::RegionId.eq(region_id))
        .filter(case_task::Column::CaseId.eq(case_id))
        .order_by_asc(case_task::Column::CreatedAt)
        .order_by_asc(case_task::Column::Id)
        .all(db)
        .await?)
}

// ---------------------------------------------------------------------------------------------
// The batch

/// One submission, checked and encrypted, ready to become a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub region_id: Uuid,
    /// The region's tracking-number prefix.
    pub tracking_prefix: String,
    /// The day of submission in the region's time zone: the tracking number's date.
    pub local_date: NaiveDate,
    pub service_code: String,
    /// The service's name in the notification's language, for the message.
    pub service_name: String,
    pub service_version: i32,
    pub department_id: Uuid,
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub entered_by: Uuid,
    pub channel: Channel,
    /// Ciphertext of the answers JSON.
    pub answers: String,
    /// `draft:<uuid>` or `api:<account>:<Idempotency-Key>`.
    pub submission_key: String,
    /// SHA-256 hex of the canonical request.
    pub request_digest: String,
    pub submitted_at: DateTime<Utc>,
    pub applicant_phone_last4: Option<String>,
    /// The draft this submission consumes, deleted with the case's creation.
    pub draft_id: Option<Uuid>,
    /// Where the case starts in its workflow.
    pub workflow: StartingState,
    /// The language of the applicant's notification.
    pub locale: String,
    /// Where the request came from, for the audit entry.
    pub ip: Option<String>,
    /// E-certificates the applicant shares with the case, with their consent.
    pub shares: Vec<crate::exchange::NewShare>,
}

/// A new case's first workflow state, as the engine started it.
#[derive(Debug, Clone, PartialEq)]
pub struct StartingState {
    /// The state's key.
    pub state: String,
    /// The engine's `CaseState` as JSON.
    pub json: String,
    /// `open`, `waiting`, `suspended` or `closed`.
    pub status: String,
    pub stage_due_on: Option<NaiveDate>,
    pub tasks: Vec<NewTask>,
}

/// A task to open on a case.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub department_id: Uuid,
    /// The workflow state it belongs to.
    pub stage: String,
    pub role: String,
    pub due_on: Option<NaiveDate>,
}

/// What became of one submission of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOutcome {
    /// A new case.
    Created(CaseRow),
    /// The submission key had already made `case` (earlier, or earlier in the same batch).
    /// `digest_matches` is false when the request differs from the one that made it: a key
    /// reused for another application rather than a retry.
    Duplicate { case: CaseRow, digest_matches: bool },
    /// No tracking number can be made (a prefix that is not 2–4 capitals, or the day's
    /// sequence is exhausted); nothing was written for it.
    Refused(TrackingNumberError),
}

/// Begins the transaction to run [`insert_batch`] in. On SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`): the batch reads before it writes, and a deferred transaction whose
/// snapshot went stale in between could not upgrade to a writer. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> StoreResult<DatabaseTransaction> {
    Ok(db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?)
}

/// Rows per multi-row statement: 20 columns each stays under SQLite's 32,766 bound parameters.
const ROWS_PER_STATEMENT: usize = 1000;

/// Where a submission key stands while the batch is written.
enum Slot {
    Existing(CaseRow),
    New(CaseRow),
    Refused(TrackingNumberError),
}

/// Writes a batch of submissions inside the caller's transaction (begin it with
/// [`begin_write`]); returns one outcome per submission, in order.
///
/// In-batch repeats of a key collapse to the first; keys that already made a case come back as
/// [`BatchOutcome::Duplicate`] with that case. For the rest: one counter upsert per (region,
/// day) hands out consecutive tracking numbers, then one multi-row insert each writes the cases
/// (`ON CONFLICT (submission_key) DO NOTHING`, so a key another writer committed meanwhile
/// cannot abort the batch on PostgreSQL), their intake tasks, their audit entries and their
/// inbox notifications, and one delete removes the drafts they consumed.
pub async fn insert_batch<C: ConnectionTrait>(
    txn: &C,
    batch: &[NewCase],
) -> StoreResult<Vec<BatchOutcome>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    // The first item with each key leads; repeats follow its fate.
    let mut first_with_key: HashMap<&str, usize> = HashMap::new();
    let leader_of: Vec<usize> = batch
        .iter()
        .enumerate()
        .map(|(i, item)| *first_with_key.entry(&item.submission_key).or_insert(i))
        .collect();
    let leaders: Vec<usize> = (0..batch.len()).filter(|&i| leader_of[i] == i).collect();

    let mut existing = cases_by_keys(
        txn,
        leaders.iter().map(|&i| batch[i].submission_key.as_str()),
    )
    .await?;
    let mut slots: HashMap<usize, Slot> = HashMap::new();

    // Fresh keys grouped by (region, local day), in batch order, for one counter move each.
    let mut groups: Vec<((Uuid, NaiveDate), Vec<usize>)> = Vec::new();
    let mut group_of: HashMap<(Uuid, NaiveDate), usize> = HashMap::new();
    for &i in &leaders {
        let item = &batch[i];
        if let Some(row) = existing.remove(&item.submission_key) {
            slots.insert(i, Slot::Existing(row));
        } else if !tongban_domain::forms::valid_prefix(&item.tracking_prefix) {
            slots.insert(i, Slot::Refused(TrackingNumberError::Prefix));
        } else {
            let group_key = (item.region_id, item.local_date);
            let g = *group_of.entry(group_key).or_insert_with(|| {
                groups.push((group_key, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
    }

    let mut built: Vec<(usize, CaseRow)> = Vec::new();
    for ((region_id, day), members) in &groups {
        let last = advance_counter(txn, *region_id, *day, members.len() as i64).await?;
        let first = last - members.len() as i64 + 1;
        for (seq, &i) in (first..).zip(members) {
            let item = &batch[i];
            let number = u64::try_from(seq)
                .map_err(|_| TrackingNumberError::SequenceExhausted)
                .and_then(|seq| TrackingNumber::new(&item.tracking_prefix, *day, seq));
            match number {
                Ok(number) => built.push((i, case_row(item, number))),
                Err(e) => {
                    slots.insert(i, Slot::Refused(e));
                }
            }
        }
    }

    let inserted = insert_cases(txn, built.iter().map(|(_, row)| row)).await?;
    // A key missing from RETURNING was committed by another writer after our look-up.
    let lost: Vec<&str> = built
        .iter()
        .filter(|(_, row)| !inserted.contains(&row.submission_key))
        .map(|(_, row)| row.submission_key.as_str())
        .collect();
    let mut late = if lost.is_empty() {
        HashMap::new()
    } else {
        cases_by_keys(txn, lost.into_iter()).await?
    };
    let mut created: Vec<(usize, CaseRow)> = Vec::new();
    for (i, row) in built {
        if inserted.contains(&row.submission_key) {
            created.push((i, row));
        } else {
            let row = late.remove(&row.submission_key).ok_or_else(|| {
                DbErr::RecordNotFound(format!(
                    "case with submission key {:?} neither inserted nor found",
                    row.submission_key
                ))
            })?;
            slots.insert(i, Slot::Existing(row));
        }
    }

    if !created.is_empty() {
        write_consequences(txn, batch, &created).await?;
        for (i, row) in &created {
            crate::exchange::record_shares(
                txn,
                row.region_id,
                row.id,
                row.department_id,
                &batch[*i].shares,
            )
            .await?;
        }
    }
    for (i, row) in created {
        slots.insert(i, Slot::New(row));
    }

    batch
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let leader = leader_of[i];
            let slot = slots.get(&leader).ok_or_else(|| {
                DbErr::Custom(format!("submission {leader} of the batch has no outcome"))
            })?;
            Ok(match slot {
                Slot::New(row) if leader == i => BatchOutcome::Created(row.clone()),
                Slot::New(row) | Slot::Existing(row) => BatchOutcome::Duplicate {
                    digest_matches: row.request_digest == item.request_digest,
                    case: row.clone(),
                },
                Slot::Refused(e) => BatchOutcome::Refused(*e),
            })
        })
        .collect()
}

fn case_row(item: &NewCase, number: TrackingNumber) -> CaseRow {
    CaseRow {
        id: Uuid::now_v7(),
        region_id: item.region_id,
        tracking_number: number.as_str().to_owned(),
        service_code: item.service_code.clone(),
        service_version: item.service_version,
        department_id: item.department_id,
        applicant_id: item.applicant_id,
        enterprise_id: item.enterprise_id,
        entered_by: item.entered_by,
        channel: item.channel.as_str().to_owned(),
        answers: item.answers.clone(),
        status: item.workflow.status.clone(),
        submission_key: item.submission_key.clone(),
        request_digest: item.request_digest.clone(),
        // Both databases keep microseconds; return what a later read will see.
        submitted_at: item.submitted_at.trunc_subsecs(6),
        applicant_phone_last4: item.applicant_phone_last4.clone(),
        state: item.workflow.state.clone(),
        workflow_state: Some(item.workflow.json.clone()),
        version: 0,
        due_on: None,
        statutory_due_on: None,
        stage_due_on: item.workflow.stage_due_on,
        outcome: None,
        closed_at: None,
    }
}

/// `person` or `enterprise`: who applied, for the inbox filter.
pub fn applicant_kind(enterprise_id: Option<Uuid>) -> &'static str {
    if enterprise_id.is_some() {
        "enterprise"
    } else {
        "person"
    }
}

/// The row of a task opened on `case` at `at`.
pub fn new_task_model(
    case: &CaseRow,
    task: &NewTask,
    applicant_kind: &str,
    at: DateTime<Utc>,
) -> case_task::ActiveModel {
    case_task::ActiveModel {
        id: Set(Uuid::now_v7()),
        case_id: Set(case.id),
        region_id: Set(case.region_id),
        department_id: Set(task.department_id),
        stage: Set(task.stage.clone()),
        role: Set(task.role.clone()),
        status: Set(TASK_OPEN.to_owned()),
        created_at: Set(at.trunc_subsecs(6)),
        due_at: Set(None),
        assignee_id: Set(None),
        claimed_at: Set(None),
        decision: Set(None),
        service_code: Set(case.service_code.clone()),
        applicant_kind: Set(applicant_kind.to_owned()),
        due_on: Set(task.due_on),
    }
}

/// A task waiting for someone.
pub const TASK_OPEN: &str = "open";
/// A task whose state the case has left, or whose department has decided.
pub const TASK_DONE: &str = "done";

fn query_error(e: sea_orm::sea_query::error::Error) -> DbErr {
    DbErr::Custom(format!("building a batch statement: {e}"))
}

/// The cases that hold any of `keys`, by key.
async fn cases_by_keys<'k, C: ConnectionTrait>(
    db: &C,
    keys: impl Iterator<Item = &'k str>,
) -> StoreResult<HashMap<String, CaseRow>> {
    let keys: Vec<&str> = keys.collect();
    let mut found = HashMap::new();
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let rows = case::Entity::find()
            .filter(case::Column::SubmissionKey.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.submission_key.clone(), r)));
    }
    Ok(found)
}

/// Moves the region's counter for `day` on by `count`; returns the last number handed out.
async fn advance_counter<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    day: NaiveDate,
    count: i64,
) -> StoreResult<i64> {
    use tracking_counter::Column;
    let mut upsert = Query::insert();
    upsert
        .into_table(tracking_counter::Entity)
        .columns([Column::RegionId, Column::Day, Column::LastValue])
        .values([
            region_id.into(),
            day.format("%Y%m%d").to_string().into(),
            count.into(),
        ])
        .map_err(query_error)?
        .on_conflict(
            OnConflict::columns([Column::RegionId, Column::Day])
                .value(
                    Column::LastValue,
                    Expr::col((tracking_counter::Entity, Column::LastValue)).add(count),
                )
                .to_owned(),
        )
        .returning_col(Column::LastValue);
    let row = db
        .query_one(&upsert)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("tracking counter upsert returned no row".into()))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Inserts the cases whose key is free; returns the keys that were inserted.
async fn insert_cases<'r, C: ConnectionTrait>(
    db: &C,
    rows: impl Iterator<Item = &'r CaseRow>,
) -> StoreResult<HashSet<String>> {
    use case::Column;
    let rows: Vec<&CaseRow> = rows.collect();
    let mut inserted = HashSet::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = Query::insert();
        insert.into_table(case::Entity).columns([
            Column::Id,
            Column::RegionId,
            Column::TrackingNumber,
            Column::ServiceCode,
            Column::ServiceVersion,
            Column::DepartmentId,
            Column::ApplicantId,
            Column::EnterpriseId,
            Column::EnteredBy,
            Column::Channel,
            Column::Answers,
            Column::Status,
            Column::SubmissionKey,
            Column::RequestDigest,
            Column::SubmittedAt,
            Column::ApplicantPhoneLast4,
            Column::State,
            Column::WorkflowState,
            Column::Version,
            Column::StageDueOn,
        ]);
        for row in chunk {
            let values: [SimpleExpr; 20] = [
                row.id.into(),
                row.region_id.into(),
                row.tracking_number.clone().into(),
                row.service_code.clone().into(),
                row.service_version.into(),
                row.department_id.into(),
                row.applicant_id.into(),
                row.enterprise_id.into(),
                row.entered_by.into(),
                row.channel.clone().into(),
                row.answers.clone().into(),
                row.status.clone().into(),
                row.submission_key.clone().into(),
                row.request_digest.clone().into(),
                row.submitted_at.into(),
                row.applicant_phone_last4.clone().into(),
                row.state.clone().into(),
                row.workflow_state.clone().into(),
                row.version.into(),
                row.stage_due_on.into(),
            ];
            insert.values(values).map_err(query_error)?;
        }
        insert
            .on_conflict(
                OnConflict::column(Column::SubmissionKey)
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(Column::SubmissionKey);
        for row in db.query_all(&insert).await? {
            inserted.insert(row.try_get_by_index::<String>(0)?);
        }
    }
    Ok(inserted)
}

/// Everything a new case brings with it, one statement (or chunk) per kind: the intake task,
/// the audit entry, the applicant's inbox message, and the end of the draft it came from.
async fn write_consequences<C: ConnectionTrait>(
    txn: &C,
    batch: &[NewCase],
    created: &[(usize, CaseRow)],
) -> StoreResult<()> {
    let tasks: Vec<case_task::ActiveModel> = created
        .iter()
        .flat_map(|(i, row)| {
            let item = &batch[*i];
            item.workflow.tasks.iter().map(move |task| {
                new_task_model(
                    row,
                    task,
                    applicant_kind(item.enterprise_id),
                    row.submitted_at,
                )
            })
        })
        .collect();
    let mut tasks = tasks.into_iter().peekable();
    while tasks.peek().is_some() {
        let chunk: Vec<_> = tasks.by_ref().take(ROWS_PER_STATEMENT).collect();
        case_task::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }

    let records: Vec<AuditRecord> = created
        .iter()
        .map(|(i, row)| {
            let item = &batch[*i];
            // Acting for an enterprise, or for a person as their agent or clerk.
            let on_behalf_of = item
                .enterprise_id
                .or((item.entered_by != item.applicant_id).then_some(item.applicant_id));
            AuditRecord {
                at: row.submitted_at,
                region_id: Some(row.region_id),
                actor_id: Some(row.entered_by),
                on_behalf_of,
                action: SUBMIT_ACTION.to_owned(),
                target: Some(format!("case:{}", row.id)),
                outcome: "success".to_owned(),
                ip: item.ip.clone(),
                detail: serde_json::json!({
                    "tracking_number": row.tracking_number,
                    "service_code": row.service_code,
                    "service_version": row.service_version,
                    "channel": row.channel,
                }),
            }
        })
        .collect();
    audit::append_many(txn, &records).await?;

    let messages: Vec<NewNotification> = created
        .iter()
        .map(|(i, row)| NewNotification {
            account_id: Some(row.applicant_id),
            channel: "inbox",
            template: SUBMITTED_TEMPLATE.to_owned(),
            locale: batch[*i].locale.clone(),
            params: serde_json::json!({
                "case_id": row.id,
                "tracking_number": row.tracking_number,
                "service_code": row.service_code,
                "service": batch[*i].service_name,
            }),
            recipient_ciphertext: None,
        })
        .collect();
    let now = created
        .iter()
        .map(|(_, row)| row.submitted_at)
        .max()
        .unwrap_or_default();
    notifications::enqueue_many(txn, messages, now).await?;

    let mut consumed: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    // The files uploaded with a draft move to its case in the same transaction: one UPDATE
    // with a CASE over the batch's drafts.
    let mut files_to: Vec<((Uuid, Uuid), Uuid)> = Vec::new();
    for (i, row) in created {
        if let Some(draft) = batch[*i].draft_id {
            consumed.entry(row.region_id).or_default().push(draft);
            files_to.push(((row.region_id, draft), row.id));
        }
    }
    if !consumed.is_empty() {
        let mut which = Condition::any();
        for (region_id, ids) in consumed {
            which = which.add(
                Condition::all()
                    .add(application_draft::Column::RegionId.eq(region_id))
                    .add(application_draft::Column::Id.is_in(ids)),
            );
        }
        application_draft::Entity::delete_many()
            .filter(which)
            .exec(txn)
            .await?;
    }
    // Only browser submissions carry a draft, and they rarely share a batch: one UPDATE per
    // draft is cheaper to keep portable than a CASE whose parameter types both databases agree on.
    for (draft, case_id) in files_to {
        crate::uploads::attach_to_case(txn, draft.0, draft.1, case_id).await?;
    }
    Ok(())
}
