//! Street counts: one night, one area, several workers recording sightings.

use crate::{AreaList, Body, DomainError, Gender, RecordKind, Sensitive};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// How the area's figure is arrived at (the snapshot's three approaches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CountApproach {
    /// A physical count on the night.
    #[default]
    CountBased,
    /// An estimate agreed with local agencies.
    EvidenceBased,
    /// An estimate including a spotlight count.
    EvidenceBasedWithSpotlight,
}

/// Whether sightings may still be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CountStatus {
    /// Sightings are being recorded.
    #[default]
    Open,
    /// Closed; the return can be produced.
    Closed,
}

/// A count night for one local authority area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreetCount {
    /// The local authority area.
    pub area: String,
    /// The night of the count (the date the evening starts).
    pub night_of: NaiveDate,
    /// When counting starts.
    pub window_start: DateTime<FixedOffset>,
    /// When counting ends.
    pub window_end: DateTime<FixedOffset>,
    /// Workers taking part.
    pub team: Vec<String>,
    /// Count-based or evidence-based.
    pub approach: CountApproach,
    /// Open or closed.
    pub status: CountStatus,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

impl Body for StreetCount {
    const KIND: RecordKind = RecordKind::StreetCount;

    fn canonicalise(&mut self, areas: &AreaList) {
        if let Ok(area) = areas.canonical(&self.area) {
            self.area = area;
        }
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.window_start.to_utc())
    }

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        None
    }

    fn validate(&self, areas: &AreaList) -> Result<(), DomainError> {
        areas.canonical(&self.area)?;
        if self.window_end <= self.window_start {
            return Err(DomainError::invalid("window_end", "the count window must end after it starts"));
        }
        if self.window_end - self.window_start > chrono::Duration::hours(24) {
            return Err(DomainError::invalid("window_end", "a count covers a single night (at most 24 hours)"));
        }
        Ok(())
    }
}

/// Age bands used by the rough sleeping snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// Under 18.
    Under18,
    /// 18 to 25.
    From18To25,
    /// 26 and over.
    From26,
    /// Not known.
    #[default]
    NotKnown,
}

/// Nationality groups used by the rough sleeping snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Nationality {
    /// UK national.
    Uk,
    /// EU national (not UK).
    Eu,
    /// Non-EU national.
    NonEu,
    /// Not known.
    #[default]
    NotKnown,
}

/// A point on the map, when the device can give one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

impl Coordinates {
    /// Distance in metres (haversine).
    pub fn metres_to(&self, other: &Coordinates) -> f64 {
        let r = 6_371_000.0_f64;
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dla = la2 - la1;
        let dlo = (other.lon - self.lon).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * r * a.sqrt().asin()
    }
}

/// One person seen during a count. Signed off when recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sighting {
    /// The count.
    pub count_id: Uuid,
    /// When.
    pub seen_at: DateTime<FixedOffset>,
    /// Where, in words.
    pub location: String,
    /// Where, on the map.
    pub coordinates: Option<Coordinates>,
    /// Gender as it appeared or was given.
    pub gender: Gender,
    /// Age band.
    pub age_band: AgeBand,
    /// Nationality group.
    pub nationality: Nationality,
    /// Whether the person meets the rough sleeping definition (sleeping,
    /// about to bed down or bedded down in the open air or in a place not
    /// designed for habitation). Others seen are recorded but not counted.
    pub rough_sleeping: bool,
    /// Known to services.
    pub known_to_services: bool,
    /// The client, if identified.
    pub client_id: Option<Uuid>,
    /// Another sighting a worker says is the same person.
    pub same_as: Option<Uuid>,
    /// Anything else.
    pub notes: Option<Sensitive<String>>,
    /// The worker who saw them.
    pub recorded_by: String,
    /// The sighting this one corrects.
    pub amends: Option<Uuid>,
}

impl Body for Sighting {
    const KIND: RecordKind = RecordKind::Sighting;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        self.client_id
    }

    fn is_signed_off(&self) -> bool {
        true
    }

    fn amends(&self) -> Option<Uuid> {
        self.amends
    }

    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        Some(self.seen_at.to_utc())
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.location.trim().is_empty() {
            return Err(DomainError::invalid("location", "say where the person was seen"));
        }
        if let Some(c) = self.coordinates
            && (!(-90.0..=90.0).contains(&c.lat) || !(-180.0..=180.0).contains(&c.lon))
        {
            return Err(DomainError::invalid("coordinates", "latitude -90..90 and longitude -180..180"));
        }
        if self.client_id.is_some() && !self.known_to_services {
            return Err(DomainError::invalid(
                "known_to_services",
                "a sighting linked to a client is known to services",
            ));
        }
        Ok(())
    }
}

