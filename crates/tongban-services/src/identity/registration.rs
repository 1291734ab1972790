//! Registration of natural persons: a one-time code by SMS proves the mobile number, then name,
//! resident ID number and password create the account, with the privacy notice accepted.
//!
//! An ID number that already has an account is never revealed as such: the registrant is sent
//! to verification at a service hall and the existing owner is told by inbox and SMS.

use chrono::{DateTime, Duration, Utc};
use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{
    DocumentKind, IdentifierError, IdentityDocument, MobileNumber, Passport, PermitKind,
    PersonName, ResidentId, TravelPermit,
};
use tongban_store::identity::{LoginKey, NewAccount};
use tongban_store::notifications::{CodeRow, NewNotification};
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::password::PasswordRejection;
use super::{
    AccountKind, ID_DOC_FIELD, Identity, IssuedSession, MOBILE_INDEX, Origin, PHONE_FIELD,
    PRIVACY_VERSION, audit_record, sea_orm_custom,
};
use crate::StoreError;
use crate::crypto::{constant_time_eq, random_bytes};
use crate::notifications::{RECIPIENT_FIELD, site_param};

/// How long a code stays valid.
pub const CODE_MINUTES: i64 = 10;
/// Codes one number can be sent per hour.
const CODES_PER_HOUR: usize = 5;
/// Seconds before another code can be sent to the same number.
const RESEND_AFTER: i64 = 60;
/// Wrong guesses a code survives.
const CODE_ATTEMPTS: i32 = 5;
const PURPOSE: &str = "register";

/// Checks a name against the national identity service (公安部身份认证). Deployments plug in
/// their provider; the demo verifier accepts every well-formed pair.
pub trait RealNameVerifier: Send + Sync {
    /// Whether `name` holds `document` (a resident ID card, or for people without one a
    /// passport or a mainland travel permit, which the immigration service confirms).
    fn verify(&self, name: &PersonName, document: &IdentityDocument) -> bool;
}

/// Accepts every name and valid ID number: for demo mode and tests only.
pub struct DemoRealNameVerifier;

impl RealNameVerifier for DemoRealNameVerifier {
    fn verify(&self, _name: &PersonName, _document: &IdentityDocument) -> bool {
        true
    }
}

/// What a one-time code is for and how its SMS reads.
pub(crate) struct CodeRequest<'a> {
    pub purpose: &'static str,
    /// The notification template (`TEMPLATE-sms`).
    pub template: &'static str,
    pub locale: Locale,
    pub site: &'a str,
    pub demo: bool,
}

/// Where a one-time code goes and what it proves.
pub(crate) struct CodeTarget {
    /// Keyed hash that rate limits count under and that the second step looks up by: of the
    /// mobile number or e-mail address, or of the account for codes an account asks for.
    pub index: String,
    /// What the code proves (the number or address), encrypted, kept with the code.
    pub sealed: String,
    /// `sms` or `email`.
    pub channel: &'static str,
    /// The address, encrypted for the outbox.
    pub recipient: String,
    /// The account whose owner is written to, if any.
    pub account_id: Option<Uuid>,
}

/// A code was sent; the flow id ties the second step to it.
#[derive(Debug, Clone)]
pub struct RegistrationStarted {
    pub flow: Uuid,
    /// The code itself, only when the platform runs in demo mode (no SMS leaves the machine).
    pub demo_code: Option<String>,
}

