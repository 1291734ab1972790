//! Identity use cases: signing in and out, sessions, the signed-in person's profile, and the
//! demo accounts. Personal identifiers are encrypted before they reach the store and looked up
//! through keyed hashes; every sign-in, success or failure, leaves an audit entry.

pub mod agency;
pub mod email;
pub mod mfa;
pub mod password;
pub mod registration;
pub mod reset;
pub mod staff;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use tongban_domain::LocalizedText;
use tongban_domain::access::{Role, check_separation};
use tongban_domain::clock::Clock;
use tongban_domain::identity::{MobileNumber, PersonName, ResidentId};
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use tongban_store::identity::{LoginKey, NewAccount, SessionRow};
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use crate::StoreError;
use crate::crypto::{BlindIndex, FieldCipher, random_bytes, sha256_hex};
pub use agency::{ActingFor, PrincipalKind, Scope};
use password::{PasswordPolicy, Passwords};

/// The version of the privacy notice people accept at registration (shown at `/privacy`).
pub const PRIVACY_VERSION: &str = "2026-11";

/// The account page lists this many of the most recently used sessions; "sign out
/// everywhere" ends all of them, listed or not.
pub const SESSIONS_SHOWN: u64 = 20;

/// Column contexts for encrypted fields (bound into the ciphertext).
pub(crate) const ID_DOC_FIELD: &str = "accounts.id_doc";
pub(crate) const PHONE_FIELD: &str = "accounts.phone";
pub(crate) const TOTP_FIELD: &str = "accounts.totp";
pub(crate) const EMAIL_FIELD: &str = "accounts.email";
/// Blind index namespaces.
pub(crate) const RESIDENT_ID_INDEX: &str = "resident-id";
pub const MOBILE_INDEX: &str = "mobile";
pub(crate) const EMAIL_INDEX: &str = "email";
const LOGIN_INDEX: &str = "login";

/// Session lifetimes, sign-in throttling and how messages are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentitySettings {
    /// A session unused this long ends.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute: Duration,
    /// Failures for one account before back-off starts.
    pub account_threshold: i32,
    /// Failures from one address before back-off starts (higher: offices share addresses).
    pub address_threshold: i32,
    pub policy: PasswordPolicy,
    /// Under the strict policy, staff passwords older than this must be replaced (等保
    /// periodic change); `None` never.
    pub staff_password_max_age: Option<Duration>,
    /// The name that signs text messages, e.g. 示范市政务服务网.
    pub site_name: String,
    /// Whether an e-mail channel is live (SMTP, or the demo sink): when it is not, nothing is
    /// queued for e-mail and the e-mail pages say the channel is unavailable.
    pub email_channel: bool,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        IdentitySettings {
            session_idle: Duration::minutes(30),
            session_absolute: Duration::hours(12),
            account_threshold: 5,
            address_threshold: 20,
            policy: PasswordPolicy::Standard,
            staff_password_max_age: Some(Duration::days(90)),
            site_name: "通办".to_owned(),
            email_channel: true,
        }
    }
}

/// The identity feature's dependencies, shared by its use cases.
#[derive(Clone)]
pub struct Identity {
    pub db: Connection,
    pub cipher: Arc<dyn FieldCipher>,
    pub index: BlindIndex,
    pub passwords: Passwords,
    pub settings: IdentitySettings,
    /// Checks names against ID numbers at registration.
    pub verifier: Arc<dyn registration::RealNameVerifier>,
}

/// Where a request came from, for audit and throttling.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown account, wrong password, locked or closed: deliberately indistinguishable.
    #[error("the account or password is wrong")]
    Invalid,
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A session just created: the token goes into the cookie, never into storage.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub token: String,
    pub account_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in account, as handlers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    pub account_id: Uuid,
    pub kind: AccountKind,
    pub display_name: String,
    pub roles: Vec<Grant>,
    /// Hash of the session token: binds CSRF tokens to this session.
    pub session_hash: String,
    /// Whether this session still owes the second factor (staff only).
    pub second_factor: SecondFactor,
    /// The enterprise or person this session acts for, when not the account holder; its
    /// mandate is re-checked on every request.
    pub acting_for: Option<ActingFor>,
    /// Whether the password must be replaced before anything else, and why.
    pub password_due: PasswordDue,
}

/// Whether a signed-in account must choose a new password before it goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordDue {
    No,
    /// An administrator chose it (new staff, reset credentials).
    SetByAdministrator,
    /// Older than the strict policy allows for staff.
    Expired,
}

