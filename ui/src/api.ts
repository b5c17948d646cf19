/**
 * The single typed boundary between the web UI and the Rust shell.
 *
 * This is the ONLY module allowed to import `@tauri-apps/api` (enforced by
 * ESLint `no-restricted-imports`). Every other module goes through the
 * {@link Backend} returned by {@link backend}, so the set of commands the UI
 * can reach is visible in one place and matches the capability file
 * `src-tauri/capabilities/main.json`.
 *
 * Conventions (they mirror `crates/outreach-desk`, which serialises with
 * serde in camelCase):
 * - dates are ISO strings: `"2026-11-30"` for days (`IsoDate`), RFC 3339 for
 *   instants (`IsoDateTime`);
 * - enum values are the domain's snake_case tags (`"rough_sleeping"`);
 * - a value the store does not have is `null` in results; in inputs a field
 *   may be left out (or `null`) when not known;
 * - every failure is a {@link DeskError} with a `kind` the UI can branch on
 *   and a `message` written for a worker.
 */
import { invoke, isTauri } from "@tauri-apps/api/core";

// ---------------------------------------------------------------------------
// Basic types and enums
// ---------------------------------------------------------------------------

/** A calendar day, `YYYY-MM-DD`. */
export type IsoDate = string;
/** An instant, RFC 3339 (`2026-11-30T22:15:00Z` or with an offset). */
export type IsoDateTime = string;
/** A record id (UUID). */
export type Id = string;

/** Risk levels of a dynamic risk assessment. */
export type RiskLevel = "low" | "medium" | "high";
/** Areas of need named by the referral criteria. */
export type Need =
  | "mental_health"
  | "substance_use"
  | "offending"
  | "behavioural"
  | "debt"
  | "physical_health";
/** Where a person is living or sleeping now. */
export type LivingSituation =
  | "rough_sleeping"
  | "night_shelter"
  | "hostel"
  | "emergency_accommodation"
  | "supported_accommodation"
  | "sofa_surfing"
  | "squatting"
  | "hospital"
  | "prison"
  | "asylum_accommodation"
  | "care"
  | "own_tenancy"
  | "with_family"
  | "other"
  | "not_known";
/** Gender as the person describes it. */
export type Gender = "male" | "female" | "non_binary" | "not_known";
/** What a consent decision is for. */
export type ConsentPurpose =
  | "case_recording"
  | "information_sharing"
  | "referral"
  | "case_conference"
  | "contacting";
/** Support stages; some have a time limit. */
export type SupportStage =
  | "outreach"
  | "enablement"
  | "support"
  | "supported_accommodation"
  | "supported_housing"
  | "floating_support";
/** A referral criterion's standing. */
export type Criterion = "met" | "not_met" | "unknown";
/** How a contact happened. */
export type ContactType = "face_to_face" | "phone" | "outreach_shift" | "other";
/** What a contact was for. */
export type ContactPurpose = "key_work" | "street_encounter";
/** Risk assessment status: drafts can be edited, completed ones only amended. */
export type RiskStatus = "draft" | "completed";
/** Short or long term goal. */
export type GoalTerm = "short" | "long";
/** Progress of a goal. */
export type GoalStatus = "not_started" | "in_progress" | "achieved" | "abandoned";
/** Age bands used by count returns. */
export type AgeBand = "under18" | "from18_to25" | "from26" | "not_known";
/** Nationality groups used by count returns. */
export type Nationality = "uk" | "eu" | "non_eu" | "not_known";
/** Street count status. */
export type CountStatus = "open" | "closed";
/** Street count method. */
export type CountApproach = "count_based" | "evidence_based" | "evidence_based_with_spotlight";
/** Role of a worker on a case. */
export type CaseloadRole = "lead" | "co_worker";

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/** What went wrong, for the UI to branch on. */
export type DeskErrorKind =
  /** The store is locked (idle lock or never unlocked): show the unlock screen. */
  | "locked"
  /** The passphrase did not open the store; nothing changed. */
  | "wrong_passphrase"
  /** There is no store yet: show the create screen. */
  | "no_store"
  /** create_store on a folder that already holds a store. */
  | "store_exists"
  /** Input refused by a rule; `field` names the input when known. */
  | "invalid"
  /** No such record (or it was removed). */
  | "not_found"
  /** The server could not be reached; try again at base. */
  | "offline"
  /** Sync needs a sign-in first. */
  | "not_signed_in"
  /** This laptop was revoked by an administrator; its store was wiped. */
  | "revoked"
  /** The server refused or failed. */
  | "server"
  /** Anything else (a bug or a damaged store). */
  | "internal";

