//! Reports on both backends: figures computed by the server checked
//! against figures this test computes itself, straight from the written
//! definitions, over synthetic records; each definition's edge cases; and
//! who may see what (refusals audited).

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, TimeZone};
use outreach_domain::{
    AgeBand, Body, Client, Contact, ContactPurpose, ContactType, Gender, Hlc, LivingSituation, Nationality, Sighting,
    StreetCount,
};
use outreach_protocol::api::{Outcome, Role};
use outreach_protocol::{Mutation, Op};
use outreach_reports::{Cell, Month};
use outreach_server_db::credentials::hash_password;
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Actor, Database, DbError, NewUser, Report, ReportRequest, Viewer};
use outreach_synth::Generator;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use uuid::Uuid;

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Sqlite, crate::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    outreach_server_db::testing::run(outreach_server_db::Backend::Postgres, crate::$name).await;
                }
            )*
        }
    };
}

on_both_backends!(
    framework_figures_match_an_independent_count,
    framework_edge_cases,
    snapshot_counts_each_person_once,
    monitoring_and_team_view,
    roles_decide_who_sees_what,
    a_person_recorded_twice_counts_once,
);

const MONTH: &str = "2026-11";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn at(day: NaiveDate, hour: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(0)
        .expect("offset")
        .from_local_datetime(&day.and_hms_opt(hour, 15, 0).expect("time"))
        .single()
        .expect("time")
}

struct People {
    amy: Actor,
    lia: Actor,
    cam: Actor,
    wes: Actor,
    ada: Actor,
    wirral_lead: Actor,
}

async fn person(db: &dyn Database, name: &str, roles: &[Role], teams: &[&str]) -> Actor {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| hash_password("synthetic test password").expect("hash")).clone();
    let user = db
        .add_user(NewUser {
            name: name.into(),
            password_hash: hash,
            roles: roles.to_vec(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
        })
        .await
        .expect("user");
    Actor { user_id: user.id, user: user.name, device: Uuid::now_v7(), roles: user.roles }
}

async fn people(db: &dyn Database) -> People {
    db.add_team("Liverpool Outreach", &["Liverpool".into()]).await.expect("team");
    db.add_team("Wirral Outreach", &["Wirral".into()]).await.expect("team");
    let (l, w) = ("Liverpool Outreach", "Wirral Outreach");
    People {
        amy: person(db, "amy", &[Role::Worker], &[l]).await,
        lia: person(db, "lia", &[Role::TeamLead], &[l]).await,
        cam: person(db, "cam", &[Role::Commissioner], &[l]).await,
        wes: person(db, "wes", &[Role::Worker], &[w]).await,
        ada: person(db, "ada", &[Role::Admin], &[l]).await,
        wirral_lead: person(db, "wil", &[Role::TeamLead], &[w]).await,
    }
}

fn stamp(device: Uuid) -> Hlc {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    Hlc { wall_ms: 1_767_000_000_000, counter: COUNTER.fetch_add(1, Ordering::Relaxed), device }
}

/// A create mutation carrying every field of `body`.
fn create<T: Body>(by: &Actor, id: Uuid, body: &T) -> Mutation {
    let Value::Object(fields) = serde_json::to_value(body).expect("json") else { panic!("a body is an object") };
    let changes: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, json!({"old": null, "new": v}))).collect();
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind: T::KIND,
        op: Op::Create,
        changes,
        base_version: 0,
        hlc: stamp(by.device),
    }
}

async fn push(db: &dyn Database, by: &Actor, mutations: Vec<Mutation>) {
    for chunk in mutations.chunks(200) {
        for r in db.push(by, chunk).await.expect("push") {
            assert!(matches!(r.outcome, Outcome::Applied { .. }), "{:?}", r.outcome);
        }
    }
}

fn operator() -> Viewer {
    Viewer::Operator { name: "operator:test".into(), suppress: false }
}

fn client(area: &str) -> Client {
    Client { name: Some("Synthetic Person".to_string().into()), area: area.into(), ..Default::default() }
}

