//! Who sees what: areas, roles, caseloads, moves, street counts.

use super::fixtures::{
    assert_rejected, client, contact, create, delete, drops, ids, pull_all, push, push_one, update, world,
};
use outreach_domain::RecordKind;
use outreach_protocol::api::Outcome;
use outreach_server_db::testing::TestDb;
use serde_json::json;
use uuid::Uuid;

pub async fn scope_filtering_by_area_and_role(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (liv, liv_note, wir) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.amy, vec![client(&w.amy, liv, "liverpool"), contact(&w.amy, liv_note, liv)]).await;
    assert_eq!(push_one(&*db, &w.wes, client(&w.wes, wir, "Wirral")).await, Outcome::Applied { version: 1 });

    assert_eq!(ids(&pull_all(&*db, &w.amy, 0, 100).await.0), vec![liv, liv_note], "areas match whatever the case");
    assert_eq!(ids(&pull_all(&*db, &w.ben, 0, 100).await.0), vec![liv, liv_note]);
    assert_eq!(ids(&pull_all(&*db, &w.wes, 0, 100).await.0), vec![wir]);
    assert_eq!(
        ids(&pull_all(&*db, &w.lia, 0, 100).await.0),
        vec![liv, liv_note, wir],
        "a lead of both teams sees both"
    );
    for nobody in [&w.ada, &w.cam] {
        let page = db.pull(nobody, 0, 100).await.expect("pull");
        assert!(page.changes.is_empty() && page.conflicts.is_empty() && !page.has_more);
        assert!(db.record(nobody, liv).await.expect("get").is_none());
        assert_rejected(&push_one(&*db, nobody, client(nobody, Uuid::now_v7(), "Liverpool")).await, "forbidden");
    }

    // outside scope: not readable, not writable, not creatable
    assert!(db.record(&w.amy, wir).await.expect("get").is_none());
    assert!(db.record(&w.amy, Uuid::now_v7()).await.expect("get").is_none(), "absent looks the same");
    let edit = update(&w.amy, RecordKind::Client, wir, 1, json!({"phone": ["0151 000", "0151 123"]}));
    assert_rejected(&push_one(&*db, &w.amy, edit).await, "unknown_record");
    assert_rejected(&push_one(&*db, &w.amy, client(&w.amy, Uuid::now_v7(), "Wirral")).await, "forbidden");
    assert_rejected(&push_one(&*db, &w.amy, contact(&w.amy, Uuid::now_v7(), wir)).await, "forbidden");
    let moved = update(&w.amy, RecordKind::Client, liv, 1, json!({"area": ["liverpool", "Wirral"]}));
    assert_rejected(&push_one(&*db, &w.amy, moved).await, "forbidden");
    assert_eq!(db.record(&w.wes, wir).await.expect("get").expect("visible").version, 1, "nothing changed");

    let audit = db.audit_log(Some(wir), 100).await.expect("audit");
    assert!(audit.iter().any(|a| a.entry.action == "read_denied" && a.entry.user.as_deref() == Some("amy")));
    assert!(audit.iter().any(|a| a.entry.action == "push"
        && a.entry.user.as_deref() == Some("amy")
        && a.entry.detail.as_deref().is_some_and(|d| d.contains("rejected:forbidden"))));
}

