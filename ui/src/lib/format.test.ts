import { describe, expect, it } from "vitest";
import type { SyncStatus } from "../api";
import { addDays, label, plural, relativeDays, shortDate } from "./format";
import { nextSyncText, syncText } from "./synctext";

describe("format", () => {
  it("writes dates the British way", () => {
    expect(shortDate("2026-03-02")).toBe("2 Mar 2026");
    expect(shortDate(null)).toBe("—");
    expect(shortDate("garbage")).toBe("—");
  });

  it("says how far away a day is", () => {
    expect(relativeDays("2026-12-01", "2026-12-01")).toBe("today");
    expect(relativeDays("2026-11-30", "2026-12-01")).toBe("yesterday");
    expect(relativeDays("2026-12-04", "2026-12-01")).toBe("in 3 days");
    expect(relativeDays("2026-11-21", "2026-12-01")).toBe("10 days ago");
    expect(relativeDays("2026-01-01", "2026-12-01")).toBe("1 Jan 2026");
    expect(relativeDays(null, "2026-12-01")).toBe("never");
  });

  it("labels codes", () => {
    expect(label("mental_health")).toBe("Mental health");
    expect(label("from18_to25")).toBe("18–25");
    expect(label("non_eu")).toBe("Non-EU");
    expect(plural(1, "client")).toBe("1 client");
    expect(plural(1200, "client")).toBe("1,200 clients");
    expect(addDays("2026-12-30", 3)).toBe("2027-01-02");
  });
});

describe("syncText", () => {
  const base: SyncStatus = {
    state: "idle",
    progress: null,
    lastSyncedAt: null,
    signedIn: true,
    serverUrl: "https://sync.example.invalid",
    pending: 0,
    conflicts: 0,
    needsAttention: 0,
    message: null,
    nextAttemptAt: null,
    automatic: true,
  };

  it("describes every state", () => {
    expect(syncText(null)).toBe("Sync status unknown");
    expect(syncText(base)).toBe("Never synced");
    expect(syncText({ ...base, state: "offline", signedIn: false })).toBe("Offline: not signed in");
    expect(syncText({ ...base, state: "idle", signedIn: false })).toBe("Offline: not signed in");
    expect(syncText({ ...base, state: "syncing", progress: { phase: "pull", sent: 3, received: 10, percent: 40 } })).toBe(
      "Syncing: receiving 40%",
    );
    expect(syncText({ ...base, state: "error", message: "Server unreachable." })).toBe("Sync failed: Server unreachable.");
    expect(syncText({ ...base, state: "revoked" })).toMatch(/removed/);
  });

  it("gives the time for a sync today and the day otherwise", () => {
    const now = new Date(2026, 11, 1, 15, 0);
    const earlier = new Date(2026, 11, 1, 9, 5).toISOString();
    expect(syncText({ ...base, lastSyncedAt: earlier }, now)).toBe("Synced 09:05");
    const days = new Date(2026, 10, 28, 9, 5).toISOString();
    expect(syncText({ ...base, lastSyncedAt: days }, now)).toBe("Synced 3 days ago");
  });

  it("says when automatic sync tries next", () => {
    const now = new Date(2026, 11, 1, 15, 0, 0);
    const later = (ms: number): string => new Date(now.getTime() + ms).toISOString();
    expect(nextSyncText(null, now)).toBe("");
    expect(nextSyncText({ ...base, nextAttemptAt: later(4 * 60_000) }, now)).toBe("Next sync in 4 min");
    expect(nextSyncText({ ...base, state: "offline", nextAttemptAt: later(20_000) }, now)).toBe("Next try in 20 s");
    expect(nextSyncText({ ...base, state: "error", nextAttemptAt: later(1_000) }, now)).toBe("Next try now");
    expect(nextSyncText({ ...base, nextAttemptAt: later(2 * 3_600_000) }, now)).toBe("Next sync at 17:00");
    expect(nextSyncText({ ...base, automatic: false }, now)).toBe("Automatic sync off");
    expect(nextSyncText({ ...base, signedIn: false, nextAttemptAt: later(60_000) }, now)).toBe("");
    expect(nextSyncText({ ...base, state: "syncing", nextAttemptAt: null }, now)).toBe("");
  });
});
