## Data-use record: which department used my certificates' data, and why

data-use-title = Who used my data
data-use-back = My account
data-use-intro = Every time a department uses details from your e-certificates through the platform, it is recorded here: which department, for which application, which details, and on which consent you gave.
data-use-empty = No department has used your certificates' details yet.
data-use-when = When
data-use-purpose = Purpose
data-use-issuer = Source
data-use-fields = Details used
data-use-basis = Basis
data-use-how-application = You agreed to share it when you submitted your application
data-use-how-api = A department's system fetched it with your consent
data-use-reference = Consent reference
data-use-evidence = Each record is signed by the department that used the data and chained to the records before it, so it cannot be changed unnoticed; operators check the chain with tongban exchange verify-log. If you question a use, call 12345 or contact the department.
