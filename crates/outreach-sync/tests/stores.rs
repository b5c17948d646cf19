//! Three real encrypted stores syncing through an in-process server:
//! offline edits merge field by field, true clashes become one conflict
//! every device sees, lost answers and repeated pages change nothing twice,
//! and everyone ends up holding the same records.

mod support;

use chrono::{Duration, NaiveDate, Utc};
use outreach_domain::{Client, RiskAssessment, RiskLevel, RiskRating, RiskStatus};
use outreach_store::{ClientFilter, StoreError};
use outreach_sync::testing::FakeServer;
use outreach_sync::{Engine, Phase, SyncError, SyncTransport};
use serde_json::{Value, json};
use support::{Device, assert_converged, sync_all};

fn three(server: &FakeServer) -> (Device, Device, Device) {
    (Device::new(server, "amy.w"), Device::new(server, "ben.t"), Device::new(server, "cat.n"))
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[test]
fn offline_edits_to_different_fields_of_one_client_both_survive() {
    let server = FakeServer::new();
    let (mut a, mut b, mut c) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    sync_all(&mut [&mut a, &mut b, &mut c], 1);

    a.set(jo, "phone", "0151 000");
    b.set(jo, "usual_site", "library doorway");
    sync_all(&mut [&mut a, &mut b, &mut c], 2);

    for device in [&a, &b, &c] {
        assert_eq!(device.field(jo, "phone"), json!("0151 000"));
        assert_eq!(device.field(jo, "usual_site"), json!("library doorway"));
        assert!(device.store.conflicts().unwrap().is_empty());
    }
    assert_converged(&server, &[&a, &b, &c]);
}

#[test]
fn the_same_field_edited_differently_is_one_conflict_everywhere_and_resolving_it_converges() {
    let server = FakeServer::new();
    let (mut a, mut b, mut c) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    sync_all(&mut [&mut a, &mut b, &mut c], 1);

    a.set(jo, "phone", "0151 AAA");
    b.set(jo, "phone", "0151 BBB");
    sync_all(&mut [&mut a, &mut b, &mut c], 2);

    assert_eq!(server.conflicts().len(), 1);
    for device in [&a, &b, &c] {
        let conflicts = device.store.conflicts().unwrap();
        assert_eq!(conflicts.len(), 1, "exactly one conflict on every device");
        let conflict = &conflicts[0];
        assert_eq!((conflict.record_id, conflict.field.as_str()), (jo, "phone"));
        assert_eq!((&conflict.kept, &conflict.other), (&json!("0151 AAA"), &json!("0151 BBB")));
        assert_eq!(conflict.other_user, "ben.t");
        assert!(conflict.resolved_by.is_none());
        assert_eq!(device.field(jo, "phone"), json!("0151 AAA"), "the record holds the kept value meanwhile");
    }
    assert_converged(&server, &[&a, &b, &c]);

    // A third worker chooses Ben's number.
    let id = c.store.conflicts().unwrap()[0].id;
    c.store.resolve_conflict(id, json!("0151 BBB")).unwrap();
    assert_eq!(c.store.conflicts().unwrap()[0].resolved_by.as_deref(), Some("cat.n"));
    assert_eq!(c.store.outbox_len().unwrap(), 1, "the choice syncs as an ordinary change");
    let again = c.store.resolve_conflict(id, json!("0151 AAA")).unwrap_err();
    assert!(matches!(again, StoreError::Invalid(_)), "{again}");
    sync_all(&mut [&mut c, &mut a, &mut b], 2);

    for device in [&a, &b, &c] {
        assert_eq!(device.field(jo, "phone"), json!("0151 BBB"));
        let conflicts = device.store.conflicts().unwrap();
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].resolved_by.as_deref(), Some("cat.n"));
    }
    assert_converged(&server, &[&a, &b, &c]);
}

