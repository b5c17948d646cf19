//! The store's public API: open or create the encrypted store, and read and
//! write records with their outbox entries, audit entries and summaries, each
//! user action in one transaction.

use crate::audit::{self, Actor, AuditAction, AuditEntry};
use crate::error::{Result, StoreError};
use crate::keyfile::{self, DataKey};
use crate::schema;
use crate::search::SearchIndex;
use crate::summary::{self, ClientFilter, ClientSummary};
use chrono::{DateTime, NaiveDate, Utc};
use outreach_domain::{AreaList, Body, Hlc, Record, RecordKind, RecordMeta};
use outreach_protocol::{Mutation, Op};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde_json::{Map, Value};
use std::fs;
use std::path::{Path, PathBuf};
use uuid::Uuid;

mod bulk;
pub mod desk_queries;
pub mod merges;
pub mod sync;

/// File name of the encrypted database inside the data folder.
pub const DB_FILE: &str = "outreach.db";
/// File name of the wrapped data key inside the data folder.
pub const KEY_FILE: &str = "outreach.key";

/// The worker's encrypted local store: one data folder holding the SQLCipher
/// database and its key file.
pub struct Store {
    conn: Connection,
    dir: PathBuf,
    actor: Actor,
    areas: AreaList,
    clock: Hlc,
    search: Option<SearchIndex>,
    /// Which client was merged into which, read on first use and dropped
    /// when a change touches a merge (see [`merges`]).
    merges: std::cell::RefCell<Option<std::collections::HashMap<Uuid, Uuid>>>,
    /// False only for a store held at schema 1 by upgrade tests, which
    /// predates the summary table.
    summaries: bool,
    /// False only for a store held below schema 4 by upgrade tests, whose
    /// outbox keeps a copy of each created body.
    outbox_by_reference: bool,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Timestamps are stored as fixed-width RFC 3339 in UTC (microseconds, `Z`),
/// so text order is time order in SQL comparisons and `max()`.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a committed change requires of a client's summary row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refresh {
    /// Recompute everything from the client's records.
    Full,
    /// Only new contacts were added: move the last-contact time forward.
    LastContact(String),
}

/// The clients a change touched and what their summaries need.
type Touched = std::collections::BTreeMap<Uuid, Refresh>;

fn touch_full(touched: &mut Touched, client: Option<Uuid>) {
    if let Some(client) = client {
        touched.insert(client, Refresh::Full);
    }
}

/// Notes a new contact of `client` that happened at `occurred` (stored
/// text): its last contact moves forward, unless a full refresh is due anyway.
fn touch_contact(touched: &mut Touched, client: Uuid, occurred: String) {
    match touched.entry(client) {
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(Refresh::LastContact(occurred));
        }
        std::collections::btree_map::Entry::Occupied(mut slot) => {
            if let Refresh::LastContact(latest) = slot.get_mut()
                && *latest < occurred
            {
                *latest = occurred;
            }
        }
    }
}

/// Refuses to go on without SQLCipher: a store must never be plaintext.
fn ensure_encryption(conn: &Connection) -> Result<()> {
    let version: Option<String> = conn.query_row("PRAGMA cipher_version", [], |r| r.get(0)).optional()?;
    match version {
        Some(v) if !v.is_empty() => Ok(()),
        _ => Err(StoreError::EncryptionUnavailable),
    }
}

/// Keys the connection and applies the durability settings: WAL with
/// `synchronous=FULL` (NORMAL can lose committed transactions on power
/// loss) and temporary tables in memory, so no plaintext spills to disk.
fn key_and_configure(conn: &Connection, key: &DataKey) -> Result<()> {
    ensure_encryption(conn)?;
    // SQLCipher logs failed page decryptions to stderr; the store reports
    // them as typed errors instead.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&key.sqlcipher_key_statement())?;
    Ok(())
}

/// `recursive_triggers` makes a row replaced by `INSERT OR REPLACE` fire
/// its delete triggers too, so the outbox triggers of schema 4 see every
/// way a record row can go. `secure_delete` overwrites deleted or erased
/// content in the file instead of leaving it in free pages (SQLCipher turns
/// it on when keying as well; the store says so itself rather than rely on that).
fn configure(conn: &Connection) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unreadable { path: PathBuf::new(), reason: format!("journal mode {mode}") });
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = ON;
         PRAGMA recursive_triggers = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -65536;
         PRAGMA busy_timeout = 5000;",
    )?;
    Ok(())
}

fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM store_meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO store_meta (key, value) VALUES (?1, ?2)")?.execute([key, value])?;
    Ok(())
}

fn tick(clock: &mut Hlc) -> Hlc {
    *clock = clock.tick(Utc::now().timestamp_millis());
    *clock
}

/// A stored row before its body is decoded.
struct RawRecord {
    meta: RecordMeta,
    data: Value,
}

const RECORD_COLUMNS: &str =
    "id, kind, data, created_at, updated_at, created_by, updated_by, device, deleted, version, hlc";

