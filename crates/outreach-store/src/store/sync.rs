//! The store's side of sync: acknowledging pushed changes, applying pulled
//! pages against the mirror, conflicts, the 'needs attention' list, and
//! wiping a revoked device.
//!
//! The `mirror` table holds each record as the server last confirmed it.
//! A pulled record replaces the local copy when no local change to it is
//! waiting in the outbox, and is merged with it field by field (against the
//! mirror) when one is; the decision is the pure
//! [`outreach_sync::plan_incoming`], this module only carries it out. Every
//! method is one transaction: a page is applied together with its cursor,
//! a batch's results together with the outbox rows they remove.
//!
//! A pull from cursor 0 is a snapshot pinned at one server sequence: the
//! sequence is kept in `sync_state` with each page until the snapshot is
//! complete. The mirror also keeps each record's scope area, so the device
//! can compare per-unit counts and hashes with the server's digest; units
//! that differ are re-snapshotted, and their records the snapshot does not
//! deliver again are removed (unless local changes to them wait).

use super::bulk;
use super::{
    Outgoing, RawRecord, Store, Touched, commit, field_changes, load_raw, tick, timestamp, touch_contact, touch_full,
    write_outbox,
};
use crate::audit::{self, AuditAction};
use crate::error::{Result, StoreError};
use crate::wipe::Wipe;
use chrono::{DateTime, Utc};
use outreach_domain::{AreaList, Body, DomainError, Hlc, RecordKind};
use outreach_protocol::api::{
    CASELOAD_UNIT, Conflict, MutationResult, Outcome, PullResponse, RecordChange, UnitDigest, digest_units,
};
use outreach_protocol::{Mutation, Op};
use outreach_sync::{Acknowledged, IncomingPlan, PageApplied, PendingResolution, Snapshot, SyncStore, plan_incoming};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

/// `sync_state` key of the pull cursor.
const CURSOR: &str = "cursor";
/// `sync_state` key of the time the last complete sync finished.
const LAST_SYNC_AT: &str = "last_sync_at";
/// `sync_state` key of the server's address.
const SERVER_URL: &str = "server_url";
/// `sync_state` key: this device's bearer token, issued at sign-in. It is
/// kept only inside the encrypted store.
const DEVICE_TOKEN: &str = "device_token";
/// `sync_state` key: the sequence a pinned snapshot under way is pinned at.
pub(super) const SNAPSHOT_UNTIL: &str = "snapshot_until";
/// `sync_state` key: when the server's digest was last compared.
const DIGEST_AT: &str = "digest_checked_at";
/// How often the digest is compared (a day).
const DIGEST_EVERY_HOURS: i64 = 24;
/// How far ahead of this laptop's clock a received stamp may be and still
/// move the local clock forward.
const MAX_CLOCK_AHEAD_MS: i64 = 24 * 60 * 60 * 1000;

/// A local change the server refused. Sync never drops it: it stays here,
/// with the server's reason, until the worker deals with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedsAttention {
    /// The change as it was pushed.
    pub mutation: Mutation,
    /// When the change was made on this device.
    pub made_at: DateTime<Utc>,
    /// The server's stable code (`signed_off`, `unknown_record`, `erased`, ...).
    pub code: String,
    /// What happened and what to do, for the worker.
    pub reason: String,
    /// When the server refused it.
    pub rejected_at: DateTime<Utc>,
}

/// Every record's fields and tombstone, by id (see [`Store::record_states`]).
pub type RecordStates = BTreeMap<Uuid, (Map<String, Value>, bool)>;

/// Facts about a body that need its typed form.
struct Facts {
    client_id: Option<Uuid>,
    amends: Option<Uuid>,
    occurred_at: Option<DateTime<Utc>>,
    signed_off: bool,
    invalid: Option<DomainError>,
}

fn facts_of<T: Body>(id: Uuid, data: &Map<String, Value>, areas: &AreaList) -> Option<Facts> {
    let body: T = serde_json::from_value(Value::Object(data.clone())).ok()?;
    Some(Facts {
        client_id: body.client_id(id),
        amends: body.amends(),
        occurred_at: body.occurred_at(),
        signed_off: body.is_signed_off(),
        invalid: body.validate(areas).err(),
    })
}

/// Reads a body of `kind` for the columns and rules the store keeps beside
/// it; `None` when this version cannot read it (e.g. written by a newer one).
fn facts(kind: RecordKind, id: Uuid, data: &Map<String, Value>, areas: &AreaList) -> Option<Facts> {
    use outreach_domain as d;
    match kind {
        RecordKind::Client => facts_of::<d::Client>(id, data, areas),
        RecordKind::CaseloadAssignment => facts_of::<d::CaseloadAssignment>(id, data, areas),
        RecordKind::RiskAssessment => facts_of::<d::RiskAssessment>(id, data, areas),
        RecordKind::ActionPlan => facts_of::<d::ActionPlan>(id, data, areas),
        RecordKind::Goal => facts_of::<d::Goal>(id, data, areas),
        RecordKind::OutcomeScore => facts_of::<d::OutcomeScore>(id, data, areas),
        RecordKind::CaseConference => facts_of::<d::CaseConference>(id, data, areas),
        RecordKind::Contact => facts_of::<d::Contact>(id, data, areas),
        RecordKind::StreetCount => facts_of::<d::StreetCount>(id, data, areas),
        RecordKind::Sighting => facts_of::<d::Sighting>(id, data, areas),
    }
}

