//! Key-work sessions and street encounters.

use crate::{AreaList, Body, DomainError, LivingSituation, RecordKind, Sensitive};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the contact happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactType {
    /// In person.
    FaceToFace,
    /// By phone.
    Phone,
    /// Met on an outreach shift.
    OutreachShift,
    /// Anything else (letter, video call...).
    Other,
}

/// What the contact was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPurpose {
    /// A planned key-work session.
    KeyWork,
    /// An encounter on the street.
    StreetEncounter,
}

/// A contact with a person. Signed off when recorded: a correction is a new
/// contact that amends this one. The living situation and whether the
/// person was seen bedded down feed the monthly rough sleeping figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The client.
    pub client_id: Uuid,
    /// When, with the offset the worker saw.
    pub at: DateTime<FixedOffset>,
    /// Where.
    pub location: Option<Sensitive<String>>,
    /// How.
    pub contact_type: ContactType,
    /// Key work or street encounter.
    pub purpose: ContactPurpose,
    /// The worker.
    pub worker: String,
    /// What happened.
    pub notes: Sensitive<String>,
    /// What came of it (referral made, appointment kept, declined...).
    pub outcome: Option<String>,
    /// The person's living situation at this contact.
    pub living_situation: LivingSituation,
    /// Seen bedded down (sleeping rough) at this contact.
    pub bedded_down: bool,
    /// The contact this one corrects.
    pub amends: Option<Uuid>,
}

impl Body for Contact {
    const KIND: RecordKind = RecordKind::Contact;

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
        Some(self.at.to_utc())
    }

    fn validate(&self, _areas: &AreaList) -> Result<(), DomainError> {
        if self.worker.trim().is_empty() {
            return Err(DomainError::invalid("worker", "name the worker"));
        }
        if self.bedded_down && self.living_situation != LivingSituation::RoughSleeping {
            return Err(DomainError::invalid(
                "bedded_down",
                "a person seen bedded down is sleeping rough: set the living situation to rough_sleeping",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bedded_down_implies_rough_sleeping() {
        let mut c = Contact {
            client_id: Uuid::nil(),
            at: DateTime::parse_from_rfc3339("2026-11-23T02:10:00+00:00").unwrap(),
            location: None,
            contact_type: ContactType::OutreachShift,
            purpose: ContactPurpose::StreetEncounter,
            worker: "sam".into(),
            notes: "brief chat, offered sleeping bag".to_string().into(),
            outcome: None,
            living_situation: LivingSituation::Hostel,
            bedded_down: true,
            amends: None,
        };
        assert!(c.is_signed_off());
        assert!(c.validate(&AreaList::default()).is_err());
        c.living_situation = LivingSituation::RoughSleeping;
        c.validate(&AreaList::default()).unwrap();
    }
}
