//! `certificates`: an e-certificate issued to a holder, its slot in a status list, and the
//! SD-JWT itself, sealed with the field cipher.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub type_key: String,
    pub department_id: Uuid,
    pub holder_account_id: Uuid,
    pub holder_enterprise_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub status_list_id: Uuid,
    pub status_index: i64,
    /// `valid`, `revoked` or `suspended`.
    pub status: String,
    pub issued_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub token_sealed: String,
    /// Random, base64url: with the id, the address the certificate's QR code opens.
    pub check_code: String,
    /// JSON of non-personal facts for lists.
    pub summary: String,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoke_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
