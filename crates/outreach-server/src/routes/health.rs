//! `GET /health`: for load balancers and monitoring; needs no headers.

use axum::Json;
use serde_json::{Value, json};

/// Answers `{"status": "ok"}` while the server is serving.
pub async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}
