//! The task that pings the store: often while it is down (the probe that brings it back, as
//! calls are not sent meanwhile), now and then while it is up (so `/readyz` and `/metrics`
//! see it die even when nobody views a page). It ends when the last handle of the store is
//! dropped.

use std::sync::Weak;
use std::time::Duration;

use super::{Inner, Store, StoreStatus};

/// How often a store that is down is probed.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How often a store that is up is pinged.
const PING_EVERY: Duration = Duration::from_secs(5);

/// Starts the watcher of the store behind `inner`.
pub(super) fn spawn(inner: Weak<Inner>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let store = Store { inner };
            // The outcome is recorded in the store's health; nothing else to do with it.
            let _ = store.send::<()>(&redis::cmd("PING")).await;
            let wait = match store.status() {
                StoreStatus::Up => PING_EVERY,
                StoreStatus::Connecting | StoreStatus::Down => PROBE_EVERY,
            };
            // Not held while waiting: dropping the last handle ends the task.
            drop(store);
            tokio::time::sleep(wait).await;
        }
    })
}
