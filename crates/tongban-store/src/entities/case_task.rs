//! `case_tasks`: the work items of a case: one per task of its current workflow state (several
//! in a parallel review, each in its own department). The service, the applicant's kind and
//! the case's deadline are copied here so that an inbox is one index scan.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    /// The workflow state the task belongs to.
    pub stage: String,
    /// The role that works on it, e.g. `front-desk-clerk`.
    pub role: String,
    /// `open`, or `done` once the case left the state (or the department decided).
    pub status: String,
    pub created_at: DateTimeUtc,
    pub due_at: Option<DateTimeUtc>,
    /// Who claimed it (others still see the case, read-only).
    pub assignee_id: Option<Uuid>,
    pub claimed_at: Option<DateTimeUtc>,
    /// `concur` or `object` in a parallel review.
    pub decision: Option<String>,
    pub service_code: String,
    /// `person` or `enterprise`.
    pub applicant_kind: String,
    /// The case's committed deadline, for sorting and filtering.
    pub due_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
