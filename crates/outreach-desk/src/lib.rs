//! The desktop app's application service. The Tauri shell (`src-tauri`) is
//! a thin wrapper: one command per public method of [`Desk`].
//!
//! A [`Desk`] holds the session: which data folder, the unlocked
//! [`outreach_store::Store`] behind a mutex, the idle lock and the state of
//! background sync. It turns store and domain types into the view models of
//! [`views`] (camelCase JSON, the types of `ui/src/api.ts`) and every failure
//! into a [`DeskError`] with words a worker can act on.
//!
//! While locked the store is closed (dropped): no client data stays in
//! memory, and every command but [`Desk::app_status`], [`Desk::create_store`]
//! and [`Desk::unlock`] answers `locked`. Any command counts as activity,
//! except the status polls ([`Desk::app_status`], [`Desk::sync_status`]).

pub mod error;
pub mod inputs;
pub mod views;

mod care;
mod count;
mod duplicates;
mod report;
mod schedule;
mod sync;

pub use error::{DeskError, DeskResult, ErrorKind};
pub use schedule::SyncSchedule;

use chrono::{NaiveDate, Utc};
use outreach_store::Store;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};
use views::AppStatus;

/// Idle minutes before the store locks itself, unless the worker sets another.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 10;
/// The longest idle time a worker may choose (0 turns the idle lock off).
pub const MAX_IDLE_LOCK_MINUTES: u32 = 240;
/// File in the data folder holding the desk's settings (no personal data).
const SETTINGS_FILE: &str = "desk-settings.json";
/// How often the watchdog checks for an idle session.
const WATCHDOG_PERIOD: Duration = Duration::from_secs(5);

/// The data folder: `OUTREACH_DATA_DIR` if set, else the platform's data
/// folder + `outreach`.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("OUTREACH_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("outreach")
}

/// Today as the store counts days (UTC).
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    idle_lock_minutes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES }
    }
}

/// The unlocked store (if any) and the idle clock.
pub(crate) struct Session {
    pub(crate) store: Option<Store>,
    last_activity: Instant,
    idle_lock_minutes: u32,
}

impl Session {
    /// Drops the store if it has been idle too long at `now`.
    fn expire_if_idle(&mut self, now: Instant) {
        let minutes = self.idle_lock_minutes;
        if minutes > 0
            && self.store.is_some()
            && now.saturating_duration_since(self.last_activity) >= Duration::from_secs(u64::from(minutes) * 60)
        {
            self.store = None;
        }
    }
}

/// State shared by the commands, the sync thread and the idle watchdog.
pub(crate) struct Shared {
    pub(crate) data_dir: PathBuf,
    pub(crate) session: Mutex<Session>,
    pub(crate) sync: Mutex<sync::SyncShared>,
    /// Wakes the automatic sync thread (a run ended, the store was locked).
    pub(crate) sync_wake: Condvar,
    /// When automatic sync runs.
    pub(crate) schedule: SyncSchedule,
}

impl Shared {
    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The application service behind the desktop app. Cheap to clone (shared state).
#[derive(Clone)]
pub struct Desk {
    pub(crate) shared: Arc<Shared>,
}

impl Desk {
    /// A desk on `data_dir` (the store may not exist yet), with a watchdog
    /// thread that locks the store when it has been idle too long.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self::with_sync_schedule(data_dir, SyncSchedule::default())
    }

    /// A desk whose automatic sync follows `schedule` (tests use short
    /// intervals, or [`SyncSchedule::manual`]).
    pub fn with_sync_schedule(data_dir: impl Into<PathBuf>, schedule: SyncSchedule) -> Self {
        let data_dir = data_dir.into();
        let settings = read_settings(&data_dir);
        let shared = Arc::new(Shared {
            data_dir,
            session: Mutex::new(Session {
                store: None,
                last_activity: Instant::now(),
                idle_lock_minutes: settings.idle_lock_minutes.min(MAX_IDLE_LOCK_MINUTES),
            }),
            sync: Mutex::new(sync::SyncShared::default()),
            sync_wake: Condvar::new(),
            schedule,
        });
        let weak: Weak<Shared> = Arc::downgrade(&shared);
        // The watchdog ends when the last Desk is dropped. If the thread
        // cannot be spawned, every command still checks the idle time.
        let _ = std::thread::Builder::new().name("outreach-idle-lock".into()).spawn(move || {
            loop {
                std::thread::sleep(WATCHDOG_PERIOD);
                let Some(shared) = weak.upgrade() else { break };
                shared.session().expire_if_idle(Instant::now());
            }
        });
        Self { shared }
    }

    /// The data folder in use.
    pub fn data_dir(&self) -> &Path {
        &self.shared.data_dir
    }

