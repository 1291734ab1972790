//! E-certificates (电子证照): issuing SD-JWT VCs signed by the issuing department's key,
//! publishing the keys and the status lists verifiers need, revoking, verifying, and the
//! holder's wallet.
//!
//! - Keys: each department signs with its own key, generated on first use (Ed25519 unless the
//!   settings say ES256), the secret half sealed with the [`FieldCipher`]. [`Certificates::rotate_key`]
//!   retires the current key; retired keys stay in the JWKS so what they signed still verifies.
//! - Status: every certificate takes a slot in its department's status list (a fixed-size list
//!   per department, so that a slot tells nothing about when or to whom it was issued beyond
//!   the list); revocation sets the slot and the list's signed token is served to verifiers.
//! - `iss` is the department's page on the platform (`{public_url}/departments/{slug}`); a
//!   status list's URI is `{public_url}/certificates/status/{id}`.
//! - Legal notices are sealed (电子签章) with the same department keys
//!   ([`Certificates::seal_notices`], in the transaction that files them) and their seals
//!   verified, like certificates, with only the issuing department's keys
//!   ([`Certificates::verify_notice_seal`]).
//!
//! The cryptography is `tongban_domain::certificates`'s; this module only keeps keys and
//! state and decides who may do what.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};
use tongban_domain::access::Role;
use tongban_domain::catalog::Department;
use tongban_domain::certificates::sdjwt::{self, IssueRequest};
use tongban_domain::certificates::status_list::{
    self as status, StatusListTokenClaims, StatusReference,
};
use tongban_domain::certificates::{
    Algorithm, Jwk, Jwks, Signer, SoftwareKey, StatusEvidence, StatusList, Verdict,
};
use tongban_domain::clock::Clock;
use tongban_domain::notices::seal::{self, SealClaims, SealError, VerifiedSeal};
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use tongban_store::certificates::{self as rows, CertificateRow, KeyRow, StatusListRow};
use tongban_store::sea_orm::{ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use crate::StoreError;
use crate::catalog::PortalCatalog;
use crate::crypto::FieldCipher;
use crate::identity::{CurrentUser, Origin};

/// The field-cipher context of a signing key's secret.
pub const KEY_SECRET_FIELD: &str = "certificate_keys.secret";
/// The field-cipher context of an issued certificate's token.
pub const TOKEN_FIELD: &str = "certificates.token";

/// How certificates are issued and published.
#[derive(Debug, Clone)]
pub struct CertificateSettings {
    /// The platform's public URL, without a trailing slash: the base of `iss` and status URIs.
    pub public_url: String,
    /// The algorithm of new department keys.
    pub algorithm: Algorithm,
    /// Slots per status list; a new list starts when one is full.
    pub status_list_size: u64,
    /// How long verifiers may cache a status list token (its `ttl`).
    pub status_ttl_seconds: u64,
    /// How long a status list token is valid (its `exp` - `iat`).
    pub status_token_validity: Duration,
    /// Decoy digests per certificate: they hide how many fields a certificate has.
    pub decoys: usize,
}

impl CertificateSettings {
    pub fn new(public_url: &str) -> CertificateSettings {
        CertificateSettings {
            public_url: public_url.trim_end_matches('/').to_owned(),
            algorithm: Algorithm::EdDsa,
            status_list_size: 128 * 1024,
            status_ttl_seconds: 300,
            status_token_validity: Duration::hours(24),
            decoys: 2,
        }
    }
}

/// Why a certificate operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    NotAllowed,
    #[error("the certificate is already revoked")]
    AlreadyRevoked,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the status list changed too often meanwhile; try again")]
    Busy,
    #[error("key or token cannot be used: {0}")]
    Crypto(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tongban_store::sea_orm::DbErr> for CertificateError {
    fn from(e: tongban_store::sea_orm::DbErr) -> Self {
        CertificateError::Store(StoreError::from(e))
    }
}

/// What goes into one certificate.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// The catalogue's certificate type key.
    pub type_key: String,
    /// The type's identifier (`vct`).
    pub vct: String,
    pub department_id: Uuid,
    pub holder_account_id: Uuid,
    pub holder_enterprise_id: Option<Uuid>,
    pub case_id: Option<Uuid>,
    pub valid_from: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Fields always shown.
    pub plain: Map<String, Value>,
    /// Fields the holder may withhold.
    pub disclosable: Map<String, Value>,
    /// Non-personal facts for lists (type name, document number).
    pub summary: Value,
}

/// A certificate as its holder's wallet lists it.
#[derive(Debug, Clone)]
pub struct HeldCertificate {
    pub row: CertificateRow,
    /// The SD-JWT, all disclosures included.
    pub token: String,
}

/// Issued certificates, keys and status lists of the platform.
pub struct Certificates {
    db: Connection,
    cipher: Arc<dyn FieldCipher>,
    pub settings: CertificateSettings,
    /// Signed status list tokens by list, with the list version and when they were signed:
    /// verifiers poll them, and a token stays good for its `ttl`.
    tokens: Mutex<HashMap<Uuid, SignedList>>,
}

/// A signed status list token: the list version it shows, when it was signed, the token.
type SignedList = (i32, DateTime<Utc>, Arc<str>);

/// Fills `buf` from the system's generator, remembering a failure (the domain's random source
/// cannot fail, so the caller checks afterwards and discards what was made).
fn system_random(failed: &mut bool) -> impl FnMut(&mut [u8]) + '_ {
    move |buf: &mut [u8]| {
        if getrandom::fill(buf).is_err() {
            *failed = true;
        }
    }
}

