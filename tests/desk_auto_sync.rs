//! Automatic sync in the desk, against a real `outreach-server` on loopback
//! that the tests stop and start: a change made while the server is down
//! goes by itself once it is back (no `sync_now`), failed runs are retried
//! on their own timer with no new change, nothing runs while the store is
//! locked, and a revoked laptop stops for good.
//!
//! The tests wait with generous deadlines and assert on what happened,
//! never on how fast.

use outreach_desk::inputs::ClientInput;
use outreach_desk::{Desk, ErrorKind, SyncSchedule};
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Backend, Database};
use outreach_tests::SERVER_PASSWORD;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "automatic sync test passphrase";

/// A server on loopback that can be stopped and started again on its port.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn start(runtime: &tokio::runtime::Runtime, db: Arc<dyn Database>, addr: Option<SocketAddr>) -> Self {
        runtime.block_on(async {
            let bind = addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
            let listener = tokio::net::TcpListener::bind(bind).await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let state = AppState::new(db, ServerConfig::default());
            let task = tokio::spawn(outreach_server::serve(listener, state, async move {
                let _ = stopped.await;
            }));
            Self { addr, stop: Some(stop), task: Some(task) }
        })
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits until the port is free.
    fn stop(&mut self, runtime: &tokio::runtime::Runtime) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            runtime.block_on(async {
                let abort = task.abort_handle();
                if tokio::time::timeout(Duration::from_secs(20), task).await.is_err() {
                    abort.abort();
                }
            });
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn database(runtime: &tokio::runtime::Runtime) -> TestDb {
    runtime.block_on(async {
        let t = TestDb::new(Backend::Sqlite).await.expect("test database");
        outreach_tests::liverpool_team(&*t.db()).await;
        t
    })
}

/// Short intervals so the tests do not wait minutes; the runs every
/// `every` while all goes well.
fn schedule(every: Duration) -> SyncSchedule {
    SyncSchedule {
        automatic: true,
        every,
        probe_every: Duration::from_millis(100),
        retry_base: Duration::from_millis(100),
        retry_max: Duration::from_millis(400),
    }
}

fn signed_in_desk(dir: &tempfile::TempDir, base: &str, schedule: SyncSchedule) -> Desk {
    let desk = Desk::with_sync_schedule(dir.path().join("amy.w"), schedule);
    desk.create_store(PASSPHRASE, "amy.w").unwrap();
    desk.sign_in(base, "amy.w", SERVER_PASSWORD).unwrap();
    desk
}

/// Waits until `done` holds, failing after a minute.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn add_client(desk: &Desk) {
    desk.add_client(ClientInput {
        name: Some("Waiting Person".into()),
        area: "Liverpool".into(),
        ..Default::default()
    })
    .unwrap();
}

#[test]
fn a_change_made_offline_is_retried_on_its_own_timer_and_syncs_when_the_server_is_back() {
    let runtime = runtime();
    let db = database(&runtime);
    let mut server = Server::start(&runtime, db.db(), None);
    let dir = tempfile::tempdir().unwrap();
    // Runs while all is well only once an hour: every run below is a retry
    // or a reconnect.
    let desk = signed_in_desk(&dir, &server.base(), schedule(Duration::from_secs(3600)));
    server.stop(&runtime);

    add_client(&desk);
    let pending = desk.sync_status().unwrap().pending;
    assert_eq!(pending, 2, "the client and its caseload assignment wait");
    // A new session: its first run is due at once, and fails.
    desk.lock().unwrap();
    desk.unlock(PASSPHRASE).unwrap();
    let before = desk.sync_attempts();
    wait_for("three failed runs with no new change", || desk.sync_attempts() >= before + 3 && !desk.sync_running());
    let status = desk.sync_status().unwrap();
    assert_eq!(status.state, "offline", "{status:?}");
    assert!(status.automatic, "{status:?}");
    assert!(status.next_attempt_at.is_some(), "the next try is shown: {status:?}");
    assert_eq!(status.pending, pending, "nothing was lost or sent");
    assert!(status.last_synced_at.is_none());

    // The server comes back on the same address: the desk notices and syncs
    // by itself; nobody calls sync_now.
    let server = Server::start(&runtime, db.db(), Some(server.addr));
    wait_for("the waiting changes to be sent", || {
        desk.sync_status().is_ok_and(|s| s.state == "idle" && s.pending == 0)
    });
    let status = desk.sync_status().unwrap();
    assert!(status.last_synced_at.is_some(), "{status:?}");
    assert!(status.next_attempt_at.is_some(), "the next regular run is scheduled: {status:?}");

    // The other laptop, which only syncs by hand, receives the client.
    let ben = Desk::with_sync_schedule(dir.path().join("ben.k"), SyncSchedule::manual());
    ben.create_store(PASSPHRASE, "ben.k").unwrap();
    ben.sign_in(&server.base(), "ben.k", SERVER_PASSWORD).unwrap();
    assert!(!ben.sync_status().unwrap().automatic);
    ben.sync_now().unwrap();
    wait_for("ben's sync", || !ben.sync_running());
    let status = ben.sync_status().unwrap();
    assert_eq!(status.state, "idle", "{status:?}");
    assert!(status.next_attempt_at.is_none(), "no automatic sync, no next attempt: {status:?}");
    let hits = ben.search_clients("waiting person", Default::default(), 5).unwrap();
    assert_eq!(hits.len(), 1, "the change made offline reached the other laptop");
}

