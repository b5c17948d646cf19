//! Outreach desktop shell.
//!
//! A thin Tauri 2 host for the web UI in `ui/`. All domain logic belongs in
//! the library crates under `crates/`; this binary only wires commands to them.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;

fn main() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_version])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running the Outreach shell");
}
