//! Monthly monitoring for commissioners, per local authority: aggregates
//! only, with counts under 5 suppressed (see [`crate::cell`]).
//!
//! Definitions (the core service specification asks for 'monthly
//! monitoring' without fixing them, so they are written down here):
//! - **active caseload**: client records in the authority open on the
//!   month's last day (referred on or before it, not closed before it);
//! - **new cases**: clients whose referral date falls in the month;
//! - **closed cases**: clients whose case was closed in the month;
//! - **contacts by type**: contacts in the month, by how they happened;
//! - **moves off the street**: people whose contact in the month recorded
//!   accommodation ([`crate::Definitions::accommodation`]) right after a
//!   contact that recorded rough sleeping;
//! - **Housing First referrals**: action plans started in the month that
//!   name the Housing First agency;
//! - **risk assessments completed**: completed (signed-off) assessments
//!   made in the month; **overdue**: open cases whose latest completed
//!   assessment's review date had passed by the month's last day;
//! - **goals achieved**: action-plan goals marked achieved whose record was
//!   last changed in the month (goals carry no achievement date);
//! - **outcome movement**: for each person and outcome area scored in the
//!   month, the month's latest score less the first score ever recorded;
//!   the average over those.
//!
//! Amended records count once, as their amendment; deleted and erased
//! records not at all.

use crate::{Cell, Month, Suppression};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// Contact types, in column order (the domain's `ContactType` tags).
pub const CONTACT_TYPES: [&str; 4] = ["face_to_face", "phone", "outreach_shift", "other"];

/// The month's raw numbers, as the server counts them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct MonitoringInputs {
    /// Open cases on the month's last day.
    pub active_caseload: u64,
    /// Referred in the month.
    pub new_cases: u64,
    /// Closed in the month.
    pub closed_cases: u64,
    /// Contacts by [`CONTACT_TYPES`]; unknown types count as `other`.
    pub contacts_by_type: [u64; 4],
    /// People who moved off the street into accommodation.
    pub moves_into_accommodation: u64,
    /// Housing First referrals.
    pub housing_first_referrals: u64,
    /// Risk assessments completed in the month.
    pub risk_completed: u64,
    /// Open cases with an overdue risk review at the month's end.
    pub risk_overdue: u64,
    /// Goals achieved.
    pub goals_achieved: u64,
    /// Movement on the 1–10 scale, one per person and outcome area scored in the month.
    pub movements: Vec<i32>,
}

impl MonitoringInputs {
    /// Adds `n` contacts of type `tag` (an unknown tag counts as `other`).
    pub fn add_contacts(&mut self, tag: Option<&str>, n: u64) {
        let i = tag.and_then(|t| CONTACT_TYPES.iter().position(|c| *c == t)).unwrap_or(3);
        self.contacts_by_type[i] += n;
    }
}

/// One outcome score, as the server reads it (no identity beyond an opaque key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreRow {
    /// An opaque key for the person.
    pub person: String,
    /// Outcome area key.
    pub area: String,
    /// When it was recorded.
    pub day: NaiveDate,
    /// The score, 1–10.
    pub score: i32,
}

/// Movement per person and outcome area scored in `month`: the latest
/// score in the month less the first ever (scores after the month are
/// ignored).
pub fn outcome_movements(rows: &[ScoreRow], month: Month) -> Vec<i32> {
    let mut series: BTreeMap<(&str, &str), Vec<(NaiveDate, i32)>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.day <= month.last_day()) {
        series.entry((r.person.as_str(), r.area.as_str())).or_default().push((r.day, r.score));
    }
    series
        .into_values()
        .filter_map(|mut s| {
            s.sort();
            let last = s.last().copied()?;
            (last.0 >= month.first_day()).then(|| last.1 - s[0].1)
        })
        .collect()
}

