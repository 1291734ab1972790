//! Once-only sharing of e-certificates between departments.
//!
//! - `shared_certificates`: what an applicant shared with a case (the consent): which of their
//!   certificates, the fields they agreed the department may see, whether they picked it from
//!   their wallet or let the platform fetch it, and the presentation itself: the SD-JWT with
//!   only those fields' disclosures, which the department verifies rather than trusts.
//! - `exchange_log`: the evidence log (after X-Road's message log): one entry per access to
//!   another department's data, chained by SHA-256 like the audit trail, and each entry's hash
//!   signed by the requesting department's key (`seal`), so an entry cannot be altered,
//!   removed or forged without detection. `exchange_log_head` holds the chain's end; its row
//!   lock serialises appenders.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SharedCertificates {
    Table,
    Id,
    RegionId,
    CaseId,
    FieldKey,
    CertificateId,
    TypeKey,
    IssuerDepartmentId,
    ReceiverDepartmentId,
    HolderAccountId,
    Source,
    Fields,
    Presentation,
    ConsentedAt,
}

#[derive(DeriveIden)]
enum ExchangeLog {
    Table,
    Seq,
    Id,
    At,
    RegionId,
    HolderAccountId,
    RequesterDepartmentId,
    IssuerDepartmentId,
    CaseId,
    CertificateId,
    TypeKey,
    Purpose,
    Fields,
    ConsentId,
    Channel,
    ClientId,
    PrevHash,
    Hash,
    Seal,
}

#[derive(DeriveIden)]
enum ExchangeLogHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SharedCertificates::Table)
                    .col(uuid(SharedCertificates::Id).primary_key())
                    .col(uuid(SharedCertificates::RegionId))
                    .col(uuid(SharedCertificates::CaseId))
                    .col(string_len(SharedCertificates::FieldKey, 64))
                    .col(uuid(SharedCertificates::CertificateId))
                    .col(string_len(SharedCertificates::TypeKey, 64))
                    .col(uuid(SharedCertificates::IssuerDepartmentId))
                    .col(uuid(SharedCertificates::ReceiverDepartmentId))
                    .col(uuid(SharedCertificates::HolderAccountId))
                    // `wallet` or `fetch`.
                    .col(string_len(SharedCertificates::Source, 16))
                    // JSON array of the disclosed field keys.
                    .col(text(SharedCertificates::Fields))
                    // Sealed with the field cipher: it carries personal data.
                    .col(text(SharedCertificates::Presentation))
                    .col(timestamp_with_time_zone(SharedCertificates::ConsentedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shared_certificates_case")
                            .from(SharedCertificates::Table, SharedCertificates::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shared_certificates_case")
                    .table(SharedCertificates::Table)
                    .col(SharedCertificates::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExchangeLog::Table)
                    .col(big_integer(ExchangeLog::Seq).primary_key())
                    .col(uuid(ExchangeLog::Id).unique_key())
                    .col(timestamp_with_time_zone(ExchangeLog::At))
                    .col(uuid(ExchangeLog::RegionId))
                    .col(uuid(ExchangeLog::HolderAccountId))
                    .col(uuid(ExchangeLog::RequesterDepartmentId))
                    .col(uuid(ExchangeLog::IssuerDepartmentId))
                    .col(uuid_null(ExchangeLog::CaseId))
                    .col(uuid(ExchangeLog::CertificateId))
                    .col(string_len(ExchangeLog::TypeKey, 64))
                    .col(text(ExchangeLog::Purpose))
                    .col(text(ExchangeLog::Fields))
                    .col(uuid_null(ExchangeLog::ConsentId))
                    // `application` (shared with a case) or `api` (the exchange API).
                    .col(string_len(ExchangeLog::Channel, 16))
                    .col(string_len_null(ExchangeLog::ClientId, 128))
                    .col(string_len(ExchangeLog::PrevHash, 64))
                    .col(string_len(ExchangeLog::Hash, 64))
                    .col(text(ExchangeLog::Seal))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_exchange_log_holder")
                    .table(ExchangeLog::Table)
                    .col(ExchangeLog::RegionId)
                    .col(ExchangeLog::HolderAccountId)
                    .col(ExchangeLog::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExchangeLogHead::Table)
                    .col(integer(ExchangeLogHead::Id).primary_key())
                    .col(big_integer(ExchangeLogHead::Seq))
                    .col(string_len(ExchangeLogHead::Hash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ExchangeLogHead::Table)
                    .columns([
                        ExchangeLogHead::Id,
                        ExchangeLogHead::Seq,
                        ExchangeLogHead::Hash,
                    ])
                    .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ExchangeLogHead::Table.into_iden(),
            ExchangeLog::Table.into_iden(),
            SharedCertificates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
