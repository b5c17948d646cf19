//! How the sync engine talks to the server, as a trait: the HTTP client
//! implements it for real, [`crate::testing`] implements it in process.

use outreach_protocol::api::{ClockSkew, PullResponse, PushRequest, PushResponse, ResolveRequest, ScopeDigest};
use thiserror::Error;
use uuid::Uuid;

/// Why a request to the server failed. The engine acts differently on each.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// The request or its answer was lost (no signal, timeout, connection
    /// reset). Nothing is known about whether the server acted on it; every
    /// request is safe to send again.
    #[error("could not reach the server: {0}")]
    Network(String),
    /// The server refuses this device (`device_revoked`): it was reported
    /// lost or the worker left. The device must wipe its store.
    #[error("this device has been revoked by an administrator")]
    DeviceRevoked,
    /// The server no longer accepts this version of the protocol
    /// (`protocol_too_old`); the app must be updated before it can sync.
    #[error("this version of Outreach is too old for the server: {0}")]
    ProtocolTooOld(String),
    /// The server refused a push (`clock_ahead`): its clock stamps are too
    /// far ahead of the server's clock. Nothing in it was applied; the
    /// laptop's clock must be corrected before its changes can be sent.
    #[error("{}", .0.message())]
    ClockAhead(ClockSkew),
    /// The server answered with an error of its own (5xx, or a refusal such
    /// as `unauthorized`); try again later or ask IT.
    #[error("the server could not complete the request ({code}): {message}")]
    Server {
        /// Stable code from the error body, or the HTTP status.
        code: String,
        /// What the server said.
        message: String,
    },
}

/// The server's sync API as the engine uses it. Every call is idempotent:
/// pushes are applied once per mutation id, pulls read from a cursor, and
/// resolving a conflict twice changes nothing more.
pub trait SyncTransport {
    /// `POST /api/v1/sync/push`: sends a batch of local changes, oldest first.
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError>;

    /// `GET /api/v1/sync/pull?cursor=N&limit=M`: the changes after `cursor`.
    fn pull(&mut self, cursor: i64, limit: usize) -> Result<PullResponse, TransportError>;

    /// `POST /api/v1/conflicts/{id}/resolve`: tells the server a person on
    /// this device chose a value for a conflict (the value itself also
    /// travels as an ordinary pushed change).
    fn resolve(&mut self, conflict: Uuid, request: &ResolveRequest) -> Result<(), TransportError>;

    /// `GET /api/v1/sync/pull?cursor=N&limit=M&until=S`: the changes after
    /// `cursor` up to sequence `until` (the next page of a snapshot pinned
    /// at `until`), or plain increments without it. A transport that cannot
    /// pin pulls plainly, which is still correct, only not pinned.
    fn pull_until(&mut self, cursor: i64, limit: usize, until: Option<i64>) -> Result<PullResponse, TransportError> {
        let _ = until;
        self.pull(cursor, limit)
    }

    /// `GET /api/v1/sync/digest?cursor=N`: the server's per-scope-unit
    /// digest for this device; `None` when the server offers none.
    fn digest(&mut self, cursor: i64) -> Result<Option<ScopeDigest>, TransportError> {
        let _ = cursor;
        Ok(None)
    }
}

impl<T: SyncTransport + ?Sized> SyncTransport for &mut T {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        (**self).push(request)
    }

    fn pull(&mut self, cursor: i64, limit: usize) -> Result<PullResponse, TransportError> {
        (**self).pull(cursor, limit)
    }

    fn resolve(&mut self, conflict: Uuid, request: &ResolveRequest) -> Result<(), TransportError> {
        (**self).resolve(conflict, request)
    }

    fn pull_until(&mut self, cursor: i64, limit: usize, until: Option<i64>) -> Result<PullResponse, TransportError> {
        (**self).pull_until(cursor, limit, until)
    }

    fn digest(&mut self, cursor: i64) -> Result<Option<ScopeDigest>, TransportError> {
        (**self).digest(cursor)
    }
}
