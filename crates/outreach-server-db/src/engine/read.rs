//! Serving pulls, single records and conflict resolutions, each audited.

use super::push::{after_write, resolve_area};
use super::{StoredRecord, Tx, Window, day, load_scope};
use crate::error::{DbError, Result};
use crate::model::{Actor, AuditEntry};
use crate::page::{PullPage, PulledRecord};
use crate::scope::scope_keys;
use chrono::{DateTime, Utc};
use outreach_protocol::api::{CASELOAD_UNIT, Conflict, ScopeDigest, digest_units};
use serde_json::{Value, json};
use uuid::Uuid;

fn entry(actor: &Actor, now: DateTime<Utc>, action: &str, record: Uuid) -> AuditEntry {
    AuditEntry {
        at: now,
        user: Some(actor.user.clone()),
        device: Some(actor.device),
        action: action.into(),
        record_id: Some(record),
        detail: None,
    }
}

/// The one audit entry of a pull page: what was sent, by count and kind,
/// and the sequence range it covered (a page of 5,000 records is one row,
/// not 5,000).
fn pull_entry(
    actor: &Actor,
    now: DateTime<Utc>,
    cursor: i64,
    last: i64,
    changes: &[PulledRecord],
    conflicts: &[Conflict],
    drops: usize,
) -> AuditEntry {
    let mut by_kind = std::collections::BTreeMap::<&str, u64>::new();
    for c in changes {
        *by_kind.entry(c.kind.as_str()).or_default() += 1;
    }
    let detail = json!({
        "after_seq": cursor,
        "to_seq": last,
        "records": changes.len(),
        "by_kind": by_kind,
        "conflicts": conflicts.len(),
        "drops": drops,
    });
    AuditEntry {
        at: now,
        user: Some(actor.user.clone()),
        device: Some(actor.device),
        action: "pull".into(),
        record_id: None,
        detail: Some(detail.to_string()),
    }
}

/// Up to how many remaining changes a pull counts exactly (per stream).
const REMAINING_COUNTED_UP_TO: i64 = 2_000;

/// Which page a pull asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PullWindow {
    /// Resume after this sequence.
    pub cursor: i64,
    /// Most changes wanted.
    pub limit: i64,
    /// A later page of the snapshot pinned here.
    pub until: Option<i64>,
    /// Pin a pull from cursor 0 at the current highest sequence.
    pub pin: bool,
}

