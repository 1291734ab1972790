# تۇڭبەن ئارا يۈز تېكىستلىرى: ئۇيغۇرچە (Uyghur, ug).

site-name = ھۆكۈمەت ئىشلىرى مۇلازىمىتى تورى
skip-to-content = ئاساسىي مەزمۇنغا ئۆتۈش
demo-ribbon-title = كۆرسىتىش مۇھىتى
demo-ribbon-text = بۇ تور بېكەتتىكى بارلىق سانلىق مەلۇماتلار مىسال سۈپىتىدە توقۇلغان بولۇپ، پەقەت سىناپ كۆرۈش ئۈچۈنلا ئىشلىتىلىدۇ. ھەقىقىي شەخسىي ئۇچۇرلىرىڭىزنى يوللىماڭ.
prefs-label = تىل ۋە كۆرۈنۈش
elder-mode-on = ياشانغانلار ھالىتى
elder-mode-off = ئۆلچەملىك ھالەت
nav-label = ئاساسىي يېتەكلەش
nav-home = باش بەت
nav-departments = تارماقلار
breadcrumbs-label = نۆۋەتتىكى ئورنىڭىز
list-separator = {"، "}

audience-individual = شەخسىي ئىش بېجىرىش
audience-individual-hint = تەبىئىي شەخسلەرگە قارىتىلغان مۇلازىمەتلەر: ئىشقا ئورۇنلىشىش، ئىجتىمائىي سۇغۇرتا، نىكاھ ۋە تۇغۇت، تۇرالغۇ، نوپۇس ۋە ئىسپات.
audience-enterprise = قانۇنىي شەخس ئىش بېجىرىش
audience-enterprise-hint = كارخانىلار ۋە يەككە تىجارەتچىلەرگە قارىتىلغان مۇلازىمەتلەر: قۇرۇش تىزىملىتىش، تىجارەت ئىجازىتى، ھەق تاپشۇرۇش.

life-event-birth = تۇغۇت
life-event-education = مائارىپ
life-event-employment = ئىشقا ئورۇنلىشىش
life-event-business = ئىگىلىك تىكلەش
life-event-housing = تۇرالغۇ
life-event-marriage = نىكاھ
life-event-social-security = ئىجتىمائىي سۇغۇرتا
life-event-retirement = پېنسىيەگە چىقىش
life-event-health = داۋالاش ۋە سەھىيە
life-event-residence = نوپۇس ۋە ئولتۇراق
life-event-tax = ھەق ۋە باج تاپشۇرۇش
life-event-intro = «{ $event }» تېمىسىغا مۇناسىۋەتلىك مۇلازىمەت تۈرلىرى.

home-title = باش بەت
home-service-count = جەمئىي { $count } مۇلازىمەت تۈرىنىڭ ئىش بېجىرىش قوللانمىسىنى كۆرەلەيسىز.
home-by-audience = ئىش بېجىرگۈچى بويىچە
home-by-life-event = تېما بويىچە
home-by-department = تارماق بويىچە
service-count = { $count } مۇلازىمەت تۈرى
list-empty = ھازىرچە مۇلازىمەت تۈرى يوق.

department-services = مۇلازىمەت تۈرلىرى
department-contact = ئالاقىلىشىش ئۇسۇلى
department-halls = ئىش بېجىرىش زاللىرى

contact-hotline = مۇلازىمەت قىزىق لىنىيەسى
contact-phone = مەسلىھەت تېلېفونى
contact-complaints = ئەرز-شىكايەت تېلېفونى
contact-email = ئېلخەت ئادرېسى
contact-address = ئادرېس
contact-hours = ئىش ۋاقتى
hall-district = جايلاشقان رايون-ناھىيە
hall-directions = قاتناش يوليورۇقى

footer-contact = بىز بىلەن ئالاقىلىشىڭ
footer-about = بۇ تور بېكەت ھەققىدە
footer-platform = تۇڭبەن: «بىر تور ئارقىلىق تولۇق بېجىرىش» ھۆكۈمەت ئىشلىرى مۇلازىمەت سۇپىسى، ئوچۇق مەنبەلىك يۇمشاق دېتال.

