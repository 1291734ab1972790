## Application forms as PDF: the blank form to fill in by hand and the record of a submitted
## application.

form-pdf-download = Download the blank application form (PDF)
form-pdf-download-hint = Print it, fill it in by hand and bring it to the hall.
form-pdf-title = Application form: { $service }
form-pdf-blank-caption = Blank application form
form-pdf-filled-caption = Record of an online application
form-pdf-instructions = Please write clearly in black or blue-black ink and tick the box in front of each option you choose. Questions marked "(optional)" may be left blank.
form-pdf-online = You can also apply online: { $url }
form-pdf-optional = (optional)
form-pdf-only-some = Only for some applicants.
form-pdf-only-if = Only if your answer to "{ $question }" was one of:
form-pdf-choose-one = Tick one.
form-pdf-choose-many = Tick all that apply.
form-pdf-date-blank = ________________ (YYYY-MM-DD)
form-pdf-range-blank = From ________________ to ________________ (YYYY-MM-DD)
form-pdf-money-blank = CNY ____________________
form-pdf-address-blank = Province ______________ City ______________ District ______________
form-pdf-street = Street and number:
form-pdf-group-rows = One { $item } per row.
form-pdf-group-max = At most { $count } rows.
form-pdf-attach = Attach this document to the form.
form-pdf-attach-formats = Electronic formats: { $formats }
form-pdf-attach-count = up to { $count } files
form-pdf-attach-size = each at most { $size }
form-pdf-declaration = Declaration
form-pdf-signature = Signature of the applicant: ________________________
form-pdf-signature-date = Date: ________________ (YYYY-MM-DD)
form-pdf-tracking = Tracking number
form-pdf-submitted = Submitted
form-pdf-declared = The applicant confirmed this declaration online.
form-pdf-yes = Yes
form-pdf-no = No
form-pdf-range-to = {" to "}
form-pdf-not-answered = Not answered
