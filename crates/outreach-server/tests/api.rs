//! The HTTP API end to end: a real server on 127.0.0.1, over SQLite and over
//! PostgreSQL, spoken to with reqwest.

#[macro_use]
mod support;

use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::future::join_all;
use outreach_protocol::api::{Conflict, ErrorBody, Outcome, RecordChange};
use outreach_protocol::{PROTOCOL_HEADER, SCHEMA_HEADER};
use outreach_server::ServerConfig;
use outreach_server_db::testing::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::Write;
use support::{edit, error, new_client, people, start};
use uuid::Uuid;

on_both_backends!(
    health_needs_nothing,
    login_push_pull_and_idempotent_repush,
    conflict_and_resolution,
    revoked_device_gets_401_device_revoked,
    bad_credentials_are_401,
    oversized_body_is_413_json,
    malformed_bodies_are_400,
    outside_scope_is_404,
    old_protocol_is_refused,
    gzip_bodies_both_ways,
    a_clock_too_far_ahead_is_refused_whole,
    repeated_wrong_passwords_are_slowed_with_429,
    sync_requests_beyond_the_limit_wait_their_turn,
);

async fn health_needs_nothing(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    let response = server.http.get(format!("{}/health", server.base)).send().await.expect("health");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<serde_json::Value>().await.expect("json"), json!({"status": "ok"}));
    let response = server.req(Method::GET, "/api/v1/nowhere").send().await.expect("request");
    error(response, StatusCode::NOT_FOUND, "not_found").await;
    server.stop().await;
}

