//! `search_synonyms`: a region's groups of search terms that mean the same thing.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_synonyms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    /// JSON array of the group's terms, in the order the administrator wrote them.
    pub terms: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The account that last created or changed the group; `None` for seeded groups.
    pub updated_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
