//! A person's e-mail address: added or changed on the profile only after a code sent to the
//! new address is entered there, removed at will; used for notifications and password reset.
//!
//! The address is encrypted at rest (`account_emails`), with a keyed hash for look-up at reset.
//! The code of a change is bound to the account that asked for it: the address travels with
//! the code encrypted under a context naming that account, so no other account can finish the
//! change, and rate limits count per account (one code a minute, five an hour). An address that
//! already belongs to another account is never revealed as such: the code is simply not sent.

use chrono::{DateTime, Utc};
use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::EmailAddress;
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::registration::{CodeRequest, CodeTarget, RegistrationError, RegistrationStarted};
use super::{
    CurrentUser, DemoAccounts, EMAIL_FIELD, EMAIL_INDEX, Identity, MOBILE_INDEX, Origin,
    audit_record, sea_orm_custom,
};
use crate::StoreError;
use crate::notifications::RECIPIENT_FIELD;

const PURPOSE: &str = "email-verify";
/// Namespace of the per-account index that change codes are counted and checked under.
const CHANGE_INDEX: &str = "email-change";

/// What the person provides to finish a change.
#[derive(Debug, Clone, Copy)]
pub struct EmailChange<'a> {
    pub flow: Uuid,
    pub code: &'a str,
    pub locale: Locale,
    /// The site name that signs messages.
    pub site: &'a str,
}

impl Identity {
    /// The verified address of an account, decrypted.
    pub(crate) async fn email_of(
        &self,
        account_id: Uuid,
    ) -> Result<Option<EmailAddress>, StoreError> {
        let Some(row) = tongban_store::email::of_account(&self.db, account_id).await? else {
            return Ok(None);
        };
        match self
            .cipher
            .decrypt(EMAIL_FIELD, &row.email_ciphertext)
            .ok()
            .and_then(|plain| EmailAddress::parse(&plain).ok())
        {
            Some(address) => Ok(Some(address)),
            None => {
                tracing::error!(account = %account_id, "cannot decrypt a stored e-mail address");
                Ok(None)
            }
        }
    }

