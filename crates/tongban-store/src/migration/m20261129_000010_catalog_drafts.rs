//! Drafts of service versions: at most one open draft per service, and who edited, started
//! from and published each version.
//!
//! A draft is a `service_versions` row with status `draft` and version 0 (it receives its number
//! when published). The partial unique index makes a second draft of the same service fail in
//! the database, whichever request comes second; both SQLite and PostgreSQL accept it as written.
//! Authorship sits in a table of its own so the version rows other code writes keep their shape.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceVersionAuthors {
    Table,
    VersionId,
    RegionId,
    BasedOn,
    EditedBy,
    EditedAt,
    PublishedBy,
}

#[derive(DeriveIden)]
enum ServiceVersions {
    Table,
    Id,
}

const ONE_DRAFT: &str = "CREATE UNIQUE INDEX ux_service_versions_one_draft \
    ON service_versions (service_id) WHERE status = 'draft'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(ONE_DRAFT)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServiceVersionAuthors::Table)
                    .col(uuid(ServiceVersionAuthors::VersionId).primary_key())
                    .col(uuid(ServiceVersionAuthors::RegionId))
                    .col(integer_null(ServiceVersionAuthors::BasedOn))
                    .col(uuid_null(ServiceVersionAuthors::EditedBy))
                    .col(timestamp_with_time_zone(ServiceVersionAuthors::EditedAt))
                    .col(uuid_null(ServiceVersionAuthors::PublishedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_version_authors_version")
                            .from(
                                ServiceVersionAuthors::Table,
                                ServiceVersionAuthors::VersionId,
                            )
                            .to(ServiceVersions::Table, ServiceVersions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServiceVersionAuthors::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ux_service_versions_one_draft")
            .await?;
        Ok(())
    }
}
