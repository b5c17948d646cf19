//! `outreach-bench reports`: a month's Rough Sleeping Data Framework
//! figures over a large synthetic history on PostgreSQL.
//!
//! Makes its own database next to the one at `--database` (and drops it
//! afterwards unless `--keep`), migrates it, loads clients and contacts
//! straight into `records` with multi-row `INSERT ... SELECT FROM unnest(...)`
//! (not the sync push path: the load is set-up, not what is measured), runs
//! `VACUUM ANALYZE`, then times `Database::report` for the framework figures
//! of each area, several runs each, as the operator would ask for them.

use crate::report::{Machine, load_average};
use crate::stats::Stats;
use anyhow::{Context, Result, bail};
use chrono::{Duration as Days, NaiveDate, Utc};
use outreach_domain::LivingSituation;
use outreach_reports::Month;
use outreach_server_db::{Database, PostgresDatabase, Report, ReportRequest, Viewer};
use outreach_synth::Generator;
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;
use uuid::Uuid;

/// The areas the synthetic generator uses.
const AREAS: [&str; 6] = ["Liverpool", "Sefton", "Knowsley", "Halton", "Wirral", "St Helens"];
/// Rows per INSERT statement.
const BATCH: usize = 10_000;

/// Options of `outreach-bench reports`.
#[derive(Debug, clap::Args)]
pub struct ReportsArgs {
    /// An administrative PostgreSQL URL (a role that may create databases).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub database: String,
    /// Contacts to load.
    #[arg(long, default_value_t = 1_000_000)]
    pub contacts: usize,
    /// Clients they are spread over.
    #[arg(long, default_value_t = 100_000)]
    pub clients: usize,
    /// Years of history the contacts are spread over, ending with `--month`.
    #[arg(long, default_value_t = 6)]
    pub years: u32,
    /// The month whose figures are timed (YYYY-MM).
    #[arg(long, default_value = "2026-11")]
    pub month: String,
    /// Timed runs per area.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Keep the database afterwards (its name is printed).
    #[arg(long)]
    pub keep: bool,
}

/// `base` with its database name replaced by `name`.
fn with_database(base: &str, name: &str) -> String {
    let (head, query) = base.split_once('?').map_or((base, None), |(h, q)| (h, Some(q)));
    let start = head.find("://").map_or(0, |i| i + 3);
    let head = match head[start..].find('/') {
        Some(slash) => &head[..start + slash],
        None => head,
    };
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

async fn admin(url: &str, sql: &str) -> Result<()> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.context("connect to PostgreSQL")?;
    let task = tokio::spawn(connection);
    client.batch_execute(sql).await.with_context(|| format!("run: {sql}"))?;
    drop(client);
    let _ = task.await;
    Ok(())
}

/// Rows waiting to be inserted.
#[derive(Default)]
struct Batch {
    id: Vec<Uuid>,
    kind: Vec<&'static str>,
    client: Vec<Uuid>,
    area: Vec<String>,
    data: Vec<String>,
    seq: Vec<i64>,
}

impl Batch {
    fn len(&self) -> usize {
        self.id.len()
    }

    async fn flush(&mut self, client: &tokio_postgres::Client, device: Uuid, now: chrono::DateTime<Utc>) -> Result<()> {
        if self.id.is_empty() {
            return Ok(());
        }
        let n = self.id.len();
        let hlc = format!("{}.0.{device}", now.timestamp_millis());
        client
            .execute(
                "INSERT INTO records (id, kind, client_id, area, count_id, data, version, seq, deleted, erased, hlc, \
                 updated_at, updated_by, device) \
                 SELECT i, k, c, a, NULL, d::jsonb, 1, s, FALSE, FALSE, $7, $8, 'bench', $9 \
                 FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::bigint[]) AS t(i, k, c, a, d, s)",
                &[&self.id, &self.kind, &self.client, &self.area, &self.data, &self.seq, &hlc, &now, &device],
            )
            .await
            .with_context(|| format!("insert {n} rows"))?;
        *self = Batch::default();
        Ok(())
    }
}

