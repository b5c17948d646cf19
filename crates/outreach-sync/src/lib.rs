//! Sync rules shared by the server and the client engine, as pure functions
//! of their inputs so they can be tested on tables of cases, and the
//! client's sync engine.
//!
//! - [`merge`] decides what a pushed change does to the server's copy of a
//!   record: fields changed on one side only merge; two different edits to
//!   the same field are kept as a conflict for a person to resolve; a delete
//!   never swallows an edit it did not see; signed-off records only grow by
//!   amendment.
//! - [`incoming`] decides what a pulled record does to the device's copy:
//!   the server's copy replaces it when no local changes wait, and is
//!   merged field by field against the mirror ([`three_way`]) when they do.
//! - [`engine`] runs one sync (push in batches, then pull pages) against
//!   any [`SyncStore`] through any [`SyncTransport`] (a new device's first
//!   pull is a pinned snapshot; a daily digest check finds drift);
//!   [`Backoff`] spaces out retries; [`testing`] is an in-process server
//!   for tests.

pub mod backoff;
pub mod engine;
pub mod incoming;
pub mod merge;
pub mod testing;
pub mod transport;

pub use backoff::Backoff;
pub use engine::{
    Acknowledged, Engine, PageApplied, PendingResolution, Phase, Progress, SyncError, SyncReport, SyncStore,
    mismatched_units, restamp_future, system_clock_ms,
};
pub use incoming::{Clash, IncomingPlan, Snapshot, ThreeWay, plan_incoming, three_way};
pub use merge::{Decision, FieldConflict, Rejection, decide, is_signed_off};
pub use transport::{SyncTransport, TransportError};