    /// Runs `f` on the unlocked store, counting as activity; `locked` if
    /// there is none (or the idle time has passed).
    pub(crate) fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> DeskResult<T>) -> DeskResult<T> {
        let mut session = self.shared.session();
        session.expire_if_idle(Instant::now());
        let store = session.store.as_mut().ok_or_else(DeskError::locked)?;
        let result = f(store);
        session.last_activity = Instant::now();
        result
    }

    /// Locks the store if it has been idle at `now` (the watchdog's check;
    /// public so tests can move the clock).
    #[doc(hidden)]
    pub fn lock_if_idle_at(&self, now: Instant) {
        self.shared.session().expire_if_idle(now);
    }

    // ----- Session commands -----

    /// What the shell knows: whether a store exists, is unlocked, who and
    /// which server (only while unlocked). Not counted as activity.
    pub fn app_status(&self) -> DeskResult<AppStatus> {
        let mut session = self.shared.session();
        session.expire_if_idle(Instant::now());
        let minutes = session.idle_lock_minutes;
        let (user, server_url, signed_in) = match session.store.as_ref() {
            Some(store) => {
                let url = store.server_url()?;
                let token = store.device_token()?;
                (Some(store.user().to_string()), url, token.is_some())
            }
            None => (None, None, false),
        };
        Ok(AppStatus {
            store_exists: Store::exists(&self.shared.data_dir),
            unlocked: session.store.is_some(),
            user,
            device_name: Some(device_name()),
            server_url,
            signed_in,
            idle_lock_minutes: minutes,
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.shared.data_dir.display().to_string(),
        })
    }

    /// Creates the store (first run) for `user_name` and leaves it unlocked.
    pub fn create_store(&self, passphrase: &str, user_name: &str) -> DeskResult<AppStatus> {
        let user = user_name.trim();
        if user.is_empty() {
            return Err(DeskError::invalid("user_name", "Give your user name (as your team lead set it up)."));
        }
        let dir = &self.shared.data_dir;
        if Store::exists(dir) {
            return Err(outreach_store::StoreError::AlreadyExists(dir.clone()).into());
        }
        create_private_dir(dir)?;
        {
            let mut session = self.shared.session();
            let mut store = Store::init(dir, passphrase, user)?;
            store.warm_search()?;
            session.store = Some(store);
            session.last_activity = Instant::now();
        }
        self.shared.sync_reset();
        schedule::start(&self.shared);
        self.app_status()
    }

    /// Opens the store with the worker's passphrase and warms the search
    /// index. A wrong passphrase is `wrong_passphrase` and changes nothing.
    /// While the store is open the passphrase is still checked, and a
    /// session past its idle time counts as locked (it is closed first).
    pub fn unlock(&self, passphrase: &str) -> DeskResult<AppStatus> {
        let opened = {
            let mut session = self.shared.session();
            session.expire_if_idle(Instant::now());
            let opened = match session.store.as_ref() {
                Some(store) => {
                    store.check_passphrase(passphrase)?;
                    false
                }
                None => {
                    let mut store = Store::open(&self.shared.data_dir, passphrase)?;
                    store.warm_search()?;
                    session.store = Some(store);
                    true
                }
            };
            session.last_activity = Instant::now();
            opened
        };
        self.shared.sync_reset();
        if opened {
            schedule::start(&self.shared);
        }
        self.app_status()
    }

    /// Closes the store: nothing of a client stays in memory.
    pub fn lock(&self) -> DeskResult<()> {
        self.shared.session().store = None;
        schedule::stop(&self.shared);
        Ok(())
    }

    /// Sets the idle time before the store locks itself (0 = never, at most
    /// [`MAX_IDLE_LOCK_MINUTES`]); kept in the data folder.
    pub fn set_idle_lock(&self, minutes: u32) -> DeskResult<AppStatus> {
        if minutes > MAX_IDLE_LOCK_MINUTES {
            return Err(DeskError::invalid(
                "minutes",
                format!("Choose at most {MAX_IDLE_LOCK_MINUTES} minutes (or 0 to turn the idle lock off)."),
            ));
        }
        self.with_store(|_| Ok(()))?;
        self.shared.session().idle_lock_minutes = minutes;
        write_settings(&self.shared.data_dir, &Settings { idle_lock_minutes: minutes })?;
        self.app_status()
    }

    /// Records activity (typing, clicking) so the store does not idle-lock.
    pub fn touch(&self) -> DeskResult<()> {
        self.with_store(|_| Ok(()))
    }
}

/// This laptop's name, as the CLI registers it.
pub(crate) fn device_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "laptop".to_string())
}

fn create_private_dir(dir: &Path) -> DeskResult<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| DeskError::internal(format!("could not create the data folder {}: {e}", dir.display())))
}

