//! One sync run: push every waiting change in batches, acknowledging each
//! batch, sending each conflict resolution at its place among the changes,
//! then pull pages until the server has no more, applying each page. Every step is saved as it completes, so a
//! run cut short by a lost connection resumes exactly where it stopped.
//!
//! A pull from cursor 0 (a new device, or a re-snapshot) is a snapshot
//! pinned at the sequence the server names in its first answer: the store
//! keeps that sequence with the page, later pages are asked `until` it
//! (also after a lost connection), and once it is complete the pull goes on
//! with plain increments. Records changed during the snapshot come in those.
//!
//! When due (the store decides: about once a day), a run ends by comparing
//! the server's per-scope-unit digest with the store's mirror; the units
//! that differ are re-snapshotted at once (see [`SyncStore::digest_checked`]).
//!
//! The engine holds no state of its own: the local store (anything that
//! implements [`SyncStore`]) keeps the outbox, the cursor and the mirror;
//! the server is reached through a [`SyncTransport`]. Retrying a failed
//! run is the scheduler's job (see [`crate::Backoff`]).

use crate::transport::{SyncTransport, TransportError};
use outreach_domain::Hlc;
use outreach_protocol::api::{ClockSkew, MutationResult, PullResponse, PushRequest, ResolveRequest, UnitDigest};
use outreach_protocol::{Mutation, Op, RESTAMP_AHEAD_MS};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;
use uuid::Uuid;

/// How many mutations one push carries by default.
pub const DEFAULT_BATCH: usize = 500;
/// How many changes one pull page asks for by default.
pub const DEFAULT_PAGE: usize = 500;

/// What an acknowledgement did to the outbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Acknowledged {
    /// Outbox rows removed.
    pub removed: usize,
    /// Applied as sent.
    pub applied: usize,
    /// Applied with others' changes (possibly with conflicts).
    pub merged: usize,
    /// Nothing to change on the server.
    pub unchanged: usize,
    /// Refused: moved to the 'needs attention' list.
    pub rejected: usize,
    /// Results for mutations no longer in the outbox (already acknowledged).
    pub unknown: usize,
}

/// What applying one pull page did to the local store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PageApplied {
    /// Records replaced by the server's copy.
    pub overwritten: usize,
    /// Records with local changes waiting, merged field by field.
    pub merged: usize,
    /// Fields where both sides changed a merged record differently (the
    /// local value was kept; the server decides when it is pushed).
    pub clashes: usize,
    /// Records erased by an administrator or out of scope, removed here.
    pub dropped: usize,
    /// Records older than the copy already held (a page applied twice).
    pub stale: usize,
    /// Conflicts received (new or updated).
    pub conflicts: usize,
}

/// A conflict a person resolved on this device, not yet sent to the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingResolution {
    /// The conflict.
    pub conflict: Uuid,
    /// The value chosen.
    pub value: Value,
    /// How many of the waiting changes (oldest first) were made before the
    /// choice: they must reach the server first, and later ones after, so
    /// the server sees the worker's actions in the order they happened.
    pub after: usize,
}

/// The local side of sync, as the engine needs it. `outreach-store`
/// implements it for its encrypted `Store`; each method is one transaction.
pub trait SyncStore {
    /// The store's error type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// How many changes wait in the outbox.
    fn pending_count(&self) -> Result<usize, Self::Error>;
    /// The oldest `limit` waiting changes, in the order they were made.
    fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>, Self::Error>;
    /// Records the server's results for pushed changes, in one transaction.
    fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged, Self::Error>;
    /// Conflicts resolved on this device that the server has not been told of.
    fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>, Self::Error>;
    /// Marks a resolution as received by the server.
    fn resolution_sent(&mut self, conflict: Uuid) -> Result<(), Self::Error>;
    /// Where the next pull starts.
    fn sync_cursor(&self) -> Result<i64, Self::Error>;
    /// Applies one page and saves its cursor, in one transaction.
    fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied, Self::Error>;
    /// Records that a whole run completed.
    fn sync_finished(&mut self) -> Result<(), Self::Error>;
    /// The sequence a pinned snapshot under way is pinned at (kept by
    /// [`SyncStore::apply_pull_page`] from the page's `snapshot_seq` while
    /// more pages wait, cleared when the snapshot is complete).
    fn snapshot_until(&self) -> Result<Option<i64>, Self::Error> {
        Ok(None)
    }
    /// Whether it is time to compare with the server's digest (a store
    /// that cannot compute one never is).
    fn digest_due(&self) -> Result<bool, Self::Error> {
        Ok(false)
    }
    /// The mirror's digest per unit: records whose area key is one of
    /// `areas` count under it, every other record under
    /// [`outreach_protocol::api::CASELOAD_UNIT`].
    fn local_digest(&self, areas: &[String]) -> Result<Vec<UnitDigest>, Self::Error> {
        let _ = areas;
        Ok(Vec::new())
    }
    /// Records that the digest was compared now. When `mismatched` units
    /// (among the server's `areas` and the caseload unit) are named, starts a re-snapshot of them in one transaction: the
    /// cursor goes back to 0 and their mirror records are marked, so those
    /// the snapshot does not deliver are removed when it is complete
    /// (unless local changes to them wait to be sent).
    fn digest_checked(&mut self, areas: &[String], mismatched: &[String]) -> Result<(), Self::Error> {
        let _ = (areas, mismatched);
        Ok(())
    }
    /// Deletes the store's files (the device was revoked); returns what was removed.
    fn wipe(&mut self) -> Result<Vec<PathBuf>, Self::Error>;
    /// The wall clock this store stamps its changes with, in milliseconds
    /// since the Unix epoch: the system clock unless a store says otherwise.
    /// Waiting changes stamped more than [`RESTAMP_AHEAD_MS`] ahead of it
    /// were made while the clock was wrong, and are restamped as they are sent.
    fn clock_ms(&self) -> i64 {
        system_clock_ms()
    }
}

