//! Test databases: a fresh SQLite file always, and a fresh PostgreSQL database when
//! `TONGBAN_TEST_POSTGRES_URL` is set, so the same test body runs on both backends.
//!
//! Each PostgreSQL test gets its own database, so tests run in parallel without seeing each
//! other. Under `TONGBAN_TEST_STRICT=1` a missing PostgreSQL server fails the test instead of
//! skipping it.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use crate::{Backend, connect};

/// The environment variable naming the PostgreSQL server used by tests.
pub const POSTGRES_URL_VAR: &str = "TONGBAN_TEST_POSTGRES_URL";

/// Whether skipping a test for a missing outside program is a failure.
pub fn strict() -> bool {
    std::env::var("TONGBAN_TEST_STRICT").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reports a test that cannot run here; panics in strict mode.
pub fn skip(what: &str, why: &str) {
    if strict() {
        panic!("{what} cannot run: {why} (TONGBAN_TEST_STRICT=1 makes this a failure)");
    }
    eprintln!("skipped: {what}: {why}");
}

/// A migrated, empty database for one test.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub conn: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, database: String },
}

impl TestDb {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = crate::sqlite_url_for(dir.path());
        let conn = connect(&url).await.expect("open SQLite");
        crate::migrate(&conn).await.expect("migrate SQLite");
        TestDb {
            backend: Backend::Sqlite,
            url,
            conn,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A migrated database of its own on the test PostgreSQL server, or `None` (reported as a
    /// skip) when no server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            skip(
                &format!("{test} on PostgreSQL"),
                &format!("{POSTGRES_URL_VAR} is not set"),
            );
            return None;
        };
        let database = format!("tb_test_{}", Uuid::now_v7().simple());
        let admin = connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {database}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &database);
        let conn = connect(&url).await.expect("open test database");
        crate::migrate(&conn).await.expect("migrate PostgreSQL");
        Some(TestDb {
            backend: Backend::Postgres,
            url,
            conn,
            cleanup: Cleanup::Postgres {
                admin_url,
                database,
            },
        })
    }

    /// Every backend available here: SQLite, then PostgreSQL when configured.
    pub async fn all(test: &str) -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite().await];
        dbs.extend(TestDb::postgres(test).await);
        dbs
    }

    /// Closes the pool and drops a PostgreSQL test database (a SQLite one goes with its
    /// temporary directory).
    pub async fn finish(self) {
        self.conn.close().await.ok();
        if let Cleanup::Postgres {
            admin_url,
            database,
        } = self.cleanup
            && let Ok(admin) = connect(&admin_url).await
        {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .await
                .ok();
            admin.close().await.ok();
        }
    }
}

/// `url` with its database name replaced, keeping any query string.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{database}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
