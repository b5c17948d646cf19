//! Reading SQLite rows into the server's types. Ids are stored as UUID
//! text, times as RFC 3339 text, JSON as text.

use crate::engine::StoredRecord;
use crate::page::{PulledRecord, PulledRow, UnreadableRow};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::Conflict;
use rusqlite::Row;
use rusqlite::types::Type;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use uuid::Uuid;

fn bad(idx: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e))
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Unreadable(String);

/// A UUID column.
pub(super) fn uuid(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(idx)?;
    Uuid::parse_str(&text).map_err(|e| bad(idx, e))
}

/// A nullable UUID column.
pub(super) fn opt_uuid(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| Uuid::parse_str(&t).map_err(|e| bad(idx, e))).transpose()
}

/// A record kind column.
pub(super) fn kind(row: &Row<'_>, idx: usize) -> rusqlite::Result<RecordKind> {
    let text: String = row.get(idx)?;
    RecordKind::parse(&text).ok_or_else(|| bad(idx, Unreadable(format!("unknown record kind '{text}'"))))
}

/// A clock stamp column.
pub(super) fn hlc(row: &Row<'_>, idx: usize) -> rusqlite::Result<Hlc> {
    let text: String = row.get(idx)?;
    text.parse().map_err(|e| bad(idx, e))
}

/// A JSON column.
pub(super) fn json(row: &Row<'_>, idx: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| bad(idx, e))
}

/// A JSON object column.
pub(super) fn object(row: &Row<'_>, idx: usize) -> rusqlite::Result<Map<String, Value>> {
    match json(row, idx)? {
        Value::Object(map) => Ok(map),
        _ => Err(bad(idx, Unreadable("record data is not a JSON object".into()))),
    }
}

/// The record columns, in the order [`record`] reads them.
pub(super) const RECORD_COLUMNS: &str =
    "id, kind, client_id, area, count_id, data, version, seq, deleted, erased, hlc, updated_at, updated_by, device";

/// A row of [`RECORD_COLUMNS`].
pub(super) fn record(row: &Row<'_>) -> rusqlite::Result<StoredRecord> {
    Ok(StoredRecord {
        id: uuid(row, 0)?,
        kind: kind(row, 1)?,
        client_id: opt_uuid(row, 2)?,
        area: row.get(3)?,
        count_id: opt_uuid(row, 4)?,
        data: object(row, 5)?,
        version: row.get(6)?,
        seq: row.get(7)?,
        deleted: row.get(8)?,
        erased: row.get(9)?,
        hlc: hlc(row, 10)?,
        updated_at: row.get(11)?,
        updated_by: row.get(12)?,
        device: uuid(row, 13)?,
    })
}

/// A row of [`RECORD_COLUMNS`] as pull sends it: the data stay the JSON
/// text stored (written by serialising the record's fields, so sending it
/// as it is sends what serialising them again would).
///
/// A row whose id and sequence read but whose rest does not (a damaged
/// clock stamp or data) is an [`UnreadableRow`], so one damaged record never
/// stops the pulls that reach it.
pub(super) fn pulled(row: &Row<'_>) -> rusqlite::Result<PulledRow> {
    let (id, seq) = (uuid(row, 0)?, row.get(7)?);
    Ok(pulled_record(row).map_err(|e| UnreadableRow { id, seq, reason: e.to_string() }))
}

fn pulled_record(row: &Row<'_>) -> rusqlite::Result<PulledRecord> {
    let text: String = row.get(5)?;
    let data = RawValue::from_string(text).map_err(|e| bad(5, e))?;
    if !data.get().starts_with('{') {
        return Err(bad(5, Unreadable("record data is not a JSON object".into())));
    }
    Ok(PulledRecord {
        id: uuid(row, 0)?,
        kind: kind(row, 1)?,
        client_id: opt_uuid(row, 2)?,
        data,
        version: row.get(6)?,
        seq: row.get(7)?,
        deleted: row.get(8)?,
        erased: row.get(9)?,
        hlc: hlc(row, 10)?,
        updated_at: row.get(11)?,
        updated_by: row.get(12)?,
        area: row.get(3)?,
    })
}

/// The conflict columns (prefixed `c.`), in the order [`conflict`] reads them.
pub(super) const CONFLICT_COLUMNS: &str = "c.id, c.record_id, c.kind, c.field, c.kept, c.other, c.other_user, \
     c.other_device, c.other_hlc, c.resolved_by, c.seq";

/// A row of [`CONFLICT_COLUMNS`].
pub(super) fn conflict(row: &Row<'_>) -> rusqlite::Result<Conflict> {
    Ok(Conflict {
        id: uuid(row, 0)?,
        record_id: uuid(row, 1)?,
        kind: kind(row, 2)?,
        field: row.get(3)?,
        kept: json(row, 4)?,
        other: json(row, 5)?,
        other_user: row.get(6)?,
        other_device: uuid(row, 7)?,
        other_hlc: hlc(row, 8)?,
        resolved_by: row.get(9)?,
        seq: row.get(10)?,
    })
}
