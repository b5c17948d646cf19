//! `outreach client ...` and `outreach caseload ...`.

use crate::args;
use crate::output::{Output, client_lines};
use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use outreach_domain::client::ApproximateAge;
use outreach_domain::{
    CaseloadAssignment, CaseloadRole, Client, Consent, ConsentPurpose, Episode, Gender, LivingSituation, Need,
    RecordKind, Referral, RiskLevel, SafetyFlag, SupportStage,
};
use outreach_store::{ClientFilter, Store};
use std::fmt::Write;

/// Client details; on `add` and `edit` each given option sets that field.
#[derive(Args, Default)]
pub struct ClientFields {
    /// Name as the person gives it
    #[arg(long)]
    name: Option<String>,
    /// Another name or spelling they are known by (repeatable)
    #[arg(long = "alias")]
    aliases: Vec<String>,
    /// How to recognise someone who gave no name
    #[arg(long)]
    description: Option<String>,
    /// Where they usually sleep or can be found
    #[arg(long)]
    site: Option<String>,
    /// Date of birth (YYYY-MM-DD or DD/MM/YYYY)
    #[arg(long, value_parser = args::date)]
    dob: Option<NaiveDate>,
    /// Approximate age, when the date of birth is not known
    #[arg(long)]
    age: Option<u8>,
    /// male, female, non_binary, not_known
    #[arg(long, value_parser = args::tag::<Gender>)]
    gender: Option<Gender>,
    /// Local authority area (Liverpool, Sefton, Knowsley, Halton, Wirral, St Helens)
    #[arg(long)]
    area: Option<String>,
    /// Area of need (repeatable): mental_health, substance_use, offending, behavioural, debt, physical_health
    #[arg(long = "need", value_parser = args::tag::<Need>)]
    needs: Vec<Need>,
    /// rough_sleeping, night_shelter, hostel, emergency_accommodation, supported_accommodation, sofa_surfing, squatting, hospital, prison, asylum_accommodation, care, own_tenancy, with_family, other, not_known
    #[arg(long, value_parser = args::tag::<LivingSituation>)]
    living: Option<LivingSituation>,
    /// The worker's judgement of housing difficulty, where the living situation does not settle it (yes or no)
    #[arg(long)]
    housing_difficulty: Option<bool>,
    /// Phone number
    #[arg(long)]
    phone: Option<String>,
    /// Email address
    #[arg(long)]
    email: Option<String>,
    /// Last known address or location
    #[arg(long)]
    address: Option<String>,
    /// Who referred them
    #[arg(long)]
    referral_source: Option<String>,
    /// When they were referred [default: today]
    #[arg(long, value_parser = args::date)]
    referral_date: Option<NaiveDate>,
    /// Support stage: outreach, enablement (6 weeks), support (6 months), supported_accommodation, supported_housing, floating_support
    #[arg(long, value_parser = args::tag::<SupportStage>)]
    stage: Option<SupportStage>,
    /// First day of the stage [default: today]
    #[arg(long, value_parser = args::date)]
    stage_start: Option<NaiveDate>,
    /// Safety warning shown on every view, e.g. 'do not visit alone' (repeatable)
    #[arg(long = "flag")]
    flags: Vec<String>,
}

