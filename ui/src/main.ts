import { appVersion, inShell } from "./api";
import { passphraseStrength } from "./lib/passphrase";

function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) {
    throw new Error(`missing #${id}`);
  }
  return el;
}

function init(): void {
  const form = byId("unlock-form", HTMLFormElement);
  const input = byId("passphrase", HTMLInputElement);
  const strength = byId("passphrase-strength", HTMLParagraphElement);
  const status = byId("unlock-status", HTMLParagraphElement);
  const version = byId("app-version", HTMLSpanElement);

  input.addEventListener("input", () => {
    const s = passphraseStrength(input.value);
    strength.textContent = s.hint;
    strength.dataset.level = s.level;
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // Unlocking is not implemented yet: the key derivation and store live
    // in the Rust core and will be exposed through api.ts.
    status.textContent = "Unlocking is not available in this build yet.";
    input.value = "";
    strength.textContent = "";
    delete strength.dataset.level;
    input.focus();
  });

  if (inShell()) {
    appVersion()
      .then((v) => {
        version.textContent = `Outreach v${v}`;
      })
      .catch((err: unknown) => {
        version.textContent = "Outreach (version unavailable)";
        console.error("app_version failed", err);
      });
  } else {
    version.textContent = "Outreach (browser preview)";
  }

  input.focus();
}

init();
