//! `cases`: submitted applications (办件). `submission_key` is unique, so a retried submission
//! finds the case it already created; `request_digest` tells a true retry from a different
//! request that reuses the key.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    /// UUIDv7, so cases sort by creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    #[sea_orm(unique)]
    pub tracking_number: String,
    pub service_code: String,
    /// The version of the service (and so of its form) the answers were given to.
    pub service_version: i32,
    pub department_id: Uuid,
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub entered_by: Uuid,
    /// `online`, `counter` or `api`.
    pub channel: String,
    /// The answers JSON, encrypted; opaque to the store.
    pub answers: String,
    /// `open` (in progress), `waiting` (for the applicant's corrections), `suspended` or
    /// `closed`.
    pub status: String,
    /// `draft:<uuid>` or `api:<account>:<Idempotency-Key>`.
    #[sea_orm(unique)]
    pub submission_key: String,
    /// SHA-256 hex of the canonical request.
    pub request_digest: String,
    pub submitted_at: DateTimeUtc,
    /// For the progress lookup by tracking number and phone.
    pub applicant_phone_last4: Option<String>,
    /// The workflow state's key (denormalised from `workflow_state` for queries).
    pub state: String,
    /// The engine's `CaseState` as JSON; `None` for a case filed before workflows existed
    /// (it starts at its workflow's first state when first handled).
    pub workflow_state: Option<String>,
    /// Bumped by every action: an action names the version it was taken on, and a conditional
    /// UPDATE makes the second of two concurrent actions fail.
    pub version: i32,
    /// Committed deadline of the whole case (承诺时限), computed on the working-day calendar.
    pub due_on: Option<Date>,
    /// Statutory deadline (法定时限).
    pub statutory_due_on: Option<Date>,
    /// Deadline of the current state, when it has its own limit.
    pub stage_due_on: Option<Date>,
    pub outcome: Option<String>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
