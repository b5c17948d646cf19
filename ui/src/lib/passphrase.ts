/**
 * Rough, offline passphrase-strength hint for the unlock / set-passphrase
 * screens. This is UI feedback only: the real protection is the key
 * derivation done in the Rust core, never in the web view.
 */

/** Strength buckets, weakest first. */
export type StrengthLevel = "empty" | "weak" | "fair" | "good" | "strong";

/** Result of {@link passphraseStrength}. */
export interface PassphraseStrength {
  /** 0 (empty) to 4 (strong). */
  readonly score: 0 | 1 | 2 | 3 | 4;
  /** Machine-readable bucket. */
  readonly level: StrengthLevel;
  /** Short human-readable hint to show next to the input. */
  readonly hint: string;
}

/** Minimum length (in code points) below which a passphrase is always weak. */
export const MIN_LENGTH = 12;

const LEVELS: readonly StrengthLevel[] = ["empty", "weak", "fair", "good", "strong"];

const HINTS: Readonly<Record<StrengthLevel, string>> = {
  empty: "",
  weak: `Too weak: use at least ${String(MIN_LENGTH)} characters, ideally several words.`,
  fair: "Fair: add another word or more length.",
  good: "Good.",
  strong: "Strong.",
};

/**
 * Estimate passphrase strength from length (in Unicode code points),
 * variety of character classes and number of words. Pure and
 * deterministic; never logs or stores its input.
 */
export function passphraseStrength(passphrase: string): PassphraseStrength {
  const chars = Array.from(passphrase);
  const length = chars.length;
  if (length === 0) {
    return make(0);
  }
  if (length < MIN_LENGTH || new Set(chars).size < 5) {
    return make(1);
  }

  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{Nd}\s]/u].filter((re) =>
    re.test(passphrase),
  ).length;
  const words = passphrase.trim().split(/\s+/u).filter((w) => w.length >= 3).length;

  let score = 2;
  if (length >= 16 || words >= 4) score += 1;
  if ((length >= 20 && classes >= 2) || words >= 5 || (length >= 16 && classes >= 3)) {
    score += 1;
  }
  return make(Math.min(score, 4) as 2 | 3 | 4);
}

function make(score: 0 | 1 | 2 | 3 | 4): PassphraseStrength {
  const level = LEVELS[score] ?? "empty";
  return { score, level, hint: HINTS[level] };
}
