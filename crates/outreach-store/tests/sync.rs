//! The store's side of sync on hand-made server answers: pages applied with
//! their cursor, fields from newer versions kept, acknowledgements, the
//! 'needs attention' list, drops, conflicts and the wipe of a revoked device.

use chrono::Utc;
use outreach_domain::{Client, Hlc, RecordKind};
use outreach_protocol::Op;
use outreach_protocol::api::{Conflict, MutationResult, Outcome, PullResponse, RecordChange};
use outreach_store::{ClientFilter, Store, StoreError};
use outreach_sync::PendingResolution;
use serde_json::{Map, Value, json};
use uuid::Uuid;

const PASS: &str = "correct horse battery staple";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    (dir, store)
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn client_change(id: Uuid, data: Value, version: i64, seq: i64) -> RecordChange {
    RecordChange {
        id,
        kind: RecordKind::Client,
        client_id: Some(id),
        data: map(data),
        version,
        seq,
        deleted: false,
        erased: false,
        hlc: Hlc::zero(Uuid::now_v7()).tick(Utc::now().timestamp_millis()),
        updated_at: Utc::now(),
        updated_by: "ben.t".into(),
        area: None,
    }
}

fn page(changes: Vec<RecordChange>, next_cursor: i64) -> PullResponse {
    PullResponse {
        changes,
        conflicts: vec![],
        drops: vec![],
        next_cursor,
        has_more: false,
        remaining: 0,
        snapshot_seq: None,
        unreadable: vec![],
    }
}

/// A client body as a device of this version writes it, plus `extra` fields.
fn body(name: &str, extra: Value) -> Value {
    let client = Client { name: Some(name.to_string().into()), area: "Wirral".into(), ..Default::default() };
    let mut data = serde_json::to_value(client).unwrap();
    data.as_object_mut().unwrap().extend(map(extra));
    data
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

#[test]
fn a_new_store_has_not_synced() {
    let (_dir, store) = store();
    assert_eq!(store.sync_cursor().unwrap(), 0);
    assert!(store.last_sync_at().unwrap().is_none());
    assert!(store.server_url().unwrap().is_none());
    assert!(store.conflicts().unwrap().is_empty());
    assert!(store.needs_attention().unwrap().is_empty());
}

#[test]
fn a_store_from_before_sync_upgrades_with_empty_sync_tables() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = Store::init_at_version(dir.path(), PASS, "amy.w", 2).unwrap();
    old.create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    drop(old);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    assert_eq!(store.sync_cursor().unwrap(), 0);
    assert_eq!(store.pending_batch(10).unwrap().len(), 1, "changes made before the upgrade still go up");
    store.set_server_url(" https://outreach.example.org ").unwrap();
    store.sync_finished().unwrap();
    assert_eq!(store.server_url().unwrap().as_deref(), Some("https://outreach.example.org"));
    assert!(store.last_sync_at().unwrap().is_some());
}

#[test]
fn a_pulled_record_is_stored_as_sent_with_fields_this_version_does_not_know() {
    let (_dir, mut store) = store();
    let id = Uuid::now_v7();
    let data = body("Jo Bloggs", json!({"from_a_newer_version": {"x": 1}}));
    let applied = store.apply_pull_page(&page(vec![client_change(id, data.clone(), 1, 5)], 5)).unwrap();
    assert_eq!(applied.overwritten, 1);
    assert_eq!(store.sync_cursor().unwrap(), 5);
    assert_eq!(store.record_states().unwrap()[&id], (map(data), false));
    assert_eq!(store.outbox_len().unwrap(), 0, "a pulled record is not sent back");
    let audit = store.audit_entries(Some(id), 10).unwrap();
    assert_eq!(audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["receive"], "receiving is audited");

    // A local edit keeps the unknown field and sends only what changed.
    let edited = store.update::<Client>(id, |c| c.phone = Some("0151".to_string().into())).unwrap();
    assert_eq!(edited.meta.version, 1);
    assert_eq!(store.record_states().unwrap()[&id].0["from_a_newer_version"], json!({"x": 1}));
    let pending = store.pending_batch(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!((pending[0].op, pending[0].base_version), (Op::Update, 1));
    assert_eq!(pending[0].changes.keys().collect::<Vec<_>>(), ["phone"]);

    // Lists and search see the pulled client.
    let found = store.search("jo blogs", &ClientFilter::default(), today(), 5).unwrap();
    assert_eq!(found.first().map(|s| s.id), Some(id));
}

#[test]
fn the_cursor_is_saved_with_each_page_and_never_moves_back() {
    let (_dir, mut store) = store();
    let id = Uuid::now_v7();
    let body = json!({"name": "Jo Bloggs", "area": "Wirral"});
    store.apply_pull_page(&page(vec![client_change(id, body.clone(), 2, 9)], 9)).unwrap();
    let older = page(vec![client_change(id, json!({"name": "Jo", "area": "Halton"}), 1, 4)], 4);
    let applied = store.apply_pull_page(&older).unwrap();
    assert_eq!(applied.stale, 1);
    assert_eq!(store.sync_cursor().unwrap(), 9);
    assert_eq!(store.record_states().unwrap()[&id].0, map(body));
}

#[test]
fn acknowledged_changes_leave_the_outbox_and_move_the_version_on() {
    let (_dir, mut store) = store();
    let c = store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    store.update::<Client>(c.meta.id, |c| c.phone = Some("0151".to_string().into())).unwrap();
    store.delete::<Client>(c.meta.id).unwrap();
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent.iter().map(|m| m.base_version).collect::<Vec<_>>(), [0, 0, 0]);

    // The create lands as version 1: the later changes were made on top of it.
    let create = [MutationResult { mutation_id: sent[0].mutation_id, outcome: Outcome::Applied { version: 1 } }];
    let ack = store.acknowledge(&create).unwrap();
    assert_eq!((ack.removed, ack.applied), (1, 1));
    assert_eq!(store.pending_batch(10).unwrap().iter().map(|m| m.base_version).collect::<Vec<_>>(), [1, 1]);

    // Acknowledging the same results again changes nothing.
    assert_eq!(store.acknowledge(&create).unwrap().unknown, 1);
    let rest: Vec<_> = sent[1..]
        .iter()
        .zip([Outcome::Applied { version: 2 }, Outcome::Applied { version: 3 }])
        .map(|(m, outcome)| MutationResult { mutation_id: m.mutation_id, outcome })
        .collect();
    assert_eq!(store.acknowledge(&rest).unwrap().removed, 2);
    assert_eq!(store.outbox_len().unwrap(), 0);
}