fn uuid_field(data: &Map<String, Value>, field: &str) -> Option<Uuid> {
    data.get(field).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn bad_text(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{what}: {e}").into(),
    ))
}

fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| bad_text("timestamp", e))
}

fn state_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

fn state_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?1, ?2)")?.execute([key, value])?;
    Ok(())
}

fn state_delete(conn: &Connection, key: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?.execute([key])?;
    Ok(())
}

fn cursor(conn: &Connection) -> Result<i64> {
    Ok(state_get(conn, CURSOR)?.and_then(|c| c.parse().ok()).unwrap_or(0))
}

/// A record as the server holds it: from a pulled change or the mirror.
struct ServerCopy {
    id: Uuid,
    kind: RecordKind,
    client_id: Option<Uuid>,
    data: Map<String, Value>,
    version: i64,
    seq: i64,
    deleted: bool,
    hlc: Hlc,
    updated_at: DateTime<Utc>,
    updated_by: String,
    area: Option<String>,
}

impl ServerCopy {
    fn from_change(c: &RecordChange) -> Self {
        Self {
            id: c.id,
            kind: c.kind,
            client_id: c.client_id,
            data: c.data.clone(),
            version: c.version,
            seq: c.seq,
            deleted: c.deleted,
            hlc: c.hlc,
            updated_at: c.updated_at,
            updated_by: c.updated_by.clone(),
            area: c.area.clone(),
        }
    }
}

fn load_mirror(conn: &Connection, id: Uuid) -> Result<Option<ServerCopy>> {
    let row = conn
        .prepare_cached(
            "SELECT kind, client_id, data, version, seq, deleted, hlc, updated_at, updated_by, area FROM mirror WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })
        .optional()?;
    let Some((kind, client_id, data, version, seq, deleted, hlc, updated_at, updated_by, area)) = row else {
        return Ok(None);
    };
    Ok(Some(ServerCopy {
        id,
        kind: RecordKind::parse(&kind).ok_or_else(|| bad_text("mirror kind", &kind))?,
        client_id: client_id.and_then(|c| Uuid::parse_str(&c).ok()),
        data: object(serde_json::from_str(&data).map_err(|e| bad_text("mirror data", e))?),
        version,
        seq,
        deleted,
        hlc: hlc.parse().map_err(|e| bad_text("mirror hlc", e))?,
        updated_at: parse_time(&updated_at)?,
        updated_by,
        area,
    }))
}

/// Saves the server's copy as the ancestor of later merges; `data` is
/// `copy.data` as JSON text (written once, shared with the local row).
fn save_mirror(conn: &Connection, copy: &ServerCopy, data: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO mirror (id, kind, client_id, data, version, seq, deleted, hlc, updated_at, updated_by,
             area, resnapshot)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0)",
    )?
    .execute(params![
        copy.id.to_string(),
        copy.kind.as_str(),
        copy.client_id.map(|c| c.to_string()),
        data,
        copy.version,
        copy.seq,
        copy.deleted,
        copy.hlc.to_string(),
        timestamp(copy.updated_at),
        copy.updated_by,
        copy.area,
    ])?;
    Ok(())
}