fn raw_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    let text = |i: usize| row.get::<_, String>(i);
    let time = |i: usize| -> rusqlite::Result<DateTime<Utc>> {
        DateTime::parse_from_rfc3339(&text(i)?)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e)))
    };
    let bad = |i: usize, e: String| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into());
    let kind_tag = text(1)?;
    Ok(RawRecord {
        meta: RecordMeta {
            id: Uuid::parse_str(&text(0)?).map_err(|e| bad(0, e.to_string()))?,
            kind: RecordKind::parse(&kind_tag).ok_or_else(|| bad(1, format!("unknown kind {kind_tag}")))?,
            created_at: time(3)?,
            updated_at: time(4)?,
            created_by: text(5)?,
            updated_by: text(6)?,
            device: Uuid::parse_str(&text(7)?).map_err(|e| bad(7, e.to_string()))?,
            deleted: row.get(8)?,
            version: row.get(9)?,
            hlc: text(10)?.parse().map_err(|e: outreach_domain::hlc::HlcParseError| bad(10, e.to_string()))?,
        },
        data: serde_json::from_str(&text(2)?).map_err(|e| bad(2, e.to_string()))?,
    })
}

fn load_raw(conn: &Connection, id: Uuid) -> Result<Option<RawRecord>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?
        .query_row([id.to_string()], raw_from_row)
        .optional()?)
}

fn decode<T: Body>(raw: RawRecord) -> Result<Record<T>> {
    if raw.meta.kind != T::KIND {
        return Err(StoreError::WrongKind {
            id: raw.meta.id,
            expected: T::KIND.as_str(),
            actual: raw.meta.kind.as_str().to_string(),
        });
    }
    let body = serde_json::from_value(raw.data).map_err(|e| StoreError::Corrupt {
        id: raw.meta.id,
        kind: raw.meta.kind,
        reason: e.to_string(),
    })?;
    Ok(Record { meta: raw.meta, body })
}

/// Loads a live (not deleted) record of kind `T`.
fn load_live<T: Body>(conn: &Connection, id: Uuid) -> Result<(Record<T>, Value)> {
    let raw = load_raw(conn, id)?
        .filter(|r| !r.meta.deleted)
        .ok_or(StoreError::RecordNotFound { kind: T::KIND.as_str(), id })?;
    let data = raw.data.clone();
    Ok((decode(raw)?, data))
}

fn body_object<T: Body>(body: &T) -> Map<String, Value> {
    match serde_json::to_value(body).expect("record bodies serialise") {
        Value::Object(map) => map,
        other => Map::from_iter([("value".to_string(), other)]),
    }
}

/// The outbox's field-level change list: `{field: {"old": .., "new": ..}}`
/// for each top-level field that differs.
fn field_changes(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    let mut changes = Map::new();
    for (field, value) in new {
        let before = old.get(field).unwrap_or(&Value::Null);
        if before != value {
            changes.insert(field.clone(), serde_json::json!({ "old": before, "new": value }));
        }
    }
    changes
}

struct Outgoing<'a> {
    record_id: Uuid,
    kind: RecordKind,
    op: Op,
    /// The change list as JSON text. (Creates are written by
    /// `Store::create_many`, referring to their record row.)
    changes: String,
    base_version: i64,
    hlc: Hlc,
    at: &'a str,
}

const INSERT_OUTBOX: &str =
    "INSERT INTO outbox (mutation_id, record_id, kind, op, changes, base_version, hlc, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

fn write_outbox(tx: &Transaction<'_>, m: Outgoing<'_>) -> Result<()> {
    tx.prepare_cached(INSERT_OUTBOX)?.execute(params![
        Uuid::now_v7().to_string(),
        m.record_id.to_string(),
        m.kind.as_str(),
        m.op.as_str(),
        m.changes,
        m.base_version,
        m.hlc.to_string(),
        m.at,
    ])?;
    Ok(())
}

/// A body's JSON object text, serialised once for its record row.
fn body_text<T: Body>(body: &T) -> String {
    match serde_json::to_string(body) {
        Ok(text) if text.starts_with('{') => text,
        _ => Value::Object(body_object(body)).to_string(),
    }
}

/// Everything needed to show one client's page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientOverview {
    /// The client.
    pub client: Record<outreach_domain::Client>,
    /// Which referral criteria are met.
    pub eligibility: outreach_domain::Eligibility,
    /// The support episode against its time limit.
    pub episode_status: Option<outreach_domain::EpisodeStatus>,
    /// Latest completed risk assessment.
    pub latest_risk: Option<Record<outreach_domain::RiskAssessment>>,
    /// Its review standing.
    pub review_status: Option<outreach_domain::ReviewStatus>,
    /// Draft assessments in progress.
    pub draft_risks: Vec<Record<outreach_domain::RiskAssessment>>,
    /// Action plans.
    pub plans: Vec<Record<outreach_domain::ActionPlan>>,
    /// Goals across plans.
    pub goals: Vec<Record<outreach_domain::Goal>>,
    /// Outcome scores, oldest first.
    pub scores: Vec<Record<outreach_domain::OutcomeScore>>,
    /// Case conferences, newest first.
    pub conferences: Vec<Record<outreach_domain::CaseConference>>,
    /// The 20 most recent contacts, newest first.
    pub recent_contacts: Vec<Record<outreach_domain::Contact>>,
    /// Caseload assignments.
    pub caseload: Vec<Record<outreach_domain::CaseloadAssignment>>,
    /// The merged-away id that was opened, when it was not this client's.
    pub opened_as: Option<Uuid>,
    /// Clients merged into this one (their records are listed here too).
    pub merged_from: Vec<merges::MergedClient>,
}

/// A street count with its sightings and the figures for its return.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CountReport {
    /// The count.
    pub count: Record<outreach_domain::StreetCount>,
    /// Current sightings, in the order seen.
    pub sightings: Vec<Record<outreach_domain::Sighting>>,
    /// People counted, each once, by gender, age band and nationality.
    pub tally: outreach_domain::CountTally,
    /// Pairs a worker should check.
    pub possible_duplicates: Vec<outreach_domain::count::PossibleDuplicate>,
}

