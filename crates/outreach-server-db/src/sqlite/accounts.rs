//! Teams, users, devices, the audit log and migrations on SQLite: plain
//! synchronous functions over a connection, called on the blocking pool.

use super::rows;
use crate::error::{DbError, Result};
use crate::migrations::{self, SQLITE};
use crate::model::check_name;
use crate::model::{
    AuditEntry, AuditRow, Device, DeviceLogin, LoginFailures, NewUser, Team, User, parse_role, role_tag,
};
use crate::scope::area_key;
use chrono::{DateTime, Utc};
use outreach_protocol::api::Role;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

/// Applies pending migrations, each in its own immediate transaction.
pub(super) fn migrate(conn: &mut Connection) -> Result<Vec<u32>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
         ) STRICT;",
    )?;
    let mut applied = Vec::new();
    for m in SQLITE {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let found: u32 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
        let supported = migrations::latest(SQLITE);
        if found > supported {
            return Err(DbError::SchemaTooNew { found, supported });
        }
        if m.version <= found {
            continue;
        }
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, Utc::now()],
        )?;
        tx.commit()?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// Makes a team and its areas.
pub(super) fn add_team(conn: &mut Connection, name: &str, areas: &[String]) -> Result<Team> {
    let name = check_name("team", name)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if tx.query_row("SELECT 1 FROM teams WHERE name = ?1", [&name], |_| Ok(())).optional()?.is_some() {
        return Err(DbError::AlreadyExists { what: "team", name });
    }
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO teams (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id.to_string(), name, Utc::now()],
    )?;
    for area in areas {
        let area = check_name("area", area)?;
        tx.execute(
            "INSERT INTO team_areas (team_id, area, area_key) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![id.to_string(), area, area_key(&area)],
        )?;
    }
    let team = team_by_id(&tx, id)?;
    tx.commit()?;
    Ok(team)
}

