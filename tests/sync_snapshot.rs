//! A new device's first sync is a snapshot pinned at one sequence, and a
//! device whose store drifted from the server (a record silently lost, or
//! one kept after it left its scope) converges after one digest check; all
//! over HTTP to a real `outreach-server` on loopback (SQLite and PostgreSQL).

use outreach_domain::{Client, Hlc, RecordKind};
use outreach_protocol::api::{PullResponse, PushRequest, PushResponse, RecordChange, ResolveRequest, ScopeDigest};
use outreach_server_db::Backend;
use outreach_sync::{Engine, Phase, SyncError, SyncTransport, TransportError};
use outreach_tests::{Laptop, client, start_server};
use uuid::Uuid;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// One pull request and its answer, as a transport saw them.
#[derive(Debug, Clone)]
struct Asked {
    cursor: i64,
    until: Option<i64>,
    snapshot_seq: Option<i64>,
    has_more: bool,
    remaining: i64,
    records: usize,
}

/// An HTTP transport that notes every pull, can lose one answer, and runs
/// `between` after each page (to write on the server while a snapshot is
/// under way).
struct Watched<'a> {
    inner: &'a mut outreach_client::HttpTransport,
    asked: Vec<Asked>,
    lose_answer_of_pull: Option<usize>,
    between: &'a mut (dyn FnMut(usize) + Send),
}

impl SyncTransport for Watched<'_> {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        self.inner.push(request)
    }

    fn pull(&mut self, cursor: i64, limit: usize) -> Result<PullResponse, TransportError> {
        self.pull_until(cursor, limit, None)
    }

    fn pull_until(&mut self, cursor: i64, limit: usize, until: Option<i64>) -> Result<PullResponse, TransportError> {
        let page = self.inner.pull_until(cursor, limit, until)?;
        self.asked.push(Asked {
            cursor,
            until,
            snapshot_seq: page.snapshot_seq,
            has_more: page.has_more,
            remaining: page.remaining,
            records: page.changes.len(),
        });
        let n = self.asked.len();
        if self.lose_answer_of_pull == Some(n) {
            return Err(TransportError::Network("connection dropped during pull".into()));
        }
        (self.between)(n);
        Ok(page)
    }

    fn resolve(&mut self, conflict: Uuid, request: &ResolveRequest) -> Result<(), TransportError> {
        self.inner.resolve(conflict, request)
    }

    fn digest(&mut self, cursor: i64) -> Result<Option<ScopeDigest>, TransportError> {
        self.inner.digest(cursor)
    }
}

#[test]
fn a_new_device_snapshots_at_one_sequence_resumes_it_and_loses_no_write_made_meanwhile() {
    pinned_snapshot(Backend::Sqlite);
}

#[test]
fn a_new_device_snapshots_at_one_sequence_on_postgres() {
    pinned_snapshot(Backend::Postgres);
}

