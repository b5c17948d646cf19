//! Applying pushed mutations: idempotent, merged field by field with
//! [`outreach_sync::decide`], scope-checked, audited.

use super::{Dependents, StoredRecord, Tx, day, load_scope};
use crate::error::{DbError, Result};
use crate::model::{Actor, AuditEntry};
use crate::scope::{AreaSource, CaseloadEntry, Scope, scope_keys};
use chrono::{DateTime, Utc};
use outreach_domain::RecordKind;
use outreach_protocol::api::{Conflict, MutationResult, Outcome, Role};
use outreach_protocol::{FieldChange, Mutation, Op};
use outreach_sync::FieldConflict;
use outreach_sync::merge::{Current, Decision};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// Applies `mutations` in order, inside the caller's transaction, and
/// returns one result per mutation. A mutation id seen before gets its
/// stored result and changes nothing.
pub(crate) async fn push<T: Tx>(
    tx: &mut T,
    actor: &Actor,
    mutations: &[Mutation],
    now: DateTime<Utc>,
) -> Result<Vec<MutationResult>> {
    tx.lock_writes().await?;
    let today = day(now);
    // Every check in this push is against the scope as it was before it: an
    // assignment or merge made in this push widens nobody's view until the
    // next request.
    let scope = load_scope(tx, actor, &today).await?;
    let mut teammates = None;
    tx.prefetch_applied(&mutations.iter().map(|m| m.mutation_id).collect::<Vec<_>>()).await?;
    tx.prefetch_records(&records_touched(mutations)).await?;
    let mut results = Vec::with_capacity(mutations.len());
    let mut audit = Vec::with_capacity(mutations.len());
    for m in mutations {
        let (outcome, replayed, refused) = match tx.applied(m.mutation_id).await? {
            Some(stored) => (stored, true, None),
            None => {
                let mut step =
                    Step { tx: &mut *tx, actor, scope: &scope, teammates: &mut teammates, now, today: &today };
                let (outcome, refused) = match step.apply(m).await {
                    Ok(Applied::Answer(outcome)) => (outcome, None),
                    Ok(Applied::Refused(refusal)) => (refusal.answer(m), Some(refusal)),
                    // A record stored damaged refuses only the change that
                    // reaches it; the rest of the push goes on.
                    Err(e @ DbError::Unreadable(_)) => (rejected("unreadable", e.to_string()), None),
                    Err(e) => return Err(e),
                };
                tx.put_applied(m.mutation_id, actor.device, m.record_id, &outcome, now).await?;
                (outcome, false, refused)
            }
        };
        let mut detail = json!({
            "mutation_id": m.mutation_id,
            "kind": m.kind,
            "op": m.op,
            "outcome": if refused.is_some() { REFUSED.to_string() } else { outcome_code(&outcome) },
            "replayed": replayed,
        });
        if let Some(refusal) = &refused {
            detail["refused"] = json!(refusal.why());
        }
        audit.push(AuditEntry {
            at: now,
            user: Some(actor.user.clone()),
            device: Some(actor.device),
            action: "push".into(),
            record_id: Some(m.record_id),
            detail: Some(detail.to_string()),
        });
        results.push(MutationResult { mutation_id: m.mutation_id, outcome });
    }
    tx.audit(&audit).await?;
    Ok(results)
}

