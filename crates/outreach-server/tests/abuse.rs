//! The abuse suite: what the server refuses, each attack tried against a
//! real server on 127.0.0.1, over SQLite and over PostgreSQL.
//!
//! Every test here is named for what it proves stays closed; the threat each
//! answers is in `docs/security.md`, which names these tests.

#[macro_use]
mod support;

use futures_util::future::join_all;
use outreach_domain::RecordKind;
use outreach_protocol::api::{Outcome, Role};
use outreach_protocol::{Mutation, Op};
use outreach_server::ServerConfig;
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Database, NewUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Server, edit, error, new_client, people, start};
use uuid::Uuid;

on_both_backends!(
    a_merge_into_another_teams_client_cannot_widen_scope,
    caseload_assignments_follow_the_role,
    a_sighting_cannot_name_a_client_out_of_reach,
    an_id_out_of_reach_answers_as_if_absent,
    a_clock_stamp_that_cannot_be_read_back_is_refused,
    a_damaged_record_never_stops_the_areas_sync,
    concurrent_wrong_passwords_cannot_race_the_throttle,
    an_erased_person_cannot_be_pushed_back,
    disabling_a_user_revokes_every_laptop_for_good,
    an_idle_token_expires_and_refused_tokens_are_audited,
    list_parameters_are_deduplicated_and_capped,
    a_signed_off_record_is_never_rewritten,
    a_mutation_out_of_shape_is_refused,
    erasure_and_export_follow_merges,
);

/// Review item 8: a body is read only for a caller the server knows. 300
/// unauthenticated 16 MiB posts at once leave the server (in this test's
/// process, with the client) under 200 MiB and answering /health.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_bodies_cannot_fill_the_servers_memory() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, |t: TestDb| async move {
        let server = start(&t, ServerConfig::default()).await;
        people(&*server.db).await;
        let big = axum::body::Bytes::from(vec![b'x'; 16 * 1024 * 1024]);
        let posts = (0..300).map(|i| {
            let token = if i % 2 == 0 { "0".repeat(64) } else { String::new() };
            server
                .authed(Method::POST, "/api/v1/sync/push", &token)
                .header("content-type", "application/json")
                .body(big.clone())
                .send()
        });
        let mut statuses = std::collections::BTreeMap::<String, usize>::new();
        for outcome in join_all(posts).await {
            let key = outcome.map_or_else(|_| "connection closed".to_string(), |r| r.status().as_u16().to_string());
            *statuses.entry(key).or_default() += 1;
        }
        assert!(statuses.keys().all(|k| ["401", "503", "connection closed"].contains(&k.as_str())), "{statuses:?}");
        assert!(statuses.get("401").is_some_and(|n| *n > 0), "{statuses:?}");
        let health = server.http.get(format!("{}/health", server.base)).send().await.expect("health");
        assert_eq!(health.status(), StatusCode::OK);
        let peak_kib: u64 = std::fs::read_to_string("/proc/self/status")
            .expect("status")
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        assert!(peak_kib < 200 * 1024, "peak {} MiB: {statuses:?}", peak_kib / 1024);
        // a sign-in body is small
        let login = server
            .req(Method::POST, "/api/v1/login")
            .header("content-type", "application/json")
            .body(vec![b' '; 64 * 1024])
            .send()
            .await
            .expect("login");
        error(login, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
        // a known caller's push still works
        let amy = server.login("amy").await;
        server.push(&amy.token, &[new_client(amy.device_id, Uuid::now_v7(), "Liverpool")]).await;
        server.stop().await;
    })
    .await;
}