#[test]
fn a_refused_new_record_stays_here_and_needs_attention() {
    let (_dir, mut store) = store();
    let c = store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    let sent = store.pending_batch(10).unwrap();
    let refused = Outcome::Rejected { code: "forbidden".into(), reason: "not your team's area".into() };
    let ack = store.acknowledge(&[MutationResult { mutation_id: sent[0].mutation_id, outcome: refused }]).unwrap();
    assert_eq!(ack.rejected, 1);
    assert_eq!(store.outbox_len().unwrap(), 0);
    let attention = store.needs_attention().unwrap();
    assert_eq!(attention.len(), 1);
    assert_eq!(attention[0].mutation, sent[0]);
    assert_eq!((attention[0].code.as_str(), attention[0].reason.as_str()), ("forbidden", "not your team's area"));
    assert!(store.record_states().unwrap().contains_key(&c.meta.id), "the worker's record is not deleted");
}

#[test]
fn a_record_out_of_scope_is_dropped_but_changes_to_it_still_go_up() {
    let (_dir, mut store) = store();
    let id = Uuid::now_v7();
    store.apply_pull_page(&page(vec![client_change(id, body("Jo Bloggs", json!({})), 1, 1)], 1)).unwrap();
    store.update::<Client>(id, |c| c.phone = Some("0151".to_string().into())).unwrap();
    let mut drop_page = page(vec![], 2);
    drop_page.drops = vec![id];
    assert_eq!(store.apply_pull_page(&drop_page).unwrap().dropped, 1);
    assert!(store.record_states().unwrap().is_empty());
    assert!(store.list_clients(&ClientFilter::default(), today(), 0, 10).unwrap().is_empty());
    assert_eq!(store.outbox_len().unwrap(), 1, "the server judges the waiting change");
    assert_eq!(store.audit_entries(Some(id), 1).unwrap()[0].action, "drop", "the drop is audited");
}

#[test]
fn conflicts_arrive_with_pages_and_are_resolved_as_ordinary_changes() {
    let (_dir, mut store) = store();
    let id = Uuid::now_v7();
    let conflict = Conflict {
        id: Uuid::now_v7(),
        record_id: id,
        kind: RecordKind::Client,
        field: "phone".into(),
        kept: json!("0151 AAA"),
        other: json!("0151 BBB"),
        other_user: "ben.t".into(),
        other_device: Uuid::now_v7(),
        other_hlc: Hlc::zero(Uuid::now_v7()),
        resolved_by: None,
        seq: 3,
    };
    let mut first = page(vec![client_change(id, body("Jo", json!({"phone": "0151 AAA"})), 2, 2)], 3);
    first.conflicts = vec![conflict.clone()];
    store.apply_pull_page(&first).unwrap();
    store.apply_pull_page(&first).unwrap();
    assert_eq!(store.conflicts().unwrap(), vec![conflict.clone()]);

    let unknown = store.resolve_conflict(Uuid::now_v7(), json!("x")).unwrap_err();
    assert!(matches!(unknown, StoreError::RecordNotFound { kind: "conflict", .. }), "{unknown}");
    store.resolve_conflict(conflict.id, json!("0151 BBB")).unwrap();
    let unsent = store.unsent_resolutions().unwrap();
    assert_eq!(
        unsent,
        vec![PendingResolution { conflict: conflict.id, value: json!("0151 BBB"), after: 1 }],
        "sent after the change that carries the choice"
    );
    let pending = store.pending_batch(10).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].changes["phone"], json!({"old": "0151 AAA", "new": "0151 BBB"}));
    assert_eq!(pending[0].base_version, 2);
    let audit = store.audit_entries(Some(id), 1).unwrap();
    assert_eq!(audit[0].action, "update");

    // The server's older, unresolved copy does not undo the local choice.
    store.apply_pull_page(&first).unwrap();
    assert_eq!(store.conflicts().unwrap()[0].resolved_by.as_deref(), Some("amy.w"));
    store.mark_resolution_sent(conflict.id).unwrap();
    assert!(store.unsent_resolutions().unwrap().is_empty());
}

