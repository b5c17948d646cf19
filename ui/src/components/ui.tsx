/**
 * Small accessible building blocks: labelled fields, segmented choices,
 * badges, error boxes and a data-loading hook.
 */
import type { ComponentChildren, InputHTMLAttributes, JSX, Ref } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import type { RiskLevel } from "../api";
import { describeError } from "../lib/errors";
import { label as codeLabel } from "../lib/format";

/** Props shared by the labelled fields. */
interface FieldProps {
  /** Visible label. */
  label: string;
  /** Error message, shown under the field and announced. */
  error?: string | undefined;
  /** Help text under the label. */
  hint?: string | undefined;
  /** `data-test` name. */
  test?: string | undefined;
  /** Extra class on the wrapper. */
  class?: string | undefined;
  /** `data-test` name of the error message. */
  errorTest?: string | undefined;
}

function describedBy(id: string, hint?: string, error?: string): string | undefined {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter((s) => s !== "");
  return ids.length > 0 ? ids.join(" ") : undefined;
}

function FieldFrame(props: FieldProps & { id: string; children: ComponentChildren }): JSX.Element {
  return (
    <div class={`field ${props.class ?? ""}`}>
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      {props.hint ? (
        <span class="field__hint" id={`${props.id}-hint`}>
          {props.hint}
        </span>
      ) : null}
      {props.children}
      {props.error ? (
        <span class="field__error" id={`${props.id}-error`} role="alert" data-test={props.errorTest}>
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** A labelled text input. */
export function TextField(
  props: FieldProps & {
    value: string;
    onInput: (v: string) => void;
    type?: "text" | "password" | "date" | "datetime-local" | "search" | "number" | "email" | "tel" | undefined;
    placeholder?: string | undefined;
    autoFocus?: boolean | undefined;
    inputRef?: Ref<HTMLInputElement> | undefined;
    autocomplete?: string | undefined;
    required?: boolean | undefined;
    inputClass?: string | undefined;
    onKeyDown?: ((e: KeyboardEvent) => void) | undefined;
    min?: string | undefined;
    max?: string | undefined;
  },
): JSX.Element {
  const id = useId();
  // The autofocus attribute only works on page load; screens appear later.
  useEffect(() => {
    if (props.autoFocus === true) document.getElementById(id)?.focus();
  }, [id, props.autoFocus]);
  return (
    <FieldFrame {...props} id={id}>
      <input
        id={id}
        ref={props.inputRef ?? null}
        class={`input ${props.inputClass ?? ""}`}
        {...({ type: props.type ?? "text" } as InputHTMLAttributes)}
        value={props.value}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete ?? "off"}
        spellcheck={false}
        required={props.required}
        min={props.min}
        max={props.max}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
        data-test={props.test}
        onInput={(e) => {
          props.onInput(e.currentTarget.value);
        }}
        onKeyDown={props.onKeyDown}
      />
    </FieldFrame>
  );
}

/** A labelled multi-line text box. */
export function TextArea(
  props: FieldProps & {
    value: string;
    onInput: (v: string) => void;
    rows?: number | undefined;
    placeholder?: string | undefined;
    inputRef?: Ref<HTMLTextAreaElement> | undefined;
    onKeyDown?: ((e: KeyboardEvent) => void) | undefined;
  },
): JSX.Element {
  const id = useId();
  return (
    <FieldFrame {...props} id={id}>
      <textarea
        id={id}
        ref={props.inputRef ?? null}
        class="textarea"
        rows={props.rows ?? 3}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
        data-test={props.test}
        onInput={(e) => {
          props.onInput(e.currentTarget.value);
        }}
        onKeyDown={props.onKeyDown}
      />
    </FieldFrame>
  );
}

/** One option of a select or segmented choice. */
export interface Option<T extends string> {
  /** Value. */
  value: T;
  /** Visible text. */
  label: string;
}

/** Options from codes, labelled with {@link codeLabel}. */
export function options<T extends string>(codes: readonly T[]): Option<T>[] {
  return codes.map((value) => ({ value, label: codeLabel(value) }));
}

/** A labelled select. */
export function SelectField<T extends string>(
  props: FieldProps & { value: T; onChange: (v: T) => void; options: readonly Option<T>[] },
): JSX.Element {
  const id = useId();
  return (
    <FieldFrame {...props} id={id}>
      <select
        id={id}
        class="select"
        value={props.value}
        aria-invalid={props.error ? "true" : undefined}
        aria-describedby={describedBy(id, props.hint, props.error)}
        data-test={props.test}
        onChange={(e) => {
          props.onChange(e.currentTarget.value as T);
        }}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/**
 * A radio group drawn as buttons: arrow keys move, one tab stop. `test`
 * names the group; each option gets `data-test="<test>-<value>"`.
 */
export function Segmented<T extends string>(props: {
  legend: string;
  value: T | "";
  onChange: (v: T) => void;
  options: readonly Option<T>[];
  test?: string | undefined;
  error?: string | undefined;
  big?: boolean | undefined;
  levelColours?: boolean | undefined;
}): JSX.Element {
  const name = useId();
  // A labelled radiogroup rather than a fieldset: WebKitGTK lays fieldsets
  // out with stray gaps until the next re-render.
  return (
    <div
      class="segfield"
      role="radiogroup"
      aria-labelledby={`${name}-legend`}
      aria-invalid={props.error ? "true" : undefined}
      aria-describedby={props.error ? `${name}-error` : undefined}
    >
      <span class="legend" id={`${name}-legend`}>
        {props.legend}
      </span>
      <div class={`seg ${props.big === true ? "seg--big" : ""}`} data-test={props.test}>
        {props.options.map((o) => (
          <label
            key={o.value}
            class={`seg__opt ${props.levelColours === true ? `seg__opt--${o.value}` : ""}`}
          >
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={props.value === o.value}
              data-test={props.test ? `${props.test}-${o.value}` : undefined}
              onChange={() => {
                props.onChange(o.value);
              }}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
      {props.error ? (
        <span class="field__error" id={`${name}-error`} role="alert">
          {props.error}
        </span>
      ) : null}
    </div>
  );
}

/** A labelled checkbox. */
export function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  test?: string | undefined;
}): JSX.Element {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={props.checked}
        data-test={props.test}
        onChange={(e) => {
          props.onChange(e.currentTarget.checked);
        }}
      />
      {props.label}
    </label>
  );
}

/** A risk level badge ("No assessment" when null). */
export function RiskBadge(props: { level: RiskLevel | null; prefix?: string }): JSX.Element {
  if (props.level === null) return <span class="badge badge--none">No assessment</span>;
  return (
    <span class={`badge badge--${props.level}`} data-test="risk-badge">
      {props.prefix ?? ""}
      {codeLabel(props.level)} risk
    </span>
  );
}

/** Safety flags as chips. */
export function Flags(props: { flags: readonly string[] }): JSX.Element | null {
  if (props.flags.length === 0) return null;
  return (
    <span class="cell-flags">
      {props.flags.map((f) => (
        <span class="flag" key={f}>
          <span class="flag__icon" aria-hidden="true">
            ⚠
          </span>
          {f}
        </span>
      ))}
    </span>
  );
}

/** An error in words, from any rejection. */
export function ErrorBox(props: { error: unknown; test?: string }): JSX.Element {
  const e = describeError(props.error);
  return (
    <div class="alert alert--error" role="alert" data-test={props.test ?? "error"}>
      <span class="alert__title">{e.title}</span>
      <span>{e.message}</span>
    </div>
  );
}

/** State of an async load. */
export type Load<T> =
  | { state: "loading" }
  | { state: "ready"; data: T }
  | { state: "error"; error: unknown };

/**
 * Load data when `deps` change; returns the state and a reload function.
 * Answers to outdated loads are dropped.
 */
export function useLoad<T>(fn: () => Promise<T>, deps: readonly unknown[]): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: "loading" });
  const seq = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(() => {
    seq.current += 1;
    const mine = seq.current;
    fnRef.current().then(
      (data) => {
        if (mine === seq.current) setLoad({ state: "ready", data });
      },
      (error: unknown) => {
        if (mine === seq.current) setLoad({ state: "error", error });
      },
    );
  }, []);
  useEffect(() => {
    run();
    return () => {
      seq.current += 1;
    };
  }, deps);
  return [load, run];
}

/** Renders a load: a quiet placeholder, the error, or the content. */
export function Loaded<T>(props: {
  load: Load<T>;
  children: (data: T) => ComponentChildren;
  what?: string | undefined;
}): JSX.Element {
  if (props.load.state === "loading") {
    return (
      <p class="muted" aria-busy="true">
        Loading {props.what ?? ""}…
      </p>
    );
  }
  if (props.load.state === "error") return <ErrorBox error={props.load.error} />;
  return <>{props.children(props.load.data)}</>;
}

/** Sets a CSS custom property on an element (the CSP allows CSSOM, not style attributes). */
export function useCssVar(ref: { current: HTMLElement | null }, name: string, value: string): void {
  useEffect(() => {
    ref.current?.style.setProperty(name, value);
  }, [ref, name, value]);
}

/** A meter for a 0–1 fraction, drawn through a CSS custom property. */
export function Meter(props: { fraction: number; tone?: "warn" | "danger" | undefined; label: string }): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const f = Math.max(0, Math.min(1, props.fraction));
  useCssVar(ref, "--fill", String(f));
  return (
    <div
      class={`meter ${props.tone ? `meter--${props.tone}` : ""}`}
      role="meter"
      aria-label={props.label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(f * 100)}
    >
      <div class="meter__fill" ref={ref} />
    </div>
  );
}

/**
 * After a refused submit, move the focus to the first field marked invalid
 * (inside `root`), once the error messages are rendered.
 */
export function focusFirstError(root: HTMLElement | null): void {
  setTimeout(() => {
    const bad = root?.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (!bad) return;
    const target = bad.matches("input, select, textarea") ? bad : bad.querySelector<HTMLElement>("input");
    target?.focus();
  }, 0);
}
