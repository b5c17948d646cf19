import { describe, expect, it } from "vitest";
import { DeskError } from "../api";
import { createStandin, STANDIN_PASSPHRASE } from "./index";

const fixedNow = (): Date => new Date("2026-12-01T12:00:00Z");

async function unlocked(options: Parameters<typeof createStandin>[0] = {}): Promise<ReturnType<typeof createStandin>> {
  const b = createStandin({ clients: 400, now: fixedNow, ...options });
  await b.unlock(STANDIN_PASSPHRASE);
  return b;
}

async function kind(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err: unknown) {
    return err instanceof DeskError ? err.kind : "not a DeskError";
  }
}

describe("stand-in back end", () => {
  it("refuses everything while locked and reports a wrong passphrase", async () => {
    const b = createStandin({ clients: 50, now: fixedNow });
    expect((await b.appStatus()).unlocked).toBe(false);
    expect(await kind(b.caseload({ scope: "team", filters: {}, offset: 0, limit: 10 }))).toBe("locked");
    expect(await kind(b.unlock("nope"))).toBe("wrong_passphrase");
    expect((await b.unlock(STANDIN_PASSPHRASE)).user).toBe("amy.w");
  });

  it("first run creates the store and refuses a short passphrase", async () => {
    const b = createStandin({ clients: 10, fresh: true, now: fixedNow });
    expect((await b.appStatus()).storeExists).toBe(false);
    expect(await kind(b.createStore("short", "amy.w"))).toBe("invalid");
    const s = await b.createStore("kettle harbour violet mitten", "amy.w");
    expect(s.unlocked && s.storeExists).toBe(true);
    expect(await kind(b.createStore("kettle harbour violet mitten", "amy.w"))).toBe("store_exists");
  });

  it("locks itself after the idle time, and sync status then answers locked", async () => {
    const b = await unlocked();
    b.expireIdle();
    expect(await kind(b.syncStatus())).toBe("locked");
    expect(await kind(b.searchClients("a", {}, 5))).toBe("locked");
  });

  it("pages the caseload and filters it", async () => {
    const b = await unlocked();
    const team = await b.caseload({ scope: "team", filters: {}, offset: 0, limit: 25 });
    expect(team.clients).toHaveLength(25);
    expect(team.total).toBeGreaterThan(300);
    const mine = await b.caseload({ scope: "mine", filters: {}, offset: 0, limit: 500 });
    expect(mine.total).toBeLessThan(team.total);
    expect(mine.clients.every((c) => c.workers.includes("amy.w"))).toBe(true);
    const high = await b.caseload({ scope: "team", filters: { riskLevel: "high", flagged: true }, offset: 0, limit: 500 });
    expect(high.clients.every((c) => c.riskLevel === "high" && c.safetyFlags.length > 0)).toBe(true);
  });

  it("finds a new client by name and alias", async () => {
    const b = await unlocked();
    const c = await b.addClient({ name: "Testy Exampleperson", aliases: ["Tez"], area: "Wirral" });
    expect((await b.searchClients("tez", {}, 10)).map((x) => x.id)).toEqual([c.id]);
    expect((await b.searchClients("exampleperson testy", {}, 10))[0]?.id).toBe(c.id);
    expect(await kind(b.addClient({ area: "Wirral" }))).toBe("invalid");
    expect(await kind(b.addClient({ name: "X", area: "Atlantis" }))).toBe("invalid");
  });

  it("keeps completed risk assessments amend-only", async () => {
    const b = await unlocked();
    const c = await b.addClient({ name: "Risky Sample", area: "Liverpool" });
    const input = {
      clientId: c.id,
      toSelf: { level: "high" as const },
      toOthers: { level: "low" as const },
      fromOthers: { level: "low" as const },
      safeguarding: { level: "medium" as const },
      safetyPlan: "Two workers.",
    };
    const draft = await b.saveRisk(input);
    expect(draft.status).toBe("draft");
    expect(draft.reviewDue).toBe("2026-12-08");
    const done = await b.completeRisk(draft.id);
    expect(done.highest).toBe("high");
    expect(await kind(b.saveRisk({ ...input, id: done.id }))).toBe("invalid");
    const amended = await b.amendRisk(done.id, { ...input, toSelf: { level: "medium" } });
    expect(amended.amends).toBe(done.id);
    const overview = await b.clientOverview(c.id);
    expect(overview.latestRisk?.id).toBe(amended.id);
    expect((await b.riskAssessments(c.id)).length).toBe(2);
  });

  it("runs a street count to its return", async () => {
    const b = await unlocked();
    const count = await b.startCount({ area: "Liverpool" });
    expect((await b.startCount({ area: "Liverpool" })).id).toBe(count.id);
    await b.recordSighting(count.id, { location: "Lime St", gender: "male", ageBand: "from26" });
    await b.recordSighting(count.id, { location: "lime st.", gender: "male", ageBand: "from26" });
    const tally = await b.countTally(count.id);
    expect(tally.total).toBe(2);
    expect(tally.possibleDuplicates).toHaveLength(1);
    const ret = await b.closeCount(count.id);
    expect(ret.count.status).toBe("closed");
    expect(await kind(b.recordSighting(count.id, { location: "Park" }))).toBe("invalid");
  });

  it("syncs in the background and resolves conflicts", async () => {
    let t = fixedNow().getTime();
    const b = await unlocked({ now: () => new Date(t), syncMs: 1000 });
    expect((await b.syncNow()).state).toBe("syncing");
    t += 600;
    expect((await b.syncStatus()).progress?.phase).toBe("pull");
    t += 600;
    const done = await b.syncStatus();
    expect(done.state).toBe("idle");
    expect(done.lastSyncedAt).toBe(new Date(t).toISOString());
    const conflicts = await b.conflicts();
    expect(conflicts.length).toBe(2);
    await b.resolveConflict(conflicts[0]?.id ?? "", conflicts[0]?.other);
    expect((await b.conflicts()).length).toBe(1);
  });

  it("syncs by itself when the next automatic sync is due", async () => {
    let t = fixedNow().getTime();
    const b = await unlocked({ now: () => new Date(t), syncMs: 1000, autoSyncMs: 60_000 });
    const idle = await b.syncStatus();
    expect(idle.automatic).toBe(true);
    expect(idle.nextAttemptAt).toBe(new Date(t + 60_000).toISOString());
    t += 60_000;
    const running = await b.syncStatus();
    expect(running.state).toBe("syncing");
    expect(running.nextAttemptAt).toBeNull();
    t += 1_000;
    const done = await b.syncStatus();
    expect(done.state).toBe("idle");
    expect(done.lastSyncedAt).toBe(new Date(t).toISOString());
    expect(done.nextAttemptAt).toBe(new Date(t + 60_000).toISOString());
  });

  it("builds the team report", async () => {
    const b = await unlocked();
    const r = await b.teamReport();
    expect(r.caseloads.map((c) => c.worker)).toContain("amy.w");
    expect(r.contactsPerWeek).toHaveLength(12);
    expect(r.countTotals.find((c) => c.area === "Liverpool")?.counts).toBeGreaterThan(0);
  });
});

