//! Push and pull: idempotency, merges, conflicts, deletes, paging.

use super::fixtures::{assert_rejected, client, contact, create, delete, ids, pull_all, push, push_one, update, world};
use outreach_domain::RecordKind;
use outreach_protocol::api::Outcome;
use outreach_server_db::DbError;
use outreach_server_db::testing::TestDb;
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

pub async fn idempotent_push(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, n) = (Uuid::now_v7(), Uuid::now_v7());
    let batch = vec![client(&w.amy, c, "Liverpool"), contact(&w.amy, n, c)];
    let first = db.push(&w.amy, &batch).await.expect("push");
    assert_eq!(
        first.iter().map(|r| r.outcome.clone()).collect::<Vec<_>>(),
        vec![Outcome::Applied { version: 1 }, Outcome::Applied { version: 1 }]
    );
    let again = db.push(&w.amy, &batch).await.expect("re-push");
    assert_eq!(again, first, "a resent batch gets the stored results");
    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert_eq!(record.version, 1, "one version bump, not two");
    let (pages, _) = pull_all(&*db, &w.amy, 0, 100).await;
    assert_eq!(ids(&pages), vec![c, n], "each record once");
    // a duplicate inside one batch is applied once too
    let edit = update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 111"]}));
    let out = db.push(&w.amy, &[edit.clone(), edit]).await.expect("push");
    assert_eq!(out[0], out[1]);
    assert_eq!(db.record(&w.amy, c).await.expect("get").expect("visible").version, 2);
    let pushes =
        db.audit_log(Some(c), 100).await.expect("audit").into_iter().filter(|a| a.entry.action == "push").count();
    assert_eq!(pushes, 4, "every push is audited, replays included");
}

pub async fn field_merge_and_conflict_via_decide(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let c = Uuid::now_v7();
    push_one(&*db, &w.amy, client(&w.amy, c, "Liverpool")).await;
    // amy and ben both edit version 1 without seeing each other
    let a = update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 222"]}));
    assert_eq!(push_one(&*db, &w.amy, a).await, Outcome::Applied { version: 2 });
    let b = update(
        &w.ben,
        RecordKind::Client,
        c,
        1,
        json!({"phone": ["0151 000", "0151 333"], "gender": ["male", "female"]}),
    );
    let Outcome::Merged { version, conflicts } = push_one(&*db, &w.ben, b).await else { panic!("expected a merge") };
    assert_eq!((version, conflicts.len()), (3, 1));
    let record = db.record(&w.ben, c).await.expect("get").expect("visible");
    assert_eq!(record.data["phone"], "0151 222", "the server's value is kept");
    assert_eq!(record.data["gender"], "female", "a field only ben changed merges");

    let (pages, cursor) = pull_all(&*db, &w.amy, 0, 100).await;
    let pulled: Vec<_> = pages.iter().flat_map(|p| p.conflicts.clone()).collect();
    assert_eq!(pulled.len(), 1);
    let conflict = &pulled[0];
    assert_eq!((conflict.id, conflict.field.as_str(), conflict.record_id), (conflicts[0], "phone", c));
    assert_eq!((conflict.kept.clone(), conflict.other.clone()), (json!("0151 222"), json!("0151 333")));
    assert_eq!((conflict.other_user.as_str(), conflict.other_device), ("ben", w.ben.device));
    assert!(conflict.resolved_by.is_none());
    assert!(conflict.seq > record.seq, "the conflict has its own sequence number");

    // outside scope, a conflict does not exist
    assert!(db.resolve_conflict(&w.wes, conflict.id, json!("x")).await.expect("resolve").is_none());
    let resolved = db.resolve_conflict(&w.amy, conflict.id, json!("0151 333")).await.expect("resolve").expect("found");
    assert_eq!(resolved.resolved_by.as_deref(), Some("amy"));
    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert_eq!((record.data["phone"].clone(), record.version), (json!("0151 333"), 4));
    let twice = db.resolve_conflict(&w.ben, conflict.id, json!("other")).await.expect("resolve").expect("found");
    assert_eq!(twice, resolved, "resolving twice changes nothing");
    let (pages, _) = pull_all(&*db, &w.amy, cursor, 100).await;
    assert_eq!(ids(&pages), vec![c]);
    assert_eq!(pages[0].conflicts.len(), 1, "the resolution travels with pulls");
    assert!(db.resolve_conflict(&w.amy, Uuid::now_v7(), json!(1)).await.expect("resolve").is_none());
}

