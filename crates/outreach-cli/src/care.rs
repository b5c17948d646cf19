//! `outreach risk ...`, `outreach plan ...` and `outreach contact ...`.

use crate::args;
use crate::output::Output;
use anyhow::{Result, bail};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use clap::{Args, Subcommand};
use outreach_domain::plan::movement;
use outreach_domain::{
    ActionPlan, CaseConference, Contact, ContactPurpose, ContactType, Goal, GoalStatus, GoalTerm, LivingSituation,
    OutcomeArea, OutcomeScore, RecordKind, RiskAssessment, RiskLevel, RiskRating, RiskStatus,
};
use outreach_store::Store;
use std::fmt::Write;

/// The four risk dimensions and the rest of the form.
#[derive(Args)]
pub struct RiskForm {
    /// Risk to self: low, medium, high
    #[arg(long, value_parser = args::risk_level)]
    to_self: RiskLevel,
    /// Risk to others
    #[arg(long, value_parser = args::risk_level)]
    to_others: RiskLevel,
    /// Risk from others
    #[arg(long, value_parser = args::risk_level)]
    from_others: RiskLevel,
    /// Safeguarding
    #[arg(long, value_parser = args::risk_level)]
    safeguarding: RiskLevel,
    /// Notes on risk to self
    #[arg(long)]
    to_self_notes: Option<String>,
    /// Notes on risk to others
    #[arg(long)]
    to_others_notes: Option<String>,
    /// Notes on risk from others
    #[arg(long)]
    from_others_notes: Option<String>,
    /// Notes on safeguarding
    #[arg(long)]
    safeguarding_notes: Option<String>,
    /// What makes risk rise
    #[arg(long)]
    triggers: Option<String>,
    /// What keeps the person and others safe
    #[arg(long)]
    protective: Option<String>,
    /// The safety management plan (required when any risk is high)
    #[arg(long)]
    plan: Option<String>,
    /// Review date
    #[arg(long, value_parser = args::date, conflicts_with = "review_in")]
    review: Option<NaiveDate>,
    /// Review in this many days [default: 28]
    #[arg(long)]
    review_in: Option<i64>,
    /// When assessed [default: now]
    #[arg(long, value_parser = args::datetime)]
    at: Option<DateTime<FixedOffset>>,
    /// Save as a draft (editable) instead of completing it
    #[arg(long)]
    draft: bool,
}

fn rating(level: RiskLevel, notes: Option<String>) -> RiskRating {
    RiskRating { level, notes: notes.map(Into::into) }
}

/// `outreach risk ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum RiskCommand {
    /// Record a dynamic risk assessment (completed unless --draft)
    Add {
        /// Client id
        client: String,
        #[command(flatten)]
        form: RiskForm,
        /// The completed assessment this one corrects
        #[arg(long)]
        amends: Option<String>,
    },
    /// Complete (sign off) a draft assessment
    Complete {
        /// Assessment id
        id: String,
    },
    /// A client's assessments, newest first
    List {
        /// Client id
        client: String,
        /// Include amended originals
        #[arg(long)]
        history: bool,
    },
}