/// The month's monitoring figures for one local authority, as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonitoringFigures {
    /// The local authority.
    pub area: String,
    /// The month.
    pub month: Month,
    /// Open cases on the month's last day.
    pub active_caseload: Cell,
    /// New cases.
    pub new_cases: Cell,
    /// Closed cases.
    pub closed_cases: Cell,
    /// Contacts, all types.
    pub contacts: Cell,
    /// Contacts by type ([`CONTACT_TYPES`]).
    pub contacts_by_type: [Cell; 4],
    /// Moves off the street into accommodation.
    pub moves_into_accommodation: Cell,
    /// Housing First referrals.
    pub housing_first_referrals: Cell,
    /// Risk assessments completed.
    pub risk_assessments_completed: Cell,
    /// Risk reviews overdue.
    pub risk_reviews_overdue: Cell,
    /// Goals achieved.
    pub goals_achieved: Cell,
    /// People and areas scored in the month.
    pub outcome_scored: Cell,
    /// Average movement on the 1–10 scale.
    pub outcome_average_movement: Cell,
}

impl MonitoringFigures {
    /// The figures from `inputs`, suppressed by `policy`.
    pub fn new(area: &str, month: Month, inputs: &MonitoringInputs, policy: Suppression) -> Self {
        let scored = inputs.movements.len() as u64;
        let average = (scored > 0).then(|| inputs.movements.iter().map(|m| f64::from(*m)).sum::<f64>() / scored as f64);
        let by_type = Cell::group(&inputs.contacts_by_type, policy);
        let mut contacts_by_type = [Cell::Count(0); 4];
        for (slot, c) in contacts_by_type.iter_mut().zip(by_type) {
            *slot = c;
        }
        Self {
            area: area.to_string(),
            month,
            active_caseload: Cell::count(inputs.active_caseload, policy),
            new_cases: Cell::count(inputs.new_cases, policy),
            closed_cases: Cell::count(inputs.closed_cases, policy),
            contacts: Cell::count(inputs.contacts_by_type.iter().sum(), policy),
            contacts_by_type,
            moves_into_accommodation: Cell::count(inputs.moves_into_accommodation, policy),
            housing_first_referrals: Cell::count(inputs.housing_first_referrals, policy),
            risk_assessments_completed: Cell::count(inputs.risk_completed, policy),
            risk_reviews_overdue: Cell::count(inputs.risk_overdue, policy),
            goals_achieved: Cell::count(inputs.goals_achieved, policy),
            outcome_scored: Cell::count(scored, policy),
            outcome_average_movement: Cell::average(average, scored, policy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(person: &str, area: &str, day: u32, month: u32, score: i32) -> ScoreRow {
        ScoreRow {
            person: person.into(),
            area: area.into(),
            day: NaiveDate::from_ymd_opt(2026, month, day).expect("date"),
            score,
        }
    }

    #[test]
    fn movement_is_latest_in_month_less_first_ever() {
        let month = Month::parse("2026-11").expect("month");
        let rows = vec![
            row("a", "money", 1, 9, 2),
            row("a", "money", 5, 11, 5),
            row("a", "money", 20, 11, 6),
            row("a", "money", 2, 12, 9),  // after the month: ignored
            row("a", "social", 1, 10, 4), // not scored in the month
            row("b", "money", 3, 11, 7),  // only score: movement 0
        ];
        let mut m = outcome_movements(&rows, month);
        m.sort();
        assert_eq!(m, vec![0, 4]);
    }

    #[test]
    fn small_figures_are_suppressed_for_commissioners() {
        let month = Month::parse("2026-11").expect("month");
        let mut inputs =
            MonitoringInputs { active_caseload: 40, new_cases: 3, movements: vec![1, 2, 3], ..Default::default() };
        inputs.add_contacts(Some("phone"), 12);
        inputs.add_contacts(Some("face_to_face"), 2);
        inputs.add_contacts(Some("telepathy"), 9);
        let f = MonitoringFigures::new("Sefton", month, &inputs, Suppression::Below(5));
        assert_eq!(f.active_caseload, Cell::Count(40));
        assert_eq!(f.new_cases, Cell::Suppressed);
        assert_eq!(f.contacts, Cell::Count(23));
        assert_eq!(f.contacts_by_type, [Cell::Suppressed, Cell::Count(12), Cell::Count(0), Cell::Suppressed]);
        assert_eq!(f.outcome_average_movement, Cell::Suppressed);
        let open = MonitoringFigures::new("Sefton", month, &inputs, Suppression::None);
        assert_eq!(open.outcome_average_movement, Cell::Number(2.0));
    }
}
