//! Outreach desktop shell.
//!
//! A thin Tauri 2 host for the web UI in `ui/`. All domain logic belongs in
//! the library crates under `crates/`; this binary only wires commands to
//! `outreach_desk::Desk`, held as managed state.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    // The data folder: OUTREACH_DATA_DIR, else the platform data folder. The
    // passphrase is never read from the environment: the worker types it.
    let desk = outreach_desk::Desk::new(outreach_desk::default_data_dir());
    tauri::Builder::default()
        .manage(desk)
        .invoke_handler(tauri::generate_handler![
            commands::app_version,
            commands::app_status,
            commands::create_store,
            commands::unlock,
            commands::lock,
            commands::set_idle_lock,
            commands::touch,
            commands::caseload,
            commands::search_clients,
            commands::client_overview,
            commands::add_client,
            commands::update_client,
            commands::client_history,
            commands::duplicate_suggestions,
            commands::client_duplicates,
            commands::compare_clients,
            commands::merge_clients,
            commands::unmerge_client,
            commands::dismiss_duplicate,
            commands::risk_assessments,
            commands::save_risk,
            commands::complete_risk,
            commands::amend_risk,
            commands::action_plan,
            commands::save_plan,
            commands::add_goal,
            commands::update_goal,
            commands::record_outcome_score,
            commands::add_case_conference,
            commands::contacts,
            commands::add_contact,
            commands::counts,
            commands::start_count,
            commands::record_sighting,
            commands::count_tally,
            commands::close_count,
            commands::sync_status,
            commands::sign_in,
            commands::sync_now,
            commands::conflicts,
            commands::resolve_conflict,
            commands::needs_attention,
            commands::team_report,
            commands::export_report_csv
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running the Outreach shell");
}
