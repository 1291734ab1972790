//! Storage of verified e-mail addresses. Addresses arrive encrypted and indexed by the caller;
//! this layer never sees them in clear.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr};
use uuid::Uuid;

use crate::entities::account_email;
use crate::{StoreError, StoreResult};

pub use account_email::Model as AccountEmailRow;

/// The verified address of an account, if it has one.
pub async fn of_account<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
) -> StoreResult<Option<AccountEmailRow>> {
    Ok(account_email::Entity::find_by_id(account_id)
        .one(db)
        .await?)
}

/// The account whose verified address has this keyed hash.
pub async fn by_index<C: ConnectionTrait>(
    db: &C,
    email_index: &str,
) -> StoreResult<Option<AccountEmailRow>> {
    Ok(account_email::Entity::find()
        .filter(account_email::Column::EmailIndex.eq(email_index))
        .one(db)
        .await?)
}

/// Sets (or replaces) an account's verified address. An address another account already uses
/// is [`StoreError::Duplicate`].
pub async fn set<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    email_ciphertext: String,
    email_index: String,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let result = account_email::Entity::insert(account_email::ActiveModel {
        account_id: Set(account_id),
        email_ciphertext: Set(email_ciphertext),
        email_index: Set(email_index),
        verified_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(account_email::Column::AccountId)
            .update_columns([
                account_email::Column::EmailCiphertext,
                account_email::Column::EmailIndex,
                account_email::Column::VerifiedAt,
            ])
            .to_owned(),
    )
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

/// Removes an account's address (the owner removed it, or closed the account).
pub async fn remove<C: ConnectionTrait>(db: &C, account_id: Uuid) -> StoreResult<u64> {
    Ok(account_email::Entity::delete_many()
        .filter(account_email::Column::AccountId.eq(account_id))
        .exec(db)
        .await?
        .rows_affected)
}
