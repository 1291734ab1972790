//! `uploads`: one row per file an applicant uploaded, pointing at its bytes in the blob store by
//! SHA-256.
//!
//! The bytes are content addressed and shared (two people uploading the same scan store it
//! once), so a row owns a reference, not the file: the blob garbage collector removes a blob
//! only when no row of any region names its hash, hence the index on `sha256` alone. An upload
//! starts on a draft (`draft_id`) and is attached to the case when the application is submitted
//! (`case_id`); neither is a foreign key, because drafts and cases live in tables of other
//! features and an upload row must not decide their lifetime.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Id,
    RegionId,
    OwnerId,
    Sha256,
    Size,
    Kind,
    Filename,
    CreatedAt,
    DraftId,
    CaseId,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Uploads::Table)
                    .col(uuid(Uploads::Id).primary_key())
                    .col(uuid(Uploads::RegionId))
                    // No foreign key to accounts: the record of who uploaded a case's evidence
                    // outlives the account.
                    .col(uuid(Uploads::OwnerId))
                    .col(string_len(Uploads::Sha256, 64))
                    .col(big_integer(Uploads::Size))
                    .col(string_len(Uploads::Kind, 16))
                    // 100 characters of up to 4 bytes each.
                    .col(string_len(Uploads::Filename, 400))
                    .col(timestamp_with_time_zone(Uploads::CreatedAt))
                    .col(uuid_null(Uploads::DraftId))
                    .col(uuid_null(Uploads::CaseId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_uploads_region")
                            .from(Uploads::Table, Uploads::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_uploads_region_draft")
                    .table(Uploads::Table)
                    .col(Uploads::RegionId)
                    .col(Uploads::DraftId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_uploads_region_case")
                    .table(Uploads::Table)
                    .col(Uploads::RegionId)
                    .col(Uploads::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_uploads_sha256")
                    .table(Uploads::Table)
                    .col(Uploads::Sha256)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Uploads::Table).to_owned())
            .await?;
        Ok(())
    }
}
