//! Sync end to end: a real `outreach-server` on loopback (embedded SQLite
//! and PostgreSQL), three laptops with real encrypted stores, offline edits
//! to the same client on all three, synced in different orders over HTTP.
//! Checks convergence, the conflict queue, resolution and the audit log.

use outreach_domain::{Client, Gender};
use outreach_protocol::Mutation;
use outreach_protocol::api::{MutationResult, PullResponse};
use outreach_server_db::Backend;
use outreach_store::{Store, StoreError};
use outreach_sync::{Acknowledged, Engine, PageApplied, PendingResolution, SyncError, SyncStore, system_clock_ms};
use outreach_tests::{Laptop, client, contact, start_server};
use serde_json::json;
use std::path::PathBuf;

fn three_laptops_converge(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (testdb, base) = start_server(&runtime, backend);
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let mut ben = Laptop::sign_in(&base, "ben.k");
    let mut cara = Laptop::sign_in(&base, "cara.m");

    // amy records a client and a contact and syncs; the others receive them
    let id = amy.store.create(client("Shared Person")).unwrap().meta.id;
    amy.store.create(contact(id, "first meeting")).unwrap();
    amy.sync();
    ben.sync();
    cara.sync();
    assert_eq!(ben.store.get::<Client>(id).unwrap().body.display_name(), "Shared Person");
    assert_eq!(
        cara.store.search("shared persn", &Default::default(), chrono::Utc::now().date_naive(), 5).unwrap()[0].id,
        id
    );

    // all three edit offline: amy and ben the same field differently,
    // ben and cara different fields, cara also adds a contact
    amy.store.update::<Client>(id, |c| c.phone = Some("07700 900001".to_string().into())).unwrap();
    ben.store.update::<Client>(id, |c| c.phone = Some("07700 900002".to_string().into())).unwrap();
    ben.store.update::<Client>(id, |c| c.gender = Gender::Female).unwrap();
    cara.store.update::<Client>(id, |c| c.usual_site = Some("library doorway".to_string().into())).unwrap();
    let note = cara.store.create(contact(id, "seen at night")).unwrap().meta.id;

    // sync in a different order, twice round so everyone sees everything
    for _ in 0..2 {
        cara.sync();
        ben.sync();
        amy.sync();
    }
    let states: Vec<_> = [&amy, &ben, &cara].iter().map(|l| l.store.record_states().unwrap()).collect();
    assert_eq!(states[0], states[1], "amy and ben differ after sync");
    assert_eq!(states[1], states[2], "ben and cara differ after sync");
    let merged = &states[0][&id].0;
    assert_eq!(merged["gender"], json!("female"), "ben's field merged");
    assert_eq!(merged["usual_site"], json!("library doorway"), "cara's field merged");
    assert!(states[0].contains_key(&note), "cara's contact reached everyone");

    // the same-field clash is one conflict, visible on every laptop, both values kept
    let phone_values = |l: &Laptop| -> Vec<_> {
        l.store.conflicts().unwrap().into_iter().filter(|c| c.field == "phone" && c.resolved_by.is_none()).collect()
    };
    for laptop in [&amy, &ben, &cara] {
        let open = phone_values(laptop);
        assert_eq!(open.len(), 1, "one open phone conflict on every laptop");
        let mut both = [open[0].kept.clone(), open[0].other.clone()];
        both.sort_by_key(|v| v.to_string());
        assert_eq!(both, [json!("07700 900001"), json!("07700 900002")], "both values are kept");
    }

    // cara resolves it; after syncing, every laptop agrees and nothing is open
    let conflict = phone_values(&cara)[0].clone();
    cara.store.resolve_conflict(conflict.id, json!("07700 900002")).unwrap();
    for _ in 0..2 {
        cara.sync();
        amy.sync();
        ben.sync();
    }
    for laptop in [&mut amy, &mut ben, &mut cara] {
        assert!(phone_values(laptop).is_empty(), "the conflict is resolved everywhere");
        let c = laptop.store.get::<Client>(id).unwrap().body;
        assert_eq!(c.phone.unwrap().expose(), "07700 900002");
    }
    let states: Vec<_> = [&amy, &ben, &cara].iter().map(|l| l.store.record_states().unwrap()).collect();
    assert!(states.windows(2).all(|w| w[0] == w[1]), "all laptops identical after resolution");
    for laptop in [&amy, &ben, &cara] {
        assert_eq!(laptop.store.outbox_len().unwrap(), 0, "nothing left to send");
    }

    // the server's audit log shows the pushes of this client, and each pull page once
    let audit = runtime.block_on(testdb.db().audit_log(Some(id), 1000)).unwrap();
    let actions: std::collections::BTreeSet<String> = audit.into_iter().map(|a| a.entry.action).collect();
    assert!(actions.contains("push"), "{actions:?}");
    let all = runtime.block_on(testdb.db().audit_log(None, 10_000)).unwrap();
    assert!(
        all.iter().any(|a| a.entry.action == "pull" && a.entry.detail.as_deref().is_some_and(|d| d.contains("client")))
    );

    // a revoked laptop is told so and wipes its store
    let devices = runtime.block_on(testdb.db().devices()).unwrap();
    let bens = devices.iter().find(|d| d.id == ben.store.device_id()).expect("ben's device").id;
    runtime.block_on(testdb.db().revoke_device(bens, Some("reported lost"))).unwrap();
    let dir = ben.store.dir().to_path_buf();
    let err = Engine::default().run(&mut ben.store, &mut ben.transport, &mut |_| {}).unwrap_err();
    assert!(matches!(err, SyncError::DeviceRevoked { .. }), "{err}");
    assert!(!dir.join("outreach.db").exists(), "the revoked laptop's store is wiped");

    runtime.block_on(testdb.cleanup()).unwrap();
}