/// The system clock in milliseconds since the Unix epoch (0 if it reads
/// before 1970).
pub fn system_clock_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Restamps the changes in `batch` whose stamps are more than
/// [`RESTAMP_AHEAD_MS`] ahead of the laptop's clock `now_ms`: they were made
/// while the clock was wrong (days fast, say), and a server refuses stamps
/// too far ahead of its own clock. Each gets the next stamp after `floor`
/// (the latest stamp sent so far in this run) at `now_ms`, so the batch
/// stays in order. Returns how many were restamped. What a change does is
/// untouched; only when it claims to have happened.
pub fn restamp_future(batch: &mut [Mutation], now_ms: i64, floor: &mut Option<Hlc>) -> usize {
    let mut restamped = 0;
    for m in batch.iter_mut() {
        if m.hlc.wall_ms > now_ms.saturating_add(RESTAMP_AHEAD_MS) {
            let base = floor.map_or(Hlc::zero(m.hlc.device), |f| Hlc { device: m.hlc.device, ..f });
            m.hlc = base.tick(now_ms);
            restamped += 1;
        }
        *floor = Some(floor.map_or(m.hlc, |f| f.max(m.hlc)));
    }
    restamped
}

/// Which half of a run is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Sending local changes.
    Push,
    /// Receiving the server's changes.
    Pull,
}

/// Progress of a run, for the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The current phase.
    pub phase: Phase,
    /// Changes sent and acknowledged so far.
    pub up: usize,
    /// Records received so far.
    pub down: usize,
    /// How far through the current phase, 0 to 100 (pull estimates it from
    /// the server's `remaining`).
    pub percent: u8,
}

/// What a completed run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Push requests sent.
    pub batches: usize,
    /// The outbox acknowledgements, summed over batches.
    pub acknowledged: Acknowledged,
    /// Conflict resolutions sent.
    pub resolutions: usize,
    /// Pull pages applied.
    pub pages: usize,
    /// Records received.
    pub pulled: usize,
    /// What the pages did, summed.
    pub applied: PageApplied,
    /// Whether the server's digest was compared at the end of the run.
    pub digest_checked: bool,
    /// Scope units whose digest differed, re-snapshotted in this run.
    pub resnapshotted: usize,
    /// Records this device should hold that the server could not read and
    /// so did not send (its administrator has been told): shown to the
    /// worker so nothing is missing silently.
    pub unreadable: Vec<Uuid>,
}

impl SyncReport {
    /// The worker's warning about records the server could not send, if
    /// any: their ids, so a missing record is never a silent gap.
    pub fn unreadable_note(&self) -> Option<String> {
        (!self.unreadable.is_empty()).then(|| {
            let ids: Vec<String> = self.unreadable.iter().map(Uuid::to_string).collect();
            format!(
                " {} record(s) could not be sent by the server because they are damaged there; IT has been told and can repair them (records: {}).",
                ids.len(),
                ids.join(", ")
            )
        })
    }
}

