//! Online applications (网上申请): drafts answered page by page, counter intake (窗口代录),
//! agents applying for the people and enterprises they act for, and submission, which turns a
//! checked application into a case through the single submission writer.
//!
//! Answers are personal data: drafts and cases store them encrypted with the platform's field
//! cipher. Every answer is validated by the domain's form rules when a page is saved and all of
//! them again at submission, so what becomes a case always satisfies the form version it records.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use tongban_domain::Locale;
use tongban_domain::access::Role;
use tongban_domain::clock::Clock;
use tongban_domain::forms::{
    Answers, CheckContext, DivisionLookup, FieldError, FileRef, FormDefinition, Profile, RawInput,
    Step, SubmissionProblem, TrackingNumber, check_submission, first_unanswered, next_step,
    parse_page, prefill,
};
use tongban_domain::identity::ResidentId;
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use uuid::Uuid;

use crate::StoreError;
use crate::catalog::PortalCatalog;
use crate::catalog_admin::region_offset;
use crate::crypto::{BlindIndex, FieldCipher, sha256_hex};
use crate::identity::agency::{PrincipalKind, Scope};
use crate::identity::{AccountKind, CurrentUser, Origin};
pub use crate::submissions::Receipt;
use crate::submissions::{SubmissionWriter, SubmitError};
use tongban_store::cases::NewCase;

/// Where drafts' answers are encrypted.
pub const DRAFT_ANSWERS_FIELD: &str = "application_drafts.answers";
/// Where cases' answers are encrypted.
pub const CASE_ANSWERS_FIELD: &str = "cases.answers";

pub use tongban_store::cases::Channel;

/// Tunable rules of applications.
#[derive(Debug, Clone)]
pub struct ApplicationSettings {
    /// Days a draft is kept after its last change.
    pub draft_days: i64,
    /// Days before expiry the applicant is reminded.
    pub reminder_days: i64,
    /// The working-day calendars cases' deadlines are counted on (the shipped ones plus an
    /// operator's extra files).
    pub calendars: Arc<tongban_domain::calendar::CalendarSet>,
    /// Office hours, alert thresholds and the progress lookup's lockout.
    pub handling: crate::workflow::HandlingSettings,
    /// How decisions issue e-certificates (the platform's public URL is their issuers' base).
    pub certificates: crate::certificates::CertificateSettings,
}

impl Default for ApplicationSettings {
    fn default() -> Self {
        ApplicationSettings {
            draft_days: 30,
            reminder_days: 3,
            calendars: Arc::new(tongban_domain::calendar::CalendarSet::embedded().clone()),
            handling: crate::workflow::HandlingSettings::default(),
            certificates: crate::certificates::CertificateSettings::new("http://127.0.0.1:8080"),
        }
    }
}

/// Why an application step is refused. The web layer words each for people; the text here is
/// for logs.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("the service has no online application form")]
    NoOnlineForm,
    /// Not the caller's draft or case, or the caller lacks the right: reported like a missing
    /// record so that ids cannot be probed.
    #[error("not found")]
    NotFound,
    #[error("the caller may not apply in this way")]
    NotAllowed,
    #[error("no account holds that ID number")]
    ApplicantUnknown,
    #[error("the ID number is not valid")]
    ApplicantIdInvalid,
    #[error("the draft was changed elsewhere")]
    Conflict,
    #[error("the answers lead to exit page {exit}")]
    NotEligible { exit: String },
    #[error("{} answers are not valid", .0.len())]
    Invalid(Vec<(String, FieldError)>),
    #[error("the declaration was not confirmed")]
    DeclarationMissing,
    #[error("the Idempotency-Key was used for a different request")]
    KeyReused,
    #[error("submissions are not being accepted right now")]
    Unavailable,
    #[error("answers cannot be sealed or opened: {0}")]
    Crypto(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn certificate_failure(error: crate::certificates::CertificateError) -> ApplyError {
    match error {
        crate::certificates::CertificateError::Store(e) => ApplyError::Store(e),
        other => ApplyError::Crypto(other.to_string()),
    }
}

/// A draft as its filler sees it.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: Uuid,
    pub service_code: String,
    pub service_version: i32,
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub entered_by: Uuid,
    pub channel: Channel,
    pub answers: Answers,
    pub current_page: String,
    pub revision: i32,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What saving a page led to.
#[derive(Debug, Clone)]
pub enum PageSaved {
    /// Saved; go on to this step.
    Next(Step),
    /// Not saved as complete: the answers (as typed) and what is wrong with them.
    Errors {
        answers: Answers,
        errors: Vec<FieldError>,
    },
}

/// A case as its applicant (or the clerk or agent who entered it) sees it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub id: Uuid,
    pub tracking_number: String,
    pub service_code: String,
    pub service_version: i32,
    pub channel: Channel,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub answers: Answers,
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
    pub entered_by: Uuid,
    pub department_id: Uuid,
}

