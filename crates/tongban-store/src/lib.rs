//! Tongban's persistence: one code path for SQLite (embedded default) and PostgreSQL (scale-out).
//!
//! The backend is chosen once, from the URL scheme, by [`connect`]. Every repository function
//! takes the tenant (region) it works in and filters on it.

pub mod agency;
pub mod audit;
pub mod cases;
pub mod catalog;
pub mod catalog_import;
pub mod catalog_versions;
pub mod certificates;
pub mod email;
pub mod entities;
pub mod exchange;
pub mod identity;
mod migration;
pub mod notifications;
pub mod oidc;
pub mod search_terms;
#[cfg(feature = "testing")]
pub mod testing;
pub mod uploads;
pub mod workflow;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};
use sea_orm_migration::MigratorTrait;

pub use sea_orm::DatabaseConnection as Connection;

/// Errors from the storage layer. Their text is for logs, never for end users.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("stored document in {table} is unreadable: {source}")]
    Corrupt {
        table: &'static str,
        source: serde_json::Error,
    },
    #[error("a record with the same unique value exists: {0}")]
    Duplicate(String),
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The URL of the embedded SQLite database inside a data directory.
pub fn sqlite_url_for(data_dir: &Path) -> String {
    format!("sqlite://{}", data_dir.join("tongban.db").display())
}

/// Opens a pool on `url`. SQLite files are created when missing and run in WAL mode with
/// durable commits and foreign keys on; PostgreSQL pools are sized for a small machine.
pub async fn connect(url: &str) -> StoreResult<DatabaseConnection> {
    let backend = backend_of(url)?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    match backend {
        Backend::Sqlite => {
            if let Some(parent) = sqlite_path(url).and_then(|p| p.parent().map(Path::to_path_buf))
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(&parent).map_err(|source| StoreError::DataDir {
                    path: parent.display().to_string(),
                    source,
                })?;
            }
            options
                .max_connections(8)
                .min_connections(1)
                .map_sqlx_sqlite_opts(|opts: SqliteConnectOptions| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        // FULL: a commit is on disk before it returns. A confirmation (a
                        // tracking number) is shown only once its case is durable, and a power
                        // cut must not take it back; the submission writer batches many cases
                        // into one commit, so the extra fsync is paid once per batch.
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(5))
                });
        }
        Backend::Postgres => {
            options.max_connections(16).min_connections(1);
        }
    }
    Ok(Database::connect(options).await?)
}

/// The backend a URL selects, or an error naming the URL.
pub fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let opts = SqliteConnectOptions::from_str(url).ok()?;
    let path = opts.get_filename();
    (path != Path::new(":memory:")).then(|| path.to_path_buf())
}

/// Applies every pending migration; returns how many ran.
pub async fn migrate(db: &DatabaseConnection) -> StoreResult<usize> {
    let pending = migration::Migrator::get_pending_migrations(db).await?.len();
    migration::Migrator::up(db, None).await?;
    Ok(pending)
}

/// Migrations not yet applied, for `/readyz` and start-up checks.
pub async fn pending_migrations(db: &DatabaseConnection) -> StoreResult<usize> {
    Ok(migration::Migrator::get_pending_migrations(db).await?.len())
}

/// A cheap round trip proving the database answers.
pub async fn ping(db: &DatabaseConnection) -> StoreResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, "SELECT 1"))
        .await?;
    Ok(())
}

/// The backend of an open connection.
pub fn backend(db: &DatabaseConnection) -> Backend {
    match db.get_database_backend() {
        DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

pub use sea_orm;
