//! Versions of a service as administrators edit them: one open draft per service, published
//! versions that never change again, and the history of both.
//!
//! A draft is a `service_versions` row with status `draft` and version 0; publishing gives it
//! the next number and makes it immutable. Every write here filters on the region and, for a
//! change of content, on `status = 'draft'`, so a published version is refused by the store
//! itself ([`VersionError::Immutable`]), whatever the caller checked before.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, SqlErr,
};
use tongban_domain::catalog::Service;
use uuid::Uuid;

use crate::catalog::{PUBLISHED, decode, encode};
use crate::entities::{service, service_version, service_version_author};
use crate::{StoreError, StoreResult};

/// Status of a version still being edited.
pub const DRAFT: &str = "draft";

/// Why a version change was refused.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// The version is published (or no longer a draft): it can never be changed or deleted.
    #[error("version {0} is published and cannot be changed")]
    Immutable(Uuid),
    #[error("no such version")]
    NotFound,
    /// The service already has an open draft.
    #[error("the service already has a draft")]
    DraftExists,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for VersionError {
    fn from(error: sea_orm::DbErr) -> Self {
        VersionError::Store(error.into())
    }
}

/// A version (draft or published) with its authorship.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub id: Uuid,
    pub service_id: Uuid,
    /// 0 for a draft.
    pub version: i32,
    pub status: String,
    pub effective_from: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub content: Service,
    pub change_note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub based_on: Option<i32>,
    pub edited_by: Option<Uuid>,
    pub edited_at: Option<DateTime<Utc>>,
    pub published_by: Option<Uuid>,
}

impl VersionRow {
    pub fn is_draft(&self) -> bool {
        self.status == DRAFT
    }

    /// When this version last changed: published, else last saved, else created.
    pub fn changed_at(&self) -> DateTime<Utc> {
        self.published_at
            .or(self.edited_at)
            .unwrap_or(self.created_at)
    }
}

fn row(
    model: service_version::Model,
    author: Option<&service_version_author::Model>,
) -> StoreResult<VersionRow> {
    Ok(VersionRow {
        id: model.id,
        service_id: model.service_id,
        version: model.version,
        status: model.status,
        effective_from: model.effective_from,
        published_at: model.published_at,
        content: decode("service_versions", model.content)?,
        change_note: model.change_note,
        created_at: model.created_at,
        based_on: author.and_then(|a| a.based_on),
        edited_by: author.and_then(|a| a.edited_by),
        edited_at: author.map(|a| a.edited_at),
        published_by: author.and_then(|a| a.published_by),
    })
}

/// The service `code` of a region.
pub async fn service_by_code<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    code: &str,
) -> StoreResult<Option<service::Model>> {
    Ok(service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .filter(service::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// The services of a department, in catalogue order.
pub async fn services_of_department<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
) -> StoreResult<Vec<service::Model>> {
    Ok(service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .filter(service::Column::DepartmentId.eq(department_id))
        .order_by_asc(service::Column::SortOrder)
        .order_by_asc(service::Column::Code)
        .all(db)
        .await?)
}

async fn authors<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> StoreResult<HashMap<Uuid, service_version_author::Model>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(service_version_author::Entity::find()
        .filter(service_version_author::Column::RegionId.eq(region_id))
        .filter(service_version_author::Column::VersionId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.version_id, a))
        .collect())
}

/// Every version of the given services (drafts included), newest first per service.
pub async fn versions_of_services<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_ids: &[Uuid],
) -> StoreResult<Vec<VersionRow>> {
    if service_ids.is_empty() {
        return Ok(Vec::new());
    }
    let models = service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::ServiceId.is_in(service_ids.iter().copied()))
        .order_by_desc(service_version::Column::Version)
        .all(db)
        .await?;
    let authors = authors(db, region_id, models.iter().map(|m| m.id)).await?;
    // The draft (version 0) first, then published versions from the newest.
    let (drafts, published): (Vec<_>, Vec<_>) = models.into_iter().partition(|m| m.status == DRAFT);
    drafts
        .into_iter()
        .chain(published)
        .map(|m| {
            let author = authors.get(&m.id);
            row(m, author)
        })
        .collect()
}

/// Every version of one service: its draft first, then published versions from the newest.
pub async fn versions_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
) -> StoreResult<Vec<VersionRow>> {
    versions_of_services(db, region_id, &[service_id]).await
}

/// The open draft of a service.
pub async fn draft_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
) -> StoreResult<Option<VersionRow>> {
    let Some(model) = service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::ServiceId.eq(service_id))
        .filter(service_version::Column::Status.eq(DRAFT))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let authors = authors(db, region_id, [model.id]).await?;
    let author = authors.get(&model.id);
    Ok(Some(row(model, author)?))
}

