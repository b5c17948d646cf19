//! Personal action plans: multi-agency goals, progress on a 1–10 scale, and
//! case conferences.

use crate::{AreaList, Body, DomainError, RecordKind, Sensitive};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A personal action plan; its goals, scores and conferences are separate
/// records that point at it, so workers can add to it without conflicting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPlan {
    /// The person the plan is with.
    pub client_id: Uuid,
    /// When the plan was agreed.
    pub started_on: NaiveDate,
    /// Agencies involved (housing, GP, drug and alcohol service, probation...).
    pub agencies: Vec<String>,
    /// What the person wants, in their words.
    pub summary: Option<Sensitive<String>>,
}

impl Body for ActionPlan {
    const KIND: RecordKind = RecordKind::ActionPlan;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.agencies.iter().any(|a| a.trim().is_empty()) {
            return Err(DomainError::invalid("agencies", "agency names cannot be blank"));
        }
        Ok(())
    }
}

/// Short-term or long-term goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalTerm {
    /// Weeks.
    Short,
    /// Months.
    Long,
}

/// Where a goal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum GoalStatus {
    /// Agreed, not started.
    #[default]
    NotStarted,
    /// Under way.
    InProgress,
    /// Achieved.
    Achieved,
    /// No longer pursued.
    Abandoned,
}

/// One goal in a plan, with who owns it and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// The plan it belongs to.
    pub plan_id: Uuid,
    /// The client (denormalised so a client's goals list without a join).
    pub client_id: Uuid,
    /// The goal, in the person's words.
    pub text: Sensitive<String>,
    /// Short or long term.
    pub term: GoalTerm,
    /// Target date.
    pub target_date: Option<NaiveDate>,
    /// The worker or agency responsible.
    pub owner: String,
    /// The outcome area it serves (a key of the configured scale).
    pub outcome_area: Option<String>,
    /// Status.
    pub status: GoalStatus,
}

impl Body for Goal {
    const KIND: RecordKind = RecordKind::Goal;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.text.expose().trim().is_empty() {
            return Err(DomainError::invalid("text", "describe the goal"));
        }
        if self.owner.trim().is_empty() {
            return Err(DomainError::invalid("owner", "name who owns the goal"));
        }
        if let Some(area) = &self.outcome_area {
            OutcomeArea::check(area)?;
        }
        Ok(())
    }
}

/// An outcome area measured on the 1–10 scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeArea {
    /// Stable key stored in scores.
    pub key: &'static str,
    /// Label shown to workers.
    pub label: &'static str,
}

impl OutcomeArea {
    /// The default outcome areas used by homelessness services. Services
    /// that use another scale replace this list.
    pub const DEFAULTS: [OutcomeArea; 10] = [
        OutcomeArea { key: "motivation", label: "Motivation and taking responsibility" },
        OutcomeArea { key: "self_care", label: "Self-care and living skills" },
        OutcomeArea { key: "money", label: "Managing money and personal administration" },
        OutcomeArea { key: "social", label: "Social networks and relationships" },
        OutcomeArea { key: "substances", label: "Drug and alcohol use" },
        OutcomeArea { key: "physical_health", label: "Physical health" },
        OutcomeArea { key: "mental_health", label: "Emotional and mental health" },
        OutcomeArea { key: "meaningful_time", label: "Meaningful use of time" },
        OutcomeArea { key: "accommodation", label: "Managing tenancy and accommodation" },
        OutcomeArea { key: "offending", label: "Offending" },
    ];

    /// Stage names for score bands 1–2, 3–4, 5–6, 7–8 and 9–10.
    pub const STAGES: [&'static str; 5] =
        ["Not ready yet", "Engaging with help", "Making progress", "Building skills", "Independent"];

    /// Checks `key` names a configured area.
    pub fn check(key: &str) -> Result<(), DomainError> {
        if Self::DEFAULTS.iter().any(|a| a.key == key) {
            Ok(())
        } else {
            let known: Vec<&str> = Self::DEFAULTS.iter().map(|a| a.key).collect();
            Err(DomainError::invalid(
                "outcome_area",
                format!("unknown area '{key}'; expected one of {}", known.join(", ")),
            ))
        }
    }

    /// The stage name for a score from 1 to 10.
    pub fn stage(score: u8) -> Option<&'static str> {
        (1..=10).contains(&score).then(|| Self::STAGES[usize::from((score - 1) / 2)])
    }
}

