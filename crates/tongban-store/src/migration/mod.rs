//! Schema migrations, written once in sea-orm-migration's DSL for both databases.
//!
//! A migration that has landed is never edited: add a new one.

use sea_orm_migration::prelude::*;

mod m20261126_000001_catalog;
mod m20261127_000002_identity;
mod m20261127_000003_notifications;
mod m20261127_000004_second_factor;
mod m20261128_000005_agency;
mod m20261128_000006_oidc;
mod m20261128_000007_staff_admin;
mod m20261128_000008_email;
mod m20261129_000009_search_terms;
mod m20261129_000010_catalog_drafts;
mod m20261204_000011_applications;
mod m20261204_000012_uploads;
mod m20261205_000013_workflow;
mod m20261205_000014_handling_attachments;
mod m20261205_000015_certificates;
mod m20261206_000016_sealed_notices;
mod m20261206_000017_exchange;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_catalog::Migration),
            Box::new(m20261127_000002_identity::Migration),
            Box::new(m20261127_000003_notifications::Migration),
            Box::new(m20261127_000004_second_factor::Migration),
            Box::new(m20261128_000007_staff_admin::Migration),
            Box::new(m20261128_000008_email::Migration),
            Box::new(m20261128_000005_agency::Migration),
            Box::new(m20261128_000006_oidc::Migration),
            Box::new(m20261129_000009_search_terms::Migration),
            Box::new(m20261129_000010_catalog_drafts::Migration),
            Box::new(m20261204_000011_applications::Migration),
            Box::new(m20261204_000012_uploads::Migration),
            Box::new(m20261205_000013_workflow::Migration),
            Box::new(m20261205_000014_handling_attachments::Migration),
            Box::new(m20261205_000015_certificates::Migration),
            Box::new(m20261206_000016_sealed_notices::Migration),
            Box::new(m20261206_000017_exchange::Migration),
        ]
    }
}
