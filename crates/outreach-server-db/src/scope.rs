//! Who may see which record.
//!
//! Workers and team leads see records whose client lives in an area one of
//! their teams covers, or whose client is on their caseload. Records with no
//! client (street counts, anonymous sightings) are seen by area: a count's
//! own area, a sighting its count's. Admin and commissioner roles alone see
//! no case records.
//!
//! To keep pull a single indexed query, every stored record carries its
//! *scope area* (`records.area`): the area key of its client, of itself, or
//! of its count. When a client or count moves area the server rewrites the
//! scope area of the records that depend on it (see `engine::push`).

use chrono::NaiveDate;
use outreach_domain::RecordKind;
use serde_json::{Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// The form of an area name that scope compares: trimmed and lower-cased,
/// so `"St Helens"` and `" st helens"` are the same area.
pub fn area_key(area: &str) -> String {
    area.trim().to_lowercase()
}

/// What one user may see, loaded once per request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Scope {
    /// The user's name (caseload assignments name workers by it).
    pub worker: String,
    /// Whether the user's roles allow reading case records at all.
    pub reads_records: bool,
    /// Area keys the user's teams cover.
    pub areas: HashSet<String>,
    /// Clients on the user's active caseload.
    pub caseload: HashSet<Uuid>,
}

impl Scope {
    /// Whether a record with this scope area and client is visible.
    pub fn sees(&self, area: Option<&str>, client: Option<Uuid>) -> bool {
        self.reads_records
            && (area.is_some_and(|a| self.areas.contains(a)) || client.is_some_and(|c| self.caseload.contains(&c)))
    }

    /// The areas as a list, for SQL parameters.
    pub fn area_list(&self) -> Vec<String> {
        let mut v: Vec<String> = self.areas.iter().cloned().collect();
        v.sort();
        v
    }

    /// The caseload as a list, for SQL parameters.
    pub fn caseload_list(&self) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = self.caseload.iter().copied().collect();
        v.sort();
        v
    }
}

/// Where a record's scope area comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AreaSource {
    /// Its own `area` field (clients, street counts): the area key.
    Own(String),
    /// Its client's scope area.
    Client(Uuid),
    /// Its street count's scope area (sightings).
    Count(Uuid),
}

/// The fields of a record's data that decide who may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeKeys {
    /// The client it concerns.
    pub client_id: Option<Uuid>,
    /// The street count it belongs to (sightings).
    pub count_id: Option<Uuid>,
    /// Where its scope area comes from.
    pub area: AreaSource,
}

fn uuid_field(data: &Map<String, Value>, field: &str) -> Result<Option<Uuid>, String> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            Uuid::parse_str(s).map(Some).map_err(|_| format!("`{field}` must be a record id (a UUID), got '{s}'"))
        }
        Some(_) => Err(format!("`{field}` must be a record id (a UUID)")),
    }
}

fn required_uuid(data: &Map<String, Value>, kind: RecordKind, field: &str) -> Result<Uuid, String> {
    uuid_field(data, field)?.ok_or_else(|| format!("a {} must have `{field}`", kind.as_str()))
}

fn area_field(data: &Map<String, Value>, kind: RecordKind) -> Result<String, String> {
    match data.get("area") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(area_key(s)),
        _ => Err(format!("a {} must have a local authority `area`", kind.as_str())),
    }
}

/// Reads the scope fields of a record of `kind` with id `id`, or says why
/// the record cannot be stored.
pub(crate) fn scope_keys(kind: RecordKind, id: Uuid, data: &Map<String, Value>) -> Result<ScopeKeys, String> {
    Ok(match kind {
        RecordKind::Client => {
            ScopeKeys { client_id: Some(id), count_id: None, area: AreaSource::Own(area_field(data, kind)?) }
        }
        RecordKind::StreetCount => {
            ScopeKeys { client_id: None, count_id: None, area: AreaSource::Own(area_field(data, kind)?) }
        }
        RecordKind::Sighting => {
            let count = required_uuid(data, kind, "count_id")?;
            ScopeKeys {
                client_id: uuid_field(data, "client_id")?,
                count_id: Some(count),
                area: AreaSource::Count(count),
            }
        }
        _ => {
            let client = required_uuid(data, kind, "client_id")?;
            ScopeKeys { client_id: Some(client), count_id: None, area: AreaSource::Client(client) }
        }
    })
}

