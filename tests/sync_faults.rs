//! Sync under network faults: a small TCP proxy on loopback sits between
//! each laptop's `HttpTransport` and a real `outreach-server` (embedded
//! SQLite, and PostgreSQL) and can be told to cut the connection part-way through one
//! request or one response. After every fault a clean sync must converge
//! all laptops and the server must hold each record exactly once, at the
//! version its changes imply (a change applied twice would show as a
//! version too high).

use outreach_domain::Client;
use outreach_protocol::api::Role;
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Actor, Backend, Database};
use outreach_sync::{Engine, Phase, SyncError, SyncReport};
use outreach_tests::{Laptop, client, liverpool_team};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

const PUSH: &[u8] = b"POST /api/v1/sync/push ";
const PULL: &[u8] = b"GET /api/v1/sync/pull?";

/// Which half of an exchange a fault cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

/// Cut the connection carrying the `skip`+1-th request whose head contains
/// `marker`, after `body_bytes` bytes of that request's or its response's
/// body (counted after the blank line ending the head) have been passed on.
#[derive(Debug, Clone, Copy)]
struct Fault {
    marker: &'static [u8],
    skip: usize,
    side: Side,
    body_bytes: usize,
}

#[derive(Debug)]
struct ProxyState {
    upstream: SocketAddr,
    fault: Option<Fault>,
    fired: usize,
}

/// A TCP proxy on 127.0.0.1 that forwards to `upstream` (changeable, so a
/// restarted server on a new port sits behind the same address).
#[derive(Clone)]
struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<ProxyState>>,
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Counts the head of a message (up to and including the blank line),
/// then the body bytes, against a budget.
struct Cut {
    side: Side,
    head: Vec<u8>,
    in_body: bool,
    left: usize,
}

impl Cut {
    /// How many of `chunk` may pass; `None` when all of it may and the cut
    /// is still ahead.
    fn allow(&mut self, chunk: &[u8]) -> Option<usize> {
        let mut start = 0;
        if !self.in_body {
            let before = self.head.len();
            self.head.extend_from_slice(chunk);
            match find(&self.head, b"\r\n\r\n") {
                Some(end) => {
                    self.in_body = true;
                    start = end + 4 - before;
                }
                None => return None,
            }
        }
        let body = chunk.len() - start;
        if body >= self.left {
            Some(start + self.left)
        } else {
            self.left -= body;
            None
        }
    }
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(ProxyState { upstream, fault: None, fired: 0 }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(relay(conn, shared.clone()));
            }
        });
        Self { addr, state }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn arm(&self, fault: Fault) {
        self.state.lock().unwrap().fault = Some(fault);
    }

    fn fired(&self) -> usize {
        self.state.lock().unwrap().fired
    }

    fn point_at(&self, upstream: SocketAddr) {
        self.state.lock().unwrap().upstream = upstream;
    }
}

/// Whether `chunk` starts the request the armed fault is for: its side,
/// budget and where the request starts in `chunk`.
fn trigger(state: &Mutex<ProxyState>, chunk: &[u8]) -> Option<(Side, usize, usize)> {
    let mut s = state.lock().unwrap();
    let fault = s.fault?;
    let at = find(chunk, fault.marker)?;
    if fault.skip > 0 {
        s.fault = Some(Fault { skip: fault.skip - 1, ..fault });
        return None;
    }
    s.fault = None;
    s.fired += 1;
    Some((fault.side, fault.body_bytes, at))
}

/// Relays one client connection; returns (dropping both sockets) when
/// either side closes or the armed fault fires.
async fn relay(mut client: TcpStream, state: Arc<Mutex<ProxyState>>) {
    let upstream = state.lock().unwrap().upstream;
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut up = vec![0u8; 64 * 1024];
    let mut down = vec![0u8; 64 * 1024];
    let mut cut: Option<Cut> = None;
    loop {
        tokio::select! {
            read = client_read.read(&mut up) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                let mut chunk = &up[..n];
                if cut.is_none()
                    && let Some((side, body_bytes, at)) = trigger(&state, chunk)
                {
                    cut = Some(Cut { side, head: Vec::new(), in_body: false, left: body_bytes });
                    if side == Side::Request {
                        // Pass what precedes the request, then count from its start.
                        if server_write.write_all(&chunk[..at]).await.is_err() { return; }
                        chunk = &chunk[at..];
                    }
                }
                if let Some(c) = cut.as_mut().filter(|c| c.side == Side::Request)
                    && let Some(pass) = c.allow(chunk)
                {
                    let _ = server_write.write_all(&chunk[..pass]).await;
                    let _ = server_write.flush().await;
                    // Give the server a moment to read the partial body, then cut.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return;
                }
                if server_write.write_all(chunk).await.is_err() { return; }
            }
            read = server_read.read(&mut down) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                let chunk = &down[..n];
                if let Some(c) = cut.as_mut().filter(|c| c.side == Side::Response)
                    && let Some(pass) = c.allow(chunk)
                {
                    let _ = client_write.write_all(&chunk[..pass]).await;
                    let _ = client_write.flush().await;
                    return;
                }
                if client_write.write_all(chunk).await.is_err() { return; }
            }
        }
    }
}