fn crypto(e: impl std::fmt::Display) -> CertificateError {
    CertificateError::Crypto(e.to_string())
}

impl Certificates {
    pub fn new(
        db: Connection,
        cipher: Arc<dyn FieldCipher>,
        settings: CertificateSettings,
    ) -> Certificates {
        Certificates {
            db,
            cipher,
            settings,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// `iss` of a department's certificates: its page on the platform.
    pub fn issuer_url(&self, department: &Department) -> String {
        format!(
            "{}/departments/{}",
            self.settings.public_url, department.slug
        )
    }

    /// The URI certificates name for their status list.
    pub fn status_uri(&self, list_id: Uuid) -> String {
        format!("{}/certificates/status/{list_id}", self.settings.public_url)
    }

    fn open_key(&self, row: &KeyRow) -> Result<SoftwareKey, CertificateError> {
        let algorithm = Algorithm::from_name(&row.alg)
            .ok_or_else(|| crypto(format!("key {} has unknown alg {}", row.kid, row.alg)))?;
        let secret = self
            .cipher
            .decrypt(KEY_SECRET_FIELD, &row.secret_sealed)
            .map_err(crypto)?;
        let bytes = B64.decode(secret).map_err(crypto)?;
        SoftwareKey::from_secret(algorithm, &bytes).map_err(crypto)
    }

    /// Makes and records a new key for a department.
    async fn new_key<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        region_id: Uuid,
        department_id: Uuid,
        algorithm: Algorithm,
    ) -> Result<SoftwareKey, CertificateError> {
        let mut failed = false;
        let key =
            SoftwareKey::generate(algorithm, &mut system_random(&mut failed)).map_err(crypto)?;
        if failed {
            return Err(crypto("the system random number generator failed"));
        }
        let sealed = self
            .cipher
            .encrypt(KEY_SECRET_FIELD, &B64.encode(key.secret_bytes()))
            .map_err(crypto)?;
        let jwk = serde_json::to_string(&key.public_jwk()).map_err(crypto)?;
        rows::insert_key(
            db,
            KeyRow {
                id: Uuid::now_v7(),
                region_id,
                department_id,
                kid: key.kid().to_owned(),
                alg: algorithm.name().to_owned(),
                public_jwk: jwk,
                secret_sealed: sealed,
                created_at: clock.now(),
                retired_at: None,
            },
        )
        .await?;
        tracing::info!(kid = key.kid(), %department_id, "certificate signing key created");
        Ok(key)
    }

    /// The key a department signs with, made on first use.
    async fn signer<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        region_id: Uuid,
        department_id: Uuid,
    ) -> Result<SoftwareKey, CertificateError> {
        match rows::signing_key(db, region_id, department_id).await? {
            Some(row) => self.open_key(&row),
            None => {
                self.new_key(db, clock, region_id, department_id, self.settings.algorithm)
                    .await
            }
        }
    }

