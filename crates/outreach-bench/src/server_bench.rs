//! `outreach-bench server`: the `outreach-server` binary as a child process
//! (so its peak memory can be read from `/proc/<pid>/status`), on a fresh
//! PostgreSQL database made for the run and dropped after, and on a SQLite
//! file in a temporary folder; many simulated devices sync at once over
//! HTTP (each pushes its changes, then pulls pages from its own cursor),
//! and a new device pulls everything on the server.
//!
//! The server is seeded in process through the same storage trait the
//! server uses (the real push path), so every record went through the
//! sync rules. Synthetic data only.

use crate::report::{Machine, load_average};
use crate::stats::Stats;
use anyhow::{Context, Result, anyhow, bail};
use flate2::Compression;
use flate2::write::GzEncoder;
use outreach_domain::{Hlc, RecordKind};
use outreach_protocol::api::{Outcome, PullResponse, PushRequest, PushResponse, Role};
use outreach_protocol::{Mutation, Op, PROTOCOL_HEADER, PROTOCOL_VERSION, SCHEMA_HEADER, SCHEMA_VERSION};
use outreach_server_db::credentials::{DeviceToken, hash_password};
use outreach_server_db::testing::TestDb;
use outreach_server_db::{Actor, Backend, Database, NewUser};
use outreach_synth::Generator;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The one area the bench team covers: every seeded record is in it.
const AREA: &str = "Liverpool";
/// Records pushed per seeding call.
const SEED_BATCH: usize = 1_000;
/// Page size of pulls (the sync engine's default).
const PAGE: usize = 500;

/// A backend on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// An embedded SQLite file in a temporary folder.
    Sqlite,
    /// A fresh database on `OUTREACH_TEST_POSTGRES_URL` (default the local server), dropped after.
    Postgres,
}

/// Options of `outreach-bench server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Backends to measure, in turn.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "postgres,sqlite")]
    pub backends: Vec<BackendArg>,
    /// Numbers of devices syncing at once, one load run each.
    #[arg(long, value_delimiter = ',', default_value = "50,100,200")]
    pub devices: Vec<usize>,
    /// Changes each device pushes (one request).
    #[arg(long, default_value_t = 50)]
    pub push: usize,
    /// Records each device pulls (pages of 500 from a random point).
    #[arg(long, default_value_t = 500)]
    pub pull: usize,
    /// Records on the server before the load: what a new device's first pull takes.
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// The `outreach-server` binary (default: next to this one).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Spread the devices' starts evenly over this many milliseconds
    /// (0: all start in the same instant, a burst).
    #[arg(long, default_value_t = 0)]
    pub arrival_ms: u64,
}

/// A device the bench signs requests as.
#[derive(Clone)]
struct Device {
    token: String,
    id: Uuid,
}

/// What the seeding left for the load runs to use.
struct Seeded {
    /// Clients and the phone number each holds now.
    clients: Vec<(Uuid, Value)>,
    /// The highest sequence number after seeding.
    max_seq: i64,
    /// Devices registered for the load (one user each).
    devices: Vec<Device>,
    /// A device that has never pulled, for the first pull.
    newcomer: Device,
    /// Seeding time.
    took: Duration,
}