fn contact(client: Uuid, day: NaiveDate, living: LivingSituation, bedded: bool) -> Contact {
    Contact {
        client_id: client,
        at: at(day, 22),
        location: None,
        contact_type: if bedded { ContactType::OutreachShift } else { ContactType::FaceToFace },
        purpose: ContactPurpose::StreetEncounter,
        worker: "amy".into(),
        notes: "synthetic".to_string().into(),
        outcome: None,
        living_situation: if bedded { LivingSituation::RoughSleeping } else { living },
        bedded_down: bedded,
        amends: None,
    }
}

async fn framework(db: &dyn Database, area: &str) -> outreach_reports::FrameworkFigures {
    let month = Month::parse(MONTH).expect("month");
    match db.report(&operator(), &ReportRequest::Framework { area: area.into(), month }).await.expect("report") {
        Report::Framework(f) => f,
        other => panic!("expected framework figures, got {other:?}"),
    }
}

fn count(cell: Cell) -> u64 {
    cell.as_count().unwrap_or_else(|| panic!("expected a count, got {cell:?}"))
}

/// One contact as this test's own model sees it.
#[derive(Clone, Copy)]
struct Seen {
    day: NaiveDate,
    living: LivingSituation,
    bedded: bool,
}

/// The framework figures, computed here from the definitions' wording.
fn expected(history: &BTreeMap<Uuid, Vec<Seen>>, month: Month) -> [u64; 6] {
    let (start, end) = (month.first_day(), month.last_day());
    let institutions = [
        LivingSituation::Prison,
        LivingSituation::Hospital,
        LivingSituation::AsylumAccommodation,
        LivingSituation::Care,
    ];
    let mut out = [0u64; 6]; // seen, new, institution, long term, returners, moved
    for contacts in history.values() {
        let rough: Vec<NaiveDate> = contacts.iter().filter(|c| c.bedded).map(|c| c.day).collect();
        let in_month: Vec<NaiveDate> = rough.iter().copied().filter(|d| *d >= start && *d <= end).collect();
        if let (Some(first), Some(last)) = (in_month.iter().min().copied(), in_month.iter().max().copied()) {
            out[0] += 1;
            let before = rough.iter().copied().filter(|d| *d < start).max();
            let five_years = first.checked_sub_months(Months::new(60)).expect("date");
            let new = before.is_none_or(|b| b < five_years);
            out[1] += u64::from(new);
            let left =
                contacts.iter().filter(|c| institutions.contains(&c.living) && c.day <= last).map(|c| c.day).max();
            out[2] += u64::from(left.is_some_and(|l| (first - l).num_days() <= 85));
            let window_start = end - chrono::Duration::days(364);
            let window: BTreeSet<NaiveDate> =
                rough.iter().copied().filter(|d| *d >= window_start && *d <= end).collect();
            let spread = window.first().is_some_and(|f| (last - *f).num_days() >= 21);
            out[3] += u64::from(window.len() >= 3 && spread);
            out[4] += u64::from(!new && before.is_some_and(|b| (first - b).num_days() > 90));
        }
        let long_term = [LivingSituation::OwnTenancy, LivingSituation::WithFamily];
        let moved = contacts
            .iter()
            .filter(|c| long_term.contains(&c.living) && c.day >= start && c.day <= end)
            .map(|c| c.day)
            .min();
        if let Some(moved) = moved {
            // contacts are pushed in (day, list) order, so the last one before the move is the previous situation
            let previous = contacts.iter().rev().find(|c| c.day < moved).map(|c| c.living);
            let lookback = start.checked_sub_months(Months::new(60)).expect("date");
            let first_seen = rough.iter().copied().filter(|d| *d >= lookback && *d <= moved).min();
            if first_seen.is_some() && !previous.is_some_and(|p| long_term.contains(&p)) {
                out[5] += 1;
            }
        }
    }
    out
}

