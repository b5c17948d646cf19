//! `POST /api/v1/conflicts/{id}/resolve`: a person chose a value.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use axum::Json;
use axum::extract::State;
use outreach_protocol::api::{Conflict, ResolveRequest};
use uuid::Uuid;

/// Writes the chosen value into the record and marks the conflict
/// resolved; answers the resolved conflict (404 outside scope).
pub async fn resolve(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(req): ApiJson<ResolveRequest>,
) -> Result<Json<Conflict>, ApiError> {
    state
        .db
        .resolve_conflict(&actor, id, req.value)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such conflict"))
}