/// Why a run stopped. Whatever the reason, every batch acknowledged and
/// every page applied before it is kept.
#[derive(Debug, Error)]
pub enum SyncError<E: std::error::Error + 'static> {
    /// No connection, or it dropped: try again later; the next run resumes.
    #[error(
        "could not reach the server ({0}); everything done so far is saved and the next sync carries on from there"
    )]
    Network(String),
    /// The device was revoked and its store wiped.
    #[error("this device was revoked by an administrator; its local store was wiped ({} files removed)", removed.len())]
    DeviceRevoked {
        /// The files removed.
        removed: Vec<PathBuf>,
    },
    /// The device was revoked but wiping the store failed.
    #[error("this device was revoked by an administrator, but wiping its store failed: {0}")]
    WipeFailed(#[source] E),
    /// The app must be updated before it can sync.
    #[error("this version of Outreach is too old for the server ({0}); update Outreach, then sync again")]
    ProtocolTooOld(String),
    /// The server refused the changes because this laptop's clock is too far
    /// ahead of its own. Nothing was applied or dropped: every change stays
    /// in the outbox, and the first sync after the clock is corrected sends
    /// it (restamped, see [`restamp_future`]).
    #[error("{}", clock_ahead_message(skew, *waiting))]
    ClockAhead {
        /// The server's time and how far ahead the laptop's clock is.
        skew: ClockSkew,
        /// Changes waiting in the outbox.
        waiting: usize,
    },
    /// The server failed or refused; try again later.
    #[error("the server could not complete the sync ({code}): {message}")]
    Server {
        /// Stable code or HTTP status.
        code: String,
        /// What the server said.
        message: String,
    },
    /// The local store failed.
    #[error("the local store failed during sync: {0}")]
    Store(#[source] E),
}

/// "this laptop's clock is 3 days ahead of the server ...; correct ..., then
/// sync again. Nothing was lost: 12 changes wait on this laptop".
fn clock_ahead_message(skew: &ClockSkew, waiting: usize) -> String {
    format!(
        "this laptop's clock is {} ahead of the server (server time {} UTC); correct the laptop's date and time, then sync again. Nothing was lost: {waiting} {} on this laptop until then",
        skew.describe_ahead(),
        skew.server_time.format("%Y-%m-%d %H:%M"),
        if waiting == 1 { "change waits" } else { "changes wait" },
    )
}

impl<E: std::error::Error + 'static> SyncError<E> {
    /// Whether a scheduler should try again later (with [`crate::Backoff`]).
    /// A clock too far ahead is not: the same request gets the same answer
    /// until a person corrects the clock.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Server { .. })
    }
}

/// How many of `batch` to send in one push: all of it, or up to (not
/// including) a delete of a record changed earlier in the batch. The delete
/// then goes out after the earlier change is acknowledged, carrying the
/// version that change produced, so the server does not mistake the
/// device's own edit for one the delete did not see.
pub fn push_cut(batch: &[Mutation]) -> usize {
    let mut seen = HashSet::new();
    for (i, m) in batch.iter().enumerate() {
        if m.op == Op::Delete && seen.contains(&m.record_id) {
            return i;
        }
        seen.insert(m.record_id);
    }
    batch.len()
}

fn percent(done: usize, total: usize) -> u8 {
    (done.min(total) * 100).checked_div(total).map_or(100, |p| p as u8)
}

/// Runs sync: the batch and page sizes are its only settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    /// Mutations per push.
    pub batch_size: usize,
    /// Changes per pull page.
    pub page_size: usize,
}

impl Default for Engine {
    fn default() -> Self {
        Self { batch_size: DEFAULT_BATCH, page_size: DEFAULT_PAGE }
    }
}