#[test]
fn wiping_a_revoked_device_removes_the_database_and_key() {
    let (dir, mut store) = store();
    store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    let removed = store.wipe().unwrap();
    let names: Vec<_> = removed.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.contains(&"outreach.db".into()) && names.contains(&"outreach.key".into()), "{names:?}");
    assert!(!Store::exists(dir.path()));
    assert!(matches!(Store::open(dir.path(), PASS), Err(StoreError::NotFound(_))));
}

#[test]
fn a_wipe_removes_the_key_first_then_the_database_exports_and_set_aside_copies() {
    let (dir, mut store) = store();
    store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    let d = dir.path();
    // What the app leaves beside the database: CSV exports, a store set
    // aside earlier, a key file half replaced by a crash, and an unrelated file.
    std::fs::create_dir_all(d.join("exports")).unwrap();
    std::fs::write(d.join("exports/caseloads-20260101T000000.000Z.csv"), "worker,clients\namy.w,1\n").unwrap();
    std::fs::create_dir_all(d.join("set-aside-20260101T000000Z")).unwrap();
    std::fs::write(d.join("set-aside-20260101T000000Z/outreach.db"), b"old store").unwrap();
    std::fs::write(d.join("outreach.tmp"), b"{}").unwrap();
    std::fs::write(d.join("notes.txt"), b"not Outreach's").unwrap();
    assert!(d.join("outreach.db-wal").exists(), "the open store has a WAL file");

    let removed = store.wipe().unwrap();
    assert_eq!(removed.first(), Some(&d.join("outreach.key")), "the key goes first: {removed:?}");
    for gone in [
        "outreach.key",
        "outreach.tmp",
        "outreach.db",
        "outreach.db-wal",
        "outreach.db-shm",
        "exports",
        "set-aside-20260101T000000Z",
    ] {
        assert!(!d.join(gone).exists(), "{gone} is still there after the wipe");
    }
    assert!(d.join("notes.txt").exists(), "files Outreach did not make are left alone");
}

#[test]
fn a_locked_store_is_wiped_without_its_key() {
    let (dir, mut store) = store();
    store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    drop(store); // locked: closed, no key in memory
    let d = dir.path();
    std::fs::create_dir_all(d.join("exports")).unwrap();
    std::fs::write(d.join("exports/count-totals.csv"), "area\nWirral\n").unwrap();
    let removed = outreach_store::wipe_dir(d).unwrap();
    assert_eq!(removed.first(), Some(&d.join("outreach.key")), "the key goes first: {removed:?}");
    for gone in ["outreach.key", "outreach.db", "outreach.db-wal", "outreach.db-shm", "exports"] {
        assert!(!d.join(gone).exists(), "{gone} is still there after the wipe");
    }
    assert!(!Store::exists(d));
    assert_eq!(outreach_store::wipe_dir(d).unwrap(), Vec::<std::path::PathBuf>::new(), "wiping twice is harmless");
}

