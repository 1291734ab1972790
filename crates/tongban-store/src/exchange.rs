//! Storage of once-only sharing: the certificates applicants shared with cases (their
//! consents and the presentations) and the evidence log of every access to another
//! department's data.
//!
//! The log is one chain for the platform, like the audit trail: appending takes the write lock
//! of the single `exchange_log_head` row, so appenders queue instead of forking the chain, and
//! the head moves in the transaction of the access it records. Each entry is sealed by the
//! requesting department's key as it is chained; the rules are in
//! `tongban_domain::certificates::evidence`, and [`verify_log`] applies them to every entry.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use tongban_domain::certificates::Jwks;
use tongban_domain::certificates::evidence::{
    self, EntryProblem, EvidenceRecord, GENESIS, LoggedEntry,
};
use tongban_domain::certificates::jose::{Jwk, Signer};
use uuid::Uuid;

use crate::StoreResult;
use crate::entities::{exchange_log, exchange_log_head, shared_certificate};

pub use exchange_log::Model as LogRow;
pub use shared_certificate::Model as SharedRow;

/// A certificate an applicant shares with the case being filed: the consent row (without its
/// case, which the batch assigns) and the evidence entry's facts, sealed as the case's
/// department when the entry is chained.
#[derive(Clone)]
pub struct NewShare {
    /// The consent's reference.
    pub id: Uuid,
    pub field_key: String,
    pub certificate_id: Uuid,
    pub type_key: String,
    pub issuer_department_id: Uuid,
    pub holder_account_id: Uuid,
    /// `wallet` or `fetch`.
    pub source: String,
    pub fields: Vec<String>,
    /// The presentation, sealed with the field cipher.
    pub presentation: String,
    pub purpose: String,
    pub consented_at: DateTime<Utc>,
    /// The receiving department's signing key.
    pub requester_key: Arc<dyn Signer>,
}

impl fmt::Debug for NewShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewShare")
            .field("id", &self.id)
            .field("field_key", &self.field_key)
            .field("certificate_id", &self.certificate_id)
            .field("type_key", &self.type_key)
            .field("source", &self.source)
            .field("fields", &self.fields)
            .field("requester_kid", &self.requester_key.kid())
            .finish_non_exhaustive()
    }
}

/// Records what the new case (`case_id`, in `region_id`, received by `receiver`) was shared,
/// with one evidence entry per certificate; inside the case's transaction.
pub async fn record_shares<C: ConnectionTrait>(
    txn: &C,
    region_id: Uuid,
    case_id: Uuid,
    receiver: Uuid,
    shares: &[NewShare],
) -> StoreResult<()> {
    if shares.is_empty() {
        return Ok(());
    }
    let rows: Vec<shared_certificate::ActiveModel> = shares
        .iter()
        .map(|s| shared_certificate::ActiveModel {
            id: Set(s.id),
            region_id: Set(region_id),
            case_id: Set(case_id),
            field_key: Set(s.field_key.clone()),
            certificate_id: Set(s.certificate_id),
            type_key: Set(s.type_key.clone()),
            issuer_department_id: Set(s.issuer_department_id),
            receiver_department_id: Set(receiver),
            holder_account_id: Set(s.holder_account_id),
            source: Set(s.source.clone()),
            fields: Set(serde_json::Value::from(s.fields.clone()).to_string()),
            presentation: Set(s.presentation.clone()),
            consented_at: Set(s.consented_at.trunc_subsecs(6)),
        })
        .collect();
    shared_certificate::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    let entries: Vec<(EvidenceRecord, &dyn Signer)> = shares
        .iter()
        .map(|s| {
            (
                EvidenceRecord {
                    id: Uuid::now_v7(),
                    at: s.consented_at,
                    region_id,
                    holder_account_id: s.holder_account_id,
                    requester_department_id: receiver,
                    issuer_department_id: s.issuer_department_id,
                    case_id: Some(case_id),
                    certificate_id: s.certificate_id,
                    type_key: s.type_key.clone(),
                    purpose: s.purpose.clone(),
                    fields: s.fields.clone(),
                    consent_id: Some(s.id),
                    channel: "application".to_owned(),
                    client_id: None,
                },
                s.requester_key.as_ref(),
            )
        })
        .collect();
    append(txn, &entries).await?;
    Ok(())
}

/// Appends evidence entries in order, each sealed by its signer; returns their sequence
/// numbers. Four statements whatever the count: the head's lock (moving its sequence past
/// them), its read, one multi-row insert, the head's new hash.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    entries: &[(EvidenceRecord, &dyn Signer)],
) -> StoreResult<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let step = i32::try_from(entries.len()).unwrap_or(i32::MAX);
    exchange_log_head::Entity::update_many()
        .col_expr(
            exchange_log_head::Column::Seq,
            Expr::col(exchange_log_head::Column::Seq).add(step),
        )
        .filter(exchange_log_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    let head = exchange_log_head::Entity::find_by_id(1)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("exchange_log_head".into()))?;
    let first = head.seq - i64::from(step) + 1;
    let mut prev = head.hash;
    let mut rows = Vec::with_capacity(entries.len());
    for (seq, (record, signer)) in (first..).zip(entries) {
        let mut record = record.clone();
        // Both databases keep microseconds: hash what will be read back.
        record.at = record.at.trunc_subsecs(6);
        let hash = evidence::entry_hash(&prev, seq, &record);
        let seal = evidence::seal(*signer, seq, &hash)
            .map_err(|e| DbErr::Custom(format!("sealing evidence entry {seq}: {e}")))?;
        rows.push(exchange_log::ActiveModel {
            seq: Set(seq),
            id: Set(record.id),
            at: Set(record.at),
            region_id: Set(record.region_id),
            holder_account_id: Set(record.holder_account_id),
            requester_department_id: Set(record.requester_department_id),
            issuer_department_id: Set(record.issuer_department_id),
            case_id: Set(record.case_id),
            certificate_id: Set(record.certificate_id),
            type_key: Set(record.type_key),
            purpose: Set(record.purpose),
            fields: Set(serde_json::Value::from(record.fields).to_string()),
            consent_id: Set(record.consent_id),
            channel: Set(record.channel),
            client_id: Set(record.client_id),
            prev_hash: Set(std::mem::replace(&mut prev, hash.clone())),
            hash: Set(hash),
            seal: Set(seal),
        });
    }
    exchange_log_head::Entity::update_many()
        .col_expr(exchange_log_head::Column::Hash, prev.into())
        .filter(exchange_log_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    // 19 columns a row: 1,000 rows stay far below SQLite's bound-parameter limit.
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(1000).collect();
        exchange_log::Entity::insert_many(chunk)
            .exec_without_returning(txn)
            .await?;
    }
    Ok((first..=head.seq).collect())
}