impl ClientFields {
    /// Applies every given option to `client`.
    fn apply(self, client: &mut Client, today: NaiveDate, worker: &str) {
        let s = |v: String| Some(v.into());
        if let Some(v) = self.name {
            client.name = s(v);
        }
        client.aliases.extend(self.aliases.into_iter().map(Into::into));
        if let Some(v) = self.description {
            client.description = s(v);
        }
        if let Some(v) = self.site {
            client.usual_site = s(v);
        }
        if let Some(v) = self.dob {
            client.date_of_birth = Some(v.into());
        }
        if let Some(years) = self.age {
            client.approximate_age = Some(ApproximateAge { years, as_of: today });
        }
        if let Some(v) = self.gender {
            client.gender = v;
        }
        if let Some(v) = self.area {
            client.area = v;
        }
        if !self.needs.is_empty() {
            client.needs = self.needs.into_iter().collect();
        }
        if let Some(v) = self.living {
            client.living_situation = v;
        }
        if let Some(v) = self.housing_difficulty {
            client.housing_difficulty = Some(v);
        }
        if let Some(v) = self.phone {
            client.phone = s(v);
        }
        if let Some(v) = self.email {
            client.email = s(v);
        }
        if let Some(v) = self.address {
            client.last_known_address = s(v);
        }
        if let Some(source) = self.referral_source {
            client.referral = Some(Referral { source, date: self.referral_date.unwrap_or(today) });
        } else if let (Some(date), Some(referral)) = (self.referral_date, client.referral.as_mut()) {
            referral.date = date;
        }
        if let Some(stage) = self.stage {
            if let Some(previous) = client.episode.as_mut().filter(|e| e.ended_on.is_none()) {
                previous.ended_on = Some(today);
            }
            client.episode = Some(Episode { stage, started_on: self.stage_start.unwrap_or(today), ended_on: None });
        }
        for text in self.flags {
            client.safety_flags.push(SafetyFlag { text: text.into(), raised_on: today, raised_by: worker.to_string() });
        }
    }
}

/// Filters shared by `search` and `list`.
#[derive(Args)]
pub struct FilterArgs {
    /// Only this area
    #[arg(long)]
    area: Option<String>,
    /// Only clients this worker holds
    #[arg(long)]
    worker: Option<String>,
    /// Only clients with this need
    #[arg(long, value_parser = args::tag::<Need>)]
    need: Option<Need>,
    /// Only clients at this risk level or higher
    #[arg(long, value_parser = args::risk_level)]
    risk: Option<RiskLevel>,
    /// Only clients whose risk review is overdue
    #[arg(long)]
    overdue: bool,
    /// Include closed cases
    #[arg(long)]
    closed: bool,
    /// How many results
    #[arg(long, default_value_t = 20)]
    limit: usize,
}

impl FilterArgs {
    fn filter(&self) -> ClientFilter {
        ClientFilter {
            area: self.area.clone(),
            worker: self.worker.clone(),
            need: self.need,
            min_risk: self.risk,
            overdue_review: self.overdue,
            include_closed: self.closed,
        }
    }
}

