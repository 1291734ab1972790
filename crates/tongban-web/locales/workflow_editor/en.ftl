# Editing a service's workflow online (admin/workflow_editor.rs).
workflow-editor-title = Workflow
workflow-editor-link = Workflow
workflow-editor-link-hint = Who handles an application after it is submitted, step by step, drawn as a diagram.
workflow-editor-back-to-service = Service guide
workflow-editor-no-draft = No draft is open, so this is the published workflow and cannot be changed. Open a draft to edit it.
workflow-editor-default = This service names no workflow of its own, so its cases follow the standard one shown here. Saving stores a workflow in the service.
workflow-editor-from-template = The text below is the template “{ $name }”. Check it, adapt it and save it to use it; nothing is stored yet.
workflow-editor-diagram = Diagram
workflow-editor-no-diagram = The definition cannot be read, so it cannot be drawn. Fix the error below.
workflow-editor-checks = Checks before publishing
workflow-editor-no-problems = The workflow passes every check.
workflow-editor-problem-count = { $count ->
    [one] One problem stops saving and publishing
   *[other] { $count } problems stop saving and publishing
}
workflow-editor-at = Line { $line }, column { $column }
workflow-editor-at-whole = The whole workflow
workflow-editor-template = Start from a template
workflow-editor-template-hint = Replaces the text below with the template; nothing is saved until you press Save.
workflow-editor-use-template = Use this template
workflow-editor-definition = Definition
workflow-editor-yaml-label = The workflow as YAML
workflow-editor-yaml-hint = States, the tasks each opens and the actions between them. The schema is described in docs/workflows.md. Check shows problems without saving; Save stores a workflow without problems in the draft.
workflow-editor-check = Check
workflow-editor-save = Save
workflow-editor-done-saved = Saved in the draft. Publish the draft from the service editor.
