//! What the UI sends: command inputs in camelCase JSON, matching the input
//! interfaces of `ui/src/api.ts`. Fields a worker may leave out are
//! optional; for changes, a field left out is unchanged and `null` clears it.

use chrono::{DateTime, FixedOffset, NaiveDate};
use outreach_domain::{
    AgeBand, ConsentPurpose, ContactPurpose, ContactType, CountApproach, Gender, GoalStatus, GoalTerm, LivingSituation,
    Nationality, Need, RiskLevel, SupportStage,
};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// Reads a field that is present (possibly `null`) as `Some(value)`, so a
/// missing field (`None`, via `#[serde(default)]`) differs from a cleared one.
fn present<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Caseload filters; all given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CaseloadFilters {
    /// Only clients with a safety flag.
    pub flagged: Option<bool>,
    /// Only overdue risk reviews.
    pub overdue_review: Option<bool>,
    /// Only episodes ending within 14 days or past their limit.
    pub episode_ending: Option<bool>,
    /// At this risk level or higher.
    pub risk_level: Option<RiskLevel>,
    /// Only this area.
    pub area: Option<String>,
    /// Only this need.
    pub need: Option<Need>,
    /// Include closed cases.
    pub include_closed: Option<bool>,
}

/// Whose clients.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseloadScope {
    /// The signed-in worker's.
    #[default]
    Mine,
    /// Everyone's on this laptop.
    Team,
}

/// One page of the caseload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseloadQuery {
    /// Whose clients.
    #[serde(default)]
    pub scope: CaseloadScope,
    /// Filters.
    #[serde(default)]
    pub filters: CaseloadFilters,
    /// Rows to skip.
    #[serde(default)]
    pub offset: usize,
    /// Rows wanted.
    pub limit: usize,
}

/// A consent decision to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentInput {
    /// Purpose.
    pub purpose: ConsentPurpose,
    /// One named agency.
    pub agency: String,
    /// Given or refused.
    pub given: bool,
    /// Default today.
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
    /// Lapses on.
    #[serde(default)]
    pub expires_on: Option<NaiveDate>,
}

/// A support episode to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeInput {
    /// Stage.
    pub stage: SupportStage,
    /// Started on.
    pub started_on: NaiveDate,
    /// Ended on.
    #[serde(default)]
    pub ended_on: Option<NaiveDate>,
}

/// A new client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientInput {
    /// Name.
    pub name: Option<String>,
    /// Aliases.
    pub aliases: Option<Vec<String>>,
    /// Description.
    pub description: Option<String>,
    /// Usual site.
    pub usual_site: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Estimated age.
    pub approximate_age: Option<u8>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Last known address.
    pub last_known_address: Option<String>,
    /// Area (required).
    pub area: String,
    /// Needs.
    pub needs: Option<Vec<Need>>,
    /// Living situation.
    pub living_situation: Option<LivingSituation>,
    /// Housing difficulty judgement.
    pub housing_difficulty: Option<bool>,
    /// Referral source.
    pub referral_source: Option<String>,
    /// Referral date (default today when a source is given).
    pub referral_date: Option<NaiveDate>,
    /// Safety warning texts.
    pub safety_flags: Option<Vec<String>>,
    /// Consents.
    pub consents: Option<Vec<ConsentInput>>,
    /// Support episode.
    pub episode: Option<EpisodeInput>,
    /// Put on the worker's caseload (default true).
    pub assign_to_me: Option<bool>,
}

/// Changes to a client: `None` = unchanged, `Some(None)` = cleared.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientChanges {
    /// Name.
    #[serde(deserialize_with = "present")]
    pub name: Option<Option<String>>,
    /// Aliases (replace).
    pub aliases: Option<Vec<String>>,
    /// Description.
    #[serde(deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// Usual site.
    #[serde(deserialize_with = "present")]
    pub usual_site: Option<Option<String>>,
    /// Date of birth.
    #[serde(deserialize_with = "present")]
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// Estimated age.
    #[serde(deserialize_with = "present")]
    pub approximate_age: Option<Option<u8>>,
    /// Gender.
    pub gender: Option<Gender>,
    /// Phone.
    #[serde(deserialize_with = "present")]
    pub phone: Option<Option<String>>,
    /// Email.
    #[serde(deserialize_with = "present")]
    pub email: Option<Option<String>>,
    /// Last known address.
    #[serde(deserialize_with = "present")]
    pub last_known_address: Option<Option<String>>,
    /// Area.
    pub area: Option<String>,
    /// Needs (replace).
    pub needs: Option<Vec<Need>>,
    /// Living situation.
    pub living_situation: Option<LivingSituation>,
    /// Housing difficulty.
    #[serde(deserialize_with = "present")]
    pub housing_difficulty: Option<Option<bool>>,
    /// Safety warning texts (replace; kept ones keep who and when).
    pub safety_flags: Option<Vec<String>>,
    /// Consents (replace).
    pub consents: Option<Vec<ConsentInput>>,
    /// Support episode.
    #[serde(deserialize_with = "present")]
    pub episode: Option<Option<EpisodeInput>>,
    /// Closure date.
    #[serde(deserialize_with = "present")]
    pub closed_on: Option<Option<NaiveDate>>,
}

/// A risk rating to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskRatingInput {
    /// Level.
    pub level: RiskLevel,
    /// Notes.
    #[serde(default)]
    pub notes: Option<String>,
}

