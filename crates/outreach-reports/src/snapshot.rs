//! The street count (snapshot) return for one local authority and count
//! night [SNAP, see [`crate::definitions`]]: the approach, the count window,
//! the areas covered and the team, and the people seen sleeping rough by
//! gender, age band and nationality, each person counted once.
//!
//! People are counted by [`outreach_domain::count::tally`]: sightings
//! linked to the same client, or marked by a worker as the same person
//! (`same_as`, followed through chains), are one person; a person counts
//! if any of their sightings meets the rough sleeping definition, and the
//! first such sighting gives their characteristics. Several count records
//! for one authority and night (two teams counting different parts) make
//! one return, de-duplicated across them.

use crate::{Cell, Suppression};
use chrono::{DateTime, FixedOffset, NaiveDate};
use outreach_domain::count::tally;
use outreach_domain::{AgeBand, CountApproach, Gender, Nationality, Sighting, StreetCount};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The approach as the return words it.
pub fn approach_text(approach: CountApproach) -> &'static str {
    match approach {
        CountApproach::CountBased => "count-based estimate",
        CountApproach::EvidenceBased => "evidence-based estimate",
        CountApproach::EvidenceBasedWithSpotlight => "evidence-based estimate with a spotlight count",
    }
}

/// The return for one authority and night, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotReturn {
    /// The local authority.
    pub area: String,
    /// The night (the date the evening starts).
    pub night: NaiveDate,
    /// Whether the night falls in the autumn snapshot period (1 October – 30 November).
    pub in_autumn_period: bool,
    /// The approach (several if the count records disagree).
    pub approach: Vec<String>,
    /// When counting started (the earliest count's start).
    pub window_start: Option<DateTime<FixedOffset>>,
    /// When counting ended (the latest count's end).
    pub window_end: Option<DateTime<FixedOffset>>,
    /// The areas covered.
    pub areas_covered: Vec<String>,
    /// The workers taking part; empty where the viewer sees aggregates only.
    pub team: Vec<String>,
    /// How many workers took part.
    pub team_size: usize,
    /// Count records making up the return.
    pub counts: usize,
    /// People seen sleeping rough, each counted once.
    pub total: Cell,
    /// By gender: male, female, other (non-binary or another identity), not known.
    pub by_gender: [Cell; 4],
    /// By age band: under 18, 18–25, 26 and over, not known.
    pub by_age: [Cell; 4],
    /// By nationality: UK, EU (not UK), non-EU, not known.
    pub by_nationality: [Cell; 4],
    /// Sightings recorded (including duplicates and people not sleeping rough).
    pub sightings: Cell,
    /// Sightings merged into another as the same person.
    pub duplicates_removed: Cell,
    /// Sightings left out because they could not be read.
    pub unreadable: usize,
}

/// Gender columns, in order.
pub const GENDERS: [Gender; 4] = [Gender::Male, Gender::Female, Gender::NonBinary, Gender::NotKnown];
/// Age band columns, in order.
pub const AGE_BANDS: [AgeBand; 4] = [AgeBand::Under18, AgeBand::From18To25, AgeBand::From26, AgeBand::NotKnown];
/// Nationality columns, in order.
pub const NATIONALITIES: [Nationality; 4] =
    [Nationality::Uk, Nationality::Eu, Nationality::NonEu, Nationality::NotKnown];

fn get<K: Ord>(map: &BTreeMap<K, usize>, key: &K) -> u64 {
    map.get(key).copied().unwrap_or(0) as u64
}

fn to_array(cells: Vec<Cell>) -> [Cell; 4] {
    let mut out = [Cell::Count(0); 4];
    for (slot, cell) in out.iter_mut().zip(cells) {
        *slot = cell;
    }
    out
}

/// Whether `night` falls in the autumn snapshot period [SNAP].
pub fn in_autumn_period(night: NaiveDate) -> bool {
    use chrono::Datelike;
    matches!(night.month(), 10 | 11)
}