    /// Whether `user` administers certificates of `department_id`: its department
    /// administrator or approver (who decides the cases that issue them).
    pub fn may_administer(user: &CurrentUser, region_id: Uuid, department_id: Uuid) -> bool {
        user.roles.iter().any(|g| {
            g.region_id == region_id
                && g.department_id == Some(department_id)
                && matches!(g.role, Role::DepartmentAdmin | Role::Approver)
        })
    }

    /// Retires the department's signing key and makes a new one (of `algorithm`); the old key
    /// stays published. Department administrators only; audited. Returns the new `kid`.
    pub async fn rotate_key(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        department_code: &str,
        algorithm: Algorithm,
    ) -> Result<String, CertificateError> {
        let department_id = catalog
            .department_id(department_code)
            .ok_or(CertificateError::NotFound)?;
        let allowed = user.roles.iter().any(|g| {
            g.region_id == catalog.region_id
                && g.department_id == Some(department_id)
                && g.role == Role::DepartmentAdmin
        });
        let now = clock.now();
        let txn = self.db.begin().await?;
        let mut audit = AuditRecord {
            at: now,
            region_id: Some(catalog.region_id),
            actor_id: Some(user.account_id),
            on_behalf_of: None,
            action: "certificates.rotate-key".to_owned(),
            target: Some(format!("department:{department_code}")),
            outcome: "denied".to_owned(),
            ip: origin.ip.clone(),
            detail: serde_json::json!({ "alg": algorithm.name() }),
        };
        if !allowed {
            tongban_store::audit::append_many(&txn, std::slice::from_ref(&audit)).await?;
            txn.commit().await?;
            return Err(CertificateError::NotAllowed);
        }
        rows::retire_keys(&txn, catalog.region_id, department_id, now).await?;
        let key = self
            .new_key(&txn, clock, catalog.region_id, department_id, algorithm)
            .await?;
        audit.outcome = "success".to_owned();
        audit.detail = serde_json::json!({ "alg": algorithm.name(), "kid": key.kid() });
        tongban_store::audit::append_many(&txn, std::slice::from_ref(&audit)).await?;
        txn.commit().await?;
        Ok(key.kid().to_owned())
    }

