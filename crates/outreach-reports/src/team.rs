//! The team lead's view: for each worker in a team, their caseload and
//! what needs attention on a given day.
//!
//! - **caseload**: clients held by a caseload assignment in force on the
//!   day (started on or before it, not ended before it) whose case is open;
//! - **overdue reviews** / **reviews due soon**: those clients whose latest
//!   completed risk assessment's review date has passed / falls within
//!   7 days ([`outreach_domain::risk::review_status`]);
//! - **no risk assessment**: those clients with no completed assessment;
//! - **episodes at their time limit**: those clients whose support episode
//!   is within 14 days of its limit or past it
//!   ([`outreach_domain::Episode::status`]; the limits follow the service
//!   specifications: enablement 6 weeks, support 6 months in total,
//!   supported accommodation 6 months, supported housing 2 years).

use chrono::NaiveDate;
use outreach_domain::risk::review_status;
use outreach_domain::{Episode, EpisodeStatus, ReviewStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// One client on one worker's caseload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The worker holding the case.
    pub worker: String,
    /// The latest completed risk assessment's review date.
    pub review_due: Option<NaiveDate>,
    /// The client's current support episode.
    pub episode: Option<Episode>,
}

/// One worker's line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WorkerRow {
    /// The worker's user name.
    pub worker: String,
    /// Clients held.
    pub caseload: u64,
    /// Risk reviews overdue.
    pub reviews_overdue: u64,
    /// Risk reviews due within 7 days.
    pub reviews_due_soon: u64,
    /// Clients with no completed risk assessment.
    pub no_risk_assessment: u64,
    /// Episodes within 14 days of their time limit.
    pub episodes_nearing_limit: u64,
    /// Episodes past their time limit.
    pub episodes_over_limit: u64,
}

/// The view for one team on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamView {
    /// The team.
    pub team: String,
    /// The day.
    pub on: NaiveDate,
    /// One row per worker, by name.
    pub workers: Vec<WorkerRow>,
}

impl TeamView {
    /// The view for `members` (every one gets a row, even with no cases)
    /// from the cases they hold on `on`.
    pub fn new(team: &str, on: NaiveDate, members: &[String], cases: &[CaseFacts]) -> Self {
        let mut rows: BTreeMap<String, WorkerRow> =
            members.iter().map(|m| (m.clone(), WorkerRow { worker: m.clone(), ..WorkerRow::default() })).collect();
        for c in cases {
            let row = rows
                .entry(c.worker.clone())
                .or_insert_with(|| WorkerRow { worker: c.worker.clone(), ..WorkerRow::default() });
            row.caseload += 1;
            match c.review_due.map(|due| review_status(due, on)) {
                None => row.no_risk_assessment += 1,
                Some(ReviewStatus::Overdue { .. }) => row.reviews_overdue += 1,
                Some(ReviewStatus::DueSoon { .. }) => row.reviews_due_soon += 1,
                Some(ReviewStatus::Current { .. }) => {}
            }
            match c.episode.map(|e| e.status(on)) {
                Some(EpisodeStatus::NearingEnd { .. }) => row.episodes_nearing_limit += 1,
                Some(EpisodeStatus::Exceeded { .. }) => row.episodes_over_limit += 1,
                _ => {}
            }
        }
        Self { team: team.to_string(), on, workers: rows.into_values().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_domain::SupportStage;

    #[test]
    fn rows_per_worker() {
        let on = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        let cases = vec![
            CaseFacts { worker: "amy".into(), review_due: Some(d(11, 29)), episode: None },
            CaseFacts {
                worker: "amy".into(),
                review_due: Some(d(12, 3)),
                episode: Some(Episode { stage: SupportStage::Enablement, started_on: d(10, 25), ended_on: None }),
            },
            CaseFacts {
                worker: "amy".into(),
                review_due: None,
                episode: Some(Episode { stage: SupportStage::Enablement, started_on: d(10, 1), ended_on: None }),
            },
        ];
        let view = TeamView::new("Liverpool Outreach", on, &["amy".into(), "ben".into()], &cases);
        assert_eq!(view.workers.len(), 2);
        let amy = &view.workers[0];
        assert_eq!((amy.caseload, amy.reviews_overdue, amy.reviews_due_soon, amy.no_risk_assessment), (3, 1, 1, 1));
        assert_eq!((amy.episodes_nearing_limit, amy.episodes_over_limit), (1, 1));
        assert_eq!(view.workers[1], WorkerRow { worker: "ben".into(), ..WorkerRow::default() });
    }
}