/// One line of "my applications".
#[derive(Debug, Clone)]
pub struct CaseLine {
    pub id: Uuid,
    pub tracking_number: String,
    pub service_code: String,
    pub status: String,
    pub channel: Channel,
    pub submitted_at: DateTime<Utc>,
}

/// One draft in "my applications".
#[derive(Debug, Clone)]
pub struct DraftLine {
    pub id: Uuid,
    pub service_code: String,
    pub updated_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub channel: Channel,
}

/// For whom the caller applies, resolved from the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnBehalf {
    pub applicant_id: Uuid,
    pub enterprise_id: Option<Uuid>,
}

/// The use cases of online applications.
#[derive(Clone)]
pub struct Applications {
    db: Connection,
    cipher: Arc<dyn FieldCipher>,
    index: BlindIndex,
    writer: SubmissionWriter,
    divisions: Arc<dyn DivisionLookup>,
    handling: crate::workflow::CaseHandling,
    pub settings: ApplicationSettings,
}

/// What the platform knows of a person from their account (name, resident ID number when that
/// is their document, mobile, e-mail): what forms prefill and certificates are filled from. An
/// unknown account knows nothing; a value that does not decrypt is left out.
pub(crate) async fn account_facts<C: tongban_store::sea_orm::ConnectionTrait>(
    db: &C,
    cipher: &dyn FieldCipher,
    account_id: Uuid,
) -> Result<Profile, StoreError> {
    let mut profile = Profile::default();
    let Some(account) = tongban_store::identity::account_by_id(db, account_id).await? else {
        return Ok(profile);
    };
    let reveal = |field: &str, sealed: &Option<String>| {
        sealed.as_ref().and_then(|s| cipher.decrypt(field, s).ok())
    };
    profile.name = Some(account.display_name.clone());
    if account
        .id_doc_kind
        .as_deref()
        .is_none_or(|k| k == "resident-id")
    {
        profile.resident_id = reveal(crate::identity::ID_DOC_FIELD, &account.id_doc_ciphertext);
    }
    profile.mobile = reveal(crate::identity::PHONE_FIELD, &account.phone_ciphertext);
    profile.email = account.email.clone();
    Ok(profile)
}

impl Applications {
    pub fn new(
        db: Connection,
        cipher: Arc<dyn FieldCipher>,
        index: BlindIndex,
        writer: SubmissionWriter,
        divisions: Arc<dyn DivisionLookup>,
        settings: ApplicationSettings,
    ) -> Applications {
        let handling = crate::workflow::CaseHandling::new(
            db.clone(),
            cipher.clone(),
            settings.calendars.clone(),
            settings.handling.clone(),
            Arc::new(crate::certificates::Certificates::new(
                db.clone(),
                cipher.clone(),
                settings.certificates.clone(),
            )),
        );
        Applications {
            db,
            cipher,
            index,
            writer,
            divisions,
            handling,
            settings,
        }
    }

    /// Case handling on the same database and cipher.
    pub fn handling(&self) -> &crate::workflow::CaseHandling {
        &self.handling
    }

    pub fn db(&self) -> &Connection {
        &self.db
    }

