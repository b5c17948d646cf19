//! View models: what the UI receives, in camelCase JSON, mapped from the
//! store's and the domain's types. Each matches an interface of the same
//! name in `ui/src/api.ts`.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};
use outreach_domain as d;
use outreach_domain::{
    AgeBand, CaseloadRole, ContactPurpose, ContactType, CountApproach, CountStatus, Criterion, Gender, GoalStatus,
    GoalTerm, LivingSituation, Nationality, Need, Record, RiskLevel, RiskStatus, SupportStage,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

/// What the shell knows before and after unlocking (never client data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// A store exists in the data folder.
    pub store_exists: bool,
    /// The store is open.
    pub unlocked: bool,
    /// The worker's user name (while unlocked).
    pub user: Option<String>,
    /// This laptop's name.
    pub device_name: Option<String>,
    /// The sync server saved in the store (while unlocked).
    pub server_url: Option<String>,
    /// The store holds a device token (while unlocked).
    pub signed_in: bool,
    /// Minutes of inactivity before the store locks itself (0 = never).
    pub idle_lock_minutes: u32,
    /// Outreach version.
    pub version: String,
    /// The data folder.
    pub data_dir: String,
}

/// One row of a caseload list or search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSummary {
    /// Client id.
    pub id: Uuid,
    /// Name or "(unnamed) description".
    pub display_name: String,
    /// Other names.
    pub aliases: Vec<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Area.
    pub area: String,
    /// Needs.
    pub needs: Vec<Need>,
    /// Safety warnings.
    pub safety_flags: Vec<String>,
    /// Highest level on the latest completed assessment.
    pub risk_level: Option<RiskLevel>,
    /// Its review date.
    pub review_due: Option<NaiveDate>,
    /// The review date has passed.
    pub review_overdue: bool,
    /// Current support stage.
    pub episode_stage: Option<SupportStage>,
    /// Last day of the time-limited episode.
    pub episode_end: Option<NaiveDate>,
    /// The episode ends within 14 days or has passed its limit.
    pub episode_ending: bool,
    /// Most recent contact.
    pub last_contact_at: Option<DateTime<Utc>>,
    /// Workers holding the case.
    pub workers: Vec<String>,
    /// The first of them.
    pub assigned_worker: Option<String>,
    /// Closure date.
    pub closed_on: Option<NaiveDate>,
    /// Search relevance.
    pub score: Option<f32>,
}

/// Whether a time-limited episode ending on `end` needs attention on `today`.
pub fn episode_ending(end: Option<NaiveDate>, today: NaiveDate) -> bool {
    end.is_some_and(|e| (e - today).num_days() <= d::Episode::WARNING_DAYS)
}

impl ClientSummary {
    /// Maps the store's summary; `aliases` come from the record.
    pub fn from_store(s: outreach_store::ClientSummary, aliases: Vec<String>, today: NaiveDate) -> Self {
        Self {
            review_overdue: s.review_overdue(today),
            episode_ending: episode_ending(s.episode_end, today),
            assigned_worker: s.workers.first().cloned(),
            id: s.id,
            display_name: s.display_name.into_inner(),
            aliases,
            date_of_birth: s.date_of_birth.map(d::Sensitive::into_inner),
            area: s.area,
            needs: s.needs,
            safety_flags: s.safety_flags.into_iter().map(d::Sensitive::into_inner).collect(),
            risk_level: s.risk_level,
            review_due: s.review_due,
            episode_stage: s.episode_stage,
            episode_end: s.episode_end,
            last_contact_at: s.last_contact_at,
            workers: s.workers,
            closed_on: s.closed_on,
            score: s.score,
        }
    }
}

/// A caseload page and how many clients pass the filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseloadPage {
    /// The page.
    pub clients: Vec<ClientSummary>,
    /// Clients passing the filters in all.
    pub total: usize,
}

fn text(s: &Option<d::Sensitive<String>>) -> Option<String> {
    s.as_ref().map(|v| v.expose().clone())
}

/// A safety warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafetyFlag {
    /// Warning text.
    pub text: String,
    /// Raised on.
    pub raised_on: NaiveDate,
    /// Raised by.
    pub raised_by: String,
}

