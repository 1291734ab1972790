//! The tamper-evident audit trail: an append-only log whose entries are chained by SHA-256.
//!
//! Appending first takes the write lock of the single `audit_head` row, so concurrent writers
//! serialise instead of forking the chain, and the head moves in the same transaction as the
//! entry, so a crash leaves neither. [`verify_chain`] recomputes every hash.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::StoreResult;
use crate::entities::{audit_entry, audit_head};

/// What happened, for one audit entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub region_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    /// The person or enterprise the actor acted for, when not themselves.
    pub on_behalf_of: Option<Uuid>,
    /// A stable dotted name, e.g. `identity.login`.
    pub action: String,
    pub target: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    pub ip: Option<String>,
    /// Extra facts; never personal identifiers in clear.
    pub detail: serde_json::Value,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn entry_hash(prev: &str, seq: i64, id: Uuid, record: &AuditRecord) -> String {
    let mut hasher = Sha256::new();
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for part in [
        prev.to_owned(),
        seq.to_string(),
        id.to_string(),
        record
            .at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        opt(record.region_id),
        opt(record.actor_id),
        opt(record.on_behalf_of),
        record.action.clone(),
        record.target.clone().unwrap_or_default(),
        record.outcome.clone(),
        record.ip.clone().unwrap_or_default(),
        // serde_json's map is ordered by key, so this is canonical whatever the database
        // did to the document's key order.
        record.detail.to_string(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends `record` to the chain; call it inside the transaction of the change it records.
///
/// The first statement takes the head row's write lock (a row lock on PostgreSQL, the write lock
/// on SQLite), so appenders queue behind each other and no transaction chains to a stale head.
/// In a transaction that has only read so far, that first write is what starts its SQLite
/// snapshot, which is why the head is read after it.
pub async fn append<C: ConnectionTrait>(txn: &C, record: &AuditRecord) -> StoreResult<i64> {
    let mut record = record.clone();
    // Stored timestamps keep microseconds on both databases; hash what will be read back.
    record.at = record.at.trunc_subsecs(6);
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(1),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    let seq = head.seq;
    let id = Uuid::now_v7();
    let hash = entry_hash(&head.hash, seq, id, &record);
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, hash.clone().into())
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        seq: Set(seq),
        id: Set(id),
        at: Set(record.at),
        region_id: Set(record.region_id),
        actor_id: Set(record.actor_id),
        on_behalf_of: Set(record.on_behalf_of),
        action: Set(record.action),
        target: Set(record.target),
        outcome: Set(record.outcome),
        ip: Set(record.ip),
        detail: Set(record.detail),
        prev_hash: Set(head.hash),
        hash: Set(hash),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(seq)
}

/// Rows per multi-row insert of entries: 13 columns each stays far below SQLite's limit of
/// 32,766 bound parameters.
const ENTRIES_PER_INSERT: usize = 1000;

/// Appends `records` to the chain in order, for a batch of changes in one transaction; returns
/// their sequence numbers.
///
/// The same chain as [`append`] gives one by one, in four statements whatever the batch size:
/// the head's lock is taken once (moving its sequence past the whole batch), the entries are
/// chained in memory and written by one multi-row insert, and the head takes the last hash.
pub async fn append_many<C: ConnectionTrait>(
    txn: &C,
    records: &[AuditRecord],
) -> StoreResult<Vec<i64>> {
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let count = records.len() as i64;
    // Bound as a 32-bit integer like the `+ 1` of `append`: both produce the same SQL text, and
    // PostgreSQL connections cache the statement with the parameter type of its first use, so a
    // 64-bit value here after an `append` on the same connection would be refused.
    let step = i32::try_from(count).unwrap_or(i32::MAX);
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::Seq,
            Expr::col(audit_head::Column::Seq).add(step),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let head = audit_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    let first = head.seq - count + 1;
    let mut prev = head.hash;
    let mut rows = Vec::with_capacity(records.len());
    for (seq, record) in (first..).zip(records) {
        let mut record = record.clone();
        record.at = record.at.trunc_subsecs(6);
        let id = Uuid::now_v7();
        let hash = entry_hash(&prev, seq, id, &record);
        rows.push(audit_entry::ActiveModel {
            seq: Set(seq),
            id: Set(id),
            at: Set(record.at),
            region_id: Set(record.region_id),
            actor_id: Set(record.actor_id),
            on_behalf_of: Set(record.on_behalf_of),
            action: Set(record.action),
            target: Set(record.target),
            outcome: Set(record.outcome),
            ip: Set(record.ip),
            detail: Set(record.detail),
            prev_hash: Set(std::mem::replace(&mut prev, hash.clone())),
            hash: Set(hash),
        });
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, prev.into())
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(ENTRIES_PER_INSERT).collect();
        audit_entry::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok((first..=head.seq).collect())
}

/// Appends `record` in a transaction of its own, for events that change nothing else
/// (a failed sign-in).
pub async fn append_alone(db: &DatabaseConnection, record: &AuditRecord) -> StoreResult<i64> {
    let txn = db.begin().await?;
    let seq = append(&txn, record).await?;
    txn.commit().await?;
    Ok(seq)
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The entry's stored hash is not the hash of its contents.
    Altered { seq: i64 },
    /// The entry does not follow the one before it (deleted or reordered entries).
    Unlinked { seq: i64 },
    /// The head names a later entry than the log holds (entries removed from the end).
    Truncated { head_seq: i64, last_seq: i64 },
}

/// Recomputes every hash; `Ok(n)` with the number of entries when the chain is intact.
pub async fn verify_chain(db: &DatabaseConnection) -> StoreResult<Result<u64, ChainBreak>> {
    let mut prev = GENESIS.to_owned();
    let mut expected_seq = 1;
    let mut count = 0u64;
    let mut last_seq = 0;
    loop {
        let batch = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            if row.seq != expected_seq || row.prev_hash != prev {
                return Ok(Err(ChainBreak::Unlinked { seq: row.seq }));
            }
            let record = AuditRecord {
                at: row.at,
                region_id: row.region_id,
                actor_id: row.actor_id,
                on_behalf_of: row.on_behalf_of,
                action: row.action,
                target: row.target,
                outcome: row.outcome,
                ip: row.ip,
                detail: row.detail,
            };
            if entry_hash(&prev, row.seq, row.id, &record) != row.hash {
                return Ok(Err(ChainBreak::Altered { seq: row.seq }));
            }
            prev = row.hash;
            last_seq = row.seq;
            expected_seq += 1;
            count += 1;
        }
    }
    let head = audit_head::Entity::find_by_id(1).one(db).await?;
    if let Some(head) = head
        && (head.seq != last_seq || head.hash != prev)
    {
        return Ok(Err(ChainBreak::Truncated {
            head_seq: head.seq,
            last_seq,
        }));
    }
    Ok(Ok(count))
}

/// The newest entries about an actor, newest first (for "my activity" and the auditor).
pub async fn recent_for_actor(
    db: &DatabaseConnection,
    actor: Uuid,
    limit: u64,
) -> StoreResult<Vec<audit_entry::Model>> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::ActorId.eq(actor))
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// What an auditor narrows the trail to.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries whose action starts with this, e.g. `identity.` or `identity.login`.
    pub action_prefix: Option<String>,
    /// `success`, `failure` or `denied`.
    pub outcome: Option<String>,
}

