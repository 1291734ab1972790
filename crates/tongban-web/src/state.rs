//! The application state handlers share: the database, the catalogue snapshot with its page
//! cache, interface strings and settings.
//!
//! The snapshot sits behind [`Snapshots`] so that a later multi-instance deployment can replace
//! the reload trigger (today: in-process, after a change) without touching handlers. The search
//! index follows the snapshot: [`AppState::reload_catalog`] is the one place both are renewed.

use std::path::PathBuf;

use std::sync::{Arc, RwLock};
use tongban_domain::divisions::Divisions;

use tongban_domain::clock::Clock;
use tongban_search::{IndexedService, SearchIndex};
use tongban_services::catalog::{CatalogError, PortalCatalog};
use tongban_services::identity::Identity;
use tongban_store::Connection;

use crate::i18n::I18n;
use crate::pages::PageCache;

/// Whether the platform runs with demo data (and says so on every page) or for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Demo,
    Production,
}

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub mode: Mode,
    /// The region the portal shows.
    pub region: String,
    /// Cookies carry `Secure` (served over HTTPS or behind a TLS proxy).
    pub secure_cookies: bool,
    /// A reverse proxy in front sets `X-Forwarded-Proto` and `X-Forwarded-For`, and they are
    /// believed: `https` makes cookies `Secure`, the last forwarded address is the client's.
    pub trust_proxy: bool,
    /// Request bodies larger than this get 413.
    pub max_body_bytes: usize,
    /// The platform's public URL (the OpenID Connect issuer), e.g. `https://zwfw.example.gov.cn`.
    pub public_url: String,
    /// Where search indexes live (`<data_dir>/search`; the portal's region in a directory of
    /// its own below). `None` keeps the index in memory, rebuilt at every start (tests).
    pub search_dir: Option<PathBuf>,
    /// Where uploaded files are kept (`<data_dir>/files`). `None` puts them in a temporary
    /// directory of the process (tests).
    pub files_dir: Option<PathBuf>,
    /// How long drafts are kept, and when their fillers are reminded.
    pub applications: tongban_services::applications::ApplicationSettings,
}

/// A catalogue snapshot and the pages rendered from it.
#[derive(Debug)]
pub struct Snapshot {
    pub catalog: PortalCatalog,
    pub pages: PageCache,
}

/// Holds the current snapshot; readers clone an `Arc` and never wait for a reload.
#[derive(Debug)]
pub struct Snapshots {
    current: RwLock<Arc<Snapshot>>,
}

impl Snapshots {
    pub fn new(catalog: PortalCatalog) -> Snapshots {
        Snapshots {
            current: RwLock::new(Arc::new(Snapshot {
                catalog,
                pages: PageCache::default(),
            })),
        }
    }