fn has_pending(conn: &Connection, id: Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM outbox WHERE record_id = ?1 LIMIT 1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The client the local row is filed under, if there is a local row.
fn local_client(conn: &Connection, id: Uuid) -> Result<Option<Uuid>> {
    let client: Option<Option<String>> = conn
        .prepare_cached("SELECT client_id FROM records WHERE id = ?1")?
        .query_row([id.to_string()], |r| r.get(0))
        .optional()?;
    Ok(client.flatten().and_then(|c| Uuid::parse_str(&c).ok()))
}

/// The derived columns of a body: client, amended record and when it happened.
fn columns(
    kind: RecordKind,
    id: Uuid,
    data: &Map<String, Value>,
    fallback_client: Option<Uuid>,
    areas: &AreaList,
) -> (Option<Uuid>, Option<Uuid>, Option<DateTime<Utc>>) {
    match facts(kind, id, data, areas) {
        Some(f) => (f.client_id, f.amends, f.occurred_at),
        None => (fallback_client, uuid_field(data, "amends"), None),
    }
}

/// The columns a local row was written with that decide whose summary it
/// touches: its client, and when it happened (as stored).
struct Written {
    client_id: Option<Uuid>,
    occurred_at: String,
}

/// Makes the server's copy the local copy: fields exactly as the server
/// holds them (unknown ones included; `data` is their JSON text), its
/// version and tombstone.
fn write_server_copy(
    conn: &Connection,
    copy: &ServerCopy,
    data: &str,
    local: Option<&RawRecord>,
    areas: &AreaList,
) -> Result<Written> {
    let (client_id, amends, occurred) = columns(copy.kind, copy.id, &copy.data, copy.client_id, areas);
    let created_at = local.map_or(copy.updated_at, |l| l.meta.created_at);
    let created_by = local.map_or(copy.updated_by.as_str(), |l| l.meta.created_by.as_str());
    let occurred_at = timestamp(occurred.unwrap_or(created_at));
    conn.prepare_cached(
        "INSERT INTO records (id, kind, client_id, data, created_at, updated_at, created_by, updated_by, device,
             deleted, version, hlc, amends, occurred_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, client_id = excluded.client_id, data = excluded.data,
             updated_at = excluded.updated_at, updated_by = excluded.updated_by, device = excluded.device,
             deleted = excluded.deleted, version = excluded.version, hlc = excluded.hlc, amends = excluded.amends,
             occurred_at = excluded.occurred_at",
    )?
    .execute(params![
        copy.id.to_string(),
        copy.kind.as_str(),
        client_id.map(|c| c.to_string()),
        data,
        timestamp(created_at),
        timestamp(copy.updated_at),
        created_by,
        copy.updated_by,
        copy.hlc.device.to_string(),
        copy.deleted,
        copy.version,
        copy.hlc.to_string(),
        amends.map(|a| a.to_string()),
        occurred_at,
    ])?;
    Ok(Written { client_id, occurred_at })
}

/// Removes everything held about a record (erased by an administrator).
fn erase_record(conn: &Connection, id: Uuid) -> Result<()> {
    let id = id.to_string();
    for sql in [
        "DELETE FROM records WHERE id = ?1",
        "DELETE FROM mirror WHERE id = ?1",
        "DELETE FROM outbox WHERE record_id = ?1",
        "DELETE FROM conflicts WHERE record_id = ?1",
        "DELETE FROM needs_attention WHERE record_id = ?1",
    ] {
        conn.prepare_cached(sql)?.execute([&id])?;
    }
    Ok(())
}

/// One outbox row as a mutation, with its `seq` and when it was made.
///
/// A create whose entry refers to its record row (schema 4) has the
/// record's id as its mutation id and takes its body, clock stamp and time
/// from the row.
/// Which outbox entry a mutation id names, and its record (the lean read
/// of [`outbox_entry`], for acknowledgements).
fn outbox_seq(conn: &Connection, mutation_id: Uuid) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT seq, record_id FROM outbox
             WHERE seq = coalesce(
                 (SELECT seq FROM outbox WHERE mutation_id = ?1),
                 (SELECT seq FROM outbox WHERE record_id = ?1 AND mutation_id IS NULL AND op = 'create'))",
        )?
        .query_row([mutation_id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

fn outbox_entry(conn: &Connection, mutation_id: Uuid) -> Result<Option<(i64, Mutation, String)>> {
    let row = conn
        .prepare_cached(
            "SELECT o.seq, o.record_id, o.kind, o.op, coalesce(o.changes, r.data), o.base_version,
                 coalesce(o.hlc, r.hlc), coalesce(o.created_at, r.created_at)
             FROM outbox o LEFT JOIN records r ON o.changes IS NULL AND r.id = o.record_id
             WHERE o.seq = coalesce(
                 (SELECT seq FROM outbox WHERE mutation_id = ?1),
                 (SELECT seq FROM outbox WHERE record_id = ?1 AND mutation_id IS NULL AND op = 'create'))",
        )?
        .query_row([mutation_id.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<String>>(7)?,
            ))
        })
        .optional()?;
    let Some((seq, record_id, kind, op, changes, base_version, hlc, created_at)) = row else {
        return Ok(None);
    };
    let op = Op::parse(&op).ok_or_else(|| bad_text("outbox op", &op))?;
    let missing = || bad_text("outbox create", format!("record {record_id} is missing"));
    let (Some(changes), Some(hlc), Some(created_at)) = (changes, hlc, created_at) else {
        return Err(missing());
    };
    let changes = object(serde_json::from_str(&changes).map_err(|e| bad_text("outbox changes", e))?);
    // A create's outbox row holds the plain body (see `pending_mutations`).
    let changes = if op == Op::Create { field_changes(&Map::new(), &changes) } else { changes };
    let mutation = Mutation {
        mutation_id,
        record_id: Uuid::parse_str(&record_id).map_err(|e| bad_text("outbox record", e))?,
        kind: RecordKind::parse(&kind).ok_or_else(|| bad_text("outbox kind", &kind))?,
        op,
        changes,
        base_version,
        hlc: hlc.parse().map_err(|e| bad_text("outbox hlc", e))?,
    };
    Ok(Some((seq, mutation, created_at)))
}

fn conflict_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Conflict> {
    let bad = |i: usize, e: String| rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into());
    let uuid = |i: usize| -> rusqlite::Result<Uuid> {
        Uuid::parse_str(&r.get::<_, String>(i)?).map_err(|e| bad(i, e.to_string()))
    };
    let json = |i: usize| -> rusqlite::Result<Value> {
        serde_json::from_str(&r.get::<_, String>(i)?).map_err(|e| bad(i, e.to_string()))
    };
    let kind: String = r.get(2)?;
    Ok(Conflict {
        id: uuid(0)?,
        record_id: uuid(1)?,
        kind: RecordKind::parse(&kind).ok_or_else(|| bad(2, format!("unknown kind {kind}")))?,
        field: r.get(3)?,
        kept: json(4)?,
        other: json(5)?,
        other_user: r.get(6)?,
        other_device: uuid(7)?,
        other_hlc: r
            .get::<_, String>(8)?
            .parse()
            .map_err(|e: outreach_domain::hlc::HlcParseError| bad(8, e.to_string()))?,
        resolved_by: r.get(9)?,
        seq: r.get(10)?,
    })
}

