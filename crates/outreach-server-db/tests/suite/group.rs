//! Group commit and set-based pushes: pushes queued for the write turn are
//! applied together, each with its own results and audit rows; a batch
//! that reads back its own writes sees them.

use super::fixtures::{client, contact, create, drops, ids, pull_all, push, update, world};
use outreach_domain::RecordKind;
use outreach_protocol::Mutation;
use outreach_protocol::api::{MutationResult, Outcome};
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Actor, Backend, Result};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Starts a push and waits until it is queued for the write turn.
async fn queue_push(t: &TestDb, by: &Actor, mutations: Vec<Mutation>) -> JoinHandle<Result<Vec<MutationResult>>> {
    let before = t.queued_pushes();
    let (db, by) = (t.db(), by.clone());
    let task = tokio::spawn(async move { db.push(&by, &mutations).await });
    while t.queued_pushes() == before {
        tokio::task::yield_now().await;
    }
    task
}

fn outcomes(results: Result<Vec<MutationResult>>) -> Vec<Outcome> {
    results.expect("push").into_iter().map(|r| r.outcome).collect()
}

pub async fn queued_pushes_are_applied_together_each_with_its_own_results(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let c = Uuid::now_v7();
    push(&*db, &w.amy, vec![client(&w.amy, c, "Liverpool")]).await;
    let (n1, n2, c2) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let edit = update(&w.amy, RecordKind::Client, c, 1, json!({"phone": ["0151 000", "0151 999"]}));

    let held = t.hold_write_turn().await;
    let a = queue_push(&t, &w.amy, vec![contact(&w.amy, n1, c), edit.clone()]).await;
    // the same mutation id again, in another push of the same group
    let b = queue_push(&t, &w.ben, vec![edit.clone(), contact(&w.ben, n2, c)]).await;
    let d = queue_push(&t, &w.wes, vec![client(&w.wes, c2, "Wirral"), contact(&w.wes, Uuid::now_v7(), c)]).await;
    assert_eq!(t.queued_pushes(), 3);
    drop(held);

    let a = outcomes(a.await.expect("task"));
    let b = outcomes(b.await.expect("task"));
    let d = outcomes(d.await.expect("task"));
    assert_eq!(a, vec![Outcome::Applied { version: 1 }, Outcome::Applied { version: 2 }]);
    assert_eq!(b[0], a[1], "a mutation id applied earlier in the group gets the stored result");
    assert_eq!(b[1], Outcome::Applied { version: 1 });
    assert_eq!(d[0], Outcome::Applied { version: 1 });
    assert!(matches!(&d[1], Outcome::Rejected { code, .. } if code == "forbidden"), "scope is each pusher's own");
    assert_eq!(t.queued_pushes(), 0);

    let record = db.record(&w.amy, c).await.expect("get").expect("visible");
    assert_eq!((record.version, record.data["phone"].clone()), (2, json!("0151 999")), "applied once");
    let (pages, _) = pull_all(&*db, &w.amy, 0, 100).await;
    assert_eq!(ids(&pages), vec![n1, c, n2], "in the order the group applied them");
    let seqs: Vec<i64> = pages.iter().flat_map(|p| p.changes.iter().map(|c| c.seq)).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]));

    // each push audited as its own, replays included
    let audit = db.audit_log(Some(c), 100).await.expect("audit");
    let pushes: Vec<(Option<String>, bool)> = audit
        .iter()
        .filter(|a| a.entry.action == "push")
        .map(|a| {
            let detail: Value = serde_json::from_str(a.entry.detail.as_deref().unwrap_or("{}")).expect("detail");
            (a.entry.user.clone(), detail["replayed"] == json!(true))
        })
        .collect();
    assert_eq!(
        pushes,
        vec![(Some("amy".into()), false), (Some("amy".into()), false), (Some("ben".into()), true)],
        "the create, amy's edit, and ben's resend of it"
    );
    let wes_rows = db.audit_log(Some(c2), 100).await.expect("audit");
    assert_eq!(wes_rows.iter().filter(|a| a.entry.user.as_deref() == Some("wes")).count(), 1);
}