/// `outreach client ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum ClientCommand {
    /// Add a client (a name, an alias or a description is enough to start)
    Add {
        #[command(flatten)]
        fields: ClientFields,
    },
    /// Change a client's details
    Edit {
        /// Client id (or its first 8+ characters)
        id: String,
        #[command(flatten)]
        fields: ClientFields,
        /// Close the case on this date
        #[arg(long, value_parser = args::date)]
        close: Option<NaiveDate>,
        /// Remove all safety flags (e.g. to replace them)
        #[arg(long)]
        clear_flags: bool,
    },
    /// Record a consent decision for one purpose and one agency
    Consent {
        /// Client id
        id: String,
        /// case_recording, information_sharing, referral, case_conference, contacting
        #[arg(long, value_parser = args::tag::<ConsentPurpose>)]
        purpose: ConsentPurpose,
        /// The one agency this covers
        #[arg(long)]
        agency: String,
        /// The person refused (default: gave consent)
        #[arg(long)]
        refused: bool,
        /// When it lapses
        #[arg(long, value_parser = args::date)]
        expires: Option<NaiveDate>,
    },
    /// Show a client: safety flags, eligibility, risk, plan, recent contacts
    Show {
        /// Client id
        id: String,
    },
    /// Fuzzy search over names, aliases and descriptions, or a date of birth
    Search {
        /// Name, part of a name, or date of birth
        query: String,
        #[command(flatten)]
        filters: FilterArgs,
    },
    /// List clients, by name
    List {
        #[command(flatten)]
        filters: FilterArgs,
        /// Skip this many
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Delete a client (kept as a tombstone so the deletion syncs)
    Delete {
        /// Client id
        id: String,
    },
    /// Possible duplicates: clients that may be the same person recorded twice
    Duplicates {
        /// Only those of this client
        #[arg(long)]
        of: Option<String>,
        /// How many pairs
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Merge a client into another (the same person): its records then show under the other
    Merge {
        /// The client merged away
        id: String,
        /// The client that stays
        #[arg(long)]
        into: String,
    },
    /// Undo a merge: the client is its own person again
    Unmerge {
        /// The merged-away client
        id: String,
    },
    /// Record that two clients are not the same person, so they are not suggested again
    NotSame {
        /// One client
        id: String,
        /// The other
        #[arg(long)]
        other: String,
    },
}

pub fn client(store: &mut Store, command: ClientCommand, today: NaiveDate) -> Result<Output> {
    match command {
        ClientCommand::Add { fields } => {
            let mut client = Client::default();
            let worker = store.user().to_string();
            fields.apply(&mut client, today, &worker);
            let record = store.create(client)?;
            let text = format!("Added client {} ({})", record.meta.id, record.body.display_name());
            Ok(Output::new(&record, text))
        }
        ClientCommand::Edit { id, fields, close, clear_flags } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            let worker = store.user().to_string();
            let record = store.update::<Client>(id, |c| {
                if clear_flags {
                    c.safety_flags.clear();
                }
                fields.apply(c, today, &worker);
                if close.is_some() {
                    c.closed_on = close;
                }
            })?;
            Ok(Output::new(&record, format!("Updated client {id}")))
        }
        ClientCommand::Consent { id, purpose, agency, refused, expires } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            let worker = store.user().to_string();
            let record = store.update::<Client>(id, |c| {
                c.consents.push(Consent {
                    purpose,
                    agency: agency.clone(),
                    given: !refused,
                    recorded_on: today,
                    expires_on: expires,
                    recorded_by: worker,
                })
            })?;
            let verb = if refused { "refused" } else { "given" };
            Ok(Output::new(&record, format!("Consent {verb} for {purpose:?} with {agency}")))
        }
        ClientCommand::Show { id } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            let overview = store.client_overview(id, today)?;
            let text = show_text(&overview);
            Ok(Output::new(&overview, text))
        }
        ClientCommand::Search { query, filters } => {
            let hits = store.search(&query, &filters.filter(), today, filters.limit)?;
            let text = client_lines(&hits, today);
            Ok(Output::new(&hits, text))
        }
        ClientCommand::List { filters, offset } => {
            let hits = store.list_clients(&filters.filter(), today, offset, filters.limit)?;
            let text = client_lines(&hits, today);
            Ok(Output::new(&hits, text))
        }
        ClientCommand::Delete { id } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            store.delete::<Client>(id)?;
            Ok(Output::new(serde_json::json!({ "deleted": id }), format!("Deleted client {id}")))
        }
        ClientCommand::Duplicates { of, limit } => {
            let mut pairs = match of {
                Some(id) => {
                    let id = store.resolve_id(RecordKind::Client, &id)?;
                    store.duplicates_of(id)?
                }
                None => store.duplicate_suggestions(limit)?,
            };
            pairs.truncate(limit);
            let text = duplicate_lines(&pairs);
            Ok(Output::new(&pairs, text))
        }
        ClientCommand::Merge { id, into } => {
            let merged = store.resolve_id(RecordKind::Client, &id)?;
            let into = store.resolve_id(RecordKind::Client, &into)?;
            let record = store.merge_clients(merged, into)?;
            let survivor = record.body.merged_into.unwrap_or(into);
            let text = format!(
                "Merged {} ({merged}) into {survivor}; undo with: outreach client unmerge {merged}",
                record.body.display_name()
            );
            Ok(Output::new(&record, text))
        }
        ClientCommand::Unmerge { id } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            let record = store.unmerge_client(id)?;
            Ok(Output::new(&record, format!("Merge undone: {id} is its own client again")))
        }
        ClientCommand::NotSame { id, other } => {
            let id = store.resolve_id(RecordKind::Client, &id)?;
            let other = store.resolve_id(RecordKind::Client, &other)?;
            let record = store.dismiss_duplicate(id, other)?;
            Ok(Output::new(&record, format!("Noted: {id} and {other} are not the same person")))
        }
    }
}

