//! `outreach-server`: the Outreach sync server and its administration
//! commands. The work is done by the `outreach_server` library and
//! `outreach_server_db`; this binary parses the command line, opens the
//! database and reports errors.

mod cmd;

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cmd::cli::Cli::parse();
    cmd::init_logging();
    match cmd::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
