//! Every definition the reports use, in one configurable place, each with
//! its source. `docs/reports.md` repeats them for people who do not read code.
//!
//! Sources:
//! - **[RSDF]** Centre for Homelessness Impact, *Ending rough sleeping data
//!   framework* (the indicators adopted by the department, March 2022), and
//!   the department's quarterly publications *Ending Rough Sleeping Data
//!   Framework* (gov.uk, from 2023).
//! - **[SNAP]** gov.uk, *Rough sleeping snapshot in England*, technical
//!   reports (autumn 2019, 2021, 2023).
//!
//! Where a source's exact rule could not be confirmed, the default here says
//! so and is a setting, not a guess baked into the code.

use chrono::{Days, Months, NaiveDate};
use outreach_domain::LivingSituation;
use serde::{Deserialize, Serialize};

/// The settings behind the framework figures. [`Definitions::default`] is
/// what the server uses; each field says where its default comes from.
///
/// An operator changes them with a JSON file given to the server's
/// `--report-definitions` option: any field left out keeps its default, and
/// an unknown field is refused (so a misspelt setting cannot go unnoticed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Definitions {
    /// **New people** [RSDF]: a person seen sleeping rough in the month is
    /// *new* when they were not seen sleeping rough in the local authority in
    /// the 60 months (5 calendar years) before the first day they were seen
    /// in the month. Seen exactly 60 months before that day is *within* the
    /// lookback (not new); 60 months and a day before is outside it (new).
    /// Without 5 years of history, a first sighting counts as new, as the
    /// framework asks.
    pub new_lookback_months: u32,
    /// **Left an institution recently** [RSDF]: discharged from prison
    /// (adult or youth), hospital, asylum accommodation or care within the
    /// last 85 days (12 weeks + 1 day). Outreach has no discharge date, so the
    /// day of the last contact that recorded the person's living situation as
    /// one of those institutions (on or before the last day they were seen
    /// sleeping rough in the month) stands for it: the person counts when
    /// that day is at most 85 days before the first day they were seen in the
    /// month (85 days after counts, 86 does not).
    pub institution_days: u64,
    /// **Long term** [RSDF names the indicator; its exact rule could not be
    /// confirmed from the sources held, so this is a setting]: seen sleeping
    /// rough on at least this many different days...
    pub long_term_min_days: u32,
    /// ...the first and the last at least this many days apart...
    pub long_term_min_span_days: u64,
    /// ...within this many days ending on the last day of the month
    /// (default: 3 days over 3 weeks or more within 12 months, after the
    /// 'living on the streets' measure London's CHAIN reports use).
    pub long_term_window_days: u64,
    /// **Returning to rough sleeping** [RSDF names the indicator; rule not
    /// confirmed, so a setting]: seen in the month, not new, and not seen
    /// sleeping rough in the authority for more than this many days before
    /// the first day seen in the month (default 90).
    pub returner_gap_days: i64,
    /// **Long-term accommodation** [RSDF]: accommodation intended to last 6
    /// months or more. The living situations counted as such (default: a
    /// tenancy of one's own, living with family long term; stage 1 supported
    /// accommodation lasts up to 6 months and is left out).
    pub long_term_accommodation: Vec<LivingSituation>,
    /// **Moves off the street** (monitoring): the living situations counted
    /// as accommodation when a contact records one straight after one that
    /// recorded rough sleeping.
    pub accommodation: Vec<LivingSituation>,
    /// The agency whose referrals the monitoring counts as Housing First
    /// referrals (matched case-insensitively against action plans' agencies).
    pub housing_first_agency: String,
    /// Counts under this are suppressed where the viewer sees aggregates only.
    pub suppress_below: u64,
}

impl Default for Definitions {
    fn default() -> Self {
        use LivingSituation::*;
        Self {
            new_lookback_months: 60,
            institution_days: 85,
            long_term_min_days: 3,
            long_term_min_span_days: 21,
            long_term_window_days: 365,
            returner_gap_days: 90,
            long_term_accommodation: vec![OwnTenancy, WithFamily],
            accommodation: vec![Hostel, EmergencyAccommodation, SupportedAccommodation, OwnTenancy, WithFamily],
            housing_first_agency: "Housing First".into(),
            suppress_below: 5,
        }
    }
}

