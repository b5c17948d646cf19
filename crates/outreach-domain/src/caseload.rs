//! Which workers hold which clients.

use crate::{AreaList, Body, DomainError, RecordKind};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A worker's role for a client on their caseload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaseloadRole {
    /// The lead (key) worker.
    #[default]
    Lead,
    /// A co-worker sharing the case.
    CoWorker,
}

/// A worker holding a client on their caseload from one date to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseloadAssignment {
    /// The client.
    pub client_id: Uuid,
    /// The worker's user name.
    pub worker: String,
    /// Lead or co-worker.
    pub role: CaseloadRole,
    /// First day on the caseload.
    pub started_on: NaiveDate,
    /// Last day, once the worker hands the case on.
    pub ended_on: Option<NaiveDate>,
}

impl CaseloadAssignment {
    /// Whether the assignment is in force on `on`.
    pub fn is_active(&self, on: NaiveDate) -> bool {
        self.started_on <= on && self.ended_on.is_none_or(|e| on <= e)
    }
}

impl Body for CaseloadAssignment {
    const KIND: RecordKind = RecordKind::CaseloadAssignment;

    fn client_id(&self, _id: Uuid) -> Option<Uuid> {
        Some(self.client_id)
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.worker.trim().is_empty() {
            return Err(DomainError::invalid("worker", "name the worker who holds the case"));
        }
        if self.ended_on.is_some_and(|e| e < self.started_on) {
            return Err(DomainError::invalid("ended_on", "an assignment cannot end before it starts"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_between_start_and_end_inclusive() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let a = CaseloadAssignment {
            client_id: Uuid::nil(),
            worker: "sam".into(),
            role: CaseloadRole::Lead,
            started_on: d(3, 1),
            ended_on: Some(d(3, 31)),
        };
        assert!(!a.is_active(d(2, 28)));
        assert!(a.is_active(d(3, 1)));
        assert!(a.is_active(d(3, 31)));
        assert!(!a.is_active(d(4, 1)));
        assert!(CaseloadAssignment { ended_on: Some(d(2, 1)), ..a }.validate(&AreaList::default()).is_err());
    }
}
