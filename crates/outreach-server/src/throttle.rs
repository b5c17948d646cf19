//! Slows password guessing: failed sign-ins are counted per user name and
//! per client address over a window. Past the limit, sign-in is refused
//! with 429 `too_many_attempts` (and audited) before any password is
//! checked, until the window since the first counted failure has passed. A
//! successful sign-in clears its user name's count.
//!
//! The counts live in this server process: several servers behind a load
//! balancer each count on their own, so the limits there are per server.
//! Behind a proxy, every request comes from the proxy's address; the
//! per-address limit then counts everyone together, so set it higher (or
//! rely on the proxy's own limits).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures are allowed, and over how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failed sign-ins allowed per user name within `window`.
    pub per_user: u32,
    /// Failed sign-ins allowed from one address within `window`.
    pub per_address: u32,
    /// How long failures are remembered, from the first one counted.
    pub window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self { per_user: 5, per_address: 20, window: Duration::from_secs(15 * 60) }
    }
}

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A user name, as typed (lower-cased, trimmed).
    User(String),
    /// A client address.
    Address(IpAddr),
}

/// Failures since `since`.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

/// Most keys remembered before expired ones are swept out.
const SWEEP_AT: usize = 10_000;

/// The failure counts of one server process.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    counts: Mutex<HashMap<Key, Failures>>,
}

/// The client's address, as `axum` connect info (see [`crate::serve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

fn keys(user: &str, address: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(Key::User(user.trim().to_lowercase())).chain(address.map(Key::Address))
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self { config, counts: Mutex::new(HashMap::new()) }
    }

    fn limit(&self, key: &Key) -> u32 {
        match key {
            Key::User(_) => self.config.per_user,
            Key::Address(_) => self.config.per_address,
        }
    }

    /// `Err(wait)` when `user` or `address` has used up its failures: no
    /// password may be checked for `wait` more.
    pub fn check(&self, user: &str, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let wait = keys(user, address)
            .filter_map(|key| {
                let f = counts.get(&key)?;
                let ends = f.since + self.config.window;
                (f.count >= self.limit(&key) && ends > now).then(|| ends - now)
            })
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts a failed sign-in against `user` and `address`.
    pub fn failed(&self, user: &str, address: Option<IpAddr>, now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if counts.len() >= SWEEP_AT {
            let window = self.config.window;
            counts.retain(|_, f| f.since + window > now);
        }
        for key in keys(user, address) {
            let f = counts.entry(key).or_insert(Failures { count: 0, since: now });
            if f.since + self.config.window <= now {
                *f = Failures { count: 0, since: now };
            }
            f.count = f.count.saturating_add(1);
        }
    }

    /// Clears `user`'s failures after a successful sign-in (the address's
    /// stay: one right password does not excuse guessing at others).
    pub fn succeeded(&self, user: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.remove(&Key::User(user.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn failures_past_the_limit_are_refused_until_the_window_passes() {
        let t0 = Instant::now();
        let minute = Duration::from_secs(60);
        let throttle = LoginThrottle::new(ThrottleConfig { per_user: 3, per_address: 5, window: 10 * minute });
        /// (step, user, address, at minute, failed?, expect check Ok?)
        type Step = (&'static str, &'static str, Option<IpAddr>, u64, bool, bool);
        let steps: &[Step] = &[
            ("first try", "amy", addr(1), 0, true, true),
            ("second", "amy", addr(1), 1, true, true),
            ("third", "AMY ", addr(2), 2, true, true),
            ("fourth is refused, whatever the case or address", "Amy", addr(3), 3, false, false),
            ("another user from a fresh address is fine", "ben", addr(4), 3, true, true),
            ("the window since the first failure has passed", "amy", addr(3), 10, false, true),
        ];
        for (name, user, address, at, fail, ok) in steps {
            let now = t0 + minute * (*at as u32);
            assert_eq!(throttle.check(user, *address, now).is_ok(), *ok, "{name}");
            if *fail {
                throttle.failed(user, *address, now);
            }
        }
        let refused = LoginThrottle::new(ThrottleConfig { per_user: 1, per_address: 9, window: 10 * minute });
        refused.failed("cara", None, t0);
        assert_eq!(refused.check("cara", None, t0 + minute), Err(9 * minute), "how long to wait");
    }

    #[test]
    fn one_address_guessing_many_names_is_refused_and_success_clears_only_the_name() {
        let t0 = Instant::now();
        let throttle =
            LoginThrottle::new(ThrottleConfig { per_user: 2, per_address: 3, window: Duration::from_secs(600) });
        for name in ["a", "b", "c"] {
            assert!(throttle.check(name, addr(9), t0).is_ok());
            throttle.failed(name, addr(9), t0);
        }
        assert!(throttle.check("d", addr(9), t0).is_err(), "the address used up its failures");
        assert!(throttle.check("d", addr(8), t0).is_ok(), "another address is not");
        throttle.failed("e", addr(7), t0);
        throttle.failed("e", addr(6), t0);
        assert!(throttle.check("e", addr(5), t0).is_err());
        throttle.succeeded("e");
        assert!(throttle.check("e", addr(5), t0).is_ok(), "a right password clears the name's count");
    }
}