/// The changes after `cursor` that `actor` may see, at most `limit` of them
/// (records, conflicts and drops together) in `seq` order, up to the
/// snapshot's sequence when pinned (see [`PullWindow`]). One audit entry
/// is written per record and per conflict sent.
pub(crate) async fn pull<T: Tx>(tx: &mut T, actor: &Actor, w: PullWindow, now: DateTime<Utc>) -> Result<PullPage> {
    let PullWindow { cursor, limit, .. } = w;
    let scope = load_scope(tx, actor, &day(now)).await?;
    let pinned = match w.until {
        Some(until) => Some(until.max(cursor)),
        None if w.pin && cursor == 0 => Some(tx.max_seq().await?),
        None => None,
    };
    // A snapshot with nothing (more) in it ends at its sequence.
    let empty = PullPage::empty(pinned.unwrap_or(cursor), pinned);
    if !scope.reads_records || limit < 1 {
        return Ok(PullPage { next_cursor: cursor, ..empty });
    }
    let window = Window { after: cursor, until: pinned.unwrap_or(i64::MAX), limit };
    let (mut records, mut damaged) = (Vec::new(), Vec::new());
    for row in tx.records_after(&scope, window).await? {
        match row {
            Ok(record) => records.push(record),
            Err(unreadable) => damaged.push(unreadable),
        }
    }
    let conflicts = tx.conflicts_after(&scope, window).await?;
    let drops = tx.drops_after(&scope, window).await?;

    // The page is the `limit` lowest sequence numbers of the three streams
    // (a record that could not be read takes its place, so the cursor moves
    // past it).
    let mut seqs: Vec<i64> = records
        .iter()
        .map(|r| r.seq)
        .chain(damaged.iter().map(|d| d.seq))
        .chain(conflicts.iter().map(|c| c.seq))
        .chain(drops.iter().map(|d| d.0))
        .collect();
    seqs.sort_unstable();
    let Some(&last) = seqs.get(seqs.len().min(limit as usize).saturating_sub(1)) else { return Ok(empty) };

    let changes: Vec<PulledRecord> = records.into_iter().filter(|r| r.seq <= last).collect();
    damaged.retain(|d| d.seq <= last);
    let mut audit = Vec::with_capacity(damaged.len() + 1);
    for d in &damaged {
        // Loud: noted for /health and the administrator, audited, logged.
        tracing::error!(record = %d.id, reason = %d.reason, "a stored record could not be read; run `outreach-server record repair`");
        tx.note_unreadable(d, now).await?;
        audit.push(
            entry(actor, now, "unreadable_record", d.id).detail(json!({"seq": d.seq, "reason": d.reason}).to_string()),
        );
    }
    let unreadable: Vec<Uuid> = damaged.into_iter().map(|d| d.id).collect();
    let conflicts: Vec<Conflict> = conflicts.into_iter().filter(|c| c.seq <= last).collect();
    let drops: Vec<Uuid> = drops.into_iter().filter(|d| d.0 <= last).map(|d| d.1).collect();
    // Exact while little remains; past the cap, estimated from the sequence
    // range (every record after the page, in scope or not), which is all a
    // progress bar needs: counting everything on every page made a first
    // sync quadratic and every pull as slow as the server is large.
    let counted = tx.count_after(&scope, last, window.until, REMAINING_COUNTED_UP_TO).await?;
    let remaining = if counted >= REMAINING_COUNTED_UP_TO {
        counted.max(tx.max_seq().await?.min(window.until) - last)
    } else {
        counted
    };
    // The last page of a snapshot moves the cursor to the snapshot's
    // sequence: nothing this device may see lies between.
    let next_cursor = match pinned {
        Some(until) if remaining == 0 => until.max(last),
        _ => last,
    };

    if !changes.is_empty() || !conflicts.is_empty() {
        audit.push(pull_entry(actor, now, cursor, last, &changes, &conflicts, drops.len()));
    }
    tx.audit(&audit).await?;
    Ok(PullPage {
        changes,
        conflicts,
        drops,
        next_cursor,
        has_more: remaining > 0,
        remaining,
        snapshot_seq: pinned,
        unreadable,
    })
}

/// The digest of what `actor`'s device should hold, per scope unit: every
/// area key its teams cover (also the empty ones) and [`CASELOAD_UNIT`]
/// for records seen only through the caseload. Erased records are not
/// counted (devices drop them); tombstones are. `as_of` is the device's
/// `cursor` when nothing it may see changed after it, else the highest
/// sequence (the device is behind and should not compare).
pub(crate) async fn digest<T: Tx>(tx: &mut T, actor: &Actor, cursor: i64, now: DateTime<Utc>) -> Result<ScopeDigest> {
    let scope = load_scope(tx, actor, &day(now)).await?;
    let max = tx.max_seq().await?;
    if !scope.reads_records {
        return Ok(ScopeDigest { as_of: cursor.max(max), units: Vec::new() });
    }
    let behind = tx.count_after(&scope, cursor, max, 1).await? > 0;
    let records = tx.digest_rows(&scope, max).await?;
    let areas = scope.area_list();
    let units = digest_units(
        areas.iter().map(String::as_str).chain([CASELOAD_UNIT]),
        records.iter().filter(|r| !r.erased).map(|r| {
            let unit = r.area.as_deref().filter(|a| scope.areas.contains(*a)).unwrap_or(CASELOAD_UNIT);
            (unit, r.id, r.version, r.deleted)
        }),
    );
    Ok(ScopeDigest { as_of: if behind { max } else { cursor }, units })
}

