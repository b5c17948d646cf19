//! `outreach`: the command-line tool over a worker's encrypted local store,
//! for IT staff, migration from spreadsheets and scripting.
//!
//! Every command works offline. `--json` prints machine-readable results on
//! stdout; errors go to stderr with a non-zero exit code. The passphrase
//! comes from `OUTREACH_PASSPHRASE` or a prompt.

mod args;
mod care;
mod clients;
mod count;
mod import;
mod output;
mod secret;
mod sync;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use output::Output;
use outreach_store::Store;
use std::path::PathBuf;

/// Outreach: case records for street outreach teams, offline first.
#[derive(Parser)]
#[command(name = "outreach", version, about, long_about = None)]
struct Cli {
    /// Folder holding the encrypted store [default: $OUTREACH_DATA_DIR or ~/.local/share/outreach]
    #[arg(long, global = true, env = "OUTREACH_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Print results as JSON on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
enum Command {
    /// Create a new encrypted store for a worker
    Init {
        /// The worker's user name, recorded on every change
        #[arg(long, env = "OUTREACH_USER")]
        user: String,
    },
    /// Change the store's passphrase (the new one from OUTREACH_NEW_PASSPHRASE or a prompt)
    Passphrase,
    /// Look after the store itself
    #[command(subcommand)]
    Store(StoreCommand),
    /// Clients: add, edit, show, search, list
    #[command(subcommand)]
    Client(clients::ClientCommand),
    /// Which workers hold which clients
    #[command(subcommand)]
    Caseload(clients::CaseloadCommand),
    /// Dynamic risk assessments
    #[command(subcommand)]
    Risk(care::RiskCommand),
    /// Personal action plans, goals, outcome scores and case conferences
    #[command(subcommand)]
    Plan(care::PlanCommand),
    /// Key-work sessions and street encounters
    #[command(subcommand)]
    Contact(care::ContactCommand),
    /// Street counts and sightings
    #[command(subcommand)]
    Count(count::CountCommand),
    /// Import records from a spreadsheet export
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Export everything held on one client (subject access request)
    #[command(subcommand)]
    Export(ExportCommand),
    /// Show the audit log
    Audit {
        /// Only entries about this client
        #[arg(long)]
        client: Option<String>,
        /// How many entries
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Sign in to the sync server once, at base (password from OUTREACH_PASSWORD or a prompt)
    Login {
        /// Server address, e.g. https://outreach.example.org
        #[arg(long)]
        server: String,
        /// Your user name on the server
        #[arg(long)]
        user: String,
    },
    /// Send this laptop's changes and receive the server's
    Sync,
    /// Conflicts to resolve, and changes the server refused
    #[command(subcommand)]
    Conflicts(sync::ConflictCommand),
    /// Fill the store with synthetic demo data (no real person's data)
    Demo {
        /// How many clients
        #[arg(long, default_value_t = 200)]
        clients: usize,
        /// Contacts per client
        #[arg(long, default_value_t = 5)]
        contacts_per_client: usize,
        /// Random seed (the same seed gives the same data)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Create the store first if there is none, for this user
        #[arg(long)]
        init_user: Option<String>,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
enum StoreCommand {
    /// Schema version, device, user and record counts
    Info,
    /// Move a store that cannot be opened aside (nothing is deleted) so a new one can be made
    SetAside,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
enum ExportCommand {
    /// Everything about one client as JSON
    Client {
        /// Client id (or its first 8+ characters)
        id: String,
        /// Write to this file (created readable by you only) instead of stdout
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("outreach")
}

/// Opens the store in `dir`, asking for the passphrase.
fn open(dir: &std::path::Path) -> Result<Store> {
    let passphrase = secret::unlock()?;
    Ok(Store::open(dir, &passphrase)?)
}

fn run(cli: Cli) -> Result<Output> {
    let dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let today = chrono::Local::now().date_naive();
    match cli.command {
        Command::Init { user } => {
            let passphrase = secret::new_passphrase("OUTREACH_PASSPHRASE")?;
            let store = Store::init(&dir, &passphrase, &user)?;
            let value = serde_json::json!({ "data_dir": dir, "user": store.user(), "device_id": store.device_id() });
            Ok(Output::new(value, format!("Created an encrypted store for {} in {}", store.user(), dir.display())))
        }
        Command::Passphrase => {
            let old = secret::unlock()?;
            let new = secret::new_passphrase("OUTREACH_NEW_PASSPHRASE")?;
            Store::change_passphrase(&dir, &old, &new)?;
            Ok(Output::new(serde_json::json!({ "changed": true }), "Passphrase changed."))
        }
        Command::Store(StoreCommand::SetAside) => {
            let target = Store::set_aside(&dir)?;
            Ok(Output::new(
                serde_json::json!({ "set_aside_to": target }),
                format!(
                    "The store was moved to {} (nothing deleted). Run `outreach init` to start a new one, and give the old folder to IT: it may hold records not yet synced.",
                    target.display()
                ),
            ))
        }
        Command::Store(StoreCommand::Info) => {
            let store = open(&dir)?;
            let counts: serde_json::Map<String, serde_json::Value> =
                store.counts()?.into_iter().map(|(k, n)| (k.as_str().to_string(), n.into())).collect();
            let value = serde_json::json!({
                "data_dir": dir, "user": store.user(), "device_id": store.device_id(),
                "schema_version": store.schema_version()?, "records": counts, "pending_changes": store.outbox_len()?,
            });
            let text = format!(
                "Store {}\nUser {}  device {}\nSchema version {}\nPending changes to sync: {}\nRecords: {}",
                dir.display(),
                store.user(),
                store.device_id(),
                store.schema_version()?,
                store.outbox_len()?,
                counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
            );
            Ok(Output::new(value, text))
        }
        Command::Client(c) => clients::client(&mut open(&dir)?, c, today),
        Command::Caseload(c) => clients::caseload(&mut open(&dir)?, c, today),
        Command::Risk(c) => care::risk(&mut open(&dir)?, c, today),
        Command::Plan(c) => care::plan(&mut open(&dir)?, c, today),
        Command::Contact(c) => care::contact(&mut open(&dir)?, c),
        Command::Count(c) => count::run(&mut open(&dir)?, c),
        Command::Import(c) => import::run(&mut open(&dir)?, c),
        Command::Export(ExportCommand::Client { id, out }) => {
            let mut store = open(&dir)?;
            let id = store.resolve_id(outreach_domain::RecordKind::Client, &id)?;
            let export = store.export_client(id)?;
            match out {
                Some(path) => {
                    write_private(&path, &serde_json::to_vec_pretty(&export)?)?;
                    Ok(Output::new(
                        serde_json::json!({ "written": path }),
                        format!("Wrote everything held on {id} to {}", path.display()),
                    ))
                }
                None => Ok(Output::new(export.clone(), serde_json::to_string_pretty(&export)?)),
            }
        }
        Command::Login { server, user } => sync::sign_in(&mut open(&dir)?, &server, &user),
        Command::Sync => sync::run(&mut open(&dir)?),
        Command::Conflicts(c) => sync::conflicts(&mut open(&dir)?, c),
        Command::Audit { client, limit } => {
            let store = open(&dir)?;
            let client = client.map(|c| store.resolve_id(outreach_domain::RecordKind::Client, &c)).transpose()?;
            let entries = store.audit_entries(client, limit)?;
            let text = entries
                .iter()
                .map(|e| {
                    format!(
                        "{}  {:<8} {:<7} {} {}{}",
                        e.at.format("%Y-%m-%d %H:%M:%S"),
                        e.user,
                        e.action,
                        e.kind.as_deref().unwrap_or(""),
                        e.record_id.map(|r| r.to_string()).unwrap_or_default(),
                        e.detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::new(entries, text))
        }
        Command::Demo { clients, contacts_per_client, seed, init_user } => {
            let mut store = match init_user {
                Some(user) if !Store::exists(&dir) => {
                    let passphrase = secret::new_passphrase("OUTREACH_PASSPHRASE")?;
                    Store::init(&dir, &passphrase, &user)?
                }
                _ => open(&dir)?,
            };
            let mut generator = outreach_synth::Generator::new(seed, today);
            let started = std::time::Instant::now();
            let done = outreach_synth::populate(&mut store, &mut generator, clients, contacts_per_client, |n| {
                eprintln!("  {n}/{clients} clients");
            })?;
            let value = serde_json::json!({
                "clients": done.clients, "contacts": done.contacts, "risk_assessments": done.risk_assessments,
                "assignments": done.assignments, "seconds": started.elapsed().as_secs_f64(),
            });
            Ok(Output::new(
                value,
                format!(
                    "Added {} synthetic clients, {} contacts and {} risk assessments in {:.1} s.",
                    done.clients,
                    done.contacts,
                    done.risk_assessments,
                    started.elapsed().as_secs_f64()
                ),
            ))
        }
    }
}

/// Writes a file only its owner can read: exports hold personal data.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        options.open(path).with_context(|| format!("could not create {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(output) => {
            if json {
                println!("{}", output.json);
            } else if !output.text.is_empty() {
                println!("{}", output.text);
            }
        }
        Err(error) => {
            let message = describe(&error);
            if json {
                eprintln!("{}", serde_json::json!({ "error": message }));
            } else {
                eprintln!("error: {message}");
            }
            std::process::exit(exit_code(&error));
        }
    }
}

/// The error and its causes in one line, leaving out causes the message
/// already repeats (typed errors include their source's text).
fn describe(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}

/// Distinct exit codes for the failures scripts most need to tell apart.
fn exit_code(error: &anyhow::Error) -> i32 {
    use outreach_store::StoreError;
    match error.downcast_ref::<StoreError>() {
        Some(StoreError::WrongPassphrase) => 3,
        Some(StoreError::NotFound(_)) | Some(StoreError::RecordNotFound { .. }) => 4,
        Some(StoreError::Invalid(_)) => 5,
        Some(StoreError::Unreadable { .. })
        | Some(StoreError::TooNew { .. })
        | Some(StoreError::KeyFileTampered { .. }) => 6,
        _ => 1,
    }
}
