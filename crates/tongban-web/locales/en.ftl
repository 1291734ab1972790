# Tongban interface strings: English.

site-name = Government Services
skip-to-content = Skip to main content
demo-ribbon-title = Demo
demo-ribbon-text = All data on this site is fictional. Do not enter real personal information.
prefs-label = Language and display
elder-mode-on = Larger text mode
elder-mode-off = Standard mode
nav-label = Main navigation
nav-home = Home
nav-departments = Departments
breadcrumbs-label = You are here
list-separator = {", "}

audience-individual = For individuals
audience-individual-hint = Services for people: jobs, social insurance, marriage and family, housing, residence and certificates.
audience-enterprise = For businesses
audience-enterprise-hint = Services for companies and sole traders: registration, licences and payments.

life-event-birth = Having a baby
life-event-education = Education
life-event-employment = Work and jobs
life-event-business = Starting a business
life-event-housing = Housing
life-event-marriage = Marriage
life-event-social-security = Social insurance
life-event-retirement = Retirement
life-event-health = Health
life-event-residence = Residence
life-event-tax = Fees and taxes
life-event-intro = Services about “{ $event }”.

home-title = Home
home-service-count = Guides for { $count ->
    [one] { $count } service
   *[other] { $count } services
} are available.
home-by-audience = By who you are
home-by-life-event = By topic
home-by-department = By department
service-count = { $count ->
    [one] { $count } service
   *[other] { $count } services
}
list-empty = There are no services here yet.

department-services = Services
department-contact = Contact
department-halls = Service halls

contact-hotline = Hotline
contact-phone = Enquiries
contact-complaints = Complaints
contact-email = Email
contact-address = Address
contact-hours = Opening hours
hall-district = District
hall-directions = Getting there

footer-contact = Contact us
footer-about = About this site
footer-platform = Tongban: a one-stop government service platform, open-source software.

guide-caption = Service guide
kind-administrative-permit = Administrative permit
kind-administrative-confirmation = Administrative confirmation
kind-administrative-payment = Administrative benefit
kind-public-service = Public service
kind-other = Other administrative power
guide-department = Department
guide-audience = Who it is for
guide-channels = How to apply
guide-visits = Visits in person
guide-committed = Committed time limit
guide-statutory = Statutory time limit
guide-fee = Fee
guide-result = What you get
guide-contents = Contents
guide-conditions = Who can apply
guide-materials = What you need
guide-process = Steps
guide-fees = Fees
guide-time-limits = How long it takes
guide-where = Where and how to apply
guide-legal-basis = Legal basis
guide-faq = Questions people ask
guide-contact = Enquiries and complaints
guide-code = Service code
guide-version = Version { $version }
guide-version-since = Version { $version }

channel-online = Online
channel-hall = At a service hall
channel-online-how = Online: submit your application and documents on this platform and follow its progress at any time.
channel-hall-how = In person: bring your documents to one of the service halls below.

visits-none = No visit needed
visits-one = At most one visit
visits-many = { $count } visits

time-limit-immediate = Decided on the spot
time-limit-days = { $days ->
    [one] { $days } working day
   *[other] { $days } working days
}
time-limit-note = Time limits count working days, not public holidays; time waiting for corrected documents or a lawful suspension does not count.

materials-none = You do not need to provide any documents.
material-name = Document
material-how = How to provide it
material-required = Required
material-copies = Paper copies
material-mandatory = Required
material-optional = If it applies to you
material-no-paper = None
material-copies-count = { $count }
material-form-upload = Upload a scan or show the original
material-form-field = Answer in the application form

fee-free = Free
fees-none = This service is free of charge.
fee-item = Item
fee-amount = Amount
fee-note = Notes
fee-basis = Set by

accessibility-title = Accessibility statement
accessibility-intro = We want everyone to be able to use this website, including older people, disabled people and people who speak minority languages.
accessibility-standard-title = Standards we follow
accessibility-standard = This website is designed and tested to meet GB/T 37668-2019 (accessibility of web content) and WCAG 2.2 level AA.
accessibility-features-title = You can
accessibility-feature-elder = switch to larger text mode at the top of every page for bigger type, more space and a simpler layout; your choice is remembered
accessibility-feature-languages = use the site in Simplified Chinese, English, Uyghur or Tibetan; Uyghur pages read right to left
accessibility-feature-nojs = do everything with JavaScript turned off
accessibility-feature-keyboard = use the whole site with a keyboard only, and skip the navigation with the “Skip to main content” link
accessibility-feature-zoom = zoom in up to 400% without losing content
accessibility-limits-title = What is not yet accessible
accessibility-limits = Some service guides are not yet translated into Uyghur and Tibetan and are shown in Chinese; we are adding the translations.
accessibility-feedback-title = Reporting problems
accessibility-feedback = If you have difficulty using this website or need information in another format, contact us below. We reply within 5 working days.