/// Where a session stands with the second factor. Staff must pass it (enrolling first if they
/// have no authenticator yet) before anything else; people sign in with a password alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Passed,
    /// Enrolled: the session must enter a code.
    Owed,
    /// Not enrolled yet: the session must enrol.
    EnrolmentOwed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Person,
    Staff,
}

impl AccountKind {
    pub(crate) fn key(self) -> &'static str {
        match self {
            AccountKind::Person => "person",
            AccountKind::Staff => "staff",
        }
    }
    fn from_key(key: &str) -> AccountKind {
        if key == "staff" {
            AccountKind::Staff
        } else {
            AccountKind::Person
        }
    }
}

/// A role held in a region, and in one department for departmental roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub region_id: Uuid,
    pub department_id: Option<Uuid>,
}

/// What the profile page shows: identifiers masked, never in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    pub kind: AccountKind,
    pub username: Option<String>,
    pub masked_id: Option<String>,
    pub masked_mobile: Option<String>,
    /// The verified e-mail address, masked.
    pub email: Option<String>,
    pub roles: Vec<Grant>,
    pub sessions: Vec<SessionSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub current: bool,
}

/// How the sign-in identifier was understood.
enum Identifier {
    ResidentId(ResidentId),
    Mobile(MobileNumber),
    Username(String),
}

fn classify(input: &str) -> Identifier {
    if let Ok(id) = ResidentId::parse(input) {
        Identifier::ResidentId(id)
    } else if let Ok(mobile) = MobileNumber::parse(input) {
        Identifier::Mobile(mobile)
    } else {
        Identifier::Username(input.trim().to_lowercase())
    }
}

impl Identity {
    fn login_key(&self, identifier: &Identifier) -> LoginKey {
        match identifier {
            Identifier::ResidentId(id) => {
                LoginKey::IdDocIndex(self.index.of(RESIDENT_ID_INDEX, id.as_str()))
            }
            Identifier::Mobile(m) => LoginKey::PhoneIndex(self.index.of(MOBILE_INDEX, m.as_str())),
            Identifier::Username(u) => LoginKey::Username(u.clone()),
        }
    }

