//! Slows password guessing: failed sign-ins are counted per user name and
//! per client address over a window. Past the limit, sign-in is refused
//! with 429 `too_many_attempts` (and audited) before any password is
//! checked, until the window since the first counted failure has passed. A
//! successful sign-in clears its user name's count.
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

    /// How long sign-in must wait, given the counts of its keys at `now_ms`.
    fn wait(&self, counts: &[LoginFailures], now_ms: i64) -> Option<Duration> {
        counts
            .iter()
            .filter_map(|f| {
                let limit = if f.key.starts_with(ADDRESS) { self.config.per_address } else { self.config.per_user };
                let ends = f.since_ms.saturating_add(self.window_ms());
                (f.count >= i64::from(limit) && ends > now_ms).then(|| Duration::from_millis((ends - now_ms) as u64))
            })
            .max()
    }

    /// `Ok(Err(wait))` when `user` or `address` has used up its failures: no
    /// password may be checked for `wait` more.
    pub async fn check(
        &self,
        db: &dyn Database,
        user: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<Result<(), Duration>, DbError> {
        let counts = db.login_failures(&keys(user, address)).await?;
        Ok(self.wait(&counts, millis(now)).map_or(Ok(()), Err))
    }

    /// Counts a failed sign-in against `user` and `address`.
    pub async fn failed(
        &self,
        db: &dyn Database,
        user: &str,
        address: Option<IpAddr>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let now = millis(now);
        db.count_login_failure(&keys(user, address), now, now.saturating_sub(self.window_ms())).await
    }

    /// Clears `user`'s failures after a successful sign-in (the address's
    /// stay: one right password does not excuse guessing at others).
    pub async fn succeeded(&self, db: &dyn Database, user: &str) -> Result<(), DbError> {
        db.clear_login_failures(&user_key(user)).await
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
        /// (step, user, address, at minute, failed?, expect check Ok?)
        type Step = (&'static str, &'static str, Option<IpAddr>, u32, bool, bool);
        let steps: &[Step] = &[
            ("first try", "amy", addr(1), 0, true, true),
            ("second", "amy", addr(1), 1, true, true),
            ("third", "AMY ", addr(2), 2, true, true),
            ("fourth is refused, whatever the case or address", "Amy", addr(3), 3, false, false),
            ("another user from a fresh address is fine", "ben", addr(4), 3, true, true),
            ("the window since the first failure has passed", "amy", addr(3), 10, true, true),
            ("a new count started with that failure", "amy", addr(3), 11, false, true),
        ];
        for (name, user, address, at, fail, ok) in steps {
            let now = t0() + minute * *at;
            assert_eq!(throttle.check(&*db, user, *address, now).await.expect("check").is_ok(), *ok, "{name}");
            if *fail {
                throttle.failed(&*db, user, *address, now).await.expect("count");
            }
        }
        let refused = LoginThrottle::new(ThrottleConfig { per_user: 1, per_address: 9, window: 10 * minute });
        refused.failed(&*db, "cara", None, t0()).await.expect("count");
        assert_eq!(
            refused.check(&*db, "cara", None, t0() + minute).await.expect("check"),
            Err(9 * minute),
            "how long to wait"
        );
    }

    async fn one_address_guessing_many_names_is_refused_and_success_clears_only_the_name(t: TestDb) {
        let db = t.db();
        let throttle =
            LoginThrottle::new(ThrottleConfig { per_user: 2, per_address: 3, window: Duration::from_secs(600) });
        for name in ["a", "b", "c"] {
            assert!(throttle.check(&*db, name, addr(9), t0()).await.expect("check").is_ok());
            throttle.failed(&*db, name, addr(9), t0()).await.expect("count");
        }
        assert!(
            throttle.check(&*db, "d", addr(9), t0()).await.expect("check").is_err(),
            "the address used up its failures"
        );
        assert!(throttle.check(&*db, "d", addr(8), t0()).await.expect("check").is_ok(), "another address is not");
        throttle.failed(&*db, "e", addr(7), t0()).await.expect("count");
        throttle.failed(&*db, "e", addr(6), t0()).await.expect("count");
        assert!(throttle.check(&*db, "e", addr(5), t0()).await.expect("check").is_err());
        throttle.succeeded(&*db, "E").await.expect("clear");
        assert!(
            throttle.check(&*db, "e", addr(5), t0()).await.expect("check").is_ok(),
            "a right password clears the name's count"
        );
        // expired counts of others are swept out when a failure is counted
        let later = t0() + Duration::from_secs(601);
        throttle.failed(&*db, "f", None, later).await.expect("count");
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
