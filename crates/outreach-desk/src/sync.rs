//! Sign-in, background sync and the conflict and needs-attention lists.
//!
//! `sync_now` starts a thread that runs outreach-sync's [`Engine`] with
//! outreach-client's HTTP transport. The engine sees the store through
//! [`LockedStore`], which takes the session lock for each step (one push
//! batch, one pull page) only, so the worker can keep working while a long
//! sync runs. Progress goes into shared state that `sync_status` reads.
//! When runs start by themselves is [`crate::schedule`]'s job; each run
//! ends by setting when the next one is due.

use crate::views::{self, SyncProgress};
use crate::{Desk, DeskError, DeskResult, ErrorKind, Shared};
use chrono::{DateTime, Utc};
use outreach_client::{HttpTransport, ServerUrlError, check_server_url, login};
use outreach_protocol::Mutation;
use outreach_protocol::api::{LoginRequest, MutationResult, PullResponse};
use outreach_store::Store;
use outreach_sync::{
    Acknowledged, Engine, PageApplied, PendingResolution, Progress, SyncError, SyncStore, SyncTransport, TransportError,
};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, MutexGuard, PoisonError, TryLockError};
use std::time::Instant;
use uuid::Uuid;

/// What the sync threads share with `sync_status` and the scheduler.
#[derive(Debug, Default)]
pub(crate) struct SyncShared {
    pub(crate) running: bool,
    pub(crate) progress: Option<SyncProgress>,
    /// `offline`, `error` or `revoked` after a failed run.
    pub(crate) failure: Option<&'static str>,
    /// The device was revoked but its store could not be deleted: the
    /// `error` and its message are shown even though the session is closed.
    pub(crate) wipe_failed: bool,
    pub(crate) message: Option<String>,
    /// Counts from the last time the store was free, for polls during a sync step.
    cached: Counts,
    /// Which session the scheduler thread serves; a new session or a lock
    /// changes it, and a thread of another session stops.
    pub(crate) generation: u64,
    /// A scheduler thread serves this session.
    pub(crate) automatic: bool,
    /// When the scheduler starts the next run.
    pub(crate) next_at: Option<Instant>,
    /// While offline: when the scheduler next asks the server's `/health`.
    pub(crate) probe_at: Option<Instant>,
    /// Retry delays after failures.
    pub(crate) backoff: outreach_sync::Backoff,
    /// Runs started since the desk was made (manual and automatic).
    attempts: u64,
}

impl SyncShared {
    /// Marks a run (manual or automatic) as started: the last run's outcome
    /// and the scheduler's timers are cleared until it ends.
    pub(crate) fn begin_run(&mut self) {
        self.running = true;
        self.failure = None;
        self.wipe_failed = false;
        self.progress = None;
        self.message = None;
        self.next_at = None;
        self.probe_at = None;
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    pending: usize,
    conflicts: usize,
    needs_attention: usize,
}

impl Shared {
    pub(crate) fn sync_state(&self) -> MutexGuard<'_, SyncShared> {
        self.sync.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets the last run's failure (after unlocking or creating a store).
    pub(crate) fn sync_reset(&self) {
        let mut state = self.sync_state();
        if !state.running {
            state.failure = None;
            state.wipe_failed = false;
            state.message = None;
        }
    }

    /// Makes the automatic run due now (just signed in: the worker expects
    /// the caseload at once, not at the next unlock or in five minutes).
    pub(crate) fn sync_due_now(&self) {
        self.sync_state().next_at = Some(Instant::now());
        self.sync_wake.notify_all();
    }
}

fn counts(store: &Store) -> DeskResult<Counts> {
    Ok(Counts {
        pending: store.outbox_len()?,
        conflicts: store.conflicts()?.iter().filter(|c| c.resolved_by.is_none()).count(),
        needs_attention: store.needs_attention()?.len(),
    })
}

/// The store as the engine sees it: one session lock per step.
struct LockedStore {
    shared: Arc<Shared>,
}

impl LockedStore {
    fn with<T>(&self, f: impl FnOnce(&mut Store) -> outreach_store::Result<T>) -> DeskResult<T> {
        let mut session = self.shared.session();
        let store = session.store.as_mut().ok_or_else(|| {
            DeskError::new(ErrorKind::Locked, "Outreach was locked during the sync; it carries on at the next sync.")
        })?;
        Ok(f(store)?)
    }
}

impl SyncStore for LockedStore {
    type Error = DeskError;