    pub fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Replaces the snapshot (and so drops every cached page).
    pub fn replace(&self, catalog: PortalCatalog) {
        let fresh = Arc::new(Snapshot {
            catalog,
            pages: PageCache::default(),
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = fresh;
    }
}

/// Cheap to clone (one reference count): axum clones the state for every extractor and
/// middleware of every request.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

pub struct AppParts {
    pub db: Connection,
    pub i18n: Arc<I18n>,
    pub snapshots: Arc<Snapshots>,
    pub settings: Arc<WebSettings>,
    pub clock: Arc<dyn Clock>,
    pub identity: Identity,
    /// The platform secret: signs CSRF tokens.
    pub secret: Arc<[u8; 32]>,
    /// Notification templates, for the inbox.
    pub templates: Arc<tongban_services::notifications::Templates>,
    /// Confirms enterprises and their legal representatives (the demo registry until a
    /// deployment connects its market-regulation registry; production start-up warns).
    pub enterprise_registry: Arc<dyn tongban_services::identity::agency::EnterpriseRegistry>,
    /// The OpenID Connect provider.
    pub oidc: tongban_services::oidc::Oidc,
    /// Records searches that found nothing, in batches, off the request path.
    pub search_misses: tongban_services::search_terms::MissRecorder,
    /// The full-text index of the portal's published services.
    pub search: Arc<SearchIndex>,
    /// Online applications: drafts, counter intake, submission.
    pub applications: tongban_services::applications::Applications,
    /// National administrative divisions plus the catalogue's own region, for address fields.
    pub divisions: Arc<Divisions>,
    /// Uploaded files, by content address.
    pub blobs: Arc<dyn tongban_services::uploads::BlobStore>,
}

impl AppState {
    /// Loads interface strings and the portal's snapshot from the database.
    pub async fn load(
        db: Connection,
        settings: WebSettings,
        clock: Arc<dyn Clock>,
        identity: Identity,
        secret: [u8; 32],
    ) -> anyhow::Result<AppState> {
        let i18n = Arc::new(I18n::load()?);
        let catalog = load_catalog(&db, &settings.region, clock.as_ref()).await?;
        let (search, catalog) = open_search(&settings, catalog).await?;
        search.set_synonyms(
            tongban_services::search_terms::synonym_groups(&db, &settings.region).await?,
        );
        let oidc = tongban_services::oidc::Oidc::new(
            db.clone(),
            identity.cipher.clone(),
            &secret,
            tongban_services::oidc::OidcSettings::new(&settings.public_url),
        );
        // The first start makes the ID-token signing key; later starts find it.
        oidc.ensure_signing_key(clock.as_ref()).await?;
        let search_misses = tongban_services::search_terms::MissRecorder::start(
            db.clone(),
            settings.region.clone(),
            clock.clone(),
        );
        let divisions = Arc::new(region_divisions(&catalog.region));
        let writer = tongban_services::submissions::SubmissionWriter::start(db.clone());
        let applications = tongban_services::applications::Applications::new(
            db.clone(),
            identity.cipher.clone(),
            identity.index.clone(),
            writer,
            divisions.clone(),
            tongban_services::applications::ApplicationSettings {
                certificates: tongban_services::certificates::CertificateSettings {
                    public_url: settings.public_url.trim_end_matches('/').to_owned(),
                    ..settings.applications.certificates.clone()
                },
                ..settings.applications.clone()
            },
        );
        let files_dir = match &settings.files_dir {
            Some(dir) => dir.clone(),
            None => std::env::temp_dir().join(format!("tongban-files-{}", uuid::Uuid::now_v7())),
        };
        let blobs: Arc<dyn tongban_services::uploads::BlobStore> = Arc::new(
            tongban_services::uploads::FsBlobStore::open(files_dir, clock.clone())?,
        );
        release_freed_memory();
        Ok(AppState(Arc::new(AppParts {
            db,
            i18n,
            snapshots: Arc::new(Snapshots::new(catalog)),
            settings: Arc::new(settings),
            clock,
            identity,
            secret: Arc::new(secret),
            templates: Arc::new(tongban_services::notifications::Templates::load()?),
            enterprise_registry: tongban_services::identity::agency::demo_registry(),
            oidc,
            search_misses,
            search,
            applications,
            divisions,
            blobs,
        })))
    }

    /// Rebuilds the snapshot from the database, e.g. after a service is published or a synonym
    /// group changed, and brings
    /// the search index in step (only the services whose version changed are re-indexed), so a
    /// published change is on the portal and in search when this returns.
    pub async fn reload_catalog(&self) -> Result<(), CatalogError> {
        let catalog = load_catalog(&self.db, &self.settings.region, self.clock.as_ref()).await?;
        // Administrators' synonym changes come through here too; they apply at query time.
        self.search.set_synonyms(
            tongban_services::search_terms::synonym_groups(&self.db, &self.settings.region).await?,
        );
        self.snapshots.replace(catalog);
        let snapshot = self.snapshots.current();
        let search = self.search.clone();
        // The index is derived data: when it cannot be written the portal still serves, and
        // the next reload (or `tongban search reindex`) repairs it.
        match tokio::task::spawn_blocking(move || sync_search(&search, &snapshot.catalog)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, "the search index could not be updated"),
            Err(error) => tracing::error!(%error, "the search index update stopped"),
        }
        release_freed_memory();
        Ok(())
    }

    pub fn demo(&self) -> bool {
        self.settings.mode == Mode::Demo
    }
}

/// The national divisions plus the catalogue's region and its districts (a fictitious demo
/// region, or one the national list does not have yet), so addresses in the region can be
/// chosen. A region whose province is missing gets one named after the region.
pub fn region_divisions(region: &tongban_domain::catalog::Region) -> Divisions {
    use tongban_domain::divisions::Division;
    let national = Divisions::national();
    let name = region.name.get(tongban_domain::Locale::ZhCn);
    let mut extra = Vec::new();
    if region.code.len() == 6 {
        let province = format!("{}0000", &region.code[..2]);
        if national.get(&province).is_none() && province != region.code {
            extra.extend(Division::new(&province, name).ok());
        }
    }
    if national.get(&region.code).is_none() {
        extra.extend(Division::new(&region.code, name).ok());
    }
    for district in &region.districts {
        if national.get(&district.code).is_none() {
            extra.extend(
                Division::new(
                    &district.code,
                    district.name.get(tongban_domain::Locale::ZhCn),
                )
                .ok(),
            );
        }
    }
    if extra.is_empty() {
        return national.clone();
    }
    match Divisions::with_extra(extra) {
        Ok(divisions) => divisions,
        Err(error) => {
            tracing::warn!(%error, "the region's own divisions could not be added to address lists");
            national.clone()
        }
    }
}

/// Hands the heap pages freed by a catalogue load back to the system. Loading decodes every
/// service's JSON into a temporary tree several times the size of the result; glibc keeps
/// those pages resident between live allocations (a 5,000-service catalogue left 130 MB
/// behind), and `malloc_trim` returns every whole free page.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The published services of `catalog` as the index takes them.
fn indexed(catalog: &PortalCatalog) -> Vec<IndexedService<'_>> {
    catalog
        .services
        .iter()
        .map(|p| IndexedService {
            service: &p.service,
            version: p.version,
        })
        .collect()
}

