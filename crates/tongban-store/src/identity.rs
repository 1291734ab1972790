//! Storage of accounts, role assignments, sessions and sign-in throttling.
//!
//! Personal identifiers arrive here already encrypted (ciphertext) and hashed with a key
//! (index); this layer never sees them in clear.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use uuid::Uuid;

use crate::entities::{account, login_throttle, role_assignment, session};
use crate::{StoreError, StoreResult};

pub use account::Model as AccountRow;
pub use role_assignment::Model as RoleRow;
pub use session::Model as SessionRow;

/// An account to create; identifiers already encrypted and indexed by the caller.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: Uuid,
    pub kind: &'static str,
    pub username: Option<String>,
    pub display_name: String,
    pub id_doc_kind: Option<String>,
    pub id_doc_ciphertext: Option<String>,
    pub id_doc_index: Option<String>,
    pub phone_ciphertext: Option<String>,
    pub phone_index: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub region_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// The privacy notice version accepted at registration.
    pub privacy_version: Option<String>,
    /// An authenticator secret already enrolled (demo staff), encrypted.
    pub totp_secret_ciphertext: Option<String>,
}

/// How an account is looked up at sign-in.
#[derive(Debug, Clone)]
pub enum LoginKey {
    Username(String),
    PhoneIndex(String),
    IdDocIndex(String),
}

/// Inserts an account; a unique identifier already taken is [`StoreError::Duplicate`].
pub async fn insert_account<C: ConnectionTrait>(
    db: &C,
    new: &NewAccount,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let result = account::Entity::insert(account::ActiveModel {
        id: Set(new.id),
        kind: Set(new.kind.to_owned()),
        username: Set(new.username.clone()),
        display_name: Set(new.display_name.clone()),
        id_doc_kind: Set(new.id_doc_kind.clone()),
        id_doc_ciphertext: Set(new.id_doc_ciphertext.clone()),
        id_doc_index: Set(new.id_doc_index.clone()),
        phone_ciphertext: Set(new.phone_ciphertext.clone()),
        phone_index: Set(new.phone_index.clone()),
        email: Set(new.email.clone()),
        password_hash: Set(new.password_hash.clone()),
        status: Set("active".to_owned()),
        region_id: Set(new.region_id),
        department_id: Set(new.department_id),
        totp_secret_ciphertext: Set(new.totp_secret_ciphertext.clone()),
        totp_last_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        password_changed_at: Set(now),
        privacy_accepted_at: Set(new.privacy_version.as_ref().map(|_| now)),
        privacy_version: Set(new.privacy_version.clone()),
        password_must_change: Set(false),
    })
    .exec_without_returning(db)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(error) => match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(detail)) => Err(StoreError::Duplicate(detail)),
            _ => Err(error.into()),
        },
    }
}

pub async fn find_by_login<C: ConnectionTrait>(
    db: &C,
    key: &LoginKey,
) -> StoreResult<Option<AccountRow>> {
    let query = account::Entity::find();
    let query = match key {
        LoginKey::Username(name) => query.filter(account::Column::Username.eq(name.as_str())),
        LoginKey::PhoneIndex(index) => query.filter(account::Column::PhoneIndex.eq(index.as_str())),
        LoginKey::IdDocIndex(index) => query.filter(account::Column::IdDocIndex.eq(index.as_str())),
    };
    Ok(query.one(db).await?)
}

pub async fn account_by_id<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> StoreResult<Option<AccountRow>> {
    Ok(account::Entity::find_by_id(id).one(db).await?)
}

/// Grants a role; granting what is already held changes nothing.
pub async fn grant_role<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    role: &str,
    region_id: Uuid,
    department_id: Option<Uuid>,
    granted_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    role_assignment::Entity::insert(role_assignment::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        role: Set(role.to_owned()),
        region_id: Set(region_id),
        department_id: Set(department_id),
        scope: Set(department_id.map_or_else(|| "region".to_owned(), |d| d.to_string())),
        granted_by: Set(granted_by),
        granted_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            role_assignment::Column::AccountId,
            role_assignment::Column::Role,
            role_assignment::Column::RegionId,
            role_assignment::Column::Scope,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn roles_of<C: ConnectionTrait>(db: &C, account_id: Uuid) -> StoreResult<Vec<RoleRow>> {
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::AccountId.eq(account_id))
        .order_by_asc(role_assignment::Column::GrantedAt)
        .all(db)
        .await?)
}

