import { describe, expect, it } from "vitest";
import { MIN_LENGTH, passphraseStrength } from "./passphrase";

describe("passphraseStrength", () => {
  it("treats the empty string as empty with no hint", () => {
    expect(passphraseStrength("")).toEqual({ score: 0, level: "empty", hint: "" });
  });

  it("rates anything shorter than the minimum as weak", () => {
    const short = "a".repeat(MIN_LENGTH - 5) + "bcde"; // MIN_LENGTH - 1 chars
    expect(Array.from(short)).toHaveLength(MIN_LENGTH - 1);
    expect(passphraseStrength(short).level).toBe("weak");
    expect(passphraseStrength("P@ssw0rd!").level).toBe("weak");
  });

  it("rates long but repetitive input as weak", () => {
    expect(passphraseStrength("aaaaaaaaaaaaaaaaaaaaaaaa").score).toBe(1);
  });

  it("counts code points, not UTF-16 units", () => {
    // 6 emoji = 12 UTF-16 units but only 6 code points.
    expect(passphraseStrength("🔒🔑🏠🚲🌧️☕").level).toBe("weak");
  });

  it("rates a 12-15 character mixed passphrase as fair", () => {
    expect(passphraseStrength("river-stone1").level).toBe("fair");
  });

  it("rewards several words", () => {
    expect(passphraseStrength("blue lantern over harbour").level).toBe("good");
    expect(passphraseStrength("blue lantern over harbour tonight").level).toBe("strong");
  });

  it("rewards length with mixed character classes", () => {
    expect(passphraseStrength("Correct-Horse-Battery-9").level).toBe("strong");
  });

  it("always returns a score between 0 and 4 with a matching hint", () => {
    for (const s of ["x", "abcdefghijkl", "ABCdef123!@#xyz", "the quick brown fox jumps"]) {
      const r = passphraseStrength(s);
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(4);
      expect(r.hint.length).toBeGreaterThan(0);
    }
  });
});
