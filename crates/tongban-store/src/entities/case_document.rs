//! `case_documents`: legal notices issued on a case (受理通知书 …), kept as a frozen snapshot of
//! their content (JSON) from which the PDF is rendered, identically, on every download.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub department_id: Uuid,
    pub kind: String,
    /// The document number (文号).
    pub number: String,
    pub issued_on: Date,
    pub content: String,
    pub created_at: DateTimeUtc,
    /// The department's electronic seal over the notice (a `notice+jwt` JWS); `None` for
    /// notices filed before seals existed (migration 16).
    pub seal: Option<String>,
    /// The random code of the notice's public verification address.
    pub check_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
