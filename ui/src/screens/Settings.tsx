/** Settings: idle lock time and theme. */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { call, setTheme, status, theme, toast } from "../app/state";
import { describeError } from "../lib/errors";
import { Segmented, SelectField } from "../components/ui";

const CHOICES = ["2", "5", "10", "15", "30", "60", "0"] as const;

/** The settings screen. */
export function SettingsScreen(): JSX.Element {
  const s = status.value;
  const [minutes, setMinutes] = useState(String(s?.idleLockMinutes ?? 10));
  const [error, setError] = useState<string | undefined>();
  const save = async (v: string): Promise<void> => {
    setMinutes(v);
    try {
      status.value = await call((b) => b.setIdleLock(Number(v)));
      setError(undefined);
      toast(v === "0" ? "Outreach will not lock itself. Lock it yourself when you step away." : `Outreach will lock after ${v} minutes without use.`);
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <div class="page settings">
      <h1>Settings</h1>
      <section class="card">
        <h2>Security</h2>
        <SelectField
          label="Lock after this long without use"
          value={CHOICES.includes(minutes as (typeof CHOICES)[number]) ? minutes : "10"}
          onChange={(v) => void save(v)}
          options={CHOICES.map((c) => ({ value: c, label: c === "0" ? "Never (not recommended)" : `${c} minutes` }))}
          test="settings-idle"
          error={error}
        />
        <p class="muted small">
          Signed in as {s?.user ?? "—"} on {s?.deviceName ?? "this computer"}. Data folder: {s?.dataDir ?? "—"}.
        </p>
      </section>
      <section class="card">
        <h2>Appearance</h2>
        <Segmented
          legend="Theme"
          value={theme.value}
          onChange={setTheme}
          options={[
            { value: "day", label: "Day (light)" },
            { value: "night", label: "Night (dark)" },
          ]}
          test="settings-theme"
        />
      </section>
    </div>
  );
}
