//! The device side of a pull: what one record the server sends does to the
//! local copy, decided as data before anything is written.
//!
//! The device keeps a **mirror** of each record as the server last confirmed
//! it. The local copy and the incoming copy are both deltas against that
//! mirror: when the device has no changes waiting to be sent, the server's
//! copy simply replaces the local one; when it has, the two deltas are
//! merged field by field by [`three_way`], keeping local edits (the outbox
//! still carries them, and the server records a conflict if they really
//! clash when they arrive).

use outreach_protocol::api::RecordChange;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// One field both sides changed, to different values, since the mirror.
/// The local value is kept; the server will record the conflict when the
/// local change is pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clash {
    /// The field.
    pub field: String,
    /// Its value in the mirror (`None`: the field was absent).
    pub base: Option<Value>,
    /// The local value, which is kept.
    pub ours: Option<Value>,
    /// The server's value.
    pub theirs: Option<Value>,
}

/// A field's value, with `null` counted as absent.
fn present<'a>(map: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    map.get(field).filter(|v| !v.is_null())
}

/// The result of [`three_way`]: the merged fields and the clashes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ThreeWay {
    /// The merged record: every field, unknown ones included.
    pub merged: Map<String, Value>,
    /// Fields both sides changed differently (`merged` holds ours).
    pub clashes: Vec<Clash>,
}

/// Merges two edits of a record field by field against their common base
/// (the mirror). A field only the server changed takes the server's value;
/// a field only the device changed keeps the device's; the same change on
/// both sides is no clash; two different changes keep the device's value
/// and are reported as a [`Clash`]. A field set to `null` counts as absent
/// (the outbox records a cleared field either way); otherwise removing a
/// field is a change like any other.
pub fn three_way(base: &Map<String, Value>, ours: &Map<String, Value>, theirs: &Map<String, Value>) -> ThreeWay {
    let fields: BTreeSet<&String> = base.keys().chain(ours.keys()).chain(theirs.keys()).collect();
    let mut out = ThreeWay::default();
    for field in fields {
        // Absent and null are the same value, as in the outbox and on the
        // server; the chosen side's own form is kept.
        let (b, o, t) = (present(base, field), present(ours, field), present(theirs, field));
        let chosen = if o == t || t == b {
            ours.get(field)
        } else if o == b {
            theirs.get(field)
        } else {
            out.clashes.push(Clash { field: field.clone(), base: b.cloned(), ours: o.cloned(), theirs: t.cloned() });
            ours.get(field)
        };
        if let Some(value) = chosen {
            out.merged.insert(field.clone(), value.clone());
        }
    }
    out
}

/// A copy of a record as the plan sees it (the mirror or the local row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot<'a> {
    /// The record's fields.
    pub data: &'a Map<String, Value>,
    /// The server version the copy is at (or based on).
    pub version: i64,
    /// Tombstoned.
    pub deleted: bool,
}

/// What to do with one incoming record.
#[derive(Debug, Clone, PartialEq)]
pub enum IncomingPlan {
    /// Older than the mirror or the local copy (a page applied again after
    /// a newer one, or a push already acknowledged at a later version):
    /// change nothing.
    Stale,
    /// Erased by an administrator: remove the local copy, the mirror and
    /// anything else held about the record.
    Erase,
    /// No local changes wait: the server's copy becomes the local copy, as
    /// sent (fields this version does not know included).
    Overwrite,
    /// Local changes wait: store `data` (the three-way merge) and keep the
    /// local tombstone state, which the outbox will carry to the server.
    Merge {
        /// The merged fields.
        data: Map<String, Value>,
        /// The local tombstone state, kept.
        deleted: bool,
        /// Fields in a true clash (informational; the local value is kept).
        clashes: Vec<Clash>,
    },
}

