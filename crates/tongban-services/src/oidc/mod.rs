//! The OpenID Connect provider's use cases: registering department clients, the authorization
//! code flow with PKCE and consent, the token endpoint (authorization_code and
//! client_credentials), userinfo, end-session, and the signing keys.
//!
//! Subjects are pairwise: each client sector sees its own `sub` for a person (an HMAC of the
//! sector and the account under a key derived from the platform secret), so departments cannot
//! join their records on it. Secrets, codes and tokens are stored as keyed or plain hashes;
//! private keys are encrypted with the field cipher. Every issuance and every administrative
//! change writes an audit entry.

pub mod jws;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use tongban_domain::access::Role;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{MobileNumber, ResidentId};
use tongban_store::audit::AuditRecord;
use tongban_store::oidc::{ClientRow, CodeRow, KeyRow, TokenRow};
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::{FieldCipher, constant_time_eq, hmac_sha256, random_bytes, sha256_hex};
use crate::identity::{AccountKind, CurrentUser, ID_DOC_FIELD, Origin, PHONE_FIELD, SecondFactor};

/// Column context of encrypted private keys.
const KEY_FIELD: &str = "oidc_keys.private_ciphertext";

/// Scopes with a meaning for people; a client may also be given its own machine scopes.
pub const USER_SCOPES: [&str; 5] = ["openid", "profile", "phone", "id_number", "enterprise"];

/// The demo client registered by `seed demo` and demo start-up.
pub const DEMO_CLIENT_ID: &str = "demo-department-portal";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:9000/callback";
pub const DEMO_POST_LOGOUT_URI: &str = "http://127.0.0.1:9000/signed-out";

/// Lifetimes and the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The issuer: the platform's public URL, without a trailing slash.
    pub issuer: String,
    pub code_ttl: Duration,
    pub access_token_ttl: Duration,
    pub id_token_ttl: Duration,
    /// How long a rotated-out key stays in the JWKS (tokens it signed stay verifiable).
    pub key_grace: Duration,
}

impl OidcSettings {
    pub fn new(public_url: &str) -> OidcSettings {
        OidcSettings {
            issuer: public_url.trim().trim_end_matches('/').to_owned(),
            code_ttl: Duration::seconds(60),
            access_token_ttl: Duration::minutes(10),
            id_token_ttl: Duration::minutes(10),
            key_grace: Duration::days(7),
        }
    }
}

/// The provider's dependencies.
#[derive(Clone)]
pub struct Oidc {
    pub db: tongban_store::Connection,
    pub cipher: Arc<dyn FieldCipher>,
    pub settings: OidcSettings,
    secret_key: [u8; 32],
    pairwise_key: [u8; 32],
}

/// Who performs an administrative action.
#[derive(Debug, Clone, Copy)]
pub enum Admin<'a> {
    /// An operator at the server's console (`tongban oidc …`): whoever can run the binary
    /// against the database already holds every key.
    Console,
    /// A signed-in account; must hold the system administrator role in the region.
    User(&'a CurrentUser),
}

impl Admin<'_> {
    fn actor(&self) -> Option<Uuid> {
        match self {
            Admin::Console => None,
            Admin::User(user) => Some(user.account_id),
        }
    }
    fn via(&self) -> &'static str {
        match self {
            Admin::Console => "console",
            Admin::User(_) => "web",
        }
    }
}

/// What a new client looks like, as typed by an administrator.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    /// Chosen by the platform when empty.
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Empty means `openid profile`.
    pub scopes: Vec<String>,
    /// Empty means the host of the first redirect URI.
    pub sector: String,
    pub public: bool,
    pub allow_id_number: bool,
    pub department_code: String,
}

/// Why a client was not registered, per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientProblem {
    NameMissing,
    NameTooLong,
    ClientIdInvalid,
    ClientIdTaken,
    RedirectMissing,
    RedirectInvalid,
    PostLogoutInvalid,
    ScopeInvalid,
    SectorInvalid,
    DepartmentUnknown,
}

impl ClientProblem {
    /// The form field it belongs to.
    pub fn field(self) -> &'static str {
        match self {
            ClientProblem::NameMissing | ClientProblem::NameTooLong => "name",
            ClientProblem::ClientIdInvalid | ClientProblem::ClientIdTaken => "client_id",
            ClientProblem::RedirectMissing | ClientProblem::RedirectInvalid => "redirect_uris",
            ClientProblem::PostLogoutInvalid => "post_logout_redirect_uris",
            ClientProblem::ScopeInvalid => "scopes",
            ClientProblem::SectorInvalid => "sector",
            ClientProblem::DepartmentUnknown => "department",
        }
    }

    /// A stable key (interface strings, CLI messages).
    pub fn key(self) -> &'static str {
        match self {
            ClientProblem::NameMissing => "name-missing",
            ClientProblem::NameTooLong => "name-too-long",
            ClientProblem::ClientIdInvalid => "client-id-invalid",
            ClientProblem::ClientIdTaken => "client-id-taken",
            ClientProblem::RedirectMissing => "redirect-missing",
            ClientProblem::RedirectInvalid => "redirect-invalid",
            ClientProblem::PostLogoutInvalid => "post-logout-invalid",
            ClientProblem::ScopeInvalid => "scope-invalid",
            ClientProblem::SectorInvalid => "sector-invalid",
            ClientProblem::DepartmentUnknown => "department-unknown",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientAdminError {
    #[error("the client is not valid: {0:?}")]
    Invalid(Vec<ClientProblem>),
    #[error("only system administrators manage clients")]
    Forbidden,
    #[error("no such client")]
    NotFound,
    #[error("region {0} is not loaded")]
    UnknownRegion(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A client just registered or given a new secret: the secret is shown once, never stored.
#[derive(Debug, Clone)]
pub struct IssuedClient {
    pub client_id: String,
    pub secret: Option<String>,
}

/// A registered client as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    pub client_id: String,
    pub name: String,
    pub department_id: Option<Uuid>,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub sector: String,
    pub allow_id_number: bool,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl ClientSummary {
    fn of(row: &ClientRow) -> ClientSummary {
        ClientSummary {
            client_id: row.client_id.clone(),
            name: row.name.clone(),
            department_id: row.department_id,
            public: row.is_public,
            redirect_uris: strings(&row.redirect_uris),
            post_logout_redirect_uris: strings(&row.post_logout_redirect_uris),
            scopes: strings(&row.scopes),
            sector: row.sector_id.clone(),
            allow_id_number: row.allow_id_number,
            active: row.status == "active",
            created_at: row.created_at,
        }
    }
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The parameters of an authorization request, as received.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeRequest {
    #[serde(default)]
    pub response_type: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
}

/// An authorization request that may go ahead.
#[derive(Debug, Clone)]
pub struct ValidAuthorize {
    pub client: ClientSummary,
    client_pk: Uuid,
    pub redirect_uri: String,
    /// Sorted, without duplicates.
    pub scopes: Vec<String>,
    pub state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
}

impl ValidAuthorize {
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }
}

/// Why an authorization request cannot go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeProblem {
    /// Unknown or disabled client: an error page, never a redirect.
    UnknownClient,
    /// A redirect URI that is not registered (or missing): an error page, never a redirect.
    BadRedirectUri,
    /// An error for the client, sent to its (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        description: &'static str,
        state: Option<String>,
    },
}

impl AuthorizeProblem {
    /// The client's redirect URI with the error, for the `Redirect` case.
    pub fn location(&self) -> Option<String> {
        match self {
            AuthorizeProblem::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => Some(with_query(
                redirect_uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(description)),
                    ("state", state.as_deref()),
                ],
            )),
            _ => None,
        }
    }
}