/// Published version `version` of a service.
pub async fn published_version<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
    version: i32,
) -> StoreResult<Option<VersionRow>> {
    let Some(model) = service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::ServiceId.eq(service_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .filter(service_version::Column::Version.eq(version))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let authors = authors(db, region_id, [model.id]).await?;
    let author = authors.get(&model.id);
    Ok(Some(row(model, author)?))
}

/// The published version that came after `version`, if any (it superseded `version`).
pub async fn successor<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
    version: i32,
) -> StoreResult<Option<VersionRow>> {
    let Some(model) = service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::ServiceId.eq(service_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .filter(service_version::Column::Version.gt(version))
        .order_by_asc(service_version::Column::Version)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(row(model, None)?))
}

/// Opens a draft of a service with `content`. A second draft of the same service is refused
/// by the database's partial unique index ([`VersionError::DraftExists`]), so two concurrent
/// requests never leave two drafts.
pub async fn open_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
    content: &Service,
    based_on: Option<i32>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, VersionError> {
    let id = Uuid::now_v7();
    let inserted = service_version::Entity::insert(service_version::ActiveModel {
        id: Set(id),
        service_id: Set(service_id),
        region_id: Set(region_id),
        version: Set(0),
        status: Set(DRAFT.to_owned()),
        effective_from: Set(None),
        published_at: Set(None),
        content: Set(encode(content)),
        change_note: Set(None),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await;
    if let Err(error) = inserted {
        return Err(match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => VersionError::DraftExists,
            _ => error.into(),
        });
    }
    service_version_author::Entity::insert(service_version_author::ActiveModel {
        version_id: Set(id),
        region_id: Set(region_id),
        based_on: Set(based_on),
        edited_by: Set(Some(by)),
        edited_at: Set(now),
        published_by: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Whether the version `id` of the region is a draft; otherwise why not.
async fn must_be_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> Result<(), VersionError> {
    let found = service_version::Entity::find_by_id(id)
        .filter(service_version::Column::RegionId.eq(region_id))
        .one(db)
        .await?;
    match found {
        None => Err(VersionError::NotFound),
        Some(m) if m.status != DRAFT => Err(VersionError::Immutable(id)),
        Some(_) => Ok(()),
    }
}

/// Replaces the content of draft `id`. A published version is refused.
pub async fn save_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    content: &Service,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), VersionError> {
    let updated = service_version::Entity::update_many()
        .col_expr(
            service_version::Column::Content,
            Expr::value(encode(content)),
        )
        .filter(service_version::Column::Id.eq(id))
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(DRAFT))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(must_be_draft(db, region_id, id)
            .await
            .err()
            .unwrap_or(VersionError::NotFound));
    }
    touch(db, region_id, id, by, now).await
}

async fn touch<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<(), VersionError> {
    service_version_author::Entity::update_many()
        .col_expr(service_version_author::Column::EditedBy, Expr::value(by))
        .col_expr(service_version_author::Column::EditedAt, Expr::value(now))
        .filter(service_version_author::Column::VersionId.eq(id))
        .filter(service_version_author::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes draft `id`. A published version is refused: versions in force or superseded stay
/// readable for the cases made under them.
pub async fn discard_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> Result<(), VersionError> {
    must_be_draft(db, region_id, id).await?;
    service_version_author::Entity::delete_many()
        .filter(service_version_author::Column::VersionId.eq(id))
        .filter(service_version_author::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    let deleted = service_version::Entity::delete_many()
        .filter(service_version::Column::Id.eq(id))
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(DRAFT))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(VersionError::Immutable(id));
    }
    Ok(())
}

/// Publishes draft `id` as the service's next version (highest number + 1), effective from
/// `effective_from`. Returns the number. The conditional update refuses anything but a draft;
/// the unique (service, version) index refuses a number taken by a concurrent publication.
#[allow(clippy::too_many_arguments)]
pub async fn publish_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
    id: Uuid,
    effective_from: DateTime<Utc>,
    change_note: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<i32, VersionError> {
    let highest = service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::ServiceId.eq(service_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .order_by_desc(service_version::Column::Version)
        .one(db)
        .await?
        .map_or(0, |m| m.version);
    let next = highest + 1;
    let updated = service_version::Entity::update_many()
        .col_expr(service_version::Column::Status, Expr::value(PUBLISHED))
        .col_expr(service_version::Column::Version, Expr::value(next))
        .col_expr(
            service_version::Column::EffectiveFrom,
            Expr::value(Some(effective_from)),
        )
        .col_expr(service_version::Column::PublishedAt, Expr::value(Some(now)))
        .col_expr(
            service_version::Column::ChangeNote,
            Expr::value(Some(change_note.to_owned())),
        )
        .filter(service_version::Column::Id.eq(id))
        .filter(service_version::Column::ServiceId.eq(service_id))
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(DRAFT))
        .exec(db)
        .await;
    let updated = match updated {
        Ok(updated) => updated,
        Err(error) => {
            return Err(match error.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(detail)) => {
                    VersionError::Store(StoreError::Duplicate(detail))
                }
                _ => error.into(),
            });
        }
    };
    if updated.rows_affected == 0 {
        return Err(must_be_draft(db, region_id, id)
            .await
            .err()
            .unwrap_or(VersionError::NotFound));
    }
    service_version_author::Entity::update_many()
        .col_expr(service_version_author::Column::PublishedBy, Expr::value(by))
        .filter(service_version_author::Column::VersionId.eq(id))
        .filter(service_version_author::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(next)
}

/// Adds a new service to a department with the next free code (department prefix and a
/// four-digit sequence), without any version yet. The unique (region, code) index refuses a
/// code taken by a concurrent creation ([`StoreError::Duplicate`]).
pub async fn create_service<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
    department_code: &str,
    now: DateTime<Utc>,
) -> StoreResult<(Uuid, String)> {
    let existing = service::Entity::find()
        .filter(service::Column::RegionId.eq(region_id))
        .all(db)
        .await?;
    let highest = existing
        .iter()
        .filter_map(|s| s.code.strip_prefix(department_code))
        .filter(|seq| seq.len() == 4)
        .filter_map(|seq| seq.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    if highest >= 9999 {
        return Err(StoreError::Duplicate(format!(
            "department {department_code} has no free service code"
        )));
    }
    let code = format!("{department_code}{:04}", highest + 1);
    let sort_order = existing.iter().map(|s| s.sort_order).max().unwrap_or(0) + 1;
    let id = Uuid::now_v7();
    let inserted = service::Entity::insert(service::ActiveModel {
        id: Set(id),
        region_id: Set(region_id),
        department_id: Set(department_id),
        code: Set(code.clone()),
        sort_order: Set(sort_order),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => Ok((id, code)),
        Err(error) => match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => Err(StoreError::Duplicate(detail)),
            _ => Err(error.into()),
        },
    }
}

/// Whether a published version of the region became effective after `since` and by `until`:
/// the cheap question a ticker asks once a minute to know the snapshot must be rebuilt.
pub async fn became_effective<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(service_version::Entity::find()
        .filter(service_version::Column::RegionId.eq(region_id))
        .filter(service_version::Column::Status.eq(PUBLISHED))
        .filter(service_version::Column::EffectiveFrom.gt(since))
        .filter(service_version::Column::EffectiveFrom.lte(until))
        .count(db)
        .await?
        > 0)
}