/// A region's entries, newest first, older than `before` (a sequence number) when given: those
/// recorded for the region, those whose actor is one of its accounts, and the platform's own
/// entries with neither (e.g. failed sign-ins for identifiers nobody holds).
pub async fn for_region(
    db: &DatabaseConnection,
    region_id: Uuid,
    filter: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> StoreResult<Vec<audit_entry::Model>> {
    use crate::entities::account;
    use sea_orm::Condition;
    use sea_orm::sea_query::Query;
    let region_accounts = Query::select()
        .column(account::Column::Id)
        .from(account::Entity)
        .and_where(account::Column::RegionId.eq(region_id))
        .to_owned();
    let mut query = audit_entry::Entity::find().filter(
        Condition::any()
            .add(audit_entry::Column::RegionId.eq(region_id))
            .add(audit_entry::Column::ActorId.in_subquery(region_accounts))
            .add(
                Condition::all()
                    .add(audit_entry::Column::RegionId.is_null())
                    .add(audit_entry::Column::ActorId.is_null()),
            ),
    );
    if let Some(prefix) = &filter.action_prefix {
        query = query.filter(audit_entry::Column::Action.starts_with(prefix.as_str()));
    }
    if let Some(outcome) = &filter.outcome {
        query = query.filter(audit_entry::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(audit_entry::Column::Seq.lt(before));
    }
    Ok(query
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}
