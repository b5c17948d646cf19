//! Who may see which report.
//!
//! - **Team leads** see every report for the areas their teams cover, and
//!   the team lead view of the teams they belong to, with every figure shown.
//! - **Commissioners** see aggregates only: the count return, the framework
//!   figures, monitoring and the trend, for the areas of the teams they are
//!   placed in (an administrator adds a commissioner to the team, or teams,
//!   covering the authorities they commission), with counts under 5
//!   suppressed and no worker names. Never the per-worker team view.
//! - **Workers** and **administrators** (without one of those roles) are
//!   refused: workers see their own caseload in the app; administrators
//!   manage accounts, and can run `outreach-server report` at the server.
//!
//! Every refusal is audited as `report_denied`, with the reason.

use super::ReportRequest;
use crate::scope::area_key;
use outreach_protocol::api::Role;
use outreach_reports::{Definitions, Suppression};
use std::collections::{BTreeMap, BTreeSet};

/// What a signed-in user's roles and teams allow.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewerScope {
    /// The user's roles.
    pub roles: Vec<Role>,
    /// The teams they belong to, by name.
    pub teams: BTreeSet<String>,
    /// Areas their teams cover: area key to the name as the team typed it.
    pub areas: BTreeMap<String, String>,
}

impl ViewerScope {
    /// The areas' names, in key order.
    pub fn area_names(&self) -> Vec<String> {
        self.areas.values().cloned().collect()
    }

    fn covers(&self, areas: &[String]) -> Result<(), String> {
        for area in areas {
            if !self.areas.contains_key(&area_key(area)) {
                let mine = self.area_names();
                let mine = if mine.is_empty() { "none".to_string() } else { mine.join(", ") };
                return Err(format!(
                    "you may see reports only for the areas your teams cover ({mine}), not '{}'; ask an administrator to add you to the team covering it",
                    area.trim()
                ));
            }
        }
        Ok(())
    }
}

/// What may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// Every figure.
    Full,
    /// Aggregates only: small counts suppressed, no worker names.
    Aggregate,
}

impl Grant {
    /// The suppression that goes with the grant.
    pub fn suppression(self, defs: &Definitions) -> Suppression {
        match self {
            Self::Full => Suppression::None,
            Self::Aggregate => Suppression::Below(defs.suppress_below),
        }
    }
}

/// Decides whether `scope` may have `request` (over `areas`), and how much
/// of it; `Err` says why not, in words for the person refused.
pub fn decide(scope: &ViewerScope, request: &ReportRequest, areas: &[String]) -> Result<Grant, String> {
    let lead = scope.roles.contains(&Role::TeamLead);
    let commissioner = scope.roles.contains(&Role::Commissioner);
    if let ReportRequest::Team { team, .. } = request {
        if !lead {
            return Err("the team view is for team leads; your role does not include it".into());
        }
        if !scope.teams.iter().any(|t| t.eq_ignore_ascii_case(team.trim())) {
            return Err(format!("you may see the team view only of your own teams, not '{}'", team.trim()));
        }
        return Ok(Grant::Full);
    }
    if !lead && !commissioner {
        return Err("reports are for team leads and commissioners; your role does not include them".into());
    }
    scope.covers(areas)?;
    Ok(if lead { Grant::Full } else { Grant::Aggregate })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use outreach_reports::Month;

    fn scope(roles: &[Role]) -> ViewerScope {
        ViewerScope {
            roles: roles.to_vec(),
            teams: ["Liverpool Outreach".to_string()].into(),
            areas: [("liverpool".to_string(), "Liverpool".to_string())].into(),
        }
    }

    #[test]
    fn roles_and_areas_decide() {
        let month = Month::parse("2026-11").expect("month");
        let framework = |area: &str| ReportRequest::Framework { area: area.into(), month };
        let areas = |a: &str| vec![a.to_string()];
        assert_eq!(decide(&scope(&[Role::TeamLead]), &framework("liverpool"), &areas("liverpool")), Ok(Grant::Full));
        assert_eq!(
            decide(&scope(&[Role::Commissioner]), &framework("Liverpool"), &areas("Liverpool")),
            Ok(Grant::Aggregate)
        );
        assert!(decide(&scope(&[Role::TeamLead]), &framework("Wirral"), &areas("Wirral")).is_err());
        assert!(decide(&scope(&[Role::Worker]), &framework("Liverpool"), &areas("Liverpool")).is_err());
        assert!(decide(&scope(&[Role::Admin]), &framework("Liverpool"), &areas("Liverpool")).is_err());
        let on = NaiveDate::from_ymd_opt(2026, 11, 30).expect("date");
        let team = |t: &str| ReportRequest::Team { team: t.into(), on };
        assert_eq!(decide(&scope(&[Role::TeamLead]), &team("liverpool outreach"), &[]), Ok(Grant::Full));
        assert!(decide(&scope(&[Role::TeamLead]), &team("Wirral Outreach"), &[]).is_err());
        assert!(decide(&scope(&[Role::Commissioner]), &team("Liverpool Outreach"), &[]).is_err());
        assert_eq!(
            decide(&scope(&[Role::Commissioner, Role::TeamLead]), &framework("Liverpool"), &areas("Liverpool")),
            Ok(Grant::Full)
        );
    }
}
