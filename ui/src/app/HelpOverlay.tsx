/** The keyboard shortcuts overlay (`?`). */
import { Fragment, type JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { SHORTCUTS } from "../lib/shortcuts";
import { helpOpen } from "./state";

const WHERE: Record<string, string> = {
  anywhere: "Anywhere",
  caseload: "Caseload",
  client: "Client",
  count: "Street count",
  forms: "Forms",
};

/** The overlay; Esc or the button closes it and focus goes back. */
export function HelpOverlay(): JSX.Element {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    return () => {
      before?.focus();
    };
  }, []);
  const groups = [...new Set(SHORTCUTS.map((s) => s.where))];
  return (
    <div
      class="overlay"
      onClick={(e) => {
        if (e.target === e.currentTarget) helpOpen.value = false;
      }}
    >
      <div
        class="dialog dialog--wide"
        role="dialog"
        aria-modal="true"
        aria-labelledby="help-title"
        data-test="help-overlay"
        onKeyDown={(e) => {
          // Keep Tab inside the dialog: its only control is the close button.
          if (e.key === "Tab") {
            e.preventDefault();
            closeRef.current?.focus();
          }
        }}
      >
        <div class="card__head">
          <h2 id="help-title">Keyboard shortcuts</h2>
          <button
            ref={closeRef}
            type="button"
            class="btn btn--small"
            onClick={() => {
              helpOpen.value = false;
            }}
          >
            Close (Esc)
          </button>
        </div>
        <p class="muted small">Single keys work when the cursor is not in a text box.</p>
        <div class="help-groups">
        {groups.map((g) => (
          <section key={g} class="stack">
            <h3>{WHERE[g] ?? g}</h3>
            <dl class="shortcuts">
              {SHORTCUTS.filter((s) => s.where === g).map((s) => (
                <Fragment key={s.keys}>
                  <dt>
                    <span class="kbd">{s.keys}</span>
                  </dt>
                  <dd>{s.does}</dd>
                </Fragment>
              ))}
            </dl>
          </section>
        ))}
        </div>
      </div>
    </div>
  );
}
