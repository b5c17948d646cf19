//! The engine's storage steps on SQLite. Every step is synchronous; the
//! transaction is `BEGIN IMMEDIATE` for writers, which already serialises
//! them, and the sequence counter is bumped inside it.

use super::rows::{self, CONFLICT_COLUMNS, RECORD_COLUMNS};
use crate::engine::{DamagedRecord, Dependents, DigestRow, MergeLink, ScopedRow, StoredRecord, Tx, Window};
use crate::error::{DbError, Result};
use crate::model::{AuditEntry, AuditRow};
use crate::page::{PulledRow, UnreadableRow};
use crate::scope::{CaseloadEntry, Scope};
use chrono::{DateTime, Utc};
use outreach_domain::Hlc;
use outreach_protocol::api::{Conflict, Outcome};
use rusqlite::{OptionalExtension, Transaction, params};
use uuid::Uuid;

/// A SQLite transaction seen as the engine's [`Tx`].
pub(super) struct SqliteTx<'c> {
    /// The open transaction; the caller commits it.
    pub tx: Transaction<'c>,
}

/// Ids as a SQL parameter: a JSON array read with `json_each`.
fn id_list(ids: &[Uuid]) -> Result<String> {
    Ok(serde_json::to_string(&ids.iter().map(Uuid::to_string).collect::<Vec<_>>())?)
}

/// The scope as SQL parameters: JSON arrays read with `json_each`.
fn scope_params(scope: &Scope) -> Result<(String, String)> {
    let areas = serde_json::to_string(&scope.area_list())?;
    let clients: Vec<String> = scope.caseload_list().iter().map(Uuid::to_string).collect();
    Ok((areas, serde_json::to_string(&clients)?))
}

/// Whether record `r` is visible, given `?2` (areas) and `?3` (clients).
/// The caller's scope as a condition on `records r`. The unary `+` keeps
/// SQLite from driving these queries from the area and client indexes
/// (which reads every record in scope and sorts it): pulls must walk the
/// `seq` index from the cursor and test scope row by row.
const VISIBLE: &str =
    "(+r.area IN (SELECT value FROM json_each(?2)) OR +r.client_id IN (SELECT value FROM json_each(?3)))";

fn drops_where() -> String {
    format!(
        "d.seq > ?1 AND (d.area IN (SELECT value FROM json_each(?2)) OR d.worker = ?4) \
         AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = d.record_id AND {VISIBLE})"
    )
}

