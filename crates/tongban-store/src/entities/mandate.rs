//! `mandates`: an enterprise's or a person's authorisation for an agent to act for them, with
//! scopes and an expiry; revoked mandates stay as history.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mandates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `enterprise` or `person`.
    pub principal_kind: String,
    pub principal_id: Uuid,
    pub agent_account_id: Uuid,
    /// A JSON list of scope keys (`apply`, `view`, `certificates`, `pay`).
    pub scopes: Json,
    pub expires_at: DateTimeUtc,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    /// Set on revocation, or to the expiry when a lapsed mandate is replaced.
    pub revoked_at: Option<DateTimeUtc>,
    /// Who revoked it; `None` with `revoked_at` set means it lapsed.
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
