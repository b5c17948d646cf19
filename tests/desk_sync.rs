//! Two desk sessions (two laptops) sync through a real `outreach-server` on
//! loopback (embedded SQLite): sign-in, background sync with status, a
//! conflict seen and resolved through the desk, and revocation.

use outreach_desk::inputs::{CaseloadFilters, ClientChanges, ClientInput};
use outreach_desk::{Desk, ErrorKind};
use outreach_server_db::Backend;
use outreach_tests::{SERVER_PASSWORD, start_server};
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "two desks test passphrase";

fn laptop(dir: &tempfile::TempDir, user: &str, base: &str) -> (Desk, uuid::Uuid) {
    let desk = Desk::new(dir.path().join(user));
    desk.create_store(PASSPHRASE, user).unwrap();
    let signed = desk.sign_in(base, user, SERVER_PASSWORD).unwrap();
    assert_eq!(signed.user, user);
    assert!(desk.app_status().unwrap().signed_in);
    (desk, signed.device_id)
}

/// Starts a sync and waits for the background thread to finish; returns the final status.
fn sync(desk: &Desk) -> outreach_desk::views::SyncStatus {
    desk.sync_now().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while desk.sync_running() {
        assert!(Instant::now() < deadline, "sync did not finish within a minute");
        std::thread::sleep(Duration::from_millis(20));
    }
    desk.sync_status().unwrap()
}

#[test]
fn two_desks_sync_resolve_a_conflict_and_converge() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (db, base) = start_server(&runtime, Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let (amy, amy_device) = laptop(&dir, "amy.w", &base);
    let (ben, _) = laptop(&dir, "ben.k", &base);

    let wrong = Desk::new(dir.path().join("cara"));
    wrong.create_store(PASSPHRASE, "amy.w").unwrap();
    assert_eq!(wrong.sign_in(&base, "amy.w", "not the password").unwrap_err().kind, ErrorKind::Invalid);

    let client = amy
        .add_client(ClientInput { name: Some("Shared Person".into()), area: "Liverpool".into(), ..Default::default() })
        .unwrap();
    assert_eq!(amy.sync_status().unwrap().pending, 2, "client and caseload assignment wait to be sent");
    let status = sync(&amy);
    assert_eq!((status.state.as_str(), status.pending), ("idle", 0), "{status:?}");
    assert!(status.last_synced_at.is_some());

    let status = sync(&ben);
    assert_eq!(status.state, "idle", "{status:?}");
    let hits = ben.search_clients("shared persn", CaseloadFilters::default(), 5).unwrap();
    assert_eq!(hits.first().map(|h| h.id), Some(client.id), "ben's search index has the pulled client");

    // both change the phone offline, differently
    let phone = |n: &str| -> ClientChanges { serde_json::from_value(serde_json::json!({ "phone": n })).unwrap() };
    amy.update_client(client.id, phone("07700 900001")).unwrap();
    ben.update_client(client.id, phone("07700 900002")).unwrap();
    sync(&amy);
    let status = sync(&ben);
    assert_eq!(status.conflicts, 1, "{status:?}");
    let conflicts = ben.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(
        (c.field.as_str(), c.client_id, c.client_name.as_deref()),
        ("phone", Some(client.id), Some("Shared Person"))
    );
    let mut both = [c.kept_text.clone(), c.other_text.clone()];
    both.sort();
    assert_eq!(both, ["07700 900001".to_string(), "07700 900002".to_string()]);

    ben.resolve_conflict(c.id, serde_json::json!("07700 900009")).unwrap();
    assert_eq!(ben.conflicts().unwrap().len(), 0);
    sync(&ben);
    let status = sync(&amy);
    assert_eq!(status.conflicts, 0, "{status:?}");
    assert_eq!(amy.client_overview(client.id).unwrap().profile.phone.as_deref(), Some("07700 900009"));
    assert_eq!(ben.client_overview(client.id).unwrap().profile.phone.as_deref(), Some("07700 900009"));

    // a revoked laptop is told so, its store is wiped and it stays locked
    runtime.block_on(db.db().revoke_device(amy_device, Some("reported lost"))).unwrap();
    let status = sync(&amy);
    assert_eq!(status.state, "revoked", "{status:?}");
    assert!(!dir.path().join("amy.w/outreach.db").exists(), "the revoked laptop's store is wiped");
    assert!(!amy.app_status().unwrap().store_exists);
    assert_eq!(amy.touch().unwrap_err().kind, ErrorKind::Locked);
    assert_eq!(amy.sync_now().unwrap_err().kind, ErrorKind::Locked);

    // an unreachable server reads as offline
    drop(runtime);
    let status = sync(&ben);
    assert_eq!(status.state, "offline", "{status:?}");
    assert!(status.message.is_some());
}
