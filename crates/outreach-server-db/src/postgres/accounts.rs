//! Teams, users, devices, the audit log and migrations on PostgreSQL.

use crate::error::{DbError, Result};
use crate::migrations::{self, POSTGRES};
use crate::model::check_name;
use crate::model::{
    AuditEntry, AuditRow, Device, DeviceLogin, LoginFailures, NewUser, Team, User, parse_role, role_tag,
};
use crate::scope::area_key;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use outreach_protocol::api::Role;
use tokio_postgres::Row;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

/// A lock key only `migrate` takes, so two servers never migrate at once.
const MIGRATION_LOCK: i64 = 0x6f75_7472_6561_6368;

/// Applies pending migrations, each in its own transaction.
pub(super) async fn migrate(client: &mut deadpool_postgres::Object) -> Result<Vec<u32>> {
    let mut applied = Vec::new();
    for m in POSTGRES {
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await?;
        let found: i32 =
            tx.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[]).await?.try_get(0)?;
        let found = u32::try_from(found).unwrap_or(0);
        let supported = migrations::latest(POSTGRES);
        if found > supported {
            return Err(DbError::SchemaTooNew { found, supported });
        }
        if m.version <= found {
            continue;
        }
        tx.batch_execute(m.sql).await?;
        let version = i32::try_from(m.version).map_err(|e| DbError::Invalid(e.to_string()))?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[&version, &m.name]).await?;
        tx.commit().await?;
        applied.push(m.version);
    }
    Ok(applied)
}

/// Maps a unique-key violation to [`DbError::AlreadyExists`].
fn taken(what: &'static str, name: &str) -> impl FnOnce(tokio_postgres::Error) -> DbError {
    let name = name.to_string();
    move |e| {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) { DbError::AlreadyExists { what, name } } else { e.into() }
    }
}

/// Makes a team and its areas.
pub(super) async fn add_team(client: &mut deadpool_postgres::Object, name: &str, areas: &[String]) -> Result<Team> {
    let name = check_name("team", name)?;
    let areas = areas.iter().map(|a| check_name("area", a)).collect::<Result<Vec<_>>>()?;
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)", &[&id, &name, &Utc::now()])
        .await
        .map_err(taken("team", &name))?;
    for area in &areas {
        tx.execute(
            "INSERT INTO team_areas (team_id, area, area_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&id, area, &area_key(area)],
        )
        .await?;
    }
    let team = team_by_id(&tx, id).await?;
    tx.commit().await?;
    Ok(team)
}

async fn team_by_id(client: &impl GenericClient, id: Uuid) -> Result<Team> {
    let name: String = client.query_one("SELECT name FROM teams WHERE id = $1", &[&id]).await?.try_get(0)?;
    let rows = client.query("SELECT area FROM team_areas WHERE team_id = $1 ORDER BY area", &[&id]).await?;
    let areas = rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
    Ok(Team { id, name, areas })
}

/// Every team, by name.
pub(super) async fn teams(client: &impl GenericClient) -> Result<Vec<Team>> {
    let rows = client.query("SELECT id FROM teams ORDER BY name", &[]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(team_by_id(client, r.try_get(0)?).await?);
    }
    Ok(out)
}

/// Makes a user with roles and team memberships.
pub(super) async fn add_user(client: &mut deadpool_postgres::Object, new: &NewUser) -> Result<User> {
    let name = check_name("user", &new.name)?;
    if new.roles.is_empty() {
        return Err(DbError::Invalid("give the user at least one role".into()));
    }
    let tx = client.transaction().await?;
    let id = Uuid::now_v7();
    tx.execute(
        "INSERT INTO users (id, name, password_hash, disabled, created_at) VALUES ($1, $2, $3, FALSE, $4)",
        &[&id, &name, &new.password_hash, &Utc::now()],
    )
    .await
    .map_err(taken("user", &name))?;
    for role in &new.roles {
        tx.execute(
            "INSERT INTO user_roles (user_id, role) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&id, &role_tag(*role)],
        )
        .await?;
    }
    for team in &new.teams {
        let row = tx.query_opt("SELECT id FROM teams WHERE name = $1", &[&team.trim()]).await?;
        let team_id: Uuid = row.ok_or_else(|| DbError::NotFound { what: "team", name: team.clone() })?.try_get(0)?;
        tx.execute(
            "INSERT INTO team_members (team_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&team_id, &id],
        )
        .await?;
    }
    let user = user_by_name(&tx, &name).await?.ok_or_else(|| DbError::Corrupt("new user vanished".into()))?;
    tx.commit().await?;
    Ok(user)
}

