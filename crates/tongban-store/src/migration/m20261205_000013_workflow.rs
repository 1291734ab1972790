//! Case handling: where each case stands in its workflow (with a version for optimistic
//! concurrency and its computed deadlines), who has claimed its tasks, its timeline, the legal
//! notices issued, deadline alerts, the lockout of the public progress lookup, and the calendar
//! fingerprint that tells when open deadlines must be recomputed.
//!
//! Deadlines and the task's service, applicant kind and case deadline are copied onto
//! `case_tasks` so that a department's inbox (100,000 cases) is one index range scan in
//! deadline order, never a sort of the whole department.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    RegionId,
    State,
    WorkflowState,
    Version,
    DueOn,
    StatutoryDueOn,
    StageDueOn,
    Outcome,
    ClosedAt,
}

#[derive(DeriveIden)]
enum CaseTasks {
    Table,
    RegionId,
    Role,
    CreatedAt,
    DepartmentId,
    Status,
    AssigneeId,
    ClaimedAt,
    Decision,
    ServiceCode,
    ApplicantKind,
    DueOn,
    CaseId,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    RegionId,
    At,
    ActorId,
    ActorName,
    Kind,
    Action,
    FromState,
    ToState,
    Comment,
    Visibility,
    Detail,
}

#[derive(DeriveIden)]
enum CaseDocuments {
    Table,
    Id,
    CaseId,
    RegionId,
    DepartmentId,
    Kind,
    Number,
    IssuedOn,
    Content,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NoticeCounters {
    Table,
    DepartmentId,
    Year,
    LastValue,
}

#[derive(DeriveIden)]
enum CaseAlerts {
    Table,
    Id,
    CaseId,
    RegionId,
    DepartmentId,
    Kind,
    DueOn,
    RaisedAt,
}

#[derive(DeriveIden)]
enum ProgressLookups {
    Table,
    TrackingNumber,
    Failures,
    LockedUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CalendarMarks {
    Table,
    RegionId,
    Fingerprint,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        let case_columns = [
            string_len(Cases::State, 64).default("").to_owned(),
            text_null(Cases::WorkflowState).to_owned(),
            integer(Cases::Version).default(0).to_owned(),
            date_null(Cases::DueOn).to_owned(),
            date_null(Cases::StatutoryDueOn).to_owned(),
            date_null(Cases::StageDueOn).to_owned(),
            string_len_null(Cases::Outcome, 32).to_owned(),
            timestamp_with_time_zone_null(Cases::ClosedAt).to_owned(),
        ];
        for mut column in case_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let task_columns = [
            uuid_null(CaseTasks::AssigneeId).to_owned(),
            timestamp_with_time_zone_null(CaseTasks::ClaimedAt).to_owned(),
            string_len_null(CaseTasks::Decision, 16).to_owned(),
            string_len(CaseTasks::ServiceCode, 64)
                .default("")
                .to_owned(),
            string_len(CaseTasks::ApplicantKind, 16)
                .default("person")
                .to_owned(),
            date_null(CaseTasks::DueOn).to_owned(),
        ];
        for mut column in task_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(CaseTasks::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        // Cases filed before workflows existed: in progress, their tasks findable by service.
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE cases SET status = 'open' WHERE status = 'submitted'")
            .await?;
        db.execute_unprepared(
            "UPDATE case_tasks SET service_code = \
             (SELECT cases.service_code FROM cases WHERE cases.id = case_tasks.case_id)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE case_tasks SET applicant_kind = 'enterprise' WHERE case_id IN \
             (SELECT id FROM cases WHERE enterprise_id IS NOT NULL)",
        )
        .await?;

        // An inbox is one range of this index per (department, role) the person holds, already
        // in deadline order, and its count is a scan of the same range.
        manager
            .create_index(
                Index::create()
                    .name("ix_case_tasks_inbox")
                    .table(CaseTasks::Table)
                    .col(CaseTasks::RegionId)
                    .col(CaseTasks::DepartmentId)
                    .col(CaseTasks::Role)
                    .col(CaseTasks::Status)
                    .col(CaseTasks::DueOn)
                    .col(CaseTasks::CaseId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_tasks_newest")
                    .table(CaseTasks::Table)
                    .col(CaseTasks::RegionId)
                    .col(CaseTasks::DepartmentId)
                    .col(CaseTasks::Role)
                    .col(CaseTasks::Status)
                    .col(CaseTasks::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_cases_open_due")
                    .table(Cases::Table)
                    .col(Cases::RegionId)
                    .col(Cases::ClosedAt)
                    .col(Cases::DueOn)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseEvents::Table)
                    .col(uuid(CaseEvents::Id).primary_key())
                    .col(uuid(CaseEvents::CaseId))
                    .col(uuid(CaseEvents::RegionId))
                    .col(timestamp_with_time_zone(CaseEvents::At))
                    .col(uuid_null(CaseEvents::ActorId))
                    .col(text(CaseEvents::ActorName))
                    .col(string_len(CaseEvents::Kind, 16))
                    .col(text_null(CaseEvents::Action))
                    .col(text_null(CaseEvents::FromState))
                    .col(text_null(CaseEvents::ToState))
                    .col(text_null(CaseEvents::Comment))
                    .col(string_len(CaseEvents::Visibility, 16))
                    .col(text(CaseEvents::Detail))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_events_case")
                            .from(CaseEvents::Table, CaseEvents::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_events_case")
                    .table(CaseEvents::Table)
                    .col(CaseEvents::CaseId)
                    .col(CaseEvents::At)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseDocuments::Table)
                    .col(uuid(CaseDocuments::Id).primary_key())
                    .col(uuid(CaseDocuments::CaseId))
                    .col(uuid(CaseDocuments::RegionId))
                    .col(uuid(CaseDocuments::DepartmentId))
                    .col(string_len(CaseDocuments::Kind, 32))
                    .col(text(CaseDocuments::Number))
                    .col(date(CaseDocuments::IssuedOn))
                    .col(text(CaseDocuments::Content))
                    .col(timestamp_with_time_zone(CaseDocuments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_documents_case")
                            .from(CaseDocuments::Table, CaseDocuments::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_documents_case")
                    .table(CaseDocuments::Table)
                    .col(CaseDocuments::CaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(NoticeCounters::Table)
                    .col(uuid(NoticeCounters::DepartmentId))
                    .col(integer(NoticeCounters::Year))
                    .col(big_integer(NoticeCounters::LastValue))
                    .primary_key(
                        Index::create()
                            .col(NoticeCounters::DepartmentId)
                            .col(NoticeCounters::Year),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseAlerts::Table)
                    .col(uuid(CaseAlerts::Id).primary_key())
                    .col(uuid(CaseAlerts::CaseId))
                    .col(uuid(CaseAlerts::RegionId))
                    .col(uuid(CaseAlerts::DepartmentId))
                    .col(string_len(CaseAlerts::Kind, 16))
                    .col(date(CaseAlerts::DueOn))
                    .col(timestamp_with_time_zone(CaseAlerts::RaisedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_case_alerts_case")
                            .from(CaseAlerts::Table, CaseAlerts::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One alert of each kind per deadline: a rescan never repeats it.
        manager
            .create_index(
                Index::create()
                    .name("ux_case_alerts_once")
                    .table(CaseAlerts::Table)
                    .col(CaseAlerts::CaseId)
                    .col(CaseAlerts::Kind)
                    .col(CaseAlerts::DueOn)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_case_alerts_department")
                    .table(CaseAlerts::Table)
                    .col(CaseAlerts::RegionId)
                    .col(CaseAlerts::DepartmentId)
                    .col(CaseAlerts::RaisedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ProgressLookups::Table)
                    .col(string_len(ProgressLookups::TrackingNumber, 32).primary_key())
                    .col(integer(ProgressLookups::Failures))
                    .col(timestamp_with_time_zone_null(ProgressLookups::LockedUntil))
                    .col(timestamp_with_time_zone(ProgressLookups::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarMarks::Table)
                    .col(uuid(CalendarMarks::RegionId).primary_key())
                    .col(text(CalendarMarks::Fingerprint))
                    .col(timestamp_with_time_zone(CalendarMarks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CalendarMarks::Table.into_iden(),
            ProgressLookups::Table.into_iden(),
            CaseAlerts::Table.into_iden(),
            NoticeCounters::Table.into_iden(),
            CaseDocuments::Table.into_iden(),
            CaseEvents::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(Index::drop().name("ix_cases_open_due").to_owned())
            .await?;
        for index in ["ix_case_tasks_newest", "ix_case_tasks_inbox"] {
            manager
                .drop_index(Index::drop().name(index).to_owned())
                .await?;
        }
        Ok(())
    }
}
