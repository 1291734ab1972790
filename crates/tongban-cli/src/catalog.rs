//! `tongban catalog export|import`: a region's (or one department's) services as a YAML file,
//! and that file back in, validated with line numbers, as a dry run or for real.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use tongban_domain::clock::{Clock, SystemClock};
use tongban_services::catalog::CatalogError;
use tongban_services::catalog_io::{ImportRequest, export, import};
use tongban_store::audit::AuditRecord;
use tongban_store::catalog_import::ImportReport;

use crate::serve::{DatabaseArgs, open, runtime, settings_with};

#[derive(clap::Subcommand)]
pub enum CatalogCommand {
    /// Write a region's catalogue (or one department's) as YAML.
    Export {
        /// Region code; the configured region, else the first region, when omitted.
        #[arg(long)]
        region: Option<String>,
        /// Only this department (e.g. SJ), its services and the halls they use.
        #[arg(long)]
        department: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Validate a catalogue file and import it: new services are created, changed ones get a
    /// new published version, nothing is deleted. A failed import changes nothing.
    Import {
        /// The YAML file.
        file: PathBuf,
        /// Check and report what would change, then change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Limit the import to this department; the file may contain nothing else.
        #[arg(long)]
        department: Option<String>,
        /// The change note recorded on every new version (default: the file name).
        #[arg(long)]
        note: Option<String>,
        /// The date (YYYY-MM-DD, region time) changed services take effect; default now.
        #[arg(long)]
        effective_from: Option<NaiveDate>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

pub fn run(config: Option<&Path>, command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Export {
            region,
            department,
            output,
            db,
        } => {
            let settings = settings_with(config, &db)?;
            let _guard = crate::logging::init(&settings.log);
            runtime()?.block_on(async {
                let db = open(&settings).await?;
                let region = match region.or_else(|| {
                    Some(settings.server.region.clone()).filter(|r| !r.trim().is_empty())
                }) {
                    Some(code) => code,
                    None => tongban_services::catalog::default_region(&db)
                        .await?
                        .context("the database holds no region yet")?,
                };
                let yaml = export(&db, &region, department.as_deref(), &SystemClock).await?;
                match output {
                    Some(path) => {
                        std::fs::write(&path, yaml)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                        eprintln!("wrote {}", path.display());
                    }
                    None => print!("{yaml}"),
                }
                Ok(())
            })
        }
        CatalogCommand::Import {
            file,
            dry_run,
            department,
            note,
            effective_from,
            db,
        } => {
            let settings = settings_with(config, &db)?;
            let _guard = crate::logging::init(&settings.log);
            let yaml = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            // The same rule as publishing one service in the browser: today means at once, a
            // later day its local midnight, an earlier day is refused.
            let effective_from = match effective_from {
                None => None,
                Some(day) => Some(
                    tongban_services::catalog_admin::effective_from(
                        Some(day),
                        SystemClock.now(),
                        tongban_services::catalog_admin::region_offset(""),
                    )
                    .map_err(|_| anyhow::anyhow!("--effective-from {day} is before today"))?,
                ),
            };
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let request = ImportRequest {
                department,
                dry_run,
                change_note: note.unwrap_or_else(|| format!("imported from {name}")),
                effective_from,
                audit: Some(AuditRecord {
                    at: SystemClock.now(),
                    region_id: None,
                    actor_id: None,
                    on_behalf_of: None,
                    action: "catalog.import".to_owned(),
                    target: Some(format!("console:{name}")),
                    outcome: "success".to_owned(),
                    ip: None,
                    detail: Default::default(),
                }),
            };
            runtime()?.block_on(async {
                let db = open(&settings).await?;
                match import(&db, &yaml, &request, &SystemClock).await {
                    Ok(report) => {
                        print!("{}", describe(&report));
                        Ok(())
                    }
                    Err(CatalogError::Invalid(problems)) => {
                        for problem in &problems {
                            eprintln!("{}: {problem}", file.display());
                        }
                        bail!(
                            "{} problem(s) in {}; nothing was imported",
                            problems.len(),
                            file.display()
                        )
                    }
                    Err(error) => bail!("{}: {error}; nothing was imported", file.display()),
                }
            })
        }
    }
}

/// The report as lines for the console.
pub fn describe(report: &ImportReport) -> String {
    let mut out = String::new();
    let verb = if report.dry_run { "would be" } else { "were" };
    if report.dry_run {
        out.push_str("dry run: nothing was written\n");
    }
    if report.region_created {
        out.push_str(&format!("the region {verb} created\n"));
    }
    if report.region_updated {
        out.push_str(&format!("the region's details {verb} updated\n"));
    }
    let mut line = |what: &str, codes: &[String]| {
        if !codes.is_empty() {
            out.push_str(&format!(
                "{what} {verb} {}: {}\n",
                codes.len(),
                codes.join(", ")
            ));
        }
    };
    line("halls created", &report.halls_created);
    line("halls updated", &report.halls_updated);
    line("departments created", &report.departments_created);
    line("departments updated", &report.departments_updated);
    line(
        "certificate types created",
        &report.certificate_types_created,
    );
    let types_updated: Vec<String> = report
        .certificate_types_updated
        .iter()
        .map(|(key, version)| format!("{key} (version {version})"))
        .collect();
    line("certificate types with a new version", &types_updated);
    line("services created", &report.services_created);
    let updated: Vec<String> = report
        .services_updated
        .iter()
        .map(|(code, version)| format!("{code} (version {version})"))
        .collect();
    line("services with a new version", &updated);
    line("drafts left open", &report.drafts_left_open);
    line(
        "services in the database but not in the file (kept)",
        &report.services_not_in_file,
    );
    out.push_str(&format!(
        "services unchanged: {}\n",
        report.services_unchanged
    ));
    out
}