/// One consent decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consent {
    /// Purpose.
    pub purpose: d::ConsentPurpose,
    /// Agency.
    pub agency: String,
    /// Given or refused.
    pub given: bool,
    /// Recorded on.
    pub recorded_on: NaiveDate,
    /// Lapses on.
    pub expires_on: Option<NaiveDate>,
    /// Recorded by.
    pub recorded_by: String,
    /// Given and in force today.
    pub in_force: bool,
}

/// Referral route and date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    /// Source.
    pub source: String,
    /// Date.
    pub date: NaiveDate,
}

/// An age estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApproximateAge {
    /// Years.
    pub years: u8,
    /// As of.
    pub as_of: NaiveDate,
}

/// The person's details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientProfile {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: Option<String>,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Usual site.
    pub usual_site: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<NaiveDate>,
    /// Age estimate.
    pub approximate_age: Option<ApproximateAge>,
    /// Age today.
    pub age: Option<u32>,
    /// Gender.
    pub gender: Gender,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Last known address.
    pub last_known_address: Option<String>,
    /// Area.
    pub area: String,
    /// Needs.
    pub needs: Vec<Need>,
    /// Living situation.
    pub living_situation: LivingSituation,
    /// Housing difficulty judgement.
    pub housing_difficulty: Option<bool>,
    /// Referral.
    pub referral: Option<Referral>,
    /// Closed on.
    pub closed_on: Option<NaiveDate>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// By whom.
    pub updated_by: String,
    /// Record version.
    pub version: i64,
}

impl ClientProfile {
    /// Maps a client record.
    pub fn from_record(r: &Record<d::Client>, today: NaiveDate) -> Self {
        let c = &r.body;
        Self {
            id: r.meta.id,
            name: text(&c.name),
            aliases: c.aliases.iter().map(|a| a.expose().clone()).collect(),
            description: text(&c.description),
            usual_site: text(&c.usual_site),
            date_of_birth: c.date_of_birth.as_ref().map(|d| *d.expose()),
            approximate_age: c.approximate_age.map(|a| ApproximateAge { years: a.years, as_of: a.as_of }),
            age: c.age_on(today),
            gender: c.gender,
            phone: text(&c.phone),
            email: text(&c.email),
            last_known_address: text(&c.last_known_address),
            area: c.area.clone(),
            needs: c.needs.iter().copied().collect(),
            living_situation: c.living_situation,
            housing_difficulty: c.housing_difficulty,
            referral: c.referral.as_ref().map(|r| Referral { source: r.source.clone(), date: r.date }),
            closed_on: c.closed_on,
            updated_at: r.meta.updated_at,
            updated_by: r.meta.updated_by.clone(),
            version: r.meta.version,
        }
    }
}

/// One referral criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityCriterion {
    /// `adult`, `housing_difficulty` or `multiple_needs`.
    pub key: String,
    /// Plain label.
    pub label: String,
    /// Met or not.
    pub status: Criterion,
    /// Why.
    pub detail: String,
}

/// The referral criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Eligibility {
    /// All criteria together.
    pub overall: Criterion,
    /// Each criterion.
    pub criteria: Vec<EligibilityCriterion>,
    /// Core needs recorded.
    pub core_needs_met: Vec<Need>,
}

impl Eligibility {
    /// Explains the domain's assessment.
    pub fn explain(e: &d::Eligibility, client: &d::Client, today: NaiveDate) -> Self {
        let age = match client.age_on(today) {
            Some(age) => format!("Age {age}."),
            None => "Age not known: record a date of birth or an estimate.".to_string(),
        };
        let housing = match (client.housing_difficulty, client.living_situation.is_housing_difficulty()) {
            (Some(true), _) => "The worker recorded a housing difficulty.".to_string(),
            (Some(false), _) => "The worker recorded no housing difficulty.".to_string(),
            (None, Some(true)) => "The living situation is itself a housing difficulty.".to_string(),
            _ => "Not known from the living situation: say whether there is a housing difficulty.".to_string(),
        };
        let needs = format!("{} of the 4 core needs recorded (2 needed).", e.core_needs_met.len());
        let criterion = |key: &str, label: &str, status, detail| EligibilityCriterion {
            key: key.into(),
            label: label.into(),
            status,
            detail,
        };
        Self {
            overall: e.overall(),
            criteria: vec![
                criterion("adult", "Aged 18 or over", e.adult, age),
                criterion("housing_difficulty", "Homeless or insecurely housed", e.housing_difficulty, housing),
                criterion("multiple_needs", "Two or more core needs", e.multiple_needs, needs),
            ],
            core_needs_met: e.core_needs_met.clone(),
        }
    }
}

