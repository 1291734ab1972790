//! Once-only sharing: an applicant answers a form's e-certificate field with a certificate the
//! government already issued instead of uploading a copy.
//!
//! - Offering: for each such field, the applicant's valid certificates of the field's type,
//!   whether the platform may fetch one from the issuing department instead, and exactly which
//!   fields the receiving department will see ([`Certificates::offers`]).
//! - Checking: a picked certificate must be the applicant's, of the right type, not revoked and
//!   not expired; a fetch needs one to exist ([`Certificates::check_shared`]). The same check
//!   runs when a page is saved and again at submission.
//! - Sharing: at submission each answer becomes a presentation of the certificate with only the
//!   consented fields' disclosures (sealed with the field cipher, it carries personal data) and
//!   an evidence entry sealed by the receiving department's key, both written in the case's
//!   transaction ([`Certificates::prepare_shares`], `tongban_store::exchange`).
//! - Receiving: staff see each shared certificate verified now, against the issuing
//!   department's keys and status list, never a copy they must trust
//!   ([`Certificates::shared_with_case`]).
//! - Accounting: the holder's data-use record (数据使用记录) lists every access
//!   ([`Certificates::data_use`]).
//!
//! The holder is the case's applicant (the person or, for an enterprise, the account that
//! applies for it): certificates are issued to the applicant's account.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tongban_domain::certificate_types::CertificateType;
use tongban_domain::certificates::Verdict;
use tongban_domain::certificates::sdjwt;
use tongban_domain::clock::Clock;
use tongban_domain::forms::{
    Answer, AnswerError, Answers, CertificateAnswer, CertificateSource, FieldError, FieldKind,
    FormDefinition,
};
use tongban_store::certificates::{self as rows, CertificateRow};
use tongban_store::exchange::{self as log, LogRow, NewShare, SharedRow};
use uuid::Uuid;

use super::{CertificateError, Certificates, TOKEN_FIELD, crypto};
use crate::catalog::PortalCatalog;

/// The field-cipher context of a shared certificate's presentation.
pub const PRESENTATION_FIELD: &str = "shared_certificates.presentation";

/// What the applicant is offered for one e-certificate field.
#[derive(Debug, Clone)]
pub struct CertificateOffer {
    pub field_key: String,
    pub certificate_type: CertificateType,
    /// The applicant's certificates of the type that are valid now, newest first.
    pub held: Vec<CertificateRow>,
    /// The platform may fetch it from the issuing department instead.
    pub fetchable: bool,
    /// The certificate's fields the department will receive, in the type's order.
    pub disclosed: Vec<String>,
}

/// A certificate shared with a case, as the receiving staff see it.
#[derive(Debug, Clone)]
pub struct SharedView {
    pub row: SharedRow,
    /// The presentation's verdict now: signature, validity and the issuer's status list.
    pub verdict: Verdict,
}

fn usable(row: &CertificateRow, type_key: &str, now: DateTime<Utc>) -> Result<(), AnswerError> {
    if row.type_key != type_key {
        Err(AnswerError::CertificateNotHeld)
    } else if row.status != rows::STATUS_VALID {
        Err(AnswerError::CertificateRevoked)
    } else if row.expires_at.is_some_and(|at| at <= now) {
        Err(AnswerError::CertificateExpired)
    } else {
        Ok(())
    }
}

/// The fields an e-certificate field discloses: its `disclose` list, or every disclosable
/// field of the type, in the type's order.
pub fn disclosed_fields(certificate: &CertificateType, disclose: &[String]) -> Vec<String> {
    certificate
        .fields
        .iter()
        .filter(|f| f.disclosable)
        .filter(|f| disclose.is_empty() || disclose.contains(&f.key))
        .map(|f| f.key.clone())
        .collect()
}

impl Certificates {
    /// A shared certificate's presentation, opened, and its verdict now.
    async fn verified_share(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        row: &SharedRow,
    ) -> Result<(Verdict, String), CertificateError> {
        let presentation = self
            .cipher
            .decrypt(PRESENTATION_FIELD, &row.presentation)
            .map_err(crypto)?;
        let verdict = self.verify(clock, catalog, &presentation).await?;
        Ok((verdict, presentation))
    }