    /// Signs in with a mobile number, resident ID number or staff user name and a password.
    /// Throttling is checked before any hashing, and an unknown account costs as much time as
    /// a known one.
    pub async fn login(
        &self,
        clock: &dyn Clock,
        identifier: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<IssuedSession, LoginError> {
        let now = clock.now();
        let identifier = classify(identifier);
        let login_key = self.login_key(&identifier);
        let account_throttle = format!(
            "account:{}",
            self.index.of(
                LOGIN_INDEX,
                match &login_key {
                    LoginKey::Username(u) | LoginKey::PhoneIndex(u) | LoginKey::IdDocIndex(u) => u,
                }
            )
        );
        let address_throttle = origin.ip.as_ref().map(|ip| format!("address:{ip}"));

        for key in std::iter::once(&account_throttle).chain(address_throttle.as_ref()) {
            if let Some(state) = tongban_store::identity::throttle(&self.db, key).await?
                && let Some(until) = state.blocked_until
                && until > now
            {
                self.audit(
                    now,
                    None,
                    "identity.login",
                    "throttled",
                    origin,
                    serde_json::json!({}),
                )
                .await?;
                return Err(LoginError::Throttled {
                    retry_after_secs: (until - now).num_seconds().max(1),
                });
            }
        }

        let account = tongban_store::identity::find_by_login(&self.db, &login_key).await?;
        let matched = self
            .passwords
            .verify(account.as_ref().map(|a| a.password_hash.as_str()), password)
            .await;
        let usable = account.as_ref().is_some_and(|a| a.status == "active");

        let Some(account) = account.filter(|_| matched && usable) else {
            let failures = self
                .count_failure(&account_throttle, self.settings.account_threshold, now)
                .await?;
            if failures == self.settings.account_threshold
                && let Some(owner) = tongban_store::identity::find_by_login(&self.db, &login_key)
                    .await?
                    .filter(|a| a.status == "active")
            {
                self.warn_of_lockout(&owner, now).await?;
            }
            if let Some(key) = &address_throttle {
                self.count_failure(key, self.settings.address_threshold, now)
                    .await?;
            }
            self.audit(
                now,
                None,
                "identity.login",
                "failure",
                origin,
                serde_json::json!({}),
            )
            .await?;
            return Err(LoginError::Invalid);
        };

        let (issued, session) = self.new_session(account.id, origin, now)?;
        // The session and its audit entry are written together or not at all.
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::clear_throttle(&txn, &account_throttle).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        tongban_store::audit::append(
            &txn,
            &audit_record(now, Some(account.id), "identity.login", "success", origin),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// A fresh session for `account_id`: the token for the cookie and the row to store.
    pub(crate) fn new_session(
        &self,
        account_id: Uuid,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(IssuedSession, SessionRow), StoreError> {
        let token_bytes =
            random_bytes::<32>().map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let token = URL_SAFE_NO_PAD.encode(token_bytes);
        let expires_at = now + self.settings.session_absolute;
        let row = SessionRow {
            token_hash: sha256_hex(token.as_bytes()),
            account_id,
            created_at: now,
            last_seen_at: now,
            expires_at,
            ip: origin.ip.clone(),
            user_agent: origin
                .user_agent
                .as_ref()
                .map(|ua| ua.chars().take(256).collect()),
            revoked_at: None,
            second_factor_at: None,
            acting_for_kind: None,
            acting_for_id: None,
        };
        Ok((
            IssuedSession {
                token,
                account_id,
                expires_at,
            },
            row,
        ))
    }

    /// Counts a failure under `key`; returns the number of failures so far.
    async fn count_failure(
        &self,
        key: &str,
        threshold: i32,
        now: DateTime<Utc>,
    ) -> Result<i32, StoreError> {
        let failures = tongban_store::identity::throttle(&self.db, key)
            .await?
            .map_or(0, |s| s.failures)
            + 1;
        // Exponential back-off once past the threshold: 1, 2, 4 … minutes, at most an hour.
        let blocked_until = (failures >= threshold).then(|| {
            let exponent = (failures - threshold).min(6) as u32;
            now + Duration::minutes(2i64.pow(exponent).min(60))
        });
        tongban_store::identity::record_failure(&self.db, key, failures, now, blocked_until)
            .await?;
        Ok(failures)
    }

    /// Tells an account's owner, in the inbox and by SMS, that repeated wrong passwords have
    /// locked it for a while: either they mistyped, or someone is guessing.
    async fn warn_of_lockout(
        &self,
        account: &tongban_store::identity::AccountRow,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let params = serde_json::json!({ "site": self.settings.site_name });
        self.notify_owner(
            &txn,
            account,
            "lockout",
            tongban_domain::Locale::DEFAULT,
            params,
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Queues `template` for an account's owner in the inbox and, when the account has a mobile
    /// number, by SMS, and when it has a verified e-mail address (and e-mail is live), by
    /// e-mail (each address re-encrypted for the outbox), inside the caller's transaction.
    pub(crate) async fn notify_owner<C: tongban_store::sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        account: &tongban_store::identity::AccountRow,
        template: &str,
        locale: tongban_domain::Locale,
        params: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        use tongban_store::notifications::NewNotification;
        let message =
            |channel: &'static str, recipient_ciphertext: Option<String>| NewNotification {
                account_id: Some(account.id),
                channel,
                template: template.to_owned(),
                locale: locale.tag().to_owned(),
                params: params.clone(),
                recipient_ciphertext,
            };
        tongban_store::notifications::enqueue(txn, message("inbox", None), now).await?;
        if let Some(phone) = &account.phone_ciphertext
            && let Ok(number) = self.cipher.decrypt(PHONE_FIELD, phone)
            && let Ok(recipient) = self
                .cipher
                .encrypt(crate::notifications::RECIPIENT_FIELD, &number)
        {
            tongban_store::notifications::enqueue(txn, message("sms", Some(recipient)), now)
                .await?;
        }
        if self.settings.email_channel
            && let Some(email) = tongban_store::email::of_account(txn, account.id).await?
            && let Ok(address) = self.cipher.decrypt(EMAIL_FIELD, &email.email_ciphertext)
            && let Ok(recipient) = self
                .cipher
                .encrypt(crate::notifications::RECIPIENT_FIELD, &address)
        {
            tongban_store::notifications::enqueue(txn, message("email", Some(recipient)), now)
                .await?;
        }
        Ok(())
    }

    /// The blind index of an identity document: resident ID numbers under the namespace they
    /// always had (sign-in looks them up there), other documents under one per kind.
    pub(crate) fn document_index(
        &self,
        document: &tongban_domain::identity::IdentityDocument,
    ) -> String {
        use tongban_domain::identity::IdentityDocument;
        match document {
            IdentityDocument::ResidentId(id) => self.index.of(RESIDENT_ID_INDEX, id.as_str()),
            other => self
                .index
                .of(&format!("id-doc:{}", other.kind_key()), &other.value()),
        }
    }

    /// What a new password must not contain: the account's name, user name, mobile number, ID
    /// document number and e-mail address (and the part of it before `@`).
    pub(crate) async fn personal_strings(
        &self,
        account: &tongban_store::identity::AccountRow,
    ) -> Result<Vec<String>, StoreError> {
        let mut personal = vec![account.display_name.clone()];
        personal.extend(account.username.clone());
        for (field, sealed) in [
            (PHONE_FIELD, &account.phone_ciphertext),
            (ID_DOC_FIELD, &account.id_doc_ciphertext),
        ] {
            if let Some(plain) = sealed
                .as_ref()
                .and_then(|s| self.cipher.decrypt(field, s).ok())
            {
                // A passport is stored as `COUNTRY:NUMBER`; the number is what a password must
                // not contain.
                if let Some((_, number)) = plain.split_once(':') {
                    personal.push(number.to_owned());
                }
                personal.push(plain);
            }
        }
        if let Some(email) = self.email_of(account.id).await? {
            if let Some((local, _)) = email.as_str().split_once('@') {
                personal.push(local.to_owned());
            }
            personal.push(email.as_str().to_owned());
        }
        Ok(personal)
    }

    /// The signed-in user of a session token, if the session is live; ends idle sessions.
    pub async fn current_user(
        &self,
        clock: &dyn Clock,
        token: &str,
    ) -> Result<Option<CurrentUser>, StoreError> {
        let now = clock.now();
        let token_hash = sha256_hex(token.as_bytes());
        let Some((session, account)) =
            tongban_store::identity::live_session(&self.db, &token_hash, now).await?
        else {
            return Ok(None);
        };
        if now - session.last_seen_at > self.settings.session_idle || account.status != "active" {
            tongban_store::identity::revoke_session(&self.db, &token_hash, now).await?;
            return Ok(None);
        }
        // Recording activity once a minute is enough for the idle timeout and spares a write
        // per request.
        if now - session.last_seen_at > Duration::minutes(1) {
            tongban_store::identity::touch_session(&self.db, &token_hash, now).await?;
        }
        let kind = AccountKind::from_key(&account.kind);
        let second_factor = match (
            kind,
            session.second_factor_at,
            &account.totp_secret_ciphertext,
        ) {
            (AccountKind::Person, _, _) | (_, Some(_), _) => SecondFactor::Passed,
            (AccountKind::Staff, None, Some(_)) => SecondFactor::Owed,
            (AccountKind::Staff, None, None) => SecondFactor::EnrolmentOwed,
        };
        let password_due = self.password_due(&account, kind, now);
        // One more query, only for sessions that act for someone: a revoked or expired mandate
        // ends the switch on the next request.
        let acting_for = match (&session.acting_for_kind, session.acting_for_id) {
            (Some(kind), Some(id)) => {
                let acting = self.resolve_acting(account.id, kind, id, now).await?;
                if acting.is_none() {
                    self.end_lapsed_switch(&token_hash).await?;
                }
                acting
            }
            _ => None,
        };
        Ok(Some(CurrentUser {
            account_id: account.id,
            kind,
            display_name: account.display_name,
            roles: self.grants(account.id).await?,
            session_hash: token_hash,
            second_factor,
            password_due,
            acting_for,
        }))
    }

    fn password_due(
        &self,
        account: &tongban_store::identity::AccountRow,
        kind: AccountKind,
        now: DateTime<Utc>,
    ) -> PasswordDue {
        if account.password_must_change {
            return PasswordDue::SetByAdministrator;
        }
        match (
            kind,
            self.settings.policy,
            self.settings.staff_password_max_age,
        ) {
            (AccountKind::Staff, PasswordPolicy::Strict, Some(max_age))
                if now - account.password_changed_at > max_age =>
            {
                PasswordDue::Expired
            }
            _ => PasswordDue::No,
        }
    }

    /// The roles an account holds, as sessions see them.
    pub async fn grants(&self, account_id: Uuid) -> Result<Vec<Grant>, StoreError> {
        grants_of(&self.db, account_id).await
    }

    /// Ends the session of `token`.
    pub async fn logout(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
    ) -> Result<(), StoreError> {
        let now = clock.now();
        tongban_store::identity::revoke_session(&self.db, &user.session_hash, now).await?;
        self.audit_as(
            user,
            now,
            "identity.logout",
            "success",
            origin,
            serde_json::json!({}),
        )
        .await
    }

    /// Changes the signed-in user's password after checking the current one. Every session of
    /// the account ends and a fresh one replaces the current, so whoever may have known the old
    /// password is signed out everywhere.
    pub async fn change_password(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        current: &str,
        new: &str,
        origin: &Origin,
    ) -> Result<IssuedSession, PasswordChangeError> {
        let now = clock.now();
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or(PasswordChangeError::WrongCurrent)?;
        let throttle_key = format!("password:{}", account.id);
        if let Some(state) = tongban_store::identity::throttle(&self.db, &throttle_key).await?
            && let Some(until) = state.blocked_until
            && until > now
        {
            return Err(PasswordChangeError::Throttled {
                retry_after_secs: (until - now).num_seconds().max(1),
            });
        }
        if !self
            .passwords
            .verify(Some(&account.password_hash), current)
            .await
        {
            self.count_failure(&throttle_key, self.settings.account_threshold, now)
                .await?;
            self.audit_as(
                user,
                now,
                "identity.password-change",
                "failure",
                origin,
                serde_json::json!({}),
            )
            .await?;
            return Err(PasswordChangeError::WrongCurrent);
        }
        let personal = self.personal_strings(&account).await?;
        let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
        self.settings
            .policy
            .check(new, &personal)
            .map_err(PasswordChangeError::Rejected)?;
        if new == current {
            return Err(PasswordChangeError::Unchanged);
        }
        let hash = self
            .passwords
            .hash(new)
            .await
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let (issued, mut session) = self.new_session(account.id, origin, now)?;
        // The replacement session keeps the second factor this one passed: the person proved
        // it minutes ago and has just proved the password again.
        if user.second_factor == SecondFactor::Passed {
            session.second_factor_at = Some(now);
        }
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::set_password(&txn, account.id, &hash, now).await?;
        tongban_store::identity::clear_throttle(&txn, &throttle_key).await?;
        let ended = tongban_store::identity::revoke_all_sessions(&txn, account.id, now).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        let record = AuditRecord {
            detail: serde_json::json!({ "sessions_ended": ended }),
            ..user.audit_record(now, "identity.password-change", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// Everything the platform holds about the signed-in user, in full (it is their own data),
    /// as JSON for download. The download itself is audited.
    pub async fn export_my_data(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
    ) -> Result<serde_json::Value, StoreError> {
        let now = clock.now();
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or_else(|| StoreError::Db(sea_orm_custom("account vanished".into())))?;
        let reveal = |field: &str, sealed: &Option<String>| {
            sealed
                .as_ref()
                .and_then(|s| self.cipher.decrypt(field, s).ok())
        };
        let sessions = tongban_store::identity::live_sessions_of(&self.db, account.id, now, 10_000)
            .await?
            .into_iter()
            .map(|s| {
                serde_json::json!({
                    "signed_in_at": s.created_at,
                    "last_used_at": s.last_seen_at,
                    "expires_at": s.expires_at,
                    "ip": s.ip,
                    "browser": s.user_agent,
                })
            })
            .collect::<Vec<_>>();
        let activity = tongban_store::audit::recent_for_actor(&self.db, account.id, 1000)
            .await?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at,
                    "action": e.action,
                    "outcome": e.outcome,
                    "ip": e.ip,
                    "on_behalf_of": e.on_behalf_of,
                })
            })
            .collect::<Vec<_>>();
        let roles = self
            .grants(account.id)
            .await?
            .into_iter()
            .map(|g| serde_json::json!({ "role": g.role.key(), "department_id": g.department_id }))
            .collect::<Vec<_>>();
        let export = serde_json::json!({
            "format": "tongban/personal-data/v1",
            "exported_at": now,
            "account": {
                "id": account.id,
                "kind": account.kind,
                "name": account.display_name,
                "user_name": account.username,
                "identity_document": {
                    "kind": account.id_doc_kind,
                    "number": reveal(ID_DOC_FIELD, &account.id_doc_ciphertext),
                },
                "mobile": reveal(PHONE_FIELD, &account.phone_ciphertext),
                "email": self.email_of(account.id).await?.map(|e| e.as_str().to_owned()),
                "status": account.status,
                "created_at": account.created_at,
                "password_changed_at": account.password_changed_at,
            },
            "roles": roles,
            "sessions": sessions,
            "activity": activity,
            "agency": self.agency_export(account.id).await?,
        });
        self.audit_as(
            user,
            now,
            "identity.data-download",
            "success",
            origin,
            serde_json::json!({}),
        )
        .await?;
        Ok(export)
    }

    /// Ends every session of the user, this one included.
    pub async fn logout_everywhere(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
    ) -> Result<u64, StoreError> {
        let now = clock.now();
        let ended =
            tongban_store::identity::revoke_all_sessions(&self.db, user.account_id, now).await?;
        self.audit_as(
            user,
            now,
            "identity.logout-everywhere",
            "success",
            origin,
            serde_json::json!({ "sessions": ended }),
        )
        .await?;
        Ok(ended)
    }

    /// The signed-in user's own profile, identifiers masked.
    pub async fn profile(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
    ) -> Result<Profile, StoreError> {
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or_else(|| StoreError::Db(sea_orm_custom("account vanished".into())))?;
        let reveal = |field: &str, ciphertext: &Option<String>| -> Option<String> {
            let sealed = ciphertext.as_ref()?;
            match self.cipher.decrypt(field, sealed) {
                Ok(plain) => Some(plain),
                Err(error) => {
                    tracing::error!(%error, field, account = %account.id, "cannot decrypt a personal field");
                    None
                }
            }
        };
        let masked_id = reveal(ID_DOC_FIELD, &account.id_doc_ciphertext).map(|plain| {
            registration::stored_document(account.id_doc_kind.as_deref(), &plain)
                .map_or_else(|| mask_generic(&plain), |document| document.to_string())
        });
        let masked_mobile = reveal(PHONE_FIELD, &account.phone_ciphertext).map(|plain| {
            MobileNumber::parse(&plain).map_or_else(|_| mask_generic(&plain), |m| m.to_string())
        });
        let now = clock.now();
        let sessions =
            tongban_store::identity::live_sessions_of(&self.db, account.id, now, SESSIONS_SHOWN)
                .await?
                .into_iter()
                .map(|s| SessionSummary {
                    current: s.token_hash == user.session_hash,
                    created_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                    ip: s.ip,
                    user_agent: s.user_agent,
                })
                .collect();
        Ok(Profile {
            display_name: account.display_name,
            kind: AccountKind::from_key(&account.kind),
            username: account.username,
            masked_id,
            masked_mobile,
            email: self.email_of(account.id).await?.map(|e| e.masked()),
            roles: self.grants(account.id).await?,
            sessions,
        })
    }

    pub(crate) async fn audit(
        &self,
        at: DateTime<Utc>,
        actor: Option<Uuid>,
        action: &str,
        outcome: &str,
        origin: &Origin,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let record = AuditRecord {
            detail,
            ..audit_record(at, actor, action, outcome, origin)
        };
        tongban_store::audit::append_alone(&self.db, &record)
            .await
            .map(|_| ())
    }

    /// The account of the demo person (from `demo/accounts.yaml`) with this mobile number or
    /// resident ID number; `None` when `who` is nobody in that file or the account has not
    /// been seeded. Only demo people are found, so the demo token command can never reach a
    /// real resident's account.
    pub async fn demo_person(&self, who: &str) -> Result<Option<Uuid>, SeedError> {
        let who = who.trim();
        let Some(person) = demo_accounts()?
            .people
            .iter()
            .find(|p| p.mobile == who || p.resident_id.eq_ignore_ascii_case(who))
        else {
            return Ok(None);
        };
        let mobile = MobileNumber::parse(&person.mobile)
            .map_err(|e| SeedError::Invalid(format!("{}: {e}", person.name)))?;
        let key = LoginKey::PhoneIndex(self.index.of(MOBILE_INDEX, mobile.as_str()));
        Ok(tongban_store::identity::find_by_login(&self.db, &key)
            .await?
            .filter(|a| a.kind == AccountKind::Person.key() && a.status == "active")
            .map(|a| a.id))
    }

    /// Loads the demo accounts (people and staff with their roles), adding only those missing.
    pub async fn seed_demo_accounts(&self, clock: &dyn Clock) -> Result<DemoAccounts, SeedError> {
        let demo = demo_accounts()?.clone();
        let now = clock.now();
        let region = tongban_store::catalog::region_id(&self.db, &demo.region)
            .await?
            .ok_or_else(|| SeedError::Invalid(format!("region {} is not loaded", demo.region)))?;
        let departments = tongban_store::catalog::department_ids(&self.db, region).await?;
        // Hashing costs tens of milliseconds and memory: skip it when every account exists
        // (every start after the first), and hash the shared, published password only once.
        let mut all_present = true;
        for key in demo
            .people
            .iter()
            .map(|p| {
                MobileNumber::parse(&p.mobile)
                    .map(|m| LoginKey::PhoneIndex(self.index.of(MOBILE_INDEX, m.as_str())))
            })
            .chain(
                demo.staff
                    .iter()
                    .map(|s| Ok(LoginKey::Username(s.username.clone()))),
            )
        {
            let key = key.map_err(|e| SeedError::Invalid(e.to_string()))?;
            if tongban_store::identity::find_by_login(&self.db, &key)
                .await?
                .is_none()
            {
                all_present = false;
                break;
            }
        }
        if all_present {
            self.seed_demo_emails(&demo, now).await?;
            self.seed_demo_agency(&demo, region, now).await?;
            return Ok(demo);
        }
        let hash = self
            .passwords
            .hash(&demo.password)
            .await
            .map_err(|e| SeedError::Invalid(e.to_string()))?;

        for person in &demo.people {
            let name = PersonName::parse(&person.name)
                .map_err(|e| SeedError::Invalid(format!("{}: {e}", person.name)))?;
            let id = ResidentId::parse(&person.resident_id)
                .map_err(|e| SeedError::Invalid(format!("{}: {e}", person.name)))?;
            let mobile = MobileNumber::parse(&person.mobile)
                .map_err(|e| SeedError::Invalid(format!("{}: {e}", person.name)))?;
            let new = NewAccount {
                id: Uuid::now_v7(),
                kind: AccountKind::Person.key(),
                username: None,
                display_name: name.as_str().to_owned(),
                id_doc_kind: Some("resident-id".to_owned()),
                id_doc_ciphertext: Some(
                    self.cipher
                        .encrypt(ID_DOC_FIELD, id.as_str())
                        .map_err(|e| SeedError::Invalid(e.to_string()))?,
                ),
                id_doc_index: Some(self.index.of(RESIDENT_ID_INDEX, id.as_str())),
                phone_ciphertext: Some(
                    self.cipher
                        .encrypt(PHONE_FIELD, mobile.as_str())
                        .map_err(|e| SeedError::Invalid(e.to_string()))?,
                ),
                phone_index: Some(self.index.of(MOBILE_INDEX, mobile.as_str())),
                // Kept encrypted in `account_emails` instead (below).
                email: None,
                password_hash: hash.clone(),
                region_id: Some(region),
                department_id: None,
                privacy_version: Some(PRIVACY_VERSION.to_owned()),
                totp_secret_ciphertext: None,
            };
            insert_unless_present(&self.db, &new, now).await?;
        }
        for staff in &demo.staff {
            let roles: Vec<Role> = staff
                .roles
                .iter()
                .map(|r| {
                    Role::from_key(r).ok_or_else(|| {
                        SeedError::Invalid(format!("{}: unknown role {r}", staff.username))
                    })
                })
                .collect::<Result<_, _>>()?;
            check_separation(&roles)
                .map_err(|e| SeedError::Invalid(format!("{}: {e}", staff.username)))?;
            let department = match &staff.department {
                Some(code) => Some(*departments.get(code).ok_or_else(|| {
                    SeedError::Invalid(format!("{}: unknown department {code}", staff.username))
                })?),
                None => None,
            };
            let new = NewAccount {
                id: Uuid::now_v7(),
                kind: AccountKind::Staff.key(),
                username: Some(staff.username.clone()),
                display_name: staff.name.clone(),
                id_doc_kind: None,
                id_doc_ciphertext: None,
                id_doc_index: None,
                phone_ciphertext: None,
                phone_index: None,
                email: None,
                password_hash: hash.clone(),
                region_id: Some(region),
                department_id: department,
                privacy_version: None,
                // Demo staff come enrolled; `tongban demo totp USER` prints their code.
                totp_secret_ciphertext: Some(
                    self.cipher
                        .encrypt(
                            TOTP_FIELD,
                            &crate::crypto::base32(&self.demo_totp_secret(&staff.username)),
                        )
                        .map_err(|e| SeedError::Invalid(e.to_string()))?,
                ),
            };
            insert_unless_present(&self.db, &new, now).await?;
            let account = tongban_store::identity::find_by_login(
                &self.db,
                &LoginKey::Username(staff.username.clone()),
            )
            .await?
            .ok_or_else(|| SeedError::Invalid(format!("{} was not stored", staff.username)))?;
            for role in roles {
                let scope = if role.is_departmental() {
                    department
                } else {
                    None
                };
                tongban_store::identity::grant_role(
                    &self.db,
                    account.id,
                    role.key(),
                    region,
                    scope,
                    None,
                    now,
                )
                .await?;
            }
        }
        self.seed_demo_emails(&demo, now).await?;
        self.seed_demo_agency(&demo, region, now).await?;
        Ok(demo)
    }
}

pub(crate) fn audit_record(
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    action: &str,
    outcome: &str,
    origin: &Origin,
) -> AuditRecord {
    AuditRecord {
        at,
        region_id: None,
        actor_id: actor,
        on_behalf_of: None,
        action: action.to_owned(),
        target: None,
        outcome: outcome.to_owned(),
        ip: origin.ip.clone(),
        detail: serde_json::json!({}),
    }
}

async fn insert_unless_present(
    db: &Connection,
    new: &NewAccount,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    match tongban_store::identity::insert_account(db, new, now).await {
        Ok(()) | Err(StoreError::Duplicate(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

pub(crate) fn sea_orm_custom(message: String) -> tongban_store::sea_orm::DbErr {
    tongban_store::sea_orm::DbErr::Custom(message)
}

/// Shows the first and last characters only, for identifiers that no longer parse.
pub(crate) fn mask_generic(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    match chars.len() {
        0..=2 => "*".repeat(chars.len()),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// The demo accounts file, shipped in the binary.
pub const DEMO_ACCOUNTS_YAML: &str = include_str!("../../../../demo/accounts.yaml");

static DEMO_ACCOUNTS: std::sync::LazyLock<Result<DemoAccounts, String>> =
    std::sync::LazyLock::new(|| {
        serde_norway::from_str(DEMO_ACCOUNTS_YAML).map_err(|e| e.to_string())
    });

/// The demo accounts, parsed once.
pub fn demo_accounts() -> Result<&'static DemoAccounts, SeedError> {
    DEMO_ACCOUNTS
        .as_ref()
        .map_err(|e| SeedError::Invalid(e.clone()))
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoAccounts {
    pub schema: String,
    pub region: String,
    pub password: String,
    pub people: Vec<DemoPerson>,
    pub staff: Vec<DemoStaff>,
    /// Enterprises registered by a demo person as legal representative.
    #[serde(default)]
    pub enterprises: Vec<DemoEnterprise>,
    /// Mandates for enterprises' agents and relatives (亲友代办).
    #[serde(default)]
    pub mandates: Vec<DemoMandate>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoEnterprise {
    pub name: String,
    pub credit_code: String,
    /// The legal representative's mobile number (a demo person).
    pub legal_representative: String,
}

/// A mandate given by one enterprise (credit code) or one person (mobile number) to an agent
/// (mobile number).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoMandate {
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    pub agent: String,
    pub scopes: Vec<String>,
    pub about: LocalizedText,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPerson {
    pub name: String,
    pub resident_id: String,
    pub mobile: String,
    #[serde(default)]
    pub email: Option<String>,
    pub about: LocalizedText,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoStaff {
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub department: Option<String>,
    pub roles: Vec<String>,
}

/// Why a password was not changed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    #[error("the current password is wrong")]
    WrongCurrent,
    #[error("the new password is refused: {0}")]
    Rejected(password::PasswordRejection),
    #[error("the new password is the current one")]
    Unchanged,
    #[error("too many wrong current passwords; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("demo accounts: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The roles an account holds, as sessions see them (roles of unknown keys are left out).
pub async fn grants_of(db: &Connection, account_id: Uuid) -> Result<Vec<Grant>, StoreError> {
    Ok(tongban_store::identity::roles_of(db, account_id)
        .await?
        .into_iter()
        .filter_map(|row| {
            Some(Grant {
                role: Role::from_key(&row.role)?,
                region_id: row.region_id,
                department_id: row.department_id,
            })
        })
        .collect())
}

/// The staff account `username` as its session carries it once signed in and past the second
/// factor, with its grants; `None` when there is no such account. For benchmarks and tests that
/// call the services directly, without a browser.
pub async fn staff_session(
    db: &Connection,
    username: &str,
) -> Result<Option<CurrentUser>, StoreError> {
    let Some(account) =
        tongban_store::identity::find_by_login(db, &LoginKey::Username(username.to_owned()))
            .await?
    else {
        return Ok(None);
    };
    Ok(Some(CurrentUser {
        roles: grants_of(db, account.id).await?,
        account_id: account.id,
        kind: AccountKind::Staff,
        display_name: account.display_name,
        session_hash: String::new(),
        second_factor: SecondFactor::Passed,
        acting_for: None,
        password_due: PasswordDue::No,
    }))
}
