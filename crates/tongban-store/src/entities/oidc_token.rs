//! `oidc_tokens`: access tokens, stored as SHA-256 hashes with their scope and expiry.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    /// `oidc_clients.id`.
    pub client_id: Uuid,
    /// `None` for client_credentials tokens: no person behind them.
    pub account_id: Option<Uuid>,
    /// The code it was issued for, so a replayed code revokes it.
    pub code_hash: Option<String>,
    pub scope: String,
    pub enterprise: Option<Json>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
