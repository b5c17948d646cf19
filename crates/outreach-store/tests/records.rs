//! Records: the sign-off rule, amendments, tombstones, the outbox and audit
//! entries written with every change, unknown fields, summaries and search.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use outreach_domain::{
    CaseloadAssignment, CaseloadRole, Client, Contact, ContactPurpose, ContactType, Criterion, Gender, LivingSituation,
    Need, RiskAssessment, RiskLevel, RiskRating, RiskStatus, SafetyFlag,
};
use outreach_store::{ClientFilter, Store, StoreError};
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

fn client(name: &str, area: &str) -> Client {
    Client {
        name: Some(name.to_string().into()),
        area: area.into(),
        date_of_birth: Some(NaiveDate::from_ymd_opt(1980, 2, 29).unwrap().into()),
        living_situation: LivingSituation::RoughSleeping,
        needs: [Need::MentalHealth, Need::SubstanceUse].into_iter().collect(),
        ..Default::default()
    }
}

fn contact(client_id: Uuid, days_ago: i64) -> Contact {
    Contact {
        client_id,
        at: (Utc::now() - Duration::days(days_ago)).fixed_offset(),
        location: Some("Lime Street".to_string().into()),
        contact_type: ContactType::OutreachShift,
        purpose: ContactPurpose::StreetEncounter,
        worker: "amy.w".into(),
        notes: "Offered a hostel bed".to_string().into(),
        outcome: None,
        living_situation: LivingSituation::RoughSleeping,
        bedded_down: true,
        amends: None,
    }
}

fn risk(client_id: Uuid, level: RiskLevel, review_in_days: i64, status: RiskStatus) -> RiskAssessment {
    let now = Utc::now();
    RiskAssessment {
        client_id,
        assessed_at: (now - Duration::days(60)).fixed_offset(),
        assessor: "amy.w".into(),
        to_self: RiskRating::level(level),
        to_others: RiskRating::level(RiskLevel::Low),
        from_others: RiskRating::level(RiskLevel::Low),
        safeguarding: RiskRating::level(RiskLevel::Low),
        triggers: None,
        protective_factors: None,
        safety_plan: Some("Meet in pairs".to_string().into()),
        review_due: today() + Duration::days(review_in_days),
        status,
        amends: None,
    }
}

fn audit_actions(store: &Store, client: Uuid) -> Vec<String> {
    let mut actions: Vec<String> =
        store.audit_entries(Some(client), 100).unwrap().into_iter().map(|e| e.action).collect();
    actions.reverse();
    actions
}

#[test]
fn every_change_writes_its_outbox_mutation_and_audit_entry() {
    let (_dir, mut store) = store();
    let c = store.create(client("Jo Bloggs", "Wirral")).unwrap();
    assert_eq!(c.meta.created_by, "amy.w");
    assert_eq!(c.meta.id.get_version_num(), 7, "ids are UUID v7");
    assert_eq!(store.outbox_len().unwrap(), 1);
    store.update::<Client>(c.meta.id, |b| b.gender = Gender::Female).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 2);
    // an update that changes nothing writes nothing
    store.update::<Client>(c.meta.id, |b| b.gender = Gender::Female).unwrap();
    assert_eq!(store.outbox_len().unwrap(), 2);
    let pending = store.pending_mutations(10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].op, outreach_protocol::Op::Create);
    assert_eq!(pending[1].base_version, 0);
    let changed: Vec<&str> = pending[1].field_changes().map(|(f, _)| f).collect();
    assert_eq!(changed, ["gender"]);
    store.get::<Client>(c.meta.id).unwrap();
    assert_eq!(audit_actions(&store, c.meta.id), ["create", "update", "read"]);
}

