//! `outreach-bench store`: populates (or reuses) an encrypted store with a
//! synthetic caseload and times the operations a worker waits on.

use crate::report::{Dataset, Figure, Machine, Population, Report, Target, Timing};
use crate::stats::Stats;
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use outreach_domain::{Client, Contact, RecordKind, RiskLevel};
use outreach_store::search::{SearchIndex, normalise};
use outreach_store::store::{DB_FILE, KEY_FILE};
use outreach_store::{ClientFilter, ClientSummary, Store, keyfile};
use outreach_synth::Generator;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The passphrase of bench stores. They hold only synthetic data, so it is
/// fixed and public.
pub const PASSPHRASE: &str = "outreach bench synthetic passphrase";

/// The user bench stores record changes as.
const USER: &str = "bench";

/// Times the store is opened.
const OPENS: usize = 20;
/// Search queries per group (four groups).
const QUERIES_PER_GROUP: usize = 250;
/// Calls of each filtered list.
const LISTS: usize = 200;
/// Client overviews opened.
const OVERVIEWS: usize = 1_000;
/// Contacts in one batch.
const BATCH_CONTACTS: usize = 10_000;
/// Batches of contacts timed.
const BATCH_RUNS: usize = 3;
/// Single contacts created one transaction each.
const SINGLE_CREATES: usize = 1_000;
/// Calls made, untimed, before each timed series.
const WARM_UP: usize = 20;

/// First names whose first four letters are themselves a name or nickname
/// the search knows (`outreach_store::search`), so a 4-letter prefix of them
/// would be matched as a nickname rather than as a prefix.
const NICKNAME_PREFIXES: &[&str] = &[
    "alex", "andy", "bert", "beth", "bill", "cath", "dave", "davy", "dick", "drew", "jack", "joey", "john", "kate",
    "kath", "lexi", "liam", "matt", "mick", "mike", "nick", "pete", "rich", "rick", "tina", "tony", "tori", "will",
];

/// Options of `outreach-bench store`.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// Clients to create.
    #[arg(long, default_value_t = 50_000)]
    pub clients: usize,
    /// Contacts per client.
    #[arg(long, default_value_t = 10)]
    pub contacts_per_client: usize,
    /// Seed of the synthetic data and of the random choices of the bench.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Data folder to use instead of a temporary one. If it already holds a
    /// store, that store is reused and not populated again (the write
    /// benchmarks still add to it).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print JSON instead of Markdown.
    #[arg(long)]
    pub json: bool,
    /// Contacts in each run of the change-tracking comparison (a fresh
    /// store's `create_many` against plain INSERTs of the same contacts,
    /// untracked, into the store's own records table and into a bare table).
    #[arg(long, default_value_t = 10_000)]
    pub tracking: usize,
    /// Run only the change-tracking comparison (no caseload is made).
    #[arg(long)]
    pub tracking_only: bool,
}

/// The four kinds of search query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group {
    Exact,
    Misspelt,
    FirstPrefix,
    Surname,
}

impl Group {
    const ALL: [Group; 4] = [Group::Exact, Group::Misspelt, Group::FirstPrefix, Group::Surname];

    fn label(self) -> &'static str {
        match self {
            Group::Exact => "exact full name",
            Group::Misspelt => "misspelt surname",
            Group::FirstPrefix => "first-name prefix (4 letters)",
            Group::Surname => "surname only",
        }
    }
}

/// One search query and the client it was made from.
#[derive(Debug, Clone)]
struct Query {
    group: Group,
    text: String,
    intended: Uuid,
    name: String,
}

fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let value = f()?;
    Ok((value, start.elapsed()))
}

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1e6)
}

fn timing(name: &str, durations: &[Duration], target: Option<Target>) -> Timing {
    Timing { name: name.to_string(), stats: Stats::of(durations), target }
}

fn figure(name: &str, value: f64, unit: &str, target: Option<Target>) -> Figure {
    Figure { name: name.to_string(), value, unit: unit.to_string(), target }
}

