//! `account_emails`: an account's verified e-mail address, encrypted, with a keyed hash beside
//! it for look-up (password reset) and uniqueness.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_emails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: Uuid,
    pub email_ciphertext: String,
    pub email_index: String,
    /// When the owner proved the address by entering a code sent to it.
    pub verified_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