/// The certificates shared with a case, in the form's order of asking (by field key).
pub async fn shares_of_case<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_id: Uuid,
) -> StoreResult<Vec<SharedRow>> {
    Ok(shared_certificate::Entity::find()
        .filter(shared_certificate::Column::RegionId.eq(region_id))
        .filter(shared_certificate::Column::CaseId.eq(case_id))
        .order_by_asc(shared_certificate::Column::ConsentedAt)
        .order_by_asc(shared_certificate::Column::FieldKey)
        .all(db)
        .await?)
}

/// The certificates shared with any of these cases (in no particular order): one query per
/// 500 cases, nothing read for cases without any.
pub async fn shares_of_cases<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    case_ids: &[Uuid],
) -> StoreResult<Vec<SharedRow>> {
    let mut out = Vec::new();
    for chunk in case_ids.chunks(500) {
        out.extend(
            shared_certificate::Entity::find()
                .filter(shared_certificate::Column::RegionId.eq(region_id))
                .filter(shared_certificate::Column::CaseId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The evidence entries about one holder's data, newest first.
pub async fn entries_of_holder<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    holder_account_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<LogRow>> {
    Ok(exchange_log::Entity::find()
        .filter(exchange_log::Column::RegionId.eq(region_id))
        .filter(exchange_log::Column::HolderAccountId.eq(holder_account_id))
        .order_by_desc(exchange_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// Where the evidence log fails verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogBreak {
    /// This entry fails its check.
    Entry { seq: i64, problem: EntryProblem },
    /// The head names a later entry than the log holds (entries removed from the end).
    Truncated { head_seq: i64, last_seq: i64 },
    /// A stored field list is not the JSON array it was written as.
    Unreadable { seq: i64 },
}

/// Checks every entry: the chain, each hash, each seal against the requesting department's
/// published keys (retired keys included); `Ok(n)` with the number of entries when intact.
pub async fn verify_log<C: ConnectionTrait>(db: &C) -> StoreResult<Result<u64, LogBreak>> {
    let mut keys: HashMap<(Uuid, Uuid), Jwks> = HashMap::new();
    let mut prev = GENESIS.to_owned();
    let mut expected = 1;
    let mut count = 0u64;
    let mut last_seq = 0;
    loop {
        let batch = exchange_log::Entity::find()
            .filter(exchange_log::Column::Seq.gte(expected))
            .order_by_asc(exchange_log::Column::Seq)
            .limit(1000)
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for row in batch {
            let Ok(fields) = serde_json::from_str::<Vec<String>>(&row.fields) else {
                return Ok(Err(LogBreak::Unreadable { seq: row.seq }));
            };
            let department = (row.region_id, row.requester_department_id);
            let jwks = match keys.get(&department) {
                Some(jwks) => jwks.clone(),
                None => {
                    let published =
                        crate::certificates::published_keys(db, department.0, Some(department.1))
                            .await?;
                    let jwks = Jwks {
                        keys: published
                            .iter()
                            .filter_map(|k| serde_json::from_str::<Jwk>(&k.public_jwk).ok())
                            .collect(),
                    };
                    keys.insert(department, jwks.clone());
                    jwks
                }
            };
            let entry = LoggedEntry {
                seq: row.seq,
                record: EvidenceRecord {
                    id: row.id,
                    at: row.at,
                    region_id: row.region_id,
                    holder_account_id: row.holder_account_id,
                    requester_department_id: row.requester_department_id,
                    issuer_department_id: row.issuer_department_id,
                    case_id: row.case_id,
                    certificate_id: row.certificate_id,
                    type_key: row.type_key,
                    purpose: row.purpose,
                    fields,
                    consent_id: row.consent_id,
                    channel: row.channel,
                    client_id: row.client_id,
                },
                prev_hash: row.prev_hash,
                hash: row.hash,
                seal: row.seal,
            };
            if let Err(problem) = evidence::check_entry(&entry, expected, &prev, &jwks) {
                return Ok(Err(LogBreak::Entry {
                    seq: entry.seq,
                    problem,
                }));
            }
            prev = entry.hash;
            last_seq = entry.seq;
            expected += 1;
            count += 1;
        }
    }
    let head = exchange_log_head::Entity::find_by_id(1).one(db).await?;
    if let Some(head) = head
        && (head.seq != last_seq || head.hash != prev)
    {
        return Ok(Err(LogBreak::Truncated {
            head_seq: head.seq,
            last_seq,
        }));
    }
    Ok(Ok(count))
}
