//! `enterprises`: legal persons (法人) registered by their legal representative.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enterprises")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Option<Uuid>,
    pub name: String,
    /// The unified social credit code (GB 32100), normalised; public in the national register.
    pub credit_code: String,
    pub legal_representative_account_id: Uuid,
    pub legal_representative_name: String,
    /// `active`, or `closed` when the legal representative closed their account.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
