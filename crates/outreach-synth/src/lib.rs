//! Synthetic, realistic-looking data for demos, benchmarks and tests.
//!
//! No real person's data ever enters the repository: every name, date and
//! note here is generated from small word lists with a seeded random number
//! generator, so the same seed always gives the same data.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use outreach_domain::client::ApproximateAge;
use outreach_domain::{
    AgeBand, AreaList, CaseloadAssignment, CaseloadRole, Client, Consent, ConsentPurpose, Contact, ContactPurpose,
    ContactType, CountApproach, CountStatus, Episode, Gender, LivingSituation, Nationality, Need, Referral,
    RiskAssessment, RiskLevel, RiskRating, RiskStatus, SafetyFlag, Sighting, StreetCount, SupportStage,
};
use outreach_store::{Store, StoreError};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use uuid::Uuid;

const MALE: &[&str] = &[
    "John",
    "Michael",
    "David",
    "Paul",
    "Mark",
    "James",
    "Andrew",
    "Steven",
    "Peter",
    "Robert",
    "Christopher",
    "Anthony",
    "Daniel",
    "Thomas",
    "Kevin",
    "Gary",
    "Sean",
    "Lee",
    "Craig",
    "Darren",
    "Wayne",
    "Liam",
    "Ryan",
    "Jamie",
    "Connor",
    "Tomasz",
    "Piotr",
    "Marius",
    "Ionut",
    "Kieran",
    "Declan",
    "Patrick",
    "William",
    "Richard",
];
const FEMALE: &[&str] = &[
    "Sarah",
    "Lisa",
    "Michelle",
    "Claire",
    "Emma",
    "Nicola",
    "Karen",
    "Joanne",
    "Kelly",
    "Donna",
    "Tracey",
    "Amanda",
    "Rebecca",
    "Laura",
    "Gemma",
    "Chloe",
    "Siobhan",
    "Agnieszka",
    "Katarzyna",
    "Elena",
    "Margaret",
    "Elizabeth",
    "Susan",
    "Jacqueline",
    "Samantha",
    "Leanne",
    "Stacey",
    "Danielle",
];
const SURNAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Williams",
    "Taylor",
    "Brown",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Robinson",
    "Thompson",
    "Wright",
    "Walker",
    "White",
    "Edwards",
    "Hughes",
    "Green",
    "Hall",
    "Lewis",
    "Harris",
    "Clarke",
    "Patel",
    "Jackson",
    "Wood",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Morris",
    "Moore",
    "Clark",
    "Lee",
    "King",
    "Baker",
    "Harrison",
    "Morgan",
    "Allen",
    "James",
    "Scott",
    "Phillips",
    "Watson",
    "Davis",
    "Parker",
    "Price",
    "Bennett",
    "Young",
    "Griffiths",
    "Mitchell",
    "Kelly",
    "Cook",
    "Carter",
    "Richardson",
    "Bailey",
    "Collins",
    "Bell",
    "Shaw",
    "Murphy",
    "Miller",
    "Cox",
    "Richards",
    "Khan",
    "Marshall",
    "Anderson",
    "Simpson",
    "Ellis",
    "Adams",
    "Singh",
    "Begum",
    "Wilkinson",
    "Foster",
    "Chapman",
    "Powell",
    "Webb",
    "Rogers",
    "Gray",
    "Mason",
    "Ali",
    "Hunt",
    "Hussain",
    "Campbell",
    "Matthews",
    "Owen",
    "Palmer",
    "Holmes",
    "Mills",
    "Barnes",
    "Knight",
    "Lloyd",
    "Butler",
    "Russell",
    "Barker",
    "Fisher",
    "Stevens",
    "Jenkins",
    "Murray",
    "Dixon",
    "Harvey",
    "McCarthy",
    "O'Brien",
    "Doyle",
    "Kowalski",
    "Nowak",
    "Wisniewski",
    "Popescu",
    "Ionescu",
    "Quinn",
    "Byrne",
    "Gallagher",
    "Flanagan",
    "McGuire",
    "Duffy",
];
const SITES: &[&str] = &[
    "doorway near the library",
    "bus shelter by the station",
    "underpass off the ring road",
    "church porch",
    "car park stairwell",
    "tent in the park",
    "bench by the river",
    "shop doorway on the high street",
    "derelict pub",
    "multi-storey car park, level 3",
];
const DESCRIPTIONS: &[&str] = &[
    "tall, red jacket, grey beard",
    "young, green sleeping bag, with a dog",
    "older, walking stick, quiet",
    "short, blue hat, Irish accent",
    "wears a hi-vis vest, two rucksacks",
    "tattoo on the neck, black hoodie",
];
const AGENCIES: &[&str] = &[
    "Housing First",
    "GP practice",
    "Drug and alcohol service",
    "Probation",
    "Community mental health team",
    "Job Centre",
    "Local authority housing options",
    "Hospital discharge team",
    "Food bank",
];
const WORKERS: &[&str] = &["amy.w", "ben.k", "cara.m", "dev.p", "eli.r", "fran.o", "gus.t", "hana.s"];
const NOTES: &[&str] = &[
    "Brief check-in, offered hot drink and sleeping bag.",
    "Discussed benefits claim; appointment booked with Job Centre.",
    "Accompanied to GP registration.",
    "Declined support today, agreed to see again tomorrow.",
    "Talked through hostel options; will consider.",
    "Housing First referral discussed; consent given.",
    "Reported feeling low; safety plan reviewed.",
    "Collected prescription together.",
];