/// Review item 12 (the server's half): erased data does not linger in the
/// SQLite file's free pages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_data_does_not_linger_in_the_sqlite_file() {
    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, |t: TestDb| async move {
        let server = start(&t, ServerConfig::default()).await;
        people(&*server.db).await;
        let amy = server.login("amy").await;
        let c = Uuid::now_v7();
        let mut client = new_client(amy.device_id, c, "Liverpool");
        let secret = "Zebedee Quillfeather-Marchbanks";
        client.changes.insert("name".into(), json!({"old": null, "new": secret}));
        server.push(&amy.token, &[client]).await;
        server.db.erase_client(c, "operator:test", "erasure request 2").await.expect("erase").expect("client");
        t.execute_raw("PRAGMA wal_checkpoint(TRUNCATE)").await.expect("checkpoint");
        let path = t.url();
        let path = path.strip_prefix("sqlite://").unwrap_or(&path);
        let mut bytes = std::fs::read(path).expect("database file");
        if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
            bytes.extend(wal);
        }
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the erased name is still in the database file");
        server.stop().await;
    })
    .await;
}

/// A record of `kind` made with `fields`.
fn create(device: Uuid, kind: RecordKind, id: Uuid, fields: Value) -> Mutation {
    let mut m = new_client(device, id, "unused");
    m.kind = kind;
    m.changes =
        fields.as_object().expect("fields").iter().map(|(k, v)| (k.clone(), json!({"old": null, "new": v}))).collect();
    m
}

/// The code of a rejected outcome, or the outcome itself when not rejected.
fn code(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rejected { code, .. } => code.clone(),
        other => format!("{other:?}"),
    }
}

/// Adds a team lead of the Liverpool team.
async fn lead(db: &dyn Database, name: &str) {
    let hash = outreach_server_db::credentials::hash_password(support::PASSWORD).expect("hash");
    let user = NewUser {
        name: name.into(),
        password_hash: hash,
        roles: vec![Role::TeamLead],
        teams: vec!["Liverpool Outreach".into()],
    };
    db.add_user(user).await.expect("lead");
}

/// Whether `token`'s holder can read record `id`.
async fn reads(server: &Server, token: &str, id: Uuid) -> bool {
    let response = server.authed(Method::GET, &format!("/api/v1/records/{id}"), token).send().await.expect("get");
    response.status() == StatusCode::OK
}

/// The ids every page of a full pull from 0 holds.
async fn pulled_ids(server: &Server, token: &str) -> Vec<Uuid> {
    let (mut ids, mut cursor) = (vec![], 0);
    loop {
        let page = server.pull(token, cursor, 500).await;
        ids.extend(page.changes.iter().map(|c| c.id));
        cursor = page.next_cursor;
        if !page.has_more {
            return ids;
        }
    }
}

