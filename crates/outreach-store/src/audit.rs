//! The local audit log: who read or changed which client record, and when.

use crate::error::Result;
use chrono::{DateTime, Utc};
use outreach_domain::RecordKind;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A record was shown.
    Read,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted (tombstoned).
    Delete,
    /// A signed-off record was amended.
    Amend,
    /// Clients were listed or searched (names shown).
    Search,
    /// Everything held on a client was exported (subject access).
    Export,
    /// Records were imported from a file.
    Import,
    /// A record was received from the server by sync.
    Receive,
    /// A record was removed because an administrator erased it.
    Erase,
    /// A record was removed because it left this worker's scope.
    Drop,
}

impl AuditAction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Amend => "amend",
            Self::Search => "search",
            Self::Export => "export",
            Self::Import => "import",
            Self::Receive => "receive",
            Self::Erase => "erase",
            Self::Drop => "drop",
        }
    }
}

/// One audit entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Order of entries.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub user: String,
    /// On which device.
    pub device: Uuid,
    /// What.
    pub action: String,
    /// Kind of record touched.
    pub kind: Option<String>,
    /// Record touched.
    pub record_id: Option<Uuid>,
    /// Client concerned.
    pub client_id: Option<Uuid>,
    /// Extra detail (never personal data).
    pub detail: Option<String>,
}

/// Who is acting, stamped on every entry.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User name.
    pub user: String,
    /// Device id.
    pub device: Uuid,
}

/// The statement that appends one entry: at, user, device, action, kind,
/// record, client, detail.
pub(crate) const INSERT: &str =
    "INSERT INTO audit_log (at, user_name, device, action, kind, record_id, client_id, detail)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Appends one entry (inside the caller's transaction).
pub fn record(
    conn: &Connection,
    actor: &Actor,
    action: AuditAction,
    kind: Option<RecordKind>,
    record_id: Option<Uuid>,
    client_id: Option<Uuid>,
    detail: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(INSERT)?.execute(params![
        crate::store::timestamp(Utc::now()),
        actor.user,
        actor.device.to_string(),
        action.as_str(),
        kind.map(RecordKind::as_str),
        record_id.map(|id| id.to_string()),
        client_id.map(|id| id.to_string()),
        detail,
    ])?;
    Ok(())
}

/// The latest entries, newest first, optionally for one client.
pub fn entries(conn: &Connection, client: Option<Uuid>, limit: usize) -> Result<Vec<AuditEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, user_name, device, action, kind, record_id, client_id, detail FROM audit_log
         WHERE (?1 IS NULL OR client_id = ?1) ORDER BY seq DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![client.map(|c| c.to_string()), limit as i64], |row| {
        let parse_uuid = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
        let at: String = row.get(1)?;
        Ok(AuditEntry {
            seq: row.get(0)?,
            at: DateTime::parse_from_rfc3339(&at).map(|t| t.with_timezone(&Utc)).unwrap_or_default(),
            user: row.get(2)?,
            device: parse_uuid(row.get(3)?).unwrap_or_default(),
            action: row.get(4)?,
            kind: row.get(5)?,
            record_id: parse_uuid(row.get(6)?),
            client_id: parse_uuid(row.get(7)?),
            detail: row.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
