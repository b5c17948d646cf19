/**
 * One client: who they are, safety flags always in view, and tabs for the
 * overview (profile, needs and eligibility, consent, stage), risk, plan,
 * contacts and history.
 */
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ClientOverview } from "../api";
import { call, navigate } from "../app/state";
import { label, plural, relativeDays, shortDate, shortDateTime, todayIso } from "../lib/format";
import { CLIENT_TABS, type ClientTab } from "../lib/route";
import { isTypingTarget } from "../lib/shortcuts";
import { Loaded, Meter, RiskBadge, useLoad } from "../components/ui";
import { ClientDuplicateBanners } from "../components/Duplicates";
import { AddConsent, EditClient } from "./EditClient";
import { RiskTab } from "./Risk";
import { PlanTab } from "./Plan";
import { ContactsTab } from "./Contacts";

const TAB_LABELS: Record<ClientTab, string> = {
  overview: "Overview",
  risk: "Risk",
  plan: "Plan",
  contacts: "Contacts",
  history: "History",
};

const TAB_KEYS: Record<string, ClientTab> = { o: "overview", r: "risk", p: "plan", c: "contacts", h: "history" };

/** The client screen. */
export function ClientScreen(props: { id: string; tab: ClientTab }): JSX.Element {
  const [load, reload] = useLoad(() => call((b) => b.clientOverview(props.id)), [props.id]);
  const go = (tab: ClientTab): void => {
    navigate({ name: "client", id: props.id, tab }, true);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      const tab = TAB_KEYS[e.key];
      if (tab) {
        go(tab);
        e.preventDefault();
      } else if (e.key === "a") {
        go("contacts");
        e.preventDefault();
        setTimeout(() => {
          document.querySelector<HTMLTextAreaElement>("[data-test=contact-notes]")?.focus();
        }, 50);
      } else if (e.key === "Escape") {
        navigate({ name: "caseload" });
        e.preventDefault();
      }
    };
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("keydown", onKey);
    };
  }, [props.id]);

  return (
    <div class="page" data-test="client-screen">
      <Loaded load={load} what="client">
        {(o) => (
          <>
            <ClientHeader o={o} />
            <ClientDuplicateBanners o={o} onChanged={reload} />
            <div class="sticky-flags">
              <SafetyBar o={o} />
            </div>
            <div class="tabs" role="tablist" aria-label="Client record">
              {CLIENT_TABS.map((t) => (
                <button
                  key={t}
                  type="button"
                  role="tab"
                  id={`tab-${t}`}
                  class="tab"
                  aria-selected={props.tab === t}
                  aria-controls={`panel-${t}`}
                  tabIndex={props.tab === t ? 0 : -1}
                  data-test={`client-tab-${t}`}
                  onClick={() => {
                    go(t);
                  }}
                  onKeyDown={(e) => {
                    const i = CLIENT_TABS.indexOf(t);
                    const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
                    if (next === null) return;
                    const n = CLIENT_TABS[(next + CLIENT_TABS.length) % CLIENT_TABS.length] ?? "overview";
                    go(n);
                    document.getElementById(`tab-${n}`)?.focus();
                    e.preventDefault();
                  }}
                >
                  {TAB_LABELS[t]}
                </button>
              ))}
            </div>
            <section class="tabpanel" role="tabpanel" id={`panel-${props.tab}`} aria-labelledby={`tab-${props.tab}`}>
              {props.tab === "overview" ? <OverviewTab o={o} onChanged={reload} /> : null}
              {props.tab === "risk" ? <RiskTab clientId={props.id} onChanged={reload} /> : null}
              {props.tab === "plan" ? <PlanTab clientId={props.id} /> : null}
              {props.tab === "contacts" ? <ContactsTab clientId={props.id} onChanged={reload} /> : null}
              {props.tab === "history" ? <HistoryTab clientId={props.id} /> : null}
            </section>
          </>
        )}
      </Loaded>
    </div>
  );
}

