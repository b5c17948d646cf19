/** The sync status in words, for the status bar and the sync screen. */
import type { SyncStatus } from "../api";
import { relativeDays, shortDateTime, todayIso } from "./format";

/** Words for a sync status, e.g. "Syncing: sending 40%" or "Synced 14:05". */
export function syncText(s: SyncStatus | null, now: Date = new Date()): string {
  if (s === null) return "Sync status unknown";
  switch (s.state) {
    case "offline":
      return s.signedIn ? "Offline: changes kept on this computer" : "Offline: not signed in";
    case "syncing": {
      const p = s.progress;
      if (p === null) return "Syncing…";
      return p.phase === "push"
        ? `Syncing: sending ${String(p.percent)}%`
        : `Syncing: receiving ${String(p.percent)}%`;
    }
    case "error":
      return `Sync failed${s.message ? `: ${s.message}` : ""}`;
    case "revoked":
      return "Device removed from the team";
    case "idle": {
      if (!s.signedIn) return "Offline: not signed in";
      if (s.lastSyncedAt === null) return "Never synced";
      const day = relativeDays(s.lastSyncedAt, todayIso(now));
      const time = shortDateTime(s.lastSyncedAt).split(", ")[1] ?? "";
      return day === "today" ? `Synced ${time}` : `Synced ${day}`;
    }
  }
}


/**
 * When automatic sync tries next, in words: "Next sync 14:05", "Next try in
 * 2 min" while offline (it also watches for the server coming back), or
 * "Automatic sync off". Empty while syncing or not signed in.
 */
export function nextSyncText(s: SyncStatus | null, now: Date = new Date()): string {
  if (s === null || !s.signedIn || s.state === "syncing" || s.state === "revoked") return "";
  if (!s.automatic) return "Automatic sync off";
  if (s.nextAttemptAt === null) return "";
  const at = new Date(s.nextAttemptAt);
  if (Number.isNaN(at.getTime())) return "";
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  const lead = s.state === "offline" || s.state === "error" ? "Next try" : "Next sync";
  if (seconds <= 5) return `${lead} now`;
  if (seconds < 60) return `${lead} in ${String(seconds)} s`;
  if (seconds < 60 * 60) return `${lead} in ${String(Math.round(seconds / 60))} min`;
  const time = shortDateTime(s.nextAttemptAt).split(", ")[1] ?? "";
  return `${lead} at ${time}`;
}
