//! `oidc_codes`: authorization codes, single use (`used_at` set by a conditional update).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code_hash: String,
    /// `oidc_clients.id`.
    pub client_id: Uuid,
    pub account_id: Uuid,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    /// S256 challenge, base64url.
    pub code_challenge: Option<String>,
    pub auth_time: DateTimeUtc,
    /// Space-separated authentication methods (`pwd`, `otp`).
    pub amr: String,
    /// The `enterprise` claim as consented, if any.
    pub enterprise: Option<Json>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
