/**
 * Editing a client's details, safety flags and consent from the overview.
 * Sends only what changed (ClientChanges: a field left out is unchanged).
 */
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { ClientChanges, ClientOverview, ConsentPurpose, LivingSituation, Need } from "../api";
import { call, callToast, toast } from "../app/state";
import { AREAS } from "../lib/areas";
import { describeError } from "../lib/errors";
import { label, todayIso } from "../lib/format";
import { Checkbox, options, Segmented, SelectField, TextArea, TextField } from "../components/ui";

const NEEDS: Need[] = ["mental_health", "substance_use", "offending", "behavioural", "debt", "physical_health"];
const LIVING: LivingSituation[] = [
  "rough_sleeping", "night_shelter", "hostel", "emergency_accommodation", "supported_accommodation",
  "sofa_surfing", "squatting", "hospital", "prison", "asylum_accommodation", "care", "own_tenancy",
  "with_family", "other", "not_known",
];
const PURPOSES: ConsentPurpose[] = ["case_recording", "information_sharing", "referral", "case_conference", "contacting"];

const list = (s: string, sep: RegExp): string[] =>
  s.split(sep).map((x) => x.trim()).filter((x) => x !== "");
const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The changes between the overview and the edited values (empty when nothing changed). */
export function clientChanges(
  o: ClientOverview,
  v: { name: string; aliases: string; phone: string; site: string; area: string; living: LivingSituation; needs: Need[]; flags: string },
): ClientChanges {
  const p = o.profile;
  const out: ClientChanges = {};
  const text = (s: string): string | null => (s.trim() === "" ? null : s.trim());
  if (text(v.name) !== p.name) out.name = text(v.name);
  if (!sameList(list(v.aliases, /,/u), p.aliases)) out.aliases = list(v.aliases, /,/u);
  if (text(v.phone) !== p.phone) out.phone = text(v.phone);
  if (text(v.site) !== p.usualSite) out.usualSite = text(v.site);
  if (v.area !== p.area) out.area = v.area;
  if (v.living !== p.livingSituation) out.livingSituation = v.living;
  if (!sameList([...v.needs].sort(), [...p.needs].sort())) out.needs = v.needs;
  const flags = list(v.flags, /\n/u);
  if (!sameList(flags, o.safetyFlags.map((f) => f.text))) out.safetyFlags = flags;
  return out;
}

/** The changes that put back what `changes` altered, from the overview before them. */
export function undoChanges(o: ClientOverview, changes: ClientChanges): ClientChanges {
  const p = o.profile;
  const out: ClientChanges = {};
  if ("name" in changes) out.name = p.name;
  if ("aliases" in changes) out.aliases = p.aliases;
  if ("phone" in changes) out.phone = p.phone;
  if ("usualSite" in changes) out.usualSite = p.usualSite;
  if ("area" in changes) out.area = p.area;
  if ("livingSituation" in changes) out.livingSituation = p.livingSituation;
  if ("needs" in changes) out.needs = p.needs;
  if ("safetyFlags" in changes) out.safetyFlags = o.safetyFlags.map((f) => f.text);
  return out;
}