#[test]
fn the_clock_moves_forward_across_changes_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    let a = store.create(client("A Person", "Halton")).unwrap();
    let b = store.update::<Client>(a.meta.id, |c| c.phone = Some("07700 900123".to_string().into())).unwrap();
    assert!(b.meta.hlc > a.meta.hlc);
    drop(store);
    let mut store = Store::open(dir.path(), PASS).unwrap();
    let c = store.create(client("B Person", "Halton")).unwrap();
    assert!(c.meta.hlc > b.meta.hlc);
    assert_eq!(c.meta.hlc.device, store.device_id());
}

#[test]
fn signed_off_records_are_amended_never_edited() {
    let (_dir, mut store) = store();
    let c = store.create(client("Sam Signed", "Liverpool")).unwrap().meta.id;
    let original = store.create(contact(c, 1)).unwrap();
    let err = store.update::<Contact>(original.meta.id, |x| x.notes = "changed".to_string().into()).unwrap_err();
    assert!(matches!(err, StoreError::SignedOff { .. }), "{err:?}");
    assert!(err.to_string().contains("amendment"));
    assert!(matches!(store.delete::<Contact>(original.meta.id), Err(StoreError::SignedOff { .. })));

    let mut correction = contact(c, 1);
    correction.notes = "Offered a hostel bed; accepted".to_string().into();
    correction.amends = Some(original.meta.id);
    let amended = store.create(correction.clone()).unwrap();
    // the current list shows the amendment, the history both
    let current: Vec<Uuid> = store.list_for_client::<Contact>(c, None).unwrap().iter().map(|r| r.meta.id).collect();
    assert_eq!(current, vec![amended.meta.id]);
    assert_eq!(store.history_for_client::<Contact>(c).unwrap().len(), 2);
    // amending the superseded original again is refused
    let err = store.create(correction).unwrap_err();
    assert!(matches!(err, StoreError::BadAmendment { .. }), "{err:?}");
    // an amendment must point at a record of the same kind and client
    let other = store.create(client("Other Person", "Liverpool")).unwrap().meta.id;
    let mut wrong_client = contact(other, 1);
    wrong_client.amends = Some(amended.meta.id);
    assert!(matches!(store.create(wrong_client), Err(StoreError::BadAmendment { .. })));
    let mut wrong_kind = contact(c, 1);
    wrong_kind.amends = Some(c);
    assert!(matches!(store.create(wrong_kind), Err(StoreError::BadAmendment { .. })));
    assert!(audit_actions(&store, c).contains(&"amend".to_string()));
}

#[test]
fn a_draft_risk_assessment_is_editable_until_completed() {
    let (_dir, mut store) = store();
    let c = store.create(client("Rita Risk", "Sefton")).unwrap().meta.id;
    let draft = store.create(risk(c, RiskLevel::Medium, 30, RiskStatus::Draft)).unwrap();
    store.update::<RiskAssessment>(draft.meta.id, |r| r.to_self.level = RiskLevel::High).unwrap();
    store.update::<RiskAssessment>(draft.meta.id, |r| r.status = RiskStatus::Completed).unwrap();
    assert!(matches!(
        store.update::<RiskAssessment>(draft.meta.id, |r| r.to_self.level = RiskLevel::Low),
        Err(StoreError::SignedOff { .. })
    ));
    let overview = store.client_overview(c, today()).unwrap();
    assert_eq!(overview.latest_risk.unwrap().body.to_self.level, RiskLevel::High);
}

#[test]
fn invalid_records_are_refused_and_change_nothing() {
    let (_dir, mut store) = store();
    let err = store.create(client("Nowhere Person", "Atlantis")).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("Liverpool"), "the message lists the valid areas: {err}");
    assert_eq!(store.outbox_len().unwrap(), 0);
    // one bad record in a batch: none of the batch is saved
    let batch = vec![client("Good One", "Wirral"), client("Bad One", "Atlantis")];
    assert!(store.create_many(batch).is_err());
    assert_eq!(store.outbox_len().unwrap(), 0);
    assert!(store.counts().unwrap().is_empty());
    // a failed update leaves the record as it was
    let c = store.create(client("Kept As Is", "Wirral")).unwrap().meta.id;
    assert!(store.update::<Client>(c, |b| b.area = "Atlantis".into()).is_err());
    assert_eq!(store.get::<Client>(c).unwrap().body.area, "Wirral");
    assert_eq!(store.outbox_len().unwrap(), 1);
}

