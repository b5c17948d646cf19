//! The bench report: machine facts, the dataset, timings and other figures,
//! rendered as Markdown or JSON.

use crate::stats::Stats;
use std::fmt::Write as _;
use std::process::Command;

/// Facts about the machine the figures were measured on.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs available to the process.
    pub nproc: usize,
    /// CPU model, from `/proc/cpuinfo`.
    pub cpu: Option<String>,
    /// Total memory in GiB, from `/proc/meminfo`.
    pub mem_gib: Option<f64>,
    /// Output of `rustc --version`, if rustc is on the path.
    pub rustc: Option<String>,
    /// Operating system and architecture.
    pub os: String,
    /// `/proc/loadavg` when the measurements started (other work on the
    /// machine skews the figures).
    pub load_start: Option<String>,
    /// `/proc/loadavg` when they ended.
    pub load_end: Option<String>,
}

/// The 1, 5 and 15 minute load averages, from `/proc/loadavg`.
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

impl Machine {
    /// Reads the facts of this machine.
    pub fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_gib = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<f64>().ok())
            .map(|kib| kib / (1024.0 * 1024.0));
        let rustc = Command::new("rustc")
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        Self {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            mem_gib,
            rustc,
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            load_start: load_average(),
            load_end: None,
        }
    }
}

/// The data the figures were measured on.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The data folder.
    pub dir: String,
    /// Whether an existing store was reused instead of populated.
    pub reused: bool,
    /// Live client records.
    pub clients: usize,
    /// Live contact records.
    pub contacts: usize,
    /// Live records of every kind.
    pub records: usize,
    /// Size of the database file in MB (10^6 bytes).
    pub db_mb: f64,
    /// Size of its write-ahead log in MB.
    pub wal_mb: f64,
}

/// What populating the store created and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Population {
    /// Clients created.
    pub clients: usize,
    /// Contacts created.
    pub contacts: usize,
    /// Risk assessments created.
    pub risk_assessments: usize,
    /// Caseload assignments created.
    pub assignments: usize,
    /// Wall-clock time in seconds.
    pub seconds: f64,
}

impl Population {
    /// Records created per second.
    pub fn records_per_second(&self) -> f64 {
        let records = self.clients + self.contacts + self.risk_assessments + self.assignments;
        records as f64 / self.seconds.max(f64::EPSILON)
    }
}

/// A target from the foundation issue and whether it was met.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target, e.g. `p95 < 10 ms`.
    pub text: String,
    /// Whether the measured figure meets it.
    pub met: bool,
}

impl Target {
    /// A target of `text`, met when `met`.
    pub fn new(text: &str, met: bool) -> Self {
        Self { text: text.to_string(), met }
    }
}

/// One timed operation.
#[derive(Debug, Clone)]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Its latencies.
    pub stats: Stats,
    /// Its target, if it has one.
    pub target: Option<Target>,
}

/// A figure that is not a latency distribution (a rate, a throughput).
#[derive(Debug, Clone)]
pub struct Figure {
    /// What it is.
    pub name: String,
    /// Its value.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// Its target, if it has one.
    pub target: Option<Target>,
}

/// Everything one bench run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The command line that produced it.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// The dataset, as measured before the write benchmarks added to it.
    pub dataset: Dataset,
    /// The population step, unless an existing store was reused.
    pub population: Option<Population>,
    /// Timed operations.
    pub timings: Vec<Timing>,
    /// Other figures.
    pub figures: Vec<Figure>,
    /// Timings of parts of operations, to explain the headline figures.
    pub diagnostics: Vec<Timing>,
}

fn met_text(target: &Option<Target>) -> (&str, &str) {
    match target {
        Some(t) => (t.text.as_str(), if t.met { "yes" } else { "**no**" }),
        None => ("", ""),
    }
}

fn timing_table(out: &mut String, rows: &[Timing]) {
    out.push_str("| Measure | n | p50 | p95 | p99 | max | Target | Met |\n");
    out.push_str("|---|--:|--:|--:|--:|--:|---|---|\n");
    for t in rows {
        let s = &t.stats;
        let (target, met) = met_text(&t.target);
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |",
            t.name, s.count, s.p50, s.p95, s.p99, s.max, target, met
        );
    }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_num(x: f64) -> String {
    if x.is_finite() { format!("{x:.4}") } else { "null".to_string() }
}

fn json_opt_str(s: &Option<String>) -> String {
    s.as_deref().map_or_else(|| "null".to_string(), json_str)
}

fn json_target(t: &Option<Target>) -> String {
    match t {
        Some(t) => format!("{{\"text\":{},\"met\":{}}}", json_str(&t.text), t.met),
        None => "null".to_string(),
    }
}

