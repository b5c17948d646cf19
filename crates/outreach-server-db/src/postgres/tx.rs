//! The engine's storage steps on PostgreSQL, inside one transaction
//! (READ COMMITTED for writers, so each statement after the counter lock
//! sees every earlier commit).

use super::rows::{self, CONFLICT_COLUMNS, RECORD_COLUMNS};
use crate::engine::{DamagedRecord, Dependents, DigestRow, MergeLink, ScopedRow, StoredRecord, Tx, Window};
use crate::error::{DbError, Result};
use crate::model::{AuditEntry, AuditRow};
use crate::page::{PulledRow, UnreadableRow};
use crate::scope::{CaseloadEntry, Scope};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use outreach_domain::Hlc;
use outreach_protocol::api::{Conflict, Outcome};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// A PostgreSQL transaction seen as the engine's [`Tx`].
///
/// To save round trips, sequence numbers are handed out from the counter
/// value read under its lock and written back once, the outcomes of a
/// push's mutations are looked up in one query and inserted in one, the
/// records a push touches are read in one query into [`PgTx::records`],
/// and record writes, scope moves and drops are kept in memory and written
/// with one `unnest` statement each, before any query that reads those
/// tables and at the latest by [`PgTx::commit`], which every writer must use.
pub(super) struct PgTx<'c> {
    /// The open transaction.
    pub tx: Transaction<'c>,
    /// The sequence counter as last handed out (read under its row lock),
    /// and whether it moved since it was read.
    seq: Option<(i64, bool)>,
    /// Outcomes stored before, of the mutation ids prefetched, and those
    /// given in this transaction.
    known: Option<HashMap<Uuid, Outcome>>,
    /// Outcomes to insert at commit: (mutation id, device, record, result, at).
    unsaved: Vec<(Uuid, Uuid, Uuid, Value, DateTime<Utc>)>,
    /// Records as this transaction sees them (its own writes included);
    /// `None` for an id known to be absent.
    records: HashMap<Uuid, Option<StoredRecord>>,
    /// Writes not yet sent, each table's in one statement at the next flush.
    pending: Pending,
}

/// Record writes, scope moves and drops kept for the next flush.
#[derive(Default)]
struct Pending {
    /// Whole records to upsert, one per id (the last write wins).
    records: Vec<StoredRecord>,
    /// Where each id is in `records`.
    record_at: HashMap<Uuid, usize>,
    /// New (area, seq) of records not otherwise written, by id.
    moves: HashMap<Uuid, (Option<String>, i64)>,
    /// Drops to insert: (seq, record, area, worker).
    drops: Vec<(i64, Uuid, Option<String>, Option<String>)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.moves.is_empty() && self.drops.is_empty()
    }

    /// Keeps `record` to upsert, replacing an earlier write of the same id.
    fn put(&mut self, record: StoredRecord) {
        self.moves.remove(&record.id);
        match self.record_at.get(&record.id) {
            Some(&i) => self.records[i] = record,
            None => {
                self.record_at.insert(record.id, self.records.len());
                self.records.push(record);
            }
        }
    }
}

impl<'c> PgTx<'c> {
    /// Wraps an open transaction.
    pub fn new(tx: Transaction<'c>) -> Self {
        Self { tx, seq: None, known: None, unsaved: Vec::new(), records: HashMap::new(), pending: Pending::default() }
    }

    /// Writes what was kept in memory, then commits.
    pub async fn commit(mut self) -> Result<()> {
        self.flush_writes().await?;
        self.flush_applied().await?;
        if let Some((value, true)) = self.seq {
            let stmt = self.tx.prepare_cached("UPDATE seq_counter SET value = $1 WHERE id = 1").await?;
            self.tx.execute(&stmt, &[&value]).await?;
        }
        self.tx.commit().await?;
        Ok(())
    }