/// Review item 1: a client merged into another team's client, with a
/// caseload assignment of it, would make the other client the pusher's.
async fn a_merge_into_another_teams_client_cannot_widen_scope(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, wes) = (server.login("amy").await, server.login("wes").await);
    let (victim, note) = (Uuid::now_v7(), Uuid::now_v7());
    let contact = create(wes.device_id, RecordKind::Contact, note, json!({"client_id": victim, "notes": "private"}));
    server.push(&wes.token, &[new_client(wes.device_id, victim, "Wirral"), contact]).await;
    let wes_seen = pulled_ids(&server, &wes.token).await;

    // The exact attack: one push, a client of amy's area merged into the
    // Wirral client, and that client put on amy's caseload.
    let decoy = Uuid::now_v7();
    let mut merged = new_client(amy.device_id, decoy, "Liverpool");
    merged.changes.insert("merged_into".into(), json!({"old": null, "new": victim}));
    let hold = create(
        amy.device_id,
        RecordKind::CaseloadAssignment,
        Uuid::now_v7(),
        json!({"client_id": decoy, "worker": "amy", "role": "lead", "started_on": "2026-01-05"}),
    );
    let results = server.push(&amy.token, &[merged, hold]).await.results;
    assert_eq!(code(&results[0].outcome), "forbidden", "the merge into a client out of reach");
    assert_eq!(code(&results[1].outcome), "forbidden", "the assignment of a client that was not stored");

    // The same in two steps: a client of her own, merged later.
    let own = Uuid::now_v7();
    server.push(&amy.token, &[new_client(amy.device_id, own, "Liverpool")]).await;
    let later = edit(amy.device_id, own, 1, "merged_into", Value::Null, json!(victim));
    assert_eq!(code(&server.push(&amy.token, &[later]).await.results[0].outcome), "forbidden");
    let hold = create(
        amy.device_id,
        RecordKind::CaseloadAssignment,
        Uuid::now_v7(),
        json!({"client_id": own, "worker": "amy", "role": "lead", "started_on": "2026-01-05"}),
    );
    assert!(matches!(server.push(&amy.token, &[hold]).await.results[0].outcome, Outcome::Applied { .. }));

    // Nothing of the Wirral client reaches amy, and she cannot change it.
    assert!(!reads(&server, &amy.token, victim).await, "GET of the other team's client is 404");
    assert!(!reads(&server, &amy.token, note).await);
    let got = pulled_ids(&server, &amy.token).await;
    assert!(!got.contains(&victim) && !got.contains(&note), "the other team's records are never pulled: {got:?}");
    let overwrite = edit(amy.device_id, victim, 1, "phone", json!("0151 000"), json!("0151 666"));
    assert_eq!(code(&server.push(&amy.token, &[overwrite]).await.results[0].outcome), "unknown_record");
    let stored = server.db.record(&support::actor(&wes, user_id(&*server.db, "wes").await), victim).await;
    assert_eq!(stored.expect("get").expect("wes sees it").data["phone"], "0151 000", "the owner's record is untouched");
    assert_eq!(pulled_ids(&server, &wes.token).await.len(), wes_seen.len(), "the owning team received nothing new");

    // The audit tells the truth about each refusal.
    let audit = server.db.audit_log(None, 200).await.expect("audit");
    let refusals: Vec<_> = audit
        .iter()
        .filter(|a| a.entry.action == "push" && a.entry.user.as_deref() == Some("amy"))
        .filter_map(|a| a.entry.detail.clone())
        .filter(|d| d.contains("rejected:forbidden"))
        .collect();
    assert_eq!(refusals.len(), 4, "{refusals:?}");
    assert!(refusals.iter().any(|d| d.contains("merged_into")), "{refusals:?}");
    server.stop().await;
}

/// A user's id, by name.
async fn user_id(db: &dyn Database, name: &str) -> Uuid {
    db.user(name).await.expect("user").expect("exists").id
}

/// A worker may put clients only on their own caseload; a team lead on
/// those of people in their teams; nobody a client out of their reach.
async fn caseload_assignments_follow_the_role(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    lead(&*server.db, "lia").await;
    let (amy, ben, wes, lia) =
        (server.login("amy").await, server.login("ben").await, server.login("wes").await, server.login("lia").await);
    let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
    server.push(&amy.token, &[new_client(amy.device_id, mine, "Liverpool")]).await;
    server.push(&wes.token, &[new_client(wes.device_id, theirs, "Wirral")]).await;
    let assign = |by: Uuid, client: Uuid, worker: &str| {
        create(
            by,
            RecordKind::CaseloadAssignment,
            Uuid::now_v7(),
            json!({"client_id": client, "worker": worker, "role": "lead", "started_on": "2026-01-05"}),
        )
    };
    let to_ben = assign(amy.device_id, mine, "ben");
    let to_amy = assign(amy.device_id, mine, "amy");
    let other_team = assign(amy.device_id, theirs, "amy");
    let results = server.push(&amy.token, &[to_ben, to_amy.clone(), other_team]).await.results;
    let codes: Vec<String> = results.iter().map(|r| code(&r.outcome)).collect();
    assert_eq!(codes[0], "forbidden", "a worker cannot assign someone else");
    assert!(matches!(results[1].outcome, Outcome::Applied { .. }), "a worker takes a client in scope: {codes:?}");
    assert_eq!(codes[2], "forbidden", "nor a client of another team");
    assert!(!reads(&server, &amy.token, theirs).await);

    // ben cannot end or take over amy's assignment; the lead can hand it on.
    let takeover = Mutation {
        mutation_id: Uuid::now_v7(),
        op: Op::Update,
        changes: [("worker".to_string(), json!({"old": "amy", "new": "ben"}))].into_iter().collect(),
        base_version: 1,
        ..to_amy.clone()
    };
    assert_eq!(code(&server.push(&ben.token, std::slice::from_ref(&takeover)).await.results[0].outcome), "forbidden");
    let removal =
        Mutation { mutation_id: Uuid::now_v7(), op: Op::Delete, changes: Default::default(), ..takeover.clone() };
    assert_eq!(code(&server.push(&ben.token, &[removal]).await.results[0].outcome), "forbidden");
    let handover = Mutation { mutation_id: Uuid::now_v7(), ..takeover };
    assert!(matches!(server.push(&lia.token, &[handover]).await.results[0].outcome, Outcome::Applied { .. }));
    let results = server
        .push(&lia.token, &[assign(lia.device_id, mine, "ben"), assign(lia.device_id, mine, "wes")])
        .await
        .results;
    assert!(matches!(results[0].outcome, Outcome::Applied { .. }), "a lead assigns their team");
    assert_eq!(code(&results[1].outcome), "forbidden", "but not another team's worker");
    assert!(!reads(&server, &wes.token, mine).await, "wes was not given the client");
    server.stop().await;
}

