//! `outreach count ...`: street counts, built for speed on the night.

use crate::args;
use crate::output::Output;
use anyhow::{Result, bail};
use chrono::{DateTime, Duration, FixedOffset, Local, NaiveDate, NaiveTime, TimeZone, Utc};
use clap::Subcommand;
use outreach_domain::count::Coordinates;
use outreach_domain::{AgeBand, CountApproach, CountStatus, Gender, Nationality, RecordKind, Sighting, StreetCount};
use outreach_store::{CountReport, Store};
use std::fmt::Write;

/// `outreach count ...`
#[derive(Subcommand)]
#[allow(clippy::large_enum_variant, reason = "parsed once per run; boxing would only add noise")]
pub enum CountCommand {
    /// Start a count night for an area
    Start {
        /// Local authority area
        #[arg(long)]
        area: String,
        /// The night of the count (the evening's date) [default: today]
        #[arg(long, value_parser = args::date)]
        night: Option<NaiveDate>,
        /// Window start, local time HH:MM [default: 01:00 after midnight]
        #[arg(long, default_value = "01:00")]
        from: String,
        /// Window end, local time HH:MM [default: 04:00]
        #[arg(long, default_value = "04:00")]
        to: String,
        /// Worker taking part (repeatable) [default: you]
        #[arg(long = "team")]
        team: Vec<String>,
        /// count_based, evidence_based, evidence_based_with_spotlight
        #[arg(long, value_parser = args::tag::<CountApproach>, default_value = "count_based")]
        approach: CountApproach,
    },
    /// Record a person seen
    Sight {
        /// Count id
        count: String,
        /// Where, in words
        #[arg(long)]
        location: String,
        /// male, female, non_binary, not_known
        #[arg(long, value_parser = args::tag::<Gender>, default_value = "not_known")]
        gender: Gender,
        /// under18, from18_to25, from26, not_known
        #[arg(long, value_parser = args::tag::<AgeBand>, default_value = "not_known")]
        age_band: AgeBand,
        /// uk, eu, non_eu, not_known
        #[arg(long, value_parser = args::tag::<Nationality>, default_value = "not_known")]
        nationality: Nationality,
        /// Latitude
        #[arg(long, requires = "lon", allow_hyphen_values = true)]
        lat: Option<f64>,
        /// Longitude
        #[arg(long, requires = "lat", allow_hyphen_values = true)]
        lon: Option<f64>,
        /// Known to services
        #[arg(long)]
        known: bool,
        /// The client, if identified
        #[arg(long)]
        client: Option<String>,
        /// Another sighting on this count that is the same person
        #[arg(long)]
        same_as: Option<String>,
        /// Seen, but not sleeping rough (not counted)
        #[arg(long)]
        not_rough_sleeping: bool,
        /// Notes
        #[arg(long)]
        notes: Option<String>,
        /// When [default: now]
        #[arg(long, value_parser = args::datetime)]
        at: Option<DateTime<FixedOffset>>,
    },
    /// Close a count: no new sightings after this
    Close {
        /// Count id
        count: String,
    },
    /// The return for a count: people counted by gender, age and nationality, and possible duplicates
    Report {
        /// Count id
        count: String,
    },
    /// All counts on this device
    List,
}

fn local_time(date: NaiveDate, hhmm: &str) -> Result<DateTime<FixedOffset>> {
    let time =
        NaiveTime::parse_from_str(hhmm, "%H:%M").map_err(|_| anyhow::anyhow!("'{hhmm}' is not a time: use HH:MM"))?;
    Local
        .from_local_datetime(&date.and_time(time))
        .earliest()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| anyhow::anyhow!("{date} {hhmm} does not exist in the local time zone"))
}

