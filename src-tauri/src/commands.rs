//! Tauri commands exposed to the web UI.
//!
//! Every command here must also be listed in `build.rs`
//! (`AppManifest::commands`) and granted in `capabilities/main.json`,
//! and called from `ui/src/api.ts` only.

/// Returns the version of the `outreach-app` shell crate.
#[tauri::command]
pub fn app_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(app_version(), "0.1.0");
        assert_eq!(app_version(), env!("CARGO_PKG_VERSION"));
    }
}
