//! Storage of the service catalogue: loading what is published for the public snapshot and
//! writing catalogue documents (the demo region, imports) without ever duplicating a record.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde::de::DeserializeOwned;
use tongban_domain::catalog::{CatalogDocument, Department, Hall, Region, Service};
use tongban_domain::certificate_types::CertificateType;
use uuid::Uuid;

use crate::entities::{department, hall, region, service, service_version};
use crate::{StoreError, StoreResult};

/// Status of a service version that is live (or will be from its effective date).
pub const PUBLISHED: &str = "published";

/// A region's catalogue as the public sees it at one moment.
#[derive(Debug, Clone)]
pub struct PublishedCatalog {
    pub region_id: Uuid,
    pub region: Region,
    pub halls: Vec<Hall>,
    pub departments: Vec<Department>,
    /// Database ids of the departments, by department code.
    pub department_ids: HashMap<String, Uuid>,
    /// The newest version of every certificate type of the region's departments (and of
    /// upper regions, for the services they share).
    pub certificate_types: Vec<CertificateType>,
    pub services: Vec<PublishedService>,
}

/// The version of a service in force.
#[derive(Debug, Clone)]
pub struct PublishedService {
    pub id: Uuid,
    pub version: i32,
    pub effective_from: Option<DateTime<Utc>>,
    pub service: Service,
}

/// What writing a catalogue document changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertReport {
    pub region_created: bool,
    pub halls_created: usize,
    pub departments_created: usize,
    pub services_created: usize,
}

impl InsertReport {
    pub fn is_empty(&self) -> bool {
        *self == InsertReport::default()
    }
}

/// What a department row's `content` holds: the department as catalogue files write it, and
/// every version of the certificate types it issues. Certificate types live here rather than
/// in tables of their own (ADRs 0003 and 0007): they are few per department, always read with
/// the catalogue, and owned by the department whose key signs them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredDepartment {
    // `Department` denies unknown fields, which serde cannot enforce through `flatten`; the
    // document is only ever written by this crate.
    #[serde(flatten)]
    pub department: Department,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificate_types: Vec<CertificateTypeVersion>,
}

/// One version of a certificate type. Like a service version, a published version never
/// changes: an import that changes a type appends the next version, so the definition a
/// certificate was issued under stays readable.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CertificateTypeVersion {
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub content: CertificateType,
}

impl StoredDepartment {
    /// A new department of `doc` with version 1 of each certificate type it issues there.
    pub(crate) fn new(
        department: &Department,
        doc: &CatalogDocument,
        now: DateTime<Utc>,
    ) -> StoredDepartment {
        let mut stored = StoredDepartment {
            department: department.clone(),
            certificate_types: Vec::new(),
        };
        for certificate in doc
            .certificate_types
            .iter()
            .filter(|c| c.department == department.code)
        {
            stored.publish_certificate_type(certificate, now);
        }
        stored
    }

    pub(crate) fn decode(json: serde_json::Value) -> StoreResult<StoredDepartment> {
        decode("departments", json)
    }

    /// The newest version of each certificate type, in the order the types first appeared.
    pub(crate) fn newest_certificate_types(&self) -> Vec<&CertificateTypeVersion> {
        let mut newest: Vec<&CertificateTypeVersion> = Vec::new();
        for version in &self.certificate_types {
            match newest
                .iter_mut()
                .find(|v| v.content.key == version.content.key)
            {
                Some(slot) if slot.version < version.version => *slot = version,
                Some(_) => {}
                None => newest.push(version),
            }
        }
        newest
    }

    /// Publishes `certificate` as the next version of its key unless the newest version is
    /// the same; returns the version number written.
    pub(crate) fn publish_certificate_type(
        &mut self,
        certificate: &CertificateType,
        now: DateTime<Utc>,
    ) -> Option<i32> {
        let newest = self
            .newest_certificate_types()
            .into_iter()
            .find(|v| v.content.key == certificate.key)
            .map(|v| (v.version, v.content == *certificate));
        let version = match newest {
            Some((_, true)) => return None,
            Some((version, false)) => version + 1,
            None => 1,
        };
        self.certificate_types.push(CertificateTypeVersion {
            version,
            published_at: now,
            content: certificate.clone(),
        });
        Some(version)
    }
}