async fn framework_figures_match_an_independent_count(t: TestDb) {
    let db = t.db();
    let p = people(&*db).await;
    let mut generator = Generator::new(7, d(2026, 12, 1));
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let situations = [
        LivingSituation::Hostel,
        LivingSituation::Prison,
        LivingSituation::Hospital,
        LivingSituation::OwnTenancy,
        LivingSituation::WithFamily,
        LivingSituation::SupportedAccommodation,
        LivingSituation::Care,
    ];
    let first_day = d(2020, 6, 1);
    let mut history: BTreeMap<Uuid, Vec<Seen>> = BTreeMap::new();
    let mut mutations = Vec::new();
    for i in 0..60 {
        let id = Uuid::now_v7();
        let mut body = generator.client();
        body.area = "Liverpool".into();
        mutations.push(create(&p.amy, id, &body));
        // most people are seen around the report month; some years before
        let recent = i % 3 != 0;
        let mut seen: Vec<Seen> = (0..(3 + next(8)))
            .map(|_| {
                let day = if i % 5 == 1 {
                    d(2026, 11, 1) + chrono::Duration::days(next(30) as i64)
                } else if recent {
                    d(2026, 6, 1) + chrono::Duration::days(next(200) as i64)
                } else {
                    first_day + chrono::Duration::days(next(2400) as i64)
                };
                let bedded = next(5) < 3;
                Seen { day, living: situations[next(situations.len() as u64) as usize], bedded }
            })
            .collect();
        seen.sort_by_key(|s| s.day);
        for s in &seen {
            let mut c = generator.contact(id, "amy");
            c.at = at(s.day, 21);
            c.bedded_down = s.bedded;
            c.living_situation = if s.bedded { LivingSituation::RoughSleeping } else { s.living };
            mutations.push(create(&p.amy, Uuid::now_v7(), &c));
        }
        history.insert(
            id,
            seen.into_iter()
                .map(|s| Seen { living: if s.bedded { LivingSituation::RoughSleeping } else { s.living }, ..s })
                .collect(),
        );
    }
    push(&*db, &p.amy, mutations).await;
    // A Wirral person seen in the month does not count in Liverpool.
    let wirral = Uuid::now_v7();
    push(
        &*db,
        &p.wes,
        vec![
            create(&p.wes, wirral, &client("Wirral")),
            create(&p.wes, Uuid::now_v7(), &contact(wirral, d(2026, 11, 3), LivingSituation::RoughSleeping, true)),
        ],
    )
    .await;

    let want = expected(&history, Month::parse(MONTH).expect("month"));
    eprintln!("expected seen, new, institution, long term, returners, moved: {want:?}");
    assert!(want.iter().all(|n| *n > 0), "the synthetic data should exercise every figure: {want:?}");
    let f = framework(&*db, "liverpool").await;
    let got = [
        count(f.seen_over_month),
        count(f.new_people),
        count(f.left_institution),
        count(f.long_term),
        count(f.returners),
        count(f.moved_to_long_term_accommodation),
    ];
    assert_eq!(got, want, "seen, new, left an institution, long term, returners, moved");
    assert_eq!(f.area, "Liverpool", "the area as its team spells it");
    assert_eq!(count(framework(&*db, "Wirral").await.seen_over_month), 1);
}