/// A sighting in one's own count may not be linked to a client one cannot see.
async fn a_sighting_cannot_name_a_client_out_of_reach(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, wes) = (server.login("amy").await, server.login("wes").await);
    let (mine, theirs, count) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    server.push(&wes.token, &[new_client(wes.device_id, theirs, "Wirral")]).await;
    let night =
        create(amy.device_id, RecordKind::StreetCount, count, json!({"area": "Liverpool", "night": "2026-11-12"}));
    server.push(&amy.token, &[new_client(amy.device_id, mine, "Liverpool"), night]).await;
    let sighting = |client: Uuid| {
        create(amy.device_id, RecordKind::Sighting, Uuid::now_v7(), json!({"count_id": count, "client_id": client}))
    };
    let results = server.push(&amy.token, &[sighting(theirs), sighting(mine)]).await.results;
    assert_eq!(code(&results[0].outcome), "forbidden");
    assert!(matches!(results[1].outcome, Outcome::Applied { .. }), "{:?}", results[1].outcome);
    let elsewhere = create(amy.device_id, RecordKind::StreetCount, Uuid::now_v7(), json!({"area": "Wirral"}));
    assert_eq!(code(&server.push(&amy.token, &[elsewhere]).await.results[0].outcome), "forbidden", "a count's area");
    server.stop().await;
}

/// Review item 15: pushing to a record out of reach says nothing about it
/// that pushing to an id that does not exist would not.
async fn an_id_out_of_reach_answers_as_if_absent(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, wes) = (server.login("amy").await, server.login("wes").await);
    let theirs = Uuid::now_v7();
    server.push(&wes.token, &[new_client(wes.device_id, theirs, "Wirral")]).await;
    let as_contact = |id: Uuid| {
        let mut m = edit(amy.device_id, id, 1, "notes", Value::Null, json!("x"));
        m.kind = RecordKind::Contact;
        m
    };
    let results = server.push(&amy.token, &[as_contact(theirs), as_contact(Uuid::now_v7())]).await.results;
    assert_eq!(results[0].outcome, results[1].outcome, "no kind-mismatch answer confirms the record exists");
    let delete = |id: Uuid| Mutation { op: Op::Delete, mutation_id: Uuid::now_v7(), ..as_contact(id) };
    let results = server.push(&amy.token, &[delete(theirs), delete(Uuid::now_v7())]).await.results;
    assert_eq!(results[0].outcome, results[1].outcome);
    server.stop().await;
}

