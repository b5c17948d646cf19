//! Request and response bodies of the server's HTTP API, shared by the
//! server and the client so the two cannot drift apart.
//!
//! Every request carries [`crate::PROTOCOL_HEADER`] and
//! [`crate::SCHEMA_HEADER`]; the device token goes in
//! `Authorization: Bearer ...` (never in a URL). Bodies are JSON, optionally
//! gzip-compressed (`Content-Encoding: gzip`).

use crate::Mutation;
use chrono::{DateTime, Utc};
use outreach_domain::{Hlc, RecordKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// What a user may do; commissioners see aggregates only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works a caseload; sees their teams' clients.
    Worker,
    /// Leads teams; sees and reviews their teams' records.
    TeamLead,
    /// Manages accounts and devices; reads no case records by this role alone.
    Admin,
    /// Aggregate reports only, never personal data.
    Commissioner,
}

/// `POST /api/v1/login`: a worker signs in once at base from a laptop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub user: String,
    /// Password (sent only over TLS or loopback).
    pub password: String,
    /// The laptop's own device id (from its store).
    pub device_id: Uuid,
    /// A name IT will recognise in `device list` (e.g. the hostname).
    pub device_name: String,
}

/// The device token and who it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for this device; shown once, stored by the server only as a hash.
    pub token: String,
    /// The registered device.
    pub device_id: Uuid,
    /// User name.
    pub user: String,
    /// The user's roles.
    pub roles: Vec<Role>,
    /// Teams the user belongs to.
    pub teams: Vec<String>,
}

/// `POST /api/v1/sync/push`: a batch of local changes, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The changes; each is applied at most once, by `mutation_id`.
    pub mutations: Vec<Mutation>,
}

/// What happened to one pushed mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Applied as sent.
    Applied {
        /// The record's new server version.
        version: i64,
    },
    /// Applied with other devices' changes; some fields may be in conflict.
    Merged {
        /// The record's server version after the merge.
        version: i64,
        /// Conflicts created (a person must resolve them).
        conflicts: Vec<Uuid>,
    },
    /// Nothing to change (already applied, or identical).
    Unchanged {
        /// The record's current server version.
        version: i64,
    },
    /// Refused; the device keeps it in a 'needs attention' list.
    Rejected {
        /// Stable code (`signed_off`, `unknown_record`, `erased`, `forbidden`, `invalid`).
        code: String,
        /// What happened and what to do.
        reason: String,
    },
}

/// The result for one mutation, in the order sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutationResult {
    /// The mutation.
    pub mutation_id: Uuid,
    /// What happened.
    pub outcome: Outcome,
}

/// The server's answer to a push. A resent batch gets the stored results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PushResponse {
    /// One result per mutation, in order.
    pub results: Vec<MutationResult>,
}

/// A record as the server holds it, sent to devices by pull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordChange {
    /// Record id.
    pub id: Uuid,
    /// Kind.
    pub kind: RecordKind,
    /// The client it concerns.
    pub client_id: Option<Uuid>,
    /// All fields, including any this device's version does not know.
    pub data: Map<String, Value>,
    /// Server version (per record).
    pub version: i64,
    /// Server sequence (global, in commit order): the pull cursor.
    pub seq: i64,
    /// Tombstone.
    pub deleted: bool,
    /// Erased by an administrator: the device must drop its copy.
    pub erased: bool,
    /// Clock stamp of the last change.
    pub hlc: Hlc,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it last.
    pub updated_by: String,
    /// The scope area key the server files it under (its own area, its
    /// client's, or its count's): the device groups its mirror by it to
    /// compare with [`ScopeDigest`]. Absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
}

/// Two values for one field, kept for a person to choose between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// Conflict id.
    pub id: Uuid,
    /// The record.
    pub record_id: Uuid,
    /// Its kind.
    pub kind: RecordKind,
    /// The field.
    pub field: String,
    /// The value the record has now.
    pub kept: Value,
    /// The value that was not applied.
    pub other: Value,
    /// Who made the other edit.
    pub other_user: String,
    /// On which device.
    pub other_device: Uuid,
    /// When (their clock).
    pub other_hlc: Hlc,
    /// Resolved (by whom), once a person has chosen.
    pub resolved_by: Option<String>,
    /// Server sequence, so conflicts travel with pulls.
    pub seq: i64,
}

