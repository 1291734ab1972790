//! `progress_lookups`: wrong answers to the public progress lookup per tracking number, and the
//! lock that follows five of them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "progress_lookups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tracking_number: String,
    pub failures: i32,
    pub locked_until: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