    fn pending_count(&self) -> Result<usize, DeskError> {
        self.with(|s| s.outbox_len())
    }

    fn pending_batch(&self, limit: usize) -> Result<Vec<Mutation>, DeskError> {
        self.with(|s| s.pending_batch(limit))
    }

    fn acknowledge(&mut self, results: &[MutationResult]) -> Result<Acknowledged, DeskError> {
        self.with(|s| s.acknowledge(results))
    }

    fn unsent_resolutions(&self) -> Result<Vec<PendingResolution>, DeskError> {
        self.with(|s| s.unsent_resolutions())
    }

    fn resolution_sent(&mut self, conflict: Uuid) -> Result<(), DeskError> {
        self.with(|s| s.mark_resolution_sent(conflict))
    }

    fn sync_cursor(&self) -> Result<i64, DeskError> {
        self.with(|s| s.sync_cursor())
    }

    fn apply_pull_page(&mut self, page: &PullResponse) -> Result<PageApplied, DeskError> {
        self.with(|s| s.apply_pull_page(page))
    }

    fn sync_finished(&mut self) -> Result<(), DeskError> {
        self.with(|s| s.sync_finished())
    }

    fn snapshot_until(&self) -> Result<Option<i64>, DeskError> {
        self.with(|s| s.snapshot_until())
    }

    fn digest_due(&self) -> Result<bool, DeskError> {
        self.with(|s| s.digest_due())
    }

    fn local_digest(&self, areas: &[String]) -> Result<Vec<outreach_protocol::api::UnitDigest>, DeskError> {
        self.with(|s| s.local_digest(areas))
    }

    fn digest_checked(&mut self, areas: &[String], mismatched: &[String]) -> Result<(), DeskError> {
        self.with(|s| s.digest_checked(areas, mismatched))
    }