/** The plain data of a failure, as the Rust side sends it. */
export interface DeskErrorData {
  kind: DeskErrorKind;
  /** Plain words for a worker: what happened and what to do. */
  message: string;
  /** The input field at fault (camelCase name), for `invalid`. */
  field?: string | null;
}

/** Every {@link DeskErrorKind}, for telling a back-end error from anything else a call rejects with. */
export const ERROR_KINDS: readonly DeskErrorKind[] = [
  "locked",
  "wrong_passphrase",
  "no_store",
  "store_exists",
  "invalid",
  "not_found",
  "offline",
  "not_signed_in",
  "revoked",
  "server",
  "internal",
];

/** Every backend failure reaches the UI as a DeskError (an `Error`, so it can be thrown). */
export class DeskError extends Error {
  readonly kind: DeskErrorKind;
  readonly field: string | null;

  constructor(kind: DeskErrorKind, message: string, field?: string | null) {
    super(message);
    this.name = "DeskError";
    this.kind = kind;
    this.field = field ?? null;
  }

  /** Turns whatever a backend call rejected with into a DeskError. */
  static from(value: unknown): DeskError {
    if (value instanceof DeskError) {
      return value;
    }
    if (typeof value === "object" && value !== null) {
      const v = value as Record<string, unknown>;
      const kind = v.kind;
      const message = v.message;
      if (
        typeof kind === "string" &&
        (ERROR_KINDS as readonly string[]).includes(kind) &&
        typeof message === "string"
      ) {
        const field = typeof v.field === "string" ? v.field : null;
        return new DeskError(kind as DeskErrorKind, message, field);
      }
    }
    const text = value instanceof Error ? value.message : String(value);
    return new DeskError("internal", `Something went wrong inside Outreach: ${text}`);
  }
}

/** Whether `value` is a DeskError. */
export function isDeskError(value: unknown): value is DeskError {
  return value instanceof DeskError;
}

// ---------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------

/** What the shell knows before and after unlocking (never any client data). */
export interface AppStatus {
  /** A store exists in the data folder (else show "create"). */
  storeExists: boolean;
  unlocked: boolean;
  /** The worker's user name (only while unlocked). */
  user: string | null;
  /** This laptop's name (host name). */
  deviceName: string | null;
  /** The sync server saved in the store (only while unlocked). */
  serverUrl: string | null;
  /** The store holds a device token for that server (only while unlocked). */
  signedIn: boolean;
  /** Minutes of inactivity before the store locks itself (0 = never). */
  idleLockMinutes: number;
  /** Outreach version. */
  version: string;
  /** The data folder in use. */
  dataDir: string;
}

// ---------------------------------------------------------------------------
// Caseload
// ---------------------------------------------------------------------------

/** Filters for the caseload list and search; all given filters must hold. */
export interface CaseloadFilters {
  /** Only clients with at least one safety flag. */
  flagged?: boolean | null;
  /** Only clients whose risk review date has passed. */
  overdueReview?: boolean | null;
  /** Only clients whose time-limited episode ends within 14 days (or has passed its limit). */
  episodeEnding?: boolean | null;
  /** Only clients at this risk level or higher. */
  riskLevel?: RiskLevel | null;
  /** Only this area. */
  area?: string | null;
  /** Only clients with this need. */
  need?: Need | null;
  /** Include closed cases (default false). */
  includeClosed?: boolean | null;
}

/** Whose clients: the worker's own caseload or everyone's in the store. */
export type CaseloadScope = "mine" | "team";

/** One page of the caseload list. */
export interface CaseloadQuery {
  scope: CaseloadScope;
  filters: CaseloadFilters;
  offset: number;
  limit: number;
}

/** What a list row or search result shows about one client. */
export interface ClientSummary {
  id: Id;
  /** Name, or "(unnamed) description" for a person not yet named. */
  displayName: string;
  /** Other names the person is known by. */
  aliases: string[];
  dateOfBirth: IsoDate | null;
  area: string;
  needs: Need[];
  /** Safety warnings: always shown with the client. */
  safetyFlags: string[];
  /** Highest level on the latest completed risk assessment. */
  riskLevel: RiskLevel | null;
  reviewDue: IsoDate | null;
  reviewOverdue: boolean;
  episodeStage: SupportStage | null;
  /** Last day the current time-limited episode may run. */
  episodeEnd: IsoDate | null;
  /** The episode ends within 14 days or has passed its limit. */
  episodeEnding: boolean;
  lastContactAt: IsoDateTime | null;
  /** Workers holding the case. */
  workers: string[];
  /** The first worker holding the case (lead), if any. */
  assignedWorker: string | null;
  closedOn: IsoDate | null;
  /** Search relevance, 1 = exact (search results only). */
  score: number | null;
}

