# Notification templates: English.

register-code-sms = [{ $site }] Your registration code is { $code }. It is valid for { $minutes } minutes. Staff will never ask you for it; do not share it.

welcome-title = Welcome to { $site }
welcome-body = Your account is ready. Use this one account for the services of every department. In "Your account" you can see where you are signed in, change your password and download your data.

id-dispute-title = Someone tried to register with your ID number
id-dispute-body = Someone tried to register a new account with your ID number. It did not succeed and your account is not affected. If it was you, just sign in. If you have any doubt, bring your ID card to any service hall to have it checked.
id-dispute-sms = [{ $site }] Someone tried to register a new account with your ID number. It did not succeed and your account is not affected. If in doubt, bring your ID card to a service hall.

sms-copy-title = Text message (demo: not really sent)
sms-copy-body = { $text }

reset-code-sms = [{ $site }] Your password reset code is { $code }. It is valid for { $minutes } minutes. If you did not ask for it, ignore this message: your password stays as it is.

password-reset-title = Your password was reset
password-reset-body = Your password was reset with a code sent to your phone, and you were signed out everywhere else. If this was not you, reset it again at once and bring your ID card to a service hall.

lockout-title = Your account was locked for a while after wrong passwords
lockout-body = Someone entered a wrong password several times in a row, so sign-in to your account is paused for a few minutes to protect it. If it was not you, sign in and change your password, and sign out everywhere in "Your account" if needed.
lockout-sms = [{ $site }] Your account was locked for a few minutes after several wrong passwords. If it was not you, change your password.

# E-mail: codes have no inbox text, so they have their own subject and body.
reset-code-email-subject = Your password reset code
reset-code-email-body = Your password reset code is { $code }. It is valid for { $minutes } minutes. Staff will never ask you for it; do not share it. If you did not ask to reset your password, ignore this e-mail: your password stays as it is.

email-verify-email-subject = Please confirm your e-mail address
email-verify-email-body = You are adding this e-mail address to your account. Your code is { $code }; it is valid for { $minutes } minutes. Enter it on the "Your account" page. If this was not you, ignore this e-mail and the address will not be added.

password-reset-email-title = Your password was reset
password-reset-email-body = Your password was reset with a code sent to your e-mail address, and you were signed out everywhere else. If this was not you, reset it again at once and bring your ID card to a service hall.

email-changed-title = Your account's e-mail address was changed
email-changed-body = Your account's e-mail address is now { $email }; codes and notifications will go there from now on. If this was not you, change your password at once and bring your ID card to a service hall.

email-removed-title = Your account's e-mail address was removed
email-removed-body = You removed the e-mail address from your account: no more notifications will go to it, and it can no longer be used to reset your password. If this was not you, change your password at once.

email-copy-title = E-mail (demo: not really sent): { $subject }
email-copy-body = { $text }

mandate-granted-title = { $principal } has authorised you to act for them
mandate-granted-body = { $principal } has authorised you to handle government services on their behalf until { $expires }. Sign in and switch under "People and enterprises I act for"; every action records who acted for whom. If you do not know who authorised you, call the service hotline.
mandate-granted-sms = [{ $site }] { $principal } has authorised you to act for them until { $expires }. Sign in and switch under "People and enterprises I act for".

mandate-revoked-title = { $principal } has withdrawn your authorisation
mandate-revoked-body = { $principal } has withdrawn your authorisation to act for them; you can no longer handle services on their behalf. If you were acting for them, you are back to acting for yourself.
mandate-revoked-sms = [{ $site }] { $principal } has withdrawn your authorisation to act for them.

enterprise-claim-title = Someone tried to register the enterprise you represent
enterprise-claim-body = Someone tried to register "{ $enterprise }" as its legal representative. You registered it already, so the attempt failed and your enterprise is not affected. If in doubt, contact the market regulation department or the service hotline.
enterprise-claim-sms = [{ $site }] Someone tried to register your enterprise "{ $enterprise }". It failed; your enterprise is not affected.

# Online applications
case-submitted-title = Your application was sent: { $tracking_number }
case-submitted-body = Your application for { $service } was sent; its tracking number is { $tracking_number }. We will tell you when it is accepted, if anything needs correcting, and when it is done; you can follow it under "Your applications" at any time.
case-submitted-sms = [{ $site }] Your application for { $service } was sent. Tracking number { $tracking_number }; please keep it.
draft-expiring-title = Your unsent application will be deleted soon
draft-expiring-body = Your unsent application for { $service } will be deleted on { $expires }. To go on with it, sign in before then and continue it under "Your applications".

# Case progress
case-update-title = Case { $tracking_number }: { $action }
case-update-body = Your application for "{ $service }" (tracking number { $tracking_number }): { $action }. It is now at: { $state }. { $tell } { $comment } See its progress and documents under "Your applications".
case-update-sms = Your application { $tracking_number } ("{ $service }"): { $action }, now at { $state }. Sign in for details.
case-message-title = A message about case { $tracking_number }
case-message-body = The staff handling "{ $service }" wrote to you: { $text }
case-deadline-title = Case { $tracking_number } is near or past its time limit
case-deadline-body = Case { $tracking_number } is due on { $due_on }: { $days } working days left (negative means overdue). Please act on it.
certificate-revoked-title = Your e-certificate has been revoked
certificate-revoked-body = The issuing department has revoked your "{ $certificate }". Reason: { $reason }. A revoked certificate no longer passes verification. If you disagree, contact the issuing department; you may also apply for administrative reconsideration or bring an administrative lawsuit.