/// `GET /api/v1/sync/pull?cursor=N&limit=M`: changes after `cursor`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PullResponse {
    /// Records changed after the cursor that this device may see.
    pub changes: Vec<RecordChange>,
    /// Conflicts created or resolved after the cursor on those records.
    pub conflicts: Vec<Conflict>,
    /// Records that left this device's scope: drop the local copy.
    pub drops: Vec<Uuid>,
    /// Resume from here; store it in the same transaction as the page.
    pub next_cursor: i64,
    /// More pages wait.
    pub has_more: bool,
    /// About how many changes remain after this page (for progress bars).
    /// In a pinned snapshot: how many remain up to `snapshot_seq`.
    pub remaining: i64,
    /// A snapshot pinned at this sequence: the answer to a pull from cursor
    /// 0 (a new device, or a re-snapshot), and to every later page asked
    /// with `until`. The page holds only changes up to it, and `has_more`
    /// says whether more wait up to it; the device keeps it with the page
    /// and asks for the next pages with `until=snapshot_seq`, then for
    /// plain increments once the snapshot is complete. Absent from older
    /// servers (which never pin) and from plain increments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_seq: Option<i64>,
    /// Records in this page's range that the device may see but the server
    /// could not read (stored damaged by an older version): the server has
    /// told its administrator, and the device lists them so nothing is
    /// missing silently. Absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Uuid>,
}

/// The scope unit of records a device sees only through the worker's
/// caseload (not through any of their teams' areas).
pub const CASELOAD_UNIT: &str = "caseload";

/// `GET /api/v1/sync/digest?cursor=N`: a count and an order-independent
/// hash of the records a device should hold, per scope unit, so it can
/// detect drift (a record lost, or one kept after it left its scope) and
/// re-snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeDigest {
    /// The sequence the digest describes: the device's own `cursor` when
    /// nothing it may see changed after it, otherwise the server's highest
    /// sequence (the device is behind and should not compare).
    pub as_of: i64,
    /// One entry per area key the device sees through its teams (also the
    /// empty ones), then [`CASELOAD_UNIT`].
    pub units: Vec<UnitDigest>,
}

/// The records of one scope unit, summed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitDigest {
    /// An area key, or [`CASELOAD_UNIT`].
    pub unit: String,
    /// How many records (tombstones included, erased ones not).
    pub count: u64,
    /// Wrapping sum of [`record_hash`] over them.
    pub hash: u64,
}

/// A stable 64-bit hash of one record's identity and state (FNV-1a over
/// the id, the version and the tombstone), summed per unit: the same
/// records give the same sum in any order, on the server and the device.
pub fn record_hash(id: Uuid, version: i64, deleted: bool) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.as_bytes().iter().chain(version.to_le_bytes().iter()).chain(std::iter::once(&u8::from(deleted))) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Adds records to per-unit digests: `(unit, id, version, deleted)`.
pub fn digest_units<'a>(
    units: impl IntoIterator<Item = &'a str>,
    records: impl IntoIterator<Item = (&'a str, Uuid, i64, bool)>,
) -> Vec<UnitDigest> {
    let mut out: std::collections::BTreeMap<&str, (u64, u64)> = units.into_iter().map(|u| (u, (0, 0))).collect();
    for (unit, id, version, deleted) in records {
        let entry = out.entry(unit).or_insert((0, 0));
        entry.0 += 1;
        entry.1 = entry.1.wrapping_add(record_hash(id, version, deleted));
    }
    out.into_iter().map(|(unit, (count, hash))| UnitDigest { unit: unit.to_string(), count, hash }).collect()
}

/// `POST /api/v1/conflicts/{id}/resolve`: a person chose.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    /// The value chosen (either side, or a merge of both).
    pub value: Value,
}

/// Every error body: a stable code and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code: `device_revoked`, `protocol_too_old`, `clock_ahead`,
    /// `unauthorized`, `forbidden`, `not_found`, `payload_too_large`,
    /// `bad_request`.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
    /// With `clock_ahead` only: the server's time and how far ahead of it
    /// the device's clock stamps were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<ClockSkew>,
}

/// A push refused because its clock stamps are too far ahead of the
/// server's clock (`clock_ahead`, HTTP 409). Nothing in the push was
/// applied; the device keeps every change and sends it again once its
/// clock is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSkew {
    /// The server's clock when it refused the push.
    pub server_time: DateTime<Utc>,
    /// How far the furthest stamp in the push was ahead of `server_time`, in milliseconds.
    pub ahead_ms: i64,
    /// The most the server accepts, in milliseconds.
    pub max_ahead_ms: i64,
}

impl ClockSkew {
    /// How far ahead, in words a worker reads: "3 days", "2 hours", "7 minutes".
    pub fn describe_ahead(&self) -> String {
        describe_duration_ms(self.ahead_ms)
    }

    /// The sentence both the server and the laptop show.
    pub fn message(&self) -> String {
        format!(
            "this laptop's clock is {} ahead of the server (server time {} UTC); correct the laptop's date and time, then sync again. Nothing was lost: the changes stay on the laptop until then",
            self.describe_ahead(),
            self.server_time.format("%Y-%m-%d %H:%M")
        )
    }
}

