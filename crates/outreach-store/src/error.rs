//! Everything that can go wrong with the local store, in words a worker or
//! IT can act on.

use outreach_domain::{DomainError, RecordKind};
use std::path::PathBuf;
use thiserror::Error;
use uuid::Uuid;

/// Why a store operation failed. Every variant leaves the store as it was.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The passphrase did not unlock the key file.
    #[error("wrong passphrase: the store was not unlocked and nothing was changed; try again")]
    WrongPassphrase,
    /// This build's SQLite has no encryption; refuse rather than write plaintext.
    #[error(
        "this build of Outreach has no database encryption (SQLCipher missing); refusing to open or create a store. Reinstall Outreach or contact IT"
    )]
    EncryptionUnavailable,
    /// `init` on a folder that already holds a store.
    #[error("a store already exists in {0}; open it with its passphrase instead (nothing was changed)")]
    AlreadyExists(PathBuf),
    /// No store in the folder.
    #[error("no store in {0}; create one with `outreach init`")]
    NotFound(PathBuf),
    /// The store was written by a newer version of Outreach.
    #[error(
        "this store was written by a newer version of Outreach (schema {found}; this version knows up to {supported}); update Outreach to open it. Nothing was changed"
    )]
    TooNew {
        /// Schema version in the file.
        found: u32,
        /// Highest this build knows.
        supported: u32,
    },
    /// The files are there, the key is right, but the database cannot be read.
    #[error(
        "the store in {path} could not be opened ({reason}). Nothing has been deleted: it may hold records not yet synced. Run `outreach store set-aside` to keep it aside and start a new store, and ask IT to recover it"
    )]
    Unreadable {
        /// The store folder.
        path: PathBuf,
        /// What SQLite or the key file said.
        reason: String,
    },
    /// The key file's cost parameters are ones Outreach never writes: it
    /// was damaged or edited. Refused before any key derivation runs.
    #[error(
        "the key file {path} is damaged or was tampered with ({reason}); Outreach did not use it and nothing was changed. Ask IT: the store cannot be unlocked without an intact key file"
    )]
    KeyFileTampered {
        /// The key file.
        path: PathBuf,
        /// Which parameter is out of bounds.
        reason: String,
    },
    /// The passphrase is too weak to protect personal data.
    #[error("passphrase too short: use at least {min} characters (a few unrelated words work well)")]
    WeakPassphrase {
        /// Minimum length.
        min: usize,
    },
    /// A record with this id does not exist (or is deleted).
    #[error("no {kind} with id {id}")]
    RecordNotFound {
        /// Kind asked for.
        kind: &'static str,
        /// Id asked for.
        id: Uuid,
    },
    /// The record exists but is of another kind.
    #[error("record {id} is a {actual}, not a {expected}")]
    WrongKind {
        /// The id.
        id: Uuid,
        /// Kind expected by the caller.
        expected: &'static str,
        /// Kind stored.
        actual: String,
    },
    /// Signed-off records are amended, never edited.
    #[error("this {kind} is signed off and cannot be edited or deleted; record an amendment that corrects it")]
    SignedOff {
        /// Kind of the record.
        kind: &'static str,
    },
    /// An amendment that points at something it cannot amend.
    #[error("cannot amend {id}: {reason}")]
    BadAmendment {
        /// The original's id.
        id: Uuid,
        /// Why.
        reason: String,
    },
    /// A domain rule refused the record.
    #[error("not saved: {0}")]
    Invalid(#[from] DomainError),
    /// A record in the store could not be read as its kind (e.g. written
    /// by a newer version with an incompatible field).
    #[error("record {id} ({kind:?}) could not be read: {reason}")]
    Corrupt {
        /// The record.
        id: Uuid,
        /// Its kind.
        kind: RecordKind,
        /// The decoding error.
        reason: String,
    },
    /// A filesystem operation on the store folder failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Wiping a revoked device's store left something behind.
    #[error(
        "the revoked store in {dir} was NOT fully deleted: could not remove {failures}. {}Close Outreach and ask IT to delete the folder {dir} now",
        if *key_removed { "The key file is gone, so the data cannot be decrypted. " } else { "The key file is still there. " }
    )]
    WipeIncomplete {
        /// The store folder.
        dir: PathBuf,
        /// Each path left behind with the OS error.
        failures: String,
        /// Whether the key file is gone (the data is unreadable even so).
        key_removed: bool,
        /// What was removed.
        removed: Vec<PathBuf>,
    },
    /// An unexpected SQLite error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
