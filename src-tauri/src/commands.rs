//! Tauri commands exposed to the web UI: one per `outreach_desk::Desk`
//! method, each a one-line call run off the main thread.
//!
//! Every command here must also be listed in `build.rs` (`COMMANDS`),
//! registered in `main.rs`, granted in `capabilities/main.json`, and called
//! from `ui/src/api.ts` only. The test at the bottom checks those lists agree.

use outreach_desk::inputs::{
    CaseConferenceInput, CaseloadFilters, CaseloadQuery, ClientChanges, ClientInput, ContactInput, GoalChanges,
    GoalInput, OutcomeScoreInput, PlanInput, ReportKind, RiskInput, SightingInput, StartCountInput,
};
use outreach_desk::views::{
    ActionPlan, ActionPlanView, AppStatus, AuditEntry, CaseConference, CaseloadPage, ClientOverview, ClientSummary,
    Conflict, Contact, CountTally, DuplicateComparison, DuplicatePair, ExportResult, Goal, MergeDone, NeedsAttention,
    OutcomeScore, RiskAssessment, Sighting, SignInResult, StreetCount, SyncStatus, TeamReport,
};
use outreach_desk::{Desk, DeskError, DeskResult};
use serde_json::Value;
use tauri::State;
use uuid::Uuid;

/// Runs `f` on a blocking thread (the store does file I/O and key
/// derivation), so the window's event loop never waits on it.
async fn run<T: Send + 'static>(desk: &Desk, f: impl FnOnce(Desk) -> DeskResult<T> + Send + 'static) -> DeskResult<T> {
    let desk = desk.clone();
    tauri::async_runtime::spawn_blocking(move || f(desk)).await.map_err(DeskError::internal)?
}

/// Returns the version of the `outreach-app` shell crate.
#[tauri::command]
pub fn app_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// What the shell knows (store exists, unlocked, user, server).
#[tauri::command]
pub async fn app_status(desk: State<'_, Desk>) -> DeskResult<AppStatus> {
    run(&desk, move |d| d.app_status()).await
}

/// Creates the store on first run.
#[tauri::command]
pub async fn create_store(desk: State<'_, Desk>, passphrase: String, user_name: String) -> DeskResult<AppStatus> {
    run(&desk, move |d| d.create_store(&passphrase, &user_name)).await
}

/// Unlocks the store with the worker's passphrase.
#[tauri::command]
pub async fn unlock(desk: State<'_, Desk>, passphrase: String) -> DeskResult<AppStatus> {
    run(&desk, move |d| d.unlock(&passphrase)).await
}

/// Locks the store.
#[tauri::command]
pub async fn lock(desk: State<'_, Desk>) -> DeskResult<()> {
    run(&desk, move |d| d.lock()).await
}

/// Sets the idle-lock time.
#[tauri::command]
pub async fn set_idle_lock(desk: State<'_, Desk>, minutes: u32) -> DeskResult<AppStatus> {
    run(&desk, move |d| d.set_idle_lock(minutes)).await
}

/// Records worker activity.
#[tauri::command]
pub async fn touch(desk: State<'_, Desk>) -> DeskResult<()> {
    run(&desk, move |d| d.touch()).await
}

/// One page of the caseload.
#[tauri::command]
pub async fn caseload(desk: State<'_, Desk>, query: CaseloadQuery) -> DeskResult<CaseloadPage> {
    run(&desk, move |d| d.caseload(query)).await
}

/// Instant client search.
#[tauri::command]
pub async fn search_clients(
    desk: State<'_, Desk>,
    query: String,
    filters: CaseloadFilters,
    limit: usize,
) -> DeskResult<Vec<ClientSummary>> {
    run(&desk, move |d| d.search_clients(&query, filters, limit)).await
}

/// A client's page.
#[tauri::command]
pub async fn client_overview(desk: State<'_, Desk>, id: Uuid) -> DeskResult<ClientOverview> {
    run(&desk, move |d| d.client_overview(id)).await
}

/// Records a new client.
#[tauri::command]
pub async fn add_client(desk: State<'_, Desk>, input: ClientInput) -> DeskResult<ClientSummary> {
    run(&desk, move |d| d.add_client(input)).await
}

/// Changes a client's details.
#[tauri::command]
pub async fn update_client(desk: State<'_, Desk>, id: Uuid, changes: ClientChanges) -> DeskResult<ClientOverview> {
    run(&desk, move |d| d.update_client(id, changes)).await
}

/// A client's audit trail.
#[tauri::command]
pub async fn client_history(desk: State<'_, Desk>, id: Uuid) -> DeskResult<Vec<AuditEntry>> {
    run(&desk, move |d| d.client_history(id)).await
}