/// Why two sightings may be the same person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// Both linked to the same client.
    SameClient,
    /// Alike (gender, age band) and seen at the same place.
    AlikeAndNearby,
}

/// A pair of sightings flagged for a worker to check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleDuplicate {
    /// One sighting.
    pub a: Uuid,
    /// The other.
    pub b: Uuid,
    /// Why they were paired.
    pub reason: DuplicateReason,
}

/// Sightings within this distance of each other count as 'nearby'.
pub const NEARBY_METRES: f64 = 150.0;

fn compatible<T: PartialEq>(a: T, b: T, unknown: T) -> bool {
    a == b || a == unknown || b == unknown
}

fn same_place(a: &Sighting, b: &Sighting) -> bool {
    if let (Some(x), Some(y)) = (a.coordinates, b.coordinates) {
        return x.metres_to(&y) <= NEARBY_METRES;
    }
    let norm = |s: &str| s.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
    norm(&a.location) == norm(&b.location)
}

/// Flags pairs of sightings on one count that may be the same person, for a
/// worker to confirm (by setting `same_as`) or dismiss. Pairs a worker has
/// already linked with `same_as` are not flagged again.
pub fn possible_duplicates(sightings: &[(Uuid, &Sighting)]) -> Vec<PossibleDuplicate> {
    let mut out = Vec::new();
    for (i, (id_a, a)) in sightings.iter().enumerate() {
        for (id_b, b) in &sightings[i + 1..] {
            if a.same_as == Some(*id_b) || b.same_as == Some(*id_a) {
                continue;
            }
            let reason = if a.client_id.is_some() && a.client_id == b.client_id {
                Some(DuplicateReason::SameClient)
            } else if (a.client_id.is_none() || b.client_id.is_none())
                && compatible(a.gender, b.gender, Gender::NotKnown)
                && compatible(a.age_band, b.age_band, AgeBand::NotKnown)
                && same_place(a, b)
            {
                Some(DuplicateReason::AlikeAndNearby)
            } else {
                None
            };
            if let Some(reason) = reason {
                out.push(PossibleDuplicate { a: *id_a, b: *id_b, reason });
            }
        }
    }
    out
}

/// The figures for one count: people seen sleeping rough, each person
/// counted once (sightings linked to the same client, or marked as the same
/// person, are merged), by gender, age band and nationality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CountTally {
    /// People counted.
    pub total: usize,
    /// Sightings recorded (including duplicates and people not sleeping rough).
    pub sightings: usize,
    /// Sightings merged into another as the same person.
    pub duplicates_removed: usize,
    /// By gender.
    pub by_gender: BTreeMap<Gender, usize>,
    /// By age band.
    pub by_age_band: BTreeMap<AgeBand, usize>,
    /// By nationality.
    pub by_nationality: BTreeMap<Nationality, usize>,
}

