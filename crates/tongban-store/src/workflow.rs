//! Storage of case handling: inboxes, timelines, claimed tasks, the conditional update that
//! makes concurrent actions safe, notices and their numbers, deadline alerts, the progress
//! lookup's lockout and the calendar fingerprint.
//!
//! Every function takes the region (tenant) and filters on it. Batches write with multi-row
//! statements, chunked under SQLite's bound-parameter limit.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::StoreResult;
use crate::cases::{CaseRow, CaseTaskRow, TASK_DONE, TASK_OPEN};
use crate::entities::{
    calendar_mark, case, case_alert, case_document, case_event, case_task, notice_counter,
    progress_lookup,
};

pub use case_alert::Model as AlertRow;
pub use case_document::Model as DocumentRow;
pub use case_event::Model as EventRow;

/// Rows per multi-row statement or IN list.
const CHUNK: usize = 500;

/// What an inbox shows and in which order.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// (department id, role) pairs the person holds: tasks for any of them are theirs.
    pub grants: Vec<(Uuid, String)>,
    pub service_code: Option<String>,
    /// A workflow state key.
    pub stage: Option<String>,
    /// `person` or `enterprise`.
    pub applicant_kind: Option<String>,
    /// Only tasks due before this day (overdue).
    pub due_before: Option<NaiveDate>,
    /// Only tasks claimed by this account.
    pub assignee: Option<Uuid>,
    /// Newest first instead of the earliest deadline first.
    pub newest_first: bool,
    pub offset: u64,
    pub limit: u64,
}

/// What an inbox line shows of its case: not the sealed answers nor the workflow state, which
/// would make a page of fifty lines read and copy hundreds of kilobytes it never shows.
#[derive(Debug, Clone, PartialEq, sea_orm::FromQueryResult)]
pub struct InboxCase {
    pub id: Uuid,
    pub region_id: Uuid,
    pub tracking_number: String,
    pub service_code: String,
    pub service_version: i32,
    pub submitted_at: DateTime<Utc>,
    pub status: String,
    pub version: i32,
}

/// One page of an inbox: its tasks with their cases, and how many there are in all.
#[derive(Debug, Clone)]
pub struct InboxPage {
    pub rows: Vec<(CaseTaskRow, InboxCase)>,
    /// Tasks in all, up to [`INBOX_COUNT_CAP`].
    pub total: u64,
    /// False when there are more than [`INBOX_COUNT_CAP`].
    pub total_exact: bool,
}

fn inbox_condition(region_id: Uuid, q: &InboxQuery) -> Condition {
    let mut mine = Condition::any();
    for (department, role) in &q.grants {
        mine = mine.add(
            Condition::all()
                .add(case_task::Column::DepartmentId.eq(*department))
                .add(case_task::Column::Role.eq(role.clone())),
        );
    }
    let mut cond = Condition::all()
        .add(case_task::Column::RegionId.eq(region_id))
        .add(case_task::Column::Status.eq(TASK_OPEN))
        .add(mine);
    if let Some(code) = &q.service_code {
        cond = cond.add(case_task::Column::ServiceCode.eq(code.clone()));
    }
    if let Some(stage) = &q.stage {
        cond = cond.add(case_task::Column::Stage.eq(stage.clone()));
    }
    if let Some(kind) = &q.applicant_kind {
        cond = cond.add(case_task::Column::ApplicantKind.eq(kind.clone()));
    }
    if let Some(day) = q.due_before {
        cond = cond.add(case_task::Column::DueOn.lt(day));
    }
    if let Some(assignee) = q.assignee {
        cond = cond.add(case_task::Column::AssigneeId.eq(assignee));
    }
    cond
}

