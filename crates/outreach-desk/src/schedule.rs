//! Automatic sync: one background thread per unlocked session decides when
//! to run the engine, so a worker at base never has to remember to sync.
//!
//! A run starts when the session starts (unlock, or a new store) if the
//! laptop is signed in, then every [`SyncSchedule::every`] while things go
//! well. After a failure the next try waits for [`outreach_sync::Backoff`]
//! (a timer of its own: no new change is needed to retry). While the last
//! failure was "offline" the thread also asks the server's `/health` every
//! [`SyncSchedule::probe_every`] and syncs as soon as it answers (on
//! reconnect). A run the worker starts (`sync_now`) shares the same
//! `running` flag, so two runs never overlap. The thread stops when the
//! store is locked or closed, when the desk is dropped, and for good when
//! the device is revoked; it never holds the session lock while it waits
//! or asks the server.

use crate::Shared;
use crate::sync::run_sync;
use outreach_sync::Backoff;
use std::sync::{Arc, PoisonError, Weak};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// When automatic sync runs. Tests use short intervals; the app uses the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSchedule {
    /// Whether the background thread runs at all (`sync_now` works either way).
    pub automatic: bool,
    /// Time between runs while everything goes well (5 minutes).
    pub every: Duration,
    /// While offline, how often to ask the server's `/health` (30 seconds).
    pub probe_every: Duration,
    /// First retry delay after a failure, doubling each time (5 seconds).
    pub retry_base: Duration,
    /// Longest retry delay (15 minutes).
    pub retry_max: Duration,
}

impl Default for SyncSchedule {
    fn default() -> Self {
        Self {
            automatic: true,
            every: Duration::from_secs(5 * 60),
            probe_every: Duration::from_secs(30),
            retry_base: Duration::from_secs(5),
            retry_max: Duration::from_secs(15 * 60),
        }
    }
}

impl SyncSchedule {
    /// No automatic sync: only `sync_now` syncs.
    pub fn manual() -> Self {
        Self { automatic: false, ..Self::default() }
    }

    /// The retry schedule these settings describe.
    pub(crate) fn backoff(&self) -> Backoff {
        Backoff::new(self.retry_base, self.retry_max)
    }
}

/// The longest the thread sleeps before looking again whether the session
/// is still open (locking wakes it at once; an idle lock is seen by then).
const LOOK_AGAIN: Duration = Duration::from_secs(2);

/// A random number in `[0, 1]` for the backoff's jitter, from the random
/// bits of a v7 UUID (no extra dependency; quality does not matter here).
pub(crate) fn jitter() -> f64 {
    let bits = Uuid::now_v7().as_u128() as u32;
    f64::from(bits) / f64::from(u32::MAX)
}

/// Starts the background thread for a session that has just opened: the
/// first run is due at once. Any thread of an earlier session stops.
pub(crate) fn start(shared: &Arc<Shared>) {
    let generation = {
        let mut state = shared.sync_state();
        state.generation = state.generation.wrapping_add(1);
        state.automatic = shared.schedule.automatic;
        state.next_at = Some(Instant::now());
        state.probe_at = None;
        state.backoff = shared.schedule.backoff();
        state.generation
    };
    shared.sync_wake.notify_all();
    if !shared.schedule.automatic {
        return;
    }
    let weak = Arc::downgrade(shared);
    let spawned =
        std::thread::Builder::new().name("outreach-sync-schedule".into()).spawn(move || run(&weak, generation));
    if spawned.is_err() {
        // Automatic sync is a convenience: `sync_now` still works.
        shared.sync_state().automatic = false;
    }
}

/// Stops the session's thread (the store was locked or closed).
pub(crate) fn stop(shared: &Shared) {
    {
        let mut state = shared.sync_state();
        state.generation = state.generation.wrapping_add(1);
        state.automatic = false;
        state.next_at = None;
        state.probe_at = None;
    }
    shared.sync_wake.notify_all();
}

/// What the thread does next.
enum Step {
    Stop,
    Wait(Duration),
    Run { server: String, token: String },
    Probe { server: String },
}

fn run(weak: &Weak<Shared>, generation: u64) {
    loop {
        let Some(shared) = weak.upgrade() else { return };
        match next_step(&shared, generation) {
            Step::Stop => {
                let mut state = shared.sync_state();
                if state.generation == generation {
                    state.automatic = false;
                    state.next_at = None;
                    state.probe_at = None;
                }
                return;
            }
            Step::Wait(wait) => {
                let state = shared.sync_state();
                if state.generation == generation {
                    let (state, _timed_out) = shared
                        .sync_wake
                        .wait_timeout(state, wait.min(LOOK_AGAIN))
                        .unwrap_or_else(PoisonError::into_inner);
                    drop(state);
                }
            }
            Step::Run { server, token } => run_sync(&shared, &server, &token),
            Step::Probe { server } => {
                let answered = outreach_client::reachable(&server);
                let mut state = shared.sync_state();
                let now = Instant::now();
                if answered {
                    state.next_at = Some(now);
                    state.probe_at = None;
                } else {
                    state.probe_at = Some(now + shared.schedule.probe_every);
                }
            }
        }
    }
}

fn next_step(shared: &Shared, generation: u64) -> Step {
    // The session lock is taken alone, briefly, never with the sync state.
    let sign_in = {
        let session = shared.session();
        match session.store.as_ref() {
            None => return Step::Stop,
            Some(store) => match (store.server_url(), store.device_token()) {
                (Ok(Some(server)), Ok(Some(token))) => Some((server, token)),
                _ => None,
            },
        }
    };
    let mut state = shared.sync_state();
    if state.generation != generation || state.failure == Some("revoked") {
        return Step::Stop;
    }
    let now = Instant::now();
    let every = shared.schedule.every;
    if state.running {
        // A run the worker started: it schedules the next one when it ends.
        return Step::Wait(LOOK_AGAIN);
    }
    let Some((server, token)) = sign_in else {
        // Not signed in: look again later (signing in happens at base).
        let next = *state.next_at.get_or_insert(now + every);
        if next <= now {
            state.next_at = Some(now + every);
        }
        return Step::Wait(every);
    };
    let due = state.next_at.unwrap_or(now);
    if due <= now {
        state.begin_run();
        return Step::Run { server, token };
    }
    if let Some(probe) = state.probe_at {
        if probe <= now {
            state.probe_at = Some(now + shared.schedule.probe_every);
            return Step::Probe { server };
        }
        return Step::Wait(due.min(probe) - now);
    }
    Step::Wait(due - now)
}