/// `uri` with parameters added to its query.
pub fn with_query(uri: &str, params: &[(&str, Option<&str>)]) -> String {
    let mut out = uri.to_owned();
    let mut separator = if uri.contains('?') { '&' } else { '?' };
    for (name, value) in params {
        if let Some(value) = value {
            out.push(separator);
            out.push_str(name);
            out.push('=');
            out.push_str(&form_encode(value));
            separator = '&';
        }
    }
    out
}

/// application/x-www-form-urlencoded encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// How a client authenticated at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    pub client_id: String,
    pub secret: Option<String>,
    /// HTTP Basic (so a failure answers 401 with `WWW-Authenticate`).
    pub basic: bool,
}

/// RFC 6749 §5.2 errors of the token endpoint.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("invalid_client")]
    InvalidClient { basic: bool },
    #[error("invalid_grant: {0}")]
    InvalidGrant(&'static str),
    #[error("invalid_request: {0}")]
    InvalidRequest(&'static str),
    #[error("invalid_scope")]
    InvalidScope,
    #[error("unauthorized_client: {0}")]
    UnauthorizedClient(&'static str),
    #[error("unsupported_grant_type")]
    UnsupportedGrantType,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl TokenError {
    /// The RFC 6749 error code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidClient { .. } => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::InvalidRequest(_) => "invalid_request",
            TokenError::InvalidScope => "invalid_scope",
            TokenError::UnauthorizedClient(_) => "unauthorized_client",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::Store(_) => "server_error",
        }
    }

    /// A description for the client's developers (never personal data, never internals).
    pub fn description(&self) -> &'static str {
        match self {
            TokenError::InvalidClient { .. } => "client authentication failed",
            TokenError::InvalidGrant(why)
            | TokenError::InvalidRequest(why)
            | TokenError::UnauthorizedClient(why) => why,
            TokenError::InvalidScope => "a requested scope is not allowed for this client",
            TokenError::UnsupportedGrantType => {
                "grant_type must be authorization_code or client_credentials"
            }
            TokenError::Store(_) => "the server could not complete the request",
        }
    }
}

/// A successful token response.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