/// The records a push reads: each mutation's record, and the client or
/// street count a change points it at (whose scope area it takes).
fn records_touched(mutations: &[Mutation]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = mutations.iter().map(|m| m.record_id).collect();
    for m in mutations {
        for field in ["client_id", "count_id"] {
            let new = m.changes.get(field).and_then(|c| c.get("new")).and_then(|v| v.as_str());
            if let Some(id) = new.and_then(|s| Uuid::parse_str(s).ok()) {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The outcome's tag (and rejection code), for the audit log.
fn outcome_code(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Applied { .. } => "applied".into(),
        Outcome::Merged { .. } => "merged".into(),
        Outcome::Unchanged { .. } => "unchanged".into(),
        Outcome::Rejected { code, .. } => format!("rejected:{code}"),
    }
}

fn rejected(code: &str, reason: impl Into<String>) -> Outcome {
    Outcome::Rejected { code: code.into(), reason: reason.into() }
}

/// What a push is told when a change is refused for scope: the same words
/// whichever record or reference was out of reach, so the answer says
/// nothing about records the pusher cannot see.
fn forbidden() -> Outcome {
    rejected(
        "forbidden",
        "this record is outside your teams' areas and your caseload, or names one that is; it was not changed. Ask your team lead if it should be",
    )
}

/// How the audit log records every [`Refusal`], whatever the pusher was told.
const REFUSED: &str = "rejected:forbidden";

/// Why a change was refused for scope or role. The pusher is told only
/// [`Refusal::answer`]; the audit log keeps the whole reason.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// The record exists but is outside the pusher's scope: answered exactly
    /// as if there were no such record.
    Hidden,
    /// The change names a record (its client, its survivor, its count)
    /// outside the pusher's scope, or that does not exist.
    Reference(&'static str),
    /// The pusher's role may not make this caseload assignment.
    Assignment,
}

impl Refusal {
    /// What the device is told.
    fn answer(&self, m: &Mutation) -> Outcome {
        match self {
            // What `outreach_sync::decide` answers for a record the server does not have.
            Refusal::Hidden => match m.op {
                Op::Update => rejected(
                    "unknown_record",
                    "the server has no such record (it may have been erased or moved out of your team's scope)",
                ),
                Op::Delete => Outcome::Unchanged { version: 0 },
                Op::Create => forbidden(),
            },
            Refusal::Reference(_) => forbidden(),
            Refusal::Assignment => rejected(
                "forbidden",
                "a worker may put clients only on their own caseload; ask your team lead to assign someone else",
            ),
        }
    }

    /// The audit log's account of the refusal.
    fn why(&self) -> String {
        match self {
            Refusal::Hidden => "the record is outside the pusher's scope".into(),
            Refusal::Reference(field) => format!("`{field}` names a record outside the pusher's scope"),
            Refusal::Assignment => "the pusher's role may not make this caseload assignment".into(),
        }
    }
}

/// What applying one mutation came to.
enum Applied {
    /// An outcome to answer and audit as it is.
    Answer(Outcome),
    /// Refused for scope or role (see [`Refusal`]).
    Refused(Refusal),
}

/// Says why a mutation's `changes` cannot be read, if they cannot: the merge
/// would otherwise skip a malformed field silently.
fn malformed_changes(m: &Mutation) -> Option<String> {
    m.changes.iter().find_map(|(field, change)| {
        serde_json::from_value::<FieldChange>(change.clone())
            .err()
            .map(|_| format!("change to `{field}` is not {{\"old\": ..., \"new\": ...}}"))
    })
}

/// The most fields one mutation may change (a client record has about 40).
pub const MAX_FIELDS: usize = 256;
/// The longest field name.
pub const MAX_FIELD_NAME_BYTES: usize = 64;
/// The largest value of one field, as JSON (a long contact note fits many
/// times over).
pub const MAX_VALUE_BYTES: usize = 256 * 1024;

/// Says why a mutation's shape is out of bounds, if it is: a mutation with
/// 200,000 fields, or a field name or value of megabytes, is refused before
/// it costs anything.
fn oversized_changes(m: &Mutation) -> Option<String> {
    if m.changes.len() > MAX_FIELDS {
        return Some(format!("a change may set at most {MAX_FIELDS} fields; this one sets {}", m.changes.len()));
    }
    m.changes.iter().find_map(|(field, change)| {
        if field.len() > MAX_FIELD_NAME_BYTES {
            return Some(format!("field names are at most {MAX_FIELD_NAME_BYTES} bytes long"));
        }
        (json_size(change, MAX_VALUE_BYTES * 2) > MAX_VALUE_BYTES * 2)
            .then(|| format!("the value of `{field}` is larger than {MAX_VALUE_BYTES} bytes"))
    })
}

/// About how many bytes `value` takes as JSON, counting no further than
/// past `cap`.
fn json_size(value: &Value, cap: usize) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 8,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => {
            let mut total = 2;
            for item in items {
                total += json_size(item, cap) + 1;
                if total > cap {
                    break;
                }
            }
            total
        }
        Value::Object(map) => {
            let mut total = 2;
            for (key, item) in map {
                total += key.len() + 4 + json_size(item, cap);
                if total > cap {
                    break;
                }
            }
            total
        }
    }
}

/// One mutation being applied.
struct Step<'a, T: Tx> {
    tx: &'a mut T,
    actor: &'a Actor,
    scope: &'a Scope,
    /// The names of everyone in a team lead's teams, read at the first
    /// assignment the push makes.
    teammates: &'a mut Option<HashSet<String>>,
    now: DateTime<Utc>,
    today: &'a str,
}

