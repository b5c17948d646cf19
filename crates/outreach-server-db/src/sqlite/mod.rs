//! The embedded SQLite backend: a file, WAL with `synchronous=FULL`, a few
//! pooled connections used on tokio's blocking pool.
//!
//! Uses the workspace's one `rusqlite` (SQLCipher build); the server's file
//! is not encrypted: keep it on an encrypted volume, or use PostgreSQL.

mod accounts;
mod rows;
mod tx;

use crate::engine;
use crate::error::{DbError, Result};
use crate::group::{ApplyPushes, PushQueue, QueuedPush};
use crate::model::{
    Actor, AuditEntry, AuditRow, ClientExport, Device, DeviceLogin, Erasure, LoginFailures, NewUser, Repair, Team,
    UnreadableRecord, User,
};
use crate::page::PullPage;
use crate::{Backend, Database};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use outreach_protocol::Mutation;
use outreach_protocol::api::{Conflict, MutationResult, RecordChange, ScopeDigest};
use rusqlite::{Connection, TransactionBehavior};
use serde_json::Value;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tx::SqliteTx;
use uuid::Uuid;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;
/// Connections in use at once (each has its own page cache, up to 2 MiB):
/// without a bound, 200 devices signing requests at once opened 200.
const MAX_OPEN: usize = 8;
/// How long a writer waits for another's lock before giving up.
const BUSY_TIMEOUT_MS: u32 = 10_000;

/// The server's storage in one SQLite file.
#[derive(Clone)]
pub struct SqliteDatabase {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Writers of this process take turns here, first come first served,
    /// rather than in SQLite's busy handler, which sleeps and retries: under
    /// many devices at once that left the file idle between writers and let
    /// late arrivals overtake early ones.
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Pushes waiting for the writers' turn: those waiting when it comes
    /// are applied together in one transaction (see [`crate::group`]).
    pushes: Arc<PushQueue>,
    /// Bounds the connections in use at once to [`MAX_OPEN`].
    open: tokio::sync::Semaphore,
}

impl std::fmt::Debug for SqliteDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDatabase").field("path", &self.inner.path).finish()
    }
}

/// Opens a connection with the durability settings every connection needs.
fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(DbError::Invalid(format!("{} cannot use WAL (journal mode {mode})", path.display())));
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA busy_timeout = {BUSY_TIMEOUT_MS};"
    ))?;
    Ok(conn)
}

/// Runs an engine future whose steps are all synchronous (SQLite's are) to
/// completion on this thread.
fn run_now<F: Future>(fut: F) -> Result<F::Output> {
    let mut fut = pin!(fut);
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => Ok(out),
        Poll::Pending => Err(DbError::Task("a SQLite step unexpectedly waited".into())),
    }
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database file at `path`. Blocking:
    /// call it at start-up or on the blocking pool. Does not migrate.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let conn = open_connection(&path)?;
        let writers = Arc::new(tokio::sync::Mutex::new(()));
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                idle: Mutex::new(vec![conn]),
                pushes: Arc::new(PushQueue::new(writers.clone())),
                writers,
                open: tokio::sync::Semaphore::new(MAX_OPEN),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The queue pushes wait in for the writers' turn (for tests of grouping).
    #[cfg(feature = "testing")]
    pub(crate) fn push_queue(&self) -> Arc<PushQueue> {
        self.inner.pushes.clone()
    }

    /// Runs `f` with a pooled connection on the blocking pool.
    async fn run<R, F>(&self, f: F) -> Result<R>
    where
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let _permit = self.inner.open.acquire().await.map_err(|e| DbError::Task(e.to_string()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&inner.path)?,
            };
            let out = f(&mut conn);
            if conn.is_autocommit() {
                let mut idle = inner.idle.lock().unwrap_or_else(|p| p.into_inner());
                if idle.len() < MAX_IDLE {
                    idle.push(conn);
                }
            }
            out
        })
        .await
        .map_err(|e| DbError::Task(e.to_string()))?
    }

    /// Runs an engine operation in one immediate (write-locked) transaction,
    /// after the writers before it in this process.
    async fn in_tx<R, F>(&self, f: F) -> Result<R>
    where
        F: for<'t> FnOnce(&'t mut SqliteTx<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        let _turn = self.inner.writers.lock().await;
        self.tx_now(f).await
    }

    /// Runs `f` in one immediate transaction; the caller holds the writers' turn.
    async fn tx_now<R, F>(&self, f: F) -> Result<R>
    where
        F: for<'t> FnOnce(&'t mut SqliteTx<'_>) -> Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.run(move |conn| {
            let mut tx = SqliteTx { tx: conn.transaction_with_behavior(TransactionBehavior::Immediate)? };
            let out = f(&mut tx)?;
            tx.tx.commit()?;
            Ok(out)
        })
        .await
    }
}