/// The support episode against its time limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeView {
    /// Stage.
    pub stage: SupportStage,
    /// Started on.
    pub started_on: NaiveDate,
    /// Ended on.
    pub ended_on: Option<NaiveDate>,
    /// Last day the limit allows.
    pub limit_end: Option<NaiveDate>,
    /// `no_limit`, `within`, `nearing_end`, `exceeded` or `ended`.
    pub status: String,
    /// Days left.
    pub days_left: Option<i64>,
    /// Days over.
    pub days_over: Option<i64>,
}

impl EpisodeView {
    /// Maps an episode on `today`.
    pub fn new(e: &d::Episode, today: NaiveDate) -> Self {
        let (status, days_left, days_over) = match e.status(today) {
            d::EpisodeStatus::NoLimit => ("no_limit", None, None),
            d::EpisodeStatus::Within { days_left, .. } => ("within", Some(days_left), None),
            d::EpisodeStatus::NearingEnd { days_left, .. } => ("nearing_end", Some(days_left), None),
            d::EpisodeStatus::Exceeded { days_over, .. } => ("exceeded", None, Some(days_over)),
            d::EpisodeStatus::Ended => ("ended", None, None),
        };
        Self {
            stage: e.stage,
            started_on: e.started_on,
            ended_on: e.ended_on,
            limit_end: e.stage.limit_end(e.started_on),
            status: status.into(),
            days_left,
            days_over,
        }
    }
}

/// A review's standing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewView {
    /// `current`, `due_soon` or `overdue`.
    pub status: String,
    /// Due date.
    pub due: NaiveDate,
    /// Days left or over.
    pub days: i64,
}

impl ReviewView {
    /// The standing of a review due on `due`.
    pub fn new(due: NaiveDate, today: NaiveDate) -> Self {
        match d::risk::review_status(due, today) {
            d::ReviewStatus::Current { due } => Self { status: "current".into(), due, days: (due - today).num_days() },
            d::ReviewStatus::DueSoon { due, days_left } => Self { status: "due_soon".into(), due, days: days_left },
            d::ReviewStatus::Overdue { due, days_over } => Self { status: "overdue".into(), due, days: days_over },
        }
    }
}

/// One risk rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskRating {
    /// Level.
    pub level: RiskLevel,
    /// Notes.
    pub notes: Option<String>,
}

impl From<&d::RiskRating> for RiskRating {
    fn from(r: &d::RiskRating) -> Self {
        Self { level: r.level, notes: text(&r.notes) }
    }
}

/// A dynamic risk assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RiskAssessment {
    /// Id.
    pub id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// When.
    pub assessed_at: DateTime<FixedOffset>,
    /// By whom.
    pub assessor: String,
    /// Risk to self.
    pub to_self: RiskRating,
    /// Risk to others.
    pub to_others: RiskRating,
    /// Risk from others.
    pub from_others: RiskRating,
    /// Safeguarding.
    pub safeguarding: RiskRating,
    /// Highest level.
    pub highest: RiskLevel,
    /// Triggers.
    pub triggers: Option<String>,
    /// Protective factors.
    pub protective_factors: Option<String>,
    /// Safety management plan.
    pub safety_plan: Option<String>,
    /// Review date.
    pub review_due: NaiveDate,
    /// Review standing.
    pub review: ReviewView,
    /// Draft or completed.
    pub status: RiskStatus,
    /// What it amends.
    pub amends: Option<Uuid>,
    /// The amendment that corrects it, if one does (then it is no longer current).
    pub superseded_by: Option<Uuid>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl RiskAssessment {
    /// Maps a record.
    pub fn new(r: &Record<d::RiskAssessment>, today: NaiveDate) -> Self {
        let b = &r.body;
        Self {
            id: r.meta.id,
            client_id: b.client_id,
            assessed_at: b.assessed_at,
            assessor: b.assessor.clone(),
            to_self: (&b.to_self).into(),
            to_others: (&b.to_others).into(),
            from_others: (&b.from_others).into(),
            safeguarding: (&b.safeguarding).into(),
            highest: b.highest_level(),
            triggers: text(&b.triggers),
            protective_factors: text(&b.protective_factors),
            safety_plan: text(&b.safety_plan),
            review_due: b.review_due,
            review: ReviewView::new(b.review_due, today),
            status: b.status,
            amends: b.amends,
            superseded_by: None,
            updated_at: r.meta.updated_at,
        }
    }
}