/** A caseload page and the number of clients passing the filters. */
export interface CaseloadPage {
  clients: ClientSummary[];
  total: number;
}

// ---------------------------------------------------------------------------
// Client
// ---------------------------------------------------------------------------

/** A safety warning. */
export interface SafetyFlag {
  text: string;
  raisedOn: IsoDate;
  raisedBy: string;
}

/** One consent decision: one purpose, one agency. */
export interface Consent {
  purpose: ConsentPurpose;
  agency: string;
  given: boolean;
  recordedOn: IsoDate;
  expiresOn: IsoDate | null;
  recordedBy: string;
  /** Given and in force today. */
  inForce: boolean;
}

/** Who referred the person and when. */
export interface Referral {
  source: string;
  date: IsoDate;
}

/** An age estimate anchored to the day it was given. */
export interface ApproximateAge {
  years: number;
  asOf: IsoDate;
}

/** The person's details. */
export interface ClientProfile {
  id: Id;
  name: string | null;
  aliases: string[];
  description: string | null;
  usualSite: string | null;
  dateOfBirth: IsoDate | null;
  approximateAge: ApproximateAge | null;
  /** Age today, from the date of birth or the estimate. */
  age: number | null;
  gender: Gender;
  phone: string | null;
  email: string | null;
  lastKnownAddress: string | null;
  area: string;
  needs: Need[];
  livingSituation: LivingSituation;
  /** The worker's judgement where the living situation alone does not settle it. */
  housingDifficulty: boolean | null;
  referral: Referral | null;
  closedOn: IsoDate | null;
  updatedAt: IsoDateTime;
  updatedBy: string;
  /** Record version (increases with every saved change). */
  version: number;
}

/** One referral criterion and whether it is met. */
export interface EligibilityCriterion {
  key: "adult" | "housing_difficulty" | "multiple_needs";
  /** Plain label, e.g. "Aged 18 or over". */
  label: string;
  status: Criterion;
  /** Why, in plain words. */
  detail: string;
}

/** The referral criteria for this client. */
export interface Eligibility {
  overall: Criterion;
  criteria: EligibilityCriterion[];
  /** Which of the four core needs are recorded. */
  coreNeedsMet: Need[];
}

/** The support episode against its time limit. */
export interface EpisodeView {
  stage: SupportStage;
  startedOn: IsoDate;
  endedOn: IsoDate | null;
  /** Last day the stage's time limit allows (null when the stage has none). */
  limitEnd: IsoDate | null;
  status: "no_limit" | "within" | "nearing_end" | "exceeded" | "ended";
  daysLeft: number | null;
  daysOver: number | null;
}

/** A risk review's standing. */
export interface ReviewView {
  status: "current" | "due_soon" | "overdue";
  due: IsoDate;
  /** Days left (current, due_soon) or days over (overdue). */
  days: number;
}

/** One risk rating. */
export interface RiskRating {
  level: RiskLevel;
  notes: string | null;
}

/** A dynamic risk assessment. */
export interface RiskAssessment {
  id: Id;
  clientId: Id;
  assessedAt: IsoDateTime;
  assessor: string;
  toSelf: RiskRating;
  toOthers: RiskRating;
  fromOthers: RiskRating;
  safeguarding: RiskRating;
  /** Highest of the four levels. */
  highest: RiskLevel;
  triggers: string | null;
  protectiveFactors: string | null;
  safetyPlan: string | null;
  reviewDue: IsoDate;
  review: ReviewView;
  status: RiskStatus;
  /** The assessment this one corrects, if it is an amendment. */
  amends: Id | null;
  /**
   * The amendment that corrects this one (then it is no longer current).
   * Always sent by the Rust side; optional so older stand-ins still type-check.
   */
  supersededBy?: Id | null;
  updatedAt: IsoDateTime;
}

/** A worker's assignment to the case. */
export interface CaseloadAssignment {
  worker: string;
  role: CaseloadRole;
  startedOn: IsoDate;
  endedOn: IsoDate | null;
}

/** A short summary of the action plan for the overview. */
export interface PlanSummary {
  /** Whether a plan exists. */
  exists: boolean;
  agencies: string[];
  summary: string | null;
  openGoals: number;
  achievedGoals: number;
  /** Earliest target date of an open goal. */
  nextTargetDate: IsoDate | null;
}