fn pinned_snapshot(backend: Backend) {
    let runtime = runtime();
    let (_db, base) = start_server(&runtime, backend);
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let ids: Vec<Uuid> = (0..12).map(|i| amy.store.create(client(&format!("Person {i}"))).unwrap().meta.id).collect();
    amy.sync();

    let mut ben = Laptop::sign_in(&base, "ben.k");
    let engine = Engine { page_size: 3, ..Engine::default() };
    // While ben's snapshot is under way, amy changes a record ben already
    // has, one he has not received yet, and adds a new one.
    let mut added = None;
    let mut between = |page: usize| {
        if page == 1 {
            amy.store.update::<Client>(ids[0], |c| c.phone = Some("0151 000 0001".to_string().into())).unwrap();
            amy.store.update::<Client>(ids[9], |c| c.phone = Some("0151 000 0009".to_string().into())).unwrap();
            added = Some(amy.store.create(client("Person Late")).unwrap().meta.id);
            amy.sync();
        }
    };
    let mut transport =
        Watched { inner: &mut ben.transport, asked: Vec::new(), lose_answer_of_pull: Some(3), between: &mut between };
    let mut totals = Vec::new();
    let first = engine.run(&mut ben.store, &mut transport, &mut |_| {});
    assert!(matches!(first, Err(SyncError::Network(_))), "the third page was lost: {first:?}");
    let snapshot = transport.asked[0].snapshot_seq.expect("a pull from 0 is pinned");
    assert_eq!(ben.store.snapshot_until().unwrap(), Some(snapshot), "the snapshot is kept with its pages");
    engine
        .run(&mut ben.store, &mut transport, &mut |p| {
            if p.phase == Phase::Pull {
                totals.push(p.percent);
            }
        })
        .unwrap();
    let asked = transport.asked.clone();
    drop(transport);

    // Every snapshot page after the first was asked `until` the snapshot's
    // sequence, also after the connection dropped, and the total stayed
    // the snapshot's size.
    let pinned: Vec<&Asked> = asked.iter().take_while(|a| a.snapshot_seq.is_some()).collect();
    assert!(pinned.len() >= 4, "{asked:?}");
    assert_eq!(pinned[0].until, None);
    assert!(pinned.iter().all(|a| a.snapshot_seq == Some(snapshot)), "{asked:?}");
    assert!(pinned[1..].iter().all(|a| a.until == Some(snapshot) && a.cursor > 0), "{asked:?}");
    // The total is the snapshot's 12 records: new writes never join it, and
    // a record changed before the snapshot reached it leaves it (it comes
    // with the increments).
    let mut delivered = 0;
    let mut totals_seen = Vec::new();
    for (n, a) in pinned.iter().enumerate() {
        if n == 3 {
            // the page whose answer was lost is asked again
            delivered -= pinned[2].records as i64;
        }
        delivered += a.records as i64;
        totals_seen.push(delivered + a.remaining);
    }
    assert_eq!(totals_seen.first(), Some(&12), "{asked:?}");
    assert!(totals_seen.windows(2).all(|w| w[1] <= w[0]), "the total never grows: {totals_seen:?}");
    assert_eq!(delivered, 11, "all but the record changed before the snapshot reached it: {asked:?}");
    assert!(!pinned.last().unwrap().has_more);
    // Then plain increments bring what changed during the snapshot.
    let after: Vec<&Asked> = asked.iter().skip(pinned.len()).collect();
    assert!(!after.is_empty() && after.iter().all(|a| a.until.is_none() && a.snapshot_seq.is_none()), "{asked:?}");
    assert_eq!(after.iter().map(|a| a.records).sum::<usize>(), 3, "the two edits and the new record: {asked:?}");
    assert_eq!(ben.store.snapshot_until().unwrap(), None);

    amy.sync();
    let theirs = amy.store.record_states().unwrap();
    assert_eq!(theirs.len(), 13);
    assert_eq!(ben.store.record_states().unwrap(), theirs, "nothing lost, every change in its latest version");
    assert!(added.is_some_and(|id| theirs.contains_key(&id)));
    assert_eq!(totals.last(), Some(&100));
}

/// A record as the server would send it, filed under `area`.
fn foreign_record(area: &str) -> RecordChange {
    let id = Uuid::now_v7();
    let data = serde_json::to_value(Client { area: area.into(), ..client("Someone Else") }).unwrap();
    RecordChange {
        id,
        kind: RecordKind::Client,
        client_id: Some(id),
        data: data.as_object().cloned().unwrap_or_default(),
        version: 1,
        seq: 1,
        deleted: false,
        erased: false,
        hlc: Hlc::zero(Uuid::now_v7()).tick(chrono::Utc::now().timestamp_millis()),
        updated_at: chrono::Utc::now(),
        updated_by: "wes.t".into(),
        area: Some(area.to_lowercase()),
    }
}