impl<T: Tx> Step<'_, T> {
    async fn apply(&mut self, m: &Mutation) -> Result<Applied> {
        use Applied::{Answer, Refused};
        if !self.scope.reads_records {
            return Ok(Answer(rejected("forbidden", "your role does not allow changing case records")));
        }
        if let Some(reason) = oversized_changes(m).or_else(|| malformed_changes(m)) {
            return Ok(Answer(rejected("invalid", reason)));
        }
        let current = self.tx.record(m.record_id).await?;
        if let Some(cur) = &current {
            // Scope first: a record out of reach must not be confirmed by
            // anything else the answer says (its kind, its state).
            if !self.scope.sees(cur.area.as_deref(), cur.client_id) {
                return Ok(Refused(Refusal::Hidden));
            }
            if cur.kind != m.kind {
                return Ok(Answer(rejected(
                    "invalid",
                    format!("record {} is a {}, not a {}", cur.id, cur.kind.as_str(), m.kind.as_str()),
                )));
            }
        }
        let view = current.as_ref().map(|c| Current {
            data: &c.data,
            version: c.version,
            deleted: c.deleted,
            erased: c.erased,
        });
        match outreach_sync::decide(view, m) {
            Decision::Reject(r) => Ok(Answer(Outcome::Rejected { code: r.code, reason: r.reason })),
            Decision::Unchanged { conflicts } => {
                let version = current.as_ref().map_or(0, |c| c.version);
                match current {
                    Some(cur) if !conflicts.is_empty() => {
                        let ids = self.store_conflicts(&cur, m, conflicts).await?;
                        Ok(Answer(Outcome::Merged { version, conflicts: ids }))
                    }
                    _ => Ok(Answer(Outcome::Unchanged { version })),
                }
            }
            Decision::Write { data, conflicts, undelete } => {
                let keys = match scope_keys(m.kind, m.record_id, &data) {
                    Ok(keys) => keys,
                    Err(reason) => return Ok(Answer(rejected("invalid", reason))),
                };
                if m.kind == RecordKind::CaseloadAssignment
                    && let Err(reason) = CaseloadEntry::from_data(m.record_id, &data)
                {
                    return Ok(Answer(rejected("invalid", reason)));
                }
                let (area, owner) = scope_owner(self.tx, &keys.area).await?;
                if owner.as_ref().is_some_and(|o| o.erased) && self.scope.sees(area.as_deref(), keys.client_id) {
                    // An offline laptop must not bring an erased person back.
                    return Ok(Answer(rejected(
                        "erased",
                        "the person this record is about was erased by an administrator; it cannot be recorded again",
                    )));
                }
                if !self.scope.sees(area.as_deref(), keys.client_id) {
                    return Ok(Refused(Refusal::Reference(reference_field(m.kind))));
                }
                if let Some(refusal) = self.refused_reference(m.kind, current.as_ref(), &data).await? {
                    return Ok(Refused(refusal));
                }
                let record = StoredRecord {
                    id: m.record_id,
                    kind: m.kind,
                    client_id: keys.client_id,
                    area,
                    count_id: keys.count_id,
                    data,
                    version: current.as_ref().map_or(1, |c| c.version + 1),
                    seq: self.tx.next_seq().await?,
                    deleted: !undelete && current.as_ref().is_some_and(|c| c.deleted),
                    erased: false,
                    hlc: current.as_ref().map_or(m.hlc, |c| c.hlc.max(m.hlc)),
                    updated_at: self.now,
                    updated_by: self.actor.user.clone(),
                    device: self.actor.device,
                };
                self.tx.put_record(&record).await?;
                after_write(self.tx, current.as_ref(), &record, self.today).await?;
                let ids = self.store_conflicts(&record, m, conflicts).await?;
                Ok(Answer(if ids.is_empty() {
                    Outcome::Applied { version: record.version }
                } else {
                    Outcome::Merged { version: record.version, conflicts: ids }
                }))
            }
            Decision::Delete => {
                let Some(cur) = current else { return Ok(Answer(Outcome::Unchanged { version: 0 })) };
                if cur.kind == RecordKind::CaseloadAssignment && !self.may_hold(&cur.data).await? {
                    return Ok(Refused(Refusal::Assignment));
                }
                let record = StoredRecord {
                    version: cur.version + 1,
                    seq: self.tx.next_seq().await?,
                    deleted: true,
                    hlc: cur.hlc.max(m.hlc),
                    updated_at: self.now,
                    updated_by: self.actor.user.clone(),
                    device: self.actor.device,
                    ..cur.clone()
                };
                self.tx.put_record(&record).await?;
                after_write(self.tx, Some(&cur), &record, self.today).await?;
                Ok(Answer(Outcome::Applied { version: record.version }))
            }
        }
    }

    /// Refuses a write whose ids would reach past the pusher's scope: a
    /// client merged into one the pusher cannot see (holding the merged-away
    /// client would then grant the other), a sighting linked to such a
    /// client, or a caseload assignment the pusher's role may not make. Only
    /// ids the write changes are checked, so a record someone else linked
    /// can still be edited.
    async fn refused_reference(
        &mut self,
        kind: RecordKind,
        current: Option<&StoredRecord>,
        data: &Map<String, Value>,
    ) -> Result<Option<Refusal>> {
        let changed = |field: &str| {
            let new = data.get(field).filter(|v| !v.is_null());
            new.is_some() && current.is_none_or(|c| c.data.get(field).filter(|v| !v.is_null()) != new)
        };
        let named = match kind {
            RecordKind::Client if changed("merged_into") => Some("merged_into"),
            RecordKind::Sighting if changed("client_id") => Some("client_id"),
            _ => None,
        };
        if let Some(field) = named {
            let id = data.get(field).and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
            let target = match id {
                Some(id) => self.tx.record(id).await?,
                None => None,
            };
            let visible = target.is_some_and(|t| {
                t.kind == RecordKind::Client && !t.erased && self.scope.sees(t.area.as_deref(), Some(t.id))
            });
            if !visible {
                return Ok(Some(Refusal::Reference(field)));
            }
        }
        if kind == RecordKind::CaseloadAssignment {
            let before_ok = match current {
                Some(c) => self.may_hold(&c.data).await?,
                None => true,
            };
            if !before_ok || !self.may_hold(data).await? {
                return Ok(Some(Refusal::Assignment));
            }
        }
        Ok(None)
    }

    /// Whether the pusher's role may make or change a caseload assignment
    /// with this data: a worker only for themselves, a team lead for anyone
    /// in their teams.
    async fn may_hold(&mut self, assignment: &Map<String, Value>) -> Result<bool> {
        let Some(worker) = assignment.get("worker").and_then(Value::as_str).map(str::trim) else {
            return Ok(true); // refused as invalid by the caller's own checks
        };
        if worker == self.actor.user {
            return Ok(true);
        }
        if !self.actor.roles.contains(&Role::TeamLead) {
            return Ok(false);
        }
        if self.teammates.is_none() {
            *self.teammates = Some(self.tx.teammates(self.actor.user_id).await?.into_iter().collect());
        }
        Ok(self.teammates.as_ref().is_some_and(|t| t.contains(worker)))
    }

    /// Stores the merge's conflicts on `record`, each with its own sequence number.
    async fn store_conflicts(
        &mut self,
        record: &StoredRecord,
        m: &Mutation,
        conflicts: Vec<FieldConflict>,
    ) -> Result<Vec<Uuid>> {
        let mut ids = Vec::with_capacity(conflicts.len());
        for c in conflicts {
            let conflict = Conflict {
                id: Uuid::now_v7(),
                record_id: record.id,
                kind: record.kind,
                field: c.field,
                kept: c.kept,
                other: c.other,
                other_user: self.actor.user.clone(),
                other_device: self.actor.device,
                other_hlc: m.hlc,
                resolved_by: None,
                seq: self.tx.next_seq().await?,
            };
            self.tx.put_conflict(&conflict, self.now).await?;
            ids.push(conflict.id);
        }
        Ok(ids)
    }
}