const CONFLICT_COLUMNS: &str =
    "id, record_id, kind, field, kept, other, other_user, other_device, other_hlc, resolved_by, seq";

fn save_conflict(conn: &Connection, c: &Conflict) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO conflicts (id, record_id, kind, field, kept, other, other_user, other_device, other_hlc,
             resolved_by, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET record_id = excluded.record_id, kind = excluded.kind, field = excluded.field,
             kept = excluded.kept, other = excluded.other, other_user = excluded.other_user,
             other_device = excluded.other_device, other_hlc = excluded.other_hlc,
             resolved_by = coalesce(excluded.resolved_by, conflicts.resolved_by), seq = excluded.seq
         WHERE excluded.seq >= conflicts.seq",
    )?
    .execute(params![
        c.id.to_string(),
        c.record_id.to_string(),
        c.kind.as_str(),
        c.field,
        c.kept.to_string(),
        c.other.to_string(),
        c.other_user,
        c.other_device.to_string(),
        c.other_hlc.to_string(),
        c.resolved_by,
        c.seq,
    ])?;
    Ok(())
}

/// Ends a re-snapshot: removes the records it was to deliver again but did
/// not (the server no longer has them for this device), keeping any with
/// local changes waiting (the server judges those when they are sent).
/// Returns how many were removed.
fn finish_resnapshot(conn: &Connection, actor: &audit::Actor, touched: &mut Touched) -> Result<usize> {
    let gone: Vec<String> = conn
        .prepare_cached("SELECT id FROM mirror WHERE resnapshot = 1 AND id NOT IN (SELECT record_id FROM outbox)")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in &gone {
        let Ok(record) = Uuid::parse_str(id) else { continue };
        let client = local_client(conn, record)?;
        touch_full(touched, client);
        audit::record(
            conn,
            actor,
            AuditAction::Drop,
            None,
            Some(record),
            client,
            Some("not on the server for this worker (found by a digest check)"),
        )?;
        for sql in [
            "DELETE FROM records WHERE id = ?1",
            "DELETE FROM mirror WHERE id = ?1",
            "DELETE FROM conflicts WHERE record_id = ?1",
        ] {
            conn.prepare_cached(sql)?.execute([id])?;
        }
    }
    conn.prepare_cached("UPDATE mirror SET resnapshot = 0 WHERE resnapshot = 1")?.execute([])?;
    Ok(gone.len())
}

impl Store {
    /// The oldest `limit` changes waiting to be pushed, in the order made
    /// (the same as [`Store::pending_mutations`]).
    pub fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>> {
        self.pending_mutations(limit)
    }

