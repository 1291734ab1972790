//! Password reset by a code sent to the account's mobile number or verified e-mail address, and
//! account closure.
//!
//! Asking for a reset answers the same whether or not the number or address has an account (a
//! code row is made either way, the message only when there is an account), so the page cannot
//! be used to find out who is registered.

use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{EmailAddress, MobileNumber};
use tongban_store::identity::LoginKey;
use tongban_store::notifications::NewNotification;
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::registration::{CodeRequest, CodeTarget, RegistrationError, RegistrationStarted};
use super::{
    AccountKind, CurrentUser, Identity, IssuedSession, Origin, audit_record, sea_orm_custom,
};
use crate::StoreError;

const PURPOSE: &str = "password-reset";

/// How long records about a closed account are kept, as stated to the person closing it.
pub const RETENTION_YEARS: u32 = 30;

impl Identity {
    /// Sends a reset code to `mobile` if an account uses it.
    pub async fn start_password_reset(
        &self,
        clock: &dyn Clock,
        mobile: &str,
        locale: Locale,
        site: &str,
        demo: bool,
    ) -> Result<RegistrationStarted, RegistrationError> {
        let mobile = MobileNumber::parse(mobile).map_err(|_| RegistrationError::InvalidMobile)?;
        let phone_index = self.index.of(super::MOBILE_INDEX, mobile.as_str());
        let has_account =
            tongban_store::identity::find_by_login(&self.db, &LoginKey::PhoneIndex(phone_index))
                .await?
                .is_some_and(|a| a.status == "active");
        let request = CodeRequest {
            purpose: PURPOSE,
            template: "reset-code",
            locale,
            site,
            demo,
        };
        self.issue_code(clock.now(), &mobile, &request, has_account)
            .await
    }

