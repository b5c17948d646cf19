//! The monthly Rough Sleeping Data Framework figures for one local
//! authority, from per-person facts the server gathers with SQL. Each
//! indicator's definition is on [`Definitions`] (with its source).

use crate::{Cell, Definitions, Month, Suppression};
use chrono::NaiveDate;
use outreach_domain::LivingSituation;
use serde::Serialize;

/// What is known about one person seen sleeping rough in the authority in
/// the month. Holds no identity: the server keeps ids to itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// The first day they were seen sleeping rough in the month.
    pub first_seen: NaiveDate,
    /// The last day they were seen sleeping rough in the month.
    pub last_seen: NaiveDate,
    /// The last day they were seen sleeping rough in the authority before the month.
    pub last_seen_before: Option<NaiveDate>,
    /// Different days seen sleeping rough in the authority in the long-term
    /// window ([`Definitions::long_term_window_start`] to the month's end).
    pub window_days: u32,
    /// The first of those days.
    pub window_first: Option<NaiveDate>,
    /// The last day, on or before `last_seen`, a contact recorded their
    /// living situation as an institution.
    pub last_institution: Option<NaiveDate>,
}

/// How one person counts in the month's indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Classification {
    /// Not seen sleeping rough in the authority in the lookback.
    pub new: bool,
    /// Left an institution within the window before first seen.
    pub left_institution: bool,
    /// Sleeping rough long term.
    pub long_term: bool,
    /// Returning to rough sleeping after a gap.
    pub returner: bool,
}

/// Applies [`Definitions`] to one person.
pub fn classify(p: &PersonFacts, defs: &Definitions) -> Classification {
    let new = p.last_seen_before.is_none_or(|before| before < defs.lookback_start(p.first_seen));
    let left_institution =
        p.last_institution.is_some_and(|left| (p.first_seen - left).num_days() <= defs.institution_days as i64);
    let long_term = p.window_days >= defs.long_term_min_days
        && p.window_first.is_some_and(|first| (p.last_seen - first).num_days() >= defs.long_term_min_span_days as i64);
    let returner =
        !new && p.last_seen_before.is_some_and(|before| (p.first_seen - before).num_days() > defs.returner_gap_days);
    Classification { new, left_institution, long_term, returner }
}

/// One person who moved into accommodation in the month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveFacts {
    /// The first day in the month a contact recorded long-term accommodation.
    pub moved_on: NaiveDate,
    /// The living situation recorded by the contact before that, if any.
    pub previous: Option<LivingSituation>,
    /// The first day seen sleeping rough in the authority, from the start of
    /// the lookback before the month up to the move.
    pub first_seen: Option<NaiveDate>,
}

/// Whether a move counts for the time-to-accommodation indicator: the
/// person was seen sleeping rough, and was not already in long-term
/// accommodation. Returns the days from first seen to the move.
pub fn days_to_accommodation(m: &MoveFacts, defs: &Definitions) -> Option<i64> {
    if m.previous.is_some_and(|p| defs.is_long_term_accommodation(p)) {
        return None;
    }
    m.first_seen.map(|first| (m.moved_on - first).num_days()).filter(|d| *d >= 0)
}

/// The raw numbers behind [`FrameworkFigures`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FrameworkCounts {
    /// People seen sleeping rough over the month.
    pub seen: u64,
    /// The last count night in the month and the people counted on it.
    pub single_night: Option<(NaiveDate, u64)>,
    /// New people.
    pub new: u64,
    /// People who left an institution recently.
    pub left_institution: u64,
    /// People sleeping rough long term.
    pub long_term: u64,
    /// People returning to rough sleeping.
    pub returners: u64,
    /// Days from first seen to long-term accommodation, one per person who moved.
    pub days_to_accommodation: Vec<i64>,
}

impl FrameworkCounts {
    /// Counts `people` (one entry per person), `moves` and the month's count
    /// nights (`(night, people counted)`, any order).
    pub fn from_facts(
        people: &[PersonFacts],
        moves: &[MoveFacts],
        nights: &[(NaiveDate, u64)],
        defs: &Definitions,
    ) -> Self {
        let mut out = Self { seen: people.len() as u64, ..Self::default() };
        for p in people {
            let c = classify(p, defs);
            out.new += u64::from(c.new);
            out.left_institution += u64::from(c.left_institution);
            out.long_term += u64::from(c.long_term);
            out.returners += u64::from(c.returner);
        }
        out.days_to_accommodation = moves.iter().filter_map(|m| days_to_accommodation(m, defs)).collect();
        out.days_to_accommodation.sort_unstable();
        out.single_night = nights.iter().copied().max_by_key(|(night, _)| *night);
        out
    }
}

/// The median of sorted values.
pub fn median(sorted: &[i64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2] as f64),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0),
    }
}

/// The month's framework figures for one local authority, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameworkFigures {
    /// The local authority.
    pub area: String,
    /// The month.
    pub month: Month,
    /// People seen sleeping rough over the month.
    pub seen_over_month: Cell,
    /// People counted on the month's (last) count night.
    pub single_night: Cell,
    /// That night, if there was a count.
    pub single_night_date: Option<NaiveDate>,
    /// New people (not seen in the authority in the previous 60 months).
    pub new_people: Cell,
    /// People who left an institution within 85 days.
    pub left_institution: Cell,
    /// People sleeping rough long term.
    pub long_term: Cell,
    /// People returning to rough sleeping.
    pub returners: Cell,
    /// People who moved into long-term accommodation in the month.
    pub moved_to_long_term_accommodation: Cell,
    /// Median days from first seen sleeping rough to that move.
    pub days_to_accommodation_median: Cell,
    /// Mean days from first seen sleeping rough to that move.
    pub days_to_accommodation_mean: Cell,
}

