//! `application_drafts`: an application being filled in, saved at every page so the applicant can
//! leave and resume. The answers are ciphertext (the services layer encrypts them); `revision`
//! makes a save from a stale page lose instead of overwriting newer answers.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "application_drafts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub service_code: String,
    pub service_version: i32,
    /// The account the application is for.
    pub applicant_id: Uuid,
    /// The enterprise the application is for, when it is made for one.
    pub enterprise_id: Option<Uuid>,
    /// Who fills it in: the applicant, an agent or a front-desk clerk.
    pub entered_by: Uuid,
    /// `online`, `counter` or `api`.
    pub channel: String,
    /// The answers JSON, encrypted; opaque to the store.
    pub answers: String,
    pub current_page: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub reminded_at: Option<DateTimeUtc>,
    pub revision: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
