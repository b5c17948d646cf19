//! `GET /api/v1/records/{id}`: one record. Outside the caller's scope the
//! answer is 404, exactly as for a record that does not exist.

use crate::AppState;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use outreach_protocol::api::RecordChange;
use uuid::Uuid;

/// The record, if the caller may see it.
pub async fn get_record(
    State(state): State<AppState>,
    Authenticated(actor): Authenticated,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RecordChange>, ApiError> {
    state.db.record(&actor, id).await?.map(Json).ok_or_else(|| ApiError::not_found("no such record"))
}
