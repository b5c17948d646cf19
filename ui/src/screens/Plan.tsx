/**
 * Personal action plan: short and long term goals with owners, agencies and
 * target dates; 1–10 progress per outcome area plotted over time; case
 * conference notes.
 */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ActionPlan, Goal, GoalStatus, GoalTerm } from "../api";
import { call, callToast, toast } from "../app/state";
import { describeError } from "../lib/errors";
import { label, shortDate, todayIso } from "../lib/format";
import { ScoreChart, type ScoreSeries } from "../components/charts";
import { Loaded, options, Segmented, SelectField, TextArea, TextField, useLoad } from "../components/ui";

const STATUSES = options<GoalStatus>(["not_started", "in_progress", "achieved", "abandoned"]);

/** Scores grouped into one series per area, oldest first. */
export function scoreSeries(plan: Pick<ActionPlan, "scores">): ScoreSeries[] {
  const byArea = new Map<string, ScoreSeries>();
  for (const s of plan.scores) {
    const series = byArea.get(s.area) ?? { label: s.areaLabel, points: [] };
    series.points.push({ at: s.recordedOn, value: s.score });
    byArea.set(s.area, series);
  }
  return [...byArea.values()];
}

/** The plan tab. */
export function PlanTab(props: { clientId: string }): JSX.Element {
  const [load, reload] = useLoad(() => call((b) => b.actionPlan(props.clientId)), [props.clientId]);
  return (
    <Loaded load={load} what="action plan">
      {(plan) => (
        <div class="stack" data-test="plan">
          <div class="grid-2">
            <section class="card" aria-labelledby="h-goals">
              <div class="card__head">
                <h2 id="h-goals">Goals</h2>
                <span class="muted small">
                  {plan.plan ? `Plan since ${shortDate(plan.plan.startedOn)}` : "No plan yet: adding a goal starts one."}
                </span>
              </div>
              {plan.plan?.summary ? <p class="small">{plan.plan.summary}</p> : null}
              {plan.plan && plan.plan.agencies.length > 0 ? (
                <p class="small">
                  <span class="muted">Agencies: </span>
                  {plan.plan.agencies.join(", ")}
                </p>
              ) : null}
              <EditPlan clientId={props.clientId} plan={plan.plan} onSaved={reload} />
              {(["short", "long"] as const).map((term) => (
                <GoalList key={term} term={term} goals={plan.goals.filter((g) => g.term === term)} onChanged={reload} />
              ))}
              <AddGoal clientId={props.clientId} areas={plan.areas} onAdded={reload} />
            </section>
            <section class="card" aria-labelledby="h-progress">
              <h2 id="h-progress">Progress (1–10)</h2>
              {plan.scores.length === 0 ? (
                <p class="muted">No scores yet.</p>
              ) : (
                <ScoreChart series={scoreSeries(plan)} title="Outcome scores over time, 1 to 10" />
              )}
              <AddScore clientId={props.clientId} areas={plan.areas} onAdded={reload} />
            </section>
          </div>
          <section class="card" aria-labelledby="h-conf">
            <h2 id="h-conf">Case conferences</h2>
            {plan.conferences.length === 0 ? <p class="muted">None recorded.</p> : null}
            <ul class="list">
              {plan.conferences.map((c) => (
                <li key={c.id} class="list__item">
                  <span class="list__meta">
                    {shortDate(c.heldOn)} · {c.attendees.join(", ")}
                  </span>
                  <span class="readonly-text">{c.notes}</span>
                </li>
              ))}
            </ul>
            <AddConference clientId={props.clientId} onAdded={reload} />
          </section>
        </div>
      )}
    </Loaded>
  );
}