/// The workers demo data is spread across.
pub fn workers() -> &'static [&'static str] {
    WORKERS
}

/// A seeded generator of synthetic records.
pub struct Generator {
    rng: StdRng,
    areas: AreaList,
    today: NaiveDate,
}

fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    // UK time; synthetic data uses GMT all year, which keeps it simple.
    FixedOffset::east_opt(0)
        .expect("zero offset")
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).expect("valid time"))
        .single()
        .expect("fixed offsets are unambiguous")
}

impl Generator {
    /// A generator whose output depends only on `seed` and `today`.
    pub fn new(seed: u64, today: NaiveDate) -> Self {
        Self { rng: StdRng::seed_from_u64(seed), areas: AreaList::default(), today }
    }

    fn pick<'a>(&mut self, list: &'a [&'a str]) -> &'a str {
        list.choose(&mut self.rng).copied().unwrap_or_default()
    }

    fn days_ago(&mut self, max: i64) -> NaiveDate {
        self.today - Duration::days(self.rng.random_range(0..=max))
    }

    /// A misspelling of `name`, as another worker might write it.
    pub fn misspell(&mut self, name: &str) -> String {
        let mut chars: Vec<char> = name.chars().collect();
        if chars.len() < 4 {
            return name.to_string();
        }
        let i = self.rng.random_range(1..chars.len() - 1);
        match self.rng.random_range(0..3) {
            0 => {
                chars.remove(i);
            }
            1 => chars.swap(i, i + 1),
            _ => chars[i] = *['a', 'e', 'i', 'o', 'y'].choose(&mut self.rng).unwrap_or(&'e'),
        }
        chars.into_iter().collect()
    }

    /// A client; about one in twenty gives no name and is recorded by description.
    pub fn client(&mut self) -> Client {
        let gender = if self.rng.random_bool(0.8) {
            Gender::Male
        } else if self.rng.random_bool(0.9) {
            Gender::Female
        } else {
            Gender::NotKnown
        };
        let first = self.pick(if gender == Gender::Female { FEMALE } else { MALE }).to_string();
        let last = self.pick(SURNAMES).to_string();
        let unnamed = self.rng.random_bool(0.05);
        let mut aliases = Vec::new();
        if !unnamed && self.rng.random_bool(0.3) {
            let alias = if self.rng.random_bool(0.5) {
                format!("{} {}", self.misspell(&first), last)
            } else {
                format!("{first} {}", self.misspell(&last))
            };
            aliases.push(alias.into());
        }
        let areas: Vec<String> = self.areas.areas().to_vec();
        let area = areas.choose(&mut self.rng).cloned().unwrap_or_default();
        let needs_all = [
            Need::MentalHealth,
            Need::SubstanceUse,
            Need::Offending,
            Need::Behavioural,
            Need::Debt,
            Need::PhysicalHealth,
        ];
        let needs = needs_all.into_iter().filter(|_| self.rng.random_bool(0.45)).collect();
        let living = *[
            LivingSituation::RoughSleeping,
            LivingSituation::RoughSleeping,
            LivingSituation::RoughSleeping,
            LivingSituation::Hostel,
            LivingSituation::NightShelter,
            LivingSituation::SofaSurfing,
            LivingSituation::SupportedAccommodation,
            LivingSituation::Hospital,
            LivingSituation::Prison,
            LivingSituation::OwnTenancy,
        ]
        .choose(&mut self.rng)
        .unwrap_or(&LivingSituation::NotKnown);
        let referral_date = self.days_ago(700);
        let (date_of_birth, approximate_age) = if self.rng.random_bool(0.8) {
            let age_days = self.rng.random_range(18 * 365..70 * 365);
            (Some((self.today - Duration::days(age_days)).into()), None)
        } else {
            (None, Some(ApproximateAge { years: self.rng.random_range(18..65), as_of: referral_date }))
        };
        let episode = self.rng.random_bool(0.7).then(|| {
            let stage = *[
                SupportStage::Outreach,
                SupportStage::Enablement,
                SupportStage::Support,
                SupportStage::SupportedAccommodation,
            ]
            .choose(&mut self.rng)
            .unwrap_or(&SupportStage::Outreach);
            let started_on = self.days_ago(200);
            Episode { stage, started_on, ended_on: None }
        });
        let worker = self.pick(WORKERS).to_string();
        let consents = (0..self.rng.random_range(0..3))
            .map(|_| Consent {
                purpose: *[
                    ConsentPurpose::InformationSharing,
                    ConsentPurpose::Referral,
                    ConsentPurpose::CaseConference,
                ]
                .choose(&mut self.rng)
                .unwrap_or(&ConsentPurpose::Referral),
                agency: self.pick(AGENCIES).to_string(),
                given: self.rng.random_bool(0.85),
                recorded_on: referral_date,
                expires_on: None,
                recorded_by: worker.clone(),
            })
            .collect();
        let safety_flags = if self.rng.random_bool(0.1) {
            vec![SafetyFlag {
                text: "Do not visit alone".to_string().into(),
                raised_on: referral_date,
                raised_by: worker.clone(),
            }]
        } else {
            vec![]
        };
        Client {
            name: (!unnamed).then(|| format!("{first} {last}").into()),
            aliases,
            description: unnamed.then(|| self.pick(DESCRIPTIONS).to_string().into()),
            usual_site: Some(self.pick(SITES).to_string().into()),
            date_of_birth,
            approximate_age,
            gender,
            phone: self.rng.random_bool(0.4).then(|| format!("07700 9{:05}", self.rng.random_range(0..100_000)).into()),
            email: None,
            last_known_address: None,
            area,
            needs,
            living_situation: living,
            housing_difficulty: None,
            referral: Some(Referral {
                source: self
                    .pick(&["Street outreach", "Self-referral", "Probation", "Hospital", "StreetLink"])
                    .to_string(),
                date: referral_date,
            }),
            episode,
            consents,
            safety_flags,
            closed_on: None,
            merged_into: None,
            area_before_merge: None,
            not_same_as: Default::default(),
        }
    }

    /// A contact with `client_id` by `worker` within the last year.
    pub fn contact(&mut self, client_id: Uuid, worker: &str) -> Contact {
        let date = self.days_ago(365);
        let street = self.rng.random_bool(0.5);
        let living =
            if street && self.rng.random_bool(0.7) { LivingSituation::RoughSleeping } else { LivingSituation::Hostel };
        Contact {
            client_id,
            at: at(date, self.rng.random_range(0..24), self.rng.random_range(0..60)),
            location: Some(self.pick(SITES).to_string().into()),
            contact_type: if street {
                ContactType::OutreachShift
            } else if self.rng.random_bool(0.8) {
                ContactType::FaceToFace
            } else {
                ContactType::Phone
            },
            purpose: if street { ContactPurpose::StreetEncounter } else { ContactPurpose::KeyWork },
            worker: worker.to_string(),
            notes: self.pick(NOTES).to_string().into(),
            outcome: None,
            living_situation: living,
            bedded_down: living == LivingSituation::RoughSleeping && self.rng.random_bool(0.6),
            amends: None,
        }
    }

    /// A completed risk assessment of `client_id`, some with overdue reviews.
    pub fn risk(&mut self, client_id: Uuid, assessor: &str) -> RiskAssessment {
        let date = self.days_ago(120);
        let level = |rng: &mut StdRng| {
            *[RiskLevel::Low, RiskLevel::Low, RiskLevel::Medium, RiskLevel::High].choose(rng).unwrap_or(&RiskLevel::Low)
        };
        RiskAssessment {
            client_id,
            assessed_at: at(date, 21, 30),
            assessor: assessor.to_string(),
            to_self: RiskRating::level(level(&mut self.rng)),
            to_others: RiskRating::level(level(&mut self.rng)),
            from_others: RiskRating::level(level(&mut self.rng)),
            safeguarding: RiskRating::level(level(&mut self.rng)),
            triggers: Some("Alcohol; anniversaries".to_string().into()),
            protective_factors: Some("Engages with outreach; sister in contact".to_string().into()),
            safety_plan: Some("Meet in pairs in public places; check in weekly".to_string().into()),
            review_due: date + Duration::days(self.rng.random_range(14..90)),
            status: RiskStatus::Completed,
            amends: None,
        }
    }

    /// A count night for `area`, 01:00–04:00 after the evening of `night_of`.
    pub fn street_count(&mut self, area: &str, night_of: NaiveDate) -> StreetCount {
        let next = night_of + Duration::days(1);
        StreetCount {
            area: area.to_string(),
            night_of,
            window_start: at(next, 1, 0),
            window_end: at(next, 4, 0),
            team: WORKERS[..3].iter().map(|w| w.to_string()).collect(),
            approach: CountApproach::CountBased,
            status: CountStatus::Open,
            closed_at: None,
        }
    }

    /// A sighting on count `count_id` in the window of `night_of`.
    pub fn sighting(&mut self, count_id: Uuid, night_of: NaiveDate, client_id: Option<Uuid>) -> Sighting {
        let next = night_of + Duration::days(1);
        Sighting {
            count_id,
            seen_at: at(next, self.rng.random_range(1..4), self.rng.random_range(0..60)),
            location: self.pick(SITES).to_string(),
            coordinates: None,
            gender: if self.rng.random_bool(0.85) { Gender::Male } else { Gender::Female },
            age_band: *[AgeBand::From18To25, AgeBand::From26, AgeBand::From26, AgeBand::NotKnown]
                .choose(&mut self.rng)
                .unwrap_or(&AgeBand::NotKnown),
            nationality: *[
                Nationality::Uk,
                Nationality::Uk,
                Nationality::Eu,
                Nationality::NonEu,
                Nationality::NotKnown,
            ]
            .choose(&mut self.rng)
            .unwrap_or(&Nationality::NotKnown),
            rough_sleeping: self.rng.random_bool(0.95),
            known_to_services: client_id.is_some(),
            client_id,
            same_as: None,
            notes: None,
            recorded_by: self.pick(WORKERS).to_string(),
            amends: None,
        }
    }
}

/// What [`populate`] created.
#[derive(Debug, Default, Clone, Copy)]
pub struct Populated {
    /// Clients created.
    pub clients: usize,
    /// Contacts created.
    pub contacts: usize,
    /// Risk assessments created.
    pub risk_assessments: usize,
    /// Caseload assignments created.
    pub assignments: usize,
}

/// Fills `store` with `clients` synthetic clients, each with a caseload
/// assignment, about `contacts_per_client` contacts and (for most) a risk
/// assessment, in batches of one transaction each. `progress` is called
/// after each batch with the clients done so far. Clients are spread over
/// [`workers`] and, when the store's own user is not one of them, that user
/// too, so a demo laptop opens on a caseload of its own.
pub fn populate(
    store: &mut Store,
    generator: &mut Generator,
    clients: usize,
    contacts_per_client: usize,
    mut progress: impl FnMut(usize),
) -> Result<Populated, StoreError> {
    const BATCH: usize = 2_000;
    let own = store.user().to_string();
    let mut workers: Vec<String> = WORKERS.iter().map(|w| w.to_string()).collect();
    if !workers.contains(&own) {
        workers.insert(0, own);
    }
    let mut done = Populated::default();
    while done.clients < clients {
        let n = BATCH.min(clients - done.clients);
        let batch: Vec<Client> = (0..n).map(|_| generator.client()).collect();
        let created = store.create_many(batch)?;
        let mut assignments = Vec::with_capacity(n);
        let mut risks = Vec::new();
        let mut contacts = Vec::with_capacity(n * contacts_per_client);
        for (i, record) in created.iter().enumerate() {
            let worker = workers[(done.clients + i) % workers.len()].as_str();
            let started_on = record.body.referral.as_ref().map_or(generator.today, |r| r.date);
            assignments.push(CaseloadAssignment {
                client_id: record.meta.id,
                worker: worker.to_string(),
                role: CaseloadRole::Lead,
                started_on,
                ended_on: None,
            });
            if generator.rng.random_bool(0.8) {
                risks.push(generator.risk(record.meta.id, worker));
            }
            for _ in 0..contacts_per_client {
                contacts.push(generator.contact(record.meta.id, worker));
            }
        }
        done.assignments += store.create_many(assignments)?.len();
        done.risk_assessments += store.create_many(risks)?.len();
        for chunk in contacts.chunks(10_000) {
            done.contacts += store.create_many(chunk.to_vec())?.len();
        }
        done.clients += n;
        progress(done.clients);
    }
    Ok(done)
}

/// Today in UTC, the default anchor for generated dates.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::Body;

