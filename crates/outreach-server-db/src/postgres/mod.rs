//! The PostgreSQL backend: `tokio-postgres` behind a `deadpool` pool.
//!
//! Writers run in READ COMMITTED and first lock the sequence counter row;
//! pulls run in REPEATABLE READ so records, conflicts and the remaining
//! count come from one snapshot. Connections are plain TCP: run PostgreSQL
//! on the same host or a private network (TLS to PostgreSQL is not wired yet).

mod accounts;
mod rows;
mod tls;
mod tx;

use crate::engine;
use crate::error::{DbError, Result};
use crate::group::{ApplyPushes, PushQueue, QueuedPush};
use crate::model::{
    Actor, AuditEntry, AuditRow, ClientExport, Device, DeviceLogin, Erasure, LoginFailures, NewUser, Repair, Team,
    UnreadableRecord, User,
};
use crate::page::PullPage;
use crate::{Backend, Database, redact_url};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use outreach_protocol::Mutation;
use outreach_protocol::api::{Conflict, MutationResult, RecordChange, ScopeDigest};
use serde_json::Value;
use std::sync::Arc;
use tokio_postgres::{IsolationLevel, NoTls};
use tx::PgTx;
use uuid::Uuid;

/// Most connections the pool opens.
const POOL_SIZE: usize = 16;

/// The server's storage in PostgreSQL.
#[derive(Clone)]
pub struct PostgresDatabase {
    pool: Pool,
    /// This process's pushes take turns here before taking a connection,
    /// and those waiting when a turn comes are applied together in one
    /// transaction (see [`crate::group`]). Pushes are serialised by the
    /// `seq_counter` row lock anyway; without the queue, a burst of pushes
    /// fills the pool with connections waiting on that lock and every pull
    /// queues behind them.
    pushes: Arc<PushQueue>,
}

impl std::fmt::Debug for PostgresDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDatabase").field("pool", &self.pool.status()).finish()
    }
}