/// The return for `area` on `night` from its count records and their
/// current sightings (amended originals and deleted sightings left out).
pub fn snapshot(
    area: &str,
    night: NaiveDate,
    counts: &[(Uuid, StreetCount)],
    sightings: &[(Uuid, Sighting)],
    unreadable: usize,
    policy: Suppression,
) -> SnapshotReturn {
    let list: Vec<(Uuid, &Sighting)> = sightings.iter().map(|(id, s)| (*id, s)).collect();
    let t = tally(&list);
    let genders: Vec<u64> = GENDERS.iter().map(|g| get(&t.by_gender, g)).collect();
    let ages: Vec<u64> = AGE_BANDS.iter().map(|a| get(&t.by_age_band, a)).collect();
    let nations: Vec<u64> = NATIONALITIES.iter().map(|n| get(&t.by_nationality, n)).collect();
    let approach: BTreeSet<&str> = counts.iter().map(|(_, c)| approach_text(c.approach)).collect();
    let areas: BTreeSet<String> = counts.iter().map(|(_, c)| c.area.clone()).collect();
    let team: BTreeSet<String> = counts.iter().flat_map(|(_, c)| c.team.iter().map(|w| w.trim().to_string())).collect();
    let team_size = team.len();
    SnapshotReturn {
        area: area.to_string(),
        night,
        in_autumn_period: in_autumn_period(night),
        approach: approach.into_iter().map(str::to_string).collect(),
        window_start: counts.iter().map(|(_, c)| c.window_start).min(),
        window_end: counts.iter().map(|(_, c)| c.window_end).max(),
        areas_covered: if areas.is_empty() { vec![area.to_string()] } else { areas.into_iter().collect() },
        team: if policy.is_on() { vec![] } else { team.into_iter().collect() },
        team_size,
        counts: counts.len(),
        total: Cell::count(t.total as u64, policy),
        by_gender: to_array(Cell::group(&genders, policy)),
        by_age: to_array(Cell::group(&ages, policy)),
        by_nationality: to_array(Cell::group(&nations, policy)),
        sightings: Cell::count(t.sightings as u64, policy),
        duplicates_removed: Cell::count(t.duplicates_removed as u64, policy),
        unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).expect("time")
    }

    fn count() -> StreetCount {
        StreetCount {
            area: "Liverpool".into(),
            night_of: NaiveDate::from_ymd_opt(2026, 11, 12).expect("date"),
            window_start: at("2026-11-13T01:00:00+00:00"),
            window_end: at("2026-11-13T04:00:00+00:00"),
            team: vec!["amy".into(), "ben".into()],
            approach: CountApproach::CountBased,
            status: outreach_domain::CountStatus::Closed,
            closed_at: None,
        }
    }

    fn sighting(gender: Gender, client: Option<u128>) -> Sighting {
        Sighting {
            count_id: Uuid::nil(),
            seen_at: at("2026-11-13T01:30:00+00:00"),
            location: "Lime St".into(),
            coordinates: None,
            gender,
            age_band: AgeBand::From26,
            nationality: Nationality::Uk,
            rough_sleeping: true,
            known_to_services: client.is_some(),
            client_id: client.map(Uuid::from_u128),
            same_as: None,
            notes: None,
            recorded_by: "amy".into(),
            amends: None,
        }
    }

    #[test]
    fn two_sightings_of_one_person_count_once() {
        let night = NaiveDate::from_ymd_opt(2026, 11, 12).expect("date");
        let sightings = vec![
            (Uuid::from_u128(1), sighting(Gender::Male, Some(7))),
            (Uuid::from_u128(2), sighting(Gender::Male, Some(7))),
            (Uuid::from_u128(3), sighting(Gender::Female, None)),
        ];
        let r = snapshot("Liverpool", night, &[(Uuid::from_u128(9), count())], &sightings, 0, Suppression::None);
        assert_eq!(r.total, Cell::Count(2));
        assert_eq!(r.duplicates_removed, Cell::Count(1));
        assert_eq!(r.by_gender, [Cell::Count(1), Cell::Count(1), Cell::Count(0), Cell::Count(0)]);
        assert_eq!(r.team, vec!["amy", "ben"]);
        assert!(r.in_autumn_period);
        assert_eq!(r.approach, vec!["count-based estimate"]);
        let hidden =
            snapshot("Liverpool", night, &[(Uuid::from_u128(9), count())], &sightings, 0, Suppression::Below(5));
        assert_eq!(hidden.total, Cell::Suppressed);
        assert!(hidden.team.is_empty());
        assert_eq!(hidden.team_size, 2);
    }
}
