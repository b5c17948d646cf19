//! Team, user and device administration from the command line. Every
//! change is audited as the operating-system user who ran it.

use super::cli::{ClientCommand, DeviceCommand, RecordCommand, TeamCommand, UserCommand};
use anyhow::{Context, Result, bail};
use outreach_protocol::api::Role;
use outreach_server_db::credentials::hash_password;
use outreach_server_db::model::role_tag;
use outreach_server_db::{AuditEntry, Database, NewUser};
use serde_json::{Value, json};

/// Who is running the command, as the audit log names them.
fn operator() -> String {
    std::env::var("USER").map_or_else(|_| "operator".to_string(), |u| format!("operator:{u}"))
}

async fn audit(db: &dyn Database, action: &str, detail: Value) -> Result<()> {
    let operator = operator();
    db.append_audit(&[AuditEntry::now(action, Some(&operator), None).detail(detail.to_string())]).await?;
    Ok(())
}

fn roles_text(roles: &[Role]) -> String {
    roles.iter().map(|r| role_tag(*r)).collect::<Vec<_>>().join(",")
}

/// `team add`, `team list`.
pub async fn team(db: &dyn Database, command: TeamCommand) -> Result<()> {
    match command {
        TeamCommand::Add { name, areas } => {
            let team = db.add_team(&name, &areas).await?;
            audit(db, "team_add", json!({"team": team.name, "areas": team.areas})).await?;
            println!("team '{}' covers {}", team.name, team.areas.join(", "));
        }
        TeamCommand::List => {
            for team in db.teams().await? {
                println!("{}\t{}", team.name, team.areas.join(", "));
            }
        }
    }
    Ok(())
}

/// The new user's password: `OUTREACH_PASSWORD`, or asked twice without echo.
fn read_password(name: &str) -> Result<String> {
    if let Ok(password) = std::env::var("OUTREACH_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password(format!("New password for {name}: "))
        .context("could not ask for a password (with no terminal, set OUTREACH_PASSWORD)")?;
    let again = rpassword::prompt_password("The same password again: ").context("could not read the password")?;
    if first != again {
        bail!("the two passwords differ; nothing was changed");
    }
    Ok(first)
}

/// `user add`, `user disable`, `user enable`, `user list`.
pub async fn user(db: &dyn Database, command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add { name, roles, teams } => {
            let password = read_password(&name)?;
            let password_hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            let roles: Vec<Role> = roles.into_iter().map(Role::from).collect();
            let user = db.add_user(NewUser { name, password_hash, roles, teams }).await?;
            audit(db, "user_add", json!({"user": user.name, "roles": user.roles, "teams": user.teams})).await?;
            println!("user '{}' ({}) in {}", user.name, roles_text(&user.roles), teams_text(&user.teams));
        }
        UserCommand::Disable { name } => {
            let user = db.set_user_disabled(&name, true).await?;
            audit(db, "user_disable", json!({"user": user.name})).await?;
            println!("user '{}' is disabled: they can no longer sign in or sync", user.name);
        }
        UserCommand::Enable { name } => {
            let user = db.set_user_disabled(&name, false).await?;
            audit(db, "user_enable", json!({"user": user.name})).await?;
            println!("user '{}' is enabled", user.name);
        }
        UserCommand::List => {
            for user in db.users().await? {
                let state = if user.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{state}", user.name, roles_text(&user.roles), teams_text(&user.teams));
            }
        }
    }
    Ok(())
}

fn teams_text(teams: &[String]) -> String {
    if teams.is_empty() { "no team".to_string() } else { teams.join(", ") }
}

/// `device list`, `device revoke`.
pub async fn device(db: &dyn Database, command: DeviceCommand) -> Result<()> {
    match command {
        DeviceCommand::List => {
            for d in db.devices().await? {
                let seen = d.last_seen.map_or_else(|| "never".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string());
                let state = match (&d.revoked_at, &d.revoke_reason) {
                    (Some(at), Some(reason)) => format!("revoked {} ({reason})", at.format("%Y-%m-%d")),
                    (Some(at), None) => format!("revoked {}", at.format("%Y-%m-%d")),
                    (None, _) => "active".to_string(),
                };
                println!("{}\t{}\t{}\tlast seen {seen}\t{state}", d.id, d.user, d.name);
            }
        }
        DeviceCommand::Revoke { id, reason } => {
            let d = db.revoke_device(id, reason.as_deref()).await?;
            audit(db, "device_revoke", json!({"device": d.id, "user": d.user, "reason": d.revoke_reason})).await?;
            println!("device {} ({}, {}) is revoked: it can no longer sync", d.id, d.name, d.user);
        }
    }
    Ok(())
}

/// `client export`, `client erase`.
pub async fn client(db: &dyn Database, command: ClientCommand) -> Result<()> {
    match command {
        ClientCommand::Export { id } => {
            let Some(export) = db.export_client(id, &operator()).await? else { bail!("no client record {id}") };
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        ClientCommand::Erase { id, reason } => {
            let Some(erasure) = db.erase_client(id, &operator(), &reason).await? else {
                bail!("no client record {id}")
            };
            println!(
                "erased client {id}: {} record(s) erased now, {} already erased, {} conflict(s) cleared; \
                 laptops drop their copies at their next sync",
                erasure.records.len(),
                erasure.already_erased.len(),
                erasure.conflicts.len()
            );
        }
    }
    Ok(())
}

/// `record unreadable`, `record repair`.
pub async fn record(db: &dyn Database, command: RecordCommand) -> Result<()> {
    match command {
        RecordCommand::Unreadable => {
            let list = db.unreadable_records().await?;
            if list.is_empty() {
                println!("no unreadable records");
            }
            for r in list {
                println!("{}  seq {}  first met {}  {}", r.id, r.seq, r.first_seen.format("%Y-%m-%d %H:%M"), r.reason);
            }
        }
        RecordCommand::Repair => {
            let repairs = db.repair_records(&operator()).await?;
            if repairs.is_empty() {
                println!("no damaged records");
            }
            for r in &repairs {
                println!("{}  {}  {}", r.id, if r.repaired { "repaired" } else { "NOT repaired" }, r.detail);
            }
            let left = repairs.iter().filter(|r| !r.repaired).count();
            if left > 0 {
                bail!("{left} record(s) could not be repaired; see above for what to do");
            }
        }
    }
    Ok(())
}
