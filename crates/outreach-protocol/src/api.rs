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
    pub remaining: i64,
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
    /// Stable code: `device_revoked`, `protocol_too_old`, `unauthorized`,
    /// `forbidden`, `not_found`, `payload_too_large`, `bad_request`.
    pub code: String,
    /// What happened and what to do.
    pub message: String,
}
