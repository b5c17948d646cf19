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
#[error("malformed clock stamp '{0}': expected WALL.COUNTER.DEVICE as 13, 8 and 32 lower-case hex digits")]
pub struct HlcParseError(String);

/// Digits in the text form's wall-clock part: a stamp's `wall_ms` is below
/// 16^13 (the year 10889), so it always fits.
const WALL_DIGITS: usize = 13;
/// Digits in the text form's counter part.
const COUNTER_DIGITS: usize = 8;
/// Digits in the text form's device part (a UUID without hyphens).
const DEVICE_DIGITS: usize = 32;

impl Hlc {
    /// The largest `wall_ms` a stamp can carry (its text form has a fixed width).
    pub const MAX_WALL_MS: i64 = (1 << (4 * WALL_DIGITS)) - 1;

    /// Whether this stamp's text form reads back as the same stamp: a
    /// `wall_ms` that is negative or too large for the fixed-width form
    /// would be written in a form [`Hlc::from_str`] refuses.
    pub fn is_representable(&self) -> bool {
        (0..=Self::MAX_WALL_MS).contains(&self.wall_ms)
    }
}

/// `part` as a number if it is exactly `digits` lower-case hex digits.
fn hex_part(part: &str, digits: usize) -> Option<u128> {
    (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| u128::from_str_radix(part, 16).ok())
        .flatten()
}

impl FromStr for Hlc {
    type Err = HlcParseError;

    /// Reads only the canonical text form (what [`fmt::Display`] writes), so
    /// every stamp accepted is written back exactly as it was read: no
    /// sign, no other widths, no upper case, no hyphenated device.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || HlcParseError(s.chars().take(80).collect());
        let mut parts = s.split('.');
        let (Some(wall), Some(counter), Some(device), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let wall = hex_part(wall, WALL_DIGITS).ok_or_else(bad)?;
        let counter = hex_part(counter, COUNTER_DIGITS).ok_or_else(bad)?;
        let device = hex_part(device, DEVICE_DIGITS).ok_or_else(bad)?;
        Ok(Self {
            wall_ms: i64::try_from(wall).map_err(|_| bad())?,
            counter: u32::try_from(counter).map_err(|_| bad())?,
            device: Uuid::from_u128(device),
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

        /// Any text accepted as a stamp is written back exactly as it came:
        /// a stamp that cannot be read back is never let in.
        #[test]
        fn any_text_accepted_reads_back_as_itself(s in "[-+0-9a-fA-F.]{0,60}|-?[0-9a-f]{1,16}\\.[0-9a-f]{1,9}\\.[0-9a-f-]{32,36}") {
            if let Ok(stamp) = s.parse::<Hlc>() {
                prop_assert_eq!(stamp.to_string(), s);
                prop_assert!(stamp.is_representable());
            }
        }

        #[test]
        fn every_representable_stamp_round_trips(wall in 0..=Hlc::MAX_WALL_MS, counter in any::<u32>(), device in any::<u128>()) {
            let x = Hlc { wall_ms: wall, counter, device: dev(device) };
            prop_assert!(x.is_representable());
            prop_assert_eq!(x.to_string().parse::<Hlc>().unwrap(), x);
        }
    }

    #[test]
    fn stamps_that_would_not_read_back_are_refused() {
        let device = "0123456789abcdef0123456789abcdef";
        for bad in [
            format!("-1.0.{device}"),
            format!("-000000000001.00000000.{device}"),
            format!("ffffffffffffffff.00000000.{device}"),
            format!("00000000000001.00000000.{device}"),
            format!("000000000001.00000000.{device}"),
            format!("0000000000001.0.{device}"),
            format!("0000000000001.-0000001.{device}"),
            format!("0000000000001.100000000.{device}"),
            "0000000000001.00000000.0123456789ABCDEF0123456789ABCDEF".to_string(),
            "0000000000001.00000000.01234567-89ab-cdef-0123-456789abcdef".to_string(),
            format!("0000000000001.00000000.{device}.x"),
            format!("+000000000001.00000000.{device}"),
            "".to_string(),
        ] {
            assert!(bad.parse::<Hlc>().is_err(), "{bad} must be refused");
        }
        let good = format!("0000000000001.0000000a.{device}");
        assert_eq!(good.parse::<Hlc>().expect("canonical").to_string(), good);
        assert!(!Hlc { wall_ms: -1, counter: 0, device: dev(1) }.is_representable());
        assert!(!Hlc { wall_ms: Hlc::MAX_WALL_MS + 1, counter: 0, device: dev(1) }.is_representable());
    }
}
