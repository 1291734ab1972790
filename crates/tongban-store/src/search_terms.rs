//! Storage of the search vocabulary: synonym groups per region, and queries that found nothing.
//!
//! A group's terms live twice: as the JSON array the administrator wrote (order kept, shown and
//! handed to the index) and as one `search_synonym_terms` row per folded term, whose primary key
//! (region, term) refuses a term that another group of the region already holds. Callers run
//! the writes inside their transaction, with the audit entry of the change.
//!
//! Unmet queries are written in batches, one multi-row INSERT per batch (on SQLite each
//! statement costs about 50 µs of driver overhead, so one row per statement would not keep up
//! with a busy search box), and read back aggregated.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Order};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use uuid::Uuid;

use crate::entities::{search_miss, search_synonym, search_synonym_term};
use crate::{StoreError, StoreResult};

/// A synonym group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymRow {
    pub id: Uuid,
    pub region_id: Uuid,
    pub terms: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<Uuid>,
}

/// The form of a term that uniqueness compares: Latin letters fold to lower case, so
/// `ID card` and `id card` are one term. Callers pass terms already trimmed and normalised.
pub fn term_key(term: &str) -> String {
    term.to_lowercase()
}

fn decode(row: search_synonym::Model) -> StoreResult<SynonymRow> {
    let terms: Vec<String> =
        serde_json::from_value(row.terms).map_err(|source| StoreError::Corrupt {
            table: "search_synonyms",
            source,
        })?;
    Ok(SynonymRow {
        id: row.id,
        region_id: row.region_id,
        terms,
        created_at: row.created_at,
        updated_at: row.updated_at,
        updated_by: row.updated_by,
    })
}

/// A region's groups, oldest first (the order administrators added them).
pub async fn groups_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Vec<SynonymRow>> {
    search_synonym::Entity::find()
        .filter(search_synonym::Column::RegionId.eq(region_id))
        .order_by_asc(search_synonym::Column::CreatedAt)
        .order_by_asc(search_synonym::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(decode)
        .collect()
}

/// One group of a region; `None` when it does not exist there (whether or not it exists in
/// another region).
pub async fn group<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<SynonymRow>> {
    search_synonym::Entity::find_by_id(id)
        .filter(search_synonym::Column::RegionId.eq(region_id))
        .one(db)
        .await?
        .map(decode)
        .transpose()
}

/// Which group of the region holds each of `keys` (folded terms), for those held at all.
pub async fn holders<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    keys: &[String],
) -> StoreResult<Vec<(String, Uuid)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Ok(search_synonym_term::Entity::find()
        .filter(search_synonym_term::Column::RegionId.eq(region_id))
        .filter(search_synonym_term::Column::TermKey.is_in(keys.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.term_key, row.synonym_id))
        .collect())
}

/// Maps a unique violation to [`StoreError::Duplicate`], the answer callers act on.
fn duplicate_or(error: sea_orm::DbErr) -> StoreError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Duplicate(detail),
        _ => error.into(),
    }
}

async fn insert_terms<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    terms: &[String],
) -> StoreResult<()> {
    if terms.is_empty() {
        return Ok(());
    }
    let rows = terms.iter().map(|term| search_synonym_term::ActiveModel {
        region_id: Set(region_id),
        term_key: Set(term_key(term)),
        synonym_id: Set(id),
    });
    search_synonym_term::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(duplicate_or)?;
    Ok(())
}

/// Adds a group. A term another group of the region holds (or a term twice) is
/// [`StoreError::Duplicate`]; on PostgreSQL the transaction is then unusable and must be
/// dropped.
pub async fn insert_group<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    terms: &[String],
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    search_synonym::Entity::insert(search_synonym::ActiveModel {
        id: Set(id),
        region_id: Set(region_id),
        terms: Set(serde_json::json!(terms)),
        created_at: Set(now),
        updated_at: Set(now),
        updated_by: Set(by),
    })
    .exec_without_returning(db)
    .await?;
    insert_terms(db, region_id, id, terms).await
}

/// Replaces a group's terms; `false` when the group is not in the region. Duplicates as for
/// [`insert_group`].
pub async fn replace_terms<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
    terms: &[String],
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = search_synonym::Entity::update_many()
        .col_expr(
            search_synonym::Column::Terms,
            Expr::value(serde_json::json!(terms)),
        )
        .col_expr(search_synonym::Column::UpdatedAt, Expr::value(now))
        .col_expr(search_synonym::Column::UpdatedBy, Expr::value(by))
        .filter(search_synonym::Column::Id.eq(id))
        .filter(search_synonym::Column::RegionId.eq(region_id))
        .exec(db)
        .await?
        .rows_affected;
    if updated == 0 {
        return Ok(false);
    }
    search_synonym_term::Entity::delete_many()
        .filter(search_synonym_term::Column::SynonymId.eq(id))
        .exec(db)
        .await?;
    insert_terms(db, region_id, id, terms).await?;
    Ok(true)
}

/// Removes a group (its term rows go with it); `false` when it is not in the region.
pub async fn delete_group<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    id: Uuid,
) -> StoreResult<bool> {
    // The term rows are removed explicitly rather than left to the cascade, so the outcome
    // does not depend on SQLite's foreign-key pragma.
    search_synonym_term::Entity::delete_many()
        .filter(search_synonym_term::Column::SynonymId.eq(id))
        .filter(search_synonym_term::Column::RegionId.eq(region_id))
        .exec(db)
        .await?;
    Ok(search_synonym::Entity::delete_many()
        .filter(search_synonym::Column::Id.eq(id))
        .filter(search_synonym::Column::RegionId.eq(region_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// A query that found nothing, ready to store (already stripped of anything personal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMiss {
    pub query: String,
    pub locale: String,
    pub occurred_at: DateTime<Utc>,
}

/// Writes a batch of misses of one region in a single statement; returns the rows written.
pub async fn insert_misses<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    misses: &[NewMiss],
) -> StoreResult<u64> {
    if misses.is_empty() {
        return Ok(0);
    }
    let rows = misses.iter().map(|miss| search_miss::ActiveModel {
        id: Set(Uuid::now_v7()),
        region_id: Set(region_id),
        query: Set(miss.query.clone()),
        locale: Set(miss.locale.clone()),
        occurred_at: Set(miss.occurred_at),
    });
    search_miss::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(misses.len() as u64)
}

/// How often one query went unanswered in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissCount {
    pub query: String,
    pub locale: String,
    pub count: i64,
    pub last_seen: DateTime<Utc>,
}

/// The region's unmet queries since `since`, by query and language, most frequent first (ties:
/// most recently seen first, then alphabetical).
pub async fn top_misses<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    since: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<MissCount>> {
    let rows: Vec<(String, String, i64, DateTime<Utc>)> = search_miss::Entity::find()
        .select_only()
        .column(search_miss::Column::Query)
        .column(search_miss::Column::Locale)
        .column_as(search_miss::Column::Id.count(), "hits")
        .column_as(search_miss::Column::OccurredAt.max(), "last_seen")
        .filter(search_miss::Column::RegionId.eq(region_id))
        .filter(search_miss::Column::OccurredAt.gte(since))
        .group_by(search_miss::Column::Query)
        .group_by(search_miss::Column::Locale)
        .order_by(Expr::col(Alias::new("hits")), Order::Desc)
        .order_by(Expr::col(Alias::new("last_seen")), Order::Desc)
        .order_by_asc(search_miss::Column::Query)
        .order_by_asc(search_miss::Column::Locale)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(query, locale, count, last_seen)| MissCount {
            query,
            locale,
            count,
            last_seen,
        })
        .collect())
}
