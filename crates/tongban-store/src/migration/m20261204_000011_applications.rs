//! Online applications: drafts being filled in, submitted cases with their first task, and the
//! per-region daily counters behind tracking numbers.
//!
//! `cases.submission_key` is unique so that a retried submission (double click, browser retry,
//! an API client repeating its `Idempotency-Key`) can never become a second case, whichever
//! writer gets there second. Input-derived text (keys, pages, answers) is `text`, not a bounded
//! `varchar`, so an unusually long value cannot fail a whole batch on PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApplicationDrafts {
    Table,
    Id,
    RegionId,
    ServiceCode,
    ServiceVersion,
    ApplicantId,
    EnterpriseId,
    EnteredBy,
    Channel,
    Answers,
    CurrentPage,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    RemindedAt,
    Revision,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    RegionId,
    TrackingNumber,
    ServiceCode,
    ServiceVersion,
    DepartmentId,
    ApplicantId,
    EnterpriseId,
    EnteredBy,
    Channel,
    Answers,
    Status,
    SubmissionKey,
    RequestDigest,
    SubmittedAt,
    ApplicantPhoneLast4,
}

#[derive(DeriveIden)]
enum CaseTasks {
    Table,
    Id,
    CaseId,
    RegionId,
    DepartmentId,
    Stage,
    Role,
    Status,
    CreatedAt,
    DueAt,
}

#[derive(DeriveIden)]
enum TrackingCounters {
    Table,
    RegionId,
    Day,
    LastValue,
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
                    .table(ApplicationDrafts::Table)
                    .col(uuid(ApplicationDrafts::Id).primary_key())
                    .col(uuid(ApplicationDrafts::RegionId))
                    .col(string_len(ApplicationDrafts::ServiceCode, 64))
                    .col(integer(ApplicationDrafts::ServiceVersion))
                    .col(uuid(ApplicationDrafts::ApplicantId))
                    .col(uuid_null(ApplicationDrafts::EnterpriseId))
                    .col(uuid(ApplicationDrafts::EnteredBy))
                    .col(string_len(ApplicationDrafts::Channel, 16))
                    .col(text(ApplicationDrafts::Answers))
                    .col(text(ApplicationDrafts::CurrentPage))
                    .col(timestamp_with_time_zone(ApplicationDrafts::CreatedAt))
                    .col(timestamp_with_time_zone(ApplicationDrafts::UpdatedAt))
                    .col(timestamp_with_time_zone(ApplicationDrafts::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApplicationDrafts::RemindedAt))
                    .col(integer(ApplicationDrafts::Revision))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_application_drafts_region")
                            .from(ApplicationDrafts::Table, ApplicationDrafts::RegionId)
                            .to(Regions::Table, Regions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_application_drafts_applicant")
                    .table(ApplicationDrafts::Table)
                    .col(ApplicationDrafts::RegionId)
                    .col(ApplicationDrafts::ApplicantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_application_drafts_expires")
                    .table(ApplicationDrafts::Table)
                    .col(ApplicationDrafts::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(uuid(Cases::Id).primary_key())
                    .col(uuid(Cases::RegionId))
                    .col(string_len(Cases::TrackingNumber, 32).unique_key())
                    .col(string_len(Cases::ServiceCode, 64))
                    .col(integer(Cases::ServiceVersion))
                    .col(uuid(Cases::DepartmentId))
                    .col(uuid(Cases::ApplicantId))
                    .col(uuid_null(Cases::EnterpriseId))
                    .col(uuid(Cases::EnteredBy))
                    .col(string_len(Cases::Channel, 16))
                    .col(text(Cases::Answers))
                    .col(string_len(Cases::Status, 32))
                    .col(text(Cases::SubmissionKey).unique_key())
                    .col(string_len(Cases::RequestDigest, 64))
                    .col(timestamp_with_time_zone(Cases::SubmittedAt))
                    .col(text_null(Cases::ApplicantPhoneLast4))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_cases_region")
                            .from(Cases::Table, Cases::RegionId)
                            .to(Regions::Table, Regions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_applicant")
                    .table(Cases::Table)
                    .col(Cases::RegionId)
                    .col(Cases::ApplicantId)
                    .col(Cases::SubmittedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_department_status")
                    .table(Cases::Table)
                    .col(Cases::RegionId)
                    .col(Cases::DepartmentId)
                    .col(Cases::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseTasks::Table)
                    .col(uuid(CaseTasks::Id).primary_key())
                    .col(uuid(CaseTasks::CaseId))
                    .col(uuid(CaseTasks::RegionId))
                    .col(uuid(CaseTasks::DepartmentId))
                    .col(string_len(CaseTasks::Stage, 32))
                    .col(string_len(CaseTasks::Role, 32))
                    .col(string_len(CaseTasks::Status, 16))
                    .col(timestamp_with_time_zone(CaseTasks::CreatedAt))
                    .col(timestamp_with_time_zone_null(CaseTasks::DueAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_tasks_case")
                            .from(CaseTasks::Table, CaseTasks::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_tasks_case")
                    .table(CaseTasks::Table)
                    .col(CaseTasks::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_tasks_queue")
                    .table(CaseTasks::Table)
                    .col(CaseTasks::RegionId)
                    .col(CaseTasks::DepartmentId)
                    .col(CaseTasks::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrackingCounters::Table)
                    .col(uuid(TrackingCounters::RegionId))
                    .col(string_len(TrackingCounters::Day, 8))
                    .col(big_integer(TrackingCounters::LastValue))
                    .primary_key(
                        Index::create()
                            .col(TrackingCounters::RegionId)
                            .col(TrackingCounters::Day),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TrackingCounters::Table.into_iden(),
            CaseTasks::Table.into_iden(),
            Cases::Table.into_iden(),
            ApplicationDrafts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
