//! `case_documents.seal` and `case_documents.check_code`: the electronic seal (电子签章) of a
//! legal notice and the random code of its public verification address.
//!
//! `seal` is the compact JWS (`typ: notice+jwt`) the issuing department's key made over the
//! notice's facts and the SHA-256 of `content`, written in the transaction that files the
//! notice. `check_code` makes `/notices/check/{id}/{code}` unguessable, as certificates' codes
//! do. Both are nullable: notices filed before this migration were never sealed, and stay so
//! rather than being sealed after the fact with a date that would not be true.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CaseDocuments {
    Table,
    Seal,
    CheckCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one column at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(CaseDocuments::Table)
                    .add_column(text_null(CaseDocuments::Seal))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CaseDocuments::Table)
                    .add_column(string_len_null(CaseDocuments::CheckCode, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [CaseDocuments::CheckCode, CaseDocuments::Seal] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseDocuments::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
