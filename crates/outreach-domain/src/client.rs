//! A person the service works with.

use crate::{AreaList, Body, DomainError, Episode, RecordKind, Sensitive};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Gender as the person describes it; count returns use male, female and not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Non-binary or another identity.
    NonBinary,
    /// Not known or not given.
    #[default]
    NotKnown,
}

/// Areas of need named by the referral criteria.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// Mental health, diagnosed or not.
    MentalHealth,
    /// Substance or alcohol use.
    SubstanceUse,
    /// Current or historic offending, or risk of reoffending.
    Offending,
    /// Behavioural issues (anti-social behaviour, exploiting others...).
    Behavioural,
    /// Debt or money management.
    Debt,
    /// Physical health.
    PhysicalHealth,
}

impl Need {
    /// The four areas the referral criteria count towards 'multiple needs'.
    pub const CORE: [Need; 4] = [Need::MentalHealth, Need::SubstanceUse, Need::Offending, Need::Behavioural];
}

/// Where a person is living or sleeping now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LivingSituation {
    /// Sleeping rough (open air or places not designed for habitation).
    RoughSleeping,
    /// Night shelter.
    NightShelter,
    /// Hostel.
    Hostel,
    /// Emergency or temporary accommodation (B&B, hotel).
    EmergencyAccommodation,
    /// Supported accommodation.
    SupportedAccommodation,
    /// Staying with friends or family short term.
    SofaSurfing,
    /// Squatting.
    Squatting,
    /// In hospital.
    Hospital,
    /// In prison or youth custody.
    Prison,
    /// Asylum accommodation.
    AsylumAccommodation,
    /// Local authority care.
    Care,
    /// A tenancy of their own (social or private).
    OwnTenancy,
    /// Living with family long term.
    WithFamily,
    /// Something else.
    Other,
    /// Not known.
    #[default]
    NotKnown,
}

impl LivingSituation {
    /// Whether this situation is itself a housing difficulty (homeless or
    /// insecurely housed). `None` where it depends on circumstances (a
    /// tenant may be at risk of losing it; a patient may have no address to
    /// return to), so the worker must say.
    pub fn is_housing_difficulty(self) -> Option<bool> {
        use LivingSituation::*;
        match self {
            RoughSleeping
            | NightShelter
            | Hostel
            | EmergencyAccommodation
            | SupportedAccommodation
            | SofaSurfing
            | Squatting => Some(true),
            _ => None,
        }
    }

    /// Institutions whose leavers the monthly rough sleeping framework counts.
    pub fn is_institution(self) -> bool {
        matches!(self, Self::Prison | Self::Hospital | Self::AsylumAccommodation | Self::Care)
    }
}

/// Why consent was asked. Consent is recorded per purpose and per agency,
/// never as a blanket agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentPurpose {
    /// Keeping a case record with this service.
    CaseRecording,
    /// Sharing information with the named agency.
    InformationSharing,
    /// Making a referral to the named agency.
    Referral,
    /// Discussing the person at a multi-agency case conference.
    CaseConference,
    /// Being contacted by phone, text or email.
    Contacting,
}

/// One consent decision: for one purpose, with one agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// What the consent is for.
    pub purpose: ConsentPurpose,
    /// The agency it covers (this service's own name for case recording).
    pub agency: String,
    /// Given (true) or refused (false); a refusal is kept as a record too.
    pub given: bool,
    /// When the person decided.
    pub recorded_on: NaiveDate,
    /// When it lapses, if it does.
    pub expires_on: Option<NaiveDate>,
    /// The worker who recorded it.
    pub recorded_by: String,
}

impl Consent {
    /// Whether this consent is given and in force on `on`.
    pub fn in_force(&self, on: NaiveDate) -> bool {
        self.given && self.recorded_on <= on && self.expires_on.is_none_or(|e| on <= e)
    }
}

/// A warning shown on every view of the client, e.g. 'do not visit alone'.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyFlag {
    /// The warning as workers should read it.
    pub text: Sensitive<String>,
    /// When it was raised.
    pub raised_on: NaiveDate,
    /// Who raised it.
    pub raised_by: String,
}

/// Who referred the person, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// Referring agency or route (self-referral, street outreach, probation...).
    pub source: String,
    /// Date of referral.
    pub date: NaiveDate,
}

