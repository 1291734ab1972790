## Printable guides (PDF). Uyghur PDFs need text shaping: this locale is served the zh-CN PDF,
## and the link says so.

pdf-download = ئىش بېجىرىش قوللانمىسىنى چۈشۈرۈش (PDF، خەنزۇچە)
pdf-download-hint = A4 قەغىزىگە بېسىشقا ماس. ئۇيغۇرچە PDF تېخى يوق، شۇڭا خەنزۇچە نۇسخىسى بېرىلىدۇ.
pdf-generated = ھاسىل قىلىنغان ۋاقتى { $time }
pdf-web-page = تور بەت نۇسخىسى
pdf-material-certificate = ئېلېكترونلۇق گۇۋاھنامە
pdf-material-certificate-yes = بۇ ماتېرىيالنىڭ ئورنىغا ئېلېكترونلۇق گۇۋاھنامە ئىشلىتىشكە بولىدۇ