/// The field whose record gives a record of `kind` its scope, for the audit.
fn reference_field(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Client | RecordKind::StreetCount => "area",
        RecordKind::Sighting => "count_id",
        _ => "client_id",
    }
}

/// The scope area key a record gets from its source.
pub(crate) async fn resolve_area<T: Tx>(tx: &mut T, source: &AreaSource) -> Result<Option<String>> {
    Ok(scope_owner(tx, source).await?.0)
}

/// The scope area key a record gets from its source, and the client or
/// street count it takes it from (none for a record whose area is its own).
async fn scope_owner<T: Tx>(tx: &mut T, source: &AreaSource) -> Result<(Option<String>, Option<StoredRecord>)> {
    Ok(match source {
        AreaSource::Own(key) => (Some(key.clone()), None),
        AreaSource::Client(id) | AreaSource::Count(id) => {
            let owner = tx.record(*id).await?;
            (owner.as_ref().and_then(|o| o.area.clone()), owner)
        }
    })
}

/// Keeps scope consistent after `new` replaced `old`: notes drops for those
/// who can no longer see it, moves the records whose scope follows it, and
/// keeps the caseload table in step with caseload assignments.
pub(crate) async fn after_write<T: Tx>(
    tx: &mut T,
    old: Option<&StoredRecord>,
    new: &StoredRecord,
    today: &str,
) -> Result<()> {
    let old_area = old.and_then(|o| o.area.clone());
    if let Some(area) = &old_area
        && old_area != new.area
    {
        let seq = tx.next_seq().await?;
        tx.put_drop(seq, new.id, Some(area), None).await?;
    }
    let area_changed = old.is_none() || old_area != new.area;
    if new.kind == RecordKind::Client {
        super::merges::relink(tx, old, new, today).await?;
    }
    match new.kind {
        RecordKind::Client if area_changed => cascade(tx, Dependents::OfClient(new.id), new, true).await?,
        RecordKind::StreetCount if area_changed => cascade(tx, Dependents::OfCount(new.id), new, false).await?,
        RecordKind::CaseloadAssignment => caseload_changed(tx, new, today).await?,
        _ => {}
    }
    Ok(())
}