/** A contact (key-work session or street encounter). */
export interface Contact {
  id: Id;
  clientId: Id;
  at: IsoDateTime;
  location: string | null;
  contactType: ContactType;
  purpose: ContactPurpose;
  worker: string;
  notes: string;
  outcome: string | null;
  livingSituation: LivingSituation;
  beddedDown: boolean;
  amends: Id | null;
}

/** Everything the client page shows first. */
export interface ClientOverview {
  profile: ClientProfile;
  displayName: string;
  safetyFlags: SafetyFlag[];
  eligibility: Eligibility;
  consents: Consent[];
  episode: EpisodeView | null;
  latestRisk: RiskAssessment | null;
  /** Review standing of the latest completed assessment. */
  review: ReviewView | null;
  draftRisks: RiskAssessment[];
  plan: PlanSummary;
  /** The 20 most recent contacts, newest first. */
  recentContacts: Contact[];
  workers: CaseloadAssignment[];
  /** The merged-away id that was opened, when this page shows its survivor. */
  openedAs: Id | null;
  /** Clients merged into this one (their records show here too). */
  mergedFrom: MergedFrom[];
}

/** A client merged into the one shown. */
export interface MergedFrom {
  id: Id;
  displayName: string;
  /** Merged straight into this client, so the merge can be undone here. */
  canUndo: boolean;
}

/** Two clients that may be the same person, and why. */
export interface DuplicatePair {
  clientId: Id;
  clientName: string;
  otherId: Id;
  otherName: string;
  /** 0 to 100: how alike. */
  score: number;
  /** The evidence in plain words ("names alike: Jon Smith / John Smith", "same area"). */
  reasons: string[];
}

/** Two client records side by side, for deciding whether to merge. */
export interface DuplicateComparison {
  left: ClientProfile;
  leftContacts: number;
  right: ClientProfile;
  rightContacts: number;
  score: number;
  reasons: string[];
  /** Why they cannot be the same person, when they cannot. */
  ruledOut: string | null;
}

/** What a merge did, so the UI can offer to undo it. */
export interface MergeDone {
  /** The client merged away (undo takes this id). */
  mergedId: Id;
  /** The survivor's page. */
  survivor: ClientOverview;
}

/** A consent decision to record. */
export interface ConsentInput {
  purpose: ConsentPurpose;
  /** One named agency (no blanket consent). */
  agency: string;
  given: boolean;
  /** Default today. */
  recordedOn?: IsoDate | null;
  expiresOn?: IsoDate | null;
}

/** A support episode to record. */
export interface EpisodeInput {
  stage: SupportStage;
  startedOn: IsoDate;
  endedOn?: IsoDate | null;
}

/** A new client. Give a name, an alias or a description. */
export interface ClientInput {
  name?: string | null;
  aliases?: string[] | null;
  description?: string | null;
  usualSite?: string | null;
  dateOfBirth?: IsoDate | null;
  /** Estimated age in years when the date of birth is not known. */
  approximateAge?: number | null;
  gender?: Gender | null;
  phone?: string | null;
  email?: string | null;
  lastKnownAddress?: string | null;
  area: string;
  needs?: Need[] | null;
  livingSituation?: LivingSituation | null;
  housingDifficulty?: boolean | null;
  referralSource?: string | null;
  referralDate?: IsoDate | null;
  /** Warning texts. */
  safetyFlags?: string[] | null;
  consents?: ConsentInput[] | null;
  episode?: EpisodeInput | null;
  /** Put the client on the signed-in worker's caseload (default true). */
  assignToMe?: boolean | null;
}

/**
 * Changes to a client. A field left out is unchanged; `null` clears it.
 * Lists (aliases, needs, safetyFlags, consents) replace the whole list;
 * a kept safety flag keeps who raised it and when.
 */
export interface ClientChanges {
  name?: string | null;
  aliases?: string[];
  description?: string | null;
  usualSite?: string | null;
  dateOfBirth?: IsoDate | null;
  approximateAge?: number | null;
  gender?: Gender;
  phone?: string | null;
  email?: string | null;
  lastKnownAddress?: string | null;
  area?: string;
  needs?: Need[];
  livingSituation?: LivingSituation;
  housingDifficulty?: boolean | null;
  safetyFlags?: string[];
  consents?: ConsentInput[];
  episode?: EpisodeInput | null;
  closedOn?: IsoDate | null;
}

/** One audit entry about a client (the history tab). */
export interface AuditEntry {
  at: IsoDateTime;
  user: string;
  /** read, create, update, amend, delete, receive, export... */
  action: string;
  /** Plain description, e.g. "Updated risk assessment". */
  summary: string;
  kind: string | null;
  recordId: Id | null;
  detail: string | null;
}

