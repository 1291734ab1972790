//! E-certificates (电子证照): the departments' signing keys, the status lists that publish
//! revocations, and the certificates issued.
//!
//! - `certificate_keys`: one row per key of an issuing department; the secret half sealed with
//!   the field cipher. A rotated key stops signing (`retired_at`) but stays published so that
//!   what it signed still verifies.
//! - `status_lists`: an IETF Token Status List per department, stored as its raw bit string
//!   (base64) with the next free index. `version` makes every change a conditional update, so
//!   two revocations or two issuances at once cannot overwrite each other.
//! - `certificates`: what was issued to whom, from which case, its place in a status list, and
//!   the SD-JWT itself sealed with the field cipher (it holds personal data), and the random
//!   code of its verification QR code.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CertificateKeys {
    Table,
    Id,
    RegionId,
    DepartmentId,
    Kid,
    Alg,
    PublicJwk,
    SecretSealed,
    CreatedAt,
    RetiredAt,
}

#[derive(DeriveIden)]
enum StatusLists {
    Table,
    Id,
    RegionId,
    DepartmentId,
    Bits,
    Size,
    NextIndex,
    Bytes,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    RegionId,
    TypeKey,
    DepartmentId,
    HolderAccountId,
    HolderEnterpriseId,
    CaseId,
    StatusListId,
    StatusIndex,
    Status,
    IssuedAt,
    ExpiresAt,
    TokenSealed,
    CheckCode,
    Summary,
    RevokedAt,
    RevokedBy,
    RevokeReason,
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
                    .table(CertificateKeys::Table)
                    .col(uuid(CertificateKeys::Id).primary_key())
                    .col(uuid(CertificateKeys::RegionId))
                    .col(uuid(CertificateKeys::DepartmentId))
                    .col(string_len(CertificateKeys::Kid, 64).unique_key())
                    .col(string_len(CertificateKeys::Alg, 16))
                    .col(text(CertificateKeys::PublicJwk))
                    .col(text(CertificateKeys::SecretSealed))
                    .col(timestamp_with_time_zone(CertificateKeys::CreatedAt))
                    .col(timestamp_with_time_zone_null(CertificateKeys::RetiredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_keys_region")
                            .from(CertificateKeys::Table, CertificateKeys::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificate_keys_department")
                    .table(CertificateKeys::Table)
                    .col(CertificateKeys::RegionId)
                    .col(CertificateKeys::DepartmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StatusLists::Table)
                    .col(uuid(StatusLists::Id).primary_key())
                    .col(uuid(StatusLists::RegionId))
                    .col(uuid(StatusLists::DepartmentId))
                    .col(small_integer(StatusLists::Bits))
                    .col(big_integer(StatusLists::Size))
                    .col(big_integer(StatusLists::NextIndex))
                    .col(text(StatusLists::Bytes))
                    .col(integer(StatusLists::Version).default(0))
                    .col(timestamp_with_time_zone(StatusLists::CreatedAt))
                    .col(timestamp_with_time_zone(StatusLists::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_status_lists_region")
                            .from(StatusLists::Table, StatusLists::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_status_lists_department")
                    .table(StatusLists::Table)
                    .col(StatusLists::RegionId)
                    .col(StatusLists::DepartmentId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(uuid(Certificates::Id).primary_key())
                    .col(uuid(Certificates::RegionId))
                    .col(string_len(Certificates::TypeKey, 64))
                    .col(uuid(Certificates::DepartmentId))
                    .col(uuid(Certificates::HolderAccountId))
                    .col(uuid_null(Certificates::HolderEnterpriseId))
                    .col(uuid_null(Certificates::CaseId))
                    .col(uuid(Certificates::StatusListId))
                    .col(big_integer(Certificates::StatusIndex))
                    .col(string_len(Certificates::Status, 16))
                    .col(timestamp_with_time_zone(Certificates::IssuedAt))
                    .col(timestamp_with_time_zone_null(Certificates::ExpiresAt))
                    .col(text(Certificates::TokenSealed))
                    // The secret half of the printed QR code's address: whoever holds the
                    // paper (or the holder's screen) may check it, nobody can enumerate.
                    .col(string_len(Certificates::CheckCode, 32))
                    // Non-personal facts for lists (the type's name, the document number).
                    .col(text(Certificates::Summary))
                    .col(timestamp_with_time_zone_null(Certificates::RevokedAt))
                    .col(uuid_null(Certificates::RevokedBy))
                    .col(text_null(Certificates::RevokeReason))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificates_region")
                            .from(Certificates::Table, Certificates::RegionId)
                            .to(Regions::Table, Regions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_certificates_status_slot")
                    .table(Certificates::Table)
                    .col(Certificates::StatusListId)
                    .col(Certificates::StatusIndex)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_holder")
                    .table(Certificates::Table)
                    .col(Certificates::RegionId)
                    .col(Certificates::HolderAccountId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_certificates_case")
                    .table(Certificates::Table)
                    .col(Certificates::RegionId)
                    .col(Certificates::CaseId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Certificates::Table.into_iden(),
            StatusLists::Table.into_iden(),
            CertificateKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