/// One record, if `actor` may see it; `None` for a record that does not
/// exist and for one outside scope alike. Both are audited.
pub(crate) async fn record<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<StoredRecord>> {
    let scope = load_scope(tx, actor, &day(now)).await?;
    let found = match tx.record(id).await {
        // Stored damaged: answered as absent (which says nothing of its
        // scope), and told to the administrator through the audit log and
        // the pulls that meet it.
        Err(DbError::Unreadable(_)) => {
            tx.audit(&[entry(actor, now, "unreadable_record", id)]).await?;
            return Ok(None);
        }
        other => other?,
    };
    let found = found.filter(|r| scope.sees(r.area.as_deref(), r.client_id));
    let action = if found.is_some() { "read" } else { "read_denied" };
    tx.audit(&[entry(actor, now, action, id)]).await?;
    Ok(found)
}

/// Records a person's choice for a conflict: the chosen value goes into the
/// record (a new version), and the conflict is marked resolved with a new
/// sequence number so it travels with pulls. `None` when the conflict does
/// not exist or its record is outside `actor`'s scope. Resolving twice
/// returns the conflict as first resolved. The value is written only while
/// the field still holds the kept or the other value.
pub(crate) async fn resolve_conflict<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    id: Uuid,
    value: Value,
    now: DateTime<Utc>,
) -> Result<Option<Conflict>> {
    tx.lock_writes().await?;
    let today = day(now);
    let scope = load_scope(tx, actor, &today).await?;
    let Some(mut conflict) = tx.conflict(id).await? else { return Ok(None) };
    let Some(record) = tx.record(conflict.record_id).await? else { return Ok(None) };
    if !scope.sees(record.area.as_deref(), record.client_id) {
        tx.audit(&[entry(actor, now, "resolve_denied", record.id).detail(json!({"conflict": id}).to_string())]).await?;
        return Ok(None);
    }
    if conflict.resolved_by.is_some() {
        return Ok(Some(conflict));
    }
    // Write the chosen value only while the field still holds one of the two
    // values the person chose between: if someone has edited it since, that
    // later edit stands (the chosen value also travels from the device as an
    // ordinary change, where the merge rules judge it).
    let current = if conflict.field == "deleted" {
        Value::Bool(record.deleted)
    } else {
        record.data.get(&conflict.field).cloned().unwrap_or(Value::Null)
    };
    if value != current && outreach_sync::merge::is_signed_off(record.kind, &record.data) {
        return Err(DbError::Refused {
            code: "signed_off",
            reason: "this record is signed off and keeps the value it was signed off with; choose that value, \
                     and record an amendment for the other"
                .into(),
        });
    }
    let untouched_since = current == conflict.kept || current == conflict.other;
    if !record.erased && untouched_since {
        let mut updated = record.clone();
        if conflict.field == "deleted" {
            let Some(deleted) = value.as_bool() else {
                return Err(DbError::Refused {
                    code: "invalid",
                    reason: "choose true (delete) or false (keep) for `deleted`".into(),
                });
            };
            updated.deleted = deleted;
        } else {
            updated.data.insert(conflict.field.clone(), value.clone());
        }
        if updated.data != record.data || updated.deleted != record.deleted {
            let keys = scope_keys(record.kind, record.id, &updated.data)
                .map_err(|reason| DbError::Refused { code: "invalid", reason })?;
            updated.client_id = keys.client_id;
            updated.count_id = keys.count_id;
            updated.area = resolve_area(tx, &keys.area).await?;
            if !scope.sees(updated.area.as_deref(), updated.client_id) {
                return Err(DbError::Refused {
                    code: "forbidden",
                    reason: "that value would move the record outside your teams' areas and caseload; ask a team lead of the receiving team".into(),
                });
            }
            updated.version += 1;
            updated.seq = tx.next_seq().await?;
            updated.updated_at = now;
            updated.updated_by = actor.user.clone();
            updated.device = actor.device;
            tx.put_record(&updated).await?;
            after_write(tx, Some(&record), &updated, &today).await?;
        }
    }
    conflict.resolved_by = Some(actor.user.clone());
    conflict.seq = tx.next_seq().await?;
    tx.put_conflict(&conflict, now).await?;
    tx.audit(&[entry(actor, now, "resolve_conflict", record.id).detail(json!({"conflict": id}).to_string())]).await?;
    Ok(Some(conflict))
}
