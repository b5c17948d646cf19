//! The command-line grammar.

use clap::{Args, Parser, Subcommand, ValueEnum};
use outreach_protocol::api::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use uuid::Uuid;

/// The Outreach sync server.
#[derive(Debug, Parser)]
#[command(name = "outreach-server", version, about)]
pub struct Cli {
    /// Database: postgres://USER@HOST/DB, or a SQLite file (default:
    /// outreach-server.db in $OUTREACH_SERVER_DATA or the current folder).
    #[arg(long, global = true, env = "OUTREACH_DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// A JSON file of report definitions (long-term and returner rules,
    /// lookbacks, suppression); fields left out keep their defaults. See
    /// docs/reports.md.
    #[arg(long, global = true, value_name = "FILE", env = "OUTREACH_REPORT_DEFINITIONS")]
    pub report_definitions: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the sync API (applies migrations first).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Teams and the areas they cover.
    Team {
        /// Team command.
        #[command(subcommand)]
        command: TeamCommand,
    },
    /// User accounts.
    User {
        /// User command.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Registered laptops.
    Device {
        /// Device command.
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// Data protection for one client: subject access export and erasure.
    Client {
        /// Client command.
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Records stored damaged: list those pulls could not read, and repair them.
    Record {
        /// Record command.
        #[command(subcommand)]
        command: RecordCommand,
    },
    /// Reports and returns: count return, framework figures, monitoring,
    /// team view and charts (audited as the operator).
    Report {
        /// Report command.
        #[command(subcommand)]
        command: super::report::ReportCommand,
    },
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Serve plain HTTP on a non-loopback address (only behind a TLS-terminating proxy).
    #[arg(long, conflicts_with = "tls_cert")]
    pub allow_plain_http: bool,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Largest request body in bytes (also after decompression).
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Sync requests (push, pull, digest) served at once; others wait their
    /// turn. Bounds memory when many devices sync together.
    #[arg(long, default_value_t = outreach_server::DEFAULT_CONCURRENT_SYNCS)]
    pub concurrent_syncs: usize,
    /// Refuse a push whose clock stamps are further ahead of this server's
    /// clock than this (e.g. 90s, 5m, 2h, 1d; at least 1m): a laptop whose
    /// clock is days fast must not win every later edit. Its changes stay
    /// on the laptop until its clock is corrected.
    #[arg(long, default_value = "5m", value_parser = parse_clock_bound)]
    pub max_clock_ahead: chrono::TimeDelta,
    /// A laptop that has not synced for this long (e.g. 30d, 12h) must sign
    /// in again: its token stops working (nothing is wiped).
    #[arg(long, default_value = "30d", value_parser = parse_clock_bound)]
    pub device_idle_expiry: chrono::TimeDelta,
}

/// Reads a duration such as `90s`, `5m`, `2h` or `1d` (a bare number is
/// seconds), at least the minute a laptop restamps changes within.
pub fn parse_clock_bound(text: &str) -> Result<chrono::TimeDelta, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: i64 = digits.parse().map_err(|_| format!("'{text}' is not a duration; write e.g. 90s, 5m, 2h or 1d"))?;
    let secs_per = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        other => return Err(format!("unknown unit '{other}' in '{text}'; use s, m, h or d")),
    };
    let bound = n
        .checked_mul(secs_per)
        .and_then(chrono::TimeDelta::try_seconds)
        .ok_or_else(|| format!("'{text}' is too long a duration"))?;
    if bound.num_milliseconds() < outreach_protocol::RESTAMP_AHEAD_MS {
        return Err(format!(
            "'{text}' is too short: laptops restamp changes only beyond 1 minute ahead, so give at least 1m"
        ));
    }
    Ok(bound)
}

/// `team` commands.
#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Make a team covering one or more local authority areas.
    Add {
        /// Team name.
        name: String,
        /// An area the team covers (repeat for several).
        #[arg(long = "area", required = true)]
        areas: Vec<String>,
    },
    /// List teams.
    List,
}

/// A role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    /// Works a caseload.
    Worker,
    /// Leads teams.
    #[value(alias = "team_lead")]
    TeamLead,
    /// Manages accounts and devices.
    Admin,
    /// Aggregate reports only.
    Commissioner,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Self {
        match r {
            RoleArg::Worker => Role::Worker,
            RoleArg::TeamLead => Role::TeamLead,
            RoleArg::Admin => Role::Admin,
            RoleArg::Commissioner => Role::Commissioner,
        }
    }
}

/// `user` commands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Make a user (password from OUTREACH_PASSWORD or asked for).
    Add {
        /// User name (what caseload assignments call the worker).
        name: String,
        /// A role (repeat for several).
        #[arg(long = "role", required = true, value_enum)]
        roles: Vec<RoleArg>,
        /// A team to join (repeat for several).
        #[arg(long = "team")]
        teams: Vec<String>,
    },
    /// Stop a user signing in or syncing.
    Disable {
        /// User name.
        name: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        /// User name.
        name: String,
    },
    /// List users.
    List,
}

/// `device` commands.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List registered laptops.
    List,
    /// Revoke a laptop (lost, stolen, replaced): its token stops working.
    Revoke {
        /// Device id (from `device list`).
        id: Uuid,
        /// Why, for the record.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `client` commands (data protection).
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Print everything held on one client as JSON: the client record, every
    /// record about it, their conflicts and audit rows (audited).
    Export {
        /// The client record's id.
        id: Uuid,
    },
    /// Erase a client and every record about it: data cleared, and every
    /// laptop that syncs drops its copy (audited).
    Erase {
        /// The client record's id.
        id: Uuid,
        /// Why (e.g. the erasure request's reference), for the audit log.
        #[arg(long, required = true)]
        reason: String,
    },
}

/// `record` subcommands.
#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// List the records pulls met but could not read (also counted by /health).
    Unreadable,
    /// Repair records stored damaged by an older version: a clock stamp that
    /// cannot be read is replaced (from the record's change time and device)
    /// and the record is sent to laptops again (audited).
    Repair,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_bounds_read_with_units_and_refuse_nonsense() {
        for (text, secs) in [("5m", 300), ("90s", 90), ("90", 90), ("2h", 7_200), ("1d", 86_400), (" 10min ", 600)] {
            assert_eq!(parse_clock_bound(text).map(|d| d.num_seconds()), Ok(secs), "{text}");
        }
        for bad in ["", "m", "5x", "-5m", "30s", "99999999999999999d"] {
            assert!(parse_clock_bound(bad).is_err(), "{bad} should be refused");
        }
    }
}