#[test]
fn nothing_syncs_while_locked_and_a_revoked_laptop_stops_for_good() {
    let runtime = runtime();
    let db = database(&runtime);
    let server = Server::start(&runtime, db.db(), None);
    let dir = tempfile::tempdir().unwrap();
    let desk = signed_in_desk(&dir, &server.base(), schedule(Duration::from_millis(200)));
    // Regular runs happen with nothing new to send.
    wait_for("two regular runs", || desk.sync_attempts() >= 2);

    add_client(&desk);
    desk.lock().unwrap();
    wait_for("a run in progress to stop", || !desk.sync_running());
    let locked_at = desk.sync_attempts();
    // Many regular intervals pass while locked.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(desk.sync_attempts(), locked_at, "no run while locked");
    assert_eq!(desk.sync_status().unwrap_err().kind, ErrorKind::Locked);

    desk.unlock(PASSPHRASE).unwrap();
    // A run may already have sent the change just before locking: what
    // counts is that runs start again once unlocked and nothing waits.
    wait_for("a run after unlocking, with the change made before locking sent", || {
        desk.sync_attempts() > locked_at
            && !desk.sync_running()
            && desk.sync_status().is_ok_and(|s| s.pending == 0 && s.state == "idle")
    });

    // Revoked: the next regular run wipes the store, then nothing runs again.
    let device = desk.sign_in(&server.base(), "amy.w", SERVER_PASSWORD).unwrap().device_id;
    runtime.block_on(db.db().revoke_device(device, Some("reported lost"))).unwrap();
    wait_for("the revocation to be noticed", || desk.sync_status().is_ok_and(|s| s.state == "revoked"));
    let revoked_at = desk.sync_attempts();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(desk.sync_attempts(), revoked_at, "a revoked laptop does not try again");
    let status = desk.sync_status().unwrap();
    assert!(!status.automatic && status.next_attempt_at.is_none(), "{status:?}");
    assert!(!dir.path().join("amy.w/outreach.db").exists(), "the store was wiped");
}

#[test]
fn signing_in_starts_a_sync_at_once() {
    let runtime = runtime();
    let db = database(&runtime);
    let server = Server::start(&runtime, db.db(), None);
    let dir = tempfile::tempdir().unwrap();
    // Regular runs only once an hour: a run within the minute is the sign-in's.
    let desk = Desk::with_sync_schedule(dir.path().join("amy.w"), schedule(Duration::from_secs(3600)));
    desk.create_store(PASSPHRASE, "amy.w").unwrap();
    add_client(&desk);
    assert!(desk.sync_status().unwrap().last_synced_at.is_none());
    desk.sign_in(&server.base(), "amy.w", SERVER_PASSWORD).unwrap();
    wait_for("the first sync after signing in", || {
        desk.sync_status().is_ok_and(|s| s.last_synced_at.is_some() && s.pending == 0 && s.state == "idle")
    });
    assert_eq!(desk.sync_attempts(), 1, "one run, started by signing in");
}
