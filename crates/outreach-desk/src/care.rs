//! Caseload, client, risk, plan and contact commands.

use crate::inputs::{
    CaseConferenceInput, CaseloadFilters, CaseloadQuery, CaseloadScope, ClientChanges, ClientInput, ConsentInput,
    ContactInput, GoalChanges, GoalInput, OutcomeScoreInput, PlanInput, RiskInput,
};
use crate::views;
use crate::{Desk, DeskError, DeskResult, today};
use chrono::{Duration, NaiveDate, Utc};
use outreach_domain as d;
use outreach_domain::{Record, RiskLevel, RiskStatus, Sensitive};
use outreach_store::store::desk_queries::ExtraFilter;
use outreach_store::{ClientFilter, Store};
use uuid::Uuid;

/// Most rows a caseload page or search returns.
pub const MAX_PAGE: usize = 500;

fn store_filter(filters: &CaseloadFilters, scope: CaseloadScope, user: &str) -> ClientFilter {
    ClientFilter {
        area: filters.area.clone().filter(|a| !a.trim().is_empty()),
        worker: (scope == CaseloadScope::Mine).then(|| user.to_string()),
        need: filters.need,
        min_risk: filters.risk_level,
        overdue_review: filters.overdue_review.unwrap_or(false),
        include_closed: filters.include_closed.unwrap_or(false),
    }
}

fn extra_filter(filters: &CaseloadFilters, today: NaiveDate) -> ExtraFilter {
    ExtraFilter {
        flagged: filters.flagged.unwrap_or(false),
        episode_ending_by: filters
            .episode_ending
            .unwrap_or(false)
            .then(|| today + Duration::days(d::Episode::WARNING_DAYS)),
    }
}

fn with_aliases(
    store: &Store,
    summaries: Vec<outreach_store::ClientSummary>,
    today: NaiveDate,
) -> DeskResult<Vec<views::ClientSummary>> {
    let ids: Vec<Uuid> = summaries.iter().map(|s| s.id).collect();
    let mut aliases = store.client_aliases(&ids)?;
    Ok(summaries
        .into_iter()
        .map(|s| {
            let a = aliases.remove(&s.id).unwrap_or_default();
            views::ClientSummary::from_store(s, a, today)
        })
        .collect())
}

