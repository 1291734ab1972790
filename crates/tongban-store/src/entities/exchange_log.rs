//! `exchange_log`: the evidence log of accesses to another department's data, hash-chained
//! and each entry sealed by the requesting department.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "exchange_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub region_id: Uuid,
    pub holder_account_id: Uuid,
    pub requester_department_id: Uuid,
    pub issuer_department_id: Uuid,
    pub case_id: Option<Uuid>,
    pub certificate_id: Uuid,
    pub type_key: String,
    pub purpose: String,
    /// JSON array of the field keys accessed.
    pub fields: String,
    pub consent_id: Option<Uuid>,
    /// `application` or `api`.
    pub channel: String,
    pub client_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// Compact JWS by the requesting department over `{seq, hash}`.
    pub seal: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