/// Review item 3: a stamp stored in a form the server cannot read back
/// stopped a whole area syncing. It is refused before anything is stored.
async fn a_clock_stamp_that_cannot_be_read_back_is_refused(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, ben) = (server.login("amy").await, server.login("ben").await);
    let device = amy.device_id.simple().to_string();
    for stamp in [
        format!("-1.0.{device}"),
        format!("-000000000001.00000000.{device}"),
        format!("ffffffffffffffff.00000000.{device}"),
        format!("0000000000001.1.{device}"),
        format!("0000000000001.00000000.{}", amy.device_id),
    ] {
        let id = Uuid::now_v7();
        let mut body = json!({"mutations": [new_client(amy.device_id, id, "Liverpool")]});
        body["mutations"][0]["hlc"] = json!(stamp);
        let response = server.authed(Method::POST, "/api/v1/sync/push", &amy.token).json(&body).send().await;
        let message = error(response.expect("push"), StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(message.contains("clock stamp"), "{stamp}: {message}");
        assert!(!reads(&server, &amy.token, id).await, "nothing stored for {stamp}");
    }
    // the area still syncs, for a new laptop too
    server.push(&amy.token, &[new_client(amy.device_id, Uuid::now_v7(), "Liverpool")]).await;
    assert_eq!(pulled_ids(&server, &ben.token).await.len(), 1);
    server.stop().await;
}

/// Review item 3, the other half: a record stored damaged by an older
/// version is skipped by pull (every device is told its id), reported by
/// /health and the audit, and mended by the administrator's repair.
async fn a_damaged_record_never_stops_the_areas_sync(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let (damaged, fine) = (Uuid::now_v7(), Uuid::now_v7());
    server.push(&amy.token, &[new_client(amy.device_id, damaged, "Liverpool")]).await;
    server.push(&amy.token, &[new_client(amy.device_id, fine, "Liverpool")]).await;
    // what the old bug stored for a stamp of -1
    let stamp = format!("ffffffffffffffff.00000000.{}", amy.device_id.simple());
    t.execute_raw(&format!("UPDATE records SET hlc = '{stamp}' WHERE id = '{damaged}'")).await.expect("damage");

    let health = || async {
        let response = server.http.get(format!("{}/health", server.base)).send().await.expect("health");
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.expect("json")
    };
    assert_eq!(health().await, json!({"status": "ok"}), "nothing met yet");
    let ben = server.login("ben").await;
    let page = server.pull(&ben.token, 0, 500).await;
    assert_eq!(page.changes.iter().map(|c| c.id).collect::<Vec<_>>(), vec![fine], "the rest of the area arrives");
    assert_eq!(page.unreadable, vec![damaged], "the device is told which record it did not receive");
    assert!(!page.has_more);
    let health = health().await;
    assert_eq!((health["status"].as_str(), health["unreadable_records"].as_u64()), (Some("degraded"), Some(1)));
    let audit = server.db.audit_log(Some(damaged), 50).await.expect("audit");
    assert!(audit.iter().any(|a| a.entry.action == "unreadable_record"), "{audit:?}");
    assert_eq!(server.db.unreadable_records().await.expect("list")[0].id, damaged);
    // reading it alone is a 404, and a push that reaches it refuses only that change
    assert!(!reads(&server, &amy.token, damaged).await);
    let note = create(amy.device_id, RecordKind::Contact, Uuid::now_v7(), json!({"client_id": damaged}));
    let other = new_client(amy.device_id, Uuid::now_v7(), "Liverpool");
    let results = server.push(&amy.token, &[note, other]).await.results;
    assert_eq!(code(&results[0].outcome), "unreadable");
    assert!(matches!(results[1].outcome, Outcome::Applied { .. }), "the rest of the push is applied");

    // the administrator's repair: the record is sent again, readable
    let repairs = server.db.repair_records("operator:test").await.expect("repair");
    assert_eq!(repairs.len(), 1);
    assert!(repairs[0].repaired && repairs[0].id == damaged, "{repairs:?}");
    assert!(server.db.unreadable_records().await.expect("list").is_empty());
    let next = server.pull(&ben.token, page.next_cursor, 500).await;
    assert!(next.changes.iter().any(|c| c.id == damaged), "the repaired record arrives");
    assert!(next.unreadable.is_empty());
    assert!(reads(&server, &amy.token, damaged).await);
    assert!(server.db.repair_records("operator:test").await.expect("repair").is_empty(), "nothing left to mend");
    server.stop().await;
}