async fn login_push_pull_and_idempotent_repush(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    assert_eq!((amy.user.as_str(), amy.teams.clone()), ("amy", vec!["Liverpool Outreach".to_string()]));
    assert_eq!(amy.token.len(), 64);
    let devices = server.db.devices().await.expect("devices");
    assert_eq!(devices.len(), 1);
    assert_ne!(
        server.db.device_by_token(&amy.token).await.expect("lookup").map(|d| d.device.id),
        Some(amy.device_id),
        "the token is stored only as a hash"
    );

    let (c1, c2) = (Uuid::now_v7(), Uuid::now_v7());
    let batch = vec![new_client(amy.device_id, c1, "Liverpool"), new_client(amy.device_id, c2, "Liverpool")];
    let first = server.push(&amy.token, &batch).await;
    assert_eq!(
        first.results.iter().map(|r| r.outcome.clone()).collect::<Vec<_>>(),
        vec![Outcome::Applied { version: 1 }, Outcome::Applied { version: 1 }]
    );
    let again = server.push(&amy.token, &batch).await;
    assert_eq!(again.results, first.results, "a resent batch gets the same answers");

    let ben = server.login("ben").await;
    let page = server.pull(&ben.token, 0, 1).await;
    assert_eq!((page.changes.len(), page.has_more, page.remaining), (1, true, 1));
    assert_eq!(page.changes[0].id, c1);
    assert_eq!(page.changes[0].version, 1, "one version bump for a batch sent twice");
    let next = server.pull(&ben.token, page.next_cursor, 500).await;
    assert_eq!(next.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![c2]);
    assert!(!next.has_more);
    let default_limit = server.authed(Method::GET, "/api/v1/sync/pull", &ben.token).send().await.expect("pull");
    assert_eq!(default_limit.status(), StatusCode::OK);
    let huge = server.authed(Method::GET, "/api/v1/sync/pull?limit=999999", &ben.token).send().await.expect("pull");
    assert_eq!(huge.status(), StatusCode::OK, "a limit over the maximum is capped");
    let record: RecordChange = server
        .authed(Method::GET, &format!("/api/v1/records/{c2}"), &ben.token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("record");
    assert_eq!((record.id, record.updated_by.as_str()), (c2, "amy"));

    let audit = server.db.audit_log(None, 1000).await.expect("audit");
    let count = |action: &str| audit.iter().filter(|a| a.entry.action == action).count();
    assert_eq!(count("login"), 2);
    assert_eq!(count("push"), 4);
    assert_eq!(count("read"), 1);
    assert!(count("pull") >= 2, "one audit row per record pulled");
    server.stop().await;
}

async fn conflict_and_resolution(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, ben) = (server.login("amy").await, server.login("ben").await);
    let c = Uuid::now_v7();
    server.push(&amy.token, &[new_client(amy.device_id, c, "Liverpool")]).await;
    let a = edit(amy.device_id, c, 1, "phone", json!("0151 000"), json!("0151 111"));
    let b = edit(ben.device_id, c, 1, "phone", json!("0151 000"), json!("0151 222"));
    assert_eq!(server.push(&amy.token, &[a]).await.results[0].outcome, Outcome::Applied { version: 2 });
    let outcome = server.push(&ben.token, &[b]).await.results[0].outcome.clone();
    // only a clashing field: nothing is written, the clash is kept for a person
    let Outcome::Merged { version: 2, conflicts } = outcome else { panic!("expected a conflict, got {outcome:?}") };
    let pulled = server.pull(&amy.token, 0, 500).await;
    assert_eq!(pulled.conflicts.iter().map(|c| c.id).collect::<Vec<_>>(), conflicts);
    assert_eq!(pulled.conflicts[0].other, json!("0151 222"));

    let path = format!("/api/v1/conflicts/{}/resolve", conflicts[0]);
    let response = server
        .authed(Method::POST, &path, &amy.token)
        .json(&json!({"value": "0151 222"}))
        .send()
        .await
        .expect("resolve");
    assert_eq!(response.status(), StatusCode::OK);
    let resolved: Conflict = response.json().await.expect("conflict");
    assert_eq!(resolved.resolved_by.as_deref(), Some("amy"));
    let record: RecordChange = server
        .authed(Method::GET, &format!("/api/v1/records/{c}"), &ben.token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!((record.data["phone"].clone(), record.version), (json!("0151 222"), 3));
    let wes = server.login("wes").await;
    let response =
        server.authed(Method::POST, &path, &wes.token).json(&json!({"value": "x"})).send().await.expect("resolve");
    error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = server
        .authed(Method::POST, &path, &amy.token)
        .json(&json!({"value": 1, "also": 2}))
        .send()
        .await
        .expect("resolve");
    error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    server.stop().await;
}

async fn revoked_device_gets_401_device_revoked(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let laptop = Uuid::now_v7();
    let amy = server.login_from("amy", laptop).await;
    assert_eq!(server.pull(&amy.token, 0, 10).await.next_cursor, 0);
    server.db.revoke_device(laptop, Some("stolen")).await.expect("revoke");
    let response = server.authed(Method::GET, "/api/v1/sync/pull", &amy.token).send().await.expect("pull");
    error(response, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .json(&json!({"mutations": []}))
        .send()
        .await
        .expect("push");
    error(response, StatusCode::UNAUTHORIZED, "device_revoked").await;
    // signing in again from the revoked laptop does not bring it back
    let body = json!({"user": "amy", "password": support::PASSWORD, "device_id": laptop, "device_name": "amy-laptop"});
    let response = server.req(Method::POST, "/api/v1/login").json(&body).send().await.expect("login");
    error(response, StatusCode::UNAUTHORIZED, "device_revoked").await;
    server.stop().await;
}

async fn bad_credentials_are_401(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    for (user, password) in [("amy", "not the password"), ("nobody", support::PASSWORD)] {
        let body = json!({"user": user, "password": password, "device_id": Uuid::now_v7(), "device_name": "x"});
        let response = server.req(Method::POST, "/api/v1/login").json(&body).send().await.expect("login");
        let message = error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        assert_eq!(message, "wrong user name or password", "unknown users and wrong passwords look alike");
    }
    let response = server.req(Method::GET, "/api/v1/sync/pull").send().await.expect("pull");
    error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = server.authed(Method::GET, "/api/v1/sync/pull", "0123456789abcdef").send().await.expect("pull");
    error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let amy = server.login("amy").await;
    server.db.set_user_disabled("amy", true).await.expect("disable");
    let response = server.authed(Method::GET, "/api/v1/sync/pull", &amy.token).send().await.expect("pull");
    error(response, StatusCode::UNAUTHORIZED, "device_revoked").await; // disabling revokes the laptops
    let failed = server
        .db
        .audit_log(None, 100)
        .await
        .expect("audit")
        .iter()
        .filter(|a| a.entry.action == "login_failed")
        .count();
    assert_eq!(failed, 2);
    server.stop().await;
}

async fn oversized_body_is_413_json(t: TestDb) {
    let limit = 64 * 1024;
    let server = start(&t, ServerConfig { max_body_bytes: limit, ..ServerConfig::default() }).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let mutations: Vec<_> = (0..400).map(|_| new_client(amy.device_id, Uuid::now_v7(), "Liverpool")).collect();
    let body = serde_json::to_vec(&json!({"mutations": mutations})).expect("json");
    assert!(body.len() > limit);
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("push");
    let message = error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(message.contains(&limit.to_string()), "{message}");
    // small when compressed, too large once decompressed: refused all the same
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&body).expect("gzip");
    let compressed = gz.finish().expect("gzip");
    assert!(compressed.len() < limit);
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(compressed)
        .send()
        .await
        .expect("push");
    error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(server.pull(&amy.token, 0, 10).await.changes.is_empty(), "nothing was applied");
    server.stop().await;
}

async fn sync_requests_beyond_the_limit_wait_their_turn(t: TestDb) {
    // One sync request served at a time: the others queue, none fails.
    let server = start(&t, ServerConfig { concurrent_syncs: 1, ..ServerConfig::default() }).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let mutations: Vec<_> = (0..20).map(|_| new_client(amy.device_id, Uuid::now_v7(), "Liverpool")).collect();
    server.push(&amy.token, &mutations).await;
    let pulls = (0..12).map(|_| server.pull(&amy.token, 0, 500));
    let pushes = (0..4).map(|i| {
        let mine = vec![new_client(amy.device_id, Uuid::now_v7(), "Liverpool")];
        let server = &server;
        let token = amy.token.clone();
        async move { (i, server.push(&token, &mine).await) }
    });
    let (pages, pushed) = tokio::join!(join_all(pulls), join_all(pushes));
    assert!(pages.iter().all(|p| p.changes.len() >= 20), "every pull answered with the records");
    assert!(pushed.iter().all(|(_, r)| matches!(r.results[0].outcome, Outcome::Applied { .. })));
    assert_eq!(server.pull(&amy.token, 0, 500).await.changes.len(), 24);
    server.stop().await;
}

async fn malformed_bodies_are_400(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let push =
        || server.authed(Method::POST, "/api/v1/sync/push", &amy.token).header("content-type", "application/json");
    let message =
        error(push().body("{\"mutations\": [").send().await.expect("push"), StatusCode::BAD_REQUEST, "bad_request")
            .await;
    assert!(message.contains("not valid JSON"), "{message}");
    let message = error(
        push().body(r#"{"mutations": [], "extra": 1}"#).send().await.expect("push"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(message.contains("extra"), "the unknown field is named: {message}");
    let message = error(
        push().body(r#"{"mutations": "lots"}"#).send().await.expect("push"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(message.contains("mutations"), "{message}");
    let bad_op = json!({"mutations": [{"mutation_id": Uuid::now_v7(), "record_id": Uuid::now_v7(), "kind": "client",
        "op": "explode", "changes": {}, "base_version": 0, "hlc": "0000000000000.00000000.00000000000000000000000000000000"}]});
    error(push().json(&bad_op).send().await.expect("push"), StatusCode::BAD_REQUEST, "bad_request").await;
    let login = server.req(Method::POST, "/api/v1/login").header("content-type", "application/json");
    let message = error(
        login.body(r#"{"user": "amy", "password": 5}"#).send().await.expect("login"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert!(message.contains("password"), "{message}");
    let response = server.authed(Method::POST, "/api/v1/sync/push", &amy.token).body("{}").send().await.expect("push");
    error(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, "bad_request").await;
    let brotli = push().header("content-encoding", "br").body("{}").send().await.expect("push");
    error(brotli, StatusCode::UNSUPPORTED_MEDIA_TYPE, "bad_request").await;
    let response = server.authed(Method::GET, "/api/v1/sync/pull?cursor=soon", &amy.token).send().await.expect("pull");
    error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = server.authed(Method::GET, "/api/v1/sync/pull?cursor=-1", &amy.token).send().await.expect("pull");
    error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = server.authed(Method::GET, "/api/v1/records/not-a-uuid", &amy.token).send().await.expect("get");
    error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let response = server.authed(Method::DELETE, "/api/v1/sync/push", &amy.token).send().await.expect("delete");
    error(response, StatusCode::METHOD_NOT_ALLOWED, "bad_request").await;
    server.stop().await;
}

async fn outside_scope_is_404(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, wes) = (server.login("amy").await, server.login("wes").await);
    let c = Uuid::now_v7();
    server.push(&wes.token, &[new_client(wes.device_id, c, "Wirral")]).await;
    let response = server.authed(Method::GET, &format!("/api/v1/records/{c}"), &amy.token).send().await.expect("get");
    let outside = error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = server
        .authed(Method::GET, &format!("/api/v1/records/{}", Uuid::now_v7()), &amy.token)
        .send()
        .await
        .expect("get");
    let absent = error(response, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(outside, absent, "outside scope looks exactly like absent");
    let response = server.authed(Method::GET, &format!("/api/v1/records/{c}"), &wes.token).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let attempt = edit(amy.device_id, c, 1, "phone", json!("0151 000"), json!("0151 666"));
    let Outcome::Rejected { code, .. } = server.push(&amy.token, &[attempt]).await.results[0].outcome.clone() else {
        panic!("expected a rejection")
    };
    assert_eq!(code, "unknown_record", "answered as for a record that does not exist");
    assert!(server.pull(&amy.token, 0, 500).await.changes.is_empty());
    server.stop().await;
}

async fn old_protocol_is_refused(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let url = format!("{}/api/v1/sync/pull", server.base);
    let old = server.http.get(&url).bearer_auth(&amy.token).header(PROTOCOL_HEADER, "0").header(SCHEMA_HEADER, "1");
    let message = error(old.send().await.expect("pull"), StatusCode::UPGRADE_REQUIRED, "protocol_too_old").await;
    assert!(message.contains("update Outreach"), "{message}");
    let login = server
        .http
        .post(format!("{}/api/v1/login", server.base))
        .header(PROTOCOL_HEADER, "0")
        .header(SCHEMA_HEADER, "1");
    error(login.json(&json!({})).send().await.expect("login"), StatusCode::UPGRADE_REQUIRED, "protocol_too_old").await;
    let bare = server.http.get(&url).bearer_auth(&amy.token);
    let message = error(bare.send().await.expect("pull"), StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains(PROTOCOL_HEADER), "{message}");
    let no_schema = server.http.get(&url).bearer_auth(&amy.token).header(PROTOCOL_HEADER, "1");
    let message = error(no_schema.send().await.expect("pull"), StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains(SCHEMA_HEADER), "{message}");
    let garbled =
        server.http.get(&url).bearer_auth(&amy.token).header(PROTOCOL_HEADER, "one").header(SCHEMA_HEADER, "1");
    error(garbled.send().await.expect("pull"), StatusCode::BAD_REQUEST, "bad_request").await;
    server.stop().await;
}

async fn gzip_bodies_both_ways(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let mutations: Vec<_> = (0..50).map(|_| new_client(amy.device_id, Uuid::now_v7(), "Liverpool")).collect();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&serde_json::to_vec(&json!({"mutations": mutations})).expect("json")).expect("gzip");
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().expect("gzip"))
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), StatusCode::OK);
    // reqwest asks for gzip and decompresses; the page arrives whole
    let page = server.pull(&amy.token, 0, 500).await;
    assert_eq!(page.changes.len(), 50);
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body("this is not gzip")
        .send()
        .await
        .expect("push");
    error(response, StatusCode::BAD_REQUEST, "bad_request").await;
    server.stop().await;
}

/// A push stamped days ahead of the server's clock is refused whole with
/// 409 `clock_ahead`, the server time and how far ahead; nothing in it is
/// applied; the refusal is audited. Within the bound it is applied.
async fn a_clock_too_far_ahead_is_refused_whole(t: TestDb) {
    let config = ServerConfig { max_clock_ahead: chrono::TimeDelta::minutes(5), ..ServerConfig::default() };
    let server = start(&t, config).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let now = chrono::Utc::now().timestamp_millis();
    let day = 86_400_000;
    let (fine, fast) = (Uuid::now_v7(), Uuid::now_v7());
    let mut ahead = new_client(amy.device_id, fast, "Liverpool");
    ahead.hlc.wall_ms = now + 3 * day;
    let batch = vec![new_client(amy.device_id, fine, "Liverpool"), ahead];
    let response = server
        .authed(Method::POST, "/api/v1/sync/push", &amy.token)
        .json(&json!({"mutations": batch}))
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: ErrorBody = response.json().await.expect("error body");
    assert_eq!(body.code, "clock_ahead");
    assert!(body.message.starts_with("this laptop's clock is 3 days ahead of the server"), "{}", body.message);
    let skew = body.clock.expect("clock details");
    assert!(skew.ahead_ms >= 3 * day - 60_000 && skew.ahead_ms <= 3 * day, "{skew:?}");
    assert_eq!(skew.max_ahead_ms, 300_000);
    assert!((skew.server_time.timestamp_millis() - now).abs() < 60_000, "{skew:?}");

    let ben = server.login("ben").await;
    assert!(server.pull(&ben.token, 0, 500).await.changes.is_empty(), "nothing in the refused push was applied");
    let audit = server.db.audit_log(None, 100).await.expect("audit");
    let refused: Vec<_> = audit.iter().filter(|a| a.entry.action == "push_refused").collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].entry.user.as_deref(), Some("amy"));
    assert!(refused[0].entry.detail.as_deref().unwrap_or("").contains("clock_ahead"));

    // four minutes ahead is within the five-minute bound
    let mut near = new_client(amy.device_id, fast, "Liverpool");
    near.hlc.wall_ms = now + 4 * 60_000;
    let pushed = server.push(&amy.token, &[new_client(amy.device_id, fine, "Liverpool"), near]).await;
    assert!(pushed.results.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })), "{pushed:?}");
    server.stop().await;
}