/// A worker's assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseloadAssignment {
    /// Worker.
    pub worker: String,
    /// Role.
    pub role: CaseloadRole,
    /// Started on.
    pub started_on: NaiveDate,
    /// Ended on.
    pub ended_on: Option<NaiveDate>,
}

/// The plan in brief, for the overview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummary {
    /// A plan exists.
    pub exists: bool,
    /// Agencies.
    pub agencies: Vec<String>,
    /// Summary.
    pub summary: Option<String>,
    /// Goals not achieved or abandoned.
    pub open_goals: usize,
    /// Goals achieved.
    pub achieved_goals: usize,
    /// Earliest target of an open goal.
    pub next_target_date: Option<NaiveDate>,
}

/// A contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Id.
    pub id: Uuid,
    /// Client.
    pub client_id: Uuid,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Where.
    pub location: Option<String>,
    /// How.
    pub contact_type: ContactType,
    /// What for.
    pub purpose: ContactPurpose,
    /// Worker.
    pub worker: String,
    /// Notes.
    pub notes: String,
    /// Outcome.
    pub outcome: Option<String>,
    /// Living situation seen.
    pub living_situation: LivingSituation,
    /// Seen bedded down.
    pub bedded_down: bool,
    /// What it amends.
    pub amends: Option<Uuid>,
}

impl From<&Record<d::Contact>> for Contact {
    fn from(r: &Record<d::Contact>) -> Self {
        let b = &r.body;
        Self {
            id: r.meta.id,
            client_id: b.client_id,
            at: b.at,
            location: text(&b.location),
            contact_type: b.contact_type,
            purpose: b.purpose,
            worker: b.worker.clone(),
            notes: b.notes.expose().clone(),
            outcome: b.outcome.clone(),
            living_situation: b.living_situation,
            bedded_down: b.bedded_down,
            amends: b.amends,
        }
    }
}

/// Everything the client page shows first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientOverview {
    /// Details.
    pub profile: ClientProfile,
    /// List name.
    pub display_name: String,
    /// Safety warnings.
    pub safety_flags: Vec<SafetyFlag>,
    /// Referral criteria.
    pub eligibility: Eligibility,
    /// Consents.
    pub consents: Vec<Consent>,
    /// Support episode.
    pub episode: Option<EpisodeView>,
    /// Latest completed assessment.
    pub latest_risk: Option<RiskAssessment>,
    /// Its review standing.
    pub review: Option<ReviewView>,
    /// Drafts.
    pub draft_risks: Vec<RiskAssessment>,
    /// Plan in brief.
    pub plan: PlanSummary,
    /// Recent contacts, newest first.
    pub recent_contacts: Vec<Contact>,
    /// Workers on the case.
    pub workers: Vec<CaseloadAssignment>,
    /// The merged-away id that was opened, when the page shows its survivor.
    pub opened_as: Option<Uuid>,
    /// Clients merged into this one (their records show here too).
    pub merged_from: Vec<MergedFrom>,
}

/// A client merged into the one shown, for the 'merged from' banner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergedFrom {
    /// The merged-away client's id.
    pub id: Uuid,
    /// Its list name.
    pub display_name: String,
    /// Merged straight into this client, so the merge can be undone here.
    pub can_undo: bool,
}

/// Two clients that may be the same person, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicatePair {
    /// One client.
    pub client_id: Uuid,
    /// Its list name.
    pub client_name: String,
    /// The other.
    pub other_id: Uuid,
    /// Its list name.
    pub other_name: String,
    /// 0 to 100: how alike.
    pub score: u8,
    /// The evidence, in plain words.
    pub reasons: Vec<String>,
}