    #[test]
    fn generated_records_pass_validation_and_are_deterministic() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let areas = AreaList::default();
        let mut a = Generator::new(7, today);
        let mut b = Generator::new(7, today);
        let first: Vec<Client> = (0..50).map(|_| a.client()).collect();
        let second: Vec<Client> = (0..50).map(|_| b.client()).collect();
        assert_eq!(first, second);
        for _ in 0..500 {
            a.client().validate(&areas).unwrap();
            a.contact(Uuid::nil(), "amy.w").validate(&areas).unwrap();
            a.risk(Uuid::nil(), "amy.w").validate(&areas).unwrap();
            let count = a.street_count("Wirral", today);
            count.validate(&areas).unwrap();
            a.sighting(Uuid::nil(), today, None).validate(&areas).unwrap();
        }
    }

    #[test]
    fn a_demo_laptop_user_gets_a_caseload_of_their_own() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let dir = std::env::temp_dir().join(format!("outreach-synth-{}", Uuid::now_v7()));
        let mut store = Store::init(&dir, "synth test passphrase only", "demo.worker").unwrap();
        populate(&mut store, &mut Generator::new(3, today), 90, 0, |_| {}).unwrap();
        let held =
            |who: &str| store.all::<CaseloadAssignment>().unwrap().iter().filter(|a| a.body.worker == who).count();
        assert_eq!((held("demo.worker"), held("amy.w")), (10, 10));
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }
}
