/**
 * App-wide state as Preact signals: the session, the current screen, the
 * theme, toasts, sync status and the caseload's search (kept while moving
 * between screens, wiped on lock).
 */
import { signal } from "@preact/signals";
import {
  backend,
  DeskError,
  type AppStatus,
  type Backend,
  type CaseloadFilters,
  type CaseloadScope,
  type SyncStatus,
} from "../api";
import { errorLine } from "../lib/errors";
import { formatRoute, parseRoute, type Route } from "../lib/route";

/** Session status; null until the first answer. */
export const status = signal<AppStatus | null>(null);

// Guards so this module can be imported by unit tests running in Node.
const inBrowser = typeof window !== "undefined";

/** The current screen. */
export const route = signal<Route>(parseRoute(inBrowser ? location.hash : ""));

/** Sync status (polled). */
export const sync = signal<SyncStatus | null>(null);

/** Whether the shortcuts overlay is open. */
export const helpOpen = signal(false);

/** Theme choice. */
export type Theme = "day" | "night";

const THEME_KEY = "outreach.theme";

function initialTheme(): Theme {
  const saved = safeStorageGet(THEME_KEY);
  if (saved === "day" || saved === "night") return saved;
  return inBrowser && matchMedia("(prefers-color-scheme: dark)").matches ? "night" : "day";
}

/** The theme in use. */
export const theme = signal<Theme>(initialTheme());

/** Apply and remember a theme. */
export function setTheme(t: Theme): void {
  theme.value = t;
  document.documentElement.dataset.theme = t;
  safeStorageSet(THEME_KEY, t);
}

/** A message at the bottom right, optionally with one action (e.g. Undo). */
export interface Toast {
  /** Unique id. */
  id: number;
  /** Text. */
  text: string;
  /** Error toasts stay longer and are announced assertively. */
  kind: "info" | "error";
  /** Optional action button. */
  action?: { label: string; run: () => void };
}

/** Toasts on screen. */
export const toasts = signal<Toast[]>([]);
let toastSeq = 0;

/** Show a toast for a few seconds. */
export function toast(text: string, options: { kind?: Toast["kind"]; action?: Toast["action"] } = {}): void {
  toastSeq += 1;
  const t: Toast = { id: toastSeq, text, kind: options.kind ?? "info" };
  if (options.action) t.action = options.action;
  toasts.value = [...toasts.value.slice(-1), t];
  setTimeout(() => {
    dismissToast(t.id);
  }, t.kind === "error" ? 8000 : t.action ? 7000 : 3500);
}

/** Remove a toast. */
export function dismissToast(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

/** Caseload search state, kept while the worker opens clients and comes back. */
export const caseloadState = {
  query: signal(""),
  scope: signal<CaseloadScope>("mine"),
  filters: signal<CaseloadFilters>({}),
  page: signal(0),
  selected: signal(0),
};

/** Go to a screen. */
export function navigate(to: Route, replace = false): void {
  const hash = formatRoute(to);
  if (location.hash !== hash) {
    if (replace) history.replaceState(null, "", hash);
    else history.pushState(null, "", hash);
  }
  route.value = to;
}

if (inBrowser) {
  addEventListener("hashchange", () => {
    route.value = parseRoute(location.hash);
  });
  addEventListener("popstate", () => {
    route.value = parseRoute(location.hash);
  });
}

/** The back end in use. */
export function api(): Backend {
  return backend();
}

/** Forget everything about clients held in the UI (on lock). */
export function wipeClientState(): void {
  caseloadState.query.value = "";
  caseloadState.filters.value = {};
  caseloadState.page.value = 0;
  caseloadState.selected.value = 0;
  toasts.value = [];
  helpOpen.value = false;
  sync.value = null;
}

/** Mark the session locked: the app shows only the unlock screen. */
export function markLocked(): void {
  const s = status.value;
  wipeClientState();
  if (s) status.value = { ...s, unlocked: false, user: null, serverUrl: null, signedIn: false };
  navigate({ name: "caseload" }, true);
}

/** Lock now (button, shortcut or idle timer). */
export async function lockNow(): Promise<void> {
  markLocked();
  try {
    await api().lock();
  } catch (err: unknown) {
    console.warn("lock failed", err);
  }
  await refreshStatus();
}

/** Ask the back end for the session status. */
export async function refreshStatus(): Promise<AppStatus | null> {
  try {
    const s = await api().appStatus();
    status.value = s;
    return s;
  } catch (err: unknown) {
    toast(errorLine(err), { kind: "error" });
    return null;
  }
}

/**
 * Run a back-end call; a `locked` error sends the worker to the unlock
 * screen (the back end idle-locked), any other error is rethrown.
 */
export async function call<T>(fn: (b: Backend) => Promise<T>): Promise<T> {
  try {
    return await fn(api());
  } catch (err: unknown) {
    if (err instanceof DeskError && err.kind === "locked") markLocked();
    throw err;
  }
}

/** Like {@link call} but shows any error as a toast and resolves to undefined. */
export async function callToast<T>(fn: (b: Backend) => Promise<T>): Promise<T | undefined> {
  try {
    return await call(fn);
  } catch (err: unknown) {
    if (!(err instanceof DeskError && err.kind === "locked")) toast(errorLine(err), { kind: "error" });
    return undefined;
  }
}

function safeStorageGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function safeStorageSet(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Storage may be off; the theme then lasts for this session only.
  }
}
