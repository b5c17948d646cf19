//! Slows password guessing: sign-in attempts are counted per user name and
//! per client address over a window, *before* the password is checked, in
//! one atomic step with reading the count (so guesses sent at once cannot
//! all pass a check made before any of them was counted). Past the limit,
//! sign-in is refused with 429 `too_many_attempts` (and audited) without
//! checking the password, until the window since the first counted attempt
//! has passed. A successful sign-in clears its user name's count and takes
//! its own attempt back from the address's.
//!
//! The counts live in the database (`login_failures`), so several servers
//! behind a load balancer share them: each server does not give guessing a
//! fresh allowance. Behind a proxy, every request comes from the proxy's
//! address; the per-address limit then counts everyone together, so set it
//! higher (or rely on the proxy's own limits).

use chrono::{DateTime, Utc};
use outreach_server_db::{Database, DbError, LoginFailures};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

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

/// The sign-in throttle: its limits, over the counts in the database.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
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

const USER: &str = "user:";
const ADDRESS: &str = "address:";

/// The user name's key (as typed: trimmed, lower-cased).
fn user_key(user: &str) -> String {
    format!("{USER}{}", user.trim().to_lowercase())
}

/// The keys a sign-in by `user` from `address` is counted under.
fn keys(user: &str, address: Option<IpAddr>) -> Vec<String> {
    std::iter::once(user_key(user)).chain(address.map(|a| format!("{ADDRESS}{a}"))).collect()
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(config: ThrottleConfig) -> Self {
        Self { config }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.config.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// How long sign-in must wait, given the counts of its keys at `now_ms`
    /// with this attempt counted in them.
    fn wait(&self, counts: &[LoginFailures], now_ms: i64) -> Option<Duration> {
        counts
            .iter()
            .filter_map(|f| {
                let limit = if f.key.starts_with(ADDRESS) { self.config.per_address } else { self.config.per_user };
                let ends = f.since_ms.saturating_add(self.window_ms());
                (f.count > i64::from(limit) && ends > now_ms).then(|| Duration::from_millis((ends - now_ms) as u64))
            })
            .max()
    }

    /// Counts a sign-in attempt by `user` from `address`, before its
    /// password is checked. `Ok(Err(wait))` when that attempt is past the
    /// limit: no password may be checked for `wait` more. The attempt stays
    /// counted as a failure unless [`LoginThrottle::succeeded`] follows.
    pub async fn attempt(
        &self,
        db: &dyn Database,
        user: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<(), Duration>, DbError> {
        let now = millis(now);
        let counts = db.count_login_attempt(&keys(user, address), now, now.saturating_sub(self.window_ms())).await?;
        Ok(self.wait(&counts, now).map_or(Ok(()), Err))
    }

    /// After a successful sign-in: clears `user`'s count and takes this
    /// attempt back from `address`'s (the address's other failures stay:
    /// one right password does not excuse guessing at others).
    pub async fn succeeded(&self, db: &dyn Database, user: &str, address: Option<IpAddr>) -> Result<(), DbError> {
        db.clear_login_failures(&user_key(user)).await?;
        if let Some(address) = address {
            db.uncount_login_attempt(&format!("{ADDRESS}{address}")).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outreach_server_db::Backend;
    use outreach_server_db::testing::{TestDb, run};

    fn addr(n: u8) -> Option<IpAddr> {
        Some(IpAddr::from([10, 0, 0, n]))
    }

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_000_000, 0).expect("time")
    }

    async fn failures_past_the_limit_are_refused_until_the_window_passes(t: TestDb) {
        let db = t.db();
        let minute = Duration::from_secs(60);
        let throttle = LoginThrottle::new(ThrottleConfig { per_user: 3, per_address: 5, window: 10 * minute });
        /// (step, user, address, at minute, expect the attempt allowed?)
        type Step = (&'static str, &'static str, Option<IpAddr>, u32, bool);
        let steps: &[Step] = &[
            ("first try", "amy", addr(1), 0, true),
            ("second", "amy", addr(1), 1, true),
            ("third", "AMY ", addr(2), 2, true),
            ("fourth is refused, whatever the case or address", "Amy", addr(3), 3, false),
            ("another user from a fresh address is fine", "ben", addr(4), 3, true),
            ("the window since the first failure has passed", "amy", addr(3), 10, true),
            ("a new count started with that attempt", "amy", addr(3), 11, true),
        ];
        for (name, user, address, at, ok) in steps {
            let now = t0() + minute * *at;
            assert_eq!(throttle.attempt(&*db, user, *address, now).await.expect("attempt").is_ok(), *ok, "{name}");
        }
        let refused = LoginThrottle::new(ThrottleConfig { per_user: 1, per_address: 9, window: 10 * minute });
        assert!(refused.attempt(&*db, "cara", None, t0()).await.expect("attempt").is_ok());
        assert_eq!(
            refused.attempt(&*db, "cara", None, t0() + minute).await.expect("attempt"),
            Err(9 * minute),
            "how long to wait"
        );
    }

    async fn one_address_guessing_many_names_is_refused_and_success_clears_only_the_name(t: TestDb) {
        let db = t.db();
        let throttle =
            LoginThrottle::new(ThrottleConfig { per_user: 2, per_address: 3, window: Duration::from_secs(600) });
        for name in ["a", "b", "c"] {
            assert!(throttle.attempt(&*db, name, addr(9), t0()).await.expect("attempt").is_ok());
        }
        assert!(
            throttle.attempt(&*db, "d", addr(9), t0()).await.expect("attempt").is_err(),
            "the address used up its attempts"
        );
        assert!(throttle.attempt(&*db, "d", addr(8), t0()).await.expect("attempt").is_ok(), "another address is not");
        throttle.attempt(&*db, "e", addr(7), t0()).await.expect("attempt").expect("allowed");
        throttle.attempt(&*db, "e", addr(6), t0()).await.expect("attempt").expect("allowed");
        assert!(throttle.attempt(&*db, "e", addr(5), t0()).await.expect("attempt").is_err());
        throttle.succeeded(&*db, "E", addr(5)).await.expect("clear");
        assert!(
            throttle.attempt(&*db, "e", addr(5), t0()).await.expect("attempt").is_ok(),
            "a right password clears the name's count"
        );
        // a right password takes back only its own attempt from the address
        let counted = |key: &'static str| {
            let db = db.clone();
            async move { db.login_failures(&[key.to_string()]).await.expect("read")[0].count }
        };
        assert_eq!(counted("address:10.0.0.8").await, 1);
        throttle.attempt(&*db, "g", addr(8), t0()).await.expect("attempt").expect("allowed");
        throttle.succeeded(&*db, "g", addr(8)).await.expect("clear");
        assert_eq!(counted("address:10.0.0.8").await, 1);
        // expired counts of others are swept out when an attempt is counted
        let later = t0() + Duration::from_secs(601);
        throttle.attempt(&*db, "f", None, later).await.expect("attempt").expect("allowed");
        let left = db.login_failures(&keys("a", addr(9))).await.expect("read");
        assert!(left.is_empty(), "{left:?}");
    }

    macro_rules! on_both_backends {
        ($($name:ident),* $(,)?) => {
            $(
                mod $name {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn sqlite() {
                        super::run(super::Backend::Sqlite, super::$name).await;
                    }
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn postgres() {
                        super::run(super::Backend::Postgres, super::$name).await;
                    }
                }
            )*
        };
    }

    on_both_backends!(
        failures_past_the_limit_are_refused_until_the_window_passes,
        one_address_guessing_many_names_is_refused_and_success_clears_only_the_name,
    );
}
