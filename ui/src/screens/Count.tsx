/**
 * Street count mode, for night work with gloves and a dim screen: big
 * targets, a dim palette, a sighting in a few taps, the running tally with
 * possible duplicates flagged, and the area's return when the count closes.
 */
import type { JSX } from "preact";
import { useMemo, useRef, useState } from "preact/hooks";
import type { AgeBand, ClientSummary, CountTally, Gender, Nationality, StreetCount } from "../api";
import { call, callToast, navigate, toast } from "../app/state";
import { AREAS } from "../lib/areas";
import { debounce, SEARCH_DEBOUNCE_MS } from "../lib/debounce";
import { describeError } from "../lib/errors";
import { label, plural, shortDate, shortDateTime } from "../lib/format";
import { duplicateIds } from "../lib/tally";
import { validateSighting } from "../lib/validate";
import { Checkbox, Loaded, options, Segmented, useLoad } from "../components/ui";

const GENDERS = options<Gender>(["male", "female", "non_binary", "not_known"]);
const AGES = options<AgeBand>(["under18", "from18_to25", "from26", "not_known"]);
const NATIONALITIES = options<Nationality>(["uk", "eu", "non_eu", "not_known"]);

/** The street count screen: the list of counts, or one count. */
export function CountScreen(props: { id: string | null }): JSX.Element {
  return (
    <div class="night-dim count-screen" data-test="count-screen">
      <div class="page">{props.id === null ? <CountList /> : <CountView key={props.id} id={props.id} />}</div>
    </div>
  );
}