/// A running server task and how to stop it.
struct Server {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(db: Arc<dyn Database>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(db, ServerConfig::default());
    let task = tokio::spawn(outreach_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Server { addr, stop, task }
}

/// Bulk edits the fault scenarios make on a laptop.
trait FaultWork {
    fn add_clients(&mut self, n: usize) -> Vec<Uuid>;
    fn edit_all(&mut self, ids: &[Uuid], site: &str);
}

impl FaultWork for Laptop {
    fn add_clients(&mut self, n: usize) -> Vec<Uuid> {
        let bodies = (0..n).map(|i| client(&format!("Fault Person {i}"))).collect();
        self.store.create_many(bodies).unwrap().into_iter().map(|r| r.meta.id).collect()
    }

    fn edit_all(&mut self, ids: &[Uuid], site: &str) {
        for id in ids {
            self.store.update::<Client>(*id, |c| c.usual_site = Some(site.to_string().into())).unwrap();
        }
    }
}

/// A server on a temporary SQLite database behind a proxy, with three laptops.
struct Rig {
    runtime: tokio::runtime::Runtime,
    testdb: TestDb,
    server: Option<Server>,
    proxy: Proxy,
    laptops: Vec<Laptop>,
}

impl Rig {
    fn new(backend: Backend) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (testdb, server, proxy) = runtime.block_on(async {
            let t = TestDb::new(backend).await.expect("test database");
            let db = t.db();
            liverpool_team(&*db).await;
            let server = serve(db).await;
            let proxy = Proxy::start(server.addr).await;
            (t, server, proxy)
        });
        let base = proxy.base();
        let laptops = ["amy.w", "ben.k", "cara.m"].iter().map(|u| Laptop::sign_in(&base, u)).collect();
        Self { runtime, testdb, server: Some(server), proxy, laptops }
    }

    /// The server's records as amy's team sees them, read from its
    /// database (not over HTTP): id to (version, deleted), and how many
    /// changes the whole stream held (a record stored twice would count twice).
    fn server_records(&self) -> (BTreeMap<Uuid, (i64, bool)>, usize) {
        let db = self.testdb.db();
        let device = self.laptops[0].store.device_id();
        self.runtime.block_on(async {
            let user = db.user("amy.w").await.unwrap().expect("amy");
            let actor = Actor { user_id: user.id, user: user.name, device, roles: vec![Role::Worker] };
            let (mut map, mut count, mut cursor) = (BTreeMap::new(), 0, 0);
            loop {
                let page = db.pull(&actor, cursor, 1_000).await.unwrap();
                count += page.changes.len();
                for c in page.changes {
                    map.insert(c.id, (c.version, c.deleted));
                }
                cursor = page.next_cursor;
                if !page.has_more {
                    break;
                }
            }
            (map, count)
        })
    }

    /// Every laptop syncs cleanly (twice round), then all hold the same
    /// records and the server holds each of `expected` once at its version.
    fn converge(&mut self, expected: &BTreeMap<Uuid, i64>) {
        for _ in 0..2 {
            for laptop in &mut self.laptops {
                laptop.sync();
            }
        }
        let states: Vec<_> = self.laptops.iter().map(|l| l.store.record_states().unwrap()).collect();
        assert!(states.windows(2).all(|w| w[0] == w[1]), "laptops differ after a clean sync");
        assert_eq!(states[0].len(), expected.len(), "laptops hold every record and no more");
        for laptop in &self.laptops {
            assert_eq!(laptop.store.outbox_len().unwrap(), 0, "nothing left to send");
        }
        let (server, rows) = self.server_records();
        assert_eq!(rows, expected.len(), "the server holds each record exactly once");
        for (id, version) in expected {
            assert_eq!(server.get(id), Some(&(*version, false)), "server version of {id}");
        }
    }

    fn stop_server(&mut self) {
        let server = self.server.take().expect("a running server");
        let _ = server.stop.send(());
        self.runtime.block_on(async {
            match tokio::time::timeout(Duration::from_secs(10), server.task).await {
                Ok(done) => done.expect("server task").expect("server stopped cleanly"),
                Err(_) => panic!("the server did not stop within 10 s"),
            }
        });
    }

    /// A new server on the same database, opened afresh from its URL.
    fn start_server(&mut self) {
        let url = self.testdb.url();
        let server = self.runtime.block_on(async {
            let db = outreach_server_db::connect(&url).await.expect("reopen the database");
            serve(db).await
        });
        self.proxy.point_at(server.addr);
        self.server = Some(server);
    }

    fn finish(mut self) {
        if self.server.is_some() {
            self.stop_server();
        }
        let Self { runtime, testdb, .. } = self;
        runtime.block_on(testdb.cleanup()).unwrap();
    }
}

/// The run stopped because of the cut, with an error a scheduler retries.
/// A request cut is a network error. A response cut part-way through its
/// body is currently reported by `outreach-client` as the server's
/// `bad_response` (see the ignored test at the end), which is retryable
/// too but tells the worker the server failed rather than the connection.
fn expect_cut(result: Result<SyncReport, SyncError<outreach_store::StoreError>>) {
    match result {
        Err(e @ (SyncError::Network(_) | SyncError::Server { .. })) => {
            assert!(e.is_retryable(), "{e}");
            if let SyncError::Server { code, .. } = &e {
                assert_eq!(code, "bad_response", "{e}");
            }
        }
        Err(e) => panic!("expected a retryable transport error, got: {e}"),
        Ok(report) => panic!("expected the cut to fail the sync, but it completed: {report:?}"),
    }
}

fn expect_network_error(result: Result<SyncReport, SyncError<outreach_store::StoreError>>) {
    match result {
        Err(SyncError::Network(_)) => {}
        Err(e) => panic!("expected a network error, got: {e}"),
        Ok(report) => panic!("expected the cut to fail the sync, but it completed: {report:?}"),
    }
}

fn versions(ids: &[Uuid], version: i64) -> BTreeMap<Uuid, i64> {
    ids.iter().map(|id| (*id, version)).collect()
}

fn a_push_request_cut_midway_is_not_applied_and_the_retry_applies_it_once(backend: Backend) {
    let mut rig = Rig::new(backend);
    let ids = rig.laptops[0].add_clients(60);
    rig.proxy.arm(Fault { marker: PUSH, skip: 0, side: Side::Request, body_bytes: 400 });
    expect_network_error(rig.laptops[0].try_sync(Engine::default()));
    assert_eq!(rig.proxy.fired(), 1);
    assert_eq!(rig.server_records().1, 0, "a truncated push applies nothing");
    assert_eq!(rig.laptops[0].store.outbox_len().unwrap(), 60, "every change still waits");

    let report = rig.laptops[0].sync();
    assert_eq!(report.acknowledged.applied, 60);
    rig.converge(&versions(&ids, 1));
    rig.finish();
}

fn a_push_response_cut_midway_is_retried_without_applying_twice(backend: Backend) {
    let mut rig = Rig::new(backend);
    let ids = rig.laptops[0].add_clients(60);
    rig.converge(&versions(&ids, 1));

    // ben edits every record; the server applies the push but ben never hears
    rig.laptops[1].edit_all(&ids, "under the bridge");
    rig.proxy.arm(Fault { marker: PUSH, skip: 0, side: Side::Response, body_bytes: 40 });
    expect_cut(rig.laptops[1].try_sync(Engine::default()));
    assert_eq!(rig.proxy.fired(), 1);
    assert_eq!(rig.server_records().0, versions(&ids, 2).into_iter().map(|(k, v)| (k, (v, false))).collect());
    assert_eq!(rig.laptops[1].store.outbox_len().unwrap(), 60, "unacknowledged changes still wait");

    // the retry is acknowledged from the server's memory of the mutations
    let report = rig.laptops[1].sync();
    assert_eq!(report.acknowledged.removed, 60);
    assert_eq!(report.acknowledged.rejected, 0);
    rig.converge(&versions(&ids, 2));
    let merged = &rig.laptops[2].store.record_states().unwrap()[&ids[0]].0;
    assert_eq!(merged["usual_site"], serde_json::json!("under the bridge"));
    rig.finish();
}

fn a_pull_response_cut_midway_resumes_from_the_saved_cursor(backend: Backend) {
    let mut rig = Rig::new(backend);
    let ids = rig.laptops[0].add_clients(50);
    rig.laptops[0].sync();

    // ben pulls in pages of 10; the third page is cut part-way
    let engine = Engine { page_size: 10, ..Engine::default() };
    rig.proxy.arm(Fault { marker: PULL, skip: 2, side: Side::Response, body_bytes: 300 });
    expect_cut(rig.laptops[1].try_sync(engine));
    assert_eq!(rig.proxy.fired(), 1);
    let ben = &rig.laptops[1];
    assert_eq!(ben.store.record_states().unwrap().len(), 20, "two whole pages kept, the cut one not");
    let cursor = ben.store.sync_cursor().unwrap();
    assert!(cursor > 0, "the cursor of the last whole page is saved");

    // the next run starts at that cursor: the other 30, no more, no fewer
    let report = rig.laptops[1].try_sync(engine).expect("resumed sync");
    assert_eq!(report.pulled, 30, "resumed where it stopped: nothing duplicated or skipped");
    assert_eq!(report.applied.stale, 0);
    rig.converge(&versions(&ids, 1));
    rig.finish();
}

fn a_server_stopped_mid_sync_and_restarted_on_the_same_database_converges(backend: Backend) {
    let mut rig = Rig::new(backend);
    let ids = rig.laptops[0].add_clients(50);

    // amy pushes in batches of 10; the server stops after the first is acknowledged
    let engine = Engine { batch_size: 10, ..Engine::default() };
    let mut stopped = false;
    let result = {
        let Rig { runtime, server, laptops, .. } = &mut rig;
        let amy = &mut laptops[0];
        engine.run(&mut amy.store, &mut amy.transport, &mut |p| {
            if p.phase == Phase::Push && !stopped {
                stopped = true;
                let s = server.take().expect("a running server");
                let _ = s.stop.send(());
                runtime.block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), s.task)
                        .await
                        .expect("the server stops within 10 s")
                        .expect("server task")
                        .expect("server stopped cleanly");
                });
            }
        })
    };
    assert!(stopped);
    expect_network_error(result);
    assert_eq!(rig.server_records().1, 10, "only the acknowledged batch reached the server");
    assert_eq!(rig.laptops[0].store.outbox_len().unwrap(), 40);

    // a new server on the same database file; everyone syncs again
    rig.start_server();
    rig.converge(&versions(&ids, 1));

    // and it keeps working: an edit made after the restart reaches everyone once
    rig.laptops[2].edit_all(&ids[..5], "station");
    let mut expected = versions(&ids, 1);
    for id in &ids[..5] {
        expected.insert(*id, 2);
    }
    rig.converge(&expected);
    rig.finish();
}