    /// Sends a reset code to `email` if an active account has it as its verified address. The
    /// same steps run for an unknown address (look-ups, rate limits, a code row), only without
    /// the message, so neither the answer nor its timing tells who is registered.
    pub async fn start_password_reset_by_email(
        &self,
        clock: &dyn Clock,
        email: &str,
        locale: Locale,
        site: &str,
        demo: bool,
    ) -> Result<RegistrationStarted, RegistrationError> {
        if !self.settings.email_channel {
            return Err(RegistrationError::EmailUnavailable);
        }
        let email = EmailAddress::parse(email).map_err(|_| RegistrationError::InvalidEmail)?;
        let index = self.index.of(super::EMAIL_INDEX, &email.key());
        let owner = tongban_store::email::by_index(&self.db, &index).await?;
        let account = tongban_store::identity::account_by_id(
            &self.db,
            owner.as_ref().map_or(Uuid::nil(), |o| o.account_id),
        )
        .await?
        .filter(|a| a.status == "active");
        let seal = |field: &str| {
            self.cipher
                .encrypt(field, email.as_str())
                .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))
        };
        // The code goes to the address as the owner verified it, however it was typed here.
        let verified = owner.as_ref().and_then(|o| {
            self.cipher
                .decrypt(super::EMAIL_FIELD, &o.email_ciphertext)
                .ok()
        });
        let recipient = match verified {
            Some(address) => self
                .cipher
                .encrypt(crate::notifications::RECIPIENT_FIELD, &address)
                .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?,
            None => seal(crate::notifications::RECIPIENT_FIELD)?,
        };
        let target = CodeTarget {
            index,
            sealed: seal(super::EMAIL_FIELD)?,
            channel: "email",
            recipient,
            account_id: account.as_ref().map(|a| a.id),
        };
        let request = CodeRequest {
            purpose: PURPOSE,
            template: "reset-code",
            locale,
            site,
            demo,
        };
        self.issue_code_to(clock.now(), target, &request, account.is_some())
            .await
    }

    /// Sets a new password with a valid reset code; every session ends and this browser gets a
    /// new one.
    pub async fn complete_password_reset(
        &self,
        clock: &dyn Clock,
        reset: &PasswordReset<'_>,
        origin: &Origin,
    ) -> Result<IssuedSession, RegistrationError> {
        let PasswordReset {
            flow,
            code,
            password,
            locale,
            site,
        } = *reset;
        let now = clock.now();
        let code_row = self.check_code(now, flow, PURPOSE, code).await?;
        // The code's index is the mobile number's or the e-mail address's (the two hash
        // namespaces never collide).
        let by_phone = tongban_store::identity::find_by_login(
            &self.db,
            &LoginKey::PhoneIndex(code_row.phone_index.clone()),
        )
        .await?;
        let by_email = match by_phone {
            Some(_) => None,
            None => tongban_store::email::by_index(&self.db, &code_row.phone_index).await?,
        };
        let template = if by_email.is_some() {
            "password-reset-email"
        } else {
            "password-reset"
        };
        let account = match (by_phone, by_email) {
            (Some(account), _) => Some(account),
            (None, Some(owner)) => {
                tongban_store::identity::account_by_id(&self.db, owner.account_id).await?
            }
            (None, None) => None,
        }
        .filter(|a| a.status == "active")
        // A code made for a number without an account behaves like an expired one.
        .ok_or(RegistrationError::CodeExpired)?;
        let personal = self.personal_strings(&account).await?;
        let personal: Vec<&str> = personal.iter().map(String::as_str).collect();
        self.settings
            .policy
            .check(password, &personal)
            .map_err(RegistrationError::PasswordRejected)?;
        let hash = self
            .passwords
            .hash(password)
            .await
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let (issued, session) = self.new_session(account.id, origin, now)?;
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        if !tongban_store::notifications::consume_code(&txn, flow, now).await? {
            return Err(RegistrationError::CodeExpired);
        }
        tongban_store::identity::set_password(&txn, account.id, &hash, now).await?;
        let ended = tongban_store::identity::revoke_all_sessions(&txn, account.id, now).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        tongban_store::notifications::enqueue(
            &txn,
            NewNotification {
                account_id: Some(account.id),
                channel: "inbox",
                template: template.to_owned(),
                locale: locale.tag().to_owned(),
                params: serde_json::json!({ "site": site }),
                recipient_ciphertext: None,
            },
            now,
        )
        .await?;
        let record = tongban_store::audit::AuditRecord {
            detail: serde_json::json!({ "sessions_ended": ended }),
            ..audit_record(
                now,
                Some(account.id),
                "identity.password-reset",
                "success",
                origin,
            )
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// Closes the signed-in person's account after checking their password: personal data is
    /// removed (name anonymised, identifiers, e-mail and password deleted), sessions and inbox
    /// end; the account row stays so that case and audit records that the law requires us to
    /// keep still have an owner, without saying who it was.
    pub async fn close_account(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        password: &str,
        origin: &Origin,
    ) -> Result<(), CloseError> {
        let now = clock.now();
        if user.kind != AccountKind::Person {
            return Err(CloseError::StaffAccount);
        }
        let account = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or(CloseError::WrongPassword)?;
        if !self
            .passwords
            .verify(Some(&account.password_hash), password)
            .await
        {
            self.audit_as(
                user,
                now,
                "identity.close",
                "failure",
                origin,
                serde_json::json!({}),
            )
            .await?;
            return Err(CloseError::WrongPassword);
        }
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::anonymise(&txn, account.id, now).await?;
        tongban_store::identity::revoke_all_sessions(&txn, account.id, now).await?;
        tongban_store::notifications::delete_for_account(&txn, account.id).await?;
        // Mandates end both ways: those held as agent and those given (as a person or through
        // the enterprises this person represents).
        let (mandates_revoked, enterprises_closed) =
            tongban_store::agency::close_for_account(&txn, account.id, now).await?;
        let record = tongban_store::audit::AuditRecord {
            detail: serde_json::json!({
                "retention_years": RETENTION_YEARS,
                "mandates_revoked": mandates_revoked,
                "enterprises_closed": enterprises_closed,
            }),
            ..user.audit_record(now, "identity.close", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }
}

/// What the person provides to reset a password.
#[derive(Debug, Clone, Copy)]
pub struct PasswordReset<'a> {
    pub flow: Uuid,
    pub code: &'a str,
    pub password: &'a str,
    pub locale: Locale,
    /// The site name that signs messages.
    pub site: &'a str,
}

/// Why an account was not closed.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error("the password is wrong")]
    WrongPassword,
    #[error("staff accounts are closed by the security administrator")]
    StaffAccount,
    #[error(transparent)]
    Store(#[from] StoreError),
}
