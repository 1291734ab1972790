//! Case handling (办件): the staff workbench's use cases — inbox, case page, actions one by one
//! or in batches, claiming, notes — the applicant's own actions (corrections, withdrawal), the
//! public progress lookup, and the periodic deadline scan.
//!
//! Every action runs the domain's workflow engine on the case's stored state, then writes in
//! one transaction: the case (a conditional UPDATE on its version, so that of two people acting
//! at once only one succeeds), its tasks, its timeline, the notices the law requires, the
//! applicant's notifications and the audit entries. A batch is one transaction with one result
//! per case: a case whose state changed meanwhile is reported, never silently skipped.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use tongban_domain::Locale;
use tongban_domain::access::Role;
use tongban_domain::calendar::{
    CalendarSet, OfficeHours, Pause, WorkingCalendar, deadline, receipt_day, remaining_working_days,
};
use tongban_domain::catalog::Service;
use tongban_domain::clock::Clock;
use tongban_domain::forms::{Answer, Answers};
use tongban_domain::workflow::{
    APPLICANT, ActionKind, Actor, CaseState, Command, Event, Outcome, PauseRecord, Requirement,
    State, Target, WorkflowDefinition, WorkflowError, apply, available_actions, start,
};
use tongban_store::Connection;
use tongban_store::audit::AuditRecord;
use tongban_store::cases::{
    CaseRow, CaseTaskRow, NewTask, STATUS_CLOSED, STATUS_OPEN, STATUS_SUSPENDED, STATUS_WAITING,
    StartingState, TASK_OPEN,
};
use tongban_store::notifications::NewNotification;
use tongban_store::workflow::{CaseUpdate, InboxQuery, NewEvent};
use uuid::Uuid;

use crate::StoreError;
use crate::catalog::PortalCatalog;
use crate::catalog_admin::region_offset;
use crate::crypto::FieldCipher;
use crate::identity::{CurrentUser, Origin};

/// Tunable rules of case handling.
#[derive(Debug, Clone)]
pub struct HandlingSettings {
    /// When the office stops taking applications for the day.
    pub office_hours: OfficeHours,
    /// Working days before a deadline that a case counts as approaching.
    pub approaching_days: i64,
    /// Wrong answers to the public progress lookup before a number is locked.
    pub lookup_max_failures: i32,
    /// How long a locked number stays locked.
    pub lookup_lock_minutes: i64,
    /// The most cases one batch action may name.
    pub batch_limit: usize,
    /// The largest file staff may attach to an action, in kilobytes.
    pub attachment_max_kb: u32,
}

impl Default for HandlingSettings {
    fn default() -> Self {
        HandlingSettings {
            office_hours: OfficeHours::default(),
            approaching_days: 2,
            lookup_max_failures: 5,
            lookup_lock_minutes: 30,
            batch_limit: 2000,
            attachment_max_kb: 20 * 1024,
        }
    }
}

/// Why a handling request was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum HandlingError {
    /// Not found, or not visible to the caller: the same answer, so ids cannot be probed.
    #[error("not found")]
    NotFound,
    #[error("the caller may not handle cases")]
    NotAllowed,
    #[error("too many cases in one batch (at most {0})")]
    TooMany(usize),
    #[error("stored workflow state cannot be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<tongban_store::sea_orm::DbErr> for HandlingError {
    fn from(e: tongban_store::sea_orm::DbErr) -> Self {
        HandlingError::Store(StoreError::from(e))
    }
}

/// Why one case's action was refused (the rest of a batch goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActRefusal {
    #[error("not found")]
    NotFound,
    #[error("the case changed since it was shown; reload it")]
    Conflict,
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The decision would grant a certificate the case cannot fill (a required field without a
    /// value): nothing is written, so no case is granted without its certificate.
    #[error("the certificate cannot be issued: {0}")]
    Certificate(String),
}

/// A sealed notice as its public verification page shows it.
#[derive(Debug, Clone)]
pub struct NoticeCheck {
    /// The stored snapshot (personal data: the page masks the applicant's name).
    pub notice: tongban_domain::notices::Notice,
    /// The seal as stored, for verifiers who want to check it themselves.
    pub seal: String,
    /// The seal verified with the issuing department's keys and against the stored text.
    pub verdict: Result<
        tongban_domain::notices::seal::VerifiedSeal,
        tongban_domain::notices::seal::SealError,
    >,
}

/// One action to take.
#[derive(Debug, Clone, Default)]
pub struct ActRequest {
    pub action: String,
    pub comment: Option<String>,
    pub extension_days: Option<u16>,
    /// Files attached to the action, already received into the blob store (see
    /// [`crate::uploads::receive`]); each case acted on records them as its uploads.
    pub attachments: Vec<ActionAttachment>,
}

/// A file attached to an action: its checked, stored bytes and the name to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionAttachment {
    pub blob: crate::uploads::StoredBlob,
    /// Sanitised, with the extension of the detected kind ([`crate::uploads::stored_filename`]).
    pub filename: String,
}

impl ActionAttachment {
    /// The attachment of a received blob, under the name the client gave.
    pub fn new(blob: crate::uploads::StoredBlob, client_filename: &str) -> ActionAttachment {
        let filename = crate::uploads::stored_filename(client_filename, blob.kind);
        ActionAttachment { blob, filename }
    }
}

/// The most files one action may carry.
pub const MAX_ACTION_ATTACHMENTS: usize = 10;

/// What an action's attachment may be: the fixed-layout and image kinds staff papers come in.
pub fn action_attachment_limits(settings: &HandlingSettings) -> crate::uploads::UploadLimits {
    crate::uploads::UploadLimits {
        max_size_kb: settings.attachment_max_kb,
        accept: tongban_domain::forms::FileKind::ALL.to_vec(),
    }
}

/// A case named in an action: its id and, when the page showed it, the version it showed.
#[derive(Debug, Clone, Copy)]
pub struct CaseRef {
    pub id: Uuid,
    pub version: Option<i32>,
}

/// What an action did to one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acted {
    pub case_id: Uuid,
    pub tracking_number: String,
    pub service_code: String,
    pub from: String,
    pub to: String,
    /// The name of the state the case is in now, in its own workflow version.
    pub to_name: tongban_domain::LocalizedText,
    pub version: i32,
    pub outcome: Option<Outcome>,
    /// The notices issued, by kind key.
    pub notices: Vec<String>,
    /// The certificates the decision issued.
    pub certificates: Vec<Uuid>,
}

/// One line of a batch's report.
#[derive(Debug, Clone)]
pub struct BatchLine {
    pub case_id: Uuid,
    pub tracking_number: Option<String>,
    pub result: Result<Acted, ActRefusal>,
}

/// Inbox filters and order, as the workbench asks.
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub service_code: Option<String>,
    pub stage: Option<String>,
    pub applicant_kind: Option<String>,
    pub overdue: bool,
    pub mine: bool,
    pub newest_first: bool,
    pub page: u64,
}

/// Rows per inbox page.
pub const INBOX_PAGE: u64 = 50;

/// One task in an inbox.
#[derive(Debug, Clone)]
pub struct InboxLine {
    pub task_id: Uuid,
    pub case_id: Uuid,
    pub tracking_number: String,
    pub service_code: String,
    pub state: String,
    pub role: String,
    pub department_id: Uuid,
    pub applicant_kind: String,
    pub submitted_at: DateTime<Utc>,
    pub due_on: Option<NaiveDate>,
    /// Working days left (negative: overdue); `None` while the clock has not started.
    pub remaining_days: Option<i64>,
    pub assignee_id: Option<Uuid>,
    /// The assignee's name, when someone claimed the task.
    pub assignee_name: Option<String>,
    /// The state's name in the workflow of the version the case was filed under.
    pub state_name: tongban_domain::LocalizedText,
    pub status: String,
    pub version: i32,
}

#[derive(Debug, Clone)]
pub struct Inbox {
    pub lines: Vec<InboxLine>,
    /// Tasks in all, counted up to `tongban_store::workflow::INBOX_COUNT_CAP`.
    pub total: u64,
    /// False when there are more than `total`.
    pub total_exact: bool,
    pub page: u64,
}

/// A case as staff see it on the case page.
#[derive(Debug, Clone)]
pub struct StaffCase {
    pub case: CaseRow,
    pub service: Service,
    pub definition: WorkflowDefinition,
    pub state: CaseState,
    pub answers: Answers,
    pub tasks: Vec<CaseTaskRow>,
    pub events: Vec<tongban_store::workflow::EventRow>,
    pub documents: Vec<tongban_store::workflow::DocumentRow>,
    /// Actions the caller may take now.
    pub actions: Vec<tongban_domain::workflow::Available>,
    /// Open tasks the caller could claim or release.
    pub claimable: Vec<Uuid>,
    pub remaining_days: Option<i64>,
    /// Names of the accounts in the timeline and on the tasks.
    pub names: HashMap<Uuid, String>,
}

/// What anyone with the tracking number and the phone's last four digits sees.
#[derive(Debug, Clone)]
pub struct PublicProgress {
    pub tracking_number: String,
    pub service_code: String,
    pub service_name: tongban_domain::LocalizedText,
    pub submitted_at: DateTime<Utc>,
    pub state_name: tongban_domain::LocalizedText,
    pub stages: Vec<(
        tongban_domain::workflow::Stage,
        tongban_domain::workflow::StepStatus,
    )>,
    pub status: String,
    pub outcome: Option<Outcome>,
    pub due_on: Option<NaiveDate>,
    /// Applicant-visible timeline entries: (when, action key, to state).
    pub steps: Vec<(DateTime<Utc>, String, Option<String>)>,
}