    /// Wipes the store also when the session was locked during the sync:
    /// then the store is closed and is wiped by folder ([`outreach_store::wipe_dir`]
    /// needs no key). Either way the session ends.
    fn wipe(&mut self) -> Result<Vec<PathBuf>, DeskError> {
        let mut session = self.shared.session();
        let wiped = match session.store.as_mut() {
            Some(store) => store.wipe(),
            None => outreach_store::wipe_dir(&self.shared.data_dir),
        };
        session.store = None;
        Ok(wiped?)
    }
}

/// Runs one sync on the calling thread; `running` must already be set.
/// Ends by clearing it and setting when the next automatic run is due.
pub(crate) fn run_sync(shared: &Arc<Shared>, server: &str, token: &str) {
    run_sync_over(shared, HttpTransport::new(server, token));
}

/// [`run_sync`] over any transport (tests use one that answers as they need).
fn run_sync_over<T: SyncTransport + Send>(shared: &Arc<Shared>, transport: Result<T, TransportError>) {
    {
        let mut state = shared.sync_state();
        state.attempts = state.attempts.wrapping_add(1);
    }
    let mut wipe_failed = false;
    // (failure, message, worth retrying soon)
    let outcome: Result<String, (&'static str, String, bool)> = (|| {
        let mut transport = transport.map_err(|e| ("error", DeskError::from(e).message, true))?;
        let mut store = LockedStore { shared: Arc::clone(shared) };
        let progress_shared = Arc::clone(shared);
        let mut progress = move |p: Progress| {
            let phase = match p.phase {
                outreach_sync::Phase::Push => "push",
                outreach_sync::Phase::Pull => "pull",
            };
            progress_shared.sync_state().progress =
                Some(SyncProgress { phase: phase.into(), sent: p.up, received: p.down, percent: p.percent });
        };
        match Engine::default().run(&mut store, &mut transport, &mut progress) {
            Ok(report) => {
                let note = report.unreadable_note().unwrap_or_default();
                Ok(format!(
                    "Synced: {} changes sent, {} records received.{note}",
                    report.acknowledged.removed, report.pulled
                ))
            }
            Err(SyncError::Network(m)) => Err((
                "offline",
                format!(
                    "Could not reach the sync server ({m}). Everything done so far is saved; Outreach tries again by itself."
                ),
                true,
            )),
            Err(SyncError::DeviceRevoked { .. }) => Err((
                "revoked",
                "This laptop was revoked by an administrator and its store was wiped. Ask your team lead or IT."
                    .to_string(),
                false,
            )),
            // Never reported as wiped: the worker and IT must know data is left.
            Err(SyncError::WipeFailed(e)) => {
                wipe_failed = true;
                Err(("error", format!("This laptop was revoked by an administrator. {}", e.message), false))
            }
            Err(SyncError::Store(e)) => Err(("error", e.message, false)),
            Err(other) => {
                let retry = other.is_retryable();
                Err(("error", other.to_string(), retry))
            }
        }
    })();
    let fresh = {
        let mut session = shared.session();
        if outcome.as_ref().is_err_and(|(state, _, _)| *state == "revoked") {
            session.store = None;
        }
        session.store.as_ref().and_then(|s| counts(s).ok())
    };
    let mut state = shared.sync_state();
    state.running = false;
    state.progress = None;
    if let Some(c) = fresh {
        state.cached = c;
    }
    let now = Instant::now();
    let schedule = &shared.schedule;
    match outcome {
        Ok(message) => {
            state.failure = None;
            state.message = Some(message);
            state.backoff.reset();
            state.next_at = Some(now + schedule.every);
            state.probe_at = None;
        }
        Err((failure, message, retry)) => {
            state.failure = Some(failure);
            state.message = Some(message);
            state.wipe_failed = wipe_failed;
            if failure == "revoked" || wipe_failed {
                state.automatic = false;
                state.next_at = None;
            } else if retry {
                let delay = state.backoff.next_delay(crate::schedule::jitter());
                state.next_at = Some(now + delay);
            } else {
                // The same request would get the same answer (a clock to
                // correct, an app to update): try again at the usual pace.
                state.next_at = Some(now + schedule.every);
            }
            state.probe_at = (failure == "offline").then(|| now + schedule.probe_every);
        }
    }
    drop(state);
    shared.sync_wake.notify_all();
}

/// Why a server address was refused, in the words of the sign-in screen.
fn server_url_message(error: &ServerUrlError) -> String {
    match error {
        ServerUrlError::PlainHttp => "This server address uses plain http://, which would send your password \
                                      unprotected. Ask IT for the https:// address."
            .into(),
        ServerUrlError::NotAUrl(_) | ServerUrlError::UnsupportedScheme(_) => {
            "Give the server's address, starting with https:// (or http://localhost for this laptop's own test \
             server)."
                .into()
        }
    }
}

/// A stored record's client, with its list name.
fn client_of(store: &Store, record: Uuid) -> DeskResult<(Option<Uuid>, Option<String>)> {
    let client = store.client_of_record(record)?;
    let name = match client {
        Some(c) => store.client_display_name(c)?,
        None => None,
    };
    Ok((client, name))
}

/// A conflict's value as a worker reads it. A value naming a client (two
/// people merged one client into different survivors, or filed a record
/// under different clients) shows that client's name, not its id.
fn conflict_text(store: &Store, field: &str, value: &Value) -> DeskResult<String> {
    if matches!(field, "merged_into" | "client_id")
        && let Some(id) = value.as_str().and_then(|s| Uuid::parse_str(s).ok())
        && let Some(name) = store.client_display_name(id)?
    {
        return Ok(if field == "merged_into" { format!("the same person as {name}") } else { name });
    }
    Ok(views::value_text(value))
}

