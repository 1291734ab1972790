//! `shared_certificates`: a certificate an applicant shared with a case, with their consent
//! (the fields, the department, the case) and the presentation the department receives.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_certificates")]
pub struct Model {
    /// The consent's reference, named by the evidence log.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_id: Uuid,
    pub case_id: Uuid,
    /// The form field the certificate answers.
    pub field_key: String,
    pub certificate_id: Uuid,
    pub type_key: String,
    pub issuer_department_id: Uuid,
    pub receiver_department_id: Uuid,
    pub holder_account_id: Uuid,
    /// `wallet` or `fetch`.
    pub source: String,
    /// JSON array of the disclosed field keys.
    pub fields: String,
    /// The SD-JWT presentation, sealed with the field cipher.
    pub presentation: String,
    pub consented_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