describe("stand-in client changes", () => {
  it("updates flags and records consent per purpose and agency", async () => {
    const b = createStandin({ clients: 20, now: fixedNow });
    await b.unlock(STANDIN_PASSPHRASE);
    const c = await b.addClient({ name: "Flag Example", area: "Halton", safetyFlags: ["Dog on site"] });
    const o = await b.updateClient(c.id, {
      safetyFlags: ["Dog on site", "Do not visit alone"],
      consents: [
        { purpose: "referral", agency: "Housing First", given: true },
        { purpose: "information_sharing", agency: "Police", given: false },
      ],
    });
    expect(o.safetyFlags.map((f) => f.text)).toEqual(["Dog on site", "Do not visit alone"]);
    expect(o.consents.map((x) => [x.purpose, x.agency, x.inForce])).toEqual([
      ["referral", "Housing First", true],
      ["information_sharing", "Police", false],
    ]);
    const history = await b.clientHistory(c.id);
    expect(history.some((h) => h.action === "update")).toBe(true);
  });
});

describe("stand-in new clients", () => {
  it("start with only the consent given when they were added", async () => {
    const b = createStandin({ clients: 5, now: fixedNow });
    await b.unlock(STANDIN_PASSPHRASE);
    const c = await b.addClient({
      name: "New Example",
      area: "Sefton",
      consents: [{ purpose: "case_recording", agency: "Outreach team", given: true }],
    });
    const o = await b.clientOverview(c.id);
    expect(o.consents.map((x) => x.agency)).toEqual(["Outreach team"]);
    expect(o.recentContacts).toEqual([]);
    expect(o.latestRisk).toBeNull();
  });

  it("suggests duplicates, merges with undo and remembers 'not the same person'", async () => {
    const b = await unlocked();
    const a = await b.addClient({ name: "Dup Example", area: "Wirral", dateOfBirth: "1980-01-02" });
    const c = await b.addClient({ name: "dup example", area: "Wirral", dateOfBirth: "1980-01-02" });
    const mine = await b.clientDuplicates(a.id);
    expect(mine.map((p) => p.otherId)).toEqual([c.id]);
    expect(mine[0]?.reasons).toContain("same date of birth");
    const side = await b.compareClients(a.id, c.id);
    expect(side.ruledOut).toBeNull();

    const done = await b.mergeClients(c.id, a.id);
    expect(done.survivor.profile.id).toBe(a.id);
    expect(done.survivor.mergedFrom.map((m) => m.id)).toEqual([c.id]);
    const opened = await b.clientOverview(c.id);
    expect([opened.profile.id, opened.openedAs]).toEqual([a.id, c.id]);
    expect((await b.searchClients("dup example", {}, 10)).map((s) => s.id)).toEqual([a.id]);
    expect(await kind(b.mergeClients(a.id, c.id))).toBe("invalid");

    await b.unmergeClient(c.id);
    expect((await b.clientOverview(c.id)).openedAs).toBeNull();
    await b.dismissDuplicate(a.id, c.id);
    expect(await b.clientDuplicates(a.id)).toEqual([]);
  });
});
