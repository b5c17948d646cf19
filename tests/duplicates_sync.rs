//! The same person recorded twice (issue 4), through a real
//! `outreach-server` on loopback: two laptops each record the person
//! offline, both see the suggestion after sync, one merges, the other sees
//! the merge and a contact it made offline against the merged-away id shows
//! under the survivor; the undo syncs too; two crossed merges made offline
//! resolve to the same survivor on both laptops and are listed. A worker of
//! another team who holds the survivor on their caseload receives the
//! merged-away client's records with the merge, and drops them on undo.

use chrono::{NaiveDate, Utc};
use outreach_domain::{CaseloadAssignment, CaseloadRole, Client, Contact, Gender};
use outreach_server_db::Backend;
use outreach_store::{ClientFilter, Store};
use outreach_tests::{Laptop, SERVER_PASSWORD, client, contact, start_server};
use uuid::Uuid;

fn person(name: &str) -> Client {
    Client {
        date_of_birth: Some(NaiveDate::from_ymd_opt(1984, 6, 1).unwrap().into()),
        gender: Gender::Male,
        ..client(name)
    }
}

fn listed(store: &mut Store) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = store
        .list_clients(&ClientFilter::default(), Utc::now().date_naive(), 0, 100)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    ids
}

fn notes(store: &Store, id: Uuid) -> Vec<String> {
    let mut out: Vec<String> =
        store.list_for_client::<Contact>(id, None).unwrap().into_iter().map(|c| c.body.notes.into_inner()).collect();
    out.sort();
    out
}

#[test]
fn two_laptops_merge_undo_and_crossed_merges_converge() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (db, base) = start_server(&runtime, Backend::Sqlite);
    // wes works for another team: he sees Liverpool clients only through his caseload
    runtime.block_on(async {
        let db = db.db();
        db.add_team("Wirral Outreach", &["Wirral".into()]).await.unwrap();
        db.add_user(outreach_server_db::NewUser {
            name: "wes.p".into(),
            password_hash: outreach_server_db::credentials::hash_password(SERVER_PASSWORD).unwrap(),
            roles: vec![outreach_protocol::api::Role::Worker],
            teams: vec!["Wirral Outreach".into()],
        })
        .await
        .unwrap();
        // only a team lead puts a client on someone else's caseload
        db.add_user(outreach_server_db::NewUser {
            name: "lia.m".into(),
            password_hash: outreach_server_db::credentials::hash_password(SERVER_PASSWORD).unwrap(),
            roles: vec![outreach_protocol::api::Role::TeamLead],
            teams: vec!["Liverpool Outreach".into(), "Wirral Outreach".into()],
        })
        .await
        .unwrap();
    });
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let mut ben = Laptop::sign_in(&base, "ben.k");
    let mut wes = Laptop::sign_in(&base, "wes.p");

    // Each meets the same person on a different night and records them offline.
    let jon = amy.store.create(person("Jon Smith")).unwrap().meta.id;
    let john = ben.store.create(person("John Smith")).unwrap().meta.id;
    amy.store.create(contact(jon, "met by the library")).unwrap();
    amy.sync();
    ben.sync();
    amy.sync();

    for laptop in [&mut amy, &mut ben] {
        let pairs = laptop.store.duplicate_suggestions(10).unwrap();
        assert_eq!(pairs.len(), 1, "both laptops see the suggestion");
        let mut pair = [pairs[0].client, pairs[0].other];
        pair.sort();
        let mut expected = [jon, john];
        expected.sort();
        assert_eq!(pair, expected);
    }

    // their team lead puts the survivor-to-be on wes's caseload.
    let today = Utc::now().date_naive();
    let hold = CaseloadAssignment {
        client_id: john,
        worker: "wes.p".into(),
        role: CaseloadRole::CoWorker,
        started_on: today,
        ended_on: None,
    };
    let mut lia = Laptop::sign_in(&base, "lia.m");
    lia.sync();
    lia.store.create(hold).unwrap();
    lia.sync();
    wes.sync();
    assert_eq!(listed(&mut wes.store), vec![john], "wes sees his caseload only");

    // amy merges; ben, still offline, records a contact against the merged-away id.
    amy.store.merge_clients(jon, john).unwrap();
    ben.store.create(contact(jon, "seen again at the station")).unwrap();
    amy.sync();
    ben.sync();
    amy.sync();
    wes.sync();
    let s = &mut wes.store;
    assert_eq!(listed(s), vec![john]);
    assert_eq!(notes(s, john), vec!["met by the library", "seen again at the station"], "wes gets jon's records");
    assert_eq!(s.client_overview(jon, today).unwrap().client.meta.id, john, "a link to jon opens john");

    for laptop in [&mut amy, &mut ben] {
        let s = &mut laptop.store;
        assert_eq!(s.get::<Client>(jon).unwrap().body.merged_into, Some(john));
        assert_eq!(listed(s), vec![john], "only the survivor is listed");
        assert_eq!(notes(s, john), vec!["met by the library", "seen again at the station"]);
        let overview = s.client_overview(jon, Utc::now().date_naive()).unwrap();
        assert_eq!((overview.client.meta.id, overview.opened_as), (john, Some(jon)));
        assert_eq!(overview.recent_contacts.len(), 2);
        assert!(s.duplicate_suggestions(10).unwrap().is_empty());
    }

    // ben undoes the merge; amy sees it.
    ben.store.unmerge_client(jon).unwrap();
    ben.sync();
    amy.sync();
    wes.sync();
    assert_eq!(listed(&mut wes.store), vec![john], "jon is no longer on wes's caseload");
    assert!(notes(&wes.store, john).is_empty());
    assert!(wes.store.get::<Client>(jon).is_err(), "wes's laptop dropped jon");
    let mut both = [jon, john];
    both.sort();
    for laptop in [&mut amy, &mut ben] {
        let s = &mut laptop.store;
        assert_eq!(s.get::<Client>(jon).unwrap().body.merged_into, None);
        assert_eq!(listed(s), both.to_vec());
        assert_eq!(notes(s, jon), vec!["met by the library", "seen again at the station"]);
        assert!(notes(s, john).is_empty());
    }

    // Crossed merges made offline: each laptop merges the other way.
    amy.store.merge_clients(jon, john).unwrap();
    ben.store.merge_clients(john, jon).unwrap();
    amy.sync();
    ben.sync();
    amy.sync();
    let lowest = jon.min(john);
    for laptop in [&mut amy, &mut ben] {
        let s = &mut laptop.store;
        assert_eq!(s.merge_cycles().unwrap(), vec![both.to_vec()], "listed for a worker to settle");
        assert_eq!((s.survivor(jon).unwrap(), s.survivor(john).unwrap()), (lowest, lowest));
        assert_eq!(listed(s), vec![lowest], "the lowest id is shown on every laptop");
        assert_eq!(notes(s, lowest).len(), 2);
    }
}