/// `Some(trimmed)` for a non-blank text.
fn clean(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

fn sensitive(text: Option<String>) -> Option<Sensitive<String>> {
    clean(text).map(Sensitive::new)
}

fn consents(inputs: Vec<ConsentInput>, old: &[d::Consent], user: &str, today: NaiveDate) -> Vec<d::Consent> {
    inputs
        .into_iter()
        .map(|c| {
            let recorded_on = c.recorded_on.unwrap_or(today);
            let recorded_by = old
                .iter()
                .find(|o| {
                    o.purpose == c.purpose && o.agency == c.agency && o.given == c.given && o.recorded_on == recorded_on
                })
                .map_or_else(|| user.to_string(), |o| o.recorded_by.clone());
            d::Consent {
                purpose: c.purpose,
                agency: c.agency.trim().to_string(),
                given: c.given,
                recorded_on,
                expires_on: c.expires_on,
                recorded_by,
            }
        })
        .collect()
}

fn flags(texts: Vec<String>, old: &[d::SafetyFlag], user: &str, today: NaiveDate) -> Vec<d::SafetyFlag> {
    texts
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .map(|t| {
            old.iter().find(|f| *f.text.expose() == t).cloned().unwrap_or(d::SafetyFlag {
                text: t.into(),
                raised_on: today,
                raised_by: user.to_string(),
            })
        })
        .collect()
}

fn episode(input: crate::inputs::EpisodeInput) -> d::Episode {
    d::Episode { stage: input.stage, started_on: input.started_on, ended_on: input.ended_on }
}

fn approximate(years: Option<u8>, today: NaiveDate) -> Option<d::ApproximateAge> {
    years.map(|years| d::ApproximateAge { years, as_of: today })
}

/// The default review date: a week ahead when any level is high, else four weeks.
fn default_review(input: &RiskInput, today: NaiveDate) -> NaiveDate {
    let levels = [input.to_self.level, input.to_others.level, input.from_others.level, input.safeguarding.level];
    today + Duration::days(if levels.contains(&RiskLevel::High) { 7 } else { 28 })
}

fn risk_body(input: RiskInput, assessor: &str, status: RiskStatus, amends: Option<Uuid>) -> d::RiskAssessment {
    let now = Utc::now();
    let review_due = input.review_due.unwrap_or_else(|| default_review(&input, now.date_naive()));
    let rating = |r: crate::inputs::RiskRatingInput| d::RiskRating { level: r.level, notes: sensitive(r.notes) };
    d::RiskAssessment {
        client_id: input.client_id,
        assessed_at: now.fixed_offset(),
        assessor: assessor.to_string(),
        to_self: rating(input.to_self),
        to_others: rating(input.to_others),
        from_others: rating(input.from_others),
        safeguarding: rating(input.safeguarding),
        triggers: sensitive(input.triggers),
        protective_factors: sensitive(input.protective_factors),
        safety_plan: sensitive(input.safety_plan),
        review_due,
        status,
        amends,
    }
}

fn first_plan(store: &Store, client_id: Uuid) -> DeskResult<Option<Record<d::ActionPlan>>> {
    Ok(store.list_for_client::<d::ActionPlan>(client_id, None)?.into_iter().last())
}

/// Checks the client exists and audits that its records were shown.
fn read_client(store: &mut Store, id: Uuid) -> DeskResult<Record<d::Client>> {
    Ok(store.get::<d::Client>(id)?)
}

impl Desk {
    /// One page of the caseload ("mine" or "team"), ordered by name, from
    /// the in-memory search index.
    pub fn caseload(&self, query: CaseloadQuery) -> DeskResult<views::CaseloadPage> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        self.with_store(|store| {
            let today = today();
            let filter = store_filter(&query.filters, query.scope, store.user());
            let keep = extra_filter(&query.filters, today);
            let (page, total) = store.caseload_page(&filter, &keep, today, query.offset, limit)?;
            Ok(views::CaseloadPage { clients: with_aliases(store, page, today)?, total })
        })
    }

    /// Instant search over names, aliases and descriptions (or a date of
    /// birth), across everyone's clients on this laptop, best first.
    pub fn search_clients(
        &self,
        query: &str,
        filters: CaseloadFilters,
        limit: usize,
    ) -> DeskResult<Vec<views::ClientSummary>> {
        let limit = limit.clamp(1, MAX_PAGE);
        self.with_store(|store| {
            let today = today();
            let filter = store_filter(&filters, CaseloadScope::Team, store.user());
            let keep = extra_filter(&filters, today);
            let hits = store.search_where(query, &filter, &keep, today, limit)?;
            with_aliases(store, hits, today)
        })
    }

    /// Everything the client page shows first.
    pub fn client_overview(&self, id: Uuid) -> DeskResult<views::ClientOverview> {
        self.with_store(|store| {
            let today = today();
            Ok(views::ClientOverview::new(&store.client_overview(id, today)?, today))
        })
    }

    /// Records a new client (and puts them on the worker's caseload unless told not to).
    pub fn add_client(&self, input: ClientInput) -> DeskResult<views::ClientSummary> {
        self.with_store(|store| {
            let today = today();
            let user = store.user().to_string();
            let referral = clean(input.referral_source)
                .map(|source| d::Referral { source, date: input.referral_date.unwrap_or(today) });
            let client = d::Client {
                name: sensitive(input.name),
                aliases: input.aliases.unwrap_or_default().into_iter().filter_map(|a| sensitive(Some(a))).collect(),
                description: sensitive(input.description),
                usual_site: sensitive(input.usual_site),
                date_of_birth: input.date_of_birth.map(Sensitive::new),
                approximate_age: approximate(input.approximate_age, today),
                gender: input.gender.unwrap_or_default(),
                phone: sensitive(input.phone),
                email: sensitive(input.email),
                last_known_address: sensitive(input.last_known_address),
                area: input.area.trim().to_string(),
                needs: input.needs.unwrap_or_default().into_iter().collect(),
                living_situation: input.living_situation.unwrap_or_default(),
                housing_difficulty: input.housing_difficulty,
                referral,
                episode: input.episode.map(episode),
                consents: consents(input.consents.unwrap_or_default(), &[], &user, today),
                safety_flags: flags(input.safety_flags.unwrap_or_default(), &[], &user, today),
                closed_on: None,
                merged_into: None,
                area_before_merge: None,
                not_same_as: Default::default(),
            };
            let id = store.create(client)?.meta.id;
            if input.assign_to_me.unwrap_or(true) {
                store.create(d::CaseloadAssignment {
                    client_id: id,
                    worker: user,
                    role: d::CaseloadRole::Lead,
                    started_on: today,
                    ended_on: None,
                })?;
            }
            let summary = store.client_summary(id)?.ok_or_else(|| DeskError::not_found("client"))?;
            Ok(with_aliases(store, vec![summary], today)?.remove(0))
        })
    }

    /// Changes a client's details; returns the updated overview.
    pub fn update_client(&self, id: Uuid, changes: ClientChanges) -> DeskResult<views::ClientOverview> {
        self.with_store(|store| {
            let today = today();
            let user = store.user().to_string();
            let mut c = store.get::<d::Client>(id)?.body;
            if let Some(v) = changes.name {
                c.name = sensitive(v);
            }
            if let Some(v) = changes.aliases {
                c.aliases = v.into_iter().filter_map(|a| sensitive(Some(a))).collect();
            }
            if let Some(v) = changes.description {
                c.description = sensitive(v);
            }
            if let Some(v) = changes.usual_site {
                c.usual_site = sensitive(v);
            }
            if let Some(v) = changes.date_of_birth {
                c.date_of_birth = v.map(Sensitive::new);
            }
            if let Some(v) = changes.approximate_age {
                c.approximate_age = approximate(v, today);
            }
            if let Some(v) = changes.gender {
                c.gender = v;
            }
            if let Some(v) = changes.phone {
                c.phone = sensitive(v);
            }
            if let Some(v) = changes.email {
                c.email = sensitive(v);
            }
            if let Some(v) = changes.last_known_address {
                c.last_known_address = sensitive(v);
            }
            if let Some(v) = changes.area {
                c.area = v.trim().to_string();
            }
            if let Some(v) = changes.needs {
                c.needs = v.into_iter().collect();
            }
            if let Some(v) = changes.living_situation {
                c.living_situation = v;
            }
            if let Some(v) = changes.housing_difficulty {
                c.housing_difficulty = v;
            }
            if let Some(v) = changes.safety_flags {
                c.safety_flags = flags(v, &c.safety_flags, &user, today);
            }
            if let Some(v) = changes.consents {
                c.consents = consents(v, &c.consents, &user, today);
            }
            if let Some(v) = changes.episode {
                c.episode = v.map(episode);
            }
            if let Some(v) = changes.closed_on {
                c.closed_on = v;
            }
            store.update::<d::Client>(id, |body| *body = c)?;
            Ok(views::ClientOverview::new(&store.client_overview(id, today)?, today))
        })
    }

    /// The audit trail of one client, newest first.
    pub fn client_history(&self, id: Uuid) -> DeskResult<Vec<views::AuditEntry>> {
        self.with_store(|store| {
            read_client(store, id)?;
            Ok(store.audit_entries(Some(id), 500)?.into_iter().map(views::AuditEntry::from).collect())
        })
    }

    /// A client's risk assessments (drafts, completed ones and the amended
    /// originals, marked `superseded_by`), newest first.
    pub fn risk_assessments(&self, client_id: Uuid) -> DeskResult<Vec<views::RiskAssessment>> {
        self.with_store(|store| {
            read_client(store, client_id)?;
            let today = today();
            let all = store.history_for_client::<d::RiskAssessment>(client_id)?;
            let superseded: std::collections::HashMap<Uuid, Uuid> =
                all.iter().filter_map(|r| r.body.amends.map(|original| (original, r.meta.id))).collect();
            Ok(all
                .iter()
                .map(|r| views::RiskAssessment {
                    superseded_by: superseded.get(&r.meta.id).copied(),
                    ..views::RiskAssessment::new(r, today)
                })
                .collect())
        })
    }

    /// Saves a draft assessment: a new one, or changes to the draft `input.id`.
    pub fn save_risk(&self, input: RiskInput) -> DeskResult<views::RiskAssessment> {
        self.with_store(|store| {
            let user = store.user().to_string();
            let record = match input.id {
                Some(id) => {
                    let existing = store.get::<d::RiskAssessment>(id)?;
                    if existing.body.client_id != input.client_id {
                        return Err(DeskError::invalid("client_id", "That draft belongs to another client."));
                    }
                    let body = risk_body(input, &existing.body.assessor, RiskStatus::Draft, None);
                    store.update::<d::RiskAssessment>(id, |r| {
                        *r = d::RiskAssessment { assessed_at: r.assessed_at, ..body };
                    })?
                }
                None => {
                    read_client(store, input.client_id)?;
                    store.create(risk_body(input, &user, RiskStatus::Draft, None))?
                }
            };
            Ok(views::RiskAssessment::new(&record, today()))
        })
    }

    /// Completes (signs off) a draft; from then on it can only be amended.
    pub fn complete_risk(&self, id: Uuid) -> DeskResult<views::RiskAssessment> {
        self.with_store(|store| {
            let record = store.update::<d::RiskAssessment>(id, |r| r.status = RiskStatus::Completed)?;
            Ok(views::RiskAssessment::new(&record, today()))
        })
    }

    /// Records a completed amendment of the completed assessment `id`.
    pub fn amend_risk(&self, id: Uuid, input: RiskInput) -> DeskResult<views::RiskAssessment> {
        self.with_store(|store| {
            let original = store.get::<d::RiskAssessment>(id)?;
            if original.body.status != RiskStatus::Completed {
                return Err(DeskError::invalid(
                    "id",
                    "This assessment is still a draft: edit it and complete it instead of amending it.",
                ));
            }
            if original.body.client_id != input.client_id {
                return Err(DeskError::invalid("client_id", "That assessment belongs to another client."));
            }
            let user = store.user().to_string();
            let record = store.create(risk_body(input, &user, RiskStatus::Completed, Some(id)))?;
            Ok(views::RiskAssessment::new(&record, today()))
        })
    }

    /// The plan tab: plan, goals, scores over time and case conferences.
    pub fn action_plan(&self, client_id: Uuid) -> DeskResult<views::ActionPlan> {
        self.with_store(|store| {
            read_client(store, client_id)?;
            let today = today();
            let plan = first_plan(store, client_id)?;
            let goals = store.list_for_client::<d::Goal>(client_id, None)?;
            let mut scores = store.list_for_client::<d::OutcomeScore>(client_id, None)?;
            scores.reverse();
            let conferences = store.list_for_client::<d::CaseConference>(client_id, None)?;
            Ok(views::ActionPlan {
                plan: plan.as_ref().map(views::ActionPlanView::from),
                goals: goals.iter().map(|g| views::Goal::new(g, today)).collect(),
                scores: scores.iter().map(views::OutcomeScore::from).collect(),
                areas: d::OutcomeArea::DEFAULTS
                    .iter()
                    .map(|a| views::OutcomeAreaInfo { key: a.key.into(), label: a.label.into() })
                    .collect(),
                conferences: conferences.iter().map(views::CaseConference::from).collect(),
            })
        })
    }

    /// Starts the plan, or changes its agencies and summary.
    pub fn save_plan(&self, input: PlanInput) -> DeskResult<views::ActionPlanView> {
        self.with_store(|store| {
            read_client(store, input.client_id)?;
            let agencies: Vec<String> =
                input.agencies.into_iter().map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
            let summary = sensitive(input.summary);
            let record = match first_plan(store, input.client_id)? {
                Some(plan) => store.update::<d::ActionPlan>(plan.meta.id, |p| {
                    p.agencies = agencies;
                    p.summary = summary;
                })?,
                None => store.create(d::ActionPlan {
                    client_id: input.client_id,
                    started_on: today(),
                    agencies,
                    summary,
                })?,
            };
            Ok(views::ActionPlanView::from(&record))
        })
    }

    /// Adds a goal (starting a plan if the client has none).
    pub fn add_goal(&self, input: GoalInput) -> DeskResult<views::Goal> {
        self.with_store(|store| {
            read_client(store, input.client_id)?;
            let plan_id = match first_plan(store, input.client_id)? {
                Some(plan) => plan.meta.id,
                None => {
                    store
                        .create(d::ActionPlan {
                            client_id: input.client_id,
                            started_on: today(),
                            agencies: Vec::new(),
                            summary: None,
                        })?
                        .meta
                        .id
                }
            };
            let owner = clean(input.owner).unwrap_or_else(|| store.user().to_string());
            let record = store.create(d::Goal {
                plan_id,
                client_id: input.client_id,
                text: input.text.trim().to_string().into(),
                term: input.term,
                target_date: input.target_date,
                owner,
                outcome_area: clean(input.outcome_area),
                status: d::GoalStatus::NotStarted,
            })?;
            Ok(views::Goal::new(&record, today()))
        })
    }

    /// Changes a goal (its text, dates, owner or status).
    pub fn update_goal(&self, id: Uuid, changes: GoalChanges) -> DeskResult<views::Goal> {
        self.with_store(|store| {
            let record = store.update::<d::Goal>(id, |g| {
                if let Some(text) = changes.text {
                    g.text = text.trim().to_string().into();
                }
                if let Some(term) = changes.term {
                    g.term = term;
                }
                if let Some(target) = changes.target_date {
                    g.target_date = target;
                }
                if let Some(owner) = changes.owner {
                    g.owner = owner.trim().to_string();
                }
                if let Some(area) = changes.outcome_area {
                    g.outcome_area = clean(area);
                }
                if let Some(status) = changes.status {
                    g.status = status;
                }
            })?;
            Ok(views::Goal::new(&record, today()))
        })
    }

    /// Records a 1–10 outcome score (signed off once saved).
    pub fn record_outcome_score(&self, input: OutcomeScoreInput) -> DeskResult<views::OutcomeScore> {
        self.with_store(|store| {
            read_client(store, input.client_id)?;
            let plan_id = first_plan(store, input.client_id)?.map(|p| p.meta.id);
            let record = store.create(d::OutcomeScore {
                client_id: input.client_id,
                plan_id,
                area: input.area.trim().to_string(),
                score: input.score,
                recorded_on: input.recorded_on.unwrap_or_else(today),
                recorded_by: store.user().to_string(),
                amends: None,
            })?;
            Ok(views::OutcomeScore::from(&record))
        })
    }

    /// Records a case conference.
    pub fn add_case_conference(&self, input: CaseConferenceInput) -> DeskResult<views::CaseConference> {
        self.with_store(|store| {
            read_client(store, input.client_id)?;
            let plan_id = first_plan(store, input.client_id)?.map(|p| p.meta.id);
            let record = store.create(d::CaseConference {
                client_id: input.client_id,
                plan_id,
                held_on: input.held_on.unwrap_or_else(today),
                attendees: input
                    .attendees
                    .into_iter()
                    .map(|a| a.trim().to_string())
                    .filter(|a| !a.is_empty())
                    .collect(),
                notes: input.notes.trim().to_string().into(),
            })?;
            Ok(views::CaseConference::from(&record))
        })
    }

    /// A client's contacts, newest first.
    pub fn contacts(&self, client_id: Uuid) -> DeskResult<Vec<views::Contact>> {
        self.with_store(|store| {
            read_client(store, client_id)?;
            Ok(store.list_for_client::<d::Contact>(client_id, None)?.iter().map(views::Contact::from).collect())
        })
    }

    /// Records a key-work session or street encounter (signed off once saved).
    pub fn add_contact(&self, input: ContactInput) -> DeskResult<views::Contact> {
        self.with_store(|store| {
            let client = read_client(store, input.client_id)?;
            let bedded_down = input.bedded_down.unwrap_or(false);
            let living_situation = input.living_situation.unwrap_or(if bedded_down {
                d::LivingSituation::RoughSleeping
            } else {
                client.body.living_situation
            });
            let contact_type = input.contact_type.unwrap_or(match input.purpose {
                d::ContactPurpose::StreetEncounter => d::ContactType::OutreachShift,
                d::ContactPurpose::KeyWork => d::ContactType::FaceToFace,
            });
            let record = store.create(d::Contact {
                client_id: input.client_id,
                at: input.at.unwrap_or_else(|| Utc::now().fixed_offset()),
                location: sensitive(input.location),
                contact_type,
                purpose: input.purpose,
                worker: store.user().to_string(),
                notes: input.notes.trim().to_string().into(),
                outcome: clean(input.outcome),
                living_situation,
                bedded_down,
                amends: None,
            })?;
            Ok(views::Contact::from(&record))
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::ErrorKind;
    use crate::inputs::*;
    use crate::testing::desk;
    use outreach_domain::{ContactPurpose, GoalStatus, GoalTerm, Need, RiskLevel};

    fn rating(level: RiskLevel) -> RiskRatingInput {
        RiskRatingInput { level, notes: None }
    }

    fn risk(client_id: uuid::Uuid, high: bool) -> RiskInput {
        RiskInput {
            client_id,
            id: None,
            to_self: rating(if high { RiskLevel::High } else { RiskLevel::Low }),
            to_others: rating(RiskLevel::Low),
            from_others: rating(RiskLevel::Medium),
            safeguarding: rating(RiskLevel::Low),
            triggers: Some("Anniversaries".into()),
            protective_factors: None,
            safety_plan: None,
            review_due: None,
        }
    }

    fn add(desk: &crate::Desk, name: &str) -> uuid::Uuid {
        desk.add_client(ClientInput {
            name: Some(name.into()),
            aliases: Some(vec!["Jonno".into()]),
            area: "liverpool".into(),
            needs: Some(vec![Need::MentalHealth, Need::SubstanceUse]),
            safety_flags: Some(vec!["Do not visit alone".into()]),
            ..Default::default()
        })
        .unwrap()
        .id
    }

    #[test]
    fn add_search_and_list_clients() {
        let (_dir, desk) = desk();
        let summary = desk
            .add_client(ClientInput {
                name: Some("Jonathan Example".into()),
                aliases: Some(vec!["Jonno".into()]),
                area: "liverpool".into(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(summary.display_name, "Jonathan Example");
        assert_eq!(summary.aliases, vec!["Jonno".to_string()]);
        assert_eq!(summary.area, "Liverpool", "area canonicalised");
        assert_eq!(summary.assigned_worker.as_deref(), Some("amy.w"));
        desk.add_client(ClientInput {
            description: Some("tall, red jacket".into()),
            area: "Wirral".into(),
            assign_to_me: Some(false),
            ..Default::default()
        })
        .unwrap();

        let hits = desk.search_clients("jonathn exampel", CaseloadFilters::default(), 10).unwrap();
        assert_eq!(hits.first().map(|h| h.id), Some(summary.id));
        let by_alias = desk.search_clients("jonno", CaseloadFilters::default(), 10).unwrap();
        assert_eq!(by_alias.first().map(|h| h.id), Some(summary.id));

        let mine = desk
            .caseload(CaseloadQuery { scope: CaseloadScope::Mine, filters: Default::default(), offset: 0, limit: 50 })
            .unwrap();
        assert_eq!((mine.total, mine.clients.len()), (1, 1));
        let team = desk
            .caseload(CaseloadQuery { scope: CaseloadScope::Team, filters: Default::default(), offset: 0, limit: 50 })
            .unwrap();
        assert_eq!(team.total, 2);
        let flagged = CaseloadFilters { flagged: Some(true), ..Default::default() };
        let none = desk
            .caseload(CaseloadQuery { scope: CaseloadScope::Team, filters: flagged, offset: 0, limit: 50 })
            .unwrap();
        assert_eq!(none.total, 0);

        let bad = desk.add_client(ClientInput { area: "Liverpool".into(), ..Default::default() }).unwrap_err();
        assert_eq!((bad.kind, bad.field.as_deref()), (ErrorKind::Invalid, Some("name")));
        let bad_area = desk
            .add_client(ClientInput { name: Some("X".into()), area: "Atlantis".into(), ..Default::default() })
            .unwrap_err();
        assert_eq!(bad_area.field.as_deref(), Some("area"));
    }

    #[test]
    fn overview_update_and_history() {
        let (_dir, desk) = desk();
        let id = add(&desk, "Sam Placeholder");
        let overview = desk.client_overview(id).unwrap();
        assert_eq!(overview.safety_flags.len(), 1);
        assert_eq!(overview.eligibility.criteria.len(), 3);
        assert_eq!(overview.eligibility.core_needs_met.len(), 2);
        let raised_on = overview.safety_flags[0].raised_on;

        let changes: ClientChanges = serde_json::from_value(serde_json::json!({
            "phone": "07700 900123",
            "safetyFlags": ["Do not visit alone", "Dog on site"],
            "livingSituation": "rough_sleeping"
        }))
        .unwrap();
        let updated = desk.update_client(id, changes).unwrap();
        assert_eq!(updated.profile.phone.as_deref(), Some("07700 900123"));
        assert_eq!(updated.safety_flags.len(), 2);
        assert_eq!(updated.safety_flags[0].raised_on, raised_on, "kept flag keeps its date");
        let cleared = desk.update_client(id, serde_json::from_str(r#"{"phone": null}"#).unwrap()).unwrap();
        assert_eq!(cleared.profile.phone, None);
        assert_eq!(cleared.profile.living_situation, outreach_domain::LivingSituation::RoughSleeping);

        let history = desk.client_history(id).unwrap();
        assert!(history.iter().any(|e| e.action == "update"), "{history:?}");
        assert!(history.iter().any(|e| e.action == "create"));
        assert_eq!(desk.client_overview(uuid::Uuid::now_v7()).unwrap_err().kind, ErrorKind::NotFound);
    }

    #[test]
    fn risk_draft_complete_and_amend_only() {
        let (_dir, desk) = desk();
        let id = add(&desk, "Risk Person");
        let draft = desk.save_risk(risk(id, true)).unwrap();
        assert_eq!(draft.status, outreach_domain::RiskStatus::Draft);
        assert_eq!(draft.review.days, 7, "high risk: review in a week");

        let missing_plan = desk.complete_risk(draft.id).unwrap_err();
        assert_eq!(missing_plan.field.as_deref(), Some("safetyPlan"));
        let mut with_plan = risk(id, true);
        with_plan.id = Some(draft.id);
        with_plan.safety_plan = Some("Meet in pairs".into());
        desk.save_risk(with_plan).unwrap();
        let done = desk.complete_risk(draft.id).unwrap();
        assert_eq!(done.status, outreach_domain::RiskStatus::Completed);

        let mut edit = risk(id, false);
        edit.id = Some(draft.id);
        assert_eq!(desk.save_risk(edit).unwrap_err().kind, ErrorKind::Invalid, "completed: amend only");
        let amendment = desk.amend_risk(draft.id, risk(id, false)).unwrap();
        assert_eq!(amendment.amends, Some(draft.id));
        let all = desk.risk_assessments(id).unwrap();
        assert_eq!(all.len(), 2, "the amended original is still shown");
        assert_eq!((all[0].id, all[0].superseded_by), (amendment.id, None), "newest first");
        assert_eq!((all[1].id, all[1].superseded_by), (draft.id, Some(amendment.id)));
        let overview = desk.client_overview(id).unwrap();
        assert_eq!(overview.latest_risk.map(|r| r.id), Some(amendment.id));
    }

    #[test]
    fn plan_goals_scores_conferences_and_contacts() {
        let (_dir, desk) = desk();
        let id = add(&desk, "Plan Person");
        let goal = desk
            .add_goal(GoalInput {
                client_id: id,
                text: "Register with a GP".into(),
                term: GoalTerm::Short,
                target_date: None,
                owner: None,
                outcome_area: Some("physical_health".into()),
            })
            .unwrap();
        assert_eq!(goal.owner, "amy.w");
        let goal = desk
            .update_goal(goal.id, GoalChanges { status: Some(GoalStatus::Achieved), ..Default::default() })
            .unwrap();
        assert_eq!(goal.status, GoalStatus::Achieved);
        desk.record_outcome_score(OutcomeScoreInput {
            client_id: id,
            area: "accommodation".into(),
            score: 4,
            recorded_on: None,
        })
        .unwrap();
        let bad = desk
            .record_outcome_score(OutcomeScoreInput {
                client_id: id,
                area: "accommodation".into(),
                score: 11,
                recorded_on: None,
            })
            .unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("score"));
        desk.add_case_conference(CaseConferenceInput {
            client_id: id,
            held_on: None,
            attendees: vec!["GP".into()],
            notes: "Agreed housing referral".into(),
        })
        .unwrap();
        desk.save_plan(PlanInput { client_id: id, agencies: vec!["Housing First".into()], summary: None }).unwrap();
        let plan = desk.action_plan(id).unwrap();
        assert_eq!(plan.plan.map(|p| p.agencies), Some(vec!["Housing First".to_string()]));
        assert_eq!((plan.goals.len(), plan.scores.len(), plan.conferences.len()), (1, 1, 1));
        assert_eq!(plan.scores[0].stage, "Engaging with help");
        assert_eq!(plan.areas.len(), 10);

        let contact = desk
            .add_contact(ContactInput {
                client_id: id,
                at: None,
                location: Some("Lime St".into()),
                contact_type: None,
                purpose: ContactPurpose::StreetEncounter,
                notes: "Seen bedded down".into(),
                outcome: None,
                living_situation: None,
                bedded_down: Some(true),
            })
            .unwrap();
        assert_eq!(contact.contact_type, outreach_domain::ContactType::OutreachShift);
        assert_eq!(desk.contacts(id).unwrap().len(), 1);
        let overview = desk.client_overview(id).unwrap();
        assert_eq!(overview.recent_contacts.len(), 1);
        assert_eq!((overview.plan.open_goals, overview.plan.achieved_goals), (0, 1));
    }
}
