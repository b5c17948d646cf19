//! The baseline change tracking is measured against: the same records
//! inserted into a bare encrypted table with the store's durability settings
//! (SQLCipher, WAL, `synchronous=FULL`) and nothing else.

use anyhow::{Result, bail};
use outreach_domain::Contact;
use rusqlite::Connection;
use std::path::Path;
use uuid::Uuid;

/// Opens (creating) the bare encrypted table at `path`.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // A throwaway raw key (its randomness does not matter to the timing).
    let key = format!("{}{}", Uuid::now_v7().simple(), Uuid::now_v7().simple());
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("bare table: journal mode {mode}");
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;
         CREATE TABLE bare (id TEXT PRIMARY KEY, data TEXT NOT NULL) STRICT;",
    )?;
    Ok(conn)
}

/// Inserts `contacts` under `ids` in one transaction, serialising each (the
/// store must serialise too, so it is part of the timed work).
pub fn insert(conn: &mut Connection, ids: &[String], contacts: &[Contact]) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO bare (id, data) VALUES (?1, ?2)")?;
        for (id, contact) in ids.iter().zip(contacts) {
            insert.execute([id, &serde_json::to_string(contact)?])?;
        }
    }
    tx.commit()?;
    Ok(())
}
