# Not yet reviewed by a native speaker.
## ئىجازەت ھۆججىتىنىڭ ئېلېكترونلۇق تامغىسىنى دەلىللەش
notice-check-title = ئىجازەت ھۆججىتىنى دەلىللەش
notice-check-valid = ئېلېكترونلۇق تامغا ئۈنۈملۈك
notice-check-valid-detail = بۇ ھۆججەتكە { $department } نىڭ ئېلېكترونلۇق تامغىسى بېسىلغان. ئىمزا ئۈنۈملۈك، ھۆججەت تارقىتىلغاندىن بۇيان ئۆزگەرتىلمىگەن.
notice-check-forged = ئېلېكترونلۇق تامغا ئۈنۈمسىز
notice-check-forged-signature = تامغا تارقاتقان تارماقنىڭ ئاچقۇچىغا ماس كەلمەيدۇ، ياكى بۇ سۇپىدىكى تارماقنىڭ تامغىسى ئەمەس. بۇ ھۆججەتكە تايانماڭ، تارقاتقان تارماق بىلەن ئالاقىلىشىڭ.
notice-check-forged-changed = ھۆججەت ئېلېكترونلۇق تامغىسىغا ماس كەلمەيدۇ، ئۆزگەرتىلگەن بولۇشى مۇمكىن. تارقاتقان تارماق بىلەن ئالاقىلىشىڭ.
notice-check-forged-malformed = ئېلېكترونلۇق تامغىنىڭ فورماتى توغرا ئەمەس. تارقاتقان تارماق بىلەن ئالاقىلىشىڭ.
notice-check-issuer = تارقاتقان ئورگان
notice-check-kind = ھۆججەت نامى
notice-check-number = ھۆججەت نومۇرى
notice-check-issued = تارقىتىلغان چېسلا
notice-check-tracking = ئىش نومۇرى
notice-check-applicant = ئىلتىماس قىلغۇچى
notice-check-kid = ئىمزا ئاچقۇچى
notice-check-digest = ھۆججەت خۇلاسىسى (SHA-256)
notice-check-compare = بۇ ئۇچۇرلارنى قولىڭىزدىكى ھۆججەت بىلەن سېلىشتۇرۇڭ: نومۇر، چېسلا، ئىش نومۇرى ۋە خۇلاسە قەغەزدىكى بىلەن ئوخشاش بولۇشى كېرەك.
notice-check-seal = ئېلېكترونلۇق تامغىنىڭ ئەسلى تېكىستى
notice-check-seal-hint = POST /api/v1/notices/verify ئارقىلىق ئۆزىڭىز دەلىللىسىڭىز بولىدۇ؛ تارقاتقان تارماقنىڭ ئاممىۋى ئاچقۇچى /.well-known/jwt-vc-issuer/departments/ ئاستىدا.
