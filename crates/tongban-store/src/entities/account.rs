//! `accounts`: people and staff. Identifiers are stored encrypted, with a keyed hash beside
//! each for uniqueness and look-up without decrypting.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `person` or `staff`.
    pub kind: String,
    /// Staff sign in with a user name; people with their mobile number or ID number.
    pub username: Option<String>,
    pub display_name: String,
    pub id_doc_kind: Option<String>,
    pub id_doc_ciphertext: Option<String>,
    pub id_doc_index: Option<String>,
    pub phone_ciphertext: Option<String>,
    pub phone_index: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    /// `active`, `locked` or `closed`.
    pub status: String,
    pub region_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub totp_secret_ciphertext: Option<String>,
    /// The last TOTP time step accepted, so a code cannot be used twice.
    pub totp_last_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub password_changed_at: DateTimeUtc,
    /// The version of the privacy notice the person accepted, and when.
    pub privacy_version: Option<String>,
    pub privacy_accepted_at: Option<DateTimeUtc>,
    /// Set when an administrator chose the password (new staff, reset): the owner must replace
    /// it before anything else.
    pub password_must_change: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