async fn framework_edge_cases(t: TestDb) {
    let db = t.db();
    let p = people(&*db).await;
    let rough = LivingSituation::RoughSleeping;
    let seen_on = d(2026, 11, 10);
    let mut m = Vec::new();
    let person = |m: &mut Vec<Mutation>, contacts: &[(NaiveDate, LivingSituation, bool)]| {
        let id = Uuid::now_v7();
        m.push(create(&p.amy, id, &client("Liverpool")));
        let mut ids = Vec::new();
        for (day, living, bedded) in contacts {
            let cid = Uuid::now_v7();
            m.push(create(&p.amy, cid, &contact(id, *day, *living, *bedded)));
            ids.push(cid);
        }
        (id, ids)
    };
    // seen exactly 60 months before: not new (and a returner); a day more: new
    person(&mut m, &[(d(2021, 11, 10), rough, true), (seen_on, rough, true)]);
    person(&mut m, &[(d(2021, 11, 9), rough, true), (seen_on, rough, true)]);
    // left prison 85 days before being seen: counts; 86 days: does not
    let release = |days: u64| seen_on.checked_sub_days(Days::new(days)).expect("date");
    person(&mut m, &[(release(85), LivingSituation::Prison, false), (seen_on, rough, true)]);
    person(&mut m, &[(release(86), LivingSituation::Hospital, false), (seen_on, rough, true)]);
    // an amended contact counts as its amendment (not seen); an erased client not at all
    let (amended_client, amended) = person(&mut m, &[(seen_on, rough, true)]);
    let mut correction = contact(amended_client, seen_on, LivingSituation::Hostel, false);
    correction.amends = Some(amended[0]);
    m.push(create(&p.amy, Uuid::now_v7(), &correction));
    let (erased, _) = person(&mut m, &[(seen_on, rough, true)]);
    // moved into a tenancy 30 days after first being seen
    person(&mut m, &[(d(2026, 10, 20), rough, true), (d(2026, 11, 19), LivingSituation::OwnTenancy, false)]);
    push(&*db, &p.amy, m).await;
    db.erase_client(erased, "ada", "erasure request 1").await.expect("erase").expect("erased");

    let f = framework(&*db, "Liverpool").await;
    assert_eq!(count(f.seen_over_month), 4, "the amended contact and the erased client do not count");
    assert_eq!(count(f.new_people), 3, "exactly 60 months before is within the lookback");
    assert_eq!(count(f.returners), 1);
    assert_eq!(count(f.left_institution), 1, "85 days counts, 86 does not");
    assert_eq!(count(f.moved_to_long_term_accommodation), 1);
    assert_eq!(f.days_to_accommodation_median, Cell::Number(30.0));
}

fn sighting(count: Uuid, client: Option<Uuid>, gender: Gender, age: AgeBand, nationality: Nationality) -> Sighting {
    Sighting {
        count_id: count,
        seen_at: DateTime::parse_from_rfc3339("2026-11-13T01:30:00+00:00").expect("time"),
        location: "Lime Street".into(),
        coordinates: None,
        gender,
        age_band: age,
        nationality,
        rough_sleeping: true,
        known_to_services: client.is_some(),
        client_id: client,
        same_as: None,
        notes: None,
        recorded_by: "amy".into(),
        amends: None,
    }
}