impl From<&outreach_store::DuplicatePair> for DuplicatePair {
    fn from(p: &outreach_store::DuplicatePair) -> Self {
        Self {
            client_id: p.client,
            client_name: p.client_name.expose().clone(),
            other_id: p.other,
            other_name: p.other_name.expose().clone(),
            score: (p.likeness.score * 100.0).round().clamp(0.0, 100.0) as u8,
            reasons: p.likeness.reasons.iter().map(|r| r.expose().clone()).collect(),
        }
    }
}

/// Two client records side by side, for deciding whether to merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DuplicateComparison {
    /// One client's details.
    pub left: ClientProfile,
    /// Its contacts on this laptop.
    pub left_contacts: usize,
    /// The other's.
    pub right: ClientProfile,
    /// Its contacts on this laptop.
    pub right_contacts: usize,
    /// 0 to 100: how alike.
    pub score: u8,
    /// The evidence, for and against, in plain words.
    pub reasons: Vec<String>,
    /// Why they cannot be the same person, when they cannot.
    pub ruled_out: Option<String>,
}

/// What a merge did, so the UI can offer to undo it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeDone {
    /// The client merged away (undo takes this id).
    pub merged_id: Uuid,
    /// The survivor's page, with the merged client's records.
    pub survivor: ClientOverview,
}

impl ClientOverview {
    /// Maps the store's overview.
    pub fn new(o: &outreach_store::ClientOverview, today: NaiveDate) -> Self {
        let c = &o.client.body;
        let open = |g: &&Record<d::Goal>| !matches!(g.body.status, GoalStatus::Achieved | GoalStatus::Abandoned);
        let plan = o.plans.first();
        Self {
            profile: ClientProfile::from_record(&o.client, today),
            display_name: c.display_name(),
            safety_flags: c
                .safety_flags
                .iter()
                .map(|f| SafetyFlag {
                    text: f.text.expose().clone(),
                    raised_on: f.raised_on,
                    raised_by: f.raised_by.clone(),
                })
                .collect(),
            eligibility: Eligibility::explain(&o.eligibility, c, today),
            consents: c
                .consents
                .iter()
                .map(|k| Consent {
                    purpose: k.purpose,
                    agency: k.agency.clone(),
                    given: k.given,
                    recorded_on: k.recorded_on,
                    expires_on: k.expires_on,
                    recorded_by: k.recorded_by.clone(),
                    in_force: k.in_force(today),
                })
                .collect(),
            episode: c.episode.as_ref().map(|e| EpisodeView::new(e, today)),
            latest_risk: o.latest_risk.as_ref().map(|r| RiskAssessment::new(r, today)),
            review: o.latest_risk.as_ref().map(|r| ReviewView::new(r.body.review_due, today)),
            draft_risks: o.draft_risks.iter().map(|r| RiskAssessment::new(r, today)).collect(),
            plan: PlanSummary {
                exists: plan.is_some(),
                agencies: plan.map(|p| p.body.agencies.clone()).unwrap_or_default(),
                summary: plan.and_then(|p| text(&p.body.summary)),
                open_goals: o.goals.iter().filter(open).count(),
                achieved_goals: o.goals.iter().filter(|g| g.body.status == GoalStatus::Achieved).count(),
                next_target_date: o.goals.iter().filter(open).filter_map(|g| g.body.target_date).min(),
            },
            recent_contacts: o.recent_contacts.iter().map(Contact::from).collect(),
            workers: o
                .caseload
                .iter()
                .map(|a| CaseloadAssignment {
                    worker: a.body.worker.clone(),
                    role: a.body.role,
                    started_on: a.body.started_on,
                    ended_on: a.body.ended_on,
                })
                .collect(),
            opened_as: o.opened_as,
            merged_from: o
                .merged_from
                .iter()
                .map(|m| MergedFrom { id: m.id, display_name: m.display_name.expose().clone(), can_undo: m.direct })
                .collect(),
        }
    }
}

/// One audit entry about a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub user: String,
    /// What.
    pub action: String,
    /// Plain description.
    pub summary: String,
    /// Kind of record.
    pub kind: Option<String>,
    /// Record.
    pub record_id: Option<Uuid>,
    /// Detail.
    pub detail: Option<String>,
}

