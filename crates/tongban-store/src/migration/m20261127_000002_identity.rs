//! Accounts, role assignments, sessions, login throttling and the hash-chained audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Kind,
    Username,
    DisplayName,
    IdDocKind,
    IdDocCiphertext,
    IdDocIndex,
    PhoneCiphertext,
    PhoneIndex,
    Email,
    PasswordHash,
    Status,
    RegionId,
    DepartmentId,
    TotpSecretCiphertext,
    CreatedAt,
    UpdatedAt,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum RoleAssignments {
    Table,
    Id,
    AccountId,
    Role,
    RegionId,
    DepartmentId,
    Scope,
    GrantedBy,
    GrantedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    TokenHash,
    AccountId,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    Ip,
    UserAgent,
    RevokedAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    Id,
    At,
    RegionId,
    ActorId,
    OnBehalfOf,
    Action,
    Target,
    Outcome,
    Ip,
    Detail,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
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
                    .table(Accounts::Table)
                    .col(uuid(Accounts::Id).primary_key())
                    .col(string_len(Accounts::Kind, 16))
                    .col(string_len_null(Accounts::Username, 64).unique_key())
                    .col(text(Accounts::DisplayName))
                    .col(string_len_null(Accounts::IdDocKind, 32))
                    .col(text_null(Accounts::IdDocCiphertext))
                    .col(string_len_null(Accounts::IdDocIndex, 64).unique_key())
                    .col(text_null(Accounts::PhoneCiphertext))
                    .col(string_len_null(Accounts::PhoneIndex, 64).unique_key())
                    .col(string_len_null(Accounts::Email, 254))
                    .col(text(Accounts::PasswordHash))
                    .col(string_len(Accounts::Status, 16))
                    .col(uuid_null(Accounts::RegionId))
                    .col(uuid_null(Accounts::DepartmentId))
                    .col(text_null(Accounts::TotpSecretCiphertext))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .col(timestamp_with_time_zone(Accounts::PasswordChangedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_accounts_region")
                            .from(Accounts::Table, Accounts::RegionId)
                            .to(Regions::Table, Regions::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoleAssignments::Table)
                    .col(uuid(RoleAssignments::Id).primary_key())
                    .col(uuid(RoleAssignments::AccountId))
                    .col(string_len(RoleAssignments::Role, 32))
                    .col(uuid(RoleAssignments::RegionId))
                    .col(uuid_null(RoleAssignments::DepartmentId))
                    // "region" or the department id: NULLs are distinct in unique indexes.
                    .col(string_len(RoleAssignments::Scope, 64))
                    .col(uuid_null(RoleAssignments::GrantedBy))
                    .col(timestamp_with_time_zone(RoleAssignments::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_role_assignments_account")
                            .from(RoleAssignments::Table, RoleAssignments::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_role_assignments_grant")
                    .table(RoleAssignments::Table)
                    .col(RoleAssignments::AccountId)
                    .col(RoleAssignments::Role)
                    .col(RoleAssignments::RegionId)
                    .col(RoleAssignments::Scope)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::TokenHash, 64).primary_key())
                    .col(uuid(Sessions::AccountId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                    .col(string_len_null(Sessions::Ip, 64))
                    .col(string_len_null(Sessions::UserAgent, 256))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_account")
                            .from(Sessions::Table, Sessions::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_sessions_account")
                    .table(Sessions::Table)
                    .col(Sessions::AccountId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(string_len(LoginThrottle::Key, 128).primary_key())
                    .col(integer(LoginThrottle::Failures))
                    .col(timestamp_with_time_zone(LoginThrottle::LastFailureAt))
                    .col(timestamp_with_time_zone_null(LoginThrottle::BlockedUntil))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_integer(AuditLog::Seq).primary_key())
                    .col(uuid_uniq(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    .col(uuid_null(AuditLog::RegionId))
                    .col(uuid_null(AuditLog::ActorId))
                    .col(uuid_null(AuditLog::OnBehalfOf))
                    .col(string_len(AuditLog::Action, 64))
                    .col(text_null(AuditLog::Target))
                    .col(string_len(AuditLog::Outcome, 16))
                    .col(string_len_null(AuditLog::Ip, 64))
                    .col(json_binary(AuditLog::Detail))
                    .col(string_len(AuditLog::PrevHash, 64))
                    .col(string_len(AuditLog::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_actor")
                    .table(AuditLog::Table)
                    .col(AuditLog::ActorId)
                    .col(AuditLog::At)
                    .to_owned(),
            )
            .await?;

        // One row holding the chain's head: appending is a conditional update of this row, so
        // two writers can never fork the chain.
        manager
            .create_table(
                Table::create()
                    .table(AuditHead::Table)
                    .col(integer(AuditHead::Id).primary_key())
                    .col(big_integer(AuditHead::Seq))
                    .col(string_len(AuditHead::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(AuditHead::Table)
                    .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            Sessions::Table.into_iden(),
            RoleAssignments::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