#[test]
fn a_push_request_cut_midway_is_not_applied_and_the_retry_applies_it_once_on_sqlite() {
    a_push_request_cut_midway_is_not_applied_and_the_retry_applies_it_once(Backend::Sqlite);
}

#[test]
fn a_push_request_cut_midway_is_not_applied_and_the_retry_applies_it_once_on_postgres() {
    a_push_request_cut_midway_is_not_applied_and_the_retry_applies_it_once(Backend::Postgres);
}

#[test]
fn a_push_response_cut_midway_is_retried_without_applying_twice_on_sqlite() {
    a_push_response_cut_midway_is_retried_without_applying_twice(Backend::Sqlite);
}

#[test]
fn a_push_response_cut_midway_is_retried_without_applying_twice_on_postgres() {
    a_push_response_cut_midway_is_retried_without_applying_twice(Backend::Postgres);
}

#[test]
fn a_pull_response_cut_midway_resumes_from_the_saved_cursor_on_sqlite() {
    a_pull_response_cut_midway_resumes_from_the_saved_cursor(Backend::Sqlite);
}

#[test]
fn a_pull_response_cut_midway_resumes_from_the_saved_cursor_on_postgres() {
    a_pull_response_cut_midway_resumes_from_the_saved_cursor(Backend::Postgres);
}

#[test]
fn a_server_stopped_mid_sync_and_restarted_on_the_same_database_converges_on_sqlite() {
    a_server_stopped_mid_sync_and_restarted_on_the_same_database_converges(Backend::Sqlite);
}

#[test]
fn a_server_stopped_mid_sync_and_restarted_on_the_same_database_converges_on_postgres() {
    a_server_stopped_mid_sync_and_restarted_on_the_same_database_converges(Backend::Postgres);
}

/// A response body cut off part-way is a lost connection (retry later), not
/// a fault of the server: regression test for `outreach-client`'s `read`,
/// which once reported it as `bad_response`.
#[test]
fn a_response_cut_midway_is_reported_as_a_network_error() {
    let mut rig = Rig::new(Backend::Sqlite);
    rig.laptops[0].add_clients(20);
    rig.proxy.arm(Fault { marker: PUSH, skip: 0, side: Side::Response, body_bytes: 40 });
    expect_network_error(rig.laptops[0].try_sync(Engine::default()));
    rig.finish();
}