impl Engine {
    /// Runs one sync of `store` with the server behind `transport`,
    /// reporting progress after every batch and page.
    ///
    /// A lost connection stops the run with [`SyncError::Network`], leaving
    /// everything resumable; a revoked device has its store wiped.
    pub fn run<S, T>(
        &self,
        store: &mut S,
        transport: &mut T,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError<S::Error>>
    where
        S: SyncStore + ?Sized,
        T: SyncTransport + Send + ?Sized,
    {
        let mut report = SyncReport::default();
        match self.exchange(store, transport, progress, &mut report) {
            Ok(()) => Ok(report),
            Err(Stop::Store(e)) => Err(SyncError::Store(e)),
            Err(Stop::Transport(TransportError::DeviceRevoked)) => match store.wipe() {
                Ok(removed) => Err(SyncError::DeviceRevoked { removed }),
                Err(e) => Err(SyncError::WipeFailed(e)),
            },
            Err(Stop::Transport(TransportError::Network(m))) => Err(SyncError::Network(m)),
            Err(Stop::Transport(TransportError::ProtocolTooOld(m))) => Err(SyncError::ProtocolTooOld(m)),
            Err(Stop::Transport(TransportError::ClockAhead(skew))) => {
                Err(SyncError::ClockAhead { skew, waiting: store.pending_count().map_err(SyncError::Store)? })
            }
            Err(Stop::Transport(TransportError::Server { code, message })) => Err(SyncError::Server { code, message }),
            Err(Stop::NoProgress(what)) => Err(SyncError::Server { code: "no_progress".into(), message: what.into() }),
        }
    }

    fn exchange<S, T>(
        &self,
        store: &mut S,
        transport: &mut T,
        progress: &mut dyn FnMut(Progress),
        report: &mut SyncReport,
    ) -> Result<(), Stop<S::Error>>
    where
        S: SyncStore + ?Sized,
        T: SyncTransport + Send + ?Sized,
    {
        let total_up = store.pending_count().map_err(Stop::Store)?;
        let mut up = 0;
        let mut floor = None;
        loop {
            // Resolutions go out between the changes made before and after them.
            let resolutions = store.unsent_resolutions().map_err(Stop::Store)?;
            for due in resolutions.iter().filter(|r| r.after == 0) {
                let request = ResolveRequest { value: due.value.clone() };
                transport.resolve(due.conflict, &request).map_err(Stop::Transport)?;
                store.resolution_sent(due.conflict).map_err(Stop::Store)?;
                report.resolutions += 1;
            }
            let next_resolution = resolutions.iter().map(|r| r.after).filter(|after| *after > 0).min();
            let limit = next_resolution.map_or(self.batch_size, |n| n.min(self.batch_size)).max(1);
            let mut batch = store.pending_batch(limit).map_err(Stop::Store)?;
            if batch.is_empty() {
                break;
            }
            batch.truncate(push_cut(&batch));
            restamp_future(&mut batch, store.clock_ms(), &mut floor);
            let response = transport.push(&PushRequest { mutations: batch }).map_err(Stop::Transport)?;
            let ack = store.acknowledge(&response.results).map_err(Stop::Store)?;
            if ack.removed == 0 {
                return Err(Stop::NoProgress("the server acknowledged none of the changes sent"));
            }
            report.batches += 1;
            add_ack(&mut report.acknowledged, &ack);
            up += ack.removed;
            progress(Progress { phase: Phase::Push, up, down: 0, percent: percent(up, total_up) });
        }
        self.pull_all(store, transport, progress, report, up)?;
        if store.digest_due().map_err(Stop::Store)? {
            let cursor = store.sync_cursor().map_err(Stop::Store)?;
            // Compared only when the server's digest describes exactly what
            // this device has pulled (nothing it may see changed since).
            if let Some(digest) = transport.digest(cursor).map_err(Stop::Transport)?
                && digest.as_of == cursor
            {
                let areas: Vec<String> = digest
                    .units
                    .iter()
                    .map(|u| u.unit.clone())
                    .filter(|u| u != outreach_protocol::api::CASELOAD_UNIT)
                    .collect();
                let local = store.local_digest(&areas).map_err(Stop::Store)?;
                let mismatched = mismatched_units(&digest.units, &local);
                store.digest_checked(&areas, &mismatched).map_err(Stop::Store)?;
                report.digest_checked = true;
                report.resnapshotted = mismatched.len();
                if !mismatched.is_empty() {
                    self.pull_all(store, transport, progress, report, up)?;
                }
            }
        }
        store.sync_finished().map_err(Stop::Store)?;
        Ok(())
    }

    /// Pulls pages until the server has no more: a pinned snapshot to its
    /// end first when one is under way (or starts, from cursor 0), then
    /// plain increments.
    ///
    /// While a page is applied, the next one is already being fetched on a
    /// second thread, from where the store will stand once the page is in
    /// (its cursor and snapshot bound follow from the page alone). Pages are
    /// still applied one by one, in order, each with its cursor; a fetched
    /// page is used only if the store did end where predicted, and a failed
    /// fetch surfaces after the page before it is safely applied. So a first
    /// sync costs about the larger of the network and the local writes, not
    /// their sum.
    fn pull_all<S, T>(
        &self,
        store: &mut S,
        transport: &mut T,
        progress: &mut dyn FnMut(Progress),
        report: &mut SyncReport,
        up: usize,
    ) -> Result<(), Stop<S::Error>>
    where
        S: SyncStore + ?Sized,
        T: SyncTransport + Send + ?Sized,
    {
        let size = self.page_size.max(1);
        let mut down = 0;
        let mut cursor = store.sync_cursor().map_err(Stop::Store)?;
        let until = store.snapshot_until().map_err(Stop::Store)?;
        let mut page = transport.pull_until(cursor, size, until).map_err(Stop::Transport)?;
        loop {
            // The end of a pinned snapshot is not the end of the pull:
            // what changed during it follows as increments.
            let snapshot_done = page.snapshot_seq.is_some() && !page.has_more;
            let next_cursor = cursor.max(page.next_cursor);
            let next_until = page.snapshot_seq.filter(|_| page.has_more);
            let (applied, prefetched) = if (page.has_more || snapshot_done) && next_cursor > cursor {
                let fetching = &mut *transport;
                std::thread::scope(|scope| {
                    let fetch = scope.spawn(move || fetching.pull_until(next_cursor, size, next_until));
                    let applied = store.apply_pull_page(&page);
                    (applied, Some(fetch.join()))
                })
            } else {
                (store.apply_pull_page(&page), None)
            };
            let applied = applied.map_err(Stop::Store)?;
            report.pages += 1;
            add_page(&mut report.applied, &applied);
            down += page.changes.len();
            report.pulled += page.changes.len();
            report.unreadable.extend(page.unreadable.iter().copied());
            let total = down + usize::try_from(page.remaining.max(0)).unwrap_or(usize::MAX);
            let pct = if page.has_more || snapshot_done { percent(down, total).min(99) } else { 100 };
            progress(Progress { phase: Phase::Pull, up, down, percent: pct });
            if !page.has_more && !snapshot_done {
                break;
            }
            let now = store.sync_cursor().map_err(Stop::Store)?;
            if now <= cursor {
                if page.has_more {
                    return Err(Stop::NoProgress("the server said more changes wait but did not move the cursor"));
                }
                // A complete snapshot of nothing: there is nothing after it either.
                break;
            }
            let now_until = store.snapshot_until().map_err(Stop::Store)?;
            page = match prefetched {
                Some(Ok(fetched)) if now == next_cursor && now_until == next_until => fetched,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                _ => transport.pull_until(now, size, now_until),
            }
            .map_err(Stop::Transport)?;
            cursor = now;
        }
        Ok(())
    }
}

/// The units whose count or hash differ between the server's digest and
/// the device's (a unit only one side has counts as differing, unless empty).
pub fn mismatched_units(server: &[UnitDigest], local: &[UnitDigest]) -> Vec<String> {
    let empty = |u: &UnitDigest| u.count == 0 && u.hash == 0;
    let mut out: Vec<String> = Vec::new();
    for s in server {
        match local.iter().find(|l| l.unit == s.unit) {
            Some(l) if l == s => {}
            None if empty(s) => {}
            _ => out.push(s.unit.clone()),
        }
    }
    for l in local.iter().filter(|l| !empty(l)) {
        if !server.iter().any(|s| s.unit == l.unit) && !out.contains(&l.unit) {
            out.push(l.unit.clone());
        }
    }
    out
}

enum Stop<E> {
    Store(E),
    Transport(TransportError),
    NoProgress(&'static str),
}

fn add_ack(total: &mut Acknowledged, ack: &Acknowledged) {
    total.removed += ack.removed;
    total.applied += ack.applied;
    total.merged += ack.merged;
    total.unchanged += ack.unchanged;
    total.rejected += ack.rejected;
    total.unknown += ack.unknown;
}

fn add_page(total: &mut PageApplied, page: &PageApplied) {
    total.overwritten += page.overwritten;
    total.merged += page.merged;
    total.clashes += page.clashes;
    total.dropped += page.dropped;
    total.stale += page.stale;
    total.conflicts += page.conflicts;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::FakeServer;
    use outreach_domain::{Hlc, RecordKind};
    use outreach_protocol::api::{Outcome, PushResponse};
    use serde_json::{Map, json};
    use std::collections::BTreeMap;

    fn mutation(record: u128, op: Op, changes: Value) -> Mutation {
        Mutation {
            mutation_id: Uuid::now_v7(),
            record_id: Uuid::from_u128(record),
            kind: RecordKind::Client,
            op,
            changes: changes.as_object().cloned().unwrap_or_default(),
            base_version: 0,
            hlc: Hlc::zero(Uuid::nil()),
        }
    }

    #[test]
    fn a_delete_after_an_edit_of_the_same_record_waits_for_the_next_batch() {
        let edit = |r| mutation(r, Op::Update, json!({}));
        let delete = |r| mutation(r, Op::Delete, json!({}));
        let cases: Vec<(&str, Vec<Mutation>, usize)> = vec![
            ("empty", vec![], 0),
            ("no repeats", vec![edit(1), edit(2), delete(3)], 3),
            ("edits of one record go together", vec![edit(1), edit(1), edit(2)], 3),
            ("delete after an edit of the same record", vec![edit(1), edit(2), delete(1), edit(3)], 2),
            ("a delete first is fine", vec![delete(1), edit(2)], 2),
        ];
        for (name, batch, expect) in cases {
            assert_eq!(push_cut(&batch), expect, "{name}");
        }
    }

    #[test]
    fn units_differ_on_count_hash_or_presence() {
        let unit = |name: &str, count: u64, hash: u64| UnitDigest { unit: name.into(), count, hash };
        type Case = (&'static str, Vec<UnitDigest>, Vec<UnitDigest>, Vec<&'static str>);
        let cases: Vec<Case> = vec![
            (
                "same",
                vec![unit("a", 2, 9), unit("caseload", 0, 0)],
                vec![unit("caseload", 0, 0), unit("a", 2, 9)],
                vec![],
            ),
            ("count", vec![unit("a", 2, 9)], vec![unit("a", 1, 9)], vec!["a"]),
            ("hash", vec![unit("a", 2, 9)], vec![unit("a", 2, 8)], vec!["a"]),
            ("missing locally", vec![unit("a", 1, 3)], vec![], vec!["a"]),
            ("empty on both sides", vec![unit("a", 0, 0)], vec![], vec![]),
            ("only held locally", vec![], vec![unit("caseload", 1, 4)], vec!["caseload"]),
        ];
        for (name, server, local, expect) in cases {
            assert_eq!(mismatched_units(&server, &local), expect, "{name}");
        }
    }

    /// A store held in memory: enough to drive the engine's control flow.
    #[derive(Default)]
    struct MemoryStore {
        outbox: Vec<Mutation>,
        cursor: i64,
        records: BTreeMap<Uuid, Map<String, Value>>,
        resolutions: Vec<(Uuid, Option<Uuid>)>,
        wiped: bool,
        finished: usize,
        /// How far this laptop's clock is from the true time.
        clock_offset_ms: i64,
    }

    #[derive(Debug, Error)]
    #[error("memory store failed")]
    struct MemoryError;

    impl SyncStore for MemoryStore {
        type Error = MemoryError;
        fn pending_count(&self) -> Result<usize, MemoryError> {
            Ok(self.outbox.len())
        }
        fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>, MemoryError> {
            Ok(self.outbox.iter().take(limit).cloned().collect())
        }
        fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged, MemoryError> {
            let before = self.outbox.len();
            self.outbox.retain(|m| !results.iter().any(|r| r.mutation_id == m.mutation_id));
            Ok(Acknowledged { removed: before - self.outbox.len(), ..Default::default() })
        }
        fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>, MemoryError> {
            // A resolution waits for the changes up to and including `after_mutation`.
            Ok(self
                .resolutions
                .iter()
                .map(|(conflict, after_mutation)| PendingResolution {
                    conflict: *conflict,
                    value: json!("chosen"),
                    after: self.outbox.iter().position(|m| Some(m.mutation_id) == *after_mutation).map_or(0, |i| i + 1),
                })
                .collect())
        }
        fn resolution_sent(&mut self, conflict: Uuid) -> Result<(), MemoryError> {
            self.resolutions.retain(|(c, _)| *c != conflict);
            Ok(())
        }
        fn sync_cursor(&self) -> Result<i64, MemoryError> {
            Ok(self.cursor)
        }
        fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied, MemoryError> {
            for c in &page.changes {
                self.records.insert(c.id, c.data.clone());
            }
            self.cursor = page.next_cursor;
            Ok(PageApplied { overwritten: page.changes.len(), ..Default::default() })
        }
        fn sync_finished(&mut self) -> Result<(), MemoryError> {
            self.finished += 1;
            Ok(())
        }
        fn wipe(&mut self) -> Result<Vec<PathBuf>, MemoryError> {
            self.wiped = true;
            Ok(vec![PathBuf::from("outreach.db")])
        }
        fn clock_ms(&self) -> i64 {
            system_clock_ms() + self.clock_offset_ms
        }
    }

    fn creates(n: u128) -> Vec<Mutation> {
        (1..=n).map(|i| mutation(i, Op::Create, json!({"area": {"old": null, "new": format!("a{i}")}}))).collect()
    }

    #[test]
    fn pushes_in_batches_then_pulls_every_page_reporting_progress() {
        let server = FakeServer::new();
        let mut store = MemoryStore { outbox: creates(7), ..Default::default() };
        let mut transport = server.connect("amy.w", Uuid::now_v7());
        let mut seen = vec![];
        let engine = Engine { batch_size: 3, page_size: 2 };
        let report = engine.run(&mut store, &mut transport, &mut |p| seen.push(p)).unwrap();
        assert_eq!(report.batches, 3);
        assert_eq!(report.acknowledged.removed, 7);
        assert_eq!(report.pages, 4);
        assert_eq!(report.pulled, 7);
        assert_eq!(store.records.len(), 7);
        assert_eq!(store.finished, 1);
        let push: Vec<(usize, u8)> =
            seen.iter().filter(|p| p.phase == Phase::Push).map(|p| (p.up, p.percent)).collect();
        assert_eq!(push, vec![(3, 42), (6, 85), (7, 100)]);
        let pull: Vec<(usize, u8)> =
            seen.iter().filter(|p| p.phase == Phase::Pull).map(|p| (p.down, p.percent)).collect();
        assert_eq!(pull, vec![(2, 28), (4, 57), (6, 85), (7, 100)]);
    }

    #[test]
    fn resolutions_go_out_between_the_changes_made_before_and_after_them() {
        /// Records the order of requests.
        #[derive(Default)]
        struct Log(Vec<String>);
        impl SyncTransport for Log {
            fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
                self.0.push(format!("push {}", request.mutations.len()));
                let results = request
                    .mutations
                    .iter()
                    .map(|m| MutationResult { mutation_id: m.mutation_id, outcome: Outcome::Applied { version: 1 } })
                    .collect();
                Ok(PushResponse { results })
            }
            fn pull(&mut self, cursor: i64, _: usize) -> Result<PullResponse, TransportError> {
                self.0.push("pull".into());
                Ok(PullResponse {
                    changes: vec![],
                    conflicts: vec![],
                    drops: vec![],
                    next_cursor: cursor,
                    has_more: false,
                    remaining: 0,
                    snapshot_seq: None,
                    unreadable: vec![],
                })
            }
            fn resolve(&mut self, conflict: Uuid, _: &ResolveRequest) -> Result<(), TransportError> {
                self.0.push(format!("resolve {}", conflict.as_u128()));
                Ok(())
            }
        }
        let outbox = creates(5);
        let resolutions = vec![
            (Uuid::from_u128(1), None),
            (Uuid::from_u128(2), Some(outbox[1].mutation_id)),
            (Uuid::from_u128(3), Some(outbox[4].mutation_id)),
        ];
        let mut store = MemoryStore { outbox, resolutions, ..Default::default() };
        let mut log = Log::default();
        let report = Engine { batch_size: 4, page_size: 10 }.run(&mut store, &mut log, &mut |_| {}).unwrap();
        assert_eq!(log.0, ["resolve 1", "push 2", "resolve 2", "push 3", "resolve 3", "pull"]);
        assert_eq!((report.batches, report.resolutions), (2, 3));
    }