/// A resolution arriving after a later edit of the same field does not
/// overwrite that edit: the later edit was made having seen the conflict's
/// values, so silently replacing it would lose work.
pub async fn a_late_resolution_does_not_overwrite_a_later_edit(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let c = Uuid::now_v7();
    push_one(&*db, &w.amy, client(&w.amy, c, "Liverpool")).await;
    push_one(&*db, &w.amy, update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 222"]}))).await;
    let b = update(&w.ben, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 333"]}));
    let Outcome::Merged { conflicts, .. } = push_one(&*db, &w.ben, b).await else { panic!("expected a merge") };
    // ben edits the field again, having seen the kept value
    let seen = db.record(&w.ben, c).await.expect("get").expect("visible").version;
    let later = update(&w.ben, RecordKind::Client, c, seen, json!({"phone": ["0151 222", "0151 444"]}));
    assert_eq!(push_one(&*db, &w.ben, later).await, Outcome::Applied { version: seen + 1 });
    // amy then resolves the old conflict choosing ben's earlier value
    let resolved = db.resolve_conflict(&w.amy, conflicts[0], json!("0151 333")).await.expect("resolve").expect("found");
    assert_eq!(resolved.resolved_by.as_deref(), Some("amy"));
    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert_eq!((record.data["phone"].clone(), record.version), (json!("0151 444"), seen + 1), "the later edit stands");
}

pub async fn delete_vs_concurrent_edit_is_flagged(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let c = Uuid::now_v7();
    push_one(&*db, &w.amy, client(&w.amy, c, "Sefton")).await;
    let edit = update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 999"]}));
    assert_eq!(push_one(&*db, &w.amy, edit).await, Outcome::Applied { version: 2 });
    // ben deletes version 1, not having seen amy's edit
    let Outcome::Merged { version, conflicts } = push_one(&*db, &w.ben, delete(&w.ben, RecordKind::Client, c, 1)).await
    else {
        panic!("expected the delete to be kept for review")
    };
    assert_eq!((version, conflicts.len()), (2, 1));
    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert!(!record.deleted, "the edit is not swallowed");
    let (pages, _) = pull_all(&*db, &w.amy, 0, 100).await;
    let flagged = &pages[0].conflicts[0];
    assert_eq!((flagged.field.as_str(), flagged.other.clone()), ("deleted", json!(true)));

    // a delete made against the current version deletes; pulls carry the tombstone
    assert_eq!(push_one(&*db, &w.ben, delete(&w.ben, RecordKind::Client, c, 2)).await, Outcome::Applied { version: 3 });
    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert!(record.deleted && record.version == 3);
    // an edit to a deleted record brings it back, flagged
    let revive = update(&w.amy, RecordKind::Client, c, 2, json!({"phone": ["0151 999", "0151 555"]}));
    let Outcome::Merged { version: 4, conflicts } = push_one(&*db, &w.amy, revive).await else {
        panic!("expected undelete")
    };
    assert_eq!(conflicts.len(), 1);
    assert!(!db.record(&w.amy, c).await.expect("get").expect("visible").deleted);
    // resolving the flag with `true` deletes it after all
    db.resolve_conflict(&w.lia, conflicts[0], json!(true)).await.expect("resolve").expect("found");
    assert!(db.record(&w.amy, c).await.expect("get").expect("visible").deleted);
    let bad = db.resolve_conflict(&w.lia, flagged.id, json!("maybe")).await.expect_err("deleted needs a boolean");
    assert!(matches!(bad, DbError::Refused { code: "invalid", .. }), "{bad}");
}

pub async fn rejections(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, n) = (Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.amy, vec![client(&w.amy, c, "Liverpool"), contact(&w.amy, n, c)]).await;

    let unknown = update(&w.amy, RecordKind::Client, Uuid::now_v7(), 1, json!({"phone": ["1", "2"]}));
    assert_rejected(&push_one(&*db, &w.amy, unknown).await, "unknown_record");
    let signed_off = update(&w.amy, RecordKind::Contact, n, 1, json!({"notes": ["met at the library", "changed"]}));
    assert_rejected(&push_one(&*db, &w.amy, signed_off).await, "signed_off");
    let wrong_kind = update(&w.amy, RecordKind::Goal, c, 1, json!({"phone": ["0151 000", "2"]}));
    assert_rejected(&push_one(&*db, &w.amy, wrong_kind).await, "invalid");
    let mut malformed = update(&w.amy, RecordKind::Client, c, 1, json!({}));
    malformed.changes.insert("phone".into(), json!("just a value"));
    assert_rejected(&push_one(&*db, &w.amy, malformed).await, "invalid");
    let no_area = create(&w.amy, RecordKind::Client, Uuid::now_v7(), json!({"gender": "male"}));
    assert_rejected(&push_one(&*db, &w.amy, no_area).await, "invalid");
    let no_client = create(&w.amy, RecordKind::RiskAssessment, Uuid::now_v7(), json!({"status": "draft"}));
    assert_rejected(&push_one(&*db, &w.amy, no_client).await, "invalid");
    let orphan = contact(&w.amy, Uuid::now_v7(), Uuid::now_v7());
    assert_rejected(&push_one(&*db, &w.amy, orphan).await, "forbidden");
    // a rejection is remembered like any other result
    let m = update(&w.amy, RecordKind::Client, Uuid::now_v7(), 1, json!({"phone": ["1", "2"]}));
    let first = db.push(&w.amy, std::slice::from_ref(&m)).await.expect("push");
    assert_eq!(db.push(&w.amy, &[m]).await.expect("push"), first);
    assert_eq!(db.record(&w.amy, c).await.expect("get").expect("visible").version, 1, "nothing changed");
}

pub async fn pull_paging_and_cursor_exactness(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let mut created = Vec::new();
    for i in 0..25 {
        let id = Uuid::now_v7();
        created.push(id);
        let area = if i % 5 == 0 { "Wirral" } else { "Liverpool" };
        let by = if area == "Wirral" { &w.wes } else { &w.amy };
        assert_eq!(push_one(&*db, by, client(by, id, area)).await, Outcome::Applied { version: 1 });
    }
    let amy_sees: Vec<Uuid> = created.iter().enumerate().filter(|(i, _)| i % 5 != 0).map(|(_, id)| *id).collect();

    let first = db.pull(&w.amy, 0, 7).await.expect("pull");
    assert_eq!(first.changes.len(), 7);
    assert!(first.has_more);
    assert_eq!(first.remaining, 13);
    assert_eq!(first.next_cursor, first.changes[6].seq, "the cursor is the last sequence sent");
    let (rest, end) = pull_all(&*db, &w.amy, first.next_cursor, 7).await;
    let mut all = ids(std::slice::from_ref(&first));
    all.extend(ids(&rest));
    assert_eq!(all, amy_sees, "every visible record once, in sequence order");
    let seqs: Vec<i64> =
        std::iter::once(&first).chain(rest.iter()).flat_map(|p| p.changes.iter().map(|c| c.seq)).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]));
    let last = rest.last().expect("a last page");
    assert!(!last.has_more && last.remaining == 0);

    let empty = db.pull(&w.amy, end, 7).await.expect("pull");
    assert!(empty.changes.is_empty() && !empty.has_more);
    assert_eq!(empty.next_cursor, end, "an empty page keeps the cursor");
    // a change after the end is the only thing the next pull sends
    let edit = update(&w.amy, RecordKind::Client, amy_sees[3], 1, json!({"phone": ["0151 000", "0151 444"]}));
    push_one(&*db, &w.amy, edit).await;
    let next = db.pull(&w.amy, end, 7).await.expect("pull");
    assert_eq!(ids(std::slice::from_ref(&next)), vec![amy_sees[3]]);
    assert_eq!(next.changes[0].version, 2);

    // one audit row per page sent, counting what it held by kind
    let audit = db.audit_log(None, 10_000).await.expect("audit");
    let pulls: Vec<serde_json::Value> = audit
        .iter()
        .filter(|a| a.entry.action == "pull")
        .map(|a| serde_json::from_str(a.entry.detail.as_deref().expect("detail")).expect("json"))
        .collect();
    let pages = 2 + rest.iter().filter(|p| !p.changes.is_empty()).count();
    assert_eq!(pulls.len(), pages, "{pulls:?}");
    assert_eq!(pulls.iter().map(|d| d["records"].as_i64().expect("records")).sum::<i64>(), 20 + 1);
    assert_eq!(pulls[0]["by_kind"], json!({"client": 7}));
    let all_seen: HashSet<Uuid> = all.into_iter().collect();
    assert_eq!(all_seen.len(), 20);
}

