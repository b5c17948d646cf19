//! `GET /openapi.json`: the OpenAPI 3.1 description of this API.
//!
//! The document is written by hand (`src/openapi.json`) and kept honest by
//! the test `openapi_matches_the_served_routes`, which probes every
//! documented operation on a running server and every served route in the
//! document.

use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

/// The document, as served.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Every path and method the server serves, as `(METHOD, path template)`,
/// in the order of [`crate::router`]. The tests check it against both the
/// document and the running server.
pub const SERVED: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("POST", "/api/v1/login"),
    ("POST", "/api/v1/sync/push"),
    ("GET", "/api/v1/sync/pull"),
    ("GET", "/api/v1/sync/digest"),
    ("GET", "/api/v1/records/{id}"),
    ("POST", "/api/v1/conflicts/{id}/resolve"),
    ("GET", "/api/v1/reports/snapshot"),
    ("GET", "/api/v1/reports/nights"),
    ("GET", "/api/v1/reports/framework"),
    ("GET", "/api/v1/reports/trend"),
    ("GET", "/api/v1/reports/monitoring"),
    ("GET", "/api/v1/reports/team"),
];

/// Answers the document; needs no headers.
pub async fn openapi() -> impl IntoResponse {
    ([(CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_document_is_openapi_3_1_json() {
        let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("valid JSON");
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
        let paths = doc["paths"].as_object().expect("paths");
        let mut documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(path, item)| {
                item.as_object().expect("path item").keys().map(move |m| (m.to_uppercase(), path.clone()))
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String)> =
            SERVED.iter().map(|(m, p)| ((*m).to_string(), (*p).to_string())).collect();
        served.sort();
        assert_eq!(documented, served);
        // The API's error answers are documented on every operation that can give them.
        let resolve = |v: &Value| -> Value {
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => doc.pointer(r.trim_start_matches('#')).cloned().expect("ref"),
                None => v.clone(),
            }
        };
        for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
            for (method, op) in item.as_object().expect("path item") {
                let responses = &op["responses"];
                for status in ["200", "400", "413", "426"] {
                    assert!(responses.get(status).is_some(), "{method} {path}: {status} undocumented");
                }
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .expect("parameters")
                    .iter()
                    .map(|p| resolve(p)["name"].as_str().unwrap_or("").to_string())
                    .collect();
                assert!(
                    params.iter().any(|p| p == "outreach-protocol") && params.iter().any(|p| p == "outreach-schema")
                );
                let error = resolve(&responses["426"]);
                assert!(error["description"].as_str().expect("text").contains("protocol_too_old"));
                if op.get("security").is_some() {
                    let unauthorized = resolve(&responses["401"]);
                    assert!(unauthorized["description"].as_str().expect("text").contains("device_revoked"));
                }
                if path.contains("{id}") {
                    assert!(responses.get("404").is_some(), "{method} {path}: 404 undocumented");
                }
            }
        }
        // Every $ref resolves.
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|v| refs(v, out));
                }
                Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        for r in all {
            let pointer = r.strip_prefix('#').expect("local ref");
            assert!(doc.pointer(pointer).is_some(), "dangling {r}");
        }
    }
}