#[test]
fn a_wipe_that_leaves_something_behind_says_so() {
    let (dir, store) = store();
    drop(store);
    let d = dir.path();
    // A folder where the WAL file should be cannot be removed as a file
    // (for root too): a real removal failure, not a simulated one.
    std::fs::create_dir_all(d.join("outreach.db-wal")).unwrap();
    std::fs::write(d.join("outreach.db-wal/page"), b"x").unwrap();
    let err = outreach_store::wipe_dir(d).unwrap_err();
    match &err {
        StoreError::WipeIncomplete { key_removed, removed, .. } => {
            assert!(*key_removed, "the key still went first");
            assert!(removed.contains(&d.join("outreach.db")), "the rest was still tried: {removed:?}");
        }
        other => panic!("expected WipeIncomplete, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("NOT fully deleted") && text.contains("outreach.db-wal"), "{text}");
    assert!(!d.join("outreach.key").exists() && !d.join("outreach.db").exists());
}

fn contact_change(client: Uuid, at: chrono::DateTime<chrono::FixedOffset>, seq: i64) -> RecordChange {
    let mut contact = outreach_synth::Generator::new(seq as u64, today()).contact(client, "ben.t");
    contact.at = at;
    RecordChange {
        id: Uuid::now_v7(),
        kind: RecordKind::Contact,
        client_id: Some(client),
        data: map(serde_json::to_value(contact).unwrap()),
        ..client_change(client, json!({}), 1, seq)
    }
}

#[test]
fn a_large_snapshot_loads_with_an_index_set_aside_and_rebuilds_it_when_complete() {
    let (dir, mut store) = store();
    let client = Uuid::now_v7();
    let first = PullResponse {
        has_more: true,
        remaining: 10_000,
        snapshot_seq: Some(4),
        ..page(vec![client_change(client, body("Jo Bloggs", json!({})), 1, 1)], 1)
    };
    store.apply_pull_page(&first).unwrap();
    assert!(!store.index_names().unwrap().contains(&"records_by_kind".to_string()), "set aside while loading");

    // Stopped mid-snapshot: the index stays aside until the snapshot ends.
    drop(store);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    assert!(!store.index_names().unwrap().contains(&"records_by_kind".to_string()));

    // Contacts arrive out of time order; the last page ends the snapshot.
    let at = |day: u32| chrono::DateTime::parse_from_rfc3339(&format!("2026-11-{day:02}T10:00:00+00:00")).unwrap();
    let contacts =
        vec![contact_change(client, at(3), 2), contact_change(client, at(20), 3), contact_change(client, at(9), 4)];
    let last = PullResponse { snapshot_seq: Some(4), ..page(contacts, 4) };
    store.apply_pull_page(&last).unwrap();
    assert!(store.index_names().unwrap().contains(&"records_by_kind".to_string()), "rebuilt with the last page");
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let since = at(1).with_timezone(&Utc);
    let days: Vec<u32> = store.contacts_since(since).unwrap().iter().map(|(t, _)| chrono::Datelike::day(t)).collect();
    assert_eq!(days, [3, 9, 20], "the rebuilt index serves the weekly figures, oldest first");

    // The summary's last contact is the latest of the three, after a reopen too.
    drop(store);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    let listed = store.list_clients(&ClientFilter::default(), today(), 0, 10).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_contact_at, Some(at(20).with_timezone(&Utc)));
}

#[test]
fn a_small_snapshot_keeps_every_index() {
    let (_dir, mut store) = store();
    let before = store.index_names().unwrap();
    let first = PullResponse {
        has_more: true,
        remaining: 10,
        snapshot_seq: Some(2),
        ..page(vec![client_change(Uuid::now_v7(), body("Jo Bloggs", json!({})), 1, 1)], 1)
    };
    store.apply_pull_page(&first).unwrap();
    assert_eq!(store.index_names().unwrap(), before);
}

#[test]
fn an_own_change_pulled_back_becomes_the_ancestor_of_later_merges() {
    let (_dir, mut store) = store();
    let c = store
        .create(Client { name: Some("Jo Bloggs".to_string().into()), area: "Wirral".into(), ..Default::default() })
        .unwrap();
    let id = c.meta.id;
    let sent = store.pending_batch(10).unwrap();
    let ack = [MutationResult { mutation_id: sent[0].mutation_id, outcome: Outcome::Applied { version: 1 } }];
    store.acknowledge(&ack).unwrap();
    let mine = store.record_states().unwrap()[&id].0.clone();

    // The server sends the same copy back: nothing local changes.
    let echo = store.apply_pull_page(&page(vec![client_change(id, Value::Object(mine.clone()), 1, 3)], 3)).unwrap();
    assert_eq!(echo.overwritten, 1);
    assert_eq!(store.record_states().unwrap()[&id].0, mine);
    let received = store.audit_entries(Some(id), 10).unwrap().iter().filter(|e| e.action == "receive").count();
    assert_eq!(received, 1, "receiving is audited");

    // A local edit, then another worker's edit to a different field: both
    // survive, merged against the copy that came back.
    store.update::<Client>(id, |c| c.phone = Some("0151".to_string().into())).unwrap();
    let mut theirs = mine.clone();
    theirs.insert("usual_site".into(), json!("bus station"));
    let merged = store.apply_pull_page(&page(vec![client_change(id, Value::Object(theirs), 2, 4)], 4)).unwrap();
    assert_eq!((merged.merged, merged.clashes), (1, 0));
    let now = &store.record_states().unwrap()[&id].0;
    assert_eq!(now["usual_site"], json!("bus station"));
    assert_eq!(now["phone"], json!("0151"));
}
