//! `service_versions`: drafts and published, immutable versions of a service's guide.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub service_id: Uuid,
    pub region_id: Uuid,
    pub version: i32,
    /// `draft` or `published`.
    pub status: String,
    pub effective_from: Option<DateTimeUtc>,
    pub published_at: Option<DateTimeUtc>,
    /// The [`tongban_domain::catalog::Service`] document.
    pub content: Json,
    pub change_note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
