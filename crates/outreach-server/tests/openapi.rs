//! `GET /openapi.json` describes exactly what the running server serves.

mod support;

use outreach_server::ServerConfig;
use outreach_server::routes::openapi::SERVED;
use outreach_server_db::Backend;
use outreach_server_db::testing::{TestDb, run};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use support::{error, start};
use uuid::Uuid;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// `(METHOD, path template)` of every operation in the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

fn concrete(template: &str) -> String {
    template.replace("{id}", &Uuid::now_v7().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_matches_the_served_routes() {
    run(Backend::Sqlite, matches_served_routes).await;
}

async fn matches_served_routes(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    // Served without any header, as JSON.
    let response = server.http.get(format!("{}/openapi.json", server.base)).send().await.expect("openapi");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().expect("text").to_string();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let doc: Value = response.json().await.expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let documented = documented(&doc);
    let served: BTreeSet<(String, String)> = SERVED.iter().map(|(m, p)| ((*m).into(), (*p).into())).collect();
    assert_eq!(documented, served, "the document and the router's list differ");

    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for template in paths {
        let path = concrete(template);
        for method in METHODS {
            let response = server
                .req(Method::from_bytes(method.as_bytes()).expect("method"), &path)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("probe");
            let status = response.status();
            // HEAD is answered by a GET route, as HTTP requires.
            let is_documented = documented.contains(&(method.to_string(), template.clone()))
                || (method == "HEAD" && documented.contains(&("GET".to_string(), template.clone())));
            if is_documented {
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is documented but refused");
                if status == StatusCode::NOT_FOUND {
                    // Only a handler's 404 (a record or conflict that does not exist) is fine.
                    let body: Value = response.json().await.expect("404 body");
                    assert!(
                        !body["message"].as_str().unwrap_or("").contains("no such endpoint"),
                        "{method} {path} is documented but not routed"
                    );
                }
            } else {
                assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path} is served but not documented");
            }
        }
    }

    // Addresses next to the documented ones are not served.
    for path in ["/", "/api", "/api/v1", "/api/v1/sync", "/api/v1/records", "/api/v1/conflicts/x", "/api/v2/login"] {
        let response = server.req(Method::GET, path).send().await.expect("probe");
        error(response, StatusCode::NOT_FOUND, "not_found").await;
    }

    // Every documented operation with security needs the bearer token.
    for (method, template) in &documented {
        let op = &doc["paths"][template][method.to_lowercase()];
        if op.get("security").is_none() {
            continue;
        }
        assert!(op["responses"].get("401").is_some(), "{method} {template}: 401 undocumented");
        let response = server
            .req(Method::from_bytes(method.as_bytes()).expect("method"), &concrete(template))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("probe");
        error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    server.stop().await;
}
