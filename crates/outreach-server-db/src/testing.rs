//! Temporary databases for tests (feature `testing`): a SQLite file in a
//! temporary folder, or a uniquely named PostgreSQL database, migrated, and
//! removed again by [`run`] whether the test passed or not.
//!
//! PostgreSQL is reached through `OUTREACH_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres` (a role allowed to create
//! databases).

use crate::error::{DbError, Result};
use crate::group::PushQueue;
use crate::{Backend, Database, PostgresDatabase, SqliteDatabase};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tempfile::TempDir;
use tokio_postgres::NoTls;
use uuid::Uuid;

/// The default administrative connection for test databases.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A migrated database that exists only for one test.
#[derive(Clone)]
pub struct TestDb {
    db: Arc<dyn Database>,
    target: Arc<Target>,
    pushes: Arc<PushQueue>,
}

enum Target {
    Sqlite { _dir: TempDir, path: PathBuf },
    Postgres { admin_url: String, name: String, url: String },
}

fn admin_url() -> String {
    std::env::var("OUTREACH_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

/// `admin_url` with its database name replaced by `name`.
fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn admin_execute(url: &str, sql: &str) -> Result<()> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let task = tokio::spawn(connection);
    let out = client.batch_execute(sql).await;
    drop(client);
    let _ = task.await;
    Ok(out?)
}

impl TestDb {
    /// A fresh, migrated database on `backend`.
    pub async fn new(backend: Backend) -> Result<Self> {
        let (db, target, pushes): (Arc<dyn Database>, Target, _) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| DbError::Invalid(e.to_string()))?;
                let path = dir.path().join("outreach-server.db");
                let db = SqliteDatabase::open(path.clone())?;
                let pushes = db.push_queue();
                (Arc::new(db), Target::Sqlite { _dir: dir, path }, pushes)
            }
            Backend::Postgres => {
                let admin_url = admin_url();
                let name =
                    format!("outreach_test_{}_{}", std::process::id(), &Uuid::now_v7().simple().to_string()[20..]);
                admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await?;
                let url = with_database(&admin_url, &name);
                let db = PostgresDatabase::connect(&url).await?;
                let pushes = db.push_queue();
                (Arc::new(db), Target::Postgres { admin_url, name, url }, pushes)
            }
        };
        let test = Self { db, target: Arc::new(target), pushes };
        test.db.migrate().await?;
        Ok(test)
    }

    /// The database.
    pub fn db(&self) -> Arc<dyn Database> {
        self.db.clone()
    }

    /// Holds the write turn until the guard is dropped: pushes made
    /// meanwhile queue, and are applied together when it is released.
    pub async fn hold_write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.pushes.hold_turn().await
    }

    /// How many pushes are queued for the write turn.
    pub fn queued_pushes(&self) -> usize {
        self.pushes.waiting()
    }

    /// Its URL, as `outreach-server --database` takes it.
    pub fn url(&self) -> String {
        match &*self.target {
            Target::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            Target::Postgres { url, .. } => url.clone(),
        }
    }

    /// Runs SQL over a separate connection, bypassing [`Database`]: for
    /// tests that prove the schema itself refuses something.
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        match &*self.target {
            Target::Sqlite { path, .. } => {
                let (path, sql) = (path.clone(), sql.to_string());
                tokio::task::spawn_blocking(move || -> Result<()> {
                    let conn = rusqlite::Connection::open(path)?;
                    conn.execute_batch(&sql)?;
                    Ok(())
                })
                .await
                .map_err(|e| DbError::Task(e.to_string()))?
            }
            Target::Postgres { url, .. } => admin_execute(url, sql).await,
        }
    }

    /// Removes the database (a PostgreSQL database is dropped, its
    /// connections closed; a SQLite folder goes when the last clone does).
    pub async fn cleanup(self) -> Result<()> {
        if let Target::Postgres { admin_url, name, .. } = &*self.target {
            admin_execute(admin_url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
        }
        Ok(())
    }
}

/// Runs `test` against a fresh database on `backend`, then removes the
/// database, and re-raises the test's panic, if any.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestDb) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let db = match TestDb::new(backend).await {
        Ok(db) => db,
        Err(e) => panic!("could not make a {backend:?} test database: {e}"),
    };
    let outcome = tokio::spawn(test(db.clone())).await;
    if let Err(e) = db.cleanup().await {
        eprintln!("warning: test database not removed: {e}");
    }
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("test task failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "t2"), "postgres://u:p@h/t2?sslmode=disable");
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
    }
}