/// One measurement on one outcome area. Scores are signed off when recorded:
/// progress is the series over time, so a score is never edited in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeScore {
    /// The client.
    pub client_id: Uuid,
    /// The plan the score was taken under, if any.
    pub plan_id: Option<Uuid>,
    /// Outcome area key.
    pub area: String,
    /// Score 1 (stuck) to 10 (self-reliant).
    pub score: u8,
    /// When it was agreed with the person.
    pub recorded_on: NaiveDate,
    /// The worker.
    pub recorded_by: String,
    /// The score this one corrects.
    pub amends: Option<Uuid>,
}

impl Body for OutcomeScore {
    const KIND: RecordKind = RecordKind::OutcomeScore;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn is_signed_off(&self) -> bool {
        true
    }

    fn amends(&self) -> Option<Uuid> {
        self.amends
    }

    fn occurred_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.recorded_on.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        OutcomeArea::check(&self.area)?;
        if !(1..=10).contains(&self.score) {
            return Err(DomainError::invalid("score", "scores run from 1 to 10"));
        }
        Ok(())
    }
}

/// Movement on one area: latest score minus the first, over the scores
/// given (in any order). `None` with fewer than one score.
pub fn movement(scores: &[&OutcomeScore], area: &str) -> Option<i32> {
    let mut series: Vec<&&OutcomeScore> = scores.iter().filter(|s| s.area == area).collect();
    series.sort_by_key(|s| s.recorded_on);
    let first = series.first()?;
    let last = series.last()?;
    Some(i32::from(last.score) - i32::from(first.score))
}

/// Notes of a multi-agency case conference about one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseConference {
    /// The client.
    pub client_id: Uuid,
    /// The plan discussed, if any.
    pub plan_id: Option<Uuid>,
    /// When it was held.
    pub held_on: NaiveDate,
    /// Agencies and people present.
    pub attendees: Vec<String>,
    /// What was discussed and agreed.
    pub notes: Sensitive<String>,
}

impl Body for CaseConference {
    const KIND: RecordKind = RecordKind::CaseConference;

    fn occurred_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.held_on.and_time(chrono::NaiveTime::MIN).and_utc())
    }

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.notes.expose().trim().is_empty() {
            return Err(DomainError::invalid("notes", "record what was discussed"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(area: &str, value: u8, day: u32) -> OutcomeScore {
        OutcomeScore {
            client_id: Uuid::nil(),
            plan_id: None,
            area: area.into(),
            score: value,
            recorded_on: NaiveDate::from_ymd_opt(2026, 1, day).unwrap(),
            recorded_by: "w".into(),
            amends: None,
        }
    }

    #[test]
    fn stages_cover_the_scale() {
        assert_eq!(OutcomeArea::stage(1), Some("Not ready yet"));
        assert_eq!(OutcomeArea::stage(2), Some("Not ready yet"));
        assert_eq!(OutcomeArea::stage(7), Some("Building skills"));
        assert_eq!(OutcomeArea::stage(10), Some("Independent"));
        assert_eq!(OutcomeArea::stage(0), None);
        assert_eq!(OutcomeArea::stage(11), None);
    }

    #[test]
    fn scores_out_of_range_or_area_unknown_are_refused() {
        let areas = AreaList::default();
        score("money", 5, 1).validate(&areas).unwrap();
        assert!(score("money", 0, 1).validate(&areas).is_err());
        assert!(score("money", 11, 1).validate(&areas).is_err());
        assert!(score("wealth", 5, 1).validate(&areas).is_err());
    }

    #[test]
    fn movement_is_latest_minus_first_by_date() {
        let a = score("money", 6, 20);
        let b = score("money", 2, 1);
        let c = score("money", 4, 10);
        let other = score("social", 9, 5);
        assert_eq!(movement(&[&a, &b, &c, &other], "money"), Some(4));
        assert_eq!(movement(&[&other], "social"), Some(0));
        assert_eq!(movement(&[&other], "money"), None);
    }
}