/// Why a public lookup found nothing. Unknown numbers and wrong digits are one answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("no such case")]
    NotFound,
    #[error("too many wrong attempts; try again later")]
    Locked,
}

/// The case handling use cases.
#[derive(Clone)]
pub struct CaseHandling {
    db: Connection,
    cipher: Arc<dyn FieldCipher>,
    calendars: Arc<CalendarSet>,
    pub settings: HandlingSettings,
    /// Issues the certificates decisions grant.
    certificates: Arc<crate::certificates::Certificates>,
}

/// Who acts, resolved against the region: the engine's actor and what the person may see.
struct Staff {
    actor: Actor,
    departments: HashSet<Uuid>,
    supervisor: bool,
}

impl CaseHandling {
    pub fn new(
        db: Connection,
        cipher: Arc<dyn FieldCipher>,
        calendars: Arc<CalendarSet>,
        settings: HandlingSettings,
        certificates: Arc<crate::certificates::Certificates>,
    ) -> CaseHandling {
        CaseHandling {
            db,
            cipher,
            calendars,
            settings,
            certificates,
        }
    }

    /// The certificates service decisions issue through (shared with the web layer).
    pub fn certificates(&self) -> &Arc<crate::certificates::Certificates> {
        &self.certificates
    }

    /// The working-day calendar of the catalogue's region (national plus its overlays).
    pub fn calendar(&self, catalog: &PortalCatalog) -> WorkingCalendar {
        self.calendars.for_division(&catalog.region.code)
    }

    /// Where a new case of `service` starts, received at `now`: the workflow's first state with
    /// its tasks, the day it counts as received, and that state's own deadline.
    pub fn starting_state(
        &self,
        catalog: &PortalCatalog,
        service: &Service,
        now: DateTime<Utc>,
    ) -> Result<StartingState, HandlingError> {
        let def = service.workflow_definition();
        let calendar = self.calendar(catalog);
        let local = now.with_timezone(&region_offset(&catalog.region.timezone));
        let received_on = receipt_day(&calendar, local.naive_local(), &self.settings.office_hours);
        let state = start(&def, &service.department, received_on);
        let stage_due_on = stage_due(&calendar, &def, &state);
        let tasks = self.task_rows(catalog, &def, &state, stage_due_on)?;
        Ok(StartingState {
            state: state.state.clone(),
            json: serde_json::to_string(&state)
                .map_err(|e| HandlingError::Corrupt(e.to_string()))?,
            status: status_of(&def, &state).to_owned(),
            stage_due_on,
            tasks,
        })
    }

    fn task_rows(
        &self,
        catalog: &PortalCatalog,
        def: &WorkflowDefinition,
        state: &CaseState,
        due_on: Option<NaiveDate>,
    ) -> Result<Vec<NewTask>, HandlingError> {
        let _ = def;
        state
            .tasks
            .iter()
            .filter(|t| t.decision.is_none())
            .map(|t| {
                Ok(NewTask {
                    department_id: catalog
                        .department_id(&t.department)
                        .ok_or(HandlingError::NotFound)?,
                    stage: state.state.clone(),
                    role: t.role.clone(),
                    due_on,
                })
            })
            .collect()
    }

    fn staff(&self, user: &CurrentUser, catalog: &PortalCatalog) -> Staff {
        let mut grants = Vec::new();
        let mut departments = HashSet::new();
        let mut supervisor = false;
        for grant in user
            .roles
            .iter()
            .filter(|g| g.region_id == catalog.region_id)
        {
            if grant.role == Role::Supervisor {
                supervisor = true;
            }
            if let Some(department) = grant.department_id
                && grant.role.is_departmental()
                && let Some(dept) = catalog.department_by_id(department)
            {
                grants.push((grant.role.key().to_owned(), dept.code.clone()));
                departments.insert(department);
            }
        }
        Staff {
            actor: Actor::staff(grants),
            departments,
            supervisor,
        }
    }

    /// Whether the person may see the case: a role in its department or in a department the
    /// workflow routed it to, or a supervisor of the region.
    fn may_see(staff: &Staff, case: &CaseRow, tasks: &[CaseTaskRow]) -> bool {
        staff.supervisor
            || staff.departments.contains(&case.department_id)
            || tasks
                .iter()
                .any(|t| t.case_id == case.id && staff.departments.contains(&t.department_id))
    }

    /// The workflow and service of the version a case was filed under.
    async fn version_of(
        &self,
        catalog: &PortalCatalog,
        cache: &mut VersionCache,
        code: &str,
        version: i32,
    ) -> Result<(Arc<WorkflowDefinition>, Arc<Service>), HandlingError> {
        if let Some(found) = cache.get(&(code.to_owned(), version)) {
            return Ok(found.clone());
        }
        let published = catalog.service(code).ok_or(HandlingError::NotFound)?;
        let service = if published.version == version {
            published.service.clone()
        } else {
            tongban_store::catalog_versions::published_version(
                &self.db,
                catalog.region_id,
                published.id,
                version,
            )
            .await?
            .ok_or(HandlingError::NotFound)?
            .content
        };
        let def = Arc::new(service.workflow_definition().into_owned());
        let entry = (def, Arc::new(service));
        cache.insert((code.to_owned(), version), entry.clone());
        Ok(entry)
    }

    fn parse_state(
        row: &CaseRow,
        def: &WorkflowDefinition,
        service: &Service,
        catalog: &PortalCatalog,
    ) -> Result<CaseState, HandlingError> {
        match &row.workflow_state {
            Some(json) => {
                serde_json::from_str(json).map_err(|e| HandlingError::Corrupt(e.to_string()))
            }
            // Filed before workflows existed: it starts now at the first state.
            None => Ok(start(
                def,
                &service.department,
                row.submitted_at
                    .with_timezone(&region_offset(&catalog.region.timezone))
                    .date_naive(),
            )),
        }
    }

    fn answers(&self, row: &CaseRow) -> Result<Answers, HandlingError> {
        let json = self
            .cipher
            .decrypt(crate::applications::CASE_ANSWERS_FIELD, &row.answers)
            .map_err(|e| HandlingError::Corrupt(e.to_string()))?;
        serde_json::from_str(&json).map_err(|e| HandlingError::Corrupt(e.to_string()))
    }

