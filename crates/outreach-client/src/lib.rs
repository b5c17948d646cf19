//! The laptop's HTTP client for the Outreach server: signing in at base
//! ([`login`]) and [`HttpTransport`], the sync engine's transport.
//!
//! Every request carries the protocol and schema version headers; the
//! device token travels only in the `Authorization` header, never in a URL.
//! Push bodies are gzip-compressed; responses are decompressed by reqwest.
//! Errors are mapped onto [`TransportError`] so the engine can tell a lost
//! connection (retry later) from a revoked device (wipe), an app that is
//! too old (update) or a laptop clock too far ahead (correct it).

use flate2::Compression;
use flate2::write::GzEncoder;
use outreach_protocol::api::{
    ErrorBody, LoginRequest, LoginResponse, PullResponse, PushRequest, PushResponse, ResolveRequest, ScopeDigest,
};
use outreach_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER, SCHEMA_VERSION};
use outreach_sync::transport::{SyncTransport, TransportError};
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use std::io::Write;
use std::time::Duration;
use uuid::Uuid;

/// How long one request may take before it counts as a lost connection.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

fn http_client() -> Result<Client, TransportError> {
    Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| TransportError::Network(e.to_string()))
}

fn versioned(request: RequestBuilder) -> RequestBuilder {
    request.header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string()).header(SCHEMA_HEADER, SCHEMA_VERSION.to_string())
}

fn send(request: RequestBuilder) -> Result<Response, TransportError> {
    let response = request.send().map_err(|e| TransportError::Network(e.to_string()))?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body: Option<ErrorBody> = response.json().ok();
    let (code, message, clock) = match body {
        Some(b) => (b.code, b.message, b.clock),
        None => (status.as_u16().to_string(), status.canonical_reason().unwrap_or("error").to_string(), None),
    };
    Err(match (code.as_str(), clock) {
        ("device_revoked", _) => TransportError::DeviceRevoked,
        ("protocol_too_old", _) => TransportError::ProtocolTooOld(message),
        ("clock_ahead", Some(skew)) => TransportError::ClockAhead(skew),
        _ if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::BAD_GATEWAY => {
            TransportError::Network(format!("{status}: {message}"))
        }
        _ => TransportError::Server { code, message },
    })
}

/// Reads a JSON answer. A body cut off on the way is a lost connection (the
/// request is safe to retry), not a fault of the server.
fn read<T: DeserializeOwned>(response: Response) -> Result<T, TransportError> {
    let body = response.bytes().map_err(|e| TransportError::Network(format!("the answer was cut off: {e}")))?;
    serde_json::from_slice(&body).map_err(|e| TransportError::Server {
        code: "bad_response".into(),
        message: format!("the server's answer could not be read: {e}"),
    })
}

/// Signs in at base: registers this device and returns its token. The
/// password is sent once and never stored on the laptop.
pub fn login(server: &str, request: &LoginRequest) -> Result<LoginResponse, TransportError> {
    let client = http_client()?;
    let url = format!("{}/api/v1/login", server.trim_end_matches('/'));
    read(send(versioned(client.post(url)).json(request))?)
}

/// How long a reachability check waits for the server's `/health`.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether the server at `server` answers `GET /health` with success: a
/// cheap check, with a short timeout, of whether it is worth syncing now
/// (it needs no token and sends no client data).
pub fn reachable(server: &str) -> bool {
    let Ok(client) = Client::builder().timeout(PROBE_TIMEOUT).connect_timeout(PROBE_TIMEOUT).build() else {
        return false;
    };
    client
        .get(format!("{}/health", server.trim_end_matches('/')))
        .send()
        .is_ok_and(|response| response.status().is_success())
}

/// The sync engine's transport over HTTP(S) to one server, as one device.
pub struct HttpTransport {
    base: String,
    token: String,
    client: Client,
}

impl HttpTransport {
    /// A transport for the server at `server` (e.g. `https://outreach.example.org`)
    /// authenticating with this device's `token`.
    pub fn new(server: &str, token: &str) -> Result<Self, TransportError> {
        Ok(Self { base: server.trim_end_matches('/').to_string(), token: token.to_string(), client: http_client()? })
    }

    fn request(&self, builder: RequestBuilder) -> RequestBuilder {
        versioned(builder).bearer_auth(&self.token)
    }
}

impl SyncTransport for HttpTransport {
    fn push(&mut self, request: &PushRequest) -> Result<PushResponse, TransportError> {
        let json = serde_json::to_vec(request).map_err(|e| TransportError::Server {
            code: "encode".into(),
            message: format!("could not encode the changes: {e}"),
        })?;
        let mut gzip = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
        gzip.write_all(&json).map_err(|e| TransportError::Network(e.to_string()))?;
        let body = gzip.finish().map_err(|e| TransportError::Network(e.to_string()))?;
        let builder = self
            .client
            .post(format!("{}/api/v1/sync/push", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(body);
        read(send(self.request(builder))?)
    }

    fn pull(&mut self, cursor: i64, limit: usize) -> Result<PullResponse, TransportError> {
        self.pull_until(cursor, limit, None)
    }

    fn pull_until(&mut self, cursor: i64, limit: usize, until: Option<i64>) -> Result<PullResponse, TransportError> {
        // `until` only ever follows a server's own `snapshot_seq`, so an
        // older server (which refuses unknown parameters) never sees it.
        let pinned = until.map(|u| format!("&until={u}")).unwrap_or_default();
        let builder = self.client.get(format!("{}/api/v1/sync/pull?cursor={cursor}&limit={limit}{pinned}", self.base));
        read(send(self.request(builder))?)
    }

    fn digest(&mut self, cursor: i64) -> Result<Option<ScopeDigest>, TransportError> {
        let builder = self.client.get(format!("{}/api/v1/sync/digest?cursor={cursor}", self.base));
        match send(self.request(builder)) {
            Ok(response) => read(response).map(Some),
            // An older server without digests.
            Err(TransportError::Server { code, .. }) if code == "not_found" || code == "404" => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn resolve(&mut self, conflict: Uuid, request: &ResolveRequest) -> Result<(), TransportError> {
        let builder = self.client.post(format!("{}/api/v1/conflicts/{conflict}/resolve", self.base)).json(request);
        send(self.request(builder)).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_a_network_error_not_a_panic() {
        // Port 9 on loopback (discard) is closed here: connection refused.
        let mut transport = HttpTransport::new("http://127.0.0.1:9", "token").unwrap();
        match transport.pull(0, 10) {
            Err(TransportError::Network(_)) => {}
            other => panic!("expected a network error, got {other:?}"),
        }
        assert!(!reachable("http://127.0.0.1:9"), "a closed port is not reachable");
    }
}
