//! Every error the API answers with: an HTTP status and an
//! [`ErrorBody`] with a stable code and a message a person can act on.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use outreach_protocol::api::{ClockSkew, ErrorBody};
use outreach_server_db::DbError;

/// An error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code (see [`ErrorBody::code`]).
    pub code: &'static str,
    /// What happened and what to do.
    pub message: String,
    /// The clock details of a `clock_ahead` refusal.
    pub clock: Option<ClockSkew>,
}

impl ApiError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), clock: None }
    }

    /// 409: the push's clock stamps are too far ahead of the server's clock;
    /// nothing in it was applied.
    pub fn clock_ahead(skew: ClockSkew) -> Self {
        Self { clock: Some(skew), ..Self::new(StatusCode::CONFLICT, "clock_ahead", skew.message()) }
    }

    /// 400: the request cannot be read.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no valid credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 401: the device was revoked by IT.
    pub fn device_revoked() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "device_revoked",
            "this laptop has been revoked by IT and can no longer sync; contact IT before using it again",
        )
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: nothing here (also what a record outside scope looks like).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 413: the body is over the limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than this server accepts ({limit} bytes); send fewer changes per batch"
            ),
        )
    }

    /// 426: the client speaks a protocol this server no longer accepts.
    pub fn protocol_too_old(got: u32, min: u32) -> Self {
        Self::new(
            StatusCode::UPGRADE_REQUIRED,
            "protocol_too_old",
            format!(
                "this copy of Outreach speaks sync protocol {got}, but the server needs {min} or newer; update Outreach on this laptop, then sync again (nothing was lost: changes stay on the laptop)"
            ),
        )
    }

    /// 500: something on the server failed; details go to the log only.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; nothing was lost, try again later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { code: self.code.to_string(), message: self.message, clock: self.clock }))
            .into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Refused { code: "forbidden", reason } => Self::forbidden(reason),
            DbError::Refused { reason, .. } => Self::bad_request(reason),
            DbError::Invalid(reason) => Self::bad_request(reason),
            DbError::DeviceRevoked(_) => Self::device_revoked(),
            DbError::DeviceOfAnotherUser(_) => Self::forbidden(e.to_string()),
            DbError::Unreadable(id) => {
                tracing::error!(record = %id, "a stored record could not be read; run `outreach-server record repair`");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "record_unreadable", e.to_string())
            }
            DbError::Pool(_) => {
                tracing::error!(error = %e, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server's database is busy or down; nothing was lost, try again in a few minutes",
                )
            }
            other => {
                tracing::error!(error = %other, "storage failed");
                Self::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn storage_errors_map_to_stable_codes_and_hide_internals() {
        let e = ApiError::from(DbError::Refused { code: "forbidden", reason: "outside your areas".into() });
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, "forbidden"));
        let e = ApiError::from(DbError::Refused { code: "invalid", reason: "pick true or false".into() });
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (StatusCode::BAD_REQUEST, "bad_request", "pick true or false")
        );
        let e = ApiError::from(DbError::DeviceRevoked(Uuid::nil()));
        assert_eq!((e.status, e.code), (StatusCode::UNAUTHORIZED, "device_revoked"));
        let e = ApiError::from(DbError::Corrupt("table records: secret detail".into()));
        assert_eq!((e.status, e.code), (StatusCode::INTERNAL_SERVER_ERROR, "internal"));
        assert!(!e.message.contains("secret"), "internals stay in the log");
        let e = ApiError::protocol_too_old(0, 1);
        assert_eq!((e.status, e.code), (StatusCode::UPGRADE_REQUIRED, "protocol_too_old"));
    }
}
