//! Staff administration: accounts for civil servants are created by administrators, never by
//! self-registration, and roles are granted within the administrator's own tenant.
//!
//! Who may do what (DOMAIN.md, "Roles"; docs/access.md has the route table):
//! - a **security administrator** (安全管理员) manages every staff account of their region and
//!   grants any role there;
//! - a **department administrator** manages the staff of their own department who hold only
//!   the department's working roles (clerk, reviewer, approver, content editor), and grants
//!   only those roles, only in that department;
//! - nobody administers their own account, and no account ends up holding two of the three
//!   separated administrator roles (三员分立).
//!
//! An account outside the caller's scope is answered exactly like one that does not exist, so
//! changing an id in a URL tells nothing. Every change is audited in the same transaction, and a
//! change of rights ends the target's sessions, so new rights start with a fresh sign-in.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tongban_domain::Locale;
use tongban_domain::access::{Role, SeparationError, check_separation};
use tongban_domain::clock::Clock;
use tongban_domain::identity::PersonName;
use tongban_store::audit::AuditRecord;
use tongban_store::identity::{AccountRow, NewAccount, RoleRow};
use tongban_store::sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{AccountKind, CurrentUser, Identity, Origin, audit_record, sea_orm_custom};
use crate::StoreError;
use crate::crypto::random_bytes;

/// The roles a department administrator may grant, in their own department only.
pub const DEPARTMENT_GRANTABLE: [Role; 4] = [
    Role::FrontDeskClerk,
    Role::Reviewer,
    Role::Approver,
    Role::ContentEditor,
];

/// Where an administrator's rights over staff reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffScope {
    /// Security administrator: the whole region.
    Region { region_id: Uuid },
    /// Department administrator: the working staff of one department.
    Department {
        region_id: Uuid,
        department_id: Uuid,
    },
}

impl StaffScope {
    pub fn region_id(self) -> Uuid {
        match self {
            StaffScope::Region { region_id } | StaffScope::Department { region_id, .. } => {
                region_id
            }
        }
    }

    /// Whether this scope may grant `role` in `department`.
    fn may_grant(self, role: Role, department: Option<Uuid>) -> bool {
        match self {
            StaffScope::Region { .. } => true,
            StaffScope::Department { department_id, .. } => {
                DEPARTMENT_GRANTABLE.contains(&role) && department == Some(department_id)
            }
        }
    }

    /// The roles offered on this scope's forms.
    pub fn grantable_roles(self) -> Vec<Role> {
        match self {
            StaffScope::Region { .. } => Role::ALL.to_vec(),
            StaffScope::Department { .. } => DEPARTMENT_GRANTABLE.to_vec(),
        }
    }
}

/// The staff-administration scope of a signed-in user, if any. A security administrator's
/// region scope wins over a department scope they may also hold.
pub fn staff_scope(user: &CurrentUser) -> Option<StaffScope> {
    if user.kind != AccountKind::Staff {
        return None;
    }
    let region = user
        .roles
        .iter()
        .find(|g| g.role == Role::SecurityAdmin)
        .map(|g| StaffScope::Region {
            region_id: g.region_id,
        });
    region.or_else(|| {
        user.roles.iter().find_map(|g| match g {
            g if g.role == Role::DepartmentAdmin => {
                g.department_id.map(|department_id| StaffScope::Department {
                    region_id: g.region_id,
                    department_id,
                })
            }
            _ => None,
        })
    })
}

/// A department as administrators pick it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentChoice {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// One role an account holds, with the id used to revoke it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    pub assignment_id: Uuid,
    pub role: Role,
    pub department: Option<DepartmentChoice>,
}

/// A staff account as administrators see it (staff carry no personal identifiers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: Uuid,
    pub username: String,
    pub name: String,
    pub department: Option<DepartmentChoice>,
    pub roles: Vec<HeldRole>,
    pub active: bool,
    pub authenticator_enrolled: bool,
    pub password_must_change: bool,
    pub created_at: DateTime<Utc>,
}

/// The staff an administrator manages, and what their forms offer.
#[derive(Debug, Clone)]
pub struct StaffDirectory {
    pub scope: StaffScope,
    pub staff: Vec<StaffMember>,
    pub departments: Vec<DepartmentChoice>,
}

/// A staff account to create.
#[derive(Debug, Clone, Default)]
pub struct NewStaff {
    pub username: String,
    pub name: String,
    /// Ignored for department administrators, whose staff join their own department.
    pub department_id: Option<Uuid>,
    pub roles: Vec<Role>,
}

