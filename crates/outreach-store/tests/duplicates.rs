//! The same person recorded twice (issue 4): suggestions, merge, undo,
//! records listed under the survivor, loops refused, dismissals kept.

use chrono::{Duration, NaiveDate, Utc};
use outreach_domain::{Client, Contact, ContactPurpose, ContactType, Gender, LivingSituation};
use outreach_store::{ClientFilter, Store};
use uuid::Uuid;

const PASS: &str = "correct horse battery staple";

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    (dir, store)
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn person(name: &str, area: &str, dob: Option<(i32, u32, u32)>) -> Client {
    Client {
        name: Some(name.to_string().into()),
        area: area.into(),
        gender: Gender::Male,
        date_of_birth: dob.map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap().into()),
        ..Default::default()
    }
}

fn contact(client_id: Uuid, notes: &str) -> Contact {
    Contact {
        client_id,
        at: (Utc::now() - Duration::hours(2)).fixed_offset(),
        location: None,
        contact_type: ContactType::OutreachShift,
        purpose: ContactPurpose::StreetEncounter,
        worker: "amy.w".into(),
        notes: notes.to_string().into(),
        outcome: None,
        living_situation: LivingSituation::RoughSleeping,
        bedded_down: true,
        amends: None,
    }
}

fn add(store: &mut Store, c: Client) -> Uuid {
    store.create(c).unwrap().meta.id
}

fn names(store: &mut Store) -> Vec<String> {
    let mut out: Vec<String> = store
        .list_clients(&ClientFilter::default(), today(), 0, 100)
        .unwrap()
        .into_iter()
        .map(|s| s.display_name.expose().clone())
        .collect();
    out.sort();
    out
}

#[test]
fn likely_duplicates_are_suggested_with_reasons_and_strangers_are_not() {
    let (_dir, mut store) = store();
    let jon = add(&mut store, person("Jon Smith", "Liverpool", Some((1985, 3, 7))));
    let john = add(&mut store, person("John Smith", "Liverpool", Some((1985, 3, 7))));
    // Same name, clearly different date of birth: not the same person.
    add(&mut store, person("John Smith", "Liverpool", Some((1950, 12, 1))));
    add(&mut store, person("Mary O'Neill", "Sefton", None));
    // Strangers: no pair of them is alike enough to suggest.
    for first in ["Alice", "Brian", "Chloe", "Derek", "Farid", "Hamza", "Kwame", "Moira", "Oscar", "Tomasz"] {
        for last in ["Adams", "Okafor", "Nowak"] {
            add(&mut store, person(&format!("{first} {last}"), "Halton", None));
        }
    }
    let all = store.duplicate_suggestions(10).unwrap();
    assert_eq!(all.len(), 1, "{:?}", all.iter().map(|p| (p.client, p.other)).collect::<Vec<_>>());
    let pair = &all[0];
    assert_eq!([pair.client, pair.other].into_iter().collect::<std::collections::BTreeSet<_>>(), [jon, john].into());
    let reasons: Vec<&String> = pair.likeness.reasons.iter().map(|r| r.expose()).collect();
    assert!(reasons.iter().any(|r| r.starts_with("names alike: ")), "{reasons:?}");
    assert!(reasons.contains(&&"same date of birth".to_string()), "{reasons:?}");
    assert!(reasons.contains(&&"same area".to_string()), "{reasons:?}");

    let of_jon = store.duplicates_of(jon).unwrap();
    assert_eq!(of_jon.len(), 1);
    assert_eq!((of_jon[0].client, of_jon[0].other), (jon, john));
    let audit = store.audit_entries(Some(jon), 5).unwrap();
    assert!(audit.iter().any(|e| e.detail.as_deref() == Some("checked for duplicates: 1 found")), "{audit:?}");
}

