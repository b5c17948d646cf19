//! What every stored record carries, whatever its kind.

use crate::{AreaList, DomainError, Hlc};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use uuid::Uuid;

/// The kinds of record Outreach keeps; the store and the sync protocol use
/// this tag to know how to read a record's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A person the service works with.
    Client,
    /// A worker holding a client on their caseload.
    CaseloadAssignment,
    /// A dynamic risk assessment.
    RiskAssessment,
    /// A personal action plan.
    ActionPlan,
    /// A goal within an action plan.
    Goal,
    /// One 1–10 score on an outcome area.
    OutcomeScore,
    /// Notes of a multi-agency case conference.
    CaseConference,
    /// A key-work session or street encounter.
    Contact,
    /// A rough sleeper count night.
    StreetCount,
    /// One person seen during a street count.
    Sighting,
}

impl RecordKind {
    /// Every kind, in a stable order.
    pub const ALL: [RecordKind; 10] = [
        Self::Client,
        Self::CaseloadAssignment,
        Self::RiskAssessment,
        Self::ActionPlan,
        Self::Goal,
        Self::OutcomeScore,
        Self::CaseConference,
        Self::Contact,
        Self::StreetCount,
        Self::Sighting,
    ];

    /// The tag used in storage and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::CaseloadAssignment => "caseload_assignment",
            Self::RiskAssessment => "risk_assessment",
            Self::ActionPlan => "action_plan",
            Self::Goal => "goal",
            Self::OutcomeScore => "outcome_score",
            Self::CaseConference => "case_conference",
            Self::Contact => "contact",
            Self::StreetCount => "street_count",
            Self::Sighting => "sighting",
        }
    }

    /// Reads a tag written by [`RecordKind::as_str`].
    pub fn parse(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == tag)
    }
}

/// Metadata on every record: identity, authorship, tombstone and the
/// versioning sync needs. Bodies never carry these fields themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// UUID v7: unique across devices without coordination, and time-ordered.
    pub id: Uuid,
    /// How to read the body.
    pub kind: RecordKind,
    /// When the record was first written (UTC).
    pub created_at: DateTime<Utc>,
    /// When the record was last changed (UTC).
    pub updated_at: DateTime<Utc>,
    /// The user who created it.
    pub created_by: String,
    /// The user who last changed it.
    pub updated_by: String,
    /// The device that last changed it.
    pub device: Uuid,
    /// Tombstone: deleted records are kept so the deletion can sync.
    pub deleted: bool,
    /// The server version this copy is based on; 0 before its first sync.
    pub version: i64,
    /// Clock stamp of the last change, for ordering across devices.
    pub hlc: Hlc,
}

/// A record: metadata plus a typed body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<T> {
    /// Identity, authorship and sync metadata.
    pub meta: RecordMeta,
    /// What the worker recorded.
    pub body: T,
}

/// A record body: ties a Rust type to its [`RecordKind`] and states the rules
/// storage must apply to it (validation, sign-off, the client it belongs to).
pub trait Body: Serialize + DeserializeOwned + Clone + Debug {
    /// The kind tag this body is stored under.
    const KIND: RecordKind;

    /// The client this record is about, used for access checks, the audit
    /// log and for listing a client's records. `id` is the record's own id.
    fn client_id(&self, id: Uuid) -> Option<Uuid>;

    /// Signed-off records are never edited in place, only amended.
    fn is_signed_off(&self) -> bool {
        false
    }

    /// The record this one corrects, when it is an amendment.
    fn amends(&self) -> Option<Uuid> {
        None
    }

    /// When the thing recorded happened (a contact's time, an assessment's
    /// date), used to order a client's records; `None` means 'when created'.
    fn occurred_at(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Puts values into their canonical form before validation (e.g. an
    /// area typed in lower case gets its configured spelling).
    fn canonicalise(&mut self, _areas: &AreaList) {}

    /// Checks the body against the domain rules before it is stored.
    fn validate(&self, areas: &AreaList) -> Result<(), DomainError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_tags_round_trip_and_match_serde() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert_eq!(RecordKind::parse("nope"), None);
    }
}