pub fn risk(store: &mut Store, command: RiskCommand, today: NaiveDate) -> Result<Output> {
    match command {
        RiskCommand::Add { client, form, amends } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let amends = amends.map(|a| store.resolve_id(RecordKind::RiskAssessment, &a)).transpose()?;
            let assessed_at = form.at.unwrap_or_else(args::now);
            let review_due =
                form.review.unwrap_or_else(|| assessed_at.date_naive() + Duration::days(form.review_in.unwrap_or(28)));
            let record = store.create(RiskAssessment {
                client_id,
                assessed_at,
                assessor: store.user().to_string(),
                to_self: rating(form.to_self, form.to_self_notes),
                to_others: rating(form.to_others, form.to_others_notes),
                from_others: rating(form.from_others, form.from_others_notes),
                safeguarding: rating(form.safeguarding, form.safeguarding_notes),
                triggers: form.triggers.map(Into::into),
                protective_factors: form.protective.map(Into::into),
                safety_plan: form.plan.map(Into::into),
                review_due,
                status: if form.draft { RiskStatus::Draft } else { RiskStatus::Completed },
                amends,
            })?;
            let what = if form.draft { "Draft saved" } else { "Assessment completed" };
            let text = format!(
                "{what} ({}): highest risk {}, review by {review_due}",
                record.meta.id,
                record.body.highest_level().as_str()
            );
            Ok(Output::new(&record, text))
        }
        RiskCommand::Complete { id } => {
            let id = store.resolve_id(RecordKind::RiskAssessment, &id)?;
            let record = store.update::<RiskAssessment>(id, |r| r.status = RiskStatus::Completed)?;
            Ok(Output::new(&record, format!("Assessment {id} completed and signed off")))
        }
        RiskCommand::List { client, history } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let records = if history {
                store.history_for_client::<RiskAssessment>(client_id)?
            } else {
                store.list_for_client::<RiskAssessment>(client_id, None)?
            };
            let mut text = String::new();
            for r in &records {
                let b = &r.body;
                let _ = writeln!(
                    text,
                    "{}  {}  {:?}  self {} / others {} / from others {} / safeguarding {}  review {} ({:?}){}",
                    r.meta.id,
                    b.assessed_at.format("%Y-%m-%d %H:%M"),
                    b.status,
                    b.to_self.level.as_str(),
                    b.to_others.level.as_str(),
                    b.from_others.level.as_str(),
                    b.safeguarding.level.as_str(),
                    b.review_due,
                    b.review_status(today),
                    b.amends.map(|a| format!("  amends {a}")).unwrap_or_default()
                );
            }
            if records.is_empty() {
                text = "No risk assessments.".into();
            }
            Ok(Output::new(&records, text.trim_end().to_string()))
        }
    }
}

/// `outreach plan ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum PlanCommand {
    /// Start a personal action plan
    Create {
        /// Client id
        client: String,
        /// Agency involved (repeatable)
        #[arg(long = "agency")]
        agencies: Vec<String>,
        /// What the person wants, in their words
        #[arg(long)]
        summary: Option<String>,
    },
    /// Add a goal to a plan
    Goal {
        /// Plan id
        plan: String,
        /// The goal
        #[arg(long)]
        text: String,
        /// short or long
        #[arg(long, value_parser = args::tag::<GoalTerm>)]
        term: GoalTerm,
        /// Target date
        #[arg(long, value_parser = args::date)]
        target: Option<NaiveDate>,
        /// Worker or agency responsible [default: you]
        #[arg(long)]
        owner: Option<String>,
        /// Outcome area key (see `outreach plan areas`)
        #[arg(long)]
        area: Option<String>,
    },
    /// Set a goal's status: not_started, in_progress, achieved, abandoned
    GoalStatus {
        /// Goal id
        goal: String,
        /// New status
        #[arg(value_parser = args::tag::<GoalStatus>)]
        status: GoalStatus,
    },
    /// Record a 1-10 score on an outcome area
    Score {
        /// Client id
        client: String,
        /// Outcome area key
        #[arg(long)]
        area: String,
        /// 1 to 10
        #[arg(long)]
        score: u8,
        /// The plan it was taken under
        #[arg(long)]
        plan: Option<String>,
        /// When [default: today]
        #[arg(long, value_parser = args::date)]
        on: Option<NaiveDate>,
    },
    /// Record a multi-agency case conference
    Conference {
        /// Client id
        client: String,
        /// What was discussed and agreed
        #[arg(long)]
        notes: String,
        /// Agency or person present (repeatable)
        #[arg(long = "attendee")]
        attendees: Vec<String>,
        /// When [default: today]
        #[arg(long, value_parser = args::date)]
        on: Option<NaiveDate>,
    },
    /// A client's plans, goals and progress per outcome area
    Show {
        /// Client id
        client: String,
    },
    /// The outcome areas and stages of the 1-10 scale
    Areas,
}

