//! The vocabulary of Outreach: the records street outreach workers keep, and
//! the rules that apply to them (eligibility, risk review due dates, support
//! episode time limits, possible duplicate sightings).
//!
//! This crate does no I/O. Storage (`outreach-store`) persists these types,
//! the sync protocol (`outreach-protocol`) moves them, and both rely on the
//! rules here being pure functions of their inputs, so every rule can be
//! tested on tables of cases.

pub mod area;
pub mod caseload;
pub mod client;
pub mod contact;
pub mod count;
pub mod duplicates;
pub mod eligibility;
pub mod episode;
pub mod error;
pub mod hlc;
pub mod names;
pub mod plan;
pub mod record;
pub mod risk;
pub mod sensitive;

pub use area::AreaList;
pub use caseload::{CaseloadAssignment, CaseloadRole};
pub use client::{
    ApproximateAge, Client, Consent, ConsentPurpose, Gender, LivingSituation, Need, Referral, SafetyFlag,
};
pub use contact::{Contact, ContactPurpose, ContactType};
pub use count::{AgeBand, Coordinates, CountApproach, CountStatus, CountTally, Nationality, Sighting, StreetCount};
pub use duplicates::{Comparison, Likeness};
pub use eligibility::{Criterion, Eligibility};
pub use episode::{Episode, EpisodeStatus, SupportStage};
pub use error::DomainError;
pub use hlc::Hlc;
pub use plan::{ActionPlan, CaseConference, Goal, GoalStatus, GoalTerm, OutcomeArea, OutcomeScore};
pub use record::{Body, Record, RecordKind, RecordMeta};
pub use risk::{ReviewStatus, RiskAssessment, RiskLevel, RiskRating, RiskStatus};
pub use sensitive::Sensitive;
