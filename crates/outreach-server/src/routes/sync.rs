//! `POST /api/v1/sync/push`, `GET /api/v1/sync/pull` and `GET /api/v1/sync/digest`.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use outreach_protocol::api::{ClockSkew, PushRequest, PushResponse, ScopeDigest, clock_too_far_ahead};
use outreach_server_db::{AuditEntry, PullPage};
use serde::Deserialize;
use serde_json::json;

/// Most mutations in one push.
pub const MAX_PUSH: usize = 10_000;
/// Page size when the client names none.
pub const DEFAULT_PULL_LIMIT: i64 = 500;
/// Largest page.
pub const MAX_PULL_LIMIT: i64 = 5_000;

/// Applies a batch of mutations; a resent batch gets the stored results.
/// A batch with a clock stamp too far ahead of the server's clock is
/// refused whole (409 `clock_ahead`, audited as `push_refused`).
pub async fn push(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if req.mutations.len() > MAX_PUSH {
        return Err(ApiError::bad_request(format!("push at most {MAX_PUSH} changes at a time")));
    }
    let now = Utc::now();
    let max_ahead_ms = state.config.max_clock_ahead.num_milliseconds();
    if let Some(ahead_ms) = clock_too_far_ahead(&req.mutations, now.timestamp_millis(), max_ahead_ms) {
        let skew = ClockSkew { server_time: now, ahead_ms, max_ahead_ms };
        let detail = json!({"code": "clock_ahead", "ahead_ms": ahead_ms, "mutations": req.mutations.len()});
        let entry = AuditEntry::now("push_refused", Some(&actor.user), Some(actor.device)).detail(detail.to_string());
        state.db.append_audit(&[entry]).await?;
        tracing::warn!(user = %actor.user, device = %actor.device, ahead_ms, "push refused: device clock ahead");
        return Err(ApiError::clock_ahead(skew));
    }
    let _turn = state.sync_permits.acquire().await.map_err(|_| ApiError::internal())?;
    let results = state.db.push(&actor, &req.mutations).await?;
    Ok(Json(PushResponse { results }))
}

/// `?cursor=N&limit=M`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// Resume after this sequence number (0 for everything).
    pub cursor: Option<i64>,
    /// Page size (default 500, at most 5000).
    pub limit: Option<i64>,
    /// A later page of the snapshot pinned at this sequence.
    pub until: Option<i64>,
}

/// The changes after `cursor` this device may see (a
/// [`outreach_protocol::api::PullResponse`] on the wire). A pull from 0 is
/// a snapshot pinned at the highest sequence (`snapshot_seq`); one with
/// `until` is a later page of that snapshot.
pub async fn pull(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<PullQuery>,
) -> Result<Response, ApiError> {
    let cursor = query.cursor.unwrap_or(0);
    if cursor < 0 {
        return Err(ApiError::bad_request("cursor must be 0 or more"));
    }
    let limit = query.limit.unwrap_or(DEFAULT_PULL_LIMIT);
    if limit < 1 {
        return Err(ApiError::bad_request("limit must be at least 1"));
    }
    if query.until.is_some_and(|u| u < 0) {
        return Err(ApiError::bad_request("until must be 0 or more"));
    }
    let _turn = state.sync_permits.acquire().await.map_err(|_| ApiError::internal())?;
    let page: PullPage = state.db.pull_snapshot_page(&actor, cursor, limit.min(MAX_PULL_LIMIT), query.until).await?;
    // Written out while the turn is held, so a page waiting to be sent is
    // bytes, not records and bytes.
    let body = serde_json::to_vec(&page).map_err(|_| ApiError::internal())?;
    drop(page);
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// `?cursor=N`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestQuery {
    /// The device's pull cursor.
    pub cursor: Option<i64>,
}

/// The count and hash of what this device should hold, per scope unit.
pub async fn digest(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiQuery(query): ApiQuery<DigestQuery>,
) -> Result<Json<ScopeDigest>, ApiError> {
    let cursor = query.cursor.unwrap_or(0);
    if cursor < 0 {
        return Err(ApiError::bad_request("cursor must be 0 or more"));
    }
    let _turn = state.sync_permits.acquire().await.map_err(|_| ApiError::internal())?;
    Ok(Json(state.db.digest(&actor, cursor).await?))
}
