//! Deleting a revoked laptop's store: the one place the store deletes data
//! on purpose.
//!
//! The key file goes first: without it the database cannot be decrypted,
//! even with the passphrase, so the data is unreadable from the first step
//! on. Then the database with its WAL and shared-memory files, the CSV
//! exports under `exports/`, any store set aside earlier (`set-aside-*`)
//! and a key file left half-replaced by a crash. Files Outreach did not
//! make are left alone (the data folder may be one the worker chose).
//!
//! A wipe needs no key, so a locked store is wiped just the same
//! ([`wipe_dir`]). Every step is tried even when one fails, and a failure
//! is reported as such ([`StoreError::WipeIncomplete`]), never as a wipe.

use crate::error::{Result, StoreError};
use crate::store::{DB_FILE, KEY_FILE};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// Folder of the data folder where the desktop app writes CSV exports.
pub const EXPORTS_DIR: &str = "exports";
/// Name prefix of the folders [`crate::Store::set_aside`] moves a store into.
pub const SET_ASIDE_PREFIX: &str = "set-aside-";

/// What a wipe removed so far and what it could not.
#[derive(Default)]
pub(crate) struct Wipe {
    removed: Vec<PathBuf>,
    failed: Vec<(PathBuf, std::io::Error)>,
}

impl Wipe {
    /// Removes the key file (and a half-written one): the data is
    /// unreadable from here on. The folder is synced so the removal
    /// survives a power cut.
    pub(crate) fn remove_key(&mut self, dir: &Path) {
        self.file(dir.join(KEY_FILE));
        // The temporary file a new key file is written to (see `keyfile::write`).
        self.file(dir.join(Path::new(KEY_FILE).with_extension("tmp")));
        sync_folder(dir);
    }

    /// Removes everything else: the database files, exports and set-aside copies.
    pub(crate) fn remove_rest(&mut self, dir: &Path) {
        for name in [DB_FILE.to_string(), format!("{DB_FILE}-wal"), format!("{DB_FILE}-shm")] {
            self.file(dir.join(name));
        }
        self.folder(dir.join(EXPORTS_DIR));
        match fs::read_dir(dir) {
            Ok(entries) => {
                let mut aside: Vec<PathBuf> = entries
                    .filter_map(|entry| entry.ok())
                    .filter(|entry| entry.file_name().to_string_lossy().starts_with(SET_ASIDE_PREFIX))
                    .map(|entry| entry.path())
                    .collect();
                aside.sort();
                for path in aside {
                    self.folder(path);
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => self.failed.push((dir.to_path_buf(), e)),
        }
        sync_folder(dir);
    }

    fn file(&mut self, path: PathBuf) {
        match fs::remove_file(&path) {
            Ok(()) => self.removed.push(path),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => self.failed.push((path, e)),
        }
    }

    fn folder(&mut self, path: PathBuf) {
        match fs::remove_dir_all(&path) {
            Ok(()) => self.removed.push(path),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => self.failed.push((path, e)),
        }
    }

    /// The files and folders removed, or what was left behind.
    pub(crate) fn finish(self, dir: &Path) -> Result<Vec<PathBuf>> {
        if self.failed.is_empty() {
            return Ok(self.removed);
        }
        let key_removed = !dir.join(KEY_FILE).exists();
        let failures =
            self.failed.iter().map(|(path, e)| format!("{} ({e})", path.display())).collect::<Vec<_>>().join("; ");
        Err(StoreError::WipeIncomplete { dir: dir.to_path_buf(), failures, key_removed, removed: self.removed })
    }
}

/// Best effort: a folder that cannot be synced still had its entries removed.
fn sync_folder(dir: &Path) {
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
}

/// Deletes the store in `dir` without opening it (it needs no key): used
/// when a revoked device's store is locked. Removes what [`crate::Store::wipe`]
/// removes, key file first, and returns the paths removed; anything left
/// behind is a [`StoreError::WipeIncomplete`].
pub fn wipe_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut wipe = Wipe::default();
    wipe.remove_key(dir);
    wipe.remove_rest(dir);
    wipe.finish(dir)
}
