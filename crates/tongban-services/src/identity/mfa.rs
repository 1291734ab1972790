//! The staff second factor: TOTP (RFC 6238) with any common authenticator app, enrolled with
//! a QR code, backed by ten single-use recovery codes.
//!
//! A staff session owes the second factor until a code is accepted; the web layer lets such a
//! session reach nothing but the code (or enrolment) page and sign-out. Accepting a code
//! issues a new session token (privilege changes rotate the session).

use tongban_domain::clock::Clock;
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    CurrentUser, Identity, IssuedSession, Origin, SecondFactor, TOTP_FIELD, audit_record,
    sea_orm_custom,
};
use crate::StoreError;
use crate::crypto::{base32, random_bytes, totp_match};

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// What an enrolment page shows: the secret to scan or type, and the sealed copy the form
/// sends back with the first code.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// Base32, as authenticator apps take it when typed.
    pub secret: String,
    /// `otpauth://` URI for the QR code.
    pub uri: String,
    /// The secret encrypted for the round trip through the form; nothing is stored until a
    /// code proves the app has it.
    pub sealed: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SecondFactorError {
    #[error("the code is wrong or was already used")]
    WrongCode,
    #[error("too many wrong codes; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: i64 },
    #[error("the enrolment form is damaged or belongs to someone else")]
    BadEnrolment,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn pending_context(account_id: Uuid) -> String {
    format!("mfa.pending.{account_id}")
}

impl Identity {
    /// The authenticator secret demo staff are enrolled with: derived from the platform secret,
    /// so `tongban demo totp USER` and tests can compute codes.
    pub fn demo_totp_secret(&self, username: &str) -> Vec<u8> {
        demo_totp_secret(&self.index, username)
    }

    /// A fresh secret for `user` to enrol, labelled for their authenticator app.
    pub fn start_enrolment(
        &self,
        user: &CurrentUser,
        issuer: &str,
        label: &str,
    ) -> Result<Enrolment, StoreError> {
        let secret =
            random_bytes::<20>().map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let encoded = base32(&secret);
        let sealed = self
            .cipher
            .encrypt(&pending_context(user.account_id), &encoded)
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let uri = format!(
            "otpauth://totp/{}:{}?secret={encoded}&issuer={}&algorithm=SHA1&digits=6&period=30",
            percent(issuer),
            percent(label),
            percent(issuer)
        );
        Ok(Enrolment {
            secret: encoded,
            uri,
            sealed,
        })
    }

    /// Confirms an enrolment with the first code from the app: stores the secret, passes the
    /// second factor for this session (with a new token) and returns the recovery codes, shown
    /// once.
    pub async fn confirm_enrolment(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        sealed: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<(IssuedSession, Vec<String>), SecondFactorError> {
        let now = clock.now();
        let secret = self
            .cipher
            .decrypt(&pending_context(user.account_id), sealed)
            .map_err(|_| SecondFactorError::BadEnrolment)?;
        let bytes = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .map_err(|_| SecondFactorError::BadEnrolment)?;
        let Some(step) = totp_match(&bytes, now.timestamp(), code) else {
            return Err(SecondFactorError::WrongCode);
        };
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let raw =
                random_bytes::<5>().map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
            let text = base32(&raw).to_lowercase();
            codes.push(format!("{}-{}", &text[..4], &text[4..]));
        }
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| self.recovery_hash(user.account_id, c))
            .collect();
        let stored = self
            .cipher
            .encrypt(TOTP_FIELD, &secret)
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let (issued, mut session) = self.new_session(user.account_id, origin, now)?;
        session.second_factor_at = Some(now);
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::enrol_totp(&txn, user.account_id, &stored, &hashes, now).await?;
        tongban_store::identity::use_totp_step(&txn, user.account_id, step).await?;
        tongban_store::identity::revoke_session(&txn, &user.session_hash, now).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        tongban_store::audit::append(
            &txn,
            &audit_record(
                now,
                Some(user.account_id),
                "identity.mfa-enrol",
                "success",
                origin,
            ),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok((issued, codes))
    }

    fn recovery_hash(&self, account_id: Uuid, code: &str) -> String {
        let normalised: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        self.index
            .of("recovery-code", &format!("{account_id}:{normalised}"))
    }

    /// Checks a TOTP code (not used before) or an unused recovery code; on success this session
    /// passes the second factor under a new token.
    pub async fn pass_second_factor(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        code: &str,
        origin: &Origin,
    ) -> Result<IssuedSession, SecondFactorError> {
        let now = clock.now();
        if user.second_factor != SecondFactor::Owed {
            return Err(SecondFactorError::BadEnrolment);
        }
        let throttle_key = format!("mfa:{}", user.account_id);
        if let Some(state) = tongban_store::identity::throttle(&self.db, &throttle_key).await?
            && let Some(until) = state.blocked_until
            && until > now
        {
            return Err(SecondFactorError::Throttled {
                retry_after_secs: (until - now).num_seconds().max(1),
            });
        }
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or(SecondFactorError::WrongCode)?;
        let secret = account
            .totp_secret_ciphertext
            .as_ref()
            .and_then(|sealed| self.cipher.decrypt(TOTP_FIELD, sealed).ok())
            .and_then(|b32| data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).ok())
            .ok_or(SecondFactorError::BadEnrolment)?;

        let (issued, mut session) = self.new_session(user.account_id, origin, now)?;
        session.second_factor_at = Some(now);
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let accepted = match totp_match(&secret, now.timestamp(), code) {
            Some(step) => {
                tongban_store::identity::use_totp_step(&txn, user.account_id, step).await?
            }
            None => {
                tongban_store::identity::use_recovery_code(
                    &txn,
                    user.account_id,
                    &self.recovery_hash(user.account_id, code),
                    now,
                )
                .await?
            }
        };
        if !accepted {
            txn.rollback().await.map_err(StoreError::from)?;
            self.count_failure(&throttle_key, self.settings.account_threshold, now)
                .await?;
            self.audit(
                now,
                Some(user.account_id),
                "identity.mfa",
                "failure",
                origin,
                serde_json::json!({}),
            )
            .await?;
            return Err(SecondFactorError::WrongCode);
        }
        tongban_store::identity::clear_throttle(&txn, &throttle_key).await?;
        tongban_store::identity::revoke_session(&txn, &user.session_hash, now).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        tongban_store::audit::append(
            &txn,
            &audit_record(
                now,
                Some(user.account_id),
                "identity.mfa",
                "success",
                origin,
            ),
        )
        .await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// The current code of a demo staff account, for `tongban demo totp USER`.
    pub async fn current_totp(
        &self,
        clock: &dyn Clock,
        username: &str,
    ) -> Result<Option<String>, StoreError> {
        let Some(account) = tongban_store::identity::find_by_login(
            &self.db,
            &tongban_store::identity::LoginKey::Username(username.to_owned()),
        )
        .await?
        else {
            return Ok(None);
        };
        let secret = account
            .totp_secret_ciphertext
            .as_ref()
            .and_then(|sealed| self.cipher.decrypt(TOTP_FIELD, sealed).ok())
            .and_then(|b32| data_encoding::BASE32_NOPAD.decode(b32.as_bytes()).ok());
        let now = clock.now().timestamp();
        Ok(secret.map(|s| crate::crypto::totp_at_step(&s, crate::crypto::totp_step(now), 6)))
    }
}

/// The authenticator secret of demo staff account `username` under the platform's index key.
pub fn demo_totp_secret(index: &crate::crypto::BlindIndex, username: &str) -> Vec<u8> {
    let hex = index.of("demo-totp", username);
    (0..20)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect()
}

/// Percent-encodes a label for an `otpauth://` URI.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
