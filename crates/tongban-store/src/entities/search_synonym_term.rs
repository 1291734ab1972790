//! `search_synonym_terms`: which group holds each (folded) term of a region; the primary key
//! keeps a term in one group only.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_synonym_terms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_id: Uuid,
    /// The term folded for comparison (see `tongban_store::search_terms::term_key`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub term_key: String,
    pub synonym_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
