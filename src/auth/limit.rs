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
//!
//! With a shared store (`STORE_URL`) the failures are counted there too (`INCR` on keys
//! that expire with the window), so the limit holds for all replicas together: five
//! failures spread over two replicas make the sixth sign-in wait on either. Each replica
//! also counts its own, which is what holds while the store cannot be reached: then an
//! attacker gets at most the limit per replica.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use moka::sync::Cache;
use sha2::Digest as _;

use crate::store::{Store, namespace};

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
    shared: Option<Store>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            by_address: tracker(),
            by_name: tracker(),
            shared: None,
        }
    }
}

impl LoginLimiter {
    /// A limiter that also counts in `store`, for all replicas together.
    pub fn shared(store: Store) -> Self {
        Self {
            shared: Some(store),
            ..Self::default()
        }
    }

    /// `Err(wait)` when a sign-in from `address` (if known) or for `name` must wait.
    pub async fn check(&self, address: Option<IpAddr>, name: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let by_address = address
            .map(bucket)
            .and_then(|a| self.by_address.get(&a))
            .and_then(|f| f.blocked_for(now));
        let by_name = self.by_name.get(name).and_then(|f| f.blocked_for(now));
        let here = by_address.max(by_name);
        let everywhere = match &self.shared {
            Some(store) if here.is_none() => shared_wait(store, address, name).await,
            _ => None,
        };
        match here.max(everywhere) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in.
    pub async fn failed(&self, address: Option<IpAddr>, name: &str) {
        let now = Instant::now();
        if let Some(address) = address {
            count(&self.by_address, bucket(address), now);
        }
        count(&self.by_name, name.to_owned(), now);
        if let Some(store) = &self.shared {
            for key in shared_keys(store, address, name) {
                // A count the store did not take is this replica's only (recorded and
                // logged by the store's health).
                let _ = store.count(&key, WINDOW).await;
            }
        }
    }

    /// Forgets the failures for `name` after it signed in.
    pub async fn succeeded(&self, name: &str) {
        self.by_name.invalidate(name);
        if let Some(store) = &self.shared {
            let _ = store.delete(&[&name_key(store, name)]).await;
        }
    }
}

/// How long the store's counts say to wait, if they are at the limit; `None` also when the
/// store cannot be asked (this replica's own counts hold then).
async fn shared_wait(store: &Store, address: Option<IpAddr>, name: &str) -> Option<Duration> {
    let keys = shared_keys(store, address, name);
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let counts = store.counts(&keys).await.ok()?;
    counts
        .into_iter()
        .flatten()
        .filter(|&(count, _)| count >= u64::from(MAX_FAILURES))
        .map(|(_, left)| left)
        .max()
}

/// The store's keys of the counts for `address` (if known) and `name`.
fn shared_keys(store: &Store, address: Option<IpAddr>, name: &str) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(address) = address {
        keys.push(store.key(namespace::LOGIN, &["addr", &bucket(address).to_string()]));
    }
    keys.push(name_key(store, name));
    keys
}

/// A name's key holds its SHA-256, not what a stranger typed in the form.
fn name_key(store: &Store, name: &str) -> String {
    let digest = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(name.as_bytes()));
    store.key(namespace::LOGIN, &["name", &digest])
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

    #[tokio::test]
    async fn the_sixth_failure_in_a_row_is_refused_for_the_address_and_for_the_name() {
        let limiter = LoginLimiter::default();
        let here: IpAddr = "192.0.2.7".parse().unwrap();
        let there: IpAddr = "198.51.100.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(limiter.check(Some(here), "ada").await.is_ok());
            limiter.failed(Some(here), "ada").await;
        }
        let wait = limiter.check(Some(here), "ada").await.unwrap_err();
        assert!(
            wait > WINDOW - Duration::from_secs(5) && wait <= WINDOW,
            "{wait:?}"
        );
        assert!(
            limiter.check(Some(here), "bob").await.is_err(),
            "the address is limited"
        );
        assert!(
            limiter.check(Some(there), "ada").await.is_err(),
            "the name is limited"
        );
        assert!(limiter.check(Some(there), "bob").await.is_ok());
        limiter.succeeded("ada").await;
        assert!(limiter.check(Some(there), "ada").await.is_ok());
    }

    #[tokio::test]
    async fn ipv6_addresses_count_per_64() {
        let limiter = LoginLimiter::default();
        for i in 0..MAX_FAILURES {
            let address: IpAddr = format!("2001:db8:1:2::{i:x}").parse().unwrap();
            limiter.failed(Some(address), &format!("user{i}")).await;
        }
        let neighbour: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limiter.check(Some(neighbour), "x").await.is_err());
        assert!(limiter.check(Some(elsewhere), "x").await.is_ok());
        assert_eq!(
            bucket("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