/// A duration in the largest unit it reaches, rounded to the nearest whole
/// one: "3 days" (also for 2 days 23 hours), "1 hour", "45 seconds"
/// (negative counts as zero).
pub fn describe_duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    let (unit_ms, unit) = match ms {
        m if m >= 86_400_000 => (86_400_000, "day"),
        m if m >= 3_600_000 => (3_600_000, "hour"),
        m if m >= 60_000 => (60_000, "minute"),
        _ => (1_000, "second"),
    };
    let n = ms.saturating_add(unit_ms / 2) / unit_ms;
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// Finds the stamp in `mutations` furthest ahead of the clock `now_ms`;
/// returns how far ahead it is when that is more than `max_ahead_ms`
/// (a push the server refuses with `clock_ahead`), `None` otherwise.
pub fn clock_too_far_ahead(mutations: &[Mutation], now_ms: i64, max_ahead_ms: i64) -> Option<i64> {
    let furthest = mutations.iter().map(|m| m.hlc.wall_ms).max()?;
    let ahead = furthest.saturating_sub(now_ms);
    (ahead > max_ahead_ms).then_some(ahead)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Op;

    fn stamped(wall_ms: i64) -> Mutation {
        Mutation {
            mutation_id: Uuid::now_v7(),
            record_id: Uuid::now_v7(),
            kind: RecordKind::Client,
            op: Op::Update,
            changes: Map::new(),
            base_version: 1,
            hlc: Hlc { wall_ms, counter: 0, device: Uuid::nil() },
        }
    }

    #[test]
    fn a_push_is_too_far_ahead_only_beyond_the_bound() {
        const NOW: i64 = 1_800_000_000_000;
        const DAY: i64 = 86_400_000;
        let cases: &[(&str, &[i64], i64, Option<i64>)] = &[
            ("empty push", &[], 1_000, None),
            ("behind the server", &[NOW - DAY], 1_000, None),
            ("exactly at the bound", &[NOW + 1_000], 1_000, None),
            ("just beyond the bound", &[NOW + 1_001], 1_000, Some(1_001)),
            ("the furthest stamp counts", &[NOW, NOW + 3 * DAY, NOW + DAY], 300_000, Some(3 * DAY)),
            ("a day ahead with a 5-minute bound", &[NOW + DAY], 300_000, Some(DAY)),
        ];
        for (name, walls, bound, expect) in cases {
            let batch: Vec<Mutation> = walls.iter().map(|w| stamped(*w)).collect();
            assert_eq!(clock_too_far_ahead(&batch, NOW, *bound), *expect, "{name}");
        }
    }

    #[test]
    fn digests_do_not_depend_on_order_and_see_every_difference() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let one = digest_units(["Liverpool"], [("Liverpool", a, 1, false), ("caseload", b, 3, true)]);
        let other = digest_units(["Liverpool"], [("caseload", b, 3, true), ("Liverpool", a, 1, false)]);
        assert_eq!(one, other, "order does not matter");
        assert_eq!(one.len(), 2);
        assert_eq!(digest_units(["Wirral"], []), vec![UnitDigest { unit: "Wirral".into(), count: 0, hash: 0 }]);
        for changed in [(a, 2, false), (a, 1, true), (b, 1, false)] {
            assert_ne!(record_hash(a, 1, false), record_hash(changed.0, changed.1, changed.2), "{changed:?}");
        }
        let page: PullResponse = serde_json::from_str(
            r#"{"changes":[],"conflicts":[],"drops":[],"next_cursor":4,"has_more":false,"remaining":0}"#,
        )
        .unwrap();
        assert_eq!(page.snapshot_seq, None, "an older server's page still reads");
        assert!(!serde_json::to_string(&page).unwrap().contains("snapshot_seq"), "and an unpinned one reads as before");
    }

    #[test]
    fn durations_read_as_words() {
        for (ms, words) in [
            (-5, "0 seconds"),
            (1_000, "1 second"),
            (59_999, "60 seconds"),
            (60_000, "1 minute"),
            (7 * 60_000 + 5, "7 minutes"),
            (3_600_000, "1 hour"),
            (3 * 86_400_000 + 3_600_000, "3 days"),
            (3 * 86_400_000 - 10, "3 days"),
            (36 * 3_600_000, "2 days"),
        ] {
            assert_eq!(describe_duration_ms(ms), words, "{ms} ms");
        }
        let skew = ClockSkew {
            server_time: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            ahead_ms: 3 * 86_400_000,
            max_ahead_ms: 300_000,
        };
        assert!(skew.message().starts_with("this laptop's clock is 3 days ahead of the server"), "{}", skew.message());
        let body = ErrorBody { code: "clock_ahead".into(), message: skew.message(), clock: Some(skew) };
        let text = serde_json::to_string(&body).unwrap();
        assert_eq!(serde_json::from_str::<ErrorBody>(&text).unwrap(), body);
        let plain: ErrorBody = serde_json::from_str(r#"{"code":"not_found","message":"no"}"#).unwrap();
        assert_eq!(plain.clock, None, "older bodies without `clock` still read");
        assert!(!serde_json::to_string(&plain).unwrap().contains("clock"));
    }
}