/// Review item 2: the failure count was checked before the password and
/// counted after it, so guesses sent at once all got through.
async fn concurrent_wrong_passwords_cannot_race_the_throttle(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let guesses = (0..40).map(|i| {
        let body =
            json!({"user": "amy", "password": format!("guess {i}"), "device_id": Uuid::now_v7(), "device_name": "x"});
        server.req(Method::POST, "/api/v1/login").json(&body).send()
    });
    let statuses: Vec<StatusCode> = join_all(guesses).await.into_iter().map(|r| r.expect("login").status()).collect();
    let count = |s: StatusCode| statuses.iter().filter(|x| **x == s).count();
    assert!(count(StatusCode::UNAUTHORIZED) <= 5, "{statuses:?}");
    assert_eq!(count(StatusCode::UNAUTHORIZED) + count(StatusCode::TOO_MANY_REQUESTS), 40, "{statuses:?}");
    let audit = server.db.audit_log(None, 200).await.expect("audit");
    assert_eq!(
        audit.iter().filter(|a| a.entry.action == "login_failed").count(),
        count(StatusCode::UNAUTHORIZED),
        "each password checked is audited as a failure"
    );
    server.stop().await;
}

/// Review item 5: once a client is erased, an offline laptop cannot push
/// the person back, by a new record about them or by recreating them.
async fn an_erased_person_cannot_be_pushed_back(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let c = Uuid::now_v7();
    let note = |id: Uuid| create(amy.device_id, RecordKind::Contact, id, json!({"client_id": c, "notes": "seen"}));
    server.push(&amy.token, &[new_client(amy.device_id, c, "Liverpool"), note(Uuid::now_v7())]).await;
    server.db.erase_client(c, "operator:test", "erasure request 1").await.expect("erase").expect("client");
    let offline = [
        note(Uuid::now_v7()),
        edit(amy.device_id, c, 1, "phone", json!("0151 000"), json!("0151 999")),
        new_client(amy.device_id, c, "Liverpool"),
    ];
    let codes: Vec<String> = server.push(&amy.token, &offline).await.results.iter().map(|r| code(&r.outcome)).collect();
    assert_eq!(codes, ["erased", "erased", "erased"]);
    let stored = server.db.record(&support::actor(&amy, user_id(&*server.db, "amy").await), c).await;
    let stored = stored.expect("get").expect("tombstone");
    assert!(stored.erased && stored.data.is_empty(), "{stored:?}");
    server.stop().await;
}

/// Review item 9: disabling a user revokes every laptop of theirs (each
/// wipes at its next contact) and re-enabling brings no old token back.
async fn disabling_a_user_revokes_every_laptop_for_good(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (old_device, other_device) = (Uuid::now_v7(), Uuid::now_v7());
    let (first, second) = (server.login_from("amy", old_device).await, server.login_from("amy", other_device).await);
    server.db.set_user_disabled("amy", true).await.expect("disable");
    server.db.set_user_disabled("amy", false).await.expect("enable");
    for token in [&first.token, &second.token] {
        let response = server.authed(Method::GET, "/api/v1/sync/pull", token).send().await.expect("pull");
        error(response, StatusCode::UNAUTHORIZED, "device_revoked").await;
    }
    let body = json!({"user": "amy", "password": support::PASSWORD, "device_id": old_device, "device_name": "x"});
    let again = server.req(Method::POST, "/api/v1/login").json(&body).send().await.expect("login");
    error(again, StatusCode::UNAUTHORIZED, "device_revoked").await;
    let fresh = server.login("amy").await;
    assert_eq!(server.pull(&fresh.token, 0, 10).await.changes.len(), 0, "a new laptop signs in");
    let audit = server.db.audit_log(None, 100).await.expect("audit");
    let refused: Vec<_> = audit.iter().filter(|a| a.entry.action == "auth_refused").collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|a| a.entry.detail.as_deref().is_some_and(|d| d.contains("device revoked"))));
    assert!(audit.iter().any(|a| a.entry.action == "login_refused" && a.entry.device == Some(old_device)));
    server.stop().await;
}