pub fn plan(store: &mut Store, command: PlanCommand, today: NaiveDate) -> Result<Output> {
    match command {
        PlanCommand::Create { client, agencies, summary } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let record = store.create(ActionPlan {
                client_id,
                started_on: today,
                agencies,
                summary: summary.map(Into::into),
            })?;
            Ok(Output::new(&record, format!("Plan {} started", record.meta.id)))
        }
        PlanCommand::Goal { plan, text, term, target, owner, area } => {
            let plan_id = store.resolve_id(RecordKind::ActionPlan, &plan)?;
            let client_id = store.get::<ActionPlan>(plan_id)?.body.client_id;
            let record = store.create(Goal {
                plan_id,
                client_id,
                text: text.into(),
                term,
                target_date: target,
                owner: owner.unwrap_or_else(|| store.user().to_string()),
                outcome_area: area,
                status: GoalStatus::NotStarted,
            })?;
            Ok(Output::new(&record, format!("Goal {} added", record.meta.id)))
        }
        PlanCommand::GoalStatus { goal, status } => {
            let id = store.resolve_id(RecordKind::Goal, &goal)?;
            let record = store.update::<Goal>(id, |g| g.status = status)?;
            Ok(Output::new(&record, format!("Goal {id} is now {status:?}")))
        }
        PlanCommand::Score { client, area, score, plan, on } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let plan_id = plan.map(|p| store.resolve_id(RecordKind::ActionPlan, &p)).transpose()?;
            let record = store.create(OutcomeScore {
                client_id,
                plan_id,
                area: area.clone(),
                score,
                recorded_on: on.unwrap_or(today),
                recorded_by: store.user().to_string(),
                amends: None,
            })?;
            let stage = OutcomeArea::stage(score).unwrap_or("");
            Ok(Output::new(&record, format!("Scored {score} ({stage}) on {area}")))
        }
        PlanCommand::Conference { client, notes, attendees, on } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let record = store.create(CaseConference {
                client_id,
                plan_id: None,
                held_on: on.unwrap_or(today),
                attendees,
                notes: notes.into(),
            })?;
            Ok(Output::new(&record, format!("Case conference {} recorded", record.meta.id)))
        }
        PlanCommand::Show { client } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let overview = store.client_overview(client_id, today)?;
            let mut text = String::new();
            for p in &overview.plans {
                let _ =
                    writeln!(text, "Plan {} from {} with {}", p.meta.id, p.body.started_on, p.body.agencies.join(", "));
            }
            for g in &overview.goals {
                let _ = writeln!(
                    text,
                    "  Goal {} [{:?}/{:?}] {}",
                    g.meta.id,
                    g.body.term,
                    g.body.status,
                    g.body.text.expose()
                );
            }
            let scores: Vec<&OutcomeScore> = overview.scores.iter().map(|s| &s.body).collect();
            for area in OutcomeArea::DEFAULTS {
                let series: Vec<String> = scores
                    .iter()
                    .filter(|s| s.area == area.key)
                    .map(|s| format!("{} {}", s.recorded_on, s.score))
                    .collect();
                if let Some(change) = movement(&scores, area.key) {
                    let _ = writeln!(text, "  {}: {} (movement {change:+})", area.label, series.join(", "));
                }
            }
            for c in &overview.conferences {
                let _ = writeln!(
                    text,
                    "  Conference {} with {}: {}",
                    c.body.held_on,
                    c.body.attendees.join(", "),
                    c.body.notes.expose()
                );
            }
            if text.is_empty() {
                text = "No plan yet: start one with `outreach plan create CLIENT`.".into();
            }
            let value = serde_json::json!({
                "plans": overview.plans, "goals": overview.goals, "scores": overview.scores, "conferences": overview.conferences,
            });
            Ok(Output::new(value, text.trim_end().to_string()))
        }
        PlanCommand::Areas => {
            let text = OutcomeArea::DEFAULTS
                .iter()
                .map(|a| format!("{:<16} {}", a.key, a.label))
                .collect::<Vec<_>>()
                .join("\n")
                + &format!(
                    "\nStages: 1-2 {}, 3-4 {}, 5-6 {}, 7-8 {}, 9-10 {}",
                    OutcomeArea::STAGES[0],
                    OutcomeArea::STAGES[1],
                    OutcomeArea::STAGES[2],
                    OutcomeArea::STAGES[3],
                    OutcomeArea::STAGES[4]
                );
            Ok(Output::new(serde_json::json!({ "areas": OutcomeArea::DEFAULTS, "stages": OutcomeArea::STAGES }), text))
        }
    }
}