/// Codes of the region's halls, for checking the halls a service names.
pub async fn hall_codes<C: ConnectionTrait>(db: &C, region_id: Uuid) -> StoreResult<Vec<String>> {
    Ok(crate::entities::hall::Entity::find()
        .filter(crate::entities::hall::Column::RegionId.eq(region_id))
        .all(db)
        .await?
        .into_iter()
        .map(|h| h.code)
        .collect())
}

/// The region a service belongs to, by the region's code (for the public version pages).
pub async fn region_and_service<C: ConnectionTrait>(
    db: &C,
    region_code: &str,
    service_code: &str,
) -> StoreResult<Option<(Uuid, service::Model)>> {
    let Some(region_id) = crate::catalog::region_id(db, region_code).await? else {
        return Ok(None);
    };
    Ok(service_by_code(db, region_id, service_code)
        .await?
        .map(|s| (region_id, s)))
}

/// The time zone of a region (its catalogue document's `timezone`).
pub async fn region_timezone<C: ConnectionTrait>(db: &C, region_id: Uuid) -> StoreResult<String> {
    let row = crate::entities::region::Entity::find_by_id(region_id)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound(region_id.to_string()))?;
    let region: tongban_domain::catalog::Region =
        serde_json::from_value(row.content).map_err(|source| StoreError::Corrupt {
            table: "regions",
            source,
        })?;
    Ok(region.timezone)
}

/// Takes the write lock of a service for the rest of the transaction: a row lock on
/// PostgreSQL, the database's write lock on SQLite. It must be the transaction's first
/// statement, so that on SQLite the transaction's snapshot starts after the lock is held and
/// what it reads next cannot be stale. Concurrent editing actions on one service queue here.
pub async fn lock_service<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    service_id: Uuid,
) -> StoreResult<()> {
    service::Entity::update_many()
        .col_expr(
            service::Column::SortOrder,
            Expr::col(service::Column::SortOrder),
        )
        .filter(service::Column::Id.eq(service_id))
        .filter(service::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes the write lock of a department, as [`lock_service`] does for a service: creations of
/// services in one department queue here, so each gets the next free code.
pub async fn lock_department<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
) -> StoreResult<()> {
    use crate::entities::department;
    department::Entity::update_many()
        .col_expr(
            department::Column::SortOrder,
            Expr::col(department::Column::SortOrder),
        )
        .filter(department::Column::Id.eq(department_id))
        .filter(department::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(())
}
