//! Devices for sync tests: a real encrypted store in a temporary folder,
//! connected to an in-process server.

#![allow(dead_code)]

use outreach_domain::Client;
use outreach_store::Store;
use outreach_store::store::sync::RecordStates;
use outreach_sync::testing::{FakeServer, FakeTransport};
use outreach_sync::{Engine, SyncError, SyncReport};
use serde_json::Value;
use uuid::Uuid;

/// The passphrase of every test store.
pub const PASS: &str = "correct horse battery staple";

/// One laptop: its store and its connection to the server.
pub struct Device {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
    /// The store.
    pub store: Store,
    /// The connection.
    pub transport: FakeTransport,
}

impl Device {
    /// A new laptop for `user`, connected to `server`.
    pub fn new(server: &FakeServer, user: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path(), PASS, user).unwrap();
        let transport = server.connect(user, store.device_id());
        Self { dir, store, transport }
    }

    /// One sync run with the default engine.
    pub fn try_sync(&mut self) -> Result<SyncReport, SyncError<outreach_store::StoreError>> {
        Engine::default().run(&mut self.store, &mut self.transport, &mut |_| {})
    }

    /// One sync run that must succeed.
    pub fn sync(&mut self) -> SyncReport {
        self.try_sync().unwrap()
    }

    /// Every record held: id to (fields, tombstone).
    pub fn states(&self) -> RecordStates {
        self.store.record_states().unwrap()
    }

    /// One field of one record as stored.
    pub fn field(&self, id: Uuid, field: &str) -> Value {
        self.states().get(&id).and_then(|(data, _)| data.get(field).cloned()).unwrap_or(Value::Null)
    }

    /// Whether the record is held as a tombstone.
    pub fn deleted(&self, id: Uuid) -> bool {
        self.states()[&id].1
    }

    /// Creates a named client.
    pub fn add_client(&mut self, name: &str) -> Uuid {
        self.store.create(client(name)).unwrap().meta.id
    }

    /// Sets one of a client's free-text fields (`phone`, `usual_site`,
    /// `email`, `last_known_address`).
    pub fn set(&mut self, id: Uuid, field: &str, value: &str) {
        let value = Some(value.to_string().into());
        self.store
            .update::<Client>(id, |c| match field {
                "phone" => c.phone = value,
                "usual_site" => c.usual_site = value,
                "email" => c.email = value,
                "last_known_address" => c.last_known_address = value,
                other => panic!("no test field {other}"),
            })
            .unwrap();
    }
}

/// A client record with a name, in Wirral.
pub fn client(name: &str) -> Client {
    Client { name: Some(name.to_string().into()), area: "Wirral".into(), ..Default::default() }
}

/// Syncs every device in order, `rounds` times.
pub fn sync_all(devices: &mut [&mut Device], rounds: usize) {
    for _ in 0..rounds {
        for device in devices.iter_mut() {
            device.sync();
        }
    }
}

/// Asserts every device and the server hold the same records, and every
/// device the same conflicts.
pub fn assert_converged(server: &FakeServer, devices: &[&Device]) {
    let expected = server.records();
    let conflicts = server.conflicts();
    for (i, device) in devices.iter().enumerate() {
        assert_eq!(device.states(), expected, "device {i} differs from the server");
        assert_eq!(device.store.outbox_len().unwrap(), 0, "device {i} has changes waiting");
        assert_eq!(device.store.conflicts().unwrap(), conflicts, "device {i} has other conflicts");
    }
}