/// Decides what `incoming` does to the local copy, given the mirror (the
/// last server copy the device saw), the local copy, and whether the outbox
/// still holds changes to the record.
///
/// An edit waiting to be sent keeps a record alive locally even if the
/// server deleted it, just as the server brings a deleted record back when
/// an edit that did not see the delete arrives.
pub fn plan_incoming(
    mirror: Option<Snapshot<'_>>,
    local: Option<Snapshot<'_>>,
    pending: bool,
    incoming: &RecordChange,
) -> IncomingPlan {
    if incoming.erased {
        return IncomingPlan::Erase;
    }
    if mirror.is_some_and(|m| m.version > incoming.version) || local.is_some_and(|l| l.version > incoming.version) {
        return IncomingPlan::Stale;
    }
    match local {
        Some(local) if pending => {
            let empty = Map::new();
            let base = mirror.map_or(&empty, |m| m.data);
            let ThreeWay { merged, clashes } = three_way(base, local.data, &incoming.data);
            IncomingPlan::Merge { data: merged, deleted: local.deleted, clashes }
        }
        _ => IncomingPlan::Overwrite,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use outreach_domain::{Hlc, RecordKind};
    use serde_json::json;
    use uuid::Uuid;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn three_way_table_of_cases() {
        struct Case {
            name: &'static str,
            base: Value,
            ours: Value,
            theirs: Value,
            merged: Value,
            clashes: &'static [&'static str],
        }
        let cases = [
            Case {
                name: "nothing changed",
                base: json!({"a": 1, "b": 2}),
                ours: json!({"a": 1, "b": 2}),
                theirs: json!({"a": 1, "b": 2}),
                merged: json!({"a": 1, "b": 2}),
                clashes: &[],
            },
            Case {
                name: "only theirs changed a field: take theirs",
                base: json!({"a": 1}),
                ours: json!({"a": 1}),
                theirs: json!({"a": 9}),
                merged: json!({"a": 9}),
                clashes: &[],
            },
            Case {
                name: "only ours changed a field: keep ours",
                base: json!({"a": 1}),
                ours: json!({"a": 5}),
                theirs: json!({"a": 1}),
                merged: json!({"a": 5}),
                clashes: &[],
            },
            Case {
                name: "different fields on each side: both survive",
                base: json!({"a": 1, "b": 2}),
                ours: json!({"a": 5, "b": 2}),
                theirs: json!({"a": 1, "b": 7}),
                merged: json!({"a": 5, "b": 7}),
                clashes: &[],
            },
            Case {
                name: "the same change on both sides is no clash",
                base: json!({"a": 1}),
                ours: json!({"a": 3}),
                theirs: json!({"a": 3}),
                merged: json!({"a": 3}),
                clashes: &[],
            },
            Case {
                name: "different changes to one field: keep ours, report the clash",
                base: json!({"a": 1, "b": 2}),
                ours: json!({"a": 5, "b": 2}),
                theirs: json!({"a": 6, "b": 3}),
                merged: json!({"a": 5, "b": 3}),
                clashes: &["a"],
            },
            Case {
                name: "a field this version does not know arrives: kept",
                base: json!({"a": 1}),
                ours: json!({"a": 2}),
                theirs: json!({"a": 1, "future": {"x": true}}),
                merged: json!({"a": 2, "future": {"x": true}}),
                clashes: &[],
            },
            Case {
                name: "theirs removed a field ours left alone: removed",
                base: json!({"a": 1, "b": 2}),
                ours: json!({"a": 1, "b": 2}),
                theirs: json!({"a": 1}),
                merged: json!({"a": 1}),
                clashes: &[],
            },
            Case {
                name: "ours removed a field theirs left alone: stays removed",
                base: json!({"a": 1, "b": 2}),
                ours: json!({"a": 1}),
                theirs: json!({"a": 1, "b": 2}),
                merged: json!({"a": 1}),
                clashes: &[],
            },
            Case {
                name: "theirs removed a field ours changed: keep ours, clash",
                base: json!({"b": 2}),
                ours: json!({"b": 4}),
                theirs: json!({}),
                merged: json!({"b": 4}),
                clashes: &["b"],
            },
            Case {
                name: "no base (both created it): equal fields merge, different ones clash",
                base: json!({}),
                ours: json!({"a": 1, "b": 2}),
                theirs: json!({"a": 1, "b": 3, "c": 4}),
                merged: json!({"a": 1, "b": 2, "c": 4}),
                clashes: &["b"],
            },
            Case {
                name: "null and absent are the same value: no clash, ours kept as written",
                base: json!({}),
                ours: json!({"a": null, "b": null}),
                theirs: json!({"b": 4}),
                merged: json!({"a": null, "b": 4}),
                clashes: &[],
            },
            Case {
                name: "clearing a field theirs left alone stays cleared",
                base: json!({"a": 1}),
                ours: json!({"a": null}),
                theirs: json!({"a": 1}),
                merged: json!({"a": null}),
                clashes: &[],
            },
        ];
        for case in cases {
            let got = three_way(&map(case.base), &map(case.ours), &map(case.theirs));
            assert_eq!(got.merged, map(case.merged), "{}", case.name);
            let fields: Vec<&str> = got.clashes.iter().map(|c| c.field.as_str()).collect();
            assert_eq!(fields, case.clashes, "{}", case.name);
        }
    }

    #[test]
    fn a_clash_carries_all_three_values() {
        let got = three_way(&map(json!({"a": 1})), &map(json!({"a": 2})), &map(json!({"a": 3})));
        assert_eq!(
            got.clashes,
            vec![Clash { field: "a".into(), base: Some(json!(1)), ours: Some(json!(2)), theirs: Some(json!(3)) }]
        );
    }

    fn change(data: Value, version: i64, deleted: bool, erased: bool) -> RecordChange {
        RecordChange {
            id: Uuid::nil(),
            kind: RecordKind::Client,
            client_id: None,
            data: map(data),
            version,
            seq: version,
            deleted,
            erased,
            hlc: Hlc::zero(Uuid::nil()),
            updated_at: Utc::now(),
            updated_by: "sam.k".into(),
            area: None,
        }
    }

    #[test]
    fn plan_table_of_cases() {
        let base = map(json!({"a": 1, "b": 2}));
        let ours = map(json!({"a": 5, "b": 2}));
        let mirror = Snapshot { data: &base, version: 2, deleted: false };
        let local = Snapshot { data: &ours, version: 2, deleted: false };
        let deleted_local = Snapshot { data: &ours, version: 2, deleted: true };
        let theirs = change(json!({"a": 1, "b": 7}), 3, false, false);
        let merged = IncomingPlan::Merge { data: map(json!({"a": 5, "b": 7})), deleted: false, clashes: vec![] };

        let cases: Vec<(&str, IncomingPlan, IncomingPlan)> = vec![
            ("new to this device", plan_incoming(None, None, false, &theirs), IncomingPlan::Overwrite),
            (
                "nothing waiting: the server's copy wins",
                plan_incoming(Some(mirror), Some(local), false, &theirs),
                IncomingPlan::Overwrite,
            ),
            ("edits waiting: merged field by field", plan_incoming(Some(mirror), Some(local), true, &theirs), merged),
            (
                "a server delete does not remove a record with edits waiting",
                plan_incoming(Some(mirror), Some(local), true, &change(json!({"a": 1, "b": 2}), 3, true, false)),
                IncomingPlan::Merge { data: ours.clone(), deleted: false, clashes: vec![] },
            ),
            (
                "a local delete waiting stays deleted",
                plan_incoming(Some(mirror), Some(deleted_local), true, &theirs),
                IncomingPlan::Merge { data: map(json!({"a": 5, "b": 7})), deleted: true, clashes: vec![] },
            ),
            (
                "an older copy than the mirror is ignored",
                plan_incoming(Some(mirror), Some(local), false, &change(json!({}), 1, false, false)),
                IncomingPlan::Stale,
            ),
            (
                "the same copy again is applied again (idempotent)",
                plan_incoming(Some(mirror), Some(local), false, &change(json!({"a": 1, "b": 2}), 2, false, false)),
                IncomingPlan::Overwrite,
            ),
            (
                "older than the version a push already reached locally is ignored",
                plan_incoming(Some(mirror), Some(Snapshot { version: 4, ..local }), false, &theirs),
                IncomingPlan::Stale,
            ),
            (
                "erasure wins over local edits",
                plan_incoming(Some(mirror), Some(local), true, &change(json!({}), 4, true, true)),
                IncomingPlan::Erase,
            ),
            (
                "edits waiting on a record the device has no mirror of: no base",
                plan_incoming(None, Some(local), true, &theirs),
                IncomingPlan::Merge {
                    data: map(json!({"a": 5, "b": 2})),
                    deleted: false,
                    clashes: vec![
                        Clash { field: "a".into(), base: None, ours: Some(json!(5)), theirs: Some(json!(1)) },
                        Clash { field: "b".into(), base: None, ours: Some(json!(2)), theirs: Some(json!(7)) },
                    ],
                },
            ),
        ];
        for (name, got, expect) in cases {
            assert_eq!(got, expect, "{name}");
        }
    }

    proptest::proptest! {
        /// Whatever the three copies hold, a field only one side changed
        /// ends up with that side's value, and ours is never lost.
        #[test]
        fn one_sided_changes_always_survive(
            base in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
            ours in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
            theirs in proptest::collection::btree_map("[a-d]", 0u8..3, 0..4),
        ) {
            let to_map = |m: std::collections::BTreeMap<String, u8>| -> Map<String, Value> {
                m.into_iter().map(|(k, v)| (k, json!(v))).collect()
            };
            let (base, ours, theirs) = (to_map(base), to_map(ours), to_map(theirs));
            let got = three_way(&base, &ours, &theirs);
            for field in base.keys().chain(ours.keys()).chain(theirs.keys()) {
                let (b, o, t, m) = (base.get(field), ours.get(field), theirs.get(field), got.merged.get(field));
                if o != b {
                    proptest::prop_assert_eq!(m, o, "ours lost on {}", field);
                } else {
                    proptest::prop_assert_eq!(m, t, "theirs not taken on {}", field);
                }
                let clashed = got.clashes.iter().any(|c| &c.field == field);
                proptest::prop_assert_eq!(clashed, o != b && t != b && o != t);
            }
        }
    }
}