async fn snapshot_counts_each_person_once(t: TestDb) {
    let db = t.db();
    let p = people(&*db).await;
    let night = d(2026, 11, 12);
    let mut generator = Generator::new(3, night);
    let (count_a, count_b, other_night) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut a = generator.street_count("Liverpool", night);
    a.team = vec!["amy".into(), "lia".into()];
    let mut b: StreetCount = generator.street_count("Liverpool", night);
    b.team = vec!["ben".into()];
    let later = generator.street_count("Liverpool", d(2026, 11, 19));
    let known = Uuid::now_v7();
    let mut m = vec![
        create(&p.amy, known, &client("Liverpool")),
        create(&p.amy, count_a, &a),
        create(&p.amy, count_b, &b),
        create(&p.amy, other_night, &later),
    ];
    // the same client seen twice on the night (once by each count): one person
    m.push(create(
        &p.amy,
        Uuid::now_v7(),
        &sighting(count_a, Some(known), Gender::Male, AgeBand::From26, Nationality::Uk),
    ));
    m.push(create(
        &p.amy,
        Uuid::now_v7(),
        &sighting(count_b, Some(known), Gender::Male, AgeBand::From26, Nationality::Uk),
    ));
    // two sightings a worker marked as the same person: one person
    let first = Uuid::now_v7();
    m.push(create(&p.amy, first, &sighting(count_a, None, Gender::Female, AgeBand::From18To25, Nationality::Eu)));
    let mut same = sighting(count_b, None, Gender::Female, AgeBand::From18To25, Nationality::Eu);
    same.same_as = Some(first);
    m.push(create(&p.amy, Uuid::now_v7(), &same));
    // seen but not sleeping rough: recorded, not counted
    let mut awake = sighting(count_a, None, Gender::Male, AgeBand::Under18, Nationality::NotKnown);
    awake.rough_sleeping = false;
    m.push(create(&p.amy, Uuid::now_v7(), &awake));
    m.push(create(
        &p.amy,
        Uuid::now_v7(),
        &sighting(count_a, None, Gender::NotKnown, AgeBand::NotKnown, Nationality::NonEu),
    ));
    // another night's sighting is not in this return
    m.push(create(
        &p.amy,
        Uuid::now_v7(),
        &sighting(other_night, None, Gender::Male, AgeBand::From26, Nationality::Uk),
    ));
    push(&*db, &p.amy, m).await;

    let request = ReportRequest::Snapshot { area: "Liverpool".into(), night };
    let Report::Snapshot(r) = db.report(&operator(), &request).await.expect("report") else { panic!("snapshot") };
    assert_eq!(r.total, Cell::Count(3));
    assert_eq!(r.sightings, Cell::Count(6));
    assert_eq!(r.duplicates_removed, Cell::Count(2));
    assert_eq!(r.by_gender, [Cell::Count(1), Cell::Count(1), Cell::Count(0), Cell::Count(1)]);
    assert_eq!(r.by_age, [Cell::Count(0), Cell::Count(1), Cell::Count(1), Cell::Count(1)]);
    assert_eq!(r.by_nationality, [Cell::Count(1), Cell::Count(1), Cell::Count(1), Cell::Count(0)]);
    assert_eq!((r.counts, r.team_size), (2, 3));
    assert_eq!(r.approach, vec!["count-based estimate".to_string()]);
    let csv = outreach_reports::export::snapshot_csv(std::slice::from_ref(&r)).expect("csv");
    assert!(csv.starts_with("local_authority,count_night,in_autumn_period,approach,"));
    assert!(csv.lines().nth(1).expect("row").starts_with("Liverpool,2026-11-12,true,count-based estimate,"));
    // the framework's single night is the month's last count night
    let f = framework(&*db, "Liverpool").await;
    assert_eq!((f.single_night, f.single_night_date), (Cell::Count(1), Some(d(2026, 11, 19))));
    // nights in a range, for the chart
    let nights = ReportRequest::Nights { area: "Liverpool".into(), from: d(2026, 11, 1), to: d(2026, 11, 30) };
    let Report::Nights { nights } = db.report(&p.lia.clone().into_viewer(), &nights).await.expect("nights") else {
        panic!("nights")
    };
    assert_eq!(nights.iter().map(|n| n.total).collect::<Vec<_>>(), vec![Cell::Count(3), Cell::Count(1)]);
    // a commissioner sees it with small counts suppressed and no names
    let Report::Snapshot(hidden) = db.report(&p.cam.clone().into_viewer(), &request).await.expect("report") else {
        panic!("snapshot")
    };
    assert_eq!(hidden.total, Cell::Suppressed);
    assert!(hidden.team.is_empty());
}

trait IntoViewer {
    fn into_viewer(self) -> Viewer;
}

impl IntoViewer for Actor {
    fn into_viewer(self) -> Viewer {
        Viewer::User(self)
    }
}

