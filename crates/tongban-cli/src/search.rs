//! `tongban search reindex`: rebuilds a region's search index on disk from what is published,
//! with a progress bar. `serve` keeps the index current by itself (it rebuilds a stale or
//! broken index at start-up and re-indexes on every publish); this command is for operators
//! who want a fresh index now, e.g. after restoring a backup.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tongban_domain::clock::SystemClock;
use tongban_search::{IndexedService, SearchIndex};

use crate::serve::{DatabaseArgs, open, runtime, settings_with};

#[derive(Debug, clap::Subcommand)]
pub enum SearchCommand {
    /// Rebuild the search index of a region from its published services.
    Reindex {
        /// Region code, e.g. 990100 (default: the configured region, else the first one).
        #[arg(long)]
        region: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

pub fn run(config: Option<&Path>, command: SearchCommand) -> anyhow::Result<()> {
    match command {
        SearchCommand::Reindex { region, db } => reindex(config, &db, region),
    }
}

fn reindex(
    config: Option<&Path>,
    args: &DatabaseArgs,
    region: Option<String>,
) -> anyhow::Result<()> {
    let settings = settings_with(config, args)?;
    let _guard = crate::logging::init(&settings.log);
    let catalog = runtime()?.block_on(async {
        let db = open(&settings).await?;
        let region = match region
            .or_else(|| Some(settings.server.region.clone()).filter(|r| !r.is_empty()))
        {
            Some(region) => region,
            None => match tongban_services::catalog::default_region(&db).await? {
                Some(region) => region,
                None => bail!("no region has been imported yet: nothing to index"),
            },
        };
        tongban_services::catalog::load_portal_catalog(&db, &region, &SystemClock)
            .await
            .with_context(|| format!("cannot load the published catalogue of region {region}"))
    })?;
    let region = catalog.region.code.clone();
    let dir = settings.server.data_dir.join("search").join(&region);
    let index = SearchIndex::open(&dir)
        .with_context(|| format!("cannot open the search index in {}", dir.display()))?;
    let services: Vec<IndexedService<'_>> = catalog
        .services
        .iter()
        .map(|p| IndexedService {
            service: &p.service,
            version: p.version,
        })
        .collect();
    let fingerprint = tongban_search::fingerprint_of(&region, &services);

    let started = Instant::now();
    let bar = ProgressBar::new(services.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} services ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("indexing region {region}"));
    index
        .rebuild(&services, &fingerprint, &mut |done, _total| {
            bar.set_position(done as u64)
        })
        .context("rebuilding the search index failed")?;
    bar.finish_and_clear();
    println!(
        "search index of region {region} rebuilt: {} service(s) in {:.1} s, {}",
        services.len(),
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}
