//! The laptop's HTTP client for the Outreach server: signing in at base
//! ([`login`]) and [`HttpTransport`], the sync engine's transport.
//!
//! Every request carries the protocol and schema version headers; the
//! device token travels only in the `Authorization` header, never in a URL.
//! Push bodies are gzip-compressed; responses are decompressed by reqwest.
//! Errors are mapped onto [`TransportError`] so the engine can tell a lost
//! connection (retry later) from a revoked device (wipe), an app that is
//! too old (update) or a laptop clock too far ahead (correct it).
//!
//! [`check_server_url`] is the one rule for which server addresses may be
//! given a password: `https://` anywhere, plain `http://` only on this
//! laptop (loopback).

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
use thiserror::Error;
use url::{Host, Url};
use uuid::Uuid;

/// Why a server address was refused before anything was sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServerUrlError {
    /// The text is not a web address at all.
    #[error("'{0}' is not a server address; give the address IT gave you, starting with https://")]
    NotAUrl(String),
    /// An address for something other than the web (`ftp://`, `file://`...).
    #[error("the server address must start with https:// (it starts with {0}://); ask IT for the https:// address")]
    UnsupportedScheme(String),
    /// Plain `http://` to another machine: the password would cross the
    /// network unencrypted.
    #[error(
        "this server address uses plain http://, which would send your password unprotected; ask IT for the https:// address"
    )]
    PlainHttp,
}

/// Checks a sync server address before a password is sent to it: `https://`
/// is accepted for any host; plain `http://` only for this laptop itself
/// (`localhost`, 127.0.0.0/8 or `::1`), as a test server on the laptop is.
/// The host is compared as the URL parser reads it, so
/// `http://127.0.0.1.evil.com` or `http://localhost.evil.com` are refused.
pub fn check_server_url(server: &str) -> Result<(), ServerUrlError> {
    let url = Url::parse(server.trim()).map_err(|_| ServerUrlError::NotAUrl(server.trim().to_string()))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(ServerUrlError::PlainHttp),
        other => Err(ServerUrlError::UnsupportedScheme(other.to_string())),
    }
}

/// Whether `url`'s host is this machine (a loopback address or `localhost`).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        None => false,
    }
}

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
/// password is sent once and never stored on the laptop, and never to an
/// address [`check_server_url`] refuses (that is a `bad_server_url` error).
pub fn login(server: &str, request: &LoginRequest) -> Result<LoginResponse, TransportError> {
    check_server_url(server)
        .map_err(|e| TransportError::Server { code: "bad_server_url".into(), message: e.to_string() })?;
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
    fn plain_http_is_accepted_only_for_this_laptop() {
        for allowed in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1",
            "http://127.9.8.7:1/",
            "http://localhost",
            "http://LOCALHOST:3000/",
            "http://[::1]",
            "http://[::1]:8080",
            "https://10.0.0.5",
            "https://outreach.example.org",
            "https://localhost.evil.com",
            "  https://outreach.example.org/  ",
        ] {
            assert_eq!(check_server_url(allowed), Ok(()), "{allowed}");
        }
        for refused in [
            "http://10.0.0.5",
            "http://10.0.0.5:8080/",
            "http://outreach.example.org",
            "http://127.0.0.1.evil.com",
            "http://localhost.evil.com",
            "http://localhost@evil.com",
            "http://[::2]",
            "http://0.0.0.0",
        ] {
            assert_eq!(check_server_url(refused), Err(ServerUrlError::PlainHttp), "{refused}");
        }
        assert!(
            matches!(check_server_url("ftp://example.org"), Err(ServerUrlError::UnsupportedScheme(s)) if s == "ftp")
        );
        assert!(matches!(check_server_url("outreach.example.org"), Err(ServerUrlError::NotAUrl(_))));
        assert!(ServerUrlError::PlainHttp.to_string().contains("https://"));
    }

    #[test]
    fn login_refuses_plain_http_before_sending_anything() {
        // Port 9 on 10.0.0.5 would time out; the refusal comes first.
        let request = LoginRequest {
            user: "amy.w".into(),
            password: "secret".into(),
            device_id: Uuid::nil(),
            device_name: "laptop".into(),
        };
        match login("http://10.0.0.5:9", &request) {
            Err(TransportError::Server { code, message }) => {
                assert_eq!(code, "bad_server_url");
                assert!(message.contains("plain http://"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

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