/// The server process.
struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn start(bin: &Path, url: &str) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(bin)
            .args(["--database", url, "serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("OUTREACH_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("could not start {}", bin.display()))?;
        let base = format!("http://127.0.0.1:{port}");
        let server = Self { child, base };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("the server did not start listening within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    fn status_kib(&self, field: &str) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = text.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Peak resident memory since the last [`Self::reset_peak`], in MiB.
    fn peak_mib(&self) -> f64 {
        self.status_kib("VmHWM:").map_or(f64::NAN, |k| k as f64 / 1024.0)
    }

    /// Resident memory now, in MiB.
    fn rss_mib(&self) -> f64 {
        self.status_kib("VmRSS:").map_or(f64::NAN, |k| k as f64 / 1024.0)
    }

    /// Resets the peak (`VmHWM`) to the current resident size.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn create(id: Uuid, kind: RecordKind, body: Map<String, Value>, hlc: Hlc) -> Mutation {
    Mutation {
        mutation_id: Uuid::now_v7(),
        record_id: id,
        kind,
        op: Op::Create,
        changes: body.into_iter().map(|(k, v)| (k, json!({"old": null, "new": v}))).collect(),
        base_version: 0,
        hlc,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Accounts (one user and device per simulated device, plus the seeding
/// user and a newcomer) and `records` records through the real push path.
async fn seed(db: &dyn Database, args: &ServerArgs) -> Result<Seeded> {
    let started = Instant::now();
    let hash = hash_password("outreach bench password")?;
    db.add_team("Bench Outreach", &[AREA.to_string()]).await?;
    let most = args.devices.iter().copied().max().unwrap_or(0);
    let mut devices = Vec::with_capacity(most + 2);
    for i in 0..most + 2 {
        let user = db
            .add_user(NewUser {
                name: format!("bench.w{i:03}"),
                password_hash: hash.clone(),
                roles: vec![Role::Worker],
                teams: vec!["Bench Outreach".into()],
            })
            .await?;
        let token = DeviceToken::generate()?;
        let device = db.register_device(user.id, Uuid::now_v7(), &format!("bench-{i:03}"), &token.hash()).await?;
        devices.push((user, Device { token: token.secret().to_string(), id: device.id }));
    }
    let (seed_user, seed_device) = devices.pop().ok_or_else(|| anyhow!("no seeding user"))?;
    let newcomer = devices.pop().ok_or_else(|| anyhow!("no newcomer"))?.1;
    let actor = Actor {
        user_id: seed_user.id,
        user: seed_user.name.clone(),
        device: seed_device.id,
        roles: vec![Role::Worker],
    };
    let mut generator = Generator::new(args.seed, outreach_synth::today());
    let mut hlc = Hlc::zero(seed_device.id);
    let mut clients = Vec::new();
    let mut batch = Vec::with_capacity(SEED_BATCH);
    let mut made = 0;
    while made < args.records {
        // one client in ten, each followed by its contacts
        let id = Uuid::now_v7();
        let mut body = object(serde_json::to_value(generator.client())?);
        body.insert("area".into(), json!(AREA));
        let phone = json!(format!("0151 {:06}", made));
        body.insert("phone".into(), phone.clone());
        hlc = hlc.tick(now_ms());
        batch.push(create(id, RecordKind::Client, body, hlc));
        clients.push((id, phone));
        made += 1;
        for _ in 0..9 {
            if made >= args.records {
                break;
            }
            let contact = object(serde_json::to_value(generator.contact(id, &seed_user.name))?);
            hlc = hlc.tick(now_ms());
            batch.push(create(Uuid::now_v7(), RecordKind::Contact, contact, hlc));
            made += 1;
        }
        if batch.len() >= SEED_BATCH || made >= args.records {
            let results = db.push(&actor, &batch).await?;
            if let Some(bad) = results.iter().find(|r| !matches!(r.outcome, Outcome::Applied { .. })) {
                bail!("seeding: a change was not applied: {:?}", bad.outcome);
            }
            batch.clear();
            eprint!("\r  seeded {made} records");
        }
    }
    eprintln!();
    Ok(Seeded {
        clients,
        max_seq: 0,
        devices: devices.into_iter().map(|(_, d)| d).collect(),
        newcomer,
        took: started.elapsed(),
    })
}

/// The HTTP side of a simulated device.
#[derive(Clone)]
struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    fn request(&self, builder: reqwest::RequestBuilder, device: &Device) -> reqwest::RequestBuilder {
        builder
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(SCHEMA_HEADER, SCHEMA_VERSION.to_string())
            .bearer_auth(&device.token)
    }

    /// Pushes as `HttpTransport::push` does (JSON, gzip `fast`).
    async fn push(&self, device: &Device, mutations: Vec<Mutation>) -> Result<PushResponse> {
        let json = serde_json::to_vec(&PushRequest { mutations })?;
        let mut gzip = GzEncoder::new(Vec::with_capacity(json.len() / 4), Compression::fast());
        gzip.write_all(&json)?;
        let body = gzip.finish()?;
        let builder = self
            .client
            .post(format!("{}/api/v1/sync/push", self.base))
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body);
        let response = self.request(builder, device).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("push: {status}: {}", response.text().await.unwrap_or_default());
        }
        Ok(response.json().await?)
    }

    async fn pull(&self, device: &Device, cursor: i64, limit: usize) -> Result<PullResponse> {
        let builder = self.client.get(format!("{}/api/v1/sync/pull?cursor={cursor}&limit={limit}", self.base));
        let response = self.request(builder, device).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("pull: {status}: {}", response.text().await.unwrap_or_default());
        }
        Ok(response.json().await?)
    }
}

/// What one load run measured.
struct LoadRun {
    devices: usize,
    wall: Duration,
    push: Stats,
    pull: Stats,
    all: Stats,
    errors: usize,
    first_error: Option<String>,
    changes: usize,
    pulled: usize,
    peak_mib: f64,
}

