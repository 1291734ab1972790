//! `sessions`: signed-in browsers. Only a hash of the token is stored.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub account_id: Uuid,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    /// When the session passed the second factor (staff); `None` until then.
    pub second_factor_at: Option<DateTimeUtc>,
    /// Whom the person is acting for: `enterprise` or `person` (see `mandates`); `None` when
    /// acting for themselves.
    pub acting_for_kind: Option<String>,
    pub acting_for_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
