//! The image cache, with the memory of what EEN says is missing.
//!
//! Images are keyed by camera and timestamp and never change, so they stay cached until the
//! byte budget evicts them. Concurrent misses for one key make one EEN call (moka's
//! `try_get_with`). A page fetches its images with at most [`PAGE_FETCH_PERMITS`](super::PAGE_FETCH_PERMITS) in flight and
//! stops waiting at its deadline (see `fetch`). EEN answering "not found" (a camera without
//! images, a timestamp with no frame) is cached too, for [`MISSING_TTL`], so a camera without
//! images does not cost an EEN call per view.
//!
//! With a shared store (`STORE_URL`), a frame the in-process cache misses is looked up there
//! before EEN, and every frame fetched from EEN is written there (see `shared`), so replicas
//! fetch each frame from EEN about once. The lookup runs inside the single flight: concurrent
//! misses in one replica make one store lookup and at most one EEN call.
//!
//! A camera's latest preview is fresh for `latest_max_age`; after that it is served stale (up
//! to [`LATEST_STALE_FOR`]) while one background refresh fetches the newer one, so viewers
//! never wait for EEN on a camera they have seen recently (stale-while-revalidate).
//!
//! A frame's neighbours (the frames just before and after it, for the frame viewer) are
//! learnt from every listing, and otherwise asked of EEN once per frame and side; the
//! neighbour's JPEG comes with the answer and lands in the cache, so stepping to it costs no
//! further call.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use moka::future::Cache;
use tokio::time::Instant;

use super::fetch::{self, Fetch};
use super::health::Health;
use super::shared::SharedImages;
use super::trouble::{Failure, SharedError};
use crate::een::{self, Backend, Before, Esn, Image, Listed, Side};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::timestamp::EenTimestamp;

/// How long EEN's "not found" for an image or a latest preview is believed.
pub const MISSING_TTL: Duration = Duration::from_secs(10);

/// How long a latest preview past its freshness is still served while a refresh runs; older
/// ones are waited for. The tile shows the preview's time, so a stale one says how old it is.
pub(crate) const LATEST_STALE_FOR: Duration = Duration::from_secs(60);

/// How long a listing of frames before a fixed past instant is reused. Those frames do not
/// change (until retention drops the oldest), so viewers paging back share one EEN listing.
pub const PAST_LISTING_TTL: Duration = Duration::from_secs(600);

/// How long a frame's known neighbour is kept. Frames never change, so this only bounds the
/// memory of frames that retention has since dropped.
pub const NEIGHBOUR_TTL: Duration = Duration::from_secs(3600);

/// Estimated per-entry overhead of the cache on top of the image bytes.
const ENTRY_OVERHEAD: usize = 96;

/// An image's identity: its camera and its timestamp.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageKey {
    /// The camera.
    pub esn: Esn,
    /// When the frame was taken.
    pub timestamp: EenTimestamp,
}

/// What EEN recently said does not exist.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Missing {
    /// No frame at this timestamp.
    Image(ImageKey),
    /// No latest preview of this camera.
    Latest(Esn),
    /// No frame on this side of this one (yet, for `Newer`).
    Neighbour(ImageKey, Side),
}

/// A listing's identity: camera, where it ends, how many frames.
type ListingKey = (Esn, Before, u32);

/// A listing, with how long it may be reused: its whole lifetime when this replica asked EEN,
/// what was left of it when another replica had (through the shared store).
#[derive(Debug)]
struct Listing {
    timestamps: Vec<EenTimestamp>,
    fresh_for: Duration,
}

/// Each listing expires after its own [`Listing::fresh_for`].
struct FreshFor;

impl moka::Expiry<ListingKey, Arc<Listing>> for FreshFor {
    fn expire_after_create(
        &self,
        _key: &ListingKey,
        listing: &Arc<Listing>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(listing.fresh_for)
    }
}

/// The image cache. Cheap to clone: one `Arc` (moka caches are not cheap to clone, and every
/// page and detached fetch clones this).
#[derive(Clone, Debug)]
pub struct Images {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug)]
struct Inner {
    een: Backend,
    health: Health,
    metrics: Metrics,
    cache: Cache<ImageKey, Bytes>,
    /// Listings up to now, reused as long as a latest preview is.
    listings_now: Cache<ListingKey, Arc<Listing>>,
    /// Listings before a past instant, reused for [`PAST_LISTING_TTL`].
    listings_past: Cache<ListingKey, Arc<Listing>>,
    /// Each camera's latest preview, with when it was fetched.
    latest: Cache<Esn, (Image, Instant)>,
    latest_max_age: Duration,
    /// Cameras whose stale latest preview is being refreshed.
    refreshing: Arc<std::sync::Mutex<HashSet<Esn>>>,
    missing: Cache<Missing, ()>,
    /// Each frame's known neighbour on each side.
    neighbours: Cache<(ImageKey, Side), EenTimestamp>,
    /// The second level shared by replicas, if there is a store.
    shared: Option<SharedImages>,
}

