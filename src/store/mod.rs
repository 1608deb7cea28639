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
//! one store apart, and each kind of shared state has its [`namespace`]: the images, the
//! sign-in sessions, the login limits, the v3 connection with its refresh lock and the EEN
//! pace, all on the one connection.
//!
//! This layer knows bytes, keys, counters and locks only; its users (the cache layer, the
//! sign-in, the v3 client) decide what to keep and for how long. It imports nothing of ours
//! but the configuration's [`StoreSettings`]. `commands` has the commands beyond GET and SET.

mod commands;
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
    /// Each camera's latest preview: its timestamp, for a preview lifetime.
    pub const LATEST: &str = "latest";
    /// Listings of a camera's frames, by where they end and how many, for their lifetime.
    pub const LISTING: &str = "list";
    /// Claims on what one replica is asking EEN for, by the key its answer will have (taken
    /// with [`super::Store::set_new`], given back by nobody: a claim ends with its lease).
    pub const CLAIM: &str = "claim";
    /// Sign-in sessions, by the SHA-256 of their id.
    pub const SESSION: &str = "session";
    /// Failed sign-ins, by client address and by user name.
    pub const LOGIN: &str = "login";
    /// The EEN connection (API v3): its token pair, the refresh lock, the spent mark.
    pub const EEN: &str = "een";
    /// The pace of requests to EEN: the replicas alive, a pause, the last rate cut.
    pub const PACE: &str = "pace";
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

    /// [`Store::set_for`] on a task of its own, so no caller waits for the store. Dropped while
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
            let _ = done.0.set_for(&key, &value, ttl).await;
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

    /// The longest one call may take.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// Sends `cmd` unless the store is down.
    async fn call<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        self.call_any(Query::One(cmd)).await
    }

    /// Sends `query` unless the store is down.
    async fn call_any<T: FromRedisValue>(&self, query: Query<'_>) -> Result<T, StoreError> {
        if self.status() == StoreStatus::Down {
            return Err(StoreError::Down);
        }
        self.send_any(query).await
    }

    /// Sends `cmd` within the timeout and records the outcome (the watcher's ping).
    async fn send<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, StoreError> {
        self.send_any(Query::One(cmd)).await
    }

    /// Sends `query` within the timeout and records the outcome. A connection found broken
    /// is replaced by the manager at once, and the query tried once more on the new one, so
    /// the first call after the store comes back succeeds.
    async fn send_any<T: FromRedisValue>(&self, query: Query<'_>) -> Result<T, StoreError> {
        let mut connection = self.inner.manager.clone();
        let attempts = async {
            match query.run(&mut connection).await {
                Err(error) if error.is_unrecoverable_error() || error.is_io_error() => {
                    query.run(&mut connection).await
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

/// One command, or several in one round trip.
#[derive(Clone, Copy)]
enum Query<'a> {
    One(&'a redis::Cmd),
    Pipe(&'a redis::Pipeline),
}

impl Query<'_> {
    async fn run<T: FromRedisValue>(
        self,
        connection: &mut ConnectionManager,
    ) -> redis::RedisResult<T> {
        match self {
            Query::One(cmd) => cmd.query_async(connection).await,
            Query::Pipe(pipe) => pipe.query_async(connection).await,
        }
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
