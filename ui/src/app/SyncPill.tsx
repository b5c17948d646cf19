/**
 * The always-visible sync status in the top bar, its polling, and the
 * sync-now action. Sync also runs by itself (the back end's scheduler);
 * only a sync the worker started ends with a toast, so automatic runs and
 * their retries while offline stay quiet.
 */
import type { JSX } from "preact";
import { errorLine } from "../lib/errors";
import { shortDateTime } from "../lib/format";
import { nextSyncText, syncText } from "../lib/synctext";

export { nextSyncText, syncText };
import { call, navigate, refreshStatus, sync, toast } from "./state";

/** How often the status is asked for. */
export const SYNC_POLL_MS = 1500;

/** The worker pressed "Sync now" and has not yet been told how it ended. */
let startedByWorker = false;

/** Start polling; returns the stop function. */
export function startSyncPolling(): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async (): Promise<void> => {
    try {
      const next = await call((b) => b.syncStatus());
      if (next.state === "revoked" && sync.value?.state !== "revoked") {
        // The store was wiped: the session status changes too.
        toast("This computer was removed from the team and its records were wiped. Ask your team lead to add it again.", {
          kind: "error",
        });
        void refreshStatus();
      }
      const before = sync.value?.state;
      const ended = before === "syncing" && next.state !== "syncing";
      if (ended && startedByWorker) {
        startedByWorker = false;
        if (next.state === "idle") {
          toast(next.conflicts > 0 ? `Sync finished: ${String(next.conflicts)} conflict(s) to check on the Sync screen.` : "Sync finished.");
        } else {
          toast(`Sync did not finish. ${next.message ?? "Your changes are kept; Outreach tries again by itself."}`, { kind: "error" });
        }
      } else if (ended && next.conflicts > (sync.value?.conflicts ?? 0)) {
        toast(`Sync found ${String(next.conflicts)} conflict(s) to check on the Sync screen.`);
      }
      sync.value = next;
    } catch {
      // Shown by the pill as unknown; a locked back end is handled by call().
    }
    if (!stopped) timer = setTimeout(() => void tick(), SYNC_POLL_MS);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

/** Start a sync now and show what happened. */
export async function syncNowAction(): Promise<void> {
  try {
    sync.value = await call((b) => b.syncNow());
    startedByWorker = true;
    toast("Sync started.");
  } catch (err: unknown) {
    toast(errorLine(err), { kind: "error" });
  }
}

/** The status pill and sync-now button. */
export function SyncPill(): JSX.Element {
  const s = sync.value;
  const state = s?.state ?? "unknown";
  const extra = s ? s.conflicts + s.needsAttention : 0;
  const next = nextSyncText(s);
  const last = s?.lastSyncedAt ? `Last synced ${shortDateTime(s.lastSyncedAt)}` : "";
  const title = [last, next].filter((t) => t !== "").join(" · ");
  return (
    <>
      <button
        type="button"
        class="sync-pill btn--ghost"
        data-state={state === "idle" && s?.signedIn === false ? "offline" : state}
        data-test="sync-status"
        title={title === "" ? undefined : title}
        onClick={() => {
          navigate({ name: "sync" });
        }}
      >
        <span class="sync-dot" aria-hidden="true" />
        <span data-test="sync-status-text">{syncText(s)}</span>
        {s && s.pending > 0 && s.state !== "syncing" ? (
          <span class="muted">· {s.pending} to send</span>
        ) : null}
        {next !== "" && s?.state !== "idle" ? (
          <span class="muted" data-test="sync-next">
            · {next}
          </span>
        ) : null}
        {extra > 0 ? (
          <span class="sync-pill__count" data-test="sync-attention">
            · {extra} to check
          </span>
        ) : null}
      </button>
      <button
        type="button"
        class="btn btn--small"
        data-test="sync-now"
        disabled={state === "syncing"}
        onClick={() => void syncNowAction()}
      >
        Sync now
      </button>
    </>
  );
}
