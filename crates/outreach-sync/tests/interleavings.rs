//! Random interleavings of offline edits on three real stores, syncs in
//! any order, lost push answers, pushes lost on the way and lost pull
//! pages. Whatever happens, after a final round of syncs every replica is
//! identical, and every value a worker wrote is either in the records or
//! in a conflict, unless a person later replaced it having seen it.

mod support;

use outreach_domain::Client;
use outreach_store::StoreError;
use proptest::prelude::*;
use serde_json::Value;
use std::collections::HashSet;
use support::{Device, assert_converged, sync_all};
use uuid::Uuid;

/// Free-text client fields the steps edit.
const FIELDS: [&str; 3] = ["phone", "usual_site", "last_known_address"];

#[derive(Debug, Clone, Copy)]
enum Fault {
    None,
    DropPushResponse,
    LosePush,
    DropPull,
}

#[derive(Debug, Clone)]
enum Step {
    Create { store: usize },
    Edit { store: usize, pick: usize, field: usize },
    Delete { store: usize, pick: usize },
    Resolve { store: usize, pick: usize, take_other: bool },
    Sync { store: usize, fault: Fault },
}

fn fault() -> impl Strategy<Value = Fault> {
    prop_oneof![
        3 => Just(Fault::None),
        1 => Just(Fault::DropPushResponse),
        1 => Just(Fault::LosePush),
        1 => Just(Fault::DropPull),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (0..3usize).prop_map(|store| Step::Create { store }),
        6 => (0..3usize, 0..64usize, 0..FIELDS.len()).prop_map(|(store, pick, field)| Step::Edit { store, pick, field }),
        1 => (0..3usize, 0..64usize).prop_map(|(store, pick)| Step::Delete { store, pick }),
        2 => (0..3usize, 0..64usize, any::<bool>()).prop_map(|(store, pick, take_other)| Step::Resolve { store, pick, take_other }),
        5 => (0..3usize, fault()).prop_map(|(store, fault)| Step::Sync { store, fault }),
    ]
}

/// A value a worker wrote into a field.
#[derive(Debug)]
struct Written {
    record: Uuid,
    field: &'static str,
    value: String,
}

fn live_clients(device: &Device) -> Vec<Uuid> {
    device.store.all::<Client>().unwrap().into_iter().map(|r| r.meta.id).collect()
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(String::from)
}

fn run(steps: Vec<Step>, server: outreach_sync::testing::FakeServer) -> Result<(), TestCaseError> {
    let mut devices = [Device::new(&server, "amy.w"), Device::new(&server, "ben.t"), Device::new(&server, "cat.n")];
    let mut names = 0;
    for _ in 0..2 {
        names += 1;
        devices[0].add_client(&format!("Client {names}"));
    }
    {
        let [a, b, c] = &mut devices;
        sync_all(&mut [a, b, c], 2);
    }
    let mut written: Vec<Written> = vec![];
    let mut superseded: HashSet<String> = HashSet::new();
    let mut counter = 0;
    for step in steps {
        match step {
            Step::Create { store } => {
                names += 1;
                devices[store].add_client(&format!("Client {names}"));
            }
            Step::Edit { store, pick, field } => {
                let device = &mut devices[store];
                let live = live_clients(device);
                if live.is_empty() {
                    continue;
                }
                let record = live[pick % live.len()];
                let field = FIELDS[field];
                // The worker sees the current value and replaces it.
                superseded.extend(text(&device.field(record, field)));
                counter += 1;
                let value = format!("s{store}-v{counter}");
                device.set(record, field, &value);
                written.push(Written { record, field, value });
            }
            Step::Delete { store, pick } => {
                let device = &mut devices[store];
                let live = live_clients(device);
                if !live.is_empty() {
                    device.store.delete::<Client>(live[pick % live.len()]).unwrap();
                }
            }
            Step::Resolve { store, pick, take_other } => {
                let device = &mut devices[store];
                let open: Vec<_> =
                    device.store.conflicts().unwrap().into_iter().filter(|c| c.resolved_by.is_none()).collect();
                if open.is_empty() {
                    continue;
                }
                let conflict = &open[pick % open.len()];
                let (chosen, dropped) =
                    if take_other { (&conflict.other, &conflict.kept) } else { (&conflict.kept, &conflict.other) };
                let shown = device.field(conflict.record_id, &conflict.field);
                match device.store.resolve_conflict(conflict.id, chosen.clone()) {
                    Ok(()) => {}
                    // The record was deleted here meanwhile.
                    Err(StoreError::RecordNotFound { .. }) => continue,
                    Err(e) => return Err(TestCaseError::fail(format!("resolve failed: {e}"))),
                }
                superseded.extend(text(dropped));
                superseded.extend(text(&shown));
                if let (Some(field), Some(value)) = (FIELDS.iter().find(|f| **f == conflict.field), text(chosen)) {
                    superseded.remove(&value);
                    written.push(Written { record: conflict.record_id, field, value });
                }
            }
            Step::Sync { store, fault } => {
                let device = &mut devices[store];
                let faults = &mut device.transport.faults;
                match fault {
                    Fault::None => {}
                    Fault::DropPushResponse => faults.drop_push_responses = 1,
                    Fault::LosePush => faults.lose_pushes = 1,
                    Fault::DropPull => faults.drop_pulls = 1,
                }
                let result = device.try_sync();
                device.transport.faults = Default::default();
                match result {
                    Ok(_) | Err(outreach_sync::SyncError::Network(_)) => {}
                    Err(e) => return Err(TestCaseError::fail(format!("sync failed: {e}"))),
                }
            }
        }
    }
    {
        let [a, b, c] = &mut devices;
        sync_all(&mut [a, b, c], 2);
    }
    let [a, b, c] = &devices;
    assert_converged(&server, &[a, b, c]);

    let records = server.records();
    let conflicts = server.conflicts();
    for w in written.iter().filter(|w| !superseded.contains(&w.value)) {
        let value = Value::String(w.value.clone());
        let in_record = records.get(&w.record).and_then(|(data, _)| data.get(w.field)) == Some(&value);
        let in_conflict = conflicts
            .iter()
            .any(|c| c.record_id == w.record && c.field == w.field && (c.kept == value || c.other == value));
        prop_assert!(in_record || in_conflict, "{w:?} was lost");
    }
    for device in [a, b, c] {
        prop_assert!(device.store.needs_attention().unwrap().is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 20 cases take a few seconds; set SYNC_CASES for a longer soak.
        cases: std::env::var("SYNC_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20),
        max_shrink_iters: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_no_written_value_is_lost(steps in proptest::collection::vec(step(), 1..40)) {
        run(steps, outreach_sync::testing::FakeServer::new())?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("SYNC_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(20),
        max_shrink_iters: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The same, against a server whose resolve endpoint also writes the
    /// chosen value while the field still holds one of the conflicting values.
    #[test]
    fn replicas_converge_when_the_server_writes_resolutions(steps in proptest::collection::vec(step(), 1..40)) {
        run(steps, outreach_sync::testing::FakeServer::writing_resolutions())?;
    }
}