/// Review item 9 and "Also": a token unused past the idle limit stops
/// working (sign in again); unknown tokens are refused and audited.
async fn an_idle_token_expires_and_refused_tokens_are_audited(t: TestDb) {
    let config = ServerConfig {
        device_idle_expiry: chrono::TimeDelta::seconds(2),
        touch_interval: chrono::TimeDelta::zero(),
        ..ServerConfig::default()
    };
    let server = start(&t, config).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    server.pull(&amy.token, 0, 10).await;
    tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;
    let response = server.authed(Method::GET, "/api/v1/sync/pull", &amy.token).send().await.expect("pull");
    let message = error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(message.contains("sign in again"), "{message}");
    let again = server.login_from("amy", amy.device_id).await;
    server.pull(&again.token, 0, 10).await;
    let response = server.authed(Method::GET, "/api/v1/sync/pull", &"0".repeat(64)).send().await.expect("pull");
    error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let audit = server.db.audit_log(None, 100).await.expect("audit");
    let reasons: Vec<String> =
        audit.iter().filter(|a| a.entry.action == "auth_refused").filter_map(|a| a.entry.detail.clone()).collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("idle") && reasons[1].contains("unknown"), "{reasons:?}");
    server.stop().await;
}

/// Review item 14: a list parameter is deduplicated and capped, so one
/// request cannot ask for an unbounded number of queries.
async fn list_parameters_are_deduplicated_and_capped(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    lead(&*server.db, "lia").await;
    let lia = server.login("lia").await;
    let trend = |areas: String| {
        server.authed(Method::GET, &format!("/api/v1/reports/trend?month=2026-11&months=2&areas={areas}"), &lia.token)
    };
    let repeated = ["Liverpool", "liverpool", " LIVERPOOL"].repeat(300).join(",");
    let response = trend(repeated).send().await.expect("trend");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["series"].as_array().map(Vec::len), Some(1), "one area asked 900 times is one series");
    let many = (0..13).map(|i| format!("Area{i}")).collect::<Vec<_>>().join(",");
    let message = error(trend(many).send().await.expect("trend"), StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("at most 12 areas"), "{message}");
    server.stop().await;
}