    /// Records the server's results for pushed changes, in one transaction.
    ///
    /// Each acknowledged change leaves the outbox. When the server applied a
    /// change as sent on top of the version this device held, the local
    /// copy (and any later change to the record still waiting) moves to the
    /// new version; otherwise the next pull brings the version with the
    /// server's copy. A refused change moves to the 'needs attention' list
    /// with the server's reason, and the local copy returns to the server's
    /// (the mirror) when nothing else about it waits. Results for changes
    /// no longer in the outbox (a batch acknowledged twice) are ignored.
    pub fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged> {
        let tx = self.conn.transaction()?;
        let mut ack = Acknowledged::default();
        let mut touched = Touched::new();
        let now = timestamp(Utc::now());
        for result in results {
            let Some((seq, record)) = outbox_seq(&tx, result.mutation_id)? else {
                ack.unknown += 1;
                continue;
            };
            // Only a refused change needs its whole entry (it is kept).
            let refused = match &result.outcome {
                Outcome::Rejected { .. } => outbox_entry(&tx, result.mutation_id)?,
                _ => None,
            };
            tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?.execute([seq])?;
            ack.removed += 1;
            match &result.outcome {
                Outcome::Applied { version } => {
                    ack.applied += 1;
                    // Versions grow by one per server write: an applied
                    // change at `version` landed on `version - 1`.
                    tx.prepare_cached("UPDATE records SET version = ?2 WHERE id = ?1 AND version = ?2 - 1")?
                        .execute(params![record, version])?;
                    tx.prepare_cached(
                        "UPDATE outbox SET base_version = ?2 WHERE record_id = ?1 AND base_version = ?2 - 1",
                    )?
                    .execute(params![record, version])?;
                }
                Outcome::Merged { .. } => ack.merged += 1,
                Outcome::Unchanged { .. } => ack.unchanged += 1,
                Outcome::Rejected { code, reason } => {
                    ack.rejected += 1;
                    let Some((_, mutation, made_at)) = refused else { continue };
                    tx.prepare_cached(
                        "INSERT OR REPLACE INTO needs_attention (mutation_id, record_id, kind, op, changes,
                             base_version, hlc, created_at, code, reason, rejected_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                    )?
                    .execute(params![
                        mutation.mutation_id.to_string(),
                        record,
                        mutation.kind.as_str(),
                        mutation.op.as_str(),
                        Value::Object(mutation.changes.clone()).to_string(),
                        mutation.base_version,
                        mutation.hlc.to_string(),
                        made_at,
                        code,
                        reason,
                        now,
                    ])?;
                    if !has_pending(&tx, mutation.record_id)?
                        && let Some(server) = load_mirror(&tx, mutation.record_id)?
                    {
                        let local = load_raw(&tx, mutation.record_id)?;
                        touch_full(&mut touched, local_client(&tx, mutation.record_id)?);
                        let data = Value::Object(server.data.clone()).to_string();
                        let written = write_server_copy(&tx, &server, &data, local.as_ref(), &self.areas)?;
                        touch_full(&mut touched, written.client_id);
                    }
                }
            }
        }
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)?;
        Ok(ack)
    }

    /// Applies one pulled page and saves its cursor, in one transaction, so
    /// a connection lost at any point resumes exactly (a page applied twice
    /// changes nothing the second time).
    ///
    /// Each record updates the mirror; the local copy is replaced by the
    /// server's when no local change to it waits, and merged field by field
    /// when one does (local edits kept; see [`outreach_sync::three_way`]).
    /// Erased records and records in `drops` are removed; conflicts are
    /// stored for the worker; summaries and search follow.
    pub fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied> {
        let tx = self.conn.transaction()?;
        if page.snapshot_seq.is_some() && page.has_more && page.remaining >= bulk::BULK_FROM {
            bulk::defer(&tx)?;
        }
        let mut applied = PageApplied::default();
        let mut touched = Touched::new();
        let now_ms = Utc::now().timestamp_millis();
        for change in &page.changes {
            let mirror = load_mirror(&tx, change.id)?;
            let local = load_raw(&tx, change.id)?;
            let pending = has_pending(&tx, change.id)?;
            let local_data = local.as_ref().map(|l| object(l.data.clone()));
            let plan = plan_incoming(
                mirror.as_ref().map(|m| Snapshot { data: &m.data, version: m.version, deleted: m.deleted }),
                local.as_ref().zip(local_data.as_ref()).map(|(l, data)| Snapshot {
                    data,
                    version: l.meta.version,
                    deleted: l.meta.deleted,
                }),
                pending,
                change,
            );
            if plan == IncomingPlan::Stale {
                // Delivered again (by a re-snapshot, say): keep it, and
                // learn its scope area if the mirror did not know it.
                tx.prepare_cached(
                    "UPDATE mirror SET resnapshot = 0, area = coalesce(?2, area) WHERE id = ?1 AND version = ?3",
                )?
                .execute(params![change.id.to_string(), change.area, change.version])?;
                applied.stale += 1;
                continue;
            }
            // A record new to this laptop has no local row to look up.
            let client_before = if local.is_some() { local_client(&tx, change.id)? } else { None };
            touch_full(&mut touched, client_before);
            let action = if plan == IncomingPlan::Erase { AuditAction::Erase } else { AuditAction::Receive };
            let client = change.client_id.or(client_before);
            audit::record(&tx, &self.actor, action, Some(change.kind), Some(change.id), client, Some("sync"))?;
            match plan {
                IncomingPlan::Stale => {}
                IncomingPlan::Erase => {
                    erase_record(&tx, change.id)?;
                    applied.dropped += 1;
                }
                IncomingPlan::Overwrite => {
                    let copy = ServerCopy::from_change(change);
                    let data = serde_json::to_string(&change.data).map_err(|e| bad_text("record body", e))?;
                    save_mirror(&tx, &copy, &data)?;
                    let written = write_server_copy(&tx, &copy, &data, local.as_ref(), &self.areas)?;
                    match written.client_id {
                        // A contact new to this laptop can only move its
                        // client's last contact forward, as a local one does.
                        Some(client) if local.is_none() && change.kind == RecordKind::Contact && !change.deleted => {
                            touch_contact(&mut touched, client, written.occurred_at);
                        }
                        other => touch_full(&mut touched, other),
                    }
                    applied.overwritten += 1;
                }
                IncomingPlan::Merge { data, deleted, clashes } => {
                    let server_text = Value::Object(change.data.clone()).to_string();
                    save_mirror(&tx, &ServerCopy::from_change(change), &server_text)?;
                    let local = local.as_ref().expect("a merge needs a local copy");
                    let (client_id, amends, occurred) =
                        columns(change.kind, change.id, &data, change.client_id, &self.areas);
                    tx.prepare_cached(
                        "UPDATE records SET data = ?2, deleted = ?3, version = ?4, client_id = ?5, amends = ?6,
                             occurred_at = ?7
                         WHERE id = ?1",
                    )?
                    .execute(params![
                        change.id.to_string(),
                        Value::Object(data).to_string(),
                        deleted,
                        change.version,
                        client_id.map(|c| c.to_string()),
                        amends.map(|a| a.to_string()),
                        timestamp(occurred.unwrap_or(local.meta.created_at)),
                    ])?;
                    touch_full(&mut touched, client_id);
                    applied.merged += 1;
                    applied.clashes += clashes.len();
                }
            }
            if let Some(next) = self.clock.receive(&change.hlc, now_ms, MAX_CLOCK_AHEAD_MS) {
                self.clock = next;
            }
        }
        for id in &page.drops {
            let client = local_client(&tx, *id)?;
            touch_full(&mut touched, client);
            audit::record(
                &tx,
                &self.actor,
                AuditAction::Drop,
                None,
                Some(*id),
                client,
                Some("left this worker's scope"),
            )?;
            let id = id.to_string();
            // Changes still waiting stay in the outbox: the server judges them.
            applied.dropped += tx.prepare_cached("DELETE FROM records WHERE id = ?1")?.execute([&id])?;
            tx.prepare_cached("DELETE FROM mirror WHERE id = ?1")?.execute([&id])?;
            tx.prepare_cached("DELETE FROM conflicts WHERE record_id = ?1")?.execute([&id])?;
        }
        for conflict in &page.conflicts {
            save_conflict(&tx, conflict)?;
            applied.conflicts += 1;
        }
        let next = cursor(&tx)?.max(page.next_cursor);
        state_set(&tx, CURSOR, &next.to_string())?;
        match page.snapshot_seq {
            Some(until) if page.has_more => state_set(&tx, SNAPSHOT_UNTIL, &until.to_string())?,
            Some(_) => {
                state_delete(&tx, SNAPSHOT_UNTIL)?;
                applied.dropped += finish_resnapshot(&tx, &self.actor, &mut touched)?;
                bulk::restore(&tx)?;
            }
            None => {
                state_delete(&tx, SNAPSHOT_UNTIL)?;
                bulk::restore(&tx)?;
            }
        }
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)?;
        Ok(applied)
    }

    /// Where the next pull starts (0 before the first).
    pub fn sync_cursor(&self) -> Result<i64> {
        cursor(&self.conn)
    }

    /// The sequence the pinned snapshot under way is pinned at, if one is.
    pub fn snapshot_until(&self) -> Result<Option<i64>> {
        Ok(state_get(&self.conn, SNAPSHOT_UNTIL)?.and_then(|s| s.parse().ok()))
    }

    /// Whether the server's digest is due for comparison (never compared,
    /// or not for a day).
    pub fn digest_due(&self) -> Result<bool> {
        let Some(at) = state_get(&self.conn, DIGEST_AT)? else { return Ok(true) };
        Ok(parse_time(&at).map_or(true, |at| Utc::now() - at >= chrono::Duration::hours(DIGEST_EVERY_HOURS)))
    }

    /// Makes the digest due at the next sync (for tests and support).
    #[doc(hidden)]
    pub fn digest_due_now(&mut self) -> Result<()> {
        state_delete(&self.conn, DIGEST_AT)
    }

    /// The mirror's count and hash per scope unit: records filed under one
    /// of `areas` count under it, all others under [`CASELOAD_UNIT`].
    pub fn local_digest(&self, areas: &[String]) -> Result<Vec<UnitDigest>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, version, deleted, area FROM mirror")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, bool>(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<Vec<(String, i64, bool, Option<String>)>>>()?;
        let mut records = Vec::with_capacity(rows.len());
        for (id, version, deleted, area) in &rows {
            let id = Uuid::parse_str(id).map_err(|e| bad_text("mirror id", e))?;
            let unit = area.as_deref().filter(|a| areas.iter().any(|k| k == a)).unwrap_or(CASELOAD_UNIT);
            records.push((unit, id, *version, *deleted));
        }
        Ok(digest_units(areas.iter().map(String::as_str).chain([CASELOAD_UNIT]), records))
    }

    /// Records that the digest was compared now; for `mismatched` units
    /// (among the server's `areas` and [`CASELOAD_UNIT`]) starts a
    /// re-snapshot: the cursor goes back to 0 and their mirror records are
    /// marked, to be removed when the snapshot completes without them.
    pub fn digest_checked(&mut self, areas: &[String], mismatched: &[String]) -> Result<()> {
        let tx = self.conn.transaction()?;
        state_set(&tx, DIGEST_AT, &timestamp(Utc::now()))?;
        if !mismatched.is_empty() {
            let known = serde_json::to_string(areas).map_err(|e| bad_text("areas", e))?;
            for unit in mismatched {
                if unit == CASELOAD_UNIT {
                    tx.prepare_cached(
                        "UPDATE mirror SET resnapshot = 1
                         WHERE area IS NULL OR area NOT IN (SELECT value FROM json_each(?1))",
                    )?
                    .execute([&known])?;
                } else {
                    tx.prepare_cached("UPDATE mirror SET resnapshot = 1 WHERE area = ?1")?.execute([unit])?;
                }
            }
            state_set(&tx, CURSOR, "0")?;
            state_delete(&tx, SNAPSHOT_UNTIL)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// When the last complete sync finished.
    pub fn last_sync_at(&self) -> Result<Option<DateTime<Utc>>> {
        state_get(&self.conn, LAST_SYNC_AT)?.map(|t| parse_time(&t)).transpose()
    }

    /// Records that a complete sync finished now.
    pub fn sync_finished(&mut self) -> Result<()> {
        state_set(&self.conn, LAST_SYNC_AT, &timestamp(Utc::now()))
    }

    /// The server this store syncs with, once set.
    pub fn server_url(&self) -> Result<Option<String>> {
        state_get(&self.conn, SERVER_URL)
    }

    /// Sets the server this store syncs with.
    pub fn set_server_url(&mut self, url: &str) -> Result<()> {
        state_set(&self.conn, SERVER_URL, url.trim())
    }

    /// Saves the server and this device's token after signing in at base.
    pub fn save_sign_in(&mut self, url: &str, token: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        state_set(&tx, SERVER_URL, url.trim())?;
        state_set(&tx, DEVICE_TOKEN, token)?;
        tx.commit()?;
        Ok(())
    }

    /// This device's token, once signed in.
    pub fn device_token(&self) -> Result<Option<String>> {
        state_get(&self.conn, DEVICE_TOKEN)
    }

    /// Every conflict the server has recorded on records this device holds,
    /// oldest first; resolved ones carry `resolved_by`.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut stmt =
            self.conn.prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM conflicts ORDER BY seq, id"))?;
        Ok(stmt.query_map([], conflict_from_row)?.collect::<Result<_, _>>()?)
    }

    /// Local changes the server refused, oldest first, with its reasons.
    pub fn needs_attention(&self) -> Result<Vec<NeedsAttention>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT mutation_id, record_id, kind, op, changes, base_version, hlc, created_at, code, reason,
                 rejected_at
             FROM needs_attention ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                [r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?],
                r.get::<_, i64>(5)?,
                [r.get::<_, String>(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let ([mutation_id, record_id, kind, op, changes], base_version, [hlc, made_at, code, reason, rejected_at]) =
                row?;
            out.push(NeedsAttention {
                mutation: Mutation {
                    mutation_id: Uuid::parse_str(&mutation_id).map_err(|e| bad_text("mutation id", e))?,
                    record_id: Uuid::parse_str(&record_id).map_err(|e| bad_text("record id", e))?,
                    kind: RecordKind::parse(&kind).ok_or_else(|| bad_text("kind", &kind))?,
                    op: Op::parse(&op).ok_or_else(|| bad_text("op", &op))?,
                    changes: object(serde_json::from_str(&changes).map_err(|e| bad_text("changes", e))?),
                    base_version,
                    hlc: hlc.parse().map_err(|e| bad_text("hlc", e))?,
                },
                made_at: parse_time(&made_at)?,
                code,
                reason,
                rejected_at: parse_time(&rejected_at)?,
            });
        }
        Ok(out)
    }

    /// A person chose `value` for a conflict. The choice is written as an
    /// ordinary local change (outbox, audit, summary), so it syncs like any
    /// other edit, and the conflict is marked resolved here; the next sync
    /// tells the server. For a `deleted` conflict, `true` deletes the record
    /// and `false` keeps it.
    pub fn resolve_conflict(&mut self, id: Uuid, value: Value) -> Result<()> {
        let tx = self.conn.transaction()?;
        let conflict = tx
            .prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM conflicts WHERE id = ?1"))?
            .query_row([id.to_string()], conflict_from_row)
            .optional()?
            .ok_or(StoreError::RecordNotFound { kind: "conflict", id })?;
        if conflict.resolved_by.is_some() {
            return Err(DomainError::invalid("conflict", "this conflict has already been resolved").into());
        }
        if conflict.field == "deleted" && !value.is_boolean() {
            return Err(DomainError::invalid("conflict", "choose true (delete) or false (keep the record)").into());
        }
        let record_id = conflict.record_id;
        let raw = load_raw(&tx, record_id)?
            .ok_or(StoreError::RecordNotFound { kind: conflict.kind.as_str(), id: record_id })?;
        let kind = raw.meta.kind;
        let data = object(raw.data.clone());
        let mut touched = Touched::new();
        let now = Utc::now();
        let at = timestamp(now);
        let deleting = conflict.field == "deleted" && value == Value::Bool(true) && !raw.meta.deleted;
        let old = data.get(&conflict.field).cloned().unwrap_or(Value::Null);
        let editing = conflict.field != "deleted" && old != value;
        if editing && raw.meta.deleted {
            return Err(StoreError::RecordNotFound { kind: kind.as_str(), id: record_id });
        }
        let current = if deleting || editing {
            let current = facts(kind, record_id, &data, &self.areas).ok_or_else(|| StoreError::Corrupt {
                id: record_id,
                kind,
                reason: "unreadable by this version of Outreach; update it to change this record".into(),
            })?;
            if current.signed_off {
                return Err(StoreError::SignedOff { kind: kind.as_str() });
            }
            Some(current)
        } else {
            None
        };
        let current_client = current.as_ref().and_then(|c| c.client_id);
        if deleting {
            let hlc = tick(&mut self.clock);
            tx.prepare_cached(
                "UPDATE records SET deleted = 1, updated_at = ?2, updated_by = ?3, device = ?4, hlc = ?5 WHERE id = ?1",
            )?
            .execute(params![
                record_id.to_string(),
                at,
                self.actor.user,
                self.actor.device.to_string(),
                hlc.to_string()
            ])?;
            write_outbox(
                &tx,
                Outgoing {
                    record_id,
                    kind,
                    op: Op::Delete,
                    changes: serde_json::json!({"deleted": {"old": false, "new": true}}).to_string(),
                    base_version: raw.meta.version,
                    hlc,
                    at: &at,
                },
            )?;
            audit::record(&tx, &self.actor, AuditAction::Delete, Some(kind), Some(record_id), current_client, None)?;
            touch_full(&mut touched, current_client);
        }
        if editing {
            let mut new = data.clone();
            new.insert(conflict.field.clone(), value.clone());
            let next = facts(kind, record_id, &new, &self.areas).ok_or_else(|| {
                DomainError::invalid("conflict", format!("that value does not fit the field '{}'", conflict.field))
            })?;
            if let Some(invalid) = next.invalid {
                return Err(invalid.into());
            }
            let hlc = tick(&mut self.clock);
            tx.prepare_cached(
                "UPDATE records SET data = ?2, updated_at = ?3, updated_by = ?4, device = ?5, hlc = ?6,
                     client_id = ?7, occurred_at = ?8
                 WHERE id = ?1",
            )?
            .execute(params![
                record_id.to_string(),
                Value::Object(new.clone()).to_string(),
                at,
                self.actor.user,
                self.actor.device.to_string(),
                hlc.to_string(),
                next.client_id.map(|c| c.to_string()),
                timestamp(next.occurred_at.unwrap_or(raw.meta.created_at)),
            ])?;
            write_outbox(
                &tx,
                Outgoing {
                    record_id,
                    kind,
                    op: Op::Update,
                    changes: Value::Object(field_changes(&data, &new)).to_string(),
                    base_version: raw.meta.version,
                    hlc,
                    at: &at,
                },
            )?;
            let detail = format!("resolved conflict {id}");
            audit::record(
                &tx,
                &self.actor,
                AuditAction::Update,
                Some(kind),
                Some(record_id),
                next.client_id,
                Some(&detail),
            )?;
            touch_full(&mut touched, current_client);
            touch_full(&mut touched, next.client_id);
        }
        tx.prepare_cached(
            "UPDATE conflicts SET resolved_by = ?2, chosen = ?3, chosen_sent = 0,
                 chosen_after = (SELECT coalesce(max(seq), 0) FROM outbox)
             WHERE id = ?1",
        )?
        .execute(params![id.to_string(), self.actor.user, value.to_string()])?;
        commit(tx, &self.clock, self.summaries.then_some(&touched))?;
        self.reindex(&touched)
    }

    /// Conflicts resolved on this device that the server has not been told
    /// of yet, with the value chosen and how many waiting changes were made
    /// before the choice (the engine sends it after those, before later ones).
    pub fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.chosen, (SELECT count(*) FROM outbox o WHERE o.seq <= c.chosen_after)
             FROM conflicts c WHERE c.chosen IS NOT NULL AND c.chosen_sent = 0 ORDER BY c.chosen_after, c.seq",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, chosen, after) = row?;
            out.push(PendingResolution {
                conflict: Uuid::parse_str(&id).map_err(|e| bad_text("conflict id", e))?,
                value: serde_json::from_str(&chosen).map_err(|e| bad_text("chosen value", e))?,
                after: usize::try_from(after).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// Marks a resolution as received by the server.
    pub fn mark_resolution_sent(&mut self, conflict: Uuid) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE conflicts SET chosen_sent = 1 WHERE id = ?1")?
            .execute([conflict.to_string()])?;
        Ok(())
    }

    /// Every record this store holds, deleted ones included: id to (fields,
    /// tombstone). For sync tests and checks; not audited.
    #[doc(hidden)]
    pub fn record_states(&self) -> Result<RecordStates> {
        let mut stmt = self.conn.prepare("SELECT id, data, deleted FROM records ORDER BY id")?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (id, data, deleted) = row?;
            let data = object(serde_json::from_str(&data).map_err(|e| bad_text("record data", e))?);
            out.insert(Uuid::parse_str(&id).map_err(|e| bad_text("record id", e))?, (data, deleted));
        }
        Ok(out)
    }

    /// Deletes this store's files because the device was revoked (reported
    /// lost or stolen, or the worker left): the key file first (the data is
    /// unreadable from then on), then the database with its WAL and
    /// shared-memory files, the exports and any store set aside (see
    /// [`crate::wipe`]). Anything not yet synced is lost on purpose.
    /// Returns what was removed; something left behind is
    /// [`StoreError::WipeIncomplete`]. The `Store` is unusable afterwards
    /// and should be dropped.
    pub fn wipe(&mut self) -> Result<Vec<PathBuf>> {
        let mut wipe = Wipe::default();
        wipe.remove_key(&self.dir);
        let open = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        // Closing ends WAL mode cleanly; the files go either way.
        if let Err((still_open, _)) = open.close() {
            drop(still_open);
        }
        self.search = None;
        wipe.remove_rest(&self.dir);
        wipe.finish(&self.dir)
    }
}

