/**
 * An in-memory stand-in for the Rust back end, implementing the same
 * {@link Backend} interface with synthetic data. Used by Vitest and by the
 * built UI outside the Tauri shell (browser preview, headless Chromium).
 * It keeps the rules the UI depends on: locked stores refuse everything,
 * completed risk assessments are amend-only, closed counts refuse sightings.
 */
import {
  DeskError,
  type ActionPlan,
  type ActionPlanView,
  type AppStatus,
  type AuditEntry,
  type Backend,
  type CaseConference,
  type CaseloadFilters,
  type CaseloadPage,
  type CaseloadQuery,
  type ClientChanges,
  type ClientInput,
  type ClientOverview,
  type ClientSummary,
  type Conflict,
  type Consent,
  type Contact,
  type ContactInput,
  type CountTally,
  type DuplicatePair,
  type EpisodeView,
  type Goal,
  type Id,
  type NeedsAttention,
  type OutcomeScore,
  type ReviewView,
  type RiskAssessment,
  type RiskInput,
  type RiskLevel,
  type Sighting,
  type SightingInput,
  type StreetCount,
  type SyncStatus,
  type TeamReport,
} from "../api";
import { computeTally } from "../lib/tally";
import { AREAS, fakeId, pick, rng, seedClients, SITES, WORKERS, type SeedClient } from "./data";

import { STANDIN_DATA_DIR, STANDIN_PASSPHRASE } from "./constants";

export { STANDIN_DATA_DIR, STANDIN_PASSPHRASE };

/** Options for {@link createStandin}. */
export interface StandinOptions {
  /** How many clients to make (default 3000). */
  clients?: number;
  /** Start with no store, to show the first-run screen. */
  fresh?: boolean;
  /** "Today" (default: the real date). */
  now?: () => Date;
  /** Simulated sync duration in ms (default 1800). */
  syncMs?: number;
  /**
   * Time between automatic syncs in ms (default 5 minutes, as the app); the
   * first is due this long after unlocking (the app also syncs at unlock).
   */
  autoSyncMs?: number;
  /** Idle lock in minutes (default 10; fractions allowed, for tests). */
  idleLockMinutes?: number;
}

const OUTCOME_AREAS = [
  { key: "motivation", label: "Motivation and taking responsibility" },
  { key: "self_care", label: "Self-care and living skills" },
  { key: "money", label: "Managing money and personal administration" },
  { key: "social", label: "Social networks and relationships" },
  { key: "substances", label: "Drug and alcohol use" },
  { key: "physical_health", label: "Physical health" },
  { key: "mental_health", label: "Emotional and mental health" },
  { key: "meaningful_time", label: "Meaningful use of time" },
  { key: "accommodation", label: "Managing tenancy and accommodation" },
  { key: "offending", label: "Offending" },
] as const;

const STAGE_NAMES = [
  "Not ready yet",
  "Engaging with help",
  "Making progress",
  "Building skills",
  "Independent",
];

const LIMITS: Partial<Record<string, number>> = {
  enablement: 42,
  support: 182,
  supported_accommodation: 182,
  supported_housing: 730,
};

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };

interface Details {
  risks: RiskAssessment[];
  contacts: Contact[];
  plan: ActionPlanView | null;
  goals: Goal[];
  scores: OutcomeScore[];
  conferences: CaseConference[];
  consents: Consent[];
  history: AuditEntry[];
  flagsRaised: { text: string; raisedOn: string; raisedBy: string }[];
  phone: string | null;
  referral: { source: string; date: string } | null;
  housingDifficulty: boolean | null;
  closedOn: string | null;
  version: number;
  updatedAt: string;
}

interface CountRecord {
  count: StreetCount;
  sightings: Sighting[];
}

function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  return iso(new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000));
}