#[test]
fn a_delete_on_one_store_and_an_edit_on_another_keep_the_record_flagged() {
    for delete_first in [true, false] {
        let server = FakeServer::new();
        let (mut a, mut b, mut c) = three(&server);
        let jo = a.add_client("Jo Bloggs");
        sync_all(&mut [&mut a, &mut b, &mut c], 1);

        a.store.delete::<Client>(jo).unwrap();
        b.set(jo, "phone", "0151 000");
        if delete_first {
            sync_all(&mut [&mut a, &mut b, &mut c], 2);
        } else {
            sync_all(&mut [&mut b, &mut a, &mut c], 2);
        }

        for device in [&a, &b, &c] {
            assert!(!device.deleted(jo), "the edit keeps the record (delete first: {delete_first})");
            assert_eq!(device.field(jo, "phone"), json!("0151 000"));
            let conflicts = device.store.conflicts().unwrap();
            assert_eq!(conflicts.len(), 1);
            assert_eq!((conflicts[0].field.as_str(), &conflicts[0].other), ("deleted", &json!(true)));
        }
        assert_converged(&server, &[&a, &b, &c]);

        // Whoever reviews it can still delete it.
        let id = a.store.conflicts().unwrap()[0].id;
        a.store.resolve_conflict(id, json!(true)).unwrap();
        sync_all(&mut [&mut a, &mut b, &mut c], 2);
        for device in [&a, &b, &c] {
            assert!(device.deleted(jo));
        }
        assert_converged(&server, &[&a, &b, &c]);
    }
}

#[test]
fn a_page_applied_twice_does_not_duplicate_anything() {
    let server = FakeServer::new();
    let (mut a, mut b, mut c) = three(&server);
    let ids: Vec<_> = ["Jo Bloggs", "Sam Smith", "Ali Khan"].iter().map(|n| a.add_client(n)).collect();
    sync_all(&mut [&mut a, &mut c], 1);
    a.set(ids[0], "phone", "1");
    c.set(ids[0], "phone", "2");
    sync_all(&mut [&mut a, &mut c], 1);
    assert_eq!(server.conflicts().len(), 1);

    // B pulls page by page; after each page is applied the connection
    // "drops" and the same page is applied again.
    let mut pages = 0;
    loop {
        let cursor = b.store.sync_cursor().unwrap();
        let page = b.transport.pull(cursor, 1).unwrap();
        b.store.apply_pull_page(&page).unwrap();
        let after_first = (b.states(), b.store.conflicts().unwrap(), b.store.sync_cursor().unwrap());
        let again = b.store.apply_pull_page(&page).unwrap();
        assert_eq!((b.states(), b.store.conflicts().unwrap(), b.store.sync_cursor().unwrap()), after_first);
        assert_eq!(again.stale + again.overwritten + again.dropped + again.merged, page.changes.len());
        pages += 1;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(pages, 4, "three clients and a conflict, one a page");
    assert_eq!(b.states(), server.records());
    assert_eq!(b.store.conflicts().unwrap().len(), 1);
    let listed = b.store.list_clients(&ClientFilter::default(), today(), 0, 100).unwrap();
    assert_eq!(listed.len(), 3, "one summary per client");

    // A stale page after newer ones changes nothing either.
    let stale = b.transport.pull(0, 2).unwrap();
    let before = b.states();
    let cursor = b.store.sync_cursor().unwrap();
    b.store.apply_pull_page(&stale).unwrap();
    assert_eq!((b.states(), b.store.sync_cursor().unwrap()), (before, cursor));
    sync_all(&mut [&mut a, &mut b, &mut c], 1);
    assert_converged(&server, &[&a, &b, &c]);
}

#[test]
fn a_batch_pushed_twice_after_a_lost_answer_applies_once() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    let ids: Vec<_> = ["Jo Bloggs", "Sam Smith", "Ali Khan"].iter().map(|n| a.add_client(n)).collect();
    a.set(ids[1], "phone", "0151");

    a.transport.faults.drop_push_responses = 1;
    let err = a.try_sync().unwrap_err();
    assert!(matches!(err, SyncError::Network(_)) && err.is_retryable(), "{err}");
    assert_eq!(server.writes(), 4, "the server applied the batch");
    assert_eq!(a.store.outbox_len().unwrap(), 4, "but without the answer nothing left the outbox");

    let report = a.sync();
    assert_eq!(report.acknowledged.removed, 4);
    assert_eq!(server.writes(), 4, "sent again, applied once");
    assert_eq!(server.version_of(ids[1]), Some(2));
    assert!(server.conflicts().is_empty());
    b.sync();
    assert_converged(&server, &[&a, &b]);

    // A push lost on the way in is simply sent again.
    a.set(ids[2], "phone", "0152");
    a.transport.faults.lose_pushes = 1;
    assert!(a.try_sync().is_err());
    a.sync();
    b.sync();
    assert_eq!(server.writes(), 5);
    assert_converged(&server, &[&a, &b]);
}