/// Runs the benchmark and prints the figures as Markdown.
pub fn run(args: &ReportsArgs) -> Result<()> {
    if !args.database.starts_with("postgres") {
        bail!("the reports benchmark runs on PostgreSQL: give --database postgres://...");
    }
    let month = Month::parse(&args.month)?;
    let mut machine = Machine::detect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let name = format!("outreach_bench_reports_{}", &Uuid::now_v7().simple().to_string()[20..]);
    let url = with_database(&args.database, &name);
    runtime.block_on(admin(&args.database, &format!("CREATE DATABASE {name}")))?;
    let outcome = runtime.block_on(measure(args, month, &url));
    if args.keep {
        eprintln!("kept database {name}");
    } else if let Err(e) =
        runtime.block_on(admin(&args.database, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
    {
        eprintln!("warning: could not drop {name}: {e:#}");
    }
    let (load, per_area, all_areas, figures) = outcome?;
    machine.load_end = load_average();
    println!("## Reports benchmark (PostgreSQL)\n");
    println!(
        "{} contacts over {} clients in {} areas, spread over {} years ending {}; month timed: {month}.\n",
        args.contacts,
        args.clients,
        AREAS.len(),
        args.years,
        month.last_day()
    );
    println!(
        "Machine: {} CPUs, {}; load {} -> {}.\n",
        machine.nproc,
        machine.cpu.clone().unwrap_or_default(),
        machine.load_start.clone().unwrap_or_default(),
        machine.load_end.clone().unwrap_or_default()
    );
    println!("Load (set-up, not the measured path): {:.1} s including VACUUM ANALYZE.\n", load.as_secs_f64());
    println!("| what | runs | median ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: | ---: |");
    for (area, stats) in &per_area {
        let what = if area.starts_with("trend") { area.clone() } else { format!("framework figures, {area}") };
        println!("| {what} | {} | {:.1} | {:.1} | {:.1} |", stats.count, stats.p50, stats.p95, stats.max);
    }
    println!(
        "| framework figures, all {} areas one after another | {} | {:.1} | {:.1} | {:.1} |\n",
        AREAS.len(),
        all_areas.count,
        all_areas.p50,
        all_areas.p95,
        all_areas.max
    );
    println!("Figures for {} ({month}): {figures}", AREAS[0]);
    Ok(())
}

type Measured = (Duration, Vec<(String, Stats)>, Stats, String);

async fn measure(args: &ReportsArgs, month: Month, url: &str) -> Result<Measured> {
    let db = PostgresDatabase::connect(url).await?;
    db.migrate().await?;
    db.add_team("Bench team", &AREAS.map(String::from)).await?;
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    let conn_task = tokio::spawn(connection);

    let started = Instant::now();
    let end = month.last_day();
    let span_days = i64::from(args.years) * 365;
    let first_day = end - Days::days(span_days - 1);
    let mut generator = Generator::new(args.seed, end);
    let device = Uuid::now_v7();
    let now = Utc::now();
    let mut batch = Batch::default();
    let mut seq = 0i64;
    let clients = args.clients.max(1);
    let per_client = args.contacts / clients;
    let extra = args.contacts % clients;
    let mut rng = args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n.max(1)
    };
    for i in 0..clients {
        let id = Uuid::now_v7();
        let mut body = generator.client();
        body.area = AREAS[i % AREAS.len()].to_string();
        let area_key = body.area.to_lowercase();
        seq += 1;
        batch.id.push(id);
        batch.kind.push("client");
        batch.client.push(id);
        batch.area.push(area_key.clone());
        batch.data.push(serde_json::to_string(&body)?);
        batch.seq.push(seq);
        let count = per_client + usize::from(i < extra);
        for _ in 0..count {
            let mut contact = generator.contact(id, "bench");
            let day: NaiveDate = first_day + Days::days(next(span_days as u64) as i64);
            contact.at += day - contact.at.date_naive();
            if !contact.bedded_down && next(20) == 0 {
                contact.living_situation =
                    [LivingSituation::Prison, LivingSituation::Hospital, LivingSituation::OwnTenancy][next(3) as usize];
            }
            seq += 1;
            batch.id.push(Uuid::now_v7());
            batch.kind.push("contact");
            batch.client.push(id);
            batch.area.push(area_key.clone());
            batch.data.push(serde_json::to_string(&contact)?);
            batch.seq.push(seq);
        }
        if batch.len() >= BATCH {
            batch.flush(&client, device, now).await?;
        }
        if i % 10_000 == 0 {
            eprintln!("loaded {i} of {clients} clients ({seq} records)");
        }
    }
    batch.flush(&client, device, now).await?;
    client.execute("UPDATE seq_counter SET value = $1 WHERE id = 1", &[&seq]).await?;
    client.batch_execute("VACUUM ANALYZE records").await?;
    let load = started.elapsed();
    eprintln!("loaded {seq} records in {:.1} s", load.as_secs_f64());

    let viewer = Viewer::Operator { name: "bench".into(), suppress: false };
    let ask = |area: &str| ReportRequest::Framework { area: area.into(), month };
    // warm-up: one run of every area
    for area in AREAS {
        db.report(&viewer, &ask(area)).await?;
    }
    let mut per_area = Vec::new();
    let mut all = Vec::new();
    let mut figures = String::new();
    for run in 0..args.runs {
        let round = Instant::now();
        for area in AREAS {
            let t = Instant::now();
            let report = db.report(&viewer, &ask(area)).await?;
            let took = t.elapsed();
            match per_area.iter_mut().find(|(a, _): &&mut (String, Vec<Duration>)| a == area) {
                Some((_, times)) => times.push(took),
                None => per_area.push((area.to_string(), vec![took])),
            }
            if run == 0
                && area == AREAS[0]
                && let Report::Framework(f) = &report
            {
                figures = serde_json::to_string(f)?;
            }
        }
        all.push(round.elapsed());
    }
    // the trend chart: 12 months of every area in one request
    let trend = ReportRequest::Trend { areas: vec![], to: month, months: 12 };
    let mut trends = Vec::new();
    for _ in 0..args.runs.clamp(1, 3) {
        let t = Instant::now();
        db.report(&viewer, &trend).await?;
        trends.push(t.elapsed());
    }
    drop(client);
    let _ = conn_task.await;
    let mut per_area: Vec<(String, Stats)> = per_area.into_iter().map(|(a, t)| (a, Stats::of(&t))).collect();
    per_area.push((format!("trend chart data, 12 months × {} areas", AREAS.len()), Stats::of(&trends)));
    Ok((load, per_area, Stats::of(&all), figures))
}