function ClientHeader(props: { o: ClientOverview }): JSX.Element {
  const p = props.o.profile;
  const ep = props.o.episode;
  return (
    <div class="client-head">
      <div class="client-head__main">
        <div class="row">
          <button type="button" class="btn btn--ghost btn--small" onClick={() => { navigate({ name: "caseload" }); }} aria-label="Back to caseload">
            ← Caseload
          </button>
        </div>
        <h1 data-test="client-name-heading">{props.o.displayName}</h1>
        <p class="muted">
          {[
            p.aliases.length > 0 ? `aka ${p.aliases.join(", ")}` : null,
            p.age !== null ? `${String(p.age)} years` : "age not known",
            label(p.gender),
            p.area,
            label(p.livingSituation),
          ]
            .filter((x) => x !== null)
            .join(" · ")}
        </p>
      </div>
      <div class="row client-head__badges">
        <RiskBadge level={props.o.latestRisk?.highest ?? null} />
        {props.o.review ? (
          <span class={`badge ${props.o.review.status === "overdue" ? "badge--danger" : props.o.review.status === "due_soon" ? "badge--warn" : "badge--info"}`} data-test="client-review">
            {props.o.review.status === "overdue" ? `Review overdue by ${plural(props.o.review.days, "day")}` : `Review ${relativeDays(props.o.review.due, todayIso())}`}
          </span>
        ) : null}
        {ep ? <span class="badge badge--info">{label(ep.stage)}</span> : null}
      </div>
    </div>
  );
}

function SafetyBar(props: { o: ClientOverview }): JSX.Element {
  const flags = props.o.safetyFlags;
  if (flags.length === 0) {
    return (
      <div class="flagbar flagbar--none" data-test="client-flags">
        No safety flags recorded.
      </div>
    );
  }
  return (
    <div class="flagbar" role="note" aria-label="Safety flags" data-test="client-flags">
      <span class="flagbar__title">⚠ Safety</span>
      {flags.map((f) => (
        <span key={f.text} class="flag" title={`Raised by ${f.raisedBy} on ${shortDate(f.raisedOn)}`}>
          {f.text}
        </span>
      ))}
    </div>
  );
}

