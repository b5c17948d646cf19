//! A new record's outbox entry refers to its record row instead of holding a
//! second copy of the body (schema 4). Whatever happens to the row before
//! the push (edits, a delete, a scope drop, a write from outside the
//! store's code, a transaction rolled back), the create sends the body it
//! was made with, later changes send their own deltas, and a store upgraded
//! from schema 3 sends exactly what it would have sent before.

use chrono::Utc;
use outreach_domain::{Client, Contact, Hlc, RecordKind};
use outreach_protocol::api::{MutationResult, Outcome, PullResponse, RecordChange};
use outreach_protocol::{Mutation, Op};
use outreach_store::store::{DB_FILE, KEY_FILE};
use outreach_store::{Store, keyfile};
use outreach_sync::Engine;
use outreach_sync::testing::FakeServer;
use serde_json::{Map, Value, json};
use std::path::Path;
use uuid::Uuid;

const PASS: &str = "correct horse battery staple";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    (dir, store)
}

fn client(name: &str) -> Client {
    Client { name: Some(name.to_string().into()), area: "Wirral".into(), ..Default::default() }
}

/// The changes a create of `body` must carry: every field, old null.
fn created(body: &impl serde::Serialize) -> Map<String, Value> {
    let Value::Object(fields) = serde_json::to_value(body).unwrap() else { panic!("bodies are objects") };
    fields.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, json!({"old": null, "new": v}))).collect()
}

