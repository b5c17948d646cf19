/**
 * Synthetic, obviously made-up data for the stand-in back end. Names are
 * built from "Example", "Sample", "Placeholder"... so nobody could mistake
 * them for real people. Deterministic: the same seed gives the same data.
 */
import type { Gender, LivingSituation, Need, RiskLevel, SupportStage } from "../api";

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element. */
export function pick<T>(r: () => number, items: readonly T[]): T {
  const item = items[Math.floor(r() * items.length)];
  if (item === undefined) throw new Error("pick from an empty list");
  return item;
}

/** The six Liverpool City Region areas. */
export const AREAS = ["Liverpool", "Sefton", "Knowsley", "Halton", "Wirral", "St Helens"] as const;

/** Workers in the made-up team; the first is the signed-in worker. */
export const WORKERS = ["amy.w", "ben.k", "cara.m", "dev.p", "eli.r", "fay.t"] as const;

const FIRST = [
  "Alex", "Sam", "Jo", "Chris", "Robin", "Kit", "Morgan", "Jamie", "Charlie", "Dee", "Lee", "Pat",
  "Ray", "Sky", "Toni", "Frankie", "Billie", "Casey", "Drew", "Eden", "Finley", "Gray", "Harper",
  "Indy", "Jules", "Kai", "Lou", "Max", "Nico", "Ollie", "Quinn", "Remy", "Sasha", "Tate", "Val",
] as const;

const LAST = [
  "Example", "Sample", "Specimen", "Fictional", "Madeup", "Testcase", "Dummy", "Placeholder",
  "Mockley", "Fakeham", "Synthson", "Demoworth", "Notreal", "Pretendly", "Standin", "Lorem",
  "Ipsum", "Exampleton", "Samplesby", "Fauxfield",
] as const;

const NICK = ["Scouse", "Red", "Lofty", "Smiler", "Dusty", "Ginge", "Tiny", "Shades"] as const;

const DESCRIPTIONS = [
  "tall, red jacket",
  "grey beard, green sleeping bag",
  "young, blue hoodie, with a dog",
  "older, walks with a stick",
  "black coat, bicycle",
] as const;

/** Places in the made-up streets (no real addresses). */
export const SITES = [
  "Library doorway",
  "Station car park",
  "Underpass by the ring road",
  "Church porch, Example Rd",
  "Bus shelter, Sample St",
  "Park bandstand",
  "Shopping arcade entrance",
  "Multi-storey level 2",
] as const;

const FLAGS = [
  "Do not visit alone",
  "Dog on site: ask before approaching",
  "History of aggression towards staff",
  "May carry sharp objects",
  "Lone working not allowed: two workers",
  "Allergy: penicillin",
] as const;

const NEEDS: readonly Need[] = [
  "mental_health",
  "substance_use",
  "offending",
  "behavioural",
  "debt",
  "physical_health",
];

const LIVING: readonly LivingSituation[] = [
  "rough_sleeping",
  "rough_sleeping",
  "rough_sleeping",
  "night_shelter",
  "hostel",
  "emergency_accommodation",
  "sofa_surfing",
  "supported_accommodation",
];

const STAGES: readonly SupportStage[] = [
  "outreach",
  "outreach",
  "enablement",
  "support",
  "supported_accommodation",
  "supported_housing",
];

/** The stand-in's seed-level facts about one client. */
export interface SeedClient {
  /** Id. */
  id: string;
  /** Index (for deterministic lazy details). */
  index: number;
  /** Name or null when recorded by description. */
  name: string | null;
  /** Other names. */
  aliases: string[];
  /** Description when unnamed. */
  description: string | null;
  /** Usual site. */
  usualSite: string | null;
  /** Date of birth. */
  dateOfBirth: string | null;
  /** Gender. */
  gender: Gender;
  /** Area. */
  area: string;
  /** Needs. */
  needs: Need[];
  /** Living situation. */
  livingSituation: LivingSituation;
  /** Safety flag texts. */
  flags: string[];
  /** Latest completed risk level. */
  riskLevel: RiskLevel | null;
  /** Days from today to review (negative = overdue). */
  reviewInDays: number | null;
  /** Stage. */
  stage: SupportStage;
  /** Days since the episode started. */
  stageDays: number;
  /** Days since the last contact. */
  lastContactDaysAgo: number | null;
  /** Workers. */
  workers: string[];
}

/** A UUID-shaped id from a number (stable, obviously synthetic). */
export function fakeId(prefix: number, n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `${prefix.toString(16).padStart(8, "0")}-0000-4000-8000-${hex}`;
}

/** Make `count` clients. */
export function seedClients(count: number, seed = 7): SeedClient[] {
  const r = rng(seed);
  const out: SeedClient[] = [];
  for (let i = 0; i < count; i += 1) {
    const unnamed = r() < 0.05;
    const name = unnamed ? null : `${pick(r, FIRST)} ${pick(r, LAST)}`;
    const aliases = !unnamed && r() < 0.25 ? [pick(r, NICK)] : [];
    const needs = NEEDS.filter(() => r() < 0.35);
    const hasRisk = r() < 0.8;
    const riskRoll = r();
    const riskLevel: RiskLevel | null = hasRisk
      ? riskRoll < 0.2
        ? "high"
        : riskRoll < 0.6
          ? "medium"
          : "low"
      : null;
    const year = 1950 + Math.floor(r() * 55);
    const month = 1 + Math.floor(r() * 12);
    const day = 1 + Math.floor(r() * 28);
    // About 250 clients are on this team's caseloads (about 40 each); the
    // rest are held by workers in other teams, or by nobody.
    const ours = r() < 0.085;
    const lead = ours ? pick(r, WORKERS) : `worker${String(1 + Math.floor(r() * 60)).padStart(2, "0")}.other`;
    const workers = r() < 0.03 ? [] : ours && r() < 0.2 ? [lead, pick(r, WORKERS)] : [lead];
    out.push({
      id: fakeId(0xc11e, i + 1),
      index: i,
      name,
      aliases,
      description: unnamed ? pick(r, DESCRIPTIONS) : null,
      usualSite: r() < 0.6 ? pick(r, SITES) : null,
      dateOfBirth:
        unnamed || r() < 0.1
          ? null
          : `${String(year)}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
      gender: pick(r, ["male", "male", "male", "female", "female", "non_binary", "not_known"]),
      area: pick(r, AREAS),
      needs,
      livingSituation: pick(r, LIVING),
      flags: r() < 0.15 ? [pick(r, FLAGS)] : [],
      riskLevel,
      reviewInDays: hasRisk ? (r() < 0.1 ? -1 - Math.floor(r() * 20) : Math.floor(r() * 56)) : null,
      stage: pick(r, STAGES),
      stageDays: Math.floor(r() * 200),
      lastContactDaysAgo: r() < 0.9 ? Math.floor(r() * 45) : null,
      workers: [...new Set(workers)],
    });
  }
  return out;
}
