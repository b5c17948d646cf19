/** Add a client: name (or a description when no name is given), area, needs, flags. */
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { Gender, LivingSituation, Need } from "../api";
import { call, navigate, toast } from "../app/state";
import { AREAS } from "../lib/areas";
import { describeError } from "../lib/errors";
import { label, todayIso } from "../lib/format";
import { isValid, validateClient, type FieldErrors } from "../lib/validate";
import { Checkbox, focusFirstError, options, SelectField, TextArea, TextField } from "../components/ui";

const NEEDS: Need[] = ["mental_health", "substance_use", "offending", "behavioural", "debt", "physical_health"];
const LIVING: LivingSituation[] = [
  "rough_sleeping", "night_shelter", "hostel", "emergency_accommodation", "supported_accommodation",
  "sofa_surfing", "squatting", "hospital", "prison", "own_tenancy", "with_family", "other", "not_known",
];

/** The new-client form. */
export function NewClientScreen(): JSX.Element {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [aliases, setAliases] = useState("");
  const [dob, setDob] = useState("");
  const [area, setArea] = useState<string>(AREAS[0]);
  const [gender, setGender] = useState<Gender>("not_known");
  const [living, setLiving] = useState<LivingSituation>("rough_sleeping");
  const [site, setSite] = useState("");
  const [needs, setNeeds] = useState<Need[]>([]);
  const [flags, setFlags] = useState("");
  const [consent, setConsent] = useState(true);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const errs = validateClient({ name, description, dob, area }, todayIso());
    setErrors(errs);
    if (!isValid(errs)) {
      focusFirstError(formRef.current);
      return;
    }
    setBusy(true);
    try {
      const created = await call((b) =>
        b.addClient({
          name: name.trim() === "" ? null : name.trim(),
          description: description.trim() === "" ? null : description.trim(),
          aliases: aliases.split(",").map((a) => a.trim()).filter((a) => a !== ""),
          dateOfBirth: dob === "" ? null : dob,
          area,
          gender,
          livingSituation: living,
          usualSite: site.trim() === "" ? null : site.trim(),
          needs,
          safetyFlags: flags.split("\n").map((f) => f.trim()).filter((f) => f !== ""),
          consents: consent ? [{ purpose: "case_recording", agency: "Outreach team", given: true }] : [],
          assignToMe: true,
        }),
      );
      toast(`${created.displayName} added to your caseload.`);
      navigate({ name: "client", id: created.id, tab: "overview" }, true);
    } catch (err: unknown) {
      const d = describeError(err);
      setErrors({ [d.field ?? "form"]: d.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <div class="page__head">
        <div>
          <h1>New client</h1>
          <p class="muted small">A name, or a description if the person gives none. Everything else can be added later.</p>
        </div>
      </div>
      <form
        ref={formRef}
        class="card"
        data-test="client-form"
        noValidate
        onSubmit={(e) => void submit(e)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && e.ctrlKey) void submit(e);
        }}
      >
        <div class="grid-2">
          <TextField label="Name" value={name} onInput={setName} autoFocus test="client-name" error={errors.name} hint="As the person gives it." />
          <TextField label="Description (if no name)" value={description} onInput={setDescription} test="client-description" hint="e.g. tall, red jacket, with a dog" />
          <TextField label="Also known as" value={aliases} onInput={setAliases} test="client-aliases" hint="Separate names with commas." />
          <TextField label="Date of birth" type="date" value={dob} onInput={setDob} test="client-dob" error={errors.dob} max={todayIso()} />
          <SelectField label="Area" value={area} onChange={setArea} options={AREAS.map((a) => ({ value: a, label: a }))} test="client-area" error={errors.area} />
          <SelectField label="Gender" value={gender} onChange={setGender} options={options<Gender>(["male", "female", "non_binary", "not_known"])} test="client-gender" />
          <SelectField label="Living situation" value={living} onChange={setLiving} options={options(LIVING)} test="client-living" />
          <TextField label="Usual site" value={site} onInput={setSite} test="client-site" hint="Where the person is usually found." />
        </div>
        <div class="segfield" role="group" aria-labelledby="new-needs-legend">
          <span class="legend" id="new-needs-legend">
            Areas of need
          </span>
          <div class="filters">
            {NEEDS.map((n) => (
              <Checkbox
                key={n}
                label={label(n)}
                checked={needs.includes(n)}
                test={`client-need-${n}`}
                onChange={(v) => {
                  setNeeds(v ? [...needs, n] : needs.filter((x) => x !== n));
                }}
              />
            ))}
          </div>
        </div>
        <TextArea label="Safety flags" value={flags} onInput={setFlags} rows={2} test="client-flags" hint="One per line, e.g. “Do not visit alone”. Always shown with the client." />
        <Checkbox label="The person agrees to the outreach team keeping a case record" checked={consent} onChange={setConsent} test="client-consent-given" />
        {errors.form ? <p class="field__error" role="alert">{errors.form}</p> : null}
        <div class="row row--end">
          <button type="button" class="btn" onClick={() => { history.back(); }}>
            Cancel
          </button>
          <button type="submit" class="btn btn--primary" disabled={busy} data-test="client-save">
            {busy ? "Saving…" : "Add client"}
          </button>
        </div>
      </form>
    </div>
  );
}