impl FrameworkFigures {
    /// The figures from `counts`, suppressed by `policy`.
    pub fn new(area: &str, month: Month, counts: &FrameworkCounts, policy: Suppression) -> Self {
        let moved = counts.days_to_accommodation.len() as u64;
        let mean = (moved > 0).then(|| counts.days_to_accommodation.iter().sum::<i64>() as f64 / moved as f64);
        Self {
            area: area.to_string(),
            month,
            seen_over_month: Cell::count(counts.seen, policy),
            single_night: counts.single_night.map_or(Cell::NotAvailable, |(_, n)| Cell::count(n, policy)),
            single_night_date: counts.single_night.map(|(night, _)| night),
            new_people: Cell::count(counts.new, policy),
            left_institution: Cell::count(counts.left_institution, policy),
            long_term: Cell::count(counts.long_term, policy),
            returners: Cell::count(counts.returners, policy),
            moved_to_long_term_accommodation: Cell::count(moved, policy),
            days_to_accommodation_median: Cell::average(median(&counts.days_to_accommodation), moved, policy),
            days_to_accommodation_mean: Cell::average(mean, moved, policy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Days;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn person(first: NaiveDate) -> PersonFacts {
        PersonFacts {
            first_seen: first,
            last_seen: first,
            last_seen_before: None,
            window_days: 1,
            window_first: Some(first),
            last_institution: None,
        }
    }

    #[test]
    fn new_is_decided_by_the_60_month_lookback() {
        let defs = Definitions::default();
        let first = d(2026, 11, 12);
        assert!(classify(&person(first), &defs).new, "no history: new");
        let exactly = PersonFacts { last_seen_before: Some(d(2021, 11, 12)), ..person(first) };
        assert!(!classify(&exactly, &defs).new, "seen exactly 60 months before is within the lookback");
        assert!(classify(&exactly, &defs).returner, "and, after a long gap, a returner");
        let older = PersonFacts { last_seen_before: Some(d(2021, 11, 11)), ..person(first) };
        assert!(classify(&older, &defs).new, "60 months and a day before: new");
        assert!(!classify(&older, &defs).returner, "new people are not returners");
    }

    #[test]
    fn institution_leavers_within_85_days() {
        let defs = Definitions::default();
        let first = d(2026, 11, 12);
        let left =
            |days: u64| PersonFacts { last_institution: first.checked_sub_days(Days::new(days)), ..person(first) };
        assert!(classify(&left(85), &defs).left_institution, "85 days after release counts");
        assert!(!classify(&left(86), &defs).left_institution, "86 does not");
        assert!(classify(&left(0), &defs).left_institution);
    }

    #[test]
    fn long_term_and_returners() {
        let defs = Definitions::default();
        let first = d(2026, 11, 3);
        let p = PersonFacts {
            last_seen: d(2026, 11, 20),
            window_days: 3,
            window_first: Some(d(2026, 10, 30)),
            ..person(first)
        };
        assert!(classify(&p, &defs).long_term, "3 days over 21 days");
        let short = PersonFacts { window_first: Some(d(2026, 10, 31)), ..p.clone() };
        assert!(!classify(&short, &defs).long_term, "3 days over 20 days");
        let few = PersonFacts { window_days: 2, ..p.clone() };
        assert!(!classify(&few, &defs).long_term);
        let gap =
            |days: u64| PersonFacts { last_seen_before: first.checked_sub_days(Days::new(days)), ..person(first) };
        assert!(!classify(&gap(90), &defs).returner, "seen 90 days before: not returning");
        assert!(classify(&gap(91), &defs).returner);
    }

    #[test]
    fn counts_and_figures() {
        let defs = Definitions::default();
        let people: Vec<PersonFacts> = (1..=6).map(|i| person(d(2026, 11, i))).collect();
        let moves = vec![
            MoveFacts {
                moved_on: d(2026, 11, 20),
                previous: Some(LivingSituation::Hostel),
                first_seen: Some(d(2026, 11, 10)),
            },
            MoveFacts { moved_on: d(2026, 11, 21), previous: None, first_seen: Some(d(2026, 10, 1)) },
            MoveFacts {
                moved_on: d(2026, 11, 22),
                previous: Some(LivingSituation::OwnTenancy),
                first_seen: Some(d(2026, 1, 1)),
            },
            MoveFacts { moved_on: d(2026, 11, 23), previous: None, first_seen: None },
        ];
        let nights = [(d(2026, 11, 5), 4), (d(2026, 11, 19), 7)];
        let counts = FrameworkCounts::from_facts(&people, &moves, &nights, &defs);
        assert_eq!((counts.seen, counts.new, counts.returners), (6, 6, 0));
        assert_eq!(counts.days_to_accommodation, vec![10, 51]);
        assert_eq!(counts.single_night, Some((d(2026, 11, 19), 7)));
        let month = Month::parse("2026-11").expect("month");
        let shown = FrameworkFigures::new("Liverpool", month, &counts, Suppression::None);
        assert_eq!(shown.days_to_accommodation_median, Cell::Number(30.5));
        assert_eq!(shown.moved_to_long_term_accommodation, Cell::Count(2));
        let hidden = FrameworkFigures::new("Liverpool", month, &counts, Suppression::Below(5));
        assert_eq!(hidden.seen_over_month, Cell::Count(6));
        assert_eq!(hidden.moved_to_long_term_accommodation, Cell::Suppressed);
        assert_eq!(hidden.days_to_accommodation_median, Cell::Suppressed);
        assert_eq!(median(&[1, 2, 3]), Some(2.0));
    }
}
