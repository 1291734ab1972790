//! The OpenID Connect provider: registered department clients, signing keys, single-use
//! authorization codes, access tokens (hashed) and remembered consent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OidcClients {
    Table,
    Id,
    RegionId,
    ClientId,
    Name,
    DepartmentId,
    SecretHash,
    IsPublic,
    RedirectUris,
    PostLogoutRedirectUris,
    Scopes,
    SectorId,
    AllowIdNumber,
    Status,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OidcKeys {
    Table,
    Kid,
    Alg,
    PublicKey,
    PrivateCiphertext,
    CreatedAt,
    RetiredAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum OidcCodes {
    Table,
    CodeHash,
    ClientId,
    AccountId,
    RedirectUri,
    Scope,
    Nonce,
    CodeChallenge,
    AuthTime,
    Amr,
    Enterprise,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum OidcTokens {
    Table,
    TokenHash,
    ClientId,
    AccountId,
    CodeHash,
    Scope,
    Enterprise,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OidcConsents {
    Table,
    Id,
    AccountId,
    ClientId,
    Scope,
    GrantedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OidcClients::Table)
                    .col(uuid(OidcClients::Id).primary_key())
                    .col(uuid(OidcClients::RegionId))
                    .col(string_len(OidcClients::ClientId, 64).unique_key())
                    .col(string_len(OidcClients::Name, 200))
                    .col(uuid_null(OidcClients::DepartmentId))
                    .col(string_len_null(OidcClients::SecretHash, 64))
                    .col(boolean(OidcClients::IsPublic))
                    .col(json(OidcClients::RedirectUris))
                    .col(json(OidcClients::PostLogoutRedirectUris))
                    .col(json(OidcClients::Scopes))
                    .col(string_len(OidcClients::SectorId, 255))
                    .col(boolean(OidcClients::AllowIdNumber))
                    .col(string_len(OidcClients::Status, 16))
                    .col(uuid_null(OidcClients::CreatedBy))
                    .col(timestamp_with_time_zone(OidcClients::CreatedAt))
                    .col(timestamp_with_time_zone(OidcClients::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcKeys::Table)
                    .col(string_len(OidcKeys::Kid, 64).primary_key())
                    .col(string_len(OidcKeys::Alg, 16))
                    .col(string_len(OidcKeys::PublicKey, 255))
                    .col(text(OidcKeys::PrivateCiphertext))
                    .col(timestamp_with_time_zone(OidcKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(OidcKeys::RetiredAt))
                    .col(timestamp_with_time_zone_null(OidcKeys::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcCodes::Table)
                    .col(string_len(OidcCodes::CodeHash, 64).primary_key())
                    .col(uuid(OidcCodes::ClientId))
                    .col(uuid(OidcCodes::AccountId))
                    .col(text(OidcCodes::RedirectUri))
                    .col(text(OidcCodes::Scope))
                    .col(string_len_null(OidcCodes::Nonce, 512))
                    .col(string_len_null(OidcCodes::CodeChallenge, 128))
                    .col(timestamp_with_time_zone(OidcCodes::AuthTime))
                    .col(string_len(OidcCodes::Amr, 64))
                    .col(json_null(OidcCodes::Enterprise))
                    .col(timestamp_with_time_zone(OidcCodes::CreatedAt))
                    .col(timestamp_with_time_zone(OidcCodes::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OidcCodes::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_codes_client")
                            .from(OidcCodes::Table, OidcCodes::ClientId)
                            .to(OidcClients::Table, OidcClients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_codes_account")
                            .from(OidcCodes::Table, OidcCodes::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcTokens::Table)
                    .col(string_len(OidcTokens::TokenHash, 64).primary_key())
                    .col(uuid(OidcTokens::ClientId))
                    .col(uuid_null(OidcTokens::AccountId))
                    .col(string_len_null(OidcTokens::CodeHash, 64))
                    .col(text(OidcTokens::Scope))
                    .col(json_null(OidcTokens::Enterprise))
                    .col(timestamp_with_time_zone(OidcTokens::CreatedAt))
                    .col(timestamp_with_time_zone(OidcTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OidcTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_tokens_client")
                            .from(OidcTokens::Table, OidcTokens::ClientId)
                            .to(OidcClients::Table, OidcClients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oidc_tokens_code")
                    .table(OidcTokens::Table)
                    .col(OidcTokens::CodeHash)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OidcConsents::Table)
                    .col(uuid(OidcConsents::Id).primary_key())
                    .col(uuid(OidcConsents::AccountId))
                    .col(uuid(OidcConsents::ClientId))
                    .col(string_len(OidcConsents::Scope, 512))
                    .col(timestamp_with_time_zone(OidcConsents::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_consents_account")
                            .from(OidcConsents::Table, OidcConsents::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_oidc_consents_client")
                            .from(OidcConsents::Table, OidcConsents::ClientId)
                            .to(OidcClients::Table, OidcClients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_oidc_consents")
                    .table(OidcConsents::Table)
                    .col(OidcConsents::AccountId)
                    .col(OidcConsents::ClientId)
                    .col(OidcConsents::Scope)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OidcConsents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcTokens::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcCodes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(OidcClients::Table).to_owned())
            .await?;
        Ok(())
    }
}