    /// The validation context for `now` in the catalogue's region.
    pub fn context(&self, catalog: &PortalCatalog, now: DateTime<Utc>) -> CheckContext<'_> {
        CheckContext {
            today: local_date(catalog, now),
            divisions: self.divisions.as_ref(),
        }
    }

    fn seal(&self, field: &str, answers: &Answers) -> Result<String, ApplyError> {
        let json = serde_json::to_string(answers).map_err(|e| ApplyError::Crypto(e.to_string()))?;
        self.cipher
            .encrypt(field, &json)
            .map_err(|e| ApplyError::Crypto(e.to_string()))
    }

    fn open(&self, field: &str, sealed: &str) -> Result<Answers, ApplyError> {
        let json = self
            .cipher
            .decrypt(field, sealed)
            .map_err(|e| ApplyError::Crypto(e.to_string()))?;
        serde_json::from_str(&json).map_err(|e| ApplyError::Crypto(e.to_string()))
    }

    /// Whom a person's session applies for: themselves, or the principal they act for when the
    /// mandate allows applying.
    pub fn on_behalf(user: &CurrentUser) -> Result<OnBehalf, ApplyError> {
        if user.kind != AccountKind::Person {
            return Err(ApplyError::NotAllowed);
        }
        match &user.acting_for {
            None => Ok(OnBehalf {
                applicant_id: user.account_id,
                enterprise_id: None,
            }),
            Some(acting) if !acting.allows(Scope::Apply) => Err(ApplyError::NotAllowed),
            Some(acting) => Ok(match acting.kind {
                PrincipalKind::Person => OnBehalf {
                    applicant_id: acting.id,
                    enterprise_id: None,
                },
                // An enterprise's applications are filed by the person acting for it, who stays
                // the applicant of record beside the enterprise.
                PrincipalKind::Enterprise => OnBehalf {
                    applicant_id: user.account_id,
                    enterprise_id: Some(acting.id),
                },
            }),
        }
    }

    /// Whether `user` is a front-desk clerk of `department_id` in the region.
    pub fn is_clerk_of(user: &CurrentUser, region_id: Uuid, department_id: Uuid) -> bool {
        user.kind == AccountKind::Staff
            && user.roles.iter().any(|g| {
                g.role == Role::FrontDeskClerk
                    && g.region_id == region_id
                    && g.department_id == Some(department_id)
            })
    }

    /// What the platform knows of the applicant, for prefilling.
    async fn profile_of(&self, user: &CurrentUser, on: OnBehalf) -> Result<Profile, ApplyError> {
        let mut profile = account_facts(&self.db, self.cipher.as_ref(), on.applicant_id).await?;
        if let Some(acting) = user
            .acting_for
            .as_ref()
            .filter(|a| a.kind == PrincipalKind::Enterprise)
        {
            profile.enterprise_name = Some(acting.name.clone());
            profile.credit_code = acting.credit_code.clone();
        }
        Ok(profile)
    }

    /// Starts an application for `service_code`: online for the caller (or whom they act for),
    /// or, for a front-desk clerk, at the counter for the walk-in applicant with
    /// `counter_applicant` (a resident ID number). Returns the new draft.
    pub async fn start(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        service_code: &str,
        counter_applicant: Option<&str>,
        origin: &Origin,
    ) -> Result<Draft, ApplyError> {
        let published = catalog.service(service_code).ok_or(ApplyError::NotFound)?;
        let form = published
            .service
            .form
            .as_ref()
            .ok_or(ApplyError::NoOnlineForm)?;
        let now = clock.now();
        let (on, channel, on_behalf) = match counter_applicant {
            None => {
                let on = Self::on_behalf(user)?;
                (on, Channel::Online, user.acting_for.as_ref().map(|a| a.id))
            }
            Some(id_number) => {
                let department_id = catalog
                    .department_id(&published.service.department)
                    .ok_or(ApplyError::NotFound)?;
                if !Self::is_clerk_of(user, catalog.region_id, department_id) {
                    return Err(ApplyError::NotAllowed);
                }
                let id =
                    ResidentId::parse(id_number).map_err(|_| ApplyError::ApplicantIdInvalid)?;
                let key = tongban_store::identity::LoginKey::IdDocIndex(
                    self.index
                        .of(crate::identity::RESIDENT_ID_INDEX, id.as_str()),
                );
                let account = tongban_store::identity::find_by_login(&self.db, &key)
                    .await?
                    .filter(|a| a.kind == "person" && a.status != "closed")
                    .ok_or(ApplyError::ApplicantUnknown)?;
                (
                    OnBehalf {
                        applicant_id: account.id,
                        enterprise_id: None,
                    },
                    Channel::Counter,
                    Some(account.id),
                )
            }
        };
        let profile = self.profile_of(user, on).await?;
        let answers = prefill(form, &Answers::new(), &profile);
        let first_page = form
            .pages
            .first()
            .map(|p| p.key.clone())
            .unwrap_or_default();
        let expires_at = now + Duration::days(self.settings.draft_days);
        let new = tongban_store::cases::NewDraft {
            region_id: catalog.region_id,
            service_code: service_code.to_owned(),
            service_version: published.version,
            applicant_id: on.applicant_id,
            enterprise_id: on.enterprise_id,
            entered_by: user.account_id,
            channel,
            answers: self.seal(DRAFT_ANSWERS_FIELD, &answers)?,
            current_page: first_page.clone(),
            now,
            expires_at,
        };
        let row = if channel == Channel::Counter {
            // Entering an application for someone else is a privileged act: audited with it.
            let txn = tongban_store::sea_orm::TransactionTrait::begin(&self.db)
                .await
                .map_err(StoreError::from)?;
            let row = tongban_store::cases::create_draft(&txn, new).await?;
            tongban_store::audit::append(
                &txn,
                &AuditRecord {
                    at: now,
                    region_id: Some(catalog.region_id),
                    actor_id: Some(user.account_id),
                    on_behalf_of: on_behalf,
                    action: "applications.counter-start".to_owned(),
                    target: Some(format!("draft:{}", row.id)),
                    outcome: "success".to_owned(),
                    ip: origin.ip.clone(),
                    detail: serde_json::json!({ "service": service_code }),
                },
            )
            .await?;
            txn.commit().await.map_err(StoreError::from)?;
            row
        } else {
            tongban_store::cases::create_draft(&self.db, new).await?
        };
        let id = row.id;
        Ok(Draft {
            id,
            service_code: service_code.to_owned(),
            service_version: published.version,
            applicant_id: on.applicant_id,
            enterprise_id: on.enterprise_id,
            entered_by: user.account_id,
            channel,
            answers,
            current_page: first_page,
            revision: row.revision,
            updated_at: now,
            expires_at,
        })
    }

    /// The caller's draft: only the person who fills it in (the applicant, their agent, or
    /// the clerk at the counter) sees it.
    pub async fn draft(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        region_id: Uuid,
        id: Uuid,
    ) -> Result<Draft, ApplyError> {
        let row = tongban_store::cases::draft(&self.db, region_id, id)
            .await?
            .filter(|d| d.entered_by == user.account_id && d.expires_at > clock.now())
            .ok_or(ApplyError::NotFound)?;
        if row.channel != Channel::Counter.as_str()
            && Self::on_behalf(user).ok()
                != Some(OnBehalf {
                    applicant_id: row.applicant_id,
                    enterprise_id: row.enterprise_id,
                })
        {
            // Drafts made while acting for someone are reached only while acting for them.
            return Err(ApplyError::NotFound);
        }
        Ok(Draft {
            id: row.id,
            service_code: row.service_code.clone(),
            service_version: row.service_version,
            applicant_id: row.applicant_id,
            enterprise_id: row.enterprise_id,
            entered_by: row.entered_by,
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Online),
            answers: self.open(DRAFT_ANSWERS_FIELD, &row.answers)?,
            current_page: row.current_page.clone(),
            revision: row.revision,
            updated_at: row.updated_at,
            expires_at: row.expires_at,
        })
    }

    /// The form a draft is answered on: the version it was started on, which stays readable
    /// after a newer version is published.
    pub async fn form_of(
        &self,
        catalog: &PortalCatalog,
        service_code: &str,
        version: i32,
    ) -> Result<FormDefinition, ApplyError> {
        let published = catalog.service(service_code).ok_or(ApplyError::NotFound)?;
        if published.version == version {
            return published
                .service
                .form
                .clone()
                .ok_or(ApplyError::NoOnlineForm);
        }
        let row = tongban_store::catalog_versions::published_version(
            &self.db,
            catalog.region_id,
            published.id,
            version,
        )
        .await?
        .ok_or(ApplyError::NotFound)?;
        row.content.form.ok_or(ApplyError::NoOnlineForm)
    }

    /// The caller's draft with the form it is answered on.
    pub async fn draft_with_form(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        id: Uuid,
    ) -> Result<(Draft, FormDefinition), ApplyError> {
        let draft = self.draft(clock, user, catalog.region_id, id).await?;
        let form = self
            .form_of(catalog, &draft.service_code, draft.service_version)
            .await?;
        Ok((draft, form))
    }

    /// Saves one page of a draft. Valid answers move the draft on; invalid ones are kept as
    /// typed (so the page shows them back) and reported.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_page(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        draft: &Draft,
        form: &FormDefinition,
        page_key: &str,
        raw: &RawInput,
        uploads: &BTreeMap<String, Vec<FileRef>>,
    ) -> Result<PageSaved, ApplyError> {
        let page = form.page(page_key).ok_or(ApplyError::NotFound)?;
        let now = clock.now();
        let ctx = self.context(catalog, now);
        let mut outcome = parse_page(form, page, raw, &draft.answers, uploads, &ctx);
        if outcome.errors.is_empty() {
            // Only this page's certificates: a certificate of an earlier page revoked
            // meanwhile is reported at submission, on its own page.
            let mut on_page = Answers::new();
            for field in &page.fields {
                if let Some(answer) = outcome.answers.get(&field.key) {
                    on_page.insert(field.key.clone(), answer.clone());
                }
            }
            outcome.errors = self
                .handling
                .certificates()
                .check_shared(catalog, form, &on_page, draft.applicant_id, now)
                .await
                .map_err(certificate_failure)?;
        }
        let (result, current) = if outcome.errors.is_empty() {
            let step = next_step(form, page_key, &outcome.answers);
            let current = match &step {
                Step::Page(key) => key.clone(),
                Step::Exit(key) => key.clone(),
                Step::CheckAnswers => tongban_domain::forms::CHECK_ANSWERS.to_owned(),
            };
            (PageSaved::Next(step), current)
        } else {
            (
                PageSaved::Errors {
                    answers: outcome.answers.clone(),
                    errors: outcome.errors,
                },
                page_key.to_owned(),
            )
        };
        // Even a page with errors is saved, so nothing typed is lost if the person leaves.
        let saved = tongban_store::cases::save_draft(
            &self.db,
            catalog.region_id,
            draft.id,
            draft.revision,
            tongban_store::cases::DraftSave {
                answers: self.seal(DRAFT_ANSWERS_FIELD, &outcome.answers)?,
                current_page: current,
                now,
                expires_at: now + Duration::days(self.settings.draft_days),
            },
        )
        .await?;
        if !saved {
            return Err(ApplyError::Conflict);
        }
        Ok(result)
    }

    /// Replaces a draft's answers as a whole (the JSON API saves as the client goes). They are
    /// kept whatever their state; the second value says what would still stop a submission.
    pub async fn replace_answers(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        draft: &Draft,
        form: &FormDefinition,
        answers: Answers,
    ) -> Result<(Draft, Option<SubmissionProblem>), ApplyError> {
        let now = clock.now();
        let problem = check_submission(form, &answers, &self.context(catalog, now)).err();
        let mut saved = draft.clone();
        saved.answers = answers;
        saved.current_page = match Self::resume_step(form, &saved) {
            Step::Page(key) | Step::Exit(key) => key,
            Step::CheckAnswers => tongban_domain::forms::CHECK_ANSWERS.to_owned(),
        };
        saved.updated_at = now;
        saved.expires_at = now + Duration::days(self.settings.draft_days);
        let stored = tongban_store::cases::save_draft(
            &self.db,
            catalog.region_id,
            draft.id,
            draft.revision,
            tongban_store::cases::DraftSave {
                answers: self.seal(DRAFT_ANSWERS_FIELD, &saved.answers)?,
                current_page: saved.current_page.clone(),
                now,
                expires_at: saved.expires_at,
            },
        )
        .await?;
        if !stored {
            return Err(ApplyError::Conflict);
        }
        saved.revision += 1;
        Ok((saved, problem))
    }

    /// Where a resumed draft continues: the first page still missing an answer, else the
    /// check-your-answers page.
    pub fn resume_step(form: &FormDefinition, draft: &Draft) -> Step {
        first_unanswered(form, &draft.answers).unwrap_or_else(|| {
            let (_, end) = tongban_domain::forms::visible_pages(form, &draft.answers);
            end
        })
    }

    /// Discards the caller's draft.
    pub async fn discard(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        region_id: Uuid,
        id: Uuid,
    ) -> Result<(), ApplyError> {
        let draft = self.draft(clock, user, region_id, id).await?;
        tongban_store::cases::delete_draft(&self.db, region_id, draft.id).await?;
        Ok(())
    }

    /// Submits a draft: every answer checked again, the declaration confirmed, then the case
    /// written by the submission writer. Submitting the same draft twice (a double click, a
    /// browser retry) returns the first case.
    pub async fn submit_draft(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        id: Uuid,
        declared: bool,
        origin: &Origin,
    ) -> Result<Receipt, ApplyError> {
        let key = format!("draft:{id}");
        let draft = match self.draft(clock, user, catalog.region_id, id).await {
            Ok(draft) => draft,
            // Already submitted: the draft is gone, the case remains.
            Err(ApplyError::NotFound) => return self.existing_receipt(user, &key, None).await,
            Err(e) => return Err(e),
        };
        if !declared {
            return Err(ApplyError::DeclarationMissing);
        }
        let form = self
            .form_of(catalog, &draft.service_code, draft.service_version)
            .await?;
        let on = OnBehalf {
            applicant_id: draft.applicant_id,
            enterprise_id: draft.enterprise_id,
        };
        let digest = sha256_hex(key.as_bytes());
        self.file(
            clock,
            user,
            catalog,
            (&draft.service_code, draft.service_version, &form),
            on,
            draft.channel,
            &draft.answers,
            (key, digest),
            Some(draft.id),
            origin,
        )
        .await
    }

    /// Submits a whole application in one request (the JSON API). `idempotency_key` makes a
    /// retry return the first case; the same key with different content is refused.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_direct(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        service_code: &str,
        answers: &Answers,
        declared: bool,
        idempotency_key: Option<&str>,
        origin: &Origin,
    ) -> Result<Receipt, ApplyError> {
        let on = Self::on_behalf(user)?;
        let published = catalog.service(service_code).ok_or(ApplyError::NotFound)?;
        let form = published
            .service
            .form
            .as_ref()
            .ok_or(ApplyError::NoOnlineForm)?;
        let canonical = serde_json::json!({
            "service": service_code,
            "answers": answers,
            "declaration": declared,
            "for": on.enterprise_id.unwrap_or(on.applicant_id),
        })
        .to_string();
        let digest = sha256_hex(canonical.as_bytes());
        let key = match idempotency_key {
            Some(k) => format!("api:{}:{k}", user.account_id),
            None => format!("api:{}:{}", user.account_id, Uuid::now_v7()),
        };
        if idempotency_key.is_some()
            && let Ok(receipt) = self.existing_receipt(user, &key, Some(&digest)).await
        {
            return Ok(receipt);
        }
        if !declared {
            return Err(ApplyError::DeclarationMissing);
        }
        self.file(
            clock,
            user,
            catalog,
            (service_code, published.version, form),
            on,
            Channel::Api,
            answers,
            (key, digest),
            None,
            origin,
        )
        .await
    }

    /// The receipt of the case already filed under `key` by this caller.
    async fn existing_receipt(
        &self,
        user: &CurrentUser,
        key: &str,
        digest: Option<&str>,
    ) -> Result<Receipt, ApplyError> {
        let row = tongban_store::cases::case_by_submission_key(&self.db, key)
            .await?
            .filter(|c| c.entered_by == user.account_id)
            .ok_or(ApplyError::NotFound)?;
        if digest.is_some_and(|d| d != row.request_digest) {
            return Err(ApplyError::KeyReused);
        }
        Ok(Receipt {
            case_id: row.id,
            tracking_number: TrackingNumber::parse(&row.tracking_number)
                .map_err(|e| ApplyError::Crypto(format!("stored tracking number: {e}")))?,
            submitted_at: row.submitted_at,
            duplicate: true,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn file(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        (service_code, version, form): (&str, i32, &FormDefinition),
        on: OnBehalf,
        channel: Channel,
        answers: &Answers,
        (key, digest): (String, String),
        draft_id: Option<Uuid>,
        origin: &Origin,
    ) -> Result<Receipt, ApplyError> {
        let now = clock.now();
        let ctx = self.context(catalog, now);
        let clean = check_submission(form, answers, &ctx).map_err(|problem| match problem {
            SubmissionProblem::NotEligible { exit } => ApplyError::NotEligible { exit },
            SubmissionProblem::Invalid(errors) => ApplyError::Invalid(errors),
        })?;
        self.check_files(catalog.region_id, user, draft_id, form, &clean)
            .await?;
        if let Some(draft) = draft_id {
            self.drop_unused_uploads(catalog.region_id, draft, &clean)
                .await?;
        }
        let published = catalog.service(service_code).ok_or(ApplyError::NotFound)?;
        let department_id = catalog
            .department_id(&published.service.department)
            .ok_or(ApplyError::NotFound)?;
        let phone_last4 = self.phone_last4(on.applicant_id).await;
        let locale = Locale::ZhCn;
        let purpose = format!("{}（{service_code}）", published.service.name.get(locale));
        let shares = match self
            .handling
            .certificates()
            .prepare_shares(
                clock,
                catalog,
                form,
                &clean,
                on.applicant_id,
                department_id,
                &purpose,
            )
            .await
            .map_err(certificate_failure)?
        {
            Ok(shares) => shares,
            Err(errors) => {
                return Err(ApplyError::Invalid(
                    errors
                        .into_iter()
                        .map(|e| {
                            let page = form
                                .fields()
                                .find(|(_, f)| f.key == e.field)
                                .map(|(p, _)| p.key.clone())
                                .unwrap_or_default();
                            (page, e)
                        })
                        .collect(),
                ));
            }
        };
        let case = NewCase {
            region_id: catalog.region_id,
            tracking_prefix: catalog.region.tracking_prefix.clone(),
            local_date: local_date(catalog, now),
            service_code: service_code.to_owned(),
            service_name: published.service.name.get(locale).to_owned(),
            service_version: version,
            department_id,
            applicant_id: on.applicant_id,
            enterprise_id: on.enterprise_id,
            entered_by: user.account_id,
            channel,
            answers: self.seal(CASE_ANSWERS_FIELD, &clean)?,
            submission_key: key,
            request_digest: digest,
            submitted_at: now,
            applicant_phone_last4: phone_last4,
            draft_id,
            workflow: self
                .handling
                .starting_state(catalog, &published.service, now)
                .map_err(|e| ApplyError::Crypto(format!("starting the workflow: {e}")))?,
            locale: locale.tag().to_owned(),
            ip: origin.ip.clone(),
            shares,
        };
        self.writer.submit(case).await.map_err(|error| match error {
            SubmitError::KeyReused => ApplyError::KeyReused,
            SubmitError::Unavailable => ApplyError::Unavailable,
            SubmitError::Refused(reason) => {
                tracing::error!(%reason, "no tracking number could be issued");
                ApplyError::Unavailable
            }
        })
    }

    /// Every file the answers name must have been uploaded by the filler with this draft (a
    /// submission without a draft can carry no files): ids cannot be borrowed from someone
    /// else's application. Sizes and kinds are taken from the records, not from the client.
    async fn check_files(
        &self,
        region_id: Uuid,
        user: &CurrentUser,
        draft_id: Option<Uuid>,
        form: &FormDefinition,
        answers: &Answers,
    ) -> Result<(), ApplyError> {
        let refs = tongban_domain::forms::file_refs(answers);
        if refs.is_empty() {
            return Ok(());
        }
        let uploaded = match draft_id {
            Some(draft) => tongban_store::uploads::of_draft(&self.db, region_id, draft).await?,
            None => Vec::new(),
        };
        let mut errors = Vec::new();
        for (path, file) in refs {
            let known = uploaded.iter().any(|u| {
                u.id.to_string() == file.id
                    && u.owner_id == user.account_id
                    && u.case_id.is_none()
                    && u.kind == file.kind
                    && u.size == file.size
            });
            if !known {
                let field = path.split('.').next().unwrap_or(&path).to_owned();
                let page = form
                    .fields()
                    .find(|(_, f)| f.key == field)
                    .map(|(p, _)| p.key.clone())
                    .unwrap_or_default();
                errors.push((
                    page,
                    FieldError {
                        path,
                        field,
                        error: tongban_domain::forms::AnswerError::UnknownFile,
                    },
                ));
            }
        }
        if !errors.is_empty() {
            return Err(ApplyError::Invalid(errors));
        }
        Ok(())
    }

    /// Files uploaded with a draft but no longer named by its answers (a page the applicant's
    /// later answers skipped) do not travel with the case: the batch attaches every upload
    /// still on the draft.
    async fn drop_unused_uploads(
        &self,
        region_id: Uuid,
        draft_id: Uuid,
        answers: &Answers,
    ) -> Result<(), ApplyError> {
        let named: Vec<String> = tongban_domain::forms::file_refs(answers)
            .into_iter()
            .map(|(_, f)| f.id.clone())
            .collect();
        for upload in tongban_store::uploads::of_draft(&self.db, region_id, draft_id).await? {
            if !named.contains(&upload.id.to_string()) {
                tongban_store::uploads::delete_unattached(&self.db, region_id, upload.id).await?;
            }
        }
        Ok(())
    }

    async fn phone_last4(&self, account_id: Uuid) -> Option<String> {
        let account = tongban_store::identity::account_by_id(&self.db, account_id)
            .await
            .ok()??;
        let phone = self
            .cipher
            .decrypt(
                crate::identity::PHONE_FIELD,
                account.phone_ciphertext.as_ref()?,
            )
            .ok()?;
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        (digits.len() >= 4).then(|| digits[digits.len() - 4..].to_owned())
    }

    /// The caller's drafts and cases: their own, or, while acting for someone, that
    /// principal's.
    pub async fn mine(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        region_id: Uuid,
    ) -> Result<(Vec<DraftLine>, Vec<CaseLine>), ApplyError> {
        let on = Self::on_behalf(user)?;
        let now = clock.now();
        let drafts = tongban_store::cases::drafts_of(&self.db, region_id, on.applicant_id)
            .await?
            .into_iter()
            .filter(|d| {
                d.entered_by == user.account_id
                    && d.enterprise_id == on.enterprise_id
                    && d.expires_at > now
                    && d.channel != Channel::Counter.as_str()
            })
            .map(|d| DraftLine {
                id: d.id,
                service_code: d.service_code,
                updated_at: d.updated_at,
                expires_at: d.expires_at,
                channel: Channel::parse(&d.channel).unwrap_or(Channel::Online),
            })
            .collect();
        let cases = match on.enterprise_id {
            Some(enterprise) => {
                tongban_store::cases::cases_of_enterprise(&self.db, region_id, enterprise, 200)
                    .await?
            }
            None => tongban_store::cases::cases_of(&self.db, region_id, on.applicant_id, 200)
                .await?
                .into_iter()
                .filter(|c| c.enterprise_id.is_none())
                .collect(),
        };
        let cases = cases
            .into_iter()
            .map(|c| CaseLine {
                id: c.id,
                tracking_number: c.tracking_number,
                service_code: c.service_code,
                status: c.status,
                channel: Channel::parse(&c.channel).unwrap_or(Channel::Online),
                submitted_at: c.submitted_at,
            })
            .collect();
        Ok((drafts, cases))
    }

    /// A case, for its applicant, the enterprise's current agent, or whoever entered it.
    pub async fn case(
        &self,
        user: &CurrentUser,
        region_id: Uuid,
        id: Uuid,
    ) -> Result<CaseView, ApplyError> {
        let row = tongban_store::cases::case_by_id(&self.db, region_id, id)
            .await?
            .ok_or(ApplyError::NotFound)?;
        let on = Self::on_behalf(user).ok();
        let viewing = user
            .acting_for
            .as_ref()
            .is_none_or(|a| a.allows(Scope::View));
        let allowed = row.entered_by == user.account_id
            || (viewing
                && on.is_some_and(|on| match row.enterprise_id {
                    Some(enterprise) => on.enterprise_id == Some(enterprise),
                    None => on.enterprise_id.is_none() && on.applicant_id == row.applicant_id,
                }));
        if !allowed {
            return Err(ApplyError::NotFound);
        }
        Ok(CaseView {
            id: row.id,
            tracking_number: row.tracking_number.clone(),
            service_code: row.service_code.clone(),
            service_version: row.service_version,
            channel: Channel::parse(&row.channel).unwrap_or(Channel::Online),
            status: row.status.clone(),
            submitted_at: row.submitted_at,
            answers: self.open(CASE_ANSWERS_FIELD, &row.answers)?,
            applicant_id: row.applicant_id,
            enterprise_id: row.enterprise_id,
            entered_by: row.entered_by,
            department_id: row.department_id,
        })
    }
}

impl Applications {
    /// A case the caller may see, with the form version it was answered on.
    pub async fn case_with_form(
        &self,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        id: Uuid,
    ) -> Result<(CaseView, FormDefinition), ApplyError> {
        let case = self.case(user, catalog.region_id, id).await?;
        let form = self
            .form_of(catalog, &case.service_code, case.service_version)
            .await?;
        Ok((case, form))
    }
}

/// What one sweep of drafts did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub reminded: usize,
    pub deleted: u64,
}

impl Applications {
    /// Reminds applicants of drafts about to expire (once each, in their inbox) and deletes
    /// expired drafts with their uploads' records. Run periodically; safe to run anywhere, any
    /// number of times.
    pub async fn sweep_drafts(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
    ) -> Result<SweepReport, ApplyError> {
        let now = clock.now();
        let mut report = SweepReport::default();
        let window_end = now + Duration::days(self.settings.reminder_days);
        let due = tongban_store::cases::drafts_to_remind(&self.db, window_end, 500).await?;
        for draft in due.into_iter().filter(|d| d.expires_at > now) {
            let service = catalog
                .service(&draft.service_code)
                .map(|s| s.service.name.get(Locale::ZhCn).to_owned())
                .unwrap_or_else(|| draft.service_code.clone());
            let expires = draft
                .expires_at
                .with_timezone(&region_offset(&catalog.region.timezone))
                .format("%Y-%m-%d %H:%M")
                .to_string();
            let txn = tongban_store::sea_orm::TransactionTrait::begin(&self.db)
                .await
                .map_err(StoreError::from)?;
            // Marked first: a reminder is sent at most once, even if two sweeps race.
            if tongban_store::cases::mark_reminded(&txn, draft.id, now).await? {
                tongban_store::notifications::enqueue(
                    &txn,
                    tongban_store::notifications::NewNotification {
                        account_id: Some(draft.entered_by),
                        channel: "inbox",
                        template: "draft-expiring".to_owned(),
                        locale: Locale::ZhCn.tag().to_owned(),
                        params: serde_json::json!({
                            "service": service,
                            "expires": expires,
                            "draft_id": draft.id,
                        }),
                        recipient_ciphertext: None,
                    },
                    now,
                )
                .await?;
                report.reminded += 1;
            }
            txn.commit().await.map_err(StoreError::from)?;
        }
        // An expired draft's uploads go with it (their files follow at the next clean-up).
        for draft in tongban_store::cases::expired_drafts(&self.db, now, 500).await? {
            for upload in
                tongban_store::uploads::of_draft(&self.db, draft.region_id, draft.id).await?
            {
                tongban_store::uploads::delete_unattached(&self.db, draft.region_id, upload.id)
                    .await?;
            }
        }
        report.deleted = tongban_store::cases::delete_expired(&self.db, now).await?;
        Ok(report)
    }
}

/// Today in the catalogue's region.
pub fn local_date(catalog: &PortalCatalog, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&region_offset(&catalog.region.timezone))
        .date_naive()
}
