//! Acting for others: enterprises (法人) registered by their legal representative, mandates
//! that let an agent (经办人) act for an enterprise or a relative act for a person (亲友代办), and
//! switching a session between acting for oneself and for a principal.
//!
//! Rules:
//! - Only people (not staff) register enterprises, give mandates and act for others.
//! - A person gives mandates for themselves; an enterprise's mandates are given and revoked by
//!   its legal representative. An agent never grants further (no sub-delegation), and nothing
//!   is managed while acting for someone else.
//! - The agent is named by mobile number and full name, which must both match a person's
//!   account; a mismatch does not say which part was wrong.
//! - A mandate has scopes from [`Scope`] and an expiry at most [`MAX_MANDATE_YEARS`] ahead;
//!   one live mandate per principal and agent.
//! - Switching rotates the session token (a change of privilege) and is audited; every request
//!   re-checks the mandate, so a revoked or expired one ends the switch at once.
//! - Every audit entry written while acting names the principal in `on_behalf_of`:
//!   [`CurrentUser::audit_record`] does it for every feature.

use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use tongban_domain::Locale;
use tongban_domain::clock::Clock;
use tongban_domain::identity::{CreditCode, IdentifierError, MobileNumber, PersonName};
use tongban_store::agency::{ENTERPRISE, EnterpriseRow, MandateRow, PERSON};
use tongban_store::audit::AuditRecord;
use tongban_store::identity::{AccountRow, LoginKey};
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    AccountKind, CurrentUser, Identity, IssuedSession, MOBILE_INDEX, Origin, PHONE_FIELD,
    audit_record, mask_generic,
};
use crate::StoreError;

/// A mandate ends at most this many years after it is given.
pub const MAX_MANDATE_YEARS: u32 = 3;
/// Mandates listed per principal (live and history) on the agents page.
pub const MANDATES_SHOWN: u64 = 200;

/// Whom an agent acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    Enterprise,
    Person,
}

impl PrincipalKind {
    pub fn key(self) -> &'static str {
        match self {
            PrincipalKind::Enterprise => ENTERPRISE,
            PrincipalKind::Person => PERSON,
        }
    }

    pub fn from_key(key: &str) -> Option<PrincipalKind> {
        match key {
            ENTERPRISE => Some(PrincipalKind::Enterprise),
            PERSON => Some(PrincipalKind::Person),
            _ => None,
        }
    }
}

/// What a mandate allows, from a fixed vocabulary (documented in `docs/agency.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// 办理申请: submit and correct applications.
    Apply,
    /// 查看进度与结果: follow cases and read their outcomes.
    View,
    /// 使用证照: present and reuse the principal's e-certificates.
    Certificates,
    /// 缴费: pay fees.
    Pay,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Apply, Scope::View, Scope::Certificates, Scope::Pay];

    pub fn key(self) -> &'static str {
        match self {
            Scope::Apply => "apply",
            Scope::View => "view",
            Scope::Certificates => "certificates",
            Scope::Pay => "pay",
        }
    }

    pub fn from_key(key: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// The principal a session acts for, re-checked on every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingFor {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub name: String,
    /// The enterprise's unified social credit code (enterprises only).
    pub credit_code: Option<String>,
    /// Scope keys ([`Scope::key`]); every scope for an enterprise's legal representative.
    pub scopes: Vec<String>,
}

impl ActingFor {
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.iter().any(|s| s == scope.key())
    }

    /// The credit code masked for screens.
    pub fn masked_credit_code(&self) -> Option<String> {
        self.credit_code.as_deref().map(mask_code)
    }
}

impl CurrentUser {
    /// An audit record of something this user did: the actor, and the principal in
    /// `on_behalf_of` while acting for one. Every feature builds its audit records here so
    /// that "who acted for whom" is never forgotten.
    pub fn audit_record(
        &self,
        at: DateTime<Utc>,
        action: &str,
        outcome: &str,
        origin: &Origin,
    ) -> AuditRecord {
        AuditRecord {
            on_behalf_of: self.acting_for.as_ref().map(|a| a.id),
            ..audit_record(at, Some(self.account_id), action, outcome, origin)
        }
    }
}

/// Masks a credit code for screens (first 2 and last 4 characters).
pub fn mask_code(code: &str) -> String {
    CreditCode::parse(code).map_or_else(|_| mask_generic(code), |c| c.masked())
}

