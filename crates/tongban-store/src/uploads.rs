//! Storage of upload records: which account uploaded which file, in which region, for which
//! draft or case, and the SHA-256 address of its bytes in the blob store.
//!
//! Every function but [`referenced`] is region-scoped: a row of another region is reported as
//! absent. [`referenced`] looks across regions on purpose, because blobs are shared by content
//! and a blob is garbage only when no region refers to it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tongban_domain::forms::FileKind;
use uuid::Uuid;

use crate::entities::upload;
use crate::{StoreError, StoreResult};

/// An upload as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: Uuid,
    pub region_id: Uuid,
    pub owner_id: Uuid,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
    pub filename: String,
    pub created_at: DateTime<Utc>,
    pub draft_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    /// Only staff handling the case may read it.
    pub internal: bool,
}

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt {
        table: "uploads",
        source: <serde_json::Error as serde::de::Error>::custom(message),
    }
}

fn decode(row: upload::Model) -> StoreResult<UploadRow> {
    let kind = FileKind::from_key(&row.kind)
        .ok_or_else(|| corrupt(format!("upload {} has unknown kind {:?}", row.id, row.kind)))?;
    let size = u64::try_from(row.size)
        .map_err(|_| corrupt(format!("upload {} has negative size", row.id)))?;
    Ok(UploadRow {
        id: row.id,
        region_id: row.region_id,
        owner_id: row.owner_id,
        sha256: row.sha256,
        size,
        kind,
        filename: row.filename,
        created_at: row.created_at,
        draft_id: row.draft_id,
        case_id: row.case_id,
        internal: row.internal,
    })
}

/// Records an upload.
pub async fn insert<C: ConnectionTrait>(db: &C, row: &UploadRow) -> StoreResult<()> {
    insert_many(db, std::slice::from_ref(row)).await
}

/// Records many uploads in a few statements (a batch action's files, one row per case).
pub async fn insert_many<C: ConnectionTrait>(db: &C, rows: &[UploadRow]) -> StoreResult<()> {
    // Eleven columns a row; SQLite allows 32,766 bound parameters a statement.
    for chunk in rows.chunks(1_000) {
        let models = chunk
            .iter()
            .map(|row| {
                let size =
                    i64::try_from(row.size).map_err(|_| corrupt(format!("size {}", row.size)))?;
                Ok(upload::ActiveModel {
                    id: Set(row.id),
                    region_id: Set(row.region_id),
                    owner_id: Set(row.owner_id),
                    sha256: Set(row.sha256.clone()),
                    size: Set(size),
                    kind: Set(row.kind.key().to_owned()),
                    filename: Set(row.filename.clone()),
                    created_at: Set(row.created_at),
                    draft_id: Set(row.draft_id),
                    case_id: Set(row.case_id),
                    internal: Set(row.internal),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        upload::Entity::insert_many(models)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// One upload of a region; `None` when it does not exist there (whether or not it exists in
/// another region).
pub async fn by_id<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<UploadRow>> {
    upload::Entity::find_by_id(id)
        .filter(upload::Column::RegionId.eq(region_id))
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// A draft's uploads, oldest first (the order the applicant added them).
pub async fn of_draft<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    draft_id: Uuid,
) -> StoreResult<Vec<UploadRow>> {
    upload::Entity::find()
        .filter(upload::Column::RegionId.eq(region_id))
        .filter(upload::Column::DraftId.eq(draft_id))
        .order_by_asc(upload::Column::CreatedAt)
        .order_by_asc(upload::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// A case's uploads, oldest first.
pub async fn of_case<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
) -> StoreResult<Vec<UploadRow>> {
    upload::Entity::find()
        .filter(upload::Column::RegionId.eq(region_id))
        .filter(upload::Column::CaseId.eq(case_id))
        .order_by_asc(upload::Column::CreatedAt)
        .order_by_asc(upload::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// Attaches every upload of a draft that is not yet on a case to `case_id`; returns how many.
/// Meant to run inside the submission's transaction.
pub async fn attach_to_case<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    draft_id: Uuid,
    case_id: Uuid,
) -> StoreResult<u64> {
    Ok(upload::Entity::update_many()
        .col_expr(upload::Column::CaseId, Expr::value(case_id))
        .filter(upload::Column::RegionId.eq(region_id))
        .filter(upload::Column::DraftId.eq(draft_id))
        .filter(upload::Column::CaseId.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes an upload record; `false` when it is not in the region. The blob stays until the
/// garbage collector finds it unreferenced.
pub async fn delete<C: ConnectionTrait>(db: &C, region_id: Uuid, id: Uuid) -> StoreResult<bool> {
    Ok(upload::Entity::delete_many()
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::RegionId.eq(region_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Removes an upload only while it is still unattached to a case; `false` when it is not in
/// the region or already belongs to a case (a submitted application's evidence stays).
pub async fn delete_unattached<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    Ok(upload::Entity::delete_many()
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::RegionId.eq(region_id))
        .filter(upload::Column::CaseId.is_null())
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Which of `hashes` some upload of any region refers to.
pub async fn referenced<C: ConnectionTrait>(
    db: &C,
    hashes: &[String],
) -> StoreResult<HashSet<String>> {
    let mut found = HashSet::new();
    // Bounded IN lists: SQLite caps bound parameters per statement.
    for batch in hashes.chunks(500) {
        let rows: Vec<String> = upload::Entity::find()
            .select_only()
            .column(upload::Column::Sha256)
            .distinct()
            .filter(upload::Column::Sha256.is_in(batch.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}