/// An age given when the date of birth is not known, anchored to the date it
/// was given so it stays right as time passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproximateAge {
    /// Age in years as estimated or stated.
    pub years: u8,
    /// When it was estimated.
    pub as_of: NaiveDate,
}

/// A person the service works with. Everything but the area may be unknown
/// at first: a person met on the street may give no name, and is recorded by
/// description and usual sleeping site until they do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Client {
    /// The name the person gives.
    pub name: Option<Sensitive<String>>,
    /// Other names and spellings they are known by.
    pub aliases: Vec<Sensitive<String>>,
    /// How to recognise them when no name is known.
    pub description: Option<Sensitive<String>>,
    /// Where they usually sleep or can be found.
    pub usual_site: Option<Sensitive<String>>,
    /// Date of birth, if known.
    pub date_of_birth: Option<Sensitive<NaiveDate>>,
    /// Age estimate when the date of birth is not known.
    pub approximate_age: Option<ApproximateAge>,
    /// Gender.
    pub gender: Gender,
    /// Phone number.
    pub phone: Option<Sensitive<String>>,
    /// Email address.
    pub email: Option<Sensitive<String>>,
    /// Last known address or location.
    pub last_known_address: Option<Sensitive<String>>,
    /// Local authority area responsible.
    pub area: String,
    /// Areas of need.
    pub needs: BTreeSet<Need>,
    /// Where they live or sleep now.
    pub living_situation: LivingSituation,
    /// The worker's judgement of housing difficulty where the living
    /// situation alone does not settle it (e.g. a tenancy at risk).
    pub housing_difficulty: Option<bool>,
    /// Referral route and date.
    pub referral: Option<Referral>,
    /// The current support episode and its time limit.
    pub episode: Option<Episode>,
    /// Consent decisions, per purpose and agency.
    pub consents: Vec<Consent>,
    /// Warnings shown on every view.
    pub safety_flags: Vec<SafetyFlag>,
    /// When the case was closed, if it is.
    pub closed_on: Option<NaiveDate>,
    /// Set when this record turned out to be the same person as another
    /// client (the survivor): it is then shown as, and its records listed
    /// under, the survivor. Clearing it undoes the merge.
    #[serde(default)]
    pub merged_into: Option<Uuid>,
    /// The area this client had before it was merged (a merge gives it the
    /// survivor's area, so its records follow); undo puts it back.
    #[serde(default)]
    pub area_before_merge: Option<String>,
    /// Clients a worker has said are not this person, so they are not
    /// suggested as duplicates again.
    #[serde(default)]
    pub not_same_as: BTreeSet<Uuid>,
}

impl Client {
    /// The best label for lists: the name, else the description, else a
    /// placeholder that tells the worker the person is not yet named.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.expose().clone();
        }
        if let Some(description) = &self.description {
            return format!("(unnamed) {}", description.expose());
        }
        "(unnamed, no description)".to_string()
    }

    /// Age in whole years on `on`, from the date of birth or the estimate.
    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        if let Some(dob) = &self.date_of_birth {
            return whole_years_between(*dob.expose(), on);
        }
        self.approximate_age.map(|a| u32::from(a.years) + whole_years_between(a.as_of, on).unwrap_or(0))
    }

    /// Whether the case is open on `on`.
    pub fn is_open(&self, on: NaiveDate) -> bool {
        self.closed_on.is_none_or(|c| c > on)
    }
}

