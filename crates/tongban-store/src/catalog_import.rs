//! Importing a catalogue document into a region: adds what is new, publishes a new version of
//! every service whose content changed, updates halls and departments in place, and never
//! deletes. One transaction: a failed import changes nothing, and a dry run rolls back after
//! computing exactly what it would have done.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use tongban_domain::catalog::{CatalogDocument, Department, Hall, Region, Service};
use tongban_domain::certificate_types::CertificateType;
use uuid::Uuid;

use crate::StoreResult;
use crate::audit::AuditRecord;
use crate::catalog::{PUBLISHED, StoredDepartment, decode, encode};
use crate::entities::{department, hall, region, service, service_version};

/// How an import is applied.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Only this department (and its services) is written; the region and halls are left alone.
    pub department: Option<String>,
    /// When the new versions take effect.
    pub effective_from: DateTime<Utc>,
    /// Recorded on every version the import publishes.
    pub change_note: String,
    /// Compute the report, then roll back.
    pub dry_run: bool,
    /// The audit entry to append (its detail is filled with the report); `None` for the demo seed.
    pub audit: Option<AuditRecord>,
}

/// What an import changed (or, in a dry run, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub region_created: bool,
    pub region_updated: bool,
    pub halls_created: Vec<String>,
    pub halls_updated: Vec<String>,
    pub departments_created: Vec<String>,
    pub departments_updated: Vec<String>,
    /// Keys of certificate types published with version 1.
    pub certificate_types_created: Vec<String>,
    /// Keys and new version numbers of certificate types whose definition changed.
    pub certificate_types_updated: Vec<(String, i32)>,
    /// Codes of services created with version 1.
    pub services_created: Vec<String>,
    /// Codes and new version numbers of services whose content changed.
    pub services_updated: Vec<(String, i32)>,
    pub services_unchanged: usize,
    /// Services that have an open draft, which the import left as it was.
    pub drafts_left_open: Vec<String>,
    /// Services in the database (within the import's scope) that the file does not mention; an
    /// import never deletes.
    pub services_not_in_file: Vec<String>,
}

impl ImportReport {
    /// Whether the import changes nothing.
    pub fn is_empty(&self) -> bool {
        !self.region_created
            && !self.region_updated
            && self.halls_created.is_empty()
            && self.halls_updated.is_empty()
            && self.departments_created.is_empty()
            && self.departments_updated.is_empty()
            && self.certificate_types_created.is_empty()
            && self.certificate_types_updated.is_empty()
            && self.services_created.is_empty()
            && self.services_updated.is_empty()
    }
}