#[test]
fn deletes_are_tombstones_that_leave_lists_and_search() {
    let (_dir, mut store) = store();
    let c = store.create(client("Della Deleted", "Knowsley")).unwrap().meta.id;
    assert_eq!(store.search("della", &ClientFilter::default(), today(), 5).unwrap().len(), 1);
    store.delete::<Client>(c).unwrap();
    assert!(matches!(store.get::<Client>(c), Err(StoreError::RecordNotFound { .. })));
    assert!(store.search("della", &ClientFilter::default(), today(), 5).unwrap().is_empty());
    assert_eq!(store.outbox_len().unwrap(), 2, "the delete is queued for sync");
    // the tombstone is still there for the subject access export
    let export = store.export_client(c).unwrap();
    assert_eq!(export["client"]["meta"]["deleted"], true);
}

#[test]
fn fields_from_a_newer_version_survive_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(dir.path(), PASS, "amy.w").unwrap();
    let c = store.create(client("Future Proof", "Halton")).unwrap().meta.id;
    drop(store);
    {
        let key = outreach_store::keyfile::read(&dir.path().join("outreach.key"), PASS).unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("outreach.db")).unwrap();
        conn.execute_batch(&key.sqlcipher_key_statement()).unwrap();
        conn.execute(
            "UPDATE records SET data = json_set(data, '$.pronouns', 'they/them') WHERE id = ?1",
            [c.to_string()],
        )
        .unwrap();
    }
    let mut store = Store::open(dir.path(), PASS).unwrap();
    store.update::<Client>(c, |b| b.gender = Gender::NonBinary).unwrap();
    let export = store.export_client(c).unwrap();
    assert_eq!(export["client"]["body"]["pronouns"], "they/them");
    assert_eq!(export["client"]["body"]["gender"], "non_binary");
}

#[test]
fn summaries_feed_filters_for_risk_review_worker_and_need() {
    let (_dir, mut store) = store();
    let high = store.create(client("Hugh High", "Liverpool")).unwrap().meta.id;
    let low = store.create(client("Lou Low", "Liverpool")).unwrap().meta.id;
    let mut other = client("Wendy Wirral", "Wirral");
    other.needs = [Need::Debt].into_iter().collect();
    let wirral = store.create(other).unwrap().meta.id;
    store.create(risk(high, RiskLevel::High, -3, RiskStatus::Completed)).unwrap();
    store.create(risk(low, RiskLevel::Low, 20, RiskStatus::Completed)).unwrap();
    // a draft does not count as the latest assessment
    store.create(risk(low, RiskLevel::High, 20, RiskStatus::Draft)).unwrap();
    store
        .create(CaseloadAssignment {
            client_id: wirral,
            worker: "ben.k".into(),
            role: CaseloadRole::Lead,
            started_on: today(),
            ended_on: None,
        })
        .unwrap();
    store.create(contact(low, 2)).unwrap();
    let ids = |f: ClientFilter, store: &mut Store| -> Vec<Uuid> {
        store.list_clients(&f, today(), 0, 100).unwrap().into_iter().map(|s| s.id).collect()
    };
    assert_eq!(ids(ClientFilter { min_risk: Some(RiskLevel::High), ..Default::default() }, &mut store), vec![high]);
    assert_eq!(ids(ClientFilter { overdue_review: true, ..Default::default() }, &mut store), vec![high]);
    assert_eq!(ids(ClientFilter { worker: Some("BEN.K".into()), ..Default::default() }, &mut store), vec![wirral]);
    assert_eq!(ids(ClientFilter { need: Some(Need::Debt), ..Default::default() }, &mut store), vec![wirral]);
    assert_eq!(ids(ClientFilter { area: Some("liverpool".into()), ..Default::default() }, &mut store), vec![high, low]);
    let all = store.list_clients(&ClientFilter::default(), today(), 0, 100).unwrap();
    let lou = all.iter().find(|s| s.id == low).unwrap();
    assert_eq!(lou.risk_level, Some(RiskLevel::Low));
    assert!(lou.last_contact_at.is_some());
}

