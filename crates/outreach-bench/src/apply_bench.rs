//! `outreach-bench apply`: the laptop's share of a first sync, alone.
//!
//! Builds the pull pages a server would send for a synthetic caseload
//! (clients, then each client's contacts, as `outreach-bench sync` seeds
//! it) and times `Store::apply_pull_page` on an empty encrypted store,
//! with no server, network or JSON decoding in the way. It exists so the
//! store's side of target (b) can be profiled and improved in isolation.

use crate::stats::Stats;
use anyhow::{Result, bail};
use outreach_domain::{Body, Hlc, RecordKind};
use outreach_protocol::api::{PullResponse, RecordChange};
use outreach_store::Store;
use outreach_synth::Generator;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Options of `outreach-bench apply`.
#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Records delivered (clients and contacts in the ratio 1:9).
    #[arg(long, default_value_t = 100_000)]
    pub records: usize,
    /// Records per page (the sync engine asks for 500).
    #[arg(long, default_value_t = 500)]
    pub page: usize,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn change<T: Body>(id: Uuid, body: &T, seq: i64, device: Uuid) -> Result<RecordChange> {
    let Value::Object(data) = serde_json::to_value(body)? else { bail!("a body is a JSON object") };
    Ok(RecordChange {
        id,
        kind: T::KIND,
        client_id: body.client_id(id),
        data,
        version: 1,
        seq,
        deleted: false,
        erased: false,
        hlc: Hlc { wall_ms: 1_764_000_000_000 + seq, counter: 0, device },
        updated_at: chrono::Utc::now(),
        updated_by: "amy.w".into(),
        area: Some("Liverpool".into()),
    })
}

/// The changes a server would send, in its order: every client, then each
/// client's nine contacts.
fn changes(args: &ApplyArgs) -> Result<Vec<RecordChange>> {
    let mut generator = Generator::new(args.seed, outreach_synth::today());
    let workers = outreach_synth::workers();
    let device = Uuid::now_v7();
    let n_clients = (args.records / 10).max(1);
    let mut out = Vec::with_capacity(args.records);
    let mut ids = Vec::with_capacity(n_clients);
    for _ in 0..n_clients {
        let id = Uuid::now_v7();
        let seq = out.len() as i64 + 1;
        out.push(change(id, &generator.client(), seq, device)?);
        ids.push(id);
    }
    for (i, &client) in ids.iter().enumerate() {
        for _ in 0..9 {
            if out.len() == args.records {
                break;
            }
            let seq = out.len() as i64 + 1;
            out.push(change(Uuid::now_v7(), &generator.contact(client, workers[i % workers.len()]), seq, device)?);
        }
    }
    debug_assert!(out.iter().all(|c| c.kind == RecordKind::Client || c.client_id.is_some()));
    Ok(out)
}

/// Runs the benchmark and prints its figures.
pub fn run(args: &ApplyArgs) -> Result<()> {
    let changes = changes(args)?;
    let pages: Vec<PullResponse> = changes
        .chunks(args.page.max(1))
        .enumerate()
        .map(|(i, chunk)| {
            let last = chunk.last().map_or(0, |c| c.seq);
            PullResponse {
                changes: chunk.to_vec(),
                drops: Vec::new(),
                conflicts: Vec::new(),
                next_cursor: last,
                has_more: (i + 1) * args.page < changes.len(),
                remaining: (changes.len() - (i * args.page + chunk.len())) as i64,
                snapshot_seq: Some(changes.len() as i64),
                unreadable: vec![],
            }
        })
        .collect();
    let temp = tempfile::tempdir()?;
    let mut store = Store::init(temp.path(), "outreach bench synthetic passphrase", "ben.k")?;
    let mut times = Vec::with_capacity(pages.len());
    let started = Instant::now();
    for page in &pages {
        let at = Instant::now();
        store.apply_pull_page(page)?;
        times.push(at.elapsed());
    }
    let total = started.elapsed();
    let held = store.record_states()?.len();
    if held != changes.len() {
        bail!("the store holds {held} records, not {}", changes.len());
    }
    let stats = Stats::of(&times);
    println!(
        "applied {} records in {} pages of {}: {:.2} s ({:.0} records/s); per page p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        changes.len(),
        pages.len(),
        args.page,
        total.as_secs_f64(),
        changes.len() as f64 / total.as_secs_f64(),
        stats.p50,
        stats.p95,
        stats.max,
    );
    let clients: Duration = times.iter().take(changes.len().div_ceil(10).div_ceil(args.page)).sum();
    println!("  of which the client pages: {:.2} s", clients.as_secs_f64());
    Ok(())
}
