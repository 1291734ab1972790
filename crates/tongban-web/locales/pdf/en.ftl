## Printable guides (PDF)

pdf-download = Download the guide (PDF)
pdf-download-hint = Formatted to print on A4 paper.
pdf-generated = Generated { $time }
pdf-web-page = Web page
pdf-material-certificate = E-certificate
pdf-material-certificate-yes = An electronic certificate can be used instead of this document