fn duplicate_lines(pairs: &[outreach_store::DuplicatePair]) -> String {
    if pairs.is_empty() {
        return "No possible duplicates.".into();
    }
    let mut t = String::new();
    for p in pairs {
        let reasons: Vec<&str> = p.likeness.reasons.iter().map(|r| r.expose().as_str()).collect();
        let _ = writeln!(
            t,
            "{:>3}%  {} {}  /  {} {}\n      {}",
            (p.likeness.score * 100.0).round(),
            p.client,
            p.client_name.expose(),
            p.other,
            p.other_name.expose(),
            reasons.join("; ")
        );
    }
    t.pop();
    t
}

fn show_text(o: &outreach_store::ClientOverview) -> String {
    let c = &o.client.body;
    let mut t = String::new();
    for flag in &c.safety_flags {
        let _ = writeln!(t, "!! SAFETY: {} (raised {} by {})", flag.text.expose(), flag.raised_on, flag.raised_by);
    }
    let _ = writeln!(t, "{}  [{}]", c.display_name(), o.client.meta.id);
    if !c.aliases.is_empty() {
        let aliases: Vec<&str> = c.aliases.iter().map(|a| a.expose().as_str()).collect();
        let _ = writeln!(t, "Also known as: {}", aliases.join(", "));
    }
    if let Some(d) = &c.description {
        let _ = writeln!(t, "Description: {}", d.expose());
    }
    if let Some(site) = &c.usual_site {
        let _ = writeln!(t, "Usually at: {}", site.expose());
    }
    let dob = c.date_of_birth.as_ref().map(|d| d.expose().to_string());
    let age = c.age_on(chrono::Local::now().date_naive()).map(|a| a.to_string());
    let _ = writeln!(
        t,
        "Born: {}  Age: {}  Gender: {:?}  Area: {}  Living: {:?}",
        dob.as_deref().unwrap_or("not known"),
        age.as_deref().unwrap_or("not known"),
        c.gender,
        c.area,
        c.living_situation
    );
    let needs: Vec<String> = c.needs.iter().map(|n| format!("{n:?}")).collect();
    let _ = writeln!(t, "Needs: {}", if needs.is_empty() { "none recorded".into() } else { needs.join(", ") });
    let e = &o.eligibility;
    let _ = writeln!(
        t,
        "Eligibility: {:?} (18+: {:?}; housing difficulty: {:?}; two or more core needs: {:?})",
        e.overall(),
        e.adult,
        e.housing_difficulty,
        e.multiple_needs
    );
    if let Some(status) = &o.episode_status {
        let _ = writeln!(t, "Support episode: {:?} - {:?}", c.episode.map(|e| e.stage), status);
    }
    for consent in &c.consents {
        let _ = writeln!(
            t,
            "Consent: {:?} with {}: {} on {}{}",
            consent.purpose,
            consent.agency,
            if consent.given { "given" } else { "refused" },
            consent.recorded_on,
            consent.expires_on.map(|e| format!(", expires {e}")).unwrap_or_default()
        );
    }
    match (&o.latest_risk, &o.review_status) {
        (Some(r), Some(review)) => {
            let b = &r.body;
            let _ = writeln!(
                t,
                "Risk ({}, {}): to self {}, to others {}, from others {}, safeguarding {}; {:?}",
                b.assessed_at.format("%Y-%m-%d"),
                b.assessor,
                b.to_self.level.as_str(),
                b.to_others.level.as_str(),
                b.from_others.level.as_str(),
                b.safeguarding.level.as_str(),
                review
            );
        }
        _ => {
            let _ = writeln!(t, "Risk: no completed assessment");
        }
    }
    if !o.draft_risks.is_empty() {
        let _ = writeln!(t, "Draft risk assessments: {}", o.draft_risks.len());
    }
    for a in o.caseload.iter().filter(|a| a.body.ended_on.is_none()) {
        let _ = writeln!(t, "Held by: {} ({:?}) since {}", a.body.worker, a.body.role, a.body.started_on);
    }
    for g in &o.goals {
        let _ = writeln!(
            t,
            "Goal [{:?}, {:?}] {} - owner {}{}",
            g.body.term,
            g.body.status,
            g.body.text.expose(),
            g.body.owner,
            g.body.target_date.map(|d| format!(", by {d}")).unwrap_or_default()
        );
    }
    let _ = writeln!(t, "Recent contacts ({}):", o.recent_contacts.len());
    for contact in &o.recent_contacts {
        let b = &contact.body;
        let _ = writeln!(
            t,
            "  {}  {:?} {:?} by {}{}: {}",
            b.at.format("%Y-%m-%d %H:%M"),
            b.purpose,
            b.contact_type,
            b.worker,
            if b.bedded_down { " (seen bedded down)" } else { "" },
            b.notes.expose()
        );
    }
    t.pop();
    t
}

