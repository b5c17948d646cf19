/**
 * The single typed boundary between the web UI and the Rust shell.
 *
 * This is the ONLY module allowed to import `@tauri-apps/api` (enforced by
 * ESLint `no-restricted-imports`). Every other module calls the functions
 * exported here, so the set of commands the UI can reach is visible in one
 * place and matches the capability file `src-tauri/capabilities/main.json`.
 */
import { invoke, isTauri } from "@tauri-apps/api/core";

/** Whether the page is running inside the Tauri shell (false in a plain browser / tests). */
export function inShell(): boolean {
  return isTauri();
}

/** Version of the `outreach-app` shell crate (Tauri command `app_version`). */
export async function appVersion(): Promise<string> {
  return invoke<string>("app_version");
}