    /// The certificate an approval of `row` grants under its service's `issues`, filled from
    /// the case; `Ok(None)` when the service issues none. Applicants' facts are read once per
    /// batch (`profiles`).
    async fn certificate_for<C: tongban_store::sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        catalog: &PortalCatalog,
        service: &Service,
        row: &CaseRow,
        now: DateTime<Utc>,
        profiles: &mut HashMap<(Uuid, Option<Uuid>), tongban_domain::forms::Profile>,
    ) -> Result<
        Result<Option<crate::certificates::NewCertificate>, crate::certificates::IssuanceProblem>,
        HandlingError,
    > {
        use crate::certificates::IssuanceProblem;
        let Some(issuance) = &service.issues else {
            return Ok(Ok(None));
        };
        let Some(certificate_type) = catalog.certificate_type(&issuance.certificate) else {
            return Ok(Err(IssuanceProblem::UnknownType(
                issuance.certificate.clone(),
            )));
        };
        let department_id = catalog
            .department_id(&certificate_type.department)
            .ok_or(HandlingError::NotFound)?;
        let department_name = catalog
            .department(&certificate_type.department)
            .map(|d| d.name.get(Locale::ZhCn).to_owned())
            .unwrap_or_default();
        let key = (row.applicant_id, row.enterprise_id);
        let applicant = match profiles.get(&key) {
            Some(known) => known.clone(),
            None => {
                let profile = self
                    .applicant_profile(db, row.applicant_id, row.enterprise_id)
                    .await?;
                profiles.insert(key, profile.clone());
                profile
            }
        };
        let answers = self.answers(row)?;
        let offset = region_offset(&catalog.region.timezone);
        let today = now.with_timezone(&offset).date_naive();
        let region_name = catalog.region.name.get(Locale::ZhCn).to_owned();
        let division_name = |code: &str| -> Option<String> {
            match catalog.region.districts.iter().find(|d| d.code == code) {
                Some(district) => Some(format!("{region_name}{}", district.name.get(Locale::ZhCn))),
                None => tongban_domain::divisions::Divisions::national().full_name(code),
            }
        };
        let facts = crate::certificates::CaseFacts {
            answers: &answers,
            applicant: &applicant,
            tracking_number: &row.tracking_number,
            decided_on: today,
            submitted_on: row.submitted_at.with_timezone(&offset).date_naive(),
            department_name: &department_name,
            division_name: &division_name,
        };
        let (plain, disclosable) =
            match crate::certificates::claims_for(certificate_type, issuance, &facts) {
                Ok(claims) => claims,
                Err(problem) => return Ok(Err(problem)),
            };
        // Valid through the day before `expires_on`, in the region's time.
        let expires_at = certificate_type
            .validity
            .expires_on(today)
            .and_then(|day| day.and_hms_opt(0, 0, 0))
            .and_then(|midnight| midnight.and_local_timezone(offset).single())
            .map(|at| at.with_timezone(&Utc));
        Ok(Ok(Some(crate::certificates::NewCertificate {
            type_key: certificate_type.key.clone(),
            vct: certificate_type.vct(&self.certificates.settings.public_url, &catalog.region.code),
            department_id,
            holder_account_id: row.applicant_id,
            holder_enterprise_id: row.enterprise_id,
            case_id: Some(row.id),
            valid_from: now,
            expires_at,
            plain,
            disclosable,
            summary: serde_json::json!({
                "name": certificate_type.name.get(Locale::ZhCn),
                "number": row.tracking_number,
                "service": row.service_code,
            }),
        })))
    }

    /// What the platform knows of an applicant (and the enterprise they applied for) to fill a
    /// certificate: the same facts forms prefill.
    async fn applicant_profile<C: tongban_store::sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        applicant_id: Uuid,
        enterprise_id: Option<Uuid>,
    ) -> Result<tongban_domain::forms::Profile, HandlingError> {
        let mut profile =
            crate::applications::account_facts(db, self.cipher.as_ref(), applicant_id).await?;
        if let Some(enterprise_id) = enterprise_id
            && let Some(enterprise) =
                tongban_store::agency::enterprise_by_id(db, enterprise_id).await?
        {
            profile.enterprise_name = Some(enterprise.name);
            profile.credit_code = Some(enterprise.credit_code);
        }
        Ok(profile)
    }

    fn local_today(catalog: &PortalCatalog, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&region_offset(&catalog.region.timezone))
            .date_naive()
    }

    /// The caller's inbox: open tasks for their roles in their departments.
    pub async fn inbox(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        filter: &InboxFilter,
    ) -> Result<Inbox, HandlingError> {
        let mut grants = Vec::new();
        for grant in user
            .roles
            .iter()
            .filter(|g| g.region_id == catalog.region_id && g.role.is_departmental())
        {
            if let Some(department) = grant.department_id {
                grants.push((department, grant.role.key().to_owned()));
            }
        }
        if grants.is_empty() {
            return Err(HandlingError::NotAllowed);
        }
        let today = Self::local_today(catalog, clock.now());
        let query = InboxQuery {
            grants,
            service_code: filter.service_code.clone(),
            stage: filter.stage.clone(),
            applicant_kind: filter.applicant_kind.clone(),
            due_before: filter.overdue.then_some(today),
            assignee: filter.mine.then_some(user.account_id),
            newest_first: filter.newest_first,
            offset: filter.page * INBOX_PAGE,
            limit: INBOX_PAGE,
        };
        let page = tongban_store::workflow::inbox(&self.db, catalog.region_id, &query).await?;
        let calendar = self.calendar(catalog);
        let mut assignees: Vec<Uuid> = page
            .rows
            .iter()
            .filter_map(|(t, _)| t.assignee_id)
            .collect();
        assignees.sort();
        assignees.dedup();
        let names: HashMap<Uuid, String> =
            tongban_store::identity::accounts_by_ids(&self.db, &assignees)
                .await?
                .into_iter()
                .map(|a| (a.id, a.display_name))
                .collect();
        let mut cache = HashMap::new();
        let mut state_names = Vec::with_capacity(page.rows.len());
        for (task, case) in &page.rows {
            let name = match self
                .version_of(
                    catalog,
                    &mut cache,
                    &case.service_code,
                    case.service_version,
                )
                .await
            {
                Ok((def, _)) => state_name(&def, &task.stage),
                Err(_) => tongban_domain::LocalizedText::new(task.stage.clone()),
            };
            state_names.push(name);
        }
        let lines = page
            .rows
            .into_iter()
            .zip(state_names)
            .map(|((task, case), state_name)| InboxLine {
                assignee_name: task.assignee_id.and_then(|id| names.get(&id).cloned()),
                state_name,
                task_id: task.id,
                case_id: case.id,
                tracking_number: case.tracking_number,
                service_code: case.service_code,
                state: task.stage,
                role: task.role,
                department_id: task.department_id,
                applicant_kind: task.applicant_kind,
                submitted_at: case.submitted_at,
                due_on: task.due_on,
                remaining_days: task
                    .due_on
                    .map(|due| remaining_working_days(&calendar, today, due)),
                assignee_id: task.assignee_id,
                status: case.status,
                version: case.version,
            })
            .collect();
        Ok(Inbox {
            lines,
            total: page.total,
            total_exact: page.total_exact,
            page: filter.page,
        })
    }

    /// A case as the caller (staff) sees it, with the actions they may take.
    pub async fn staff_case(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        id: Uuid,
    ) -> Result<StaffCase, HandlingError> {
        let staff = self.staff(user, catalog);
        let row = tongban_store::cases::case_by_id(&self.db, catalog.region_id, id)
            .await?
            .ok_or(HandlingError::NotFound)?;
        let tasks = tongban_store::cases::tasks_of(&self.db, catalog.region_id, id).await?;
        if !Self::may_see(&staff, &row, &tasks) {
            return Err(HandlingError::NotFound);
        }
        let mut cache = HashMap::new();
        let (def, service) = self
            .version_of(catalog, &mut cache, &row.service_code, row.service_version)
            .await?;
        let state = Self::parse_state(&row, &def, &service, catalog)?;
        let actions = available_actions(&def, &service.department, &state, &staff.actor);
        let events =
            tongban_store::workflow::events_of(&self.db, catalog.region_id, id, false).await?;
        let documents =
            tongban_store::workflow::documents_of(&self.db, catalog.region_id, id).await?;
        let mut ids: Vec<Uuid> = events.iter().filter_map(|e| e.actor_id).collect();
        ids.extend(tasks.iter().filter_map(|t| t.assignee_id));
        ids.sort();
        ids.dedup();
        let names = tongban_store::identity::accounts_by_ids(&self.db, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a.display_name))
            .collect();
        let claimable = tasks
            .iter()
            .filter(|t| {
                t.status == TASK_OPEN
                    && staff.departments.contains(&t.department_id)
                    && staff.actor.grants.iter().any(|(role, _)| role == &t.role)
            })
            .map(|t| t.id)
            .collect();
        let today = Self::local_today(catalog, clock.now());
        let calendar = self.calendar(catalog);
        Ok(StaffCase {
            answers: self.answers(&row)?,
            remaining_days: row
                .due_on
                .map(|due| remaining_working_days(&calendar, today, due)),
            case: row,
            service: (*service).clone(),
            definition: (*def).clone(),
            state,
            tasks,
            events,
            documents,
            actions,
            claimable,
            names,
        })
    }

    /// Takes one action on one case.
    pub async fn act(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        case: CaseRef,
        request: &ActRequest,
    ) -> Result<Result<Acted, ActRefusal>, HandlingError> {
        let lines = self
            .act_many(clock, user, catalog, origin, &[case], request)
            .await?;
        Ok(only_result(lines))
    }

    /// Takes one action, with one comment, on many cases in one transaction; one line per case.
    pub async fn act_many(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        cases: &[CaseRef],
        request: &ActRequest,
    ) -> Result<Vec<BatchLine>, HandlingError> {
        if cases.len() > self.settings.batch_limit {
            return Err(HandlingError::TooMany(self.settings.batch_limit));
        }
        let staff = self.staff(user, catalog);
        if staff.actor.grants.is_empty() {
            return Err(HandlingError::NotAllowed);
        }
        self.run_actions(
            clock,
            catalog,
            origin,
            cases,
            request,
            Party::Staff(&staff),
            user,
        )
        .await
    }

    /// The applicant's own action on their case (`resubmit` after corrections, `withdraw`);
    /// `answers` replace the application's when corrections are sent.
    #[allow(clippy::too_many_arguments)]
    pub async fn applicant_act(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        applications: &crate::applications::Applications,
        case: CaseRef,
        request: &ActRequest,
        corrected: Option<Answers>,
    ) -> Result<Result<Acted, ActRefusal>, HandlingError> {
        // The applications module decides who counts as the applicant (agents, enterprises).
        if applications
            .case(user, catalog.region_id, case.id)
            .await
            .is_err()
        {
            return Err(HandlingError::NotFound);
        }
        let sealed = match corrected {
            None => None,
            Some(answers) => Some(
                serde_json::to_string(&answers)
                    .map_err(|e| HandlingError::Corrupt(e.to_string()))
                    .and_then(|json| {
                        self.cipher
                            .encrypt(crate::applications::CASE_ANSWERS_FIELD, &json)
                            .map_err(|e| HandlingError::Corrupt(e.to_string()))
                    })?,
            ),
        };
        let lines = self
            .run_actions(
                clock,
                catalog,
                origin,
                &[case],
                request,
                Party::Applicant(sealed),
                user,
            )
            .await?;
        Ok(only_result(lines))
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_actions(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        origin: &Origin,
        cases: &[CaseRef],
        request: &ActRequest,
        party: Party<'_>,
        user: &CurrentUser,
    ) -> Result<Vec<BatchLine>, HandlingError> {
        let now = clock.now();
        let today = Self::local_today(catalog, now);
        let calendar = self.calendar(catalog);
        let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();

        let txn = tongban_store::cases::begin_write(&self.db).await?;
        let rows = tongban_store::workflow::cases_by_ids(&txn, catalog.region_id, &ids).await?;
        let tasks = tongban_store::workflow::tasks_of_cases(&txn, catalog.region_id, &ids).await?;
        let mut rows: HashMap<Uuid, CaseRow> = rows.into_iter().map(|r| (r.id, r)).collect();
        let mut cache = HashMap::new();
        let applicant_actor = Actor::applicant();

        let mut lines: Vec<BatchLine> = Vec::with_capacity(cases.len());
        let mut writes: Vec<Write> = Vec::new();
        let mut profiles = HashMap::new();
        let mut seen = HashSet::new();
        for case_ref in cases {
            let refuse = |r: ActRefusal, tracking: Option<String>| BatchLine {
                case_id: case_ref.id,
                tracking_number: tracking,
                result: Err(r),
            };
            if !seen.insert(case_ref.id) {
                continue;
            }
            let Some(row) = rows.remove(&case_ref.id) else {
                lines.push(refuse(ActRefusal::NotFound, None));
                continue;
            };
            let visible = match &party {
                Party::Staff(staff) => Self::may_see(staff, &row, &tasks),
                Party::Applicant(_) => true,
            };
            if !visible {
                lines.push(refuse(ActRefusal::NotFound, None));
                continue;
            }
            let tracking = Some(row.tracking_number.clone());
            if case_ref.version.is_some_and(|v| v != row.version) {
                lines.push(refuse(ActRefusal::Conflict, tracking));
                continue;
            }
            let (def, service) = self
                .version_of(catalog, &mut cache, &row.service_code, row.service_version)
                .await?;
            let state = Self::parse_state(&row, &def, &service, catalog)?;
            // Answers are opened only for routes that read them.
            let needs_answers = def
                .state(&state.state)
                .and_then(|s| s.action(&request.action))
                .is_some_and(|a| matches!(a.to, Some(Target::Routes(_))));
            let answers = if needs_answers {
                let mut answers = self.answers(&row)?;
                // Only routes read certificates, and only then are they verified: a shared
                // certificate counts while it is valid now. The keys and status lists are read
                // on the pool's other connections (committed data), not in this transaction.
                if answers
                    .values()
                    .any(|a| matches!(a, Answer::Certificate(_)))
                {
                    let valid = self
                        .certificates
                        .valid_shares(clock, catalog, &[row.id])
                        .await
                        .map_err(|e| match e {
                            crate::certificates::CertificateError::Store(e) => {
                                HandlingError::Store(e)
                            }
                            other => HandlingError::Corrupt(other.to_string()),
                        })?;
                    let valid = valid.get(&row.id);
                    answers.retain(|field, answer| {
                        !matches!(answer, Answer::Certificate(_))
                            || valid.is_some_and(|fields| fields.contains(field))
                    });
                }
                answers
            } else {
                Answers::new()
            };
            let actor = match &party {
                Party::Staff(staff) => &staff.actor,
                Party::Applicant(_) => &applicant_actor,
            };
            let command = Command {
                action: &request.action,
                actor,
                today,
                answers: &answers,
                comment: request.comment.as_deref(),
                has_attachment: !request.attachments.is_empty(),
                extension_days: request.extension_days,
            };
            let outcome = apply(&def, &service.department, &state, &command).and_then(|t| {
                // A correction notice lists what to fix and a refusal its reasons, one per line
                // of the comment: without them the notice the law requires cannot be issued.
                let needs_items = notice_kinds(&t.events).iter().any(|k| k.requires_items());
                if needs_items && notice_items(request.comment.as_deref()).is_empty() {
                    Err(WorkflowError::CommentRequired)
                } else {
                    Ok(t)
                }
            });
            // A decision granting what the service issues makes its certificate now, so that
            // a case that cannot fill it is refused before anything is written.
            let certificate = match &outcome {
                Ok(t) if t.state.outcome == Some(Outcome::Approved) && state.outcome.is_none() => {
                    match self
                        .certificate_for(&txn, catalog, &service, &row, now, &mut profiles)
                        .await?
                    {
                        Ok(found) => found,
                        Err(problem) => {
                            lines.push(refuse(
                                ActRefusal::Certificate(problem.to_string()),
                                tracking,
                            ));
                            continue;
                        }
                    }
                }
                _ => None,
            };
            match outcome {
                Err(e) => lines.push(refuse(ActRefusal::Workflow(e), tracking)),
                Ok(transition) => {
                    lines.push(BatchLine {
                        case_id: row.id,
                        tracking_number: tracking,
                        // Filled in once written.
                        result: Err(ActRefusal::Conflict),
                    });
                    writes.push(Write {
                        line: lines.len() - 1,
                        row,
                        next: transition.state,
                        def,
                        service,
                        events: transition.events,
                        previous: state,
                        certificate,
                    });
                }
            }
        }

        // Write: the conditional updates first; only cases that won their update get the rest.
        let mut won: Vec<&Write> = Vec::new();
        let mut results: Vec<(usize, Acted)> = Vec::new();
        for write in &writes {
            let next = &write.next;
            let dates = due_dates(&calendar, &write.service, &write.def, next);
            let update = CaseUpdate {
                case_id: write.row.id,
                expected_version: write.row.version,
                state: next.state.clone(),
                workflow_state: serde_json::to_string(next)
                    .map_err(|e| HandlingError::Corrupt(e.to_string()))?,
                status: status_of(&write.def, next).to_owned(),
                due_on: dates.0,
                statutory_due_on: dates.1,
                stage_due_on: dates.2,
                outcome: next.outcome.map(|o| o.key().to_owned()),
                closed_at: next.outcome.map(|_| now),
            };
            if tongban_store::workflow::update_case(&txn, catalog.region_id, &update).await? {
                won.push(write);
            }
        }

        // Tasks: a vote closes the voter's task with its decision (also the vote that ends a
        // parallel review); a case that moved closes its open tasks and opens the new state's.
        for write in &won {
            for event in &write.events {
                if let Event::Voted {
                    department,
                    role,
                    decision,
                } = event
                {
                    let department_id = catalog
                        .department_id(department)
                        .ok_or(HandlingError::NotFound)?;
                    let decision = match decision {
                        tongban_domain::workflow::Decision::Concur => "concur",
                        tongban_domain::workflow::Decision::Object => "object",
                    };
                    tongban_store::workflow::decide_task(
                        &txn,
                        catalog.region_id,
                        write.row.id,
                        department_id,
                        role,
                        decision,
                    )
                    .await?;
                }
            }
        }
        let moved: Vec<Uuid> = won.iter().filter(|w| w.moved()).map(|w| w.row.id).collect();
        tongban_store::workflow::close_tasks(&txn, catalog.region_id, &moved).await?;
        let mut new_tasks = Vec::new();
        for write in &won {
            let next = &write.next;
            let dates = due_dates(&calendar, &write.service, &write.def, next);
            if write.moved() {
                let kind = tongban_store::cases::applicant_kind(write.row.enterprise_id);
                for task in self.task_rows(catalog, &write.def, next, dates.2.or(dates.0))? {
                    new_tasks.push(tongban_store::cases::new_task_model(
                        &write.row, &task, kind, now,
                    ));
                }
            } else {
                tongban_store::workflow::set_task_due(
                    &txn,
                    catalog.region_id,
                    write.row.id,
                    dates.2.or(dates.0),
                )
                .await?;
            }
        }
        tongban_store::workflow::insert_tasks(&txn, new_tasks).await?;

        if let Party::Applicant(Some(sealed)) = &party {
            for write in &won {
                tongban_store::workflow::replace_answers(
                    &txn,
                    catalog.region_id,
                    write.row.id,
                    sealed,
                )
                .await?;
            }
        }

        // Certificates the decisions grant, signed and recorded in this transaction.
        let granted: Vec<crate::certificates::NewCertificate> =
            won.iter().filter_map(|w| w.certificate.clone()).collect();
        let issued: HashMap<Uuid, tongban_store::certificates::CertificateRow> = self
            .certificates
            .issue_many(&txn, clock, catalog, granted)
            .await
            .map_err(|e| HandlingError::Corrupt(e.to_string()))?
            .into_iter()
            .filter_map(|c| c.case_id.map(|case| (case, c)))
            .collect();

        // Timeline, notices, messages, audit.
        let actor_name = user.display_name.clone();
        let mut events = Vec::new();
        let mut notifications = Vec::new();
        let mut audits = Vec::new();
        let mut notices = Vec::new();
        let mut uploads = Vec::new();
        for write in &won {
            let (action_kind, from, to) = write.acted();
            let applicant_facing = applicant_facing(action_kind);
            let notice_kinds = notice_kinds(&write.events);
            // Each case keeps its own record of the files (the bytes are stored once); a file
            // of a step the applicant is not told about is for staff only.
            let files: Vec<serde_json::Value> = request
                .attachments
                .iter()
                .map(|a| {
                    let upload = tongban_store::uploads::UploadRow {
                        id: Uuid::now_v7(),
                        region_id: catalog.region_id,
                        owner_id: user.account_id,
                        sha256: a.blob.address.as_str().to_owned(),
                        size: a.blob.size,
                        kind: a.blob.kind,
                        filename: a.filename.clone(),
                        created_at: now,
                        draft_id: None,
                        case_id: Some(write.row.id),
                        internal: !applicant_facing,
                    };
                    let file = serde_json::json!({
                        "id": upload.id,
                        "name": upload.filename,
                        "size": upload.size,
                        "kind": upload.kind.key(),
                    });
                    uploads.push(upload);
                    file
                })
                .collect();
            events.push(NewEvent {
                case_id: write.row.id,
                region_id: catalog.region_id,
                at: now,
                actor_id: Some(user.account_id),
                actor_name: actor_name.clone(),
                kind: "action",
                action: Some(request.action.clone()),
                from_state: Some(from.clone()),
                to_state: Some(to.clone()),
                comment: request.comment.clone().filter(|c| !c.trim().is_empty()),
                visibility: if applicant_facing {
                    "applicant"
                } else {
                    "internal"
                },
                detail: serde_json::json!({
                    "kind": action_kind.key(),
                    "extension_days": write.next.extension_days,
                    "votes": write.events.iter().filter_map(|e| match e {
                        Event::Voted { department, decision, .. } =>
                            Some(serde_json::json!({"department": department, "decision": decision})),
                        _ => None,
                    }).collect::<Vec<_>>(),
                    "notices": notice_kinds,
                    "attachments": files,
                    "certificates": issued.get(&write.row.id).map(|c| vec![serde_json::json!({
                        "id": c.id,
                        "type": c.type_key,
                    })]).unwrap_or_default(),
                }),
            });
            for kind in &notice_kinds {
                notices.push((*write, *kind));
            }
            let to_name = write
                .def
                .state(&to)
                .map(|s| s.name.get(Locale::ZhCn).to_owned())
                .unwrap_or_else(|| to.clone());
            let tell = write.events.iter().find_map(|e| match e {
                Event::Tell(text) => Some(text.get(Locale::ZhCn).to_owned()),
                _ => None,
            });
            if applicant_facing && matches!(party, Party::Staff(_)) {
                let params = serde_json::json!({
                    "case_id": write.row.id,
                    "tracking_number": write.row.tracking_number,
                    "service": write.service.name.get(Locale::ZhCn),
                    "state": to_name,
                    "action": kind_text(action_kind),
                    "tell": tell.clone().unwrap_or_default(),
                    "comment": request.comment.clone().unwrap_or_default(),
                });
                notifications.push((write.row.applicant_id, params, sms_worthy(action_kind)));
            }
            audits.push(AuditRecord {
                at: now,
                region_id: Some(catalog.region_id),
                actor_id: Some(user.account_id),
                on_behalf_of: None,
                action: format!("cases.{}", action_kind.key()),
                target: Some(format!("case:{}", write.row.id)),
                outcome: "success".to_owned(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({
                    "tracking_number": write.row.tracking_number,
                    "action": request.action,
                    "from": from,
                    "to": to,
                    "batch": cases.len() > 1,
                    "attachments": files.len(),
                    "certificate": issued.get(&write.row.id).map(|c| c.id),
                }),
            });
            results.push((
                write.line,
                Acted {
                    case_id: write.row.id,
                    tracking_number: write.row.tracking_number.clone(),
                    service_code: write.row.service_code.clone(),
                    to_name: state_name(&write.def, &to),
                    from,
                    to,
                    version: write.row.version + 1,
                    outcome: write.next.outcome,
                    notices: notice_kinds.iter().map(|k| k.key().to_owned()).collect(),
                    certificates: issued
                        .get(&write.row.id)
                        .map(|c| c.id)
                        .into_iter()
                        .collect(),
                },
            ));
        }
        // Refused attempts are audited too: a denied privileged action leaves a trace.
        for line in &lines {
            if let Err(ActRefusal::Workflow(WorkflowError::NotPermitted(_))) = &line.result {
                audits.push(AuditRecord {
                    at: now,
                    region_id: Some(catalog.region_id),
                    actor_id: Some(user.account_id),
                    on_behalf_of: None,
                    action: "cases.act".to_owned(),
                    target: Some(format!("case:{}", line.case_id)),
                    outcome: "denied".to_owned(),
                    ip: origin.ip.clone(),
                    detail: serde_json::json!({ "action": request.action }),
                });
            }
        }
        tongban_store::workflow::insert_events(&txn, events).await?;
        tongban_store::uploads::insert_many(&txn, &uploads).await?;
        self.issue_notices(&txn, clock, catalog, &notices, request, today)
            .await?;
        self.notify_applicants(&txn, notifications, now).await?;
        tongban_store::audit::append_many(&txn, &audits).await?;
        txn.commit().await?;

        for (line, acted) in results {
            lines[line].result = Ok(acted);
        }
        Ok(lines)
    }

    /// Writes the applicant's messages: in the inbox always, by SMS (and e-mail when they have
    /// a verified address) for the changes that matter most (acceptance, corrections,
    /// decisions).
    async fn notify_applicants<C: tongban_store::sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        messages: Vec<(Uuid, serde_json::Value, bool)>,
        now: DateTime<Utc>,
    ) -> Result<(), HandlingError> {
        if messages.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = messages.iter().map(|(id, _, _)| *id).collect();
        let accounts: HashMap<Uuid, _> = tongban_store::identity::accounts_by_ids(txn, &ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a))
            .collect();
        let mut out = Vec::with_capacity(messages.len() * 2);
        for (account_id, params, loud) in messages {
            let message = |channel: &'static str, recipient: Option<String>| NewNotification {
                account_id: Some(account_id),
                channel,
                template: CASE_UPDATE_TEMPLATE.to_owned(),
                locale: Locale::ZhCn.tag().to_owned(),
                params: params.clone(),
                recipient_ciphertext: recipient,
            };
            out.push(message("inbox", None));
            if !loud {
                continue;
            }
            if let Some(phone) = accounts
                .get(&account_id)
                .and_then(|a| a.phone_ciphertext.as_ref())
                && let Ok(number) = self.cipher.decrypt(crate::identity::PHONE_FIELD, phone)
                && let Ok(recipient) = self
                    .cipher
                    .encrypt(crate::notifications::RECIPIENT_FIELD, &number)
            {
                out.push(message("sms", Some(recipient)));
            }
            if let Some(email) = tongban_store::email::of_account(txn, account_id).await?
                && let Ok(address) = self
                    .cipher
                    .decrypt(crate::identity::EMAIL_FIELD, &email.email_ciphertext)
                && let Ok(recipient) = self
                    .cipher
                    .encrypt(crate::notifications::RECIPIENT_FIELD, &address)
            {
                out.push(message("email", Some(recipient)));
            }
        }
        tongban_store::notifications::enqueue_many(txn, out, now).await?;
        Ok(())
    }
}