/// How many contacts a client overview shows.
pub const RECENT_CONTACTS: usize = 20;

impl Store {
    /// Whether `dir` holds a store.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DB_FILE).exists()
    }

    /// Creates a new store in `dir` for `user`, protected by `passphrase`.
    /// Refuses if a store is already there.
    pub fn init(dir: &Path, passphrase: &str, user: &str) -> Result<Self> {
        Self::init_at_version(dir, passphrase, user, schema::latest_version())
    }

    /// Creates a store at an older schema version. For upgrade tests only.
    #[doc(hidden)]
    pub fn init_at_version(dir: &Path, passphrase: &str, user: &str, version: u32) -> Result<Self> {
        keyfile::check_strength(passphrase)?;
        if user.trim().is_empty() {
            return Err(outreach_domain::DomainError::invalid("user", "give the worker's user name").into());
        }
        let db_path = dir.join(DB_FILE);
        if db_path.exists() {
            return Err(StoreError::AlreadyExists(dir.to_path_buf()));
        }
        ensure_encryption(&Connection::open_in_memory()?)?;
        fs::create_dir_all(dir).map_err(|e| StoreError::Io { action: "creating", path: dir.into(), source: e })?;
        let key = DataKey::generate();
        keyfile::write(&dir.join(KEY_FILE), passphrase, &key)?;
        let mut conn = Connection::open_with_flags(
            &db_path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        key_and_configure(&conn, &key)?;
        configure(&conn)?;
        schema::migrate(&mut conn, version)?;
        let device = Uuid::now_v7();
        let clock = Hlc::zero(device);
        {
            let tx = conn.transaction()?;
            meta_set(&tx, "device_id", &device.to_string())?;
            meta_set(&tx, "user", user.trim())?;
            meta_set(&tx, "created_at", &timestamp(Utc::now()))?;
            meta_set(&tx, "hlc", &clock.to_string())?;
            tx.commit()?;
        }
        Ok(Self {
            conn,
            dir: dir.to_path_buf(),
            actor: Actor { user: user.trim().to_string(), device },
            areas: AreaList::default(),
            clock,
            search: None,
            merges: Default::default(),
            summaries: version >= 2,
            outbox_by_reference: version >= 4,
        })
    }

    /// Opens the store in `dir` with `passphrase`, upgrading its schema if
    /// it was made by an older version. A wrong passphrase, a newer schema
    /// or an unreadable file is reported without changing anything.
    pub fn open(dir: &Path, passphrase: &str) -> Result<Self> {
        let db_path = dir.join(DB_FILE);
        let key_path = dir.join(KEY_FILE);
        if !db_path.exists() {
            if key_path.exists() {
                return Err(StoreError::Unreadable {
                    path: dir.to_path_buf(),
                    reason: format!("the key file is there but {DB_FILE} is missing"),
                });
            }
            return Err(StoreError::NotFound(dir.to_path_buf()));
        }
        if !key_path.exists() {
            return Err(StoreError::Unreadable {
                path: dir.to_path_buf(),
                reason: format!("{KEY_FILE} is missing; without it the store cannot be decrypted"),
            });
        }
        let key = keyfile::read(&key_path, passphrase).map_err(|e| match e {
            StoreError::Unreadable { reason, .. } => StoreError::Unreadable { path: dir.to_path_buf(), reason },
            other => other,
        })?;
        let unreadable = |reason: String| StoreError::Unreadable { path: dir.to_path_buf(), reason };
        let mut conn =
            Connection::open_with_flags(&db_path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| unreadable(e.to_string()))?;
        key_and_configure(&conn, &key)?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))
            .map_err(|e| unreadable(e.to_string()))?;
        configure(&conn).map_err(|e| unreadable(e.to_string()))?;
        let migration_pending = schema::current_version(&conn)? < schema::latest_version();
        bulk::restore_at_open(&mut conn, migration_pending)?;
        let applied = schema::migrate(&mut conn, schema::latest_version())?;
        if applied > 0 {
            let tx = conn.transaction()?;
            summary::rebuild_all(&tx, today())?;
            tx.commit()?;
        }
        let read = |key: &str| -> Result<String> {
            meta_get(&conn, key)?.ok_or_else(|| unreadable(format!("store metadata '{key}' is missing")))
        };
        let device = Uuid::parse_str(&read("device_id")?).map_err(|e| unreadable(e.to_string()))?;
        let user = read("user")?;
        let clock: Hlc =
            read("hlc")?.parse().map_err(|e: outreach_domain::hlc::HlcParseError| unreadable(e.to_string()))?;
        Ok(Self {
            conn,
            dir: dir.to_path_buf(),
            actor: Actor { user, device },
            areas: AreaList::default(),
            clock,
            search: None,
            merges: Default::default(),
            summaries: true,
            outbox_by_reference: true,
        })
    }

    /// Checks `passphrase` against this store's key file, changing nothing:
    /// for a caller that asks for it again while the store is open (a
    /// wrong one is [`StoreError::WrongPassphrase`]).
    pub fn check_passphrase(&self, passphrase: &str) -> Result<()> {
        keyfile::read(&self.dir.join(KEY_FILE), passphrase).map(drop)
    }

    /// Rewraps the data key under a new passphrase. The database itself is
    /// not rewritten; a wrong old passphrase changes nothing.
    pub fn change_passphrase(dir: &Path, old: &str, new: &str) -> Result<()> {
        keyfile::check_strength(new)?;
        let key_path = dir.join(KEY_FILE);
        let key = keyfile::read(&key_path, old)?;
        keyfile::write(&key_path, new, &key)
    }

    /// Moves a store that cannot be opened out of the way, into a dated
    /// folder beside it, so a new store can be made. Nothing is deleted.
    pub fn set_aside(dir: &Path) -> Result<PathBuf> {
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        let target = dir.join(format!("set-aside-{stamp}"));
        fs::create_dir_all(&target).map_err(|e| StoreError::Io {
            action: "creating",
            path: target.clone(),
            source: e,
        })?;
        for name in [DB_FILE, &format!("{DB_FILE}-wal"), &format!("{DB_FILE}-shm"), KEY_FILE] {
            let from = dir.join(name);
            if from.exists() {
                fs::rename(&from, target.join(name)).map_err(|e| StoreError::Io {
                    action: "moving",
                    path: from.clone(),
                    source: e,
                })?;
            }
        }
        Ok(target)
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The user this store records changes as.
    pub fn user(&self) -> &str {
        &self.actor.user
    }

    /// This device's id (stamped on every change).
    pub fn device_id(&self) -> Uuid {
        self.actor.device
    }

    /// The configured local authority areas.
    pub fn areas(&self) -> &AreaList {
        &self.areas
    }

    /// The schema version of the open store.
    pub fn schema_version(&self) -> Result<u32> {
        schema::current_version(&self.conn)
    }

    /// Creates one record (or an amendment, when the body amends another).
    pub fn create<T: Body>(&mut self, body: T) -> Result<Record<T>> {
        let mut created = self.create_many(vec![body])?;
        Ok(created.pop().expect("one record in, one out"))
    }

    /// Creates many records in one transaction: all are saved, or none.
    pub fn create_many<T: Body>(&mut self, mut bodies: Vec<T>) -> Result<Vec<Record<T>>> {
        for body in &mut bodies {
            body.canonicalise(&self.areas);
            body.validate(&self.areas)?;
        }
        let now = Utc::now();
        let at = timestamp(now);
        let device = self.actor.device.to_string();
        let tx = self.conn.transaction()?;
        let mut touched = Touched::new();
        let mut out = Vec::with_capacity(bodies.len());
        {
            let mut insert_record = tx.prepare_cached(
                "INSERT INTO records (id, kind, client_id, data, created_at, updated_at, created_by, updated_by,
                     device, deleted, version, hlc, amends, occurred_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6, ?7, 0, 0, ?8, ?9, ?10)",
            )?;
            let mut insert_outbox = tx.prepare_cached(INSERT_OUTBOX)?;
            let mut insert_audit = tx.prepare_cached(audit::INSERT)?;
            for body in bodies {
                let id = Uuid::now_v7();
                if let Some(original) = body.amends() {
                    check_amendable::<T>(&tx, original, body.client_id(id))?;
                }
                let hlc = tick(&mut self.clock);
                let client_id = body.client_id(id);
                let id_text = id.to_string();
                let client_text = client_id.map(|c| c.to_string());
                let hlc_text = hlc.to_string();
                let occurred = timestamp(body.occurred_at().unwrap_or(now));
                let text = body_text(&body);
                insert_record.execute(params![
                    id_text,
                    T::KIND.as_str(),
                    client_text,
                    text,
                    at,
                    self.actor.user,
                    device,
                    hlc_text,
                    body.amends().map(|a| a.to_string()),
                    occurred,
                ])?;
                // The outbox entry refers to the record row: its mutation id
                // is the record's id, and its body, clock stamp and time are
                // read from `records` when it is pushed. The schema's
                // triggers copy them into the entry first if the row
                // changes or goes before then. (A store held below schema 4
                // by upgrade tests stores a copy, as schema 3 did.)
                if self.outbox_by_reference {
                    insert_outbox.execute(params![
                        Option::<String>::None,
                        id_text,
                        T::KIND.as_str(),
                        Op::Create.as_str(),
                        Option::<String>::None,
                        0,
                        Option::<String>::None,
                        Option::<String>::None,
                    ])?;
                } else {
                    insert_outbox.execute(params![
                        Uuid::now_v7().to_string(),
                        id_text,
                        T::KIND.as_str(),
                        Op::Create.as_str(),
                        text,
                        0,
                        hlc_text,
                        at,
                    ])?;
                }
                let action = if body.amends().is_some() { AuditAction::Amend } else { AuditAction::Create };
                insert_audit.execute(params![
                    at,
                    self.actor.user,
                    device,
                    action.as_str(),
                    T::KIND.as_str(),
                    id_text,
                    client_text,
                    Option::<String>::None,
                ])?;
                match client_id {
                    Some(client) if T::KIND == RecordKind::Contact => {
                        touch_contact(&mut touched, client, occurred.clone())
                    }
                    other => touch_full(&mut touched, other),
                }
                out.push(Record {
                    meta: RecordMeta {
                        id,
                        kind: T::KIND,
                        created_at: now,
                        updated_at: now,
                        created_by: self.actor.user.clone(),
                        updated_by: self.actor.user.clone(),
                        device: self.actor.device,
                        deleted: false,
                        version: 0,
                        hlc,
                    },
                    body,
                });
            }
        }
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)?;
        Ok(out)
    }

    /// Brings the in-memory search index up to date for the clients a
    /// committed change touched.
    fn reindex(&mut self, touched: &Touched) -> Result<()> {
        let also = self.merges_touched(touched)?;
        let mut widened;
        let touched = if also.is_empty() {
            touched
        } else {
            widened = touched.clone();
            for id in also {
                widened.insert(id, Refresh::Full);
            }
            &widened
        };
        let Some(index) = &mut self.search else {
            return Ok(());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM client_index WHERE client_id = ?1 AND deleted = 0",
            summary::COLUMNS
        ))?;
        for (client, refresh) in touched {
            if let Refresh::LastContact(at) = refresh
                && index.note_contact(*client, at)
            {
                continue;
            }
            match stmt.query_row([client.to_string()], summary::from_row).optional()? {
                Some((summary, names)) => index.upsert(summary, &names),
                None => index.remove(*client),
            }
        }
        Ok(())
    }

    /// Changes a record that is not signed off. `change` edits a copy of the
    /// body; fields this version does not know are kept as they are.
    pub fn update<T: Body>(&mut self, id: Uuid, change: impl FnOnce(&mut T)) -> Result<Record<T>> {
        self.update_noting(id, change, None)
    }

    /// [`Store::update`] with a note on the audit entry (ids only, never
    /// personal data), e.g. that the change was a merge.
    pub(crate) fn update_noting<T: Body>(
        &mut self,
        id: Uuid,
        change: impl FnOnce(&mut T),
        detail: Option<&str>,
    ) -> Result<Record<T>> {
        let tx = self.conn.transaction()?;
        let (mut record, stored) = load_live::<T>(&tx, id)?;
        if record.body.is_signed_off() {
            return Err(StoreError::SignedOff { kind: T::KIND.as_str() });
        }
        let old_amends = record.body.amends();
        change(&mut record.body);
        record.body.canonicalise(&self.areas);
        record.body.validate(&self.areas)?;
        if record.body.amends() != old_amends {
            return Err(StoreError::BadAmendment { id, reason: "what a record amends cannot be changed".into() });
        }
        let old = match stored {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let new_fields = body_object(&record.body);
        let changes = field_changes(&old, &new_fields);
        if changes.is_empty() {
            return Ok(record);
        }
        let mut merged = old;
        merged.extend(new_fields);
        let hlc = tick(&mut self.clock);
        let now = Utc::now();
        let at = timestamp(now);
        let client_id = record.body.client_id(id);
        let occurred = timestamp(record.body.occurred_at().unwrap_or(record.meta.created_at));
        tx.prepare_cached(
            "UPDATE records SET data = ?2, updated_at = ?3, updated_by = ?4, device = ?5, hlc = ?6,
                 client_id = ?7, occurred_at = ?8
             WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            Value::Object(merged).to_string(),
            at,
            self.actor.user,
            self.actor.device.to_string(),
            hlc.to_string(),
            client_id.map(|c| c.to_string()),
            occurred,
        ])?;
        write_outbox(
            &tx,
            Outgoing {
                record_id: id,
                kind: T::KIND,
                op: Op::Update,
                changes: Value::Object(changes).to_string(),
                base_version: record.meta.version,
                hlc,
                at: &at,
            },
        )?;
        audit::record(&tx, &self.actor, AuditAction::Update, Some(T::KIND), Some(id), client_id, detail)?;
        record.meta.updated_at = now;
        record.meta.updated_by = self.actor.user.clone();
        record.meta.device = self.actor.device;
        record.meta.hlc = hlc;
        let mut touched = Touched::new();
        touch_full(&mut touched, client_id);
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)?;
        Ok(record)
    }

    /// Deletes a record that is not signed off. The row stays as a
    /// tombstone so the deletion can sync.
    pub fn delete<T: Body>(&mut self, id: Uuid) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (record, _) = load_live::<T>(&tx, id)?;
        if record.body.is_signed_off() {
            return Err(StoreError::SignedOff { kind: T::KIND.as_str() });
        }
        let hlc = tick(&mut self.clock);
        let at = timestamp(Utc::now());
        tx.prepare_cached(
            "UPDATE records SET deleted = 1, updated_at = ?2, updated_by = ?3, device = ?4, hlc = ?5 WHERE id = ?1",
        )?
        .execute(params![
            id.to_string(),
            at,
            self.actor.user,
            self.actor.device.to_string(),
            hlc.to_string()
        ])?;
        let mut changes = Map::new();
        changes.insert("deleted".into(), serde_json::json!({ "old": false, "new": true }));
        write_outbox(
            &tx,
            Outgoing {
                record_id: id,
                kind: T::KIND,
                op: Op::Delete,
                changes: Value::Object(changes).to_string(),
                base_version: record.meta.version,
                hlc,
                at: &at,
            },
        )?;
        let client_id = record.body.client_id(id);
        audit::record(&tx, &self.actor, AuditAction::Delete, Some(T::KIND), Some(id), client_id, None)?;
        let mut touched = Touched::new();
        touch_full(&mut touched, client_id);
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)
    }

    /// Reads one record, leaving an audit entry when it concerns a client.
    pub fn get<T: Body>(&mut self, id: Uuid) -> Result<Record<T>> {
        let (record, _) = load_live::<T>(&self.conn, id)?;
        if let Some(client) = record.body.client_id(id) {
            audit::record(&self.conn, &self.actor, AuditAction::Read, Some(T::KIND), Some(id), Some(client), None)?;
        }
        Ok(record)
    }

    /// A client's current records of kind `T` (not deleted, not superseded
    /// by an amendment), most recent first. Not audited on its own: callers
    /// that show them audit the client read.
    ///
    /// A client merged into another is the same person: asking for either
    /// lists the records of the survivor and of every client merged into it.
    pub fn list_for_client<T: Body>(&self, client_id: Uuid, limit: Option<usize>) -> Result<Vec<Record<T>>> {
        let family = self.same_person(client_id)?;
        self.query_records::<T>(
            "client_id IN (SELECT value FROM json_each(?1)) AND kind = ?2 AND deleted = 0
             AND NOT EXISTS (SELECT 1 FROM records a WHERE a.amends = records.id AND a.deleted = 0)",
            &family,
            limit,
        )
    }

    /// Every version of a client's records of kind `T`, including amended
    /// originals, most recent first (the history view); merged clients'
    /// records included, as [`Store::list_for_client`].
    pub fn history_for_client<T: Body>(&self, client_id: Uuid) -> Result<Vec<Record<T>>> {
        let family = self.same_person(client_id)?;
        self.query_records::<T>(
            "client_id IN (SELECT value FROM json_each(?1)) AND kind = ?2 AND deleted = 0",
            &family,
            None,
        )
    }

    fn query_records<T: Body>(&self, condition: &str, keys: &[Uuid], limit: Option<usize>) -> Result<Vec<Record<T>>> {
        // The client index, always: given `ORDER BY occurred_at`, SQLite
        // otherwise walks every record of the kind by date (all contacts),
        // which made opening a client take ~100 ms on 500,000 contacts.
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records INDEXED BY records_by_client WHERE {condition} \
             ORDER BY occurred_at DESC, id DESC LIMIT ?3"
        );
        let limit = limit.map_or(-1, |l| l as i64);
        let keys = Value::from(keys.iter().map(|k| Value::from(k.to_string())).collect::<Vec<_>>()).to_string();
        let raws: Vec<RawRecord> = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params![keys, T::KIND.as_str(), limit], raw_from_row)?
            .collect::<Result<_, _>>()?;
        raws.into_iter().map(decode).collect()
    }

    /// The records of a street count's sightings (current versions).
    pub fn sightings_of_count(&self, count_id: Uuid) -> Result<Vec<Record<outreach_domain::Sighting>>> {
        let raws: Vec<RawRecord> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE kind = 'sighting' AND deleted = 0
                   AND json_extract(data, '$.count_id') = ?1
                   AND NOT EXISTS (SELECT 1 FROM records a WHERE a.amends = records.id AND a.deleted = 0)
                 ORDER BY occurred_at, id"
            ))?
            .query_map([count_id.to_string()], raw_from_row)?
            .collect::<Result<_, _>>()?;
        raws.into_iter().map(decode).collect()
    }

    /// Records a sighting on an open count (amendments may follow a close).
    pub fn record_sighting(
        &mut self,
        sighting: outreach_domain::Sighting,
    ) -> Result<Record<outreach_domain::Sighting>> {
        use outreach_domain::{CountStatus, StreetCount};
        let (count, _) = load_live::<StreetCount>(&self.conn, sighting.count_id)?;
        if count.body.status == CountStatus::Closed && sighting.amends.is_none() {
            return Err(outreach_domain::DomainError::invalid(
                "count_id",
                "this count is closed; new sightings cannot be added (amend an existing one to correct it)",
            )
            .into());
        }
        if let Some(other) = sighting.same_as {
            let (linked, _) = load_live::<outreach_domain::Sighting>(&self.conn, other)?;
            if linked.body.count_id != sighting.count_id {
                return Err(
                    outreach_domain::DomainError::invalid("same_as", "that sighting is on another count").into()
                );
            }
        }
        if let Some(client) = sighting.client_id {
            load_live::<outreach_domain::Client>(&self.conn, client)?;
        }
        self.create(sighting)
    }

    /// The figures and possible duplicates of one count.
    pub fn count_report(&self, count_id: Uuid) -> Result<CountReport> {
        let (count, _) = load_live::<outreach_domain::StreetCount>(&self.conn, count_id)?;
        let sightings = self.sightings_of_count(count_id)?;
        let pairs: Vec<(Uuid, &outreach_domain::Sighting)> = sightings.iter().map(|r| (r.meta.id, &r.body)).collect();
        let tally = outreach_domain::count::tally(&pairs);
        let possible_duplicates = outreach_domain::count::possible_duplicates(&pairs);
        Ok(CountReport { count, sightings, tally, possible_duplicates })
    }

    /// Every live record of kind `T`, oldest first (counts, plans...).
    pub fn all<T: Body>(&self) -> Result<Vec<Record<T>>> {
        let raws: Vec<RawRecord> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE kind = ?1 AND deleted = 0 ORDER BY occurred_at, id"
            ))?
            .query_map([T::KIND.as_str()], raw_from_row)?
            .collect::<Result<_, _>>()?;
        raws.into_iter().map(decode).collect()
    }

    /// Everything a client's page shows, read in one go and audited once.
    ///
    /// A client merged into another opens as the survivor (`opened_as` says
    /// which id was asked for), with every merged client's records.
    pub fn client_overview(&mut self, asked: Uuid, today: NaiveDate) -> Result<ClientOverview> {
        use outreach_domain::{RiskAssessment, RiskStatus};
        load_live::<outreach_domain::Client>(&self.conn, asked)?;
        let id = self.survivor(asked)?;
        let (client, _) = load_live::<outreach_domain::Client>(&self.conn, id)?;
        let merged_from = self.merged_into_client(id)?;
        let risks: Vec<Record<RiskAssessment>> = self.list_for_client(id, None)?;
        let (completed, draft_risks): (Vec<_>, Vec<_>) =
            risks.into_iter().partition(|r| r.body.status == RiskStatus::Completed);
        let latest_risk = completed.into_iter().next();
        let mut scores: Vec<Record<outreach_domain::OutcomeScore>> = self.list_for_client(id, None)?;
        scores.reverse();
        let overview = ClientOverview {
            eligibility: outreach_domain::Eligibility::assess(&client.body, today),
            episode_status: client.body.episode.map(|e| e.status(today)),
            review_status: latest_risk.as_ref().map(|r| r.body.review_status(today)),
            latest_risk,
            draft_risks,
            plans: self.list_for_client(id, None)?,
            goals: self.list_for_client(id, None)?,
            scores,
            conferences: self.list_for_client(id, None)?,
            recent_contacts: self.list_for_client(id, Some(RECENT_CONTACTS))?,
            caseload: self.list_for_client(id, None)?,
            client,
            opened_as: (asked != id).then_some(asked),
            merged_from,
        };
        audit::record(&self.conn, &self.actor, AuditAction::Read, Some(RecordKind::Client), Some(id), Some(id), None)?;
        Ok(overview)
    }

    fn search_index(&mut self) -> Result<&SearchIndex> {
        if self.search.is_none() {
            let mut index = SearchIndex::default();
            let mut stmt =
                self.conn.prepare(&format!("SELECT {} FROM client_index WHERE deleted = 0", summary::COLUMNS))?;
            for row in stmt.query_map([], summary::from_row)? {
                let (summary, names) = row?;
                index.upsert(summary, &names);
            }
            self.search = Some(index);
        }
        Ok(self.search.as_ref().expect("just built"))
    }

    /// Loads the search index now rather than on the first search (the app
    /// does this in the background after unlocking).
    pub fn warm_search(&mut self) -> Result<usize> {
        Ok(self.search_index()?.len())
    }

    /// Fuzzy search over names, aliases and descriptions, or a date of birth.
    pub fn search(
        &mut self,
        query: &str,
        filter: &ClientFilter,
        today: NaiveDate,
        limit: usize,
    ) -> Result<Vec<ClientSummary>> {
        let hits = self.search_index()?.search(query, filter, today, limit);
        let detail = format!("{} results", hits.len());
        audit::record(&self.conn, &self.actor, AuditAction::Search, None, None, None, Some(&detail))?;
        Ok(hits)
    }

    /// Clients passing `filter`, by name (caseload lists).
    pub fn list_clients(
        &mut self,
        filter: &ClientFilter,
        today: NaiveDate,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ClientSummary>> {
        let hits = self.search_index()?.list(filter, today, offset, limit);
        let detail = format!("listed {}", hits.len());
        audit::record(&self.conn, &self.actor, AuditAction::Search, None, None, None, Some(&detail))?;
        Ok(hits)
    }

    /// Finds the full id of a record of `kind` from a prefix (at least 8
    /// characters), as workers paste or type ids in the CLI.
    pub fn resolve_id(&self, kind: RecordKind, prefix: &str) -> Result<Uuid> {
        if let Ok(id) = Uuid::parse_str(prefix) {
            return Ok(id);
        }
        let prefix = prefix.trim().to_lowercase();
        let not_found = || StoreError::RecordNotFound { kind: kind.as_str(), id: Uuid::nil() };
        if prefix.len() < 8 || !prefix.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(not_found());
        }
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM records WHERE kind = ?1 AND deleted = 0 AND id LIKE ?2 || '%' LIMIT 2")?
            .query_map([kind.as_str(), &prefix], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        match ids.as_slice() {
            [one] => Uuid::parse_str(one).map_err(|_| not_found()),
            _ => Err(not_found()),
        }
    }

    /// Everything held on one client, for a subject access request: every
    /// record about them (including amended originals and deleted ones) and
    /// the audit trail. The export itself is audited.
    pub fn export_client(&mut self, id: Uuid) -> Result<Value> {
        let client = load_raw(&self.conn, id)?
            .filter(|r| r.meta.kind == RecordKind::Client)
            .ok_or(StoreError::RecordNotFound { kind: "client", id })?;
        let raws: Vec<RawRecord> = self
            .conn
            .prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE client_id = ?1 AND id <> ?1 ORDER BY kind, occurred_at, id"
            ))?
            .query_map([id.to_string()], raw_from_row)?
            .collect::<Result<_, _>>()?;
        let as_json = |r: RawRecord| serde_json::json!({ "meta": r.meta, "body": r.data });
        audit::record(
            &self.conn,
            &self.actor,
            AuditAction::Export,
            Some(RecordKind::Client),
            Some(id),
            Some(id),
            None,
        )?;
        let trail = audit::entries(&self.conn, Some(id), usize::MAX >> 1)?;
        Ok(serde_json::json!({
            "exported_at": Utc::now(),
            "exported_by": self.actor.user,
            "client": as_json(client),
            "records": raws.into_iter().map(as_json).collect::<Vec<_>>(),
            "audit": trail,
        }))
    }

    /// Records an import in the audit log (the records themselves are
    /// audited one by one as they are created).
    pub fn audit_import(&mut self, detail: &str) -> Result<()> {
        audit::record(&self.conn, &self.actor, AuditAction::Import, None, None, None, Some(detail))
    }

    /// The latest audit entries, newest first, optionally for one client.
    pub fn audit_entries(&self, client: Option<Uuid>, limit: usize) -> Result<Vec<AuditEntry>> {
        audit::entries(&self.conn, client, limit)
    }

    /// The oldest `limit` changes waiting to be sent, in the order made.
    pub fn pending_mutations(&self, limit: usize) -> Result<Vec<Mutation>> {
        // A create whose entry refers to its record row takes its id, body
        // and clock stamp from there (see
        // `migrations/client/0004_outbox_by_reference.sql`).
        let mut stmt = self.conn.prepare_cached(
            "SELECT coalesce(o.mutation_id, o.record_id), o.record_id, o.kind, o.op, coalesce(o.changes, r.data),
                 o.base_version, coalesce(o.hlc, r.hlc)
             FROM outbox o LEFT JOIN records r ON o.changes IS NULL AND r.id = o.record_id
             ORDER BY o.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mutation_id, record_id, kind, op, changes, base_version, hlc) = row?;
            let corrupt = |reason: String| StoreError::Unreadable { path: self.dir.clone(), reason };
            let op = Op::parse(&op).ok_or_else(|| corrupt(format!("outbox op {op}")))?;
            let missing = || corrupt(format!("the new record {record_id} waiting to be sent is missing"));
            let changes = changes.ok_or_else(missing)?;
            let hlc = hlc.ok_or_else(missing)?;
            let changes: Map<String, Value> = serde_json::from_str(&changes).map_err(|e| corrupt(e.to_string()))?;
            let changes = if op == Op::Create { field_changes(&Map::new(), &changes) } else { changes };
            out.push(Mutation {
                mutation_id: Uuid::parse_str(&mutation_id).map_err(|e| corrupt(e.to_string()))?,
                record_id: Uuid::parse_str(&record_id).map_err(|e| corrupt(e.to_string()))?,
                kind: RecordKind::parse(&kind).ok_or_else(|| corrupt(format!("outbox kind {kind}")))?,
                op,
                changes,
                base_version,
                hlc: hlc.parse().map_err(|e: outreach_domain::hlc::HlcParseError| corrupt(e.to_string()))?,
            });
        }
        Ok(out)
    }

    /// SQLite's own consistency check of the whole file; "ok" when sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Whether SQLite overwrites deleted content on this connection
    /// (`PRAGMA secure_delete`); for the test that every connection has it.
    #[doc(hidden)]
    pub fn secure_delete_on(&self) -> Result<bool> {
        Ok(self.conn.query_row("PRAGMA secure_delete", [], |r| r.get::<_, i64>(0))? == 1)
    }

    /// The names of the indexes the database holds now (a large snapshot
    /// sets some aside while it loads; for tests and support).
    #[doc(hidden)]
    pub fn index_names(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name")?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    /// Changes waiting to be sent to the server.
    pub fn outbox_len(&self) -> Result<usize> {
        Ok(self.conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))? as usize)
    }

    /// Live records per kind, for status screens and checks.
    pub fn counts(&self) -> Result<Vec<(RecordKind, usize)>> {
        let mut stmt = self.conn.prepare("SELECT kind, count(*) FROM records WHERE deleted = 0 GROUP BY kind")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, n) = row?;
            if let Some(kind) = RecordKind::parse(&kind) {
                out.push((kind, n as usize));
            }
        }
        Ok(out)
    }
}

