/**
 * The app shell: unlock gate, top bar with navigation and the always-visible
 * sync status, the current screen, the shortcuts overlay and toasts.
 */
import type { JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { IdleLock } from "../lib/idle";
import { isTypingTarget } from "../lib/shortcuts";
import type { Route } from "../lib/route";
import { HelpOverlay } from "./HelpOverlay";
import { SyncPill, startSyncPolling, syncNowAction } from "./SyncPill";
import { Toasts } from "./Toasts";
import {
  api,
  helpOpen,
  lockNow,
  navigate,
  refreshStatus,
  route,
  setTheme,
  status,
  theme,
} from "./state";
import { UnlockScreen } from "../screens/Unlock";
import { CaseloadScreen } from "../screens/Caseload";
import { ClientScreen } from "../screens/Client";
import { NewClientScreen } from "../screens/NewClient";
import { CountScreen } from "../screens/Count";
import { SyncScreen } from "../screens/Sync";
import { ReportsScreen } from "../screens/Reports";
import { SettingsScreen } from "../screens/Settings";

const NAV: { key: string; label: string; to: Route; match: Route["name"][] }[] = [
  { key: "1", label: "Caseload", to: { name: "caseload" }, match: ["caseload", "client", "new-client"] },
  { key: "2", label: "Street count", to: { name: "count", id: null }, match: ["count"] },
  { key: "3", label: "Sync", to: { name: "sync" }, match: ["sync"] },
  { key: "4", label: "Reports", to: { name: "reports" }, match: ["reports"] },
];

/** The whole app. */
export function App(): JSX.Element {
  const s = status.value;
  useEffect(() => {
    void refreshStatus();
  }, []);
  if (s === null) {
    return (
      <div class="lock-screen">
        <p class="muted">Starting Outreach…</p>
      </div>
    );
  }
  if (!s.unlocked) return <UnlockScreen status={s} />;
  return <Unlocked minutes={s.idleLockMinutes} />;
}

function Unlocked(props: { minutes: number }): JSX.Element {
  const idle = useRef<IdleLock | null>(null);

  // Idle lock: any key, pointer or touch is activity; the back end hears
  // about it at most every 30 s so it does not lock while the worker types.
  useEffect(() => {
    const lock = new IdleLock(props.minutes, () => {
      void lockNow();
    });
    idle.current = lock;
    lock.start();
    let lastTouch = 0;
    const onActivity = (): void => {
      lock.activity();
      const t = Date.now();
      if (t - lastTouch > 30_000) {
        lastTouch = t;
        api()
          .touch()
          .catch(() => {
            // A locked back end is noticed by the next real call.
          });
      }
    };
    const events = ["keydown", "pointerdown", "wheel", "touchstart"] as const;
    for (const e of events) addEventListener(e, onActivity, { passive: true, capture: true });
    return () => {
      lock.stop();
      for (const e of events) removeEventListener(e, onActivity, { capture: true });
    };
  }, [props.minutes]);

  useEffect(() => startSyncPolling(), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "Escape" && helpOpen.value) {
        helpOpen.value = false;
        e.preventDefault();
        return;
      }
      if (isTypingTarget(e.target)) return;
      const nav = NAV.find((n) => n.key === e.key);
      if (nav) {
        navigate(nav.to);
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case "?":
          helpOpen.value = !helpOpen.value;
          break;
        case "/":
          navigate({ name: "caseload" });
          requestAnimationFrame(() => {
            document.querySelector<HTMLInputElement>("[data-test=caseload-search]")?.focus();
          });
          break;
        case "n":
          navigate({ name: "new-client" });
          break;
        case "s":
          void syncNowAction();
          break;
        case "t":
          setTheme(theme.value === "night" ? "day" : "night");
          break;
        case "L":
          void lockNow();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
    };
  }, []);

  const r = route.value;
  return (
    <div class={`app ${r.name === "count" ? "night-dim" : ""}`}>
      <a class="skip-link btn" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <span class="brand">
          <span class="brand__mark" aria-hidden="true">
            O
          </span>
          Outreach
        </span>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => (
            <button
              key={n.key}
              type="button"
              class="nav__link"
              aria-current={n.match.includes(r.name) ? "page" : undefined}
              data-test={`nav-${n.to.name}`}
              onClick={() => {
                navigate(n.to);
              }}
            >
              {n.label}
              <span class="nav__key" aria-hidden="true">
                {n.key}
              </span>
            </button>
          ))}
        </nav>
        <span class="topbar__spacer" />
        <div class="topbar__tools">
          <SyncPill />
          <button
            type="button"
            class="btn btn--ghost btn--small"
            data-test="theme-toggle"
            aria-label={theme.value === "night" ? "Switch to day theme" : "Switch to night theme"}
            onClick={() => {
              setTheme(theme.value === "night" ? "day" : "night");
            }}
          >
            {theme.value === "night" ? "☀ Day" : "☾ Night"}
          </button>
          <button
            type="button"
            class="btn btn--ghost btn--small"
            data-test="nav-settings"
            onClick={() => {
              navigate({ name: "settings" });
            }}
          >
            Settings
          </button>
          <button
            type="button"
            class="btn btn--ghost btn--small"
            aria-label="Keyboard shortcuts"
            data-test="help-open"
            onClick={() => {
              helpOpen.value = true;
            }}
          >
            ?
          </button>
          <button
            type="button"
            class="btn btn--small"
            data-test="lock"
            onClick={() => {
              void lockNow();
            }}
          >
            Lock
          </button>
        </div>
      </header>
      <main class="main" id="main" tabIndex={-1}>
        <Screen route={r} />
      </main>
      {helpOpen.value ? <HelpOverlay /> : null}
      <Toasts />
    </div>
  );
}

const TITLES: Record<Route["name"], string> = {
  caseload: "Caseload",
  "new-client": "New client",
  client: "Client",
  count: "Street count",
  sync: "Sync",
  reports: "Reports",
  settings: "Settings",
};

function Screen(props: { route: Route }): JSX.Element {
  const r = props.route;
  useEffect(() => {
    document.title = `${TITLES[r.name]} · Outreach`;
  }, [r.name]);
  switch (r.name) {
    case "caseload":
      return <CaseloadScreen />;
    case "new-client":
      return <NewClientScreen />;
    case "client":
      return <ClientScreen key={r.id} id={r.id} tab={r.tab} />;
    case "count":
      return <CountScreen id={r.id} />;
    case "sync":
      return <SyncScreen />;
    case "reports":
      return <ReportsScreen />;
    case "settings":
      return <SettingsScreen />;
  }
}