/// Past five wrong passwords for a user name, sign-in is refused with 429
/// `too_many_attempts` and `Retry-After`, even with the right password,
/// and audited; other users are not affected. A second server on the same
/// database refuses too: the count is the database's, not a process's.
async fn repeated_wrong_passwords_are_slowed_with_429(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let attempt = |user: &'static str, password: &'static str| {
        let body = json!({"user": user, "password": password, "device_id": Uuid::now_v7(), "device_name": "laptop"});
        server.req(Method::POST, "/api/v1/login").json(&body).send()
    };
    for _ in 0..5 {
        error(attempt("amy", "guess").await.expect("login"), StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let refused = attempt("amy", support::PASSWORD).await.expect("login");
    let wait: u64 = refused.headers()["retry-after"].to_str().expect("text").parse().expect("seconds");
    assert!(wait > 0 && wait <= 15 * 60, "{wait}");
    let message = error(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    assert!(message.contains("wait 15 minutes"), "{message}");
    let other = start(&t, ServerConfig::default()).await;
    let body =
        json!({"user": "amy", "password": support::PASSWORD, "device_id": Uuid::now_v7(), "device_name": "laptop"});
    let refused = other.req(Method::POST, "/api/v1/login").json(&body).send().await.expect("login");
    error(refused, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts").await;
    other.stop().await;
    assert_eq!(server.db.devices().await.expect("devices").len(), 0, "no device registered while refused");
    server.login("ben").await;
    let audit = server.db.audit_log(None, 100).await.expect("audit");
    let count = |action: &str| audit.iter().filter(|a| a.entry.action == action).count();
    assert_eq!((count("login_failed"), count("login_throttled"), count("login")), (5, 2, 1));
    server.stop().await;
}