/// Fills a new store in `dir`, reporting progress on stderr.
fn populate(dir: &Path, args: &StoreArgs, today: NaiveDate) -> Result<Population> {
    let mut store = Store::init(dir, PASSPHRASE, USER).context("creating the store")?;
    let mut generator = Generator::new(args.seed, today);
    let total = args.clients;
    eprintln!("populating {} with {total} clients x {} contacts", dir.display(), args.contacts_per_client);
    let start = Instant::now();
    let done = outreach_synth::populate(&mut store, &mut generator, total, args.contacts_per_client, |done| {
        let secs = start.elapsed().as_secs_f64();
        eprintln!("  {done:>7}/{total} clients, {secs:7.1} s, {:.0} clients/s", done as f64 / secs.max(f64::EPSILON));
    })
    .context("populating the store")?;
    let population = Population {
        clients: done.clients,
        contacts: done.contacts,
        risk_assessments: done.risk_assessments,
        assignments: done.assignments,
        seconds: start.elapsed().as_secs_f64(),
    };
    eprintln!("populated in {:.1} s ({:.0} records/s)", population.seconds, population.records_per_second());
    Ok(population)
}

/// 250 queries of each group from named clients, shuffled together.
fn make_queries(
    named: &[(&ClientSummary, String, String)],
    per_group: usize,
    rng: &mut StdRng,
    generator: &mut Generator,
) -> Result<Vec<Query>> {
    let mut queries = Vec::with_capacity(per_group * 4);
    for group in Group::ALL {
        let mut made = 0;
        let mut tries = 0;
        while made < per_group {
            tries += 1;
            if tries > per_group * 1_000 {
                bail!("could not make {per_group} '{}' queries from the clients", group.label());
            }
            let Some((summary, first, surname)) = named.choose(rng) else {
                bail!("the store holds no named clients");
            };
            let text = match group {
                Group::Exact => summary.display_name.expose().clone(),
                Group::Surname => surname.clone(),
                Group::Misspelt => {
                    if surname.chars().count() < 4 {
                        continue;
                    }
                    let Some(wrong) = (0..10).map(|_| generator.misspell(surname)).find(|w| w != surname) else {
                        continue;
                    };
                    format!("{first} {wrong}")
                }
                Group::FirstPrefix => {
                    let prefix: String = first.chars().take(4).collect();
                    if prefix.chars().count() < 4 || NICKNAME_PREFIXES.contains(&prefix.to_lowercase().as_str()) {
                        continue;
                    }
                    prefix
                }
            };
            queries.push(Query { group, text, intended: summary.id, name: summary.display_name.expose().clone() });
            made += 1;
        }
    }
    shuffle(&mut queries, rng);
    Ok(queries)
}

fn shuffle<T>(items: &mut [T], rng: &mut StdRng) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// A copy of the store's search index built from its client records the way
/// `summary::refresh` does, to time the in-memory search without the audit
/// write `Store::search` makes.
fn replica_index(store: &Store, summaries: &[ClientSummary]) -> Result<SearchIndex> {
    let by_id: HashMap<Uuid, &ClientSummary> = summaries.iter().map(|s| (s.id, s)).collect();
    let mut index = SearchIndex::default();
    for client in store.all::<Client>()? {
        let Some(summary) = by_id.get(&client.meta.id) else {
            continue;
        };
        let body = &client.body;
        let mut names: Vec<String> =
            body.name.iter().chain(body.aliases.iter()).map(|n| normalise(n.expose())).collect();
        if let Some(description) = &body.description {
            names.push(normalise(description.expose()));
        }
        names.retain(|n| !n.is_empty());
        index.upsert((*summary).clone(), &names.join("\n"));
    }
    Ok(index)
}

/// Times `n` rewrites of a 4 KiB block of a scratch file in `dir`, each
/// followed by `fsync`.
fn fsync_probe(dir: &Path, n: usize) -> Result<Vec<Duration>> {
    use std::io::{Seek, SeekFrom, Write};
    let path = dir.join("outreach-bench-fsync-probe");
    let mut file = std::fs::File::create(&path).context("creating the fsync probe file")?;
    file.write_all(&vec![0u8; 64 * 4096])?;
    file.sync_all()?;
    let mut block = [0u8; 4096];
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        block[i % 4096] = block[i % 4096].wrapping_add(1);
        file.seek(SeekFrom::Start(((i % 64) * 4096) as u64))?;
        file.write_all(&block)?;
        let start = Instant::now();
        file.sync_all()?;
        out.push(start.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path).context("removing the fsync probe file")?;
    Ok(out)
}

