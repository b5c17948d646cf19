/**
 * Contact log with a quick add: purpose, notes, Ctrl+Enter. Time defaults to
 * now; a street encounter asks whether the person was bedded down.
 */
import type { JSX } from "preact";
import { useRef, useState } from "preact/hooks";
import type { ContactPurpose, ContactType } from "../api";
import { call, toast } from "../app/state";
import { describeError } from "../lib/errors";
import { label, localIso, shortDateTime } from "../lib/format";
import { isValid, validateContact, type ContactForm, type FieldErrors } from "../lib/validate";
import { Checkbox, Loaded, options, Segmented, SelectField, TextArea, TextField, useLoad } from "../components/ui";

/** The contacts tab. */
export function ContactsTab(props: { clientId: string; onChanged: () => void }): JSX.Element {
  const [load, reload] = useLoad(
    () => call((b) => b.contacts(props.clientId)).then((l) => [...l].sort((a, b) => Date.parse(b.at) - Date.parse(a.at))),
    [props.clientId],
  );
  return (
    <div class="grid-2">
      <QuickContact
        clientId={props.clientId}
        onAdded={() => {
          reload();
          props.onChanged();
        }}
      />
      <section class="card" aria-labelledby="h-contacts">
        <h2 id="h-contacts">Contacts</h2>
        <Loaded load={load} what="contacts">
          {(list) =>
            list.length === 0 ? (
              <p class="muted">No contacts yet.</p>
            ) : (
              <ol class="list" data-test="contact-list">
                {list.map((c) => (
                  <li key={c.id} class="list__item" data-test="contact-item">
                    <span class="list__meta">
                      <strong>{label(c.purpose)}</strong>· {shortDateTime(c.at)} · {label(c.contactType)} · {c.worker}
                      {c.location ? ` · ${c.location}` : ""}
                      {c.beddedDown ? <span class="badge badge--warn">Bedded down</span> : null}
                    </span>
                    <span class="readonly-text">{c.notes === "" ? "—" : c.notes}</span>
                  </li>
                ))}
              </ol>
            )
          }
        </Loaded>
      </section>
    </div>
  );
}

function QuickContact(props: { clientId: string; onAdded: () => void }): JSX.Element {
  const fresh = (): ContactForm => ({
    purpose: "key_work",
    contactType: "face_to_face",
    at: localIso(new Date()),
    notes: "",
    beddedDown: false,
  });
  const [form, setForm] = useState<ContactForm>(fresh);
  const [location, setLocation] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const notesRef = useRef<HTMLTextAreaElement>(null);
  const set = (patch: Partial<ContactForm>): void => {
    setForm({ ...form, ...patch });
  };

  const submit = async (): Promise<void> => {
    const errs = validateContact(form, localIso(new Date(Date.now() + 60_000)));
    setErrors(errs);
    if (!isValid(errs) || busy) return;
    setBusy(true);
    try {
      await call((b) =>
        b.addContact({
          clientId: props.clientId,
          purpose: form.purpose,
          contactType: form.contactType,
          at: new Date(form.at).toISOString(),
          notes: form.notes.trim(),
          location: location.trim() === "" ? null : location.trim(),
          beddedDown: form.purpose === "street_encounter" ? form.beddedDown : false,
        }),
      );
      toast(`${label(form.purpose)} recorded.`);
      setForm({ ...fresh(), purpose: form.purpose, contactType: form.contactType });
      setLocation("");
      props.onAdded();
      notesRef.current?.focus();
    } catch (err: unknown) {
      const d = describeError(err);
      setErrors({ [d.field ?? "form"]: d.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card"
      data-test="contact-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          void submit();
        }
      }}
    >
      <div class="card__head">
        <h2>Add a contact</h2>
        <span class="muted small">
          <span class="kbd">a</span> to start, <span class="kbd">Ctrl+Enter</span> to save
        </span>
      </div>
      <Segmented<ContactPurpose>
        legend="What was it?"
        value={form.purpose}
        options={options<ContactPurpose>(["key_work", "street_encounter"])}
        test="contact-purpose"
        onChange={(v) => {
          set({ purpose: v, contactType: v === "street_encounter" ? "outreach_shift" : "face_to_face" });
        }}
      />
      <TextArea label="Notes" value={form.notes} onInput={(v) => { set({ notes: v }); }} inputRef={notesRef} rows={4} test="contact-notes" error={errors.notes} />
      {form.purpose === "street_encounter" ? (
        <Checkbox label="Seen bedded down" checked={form.beddedDown} onChange={(v) => { set({ beddedDown: v }); }} test="contact-bedded" />
      ) : null}
      <div class="grid-3">
        <SelectField<ContactType>
          label="How"
          value={form.contactType}
          onChange={(v) => { set({ contactType: v }); }}
          options={options<ContactType>(["face_to_face", "phone", "outreach_shift", "other"])}
          test="contact-type"
        />
        <TextField label="When" type="datetime-local" value={form.at} onInput={(v) => { set({ at: v }); }} test="contact-at" error={errors.at} />
        <TextField label="Where (optional)" value={location} onInput={setLocation} test="contact-location" />
      </div>
      {errors.form ? <p class="field__error" role="alert">{errors.form}</p> : null}
      <div class="row row--end">
        <button type="submit" class="btn btn--primary" disabled={busy} data-test="contact-save">
          Save contact
        </button>
      </div>
    </form>
  );
}