function OverviewTab(props: { o: ClientOverview; onChanged: () => void }): JSX.Element {
  const { profile: p, eligibility: el, consents, episode: ep, plan } = props.o;
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <EditClient
        o={props.o}
        onUndone={props.onChanged}
        onDone={(saved) => {
          setEditing(false);
          if (saved) props.onChanged();
        }}
      />
    );
  }
  return (
    <div class="overview-grid">
      <section class="card" aria-labelledby="h-profile">
        <div class="card__head">
          <h2 id="h-profile">Profile</h2>
          <button type="button" class="btn btn--small" data-test="client-edit" onClick={() => { setEditing(true); }}>
            Edit details and flags
          </button>
        </div>
        <dl class="facts">
          <dt>Name</dt>
          <dd>{p.name ?? "Not given"}</dd>
          {p.description ? (
            <>
              <dt>Description</dt>
              <dd>{p.description}</dd>
            </>
          ) : null}
          <dt>Date of birth</dt>
          <dd>{p.dateOfBirth ? `${shortDate(p.dateOfBirth)} (${String(p.age ?? "?")})` : p.approximateAge ? `about ${String(p.approximateAge.years)}` : "Not known"}</dd>
          <dt>Phone</dt>
          <dd>{p.phone ?? "—"}</dd>
          <dt>Usual site</dt>
          <dd>{p.usualSite ?? "—"}</dd>
          <dt>Referred by</dt>
          <dd>{p.referral ? `${p.referral.source}, ${shortDate(p.referral.date)}` : "—"}</dd>
          <dt>Workers</dt>
          <dd>{props.o.workers.map((w) => `${w.worker} (${label(w.role)})`).join(", ") || "Unassigned"}</dd>
          <dt>Last change</dt>
          <dd>
            {shortDateTime(p.updatedAt)} by {p.updatedBy}
          </dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="h-needs" data-test="client-eligibility">
        <div class="card__head">
          <h2 id="h-needs">Needs and eligibility</h2>
          <span class={`badge ${el.overall === "met" ? "badge--ok" : el.overall === "not_met" ? "badge--danger" : "badge--none"}`}>
            {el.overall === "met" ? "Eligible" : el.overall === "not_met" ? "Criteria not met" : "Not enough information"}
          </span>
        </div>
        <div class="cell-flags">
          {p.needs.length === 0 ? <span class="muted">No needs recorded.</span> : p.needs.map((n) => <span key={n} class="badge badge--info">{label(n)}</span>)}
        </div>
        <ul class="criteria">
          {el.criteria.map((c) => (
            <li key={c.key}>
              <span class={`mark mark--${c.status}`} aria-hidden="true">
                {c.status === "met" ? "✓" : c.status === "not_met" ? "✕" : "?"}
              </span>
              <span>
                <strong>{c.label}</strong>: {c.status === "met" ? "met" : c.status === "not_met" ? "not met" : "unknown"}. <span class="muted">{c.detail}</span>
              </span>
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="h-stage">
        <h2 id="h-stage">Support stage</h2>
        {ep === null ? (
          <p class="muted">No support episode recorded.</p>
        ) : (
          <div class="stage">
            <strong>{label(ep.stage)}</strong>
            <span class="muted small">Started {shortDate(ep.startedOn)}</span>
            {ep.status === "ended" ? (
              <span class="muted small">Ended {shortDate(ep.endedOn)}.</span>
            ) : ep.limitEnd ? (
              <>
                <Meter
                  label="Time used of the stage's limit"
                  fraction={timeUsed(ep.startedOn, ep.limitEnd)}
                  tone={ep.status === "exceeded" ? "danger" : ep.status === "nearing_end" ? "warn" : undefined}
                />
                <span class={ep.status === "exceeded" ? "due--overdue" : ep.status === "nearing_end" ? "due--soon" : ""}>
                  {ep.status === "exceeded"
                    ? `Time limit passed ${plural(ep.daysOver ?? 0, "day")} ago (${shortDate(ep.limitEnd)}): plan the next step.`
                    : `${plural(ep.daysLeft ?? 0, "day")} left, until ${shortDate(ep.limitEnd)}.`}
                </span>
              </>
            ) : (
              <span class="muted small">This stage has no time limit.</span>
            )}
          </div>
        )}
        <h3>Plan</h3>
        <p class="small">
          {plan.exists
            ? `${plural(plan.openGoals, "open goal")}, ${String(plan.achievedGoals)} achieved${plan.nextTargetDate ? `; next target ${shortDate(plan.nextTargetDate)}` : ""}.`
            : "No action plan yet."}
        </p>
      </section>
      <section class="card span-2" aria-labelledby="h-consent" data-test="client-consent">
        <h2 id="h-consent">Consent</h2>
        {consents.length === 0 ? (
          <p class="muted">No consent recorded. Ask before sharing anything.</p>
        ) : (
          <table class="table consent-table">
            <thead>
              <tr>
                <th scope="col">Purpose</th>
                <th scope="col">Agency</th>
                <th scope="col">Decision</th>
              </tr>
            </thead>
            <tbody>
              {consents.map((c) => (
                <tr key={`${c.purpose}-${c.agency}`}>
                  <td>{label(c.purpose)}</td>
                  <td>{c.agency}</td>
                  <td>
                    <span class={`badge ${c.inForce ? "badge--ok" : "badge--danger"}`}>{c.inForce ? "Given" : c.given ? "Expired" : "Refused"}</span>
                    <div class="client-sub">
                      {shortDate(c.recordedOn)}
                      {c.expiresOn ? ` · until ${shortDate(c.expiresOn)}` : ""}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <AddConsent o={props.o} onDone={props.onChanged} />
      </section>
      <section class="card" aria-labelledby="h-recent">
        <h2 id="h-recent">Recent contacts</h2>
        {props.o.recentContacts.length === 0 ? <p class="muted">None yet. Press <span class="kbd">a</span> to add one.</p> : null}
        <ul class="list">
          {props.o.recentContacts.slice(0, 4).map((c) => (
            <li key={c.id} class="list__item">
              <span class="list__meta">
                {label(c.purpose)} · {relativeDays(c.at, todayIso())} · {c.worker}
              </span>
              <span class="small">{c.notes.length > 110 ? `${c.notes.slice(0, 110)}…` : c.notes}</span>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function timeUsed(start: string, end: string): number {
  const s = Date.parse(start);
  const e = Date.parse(end);
  return e > s ? (Date.now() - s) / (e - s) : 1;
}

function HistoryTab(props: { clientId: string }): JSX.Element {
  const [load] = useLoad(
    () => call((b) => b.clientHistory(props.clientId)).then((l) => [...l].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))),
    [props.clientId],
  );
  return (
    <section class="card" aria-label="History" data-test="history">
      <Loaded load={load} what="history">
        {(entries) =>
          entries.length === 0 ? (
            <p class="muted">No history yet.</p>
          ) : (
            <ol class="list">
              {entries.map((e, i) => (
                <li key={`${e.at}-${String(i)}`} class="list__item">
                  <span>{e.summary}</span>
                  <span class="list__meta">
                    {shortDateTime(e.at)} · {e.user} · {e.action}
                    {e.detail ? ` · ${e.detail}` : ""}
                  </span>
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </section>
  );
}