/// Service versions (with their workflows) loaded while handling a request.
type VersionCache = HashMap<(String, i32), (Arc<WorkflowDefinition>, Arc<Service>)>;

/// The template of the applicant's message about a change to their case.
pub const CASE_UPDATE_TEMPLATE: &str = "case-update";

/// The result of a one-case batch.
fn only_result(mut lines: Vec<BatchLine>) -> Result<Acted, ActRefusal> {
    lines
        .pop()
        .map(|l| l.result)
        .unwrap_or(Err(ActRefusal::NotFound))
}

/// Who takes the action.
enum Party<'a> {
    Staff(&'a Staff),
    /// The applicant, with corrected answers (sealed) when sending corrections.
    Applicant(Option<String>),
}

/// One case's allowed action, waiting to be written.
struct Write {
    line: usize,
    row: CaseRow,
    next: CaseState,
    def: Arc<WorkflowDefinition>,
    service: Arc<Service>,
    events: Vec<Event>,
    previous: CaseState,
    /// The certificate the decision grants, ready to sign.
    certificate: Option<crate::certificates::NewCertificate>,
}

impl Write {
    fn moved(&self) -> bool {
        self.next.state != self.previous.state
    }

    fn acted(&self) -> (ActionKind, String, String) {
        self.events
            .iter()
            .find_map(|e| match e {
                Event::Acted { kind, from, to, .. } => Some((*kind, from.clone(), to.clone())),
                _ => None,
            })
            .unwrap_or((
                ActionKind::Forward,
                self.previous.state.clone(),
                self.next.state.clone(),
            ))
    }
}