/// A page of open tasks for the grants, earliest deadline first (tasks without one last), or
/// newest first.
///
/// Both orders follow an index (`ix_case_tasks_inbox`, `ix_case_tasks_newest`): tasks with a
/// deadline are read in deadline order, then those without one, so that no query sorts a whole
/// department, and NULLs sort the same on both databases.
pub async fn inbox<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    q: &InboxQuery,
) -> StoreResult<InboxPage> {
    if q.grants.is_empty() {
        return Ok(InboxPage {
            rows: Vec::new(),
            total: 0,
            total_exact: true,
        });
    }
    let cond = inbox_condition(region_id, q);
    // Counting a department's whole queue costs more than the page itself: count up to a
    // bound, and say "more than" beyond it.
    let counted = capped_count(db, cond.clone(), None, INBOX_COUNT_CAP + 1).await?;
    let total_exact = counted <= INBOX_COUNT_CAP;
    let total = Ord::min(counted, INBOX_COUNT_CAP);
    let tasks = if q.newest_first {
        case_task::Entity::find()
            .filter(cond)
            .order_by_desc(case_task::Column::CreatedAt)
            .order_by_desc(case_task::Column::Id)
            .offset(q.offset)
            .limit(q.limit)
            .all(db)
            .await?
    } else {
        let mut tasks = case_task::Entity::find()
            .filter(cond.clone())
            .filter(case_task::Column::DueOn.is_not_null())
            .order_by_asc(case_task::Column::DueOn)
            .order_by_asc(case_task::Column::CaseId)
            .offset(q.offset)
            .limit(q.limit)
            .all(db)
            .await?;
        let found = tasks.len() as u64;
        if found < q.limit {
            // Past the tasks with a deadline: those without one follow. Where they start in
            // this page depends on how many dated tasks precede it.
            let dated_before = if found > 0 {
                q.offset + found
            } else {
                capped_count(db, cond.clone(), Some(true), q.offset).await?
            };
            tasks.extend(
                case_task::Entity::find()
                    .filter(cond)
                    .filter(case_task::Column::DueOn.is_null())
                    .order_by_asc(case_task::Column::CaseId)
                    .offset((q.offset + found).saturating_sub(dated_before))
                    .limit(q.limit - found)
                    .all(db)
                    .await?,
            );
        }
        tasks
    };
    let ids: Vec<Uuid> = tasks.iter().map(|t| t.case_id).collect();
    // By id alone, the region checked on the rows: with `region_id = ? AND id IN (…)` SQLite
    // walks the region's whole index (30 ms at 100,000 cases) instead of the 50 keys.
    let cases: std::collections::HashMap<Uuid, InboxCase> = case::Entity::find()
        .select_only()
        .columns([
            case::Column::Id,
            case::Column::RegionId,
            case::Column::TrackingNumber,
            case::Column::ServiceCode,
            case::Column::ServiceVersion,
            case::Column::SubmittedAt,
            case::Column::Status,
            case::Column::Version,
        ])
        .filter(case::Column::Id.is_in(ids))
        .into_model::<InboxCase>()
        .all(db)
        .await?
        .into_iter()
        .filter(|c| c.region_id == region_id)
        .map(|c| (c.id, c))
        .collect();
    // A case can have several open tasks in one inbox (parallel review by two of my roles).
    let rows = tasks
        .into_iter()
        .filter_map(|t| {
            let case = cases.get(&t.case_id)?.clone();
            Some((t, case))
        })
        .collect();
    Ok(InboxPage {
        rows,
        total,
        total_exact,
    })
}

/// An inbox counts its tasks exactly up to this many.
pub const INBOX_COUNT_CAP: u64 = 5000;

/// How many tasks match `cond` (with a deadline, or without, when `dated` says), counting at
/// most `cap`: an index range scan that stops early.
async fn capped_count<C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    dated: Option<bool>,
    cap: u64,
) -> StoreResult<u64> {
    use sea_orm::QueryTrait;
    if cap == 0 {
        return Ok(0);
    }
    let mut inner = case_task::Entity::find()
        .select_only()
        .column(case_task::Column::CaseId)
        .filter(cond);
    inner = match dated {
        Some(true) => inner.filter(case_task::Column::DueOn.is_not_null()),
        Some(false) => inner.filter(case_task::Column::DueOn.is_null()),
        None => inner,
    };
    let inner = inner.limit(cap).into_query();
    let outer = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, sea_orm::sea_query::Alias::new("capped"))
        .to_owned();
    let row = db
        .query_one(&outer)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("count returned no row".into()))?;
    let count: i64 = row.try_get_by_index(0)?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The region's cases with these ids (in no particular order).
