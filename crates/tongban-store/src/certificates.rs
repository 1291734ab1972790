//! Storage of e-certificates: departments' signing keys, status lists and issued certificates.
//!
//! Every function takes the region and filters on it, except [`status_list_by_id`] and
//! [`published_keys`] with `None`, which serve the public endpoints a verifier calls (a status
//! list and the keys are public by design). Status lists change only by a conditional update
//! on their `version`: [`take_status_slots`] and [`save_status_bits`] report `false` when
//! another writer got there first, and the caller retries on fresh data.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::StoreResult;
use crate::entities::{certificate, certificate_key, status_list};

pub use certificate::Model as CertificateRow;
pub use certificate_key::Model as KeyRow;
pub use status_list::Model as StatusListRow;

/// A certificate's state in its own table (the status list mirrors it for verifiers).
pub const STATUS_VALID: &str = "valid";
pub const STATUS_REVOKED: &str = "revoked";

pub async fn insert_key<C: ConnectionTrait>(db: &C, row: KeyRow) -> StoreResult<()> {
    certificate_key::Entity::insert(certificate_key::ActiveModel::from(row).reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The key a department signs with now: its newest key not retired.
pub async fn signing_key<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
) -> StoreResult<Option<KeyRow>> {
    Ok(certificate_key::Entity::find()
        .filter(certificate_key::Column::RegionId.eq(region_id))
        .filter(certificate_key::Column::DepartmentId.eq(department_id))
        .filter(certificate_key::Column::RetiredAt.is_null())
        .order_by_desc(certificate_key::Column::CreatedAt)
        .order_by_desc(certificate_key::Column::Id)
        .one(db)
        .await?)
}

/// Every key of a region (or of one department), retired ones included: they verify what
/// they signed. Oldest first.
pub async fn published_keys<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Option<Uuid>,
) -> StoreResult<Vec<KeyRow>> {
    let mut query =
        certificate_key::Entity::find().filter(certificate_key::Column::RegionId.eq(region_id));
    if let Some(department_id) = department_id {
        query = query.filter(certificate_key::Column::DepartmentId.eq(department_id));
    }
    Ok(query
        .order_by_asc(certificate_key::Column::CreatedAt)
        .order_by_asc(certificate_key::Column::Id)
        .all(db)
        .await?)
}

/// Stops a department's current keys from signing; returns how many were retired.
pub async fn retire_keys<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(certificate_key::Entity::update_many()
        .col_expr(certificate_key::Column::RetiredAt, Expr::value(at))
        .filter(certificate_key::Column::RegionId.eq(region_id))
        .filter(certificate_key::Column::DepartmentId.eq(department_id))
        .filter(certificate_key::Column::RetiredAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn insert_status_list<C: ConnectionTrait>(db: &C, row: StatusListRow) -> StoreResult<()> {
    status_list::Entity::insert(status_list::ActiveModel::from(row).reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The department's newest status list that still has a free slot.
pub async fn open_status_list<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Uuid,
) -> StoreResult<Option<StatusListRow>> {
    Ok(status_list::Entity::find()
        .filter(status_list::Column::RegionId.eq(region_id))
        .filter(status_list::Column::DepartmentId.eq(department_id))
        .filter(Expr::col(status_list::Column::NextIndex).lt(Expr::col(status_list::Column::Size)))
        .order_by_desc(status_list::Column::CreatedAt)
        .order_by_desc(status_list::Column::Id)
        .one(db)
        .await?)
}

/// A status list by id, in any region: status lists are public.
pub async fn status_list_by_id<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> StoreResult<Option<StatusListRow>> {
    Ok(status_list::Entity::find_by_id(id).one(db).await?)
}

/// Takes `count` slots from a list seen at `version` with `next_index`; `false` when the list
/// changed meanwhile or has no room.
pub async fn take_status_slots<C: ConnectionTrait>(
    db: &C,
    list: &StatusListRow,
    count: i64,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    if list.next_index + count > list.size {
        return Ok(false);
    }
    Ok(status_list::Entity::update_many()
        .col_expr(
            status_list::Column::NextIndex,
            Expr::value(list.next_index + count),
        )
        .col_expr(status_list::Column::Version, Expr::value(list.version + 1))
        .col_expr(status_list::Column::UpdatedAt, Expr::value(at))
        .filter(status_list::Column::Id.eq(list.id))
        .filter(status_list::Column::Version.eq(list.version))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Writes a list's bits, when it is still at `version`; `false` when someone changed it.
pub async fn save_status_bits<C: ConnectionTrait>(
    db: &C,
    list: &StatusListRow,
    bytes_b64: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(status_list::Entity::update_many()
        .col_expr(status_list::Column::Bytes, Expr::value(bytes_b64))
        .col_expr(status_list::Column::Version, Expr::value(list.version + 1))
        .col_expr(status_list::Column::UpdatedAt, Expr::value(at))
        .filter(status_list::Column::Id.eq(list.id))
        .filter(status_list::Column::Version.eq(list.version))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Records issued certificates.
pub async fn insert_certificates<C: ConnectionTrait>(
    db: &C,
    rows: &[CertificateRow],
) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        certificate::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(|row| certificate::ActiveModel::from(row).reset_all())
                .collect::<Vec<_>>(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

pub async fn certificate_by_id<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<CertificateRow>> {
    Ok(certificate::Entity::find_by_id(id)
        .filter(certificate::Column::RegionId.eq(region_id))
        .one(db)
        .await?)
}

/// A holder's certificates, newest first.
pub async fn of_holder<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    account_id: Uuid,
) -> StoreResult<Vec<CertificateRow>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::RegionId.eq(region_id))
        .filter(certificate::Column::HolderAccountId.eq(account_id))
        .order_by_desc(certificate::Column::IssuedAt)
        .order_by_desc(certificate::Column::Id)
        .all(db)
        .await?)
}

/// The certificates a case issued.
pub async fn of_case<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
) -> StoreResult<Vec<CertificateRow>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::RegionId.eq(region_id))
        .filter(certificate::Column::CaseId.eq(case_id))
        .order_by_asc(certificate::Column::IssuedAt)
        .all(db)
        .await?)
}

/// Marks a valid certificate revoked; `false` when it was not valid (already revoked).
pub async fn mark_revoked<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    by: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(certificate::Entity::update_many()
        .col_expr(certificate::Column::Status, Expr::value(STATUS_REVOKED))
        .col_expr(certificate::Column::RevokedAt, Expr::value(at))
        .col_expr(certificate::Column::RevokedBy, Expr::value(by))
        .col_expr(certificate::Column::RevokeReason, Expr::value(reason))
        .filter(certificate::Column::RegionId.eq(region_id))
        .filter(certificate::Column::Id.eq(id))
        .filter(certificate::Column::Status.eq(STATUS_VALID))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}