/// Whether the applicant hears of an action: everything but staff's internal steps.
fn applicant_facing(kind: ActionKind) -> bool {
    !matches!(
        kind,
        ActionKind::Forward | ActionKind::SendBack | ActionKind::Concur | ActionKind::Object
    )
}

/// Whether the change is worth an SMS and an e-mail, not only an inbox message.
fn sms_worthy(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Accept
            | ActionKind::RequestCorrection
            | ActionKind::RefuseIntake
            | ActionKind::Approve
            | ActionKind::Refuse
            | ActionKind::Complete
            | ActionKind::Extend
    )
}

fn kind_text(kind: ActionKind) -> String {
    tongban_domain::workflow::kind_label(kind)
        .get(Locale::ZhCn)
        .to_owned()
}

/// The legal notices an action's events call for.
pub fn notice_kinds(events: &[Event]) -> Vec<tongban_domain::notices::NoticeKind> {
    use tongban_domain::notices::NoticeKind;
    let mut kinds = Vec::new();
    for event in events {
        match event {
            Event::Acted {
                kind: ActionKind::Accept,
                ..
            } => kinds.push(NoticeKind::Acceptance),
            Event::Acted {
                kind: ActionKind::RequestCorrection,
                ..
            } => kinds.push(NoticeKind::Correction),
            Event::Closed {
                outcome: Outcome::NotAccepted,
            } => kinds.push(NoticeKind::IntakeRefusal),
            Event::Closed {
                outcome: Outcome::Refused,
            } => kinds.push(NoticeKind::Refusal),
            Event::Closed {
                outcome: Outcome::Approved,
            } => kinds.push(NoticeKind::Approval),
            _ => {}
        }
    }
    kinds.dedup();
    kinds
}

/// A state's name in `def`; the withdrawal's name for a withdrawn case; the key for a state the
/// definition does not know.
pub fn state_name(def: &WorkflowDefinition, key: &str) -> tongban_domain::LocalizedText {
    match def.state(key) {
        Some(state) => state.name.clone(),
        None if key == tongban_domain::workflow::WITHDRAWN => {
            tongban_domain::LocalizedText::new("已撤回").with(Locale::En, "Withdrawn")
        }
        None => tongban_domain::LocalizedText::new(key),
    }
}