/// Likely duplicate pairs across the clients on this laptop.
#[tauri::command]
pub async fn duplicate_suggestions(desk: State<'_, Desk>) -> DeskResult<Vec<DuplicatePair>> {
    run(&desk, move |d| d.duplicate_suggestions()).await
}

/// Clients that may be the same person as this one.
#[tauri::command]
pub async fn client_duplicates(desk: State<'_, Desk>, id: Uuid) -> DeskResult<Vec<DuplicatePair>> {
    run(&desk, move |d| d.client_duplicates(id)).await
}

/// Two clients side by side, with the evidence.
#[tauri::command]
pub async fn compare_clients(desk: State<'_, Desk>, left: Uuid, right: Uuid) -> DeskResult<DuplicateComparison> {
    run(&desk, move |d| d.compare_clients(left, right)).await
}

/// Merges one client into another (the survivor).
#[tauri::command]
pub async fn merge_clients(desk: State<'_, Desk>, merged: Uuid, into: Uuid) -> DeskResult<MergeDone> {
    run(&desk, move |d| d.merge_clients(merged, into)).await
}

/// Undoes a merge.
#[tauri::command]
pub async fn unmerge_client(desk: State<'_, Desk>, id: Uuid) -> DeskResult<ClientOverview> {
    run(&desk, move |d| d.unmerge_client(id)).await
}

/// Records that two clients are not the same person.
#[tauri::command]
pub async fn dismiss_duplicate(desk: State<'_, Desk>, client_id: Uuid, other_id: Uuid) -> DeskResult<()> {
    run(&desk, move |d| d.dismiss_duplicate(client_id, other_id)).await
}

/// A client's risk assessments.
#[tauri::command]
pub async fn risk_assessments(desk: State<'_, Desk>, client_id: Uuid) -> DeskResult<Vec<RiskAssessment>> {
    run(&desk, move |d| d.risk_assessments(client_id)).await
}

/// Saves a draft risk assessment.
#[tauri::command]
pub async fn save_risk(desk: State<'_, Desk>, input: RiskInput) -> DeskResult<RiskAssessment> {
    run(&desk, move |d| d.save_risk(input)).await
}

/// Completes a draft risk assessment.
#[tauri::command]
pub async fn complete_risk(desk: State<'_, Desk>, id: Uuid) -> DeskResult<RiskAssessment> {
    run(&desk, move |d| d.complete_risk(id)).await
}

/// Amends a completed risk assessment.
#[tauri::command]
pub async fn amend_risk(desk: State<'_, Desk>, id: Uuid, input: RiskInput) -> DeskResult<RiskAssessment> {
    run(&desk, move |d| d.amend_risk(id, input)).await
}

/// A client's action plan.
#[tauri::command]
pub async fn action_plan(desk: State<'_, Desk>, client_id: Uuid) -> DeskResult<ActionPlan> {
    run(&desk, move |d| d.action_plan(client_id)).await
}

/// Starts or changes the plan.
#[tauri::command]
pub async fn save_plan(desk: State<'_, Desk>, input: PlanInput) -> DeskResult<ActionPlanView> {
    run(&desk, move |d| d.save_plan(input)).await
}

/// Adds a goal.
#[tauri::command]
pub async fn add_goal(desk: State<'_, Desk>, input: GoalInput) -> DeskResult<Goal> {
    run(&desk, move |d| d.add_goal(input)).await
}

/// Changes a goal.
#[tauri::command]
pub async fn update_goal(desk: State<'_, Desk>, id: Uuid, changes: GoalChanges) -> DeskResult<Goal> {
    run(&desk, move |d| d.update_goal(id, changes)).await
}

/// Records a 1-10 outcome score.
#[tauri::command]
pub async fn record_outcome_score(desk: State<'_, Desk>, input: OutcomeScoreInput) -> DeskResult<OutcomeScore> {
    run(&desk, move |d| d.record_outcome_score(input)).await
}

/// Records a case conference.
#[tauri::command]
pub async fn add_case_conference(desk: State<'_, Desk>, input: CaseConferenceInput) -> DeskResult<CaseConference> {
    run(&desk, move |d| d.add_case_conference(input)).await
}

/// A client's contacts.
#[tauri::command]
pub async fn contacts(desk: State<'_, Desk>, client_id: Uuid) -> DeskResult<Vec<Contact>> {
    run(&desk, move |d| d.contacts(client_id)).await
}

/// Records a contact.
#[tauri::command]
pub async fn add_contact(desk: State<'_, Desk>, input: ContactInput) -> DeskResult<Contact> {
    run(&desk, move |d| d.add_contact(input)).await
}

/// Street counts on this laptop.
#[tauri::command]
pub async fn counts(desk: State<'_, Desk>) -> DeskResult<Vec<StreetCount>> {
    run(&desk, move |d| d.counts()).await
}