fn contacts_for(clients: &[Uuid], per_client: usize, generator: &mut Generator, rng: &mut StdRng) -> Vec<Contact> {
    let workers = outreach_synth::workers();
    let mut out = Vec::with_capacity(clients.len() * per_client);
    for &client in clients {
        let worker = workers.choose(rng).copied().unwrap_or("amy.w");
        for _ in 0..per_client {
            out.push(generator.contact(client, worker));
        }
    }
    out
}

fn pick_ids(ids: &[Uuid], n: usize, rng: &mut StdRng) -> Vec<Uuid> {
    (0..n).filter_map(|_| ids.choose(rng).copied()).collect()
}

/// Runs of the change-tracking comparison.
const TRACKING_RUNS: usize = 5;

/// Adds the change-tracking comparison to the report.
fn report_tracking(
    dir: &Path,
    args: &StoreArgs,
    generator: &mut Generator,
    timings: &mut Vec<Timing>,
    figures: &mut Vec<Figure>,
) -> Result<()> {
    let n = args.tracking;
    eprintln!("timing change tracking: create_many vs untracked inserts, {n} contacts x{TRACKING_RUNS}");
    let measured = crate::tracking::compare(dir, generator, PASSPHRASE, n, TRACKING_RUNS)?;
    let store = Stats::of(&measured.store);
    timings.push(timing(
        &format!("change tracking: `create_many` of {n} contacts into a fresh store"),
        &measured.store,
        None,
    ));
    for (baseline, times) in &measured.baselines {
        let ratio = store.p50 / Stats::of(times).p50;
        timings.push(timing(
            &format!("change tracking: plain INSERT of the same {n} contacts, {}", baseline.label()),
            times,
            None,
        ));
        let target = (*baseline == crate::tracking::Baseline::RecordsTable).then(|| Target::new("<= 2x", ratio <= 2.0));
        figures.push(figure(
            &format!("change tracking cost: store / {}, medians", baseline.label()),
            ratio,
            "x",
            target,
        ));
    }
    Ok(())
}

