/**
 * Dynamic risk assessment: four levels, triggers, protective factors, a
 * safety management plan and a review date, with the previous assessment
 * beside the form. Drafts can be edited; completed ones only amended.
 */
import { Fragment, type JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { RiskAssessment, RiskInput, RiskLevel } from "../api";
import { call, toast } from "../app/state";
import { describeError } from "../lib/errors";
import { addDays, label, shortDate, shortDateTime, todayIso } from "../lib/format";
import { emptyRiskForm, isValid, validateRisk, type FieldErrors, type RiskForm } from "../lib/validate";
import { focusFirstError, Loaded, options, RiskBadge, Segmented, TextArea, TextField, useLoad } from "../components/ui";

const LEVELS = options<RiskLevel>(["low", "medium", "high"]);
const LEVEL_FIELDS = [
  ["toSelf", "Risk to self"],
  ["toOthers", "Risk to others"],
  ["fromOthers", "Risk from others"],
  ["safeguarding", "Safeguarding"],
] as const;

/** Default review: a week ahead when anything is high, else four weeks. */
export function defaultReview(form: Pick<RiskForm, "toSelf" | "toOthers" | "fromOthers" | "safeguarding">, today: string): string {
  const high = [form.toSelf, form.toOthers, form.fromOthers, form.safeguarding].includes("high");
  return addDays(today, high ? 7 : 28);
}

/** The form's values as a RiskInput (valid forms only). */
export function toRiskInput(clientId: string, form: RiskForm, id: string | null): RiskInput {
  const lvl = (v: RiskLevel | ""): RiskLevel => (v === "" ? "low" : v);
  const text = (s: string): string | null => (s.trim() === "" ? null : s.trim());
  return {
    clientId,
    id,
    toSelf: { level: lvl(form.toSelf) },
    toOthers: { level: lvl(form.toOthers) },
    fromOthers: { level: lvl(form.fromOthers) },
    safeguarding: { level: lvl(form.safeguarding) },
    triggers: text(form.triggers),
    protectiveFactors: text(form.protective),
    safetyPlan: text(form.plan),
    reviewDue: form.reviewDate,
  };
}

function formFrom(r: RiskAssessment): RiskForm {
  return {
    toSelf: r.toSelf.level,
    toOthers: r.toOthers.level,
    fromOthers: r.fromOthers.level,
    safeguarding: r.safeguarding.level,
    triggers: r.triggers ?? "",
    protective: r.protectiveFactors ?? "",
    plan: r.safetyPlan ?? "",
    reviewDate: r.reviewDue < todayIso() ? addDays(todayIso(), r.highest === "high" ? 7 : 28) : r.reviewDue,
  };
}

type Mode = { kind: "view" } | { kind: "new" } | { kind: "draft"; id: string } | { kind: "amend"; id: string };

/** The risk tab. */
export function RiskTab(props: { clientId: string; onChanged: () => void }): JSX.Element {
  const [load, reload] = useLoad(
    // Newest first, whatever order the back end uses.
    () => call((b) => b.riskAssessments(props.clientId)).then((l) => [...l].sort((a, b) => Date.parse(b.assessedAt) - Date.parse(a.assessedAt))),
    [props.clientId],
  );
  const [mode, setMode] = useState<Mode | null>(null);
  return (
    <Loaded load={load} what="risk assessments">
      {(list) => {
        const draft = list.find((r) => r.status === "draft");
        const completed = list.filter((r) => r.status === "completed");
        const latest = completed[0] ?? null;
        const m: Mode = mode ?? (draft ? { kind: "draft", id: draft.id } : { kind: "view" });
        const done = (): void => {
          setMode({ kind: "view" });
          reload();
          props.onChanged();
        };
        const editing = m.kind !== "view";
        const beside = editing ? latest : (completed[1] ?? null);
        return (
          <div class="risk-layout">
            <div class="stack">
              {m.kind === "view" ? (
                <section class="card" data-test="risk-latest">
                  <div class="card__head">
                    <h2>Current assessment</h2>
                    <button type="button" class="btn btn--primary" data-test="risk-new" onClick={() => { setMode({ kind: "new" }); }}>
                      New assessment
                    </button>
                  </div>
                  {latest ? (
                    <>
                      <AssessmentView r={latest} />
                      <div class="row">
                        <button type="button" class="btn" data-test="risk-amend" onClick={() => { setMode({ kind: "amend", id: latest.id }); }}>
                          Amend
                        </button>
                        <span class="muted small">Completed assessments are kept as they are; an amendment records a correction.</span>
                      </div>
                    </>
                  ) : (
                    <p class="muted">No completed assessment yet.</p>
                  )}
                </section>
              ) : (
                <RiskFormCard
                  key={m.kind === "new" ? "new" : m.id}
                  clientId={props.clientId}
                  mode={m}
                  initial={
                    m.kind === "draft"
                      ? formFrom(list.find((r) => r.id === m.id) ?? list[0] ?? ({} as RiskAssessment))
                      : m.kind === "amend" && latest
                        ? formFrom(latest)
                        : emptyRiskForm(addDays(todayIso(), 28))
                  }
                  onDone={done}
                  onCancel={() => { setMode({ kind: "view" }); }}
                />
              )}
            </div>
            <aside class="stack" aria-label="Previous assessments">
              <section class="card card--flat" data-test="risk-previous">
                <h2>{editing ? "Previous assessment" : "Before that"}</h2>
                {beside ? <AssessmentView r={beside} /> : <p class="muted">None.</p>}
              </section>
              {completed.length > 2 ? (
                <section class="card card--flat">
                  <h3>Earlier</h3>
                  <ul class="list">
                    {completed.slice(2).map((r) => (
                      <li key={r.id} class="list__item">
                        <span class="row">
                          <RiskBadge level={r.highest} /> {shortDate(r.assessedAt)} · {r.assessor}
                          {r.amends ? " · amendment" : ""}
                        </span>
                      </li>
                    ))}
                  </ul>
                </section>
              ) : null}
            </aside>
          </div>
        );
      }}
    </Loaded>
  );
}

function AssessmentView(props: { r: RiskAssessment }): JSX.Element {
  const r = props.r;
  return (
    <div class="stack" data-test="risk-view">
      <p class="muted small">
        {shortDateTime(r.assessedAt)} by {r.assessor}
        {r.amends ? " · amends an earlier assessment" : ""} · {r.status === "completed" ? "completed" : "draft"}
      </p>
      <div class="prev-levels">
        {LEVEL_FIELDS.map(([key, name]) => (
          <Fragment key={key}>
            <span>{name}</span>
            <span class={`badge badge--${r[key].level}`}>{label(r[key].level)}</span>
          </Fragment>
        ))}
      </div>
      <Text title="Triggers" text={r.triggers} />
      <Text title="Protective factors" text={r.protectiveFactors} />
      <Text title="Safety management plan" text={r.safetyPlan} />
      <p class={r.review.status === "overdue" ? "due--overdue" : r.review.status === "due_soon" ? "due--soon" : ""}>
        Review {r.review.status === "overdue" ? "was due" : "due"} {shortDate(r.reviewDue)}
      </p>
    </div>
  );
}

function Text(props: { title: string; text: string | null }): JSX.Element {
  return (
    <div>
      <h3 class="small muted">{props.title}</h3>
      <p class="readonly-text">{props.text ?? "—"}</p>
    </div>
  );
}

function RiskFormCard(props: {
  clientId: string;
  mode: Mode;
  initial: RiskForm;
  onDone: () => void;
  onCancel: () => void;
}): JSX.Element {
  const [form, setForm] = useState<RiskForm>(props.initial);
  const [reviewTouched, setReviewTouched] = useState(props.mode.kind !== "new");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [tried, setTried] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  // Start on the first level so the form can be done from the keyboard:
  // arrows pick a level, Tab moves on, Ctrl+Enter completes.
  useEffect(() => {
    const first = formRef.current?.querySelector('[role="radiogroup"]');
    (first?.querySelector<HTMLInputElement>("input:checked") ?? first?.querySelector<HTMLInputElement>("input"))?.focus();
  }, []);
  const [busy, setBusy] = useState(false);
  const today = todayIso();

  const set = (patch: Partial<RiskForm>): void => {
    const next = { ...form, ...patch };
    if (!reviewTouched && !("reviewDate" in patch)) next.reviewDate = defaultReview(next, today);
    setForm(next);
    // After a first attempt, messages follow the answers as they are fixed.
    if (tried) setErrors(validateRisk(next, today));
  };

  const submit = async (complete: boolean): Promise<void> => {
    setTried(true);
    const errs = validateRisk(form, today);
    setErrors(errs);
    if (!isValid(errs)) {
      toast("Some answers are missing: see the messages in red.", { kind: "error" });
      focusFirstError(formRef.current);
      return;
    }
    setBusy(true);
    try {
      const m = props.mode;
      if (m.kind === "amend") {
        await call((b) => b.amendRisk(m.id, toRiskInput(props.clientId, form, null)));
        toast("Amendment saved. The original assessment is kept.");
      } else {
        const saved = await call((b) => b.saveRisk(toRiskInput(props.clientId, form, m.kind === "draft" ? m.id : null)));
        if (complete) {
          await call((b) => b.completeRisk(saved.id));
          toast("Risk assessment completed.");
        } else {
          toast("Draft saved. Complete it when you are done.");
        }
      }
      props.onDone();
    } catch (err: unknown) {
      const d = describeError(err);
      setErrors({ [d.field ?? "form"]: d.message });
    } finally {
      setBusy(false);
    }
  };

  const title = props.mode.kind === "amend" ? "Amend assessment" : props.mode.kind === "draft" ? "Draft assessment" : "New assessment";
  return (
    <form
      ref={formRef}
      class="card"
      data-test="risk-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit(true);
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && e.ctrlKey) {
          e.preventDefault();
          void submit(true);
        }
      }}
    >
      <div class="card__head">
        <h2>{title}</h2>
        <span class="muted small">Choose a level for each; the rest is optional unless a risk is high.</span>
      </div>
      <div class="levels">
        {LEVEL_FIELDS.map(([key, name]) => (
          <Segmented
            key={key}
            legend={name}
            value={form[key]}
            options={LEVELS}
            levelColours
            test={`risk-${key}`}
            error={errors[key]}
            onChange={(v) => {
              set({ [key]: v });
            }}
          />
        ))}
      </div>
      <TextArea label="Triggers" value={form.triggers} onInput={(v) => { set({ triggers: v }); }} rows={2} test="risk-triggers" error={errors.triggers} hint="What makes things worse." />
      <TextArea label="Protective factors" value={form.protective} onInput={(v) => { set({ protective: v }); }} rows={2} test="risk-protective" error={errors.protective} hint="What keeps the person or others safer." />
      <TextArea label="Safety management plan" value={form.plan} onInput={(v) => { set({ plan: v }); }} rows={3} test="risk-plan" error={errors.plan} hint="Who does what, e.g. two workers on visits." />
      <div class="row">
        <TextField
          label="Review by"
          type="date"
          value={form.reviewDate}
          min={today}
          onInput={(v) => {
            setReviewTouched(true);
            set({ reviewDate: v });
          }}
          test="risk-review"
          error={errors.reviewDate}
          hint={reviewTouched ? undefined : "Set for you: a week if anything is high, else four weeks."}
        />
      </div>
      {errors.form ? <p class="field__error" role="alert">{errors.form}</p> : null}
      <div class="row row--end">
        <button type="button" class="btn" onClick={props.onCancel}>
          Cancel
        </button>
        {props.mode.kind === "amend" ? (
          <button type="submit" class="btn btn--primary" disabled={busy} data-test="risk-amend-save">
            Save amendment
          </button>
        ) : (
          <>
            <button type="button" class="btn" disabled={busy} data-test="risk-save" onClick={() => void submit(false)}>
              Save draft
            </button>
            <button type="submit" class="btn btn--primary" disabled={busy} data-test="risk-complete">
              Complete assessment
            </button>
          </>
        )}
      </div>
    </form>
  );
}