/// Gives every record whose scope follows `owner` the owner's area, with a
/// new sequence number so newly entitled devices pull it, and a drop for
/// the area it left. Sightings keep their count's area even when they name
/// a client.
async fn cascade<T: Tx>(tx: &mut T, of: Dependents, owner: &StoredRecord, skip_sightings: bool) -> Result<()> {
    for row in tx.dependents(of).await? {
        if row.id == owner.id || row.area == owner.area || (skip_sightings && row.kind == RecordKind::Sighting) {
            continue;
        }
        if let Some(old) = &row.area {
            let seq = tx.next_seq().await?;
            tx.put_drop(seq, row.id, Some(old), None).await?;
        }
        let seq = tx.next_seq().await?;
        tx.move_record(row.id, owner.area.as_deref(), seq).await?;
    }
    Ok(())
}

/// Updates the caseload table from an assignment record; when who holds
/// whom changes, the old holder's devices are told to drop the client's
/// records and the client's records are re-sequenced for the new holder.
async fn caseload_changed<T: Tx>(tx: &mut T, assignment: &StoredRecord, today: &str) -> Result<()> {
    let before = tx.caseload(assignment.id).await?;
    let after = if assignment.deleted { None } else { CaseloadEntry::from_data(assignment.id, &assignment.data).ok() };
    match &after {
        Some(entry) => tx.put_caseload(entry).await?,
        None => tx.remove_caseload(assignment.id).await?,
    }
    let held_before = before.filter(|e| e.active_on(today));
    let held_after = after.filter(|e| e.active_on(today));
    if held_before.as_ref().map(CaseloadEntry::holding) == held_after.as_ref().map(CaseloadEntry::holding) {
        return Ok(());
    }
    // Holding a client is holding every client recorded for the same person.
    if let Some(gone) = &held_before {
        for client in super::merges::family(tx, &[gone.client_id]).await?.into_iter().collect::<BTreeSet<_>>() {
            for row in tx.dependents(Dependents::OfClient(client)).await? {
                let seq = tx.next_seq().await?;
                tx.put_drop(seq, row.id, None, Some(&gone.worker)).await?;
            }
        }
    }
    if let Some(new) = &held_after {
        for client in super::merges::family(tx, &[new.client_id]).await?.into_iter().collect::<BTreeSet<_>>() {
            for row in tx.dependents(Dependents::OfClient(client)).await? {
                let seq = tx.next_seq().await?;
                tx.move_record(row.id, row.area.as_deref(), seq).await?;
            }
        }
    }
    Ok(())
}