async fn roles_of(client: &impl GenericClient, user_id: Uuid) -> Result<Vec<Role>> {
    let rows = client.query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role", &[&user_id]).await?;
    let mut roles = Vec::with_capacity(rows.len());
    for r in rows {
        roles.extend(parse_role(&r.try_get::<_, String>(0)?));
    }
    Ok(roles)
}

/// One user by name.
pub(super) async fn user_by_name(client: &impl GenericClient, name: &str) -> Result<Option<User>> {
    let Some(r) = client
        .query_opt("SELECT id, name, password_hash, disabled, created_at FROM users WHERE name = $1", &[&name.trim()])
        .await?
    else {
        return Ok(None);
    };
    let id: Uuid = r.try_get(0)?;
    let rows = client
        .query(
            "SELECT t.name FROM teams t JOIN team_members m ON m.team_id = t.id WHERE m.user_id = $1 ORDER BY t.name",
            &[&id],
        )
        .await?;
    Ok(Some(User {
        id,
        name: r.try_get(1)?,
        password_hash: r.try_get(2)?,
        roles: roles_of(client, id).await?,
        teams: rows.iter().map(|t| t.try_get(0)).collect::<Result<_, _>>()?,
        disabled: r.try_get(3)?,
        created_at: r.try_get(4)?,
    }))
}

/// Every user, by name.
pub(super) async fn users(client: &impl GenericClient) -> Result<Vec<User>> {
    let rows = client.query("SELECT name FROM users ORDER BY name", &[]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.extend(user_by_name(client, &r.try_get::<_, String>(0)?).await?);
    }
    Ok(out)
}

/// Disables or re-enables a user.
pub(super) async fn set_user_disabled(
    client: &mut deadpool_postgres::Client,
    name: &str,
    disabled: bool,
) -> Result<User> {
    let tx = client.transaction().await?;
    let n = tx.execute("UPDATE users SET disabled = $2 WHERE name = $1", &[&name.trim(), &disabled]).await?;
    if n == 0 {
        return Err(DbError::NotFound { what: "user", name: name.to_string() });
    }
    if disabled {
        // Every laptop of a disabled user is revoked: it wipes at its next
        // contact, and re-enabling the user does not bring its token back.
        tx.execute(
            "UPDATE devices SET revoked_at = $2, revoke_reason = $3 \
             WHERE user_id = (SELECT id FROM users WHERE name = $1) AND revoked_at IS NULL",
            &[&name.trim(), &chrono::Utc::now(), &crate::model::DISABLED_REASON],
        )
        .await?;
    }
    let out =
        user_by_name(&tx, name).await?.ok_or_else(|| DbError::NotFound { what: "user", name: name.to_string() })?;
    tx.commit().await?;
    Ok(out)
}

const DEVICE_COLUMNS: &str =
    "d.id, d.user_id, u.name, d.name, d.created_at, d.last_seen, d.revoked_at, d.revoke_reason, u.disabled";

fn device_row(r: &Row) -> Result<(Device, bool)> {
    Ok((
        Device {
            id: r.try_get(0)?,
            user_id: r.try_get(1)?,
            user: r.try_get(2)?,
            name: r.try_get(3)?,
            created_at: r.try_get(4)?,
            last_seen: r.try_get(5)?,
            revoked_at: r.try_get(6)?,
            revoke_reason: r.try_get(7)?,
        },
        r.try_get(8)?,
    ))
}

async fn device_by_id(client: &impl GenericClient, id: Uuid) -> Result<Option<Device>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = $1");
    let row = client.query_opt(&sql, &[&id]).await?;
    Ok(row.as_ref().map(device_row).transpose()?.map(|(d, _)| d))
}

/// Registers a device or gives it a new token.
pub(super) async fn register_device(
    client: &mut deadpool_postgres::Object,
    user_id: Uuid,
    device_id: Uuid,
    name: &str,
    token_hash: &str,
) -> Result<Device> {
    let name = check_name("device", name)?;
    let tx = client.transaction().await?;
    // Lock the row (if any) so two sign-ins from one laptop cannot race.
    tx.execute("SELECT 1 FROM devices WHERE id = $1 FOR UPDATE", &[&device_id]).await?;
    let now = Utc::now();
    match device_by_id(&tx, device_id).await? {
        Some(d) if d.revoked_at.is_some() => return Err(DbError::DeviceRevoked(device_id)),
        Some(d) if d.user_id != user_id => return Err(DbError::DeviceOfAnotherUser(device_id)),
        Some(_) => {
            tx.execute(
                "UPDATE devices SET name = $2, token_hash = $3, last_seen = $4 WHERE id = $1",
                &[&device_id, &name, &token_hash, &now],
            )
            .await?;
        }
        None => {
            tx.execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $5)",
                &[&device_id, &user_id, &name, &token_hash, &now],
            )
            .await?;
        }
    }
    let device = device_by_id(&tx, device_id).await?.ok_or_else(|| DbError::Corrupt("new device vanished".into()))?;
    tx.commit().await?;
    Ok(device)
}

