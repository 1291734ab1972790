//! `case_alerts`: deadline alerts raised by the periodic scan, one per case, kind and deadline;
//! the supervision dashboards read them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_alerts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    /// `approaching` or `overdue`.
    pub kind: String,
    pub due_on: Date,
    pub raised_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