function GoalList(props: { term: GoalTerm; goals: Goal[]; onChanged: () => void }): JSX.Element {
  const setStatus = async (g: Goal, status: GoalStatus): Promise<void> => {
    const before = g.status;
    const ok = await callToast((b) => b.updateGoal(g.id, { status }));
    if (ok === undefined) return;
    props.onChanged();
    toast(`Goal marked ${label(status).toLowerCase()}.`, {
      action: {
        label: "Undo",
        run: () => {
          void callToast((b) => b.updateGoal(g.id, { status: before })).then(props.onChanged);
        },
      },
    });
  };
  return (
    <div class="stack">
      <h3>{props.term === "short" ? "Short term (weeks)" : "Long term (months)"}</h3>
      {props.goals.length === 0 ? <p class="muted small">None.</p> : null}
      <div>
        {props.goals.map((g) => (
          <div key={g.id} class="goal" data-test="plan-goal">
            <div>
              <strong>{g.text}</strong>
              <div class="list__meta">
                <span>Owner: {g.owner}</span>
                {g.targetDate ? (
                  <span class={g.overdue ? "due--overdue" : ""}>
                    · target {shortDate(g.targetDate)}
                    {g.overdue ? " (overdue)" : ""}
                  </span>
                ) : null}
                {g.outcomeArea ? <span>· {label(g.outcomeArea)}</span> : null}
              </div>
            </div>
            <label class="check small">
              <span class="visually-hidden">Status of “{g.text}”</span>
              <select
                class="select"
                value={g.status}
                onChange={(e) => void setStatus(g, e.currentTarget.value as GoalStatus)}
              >
                {STATUSES.map((s) => (
                  <option key={s.value} value={s.value}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
        ))}
      </div>
    </div>
  );
}

function EditPlan(props: { clientId: string; plan: ActionPlan["plan"]; onSaved: () => void }): JSX.Element {
  const [agencies, setAgencies] = useState(props.plan?.agencies.join(", ") ?? "");
  const [summary, setSummary] = useState(props.plan?.summary ?? "");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    try {
      await call((b) =>
        b.savePlan({
          clientId: props.clientId,
          agencies: agencies.split(",").map((a) => a.trim()).filter((a) => a !== ""),
          summary: summary.trim() === "" ? null : summary.trim(),
        }),
      );
      setError(undefined);
      toast("Plan saved.");
      props.onSaved();
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <details>
      <summary class="btn btn--small" data-test="plan-edit-open">
        {props.plan ? "Edit agencies and summary" : "+ Start a plan"}
      </summary>
      <form class="stack" noValidate onSubmit={(e) => void submit(e)} data-test="plan-edit-form">
        <TextField label="Agencies involved" value={agencies} onInput={setAgencies} hint="Separate with commas, e.g. Housing First, CMHT." test="plan-agencies" error={error} />
        <TextArea label="What the plan is for" value={summary} onInput={setSummary} rows={2} test="plan-summary" />
        <div class="row row--end">
          <button type="submit" class="btn btn--primary" data-test="plan-edit-save">
            Save plan
          </button>
        </div>
      </form>
    </details>
  );
}

function AddGoal(props: { clientId: string; areas: ActionPlan["areas"]; onAdded: () => void }): JSX.Element {
  const [text, setText] = useState("");
  const [term, setTerm] = useState<GoalTerm>("short");
  const [owner, setOwner] = useState("");
  const [target, setTarget] = useState("");
  const [area, setArea] = useState("");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (text.trim() === "") {
      setError("Say what the goal is, e.g. “Register with a GP”.");
      return;
    }
    try {
      await call((b) =>
        b.addGoal({
          clientId: props.clientId,
          text: text.trim(),
          term,
          owner: owner.trim() === "" ? null : owner.trim(),
          targetDate: target === "" ? null : target,
          outcomeArea: area === "" ? null : area,
        }),
      );
      setText("");
      setTarget("");
      setError(undefined);
      toast("Goal added.");
      props.onAdded();
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <details>
      <summary class="btn btn--small" data-test="plan-goal-open">
        + Add a goal
      </summary>
      <form class="stack" noValidate onSubmit={(e) => void submit(e)} data-test="plan-goal-form">
        <TextField label="Goal" value={text} onInput={setText} test="plan-goal-text" error={error} />
        <Segmented legend="Term" value={term} onChange={setTerm} options={[{ value: "short", label: "Short term" }, { value: "long", label: "Long term" }]} test="plan-goal-term" />
        <div class="grid-3">
          <TextField label="Owner (worker, client or agency)" value={owner} onInput={setOwner} hint="Leave empty for yourself." test="plan-goal-owner" />
          <TextField label="Target date" type="date" value={target} onInput={setTarget} min={todayIso()} test="plan-goal-target" />
          <SelectField label="Outcome area" value={area} onChange={setArea} options={[{ value: "", label: "None" }, ...props.areas.map((a) => ({ value: a.key, label: a.label }))]} />
        </div>
        <div class="row row--end">
          <button type="submit" class="btn btn--primary" data-test="plan-goal-save">
            Add goal
          </button>
        </div>
      </form>
    </details>
  );
}

function AddScore(props: { clientId: string; areas: ActionPlan["areas"]; onAdded: () => void }): JSX.Element {
  const [area, setArea] = useState(props.areas[0]?.key ?? "");
  const [score, setScore] = useState<string>("");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const n = Number(score);
    if (!Number.isInteger(n) || n < 1 || n > 10) {
      setError("Choose a score from 1 to 10.");
      return;
    }
    try {
      await call((b) => b.recordOutcomeScore({ clientId: props.clientId, area, score: n }));
      setScore("");
      setError(undefined);
      toast("Score recorded.");
      props.onAdded();
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <form class="stack" noValidate onSubmit={(e) => void submit(e)} data-test="plan-score-form">
      <SelectField label="Record a score for" value={area} onChange={setArea} options={props.areas.map((a) => ({ value: a.key, label: a.label }))} test="plan-score-area" />
      <Segmented
        legend="Score (1 stuck – 10 self-reliant)"
        value={score}
        onChange={setScore}
        options={Array.from({ length: 10 }, (_, i) => ({ value: String(i + 1), label: String(i + 1) }))}
        test="plan-score"
        error={error}
      />
      <div class="row row--end">
        <button type="submit" class="btn" data-test="plan-score-save">
          Record score
        </button>
      </div>
    </form>
  );
}

function AddConference(props: { clientId: string; onAdded: () => void }): JSX.Element {
  const [held, setHeld] = useState(todayIso());
  const [who, setWho] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (notes.trim() === "") {
      setError("Write what was agreed.");
      return;
    }
    try {
      await call((b) =>
        b.addCaseConference({
          clientId: props.clientId,
          heldOn: held,
          attendees: who.split(",").map((s) => s.trim()).filter((s) => s !== ""),
          notes: notes.trim(),
        }),
      );
      setNotes("");
      setWho("");
      setError(undefined);
      toast("Case conference recorded.");
      props.onAdded();
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <details>
      <summary class="btn btn--small">+ Record a case conference</summary>
      <form class="stack" noValidate onSubmit={(e) => void submit(e)}>
        <div class="grid-2">
          <TextField label="Held on" type="date" value={held} onInput={setHeld} max={todayIso()} />
          <TextField label="Who attended" value={who} onInput={setWho} hint="Names or agencies, separated by commas." />
        </div>
        <TextArea label="Notes and actions agreed" value={notes} onInput={setNotes} rows={4} error={error} />
        <div class="row row--end">
          <button type="submit" class="btn btn--primary">
            Save notes
          </button>
        </div>
      </form>
    </details>
  );
}