/// A caseload entry, derived from a `caseload_assignment` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaseloadEntry {
    /// The assignment record.
    pub assignment_id: Uuid,
    /// The worker's user name.
    pub worker: String,
    /// The client.
    pub client_id: Uuid,
    /// Last day (`YYYY-MM-DD`), if the worker has handed the case on.
    pub ended_on: Option<String>,
}

impl CaseloadEntry {
    /// Reads an assignment's data, or says why it cannot be stored.
    pub fn from_data(assignment_id: Uuid, data: &Map<String, Value>) -> Result<Self, String> {
        let client_id = required_uuid(data, RecordKind::CaseloadAssignment, "client_id")?;
        let worker = match data.get("worker") {
            Some(Value::String(w)) if !w.trim().is_empty() => w.trim().to_string(),
            _ => return Err("a caseload_assignment must name the `worker` who holds the case".into()),
        };
        let ended_on = match data.get("ended_on") {
            None | Some(Value::Null) => None,
            Some(Value::String(d)) if NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() => Some(d.clone()),
            Some(_) => return Err("`ended_on` must be a date (YYYY-MM-DD) or null".into()),
        };
        Ok(Self { assignment_id, worker, client_id, ended_on })
    }

    /// Whether the assignment is in force on `today` (`YYYY-MM-DD`).
    pub fn active_on(&self, today: &str) -> bool {
        self.ended_on.as_deref().is_none_or(|end| end >= today)
    }

    /// Who holds whom, for comparing before and after a change.
    pub fn holding(&self) -> (&str, Uuid) {
        (&self.worker, self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn scope_keys_per_kind() {
        let id = Uuid::now_v7();
        let client = Uuid::now_v7();
        let count = Uuid::now_v7();
        let k = scope_keys(RecordKind::Client, id, &map(json!({"area": " St Helens "}))).expect("client");
        assert_eq!(k, ScopeKeys { client_id: Some(id), count_id: None, area: AreaSource::Own("st helens".into()) });
        assert!(scope_keys(RecordKind::Client, id, &map(json!({"name": "x"}))).is_err());
        let k = scope_keys(RecordKind::Contact, id, &map(json!({"client_id": client.to_string()}))).expect("contact");
        assert_eq!(k.area, AreaSource::Client(client));
        assert!(scope_keys(RecordKind::Contact, id, &map(json!({"client_id": "nope"}))).is_err());
        let k = scope_keys(RecordKind::Sighting, id, &map(json!({"count_id": count.to_string(), "client_id": null})))
            .expect("sighting");
        assert_eq!(k, ScopeKeys { client_id: None, count_id: Some(count), area: AreaSource::Count(count) });
        // an outcome score's `area` is an outcome area, not a place: scope follows the client
        let k = scope_keys(RecordKind::OutcomeScore, id, &map(json!({"client_id": client.to_string(), "area": "x"})))
            .expect("score");
        assert_eq!(k.area, AreaSource::Client(client));
    }

    #[test]
    fn visibility_by_area_or_caseload_and_never_without_a_reading_role() {
        let client = Uuid::now_v7();
        let mut scope = Scope { worker: "amy".into(), reads_records: true, ..Scope::default() };
        scope.areas.insert("wirral".into());
        assert!(scope.sees(Some("wirral"), None));
        assert!(!scope.sees(Some("sefton"), Some(client)));
        scope.caseload.insert(client);
        assert!(scope.sees(Some("sefton"), Some(client)));
        assert!(!scope.sees(None, None));
        scope.reads_records = false;
        assert!(!scope.sees(Some("wirral"), Some(client)));
    }

    #[test]
    fn caseload_entries_end_inclusively() {
        let client = Uuid::now_v7();
        let data = map(json!({"client_id": client.to_string(), "worker": "sam", "ended_on": "2026-03-31"}));
        let e = CaseloadEntry::from_data(Uuid::now_v7(), &data).expect("entry");
        assert!(e.active_on("2026-03-31"));
        assert!(!e.active_on("2026-04-01"));
        assert!(CaseloadEntry::from_data(Uuid::now_v7(), &map(json!({"client_id": client.to_string()}))).is_err());
        let bad = map(json!({"client_id": client.to_string(), "worker": "sam", "ended_on": "soon"}));
        assert!(CaseloadEntry::from_data(Uuid::now_v7(), &bad).is_err());
    }
}