async fn monitoring_and_team_view(t: TestDb) {
    use outreach_domain::{
        ActionPlan, CaseloadAssignment, CaseloadRole, Episode, Goal, GoalStatus, GoalTerm, OutcomeScore, Referral,
        RiskAssessment, RiskLevel, RiskRating, RiskStatus, SupportStage,
    };
    let db = t.db();
    let p = people(&*db).await;
    let on = d(2026, 11, 30);
    let mut m = Vec::new();
    let mut clients = Vec::new();
    for i in 0..8u32 {
        let id = Uuid::now_v7();
        let mut c = client("Liverpool");
        c.referral = Some(Referral {
            source: "Street outreach".into(),
            date: if i < 6 { d(2026, 11, 2) } else { d(2026, 3, 1) },
        });
        if i == 7 {
            c.closed_on = Some(d(2026, 11, 20));
        }
        if i < 2 {
            c.episode = Some(Episode { stage: SupportStage::Enablement, started_on: d(2026, 10, 1), ended_on: None });
        }
        m.push(create(&p.amy, id, &c));
        clients.push(id);
    }
    let risk = |client: Uuid, day: NaiveDate, due: NaiveDate| RiskAssessment {
        client_id: client,
        assessed_at: at(day, 10),
        assessor: "amy".into(),
        to_self: RiskRating::level(RiskLevel::Low),
        to_others: RiskRating::level(RiskLevel::Low),
        from_others: RiskRating::level(RiskLevel::Low),
        safeguarding: RiskRating::level(RiskLevel::Low),
        triggers: None,
        protective_factors: None,
        safety_plan: None,
        review_due: due,
        status: RiskStatus::Completed,
        amends: None,
    };
    m.push(create(&p.amy, Uuid::now_v7(), &risk(clients[0], d(2026, 11, 3), d(2026, 11, 10)))); // overdue
    m.push(create(&p.amy, Uuid::now_v7(), &risk(clients[1], d(2026, 9, 3), d(2026, 10, 1)))); // superseded
    m.push(create(&p.amy, Uuid::now_v7(), &risk(clients[1], d(2026, 11, 5), d(2027, 1, 5)))); // current
    for (i, kind) in
        [ContactType::Phone, ContactType::Phone, ContactType::FaceToFace, ContactType::OutreachShift].iter().enumerate()
    {
        let mut c = contact(clients[i], d(2026, 11, 4), LivingSituation::Hostel, false);
        c.contact_type = *kind;
        m.push(create(&p.amy, Uuid::now_v7(), &c));
    }
    // off the street: rough sleeping, then a hostel in the month
    m.push(create(&p.amy, Uuid::now_v7(), &contact(clients[5], d(2026, 10, 30), LivingSituation::RoughSleeping, true)));
    m.push(create(&p.amy, Uuid::now_v7(), &contact(clients[5], d(2026, 11, 6), LivingSituation::Hostel, false)));
    let plan = ActionPlan {
        client_id: clients[0],
        started_on: d(2026, 11, 8),
        agencies: vec!["GP".into(), "Housing First".into()],
        summary: None,
    };
    m.push(create(&p.amy, Uuid::now_v7(), &plan));
    let goal = Goal {
        plan_id: Uuid::now_v7(),
        client_id: clients[0],
        text: "a home".to_string().into(),
        term: GoalTerm::Long,
        target_date: None,
        owner: "amy".into(),
        outcome_area: None,
        status: GoalStatus::Achieved,
    };
    m.push(create(&p.amy, Uuid::now_v7(), &goal));
    let score = |day: NaiveDate, value: u8| OutcomeScore {
        client_id: clients[0],
        plan_id: None,
        area: "money".into(),
        score: value,
        recorded_on: day,
        recorded_by: "amy".into(),
        amends: None,
    };
    m.push(create(&p.amy, Uuid::now_v7(), &score(d(2026, 6, 1), 3)));
    m.push(create(&p.amy, Uuid::now_v7(), &score(d(2026, 11, 9), 6)));
    // the team lead assigns the cases (a worker may assign only themselves)
    let mut assignments = vec![];
    for (i, worker) in [(0, "amy"), (1, "amy"), (2, "lia"), (7, "amy")] {
        let a = CaseloadAssignment {
            client_id: clients[i],
            worker: worker.into(),
            role: CaseloadRole::Lead,
            started_on: d(2026, 1, 1),
            ended_on: None,
        };
        assignments.push(create(&p.lia, Uuid::now_v7(), &a));
    }
    push(&*db, &p.amy, m).await;
    push(&*db, &p.lia, assignments).await;

    let month = Month::parse(MONTH).expect("month");
    let request = ReportRequest::Monitoring { area: "Liverpool".into(), month };
    let Report::Monitoring(f) = db.report(&operator(), &request).await.expect("report") else { panic!("monitoring") };
    assert_eq!(f.active_caseload, Cell::Count(7), "8 clients, one closed in the month");
    assert_eq!((f.new_cases, f.closed_cases), (Cell::Count(6), Cell::Count(1)));
    assert_eq!(f.contacts, Cell::Count(5), "the October contact is not in November");
    assert_eq!(f.contacts_by_type, [Cell::Count(2), Cell::Count(2), Cell::Count(1), Cell::Count(0)]);
    assert_eq!(f.moves_into_accommodation, Cell::Count(1));
    assert_eq!(f.housing_first_referrals, Cell::Count(1));
    assert_eq!((f.risk_assessments_completed, f.risk_reviews_overdue), (Cell::Count(2), Cell::Count(1)));
    // goals carry no date: they count in the month their record last changed (now)
    assert_eq!(f.goals_achieved, Cell::Count(0));
    let this_month = Month::containing(chrono::Utc::now().date_naive());
    let now = ReportRequest::Monitoring { area: "Liverpool".into(), month: this_month };
    let Report::Monitoring(current) = db.report(&operator(), &now).await.expect("report") else { panic!("monitoring") };
    assert_eq!(current.goals_achieved, Cell::Count(1));
    assert_eq!((f.outcome_scored, f.outcome_average_movement), (Cell::Count(1), Cell::Number(3.0)));
    let Report::Monitoring(hidden) = db.report(&p.cam.clone().into_viewer(), &request).await.expect("report") else {
        panic!("monitoring")
    };
    assert_eq!(
        (hidden.active_caseload, hidden.new_cases, hidden.closed_cases),
        (Cell::Count(7), Cell::Count(6), Cell::Suppressed)
    );

    let team = ReportRequest::Team { team: "Liverpool Outreach".into(), on };
    let Report::Team(view) = db.report(&p.lia.clone().into_viewer(), &team).await.expect("team") else {
        panic!("team")
    };
    let amy = view.workers.iter().find(|w| w.worker == "amy").expect("amy's row");
    assert_eq!(amy.caseload, 2, "the closed client is not on the caseload");
    assert_eq!((amy.reviews_overdue, amy.no_risk_assessment), (1, 0));
    assert_eq!(amy.episodes_over_limit, 2, "enablement from 1 October ran out on 12 November");
    let lia = view.workers.iter().find(|w| w.worker == "lia").expect("lia's row");
    assert_eq!((lia.caseload, lia.no_risk_assessment), (1, 1));
    assert_eq!(view.workers.len(), 2, "amy and lia work cases; the commissioner and admin are not listed");
}

