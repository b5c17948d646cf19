//! The server's sync rules, written once over a small set of storage steps
//! ([`Tx`]) that each backend implements inside one transaction.
//!
//! `push` applies mutations with [`outreach_sync::decide`]; `read` serves
//! pulls, single records and conflict resolutions. Both backends run the
//! same code, so they cannot disagree about what a push does.

mod admin;
mod merges;
mod push;
mod read;

pub(crate) use admin::{erase_client, export_client, repair_records};
pub(crate) use push::push;
pub(crate) use read::{PullWindow, digest, pull, record, resolve_conflict};

use crate::error::Result;
use crate::model::{Actor, AuditEntry, AuditRow, reads_case_records};
use crate::page::{PulledRow, UnreadableRow};
use crate::scope::{CaseloadEntry, Scope};
use chrono::{DateTime, Utc};
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{Conflict, Outcome, RecordChange};
use serde_json::{Map, Value};
use uuid::Uuid;

/// A record as stored, with the columns scope needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredRecord {
    /// Record id.
    pub id: Uuid,
    /// Kind.
    pub kind: RecordKind,
    /// The client it concerns.
    pub client_id: Option<Uuid>,
    /// Scope area key (see [`crate::scope`]).
    pub area: Option<String>,
    /// The street count it belongs to (sightings).
    pub count_id: Option<Uuid>,
    /// All fields.
    pub data: Map<String, Value>,
    /// Per-record version, bumped by every change.
    pub version: i64,
    /// Global sequence of its last change.
    pub seq: i64,
    /// Tombstone.
    pub deleted: bool,
    /// Erased by an administrator.
    pub erased: bool,
    /// Clock stamp of the last change.
    pub hlc: Hlc,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Who changed it last.
    pub updated_by: String,
    /// From which device.
    pub device: Uuid,
}

impl StoredRecord {
    /// The wire form sent by pull and `GET /records/{id}`.
    pub fn to_change(&self) -> RecordChange {
        RecordChange {
            id: self.id,
            kind: self.kind,
            client_id: self.client_id,
            data: self.data.clone(),
            version: self.version,
            seq: self.seq,
            deleted: self.deleted,
            erased: self.erased,
            hlc: self.hlc,
            updated_at: self.updated_at,
            updated_by: self.updated_by.clone(),
            area: self.area.clone(),
        }
    }
}

/// A record's id, kind and scope area: what a scope cascade rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopedRow {
    /// Record id.
    pub id: Uuid,
    /// Kind.
    pub kind: RecordKind,
    /// Scope area key.
    pub area: Option<String>,
}

/// Which records depend on another for their scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dependents {
    /// Every record about this client (the client record included).
    OfClient(Uuid),
    /// Every sighting of this street count.
    OfCount(Uuid),
}

/// A page of pull candidates: at most `limit` of each stream after a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Exclusive lower bound on `seq`.
    pub after: i64,
    /// Inclusive upper bound on `seq` (a pinned snapshot; `i64::MAX` otherwise).
    pub until: i64,
    /// Most rows wanted.
    pub limit: i64,
}

/// One visible record as the scope digest counts it.
#[derive(Debug, Clone)]
pub(crate) struct DigestRow {
    /// Record id.
    pub id: Uuid,
    /// Server version.
    pub version: i64,
    /// Tombstone.
    pub deleted: bool,
    /// Erased by an administrator (not counted).
    pub erased: bool,
    /// The scope area key it is filed under.
    pub area: Option<String>,
}

/// One client merged into another (the same person recorded twice), as
/// the `client_merges` table keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MergeLink {
    /// The merged-away client.
    pub client: Uuid,
    /// The client its `merged_into` names.
    pub into: Uuid,
    /// The client it stands for now: the end of its chain of links, or the
    /// lowest id of a cycle.
    pub person: Uuid,
}

