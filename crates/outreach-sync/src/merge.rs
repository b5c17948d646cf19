//! The server-side merge of one pushed mutation into the current record.

use outreach_domain::RecordKind;
use outreach_protocol::{Mutation, Op};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The device-side merge of a pulled record with local edits, kept beside
/// the server's rule (see [`crate::incoming`]).
pub use crate::incoming::three_way;

/// The server's current copy of a record, as the merge sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Current<'a> {
    /// The record's fields.
    pub data: &'a Map<String, Value>,
    /// Its server version.
    pub version: i64,
    /// Tombstoned.
    pub deleted: bool,
    /// Erased by an administrator: nothing may bring it back.
    pub erased: bool,
}

/// Two different values for one field, made without seeing each other. The
/// server keeps `kept`; `other` is stored beside it for a person to choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// The field.
    pub field: String,
    /// The value the record keeps for now.
    pub kept: Value,
    /// The value the incoming change wanted.
    pub other: Value,
}

/// Why a mutation cannot be applied; the device shows it as needing attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Stable code for programs (`signed_off`, `unknown_record`, `erased`, `kind_mismatch`).
    pub code: String,
    /// What happened and what to do, for the worker.
    pub reason: String,
}

impl Rejection {
    fn new(code: &str, reason: &str) -> Self {
        Self { code: code.into(), reason: reason.into() }
    }
}

/// What applying a mutation does.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Store `data` as the record (a new record, or the merged fields);
    /// `conflicts` lists the fields kept for a person to resolve;
    /// `undelete` is set when an edit arrived for a record deleted
    /// concurrently: the record comes back, flagged for review.
    Write {
        /// The full field map to store.
        data: Map<String, Value>,
        /// Fields in conflict.
        conflicts: Vec<FieldConflict>,
        /// The record was tombstoned and this edit brings it back.
        undelete: bool,
    },
    /// Tombstone the record.
    Delete,
    /// Nothing to change (already applied, or every field already equal);
    /// `conflicts` may still hold a delete that lost to an edit.
    Unchanged {
        /// A delete kept for review.
        conflicts: Vec<FieldConflict>,
    },
    /// Refused.
    Reject(Rejection),
}

/// Whether a record of `kind` with these fields is signed off: contacts,
/// sightings and outcome scores always; risk assessments once completed.
pub fn is_signed_off(kind: RecordKind, data: &Map<String, Value>) -> bool {
    match kind {
        RecordKind::Contact | RecordKind::Sighting | RecordKind::OutcomeScore => true,
        RecordKind::RiskAssessment => data.get("status").and_then(Value::as_str) == Some("completed"),
        _ => false,
    }
}

fn new_values(m: &Mutation) -> Map<String, Value> {
    m.field_changes().map(|(field, change)| (field.to_string(), change.new)).collect()
}

/// Merges field by field: a field the server has not changed since the
/// device saw it takes the new value; a field both changed to different
/// values is a conflict and keeps the server's value.
fn merge_fields(
    data: &Map<String, Value>,
    m: &Mutation,
    strict_create: bool,
) -> (Map<String, Value>, Vec<FieldConflict>) {
    let mut merged = data.clone();
    let mut conflicts = Vec::new();
    for (field, change) in m.field_changes() {
        let current = data.get(field).cloned().unwrap_or(Value::Null);
        if current == change.new {
            continue;
        }
        if current == change.old && !strict_create {
            merged.insert(field.to_string(), change.new);
        } else {
            conflicts.push(FieldConflict { field: field.to_string(), kept: current, other: change.new });
        }
    }
    (merged, conflicts)
}