#[test]
fn the_overview_shows_eligibility_flags_latest_risk_and_recent_contacts() {
    let (_dir, mut store) = store();
    let mut c = client("Olive Overview", "St Helens");
    c.safety_flags = vec![SafetyFlag {
        text: "Do not visit alone".to_string().into(),
        raised_on: today(),
        raised_by: "amy.w".into(),
    }];
    let id = store.create(c).unwrap().meta.id;
    let contacts: Vec<Contact> = (0..30).map(|d| contact(id, d)).collect();
    store.create_many(contacts).unwrap();
    store.create(risk(id, RiskLevel::Medium, 10, RiskStatus::Completed)).unwrap();
    let overview = store.client_overview(id, today()).unwrap();
    assert_eq!(overview.eligibility.overall(), Criterion::Met);
    assert_eq!(overview.recent_contacts.len(), 20);
    let times: Vec<DateTime<chrono::FixedOffset>> = overview.recent_contacts.iter().map(|c| c.body.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(overview.client.body.safety_flags.len(), 1);
    assert!(overview.latest_risk.is_some());
    let summary = store.search("olive", &ClientFilter::default(), today(), 1).unwrap().remove(0);
    assert_eq!(summary.safety_flags[0].expose(), "Do not visit alone");
    // with the search index loaded, a new contact moves the last-contact time
    // forward in memory and on disk
    let before = summary.last_contact_at.unwrap();
    let mut later = contact(id, 0);
    later.at = (Utc::now() + Duration::hours(1)).fixed_offset();
    store.create(later).unwrap();
    let after = store.search("olive", &ClientFilter::default(), today(), 1).unwrap().remove(0);
    assert!(after.last_contact_at.unwrap() > before);
    drop(store);
    let mut reopened = Store::open(_dir.path(), PASS).unwrap();
    let on_disk = reopened.search("olive", &ClientFilter::default(), today(), 1).unwrap().remove(0);
    assert_eq!(on_disk.last_contact_at, after.last_contact_at);
}

#[test]
fn search_finds_misspellings_aliases_and_dates_of_birth_in_a_real_store() {
    let (_dir, mut store) = store();
    let mut generator = outreach_synth::Generator::new(42, today());
    outreach_synth::populate(&mut store, &mut generator, 3_000, 0, |_| {}).unwrap();
    let mut kasia = client("Katarzyna Kowalczyk", "Liverpool");
    kasia.aliases = vec!["Kasia".to_string().into()];
    kasia.date_of_birth = Some(NaiveDate::from_ymd_opt(1991, 7, 14).unwrap().into());
    let id = store.create(kasia).unwrap().meta.id;
    for query in [
        "Katarzyna Kowalczyk",
        "katarzyna kowalcyk",
        "Katazyna Kowalczyk",
        "kasia",
        "kowalc",
        "1991-07-14",
        "14/07/1991",
    ] {
        let hits = store.search(query, &ClientFilter::default(), today(), 10).unwrap();
        assert!(hits.iter().take(3).any(|h| h.id == id), "'{query}' did not find her in the top 3");
    }
    let filtered = store
        .search("kasia", &ClientFilter { area: Some("Wirral".into()), ..Default::default() }, today(), 10)
        .unwrap();
    assert!(filtered.iter().all(|h| h.id != id));
}
