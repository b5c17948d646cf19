import { describe, expect, it } from "vitest";
import { DeskError } from "../api";
import { describeError, errorLine, isDeskError } from "./errors";

describe("describeError", () => {
  it("uses the back end's words with a heading for the kind", () => {
    const e = describeError(new DeskError("wrong_passphrase", "That passphrase did not unlock the store."));
    expect(e).toEqual({
      kind: "wrong_passphrase",
      title: "That passphrase did not unlock the store",
      message: "That passphrase did not unlock the store.",
    });
  });

  it("keeps the field of an invalid input", () => {
    const e = describeError({ kind: "invalid", message: "The review date is in the past.", field: "reviewDue" });
    expect(e.field).toBe("reviewDue");
    expect(e.title).toBe("Please check the form");
  });

  it("fills in an empty message with what to do", () => {
    expect(describeError({ kind: "offline", message: " " }).message).toMatch(/saved on this computer/);
  });

  it("never shows raw technical text for unknown errors", () => {
    const e = describeError(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(e.kind).toBe("internal");
    expect(e.message).not.toMatch(/undefined|TypeError/);
    expect(describeError("boom").kind).toBe("internal");
    expect(describeError({ kind: "nonsense", message: "x" }).kind).toBe("internal");
  });

  it("recognises DeskError-shaped values only", () => {
    expect(isDeskError({ kind: "locked", message: "Locked." })).toBe(true);
    expect(isDeskError({ kind: "locked" })).toBe(false);
    expect(isDeskError(null)).toBe(false);
    expect(errorLine({ kind: "not_signed_in", message: "Sign in first." })).toBe("Not signed in. Sign in first.");
    expect(errorLine({ kind: "wrong_passphrase", message: "That passphrase did not unlock the store. Nothing was changed." })).toBe(
      "That passphrase did not unlock the store. Nothing was changed.",
    );
  });
});
