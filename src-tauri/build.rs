//! Build script: runs the Tauri build helpers against the root
//! `tauri.conf.json` and generates the ACL permissions for the app's commands.

/// Every command of the app (`src/commands.rs`). Each gets generated
/// `allow-*` / `deny-*` permissions; `capabilities/main.json` grants them to
/// the main window. A test in `src/commands.rs` checks the three lists agree.
const COMMANDS: &[&str] = &[
    "app_version",
    "app_status",
    "create_store",
    "unlock",
    "lock",
    "set_idle_lock",
    "touch",
    "caseload",
    "search_clients",
    "client_overview",
    "add_client",
    "update_client",
    "client_history",
    "duplicate_suggestions",
    "client_duplicates",
    "compare_clients",
    "merge_clients",
    "unmerge_client",
    "dismiss_duplicate",
    "risk_assessments",
    "save_risk",
    "complete_risk",
    "amend_risk",
    "action_plan",
    "save_plan",
    "add_goal",
    "update_goal",
    "record_outcome_score",
    "add_case_conference",
    "contacts",
    "add_contact",
    "counts",
    "start_count",
    "record_sighting",
    "count_tally",
    "close_count",
    "sync_status",
    "sign_in",
    "sync_now",
    "conflicts",
    "resolve_conflict",
    "needs_attention",
    "team_report",
    "export_report_csv",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        // The config lives at the repository root; tauri-build only uses its
        // folder, so the file must keep the name `tauri.conf.json`.
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