    /// Sends the record writes, scope moves and drops kept since the last
    /// flush: one statement per table that has any.
    async fn flush_writes(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        if !pending.moves.is_empty() {
            let ids: Vec<Uuid> = pending.moves.keys().copied().collect();
            let areas: Vec<Option<&str>> = ids.iter().map(|id| pending.moves[id].0.as_deref()).collect();
            let seqs: Vec<i64> = ids.iter().map(|id| pending.moves[id].1).collect();
            let stmt = self
                .tx
                .prepare_cached(
                    "UPDATE records r SET area = m.area, seq = m.seq \
                     FROM unnest($1::uuid[], $2::text[], $3::int8[]) AS m (id, area, seq) WHERE r.id = m.id",
                )
                .await?;
            self.tx.execute(&stmt, &[&ids, &areas, &seqs]).await?;
        }
        if !pending.records.is_empty() {
            upsert_records(&self.tx, &pending.records).await?;
        }
        if !pending.drops.is_empty() {
            let seqs: Vec<i64> = pending.drops.iter().map(|d| d.0).collect();
            let ids: Vec<Uuid> = pending.drops.iter().map(|d| d.1).collect();
            let areas: Vec<Option<&str>> = pending.drops.iter().map(|d| d.2.as_deref()).collect();
            let workers: Vec<Option<&str>> = pending.drops.iter().map(|d| d.3.as_deref()).collect();
            let stmt = self
                .tx
                .prepare_cached(
                    "INSERT INTO scope_drops (seq, record_id, area, worker) \
                     SELECT * FROM unnest($1::int8[], $2::uuid[], $3::text[], $4::text[])",
                )
                .await?;
            self.tx.execute(&stmt, &[&seqs, &ids, &areas, &workers]).await?;
        }
        Ok(())
    }

    /// Inserts the outcomes kept since the last flush, in one statement.
    async fn flush_applied(&mut self) -> Result<()> {
        if self.unsaved.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.unsaved);
        let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
        let devices: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
        let records: Vec<Uuid> = rows.iter().map(|r| r.2).collect();
        let results: Vec<&Value> = rows.iter().map(|r| &r.3).collect();
        let at: Vec<DateTime<Utc>> = rows.iter().map(|r| r.4).collect();
        let stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO applied_mutations (mutation_id, device, record_id, result, applied_at) \
                 SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::jsonb[], $5::timestamptz[])",
            )
            .await?;
        self.tx.execute(&stmt, &[&ids, &devices, &records, &results, &at]).await?;
        Ok(())
    }
}

/// Inserts or replaces `records` (distinct ids) in one statement.
async fn upsert_records(tx: &Transaction<'_>, records: &[StoredRecord]) -> Result<()> {
    let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
    let kinds: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
    let clients: Vec<Option<Uuid>> = records.iter().map(|r| r.client_id).collect();
    let areas: Vec<Option<&str>> = records.iter().map(|r| r.area.as_deref()).collect();
    let counts: Vec<Option<Uuid>> = records.iter().map(|r| r.count_id).collect();
    let data: Vec<Value> = records.iter().map(|r| Value::Object(r.data.clone())).collect();
    let versions: Vec<i64> = records.iter().map(|r| r.version).collect();
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    let deleted: Vec<bool> = records.iter().map(|r| r.deleted).collect();
    let erased: Vec<bool> = records.iter().map(|r| r.erased).collect();
    let hlcs: Vec<String> = records.iter().map(|r| r.hlc.to_string()).collect();
    let updated_at: Vec<DateTime<Utc>> = records.iter().map(|r| r.updated_at).collect();
    let updated_by: Vec<&str> = records.iter().map(|r| r.updated_by.as_str()).collect();
    let devices: Vec<Uuid> = records.iter().map(|r| r.device).collect();
    let stmt = tx
        .prepare_cached(&format!(
            "INSERT INTO records ({RECORD_COLUMNS}) \
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::jsonb[], \
             $7::int8[], $8::int8[], $9::bool[], $10::bool[], $11::text[], $12::timestamptz[], $13::text[], \
             $14::uuid[]) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, client_id = excluded.client_id, \
             area = excluded.area, count_id = excluded.count_id, data = excluded.data, \
             version = excluded.version, seq = excluded.seq, deleted = excluded.deleted, \
             erased = excluded.erased, hlc = excluded.hlc, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by, device = excluded.device"
        ))
        .await?;
    tx.execute(
        &stmt,
        &[
            &ids,
            &kinds,
            &clients,
            &areas,
            &counts,
            &data,
            &versions,
            &seqs,
            &deleted,
            &erased,
            &hlcs,
            &updated_at,
            &updated_by,
            &devices,
        ],
    )
    .await?;
    Ok(())
}

