//! Middleware: the protocol headers every API request carries, and JSON
//! bodies for errors produced outside the handlers (body limits, unknown
//! encodings, unknown routes, panics).

use crate::error::ApiError;
use crate::extract::BodyLimit;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
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

/// Reads the whole request body as sent (compressed or not) before anything
/// else looks at it, refusing one over `limit` with 413.
///
/// An oversized body is still read, up to `limit` more bytes, and thrown
/// away before the answer: a server that answers and closes while the
/// client is still sending makes the client's kernel see a reset, and the
/// client loses the 413 with its reason. Reading first also means a gzip
/// body that is too large only once decompressed is refused with nothing
/// left unread. Past twice the limit the connection is simply closed.
pub async fn read_whole_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let (parts, mut body) = request.into_parts();
    let declared = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let mut kept = Vec::with_capacity(declared.map_or(0, |n| n.min(limit as u64) as usize));
    let mut read = 0usize;
    let too_large = declared.is_some_and(|n| n > limit as u64);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return ApiError::bad_request("the request body could not be read to its end; send it again")
                .into_response();
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
        return ApiError::payload_too_large(limit).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
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