// ---------------------------------------------------------------------------
// Risk
// ---------------------------------------------------------------------------

/** A rating to record. */
export interface RiskRatingInput {
  level: RiskLevel;
  notes?: string | null;
}

/** A risk assessment to save (as a draft) or to amend a completed one with. */
export interface RiskInput {
  clientId: Id;
  /** Give the id of a draft to update it; leave out to start a new draft. */
  id?: Id | null;
  toSelf: RiskRatingInput;
  toOthers: RiskRatingInput;
  fromOthers: RiskRatingInput;
  safeguarding: RiskRatingInput;
  triggers?: string | null;
  protectiveFactors?: string | null;
  safetyPlan?: string | null;
  /** Default: 4 weeks ahead, 1 week if any level is high. */
  reviewDue?: IsoDate | null;
}

// ---------------------------------------------------------------------------
// Action plan
// ---------------------------------------------------------------------------

/** The plan itself. */
export interface ActionPlanView {
  id: Id;
  startedOn: IsoDate;
  agencies: string[];
  summary: string | null;
}

/** A goal on the plan. */
export interface Goal {
  id: Id;
  planId: Id;
  text: string;
  term: GoalTerm;
  targetDate: IsoDate | null;
  /** Who owns it: a worker, the client or an agency. */
  owner: string;
  outcomeArea: string | null;
  status: GoalStatus;
  /** Open and past its target date. */
  overdue: boolean;
}

/** An outcome area of the 1–10 scale. */
export interface OutcomeAreaInfo {
  key: string;
  label: string;
}

/** One recorded score. */
export interface OutcomeScore {
  id: Id;
  area: string;
  areaLabel: string;
  /** 1–10. */
  score: number;
  /** The stage the score falls in ("Making progress"...). */
  stage: string;
  recordedOn: IsoDate;
  recordedBy: string;
}

/** A case conference. */
export interface CaseConference {
  id: Id;
  heldOn: IsoDate;
  attendees: string[];
  notes: string;
}

/** The plan tab. */
export interface ActionPlan {
  plan: ActionPlanView | null;
  goals: Goal[];
  /** Oldest first, for plotting per area. */
  scores: OutcomeScore[];
  areas: OutcomeAreaInfo[];
  /** Newest first. */
  conferences: CaseConference[];
}

/** Create the plan or change its agencies and summary. */
export interface PlanInput {
  clientId: Id;
  agencies: string[];
  summary?: string | null;
}

/** A new goal (a plan is started if the client has none). */
export interface GoalInput {
  clientId: Id;
  text: string;
  term: GoalTerm;
  targetDate?: IsoDate | null;
  /** Default: the signed-in worker. */
  owner?: string | null;
  outcomeArea?: string | null;
}

/** Changes to a goal; a field left out is unchanged, `null` clears it. */
export interface GoalChanges {
  text?: string;
  term?: GoalTerm;
  targetDate?: IsoDate | null;
  owner?: string;
  outcomeArea?: string | null;
  status?: GoalStatus;
}

/** A 1–10 score to record. */
export interface OutcomeScoreInput {
  clientId: Id;
  area: string;
  score: number;
  /** Default today. */
  recordedOn?: IsoDate | null;
}

/** A case conference to record. */
export interface CaseConferenceInput {
  clientId: Id;
  /** Default today. */
  heldOn?: IsoDate | null;
  attendees: string[];
  notes: string;
}

// ---------------------------------------------------------------------------
// Contacts
// ---------------------------------------------------------------------------

/** A contact to record. */
export interface ContactInput {
  clientId: Id;
  /** Default now. */
  at?: IsoDateTime | null;
  location?: string | null;
  /** Default: outreach_shift for a street encounter, face_to_face for key work. */
  contactType?: ContactType | null;
  purpose: ContactPurpose;
  notes: string;
  outcome?: string | null;
  /** Default: the client's current living situation. */
  livingSituation?: LivingSituation | null;
  /** Seen bedded down (implies rough_sleeping). */
  beddedDown?: boolean | null;
}

// ---------------------------------------------------------------------------
// Street count
// ---------------------------------------------------------------------------

/** A street count. */
export interface StreetCount {
  id: Id;
  area: string;
  nightOf: IsoDate;
  windowStart: IsoDateTime;
  windowEnd: IsoDateTime;
  team: string[];
  approach: CountApproach;
  status: CountStatus;
  closedAt: IsoDateTime | null;
  /** Sightings recorded so far. */
  sightings: number;
}

