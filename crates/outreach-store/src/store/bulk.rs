//! Bulk loading: indexes set aside while a large snapshot arrives.
//!
//! A first sync delivers records in the server's order, which is not the
//! order of every index. `records_by_kind (kind, occurred_at)` receives each
//! page's contacts at random places, so every page's commit rewrote (and
//! re-encrypted) hundreds of its pages: on 100,000 records that was about a
//! third of the laptop's time. While a large snapshot loads, such indexes
//! are dropped, their definition kept in `sync_state` in the same
//! transaction, and rebuilt in one sort in the transaction that completes
//! the snapshot. Nothing depends on them for correctness: queries that use
//! them only run slower meanwhile, and a store opened with a snapshot left
//! unfinished keeps them set aside until the next sync completes it (or a
//! schema migration needs them, see [`Store::open`](super::Store::open)).

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension};

/// Indexes whose entries a snapshot delivers in random order.
const DEFERRABLE: &[&str] = &["records_by_kind"];

/// A snapshot with at least this many records still to come loads with
/// [`DEFERRABLE`] set aside (rebuilding costs about one sort of the table).
pub(super) const BULK_FROM: i64 = 5_000;

/// `sync_state` key prefix under which a set-aside index's SQL is kept.
const KEY_PREFIX: &str = "deferred_index:";

/// Sets the deferrable indexes aside (inside the caller's transaction).
pub(super) fn defer(conn: &Connection) -> Result<()> {
    for name in DEFERRABLE {
        let sql: Option<String> = conn
            .prepare_cached("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let Some(sql) = sql else { continue };
        conn.prepare_cached("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?1, ?2)")?
            .execute([format!("{KEY_PREFIX}{name}"), sql])?;
        conn.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(())
}

/// Rebuilds every index set aside (inside the caller's transaction); does
/// nothing when none is.
pub(super) fn restore(conn: &Connection) -> Result<()> {
    let deferred: Vec<(String, String)> = conn
        .prepare_cached("SELECT key, value FROM sync_state WHERE key GLOB 'deferred_index:*'")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (key, sql) in deferred {
        let name = key.trim_start_matches(KEY_PREFIX);
        let exists = conn
            .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?1")?
            .query_row([name], |_| Ok(()))
            .optional()?
            .is_some();
        if !exists {
            conn.execute_batch(&sql)?;
        }
        conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?.execute([&key])?;
    }
    Ok(())
}

/// At open: rebuilds what a snapshot left set aside, unless that snapshot
/// is still under way (the next sync continues it) and no migration is
/// about to run (a migration may expect every index to be there).
pub(super) fn restore_at_open(conn: &mut Connection, migration_pending: bool) -> Result<()> {
    let has_state: bool = conn
        .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some();
    if !has_state || !deferred(conn)? {
        return Ok(());
    }
    let loading = conn
        .prepare_cached("SELECT 1 FROM sync_state WHERE key = ?1")?
        .query_row([super::sync::SNAPSHOT_UNTIL], |_| Ok(()))
        .optional()?
        .is_some();
    if loading && !migration_pending {
        return Ok(());
    }
    let tx = conn.transaction()?;
    restore(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Whether any index is set aside.
pub(super) fn deferred(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM sync_state WHERE key GLOB 'deferred_index:*' LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?
        .is_some())
}
