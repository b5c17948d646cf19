//! Reading PostgreSQL rows into the server's types.

use crate::engine::StoredRecord;
use crate::error::{DbError, Result};
use crate::page::{PulledRecord, PulledRow, UnreadableRow};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::Conflict;
use serde_json::Value;
use tokio_postgres::Row;

/// A record kind column.
pub(super) fn kind(row: &Row, idx: usize) -> Result<RecordKind> {
    let text: String = row.try_get(idx)?;
    RecordKind::parse(&text).ok_or_else(|| DbError::Corrupt(format!("unknown record kind '{text}'")))
}

/// A clock stamp column.
pub(super) fn hlc(row: &Row, idx: usize) -> Result<Hlc> {
    let text: String = row.try_get(idx)?;
    text.parse().map_err(|e: outreach_domain::hlc::HlcParseError| DbError::Corrupt(e.to_string()))
}

/// The record columns, in the order [`record`] reads them.
pub(super) const RECORD_COLUMNS: &str =
    "id, kind, client_id, area, count_id, data, version, seq, deleted, erased, hlc, updated_at, updated_by, device";

/// A row of [`RECORD_COLUMNS`].
pub(super) fn record(row: &Row) -> Result<StoredRecord> {
    let Value::Object(data) = row.try_get::<_, Value>(5)? else {
        return Err(DbError::Corrupt("record data is not a JSON object".into()));
    };
    Ok(StoredRecord {
        id: row.try_get(0)?,
        kind: kind(row, 1)?,
        client_id: row.try_get(2)?,
        area: row.try_get(3)?,
        count_id: row.try_get(4)?,
        data,
        version: row.try_get(6)?,
        seq: row.try_get(7)?,
        deleted: row.try_get(8)?,
        erased: row.try_get(9)?,
        hlc: hlc(row, 10)?,
        updated_at: row.try_get(11)?,
        updated_by: row.try_get(12)?,
        device: row.try_get(13)?,
    })
}

/// A row of [`RECORD_COLUMNS`] as pull sends it: the data serialised
/// straight away, so only the text is kept until the page is sent.
/// (PostgreSQL's own text form of `jsonb` orders keys and spaces values
/// differently, so the server writes it as it always did.)
///
/// A row whose id and sequence read but whose rest does not (a damaged
/// clock stamp or data) is an [`UnreadableRow`], so one damaged record never
/// stops the pulls that reach it.
pub(super) fn pulled(row: &Row) -> Result<PulledRow> {
    let (id, seq) = (row.try_get(0)?, row.try_get(7)?);
    Ok(record(row).and_then(PulledRecord::from_stored).map_err(|e| UnreadableRow { id, seq, reason: e.to_string() }))
}

/// The conflict columns (prefixed `c.`), in the order [`conflict`] reads them.
pub(super) const CONFLICT_COLUMNS: &str = "c.id, c.record_id, c.kind, c.field, c.kept, c.other, c.other_user, \
     c.other_device, c.other_hlc, c.resolved_by, c.seq";

/// A row of [`CONFLICT_COLUMNS`].
pub(super) fn conflict(row: &Row) -> Result<Conflict> {
    Ok(Conflict {
        id: row.try_get(0)?,
        record_id: row.try_get(1)?,
        kind: kind(row, 2)?,
        field: row.try_get(3)?,
        kept: row.try_get(4)?,
        other: row.try_get(5)?,
        other_user: row.try_get(6)?,
        other_device: row.try_get(7)?,
        other_hlc: hlc(row, 8)?,
        resolved_by: row.try_get(9)?,
        seq: row.try_get(10)?,
    })
}
