//! Storage of the notification outbox, its delivery log, and one-time verification codes.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::StoreResult;
use crate::entities::{notification, notification_delivery, verification_code};

pub use notification::Model as NotificationRow;
pub use verification_code::Model as CodeRow;

/// A notification to write into the outbox.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub account_id: Option<Uuid>,
    pub channel: &'static str,
    pub template: String,
    pub locale: String,
    pub params: serde_json::Value,
    pub recipient_ciphertext: Option<String>,
}

/// Writes a notification; inbox messages are delivered by being written.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    new: NewNotification,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    notification::Entity::insert(row_of(id, new, now))
        .exec_without_returning(db)
        .await?;
    Ok(id)
}

/// Rows per multi-row insert: 15 columns each stays far below SQLite's limit of 32,766 bound
/// parameters.
const NOTIFICATIONS_PER_INSERT: usize = 1000;

/// Writes many notifications with one multi-row insert (per thousand), for a batch of changes;
/// returns their ids in order. Each row is what [`enqueue`] would write.
pub async fn enqueue_many<C: ConnectionTrait>(
    db: &C,
    new: Vec<NewNotification>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(new.len());
    let mut rows = new.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<notification::ActiveModel> = rows
            .by_ref()
            .take(NOTIFICATIONS_PER_INSERT)
            .map(|new| {
                let id = Uuid::now_v7();
                ids.push(id);
                row_of(id, new, now)
            })
            .collect();
        notification::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

fn row_of(id: Uuid, new: NewNotification, now: DateTime<Utc>) -> notification::ActiveModel {
    let delivered = new.channel == "inbox";
    notification::ActiveModel {
        id: Set(id),
        account_id: Set(new.account_id),
        channel: Set(new.channel.to_owned()),
        template: Set(new.template),
        locale: Set(new.locale),
        params: Set(new.params),
        recipient_ciphertext: Set(new.recipient_ciphertext),
        status: Set(if delivered { "sent" } else { "pending" }.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        created_at: Set(now),
        sent_at: Set(delivered.then_some(now)),
        read_at: Set(None),
        last_error: Set(None),
    }
}

/// Claims up to `limit` notifications that are due (or whose previous claim expired with its
/// worker): each is claimed by a conditional update, so two workers never take the same one.
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> StoreResult<Vec<NotificationRow>> {
    let due = Condition::any()
        .add(
            Condition::all()
                .add(notification::Column::Status.eq("pending"))
                .add(notification::Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(notification::Column::Status.eq("sending"))
                .add(notification::Column::LeaseUntil.lt(now)),
        );
    let candidates = notification::Entity::find()
        .filter(due.clone())
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::new();
    for row in candidates {
        let won = notification::Entity::update_many()
            .col_expr(notification::Column::Status, "sending".into())
            .col_expr(notification::Column::LeaseUntil, Some(lease_until).into())
            .col_expr(notification::Column::Attempts, (row.attempts + 1).into())
            .filter(notification::Column::Id.eq(row.id))
            .filter(notification::Column::Attempts.eq(row.attempts))
            .filter(due.clone())
            .exec(db)
            .await?
            .rows_affected;
        if won == 1 {
            claimed.push(NotificationRow {
                status: "sending".into(),
                attempts: row.attempts + 1,
                lease_until: Some(lease_until),
                ..row
            });
        }
    }
    Ok(claimed)
}

/// Records an attempt's outcome: sent, or failed with the time of the next attempt (`None`
/// gives up).
pub async fn record_attempt<C: ConnectionTrait>(
    db: &C,
    row: &NotificationRow,
    now: DateTime<Utc>,
    outcome: Result<(), String>,
    retry_at: Option<DateTime<Utc>>,
) -> StoreResult<()> {
    // Only the worker still holding the claim records into the row: one whose claim expired
    // and was taken over leaves the row to its successor (its attempt still enters the log).
    let update = notification::Entity::update_many()
        .filter(notification::Column::Id.eq(row.id))
        .filter(notification::Column::Status.eq("sending"))
        .filter(notification::Column::Attempts.eq(row.attempts));
    let (status, detail) = match &outcome {
        Ok(()) => ("sent", None),
        Err(error) if retry_at.is_some() => ("pending", Some(error.clone())),
        Err(error) => ("failed", Some(error.clone())),
    };
    let mut update = update
        .col_expr(notification::Column::Status, status.into())
        .col_expr(
            notification::Column::LeaseUntil,
            Option::<DateTime<Utc>>::None.into(),
        )
        .col_expr(notification::Column::LastError, detail.clone().into());
    if outcome.is_ok() {
        update = update.col_expr(notification::Column::SentAt, Some(now).into());
    }
    if let Some(at) = retry_at {
        update = update.col_expr(notification::Column::NextAttemptAt, at.into());
    }
    update.exec(db).await?;
    notification_delivery::Entity::insert(notification_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        notification_id: Set(row.id),
        attempt: Set(row.attempts),
        at: Set(now),
        outcome: Set(if outcome.is_ok() { "sent" } else { "failed" }.to_owned()),
        detail: Set(detail),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The inbox of an account, newest first.
pub async fn inbox<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    limit: u64,
) -> StoreResult<Vec<NotificationRow>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::AccountId.eq(account_id))
        .filter(notification::Column::Channel.eq("inbox"))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// Marks every unread inbox message of an account read.
pub async fn mark_inbox_read<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Some(now).into())
        .filter(notification::Column::AccountId.eq(account_id))
        .filter(notification::Column::Channel.eq("inbox"))
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Every notification of a channel, for tests and the delivery log view.
pub async fn by_channel<C: ConnectionTrait>(
    db: &C,
    channel: &str,
) -> StoreResult<Vec<NotificationRow>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::Channel.eq(channel))
        .order_by_asc(notification::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn deliveries_of<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> StoreResult<Vec<notification_delivery::Model>> {
    Ok(notification_delivery::Entity::find()
        .filter(notification_delivery::Column::NotificationId.eq(id))
        .order_by_asc(notification_delivery::Column::Attempt)
        .all(db)
        .await?)
}

pub async fn insert_code<C: ConnectionTrait>(db: &C, row: CodeRow) -> StoreResult<()> {
    verification_code::Entity::insert(verification_code::ActiveModel {
        id: Set(row.id),
        purpose: Set(row.purpose),
        phone_index: Set(row.phone_index),
        phone_ciphertext: Set(row.phone_ciphertext),
        code_hash: Set(row.code_hash),
        attempts: Set(row.attempts),
        expires_at: Set(row.expires_at),
        consumed_at: Set(row.consumed_at),
        created_at: Set(row.created_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Codes sent to a number for a purpose since `since`, for rate limits.
pub async fn codes_since<C: ConnectionTrait>(
    db: &C,
    phone_index: &str,
    purpose: &str,
    since: DateTime<Utc>,
) -> StoreResult<Vec<CodeRow>> {
    Ok(verification_code::Entity::find()
        .filter(verification_code::Column::PhoneIndex.eq(phone_index))
        .filter(verification_code::Column::Purpose.eq(purpose))
        .filter(verification_code::Column::CreatedAt.gte(since))
        .order_by_desc(verification_code::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn code_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> StoreResult<Option<CodeRow>> {
    Ok(verification_code::Entity::find_by_id(id).one(db).await?)
}

/// Counts a wrong guess.
pub async fn count_code_attempt<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    attempts: i32,
) -> StoreResult<()> {
    verification_code::Entity::update_many()
        .col_expr(verification_code::Column::Attempts, (attempts + 1).into())
        .filter(verification_code::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Uses a code up; `false` if it was already used (a second submit of the same form).
pub async fn consume_code<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(verification_code::Entity::update_many()
        .col_expr(verification_code::Column::ConsumedAt, Some(now).into())
        .filter(verification_code::Column::Id.eq(id))
        .filter(verification_code::Column::ConsumedAt.is_null())
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Deletes every notification of an account (its inbox and undelivered messages).
pub async fn delete_for_account<C: ConnectionTrait>(db: &C, account_id: Uuid) -> StoreResult<u64> {
    Ok(notification::Entity::delete_many()
        .filter(notification::Column::AccountId.eq(account_id))
        .exec(db)
        .await?
        .rows_affected)
}
