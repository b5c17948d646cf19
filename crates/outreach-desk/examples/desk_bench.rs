//! Times what the desktop app waits on at start-up and per keystroke, on a
//! synthetic caseload (outreach-synth, no real person's data):
//! unlock (key unwrap + open + search index) to the first caseload page,
//! then caseload pages and searches through `outreach_desk::Desk`.
//!
//! ```text
//! cargo run --release -p outreach-desk --example desk_bench -- [CLIENTS] [DATA_DIR]
//! ```
//!
//! CLIENTS defaults to 50,000 (5 contacts each). With DATA_DIR, a store
//! already there (made by an earlier run, passphrase below) is reused.

use outreach_desk::Desk;
use outreach_desk::inputs::{CaseloadFilters, CaseloadQuery, CaseloadScope};
use outreach_store::Store;
use outreach_synth::{Generator, populate, today};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const PASSPHRASE: &str = "desk bench synthetic passphrase";
const USER: &str = "amy.w";
const RUNS: usize = 5;
const QUERIES: [&str; 8] = ["smith", "jon", "sarah jones", "mcdonald", "ali", "kel", "wiliams", "1984-03-02"];

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let temp = tempfile::tempdir().expect("temporary folder");
    let dir: PathBuf = args.next().map_or_else(|| temp.path().join("store"), PathBuf::from);
    if !Store::exists(&dir) {
        std::fs::create_dir_all(&dir).expect("data folder");
        let started = Instant::now();
        let mut store = Store::init(&dir, PASSPHRASE, USER).expect("new store");
        let mut generator = Generator::new(1, today());
        let made = populate(&mut store, &mut generator, clients, 5, |_| {}).expect("populate");
        eprintln!(
            "populated {} clients, {} contacts in {:.1} s",
            made.clients,
            made.contacts,
            started.elapsed().as_secs_f64()
        );
    }

    let page = |scope| CaseloadQuery { scope, filters: CaseloadFilters::default(), offset: 0, limit: 50 };
    let mut unlock_to_page = Vec::new();
    let mut unlock_only = Vec::new();
    for _ in 0..RUNS {
        let desk = Desk::new(&dir);
        let started = Instant::now();
        desk.unlock(PASSPHRASE).expect("unlock");
        unlock_only.push(started.elapsed());
        let first = desk.caseload(page(CaseloadScope::Mine)).expect("caseload");
        unlock_to_page.push(started.elapsed());
        assert!(!first.clients.is_empty() || clients == 0);
        desk.lock().expect("lock");
    }

    let desk = Desk::new(&dir);
    desk.unlock(PASSPHRASE).expect("unlock");
    let time = |f: &dyn Fn()| {
        let v: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect();
        median(v)
    };
    let mine = time(&|| drop(desk.caseload(page(CaseloadScope::Mine)).expect("mine")));
    let team = time(&|| drop(desk.caseload(page(CaseloadScope::Team)).expect("team")));
    let flagged = time(&|| {
        let q = CaseloadQuery {
            scope: CaseloadScope::Team,
            filters: CaseloadFilters { flagged: Some(true), overdue_review: Some(true), ..Default::default() },
            offset: 0,
            limit: 50,
        };
        drop(desk.caseload(q).expect("filtered"));
    });
    let mut searches = Vec::new();
    for q in QUERIES {
        for end in 1..=q.len() {
            let t = Instant::now();
            let hits = desk.search_clients(&q[..end], CaseloadFilters::default(), 20).expect("search");
            searches.push(t.elapsed());
            drop(hits);
        }
    }
    let total = desk.caseload(page(CaseloadScope::Team)).expect("team").total;
    println!("| Measure ({total} open clients on the store) | median ms | max ms |");
    println!("|---|--:|--:|");
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    println!(
        "| unlock (Argon2id + open + search index) | {} | {} |",
        ms(median(unlock_only.clone())),
        ms(max(&unlock_only))
    );
    println!(
        "| unlock to first caseload page (mine, 50 rows) | {} | {} |",
        ms(median(unlock_to_page.clone())),
        ms(max(&unlock_to_page))
    );
    println!("| caseload page, mine (50 rows, with total) | {} | |", ms(mine));
    println!("| caseload page, team (50 rows, with total) | {} | |", ms(team));
    println!("| caseload page, team, flagged + overdue | {} | |", ms(flagged));
    println!(
        "| search as you type ({} keystrokes, limit 20) | {} | {} |",
        searches.len(),
        ms(median(searches.clone())),
        ms(max(&searches))
    );
}
