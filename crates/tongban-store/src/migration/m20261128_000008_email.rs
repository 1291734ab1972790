//! Verified e-mail addresses, encrypted, one per account, with a keyed hash for look-up at
//! password reset. The plain-text `accounts.email` column of the identity migration is no
//! longer used: its contents (only ever demo data) are cleared, because personal identifiers
//! are kept encrypted at rest; the demo seed writes them again, encrypted, into this table.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountEmails {
    Table,
    AccountId,
    EmailCiphertext,
    EmailIndex,
    VerifiedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Email,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountEmails::Table)
                    .col(uuid(AccountEmails::AccountId).primary_key())
                    .col(text(AccountEmails::EmailCiphertext))
                    .col(string_len(AccountEmails::EmailIndex, 64))
                    .col(timestamp_with_time_zone(AccountEmails::VerifiedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_emails_account")
                            .from(AccountEmails::Table, AccountEmails::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One account per address: a reset code must go to exactly one account's owner.
        manager
            .create_index(
                Index::create()
                    .name("ux_account_emails_index")
                    .table(AccountEmails::Table)
                    .col(AccountEmails::EmailIndex)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Accounts::Table)
                    .value(Accounts::Email, Option::<String>::None)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountEmails::Table).to_owned())
            .await
    }
}