    #[test]
    fn a_network_failure_stops_the_run_and_the_next_run_resumes() {
        let server = FakeServer::new();
        let mut store = MemoryStore { outbox: creates(5), ..Default::default() };
        let mut transport = server.connect("amy.w", Uuid::now_v7());
        let engine = Engine { batch_size: 2, page_size: 2 };
        transport.faults.drop_push_responses = 1;
        let err = engine.run(&mut store, &mut transport, &mut |_| {}).unwrap_err();
        assert!(matches!(err, SyncError::Network(_)) && err.is_retryable(), "{err}");
        assert_eq!(store.outbox.len(), 5, "nothing acknowledged without an answer");
        transport.faults.drop_pulls = 1;
        assert!(matches!(engine.run(&mut store, &mut transport, &mut |_| {}), Err(SyncError::Network(_))));
        assert!(store.outbox.is_empty());
        assert_eq!(store.finished, 0);
        engine.run(&mut store, &mut transport, &mut |_| {}).unwrap();
        assert_eq!(store.records.len(), 5);
        assert_eq!(server.writes(), 5, "the batch whose answer was lost was applied once");
    }

    #[test]
    fn a_revoked_device_is_wiped() {
        let server = FakeServer::new();
        let device = Uuid::now_v7();
        server.revoke(device);
        let mut store = MemoryStore { outbox: creates(1), ..Default::default() };
        let err = Engine::default().run(&mut store, &mut server.connect("amy.w", device), &mut |_| {}).unwrap_err();
        assert!(matches!(&err, SyncError::DeviceRevoked { removed } if removed.len() == 1), "{err}");
        assert!(store.wiped && !err.is_retryable());
    }