/// A token made by [`Oidc::issue_demo_token`].
#[derive(Debug, Clone)]
pub struct DemoToken {
    pub access_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Why no demo token was issued.
#[derive(Debug, thiserror::Error)]
pub enum DemoTokenError {
    #[error(
        "the demo client is not registered (start the server in demo mode or run `tongban seed demo` first)"
    )]
    NoDemoClient,
    #[error("the account is not an active person's account")]
    NotAPerson,
    #[error("a demo token lives between one minute and one day")]
    Lifetime,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A live access token as an API sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BearerToken {
    pub client_id: String,
    /// The client's region: the tenant the token may act in.
    pub region_id: Uuid,
    /// `None` for machine tokens (client_credentials).
    pub account_id: Option<Uuid>,
    /// The department the client was registered for: whose data-exchange requests it makes.
    pub department_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum UserinfoError {
    /// Unknown, expired or revoked token, or one with no person behind it.
    #[error("invalid_token")]
    InvalidToken,
    /// The token was not issued with `openid`.
    #[error("insufficient_scope")]
    InsufficientScope,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The `enterprise` claim: the enterprise the person currently acts for (as its legal
/// representative or an authorised agent), with what the mandate lets them do. Nothing when
/// they act for themselves or for another person: a relative's mandate is not an enterprise's.
pub fn enterprise_claim(user: &CurrentUser) -> Option<serde_json::Value> {
    let acting = user.acting_for.as_ref()?;
    (acting.kind == crate::identity::agency::PrincipalKind::Enterprise).then(|| {
        serde_json::json!({
            "name": acting.name,
            "credit_code": acting.credit_code,
            "scopes": acting.scopes,
        })
    })
}

fn random_token() -> Result<String, StoreError> {
    random_bytes::<32>()
        .map(|b| B64URL.encode(b))
        .map_err(|e| StoreError::Db(tongban_store::sea_orm::DbErr::Custom(e.to_string())))
}

fn custom(message: impl Into<String>) -> StoreError {
    StoreError::Db(tongban_store::sea_orm::DbErr::Custom(message.into()))
}

/// Whether `uri` may be registered as a redirect URI: absolute HTTPS, or HTTP on the loopback
/// interface (a developer's machine, RFC 8252 §7.3); no fragment, no spaces.
pub fn acceptable_redirect_uri(uri: &str) -> bool {
    let rest = if let Some(rest) = uri.strip_prefix("https://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return false;
        }
        rest
    } else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    !host.is_empty()
        && !host.contains('@')
        && uri.len() <= 512
        && !uri.contains('#')
        && uri.bytes().all(|b| b.is_ascii_graphic())
}

fn host_of(uri: &str) -> String {
    uri.split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
        .map(|h| h.rsplit_once(':').map_or(h, |(host, _)| host))
        .unwrap_or("")
        .to_owned()
}

fn valid_scope_token(scope: &str) -> bool {
    (1..=64).contains(&scope.len())
        && scope
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_:.-".contains(&b))
}

fn valid_client_id(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Sorted, de-duplicated scopes of a space-separated list.
fn scope_set(scope: &str) -> Vec<String> {
    let mut scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    scopes.sort();
    scopes.dedup();
    scopes
}

/// S256 of a PKCE verifier (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    B64URL.encode(Sha256::digest(verifier.as_bytes()))
}

fn valid_pkce_value(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

impl Oidc {
    pub fn new(
        db: tongban_store::Connection,
        cipher: Arc<dyn FieldCipher>,
        platform_secret: &[u8; 32],
        settings: OidcSettings,
    ) -> Oidc {
        Oidc {
            db,
            cipher,
            settings,
            secret_key: hmac_sha256(platform_secret, b"tongban oidc client secrets v1"),
            pairwise_key: hmac_sha256(platform_secret, b"tongban oidc pairwise subject v1"),
        }
    }

    /// The keyed hash a client secret is stored as. Secrets are 256 random bits, so a fast
    /// keyed hash is enough (no password stretching needed) and leaks nothing if read.
    fn secret_hash(&self, secret: &str) -> String {
        hex::encode(hmac_sha256(&self.secret_key, secret.as_bytes()))
    }

    /// The subject a sector sees for an account.
    pub fn pairwise_subject(&self, sector: &str, account_id: Uuid) -> String {
        let mut message = Vec::with_capacity(sector.len() + 17);
        message.extend_from_slice(sector.as_bytes());
        message.push(0);
        message.extend_from_slice(account_id.as_bytes());
        B64URL.encode(hmac_sha256(&self.pairwise_key, &message))
    }

    /// The demo client's secret, derived from the platform secret (like the demo staff's
    /// authenticator secrets), so a restart prints the same one.
    pub fn demo_client_secret(&self) -> String {
        B64URL.encode(hmac_sha256(&self.secret_key, b"demo client secret"))
    }

    async fn audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        tongban_store::audit::append_alone(&self.db, &record)
            .await
            .map(|_| ())
    }

    // ---- signing keys -------------------------------------------------------------------

    /// Makes the first signing key when there is none (first start).
    pub async fn ensure_signing_key(&self, clock: &dyn Clock) -> Result<String, StoreError> {
        if let Some(key) = tongban_store::oidc::signing_key(&self.db).await? {
            return Ok(key.kid);
        }
        let key = self.new_key_row(clock.now())?;
        let kid = key.kid.clone();
        tongban_store::oidc::insert_key(&self.db, key).await?;
        tracing::info!(%kid, "OpenID Connect signing key created");
        Ok(kid)
    }

    fn new_key_row(&self, now: DateTime<Utc>) -> Result<KeyRow, StoreError> {
        let secret = random_bytes::<32>().map_err(|e| custom(e.to_string()))?;
        let key = jws::SigningKey::from_secret(secret);
        Ok(KeyRow {
            kid: key.kid.clone(),
            alg: jws::ALG.to_owned(),
            public_key: key.public_b64(),
            private_ciphertext: self
                .cipher
                .encrypt(KEY_FIELD, &key.secret_b64())
                .map_err(|e| custom(e.to_string()))?,
            created_at: now,
            retired_at: None,
            expires_at: None,
        })
    }

    /// Starts signing with a new key; the previous ones stay in the JWKS for the grace period.
    /// Returns the new key's id.
    pub async fn rotate_keys(
        &self,
        clock: &dyn Clock,
        by: Admin<'_>,
        origin: &Origin,
    ) -> Result<String, ClientAdminError> {
        self.require_admin(by, None)?;
        let now = clock.now();
        let key = self.new_key_row(now)?;
        let kid = key.kid.clone();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let retired =
            tongban_store::oidc::retire_keys(&txn, now, now + self.settings.key_grace).await?;
        tongban_store::oidc::insert_key(&txn, key).await?;
        tongban_store::audit::append(
            &txn,
            &AuditRecord {
                at: now,
                region_id: None,
                actor_id: by.actor(),
                on_behalf_of: None,
                action: "oidc.keys.rotate".to_owned(),
                target: Some(kid.clone()),
                outcome: "success".to_owned(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({ "retired": retired, "via": by.via() }),
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(kid)
    }

    /// The JWKS document: every key still published.
    pub async fn jwks(&self, clock: &dyn Clock) -> Result<serde_json::Value, StoreError> {
        let keys = tongban_store::oidc::published_keys(&self.db, clock.now()).await?;
        Ok(serde_json::json!({ "keys": keys.iter().map(jws::jwk).collect::<Vec<_>>() }))
    }

    async fn signer(&self, clock: &dyn Clock) -> Result<jws::SigningKey, StoreError> {
        let row = match tongban_store::oidc::signing_key(&self.db).await? {
            Some(row) => row,
            None => {
                self.ensure_signing_key(clock).await?;
                tongban_store::oidc::signing_key(&self.db)
                    .await?
                    .ok_or_else(|| custom("no signing key"))?
            }
        };
        let secret = self
            .cipher
            .decrypt(KEY_FIELD, &row.private_ciphertext)
            .map_err(|e| custom(format!("signing key {}: {e}", row.kid)))?;
        jws::SigningKey::from_secret_b64(&secret)
            .ok_or_else(|| custom(format!("signing key {} is damaged", row.kid)))
    }

    /// The discovery document.
    pub fn discovery(&self) -> serde_json::Value {
        let issuer = &self.settings.issuer;
        serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/oidc/authorize"),
            "token_endpoint": format!("{issuer}/oidc/token"),
            "userinfo_endpoint": format!("{issuer}/oidc/userinfo"),
            "jwks_uri": format!("{issuer}/oidc/jwks"),
            "end_session_endpoint": format!("{issuer}/oidc/end-session"),
            "scopes_supported": USER_SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [jws::ALG],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "acr",
                "name", "phone_number", "phone_number_verified", "id_number", "enterprise"
            ],
            "acr_values_supported": [ACR_PASSWORD, ACR_SECOND_FACTOR],
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "ui_locales_supported": ["zh-CN", "en", "ug", "bo"],
        })
    }

    // ---- clients ------------------------------------------------------------------------

    fn require_admin(&self, by: Admin<'_>, region: Option<Uuid>) -> Result<(), ClientAdminError> {
        match by {
            Admin::Console => Ok(()),
            Admin::User(user) => {
                let allowed = user.second_factor == SecondFactor::Passed
                    && user.roles.iter().any(|g| {
                        g.role == Role::SystemAdmin && region.is_none_or(|r| g.region_id == r)
                    });
                if allowed {
                    Ok(())
                } else {
                    Err(ClientAdminError::Forbidden)
                }
            }
        }
    }

    async fn region(&self, code: &str) -> Result<Uuid, ClientAdminError> {
        tongban_store::catalog::region_id(&self.db, code)
            .await?
            .ok_or_else(|| ClientAdminError::UnknownRegion(code.to_owned()))
    }

    /// Registers a client in a region. Returns the client id and, for confidential clients,
    /// the secret (shown once: only its keyed hash is stored).
    pub async fn register_client(
        &self,
        clock: &dyn Clock,
        by: Admin<'_>,
        region_code: &str,
        new: &NewClient,
        origin: &Origin,
    ) -> Result<IssuedClient, ClientAdminError> {
        self.register(clock, by, region_code, new, origin, None)
            .await
    }

    /// Registers a client; `demo_secret` is the demo client's derived secret, seeded like the
    /// demo accounts (no audit entry: nobody acted).
    async fn register(
        &self,
        clock: &dyn Clock,
        by: Admin<'_>,
        region_code: &str,
        new: &NewClient,
        origin: &Origin,
        demo_secret: Option<String>,
    ) -> Result<IssuedClient, ClientAdminError> {
        let seeding = demo_secret.is_some();
        let region = self.region(region_code).await?;
        self.require_admin(by, Some(region))?;
        let now = clock.now();
        let mut problems = Vec::new();
        let name = new.name.trim();
        if name.is_empty() {
            problems.push(ClientProblem::NameMissing);
        } else if name.chars().count() > 200 {
            problems.push(ClientProblem::NameTooLong);
        }
        let client_id = if new.client_id.trim().is_empty() {
            let suffix = random_bytes::<8>().map_err(|e| custom(e.to_string()))?;
            format!("tb-{}", hex::encode(suffix))
        } else {
            new.client_id.trim().to_owned()
        };
        if !valid_client_id(&client_id) {
            problems.push(ClientProblem::ClientIdInvalid);
        }
        let clean = |list: &[String]| -> Vec<String> {
            let mut out: Vec<String> = list
                .iter()
                .flat_map(|l| l.split_whitespace())
                .map(str::to_owned)
                .collect();
            out.dedup();
            out
        };
        let redirect_uris = clean(&new.redirect_uris);
        if redirect_uris.is_empty() {
            problems.push(ClientProblem::RedirectMissing);
        } else if !redirect_uris.iter().all(|u| acceptable_redirect_uri(u)) {
            problems.push(ClientProblem::RedirectInvalid);
        }
        let post_logout = clean(&new.post_logout_redirect_uris);
        if !post_logout.iter().all(|u| acceptable_redirect_uri(u)) {
            problems.push(ClientProblem::PostLogoutInvalid);
        }
        let mut scopes = scope_set(&new.scopes.join(" "));
        if scopes.is_empty() {
            scopes = vec!["openid".to_owned(), "profile".to_owned()];
        }
        if !scopes.iter().all(|s| valid_scope_token(s)) {
            problems.push(ClientProblem::ScopeInvalid);
        }
        if new.allow_id_number && !scopes.iter().any(|s| s == "id_number") {
            scopes.push("id_number".to_owned());
            scopes.sort();
        }
        let sector = if new.sector.trim().is_empty() {
            redirect_uris
                .first()
                .map(|u| host_of(u))
                .unwrap_or_default()
        } else {
            new.sector.trim().to_owned()
        };
        if sector.is_empty() || sector.len() > 255 || !sector.bytes().all(|b| b.is_ascii_graphic())
        {
            problems.push(ClientProblem::SectorInvalid);
        }
        let department_id = if new.department_code.trim().is_empty() {
            None
        } else {
            let departments = tongban_store::catalog::department_ids(&self.db, region).await?;
            match departments.get(new.department_code.trim()) {
                Some(id) => Some(*id),
                None => {
                    problems.push(ClientProblem::DepartmentUnknown);
                    None
                }
            }
        };
        if !problems.is_empty() {
            return Err(ClientAdminError::Invalid(problems));
        }
        let secret = if new.public {
            None
        } else if let Some(secret) = demo_secret {
            Some(secret)
        } else {
            Some(random_token()?)
        };
        let row = ClientRow {
            id: Uuid::now_v7(),
            region_id: region,
            client_id: client_id.clone(),
            name: name.to_owned(),
            department_id,
            secret_hash: secret.as_deref().map(|s| self.secret_hash(s)),
            is_public: new.public,
            redirect_uris: serde_json::json!(redirect_uris),
            post_logout_redirect_uris: serde_json::json!(post_logout),
            scopes: serde_json::json!(scopes),
            sector_id: sector.clone(),
            allow_id_number: new.allow_id_number,
            status: "active".to_owned(),
            created_by: by.actor(),
            created_at: now,
            updated_at: now,
        };
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        match tongban_store::oidc::insert_client(&txn, row).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => {
                return Err(ClientAdminError::Invalid(vec![
                    ClientProblem::ClientIdTaken,
                ]));
            }
            Err(other) => return Err(other.into()),
        }
        if seeding {
            txn.commit().await.map_err(StoreError::from)?;
            return Ok(IssuedClient { client_id, secret });
        }
        tongban_store::audit::append(
            &txn,
            &AuditRecord {
                at: now,
                region_id: Some(region),
                actor_id: by.actor(),
                on_behalf_of: None,
                action: "oidc.client.add".to_owned(),
                target: Some(client_id.clone()),
                outcome: "success".to_owned(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({
                    "name": name,
                    "public": new.public,
                    "scopes": scopes,
                    "sector": sector,
                    "allow_id_number": new.allow_id_number,
                    "via": by.via(),
                }),
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(IssuedClient { client_id, secret })
    }

    /// The clients of a region.
    pub async fn list_clients(
        &self,
        by: Admin<'_>,
        region_code: &str,
    ) -> Result<Vec<ClientSummary>, ClientAdminError> {
        let region = self.region(region_code).await?;
        self.require_admin(by, Some(region))?;
        Ok(tongban_store::oidc::clients_of(&self.db, region)
            .await?
            .iter()
            .map(ClientSummary::of)
            .collect())
    }

    /// Disables (or re-enables) a client: a disabled client can neither sign people in nor
    /// get tokens.
    pub async fn set_client_active(
        &self,
        clock: &dyn Clock,
        by: Admin<'_>,
        region_code: &str,
        client_id: &str,
        active: bool,
        origin: &Origin,
    ) -> Result<(), ClientAdminError> {
        let region = self.region(region_code).await?;
        self.require_admin(by, Some(region))?;
        let now = clock.now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let status = if active { "active" } else { "disabled" };
        if !tongban_store::oidc::set_client_status(&txn, region, client_id, status, now).await? {
            return Err(ClientAdminError::NotFound);
        }
        tongban_store::audit::append(
            &txn,
            &admin_record(
                now,
                region,
                by,
                if active {
                    "oidc.client.enable"
                } else {
                    "oidc.client.disable"
                },
                client_id,
                origin,
            ),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Gives a confidential client a new secret (the old one stops working at once).
    pub async fn rotate_client_secret(
        &self,
        clock: &dyn Clock,
        by: Admin<'_>,
        region_code: &str,
        client_id: &str,
        origin: &Origin,
    ) -> Result<IssuedClient, ClientAdminError> {
        let region = self.region(region_code).await?;
        self.require_admin(by, Some(region))?;
        let now = clock.now();
        let secret = random_token()?;
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        if !tongban_store::oidc::set_client_secret(
            &txn,
            region,
            client_id,
            &self.secret_hash(&secret),
            now,
        )
        .await?
        {
            return Err(ClientAdminError::NotFound);
        }
        tongban_store::audit::append(
            &txn,
            &admin_record(now, region, by, "oidc.client.secret", client_id, origin),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(IssuedClient {
            client_id: client_id.to_owned(),
            secret: Some(secret),
        })
    }

    /// Registers the demo client when it is missing; returns its id and (derived) secret.
    pub async fn seed_demo_client(
        &self,
        clock: &dyn Clock,
        region_code: &str,
    ) -> Result<(String, String), ClientAdminError> {
        let secret = self.demo_client_secret();
        if tongban_store::oidc::client_by_client_id(&self.db, DEMO_CLIENT_ID)
            .await?
            .is_none()
        {
            let new = NewClient {
                client_id: DEMO_CLIENT_ID.to_owned(),
                name: "示范市市场监管局业务系统 (demo)".to_owned(),
                redirect_uris: vec![DEMO_REDIRECT_URI.to_owned()],
                post_logout_redirect_uris: vec![DEMO_POST_LOGOUT_URI.to_owned()],
                scopes: ["openid", "profile", "phone", "enterprise"]
                    .map(str::to_owned)
                    .to_vec(),
                sector: "demo-department-portal.example".to_owned(),
                department_code: "SJ".to_owned(),
                ..NewClient::default()
            };
            let origin = Origin::default();
            match self
                .register(
                    clock,
                    Admin::Console,
                    region_code,
                    &new,
                    &origin,
                    Some(secret.clone()),
                )
                .await
            {
                // Another instance seeded it at the same moment.
                Ok(_) => {}
                Err(ClientAdminError::Invalid(problems))
                    if problems == [ClientProblem::ClientIdTaken] => {}
                Err(other) => return Err(other),
            }
        }
        Ok((DEMO_CLIENT_ID.to_owned(), secret))
    }

    /// An access token of the demo client for a person's account, without a browser sign-in:
    /// what `tongban demo token` prints so that benchmarks and reliability tests can call the
    /// applications API as several people. The caller checks the mode is demo and the account
    /// is a demo person (`Identity::demo_person`); this refuses machine and closed accounts and
    /// lifetimes over a day, and audits the issuance as `oidc.demo-token`.
    pub async fn issue_demo_token(
        &self,
        clock: &dyn Clock,
        account_id: Uuid,
        ttl: Duration,
    ) -> Result<DemoToken, DemoTokenError> {
        if ttl < Duration::minutes(1) || ttl > Duration::days(1) {
            return Err(DemoTokenError::Lifetime);
        }
        let now = clock.now();
        let client = tongban_store::oidc::client_by_client_id(&self.db, DEMO_CLIENT_ID)
            .await?
            .filter(|c| c.status == "active")
            .ok_or(DemoTokenError::NoDemoClient)?;
        tongban_store::identity::account_by_id(&self.db, account_id)
            .await?
            .filter(|a| a.status == "active" && a.kind == AccountKind::Person.key())
            .ok_or(DemoTokenError::NotAPerson)?;
        let access_token = random_token()?;
        let expires_at = now + ttl;
        let scope = "openid profile".to_owned();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::oidc::insert_token(
            &txn,
            TokenRow {
                token_hash: sha256_hex(access_token.as_bytes()),
                client_id: client.id,
                account_id: Some(account_id),
                code_hash: None,
                scope: scope.clone(),
                enterprise: None,
                created_at: now,
                expires_at,
                revoked_at: None,
            },
        )
        .await?;
        tongban_store::audit::append(
            &txn,
            &AuditRecord {
                at: now,
                region_id: Some(client.region_id),
                actor_id: Some(account_id),
                on_behalf_of: None,
                action: "oidc.demo-token".to_owned(),
                target: Some(client.client_id.clone()),
                outcome: "success".to_owned(),
                ip: None,
                detail: serde_json::json!({ "scope": scope, "ttl_seconds": ttl.num_seconds() }),
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(DemoToken {
            access_token,
            expires_at,
        })
    }

    // ---- authorization ------------------------------------------------------------------

    /// Checks an authorization request. Problems with the client or its redirect URI are
    /// never sent to the redirect URI (it is not trusted); the others are.
    pub async fn validate_authorize(
        &self,
        request: &AuthorizeRequest,
    ) -> Result<ValidAuthorize, AuthorizeProblem> {
        let client =
            match tongban_store::oidc::client_by_client_id(&self.db, &request.client_id).await {
                Ok(Some(client)) if client.status == "active" => client,
                Ok(_) => return Err(AuthorizeProblem::UnknownClient),
                Err(error) => {
                    tracing::error!(%error, "client look-up failed");
                    return Err(AuthorizeProblem::UnknownClient);
                }
            };
        // Exact string comparison: no prefix, no normalisation (RFC 9700 §4.1).
        if !strings(&client.redirect_uris).contains(&request.redirect_uri) {
            return Err(AuthorizeProblem::BadRedirectUri);
        }
        let state = request.state.clone().filter(|s| !s.is_empty());
        let fail = |error: &'static str, description: &'static str| AuthorizeProblem::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            error,
            description,
            state: state.clone(),
        };
        if state.as_ref().is_some_and(|s| s.len() > 512) {
            return Err(fail("invalid_request", "state is too long"));
        }
        if request.response_type != "code" {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        let scopes = scope_set(&request.scope);
        if !scopes.iter().any(|s| s == "openid") {
            return Err(fail("invalid_scope", "the openid scope is required"));
        }
        let allowed = strings(&client.scopes);
        if scopes.iter().any(|s| s == "id_number") && !client.allow_id_number {
            return Err(fail(
                "invalid_scope",
                "this client is not approved for the id_number scope",
            ));
        }
        if !scopes.iter().all(|s| allowed.contains(s)) {
            return Err(fail(
                "invalid_scope",
                "a requested scope is not allowed for this client",
            ));
        }
        let nonce = request.nonce.clone().filter(|n| !n.is_empty());
        if nonce.as_ref().is_some_and(|n| n.len() > 512) {
            return Err(fail("invalid_request", "nonce is too long"));
        }
        let code_challenge = request.code_challenge.clone().filter(|c| !c.is_empty());
        match (&code_challenge, request.code_challenge_method.as_deref()) {
            (None, _) if client.is_public => {
                return Err(fail(
                    "invalid_request",
                    "public clients must use PKCE with S256",
                ));
            }
            (None, Some(_)) => {
                return Err(fail(
                    "invalid_request",
                    "code_challenge_method without code_challenge",
                ));
            }
            (Some(challenge), Some("S256")) if valid_pkce_value(challenge) => {}
            (Some(_), Some("S256")) => {
                return Err(fail("invalid_request", "code_challenge is malformed"));
            }
            (Some(_), _) => {
                return Err(fail(
                    "invalid_request",
                    "code_challenge_method must be S256 (plain is refused)",
                ));
            }
            (None, None) => {}
        }
        Ok(ValidAuthorize {
            client: ClientSummary::of(&client),
            client_pk: client.id,
            redirect_uri: request.redirect_uri.clone(),
            scopes,
            state,
            nonce,
            code_challenge,
        })
    }

    /// Whether the person already allowed exactly these scopes to this client.
    pub async fn has_consent(
        &self,
        user: &CurrentUser,
        request: &ValidAuthorize,
    ) -> Result<bool, StoreError> {
        tongban_store::oidc::has_consent(
            &self.db,
            user.account_id,
            request.client_pk,
            &request.scope(),
        )
        .await
    }

    /// Issues a code (and remembers consent) in one transaction; returns the client's
    /// redirect URI with `code` and `state`.
    pub async fn approve(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        request: &ValidAuthorize,
        origin: &Origin,
    ) -> Result<String, StoreError> {
        let now = clock.now();
        let code = random_token()?;
        let code_hash = sha256_hex(code.as_bytes());
        let auth_time = tongban_store::identity::live_session(&self.db, &user.session_hash, now)
            .await?
            .map_or(now, |(session, _)| session.created_at);
        let scope = request.scope();
        let enterprise = if request.scopes.iter().any(|s| s == "enterprise") {
            enterprise_claim(user)
        } else {
            None
        };
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::oidc::record_consent(&txn, user.account_id, request.client_pk, &scope, now)
            .await?;
        tongban_store::oidc::insert_code(
            &txn,
            CodeRow {
                code_hash,
                client_id: request.client_pk,
                account_id: user.account_id,
                redirect_uri: request.redirect_uri.clone(),
                scope: scope.clone(),
                nonce: request.nonce.clone(),
                code_challenge: request.code_challenge.clone(),
                auth_time,
                amr: amr_of(user).join(" "),
                enterprise,
                created_at: now,
                expires_at: now + self.settings.code_ttl,
                used_at: None,
            },
        )
        .await?;
        tongban_store::audit::append(
            &txn,
            &AuditRecord {
                at: now,
                region_id: None,
                actor_id: Some(user.account_id),
                on_behalf_of: None,
                action: "oidc.authorize".to_owned(),
                target: Some(request.client.client_id.clone()),
                outcome: "success".to_owned(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({ "scope": scope }),
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(with_query(
            &request.redirect_uri,
            &[("code", Some(&code)), ("state", request.state.as_deref())],
        ))
    }

    /// The person refused: audited, and the client is told `access_denied`.
    pub async fn deny(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        request: &ValidAuthorize,
        origin: &Origin,
    ) -> Result<String, StoreError> {
        self.audit(AuditRecord {
            at: clock.now(),
            region_id: None,
            actor_id: Some(user.account_id),
            on_behalf_of: None,
            action: "oidc.authorize".to_owned(),
            target: Some(request.client.client_id.clone()),
            outcome: "denied".to_owned(),
            ip: origin.ip.clone(),
            detail: serde_json::json!({ "scope": request.scope() }),
        })
        .await?;
        Ok(with_query(
            &request.redirect_uri,
            &[
                ("error", Some("access_denied")),
                ("error_description", Some("the person declined")),
                ("state", request.state.as_deref()),
            ],
        ))
    }

    // ---- token endpoint -----------------------------------------------------------------

    async fn authenticate_client(
        &self,
        now: DateTime<Utc>,
        auth: &ClientAuth,
        origin: &Origin,
    ) -> Result<ClientRow, TokenError> {
        let client = tongban_store::oidc::client_by_client_id(&self.db, &auth.client_id).await?;
        let passed = match (&client, &auth.secret) {
            (Some(c), _) if c.status != "active" => false,
            (Some(c), Some(secret)) if !c.is_public => c.secret_hash.as_ref().is_some_and(|h| {
                constant_time_eq(h.as_bytes(), self.secret_hash(secret).as_bytes())
            }),
            (Some(c), None) => c.is_public,
            _ => false,
        };
        match client {
            Some(client) if passed => Ok(client),
            _ => {
                self.audit(AuditRecord {
                    at: now,
                    region_id: None,
                    actor_id: None,
                    on_behalf_of: None,
                    action: "oidc.token".to_owned(),
                    target: Some(auth.client_id.chars().take(64).collect()),
                    outcome: "failure".to_owned(),
                    ip: origin.ip.clone(),
                    detail: serde_json::json!({ "error": "invalid_client" }),
                })
                .await?;
                Err(TokenError::InvalidClient { basic: auth.basic })
            }
        }
    }

    /// The authorization_code grant: uses the code up (whatever follows), checks the client,
    /// redirect URI and PKCE verifier, and issues an access token and a signed ID token.
    pub async fn exchange_code(
        &self,
        clock: &dyn Clock,
        auth: &ClientAuth,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
        origin: &Origin,
    ) -> Result<TokenResponse, TokenError> {
        let now = clock.now();
        let client = self.authenticate_client(now, auth, origin).await?;
        if code.is_empty() || code.len() > 128 {
            return Err(TokenError::InvalidRequest("code is missing"));
        }
        let code_hash = sha256_hex(code.as_bytes());
        let signer = self.signer(clock).await?;
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let record = |outcome: &str, detail: serde_json::Value, actor: Option<Uuid>| AuditRecord {
            at: now,
            region_id: Some(client.region_id),
            actor_id: actor,
            on_behalf_of: None,
            action: "oidc.token".to_owned(),
            target: Some(client.client_id.clone()),
            outcome: outcome.to_owned(),
            ip: origin.ip.clone(),
            detail,
        };
        let Some(grant) = tongban_store::oidc::use_code(&txn, &code_hash, now).await? else {
            // A code seen before is a replay: whoever holds it may have stolen it, so the
            // tokens it bought are revoked (RFC 6749 §4.1.2).
            let replay = tongban_store::oidc::code_exists(&txn, &code_hash).await?;
            let revoked = if replay {
                tongban_store::oidc::revoke_tokens_of_code(&txn, &code_hash, now).await?
            } else {
                0
            };
            tongban_store::audit::append(
                &txn,
                &record(
                    "failure",
                    serde_json::json!({ "error": "invalid_grant", "replay": replay, "revoked": revoked }),
                    None,
                ),
            )
            .await?;
            txn.commit().await.map_err(StoreError::from)?;
            return Err(TokenError::InvalidGrant(
                "the code is unknown, expired or already used",
            ));
        };
        let refusal = if grant.client_id != client.id {
            Some("the code was issued to another client")
        } else if grant.redirect_uri != redirect_uri {
            Some("redirect_uri differs from the authorization request")
        } else {
            match (&grant.code_challenge, code_verifier) {
                (Some(challenge), Some(verifier))
                    if valid_pkce_value(verifier)
                        && constant_time_eq(
                            pkce_s256(verifier).as_bytes(),
                            challenge.as_bytes(),
                        ) =>
                {
                    None
                }
                (Some(_), _) => Some("the PKCE code_verifier does not match"),
                (None, Some(_)) => Some("no code_challenge was sent for this code"),
                (None, None) => None,
            }
        };
        if let Some(why) = refusal {
            // The code stays used: a failed exchange may be an attacker's.
            tongban_store::audit::append(
                &txn,
                &record(
                    "failure",
                    serde_json::json!({ "error": "invalid_grant", "why": why }),
                    Some(grant.account_id),
                ),
            )
            .await?;
            txn.commit().await.map_err(StoreError::from)?;
            return Err(TokenError::InvalidGrant(why));
        }
        let account = tongban_store::identity::account_by_id(&txn, grant.account_id)
            .await?
            .filter(|a| a.status == "active");
        let Some(account) = account else {
            txn.commit().await.map_err(StoreError::from)?;
            return Err(TokenError::InvalidGrant("the account is closed"));
        };
        let access_token = random_token()?;
        let amr: Vec<&str> = grant.amr.split_whitespace().collect();
        let acr = if amr.contains(&"otp") {
            ACR_SECOND_FACTOR
        } else {
            ACR_PASSWORD
        };
        let mut claims = serde_json::json!({
            "iss": self.settings.issuer,
            "sub": self.pairwise_subject(&client.sector_id, account.id),
            "aud": client.client_id,
            "exp": (now + self.settings.id_token_ttl).timestamp(),
            "iat": now.timestamp(),
            "auth_time": grant.auth_time.timestamp(),
            "at_hash": jws::at_hash(&access_token),
            "amr": amr,
            "acr": acr,
        });
        if let Some(nonce) = &grant.nonce {
            claims["nonce"] = serde_json::json!(nonce);
        }
        let id_token = signer.sign(&claims);
        tongban_store::oidc::insert_token(
            &txn,
            TokenRow {
                token_hash: sha256_hex(access_token.as_bytes()),
                client_id: client.id,
                account_id: Some(account.id),
                code_hash: Some(code_hash),
                scope: grant.scope.clone(),
                enterprise: grant.enterprise.clone(),
                created_at: now,
                expires_at: now + self.settings.access_token_ttl,
                revoked_at: None,
            },
        )
        .await?;
        tongban_store::audit::append(
            &txn,
            &record(
                "success",
                serde_json::json!({ "grant": "authorization_code", "scope": grant.scope, "kid": signer.kid }),
                Some(account.id),
            ),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.settings.access_token_ttl.num_seconds(),
            id_token: Some(id_token),
            scope: grant.scope,
        })
    }

    /// The client_credentials grant: a token for the department system itself, with no
    /// person behind it, for machine-to-machine calls.
    pub async fn client_credentials(
        &self,
        clock: &dyn Clock,
        auth: &ClientAuth,
        scope: &str,
        origin: &Origin,
    ) -> Result<TokenResponse, TokenError> {
        let now = clock.now();
        let client = self.authenticate_client(now, auth, origin).await?;
        if client.is_public {
            return Err(TokenError::UnauthorizedClient(
                "public clients cannot use client_credentials",
            ));
        }
        let scopes = scope_set(scope);
        let allowed = strings(&client.scopes);
        // User scopes mean nothing without a person; machine scopes must be registered.
        if scopes
            .iter()
            .any(|s| USER_SCOPES.contains(&s.as_str()) || !allowed.contains(s))
        {
            return Err(TokenError::InvalidScope);
        }
        let scope = scopes.join(" ");
        let access_token = random_token()?;
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::oidc::insert_token(
            &txn,
            TokenRow {
                token_hash: sha256_hex(access_token.as_bytes()),
                client_id: client.id,
                account_id: None,
                code_hash: None,
                scope: scope.clone(),
                enterprise: None,
                created_at: now,
                expires_at: now + self.settings.access_token_ttl,
                revoked_at: None,
            },
        )
        .await?;
        tongban_store::audit::append(
            &txn,
            &AuditRecord {
                at: now,
                region_id: Some(client.region_id),
                actor_id: None,
                on_behalf_of: None,
                action: "oidc.token".to_owned(),
                target: Some(client.client_id.clone()),
                outcome: "success".to_owned(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({ "grant": "client_credentials", "scope": scope }),
            },
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: self.settings.access_token_ttl.num_seconds(),
            id_token: None,
            scope,
        })
    }

    /// What a live access token stands for, for APIs that accept the provider's tokens (the
    /// data-exchange API checks machine tokens from client_credentials this way). `None` for
    /// unknown, expired or revoked tokens and tokens of switched-off clients.
    pub async fn bearer(
        &self,
        clock: &dyn Clock,
        access_token: &str,
    ) -> Result<Option<BearerToken>, StoreError> {
        if access_token.is_empty() || access_token.len() > 128 {
            return Ok(None);
        }
        let Some(token) = tongban_store::oidc::live_token(
            &self.db,
            &sha256_hex(access_token.as_bytes()),
            clock.now(),
        )
        .await?
        else {
            return Ok(None);
        };
        let Some(client) = tongban_store::oidc::client_by_id(&self.db, token.client_id)
            .await?
            .filter(|c| c.status == "active")
        else {
            return Ok(None);
        };
        Ok(Some(BearerToken {
            client_id: client.client_id,
            region_id: client.region_id,
            account_id: token.account_id,
            department_id: client.department_id,
            scopes: scope_set(&token.scope),
            expires_at: token.expires_at,
        }))
    }

    // ---- userinfo and end-session -------------------------------------------------------

    /// The claims a user token was consented for, read from the account now (so a changed
    /// name or number is current), plus the enterprise claim as consented.
    pub async fn userinfo(
        &self,
        clock: &dyn Clock,
        access_token: &str,
        origin: &Origin,
    ) -> Result<serde_json::Value, UserinfoError> {
        let now = clock.now();
        if access_token.is_empty() || access_token.len() > 128 {
            return Err(UserinfoError::InvalidToken);
        }
        let token =
            tongban_store::oidc::live_token(&self.db, &sha256_hex(access_token.as_bytes()), now)
                .await?
                .ok_or(UserinfoError::InvalidToken)?;
        let account_id = token.account_id.ok_or(UserinfoError::InvalidToken)?;
        let scopes = scope_set(&token.scope);
        if !scopes.iter().any(|s| s == "openid") {
            return Err(UserinfoError::InsufficientScope);
        }
        let client = tongban_store::oidc::client_by_id(&self.db, token.client_id)
            .await?
            .filter(|c| c.status == "active")
            .ok_or(UserinfoError::InvalidToken)?;
        let account = tongban_store::identity::account_by_id(&self.db, account_id)
            .await?
            .filter(|a| a.status == "active")
            .ok_or(UserinfoError::InvalidToken)?;
        let has = |s: &str| scopes.iter().any(|x| x == s);
        let mut claims = serde_json::json!({
            "sub": self.pairwise_subject(&client.sector_id, account.id),
        });
        if has("profile") {
            claims["name"] = serde_json::json!(account.display_name);
        }
        if has("phone")
            && let Some(sealed) = &account.phone_ciphertext
            && let Ok(plain) = self.cipher.decrypt(PHONE_FIELD, sealed)
        {
            let number = MobileNumber::parse(&plain).map_or(plain, |m| m.as_str().to_owned());
            claims["phone_number"] = serde_json::json!(format!("+86{number}"));
            // The number was proven by a text message at registration.
            claims["phone_number_verified"] = serde_json::json!(true);
        }
        if has("id_number")
            && client.allow_id_number
            && let Some(sealed) = &account.id_doc_ciphertext
            && let Ok(plain) = self.cipher.decrypt(ID_DOC_FIELD, sealed)
        {
            let number = ResidentId::parse(&plain).map_or(plain, |id| id.as_str().to_owned());
            claims["id_number"] = serde_json::json!(number);
            claims["id_type"] = serde_json::json!(account.id_doc_kind);
        }
        if has("enterprise")
            && let Some(enterprise) = &token.enterprise
        {
            claims["enterprise"] = enterprise.clone();
        }
        // Releasing personal data to a department system is recorded like any other access.
        self.audit(AuditRecord {
            at: now,
            region_id: Some(client.region_id),
            actor_id: Some(account.id),
            on_behalf_of: None,
            action: "oidc.userinfo".to_owned(),
            target: Some(client.client_id.clone()),
            outcome: "success".to_owned(),
            ip: origin.ip.clone(),
            detail: serde_json::json!({ "scope": token.scope }),
        })
        .await?;
        Ok(claims)
    }

    /// Where to send the browser after sign-out: the post-logout redirect URI with `state`,
    /// only when it is registered for the client named by `client_id` or by the audience of
    /// an ID token this provider signed. `None` means: stay on Tongban.
    pub async fn post_logout_target(
        &self,
        clock: &dyn Clock,
        client_id: Option<&str>,
        id_token_hint: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        let Some(target) = post_logout_redirect_uri.filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let hinted = match id_token_hint.filter(|h| !h.is_empty()) {
            Some(hint) => {
                let keys = tongban_store::oidc::published_keys(&self.db, clock.now()).await?;
                let claims = jws::verify(hint, &keys);
                let issuer_ok = claims
                    .as_ref()
                    .and_then(|c| c.get("iss"))
                    .and_then(|i| i.as_str())
                    == Some(self.settings.issuer.as_str());
                match claims
                    .filter(|_| issuer_ok)
                    .and_then(|c| c.get("aud").and_then(|a| a.as_str()).map(str::to_owned))
                {
                    Some(aud) => Some(aud),
                    // A hint we did not sign is refused, whatever else was sent.
                    None => return Ok(None),
                }
            }
            None => None,
        };
        let client_id = match (client_id.filter(|c| !c.is_empty()), hinted.as_deref()) {
            (Some(named), Some(hint)) if named != hint => return Ok(None),
            (Some(named), _) => named.to_owned(),
            (None, Some(hint)) => hint.to_owned(),
            (None, None) => return Ok(None),
        };
        let Some(client) = tongban_store::oidc::client_by_client_id(&self.db, &client_id)
            .await?
            .filter(|c| c.status == "active")
        else {
            return Ok(None);
        };
        if !strings(&client.post_logout_redirect_uris)
            .iter()
            .any(|u| u == target)
        {
            return Ok(None);
        }
        Ok(Some(with_query(target, &[("state", state)])))
    }

    /// The name of a client, for the sign-out page.
    pub async fn client_name(&self, client_id: &str) -> Result<Option<String>, StoreError> {
        Ok(
            tongban_store::oidc::client_by_client_id(&self.db, client_id)
                .await?
                .filter(|c| c.status == "active")
                .map(|c| c.name),
        )
    }
}

/// Authentication context: password only, or password and the staff second factor.
pub const ACR_PASSWORD: &str = "urn:tongban:acr:password";
pub const ACR_SECOND_FACTOR: &str = "urn:tongban:acr:password-totp";

fn amr_of(user: &CurrentUser) -> Vec<&'static str> {
    match user.kind {
        AccountKind::Staff if user.second_factor == SecondFactor::Passed => vec!["pwd", "otp"],
        _ => vec!["pwd"],
    }
}

fn admin_record(
    at: DateTime<Utc>,
    region: Uuid,
    by: Admin<'_>,
    action: &str,
    client_id: &str,
    origin: &Origin,
) -> AuditRecord {
    AuditRecord {
        at,
        region_id: Some(region),
        actor_id: by.actor(),
        on_behalf_of: None,
        action: action.to_owned(),
        target: Some(client_id.to_owned()),
        outcome: "success".to_owned(),
        ip: origin.ip.clone(),
        detail: serde_json::json!({ "via": by.via() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback() {
        assert!(acceptable_redirect_uri(
            "https://gjj.example.gov.cn/callback"
        ));
        assert!(acceptable_redirect_uri("http://127.0.0.1:9000/callback"));
        assert!(acceptable_redirect_uri("http://localhost/cb?x=1"));
        assert!(!acceptable_redirect_uri("http://evil.example/callback"));
        assert!(!acceptable_redirect_uri("http://127.0.0.1.evil.example/cb"));
        assert!(!acceptable_redirect_uri("https://a.example/cb#frag"));
        assert!(!acceptable_redirect_uri("https://user@a.example/cb"));
        assert!(!acceptable_redirect_uri("javascript:alert(1)"));
        assert!(!acceptable_redirect_uri("https:///cb"));
        assert_eq!(
            host_of("https://gjj.example.gov.cn:8443/cb"),
            "gjj.example.gov.cn"
        );
    }

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            with_query(
                "https://a.example/cb?x=1",
                &[("state", Some("a b&c")), ("n", None)]
            ),
            "https://a.example/cb?x=1&state=a%20b%26c"
        );
    }
}