/// Reads a stored catalogue document; a document that no longer fits its type is `Corrupt`.
pub(crate) fn decode<T: DeserializeOwned>(
    table: &'static str,
    json: serde_json::Value,
) -> StoreResult<T> {
    serde_json::from_value(json).map_err(|source| StoreError::Corrupt { table, source })
}

pub(crate) fn encode<T: serde::Serialize>(value: &T) -> serde_json::Value {
    // Serialising our own plain data types cannot fail.
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Codes of every top-level region, in the order they were created.
pub async fn root_region_codes(db: &DatabaseConnection) -> StoreResult<Vec<String>> {
    Ok(region::Entity::find()
        .filter(region::Column::ParentId.is_null())
        .order_by_asc(region::Column::CreatedAt)
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.code)
        .collect())
}

/// Loads the catalogue of the region `region_code` as published at `now`: for each service the
/// highest published version whose effective date has come, then the services that upper regions
/// share, with this region's overrides of their halls and contact. `None` if the region is unknown.
pub async fn load_published(
    db: &DatabaseConnection,
    region_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<PublishedCatalog>> {
    let Some(region_row) = region::Entity::find()
        .filter(region::Column::Code.eq(region_code))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let region_id = region_row.id;
    let region: Region = decode("regions", region_row.content)?;
    let own = load_region_parts(db, region_id, now).await?;
    let mut catalog = PublishedCatalog {
        region_id,
        region,
        halls: own.halls,
        department_ids: own
            .departments
            .iter()
            .map(|(id, d)| (d.code.clone(), *id))
            .collect(),
        departments: own.departments.into_iter().map(|(_, d)| d).collect(),
        certificate_types: own.certificate_types,
        services: own.services,
    };

    // Upper regions, nearest first; a cycle or a missing row ends the walk.
    let mut parent_id = region_row.parent_id;
    let mut seen = HashSet::from([region_id]);
    while let Some(upper_id) = parent_id.filter(|id| seen.insert(*id)) {
        let Some(upper_row) = region::Entity::find_by_id(upper_id).one(db).await? else {
            break;
        };
        parent_id = upper_row.parent_id;
        let upper = load_region_parts(db, upper_id, now).await?;
        inherit(&mut catalog, upper);
    }
    Ok(Some(catalog))
}

/// A published version with its guide as JSON text.
#[derive(Debug, sea_orm::FromQueryResult)]
struct VersionText {
    service_id: Uuid,
    version: i32,
    effective_from: Option<DateTime<Utc>>,
    content_text: String,
}

/// One region's own halls, departments (with ids) and services in force.
struct RegionParts {
    halls: Vec<Hall>,
    departments: Vec<(Uuid, Department)>,
    certificate_types: Vec<CertificateType>,
    services: Vec<PublishedService>,
}

async fn load_region_parts(
    db: &DatabaseConnection,
    region_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<RegionParts> {
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
        .map(|row| Ok((row.id, StoredDepartment::decode(row.content)?)))
        .collect::<StoreResult<Vec<(Uuid, StoredDepartment)>>>()?;
    let certificate_types = stored_departments
        .iter()
        .flat_map(|(_, d)| d.newest_certificate_types())
        .map(|v| v.content.clone())
        .collect();
    let departments = stored_departments
        .into_iter()
        .map(|(id, d)| (id, d.department))
        .collect();

    let service_rows = service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .order_by_asc(service::Column::SortOrder)
        .all(db)
        .await?;
    // The guides are read as JSON text and decoded straight into services: going through
    // `serde_json::Value` trees first cost several times the catalogue's size at every load.
    let versions = service_version::Entity::find()
        .select_only()
        .column(service_version::Column::ServiceId)
        .column(service_version::Column::Version)
        .column(service_version::Column::EffectiveFrom)
        .column_as(
            sea_orm::sea_query::Expr::cust("CAST(content AS TEXT)"),
            "content_text",
        )
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .order_by_desc(service_version::Column::Version)
        .into_model::<VersionText>()
        .all(db)
        .await?;
    let mut in_force: HashMap<Uuid, VersionText> = HashMap::new();
    for version in versions {
        let effective = version.effective_from.is_none_or(|from| from <= now);
        if effective && !in_force.contains_key(&version.service_id) {
            in_force.insert(version.service_id, version);
        }
    }
    let mut services = Vec::with_capacity(service_rows.len());
    for row in service_rows {
        if let Some(version) = in_force.remove(&row.id) {
            let service = serde_json::from_str(&version.content_text).map_err(|source| {
                StoreError::Corrupt {
                    table: "service_versions",
                    source,
                }
            })?;
            services.push(PublishedService {
                id: row.id,
                version: version.version,
                effective_from: version.effective_from,
                service,
            });
        }
    }
    Ok(RegionParts {
        halls,
        departments,
        certificate_types,
        services,
    })
}

/// Adds the services `upper` shares to `catalog`, with the lower region's overrides applied.
/// An inherited service is listed under the lower region's department of the same code when
/// there is one (the local office handles it), else under the upper region's department, which
/// then appears in the catalogue too, with the halls it names.
fn inherit(catalog: &mut PublishedCatalog, upper: RegionParts) {
    let own_codes: HashSet<String> = catalog
        .services
        .iter()
        .map(|s| s.service.code.clone())
        .collect();
    let mut needed_halls: Vec<String> = Vec::new();
    for mut shared in upper.services.into_iter().filter(|s| s.service.shared) {
        if own_codes.contains(&shared.service.code) {
            continue;
        }
        if let Some(local) = catalog
            .region
            .overrides
            .iter()
            .find(|o| o.service == shared.service.code)
        {
            if !local.halls.is_empty() {
                shared.service.halls = local.halls.clone();
            }
            if let Some(contact) = &local.contact {
                shared.service.contact = contact.clone();
            }
        }
        if !catalog
            .department_ids
            .contains_key(&shared.service.department)
            && let Some((id, department)) = upper
                .departments
                .iter()
                .find(|(_, d)| d.code == shared.service.department)
        {
            catalog.department_ids.insert(department.code.clone(), *id);
            catalog.departments.push(department.clone());
            needed_halls.extend(department.halls.iter().cloned());
        }
        needed_halls.extend(shared.service.halls.iter().cloned());
        catalog.services.push(shared);
    }
    // A shared service's certificates are the upper region's, unless this region defines a
    // type of the same key itself.
    for certificate in upper.certificate_types {
        if !catalog
            .certificate_types
            .iter()
            .any(|c| c.key == certificate.key)
        {
            catalog.certificate_types.push(certificate);
        }
    }
    for hall in upper.halls {
        if needed_halls.contains(&hall.code) && !catalog.halls.iter().any(|h| h.code == hall.code) {
            catalog.halls.push(hall);
        }
    }
}

/// Writes the records of `doc` that do not exist yet, in one transaction, and leaves existing
/// ones untouched (administrators may have edited them). New services get a published version 1
/// effective at `now`. Unique keys make a concurrent second writer insert nothing twice.
pub async fn insert_missing(
    db: &DatabaseConnection,
    doc: &CatalogDocument,
    now: DateTime<Utc>,
) -> StoreResult<InsertReport> {
    let txn = db.begin().await?;
    let mut report = InsertReport::default();

    let existing_region = region::Entity::find()
        .filter(region::Column::Code.eq(&doc.region.code))
        .one(&txn)
        .await?;
    let region_id = match existing_region {
        Some(row) => row.id,
        None => {
            region::Entity::insert(region::ActiveModel {
                id: Set(Uuid::now_v7()),
                code: Set(doc.region.code.clone()),
                parent_id: Set(None),
                content: Set(encode(&doc.region)),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .on_conflict(
                OnConflict::column(region::Column::Code)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            report.region_created = true;
            region::Entity::find()
                .filter(region::Column::Code.eq(&doc.region.code))
                .one(&txn)
                .await?
                .ok_or_else(|| sea_orm::DbErr::RecordNotFound(doc.region.code.clone()))?
                .id
        }
    };

    let hall_rows: Vec<hall::ActiveModel> = doc
        .halls
        .iter()
        .enumerate()
        .map(|(i, h)| hall::ActiveModel {
            id: Set(Uuid::now_v7()),
            region_id: Set(region_id),
            code: Set(h.code.clone()),
            sort_order: Set(i as i32),
            content: Set(encode(h)),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if !hall_rows.is_empty() {
        report.halls_created = hall::Entity::insert_many(hall_rows)
            .on_conflict(
                OnConflict::columns([hall::Column::RegionId, hall::Column::Code])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await? as usize;
    }

    let department_rows: Vec<department::ActiveModel> = doc
        .departments
        .iter()
        .enumerate()
        .map(|(i, d)| department::ActiveModel {
            id: Set(Uuid::now_v7()),
            region_id: Set(region_id),
            code: Set(d.code.clone()),
            slug: Set(d.slug.clone()),
            sort_order: Set(i as i32),
            content: Set(encode(&StoredDepartment::new(d, doc, now))),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    if !department_rows.is_empty() {
        report.departments_created = department::Entity::insert_many(department_rows)
            .on_conflict(
                OnConflict::columns([department::Column::RegionId, department::Column::Code])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await? as usize;
    }
    let department_ids: HashMap<String, Uuid> = department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|d| (d.code, d.id))
        .collect();

    let existing_services: HashSet<String> = service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    let mut service_rows = Vec::new();
    let mut version_rows = Vec::new();
    for (i, s) in doc.services.iter().enumerate() {
        if existing_services.contains(&s.code) {
            continue;
        }
        let Some(&department_id) = department_ids.get(&s.department) else {
            return Err(sea_orm::DbErr::RecordNotFound(format!(
                "department {} of service {}",
                s.department, s.code
            ))
            .into());
        };
        let service_id = Uuid::now_v7();
        service_rows.push(service::ActiveModel {
            id: Set(service_id),
            region_id: Set(region_id),
            department_id: Set(department_id),
            code: Set(s.code.clone()),
            sort_order: Set(i as i32),
            created_at: Set(now),
        });
        version_rows.push(service_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            service_id: Set(service_id),
            region_id: Set(region_id),
            version: Set(1),
            status: Set(PUBLISHED.to_owned()),
            effective_from: Set(Some(now)),
            published_at: Set(Some(now)),
            content: Set(encode(s)),
            change_note: Set(Some("initial import".to_owned())),
            created_at: Set(now),
        });
    }
    if !service_rows.is_empty() {
        report.services_created = service::Entity::insert_many(service_rows)
            .exec_without_returning(&txn)
            .await? as usize;
        service_version::Entity::insert_many(version_rows)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(report)
}

/// Counts rows per catalogue table in a region, for tests and `tongban seed` reports.
pub async fn count_rows<C: ConnectionTrait>(db: &C, region_code: &str) -> StoreResult<[u64; 4]> {
    use sea_orm::PaginatorTrait;
    let Some(region_row) = region::Entity::find()
        .filter(region::Column::Code.eq(region_code))
        .one(db)
        .await?
    else {
        return Ok([0; 4]);
    };
    let id = region_row.id;
    Ok([
        hall::Entity::find()
            .filter(hall::Column::RegionId.eq(id))
            .count(db)
            .await?,
        department::Entity::find()
            .filter(department::Column::RegionId.eq(id))
            .count(db)
            .await?,
        service::Entity::find()
            .filter(service::Column::RegionId.eq(id))
            .count(db)
            .await?,
        service_version::Entity::find()
            .filter(service_version::Column::RegionId.eq(id))
            .count(db)
            .await?,
    ])
}

/// The id of the region `code`.
pub async fn region_id<C: ConnectionTrait>(db: &C, code: &str) -> StoreResult<Option<Uuid>> {
    Ok(region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await?
        .map(|r| r.id))
}

/// Department ids of a region by department code.
pub async fn department_ids<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<HashMap<String, Uuid>> {
    Ok(department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code, d.id))
        .collect())
}

/// The newest version of every certificate type the departments of region `region_id` issue.
pub async fn certificate_types<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Vec<CertificateType>> {
    let mut types = Vec::new();
    for row in department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .order_by_asc(department::Column::SortOrder)
        .all(db)
        .await?
    {
        let stored = StoredDepartment::decode(row.content)?;
        types.extend(
            stored
                .newest_certificate_types()
                .into_iter()
                .map(|v| v.content.clone()),
        );
    }
    Ok(types)
}

/// Every version of the certificate type `key` of region `region_id`, oldest first: what a
/// certificate issued under an earlier version is shown and checked against.
pub async fn certificate_type_versions<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    key: &str,
) -> StoreResult<Vec<CertificateTypeVersion>> {
    let mut versions = Vec::new();
    for row in department::Entity::find()
        .filter(department::Column::RegionId.eq(region_id))
        .all(db)
        .await?
    {
        let stored = StoredDepartment::decode(row.content)?;
        versions.extend(
            stored
                .certificate_types
                .into_iter()
                .filter(|v| v.content.key == key),
        );
    }
    versions.sort_by_key(|v| v.version);
    Ok(versions)
}

/// The region document of `code`, without the rest of its catalogue.
pub async fn region<C: ConnectionTrait>(db: &C, code: &str) -> StoreResult<Option<Region>> {
    match region::Entity::find()
        .filter(region::Column::Code.eq(code))
        .one(db)
        .await?
    {
        Some(row) => Ok(Some(decode("regions", row.content)?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn department() -> Department {
        serde_json::from_value(serde_json::json!({
            "code": "WJ", "slug": "health", "name": "市卫生健康委员会"
        }))
        .unwrap()
    }

    fn certificate() -> CertificateType {
        serde_json::from_value(serde_json::json!({
            "key": "health-certificate",
            "name": "健康证明",
            "department": "WJ",
            "fields": [{ "key": "holder_name", "label": "姓名", "type": "text" }],
            "validity": { "years": 1 }
        }))
        .unwrap()
    }

    #[test]
    fn documents_stored_before_certificate_types_still_read() {
        let old = encode(&department());
        let stored = StoredDepartment::decode(old.clone()).unwrap();
        assert_eq!(stored.department, department());
        assert!(stored.certificate_types.is_empty());
        // Without types, the document is written exactly as before.
        assert_eq!(encode(&stored), old);
    }

    #[test]
    fn a_changed_type_gets_the_next_version_and_the_old_one_stays() {
        let t1 = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let t2 = Utc.with_ymd_and_hms(2026, 12, 2, 8, 0, 0).unwrap();
        let mut stored = StoredDepartment {
            department: department(),
            certificate_types: Vec::new(),
        };
        assert_eq!(stored.publish_certificate_type(&certificate(), t1), Some(1));
        assert_eq!(stored.publish_certificate_type(&certificate(), t2), None);
        let mut longer = certificate();
        longer.validity = tongban_domain::certificate_types::Validity::Years(2);
        assert_eq!(stored.publish_certificate_type(&longer, t2), Some(2));

        let back = StoredDepartment::decode(encode(&stored)).unwrap();
        assert_eq!(back, stored);
        let newest = back.newest_certificate_types();
        assert_eq!(newest.len(), 1);
        assert_eq!((newest[0].version, &newest[0].content), (2, &longer));
        assert_eq!(back.certificate_types[0].content, certificate());
        assert_eq!(back.certificate_types[0].published_at, t1);
        // A department document with types is not a plain `Department`, which refuses them:
        // every reader must go through `StoredDepartment`.
        assert!(serde_json::from_value::<Department>(encode(&stored)).is_err());
    }
}