/// One device's sync: push `changes`, then pull pages from `cursor` until
/// `want` records came down. Returns (push latency, pull latencies, records pulled).
async fn device_sync(
    http: Http,
    device: Device,
    changes: Vec<Mutation>,
    cursor: i64,
    want: usize,
    start_at: tokio::time::Instant,
) -> Result<(Duration, Vec<Duration>, usize)> {
    tokio::time::sleep_until(start_at).await;
    let started = Instant::now();
    let response = http.push(&device, changes).await?;
    let push = started.elapsed();
    if let Some(bad) = response.results.iter().find(|r| matches!(r.outcome, Outcome::Rejected { .. })) {
        bail!("a pushed change was rejected: {:?}", bad.outcome);
    }
    let mut pulls = Vec::new();
    let (mut cursor, mut got) = (cursor, 0);
    while got < want {
        let started = Instant::now();
        let page = http.pull(&device, cursor, PAGE.min(want - got).max(1)).await?;
        pulls.push(started.elapsed());
        got += page.changes.len();
        if !page.has_more || page.next_cursor <= cursor {
            break;
        }
        cursor = page.next_cursor;
    }
    Ok((push, pulls, got))
}

/// The changes device `index` of run `run` pushes: new contacts on random
/// clients, and one field edited on five clients no other device touches.
fn changes_for(
    seeded: &mut Seeded,
    rng: &mut StdRng,
    generator: &mut Generator,
    index: usize,
    count: usize,
    first: usize,
) -> Vec<Mutation> {
    let device = seeded.devices[index].id;
    let mut hlc = Hlc::zero(device);
    let mut out = Vec::with_capacity(count);
    let edits = count.min(5);
    for k in 0..edits {
        let slot = (first + index * edits + k) % seeded.clients.len();
        let (id, old) = seeded.clients[slot].clone();
        let new = json!(format!("0161 {:06}", first + index * edits + k));
        hlc = hlc.tick(now_ms());
        out.push(Mutation {
            mutation_id: Uuid::now_v7(),
            record_id: id,
            kind: RecordKind::Client,
            op: Op::Update,
            changes: object(json!({"phone": {"old": old, "new": new.clone()}})),
            base_version: 1,
            hlc,
        });
        seeded.clients[slot].1 = new;
    }
    for _ in edits..count {
        let (client, _) = seeded.clients[rng.random_range(0..seeded.clients.len())].clone();
        let contact = object(serde_json::to_value(generator.contact(client, "bench")).unwrap_or(Value::Null));
        hlc = hlc.tick(now_ms());
        out.push(create(Uuid::now_v7(), RecordKind::Contact, contact, hlc));
    }
    out
}

async fn load_run(
    http: &Http,
    server: &ServerProcess,
    seeded: &mut Seeded,
    args: &ServerArgs,
    devices: usize,
    first_client: usize,
    rng: &mut StdRng,
) -> LoadRun {
    let mut generator = Generator::new(args.seed + devices as u64, outreach_synth::today());
    let mut work = Vec::with_capacity(devices);
    for i in 0..devices {
        let changes = changes_for(seeded, rng, &mut generator, i, args.push, first_client);
        let cursor = rng.random_range(0..=(seeded.max_seq - args.pull as i64).max(0));
        work.push((seeded.devices[i].clone(), changes, cursor));
    }
    server.reset_peak();
    let started = Instant::now();
    let zero = tokio::time::Instant::now();
    let tasks: Vec<_> = work
        .into_iter()
        .enumerate()
        .map(|(i, (device, changes, cursor))| {
            // device i starts at i/devices of the arrival window
            let offset = Duration::from_millis(args.arrival_ms * i as u64 / devices.max(1) as u64);
            tokio::spawn(device_sync(http.clone(), device, changes, cursor, args.pull, zero + offset))
        })
        .collect();
    let (mut push, mut pull, mut errors, mut first_error, mut pulled) = (vec![], vec![], 0, None, 0);
    for task in tasks {
        match task.await.map_err(|e| anyhow!("{e}")).and_then(|r| r) {
            Ok((p, pages, got)) => {
                push.push(p);
                pull.extend(pages);
                pulled += got;
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("{e:#}"));
            }
        }
    }
    let wall = started.elapsed();
    let all: Vec<Duration> = push.iter().chain(pull.iter()).copied().collect();
    LoadRun {
        devices,
        wall,
        push: Stats::of(&push),
        pull: Stats::of(&pull),
        all: Stats::of(&all),
        errors,
        first_error,
        changes: push.len() * args.push,
        pulled,
        peak_mib: server.peak_mib(),
    }
}

/// A new device's first pull of everything, in pages of 500.
struct FirstPull {
    records: usize,
    pages: usize,
    took: Duration,
    page: Stats,
    peak_mib: f64,
    last_cursor: i64,
}

