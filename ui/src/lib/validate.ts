/**
 * Form checks run before anything is sent, with messages that say what to
 * fix. The back end checks again; its `invalid` errors are shown the same way.
 */

/** Field name → message; empty when the form is fine. */
export type FieldErrors = Record<string, string>;

/** Risk levels a worker can pick. */
export type Level = "low" | "medium" | "high";

/** The risk assessment form as typed. */
export interface RiskForm {
  /** Risk to self. */
  toSelf: Level | "";
  /** Risk to others. */
  toOthers: Level | "";
  /** Risk from others. */
  fromOthers: Level | "";
  /** Safeguarding concern. */
  safeguarding: Level | "";
  /** What sets risk off. */
  triggers: string;
  /** What keeps the person safer. */
  protective: string;
  /** The safety management plan. */
  plan: string;
  /** Next review, YYYY-MM-DD. */
  reviewDate: string;
}

/** An empty risk form with the review date defaulted to `defaultReview`. */
export function emptyRiskForm(defaultReview: string): RiskForm {
  return {
    toSelf: "",
    toOthers: "",
    fromOthers: "",
    safeguarding: "",
    triggers: "",
    protective: "",
    plan: "",
    reviewDate: defaultReview,
  };
}

const LEVEL_LABELS: Readonly<Record<"toSelf" | "toOthers" | "fromOthers" | "safeguarding", string>> =
  {
    toSelf: "risk to self",
    toOthers: "risk to others",
    fromOthers: "risk from others",
    safeguarding: "safeguarding",
  };

/** Checks a risk form; `today` is YYYY-MM-DD. */
export function validateRisk(form: RiskForm, today: string): FieldErrors {
  const errors: FieldErrors = {};
  for (const key of ["toSelf", "toOthers", "fromOthers", "safeguarding"] as const) {
    if (form[key] === "") errors[key] = `Choose a level for ${LEVEL_LABELS[key]}.`;
  }
  const anyHigh = [form.toSelf, form.toOthers, form.fromOthers, form.safeguarding].includes("high");
  if (anyHigh && form.plan.trim() === "") {
    errors.plan = "A high risk needs a safety management plan: say what will keep people safe.";
  }
  if (form.reviewDate === "") {
    errors.reviewDate = "Set a review date.";
  } else if (!isIsoDate(form.reviewDate)) {
    errors.reviewDate = "Enter the review date as a date, for example 2026-12-31.";
  } else if (form.reviewDate < today) {
    errors.reviewDate = "The review date is in the past: choose today or a later date.";
  } else if (daysBetween(today, form.reviewDate) > 366) {
    errors.reviewDate = "Review within a year: choose a date no more than 12 months away.";
  }
  for (const key of ["triggers", "protective", "plan"] as const) {
    if (form[key].length > 4000) errors[key] = "Keep this under 4,000 characters.";
  }
  return errors;
}

/** The new-client form as typed. */
export interface ClientForm {
  /** Name the person gives (may be empty when recorded by description). */
  name: string;
  /** Description when no name is given. */
  description: string;
  /** Date of birth, YYYY-MM-DD or empty. */
  dob: string;
  /** Local authority area. */
  area: string;
}

/** Checks a new-client form. */
export function validateClient(form: ClientForm, today: string): FieldErrors {
  const errors: FieldErrors = {};
  if (form.name.trim() === "" && form.description.trim() === "") {
    errors.name = "Enter a name, or a description if the person gives no name.";
  }
  if (form.name.length > 200) errors.name = "Keep the name under 200 characters.";
  if (form.dob !== "") {
    if (!isIsoDate(form.dob)) errors.dob = "Enter the date of birth as a date, for example 1984-03-02.";
    else if (form.dob > today) errors.dob = "The date of birth is in the future.";
    else if (form.dob < "1900-01-01") errors.dob = "The date of birth is too far in the past.";
  }
  if (form.area.trim() === "") errors.area = "Choose the area the person is in.";
  return errors;
}

/** The quick contact form as typed. */
export interface ContactForm {
  /** Key-work session or street encounter. */
  purpose: "key_work" | "street_encounter";
  /** How the contact happened. */
  contactType: "face_to_face" | "phone" | "outreach_shift" | "other";
  /** When, as `YYYY-MM-DDTHH:MM` (local). */
  at: string;
  /** Notes. */
  notes: string;
  /** Seen bedded down. */
  beddedDown: boolean;
}

/** Checks a contact form; `now` is `YYYY-MM-DDTHH:MM` local. */
export function validateContact(form: ContactForm, now: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/u.test(form.at) || !isIsoDate(form.at.slice(0, 10))) {
    errors.at = "Enter when the contact happened.";
  } else if (form.at > now) {
    errors.at = "The contact time is in the future.";
  }
  if (form.notes.length > 10_000) errors.notes = "Keep notes under 10,000 characters.";
  return errors;
}

/** Checks a street-count sighting: a location is all that is required. */
export function validateSighting(form: { location: string }): FieldErrors {
  return form.location.trim() === ""
    ? { location: "Say where the person was seen (a street, doorway or landmark)." }
    : {};
}

/** Whether an error map is empty. */
export function isValid(errors: FieldErrors): boolean {
  return Object.keys(errors).length === 0;
}

/** Whether `s` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/u.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Whole days from `a` to `b` (both YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}