fn json_timings(rows: &[Timing]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|t| {
            let s = &t.stats;
            format!(
                "{{\"name\":{},\"count\":{},\"p50_ms\":{},\"p95_ms\":{},\"p99_ms\":{},\"max_ms\":{},\"mean_ms\":{},\"total_ms\":{},\"target\":{}}}",
                json_str(&t.name),
                s.count,
                json_num(s.p50),
                json_num(s.p95),
                json_num(s.p99),
                json_num(s.max),
                json_num(s.mean),
                json_num(s.total),
                json_target(&t.target)
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

impl Report {
    /// The report as Markdown tables.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let d = &self.dataset;
        out.push_str("## Machine and dataset\n\n| Fact | Value |\n|---|---|\n");
        let _ = writeln!(out, "| command | `{}` |", self.command);
        let _ = writeln!(out, "| nproc | {} |", m.nproc);
        let _ = writeln!(out, "| CPU | {} |", m.cpu.as_deref().unwrap_or("unknown"));
        let _ = writeln!(out, "| memory | {} |", m.mem_gib.map_or("unknown".to_string(), |g| format!("{g:.1} GiB")));
        let _ = writeln!(out, "| OS | {} |", m.os);
        let _ = writeln!(out, "| rustc | {} |", m.rustc.as_deref().unwrap_or("not found"));
        let _ = writeln!(
            out,
            "| load average (1/5/15 min) at start / end of measuring | {} / {} |",
            m.load_start.as_deref().unwrap_or("?"),
            m.load_end.as_deref().unwrap_or("?")
        );
        let _ = writeln!(out, "| data folder | {}{} |", d.dir, if d.reused { " (reused)" } else { "" });
        let _ = writeln!(out, "| clients | {} |", d.clients);
        let _ = writeln!(out, "| contacts | {} |", d.contacts);
        let _ = writeln!(out, "| records (all kinds) | {} |", d.records);
        let _ = writeln!(out, "| DB file size | {:.1} MB (WAL {:.1} MB) |", d.db_mb, d.wal_mb);
        if let Some(p) = &self.population {
            let _ = writeln!(
                out,
                "| population | {} clients, {} contacts, {} risk assessments, {} assignments in {:.1} s ({:.0} records/s) |",
                p.clients,
                p.contacts,
                p.risk_assessments,
                p.assignments,
                p.seconds,
                p.records_per_second()
            );
        }
        out.push_str("\n## Timings (ms)\n\n");
        timing_table(&mut out, &self.timings);
        out.push_str("\n## Other figures\n\n| Figure | Value | Target | Met |\n|---|--:|---|---|\n");
        for f in &self.figures {
            let (target, met) = met_text(&f.target);
            let _ = writeln!(out, "| {} | {:.3} {} | {} | {} |", f.name, f.value, f.unit, target, met);
        }
        if !self.diagnostics.is_empty() {
            out.push_str("\n## Breakdown (ms)\n\n");
            timing_table(&mut out, &self.diagnostics);
        }
        out
    }

    /// The report as one JSON object.
    pub fn to_json(&self) -> String {
        let m = &self.machine;
        let d = &self.dataset;
        let machine = format!(
            "{{\"nproc\":{},\"cpu\":{},\"mem_gib\":{},\"os\":{},\"rustc\":{},\"load_start\":{},\"load_end\":{}}}",
            m.nproc,
            json_opt_str(&m.cpu),
            m.mem_gib.map_or("null".to_string(), json_num),
            json_str(&m.os),
            json_opt_str(&m.rustc),
            json_opt_str(&m.load_start),
            json_opt_str(&m.load_end)
        );
        let dataset = format!(
            "{{\"dir\":{},\"reused\":{},\"clients\":{},\"contacts\":{},\"records\":{},\"db_mb\":{},\"wal_mb\":{}}}",
            json_str(&d.dir),
            d.reused,
            d.clients,
            d.contacts,
            d.records,
            json_num(d.db_mb),
            json_num(d.wal_mb)
        );
        let population = self.population.map_or("null".to_string(), |p| {
            format!(
                "{{\"clients\":{},\"contacts\":{},\"risk_assessments\":{},\"assignments\":{},\"seconds\":{},\"records_per_second\":{}}}",
                p.clients,
                p.contacts,
                p.risk_assessments,
                p.assignments,
                json_num(p.seconds),
                json_num(p.records_per_second())
            )
        });
        let figures: Vec<String> = self
            .figures
            .iter()
            .map(|f| {
                format!(
                    "{{\"name\":{},\"value\":{},\"unit\":{},\"target\":{}}}",
                    json_str(&f.name),
                    json_num(f.value),
                    json_str(&f.unit),
                    json_target(&f.target)
                )
            })
            .collect();
        format!(
            "{{\"command\":{},\"machine\":{},\"dataset\":{},\"population\":{},\"timings\":{},\"figures\":[{}],\"breakdown\":{}}}",
            json_str(&self.command),
            machine,
            dataset,
            population,
            json_timings(&self.timings),
            figures.join(","),
            json_timings(&self.diagnostics)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