/// `open`, `waiting`, `suspended` or `closed`.
fn status_of(def: &WorkflowDefinition, state: &CaseState) -> &'static str {
    if state.is_closed() {
        STATUS_CLOSED
    } else if state.suspended {
        STATUS_SUSPENDED
    } else if def
        .state(&state.state)
        .is_some_and(|s: &State| s.waits_for_applicant)
    {
        STATUS_WAITING
    } else {
        STATUS_OPEN
    }
}

fn pauses_of(state: &CaseState) -> Vec<Pause> {
    state
        .pauses
        .iter()
        .map(|p: &PauseRecord| Pause {
            from: p.from,
            until: p.until,
        })
        .collect()
}

/// The state's own deadline: its `days` from the day the case entered it.
fn stage_due(
    calendar: &WorkingCalendar,
    def: &WorkflowDefinition,
    state: &CaseState,
) -> Option<NaiveDate> {
    if state.is_closed() || state.is_paused() {
        return None;
    }
    let days = def.state(&state.state)?.days?;
    Some(calendar.add_working_days(state.entered_on, u32::from(days)))
}

/// Committed, statutory and state deadlines of a case (none once closed or before acceptance).
pub fn due_dates(
    calendar: &WorkingCalendar,
    service: &Service,
    def: &WorkflowDefinition,
    state: &CaseState,
) -> (Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>) {
    if state.is_closed() {
        return (None, None, None);
    }
    let Some(accepted_on) = state.accepted_on else {
        return (None, None, stage_due(calendar, def, state));
    };
    let pauses = pauses_of(state);
    let extension = u32::from(state.extension_days);
    let committed = deadline(
        calendar,
        accepted_on,
        u32::from(service.committed_days),
        extension,
        &pauses,
    );
    let statutory = deadline(
        calendar,
        accepted_on,
        u32::from(service.statutory_days),
        extension,
        &pauses,
    );
    (
        committed.due_on,
        statutory.due_on,
        stage_due(calendar, def, state),
    )
}

/// Whether the action needs a comment or offers one: for forms.
pub fn comment_requirement(def: &WorkflowDefinition, state: &str, action: &str) -> Requirement {
    match def.state(state).and_then(|s| s.action(action)) {
        Some(a) => a.comment,
        None if ActionKind::from_key(action).is_some_and(|k| k.is_built_in()) => {
            if action == ActionKind::Withdraw.key() {
                Requirement::Optional
            } else {
                Requirement::Required
            }
        }
        None => Requirement::Optional,
    }
}

/// Whether an action may be taken by the applicant in that state.
pub fn applicant_may(def: &WorkflowDefinition, state: &str, action: &str) -> bool {
    action == ActionKind::Withdraw.key()
        || def
            .state(state)
            .and_then(|s| s.action(action))
            .is_some_and(|a| a.allows(APPLICANT))
}

