//! The answer to a pull as the server sends it: the protocol's
//! [`PullResponse`], with each record's data kept as the JSON text it was
//! stored as rather than built into a `serde_json::Value` tree.
//!
//! A page of 500 records built as trees is thousands of small allocations
//! per record, alive until the page is sent; with many devices pulling at
//! once that was most of the server's memory. These types serialise to
//! exactly the same JSON as the protocol's (the field order and names are
//! the same, and the stored text is what serialising the record's fields
//! gives; the test suite checks the bytes on both backends); the protocol
//! types stay the ones the client reads.

use crate::error::Result;
use chrono::{DateTime, Utc};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{Conflict, PullResponse, RecordChange};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

/// A record as pull sends it: [`RecordChange`] with `data` as JSON text.
#[derive(Debug, Clone, Serialize)]
pub struct PulledRecord {
    /// Record id.
    pub id: Uuid,
    /// Kind.
    pub kind: RecordKind,
    /// The client it concerns.
    pub client_id: Option<Uuid>,
    /// All fields: a JSON object, as stored.
    pub data: Box<RawValue>,
    /// Server version (per record).
    pub version: i64,
    /// Server sequence: the pull cursor.
    pub seq: i64,
    /// Tombstone.
    pub deleted: bool,
    /// Erased by an administrator.
    pub erased: bool,
    /// Clock stamp of the last change.
    pub hlc: Hlc,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it last.
    pub updated_by: String,
    /// The scope area key the server files it under (see
    /// [`RecordChange::area`]); left out of the JSON when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

impl PulledRecord {
    /// A stored record as pull sends it, its data written out as JSON text
    /// (for a backend that hands the data over parsed).
    pub(crate) fn from_stored(r: crate::engine::StoredRecord) -> Result<Self> {
        Ok(Self {
            data: serde_json::value::to_raw_value(&r.data)?,
            id: r.id,
            kind: r.kind,
            client_id: r.client_id,
            version: r.version,
            seq: r.seq,
            deleted: r.deleted,
            erased: r.erased,
            hlc: r.hlc,
            updated_at: r.updated_at,
            updated_by: r.updated_by,
            area: r.area,
        })
    }

    /// The protocol form, with `data` parsed.
    pub fn into_change(self) -> Result<RecordChange> {
        Ok(RecordChange {
            id: self.id,
            kind: self.kind,
            client_id: self.client_id,
            data: serde_json::from_str(self.data.get())?,
            version: self.version,
            seq: self.seq,
            deleted: self.deleted,
            erased: self.erased,
            hlc: self.hlc,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
            area: self.area,
        })
    }
}

/// A page of pull: [`PullResponse`] with records as [`PulledRecord`].
#[derive(Debug, Clone, Serialize)]
pub struct PullPage {
    /// Records changed after the cursor that this device may see.
    pub changes: Vec<PulledRecord>,
    /// Conflicts created or resolved after the cursor on those records.
    pub conflicts: Vec<Conflict>,
    /// Records that left this device's scope.
    pub drops: Vec<Uuid>,
    /// Resume from here.
    pub next_cursor: i64,
    /// More pages wait.
    pub has_more: bool,
    /// About how many changes remain after this page (in a pinned
    /// snapshot: up to `snapshot_seq`).
    pub remaining: i64,
    /// The sequence a snapshot is pinned at (see
    /// [`PullResponse::snapshot_seq`]); left out of the JSON when unpinned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_seq: Option<i64>,
    /// Records the device may see that could not be read (see
    /// [`PullResponse::unreadable`]); left out of the JSON when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Uuid>,
}

/// A stored record that pull could not read: its id and sequence (so the
/// page's cursor moves past it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnreadableRow {
    /// Record id.
    pub id: Uuid,
    /// Its sequence number.
    pub seq: i64,
    /// What could not be read.
    pub reason: String,
}

/// One row of a pull: a record to send, or one that could not be read.
pub(crate) type PulledRow = std::result::Result<PulledRecord, UnreadableRow>;

impl PullPage {
    /// An empty page that moves the cursor to `next_cursor` (where it was,
    /// or the end of a pinned snapshot with nothing more in it).
    pub(crate) fn empty(next_cursor: i64, snapshot_seq: Option<i64>) -> Self {
        Self {
            changes: vec![],
            conflicts: vec![],
            drops: vec![],
            next_cursor,
            has_more: false,
            remaining: 0,
            snapshot_seq,
            unreadable: vec![],
        }
    }

    /// The protocol form, with every record's data parsed.
    pub fn into_response(self) -> Result<PullResponse> {
        Ok(PullResponse {
            changes: self.changes.into_iter().map(PulledRecord::into_change).collect::<Result<_>>()?,
            conflicts: self.conflicts,
            drops: self.drops,
            next_cursor: self.next_cursor,
            has_more: self.has_more,
            remaining: self.remaining,
            snapshot_seq: self.snapshot_seq,
            unreadable: self.unreadable,
        })
    }
}