pub fn run(store: &mut Store, command: CountCommand) -> Result<Output> {
    match command {
        CountCommand::Start { area, night, from, to, team, approach } => {
            let night = night.unwrap_or_else(|| Local::now().date_naive());
            // Times before noon belong to the early hours after the evening of `night`.
            let start_day = |t: &str| if t < "12:00" { night + Duration::days(1) } else { night };
            let window_start = local_time(start_day(&from), &from)?;
            let window_end = local_time(start_day(&to), &to)?;
            let team = if team.is_empty() { vec![store.user().to_string()] } else { team };
            let area = store.areas().canonical(&area)?;
            let record = store.create(StreetCount {
                area,
                night_of: night,
                window_start,
                window_end,
                team,
                approach,
                status: CountStatus::Open,
                closed_at: None,
            })?;
            Ok(Output::new(
                &record,
                format!("Count {} started for {} on the night of {night}", record.meta.id, record.body.area),
            ))
        }
        CountCommand::Sight {
            count,
            location,
            gender,
            age_band,
            nationality,
            lat,
            lon,
            known,
            client,
            same_as,
            not_rough_sleeping,
            notes,
            at,
        } => {
            let count_id = store.resolve_id(RecordKind::StreetCount, &count)?;
            let client_id = client.map(|c| store.resolve_id(RecordKind::Client, &c)).transpose()?;
            let same_as = same_as.map(|s| store.resolve_id(RecordKind::Sighting, &s)).transpose()?;
            let record = store.record_sighting(Sighting {
                count_id,
                seen_at: at.unwrap_or_else(args::now),
                location,
                coordinates: lat.zip(lon).map(|(lat, lon)| Coordinates { lat, lon }),
                gender,
                age_band,
                nationality,
                rough_sleeping: !not_rough_sleeping,
                known_to_services: known || client_id.is_some(),
                client_id,
                same_as,
                notes: notes.map(Into::into),
                recorded_by: store.user().to_string(),
                amends: None,
            })?;
            let report = store.count_report(count_id)?;
            let flagged =
                report.possible_duplicates.iter().filter(|d| d.a == record.meta.id || d.b == record.meta.id).count();
            let mut text =
                format!("Sighting {} recorded. Running tally: {} people", record.meta.id, report.tally.total);
            if flagged > 0 {
                text.push_str(&format!(" ({flagged} possible duplicate(s) to check: `outreach count report`)"));
            }
            Ok(Output::new(serde_json::json!({ "sighting": record, "tally": report.tally }), text))
        }
        CountCommand::Close { count } => {
            let id = store.resolve_id(RecordKind::StreetCount, &count)?;
            let record = store.update::<StreetCount>(id, |c| {
                c.status = CountStatus::Closed;
                c.closed_at = Some(Utc::now());
            })?;
            let report = store.count_report(id)?;
            Ok(Output::new(&record, format!("Count closed.\n{}", report_text(&report))))
        }
        CountCommand::Report { count } => {
            let id = store.resolve_id(RecordKind::StreetCount, &count)?;
            let report = store.count_report(id)?;
            let text = report_text(&report);
            Ok(Output::new(&report, text))
        }
        CountCommand::List => {
            let counts = store.all::<StreetCount>()?;
            if counts.is_empty() {
                bail!("no counts on this device yet; start one with `outreach count start --area AREA`");
            }
            let text = counts
                .iter()
                .map(|c| {
                    format!(
                        "{}  {}  night of {}  {:?}  team {}",
                        c.meta.id,
                        c.body.area,
                        c.body.night_of,
                        c.body.status,
                        c.body.team.join(",")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Ok(Output::new(&counts, text))
        }
    }
}

fn report_text(r: &CountReport) -> String {
    let c = &r.count.body;
    let t = &r.tally;
    let mut out = String::new();
    let _ = writeln!(out, "{} - night of {} ({:?}, {:?})", c.area, c.night_of, c.approach, c.status);
    let _ = writeln!(
        out,
        "Window {} to {}; team {}",
        c.window_start.format("%Y-%m-%d %H:%M"),
        c.window_end.format("%H:%M"),
        c.team.join(", ")
    );
    let _ = writeln!(
        out,
        "People seen sleeping rough: {} ({} sightings, {} duplicates removed)",
        t.total, t.sightings, t.duplicates_removed
    );
    let fmt = |m: Vec<(String, usize)>| m.into_iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "By gender: {}", fmt(t.by_gender.iter().map(|(k, v)| (format!("{k:?}"), *v)).collect()));
    let _ = writeln!(out, "By age: {}", fmt(t.by_age_band.iter().map(|(k, v)| (format!("{k:?}"), *v)).collect()));
    let _ = writeln!(
        out,
        "By nationality: {}",
        fmt(t.by_nationality.iter().map(|(k, v)| (format!("{k:?}"), *v)).collect())
    );
    for d in &r.possible_duplicates {
        let _ = writeln!(out, "Possible duplicate: {} and {} ({:?})", d.a, d.b, d.reason);
    }
    out.trim_end().to_string()
}