pub async fn pull_pages_serialise_exactly_as_the_protocol_type(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let c = Uuid::now_v7();
    let odd = json!({
        "area": "Liverpool",
        "notes": "Zoë said \"hi\" \\ then left\n\ttab \u{1} ctrl, 😀 and </script>",
        "Zebra": 1.5, "alpha": 1e-7, "big": 12_345_678_901_234_i64, "huge": 1e300, "neg": -0.0,
        "u64": u64::MAX, "nested": {"b": [1, {"z": null, "a": true}], "a": "x"}, "": "empty key", "é": [],
    });
    push(&*db, &w.amy, vec![create(&w.amy, RecordKind::Client, c, odd), contact(&w.amy, Uuid::now_v7(), c)]).await;
    let edit = update(&w.amy, RecordKind::Client, c, 1, json!({"phone": [null, "0151 ✓"]}));
    push(&*db, &w.amy, vec![edit]).await;
    let plain = db.pull_page(&w.amy, 0, 100).await.expect("pull");
    let pinned = db.pull_snapshot_page(&w.amy, 0, 100, None).await.expect("pull");
    assert_eq!(plain.snapshot_seq, None);
    assert_eq!(pinned.snapshot_seq, Some(pinned.next_cursor), "a pull from 0 is pinned");
    for page in [plain, pinned] {
        assert_eq!(page.changes.len(), 2);
        let sent = serde_json::to_string(&page).expect("serialise");
        let protocol = page.clone().into_response().expect("parse");
        assert_eq!(sent, serde_json::to_string(&protocol).expect("serialise"), "byte for byte what PullResponse sends");
        assert_eq!(
            protocol.changes[1].data["notes"],
            json!("Zoë said \"hi\" \\ then left\n\ttab \u{1} ctrl, 😀 and </script>")
        );
        assert!(protocol.changes.iter().all(|c| c.area.as_deref() == Some("liverpool")), "the scope area travels");
        let parsed: outreach_protocol::api::PullResponse = serde_json::from_str(&sent).expect("a client reads it");
        assert_eq!(parsed.changes, protocol.changes);
        assert_eq!(parsed.snapshot_seq, page.snapshot_seq);
    }
}
