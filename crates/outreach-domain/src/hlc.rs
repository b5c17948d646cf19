//! Hybrid logical clock stamps, recorded on every change for sync ordering.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A hybrid logical clock stamp: wall-clock milliseconds, a counter for
/// changes within the same millisecond (or when the wall clock went
/// backwards), and the device that made it as the final tie-break.
///
/// Stamps order changes across devices without trusting any one clock
/// entirely; sync uses them to order and to refuse a clock too far ahead.
/// The text form sorts in the same order as the stamps.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, never behind the previous stamp.
    pub wall_ms: i64,
    /// Orders stamps that share a `wall_ms`.
    pub counter: u32,
    /// The device that issued the stamp.
    pub device: Uuid,
}

impl Hlc {
    /// The first stamp a device can issue; every real stamp is after it.
    pub fn zero(device: Uuid) -> Self {
        Self { wall_ms: 0, counter: 0, device }
    }

    /// The next local stamp after `self`, given the wall clock `now_ms`.
    pub fn tick(&self, now_ms: i64) -> Self {
        if now_ms > self.wall_ms {
            Self { wall_ms: now_ms, counter: 0, device: self.device }
        } else {
            Self { wall_ms: self.wall_ms, counter: self.counter.saturating_add(1), device: self.device }
        }
    }

    /// Advances this device's clock past a stamp received from elsewhere.
    ///
    /// Returns `None` when `remote` is more than `max_ahead_ms` ahead of
    /// `now_ms`: a device whose clock is days fast must not be able to win
    /// every later edit, so such a stamp is refused rather than adopted.
    pub fn receive(&self, remote: &Hlc, now_ms: i64, max_ahead_ms: i64) -> Option<Self> {
        if remote.wall_ms > now_ms.saturating_add(max_ahead_ms) {
            return None;
        }
        let wall = self.wall_ms.max(remote.wall_ms).max(now_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter).saturating_add(1)
        } else if wall == self.wall_ms {
            self.counter.saturating_add(1)
        } else if wall == remote.wall_ms {
            remote.counter.saturating_add(1)
        } else {
            0
        };
        Some(Self { wall_ms: wall, counter, device: self.device })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013x}.{:08x}.{}", self.wall_ms, self.counter, self.device.simple())
    }
}

impl fmt::Debug for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A stamp's text form could not be read.
#[derive(Debug, thiserror::Error)]
#[error("malformed clock stamp '{0}': expected WALL.COUNTER.DEVICE in hex")]
pub struct HlcParseError(String);

impl FromStr for Hlc {
    type Err = HlcParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || HlcParseError(s.chars().take(80).collect());
        let mut parts = s.splitn(3, '.');
        let wall = parts.next().ok_or_else(bad)?;
        let counter = parts.next().ok_or_else(bad)?;
        let device = parts.next().ok_or_else(bad)?;
        Ok(Self {
            wall_ms: i64::from_str_radix(wall, 16).map_err(|_| bad())?,
            counter: u32::from_str_radix(counter, 16).map_err(|_| bad())?,
            device: Uuid::parse_str(device).map_err(|_| bad())?,
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dev(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn tick_moves_forward_even_when_the_wall_clock_goes_back() {
        let a = Hlc::zero(dev(1)).tick(1_000);
        let b = a.tick(900);
        assert!(b > a);
        assert_eq!(b.wall_ms, 1_000);
        assert_eq!(b.counter, 1);
    }

    #[test]
    fn receive_refuses_a_clock_too_far_ahead() {
        let local = Hlc::zero(dev(1)).tick(1_000);
        let remote = Hlc { wall_ms: 1_000 + 3 * 86_400_000, counter: 0, device: dev(2) };
        assert!(local.receive(&remote, 1_000, 60_000).is_none());
        let near = Hlc { wall_ms: 5_000, counter: 7, device: dev(2) };
        let merged = local.receive(&near, 1_000, 60_000).unwrap();
        assert!(merged > near && merged > local);
        assert_eq!(merged.device, dev(1));
    }

    proptest! {
        #[test]
        fn text_form_round_trips_and_sorts_like_the_stamp(
            a in (0i64..1 << 50, any::<u32>(), any::<u128>()),
            b in (0i64..1 << 50, any::<u32>(), any::<u128>()),
        ) {
            let x = Hlc { wall_ms: a.0, counter: a.1, device: dev(a.2) };
            let y = Hlc { wall_ms: b.0, counter: b.1, device: dev(b.2) };
            prop_assert_eq!(x.to_string().parse::<Hlc>().unwrap(), x);
            prop_assert_eq!(x.cmp(&y), x.to_string().cmp(&y.to_string()));
        }
    }
}