/// Starts a street count.
#[tauri::command]
pub async fn start_count(desk: State<'_, Desk>, input: StartCountInput) -> DeskResult<StreetCount> {
    run(&desk, move |d| d.start_count(input)).await
}

/// Records a sighting.
#[tauri::command]
pub async fn record_sighting(desk: State<'_, Desk>, count_id: Uuid, input: SightingInput) -> DeskResult<Sighting> {
    run(&desk, move |d| d.record_sighting(count_id, input)).await
}

/// A count's running tally.
#[tauri::command]
pub async fn count_tally(desk: State<'_, Desk>, count_id: Uuid) -> DeskResult<CountTally> {
    run(&desk, move |d| d.count_tally(count_id)).await
}

/// Closes a count and returns its return.
#[tauri::command]
pub async fn close_count(desk: State<'_, Desk>, count_id: Uuid) -> DeskResult<CountTally> {
    run(&desk, move |d| d.close_count(count_id)).await
}

/// The sync status bar.
#[tauri::command]
pub async fn sync_status(desk: State<'_, Desk>) -> DeskResult<SyncStatus> {
    run(&desk, move |d| d.sync_status()).await
}

/// Signs this laptop in to the sync server.
#[tauri::command]
pub async fn sign_in(
    desk: State<'_, Desk>,
    server_url: String,
    user_name: String,
    password: String,
) -> DeskResult<SignInResult> {
    run(&desk, move |d| d.sign_in(&server_url, &user_name, &password)).await
}

/// Starts a background sync.
#[tauri::command]
pub async fn sync_now(desk: State<'_, Desk>) -> DeskResult<SyncStatus> {
    run(&desk, move |d| d.sync_now()).await
}

/// Open sync conflicts.
#[tauri::command]
pub async fn conflicts(desk: State<'_, Desk>) -> DeskResult<Vec<Conflict>> {
    run(&desk, move |d| d.conflicts()).await
}

/// Resolves a conflict.
#[tauri::command]
pub async fn resolve_conflict(desk: State<'_, Desk>, id: Uuid, value: Value) -> DeskResult<()> {
    run(&desk, move |d| d.resolve_conflict(id, value)).await
}

/// Changes the server refused.
#[tauri::command]
pub async fn needs_attention(desk: State<'_, Desk>) -> DeskResult<Vec<NeedsAttention>> {
    run(&desk, move |d| d.needs_attention()).await
}

/// The team lead's report.
#[tauri::command]
pub async fn team_report(desk: State<'_, Desk>) -> DeskResult<TeamReport> {
    run(&desk, move |d| d.team_report()).await
}

/// Exports one report table as CSV.
#[tauri::command]
pub async fn export_report_csv(desk: State<'_, Desk>, kind: ReportKind) -> DeskResult<ExportResult> {
    run(&desk, move |d| d.export_report_csv(kind)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted_commands(text: &str, prefix: &str) -> Vec<String> {
        text.split(prefix).skip(1).filter_map(|rest| rest.split('"').next()).map(String::from).collect()
    }

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(app_version(), env!("CARGO_PKG_VERSION"));
    }

    /// build.rs, the capability, the handler in main.rs and api.ts name the same commands.
    #[test]
    fn every_command_is_declared_granted_registered_and_called() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let build = std::fs::read_to_string(root.join("build.rs")).unwrap();
        let list = build.split("const COMMANDS").nth(1).unwrap().split("];").next().unwrap();
        let mut declared = quoted_commands(list, "\"");
        declared.retain(|c| !c.trim().is_empty() && !c.contains(','));
        declared.sort();
        assert!(declared.len() > 30, "{declared:?}");

        let capability: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("capabilities/main.json")).unwrap()).unwrap();
        let mut granted: Vec<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().strip_prefix("allow-").unwrap().replace('-', "_"))
            .collect();
        granted.sort();
        assert_eq!(granted, declared, "capabilities/main.json grants exactly the declared commands");

        let main = std::fs::read_to_string(root.join("src/main.rs")).unwrap();
        let mut registered: Vec<String> = main
            .split("commands::")
            .skip(1)
            .filter_map(|rest| rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next())
            .map(String::from)
            .collect();
        registered.sort();
        assert_eq!(registered, declared, "main.rs registers exactly the declared commands");

        let api = std::fs::read_to_string(root.join("../ui/src/api.ts")).unwrap();
        let mut called = quoted_commands(&api, "call(\"");
        called.extend(quoted_commands(&api, "call<string>(\""));
        called.sort();
        called.dedup();
        assert_eq!(called, declared, "ui/src/api.ts calls exactly the declared commands");
    }
}