/// Imports `doc` (already validated) into its region.
pub async fn import_document(
    db: &DatabaseConnection,
    doc: &CatalogDocument,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> StoreResult<ImportReport> {
    let txn = db.begin().await?;
    let mut report = ImportReport {
        dry_run: options.dry_run,
        ..ImportReport::default()
    };
    let whole_region = options.department.is_none();

    let parent_id = match &doc.region.parent {
        Some(code) => Some(
            region::Entity::find()
                .filter(region::Column::Code.eq(code))
                .one(&txn)
                .await?
                .ok_or_else(|| sea_orm::DbErr::RecordNotFound(format!("upper region {code}")))?
                .id,
        ),
        None => None,
    };
    let region_id = match region::Entity::find()
        .filter(region::Column::Code.eq(&doc.region.code))
        .one(&txn)
        .await?
    {
        Some(row) => {
            let id = row.id;
            if whole_region {
                let stored: Region = decode("regions", row.content.clone())?;
                if stored != doc.region || row.parent_id != parent_id {
                    let mut active = row.into_active_model();
                    active.content = Set(encode(&doc.region));
                    active.parent_id = Set(parent_id);
                    active.updated_at = Set(now);
                    active.update(&txn).await?;
                    report.region_updated = true;
                }
            }
            id
        }
        None => {
            if !whole_region {
                return Err(sea_orm::DbErr::RecordNotFound(format!(
                    "region {} (import the whole region first)",
                    doc.region.code
                ))
                .into());
            }
            let id = Uuid::now_v7();
            region::Entity::insert(region::ActiveModel {
                id: Set(id),
                code: Set(doc.region.code.clone()),
                parent_id: Set(parent_id),
                content: Set(encode(&doc.region)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
            report.region_created = true;
            id
        }
    };

    if whole_region {
        upsert_halls(&txn, region_id, &doc.halls, now, &mut report).await?;
    }
    let departments: Vec<&Department> = doc
        .departments
        .iter()
        .filter(|d| {
            options
                .department
                .as_ref()
                .is_none_or(|only| *only == d.code)
        })
        .collect();
    let department_ids =
        upsert_departments(&txn, region_id, &departments, doc, now, &mut report).await?;

    let services: Vec<(usize, &Service)> = doc
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            options
                .department
                .as_ref()
                .is_none_or(|only| *only == s.department)
        })
        .collect();
    write_services(
        &txn,
        region_id,
        &department_ids,
        &services,
        options,
        now,
        &mut report,
    )
    .await?;

    if let Some(audit) = &options.audit {
        let mut record = audit.clone();
        record.region_id = Some(region_id);
        record.detail = encode(&report);
        crate::audit::append(&txn, &record).await?;
    }
    if options.dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

async fn upsert_halls<C: ConnectionTrait>(
    txn: &C,
    region_id: Uuid,
    halls: &[Hall],
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> StoreResult<()> {
    let mut existing: HashMap<String, hall::Model> = hall::Entity::find()
        .filter(hall::Column::RegionId.eq(region_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|h| (h.code.clone(), h))
        .collect();
    for (i, h) in halls.iter().enumerate() {
        match existing.remove(&h.code) {
            Some(row) => {
                let stored: Hall = decode("halls", row.content.clone())?;
                if stored != *h || row.sort_order != i as i32 {
                    let content_changed = stored != *h;
                    let mut active = row.into_active_model();
                    active.content = Set(encode(h));
                    active.sort_order = Set(i as i32);
                    active.updated_at = Set(now);
                    active.update(txn).await?;
                    if content_changed {
                        report.halls_updated.push(h.code.clone());
                    }
                }
            }
            None => {
                hall::Entity::insert(hall::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    region_id: Set(region_id),
                    code: Set(h.code.clone()),
                    sort_order: Set(i as i32),
                    content: Set(encode(h)),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
                report.halls_created.push(h.code.clone());
            }
        }
    }
    Ok(())
}

/// Creates or updates `departments` and publishes a new version of each of their certificate
/// types in `doc` that changed. A type the file leaves out is kept, like a service.
async fn upsert_departments<C: ConnectionTrait>(
    txn: &C,
    region_id: Uuid,
    departments: &[&Department],
    doc: &CatalogDocument,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> StoreResult<HashMap<String, Uuid>> {
    let rows = department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .order_by_asc(department::Column::SortOrder)
        .all(txn)
        .await?;
    let mut ids: HashMap<String, Uuid> = rows.iter().map(|d| (d.code.clone(), d.id)).collect();
    let next_order = rows.len() as i32;
    let mut existing: HashMap<String, department::Model> =
        rows.into_iter().map(|d| (d.code.clone(), d)).collect();
    for (i, d) in departments.iter().enumerate() {
        match existing.remove(&d.code) {
            Some(row) => {
                let mut stored = StoredDepartment::decode(row.content.clone())?;
                let department_changed = stored.department != **d;
                stored.department = (*d).clone();
                let versions_before = stored.certificate_types.len();
                for certificate in doc
                    .certificate_types
                    .iter()
                    .filter(|c| c.department == d.code)
                {
                    match stored.publish_certificate_type(certificate, now) {
                        None => {}
                        Some(1) => report
                            .certificate_types_created
                            .push(certificate.key.clone()),
                        Some(version) => report
                            .certificate_types_updated
                            .push((certificate.key.clone(), version)),
                    }
                }
                if department_changed || stored.certificate_types.len() != versions_before {
                    let mut active = row.into_active_model();
                    active.content = Set(encode(&stored));
                    active.slug = Set(d.slug.clone());
                    active.updated_at = Set(now);
                    active.update(txn).await?;
                }
                if department_changed {
                    report.departments_updated.push(d.code.clone());
                }
            }
            None => {
                let id = Uuid::now_v7();
                let stored = StoredDepartment::new(d, doc, now);
                report.certificate_types_created.extend(
                    stored
                        .certificate_types
                        .iter()
                        .map(|v| v.content.key.clone()),
                );
                department::Entity::insert(department::ActiveModel {
                    id: Set(id),
                    region_id: Set(region_id),
                    code: Set(d.code.clone()),
                    slug: Set(d.slug.clone()),
                    sort_order: Set(next_order + i as i32),
                    content: Set(encode(&stored)),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
                ids.insert(d.code.clone(), id);
                report.departments_created.push(d.code.clone());
            }
        }
    }
    Ok(ids)
}

/// The newest version number, the newest published content and whether a draft is open, per
/// service id.
#[derive(Default)]
struct VersionState {
    highest: i32,
    latest_published: Option<(i32, serde_json::Value)>,
    draft_open: bool,
}

async fn write_services<C: ConnectionTrait>(
    txn: &C,
    region_id: Uuid,
    department_ids: &HashMap<String, Uuid>,
    services: &[(usize, &Service)],
    options: &ImportOptions,
    now: DateTime<Utc>,
    report: &mut ImportReport,
) -> StoreResult<()> {
    let rows = service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .all(txn)
        .await?;
    let mut states: HashMap<Uuid, VersionState> = HashMap::new();
    for v in service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .order_by_asc(service_version::Column::Version)
        .all(txn)
        .await?
    {
        let state = states.entry(v.service_id).or_default();
        state.highest = state.highest.max(v.version);
        if v.status == PUBLISHED {
            state.latest_published = Some((v.version, v.content));
        } else {
            state.draft_open = true;
        }
    }
    let mut existing: HashMap<String, service::Model> =
        rows.into_iter().map(|s| (s.code.clone(), s)).collect();
    let scope_department_id = options
        .department
        .as_ref()
        .and_then(|code| department_ids.get(code).copied());

    for &(order, s) in services {
        let Some(&department_id) = department_ids.get(&s.department) else {
            return Err(sea_orm::DbErr::RecordNotFound(format!(
                "department {} of service {}",
                s.department, s.code
            ))
            .into());
        };
        let (service_id, version) = match existing.remove(&s.code) {
            Some(row) => {
                let id = row.id;
                let state = states.remove(&id).unwrap_or_default();
                let unchanged = match &state.latest_published {
                    Some((_, content)) => {
                        decode::<Service>("service_versions", content.clone())? == *s
                    }
                    None => false,
                };
                if options.department.is_none() && row.sort_order != order as i32 {
                    let mut active = row.into_active_model();
                    active.sort_order = Set(order as i32);
                    active.update(txn).await?;
                }
                if unchanged {
                    report.services_unchanged += 1;
                    continue;
                }
                if state.draft_open {
                    report.drafts_left_open.push(s.code.clone());
                }
                (id, state.highest + 1)
            }
            None => {
                let id = Uuid::now_v7();
                service::Entity::insert(service::ActiveModel {
                    id: Set(id),
                    region_id: Set(region_id),
                    department_id: Set(department_id),
                    code: Set(s.code.clone()),
                    sort_order: Set(order as i32),
                    created_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
                (id, 1)
            }
        };
        service_version::Entity::insert(service_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            service_id: Set(service_id),
            region_id: Set(region_id),
            version: Set(version),
            status: Set(PUBLISHED.to_owned()),
            effective_from: Set(Some(options.effective_from)),
            published_at: Set(Some(now)),
            content: Set(encode(s)),
            change_note: Set(Some(options.change_note.clone())),
            created_at: Set(now),
        })
        .exec_without_returning(txn)
        .await?;
        if version == 1 {
            report.services_created.push(s.code.clone());
        } else {
            report.services_updated.push((s.code.clone(), version));
        }
    }
    let mut not_in_file: Vec<String> = existing
        .into_values()
        .filter(|row| scope_department_id.is_none_or(|d| row.department_id == d))
        .map(|row| row.code)
        .collect();
    not_in_file.sort();
    report.services_not_in_file = not_in_file;
    Ok(())
}

/// The catalogue of `region_code` as a document: the region, its halls and departments, and the
/// newest published version of every service (what an import of the same file would compare
/// against, so exporting and importing again changes nothing). With `department`, only that
/// department, its services and the halls they refer to.
pub async fn export_document<C: ConnectionTrait>(
    db: &C,
    region_code: &str,
    department: Option<&str>,
) -> StoreResult<Option<CatalogDocument>> {
    let Some(region_row) = region::Entity::find()
        .filter(region::Column::Code.eq(region_code))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let region_id = region_row.id;
    let region: Region = decode("regions", region_row.content)?;
    let halls = hall::Entity::find()
        .filter(hall::Column::RegionId.eq(region_id))
        .order_by_asc(hall::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|row| decode("halls", row.content))
        .collect::<StoreResult<Vec<Hall>>>()?;
    let stored_departments = department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .order_by_asc(department::Column::SortOrder)
        .all(db)
        .await?
        .into_iter()
        .map(|row| StoredDepartment::decode(row.content))
        .collect::<StoreResult<Vec<StoredDepartment>>>()?;
    let all_certificate_types: Vec<CertificateType> = stored_departments
        .iter()
        .flat_map(StoredDepartment::newest_certificate_types)
        .map(|v| v.content.clone())
        .collect();
    let departments: Vec<Department> = stored_departments
        .into_iter()
        .map(|d| d.department)
        .filter(|d| department.is_none_or(|only| d.code == only))
        .collect();
    let service_rows = service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .order_by_asc(service::Column::SortOrder)
        .all(db)
        .await?;
    let mut newest: HashMap<Uuid, serde_json::Value> = HashMap::new();
    for v in service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .order_by_asc(service_version::Column::Version)
        .all(db)
        .await?
    {
        newest.insert(v.service_id, v.content);
    }
    let mut services = Vec::new();
    for row in service_rows {
        if let Some(content) = newest.remove(&row.id) {
            let service: Service = decode("service_versions", content)?;
            if department.is_none_or(|only| service.department == only) {
                services.push(service);
            }
        }
    }
    let halls = match department {
        None => halls,
        Some(_) => {
            let used: std::collections::HashSet<&str> = departments
                .iter()
                .flat_map(|d| d.halls.iter())
                .chain(services.iter().flat_map(|s| s.halls.iter()))
                .map(String::as_str)
                .collect();
            halls
                .into_iter()
                .filter(|h| used.contains(h.code.as_str()))
                .collect()
        }
    };
    // A department's file carries its own types and those of other departments its services
    // name (as it carries the halls they use), so that it validates on its own; importing it
    // writes only its own.
    let certificate_types = match department {
        None => all_certificate_types,
        Some(only) => {
            let named: std::collections::HashSet<&str> = services
                .iter()
                .flat_map(|s| {
                    s.materials
                        .iter()
                        .filter_map(|m| m.certificate_type.as_deref())
                        .chain(s.issues.iter().map(|i| i.certificate.as_str()))
                })
                .collect();
            all_certificate_types
                .into_iter()
                .filter(|c| c.department == only || named.contains(c.key.as_str()))
                .collect()
        }
    };
    Ok(Some(CatalogDocument {
        schema: tongban_domain::catalog::CATALOG_SCHEMA.to_owned(),
        region,
        halls,
        departments,
        certificate_types,
        services,
        workflows: Vec::new(),
    }))
}

/// The code of region `region_id` and of its department `department_id`, when both exist (and
/// the department belongs to the region).
pub async fn codes_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Option<Uuid>,
) -> StoreResult<Option<(String, Option<String>)>> {
    let Some(region_row) = region::Entity::find_by_id(region_id).one(db).await? else {
        return Ok(None);
    };
    let department = match department_id {
        None => None,
        Some(id) => match department::Entity::find_by_id(id)
            .filter(department::Column::RegionId.eq(region_id))
            .one(db)
            .await?
        {
            Some(row) => Some(row.code),
            None => return Ok(None),
        },
    };
    Ok(Some((region_row.code, department)))
}