#[test]
fn a_pull_cut_short_resumes_from_the_saved_cursor() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    for i in 0..7 {
        a.add_client(&format!("Client {i}"));
    }
    a.sync();
    let engine = Engine { batch_size: 500, page_size: 2 };
    // Let two pages through, then lose the third.
    let mut seen = vec![];
    {
        let mut cut = CutAfter { inner: &mut b.transport, pages_left: 2 };
        let err = engine.run(&mut b.store, &mut cut, &mut |p| seen.push(p)).unwrap_err();
        assert!(matches!(err, SyncError::Network(_)));
    }
    assert_eq!(b.store.sync_cursor().unwrap(), 4, "two pages of two saved");
    assert_eq!(b.states().len(), 4);
    let report = engine.run(&mut b.store, &mut b.transport, &mut |p| seen.push(p)).unwrap();
    assert_eq!((report.pages, report.pulled), (2, 3), "only what was missing came down");
    assert_eq!(seen.last().map(|p| (p.phase, p.percent)), Some((Phase::Pull, 100)));
    assert_converged(&server, &[&a, &b]);
}

/// Passes `pages_left` pulls through, then fails every request.
struct CutAfter<'a, T> {
    inner: &'a mut T,
    pages_left: usize,
}

impl<T: SyncTransport> SyncTransport for CutAfter<'_, T> {
    fn push(
        &mut self,
        request: &outreach_protocol::api::PushRequest,
    ) -> Result<outreach_protocol::api::PushResponse, outreach_sync::TransportError> {
        self.inner.push(request)
    }

    fn pull(
        &mut self,
        cursor: i64,
        limit: usize,
    ) -> Result<outreach_protocol::api::PullResponse, outreach_sync::TransportError> {
        if self.pages_left == 0 {
            return Err(outreach_sync::TransportError::Network("signal lost".into()));
        }
        self.pages_left -= 1;
        self.inner.pull(cursor, limit)
    }

    fn resolve(
        &mut self,
        conflict: uuid::Uuid,
        request: &outreach_protocol::api::ResolveRequest,
    ) -> Result<(), outreach_sync::TransportError> {
        self.inner.resolve(conflict, request)
    }
}

#[test]
fn local_edits_made_while_a_page_arrives_are_merged_not_lost() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    sync_all(&mut [&mut a, &mut b], 1);
    a.set(jo, "usual_site", "library doorway");
    a.set(jo, "phone", "0151 AAA");
    a.sync();

    // B edits before its pull arrives; the page is applied with the edit waiting.
    b.set(jo, "email", "jo@example.org");
    b.set(jo, "phone", "0151 BBB");
    let cursor = b.store.sync_cursor().unwrap();
    let page = b.transport.pull(cursor, 100).unwrap();
    let applied = b.store.apply_pull_page(&page).unwrap();
    assert_eq!((applied.merged, applied.clashes), (1, 1));
    assert_eq!(b.field(jo, "usual_site"), json!("library doorway"), "theirs taken");
    assert_eq!(b.field(jo, "email"), json!("jo@example.org"), "ours kept");
    assert_eq!(b.field(jo, "phone"), json!("0151 BBB"), "a clash keeps ours until the server decides");
    assert_eq!(b.store.outbox_len().unwrap(), 2);

    sync_all(&mut [&mut b, &mut a], 2);
    assert_eq!(a.field(jo, "email"), json!("jo@example.org"));
    assert_eq!(a.field(jo, "usual_site"), json!("library doorway"));
    let conflicts = a.store.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!((&conflicts[0].kept, &conflicts[0].other), (&json!("0151 AAA"), &json!("0151 BBB")));
    assert_converged(&server, &[&a, &b]);
}

