//! The sign-in rate limit: at most [`MAX_FAILURES`] failed sign-ins per client address and
//! per user name in a [`WINDOW`]; past that, sign-ins from that address or for that name are
//! refused without checking the password until the window (counted from its first failure)
//! is over. Per address stops one client guessing many names; per name stops many clients
//! guessing one password. IPv6 clients count per /64, the block one subscriber usually
//! holds, so that walking through one's own addresses buys nothing.
//!
//! The price of the per-name limit is that anyone can keep a known name locked out; a
//! correct password from that name is refused too during the window. That is the usual
//! trade (Frigate's and most login forms'), and the window is short.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use moka::sync::Cache;

/// Failed sign-ins allowed per address and per name in a [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// How long failures count.
pub const WINDOW: Duration = Duration::from_secs(300);

/// Addresses and names tracked at once; an attacker with more addresses than this gets
/// through the per-address limit sooner, but not through the per-name one.
const TRACKED: u64 = 100_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    since: Instant,
}

impl Failures {
    /// How long until sign-ins are allowed again, if they are not now.
    fn blocked_for(&self, now: Instant) -> Option<Duration> {
        let end = self.since + WINDOW;
        (self.count >= MAX_FAILURES && end > now).then(|| end - now)
    }
}

/// Failed sign-ins by address and by name. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LoginLimiter {
    by_address: Cache<IpAddr, Failures>,
    by_name: Cache<String, Failures>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            by_address: tracker(),
            by_name: tracker(),
        }
    }
}

impl LoginLimiter {
    /// `Err(wait)` when a sign-in from `address` (if known) or for `name` must wait.
    pub fn check(&self, address: Option<IpAddr>, name: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let by_address = address
            .map(bucket)
            .and_then(|a| self.by_address.get(&a))
            .and_then(|f| f.blocked_for(now));
        let by_name = self.by_name.get(name).and_then(|f| f.blocked_for(now));
        match by_address.max(by_name) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, address: Option<IpAddr>, name: &str) {
        let now = Instant::now();
        if let Some(address) = address {
            count(&self.by_address, bucket(address), now);
        }
        count(&self.by_name, name.to_owned(), now);
    }

    /// Forgets the failures for `name` after it signed in.
    pub fn succeeded(&self, name: &str) {
        self.by_name.invalidate(name);
    }
}

fn tracker<K>() -> Cache<K, Failures>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    Cache::builder()
        .max_capacity(TRACKED)
        .time_to_live(WINDOW)
        .build()
}

fn count<K>(cache: &Cache<K, Failures>, key: K, now: Instant)
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
{
    cache
        .entry(key)
        .and_upsert_with(|previous| match previous.map(|e| e.into_value()) {
            Some(f) if now.duration_since(f.since) < WINDOW => Failures {
                count: f.count.saturating_add(1),
                since: f.since,
            },
            _ => Failures {
                count: 1,
                since: now,
            },
        });
}

/// The address a limit counts: an IPv4 address itself, an IPv6 one by its /64.
fn bucket(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_failure_in_a_row_is_refused_for_the_address_and_for_the_name() {
        let limiter = LoginLimiter::default();
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        let there: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check(Some(here), "ada").is_ok());
            limiter.failed(Some(here), "ada");
        }
        let wait = limiter.check(Some(here), "ada").unwrap_err();
        assert!(
            wait > WINDOW - Duration::from_secs(5) && wait <= WINDOW,
            "{wait:?}"
        );
        assert!(
            limiter.check(Some(here), "bob").is_err(),
            "the address is limited"
        );
        assert!(
            limiter.check(Some(there), "ada").is_err(),
            "the name is limited"
        );
        assert!(limiter.check(Some(there), "bob").is_ok());
        limiter.succeeded("ada");
        assert!(limiter.check(Some(there), "ada").is_ok());
    }

    #[test]
    fn ipv6_addresses_count_per_64() {
        let limiter = LoginLimiter::default();
        for i in 0..MAX_FAILURES {
            let address: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            limiter.failed(Some(address), &format!("user{i}"));
        }
        let neighbour: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.check(Some(neighbour), "x").is_err());
        assert!(limiter.check(Some(elsewhere), "x").is_ok());
        assert_eq!(
            bucket("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