/// Brings `search` in step with `catalog`: nothing to do when the fingerprints agree, else the
/// difference (or everything, for a new index).
pub fn sync_search(
    search: &SearchIndex,
    catalog: &PortalCatalog,
) -> Result<(), tongban_search::SearchError> {
    let services = indexed(catalog);
    let fingerprint = tongban_search::fingerprint_of(&catalog.region.code, &services);
    search.sync(&services, &fingerprint)
}

/// Opens (or creates) the portal region's index and brings it in step with the catalogue. With
/// a current index on disk this reads a few files and returns.
async fn open_search(
    settings: &WebSettings,
    catalog: PortalCatalog,
) -> anyhow::Result<(Arc<SearchIndex>, PortalCatalog)> {
    let dir = settings
        .search_dir
        .as_ref()
        .map(|d| d.join(&settings.region));
    // Loading the Chinese dictionary takes a moment: do it beside start-up, not in the first
    // query's time.
    std::thread::spawn(tongban_search::warm_up);
    let (search, catalog) = tokio::task::spawn_blocking(move || {
        let search = match &dir {
            Some(dir) => SearchIndex::open(dir)?,
            None => SearchIndex::in_memory()?,
        };
        let started = std::time::Instant::now();
        let before = search.fingerprint();
        sync_search(&search, &catalog)?;
        if search.fingerprint() != before {
            tracing::info!(
                services = catalog.services.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "search index brought up to date"
            );
        }
        Ok::<_, tongban_search::SearchError>((search, catalog))
    })
    .await??;
    Ok((Arc::new(search), catalog))
}

/// The region's published catalogue, or an empty one when the region has not been imported
/// yet (a production install before its first import still serves its pages).
async fn load_catalog(
    db: &Connection,
    region: &str,
    clock: &dyn Clock,
) -> Result<PortalCatalog, CatalogError> {
    match tongban_services::catalog::load_portal_catalog(db, region, clock).await {
        Err(CatalogError::UnknownRegion(code)) => {
            tracing::warn!(region = %code, "region not imported yet: the portal is empty");
            Ok(PortalCatalog::empty(&code))
        }
        other => other,
    }
}