guide-caption = ئىش بېجىرىش قوللانمىسى
kind-administrative-permit = مەمۇرىي ئىجازەت
kind-administrative-confirmation = مەمۇرىي جەزملەشتۈرۈش
kind-administrative-payment = مەمۇرىي تەمىنات
kind-public-service = ئاممىۋى مۇلازىمەت
kind-other = باشقا مەمۇرىي ھوقۇقلار
guide-department = ئىجرا قىلغۇچى تارماق
guide-audience = مۇلازىمەت ئوبيېكتى
guide-channels = بېجىرىش يولى
guide-visits = نەق مەيدانغا بېرىش قېتىم سانى
guide-committed = ۋەدە قىلىنغان ۋاقىت چېكى
guide-statutory = قانۇندا بەلگىلەنگەن ۋاقىت چېكى
guide-fee = ھەق ئېلىنىش ئەھۋالى
guide-result = بېجىرىش نەتىجىسى
guide-contents = بۇ بەتنىڭ مەزمۇنى
guide-conditions = قوبۇل قىلىش شەرتلىرى
guide-materials = ئىلتىماس ماتېرىياللىرى
guide-process = بېجىرىش تەرتىپى
guide-fees = ھەق ئېلىش ئۆلچىمى
guide-time-limits = بېجىرىش ۋاقىت چېكى
guide-where = بېجىرىش يولى ۋە ئورنى
guide-legal-basis = بەلگىلەنگەن قانۇنىي ئاساس
guide-faq = دائىم كۆرۈلىدىغان مەسىلىلەر
guide-contact = مەسلىھەت ۋە ئەرز-شىكايەت
guide-code = تۈر كودى
guide-version = { $version }-نەشرى
guide-version-since = نەشرى ۋە ئىجرا قىلىنىش ۋاقتى: { $version }

channel-online = توردا بېجىرىش
channel-hall = كۆزنەكتە بېجىرىش
channel-online-how = توردا بېجىرىش: ئىلتىماس ۋە ماتېرىياللارنى مۇشۇ سۇپىدا يوللاپ، بېجىرىلىش ئەھۋالىنى خالىغان ۋاقىتتا كۆرەلەيسىز.
channel-hall-how = كۆزنەكتە بېجىرىش: ئىلتىماس ماتېرىياللىرىنى ئېلىپ، تۆۋەندىكى ئىش بېجىرىش زاللىرىدا بېجىرىڭ.

visits-none = نەق مەيدانغا بېرىش ھاجەتسىز
visits-one = ئەڭ كۆپ بولغاندا بىر قېتىم بېرىش
visits-many = نەق مەيدانغا { $count } قېتىم بېرىش

time-limit-immediate = شۇ ھامان بېجىرىلىدۇ
time-limit-days = { $days } خىزمەت كۈنى
time-limit-note = ۋاقىت چېكى خىزمەت كۈنى بويىچە ھېسابلىنىدۇ، قانۇنىي بايرام ۋە دەم ئېلىش كۈنلىرى ئۇنىڭغا كىرمەيدۇ؛ ماتېرىيال تولۇقلاش ۋە قانۇن بويىچە توختىتىلغان ۋاقىتمۇ ھېسابلانمايدۇ.

materials-none = بۇ تۈر ئۈچۈن ماتېرىيال تاپشۇرۇشنىڭ ھاجىتى يوق.
material-name = ماتېرىيال نامى
material-how = تاپشۇرۇش ئۇسۇلى
material-required = زۆرۈرلۈكى
material-copies = قەغەز نۇسخا سانى
material-mandatory = زۆرۈر
material-optional = ئەھۋالغا قاراپ تاپشۇرۇلىدۇ
material-no-paper = قەغەز نۇسخا ھاجەتسىز
material-copies-count = { $count } نۇسخا
material-form-upload = ئېلېكترونلۇق نۇسخىسىنى يوللاش ياكى نەق مەيداندا كۆرسىتىش
material-form-field = ئىلتىماس جەدۋىلىگە تولدۇرۇش

fee-free = ھەقسىز
fees-none = بۇ تۈر ئۈچۈن ھېچقانداق ھەق ئېلىنمايدۇ.
fee-item = ھەق ئېلىش تۈرى
fee-amount = سومما
fee-note = ئىزاھات
fee-basis = ھەق ئېلىش ئاساسى

