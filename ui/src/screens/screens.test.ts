// Pure helpers of the screens (no DOM needed).
import { describe, expect, it } from "vitest";
import type { ClientOverview } from "../api";
import { overdueText } from "./Caseload";
import { recentLocations } from "./Count";
import { clientChanges, undoChanges } from "./EditClient";
import { scoreSeries } from "./Plan";
import { defaultReview, toRiskInput } from "./Risk";
import { emptyRiskForm } from "../lib/validate";

describe("risk form helpers", () => {
  it("defaults the review to a week when anything is high, else four weeks", () => {
    const low = { toSelf: "low", toOthers: "", fromOthers: "medium", safeguarding: "low" } as const;
    expect(defaultReview(low, "2026-12-01")).toBe("2026-12-29");
    expect(defaultReview({ ...low, safeguarding: "high" }, "2026-12-01")).toBe("2026-12-08");
  });

  it("turns the form into a RiskInput with empty text as null", () => {
    const form = { ...emptyRiskForm("2026-12-29"), toSelf: "high", toOthers: "low", fromOthers: "low", safeguarding: "medium", plan: " Two workers. " } as const;
    const input = toRiskInput("c1", form, null);
    expect(input).toMatchObject({
      clientId: "c1",
      id: null,
      toSelf: { level: "high" },
      safeguarding: { level: "medium" },
      triggers: null,
      safetyPlan: "Two workers.",
      reviewDue: "2026-12-29",
    });
  });
});

describe("caseload, count and plan helpers", () => {
  it("words overdue reviews", () => {
    expect(overdueText("2026-11-28", "2026-12-01")).toBe("Overdue 3 days");
    expect(overdueText("2026-11-30", "2026-12-01")).toBe("Overdue 1 day");
    expect(overdueText("2026-12-01", "2026-12-01")).toBe("Due today");
  });

  it("offers the five most recent distinct places, newest first", () => {
    const list = ["A", "B", "A", "C", "D", "E", "F"].map((location) => ({ location })) as never[];
    expect(recentLocations({ sightingList: list })).toEqual(["F", "E", "D", "C", "A"]);
  });

  it("groups scores into one series per area", () => {
    const s = (area: string, score: number, recordedOn: string): never =>
      ({ area, areaLabel: area.toUpperCase(), score, recordedOn }) as never;
    expect(scoreSeries({ scores: [s("money", 3, "2026-01-01"), s("housing", 2, "2026-01-01"), s("money", 5, "2026-02-01")] })).toEqual([
      { label: "MONEY", points: [{ at: "2026-01-01", value: 3 }, { at: "2026-02-01", value: 5 }] },
      { label: "HOUSING", points: [{ at: "2026-01-01", value: 2 }] },
    ]);
  });
});

describe("clientChanges", () => {
  const o = {
    profile: { name: "Jo Example", aliases: ["Jojo"], phone: null, usualSite: "Library", area: "Wirral", livingSituation: "hostel", needs: ["debt", "offending"] },
    safetyFlags: [{ text: "Dog on site", raisedOn: "2026-01-01", raisedBy: "ben.k" }],
  } as unknown as ClientOverview;
  const same = { name: "Jo Example", aliases: "Jojo", phone: "", site: "Library", area: "Wirral", living: "hostel", needs: ["offending", "debt"], flags: "Dog on site" } as const;

  it("sends nothing when nothing changed (needs in any order)", () => {
    expect(clientChanges(o, { ...same, needs: [...same.needs] })).toEqual({});
  });

  it("sends only the fields that changed", () => {
    expect(
      clientChanges(o, { ...same, needs: [...same.needs], phone: "07700 900123", flags: "Dog on site\nDo not visit alone\n", name: " " }),
    ).toEqual({ phone: "07700 900123", safetyFlags: ["Dog on site", "Do not visit alone"], name: null });
  });
});

describe("undoChanges", () => {
  it("puts back exactly the fields that were changed", () => {
    const o = {
      profile: { name: "Jo Example", aliases: [], phone: null, usualSite: "Library", area: "Wirral", livingSituation: "hostel", needs: ["debt"] },
      safetyFlags: [{ text: "Dog on site", raisedOn: "2026-01-01", raisedBy: "ben.k" }],
    } as unknown as ClientOverview;
    expect(undoChanges(o, { phone: "07700 900123", safetyFlags: [] })).toEqual({ phone: null, safetyFlags: ["Dog on site"] });
    expect(undoChanges(o, {})).toEqual({});
  });
});
