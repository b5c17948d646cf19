/**
 * A street count's running tally from its sightings: people counted once
 * each, by gender, age band and nationality, and pairs that may be the same
 * person. The back end computes the official return; the stand-in uses this,
 * and the count screen uses {@link duplicateIds} to mark rows.
 */
import type { AgeBand, Gender, Id, Nationality, PossibleDuplicate } from "../api";

/** The parts of a sighting the tally needs. */
export interface TallySighting {
  /** Sighting id. */
  id: Id;
  /** Where. */
  location: string;
  /** Gender. */
  gender: Gender;
  /** Age band. */
  ageBand: AgeBand;
  /** Nationality group. */
  nationality: Nationality;
  /** Counted only when rough sleeping. */
  roughSleeping: boolean;
  /** Linked client. */
  clientId: Id | null;
  /** Marked by the worker as the same person as another sighting. */
  sameAs: Id | null;
}

/** The computed tally. */
export interface Tally {
  /** People counted, once each. */
  total: number;
  /** Sightings recorded. */
  sightings: number;
  /** Sightings left out as the same person as another. */
  duplicatesRemoved: number;
  /** People by gender. */
  byGender: Partial<Record<Gender, number>>;
  /** People by age band. */
  byAgeBand: Partial<Record<AgeBand, number>>;
  /** People by nationality. */
  byNationality: Partial<Record<Nationality, number>>;
  /** Pairs for a worker to check. */
  possibleDuplicates: PossibleDuplicate[];
}

/** Lower-cased, single-spaced, without punctuation: "Lime St." ≈ "lime st". */
export function normaliseLocation(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .replace(/\s+/gu, " ")
    .trim();
}

/** Compute the tally for a list of sightings in the order seen. */
export function computeTally(list: readonly TallySighting[]): Tally {
  const byGender: Partial<Record<Gender, number>> = {};
  const byAgeBand: Partial<Record<AgeBand, number>> = {};
  const byNationality: Partial<Record<Nationality, number>> = {};
  const seenClients = new Set<Id>();
  let total = 0;
  let removed = 0;
  for (const s of list) {
    const dupOfClient = s.clientId !== null && seenClients.has(s.clientId);
    if (s.clientId !== null) seenClients.add(s.clientId);
    if (s.sameAs !== null || dupOfClient) {
      removed += 1;
      continue;
    }
    if (!s.roughSleeping) continue;
    total += 1;
    byGender[s.gender] = (byGender[s.gender] ?? 0) + 1;
    byAgeBand[s.ageBand] = (byAgeBand[s.ageBand] ?? 0) + 1;
    byNationality[s.nationality] = (byNationality[s.nationality] ?? 0) + 1;
  }
  return {
    total,
    sightings: list.length,
    duplicatesRemoved: removed,
    byGender,
    byAgeBand,
    byNationality,
    possibleDuplicates: findDuplicates(list),
  };
}

/** Pairs that may be the same person (not already marked as such). */
export function findDuplicates(list: readonly TallySighting[]): PossibleDuplicate[] {
  const out: PossibleDuplicate[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const a = list[i];
    if (a === undefined) continue;
    for (let j = i + 1; j < list.length; j += 1) {
      const b = list[j];
      if (b === undefined || b.sameAs === a.id || a.sameAs === b.id) continue;
      if (a.clientId !== null && a.clientId === b.clientId) {
        out.push({ a: a.id, b: b.id, reason: "same_client" });
      } else if (
        a.gender === b.gender &&
        a.ageBand === b.ageBand &&
        a.gender !== "not_known" &&
        normaliseLocation(a.location) === normaliseLocation(b.location) &&
        (a.clientId === null || b.clientId === null)
      ) {
        out.push({ a: a.id, b: b.id, reason: "alike_and_nearby" });
      }
    }
  }
  return out;
}

/** Ids of sightings in any possible duplicate pair. */
export function duplicateIds(pairs: readonly PossibleDuplicate[]): Set<Id> {
  const ids = new Set<Id>();
  for (const p of pairs) {
    ids.add(p.a);
    ids.add(p.b);
  }
  return ids;
}
