//! The encrypted local store on a worker's laptop.
//!
//! One data folder holds a SQLCipher database and a key file. The database
//! is encrypted with a random data key wrapped by the worker's passphrase
//! (see [`keyfile`]); it is never created or opened without encryption.
//! Every record kind lives in one `records` table as a JSON body with the
//! metadata sync needs; every change writes its outbox mutation and audit
//! entry in the same transaction; a per-client summary row feeds lists,
//! filters and the in-memory fuzzy [`search`] index.
//!
//! Sync ([`store::sync`]) keeps a mirror of each record as the server last
//! confirmed it, removes acknowledged changes from the outbox, and applies
//! pulled pages (with their cursor) in one transaction each.
//!
//! The schema comes from the numbered SQL files in `migrations/client/`.

pub mod audit;
pub mod error;
pub mod keyfile;
pub mod schema;
pub mod search;
pub mod store;
pub mod summary;
pub mod wipe;

pub use audit::{AuditAction, AuditEntry};
pub use error::{Result, StoreError};
pub use store::merges::{DuplicatePair, MergedClient};
pub use store::sync::NeedsAttention;
pub use store::{ClientOverview, CountReport, Store};
pub use summary::{ClientFilter, ClientSummary};
pub use wipe::wipe_dir;