async fn roles_decide_who_sees_what(t: TestDb) {
    let db = t.db();
    let p = people(&*db).await;
    let month = Month::parse(MONTH).expect("month");
    let framework = |area: &str| ReportRequest::Framework { area: area.into(), month };
    let refused = |r: Result<Report, DbError>| match r {
        Err(DbError::Refused { code: "forbidden", reason }) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    };
    refused(db.report(&p.amy.clone().into_viewer(), &framework("Liverpool")).await);
    refused(db.report(&p.wes.clone().into_viewer(), &framework("Wirral")).await);
    refused(db.report(&p.ada.clone().into_viewer(), &framework("Liverpool")).await);
    let reason = refused(db.report(&p.cam.clone().into_viewer(), &framework("Wirral")).await);
    assert!(reason.contains("Liverpool"), "{reason}");
    refused(db.report(&p.lia.clone().into_viewer(), &framework("Wirral")).await);
    let team = ReportRequest::Team { team: "Wirral Outreach".into(), on: d(2026, 11, 30) };
    refused(db.report(&p.lia.clone().into_viewer(), &team).await);
    refused(
        db.report(
            &p.cam.clone().into_viewer(),
            &ReportRequest::Team { team: "Liverpool Outreach".into(), on: d(2026, 11, 30) },
        )
        .await,
    );
    assert!(db.report(&p.wirral_lead.clone().into_viewer(), &team).await.is_ok());
    let Report::Framework(f) =
        db.report(&p.cam.clone().into_viewer(), &framework("liverpool")).await.expect("aggregates")
    else {
        panic!("framework")
    };
    assert_eq!(f.seen_over_month, Cell::Count(0));
    let trend = ReportRequest::Trend { areas: vec![], to: month, months: 3 };
    let Report::Trend(trend) = db.report(&p.lia.clone().into_viewer(), &trend).await.expect("trend") else {
        panic!("trend")
    };
    assert_eq!(trend.series.len(), 1, "a lead's trend covers their own areas");
    assert_eq!(trend.months.len(), 3);

    let audit = db.audit_log(None, 1000).await.expect("audit");
    let denied: Vec<&str> =
        audit.iter().filter(|a| a.entry.action == "report_denied").filter_map(|a| a.entry.user.as_deref()).collect();
    assert_eq!(denied, vec!["amy", "wes", "ada", "cam", "lia", "lia", "cam"]);
    assert!(audit.iter().any(|a| a.entry.action == "report_denied"
        && a.entry.detail.as_deref().is_some_and(|d| d.contains("\"area\":\"Wirral\"") && d.contains("reason"))));
    let shown = audit.iter().filter(|a| a.entry.action == "report").count();
    assert_eq!(shown, 3);
}

