//! `status_lists`: a department's IETF Token Status List, its raw bits (base64) and the next
//! index to hand out; `version` guards every change.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_lists")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    pub bits: i16,
    pub size: i64,
    pub next_index: i64,
    /// The uncompressed bit string, standard base64.
    pub bytes: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