accessibility-title = توسالغۇسىز زىيارەت قىلىش باياناتى
accessibility-intro = بىز ياشانغانلار، مېيىپلار ۋە ئاز سانلىق مىللەت تىللىرىنى ئىشلىتىدىغان ئاممىنى ئۆز ئىچىگە ئالغان ھەر بىر كىشىنىڭ بۇ تور بېكەت ئارقىلىق ئىش بېجىرەلىشىنى ئۈمىد قىلىمىز.
accessibility-standard-title = ئەمەل قىلىنغان ئۆلچەملەر
accessibility-standard = بۇ تور بېكەت «ئۇچۇر تېخنىكىسى — ئىنتېرنېت مەزمۇنىنى توسالغۇسىز زىيارەت قىلىشقا دائىر تېخنىكىلىق تەلەپلەر ۋە سىناش ئۇسۇللىرى» (GB/T 37668-2019) ۋە WCAG 2.2 AA دەرىجىلىك تەلەپلەر بويىچە لايىھەلەنگەن ۋە سىنالغان.
accessibility-features-title = سىز قىلالايدىغان ئىشلار
accessibility-feature-elder = بەتنىڭ ئۈستى قىسمىدا «ياشانغانلار ھالىتى»گە ئالماشتۇرۇپ، تېخىمۇ چوڭ خەت، تېخىمۇ كەڭ قۇر ئارىلىقى ۋە تېخىمۇ ئاددىي بەت ئورۇنلاشتۇرۇلۇشىنى ئىشلىتەلەيسىز؛ تاللىشىڭىز ئەستە ساقلىنىدۇ.
accessibility-feature-languages = تور بېكەتنىڭ ئارا يۈز تىلىنى ئاددىيلاشتۇرۇلغان خەنزۇچە، ئىنگلىزچە، ئۇيغۇرچە ۋە زاڭزۇچە ئارىسىدا ئالماشتۇرالايسىز؛ ئۇيغۇرچە بەتلەر ئوڭدىن سولغا كۆرسىتىلىدۇ.
accessibility-feature-nojs = JavaScript تاقالغان ئەھۋالدىمۇ بارلىق مەشغۇلاتلارنى تاماملىيالايسىز.
accessibility-feature-keyboard = پۈتۈن تور بېكەتنى پەقەت كۇنۇپكا تاختىسى ئارقىلىقلا كۆرۈپ چىقالايسىز ھەمدە «ئاساسىي مەزمۇنغا ئۆتۈش» ئۇلانمىسى ئارقىلىق يېتەكلەش قىسمىدىن ئاتلاپ ئۆتەلەيسىز.
accessibility-feature-zoom = مەزمۇن يوقالماي تۇرۇپ، بەتنى ئەڭ كۆپ 400% چوڭايتالايسىز.
accessibility-limits-title = مەلۇم بولغان كەمچىلىكلەر
accessibility-limits = بىر قىسىم مۇلازىمەت تۈرلىرىنىڭ ئىش بېجىرىش قوللانمىسى تېخى ئۇيغۇرچە ۋە زاڭزۇچىگە تەرجىمە قىلىنمىدى، ھازىرچە خەنزۇچە كۆرسىتىلىدۇ؛ بىز ئۇلارنى تەدرىجىي تولۇقلاۋاتىمىز.
accessibility-feedback-title = مەسىلە ئىنكاس قىلىش
accessibility-feedback = ئىشلىتىش جەريانىدا توسالغۇغا يولۇقسىڭىز ياكى ئۇچۇرنى باشقا شەكىلدە ئېلىشقا ئېھتىياجلىق بولسىڭىز، تۆۋەندىكى ئۇسۇللار ئارقىلىق بىز بىلەن ئالاقىلىشىڭ، بىز 5 خىزمەت كۈنى ئىچىدە جاۋاب قايتۇرىمىز.

