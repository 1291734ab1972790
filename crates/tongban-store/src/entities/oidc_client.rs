//! `oidc_clients`: department systems registered to sign people in with Tongban.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub client_id: String,
    pub name: String,
    pub department_id: Option<Uuid>,
    /// Keyed hash of the client secret; `None` for public clients (PKCE only).
    pub secret_hash: Option<String>,
    pub is_public: bool,
    /// JSON array of exact redirect URIs.
    pub redirect_uris: Json,
    pub post_logout_redirect_uris: Json,
    /// JSON array of the scopes the client may ask for.
    pub scopes: Json,
    /// The sector pairwise subjects are computed for.
    pub sector_id: String,
    pub allow_id_number: bool,
    /// `active` or `disabled`.
    pub status: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