fn hlc_time(wall_ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(wall_ms).unwrap_or_default()
}

impl Desk {
    /// The sync status bar: cheap, polled every second or two, not counted
    /// as activity. `locked` while locked, except after a revocation (then
    /// `revoked`, or `error` if the store could not be deleted).
    pub fn sync_status(&self) -> DeskResult<views::SyncStatus> {
        let shared = &self.shared;
        let mut fresh = None;
        let mut server = None;
        let mut signed_in = false;
        let mut last = None;
        let mut locked = false;
        match try_lock_briefly(&shared.session) {
            Ok(mut session) => {
                session.expire_if_idle(std::time::Instant::now());
                match session.store.as_ref() {
                    Some(store) => {
                        fresh = Some(counts(store)?);
                        server = store.server_url()?;
                        signed_in = store.device_token()?.is_some();
                        last = store.last_sync_at()?;
                    }
                    None => locked = true,
                }
            }
            // A sync step holds the store: answer from the last known figures.
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Poisoned(_)) => return Err(DeskError::internal("the session lock was poisoned")),
        }
        let mut state = shared.sync_state();
        if state.failure == Some("revoked") || (locked && state.wipe_failed) {
            return Ok(views::SyncStatus {
                state: state.failure.unwrap_or("error").into(),
                progress: None,
                last_synced_at: None,
                signed_in: false,
                server_url: None,
                pending: 0,
                conflicts: 0,
                needs_attention: 0,
                message: state.message.clone(),
                next_attempt_at: None,
                automatic: false,
            });
        }
        if locked {
            return Err(DeskError::locked());
        }
        if let Some(c) = fresh {
            state.cached = c;
        }
        let busy = fresh.is_none();
        let next_attempt_at = if state.automatic && !state.running {
            let next = match (state.next_at, state.probe_at) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            next.map(|at| {
                let wait = at.saturating_duration_since(Instant::now());
                Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()
            })
        } else {
            None
        };
        let label = if state.running {
            "syncing"
        } else if let Some(failure) = state.failure {
            failure
        } else if !signed_in && !busy {
            "offline"
        } else {
            "idle"
        };
        Ok(views::SyncStatus {
            state: label.into(),
            progress: state.progress.clone(),
            last_synced_at: last,
            signed_in: signed_in || busy,
            server_url: server,
            pending: state.cached.pending,
            conflicts: state.cached.conflicts,
            needs_attention: state.cached.needs_attention,
            message: if !signed_in && !busy && state.message.is_none() {
                Some("Not signed in to a sync server yet: sign in at base.".into())
            } else {
                state.message.clone()
            },
            next_attempt_at: if signed_in || busy { next_attempt_at } else { None },
            automatic: state.automatic,
        })
    }

    /// Signs this laptop in to the sync server (once, at base); the device
    /// token stays inside the encrypted store. The user must be the store's.
    pub fn sign_in(&self, server_url: &str, user_name: &str, password: &str) -> DeskResult<views::SignInResult> {
        let server = server_url.trim().trim_end_matches('/').to_string();
        check_server_url(&server).map_err(|e| DeskError::invalid("server_url", server_url_message(&e)))?;
        let (device_id, user) = self.with_store(|store| Ok((store.device_id(), store.user().to_string())))?;
        if user_name.trim() != user {
            return Err(DeskError::invalid(
                "user_name",
                format!("This store belongs to {user}; sign in to the server as {user}."),
            ));
        }
        // No lock is held while the server is asked.
        let response = login(
            &server,
            &LoginRequest {
                user: user.clone(),
                password: password.to_string(),
                device_id,
                device_name: crate::device_name(),
            },
        )
        .map_err(|e| match e {
            outreach_sync::TransportError::Server { code, .. } if code == "unauthorized" || code == "401" => {
                DeskError::invalid("password", "The server did not accept that user name and password.")
            }
            other => other.into(),
        })?;
        self.with_store(|store| Ok(store.save_sign_in(&server, &response.token)?))?;
        self.shared.sync_reset();
        self.shared.sync_due_now();
        Ok(views::SignInResult {
            server_url: server,
            user: response.user,
            device_id: response.device_id,
            teams: response.teams,
        })
    }

    /// Starts a sync in the background and returns at once (also when one
    /// is already running); `sync_status` shows how it goes.
    pub fn sync_now(&self) -> DeskResult<views::SyncStatus> {
        let (server, token) = self.with_store(|store| Ok((store.server_url()?, store.device_token()?)))?;
        let (Some(server), Some(token)) = (server, token) else {
            return Err(DeskError::new(
                ErrorKind::NotSignedIn,
                "This laptop has not signed in to a sync server yet: sign in at base first.",
            ));
        };
        {
            let mut state = self.shared.sync_state();
            if !state.running {
                state.begin_run();
                let shared = Arc::clone(&self.shared);
                let spawned = std::thread::Builder::new()
                    .name("outreach-sync".into())
                    .spawn(move || run_sync(&shared, &server, &token));
                if let Err(e) = spawned {
                    state.running = false;
                    return Err(DeskError::internal(format!("could not start the sync: {e}")));
                }
            }
        }
        self.sync_status()
    }

    /// Whether a background sync is running (for tests and the shell).
    pub fn sync_running(&self) -> bool {
        self.shared.sync_state().running
    }

    /// How many sync runs have started (by the worker or by themselves),
    /// so tests can see retries happen without new changes.
    #[doc(hidden)]
    pub fn sync_attempts(&self) -> u64 {
        self.shared.sync_state().attempts
    }

    /// Open conflicts: both values, who and when.
    pub fn conflicts(&self) -> DeskResult<Vec<views::Conflict>> {
        self.with_store(|store| {
            let mut out = Vec::new();
            for c in store.conflicts()?.into_iter().filter(|c| c.resolved_by.is_none()) {
                let (client_id, client_name) = client_of(store, c.record_id)?;
                out.push(views::Conflict {
                    id: c.id,
                    record_id: c.record_id,
                    kind: c.kind.as_str().to_string(),
                    client_id,
                    client_name,
                    field_label: views::field_label(&c.field),
                    kept_text: conflict_text(store, &c.field, &c.kept)?,
                    other_text: conflict_text(store, &c.field, &c.other)?,
                    field: c.field,
                    kept: c.kept,
                    other: c.other,
                    other_user: c.other_user,
                    other_device: c.other_device,
                    other_at: hlc_time(c.other_hlc.wall_ms),
                    resolved_by: c.resolved_by,
                });
            }
            Ok(out)
        })
    }

    /// Resolves a conflict with the chosen (or merged) value; it reaches the
    /// server at the next sync.
    pub fn resolve_conflict(&self, id: Uuid, value: Value) -> DeskResult<()> {
        self.with_store(|store| Ok(store.resolve_conflict(id, value)?))
    }

    /// Local changes the server refused, kept so nothing is lost.
    pub fn needs_attention(&self) -> DeskResult<Vec<views::NeedsAttention>> {
        self.with_store(|store| {
            Ok(store
                .needs_attention()?
                .into_iter()
                .map(|n| views::NeedsAttention {
                    mutation_id: n.mutation.mutation_id,
                    record_id: n.mutation.record_id,
                    kind: n.mutation.kind.as_str().to_string(),
                    op: n.mutation.op.as_str().to_string(),
                    changes: n
                        .mutation
                        .changes
                        .iter()
                        .map(|(k, v)| (k.clone(), v.get("new").cloned().unwrap_or_else(|| v.clone())))
                        .collect(),
                    made_at: n.made_at,
                    code: n.code,
                    reason: n.reason,
                    rejected_at: n.rejected_at,
                })
                .collect())
        })
    }
}

