//! Who may do what: the platform's roles and the separation-of-duties rule (三员分立).
//!
//! Rights are granted per region and, for department roles, per department; the services layer
//! checks them on every use case. This module holds the vocabulary and the pure rules.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A role an account can hold (DOMAIN.md, "Roles").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 窗口受理: receives applications at the counter, also for walk-in applicants.
    FrontDeskClerk,
    /// 审查: reviews cases routed to the department.
    Reviewer,
    /// 审批/决定: decides cases.
    Approver,
    /// 大厅: runs a service hall (appointments, queue).
    HallStaff,
    /// Writes published information.
    ContentEditor,
    /// Edits the department's services and staff rights.
    DepartmentAdmin,
    /// 督查: reads across departments and issues supervision orders.
    Supervisor,
    /// 系统管理员: platform configuration.
    SystemAdmin,
    /// 安全管理员: accounts, roles and security settings.
    SecurityAdmin,
    /// 安全审计员: reads the audit trail, nothing else.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::FrontDeskClerk,
        Role::Reviewer,
        Role::Approver,
        Role::HallStaff,
        Role::ContentEditor,
        Role::DepartmentAdmin,
        Role::Supervisor,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::Auditor,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::FrontDeskClerk => "front-desk-clerk",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::HallStaff => "hall-staff",
            Role::ContentEditor => "content-editor",
            Role::DepartmentAdmin => "department-admin",
            Role::Supervisor => "supervisor",
            Role::SystemAdmin => "system-admin",
            Role::SecurityAdmin => "security-admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.key() == key)
    }

    /// Roles exercised inside one department (the others span the region; hall staff serve
    /// every department's counters in their hall).
    pub fn is_departmental(self) -> bool {
        matches!(
            self,
            Role::FrontDeskClerk
                | Role::Reviewer
                | Role::Approver
                | Role::ContentEditor
                | Role::DepartmentAdmin
        )
    }

    /// One of the three separated administrator roles (三员).
    pub fn is_separated_admin(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Why a set of roles may not be held together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeparationError {
    #[error("{0} and {1} are separated administrator roles and cannot be held by one account")]
    SeparatedAdmins(Role, Role),
    #[error("the auditor role cannot be combined with {0}: auditors only read the audit trail")]
    AuditorCombined(Role),
}

/// Checks that an account holding `roles` respects separation of duties: at most one of the
/// system administrator, security administrator and auditor roles, and an auditor holds
/// nothing else.
pub fn check_separation(roles: &[Role]) -> Result<(), SeparationError> {
    let admins: Vec<Role> = roles
        .iter()
        .copied()
        .filter(|r| r.is_separated_admin())
        .collect();
    for pair in admins.windows(2) {
        if pair[0] != pair[1] {
            return Err(SeparationError::SeparatedAdmins(pair[0], pair[1]));
        }
    }
    if admins.contains(&Role::Auditor)
        && let Some(other) = roles.iter().copied().find(|r| *r != Role::Auditor)
    {
        return Err(SeparationError::AuditorCombined(other));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_key(role.key()), Some(role));
        }
        assert_eq!(Role::from_key("root"), None);
    }

    #[test]
    fn the_three_administrators_stay_apart() {
        assert!(check_separation(&[Role::SystemAdmin]).is_ok());
        assert!(check_separation(&[Role::Reviewer, Role::Approver, Role::DepartmentAdmin]).is_ok());
        assert_eq!(
            check_separation(&[Role::SystemAdmin, Role::SecurityAdmin]),
            Err(SeparationError::SeparatedAdmins(
                Role::SystemAdmin,
                Role::SecurityAdmin
            ))
        );
        assert_eq!(
            check_separation(&[Role::Auditor, Role::Reviewer]),
            Err(SeparationError::AuditorCombined(Role::Reviewer))
        );
        assert!(check_separation(&[Role::SecurityAdmin, Role::Supervisor]).is_ok());
    }

    proptest! {
        #[test]
        fn no_accepted_set_holds_two_separated_admin_roles(picks in proptest::collection::vec(0usize..10, 0..6)) {
            let roles: Vec<Role> = picks.into_iter().map(|i| Role::ALL[i]).collect();
            if check_separation(&roles).is_ok() {
                let mut admins: Vec<Role> = roles.iter().copied().filter(|r| r.is_separated_admin()).collect();
                admins.dedup();
                admins.sort();
                admins.dedup();
                prop_assert!(admins.len() <= 1);
                if admins == [Role::Auditor] {
                    prop_assert!(roles.iter().all(|r| *r == Role::Auditor));
                }
            }
        }
    }
}