error-id = خاتالىق نومۇرى
error-back-home = باش بەتكە قايتىش
not-found-title = بەت مەۋجۇت ئەمەس
not-found-message = سىز زىيارەت قىلماقچى بولغان بەت مەۋجۇت ئەمەس ياكى ئۆچۈرۈۋېتىلگەن. ئەگەر بۇ يەرگە ئۇلانما ئارقىلىق كەلگەن بولسىڭىز، ئادرېسنىڭ توغرا-خاتالىقىنى تەكشۈرۈڭ.
server-error-title = سىستېمىدا مەسىلە كۆرۈلدى
server-error-message = كەچۈرۈڭ، سىستېما ھازىرچە تەلىپىڭىزنى بىر تەرەپ قىلالمىدى، سانلىق مەلۇماتلىرىڭىز يوقالمىدى. سەل تۇرۇپ قايتا سىناپ بېقىڭ؛ ئەگەر مەسىلە داۋاملاشسا، مۇلازىمەت قىزىق لىنىيەسىگە تېلېفون قىلىپ، تۆۋەندىكى خاتالىق نومۇرىنى بېرىڭ.
too-large-title = يوللانغان مەزمۇن بەك چوڭ
too-large-message = سىز يوللىغان مەزمۇن رۇخسەت قىلىنغان چوڭلۇقتىن ئېشىپ كەتتى. ھۆججەتنى پىرىسلاپ ياكى بۆلۈپ، قايتا سىناڭ.

nav-sign-in = كىرىش
nav-sign-out = چىقىش
error-summary-title = تۆۋەندىكى مەسىلىلەرنى تەكشۈرۈڭ
csrf-title = جەدۋەلنىڭ ۋاقتى ئۆتۈپ كەتتى
csrf-message = ھېساباتىڭىزنىڭ بىخەتەرلىكىنى قوغداش ئۈچۈن، بۇ جەدۋەلنى قايتا ئېچىپ ئاندىن يوللىشىڭىز كېرەك. ئالدىنقى بەتكە قايتىپ، بەتنى يېڭىلاپ قايتا سىناڭ.

login-title = كىرىش
login-intro = بىر ھېسابات ئارقىلىق بارلىق تارماقلارنىڭ ئىشلىرىنى بېجىرەلەيسىز. شەخسلەر يانفون نومۇرى ياكى كىملىك نومۇرى بىلەن، خىزمەت خادىملىرى خىزمەت ھېساباتى بىلەن كىرىدۇ.
login-identifier = يانفون نومۇرى، كىملىك نومۇرى ياكى خىزمەت ھېساباتى
login-identifier-hint = مەسىلەن 13800000001
login-password = پارول
login-submit = كىرىش
login-error-identifier-missing = يانفون نومۇرى، كىملىك نومۇرى ياكى خىزمەت ھېساباتىنى كىرگۈزۈڭ
login-error-password-missing = پارولنى كىرگۈزۈڭ
login-error-invalid = ھېسابات ياكى پارول توغرا ئەمەس
login-error-throttled = سىناش قېتىم سانى بەك كۆپ بولۇپ كەتتى، { $minutes } مىنۇتتىن كېيىن قايتا سىناڭ
login-demo-title = كۆرسىتىش ھېساباتلىرى
login-demo-text = تۆۋەندىكى توقۇلما ھېساباتلارنىڭ ھەممىسىنىڭ پارولى { $password }.
login-demo-login = كىرىش نامى
login-demo-who = سالاھىيىتى

account-title = ھېساباتىم
account-details = ھېسابات ئۇچۇرى
account-name = ئىسىم-فامىلە
account-kind = ھېسابات تۈرى
account-kind-person = شەخس
account-kind-staff = خىزمەت خادىمى
account-username = خىزمەت ھېساباتى
account-id-number = كىنىشكا نومۇرى
account-mobile = يانفون نومۇرى
account-email = ئېلخەت ئادرېسى
account-masked-note = شەخسىي مەخپىيەتلىكنى قوغداش ئۈچۈن، كىنىشكا نومۇرى ۋە يانفون نومۇرىنىڭ پەقەت بىر قىسىم رەقەملىرىلا كۆرسىتىلىدۇ.
account-roles = خىزمەت رولى
account-role = رول
account-scope = دائىرە
account-sessions = كىرگەن ئۈسكۈنىلەر
account-sessions-intro = تۆۋەندىكىلەر ھازىر بۇ سۇپىغا كىرىپ تۇرغان توركۆرگۈلىرىڭىز. ئەگەر تونۇمايدىغان كىرىش بولسا، بارلىق ئۈسكۈنىلەردىن چىقىپ، پارولىڭىزنى ئۆزگەرتىڭ.
session-started = كىرگەن ۋاقىت
session-last-seen = ئەڭ ئاخىرقى ئىشلىتىلگەن ۋاقىت
session-from = مەنبە
session-current = نۆۋەتتىكى توركۆرگۈ
account-sign-out-everywhere = بارلىق ئۈسكۈنىلەردىن چىقىش
account-sign-out-everywhere-hint = نۆۋەتتىكى توركۆرگۈنى ئۆز ئىچىگە ئالغان بارلىق كىرىشلەر ئاخىرلىشىدۇ.

