# The staff workbench: inbox, batch handling, case page.
wb-inbox-title = Case inbox
wb-inbox-caption = Open tasks for your roles, earliest deadline first unless sorted otherwise
wb-inbox-empty = No open tasks match.
wb-inbox-total = { $count ->
    [one] { $count } task in total
   *[other] { $count } tasks in total
}
wb-inbox-page = Page { $page } of { $pages }
wb-pager-label = Pages
wb-pager-previous = Previous page
wb-pager-next = Next page
wb-filter-service = Service
wb-filter-state = State
wb-filter-kind = Applicant
wb-filter-any = Any
wb-filter-overdue = Overdue only
wb-filter-mine = Claimed by me
wb-filter-apply = Show
wb-sort = Order
wb-sort-deadline = Deadline, earliest first
wb-sort-newest = Newest first
wb-select = Select
wb-select-case = Select { $number }
wb-col-tracking = Tracking number
wb-col-service = Service
wb-col-state = State
wb-col-kind = Applicant
wb-col-submitted = Submitted
wb-col-deadline = Deadline
wb-col-claimed = Claimed by
wb-kind-person = Individual
wb-kind-enterprise = Enterprise
wb-claimed-me = Me
wb-claimed-nobody = Nobody
wb-claimed-someone = Someone else
wb-deadline-left = { $days ->
    [one] { $days } working day left
   *[other] { $days } working days left
}
wb-deadline-today = Due today
wb-deadline-overdue = { $days ->
    [one] { $days } working day overdue
   *[other] { $days } working days overdue
}
wb-deadline-none = Clock not started
wb-deadline-committed = Committed deadline
wb-deadline-statutory = Statutory deadline
wb-batch-legend = Act on the selected cases
wb-batch-hint = Each selected case is handled on the version shown here; a case that changed since is reported, not acted on.
wb-batch-action = Action
wb-batch-comment-hint = One comment for every selected case. Some actions require one.
wb-batch-submit = Act on selected cases
wb-batch-title = Batch result
wb-batch-caption = One line per selected case
wb-batch-result = Result
wb-batch-summary = { $done } done, { $refused } not done
wb-batch-ok = Done
wb-batch-not-done = Not done
wb-batch-done = now: { $state }
wb-batch-too-many = Too many cases at once: select at most { $max }.
wb-batch-error-none-selected = Select at least one case
wb-batch-error-no-action = Choose an action
wb-back-to-inbox = Back to the inbox
wb-refused-not-found = not found, or not a case you may handle
wb-refused-conflict = changed since you loaded it; reload the case and try again
wb-refused-closed = the case is closed
wb-refused-suspended = the case is suspended; resume it first
wb-refused-not-available = this action is not available in the case's current state
wb-refused-not-permitted = you are not permitted to take this action on this case
wb-refused-already-decided = your department has already decided
wb-refused-comment-required = a comment is required for this action
wb-refused-attachment-required = an attachment is required for this action
wb-refused-already-extended = the time limit has already been extended once
wb-refused-extension-days = enter an extension of 1 to { $max } working days
wb-refused-not-accepted = the time limit can be extended only after acceptance
wb-refused-no-route = no route of this action applies to this application
wb-status = Status
wb-status-open = In progress
wb-status-waiting = Waiting for the applicant's corrections
wb-status-suspended = Suspended
wb-status-closed = Closed
wb-status-submitted = Sent, waiting to be accepted
wb-outcome-approved = approved
wb-outcome-refused = refused
wb-outcome-not-accepted = not accepted
wb-outcome-withdrawn = withdrawn
wb-progress = Progress
wb-stage-accept = Acceptance
wb-stage-review = Review
wb-stage-decide = Decision
wb-stage-complete = Completed
wb-step-done = done
wb-step-current = current stage
wb-step-upcoming = not yet
wb-step-skipped = not reached
wb-actions = Actions
wb-read-only = You can see this case but there is nothing for you to do on it.
wb-comment = Comment
wb-kept-comment = Your comment, not saved (the case changed; copy it if you still need it)
wb-comment-for = Comment for “{ $action }”
wb-required = required
wb-optional = optional
wb-correction-hint = Write each item the applicant must correct on its own line: every line becomes one item of the notice.
wb-extension-days = Extension in working days
wb-done-acted = Done. The case has moved on.
wb-done-claimed = The task is yours now.
wb-done-released = You have released the task.
wb-done-noted = Added to the timeline.
wb-tasks = Tasks
wb-tasks-none = No tasks.
wb-task-department = Department
wb-task-role = Role
wb-task-decision = Decision
wb-task-done = finished
wb-decision-concur = agrees
wb-decision-object = objects
wb-claim = Claim
wb-release = Release
wb-claim-taken = Someone else claimed this task first.
wb-release-not-yours = This task is not claimed by you.
wb-timeline = Timeline
wb-timeline-none = Nothing has happened yet.
wb-event-note = Internal note
wb-event-message = Message to the applicant
wb-mark-internal = internal
wb-mark-to-applicant = sent to the applicant
wb-notices = Notices issued
wb-notices-none = No notice issued yet.
wb-note-title = Add a note or message
wb-note-kind = Who sees it
wb-note-internal = Staff only (internal note)
wb-note-applicant = The applicant too (message)
wb-note-text = Text
wb-note-submit = Add
wb-note-empty = Enter the text of the note
wb-note-too-long = The note is too long: at most 4,000 characters
wb-application = The application as submitted
wb-application-none = This service has no online form; nothing was filled in online.
wb-attachments = Attachments
wb-attachments-none = No files were uploaded.
wb-attachments-hint = Every download of an applicant's file is recorded in the audit trail.

admin-tool-workbench = Case workbench
admin-tool-workbench-hint = Cases waiting for you: sorted by deadline, claim them, handle them one by one or in batches, read their documents.
wb-inbox-total-more = More than { $count }
wb-inbox-page-open = Page { $page }

## Files attached to an action
wb-attachment = Attachments
wb-attachment-hint = PDF, OFD, JPG or PNG files, several at once, up to { $max } MB each. The type is read from the content.
wb-event-files = Attached files

## Certificates issued by decisions
wb-refused-certificate = The e-certificate this service issues cannot be made ({ $detail }), so no decision was taken. Complete the application, or ask an administrator to check the service's certificate settings.

## Revoking certificates
wb-certificates = Certificates issued
wb-revoke = Revoke the certificate
wb-revoke-reason = Reason for revoking (the holder is told)
wb-revoke-reason-required = Give the reason for revoking
wb-revoked-because = Revoked because:
wb-done-revoked = The certificate is revoked. The holder has been told, and verification now says it is revoked.

## E-certificates the applicant shared
wb-shared = E-certificates shared by the applicant (verified by the platform)
wb-shared-intro = These certificates were signed by their issuing departments; the platform verifies each again against the issuer's published keys and status list whenever this page is opened. Only the details the applicant agreed to share are shown; there is no need to ask for copies.
wb-shared-issuer = Issued by
wb-shared-wallet = chosen from the applicant's e-certificates
wb-shared-fetched = fetched by the platform with the applicant's consent
wb-shared-consented = consent given
wb-shared-expires = valid until
