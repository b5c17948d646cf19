/**
 * The locked screen: unlock with the passphrase, or on first run create it
 * with strength guidance. Shows nothing about any client.
 */
import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { AppStatus } from "../api";
import { status } from "../app/state";
import { api } from "../app/state";
import { describeError, shownLine, type ShownError } from "../lib/errors";
import { MIN_LENGTH, passphraseStrength } from "../lib/passphrase";
import { STANDIN_DATA_DIR, STANDIN_PASSPHRASE } from "../standin/constants";
import { TextField } from "../components/ui";

/** Unlock or first-run create. */
export function UnlockScreen(props: { status: AppStatus }): JSX.Element {
  useEffect(() => {
    document.title = "Locked · Outreach";
  }, []);
  const preview = props.status.dataDir === STANDIN_DATA_DIR;
  return (
    <div class="lock-screen">
      <section class="lock-card" aria-labelledby="lock-title" data-test="unlock-screen">
        <div class="lock-card__brand">
          <span class="brand__mark" aria-hidden="true">
            O
          </span>
          <div>
            <h1 id="lock-title">{props.status.storeExists ? "Outreach is locked" : "Set up Outreach"}</h1>
            <p class="muted small">
              {props.status.storeExists
                ? "Records on this computer are encrypted. Unlock with your passphrase."
                : "Choose a passphrase. It encrypts every record on this computer; nobody can recover it for you."}
            </p>
          </div>
        </div>
        {props.status.storeExists ? <UnlockForm /> : <CreateForm />}
        {preview ? (
          <p class="alert small" data-test="unlock-preview-note">
            Browser preview with made-up data. The passphrase is “{STANDIN_PASSPHRASE}”.
          </p>
        ) : null}
        <div class="lock-footer">
          <span>Outreach {props.status.version}</span>
          <span>{props.status.deviceName ?? ""}</span>
        </div>
      </section>
    </div>
  );
}

function UnlockForm(): JSX.Element {
  const [pass, setPass] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (pass === "") {
      setError({ kind: "invalid", title: "Enter your passphrase", message: "The passphrase box is empty." });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await api().unlock(pass);
      setPass("");
      status.value = s;
    } catch (err: unknown) {
      setError(describeError(err));
      setPass("");
      inputRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(e) => void submit(e)} autocomplete="off" noValidate>
      <TextField
        label="Passphrase"
        type="password"
        value={pass}
        onInput={setPass}
        autoFocus
        inputRef={inputRef}
        autocomplete="current-password"
        test="unlock-passphrase"
        errorTest="unlock-error"
        error={error ? shownLine(error) : undefined}
      />
      <button type="submit" class="btn btn--primary" disabled={busy} data-test="unlock-submit">
        {busy ? "Unlocking…" : "Unlock"}
      </button>
    </form>
  );
}

function CreateForm(): JSX.Element {
  const [user, setUser] = useState("");
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const strength = passphraseStrength(pass);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (user.trim() === "") errs.userName = "Enter the user name your team lead gave you.";
    if (strength.score < 2) errs.passphrase = `Use at least ${String(MIN_LENGTH)} characters; several words are easiest to remember.`;
    if (again !== pass) errs.again = "The two passphrases are different. Type it again.";
    setErrors(errs);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      status.value = await api().createStore(pass, user.trim());
    } catch (err: unknown) {
      const d = describeError(err);
      setErrors({ [d.field ?? "form"]: shownLine(d) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="stack" onSubmit={(e) => void submit(e)} autocomplete="off" noValidate>
      <TextField label="Your user name" value={user} onInput={setUser} autoFocus test="create-user" error={errors.userName} />
      <TextField
        label="New passphrase"
        type="password"
        value={pass}
        onInput={setPass}
        autocomplete="new-password"
        test="create-passphrase"
        hint="Four or more ordinary words work well, e.g. a short sentence only you would think of."
        error={errors.passphrase}
      />
      <div class="strength" data-score={strength.score} aria-hidden="true">
        <span class="strength__seg" />
        <span class="strength__seg" />
        <span class="strength__seg" />
        <span class="strength__seg" />
      </div>
      <p class="strength-hint small" data-level={strength.level} aria-live="polite" data-test="create-strength">
        {strength.hint}
      </p>
      <TextField
        label="Type it again"
        type="password"
        value={again}
        onInput={setAgain}
        autocomplete="new-password"
        test="create-again"
        error={errors.again}
      />
      {errors.form ? <p class="field__error">{errors.form}</p> : null}
      <button type="submit" class="btn btn--primary" disabled={busy} data-test="create-submit">
        {busy ? "Setting up…" : "Create and unlock"}
      </button>
    </form>
  );
}
