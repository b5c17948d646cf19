//! The sync protocol's wire types, shared by the desktop client and the
//! server so both sides agree on one definition.
//!
//! A device records every local change as a [`Mutation`] in its outbox, in
//! the same transaction as the change; sync pushes mutations to the server
//! and pulls the server's changes back.
//!
//! Each mutation carries the device's hybrid logical clock stamp. A server
//! refuses a push stamped more than its bound (by default
//! [`DEFAULT_MAX_CLOCK_AHEAD_MS`]) ahead of its own clock with
//! `clock_ahead` and an [`api::ClockSkew`]; the device keeps the changes
//! and, once its clock is right, restamps those stamped more than
//! [`RESTAMP_AHEAD_MS`] ahead of it before sending them again.

use outreach_domain::{Hlc, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest client protocol a server of this build still accepts.
pub const MIN_PROTOCOL_VERSION: u32 = 1;
/// The version of the record formats (the JSON bodies) this build writes.
pub const SCHEMA_VERSION: u32 = 1;
/// HTTP header carrying the client's protocol version on every request.
pub const PROTOCOL_HEADER: &str = "outreach-protocol";
/// HTTP header carrying the client's record schema version.
pub const SCHEMA_HEADER: &str = "outreach-schema";
/// How far ahead of the server's clock a pushed change's stamp may be by
/// default (5 minutes); servers can set their own with `--max-clock-ahead`.
pub const DEFAULT_MAX_CLOCK_AHEAD_MS: i64 = 5 * 60 * 1000;
/// The smallest bound a server may set. A device restamps, before sending,
/// any waiting change stamped more than this ahead of its own clock (made
/// while its clock was wrong), so once the clock is corrected the server
/// accepts them.
pub const RESTAMP_AHEAD_MS: i64 = 60 * 1000;

pub mod api;

/// What a mutation does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// A new record.
    Create,
    /// Changed fields of an existing record.
    Update,
    /// A tombstone.
    Delete,
}

impl Op {
    /// The tag stored in the outbox.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }

    /// Reads a tag written by [`Op::as_str`].
    pub fn parse(tag: &str) -> Option<Self> {
        match tag {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            "delete" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// One field's change: its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The value the change was made against (`null` for a new record).
    pub old: Value,
    /// The new value.
    pub new: Value,
}

/// One local change, as queued in the outbox and sent to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// Unique per change; the server applies a mutation id at most once.
    pub mutation_id: Uuid,
    /// The record changed.
    pub record_id: Uuid,
    /// Its kind.
    pub kind: RecordKind,
    /// Create, update or delete.
    pub op: Op,
    /// The top-level fields changed, with old and new values.
    pub changes: Map<String, Value>,
    /// The server version of the record the change was made against.
    pub base_version: i64,
    /// The device's clock stamp for the change.
    pub hlc: Hlc,
}

impl Mutation {
    /// The changed fields as typed pairs; a malformed entry is skipped.
    pub fn field_changes(&self) -> impl Iterator<Item = (&str, FieldChange)> {
        self.changes
            .iter()
            .filter_map(|(k, v)| serde_json::from_value::<FieldChange>(v.clone()).ok().map(|c| (k.as_str(), c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mutation_round_trips_through_json() {
        let device = Uuid::now_v7();
        let mut changes = Map::new();
        changes.insert("area".into(), serde_json::json!({"old": "Wirral", "new": "Halton"}));
        let m = Mutation {
            mutation_id: Uuid::now_v7(),
            record_id: Uuid::now_v7(),
            kind: RecordKind::Client,
            op: Op::Update,
            changes,
            base_version: 3,
            hlc: Hlc::zero(device).tick(1_700_000_000_000),
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Mutation>(&text).unwrap(), m);
        let fields: Vec<_> = m.field_changes().collect();
        assert_eq!(fields, vec![("area", FieldChange { old: "Wirral".into(), new: "Halton".into() })]);
        for op in [Op::Create, Op::Update, Op::Delete] {
            assert_eq!(Op::parse(op.as_str()), Some(op));
        }
    }
}
