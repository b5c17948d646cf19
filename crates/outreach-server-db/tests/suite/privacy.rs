//! Data protection: exporting everything held on one client, and an
//! administrator's erasure that reaches every device.

use super::fixtures::{assert_rejected, client, contact, pull_all, push, push_one, update, world};
use outreach_domain::RecordKind;
use outreach_protocol::api::Outcome;
use outreach_server_db::DbError;
use outreach_server_db::testing::TestDb;
use serde_json::{Value, json};
use uuid::Uuid;

pub async fn client_export_holds_everything_on_one_client(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, note, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.amy, vec![client(&w.amy, c, "Liverpool"), contact(&w.amy, note, c), client(&w.amy, other, "Sefton")])
        .await;
    // A conflict on the client.
    push_one(&*db, &w.amy, update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 222"]}))).await;
    let Outcome::Merged { conflicts, .. } =
        push_one(&*db, &w.ben, update(&w.ben, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 333"]})))
            .await
    else {
        panic!("expected a merge")
    };
    db.record(&w.ben, note).await.expect("read").expect("visible");

    let export = db.export_client(c, "dpo").await.expect("export").expect("found");
    assert_eq!((export.client.id, export.client.kind), (c, RecordKind::Client));
    assert_eq!(export.client.data["phone"], "0151 222");
    assert_eq!(export.records.iter().map(|r| r.id).collect::<Vec<_>>(), vec![note], "only records about this client");
    assert_eq!(export.conflicts.iter().map(|c| c.id).collect::<Vec<_>>(), conflicts);
    assert!(export.audit.iter().all(|a| a.record_id == Some(c) || a.record_id == Some(note)));
    assert!(export.audit.iter().any(|a| a.record_id == Some(note) && a.action == "read"));
    assert_eq!(export.audit.iter().filter(|a| a.record_id == Some(c) && a.action == "push").count(), 3);
    assert!(export.audit.windows(2).all(|p| p[0].id < p[1].id), "oldest first");
    let json: Value = serde_json::to_value(&export).expect("serialises");
    assert_eq!(json["client"]["id"], json!(c));
    assert_eq!(json["records"][0]["data"]["notes"], "met at the library");

    let audit = db.audit_log(Some(c), 100).await.expect("audit");
    let last = audit.last().expect("audited");
    assert_eq!((last.entry.action.as_str(), last.entry.user.as_deref()), ("client_export", Some("dpo")));

    assert!(db.export_client(Uuid::now_v7(), "dpo").await.expect("export").is_none());
    assert!(matches!(db.export_client(note, "dpo").await, Err(DbError::Invalid(_))), "a contact is not a client");
}

pub async fn erasure_reaches_every_device(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, note, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.amy, vec![client(&w.amy, c, "Liverpool"), contact(&w.amy, note, c), client(&w.amy, other, "Sefton")])
        .await;
    push_one(&*db, &w.amy, update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 222"]}))).await;
    let Outcome::Merged { conflicts, .. } =
        push_one(&*db, &w.ben, update(&w.ben, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 333"]})))
            .await
    else {
        panic!("expected a merge")
    };
    let (_, ben_cursor) = pull_all(&*db, &w.ben, 0, 100).await;
    let (_, lia_cursor) = pull_all(&*db, &w.lia, 0, 100).await;

    assert!(matches!(db.erase_client(c, "dpo", "  ").await, Err(DbError::Invalid(_))), "a reason is required");
    assert!(db.erase_client(Uuid::now_v7(), "dpo", "SAR-42").await.expect("erase").is_none());
    let erasure = db.erase_client(c, "dpo", "SAR-42").await.expect("erase").expect("found");
    assert_eq!(erasure.records, vec![c, note]);
    assert_eq!(erasure.conflicts, conflicts);
    assert!(erasure.already_erased.is_empty());

    // Every device that could see the client pulls the erasure.
    for (who, cursor) in [(&w.ben, ben_cursor), (&w.lia, lia_cursor)] {
        let (pages, _) = pull_all(&*db, who, cursor, 100).await;
        let changes: Vec<_> = pages.iter().flat_map(|p| p.changes.clone()).collect();
        assert_eq!(changes.iter().map(|r| r.id).collect::<Vec<_>>(), vec![c, note]);
        assert!(changes.iter().all(|r| r.erased && r.data.is_empty() && r.updated_by == "dpo"));
        let pulled: Vec<_> = pages.iter().flat_map(|p| p.conflicts.clone()).collect();
        assert_eq!(pulled.len(), 1);
        assert_eq!((pulled[0].kept.clone(), pulled[0].other.clone()), (Value::Null, Value::Null));
        assert_eq!(pulled[0].resolved_by.as_deref(), Some("dpo"));
    }
    let record = db.record(&w.amy, c).await.expect("get").expect("still visible as erased");
    assert!(record.erased && record.data.is_empty());
    assert_eq!(record.version, 3, "one new version for the erasure");
    let kept = db.record(&w.amy, other).await.expect("get").expect("visible");
    assert!(!kept.erased && !kept.data.is_empty(), "other clients are untouched");

    // No device can bring the data back.
    let late = update(&w.amy, RecordKind::Contact, note, 1, json!({"notes": ["met at the library", "moved on"]}));
    assert_rejected(&push_one(&*db, &w.amy, late).await, "erased");
    let export = db.export_client(c, "dpo").await.expect("export").expect("found");
    assert!(export.client.data.is_empty() && export.records.iter().all(|r| r.erased && r.data.is_empty()));
    assert!(export.conflicts.iter().all(|c| c.kept.is_null() && c.other.is_null()));

    let erases: Vec<_> =
        db.audit_log(None, 1000).await.expect("audit").into_iter().filter(|a| a.entry.action == "erase").collect();
    assert_eq!(erases.iter().map(|a| a.entry.record_id).collect::<Vec<_>>(), vec![Some(c), Some(note)]);
    assert!(erases.iter().all(|a| a.entry.detail.as_deref().is_some_and(|d| d.contains("SAR-42"))));

    // Erasing twice changes nothing and sends nothing new.
    let (_, cursor) = pull_all(&*db, &w.ben, 0, 100).await;
    let again = db.erase_client(c, "dpo", "SAR-42").await.expect("erase").expect("found");
    assert!(again.records.is_empty() && again.conflicts.is_empty());
    assert_eq!(again.already_erased, vec![c, note]);
    assert!(db.pull(&w.ben, cursor, 100).await.expect("pull").changes.is_empty());
}