#[test]
fn merge_lists_records_under_the_survivor_and_undo_restores_both() {
    let (_dir, mut store) = store();
    let survivor = add(&mut store, person("John Smith", "Liverpool", None));
    let away = add(&mut store, person("Jon Smith", "Sefton", None));
    store.create(contact(survivor, "met by the library")).unwrap();
    store.create(contact(away, "met at the station")).unwrap();

    store.merge_clients(away, survivor).unwrap();
    let merged: Client = store.get(away).unwrap().body;
    assert_eq!(merged.merged_into, Some(survivor));
    assert_eq!(merged.area, "Liverpool", "a merge moves the merged client into the survivor's area");
    assert_eq!(merged.area_before_merge.as_deref(), Some("Sefton"));
    // Lists and search show the survivor only.
    assert_eq!(names(&mut store), vec!["John Smith"]);
    assert!(store.search("jon smith", &ClientFilter::default(), today(), 10).unwrap().iter().all(|s| s.id == survivor));
    assert!(store.duplicate_suggestions(10).unwrap().is_empty());

    // Both clients' records show under either id.
    for asked in [survivor, away] {
        let contacts = store.list_for_client::<Contact>(asked, None).unwrap();
        assert_eq!(contacts.len(), 2, "asked as {asked}");
        let overview = store.client_overview(asked, today()).unwrap();
        assert_eq!(overview.client.meta.id, survivor);
        assert_eq!(overview.recent_contacts.len(), 2);
        assert_eq!(overview.opened_as, (asked == away).then_some(away));
        assert_eq!(overview.merged_from.len(), 1);
        assert_eq!(overview.merged_from[0].id, away);
        assert!(overview.merged_from[0].direct);
    }
    // A contact made later against the merged-away id shows too.
    store.create(contact(away, "seen again")).unwrap();
    assert_eq!(store.list_for_client::<Contact>(survivor, None).unwrap().len(), 3);

    // The merge is a change waiting to sync, and audited as a merge.
    let pending = store.pending_mutations(100).unwrap();
    let change = pending.iter().rfind(|m| m.record_id == away).unwrap();
    assert_eq!(change.changes["merged_into"]["new"], serde_json::json!(survivor.to_string()));
    assert_eq!(change.changes["area"]["new"], "Liverpool");
    let audit = store.audit_entries(Some(away), 20).unwrap();
    let note = format!("merged into {survivor}");
    assert!(audit.iter().any(|e| e.detail.as_deref() == Some(note.as_str())), "{audit:?}");

    store.unmerge_client(away).unwrap();
    let back: Client = store.get(away).unwrap().body;
    assert_eq!((back.merged_into, back.area.as_str(), back.area_before_merge), (None, "Sefton", None));
    assert_eq!(names(&mut store), vec!["John Smith", "Jon Smith"]);
    assert_eq!(store.list_for_client::<Contact>(survivor, None).unwrap().len(), 1);
    assert_eq!(store.list_for_client::<Contact>(away, None).unwrap().len(), 2);
    let overview = store.client_overview(away, today()).unwrap();
    assert_eq!((overview.client.meta.id, overview.opened_as), (away, None));
    assert!(store.unmerge_client(away).is_err(), "nothing left to undo");
}

#[test]
fn loops_and_double_merges_are_refused_and_chains_resolve() {
    let (_dir, mut store) = store();
    let a = add(&mut store, person("Ann Lee", "Liverpool", None));
    let b = add(&mut store, person("Anne Lee", "Liverpool", None));
    let c = add(&mut store, person("Annie Lee", "Liverpool", None));
    assert!(store.merge_clients(a, a).is_err());
    store.merge_clients(b, a).unwrap();
    assert!(store.merge_clients(a, b).is_err(), "a merge back would make a loop");
    assert!(store.merge_clients(b, c).is_err(), "already merged: undo first");
    // Merging into a merged-away client merges into its survivor.
    store.merge_clients(c, b).unwrap();
    assert_eq!(store.get::<Client>(c).unwrap().body.merged_into, Some(a));
    assert_eq!(store.same_person(c).unwrap(), {
        let mut v = vec![b, c];
        v.sort();
        let mut all = vec![a];
        all.extend(v);
        all
    });
    assert!(store.merge_cycles().unwrap().is_empty());
    assert_eq!(names(&mut store), vec!["Ann Lee"]);
}

#[test]
fn not_the_same_person_is_remembered() {
    let (dir, mut store) = store();
    let a = add(&mut store, person("Sam Jones", "Liverpool", None));
    let b = add(&mut store, person("Sam Jones", "Liverpool", None));
    assert_eq!(store.duplicates_of(a).unwrap().len(), 1);
    store.dismiss_duplicate(b, a).unwrap();
    assert!(store.duplicates_of(a).unwrap().is_empty());
    assert!(store.duplicate_suggestions(10).unwrap().is_empty());
    drop(store);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    assert!(store.duplicate_suggestions(10).unwrap().is_empty(), "kept after reopening");
    assert!(
        store.pending_mutations(100).unwrap().iter().any(|m| m.record_id == b && m.changes.contains_key("not_same_as"))
    );
}

#[test]
fn a_new_client_for_someone_known_long_ago_is_suggested_in_a_large_store() {
    let (_dir, mut store) = store();
    let known = add(&mut store, person("Jon Smith", "Liverpool", Some((1985, 3, 7))));
    let mary = add(&mut store, person("Mary Jones", "Sefton", Some((1990, 6, 1))));
    let marie = add(&mut store, person("Marie Jones", "Sefton", Some((1990, 6, 1))));
    // More clients created since than the suggestions look back over, so the
    // old record is not among the newest: it must still be found as a neighbour.
    let strangers: Vec<Client> = (0..outreach_store::store::merges::RECENT_SOURCES + 50)
        .map(|i| person(&format!("Stranger{i:04} Zq{}", i * 7919 % 1000), "Halton", None))
        .collect();
    store.create_many(strangers).unwrap();
    let new = add(&mut store, person("John Smith", "Liverpool", Some((1985, 3, 7))));
    let pairs = store.duplicate_suggestions(10).unwrap();
    assert!(
        pairs.iter().any(|p| [p.client, p.other].contains(&known) && [p.client, p.other].contains(&new)),
        "{:?}",
        pairs.iter().map(|p| (p.client, p.other)).collect::<Vec<_>>()
    );
    // Two old records of one person are past what the caseload notice looks
    // back over; a check of either client still finds the other.
    assert!(!pairs.iter().any(|p| [p.client, p.other].contains(&mary)), "the look-back is bounded");
    let of_mary = store.duplicates_of(mary).unwrap();
    assert!(of_mary.iter().any(|p| p.other == marie), "{of_mary:?}");
}