pub async fn cases_by_ids<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<Vec<CaseRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        // By primary key, the region checked on the rows (see `inbox`: SQLite would walk the
        // region's index instead).
        out.extend(
            case::Entity::find()
                .filter(case::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .filter(|c| c.region_id == region_id),
        );
    }
    Ok(out)
}

/// Every task ever opened on these cases.
pub async fn tasks_of_cases<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<Vec<CaseTaskRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        // By the case index, the region checked on the rows (see `cases_by_ids`).
        out.extend(
            case_task::Entity::find()
                .filter(case_task::Column::CaseId.is_in(chunk.iter().copied()))
                .order_by_asc(case_task::Column::CreatedAt)
                .all(db)
                .await?
                .into_iter()
                .filter(|t| t.region_id == region_id),
        );
    }
    Ok(out)
}

/// The new values of a case after an action.
#[derive(Debug, Clone)]
pub struct CaseUpdate {
    pub case_id: Uuid,
    /// The version the action was decided on; the update applies only if it is still current.
    pub expected_version: i32,
    pub state: String,
    pub workflow_state: String,
    pub status: String,
    pub due_on: Option<NaiveDate>,
    pub statutory_due_on: Option<NaiveDate>,
    pub stage_due_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Applies the update if the case is still at `expected_version`; false if another action got
/// there first (nothing is written then).
pub async fn update_case<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    update: &CaseUpdate,
) -> StoreResult<bool> {
    let result = case::Entity::update_many()
        .col_expr(case::Column::State, Expr::value(update.state.clone()))
        .col_expr(
            case::Column::WorkflowState,
            Expr::value(Some(update.workflow_state.clone())),
        )
        .col_expr(case::Column::Status, Expr::value(update.status.clone()))
        .col_expr(case::Column::DueOn, Expr::value(update.due_on))
        .col_expr(
            case::Column::StatutoryDueOn,
            Expr::value(update.statutory_due_on),
        )
        .col_expr(case::Column::StageDueOn, Expr::value(update.stage_due_on))
        .col_expr(case::Column::Outcome, Expr::value(update.outcome.clone()))
        .col_expr(
            case::Column::ClosedAt,
            Expr::value(update.closed_at.map(|t| t.trunc_subsecs(6))),
        )
        .col_expr(
            case::Column::Version,
            Expr::value(update.expected_version + 1),
        )
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::Id.eq(update.case_id))
        .filter(case::Column::Version.eq(update.expected_version))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Closes every open task of these cases (they left the state the tasks belonged to).
