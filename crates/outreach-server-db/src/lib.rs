//! Storage of the Outreach sync server.
//!
//! One async trait, [`Database`], is everything the server asks of storage:
//! accounts (teams and the areas they cover, users, devices), the sync
//! operations (push, pull, one record, resolving a conflict) and the
//! append-only audit log. Two backends implement it:
//!
//! - [`SqliteDatabase`]: an embedded file for a small service, run on
//!   tokio's blocking pool with a few pooled connections, WAL and
//!   `synchronous=FULL`;
//! - [`PostgresDatabase`]: `tokio-postgres` behind a `deadpool` pool.
//!
//! The sync rules themselves live once, in `engine`, written over a small
//! set of storage steps that each backend implements inside a transaction;
//! the merge of a pushed mutation is [`outreach_sync::decide`]. Visibility
//! is described in [`scope`]; credentials in [`credentials`].
//!
//! Global sequence numbers follow commit order: every writing transaction
//! first locks the single-row `seq_counter` and bumps it for each row it
//! writes (PostgreSQL counts in memory under the lock and writes the last
//! value back just before COMMIT), holding the lock until COMMIT. Writers are therefore serialised,
//! and a reader that has seen sequence `n` has already seen every row below
//! it: a pull cursor never skips a row that committed late.

pub mod credentials;
mod engine;
pub mod error;
mod group;
pub mod migrations;
pub mod model;
pub mod page;
mod postgres;
pub mod reports;
pub mod scope;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{DbError, Result};
pub use model::{
    Actor, AuditEntry, AuditRow, ClientExport, Device, DeviceLogin, Erasure, ExportedAudit, LoginFailures, NewUser,
    Repair, Team, UnreadableRecord, User,
};
pub use page::{PullPage, PulledRecord};
pub use postgres::PostgresDatabase;
pub use reports::{Report, ReportRequest, Viewer};
pub use sqlite::SqliteDatabase;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use outreach_protocol::Mutation;
use outreach_protocol::api::{Conflict, MutationResult, PullResponse, RecordChange, ScopeDigest};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// Which backend a [`Database`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Everything the server stores. Every method is one transaction: it
/// happens completely or not at all.
#[async_trait]
pub trait Database: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Applies the migrations not yet applied, in order; returns the
    /// versions applied now (empty when up to date). Refuses a database
    /// migrated by a newer server.
    async fn migrate(&self) -> Result<Vec<u32>>;

    /// Makes a team covering `areas` (local authority names).
    async fn add_team(&self, name: &str, areas: &[String]) -> Result<Team>;
    /// Every team, by name.
    async fn teams(&self) -> Result<Vec<Team>>;

    /// Makes a user; its teams must exist.
    async fn add_user(&self, user: NewUser) -> Result<User>;
    /// One user by name (with the password hash, for sign-in).
    async fn user(&self, name: &str) -> Result<Option<User>>;
    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>>;
    /// Disables (or re-enables) a user: a disabled user cannot sign in or sync.
    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<User>;

    /// Registers a device for a user with the hash of a new token, or gives
    /// the user's existing device a new token (the old one stops working).
    /// Refuses a revoked device and one registered to another user.
    async fn register_device(&self, user_id: Uuid, device_id: Uuid, name: &str, token_hash: &str) -> Result<Device>;
    /// The device a token hash belongs to, revoked or not.
    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceLogin>>;
    /// Notes that a device was seen at `at`.
    async fn touch_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
    /// Revokes a device: its token is refused from now on.
    async fn revoke_device(&self, id: Uuid, reason: Option<&str>) -> Result<Device>;
    /// Every device, newest first.
    async fn devices(&self) -> Result<Vec<Device>>;

    /// Applies pushed mutations in order (each at most once, by id) and
    /// returns one result per mutation; audited per mutation.
    async fn push(&self, actor: &Actor, mutations: &[Mutation]) -> Result<Vec<MutationResult>>;
    /// Changes after `cursor` that `actor` may see, at most `limit`;
    /// audited per record sent. Records' data stay the JSON text stored:
    /// what the server sends.
    async fn pull_page(&self, actor: &Actor, cursor: i64, limit: i64) -> Result<PullPage>;
    /// [`Database::pull_page`] as devices sync: a pull from cursor 0 is a
    /// snapshot pinned at the current highest sequence (named in the
    /// answer's `snapshot_seq`), and one with `until` is a later page of the
    /// snapshot pinned there (only changes up to it).
    async fn pull_snapshot_page(&self, actor: &Actor, cursor: i64, limit: i64, until: Option<i64>) -> Result<PullPage>;
    /// [`Database::pull_page`] in the protocol's form (every record's data
    /// parsed), for callers in process.
    async fn pull(&self, actor: &Actor, cursor: i64, limit: i64) -> Result<PullResponse> {
        self.pull_page(actor, cursor, limit).await?.into_response()
    }
    /// [`Database::pull_snapshot_page`] in the protocol's form, for callers
    /// in process.
    async fn pull_snapshot(&self, actor: &Actor, cursor: i64, limit: i64, until: Option<i64>) -> Result<PullResponse> {
        self.pull_snapshot_page(actor, cursor, limit, until).await?.into_response()
    }
    /// The count and hash of the records `actor` may see, per scope unit,
    /// for a device whose cursor is `cursor` (see [`ScopeDigest`]).
    async fn digest(&self, actor: &Actor, cursor: i64) -> Result<ScopeDigest>;
    /// One record if `actor` may see it (`None` when absent or outside
    /// scope alike); audited either way.
    async fn record(&self, actor: &Actor, id: Uuid) -> Result<Option<RecordChange>>;
    /// Records a person's choice for a conflict (see the engine's rules);
    /// `None` when absent or outside scope.
    async fn resolve_conflict(&self, actor: &Actor, id: Uuid, value: Value) -> Result<Option<Conflict>>;

    /// The failed sign-ins counted against each of `keys` (those with none
    /// are left out). Shared by every server on this database.
    async fn login_failures(&self, keys: &[String]) -> Result<Vec<LoginFailures>>;
    /// Counts one sign-in attempt at `now_ms` against each of `keys`, before
    /// its password is checked, and returns each key's count with it: the
    /// check and the count are one atomic step, so attempts sent at once
    /// cannot all see the count from before any of them. A count whose first
    /// attempt is at or before `expired_ms` starts again from this one, and
    /// such counts of other keys are deleted.
    async fn count_login_attempt(&self, keys: &[String], now_ms: i64, expired_ms: i64) -> Result<Vec<LoginFailures>>;
    /// Forgets the failed sign-ins counted against `key`.
    async fn clear_login_failures(&self, key: &str) -> Result<()>;
    /// Takes back one attempt counted against `key` (a sign-in that turned
    /// out right is not a failure of its address).
    async fn uncount_login_attempt(&self, key: &str) -> Result<()>;

    /// Appends audit entries (sign-ins, account changes).
    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()>;
    /// The last `limit` audit entries, oldest first, optionally about one record.
    async fn audit_log(&self, record: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>>;

    /// Everything held on client `id` (its record, every record whose
    /// `client_id` is it, their conflicts and audit rows), for the
    /// administrator `by`; audited as `client_export`. `None` when there is
    /// no such record; refused when `id` is not a client record.
    async fn export_client(&self, id: Uuid, by: &str) -> Result<Option<ClientExport>>;
    /// An administrator's erasure of client `id`: the client record and
    /// every record about it are marked erased, their data cleared to `{}`,
    /// each with a new `seq` so devices pull `erased: true` and drop their
    /// copies; their conflicts' values are cleared. Audited per record as
    /// `erase`, with `reason` (required). `None` when there is no such record.
    async fn erase_client(&self, id: Uuid, by: &str, reason: &str) -> Result<Option<Erasure>>;

    /// The records pulls met but could not read (stored damaged by an older
    /// version), for `/health` and the administrator.
    async fn unreadable_records(&self) -> Result<Vec<UnreadableRecord>>;
    /// Mends records stored damaged: a clock stamp that does not read back
    /// is replaced by one made from the record's own change time and device,
    /// with a new sequence number so devices receive the record; a record
    /// whose data cannot be read is reported, not changed. Audited per
    /// record as `repair_record` by `by`.
    async fn repair_records(&self, by: &str) -> Result<Vec<Repair>>;

    /// Makes a report (see [`reports`]) for `viewer`: refused (`Refused`
    /// with code `forbidden`) outside what the viewer's roles and teams
    /// allow, and audited either way (`report` or `report_denied`).
    /// Uses the default [`outreach_reports::Definitions`]; see [`Database::report_with`].
    async fn report(&self, viewer: &Viewer, request: &ReportRequest) -> Result<Report> {
        self.report_with(viewer, request, &outreach_reports::Definitions::default()).await
    }

    /// [`Database::report`] with the operator's own definitions (the
    /// long-term and returner rules, lookbacks, suppression threshold).
    async fn report_with(
        &self,
        viewer: &Viewer,
        request: &ReportRequest,
        defs: &outreach_reports::Definitions,
    ) -> Result<Report>;
}

/// Opens the database named by `url`: `postgres://...` or
/// `postgresql://...` for PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a
/// plain file path for SQLite. Does not migrate.
pub async fn connect(url: &str) -> Result<Arc<dyn Database>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(PostgresDatabase::connect(url).await?));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if path.is_empty() || path.contains("://") {
        return Err(DbError::BadUrl(redact_url(url)));
    }
    let path = PathBuf::from(path);
    Ok(Arc::new(
        tokio::task::spawn_blocking(move || SqliteDatabase::open(path))
            .await
            .map_err(|e| DbError::Task(e.to_string()))??,
    ))
}

/// A database URL fit for a log line: any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(redact_url("postgres://app:s3cret@db:5432/outreach"), "postgres://app:***@db:5432/outreach");
        assert_eq!(redact_url("postgres://app@db/outreach"), "postgres://app@db/outreach");
        assert_eq!(redact_url("/var/lib/outreach.db"), "/var/lib/outreach.db");
    }
}
