/**
 * The caseload: the worker's clients or the team's, with safety flags, risk,
 * overdue reviews, episodes near their end and last contact; search as you
 * type over names and aliases; filters; keyboard navigation; paged list.
 */
import type { JSX } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { CaseloadFilters, ClientSummary, RiskLevel } from "../api";
import { caseloadState, call, navigate } from "../app/state";
import { debounce, LatestOnly, SEARCH_DEBOUNCE_MS } from "../lib/debounce";
import { label, plural, relativeDays, shortDate, todayIso } from "../lib/format";
import { isTypingTarget } from "../lib/shortcuts";
import { AREAS } from "../lib/areas";
import { Checkbox, ErrorBox, Flags, RiskBadge } from "../components/ui";
import { DuplicatesNotice } from "../components/Duplicates";

/** Rows per page. */
export const PAGE_SIZE = 50;
/** Most search results shown. */
export const SEARCH_LIMIT = 100;

interface Result {
  rows: ClientSummary[];
  total: number;
  ms: number;
  searched: boolean;
}

/** "Overdue 3 days" for a past due date. */
export function overdueText(due: string, today: string): string {
  const days = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${due}T00:00:00Z`)) / 86_400_000);
  return days <= 0 ? "Due today" : `Overdue ${plural(days, "day")}`;
}

/** The caseload screen. */
export function CaseloadScreen(): JSX.Element {
  const { query, scope, filters, page, selected } = caseloadState;
  const [typed, setTyped] = useState(query.value);
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest = useMemo(() => new LatestOnly<Result>(), []);
  const searchRef = useRef<HTMLInputElement>(null);
  const tableRef = useRef<HTMLTableSectionElement>(null);

  const load = async (): Promise<void> => {
    const q = query.value.trim();
    const f = filters.value;
    const started = performance.now();
    try {
      const out = await latest.run(async () => {
        if (q !== "") {
          const rows = await call((b) => b.searchClients(q, f, SEARCH_LIMIT));
          return { rows, total: rows.length, ms: performance.now() - started, searched: true };
        }
        const p = await call((b) =>
          b.caseload({ scope: scope.value, filters: f, offset: page.value * PAGE_SIZE, limit: PAGE_SIZE }),
        );
        return { rows: p.clients, total: p.total, ms: performance.now() - started, searched: false };
      });
      if (!out.stale) {
        setResult(out.value);
        setError(null);
        if (selected.value >= out.value.rows.length) selected.value = Math.max(0, out.value.rows.length - 1);
      }
    } catch (err: unknown) {
      setError(err);
    }
  };

  const debounced = useMemo(
    () =>
      debounce((q: string) => {
        query.value = q;
        page.value = 0;
        selected.value = 0;
        void load();
      }, SEARCH_DEBOUNCE_MS),
    [],
  );

  // Reload when scope, filters or page change.
  useEffect(() => {
    void load();
  }, [scope.value, filters.value, page.value]);
  useEffect(
    () => () => {
      debounced.cancel();
      latest.invalidate();
    },
    [],
  );

  const rows = result?.rows ?? [];
  const open = (i: number): void => {
    const row = rows[i];
    if (row) navigate({ name: "client", id: row.id, tab: "overview" });
  };
  const move = (delta: number): void => {
    if (rows.length === 0) return;
    selected.value = Math.max(0, Math.min(rows.length - 1, selected.value + delta));
    tableRef.current?.querySelector<HTMLElement>(`tr[data-index="${String(selected.value)}"]`)?.scrollIntoView({ block: "nearest" });
  };
  const keyRef = useRef<(e: KeyboardEvent) => void>(() => undefined);
  useEffect(() => {
    // On the window, so the list answers the keys wherever the focus is
    // (except other text boxes), e.g. right after pressing 1.
    const listener = (e: KeyboardEvent): void => {
      keyRef.current(e);
    };
    addEventListener("keydown", listener);
    return () => {
      removeEventListener("keydown", listener);
    };
  }, []);
  const pages = result && !result.searched ? Math.max(1, Math.ceil(result.total / PAGE_SIZE)) : 1;

  const onKeyDown = (e: KeyboardEvent): void => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const inSearch = e.target === searchRef.current;
    if (e.key === "Enter" && !inSearch && e.target instanceof Element && e.target.closest("button, a, select, summary, input")) return;
    if (isTypingTarget(e.target) && !inSearch) return;
    switch (e.key) {
      case "ArrowDown":
        move(1);
        break;
      case "ArrowUp":
        move(-1);
        break;
      case "j":
      case "k":
        if (inSearch) return;
        move(e.key === "j" ? 1 : -1);
        break;
      case "Enter":
        if (inSearch) debounced.flush();
        open(selected.value);
        break;
      case "PageDown":
        if (page.value + 1 < pages) page.value += 1;
        break;
      case "PageUp":
        if (page.value > 0) page.value -= 1;
        break;
      case "Escape":
        if (inSearch) {
          searchRef.current?.blur();
          break;
        }
        return;
      default:
        return;
    }
    e.preventDefault();
  };
  keyRef.current = onKeyDown;

  const setFilter = (patch: Partial<CaseloadFilters>): void => {
    filters.value = { ...filters.value, ...patch };
    page.value = 0;
    selected.value = 0;
  };
  const today = todayIso();
  const f = filters.value;

  return (
    <div class="page page--full">
      <div class="caseload" data-test="caseload">
        <div class="page__head">
          <div>
            <h1>Caseload</h1>
            <p class="muted small">
              {scope.value === "mine" ? "Clients you hold" : "Everyone on this computer"}. Type to search names, aliases
              and descriptions; ↑ ↓ and Enter to open.
            </p>
            <DuplicatesNotice />
          </div>
          <div class="row" role="group" aria-label="Whose clients">
            <button
              type="button"
              class="btn"
              aria-pressed={scope.value === "mine"}
              data-test="caseload-scope-mine"
              onClick={() => {
                scope.value = "mine";
                page.value = 0;
              }}
            >
              My clients
            </button>
            <button
              type="button"
              class="btn"
              aria-pressed={scope.value === "team"}
              data-test="caseload-scope-team"
              onClick={() => {
                scope.value = "team";
                page.value = 0;
              }}
            >
              Team
            </button>
          </div>
          <button
            type="button"
            class="btn btn--primary"
            data-test="client-add"
            onClick={() => {
              navigate({ name: "new-client" });
            }}
          >
            + New client
          </button>
        </div>
        <div class="toolbar">
          <div class="field toolbar__search">
            <label class="field__label" for="caseload-search">
              Search clients
            </label>
            <input
              id="caseload-search"
              ref={searchRef}
              class="input input--search"
              type="search"
              value={typed}
              placeholder="Name, alias, description or date of birth"
              autocomplete="off"
              spellcheck={false}
              data-test="caseload-search"
              aria-controls="caseload-table"
              onInput={(e) => {
                const v = e.currentTarget.value;
                setTyped(v);
                debounced(v);
              }}
            />
          </div>
          <div class="filters" role="group" aria-label="Filters">
            <Checkbox label="Safety flags" checked={f.flagged === true} onChange={(v) => { setFilter({ flagged: v }); }} test="filter-flagged" />
            <Checkbox label="Review overdue" checked={f.overdueReview === true} onChange={(v) => { setFilter({ overdueReview: v }); }} test="filter-overdue" />
            <Checkbox label="Episode ending" checked={f.episodeEnding === true} onChange={(v) => { setFilter({ episodeEnding: v }); }} test="filter-ending" />
            <label class="check">
              Risk
              <select
                class="select"
                value={f.riskLevel ?? ""}
                data-test="filter-risk"
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  setFilter({ riskLevel: v === "" ? null : (v as RiskLevel) });
                }}
              >
                <option value="">Any</option>
                <option value="medium">Medium or high</option>
                <option value="high">High</option>
              </select>
            </label>
            <label class="check">
              Area
              <select
                class="select"
                value={f.area ?? ""}
                data-test="filter-area"
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  setFilter({ area: v === "" ? null : v });
                }}
              >
                <option value="">All areas</option>
                {AREAS.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </div>
        {error !== null ? <ErrorBox error={error} /> : null}
        <div class="table-wrap">
          <table class="table" id="caseload-table" aria-label="Clients">
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Safety</th>
                <th scope="col">Risk</th>
                <th scope="col">Review</th>
                <th scope="col">Episode</th>
                <th scope="col">Last contact</th>
                <th scope="col">Area · worker</th>
              </tr>
            </thead>
            <tbody ref={tableRef}>
              {rows.map((c, i) => (
                <tr
                  key={c.id}
                  data-index={i}
                  data-test="caseload-row"
                  data-client-id={c.id}
                  aria-selected={i === selected.value}
                  onClick={() => {
                    selected.value = i;
                    open(i);
                  }}
                >
                  <td>
                    <a
                      class="client-name"
                      href={`#/client/${c.id}/overview`}
                      tabIndex={i === selected.value ? 0 : -1}
                      data-test="caseload-row-name"
                    >
                      {c.displayName}
                    </a>
                    <div class="client-sub">
                      {c.aliases.length > 0 ? `aka ${c.aliases.join(", ")} · ` : ""}
                      {c.dateOfBirth ? `born ${shortDate(c.dateOfBirth)}` : "no date of birth"}
                    </div>
                  </td>
                  <td>
                    {c.safetyFlags.length > 0 ? <Flags flags={c.safetyFlags} /> : <span class="muted">—</span>}
                  </td>
                  <td>
                    <RiskBadge level={c.riskLevel} />
                  </td>
                  <td>
                    {c.reviewDue === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <span class={c.reviewOverdue ? "due--overdue" : ""}>
                        {c.reviewOverdue ? overdueText(c.reviewDue, today) : `Due ${relativeDays(c.reviewDue, today)}`}
                      </span>
                    )}
                  </td>
                  <td>
                    {c.episodeStage ? label(c.episodeStage) : "—"}
                    {c.episodeEnd ? (
                      <div class={`client-sub ${c.episodeEnding ? "due--soon" : ""}`}>
                        {c.episodeEnd < today ? "limit passed " : "ends "}
                        {relativeDays(c.episodeEnd, today)}
                      </div>
                    ) : null}
                  </td>
                  <td>{relativeDays(c.lastContactAt, today)}</td>
                  <td>
                    {c.area}
                    <div class="client-sub">{c.assignedWorker ?? "unassigned"}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result !== null && rows.length === 0 ? (
            <p class="empty" data-test="caseload-empty">
              {result.searched
                ? `No client matches “${query.value}”. Check the spelling, or try an alias.`
                : Object.values(f).some((v) => v != null && v !== false)
                  ? "No clients match these filters."
                  : scope.value === "mine"
                    ? "No clients on your caseload yet. Add one with “+ New client” (key n)."
                    : "No clients on this computer yet."}
            </p>
          ) : null}
        </div>
        <div class="pager" aria-live="polite">
          <span data-test="caseload-count">
            {result === null
              ? "Loading…"
              : result.searched
                ? `${plural(result.total, "match", "matches")}${result.total === SEARCH_LIMIT ? " (first 100)" : ""} · ${result.ms.toFixed(0)} ms`
                : `${String(result.total === 0 ? 0 : page.value * PAGE_SIZE + 1)}–${String(Math.min(result.total, (page.value + 1) * PAGE_SIZE))} of ${plural(result.total, "client")} · ${result.ms.toFixed(0)} ms`}
          </span>
          {result && !result.searched ? (
            <span class="row">
              <button type="button" class="btn btn--small" disabled={page.value === 0} data-test="caseload-prev" onClick={() => { page.value -= 1; }}>
                ← Previous
              </button>
              <span>
                Page {page.value + 1} of {pages}
              </span>
              <button type="button" class="btn btn--small" disabled={page.value + 1 >= pages} data-test="caseload-next" onClick={() => { page.value += 1; }}>
                Next →
              </button>
            </span>
          ) : null}
        </div>
      </div>
    </div>
  );
}