/// A page that changes the store behind the server's back (the cursor stays).
fn behind_the_servers_back(changes: Vec<RecordChange>, drops: Vec<Uuid>) -> PullResponse {
    PullResponse {
        changes,
        conflicts: vec![],
        drops,
        next_cursor: 0,
        has_more: false,
        remaining: 0,
        snapshot_seq: None,
        unreadable: vec![],
    }
}

#[test]
fn a_device_that_drifted_converges_after_one_digest_check() {
    drift(Backend::Sqlite);
}

#[test]
fn a_device_that_drifted_converges_after_one_digest_check_on_postgres() {
    drift(Backend::Postgres);
}

fn drift(backend: Backend) {
    let runtime = runtime();
    let (_db, base) = start_server(&runtime, backend);
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let ids: Vec<Uuid> = (0..5).map(|i| amy.store.create(client(&format!("Person {i}"))).unwrap().meta.id).collect();
    amy.sync();
    let mut ben = Laptop::sign_in(&base, "ben.k");
    let first = ben.sync();
    assert!(first.digest_checked, "a new device compares once it has its snapshot");
    assert_eq!(first.resnapshotted, 0, "and agrees with the server");
    let server_copy = amy.store.record_states().unwrap();
    assert_eq!(ben.store.record_states().unwrap(), server_copy);

    // A sync with nothing new does not ask for the digest again the same day.
    assert!(!ben.sync().digest_checked);

    // ben's store silently loses a record and gains one the server does
    // not give him (another area's client); the cursor is untouched.
    let kept = foreign_record("Wirral");
    ben.store.apply_pull_page(&behind_the_servers_back(vec![kept.clone()], vec![ids[2]])).unwrap();
    let drifted = ben.store.record_states().unwrap();
    assert!(!drifted.contains_key(&ids[2]) && drifted.contains_key(&kept.id));
    assert!(!ben.sync().digest_checked, "not due yet: the drift goes unnoticed until the next check");

    ben.store.digest_due_now().unwrap();
    let report = ben.sync();
    assert!(report.digest_checked);
    assert_eq!(report.resnapshotted, 2, "the Liverpool unit (lost record) and the caseload unit (foreign record)");
    assert_eq!(ben.store.record_states().unwrap(), server_copy, "converged in one check");

    // The property: a converged device's digest equals the server's.
    ben.store.digest_due_now().unwrap();
    let again = ben.sync();
    assert!(again.digest_checked && again.resnapshotted == 0, "{again:?}");
}

#[test]
fn an_edit_to_a_record_the_server_does_not_give_the_device_is_kept_for_the_worker() {
    let runtime = runtime();
    let (_db, base) = start_server(&runtime, Backend::Sqlite);
    let mut ben = Laptop::sign_in(&base, "ben.k");
    ben.sync();
    // A record the server does not give ben, but which ben has edited and
    // not yet sent: the re-snapshot must not throw the edit away.
    let foreign = foreign_record("Wirral");
    ben.store.apply_pull_page(&behind_the_servers_back(vec![foreign.clone()], vec![])).unwrap();
    ben.store.update::<Client>(foreign.id, |c| c.phone = Some("0151 000 0002".to_string().into())).unwrap();
    assert!(!ben.store.digest_due().unwrap(), "checked at the first sync");
    ben.store.digest_due_now().unwrap();
    // The push is refused (the server has no such record for ben) and the
    // edit moves to 'needs attention'; then the digest check finds the
    // record the server does not give ben and removes it. The worker's edit
    // is not lost: it waits in 'needs attention'.
    let report = ben.sync();
    assert_eq!(report.acknowledged.rejected, 1, "{report:?}");
    assert_eq!(report.resnapshotted, 1, "{report:?}");
    let attention = ben.store.needs_attention().unwrap();
    assert_eq!(attention.iter().map(|n| n.mutation.record_id).collect::<Vec<_>>(), vec![foreign.id]);
    assert!(!ben.store.record_states().unwrap().contains_key(&foreign.id));
}
