//! `oidc_keys`: ID-token signing keys; the private half encrypted with the field cipher.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub alg: String,
    /// The public key, base64url.
    pub public_key: String,
    pub private_ciphertext: String,
    pub created_at: DateTimeUtc,
    /// When the key stopped signing; `None` while it signs.
    pub retired_at: Option<DateTimeUtc>,
    /// When a retired key leaves the JWKS.
    pub expires_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