pub async fn caseload_grants_and_drops(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (wir, note, assignment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.wes, vec![client(&w.wes, wir, "Wirral"), contact(&w.wes, note, wir)]).await;
    let (_, amy_cursor) = pull_all(&*db, &w.amy, 0, 100).await;

    // wes puts the Wirral client on amy's caseload: amy now sees the client's records
    let assign = create(
        &w.lia,
        RecordKind::CaseloadAssignment,
        assignment,
        json!({"client_id": wir, "worker": "amy", "role": "co_worker", "started_on": "2026-01-05", "ended_on": null}),
    );
    assert_eq!(push_one(&*db, &w.lia, assign).await, Outcome::Applied { version: 1 });
    let (pages, amy_cursor) = pull_all(&*db, &w.amy, amy_cursor, 100).await;
    let mut got = ids(&pages);
    got.sort();
    let mut want = vec![wir, note, assignment];
    want.sort();
    assert_eq!(got, want);
    assert!(db.record(&w.amy, wir).await.expect("get").is_some());
    let edit = update(&w.amy, RecordKind::Client, wir, 1, json!({"phone": ["0151 000", "0151 777"]}));
    assert_eq!(push_one(&*db, &w.amy, edit).await, Outcome::Applied { version: 2 });
    assert!(ids(&pull_all(&*db, &w.ben, 0, 100).await.0).is_empty(), "ben's caseload is his own");

    // the assignment ends: amy's devices are told to drop the client's records
    let end = update(&w.lia, RecordKind::CaseloadAssignment, assignment, 1, json!({"ended_on": [null, "2020-01-01"]}));
    assert_eq!(push_one(&*db, &w.lia, end).await, Outcome::Applied { version: 2 });
    let (pages, amy_cursor) = pull_all(&*db, &w.amy, amy_cursor, 100).await;
    let mut dropped = drops(&pages);
    dropped.sort();
    assert_eq!(dropped, want);
    assert!(ids(&pages).is_empty());
    assert!(db.record(&w.amy, wir).await.expect("get").is_none());
    assert!(pull_all(&*db, &w.amy, amy_cursor, 100).await.0.iter().all(|p| p.drops.is_empty()));
    // wes, who still sees the client, is not told to drop anything
    assert!(drops(&pull_all(&*db, &w.wes, 0, 100).await.0).is_empty());

    // deleting an assignment ends it too
    let again = Uuid::now_v7();
    let assign = create(&w.lia, RecordKind::CaseloadAssignment, again, json!({"client_id": wir, "worker": "ben"}));
    push_one(&*db, &w.lia, assign).await;
    assert!(db.record(&w.ben, note).await.expect("get").is_some());
    push_one(&*db, &w.lia, delete(&w.lia, RecordKind::CaseloadAssignment, again, 1)).await;
    assert!(db.record(&w.ben, note).await.expect("get").is_none());
    let bad = create(&w.wes, RecordKind::CaseloadAssignment, Uuid::now_v7(), json!({"client_id": wir}));
    assert_rejected(&push_one(&*db, &w.wes, bad).await, "invalid");
}

pub async fn moving_a_client_moves_its_records(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (c, note) = (Uuid::now_v7(), Uuid::now_v7());
    push(&*db, &w.amy, vec![client(&w.amy, c, "Liverpool"), contact(&w.amy, note, c)]).await;
    let (_, amy_cursor) = pull_all(&*db, &w.amy, 0, 100).await;
    let (_, wes_cursor) = pull_all(&*db, &w.wes, 0, 100).await;

    // the lead of both teams hands the client to the Wirral team
    let moved = update(&w.lia, RecordKind::Client, c, 1, json!({"area": ["Liverpool", "Wirral"]}));
    assert_eq!(push_one(&*db, &w.lia, moved).await, Outcome::Applied { version: 2 });
    let (pages, _) = pull_all(&*db, &w.amy, amy_cursor, 100).await;
    let mut dropped = drops(&pages);
    dropped.sort();
    let mut both = vec![c, note];
    both.sort();
    assert_eq!(dropped, both, "Liverpool devices drop the client and its records");
    let (pages, _) = pull_all(&*db, &w.wes, wes_cursor, 100).await;
    let mut got = ids(&pages);
    got.sort();
    assert_eq!(got, both, "Wirral devices receive them");
    assert!(db.record(&w.wes, note).await.expect("get").is_some());
    assert!(db.record(&w.amy, note).await.expect("get").is_none());
    // new records about the client follow it
    let later = Uuid::now_v7();
    assert_eq!(push_one(&*db, &w.wes, contact(&w.wes, later, c)).await, Outcome::Applied { version: 1 });
    assert!(db.record(&w.amy, later).await.expect("get").is_none());
}

