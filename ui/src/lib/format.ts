/**
 * Dates and labels as a worker reads them.
 */

/** Today's date in local time, YYYY-MM-DD. */
export function todayIso(now: Date = new Date()): string {
  return localIso(now).slice(0, 10);
}

/** Local date and time as `YYYY-MM-DDTHH:MM` (the value of a datetime-local input). */
export function localIso(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${String(d.getFullYear())}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `YYYY-MM-DD` plus `days`. */
export function addDays(iso: string, days: number): string {
  const t = Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "3 Mar 2026" for a date or date-time; "—" for nothing or nonsense. */
export function shortDate(iso: string | null | undefined): string {
  if (iso == null || iso === "") return "—";
  const m = /^(\d{4})-(\d{2})-(\d{2})/u.exec(iso);
  if (!m) return "—";
  const month = MONTHS[Number(m[2]) - 1];
  return month === undefined ? "—" : `${String(Number(m[3]))} ${month} ${m[1] ?? ""}`;
}

/** "3 Mar 2026, 14:05" in local time for a date-time. */
export function shortDateTime(iso: string | null | undefined): string {
  if (iso == null || iso === "") return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return shortDate(iso);
  const local = localIso(d);
  return `${shortDate(local)}, ${local.slice(11, 16)}`;
}

/** "today", "yesterday", "5 days ago", "in 3 days", or a short date beyond 60 days. */
export function relativeDays(iso: string | null | undefined, today: string): string {
  if (iso == null || iso === "") return "never";
  // Instants are compared by their local calendar day; plain dates as they are.
  const day = iso.length > 10 && !Number.isNaN(Date.parse(iso)) ? localIso(new Date(iso)).slice(0, 10) : iso.slice(0, 10);
  const diff = Math.round(
    (Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000,
  );
  if (!Number.isFinite(diff)) return "—";
  if (diff === 0) return "today";
  if (diff === -1) return "yesterday";
  if (diff === 1) return "tomorrow";
  if (Math.abs(diff) > 60) return shortDate(day);
  return diff < 0 ? `${String(-diff)} days ago` : `in ${String(diff)} days`;
}

/** "mental_health" → "Mental health". */
export function humanise(code: string): string {
  const s = code.replace(/_/gu, " ").trim();
  return s === "" ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

/** Names for codes whose plain humanised form reads badly. */
const LABELS: Readonly<Record<string, string>> = {
  from18_to25: "18–25",
  from_18_to_25: "18–25",
  "18_25": "18–25",
  from26: "26 and over",
  from_26: "26 and over",
  "26_plus": "26 and over",
  under18: "Under 18",
  under_18: "Under 18",
  not_known: "Not known",
  non_binary: "Non-binary",
  non_eu: "Non-EU",
  eu: "EU (not UK)",
  uk: "UK",
  key_work: "Key-work session",
  street_encounter: "Street encounter",
  face_to_face: "Face to face",
  outreach_shift: "Outreach shift",
};

/** A label for an enum code. */
export function label(code: string | null | undefined): string {
  if (code == null) return "—";
  return LABELS[code] ?? humanise(code);
}

/** "1 client" / "3 clients". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;
}