/// The device holding a token hash.
pub(super) async fn device_by_token(client: &impl GenericClient, token_hash: &str) -> Result<Option<DeviceLogin>> {
    let sql =
        format!("SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = $1");
    let Some(row) = client.query_opt(&sql, &[&token_hash]).await? else { return Ok(None) };
    let (device, user_disabled) = device_row(&row)?;
    let roles = roles_of(client, device.user_id).await?;
    Ok(Some(DeviceLogin { device, roles, user_disabled }))
}

/// Notes when a device was last seen.
pub(super) async fn touch_device(client: &impl GenericClient, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    client.execute("UPDATE devices SET last_seen = $2 WHERE id = $1", &[&id, &at]).await?;
    Ok(())
}

/// Revokes a device (the first revocation's time is kept).
pub(super) async fn revoke_device(client: &impl GenericClient, id: Uuid, reason: Option<&str>) -> Result<Device> {
    let n = client
        .execute(
            "UPDATE devices SET revoked_at = COALESCE(revoked_at, $2), revoke_reason = COALESCE($3, revoke_reason) \
             WHERE id = $1",
            &[&id, &Utc::now(), &reason],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound { what: "device", name: id.to_string() });
    }
    device_by_id(client, id).await?.ok_or_else(|| DbError::NotFound { what: "device", name: id.to_string() })
}

/// Every device, newest first.
pub(super) async fn devices(client: &impl GenericClient) -> Result<Vec<Device>> {
    let sql = format!(
        "SELECT {DEVICE_COLUMNS} FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at DESC, d.id"
    );
    let rows = client.query(&sql, &[]).await?;
    rows.iter().map(|r| device_row(r).map(|(d, _)| d)).collect()
}

/// The last `limit` audit entries, oldest first.
pub(super) async fn audit_log(client: &impl GenericClient, record: Option<Uuid>, limit: i64) -> Result<Vec<AuditRow>> {
    let rows = client
        .query(
            "SELECT id, at, user_name, device, action, record_id, detail FROM audit_log \
             WHERE $1::uuid IS NULL OR record_id = $1 ORDER BY id DESC LIMIT $2",
            &[&record, &limit],
        )
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get(0)?,
                entry: AuditEntry {
                    at: r.try_get(1)?,
                    user: r.try_get(2)?,
                    device: r.try_get(3)?,
                    action: r.try_get(4)?,
                    record_id: r.try_get(5)?,
                    detail: r.try_get(6)?,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.reverse();
    Ok(out)
}

/// The failed sign-ins of `keys`.
pub(super) async fn login_failures(client: &impl GenericClient, keys: &[String]) -> Result<Vec<LoginFailures>> {
    let rows = client.query("SELECT key, count, since_ms FROM login_failures WHERE key = ANY($1)", &[&keys]).await?;
    rows.iter().map(failures).collect()
}

/// Counts a sign-in attempt against `keys` and returns their counts with
/// it; see [`crate::Database::count_login_attempt`]. Two servers counting at
/// once each add one: the row lock of the upsert orders them, and each
/// sees the count its own attempt made.
pub(super) async fn count_login_attempt(
    client: &mut deadpool_postgres::Client,
    keys: &[String],
    now_ms: i64,
    expired_ms: i64,
) -> Result<Vec<LoginFailures>> {
    let tx = client.transaction().await?;
    // Rows another server is writing are left for a later sweep (no waiting, no deadlock).
    tx.execute(
        "DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures \
         WHERE since_ms <= $1 AND NOT (key = ANY($2)) FOR UPDATE SKIP LOCKED)",
        &[&expired_ms, &keys],
    )
    .await?;
    let rows = tx
        .query(
            "INSERT INTO login_failures (key, count, since_ms) SELECT k, 1, $2 FROM unnest($1::text[]) AS k \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN login_failures.since_ms <= $3 THEN 1 ELSE login_failures.count + 1 END, \
             since_ms = CASE WHEN login_failures.since_ms <= $3 THEN $2 ELSE login_failures.since_ms END \
             RETURNING key, count, since_ms",
            &[&keys, &now_ms, &expired_ms],
        )
        .await?;
    let counts = rows.iter().map(failures).collect::<Result<Vec<_>>>()?;
    tx.commit().await?;
    Ok(counts)
}

/// A `login_failures` row.
fn failures(r: &tokio_postgres::Row) -> Result<LoginFailures> {
    Ok(LoginFailures { key: r.try_get(0)?, count: i64::from(r.try_get::<_, i32>(1)?), since_ms: r.try_get(2)? })
}
