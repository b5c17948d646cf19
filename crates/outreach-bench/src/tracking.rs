//! The baselines change tracking is measured against: the same contacts
//! inserted, with nothing tracked, into a fresh SQLCipher database with the
//! store's durability settings (WAL, `synchronous=FULL`, 64 MiB cache).
//!
//! Two baselines, because "a plain insert" can mean two things:
//! - [`Baseline::RecordsTable`]: the store's own `records` table (its DDL and
//!   three indexes read from the store's first migration), filled with the
//!   same columns `Store::create_many` writes, but with no outbox entry,
//!   audit entry or summary refresh. Store time over this is what change
//!   tracking adds to a plain insert of the same record.
//! - [`Baseline::Bare`]: a two-column table `(id, data)`: the least any store
//!   of these bodies could write. Store time over this also counts the
//!   `records` table's own metadata columns and indexes.

use anyhow::{Context, Result, bail};
use chrono::Utc;
use outreach_domain::Contact;
use outreach_store::Store;
use outreach_synth::Generator;
use rusqlite::{Connection, params};
use std::path::Path;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The store's first client migration, which creates the `records` table.
const FIRST_MIGRATION: &str = include_str!("../../../migrations/client/0001_records.sql");

/// Which table a baseline insert writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// The store's `records` table and indexes, no tracking.
    RecordsTable,
    /// A bare `(id, data)` table.
    Bare,
}

impl Baseline {
    /// Both, in the order reports list them.
    pub const ALL: [Baseline; 2] = [Baseline::RecordsTable, Baseline::Bare];

    /// How a report names it.
    pub fn label(self) -> &'static str {
        match self {
            Baseline::RecordsTable => "the store's records table, untracked",
            Baseline::Bare => "a bare (id, data) table",
        }
    }
}

/// The `records` table's DDL: its `CREATE TABLE` and `CREATE INDEX`
/// statements, taken from the store's migration so the baseline cannot drift
/// from the real table.
pub fn records_ddl() -> Result<String> {
    // Comments may hold semicolons: drop them before splitting statements.
    let code: String =
        FIRST_MIGRATION.lines().map(|l| l.split_once("--").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n");
    let statements: Vec<&str> = code
        .split(';')
        .map(str::trim)
        .filter(|s| s.starts_with("CREATE TABLE records") || s.contains(" ON records "))
        .collect();
    if !statements.iter().any(|s| s.contains("CREATE TABLE records")) {
        bail!("the first client migration no longer creates the records table");
    }
    Ok(statements.iter().map(|s| format!("{s};\n")).collect())
}

/// Opens (creating) a baseline database at `path`.
pub fn open(path: &Path, baseline: Baseline) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // A throwaway raw key (its randomness does not matter to the timing).
    let key = format!("{}{}", Uuid::now_v7().simple(), Uuid::now_v7().simple());
    conn.execute_batch(&format!("PRAGMA key = \"x'{key}'\";"))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        bail!("baseline table: journal mode {mode}");
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA cache_size = -65536;")?;
    let ddl = match baseline {
        Baseline::Bare => "CREATE TABLE bare (id TEXT PRIMARY KEY, data TEXT NOT NULL) STRICT;".to_string(),
        Baseline::RecordsTable => records_ddl()?,
    };
    conn.execute_batch(&ddl).context("creating the baseline table")?;
    Ok(conn)
}

