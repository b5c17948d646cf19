//! The report endpoints over HTTP and the `report` command: formats,
//! content types, refusals, suppression for commissioners.

mod support;

use outreach_domain::RecordKind;
use outreach_protocol::api::{Outcome, Role};
use outreach_protocol::{Mutation, Op};
use outreach_server::ServerConfig;
use outreach_server_db::credentials::hash_password;
use outreach_server_db::testing::{TestDb, run};
use outreach_server_db::{Backend, NewUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use support::{PASSWORD, error, new_client, people, start};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_over_http_and_the_command_line() {
    run(Backend::Sqlite, reports).await;
}

fn contact(device: Uuid, client: Uuid) -> Mutation {
    let fields = json!({
        "client_id": client, "at": "2026-11-03T23:10:00+00:00", "contact_type": "outreach_shift",
        "purpose": "street_encounter", "worker": "amy", "notes": "synthetic", "living_situation": "rough_sleeping",
        "bedded_down": true
    });
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: Uuid::now_v7(),
        kind: RecordKind::Contact,
        op: Op::Create,
        changes: fields
            .as_object()
            .expect("object")
            .iter()
            .map(|(k, v)| (k.clone(), json!({"old": null, "new": v})))
            .collect(),
        base_version: 0,
        hlc: outreach_domain::Hlc { wall_ms: 1_767_000_000_000, counter: 1, device },
    }
}

async fn body(response: reqwest::Response, content_type: &str) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let got = response.headers()["content-type"].to_str().expect("text").to_string();
    assert!(got.starts_with(content_type), "{got}");
    response.text().await.expect("body")
}

async fn reports(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    let db = t.db();
    people(&*db).await;
    let hash = hash_password(PASSWORD).expect("hash");
    for (name, role) in [("lia", Role::TeamLead), ("cam", Role::Commissioner)] {
        let user = NewUser {
            name: name.into(),
            password_hash: hash.clone(),
            roles: vec![role],
            teams: vec!["Liverpool Outreach".into()],
        };
        db.add_user(user).await.expect("user");
    }
    let amy = server.login("amy").await;
    let client = Uuid::now_v7();
    let pushed = server
        .push(&amy.token, &[new_client(amy.device_id, client, "Liverpool"), contact(amy.device_id, client)])
        .await;
    assert!(pushed.results.iter().all(|r| matches!(r.outcome, Outcome::Applied { .. })), "{pushed:?}");
    let lia = server.login("lia").await;
    let cam = server.login("cam").await;
    let get = |path: &str, token: &str| server.authed(Method::GET, path, token).send();

    let csv = body(
        get("/api/v1/reports/framework?area=liverpool&month=2026-11&format=csv", &lia.token).await.expect("get"),
        "text/csv",
    )
    .await;
    let mut lines = csv.lines();
    assert!(lines.next().expect("header").starts_with("local_authority,month,seen_over_month,single_night,"));
    assert!(lines.next().expect("row").starts_with("Liverpool,2026-11,1,,,1,"), "{csv}");
    let json: Value = get("/api/v1/reports/framework?area=Liverpool&month=2026-11", &cam.token)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!((json["report"].as_str(), json["seen_over_month"].as_str()), (Some("framework"), Some("[c]")), "{json}");
    let svg = body(
        get("/api/v1/reports/trend?month=2026-11&months=3&format=svg", &lia.token).await.expect("get"),
        "image/svg+xml",
    )
    .await;
    assert!(svg.starts_with("<svg") && svg.contains("Liverpool"), "{svg}");
    let page = body(
        get("/api/v1/reports/snapshot?area=Liverpool&night=2026-11-12&format=html", &lia.token).await.expect("get"),
        "text/html",
    )
    .await;
    assert!(page.contains("Rough sleeping count return: Liverpool"));
    let team: Value = get("/api/v1/reports/team?team=Liverpool%20Outreach&on=2026-11-30", &lia.token)
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(team["report"], "team");
    let monitoring = body(
        get("/api/v1/reports/monitoring?area=Liverpool&month=2026-11&format=csv", &cam.token).await.expect("get"),
        "text/csv",
    )
    .await;
    assert!(monitoring.lines().nth(1).expect("row").starts_with("Liverpool,2026-11,[c],"), "{monitoring}");

    error(
        get("/api/v1/reports/framework?area=Liverpool&month=2026-11", &amy.token).await.expect("get"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    error(
        get("/api/v1/reports/team?team=Liverpool%20Outreach", &cam.token).await.expect("get"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    error(
        get("/api/v1/reports/framework?area=Wirral&month=2026-11", &lia.token).await.expect("get"),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    error(
        get("/api/v1/reports/framework?area=Liverpool", &lia.token).await.expect("get"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    error(
        get("/api/v1/reports/framework?area=Liverpool&month=2026-11&format=svg", &lia.token).await.expect("get"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    error(
        get("/api/v1/reports/nights?area=Liverpool&from=2026-12-01&to=2026-11-01", &lia.token).await.expect("get"),
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    let denied =
        db.audit_log(None, 500).await.expect("audit").iter().filter(|a| a.entry.action == "report_denied").count();
    assert_eq!(denied, 3);
    server.stop().await;

    // the operator's command line: every area, unsuppressed unless asked
    let cli = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_outreach-server"))
            .args(["--database", &t.url(), "report"])
            .args(args)
            .env("OUTREACH_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .expect("run outreach-server")
    };
    let out = cli(&["framework", "--area", "Liverpool", "--month", "2026-11"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\nLiverpool,2026-11,1,,,1,"));
    let out = cli(&["monitoring", "--area", "Liverpool", "--month", "2026-11", "--suppress"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\nLiverpool,2026-11,[c],"));
    let out = cli(&["framework", "--area", "Liverpool", "--month", "2026-11", "--format", "html"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("format must be one of json, csv"));
    let out = cli(&["team", "--team", "Nowhere"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no team named 'Nowhere'"));

    // the operator's own definitions: a partial file changes only what it names
    let dir = std::env::temp_dir().join(format!("outreach-defs-{}", Uuid::now_v7()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let defs = dir.join("defs.json");
    std::fs::write(&defs, r#"{ "suppress_below": 1 }"#).expect("write defs");
    let defs_arg = defs.to_str().expect("utf-8 path");
    let out = cli(&[
        "monitoring",
        "--area",
        "Liverpool",
        "--month",
        "2026-11",
        "--suppress",
        "--report-definitions",
        defs_arg,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\nLiverpool,2026-11,1,") && !text.contains("[c]"), "{text}");
    // a misspelt setting is refused, not ignored
    std::fs::write(&defs, r#"{ "suppress_bellow": 1 }"#).expect("write defs");
    let out = cli(&["monitoring", "--area", "Liverpool", "--month", "2026-11", "--report-definitions", defs_arg]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not valid") && err.contains("suppress_bellow"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
