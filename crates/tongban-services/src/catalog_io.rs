//! Catalogue files in and out (`tongban catalog import|export` and the administration page):
//! a whole region or one department as YAML, validated with line-numbered problems before
//! anything is written, imported in one transaction, optionally as a dry run.

use chrono::{DateTime, Utc};
use tongban_domain::catalog::{CatalogDocument, CatalogProblem};
use tongban_domain::clock::Clock;
use tongban_store::Connection as DatabaseConnection;
use tongban_store::audit::AuditRecord;
use tongban_store::catalog_import::{ImportOptions, ImportReport};

use crate::catalog::{CatalogError, LocatedProblem, parse_document};

/// An import as asked for by an administrator or the command line.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// Limit the import to this department: the file may then contain nothing else.
    pub department: Option<String>,
    pub dry_run: bool,
    /// Recorded on every version the import publishes.
    pub change_note: String,
    /// When changed services take effect; now when `None`.
    pub effective_from: Option<DateTime<Utc>>,
    /// The audit entry (actor, address); its detail becomes the report.
    pub audit: Option<AuditRecord>,
}

/// Validates `yaml` (syntax, schema, references, then against what the database holds) and
/// imports it. Every problem names its line; nothing is written unless there are none.
pub async fn import(
    db: &DatabaseConnection,
    yaml: &str,
    request: &ImportRequest,
    clock: &dyn Clock,
) -> Result<ImportReport, CatalogError> {
    let doc = parse_document(yaml)?;
    let problems = check_against_database(db, &doc, request.department.as_deref(), clock).await?;
    if !problems.is_empty() {
        return Err(CatalogError::Invalid(LocatedProblem::locate(
            yaml, problems,
        )));
    }
    let now = clock.now();
    let options = ImportOptions {
        department: request.department.clone(),
        effective_from: request.effective_from.unwrap_or(now).max(now),
        change_note: request.change_note.clone(),
        dry_run: request.dry_run,
        audit: request.audit.clone(),
    };
    Ok(tongban_store::catalog_import::import_document(db, &doc, &options, now).await?)
}

/// The catalogue of `region` (or one department of it) as a YAML file.
pub async fn export(
    db: &DatabaseConnection,
    region: &str,
    department: Option<&str>,
    clock: &dyn Clock,
) -> Result<String, CatalogError> {
    let doc = tongban_store::catalog_import::export_document(db, region, department)
        .await?
        .ok_or_else(|| CatalogError::UnknownRegion(region.to_owned()))?;
    if let Some(code) = department
        && doc.departments.is_empty()
    {
        return Err(CatalogError::UnknownDepartment(code.to_owned()));
    }
    let body = serde_norway::to_string(&doc).map_err(|e| CatalogError::Syntax {
        line: None,
        column: None,
        message: e.to_string(),
    })?;
    let scope = match department {
        Some(code) => format!("department {code} of region {region}"),
        None => format!("region {region}"),
    };
    Ok(format!(
        "# Tongban catalogue: {scope}, exported {}.\n# Schema and rules: docs/catalog.md. Import with `tongban catalog import FILE [--dry-run]`.\n{body}",
        clock.now().format("%Y-%m-%d %H:%M UTC"),
    ))
}