impl CaseHandling {
    /// Files the notices the actions call for, numbered per department and year, as frozen
    /// snapshots (the PDF is rendered from them on download), each sealed by its department's
    /// key over the snapshot's exact text and given the random code of its public
    /// verification address.
    async fn issue_notices<C: tongban_store::sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        notices: &[(&Write, tongban_domain::notices::NoticeKind)],
        request: &ActRequest,
        today: NaiveDate,
    ) -> Result<(), HandlingError> {
        use tongban_domain::notices::seal::{SealClaims, snapshot_digest};
        let now = clock.now();
        use tongban_domain::notices::{Notice, NoticeKind, document_number};
        if notices.is_empty() {
            return Ok(());
        }
        let applicants: Vec<Uuid> = notices.iter().map(|(w, _)| w.row.applicant_id).collect();
        let names: HashMap<Uuid, String> =
            tongban_store::identity::accounts_by_ids(txn, &applicants)
                .await?
                .into_iter()
                .map(|a| (a.id, a.display_name))
                .collect();
        // Consecutive numbers per department in one counter move each.
        let mut per_department: HashMap<Uuid, i64> = HashMap::new();
        for (write, _) in notices {
            *per_department.entry(write.row.department_id).or_default() += 1;
        }
        let mut next_number: HashMap<Uuid, i64> = HashMap::new();
        for (department, count) in per_department {
            let first =
                tongban_store::workflow::next_notice_numbers(txn, department, today.year(), count)
                    .await?;
            next_number.insert(department, first);
        }
        let calendar = self.calendar(catalog);
        let region_name = catalog.region.name.get(Locale::ZhCn).to_owned();
        let items = notice_items(request.comment.as_deref());
        let mut documents = Vec::new();
        let mut to_seal = Vec::new();
        for (write, kind) in notices {
            let department = catalog.department_by_id(write.row.department_id);
            let department_name = department
                .map(|d| d.name.get(Locale::ZhCn).to_owned())
                .unwrap_or_default();
            let sequence = next_number
                .get_mut(&write.row.department_id)
                .map(|n| {
                    let this = *n;
                    *n += 1;
                    this
                })
                .unwrap_or(1);
            let number = document_number(
                &short_name(&region_name, &department_name),
                kind.number_word(),
                today.year(),
                u32::try_from(sequence).unwrap_or(u32::MAX),
            )
            .map_err(|e| HandlingError::Corrupt(e.to_string()))?;
            let submitted = write
                .row
                .submitted_at
                .with_timezone(&region_offset(&catalog.region.timezone))
                .date_naive();
            let dates = due_dates(&calendar, &write.service, &write.def, &write.next);
            let notice = Notice {
                kind: *kind,
                number: number.clone(),
                issued_on: today,
                department: department_name,
                department_code: write.service.department.clone(),
                region_name: region_name.clone(),
                applicant_name: names
                    .get(&write.row.applicant_id)
                    .cloned()
                    .unwrap_or_default(),
                tracking_number: write.row.tracking_number.clone(),
                service_name: write.service.name.get(Locale::ZhCn).to_owned(),
                received_on: submitted.min(today),
                items: if kind.requires_items() {
                    items.clone()
                } else {
                    Vec::new()
                },
                refer_to: None,
                comment: (!kind.requires_items())
                    .then(|| request.comment.clone())
                    .flatten()
                    .filter(|c| !c.trim().is_empty()),
                due_on: (*kind == NoticeKind::Acceptance)
                    .then_some(dates.0)
                    .flatten(),
                respond_by: (*kind == NoticeKind::Correction)
                    .then(|| calendar.add_working_days(today, CORRECTION_RESPONSE_DAYS)),
                certificate: (*kind == NoticeKind::Approval)
                    .then(|| write.service.result.get(Locale::ZhCn).to_owned()),
                reconsideration_body: format!("{region_name}人民政府"),
                court: format!("{region_name}人民法院"),
                contact: department
                    .and_then(|d| d.contact.phone.clone())
                    .or_else(|| catalog.region.contact.phone.clone()),
                // The seal signs this snapshot's text; it is stored beside it, not in it.
                seal: None,
            };
            notice
                .validate()
                .map_err(|e| HandlingError::Corrupt(format!("notice {number}: {e}")))?;
            let content = serde_json::to_string(&notice)
                .map_err(|e| HandlingError::Corrupt(e.to_string()))?;
            let id = Uuid::now_v7();
            to_seal.push((
                write.row.department_id,
                SealClaims {
                    // Set by the certificates service to the department's issuer URL.
                    issuer: String::new(),
                    document_id: id.to_string(),
                    kind: *kind,
                    number: number.clone(),
                    tracking_number: write.row.tracking_number.clone(),
                    issued_on: today,
                    issued_at: now,
                    digest: snapshot_digest(&content),
                },
            ));
            let code = crate::crypto::random_bytes::<16>()
                .map_err(|e| HandlingError::Corrupt(e.to_string()))?;
            documents.push(tongban_store::workflow::NewDocument {
                id,
                case_id: write.row.id,
                region_id: catalog.region_id,
                department_id: write.row.department_id,
                kind: kind.key().to_owned(),
                number,
                issued_on: today,
                content,
                created_at: now,
                seal: None,
                check_code: Some(URL_SAFE_NO_PAD.encode(code)),
            });
        }
        let seals = self
            .certificates
            .seal_notices(txn, clock, catalog, to_seal)
            .await
            .map_err(|e| HandlingError::Corrupt(format!("sealing notices: {e}")))?;
        for (document, seal) in documents.iter_mut().zip(seals) {
            document.seal = Some(seal);
        }
        tongban_store::workflow::insert_documents(txn, documents).await?;
        Ok(())
    }

    /// A notice filed with a case the caller may see (staff of the case, or its applicant
    /// checked by the caller), parsed for rendering.
    pub async fn notice(
        &self,
        catalog: &PortalCatalog,
        case_id: Uuid,
        document_id: Uuid,
    ) -> Result<tongban_domain::notices::Notice, HandlingError> {
        let row = tongban_store::workflow::document(&self.db, catalog.region_id, document_id)
            .await?
            .filter(|d| d.case_id == case_id)
            .ok_or(HandlingError::NotFound)?;
        self.loaded_notice(&row)
    }

    /// A stored notice parsed, with its seal's printed mark attached when it was sealed.
    fn loaded_notice(
        &self,
        row: &tongban_store::workflow::DocumentRow,
    ) -> Result<tongban_domain::notices::Notice, HandlingError> {
        let mut notice: tongban_domain::notices::Notice = serde_json::from_str(&row.content)
            .map_err(|e| HandlingError::Corrupt(e.to_string()))?;
        if let (Some(seal), Some(code)) = (&row.seal, &row.check_code) {
            let url = self.certificates.notice_check_url(row.id, code);
            notice.seal = tongban_domain::notices::seal::mark_of(seal, url);
        }
        Ok(notice)
    }

    /// A notice found by its public verification address (no sign-in): the code must match
    /// (compared in constant time); a wrong id or code, or a notice filed before seals existed,
    /// is `NotFound`. The seal is verified with the issuing department's keys only and checked
    /// against the stored snapshot's text.
    pub async fn notice_check(
        &self,
        catalog: &PortalCatalog,
        document_id: Uuid,
        code: &str,
    ) -> Result<NoticeCheck, HandlingError> {
        let row = tongban_store::workflow::document(&self.db, catalog.region_id, document_id)
            .await?
            .ok_or(HandlingError::NotFound)?;
        let (Some(seal), Some(stored)) = (&row.seal, &row.check_code) else {
            return Err(HandlingError::NotFound);
        };
        let matches = stored.len() == code.len()
            && stored
                .bytes()
                .zip(code.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        if !matches {
            return Err(HandlingError::NotFound);
        }
        let notice = self.loaded_notice(&row)?;
        let verdict = self
            .certificates
            .verify_notice_seal(catalog, seal)
            .await
            .map_err(|e| HandlingError::Corrupt(e.to_string()))?
            .and_then(|verified| {
                verified.binds(&row.content)?;
                // The seal must name this very document, not another sealed notice.
                if verified.claims.document_id != row.id.to_string() {
                    return Err(tongban_domain::notices::seal::SealError::DigestMismatch);
                }
                Ok(verified)
            });
        Ok(NoticeCheck {
            notice,
            seal: seal.clone(),
            verdict,
        })
    }

    /// Whether the platform holds the notice a verified seal names, with the very snapshot it
    /// sealed: `Some(true)` it does, `Some(false)` a notice with that id whose text differs,
    /// `None` no such notice in this region.
    pub async fn seal_on_record(
        &self,
        catalog: &PortalCatalog,
        verified: &tongban_domain::notices::seal::VerifiedSeal,
    ) -> Result<Option<bool>, HandlingError> {
        let Ok(id) = Uuid::parse_str(&verified.claims.document_id) else {
            return Ok(None);
        };
        let row = tongban_store::workflow::document(&self.db, catalog.region_id, id).await?;
        Ok(row.map(|row| verified.binds(&row.content).is_ok()))
    }

    /// Whether staff `user` may see the case (for downloads beside the case page).
    pub async fn staff_may_see(
        &self,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        case_id: Uuid,
    ) -> Result<bool, HandlingError> {
        Ok(self.visible_case(user, catalog, case_id).await?.is_some())
    }

    /// The case, if staff `user` may see it.
    async fn visible_case(
        &self,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        case_id: Uuid,
    ) -> Result<Option<CaseRow>, HandlingError> {
        let staff = self.staff(user, catalog);
        let Some(row) =
            tongban_store::cases::case_by_id(&self.db, catalog.region_id, case_id).await?
        else {
            return Ok(None);
        };
        let tasks = tongban_store::cases::tasks_of(&self.db, catalog.region_id, case_id).await?;
        Ok(Self::may_see(&staff, &row, &tasks).then_some(row))
    }

    /// Records that staff read something personal of a case (an attachment): who, which case,
    /// what.
    pub async fn record_staff_read(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        case_id: Uuid,
        what: &str,
    ) -> Result<(), HandlingError> {
        tongban_store::audit::append_alone(
            &self.db,
            &AuditRecord {
                at: clock.now(),
                region_id: Some(catalog.region_id),
                actor_id: Some(user.account_id),
                on_behalf_of: None,
                action: "cases.read-attachment".into(),
                target: Some(format!("case:{case_id}")),
                outcome: "success".into(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({ "what": what }),
            },
        )
        .await?;
        Ok(())
    }

    /// The applicant-visible timeline and notices of a case the caller has already been allowed
    /// to see (by `Applications::case`).
    pub async fn applicant_view(
        &self,
        catalog: &PortalCatalog,
        case_id: Uuid,
    ) -> Result<ApplicantView, HandlingError> {
        let row = tongban_store::cases::case_by_id(&self.db, catalog.region_id, case_id)
            .await?
            .ok_or(HandlingError::NotFound)?;
        let mut cache = HashMap::new();
        let (def, service) = self
            .version_of(catalog, &mut cache, &row.service_code, row.service_version)
            .await?;
        let state = Self::parse_state(&row, &def, &service, catalog)?;
        let events =
            tongban_store::workflow::events_of(&self.db, catalog.region_id, case_id, true).await?;
        let documents =
            tongban_store::workflow::documents_of(&self.db, catalog.region_id, case_id).await?;
        let applicant = Actor::applicant();
        let actions = available_actions(&def, &service.department, &state, &applicant);
        Ok(ApplicantView {
            stages: tongban_domain::workflow::progress(&def, &state),
            state_name: def
                .state(&state.state)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| tongban_domain::workflow::kind_label(ActionKind::Withdraw)),
            waiting_for_me: def
                .state(&state.state)
                .is_some_and(|s| s.waits_for_applicant),
            due_on: row.due_on,
            version: row.version,
            status: row.status.clone(),
            outcome: state.outcome,
            definition: (*def).clone(),
            state,
            events,
            documents,
            actions,
        })
    }

    /// Claims an open task of the case for the caller (or releases the caller's claim); false
    /// if someone else holds it.
    #[allow(clippy::too_many_arguments)]
    pub async fn claim(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        case_id: Uuid,
        task_id: Uuid,
        release: bool,
    ) -> Result<bool, HandlingError> {
        let staff = self.staff(user, catalog);
        let tasks = tongban_store::cases::tasks_of(&self.db, catalog.region_id, case_id).await?;
        let task = tasks
            .iter()
            .find(|t| t.id == task_id)
            .filter(|t| {
                staff.departments.contains(&t.department_id)
                    && staff.actor.grants.iter().any(|(r, _)| r == &t.role)
            })
            .ok_or(HandlingError::NotFound)?;
        let now = clock.now();
        let txn = tongban_store::cases::begin_write(&self.db).await?;
        let done = if release {
            tongban_store::workflow::release_task(&txn, catalog.region_id, task.id, user.account_id)
                .await?
        } else {
            tongban_store::workflow::claim_task(
                &txn,
                catalog.region_id,
                task.id,
                user.account_id,
                now,
            )
            .await?
        };
        if done {
            tongban_store::audit::append_many(
                &txn,
                &[AuditRecord {
                    at: now,
                    region_id: Some(catalog.region_id),
                    actor_id: Some(user.account_id),
                    on_behalf_of: None,
                    action: if release {
                        "cases.release".into()
                    } else {
                        "cases.claim".into()
                    },
                    target: Some(format!("case:{case_id}")),
                    outcome: "success".into(),
                    ip: origin.ip.clone(),
                    detail: serde_json::json!({ "task": task.id }),
                }],
            )
            .await?;
        }
        txn.commit().await?;
        Ok(done)
    }

    /// Adds an internal note (staff only) or a message to the applicant to the timeline; any
    /// staff member who may see the case can, claimed or not.
    #[allow(clippy::too_many_arguments)]
    pub async fn note(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        catalog: &PortalCatalog,
        origin: &Origin,
        case_id: Uuid,
        text: &str,
        to_applicant: bool,
    ) -> Result<(), HandlingError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(HandlingError::NotAllowed);
        }
        let row = self
            .visible_case(user, catalog, case_id)
            .await?
            .ok_or(HandlingError::NotFound)?;
        let now = clock.now();
        let txn = tongban_store::cases::begin_write(&self.db).await?;
        tongban_store::workflow::insert_events(
            &txn,
            vec![NewEvent {
                case_id,
                region_id: catalog.region_id,
                at: now,
                actor_id: Some(user.account_id),
                actor_name: user.display_name.clone(),
                kind: if to_applicant { "message" } else { "note" },
                action: None,
                from_state: None,
                to_state: None,
                comment: Some(text.chars().take(4000).collect()),
                visibility: if to_applicant {
                    "applicant"
                } else {
                    "internal"
                },
                detail: serde_json::json!({}),
            }],
        )
        .await?;
        if to_applicant {
            let params = serde_json::json!({
                "case_id": case_id,
                "tracking_number": row.tracking_number,
                "service": catalog
                    .service(&row.service_code)
                    .map(|s| s.service.name.get(Locale::ZhCn).to_owned())
                    .unwrap_or_default(),
                "text": text,
            });
            tongban_store::notifications::enqueue(
                &txn,
                NewNotification {
                    account_id: Some(row.applicant_id),
                    channel: "inbox",
                    template: CASE_MESSAGE_TEMPLATE.to_owned(),
                    locale: Locale::ZhCn.tag().to_owned(),
                    params,
                    recipient_ciphertext: None,
                },
                now,
            )
            .await?;
        }
        tongban_store::audit::append_many(
            &txn,
            &[AuditRecord {
                at: now,
                region_id: Some(catalog.region_id),
                actor_id: Some(user.account_id),
                on_behalf_of: None,
                action: if to_applicant {
                    "cases.message".into()
                } else {
                    "cases.note".into()
                },
                target: Some(format!("case:{case_id}")),
                outcome: "success".into(),
                ip: origin.ip.clone(),
                detail: serde_json::json!({}),
            }],
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The public progress lookup: tracking number plus the last four digits of the applicant's
    /// mobile. Unknown numbers and wrong digits give the same answer; five wrong attempts lock
    /// the number for a while (unknown numbers lock the same way, so nothing tells them apart).
    pub async fn public_progress(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
        tracking_number: &str,
        phone_last4: &str,
    ) -> Result<PublicProgress, LookupError> {
        let now = clock.now();
        let number = tracking_number.trim().to_ascii_uppercase();
        let store = |_e| LookupError::NotFound;
        if number.len() > 32 {
            return Err(LookupError::NotFound);
        }
        let record = tongban_store::workflow::lookup_record(&self.db, &number)
            .await
            .map_err(store)?;
        if record
            .as_ref()
            .and_then(|r| r.locked_until)
            .is_some_and(|until| until > now)
        {
            return Err(LookupError::Locked);
        }
        let row = tongban_store::cases::case_by_tracking(&self.db, catalog.region_id, &number)
            .await
            .map_err(store)?;
        let digits_ok = phone_last4.len() == 4 && phone_last4.bytes().all(|b| b.is_ascii_digit());
        let matched = row.filter(|r| {
            digits_ok
                && r.applicant_phone_last4
                    .as_deref()
                    .is_some_and(|last4| constant_time_eq(last4.as_bytes(), phone_last4.as_bytes()))
        });
        let Some(row) = matched else {
            let failures = tongban_store::workflow::record_lookup_failure(
                &self.db,
                &number,
                self.settings.lookup_max_failures,
                now + Duration::minutes(self.settings.lookup_lock_minutes),
                now,
            )
            .await
            .map_err(store)?;
            return Err(if failures >= self.settings.lookup_max_failures {
                LookupError::Locked
            } else {
                LookupError::NotFound
            });
        };
        if record.is_some() {
            tongban_store::workflow::clear_lookup_failures(&self.db, &number)
                .await
                .map_err(store)?;
        }
        let mut cache = HashMap::new();
        let (def, service) = self
            .version_of(catalog, &mut cache, &row.service_code, row.service_version)
            .await
            .map_err(|_| LookupError::NotFound)?;
        let state =
            Self::parse_state(&row, &def, &service, catalog).map_err(|_| LookupError::NotFound)?;
        let events = tongban_store::workflow::events_of(&self.db, catalog.region_id, row.id, true)
            .await
            .map_err(store)?;
        Ok(PublicProgress {
            tracking_number: row.tracking_number.clone(),
            service_code: row.service_code.clone(),
            service_name: service.name.clone(),
            submitted_at: row.submitted_at,
            state_name: def
                .state(&state.state)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| tongban_domain::workflow::kind_label(ActionKind::Withdraw)),
            stages: tongban_domain::workflow::progress(&def, &state),
            status: row.status.clone(),
            outcome: state.outcome,
            due_on: row.due_on,
            // Comments stay private: the lookup needs no login, so it shows steps only.
            steps: events
                .into_iter()
                .filter(|e| e.kind == "action")
                .map(|e| (e.at, e.action.unwrap_or_default(), e.to_state))
                .collect(),
        })
    }

    /// Finds open cases approaching or past their committed deadline and alerts the handler
    /// (the task's assignee, or the department's staff holding the task's role) and the
    /// department's approvers; each alert once per case, kind and deadline.
    pub async fn scan_deadlines(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
    ) -> Result<usize, HandlingError> {
        let now = clock.now();
        let today = Self::local_today(catalog, now);
        let calendar = self.calendar(catalog);
        let horizon = calendar.add_working_days(
            today,
            u32::try_from(self.settings.approaching_days).unwrap_or(0),
        );
        let due =
            tongban_store::workflow::open_cases_due_by(&self.db, catalog.region_id, horizon, 2000)
                .await?;
        let alerts: Vec<tongban_store::workflow::NewAlert> = due
            .iter()
            .filter(|c| c.status == STATUS_OPEN)
            .filter_map(|c| {
                let due_on = c.due_on?;
                Some(tongban_store::workflow::NewAlert {
                    case_id: c.id,
                    region_id: catalog.region_id,
                    department_id: c.department_id,
                    kind: if due_on < today {
                        "overdue"
                    } else {
                        "approaching"
                    },
                    due_on,
                })
            })
            .collect();
        let txn = tongban_store::cases::begin_write(&self.db).await?;
        let fresh = tongban_store::workflow::raise_alerts(&txn, alerts, now).await?;
        let ids: Vec<Uuid> = fresh.iter().map(|a| a.case_id).collect();
        let tasks = tongban_store::workflow::tasks_of_cases(&txn, catalog.region_id, &ids).await?;
        let staff = tongban_store::identity::staff_of_region(&txn, catalog.region_id).await?;
        let mut messages = Vec::new();
        for alert in &fresh {
            let Some(case) = due.iter().find(|c| c.id == alert.case_id) else {
                continue;
            };
            let open: Vec<&CaseTaskRow> = tasks
                .iter()
                .filter(|t| t.case_id == alert.case_id && t.status == TASK_OPEN)
                .collect();
            let mut recipients: HashSet<Uuid> = HashSet::new();
            for task in &open {
                match task.assignee_id {
                    Some(assignee) => {
                        recipients.insert(assignee);
                    }
                    None => recipients.extend(
                        staff
                            .iter()
                            .filter(|(_, role, dept)| {
                                *dept == Some(task.department_id) && role == &task.role
                            })
                            .map(|(id, _, _)| *id),
                    ),
                }
            }
            // The department head: its approvers.
            recipients.extend(
                staff
                    .iter()
                    .filter(|(_, role, dept)| {
                        *dept == Some(case.department_id) && role == Role::Approver.key()
                    })
                    .map(|(id, _, _)| *id),
            );
            for account in recipients {
                messages.push(NewNotification {
                    account_id: Some(account),
                    channel: "inbox",
                    template: DEADLINE_TEMPLATE.to_owned(),
                    locale: Locale::ZhCn.tag().to_owned(),
                    params: serde_json::json!({
                        "case_id": case.id,
                        "tracking_number": case.tracking_number,
                        "due_on": alert.due_on.to_string(),
                        "kind": alert.kind,
                        "days": remaining_working_days(&calendar, today, alert.due_on),
                    }),
                    recipient_ciphertext: None,
                });
            }
        }
        tongban_store::notifications::enqueue_many(&txn, messages, now).await?;
        txn.commit().await?;
        Ok(fresh.len())
    }

    /// Recomputes open cases' deadlines when the region's calendar changed since they were
    /// computed (a new year's holidays, a regional holiday); returns how many were looked at.
    pub async fn recompute_deadlines_if_calendar_changed(
        &self,
        clock: &dyn Clock,
        catalog: &PortalCatalog,
    ) -> Result<usize, HandlingError> {
        let calendar = self.calendar(catalog);
        let fingerprint = calendar.fingerprint();
        let stored = tongban_store::workflow::calendar_mark(&self.db, catalog.region_id).await?;
        if stored.as_deref() == Some(fingerprint.as_str()) {
            return Ok(0);
        }
        let mut cache = HashMap::new();
        let mut after = None;
        let mut count = 0;
        loop {
            let page =
                tongban_store::workflow::open_cases_page(&self.db, catalog.region_id, after, 500)
                    .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for row in &page {
                let Ok((def, service)) = self
                    .version_of(catalog, &mut cache, &row.service_code, row.service_version)
                    .await
                else {
                    continue;
                };
                let state = Self::parse_state(row, &def, &service, catalog)?;
                let (due, statutory, stage) = due_dates(&calendar, &service, &def, &state);
                if (due, statutory, stage) != (row.due_on, row.statutory_due_on, row.stage_due_on) {
                    tongban_store::workflow::set_due_dates(
                        &self.db,
                        catalog.region_id,
                        row.id,
                        due,
                        statutory,
                        stage,
                    )
                    .await?;
                }
                count += 1;
            }
        }
        tongban_store::workflow::set_calendar_mark(
            &self.db,
            catalog.region_id,
            &fingerprint,
            clock.now(),
        )
        .await?;
        Ok(count)
    }
}