function daysFrom(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

function ageOn(dob: string | null, today: string): number | null {
  if (dob === null) return null;
  let age = Number(today.slice(0, 4)) - Number(dob.slice(0, 4));
  if (today.slice(5) < dob.slice(5)) age -= 1;
  return age;
}

/** A fresh stand-in back end. */
export function createStandin(options: StandinOptions = {}): Backend & {
  /** Test hook: pretend the idle time has passed. */
  expireIdle(): void;
} {
  const now = options.now ?? (() => new Date());
  const syncMs = options.syncMs ?? 1800;
  const autoSyncMs = options.autoSyncMs ?? 5 * 60_000;
  const today = (): string => iso(now());
  const user = WORKERS[0];
  const clients = seedClients(options.clients ?? 3000);
  const byId = new Map<Id, SeedClient>(clients.map((c) => [c.id, c]));
  const details = new Map<Id, Details>();
  // Merges (merged-away id -> survivor and the area it had) and pairs a
  // worker said are not the same person ("a|b", lower id first).
  const mergedInto = new Map<Id, { into: Id; areaBefore: string }>();
  const notSame = new Set<string>();
  const pairKey = (a: Id, b: Id): string => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const survivorOf = (id: Id): Id => {
    let at = id;
    for (let i = 0; i < 50; i += 1) {
      const next = mergedInto.get(at);
      if (next === undefined) return at;
      at = next.into;
    }
    return at;
  };
  let storeExists = options.fresh !== true;
  let passphrase = STANDIN_PASSPHRASE;
  let unlocked = false;
  let userName: string = user;
  let idleLockMinutes = options.idleLockMinutes ?? 10;
  let lastActivity = now().getTime();
  let nextId = 1;
  const newId = (): Id => fakeId(0x5eed, nextId++);

  // Sync state
  let signedIn = true;
  let serverUrl: string | null = "https://sync.example.invalid";
  let lastSyncedAt: string | null = new Date(now().getTime() - 2 * 3_600_000).toISOString();
  let syncUntil = 0;
  let syncStarted = 0;
  let pending = 0;
  /** When the simulated automatic sync starts next (ms). */
  let nextAutoSync = now().getTime() + autoSyncMs;
  const conflicts: Conflict[] = makeConflicts();
  const attention: NeedsAttention[] = makeAttention();

  // Counts: two closed ones for the reports, none open.
  const counts: CountRecord[] = makeClosedCounts();

  function makeConflicts(): Conflict[] {
    const a = clients[3];
    const b = clients[11];
    if (a === undefined || b === undefined) return [];
    const at = new Date(now().getTime() - 26 * 3_600_000).toISOString();
    return [
      {
        id: fakeId(0xc0f1, 1),
        recordId: a.id,
        kind: "client",
        clientId: a.id,
        clientName: a.name ?? "(unnamed)",
        field: "usual_site",
        fieldLabel: "Usual site",
        kept: "Library doorway",
        other: "Station car park",
        keptText: "Library doorway",
        otherText: "Station car park",
        otherUser: "ben.k",
        otherDevice: fakeId(0xde1, 2),
        otherAt: at,
        resolvedBy: null,
      },
      {
        id: fakeId(0xc0f1, 2),
        recordId: b.id,
        kind: "client",
        clientId: b.id,
        clientName: b.name ?? "(unnamed)",
        field: "phone",
        fieldLabel: "Phone",
        kept: "07700 900123",
        other: "07700 900456",
        keptText: "07700 900123",
        otherText: "07700 900456",
        otherUser: "cara.m",
        otherDevice: fakeId(0xde1, 3),
        otherAt: at,
        resolvedBy: null,
      },
    ];
  }

  function makeAttention(): NeedsAttention[] {
    const c = clients[5];
    if (c === undefined) return [];
    return [
      {
        mutationId: fakeId(0xa77, 1),
        recordId: c.id,
        kind: "contact",
        op: "update",
        changes: { notes: "Edited after sign-off" },
        madeAt: new Date(now().getTime() - 30 * 3_600_000).toISOString(),
        code: "signed_off",
        reason:
          "This contact was already signed off, so it cannot be edited. Record a correction that amends it instead.",
        rejectedAt: new Date(now().getTime() - 2 * 3_600_000).toISOString(),
      },
    ];
  }

  function makeClosedCounts(): CountRecord[] {
    const r = rng(99);
    const out: CountRecord[] = [];
    for (const [n, area] of (["Liverpool", "Wirral", "Sefton", "Liverpool"] as const).entries()) {
      const night = addDays(today(), -30 * (n < 3 ? 1 : 2) - n);
      const id = fakeId(0xc0, n + 1);
      const sightings: Sighting[] = [];
      const people = 6 + Math.floor(r() * 14);
      for (let i = 0; i < people; i += 1) {
        sightings.push({
          id: fakeId(0x516, n * 100 + i),
          countId: id,
          seenAt: `${night}T23:${String(10 + i).padStart(2, "0")}:00Z`,
          location: pick(r, SITES),
          gender: pick(r, ["male", "male", "male", "female", "not_known"]),
          ageBand: pick(r, ["from26", "from26", "from18_to25", "not_known"]),
          nationality: pick(r, ["uk", "uk", "uk", "eu", "non_eu", "not_known"]),
          roughSleeping: true,
          knownToServices: r() < 0.6,
          clientId: null,
          clientName: null,
          sameAs: null,
          notes: null,
          recordedBy: pick(r, WORKERS),
        });
      }
      out.push({
        count: {
          id,
          area,
          nightOf: night,
          windowStart: `${night}T23:00:00Z`,
          windowEnd: `${addDays(night, 1)}T03:00:00Z`,
          team: [WORKERS[1], WORKERS[2]],
          approach: "count_based",
          status: "closed",
          closedAt: `${addDays(night, 1)}T03:05:00Z`,
          sightings: sightings.length,
        },
        sightings,
      });
    }
    return out;
  }

  /** Every command but the status ones checks the lock and counts as activity. */
  function guard(): void {
    if (!storeExists) {
      throw new DeskError("no_store", "There is no store on this computer yet. Create a passphrase to set one up.");
    }
    if (unlocked && idleLockMinutes > 0 && now().getTime() - lastActivity > idleLockMinutes * 60_000) {
      unlocked = false;
    }
    if (!unlocked) {
      throw new DeskError("locked", "Outreach is locked. Unlock it with your passphrase to carry on.");
    }
    lastActivity = now().getTime();
  }

  function client(id: Id): SeedClient {
    const c = byId.get(id);
    if (c === undefined) {
      throw new DeskError("not_found", "That client is not on this computer. They may have been removed, or not synced yet.");
    }
    return c;
  }

  function displayName(c: SeedClient): string {
    return c.name ?? `(unnamed) ${c.description ?? ""}`.trim();
  }

  function reviewDue(c: SeedClient): string | null {
    return c.reviewInDays === null ? null : addDays(today(), c.reviewInDays);
  }

  function episode(c: SeedClient): EpisodeView {
    const limit = LIMITS[c.stage];
    // Most episodes are within their limit; a few have run past it.
    const startedOn = addDays(today(), -(limit === undefined ? c.stageDays : c.stageDays % (limit + 12)));
    if (limit === undefined) {
      return { stage: c.stage, startedOn, endedOn: null, limitEnd: null, status: "no_limit", daysLeft: null, daysOver: null };
    }
    const limitEnd = addDays(startedOn, limit - 1);
    const left = daysFrom(today(), limitEnd) + 1;
    return {
      stage: c.stage,
      startedOn,
      endedOn: null,
      limitEnd,
      status: left <= 0 ? "exceeded" : left <= 14 ? "nearing_end" : "within",
      daysLeft: left > 0 ? left : null,
      daysOver: left <= 0 ? 1 - left : null,
    };
  }

  function summary(c: SeedClient, score: number | null = null): ClientSummary {
    const ep = episode(c);
    const due = reviewDue(c);
    const d = details.get(c.id);
    return {
      id: c.id,
      displayName: displayName(c),
      aliases: c.aliases,
      dateOfBirth: c.dateOfBirth,
      area: c.area,
      needs: c.needs,
      safetyFlags: c.flags,
      riskLevel: c.riskLevel,
      reviewDue: due,
      reviewOverdue: due !== null && due < today(),
      episodeStage: c.stage,
      episodeEnd: ep.limitEnd,
      episodeEnding: ep.status === "nearing_end" || ep.status === "exceeded",
      lastContactAt:
        c.lastContactDaysAgo === null
          ? null
          : new Date(now().getTime() - c.lastContactDaysAgo * 86_400_000 - 3_600_000).toISOString(),
      workers: c.workers,
      assignedWorker: c.workers[0] ?? null,
      closedOn: d?.closedOn ?? null,
      score,
    };
  }

  function passes(c: SeedClient, f: CaseloadFilters): boolean {
    if (mergedInto.has(c.id)) return false;
    if (f.flagged === true && c.flags.length === 0) return false;
    if (f.overdueReview === true && !(c.reviewInDays !== null && c.reviewInDays < 0)) return false;
    if (f.episodeEnding === true) {
      const s = episode(c).status;
      if (s !== "nearing_end" && s !== "exceeded") return false;
    }
    if (f.riskLevel != null && (c.riskLevel === null || RANK[c.riskLevel] < RANK[f.riskLevel])) return false;
    if (f.area != null && f.area !== "" && c.area !== f.area) return false;
    if (f.need != null && !c.needs.includes(f.need)) return false;
    if (f.includeClosed !== true && details.get(c.id)?.closedOn != null) return false;
    return true;
  }

  function reviewView(due: string): ReviewView {
    const days = daysFrom(today(), due);
    if (days < 0) return { status: "overdue", due, days: -days };
    return { status: days <= 7 ? "due_soon" : "current", due, days };
  }

  function detailsOf(c: SeedClient): Details {
    const existing = details.get(c.id);
    if (existing) return existing;
    const r = rng(1000 + c.index);
    const risks: RiskAssessment[] = [];
    if (c.riskLevel !== null) {
      const levels: RiskLevel[] = ["low", "medium", "high"];
      const top = c.riskLevel;
      const under = levels.filter((l) => RANK[l] <= RANK[top]);
      const due = reviewDue(c) ?? addDays(today(), 28);
      const rating = (level: RiskLevel): { level: RiskLevel; notes: null } => ({ level, notes: null });
      const old = addDays(due, -56);
      risks.push(makeRisk(c.id, `${old}T10:00:00Z`, {
        toSelf: rating(pick(r, under)),
        toOthers: rating("low"),
        fromOthers: rating(pick(r, under)),
        safeguarding: rating("low"),
      }, addDays(due, -28), "Cold nights; benefit payment delays.", "Attends the drop-in most days.", "Check in at the drop-in weekly."));
      risks.push(makeRisk(c.id, `${addDays(due, -28)}T11:30:00Z`, {
        toSelf: rating(top),
        toOthers: rating(pick(r, under)),
        fromOthers: rating(pick(r, under)),
        safeguarding: rating(pick(r, under)),
      }, due, "Eviction from the hostel; losing contact with family.", "Sister in Wirral; registered with a GP; keeps the dog.", "Two workers on visits. Daily check-in at the drop-in. Share concerns with the mental health team (consent given)."));
    }
    const contacts: Contact[] = [];
    if (c.lastContactDaysAgo !== null) {
      for (let i = 0; i < 6; i += 1) {
        const ago = c.lastContactDaysAgo + i * 7 + Math.floor(r() * 3);
        const street = r() < 0.5;
        contacts.push({
          id: fakeId(0xc0c, c.index * 10 + i),
          clientId: c.id,
          at: new Date(now().getTime() - ago * 86_400_000 - 3_600_000).toISOString(),
          location: street ? c.usualSite : "Drop-in centre",
          contactType: street ? "outreach_shift" : "face_to_face",
          purpose: street ? "street_encounter" : "key_work",
          worker: c.workers[0] ?? "ben.k",
          notes: street
            ? "Seen bedded down. Offered hot drink and a sleeping bag; declined hostel tonight."
            : "Key-work session: went through benefits claim and housing options.",
          outcome: null,
          livingSituation: c.livingSituation,
          beddedDown: street,
          amends: null,
        });
      }
    }
    const startedOn = addDays(today(), -120);
    const plan: ActionPlanView | null = r() < 0.85
      ? { id: fakeId(0x91a, c.index), startedOn, agencies: ["Housing First", "Community mental health team"], summary: "Move into settled accommodation and keep GP appointments." }
      : null;
    const goals: Goal[] = plan === null ? [] : [
      { id: fakeId(0x90a, c.index * 10 + 1), planId: plan.id, text: "Register with a GP", term: "short", targetDate: addDays(today(), -10), owner: c.workers[0] ?? user, outcomeArea: "physical_health", status: "achieved", overdue: false },
      { id: fakeId(0x90a, c.index * 10 + 2), planId: plan.id, text: "Apply for Universal Credit", term: "short", targetDate: addDays(today(), 9), owner: "Client", outcomeArea: "money", status: "in_progress", overdue: false },
      { id: fakeId(0x90a, c.index * 10 + 3), planId: plan.id, text: "Housing First tenancy", term: "long", targetDate: addDays(today(), 120), owner: "Housing First", outcomeArea: "accommodation", status: "not_started", overdue: false },
    ];
    const scores: OutcomeScore[] = [];
    if (plan !== null) {
      for (const area of ["accommodation", "mental_health", "money"]) {
        let v = 2 + Math.floor(r() * 3);
        for (let m = 0; m < 5; m += 1) {
          v = Math.max(1, Math.min(10, v + Math.floor(r() * 3) - (r() < 0.2 ? 1 : 0)));
          scores.push(makeScore(area, v, addDays(startedOn, m * 28), c.workers[0] ?? user));
        }
      }
    }
    const d: Details = {
      risks,
      contacts,
      plan,
      goals,
      scores,
      conferences: plan === null ? [] : [{ id: fakeId(0xcc, c.index), heldOn: addDays(today(), -40), attendees: ["amy.w", "Housing First", "CMHT"], notes: "Agreed Housing First referral. CMHT to offer an appointment within two weeks." }],
      consents: [
        { purpose: "case_recording", agency: "Outreach team", given: true, recordedOn: addDays(today(), -120), expiresOn: null, recordedBy: c.workers[0] ?? user, inForce: true },
        { purpose: "information_sharing", agency: "Housing First", given: true, recordedOn: addDays(today(), -90), expiresOn: addDays(today(), 275), recordedBy: c.workers[0] ?? user, inForce: true },
        { purpose: "information_sharing", agency: "Police", given: false, recordedOn: addDays(today(), -90), expiresOn: null, recordedBy: c.workers[0] ?? user, inForce: false },
        { purpose: "case_conference", agency: "Community mental health team", given: true, recordedOn: addDays(today(), -60), expiresOn: null, recordedBy: c.workers[0] ?? user, inForce: true },
      ],
      history: [],
      flagsRaised: c.flags.map((text) => ({ text, raisedOn: addDays(today(), -100), raisedBy: "ben.k" })),
      phone: r() < 0.4 ? "07700 900" + String(100 + c.index % 900) : null,
      referral: { source: pick(r, ["Street outreach", "Hospital discharge", "Self-referral", "Police", "Housing options"]), date: addDays(today(), -130) },
      housingDifficulty: null,
      closedOn: null,
      version: 3,
      updatedAt: new Date(now().getTime() - 5 * 86_400_000).toISOString(),
    };
    d.history = [
      { at: new Date(now().getTime() - 130 * 86_400_000).toISOString(), user: "ben.k", action: "create", summary: "Created client record", kind: "client", recordId: c.id, detail: null },
      { at: new Date(now().getTime() - 60 * 86_400_000).toISOString(), user: c.workers[0] ?? user, action: "update", summary: "Updated needs", kind: "client", recordId: c.id, detail: null },
      { at: new Date(now().getTime() - 5 * 86_400_000).toISOString(), user: c.workers[0] ?? user, action: "read", summary: "Opened the record", kind: "client", recordId: c.id, detail: null },
    ];
    details.set(c.id, d);
    return d;
  }

  function makeScore(area: string, score: number, on: string, by: string): OutcomeScore {
    const label = OUTCOME_AREAS.find((a) => a.key === area)?.label ?? area;
    return { id: newId(), area, areaLabel: label, score, stage: STAGE_NAMES[Math.floor((score - 1) / 2)] ?? "", recordedOn: on, recordedBy: by };
  }

  function makeRisk(
    clientId: Id,
    at: string,
    levels: Pick<RiskAssessment, "toSelf" | "toOthers" | "fromOthers" | "safeguarding">,
    due: string,
    triggers: string | null,
    protective: string | null,
    plan: string | null,
    status: "draft" | "completed" = "completed",
    amends: Id | null = null,
  ): RiskAssessment {
    const highest = (["toSelf", "toOthers", "fromOthers", "safeguarding"] as const)
      .map((k) => levels[k].level)
      .reduce<RiskLevel>((a, b) => (RANK[b] > RANK[a] ? b : a), "low");
    return {
      id: newId(),
      clientId,
      assessedAt: at,
      assessor: user,
      ...levels,
      highest,
      triggers,
      protectiveFactors: protective,
      safetyPlan: plan,
      reviewDue: due,
      review: reviewView(due),
      status,
      amends,
      updatedAt: now().toISOString(),
    };
  }

  function riskFromInput(input: RiskInput, status: "draft" | "completed", amends: Id | null): RiskAssessment {
    const levels = {
      toSelf: { level: input.toSelf.level, notes: input.toSelf.notes ?? null },
      toOthers: { level: input.toOthers.level, notes: input.toOthers.notes ?? null },
      fromOthers: { level: input.fromOthers.level, notes: input.fromOthers.notes ?? null },
      safeguarding: { level: input.safeguarding.level, notes: input.safeguarding.notes ?? null },
    };
    const anyHigh = Object.values(levels).some((l) => l.level === "high");
    const due = input.reviewDue ?? addDays(today(), anyHigh ? 7 : 28);
    if (due < today()) {
      throw new DeskError("invalid", "The review date is in the past. Choose today or a later date.", "reviewDue");
    }
    return makeRisk(input.clientId, now().toISOString(), levels, due, input.triggers ?? null, input.protectiveFactors ?? null, input.safetyPlan ?? null, status, amends);
  }

  function applyLatestRisk(c: SeedClient, risk: RiskAssessment): void {
    c.riskLevel = risk.highest;
    c.reviewInDays = daysFrom(today(), risk.reviewDue);
  }

  function audit(c: SeedClient, action: string, text: string, kind: string, recordId: Id): void {
    const d = detailsOf(c);
    d.history.push({ at: now().toISOString(), user: userName, action, summary: text, kind, recordId, detail: null });
    pending += 1;
  }

  function status(): AppStatus {
    return {
      storeExists,
      unlocked,
      user: unlocked ? userName : null,
      deviceName: "preview-laptop",
      serverUrl: unlocked ? serverUrl : null,
      signedIn: unlocked && signedIn,
      idleLockMinutes,
      version: "0.1.0-preview",
      dataDir: STANDIN_DATA_DIR,
    };
  }

  function findCount(id: Id): CountRecord {
    const rec = counts.find((c) => c.count.id === id);
    if (rec === undefined) throw new DeskError("not_found", "That street count is not on this computer.");
    return rec;
  }

  function tallyOf(rec: CountRecord): CountTally {
    return { count: { ...rec.count, sightings: rec.sightings.length }, ...computeTally(rec.sightings), sightingList: [...rec.sightings] };
  }

  // Search text per client and the list order, cached (a change to a
  // client clears them) so 50,000 clients still answer in a few ms.
  const hays = new Map<Id, string>();
  let ordered: SeedClient[] | null = null;
  const haystack = (c: SeedClient): string => {
    let h = hays.get(c.id);
    if (h === undefined) {
      h = [c.name ?? "", ...c.aliases, c.description ?? "", c.dateOfBirth ?? ""].join(" ").toLowerCase();
      hays.set(c.id, h);
    }
    return h;
  };
  const changed = (c: SeedClient): void => {
    hays.delete(c.id);
    ordered = null;
  };
  const inOrder = (): SeedClient[] => {
    ordered ??= [...clients].sort(
      (a, b) => Number(a.name === null) - Number(b.name === null) || displayName(a).localeCompare(displayName(b)),
    );
    return ordered;
  };

  const search = (query: string, filters: CaseloadFilters, limit: number): ClientSummary[] => {
    const q = query.trim().toLowerCase();
    if (q === "") return [];
    const terms = q.split(/\s+/u);
    const hits: { c: SeedClient; score: number }[] = [];
    for (const c of clients) {
      const hay = haystack(c);
      if (!terms.every((t) => hay.includes(t)) || !passes(c, filters)) continue;
      const words = hay.split(/\s+/u);
      const prefix = terms.every((t) => words.some((w) => w.startsWith(t)));
      const exact = (c.name ?? "").toLowerCase() === q;
      hits.push({ c, score: exact ? 1 : prefix ? 0.8 : 0.5 });
    }
    hits.sort((a, b) => b.score - a.score || displayName(a.c).localeCompare(displayName(b.c)));
    return hits.slice(0, Math.max(0, limit)).map((h) => summary(h.c, h.score));
  };

  /** Likely pairs: same name (ignoring case) in the same area, dates of birth not different. */
  function duplicatePairs(only: Id | null): DuplicatePair[] {
    const groups = new Map<string, SeedClient[]>();
    for (const c of clients) {
      if (c.name === null || mergedInto.has(c.id)) continue;
      const key = `${c.name.toLowerCase()}|${c.area}`;
      const group = groups.get(key) ?? [];
      group.push(c);
      groups.set(key, group);
    }
    const out: DuplicatePair[] = [];
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += 1) {
        for (let j = i + 1; j < group.length; j += 1) {
          let a = group[i];
          let b = group[j];
          if (a === undefined || b === undefined) continue;
          if (only !== null && a.id !== only && b.id !== only) continue;
          if (only !== null && b.id === only) [a, b] = [b, a];
          if (notSame.has(pairKey(a.id, b.id))) continue;
          if (a.dateOfBirth !== null && b.dateOfBirth !== null && a.dateOfBirth !== b.dateOfBirth) continue;
          const sameDob = a.dateOfBirth !== null && a.dateOfBirth === b.dateOfBirth;
          const reasons = [`same name: ${a.name ?? ""}`];
          if (sameDob) reasons.push("same date of birth");
          if (a.gender !== "not_known" && a.gender === b.gender) reasons.push(`both recorded as ${a.gender.replace(/_/gu, "-")}`);
          reasons.push("same area");
          out.push({ clientId: a.id, clientName: displayName(a), otherId: b.id, otherName: displayName(b), score: sameDob ? 95 : 75, reasons });
        }
      }
    }
    out.sort((x, y) => y.score - x.score || x.clientName.localeCompare(y.clientName));
    return out.slice(0, 100);
  }

  const backend: Backend & { expireIdle(): void } = {
    expireIdle() {
      lastActivity = now().getTime() - (idleLockMinutes * 60_000 + 1000);
    },
    appStatus: () => Promise.resolve(status()),
    createStore: (pass, name) => {
      if (storeExists) {
        return Promise.reject(new DeskError("store_exists", "A store already exists on this computer. Unlock it with its passphrase."));
      }
      if (Array.from(pass).length < 12) {
        return Promise.reject(new DeskError("invalid", "The passphrase is too short: use at least 12 characters, ideally several words.", "passphrase"));
      }
      if (name.trim() === "") {
        return Promise.reject(new DeskError("invalid", "Enter your user name.", "userName"));
      }
      storeExists = true;
      passphrase = pass;
      userName = name.trim();
      unlocked = true;
      lastActivity = now().getTime();
      nextAutoSync = lastActivity + autoSyncMs;
      return Promise.resolve(status());
    },
    unlock: (pass) => {
      if (!storeExists) return Promise.reject(new DeskError("no_store", "There is no store on this computer yet."));
      if (pass !== passphrase) {
        return Promise.reject(new DeskError("wrong_passphrase", "That passphrase did not unlock the store. Check it and try again; Caps Lock may be on."));
      }
      unlocked = true;
      lastActivity = now().getTime();
      nextAutoSync = lastActivity + autoSyncMs;
      // Like the real store's search index, built when the store opens.
      for (const c of inOrder()) haystack(c);
      return Promise.resolve(status());
    },
    lock: () => {
      unlocked = false;
      return Promise.resolve();
    },
    setIdleLock: (minutes) => {
      guard();
      if (!Number.isInteger(minutes) || minutes < 0 || minutes > 240) {
        return Promise.reject(new DeskError("invalid", "Choose between 0 (never) and 240 minutes.", "minutes"));
      }
      idleLockMinutes = minutes;
      return Promise.resolve(status());
    },
    touch: async () => {
      guard();
      await Promise.resolve();
    },
    caseload: async (query: CaseloadQuery): Promise<CaseloadPage> => {
      guard();
      await Promise.resolve();
      const list = inOrder().filter(
        (c) => (query.scope === "team" || c.workers.includes(userName) || c.workers.includes(user)) && passes(c, query.filters),
      );
      return {
        clients: list.slice(query.offset, query.offset + query.limit).map((c) => summary(c)),
        total: list.length,
      };
    },
    searchClients: async (query, filters, limit) => {
      guard();
      await Promise.resolve();
      return search(query, filters, limit);
    },
    clientOverview: async (asked): Promise<ClientOverview> => {
      guard();
      await Promise.resolve();
      client(asked);
      const id = survivorOf(asked);
      const c = client(id);
      const d = detailsOf(c);
      const family = [...mergedInto.keys()].filter((m) => survivorOf(m) === id);
      const familyContacts = family.flatMap((m) => detailsOf(client(m)).contacts);
      const completed = d.risks.filter((r) => r.status === "completed");
      const latest = completed[completed.length - 1] ?? null;
      const age = ageOn(c.dateOfBirth, today());
      const core = c.needs.filter((n) => ["mental_health", "substance_use", "offending", "behavioural"].includes(n));
      const housing = c.livingSituation !== "supported_accommodation";
      return {
        profile: {
          id: c.id,
          name: c.name,
          aliases: c.aliases,
          description: c.description,
          usualSite: c.usualSite,
          dateOfBirth: c.dateOfBirth,
          approximateAge: null,
          age,
          gender: c.gender,
          phone: d.phone,
          email: null,
          lastKnownAddress: null,
          area: c.area,
          needs: c.needs,
          livingSituation: c.livingSituation,
          housingDifficulty: d.housingDifficulty,
          referral: d.referral,
          closedOn: d.closedOn,
          updatedAt: d.updatedAt,
          updatedBy: c.workers[0] ?? "ben.k",
          version: d.version,
        },
        displayName: displayName(c),
        safetyFlags: d.flagsRaised,
        eligibility: {
          overall: age === null ? "unknown" : age >= 18 && housing && core.length >= 2 ? "met" : "not_met",
          criteria: [
            { key: "adult", label: "Aged 18 or over", status: age === null ? "unknown" : age >= 18 ? "met" : "not_met", detail: age === null ? "No date of birth or age recorded." : `Aged ${String(age)}.` },
            { key: "housing_difficulty", label: "Homeless or in housing difficulty", status: housing ? "met" : "not_met", detail: `Living situation: ${c.livingSituation.replace(/_/gu, " ")}.` },
            { key: "multiple_needs", label: "At least two of mental health, substance use, offending, behaviour", status: core.length >= 2 ? "met" : "not_met", detail: `${String(core.length)} of 4 recorded.` },
          ],
          coreNeedsMet: core,
        },
        consents: d.consents,
        episode: episode(c),
        latestRisk: latest,
        review: latest === null ? null : reviewView(latest.reviewDue),
        draftRisks: d.risks.filter((r) => r.status === "draft"),
        plan: {
          exists: d.plan !== null,
          agencies: d.plan?.agencies ?? [],
          summary: d.plan?.summary ?? null,
          openGoals: d.goals.filter((g) => g.status === "not_started" || g.status === "in_progress").length,
          achievedGoals: d.goals.filter((g) => g.status === "achieved").length,
          nextTargetDate: d.goals.filter((g) => g.status !== "achieved" && g.status !== "abandoned").map((g) => g.targetDate ?? "9999").sort()[0] ?? null,
        },
        recentContacts: [...d.contacts, ...familyContacts].sort((a, b) => b.at.localeCompare(a.at)).slice(0, 20),
        workers: c.workers.map((w, i) => ({ worker: w, role: i === 0 ? "lead" : "co_worker", startedOn: addDays(today(), -120), endedOn: null })),
        openedAs: asked === id ? null : asked,
        mergedFrom: family.map((m) => ({ id: m, displayName: displayName(client(m)), canUndo: mergedInto.get(m)?.into === id })),
      };
    },
    addClient: async (input: ClientInput) => {
      guard();
      await Promise.resolve();
      const name = input.name?.trim() ?? "";
      const description = input.description?.trim() ?? "";
      if (name === "" && description === "" && (input.aliases ?? []).length === 0) {
        throw new DeskError("invalid", "Give a name, an alias or a description so the person can be found again.", "name");
      }
      if (!(AREAS as readonly string[]).includes(input.area)) {
        throw new DeskError("invalid", `Unknown area '${input.area}': choose one of ${AREAS.join(", ")}.`, "area");
      }
      const c: SeedClient = {
        id: newId(),
        index: clients.length,
        name: name === "" ? null : name,
        aliases: input.aliases ?? [],
        description: description === "" ? null : description,
        usualSite: input.usualSite ?? null,
        dateOfBirth: input.dateOfBirth ?? null,
        gender: input.gender ?? "not_known",
        area: input.area,
        needs: input.needs ?? [],
        livingSituation: input.livingSituation ?? "not_known",
        flags: input.safetyFlags ?? [],
        riskLevel: null,
        reviewInDays: null,
        stage: input.episode?.stage ?? "outreach",
        stageDays: 0,
        lastContactDaysAgo: null,
        workers: input.assignToMe === false ? [] : [userName],
      };
      clients.push(c);
      byId.set(c.id, c);
      changed(c);
      const d = detailsOf(c);
      d.contacts = [];
      d.risks = [];
      d.plan = null;
      d.goals = [];
      d.scores = [];
      d.conferences = [];
      d.history = [];
      d.flagsRaised = c.flags.map((text) => ({ text, raisedOn: today(), raisedBy: userName }));
      d.phone = input.phone ?? null;
      d.referral = input.referralSource ? { source: input.referralSource, date: input.referralDate ?? today() } : null;
      d.consents = (input.consents ?? []).map((x) => ({
        purpose: x.purpose,
        agency: x.agency,
        given: x.given,
        recordedOn: x.recordedOn ?? today(),
        expiresOn: x.expiresOn ?? null,
        recordedBy: userName,
        inForce: x.given && (x.expiresOn == null || x.expiresOn >= today()),
      }));
      d.updatedAt = now().toISOString();
      audit(c, "create", "Created client record", "client", c.id);
      return summary(c);
    },
    updateClient: async (id: Id, changes: ClientChanges) => {
      guard();
      const c = client(id);
      const d = detailsOf(c);
      if (changes.name !== undefined) c.name = changes.name;
      if (changes.aliases !== undefined) c.aliases = changes.aliases;
      if (changes.area !== undefined) c.area = changes.area;
      if (changes.needs !== undefined) c.needs = changes.needs;
      if (changes.livingSituation !== undefined) c.livingSituation = changes.livingSituation;
      if (changes.usualSite !== undefined) c.usualSite = changes.usualSite;
      if (changes.phone !== undefined) d.phone = changes.phone;
      if (changes.consents !== undefined) {
        d.consents = changes.consents.map((c) => {
          const recordedOn = c.recordedOn ?? today();
          const expiresOn = c.expiresOn ?? null;
          return {
            purpose: c.purpose,
            agency: c.agency,
            given: c.given,
            recordedOn,
            expiresOn,
            recordedBy: userName,
            inForce: c.given && (expiresOn === null || expiresOn >= today()),
          };
        });
      }
      if (changes.safetyFlags !== undefined) {
        c.flags = changes.safetyFlags;
        d.flagsRaised = changes.safetyFlags.map(
          (text) => d.flagsRaised.find((f) => f.text === text) ?? { text, raisedOn: today(), raisedBy: userName },
        );
      }
      d.version += 1;
      d.updatedAt = now().toISOString();
      changed(c);
      audit(c, "update", "Updated client record", "client", c.id);
      return backend.clientOverview(id);
    },
    clientHistory: async (id) => {
      guard();
      await Promise.resolve();
      return [...detailsOf(client(id)).history].sort((a, b) => b.at.localeCompare(a.at));
    },
    duplicateSuggestions: async () => {
      guard();
      await Promise.resolve();
      return duplicatePairs(null);
    },
    clientDuplicates: async (id) => {
      guard();
      await Promise.resolve();
      client(id);
      return duplicatePairs(survivorOf(id));
    },
    compareClients: async (left, right) => {
      guard();
      const a = client(left);
      const b = client(right);
      const l = (await backend.clientOverview(left)).profile;
      const r = (await backend.clientOverview(right)).profile;
      const pair = duplicatePairs(left).find((p) => p.otherId === right);
      const differentDob = a.dateOfBirth !== null && b.dateOfBirth !== null && a.dateOfBirth !== b.dateOfBirth;
      return {
        left: { ...l, id: a.id },
        leftContacts: detailsOf(a).contacts.length,
        right: { ...r, id: b.id },
        rightContacts: detailsOf(b).contacts.length,
        score: pair?.score ?? 0,
        reasons: pair?.reasons ?? [],
        ruledOut: differentDob ? "different dates of birth" : null,
      };
    },
    mergeClients: async (merged, into) => {
      guard();
      const away = client(merged);
      client(into);
      if (merged === into) throw new DeskError("invalid", "Choose two different clients.", "into");
      const existing = mergedInto.get(merged);
      if (existing !== undefined) {
        throw new DeskError("invalid", "This client is already merged into another; undo that first.", "merged_into");
      }
      const target = survivorOf(into);
      if (target === merged) {
        throw new DeskError("invalid", "That client is already merged into this one; merging back would make a loop.", "merged_into");
      }
      mergedInto.set(merged, { into: target, areaBefore: away.area });
      away.area = client(target).area;
      changed(away);
      audit(away, "update", "Merged into another client", "client", away.id);
      return { mergedId: merged, survivor: await backend.clientOverview(target) };
    },
    unmergeClient: async (id) => {
      guard();
      const c = client(id);
      const link = mergedInto.get(id);
      if (link === undefined) throw new DeskError("invalid", "This client is not merged into another.", "merged_into");
      mergedInto.delete(id);
      c.area = link.areaBefore;
      changed(c);
      audit(c, "update", "Merge undone", "client", c.id);
      return backend.clientOverview(id);
    },
    dismissDuplicate: async (clientId, otherId) => {
      guard();
      await Promise.resolve();
      const c = client(clientId);
      client(otherId);
      notSame.add(pairKey(clientId, otherId));
      audit(c, "update", "Not the same person as another client", "client", c.id);
    },
    riskAssessments: async (clientId) => {
      guard();
      await Promise.resolve();
      return [...detailsOf(client(clientId)).risks].sort((a, b) => b.assessedAt.localeCompare(a.assessedAt));
    },
    saveRisk: async (input) => {
      guard();
      await Promise.resolve();
      const c = client(input.clientId);
      const d = detailsOf(c);
      if (input.id != null) {
        const i = d.risks.findIndex((r) => r.id === input.id);
        const existing = d.risks[i];
        if (existing === undefined) throw new DeskError("not_found", "That draft assessment is not on this computer.");
        if (existing.status === "completed") {
          throw new DeskError("invalid", "This assessment is completed, so it cannot be changed. Amend it instead: the original is kept.");
        }
        const updated = { ...riskFromInput(input, "draft", null), id: existing.id };
        d.risks[i] = updated;
        audit(c, "update", "Updated draft risk assessment", "risk_assessment", updated.id);
        return updated;
      }
      const risk = riskFromInput(input, "draft", null);
      d.risks.push(risk);
      audit(c, "create", "Started risk assessment (draft)", "risk_assessment", risk.id);
      return risk;
    },
    completeRisk: async (id) => {
      guard();
      await Promise.resolve();
      for (const c of byId.values()) {
        const d = details.get(c.id);
        const r = d?.risks.find((x) => x.id === id);
        if (d && r) {
          if (r.status === "completed") throw new DeskError("invalid", "This assessment is already completed.");
          r.status = "completed";
          r.updatedAt = now().toISOString();
          applyLatestRisk(c, r);
          audit(c, "update", "Completed risk assessment", "risk_assessment", r.id);
          return r;
        }
      }
      throw new DeskError("not_found", "That risk assessment is not on this computer.");
    },
    amendRisk: async (id, input) => {
      guard();
      await Promise.resolve();
      const c = client(input.clientId);
      const d = detailsOf(c);
      const original = d.risks.find((r) => r.id === id);
      if (original === undefined) throw new DeskError("not_found", "That risk assessment is not on this computer.");
      if (original.status !== "completed") throw new DeskError("invalid", "Only a completed assessment is amended; edit the draft instead.");
      const amended = riskFromInput(input, "completed", id);
      d.risks.push(amended);
      applyLatestRisk(c, amended);
      audit(c, "amend", "Amended risk assessment", "risk_assessment", amended.id);
      return amended;
    },
    actionPlan: async (clientId): Promise<ActionPlan> => {
      guard();
      await Promise.resolve();
      const d = detailsOf(client(clientId));
      return {
        plan: d.plan,
        goals: d.goals.map((g) => ({ ...g, overdue: (g.status === "not_started" || g.status === "in_progress") && g.targetDate !== null && g.targetDate < today() })),
        scores: [...d.scores].sort((a, b) => a.recordedOn.localeCompare(b.recordedOn)),
        areas: OUTCOME_AREAS.map((a) => ({ ...a })),
        conferences: [...d.conferences].sort((a, b) => b.heldOn.localeCompare(a.heldOn)),
      };
    },
    savePlan: async (input) => {
      guard();
      await Promise.resolve();
      const c = client(input.clientId);
      const d = detailsOf(c);
      d.plan = { id: d.plan?.id ?? newId(), startedOn: d.plan?.startedOn ?? today(), agencies: input.agencies, summary: input.summary ?? null };
      audit(c, "update", "Updated action plan", "action_plan", d.plan.id);
      return d.plan;
    },
    addGoal: async (input) => {
      guard();
      await Promise.resolve();
      if (input.text.trim() === "") throw new DeskError("invalid", "Say what the goal is.", "text");
      const c = client(input.clientId);
      const d = detailsOf(c);
      d.plan ??= { id: newId(), startedOn: today(), agencies: [], summary: null };
      const goal: Goal = { id: newId(), planId: d.plan.id, text: input.text.trim(), term: input.term, targetDate: input.targetDate ?? null, owner: input.owner ?? userName, outcomeArea: input.outcomeArea ?? null, status: "not_started", overdue: false };
      d.goals.push(goal);
      audit(c, "create", "Added goal", "goal", goal.id);
      return goal;
    },
    updateGoal: async (id, changes) => {
      guard();
      await Promise.resolve();
      for (const c of byId.values()) {
        const d = details.get(c.id);
        const g = d?.goals.find((x) => x.id === id);
        if (g) {
          if (changes.text !== undefined) g.text = changes.text;
          if (changes.term !== undefined) g.term = changes.term;
          if (changes.targetDate !== undefined) g.targetDate = changes.targetDate;
          if (changes.owner !== undefined) g.owner = changes.owner;
          if (changes.outcomeArea !== undefined) g.outcomeArea = changes.outcomeArea;
          if (changes.status !== undefined) g.status = changes.status;
          audit(c, "update", "Updated goal", "goal", g.id);
          return { ...g };
        }
      }
      throw new DeskError("not_found", "That goal is not on this computer.");
    },
    recordOutcomeScore: async (input) => {
      guard();
      await Promise.resolve();
      if (!Number.isInteger(input.score) || input.score < 1 || input.score > 10) {
        throw new DeskError("invalid", "A score is a whole number from 1 to 10.", "score");
      }
      if (!OUTCOME_AREAS.some((a) => a.key === input.area)) {
        throw new DeskError("invalid", "Choose one of the outcome areas.", "area");
      }
      const c = client(input.clientId);
      const s = makeScore(input.area, input.score, input.recordedOn ?? today(), userName);
      detailsOf(c).scores.push(s);
      audit(c, "create", `Recorded ${s.areaLabel} score ${String(s.score)}`, "outcome_score", s.id);
      return s;
    },
    addCaseConference: async (input) => {
      guard();
      await Promise.resolve();
      if (input.notes.trim() === "") throw new DeskError("invalid", "Write the notes of the conference.", "notes");
      const c = client(input.clientId);
      const conf: CaseConference = { id: newId(), heldOn: input.heldOn ?? today(), attendees: input.attendees, notes: input.notes };
      detailsOf(c).conferences.push(conf);
      audit(c, "create", "Recorded case conference", "case_conference", conf.id);
      return conf;
    },
    contacts: async (clientId) => {
      guard();
      await Promise.resolve();
      return [...detailsOf(client(clientId)).contacts].sort((a, b) => b.at.localeCompare(a.at));
    },
    addContact: async (input: ContactInput) => {
      guard();
      await Promise.resolve();
      const c = client(input.clientId);
      const at = input.at ?? now().toISOString();
      if (Date.parse(at) > now().getTime() + 60_000) {
        throw new DeskError("invalid", "The contact time is in the future.", "at");
      }
      const contact: Contact = {
        id: newId(),
        clientId: c.id,
        at,
        location: input.location ?? null,
        contactType: input.contactType ?? (input.purpose === "street_encounter" ? "outreach_shift" : "face_to_face"),
        purpose: input.purpose,
        worker: userName,
        notes: input.notes,
        outcome: input.outcome ?? null,
        livingSituation: input.beddedDown === true ? "rough_sleeping" : input.livingSituation ?? c.livingSituation,
        beddedDown: input.beddedDown ?? false,
        amends: null,
      };
      detailsOf(c).contacts.push(contact);
      c.lastContactDaysAgo = 0;
      audit(c, "create", input.purpose === "key_work" ? "Recorded key-work session" : "Recorded street encounter", "contact", contact.id);
      return contact;
    },
    counts: async () => {
      guard();
      await Promise.resolve();
      return counts.map((r) => ({ ...r.count, sightings: r.sightings.length })).sort((a, b) => b.nightOf.localeCompare(a.nightOf));
    },
    startCount: async (input) => {
      guard();
      await Promise.resolve();
      if (!(AREAS as readonly string[]).includes(input.area)) {
        throw new DeskError("invalid", `Unknown area '${input.area}': choose one of ${AREAS.join(", ")}.`, "area");
      }
      const open = counts.find((r) => r.count.area === input.area && r.count.status === "open");
      if (open) return { ...open.count };
      const start = input.windowStart ?? now().toISOString();
      const rec: CountRecord = {
        count: {
          id: newId(),
          area: input.area,
          nightOf: input.nightOf ?? today(),
          windowStart: start,
          windowEnd: input.windowEnd ?? new Date(Date.parse(start) + 6 * 3_600_000).toISOString(),
          team: input.team ?? [userName],
          approach: input.approach ?? "count_based",
          status: "open",
          closedAt: null,
          sightings: 0,
        },
        sightings: [],
      };
      counts.push(rec);
      pending += 1;
      return { ...rec.count };
    },
    recordSighting: async (countId, input: SightingInput) => {
      guard();
      await Promise.resolve();
      const rec = findCount(countId);
      if (rec.count.status === "closed") {
        throw new DeskError("invalid", "This count is closed, so no more sightings can be added. Start a new count if you are still out.");
      }
      if (input.location.trim() === "") {
        throw new DeskError("invalid", "Say where the person was seen.", "location");
      }
      const linked = input.clientId != null ? client(input.clientId) : null;
      const s: Sighting = {
        id: newId(),
        countId,
        seenAt: input.seenAt ?? now().toISOString(),
        location: input.location.trim(),
        gender: input.gender ?? "not_known",
        ageBand: input.ageBand ?? "not_known",
        nationality: input.nationality ?? "not_known",
        roughSleeping: input.roughSleeping ?? true,
        knownToServices: input.knownToServices ?? linked !== null,
        clientId: linked?.id ?? null,
        clientName: linked ? displayName(linked) : null,
        sameAs: input.sameAs ?? null,
        notes: input.notes ?? null,
        recordedBy: userName,
      };
      rec.sightings.push(s);
      pending += 1;
      return s;
    },
    countTally: async (countId) => {
      guard();
      await Promise.resolve();
      return tallyOf(findCount(countId));
    },
    closeCount: async (countId) => {
      guard();
      await Promise.resolve();
      const rec = findCount(countId);
      if (rec.count.status === "closed") throw new DeskError("invalid", "This count is already closed.");
      rec.count.status = "closed";
      rec.count.closedAt = now().toISOString();
      pending += 1;
      return tallyOf(rec);
    },
    syncStatus: (): Promise<SyncStatus> => {
      // Status polling is not activity; like the real back end it answers
      // `locked` once the store has locked itself.
      const t = now().getTime();
      if (unlocked && idleLockMinutes > 0 && t - lastActivity > idleLockMinutes * 60_000) unlocked = false;
      if (!unlocked) {
        return Promise.reject(new DeskError("locked", "Outreach is locked. Unlock it with your passphrase to carry on."));
      }
      // Automatic sync: a run starts by itself when it is due.
      if (signedIn && syncUntil === 0 && t >= nextAutoSync) {
        syncStarted = t;
        syncUntil = t + syncMs;
      }
      let state: SyncStatus["state"] = signedIn ? "idle" : "offline";
      let progress: SyncStatus["progress"] = null;
      if (syncUntil > 0 && t < syncUntil) {
        state = "syncing";
        const frac = (t - syncStarted) / (syncUntil - syncStarted);
        progress = frac < 0.5
          ? { phase: "push", sent: Math.round(pending * frac * 2), received: 0, percent: Math.round(frac * 200) }
          : { phase: "pull", sent: pending, received: Math.round(240 * (frac - 0.5) * 2), percent: Math.round((frac - 0.5) * 200) };
      } else if (syncUntil > 0) {
        syncUntil = 0;
        pending = 0;
        lastSyncedAt = new Date(t).toISOString();
        nextAutoSync = t + autoSyncMs;
      }
      return Promise.resolve({
        state,
        progress,
        lastSyncedAt,
        signedIn,
        serverUrl,
        pending,
        conflicts: conflicts.filter((c) => c.resolvedBy === null).length,
        needsAttention: attention.length,
        message: state === "offline" ? "Not signed in to a sync server." : state === "syncing" ? null : "Up to date.",
        nextAttemptAt: signedIn && state !== "syncing" ? new Date(nextAutoSync).toISOString() : null,
        automatic: true,
      });
    },
    signIn: async (url, name, password) => {
      guard();
      await Promise.resolve();
      if (!/^https?:\/\/\S+$/u.test(url)) throw new DeskError("invalid", "Enter the server address, starting with https://", "serverUrl");
      if (name.trim() === "") throw new DeskError("invalid", "Enter your user name.", "userName");
      if (password === "" || password === "wrong") {
        throw new DeskError("server", "The server did not accept that user name and password. Check them, or ask your team lead to reset your password.", "password");
      }
      signedIn = true;
      serverUrl = url;
      return { serverUrl: url, user: name, deviceId: fakeId(0xde1, 1), teams: ["Liverpool Outreach"] };
    },
    syncNow: async () => {
      guard();
      if (!signedIn) throw new DeskError("not_signed_in", "Sign in to the sync server first.");
      if (syncUntil === 0) {
        syncStarted = now().getTime();
        syncUntil = syncStarted + syncMs;
      }
      return backend.syncStatus();
    },
    conflicts: async () => {
      guard();
      await Promise.resolve();
      return conflicts.filter((c) => c.resolvedBy === null).map((c) => ({ ...c }));
    },
    resolveConflict: async (id, value) => {
      guard();
      await Promise.resolve();
      const c = conflicts.find((x) => x.id === id);
      if (c === undefined) throw new DeskError("not_found", "That conflict has already been resolved.");
      c.resolvedBy = userName;
      c.kept = value;
      pending += 1;
    },
    needsAttention: async () => {
      guard();
      await Promise.resolve();
      return attention.map((a) => ({ ...a }));
    },
    teamReport: async (): Promise<TeamReport> => {
      guard();
      await Promise.resolve();
      const open = clients.filter((c) => details.get(c.id)?.closedOn == null);
      const caseloads = WORKERS.map((w) => {
        const mine = open.filter((c) => c.workers.includes(w));
        return {
          worker: w,
          clients: mine.length,
          highRisk: mine.filter((c) => c.riskLevel === "high").length,
          overdueReviews: mine.filter((c) => c.reviewInDays !== null && c.reviewInDays < 0).length,
        };
      });
      const overdue = open
        .filter((c) => c.reviewInDays !== null && c.reviewInDays < 0)
        .map((c) => ({ clientId: c.id, displayName: displayName(c), worker: c.workers[0] ?? null, reviewDue: reviewDue(c) ?? today(), daysOver: -(c.reviewInDays ?? 0) }))
        .sort((a, b) => b.daysOver - a.daysOver);
      const r = rng(5);
      const monday = (() => {
        const d = now();
        const day = (d.getUTCDay() + 6) % 7;
        return addDays(iso(d), -day);
      })();
      const weeks = Array.from({ length: 12 }, (_, i) => {
        const keyWork = 40 + Math.floor(r() * 40);
        const street = 60 + Math.floor(r() * 60);
        return { weekStart: addDays(monday, -7 * (11 - i)), contacts: keyWork + street, keyWork, streetEncounters: street };
      });
      const totals = AREAS.map((area) => {
        const closed = counts.filter((c) => c.count.area === area && c.count.status === "closed").sort((a, b) => b.count.nightOf.localeCompare(a.count.nightOf));
        const latest = closed[0];
        return {
          area,
          counts: closed.length,
          latestTotal: latest ? computeTally(latest.sightings).total : null,
          latestNightOf: latest?.count.nightOf ?? null,
          totalPeople: closed.reduce((n, c) => n + computeTally(c.sightings).total, 0),
        };
      });
      return {
        generatedAt: now().toISOString(),
        caseloads,
        unassigned: open.filter((c) => c.workers.length === 0).length,
        overdueReviews: overdue,
        contactsPerWeek: weeks,
        countTotals: totals,
      };
    },
    exportReportCsv: async (kind) => {
      guard();
      await Promise.resolve();
      const rows = kind === "caseloads" ? WORKERS.length : kind === "count_totals" ? AREAS.length : kind === "contacts_per_week" ? 12 : 40;
      return { path: `~/.local/share/outreach/exports/${kind}-${today()}.csv (preview: nothing written)`, rows };
    },
  };
  return backend;
}
