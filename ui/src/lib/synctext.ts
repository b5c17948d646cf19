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