    #[test]
    fn an_old_protocol_and_server_errors_are_typed() {
        struct Refusing(TransportError);
        impl SyncTransport for Refusing {
            fn push(&mut self, _: &PushRequest) -> Result<PushResponse, TransportError> {
                Err(self.0.clone())
            }
            fn pull(&mut self, _: i64, _: usize) -> Result<PullResponse, TransportError> {
                Err(self.0.clone())
            }
            fn resolve(&mut self, _: Uuid, _: &ResolveRequest) -> Result<(), TransportError> {
                Err(self.0.clone())
            }
        }
        let mut store = MemoryStore::default();
        let old = Engine::default()
            .run(&mut store, &mut Refusing(TransportError::ProtocolTooOld("need 2".into())), &mut |_| {})
            .unwrap_err();
        assert!(matches!(old, SyncError::ProtocolTooOld(_)) && !old.is_retryable());
        let failed = Engine::default()
            .run(
                &mut store,
                &mut Refusing(TransportError::Server { code: "500".into(), message: "down".into() }),
                &mut |_| {},
            )
            .unwrap_err();
        assert!(matches!(failed, SyncError::Server { .. }) && failed.is_retryable());
        assert!(!store.wiped);
    }

    #[test]
    fn a_server_that_acknowledges_nothing_does_not_loop_forever() {
        struct Silent;
        impl SyncTransport for Silent {
            fn push(&mut self, _: &PushRequest) -> Result<PushResponse, TransportError> {
                Ok(PushResponse { results: vec![] })
            }
            fn pull(&mut self, _: i64, _: usize) -> Result<PullResponse, TransportError> {
                unreachable!()
            }
            fn resolve(&mut self, _: Uuid, _: &ResolveRequest) -> Result<(), TransportError> {
                unreachable!()
            }
        }
        let mut store = MemoryStore { outbox: creates(2), ..Default::default() };
        let err = Engine::default().run(&mut store, &mut Silent, &mut |_| {}).unwrap_err();
        assert!(matches!(err, SyncError::Server { ref code, .. } if code == "no_progress"), "{err}");
    }