/// The storage steps the sync rules need, all inside one transaction.
///
/// Writers call [`Tx::lock_writes`] first: it takes the sequence counter's
/// lock, held until commit, so writers are serialised and sequence numbers
/// are handed out in commit order.
pub(crate) trait Tx {
    /// Takes the write lock (the sequence counter row) until commit.
    async fn lock_writes(&mut self) -> Result<()>;
    /// The next global sequence number.
    async fn next_seq(&mut self) -> Result<i64>;
    /// Area keys covered by the teams `user_id` belongs to.
    async fn team_areas(&mut self, user_id: Uuid) -> Result<Vec<String>>;
    /// The names of the users who share a team with `user_id` (a team lead
    /// may put clients on their caseloads).
    async fn teammates(&mut self, user_id: Uuid) -> Result<Vec<String>>;
    /// Clients on `worker`'s caseload that are in force on `today`.
    async fn caseload_of(&mut self, worker: &str, today: &str) -> Result<Vec<Uuid>>;
    /// The merge links of every client that stands for the same person as
    /// one of `ids` (see [`MergeLink`]); none for a person recorded once.
    async fn merge_family(&mut self, ids: &[Uuid]) -> Result<Vec<MergeLink>>;
    /// Inserts or replaces a client's merge link.
    async fn put_merge(&mut self, link: &MergeLink) -> Result<()>;
    /// Removes a client's merge link (it stands for itself again).
    async fn remove_merge(&mut self, client: Uuid) -> Result<()>;
    /// The workers holding any of `clients` on a caseload in force on `today`.
    async fn holders(&mut self, clients: &[Uuid], today: &str) -> Result<Vec<String>>;
    /// Looks up, in one go, which of a push's mutation ids were applied
    /// before, so [`Tx::applied`] need not ask one at a time (a backend
    /// where a query costs a round trip overrides it).
    async fn prefetch_applied(&mut self, _mutation_ids: &[Uuid]) -> Result<()> {
        Ok(())
    }
    /// Reads, in one go, the records `ids` name and the clients and street
    /// counts they belong to, so the [`Tx::record`] calls of a push need not
    /// ask one at a time (a backend where a query costs a round trip
    /// overrides it). Called with the write lock held, so what it reads
    /// stays true until commit except for this transaction's own writes.
    async fn prefetch_records(&mut self, _ids: &[Uuid]) -> Result<()> {
        Ok(())
    }
    /// The stored outcome of a mutation already applied.
    async fn applied(&mut self, mutation_id: Uuid) -> Result<Option<Outcome>>;
    /// Remembers a mutation's outcome.
    async fn put_applied(
        &mut self,
        mutation_id: Uuid,
        device: Uuid,
        record_id: Uuid,
        outcome: &Outcome,
        at: DateTime<Utc>,
    ) -> Result<()>;
    /// One record, whoever may see it.
    async fn record(&mut self, id: Uuid) -> Result<Option<StoredRecord>>;
    /// Inserts or replaces a record.
    async fn put_record(&mut self, record: &StoredRecord) -> Result<()>;
    /// Records whose scope follows `of`.
    async fn dependents(&mut self, of: Dependents) -> Result<Vec<ScopedRow>>;
    /// Gives a record a new scope area and sequence number (nothing else changes).
    async fn move_record(&mut self, id: Uuid, area: Option<&str>, seq: i64) -> Result<()>;
    /// Notes that `record_id` left the scope of an area or of a worker's caseload.
    async fn put_drop(&mut self, seq: i64, record_id: Uuid, area: Option<&str>, worker: Option<&str>) -> Result<()>;
    /// The caseload entry derived from an assignment record.
    async fn caseload(&mut self, assignment_id: Uuid) -> Result<Option<CaseloadEntry>>;
    /// Inserts or replaces a caseload entry.
    async fn put_caseload(&mut self, entry: &CaseloadEntry) -> Result<()>;
    /// Removes a caseload entry.
    async fn remove_caseload(&mut self, assignment_id: Uuid) -> Result<()>;
    /// One conflict.
    async fn conflict(&mut self, id: Uuid) -> Result<Option<Conflict>>;
    /// Inserts or replaces a conflict.
    async fn put_conflict(&mut self, conflict: &Conflict, at: DateTime<Utc>) -> Result<()>;
    /// Visible records after the window's cursor, by `seq`.
    async fn records_after(&mut self, scope: &Scope, window: Window) -> Result<Vec<PulledRow>>;
    /// What the scope digest needs of every visible record up to `until`:
    /// no bodies (a digest covers a device's whole scope).
    async fn digest_rows(&mut self, scope: &Scope, until: i64) -> Result<Vec<DigestRow>>;
    /// Conflicts on visible records after the cursor, by `seq`.
    async fn conflicts_after(&mut self, scope: &Scope, window: Window) -> Result<Vec<Conflict>>;
    /// Drops for this user after the cursor, by `seq`, as (seq, record id).
    async fn drops_after(&mut self, scope: &Scope, window: Window) -> Result<Vec<(i64, Uuid)>>;
    /// How many records, conflicts and drops this user has after `after`,
    /// counting each of the three up to `cap` only (so a page costs the
    /// same however much remains).
    async fn count_after(&mut self, scope: &Scope, after: i64, until: i64, cap: i64) -> Result<i64>;
    /// The last sequence number handed out (committed, as this transaction sees it).
    async fn max_seq(&mut self) -> Result<i64>;
    /// Appends audit entries.
    async fn audit(&mut self, entries: &[AuditEntry]) -> Result<()>;
    /// Every conflict on a record, by `seq`.
    async fn conflicts_of(&mut self, record_id: Uuid) -> Result<Vec<Conflict>>;
    /// Clears a conflict's two values to `null` and closes it (resolved by
    /// `by`, unless already resolved) with sequence `seq`.
    async fn erase_conflict(&mut self, id: Uuid, by: &str, seq: i64, at: DateTime<Utc>) -> Result<()>;
    /// Every audit row about a record, oldest first.
    async fn audit_of(&mut self, record_id: Uuid) -> Result<Vec<AuditRow>>;
    /// Notes a record pull could not read (once: a record met again keeps
    /// its first note).
    async fn note_unreadable(&mut self, row: &UnreadableRow, at: DateTime<Utc>) -> Result<()>;
    /// Records noted unreadable, and every record whose clock stamp is not
    /// in its canonical text form or whose data is not a JSON object.
    async fn damaged_records(&mut self) -> Result<Vec<DamagedRecord>>;
    /// Gives a record a new clock stamp and sequence number (nothing else
    /// changes) and forgets that it was unreadable.
    async fn restamp(&mut self, id: Uuid, hlc: Hlc, seq: i64) -> Result<()>;
}

/// A record stored damaged, as `outreach-server record repair` reads it:
/// only columns that read whatever the damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DamagedRecord {
    /// Record id.
    pub id: Uuid,
    /// The clock stamp's stored text.
    pub hlc: String,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// From which device.
    pub device: Uuid,
    /// Whether its data is a JSON object.
    pub data_is_object: bool,
}

/// Loads what `actor` may see today. Roles that read no case records get
/// an empty scope without a query.
pub(crate) async fn load_scope<T: Tx>(tx: &mut T, actor: &Actor, today: &str) -> Result<Scope> {
    let mut scope =
        Scope { worker: actor.user.clone(), reads_records: reads_case_records(&actor.roles), ..Scope::default() };
    if scope.reads_records {
        scope.areas = tx.team_areas(actor.user_id).await?.into_iter().collect();
        let held = tx.caseload_of(&actor.user, today).await?;
        scope.caseload = merges::family(tx, &held).await?;
    }
    Ok(scope)
}

/// Today's date in UTC as `YYYY-MM-DD`, for caseload end dates.
pub(crate) fn day(now: DateTime<Utc>) -> String {
    now.date_naive().format("%Y-%m-%d").to_string()
}