pub async fn insert_session<C: ConnectionTrait>(db: &C, row: SessionRow) -> StoreResult<()> {
    session::Entity::insert(session::ActiveModel {
        token_hash: Set(row.token_hash),
        account_id: Set(row.account_id),
        created_at: Set(row.created_at),
        last_seen_at: Set(row.last_seen_at),
        expires_at: Set(row.expires_at),
        ip: Set(row.ip),
        user_agent: Set(row.user_agent),
        revoked_at: Set(None),
        second_factor_at: Set(row.second_factor_at),
        acting_for_kind: Set(row.acting_for_kind),
        acting_for_id: Set(row.acting_for_id),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A live session (not revoked, not past its absolute expiry) and its account.
pub async fn live_session<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(SessionRow, AccountRow)>> {
    let Some(row) = session::Entity::find_by_id(token_hash.to_owned())
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let account = account_by_id(db, row.account_id).await?;
    Ok(account.map(|a| (row, a)))
}

pub async fn touch_session<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, now.into())
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke_session<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let revoked = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Some(now).into())
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    Ok(revoked > 0)
}

/// Revokes every live session of an account ("sign out everywhere"); returns how many.
pub async fn revoke_all_sessions<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Some(now).into())
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// The most recently used live sessions of an account, at most `limit`.
pub async fn live_sessions_of<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    now: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<SessionRow>> {
    Ok(session::Entity::find()
        .filter(session::Column::AccountId.eq(account_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .order_by_desc(session::Column::LastSeenAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Failed sign-ins recorded under `key` (an account or an address).
pub async fn throttle<C: ConnectionTrait>(
    db: &C,
    key: &str,
) -> StoreResult<Option<login_throttle::Model>> {
    Ok(login_throttle::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?)
}

/// Counts one more failure under `key` and stores when the next attempt may be made.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    key: &str,
    failures: i32,
    now: DateTime<Utc>,
    blocked_until: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(failures),
        last_failure_at: Set(now),
        blocked_until: Set(blocked_until),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Key)
            .update_columns([
                login_throttle::Column::Failures,
                login_throttle::Column::LastFailureAt,
                login_throttle::Column::BlockedUntil,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn clear_throttle<C: ConnectionTrait>(db: &C, key: &str) -> StoreResult<()> {
    login_throttle::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces an account's password hash with one its owner chose.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, password_hash.into())
        .col_expr(account::Column::PasswordMustChange, false.into())
        .col_expr(account::Column::PasswordChangedAt, now.into())
        .col_expr(account::Column::UpdatedAt, now.into())
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes an account's personal data and closes it; the row stays for the records that must
/// outlive it.
pub async fn anonymise<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    account::Entity::update_many()
        .col_expr(account::Column::DisplayName, "".into())
        .col_expr(account::Column::Username, Option::<String>::None.into())
        .col_expr(
            account::Column::IdDocCiphertext,
            Option::<String>::None.into(),
        )
        .col_expr(account::Column::IdDocIndex, Option::<String>::None.into())
        .col_expr(
            account::Column::PhoneCiphertext,
            Option::<String>::None.into(),
        )
        .col_expr(account::Column::PhoneIndex, Option::<String>::None.into())
        .col_expr(account::Column::Email, Option::<String>::None.into())
        .col_expr(
            account::Column::TotpSecretCiphertext,
            Option::<String>::None.into(),
        )
        // Not a PHC string: no password can ever match it.
        .col_expr(account::Column::PasswordHash, "!closed".into())
        .col_expr(account::Column::Status, "closed".into())
        .col_expr(account::Column::UpdatedAt, now.into())
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    crate::email::remove(db, account_id).await?;
    Ok(())
}

/// Marks a session as having passed the second factor.
pub async fn pass_second_factor<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::SecondFactorAt, Some(now).into())
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// Accepts TOTP step `step` for an account only if it is later than the last one accepted (a
/// conditional update, so two requests with the same code cannot both pass).
pub async fn use_totp_step<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    step: i64,
) -> StoreResult<bool> {
    use sea_orm::Condition;
    Ok(account::Entity::update_many()
        .col_expr(account::Column::TotpLastStep, Some(step).into())
        .filter(account::Column::Id.eq(account_id))
        .filter(
            Condition::any()
                .add(account::Column::TotpLastStep.is_null())
                .add(account::Column::TotpLastStep.lt(step)),
        )
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Stores an enrolled authenticator secret and replaces the recovery codes.
pub async fn enrol_totp<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    secret_ciphertext: &str,
    recovery_code_hashes: &[String],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    use crate::entities::recovery_code;
    account::Entity::update_many()
        .col_expr(
            account::Column::TotpSecretCiphertext,
            Some(secret_ciphertext.to_owned()).into(),
        )
        .col_expr(account::Column::TotpLastStep, Option::<i64>::None.into())
        .col_expr(account::Column::UpdatedAt, now.into())
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    let rows: Vec<recovery_code::ActiveModel> = recovery_code_hashes
        .iter()
        .map(|hash| recovery_code::ActiveModel {
            id: Set(Uuid::now_v7()),
            account_id: Set(account_id),
            code_hash: Set(hash.clone()),
            used_at: Set(None),
            created_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        recovery_code::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Uses up the recovery code with `hash`; `false` if there is none unused.
pub async fn use_recovery_code<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    use crate::entities::recovery_code;
    Ok(recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Some(now).into())
        .filter(recovery_code::Column::AccountId.eq(account_id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Staff accounts of a region, or of one department of it, by name.
pub async fn staff_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    department_id: Option<Uuid>,
) -> StoreResult<Vec<AccountRow>> {
    let mut query = account::Entity::find()
        .filter(account::Column::Kind.eq("staff"))
        .filter(account::Column::RegionId.eq(region_id));
    if let Some(department) = department_id {
        query = query.filter(account::Column::DepartmentId.eq(department));
    }
    Ok(query
        .order_by_asc(account::Column::Username)
        .all(db)
        .await?)
}

/// The role assignments of several accounts at once (one query for a list page).
pub async fn roles_of_accounts<C: ConnectionTrait>(
    db: &C,
    account_ids: &[Uuid],
) -> StoreResult<Vec<RoleRow>> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::AccountId.is_in(account_ids.iter().copied()))
        .order_by_asc(role_assignment::Column::GrantedAt)
        .all(db)
        .await?)
}

/// Removes one role assignment of `account_id`; false when there was none with that id.
pub async fn revoke_role<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    assignment_id: Uuid,
) -> StoreResult<bool> {
    Ok(role_assignment::Entity::delete_many()
        .filter(role_assignment::Column::Id.eq(assignment_id))
        .filter(role_assignment::Column::AccountId.eq(account_id))
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

/// Sets an account's status (`active`, `disabled`).
pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    status: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    account::Entity::update_many()
        .col_expr(account::Column::Status, status.into())
        .col_expr(account::Column::UpdatedAt, now.into())
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replaces an account's sign-in credentials with a password an administrator handed over:
/// the owner must choose a new one and enrol a new authenticator; recovery codes are gone.
pub async fn reset_credentials<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, password_hash.into())
        .col_expr(account::Column::PasswordMustChange, true.into())
        .col_expr(account::Column::PasswordChangedAt, now.into())
        .col_expr(
            account::Column::TotpSecretCiphertext,
            Option::<String>::None.into(),
        )
        .col_expr(account::Column::TotpLastStep, Option::<i64>::None.into())
        .col_expr(account::Column::UpdatedAt, now.into())
        .filter(account::Column::Id.eq(account_id))
        .exec(db)
        .await?;
    crate::entities::recovery_code::Entity::delete_many()
        .filter(crate::entities::recovery_code::Column::AccountId.eq(account_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The departments of a region, ordered as the catalogue orders them.
pub async fn departments_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Vec<crate::entities::department::Model>> {
    Ok(crate::entities::department::Entity::find()
        .filter(crate::entities::department::Column::RegionId.eq(region_id))
        .order_by_asc(crate::entities::department::Column::SortOrder)
        .all(db)
        .await?)
}

/// Several accounts at once (names for a list of audit entries).
pub async fn accounts_by_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> StoreResult<Vec<AccountRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Every departmental grant of the region: (account, role, department), for routing alerts.
pub async fn staff_of_region<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Vec<(Uuid, String, Option<Uuid>)>> {
    Ok(crate::entities::role_assignment::Entity::find()
        .filter(crate::entities::role_assignment::Column::RegionId.eq(region_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.account_id, r.role, r.department_id))
        .collect())
}
