//! Enterprises (法人) registered by their legal representative, mandates that let an agent
//! (经办人) or a relative (亲友代办) act for an enterprise or a person, and the sessions' record
//! of whom the signed-in person is acting for.
//!
//! At most one mandate per principal and agent is live (not revoked) at a time: a partial
//! unique index makes that a database guarantee on both SQLite and PostgreSQL. A mandate that
//! lapsed is closed (its `revoked_at` set to its expiry, `revoked_by` left empty) before a new
//! one for the same pair is written.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Enterprises {
    Table,
    Id,
    RegionId,
    Name,
    CreditCode,
    LegalRepresentativeAccountId,
    LegalRepresentativeName,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Mandates {
    Table,
    Id,
    PrincipalKind,
    PrincipalId,
    AgentAccountId,
    Scopes,
    ExpiresAt,
    CreatedBy,
    CreatedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ActingForKind,
    ActingForId,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
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
                    .table(Enterprises::Table)
                    .col(uuid(Enterprises::Id).primary_key())
                    .col(uuid_null(Enterprises::RegionId))
                    .col(text(Enterprises::Name))
                    .col(string_len(Enterprises::CreditCode, 18).unique_key())
                    .col(uuid(Enterprises::LegalRepresentativeAccountId))
                    .col(text(Enterprises::LegalRepresentativeName))
                    .col(string_len(Enterprises::Status, 16))
                    .col(timestamp_with_time_zone(Enterprises::CreatedAt))
                    .col(timestamp_with_time_zone(Enterprises::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enterprises_region")
                            .from(Enterprises::Table, Enterprises::RegionId)
                            .to(Regions::Table, Regions::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enterprises_legal_representative")
                            .from(
                                Enterprises::Table,
                                Enterprises::LegalRepresentativeAccountId,
                            )
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_enterprises_legal_representative")
                    .table(Enterprises::Table)
                    .col(Enterprises::LegalRepresentativeAccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Mandates::Table)
                    .col(uuid(Mandates::Id).primary_key())
                    .col(string_len(Mandates::PrincipalKind, 16))
                    .col(uuid(Mandates::PrincipalId))
                    .col(uuid(Mandates::AgentAccountId))
                    .col(json_binary(Mandates::Scopes))
                    .col(timestamp_with_time_zone(Mandates::ExpiresAt))
                    .col(uuid(Mandates::CreatedBy))
                    .col(timestamp_with_time_zone(Mandates::CreatedAt))
                    .col(timestamp_with_time_zone_null(Mandates::RevokedAt))
                    .col(uuid_null(Mandates::RevokedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mandates_agent")
                            .from(Mandates::Table, Mandates::AgentAccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mandates_created_by")
                            .from(Mandates::Table, Mandates::CreatedBy)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mandates_agent")
                    .table(Mandates::Table)
                    .col(Mandates::AgentAccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_mandates_principal")
                    .table(Mandates::Table)
                    .col(Mandates::PrincipalKind)
                    .col(Mandates::PrincipalId)
                    .to_owned(),
            )
            .await?;
        // One live mandate per principal and agent. Partial indexes are written the same way
        // on SQLite and PostgreSQL; the DSL has no portable form for them.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_mandates_live ON mandates \
                 (principal_kind, principal_id, agent_account_id) WHERE revoked_at IS NULL",
            )
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(string_len_null(Sessions::ActingForKind, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(uuid_null(Sessions::ActingForId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Sessions::ActingForId, Sessions::ActingForKind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Mandates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Enterprises::Table).to_owned())
            .await?;
        Ok(())
    }
}
