## Administration: the tools index and staff accounts (crates/tongban-web/src/admin).

admin-title = Administration
admin-tool-staff = Staff accounts
admin-tool-staff-hint = Create staff accounts, grant and revoke roles, disable accounts, reset sign-in credentials.
no-access-title = You do not have access
no-access-message = Your account does not have the rights this page needs. Ask your organisation's security administrator if you need them.

staff-title = Staff accounts
staff-intro = The staff accounts you manage. After a change of roles, the person must sign in again.
staff-add = Create a staff account
staff-none = There are no staff accounts for you to manage.
staff-table-caption = Staff accounts and their roles
staff-name = Name
staff-username = User name
staff-department = Department
staff-roles = Roles
staff-status = Status
staff-region-wide = Whole region (no department)
staff-active = Active
staff-disabled = Disabled
staff-enrolled = Enrolled
staff-not-enrolled = No authenticator yet
staff-authenticator = Authenticator
staff-password = Password
staff-password-must-change = Must replace the administrator's password at first sign-in
staff-no-roles = This account holds no roles.
staff-actions = Account actions
staff-revoke = Revoke
staff-grant-title = Grant a role
staff-grant-hint = No account may hold two of system administrator, security administrator and auditor (separation of duties).
staff-grant-department-hint = Department roles apply in the department chosen; leave it to use the person's own department.
staff-grant = Grant role
staff-disable = Disable account
staff-disable-hint = The account is signed out everywhere at once and cannot sign in until it is enabled again.
staff-enable = Enable account again
staff-reset = Reset sign-in credentials
staff-reset-hint = For a forgotten password or a lost phone: makes a new initial password and removes the authenticator and recovery codes. The person enrols an authenticator again.

staff-new-title = Create a staff account
staff-new-intro = Staff cannot register themselves. A one-time initial password is made for the new account: hand it over in person or by a secure channel. At first sign-in the person chooses their own password and enrols an authenticator.
staff-username-hint = 3 to 32 lower-case letters, digits, dots, underscores or hyphens, starting with a letter, for example zhang.wei.
staff-roles-hint = Choose at least one role. Only the roles you may grant are shown.
staff-role-departmental = (in the account's department)
staff-create = Create account

staff-initial-title = Initial password
staff-initial-intro = This password is shown only this once and is not stored in clear. Hand it to the person; do not send it by SMS or e-mail.
staff-initial-next = At first sign-in the person enrols an authenticator and chooses their own password.
staff-created = Staff account { $username } created.
staff-reset-done = Sign-in credentials of { $username } reset; all their sessions have ended.
staff-back-to-member = View the account

staff-done-granted = Role granted. The person must sign in again.
staff-done-revoked = Role revoked. The person must sign in again.
staff-done-disabled = Account disabled and signed out everywhere.
staff-done-enabled = Account enabled again.

staff-error-username-format = The user name must be 3 to 32 lower-case letters, digits, dots, underscores or hyphens, starting with a letter
staff-error-username-taken = This user name is taken: choose another
staff-error-name = Enter the person's name
staff-error-department = Choose a department of this region
staff-error-roles-missing = Choose at least one role
staff-error-role-not-grantable = You may not grant this role
staff-error-role-needs-department = A department role needs a department: choose one
staff-error-separation = System administrator, security administrator and auditor cannot be held by one account, and an auditor holds no other role
staff-error-own-account = Administrators cannot change the roles or status of their own account: ask another administrator.

password-required-notice = An administrator set your password. Before you go on, choose a new password that only you know.
password-expired-notice = Your password is older than this platform allows for staff. Before you go on, choose a new one.

admin-tool-oidc = Single sign-on clients
admin-tool-oidc-hint = Register the department systems that sign people in with Tongban (OpenID Connect); switch them off or issue new secrets.
admin-tool-audit = Audit trail
admin-tool-audit-hint = Read what was done in this region, and check that the trail was not tampered with.
audit-title = Audit trail
audit-intro = Every recorded action of this region, newest first. Each entry's hash covers the one before it, so any change or deletion is found by the check. Your reading is recorded too.
audit-verify = Check the trail's integrity
audit-verify-hint = Recomputes the whole hash chain; a long trail takes a moment.
audit-chain-intact = The trail is intact: none of its { $count } entries was changed or removed.
audit-chain-broken = The trail was tampered with: the hash chain breaks at entry { $seq }. Report this to security management at once.
audit-action = Action
audit-action-hint = Filters by how the action starts, for example identity.login or identity.
audit-outcome = Outcome
audit-outcome-any = Any
audit-outcome-success = Success
audit-outcome-failure = Failure
audit-outcome-denied = Refused
audit-filter = Filter
audit-none = No entries match.
audit-caption = Recorded actions, newest first
audit-when = When
audit-who = Who
audit-for = for { $name }
audit-from = From
audit-detail = Details
audit-older = Older entries