pub async fn one_failing_push_does_not_fail_its_group(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c1, c2, c3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // PostgreSQL refuses a NUL character in JSON text; SQLite stores it
    let odd = create(
        &w.ben,
        RecordKind::Client,
        c2,
        json!({"area": "Liverpool", "gender": "male", "phone": "0151\u{0}000", "needs": []}),
    );

    let held = t.hold_write_turn().await;
    let a = queue_push(&t, &w.amy, vec![client(&w.amy, c1, "Liverpool")]).await;
    let b = queue_push(&t, &w.ben, vec![odd]).await;
    let d = queue_push(&t, &w.amy, vec![client(&w.amy, c3, "Liverpool")]).await;
    drop(held);

    assert_eq!(outcomes(a.await.expect("task")), vec![Outcome::Applied { version: 1 }]);
    let b = b.await.expect("task");
    assert_eq!(outcomes(d.await.expect("task")), vec![Outcome::Applied { version: 1 }]);
    let (pages, _) = pull_all(&*db, &w.amy, 0, 100).await;
    match db.backend() {
        Backend::Postgres => {
            assert!(b.is_err(), "the bad push fails on its own");
            assert_eq!(ids(&pages), vec![c1, c3], "the others are applied, once each");
        }
        Backend::Sqlite => {
            assert_eq!(outcomes(b), vec![Outcome::Applied { version: 1 }]);
            assert_eq!(ids(&pages), vec![c1, c2, c3]);
        }
    }
    let audit = db.audit_log(None, 100).await.expect("audit");
    assert_eq!(audit.iter().filter(|a| a.entry.action == "push" && a.entry.record_id == Some(c1)).count(), 1);
}

pub async fn a_batch_sees_its_own_writes(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, n1, n2, n3) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    // one push by the lead of both teams: a client, a note about it, the
    // client moving to Wirral (its note must follow), then a second note
    // (which must take Wirral from the move made earlier in the same batch)
    let out = push(
        &*db,
        &w.lia,
        vec![
            client(&w.lia, c, "Liverpool"),
            contact(&w.lia, n1, c),
            update(&w.lia, RecordKind::Client, c, 1, json!({"area": ["Liverpool", "Wirral"]})),
            contact(&w.lia, n2, c),
        ],
    )
    .await;
    assert_eq!(
        out,
        vec![
            Outcome::Applied { version: 1 },
            Outcome::Applied { version: 1 },
            Outcome::Applied { version: 2 },
            Outcome::Applied { version: 1 }
        ]
    );

    let (pages, _) = pull_all(&*db, &w.wes, 0, 100).await;
    let mut seen = ids(&pages);
    seen.sort();
    let mut want = vec![c, n1, n2];
    want.sort();
    assert_eq!(seen, want, "the client and both notes are in Wirral");
    let (pages, _) = pull_all(&*db, &w.amy, 0, 100).await;
    let mut dropped = drops(&pages);
    dropped.sort();
    let mut moved = vec![c, n1];
    moved.sort();
    assert_eq!(dropped, moved, "amy's devices are told to drop what left Liverpool");
    assert!(ids(&pages).is_empty(), "and get nothing of Wirral's");
    let note = db.record(&w.wes, n1).await.expect("get").expect("visible");
    assert_eq!(note.version, 1, "a scope move is not an edit");
    let second = db.record(&w.wes, n2).await.expect("get").expect("visible");
    assert_eq!(second.area.as_deref(), Some("wirral"), "the second note took the area the batch gave its client");
    assert!(db.record(&w.amy, n2).await.expect("get").is_none());
    // a note pushed afterwards by someone who sees Wirral takes the new area
    let out = push(&*db, &w.wes, vec![contact(&w.wes, n3, c)]).await;
    assert_eq!(out, vec![Outcome::Applied { version: 1 }]);
    assert!(db.record(&w.amy, n3).await.expect("get").is_none());
}