/// Whether record `r` is visible, given `$2` (area keys) and `$3` (clients).
const VISIBLE: &str = "(r.area = ANY($2) OR r.client_id = ANY($3))";

fn drops_where() -> String {
    format!(
        "d.seq > $1 AND (d.area = ANY($2) OR d.worker = $4) \
         AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = d.record_id AND {VISIBLE})"
    )
}

/// Appends audit entries in one statement.
pub(super) async fn insert_audit(tx: &Transaction<'_>, entries: &[AuditEntry]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let at: Vec<DateTime<Utc>> = entries.iter().map(|e| e.at).collect();
    let user: Vec<Option<&str>> = entries.iter().map(|e| e.user.as_deref()).collect();
    let device: Vec<Option<Uuid>> = entries.iter().map(|e| e.device).collect();
    let action: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    let record: Vec<Option<Uuid>> = entries.iter().map(|e| e.record_id).collect();
    let detail: Vec<Option<&str>> = entries.iter().map(|e| e.detail.as_deref()).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO audit_log (at, user_name, device, action, record_id, detail) \
             SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::uuid[], $4::text[], $5::uuid[], $6::text[])",
        )
        .await?;
    tx.execute(&stmt, &[&at, &user, &device, &action, &record, &detail]).await?;
    Ok(())
}

