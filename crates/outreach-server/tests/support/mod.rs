//! A real server on 127.0.0.1 (port 0) over a test database, and a client.

#![allow(dead_code)]

use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{LoginResponse, PullResponse, PushResponse, Role};
use outreach_protocol::{Mutation, Op, PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER, SCHEMA_VERSION};
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::credentials::hash_password;
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Actor, Database, NewUser};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Makes a `sqlite` and a `postgres` module with one test per function
/// named: each runs the function on a fresh database of that backend.
#[allow(unused_macros)]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The HTTP client.
    pub http: reqwest::Client,
    /// The server's database.
    pub db: Arc<dyn Database>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Starts the server on a free loopback port.
pub async fn start(t: &TestDb, config: ServerConfig) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(t.db(), config);
    let task = tokio::spawn(outreach_server::serve(listener, state, async move {
        let _ = stopped.await;
    }));
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder().no_proxy().build().expect("client"),
        db: t.db(),
        stop,
        task,
    }
}

/// Teams and users: amy and ben (Liverpool), wes (Wirral).
pub async fn people(db: &dyn Database) {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| hash_password(PASSWORD).expect("hash")).clone();
    db.add_team("Liverpool Outreach", &["Liverpool".into()]).await.expect("team");
    db.add_team("Wirral Outreach", &["Wirral".into()]).await.expect("team");
    for (name, team) in [("amy", "Liverpool Outreach"), ("ben", "Liverpool Outreach"), ("wes", "Wirral Outreach")] {
        let user = NewUser {
            name: name.into(),
            password_hash: hash.clone(),
            roles: vec![Role::Worker],
            teams: vec![team.into()],
        };
        db.add_user(user).await.expect("user");
    }
}

impl Server {
    /// A request with the protocol headers.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(SCHEMA_HEADER, SCHEMA_VERSION.to_string())
    }

    /// A request with the protocol headers and a device token.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.req(method, path).bearer_auth(token)
    }

    /// Signs `user` in from a new laptop.
    pub async fn login(&self, user: &str) -> LoginResponse {
        self.login_from(user, Uuid::now_v7()).await
    }

    /// Signs `user` in from `device`.
    pub async fn login_from(&self, user: &str, device: Uuid) -> LoginResponse {
        let body =
            json!({"user": user, "password": PASSWORD, "device_id": device, "device_name": format!("{user}-laptop")});
        let response = self.req(Method::POST, "/api/v1/login").json(&body).send().await.expect("login");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("login body")
    }

    /// Pushes and returns the results.
    pub async fn push(&self, token: &str, mutations: &[Mutation]) -> PushResponse {
        let response = self
            .authed(Method::POST, "/api/v1/sync/push", token)
            .json(&json!({"mutations": mutations}))
            .send()
            .await
            .expect("push");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("push body")
    }

    /// Pulls one page.
    pub async fn pull(&self, token: &str, cursor: i64, limit: i64) -> PullResponse {
        let path = format!("/api/v1/sync/pull?cursor={cursor}&limit={limit}");
        let response = self.authed(Method::GET, &path, token).send().await.expect("pull");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("pull body")
    }

    /// Stops the server and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("server task").expect("server");
    }
}

/// Asserts an error response's status and code; returns its message.
pub async fn error(response: reqwest::Response, status: StatusCode, code: &str) -> String {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().expect("message").to_string();
    assert!(!message.is_empty());
    message
}

/// The actor a login stands for (to check with the database directly).
pub fn actor(login: &LoginResponse, user_id: Uuid) -> Actor {
    Actor { user_id, user: login.user.clone(), device: login.device_id, roles: login.roles.clone() }
}

fn stamp(device: Uuid) -> Hlc {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    Hlc { wall_ms: 1_767_000_000_000, counter: COUNTER.fetch_add(1, Ordering::Relaxed), device }
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// A new client in `area`, made on `device`.
pub fn new_client(device: Uuid, id: Uuid, area: &str) -> Mutation {
    let fields = object(json!({"area": area, "gender": "female", "phone": "0151 000"}));
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind: RecordKind::Client,
        op: Op::Create,
        changes: fields.into_iter().map(|(k, v)| (k, json!({"old": null, "new": v}))).collect(),
        base_version: 0,
        hlc: stamp(device),
    }
}

/// A client edit of one field against version `base`.
pub fn edit(device: Uuid, id: Uuid, base: i64, field: &str, old: Value, new: Value) -> Mutation {
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind: RecordKind::Client,
        op: Op::Update,
        changes: object(json!({field: {"old": old, "new": new}})),
        base_version: base,
        hlc: stamp(device),
    }
}