/// Saves the clock, refreshes the summaries of the clients touched and
/// commits: the last step of every write.
fn commit(tx: Transaction<'_>, clock: &Hlc, touched: Option<&Touched>) -> Result<()> {
    meta_set(&tx, "hlc", &clock.to_string())?;
    let today = today();
    for (client, refresh) in touched.into_iter().flatten() {
        match refresh {
            Refresh::Full => summary::refresh(&tx, *client, today)?,
            Refresh::LastContact(at) => summary::note_contact(&tx, *client, at)?,
        }
    }
    tx.commit()?;
    Ok(())
}

/// Checks `original` can be amended by a new record of kind `T` about `client`.
fn check_amendable<T: Body>(tx: &Transaction<'_>, original: Uuid, client: Option<Uuid>) -> Result<()> {
    let bad = |reason: &str| StoreError::BadAmendment { id: original, reason: reason.to_string() };
    let (record, _) = load_live::<T>(tx, original).map_err(|e| match e {
        StoreError::RecordNotFound { .. } => bad("no such record"),
        StoreError::WrongKind { actual, .. } => bad(&format!("it is a {actual}, not a {}", T::KIND.as_str())),
        other => other,
    })?;
    if !record.body.is_signed_off() {
        return Err(bad("it is not signed off yet; edit it instead"));
    }
    if record.body.client_id(original) != client {
        return Err(bad("an amendment must be about the same client"));
    }
    let newer: Option<String> = tx
        .prepare_cached("SELECT id FROM records WHERE amends = ?1 AND deleted = 0 LIMIT 1")?
        .query_row([original.to_string()], |r| r.get(0))
        .optional()?;
    if let Some(newer) = newer {
        return Err(bad(&format!("it has already been amended by {newer}; amend that instead")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configure_turns_secure_delete_on_whatever_the_connection_had() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        key_and_configure(&conn, &DataKey::generate()).unwrap();
        // SQLCipher turns it on when keying; the store must not depend on that.
        conn.execute_batch("PRAGMA secure_delete = OFF;").unwrap();
        configure(&conn).unwrap();
        let on: i64 = conn.query_row("PRAGMA secure_delete", [], |r| r.get(0)).unwrap();
        assert_eq!(on, 1);
    }
}