/// What the file alone cannot show: the upper region exists and shares what is overridden,
/// no own service reuses an inherited code, and a department import stays in its department
/// and refers only to halls the region has.
async fn check_against_database(
    db: &DatabaseConnection,
    doc: &CatalogDocument,
    department: Option<&str>,
    clock: &dyn Clock,
) -> Result<Vec<CatalogProblem>, CatalogError> {
    let mut problems = Vec::new();
    let mut problem =
        |path: String, message: String| problems.push(CatalogProblem { path, message });

    if let Some(parent) = &doc.region.parent {
        match tongban_store::catalog::load_published(db, parent, clock.now()).await? {
            None => problem(
                "region.parent".into(),
                format!("the upper region {parent} is not in the database; import it first"),
            ),
            Some(upper) => {
                let shared: std::collections::HashSet<&str> = upper
                    .services
                    .iter()
                    .filter(|s| s.service.shared)
                    .map(|s| s.service.code.as_str())
                    .collect();
                for (i, local) in doc.region.overrides.iter().enumerate() {
                    if !shared.contains(local.service.as_str()) {
                        problem(
                            format!("region.overrides[{i}].service"),
                            format!(
                                "the upper region {parent} shares no service {}",
                                local.service
                            ),
                        );
                    }
                }
                for (i, service) in doc.services.iter().enumerate() {
                    if shared.contains(service.code.as_str()) {
                        problem(
                            format!("services[{i}].code"),
                            format!(
                                "{} is inherited from the upper region {parent}; change its halls or contact under region.overrides instead",
                                service.code
                            ),
                        );
                    }
                }
            }
        }
    }

    // Workflows may route tasks to departments outside the file (a department's own file);
    // they must exist in the file or in the region.
    let stored = tongban_store::catalog::load_published(db, &doc.region.code, clock.now()).await?;
    let known: std::collections::HashSet<&str> = doc
        .departments
        .iter()
        .map(|d| d.code.as_str())
        .chain(
            stored
                .iter()
                .flat_map(|s| s.departments.iter().map(|d| d.code.as_str())),
        )
        .collect();
    for (path, code) in doc.workflow_departments() {
        if !known.contains(code) {
            problem(path, format!("the region has no department {code}"));
        }
    }

    // A certificate type keeps its issuing department: its certificates carry that
    // department's signature, and its versions are kept with it.
    let stored_types = stored
        .as_ref()
        .map_or(&[][..], |s| &s.certificate_types[..]);
    for (i, certificate) in doc.certificate_types.iter().enumerate() {
        let at = |field: &str| format!("certificate_types[{i}].{field}");
        if !known.contains(certificate.department.as_str()) {
            problem(
                at("department"),
                format!("the region has no department {}", certificate.department),
            );
            continue;
        }
        let Some(existing) = stored_types.iter().find(|c| c.key == certificate.key) else {
            if department.is_some_and(|only| certificate.department != only) {
                problem(
                    at("key"),
                    format!(
                        "the region has no certificate type {}; it is imported with department {}",
                        certificate.key, certificate.department
                    ),
                );
            }
            continue;
        };
        if existing.department != certificate.department {
            problem(
                at("department"),
                format!(
                    "{} is issued by department {}; a certificate type cannot change its issuer (define a new type)",
                    certificate.key, existing.department
                ),
            );
        } else if department.is_some_and(|only| certificate.department != only)
            && existing != certificate
        {
            problem(
                at("key"),
                format!(
                    "{} differs from the region's; it belongs to department {} and changes with its import",
                    certificate.key, certificate.department
                ),
            );
        }
    }

    if let Some(only) = department {
        if !doc.departments.iter().any(|d| d.code == only) {
            problem(
                "departments".into(),
                format!("the file does not contain department {only}"),
            );
        }
        for (i, d) in doc.departments.iter().enumerate() {
            if d.code != only {
                problem(
                    format!("departments[{i}].code"),
                    format!("this import is limited to department {only}"),
                );
            }
        }
        for (i, s) in doc.services.iter().enumerate() {
            if s.department != only {
                problem(
                    format!("services[{i}].department"),
                    format!("this import is limited to department {only}"),
                );
            }
        }
        match tongban_store::catalog::load_published(db, &doc.region.code, clock.now()).await? {
            None => problem(
                "region.code".into(),
                format!(
                    "the region {} is not in the database; import the whole region first",
                    doc.region.code
                ),
            ),
            Some(stored) => {
                let halls: std::collections::HashSet<&str> =
                    stored.halls.iter().map(|h| h.code.as_str()).collect();
                for (i, h) in doc.halls.iter().enumerate() {
                    if !halls.contains(h.code.as_str()) {
                        problem(
                            format!("halls[{i}].code"),
                            format!(
                                "the region has no hall {}; halls are imported with the whole region",
                                h.code
                            ),
                        );
                    }
                }
            }
        }
    }
    Ok(problems)
}

/// What a staff member may import and export: the whole region for its system administrator,
/// one department for that department's administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferScope {
    pub region: String,
    /// `None`: the whole region.
    pub department: Option<String>,
}

/// The catalogue scope `user` administers, if any.
pub async fn transfer_scope(
    db: &DatabaseConnection,
    user: &crate::identity::CurrentUser,
) -> Result<Option<TransferScope>, CatalogError> {
    use tongban_domain::access::Role;
    if user.kind != crate::identity::AccountKind::Staff {
        return Ok(None);
    }
    let grant = user
        .roles
        .iter()
        .find(|g| g.role == Role::SystemAdmin)
        .or_else(|| {
            user.roles
                .iter()
                .find(|g| g.role == Role::DepartmentAdmin && g.department_id.is_some())
        });
    let Some(grant) = grant else {
        return Ok(None);
    };
    let department_id = match grant.role {
        Role::SystemAdmin => None,
        _ => grant.department_id,
    };
    Ok(
        tongban_store::catalog_import::codes_of(db, grant.region_id, department_id)
            .await?
            .map(|(region, department)| TransferScope { region, department }),
    )
}
