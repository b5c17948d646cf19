//! `outreach-bench sync`: a real `outreach-server` on loopback (embedded
//! SQLite in a temporary folder, or the database at `--database`), laptops
//! with real encrypted stores signed in over HTTP, and the sync engine
//! timed end to end.

use crate::report::{Machine, load_average};
use crate::stats::Stats;
use anyhow::{Context, Result, anyhow, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use outreach_client::{HttpTransport, login};
use outreach_domain::Client;
use outreach_protocol::api::{LoginRequest, PushRequest, Role};
use outreach_server::{AppState, ServerConfig};
use outreach_server_db::credentials::hash_password;
use outreach_server_db::{Database, NewUser};
use outreach_store::{Store, StoreError};
use outreach_sync::{Engine, Phase, SyncError, SyncReport, SyncStore, SyncTransport};
use outreach_synth::Generator;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The passphrase of bench stores (synthetic data only).
const PASSPHRASE: &str = "outreach bench synthetic passphrase";
/// The password of bench users.
const PASSWORD: &str = "outreach bench password";
/// The areas of the bench team: all the synthetic generator uses.
const AREAS: [&str; 6] = ["Liverpool", "Sefton", "Knowsley", "Halton", "Wirral", "St Helens"];
/// No-change syncs timed.
const NO_CHANGE_RUNS: usize = 20;

/// Options of `outreach-bench sync`.
#[derive(Debug, clap::Args)]
pub struct SyncArgs {
    /// Server database URL (`postgres://…` or `sqlite://PATH`); by default a
    /// SQLite file in a temporary folder.
    #[arg(long)]
    pub database: Option<String>,
    /// Records on the server for the first sync of an empty laptop
    /// (clients, each with contacts, in the ratio 1:9).
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Local changes pushed in the push benchmark.
    #[arg(long, default_value_t = 10_000)]
    pub changes: usize,
    /// Contacts for the change-tracking comparison.
    #[arg(long, default_value_t = 10_000)]
    pub tracking: usize,
    /// Single-field updates for the bytes-on-the-wire figure.
    #[arg(long, default_value_t = 500)]
    pub field_updates: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// One laptop: its store and its signed-in transport.
struct Laptop {
    store: Store,
    transport: HttpTransport,
}

impl Laptop {
    fn sign_in(dir: &Path, base: &str, user: &str) -> Result<Self> {
        let mut store = Store::init(dir, PASSPHRASE, user)?;
        let request = LoginRequest {
            user: user.into(),
            password: PASSWORD.into(),
            device_id: store.device_id(),
            device_name: format!("{user}-bench"),
        };
        let response = login(base, &request).map_err(|e| anyhow!("sign in as {user}: {e}"))?;
        store.save_sign_in(base, &response.token)?;
        let transport = HttpTransport::new(base, &response.token).map_err(|e| anyhow!("transport: {e}"))?;
        Ok(Self { store, transport })
    }

    fn sync(&mut self, progress: &mut dyn FnMut(outreach_sync::Progress)) -> Result<SyncReport> {
        self.sync_timed(progress, &mut Split::default())
    }

    /// A sync whose store and transport calls are timed into `split`.
    fn sync_timed(
        &mut self,
        progress: &mut dyn FnMut(outreach_sync::Progress),
        split: &mut Split,
    ) -> Result<SyncReport> {
        let mut store = Timed { inner: &mut self.store, split: &mut *split };
        let mut transport = TimedTransport { inner: &mut self.transport, split: &mut Split::default() };
        let report = Engine::default()
            .run(&mut store, &mut transport, progress)
            .map_err(|e: SyncError<StoreError>| anyhow!("sync failed: {e}"));
        let transport_split = std::mem::take(transport.split);
        for (k, v) in transport_split.0 {
            let e = split.0.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        report
    }
}

/// Time spent in each store and transport call during runs: name to
/// (total, calls).
#[derive(Debug, Default)]
struct Split(std::collections::BTreeMap<&'static str, (Duration, usize)>);

impl Split {
    fn time<R>(&mut self, name: &'static str, f: impl FnOnce() -> R) -> R {
        let started = Instant::now();
        let out = f();
        let e = self.0.entry(name).or_default();
        e.0 += started.elapsed();
        e.1 += 1;
        out
    }

    fn describe(&self, runs: usize) -> String {
        self.0
            .iter()
            .filter(|(_, (d, _))| !d.is_zero())
            .map(|(k, (d, n))| format!("{k} {:.1} ms ({} calls)", d.as_secs_f64() * 1e3 / runs as f64, n / runs.max(1)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The store with each call timed.
struct Timed<'a> {
    inner: &'a mut Store,
    split: &'a mut Split,
}

impl SyncStore for Timed<'_> {
    type Error = StoreError;
    fn pending_count(&self) -> Result<usize, StoreError> {
        SyncStore::pending_count(&*self.inner)
    }
    fn pending_batch(&self, limit: usize) -> Result<Vec<outreach_protocol::Mutation>, StoreError> {
        SyncStore::pending_batch(&*self.inner, limit)
    }
    fn acknowledge(
        &mut self,
        results: &[outreach_protocol::api::MutationResult],
    ) -> Result<outreach_sync::Acknowledged, StoreError> {
        let inner = &mut *self.inner;
        self.split.time("store.acknowledge", || SyncStore::acknowledge(inner, results))
    }
    fn unsent_resolutions(&self) -> Result<Vec<outreach_sync::PendingResolution>, StoreError> {
        SyncStore::unsent_resolutions(&*self.inner)
    }
    fn resolution_sent(&mut self, conflict: Uuid) -> Result<(), StoreError> {
        SyncStore::resolution_sent(self.inner, conflict)
    }
    fn sync_cursor(&self) -> Result<i64, StoreError> {
        SyncStore::sync_cursor(&*self.inner)
    }
    fn apply_pull_page(
        &mut self,
        page: &outreach_protocol::api::PullResponse,
    ) -> Result<outreach_sync::PageApplied, StoreError> {
        let inner = &mut *self.inner;
        self.split.time("store.apply_pull_page", || SyncStore::apply_pull_page(inner, page))
    }
    fn sync_finished(&mut self) -> Result<(), StoreError> {
        let inner = &mut *self.inner;
        self.split.time("store.sync_finished", || SyncStore::sync_finished(inner))
    }
    fn wipe(&mut self) -> Result<Vec<std::path::PathBuf>, StoreError> {
        SyncStore::wipe(self.inner)
    }
}

/// The transport with each request timed (server work, loopback transfer,
/// gzip and JSON on both sides).
struct TimedTransport<'a> {
    inner: &'a mut HttpTransport,
    split: &'a mut Split,
}

impl SyncTransport for TimedTransport<'_> {
    fn push(
        &mut self,
        request: &PushRequest,
    ) -> Result<outreach_protocol::api::PushResponse, outreach_sync::TransportError> {
        let inner = &mut *self.inner;
        self.split.time("http.push", || inner.push(request))
    }
    fn pull(
        &mut self,
        cursor: i64,
        limit: usize,
    ) -> Result<outreach_protocol::api::PullResponse, outreach_sync::TransportError> {
        let inner = &mut *self.inner;
        self.split.time("http.pull", || inner.pull(cursor, limit))
    }
    fn resolve(
        &mut self,
        conflict: Uuid,
        request: &outreach_protocol::api::ResolveRequest,
    ) -> Result<(), outreach_sync::TransportError> {
        self.inner.resolve(conflict, request)
    }
}

/// A measured figure against its target.
struct Line {
    name: String,
    value: String,
    target: String,
    met: Option<bool>,
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Runs the sync benchmark and prints a Markdown report.
pub fn run(args: &SyncArgs) -> Result<()> {
    let mut machine = Machine::detect();
    let temp = tempfile::Builder::new().prefix("outreach-bench-sync-").tempdir().context("temporary folder")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let suffix = &Uuid::now_v7().simple().to_string()[24..];
    let (amy_name, ben_name) = (format!("amy.{suffix}"), format!("ben.{suffix}"));
    let url = args.database.clone().unwrap_or_else(|| format!("sqlite://{}", temp.path().join("server.db").display()));
    let backend = if url.starts_with("postgres") { "PostgreSQL" } else { "SQLite (embedded)" };
    eprintln!("starting the server on {backend}");
    let base = runtime.block_on(async {
        let db: Arc<dyn Database> = outreach_server_db::connect(&url).await?;
        db.migrate().await?;
        let hash = hash_password(PASSWORD)?;
        let team = format!("Bench team {suffix}");
        db.add_team(&team, &AREAS.map(String::from)).await?;
        for name in [&amy_name, &ben_name] {
            db.add_user(NewUser {
                name: name.clone(),
                password_hash: hash.clone(),
                roles: vec![Role::Worker],
                teams: vec![team.clone()],
            })
            .await?;
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let state = AppState::new(db, ServerConfig::default());
        tokio::spawn(outreach_server::serve(listener, state, std::future::pending()));
        anyhow::Ok(base)
    })?;

    let mut lines = Vec::new();
    let mut notes = Vec::new();
    let mut generator = Generator::new(args.seed, outreach_synth::today());
    let workers = outreach_synth::workers();

    // Seed the server through amy's laptop: clients and contacts 1:9.
    let amy_dir = temp.path().join("amy");
    let mut amy = Laptop::sign_in(&amy_dir, &base, &amy_name)?;
    let n_clients = (args.records / 10).max(1);
    let n_contacts = args.records - n_clients;
    eprintln!("creating {n_clients} clients and {n_contacts} contacts on amy's laptop");
    let started = Instant::now();
    let clients: Vec<Client> = (0..n_clients).map(|_| generator.client()).collect();
    let client_ids: Vec<Uuid> = amy.store.create_many(clients)?.into_iter().map(|r| r.meta.id).collect();
    for chunk in client_ids.chunks(1_000) {
        let mut contacts = Vec::new();
        for (i, &id) in chunk.iter().enumerate() {
            for _ in 0..9 {
                contacts.push(generator.contact(id, workers[i % workers.len()]));
            }
        }
        amy.store.create_many(contacts)?;
    }
    let local = amy.store.record_states()?.len();
    let created = started.elapsed();
    eprintln!("pushing {local} records (seeding the server)");
    let started = Instant::now();
    let seed_report = amy.sync(&mut |_| {})?;
    let seeded = started.elapsed();
    notes.push(format!(
        "Seeding: {local} records created locally in {} and pushed by one sync in {} ({} batches, {:.0} records/s).",
        secs(created),
        secs(seeded),
        seed_report.batches,
        local as f64 / seeded.as_secs_f64()
    ));

    // (b) first sync of an empty laptop, pages recorded by the progress callback.
    eprintln!("first sync of an empty laptop");
    let mut ben = Laptop::sign_in(&temp.path().join("ben"), &base, &ben_name)?;
    let mut pages: Vec<(Duration, usize)> = Vec::new();
    let mut first_split = Split::default();
    let started = Instant::now();
    let report = ben.sync_timed(
        &mut |p| {
            if p.phase == Phase::Pull {
                pages.push((started.elapsed(), p.down));
            }
        },
        &mut first_split,
    )?;
    let first = started.elapsed();
    notes.push(format!("First sync, where the time went: {}.", first_split.describe(1)));
    let received = ben.store.record_states()?.len();
    if received != local {
        bail!("ben received {received} records, not {local}");
    }
    let gaps: Vec<Duration> =
        pages.iter().zip(std::iter::once(&(Duration::ZERO, 0)).chain(pages.iter())).map(|(a, b)| a.0 - b.0).collect();
    let page_stats = Stats::of(&gaps);
    lines.push(Line {
        name: format!("first sync of {received} records onto an empty laptop ({} pages)", report.pages),
        value: format!("{} ({:.0} records/s)", secs(first), received as f64 / first.as_secs_f64()),
        target: "< 15 s".into(),
        met: Some(first < Duration::from_secs(15)),
    });
    lines.push(Line {
        name: "  per page (from the progress callback)".into(),
        value: format!("p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms", page_stats.p50, page_stats.p95, page_stats.max),
        target: "-".into(),
        met: None,
    });
    notes.push(format!(
        "First sync: {} progress callbacks in the pull phase, last at {} with {} records; report: {} pages, {} pulled, {} overwritten.",
        pages.len(),
        pages.last().map_or("-".into(), |p| secs(p.0)),
        pages.last().map_or(0, |p| p.1),
        report.pages,
        report.pulled,
        report.applied.overwritten
    ));

    // (c) no-change sync.
    eprintln!("no-change syncs");
    ben.sync(&mut |_| {})?;
    let mut times = Vec::new();
    let mut idle_split = Split::default();
    for _ in 0..NO_CHANGE_RUNS {
        let started = Instant::now();
        let r = ben.sync_timed(&mut |_| {}, &mut idle_split)?;
        times.push(started.elapsed());
        if r.pulled != 0 || r.batches != 0 {
            bail!("a no-change sync moved data: {r:?}");
        }
    }
    let s = Stats::of(&times);
    notes.push(format!("No-change sync, mean per run: {}.", idle_split.describe(NO_CHANGE_RUNS)));
    lines.push(Line {
        name: format!("no-change sync ({NO_CHANGE_RUNS} runs)"),
        value: format!("p50 {:.1} ms, p95 {:.1} ms", s.p50, s.p95),
        target: "< 50 ms".into(),
        met: Some(s.p95 < 50.0),
    });

    // (a) local changes pushed and acknowledged.
    eprintln!("pushing {} local changes", args.changes);
    amy.sync(&mut |_| {})?;
    let mut contacts = Vec::with_capacity(args.changes);
    for i in 0..args.changes {
        contacts.push(generator.contact(client_ids[i % client_ids.len()], workers[i % workers.len()]));
    }
    amy.store.create_many(contacts)?;
    let mut pushed_at = None;
    let mut push_split = Split::default();
    let started = Instant::now();
    let report = amy.sync_timed(
        &mut |p| {
            if p.phase == Phase::Push {
                pushed_at = Some((started.elapsed(), p.up));
            }
        },
        &mut push_split,
    )?;
    let total = started.elapsed();
    notes.push(format!("Push of {} changes, where the time went: {}.", args.changes, push_split.describe(1)));
    let (push_time, up) = pushed_at.ok_or_else(|| anyhow!("no push progress reported"))?;
    if up != args.changes || amy.store.outbox_len()? != 0 {
        bail!("{up} of {} changes acknowledged", args.changes);
    }
    lines.push(Line {
        name: format!("{} local changes pushed and acknowledged ({} batches)", args.changes, report.batches),
        value: format!("{} ({:.0} changes/s)", secs(push_time), args.changes as f64 / push_time.as_secs_f64()),
        target: "< 2 s".into(),
        met: Some(push_time < Duration::from_secs(2)),
    });
    lines.push(Line {
        name: "  whole run including the pull that follows".into(),
        value: format!("{} ({} records pulled back)", secs(total), report.pulled),
        target: "-".into(),
        met: None,
    });

    // (e) bytes on the wire per changed field.
    eprintln!("encoding {} single-field updates", args.field_updates);
    for (i, id) in client_ids.iter().take(args.field_updates).enumerate() {
        amy.store.update::<Client>(*id, |c| c.usual_site = Some(format!("bench doorway {i}").into()))?;
    }
    let batch = SyncStore::pending_batch(&amy.store, args.field_updates)?;
    let fields: usize = batch.iter().map(|m| m.changes.len()).sum();
    let json = serde_json::to_vec(&PushRequest { mutations: batch.clone() })?;
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    gzip.write_all(&json)?;
    let gz = gzip.finish()?;
    let one = serde_json::to_vec(&PushRequest { mutations: batch[..1].to_vec() })?;
    let mut gzip = GzEncoder::new(Vec::new(), Compression::fast());
    gzip.write_all(&one)?;
    let one_gz = gzip.finish()?;
    lines.push(Line {
        name: format!("push body per changed field ({} updates, {fields} fields, one request)", batch.len()),
        value: format!(
            "{:.0} B gzip ({:.0} B JSON); a lone update: {} B gzip ({} B JSON)",
            gz.len() as f64 / fields as f64,
            json.len() as f64 / fields as f64,
            one_gz.len(),
            one.len()
        ),
        target: "(measured)".into(),
        met: None,
    });
    if let Some(m) = batch.first() {
        notes.push(format!(
            "One single-field update as sent (before gzip): `{}`",
            serde_json::to_string(m)?.replace('`', "'")
        ));
    }
    amy.sync(&mut |_| {})?;

    // (d) change tracking cost.
    eprintln!("change tracking: create_many vs untracked inserts, {} contacts", args.tracking);
    let measured = crate::tracking::compare(temp.path(), &mut generator, PASSPHRASE, args.tracking, 1)?;
    for (baseline, times) in &measured.baselines {
        let (store_ms, base_ms) = (measured.store[0].as_secs_f64() * 1e3, times[0].as_secs_f64() * 1e3);
        let ratio = store_ms / base_ms;
        let counts = *baseline == crate::tracking::Baseline::RecordsTable;
        lines.push(Line {
            name: format!("Store::create_many of {} contacts vs plain INSERT into {}", args.tracking, baseline.label()),
            value: format!("{store_ms:.1} ms vs {base_ms:.1} ms = {ratio:.2}x"),
            target: if counts { "<= 2x".into() } else { "-".into() },
            met: counts.then_some(ratio <= 2.0),
        });
    }

    machine.load_end = load_average();
    println!("### Sync, server on {backend}\n");
    println!(
        "Machine: {} cores, {}, load average {} at start, {} at end.\n",
        machine.nproc,
        machine.cpu.as_deref().unwrap_or("unknown CPU"),
        machine.load_start.as_deref().unwrap_or("?"),
        machine.load_end.as_deref().unwrap_or("?")
    );
    println!("| Measure | Result | Target | Met |\n|---|---|---|---|");
    for l in &lines {
        let met = match l.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        println!("| {} | {} | {} | {met} |", l.name, l.value, l.target);
    }
    println!();
    for n in &notes {
        println!("- {n}");
    }
    Ok(())
}
