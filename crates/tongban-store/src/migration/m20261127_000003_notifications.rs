//! The notification outbox with its delivery log, one-time verification codes, and the
//! privacy notice an account accepted.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    AccountId,
    Channel,
    Template,
    Locale,
    Params,
    RecipientCiphertext,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    CreatedAt,
    SentAt,
    ReadAt,
    LastError,
}

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    Id,
    NotificationId,
    Attempt,
    At,
    Outcome,
    Detail,
}

#[derive(DeriveIden)]
enum VerificationCodes {
    Table,
    Id,
    Purpose,
    PhoneIndex,
    PhoneCiphertext,
    CodeHash,
    Attempts,
    ExpiresAt,
    ConsumedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    PrivacyVersion,
    PrivacyAcceptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid_null(Notifications::AccountId))
                    .col(string_len(Notifications::Channel, 16))
                    .col(string_len(Notifications::Template, 64))
                    .col(string_len(Notifications::Locale, 8))
                    .col(json_binary(Notifications::Params))
                    .col(text_null(Notifications::RecipientCiphertext))
                    .col(string_len(Notifications::Status, 16))
                    .col(integer(Notifications::Attempts))
                    .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Notifications::LeaseUntil))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::SentAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .col(text_null(Notifications::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notifications_account")
                            .from(Notifications::Table, Notifications::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_due")
                    .table(Notifications::Table)
                    .col(Notifications::Status)
                    .col(Notifications::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_notifications_inbox")
                    .table(Notifications::Table)
                    .col(Notifications::AccountId)
                    .col(Notifications::Channel)
                    .col(Notifications::CreatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NotificationDeliveries::Table)
                    .col(uuid(NotificationDeliveries::Id).primary_key())
                    .col(uuid(NotificationDeliveries::NotificationId))
                    .col(integer(NotificationDeliveries::Attempt))
                    .col(timestamp_with_time_zone(NotificationDeliveries::At))
                    .col(string_len(NotificationDeliveries::Outcome, 16))
                    .col(text_null(NotificationDeliveries::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_notification")
                            .from(
                                NotificationDeliveries::Table,
                                NotificationDeliveries::NotificationId,
                            )
                            .to(Notifications::Table, Notifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(VerificationCodes::Table)
                    .col(uuid(VerificationCodes::Id).primary_key())
                    .col(string_len(VerificationCodes::Purpose, 32))
                    .col(string_len(VerificationCodes::PhoneIndex, 64))
                    .col(text(VerificationCodes::PhoneCiphertext))
                    .col(string_len(VerificationCodes::CodeHash, 64))
                    .col(integer(VerificationCodes::Attempts))
                    .col(timestamp_with_time_zone(VerificationCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(VerificationCodes::ConsumedAt))
                    .col(timestamp_with_time_zone(VerificationCodes::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_verification_codes_phone")
                    .table(VerificationCodes::Table)
                    .col(VerificationCodes::PhoneIndex)
                    .col(VerificationCodes::Purpose)
                    .col(VerificationCodes::CreatedAt)
                    .to_owned(),
            )
            .await?;

        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len_null(Accounts::PrivacyVersion, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(timestamp_with_time_zone_null(Accounts::PrivacyAcceptedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Accounts::PrivacyAcceptedAt, Accounts::PrivacyVersion] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            VerificationCodes::Table.into_iden(),
            NotificationDeliveries::Table.into_iden(),
            Notifications::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
