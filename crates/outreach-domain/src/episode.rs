//! Support episodes and their time limits.

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The stage of support a person is in. Several commissioned models limit
/// how long a stage may last; the limits here follow the service
/// specifications this product is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportStage {
    /// Assertive street outreach: engagement, no fixed limit.
    Outreach,
    /// Intensive short-term enablement after a crisis: up to 6 weeks.
    Enablement,
    /// Support following enablement: up to 6 months in total from the
    /// start of the episode.
    Support,
    /// 24-hour supported accommodation (stage 1): up to 6 months.
    SupportedAccommodation,
    /// Supported housing (stage 2): up to 2 years, move-on expected within 12 months.
    SupportedHousing,
    /// Floating support in the person's own home (stage 3): no fixed limit.
    FloatingSupport,
}

impl SupportStage {
    /// The last day the stage may run, for an episode that started on `start`.
    pub fn limit_end(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Self::Outreach | Self::FloatingSupport => None,
            Self::Enablement => start.checked_add_days(Days::new(6 * 7)),
            Self::Support | Self::SupportedAccommodation => start.checked_add_months(Months::new(6)),
            Self::SupportedHousing => start.checked_add_months(Months::new(24)),
        }
    }
}

/// A period of support at one stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Episode {
    /// The stage.
    pub stage: SupportStage,
    /// First day of the episode (for `Support`, the start of enablement,
    /// since the 6 months are counted in total).
    pub started_on: NaiveDate,
    /// Last day, once it has ended.
    pub ended_on: Option<NaiveDate>,
}

/// Where an episode stands against its time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EpisodeStatus {
    /// The stage has no time limit.
    NoLimit,
    /// Running, more than the warning window left.
    Within {
        /// Last day allowed.
        ends_on: NaiveDate,
        /// Days left including today.
        days_left: i64,
    },
    /// Running, within the warning window of its limit: plan the next step.
    NearingEnd {
        /// Last day allowed.
        ends_on: NaiveDate,
        /// Days left including today.
        days_left: i64,
    },
    /// Running past its limit.
    Exceeded {
        /// Last day allowed.
        ends_on: NaiveDate,
        /// Days past the limit.
        days_over: i64,
    },
    /// The episode has ended.
    Ended,
}

impl Episode {
    /// Days before the limit at which an episode is shown as nearing its end.
    pub const WARNING_DAYS: i64 = 14;

    /// The episode's standing on `today`.
    pub fn status(&self, today: NaiveDate) -> EpisodeStatus {
        if self.ended_on.is_some_and(|e| e <= today) {
            return EpisodeStatus::Ended;
        }
        let Some(ends_on) = self.stage.limit_end(self.started_on) else {
            return EpisodeStatus::NoLimit;
        };
        let days_left = (ends_on - today).num_days();
        if days_left < 0 {
            EpisodeStatus::Exceeded { ends_on, days_over: -days_left }
        } else if days_left <= Self::WARNING_DAYS {
            EpisodeStatus::NearingEnd { ends_on, days_left }
        } else {
            EpisodeStatus::Within { ends_on, days_left }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn limits_per_stage() {
        let start = d(2026, 1, 31);
        assert_eq!(SupportStage::Enablement.limit_end(start), Some(d(2026, 3, 14)));
        assert_eq!(SupportStage::Support.limit_end(start), Some(d(2026, 7, 31)));
        // month arithmetic clamps to the month's end
        assert_eq!(SupportStage::SupportedAccommodation.limit_end(d(2026, 8, 31)), Some(d(2027, 2, 28)));
        assert_eq!(SupportStage::SupportedHousing.limit_end(start), Some(d(2028, 1, 31)));
        assert_eq!(SupportStage::Outreach.limit_end(start), None);
        assert_eq!(SupportStage::FloatingSupport.limit_end(start), None);
    }

    #[test]
    fn status_table() {
        let e = Episode { stage: SupportStage::Enablement, started_on: d(2026, 1, 1), ended_on: None };
        let end = d(2026, 2, 12);
        assert_eq!(e.status(d(2026, 1, 1)), EpisodeStatus::Within { ends_on: end, days_left: 42 });
        assert_eq!(e.status(d(2026, 1, 28)), EpisodeStatus::Within { ends_on: end, days_left: 15 });
        assert_eq!(e.status(d(2026, 1, 29)), EpisodeStatus::NearingEnd { ends_on: end, days_left: 14 });
        assert_eq!(e.status(end), EpisodeStatus::NearingEnd { ends_on: end, days_left: 0 });
        assert_eq!(e.status(d(2026, 2, 13)), EpisodeStatus::Exceeded { ends_on: end, days_over: 1 });
        let ended = Episode { ended_on: Some(d(2026, 1, 20)), ..e };
        assert_eq!(ended.status(d(2026, 1, 19)), EpisodeStatus::Within { ends_on: end, days_left: 24 });
        assert_eq!(ended.status(d(2026, 3, 1)), EpisodeStatus::Ended);
        let open = Episode { stage: SupportStage::Outreach, ..e };
        assert_eq!(open.status(d(2030, 1, 1)), EpisodeStatus::NoLimit);
    }
}
