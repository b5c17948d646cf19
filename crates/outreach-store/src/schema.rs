//! The store's schema: numbered SQL migrations from `migrations/client/`,
//! applied in order when a store is opened, tracked in `PRAGMA user_version`.

use crate::error::{Result, StoreError};
use rusqlite::Connection;

/// The migrations this build knows, in order; index + 1 is the version.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_records", include_str!("../../../migrations/client/0001_records.sql")),
    ("0002_client_index", include_str!("../../../migrations/client/0002_client_index.sql")),
    ("0003_sync", include_str!("../../../migrations/client/0003_sync.sql")),
    ("0004_outbox_by_reference", include_str!("../../../migrations/client/0004_outbox_by_reference.sql")),
    ("0005_mirror_scope", include_str!("../../../migrations/client/0005_mirror_scope.sql")),
];

/// The schema version a fully migrated store has.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The schema version recorded in the database.
pub fn current_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Applies the migrations after the store's version, up to `target`, each in
/// its own transaction with the version bump, so an interrupted upgrade
/// resumes where it stopped. Returns how many ran. A store newer than this
/// build is refused untouched.
pub fn migrate(conn: &mut Connection, target: u32) -> Result<u32> {
    let found = current_version(conn)?;
    if found > latest_version() {
        return Err(StoreError::TooNew { found, supported: latest_version() });
    }
    let mut applied = 0;
    for (index, (_name, sql)) in MIGRATIONS.iter().enumerate().take(target as usize).skip(found as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}