/// Review item 4: neither a conflict's resolution nor a second create of
/// its id rewrites a signed-off record (a contact; a completed risk
/// assessment).
async fn a_signed_off_record_is_never_rewritten(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let (amy, ben) = (server.login("amy").await, server.login("ben").await);
    let (c, note, risk) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let contact =
        |device: Uuid, notes: &str| create(device, RecordKind::Contact, note, json!({"client_id": c, "notes": notes}));
    let assessment = create(
        amy.device_id,
        RecordKind::RiskAssessment,
        risk,
        json!({"client_id": c, "status": "draft", "summary": "x"}),
    );
    server
        .push(
            &amy.token,
            &[new_client(amy.device_id, c, "Liverpool"), contact(amy.device_id, "as written"), assessment],
        )
        .await;

    // a second create of the contact's id, with other words
    let again = server.push(&ben.token, &[contact(ben.device_id, "rewritten")]).await.results;
    assert_eq!(code(&again[0].outcome), "signed_off");
    let same = server.push(&ben.token, &[contact(ben.device_id, "as written")]).await.results;
    assert!(matches!(same[0].outcome, Outcome::Unchanged { .. }), "the same create again changes nothing");

    // a conflict opened on a draft, which is then signed off
    let field = |device: Uuid, base: i64, field: &str, old: &str, new: &str| {
        let mut m = edit(device, risk, base, field, json!(old), json!(new));
        m.kind = RecordKind::RiskAssessment;
        m
    };
    server.push(&amy.token, &[field(amy.device_id, 1, "summary", "x", "amy's")]).await;
    let crossed = server.push(&ben.token, &[field(ben.device_id, 1, "summary", "x", "ben's")]).await.results;
    let Outcome::Merged { conflicts, .. } = &crossed[0].outcome else { panic!("a conflict: {crossed:?}") };
    server.push(&amy.token, &[field(amy.device_id, 2, "status", "draft", "completed")]).await;
    let resolve = |value: &str| {
        server
            .authed(Method::POST, &format!("/api/v1/conflicts/{}/resolve", conflicts[0]), &ben.token)
            .json(&json!({"value": value}))
            .send()
    };
    let message = error(resolve("ben's").await.expect("resolve"), StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(message.contains("signed off"), "{message}");
    let response = resolve("amy's").await.expect("resolve");
    assert_eq!(response.status(), StatusCode::OK, "keeping the signed-off value closes the conflict");
    let actor = support::actor(&amy, user_id(&*server.db, "amy").await);
    let stored = server.db.record(&actor, risk).await.expect("get").expect("visible");
    assert_eq!((stored.data["summary"].as_str(), stored.data["status"].as_str()), (Some("amy's"), Some("completed")));
    let stored = server.db.record(&actor, note).await.expect("get").expect("visible");
    assert_eq!(stored.data["notes"], "as written");
    server.stop().await;
}

/// "Also": the shape of a mutation is bounded (a single mutation with
/// 200,000 fields used to be applied).
async fn a_mutation_out_of_shape_is_refused(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let mut wide = new_client(amy.device_id, Uuid::now_v7(), "Liverpool");
    for i in 0..200_000 {
        wide.changes.insert(format!("f{i}"), json!({"old": null, "new": 1}));
    }
    let mut long_name = new_client(amy.device_id, Uuid::now_v7(), "Liverpool");
    long_name.changes.insert("n".repeat(1_000), json!({"old": null, "new": 1}));
    let mut big_value = new_client(amy.device_id, Uuid::now_v7(), "Liverpool");
    big_value.changes.insert("notes".into(), json!({"old": null, "new": "x".repeat(600 * 1024)}));
    let ids = [wide.record_id, long_name.record_id, big_value.record_id];
    let results = server.push(&amy.token, &[wide, long_name, big_value]).await.results;
    let codes: Vec<String> = results.iter().map(|r| code(&r.outcome)).collect();
    assert_eq!(codes, ["invalid", "invalid", "invalid"]);
    for id in ids {
        assert!(!reads(&server, &amy.token, id).await, "nothing stored");
    }
    server.stop().await;
}

/// Review item 5: a subject access export and an erasure cover the person,
/// not one record of them: every client merged with the one named, and
/// their records.
async fn erasure_and_export_follow_merges(t: TestDb) {
    let server = start(&t, ServerConfig::default()).await;
    people(&*server.db).await;
    let amy = server.login("amy").await;
    let (a, b, a_note, b_note) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let note = |id: Uuid, client: Uuid| {
        create(amy.device_id, RecordKind::Contact, id, json!({"client_id": client, "notes": "seen"}))
    };
    server
        .push(
            &amy.token,
            &[
                new_client(amy.device_id, a, "Liverpool"),
                new_client(amy.device_id, b, "Liverpool"),
                note(a_note, a),
                note(b_note, b),
            ],
        )
        .await;
    let merge = edit(amy.device_id, b, 1, "merged_into", Value::Null, json!(a));
    assert!(matches!(server.push(&amy.token, &[merge]).await.results[0].outcome, Outcome::Applied { .. }));

    let export = server.db.export_client(a, "operator:test").await.expect("export").expect("client");
    let mut held: Vec<Uuid> = export.records.iter().map(|r| r.id).collect();
    held.sort();
    let mut want = vec![b, a_note, b_note];
    want.sort();
    assert_eq!(held, want, "the export holds the merged client and its records");

    let erasure = server.db.erase_client(a, "operator:test", "erasure request 3").await.expect("erase").expect("a");
    for id in [a, b, a_note, b_note] {
        assert!(erasure.records.contains(&id), "{id} erased: {erasure:?}");
    }
    let back = note(Uuid::now_v7(), b);
    assert_eq!(code(&server.push(&amy.token, &[back]).await.results[0].outcome), "erased");
    server.stop().await;
}