/// `outreach caseload ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum CaseloadCommand {
    /// Put a client on a worker's caseload
    Assign {
        /// Client id
        client: String,
        /// The worker's user name
        #[arg(long)]
        worker: String,
        /// lead or co_worker
        #[arg(long, value_parser = args::tag::<CaseloadRole>, default_value = "lead")]
        role: CaseloadRole,
        /// First day [default: today]
        #[arg(long, value_parser = args::date)]
        from: Option<NaiveDate>,
    },
    /// End an assignment (the worker hands the case on)
    End {
        /// Assignment id
        id: String,
        /// Last day [default: today]
        #[arg(long, value_parser = args::date)]
        on: Option<NaiveDate>,
    },
    /// A worker's caseload [default: yours]
    List {
        /// Worker's user name
        #[arg(long)]
        worker: Option<String>,
        /// How many
        #[arg(long, default_value_t = 200)]
        limit: usize,
    },
}

pub fn caseload(store: &mut Store, command: CaseloadCommand, today: NaiveDate) -> Result<Output> {
    match command {
        CaseloadCommand::Assign { client, worker, role, from } => {
            let client_id = store.resolve_id(RecordKind::Client, &client)?;
            let record = store.create(CaseloadAssignment {
                client_id,
                worker: worker.clone(),
                role,
                started_on: from.unwrap_or(today),
                ended_on: None,
            })?;
            Ok(Output::new(&record, format!("Assigned to {worker} ({})", record.meta.id)))
        }
        CaseloadCommand::End { id, on } => {
            let id = store.resolve_id(RecordKind::CaseloadAssignment, &id)?;
            let day = on.unwrap_or(today);
            let record = store.update::<CaseloadAssignment>(id, |a| a.ended_on = Some(day))?;
            Ok(Output::new(&record, format!("Assignment ended on {day}")))
        }
        CaseloadCommand::List { worker, limit } => {
            let worker = worker.unwrap_or_else(|| store.user().to_string());
            if worker.trim().is_empty() {
                bail!("give --worker");
            }
            let filter = ClientFilter { worker: Some(worker), ..Default::default() };
            let hits = store.list_clients(&filter, today, 0, limit)?;
            let text = client_lines(&hits, today);
            Ok(Output::new(&hits, text))
        }
    }
}
