//! Storage of the OpenID Connect provider: clients, signing keys, codes, tokens and consent.
//!
//! Secrets, codes and tokens arrive here hashed; private keys arrive encrypted. Codes are used
//! up by a conditional UPDATE, so two requests with one code cannot both succeed.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, SqlErr,
};
use uuid::Uuid;

use crate::entities::{oidc_client, oidc_code, oidc_consent, oidc_key, oidc_token};
use crate::{StoreError, StoreResult};

pub use oidc_client::Model as ClientRow;
pub use oidc_code::Model as CodeRow;
pub use oidc_key::Model as KeyRow;
pub use oidc_token::Model as TokenRow;

/// Inserts a client; a `client_id` already taken is [`StoreError::Duplicate`].
pub async fn insert_client<C: ConnectionTrait>(db: &C, row: ClientRow) -> StoreResult<()> {
    let result = oidc_client::Entity::insert(oidc_client::ActiveModel {
        id: Set(row.id),
        region_id: Set(row.region_id),
        client_id: Set(row.client_id),
        name: Set(row.name),
        department_id: Set(row.department_id),
        secret_hash: Set(row.secret_hash),
        is_public: Set(row.is_public),
        redirect_uris: Set(row.redirect_uris),
        post_logout_redirect_uris: Set(row.post_logout_redirect_uris),
        scopes: Set(row.scopes),
        sector_id: Set(row.sector_id),
        allow_id_number: Set(row.allow_id_number),
        status: Set(row.status),
        created_by: Set(row.created_by),
        created_at: Set(row.created_at),
        updated_at: Set(row.updated_at),
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

/// A client by its public `client_id`, whatever its status.
pub async fn client_by_client_id<C: ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> StoreResult<Option<ClientRow>> {
    Ok(oidc_client::Entity::find()
        .filter(oidc_client::Column::ClientId.eq(client_id))
        .one(db)
        .await?)
}

pub async fn client_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> StoreResult<Option<ClientRow>> {
    Ok(oidc_client::Entity::find_by_id(id).one(db).await?)
}

/// The clients of one region, oldest first.
pub async fn clients_of<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
) -> StoreResult<Vec<ClientRow>> {
    Ok(oidc_client::Entity::find()
        .filter(oidc_client::Column::RegionId.eq(region_id))
        .order_by_asc(oidc_client::Column::CreatedAt)
        .order_by_asc(oidc_client::Column::ClientId)
        .all(db)
        .await?)
}

/// Sets a client's status within its region; `false` when no such client.
pub async fn set_client_status<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    client_id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(oidc_client::Entity::update_many()
        .col_expr(oidc_client::Column::Status, status.into())
        .col_expr(oidc_client::Column::UpdatedAt, now.into())
        .filter(oidc_client::Column::RegionId.eq(region_id))
        .filter(oidc_client::Column::ClientId.eq(client_id))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Replaces a confidential client's secret hash within its region; `false` when no such
/// confidential client.
pub async fn set_client_secret<C: ConnectionTrait>(
    db: &C,
    region_id: Uuid,
    client_id: &str,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(oidc_client::Entity::update_many()
        .col_expr(
            oidc_client::Column::SecretHash,
            Some(secret_hash.to_owned()).into(),
        )
        .col_expr(oidc_client::Column::UpdatedAt, now.into())
        .filter(oidc_client::Column::RegionId.eq(region_id))
        .filter(oidc_client::Column::ClientId.eq(client_id))
        .filter(oidc_client::Column::IsPublic.eq(false))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

pub async fn insert_key<C: ConnectionTrait>(db: &C, row: KeyRow) -> StoreResult<()> {
    oidc_key::Entity::insert(oidc_key::ActiveModel {
        kid: Set(row.kid),
        alg: Set(row.alg),
        public_key: Set(row.public_key),
        private_ciphertext: Set(row.private_ciphertext),
        created_at: Set(row.created_at),
        retired_at: Set(row.retired_at),
        expires_at: Set(row.expires_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The key that signs: the newest one not retired.
pub async fn signing_key<C: ConnectionTrait>(db: &C) -> StoreResult<Option<KeyRow>> {
    Ok(oidc_key::Entity::find()
        .filter(oidc_key::Column::RetiredAt.is_null())
        .order_by_desc(oidc_key::Column::CreatedAt)
        .order_by_desc(oidc_key::Column::Kid)
        .one(db)
        .await?)
}

/// Keys to publish: the signing keys and retired keys still in their grace period.
pub async fn published_keys<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
) -> StoreResult<Vec<KeyRow>> {
    Ok(oidc_key::Entity::find()
        .filter(
            Condition::any()
                .add(oidc_key::Column::ExpiresAt.is_null())
                .add(oidc_key::Column::ExpiresAt.gt(now)),
        )
        .order_by_desc(oidc_key::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Stops every signing key from signing; they stay published until `expires_at`.
pub async fn retire_keys<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(oidc_key::Entity::update_many()
        .col_expr(oidc_key::Column::RetiredAt, Some(now).into())
        .col_expr(oidc_key::Column::ExpiresAt, Some(expires_at).into())
        .filter(oidc_key::Column::RetiredAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn insert_code<C: ConnectionTrait>(db: &C, row: CodeRow) -> StoreResult<()> {
    oidc_code::Entity::insert(oidc_code::ActiveModel {
        code_hash: Set(row.code_hash),
        client_id: Set(row.client_id),
        account_id: Set(row.account_id),
        redirect_uri: Set(row.redirect_uri),
        scope: Set(row.scope),
        nonce: Set(row.nonce),
        code_challenge: Set(row.code_challenge),
        auth_time: Set(row.auth_time),
        amr: Set(row.amr),
        enterprise: Set(row.enterprise),
        created_at: Set(row.created_at),
        expires_at: Set(row.expires_at),
        used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Uses up a code: a conditional UPDATE that only one request can win. Returns the code when
/// this call used it; `None` when it is unknown, expired or already used.
pub async fn use_code<C: ConnectionTrait>(
    db: &C,
    code_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<CodeRow>> {
    let won = oidc_code::Entity::update_many()
        .col_expr(oidc_code::Column::UsedAt, Some(now).into())
        .filter(oidc_code::Column::CodeHash.eq(code_hash))
        .filter(oidc_code::Column::UsedAt.is_null())
        .filter(oidc_code::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if !won {
        return Ok(None);
    }
    Ok(oidc_code::Entity::find_by_id(code_hash.to_owned())
        .one(db)
        .await?)
}

/// Whether a code with this hash was issued (used or not): a replay is told apart from junk.
pub async fn code_exists<C: ConnectionTrait>(db: &C, code_hash: &str) -> StoreResult<bool> {
    Ok(oidc_code::Entity::find_by_id(code_hash.to_owned())
        .one(db)
        .await?
        .is_some())
}

pub async fn insert_token<C: ConnectionTrait>(db: &C, row: TokenRow) -> StoreResult<()> {
    oidc_token::Entity::insert(oidc_token::ActiveModel {
        token_hash: Set(row.token_hash),
        client_id: Set(row.client_id),
        account_id: Set(row.account_id),
        code_hash: Set(row.code_hash),
        scope: Set(row.scope),
        enterprise: Set(row.enterprise),
        created_at: Set(row.created_at),
        expires_at: Set(row.expires_at),
        revoked_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Revokes the tokens issued for a code (a replayed code may have been stolen).
pub async fn revoke_tokens_of_code<C: ConnectionTrait>(
    db: &C,
    code_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<u64> {
    Ok(oidc_token::Entity::update_many()
        .col_expr(oidc_token::Column::RevokedAt, Some(now).into())
        .filter(oidc_token::Column::CodeHash.eq(code_hash))
        .filter(oidc_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// A live token (not revoked, not expired).
pub async fn live_token<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<TokenRow>> {
    Ok(oidc_token::Entity::find_by_id(token_hash.to_owned())
        .filter(oidc_token::Column::RevokedAt.is_null())
        .filter(oidc_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Whether the person already allowed exactly this set of scopes to this client.
pub async fn has_consent<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    client: Uuid,
    scope: &str,
) -> StoreResult<bool> {
    Ok(oidc_consent::Entity::find()
        .filter(oidc_consent::Column::AccountId.eq(account_id))
        .filter(oidc_consent::Column::ClientId.eq(client))
        .filter(oidc_consent::Column::Scope.eq(scope))
        .one(db)
        .await?
        .is_some())
}

/// Remembers consent; remembering it twice changes nothing.
pub async fn record_consent<C: ConnectionTrait>(
    db: &C,
    account_id: Uuid,
    client: Uuid,
    scope: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    oidc_consent::Entity::insert(oidc_consent::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_id: Set(account_id),
        client_id: Set(client),
        scope: Set(scope.to_owned()),
        granted_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            oidc_consent::Column::AccountId,
            oidc_consent::Column::ClientId,
            oidc_consent::Column::Scope,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
