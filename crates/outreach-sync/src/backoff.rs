//! When to try a failed sync again: exponential backoff with jitter, as a
//! pure value the scheduler keeps between attempts.
//!
//! The delay ceiling doubles with each failure up to a maximum; the actual
//! delay is drawn from the upper half of the ceiling ("equal jitter"), so
//! a team's laptops coming back into signal together do not all retry at
//! the same moment, yet none retries sooner than half the ceiling. The
//! random draw is passed in, which keeps this code deterministic to test.

use std::time::Duration;

/// Retry delays for one sync schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    failures: u32,
}

impl Default for Backoff {
    /// 5 seconds after the first failure, doubling up to 15 minutes.
    fn default() -> Self {
        Self::new(Duration::from_secs(5), Duration::from_secs(15 * 60))
    }
}

impl Backoff {
    /// A schedule whose first retry ceiling is `base`, never above `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self { base, max: max.max(base), failures: 0 }
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The shortest and longest delay the next failure can give:
    /// half the ceiling to the ceiling, where the ceiling is
    /// `base * 2^failures`, capped at `max`.
    pub fn bounds(&self) -> (Duration, Duration) {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        let ceiling = self.base.checked_mul(factor).map_or(self.max, |d| d.min(self.max));
        (ceiling / 2, ceiling)
    }

    /// Records a failure and returns how long to wait before the next try.
    /// `unit` is a random number in `[0, 1]` (clamped) choosing where in
    /// [`Backoff::bounds`] the delay falls.
    pub fn next_delay(&mut self, unit: f64) -> Duration {
        let (low, high) = self.bounds();
        let unit = if unit.is_nan() { 0.0 } else { unit.clamp(0.0, 1.0) };
        self.failures = self.failures.saturating_add(1);
        low + (high - low).mul_f64(unit)
    }

    /// Records a success: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_ceiling_doubles_up_to_the_maximum() {
        let mut b = Backoff::new(secs(5), secs(60));
        let mut ceilings = vec![];
        for _ in 0..6 {
            ceilings.push(b.bounds().1);
            b.next_delay(0.5);
        }
        assert_eq!(ceilings, vec![secs(5), secs(10), secs(20), secs(40), secs(60), secs(60)]);
        assert_eq!(b.failures(), 6);
    }

    #[test]
    fn delays_stay_within_the_jitter_bounds() {
        let mut b = Backoff::new(secs(4), secs(100));
        for (unit, expect) in [(0.0, secs(2)), (1.0, secs(8)), (0.5, Duration::from_millis(12_000)), (7.0, secs(32))] {
            let (low, high) = b.bounds();
            let d = b.next_delay(unit);
            assert!(low <= d && d <= high, "{d:?} outside {low:?}..{high:?}");
            assert_eq!(d, expect);
        }
        assert_eq!(b.next_delay(f64::NAN), secs(32), "a bad random draw falls back to the lower bound");
    }

    #[test]
    fn a_success_resets_the_schedule() {
        let mut b = Backoff::default();
        for _ in 0..10 {
            b.next_delay(1.0);
        }
        assert_eq!(b.bounds().1, secs(15 * 60));
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.bounds(), (Duration::from_millis(2_500), secs(5)));
    }

    #[test]
    fn many_failures_never_overflow() {
        let mut b = Backoff::new(secs(1), secs(3600));
        for _ in 0..1000 {
            b.next_delay(1.0);
        }
        assert_eq!(b.bounds(), (secs(1800), secs(3600)));
    }
}
