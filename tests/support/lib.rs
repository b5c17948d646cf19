//! Helpers shared by the end-to-end tests in `tests/`: synthetic records
//! and a fixed test passphrase. No real person's data.

use chrono::Utc;
use outreach_domain::{Client, Contact, ContactPurpose, ContactType, LivingSituation};
use uuid::Uuid;

/// The passphrase test stores are created with.
pub const PASSPHRASE: &str = "end to end test passphrase";

/// A minimal valid client.
pub fn client(name: &str) -> Client {
    Client { name: Some(name.to_string().into()), area: "Liverpool".into(), ..Default::default() }
}

/// A minimal valid contact with `client_id`.
pub fn contact(client_id: Uuid, note: &str) -> Contact {
    Contact {
        client_id,
        at: Utc::now().fixed_offset(),
        location: None,
        contact_type: ContactType::FaceToFace,
        purpose: ContactPurpose::KeyWork,
        worker: "amy.w".into(),
        notes: note.to_string().into(),
        outcome: None,
        living_situation: LivingSituation::Hostel,
        bedded_down: false,
        amends: None,
    }
}
