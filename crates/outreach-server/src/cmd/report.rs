//! `outreach-server report ...`: the reports at the server's command line,
//! for the operator (every area; audited as the operating-system user).
//! `--suppress` gives the commissioners' version, with counts under 5
//! withheld and no worker names.

use anyhow::{Context, Result, anyhow};
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use outreach_reports::period::parse_date;
use outreach_reports::{Definitions, Month};
use outreach_server::routes::reports::render;
use outreach_server_db::{Database, ReportRequest, Viewer};
use std::path::PathBuf;

/// How to write a report.
#[derive(Debug, Clone, Args)]
pub struct Output {
    /// json, csv, html (count return) or svg (charts).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The commissioners' version: counts under 5 suppressed, no worker names.
    #[arg(long)]
    pub suppress: bool,
}

/// `report` commands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The street count return for one local authority and night (csv, json, html).
    Snapshot {
        /// Local authority.
        #[arg(long)]
        area: String,
        /// The count night (YYYY-MM-DD, the date the evening starts).
        #[arg(long, value_parser = date_arg)]
        night: NaiveDate,
        #[command(flatten)]
        output: Output,
    },
    /// Every count night's return in a range (csv, json; svg: people per night).
    Nights {
        /// Local authority.
        #[arg(long)]
        area: String,
        /// First night (YYYY-MM-DD).
        #[arg(long, value_parser = date_arg)]
        from: NaiveDate,
        /// Last night (YYYY-MM-DD).
        #[arg(long, value_parser = date_arg)]
        to: NaiveDate,
        #[command(flatten)]
        output: Output,
    },
    /// The month's Rough Sleeping Data Framework figures (csv, json).
    Framework {
        /// Local authority.
        #[arg(long)]
        area: String,
        /// The month (YYYY-MM).
        #[arg(long, value_parser = month_arg)]
        month: Month,
        #[command(flatten)]
        output: Output,
    },
    /// Framework figures month by month per area (csv, json; svg: trend lines).
    Trend {
        /// A local authority (repeat; default every area a team covers).
        #[arg(long = "area")]
        areas: Vec<String>,
        /// The last month (YYYY-MM; default this month).
        #[arg(long, value_parser = month_arg)]
        month: Option<Month>,
        /// How many months (1-36).
        #[arg(long, default_value_t = 12)]
        months: u32,
        #[command(flatten)]
        output: Output,
    },
    /// Monthly monitoring for commissioners (csv, json).
    Monitoring {
        /// Local authority.
        #[arg(long)]
        area: String,
        /// The month (YYYY-MM).
        #[arg(long, value_parser = month_arg)]
        month: Month,
        #[command(flatten)]
        output: Output,
    },
    /// The team lead view of one team (csv, json; svg: caseload per worker).
    Team {
        /// Team name.
        #[arg(long)]
        team: String,
        /// The day (YYYY-MM-DD; default today).
        #[arg(long, value_parser = date_arg)]
        on: Option<NaiveDate>,
        #[command(flatten)]
        output: Output,
    },
}

fn date_arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text).map_err(|e| e.to_string())
}

fn month_arg(text: &str) -> Result<Month, String> {
    Month::parse(text).map_err(|e| e.to_string())
}

/// Runs one `report` command against `db`.
pub async fn report(db: &dyn Database, command: ReportCommand, defs: &Definitions) -> Result<()> {
    let (request, output) = match command {
        ReportCommand::Snapshot { area, night, output } => (ReportRequest::Snapshot { area, night }, output),
        ReportCommand::Nights { area, from, to, output } => (ReportRequest::Nights { area, from, to }, output),
        ReportCommand::Framework { area, month, output } => (ReportRequest::Framework { area, month }, output),
        ReportCommand::Trend { areas, month, months, output } => {
            let to = month.unwrap_or_else(|| Month::containing(Utc::now().date_naive()));
            (ReportRequest::Trend { areas, to, months }, output)
        }
        ReportCommand::Monitoring { area, month, output } => (ReportRequest::Monitoring { area, month }, output),
        ReportCommand::Team { team, on, output } => {
            (ReportRequest::Team { team, on: on.unwrap_or_else(|| Utc::now().date_naive()) }, output)
        }
    };
    let name = std::env::var("USER").map_or_else(|_| "operator".to_string(), |u| format!("operator:{u}"));
    let viewer = Viewer::Operator { name, suppress: output.suppress };
    let report = db.report_with(&viewer, &request, defs).await?;
    let (_, text) = render(&report, &output.format).map_err(|e| anyhow!(e.replace('`', "")))?;
    match &output.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("could not write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(())
}