    /// The offers for every e-certificate field of `form` to the applicant `holder`.
    pub async fn offers(
        &self,
        catalog: &PortalCatalog,
        form: &FormDefinition,
        holder: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<CertificateOffer>, CertificateError> {
        let fields: Vec<_> = form
            .fields()
            .filter_map(|(_, field)| match &field.kind {
                FieldKind::ECertificate {
                    certificate_type,
                    disclose,
                    fetch,
                } => Some((field, certificate_type, disclose, fetch)),
                _ => None,
            })
            .collect();
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let mine = rows::of_holder(&self.db, catalog.region_id, holder).await?;
        let mut offers = Vec::new();
        for (field, type_key, disclose, fetch) in fields {
            // The catalogue check refuses unknown types; a field naming one anyway is skipped
            // rather than offered wrongly.
            let Some(certificate) = catalog.certificate_type(type_key) else {
                continue;
            };
            offers.push(CertificateOffer {
                field_key: field.key.clone(),
                held: mine
                    .iter()
                    .filter(|row| usable(row, type_key, now).is_ok())
                    .cloned()
                    .collect(),
                fetchable: fetch.is_some(),
                disclosed: disclosed_fields(certificate, disclose),
                certificate_type: certificate.clone(),
            });
        }
        Ok(offers)
    }

    /// The certificate an answer names, or why it cannot be shared.
    async fn resolve(
        &self,
        catalog: &PortalCatalog,
        holder: Uuid,
        type_key: &str,
        answer: &CertificateAnswer,
        now: DateTime<Utc>,
    ) -> Result<Result<CertificateRow, AnswerError>, CertificateError> {
        match answer.source {
            CertificateSource::Wallet => {
                let Some(id) = answer.id.as_deref().and_then(|id| Uuid::parse_str(id).ok()) else {
                    return Ok(Err(AnswerError::CertificateNotHeld));
                };
                Ok(
                    match rows::certificate_by_id(&self.db, catalog.region_id, id).await? {
                        Some(row) if row.holder_account_id == holder => {
                            usable(&row, type_key, now).map(|()| row)
                        }
                        _ => Err(AnswerError::CertificateNotHeld),
                    },
                )
            }
            // The issuing department's register: the holder's newest valid one.
            CertificateSource::Fetch => Ok(rows::of_holder(&self.db, catalog.region_id, holder)
                .await?
                .into_iter()
                .find(|row| usable(row, type_key, now).is_ok())
                .ok_or(AnswerError::NothingToFetch)),
        }
    }

    /// Whether every e-certificate answer can be shared by `holder` now: the errors to show,
    /// each on its field.
    pub async fn check_shared(
        &self,
        catalog: &PortalCatalog,
        form: &FormDefinition,
        answers: &Answers,
        holder: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<FieldError>, CertificateError> {
        let mut errors = Vec::new();
        for (_, field) in form.fields() {
            let (
                FieldKind::ECertificate {
                    certificate_type, ..
                },
                Some(Answer::Certificate(answer)),
            ) = (&field.kind, answers.get(&field.key))
            else {
                continue;
            };
            if let Err(error) = self
                .resolve(catalog, holder, certificate_type, answer, now)
                .await?
            {
                errors.push(FieldError {
                    path: field.key.clone(),
                    field: field.key.clone(),
                    error,
                });
            }
        }
        Ok(errors)
    }

    /// What the case being filed is shared: per e-certificate answer, a presentation with only
    /// the consented fields and the evidence entry's facts, sealed at filing by the receiving
    /// department's key. `Err` in the inner result lists answers that can no longer be shared
    /// (revoked meanwhile).
    #[allow(clippy::too_many_arguments)]
    pub async fn prepare_shares(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        form: &FormDefinition,
        answers: &Answers,
        holder: Uuid,
        receiver_department_id: Uuid,
        purpose: &str,
    ) -> Result<Result<Vec<NewShare>, Vec<FieldError>>, CertificateError> {
        let now = clock.now();
        let mut shares = Vec::new();
        let mut errors = Vec::new();
        let mut requester_key = None;
        for (_, field) in form.fields() {
            let (
                FieldKind::ECertificate {
                    certificate_type,
                    disclose,
                    ..
                },
                Some(Answer::Certificate(answer)),
            ) = (&field.kind, answers.get(&field.key))
            else {
                continue;
            };
            let row = match self
                .resolve(catalog, holder, certificate_type, answer, now)
                .await?
            {
                Ok(row) => row,
                Err(error) => {
                    errors.push(FieldError {
                        path: field.key.clone(),
                        field: field.key.clone(),
                        error,
                    });
                    continue;
                }
            };
            let Some(certificate) = catalog.certificate_type(certificate_type) else {
                return Err(CertificateError::NotFound);
            };
            let token = self
                .cipher
                .decrypt(TOKEN_FIELD, &row.token_sealed)
                .map_err(crypto)?;
            // An optional field the certificate was issued without is not shared, and not
            // recorded as shared.
            let issued: Vec<String> = sdjwt::split(&token)
                .map_err(crypto)?
                .disclosures
                .iter()
                .filter_map(|d| sdjwt::Disclosure::parse(d))
                .map(|d| d.name)
                .collect();
            let fields: Vec<String> = disclosed_fields(certificate, disclose)
                .into_iter()
                .filter(|f| issued.contains(f))
                .collect();
            let keep: Vec<&str> = fields.iter().map(String::as_str).collect();
            let presentation = sdjwt::present(&token, &keep).map_err(crypto)?;
            let sealed = self
                .cipher
                .encrypt(PRESENTATION_FIELD, &presentation)
                .map_err(crypto)?;
            let key: Arc<dyn tongban_domain::certificates::Signer> = match &requester_key {
                Some(key) => Arc::clone(key),
                None => {
                    let key: Arc<dyn tongban_domain::certificates::Signer> = Arc::new(
                        self.signer(&self.db, clock, catalog.region_id, receiver_department_id)
                            .await?,
                    );
                    requester_key = Some(Arc::clone(&key));
                    key
                }
            };
            shares.push(NewShare {
                id: Uuid::now_v7(),
                field_key: field.key.clone(),
                certificate_id: row.id,
                type_key: row.type_key.clone(),
                issuer_department_id: row.department_id,
                holder_account_id: holder,
                source: match answer.source {
                    CertificateSource::Wallet => "wallet",
                    CertificateSource::Fetch => "fetch",
                }
                .to_owned(),
                fields,
                presentation: sealed,
                purpose: purpose.to_owned(),
                consented_at: now,
                requester_key: key,
            });
        }
        Ok(if errors.is_empty() {
            Ok(shares)
        } else {
            Err(errors)
        })
    }

    /// The certificates shared with a case, each verified now. The caller has checked that
    /// the reader may see the case.
    pub async fn shared_with_case(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        case_id: Uuid,
    ) -> Result<Vec<SharedView>, CertificateError> {
        let mut out = Vec::new();
        for row in log::shares_of_case(&self.db, catalog.region_id, case_id).await? {
            let (verdict, _) = self.verified_share(clock, catalog, &row).await?;
            out.push(SharedView { row, verdict });
        }
        Ok(out)
    }

    /// The exchange API: a department's system (a machine client of `requester`) reads the
    /// certificates shared with one of the cases routed to that department, each verified now.
    /// Every certificate read is an evidence entry (`api`, the client's id) sealed by the
    /// requesting department, written before anything is returned. A case that is not the
    /// department's, or does not exist, is `NotFound` alike.
    pub async fn exchange_case_certificates(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        requester: Uuid,
        client_id: &str,
        tracking_number: &str,
    ) -> Result<Vec<(SharedView, String)>, CertificateError> {
        let case =
            tongban_store::cases::case_by_tracking(&self.db, catalog.region_id, tracking_number)
                .await?
                .ok_or(CertificateError::NotFound)?;
        let routed = case.department_id == requester
            || tongban_store::cases::tasks_of(&self.db, catalog.region_id, case.id)
                .await?
                .iter()
                .any(|t| t.department_id == requester);
        if !routed {
            return Err(CertificateError::NotFound);
        }
        let rows = log::shares_of_case(&self.db, catalog.region_id, case.id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let (verdict, presentation) = self.verified_share(clock, catalog, &row).await?;
            out.push((SharedView { row, verdict }, presentation));
        }
        if out.is_empty() {
            return Ok(out);
        }
        let now = clock.now();
        let service = catalog
            .service(&case.service_code)
            .map(|s| s.service.name.get(tongban_domain::Locale::ZhCn).to_owned())
            .unwrap_or_default();
        let purpose = format!(
            "{service}（{}），办件 {}",
            case.service_code, case.tracking_number
        );
        let txn = tongban_store::sea_orm::TransactionTrait::begin(&self.db).await?;
        let key = self
            .signer(&txn, clock, catalog.region_id, requester)
            .await?;
        let entries: Vec<_> = out
            .iter()
            .map(|(view, _)| {
                let row = &view.row;
                (
                    tongban_domain::certificates::evidence::EvidenceRecord {
                        id: Uuid::now_v7(),
                        at: now,
                        region_id: catalog.region_id,
                        holder_account_id: row.holder_account_id,
                        requester_department_id: requester,
                        issuer_department_id: row.issuer_department_id,
                        case_id: Some(case.id),
                        certificate_id: row.certificate_id,
                        type_key: row.type_key.clone(),
                        purpose: purpose.clone(),
                        fields: serde_json::from_str(&row.fields).unwrap_or_default(),
                        consent_id: Some(row.id),
                        channel: "api".to_owned(),
                        client_id: Some(client_id.to_owned()),
                    },
                    &key as &dyn tongban_domain::certificates::Signer,
                )
            })
            .collect();
        log::append(&txn, &entries).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// For workflow routing: per case, the fields whose shared certificate is valid now. Routes
    /// that ask whether a certificate was shared count only those: a check is skipped only for
    /// a certificate that is present and valid (not revoked or expired since) when the case
    /// moves on. The workflow asks for the cases an action routes.
    pub async fn valid_shares(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        case_ids: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, Vec<String>>, CertificateError> {
        let mut valid: std::collections::HashMap<Uuid, Vec<String>> =
            std::collections::HashMap::new();
        for row in log::shares_of_cases(&self.db, catalog.region_id, case_ids).await? {
            let (verdict, _) = self.verified_share(clock, catalog, &row).await?;
            if matches!(verdict, Verdict::Valid { .. }) {
                valid.entry(row.case_id).or_default().push(row.field_key);
            }
        }
        Ok(valid)
    }

    /// The data-use record of a holder: who received which of their certificates' fields,
    /// when and why, newest first.
    pub async fn data_use(
        &self,
        catalog: &PortalCatalog,
        holder: Uuid,
        limit: u64,
    ) -> Result<Vec<LogRow>, CertificateError> {
        Ok(log::entries_of_holder(&self.db, catalog.region_id, holder, limit).await?)
    }
}
