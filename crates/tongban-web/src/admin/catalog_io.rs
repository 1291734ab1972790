//! Catalogue files in the browser: a system administrator exports and imports the whole region,
//! a department administrator their own department, with the same validation, line-numbered
//! problems and dry run as `tongban catalog import`.

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::Deserialize;
use tongban_services::catalog::{CatalogError, LocatedProblem};
use tongban_services::catalog_io::{ImportRequest, TransferScope, export, import, transfer_scope};
use tongban_services::identity::CurrentUser;
use tongban_store::catalog_import::ImportReport;

use super::{no_access, signed_in_or_login};
use crate::catalog::chrome;
use crate::csrf::{self, Csrf};
use crate::errors::internal_error;
use crate::identity::{ClientAddr, MaybeUser, forbidden, origin, page};
use crate::layout::Chrome;
use crate::prefs::Prefs;
use crate::state::AppState;

/// A whole province's catalogue runs to several megabytes of YAML.
const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/catalog/transfer", get(transfer_page))
        .route("/admin/catalog/export", get(export_file))
        .route(
            "/admin/catalog/import",
            post(import_file).layer(DefaultBodyLimit::max(MAX_FILE_BYTES + 64 * 1024)),
        )
}

/// The outcome of an import shown on the page.
enum Outcome {
    Report(Box<ImportReport>),
    Problems(Vec<LocatedProblem>),
    /// A localised message key for what went wrong before validation.
    Refused(&'static str),
}

#[derive(Template)]
#[template(path = "admin/catalog_transfer.html")]
struct TransferPage<'a> {
    c: Chrome<'a>,
    scope: TransferScope,
    /// The department's name, for a department scope.
    department_name: Option<String>,
    outcome: Option<Outcome>,
    note: String,
    effective_from: String,
    file_name: String,
}

