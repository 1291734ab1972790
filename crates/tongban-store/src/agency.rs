//! Storage of enterprises (法人) and mandates (委托): who may act for whom, with which scopes and
//! until when.
//!
//! Every function that reads or changes a mandate is scoped by its principal or its agent, so
//! an id alone never reaches someone else's record. "One live mandate per principal and agent"
//! is the partial unique index `ux_mandates_live`; revocation is a conditional update.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use uuid::Uuid;

use crate::entities::{account, enterprise, mandate, session};
use crate::{StoreError, StoreResult};

pub use enterprise::Model as EnterpriseRow;
pub use mandate::Model as MandateRow;

/// Principal kinds as stored.
pub const ENTERPRISE: &str = "enterprise";
pub const PERSON: &str = "person";

/// Maps a unique-constraint violation to [`StoreError::Duplicate`].
fn unique(error: sea_orm::DbErr) -> StoreError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) => StoreError::Duplicate(detail),
        _ => error.into(),
    }
}

/// Inserts an enterprise; a credit code already registered is [`StoreError::Duplicate`].
pub async fn insert_enterprise<C: ConnectionTrait>(db: &C, row: EnterpriseRow) -> StoreResult<()> {
    enterprise::Entity::insert(enterprise::ActiveModel {
        id: Set(row.id),
        region_id: Set(row.region_id),
        name: Set(row.name),
        credit_code: Set(row.credit_code),
        legal_representative_account_id: Set(row.legal_representative_account_id),
        legal_representative_name: Set(row.legal_representative_name),
        status: Set(row.status),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
    .map_err(unique)
}

pub async fn enterprise_by_credit_code<C: ConnectionTrait>(
    db: &C,
    credit_code: &str,
) -> StoreResult<Option<EnterpriseRow>> {
    Ok(enterprise::Entity::find()
        .filter(enterprise::Column::CreditCode.eq(credit_code))
        .one(db)
        .await?)
}

/// Gives a closed enterprise (its former representative closed their account) a new legal
/// representative; `false` if it is not closed (someone else reopened it first).
pub async fn reopen_enterprise<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    name: &str,
    representative: Uuid,
    representative_name: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(enterprise::Entity::update_many()
        .col_expr(enterprise::Column::Name, name.into())
        .col_expr(
            enterprise::Column::LegalRepresentativeAccountId,
            representative.into(),
        )
        .col_expr(
            enterprise::Column::LegalRepresentativeName,
            representative_name.into(),
        )
        .col_expr(enterprise::Column::Status, "active".into())
        .col_expr(enterprise::Column::UpdatedAt, now.into())
        .filter(enterprise::Column::Id.eq(id))
        .filter(enterprise::Column::Status.eq("closed"))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// The active enterprises whose legal representative is `account`.
pub async fn enterprises_represented_by<C: ConnectionTrait>(
    db: &C,
    account: Uuid,
) -> StoreResult<Vec<EnterpriseRow>> {
    Ok(enterprise::Entity::find()
        .filter(enterprise::Column::LegalRepresentativeAccountId.eq(account))
        .filter(enterprise::Column::Status.eq("active"))
        .order_by_asc(enterprise::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn enterprise_by_id<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> StoreResult<Option<EnterpriseRow>> {
    Ok(enterprise::Entity::find_by_id(id).one(db).await?)
}

/// Inserts a mandate; a live one for the same principal and agent is
/// [`StoreError::Duplicate`].
pub async fn insert_mandate<C: ConnectionTrait>(db: &C, row: MandateRow) -> StoreResult<()> {
    mandate::Entity::insert(mandate::ActiveModel {
        id: Set(row.id),
        principal_kind: Set(row.principal_kind),
        principal_id: Set(row.principal_id),
        agent_account_id: Set(row.agent_account_id),
        scopes: Set(row.scopes),
        expires_at: Set(row.expires_at),
        created_by: Set(row.created_by),
        created_at: Set(row.created_at),
        revoked_at: Set(row.revoked_at),
        revoked_by: Set(row.revoked_by),
    })
    .exec_without_returning(db)
    .await
    .map(|_| ())
    .map_err(unique)
}

/// Closes mandates of this pair that lapsed (expired, never revoked), so that a new one can be
/// written: `revoked_at` becomes the expiry and `revoked_by` stays empty.
pub async fn close_lapsed<C: ConnectionTrait>(
    db: &C,
    principal_kind: &str,
    principal_id: Uuid,
    agent: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(mandate::Entity::update_many()
        .col_expr(
            mandate::Column::RevokedAt,
            Expr::col(mandate::Column::ExpiresAt),
        )
        .filter(mandate::Column::PrincipalKind.eq(principal_kind))
        .filter(mandate::Column::PrincipalId.eq(principal_id))
        .filter(mandate::Column::AgentAccountId.eq(agent))
        .filter(mandate::Column::RevokedAt.is_null())
        .filter(mandate::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

/// Every mandate a principal has given, newest first (live ones and history), at most
/// `limit`.
pub async fn mandates_of_principal<C: ConnectionTrait>(
    db: &C,
    principal_kind: &str,
    principal_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<MandateRow>> {
    Ok(mandate::Entity::find()
        .filter(mandate::Column::PrincipalKind.eq(principal_kind))
        .filter(mandate::Column::PrincipalId.eq(principal_id))
        .order_by_desc(mandate::Column::CreatedAt)
        .order_by_desc(mandate::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Every mandate held by an agent, newest first, at most `limit`.
pub async fn mandates_of_agent<C: ConnectionTrait>(
    db: &C,
    agent: Uuid,
    limit: u64,
) -> StoreResult<Vec<MandateRow>> {
    Ok(mandate::Entity::find()
        .filter(mandate::Column::AgentAccountId.eq(agent))
        .order_by_desc(mandate::Column::CreatedAt)
        .order_by_desc(mandate::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Whether any mandate, live or not, ever joined this principal and agent (the demo seed adds
/// its mandates once only).
pub async fn any_mandate<C: ConnectionTrait>(
    db: &C,
    principal_kind: &str,
    principal_id: Uuid,
    agent: Uuid,
) -> StoreResult<bool> {
    Ok(mandate::Entity::find()
        .filter(mandate::Column::PrincipalKind.eq(principal_kind))
        .filter(mandate::Column::PrincipalId.eq(principal_id))
        .filter(mandate::Column::AgentAccountId.eq(agent))
        .one(db)
        .await?
        .is_some())
}

/// A mandate given by this principal, or `None`: an id from elsewhere finds nothing.
pub async fn mandate_of_principal<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    principal_kind: &str,
    principal_id: Uuid,
) -> StoreResult<Option<MandateRow>> {
    Ok(mandate::Entity::find_by_id(id)
        .filter(mandate::Column::PrincipalKind.eq(principal_kind))
        .filter(mandate::Column::PrincipalId.eq(principal_id))
        .one(db)
        .await?)
}

/// Revokes a live mandate of this principal; `false` if there is none (another principal's,
/// already revoked, or unknown).
pub async fn revoke_mandate<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    principal_kind: &str,
    principal_id: Uuid,
    by: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(mandate::Entity::update_many()
        .col_expr(mandate::Column::RevokedAt, Some(now).into())
        .col_expr(mandate::Column::RevokedBy, Some(by).into())
        .filter(mandate::Column::Id.eq(id))
        .filter(mandate::Column::PrincipalKind.eq(principal_kind))
        .filter(mandate::Column::PrincipalId.eq(principal_id))
        .filter(mandate::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// What an account's closure ends: every live mandate it holds as agent, gave as a person, or
/// that its enterprises gave; its enterprises are marked closed. Returns (mandates revoked,
/// enterprises closed).
pub async fn close_for_account<C: ConnectionTrait>(
    db: &C,
    account: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<(u64, u64)> {
    let enterprises: Vec<Uuid> = enterprises_represented_by(db, account)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect();
    let mut which = Condition::any()
        .add(mandate::Column::AgentAccountId.eq(account))
        .add(
            Condition::all()
                .add(mandate::Column::PrincipalKind.eq(PERSON))
                .add(mandate::Column::PrincipalId.eq(account)),
        );
    if !enterprises.is_empty() {
        which = which.add(
            Condition::all()
                .add(mandate::Column::PrincipalKind.eq(ENTERPRISE))
                .add(mandate::Column::PrincipalId.is_in(enterprises.clone())),
        );
    }
    let revoked = mandate::Entity::update_many()
        .col_expr(mandate::Column::RevokedAt, Some(now).into())
        .col_expr(mandate::Column::RevokedBy, Some(account).into())
        .filter(mandate::Column::RevokedAt.is_null())
        .filter(which)
        .exec(db)
        .await?
        .rows_affected;
    let closed = if enterprises.is_empty() {
        0
    } else {
        enterprise::Entity::update_many()
            .col_expr(enterprise::Column::Status, "closed".into())
            .col_expr(enterprise::Column::UpdatedAt, now.into())
            .filter(enterprise::Column::Id.is_in(enterprises))
            .exec(db)
            .await?
            .rows_affected
    };
    Ok((revoked, closed))
}

/// Records whom a session acts for (`None`: for the account holder themselves).
pub async fn set_session_acting<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    acting: Option<(&str, Uuid)>,
) -> StoreResult<()> {
    session::Entity::update_many()
        .col_expr(
            session::Column::ActingForKind,
            acting.map(|(kind, _)| kind.to_owned()).into(),
        )
        .col_expr(
            session::Column::ActingForId,
            acting.map(|(_, id)| id).into(),
        )
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Whom an agent may act for right now, as one row.
#[derive(Debug, Clone, PartialEq)]
pub struct ActingRow {
    pub name: String,
    pub credit_code: Option<String>,
    /// The enterprise's legal representative (acts with every scope, no mandate needed).
    pub legal_representative: Option<Uuid>,
    /// The live mandate's id and scopes, if there is one.
    pub mandate_id: Option<Uuid>,
    pub scopes: Option<serde_json::Value>,
}

/// The principal `kind`/`id` and `agent`'s live mandate for it, in one query (it runs on every
/// request of a session that acts for someone): the principal must be active, and the mandate
/// not revoked and not expired. `None` when the principal does not exist or is not active.
pub async fn acting_check<C: ConnectionTrait>(
    db: &C,
    agent: Uuid,
    kind: &str,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Option<ActingRow>> {
    let live = |principal_id: Expr| {
        Condition::all()
            .add(Expr::col((mandate::Entity, mandate::Column::PrincipalId)).eq(principal_id))
            .add(Expr::col((mandate::Entity, mandate::Column::PrincipalKind)).eq(kind))
            .add(Expr::col((mandate::Entity, mandate::Column::AgentAccountId)).eq(agent))
            .add(Expr::col((mandate::Entity, mandate::Column::RevokedAt)).is_null())
            .add(Expr::col((mandate::Entity, mandate::Column::ExpiresAt)).gt(now))
    };
    let mut query = Query::select();
    match kind {
        ENTERPRISE => {
            query
                .from(enterprise::Entity)
                .expr_as(
                    Expr::col((enterprise::Entity, enterprise::Column::Name)),
                    "principal_name",
                )
                .expr_as(
                    Expr::col((enterprise::Entity, enterprise::Column::CreditCode)),
                    "credit_code",
                )
                .expr_as(
                    Expr::col((
                        enterprise::Entity,
                        enterprise::Column::LegalRepresentativeAccountId,
                    )),
                    "legal_representative",
                )
                .join(
                    JoinType::LeftJoin,
                    mandate::Entity,
                    live(Expr::col((enterprise::Entity, enterprise::Column::Id))),
                )
                .and_where(Expr::col((enterprise::Entity, enterprise::Column::Id)).eq(id))
                .and_where(
                    Expr::col((enterprise::Entity, enterprise::Column::Status)).eq("active"),
                );
        }
        PERSON => {
            query
                .from(account::Entity)
                .expr_as(
                    Expr::col((account::Entity, account::Column::DisplayName)),
                    "principal_name",
                )
                .join(
                    JoinType::LeftJoin,
                    mandate::Entity,
                    live(Expr::col((account::Entity, account::Column::Id))),
                )
                .and_where(Expr::col((account::Entity, account::Column::Id)).eq(id))
                .and_where(Expr::col((account::Entity, account::Column::Status)).eq("active"))
                .and_where(Expr::col((account::Entity, account::Column::Kind)).eq("person"));
        }
        _ => return Ok(None),
    }
    query
        .expr_as(
            Expr::col((mandate::Entity, mandate::Column::Id)),
            "mandate_id",
        )
        .expr_as(
            Expr::col((mandate::Entity, mandate::Column::Scopes)),
            "scopes",
        )
        .limit(1);
    let Some(row) = db.query_one(&query).await? else {
        return Ok(None);
    };
    Ok(Some(ActingRow {
        name: row.try_get("", "principal_name")?,
        credit_code: if kind == ENTERPRISE {
            row.try_get("", "credit_code")?
        } else {
            None
        },
        legal_representative: if kind == ENTERPRISE {
            row.try_get("", "legal_representative")?
        } else {
            None
        },
        mandate_id: row.try_get("", "mandate_id")?,
        scopes: row.try_get("", "scopes")?,
    }))
}
