//! Sync end to end: a real `outreach-server` on loopback (embedded SQLite
//! and PostgreSQL), three laptops with real encrypted stores, offline edits
//! to the same client on all three, synced in different orders over HTTP.
//! Checks convergence, the conflict queue, resolution and the audit log.

use outreach_domain::{Client, Gender};
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::Backend;
use outreach_server_db::testing::TestDb;
use outreach_sync::{Engine, SyncError};
use outreach_tests::{Laptop, client, contact, liverpool_team};
use serde_json::json;

fn start_server(runtime: &tokio::runtime::Runtime, backend: Backend) -> (TestDb, String) {
    runtime.block_on(async {
        let t = TestDb::new(backend).await.expect("test database");
        let db = t.db();
        liverpool_team(&*db).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(db, ServerConfig::default());
        tokio::spawn(outreach_server::serve(listener, state, std::future::pending()));
        (t, base)
    })
}

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

    // the server's audit log shows the pushes and pulls of this client
    let audit = runtime.block_on(testdb.db().audit_log(Some(id), 1000)).unwrap();
    let actions: std::collections::BTreeSet<String> = audit.into_iter().map(|a| a.entry.action).collect();
    assert!(actions.contains("push") && actions.contains("pull"), "{actions:?}");

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