fn team_by_id(conn: &Connection, id: Uuid) -> Result<Team> {
    let name: String = conn.query_row("SELECT name FROM teams WHERE id = ?1", [id.to_string()], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached("SELECT area FROM team_areas WHERE team_id = ?1 ORDER BY area")?;
    let areas = stmt.query_map([id.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(Team { id, name, areas })
}

/// Every team, by name.
pub(super) fn teams(conn: &Connection) -> Result<Vec<Team>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM teams ORDER BY name")?;
    let ids: Vec<Uuid> = stmt.query_map([], |r| rows::uuid(r, 0))?.collect::<rusqlite::Result<_>>()?;
    ids.into_iter().map(|id| team_by_id(conn, id)).collect()
}

/// Makes a user with roles and team memberships.
pub(super) fn add_user(conn: &mut Connection, new: &NewUser) -> Result<User> {
    let name = check_name("user", &new.name)?;
    if new.roles.is_empty() {
        return Err(DbError::Invalid("give the user at least one role".into()));
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if tx.query_row("SELECT 1 FROM users WHERE name = ?1", [&name], |_| Ok(())).optional()?.is_some() {
        return Err(DbError::AlreadyExists { what: "user", name });
    }
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO users (id, name, password_hash, disabled, created_at) VALUES (?1, ?2, ?3, 0, ?4)",
        params![id.to_string(), name, new.password_hash, Utc::now()],
    )?;
    for role in &new.roles {
        tx.execute(
            "INSERT INTO user_roles (user_id, role) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![id.to_string(), role_tag(*role)],
        )?;
    }
    for team in &new.teams {
        let team_id: Option<String> =
            tx.query_row("SELECT id FROM teams WHERE name = ?1", [team.trim()], |r| r.get(0)).optional()?;
        let team_id = team_id.ok_or_else(|| DbError::NotFound { what: "team", name: team.clone() })?;
        tx.execute(
            "INSERT INTO team_members (team_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![team_id, id.to_string()],
        )?;
    }
    let user =
        user_where(&tx, "u.id = ?1", &id.to_string())?.ok_or_else(|| DbError::Corrupt("new user vanished".into()))?;
    tx.commit()?;
    Ok(user)
}

fn roles_of(conn: &Connection, user_id: &str) -> Result<Vec<Role>> {
    let mut stmt = conn.prepare_cached("SELECT role FROM user_roles WHERE user_id = ?1 ORDER BY role")?;
    let tags: Vec<String> = stmt.query_map([user_id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(tags.iter().filter_map(|t| parse_role(t)).collect())
}

fn user_where(conn: &Connection, condition: &str, value: &str) -> Result<Option<User>> {
    let sql = format!("SELECT u.id, u.name, u.password_hash, u.disabled, u.created_at FROM users u WHERE {condition}");
    let found = conn
        .query_row(&sql, [value], |r| {
            Ok(User {
                id: rows::uuid(r, 0)?,
                name: r.get(1)?,
                password_hash: r.get(2)?,
                roles: vec![],
                teams: vec![],
                disabled: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .optional()?;
    let Some(mut user) = found else { return Ok(None) };
    let id = user.id.to_string();
    user.roles = roles_of(conn, &id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.user_id = ?1 ORDER BY t.name",
    )?;
    user.teams = stmt.query_map([&id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(Some(user))
}

/// One user by name.
pub(super) fn user(conn: &Connection, name: &str) -> Result<Option<User>> {
    user_where(conn, "u.name = ?1", name.trim())
}

/// Every user, by name.
pub(super) fn users(conn: &Connection) -> Result<Vec<User>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM users ORDER BY name")?;
    let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        out.extend(user(conn, &name)?);
    }
    Ok(out)
}

/// Disables or re-enables a user.
pub(super) fn set_user_disabled(conn: &mut Connection, name: &str, disabled: bool) -> Result<User> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let n = tx.execute("UPDATE users SET disabled = ?2 WHERE name = ?1", params![name.trim(), disabled])?;
    if n == 0 {
        return Err(DbError::NotFound { what: "user", name: name.to_string() });
    }
    if disabled {
        // Every laptop of a disabled user is revoked: it wipes at its next
        // contact, and re-enabling the user does not bring its token back.
        tx.execute(
            "UPDATE devices SET revoked_at = ?2, revoke_reason = ?3 \
             WHERE user_id = (SELECT id FROM users WHERE name = ?1) AND revoked_at IS NULL",
            params![name.trim(), chrono::Utc::now(), crate::model::DISABLED_REASON],
        )?;
    }
    let out = user(&tx, name)?.ok_or_else(|| DbError::NotFound { what: "user", name: name.to_string() })?;
    tx.commit()?;
    Ok(out)
}

const DEVICE_COLUMNS: &str =
    "d.id, d.user_id, u.name, d.name, d.created_at, d.last_seen, d.revoked_at, d.revoke_reason, u.disabled";

fn device_row(r: &Row<'_>) -> rusqlite::Result<(Device, bool)> {
    Ok((
        Device {
            id: rows::uuid(r, 0)?,
            user_id: rows::uuid(r, 1)?,
            user: r.get(2)?,
            name: r.get(3)?,
            created_at: r.get(4)?,
            last_seen: r.get(5)?,
            revoked_at: r.get(6)?,
            revoke_reason: r.get(7)?,
        },
        r.get(8)?,
    ))
}

fn device_by_id(conn: &Connection, id: Uuid) -> Result<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = ?1");
    Ok(conn.query_row(&sql, [id.to_string()], device_row).optional()?.map(|(d, _)| d))
}

/// Registers a device or gives it a new token.
pub(super) fn register_device(
    conn: &mut Connection,
    user_id: Uuid,
    device_id: Uuid,
    name: &str,
    token_hash: &str,
) -> Result<Device> {
    let name = check_name("device", name)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    match device_by_id(&tx, device_id)? {
        Some(d) if d.revoked_at.is_some() => return Err(DbError::DeviceRevoked(device_id)),
        Some(d) if d.user_id != user_id => return Err(DbError::DeviceOfAnotherUser(device_id)),
        Some(_) => {
            tx.execute(
                "UPDATE devices SET name = ?2, token_hash = ?3, last_seen = ?4 WHERE id = ?1",
                params![device_id.to_string(), name, token_hash, Utc::now()],
            )?;
        }
        None => {
            let now = Utc::now();
            tx.execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![device_id.to_string(), user_id.to_string(), name, token_hash, now],
            )?;
        }
    }
    let device = device_by_id(&tx, device_id)?.ok_or_else(|| DbError::Corrupt("new device vanished".into()))?;
    tx.commit()?;
    Ok(device)
}

/// The device holding a token hash.
pub(super) fn device_by_token(conn: &Connection, token_hash: &str) -> Result<Option<DeviceLogin>> {
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?1");
    let Some((device, user_disabled)) = conn.query_row(&sql, [token_hash], device_row).optional()? else {
        return Ok(None);
    };
    let roles = roles_of(conn, &device.user_id.to_string())?;
    Ok(Some(DeviceLogin { device, roles, user_disabled }))
}

/// Notes when a device was last seen.
pub(super) fn touch_device(conn: &Connection, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    conn.execute("UPDATE devices SET last_seen = ?2 WHERE id = ?1", params![id.to_string(), at])?;
    Ok(())
}

/// Revokes a device (the first revocation's time is kept).
pub(super) fn revoke_device(conn: &Connection, id: Uuid, reason: Option<&str>) -> Result<Device> {
    let n = conn.execute(
        "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?2), revoke_reason = COALESCE(?3, revoke_reason) WHERE id = ?1",
        params![id.to_string(), Utc::now(), reason],
    )?;
    if n == 0 {
        return Err(DbError::NotFound { what: "device", name: id.to_string() });
    }
    device_by_id(conn, id)?.ok_or_else(|| DbError::NotFound { what: "device", name: id.to_string() })
}

/// Every device, newest first.
pub(super) fn devices(conn: &Connection) -> Result<Vec<Device>> {
    let sql = format!(
        "SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at DESC, d.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([], device_row)?;
    Ok(rows.map(|r| r.map(|(d, _)| d)).collect::<rusqlite::Result<_>>()?)
}

/// Appends audit entries.
pub(super) fn insert_audit(conn: &Connection, entries: &[AuditEntry]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO audit_log (at, user_name, device, action, record_id, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in entries {
        stmt.execute(params![
            e.at,
            e.user,
            e.device.map(|d| d.to_string()),
            e.action,
            e.record_id.map(|r| r.to_string()),
            e.detail
        ])?;
    }
    Ok(())
}

/// The last `limit` audit entries, oldest first.
pub(super) fn audit_log(conn: &Connection, record: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, user_name, device, action, record_id, detail FROM audit_log \
         WHERE ?1 IS NULL OR record_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![record.map(|r| r.to_string()), limit], |r| {
        Ok(AuditRow {
            id: r.get(0)?,
            entry: AuditEntry {
                at: r.get(1)?,
                user: r.get(2)?,
                device: rows::opt_uuid(r, 3)?,
                action: r.get(4)?,
                record_id: rows::opt_uuid(r, 5)?,
                detail: r.get(6)?,
            },
        })
    })?;
    let mut out: Vec<AuditRow> = rows.collect::<rusqlite::Result<_>>()?;
    out.reverse();
    Ok(out)
}

/// The failed sign-ins of `keys` (a JSON array of strings).
pub(super) fn login_failures(conn: &Connection, keys: &str) -> Result<Vec<LoginFailures>> {
    let mut stmt = conn.prepare_cached(
        "SELECT key, count, since_ms FROM login_failures WHERE key IN (SELECT value FROM json_each(?1))",
    )?;
    let rows =
        stmt.query_map([keys], |r| Ok(LoginFailures { key: r.get(0)?, count: r.get(1)?, since_ms: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Counts a sign-in attempt against `keys` (a JSON array of strings) and
/// returns their counts with it; see [`crate::Database::count_login_attempt`].
pub(super) fn count_login_attempt(
    conn: &mut Connection,
    keys: &str,
    now_ms: i64,
    expired_ms: i64,
) -> Result<Vec<LoginFailures>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "DELETE FROM login_failures WHERE since_ms <= ?1 AND key NOT IN (SELECT value FROM json_each(?2))",
        params![expired_ms, keys],
    )?;
    let counts = {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO login_failures (key, count, since_ms) SELECT value, 1, ?2 FROM json_each(?1) WHERE true \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN login_failures.since_ms <= ?3 THEN 1 ELSE login_failures.count + 1 END, \
             since_ms = CASE WHEN login_failures.since_ms <= ?3 THEN ?2 ELSE login_failures.since_ms END \
             RETURNING key, count, since_ms",
        )?;
        let rows = stmt.query_map(params![keys, now_ms, expired_ms], |r| {
            Ok(LoginFailures { key: r.get(0)?, count: r.get(1)?, since_ms: r.get(2)? })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.commit()?;
    Ok(counts)
}