impl SyncStore for Store {
    type Error = StoreError;

    fn pending_count(&self) -> Result<usize> {
        self.outbox_len()
    }

    fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>> {
        Store::pending_batch(self, limit)
    }

    fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged> {
        Store::acknowledge(self, results)
    }

    fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>> {
        Store::unsent_resolutions(self)
    }

    fn resolution_sent(&mut self, conflict: Uuid) -> Result<()> {
        self.mark_resolution_sent(conflict)
    }

    fn sync_cursor(&self) -> Result<i64> {
        Store::sync_cursor(self)
    }

    fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied> {
        Store::apply_pull_page(self, page)
    }

    fn sync_finished(&mut self) -> Result<()> {
        Store::sync_finished(self)
    }

    fn wipe(&mut self) -> Result<Vec<PathBuf>> {
        Store::wipe(self)
    }

    fn snapshot_until(&self) -> Result<Option<i64>> {
        Store::snapshot_until(self)
    }

    fn digest_due(&self) -> Result<bool> {
        Store::digest_due(self)
    }

    fn local_digest(&self, areas: &[String]) -> Result<Vec<UnitDigest>> {
        Store::local_digest(self, areas)
    }

    fn digest_checked(&mut self, areas: &[String], mismatched: &[String]) -> Result<()> {
        Store::digest_checked(self, areas, mismatched)
    }
}