    const DAY_MS: i64 = 86_400_000;

    fn at(wall_ms: i64, counter: u32) -> Hlc {
        Hlc { wall_ms, counter, device: Uuid::from_u128(9) }
    }

    #[test]
    fn only_stamps_made_while_the_clock_was_wrong_are_restamped_in_order() {
        const NOW: i64 = 1_800_000_000_000;
        let ahead = NOW + 3 * DAY_MS;
        /// (name, stamps before, floor before, stamps after, how many restamped)
        type Case = (&'static str, Vec<Hlc>, Option<Hlc>, Vec<Hlc>, usize);
        let cases: Vec<Case> = vec![
            ("nothing to send", vec![], None, vec![], 0),
            (
                "stamps behind the clock stay",
                vec![at(NOW - 5, 0), at(NOW, 3)],
                None,
                vec![at(NOW - 5, 0), at(NOW, 3)],
                0,
            ),
            (
                "within a minute ahead stays",
                vec![at(NOW + RESTAMP_AHEAD_MS, 0)],
                None,
                vec![at(NOW + RESTAMP_AHEAD_MS, 0)],
                0,
            ),
            ("days ahead becomes now", vec![at(ahead, 0)], None, vec![at(NOW, 0)], 1),
            ("several ahead keep their order", vec![at(ahead, 0), at(ahead, 1)], None, vec![at(NOW, 0), at(NOW, 1)], 2),
            (
                "after a normal stamp ahead of now, the next tick",
                vec![at(NOW + 10, 0), at(ahead, 0)],
                None,
                vec![at(NOW + 10, 0), at(NOW + 10, 1)],
                1,
            ),
            (
                "continues after the floor of an earlier batch",
                vec![at(ahead, 4)],
                Some(at(NOW, 2)),
                vec![at(NOW, 3)],
                1,
            ),
        ];
        for (name, before, floor, after, count) in cases {
            let mut batch: Vec<Mutation> = before
                .iter()
                .map(|h| Mutation { hlc: *h, ..mutation(1, Op::Update, json!({"a": {"old": 1, "new": 2}})) })
                .collect();
            let changes_before: Vec<_> = batch.iter().map(|m| (m.mutation_id, m.changes.clone())).collect();
            let mut floor = floor;
            assert_eq!(restamp_future(&mut batch, NOW, &mut floor), count, "{name}");
            assert_eq!(batch.iter().map(|m| m.hlc).collect::<Vec<_>>(), after, "{name}");
            let changes_after: Vec<_> = batch.iter().map(|m| (m.mutation_id, m.changes.clone())).collect();
            assert_eq!(changes_before, changes_after, "{name}: only the stamp changes");
            assert_eq!(floor, after.iter().copied().max().or(floor), "{name}: floor is the latest stamp");
        }
    }

    #[test]
    fn a_clock_days_ahead_is_refused_keeps_every_change_and_syncs_once_corrected() {
        let server = FakeServer::new();
        let fast = 3 * DAY_MS + 60_000;
        let now = system_clock_ms() + fast;
        let outbox: Vec<Mutation> =
            creates(3).into_iter().enumerate().map(|(i, m)| Mutation { hlc: at(now, i as u32), ..m }).collect();
        let mut store = MemoryStore { outbox: outbox.clone(), clock_offset_ms: fast, ..Default::default() };
        let mut transport = server.connect("amy.w", Uuid::now_v7());
        let engine = Engine::default();

        let err = engine.run(&mut store, &mut transport, &mut |_| {}).unwrap_err();
        let SyncError::ClockAhead { skew, waiting } = &err else { panic!("expected ClockAhead, got {err}") };
        assert_eq!(*waiting, 3);
        assert!(skew.ahead_ms >= 3 * DAY_MS, "{skew:?}");
        assert!(!err.is_retryable());
        let words = err.to_string();
        assert!(words.starts_with("this laptop's clock is 3 days ahead of the server"), "{words}");
        assert!(words.contains("correct the laptop's date and time, then sync again"), "{words}");
        assert!(words.contains("3 changes wait"), "{words}");
        assert_eq!(store.outbox, outbox, "nothing applied, dropped or changed");
        assert_eq!(server.writes(), 0);
        assert_eq!((store.finished, store.cursor), (0, 0), "the run stopped before pulling");

        // the worker corrects the clock: the same changes go, restamped, once
        store.clock_offset_ms = 0;
        let report = engine.run(&mut store, &mut transport, &mut |_| {}).unwrap();
        assert_eq!(report.acknowledged.removed, 3);
        assert!(store.outbox.is_empty());
        assert_eq!(server.writes(), 3);
        assert_eq!(store.records.len(), 3);
        let limit = system_clock_ms() + RESTAMP_AHEAD_MS;
        let before = transport.pull(0, 10).unwrap();
        assert!(
            before.changes.iter().all(|c| c.hlc.wall_ms <= limit),
            "no stamp from the wrong clock reached the server"
        );
    }
}
