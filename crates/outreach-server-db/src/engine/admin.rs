//! Data protection for administrators: everything held on one client
//! (a subject access request) and an erasure of it. Both are audited.

use super::{Dependents, StoredRecord, Tx};
use crate::error::{DbError, Result};
use crate::model::{AuditEntry, ClientExport, Erasure, Repair};
use chrono::{DateTime, Utc};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::Conflict;
use serde_json::{Map, Value, json};
use uuid::Uuid;

fn entry(by: &str, now: DateTime<Utc>, action: &str, record: Uuid, detail: Value) -> AuditEntry {
    AuditEntry {
        at: now,
        user: Some(by.to_string()),
        device: None,
        action: action.into(),
        record_id: Some(record),
        detail: Some(detail.to_string()),
    }
}

/// The client record and every record about the person it stands for: its
/// own, and every client merged with it (the same person recorded twice)
/// with theirs; the client first, then by `seq`. `None` when there is no
/// such record; refused when `id` is a record of another kind.
async fn client_and_records<T: Tx>(tx: &mut T, id: Uuid) -> Result<Option<(StoredRecord, Vec<StoredRecord>)>> {
    let Some(client) = tx.record(id).await? else { return Ok(None) };
    if client.kind != RecordKind::Client {
        return Err(DbError::Invalid(format!("record {id} is a {}, not a client", client.kind.as_str())));
    }
    let mut family: Vec<Uuid> = super::merges::family(tx, &[id]).await?.into_iter().collect();
    family.sort();
    let mut records = Vec::new();
    for member in family {
        for row in tx.dependents(Dependents::OfClient(member)).await? {
            if row.id == id {
                continue;
            }
            if let Some(record) = tx.record(row.id).await? {
                records.push(record);
            }
        }
    }
    records.sort_by_key(|r| (r.seq, r.id));
    records.dedup_by_key(|r| r.id);
    Ok(Some((client, records)))
}

/// Everything held on client `id`, for `by` (an administrator); the export
/// itself is audited on the client record.
pub(crate) async fn export_client<T: Tx>(
    tx: &mut T,
    id: Uuid,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<ClientExport>> {
    let Some((client, records)) = client_and_records(tx, id).await? else { return Ok(None) };
    let mut conflicts: Vec<Conflict> = Vec::new();
    let mut audit = Vec::new();
    for record in std::iter::once(&client).chain(&records) {
        conflicts.extend(tx.conflicts_of(record.id).await?);
        audit.extend(tx.audit_of(record.id).await?);
    }
    conflicts.sort_by_key(|c| c.seq);
    audit.sort_by_key(|a| a.id);
    let detail = json!({"records": records.len() + 1, "conflicts": conflicts.len(), "audit_rows": audit.len()});
    tx.audit(&[entry(by, now, "client_export", id, detail)]).await?;
    Ok(Some(ClientExport {
        exported_at: now,
        client: client.to_change(),
        records: records.iter().map(StoredRecord::to_change).collect(),
        conflicts,
        audit: audit.into_iter().map(Into::into).collect(),
    }))
}

/// Erases client `id` and every record about it: each is marked erased,
/// its data cleared to `{}`, with a new version and `seq`, so every device
/// that may see it pulls `erased: true` and drops its copy (scope is kept
/// as it was, so the same devices are reached). The values held by their
/// conflicts are cleared too, and open conflicts closed. Records already
/// erased are left alone, so erasing twice changes nothing. Audited per
/// record, with `reason`.
pub(crate) async fn erase_client<T: Tx>(
    tx: &mut T,
    id: Uuid,
    by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<Erasure>> {
    if reason.trim().is_empty() {
        return Err(DbError::Invalid("give the reason for the erasure (e.g. the request's reference)".into()));
    }
    tx.lock_writes().await?;
    let Some((client, records)) = client_and_records(tx, id).await? else { return Ok(None) };
    let mut out = Erasure { client: id, records: vec![], already_erased: vec![], conflicts: vec![] };
    let mut audit = Vec::new();
    for record in std::iter::once(client).chain(records) {
        for conflict in tx.conflicts_of(record.id).await? {
            if conflict.kept.is_null() && conflict.other.is_null() && conflict.resolved_by.is_some() {
                continue;
            }
            let seq = tx.next_seq().await?;
            tx.erase_conflict(conflict.id, by, seq, now).await?;
            out.conflicts.push(conflict.id);
        }
        if record.erased && record.data.is_empty() {
            out.already_erased.push(record.id);
            continue;
        }
        let before = (record.kind == RecordKind::Client).then(|| record.clone());
        let erased = StoredRecord {
            data: Map::new(),
            erased: true,
            version: record.version + 1,
            seq: tx.next_seq().await?,
            updated_at: now,
            updated_by: by.to_string(),
            device: Uuid::nil(),
            ..record
        };
        tx.put_record(&erased).await?;
        if let Some(before) = &before {
            // An erased client (the one named, or one merged with it) is no
            // longer merged into anyone.
            super::merges::relink(tx, Some(before), &erased, &super::day(now)).await?;
        }
        let detail = json!({"client": id, "reason": reason, "version": erased.version, "seq": erased.seq});
        audit.push(entry(by, now, "erase", erased.id, detail));
        out.records.push(erased.id);
    }
    tx.audit(&audit).await?;
    Ok(Some(out))
}

/// Mends the records stored damaged (see [`crate::Database::repair_records`]).
pub(crate) async fn repair_records<T: Tx>(tx: &mut T, by: &str, now: DateTime<Utc>) -> Result<Vec<Repair>> {
    tx.lock_writes().await?;
    let mut out = Vec::new();
    let mut audit = Vec::new();
    for d in tx.damaged_records().await? {
        if !d.data_is_object {
            out.push(Repair {
                id: d.id,
                repaired: false,
                detail: "its data is not a JSON object: restore the record from a backup, or erase its client".into(),
            });
            continue;
        }
        let old: String = d.hlc.chars().take(80).collect();
        let hlc = d.hlc.parse::<Hlc>().unwrap_or(Hlc {
            wall_ms: d.updated_at.timestamp_millis().clamp(0, Hlc::MAX_WALL_MS),
            counter: 0,
            device: d.device,
        });
        let seq = tx.next_seq().await?;
        tx.restamp(d.id, hlc, seq).await?;
        audit.push(entry(
            by,
            now,
            "repair_record",
            d.id,
            json!({"old_hlc": old, "new_hlc": hlc.to_string(), "seq": seq}),
        ));
        out.push(Repair { id: d.id, repaired: true, detail: format!("clock stamp '{old}' replaced by {hlc}") });
    }
    tx.audit(&audit).await?;
    Ok(out)
}
