//! Helpers shared by the end-to-end tests in `tests/`: synthetic records,
//! fixed test secrets, a real server on loopback and a signed-in
//! [`Laptop`]. No real person's data.

use chrono::Utc;
use outreach_domain::{Client, Contact, ContactPurpose, ContactType, LivingSituation};
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::Backend;
use outreach_server_db::testing::TestDb;
use uuid::Uuid;

/// The passphrase test stores are created with.
pub const PASSPHRASE: &str = "end to end test passphrase";
/// Every test user's password on test servers.
pub const SERVER_PASSWORD: &str = "server password for tests";

/// Starts a real `outreach-server` on loopback, on a new test database of
/// `backend` holding [`liverpool_team`]'s accounts. It serves until
/// `runtime` is dropped; the database is dropped with the returned value.
pub fn start_server(runtime: &tokio::runtime::Runtime, backend: Backend) -> (TestDb, String) {
    runtime.block_on(async {
        let t = TestDb::new(backend).await.expect("test database");
        liverpool_team(&*t.db()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let state = AppState::new(t.db(), ServerConfig::default());
        tokio::spawn(outreach_server::serve(listener, state, std::future::pending()));
        (t, base)
    })
}

/// Sets up the test server's accounts: the team "Liverpool Outreach"
/// (Liverpool) and the workers amy.w, ben.k and cara.m in it, each with
/// [`SERVER_PASSWORD`].
pub async fn liverpool_team(db: &dyn outreach_server_db::Database) {
    let hash = outreach_server_db::credentials::hash_password(SERVER_PASSWORD).unwrap();
    db.add_team("Liverpool Outreach", &["Liverpool".into()]).await.unwrap();
    for name in ["amy.w", "ben.k", "cara.m"] {
        db.add_user(outreach_server_db::NewUser {
            name: name.into(),
            password_hash: hash.clone(),
            roles: vec![outreach_protocol::api::Role::Worker],
            teams: vec!["Liverpool Outreach".into()],
        })
        .await
        .unwrap();
    }
}

/// A worker's laptop: a real encrypted store in a temporary folder, signed
/// in to a server over HTTP.
pub struct Laptop {
    _dir: tempfile::TempDir,
    /// The laptop's store.
    pub store: outreach_store::Store,
    /// Its signed-in transport.
    pub transport: outreach_client::HttpTransport,
}

impl Laptop {
    /// A new store for `user`, signed in to the server at `base`.
    pub fn sign_in(base: &str, user: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut store = outreach_store::Store::init(dir.path(), PASSPHRASE, user).unwrap();
        let request = outreach_protocol::api::LoginRequest {
            user: user.into(),
            password: SERVER_PASSWORD.into(),
            device_id: store.device_id(),
            device_name: format!("{user}-laptop"),
        };
        let response = outreach_client::login(base, &request).expect("sign in");
        store.save_sign_in(base, &response.token).unwrap();
        let transport = outreach_client::HttpTransport::new(base, &response.token).unwrap();
        Self { _dir: dir, store, transport }
    }

    /// One sync run with `engine`.
    pub fn try_sync(
        &mut self,
        engine: outreach_sync::Engine,
    ) -> Result<outreach_sync::SyncReport, outreach_sync::SyncError<outreach_store::StoreError>> {
        engine.run(&mut self.store, &mut self.transport, &mut |_| {})
    }

    /// One sync run that must succeed.
    pub fn sync(&mut self) -> outreach_sync::SyncReport {
        self.try_sync(outreach_sync::Engine::default()).unwrap_or_else(|e| panic!("sync failed: {e}"))
    }
}

/// A minimal valid client.
pub fn client(name: &str) -> Client {
    Client { name: Some(name.to_string().into()), area: "Liverpool".into(), ..Default::default() }
}

/// A minimal valid contact with `client_id`.
pub fn contact(client_id: Uuid, note: &str) -> Contact {
    Contact {
        client_id,
        at: Utc::now().fixed_offset(),
        location: None,
        contact_type: ContactType::FaceToFace,
        purpose: ContactPurpose::KeyWork,
        worker: "amy.w".into(),
        notes: note.to_string().into(),
        outcome: None,
        living_situation: LivingSituation::Hostel,
        bedded_down: false,
        amends: None,
    }
}
