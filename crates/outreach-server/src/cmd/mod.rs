//! The command line: parsing ([`cli`]), `serve` ([`serve`]) and the
//! administration commands ([`admin`]).

pub mod admin;
pub mod cli;
pub mod report;
pub mod serve;

use anyhow::{Context, Result};
use cli::{Cli, Command};
use outreach_server_db::{Database, redact_url};
use std::path::PathBuf;
use std::sync::Arc;

/// Logs to stderr; `OUTREACH_LOG` (or `RUST_LOG`) sets the filter.
pub fn init_logging() {
    let filter =
        std::env::var("OUTREACH_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "info".to_string());
    let filter =
        tracing_subscriber::EnvFilter::try_new(&filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}

/// The database to use: `--database`/`OUTREACH_DATABASE_URL`, else
/// `outreach-server.db` in `$OUTREACH_SERVER_DATA` or the current folder.
fn database_url(given: Option<String>) -> String {
    given.unwrap_or_else(|| {
        let dir = std::env::var_os("OUTREACH_SERVER_DATA").map_or_else(|| PathBuf::from("."), PathBuf::from);
        dir.join("outreach-server.db").display().to_string()
    })
}

/// Opens and migrates the database.
async fn open(given: Option<String>) -> Result<Arc<dyn Database>> {
    let url = database_url(given);
    let db = outreach_server_db::connect(&url)
        .await
        .with_context(|| format!("could not open the database {}", redact_url(&url)))?;
    let applied = db.migrate().await.context("could not bring the database schema up to date")?;
    if !applied.is_empty() {
        tracing::info!(versions = ?applied, "database migrated");
    }
    Ok(db)
}

/// Runs one command.
pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => serve::serve(args, cli.database, definitions(cli.report_definitions.as_deref())?).await,
        Command::Migrate => {
            let url = database_url(cli.database);
            let db = outreach_server_db::connect(&url)
                .await
                .with_context(|| format!("could not open the database {}", redact_url(&url)))?;
            let applied = db.migrate().await?;
            if applied.is_empty() {
                println!("database is up to date");
            } else {
                println!("applied migrations {applied:?}");
            }
            Ok(())
        }
        Command::Team { command } => admin::team(&*open(cli.database).await?, command).await,
        Command::User { command } => admin::user(&*open(cli.database).await?, command).await,
        Command::Device { command } => admin::device(&*open(cli.database).await?, command).await,
        Command::Client { command } => admin::client(&*open(cli.database).await?, command).await,
        Command::Record { command } => admin::record(&*open(cli.database).await?, command).await,
        Command::Report { command } => {
            let defs = definitions(cli.report_definitions.as_deref())?;
            report::report(&*open(cli.database).await?, command, &defs).await
        }
    }
}

/// The report definitions in `file` (JSON; fields left out keep their
/// defaults), or the defaults when no file is given.
pub fn definitions(file: Option<&std::path::Path>) -> Result<outreach_reports::Definitions> {
    let Some(file) = file else { return Ok(outreach_reports::Definitions::default()) };
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("could not read the report definitions file {}", file.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "the report definitions file {} is not valid: fix it (see docs/reports.md for the fields) or leave \
             out --report-definitions to use the defaults",
            file.display()
        )
    })
}