pub async fn street_counts_and_sightings_by_area(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (count, seen, named, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push_one(&*db, &w.wes, client(&w.wes, c, "Wirral")).await;
    let mine = Uuid::now_v7();
    let out = push(
        &*db,
        &w.amy,
        vec![
            client(&w.amy, mine, "Liverpool"),
            create(&w.amy, RecordKind::StreetCount, count, json!({"area": "Sefton", "night_of": "2026-02-10"})),
            create(
                &w.amy,
                RecordKind::Sighting,
                seen,
                json!({"count_id": count, "location": "Lord St", "client_id": null}),
            ),
            create(
                &w.amy,
                RecordKind::Sighting,
                named,
                json!({"count_id": count, "location": "Lord St", "client_id": mine}),
            ),
        ],
    )
    .await;
    assert!(out.iter().all(|o| *o == Outcome::Applied { version: 1 }), "{out:?}");
    assert_eq!(
        ids(&pull_all(&*db, &w.ben, 0, 100).await.0),
        vec![mine, count, seen, named],
        "sightings inherit the count's area"
    );
    let wes_sees = ids(&pull_all(&*db, &w.wes, 0, 100).await.0);
    assert_eq!(wes_sees, vec![c], "a sighting is seen by its count's area only");
    let theirs = create(&w.amy, RecordKind::Sighting, Uuid::now_v7(), json!({"count_id": count, "client_id": c}));
    assert_rejected(&push_one(&*db, &w.amy, theirs).await, "forbidden");
    let orphan = create(&w.amy, RecordKind::Sighting, Uuid::now_v7(), json!({"location": "nowhere"}));
    assert_rejected(&push_one(&*db, &w.amy, orphan).await, "invalid");
    let elsewhere = create(&w.wes, RecordKind::Sighting, Uuid::now_v7(), json!({"count_id": count, "location": "x"}));
    assert_rejected(&push_one(&*db, &w.wes, elsewhere).await, "forbidden");
}

pub async fn merged_clients_follow_each_other_onto_caseloads(t: TestDb) {
    let db = t.db();
    let w = world(&*db).await;
    let (wir, note, dup, dup_note, third, third_note) =
        (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(
        &*db,
        &w.wes,
        vec![
            client(&w.wes, wir, "Wirral"),
            contact(&w.wes, note, wir),
            client(&w.wes, dup, "Wirral"),
            contact(&w.wes, dup_note, dup),
            client(&w.wes, third, "Wirral"),
            contact(&w.wes, third_note, third),
        ],
    )
    .await;
    // amy holds `wir`, ben holds `third`: both outside their teams' areas
    let assign = |worker: &str, client: Uuid| {
        create(&w.lia, RecordKind::CaseloadAssignment, Uuid::now_v7(), json!({"client_id": client, "worker": worker}))
    };
    push(&*db, &w.lia, vec![assign("amy", wir), assign("ben", third)]).await;
    let (_, amy_cursor) = pull_all(&*db, &w.amy, 0, 100).await;
    let (_, ben_cursor) = pull_all(&*db, &w.ben, 0, 100).await;
    assert!(db.record(&w.amy, dup_note).await.expect("get").is_none());

    // wes finds `dup` is the same person as `wir`: amy's devices receive it and its records
    let merge = update(&w.wes, RecordKind::Client, dup, 1, json!({"merged_into": [null, wir]}));
    assert_eq!(push_one(&*db, &w.wes, merge).await, Outcome::Applied { version: 2 });
    let (pages, amy_cursor) = pull_all(&*db, &w.amy, amy_cursor, 100).await;
    let mut got = ids(&pages);
    got.sort();
    let mut pair = vec![dup, dup_note];
    pair.sort();
    assert_eq!(got, pair);
    assert!(db.record(&w.amy, dup_note).await.expect("get").is_some());
    // amy may add to the merged-away client (a link made offline to either id)
    assert_eq!(push_one(&*db, &w.amy, contact(&w.amy, Uuid::now_v7(), dup)).await, Outcome::Applied { version: 1 });

    // ben holds `third`; once it is merged into `wir`, he sees the whole family
    let merge = update(&w.wes, RecordKind::Client, third, 1, json!({"merged_into": [null, wir]}));
    assert_eq!(push_one(&*db, &w.wes, merge).await, Outcome::Applied { version: 2 });
    let (pages, ben_cursor) = pull_all(&*db, &w.ben, ben_cursor, 100).await;
    let got = ids(&pages);
    for id in [wir, note, dup, dup_note] {
        assert!(got.contains(&id), "ben receives {id}");
    }
    let (pages, amy_cursor) = pull_all(&*db, &w.amy, amy_cursor, 100).await;
    let got = ids(&pages);
    assert!(got.contains(&third) && got.contains(&third_note), "amy receives ben's client");

    // undoing the first merge: amy's and ben's devices drop `dup` and its records, nothing else
    let undo = update(&w.wes, RecordKind::Client, dup, 2, json!({"merged_into": [wir, null]}));
    assert_eq!(push_one(&*db, &w.wes, undo).await, Outcome::Applied { version: 3 });
    for (who, cursor) in [(&w.amy, amy_cursor), (&w.ben, ben_cursor)] {
        let (pages, _) = pull_all(&*db, who, cursor, 100).await;
        let dropped = drops(&pages);
        assert!(dropped.contains(&dup) && dropped.contains(&dup_note), "{} drops dup: {dropped:?}", who.user);
        assert!(!dropped.contains(&wir) && !dropped.contains(&note) && !dropped.contains(&third));
        assert!(db.record(who, dup_note).await.expect("get").is_none());
        assert!(db.record(who, third_note).await.expect("get").is_some());
    }
    // wes, who sees the area, is told to drop nothing
    assert!(drops(&pull_all(&*db, &w.wes, 0, 100).await.0).is_empty());
}