/// `changes` without fields whose new value is null (absent and null are
/// the same to the merge).
fn non_null(changes: &Map<String, Value>) -> Map<String, Value> {
    changes.iter().filter(|(_, c)| !c["new"].is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A raw connection to the store's database, as a writer that is not the
/// store's own code would have.
fn raw(dir: &Path) -> rusqlite::Connection {
    let key = keyfile::read(&dir.join(KEY_FILE), PASS).unwrap();
    let conn = rusqlite::Connection::open(dir.join(DB_FILE)).unwrap();
    conn.execute_batch(&key.sqlcipher_key_statement()).unwrap();
    conn
}

/// How many outbox entries hold a copy of a body (NULL: by reference).
fn copies(dir: &Path) -> (i64, i64) {
    raw(dir)
        .query_row(
            "SELECT count(*) FILTER (WHERE changes IS NULL), count(*) FILTER (WHERE changes IS NOT NULL)
             FROM outbox WHERE op = 'create'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

#[test]
fn a_new_record_is_not_stored_twice_and_is_sent_whole() {
    let (dir, mut store) = store();
    let body = client("Jo Bloggs");
    let c = store.create(body.clone()).unwrap();
    assert_eq!(copies(dir.path()), (1, 0), "the entry refers to the record row");
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].op, sent[0].record_id, sent[0].base_version), (Op::Create, c.meta.id, 0));
    assert_eq!(non_null(&sent[0].changes), created(&body));
}

#[test]
fn edits_before_the_push_leave_the_create_as_made_and_go_up_as_deltas() {
    let (dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    let as_made = store.pending_batch(10).unwrap().remove(0);
    assert_eq!(as_made.mutation_id, id, "a create's mutation id is its record's id");
    store.update::<Client>(id, |c| c.phone = Some("0151 000".to_string().into())).unwrap();
    store.update::<Client>(id, |c| c.name = Some("Jo Bloggs-Smith".to_string().into())).unwrap();
    assert_eq!(copies(dir.path()), (0, 1), "the body was copied into the entry before the first edit");
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent.iter().map(|m| m.op).collect::<Vec<_>>(), [Op::Create, Op::Update, Op::Update]);
    assert_eq!(sent[0], as_made, "the create carries the id, body and clock stamp it was made with");
    assert_eq!(non_null(&sent[0].changes), created(&body));
    assert!(sent[0].hlc < sent[1].hlc && sent[1].hlc < sent[2].hlc);
    assert_eq!(Value::Object(sent[1].changes.clone()), json!({"phone": {"old": null, "new": "0151 000"}}));
    assert_eq!(Value::Object(sent[2].changes.clone()), json!({"name": {"old": "Jo Bloggs", "new": "Jo Bloggs-Smith"}}));
}

#[test]
fn a_record_deleted_before_the_push_sends_its_create_then_its_delete() {
    let (_dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    let as_made = store.pending_batch(10).unwrap().remove(0);
    store.delete::<Client>(id).unwrap();
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent[0], as_made);
    assert_eq!(sent.iter().map(|m| m.op).collect::<Vec<_>>(), [Op::Create, Op::Delete]);
    assert_eq!(non_null(&sent[0].changes), created(&body));
    assert_eq!(Value::Object(sent[1].changes.clone()), json!({"deleted": {"old": false, "new": true}}));
}

#[test]
fn a_refused_create_keeps_its_body_in_needs_attention_after_later_edits() {
    let (_dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    let sent = store.pending_batch(10).unwrap();
    store.update::<Client>(id, |c| c.phone = Some("0151".to_string().into())).unwrap();
    let refused = Outcome::Rejected { code: "forbidden".into(), reason: "not your team's area".into() };
    store.acknowledge(&[MutationResult { mutation_id: sent[0].mutation_id, outcome: refused }]).unwrap();
    let attention = store.needs_attention().unwrap();
    assert_eq!(attention.len(), 1);
    assert_eq!(attention[0].mutation, sent[0], "the refused create is kept exactly as it was sent");
    assert_eq!(store.pending_batch(10).unwrap().iter().map(|m| m.op).collect::<Vec<_>>(), [Op::Update]);
}

#[test]
fn a_new_record_dropped_from_scope_before_the_push_still_sends_its_body() {
    let (_dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    let as_made = store.pending_batch(10).unwrap().remove(0);
    let drop = PullResponse {
        changes: vec![],
        conflicts: vec![],
        drops: vec![id],
        next_cursor: 1,
        has_more: false,
        remaining: 0,
        snapshot_seq: None,
        unreadable: vec![],
    };
    assert_eq!(store.apply_pull_page(&drop).unwrap().dropped, 1);
    assert!(store.record_states().unwrap().is_empty());
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent, [as_made], "the server judges the waiting create, as it was made");
    assert_eq!(non_null(&sent[0].changes), created(&body));
    // Its answer is still matched to it.
    let ack =
        store.acknowledge(&[MutationResult { mutation_id: id, outcome: Outcome::Applied { version: 1 } }]).unwrap();
    assert_eq!((ack.removed, ack.unknown), (1, 0));
}

#[test]
fn a_merge_pulled_onto_a_waiting_create_leaves_the_create_as_made() {
    let (_dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    // The create reached the server but its answer was lost; someone else
    // then changed the record, and this device pulls that.
    let mut data = serde_json::to_value(&body).unwrap().as_object().unwrap().clone();
    data.insert("phone".into(), json!("0151 999"));
    let change = RecordChange {
        id,
        kind: RecordKind::Client,
        client_id: Some(id),
        data,
        version: 2,
        seq: 7,
        deleted: false,
        erased: false,
        hlc: Hlc::zero(Uuid::now_v7()).tick(Utc::now().timestamp_millis()),
        updated_at: Utc::now(),
        updated_by: "ben.t".into(),
        area: None,
    };
    let page = PullResponse {
        changes: vec![change],
        conflicts: vec![],
        drops: vec![],
        next_cursor: 7,
        has_more: false,
        remaining: 0,
        snapshot_seq: None,
        unreadable: vec![],
    };
    let as_made = store.pending_batch(10).unwrap().remove(0);
    store.apply_pull_page(&page).unwrap();
    assert_eq!(store.record_states().unwrap()[&id].0["phone"], json!("0151 999"));
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent, [as_made]);
}

#[test]
fn any_writer_of_the_record_row_keeps_the_waiting_body_and_a_rollback_keeps_the_reference() {
    let (dir, mut store) = store();
    let body = client("Jo Bloggs");
    let id = store.create(body.clone()).unwrap().meta.id;
    let as_made = store.pending_batch(10).unwrap().remove(0);
    let mut conn = raw(dir.path());
    // A transaction that dies half-way (as in a crash) changes nothing.
    {
        let tx = conn.transaction().unwrap();
        tx.execute("UPDATE records SET data = '{\"name\":\"changed\"}' WHERE id = ?1", [id.to_string()]).unwrap();
        tx.rollback().unwrap();
    }
    assert_eq!(copies(dir.path()), (1, 0));
    // A write that does not go through the store's code is caught too.
    conn.execute("UPDATE records SET hlc = 'not a stamp', data = '{}' WHERE id = ?1", [id.to_string()]).unwrap();
    assert_eq!(copies(dir.path()), (0, 1));
    assert_eq!(store.pending_batch(10).unwrap(), std::slice::from_ref(&as_made));
    conn.execute("DELETE FROM records WHERE id = ?1", [id.to_string()]).unwrap();
    assert_eq!(store.pending_batch(10).unwrap(), [as_made]);
}

#[test]
fn many_records_made_together_each_send_their_own_body() {
    let (_dir, mut store) = store();
    let owner = store.create(client("Jo Bloggs")).unwrap().meta.id;
    let mut generator = outreach_synth::Generator::new(7, Utc::now().date_naive());
    let contacts: Vec<Contact> = (0..5).map(|_| generator.contact(owner, "amy.w")).collect();
    let made = store.create_many(contacts.clone()).unwrap();
    let sent = store.pending_batch(10).unwrap();
    assert_eq!(sent.len(), 6);
    for ((record, body), mutation) in made.iter().zip(&contacts).zip(&sent[1..]) {
        assert_eq!((mutation.record_id, mutation.kind, mutation.op), (record.meta.id, RecordKind::Contact, Op::Create));
        assert_eq!(non_null(&mutation.changes), created(body));
    }
}

#[test]
fn create_edit_delete_and_resend_converge_through_a_server() {
    let server = FakeServer::new();
    let (dir_a, mut a) = store();
    let dir_b = tempfile::tempdir().unwrap();
    let mut b = Store::init(dir_b.path(), PASS, "ben.t").unwrap();
    let mut ta = server.connect("amy.w", a.device_id());
    let mut tb = server.connect("ben.t", b.device_id());
    let kept = a.create(client("Jo Bloggs")).unwrap().meta.id;
    a.update::<Client>(kept, |c| c.phone = Some("0151".to_string().into())).unwrap();
    let gone = a.create(client("Sam Smith")).unwrap().meta.id;
    a.delete::<Client>(gone).unwrap();
    // The first push reaches the server but its answer is lost.
    let first: Vec<Mutation> = a.pending_batch(10).unwrap();
    server.push("amy.w", a.device_id(), &outreach_protocol::api::PushRequest { mutations: first }).unwrap();
    a.update::<Client>(kept, |c| c.usual_site = Some("Lime Street".to_string().into())).unwrap();
    Engine::default().run(&mut a, &mut ta, &mut |_| {}).unwrap();
    Engine::default().run(&mut b, &mut tb, &mut |_| {}).unwrap();
    Engine::default().run(&mut a, &mut ta, &mut |_| {}).unwrap();
    assert_eq!(a.outbox_len().unwrap(), 0);
    let states = a.record_states().unwrap();
    assert_eq!(states, b.record_states().unwrap());
    assert_eq!(states, server.records());
    assert_eq!(states[&kept].0["phone"], json!("0151"));
    assert_eq!(states[&kept].0["usual_site"], json!("Lime Street"));
    assert_eq!(states[&kept].0["name"], json!("Jo Bloggs"));
    drop(dir_a);
}

/// The outbox of a schema 3 store, read straight from its table.
fn outbox_rows(dir: &Path) -> Vec<(i64, Option<String>, String, Option<String>)> {
    raw(dir)
        .prepare("SELECT seq, mutation_id, op, changes FROM outbox ORDER BY seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_schema_3_store_upgrades_its_outbox_in_place_losing_no_waiting_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut old = Store::init_at_version(dir.path(), PASS, "amy.w", 3).unwrap();
    // Two records made, sent and acknowledged: the outbox numbered past them.
    let early = old.create_many(vec![client("Early One"), client("Early Two")]).unwrap();
    let acks: Vec<MutationResult> = old
        .pending_batch(10)
        .unwrap()
        .iter()
        .map(|m| MutationResult { mutation_id: m.mutation_id, outcome: Outcome::Applied { version: 1 } })
        .collect();
    old.acknowledge(&acks).unwrap();
    // Changes waiting at the upgrade: creates (with their bodies copied, as
    // schema 3 did), an edit, a delete.
    let jo = old.create(client("Jo Bloggs")).unwrap().meta.id;
    old.update::<Client>(jo, |c| c.phone = Some("0151".to_string().into())).unwrap();
    old.update::<Client>(early[0].meta.id, |c| c.usual_site = Some("Lime Street".to_string().into())).unwrap();
    let sam = old.create(client("Sam Smith")).unwrap().meta.id;
    old.delete::<Client>(sam).unwrap();
    let before = old.pending_batch(100).unwrap();
    assert_eq!(before.len(), 5);
    let rows_before = outbox_rows(dir.path());
    assert_eq!(rows_before.first().map(|r| r.0), Some(3), "numbering went on after the acknowledged two");
    drop(old);

    let mut store = Store::open(dir.path(), PASS).unwrap();
    assert_eq!(store.schema_version().unwrap(), outreach_store::schema::latest_version());
    assert_eq!(store.pending_batch(100).unwrap(), before, "every waiting change goes up exactly as before");
    assert_eq!(outbox_rows(dir.path()), rows_before, "same rows, same numbers, same stored bodies");
    assert_eq!(store.integrity_check().unwrap(), "ok");

    // Numbers are never handed out twice, even after the outbox empties.
    let acks: Vec<MutationResult> = before
        .iter()
        .map(|m| MutationResult { mutation_id: m.mutation_id, outcome: Outcome::Unchanged { version: 1 } })
        .collect();
    store.acknowledge(&acks).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 0);
    let last = rows_before.last().unwrap().0;
    let body = client("After Upgrade");
    store.create(body.clone()).unwrap();
    let rows = outbox_rows(dir.path());
    assert_eq!(rows.len(), 1);
    assert!(rows[0].0 > last, "seq {} reused (last before the upgrade {last})", rows[0].0);
    assert_eq!(rows[0].3, None, "new creates refer to their record row");
    assert_eq!(non_null(&store.pending_batch(10).unwrap()[0].changes), created(&body));
}