impl From<outreach_store::AuditEntry> for AuditEntry {
    fn from(e: outreach_store::AuditEntry) -> Self {
        let verb = match e.action.as_str() {
            "read" => "Viewed",
            "create" => "Created",
            "update" => "Updated",
            "delete" => "Deleted",
            "amend" => "Amended",
            "export" => "Exported",
            "receive" => "Received by sync",
            "erase" => "Erased by an administrator",
            "drop" => "Removed from this laptop",
            "import" => "Imported",
            _ => "Listed",
        };
        let what = e.kind.as_deref().map(|k| k.replace('_', " ")).unwrap_or_else(|| "records".into());
        Self {
            summary: format!("{verb} {what}"),
            at: e.at,
            user: e.user,
            action: e.action,
            kind: e.kind,
            record_id: e.record_id,
            detail: e.detail,
        }
    }
}

/// The plan itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlanView {
    /// Id.
    pub id: Uuid,
    /// Started on.
    pub started_on: NaiveDate,
    /// Agencies.
    pub agencies: Vec<String>,
    /// Summary.
    pub summary: Option<String>,
}

impl From<&Record<d::ActionPlan>> for ActionPlanView {
    fn from(r: &Record<d::ActionPlan>) -> Self {
        Self {
            id: r.meta.id,
            started_on: r.body.started_on,
            agencies: r.body.agencies.clone(),
            summary: text(&r.body.summary),
        }
    }
}

/// A goal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    /// Id.
    pub id: Uuid,
    /// Plan.
    pub plan_id: Uuid,
    /// Text.
    pub text: String,
    /// Term.
    pub term: GoalTerm,
    /// Target date.
    pub target_date: Option<NaiveDate>,
    /// Owner.
    pub owner: String,
    /// Outcome area.
    pub outcome_area: Option<String>,
    /// Status.
    pub status: GoalStatus,
    /// Open and past its target date.
    pub overdue: bool,
}

impl Goal {
    /// Maps a record.
    pub fn new(r: &Record<d::Goal>, today: NaiveDate) -> Self {
        let b = &r.body;
        let open = !matches!(b.status, GoalStatus::Achieved | GoalStatus::Abandoned);
        Self {
            id: r.meta.id,
            plan_id: b.plan_id,
            text: b.text.expose().clone(),
            term: b.term,
            target_date: b.target_date,
            owner: b.owner.clone(),
            outcome_area: b.outcome_area.clone(),
            status: b.status,
            overdue: open && b.target_date.is_some_and(|t| t < today),
        }
    }
}

/// An outcome area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeAreaInfo {
    /// Key.
    pub key: String,
    /// Label.
    pub label: String,
}

/// A recorded score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeScore {
    /// Id.
    pub id: Uuid,
    /// Area key.
    pub area: String,
    /// Area label.
    pub area_label: String,
    /// 1–10.
    pub score: u8,
    /// Stage name.
    pub stage: String,
    /// Recorded on.
    pub recorded_on: NaiveDate,
    /// Recorded by.
    pub recorded_by: String,
}

impl From<&Record<d::OutcomeScore>> for OutcomeScore {
    fn from(r: &Record<d::OutcomeScore>) -> Self {
        let b = &r.body;
        Self {
            id: r.meta.id,
            area: b.area.clone(),
            area_label: d::OutcomeArea::DEFAULTS
                .iter()
                .find(|a| a.key == b.area)
                .map_or_else(|| b.area.clone(), |a| a.label.to_string()),
            score: b.score,
            stage: d::OutcomeArea::stage(b.score).unwrap_or_default().to_string(),
            recorded_on: b.recorded_on,
            recorded_by: b.recorded_by.clone(),
        }
    }
}

/// A case conference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseConference {
    /// Id.
    pub id: Uuid,
    /// Held on.
    pub held_on: NaiveDate,
    /// Attendees.
    pub attendees: Vec<String>,
    /// Notes.
    pub notes: String,
}

impl From<&Record<d::CaseConference>> for CaseConference {
    fn from(r: &Record<d::CaseConference>) -> Self {
        Self {
            id: r.meta.id,
            held_on: r.body.held_on,
            attendees: r.body.attendees.clone(),
            notes: r.body.notes.expose().clone(),
        }
    }
}