#[test]
fn three_laptops_converge_through_a_real_server_on_sqlite() {
    three_laptops_converge(Backend::Sqlite);
}

#[test]
fn three_laptops_converge_through_a_real_server_on_postgres() {
    three_laptops_converge(Backend::Postgres);
}

/// A laptop whose clock was wrong: its waiting changes were stamped
/// `stamped_ahead_ms` fast, and its clock now reads `clock_ahead_ms` fast
/// (0 once corrected). Everything else is the real store.
struct WrongClock<'a> {
    store: &'a mut Store,
    stamped_ahead_ms: i64,
    clock_ahead_ms: i64,
}

impl SyncStore for WrongClock<'_> {
    type Error = StoreError;
    fn pending_count(&self) -> Result<usize, StoreError> {
        SyncStore::pending_count(&*self.store)
    }
    fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>, StoreError> {
        let mut batch = SyncStore::pending_batch(&*self.store, limit)?;
        for m in &mut batch {
            m.hlc.wall_ms += self.stamped_ahead_ms;
        }
        Ok(batch)
    }
    fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged, StoreError> {
        SyncStore::acknowledge(&mut *self.store, results)
    }
    fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>, StoreError> {
        SyncStore::unsent_resolutions(&*self.store)
    }
    fn resolution_sent(&mut self, conflict: uuid::Uuid) -> Result<(), StoreError> {
        SyncStore::resolution_sent(&mut *self.store, conflict)
    }
    fn sync_cursor(&self) -> Result<i64, StoreError> {
        SyncStore::sync_cursor(&*self.store)
    }
    fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied, StoreError> {
        SyncStore::apply_pull_page(&mut *self.store, page)
    }
    fn sync_finished(&mut self) -> Result<(), StoreError> {
        SyncStore::sync_finished(&mut *self.store)
    }
    fn wipe(&mut self) -> Result<Vec<PathBuf>, StoreError> {
        SyncStore::wipe(&mut *self.store)
    }
    fn clock_ms(&self) -> i64 {
        system_clock_ms() + self.clock_ahead_ms
    }
}

/// A laptop whose clock is three days fast is refused, keeps every change,
/// and sends them all once its clock is corrected; the server never holds a
/// stamp from the wrong clock.
fn a_fast_clock_loses_nothing(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (testdb, base) = start_server(&runtime, backend);
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let mut ben = Laptop::sign_in(&base, "ben.k");
    let id = amy.store.create(client("Clock Person")).unwrap().meta.id;
    amy.store.create(contact(id, "met at the station")).unwrap();
    let three_days = 3 * 86_400_000;

    let mut fast = WrongClock { store: &mut amy.store, stamped_ahead_ms: three_days, clock_ahead_ms: three_days };
    let err = Engine::default().run(&mut fast, &mut amy.transport, &mut |_| {}).unwrap_err();
    let SyncError::ClockAhead { skew, waiting } = &err else { panic!("expected ClockAhead, got {err}") };
    assert_eq!(*waiting, 2);
    assert!(skew.ahead_ms > three_days - 60_000, "{skew:?}");
    assert!(err.to_string().starts_with("this laptop's clock is 3 days ahead of the server"), "{err}");
    assert_eq!(amy.store.outbox_len().unwrap(), 2, "both changes wait, neither applied nor dropped");
    ben.sync();
    assert!(ben.store.record_states().unwrap().is_empty(), "the server applied nothing");
    let audit = runtime.block_on(testdb.db().audit_log(None, 1000)).unwrap();
    assert_eq!(audit.iter().filter(|a| a.entry.action == "push_refused").count(), 1);

    // the clock is corrected; the changes still carry the fast stamps
    let mut corrected = WrongClock { store: &mut amy.store, stamped_ahead_ms: three_days, clock_ahead_ms: 0 };
    let report = Engine::default().run(&mut corrected, &mut amy.transport, &mut |_| {}).unwrap();
    assert_eq!(report.acknowledged.removed, 2);
    assert_eq!(amy.store.outbox_len().unwrap(), 0);
    ben.sync();
    let received = ben.store.get::<Client>(id).unwrap();
    assert_eq!(received.body.display_name(), "Clock Person");
    assert!(
        received.meta.hlc.wall_ms <= system_clock_ms() + outreach_protocol::RESTAMP_AHEAD_MS,
        "the server holds no stamp from the wrong clock: {:?}",
        received.meta.hlc
    );
    assert_eq!(ben.store.record_states().unwrap().len(), 2, "both of amy's changes arrived");

    runtime.block_on(testdb.cleanup()).unwrap();
}

#[test]
fn a_fast_clock_loses_nothing_on_sqlite() {
    a_fast_clock_loses_nothing(Backend::Sqlite);
}

#[test]
fn a_fast_clock_loses_nothing_on_postgres() {
    a_fast_clock_loses_nothing(Backend::Postgres);
}