async fn first_pull(http: &Http, server: &ServerProcess, device: &Device) -> Result<FirstPull> {
    server.reset_peak();
    let started = Instant::now();
    let (mut cursor, mut records, mut pages) = (0, 0, vec![]);
    loop {
        let t = Instant::now();
        let page = http.pull(device, cursor, PAGE).await?;
        pages.push(t.elapsed());
        records += page.changes.len();
        if !page.has_more {
            cursor = page.next_cursor.max(cursor);
            break;
        }
        cursor = page.next_cursor;
    }
    Ok(FirstPull {
        records,
        pages: pages.len(),
        took: started.elapsed(),
        page: Stats::of(&pages),
        peak_mib: server.peak_mib(),
        last_cursor: cursor,
    })
}

fn server_binary(args: &ServerArgs) -> Result<PathBuf> {
    if let Some(bin) = &args.server_bin {
        return Ok(bin.clone());
    }
    let exe = std::env::current_exe()?;
    let bin = exe.with_file_name("outreach-server");
    if !bin.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p outreach-server) or give --server-bin",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs the benchmark and prints its figures as Markdown.
pub fn run(args: &ServerArgs) -> Result<()> {
    let bin = server_binary(args)?;
    let machine = Machine::detect();
    println!("# outreach-bench server\n");
    println!(
        "{} logical CPUs, {}, {:.1} GiB; load average at start {}\n",
        machine.nproc,
        machine.cpu.as_deref().unwrap_or("unknown CPU"),
        machine.mem_gib.unwrap_or(f64::NAN),
        load_average().unwrap_or_default()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    for backend in &args.backends {
        let backend = match backend {
            BackendArg::Sqlite => Backend::Sqlite,
            BackendArg::Postgres => Backend::Postgres,
        };
        let testdb = runtime.block_on(TestDb::new(backend)).map_err(|e| anyhow!("{backend:?} database: {e}"))?;
        let outcome = runtime.block_on(measure(&bin, &testdb, backend, args));
        runtime.block_on(testdb.cleanup()).map_err(|e| anyhow!("removing the {backend:?} database: {e}"))?;
        outcome?;
    }
    println!("load average at end {}", load_average().unwrap_or_default());
    Ok(())
}

async fn measure(bin: &Path, testdb: &TestDb, backend: Backend, args: &ServerArgs) -> Result<()> {
    eprintln!("{backend:?}: seeding {} records", args.records);
    let mut seeded = seed(&*testdb.db(), args).await?;
    let server = ServerProcess::start(bin, &testdb.url())?;
    let http = Http {
        client: reqwest::Client::builder().no_proxy().pool_max_idle_per_host(1_000).build()?,
        base: server.base.clone(),
    };
    let idle = server.rss_mib();
    let first = first_pull(&http, &server, &seeded.newcomer).await?;
    seeded.max_seq = first.last_cursor;
    println!("## {backend:?}\n");
    println!(
        "Seeded {} records (through the storage trait's push) in {:.1} s. Server resident memory when idle: {idle:.1} MiB.\n",
        args.records,
        seeded.took.as_secs_f64()
    );
    println!(
        "First pull by a new device: {} records in {} pages, **{:.2} s** ({:.0} records/s); page p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; server peak RSS {:.1} MiB\n",
        first.records,
        first.pages,
        first.took.as_secs_f64(),
        first.records as f64 / first.took.as_secs_f64(),
        first.page.p50,
        first.page.p95,
        first.page.p99,
        first.peak_mib
    );
    if args.arrival_ms > 0 {
        println!(
            "Devices start spread evenly over {} ms (not all at once); latency is from each device's own start, wall time from the first start to the last answer.\n",
            args.arrival_ms
        );
    }
    println!(
        "| devices at once | requests | errors | all p50 / p95 / p99 ms | push p50 / p95 / p99 ms | pull p50 / p95 / p99 ms | wall s | requests/s | changes/s pushed | records/s pulled | server peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut first_client = 0;
    for &devices in &args.devices {
        if devices > seeded.devices.len() {
            bail!("only {} devices were registered", seeded.devices.len());
        }
        let run = load_run(&http, &server, &mut seeded, args, devices, first_client, &mut rng).await;
        first_client += devices * args.push.min(5);
        let secs = run.wall.as_secs_f64();
        println!(
            "| {} | {} | {} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {:.2} | {:.0} | {:.0} | {:.0} | {:.1} |",
            run.devices,
            run.all.count,
            run.errors,
            run.all.p50,
            run.all.p95,
            run.all.p99,
            run.push.p50,
            run.push.p95,
            run.push.p99,
            run.pull.p50,
            run.pull.p95,
            run.pull.p99,
            secs,
            run.all.count as f64 / secs,
            run.changes as f64 / secs,
            run.pulled as f64 / secs,
            run.peak_mib
        );
        if let Some(e) = run.first_error {
            println!("\nfirst error: {e}\n");
        }
    }
    println!();
    Ok(())
}
