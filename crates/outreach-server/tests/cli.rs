//! The `outreach-server` binary: administration commands against SQLite and
//! PostgreSQL, the refusal to serve plain HTTP beyond loopback, and `serve`
//! itself answering on the port it bound.

use outreach_server_db::testing::TestDb;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_outreach-server");

fn outreach_server(database: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--database", database])
        .args(args)
        .env("OUTREACH_PASSWORD", "correct horse battery staple")
        .env("OUTREACH_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run outreach-server")
}

fn ok(database: &str, args: &[&str]) -> String {
    let out = outreach_server(database, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fails(database: &str, args: &[&str]) -> String {
    let out = outreach_server(database, args);
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn administration(t: TestDb) {
    let url = t.url();
    let db = t.db();
    assert!(ok(&url, &["migrate"]).contains("up to date"));
    assert!(
        ok(&url, &["team", "add", "Liverpool Outreach", "--area", "Liverpool", "--area", "Sefton"]).contains("Sefton")
    );
    assert!(fails(&url, &["team", "add", "Liverpool Outreach", "--area", "Wirral"]).contains("already exists"));
    let added =
        ok(&url, &["user", "add", "amy", "--role", "worker", "--role", "team_lead", "--team", "Liverpool Outreach"]);
    assert!(added.contains("amy"), "{added}");
    assert!(fails(&url, &["user", "add", "bob", "--role", "worker", "--team", "Nowhere"]).contains("no team named"));
    let list = ok(&url, &["user", "list"]);
    assert!(list.contains("amy\tteam_lead,worker\tLiverpool Outreach\tactive"), "{list}");
    assert!(ok(&url, &["team", "list"]).contains("Liverpool Outreach\tLiverpool, Sefton"));

    let amy = db.user("amy").await.expect("lookup").expect("amy");
    assert!(outreach_server_db::credentials::verify_password("correct horse battery staple", &amy.password_hash));
    let laptop = Uuid::now_v7();
    db.register_device(amy.id, laptop, "LAPTOP-9", "hash").await.expect("device");
    assert!(ok(&url, &["device", "list"]).contains(&format!("{laptop}\tamy\tLAPTOP-9")));
    ok(&url, &["device", "revoke", &laptop.to_string(), "--reason", "left on a bus"]);
    let device = db.devices().await.expect("devices").remove(0);
    assert_eq!(device.revoke_reason.as_deref(), Some("left on a bus"));
    assert!(ok(&url, &["device", "list"]).contains("revoked"));
    assert!(fails(&url, &["device", "revoke", "not-an-id"]).contains("invalid"));
    ok(&url, &["user", "disable", "amy"]);
    assert!(db.user("amy").await.expect("lookup").expect("amy").disabled);
    let actions: Vec<String> =
        db.audit_log(None, 100).await.expect("audit").into_iter().map(|a| a.entry.action).collect();
    for action in ["team_add", "user_add", "device_revoke", "user_disable"] {
        assert!(actions.iter().any(|a| a == action), "{action} audited: {actions:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_on_sqlite() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, administration).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_on_postgres() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Postgres, administration).await;
}

#[test]
fn plain_http_beyond_loopback_is_refused() {
    let dir = tempfile_dir();
    let db = dir.join("refuse.db");
    let message = fails(&db.display().to_string(), &["serve", "--listen", "0.0.0.0:0"]);
    assert!(message.contains("refusing to serve plain HTTP"), "{message}");
    assert!(!db.exists(), "nothing was opened or created");
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("outreach-server-cli-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn serve_answers_on_the_port_it_bound() {
    let dir = tempfile_dir();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("OUTREACH_SERVER_DATA", &dir)
        .env_remove("OUTREACH_DATABASE_URL")
        .env("OUTREACH_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let started = Instant::now();
    let addr = loop {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        let Some(Ok(line)) = lines.next() else { panic!("the server exited before listening") };
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().expect("address").to_string();
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let health = runtime.block_on(async {
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        client.get(format!("http://{addr}/health")).send().await.expect("health").text().await.expect("body")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(health, r#"{"status":"ok"}"#);
    assert!(dir.join("outreach-server.db").exists(), "the default database is made in OUTREACH_SERVER_DATA");
    let _ = std::fs::remove_dir_all(dir);
}

async fn client_export_and_erase(t: TestDb) {
    use outreach_domain::{Hlc, RecordKind};
    use outreach_protocol::api::Role;
    use outreach_protocol::{Mutation, Op};
    use outreach_server_db::{Actor, NewUser};

    let (url, db) = (t.url(), t.db());
    db.add_team("Liverpool Outreach", &["Liverpool".into()]).await.expect("team");
    let user = db
        .add_user(NewUser {
            name: "amy".into(),
            password_hash: "not used".into(),
            roles: vec![Role::Worker],
            teams: vec!["Liverpool Outreach".into()],
        })
        .await
        .expect("user");
    let device = Uuid::now_v7();
    db.register_device(user.id, device, "LAPTOP-1", "hash").await.expect("device");
    let amy = Actor { user_id: user.id, user: user.name, device, roles: user.roles };
    let (client, note) = (Uuid::now_v7(), Uuid::now_v7());
    let create = |id: Uuid, kind: RecordKind, fields: serde_json::Value, counter: u32| Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind,
        op: Op::Create,
        changes: fields
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!({"old": null, "new": v})))
            .collect(),
        base_version: 0,
        hlc: Hlc { wall_ms: 1_767_000_000_000, counter, device },
    };
    let batch = [
        create(client, RecordKind::Client, serde_json::json!({"area": "Liverpool", "phone": "0151 000"}), 0),
        create(note, RecordKind::Contact, serde_json::json!({"client_id": client, "notes": "at the library"}), 1),
    ];
    db.push(&amy, &batch).await.expect("push");

    let export: serde_json::Value = serde_json::from_str(&ok(&url, &["client", "export", &client.to_string()]))
        .expect("the export is JSON on stdout");
    assert_eq!(export["client"]["data"]["phone"], "0151 000");
    assert_eq!(export["records"][0]["id"], serde_json::json!(note));
    assert!(export["audit"].as_array().expect("audit").iter().any(|a| a["action"] == "push"));
    assert!(fails(&url, &["client", "export", &Uuid::now_v7().to_string()]).contains("no client record"));
    assert!(fails(&url, &["client", "erase", &client.to_string()]).contains("--reason"));

    let erased = ok(&url, &["client", "erase", &client.to_string(), "--reason", "erasure request ER-7"]);
    assert!(erased.contains("2 record(s) erased now"), "{erased}");
    let record = db.record(&amy, note).await.expect("get").expect("visible");
    assert!(record.erased && record.data.is_empty());
    let actions: Vec<String> =
        db.audit_log(None, 100).await.expect("audit").into_iter().map(|a| a.entry.action).collect();
    assert!(actions.iter().any(|a| a == "client_export") && actions.iter().filter(|a| *a == "erase").count() == 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_export_and_erase_on_sqlite() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, client_export_and_erase).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_export_and_erase_on_postgres() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Postgres, client_export_and_erase).await;
}
