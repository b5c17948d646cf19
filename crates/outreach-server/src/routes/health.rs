//! `GET /health`: for load balancers and monitoring; needs no headers.

use crate::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// Answers `{"status": "ok"}` while the server is serving and its data is
/// sound; `"degraded"` (still 200: the server serves) with what is wrong
/// and what to do when records are stored damaged or the database cannot
/// be asked.
pub async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(match state.db.unreadable_records().await {
        Ok(list) if list.is_empty() => json!({"status": "ok"}),
        Ok(list) => json!({
            "status": "degraded",
            "unreadable_records": list.len(),
            "action": "some records cannot be read and are not sent to laptops: run `outreach-server record repair`",
        }),
        Err(e) => {
            tracing::error!(error = %e, "health: the database did not answer");
            json!({"status": "degraded", "database": "not answering"})
        }
    })
}