    fn seal_email(&self, field: &str, email: &EmailAddress) -> Result<String, StoreError> {
        self.cipher
            .encrypt(field, email.as_str())
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))
    }

    /// The encryption context of a pending change: binds the address to the account.
    fn change_field(account_id: Uuid) -> String {
        format!("{CHANGE_INDEX}:{account_id}")
    }

    /// Sends a code to `email` so the signed-in person can prove it is theirs.
    pub async fn start_email_change(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        email: &str,
        request: (Locale, &str, bool),
        origin: &Origin,
    ) -> Result<RegistrationStarted, RegistrationError> {
        let (locale, site, demo) = request;
        if !self.settings.email_channel {
            return Err(RegistrationError::EmailUnavailable);
        }
        let email = EmailAddress::parse(email).map_err(|_| RegistrationError::InvalidEmail)?;
        let now = clock.now();
        let index = self.index.of(EMAIL_INDEX, &email.key());
        let holder = tongban_store::email::by_index(&self.db, &index).await?;
        if holder
            .as_ref()
            .is_some_and(|h| h.account_id == user.account_id)
        {
            return Err(RegistrationError::EmailUnchanged);
        }
        let target = CodeTarget {
            index: self.index.of(CHANGE_INDEX, &user.account_id.to_string()),
            sealed: self.seal_email(&Self::change_field(user.account_id), &email)?,
            channel: "email",
            recipient: self.seal_email(RECIPIENT_FIELD, &email)?,
            account_id: Some(user.account_id),
        };
        let code = CodeRequest {
            purpose: PURPOSE,
            template: "email-verify",
            locale,
            site,
            demo,
        };
        // Someone else's address gets no message from a stranger; the answer is the same.
        let send = holder.is_none();
        let started = self.issue_code_to(now, target, &code, send).await?;
        self.audit(
            now,
            Some(user.account_id),
            "identity.email-code",
            if send { "sent" } else { "withheld" },
            origin,
            serde_json::json!({ "email": email.masked() }),
        )
        .await?;
        Ok(started)
    }

    /// Stores the address once its code is entered; the previous address (if any) and the
    /// inbox are told.
    pub async fn confirm_email_change(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        change: &EmailChange<'_>,
        origin: &Origin,
    ) -> Result<EmailAddress, RegistrationError> {
        let now = clock.now();
        let fail = |outcome: &'static str| async move {
            self.audit(
                now,
                Some(user.account_id),
                "identity.email-change",
                outcome,
                origin,
                serde_json::json!({}),
            )
            .await
        };
        let code_row = match self
            .check_code(now, change.flow, PURPOSE, change.code)
            .await
        {
            Ok(row) => row,
            Err(error) => {
                fail("failure").await?;
                return Err(error);
            }
        };
        let own_index = self.index.of(CHANGE_INDEX, &user.account_id.to_string());
        let email = (code_row.phone_index == own_index)
            .then(|| {
                self.cipher
                    .decrypt(
                        &Self::change_field(user.account_id),
                        &code_row.phone_ciphertext,
                    )
                    .ok()
            })
            .flatten()
            .and_then(|plain| EmailAddress::parse(&plain).ok());
        let Some(email) = email else {
            fail("failure").await?;
            return Err(RegistrationError::CodeExpired);
        };
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or(RegistrationError::CodeExpired)?;
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        if !tongban_store::notifications::consume_code(&txn, change.flow, now).await? {
            return Err(RegistrationError::CodeExpired);
        }
        // Told before the change, so the message also reaches the previous address.
        let params = serde_json::json!({ "site": change.site, "email": email.masked() });
        self.notify_owner(&txn, &account, "email-changed", change.locale, params, now)
            .await?;
        match tongban_store::email::set(
            &txn,
            account.id,
            self.seal_email(EMAIL_FIELD, &email)?,
            self.index.of(EMAIL_INDEX, &email.key()),
            now,
        )
        .await
        {
            Ok(()) => {}
            // Another account verified the same address a moment ago.
            Err(StoreError::Duplicate(_)) => return Err(RegistrationError::EmailTaken),
            Err(other) => return Err(other.into()),
        }
        let record = tongban_store::audit::AuditRecord {
            detail: serde_json::json!({ "email": email.masked() }),
            ..audit_record(
                now,
                Some(account.id),
                "identity.email-change",
                "success",
                origin,
            )
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(email)
    }

    /// Removes the signed-in person's address; the address itself is told first.
    pub async fn remove_email(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        locale: Locale,
        site: &str,
        origin: &Origin,
    ) -> Result<bool, StoreError> {
        let now = clock.now();
        let Some(account) =
            tongban_store::identity::account_by_id(&self.db, user.account_id).await?
        else {
            return Ok(false);
        };
        let txn = self.db.begin().await?;
        if tongban_store::email::of_account(&txn, account.id)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let params = serde_json::json!({ "site": site });
        self.notify_owner(&txn, &account, "email-removed", locale, params, now)
            .await?;
        tongban_store::email::remove(&txn, account.id).await?;
        tongban_store::audit::append(
            &txn,
            &audit_record(
                now,
                Some(account.id),
                "identity.email-remove",
                "success",
                origin,
            ),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Gives demo people their published e-mail addresses (encrypted), once.
    pub(crate) async fn seed_demo_emails(
        &self,
        demo: &DemoAccounts,
        now: DateTime<Utc>,
    ) -> Result<(), super::SeedError> {
        for person in &demo.people {
            let Some(email) = &person.email else {
                continue;
            };
            let email = EmailAddress::parse(email)
                .map_err(|e| super::SeedError::Invalid(format!("{}: {e}", person.name)))?;
            let mobile = tongban_domain::identity::MobileNumber::parse(&person.mobile)
                .map_err(|e| super::SeedError::Invalid(format!("{}: {e}", person.name)))?;
            let Some(account) = tongban_store::identity::find_by_login(
                &self.db,
                &tongban_store::identity::LoginKey::PhoneIndex(
                    self.index.of(MOBILE_INDEX, mobile.as_str()),
                ),
            )
            .await?
            else {
                continue;
            };
            if tongban_store::email::of_account(&self.db, account.id)
                .await?
                .is_some()
            {
                continue;
            }
            match tongban_store::email::set(
                &self.db,
                account.id,
                self.seal_email(EMAIL_FIELD, &email)?,
                self.index.of(EMAIL_INDEX, &email.key()),
                now,
            )
            .await
            {
                Ok(()) | Err(StoreError::Duplicate(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }
}
