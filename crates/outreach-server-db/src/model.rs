//! The accounts, devices and audit entries the server keeps, as the rest of
//! the server sees them.

use chrono::{DateTime, Utc};
use outreach_protocol::api::{Conflict, RecordChange, Role};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;

/// The stable tag a role is stored under (the same as on the wire).
pub fn role_tag(role: Role) -> &'static str {
    match role {
        Role::Worker => "worker",
        Role::TeamLead => "team_lead",
        Role::Admin => "admin",
        Role::Commissioner => "commissioner",
    }
}

/// Reads a tag written by [`role_tag`].
pub fn parse_role(tag: &str) -> Option<Role> {
    [Role::Worker, Role::TeamLead, Role::Admin, Role::Commissioner].into_iter().find(|r| role_tag(*r) == tag)
}

/// Whether these roles may read and change case records: workers and team
/// leads may; admin and commissioner roles alone may not.
pub fn reads_case_records(roles: &[Role]) -> bool {
    roles.iter().any(|r| matches!(r, Role::Worker | Role::TeamLead))
}

/// A team and the local authority areas it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Team id (UUID v7).
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// Areas covered, as typed when the team was made.
    pub areas: Vec<String>,
}

/// A person who signs in.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// User id (UUID v7).
    pub id: Uuid,
    /// Unique user name (what caseload assignments name as `worker`).
    pub name: String,
    /// Argon2id PHC string; never the password.
    pub password_hash: String,
    /// What the user may do.
    pub roles: Vec<Role>,
    /// Names of the teams the user belongs to.
    pub teams: Vec<String>,
    /// A disabled user cannot sign in or sync.
    pub disabled: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .field("roles", &self.roles)
            .field("teams", &self.teams)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// What is needed to make a user.
#[derive(Clone)]
pub struct NewUser {
    /// Unique user name.
    pub name: String,
    /// Argon2id PHC string from [`crate::credentials::hash_password`].
    pub password_hash: String,
    /// Roles (at least one).
    pub roles: Vec<Role>,
    /// Team names; each must exist.
    pub teams: Vec<String>,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("teams", &self.teams)
            .finish()
    }
}

/// A registered laptop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The laptop's own id (from its store).
    pub id: Uuid,
    /// The user it belongs to.
    pub user_id: Uuid,
    /// That user's name.
    pub user: String,
    /// A name IT recognises (the hostname).
    pub name: String,
    /// When it was first registered.
    pub created_at: DateTime<Utc>,
    /// When it last made an authenticated request.
    pub last_seen: Option<DateTime<Utc>>,
    /// When IT revoked it; a revoked device is refused.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why it was revoked (lost, stolen, replaced).
    pub revoke_reason: Option<String>,
}

/// What a bearer token resolves to: the device and its user's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLogin {
    /// The device.
    pub device: Device,
    /// The user's roles.
    pub roles: Vec<Role>,
    /// The user is disabled.
    pub user_disabled: bool,
}

impl DeviceLogin {
    /// The actor for requests made with this token.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.device.user_id,
            user: self.device.user.clone(),
            device: self.device.id,
            roles: self.roles.clone(),
        }
    }
}

/// Who is making a request: the user and device, as authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id.
    pub user_id: Uuid,
    /// User name.
    pub user: String,
    /// Device id.
    pub device: Uuid,
    /// The user's roles.
    pub roles: Vec<Role>,
}

/// Failed sign-ins counted against one key (a user name or an address),
/// which the server's sign-in throttle reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailures {
    /// What is counted: `user:<name>` or `address:<ip>`.
    pub key: String,
    /// Failures since `since_ms`.
    pub count: i64,
    /// The first failure counted, in milliseconds since 1970 (UTC).
    pub since_ms: i64,
}

