/**
 * The same person recorded twice: the "Possible duplicates" notice on the
 * caseload, the banners on a client's page, and the side-by-side comparison
 * where a worker merges (choosing which record stays), or says the two are
 * not the same person. A merge can be undone from the toast right after it
 * and from the banner on the merged record.
 */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ClientOverview, ClientProfile, DuplicateComparison, DuplicatePair, Id } from "../api";
import { call, callToast, navigate, toast } from "../app/state";
import { label, shortDate } from "../lib/format";
import { Loaded, useLoad } from "./ui";

/** Undo a merge, with a toast, then open the record that is its own again. */
async function undoMerge(mergedId: Id, onDone?: () => void): Promise<void> {
  const back = await callToast((b) => b.unmergeClient(mergedId));
  if (back === undefined) return;
  toast(`Merge undone: ${back.displayName} is a separate record again.`);
  onDone?.();
  navigate({ name: "client", id: back.profile.id, tab: "overview" });
}

/** The caseload notice: how many possible duplicates, and the list when opened. */
export function DuplicatesNotice(): JSX.Element | null {
  const [load, reload] = useLoad(() => call((b) => b.duplicateSuggestions()), []);
  const [open, setOpen] = useState(false);
  if (load.state !== "ready" || load.data.length === 0) return null;
  const pairs = load.data;
  return (
    <div class="alert alert--warn" data-test="duplicates-notice">
      <div class="row">
        <span class="alert__title" data-test="duplicates-count">
          {pairs.length === 1 ? "1 possible duplicate" : `${String(pairs.length)} possible duplicates`}
        </span>
        <span class="muted small">the same person may have been recorded twice</span>
        <button
          type="button"
          class="btn btn--small"
          aria-expanded={open}
          data-test="duplicates-toggle"
          onClick={() => {
            setOpen(!open);
          }}
        >
          {open ? "Hide" : "Check them"}
        </button>
      </div>
      {open ? <DuplicateList pairs={pairs} onChanged={reload} /> : null}
    </div>
  );
}