/// Decides what `m` does to `current` (None when the server has no such record).
pub fn decide(current: Option<Current<'_>>, m: &Mutation) -> Decision {
    let Some(cur) = current else {
        return match m.op {
            Op::Create => Decision::Write { data: new_values(m), conflicts: vec![], undelete: false },
            Op::Update => Decision::Reject(Rejection::new(
                "unknown_record",
                "the server has no such record (it may have been erased or moved out of your team's scope)",
            )),
            Op::Delete => Decision::Unchanged { conflicts: vec![] },
        };
    };
    if cur.erased {
        return Decision::Reject(Rejection::new("erased", "this record was erased by an administrator"));
    }
    let signed_off = is_signed_off(m.kind, cur.data);
    match m.op {
        Op::Create if signed_off => {
            // A signed-off record is never rewritten: not by a second create
            // of its id, nor by a conflict that create would open.
            let (data, conflicts) = merge_fields(cur.data, m, true);
            if conflicts.is_empty() && data == *cur.data {
                Decision::Unchanged { conflicts }
            } else {
                Decision::Reject(Rejection::new(
                    "signed_off",
                    "a signed-off record already has this id; record an amendment instead",
                ))
            }
        }
        Op::Create => {
            // The same id created twice: identical fields are a no-op; any
            // difference is kept as a conflict, never overwritten.
            let (data, conflicts) = merge_fields(cur.data, m, true);
            if conflicts.is_empty() {
                Decision::Unchanged { conflicts }
            } else {
                Decision::Write { data, conflicts, undelete: false }
            }
        }
        Op::Update if signed_off => {
            Decision::Reject(Rejection::new("signed_off", "this record is signed off; record an amendment instead"))
        }
        Op::Update => {
            let (data, conflicts) = merge_fields(cur.data, m, false);
            let undelete = cur.deleted;
            if data == *cur.data && !undelete {
                Decision::Unchanged { conflicts }
            } else {
                let mut conflicts = conflicts;
                if undelete {
                    conflicts.push(FieldConflict {
                        field: "deleted".into(),
                        kept: Value::Bool(false),
                        other: Value::Bool(true),
                    });
                }
                Decision::Write { data, conflicts, undelete }
            }
        }
        Op::Delete if cur.deleted => Decision::Unchanged { conflicts: vec![] },
        Op::Delete if signed_off => {
            Decision::Reject(Rejection::new("signed_off", "a signed-off record cannot be deleted; record an amendment"))
        }
        Op::Delete if m.base_version >= cur.version => Decision::Delete,
        Op::Delete => Decision::Unchanged {
            // Someone edited it after this device last saw it: keep the
            // record and flag the delete for review.
            conflicts: vec![FieldConflict {
                field: "deleted".into(),
                kept: Value::Bool(false),
                other: Value::Bool(true),
            }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::Hlc;
    use serde_json::json;
    use uuid::Uuid;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn mutation(kind: RecordKind, op: Op, base: i64, changes: Value) -> Mutation {
        Mutation {
            mutation_id: Uuid::now_v7(),
            record_id: Uuid::nil(),
            kind,
            op,
            changes: map(changes),
            base_version: base,
            hlc: Hlc::zero(Uuid::nil()),
        }
    }

    fn cur(data: &Map<String, Value>, version: i64) -> Current<'_> {
        Current { data, version, deleted: false, erased: false }
    }

    #[test]
    fn table_of_cases() {
        let server = map(json!({"area": "Wirral", "phone": "1", "gender": "male", "extra": "kept"}));
        let c = RecordKind::Client;
        struct Case {
            name: &'static str,
            m: Mutation,
            expect: Decision,
        }
        let cases = vec![
            Case {
                name: "field unchanged on the server takes the new value",
                m: mutation(c, Op::Update, 1, json!({"phone": {"old": "1", "new": "2"}})),
                expect: Decision::Write {
                    data: map(json!({"area": "Wirral", "phone": "2", "gender": "male", "extra": "kept"})),
                    conflicts: vec![],
                    undelete: false,
                },
            },
            Case {
                name: "different fields edited on both sides both survive",
                m: mutation(
                    c,
                    Op::Update,
                    1,
                    json!({"gender": {"old": "female", "new": "non_binary"}, "area": {"old": "Wirral", "new": "Halton"}}),
                ),
                expect: Decision::Write {
                    data: map(json!({"area": "Halton", "phone": "1", "gender": "male", "extra": "kept"})),
                    conflicts: vec![FieldConflict {
                        field: "gender".into(),
                        kept: json!("male"),
                        other: json!("non_binary"),
                    }],
                    undelete: false,
                },
            },
            Case {
                name: "the same edit made twice is not a conflict",
                m: mutation(c, Op::Update, 1, json!({"area": {"old": "Sefton", "new": "Wirral"}})),
                expect: Decision::Unchanged { conflicts: vec![] },
            },
            Case {
                name: "an update to an unknown record is rejected",
                m: mutation(c, Op::Update, 1, json!({})),
                expect: Decision::Reject(Rejection::new("unknown_record", "")),
            },
            Case {
                name: "a delete made against the current version deletes",
                m: mutation(c, Op::Delete, 3, json!({"deleted": {"old": false, "new": true}})),
                expect: Decision::Delete,
            },
            Case {
                name: "a delete that did not see a later edit is kept for review",
                m: mutation(c, Op::Delete, 2, json!({"deleted": {"old": false, "new": true}})),
                expect: Decision::Unchanged {
                    conflicts: vec![FieldConflict { field: "deleted".into(), kept: json!(false), other: json!(true) }],
                },
            },
            Case {
                name: "the same id created twice with other fields keeps both",
                m: mutation(c, Op::Create, 0, json!({"area": {"old": null, "new": "Knowsley"}})),
                expect: Decision::Write {
                    data: server.clone(),
                    conflicts: vec![FieldConflict {
                        field: "area".into(),
                        kept: json!("Wirral"),
                        other: json!("Knowsley"),
                    }],
                    undelete: false,
                },
            },
        ];
        for case in cases {
            let current = if case.name.contains("unknown") { None } else { Some(cur(&server, 3)) };
            let got = decide(current, &case.m);
            match (&got, &case.expect) {
                (Decision::Reject(a), Decision::Reject(b)) => assert_eq!(a.code, b.code, "{}", case.name),
                _ => assert_eq!(got, case.expect, "{}", case.name),
            }
        }
    }

    #[test]
    fn a_create_of_a_new_record_writes_its_fields() {
        let m = mutation(RecordKind::Contact, Op::Create, 0, json!({"notes": {"old": null, "new": "hi"}}));
        assert_eq!(
            decide(None, &m),
            Decision::Write { data: map(json!({"notes": "hi"})), conflicts: vec![], undelete: false }
        );
    }

    #[test]
    fn a_second_create_never_rewrites_a_signed_off_record() {
        let data = map(json!({"notes": "as written"}));
        let current = || Some(Current { data: &data, version: 1, deleted: false, erased: false });
        let create = |fields: Value| mutation(RecordKind::Contact, Op::Create, 0, fields);
        let other = create(json!({"notes": {"old": null, "new": "rewritten"}}));
        assert!(matches!(decide(current(), &other), Decision::Reject(r) if r.code == "signed_off"));
        let added = create(json!({"notes": {"old": null, "new": "as written"}, "extra": {"old": null, "new": 1}}));
        assert!(
            matches!(decide(current(), &added), Decision::Reject(r) if r.code == "signed_off"),
            "nor a field added"
        );
        let same = create(json!({"notes": {"old": null, "new": "as written"}}));
        assert_eq!(decide(current(), &same), Decision::Unchanged { conflicts: vec![] });
    }

    #[test]
    fn an_edit_brings_back_a_concurrently_deleted_record_flagged() {
        let data = map(json!({"area": "Wirral"}));
        let m = mutation(RecordKind::Client, Op::Update, 1, json!({"area": {"old": "Wirral", "new": "Halton"}}));
        let got = decide(Some(Current { data: &data, version: 2, deleted: true, erased: false }), &m);
        let Decision::Write { data, conflicts, undelete } = got else { panic!("{got:?}") };
        assert!(undelete);
        assert_eq!(data["area"], "Halton");
        assert_eq!(conflicts[0].field, "deleted");
    }

    #[test]
    fn erasure_and_sign_off_always_win() {
        let data = map(json!({"notes": "x", "status": "completed"}));
        let edit = |kind| mutation(kind, Op::Update, 1, json!({"notes": {"old": "x", "new": "y"}}));
        let erased = Current { data: &data, version: 1, deleted: true, erased: true };
        assert!(matches!(decide(Some(erased), &edit(RecordKind::Client)), Decision::Reject(r) if r.code == "erased"));
        for kind in [RecordKind::Contact, RecordKind::RiskAssessment, RecordKind::Sighting] {
            assert!(matches!(decide(Some(cur(&data, 1)), &edit(kind)), Decision::Reject(r) if r.code == "signed_off"));
        }
        let draft = map(json!({"notes": "x", "status": "draft"}));
        assert!(matches!(decide(Some(cur(&draft, 1)), &edit(RecordKind::RiskAssessment)), Decision::Write { .. }));
    }

    proptest::proptest! {
        /// Whatever two devices change concurrently, every value either ends
        /// up in the record or in a conflict: nothing is silently lost.
        #[test]
        fn nothing_is_lost(
            base in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
            a in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
            b in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
        ) {
            let base: Map<String, Value> = base.into_iter().map(|(k, v)| (k, json!(v))).collect();
            // the outbox records only fields whose value really changed
            let real = |edits: std::collections::BTreeMap<String, u8>| -> std::collections::BTreeMap<String, u8> {
                edits.into_iter().filter(|(k, v)| base.get(k) != Some(&json!(v))).collect()
            };
            let (a, b) = (real(a), real(b));
            let changes = |edits: &std::collections::BTreeMap<String, u8>| -> Value {
                Value::Object(edits.iter().map(|(k, v)| {
                    (k.clone(), json!({"old": base.get(k).cloned().unwrap_or(Value::Null), "new": v}))
                }).collect())
            };
            // device A's edits reach the server first, then B's (both made against version 1)
            let ma = mutation(RecordKind::Client, Op::Update, 1, changes(&a));
            let after_a = match decide(Some(cur(&base, 1)), &ma) {
                Decision::Write { data, conflicts, .. } => { proptest::prop_assert!(conflicts.is_empty()); data }
                Decision::Unchanged { .. } => base.clone(),
                other => return Err(proptest::test_runner::TestCaseError::fail(format!("{other:?}"))),
            };
            let mb = mutation(RecordKind::Client, Op::Update, 1, changes(&b));
            let (after_b, conflicts) = match decide(Some(cur(&after_a, 2)), &mb) {
                Decision::Write { data, conflicts, .. } => (data, conflicts),
                Decision::Unchanged { conflicts } => (after_a.clone(), conflicts),
                other => return Err(proptest::test_runner::TestCaseError::fail(format!("{other:?}"))),
            };
            for (k, v) in &a {
                let kept = after_b.get(k) == Some(&json!(v));
                let in_conflict = conflicts.iter().any(|c| c.field == *k && c.kept == json!(v));
                proptest::prop_assert!(kept || in_conflict, "A's {k}={v} lost");
            }
            for (k, v) in &b {
                let kept = after_b.get(k) == Some(&json!(v));
                let in_conflict = conflicts.iter().any(|c| c.field == *k && c.other == json!(v));
                proptest::prop_assert!(kept || in_conflict, "B's {k}={v} lost");
            }
        }
    }
}