/** Start a count (or join: counts() lists the open ones). */
export interface StartCountInput {
  area: string;
  /** Default: tonight (today). */
  nightOf?: IsoDate | null;
  /** Default: now. */
  windowStart?: IsoDateTime | null;
  /** Default: 6 hours after the start. */
  windowEnd?: IsoDateTime | null;
  /** Default: the signed-in worker. */
  team?: string[] | null;
  approach?: CountApproach | null;
}

/** A sighting to record. */
export interface SightingInput {
  location: string;
  gender?: Gender | null;
  ageBand?: AgeBand | null;
  nationality?: Nationality | null;
  /** Default true. */
  roughSleeping?: boolean | null;
  /** Default: true when a client is linked, else false. */
  knownToServices?: boolean | null;
  clientId?: Id | null;
  /** Another sighting on this count that is the same person. */
  sameAs?: Id | null;
  notes?: string | null;
  /** Default now. */
  seenAt?: IsoDateTime | null;
}

/** A recorded sighting. */
export interface Sighting {
  id: Id;
  countId: Id;
  seenAt: IsoDateTime;
  location: string;
  gender: Gender;
  ageBand: AgeBand;
  nationality: Nationality;
  roughSleeping: boolean;
  knownToServices: boolean;
  clientId: Id | null;
  /** Display name of the linked client. */
  clientName: string | null;
  sameAs: Id | null;
  notes: string | null;
  recordedBy: string;
}

/** Two sightings that may be the same person. */
export interface PossibleDuplicate {
  a: Id;
  b: Id;
  reason: "same_client" | "alike_and_nearby";
}

/** A count's running tally (and its return once closed). */
export interface CountTally {
  count: StreetCount;
  /** People counted, each once (rough sleeping only). */
  total: number;
  /** Sightings recorded. */
  sightings: number;
  duplicatesRemoved: number;
  byGender: Partial<Record<Gender, number>>;
  byAgeBand: Partial<Record<AgeBand, number>>;
  byNationality: Partial<Record<Nationality, number>>;
  possibleDuplicates: PossibleDuplicate[];
  /** The sightings, in the order seen. */
  sightingList: Sighting[];
}

// ---------------------------------------------------------------------------
// Sync
// ---------------------------------------------------------------------------

/** Sync state shown in the status bar. */
export type SyncState = "offline" | "idle" | "syncing" | "error" | "revoked";

/** Progress of a running sync. */
export interface SyncProgress {
  phase: "push" | "pull";
  /** Changes sent so far. */
  sent: number;
  /** Records received so far. */
  received: number;
  /** 0–100 through the current phase. */
  percent: number;
}

/** Cheap to ask for; the UI polls it every second or two. */
export interface SyncStatus {
  state: SyncState;
  progress: SyncProgress | null;
  lastSyncedAt: IsoDateTime | null;
  signedIn: boolean;
  serverUrl: string | null;
  /** Local changes waiting to be sent. */
  pending: number;
  /** Conflicts waiting for a person to choose. */
  conflicts: number;
  /** Changes the server refused (kept, never dropped). */
  needsAttention: number;
  /** Plain words about the last outcome or the current error. */
  message: string | null;
  /**
   * When automatic sync next tries (a run, or while offline a cheap check
   * whether the server answers); null while syncing, when automatic sync is
   * off, or while not signed in.
   */
  nextAttemptAt: IsoDateTime | null;
  /** Automatic sync is on for this session. */
  automatic: boolean;
}

/** The result of signing in at base. */
export interface SignInResult {
  serverUrl: string;
  user: string;
  deviceId: Id;
  teams: string[];
}

/** A field two people changed differently. */
export interface Conflict {
  id: Id;
  recordId: Id;
  /** Record kind, e.g. "client", "goal". */
  kind: string;
  /** The client the record is about, if any. */
  clientId: Id | null;
  clientName: string | null;
  /** Field name as stored (snake_case). */
  field: string;
  /** Plain label of the field. */
  fieldLabel: string;
  /** The value the record has now (JSON). */
  kept: unknown;
  /** The value that was not applied (JSON). */
  other: unknown;
  /** Both values as readable text. */
  keptText: string;
  otherText: string;
  /** Who made the other change and on which device. */
  otherUser: string;
  otherDevice: Id;
  /** When the other change was made (their clock). */
  otherAt: IsoDateTime;
  resolvedBy: string | null;
}

/** A local change the server refused; kept until dealt with. */
export interface NeedsAttention {
  mutationId: Id;
  recordId: Id;
  kind: string;
  /** create, update or delete. */
  op: string;
  /** The fields the change set. */
  changes: Record<string, unknown>;
  madeAt: IsoDateTime;
  /** The server's stable code (signed_off, unknown_record, erased...). */
  code: string;
  /** What happened and what to do. */
  reason: string;
  rejectedAt: IsoDateTime;
}

