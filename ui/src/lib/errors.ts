/**
 * Turning whatever a back-end call rejected with into words for a worker.
 * The back end sends `DeskError` objects (`{ kind, message, field? }`);
 * anything else (a bug, a lost IPC channel) gets a safe generic wording.
 */

import { ERROR_KINDS, type DeskErrorKind } from "../api";

/** The error kinds the back end sends (see api.ts `DeskError`). */
export { ERROR_KINDS };

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = DeskErrorKind;

/** The shape of a back-end error as it reaches the UI. */
export interface DeskErrorLike {
  /** Machine-readable kind. */
  readonly kind: ErrorKind;
  /** Plain words for a worker. */
  readonly message: string;
  /** The form field at fault, for `invalid`. */
  readonly field?: string | null | undefined;
}

/** What the UI shows for an error. */
export interface ShownError {
  /** The error kind ("internal" for anything unrecognised). */
  readonly kind: ErrorKind;
  /** A short heading. */
  readonly title: string;
  /** What happened and what to do. */
  readonly message: string;
  /** The form field at fault, if any. */
  readonly field?: string;
}

const TITLES: Readonly<Record<ErrorKind, string>> = {
  locked: "Outreach is locked",
  wrong_passphrase: "That passphrase did not unlock the store",
  no_store: "No store on this computer yet",
  store_exists: "A store already exists here",
  invalid: "Please check the form",
  not_found: "Not found",
  offline: "No connection",
  not_signed_in: "Not signed in",
  revoked: "This device has been removed",
  server: "The server could not do that",
  internal: "Something went wrong",
};

const DEFAULT_MESSAGES: Readonly<Record<ErrorKind, string>> = {
  locked: "Unlock with your passphrase to carry on.",
  wrong_passphrase: "Check the passphrase and try again. Caps Lock may be on.",
  no_store: "Create a passphrase to set up this computer.",
  store_exists: "Unlock with the passphrase already set for this computer.",
  invalid: "Some of what was entered is not valid.",
  not_found: "The record may have been removed or not synced yet.",
  offline: "Your work is saved on this computer and will sync when you are back online.",
  not_signed_in: "Sign in to the server on the Sync screen, then sync again.",
  revoked:
    "A team lead removed this device from the team, so its records were wiped. Ask them to add it again.",
  server: "Try again in a few minutes. If it keeps happening, tell your team lead.",
  internal: "Your work is saved. Try again; if it keeps happening, tell your team lead.",
};

/** Whether `value` looks like a back-end `DeskError`. */
export function isDeskError(value: unknown): value is DeskErrorLike {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kind === "string" &&
    (ERROR_KINDS as readonly string[]).includes(v.kind) &&
    typeof v.message === "string"
  );
}

/**
 * Words to show for any rejection. Back-end messages are used as they come
 * (they are written for workers); other errors never show raw technical
 * text, only a generic message (the detail goes to the console).
 */
export function describeError(err: unknown): ShownError {
  if (isDeskError(err)) {
    const message = err.message.trim() === "" ? DEFAULT_MESSAGES[err.kind] : err.message.trim();
    const shown: ShownError = { kind: err.kind, title: TITLES[err.kind], message };
    return typeof err.field === "string" && err.field !== "" ? { ...shown, field: err.field } : shown;
  }
  return { kind: "internal", title: TITLES.internal, message: DEFAULT_MESSAGES.internal };
}

/** One line, "Title. Message", without saying the same thing twice. */
export function shownLine(e: Pick<ShownError, "title" | "message">): string {
  const norm = (s: string): string => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  return norm(e.message).startsWith(norm(e.title)) ? e.message : `${e.title}. ${e.message}`;
}

/** {@link shownLine} for any rejection, for toasts. */
export function errorLine(err: unknown): string {
  return shownLine(describeError(err));
}