/// Counts the people in `sightings` (current versions only: amended
/// originals and deleted sightings must already be left out).
pub fn tally(sightings: &[(Uuid, &Sighting)]) -> CountTally {
    // Union-find over 'same person' links: the same client, or same_as.
    let index: HashMap<Uuid, usize> = sightings.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut parent: Vec<usize> = (0..sightings.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut by_client: HashMap<Uuid, usize> = HashMap::new();
    for (i, (_, s)) in sightings.iter().enumerate() {
        let mut links = Vec::new();
        if let Some(client) = s.client_id {
            links.push(*by_client.entry(client).or_insert(i));
        }
        if let Some(j) = s.same_as.and_then(|other| index.get(&other)) {
            links.push(*j);
        }
        for j in links {
            let (ri, rj) = (find(&mut parent, i), find(&mut parent, j));
            if ri != rj {
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut tally = CountTally { sightings: sightings.len(), ..Default::default() };
    let mut counted = vec![false; sightings.len()];
    let mut people = 0;
    for (i, (_, s)) in sightings.iter().enumerate() {
        let root = find(&mut parent, i);
        if root != i {
            tally.duplicates_removed += 1;
        }
        // A person counts if any of their sightings meets the definition;
        // the first such sighting gives their characteristics.
        if counted[root] || !s.rough_sleeping {
            continue;
        }
        counted[root] = true;
        people += 1;
        *tally.by_gender.entry(s.gender).or_default() += 1;
        *tally.by_age_band.entry(s.age_band).or_default() += 1;
        *tally.by_nationality.entry(s.nationality).or_default() += 1;
    }
    tally.total = people;
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sighting(gender: Gender, age: AgeBand, place: &str, client: Option<u128>) -> Sighting {
        Sighting {
            count_id: Uuid::nil(),
            seen_at: DateTime::parse_from_rfc3339("2026-11-12T01:30:00+00:00").unwrap(),
            location: place.into(),
            coordinates: None,
            gender,
            age_band: age,
            nationality: Nationality::Uk,
            rough_sleeping: true,
            known_to_services: client.is_some(),
            client_id: client.map(Uuid::from_u128),
            same_as: None,
            notes: None,
            recorded_by: "w".into(),
            amends: None,
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(1000 + n)
    }

    #[test]
    fn two_sightings_of_one_client_count_once() {
        let a = sighting(Gender::Male, AgeBand::From26, "Lime St station", Some(7));
        let b = sighting(Gender::Male, AgeBand::From26, "Bold St", Some(7));
        let c = sighting(Gender::Female, AgeBand::From18To25, "Church St", None);
        let list = [(id(1), &a), (id(2), &b), (id(3), &c)];
        let t = tally(&list);
        assert_eq!(t.total, 2);
        assert_eq!(t.sightings, 3);
        assert_eq!(t.duplicates_removed, 1);
        assert_eq!(t.by_gender[&Gender::Male], 1);
        assert_eq!(t.by_gender[&Gender::Female], 1);
        let dups = possible_duplicates(&list);
        assert_eq!(dups, vec![PossibleDuplicate { a: id(1), b: id(2), reason: DuplicateReason::SameClient }]);
    }

    #[test]
    fn same_as_links_merge_chains_and_people_not_sleeping_rough_are_not_counted() {
        let a = sighting(Gender::Male, AgeBand::NotKnown, "Doorway, Hanover St", None);
        let mut b = sighting(Gender::Male, AgeBand::From26, "Hanover St doorway", None);
        b.same_as = Some(id(1));
        let mut c = sighting(Gender::Male, AgeBand::From26, "Park", None);
        c.same_as = Some(id(2));
        let mut d = sighting(Gender::Female, AgeBand::From26, "Bus shelter", None);
        d.rough_sleeping = false;
        let list = [(id(1), &a), (id(2), &b), (id(3), &c), (id(4), &d)];
        let t = tally(&list);
        assert_eq!(t.total, 1);
        assert_eq!(t.duplicates_removed, 2);
        assert_eq!(t.by_age_band.get(&AgeBand::NotKnown), Some(&1));
        assert!(!t.by_gender.contains_key(&Gender::Female));
    }

    #[test]
    fn alike_and_nearby_sightings_are_flagged() {
        let mut a = sighting(Gender::Male, AgeBand::From26, "Williamson Sq", None);
        a.coordinates = Some(Coordinates { lat: 53.4075, lon: -2.9779 });
        let mut b = sighting(Gender::NotKnown, AgeBand::From26, "y", None);
        b.coordinates = Some(Coordinates { lat: 53.4080, lon: -2.9779 }); // ~55 m north
        let mut far = sighting(Gender::Male, AgeBand::From26, "z", None);
        far.coordinates = Some(Coordinates { lat: 53.42, lon: -2.9779 });
        let female = sighting(Gender::Female, AgeBand::From26, "X", None);
        let same_text = sighting(Gender::Male, AgeBand::From26, "  X ", None);
        let list = [(id(1), &a), (id(2), &b), (id(3), &far), (id(4), &female), (id(5), &same_text)];
        let dups = possible_duplicates(&list);
        let pairs: Vec<(Uuid, Uuid)> = dups.iter().map(|d| (d.a, d.b)).collect();
        assert_eq!(pairs, vec![(id(1), id(2))]);
        // same location text (normalised) without coordinates
        let list = [(id(5), &same_text), (id(6), &sighting(Gender::Male, AgeBand::NotKnown, "x", None))];
        assert_eq!(possible_duplicates(&list).len(), 1);
    }

    #[test]
    fn haversine_is_sane() {
        let a = Coordinates { lat: 53.4075, lon: -2.9779 };
        let b = Coordinates { lat: 53.4084, lon: -2.9779 };
        let m = a.metres_to(&b);
        assert!((95.0..105.0).contains(&m), "{m}");
    }
}