/// A password an administrator hands over once; the owner must replace it at first sign-in.
#[derive(Debug, Clone)]
pub struct InitialPassword {
    pub account_id: Uuid,
    pub username: String,
    pub password: String,
}

/// What is wrong with a field of a staff form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffProblem {
    UsernameFormat,
    UsernameTaken,
    NameInvalid,
    DepartmentUnknown,
    RolesMissing,
    RoleNotGrantable,
    RoleNeedsDepartment,
    Separation,
}

#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The caller administers no staff at all.
    #[error("the caller may not administer staff")]
    Forbidden,
    /// No such account in the caller's scope (the same answer whether it exists elsewhere).
    #[error("no such staff account in the caller's scope")]
    NotFound,
    /// Administrators do not change their own rights or status.
    #[error("administrators cannot administer their own account")]
    OwnAccount,
    #[error("invalid staff form: {0:?}")]
    Invalid(Vec<(&'static str, StaffProblem)>),
    #[error(transparent)]
    Separation(#[from] SeparationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// User names: lower-case ASCII starting with a letter, so they never look like the mobile or
/// ID numbers people sign in with.
pub fn valid_username(username: &str) -> bool {
    let bytes = username.as_bytes();
    (3..=32).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(b))
}

/// Four groups of four characters from an alphabet without look-alikes (no 0/O, 1/l/I, 8/B):
/// about 91 bits, read aloud or typed without mistakes, and every class the strict policy asks.
fn generate_initial_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY2345679";
    let bytes: [u8; 16] =
        random_bytes().map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
    let mut groups: Vec<String> = bytes
        .chunks(4)
        .map(|chunk| {
            chunk
                .iter()
                .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
                .collect()
        })
        .collect();
    // Guarantee a digit, an upper and a lower case letter whatever the draw.
    groups[0].replace_range(0..1, "a");
    groups[1].replace_range(0..1, "K");
    groups[2].replace_range(0..1, "7");
    Ok(groups.join("-"))
}

impl Identity {
    /// The departments of a region, named in `locale`.
    pub async fn department_choices(
        &self,
        region_id: Uuid,
        locale: Locale,
    ) -> Result<Vec<DepartmentChoice>, StoreError> {
        let rows = tongban_store::identity::departments_of(&self.db, region_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let name =
                    serde_json::from_value::<tongban_domain::catalog::Department>(row.content)
                        .map(|d| d.name.get(locale).to_owned())
                        .unwrap_or_else(|_| row.code.clone());
                DepartmentChoice {
                    id: row.id,
                    code: row.code,
                    name,
                }
            })
            .collect())
    }

    /// The staff the caller manages, by user name.
    pub async fn staff_directory(
        &self,
        user: &CurrentUser,
        locale: Locale,
    ) -> Result<StaffDirectory, StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let departments = self.department_choices(scope.region_id(), locale).await?;
        let department_filter = match scope {
            StaffScope::Region { .. } => None,
            StaffScope::Department { department_id, .. } => Some(department_id),
        };
        let accounts =
            tongban_store::identity::staff_of(&self.db, scope.region_id(), department_filter)
                .await?;
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.id).collect();
        let mut roles: HashMap<Uuid, Vec<RoleRow>> = HashMap::new();
        for row in tongban_store::identity::roles_of_accounts(&self.db, &ids).await? {
            roles.entry(row.account_id).or_default().push(row);
        }
        let staff = accounts
            .into_iter()
            .filter_map(|account| {
                let held = roles.remove(&account.id).unwrap_or_default();
                manages(scope, user, &account, &held).then(|| member(account, held, &departments))
            })
            .collect();
        Ok(StaffDirectory {
            scope,
            staff,
            departments,
        })
    }

    /// One staff account the caller manages.
    pub async fn staff_member(
        &self,
        user: &CurrentUser,
        staff_id: Uuid,
        locale: Locale,
    ) -> Result<(StaffScope, StaffMember, Vec<DepartmentChoice>), StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let (account, held) = self.managed(scope, user, staff_id).await?;
        let departments = self.department_choices(scope.region_id(), locale).await?;
        Ok((scope, member(account, held, &departments), departments))
    }

    /// The account `staff_id` with its roles, if the caller manages it.
    async fn managed(
        &self,
        scope: StaffScope,
        user: &CurrentUser,
        staff_id: Uuid,
    ) -> Result<(AccountRow, Vec<RoleRow>), StaffError> {
        let account = tongban_store::identity::account_by_id(&self.db, staff_id)
            .await?
            .ok_or(StaffError::NotFound)?;
        let held = tongban_store::identity::roles_of(&self.db, staff_id).await?;
        if !manages(scope, user, &account, &held) {
            return Err(StaffError::NotFound);
        }
        Ok((account, held))
    }

    /// Creates a staff account with its first roles and an initial password the administrator
    /// hands over; the new member must choose their own password and enrol an authenticator at
    /// first sign-in.
    pub async fn create_staff(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
        new: &NewStaff,
    ) -> Result<InitialPassword, StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        self.create_staff_in(clock, scope, Some(user.account_id), origin, new)
            .await
    }

    /// Creates a staff account from the command line of the server (`tongban staff add`): how a
    /// new deployment gets its first security administrator. Whoever runs it already holds the
    /// server; the audit entry says the account came from the console.
    pub async fn create_staff_from_console(
        &self,
        clock: &dyn Clock,
        region_code: &str,
        new: &NewStaff,
    ) -> Result<InitialPassword, StaffError> {
        let region_id = tongban_store::catalog::region_id(&self.db, region_code)
            .await?
            .ok_or(StaffError::NotFound)?;
        let origin = Origin {
            ip: None,
            user_agent: Some("tongban staff add".to_owned()),
        };
        self.create_staff_in(clock, StaffScope::Region { region_id }, None, &origin, new)
            .await
    }

    async fn create_staff_in(
        &self,
        clock: &dyn Clock,
        scope: StaffScope,
        actor: Option<Uuid>,
        origin: &Origin,
        new: &NewStaff,
    ) -> Result<InitialPassword, StaffError> {
        let now = clock.now();
        let username = new.username.trim().to_lowercase();
        let mut problems = Vec::new();
        if !valid_username(&username) {
            problems.push(("username", StaffProblem::UsernameFormat));
        }
        let name = PersonName::parse(&new.name);
        if name.is_err() {
            problems.push(("name", StaffProblem::NameInvalid));
        }
        let department = match scope {
            StaffScope::Department { department_id, .. } => Some(department_id),
            StaffScope::Region { region_id } => match new.department_id {
                None => None,
                Some(id) => {
                    let known = tongban_store::identity::departments_of(&self.db, region_id)
                        .await?
                        .iter()
                        .any(|d| d.id == id);
                    if !known {
                        problems.push(("department", StaffProblem::DepartmentUnknown));
                    }
                    Some(id)
                }
            },
        };
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            problems.push(("roles", StaffProblem::RolesMissing));
        }
        for role in &roles {
            let role_department = role.is_departmental().then_some(department).flatten();
            if role.is_departmental() && role_department.is_none() {
                problems.push(("roles", StaffProblem::RoleNeedsDepartment));
            } else if !scope.may_grant(*role, role_department) {
                problems.push(("roles", StaffProblem::RoleNotGrantable));
            }
        }
        if check_separation(&roles).is_err() {
            problems.push(("roles", StaffProblem::Separation));
        }
        let name = match name {
            Ok(name) if problems.is_empty() => name,
            _ => {
                problems.dedup();
                return Err(StaffError::Invalid(problems));
            }
        };
        let password = generate_initial_password()?;
        let hash = self
            .passwords
            .hash(&password)
            .await
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let account_id = Uuid::now_v7();
        let region_id = scope.region_id();
        let account = NewAccount {
            id: account_id,
            kind: AccountKind::Staff.key(),
            username: Some(username.clone()),
            display_name: name.as_str().to_owned(),
            id_doc_kind: None,
            id_doc_ciphertext: None,
            id_doc_index: None,
            phone_ciphertext: None,
            phone_index: None,
            email: None,
            password_hash: hash.clone(),
            region_id: Some(region_id),
            department_id: department,
            privacy_version: None,
            totp_secret_ciphertext: None,
        };
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        match tongban_store::identity::insert_account(&txn, &account, now).await {
            Ok(()) => {}
            Err(StoreError::Duplicate(_)) => {
                return Err(StaffError::Invalid(vec![(
                    "username",
                    StaffProblem::UsernameTaken,
                )]));
            }
            Err(other) => return Err(other.into()),
        }
        tongban_store::identity::reset_credentials(&txn, account_id, &hash, now).await?;
        for role in &roles {
            let scope_department = role.is_departmental().then_some(department).flatten();
            tongban_store::identity::grant_role(
                &txn,
                account_id,
                role.key(),
                region_id,
                scope_department,
                actor,
                now,
            )
            .await?;
        }
        let record = AuditRecord {
            region_id: Some(region_id),
            target: Some(account_id.to_string()),
            detail: serde_json::json!({
                "username": username,
                "department": department,
                "roles": roles.iter().map(|r| r.key()).collect::<Vec<_>>(),
                "via": if actor.is_some() { "web" } else { "console" },
            }),
            ..audit_record(now, actor, "identity.staff-create", "success", origin)
        };
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(InitialPassword {
            account_id,
            username,
            password,
        })
    }

    /// Grants `role` (in `department` for departmental roles) to a staff member.
    pub async fn grant_staff_role(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
        staff_id: Uuid,
        role: Role,
        department: Option<Uuid>,
    ) -> Result<(), StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let (account, held) = self.managed(scope, user, staff_id).await?;
        if account.id == user.account_id {
            return Err(StaffError::OwnAccount);
        }
        let department = if role.is_departmental() {
            let Some(department) = department.or(account.department_id) else {
                return Err(StaffError::Invalid(vec![(
                    "department",
                    StaffProblem::RoleNeedsDepartment,
                )]));
            };
            let known = tongban_store::identity::departments_of(&self.db, scope.region_id())
                .await?
                .iter()
                .any(|d| d.id == department);
            if !known {
                return Err(StaffError::Invalid(vec![(
                    "department",
                    StaffProblem::DepartmentUnknown,
                )]));
            }
            Some(department)
        } else {
            None
        };
        if !scope.may_grant(role, department) {
            return Err(StaffError::Invalid(vec![(
                "role",
                StaffProblem::RoleNotGrantable,
            )]));
        }
        let mut roles: Vec<Role> = held
            .iter()
            .filter_map(|r| Role::from_key(&r.role))
            .collect();
        roles.push(role);
        check_separation(&roles)?;
        let now = clock.now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::grant_role(
            &txn,
            staff_id,
            role.key(),
            scope.region_id(),
            department,
            Some(user.account_id),
            now,
        )
        .await?;
        let ended = tongban_store::identity::revoke_all_sessions(&txn, staff_id, now).await?;
        let record = self.staff_record(
            user,
            origin,
            now,
            scope,
            "identity.role-grant",
            staff_id,
            serde_json::json!({
                "role": role.key(),
                "department": department,
                "sessions_ended": ended,
            }),
        );
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Revokes one role assignment of a staff member.
    pub async fn revoke_staff_role(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
        staff_id: Uuid,
        assignment_id: Uuid,
    ) -> Result<(), StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let (account, held) = self.managed(scope, user, staff_id).await?;
        if account.id == user.account_id {
            return Err(StaffError::OwnAccount);
        }
        let Some(assignment) = held.iter().find(|r| r.id == assignment_id) else {
            return Err(StaffError::NotFound);
        };
        let role = Role::from_key(&assignment.role);
        if !role.is_some_and(|role| scope.may_grant(role, assignment.department_id)) {
            return Err(StaffError::Invalid(vec![(
                "role",
                StaffProblem::RoleNotGrantable,
            )]));
        }
        let now = clock.now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        if !tongban_store::identity::revoke_role(&txn, staff_id, assignment_id).await? {
            return Err(StaffError::NotFound);
        }
        let ended = tongban_store::identity::revoke_all_sessions(&txn, staff_id, now).await?;
        let record = self.staff_record(
            user,
            origin,
            now,
            scope,
            "identity.role-revoke",
            staff_id,
            serde_json::json!({
                "role": assignment.role,
                "department": assignment.department_id,
                "sessions_ended": ended,
            }),
        );
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Disables or re-enables a staff account; disabling ends its sessions at once.
    pub async fn set_staff_active(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
        staff_id: Uuid,
        active: bool,
    ) -> Result<(), StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let (account, _) = self.managed(scope, user, staff_id).await?;
        if account.id == user.account_id {
            return Err(StaffError::OwnAccount);
        }
        let now = clock.now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::set_status(
            &txn,
            staff_id,
            if active { "active" } else { "disabled" },
            now,
        )
        .await?;
        let ended = tongban_store::identity::revoke_all_sessions(&txn, staff_id, now).await?;
        let record = self.staff_record(
            user,
            origin,
            now,
            scope,
            if active {
                "identity.staff-enable"
            } else {
                "identity.staff-disable"
            },
            staff_id,
            serde_json::json!({ "sessions_ended": ended }),
        );
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Replaces a staff member's password with a new initial one and removes their
    /// authenticator and recovery codes (a lost phone, a forgotten password): they sign in with
    /// what the administrator hands over, choose a password and enrol again.
    pub async fn reset_staff_credentials(
        &self,
        clock: &dyn Clock,
        user: &CurrentUser,
        origin: &Origin,
        staff_id: Uuid,
    ) -> Result<InitialPassword, StaffError> {
        let scope = staff_scope(user).ok_or(StaffError::Forbidden)?;
        let (account, _) = self.managed(scope, user, staff_id).await?;
        if account.id == user.account_id {
            return Err(StaffError::OwnAccount);
        }
        let password = generate_initial_password()?;
        let hash = self
            .passwords
            .hash(&password)
            .await
            .map_err(|e| StoreError::Db(sea_orm_custom(e.to_string())))?;
        let now = clock.now();
        let txn = self.db.begin().await.map_err(StoreError::from)?;
        tongban_store::identity::reset_credentials(&txn, staff_id, &hash, now).await?;
        let ended = tongban_store::identity::revoke_all_sessions(&txn, staff_id, now).await?;
        let record = self.staff_record(
            user,
            origin,
            now,
            scope,
            "identity.staff-credentials-reset",
            staff_id,
            serde_json::json!({ "sessions_ended": ended }),
        );
        tongban_store::audit::append(&txn, &record).await?;
        txn.commit().await.map_err(StoreError::from)?;
        Ok(InitialPassword {
            account_id: staff_id,
            username: account.username.unwrap_or_default(),
            password,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn staff_record(
        &self,
        user: &CurrentUser,
        origin: &Origin,
        now: DateTime<Utc>,
        scope: StaffScope,
        action: &str,
        staff_id: Uuid,
        detail: serde_json::Value,
    ) -> AuditRecord {
        AuditRecord {
            region_id: Some(scope.region_id()),
            target: Some(staff_id.to_string()),
            detail,
            ..audit_record(now, Some(user.account_id), action, "success", origin)
        }
    }
}

/// Whether `scope` reaches `account`: a staff account of the scope's region, and for a
/// department administrator one of their department that holds nothing but the department's
/// working roles (so they cannot disable a peer, a security administrator or a supervisor).
fn manages(scope: StaffScope, user: &CurrentUser, account: &AccountRow, held: &[RoleRow]) -> bool {
    if account.kind != AccountKind::Staff.key()
        || account.region_id != Some(scope.region_id())
        || account.status == "closed"
    {
        return false;
    }
    match scope {
        StaffScope::Region { .. } => true,
        StaffScope::Department { department_id, .. } => {
            account.id != user.account_id
                && account.department_id == Some(department_id)
                && held.iter().all(|r| {
                    r.department_id == Some(department_id)
                        && Role::from_key(&r.role)
                            .is_some_and(|r| DEPARTMENT_GRANTABLE.contains(&r))
                })
        }
    }
}

fn member(
    account: AccountRow,
    held: Vec<RoleRow>,
    departments: &[DepartmentChoice],
) -> StaffMember {
    let department =
        |id: Option<Uuid>| id.and_then(|id| departments.iter().find(|d| d.id == id).cloned());
    StaffMember {
        id: account.id,
        username: account.username.unwrap_or_default(),
        name: account.display_name,
        department: department(account.department_id),
        roles: held
            .into_iter()
            .filter_map(|r| {
                Some(HeldRole {
                    assignment_id: r.id,
                    role: Role::from_key(&r.role)?,
                    department: department(r.department_id),
                })
            })
            .collect(),
        active: account.status == "active",
        authenticator_enrolled: account.totp_secret_ciphertext.is_some(),
        password_must_change: account.password_must_change,
        created_at: account.created_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_cannot_pass_for_phone_or_id_numbers() {
        assert!(valid_username("sj.clerk"));
        assert!(valid_username("wang_li-2"));
        assert!(!valid_username("13800000001"));
        assert!(!valid_username("990102199003071233"));
        assert!(!valid_username("ab"));
        assert!(!valid_username("Admin"));
        assert!(!valid_username("张三"));
        assert!(!valid_username(&"a".repeat(33)));
    }

    #[test]
    fn initial_passwords_meet_the_strict_policy() {
        for _ in 0..50 {
            let password = generate_initial_password().expect("randomness");
            assert_eq!(password.len(), 19);
            assert!(
                super::super::password::PasswordPolicy::Strict
                    .check(&password, &[])
                    .is_ok(),
                "{password}"
            );
        }
    }
}