/// Runs the store benchmark.
pub fn run(args: &StoreArgs) -> Result<Report> {
    let today = outreach_synth::today();
    if args.tracking_only {
        let temp =
            tempfile::Builder::new().prefix("outreach-bench-").tempdir().context("creating a temporary folder")?;
        let mut machine = Machine::detect();
        let mut generator = Generator::new(args.seed.wrapping_add(1_000_003), today);
        let (mut timings, mut figures) = (Vec::new(), Vec::new());
        report_tracking(temp.path(), args, &mut generator, &mut timings, &mut figures)?;
        machine.load_end = crate::report::load_average();
        let dataset = Dataset {
            dir: temp.path().display().to_string(),
            reused: false,
            clients: 0,
            contacts: 0,
            records: 0,
            db_mb: 0.0,
            wal_mb: 0.0,
        };
        let command = std::env::args().collect::<Vec<_>>().join(" ");
        return Ok(Report { command, machine, dataset, population: None, timings, figures, diagnostics: Vec::new() });
    }
    let _temp;
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => {
            let temp =
                tempfile::Builder::new().prefix("outreach-bench-").tempdir().context("creating a temporary folder")?;
            let path = temp.path().to_path_buf();
            _temp = temp;
            path
        }
    };
    let reused = Store::exists(&dir);
    let population = if reused {
        eprintln!("reusing the store in {} (not populating)", dir.display());
        None
    } else {
        Some(populate(&dir, args, today)?)
    };

    let mut machine = Machine::detect();
    let mut rng = StdRng::seed_from_u64(args.seed ^ 0x5eed_be4c);
    let mut generator = Generator::new(args.seed.wrapping_add(1_000_003), today);
    let mut timings = Vec::new();
    let mut figures = Vec::new();
    let mut breakdown = Vec::new();

    // a. Opening the store.
    eprintln!("timing Store::open x{OPENS}");
    for _ in 0..2 {
        drop(Store::open(&dir, PASSPHRASE).context("opening the store")?);
    }
    let mut opens = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        let (store, d) = timed(|| Ok(Store::open(&dir, PASSPHRASE)?))?;
        opens.push(d);
        drop(store);
    }
    let open_stats = Stats::of(&opens);
    timings.push(timing("open store (`Store::open`)", &opens, Some(Target::new("< 150 ms", open_stats.p95 < 150.0))));
    let mut unwraps = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        unwraps.push(timed(|| Ok(keyfile::read(&dir.join(KEY_FILE), PASSPHRASE)?))?.1);
    }
    breakdown.push(timing("open: unwrap data key (Argon2id, `keyfile::read`)", &unwraps, None));

    let mut store = Store::open(&dir, PASSPHRASE)?;

    // b. Building the search index.
    eprintln!("timing Store::warm_search");
    let (indexed, warm) = timed(|| Ok(store.warm_search()?))?;
    timings.push(timing(&format!("build search index (`warm_search`, {indexed} clients)"), &[warm], None));

    let counts: HashMap<RecordKind, usize> = store.counts()?.into_iter().collect();
    let dataset = Dataset {
        dir: dir.display().to_string(),
        reused,
        clients: counts.get(&RecordKind::Client).copied().unwrap_or(0),
        contacts: counts.get(&RecordKind::Contact).copied().unwrap_or(0),
        records: counts.values().sum(),
        db_mb: file_mb(&dir.join(DB_FILE)),
        wal_mb: file_mb(&dir.join(format!("{DB_FILE}-wal"))),
    };

    // The floor under every durable commit on this disk.
    breakdown.push(timing(
        "raw 4 KiB write + fsync in the data folder (disk floor of every durable commit)",
        &fsync_probe(&dir, 200)?,
        None,
    ));

    // c. Fuzzy name search.
    let summaries = store.list_clients(&ClientFilter::default(), today, 0, usize::MAX)?;
    let named: Vec<(&ClientSummary, String, String)> = summaries
        .iter()
        .filter(|s| !s.display_name.expose().starts_with("(unnamed"))
        .filter_map(|s| {
            let (first, surname) = s.display_name.expose().split_once(' ')?;
            Some((s, first.to_string(), surname.to_string()))
        })
        .collect();
    let warm_queries = make_queries(&named, WARM_UP / 4 + 1, &mut rng, &mut generator)?;
    let queries = make_queries(&named, QUERIES_PER_GROUP, &mut rng, &mut generator)?;
    eprintln!("timing Store::search x{}", queries.len());
    let any = ClientFilter::default();
    for q in &warm_queries {
        store.search(&q.text, &any, today, 20)?;
    }
    let mut all = Vec::with_capacity(queries.len());
    let mut by_group: HashMap<Group, Vec<Duration>> = HashMap::new();
    let mut hits_id: HashMap<Group, usize> = HashMap::new();
    let mut hits_name: HashMap<Group, usize> = HashMap::new();
    let mut results = 0usize;
    for q in &queries {
        let (found, d) = timed(|| Ok(store.search(&q.text, &any, today, 20)?))?;
        all.push(d);
        by_group.entry(q.group).or_default().push(d);
        results += found.len();
        let top = &found[..found.len().min(10)];
        if top.iter().any(|s| s.id == q.intended) {
            *hits_id.entry(q.group).or_default() += 1;
        }
        if top.iter().any(|s| *s.display_name.expose() == q.name) {
            *hits_name.entry(q.group).or_default() += 1;
        }
    }
    let search_stats = Stats::of(&all);
    timings.push(timing(
        "fuzzy name search, all 4 groups (`Store::search`, limit 20)",
        &all,
        Some(Target::new("p95 < 10 ms", search_stats.p95 < 10.0)),
    ));
    for group in Group::ALL {
        let d = by_group.get(&group).map(Vec::as_slice).unwrap_or_default();
        timings.push(timing(&format!("search: {}", group.label()), d, None));
    }
    let rate = |hits: &HashMap<Group, usize>, groups: &[Group]| {
        let n: usize = groups.iter().map(|g| hits.get(g).copied().unwrap_or(0)).sum();
        100.0 * n as f64 / (groups.len() * QUERIES_PER_GROUP) as f64
    };
    let quality = [
        ("exact + misspelt", &[Group::Exact, Group::Misspelt][..]),
        ("exact", &[Group::Exact][..]),
        ("misspelt", &[Group::Misspelt][..]),
    ];
    for (label, groups) in quality {
        figures.push(figure(
            &format!("search hit rate, {label}: intended client (same id) in top 10"),
            rate(&hits_id, groups),
            "%",
            None,
        ));
    }
    for (label, groups) in quality {
        figures.push(figure(
            &format!("search hit rate, {label}: a client of the intended name in top 10"),
            rate(&hits_name, groups),
            "%",
            None,
        ));
    }
    figures.push(figure("search: mean results per query (limit 20)", results as f64 / queries.len() as f64, "", None));

    eprintln!("timing the in-memory part of search");
    let replica = replica_index(&store, &summaries)?;
    for q in &warm_queries {
        replica.search(&q.text, &any, today, 20);
    }
    let mut pure = Vec::with_capacity(queries.len());
    for q in &queries {
        pure.push(timed(|| Ok(replica.search(&q.text, &any, today, 20)))?.1);
    }
    breakdown.push(timing("search: in-memory index only (`SearchIndex::search`, no audit write)", &pure, None));
    let mut audits = Vec::with_capacity(LISTS);
    for _ in 0..WARM_UP {
        store.audit_import("outreach-bench warm-up")?;
    }
    for _ in 0..LISTS {
        audits.push(timed(|| Ok(store.audit_import("outreach-bench audit cost")?))?.1);
    }
    breakdown.push(timing(
        "one audit entry, autocommit (`Store::audit_import`; search, list and overview each write one)",
        &audits,
        None,
    ));

    // d. Filtered lists.
    let filters = [
        ("list: overdue review (limit 50)", ClientFilter { overdue_review: true, ..Default::default() }),
        (
            "list: Liverpool, risk high (limit 50)",
            ClientFilter { area: Some("Liverpool".into()), min_risk: Some(RiskLevel::High), ..Default::default() },
        ),
    ];
    for (name, filter) in &filters {
        eprintln!("timing {name} x{LISTS}");
        let matching = store.list_clients(filter, today, 0, usize::MAX)?.len();
        for _ in 0..WARM_UP {
            store.list_clients(filter, today, 0, 50)?;
        }
        let mut lists = Vec::with_capacity(LISTS);
        for _ in 0..LISTS {
            lists.push(timed(|| Ok(store.list_clients(filter, today, 0, 50)?))?.1);
        }
        timings.push(timing(&format!("{name}; {matching} match"), &lists, None));
        let mut pure = Vec::with_capacity(LISTS);
        for _ in 0..LISTS {
            pure.push(timed(|| Ok(replica.list(filter, today, 0, 50)))?.1);
        }
        breakdown.push(timing(&format!("{name}: in-memory only (`SearchIndex::list`)"), &pure, None));
    }

    // e. Client overview.
    let ids: Vec<Uuid> = summaries.iter().map(|s| s.id).collect();
    eprintln!("timing Store::client_overview x{OVERVIEWS}");
    for id in pick_ids(&ids, WARM_UP, &mut rng) {
        store.client_overview(id, today)?;
    }
    let sample = pick_ids(&ids, OVERVIEWS, &mut rng);
    let mut overviews = Vec::with_capacity(OVERVIEWS);
    let mut shown = 0usize;
    for &id in &sample {
        let (o, d) = timed(|| Ok(store.client_overview(id, today)?))?;
        shown += o.recent_contacts.len();
        overviews.push(d);
    }
    let overview_stats = Stats::of(&overviews);
    timings.push(timing(
        "open a client (`Store::client_overview`)",
        &overviews,
        Some(Target::new("p95 < 5 ms", overview_stats.p95 < 5.0)),
    ));
    figures.push(figure("overview: mean recent contacts shown", shown as f64 / OVERVIEWS as f64, "", None));
    let mut recent = Vec::with_capacity(OVERVIEWS);
    for &id in &sample {
        recent.push(timed(|| Ok(store.list_for_client::<Contact>(id, Some(20))?))?.1);
    }
    breakdown.push(timing("overview part: last 20 contacts (`list_for_client::<Contact>`)", &recent, None));

    // Writes go to other clients on each re-run of a reused store.
    let mut rng = StdRng::seed_from_u64(args.seed ^ dataset.contacts as u64);

    // f(i). 10,000 contacts in one transaction.
    eprintln!("timing Store::create_many of {BATCH_CONTACTS} contacts x{BATCH_RUNS}");
    let per_client = 10;
    let warm_clients = pick_ids(&ids, 100, &mut rng);
    store.create_many(contacts_for(&warm_clients, per_client, &mut generator, &mut rng))?;
    let mut batches = Vec::with_capacity(BATCH_RUNS);
    for _ in 0..BATCH_RUNS {
        let clients = pick_ids(&ids, BATCH_CONTACTS / per_client, &mut rng);
        let contacts = contacts_for(&clients, per_client, &mut generator, &mut rng);
        let (created, d) = timed(|| Ok(store.create_many(contacts)?))?;
        if created.len() != BATCH_CONTACTS {
            bail!("create_many made {} contacts, not {BATCH_CONTACTS}", created.len());
        }
        batches.push(d);
    }
    let batch_stats = Stats::of(&batches);
    timings.push(timing(
        "create 10,000 contacts (1,000 clients x 10) in one `create_many`",
        &batches,
        Some(Target::new("< 1 s", batch_stats.p50 < 1_000.0)),
    ));
    figures.push(figure(
        "create_many throughput (median run)",
        BATCH_CONTACTS as f64 / (batch_stats.p50 / 1_000.0),
        "contacts/s",
        None,
    ));

    // f(ii). Single creates, one durable transaction each.
    eprintln!("timing Store::create x{SINGLE_CREATES}");
    for id in pick_ids(&ids, WARM_UP, &mut rng) {
        store.create(contacts_for(&[id], 1, &mut generator, &mut rng).remove(0))?;
    }
    let mut singles = Vec::with_capacity(SINGLE_CREATES);
    for id in pick_ids(&ids, SINGLE_CREATES, &mut rng) {
        let contact = contacts_for(&[id], 1, &mut generator, &mut rng).remove(0);
        singles.push(timed(|| Ok(store.create(contact)?))?.1);
    }
    let single_stats = Stats::of(&singles);
    timings.push(timing("create 1 contact (`Store::create`, own transaction, synchronous=FULL)", &singles, None));
    figures.push(figure(
        "implied time for 10,000 single creates (sum of 1,000 x 10)",
        single_stats.total * 10.0 / 1_000.0,
        "s",
        None,
    ));

    // Breakdown of create_many: few rows touching many clients, then many
    // rows touching one client.
    let many = pick_ids(&ids, BATCH_CONTACTS / per_client, &mut rng);
    let contacts = contacts_for(&many, 1, &mut generator, &mut rng);
    let (_, d) = timed(|| Ok(store.create_many(contacts)?))?;
    breakdown.push(timing(
        "create_many of 1,000 contacts, 1 each for 1,000 clients (1,000 summary refreshes)",
        &[d],
        None,
    ));
    let one = pick_ids(&ids, 1, &mut rng);
    let contacts = contacts_for(&one, BATCH_CONTACTS, &mut generator, &mut rng);
    let (_, d) = timed(|| Ok(store.create_many(contacts)?))?;
    breakdown.push(timing(
        "create_many of 10,000 contacts all for 1 client (1 summary refresh instead of 1,000)",
        &[d],
        None,
    ));

    drop(store);
    report_tracking(&dir, args, &mut generator, &mut timings, &mut figures)?;

    machine.load_end = crate::report::load_average();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    Ok(Report { command, machine, dataset, population, timings, figures, diagnostics: breakdown })
}
