//! `case_tasks`: the work items of a case; a submission opens the first one (intake by a
//! front-desk clerk of the case's department).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    /// `intake` for now; the workflow issue adds stages.
    pub stage: String,
    /// The role that works on it, e.g. `front-desk-clerk`.
    pub role: String,
    /// `open` for now.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub due_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
