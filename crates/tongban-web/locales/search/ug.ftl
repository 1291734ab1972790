## ئىزدەش: ھەر بەتنىڭ بېشىدىكى ئىزدەش رامكىسى ۋە نەتىجە بېتى

search-title = مۇلازىمەت ئىزدەش
search-title-query = «{ $query }» نىڭ ئىزدەش نەتىجىسى
search-label = مۇلازىمەت ئىزدەش
search-hint = مۇلازىمەتنىڭ نامىنى ياكى بېجىرمەكچى بولغان ئىشىڭىزنى كىرگۈزۈڭ، مەسىلەن «تىجارەت كىنىشكىسى»، «نىكاھ» ياكى «ئىشسىزلىق».
search-filters = سۈزگۈچ
search-filter-department = تارماق
search-filter-event = تېما
search-filter-audience = مۇلازىمەت ئوبيېكتى
search-filter-channel = بېجىرىش ئۇسۇلى
search-filter-any = ھەممىسى
search-submit = ئىزدەش
search-count = «{ $query }» بىلەن مۇناسىۋەتلىك { $count } مۇلازىمەت تېپىلدى
search-count-filtered = سۈزگۈچكە ماس كېلىدىغان { $count } مۇلازىمەت بار
search-page-of = { $pages } بەتنىڭ { $page }-بېتى
search-pages = نەتىجە بەتلىرى
search-previous = ئالدىنقى بەت
search-next = كېيىنكى بەت
search-none-title = مۇناسىۋەتلىك مۇلازىمەت تېپىلمىدى
search-none-tips = ئىملانى تەكشۈرۈڭ، باشقا سۆز ئىشلىتىڭ ياكى سۈزگۈچنى ئازايتىڭ. تارماق ياكى تېما بويىچىمۇ ئىزدىسىڭىز بولىدۇ:
search-none-departments = تارماق بويىچە بارلىق مۇلازىمەتلەرنى كۆرۈش
search-none-hotline = يەنىلا تاپالمىدىڭىزمۇ؟ ھۆكۈمەت مۇلازىمىتى قىزىق لىنىيەسىگە تېلېفون قىلىڭ