// ---------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------

/** Caseload size of one worker. */
export interface WorkerCaseload {
  worker: string;
  clients: number;
  highRisk: number;
  overdueReviews: number;
}

/** A client whose risk review date has passed. */
export interface OverdueReview {
  clientId: Id;
  displayName: string;
  worker: string | null;
  reviewDue: IsoDate;
  daysOver: number;
}

/** Contacts in one week (Monday start). */
export interface WeekContacts {
  weekStart: IsoDate;
  contacts: number;
  keyWork: number;
  streetEncounters: number;
}

/** Street count totals for one area. */
export interface AreaCountTotals {
  area: string;
  counts: number;
  /** People counted on the latest closed count. */
  latestTotal: number | null;
  latestNightOf: IsoDate | null;
  /** People counted over all closed counts. */
  totalPeople: number;
}

/** The team lead's report, computed locally from the store. */
export interface TeamReport {
  generatedAt: IsoDateTime;
  caseloads: WorkerCaseload[];
  /** Open clients with no worker. */
  unassigned: number;
  overdueReviews: OverdueReview[];
  /** The last 12 weeks, oldest first. */
  contactsPerWeek: WeekContacts[];
  countTotals: AreaCountTotals[];
}

/** Which table to export as CSV. */
export type ReportKind = "caseloads" | "overdue_reviews" | "contacts_per_week" | "count_totals";

/** A written CSV file. */
export interface ExportResult {
  /** Absolute path under the data folder's `exports/`. */
  path: string;
  rows: number;
}

// ---------------------------------------------------------------------------
// The backend interface
// ---------------------------------------------------------------------------

/** Everything the UI can ask of the back end: one method per command. */
export interface Backend {
  // Session
  appStatus(): Promise<AppStatus>;
  createStore(passphrase: string, userName: string): Promise<AppStatus>;
  unlock(passphrase: string): Promise<AppStatus>;
  lock(): Promise<void>;
  setIdleLock(minutes: number): Promise<AppStatus>;
  /** Tells the back end the worker is active (typing, clicking) so it does not idle-lock. */
  touch(): Promise<void>;
  // Caseload
  caseload(query: CaseloadQuery): Promise<CaseloadPage>;
  searchClients(query: string, filters: CaseloadFilters, limit: number): Promise<ClientSummary[]>;
  // Client
  clientOverview(id: Id): Promise<ClientOverview>;
  addClient(input: ClientInput): Promise<ClientSummary>;
  updateClient(id: Id, changes: ClientChanges): Promise<ClientOverview>;
  clientHistory(id: Id): Promise<AuditEntry[]>;
  // Possible duplicates (the same person recorded twice)
  duplicateSuggestions(): Promise<DuplicatePair[]>;
  clientDuplicates(id: Id): Promise<DuplicatePair[]>;
  compareClients(left: Id, right: Id): Promise<DuplicateComparison>;
  /** Merges `merged` into `into` (the survivor); undo with {@link Backend.unmergeClient}. */
  mergeClients(merged: Id, into: Id): Promise<MergeDone>;
  unmergeClient(id: Id): Promise<ClientOverview>;
  /** Records that two clients are not the same person, so the pair is not suggested again. */
  dismissDuplicate(clientId: Id, otherId: Id): Promise<void>;
  // Risk
  /** Every version, newest first, amended originals included (marked `supersededBy`). */
  riskAssessments(clientId: Id): Promise<RiskAssessment[]>;
  saveRisk(input: RiskInput): Promise<RiskAssessment>;
  completeRisk(id: Id): Promise<RiskAssessment>;
  amendRisk(id: Id, input: RiskInput): Promise<RiskAssessment>;
  // Plan
  actionPlan(clientId: Id): Promise<ActionPlan>;
  savePlan(input: PlanInput): Promise<ActionPlanView>;
  addGoal(input: GoalInput): Promise<Goal>;
  updateGoal(id: Id, changes: GoalChanges): Promise<Goal>;
  recordOutcomeScore(input: OutcomeScoreInput): Promise<OutcomeScore>;
  addCaseConference(input: CaseConferenceInput): Promise<CaseConference>;
  // Contacts
  contacts(clientId: Id): Promise<Contact[]>;
  addContact(input: ContactInput): Promise<Contact>;
  // Street count
  counts(): Promise<StreetCount[]>;
  startCount(input: StartCountInput): Promise<StreetCount>;
  recordSighting(countId: Id, input: SightingInput): Promise<Sighting>;
  countTally(countId: Id): Promise<CountTally>;
  closeCount(countId: Id): Promise<CountTally>;
  // Sync
  syncStatus(): Promise<SyncStatus>;
  signIn(serverUrl: string, userName: string, password: string): Promise<SignInResult>;
  syncNow(): Promise<SyncStatus>;
  conflicts(): Promise<Conflict[]>;
  resolveConflict(id: Id, value: unknown): Promise<void>;
  needsAttention(): Promise<NeedsAttention[]>;
  // Reports
  teamReport(): Promise<TeamReport>;
  exportReportCsv(kind: ReportKind): Promise<ExportResult>;
}