/// The change that merges client `away` (at version 1) into `into`.
fn merge(by: &Actor, away: Uuid, into: Uuid) -> Mutation {
    let mut changes = Map::new();
    changes.insert("merged_into".into(), json!({"old": null, "new": into}));
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: away,
        kind: outreach_domain::RecordKind::Client,
        op: Op::Update,
        changes,
        base_version: 1,
        hlc: stamp(by.device),
    }
}

async fn a_person_recorded_twice_counts_once(t: TestDb) {
    let db = t.db();
    let p = people(&*db).await;
    let rough = LivingSituation::RoughSleeping;
    let (away, survivor, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let mut m = Vec::new();
    for id in [away, survivor, other] {
        m.push(create(&p.amy, id, &client("Liverpool")));
    }
    // recorded as `away` in July and early November, as `survivor` later in November
    m.push(create(&p.amy, Uuid::now_v7(), &contact(away, d(2026, 7, 1), rough, true)));
    m.push(create(&p.amy, Uuid::now_v7(), &contact(away, d(2026, 11, 5), rough, true)));
    m.push(create(&p.amy, Uuid::now_v7(), &contact(survivor, d(2026, 11, 20), rough, true)));
    m.push(create(&p.amy, Uuid::now_v7(), &contact(other, d(2026, 11, 10), rough, true)));
    // both clients seen on one count night
    let (count_night, night) = (Uuid::now_v7(), d(2026, 11, 12));
    m.push(create(&p.amy, count_night, &Generator::new(5, night).street_count("Liverpool", night)));
    for client in [away, survivor] {
        let seen = sighting(count_night, Some(client), Gender::Male, AgeBand::From26, Nationality::Uk);
        m.push(create(&p.amy, Uuid::now_v7(), &seen));
    }
    push(&*db, &p.amy, m).await;
    let month = Month::parse(MONTH).expect("month");
    let figures =
        |f: outreach_reports::FrameworkFigures| (count(f.seen_over_month), count(f.new_people), count(f.returners));
    let monitoring = ReportRequest::Monitoring { area: "Liverpool".into(), month };
    let snapshot = ReportRequest::Snapshot { area: "Liverpool".into(), night };
    let caseload = |r: Report| match r {
        Report::Monitoring(f) => f.active_caseload,
        other => panic!("expected monitoring, got {other:?}"),
    };
    let total = |r: Report| match r {
        Report::Snapshot(s) => s.total,
        other => panic!("expected a snapshot, got {other:?}"),
    };
    assert_eq!(figures(framework(&*db, "Liverpool").await), (3, 2, 1), "three people as recorded");
    assert_eq!(caseload(db.report(&operator(), &monitoring).await.expect("report")), Cell::Count(3));
    assert_eq!(total(db.report(&operator(), &snapshot).await.expect("report")), Cell::Count(2));

    push(&*db, &p.amy, vec![merge(&p.amy, away, survivor)]).await;
    // one person, first seen in July: not new, back after four months
    assert_eq!(figures(framework(&*db, "Liverpool").await), (2, 1, 1));
    assert_eq!(caseload(db.report(&operator(), &monitoring).await.expect("report")), Cell::Count(2));
    assert_eq!(total(db.report(&operator(), &snapshot).await.expect("report")), Cell::Count(1));
}
