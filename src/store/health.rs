//! Where the store stands, what `/metrics` shows of it, and its failures in the log: when it
//! goes down, and then at most once a minute, never once per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::StoreError;

/// How often a store that stays down is logged again.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// Where the store stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreStatus {
    /// Not asked yet (the first call or the watcher's first ping connects).
    Connecting,
    /// The last call succeeded.
    Up,
    /// The last call failed or timed out: calls are not sent until a probe succeeds.
    Down,
}

impl StoreStatus {
    /// A short explanation for operators (no address, no secret).
    pub fn describe(self) -> &'static str {
        match self {
            StoreStatus::Connecting => "connecting",
            StoreStatus::Up => "up",
            StoreStatus::Down => "down: serving from this replica's own cache and EEN",
        }
    }
}

/// The store's figures for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreStats {
    /// Where it stands now.
    pub status: StoreStatus,
    /// Calls that failed or timed out, since start.
    pub errors: u64,
}

/// The store's health. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct StoreHealth {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: watch::Sender<StoreStatus>,
    errors: AtomicU64,
    log: Mutex<Log>,
}

/// What was logged of the failures, so a store that stays down is not logged per call.
#[derive(Debug, Default)]
struct Log {
    last: Option<Instant>,
    unlogged: u64,
}

impl Default for StoreHealth {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                status: watch::Sender::new(StoreStatus::Connecting),
                errors: AtomicU64::new(0),
                log: Mutex::default(),
            }),
        }
    }
}

impl StoreHealth {
    pub(super) fn status(&self) -> StoreStatus {
        *self.inner.status.borrow()
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<StoreStatus> {
        self.inner.status.subscribe()
    }

    pub(super) fn stats(&self) -> StoreStats {
        StoreStats {
            status: self.status(),
            errors: self.inner.errors.load(Ordering::Relaxed),
        }
    }

    /// A call succeeded: the store is up.
    pub(super) fn succeeded(&self) {
        self.inner.status.send_if_modified(|status| {
            let was = std::mem::replace(status, StoreStatus::Up);
            match was {
                StoreStatus::Up => return false,
                StoreStatus::Down => tracing::info!("the store answers again"),
                StoreStatus::Connecting => tracing::info!("connected to the store"),
            }
            true
        });
    }

    /// A call failed: the store is down until a probe succeeds.
    pub(super) fn failed(&self, error: &StoreError) {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        let was = self.inner.status.send_replace(StoreStatus::Down);
        let mut log = self
            .inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if was != StoreStatus::Down {
            tracing::warn!(
                error = %error,
                "the store failed: serving from this replica's own cache and EEN until it \
                 answers again"
            );
        } else if log.last.is_some_and(|last| now - last >= LOG_EVERY) {
            tracing::warn!(
                error = %error,
                failures = log.unlogged + 1,
                "the store is still down"
            );
        } else {
            log.unlogged += 1;
            return;
        }
        log.last = Some(now);
        log.unlogged = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_downs_it_a_success_brings_it_back_and_errors_add_up() {
        let health = StoreHealth::default();
        assert_eq!(health.status(), StoreStatus::Connecting);
        health.succeeded();
        assert_eq!(health.status(), StoreStatus::Up);
        let timeout = StoreError::Timeout(Duration::from_millis(5));
        health.failed(&timeout);
        health.failed(&timeout);
        assert_eq!(
            health.stats(),
            StoreStats {
                status: StoreStatus::Down,
                errors: 2
            }
        );
        health.succeeded();
        assert_eq!(health.status(), StoreStatus::Up);
        assert_eq!(health.stats().errors, 2);
    }
}