role-front-desk-clerk = كۆزنەكتە قوبۇل قىلغۇچى
role-reviewer = تەكشۈرگۈچى
role-approver = تەستىقلاپ قارار چىقارغۇچى
role-hall-staff = ئىش بېجىرىش زالى خادىمى
role-content-editor = مەزمۇن تەھرىرى
role-department-admin = تارماق باشقۇرغۇچىسى
role-supervisor = نازارەتچى
role-system-admin = سىستېما باشقۇرغۇچىسى
role-security-admin = بىخەتەرلىك باشقۇرغۇچىسى
role-auditor = بىخەتەرلىك تەپتىشچىسى

account-change-password = پارولنى ئۆزگەرتىش
account-download-data = سانلىق مەلۇماتلىرىمنى چۈشۈرۈش (JSON)
account-download-hint = ھېسابات ئۇچۇرى، تولۇق كىنىشكا نومۇرى ۋە يانفون نومۇرى، كىرگەن ئۈسكۈنىلەر ۋە مەشغۇلات خاتىرىلىرىنى ئۆز ئىچىگە ئالىدۇ.
account-password-changed = پارول ئۆزگەرتىلدى. باشقا ئۈسكۈنىلەردىكى كىرىشلەرنىڭ ھەممىسى ئاخىرلاشتۇرۇلدى.
password-title = پارولنى ئۆزگەرتىش
password-current = نۆۋەتتىكى پارول
password-new = يېڭى پارول
password-new-hint = كەم دېگەندە 10 ھەرپ-بەلگە. ئېسىڭىزدە ئاسان قالىدىغان بىر جۈملە گەپنى ئىشلەتسىڭىز بولىدۇ؛ كۆپ ئىشلىتىلىدىغان پارولنى ئىشلەتمەڭ، پارولدا ئىسىم-فامىلە، يانفون نومۇرى ياكى كىنىشكا نومۇرىمۇ بولمىسۇن.
password-confirm = يېڭى پارولنى قايتا كىرگۈزۈش
password-submit = پارولنى ئۆزگەرتىش
password-error-current-missing = نۆۋەتتىكى پارولنى كىرگۈزۈڭ
password-error-wrong-current = نۆۋەتتىكى پارول توغرا ئەمەس
password-error-too-short = يېڭى پارول كەم دېگەندە { $min } ھەرپ-بەلگە بولۇشى كېرەك
password-error-too-long = يېڭى پارول { $max } ھەرپ-بەلگىدىن ئېشىپ كەتمەسلىكى كېرەك
password-error-common = بۇ پارول بەك كۆپ ئىشلىتىلىدۇ، ئاسانلا تېپىۋېلىنىدۇ، باشقا بىرنى تاللاڭ
password-error-too-simple = يېڭى پارولدا كىچىك ھەرپ، چوڭ ھەرپ، رەقەم ۋە بەلگە دېگەن تۆت خىلنىڭ كەم دېگەندە ئۈچ خىلى بولۇشى كېرەك
password-error-personal = يېڭى پارولدا ئىسىم-فامىلىڭىز، ھېساباتىڭىز، يانفون نومۇرىڭىز ياكى كىنىشكا نومۇرىڭىز بولماسلىقى كېرەك
password-error-mismatch = ئىككى قېتىم كىرگۈزۈلگەن يېڭى پارول ئوخشاش ئەمەس
password-error-unchanged = يېڭى پارول نۆۋەتتىكى پارولدىن پەرقلىق بولۇشى كېرەك
password-error-throttled = نۆۋەتتىكى پارول خاتا كىرگۈزۈلگەن قېتىم سانى بەك كۆپ بولۇپ كەتتى، { $minutes } مىنۇتتىن كېيىن قايتا سىناڭ
