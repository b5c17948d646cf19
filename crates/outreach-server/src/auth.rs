//! Who is calling: `Authorization: Bearer <device token>`, looked up by its
//! SHA-256. A revoked device gets 401 `device_revoked`; a disabled user, an
//! unknown token and a token idle past `device_idle_expiry` 401
//! `unauthorized`. Every refusal of a token is audited (`auth_refused`). The
//! token itself is never logged or stored.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::Utc;
use outreach_server_db::credentials::hash_token;
use outreach_server_db::{Actor, AuditEntry, DeviceLogin};

/// The authenticated user and device of a request.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already accepted before the body was read (see `layers::read_whole_body`).
        if let Some(caller) = parts.extensions.get::<Authenticated>() {
            return Ok(caller.clone());
        }
        let token = bearer(parts).ok_or_else(|| {
            ApiError::unauthorized("sign in first: this request needs the header Authorization: Bearer <device token>")
        })?;
        let Some(login) = state.db.device_by_token(&hash_token(token)).await? else {
            refused(state, None, "unknown or replaced token").await;
            return Err(ApiError::unauthorized("this laptop's sign-in is no longer valid; sign in again"));
        };
        if login.device.revoked_at.is_some() {
            refused(state, Some(&login), "device revoked").await;
            return Err(ApiError::device_revoked());
        }
        if login.user_disabled {
            refused(state, Some(&login), "user disabled").await;
            return Err(ApiError::unauthorized("this account is disabled; ask your team lead or IT"));
        }
        let now = Utc::now();
        let last_used = login.device.last_seen.unwrap_or(login.device.created_at);
        if now - last_used > state.config.device_idle_expiry {
            refused(state, Some(&login), "token idle too long").await;
            return Err(ApiError::unauthorized(
                "this laptop has not synced for a long time, so its sign-in has expired; sign in again",
            ));
        }
        let stale = login.device.last_seen.is_none_or(|seen| now - seen > state.config.touch_interval);
        if stale && let Err(e) = state.db.touch_device(login.device.id, now).await {
            tracing::warn!(error = %e, "could not note when a device was last seen");
        }
        Ok(Self(login.actor()))
    }
}

/// Audits a refused token: who it belonged to, if anyone, and why. A
/// failure to write the audit is logged, and the request is refused anyway.
async fn refused(state: &AppState, login: Option<&DeviceLogin>, why: &str) {
    let entry = AuditEntry::now("auth_refused", login.map(|l| l.device.user.as_str()), login.map(|l| l.device.id))
        .detail(serde_json::json!({"reason": why}).to_string());
    if let Err(e) = state.db.append_audit(&[entry]).await {
        tracing::warn!(error = %e, "could not audit a refused token");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(header: Option<&str>) -> Parts {
        let mut builder = Request::builder();
        if let Some(h) = header {
            builder = builder.header(AUTHORIZATION, h);
        }
        builder.body(()).map(|r| r.into_parts().0).expect("request")
    }

    #[test]
    fn only_a_non_empty_bearer_token_is_taken() {
        assert_eq!(bearer(&parts(Some("Bearer abc123"))), Some("abc123"));
        assert_eq!(bearer(&parts(Some("bearer  abc123 "))), Some("abc123"));
        assert_eq!(bearer(&parts(Some("Basic YWJjOmRlZg=="))), None);
        assert_eq!(bearer(&parts(Some("Bearer "))), None);
        assert_eq!(bearer(&parts(Some("Bearer"))), None);
        assert_eq!(bearer(&parts(None)), None);
    }
}