impl Definitions {
    /// The first day of the 'new' lookback for a person first seen in the
    /// month on `first_seen`: being seen on or after it means *not* new.
    /// Month arithmetic clamps to the month's end (29 February less 60
    /// months is 28 February).
    pub fn lookback_start(&self, first_seen: NaiveDate) -> NaiveDate {
        first_seen.checked_sub_months(Months::new(self.new_lookback_months)).unwrap_or(NaiveDate::MIN)
    }

    /// The first day of the long-term window for a month ending on `last_day`.
    pub fn long_term_window_start(&self, last_day: NaiveDate) -> NaiveDate {
        last_day.checked_sub_days(Days::new(self.long_term_window_days.saturating_sub(1))).unwrap_or(NaiveDate::MIN)
    }

    /// Whether `situation` is long-term accommodation.
    pub fn is_long_term_accommodation(&self, situation: LivingSituation) -> bool {
        self.long_term_accommodation.contains(&situation)
    }

    /// Whether `situation` is accommodation (for moves off the street).
    pub fn is_accommodation(&self, situation: LivingSituation) -> bool {
        self.accommodation.contains(&situation)
    }
}

/// The storage tag of a living situation (as records hold it).
pub fn situation_tag(situation: LivingSituation) -> String {
    serde_json::to_value(situation).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Reads a living situation's storage tag.
pub fn parse_situation(tag: &str) -> Option<LivingSituation> {
    serde_json::from_value(serde_json::Value::String(tag.to_string())).ok()
}

/// The institutions whose leavers the framework counts [RSDF], as the
/// domain names them ([`LivingSituation::is_institution`]).
pub fn institutions() -> Vec<LivingSituation> {
    use LivingSituation::*;
    [Prison, Hospital, AsylumAccommodation, Care].into_iter().filter(|s| s.is_institution()).collect()
}

/// **Seen sleeping rough** [RSDF, SNAP]: sleeping, about to bed down or
/// bedded down in the open air or in places not designed for habitation.
/// Outreach takes it from two kinds of record: a contact on which the
/// worker saw the person bedded down (`bedded_down`), and a street-count
/// sighting that meets the definition (`rough_sleeping`) and is linked to a
/// client. The day is the date the worker saw, in their own time zone.
/// Contacts belong to the local authority of the client's record; sightings
/// to their count's authority.
pub const SEEN_SLEEPING_ROUGH: &str = "a contact with the person seen bedded down, or a count sighting that meets the rough sleeping definition and is linked to the client";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults_and_a_misspelt_field_is_refused() {
        let defs: Definitions = serde_json::from_str(r#"{ "returner_gap_days": 180 }"#).expect("partial");
        assert_eq!(defs.returner_gap_days, 180);
        assert_eq!(Definitions { returner_gap_days: 90, ..defs }, Definitions::default());
        let err = serde_json::from_str::<Definitions>(r#"{ "returner_gap_dayz": 180 }"#).expect_err("unknown field");
        assert!(err.to_string().contains("returner_gap_dayz"), "{err}");
    }

    #[test]
    fn lookback_and_windows() {
        let defs = Definitions::default();
        assert_eq!(defs.lookback_start(d(2026, 11, 12)), d(2021, 11, 12));
        assert_eq!(defs.lookback_start(d(2028, 2, 29)), d(2023, 2, 28));
        assert_eq!(defs.long_term_window_start(d(2026, 11, 30)), d(2025, 12, 1));
        assert_eq!(situation_tag(LivingSituation::AsylumAccommodation), "asylum_accommodation");
        assert_eq!(parse_situation("own_tenancy"), Some(LivingSituation::OwnTenancy));
        assert_eq!(parse_situation("castle"), None);
        assert_eq!(institutions().len(), 4);
        assert!(defs.is_long_term_accommodation(LivingSituation::OwnTenancy));
        assert!(!defs.is_long_term_accommodation(LivingSituation::SupportedAccommodation));
    }
}
