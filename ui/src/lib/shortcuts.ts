/**
 * Keyboard shortcuts: one list, used both by the key handler and by the
 * help overlay (`?`), so the overlay can never disagree with the keys.
 */

/** A shortcut shown in the help overlay. */
export interface Shortcut {
  /** Keys as shown, e.g. "g c" or "Ctrl+Enter". */
  readonly keys: string;
  /** What it does. */
  readonly does: string;
  /** Where it works. */
  readonly where: "anywhere" | "caseload" | "client" | "count" | "forms";
}

/** Every shortcut. Single letters work when the focus is not in a text box. */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: "?", does: "Show or hide this list of shortcuts", where: "anywhere" },
  { keys: "1", does: "Caseload", where: "anywhere" },
  { keys: "2", does: "Street count", where: "anywhere" },
  { keys: "3", does: "Sync and conflicts", where: "anywhere" },
  { keys: "4", does: "Reports", where: "anywhere" },
  { keys: "/", does: "Search clients", where: "anywhere" },
  { keys: "n", does: "New client", where: "anywhere" },
  { keys: "s", does: "Sync now", where: "anywhere" },
  { keys: "t", does: "Switch day / night theme", where: "anywhere" },
  { keys: "Shift+L", does: "Lock Outreach now", where: "anywhere" },
  { keys: "Esc", does: "Close a dialog, or leave the search box", where: "anywhere" },
  { keys: "↑ ↓  j k", does: "Move through the list", where: "caseload" },
  { keys: "Enter", does: "Open the selected client", where: "caseload" },
  { keys: "PgUp PgDn", does: "Previous / next page", where: "caseload" },
  { keys: "o r p c h", does: "Overview, Risk, Plan, Contacts, History tabs", where: "client" },
  { keys: "a", does: "Add a contact (focuses the notes box)", where: "client" },
  { keys: "Ctrl+Enter", does: "Save the form you are in", where: "forms" },
];

/** Whether a key event comes from a place where letters are typed. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (target === null || typeof target !== "object") return false;
  const el = target as { tagName?: unknown; isContentEditable?: unknown; type?: unknown };
  if (el.isContentEditable === true) return true;
  const tag = typeof el.tagName === "string" ? el.tagName.toUpperCase() : "";
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag !== "INPUT") return false;
  const type = typeof el.type === "string" ? el.type.toLowerCase() : "text";
  return !["checkbox", "radio", "button", "submit", "reset", "range", "color"].includes(type);
}
