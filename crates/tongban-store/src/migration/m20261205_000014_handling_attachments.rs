//! `uploads.internal`: files staff attach to an action while handling a case.
//!
//! An upload already belongs to a case (`case_id`), and everyone who may see the case could read
//! it: right for the applicant's own evidence, wrong for a reviewer's internal working paper.
//! `internal` marks a file only staff may read; the applicant's uploads and the files attached
//! to actions the applicant is told about (a decision with its annex) stay `false`.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Uploads {
    Table,
    Internal,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Uploads::Table)
                    .add_column(boolean(Uploads::Internal).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Uploads::Table)
                    .drop_column(Uploads::Internal)
                    .to_owned(),
            )
            .await
    }
}
