//! Middleware: the protocol headers every API request carries, and JSON
//! bodies for errors produced outside the handlers (body limits, unknown
//! encodings, unknown routes, panics).

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::BodyLimit;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use outreach_protocol::{MIN_PROTOCOL_VERSION, PROTOCOL_HEADER, SCHEMA_HEADER};
use std::any::Any;

fn version_header(headers: &HeaderMap, name: &str) -> Result<u32, ApiError> {
    let value = headers.get(name).ok_or_else(|| {
        ApiError::bad_request(format!(
            "the header `{name}` is missing: every request must say which sync protocol and record schema it speaks"
        ))
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| ApiError::bad_request(format!("the header `{name}` must be a whole number")))
}

/// Refuses a request without the protocol and schema headers, and one from
/// a client older than [`MIN_PROTOCOL_VERSION`] (426 `protocol_too_old`).
pub async fn require_protocol(request: Request, next: Next) -> Response {
    let checked = version_header(request.headers(), PROTOCOL_HEADER).and_then(|protocol| {
        version_header(request.headers(), SCHEMA_HEADER)?;
        if protocol < MIN_PROTOCOL_VERSION {
            return Err(ApiError::protocol_too_old(protocol, MIN_PROTOCOL_VERSION));
        }
        Ok(())
    });
    match checked {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// Records the body limit on the request, for the 413 message.
pub async fn note_body_limit(State(limit): State<usize>, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(BodyLimit(limit));
    next.run(request).await
}

/// The largest sign-in body: a user name, a password of at most 1 KiB, a
/// device id and a name fit many times over.
pub const LOGIN_BODY_LIMIT: usize = 16 * 1024;

/// How long a sign-in waits for its turn to be read before 503 `busy`.
const LOGIN_QUEUE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What a request's body is for, by its method and address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyUse {
    /// A sign-in: read before anyone is known, so small and few at a time.
    Login,
    /// A change (push, conflict resolution): read only once the caller's
    /// device token is accepted.
    Authenticated,
    /// No handler reads it: thrown away as it arrives.
    Unused,
}

fn body_use(request: &Request) -> BodyUse {
    let path = request.uri().path();
    if request.method() != axum::http::Method::POST {
        return BodyUse::Unused;
    }
    if path == "/api/v1/login" {
        BodyUse::Login
    } else if path == "/api/v1/sync/push" || (path.starts_with("/api/v1/conflicts/") && path.ends_with("/resolve")) {
        BodyUse::Authenticated
    } else {
        BodyUse::Unused
    }
}

/// Reads a request body only for a caller the server knows, so nobody can
/// make it hold memory without a device token.
///
/// - A sign-in body is read with a small limit ([`LOGIN_BODY_LIMIT`]), a
///   few at a time (the `unauthenticated` permits; past them, 503).
/// - A change's body is read whole only after its device token is accepted
///   (the accepted caller is kept on the request for the handler). A
///   refused token's body is read and thrown away (never kept), holding an
///   `unauthenticated` permit, so the client still reads its 401 (a revoked
///   laptop must hear `device_revoked` to wipe itself).
/// - Any other body is thrown away as it arrives.
///
/// Kept bodies are read whole as sent (compressed or not) before anything
/// else looks at them, and one over the limit is refused with 413: it is
/// still read, up to the limit again, and thrown away before the answer.
/// A server that answers and closes while the client is still sending
/// makes the client's kernel see a reset, and the client loses the 413
/// with its reason. Reading first also means a gzip body that is too large
/// only once decompressed is refused with nothing left unread. Past twice
/// the limit the connection is simply closed.
pub async fn read_whole_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.max_body_bytes;
    let use_ = body_use(&request);
    let (mut parts, body) = request.into_parts();
    match use_ {
        BodyUse::Unused => {
            discard(body, limit).await;
            next.run(Request::from_parts(parts, Body::empty())).await
        }
        BodyUse::Login => {
            // A sign-in body is small: a burst waits its turn briefly rather than fail.
            let permit = state.unauthenticated.clone().acquire_owned();
            let Ok(Ok(_permit)) = tokio::time::timeout(LOGIN_QUEUE_WAIT, permit).await else { return busy() };
            match read_up_to(&parts, body, LOGIN_BODY_LIMIT).await {
                Ok(kept) => next.run(Request::from_parts(parts, Body::from(kept))).await,
                Err(response) => *response,
            }
        }
        BodyUse::Authenticated => match Authenticated::from_request_parts(&mut parts, &state).await {
            Ok(caller) => {
                parts.extensions.insert(caller);
                match read_up_to(&parts, body, limit).await {
                    Ok(kept) => next.run(Request::from_parts(parts, Body::from(kept))).await,
                    Err(response) => *response,
                }
            }
            Err(refused) => {
                let Ok(_permit) = state.unauthenticated.clone().try_acquire_owned() else { return busy() };
                discard(body, limit).await;
                refused.into_response()
            }
        },
    }
}

/// 503: too many requests from callers the server does not know yet.
fn busy() -> Response {
    let mut response = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "the server is busy with other sign-ins; try again in a moment",
    )
    .into_response();
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Reads and throws away up to `limit` bytes of `body`.
async fn discard(mut body: Body, limit: usize) {
    let mut read = 0usize;
    while read <= limit {
        match body.frame().await {
            Some(Ok(frame)) => read = read.saturating_add(frame.data_ref().map_or(0, |d| d.len())),
            _ => return,
        }
    }
}

/// The whole body if it is at most `limit` bytes, else the 413 (or 400)
/// to answer.
async fn read_up_to(parts: &Parts, mut body: Body, limit: usize) -> Result<Vec<u8>, Box<Response>> {
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let mut kept = Vec::with_capacity(declared.map_or(0, |n| n.min(limit as u64) as usize));
    let mut read = 0usize;
    let too_large = declared.is_some_and(|n| n > limit as u64);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Box::new(
                ApiError::bad_request("the request body could not be read to its end; send it again").into_response(),
            ));
        };
        let Ok(data) = frame.into_data() else { continue };
        read = read.saturating_add(data.len());
        if read > limit.saturating_mul(2) {
            break;
        }
        if !too_large && read <= limit {
            kept.extend_from_slice(&data);
        }
    }
    if too_large || read > limit {
        return Err(Box::new(ApiError::payload_too_large(limit).into_response()));
    }
    Ok(kept)
}

/// Gives every error answered outside the handlers (a 413 from the body
/// limit, a 415 for an unknown `Content-Encoding`, a timeout) the API's
/// JSON error body, so clients can always read `code` and `message`.
pub async fn json_errors(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let error = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(limit),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(status, "bad_request", "send the body as JSON, uncompressed or gzip-compressed")
        }
        s if s.is_server_error() => ApiError::new(s, "internal", ApiError::internal().message),
        s => ApiError::new(s, "bad_request", s.canonical_reason().unwrap_or("the request was refused").to_string()),
    };
    let mut replaced = error.into_response();
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            replaced.headers_mut().append(name.clone(), value.clone());
        }
    }
    replaced
}

/// Unknown address.
pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see the API documentation for the addresses this server serves")
}

/// Known address, wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "bad_request", "this endpoint does not accept that method")
}

/// A handler panicked: log it, answer 500 with the usual body.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a request handler panicked");
    ApiError::internal().into_response()
}
