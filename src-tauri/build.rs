//! Build script: runs the Tauri build helpers against the root
//! `tauri.conf.json` and generates the ACL permissions for the app's commands.

fn main() {
    let attributes = tauri_build::Attributes::new()
        // The config lives at the repository root; tauri-build only uses its
        // folder, so the file must keep the name `tauri.conf.json`.
        .config_path("../tauri.conf.json")
        // Generates `allow-app-version` / `deny-app-version` permissions.
        .app_manifest(tauri_build::AppManifest::new().commands(&["app_version"]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