/// Checks an enterprise and its legal representative against the market-regulation registry
/// (市场监管部门登记系统). Deployments plug in their registry's adapter.
pub trait EnterpriseRegistry: Send + Sync {
    /// Whether `code` is registered to an enterprise named `name` whose legal representative
    /// is `representative`, and that person is `registrant` (the signed-in person's verified
    /// name).
    fn verify(&self, code: &CreditCode, name: &str, representative: &str, registrant: &str)
    -> bool;
}

/// For demo mode and tests: accepts any well-formed code when the named legal representative
/// is the signed-in person. Production start-up warns while it is in use.
pub struct DemoEnterpriseRegistry;

impl EnterpriseRegistry for DemoEnterpriseRegistry {
    fn verify(
        &self,
        _code: &CreditCode,
        _name: &str,
        representative: &str,
        registrant: &str,
    ) -> bool {
        representative == registrant
    }
}

/// The shipped registry adapter, shared.
pub fn demo_registry() -> Arc<dyn EnterpriseRegistry> {
    Arc::new(DemoEnterpriseRegistry)
}

/// What the legal representative enters to register an enterprise.
#[derive(Debug, Clone, Copy)]
pub struct EnterpriseInput<'a> {
    pub name: &'a str,
    pub credit_code: &'a str,
    pub legal_representative: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum EnterpriseError {
    #[error("the enterprise name is missing or too long")]
    InvalidName,
    #[error("invalid credit code: {0}")]
    InvalidCreditCode(IdentifierError),
    #[error("invalid legal representative name: {0}")]
    InvalidRepresentative(IdentifierError),
    #[error("the registry does not confirm this enterprise and representative")]
    NotConfirmed,
    /// The code is registered already; its legal representative has been told.
    #[error("the credit code is registered already")]
    AlreadyRegistered,
    #[error("only people acting for themselves register enterprises")]
    NotAllowed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the principal enters to authorise an agent.
#[derive(Debug, Clone)]
pub struct MandateInput<'a> {
    pub principal: PrincipalKind,
    pub principal_id: Uuid,
    pub agent_mobile: &'a str,
    pub agent_name: &'a str,
    pub scopes: Vec<Scope>,
    /// The last day (in the region's time zone) on which the mandate holds.
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    /// Mobile number and name do not match one person's account (deliberately vague).
    #[error("no person has this mobile number and name")]
    UnknownAgent,
    #[error("a person cannot authorise themselves")]
    SelfMandate,
    #[error("no scope was chosen")]
    NoScopes,
    #[error("the expiry date is missing")]
    ExpiryMissing,
    #[error("the expiry date is in the past")]
    ExpiryPast,
    #[error("the expiry date is more than {MAX_MANDATE_YEARS} years ahead")]
    ExpiryTooFar,
    #[error("this agent already holds a live mandate")]
    Duplicate,
    /// The caller does not manage this principal (or it does not exist).
    #[error("not allowed")]
    NotAllowed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum AgencyError {
    /// No live mandate (or it is not the caller's to use or revoke): deliberately one answer.
    #[error("no such live mandate")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Someone the user can act for, as `/account/acting` lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActingOption {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub name: String,
    pub masked_credit_code: Option<String>,
    pub scopes: Vec<Scope>,
    /// `None` for the legal representative of the enterprise (no mandate needed).
    pub expires_at: Option<DateTime<Utc>>,
    pub current: bool,
}

/// Where a mandate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateStatus {
    Live,
    Expired,
    Revoked,
}

/// A mandate as the principal sees it: the agent's mobile number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateView {
    pub id: Uuid,
    pub agent_name: String,
    pub agent_masked_mobile: String,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub status: MandateStatus,
}

/// One principal the user manages, with its mandates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalMandates {
    pub kind: PrincipalKind,
    pub id: Uuid,
    pub name: String,
    pub masked_credit_code: Option<String>,
    pub live: Vec<MandateView>,
    pub history: Vec<MandateView>,
}

fn scopes_of(json: &serde_json::Value) -> Vec<Scope> {
    let mut scopes: Vec<Scope> = json
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().and_then(Scope::from_key))
                .collect()
        })
        .unwrap_or_default();
    scopes.sort();
    scopes.dedup();
    scopes
}

fn status_of(row: &MandateRow, now: DateTime<Utc>) -> MandateStatus {
    match (row.revoked_at, row.revoked_by) {
        (Some(_), Some(_)) => MandateStatus::Revoked,
        (Some(_), None) => MandateStatus::Expired,
        (None, _) if row.expires_at <= now => MandateStatus::Expired,
        (None, _) => MandateStatus::Live,
    }
}