/// The session lock if it comes free within a few milliseconds: the
/// automatic sync thread takes it briefly to look at the sign-in, and the
/// status should not read that as a sync in progress; a real sync step
/// holds it longer, and then the status answers from the last figures
/// rather than keep the window waiting.
fn try_lock_briefly<T>(lock: &std::sync::Mutex<T>) -> std::sync::TryLockResult<std::sync::MutexGuard<'_, T>> {
    let until = Instant::now() + std::time::Duration::from_millis(25);
    loop {
        match lock.try_lock() {
            Err(TryLockError::WouldBlock) if Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;
    use crate::inputs::ClientInput;
    use crate::testing::desk;
    use outreach_domain::{Hlc, RecordKind};
    use outreach_protocol::api::{Conflict, PullResponse, PushRequest, PushResponse, ResolveRequest};
    use outreach_sync::{SyncTransport, TransportError};
    use serde_json::json;
    use uuid::Uuid;

    #[test]
    fn not_signed_in_status_and_sync_refusal() {
        let (_dir, desk) = desk();
        let status = desk.sync_status().unwrap();
        assert_eq!(status.state, "offline");
        assert!(!status.signed_in);
        assert_eq!(status.pending, 0);
        assert_eq!(desk.sync_now().unwrap_err().kind, ErrorKind::NotSignedIn);
        assert!(desk.conflicts().unwrap().is_empty());
        assert!(desk.needs_attention().unwrap().is_empty());
        let bad = desk.sign_in("ftp://example", "amy.w", "x").unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("serverUrl"));
        let other_user = desk.sign_in("http://127.0.0.1:9", "ben.k", "x").unwrap_err();
        assert_eq!(other_user.field.as_deref(), Some("userName"));
        let offline = desk.sign_in("http://127.0.0.1:9", "amy.w", "x").unwrap_err();
        assert_eq!(offline.kind, ErrorKind::Offline);
        desk.lock().unwrap();
        assert_eq!(desk.sync_status().unwrap_err().kind, ErrorKind::Locked);
    }

    #[test]
    fn sign_in_refuses_plain_http_to_another_machine() {
        let (_dir, desk) = desk();
        // 192.0.2.1 (TEST-NET-1) is never this laptop: no password may go there unencrypted.
        let refused = desk.sign_in("http://192.0.2.1:9", "amy.w", "x").unwrap_err();
        assert_eq!((refused.kind, refused.field.as_deref()), (ErrorKind::Invalid, Some("serverUrl")), "{refused:?}");
        assert!(refused.message.contains("plain http://"), "{}", refused.message);
        let lookalike = desk.sign_in("http://127.0.0.1.evil.example:9", "amy.w", "x").unwrap_err();
        assert_eq!(lookalike.field.as_deref(), Some("serverUrl"), "{lookalike:?}");
        // Loopback over http is still allowed (a test server on this laptop).
        let offline = desk.sign_in("http://localhost:9", "amy.w", "x").unwrap_err();
        assert_eq!(offline.kind, ErrorKind::Offline, "{offline:?}");
    }

    /// A server that has revoked this laptop. `first` runs when the engine
    /// first asks it anything (e.g. the worker locks Outreach mid-sync).
    struct RevokingServer<F: FnMut() + Send> {
        first: Option<F>,
    }

    impl<F: FnMut() + Send> RevokingServer<F> {
        fn refuse(&mut self) -> TransportError {
            if let Some(mut first) = self.first.take() {
                first();
            }
            TransportError::DeviceRevoked
        }
    }

    impl<F: FnMut() + Send> SyncTransport for RevokingServer<F> {
        fn push(&mut self, _: &PushRequest) -> Result<PushResponse, TransportError> {
            Err(self.refuse())
        }

        fn pull(&mut self, _: i64, _: usize) -> Result<PullResponse, TransportError> {
            Err(self.refuse())
        }

        fn resolve(&mut self, _: Uuid, _: &ResolveRequest) -> Result<(), TransportError> {
            Err(self.refuse())
        }
    }

    /// Runs one sync against `server`, as `sync_now` would, on this thread.
    fn sync_with(desk: &crate::Desk, server: impl SyncTransport + Send) {
        desk.shared.sync_state().begin_run();
        super::run_sync_over(&desk.shared, Ok(server));
    }

    #[test]
    fn a_revocation_that_arrives_while_locked_still_wipes_the_store() {
        let (_dir, desk) = desk();
        desk.add_client(ClientInput { name: Some("Jo Bloggs".into()), area: "Liverpool".into(), ..Default::default() })
            .unwrap();
        let data = desk.data_dir().to_path_buf();
        std::fs::create_dir_all(data.join("exports")).unwrap();
        std::fs::write(data.join("exports/caseloads.csv"), "worker,clients\namy.w,1\n").unwrap();
        let locker = desk.clone();
        sync_with(&desk, RevokingServer { first: Some(move || locker.lock().unwrap()) });

        let status = desk.sync_status().unwrap();
        assert_eq!(status.state, "revoked", "{status:?}");
        for gone in ["outreach.key", "outreach.db", "outreach.db-wal", "outreach.db-shm", "exports"] {
            assert!(!data.join(gone).exists(), "{gone} is still there after the wipe");
        }
        assert!(!desk.app_status().unwrap().store_exists);
    }

    #[test]
    fn a_wipe_that_fails_is_reported_as_a_failure_not_as_wiped() {
        let (_dir, desk) = desk();
        let data = desk.data_dir().to_path_buf();
        let locker = desk.clone();
        let wal = data.join("outreach.db-wal");
        sync_with(
            &desk,
            RevokingServer {
                first: Some(move || {
                    locker.lock().unwrap();
                    // A folder where the WAL file should be cannot be removed as a file.
                    std::fs::create_dir_all(&wal).unwrap();
                    std::fs::write(wal.join("page"), b"x").unwrap();
                }),
            },
        );

        let status = desk.sync_status().expect("the failure is shown though the session is closed");
        assert_eq!(status.state, "error", "{status:?}");
        let message = status.message.unwrap_or_default();
        assert!(!message.contains("wiped"), "{message}");
        assert!(message.contains("NOT fully deleted") && message.contains("outreach.db-wal"), "{message}");
        assert!(!data.join("outreach.key").exists(), "the key file went first");
        assert!(!desk.app_status().unwrap().unlocked);
    }

    #[test]
    fn competing_merges_show_the_survivors_by_name() {
        let (_dir, desk) = desk();
        let input =
            |name: &str| ClientInput { name: Some(name.into()), area: "Liverpool".into(), ..Default::default() };
        let merged = desk.add_client(input("Jo Bloggs")).unwrap().id;
        let kept = desk.add_client(input("Joanne Bloggs")).unwrap().id;
        let other = desk.add_client(input("Jo Blogs")).unwrap().id;
        let conflict = Conflict {
            id: Uuid::now_v7(),
            record_id: merged,
            kind: RecordKind::Client,
            field: "merged_into".into(),
            kept: json!(kept.to_string()),
            other: json!(other.to_string()),
            other_user: "ben.k".into(),
            other_device: Uuid::now_v7(),
            other_hlc: Hlc::zero(Uuid::now_v7()).tick(1_764_000_000_000),
            resolved_by: None,
            seq: 7,
        };
        let page = PullResponse {
            changes: vec![],
            conflicts: vec![conflict],
            drops: vec![],
            next_cursor: 7,
            has_more: false,
            remaining: 0,
            snapshot_seq: None,
            unreadable: vec![],
        };
        desk.with_store(|store| Ok(store.apply_pull_page(&page)?)).unwrap();
        let shown = desk.conflicts().unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].kept_text, "the same person as Joanne Bloggs");
        assert_eq!(shown[0].other_text, "the same person as Jo Blogs");
        assert_eq!(shown[0].client_name.as_deref(), Some("Jo Bloggs"));
    }
}