/// What the registrant provides in the second step.
#[derive(Debug, Clone)]
pub struct RegistrationDetails<'a> {
    pub flow: Uuid,
    pub code: &'a str,
    pub name: &'a str,
    /// Resident ID card unless the person holds none.
    pub document_kind: DocumentKind,
    pub document_number: &'a str,
    /// The issuing country of a passport (ISO 3166 alpha-3, e.g. `GBR`); ignored otherwise.
    pub passport_country: &'a str,
    pub password: &'a str,
    pub locale: Locale,
    /// The site name that signs messages.
    pub site: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("not a mainland mobile number")]
    InvalidMobile,
    #[error("not an e-mail address")]
    InvalidEmail,
    #[error("the e-mail address belongs to another account")]
    EmailTaken,
    #[error("the e-mail address is the account's address already")]
    EmailUnchanged,
    #[error("no e-mail channel is configured")]
    EmailUnavailable,
    #[error("the privacy notice was not accepted")]
    PrivacyNotAccepted,
    #[error("a code was sent moments ago; wait {retry_after_secs} s")]
    TooSoon { retry_after_secs: i64 },
    #[error("too many codes for this number in the last hour")]
    TooManyCodes,
    #[error("the code is wrong")]
    CodeWrong,
    #[error("the code has expired, was used or was guessed too often")]
    CodeExpired,
    #[error("invalid name: {0}")]
    InvalidName(IdentifierError),
    #[error("invalid resident ID number: {0}")]
    InvalidResidentId(IdentifierError),
    #[error("invalid passport or travel permit: {0}")]
    InvalidDocument(IdentifierError),
    #[error("invalid passport country: {0}")]
    InvalidCountry(IdentifierError),
    #[error("password refused: {0}")]
    PasswordRejected(PasswordRejection),
    #[error("the name and ID number do not match the national records")]
    RealNameMismatch,
    #[error("the mobile number already has an account")]
    MobileTaken,
    /// The ID number has an account: the registrant is sent to a hall, the owner is told.
    #[error("the registration needs verification at a service hall")]
    NeedsHallVerification,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Identity {
    fn code_hash(&self, flow: Uuid, code: &str) -> String {
        self.index
            .of("verification-code", &format!("{flow}:{code}"))
    }

    /// Sends a registration code to `mobile` by SMS (through the outbox, in one transaction
    /// with the code).
    pub async fn start_registration(
        &self,
        clock: &dyn Clock,
        mobile: &str,
        accepted_privacy: bool,
        locale: Locale,
        site: &str,
        demo: bool,
    ) -> Result<RegistrationStarted, RegistrationError> {
        let mobile = MobileNumber::parse(mobile).map_err(|_| RegistrationError::InvalidMobile)?;
        if !accepted_privacy {
            return Err(RegistrationError::PrivacyNotAccepted);
        }
        let code = CodeRequest {
            purpose: PURPOSE,
            template: "register-code",
            locale,
            site,
            demo,
        };
        self.issue_code(clock.now(), &mobile, &code, true).await
    }

    /// Makes a one-time code for `mobile` and, when `send` is set, queues its SMS (in one
    /// transaction). Rate limits apply whether or not a message goes out, so the answer never
    /// tells whether the number has an account.
    pub(crate) async fn issue_code(
        &self,
        now: DateTime<Utc>,
        mobile: &MobileNumber,
        request: &CodeRequest<'_>,
        send: bool,
    ) -> Result<RegistrationStarted, RegistrationError> {
        let phone_index = self.index.of(MOBILE_INDEX, mobile.as_str());
        let seal = |field: &str| {
            self.cipher
                .encrypt(field, mobile.as_str())
                .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))
        };
        let existing = tongban_store::identity::find_by_login(
            &self.db,
            &LoginKey::PhoneIndex(phone_index.clone()),
        )
        .await?;
        let target = CodeTarget {
            index: phone_index,
            sealed: seal(PHONE_FIELD)?,
            channel: "sms",
            recipient: seal(RECIPIENT_FIELD)?,
            account_id: existing.map(|a| a.id),
        };
        self.issue_code_to(now, target, request, send).await
    }

    /// Makes a one-time code for `target` and, when `send` is set, queues its message on the
    /// target's channel in the same transaction. Rate limits (one code a minute, five an hour
    /// per index) apply whether or not a message goes out.
    pub(crate) async fn issue_code_to(
        &self,
        now: DateTime<Utc>,
        target: CodeTarget,
        request: &CodeRequest<'_>,
        send: bool,
    ) -> Result<RegistrationStarted, RegistrationError> {
        let recent = tongban_store::notifications::codes_since(
            &self.db,
            &target.index,
            request.purpose,
            now - Duration::hours(1),
        )
        .await?;
        if let Some(last) = recent.first() {
            let wait = RESEND_AFTER - (now - last.created_at).num_seconds();
            if wait > 0 {
                return Err(RegistrationError::TooSoon {
                    retry_after_secs: wait,
                });
            }
        }
        if recent.len() >= CODES_PER_HOUR {
            return Err(RegistrationError::TooManyCodes);
        }
        let digits =
            random_bytes::<8>().map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let code = format!("{:06}", u64::from_le_bytes(digits) % 1_000_000);
        let flow = Uuid::now_v7();

        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::notifications::insert_code(
            &txn,
            CodeRow {
                id: flow,
                purpose: request.purpose.to_owned(),
                phone_index: target.index,
                phone_ciphertext: target.sealed,
                code_hash: self.code_hash(flow, &code),
                attempts: 0,
                expires_at: now + Duration::minutes(CODE_MINUTES),
                consumed_at: None,
                created_at: now,
            },
        )
        .await?;
        if send {
            tongban_store::notifications::enqueue(
                &txn,
                NewNotification {
                    account_id: target.account_id,
                    channel: target.channel,
                    template: request.template.to_owned(),
                    locale: request.locale.tag().to_owned(),
                    params: serde_json::json!({
                        site_param(request.site).0: request.site,
                        "code": code,
                        "minutes": CODE_MINUTES,
                    }),
                    recipient_ciphertext: Some(target.recipient),
                },
                now,
            )
            .await?;
        }
        txn.commit().await.map_err(StoreError::from)?;
        Ok(RegistrationStarted {
            flow,
            demo_code: request.demo.then_some(code),
        })
    }

    /// The live code of `flow` for `purpose` after checking `given`; a wrong guess is counted.
    pub(crate) async fn check_code(
        &self,
        now: DateTime<Utc>,
        flow: Uuid,
        purpose: &str,
        given: &str,
    ) -> Result<CodeRow, RegistrationError> {
        let code_row = tongban_store::notifications::code_by_id(&self.db, flow)
            .await?
            .filter(|c| {
                c.purpose == purpose
                    && c.consumed_at.is_none()
                    && c.expires_at > now
                    && c.attempts < CODE_ATTEMPTS
            })
            .ok_or(RegistrationError::CodeExpired)?;
        let given = self.code_hash(flow, given.trim());
        if !constant_time_eq(given.as_bytes(), code_row.code_hash.as_bytes()) {
            tongban_store::notifications::count_code_attempt(
                &self.db,
                code_row.id,
                code_row.attempts,
            )
            .await?;
            return Err(RegistrationError::CodeWrong);
        }
        Ok(code_row)
    }

    /// Checks the code and the details, creates the account and signs the person in.
    pub async fn complete_registration(
        &self,
        clock: &dyn Clock,
        details: &RegistrationDetails<'_>,
        origin: &Origin,
    ) -> Result<IssuedSession, RegistrationError> {
        let now = clock.now();
        let code_row = self
            .check_code(now, details.flow, PURPOSE, details.code)
            .await?;
        let name = PersonName::parse(details.name).map_err(RegistrationError::InvalidName)?;
        let document = parse_document(details, now)?;
        // The code proved this number.
        let phone_index = code_row.phone_index.clone();
        let mobile = self
            .cipher
            .decrypt(PHONE_FIELD, &code_row.phone_ciphertext)
            .ok()
            .and_then(|number| MobileNumber::parse(&number).ok())
            .ok_or(RegistrationError::CodeExpired)?;
        self.settings
            .policy
            .check(
                details.password,
                &[name.as_str(), mobile.as_str(), document_number(&document)],
            )
            .map_err(RegistrationError::PasswordRejected)?;
        if !self.verifier.verify(&name, &document) {
            return Err(RegistrationError::RealNameMismatch);
        }
        if tongban_store::identity::find_by_login(
            &self.db,
            &LoginKey::PhoneIndex(phone_index.clone()),
        )
        .await?
        .is_some()
        {
            return Err(RegistrationError::MobileTaken);
        }
        let id_index = self.document_index(&document);
        if let Some(owner) = tongban_store::identity::find_by_login(
            &self.db,
            &LoginKey::IdDocIndex(id_index.clone()),
        )
        .await?
        {
            self.tell_owner_of_dispute(&owner, details, origin, now)
                .await?;
            return Err(RegistrationError::NeedsHallVerification);
        }

        let hash = self
            .passwords
            .hash(details.password)
            .await
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let seal = |field: &str, value: &str| {
            self.cipher
                .encrypt(field, value)
                .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))
        };
        let account_id = Uuid::now_v7();
        let new = NewAccount {
            id: account_id,
            kind: AccountKind::Person.key(),
            username: None,
            display_name: name.as_str().to_owned(),
            id_doc_kind: Some(stored_kind(&document).to_owned()),
            id_doc_ciphertext: Some(seal(ID_DOC_FIELD, &document.value())?),
            id_doc_index: Some(id_index),
            phone_ciphertext: Some(code_row.phone_ciphertext.clone()),
            phone_index: Some(phone_index),
            email: None,
            password_hash: hash,
            region_id: None,
            department_id: None,
            privacy_version: Some(PRIVACY_VERSION.to_owned()),
            totp_secret_ciphertext: None,
        };
        let (issued, session) = self.new_session(account_id, origin, now)?;

        let txn = self.db.begin().await.map_err(StoreError::from)?;
        if !tongban_store::notifications::consume_code(&txn, details.flow, now).await? {
            return Err(RegistrationError::CodeExpired);
        }
        match tongban_store::identity::insert_account(&txn, &new, now).await {
            Ok(()) => {}
            // Someone registered the same number or ID number a moment ago.
            Err(StoreError::Duplicate(_)) => return Err(RegistrationError::MobileTaken),
            Err(other) => return Err(other.into()),
        }
        tongban_store::identity::insert_session(&txn, session).await?;
        tongban_store::notifications::enqueue(
            &txn,
            NewNotification {
                account_id: Some(account_id),
                channel: "inbox",
                template: "welcome".to_owned(),
                locale: details.locale.tag().to_owned(),
                params: serde_json::json!({ "site": details.site }),
                recipient_ciphertext: None,
            },
            now,
        )
        .await?;
        let record = tongban_store::audit::AuditRecord {
            detail: serde_json::json!({ "privacy_version": PRIVACY_VERSION }),
            ..audit_record(
                now,
                Some(account_id),
                "identity.register",
                "success",
                origin,
            )
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// Tells the owner of an ID number that someone tried to register with it.
    async fn tell_owner_of_dispute(
        &self,
        owner: &tongban_store::identity::AccountRow,
        details: &RegistrationDetails<'_>,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let params = serde_json::json!({ "site": details.site });
        self.notify_owner(&txn, owner, "id-dispute", details.locale, params, now)
            .await?;
        let record = tongban_store::audit::AuditRecord {
            target: Some(owner.id.to_string()),
            ..audit_record(now, None, "identity.register", "id-dispute", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The document of a registration, validated by its kind; resident ID numbers also against
/// today's date (no birth dates in the future).
fn parse_document(
    details: &RegistrationDetails<'_>,
    now: DateTime<Utc>,
) -> Result<IdentityDocument, RegistrationError> {
    let number = details.document_number;
    Ok(match details.document_kind {
        DocumentKind::ResidentId => IdentityDocument::ResidentId(
            ResidentId::parse_as_of(number, now.date_naive())
                .map_err(RegistrationError::InvalidResidentId)?,
        ),
        DocumentKind::Passport => {
            let passport = Passport::parse(details.passport_country, number).map_err(|e| {
                if matches!(e, IdentifierError::InvalidCountryCode) {
                    RegistrationError::InvalidCountry(e)
                } else {
                    RegistrationError::InvalidDocument(e)
                }
            })?;
            IdentityDocument::Passport(passport)
        }
        DocumentKind::HongKongMacaoPermit => IdentityDocument::MainlandTravelPermit(
            TravelPermit::parse(PermitKind::HongKongMacao, number)
                .map_err(RegistrationError::InvalidDocument)?,
        ),
        DocumentKind::TaiwanPermit => IdentityDocument::MainlandTravelPermit(
            TravelPermit::parse(PermitKind::Taiwan, number)
                .map_err(RegistrationError::InvalidDocument)?,
        ),
    })
}

/// The number printed on the document (what a password must not contain).
fn document_number(document: &IdentityDocument) -> &str {
    match document {
        IdentityDocument::ResidentId(id) => id.as_str(),
        IdentityDocument::Passport(passport) => passport.number(),
        IdentityDocument::MainlandTravelPermit(permit) => permit.number(),
    }
}

/// The kind as stored in `accounts.id_doc_kind`: resident ID cards keep the key they were first
/// stored with, the other documents use [`DocumentKind::key`].
pub(crate) fn stored_kind(document: &IdentityDocument) -> &'static str {
    match document {
        IdentityDocument::ResidentId(_) => "resident-id",
        other => other.kind_key(),
    }
}

/// A stored document read back, `None` when it no longer parses.
pub(crate) fn stored_document(kind: Option<&str>, value: &str) -> Option<IdentityDocument> {
    match kind {
        None | Some("resident-id") => ResidentId::parse(value).ok().map(Into::into),
        Some(key) => IdentityDocument::parse_keyed(key, value).ok(),
    }
}
