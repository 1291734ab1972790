//! The application state handlers share: the database, the catalogue snapshot with its page
//! cache, interface strings and settings.
//!
//! The snapshot sits behind [`Snapshots`] so that a later multi-instance deployment can replace
//! the reload trigger (today: in-process, after a change) without touching handlers.

use std::sync::{Arc, RwLock};

use tongban_domain::clock::Clock;
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
        })))
    }

    /// Rebuilds the snapshot from the database, e.g. after a service is published.
    pub async fn reload_catalog(&self) -> Result<(), CatalogError> {
        let catalog = load_catalog(&self.db, &self.settings.region, self.clock.as_ref()).await?;
        self.snapshots.replace(catalog);
        Ok(())
    }

    pub fn demo(&self) -> bool {
        self.settings.mode == Mode::Demo
    }
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