impl ApplyPushes for SqliteDatabase {
    async fn apply_together(&self, pushes: Vec<Arc<QueuedPush>>) -> Result<Vec<Vec<MutationResult>>> {
        self.tx_now(move |tx| {
            let mut out = Vec::with_capacity(pushes.len());
            for push in &pushes {
                out.push(run_now(engine::push(tx, &push.actor, &push.mutations, Utc::now()))??);
            }
            Ok(out)
        })
        .await
    }

    async fn apply_one(&self, push: Arc<QueuedPush>) -> Result<Vec<MutationResult>> {
        self.tx_now(move |tx| run_now(engine::push(tx, &push.actor, &push.mutations, Utc::now()))?).await
    }
}

#[async_trait]
impl Database for SqliteDatabase {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<Vec<u32>> {
        self.run(accounts::migrate).await
    }

    async fn add_team(&self, name: &str, areas: &[String]) -> Result<Team> {
        let (name, areas) = (name.to_string(), areas.to_vec());
        self.run(move |c| accounts::add_team(c, &name, &areas)).await
    }

    async fn teams(&self) -> Result<Vec<Team>> {
        self.run(|c| accounts::teams(c)).await
    }

    async fn add_user(&self, user: NewUser) -> Result<User> {
        self.run(move |c| accounts::add_user(c, &user)).await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        let name = name.to_string();
        self.run(move |c| accounts::user(c, &name)).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        self.run(|c| accounts::users(c)).await
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<User> {
        let name = name.to_string();
        self.run(move |c| accounts::set_user_disabled(c, &name, disabled)).await
    }

    async fn register_device(&self, user_id: Uuid, device_id: Uuid, name: &str, token_hash: &str) -> Result<Device> {
        let (name, hash) = (name.to_string(), token_hash.to_string());
        self.run(move |c| accounts::register_device(c, user_id, device_id, &name, &hash)).await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceLogin>> {
        let hash = token_hash.to_string();
        self.run(move |c| accounts::device_by_token(c, &hash)).await
    }

    async fn touch_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        self.run(move |c| accounts::touch_device(c, id, at)).await
    }

    async fn revoke_device(&self, id: Uuid, reason: Option<&str>) -> Result<Device> {
        let reason = reason.map(str::to_string);
        self.run(move |c| accounts::revoke_device(c, id, reason.as_deref())).await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        self.run(|c| accounts::devices(c)).await
    }

    async fn push(&self, actor: &Actor, mutations: &[Mutation]) -> Result<Vec<MutationResult>> {
        self.inner.pushes.push(self, actor.clone(), mutations.to_vec()).await
    }

    async fn pull_page(&self, actor: &Actor, cursor: i64, limit: i64) -> Result<PullPage> {
        let actor = actor.clone();
        let window = engine::PullWindow { cursor, limit, until: None, pin: false };
        self.in_tx(move |tx| run_now(engine::pull(tx, &actor, window, Utc::now()))?).await
    }

    async fn pull_snapshot_page(&self, actor: &Actor, cursor: i64, limit: i64, until: Option<i64>) -> Result<PullPage> {
        let actor = actor.clone();
        let window = engine::PullWindow { cursor, limit, until, pin: true };
        self.in_tx(move |tx| run_now(engine::pull(tx, &actor, window, Utc::now()))?).await
    }

    async fn digest(&self, actor: &Actor, cursor: i64) -> Result<ScopeDigest> {
        let actor = actor.clone();
        self.in_tx(move |tx| run_now(engine::digest(tx, &actor, cursor, Utc::now()))?).await
    }

    async fn record(&self, actor: &Actor, id: Uuid) -> Result<Option<RecordChange>> {
        let actor = actor.clone();
        let found = self.in_tx(move |tx| run_now(engine::record(tx, &actor, id, Utc::now()))?).await?;
        Ok(found.map(|r| r.to_change()))
    }

    async fn resolve_conflict(&self, actor: &Actor, id: Uuid, value: Value) -> Result<Option<Conflict>> {
        let actor = actor.clone();
        self.in_tx(move |tx| run_now(engine::resolve_conflict(tx, &actor, id, value, Utc::now()))?).await
    }

    async fn login_failures(&self, keys: &[String]) -> Result<Vec<LoginFailures>> {
        let keys = serde_json::to_string(keys)?;
        self.run(move |c| accounts::login_failures(c, &keys)).await
    }

    async fn count_login_attempt(&self, keys: &[String], now_ms: i64, expired_ms: i64) -> Result<Vec<LoginFailures>> {
        let keys = serde_json::to_string(keys)?;
        self.run(move |c| accounts::count_login_attempt(c, &keys, now_ms, expired_ms)).await
    }

    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        let key = key.to_string();
        self.run(move |c| {
            c.execute("DELETE FROM login_failures WHERE key = ?1", [key])?;
            Ok(())
        })
        .await
    }