#[test]
fn pulled_records_feed_summaries_lists_and_search() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    b.store.warm_search().unwrap();
    let jo = a.add_client("Jo Bloggs");
    a.sync();
    b.sync();
    let found = b.store.search("jo blogs", &ClientFilter::default(), today(), 5).unwrap();
    assert_eq!(found.first().map(|s| s.id), Some(jo));

    a.store
        .update::<Client>(jo, |c| {
            c.name = Some("Joanne Bloggs".to_string().into());
            c.area = "Halton".into();
        })
        .unwrap();
    a.sync();
    b.sync();
    let halton = ClientFilter { area: Some("Halton".into()), ..Default::default() };
    let listed = b.store.list_clients(&halton, today(), 0, 10).unwrap();
    assert_eq!(listed.iter().map(|s| s.display_name.expose().as_str()).collect::<Vec<_>>(), ["Joanne Bloggs"]);

    // A risk assessment pulled from elsewhere moves the summary's risk level.
    let risk = RiskAssessment {
        client_id: jo,
        assessed_at: Utc::now().fixed_offset(),
        assessor: "amy.w".into(),
        to_self: RiskRating::level(RiskLevel::High),
        to_others: RiskRating::level(RiskLevel::Low),
        from_others: RiskRating::level(RiskLevel::Low),
        safeguarding: RiskRating::level(RiskLevel::Low),
        triggers: None,
        protective_factors: None,
        safety_plan: Some("Meet in pairs".to_string().into()),
        review_due: today() + Duration::days(30),
        status: RiskStatus::Completed,
        amends: None,
    };
    a.store.create(risk).unwrap();
    a.sync();
    b.sync();
    let high = ClientFilter { min_risk: Some(RiskLevel::High), ..Default::default() };
    assert_eq!(b.store.list_clients(&high, today(), 0, 10).unwrap().len(), 1);

    // A client deleted elsewhere leaves lists and search.
    a.store.delete::<Client>(jo).unwrap();
    a.sync();
    b.sync();
    assert!(b.store.list_clients(&ClientFilter::default(), today(), 0, 10).unwrap().is_empty());
    assert!(b.store.search("joanne", &ClientFilter::default(), today(), 5).unwrap().is_empty());
    assert_converged(&server, &[&a, &b]);
}

#[test]
fn a_refused_change_needs_attention_and_the_copy_returns_to_the_servers() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    let draft = RiskAssessment {
        client_id: jo,
        assessed_at: Utc::now().fixed_offset(),
        assessor: "amy.w".into(),
        to_self: RiskRating::level(RiskLevel::Low),
        to_others: RiskRating::level(RiskLevel::Low),
        from_others: RiskRating::level(RiskLevel::Low),
        safeguarding: RiskRating::level(RiskLevel::Low),
        triggers: None,
        protective_factors: None,
        safety_plan: None,
        review_due: today() + Duration::days(30),
        status: RiskStatus::Draft,
        amends: None,
    };
    let risk = a.store.create(draft).unwrap().meta.id;
    sync_all(&mut [&mut a, &mut b], 1);

    // A signs it off; B, offline, still edits the draft.
    a.store.update::<RiskAssessment>(risk, |r| r.status = RiskStatus::Completed).unwrap();
    a.sync();
    b.store.update::<RiskAssessment>(risk, |r| r.safety_plan = Some("Meet in pairs".to_string().into())).unwrap();
    let report = b.sync();
    assert_eq!(report.acknowledged.rejected, 1);

    let attention = b.store.needs_attention().unwrap();
    assert_eq!(attention.len(), 1);
    assert_eq!(attention[0].code, "signed_off");
    assert_eq!(attention[0].mutation.record_id, risk);
    assert_eq!(attention[0].mutation.changes["safety_plan"]["new"], json!("Meet in pairs"));
    assert_eq!(b.field(risk, "status"), json!("completed"));
    assert_eq!(b.field(risk, "safety_plan"), Value::Null, "the local copy is the server's again");
    b.sync();
    assert_eq!(b.store.needs_attention().unwrap().len(), 1, "never dropped by a later sync");
    assert_converged(&server, &[&a, &b]);
}

