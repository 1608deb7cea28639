//! The camera list, cached briefly and refreshed in the background.
//!
//! A stale list is served at once while one background task fetches a new one
//! (stale-while-revalidate), so only the very first page view waits for EEN's device list.
//! A failed fetch is remembered for a short while: requests in that time (including those
//! that queued behind the failed fetch) get its error or the old list instead of calling EEN
//! again, so a failing device list is not hammered by every page view.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::fetch;
use super::health::Health;
use super::trouble::Failure;
use crate::een::{self, Backend, Camera, Esn};

/// One snapshot of the account's cameras (the backend leaves out bridges and devices that
/// are not attached to the account).
#[derive(Debug, Default)]
pub struct CameraList {
    by_esn: HashMap<Esn, Camera>,
    /// The cameras, sorted by id so a seeded choice does not depend on EEN's row order.
    attached: Vec<Esn>,
}

impl CameraList {
    /// Builds the list from the backend's cameras.
    pub fn new(cameras: Vec<Camera>) -> Self {
        let mut attached: Vec<Esn> = cameras.iter().map(|c| c.esn.clone()).collect();
        attached.sort();
        attached.dedup();
        let by_esn = cameras.into_iter().map(|c| (c.esn.clone(), c)).collect();
        Self { by_esn, attached }
    }

    /// A camera by id.
    pub fn camera(&self, esn: &Esn) -> Option<&Camera> {
        self.by_esn.get(esn)
    }

    /// Ids of the cameras, sorted.
    pub fn attached(&self) -> &[Esn] {
        &self.attached
    }
}

/// The cached camera list. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Directory {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    een: Backend,
    health: Health,
    ttl: Duration,
    retry_after: Duration,
    current: RwLock<Option<Snapshot>>,
    /// The last fetch that failed, if no fetch succeeded since.
    failure: RwLock<Option<LastFailure>>,
    /// Held while a device-list call is in flight, so concurrent misses make one call.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Debug)]
struct LastFailure {
    error: een::Error,
    at: Instant,
}

#[derive(Clone, Debug)]
struct Snapshot {
    list: Arc<CameraList>,
    fetched: Instant,
}

impl Directory {
    /// An empty directory; the first [`get`](Self::get) or [`refresh`](Self::refresh) fills it.
    /// A list is fresh for `ttl`; after a failed fetch, [`get`](Self::get) does not call EEN
    /// again for `retry_after`.
    pub fn new(een: Backend, health: Health, ttl: Duration, retry_after: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                een,
                health,
                ttl,
                retry_after,
                current: RwLock::new(None),
                failure: RwLock::new(None),
                fetching: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// The camera list, waited for no longer than until `deadline`: fresh from the cache,
    /// stale from the cache while a background refresh runs, or fetched now when there is
    /// none yet.
    pub async fn get(&self, deadline: tokio::time::Instant) -> Result<Arc<CameraList>, Failure> {
        // The usual case answers at once, without the deadline's timer.
        if let Some(list) = self.held() {
            return Ok(list);
        }
        fetch::within(deadline, self.load()).await
    }

    /// The list held, refreshed in the background when it is stale.
    fn held(&self) -> Option<Arc<CameraList>> {
        let snapshot = self.snapshot()?;
        if snapshot.fetched.elapsed() >= self.inner.ttl && self.recent_failure().is_none() {
            self.refresh_in_background();
        }
        Some(snapshot.list)
    }

    /// Fetches the list when [`Directory::held`] has none (single flight).
    async fn load(&self) -> Result<Arc<CameraList>, een::Error> {
        self.inner.health.gate()?;
        if let Some(error) = self.recent_failure() {
            return Err(error);
        }
        let _fetching = self.inner.fetching.lock().await;
        // Another request may have filled it, or failed to, while this one waited: either
        // outcome is this one's too (single flight).
        if let Some(snapshot) = self.snapshot() {
            return Ok(snapshot.list);
        }
        if let Some(error) = self.recent_failure() {
            return Err(error);
        }
        self.fetch().await
    }

    /// Fetches the list now and stores it, whatever failed before (the keeper calls this with
    /// its own backoff).
    pub async fn refresh(&self) -> Result<Arc<CameraList>, een::Error> {
        let _fetching = self.inner.fetching.lock().await;
        self.fetch().await
    }

    /// Forgets the list and the last failure: the account changed (connected, disconnected),
    /// so the next page view asks EEN, or shows why it cannot.
    pub fn forget(&self) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
        *self
            .inner
            .failure
            .write()
            .unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn refresh_in_background(&self) {
        let Ok(fetching) = Arc::clone(&self.inner.fetching).try_lock_owned() else {
            return; // a refresh is already running
        };
        let this = self.clone();
        tokio::spawn(async move {
            let _fetching = fetching;
            if this.inner.health.gate().is_err() || this.recent_failure().is_some() {
                return;
            }
            if let Err(error) = this.fetch().await {
                tracing::warn!(error = %error, "camera list refresh failed; serving the old list");
            }
        });
    }

    /// Calls EEN; the caller holds `fetching`.
    async fn fetch(&self) -> Result<Arc<CameraList>, een::Error> {
        let result = self.inner.een.cameras().await;
        self.inner.health.record_camera_list(&result);
        *self
            .inner
            .failure
            .write()
            .unwrap_or_else(|p| p.into_inner()) = result.as_ref().err().map(|error| LastFailure {
            error: error.clone(),
            at: Instant::now(),
        });
        let list = Arc::new(CameraList::new(result?));
        let snapshot = Snapshot {
            list: Arc::clone(&list),
            fetched: Instant::now(),
        };
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(snapshot);
        Ok(list)
    }

    /// The error of the last fetch, if it failed less than `retry_after` ago.
    fn recent_failure(&self) -> Option<een::Error> {
        self.inner
            .failure
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .filter(|f| f.at.elapsed() < self.inner.retry_after)
            .map(|f| f.error.clone())
    }

    fn snapshot(&self) -> Option<Snapshot> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}