/// What the applicant sees of their case beyond the application itself.
#[derive(Debug, Clone)]
pub struct ApplicantView {
    pub stages: Vec<(
        tongban_domain::workflow::Stage,
        tongban_domain::workflow::StepStatus,
    )>,
    pub state_name: tongban_domain::LocalizedText,
    pub waiting_for_me: bool,
    pub due_on: Option<NaiveDate>,
    pub version: i32,
    pub status: String,
    pub outcome: Option<Outcome>,
    pub definition: WorkflowDefinition,
    pub state: CaseState,
    pub events: Vec<tongban_store::workflow::EventRow>,
    pub documents: Vec<tongban_store::workflow::DocumentRow>,
    /// What the applicant may do now (send corrections, withdraw).
    pub actions: Vec<tongban_domain::workflow::Available>,
}

/// The template of a staff message to the applicant.
pub const CASE_MESSAGE_TEMPLATE: &str = "case-message";
/// The template of a deadline alert to staff.
pub const DEADLINE_TEMPLATE: &str = "case-deadline";

/// Working days the applicant is given to send corrections, printed on the notice.
pub const CORRECTION_RESPONSE_DAYS: u32 = 20;

/// The items of a correction notice or the reasons of a refusal: one per line of the comment,
/// list markers dropped.
fn notice_items(comment: Option<&str>) -> Vec<String> {
    comment
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['-', '•', '*'])
                .trim()
                .to_owned()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// A department's short name for document numbers: the region's first character and the
/// department's name without the region (示范市市场监督管理局 → 示市场).
fn short_name(region: &str, department: &str) -> String {
    let first: String = region.chars().take(1).collect();
    let rest: String = department
        .strip_prefix(region)
        .unwrap_or(department)
        .chars()
        .take(2)
        .collect();
    format!("{first}{rest}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
