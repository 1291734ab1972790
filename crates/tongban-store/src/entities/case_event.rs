//! `case_events`: a case's timeline: every action (who, when, from which state to which, the
//! comment), internal notes, messages to the applicant and system entries.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub case_id: Uuid,
    pub region_id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// The actor's name when it was written (staff names change rarely; the timeline is a record).
    pub actor_name: String,
    /// `action`, `note` (internal), `message` (to the applicant) or `system`.
    pub kind: String,
    pub action: Option<String>,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub comment: Option<String>,
    /// `internal` (staff only) or `applicant` (also shown to the applicant).
    pub visibility: String,
    /// JSON: the action kind, a parallel vote, extension days, the notice issued.
    pub detail: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