/// Inserts `contacts` in one transaction, serialising each (the store must
/// serialise too, so it is part of the timed work). The records-table
/// baseline fills every column `create_many` fills, with text of the same
/// shapes (ids, RFC 3339 times, a clock stamp).
pub fn insert(conn: &mut Connection, baseline: Baseline, contacts: &[Contact]) -> Result<()> {
    let device = Uuid::now_v7().to_string();
    let at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let tx = conn.transaction()?;
    {
        match baseline {
            Baseline::Bare => {
                let mut insert = tx.prepare("INSERT INTO bare (id, data) VALUES (?1, ?2)")?;
                for contact in contacts {
                    insert.execute([&Uuid::now_v7().to_string(), &serde_json::to_string(contact)?])?;
                }
            }
            Baseline::RecordsTable => {
                let mut insert = tx.prepare(
                    "INSERT INTO records (id, kind, client_id, data, created_at, updated_at, created_by,
                         updated_by, device, deleted, version, hlc, amends, occurred_at)
                     VALUES (?1, 'contact', ?2, ?3, ?4, ?4, 'amy.w', 'amy.w', ?5, 0, 0, ?6, NULL, ?7)",
                )?;
                for (i, contact) in contacts.iter().enumerate() {
                    let hlc = format!("{:013}-{i:08}-{device}", Utc::now().timestamp_millis());
                    let occurred = contact.at.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                    insert.execute(params![
                        Uuid::now_v7().to_string(),
                        contact.client_id.to_string(),
                        serde_json::to_string(contact)?,
                        at,
                        device,
                        hlc,
                        occurred,
                    ])?;
                }
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// What one comparison measured: `create_many` into a fresh store, and
/// the same contacts into each baseline, one timing per run.
#[derive(Debug, Default)]
pub struct Comparison {
    /// `Store::create_many` times.
    pub store: Vec<Duration>,
    /// Each baseline's insert times, in [`Baseline::ALL`] order.
    pub baselines: Vec<(Baseline, Vec<Duration>)>,
}

/// Runs the comparison `runs` times under `dir`: each run makes a fresh
/// store with 100 clients (warmed up with 100 contacts), times
/// `create_many` of `n` new contacts for them, then times inserting the
/// same contacts into a fresh database of each baseline. One transaction
/// each; every folder is removed after its run.
pub fn compare(dir: &Path, generator: &mut Generator, passphrase: &str, n: usize, runs: usize) -> Result<Comparison> {
    let mut out =
        Comparison { baselines: Baseline::ALL.iter().map(|b| (*b, Vec::new())).collect(), ..Comparison::default() };
    for run in 0..runs {
        let folder = dir.join(format!("tracking-{run}"));
        let mut store = Store::init(&folder.join("store"), passphrase, "amy.w")?;
        let clients: Vec<Uuid> = store
            .create_many((0..100).map(|_| generator.client()).collect::<Vec<_>>())?
            .into_iter()
            .map(|r| r.meta.id)
            .collect();
        let contacts: Vec<Contact> = (0..n).map(|i| generator.contact(clients[i % clients.len()], "amy.w")).collect();
        store.create_many(contacts[..n.min(100)].to_vec())?;
        let started = Instant::now();
        let created = store.create_many(contacts.clone())?;
        out.store.push(started.elapsed());
        if created.len() != n {
            bail!("create_many made {} contacts, not {n}", created.len());
        }
        drop(store);
        for (i, (baseline, times)) in out.baselines.iter_mut().enumerate() {
            let mut conn = open(&folder.join(format!("baseline-{i}.db")), *baseline)?;
            let started = Instant::now();
            insert(&mut conn, *baseline, &contacts)?;
            times.push(started.elapsed());
        }
        std::fs::remove_dir_all(&folder).with_context(|| format!("removing {}", folder.display()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_records_baseline_has_the_stores_table_and_its_three_indexes() {
        let ddl = records_ddl().unwrap();
        assert!(ddl.contains("CREATE TABLE records"), "{ddl}");
        for index in ["records_by_client", "records_by_kind", "records_by_amends"] {
            assert!(ddl.contains(index), "{index} missing from {ddl}");
        }
        assert!(!ddl.contains("outbox") && !ddl.contains("audit_log"), "{ddl}");
    }

    #[test]
    fn both_baselines_hold_every_contact_inserted() {
        let dir = tempfile::tempdir().unwrap();
        let mut generator = outreach_synth::Generator::new(7, outreach_synth::today());
        let client = Uuid::now_v7();
        let contacts: Vec<Contact> = (0..25).map(|_| generator.contact(client, "amy.w")).collect();
        for (n, baseline) in Baseline::ALL.into_iter().enumerate() {
            let mut conn = open(&dir.path().join(format!("b{n}.db")), baseline).unwrap();
            insert(&mut conn, baseline, &contacts).unwrap();
            let table = if baseline == Baseline::Bare { "bare" } else { "records" };
            let count: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap();
            assert_eq!(count, 25);
        }
    }
}