fn read_settings(dir: &Path) -> Settings {
    std::fs::read_to_string(dir.join(SETTINGS_FILE))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

fn write_settings(dir: &Path, settings: &Settings) -> DeskResult<()> {
    let text = serde_json::to_string_pretty(settings).map_err(DeskError::internal)?;
    std::fs::write(dir.join(SETTINGS_FILE), text)
        .map_err(|e| DeskError::internal(format!("could not save the settings in {}: {e}", dir.display())))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Test helpers: a desk on a new store in a temporary folder.

    use super::*;

    /// The passphrase test stores are created with.
    pub const PASSPHRASE: &str = "correct horse battery staple";

    /// A desk with a fresh unlocked store for `amy.w`.
    pub fn desk() -> (tempfile::TempDir, Desk) {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::new(dir.path().join("data"));
        desk.create_store(PASSPHRASE, "amy.w").unwrap();
        (dir, desk)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn create_lock_unlock_and_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::new(dir.path().join("data"));
        let status = desk.app_status().unwrap();
        assert!(!status.store_exists && !status.unlocked);
        assert_eq!(desk.unlock(PASSPHRASE).unwrap_err().kind, ErrorKind::NoStore);

        let status = desk.create_store(PASSPHRASE, "amy.w").unwrap();
        assert!(status.store_exists && status.unlocked);
        assert_eq!(status.user.as_deref(), Some("amy.w"));
        assert_eq!(desk.create_store(PASSPHRASE, "amy.w").unwrap_err().kind, ErrorKind::StoreExists);

        desk.lock().unwrap();
        assert_eq!(desk.touch().unwrap_err().kind, ErrorKind::Locked);
        let status = desk.app_status().unwrap();
        assert!(status.store_exists && !status.unlocked && status.user.is_none());

        let key_before = std::fs::read(dir.path().join("data/outreach.key")).unwrap();
        let wrong = desk.unlock("not the passphrase at all").unwrap_err();
        assert_eq!(wrong.kind, ErrorKind::WrongPassphrase);
        assert!(!desk.app_status().unwrap().unlocked, "a wrong passphrase leaves it locked");
        assert_eq!(std::fs::read(dir.path().join("data/outreach.key")).unwrap(), key_before, "nothing changed");

        assert!(desk.unlock(PASSPHRASE).unwrap().unlocked);
        desk.touch().unwrap();
    }

    #[test]
    fn unlock_while_unlocked_still_checks_the_passphrase() {
        let (_dir, desk) = desk();
        let wrong = desk.unlock("not the passphrase at all").unwrap_err();
        assert_eq!(wrong.kind, ErrorKind::WrongPassphrase);
        assert!(desk.unlock(PASSPHRASE).unwrap().unlocked);
        desk.touch().unwrap();
    }

    #[test]
    fn unlock_after_the_idle_time_is_treated_as_locked() {
        let (_dir, desk) = desk();
        desk.set_idle_lock(5).unwrap();
        let idle_since = |desk: &Desk| {
            // The watchdog has not looked yet: the store is still in memory.
            desk.shared.session().last_activity = Instant::now().checked_sub(Duration::from_secs(5 * 60 + 1)).unwrap();
        };

        idle_since(&desk);
        assert_eq!(desk.unlock("not the passphrase at all").unwrap_err().kind, ErrorKind::WrongPassphrase);
        assert!(desk.shared.session().store.is_none(), "an expired session is locked, and stays locked");

        desk.unlock(PASSPHRASE).unwrap();
        idle_since(&desk);
        let session_before = desk.shared.sync_state().generation;
        assert!(desk.unlock(PASSPHRASE).unwrap().unlocked);
        assert_ne!(desk.shared.sync_state().generation, session_before, "a new session began");
    }

    #[test]
    fn weak_passphrase_is_refused_with_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let desk = Desk::new(dir.path().join("data"));
        let error = desk.create_store("short", "amy.w").unwrap_err();
        assert_eq!((error.kind, error.field.as_deref()), (ErrorKind::Invalid, Some("passphrase")));
        assert!(!desk.app_status().unwrap().store_exists);
    }

    #[test]
    fn idle_lock_drops_the_store_and_survives_restart() {
        let (dir, desk) = desk();
        assert_eq!(desk.app_status().unwrap().idle_lock_minutes, DEFAULT_IDLE_LOCK_MINUTES);
        desk.set_idle_lock(5).unwrap();
        desk.lock_if_idle_at(Instant::now() + Duration::from_secs(4 * 60));
        assert!(desk.app_status().unwrap().unlocked, "4 minutes is not idle enough");
        desk.lock_if_idle_at(Instant::now() + Duration::from_secs(5 * 60 + 1));
        assert!(!desk.app_status().unwrap().unlocked);
        assert_eq!(desk.touch().unwrap_err().kind, ErrorKind::Locked);
        assert_eq!(desk.set_idle_lock(MAX_IDLE_LOCK_MINUTES + 1).unwrap_err().kind, ErrorKind::Invalid);

        let again = Desk::new(dir.path().join("data"));
        assert_eq!(again.app_status().unwrap().idle_lock_minutes, 5, "kept in the data folder");
        again.unlock(PASSPHRASE).unwrap();
        again.set_idle_lock(0).unwrap();
        again.lock_if_idle_at(Instant::now() + Duration::from_secs(100 * 3600));
        assert!(again.app_status().unwrap().unlocked, "0 turns the idle lock off");
    }
}
