import { describe, expect, it } from "vitest";
import {
  emptyRiskForm,
  isIsoDate,
  isValid,
  validateClient,
  validateContact,
  validateRisk,
  validateSighting,
  type RiskForm,
} from "./validate";

const today = "2026-12-01";
const filled: RiskForm = {
  ...emptyRiskForm("2026-12-29"),
  toSelf: "low",
  toOthers: "low",
  fromOthers: "medium",
  safeguarding: "low",
};

describe("validateRisk", () => {
  it("accepts four levels and a future review date", () => {
    expect(validateRisk(filled, today)).toEqual({});
  });

  it("names every missing level", () => {
    const errs = validateRisk(emptyRiskForm("2026-12-29"), today);
    expect(Object.keys(errs).sort()).toEqual(["fromOthers", "safeguarding", "toOthers", "toSelf"]);
    expect(errs.toSelf).toMatch(/risk to self/);
  });

  it("asks for a safety plan when a risk is high", () => {
    expect(validateRisk({ ...filled, toOthers: "high" }, today).plan).toMatch(/safety management plan/);
    expect(validateRisk({ ...filled, toOthers: "high", plan: "Two workers." }, today)).toEqual({});
  });

  it("refuses past, malformed and far-off review dates", () => {
    expect(validateRisk({ ...filled, reviewDate: "2026-11-30" }, today).reviewDate).toMatch(/past/);
    expect(validateRisk({ ...filled, reviewDate: "2026-02-30" }, today).reviewDate).toMatch(/as a date/);
    expect(validateRisk({ ...filled, reviewDate: "2028-01-01" }, today).reviewDate).toMatch(/within a year/);
    expect(validateRisk({ ...filled, reviewDate: "" }, today).reviewDate).toMatch(/Set a review date/);
    expect(validateRisk({ ...filled, reviewDate: today }, today)).toEqual({});
  });
});

describe("validateClient", () => {
  it("needs a name or a description, and an area", () => {
    expect(validateClient({ name: "", description: "", dob: "", area: "" }, today)).toEqual({
      name: "Enter a name, or a description if the person gives no name.",
      area: "Choose the area the person is in.",
    });
    expect(isValid(validateClient({ name: "", description: "red jacket", dob: "", area: "Wirral" }, today))).toBe(true);
  });

  it("refuses a date of birth in the future", () => {
    expect(validateClient({ name: "Jo", description: "", dob: "2027-01-01", area: "Wirral" }, today).dob).toMatch(/future/);
  });
});

describe("validateContact and validateSighting", () => {
  const contact = { purpose: "key_work", contactType: "face_to_face", at: "2026-12-01T10:00", notes: "", beddedDown: false } as const;

  it("accepts a contact now and refuses one in the future", () => {
    expect(validateContact(contact, "2026-12-01T10:05")).toEqual({});
    expect(validateContact(contact, "2026-12-01T09:00").at).toMatch(/future/);
    expect(validateContact({ ...contact, at: "" }, "2026-12-01T10:05").at).toMatch(/when/);
  });

  it("asks where a sighting was", () => {
    expect(validateSighting({ location: "  " }).location).toMatch(/where/i);
    expect(validateSighting({ location: "Lime St" })).toEqual({});
  });

  it("checks calendar dates", () => {
    expect(isIsoDate("2024-02-29")).toBe(true);
    expect(isIsoDate("2025-02-29")).toBe(false);
    expect(isIsoDate("2025-2-1")).toBe(false);
  });
});