impl PostgresDatabase {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/db`) and
    /// checks a connection can be had. Does not migrate.
    ///
    /// `?sslmode=require`, `verify-ca` or `verify-full` connect over TLS and
    /// verify the server's certificate against `&sslrootcert=FILE` or the
    /// system's roots (see [`tls`]).
    pub async fn connect(url: &str) -> Result<Self> {
        let (plain_url, transport) = tls::transport(url)?;
        let config: tokio_postgres::Config = plain_url
            .parse()
            .map_err(|e: tokio_postgres::Error| DbError::BadUrl(format!("{}: {e}", redact_url(url))))?;
        let recycling = ManagerConfig { recycling_method: RecyclingMethod::Fast };
        let manager = match &transport {
            tls::Transport::Plain => Manager::from_config(config, NoTls, recycling),
            tls::Transport::Verified(root) => {
                let connector = tokio_postgres_rustls::MakeRustlsConnect::new(tls::client_config(root.as_ref())?);
                Manager::from_config(config, connector, recycling)
            }
        };
        let pool = Pool::builder(manager).max_size(POOL_SIZE).build().map_err(|e| DbError::Pool(e.to_string()))?;
        drop(pool.get().await?);
        Ok(Self { pool, pushes: Arc::new(PushQueue::new(Arc::default())) })
    }

    /// One pull in a repeatable-read transaction (one consistent view).
    async fn pull_in(&self, actor: &Actor, window: engine::PullWindow) -> Result<PullPage> {
        let mut client = self.client().await?;
        let mut tx =
            PgTx::new(client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start().await?);
        let out = engine::pull(&mut tx, actor, window, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }

    /// The queue pushes wait in for their turn (for tests of grouping).
    #[cfg(feature = "testing")]
    pub(crate) fn push_queue(&self) -> Arc<PushQueue> {
        self.pushes.clone()
    }
}

impl ApplyPushes for PostgresDatabase {
    async fn apply_together(&self, pushes: Vec<Arc<QueuedPush>>) -> Result<Vec<Vec<MutationResult>>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let mut out = Vec::with_capacity(pushes.len());
        for push in &pushes {
            out.push(engine::push(&mut tx, &push.actor, &push.mutations, Utc::now()).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn apply_one(&self, push: Arc<QueuedPush>) -> Result<Vec<MutationResult>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let out = engine::push(&mut tx, &push.actor, &push.mutations, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }
}

#[async_trait]
impl Database for PostgresDatabase {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<Vec<u32>> {
        accounts::migrate(&mut self.client().await?).await
    }

    async fn add_team(&self, name: &str, areas: &[String]) -> Result<Team> {
        accounts::add_team(&mut self.client().await?, name, areas).await
    }

    async fn teams(&self) -> Result<Vec<Team>> {
        accounts::teams(&self.client().await?).await
    }

    async fn add_user(&self, user: NewUser) -> Result<User> {
        accounts::add_user(&mut self.client().await?, &user).await
    }

    async fn user(&self, name: &str) -> Result<Option<User>> {
        accounts::user_by_name(&self.client().await?, name).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        accounts::users(&self.client().await?).await
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<User> {
        accounts::set_user_disabled(&mut self.client().await?, name, disabled).await
    }

    async fn register_device(&self, user_id: Uuid, device_id: Uuid, name: &str, token_hash: &str) -> Result<Device> {
        accounts::register_device(&mut self.client().await?, user_id, device_id, name, token_hash).await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceLogin>> {
        accounts::device_by_token(&self.client().await?, token_hash).await
    }

    async fn touch_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        accounts::touch_device(&self.client().await?, id, at).await
    }

    async fn revoke_device(&self, id: Uuid, reason: Option<&str>) -> Result<Device> {
        accounts::revoke_device(&self.client().await?, id, reason).await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        accounts::devices(&self.client().await?).await
    }

    async fn push(&self, actor: &Actor, mutations: &[Mutation]) -> Result<Vec<MutationResult>> {
        self.pushes.push(self, actor.clone(), mutations.to_vec()).await
    }

    async fn pull_page(&self, actor: &Actor, cursor: i64, limit: i64) -> Result<PullPage> {
        self.pull_in(actor, engine::PullWindow { cursor, limit, until: None, pin: false }).await
    }

    async fn pull_snapshot_page(&self, actor: &Actor, cursor: i64, limit: i64, until: Option<i64>) -> Result<PullPage> {
        self.pull_in(actor, engine::PullWindow { cursor, limit, until, pin: true }).await
    }

    async fn digest(&self, actor: &Actor, cursor: i64) -> Result<ScopeDigest> {
        let mut client = self.client().await?;
        let mut tx =
            PgTx::new(client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start().await?);
        let out = engine::digest(&mut tx, actor, cursor, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn record(&self, actor: &Actor, id: Uuid) -> Result<Option<RecordChange>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let out = engine::record(&mut tx, actor, id, Utc::now()).await?;
        tx.commit().await?;
        Ok(out.map(|r| r.to_change()))
    }

    async fn resolve_conflict(&self, actor: &Actor, id: Uuid, value: Value) -> Result<Option<Conflict>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let out = engine::resolve_conflict(&mut tx, actor, id, value, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn login_failures(&self, keys: &[String]) -> Result<Vec<LoginFailures>> {
        accounts::login_failures(&self.client().await?, keys).await
    }

    async fn count_login_attempt(&self, keys: &[String], now_ms: i64, expired_ms: i64) -> Result<Vec<LoginFailures>> {
        accounts::count_login_attempt(&mut self.client().await?, keys, now_ms, expired_ms).await
    }

    async fn clear_login_failures(&self, key: &str) -> Result<()> {
        self.client().await?.execute("DELETE FROM login_failures WHERE key = $1", &[&key]).await?;
        Ok(())
    }

    async fn uncount_login_attempt(&self, key: &str) -> Result<()> {
        let sql = "UPDATE login_failures SET count = count - 1 WHERE key = $1 AND count > 0";
        self.client().await?.execute(sql, &[&key]).await?;
        Ok(())
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx::insert_audit(&tx, entries).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_log(&self, record: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>> {
        accounts::audit_log(&self.client().await?, record, limit).await
    }

    async fn report_with(
        &self,
        viewer: &crate::Viewer,
        request: &crate::ReportRequest,
        defs: &outreach_reports::Definitions,
    ) -> Result<crate::Report> {
        let client = self.client().await?;
        let client: &tokio_postgres::Client = &client;
        crate::reports::postgres::report(client, viewer, request, defs, Utc::now()).await
    }

    async fn export_client(&self, id: Uuid, by: &str) -> Result<Option<ClientExport>> {
        let mut client = self.client().await?;
        // One consistent snapshot of the client's records, conflicts and audit rows.
        let mut tx =
            PgTx::new(client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).start().await?);
        let out = engine::export_client(&mut tx, id, by, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn erase_client(&self, id: Uuid, by: &str, reason: &str) -> Result<Option<Erasure>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let out = engine::erase_client(&mut tx, id, by, reason, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn unreadable_records(&self) -> Result<Vec<UnreadableRecord>> {
        let rows = self
            .client()
            .await?
            .query("SELECT record_id, seq, reason, first_seen FROM unreadable_records ORDER BY seq", &[])
            .await?;
        rows.iter()
            .map(|r| {
                Ok(UnreadableRecord {
                    id: r.try_get(0)?,
                    seq: r.try_get(1)?,
                    reason: r.try_get(2)?,
                    first_seen: r.try_get(3)?,
                })
            })
            .collect()
    }

    async fn repair_records(&self, by: &str) -> Result<Vec<Repair>> {
        let mut client = self.client().await?;
        let mut tx = PgTx::new(client.transaction().await?);
        let out = engine::repair_records(&mut tx, by, Utc::now()).await?;
        tx.commit().await?;
        Ok(out)
    }
}
