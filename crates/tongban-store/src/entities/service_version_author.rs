//! `service_version_authors`: who edited and published a service version, and which version a
//! draft started from.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_version_authors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub version_id: Uuid,
    pub region_id: Uuid,
    /// The published version a draft was copied from (`None` for a new service).
    pub based_on: Option<i32>,
    pub edited_by: Option<Uuid>,
    pub edited_at: DateTimeUtc,
    pub published_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