impl Images {
    /// A cache holding at most `capacity_bytes` of images; a camera's latest preview is reused
    /// for `latest_max_age`.
    pub fn new(
        een: Backend,
        health: Health,
        metrics: Metrics,
        capacity_bytes: u64,
        latest_max_age: Duration,
    ) -> Self {
        let cache = Cache::builder()
            .name("images")
            .max_capacity(capacity_bytes)
            .weigher(|_key: &ImageKey, bytes: &Bytes| {
                u32::try_from(bytes.len() + ENTRY_OVERHEAD).unwrap_or(u32::MAX)
            })
            .build();
        // The latest previews share their bytes with `cache`; this only maps a camera to its
        // newest frame, so a wall of viewers makes one EEN call per camera and preview
        // lifetime.
        let latest = Cache::builder()
            .name("latest-previews")
            .max_capacity(10_000)
            .time_to_live(latest_max_age + LATEST_STALE_FOR)
            .build();
        let missing = Cache::builder()
            .name("missing-images")
            .max_capacity(10_000)
            .time_to_live(MISSING_TTL)
            .build();
        // Concurrent identical listings make one EEN listing (v3 walks ~24 calls for one),
        // and a listing is reused briefly, so EEN's listing calls grow with the cameras
        // viewed, not with the viewers.
        let listings_now = Cache::builder()
            .name("listings-now")
            .max_capacity(10_000)
            .expire_after(FreshFor)
            .build();
        let listings_past = Cache::builder()
            .name("listings-past")
            .max_capacity(10_000)
            .expire_after(FreshFor)
            .build();
        let neighbours = Cache::builder()
            .name("neighbours")
            .max_capacity(200_000)
            .time_to_live(NEIGHBOUR_TTL)
            .build();
        let inner = Inner {
            een,
            health,
            metrics,
            cache,
            listings_now,
            listings_past,
            latest,
            latest_max_age,
            refreshing: Arc::default(),
            missing,
            neighbours,
            shared: None,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The same cache with `store` as its second level, each frame kept there for `ttl`.
    pub fn with_store(mut self, store: Store, ttl: Duration) -> Self {
        let inner = Arc::make_mut(&mut self.inner);
        inner.shared = Some(SharedImages::new(store, ttl, inner.metrics.clone()));
        self
    }

    /// Forgets every image, latest preview and missing mark: the account changed
    /// (connected, disconnected), and its images must not outlive it. The shared store's
    /// frames stay (other replicas may still serve the account), but none is served while no
    /// account is usable, and another account's cameras have other ids.
    pub fn forget(&self) {
        self.inner.cache.invalidate_all();
        self.inner.latest.invalidate_all();
        self.inner.missing.invalidate_all();
        self.inner.neighbours.invalidate_all();
    }

    /// The image at `timestamp`, from the cache or from EEN.
    pub async fn image(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Bytes, SharedError> {
        let key = ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        if let Some(bytes) = self.inner.cache.get(&key).await {
            self.inner.metrics.image_cache_hit();
            return Ok(bytes);
        }
        let missing = Missing::Image(key.clone());
        if self.inner.missing.contains_key(&missing) {
            self.inner.metrics.image_cache_hit();
            return Err(Arc::new(een::Error::NotFound));
        }
        self.inner.metrics.image_cache_miss();
        let result = self
            .inner
            .cache
            .try_get_with(key, async {
                if let Some(bytes) = self.shared_get(esn, timestamp).await {
                    return Ok(bytes);
                }
                self.inner.health.gate()?;
                let result = self.inner.een.preview(esn, timestamp).await;
                self.inner.health.record_image_call("preview", &result);
                let bytes = result?.bytes;
                self.shared_put(esn, timestamp, &bytes);
                Ok(bytes)
            })
            .await;
        self.remember_missing(&result, missing).await;
        result
    }

    /// The shared store, if there is one and what it holds may be served. Not while only an
    /// operator can help (no account connected, credentials refused): what another replica
    /// fetched for an account the gallery cannot use is not shown. While EEN is only
    /// unreachable it is.
    fn usable_shared(&self) -> Option<&SharedImages> {
        let shared = self.inner.shared.as_ref()?;
        (!self.inner.health.status().needs_operator()).then_some(shared)
    }

    /// The frame from the shared store, if it has it (or another replica fetching it
    /// stores it soon).
    async fn shared_get(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        self.usable_shared()?.frame_or_claim(esn, timestamp).await
    }

    /// Writes a frame fetched from EEN to the shared store, if there is one.
    fn shared_put(&self, esn: &Esn, timestamp: EenTimestamp, bytes: &Bytes) {
        if let Some(shared) = &self.inner.shared {
            shared.put_frame(esn, timestamp, bytes);
        }
    }

    async fn remember_missing<T>(&self, result: &Result<T, SharedError>, missing: Missing) {
        if let Err(error) = result
            && matches!(**error, een::Error::NotFound)
        {
            self.inner.missing.insert(missing, ()).await;
        }
    }

    /// Timestamps of up to `count` previews before `before`, newest first, asked of EEN no
    /// longer than until `deadline`. Identical concurrent listings make one EEN listing, and a
    /// listing is reused (up to now: as long as a latest preview; before a past instant: for
    /// [`PAST_LISTING_TTL`]). A listing still running at the deadline goes on in the
    /// background and lands in the caches.
    pub async fn list(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
        deadline: Instant,
    ) -> Result<Vec<EenTimestamp>, Failure> {
        let listings = match before {
            Before::Now => &self.inner.listings_now,
            Before::At(_) => &self.inner.listings_past,
        };
        let key = (esn.clone(), before, count);
        let this = self.clone();
        let esn = esn.clone();
        let listing = listings.try_get_with(key, async move {
            // Its own task: a caller giving up at its deadline must not cancel the listing
            // others wait for (or that fills the image cache for the next view).
            tokio::spawn(async move { this.listing(&esn, before, count).await })
                .await
                .unwrap_or_else(|_| Err(een::Error::Config("the listing task failed")))
                .map(Arc::new)
        });
        let listed = tokio::time::timeout_at(deadline, listing)
            .await
            .unwrap_or_else(|_| Err(Arc::new(een::Error::Timeout)))?;
        Ok(listed.timestamps.clone())
    }

    /// A listing another replica made (through the shared store), or else EEN's, which then
    /// goes to the store for the others.
    async fn listing(&self, esn: &Esn, before: Before, count: u32) -> Result<Listing, een::Error> {
        let lifetime = match before {
            Before::Now => self.inner.latest_max_age,
            Before::At(_) => PAST_LISTING_TTL,
        };
        if let Some(shared) = self.usable_shared()
            && let Some(found) = shared.listing_or_claim(esn, before, count).await
        {
            self.learn_listing(esn, &found.value).await;
            return Ok(Listing {
                timestamps: found.value,
                fresh_for: found.left.map_or(lifetime, |left| left.min(lifetime)),
            });
        }
        let timestamps = self.list_from_een(esn, before, count).await?;
        if let Some(shared) = &self.inner.shared {
            shared.put_listing(esn, before, count, &timestamps, lifetime);
        }
        Ok(Listing {
            timestamps,
            fresh_for: lifetime,
        })
    }

    async fn list_from_een(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<EenTimestamp>, een::Error> {
        self.inner.health.gate()?;
        let result = self.inner.een.list_previews(esn, before, count).await;
        self.inner
            .health
            .record_image_call("list_previews", &result);
        let mut timestamps = Vec::with_capacity(result.as_ref().map_or(0, Vec::len));
        for Listed { timestamp, bytes } in result? {
            // Frames the listing had to fetch to find (v3) need no second EEN call.
            if let Some(bytes) = bytes {
                self.shared_put(esn, timestamp, &bytes);
                let key = ImageKey {
                    esn: esn.clone(),
                    timestamp,
                };
                self.inner.cache.insert(key, bytes).await;
            }
            timestamps.push(timestamp);
        }
        self.learn_listing(esn, &timestamps).await;
        Ok(timestamps)
    }

    /// A listing's frames are consecutive: each is the older neighbour of the one before.
    async fn learn_listing(&self, esn: &Esn, timestamps: &[EenTimestamp]) {
        for pair in timestamps.windows(2) {
            let (newer, older) = (pair[0], pair[1]);
            self.learn_neighbours(esn, newer, older).await;
        }
    }

    /// The image at `timestamp` if it is cached, without calling EEN.
    pub async fn cached(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        let key = ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        self.inner.cache.get(&key).await
    }

    /// The camera's latest preview. It is also stored under its own timestamp, so pages can
    /// link to the immutable timestamped URL.
    pub async fn latest(&self, esn: &Esn) -> Result<Image, SharedError> {
        let missing = Missing::Latest(esn.clone());
        if self.inner.missing.contains_key(&missing) {
            return Err(Arc::new(een::Error::NotFound));
        }
        if let Some(image) = self.latest_cached(esn).await {
            return Ok(image);
        }
        let result = self
            .inner
            .latest
            .try_get_with(esn.clone(), self.fetch_latest_preview(esn))
            .await
            .map(|(image, _)| image);
        self.remember_missing(&result, missing).await;
        result
    }

    /// The latest preview held for the camera, fresh or stale; a stale one starts its
    /// refresh (one per camera) in the background.
    async fn latest_cached(&self, esn: &Esn) -> Option<Image> {
        let (image, fetched) = self.inner.latest.get(esn).await?;
        if fetched.elapsed() >= self.inner.latest_max_age {
            self.refresh_latest(esn);
        }
        Some(image)
    }

    fn refresh_latest(&self, esn: &Esn) {
        let newly = self
            .inner
            .refreshing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(esn.clone());
        if !newly {
            return;
        }
        let this = self.clone();
        let esn = esn.clone();
        tokio::spawn(async move {
            // A failed refresh leaves the stale preview until it expires; the next view
            // after that waits for EEN and sees the failure.
            if let Ok(fresh) = this.fetch_latest_preview(&esn).await {
                this.inner.latest.insert(esn.clone(), fresh).await;
            }
            this.inner
                .refreshing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&esn);
        });
    }

    /// The camera's latest preview another replica fetched (through the shared store), or
    /// else EEN's, with when it was fetched; its bytes are stored under its timestamp.
    async fn fetch_latest_preview(&self, esn: &Esn) -> Result<(Image, Instant), een::Error> {
        if let Some(shared) = self.usable_shared()
            && let Some(found) = shared.latest_or_claim(esn).await
        {
            let image = found.value;
            let key = ImageKey {
                esn: esn.clone(),
                timestamp: image.timestamp,
            };
            self.inner.cache.insert(key, image.bytes.clone()).await;
            // As old here as there: fresh for what was left of its lifetime.
            let age = self
                .inner
                .latest_max_age
                .saturating_sub(found.left.unwrap_or_default());
            let fetched = Instant::now().checked_sub(age).unwrap_or_else(Instant::now);
            return Ok((image, fetched));
        }
        self.inner.health.gate()?;
        let result = self.inner.een.latest_preview(esn).await;
        self.inner
            .health
            .record_image_call("latest_preview", &result);
        let image = result?;
        self.shared_put(esn, image.timestamp, &image.bytes);
        if let Some(shared) = &self.inner.shared {
            shared.put_latest(esn, &image, self.inner.latest_max_age);
        }
        let key = ImageKey {
            esn: esn.clone(),
            timestamp: image.timestamp,
        };
        self.inner.cache.insert(key, image.bytes.clone()).await;
        Ok((image, Instant::now()))
    }

    /// The image at `timestamp`, waited for until `deadline`; a late fetch goes on in the
    /// background and lands in the cache.
    pub async fn image_until(
        &self,
        esn: Esn,
        timestamp: EenTimestamp,
        deadline: Instant,
    ) -> Fetch<Bytes> {
        // A cached image needs no task of its own nor the deadline's timer.
        if let Some(bytes) = self.cached(&esn, timestamp).await {
            self.inner.metrics.image_cache_hit();
            return Fetch::Ready(bytes);
        }
        let this = self.clone();
        fetch::detached(deadline, async move { this.image(&esn, timestamp).await }).await
    }

    /// The camera's latest preview, waited for until `deadline`; a late fetch goes on in the
    /// background and lands in the cache.
    pub async fn latest_until(&self, esn: Esn, deadline: Instant) -> Fetch<Image> {
        let this = self.clone();
        fetch::detached(deadline, async move { this.latest(&esn).await }).await
    }

    /// Fetches one camera's images, at most [`PAGE_FETCH_PERMITS`](super::PAGE_FETCH_PERMITS) at a time, and returns
    /// what arrived by `deadline`, in the order asked.
    pub async fn fetch_page(
        &self,
        esn: &Esn,
        timestamps: &[EenTimestamp],
        deadline: Instant,
    ) -> Vec<Fetch<Bytes>> {
        let mut outcomes = Vec::with_capacity(timestamps.len());
        let mut misses = Vec::new();
        for (index, &timestamp) in timestamps.iter().enumerate() {
            // Cache hits need no permit; only the misses queue for one.
            match self.cached(esn, timestamp).await {
                Some(bytes) => {
                    self.inner.metrics.image_cache_hit();
                    outcomes.push(Fetch::Ready(bytes));
                }
                None => {
                    outcomes.push(Fetch::Late);
                    misses.push((index, timestamp));
                }
            }
        }
        let fetched = fetch::bounded(misses, deadline, |timestamp| {
            let this = self.clone();
            let esn = esn.clone();
            async move { this.image(&esn, timestamp).await }
        })
        .await;
        for (index, outcome) in fetched {
            outcomes[index] = outcome;
        }
        outcomes
    }

    /// Fetches the latest preview of each camera, at most [`PAGE_FETCH_PERMITS`](super::PAGE_FETCH_PERMITS) at a time,
    /// and returns what arrived by `deadline`, in the order asked.
    pub async fn fetch_latest(&self, cameras: &[Esn], deadline: Instant) -> Vec<Fetch<Image>> {
        let mut outcomes = Vec::with_capacity(cameras.len());
        let mut jobs = Vec::new();
        for (index, esn) in cameras.iter().enumerate() {
            // A fresh preview needs no task and no permit: a busy grid is mostly these.
            match self.latest_cached(esn).await {
                Some(image) => outcomes.push(Fetch::Ready(image)),
                None => {
                    outcomes.push(Fetch::Late);
                    jobs.push((index, esn.clone()));
                }
            }
        }
        let fetched = fetch::bounded(jobs, deadline, |esn| {
            let this = self.clone();
            async move { this.latest(&esn).await }
        })
        .await;
        for (index, outcome) in fetched {
            outcomes[index] = outcome;
        }
        outcomes
    }

    /// The frame just `side` of the one at `timestamp`, waited for until `deadline`:
    /// [`Fetch::Missing`] when there is none (for `Newer`: none yet). Known from a listing
    /// that showed both, else asked of EEN once; a late answer lands in the cache.
    pub async fn neighbour_until(
        &self,
        esn: &Esn,
        timestamp: EenTimestamp,
        side: Side,
        deadline: Instant,
    ) -> Fetch<EenTimestamp> {
        let this = self.clone();
        let esn = esn.clone();
        fetch::detached(deadline, async move {
            this.neighbour(&esn, timestamp, side).await
        })
        .await
    }

    async fn neighbour(
        &self,
        esn: &Esn,
        timestamp: EenTimestamp,
        side: Side,
    ) -> Result<EenTimestamp, SharedError> {
        let key = ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        if let Some(found) = self.inner.neighbours.get(&(key.clone(), side)).await {
            return Ok(found);
        }
        let missing = Missing::Neighbour(key.clone(), side);
        if self.inner.missing.contains_key(&missing) {
            return Err(Arc::new(een::Error::NotFound));
        }
        let result = self
            .inner
            .neighbours
            .try_get_with((key.clone(), side), async {
                self.inner.health.gate()?;
                let result = self.inner.een.neighbour_preview(esn, timestamp, side).await;
                self.inner
                    .health
                    .record_image_call("neighbour_preview", &result);
                let image = result?;
                // Fetched from EEN: other replicas may serve it too.
                self.shared_put(esn, image.timestamp, &image.bytes);
                let found = ImageKey {
                    esn: esn.clone(),
                    timestamp: image.timestamp,
                };
                self.inner.cache.insert(found, image.bytes).await;
                // The way back holds only if `timestamp` is a frame itself, which its image
                // in the cache shows (the viewer fetches it first). Only that entry: this
                // one is what `try_get_with` is filling.
                if self.inner.cache.contains_key(&key) {
                    let back = ImageKey {
                        esn: esn.clone(),
                        timestamp: image.timestamp,
                    };
                    self.inner
                        .neighbours
                        .insert((back, side.opposite()), timestamp)
                        .await;
                }
                Ok(image.timestamp)
            })
            .await;
        self.remember_missing(&result, missing).await;
        result
    }

    /// Records that `older` is the frame just before `newer`.
    async fn learn_neighbours(&self, esn: &Esn, newer: EenTimestamp, older: EenTimestamp) {
        let key = |timestamp| ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        self.inner
            .neighbours
            .insert((key(newer), Side::Older), older)
            .await;
        self.inner
            .neighbours
            .insert((key(older), Side::Newer), newer)
            .await;
    }

    /// Bytes currently held (for `/metrics`).
    pub fn weighted_size(&self) -> u64 {
        self.inner.cache.weighted_size()
    }
}
