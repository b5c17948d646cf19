//! Everything that can go wrong in the server's storage, in words an
//! operator can act on.

use thiserror::Error;
use uuid::Uuid;

/// Why a storage call failed. A failed call leaves the database as it was:
/// every change is made in one transaction.
#[derive(Debug, Error)]
pub enum DbError {
    /// SQLite reported an error.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("PostgreSQL: {}", postgres_message(.0))]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("could not get a PostgreSQL connection: {0}")]
    Pool(String),
    /// The database was migrated by a newer server.
    #[error(
        "the database schema is at version {found}, newer than this server knows ({supported}); update outreach-server (nothing was changed)"
    )]
    SchemaTooNew {
        /// Highest version recorded in `schema_migrations`.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// A name that must be unique is taken.
    #[error("{what} '{name}' already exists")]
    AlreadyExists {
        /// What kind of thing (`team`, `user`).
        what: &'static str,
        /// The name asked for.
        name: String,
    },
    /// A named thing does not exist.
    #[error("no {what} named '{name}'")]
    NotFound {
        /// What kind of thing (`team`, `user`, `device`).
        what: &'static str,
        /// The name or id asked for.
        name: String,
    },
    /// The device was revoked by IT; it may not sign in again.
    #[error("device {0} has been revoked; ask IT to register this laptop again")]
    DeviceRevoked(Uuid),
    /// The device id is registered to someone else.
    #[error("device {0} is registered to another user; ask IT to revoke it first")]
    DeviceOfAnotherUser(Uuid),
    /// A request the rules refuse; `code` is one of the API's stable codes
    /// (`forbidden`, `invalid`).
    #[error("{reason}")]
    Refused {
        /// Stable code.
        code: &'static str,
        /// What happened and what to do.
        reason: String,
    },
    /// Input that cannot be stored (an empty name, a bad role).
    #[error("{0}")]
    Invalid(String),
    /// Stored data could not be read back.
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    /// One record is stored damaged (by an older version) and cannot be read
    /// until the administrator repairs it.
    #[error(
        "record {0} is stored damaged on the server and cannot be read; IT can repair it with `outreach-server record repair`"
    )]
    Unreadable(uuid::Uuid),
    /// The database URL is not one this server understands.
    #[error("database URL not understood: {0} (use postgres://..., sqlite://PATH or a file path)")]
    BadUrl(String),
    /// A blocking database task panicked or was cancelled.
    #[error("a database task failed: {0}")]
    Task(String),
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => Self::Postgres(e),
            other => Self::Pool(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for DbError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// What PostgreSQL said: the server's own message when there is one
/// (tokio-postgres's display alone is just "db error").
fn postgres_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(source) => format!("{e}: {source}"),
            None => e.to_string(),
        },
    }
}

/// Storage results.
pub type Result<T, E = DbError> = std::result::Result<T, E>;