impl Tx for SqliteTx<'_> {
    async fn lock_writes(&mut self) -> Result<()> {
        // BEGIN IMMEDIATE already holds the database's write lock.
        Ok(())
    }

    async fn next_seq(&mut self) -> Result<i64> {
        let mut stmt =
            self.tx.prepare_cached("UPDATE seq_counter SET value = value + 1 WHERE id = 1 RETURNING value")?;
        Ok(stmt.query_row([], |r| r.get(0))?)
    }

    async fn team_areas(&mut self, user_id: Uuid) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT ta.area_key FROM team_areas ta JOIN team_members tm ON tm.team_id = ta.team_id \
             WHERE tm.user_id = ?1",
        )?;
        let rows = stmt.query_map([user_id.to_string()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn teammates(&mut self, user_id: Uuid) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT u.name FROM users u JOIN team_members tm ON tm.user_id = u.id \
             WHERE tm.team_id IN (SELECT team_id FROM team_members WHERE user_id = ?1)",
        )?;
        let rows = stmt.query_map([user_id.to_string()], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn caseload_of(&mut self, worker: &str, today: &str) -> Result<Vec<Uuid>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT client_id FROM caseload WHERE worker = ?1 AND (ended_on IS NULL OR ended_on >= ?2)",
        )?;
        let rows = stmt.query_map(params![worker, today], |r| rows::uuid(r, 0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn applied(&mut self, mutation_id: Uuid) -> Result<Option<Outcome>> {
        let mut stmt = self.tx.prepare_cached("SELECT result FROM applied_mutations WHERE mutation_id = ?1")?;
        let text: Option<String> = stmt.query_row([mutation_id.to_string()], |r| r.get(0)).optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    async fn put_applied(
        &mut self,
        mutation_id: Uuid,
        device: Uuid,
        record_id: Uuid,
        outcome: &Outcome,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO applied_mutations (mutation_id, device, record_id, result, applied_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        stmt.execute(params![
            mutation_id.to_string(),
            device.to_string(),
            record_id.to_string(),
            serde_json::to_string(outcome)?,
            at
        ])?;
        Ok(())
    }

    async fn record(&mut self, id: Uuid) -> Result<Option<StoredRecord>> {
        let mut stmt = self.tx.prepare_cached(&format!("SELECT {RECORD_COLUMNS} FROM records WHERE id = ?1"))?;
        match stmt.query_row([id.to_string()], rows::record).optional() {
            Err(rusqlite::Error::FromSqlConversionFailure(..)) => Err(DbError::Unreadable(id)),
            other => Ok(other?),
        }
    }

    async fn put_record(&mut self, r: &StoredRecord) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "INSERT INTO records ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
             ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, client_id = excluded.client_id, \
             area = excluded.area, count_id = excluded.count_id, data = excluded.data, version = excluded.version, \
             seq = excluded.seq, deleted = excluded.deleted, erased = excluded.erased, hlc = excluded.hlc, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by, device = excluded.device"
        ))?;
        stmt.execute(params![
            r.id.to_string(),
            r.kind.as_str(),
            r.client_id.map(|c| c.to_string()),
            r.area,
            r.count_id.map(|c| c.to_string()),
            serde_json::to_string(&r.data)?,
            r.version,
            r.seq,
            r.deleted,
            r.erased,
            r.hlc.to_string(),
            r.updated_at,
            r.updated_by,
            r.device.to_string(),
        ])?;
        Ok(())
    }

    async fn dependents(&mut self, of: Dependents) -> Result<Vec<ScopedRow>> {
        let (sql, id) = match of {
            Dependents::OfClient(id) => ("SELECT id, kind, area FROM records WHERE client_id = ?1 ORDER BY seq", id),
            Dependents::OfCount(id) => ("SELECT id, kind, area FROM records WHERE count_id = ?1 ORDER BY seq", id),
        };
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok(ScopedRow { id: rows::uuid(r, 0)?, kind: rows::kind(r, 1)?, area: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn move_record(&mut self, id: Uuid, area: Option<&str>, seq: i64) -> Result<()> {
        let mut stmt = self.tx.prepare_cached("UPDATE records SET area = ?2, seq = ?3 WHERE id = ?1")?;
        stmt.execute(params![id.to_string(), area, seq])?;
        Ok(())
    }

    async fn put_drop(&mut self, seq: i64, record_id: Uuid, area: Option<&str>, worker: Option<&str>) -> Result<()> {
        let mut stmt =
            self.tx.prepare_cached("INSERT INTO scope_drops (seq, record_id, area, worker) VALUES (?1, ?2, ?3, ?4)")?;
        stmt.execute(params![seq, record_id.to_string(), area, worker])?;
        Ok(())
    }

    async fn merge_family(&mut self, ids: &[Uuid]) -> Result<Vec<MergeLink>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT client_id, merged_into, person_id FROM client_merges \
             WHERE client_id IN (SELECT value FROM json_each(?1)) OR person_id IN (SELECT value FROM json_each(?1)) \
             OR person_id IN (SELECT m.person_id FROM client_merges m WHERE m.client_id IN (SELECT value FROM json_each(?1)))",
        )?;
        let rows = stmt.query_map([id_list(ids)?], |r| {
            Ok(MergeLink { client: rows::uuid(r, 0)?, into: rows::uuid(r, 1)?, person: rows::uuid(r, 2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn put_merge(&mut self, link: &MergeLink) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO client_merges (client_id, merged_into, person_id) VALUES (?1, ?2, ?3) \
             ON CONFLICT (client_id) DO UPDATE SET merged_into = excluded.merged_into, person_id = excluded.person_id",
        )?;
        stmt.execute(params![link.client.to_string(), link.into.to_string(), link.person.to_string()])?;
        Ok(())
    }

    async fn remove_merge(&mut self, client: Uuid) -> Result<()> {
        let mut stmt = self.tx.prepare_cached("DELETE FROM client_merges WHERE client_id = ?1")?;
        stmt.execute([client.to_string()])?;
        Ok(())
    }

    async fn holders(&mut self, clients: &[Uuid], today: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT DISTINCT worker FROM caseload WHERE client_id IN (SELECT value FROM json_each(?1)) \
             AND (ended_on IS NULL OR ended_on >= ?2) ORDER BY worker",
        )?;
        let rows = stmt.query_map(params![id_list(clients)?, today], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn caseload(&mut self, assignment_id: Uuid) -> Result<Option<CaseloadEntry>> {
        let mut stmt =
            self.tx.prepare_cached("SELECT worker, client_id, ended_on FROM caseload WHERE assignment_id = ?1")?;
        Ok(stmt
            .query_row([assignment_id.to_string()], |r| {
                Ok(CaseloadEntry {
                    assignment_id,
                    worker: r.get(0)?,
                    client_id: rows::uuid(r, 1)?,
                    ended_on: r.get(2)?,
                })
            })
            .optional()?)
    }

    async fn put_caseload(&mut self, e: &CaseloadEntry) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO caseload (assignment_id, worker, client_id, ended_on) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (assignment_id) DO UPDATE SET worker = excluded.worker, client_id = excluded.client_id, \
             ended_on = excluded.ended_on",
        )?;
        stmt.execute(params![e.assignment_id.to_string(), e.worker, e.client_id.to_string(), e.ended_on])?;
        Ok(())
    }

    async fn remove_caseload(&mut self, assignment_id: Uuid) -> Result<()> {
        let mut stmt = self.tx.prepare_cached("DELETE FROM caseload WHERE assignment_id = ?1")?;
        stmt.execute([assignment_id.to_string()])?;
        Ok(())
    }

    async fn conflict(&mut self, id: Uuid) -> Result<Option<Conflict>> {
        let mut stmt =
            self.tx.prepare_cached(&format!("SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE c.id = ?1"))?;
        Ok(stmt.query_row([id.to_string()], rows::conflict).optional()?)
    }

    async fn put_conflict(&mut self, c: &Conflict, at: DateTime<Utc>) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO conflicts (id, record_id, kind, field, kept, other, other_user, other_device, other_hlc, \
             resolved_by, resolved_at, seq, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CASE WHEN ?10 IS NULL THEN NULL ELSE ?11 END, ?12, ?11) \
             ON CONFLICT (id) DO UPDATE SET resolved_by = excluded.resolved_by, \
             resolved_at = excluded.resolved_at, seq = excluded.seq",
        )?;
        stmt.execute(params![
            c.id.to_string(),
            c.record_id.to_string(),
            c.kind.as_str(),
            c.field,
            serde_json::to_string(&c.kept)?,
            serde_json::to_string(&c.other)?,
            c.other_user,
            c.other_device.to_string(),
            c.other_hlc.to_string(),
            c.resolved_by,
            at,
            c.seq,
        ])?;
        Ok(())
    }

    async fn records_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<PulledRow>> {
        let (areas, clients) = scope_params(scope)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM records r WHERE r.seq > ?1 AND r.seq <= ?5 AND {VISIBLE} ORDER BY r.seq LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![w.after, areas, clients, w.limit, w.until], rows::pulled)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn digest_rows(&mut self, scope: &Scope, until: i64) -> Result<Vec<DigestRow>> {
        let (areas, clients) = scope_params(scope)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT r.id, r.version, r.deleted, r.erased, r.area FROM records r WHERE r.seq <= ?1 AND {VISIBLE}"
        ))?;
        let rows = stmt.query_map(params![until, areas, clients], |r| {
            Ok(DigestRow {
                id: rows::uuid(r, 0)?,
                version: r.get(1)?,
                deleted: r.get(2)?,
                erased: r.get(3)?,
                area: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn conflicts_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<Conflict>> {
        let (areas, clients) = scope_params(scope)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM conflicts c JOIN records r ON r.id = c.record_id \
             WHERE c.seq > ?1 AND c.seq <= ?5 AND {VISIBLE} ORDER BY c.seq LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![w.after, areas, clients, w.limit, w.until], rows::conflict)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn drops_after(&mut self, scope: &Scope, w: Window) -> Result<Vec<(i64, Uuid)>> {
        let (areas, clients) = scope_params(scope)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT d.seq, d.record_id FROM scope_drops d WHERE d.seq <= ?6 AND {} ORDER BY d.seq LIMIT ?5",
            drops_where()
        ))?;
        let rows = stmt.query_map(params![w.after, areas, clients, scope.worker, w.limit, w.until], |r| {
            Ok((r.get(0)?, rows::uuid(r, 1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn count_after(&mut self, scope: &Scope, after: i64, until: i64, cap: i64) -> Result<i64> {
        let (areas, clients) = scope_params(scope)?;
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM records r WHERE r.seq > ?1 AND r.seq <= ?6 AND {VISIBLE} LIMIT ?5)) \
             + (SELECT count(*) FROM (SELECT 1 FROM conflicts c JOIN records r ON r.id = c.record_id \
                WHERE c.seq > ?1 AND c.seq <= ?6 AND {VISIBLE} LIMIT ?5)) \
             + (SELECT count(*) FROM (SELECT 1 FROM scope_drops d WHERE d.seq <= ?6 AND {} LIMIT ?5))",
            drops_where()
        ))?;
        Ok(stmt.query_row(params![after, areas, clients, scope.worker, cap, until], |r| r.get(0))?)
    }

    async fn max_seq(&mut self) -> Result<i64> {
        Ok(self.tx.query_row("SELECT value FROM seq_counter WHERE id = 1", [], |r| r.get(0))?)
    }

    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()> {
        super::accounts::insert_audit(&self.tx, entries)
    }

    async fn conflicts_of(&mut self, record_id: Uuid) -> Result<Vec<Conflict>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM conflicts c WHERE c.record_id = ?1 ORDER BY c.seq"
        ))?;
        let rows = stmt.query_map([record_id.to_string()], rows::conflict)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn erase_conflict(&mut self, id: Uuid, by: &str, seq: i64, at: DateTime<Utc>) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE conflicts SET kept = 'null', other = 'null', resolved_by = coalesce(resolved_by, ?2), \
             resolved_at = coalesce(resolved_at, ?3), seq = ?4 WHERE id = ?1",
        )?;
        stmt.execute(params![id.to_string(), by, at, seq])?;
        Ok(())
    }

    async fn audit_of(&mut self, record_id: Uuid) -> Result<Vec<AuditRow>> {
        super::accounts::audit_log(&self.tx, Some(record_id), i64::MAX)
    }

    async fn note_unreadable(&mut self, row: &UnreadableRow, at: DateTime<Utc>) -> Result<()> {
        self.tx.execute(
            "INSERT INTO unreadable_records (record_id, seq, reason, first_seen) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (record_id) DO NOTHING",
            params![row.id.to_string(), row.seq, row.reason, at],
        )?;
        Ok(())
    }

    async fn damaged_records(&mut self) -> Result<Vec<DamagedRecord>> {
        let mut stmt = self.tx.prepare(
            "SELECT id, hlc, updated_at, device, CASE WHEN json_valid(data) THEN json_type(data) = 'object' ELSE 0 END \
             FROM records WHERE length(hlc) <> 55 OR hlc GLOB '*[^0-9a-f.]*' \
             OR NOT json_valid(data) OR json_type(data) <> 'object' \
             OR id IN (SELECT record_id FROM unreadable_records) ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DamagedRecord {
                id: rows::uuid(r, 0)?,
                hlc: r.get(1)?,
                updated_at: r.get(2)?,
                device: rows::uuid(r, 3)?,
                data_is_object: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    async fn restamp(&mut self, id: Uuid, hlc: Hlc, seq: i64) -> Result<()> {
        let id = id.to_string();
        self.tx.execute("UPDATE records SET hlc = ?2, seq = ?3 WHERE id = ?1", params![id, hlc.to_string(), seq])?;
        self.tx.execute("DELETE FROM unreadable_records WHERE record_id = ?1", [id])?;
        Ok(())
    }
}