function CountList(): JSX.Element {
  const [load] = useLoad(() => call((b) => b.counts()), []);
  const [area, setArea] = useState<string>("");
  const [busy, setBusy] = useState(false);
  const start = async (): Promise<void> => {
    if (area === "") {
      toast("Choose the area you are counting in.", { kind: "error" });
      return;
    }
    setBusy(true);
    const c = await callToast((b) => b.startCount({ area }));
    setBusy(false);
    if (c) navigate({ name: "count", id: c.id });
  };
  return (
    <>
      <div class="page__head">
        <div>
          <h1>Street count</h1>
          <p class="muted">Count people sleeping rough tonight. Start a count for your area, or join one already open.</p>
        </div>
      </div>
      <Loaded load={load} what="counts">
        {(counts) => {
          const open = counts.filter((c) => c.status === "open");
          const closed = counts.filter((c) => c.status === "closed");
          return (
            <div class="grid-2">
              <section class="card" aria-labelledby="h-start">
                <h2 id="h-start">Start a count</h2>
                <Segmented legend="Area" value={area} onChange={setArea} options={AREAS.map((a) => ({ value: a, label: a }))} big test="count-area" />
                <button type="button" class="btn btn--primary btn--big" disabled={busy} data-test="count-start" onClick={() => void start()}>
                  Start counting
                </button>
                {open.length > 0 ? (
                  <>
                    <h2>Join an open count</h2>
                    {open.map((c) => (
                      <button key={c.id} type="button" class="btn btn--big" data-test="count-join" onClick={() => { navigate({ name: "count", id: c.id }); }}>
                        {c.area} · {shortDate(c.nightOf)} · {plural(c.sightings, "sighting")}
                      </button>
                    ))}
                  </>
                ) : null}
              </section>
              <section class="card" aria-labelledby="h-past">
                <h2 id="h-past">Past counts</h2>
                {closed.length === 0 ? <p class="muted">None yet.</p> : null}
                <ul class="list">
                  {closed.map((c) => (
                    <li key={c.id} class="list__item">
                      <button type="button" class="btn btn--ghost" onClick={() => { navigate({ name: "count", id: c.id }); }}>
                        {c.area} · {shortDate(c.nightOf)} · {plural(c.sightings, "sighting")}
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            </div>
          );
        }}
      </Loaded>
    </>
  );
}

function CountView(props: { id: string }): JSX.Element {
  const [load, reload] = useLoad(() => call((b) => b.countTally(props.id)), [props.id]);
  return (
    <Loaded load={load} what="count">
      {(t) => (
        <>
          <div class="page__head">
            <div>
              <h1>
                {t.count.area} count · {shortDate(t.count.nightOf)}
              </h1>
              <p class="muted">
                {t.count.status === "open" ? "Open" : `Closed ${shortDateTime(t.count.closedAt)}`} · team {t.count.team.join(", ")}
              </p>
            </div>
            <button type="button" class="btn" onClick={() => { navigate({ name: "count", id: null }); }}>
              All counts
            </button>
          </div>
          {t.count.status === "open" ? (
            <div class="count-grid">
              <SightingForm count={t.count} recent={recentLocations(t)} onAdded={reload} />
              <div class="stack">
                <TallyCard t={t} />
                <CloseCount id={t.count.id} onClosed={reload} />
              </div>
            </div>
          ) : (
            <div class="count-grid">
              <ReturnCard t={t} />
              <TallyCard t={t} />
            </div>
          )}
        </>
      )}
    </Loaded>
  );
}

/** Up to five distinct recent locations, newest first. */
export function recentLocations(t: Pick<CountTally, "sightingList">): string[] {
  const out: string[] = [];
  for (const s of [...t.sightingList].reverse()) {
    if (!out.includes(s.location)) out.push(s.location);
    if (out.length === 5) break;
  }
  return out;
}

function SightingForm(props: { count: StreetCount; recent: string[]; onAdded: () => void }): JSX.Element {
  const [location, setLocation] = useState("");
  const [gender, setGender] = useState<Gender | "">("");
  const [age, setAge] = useState<AgeBand | "">("");
  const [nationality, setNationality] = useState<Nationality | "">("");
  const [known, setKnown] = useState(false);
  const [client, setClient] = useState<ClientSummary | null>(null);
  const [search, setSearch] = useState("");
  const [matches, setMatches] = useState<ClientSummary[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const locRef = useRef<HTMLInputElement>(null);

  const find = useMemo(
    () =>
      debounce((q: string) => {
        if (q.trim().length < 2) {
          setMatches([]);
          return;
        }
        void callToast((b) => b.searchClients(q, {}, 5)).then((r) => {
          setMatches(r ?? []);
        });
      }, SEARCH_DEBOUNCE_MS),
    [],
  );

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const errs = validateSighting({ location });
    setError(errs.location);
    if (errs.location !== undefined || busy) {
      locRef.current?.focus();
      return;
    }
    setBusy(true);
    try {
      await call((b) =>
        b.recordSighting(props.count.id, {
          location: location.trim(),
          gender: gender === "" ? "not_known" : gender,
          ageBand: age === "" ? "not_known" : age,
          nationality: nationality === "" ? "not_known" : nationality,
          knownToServices: known || client !== null,
          clientId: client?.id ?? null,
        }),
      );
      toast(`Sighting recorded at ${location.trim()}.`);
      setGender("");
      setAge("");
      setNationality("");
      setKnown(false);
      setClient(null);
      setSearch("");
      setMatches([]);
      props.onAdded();
    } catch (err: unknown) {
      setError(describeError(err).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" noValidate onSubmit={(e) => void submit(e)} data-test="count-sighting-form">
      <h2>Record a sighting</h2>
      <div class="field">
        <label class="field__label" for="count-location">
          Where
        </label>
        <input
          id="count-location"
          ref={locRef}
          class="input"
          value={location}
          placeholder="Street, doorway or landmark"
          autocomplete="off"
          data-test="count-location"
          aria-invalid={error ? "true" : undefined}
          aria-describedby={error ? "count-location-error" : undefined}
          onInput={(e) => {
            setLocation(e.currentTarget.value);
          }}
        />
        {error ? (
          <span class="field__error" id="count-location-error" role="alert">
            {error}
          </span>
        ) : null}
        {props.recent.length > 0 ? (
          <div class="row" role="group" aria-label="Recent places">
            {props.recent.map((l) => (
              <button key={l} type="button" class="btn" aria-pressed={location === l} onClick={() => { setLocation(l); }}>
                {l}
              </button>
            ))}
          </div>
        ) : null}
      </div>
      <Segmented legend="Gender" value={gender} onChange={setGender} options={GENDERS} big test="count-gender" />
      <Segmented legend="Age" value={age} onChange={setAge} options={AGES} big test="count-age" />
      <Segmented legend="Nationality" value={nationality} onChange={setNationality} options={NATIONALITIES} big test="count-nationality" />
      <Checkbox label="Known to services" checked={known || client !== null} onChange={setKnown} test="count-known" />
      <div class="field">
        <label class="field__label" for="count-client-search">
          Link to a client (optional)
        </label>
        {client ? (
          <div class="row">
            <span class="badge badge--info" data-test="count-client-linked">
              {client.displayName}
            </span>
            <button type="button" class="btn" onClick={() => { setClient(null); }}>
              Remove link
            </button>
          </div>
        ) : (
          <>
            <input
              id="count-client-search"
              class="input"
              type="search"
              value={search}
              placeholder="Type a name or alias"
              autocomplete="off"
              data-test="count-client-search"
              onInput={(e) => {
                setSearch(e.currentTarget.value);
                find(e.currentTarget.value);
              }}
            />
            {matches.length > 0 ? (
              <div class="row" role="group" aria-label="Matching clients">
                {matches.map((m) => (
                  <button key={m.id} type="button" class="btn" data-test="count-client-option" onClick={() => { setClient(m); setMatches([]); }}>
                    {m.displayName}
                    {m.aliases.length > 0 ? ` (${m.aliases.join(", ")})` : ""}
                  </button>
                ))}
              </div>
            ) : null}
          </>
        )}
      </div>
      <button type="submit" class="btn btn--primary btn--big" disabled={busy} data-test="count-sighting-add">
        Record sighting
      </button>
    </form>
  );
}

function TallyCard(props: { t: CountTally }): JSX.Element {
  const t = props.t;
  const dups = duplicateIds(t.possibleDuplicates);
  const byId = new Map(t.sightingList.map((s) => [s.id, s]));
  return (
    <section class="card" aria-labelledby="h-tally" data-test="count-tally">
      <h2 id="h-tally">Running tally</h2>
      <div class="row">
        <span class="tally-big" data-test="count-tally-total" aria-label={`${String(t.total)} people counted`}>
          {t.total}
        </span>
        <span class="muted">
          people counted
          <br />
          {plural(t.sightings, "sighting")}
          {t.duplicatesRemoved > 0 ? `, ${String(t.duplicatesRemoved)} the same person` : ""}
        </span>
      </div>
      <dl class="tally-rows">
        {Object.entries(t.byGender).map(([k, v]) => (
          <Row key={`g-${k}`} k={label(k)} v={v} />
        ))}
        {Object.entries(t.byAgeBand).map(([k, v]) => (
          <Row key={`a-${k}`} k={`Age ${label(k)}`} v={v} />
        ))}
      </dl>
      {t.possibleDuplicates.length > 0 ? (
        <div class="stack" data-test="count-duplicates">
          <h3>Possible duplicates: check these</h3>
          {t.possibleDuplicates.map((d) => {
            const a = byId.get(d.a);
            const b = byId.get(d.b);
            return (
              <p key={`${d.a}-${d.b}`} class="dup small">
                <strong>{a?.location ?? "?"}</strong>, seen {timeOf(a?.seenAt)} and {timeOf(b?.seenAt)}:{" "}
                {d.reason === "same_client"
                  ? `both linked to ${a?.clientName ?? "the same client"}`
                  : `both ${label(a?.gender ?? "not_known").toLowerCase()}, ${label(a?.ageBand ?? "not_known").toLowerCase()}, same place`}
              </p>
            );
          })}
        </div>
      ) : null}
      {t.sightingList.length > 0 ? (
        <details>
          <summary class="btn btn--small">All sightings</summary>
          <ol class="list">
            {[...t.sightingList].reverse().map((s) => (
              <li key={s.id} class="list__item" data-test="count-sighting">
                <span>
                  {dups.has(s.id) ? "⚠ " : ""}
                  {s.location}
                </span>
                <span class="list__meta">
                  {shortDateTime(s.seenAt)} · {label(s.gender)} · {label(s.ageBand)} · {s.clientName ?? (s.knownToServices ? "known" : "not known")}
                </span>
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </section>
  );
}

function timeOf(iso: string | undefined): string {
  return iso === undefined ? "?" : (shortDateTime(iso).split(", ")[1] ?? "?");
}

function Row(props: { k: string; v: number | undefined }): JSX.Element {
  return (
    <>
      <dt>{props.k}</dt>
      <dd>{props.v ?? 0}</dd>
    </>
  );
}

function CloseCount(props: { id: string; onClosed: () => void }): JSX.Element {
  const [confirming, setConfirming] = useState(false);
  const close = async (): Promise<void> => {
    const r = await callToast((b) => b.closeCount(props.id));
    if (r) {
      toast(`Count closed: ${plural(r.total, "person", "people")} counted.`);
      props.onClosed();
    }
  };
  return (
    <section class="card">
      <h2>Finished?</h2>
      {confirming ? (
        <>
          <p>Closing stops new sightings and produces the return for the area.</p>
          <div class="row">
            <button type="button" class="btn btn--big" onClick={() => { setConfirming(false); }}>
              Keep counting
            </button>
            <button type="button" class="btn btn--primary btn--big" data-test="count-close-confirm" onClick={() => void close()}>
              Yes, close the count
            </button>
          </div>
        </>
      ) : (
        <button type="button" class="btn btn--big" data-test="count-close" onClick={() => { setConfirming(true); }}>
          Close the count
        </button>
      )}
    </section>
  );
}

function ReturnCard(props: { t: CountTally }): JSX.Element {
  const t = props.t;
  const table = (title: string, data: Partial<Record<string, number>>, keys: readonly string[]): JSX.Element => (
    <div>
      <h3>{title}</h3>
      <dl class="tally-rows">
        {keys.map((k) => (
          <Row key={k} k={label(k)} v={data[k]} />
        ))}
      </dl>
    </div>
  );
  return (
    <section class="card" aria-labelledby="h-return" data-test="count-return">
      <h2 id="h-return">Return for {t.count.area}</h2>
      <p>
        <span class="tally-big">{t.total}</span> <span class="muted">people sleeping rough, each counted once</span>
      </p>
      <p class="muted small">
        Night of {shortDate(t.count.nightOf)} · {label(t.count.approach)} · {plural(t.sightings, "sighting")}, {t.duplicatesRemoved} left out as the same person
      </p>
      <div class="grid-3">
        {table("Gender", t.byGender, ["male", "female", "non_binary", "not_known"])}
        {table("Age", t.byAgeBand, ["under18", "from18_to25", "from26", "not_known"])}
        {table("Nationality", t.byNationality, ["uk", "eu", "non_eu", "not_known"])}
      </div>
    </section>
  );
}