#[test]
fn an_erased_record_is_removed_from_every_device() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    let sam = a.add_client("Sam Smith");
    sync_all(&mut [&mut a, &mut b], 1);
    b.set(jo, "phone", "0151");
    server.erase(jo);
    sync_all(&mut [&mut a, &mut b], 1);
    for device in [&mut a, &mut b] {
        assert!(!device.states().contains_key(&jo));
        assert!(device.states().contains_key(&sam));
        assert!(device.store.needs_attention().unwrap().is_empty(), "nothing about an erased person is kept");
        let listed = device.store.list_clients(&ClientFilter::default(), today(), 0, 10).unwrap();
        assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [sam]);
    }
    assert_converged(&server, &[&a, &b]);
}

#[test]
fn a_revoked_device_wipes_its_store() {
    let server = FakeServer::new();
    let (mut a, _, _) = three(&server);
    a.add_client("Jo Bloggs");
    a.sync();
    a.add_client("Sam Smith");
    server.revoke(a.store.device_id());
    let err = a.try_sync().unwrap_err();
    let SyncError::DeviceRevoked { removed } = &err else { panic!("{err}") };
    assert!(!err.is_retryable());
    let names: Vec<_> = removed.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.contains(&"outreach.db".to_string()) && names.contains(&"outreach.key".to_string()), "{names:?}");
    assert!(!outreach_store::Store::exists(a.dir.path()));
    assert!(std::fs::read_dir(a.dir.path()).unwrap().next().is_none(), "nothing left in the folder");
}

#[test]
fn after_everyone_syncs_twice_all_stores_hold_identical_records() {
    let server = FakeServer::new();
    let (mut a, mut b, mut c) = three(&server);
    let mut ids = vec![];
    for (i, device) in [&mut a, &mut b, &mut c].into_iter().enumerate() {
        for j in 0..3 {
            ids.push(device.add_client(&format!("Client {i}-{j}")));
        }
    }
    sync_all(&mut [&mut a, &mut b, &mut c], 2);
    assert_converged(&server, &[&a, &b, &c]);
    // Offline work everywhere: edits, clashes, deletes, new records.
    a.set(ids[0], "phone", "a0");
    b.set(ids[0], "phone", "b0");
    c.set(ids[0], "email", "c0@example.org");
    b.set(ids[4], "usual_site", "arches");
    c.store.delete::<Client>(ids[4]).unwrap();
    a.store.delete::<Client>(ids[8]).unwrap();
    c.add_client("Late Arrival");
    a.set(ids[1], "phone", "a1");
    a.set(ids[1], "phone", "a1 again");
    sync_all(&mut [&mut c, &mut a, &mut b], 2);
    assert_converged(&server, &[&a, &b, &c]);
    assert_eq!(a.states().len(), 10);
    assert_eq!(a.field(ids[1], "phone"), json!("a1 again"));
    assert!(a.deleted(ids[8]));
}

#[test]
fn an_edit_then_a_delete_on_one_device_deletes_without_a_false_conflict() {
    let server = FakeServer::new();
    let (mut a, mut b, _) = three(&server);
    let jo = a.add_client("Jo Bloggs");
    let sam = a.add_client("Sam Smith");
    sync_all(&mut [&mut a, &mut b], 1);

    // Both changes wait in one outbox: the delete goes in a later batch,
    // carrying the version the edit produced.
    a.set(jo, "phone", "0151");
    a.store.delete::<Client>(jo).unwrap();
    let report = a.sync();
    assert_eq!(report.batches, 2);
    // The same again, with the first answer lost on the way back.
    a.set(sam, "phone", "0152");
    a.store.delete::<Client>(sam).unwrap();
    a.transport.faults.drop_push_responses = 1;
    assert!(a.try_sync().is_err());
    a.sync();
    b.sync();

    assert!(server.conflicts().is_empty(), "{:?}", server.conflicts());
    for device in [&a, &b] {
        assert!(device.deleted(jo) && device.deleted(sam));
    }
    assert_converged(&server, &[&a, &b]);
}