error-id = Error reference
error-back-home = Go to the home page
not-found-title = Page not found
not-found-message = The page you asked for does not exist or has been removed. If you followed a link, check that the address is right.
server-error-title = Sorry, there is a problem with the service
server-error-message = We could not handle your request and nothing you entered was lost. Try again later. If the problem continues, call the hotline and give the error reference below.
too-large-title = What you sent is too large
too-large-message = What you submitted is bigger than we accept. Compress or split the file and try again.

nav-sign-in = Sign in
nav-sign-out = Sign out
error-summary-title = There is a problem
csrf-title = This form has expired
csrf-message = To keep your account safe, this form has to be opened again before it is sent. Go back, reload the page and try again.

login-title = Sign in
login-intro = One account for the services of every department. People sign in with their mobile number or resident ID number; staff with their work user name.
login-identifier = Mobile number, ID number or staff user name
login-identifier-hint = For example 13800000001
login-password = Password
login-submit = Sign in
login-error-identifier-missing = Enter your mobile number, ID number or staff user name
login-error-password-missing = Enter your password
login-error-invalid = The account or password is not right
login-error-throttled = Too many attempts. Try again in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
login-demo-title = Demo accounts
login-demo-text = All these fictional accounts have the password { $password }.
login-demo-login = Sign in with
login-demo-who = Who

account-title = Your account
account-details = Account details
account-name = Name
account-kind = Account type
account-kind-person = Individual
account-kind-staff = Staff
account-username = User name
account-id-number = ID number
account-mobile = Mobile number
account-email = Email
account-masked-note = To protect your privacy, only some digits of your ID and mobile numbers are shown.
account-roles = Your roles
account-role = Role
account-scope = Where
account-sessions = Where you are signed in
account-sessions-intro = These browsers are signed in to your account. If you do not recognise one, sign out everywhere and change your password.
session-started = Signed in
session-last-seen = Last used
session-from = From
session-current = This browser
account-sign-out-everywhere = Sign out everywhere
account-sign-out-everywhere-hint = Every session ends, this one included.

role-front-desk-clerk = Front-desk clerk
role-reviewer = Reviewer
role-approver = Approver
role-hall-staff = Service hall staff
role-content-editor = Content editor
role-department-admin = Department administrator
role-supervisor = Supervisor
role-system-admin = System administrator
role-security-admin = Security administrator
role-auditor = Auditor

account-change-password = Change your password
account-download-data = Download your data (JSON)
account-download-hint = Your account details, your full ID and mobile numbers, where you are signed in and what you did.
account-password-changed = Your password was changed. You were signed out everywhere else.
password-title = Change your password
password-current = Current password
password-new = New password
password-new-hint = At least 10 characters. A sentence you can remember works well; do not use a common password or your name, mobile number or ID number.
password-confirm = New password again
password-submit = Change password
password-error-current-missing = Enter your current password
password-error-wrong-current = Your current password is not right
password-error-too-short = The new password must have at least { $min } characters
password-error-too-long = The new password must have no more than { $max } characters
password-error-common = This password is too common and easy to guess; choose another
password-error-too-simple = The new password needs three of: lower-case letters, capital letters, digits, symbols
password-error-personal = The new password must not contain your name, user name, mobile number, ID number or e-mail address
password-error-mismatch = The two new passwords are not the same
password-error-unchanged = The new password must differ from the current one
password-error-throttled = Too many wrong current passwords. Try again in { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}

login-no-account = No account yet?
login-register = Register
account-inbox = Your messages
inbox-title = Your messages
inbox-empty = You have no messages yet.
inbox-new = New

register-title = Create an account
register-step-1 = Step 1 of 2
register-step-2 = Step 2 of 2
register-intro = Register with your mobile number to apply online to every department. We will text you a code.
register-mobile = Mobile number
register-mobile-hint = A mainland China mobile number, for example 13800000001
register-privacy-accept = I have read and accept the
register-send-code = Send the code
register-have-account = Already have an account?
register-verify-title = Your details
register-code-sent = We have texted a code to your phone. It is valid for { $minutes } minutes.
register-demo-code = This demo sends no text messages. Your code is { $code }.
register-code = Code from the text message
register-code-hint = 6 digits
register-name = Full name
register-name-hint = As written on your ID card
register-resident-id = Document number
register-resident-id-hint = A resident ID number has 18 characters, the last may be X; for a passport or permit, as printed. It is stored encrypted and only partly shown on screen.
register-create = Create account
register-new-code = Did not get the code? Get a new one
register-hall-title = Please have your identity checked at a service hall
register-hall-intro = We cannot create your account online. To protect your information, bring your ID card to any service hall; staff will check your identity and open your account.
register-hall-bring = Bring your resident ID card and the mobile phone you registered with.
register-error-mobile = Enter a mainland China mobile number, for example 13800000001
register-error-privacy = Read and accept the privacy notice
register-error-too-soon = A code was sent moments ago. Try again in { $seconds } seconds
register-error-too-many = Too many codes for this number in the last hour. Try again later
register-error-code-wrong = The code is not right
register-error-code-expired = The code has expired. Get a new one
register-error-name = Enter your name as it is on your ID card
register-error-resident-id = Enter your 18-character resident ID number
register-error-real-name = The name does not match the ID number. Check both and try again
register-error-mobile-taken = This mobile number already has an account. Sign in instead

