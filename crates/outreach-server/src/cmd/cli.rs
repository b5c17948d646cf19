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