impl Tx for PgTx<'_> {
    async fn lock_writes(&mut self) -> Result<()> {
        if self.seq.is_some() {
            // Already held: several pushes applied in one transaction.
            return Ok(());
        }
        let stmt = self.tx.prepare_cached("SELECT value FROM seq_counter WHERE id = 1 FOR UPDATE").await?;
        let value: i64 = self.tx.query_one(&stmt, &[]).await?.try_get(0)?;
        self.seq = Some((value, false));
        Ok(())
    }

    async fn next_seq(&mut self) -> Result<i64> {
        if let Some((value, _)) = self.seq {
            // The row lock is held until commit: no other writer can move it.
            self.seq = Some((value + 1, true));
            return Ok(value + 1);
        }
        let stmt =
            self.tx.prepare_cached("UPDATE seq_counter SET value = value + 1 WHERE id = 1 RETURNING value").await?;
        Ok(self.tx.query_one(&stmt, &[]).await?.try_get(0)?)
    }

    async fn team_areas(&mut self, user_id: Uuid) -> Result<Vec<String>> {
        let stmt = self
            .tx
            .prepare_cached(
                "SELECT DISTINCT ta.area_key FROM team_areas ta JOIN team_members tm ON tm.team_id = ta.team_id \
                 WHERE tm.user_id = $1",
            )
            .await?;
        let rows = self.tx.query(&stmt, &[&user_id]).await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    async fn teammates(&mut self, user_id: Uuid) -> Result<Vec<String>> {
        let stmt = self
            .tx
            .prepare_cached(
                "SELECT DISTINCT u.name FROM users u JOIN team_members tm ON tm.user_id = u.id \
                 WHERE tm.team_id IN (SELECT team_id FROM team_members WHERE user_id = $1)",
            )
            .await?;
        let rows = self.tx.query(&stmt, &[&user_id]).await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    async fn caseload_of(&mut self, worker: &str, today: &str) -> Result<Vec<Uuid>> {
        let stmt = self
            .tx
            .prepare_cached(
                "SELECT DISTINCT client_id FROM caseload WHERE worker = $1 AND (ended_on IS NULL OR ended_on >= $2)",
            )
            .await?;
        let rows = self.tx.query(&stmt, &[&worker, &today]).await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    async fn prefetch_applied(&mut self, mutation_ids: &[Uuid]) -> Result<()> {
        let stmt = self
            .tx
            .prepare_cached("SELECT mutation_id, result FROM applied_mutations WHERE mutation_id = ANY($1)")
            .await?;
        let rows = self.tx.query(&stmt, &[&mutation_ids]).await?;
        // Kept across the pushes of one transaction: outcomes given earlier
        // in it are not in the table yet, and must not be forgotten.
        let known = self.known.get_or_insert_with(HashMap::new);
        for row in rows {
            known.insert(row.try_get(0)?, serde_json::from_value(row.try_get::<_, Value>(1)?)?);
        }
        Ok(())
    }

    async fn prefetch_records(&mut self, ids: &[Uuid]) -> Result<()> {
        let wanted: Vec<Uuid> = ids.iter().copied().filter(|id| !self.records.contains_key(id)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        if !self.pending.moves.is_empty() {
            // A moved record read back from the table must show its move.
            self.flush_writes().await?;
        }
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE id = ANY(ARRAY( \
                   SELECT unnest($1::uuid[]) \
                   UNION SELECT client_id FROM records WHERE id = ANY($1) AND client_id IS NOT NULL \
                   UNION SELECT count_id FROM records WHERE id = ANY($1) AND count_id IS NOT NULL))"
            ))
            .await?;
        let rows = self.tx.query(&stmt, &[&wanted]).await?;
        let mut damaged = Vec::new();
        for row in &rows {
            let Ok(record) = rows::record(row) else {
                // Left for `record` to read alone, and refuse alone.
                damaged.push(row.try_get::<_, Uuid>(0)?);
                continue;
            };
            // This transaction's own writes win over what the table holds.
            self.records.entry(record.id).or_insert(Some(record));
        }
        for id in wanted.into_iter().filter(|id| !damaged.contains(id)) {
            self.records.entry(id).or_insert(None);
        }
        Ok(())
    }

    async fn applied(&mut self, mutation_id: Uuid) -> Result<Option<Outcome>> {
        if let Some(known) = &self.known {
            return Ok(known.get(&mutation_id).cloned());
        }
        self.flush_applied().await?;
        let stmt = self.tx.prepare_cached("SELECT result FROM applied_mutations WHERE mutation_id = $1").await?;
        let Some(row) = self.tx.query_opt(&stmt, &[&mutation_id]).await? else { return Ok(None) };
        Ok(Some(serde_json::from_value(row.try_get::<_, Value>(0)?)?))
    }

    async fn put_applied(
        &mut self,
        mutation_id: Uuid,
        device: Uuid,
        record_id: Uuid,
        outcome: &Outcome,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if let Some(known) = &mut self.known {
            // A mutation id sent twice in one push gets this outcome the second time.
            known.insert(mutation_id, outcome.clone());
        }
        self.unsaved.push((mutation_id, device, record_id, serde_json::to_value(outcome)?, at));
        Ok(())
    }

    async fn record(&mut self, id: Uuid) -> Result<Option<StoredRecord>> {
        if let Some(known) = self.records.get(&id) {
            return Ok(known.clone());
        }
        self.flush_writes().await?;
        let stmt = self.tx.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = $1")).await?;
        let found = match self.tx.query_opt(&stmt, &[&id]).await?.as_ref().map(rows::record).transpose() {
            Err(DbError::Corrupt(_)) => return Err(DbError::Unreadable(id)),
            other => other?,
        };
        if let Some(record) = &found {
            self.records.insert(id, Some(record.clone()));
        }
        Ok(found)
    }

    async fn put_record(&mut self, r: &StoredRecord) -> Result<()> {
        self.records.insert(r.id, Some(r.clone()));
        self.pending.put(r.clone());
        Ok(())
    }

    async fn dependents(&mut self, of: Dependents) -> Result<Vec<ScopedRow>> {
        let (sql, id) = match of {
            Dependents::OfClient(id) => ("SELECT id, kind, area FROM records WHERE client_id = $1 ORDER BY seq", id),
            Dependents::OfCount(id) => ("SELECT id, kind, area FROM records WHERE count_id = $1 ORDER BY seq", id),
        };
        self.flush_writes().await?;
        let stmt = self.tx.prepare_cached(sql).await?;
        let rows = self.tx.query(&stmt, &[&id]).await?;
        rows.iter().map(|r| Ok(ScopedRow { id: r.try_get(0)?, kind: rows::kind(r, 1)?, area: r.try_get(2)? })).collect()
    }

    async fn move_record(&mut self, id: Uuid, area: Option<&str>, seq: i64) -> Result<()> {
        match self.records.get_mut(&id) {
            Some(Some(record)) => {
                record.area = area.map(str::to_string);
                record.seq = seq;
                let record = record.clone();
                self.pending.put(record);
            }
            _ => {
                self.pending.moves.insert(id, (area.map(str::to_string), seq));
            }
        }
        Ok(())
    }

    async fn put_drop(&mut self, seq: i64, record_id: Uuid, area: Option<&str>, worker: Option<&str>) -> Result<()> {
        self.pending.drops.push((seq, record_id, area.map(str::to_string), worker.map(str::to_string)));
        Ok(())
    }

    async fn merge_family(&mut self, ids: &[Uuid]) -> Result<Vec<MergeLink>> {
        let stmt = self
            .tx
            .prepare_cached(
                "SELECT client_id, merged_into, person_id FROM client_merges \
                 WHERE client_id = ANY($1) OR person_id = ANY($1) \
                 OR person_id IN (SELECT m.person_id FROM client_merges m WHERE m.client_id = ANY($1))",
            )
            .await?;
        let rows = self.tx.query(&stmt, &[&ids]).await?;
        rows.iter()
            .map(|r| Ok(MergeLink { client: r.try_get(0)?, into: r.try_get(1)?, person: r.try_get(2)? }))
            .collect()
    }

    async fn put_merge(&mut self, link: &MergeLink) -> Result<()> {
        let stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO client_merges (client_id, merged_into, person_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (client_id) DO UPDATE SET merged_into = excluded.merged_into, \
                 person_id = excluded.person_id",
            )
            .await?;
        self.tx.execute(&stmt, &[&link.client, &link.into, &link.person]).await?;
        Ok(())
    }

    async fn remove_merge(&mut self, client: Uuid) -> Result<()> {
        let stmt = self.tx.prepare_cached("DELETE FROM client_merges WHERE client_id = $1").await?;
        self.tx.execute(&stmt, &[&client]).await?;
        Ok(())
    }

    async fn holders(&mut self, clients: &[Uuid], today: &str) -> Result<Vec<String>> {
        let stmt = self
            .tx
            .prepare_cached(
                "SELECT DISTINCT worker FROM caseload WHERE client_id = ANY($1) \
                 AND (ended_on IS NULL OR ended_on >= $2) ORDER BY worker",
            )
            .await?;
        let rows = self.tx.query(&stmt, &[&clients, &today]).await?;
        Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
    }

    async fn caseload(&mut self, assignment_id: Uuid) -> Result<Option<CaseloadEntry>> {
        let stmt =
            self.tx.prepare_cached("SELECT worker, client_id, ended_on FROM caseload WHERE assignment_id = $1").await?;
        let Some(r) = self.tx.query_opt(&stmt, &[&assignment_id]).await? else { return Ok(None) };
        Ok(Some(CaseloadEntry {
            assignment_id,
            worker: r.try_get(0)?,
            client_id: r.try_get(1)?,
            ended_on: r.try_get(2)?,
        }))
    }

    async fn put_caseload(&mut self, e: &CaseloadEntry) -> Result<()> {
        let stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO caseload (assignment_id, worker, client_id, ended_on) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (assignment_id) DO UPDATE SET worker = excluded.worker, \
                 client_id = excluded.client_id, ended_on = excluded.ended_on",
            )
            .await?;
        self.tx.execute(&stmt, &[&e.assignment_id, &e.worker, &e.client_id, &e.ended_on]).await?;
        Ok(())
    }

    async fn remove_caseload(&mut self, assignment_id: Uuid) -> Result<()> {
        let stmt = self.tx.prepare_cached("DELETE FROM caseload WHERE assignment_id = $1").await?;
        self.tx.execute(&stmt, &[&assignment_id]).await?;
        Ok(())
    }

    async fn conflict(&mut self, id: Uuid) -> Result<Option<Conflict>> {
        let stmt =
            self.tx.prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE c.id = $1")).await?;
        self.tx.query_opt(&stmt, &[&id]).await?.as_ref().map(rows::conflict).transpose()
    }

    async fn put_conflict(&mut self, c: &Conflict, at: DateTime<Utc>) -> Result<()> {
        self.flush_writes().await?;
        let stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO conflicts (id, record_id, kind, field, kept, other, other_user, other_device, \
                 other_hlc, resolved_by, resolved_at, seq, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text, \
                 CASE WHEN $10::text IS NULL THEN NULL ELSE $11::timestamptz END, $12, $11) \
                 ON CONFLICT (id) DO UPDATE SET resolved_by = excluded.resolved_by, \
                 resolved_at = excluded.resolved_at, seq = excluded.seq",
            )
            .await?;
        let hlc = c.other_hlc.to_string();
        self.tx
            .execute(
                &stmt,
                &[
                    &c.id,
                    &c.record_id,
                    &c.kind.as_str(),
                    &c.field,
                    &c.kept,
                    &c.other,
                    &c.other_user,
                    &c.other_device,
                    &hlc,
                    &c.resolved_by,
                    &at,
                    &c.seq,
                ],
            )
            .await?;
        Ok(())
    }

    async fn records_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<PulledRow>> {
        self.flush_writes().await?;
        let (areas, clients) = (scope.area_list(), scope.caseload_list());
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records r WHERE r.seq > $1 AND r.seq <= $5 AND {VISIBLE} ORDER BY r.seq LIMIT $4"
            ))
            .await?;
        let rows = self.tx.query(&stmt, &[&w.after, &areas, &clients, &w.limit, &w.until]).await?;
        rows.iter().map(rows::pulled).collect()
    }

    async fn digest_rows(&mut self, scope: &Scope, until: i64) -> Result<Vec<DigestRow>> {
        self.flush_writes().await?;
        let (areas, clients) = (scope.area_list(), scope.caseload_list());
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT r.id, r.version, r.deleted, r.erased, r.area FROM records r WHERE r.seq <= $1 AND {VISIBLE}"
            ))
            .await?;
        let rows = self.tx.query(&stmt, &[&until, &areas, &clients]).await?;
        rows.iter()
            .map(|r| {
                Ok(DigestRow {
                    id: r.try_get(0)?,
                    version: r.try_get(1)?,
                    deleted: r.try_get(2)?,
                    erased: r.try_get(3)?,
                    area: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn conflicts_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<Conflict>> {
        self.flush_writes().await?;
        let (areas, clients) = (scope.area_list(), scope.caseload_list());
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT {CONFLICT_COLUMNS} FROM conflicts c JOIN records r ON r.id = c.record_id \
                 WHERE c.seq > $1 AND c.seq <= $5 AND {VISIBLE} ORDER BY c.seq LIMIT $4"
            ))
            .await?;
        let rows = self.tx.query(&stmt, &[&w.after, &areas, &clients, &w.limit, &w.until]).await?;
        rows.iter().map(rows::conflict).collect()
    }

    async fn drops_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<(i64, Uuid)>> {
        self.flush_writes().await?;
        let (areas, clients) = (scope.area_list(), scope.caseload_list());
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT d.seq, d.record_id FROM scope_drops d WHERE d.seq <= $6 AND {} ORDER BY d.seq LIMIT $5",
                drops_where()
            ))
            .await?;
        let rows = self.tx.query(&stmt, &[&w.after, &areas, &clients, &scope.worker, &w.limit, &w.until]).await?;
        Ok(rows
            .iter()
            .map(|r| Ok::<_, tokio_postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, _>>()?)
    }

    async fn count_after(&mut self, scope: &Scope, after: i64, until: i64, cap: i64) -> Result<i64> {
        self.flush_writes().await?;
        let (areas, clients) = (scope.area_list(), scope.caseload_list());
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM records r WHERE r.seq > $1 AND r.seq <= $6 AND {VISIBLE} LIMIT $5) x) \
                 + (SELECT count(*) FROM (SELECT 1 FROM conflicts c JOIN records r ON r.id = c.record_id \
                    WHERE c.seq > $1 AND c.seq <= $6 AND {VISIBLE} LIMIT $5) y) \
                 + (SELECT count(*) FROM (SELECT 1 FROM scope_drops d WHERE d.seq <= $6 AND {} LIMIT $5) z)",
                drops_where()
            ))
            .await?;
        Ok(self.tx.query_one(&stmt, &[&after, &areas, &clients, &scope.worker, &cap, &until]).await?.try_get(0)?)
    }

    async fn max_seq(&mut self) -> Result<i64> {
        let stmt = self.tx.prepare_cached("SELECT value FROM seq_counter WHERE id = 1").await?;
        Ok(self.tx.query_one(&stmt, &[]).await?.try_get(0)?)
    }

    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()> {
        insert_audit(&self.tx, entries).await
    }

    async fn conflicts_of(&mut self, record_id: Uuid) -> Result<Vec<Conflict>> {
        self.flush_writes().await?;
        let stmt = self
            .tx
            .prepare_cached(&format!(
                "SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE c.record_id = $1 ORDER BY c.seq"
            ))
            .await?;
        self.tx.query(&stmt, &[&record_id]).await?.iter().map(rows::conflict).collect()
    }

    async fn erase_conflict(&mut self, id: Uuid, by: &str, seq: i64, at: DateTime<Utc>) -> Result<()> {
        let stmt = self
            .tx
            .prepare_cached(
                "UPDATE conflicts SET kept = 'null'::jsonb, other = 'null'::jsonb, \
                 resolved_by = coalesce(resolved_by, $2::text), resolved_at = coalesce(resolved_at, $3::timestamptz), \
                 seq = $4 WHERE id = $1",
            )
            .await?;
        self.tx.execute(&stmt, &[&id, &by, &at, &seq]).await?;
        Ok(())
    }

    async fn audit_of(&mut self, record_id: Uuid) -> Result<Vec<AuditRow>> {
        super::accounts::audit_log(&self.tx, Some(record_id), i64::MAX).await
    }

    async fn note_unreadable(&mut self, row: &UnreadableRow, at: DateTime<Utc>) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO unreadable_records (record_id, seq, reason, first_seen) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (record_id) DO NOTHING",
                &[&row.id, &row.seq, &row.reason, &at],
            )
            .await?;
        Ok(())
    }

    async fn damaged_records(&mut self) -> Result<Vec<DamagedRecord>> {
        self.flush_writes().await?;
        let rows = self
            .tx
            .query(
                "SELECT id, hlc, updated_at, device, jsonb_typeof(data) = 'object' FROM records \
                 WHERE hlc !~ '^[0-9a-f]{13}\\.[0-9a-f]{8}\\.[0-9a-f]{32}$' OR jsonb_typeof(data) <> 'object' \
                 OR id IN (SELECT record_id FROM unreadable_records) ORDER BY seq",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DamagedRecord {
                    id: r.try_get(0)?,
                    hlc: r.try_get(1)?,
                    updated_at: r.try_get(2)?,
                    device: r.try_get(3)?,
                    data_is_object: r.try_get(4)?,
                })
            })
            .collect()
    }

    async fn restamp(&mut self, id: Uuid, hlc: Hlc, seq: i64) -> Result<()> {
        self.flush_writes().await?;
        self.tx.execute("UPDATE records SET hlc = $2, seq = $3 WHERE id = $1", &[&id, &hlc.to_string(), &seq]).await?;
        self.tx.execute("DELETE FROM unreadable_records WHERE record_id = $1", &[&id]).await?;
        Ok(())
    }
}