/** The edit-details form. */
export function EditClient(props: {
  o: ClientOverview;
  onDone: (saved: boolean) => void;
  onUndone: () => void;
}): JSX.Element {
  const p = props.o.profile;
  const [name, setName] = useState(p.name ?? "");
  const [aliases, setAliases] = useState(p.aliases.join(", "));
  const [phone, setPhone] = useState(p.phone ?? "");
  const [site, setSite] = useState(p.usualSite ?? "");
  const [area, setArea] = useState(p.area);
  const [living, setLiving] = useState<LivingSituation>(p.livingSituation);
  const [needs, setNeeds] = useState<Need[]>(p.needs);
  const [flags, setFlags] = useState(props.o.safetyFlags.map((f) => f.text).join("\n"));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const changes = clientChanges(props.o, { name, aliases, phone, site, area, living, needs, flags });
    if (Object.keys(changes).length === 0) {
      props.onDone(false);
      return;
    }
    setBusy(true);
    try {
      await call((b) => b.updateClient(p.id, changes));
      const undo = undoChanges(props.o, changes);
      const onUndone = props.onUndone;
      toast("Client details saved.", {
        action: {
          label: "Undo",
          run: () => {
            void callToast((b) => b.updateClient(p.id, undo)).then((r) => {
              if (r) onUndone();
            });
          },
        },
      });
      props.onDone(true);
    } catch (err: unknown) {
      const d = describeError(err);
      setError(d.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" noValidate onSubmit={(e) => void submit(e)} data-test="client-edit-form">
      <h2>Edit details</h2>
      <div class="grid-2">
        <TextField label="Name" value={name} onInput={setName} test="client-edit-name" />
        <TextField label="Also known as" value={aliases} onInput={setAliases} hint="Separate names with commas." test="client-edit-aliases" />
        <TextField label="Phone" type="tel" value={phone} onInput={setPhone} test="client-edit-phone" />
        <TextField label="Usual site" value={site} onInput={setSite} test="client-edit-site" />
        <SelectField label="Area" value={area} onChange={setArea} options={AREAS.map((a) => ({ value: a, label: a }))} test="client-edit-area" />
        <SelectField label="Living situation" value={living} onChange={setLiving} options={options(LIVING)} test="client-edit-living" />
      </div>
      <div class="segfield" role="group" aria-labelledby="edit-needs-legend">
        <span class="legend" id="edit-needs-legend">
            Areas of need
          </span>
        <div class="filters">
          {NEEDS.map((n) => (
            <Checkbox key={n} label={label(n)} checked={needs.includes(n)} test={`client-edit-need-${n}`} onChange={(v) => { setNeeds(v ? [...needs, n] : needs.filter((x) => x !== n)); }} />
          ))}
        </div>
      </div>
      <TextArea label="Safety flags" value={flags} onInput={setFlags} rows={3} hint="One per line. A flag you keep keeps who raised it and when." test="client-edit-flags" />
      {error ? <p class="field__error" role="alert">{error}</p> : null}
      <div class="row row--end">
        <button type="button" class="btn" onClick={() => { props.onDone(false); }}>
          Cancel
        </button>
        <button type="submit" class="btn btn--primary" disabled={busy} data-test="client-edit-save">
          Save changes
        </button>
      </div>
    </form>
  );
}

/** Record one consent decision (one purpose, one named agency). */
export function AddConsent(props: { o: ClientOverview; onDone: () => void }): JSX.Element {
  const [purpose, setPurpose] = useState<ConsentPurpose>("information_sharing");
  const [agency, setAgency] = useState("");
  const [given, setGiven] = useState<"yes" | "no" | "">("");
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string | undefined>();
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    if (agency.trim() === "") {
      setError("Name the agency: consent is given to one agency for one purpose, never blanket.");
      return;
    }
    if (given === "") {
      setError("Say whether the person agreed.");
      return;
    }
    const all = props.o.consents.map((c) => ({
      purpose: c.purpose,
      agency: c.agency,
      given: c.given,
      recordedOn: c.recordedOn,
      expiresOn: c.expiresOn,
    }));
    const existing = all.filter((c) => !(c.purpose === purpose && c.agency.toLowerCase() === agency.trim().toLowerCase()));
    try {
      await call((b) =>
        b.updateClient(props.o.profile.id, {
          consents: [
            ...existing,
            { purpose, agency: agency.trim(), given: given === "yes", recordedOn: todayIso(), expiresOn: expires === "" ? null : expires },
          ],
        }),
      );
      const clientId = props.o.profile.id;
      const onDone = props.onDone;
      toast(`Consent recorded: ${label(purpose).toLowerCase()} with ${agency.trim()}.`, {
        action: {
          label: "Undo",
          run: () => {
            void callToast((b) => b.updateClient(clientId, { consents: all })).then((r) => {
              if (r) onDone();
            });
          },
        },
      });
      setAgency("");
      setGiven("");
      setExpires("");
      setError(undefined);
      props.onDone();
    } catch (err: unknown) {
      setError(describeError(err).message);
    }
  };
  return (
    <details>
      <summary class="btn btn--small" data-test="consent-open">
        + Record a consent decision
      </summary>
      <form class="stack" noValidate onSubmit={(e) => void submit(e)} data-test="consent-form">
        <div class="grid-2">
          <SelectField label="Purpose" value={purpose} onChange={setPurpose} options={options(PURPOSES)} test="consent-purpose" />
          <TextField label="Agency" value={agency} onInput={setAgency} test="consent-agency" />
        </div>
        <div class="row">
          <Segmented legend="Did the person agree?" value={given} onChange={setGiven} options={[{ value: "yes", label: "Yes, agreed" }, { value: "no", label: "No, refused" }]} test="consent-given" />
          <TextField label="Until (optional)" type="date" value={expires} onInput={setExpires} min={todayIso()} test="consent-expires" />
        </div>
        {error ? <p class="field__error" role="alert">{error}</p> : null}
        <div class="row row--end">
          <button type="submit" class="btn btn--primary" data-test="consent-save">
            Record decision
          </button>
        </div>
      </form>
    </details>
  );
}
