//! `POST /api/v1/login`: a worker signs in once at base from a laptop; the
//! laptop is registered and gets a device token, shown once and stored by
//! the server only as a hash.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::throttle::ClientAddr;
use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use outreach_protocol::api::{ErrorBody, LoginRequest, LoginResponse};
use outreach_server_db::credentials::{DeviceToken, verify_dummy, verify_password};
use outreach_server_db::{AuditEntry, DbError};
use serde_json::json;
use std::time::Duration;

/// Longest password checked (Argon2 work grows with input).
const MAX_PASSWORD_BYTES: usize = 1024;

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized("wrong user name or password")
}

/// 429 with `Retry-After`: too many failed sign-ins for this name or address.
fn too_many_attempts(wait: Duration) -> Response {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let body = ErrorBody {
        code: "too_many_attempts".into(),
        message: format!(
            "too many wrong passwords for this user or from this computer; wait {minutes} minute{} and try again, or ask IT to check the account",
            if minutes == 1 { "" } else { "s" }
        ),
        clock: None,
    };
    (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, wait.as_secs().max(1).to_string())], Json(body)).into_response()
}

/// Checks the password, registers the device and returns its token. After
/// too many failures for the user name or from the address (see
/// [`crate::throttle`]) answers 429 `too_many_attempts` without checking.
pub async fn login(
    State(state): State<AppState>,
    extensions: Extensions,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let address = extensions.get::<ConnectInfo<ClientAddr>>().map(|c| c.0.0.ip());
    if req.device_name.trim().is_empty() || req.device_name.len() > 200 {
        return Err(ApiError::bad_request("device_name must be 1-200 characters (the laptop's name)"));
    }
    // Counted before the password is checked, in one step with the check.
    if let Err(wait) = state.login_throttle.attempt(&*state.db, &req.user, address, Utc::now()).await? {
        let detail = json!({"address": address.map(|a| a.to_string()), "retry_after_s": wait.as_secs()});
        let entry = AuditEntry::now("login_throttled", Some(&req.user), Some(req.device_id)).detail(detail.to_string());
        state.db.append_audit(&[entry]).await?;
        tracing::warn!(user = %req.user, ?address, "sign-in refused: too many failures");
        return Ok(too_many_attempts(wait));
    }
    let failed = |reason: &str| {
        let detail = json!({"address": address.map(|a| a.to_string()), "reason": reason});
        AuditEntry::now("login_failed", Some(&req.user), Some(req.device_id)).detail(detail.to_string())
    };
    if req.user.len() > 200 || req.password.len() > MAX_PASSWORD_BYTES {
        state.db.append_audit(&[failed("user name or password too long")]).await?;
        return Err(wrong_credentials());
    }
    let user = state.db.user(&req.user).await?;
    let ok = {
        // Argon2 takes ~19 MiB per check: a few at a time, off the async threads.
        let _permit = state.login_permits.acquire().await.map_err(|_| ApiError::internal())?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        let password = req.password;
        tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify_password(&password, &hash),
            None => verify_dummy(&password),
        })
        .await
        .map_err(|_| ApiError::internal())?
    };
    let user = match user {
        Some(user) if ok => user,
        _ => {
            state.db.append_audit(&[failed("wrong user name or password")]).await?;
            return Err(wrong_credentials());
        }
    };
    state.login_throttle.succeeded(&*state.db, &user.name, address).await?;
    if user.disabled {
        return Err(ApiError::unauthorized("this account is disabled; ask your team lead or IT"));
    }
    let token = DeviceToken::generate().map_err(|e| {
        tracing::error!(error = %e, "no randomness for a device token");
        ApiError::internal()
    })?;
    let device = match state.db.register_device(user.id, req.device_id, &req.device_name, &token.hash()).await {
        Ok(device) => device,
        Err(e @ (DbError::DeviceOfAnotherUser(_) | DbError::DeviceRevoked(_))) => {
            let reason =
                if matches!(e, DbError::DeviceRevoked(_)) { "revoked device" } else { "another user's device" };
            let detail = json!({"address": address.map(|a| a.to_string()), "reason": reason});
            let entry =
                AuditEntry::now("login_refused", Some(&user.name), Some(req.device_id)).detail(detail.to_string());
            state.db.append_audit(&[entry]).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    let entry = AuditEntry::now("login", Some(&user.name), Some(device.id))
        .detail(json!({"device_name": device.name}).to_string());
    state.db.append_audit(&[entry]).await?;
    tracing::info!(user = %user.name, device = %device.id, "device signed in");
    Ok(Json(LoginResponse {
        token: token.secret().to_string(),
        device_id: device.id,
        user: user.name,
        roles: user.roles,
        teams: user.teams,
    })
    .into_response())
}
