//! `uploads`: a file an applicant uploaded: who, which region, which draft or case, and the
//! SHA-256 address of its bytes in the blob store.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    /// The account that uploaded the file.
    pub owner_id: Uuid,
    /// Lower-case hex SHA-256 of the content: its address in the blob store.
    pub sha256: String,
    pub size: i64,
    /// The kind detected from the content (`FileKind::key`), never the client's claim.
    pub kind: String,
    /// The sanitised file name, its extension set from `kind`.
    pub filename: String,
    pub created_at: DateTimeUtc,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// Only staff may read it (a file attached to an internal handling step).
    pub internal: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