    /// The published keys of a region, or of one department: retired keys included.
    pub async fn jwks(
        &self,
        region_id: Uuid,
        department_id: Option<Uuid>,
    ) -> Result<Jwks, CertificateError> {
        let keys = rows::published_keys(&self.db, region_id, department_id).await?;
        let keys = keys
            .iter()
            .map(|k| serde_json::from_str::<Jwk>(&k.public_jwk).map_err(crypto))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jwks { keys })
    }

    /// Takes `count` free slots in the department's status lists, starting a new list when one
    /// is full. Each take is a conditional update on the list's version; a list changed by
    /// someone else meanwhile is read again.
    async fn status_slots<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        region_id: Uuid,
        department_id: Uuid,
        count: usize,
    ) -> Result<Vec<(Uuid, i64)>, CertificateError> {
        let mut slots = Vec::with_capacity(count);
        let mut conflicts = 0;
        while slots.len() < count {
            let list = match rows::open_status_list(db, region_id, department_id).await? {
                Some(list) => list,
                None => {
                    let empty =
                        StatusList::new(1, self.settings.status_list_size).map_err(crypto)?;
                    let row = StatusListRow {
                        id: Uuid::now_v7(),
                        region_id,
                        department_id,
                        bits: 1,
                        size: i64::try_from(self.settings.status_list_size).map_err(crypto)?,
                        next_index: 0,
                        bytes: B64.encode(empty.as_bytes()),
                        version: 0,
                        created_at: clock.now(),
                        updated_at: clock.now(),
                    };
                    rows::insert_status_list(db, row.clone()).await?;
                    row
                }
            };
            let wanted = i64::try_from(count - slots.len()).map_err(crypto)?;
            let take = wanted.min(list.size - list.next_index);
            if rows::take_status_slots(db, &list, take, clock.now()).await? {
                slots.extend((0..take).map(|i| (list.id, list.next_index + i)));
            } else {
                conflicts += 1;
                if conflicts > 5 {
                    return Err(CertificateError::Busy);
                }
            }
        }
        Ok(slots)
    }

    /// Issues a certificate inside the caller's transaction (the case decision that grants
    /// it): signs it with the department's key, gives it a status slot, records it sealed.
    pub async fn issue<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        new: NewCertificate,
    ) -> Result<CertificateRow, CertificateError> {
        self.issue_many(db, clock, catalog, vec![new])
            .await?
            .pop()
            .ok_or(CertificateError::NotFound)
    }

    /// Issues many certificates in the caller's transaction (a batch of approvals): one key
    /// and one run of status slots per department, one multi-row insert. In the order given.
    pub async fn issue_many<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        news: Vec<NewCertificate>,
    ) -> Result<Vec<CertificateRow>, CertificateError> {
        let now = clock.now();
        let mut per_department: HashMap<Uuid, usize> = HashMap::new();
        for new in &news {
            *per_department.entry(new.department_id).or_default() += 1;
        }
        let mut signers = HashMap::new();
        let mut slots: HashMap<Uuid, std::vec::IntoIter<(Uuid, i64)>> = HashMap::new();
        for (department_id, count) in per_department {
            let signer = self
                .signer(db, clock, catalog.region_id, department_id)
                .await?;
            signers.insert(department_id, signer);
            let taken = self
                .status_slots(db, clock, catalog.region_id, department_id, count)
                .await?;
            slots.insert(department_id, taken.into_iter());
        }
        let mut out = Vec::with_capacity(news.len());
        for new in news {
            let department = catalog
                .department_by_id(new.department_id)
                .ok_or(CertificateError::NotFound)?;
            let signer = signers
                .get(&new.department_id)
                .ok_or(CertificateError::NotFound)?;
            let (list_id, index) = slots
                .get_mut(&new.department_id)
                .and_then(Iterator::next)
                .ok_or(CertificateError::Busy)?;
            let request = IssueRequest {
                issuer: self.issuer_url(department),
                vct: new.vct.clone(),
                subject: None,
                issued_at: now,
                valid_from: new.valid_from,
                expires_at: new.expires_at,
                status: Some(StatusReference {
                    idx: u64::try_from(index).map_err(crypto)?,
                    uri: self.status_uri(list_id),
                }),
                cnf: None,
                plain: new.plain,
                disclosable: new.disclosable,
                decoys: self.settings.decoys,
            };
            let mut failed = false;
            let token =
                sdjwt::issue(&request, signer, &mut system_random(&mut failed)).map_err(crypto)?;
            if failed {
                return Err(crypto("the system random number generator failed"));
            }
            out.push(CertificateRow {
                id: Uuid::now_v7(),
                region_id: catalog.region_id,
                type_key: new.type_key,
                department_id: new.department_id,
                holder_account_id: new.holder_account_id,
                holder_enterprise_id: new.holder_enterprise_id,
                case_id: new.case_id,
                status_list_id: list_id,
                status_index: index,
                status: rows::STATUS_VALID.to_owned(),
                issued_at: now,
                expires_at: new.expires_at,
                token_sealed: self.cipher.encrypt(TOKEN_FIELD, &token).map_err(crypto)?,
                check_code: {
                    let bytes = crate::crypto::random_bytes::<16>().map_err(crypto)?;
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
                },
                summary: new.summary.to_string(),
                revoked_at: None,
                revoked_by: None,
                revoke_reason: None,
            });
        }
        rows::insert_certificates(db, &out).await?;
        Ok(out)
    }

    /// The certificates a case issued (for the staff who may see the case).
    pub async fn of_case(
        &self,
        region_id: Uuid,
        case_id: Uuid,
    ) -> Result<Vec<CertificateRow>, CertificateError> {
        Ok(rows::of_case(&self.db, region_id, case_id).await?)
    }

    /// The holder's certificates, newest first, with their tokens.
    pub async fn wallet(
        &self,
        user: &CurrentUser,
        region_id: Uuid,
    ) -> Result<Vec<HeldCertificate>, CertificateError> {
        rows::of_holder(&self.db, region_id, user.account_id)
            .await?
            .into_iter()
            .map(|row| self.held(row))
            .collect()
    }

    fn held(&self, row: CertificateRow) -> Result<HeldCertificate, CertificateError> {
        let token = self
            .cipher
            .decrypt(TOKEN_FIELD, &row.token_sealed)
            .map_err(crypto)?;
        Ok(HeldCertificate { row, token })
    }

    /// One of the holder's certificates; another's is `NotFound`.
    pub async fn held_by(
        &self,
        user: &CurrentUser,
        region_id: Uuid,
        id: Uuid,
    ) -> Result<HeldCertificate, CertificateError> {
        match rows::certificate_by_id(&self.db, region_id, id).await? {
            Some(row) if row.holder_account_id == user.account_id => self.held(row),
            _ => Err(CertificateError::NotFound),
        }
    }

    /// The certificate a QR code names, when its code matches (compared in constant time);
    /// `NotFound` otherwise, whether the id or the code is wrong.
    pub async fn by_check_code(
        &self,
        region_id: Uuid,
        id: Uuid,
        code: &str,
    ) -> Result<HeldCertificate, CertificateError> {
        let row = rows::certificate_by_id(&self.db, region_id, id)
            .await?
            .ok_or(CertificateError::NotFound)?;
        let matches = row.check_code.len() == code.len()
            && row
                .check_code
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return Err(CertificateError::NotFound);
        }
        self.held(row)
    }

    /// The address a certificate's QR code opens.
    pub fn check_url(&self, row: &CertificateRow) -> String {
        format!(
            "{}/certificates/check/{}/{}",
            self.settings.public_url, row.id, row.check_code
        )
    }

    /// Revokes a certificate: the issuing department's administrator or approver, with a
    /// reason. The status list is updated in the same transaction; the holder is told; audited.
    pub async fn revoke(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        id: Uuid,
        reason: &str,
    ) -> Result<(), CertificateError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CertificateError::ReasonRequired);
        }
        let now = clock.now();
        let row = rows::certificate_by_id(&self.db, catalog.region_id, id)
            .await?
            .ok_or(CertificateError::NotFound)?;
        let mut audit = AuditRecord {
            at: now,
            region_id: Some(catalog.region_id),
            actor_id: Some(user.account_id),
            on_behalf_of: None,
            action: "certificates.revoke".to_owned(),
            target: Some(format!("certificate:{id}")),
            outcome: "denied".to_owned(),
            ip: origin.ip.clone(),
            detail: serde_json::json!({ "type": row.type_key }),
        };
        if !Self::may_administer(user, catalog.region_id, row.department_id) {
            tongban_store::audit::append_many(&self.db, std::slice::from_ref(&audit)).await?;
            return Err(CertificateError::NotAllowed);
        }
        for _ in 0..5 {
            let txn = self.db.begin().await?;
            if !rows::mark_revoked(&txn, catalog.region_id, id, user.account_id, reason, now)
                .await?
            {
                return Err(CertificateError::AlreadyRevoked);
            }
            let list = rows::status_list_by_id(&txn, row.status_list_id)
                .await?
                .ok_or(CertificateError::NotFound)?;
            let mut bits = self.list_bits(&list)?;
            bits.set(
                u64::try_from(row.status_index).map_err(crypto)?,
                status::Status::Invalid,
            )
            .map_err(crypto)?;
            if !rows::save_status_bits(&txn, &list, &B64.encode(bits.as_bytes()), now).await? {
                // Another revocation or issuance changed the list: try again on fresh data.
                txn.rollback().await?;
                continue;
            }
            audit.outcome = "success".to_owned();
            audit.detail = serde_json::json!({ "type": row.type_key, "reason": reason });
            tongban_store::audit::append_many(&txn, std::slice::from_ref(&audit)).await?;
            tongban_store::notifications::enqueue(
                &txn,
                tongban_store::notifications::NewNotification {
                    account_id: Some(row.holder_account_id),
                    channel: "inbox",
                    template: CERTIFICATE_REVOKED_TEMPLATE.to_owned(),
                    locale: tongban_domain::Locale::ZhCn.tag().to_owned(),
                    params: serde_json::json!({
                        "certificate_id": id,
                        "certificate": summary_name(&row.summary),
                        "reason": reason,
                    }),
                    recipient_ciphertext: None,
                },
                now,
            )
            .await?;
            txn.commit().await?;
            return Ok(());
        }
        Err(CertificateError::Busy)
    }

    fn list_bits(&self, list: &StatusListRow) -> Result<StatusList, CertificateError> {
        let bytes = B64.decode(&list.bytes).map_err(crypto)?;
        StatusList::from_bytes(u8::try_from(list.bits).map_err(crypto)?, bytes).map_err(crypto)
    }

    /// The signed Status List Token of a list (any region: lists are public), re-signed when
    /// the list changed or half its `ttl` has passed.
    pub async fn status_list_token(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        list_id: Uuid,
    ) -> Result<Arc<str>, CertificateError> {
        let list = rows::status_list_by_id(&self.db, list_id)
            .await?
            .filter(|l| l.region_id == catalog.region_id)
            .ok_or(CertificateError::NotFound)?;
        let now = clock.now();
        let fresh_for = Duration::seconds(
            i64::try_from(self.settings.status_ttl_seconds / 2).unwrap_or(i64::MAX),
        );
        if let Ok(cache) = self.tokens.lock()
            && let Some((version, signed_at, token)) = cache.get(&list_id)
            && *version == list.version
            && now - *signed_at < fresh_for
        {
            return Ok(token.clone());
        }
        let department = catalog
            .department_by_id(list.department_id)
            .ok_or(CertificateError::NotFound)?;
        let signer = self
            .signer(&self.db, clock, catalog.region_id, list.department_id)
            .await?;
        let issuer = self.issuer_url(department);
        let uri = self.status_uri(list_id);
        let token: Arc<str> = status::issue_token(
            &self.list_bits(&list)?,
            &StatusListTokenClaims {
                uri: &uri,
                issuer: Some(&issuer),
                issued_at: now,
                expires_at: Some(now + self.settings.status_token_validity),
                ttl_seconds: Some(self.settings.status_ttl_seconds),
            },
            &signer,
        )
        .map_err(crypto)?
        .into();
        if let Ok(mut cache) = self.tokens.lock() {
            cache.insert(list_id, (list.version, now, token.clone()));
        }
        Ok(token)
    }

    /// Verifies a certificate presented to the platform: signature against the keys of the
    /// department its `iss` names (another department's key does not vouch for it; an issuer
    /// that is not one of ours has no keys here, so its certificates are forgeries to us),
    /// validity, and revocation when it names one of our status lists.
    pub async fn verify(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        token: &str,
    ) -> Result<Verdict, CertificateError> {
        // The issuer and status list are read before the token is trusted, only to find the
        // keys and the list; the verdict then checks everything against them.
        let payload = sdjwt::split(token)
            .ok()
            .and_then(|parts| unverified_payload(parts.jws));
        let department_prefix = format!("{}/departments/", self.settings.public_url);
        let department_id = payload
            .as_ref()
            .and_then(|p| p.get("iss")?.as_str())
            .and_then(|iss| iss.strip_prefix(&department_prefix))
            .and_then(|slug| catalog.department_by_slug(slug))
            .and_then(|d| catalog.department_id(&d.code));
        let jwks = match department_id {
            Some(id) => self.jwks(catalog.region_id, Some(id)).await?,
            None => Jwks::default(),
        };
        let now = clock.now();
        let prefix = format!("{}/certificates/status/", self.settings.public_url);
        let list_id = payload
            .as_ref()
            .and_then(|p| StatusReference::from_claim(p.get("status")?))
            .and_then(|r| r.uri.strip_prefix(&prefix).map(str::to_owned))
            .and_then(|id| Uuid::parse_str(&id).ok());
        let status_token = match list_id {
            Some(id) => match self.status_list_token(clock, catalog, id).await {
                Ok(token) => Some(token),
                Err(CertificateError::NotFound) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let evidence = status_token
            .as_deref()
            .map(|token| StatusEvidence { token, jwks: &jwks });
        Ok(sdjwt::verify_with_status(
            token,
            &jwks,
            evidence,
            now,
            sdjwt::DEFAULT_LEEWAY,
        ))
    }
}

impl Certificates {
    /// The public verification page of a sealed notice.
    pub fn notice_check_url(&self, document_id: Uuid, code: &str) -> String {
        format!(
            "{}/notices/check/{document_id}/{code}",
            self.settings.public_url
        )
    }

    /// Seals notices inside the caller's transaction (the one that files them): each with the
    /// current key of the department given beside it (made on first use, as for
    /// certificates), `iss` set to that department's URL. One key read per department; the
    /// seals come back in the order given.
    pub async fn seal_notices<C: ConnectionTrait>(
        &self,
        db: &C,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        notices: Vec<(Uuid, SealClaims)>,
    ) -> Result<Vec<String>, CertificateError> {
        let mut signers: HashMap<Uuid, SoftwareKey> = HashMap::new();
        let mut out = Vec::with_capacity(notices.len());
        for (department_id, mut claims) in notices {
            let department = catalog
                .department_by_id(department_id)
                .ok_or(CertificateError::NotFound)?;
            let signer = match signers.entry(department_id) {
                std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => slot.insert(
                    self.signer(db, clock, catalog.region_id, department_id)
                        .await?,
                ),
            };
            claims.issuer = self.issuer_url(department);
            out.push(seal::seal_notice(&*signer, &claims).map_err(crypto)?);
        }
        Ok(out)
    }

    /// Verifies a notice's seal with the keys of the department its `iss` names and no other:
    /// another department's key does not vouch for it, and an issuer that is not one of this
    /// region's departments has no keys here, so its seals are reported as unknown keys. The
    /// outer error is a failure to look keys up; the inner one the verdict on a bad seal.
    pub async fn verify_notice_seal(
        &self,
        catalog: &PortalCatalog,
        token: &str,
    ) -> Result<Result<VerifiedSeal, SealError>, CertificateError> {
        let department_prefix = format!("{}/departments/", self.settings.public_url);
        let department_id = seal::unverified_issuer(token)
            .as_deref()
            .and_then(|iss| iss.strip_prefix(&department_prefix))
            .and_then(|slug| catalog.department_by_slug(slug))
            .and_then(|d| catalog.department_id(&d.code));
        let jwks = match department_id {
            Some(id) => self.jwks(catalog.region_id, Some(id)).await?,
            None => Jwks::default(),
        };
        Ok(seal::verify_seal(token, &jwks))
    }
}

/// The notification template telling a holder their certificate was revoked.
pub const CERTIFICATE_REVOKED_TEMPLATE: &str = "certificate-revoked";

/// The type name a certificate's stored summary carries ("" when it has none).
pub fn summary_name(summary: &str) -> String {
    serde_json::from_str::<Value>(summary)
        .ok()
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default()
}

/// The claims of a JWS payload, unverified.
fn unverified_payload(jws: &str) -> Option<Value> {
    let payload = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// What a case offers to fill a certificate: its answers, the applicant's known facts, and the
/// case's own facts.
pub struct CaseFacts<'a> {
    pub answers: &'a tongban_domain::forms::Answers,
    pub applicant: &'a tongban_domain::forms::Profile,
    pub tracking_number: &'a str,
    pub decided_on: chrono::NaiveDate,
    pub submitted_on: chrono::NaiveDate,
    pub department_name: &'a str,
    /// The full name of an address's division (the region's own districts included).
    pub division_name: &'a dyn Fn(&str) -> Option<String>,
}

/// Why an approval could not issue its certificate (the approval is refused with it, so that
/// no case is granted without the certificate its service promises).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssuanceProblem {
    #[error("certificate type {0} is not in the catalogue")]
    UnknownType(String),
    #[error("{0} has no value for its required field {1}")]
    Missing(String, String),
    #[error("{0}: field {1}: {2}")]
    BadValue(String, String, String),
}