/// One audit entry to append. Holds ids and codes, never personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (absent for the operator's command line).
    pub user: Option<String>,
    /// From which device.
    pub device: Option<Uuid>,
    /// What: `push`, `pull`, `read`, `read_denied`, `resolve_conflict`,
    /// `login`, `login_failed`, `team_add`, `user_add`, `device_revoke`...
    pub action: String,
    /// The record concerned.
    pub record_id: Option<Uuid>,
    /// More detail as JSON text (outcome codes, mutation ids).
    pub detail: Option<String>,
}

impl AuditEntry {
    /// An entry stamped now.
    pub fn now(action: &str, user: Option<&str>, device: Option<Uuid>) -> Self {
        Self {
            at: Utc::now(),
            user: user.map(str::to_string),
            device,
            action: action.to_string(),
            record_id: None,
            detail: None,
        }
    }

    /// The same entry about `record`.
    pub fn record(mut self, record: Uuid) -> Self {
        self.record_id = Some(record);
        self
    }

    /// The same entry with `detail`.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// A stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the log.
    pub id: i64,
    /// The entry.
    pub entry: AuditEntry,
}

/// Everything the server holds on one client, for a subject access
/// request: `outreach-server client export ID`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientExport {
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The client record.
    pub client: RecordChange,
    /// Every other record about the client (`client_id` is it), by `seq`.
    pub records: Vec<RecordChange>,
    /// Conflicts on the client record and those records, by `seq`.
    pub conflicts: Vec<Conflict>,
    /// Audit rows about the client record and those records, oldest first.
    pub audit: Vec<ExportedAudit>,
}

/// An audit row as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportedAudit {
    /// Position in the log.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub user: Option<String>,
    /// From which device.
    pub device: Option<Uuid>,
    /// What.
    pub action: String,
    /// The record concerned.
    pub record_id: Option<Uuid>,
    /// Detail (JSON text).
    pub detail: Option<String>,
}

impl From<AuditRow> for ExportedAudit {
    fn from(row: AuditRow) -> Self {
        let AuditEntry { at, user, device, action, record_id, detail } = row.entry;
        Self { id: row.id, at, user, device, action, record_id, detail }
    }
}

/// What an administrator's erasure did: `outreach-server client erase`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Erasure {
    /// The client.
    pub client: Uuid,
    /// Records erased now (the client record first), each with a new `seq`.
    pub records: Vec<Uuid>,
    /// Records that were already erased and were left alone.
    pub already_erased: Vec<Uuid>,
    /// Conflicts whose values were cleared.
    pub conflicts: Vec<Uuid>,
}

/// The revocation reason of the devices of a user who was disabled.
pub(crate) const DISABLED_REASON: &str = "user disabled";

/// A record pull met but could not read (see `migrations/*/0005_unreadable.sql`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableRecord {
    /// The record.
    pub id: Uuid,
    /// Its sequence number when met.
    pub seq: i64,
    /// What could not be read.
    pub reason: String,
    /// When a pull first met it.
    pub first_seen: DateTime<Utc>,
}

/// What `outreach-server record repair` did to one damaged record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repair {
    /// The record.
    pub id: Uuid,
    /// Whether it can be read and sent again now.
    pub repaired: bool,
    /// What was done, or what the administrator must do.
    pub detail: String,
}

/// Checks and trims a team, area, user or device name, the same rule on
/// every backend.
pub(crate) fn check_name(what: &str, name: &str) -> crate::Result<String> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(crate::DbError::Invalid(format!("a {what} name must be 1-200 printable characters")));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_tags_match_the_wire_form() {
        for role in [Role::Worker, Role::TeamLead, Role::Admin, Role::Commissioner] {
            assert_eq!(parse_role(role_tag(role)), Some(role));
            assert_eq!(serde_json::to_value(role).ok(), Some(serde_json::Value::from(role_tag(role))));
        }
        assert!(reads_case_records(&[Role::Admin, Role::TeamLead]));
        assert!(!reads_case_records(&[Role::Admin, Role::Commissioner]));
    }
}
