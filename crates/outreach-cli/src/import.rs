//! `outreach import clients FILE`: bring clients in from a spreadsheet.
//!
//! Every row is checked before anything is written. If any row is bad, the
//! report lists every problem by row and column and nothing is imported, so
//! a corrected file can be imported again without duplicates.

use crate::args;
use crate::output::Output;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use outreach_domain::client::ApproximateAge;
use outreach_domain::{Body, Client, Gender, LivingSituation, Need, Referral};
use outreach_store::Store;
use std::path::PathBuf;

/// `outreach import ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum ImportCommand {
    /// Clients from a CSV file with a header row. Columns (any order, all
    /// optional but area): name, aliases, description, usual_site,
    /// date_of_birth, approximate_age, gender, phone, email,
    /// last_known_address, area, needs, living_situation, referral_source,
    /// referral_date. Lists (aliases, needs) are separated by ';'.
    Clients {
        /// The CSV file
        file: PathBuf,
        /// Check the file and report, without importing
        #[arg(long)]
        dry_run: bool,
    },
}

/// The columns an import file may have.
pub const COLUMNS: &[&str] = &[
    "name",
    "aliases",
    "description",
    "usual_site",
    "date_of_birth",
    "approximate_age",
    "gender",
    "phone",
    "email",
    "last_known_address",
    "area",
    "needs",
    "living_situation",
    "referral_source",
    "referral_date",
];

/// One problem in the file.
#[derive(Debug, serde::Serialize)]
pub struct RowError {
    /// Data row number, counting from 1 after the header.
    pub row: usize,
    /// Line in the file.
    pub line: u64,
    /// The column, when one is at fault.
    pub column: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Reads every row into a client, collecting every problem.
pub fn parse(reader: impl std::io::Read, store: &Store, today: NaiveDate) -> Result<(Vec<Client>, Vec<RowError>)> {
    let mut csv = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(false).from_reader(reader);
    let headers: Vec<String> =
        csv.headers().context("could not read the header row")?.iter().map(|h| h.to_lowercase()).collect();
    let unknown: Vec<&String> = headers.iter().filter(|h| !COLUMNS.contains(&h.as_str())).collect();
    if !unknown.is_empty() {
        bail!(
            "unknown column(s) {}: expected some of {} (nothing was imported)",
            unknown.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", "),
            COLUMNS.join(", ")
        );
    }
    if !headers.iter().any(|h| h == "area") {
        bail!("the file needs an 'area' column (nothing was imported)");
    }
    let mut clients = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in csv.records().enumerate() {
        let row_no = i + 1;
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                errors.push(RowError { row: row_no, line, column: None, message: e.to_string() });
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        let mut client = Client::default();
        let mut bad = |column: &str, message: String| {
            errors.push(RowError { row: row_no, line, column: Some(column.to_string()), message })
        };
        let mut referral_source = None;
        let mut referral_date = None;
        for (header, value) in headers.iter().zip(row.iter()) {
            if value.is_empty() {
                continue;
            }
            let text = || Some(value.to_string().into());
            let list = || value.split(';').map(str::trim).filter(|v| !v.is_empty());
            match header.as_str() {
                "name" => client.name = text(),
                "aliases" => client.aliases = list().map(|a| a.to_string().into()).collect(),
                "description" => client.description = text(),
                "usual_site" => client.usual_site = text(),
                "date_of_birth" => match args::date(value) {
                    Ok(d) if d <= today => client.date_of_birth = Some(d.into()),
                    Ok(_) => bad(header, "date of birth is in the future".into()),
                    Err(e) => bad(header, e),
                },
                "approximate_age" => match value.parse::<u8>() {
                    Ok(years) => client.approximate_age = Some(ApproximateAge { years, as_of: today }),
                    Err(_) => bad(header, format!("'{value}' is not an age in years")),
                },
                "gender" => match args::tag::<Gender>(value) {
                    Ok(g) => client.gender = g,
                    Err(e) => bad(header, e),
                },
                "phone" => client.phone = text(),
                "email" => client.email = text(),
                "last_known_address" => client.last_known_address = text(),
                "area" => match store.areas().canonical(value) {
                    Ok(area) => client.area = area,
                    Err(e) => bad(header, e.to_string()),
                },
                "needs" => {
                    for need in list() {
                        match args::tag::<Need>(need) {
                            Ok(n) => {
                                client.needs.insert(n);
                            }
                            Err(e) => bad(header, e),
                        }
                    }
                }
                "living_situation" => match args::tag::<LivingSituation>(value) {
                    Ok(l) => client.living_situation = l,
                    Err(e) => bad(header, e),
                },
                "referral_source" => referral_source = Some(value.to_string()),
                "referral_date" => match args::date(value) {
                    Ok(d) => referral_date = Some(d),
                    Err(e) => bad(header, e),
                },
                _ => unreachable!("columns were checked against COLUMNS"),
            }
        }
        if let Some(source) = referral_source {
            client.referral = Some(Referral { source, date: referral_date.unwrap_or(today) });
        }
        if client.area.is_empty() {
            bad("area", "every client needs a local authority area".into());
        } else if let Err(e) = client.validate(store.areas()) {
            errors.push(RowError { row: row_no, line, column: None, message: e.to_string() });
        }
        clients.push(client);
    }
    Ok((clients, errors))
}

pub fn run(store: &mut Store, command: ImportCommand) -> Result<Output> {
    let ImportCommand::Clients { file, dry_run } = command;
    let reader = std::fs::File::open(&file).with_context(|| format!("could not open {}", file.display()))?;
    let today = chrono::Local::now().date_naive();
    let (clients, errors) = parse(reader, store, today)?;
    if !errors.is_empty() {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| match &e.column {
                Some(c) => format!("  row {} (line {}), {c}: {}", e.row, e.line, e.message),
                None => format!("  row {} (line {}): {}", e.row, e.line, e.message),
            })
            .collect();
        bail!(
            "{} problem(s) in {}; nothing was imported. Fix these rows and run the import again:\n{}",
            errors.len(),
            file.display(),
            lines.join("\n")
        );
    }
    if dry_run {
        return Ok(Output::new(
            serde_json::json!({ "checked": clients.len(), "imported": 0 }),
            format!("{} rows checked; no problems found. Run without --dry-run to import.", clients.len()),
        ));
    }
    let n = clients.len();
    let created = store.create_many(clients)?;
    store.audit_import(&format!("{n} clients from a CSV file"))?;
    let ids: Vec<_> = created.iter().map(|r| r.meta.id).collect();
    Ok(Output::new(serde_json::json!({ "imported": n, "ids": ids }), format!("Imported {n} clients.")))
}
