/** Toast messages, announced politely (errors assertively). */
import type { JSX } from "preact";
import { dismissToast, toasts } from "./state";

/** The toast stack. */
export function Toasts(): JSX.Element {
  return (
    <div class="toasts" aria-live="polite" data-test="toasts">
      {toasts.value.map((t) => (
        <div
          key={t.id}
          class={`toast ${t.kind === "error" ? "toast--error" : ""}`}
          role={t.kind === "error" ? "alert" : "status"}
          data-test="toast"
        >
          <span class="toast__text">{t.text}</span>
          {t.action ? (
            <button
              type="button"
              class="btn btn--small"
              data-test="toast-action"
              onClick={() => {
                t.action?.run();
                dismissToast(t.id);
              }}
            >
              {t.action.label}
            </button>
          ) : null}
          <button
            type="button"
            class="btn btn--small btn--ghost"
            aria-label="Dismiss"
            onClick={() => {
              dismissToast(t.id);
            }}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
