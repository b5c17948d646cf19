//! Sequence numbers follow commit order on PostgreSQL: with several writers
//! pushing at once and a reader pulling all the while, the reader sees
//! every sequence number exactly once, in order, and none is skipped.

#[allow(dead_code)]
#[path = "suite/fixtures.rs"]
mod fixtures;

use fixtures::{client, person, world};
use outreach_protocol::api::{Outcome, Role};
use outreach_server_db::Backend;
use outreach_server_db::testing::{TestDb, run};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

const WRITERS: usize = 6;
const BATCHES: usize = 30;

async fn concurrent_writers_and_a_polling_reader(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (db, amy, done) = (db.clone(), w.amy.clone(), done.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (0i64, Vec::new());
            loop {
                let writers_finished = done.load(Ordering::SeqCst);
                let page = db.pull(&amy, cursor, 7).await.expect("pull");
                seen.extend(page.changes.iter().map(|c| c.seq));
                assert!(page.next_cursor >= cursor, "the cursor never goes back");
                cursor = page.next_cursor;
                if writers_finished && !page.has_more {
                    return seen;
                }
                if page.changes.is_empty() {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
        })
    };

    let mut writers = Vec::new();
    for i in 0..WRITERS {
        let actor = person(&*db, &format!("writer{i}"), &[Role::Worker], &["Liverpool Outreach"]).await;
        let db = db.clone();
        writers.push(tokio::spawn(async move {
            let mut written = 0usize;
            for b in 0..BATCHES {
                let batch: Vec<_> = (0..=(b + i) % 3).map(|_| client(&actor, Uuid::now_v7(), "Liverpool")).collect();
                let results = db.push(&actor, &batch).await.expect("push");
                assert!(results.iter().all(|r| r.outcome == Outcome::Applied { version: 1 }));
                written += batch.len();
            }
            written
        }));
    }
    let mut total = 0;
    for writer in writers {
        total += writer.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.expect("reader");

    assert!(seen.windows(2).all(|p| p[0] < p[1]), "in order, no repeats");
    let expected: Vec<i64> = (1..=total as i64).collect();
    assert_eq!(seen, expected, "every sequence number exactly once, none skipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seq_follows_commit_order_under_concurrent_writers() {
    run(Backend::Postgres, concurrent_writers_and_a_polling_reader).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seq_follows_commit_order_on_sqlite_too() {
    run(Backend::Sqlite, concurrent_writers_and_a_polling_reader).await;
}
