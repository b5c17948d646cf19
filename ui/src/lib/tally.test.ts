import { describe, expect, it } from "vitest";
import { computeTally, duplicateIds, normaliseLocation, type TallySighting } from "./tally";

function s(id: string, over: Partial<TallySighting> = {}): TallySighting {
  return {
    id,
    location: "Library doorway",
    gender: "male",
    ageBand: "from26",
    nationality: "uk",
    roughSleeping: true,
    clientId: null,
    sameAs: null,
    ...over,
  };
}

describe("computeTally", () => {
  it("counts people by gender, age and nationality", () => {
    const t = computeTally([s("1"), s("2", { gender: "female", location: "Park" }), s("3", { ageBand: "from18_to25", location: "Bus shelter" })]);
    expect(t.total).toBe(3);
    expect(t.byGender).toEqual({ male: 2, female: 1 });
    expect(t.byAgeBand).toEqual({ from26: 2, from18_to25: 1 });
    expect(t.byNationality).toEqual({ uk: 3 });
    expect(t.possibleDuplicates).toEqual([]);
  });

  it("counts a person marked as the same, or the same client again, once", () => {
    const t = computeTally([s("1", { clientId: "c" }), s("2", { clientId: "c", location: "Park" }), s("3", { sameAs: "1", location: "x" })]);
    expect(t.total).toBe(1);
    expect(t.sightings).toBe(3);
    expect(t.duplicatesRemoved).toBe(2);
  });

  it("leaves out people not sleeping rough", () => {
    expect(computeTally([s("1", { roughSleeping: false })]).total).toBe(0);
  });

  it("flags alike people at the same place, ignoring case and punctuation", () => {
    const t = computeTally([s("1", { location: "Lime St." }), s("2", { location: "lime st" }), s("3", { gender: "female", location: "Lime St" })]);
    expect(t.possibleDuplicates).toEqual([{ a: "1", b: "2", reason: "alike_and_nearby" }]);
    expect(t.total).toBe(3);
    expect([...duplicateIds(t.possibleDuplicates)].sort()).toEqual(["1", "2"]);
  });

  it("flags two sightings linked to one client", () => {
    const t = computeTally([s("1", { clientId: "c" }), s("2", { clientId: "c", location: "Park" })]);
    expect(t.possibleDuplicates).toEqual([{ a: "1", b: "2", reason: "same_client" }]);
  });

  it("does not pair people whose gender is not known", () => {
    expect(computeTally([s("1", { gender: "not_known" }), s("2", { gender: "not_known" })]).possibleDuplicates).toEqual([]);
  });

  it("normalises locations", () => {
    expect(normaliseLocation("  Church   porch, Example Rd! ")).toBe("church porch example rd");
  });
});
