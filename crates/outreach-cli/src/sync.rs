//! `outreach login`, `outreach sync` and `outreach conflicts ...`: the
//! laptop's side of syncing at base.

use crate::output::Output;
use crate::secret;
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use outreach_client::{HttpTransport, check_server_url, login};
use outreach_protocol::api::LoginRequest;
use outreach_store::Store;
use outreach_sync::{Engine, Progress};
use serde_json::Value;
use uuid::Uuid;

/// Signs in once at base: registers this laptop with the server and keeps
/// the device token inside the encrypted store. Plain `http://` is refused
/// unless the server is on this laptop ([`check_server_url`]).
pub fn sign_in(store: &mut Store, server: &str, user: &str) -> Result<Output> {
    // Refused before the password is asked for: it must never cross the network in clear.
    check_server_url(server).with_context(|| format!("will not sign in to {server}"))?;
    let password = secret::from_env_or_prompt("OUTREACH_PASSWORD", "Server password: ")?;
    let device_name =
        std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "laptop".to_string());
    let response = login(
        server,
        &LoginRequest {
            user: user.to_string(),
            password: password.to_string(),
            device_id: store.device_id(),
            device_name,
        },
    )
    .with_context(|| format!("could not sign in to {server}"))?;
    store.save_sign_in(server, &response.token)?;
    Ok(Output::new(
        serde_json::json!({ "server": server, "user": response.user, "device_id": response.device_id, "teams": response.teams }),
        format!("Signed in to {server} as {}; this laptop is registered as {}.", response.user, response.device_id),
    ))
}

/// Runs one sync: push every waiting change, then pull until up to date.
/// Progress goes to stderr so `--json` output stays clean.
pub fn run(store: &mut Store) -> Result<Output> {
    let Some(server) = store.server_url()? else {
        bail!("this laptop has not signed in yet: run `outreach login --server URL --user NAME` at base");
    };
    let Some(token) = store.device_token()? else {
        bail!("no device token: run `outreach login --server {server} --user NAME` again");
    };
    let mut transport = HttpTransport::new(&server, &token)?;
    let mut progress = |p: Progress| {
        eprintln!("  {:?}: {} up, {} down, {}%", p.phase, p.up, p.down, p.percent);
    };
    let report = Engine::default().run(store, &mut transport, &mut progress)?;
    let text = format!(
        "Synced with {server}: {} changes sent ({} merged, {} need attention), {} records received, {} conflicts to resolve.{}",
        report.acknowledged.removed,
        report.acknowledged.merged,
        report.acknowledged.rejected,
        report.pulled,
        store.conflicts()?.iter().filter(|c| c.resolved_by.is_none()).count(),
        report.unreadable_note().unwrap_or_default(),
    );
    Ok(Output::new(report, text))
}

/// `outreach conflicts ...`
#[derive(Subcommand)]
pub enum ConflictCommand {
    /// Conflicts waiting for a person to choose: both values, who, when
    List {
        /// Include resolved ones
        #[arg(long)]
        all: bool,
    },
    /// Choose a value: `--keep`, `--other`, or `--value JSON`
    Resolve {
        /// Conflict id
        id: Uuid,
        /// Keep the value the record has now
        #[arg(long, conflicts_with_all = ["other", "value"])]
        keep: bool,
        /// Take the other value
        #[arg(long, conflicts_with = "value")]
        other: bool,
        /// Use this value (JSON, e.g. '"Wirral"' or a merged list)
        #[arg(long)]
        value: Option<String>,
    },
    /// Changes the server refused, kept here so nothing is lost
    Attention,
}

pub fn conflicts(store: &mut Store, command: ConflictCommand) -> Result<Output> {
    match command {
        ConflictCommand::List { all } => {
            let list: Vec<_> = store.conflicts()?.into_iter().filter(|c| all || c.resolved_by.is_none()).collect();
            let text = if list.is_empty() {
                "No conflicts to resolve.".to_string()
            } else {
                list.iter()
                    .map(|c| {
                        format!(
                            "{}  {} {} field '{}': kept {} | other {} (by {} on {}){}",
                            c.id,
                            c.kind.as_str(),
                            c.record_id,
                            c.field,
                            c.kept,
                            c.other,
                            c.other_user,
                            c.other_device,
                            c.resolved_by.as_ref().map(|u| format!(" resolved by {u}")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            Ok(Output::new(&list, text))
        }
        ConflictCommand::Resolve { id, keep, other, value } => {
            let conflict =
                store.conflicts()?.into_iter().find(|c| c.id == id).with_context(|| {
                    format!("no conflict {id} on this laptop; `outreach conflicts list` shows them")
                })?;
            let chosen: Value = match (keep, other, value) {
                (true, _, _) => conflict.kept.clone(),
                (_, true, _) => conflict.other.clone(),
                (_, _, Some(text)) => {
                    serde_json::from_str(&text).with_context(|| format!("--value must be JSON, e.g. '\"{text}\"'"))?
                }
                _ => bail!("say which value to keep: --keep, --other or --value JSON"),
            };
            store.resolve_conflict(id, chosen.clone())?;
            Ok(Output::new(
                serde_json::json!({ "resolved": id, "value": chosen }),
                format!("Resolved: {} is now {chosen}. It reaches the server at the next sync.", conflict.field),
            ))
        }
        ConflictCommand::Attention => {
            let list = store.needs_attention()?;
            let text = if list.is_empty() {
                "Nothing needs attention.".to_string()
            } else {
                list.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join("\n")
            };
            Ok(Output::new(&list, text))
        }
    }
}