/// A risk assessment to save as a draft, or an amendment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskInput {
    /// Client.
    pub client_id: Uuid,
    /// A draft to update.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Risk to self.
    pub to_self: RiskRatingInput,
    /// Risk to others.
    pub to_others: RiskRatingInput,
    /// Risk from others.
    pub from_others: RiskRatingInput,
    /// Safeguarding.
    pub safeguarding: RiskRatingInput,
    /// Triggers.
    #[serde(default)]
    pub triggers: Option<String>,
    /// Protective factors.
    #[serde(default)]
    pub protective_factors: Option<String>,
    /// Safety management plan.
    #[serde(default)]
    pub safety_plan: Option<String>,
    /// Review date (default 4 weeks, 1 week if any level is high).
    #[serde(default)]
    pub review_due: Option<NaiveDate>,
}

/// The plan's agencies and summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanInput {
    /// Client.
    pub client_id: Uuid,
    /// Agencies.
    pub agencies: Vec<String>,
    /// Summary.
    #[serde(default)]
    pub summary: Option<String>,
}

/// A new goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoalInput {
    /// Client.
    pub client_id: Uuid,
    /// Text.
    pub text: String,
    /// Term.
    pub term: GoalTerm,
    /// Target date.
    #[serde(default)]
    pub target_date: Option<NaiveDate>,
    /// Owner (default the worker).
    #[serde(default)]
    pub owner: Option<String>,
    /// Outcome area key.
    #[serde(default)]
    pub outcome_area: Option<String>,
}

/// Changes to a goal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GoalChanges {
    /// Text.
    pub text: Option<String>,
    /// Term.
    pub term: Option<GoalTerm>,
    /// Target date.
    #[serde(deserialize_with = "present")]
    pub target_date: Option<Option<NaiveDate>>,
    /// Owner.
    pub owner: Option<String>,
    /// Outcome area.
    #[serde(deserialize_with = "present")]
    pub outcome_area: Option<Option<String>>,
    /// Status.
    pub status: Option<GoalStatus>,
}

/// A score to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeScoreInput {
    /// Client.
    pub client_id: Uuid,
    /// Area key.
    pub area: String,
    /// 1–10.
    pub score: u8,
    /// Default today.
    #[serde(default)]
    pub recorded_on: Option<NaiveDate>,
}

/// A case conference to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConferenceInput {
    /// Client.
    pub client_id: Uuid,
    /// Default today.
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    /// Who attended.
    #[serde(default)]
    pub attendees: Vec<String>,
    /// Notes.
    pub notes: String,
}

/// A contact to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactInput {
    /// Client.
    pub client_id: Uuid,
    /// Default now.
    #[serde(default)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Where.
    #[serde(default)]
    pub location: Option<String>,
    /// How (default from the purpose).
    #[serde(default)]
    pub contact_type: Option<ContactType>,
    /// What for.
    pub purpose: ContactPurpose,
    /// Notes.
    pub notes: String,
    /// Outcome.
    #[serde(default)]
    pub outcome: Option<String>,
    /// Living situation (default the client's).
    #[serde(default)]
    pub living_situation: Option<LivingSituation>,
    /// Seen bedded down.
    #[serde(default)]
    pub bedded_down: Option<bool>,
}

/// A count to start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StartCountInput {
    /// Area.
    pub area: String,
    /// Night of (default today).
    pub night_of: Option<NaiveDate>,
    /// Window start (default now).
    pub window_start: Option<DateTime<FixedOffset>>,
    /// Window end (default 6 hours after the start).
    pub window_end: Option<DateTime<FixedOffset>>,
    /// Team (default the worker).
    pub team: Option<Vec<String>>,
    /// Method.
    pub approach: Option<CountApproach>,
}

/// A sighting to record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SightingInput {
    /// Where.
    pub location: String,
    /// Gender.
    pub gender: Option<Gender>,
    /// Age band.
    pub age_band: Option<AgeBand>,
    /// Nationality.
    pub nationality: Option<Nationality>,
    /// Sleeping rough (default true).
    pub rough_sleeping: Option<bool>,
    /// Known to services (default: whether a client is linked).
    pub known_to_services: Option<bool>,
    /// Linked client.
    pub client_id: Option<Uuid>,
    /// Same person as another sighting.
    pub same_as: Option<Uuid>,
    /// Notes.
    pub notes: Option<String>,
    /// Default now.
    pub seen_at: Option<DateTime<FixedOffset>>,
}

/// Which report table to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Caseload per worker.
    Caseloads,
    /// Overdue reviews.
    OverdueReviews,
    /// Contacts per week.
    ContactsPerWeek,
    /// Count totals per area.
    CountTotals,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_null_differ_in_changes() {
        let changes: ClientChanges = serde_json::from_str(r#"{"phone": null, "name": "Jo"}"#).unwrap();
        assert_eq!(changes.phone, Some(None));
        assert_eq!(changes.name, Some(Some("Jo".to_string())));
        assert_eq!(changes.email, None);
    }

    #[test]
    fn caseload_query_reads_the_ui_shape() {
        let q: CaseloadQuery = serde_json::from_str(
            r#"{"scope":"team","filters":{"flagged":true,"riskLevel":"high"},"offset":0,"limit":50}"#,
        )
        .unwrap();
        assert_eq!(q.scope, CaseloadScope::Team);
        assert_eq!(q.filters.risk_level, Some(RiskLevel::High));
        assert_eq!(q.filters.flagged, Some(true));
    }
}