privacy-title = Privacy notice
privacy-version = Version { $version }
privacy-intro = This notice explains what personal information the platform collects, what it is used for, how it is protected and what your rights are. The platform processes your personal information under the Personal Information Protection Law and the Data Security Law of the People's Republic of China.
privacy-collect-title = What we collect
privacy-collect = When you register: your name, resident ID number and mobile number, and when you accepted which version of this notice. When you use the platform: when and from where you sign in, your browser, and what you do. When you apply for a service: only the documents its guide lists.
privacy-use-title = How we use it
privacy-use = To check who you are, to let you use one account for every department, to tell you how your applications progress and warn you about security events, and to keep the records the law requires. Not for anything else without your consent.
privacy-store-title = How we protect it
privacy-store = ID and mobile numbers are stored encrypted and only partly shown on screen; passwords are kept only as one-way hashes; staff see only what their duties need, and every access is recorded.
privacy-share-title = Who we share it with
privacy-share = Only the department responsible for a service you apply for, and only what it needs. Using certificates or data another department already holds needs your consent, and you can see every such use in your data-use record.
privacy-keep-title = How long we keep it
privacy-keep = Your account details are deleted or anonymised when you close your account; case and audit records the law requires are kept for the period the Archives Law and the case-archive rules set, then destroyed.
privacy-rights-title = Your rights
privacy-rights = In "Your account" you can see and download your data, change your password and sign out everywhere. To correct your details, close your account or ask about how your information is handled, contact us below.

login-forgot = Forgot your password?
reset-title = Reset your password
reset-intro = Enter the mobile number you registered with. If an account uses it, we will text you a code.
reset-send-code = Send the code
reset-verify-title = Choose a new password
reset-code-sent = If an account uses this number, a code has been sent to it. It is valid for { $minutes } minutes.
reset-submit = Reset password

account-close = Close your account
close-title = Close your account
close-intro = Once closed, you cannot sign in to this account or see its messages and records.
close-removed-title = What is deleted
close-removed = Your name, ID number, mobile number, email, password, sessions and messages. Your ID and mobile numbers can be used to register again.
close-kept-title = What is kept
close-kept = Case and audit records the law requires are kept for { $years } years and then destroyed; they no longer show your name or ID.
close-password = Enter your password to confirm
close-confirm = I understand that a closed account cannot be restored
close-submit = Close account
close-error-password = The password is not right
close-error-confirm = Confirm that you understand a closed account cannot be restored
close-error-staff = Staff accounts are closed by the security administrator; ask your department.
closed-title = Your account is closed
closed-message = Your account is closed and your personal details are deleted. Thank you for using the platform.

mfa-title = Enter your code
mfa-intro = Staff accounts need a second step. Open the authenticator app on your phone and enter the 6 digits it shows, or enter one of your recovery codes.
mfa-code = Code or recovery code
mfa-code-hint = 6 digits, new every 30 seconds
mfa-submit = Continue
mfa-error-code = The code is not right or was already used; enter the digits the app shows now
enrol-title = Set up the second step
enrol-intro = Before doing any work, staff accounts must set up an authenticator app (two-step verification).
enrol-step-app = Install an authenticator app on your phone, such as any common one-time-password app.
enrol-step-scan = Scan this QR code with the app.
enrol-step-type = If you cannot scan it, type this key into the app:
enrol-step-code = Enter the 6 digits the app shows to finish.
enrol-submit = Finish set-up
recovery-title = Keep your recovery codes
recovery-enrolled = The second step is set up.
recovery-intro = If you lose your phone or cannot use the app, sign in with one of these codes; each works once. Print them or write them down and keep them safe: this page will not show them again.
recovery-done = I have kept them: continue

# Identity documents other than the resident ID card (registration).
register-document-kind = Identity document
register-document-kind-hint = Most people use their resident ID card. Foreign nationals and residents of Hong Kong, Macao and Taiwan without one can use a passport or a mainland travel permit.
register-document-resident_id = Resident ID card
register-document-passport = Passport (foreign nationals)
register-document-hk_macao_permit = Mainland travel permit for Hong Kong and Macao residents
register-document-taiwan_permit = Mainland travel permit for Taiwan residents
register-country = Country that issued the passport (passports only)
register-country-hint = Three letters, for example GBR (United Kingdom), USA, KAZ (Kazakhstan).
register-error-document = Enter the document number as printed: H or M and 8 or 10 digits for a Hong Kong or Macao permit, 8 digits for a Taiwan permit, 5 to 20 letters or digits for a passport
register-error-country = Enter the three-letter code of the country that issued the passport, for example GBR