/// The region's zone: UTC+8 for every region served today (see `layout::local_time`).
fn region_zone() -> FixedOffset {
    use chrono::Offset;
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// The instant a mandate whose last day is `last_day` ends: the next local midnight.
pub fn end_of_day(last_day: NaiveDate) -> Option<DateTime<Utc>> {
    let next = last_day.succ_opt()?.and_hms_opt(0, 0, 0)?;
    region_zone()
        .from_local_datetime(&next)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Checks an expiry date against today (in the region's zone).
fn check_expiry(
    expires_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, MandateError> {
    let day = expires_on.ok_or(MandateError::ExpiryMissing)?;
    let today = now.with_timezone(&region_zone()).date_naive();
    if day < today {
        return Err(MandateError::ExpiryPast);
    }
    let latest = today
        .checked_add_months(chrono::Months::new(12 * MAX_MANDATE_YEARS))
        .ok_or(MandateError::ExpiryTooFar)?;
    if day > latest {
        return Err(MandateError::ExpiryTooFar);
    }
    end_of_day(day).ok_or(MandateError::ExpiryTooFar)
}

impl Identity {
    /// The principal a session acts for, if its mandate still holds (one query). The legal
    /// representative acts for their own enterprise with every scope.
    pub(crate) async fn resolve_acting(
        &self,
        account_id: Uuid,
        kind: &str,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<ActingFor>, StoreError> {
        let Some(kind_parsed) = PrincipalKind::from_key(kind) else {
            return Ok(None);
        };
        let Some(row) =
            tongban_store::agency::acting_check(&self.db, account_id, kind, id, now).await?
        else {
            return Ok(None);
        };
        let scopes = if row.legal_representative == Some(account_id) {
            Scope::ALL.to_vec()
        } else if let Some(json) = &row.scopes
            && row.mandate_id.is_some()
        {
            scopes_of(json)
        } else {
            return Ok(None);
        };
        Ok(Some(ActingFor {
            kind: kind_parsed,
            id,
            name: row.name,
            credit_code: row.credit_code,
            scopes: scopes.into_iter().map(|s| s.key().to_owned()).collect(),
        }))
    }

    /// Appends an audit entry, in a transaction of its own, for something `user` did: the
    /// principal they act for goes into `on_behalf_of`.
    pub(crate) async fn audit_as(
        &self,
        user: &CurrentUser,
        at: DateTime<Utc>,
        action: &str,
        outcome: &str,
        origin: &Origin,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let record = AuditRecord {
            detail,
            ..user.audit_record(at, action, outcome, origin)
        };
        tongban_store::audit::append_alone(&self.db, &record)
            .await
            .map(|_| ())
    }

    /// Ends a switch whose mandate no longer holds, so later requests do not check again.
    pub(crate) async fn end_lapsed_switch(&self, token_hash: &str) -> Result<(), StoreError> {
        tongban_store::agency::set_session_acting(&self.db, token_hash, None).await
    }

    fn require_person_as_self(user: &CurrentUser) -> bool {
        user.kind == AccountKind::Person && user.acting_for.is_none()
    }

    /// Registers an enterprise whose legal representative is the signed-in person, after the
    /// registry confirms it. A code registered already is refused and its representative told
    /// (without saying who tried).
    pub async fn register_enterprise(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        registry: &dyn EnterpriseRegistry,
        input: EnterpriseInput<'_>,
        origin: &Origin,
    ) -> Result<EnterpriseRow, EnterpriseError> {
        let now = clock.now();
        if !Self::require_person_as_self(user) {
            return Err(EnterpriseError::NotAllowed);
        }
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(EnterpriseError::InvalidName);
        }
        let code =
            CreditCode::parse(input.credit_code).map_err(EnterpriseError::InvalidCreditCode)?;
        let representative = PersonName::parse(input.legal_representative)
            .map_err(EnterpriseError::InvalidRepresentative)?;
        let me = tongban_store::identity::account_by_id(&self.db, user.account_id)
            .await?
            .ok_or(EnterpriseError::NotAllowed)?;
        let detail = serde_json::json!({ "credit_code": code.masked() });
        if !registry.verify(&code, name, representative.as_str(), &me.display_name) {
            let record = AuditRecord {
                detail,
                ..user.audit_record(now, "agency.enterprise-register", "denied", origin)
            };
            tongban_store::audit::append_alone(&self.db, &record).await?;
            return Err(EnterpriseError::NotConfirmed);
        }
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let existing =
            tongban_store::agency::enterprise_by_credit_code(&txn, code.as_str()).await?;
        let id = match existing {
            Some(found) if found.status == "closed" => {
                if !tongban_store::agency::reopen_enterprise(
                    &txn,
                    found.id,
                    name,
                    me.id,
                    representative.as_str(),
                    now,
                )
                .await?
                {
                    return Err(EnterpriseError::AlreadyRegistered);
                }
                found.id
            }
            Some(found) => {
                drop(txn);
                self.refuse_claim(user, &found, now, origin, detail).await?;
                return Err(EnterpriseError::AlreadyRegistered);
            }
            None => {
                let row = EnterpriseRow {
                    id: Uuid::now_v7(),
                    region_id: me.region_id,
                    name: name.to_owned(),
                    credit_code: code.as_str().to_owned(),
                    legal_representative_account_id: me.id,
                    legal_representative_name: representative.as_str().to_owned(),
                    status: "active".to_owned(),
                    created_at: now,
                    updated_at: now,
                };
                match tongban_store::agency::insert_enterprise(&txn, row.clone()).await {
                    Ok(()) => row.id,
                    Err(StoreError::Duplicate(_)) => {
                        // Registered by someone else between our read and our write.
                        drop(txn);
                        if let Some(found) = tongban_store::agency::enterprise_by_credit_code(
                            &self.db,
                            code.as_str(),
                        )
                        .await?
                        {
                            self.refuse_claim(user, &found, now, origin, detail).await?;
                        }
                        return Err(EnterpriseError::AlreadyRegistered);
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        };
        let record = AuditRecord {
            target: Some(format!("enterprise:{id}")),
            detail,
            ..user.audit_record(now, "agency.enterprise-register", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        tongban_store::agency::enterprise_by_id(&self.db, id)
            .await?
            .ok_or_else(|| {
                StoreError::Db(super::sea_orm_custom("enterprise vanished".into())).into()
            })
    }

    /// A claim on an enterprise registered already: audited, and its representative told.
    async fn refuse_claim(
        &self,
        user: &CurrentUser,
        found: &EnterpriseRow,
        now: DateTime<Utc>,
        origin: &Origin,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        if let Some(owner) =
            tongban_store::identity::account_by_id(&txn, found.legal_representative_account_id)
                .await?
                .filter(|a| a.status == "active" && a.id != user.account_id)
        {
            let params = serde_json::json!({
                "site": self.settings.site_name,
                "enterprise": found.name,
            });
            self.notify_owner(
                &txn,
                &owner,
                "enterprise-claim",
                Locale::DEFAULT,
                params,
                now,
            )
            .await?;
        }
        let record = AuditRecord {
            target: Some(format!("enterprise:{}", found.id)),
            detail,
            ..user.audit_record(now, "agency.enterprise-register", "failure", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The enterprises the user represents.
    pub async fn my_enterprises(
        &self,
        user: &CurrentUser,
    ) -> Result<Vec<EnterpriseRow>, StoreError> {
        tongban_store::agency::enterprises_represented_by(&self.db, user.account_id).await
    }

    /// Whether the user manages `principal` (themselves, or an enterprise they represent),
    /// and its display name.
    async fn managed_principal(
        &self,
        user: &CurrentUser,
        kind: PrincipalKind,
        id: Uuid,
    ) -> Result<Option<String>, StoreError> {
        if !Self::require_person_as_self(user) {
            return Ok(None);
        }
        Ok(match kind {
            PrincipalKind::Person => (id == user.account_id).then(|| user.display_name.clone()),
            PrincipalKind::Enterprise => tongban_store::agency::enterprise_by_id(&self.db, id)
                .await?
                .filter(|e| {
                    e.status == "active" && e.legal_representative_account_id == user.account_id
                })
                .map(|e| e.name),
        })
    }

    /// Authorises an agent to act for the principal; the agent is told by inbox and SMS.
    pub async fn grant_mandate(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        input: &MandateInput<'_>,
        origin: &Origin,
    ) -> Result<MandateRow, MandateError> {
        let now = clock.now();
        let Some(principal_name) = self
            .managed_principal(user, input.principal, input.principal_id)
            .await?
        else {
            let record = AuditRecord {
                target: Some(format!("{}:{}", input.principal.key(), input.principal_id)),
                ..user.audit_record(now, "agency.mandate-grant", "denied", origin)
            };
            tongban_store::audit::append_alone(&self.db, &record).await?;
            return Err(MandateError::NotAllowed);
        };
        let agent = self
            .find_agent(input.agent_mobile, input.agent_name)
            .await?;
        // Nobody authorises themselves: a person for themselves, nor a legal representative for
        // the enterprise they already act for with every scope.
        if agent.id == user.account_id {
            return Err(MandateError::SelfMandate);
        }
        let mut scopes = input.scopes.clone();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(MandateError::NoScopes);
        }
        let expires_at = check_expiry(input.expires_on, now)?;
        let row = MandateRow {
            id: Uuid::now_v7(),
            principal_kind: input.principal.key().to_owned(),
            principal_id: input.principal_id,
            agent_account_id: agent.id,
            scopes: serde_json::Value::Array(
                scopes
                    .iter()
                    .map(|s| serde_json::Value::from(s.key()))
                    .collect(),
            ),
            expires_at,
            created_by: user.account_id,
            created_at: now,
            revoked_at: None,
            revoked_by: None,
        };
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::agency::close_lapsed(
            &txn,
            input.principal.key(),
            input.principal_id,
            agent.id,
            now,
        )
        .await?;
        match tongban_store::agency::insert_mandate(&txn, row.clone()).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => return Err(MandateError::Duplicate),
            Err(other) => return Err(other.into()),
        }
        let last_day = end_of_day_label(expires_at);
        let params = serde_json::json!({
            "site": self.settings.site_name,
            "principal": principal_name,
            "expires": last_day,
        });
        self.notify_owner(
            &txn,
            &agent,
            "mandate-granted",
            Locale::DEFAULT,
            params,
            now,
        )
        .await?;
        let record = AuditRecord {
            target: Some(format!("mandate:{}", row.id)),
            on_behalf_of: Some(input.principal_id),
            detail: serde_json::json!({
                "principal_kind": input.principal.key(),
                "agent": agent.id,
                "scopes": row.scopes,
                "expires_at": expires_at,
            }),
            ..user.audit_record(now, "agency.mandate-grant", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(row)
    }

    /// The person with this mobile number and exactly this name, or one vague refusal.
    async fn find_agent(&self, mobile: &str, name: &str) -> Result<AccountRow, MandateError> {
        let mobile = MobileNumber::parse(mobile).map_err(|_| MandateError::UnknownAgent)?;
        let name = PersonName::parse(name).map_err(|_| MandateError::UnknownAgent)?;
        let key = LoginKey::PhoneIndex(self.index.of(MOBILE_INDEX, mobile.as_str()));
        tongban_store::identity::find_by_login(&self.db, &key)
            .await?
            .filter(|a| {
                a.kind == AccountKind::Person.key()
                    && a.status == "active"
                    && a.display_name == name.as_str()
            })
            .ok_or(MandateError::UnknownAgent)
    }

    /// Revokes one of the principal's live mandates; the agent is told. Someone else's
    /// mandate, an unknown id and one revoked already all give [`AgencyError::NotFound`].
    pub async fn revoke_mandate(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        principal: PrincipalKind,
        principal_id: Uuid,
        mandate_id: Uuid,
        origin: &Origin,
    ) -> Result<(), AgencyError> {
        let now = clock.now();
        let denied = || AuditRecord {
            target: Some(format!("mandate:{mandate_id}")),
            ..user.audit_record(now, "agency.mandate-revoke", "denied", origin)
        };
        let Some(principal_name) = self
            .managed_principal(user, principal, principal_id)
            .await?
        else {
            tongban_store::audit::append_alone(&self.db, &denied()).await?;
            return Err(AgencyError::NotFound);
        };
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        let found = tongban_store::agency::mandate_of_principal(
            &txn,
            mandate_id,
            principal.key(),
            principal_id,
        )
        .await?;
        let revoked = match &found {
            Some(_) => {
                tongban_store::agency::revoke_mandate(
                    &txn,
                    mandate_id,
                    principal.key(),
                    principal_id,
                    user.account_id,
                    now,
                )
                .await?
            }
            None => false,
        };
        let Some(mandate) = found.filter(|_| revoked) else {
            drop(txn);
            tongban_store::audit::append_alone(&self.db, &denied()).await?;
            return Err(AgencyError::NotFound);
        };
        if let Some(agent) = tongban_store::identity::account_by_id(&txn, mandate.agent_account_id)
            .await?
            .filter(|a| a.status == "active")
        {
            let params =
                serde_json::json!({ "site": self.settings.site_name, "principal": principal_name });
            self.notify_owner(
                &txn,
                &agent,
                "mandate-revoked",
                Locale::DEFAULT,
                params,
                now,
            )
            .await?;
        }
        let record = AuditRecord {
            target: Some(format!("mandate:{mandate_id}")),
            on_behalf_of: Some(principal_id),
            detail: serde_json::json!({
                "principal_kind": principal.key(),
                "agent": mandate.agent_account_id,
            }),
            ..user.audit_record(now, "agency.mandate-revoke", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Everyone the user can act for now: enterprises they represent, then live mandates.
    pub async fn acting_options(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
    ) -> Result<Vec<ActingOption>, StoreError> {
        let now = clock.now();
        if user.kind != AccountKind::Person {
            return Ok(Vec::new());
        }
        let current = user.acting_for.as_ref().map(|a| (a.kind, a.id));
        let mut options: Vec<ActingOption> = self
            .my_enterprises(user)
            .await?
            .into_iter()
            .map(|e| ActingOption {
                kind: PrincipalKind::Enterprise,
                id: e.id,
                masked_credit_code: Some(mask_code(&e.credit_code)),
                name: e.name,
                scopes: Scope::ALL.to_vec(),
                expires_at: None,
                current: current == Some((PrincipalKind::Enterprise, e.id)),
            })
            .collect();
        for mandate in
            tongban_store::agency::mandates_of_agent(&self.db, user.account_id, MANDATES_SHOWN)
                .await?
        {
            if status_of(&mandate, now) != MandateStatus::Live {
                continue;
            }
            let Some(kind) = PrincipalKind::from_key(&mandate.principal_kind) else {
                continue;
            };
            if options
                .iter()
                .any(|o| o.kind == kind && o.id == mandate.principal_id)
            {
                continue;
            }
            let (name, code) = match kind {
                PrincipalKind::Enterprise => {
                    match tongban_store::agency::enterprise_by_id(&self.db, mandate.principal_id)
                        .await?
                        .filter(|e| e.status == "active")
                    {
                        Some(e) => (e.name, Some(mask_code(&e.credit_code))),
                        None => continue,
                    }
                }
                PrincipalKind::Person => {
                    match tongban_store::identity::account_by_id(&self.db, mandate.principal_id)
                        .await?
                        .filter(|a| a.status == "active")
                    {
                        Some(a) => (a.display_name, None),
                        None => continue,
                    }
                }
            };
            options.push(ActingOption {
                kind,
                id: mandate.principal_id,
                name,
                masked_credit_code: code,
                scopes: scopes_of(&mandate.scopes),
                expires_at: Some(mandate.expires_at),
                current: current == Some((kind, mandate.principal_id)),
            });
        }
        Ok(options)
    }

    /// Switches the session to act for `target` (or for oneself with `None`): a live mandate
    /// (or being the enterprise's legal representative) is required. The token is rotated
    /// because the session's rights change; the switch is audited either way.
    pub async fn switch_acting(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        target: Option<(PrincipalKind, Uuid)>,
        origin: &Origin,
    ) -> Result<IssuedSession, AgencyError> {
        let now = clock.now();
        let acting = match target {
            Some((kind, id)) if user.kind == AccountKind::Person => {
                self.resolve_acting(user.account_id, kind.key(), id, now)
                    .await?
            }
            _ => None,
        };
        if let Some((kind, id)) = target
            && acting.is_none()
        {
            let record = AuditRecord {
                target: Some(format!("{}:{id}", kind.key())),
                ..user.audit_record(now, "agency.switch", "denied", origin)
            };
            tongban_store::audit::append_alone(&self.db, &record).await?;
            return Err(AgencyError::NotFound);
        }
        let Some((current, _)) =
            tongban_store::identity::live_session(&self.db, &user.session_hash, now).await?
        else {
            return Err(AgencyError::NotFound);
        };
        let (mut issued, mut session) = self.new_session(user.account_id, origin, now)?;
        // A new token, but the same sign-in: switching must not stretch the session's absolute
        // lifetime, however often one switches.
        session.created_at = current.created_at;
        session.expires_at = current.expires_at;
        session.second_factor_at = current.second_factor_at;
        issued.expires_at = current.expires_at;
        session.acting_for_kind = acting.as_ref().map(|a| a.kind.key().to_owned());
        session.acting_for_id = acting.as_ref().map(|a| a.id);
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::revoke_session(&txn, &user.session_hash, now).await?;
        tongban_store::identity::insert_session(&txn, session).await?;
        let record = AuditRecord {
            on_behalf_of: acting.as_ref().map(|a| a.id),
            target: acting
                .as_ref()
                .map(|a| format!("{}:{}", a.kind.key(), a.id)),
            detail: serde_json::json!({
                "from": user.acting_for.as_ref().map(|a| a.id),
            }),
            ..audit_record(
                now,
                Some(user.account_id),
                "agency.switch",
                "success",
                origin,
            )
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(issued)
    }

    /// The principals the user manages (themselves, and enterprises they represent) with their
    /// live mandates and history.
    pub async fn agents_overview(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
    ) -> Result<Vec<PrincipalMandates>, StoreError> {
        let now = clock.now();
        if user.kind != AccountKind::Person {
            return Ok(Vec::new());
        }
        let mut principals = vec![(
            PrincipalKind::Person,
            user.account_id,
            user.display_name.clone(),
            None,
        )];
        principals.extend(self.my_enterprises(user).await?.into_iter().map(|e| {
            (
                PrincipalKind::Enterprise,
                e.id,
                e.name,
                Some(mask_code(&e.credit_code)),
            )
        }));
        let mut overview = Vec::with_capacity(principals.len());
        for (kind, id, name, masked_credit_code) in principals {
            let mut live = Vec::new();
            let mut history = Vec::new();
            for row in tongban_store::agency::mandates_of_principal(
                &self.db,
                kind.key(),
                id,
                MANDATES_SHOWN,
            )
            .await?
            {
                let view = self.mandate_view(&row, now).await?;
                if view.status == MandateStatus::Live {
                    live.push(view);
                } else {
                    history.push(view);
                }
            }
            overview.push(PrincipalMandates {
                kind,
                id,
                name,
                masked_credit_code,
                live,
                history,
            });
        }
        Ok(overview)
    }

    async fn mandate_view(
        &self,
        row: &MandateRow,
        now: DateTime<Utc>,
    ) -> Result<MandateView, StoreError> {
        let agent = tongban_store::identity::account_by_id(&self.db, row.agent_account_id).await?;
        let agent_masked_mobile = agent
            .as_ref()
            .and_then(|a| a.phone_ciphertext.as_ref())
            .and_then(|c| self.cipher.decrypt(PHONE_FIELD, c).ok())
            .map(|plain| {
                MobileNumber::parse(&plain).map_or_else(|_| mask_generic(&plain), |m| m.to_string())
            })
            .unwrap_or_default();
        Ok(MandateView {
            id: row.id,
            agent_name: agent.map(|a| a.display_name).unwrap_or_default(),
            agent_masked_mobile,
            scopes: scopes_of(&row.scopes),
            created_at: row.created_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
            status: status_of(row, now),
        })
    }

    /// What the data download says about enterprises and mandates: the user's enterprises,
    /// the mandates they gave (for themselves and their enterprises) and those they hold.
    pub(crate) async fn agency_export(
        &self,
        account_id: Uuid,
    ) -> Result<serde_json::Value, StoreError> {
        let enterprises =
            tongban_store::agency::enterprises_represented_by(&self.db, account_id).await?;
        let mandate_json = |m: &MandateRow| {
            serde_json::json!({
                "id": m.id,
                "principal_kind": m.principal_kind,
                "principal_id": m.principal_id,
                "agent_account_id": m.agent_account_id,
                "scopes": m.scopes,
                "created_at": m.created_at,
                "expires_at": m.expires_at,
                "revoked_at": m.revoked_at,
            })
        };
        let mut given = Vec::new();
        for (kind, id) in std::iter::once((PERSON, account_id))
            .chain(enterprises.iter().map(|e| (ENTERPRISE, e.id)))
        {
            for m in
                tongban_store::agency::mandates_of_principal(&self.db, kind, id, 10_000).await?
            {
                given.push(mandate_json(&m));
            }
        }
        let held = tongban_store::agency::mandates_of_agent(&self.db, account_id, 10_000)
            .await?
            .iter()
            .map(mandate_json)
            .collect::<Vec<_>>();
        Ok(serde_json::json!({
            "enterprises": enterprises.iter().map(|e| serde_json::json!({
                "id": e.id,
                "name": e.name,
                "credit_code": e.credit_code,
                "legal_representative_name": e.legal_representative_name,
                "status": e.status,
                "created_at": e.created_at,
            })).collect::<Vec<_>>(),
            "mandates_given": given,
            "mandates_held": held,
        }))
    }

    /// Adds the demo enterprises and mandates once: a mandate is added only if its principal and
    /// agent were never joined before, so a revoked demo mandate stays revoked.
    pub(crate) async fn seed_demo_agency(
        &self,
        demo: &super::DemoAccounts,
        region: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), super::SeedError> {
        use super::SeedError;
        let person = |mobile: &str| {
            let mobile = mobile.to_owned();
            async move {
                let number = MobileNumber::parse(&mobile)
                    .map_err(|e| SeedError::Invalid(format!("{mobile}: {e}")))?;
                tongban_store::identity::find_by_login(
                    &self.db,
                    &LoginKey::PhoneIndex(self.index.of(MOBILE_INDEX, number.as_str())),
                )
                .await?
                .ok_or_else(|| SeedError::Invalid(format!("{mobile}: no such demo person")))
            }
        };
        for e in &demo.enterprises {
            let code = CreditCode::parse(&e.credit_code)
                .map_err(|err| SeedError::Invalid(format!("{}: {err}", e.name)))?;
            if tongban_store::agency::enterprise_by_credit_code(&self.db, code.as_str())
                .await?
                .is_some()
            {
                continue;
            }
            let representative = person(&e.legal_representative).await?;
            let row = EnterpriseRow {
                id: Uuid::now_v7(),
                region_id: Some(region),
                name: e.name.clone(),
                credit_code: code.as_str().to_owned(),
                legal_representative_account_id: representative.id,
                legal_representative_name: representative.display_name.clone(),
                status: "active".to_owned(),
                created_at: now,
                updated_at: now,
            };
            match tongban_store::agency::insert_enterprise(&self.db, row).await {
                Ok(()) | Err(StoreError::Duplicate(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        for m in &demo.mandates {
            let (kind, principal_id, granter) = match (&m.enterprise, &m.person) {
                (Some(code), None) => {
                    let found = tongban_store::agency::enterprise_by_credit_code(&self.db, code)
                        .await?
                        .ok_or_else(|| {
                            SeedError::Invalid(format!("{code}: no such demo enterprise"))
                        })?;
                    (
                        PrincipalKind::Enterprise,
                        found.id,
                        found.legal_representative_account_id,
                    )
                }
                (None, Some(mobile)) => {
                    let principal = person(mobile).await?;
                    (PrincipalKind::Person, principal.id, principal.id)
                }
                _ => {
                    return Err(SeedError::Invalid(
                        "a demo mandate names one enterprise or one person".into(),
                    ));
                }
            };
            let agent = person(&m.agent).await?;
            if tongban_store::agency::any_mandate(&self.db, kind.key(), principal_id, agent.id)
                .await?
            {
                continue;
            }
            let scopes = m
                .scopes
                .iter()
                .map(|s| {
                    Scope::from_key(s)
                        .map(|s| serde_json::Value::from(s.key()))
                        .ok_or_else(|| SeedError::Invalid(format!("unknown scope {s}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let row = MandateRow {
                id: Uuid::now_v7(),
                principal_kind: kind.key().to_owned(),
                principal_id,
                agent_account_id: agent.id,
                scopes: serde_json::Value::Array(scopes),
                expires_at: now + Duration::days(365),
                created_by: granter,
                created_at: now,
                revoked_at: None,
                revoked_by: None,
            };
            match tongban_store::agency::insert_mandate(&self.db, row).await {
                Ok(()) | Err(StoreError::Duplicate(_)) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }
}

/// The last day a mandate holds, as `YYYY-MM-DD` in the region's zone.
pub fn end_of_day_label(expires_at: DateTime<Utc>) -> String {
    (expires_at.with_timezone(&region_zone()) - Duration::seconds(1))
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_end_of_the_chosen_local_day_and_at_most_three_years_ahead() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let end = check_expiry(Some(day), now).unwrap();
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap());
        assert_eq!(end_of_day_label(end), "2026-12-31");
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert!(
            check_expiry(Some(today), now).is_ok(),
            "today still holds until midnight"
        );
        assert!(matches!(
            check_expiry(Some(today.pred_opt().unwrap()), now),
            Err(MandateError::ExpiryPast)
        ));
        assert!(check_expiry(NaiveDate::from_ymd_opt(2029, 11, 26), now).is_ok());
        assert!(matches!(
            check_expiry(NaiveDate::from_ymd_opt(2029, 11, 27), now),
            Err(MandateError::ExpiryTooFar)
        ));
        assert!(matches!(
            check_expiry(None, now),
            Err(MandateError::ExpiryMissing)
        ));
    }

    #[test]
    fn scopes_round_trip_and_unknown_ones_are_dropped() {
        for scope in Scope::ALL {
            assert_eq!(Scope::from_key(scope.key()), Some(scope));
        }
        let json = serde_json::json!(["pay", "apply", "root", "apply"]);
        assert_eq!(scopes_of(&json), vec![Scope::Apply, Scope::Pay]);
    }
}
