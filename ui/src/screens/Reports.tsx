/**
 * Team lead's reports, computed on this computer: caseload sizes, overdue
 * reviews, contacts per week and street count totals per area, with charts
 * and CSV export.
 */
import type { JSX } from "preact";
import type { ReportKind, TeamReport } from "../api";
import { call, callToast, navigate, toast } from "../app/state";
import { plural, shortDate, shortDateTime } from "../lib/format";
import { BarChart } from "../components/charts";
import { Loaded, useLoad } from "../components/ui";

function ExportButton(props: { kind: ReportKind; label: string }): JSX.Element {
  return (
    <button
      type="button"
      class="btn btn--small"
      data-test={`report-export-${props.kind}`}
      onClick={() =>
        void callToast((b) => b.exportReportCsv(props.kind)).then((r) => {
          if (r) toast(`Exported ${plural(r.rows, "row")} to ${r.path}`);
        })
      }
    >
      Export CSV{props.label === "" ? "" : ` (${props.label})`}
    </button>
  );
}

/** The reports screen. */
export function ReportsScreen(): JSX.Element {
  const [load] = useLoad(() => call((b) => b.teamReport()), []);
  return (
    <div class="page" data-test="reports">
      <div class="page__head">
        <div>
          <h1>Team reports</h1>
          <p class="muted small">Worked out on this computer from the records synced to it.</p>
        </div>
      </div>
      <Loaded load={load} what="reports">
        {(r) => <Report r={r} />}
      </Loaded>
    </div>
  );
}

function Report(props: { r: TeamReport }): JSX.Element {
  const r = props.r;
  const total = r.caseloads.reduce((n, c) => n + c.clients, 0);
  const weeks = r.contactsPerWeek;
  const lastWeek = weeks[weeks.length - 1];
  return (
    <>
      <p class="muted small">Generated {shortDateTime(r.generatedAt)}</p>
      <div class="grid-3">
        <Stat value={total} label="clients held by workers" />
        <Stat value={r.unassigned} label="open clients with no worker" />
        <Stat value={r.overdueReviews.length} label="risk reviews overdue" test="report-overdue-count" />
        <Stat value={lastWeek?.contacts ?? 0} label="contacts this week" />
      </div>
      <div class="grid-2 grid-2--wide">
        <section class="card" aria-labelledby="h-caseloads">
          <div class="card__head">
            <h2 id="h-caseloads">Caseload sizes</h2>
            <ExportButton kind="caseloads" label="" />
          </div>
          <BarChart title="Clients per worker" data={r.caseloads.map((c) => ({ label: c.worker, value: c.clients }))} test="report-caseloads-chart" />
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Clients</th>
                <th scope="col">High risk</th>
                <th scope="col">Reviews overdue</th>
              </tr>
            </thead>
            <tbody>
              {r.caseloads.map((c) => (
                <tr key={c.worker}>
                  <td>{c.worker}</td>
                  <td>{c.clients}</td>
                  <td>{c.highRisk}</td>
                  <td class={c.overdueReviews > 0 ? "due--overdue" : ""}>{c.overdueReviews}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="h-weeks">
          <div class="card__head">
            <h2 id="h-weeks">Contacts per week</h2>
            <ExportButton kind="contacts_per_week" label="" />
          </div>
          <BarChart
            title="Contacts per week, last 12 weeks"
            data={weeks.map((w) => ({ label: shortDate(w.weekStart).replace(/ \d{4}$/u, ""), value: w.contacts }))}
            series={2}
            test="report-weeks-chart"
          />
          <p class="muted small">
            Key-work sessions and street encounters, weeks starting Monday. Last week: {lastWeek ? `${String(lastWeek.keyWork)} key-work, ${String(lastWeek.streetEncounters)} street` : "—"}.
          </p>
        </section>
        <section class="card" aria-labelledby="h-counts">
          <div class="card__head">
            <h2 id="h-counts">Street counts by area</h2>
            <ExportButton kind="count_totals" label="" />
          </div>
          <BarChart title="People counted on the latest count, per area" data={r.countTotals.map((c) => ({ label: c.area, value: c.latestTotal ?? 0 }))} series={3} test="report-counts-chart" />
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Area</th>
                <th scope="col">Counts</th>
                <th scope="col">Latest</th>
                <th scope="col">All people counted</th>
              </tr>
            </thead>
            <tbody>
              {r.countTotals.map((c) => (
                <tr key={c.area}>
                  <td>{c.area}</td>
                  <td>{c.counts}</td>
                  <td>{c.latestTotal === null ? "—" : `${String(c.latestTotal)} on ${shortDate(c.latestNightOf)}`}</td>
                  <td>{c.totalPeople}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="h-overdue">
          <div class="card__head">
            <h2 id="h-overdue">Overdue risk reviews</h2>
            <ExportButton kind="overdue_reviews" label="" />
          </div>
          {r.overdueReviews.length === 0 ? <p class="muted">None overdue.</p> : null}
          <div class={`table-wrap ${r.overdueReviews.length === 0 ? "visually-hidden" : ""}`}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Client</th>
                  <th scope="col">Worker</th>
                  <th scope="col">Due</th>
                </tr>
              </thead>
              <tbody>
                {r.overdueReviews.slice(0, 15).map((o) => (
                  <tr key={o.clientId} onClick={() => { navigate({ name: "client", id: o.clientId, tab: "risk" }); }}>
                    <td>
                      <a href={`#/client/${o.clientId}/risk`}>{o.displayName}</a>
                    </td>
                    <td>{o.worker ?? "unassigned"}</td>
                    <td class="due--overdue">
                      {shortDate(o.reviewDue)} ({plural(o.daysOver, "day")} over)
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {r.overdueReviews.length > 15 ? <p class="muted small">and {r.overdueReviews.length - 15} more (export for the full list).</p> : null}
        </section>
      </div>
    </>
  );
}

function Stat(props: { value: number; label: string; test?: string }): JSX.Element {
  return (
    <div class="card stat">
      <span class="stat__value" data-test={props.test}>
        {props.value.toLocaleString("en-GB")}
      </span>
      <span class="stat__label">{props.label}</span>
    </div>
  );
}
