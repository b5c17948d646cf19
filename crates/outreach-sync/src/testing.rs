//! An in-process sync server for tests, so client sync can be tested
//! deterministically with no network.
//!
//! [`FakeServer`] keeps records in memory with a per-record version and a
//! global sequence (the pull cursor), applies pushed mutations with the same
//! [`crate::decide`] the real server uses, remembers each mutation id's
//! result so a resent batch is applied once, and stores conflicts that
//! travel with pulls. Every device sees every record (no team scopes).
//! [`FakeTransport`] connects one device to it and can lose requests or
//! answers on demand ([`Faults`]).

use crate::merge::{Current, Decision, FieldConflict, decide};
use crate::transport::{SyncTransport, TransportError};
use chrono::{DateTime, Utc};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{
    ClockSkew, Conflict, MutationResult, Outcome, PullResponse, PushRequest, PushResponse, RecordChange,
    ResolveRequest, clock_too_far_ahead,
};
use outreach_protocol::{DEFAULT_MAX_CLOCK_AHEAD_MS, Mutation};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

#[derive(Debug, Clone)]
struct Stored {
    kind: RecordKind,
    client_id: Option<Uuid>,
    data: Map<String, Value>,
    version: i64,
    seq: i64,
    deleted: bool,
    erased: bool,
    hlc: Hlc,
    updated_at: DateTime<Utc>,
    updated_by: String,
}

#[derive(Debug, Default)]
struct State {
    records: BTreeMap<Uuid, Stored>,
    conflicts: BTreeMap<Uuid, Conflict>,
    results: HashMap<Uuid, Outcome>,
    seq: i64,
    writes: usize,
    revoked: HashSet<Uuid>,
}

impl State {
    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        self.seq
    }

    fn add_conflicts(&mut self, m: &Mutation, user: &str, device: Uuid, found: Vec<FieldConflict>) -> Vec<Uuid> {
        found
            .into_iter()
            .map(|c| {
                let id = Uuid::now_v7();
                let seq = self.next_seq();
                self.conflicts.insert(
                    id,
                    Conflict {
                        id,
                        record_id: m.record_id,
                        kind: m.kind,
                        field: c.field,
                        kept: c.kept,
                        other: c.other,
                        other_user: user.to_string(),
                        other_device: device,
                        other_hlc: m.hlc,
                        resolved_by: None,
                        seq,
                    },
                );
                id
            })
            .collect()
    }

    fn apply(&mut self, m: &Mutation, user: &str, device: Uuid) -> Outcome {
        if let Some(done) = self.results.get(&m.mutation_id) {
            return done.clone();
        }
        let current = self.records.get(&m.record_id).map(|r| Current {
            data: &r.data,
            version: r.version,
            deleted: r.deleted,
            erased: r.erased,
        });
        let version = self.records.get(&m.record_id).map_or(0, |r| r.version);
        let outcome = match decide(current, m) {
            Decision::Write { data, conflicts, undelete: _ } => {
                let seq = self.next_seq();
                let client_id = derived_client_id(m.kind, m.record_id, &data);
                let record = Stored {
                    kind: m.kind,
                    client_id,
                    data,
                    version: version + 1,
                    seq,
                    deleted: false,
                    erased: false,
                    hlc: m.hlc,
                    updated_at: Utc::now(),
                    updated_by: user.to_string(),
                };
                self.records.insert(m.record_id, record);
                self.writes += 1;
                let ids = self.add_conflicts(m, user, device, conflicts);
                if ids.is_empty() {
                    Outcome::Applied { version: version + 1 }
                } else {
                    Outcome::Merged { version: version + 1, conflicts: ids }
                }
            }
            Decision::Delete => {
                let seq = self.next_seq();
                let record = self.records.get_mut(&m.record_id).expect("decide deletes only a held record");
                record.version += 1;
                record.seq = seq;
                record.deleted = true;
                record.hlc = m.hlc;
                record.updated_at = Utc::now();
                record.updated_by = user.to_string();
                self.writes += 1;
                Outcome::Applied { version: version + 1 }
            }
            Decision::Unchanged { conflicts } if conflicts.is_empty() => Outcome::Unchanged { version },
            Decision::Unchanged { conflicts } => {
                Outcome::Merged { version, conflicts: self.add_conflicts(m, user, device, conflicts) }
            }
            Decision::Reject(r) => Outcome::Rejected { code: r.code, reason: r.reason },
        };
        self.results.insert(m.mutation_id, outcome.clone());
        outcome
    }
}