// ---------------------------------------------------------------------------
// The Tauri implementation
// ---------------------------------------------------------------------------

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error: unknown) {
    throw DeskError.from(error);
  }
}

/** The real back end: Tauri commands of `src-tauri` (argument names camelCase). */
export const tauriBackend: Backend = {
  appStatus: () => call("app_status"),
  createStore: (passphrase, userName) => call("create_store", { passphrase, userName }),
  unlock: (passphrase) => call("unlock", { passphrase }),
  lock: () => call("lock"),
  setIdleLock: (minutes) => call("set_idle_lock", { minutes }),
  touch: () => call("touch"),
  caseload: (query) => call("caseload", { query }),
  searchClients: (query, filters, limit) => call("search_clients", { query, filters, limit }),
  clientOverview: (id) => call("client_overview", { id }),
  addClient: (input) => call("add_client", { input }),
  updateClient: (id, changes) => call("update_client", { id, changes }),
  clientHistory: (id) => call("client_history", { id }),
  duplicateSuggestions: () => call("duplicate_suggestions"),
  clientDuplicates: (id) => call("client_duplicates", { id }),
  compareClients: (left, right) => call("compare_clients", { left, right }),
  mergeClients: (merged, into) => call("merge_clients", { merged, into }),
  unmergeClient: (id) => call("unmerge_client", { id }),
  dismissDuplicate: (clientId, otherId) => call("dismiss_duplicate", { clientId, otherId }),
  riskAssessments: (clientId) => call("risk_assessments", { clientId }),
  saveRisk: (input) => call("save_risk", { input }),
  completeRisk: (id) => call("complete_risk", { id }),
  amendRisk: (id, input) => call("amend_risk", { id, input }),
  actionPlan: (clientId) => call("action_plan", { clientId }),
  savePlan: (input) => call("save_plan", { input }),
  addGoal: (input) => call("add_goal", { input }),
  updateGoal: (id, changes) => call("update_goal", { id, changes }),
  recordOutcomeScore: (input) => call("record_outcome_score", { input }),
  addCaseConference: (input) => call("add_case_conference", { input }),
  contacts: (clientId) => call("contacts", { clientId }),
  addContact: (input) => call("add_contact", { input }),
  counts: () => call("counts"),
  startCount: (input) => call("start_count", { input }),
  recordSighting: (countId, input) => call("record_sighting", { countId, input }),
  countTally: (countId) => call("count_tally", { countId }),
  closeCount: (countId) => call("close_count", { countId }),
  syncStatus: () => call("sync_status"),
  signIn: (serverUrl, userName, password) => call("sign_in", { serverUrl, userName, password }),
  syncNow: () => call("sync_now"),
  conflicts: () => call("conflicts"),
  resolveConflict: (id, value) => call("resolve_conflict", { id, value }),
  needsAttention: () => call("needs_attention"),
  teamReport: () => call("team_report"),
  exportReportCsv: (kind) => call("export_report_csv", { kind }),
};

// ---------------------------------------------------------------------------
// Choosing the back end
// ---------------------------------------------------------------------------

/** Whether the page is running inside the Tauri shell (false in a plain browser / tests). */
export function inShell(): boolean {
  return isTauri();
}

let standIn: Backend | null = null;

/**
 * Registers the back end to use outside the Tauri shell (the stand-in in
 * `src/standin/`, used by Vitest and the headless-Chromium run). Inside the
 * shell the Tauri back end is always used.
 */
export function useBackend(b: Backend): void {
  standIn = b;
}

/** The back end for this page: Tauri inside the shell, else the registered stand-in. */
export function backend(): Backend {
  if (isTauri()) {
    return tauriBackend;
  }
  if (standIn === null) {
    throw new DeskError(
      "internal",
      "No back end: this page is not running inside Outreach and no stand-in was registered.",
    );
  }
  return standIn;
}

/** Version of the `outreach-app` shell crate (Tauri command `app_version`). */
export async function appVersion(): Promise<string> {
  return call<string>("app_version");
}
