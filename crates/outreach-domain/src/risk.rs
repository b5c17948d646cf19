//! Dynamic risk assessments and their review dates.

use crate::{AreaList, Body, DomainError, RecordKind, Sensitive};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A risk level, ordered low < medium < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl RiskLevel {
    /// Reads `low`, `medium` or `high` (any case, or l/m/h).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" | "l" => Some(Self::Low),
            "medium" | "med" | "m" => Some(Self::Medium),
            "high" | "h" => Some(Self::High),
            _ => None,
        }
    }

    /// The storage and display tag.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

/// One dimension of risk: its level and what the assessor noted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRating {
    /// The level.
    pub level: RiskLevel,
    /// Why, in the assessor's words.
    pub notes: Option<Sensitive<String>>,
}

impl RiskRating {
    /// A rating with no notes.
    pub fn level(level: RiskLevel) -> Self {
        Self { level, notes: None }
    }
}

/// A draft can still be edited; a completed assessment is signed off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    /// Being written; editable.
    #[default]
    Draft,
    /// Signed off; only amendments may correct it.
    Completed,
}

/// A dynamic risk assessment, made before or during contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskAssessment {
    /// The person assessed.
    pub client_id: Uuid,
    /// When, with the offset the worker saw.
    pub assessed_at: DateTime<FixedOffset>,
    /// The assessing worker.
    pub assessor: String,
    /// Risk to self.
    pub to_self: RiskRating,
    /// Risk to others.
    pub to_others: RiskRating,
    /// Risk from others.
    pub from_others: RiskRating,
    /// Safeguarding concerns.
    pub safeguarding: RiskRating,
    /// What makes risk rise.
    pub triggers: Option<Sensitive<String>>,
    /// What keeps the person and others safe.
    pub protective_factors: Option<Sensitive<String>>,
    /// The safety management plan.
    pub safety_plan: Option<Sensitive<String>>,
    /// When it must be reviewed.
    pub review_due: NaiveDate,
    /// Draft or completed.
    pub status: RiskStatus,
    /// The assessment this one corrects.
    pub amends: Option<Uuid>,
}

/// Where an assessment stands against its review date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Review date more than the warning window away.
    Current {
        /// The review date.
        due: NaiveDate,
    },
    /// Due within the warning window (or today).
    DueSoon {
        /// The review date.
        due: NaiveDate,
        /// Days until it is due.
        days_left: i64,
    },
    /// The review date has passed.
    Overdue {
        /// The review date.
        due: NaiveDate,
        /// Days since it was due.
        days_over: i64,
    },
}

impl RiskAssessment {
    /// Days before the review date at which it is shown as due soon.
    pub const DUE_SOON_DAYS: i64 = 7;

    /// The highest level across the four dimensions, used for lists and filters.
    pub fn highest_level(&self) -> RiskLevel {
        [&self.to_self, &self.to_others, &self.from_others, &self.safeguarding]
            .into_iter()
            .map(|r| r.level)
            .max()
            .unwrap_or(RiskLevel::Low)
    }

    /// The review standing on `today`.
    pub fn review_status(&self, today: NaiveDate) -> ReviewStatus {
        review_status(self.review_due, today)
    }
}

/// The review standing of a review date on `today`.
pub fn review_status(due: NaiveDate, today: NaiveDate) -> ReviewStatus {
    let days_left = (due - today).num_days();
    if days_left < 0 {
        ReviewStatus::Overdue { due, days_over: -days_left }
    } else if days_left <= RiskAssessment::DUE_SOON_DAYS {
        ReviewStatus::DueSoon { due, days_left }
    } else {
        ReviewStatus::Current { due }
    }
}

impl Body for RiskAssessment {
    const KIND: RecordKind = RecordKind::RiskAssessment;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn is_signed_off(&self) -> bool {
        self.status == RiskStatus::Completed
    }

    fn amends(&self) -> Option<Uuid> {
        self.amends
    }

    fn occurred_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(self.assessed_at.to_utc())
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.assessor.trim().is_empty() {
            return Err(DomainError::invalid("assessor", "name the assessing worker"));
        }
        if self.review_due < self.assessed_at.date_naive() {
            return Err(DomainError::invalid("review_due", "the review date cannot be before the assessment"));
        }
        let has_plan = self.safety_plan.as_ref().is_some_and(|p| !p.expose().trim().is_empty());
        if self.status == RiskStatus::Completed && self.highest_level() == RiskLevel::High && !has_plan {
            return Err(DomainError::invalid(
                "safety_plan",
                "a completed assessment with a high risk needs a safety management plan",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn assessment(levels: [RiskLevel; 4], status: RiskStatus, plan: Option<&str>) -> RiskAssessment {
        RiskAssessment {
            client_id: Uuid::nil(),
            assessed_at: DateTime::parse_from_rfc3339("2026-11-01T02:00:00+00:00").unwrap(),
            assessor: "worker".into(),
            to_self: RiskRating::level(levels[0]),
            to_others: RiskRating::level(levels[1]),
            from_others: RiskRating::level(levels[2]),
            safeguarding: RiskRating::level(levels[3]),
            triggers: None,
            protective_factors: None,
            safety_plan: plan.map(|p| p.to_string().into()),
            review_due: d(2026, 12, 1),
            status,
            amends: None,
        }
    }

    #[test]
    fn review_status_table() {
        let due = d(2026, 12, 1);
        assert_eq!(review_status(due, d(2026, 11, 23)), ReviewStatus::Current { due });
        assert_eq!(review_status(due, d(2026, 11, 24)), ReviewStatus::DueSoon { due, days_left: 7 });
        assert_eq!(review_status(due, due), ReviewStatus::DueSoon { due, days_left: 0 });
        assert_eq!(review_status(due, d(2026, 12, 2)), ReviewStatus::Overdue { due, days_over: 1 });
    }

    #[test]
    fn highest_level_and_sign_off() {
        use RiskLevel::*;
        let a = assessment([Low, High, Medium, Low], RiskStatus::Draft, None);
        assert_eq!(a.highest_level(), High);
        assert!(!a.is_signed_off());
        a.validate(&AreaList::default()).unwrap();
        let completed = assessment([Low, High, Medium, Low], RiskStatus::Completed, None);
        assert!(completed.is_signed_off());
        assert!(completed.validate(&AreaList::default()).is_err());
        assessment([Low, High, Medium, Low], RiskStatus::Completed, Some("never alone; meet in daylight"))
            .validate(&AreaList::default())
            .unwrap();
    }

    #[test]
    fn review_before_assessment_is_refused() {
        let mut a = assessment([RiskLevel::Low; 4], RiskStatus::Draft, None);
        a.review_due = d(2026, 10, 31);
        assert!(a.validate(&AreaList::default()).is_err());
    }

    #[test]
    fn parse_levels() {
        assert_eq!(RiskLevel::parse("HIGH"), Some(RiskLevel::High));
        assert_eq!(RiskLevel::parse("m"), Some(RiskLevel::Medium));
        assert_eq!(RiskLevel::parse("severe"), None);
    }
}