/// The plan tab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlan {
    /// The plan, if one exists.
    pub plan: Option<ActionPlanView>,
    /// Goals.
    pub goals: Vec<Goal>,
    /// Scores, oldest first.
    pub scores: Vec<OutcomeScore>,
    /// The outcome areas.
    pub areas: Vec<OutcomeAreaInfo>,
    /// Conferences, newest first.
    pub conferences: Vec<CaseConference>,
}

/// A street count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreetCount {
    /// Id.
    pub id: Uuid,
    /// Area.
    pub area: String,
    /// Night of.
    pub night_of: NaiveDate,
    /// Window start.
    pub window_start: DateTime<FixedOffset>,
    /// Window end.
    pub window_end: DateTime<FixedOffset>,
    /// Team.
    pub team: Vec<String>,
    /// Method.
    pub approach: CountApproach,
    /// Open or closed.
    pub status: CountStatus,
    /// Closed at.
    pub closed_at: Option<DateTime<Utc>>,
    /// Sightings so far.
    pub sightings: usize,
}

impl StreetCount {
    /// Maps a record with its number of sightings.
    pub fn new(r: &Record<d::StreetCount>, sightings: usize) -> Self {
        let b = &r.body;
        Self {
            id: r.meta.id,
            area: b.area.clone(),
            night_of: b.night_of,
            window_start: b.window_start,
            window_end: b.window_end,
            team: b.team.clone(),
            approach: b.approach,
            status: b.status,
            closed_at: b.closed_at,
            sightings,
        }
    }
}

/// A sighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sighting {
    /// Id.
    pub id: Uuid,
    /// Count.
    pub count_id: Uuid,
    /// When.
    pub seen_at: DateTime<FixedOffset>,
    /// Where.
    pub location: String,
    /// Gender.
    pub gender: Gender,
    /// Age band.
    pub age_band: AgeBand,
    /// Nationality.
    pub nationality: Nationality,
    /// Sleeping rough.
    pub rough_sleeping: bool,
    /// Known to services.
    pub known_to_services: bool,
    /// Linked client.
    pub client_id: Option<Uuid>,
    /// Linked client's name.
    pub client_name: Option<String>,
    /// Same person as.
    pub same_as: Option<Uuid>,
    /// Notes.
    pub notes: Option<String>,
    /// Recorded by.
    pub recorded_by: String,
}

impl Sighting {
    /// Maps a record with the linked client's name.
    pub fn new(r: &Record<d::Sighting>, client_name: Option<String>) -> Self {
        let b = &r.body;
        Self {
            id: r.meta.id,
            count_id: b.count_id,
            seen_at: b.seen_at,
            location: b.location.clone(),
            gender: b.gender,
            age_band: b.age_band,
            nationality: b.nationality,
            rough_sleeping: b.rough_sleeping,
            known_to_services: b.known_to_services,
            client_id: b.client_id,
            client_name,
            same_as: b.same_as,
            notes: text(&b.notes),
            recorded_by: b.recorded_by.clone(),
        }
    }
}

/// Two sightings that may be one person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PossibleDuplicate {
    /// One.
    pub a: Uuid,
    /// The other.
    pub b: Uuid,
    /// `same_client` or `alike_and_nearby`.
    pub reason: d::count::DuplicateReason,
}

/// A count's running tally or return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountTally {
    /// The count.
    pub count: StreetCount,
    /// People counted once each.
    pub total: usize,
    /// Sightings recorded.
    pub sightings: usize,
    /// Sightings merged as the same person.
    pub duplicates_removed: usize,
    /// By gender.
    pub by_gender: BTreeMap<Gender, usize>,
    /// By age band.
    pub by_age_band: BTreeMap<AgeBand, usize>,
    /// By nationality.
    pub by_nationality: BTreeMap<Nationality, usize>,
    /// Pairs to check.
    pub possible_duplicates: Vec<PossibleDuplicate>,
    /// The sightings in the order seen.
    pub sighting_list: Vec<Sighting>,
}

/// Progress of a running sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgress {
    /// `push` or `pull`.
    pub phase: String,
    /// Changes sent.
    pub sent: usize,
    /// Records received.
    pub received: usize,
    /// 0–100.
    pub percent: u8,
}