/** A list of pairs, each opening its comparison in place. */
function DuplicateList(props: { pairs: DuplicatePair[]; onChanged: () => void }): JSX.Element {
  const [comparing, setComparing] = useState<string | null>(null);
  return (
    <ul class="stack" data-test="duplicates-list">
      {props.pairs.map((p) => {
        const key = `${p.clientId}|${p.otherId}`;
        return (
          <li key={key} data-test="duplicate-row" data-client-id={p.clientId} data-other-id={p.otherId}>
            <div class="row">
              <strong>{p.clientName}</strong>
              <span class="muted">and</span>
              <strong>{p.otherName}</strong>
              <span class="badge badge--warn">{String(p.score)}% alike</span>
              <button
                type="button"
                class="btn btn--small"
                aria-expanded={comparing === key}
                data-test="duplicate-compare"
                onClick={() => {
                  setComparing(comparing === key ? null : key);
                }}
              >
                Compare
              </button>
            </div>
            <p class="muted small" data-test="duplicate-reasons">
              {p.reasons.join(" · ")}
            </p>
            {comparing === key ? (
              <Compare left={p.clientId} right={p.otherId} onDone={props.onChanged} />
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** Banners on a client's page: merged records, and possible duplicates. */
export function ClientDuplicateBanners(props: { o: ClientOverview; onChanged: () => void }): JSX.Element {
  const o = props.o;
  const [load, reload] = useLoad(() => call((b) => b.clientDuplicates(o.profile.id)), [o.profile.id, o.profile.version]);
  const [comparing, setComparing] = useState<Id | null>(null);
  const opened = o.openedAs === null ? undefined : o.mergedFrom.find((m) => m.id === o.openedAs);
  return (
    <>
      {o.openedAs !== null ? (
        <div class="alert" data-test="client-merged-opened" role="status">
          <span>
            The record you opened ({opened?.displayName ?? "another record"}) was merged into this one: it is the same
            person. Its notes and assessments are shown here.
          </span>
        </div>
      ) : null}
      {o.mergedFrom.length > 0 ? (
        <div class="alert" data-test="client-merged-banner">
          <span class="alert__title">Merged from {o.mergedFrom.map((m) => m.displayName).join(", ")}</span>
          <span class="muted small">Their records show here too.</span>
          <div class="row">
            {o.mergedFrom
              .filter((m) => m.canUndo)
              .map((m) => (
                <button
                  key={m.id}
                  type="button"
                  class="btn btn--small"
                  data-test="client-merge-undo"
                  data-merged-id={m.id}
                  onClick={() => {
                    void undoMerge(m.id, props.onChanged);
                  }}
                >
                  Undo merge of {m.displayName}
                </button>
              ))}
          </div>
        </div>
      ) : null}
      {load.state === "ready" && load.data.length > 0 ? (
        <div class="alert alert--warn" data-test="client-duplicates-banner">
          <span class="alert__title">
            May be the same person as {load.data.map((p) => p.otherName).join(", ")}
          </span>
          {load.data.map((p) => (
            <div key={p.otherId} data-test="client-duplicate" data-other-id={p.otherId}>
              <div class="row">
                <strong>{p.otherName}</strong>
                <span class="muted small">{p.reasons.join(" · ")}</span>
                <button
                  type="button"
                  class="btn btn--small"
                  aria-expanded={comparing === p.otherId}
                  data-test="client-duplicate-compare"
                  onClick={() => {
                    setComparing(comparing === p.otherId ? null : p.otherId);
                  }}
                >
                  Compare
                </button>
              </div>
              {comparing === p.otherId ? (
                <Compare
                  left={p.clientId}
                  right={p.otherId}
                  onDone={() => {
                    setComparing(null);
                    reload();
                    props.onChanged();
                  }}
                />
              ) : null}
            </div>
          ))}
        </div>
      ) : null}
    </>
  );
}

const ROWS: { name: string; value: (p: ClientProfile) => string }[] = [
  { name: "Name", value: (p) => p.name ?? "—" },
  { name: "Also known as", value: (p) => (p.aliases.length > 0 ? p.aliases.join(", ") : "—") },
  { name: "Description", value: (p) => p.description ?? "—" },
  { name: "Date of birth", value: (p) => (p.dateOfBirth === null ? "—" : shortDate(p.dateOfBirth)) },
  { name: "Age", value: (p) => (p.age === null ? "—" : String(p.age)) },
  { name: "Gender", value: (p) => label(p.gender) },
  { name: "Area", value: (p) => p.area },
  { name: "Usual site", value: (p) => p.usualSite ?? "—" },
  { name: "Living situation", value: (p) => label(p.livingSituation) },
];

/** Two records side by side, with Merge (choosing the one that stays) and Not the same person. */
export function Compare(props: { left: Id; right: Id; onDone: () => void }): JSX.Element {
  const [load] = useLoad(() => call((b) => b.compareClients(props.left, props.right)), [props.left, props.right]);
  return (
    <div class="card card--flat" data-test="duplicate-comparison">
      <Loaded load={load} what="comparison">
        {(c) => <CompareBody c={c} onDone={props.onDone} />}
      </Loaded>
    </div>
  );
}

function CompareBody(props: { c: DuplicateComparison; onDone: () => void }): JSX.Element {
  const c = props.c;
  const [keep, setKeep] = useState<Id>(c.left.id);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const kept = keep === c.left.id ? c.left : c.right;
  const away = keep === c.left.id ? c.right : c.left;
  const name = (p: ClientProfile): string => p.name ?? p.description ?? "(unnamed)";

  const merge = async (): Promise<void> => {
    setBusy(true);
    const done = await callToast((b) => b.mergeClients(away.id, kept.id));
    setBusy(false);
    if (done === undefined) return;
    toast(`Merged ${name(away)} into ${done.survivor.displayName}.`, {
      action: {
        label: "Undo",
        run: () => {
          void undoMerge(done.mergedId, props.onDone);
        },
      },
    });
    props.onDone();
    navigate({ name: "client", id: done.survivor.profile.id, tab: "overview" });
  };

  const dismiss = async (): Promise<void> => {
    setBusy(true);
    const ok = await callToast((b) => b.dismissDuplicate(c.left.id, c.right.id));
    setBusy(false);
    if (ok === undefined) return;
    toast("Noted: not the same person. This pair will not be suggested again.");
    props.onDone();
  };

  return (
    <div class="stack">
      <div class="table-wrap">
        <table class="table" data-test="duplicate-table">
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Detail</span>
              </th>
              <th scope="col">{name(c.left)}</th>
              <th scope="col">{name(c.right)}</th>
            </tr>
          </thead>
          <tbody>
            {ROWS.map((r) => (
              <tr key={r.name}>
                <th scope="row">{r.name}</th>
                <td>{r.value(c.left)}</td>
                <td>{r.value(c.right)}</td>
              </tr>
            ))}
            <tr>
              <th scope="row">Contacts</th>
              <td>{String(c.leftContacts)}</td>
              <td>{String(c.rightContacts)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      {c.ruledOut !== null ? (
        <p class="alert alert--error" data-test="duplicate-ruled-out">
          Not the same person: {c.ruledOut}.
        </p>
      ) : (
        <p class="small" data-test="duplicate-why">
          {String(c.score)}% alike: {c.reasons.join(" · ")}
        </p>
      )}
      <div class="segfield" role="radiogroup" aria-label="Which record stays">
        <span class="legend">Which record stays (the other is merged into it)</span>
        <div class="seg" data-test="duplicate-keep">
          {[c.left, c.right].map((p) => (
            <label key={p.id} class="seg__opt">
              <input
                type="radio"
                name={`keep-${c.left.id}-${c.right.id}`}
                value={p.id}
                checked={keep === p.id}
                data-test={p.id === c.left.id ? "duplicate-keep-left" : "duplicate-keep-right"}
                onChange={() => {
                  setKeep(p.id);
                  setConfirming(false);
                }}
              />
              <span>{name(p)}</span>
            </label>
          ))}
        </div>
      </div>
      {confirming ? (
        <div class="alert alert--warn" role="alertdialog" aria-label="Confirm merge" data-test="duplicate-confirm">
          <span>
            Merge {name(away)} into {name(kept)}? Everything recorded about {name(away)} will show under {name(kept)},
            on every laptop once synced. You can undo this.
          </span>
          <div class="row">
            <button
              type="button"
              class="btn btn--primary"
              disabled={busy}
              data-test="duplicate-merge-confirm"
              onClick={() => {
                void merge();
              }}
            >
              Yes, merge
            </button>
            <button
              type="button"
              class="btn"
              data-test="duplicate-merge-cancel"
              onClick={() => {
                setConfirming(false);
              }}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div class="row">
          <button
            type="button"
            class="btn btn--primary"
            disabled={busy || c.ruledOut !== null}
            data-test="duplicate-merge"
            onClick={() => {
              setConfirming(true);
            }}
          >
            Merge…
          </button>
          <button
            type="button"
            class="btn"
            disabled={busy}
            data-test="duplicate-dismiss"
            onClick={() => {
              void dismiss();
            }}
          >
            Not the same person
          </button>
        </div>
      )}
    </div>
  );
}
