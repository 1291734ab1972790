//! Reading the audit trail: auditors (安全审计员) browse their region's entries and recompute
//! the hash chain. Reading is itself a privileged action and leaves an entry.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tongban_domain::access::Role;
use tongban_domain::clock::Clock;
use tongban_store::audit::{AuditFilter, AuditRecord, ChainBreak};
use uuid::Uuid;

use crate::StoreError;
use crate::identity::{AccountKind, CurrentUser, Identity, Origin};

/// Entries shown per page.
pub const PAGE_SIZE: u64 = 50;

/// One entry as the auditor reads it: people named, never their identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditLine {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Name and user name of who acted; `None` for the platform or an unknown caller.
    pub actor: Option<String>,
    pub on_behalf_of: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub ip: Option<String>,
    /// The entry's details as compact JSON.
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    /// Where the next (older) page starts, when there is one.
    pub older_than: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("only auditors read the audit trail")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The region whose trail `user` audits.
fn audited_region(user: &CurrentUser) -> Result<Uuid, AuditError> {
    if user.kind != AccountKind::Staff {
        return Err(AuditError::Forbidden);
    }
    user.roles
        .iter()
        .find(|g| g.role == Role::Auditor)
        .map(|g| g.region_id)
        .ok_or(AuditError::Forbidden)
}

fn record(
    user: &CurrentUser,
    origin: &Origin,
    now: DateTime<Utc>,
    region: Uuid,
    action: &str,
    outcome: &str,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        at: now,
        region_id: Some(region),
        actor_id: Some(user.account_id),
        on_behalf_of: None,
        action: action.to_owned(),
        target: None,
        outcome: outcome.to_owned(),
        ip: origin.ip.clone(),
        detail,
    }
}

/// A page of the auditor's region's trail, newest first.
pub async fn browse(
    identity: &Identity,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
    filter: &AuditFilter,
    older_than: Option<i64>,
) -> Result<AuditPage, AuditError> {
    let region = audited_region(user)?;
    let rows =
        tongban_store::audit::for_region(&identity.db, region, filter, older_than, PAGE_SIZE + 1)
            .await?;
    let mut ids: Vec<Uuid> = rows
        .iter()
        .flat_map(|r| [r.actor_id, r.on_behalf_of])
        .flatten()
        .collect();
    ids.sort();
    ids.dedup();
    let names: HashMap<Uuid, String> = tongban_store::identity::accounts_by_ids(&identity.db, &ids)
        .await?
        .into_iter()
        .map(|a| {
            let name = match a.username {
                Some(username) => format!("{} ({username})", a.display_name),
                None if a.display_name.is_empty() => a.id.to_string(),
                None => a.display_name,
            };
            (a.id, name)
        })
        .collect();
    let has_more = rows.len() as u64 > PAGE_SIZE;
    let lines: Vec<AuditLine> = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|row| AuditLine {
            seq: row.seq,
            at: row.at,
            actor: row
                .actor_id
                .map(|id| names.get(&id).cloned().unwrap_or_else(|| id.to_string())),
            on_behalf_of: row
                .on_behalf_of
                .map(|id| names.get(&id).cloned().unwrap_or_else(|| id.to_string())),
            action: row.action,
            target: row.target,
            outcome: row.outcome,
            ip: row.ip,
            detail: row.detail.to_string(),
        })
        .collect();
    let older_than = has_more.then(|| lines.last().map(|l| l.seq)).flatten();
    let entry = record(
        user,
        origin,
        clock.now(),
        region,
        "audit.view",
        "success",
        serde_json::json!({
            "action": filter.action_prefix,
            "outcome": filter.outcome,
            "older_than": older_than,
        }),
    );
    tongban_store::audit::append_alone(&identity.db, &entry).await?;
    Ok(AuditPage { lines, older_than })
}

/// Recomputes the whole chain (every region's entries: the chain is one), recording that it
/// was checked and what was found.
pub async fn verify(
    identity: &Identity,
    clock: &dyn Clock,
    user: &CurrentUser,
    origin: &Origin,
) -> Result<Result<u64, ChainBreak>, AuditError> {
    let region = audited_region(user)?;
    let result = tongban_store::audit::verify_chain(&identity.db).await?;
    let (outcome, detail) = match &result {
        Ok(count) => ("success", serde_json::json!({ "entries": count })),
        Err(breach) => (
            "failure",
            serde_json::json!({ "break": format!("{breach:?}") }),
        ),
    };
    let entry = record(
        user,
        origin,
        clock.now(),
        region,
        "audit.verify",
        outcome,
        detail,
    );
    tongban_store::audit::append_alone(&identity.db, &entry).await?;
    Ok(result)
}
