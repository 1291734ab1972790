//! Regions, halls, departments, services and service versions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
    Code,
    ParentId,
    Content,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Halls {
    Table,
    Id,
    RegionId,
    Code,
    SortOrder,
    Content,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    RegionId,
    Code,
    Slug,
    SortOrder,
    Content,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    RegionId,
    DepartmentId,
    Code,
    SortOrder,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ServiceVersions {
    Table,
    Id,
    ServiceId,
    RegionId,
    Version,
    Status,
    EffectiveFrom,
    PublishedAt,
    Content,
    ChangeNote,
    CreatedAt,
}

fn region_fk<T: IntoIden + 'static>(table: T, name: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("region_id"))
        .to_tbl(Regions::Table)
        .to_col(Regions::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Regions::Table)
                    .col(uuid(Regions::Id).primary_key())
                    .col(string_len_uniq(Regions::Code, 12))
                    .col(uuid_null(Regions::ParentId))
                    .col(json_binary(Regions::Content))
                    .col(timestamp_with_time_zone(Regions::CreatedAt))
                    .col(timestamp_with_time_zone(Regions::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_regions_parent")
                            .from(Regions::Table, Regions::ParentId)
                            .to(Regions::Table, Regions::Id),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Halls::Table)
                    .col(uuid(Halls::Id).primary_key())
                    .col(uuid(Halls::RegionId))
                    .col(string_len(Halls::Code, 64))
                    .col(integer(Halls::SortOrder))
                    .col(json_binary(Halls::Content))
                    .col(timestamp_with_time_zone(Halls::CreatedAt))
                    .col(timestamp_with_time_zone(Halls::UpdatedAt))
                    .foreign_key(&mut region_fk(Halls::Table, "fk_halls_region"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_halls_region_code")
                    .table(Halls::Table)
                    .col(Halls::RegionId)
                    .col(Halls::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(uuid(Departments::Id).primary_key())
                    .col(uuid(Departments::RegionId))
                    .col(string_len(Departments::Code, 8))
                    .col(string_len(Departments::Slug, 64))
                    .col(integer(Departments::SortOrder))
                    .col(json_binary(Departments::Content))
                    .col(timestamp_with_time_zone(Departments::CreatedAt))
                    .col(timestamp_with_time_zone(Departments::UpdatedAt))
                    .foreign_key(&mut region_fk(Departments::Table, "fk_departments_region"))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_departments_region_code", Departments::Code),
            ("ux_departments_region_slug", Departments::Slug),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Departments::Table)
                        .col(Departments::RegionId)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Services::Table)
                    .col(uuid(Services::Id).primary_key())
                    .col(uuid(Services::RegionId))
                    .col(uuid(Services::DepartmentId))
                    .col(string_len(Services::Code, 16))
                    .col(integer(Services::SortOrder))
                    .col(timestamp_with_time_zone(Services::CreatedAt))
                    .foreign_key(&mut region_fk(Services::Table, "fk_services_region"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_services_department")
                            .from(Services::Table, Services::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_services_region_code")
                    .table(Services::Table)
                    .col(Services::RegionId)
                    .col(Services::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServiceVersions::Table)
                    .col(uuid(ServiceVersions::Id).primary_key())
                    .col(uuid(ServiceVersions::ServiceId))
                    .col(uuid(ServiceVersions::RegionId))
                    .col(integer(ServiceVersions::Version))
                    .col(string_len(ServiceVersions::Status, 16))
                    .col(timestamp_with_time_zone_null(
                        ServiceVersions::EffectiveFrom,
                    ))
                    .col(timestamp_with_time_zone_null(ServiceVersions::PublishedAt))
                    .col(json_binary(ServiceVersions::Content))
                    .col(text_null(ServiceVersions::ChangeNote))
                    .col(timestamp_with_time_zone(ServiceVersions::CreatedAt))
                    .foreign_key(&mut region_fk(
                        ServiceVersions::Table,
                        "fk_service_versions_region",
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_versions_service")
                            .from(ServiceVersions::Table, ServiceVersions::ServiceId)
                            .to(Services::Table, Services::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_service_versions_service_version")
                    .table(ServiceVersions::Table)
                    .col(ServiceVersions::ServiceId)
                    .col(ServiceVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_service_versions_region_status")
                    .table(ServiceVersions::Table)
                    .col(ServiceVersions::RegionId)
                    .col(ServiceVersions::Status)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ServiceVersions::Table.into_iden(),
            Services::Table.into_iden(),
            Departments::Table.into_iden(),
            Halls::Table.into_iden(),
            Regions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