pub async fn close_tasks<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_ids: &[Uuid],
) -> StoreResult<()> {
    for chunk in case_ids.chunks(CHUNK) {
        case_task::Entity::update_many()
            .col_expr(case_task::Column::Status, Expr::value(TASK_DONE))
            .filter(case_task::Column::RegionId.eq(region_id))
            .filter(case_task::Column::CaseId.is_in(chunk.iter().copied()))
            .filter(case_task::Column::Status.eq(TASK_OPEN))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Records a department's vote in a parallel review and closes its task.
pub async fn decide_task<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
    department_id: Uuid,
    role: &str,
    decision: &str,
) -> StoreResult<()> {
    case_task::Entity::update_many()
        .col_expr(case_task::Column::Status, Expr::value(TASK_DONE))
        .col_expr(
            case_task::Column::Decision,
            Expr::value(Some(decision.to_owned())),
        )
        .filter(case_task::Column::RegionId.eq(region_id))
        .filter(case_task::Column::CaseId.eq(case_id))
        .filter(case_task::Column::DepartmentId.eq(department_id))
        .filter(case_task::Column::Role.eq(role))
        .filter(case_task::Column::Status.eq(TASK_OPEN))
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the open tasks' deadline (the case's changed).
pub async fn set_task_due<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
    due_on: Option<NaiveDate>,
) -> StoreResult<()> {
    case_task::Entity::update_many()
        .col_expr(case_task::Column::DueOn, Expr::value(due_on))
        .filter(case_task::Column::RegionId.eq(region_id))
        .filter(case_task::Column::CaseId.eq(case_id))
        .filter(case_task::Column::Status.eq(TASK_OPEN))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts tasks, many rows per statement.
pub async fn insert_tasks<C: ConnectionTrait>(
    db: &C,
    tasks: Vec<case_task::ActiveModel>,
) -> StoreResult<()> {
    let mut tasks = tasks.into_iter().peekable();
    while tasks.peek().is_some() {
        let chunk: Vec<_> = tasks.by_ref().take(CHUNK).collect();
        case_task::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Claims an open task of the case for `account`: only if nobody holds it, or `account` does.
pub async fn claim_task<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    task_id: Uuid,
    account: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let result = case_task::Entity::update_many()
        .col_expr(case_task::Column::AssigneeId, Expr::value(Some(account)))
        .col_expr(
            case_task::Column::ClaimedAt,
            Expr::value(Some(now.trunc_subsecs(6))),
        )
        .filter(case_task::Column::RegionId.eq(region_id))
        .filter(case_task::Column::Id.eq(task_id))
        .filter(case_task::Column::Status.eq(TASK_OPEN))
        .filter(
            Condition::any()
                .add(case_task::Column::AssigneeId.is_null())
                .add(case_task::Column::AssigneeId.eq(account)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Gives up a claim held by `account`.
pub async fn release_task<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    task_id: Uuid,
    account: Uuid,
) -> StoreResult<bool> {
    let result = case_task::Entity::update_many()
        .col_expr(case_task::Column::AssigneeId, Expr::value(None::<Uuid>))
        .col_expr(
            case_task::Column::ClaimedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(case_task::Column::RegionId.eq(region_id))
        .filter(case_task::Column::Id.eq(task_id))
        .filter(case_task::Column::AssigneeId.eq(account))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// A timeline entry to write.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: String,
    pub kind: &'static str,
    pub action: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    /// `internal` or `applicant`.
    pub visibility: &'static str,
    pub detail: serde_json::Value,
}

pub async fn insert_events<C: ConnectionTrait>(db: &C, events: Vec<NewEvent>) -> StoreResult<()> {
    let models: Vec<case_event::ActiveModel> = events
        .into_iter()
        .map(|e| case_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(e.case_id),
            region_id: Set(e.region_id),
            at: Set(e.at.trunc_subsecs(6)),
            actor_id: Set(e.actor_id),
            actor_name: Set(e.actor_name),
            kind: Set(e.kind.to_owned()),
            action: Set(e.action),
            from_state: Set(e.from_state),
            to_state: Set(e.to_state),
            comment: Set(e.comment),
            visibility: Set(e.visibility.to_owned()),
            detail: Set(e.detail.to_string()),
        })
        .collect();
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(CHUNK).collect();
        case_event::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A case's timeline, oldest first; `applicant_only` leaves out internal entries.
pub async fn events_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
    applicant_only: bool,
) -> StoreResult<Vec<EventRow>> {
    let mut select = case_event::Entity::find()
        .filter(case_event::Column::RegionId.eq(region_id))
        .filter(case_event::Column::CaseId.eq(case_id));
    if applicant_only {
        select = select.filter(case_event::Column::Visibility.eq("applicant"));
    }
    Ok(select
        .order_by_asc(case_event::Column::At)
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?)
}

/// A notice to file with a case.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Chosen by the caller: the seal names the document it seals.
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    pub kind: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub seal: Option<String>,
    pub check_code: Option<String>,
}

pub async fn insert_documents<C: ConnectionTrait>(
    db: &C,
    documents: Vec<NewDocument>,
) -> StoreResult<()> {
    let models: Vec<case_document::ActiveModel> = documents
        .into_iter()
        .map(|d| case_document::ActiveModel {
            id: Set(d.id),
            case_id: Set(d.case_id),
            region_id: Set(d.region_id),
            department_id: Set(d.department_id),
            kind: Set(d.kind),
            number: Set(d.number),
            issued_on: Set(d.issued_on),
            content: Set(d.content),
            created_at: Set(d.created_at.trunc_subsecs(6)),
            seal: Set(d.seal),
            check_code: Set(d.check_code),
        })
        .collect();
    let mut models = models.into_iter().peekable();
    while models.peek().is_some() {
        let chunk: Vec<_> = models.by_ref().take(CHUNK).collect();
        case_document::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

pub async fn documents_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
) -> StoreResult<Vec<DocumentRow>> {
    Ok(case_document::Entity::find()
        .filter(case_document::Column::RegionId.eq(region_id))
        .filter(case_document::Column::CaseId.eq(case_id))
        .order_by_asc(case_document::Column::CreatedAt)
        .order_by_asc(case_document::Column::Id)
        .all(db)
        .await?)
}

pub async fn document<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<DocumentRow>> {
    Ok(case_document::Entity::find()
        .filter(case_document::Column::RegionId.eq(region_id))
        .filter(case_document::Column::Id.eq(id))
        .one(db)
        .await?)
}

/// Hands out `count` consecutive document numbers of the department for `year`; returns the
/// first.
pub async fn next_notice_numbers<C: ConnectionTrait>(
    db: &C,
    department_id: Uuid,
    year: i32,
    count: i64,
) -> StoreResult<i64> {
    use notice_counter::Column;
    let mut upsert = Query::insert();
    upsert
        .into_table(notice_counter::Entity)
        .columns([Column::DepartmentId, Column::Year, Column::LastValue])
        .values([department_id.into(), year.into(), count.into()])
        .map_err(|e| DbErr::Custom(format!("building the counter upsert: {e}")))?
        .on_conflict(
            OnConflict::columns([Column::DepartmentId, Column::Year])
                .value(
                    Column::LastValue,
                    Expr::col((notice_counter::Entity, Column::LastValue)).add(count),
                )
                .to_owned(),
        )
        .returning_col(Column::LastValue);
    let row = db
        .query_one(&upsert)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("notice counter upsert returned no row".into()))?;
    let last: i64 = row.try_get_by_index(0)?;
    Ok(last - count + 1)
}

// ---------------------------------------------------------------------------------------------
// Deadlines

/// Open cases of the region due on or before `day` (committed deadline), oldest deadline first.
pub async fn open_cases_due_by<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    day: NaiveDate,
    limit: u64,
) -> StoreResult<Vec<CaseRow>> {
    Ok(case::Entity::find()
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::ClosedAt.is_null())
        .filter(case::Column::DueOn.lte(day))
        .order_by_asc(case::Column::DueOn)
        .limit(limit)
        .all(db)
        .await?)
}

/// Open cases of the region after `after` (by id), for recomputing their deadlines in pages.
pub async fn open_cases_page<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> StoreResult<Vec<CaseRow>> {
    let mut select = case::Entity::find()
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::ClosedAt.is_null());
    if let Some(after) = after {
        select = select.filter(case::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(case::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Sets a case's computed deadlines (after a calendar change), without touching its version:
/// no person acted.
pub async fn set_due_dates<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
    due_on: Option<NaiveDate>,
    statutory_due_on: Option<NaiveDate>,
    stage_due_on: Option<NaiveDate>,
) -> StoreResult<()> {
    case::Entity::update_many()
        .col_expr(case::Column::DueOn, Expr::value(due_on))
        .col_expr(case::Column::StatutoryDueOn, Expr::value(statutory_due_on))
        .col_expr(case::Column::StageDueOn, Expr::value(stage_due_on))
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::Id.eq(case_id))
        .exec(db)
        .await?;
    set_task_due(db, region_id, case_id, stage_due_on.or(due_on)).await
}

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    pub kind: &'static str,
    pub due_on: NaiveDate,
}

/// Raises the alerts not raised before; returns the ones that are new.
pub async fn raise_alerts<C: ConnectionTrait>(
    db: &C,
    alerts: Vec<NewAlert>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<NewAlert>> {
    let mut fresh = Vec::new();
    for alert in alerts {
        let model = case_alert::ActiveModel {
            id: Set(Uuid::now_v7()),
            case_id: Set(alert.case_id),
            region_id: Set(alert.region_id),
            department_id: Set(alert.department_id),
            kind: Set(alert.kind.to_owned()),
            due_on: Set(alert.due_on),
            raised_at: Set(now.trunc_subsecs(6)),
        };
        let inserted = case_alert::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([
                    case_alert::Column::CaseId,
                    case_alert::Column::Kind,
                    case_alert::Column::DueOn,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        if inserted == 1 {
            fresh.push(alert);
        }
    }
    Ok(fresh)
}

pub async fn alerts_of_department<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<AlertRow>> {
    Ok(case_alert::Entity::find()
        .filter(case_alert::Column::RegionId.eq(region_id))
        .filter(case_alert::Column::DepartmentId.eq(department_id))
        .order_by_desc(case_alert::Column::RaisedAt)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn calendar_mark<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Option<String>> {
    Ok(calendar_mark::Entity::find_by_id(region_id)
        .one(db)
        .await?
        .map(|m| m.fingerprint))
}

pub async fn set_calendar_mark<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    calendar_mark::Entity::insert(calendar_mark::ActiveModel {
        region_id: Set(region_id),
        fingerprint: Set(fingerprint.to_owned()),
        updated_at: Set(now.trunc_subsecs(6)),
    })
    .on_conflict(
        OnConflict::column(calendar_mark::Column::RegionId)
            .update_columns([
                calendar_mark::Column::Fingerprint,
                calendar_mark::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The public progress lookup

/// The lookup's record for a tracking number (also for numbers that do not exist, so that
/// they lock the same way).
pub async fn lookup_record<C: ConnectionTrait>(
    db: &C,
    tracking_number: &str,
) -> StoreResult<Option<progress_lookup::Model>> {
    Ok(
        progress_lookup::Entity::find_by_id(tracking_number.to_owned())
            .one(db)
            .await?,
    )
}

/// Counts a wrong answer; locks the number until `lock_until` once `max_failures` is reached.
/// Returns the failures so far.
pub async fn record_lookup_failure<C: ConnectionTrait>(
    db: &C,
    tracking_number: &str,
    max_failures: i32,
    lock_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<i32> {
    let current = lookup_record(db, tracking_number).await?;
    // A lock that has run out starts the count afresh.
    let expired = current
        .as_ref()
        .is_some_and(|r| r.locked_until.is_some_and(|until| until <= now));
    let failures = if expired {
        1
    } else {
        current.as_ref().map_or(0, |r| r.failures) + 1
    };
    let locked_until = (failures >= max_failures).then(|| lock_until.trunc_subsecs(6));
    progress_lookup::Entity::insert(progress_lookup::ActiveModel {
        tracking_number: Set(tracking_number.to_owned()),
        failures: Set(failures),
        locked_until: Set(locked_until),
        updated_at: Set(now.trunc_subsecs(6)),
    })
    .on_conflict(
        OnConflict::column(progress_lookup::Column::TrackingNumber)
            .update_columns([
                progress_lookup::Column::Failures,
                progress_lookup::Column::LockedUntil,
                progress_lookup::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(failures)
}

/// Forgets the wrong answers after a right one.
pub async fn clear_lookup_failures<C: ConnectionTrait>(
    db: &C,
    tracking_number: &str,
) -> StoreResult<()> {
    progress_lookup::Entity::delete_by_id(tracking_number.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces a case's (sealed) answers: the applicant's corrections.
pub async fn replace_answers<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
    sealed: &str,
) -> StoreResult<()> {
    case::Entity::update_many()
        .col_expr(case::Column::Answers, Expr::value(sealed.to_owned()))
        .filter(case::Column::RegionId.eq(region_id))
        .filter(case::Column::Id.eq(case_id))
        .exec(db)
        .await?;
    Ok(())
}