impl TransferPage<'_> {
    fn problem_place(&self, problem: &LocatedProblem) -> String {
        match (problem.line, problem.column) {
            (Some(line), Some(column)) => format!(
                "{}, {}",
                self.c.tr.t1("catalog-io-line", "line", line),
                self.c.tr.t1("catalog-io-column", "column", column)
            ),
            _ => String::new(),
        }
    }
    fn joined(codes: &[String]) -> String {
        codes.join(", ")
    }
    /// Certificate types created, then those with a new version.
    fn certificate_types(report: &ImportReport) -> String {
        report
            .certificate_types_created
            .iter()
            .cloned()
            .chain(
                report
                    .certificate_types_updated
                    .iter()
                    .map(|(key, version)| format!("{key} (v{version})")),
            )
            .collect::<Vec<_>>()
            .join(", ")
    }
    fn updated(report: &ImportReport) -> String {
        report
            .services_updated
            .iter()
            .map(|(code, version)| format!("{code} (v{version})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The signed-in staff member's catalogue scope, or the response refusing them.
#[allow(clippy::result_large_err)]
async fn scope_or_refusal(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
) -> Result<TransferScope, Response> {
    match transfer_scope(&state.db, user).await {
        Ok(Some(scope)) => Ok(scope),
        Ok(None) => Err(no_access(state, prefs)),
        Err(error) => Err(internal_error(state, prefs, &error)),
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    state: &AppState,
    prefs: Prefs,
    user: &CurrentUser,
    headers: &HeaderMap,
    scope: TransferScope,
    outcome: Option<Outcome>,
    note: String,
    effective_from: String,
    file_name: String,
) -> Response {
    let snapshot = state.snapshots.current();
    let csrf = Csrf::issue(&state.secret, Some(user), headers);
    let c = chrome(state, &snapshot, prefs, "/admin/catalog/transfer")
        .for_user(Some(user), Some(csrf.token.clone()));
    let department_name = scope.department.as_ref().map(|code| {
        snapshot
            .catalog
            .department(code)
            .map(|d| d.name.get(prefs.locale).to_owned())
            .unwrap_or_else(|| code.clone())
    });
    let status = match &outcome {
        Some(Outcome::Problems(_)) | Some(Outcome::Refused(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    page(
        state,
        prefs,
        status,
        TransferPage {
            c,
            scope,
            department_name,
            outcome,
            note,
            effective_from,
            file_name,
        },
        None,
    )
}

async fn transfer_page(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/catalog/transfer") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let scope = match scope_or_refusal(&state, prefs, &user).await {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    render(
        &state,
        prefs,
        &user,
        &headers,
        scope,
        None,
        String::new(),
        String::new(),
        String::new(),
    )
}

#[derive(Debug, Deserialize, Default)]
struct ExportQuery {
    department: Option<String>,
}

async fn export_file(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    Query(query): Query<ExportQuery>,
    headers: HeaderMap,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/catalog/transfer") {
        Ok(user) => user,
        Err(login) => return login,
    };
    let scope = match scope_or_refusal(&state, prefs, &user).await {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    let asked = query
        .department
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    // A department administrator exports their own department, whatever the link says.
    let department = match (&scope.department, asked) {
        (Some(own), Some(other)) if *own != other => return no_access(&state, prefs),
        (Some(own), _) => Some(own.clone()),
        (None, asked) => asked,
    };
    let yaml = match export(
        &state.db,
        &scope.region,
        department.as_deref(),
        state.clock.as_ref(),
    )
    .await
    {
        Ok(yaml) => yaml,
        Err(CatalogError::UnknownDepartment(_)) | Err(CatalogError::UnknownRegion(_)) => {
            return crate::errors::not_found(&state, prefs);
        }
        Err(error) => return internal_error(&state, prefs, &error),
    };
    let record = user.audit_record(
        state.clock.now(),
        "catalog.export",
        "success",
        &origin(&headers, peer),
    );
    let record = tongban_store::audit::AuditRecord {
        target: Some(match &department {
            Some(d) => format!("{}/{d}", scope.region),
            None => scope.region.clone(),
        }),
        ..record
    };
    if let Err(error) = tongban_store::audit::append_alone(&state.db, &record).await {
        return internal_error(&state, prefs, &error);
    }
    let file = match &department {
        Some(d) => format!("catalog-{}-{d}.yaml", scope.region),
        None => format!("catalog-{}.yaml", scope.region),
    };
    let mut response = (StatusCode::OK, yaml).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/yaml; charset=utf-8"),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// The fields of the import form.
#[derive(Default)]
struct ImportForm {
    csrf: String,
    file_name: String,
    file: Vec<u8>,
    dry_run: bool,
    note: String,
    effective_from: String,
}

/// Reads the multipart form; `Err` carries the message key of a form that cannot be read.
async fn read_form(mut multipart: Multipart) -> Result<ImportForm, &'static str> {
    let mut form = ImportForm::default();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| "catalog-io-unreadable")?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            form.file_name = field
                .file_name()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(120)
                .collect();
            form.file = field
                .bytes()
                .await
                .map_err(|_| "catalog-io-too-large")?
                .to_vec();
            continue;
        }
        let text = field.text().await.map_err(|_| "catalog-io-unreadable")?;
        let text: String = text.chars().take(500).collect();
        match name.as_str() {
            "csrf" => form.csrf = text,
            "dry_run" => form.dry_run = !text.is_empty(),
            "note" => form.note = text.trim().to_owned(),
            "effective_from" => form.effective_from = text.trim().to_owned(),
            _ => {}
        }
    }
    Ok(form)
}

async fn import_file(
    State(state): State<AppState>,
    prefs: Prefs,
    MaybeUser(user): MaybeUser,
    ClientAddr(peer): ClientAddr,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let user = match signed_in_or_login(user, "/admin/catalog/transfer") {
        Ok(user) => user,
        Err(login) => return login,
    };
    // A body that is not multipart is treated like a form without a valid token.
    let form = match multipart {
        Ok(multipart) => read_form(multipart).await,
        Err(_) => Err("catalog-io-unreadable"),
    };
    let csrf_ok = form
        .as_ref()
        .is_ok_and(|f| csrf::verify(&state.secret, Some(&user), &headers, &f.csrf));
    if !csrf_ok {
        return forbidden(&state, prefs);
    }
    let scope = match scope_or_refusal(&state, prefs, &user).await {
        Ok(scope) => scope,
        Err(refusal) => return refusal,
    };
    let Ok(form) = form else {
        return forbidden(&state, prefs);
    };
    let refuse = |key: &'static str, form: &ImportForm| {
        render(
            &state,
            prefs,
            &user,
            &headers,
            scope.clone(),
            Some(Outcome::Refused(key)),
            form.note.clone(),
            form.effective_from.clone(),
            form.file_name.clone(),
        )
    };
    if form.file.is_empty() {
        return refuse("catalog-io-no-file", &form);
    }
    let Ok(yaml) = std::str::from_utf8(&form.file) else {
        return refuse("catalog-io-not-utf8", &form);
    };
    if !form.dry_run && form.note.is_empty() {
        return refuse("catalog-io-note-required", &form);
    }
    let effective_from = if form.effective_from.is_empty() {
        None
    } else {
        // The same rule as publishing one service: today means at once, a later day its local
        // midnight, an earlier day is refused.
        let offset = tongban_services::catalog_admin::region_offset(
            &state.snapshots.current().catalog.region.timezone,
        );
        let day = NaiveDate::parse_from_str(&form.effective_from, "%Y-%m-%d").ok();
        match day.map(|d| {
            tongban_services::catalog_admin::effective_from(Some(d), state.clock.now(), offset)
        }) {
            Some(Ok(at)) => Some(at),
            _ => return refuse("catalog-io-bad-date", &form),
        }
    };
    let mut audit = user.audit_record(
        state.clock.now(),
        "catalog.import",
        "success",
        &origin(&headers, peer),
    );
    audit.target = Some(form.file_name.clone());
    let request = ImportRequest {
        department: scope.department.clone(),
        dry_run: form.dry_run,
        change_note: if form.note.is_empty() {
            format!("imported from {}", form.file_name)
        } else {
            form.note.clone()
        },
        effective_from,
        audit: Some(audit),
    };
    let outcome = match import(&state.db, yaml, &request, state.clock.as_ref()).await {
        Ok(report) => {
            if !report.dry_run && !report.is_empty() {
                // The portal (and search) show what was published at once.
                if let Err(error) = state.reload_catalog().await {
                    return internal_error(&state, prefs, &error);
                }
            }
            Outcome::Report(Box::new(report))
        }
        Err(CatalogError::Invalid(problems)) => Outcome::Problems(problems),
        Err(CatalogError::Syntax {
            line,
            column,
            message,
        }) => Outcome::Problems(vec![LocatedProblem {
            line,
            column,
            path: String::new(),
            message,
        }]),
        Err(CatalogError::UnknownRegion(_)) => Outcome::Refused("catalog-io-unknown-region"),
        Err(error) => return internal_error(&state, prefs, &error),
    };
    render(
        &state,
        prefs,
        &user,
        &headers,
        scope,
        Some(outcome),
        form.note,
        form.effective_from,
        form.file_name,
    )
}
