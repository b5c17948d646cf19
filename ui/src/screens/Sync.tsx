/**
 * Sync: the status in full with progress, sync now, sign-in, conflicts
 * (both values, who and when; pick one or write a merged value) and the
 * changes the server refused.
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Conflict } from "../api";
import { call, navigate, status, sync, toast } from "../app/state";
import { nextSyncText, syncNowAction, syncText } from "../app/SyncPill";
import { describeError, shownLine } from "../lib/errors";
import { label, shortDateTime } from "../lib/format";
import { Loaded, TextField, useCssVar, useLoad } from "../components/ui";

/** The sync screen. */
export function SyncScreen(): JSX.Element {
  const s = sync.value;
  const barRef = useRef<HTMLDivElement>(null);
  useCssVar(barRef, "--progress", String((s?.progress?.percent ?? 0) / 100));
  const [conflicts, reloadConflicts] = useLoad(() => call((b) => b.conflicts()), []);
  const [attention] = useLoad(() => call((b) => b.needsAttention()), []);
  const lastState = useRef(s?.state);
  useEffect(() => {
    if (lastState.current === "syncing" && s?.state !== "syncing") reloadConflicts();
    lastState.current = s?.state;
  }, [s?.state]);

  return (
    <div class="page">
      <div class="page__head">
        <div>
          <h1>Sync</h1>
          <p class="muted small">Records stay on this computer and go to the team server by themselves whenever it can be reached: at start, every few minutes, and as soon as the connection comes back.</p>
        </div>
      </div>
      <div class="grid-2">
        <section class="card" aria-labelledby="h-status" data-test="sync-panel">
          <div class="card__head">
            <h2 id="h-status">Status</h2>
            <button type="button" class="btn btn--primary" disabled={s?.state === "syncing"} data-test="sync-now-panel" onClick={() => void syncNowAction()}>
              Sync now
            </button>
          </div>
          <p class="sync-pill" data-state={s?.state ?? "unknown"}>
            <span class="sync-dot" aria-hidden="true" />
            <span data-test="sync-panel-text">{syncText(s)}</span>
          </p>
          {s?.state === "syncing" ? (
            <div class="stack">
              <div class="progress" role="progressbar" aria-label="Sync progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={s.progress?.percent ?? 0}>
                <div class="progress__bar" ref={barRef} />
              </div>
              <span class="small muted">
                {s.progress ? `${s.progress.phase === "push" ? "Sending" : "Receiving"}: ${String(s.progress.sent)} sent, ${String(s.progress.received)} received` : "Starting…"}
              </span>
            </div>
          ) : null}
          <dl class="facts">
            <dt>Last synced</dt>
            <dd data-test="sync-last">{s?.lastSyncedAt ? shortDateTime(s.lastSyncedAt) : "Never"}</dd>
            <dt>Automatic sync</dt>
            <dd data-test="sync-next-attempt">{s === null ? "—" : s.automatic ? nextSyncText(s) || "On" : "Off"}</dd>
            <dt>Waiting to send</dt>
            <dd>{s?.pending ?? "—"}</dd>
            <dt>Server</dt>
            <dd>{s?.serverUrl ?? "Not signed in"}</dd>
            <dt>Conflicts</dt>
            <dd>{s?.conflicts ?? "—"}</dd>
            <dt>Refused changes</dt>
            <dd>{s?.needsAttention ?? "—"}</dd>
          </dl>
          {s?.message ? <p class="small muted">{s.message}</p> : null}
        </section>
        <SignIn />
      </div>
      <section class="card" aria-labelledby="h-conflicts" data-test="sync-conflicts">
        <h2 id="h-conflicts">Conflicts</h2>
        <p class="muted small">Two people changed the same thing on different computers. Nothing was lost: choose which to keep, or write the right value.</p>
        <Loaded load={conflicts} what="conflicts">
          {(list) =>
            list.length === 0 ? (
              <p class="muted" data-test="sync-no-conflicts">
                No conflicts.
              </p>
            ) : (
              <div class="stack">
                {list.map((c) => (
                  <ConflictCard key={c.id} c={c} onResolved={reloadConflicts} />
                ))}
              </div>
            )
          }
        </Loaded>
      </section>
      <section class="card" aria-labelledby="h-attention" data-test="sync-attention-list">
        <h2 id="h-attention">Needs attention</h2>
        <p class="muted small">Changes the server refused. They are kept here until dealt with.</p>
        <Loaded load={attention} what="refused changes">
          {(list) =>
            list.length === 0 ? (
              <p class="muted">Nothing needs attention.</p>
            ) : (
              <ul class="list">
                {list.map((a) => (
                  <li key={a.mutationId} class="list__item">
                    <strong>
                      {label(a.op)} {label(a.kind).toLowerCase()}
                    </strong>
                    <span>{a.reason}</span>
                    <span class="list__meta">
                      Made {shortDateTime(a.madeAt)} · refused {shortDateTime(a.rejectedAt)} · {a.code}
                    </span>
                  </li>
                ))}
              </ul>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}

function SignIn(): JSX.Element {
  const [url, setUrl] = useState(sync.value?.serverUrl ?? "");
  const [user, setUser] = useState(status.value?.user ?? "");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (url.trim() === "") errs.serverUrl = "Enter the server address your team lead gave you.";
    if (user.trim() === "") errs.userName = "Enter your user name.";
    if (password === "") errs.password = "Enter your password.";
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      const r = await call((b) => b.signIn(url.trim(), user.trim(), password));
      setPassword("");
      toast(`Signed in to ${r.serverUrl} as ${r.user}.`);
    } catch (err: unknown) {
      const d = describeError(err);
      setErrors({ [d.field ?? "form"]: d.message });
    } finally {
      setBusy(false);
    }
  };
  const signedIn = sync.value?.signedIn === true;
  return (
    <form class="card" noValidate onSubmit={(e) => void submit(e)} data-test="sync-signin">
      <h2>{signedIn ? "Signed in" : "Sign in to the team server"}</h2>
      {signedIn ? <p class="muted small">This computer is signed in. Sign in again only if your team lead asks you to.</p> : null}
      <TextField label="Server address" value={url} onInput={setUrl} placeholder="https://…" test="sync-server" error={errors.serverUrl} />
      <TextField label="User name" value={user} onInput={setUser} test="sync-user" error={errors.userName} />
      <TextField label="Password" type="password" value={password} onInput={setPassword} autocomplete="current-password" test="sync-password" error={errors.password} />
      {errors.form ? <p class="field__error" role="alert">{errors.form}</p> : null}
      <div class="row row--end">
        <button type="submit" class="btn" disabled={busy} data-test="sync-signin-submit">
          Sign in
        </button>
      </div>
    </form>
  );
}

function ConflictCard(props: { c: Conflict; onResolved: () => void }): JSX.Element {
  const c = props.c;
  const [editing, setEditing] = useState(false);
  const [merged, setMerged] = useState(c.keptText);
  const resolve = async (value: unknown, what: string): Promise<void> => {
    try {
      await call((b) => b.resolveConflict(c.id, value));
      toast(`${c.fieldLabel}: ${what}.`);
      props.onResolved();
    } catch (err: unknown) {
      const d = describeError(err);
      toast(shownLine(d), { kind: "error" });
    }
  };
  const canEdit = typeof c.kept === "string" || c.kept === null;
  return (
    <article class="card card--flat" data-test="sync-conflict">
      <div class="card__head">
        <h3>
          {c.fieldLabel} · {c.clientName ?? label(c.kind)}
        </h3>
        {c.clientId ? (
          <button type="button" class="btn btn--small btn--ghost" onClick={() => { if (c.clientId) navigate({ name: "client", id: c.clientId, tab: "overview" }); }}>
            Open client
          </button>
        ) : null}
      </div>
      <div class="conflict">
        <div class="conflict__side">
          <span class="muted small">Kept now (this computer)</span>
          <span class="conflict__value">{c.keptText}</span>
          <button type="button" class="btn btn--small" data-test="conflict-keep" onClick={() => void resolve(c.kept, "kept the current value")}>
            Keep this
          </button>
        </div>
        <div class="conflict__side">
          <span class="muted small">
            Other change by {c.otherUser}, {shortDateTime(c.otherAt)}
          </span>
          <span class="conflict__value">{c.otherText}</span>
          <button type="button" class="btn btn--small" data-test="conflict-other" onClick={() => void resolve(c.other, `used ${c.otherUser}'s value`)}>
            Use this instead
          </button>
        </div>
      </div>
      {canEdit ? (
        editing ? (
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              void resolve(merged, "saved a merged value");
            }}
          >
            <TextField label="Merged value" value={merged} onInput={setMerged} test="conflict-merged" />
            <button type="submit" class="btn btn--primary" data-test="conflict-merge-save">
              Save merged value
            </button>
          </form>
        ) : (
          <button type="button" class="btn btn--small btn--ghost" onClick={() => { setEditing(true); }}>
            Write a merged value…
          </button>
        )
      ) : null}
    </article>
  );
}