/// Whole years from `from` to `to`, `None` if `to` is before `from`.
pub fn whole_years_between(from: NaiveDate, to: NaiveDate) -> Option<u32> {
    if to < from {
        return None;
    }
    let mut years = to.year() - from.year();
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

impl Body for Client {
    const KIND: RecordKind = RecordKind::Client;

    fn canonicalise(&mut self, areas: &AreaList) {
        if let Ok(area) = areas.canonical(&self.area) {
            self.area = area;
        }
    }

    fn client_id(&self, id: Uuid) -> Option<Uuid> {
        Some(id)
    }

    fn validate(&self, areas: &AreaList) -> Result<(), DomainError> {
        areas.canonical(&self.area)?;
        let blank = |s: &Option<Sensitive<String>>| s.as_ref().is_none_or(|v| v.expose().trim().is_empty());
        if blank(&self.name) && blank(&self.description) && self.aliases.is_empty() {
            return Err(DomainError::invalid(
                "name",
                "give a name, an alias or a description (e.g. 'tall man, red jacket, sleeps by the library')",
            ));
        }
        if let Some(age) = self.approximate_age
            && !(10..=110).contains(&age.years)
        {
            return Err(DomainError::invalid("approximate_age", "expected an age between 10 and 110"));
        }
        if let Some(email) = &self.email
            && !email.expose().contains('@')
        {
            return Err(DomainError::invalid("email", "expected an address like name@example.org"));
        }
        for consent in &self.consents {
            let agency = consent.agency.trim().to_lowercase();
            if agency.is_empty() || ["all", "any", "*", "all agencies", "everyone"].contains(&agency.as_str()) {
                return Err(DomainError::invalid(
                    "consents",
                    "consent must name one agency; record a separate consent for each agency (no blanket consent)",
                ));
            }
            if consent.expires_on.is_some_and(|e| e < consent.recorded_on) {
                return Err(DomainError::invalid("consents", "a consent cannot expire before it was recorded"));
            }
        }
        if self.safety_flags.iter().any(|f| f.text.expose().trim().is_empty()) {
            return Err(DomainError::invalid("safety_flags", "a safety flag needs its warning text"));
        }
        if let Some(episode) = &self.episode
            && episode.ended_on.is_some_and(|e| e < episode.started_on)
        {
            return Err(DomainError::invalid("episode", "an episode cannot end before it starts"));
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

    #[test]
    fn age_from_dob_counts_birthdays() {
        let client = Client { date_of_birth: Some(d(2000, 6, 15).into()), ..Default::default() };
        assert_eq!(client.age_on(d(2018, 6, 14)), Some(17));
        assert_eq!(client.age_on(d(2018, 6, 15)), Some(18));
        assert_eq!(client.age_on(d(1999, 1, 1)), None);
    }

    #[test]
    fn approximate_age_moves_with_time() {
        let client =
            Client { approximate_age: Some(ApproximateAge { years: 30, as_of: d(2020, 3, 1) }), ..Default::default() };
        assert_eq!(client.age_on(d(2020, 3, 1)), Some(30));
        assert_eq!(client.age_on(d(2023, 3, 1)), Some(33));
    }

    #[test]
    fn an_unnamed_person_can_be_recorded_by_description() {
        let areas = AreaList::default();
        let mut client = Client { area: "Liverpool".into(), ..Default::default() };
        assert!(client.validate(&areas).is_err());
        client.description = Some("older man, green sleeping bag".to_string().into());
        client.validate(&areas).unwrap();
        assert!(client.display_name().starts_with("(unnamed)"));
    }

    #[test]
    fn blanket_consent_is_refused() {
        let areas = AreaList::default();
        let consent = |agency: &str| Consent {
            purpose: ConsentPurpose::InformationSharing,
            agency: agency.into(),
            given: true,
            recorded_on: d(2026, 1, 1),
            expires_on: None,
            recorded_by: "w".into(),
        };
        let mut client = Client { area: "Sefton".into(), name: Some("A".to_string().into()), ..Default::default() };
        client.consents = vec![consent("All agencies")];
        assert!(client.validate(&areas).is_err());
        client.consents = vec![consent("Probation"), consent("GP")];
        client.validate(&areas).unwrap();
    }

    #[test]
    fn consent_in_force_respects_expiry() {
        let consent = Consent {
            purpose: ConsentPurpose::Referral,
            agency: "Housing First".into(),
            given: true,
            recorded_on: d(2026, 1, 1),
            expires_on: Some(d(2026, 6, 30)),
            recorded_by: "w".into(),
        };
        assert!(!consent.in_force(d(2025, 12, 31)));
        assert!(consent.in_force(d(2026, 6, 30)));
        assert!(!consent.in_force(d(2026, 7, 1)));
        assert!(!Consent { given: false, ..consent }.in_force(d(2026, 2, 1)));
    }

    #[test]
    fn unknown_area_and_bad_email_are_refused() {
        let areas = AreaList::default();
        let client = Client { area: "Leeds".into(), name: Some("A".to_string().into()), ..Default::default() };
        assert!(matches!(client.validate(&areas), Err(DomainError::UnknownArea { .. })));
        let client = Client {
            area: "Halton".into(),
            name: Some("A".to_string().into()),
            email: Some("nope".to_string().into()),
            ..Default::default()
        };
        assert!(client.validate(&areas).is_err());
    }
}
