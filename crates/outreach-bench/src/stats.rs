//! Latency statistics over a set of timed calls.

use std::time::Duration;

/// Count, percentiles, maximum, mean and total of a set of durations, in
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of timed calls.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest call.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Sum of all calls.
    pub total: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// The nearest-rank percentile `p` (0–100) of sorted `values`.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl Stats {
    /// Statistics of `durations` (all zero when there are none).
    pub fn of(durations: &[Duration]) -> Self {
        let mut values: Vec<f64> = durations.iter().copied().map(ms).collect();
        values.sort_by(f64::total_cmp);
        let total: f64 = values.iter().sum();
        Self {
            count: values.len(),
            p50: percentile(&values, 50.0),
            p95: percentile(&values, 95.0),
            p99: percentile(&values, 99.0),
            max: values.last().copied().unwrap_or(0.0),
            mean: if values.is_empty() { 0.0 } else { total / values.len() as f64 },
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let s = Stats::of(&d);
        assert_eq!(s.count, 100);
        assert!((s.p50 - 50.0).abs() < 1e-9);
        assert!((s.p95 - 95.0).abs() < 1e-9);
        assert!((s.p99 - 99.0).abs() < 1e-9);
        assert!((s.max - 100.0).abs() < 1e-9);
        assert!((s.total - 5050.0).abs() < 1e-6);
        assert_eq!(Stats::of(&[]).count, 0);
    }
}