/// `outreach contact ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum ContactCommand {
    /// Record a contact (signed off when saved; correct it with --amends)
    Add {
        /// Client id
        client: String,
        /// face_to_face, phone, outreach_shift, other
        #[arg(long = "type", value_parser = args::tag::<ContactType>, default_value = "face_to_face")]
        contact_type: ContactType,
        /// key_work or street_encounter
        #[arg(long, value_parser = args::tag::<ContactPurpose>, default_value = "key_work")]
        purpose: ContactPurpose,
        /// What happened
        #[arg(long)]
        notes: String,
        /// When [default: now]
        #[arg(long, value_parser = args::datetime)]
        at: Option<DateTime<FixedOffset>>,
        /// Where
        #[arg(long)]
        location: Option<String>,
        /// What came of it
        #[arg(long)]
        outcome: Option<String>,
        /// The person's living situation at this contact [default: rough_sleeping if --bedded-down, else not_known]
        #[arg(long, value_parser = args::tag::<LivingSituation>)]
        living: Option<LivingSituation>,
        /// The person was seen bedded down (sleeping rough)
        #[arg(long)]
        bedded_down: bool,
        /// The contact this one corrects
        #[arg(long)]
        amends: Option<String>,
    },
    /// A client's contacts, newest first
    List {
        /// Client id
        client: String,
        /// How many
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

pub fn contact(store: &mut Store, command: ContactCommand) -> Result<Output> {
    match command {
        ContactCommand::Add {
            client,
            contact_type,
            purpose,
            notes,
            at,
            location,
            outcome,
            living,
            bedded_down,
            amends,
        } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let amends = amends.map(|a| store.resolve_id(RecordKind::Contact, &a)).transpose()?;
            if notes.trim().is_empty() {
                bail!("--notes cannot be empty: say what happened");
            }
            let living =
                living.unwrap_or(if bedded_down { LivingSituation::RoughSleeping } else { LivingSituation::NotKnown });
            let record = store.create(Contact {
                client_id,
                at: at.unwrap_or_else(args::now),
                location: location.map(Into::into),
                contact_type,
                purpose,
                worker: store.user().to_string(),
                notes: notes.into(),
                outcome,
                living_situation: living,
                bedded_down,
                amends,
            })?;
            Ok(Output::new(&record, format!("Contact {} recorded", record.meta.id)))
        }
        ContactCommand::List { client, limit } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let records = store.list_for_client::<Contact>(client_id, Some(limit))?;
            let text = if records.is_empty() {
                "No contacts.".to_string()
            } else {
                records
                    .iter()
                    .map(|r| {
                        let b = &r.body;
                        format!(
                            "{}  {}  {:?}/{:?}  {}{}  {}",
                            r.meta.id,
                            b.at.format("%Y-%m-%d %H:%M"),
                            b.purpose,
                            b.contact_type,
                            b.worker,
                            if b.bedded_down { " bedded down" } else { "" },
                            b.notes.expose()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::new(&records, text))
        }
    }
}