/// The client a record is about, as the server works it out from the body.
fn derived_client_id(kind: RecordKind, id: Uuid, data: &Map<String, Value>) -> Option<Uuid> {
    if kind == RecordKind::Client {
        return Some(id);
    }
    data.get("client_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// The in-memory server. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct FakeServer {
    state: Arc<Mutex<State>>,
    write_resolution: bool,
}

impl FakeServer {
    /// An empty server. Resolving a conflict only marks it resolved: the
    /// chosen value reaches the record as the device's ordinary change.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty server whose resolve endpoint also writes the chosen value
    /// into the record, as long as the field still holds one of the two
    /// conflicting values: the contract the client needs from a server
    /// that writes resolutions (a later edit made by someone who saw the
    /// kept value must not be overwritten).
    pub fn writing_resolutions() -> Self {
        Self { write_resolution: true, ..Self::default() }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A transport for one device, signed in as `user`.
    pub fn connect(&self, user: &str, device: Uuid) -> FakeTransport {
        FakeTransport { server: self.clone(), user: user.to_string(), device, faults: Faults::default() }
    }

    /// Applies a push from `device` as `user`; each mutation id once. Like the
    /// real server, refuses a push stamped more than five minutes ahead of
    /// its (system) clock with [`TransportError::ClockAhead`].
    pub fn push(&self, user: &str, device: Uuid, request: &PushRequest) -> Result<PushResponse, TransportError> {
        let mut state = self.state();
        if state.revoked.contains(&device) {
            return Err(TransportError::DeviceRevoked);
        }
        let now = Utc::now();
        let max_ahead_ms = DEFAULT_MAX_CLOCK_AHEAD_MS;
        if let Some(ahead_ms) = clock_too_far_ahead(&request.mutations, now.timestamp_millis(), max_ahead_ms) {
            return Err(TransportError::ClockAhead(ClockSkew { server_time: now, ahead_ms, max_ahead_ms }));
        }
        let results = request
            .mutations
            .iter()
            .map(|m| MutationResult { mutation_id: m.mutation_id, outcome: state.apply(m, user, device) })
            .collect();
        Ok(PushResponse { results })
    }

    /// The records and conflicts changed after `cursor`, in sequence order,
    /// at most `limit` of them.
    pub fn pull(&self, device: Uuid, cursor: i64, limit: usize) -> Result<PullResponse, TransportError> {
        let state = self.state();
        if state.revoked.contains(&device) {
            return Err(TransportError::DeviceRevoked);
        }
        enum Item<'a> {
            Record(Uuid, &'a Stored),
            Conflict(&'a Conflict),
        }
        let mut items: Vec<(i64, Item<'_>)> = state
            .records
            .iter()
            .filter(|(_, r)| r.seq > cursor)
            .map(|(id, r)| (r.seq, Item::Record(*id, r)))
            .chain(state.conflicts.values().filter(|c| c.seq > cursor).map(|c| (c.seq, Item::Conflict(c))))
            .collect();
        items.sort_by_key(|(seq, _)| *seq);
        let limit = limit.max(1);
        let remaining = items.len().saturating_sub(limit);
        let mut page = PullResponse {
            changes: vec![],
            conflicts: vec![],
            drops: vec![],
            next_cursor: cursor,
            has_more: remaining > 0,
            remaining: remaining as i64,
            snapshot_seq: None,
            unreadable: vec![],
        };
        for (seq, item) in items.into_iter().take(limit) {
            page.next_cursor = seq;
            match item {
                Item::Record(id, r) => page.changes.push(RecordChange {
                    id,
                    kind: r.kind,
                    client_id: r.client_id,
                    data: r.data.clone(),
                    version: r.version,
                    seq: r.seq,
                    deleted: r.deleted,
                    erased: r.erased,
                    hlc: r.hlc,
                    updated_at: r.updated_at,
                    updated_by: r.updated_by.clone(),
                    area: None,
                }),
                Item::Conflict(c) => page.conflicts.push(c.clone()),
            }
        }
        Ok(page)
    }

    /// Marks a conflict resolved by `user` (a second call changes nothing).
    /// A server made with [`FakeServer::writing_resolutions`] also writes
    /// the chosen value into the record (`deleted`: `true` deletes, `false`
    /// keeps), but only while the field still holds one of the two
    /// conflicting values.
    pub fn resolve(&self, user: &str, device: Uuid, conflict: Uuid, value: &Value) -> Result<(), TransportError> {
        let mut state = self.state();
        if state.revoked.contains(&device) {
            return Err(TransportError::DeviceRevoked);
        }
        let Some(c) = state.conflicts.get(&conflict).cloned() else {
            return Err(TransportError::Server { code: "not_found".into(), message: "no such conflict".into() });
        };
        if c.resolved_by.is_some() {
            return Ok(());
        }
        if self.write_resolution {
            let seq = state.seq + 1;
            if let Some(r) = state.records.get_mut(&c.record_id).filter(|r| !r.erased) {
                let before = (r.data.clone(), r.deleted);
                if c.field == "deleted" {
                    r.deleted = value.as_bool().unwrap_or(r.deleted);
                } else {
                    // Only while no third value has arrived since the conflict:
                    // a later edit made by someone who saw it must not be lost.
                    let now = r.data.get(&c.field).cloned().unwrap_or(Value::Null);
                    if now == c.kept || now == c.other {
                        r.data.insert(c.field.clone(), value.clone());
                    }
                }
                if (r.data.clone(), r.deleted) != before {
                    r.version += 1;
                    r.seq = seq;
                    r.updated_at = Utc::now();
                    r.updated_by = user.to_string();
                    state.seq = seq;
                    state.writes += 1;
                }
            }
        }
        let seq = state.next_seq();
        let c = state.conflicts.get_mut(&conflict).expect("looked up above");
        c.resolved_by = Some(user.to_string());
        c.seq = seq;
        Ok(())
    }

    /// Revokes a device: its next request is refused with `device_revoked`.
    pub fn revoke(&self, device: Uuid) {
        self.state().revoked.insert(device);
    }

    /// Erases a record as an administrator would: its fields are removed
    /// and devices are told to drop their copies.
    pub fn erase(&self, record: Uuid) {
        let mut state = self.state();
        let seq = state.next_seq();
        if let Some(r) = state.records.get_mut(&record) {
            r.data.clear();
            r.deleted = true;
            r.erased = true;
            r.version += 1;
            r.seq = seq;
        }
        state.conflicts.retain(|_, c| c.record_id != record);
    }

    /// Every record not erased: id to (fields, tombstone).
    pub fn records(&self) -> BTreeMap<Uuid, (Map<String, Value>, bool)> {
        self.state()
            .records
            .iter()
            .filter(|(_, r)| !r.erased)
            .map(|(id, r)| (*id, (r.data.clone(), r.deleted)))
            .collect()
    }

    /// A record's server version.
    pub fn version_of(&self, record: Uuid) -> Option<i64> {
        self.state().records.get(&record).map(|r| r.version)
    }

    /// Every conflict, in sequence order.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut all: Vec<Conflict> = self.state().conflicts.values().cloned().collect();
        all.sort_by_key(|c| c.seq);
        all
    }

    /// How many writes (new versions) the server has made.
    pub fn writes(&self) -> usize {
        self.state().writes
    }
}

/// Failures a [`FakeTransport`] injects; each counter is used up one
/// request at a time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Every request fails with a network error; the server sees nothing.
    pub offline: bool,
    /// Pushes lost on the way: the server never sees them.
    pub lose_pushes: u32,
    /// Pushes the server applies whose answer is lost.
    pub drop_push_responses: u32,
    /// Pull pages the server sends that never arrive.
    pub drop_pulls: u32,
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

fn lost(what: &str) -> TransportError {
    TransportError::Network(format!("connection dropped during {what}"))
}

/// One device's connection to a [`FakeServer`].
#[derive(Debug, Clone)]
pub struct FakeTransport {
    server: FakeServer,
    user: String,
    device: Uuid,
    /// Failures to inject into the next requests.
    pub faults: Faults,
}

impl SyncTransport for FakeTransport {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        if self.faults.offline || take(&mut self.faults.lose_pushes) {
            return Err(lost("push"));
        }
        let response = self.server.push(&self.user, self.device, request)?;
        if take(&mut self.faults.drop_push_responses) {
            return Err(lost("push"));
        }
        Ok(response)
    }

    fn pull(&mut self, cursor: i64, limit: usize) -> Result<PullResponse, TransportError> {
        if self.faults.offline {
            return Err(lost("pull"));
        }
        let page = self.server.pull(self.device, cursor, limit)?;
        if take(&mut self.faults.drop_pulls) {
            return Err(lost("pull"));
        }
        Ok(page)
    }

    fn resolve(&mut self, conflict: Uuid, request: &ResolveRequest) -> Result<(), TransportError> {
        if self.faults.offline {
            return Err(lost("resolve"));
        }
        self.server.resolve(&self.user, self.device, conflict, &request.value)
    }
}
