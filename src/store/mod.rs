//! The store the replicas of a gallery share (`STORE_URL`, issue 16): Valkey or Redis, through
//! one reconnecting connection per process.
//!
//! The store is a second level, never a dependency: every call is bounded by a short
//! timeout, a failed call marks it down, and while it is down calls are not even sent (they
//! answer [`StoreError::Down`] at once) until the watcher's probe finds it answering again.
//! So a slow or dead store costs a page at most one timeout, and the gallery serves from its
//! own caches and EEN meanwhile. Failures are logged when the store goes down and at most
//! once a minute after that, counted for `/metrics`, and shown in `/readyz`.
//!
//! Every key is `{prefix}:{namespace}:…`: the prefix keeps galleries (EEN accounts) sharing
//! one store apart, and each kind of shared state has its [`namespace`]. Today that is the
//! images; the sign-in sessions, login limits, the v3 token lock and the EEN pace are to
//! follow on the same connection, each under a namespace of its own.
//!
//! This layer knows bytes and keys only; the cache layer decides what to keep and for how
//! long. It imports nothing of ours but the configuration's [`StoreSettings`].

mod health;
mod watcher;

pub use health::{StoreStats, StoreStatus};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use redis::FromRedisValue;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::watch;

use crate::config::store::{StoreSettings, StoreUrl};
use health::StoreHealth;

/// The namespaces of keys, one per kind of shared state.
pub mod namespace {
    /// Immutable frames, by camera and timestamp.
    pub const IMAGE: &str = "img";
    /// Claims on frames being fetched from EEN by one replica (see [`super::Store::claim`]).
    pub const IMAGE_CLAIM: &str = "img-claim";
}

/// Most writes waiting for the store at once; past that a write is dropped (it is only a
/// cache), so a slow store cannot pile up tasks and memory.
const MAX_PENDING_WRITES: usize = 512;

/// A call to the store that did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store is down; the call was not sent.
    #[error("the store is down")]
    Down,
    /// The store did not answer within the timeout.
    #[error("the store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store (or the connection to it) failed.
    #[error(transparent)]
    Redis(#[from] redis::RedisError),
}

/// The shared store. Cheap to clone: every clone uses the one connection.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    manager: ConnectionManager,
    url: StoreUrl,
    prefix: String,
    timeout: Duration,
    health: StoreHealth,
    /// Background writes under way, so a shutdown (or a test) can wait for them to land.
    writes: watch::Sender<usize>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("url", &self.inner.url)
            .field("prefix", &self.inner.prefix)
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store at `settings.url`, connected on first use (the gallery starts whether or not
    /// it answers), and its watcher task started. Call within a Tokio runtime.
    pub fn connect(settings: &StoreSettings) -> Result<Self, StoreError> {
        let client = redis::Client::open(settings.url.expose())?;
        // One attempt per (re)connection: the watcher and the calls themselves try again,
        // each within the timeout, so nothing waits out a backoff of the client's own.
        let config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(Some(settings.timeout))
            .set_response_timeout(Some(settings.timeout));
        let manager = ConnectionManager::new_lazy_with_config(client, config)?;
        let store = Self {
            inner: Arc::new(Inner {
                manager,
                url: settings.url.clone(),
                prefix: settings.prefix.clone(),
                timeout: settings.timeout,
                health: StoreHealth::default(),
                writes: watch::Sender::new(0),
            }),
        };
        watcher::spawn(Arc::downgrade(&store.inner));
        Ok(store)
    }

    /// The key of `parts` in `namespace`: `{prefix}:{namespace}:{part}:{part}…`.
    pub fn key(&self, namespace: &str, parts: &[&str]) -> String {
        let mut key = format!("{}:{namespace}", self.inner.prefix);
        for part in parts {
            key.push(':');
            key.push_str(part);
        }
        key
    }

    /// The value at `key`, if the store has it.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        self.call(redis::cmd("GET").arg(key)).await
    }

    /// Sets `key` to `value`, to expire after `ttl` (at least a second).
    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), StoreError> {
        let seconds = ttl.as_secs().max(1);
        self.call(redis::cmd("SET").arg(key).arg(value).arg("EX").arg(seconds))
            .await
    }

    /// Takes `key` for `lease` if nobody holds it (`SET NX PX`): `true` when this caller now
    /// holds it. Nobody gives a claim back; it ends with its lease.
    pub async fn claim(&self, key: &str, lease: Duration) -> Result<bool, StoreError> {
        let millis = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX).max(1);
        let answer: Option<String> = self
            .call(
                redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis),
            )
            .await?;
        Ok(answer.is_some())
    }

    /// [`Store::set`] on a task of its own, so no caller waits for the store. Dropped while
    /// the store is down or too many writes wait already; a failure is recorded, not
    /// returned.
    pub fn set_in_background(&self, key: String, value: Bytes, ttl: Duration) {
        if self.status() == StoreStatus::Down {
            return;
        }
        let mut admitted = false;
        self.inner.writes.send_if_modified(|pending| {
            admitted = *pending < MAX_PENDING_WRITES;
            *pending += usize::from(admitted);
            admitted
        });
        if !admitted {
            tracing::debug!("too many writes wait for the store: one dropped");
            return;
        }
        let done = WriteDone(self.clone());
        tokio::spawn(async move {
            let _ = done.0.set(&key, &value, ttl).await;
            drop(done);
        });
    }

    /// Waits until the background writes started so far have landed (or failed).
    pub async fn settled(&self) {
        let mut writes = self.inner.writes.subscribe();
        // The sender lives as long as `self`, so this only ends at zero.
        let _ = writes.wait_for(|pending| *pending == 0).await;
    }

    /// Where the store stands.
    pub fn status(&self) -> StoreStatus {
        self.inner.health.status()
    }

    /// Watches the store's status (tests wait on this instead of polling).
    pub fn subscribe(&self) -> watch::Receiver<StoreStatus> {
        self.inner.health.subscribe()
    }

    /// The figures `/metrics` shows.
    pub fn stats(&self) -> StoreStats {
        self.inner.health.stats()
    }

    /// The store's URL (its `Display` hides the password).
    pub fn url(&self) -> &StoreUrl {
        &self.inner.url
    }

    /// Sends `cmd` unless the store is down.
    async fn call<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        if self.status() == StoreStatus::Down {
            return Err(StoreError::Down);
        }
        self.send(cmd).await
    }

    /// Sends `cmd` within the timeout and records the outcome. A connection found broken is
    /// replaced by the manager at once, and the command tried once more on the new one, so
    /// the first call after the store comes back succeeds.
    async fn send<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        let mut connection = self.inner.manager.clone();
        let attempts = async {
            match cmd.query_async(&mut connection).await {
                Err(error) if error.is_unrecoverable_error() || error.is_io_error() => {
                    cmd.query_async(&mut connection).await
                }
                outcome => outcome,
            }
        };
        let outcome = match tokio::time::timeout(self.inner.timeout, attempts).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreError::Redis(error)),
            Err(_) => Err(StoreError::Timeout(self.inner.timeout)),
        };
        match &outcome {
            Ok(_) => self.inner.health.succeeded(),
            Err(error) => self.inner.health.failed(error),
        }
        outcome
    }
}

/// Counts a background write as done when dropped, even if its task panicked.
struct WriteDone(Store);

impl Drop for WriteDone {
    fn drop(&mut self) {
        self.0
            .inner
            .writes
            .send_modify(|pending| *pending = pending.saturating_sub(1));
    }
}
