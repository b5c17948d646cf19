//! The same person recorded twice (issue 4), through a real
//! `outreach-server` on loopback: two laptops each record the person
//! offline, both see the suggestion after sync, one merges, the other sees
//! the merge and a contact it made offline against the merged-away id shows
//! under the survivor; the undo syncs too; two crossed merges made offline
//! resolve to the same survivor on both laptops and are listed.

use chrono::{NaiveDate, Utc};
use outreach_domain::{Client, Contact, Gender};
use outreach_server_db::Backend;
use outreach_store::{ClientFilter, Store};
use outreach_tests::{Laptop, client, contact, start_server};
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
    let (_db, base) = start_server(&runtime, Backend::Sqlite);
    let mut amy = Laptop::sign_in(&base, "amy.w");
    let mut ben = Laptop::sign_in(&base, "ben.k");

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

    // amy merges; ben, still offline, records a contact against the merged-away id.
    amy.store.merge_clients(jon, john).unwrap();
    ben.store.create(contact(jon, "seen again at the station")).unwrap();
    amy.sync();
    ben.sync();
    amy.sync();

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