    async fn uncount_login_attempt(&self, key: &str) -> Result<()> {
        let key = key.to_string();
        self.run(move |c| {
            c.execute("UPDATE login_failures SET count = count - 1 WHERE key = ?1 AND count > 0", [key])?;
            Ok(())
        })
        .await
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        let entries = entries.to_vec();
        self.in_tx(move |tx| accounts::insert_audit(&tx.tx, &entries)).await
    }

    async fn audit_log(&self, record: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>> {
        self.run(move |c| accounts::audit_log(c, record, limit)).await
    }

    async fn report_with(
        &self,
        viewer: &crate::Viewer,
        request: &crate::ReportRequest,
        defs: &outreach_reports::Definitions,
    ) -> Result<crate::Report> {
        let (viewer, request, defs) = (viewer.clone(), request.clone(), defs.clone());
        self.run(move |c| crate::reports::sqlite::report(c, &viewer, &request, &defs, Utc::now())).await
    }

    async fn export_client(&self, id: Uuid, by: &str) -> Result<Option<ClientExport>> {
        let by = by.to_string();
        self.in_tx(move |tx| run_now(engine::export_client(tx, id, &by, Utc::now()))?).await
    }

    async fn erase_client(&self, id: Uuid, by: &str, reason: &str) -> Result<Option<Erasure>> {
        let (by, reason) = (by.to_string(), reason.to_string());
        self.in_tx(move |tx| run_now(engine::erase_client(tx, id, &by, &reason, Utc::now()))?).await
    }

    async fn unreadable_records(&self) -> Result<Vec<UnreadableRecord>> {
        self.run(|c| {
            let mut stmt =
                c.prepare_cached("SELECT record_id, seq, reason, first_seen FROM unreadable_records ORDER BY seq")?;
            let rows = stmt.query_map([], |r| {
                Ok(UnreadableRecord { id: rows::uuid(r, 0)?, seq: r.get(1)?, reason: r.get(2)?, first_seen: r.get(3)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn repair_records(&self, by: &str) -> Result<Vec<Repair>> {
        let by = by.to_string();
        self.in_tx(move |tx| run_now(engine::repair_records(tx, &by, Utc::now()))?).await
    }
}