/// The sync status bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// `offline`, `idle`, `syncing`, `error` or `revoked`.
    pub state: String,
    /// Progress while syncing.
    pub progress: Option<SyncProgress>,
    /// Last complete sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// A device token is stored.
    pub signed_in: bool,
    /// The server.
    pub server_url: Option<String>,
    /// Changes waiting to be sent.
    pub pending: usize,
    /// Open conflicts.
    pub conflicts: usize,
    /// Refused changes.
    pub needs_attention: usize,
    /// Plain words about the last outcome.
    pub message: Option<String>,
    /// When automatic sync next tries (a run, or while offline a cheap
    /// look at whether the server answers); `None` while syncing, when
    /// automatic sync is off, or while not signed in.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Automatic sync is on for this session.
    pub automatic: bool,
}

/// The result of signing in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInResult {
    /// Server.
    pub server_url: String,
    /// User.
    pub user: String,
    /// This laptop's device id.
    pub device_id: Uuid,
    /// Teams.
    pub teams: Vec<String>,
}

/// A field two people changed differently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// Id.
    pub id: Uuid,
    /// Record.
    pub record_id: Uuid,
    /// Kind tag.
    pub kind: String,
    /// Client the record is about.
    pub client_id: Option<Uuid>,
    /// Its name.
    pub client_name: Option<String>,
    /// Field (snake_case).
    pub field: String,
    /// Plain label.
    pub field_label: String,
    /// Value now.
    pub kept: Value,
    /// Value not applied.
    pub other: Value,
    /// Value now, as text.
    pub kept_text: String,
    /// Other value, as text.
    pub other_text: String,
    /// Who made the other change.
    pub other_user: String,
    /// On which device.
    pub other_device: Uuid,
    /// When (their clock).
    pub other_at: DateTime<Utc>,
    /// Who resolved it.
    pub resolved_by: Option<String>,
}

/// A JSON value as a worker would read it.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::String(s) => s.replace('_', " "),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), value_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// `living_situation` → `Living situation`.
pub fn field_label(field: &str) -> String {
    let words = field.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A refused local change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NeedsAttention {
    /// Mutation id.
    pub mutation_id: Uuid,
    /// Record.
    pub record_id: Uuid,
    /// Kind tag.
    pub kind: String,
    /// Operation.
    pub op: String,
    /// Fields set.
    pub changes: serde_json::Map<String, Value>,
    /// Made at.
    pub made_at: DateTime<Utc>,
    /// Server code.
    pub code: String,
    /// Reason.
    pub reason: String,
    /// Refused at.
    pub rejected_at: DateTime<Utc>,
}

/// Caseload size of a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerCaseload {
    /// Worker.
    pub worker: String,
    /// Open clients.
    pub clients: usize,
    /// Of them at high risk.
    pub high_risk: usize,
    /// Of them with an overdue review.
    pub overdue_reviews: usize,
}

/// An overdue review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverdueReview {
    /// Client.
    pub client_id: Uuid,
    /// Name.
    pub display_name: String,
    /// Worker.
    pub worker: Option<String>,
    /// Due.
    pub review_due: NaiveDate,
    /// Days over.
    pub days_over: i64,
}

/// Contacts in one week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekContacts {
    /// Monday.
    pub week_start: NaiveDate,
    /// All contacts.
    pub contacts: usize,
    /// Key-work sessions.
    pub key_work: usize,
    /// Street encounters.
    pub street_encounters: usize,
}

/// Count totals of an area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AreaCountTotals {
    /// Area.
    pub area: String,
    /// Counts held.
    pub counts: usize,
    /// People on the latest closed count.
    pub latest_total: Option<usize>,
    /// Its night.
    pub latest_night_of: Option<NaiveDate>,
    /// People over all closed counts.
    pub total_people: usize,
}

/// The team lead's report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamReport {
    /// When computed.
    pub generated_at: DateTime<Utc>,
    /// Per worker.
    pub caseloads: Vec<WorkerCaseload>,
    /// Open clients with no worker.
    pub unassigned: usize,
    /// Overdue reviews, most overdue first.
    pub overdue_reviews: Vec<OverdueReview>,
    /// The last 12 weeks, oldest first.
    pub contacts_per_week: Vec<WeekContacts>,
    /// Per area.
    pub count_totals: Vec<AreaCountTotals>,
}

/// A written CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportResult {
    /// Where.
    pub path: String,
    /// Data rows.
    pub rows: usize,
}

/// The Monday of the week of `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}