/// An answer as a certificate field's text: dates and numbers as written, choices by their
/// value, an address by its division's name and street, several values joined by "、".
fn answer_text(
    answer: &tongban_domain::forms::Answer,
    division_name: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    use tongban_domain::forms::Answer;
    let text = match answer {
        Answer::Text(text) => text.clone(),
        Answer::Amount(fen) => tongban_domain::money::Fen(*fen).to_string(),
        Answer::Many(values) => values.join("、"),
        Answer::Range(span) => format!("{} – {}", span.from, span.to),
        Answer::Address(address) => {
            let division = division_name(&address.division).unwrap_or_default();
            format!("{division}{}", address.street)
        }
        Answer::Files(_) | Answer::Items(_) | Answer::Certificate(_) => return None,
    };
    (!text.trim().is_empty()).then_some(text)
}

/// A certificate's claims: those always visible, and those the holder may withhold.
pub type Claims = (Map<String, Value>, Map<String, Value>);

/// The claims of a certificate of `certificate_type` as `issuance` maps them from `facts`:
/// the always-visible ones and those the holder may withhold. Each value is checked against
/// its field's type; a required field without a value is a problem, an optional one is left
/// out.
pub fn claims_for(
    certificate_type: &tongban_domain::certificate_types::CertificateType,
    issuance: &tongban_domain::certificate_types::Issuance,
    facts: &CaseFacts<'_>,
) -> Result<Claims, IssuanceProblem> {
    use tongban_domain::certificate_types::FieldSource;
    use tongban_domain::forms::Prefill;
    let mut plain = Map::new();
    let mut disclosable = Map::new();
    for field in &certificate_type.fields {
        let value = issuance
            .fields
            .get(&field.key)
            .and_then(|source| match source {
                FieldSource::Form(key) => facts
                    .answers
                    .get(key)
                    .and_then(|a| answer_text(a, facts.division_name)),
                FieldSource::Applicant(fact) => match fact {
                    Prefill::Name => facts.applicant.name.clone(),
                    Prefill::ResidentId => facts.applicant.resident_id.clone(),
                    Prefill::Mobile => facts.applicant.mobile.clone(),
                    Prefill::Email => facts.applicant.email.clone(),
                    Prefill::EnterpriseName => facts.applicant.enterprise_name.clone(),
                    Prefill::CreditCode => facts.applicant.credit_code.clone(),
                },
                FieldSource::CaseTrackingNumber => Some(facts.tracking_number.to_owned()),
                FieldSource::CaseDecisionDate => Some(facts.decided_on.to_string()),
                FieldSource::CaseSubmissionDate => Some(facts.submitted_on.to_string()),
                FieldSource::DepartmentName => Some(facts.department_name.to_owned()),
                FieldSource::Fixed(text) => Some(text.clone()),
            })
            .filter(|v| !v.trim().is_empty());
        let Some(value) = value else {
            if field.required {
                return Err(IssuanceProblem::Missing(
                    certificate_type.key.clone(),
                    field.key.clone(),
                ));
            }
            continue;
        };
        field.value_type.check(&value).map_err(|e| {
            IssuanceProblem::BadValue(
                certificate_type.key.clone(),
                field.key.clone(),
                e.to_string(),
            )
        })?;
        if field.disclosable {
            disclosable.insert(field.key.clone(), Value::from(value));
        } else {
            plain.insert(field.key.clone(), Value::from(value));
        }
    }
    Ok((plain, disclosable))
}

pub mod sharing;
