//! `outreach-bench`: measures the Outreach encrypted local store on a
//! synthetic caseload and prints the figures as a Markdown table (or JSON).
//!
//! ```text
//! outreach-bench store --clients 50000 --contacts-per-client 10 --seed 1 [--data-dir DIR] [--json]
//! outreach-bench sync [--database URL] [--records 100000] [--changes 10000]
//! outreach-bench apply [--records 100000] [--page 500]
//! outreach-bench reports [--database postgres://...] [--contacts 1000000] [--clients 100000] [--month 2026-11]
//! outreach-bench server [--backends postgres,sqlite] [--devices 50,100,200] [--push 50] [--pull 500] [--records 100000] [--arrival-ms 0]
//! ```
//!
//! Timings use [`std::time::Instant`] around single calls of the store's
//! public API, after a warm-up; no figure is tuned or extrapolated except
//! where the report says so.

mod apply_bench;
mod report;
mod reports_bench;
mod server_bench;
mod stats;
mod store_bench;
mod sync_bench;
mod tracking;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Benchmarks for Outreach.
#[derive(Debug, Parser)]
#[command(name = "outreach-bench", version, about)]
struct Cli {
    /// What to measure.
    #[command(subcommand)]
    command: Command,
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
enum Command {
    /// Measures the encrypted local store on a synthetic caseload.
    Store(store_bench::StoreArgs),
    /// Measures sync against a real server on loopback.
    Sync(sync_bench::SyncArgs),
    /// Times a month's framework figures over a large history on PostgreSQL.
    Reports(reports_bench::ReportsArgs),
    /// Measures the server under many devices at once, on PostgreSQL and SQLite.
    Server(server_bench::ServerArgs),
    /// Times the laptop's side of a first sync alone: pull pages applied to an empty store.
    Apply(apply_bench::ApplyArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Store(args) => {
            let report = store_bench::run(&args)?;
            if args.json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_markdown());
            }
        }
        Command::Sync(args) => sync_bench::run(&args)?,
        Command::Apply(args) => apply_bench::run(&args)?,
        Command::Reports(args) => reports_bench::run(&args)?,
        Command::Server(args) => server_bench::run(&args)?,
    }
    Ok(())
}
