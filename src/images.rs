//! The image cache and the bounded page fetch.
//!
//! Images are keyed by camera and timestamp and never change, so they stay cached until the
//! byte budget evicts them. Concurrent misses for one key make one EEN call (moka's
//! `try_get_with`). A page fetches its images with at most [`PAGE_FETCH_PERMITS`] in flight and
//! stops waiting at its deadline; fetches still running then finish in the background and land
//! in the cache, so the browser's request for the image (or the next view) finds it there.
//! EEN answering "not found" (a camera without images, a timestamp with no frame) is cached
//! too, for [`MISSING_TTL`], so a camera without images does not cost an EEN call per view.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use moka::future::Cache;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::een::{self, Before, EenTimestamp, Esn, Image};
use crate::metrics::Metrics;
use crate::upstream::Health;

/// How many images one page fetches at once.
pub const PAGE_FETCH_PERMITS: usize = 5;

/// How long EEN's "not found" for an image or a latest preview is believed.
pub const MISSING_TTL: Duration = Duration::from_secs(10);

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

/// The outcome of one image of a page.
#[derive(Debug)]
pub enum Fetch<T> {
    /// It arrived (or was cached).
    Ready(T),
    /// EEN answered with an error.
    Failed(Arc<een::Error>),
    /// It did not arrive before the page deadline.
    Late,
}

/// What EEN recently said does not exist.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Missing {
    /// No frame at this timestamp.
    Image(ImageKey),
    /// No latest preview of this camera.
    Latest(Esn),
}

/// An EEN error shared by every caller that waited on the same fetch.
pub type SharedError = Arc<een::Error>;

/// The image cache. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Images {
    een: een::Client,
    health: Health,
    metrics: Metrics,
    cache: Cache<ImageKey, Bytes>,
    latest: Cache<Esn, Image>,
    missing: Cache<Missing, ()>,
}

impl Images {
    /// A cache holding at most `capacity_bytes` of images; a camera's latest preview is reused
    /// for `latest_max_age`.
    pub fn new(
        een: een::Client,
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
        // newest frame for a few seconds, so a wall of viewers makes one EEN call per camera.
        let latest = Cache::builder()
            .name("latest-previews")
            .max_capacity(10_000)
            .time_to_live(latest_max_age)
            .build();
        let missing = Cache::builder()
            .name("missing-images")
            .max_capacity(10_000)
            .time_to_live(MISSING_TTL)
            .build();
        Self {
            een,
            health,
            metrics,
            cache,
            latest,
            missing,
        }
    }

    /// The image at `timestamp`, from the cache or from EEN.
    pub async fn image(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Bytes, SharedError> {
        let key = ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        if let Some(bytes) = self.cache.get(&key).await {
            self.metrics.image_cache_hit();
            return Ok(bytes);
        }
        let missing = Missing::Image(key.clone());
        if self.missing.contains_key(&missing) {
            self.metrics.image_cache_hit();
            return Err(Arc::new(een::Error::NotFound));
        }
        self.metrics.image_cache_miss();
        let result = self
            .cache
            .try_get_with(key, async {
                self.health.gate()?;
                let result = self.een.preview(esn, timestamp).await;
                self.health.record_image_call("preview", &result);
                result.map(|image| image.bytes)
            })
            .await;
        self.remember_missing(&result, missing).await;
        result
    }

    async fn remember_missing<T>(&self, result: &Result<T, SharedError>, missing: Missing) {
        if let Err(error) = result
            && matches!(**error, een::Error::NotFound)
        {
            self.missing.insert(missing, ()).await;
        }
    }

    /// Timestamps of up to `count` previews before `before`, newest first.
    pub async fn list(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<EenTimestamp>, een::Error> {
        self.health.gate()?;
        let result = self.een.list_previews(esn, before, count).await;
        self.health.record_image_call("list_previews", &result);
        result
    }

    /// The image at `timestamp` if it is cached, without calling EEN.
    pub async fn cached(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        let key = ImageKey {
            esn: esn.clone(),
            timestamp,
        };
        self.cache.get(&key).await
    }

    /// The camera's latest preview. It is also stored under its own timestamp, so pages can
    /// link to the immutable timestamped URL.
    pub async fn latest(&self, esn: &Esn) -> Result<Image, SharedError> {
        let missing = Missing::Latest(esn.clone());
        if self.missing.contains_key(&missing) {
            return Err(Arc::new(een::Error::NotFound));
        }
        let result = self
            .latest
            .try_get_with(esn.clone(), async {
                self.health.gate()?;
                let result = self.een.latest_preview(esn).await;
                self.health.record_image_call("latest_preview", &result);
                let image = result?;
                let key = ImageKey {
                    esn: esn.clone(),
                    timestamp: image.timestamp,
                };
                self.cache.insert(key, image.bytes.clone()).await;
                Ok(image)
            })
            .await;
        self.remember_missing(&result, missing).await;
        result
    }

    /// Fetches one camera's images, at most [`PAGE_FETCH_PERMITS`] at a time, and returns
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
                    self.metrics.image_cache_hit();
                    outcomes.push(Fetch::Ready(bytes));
                }
                None => {
                    outcomes.push(Fetch::Late);
                    misses.push((index, timestamp));
                }
            }
        }
        let fetched = bounded(misses, deadline, |timestamp| {
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

    /// Fetches the latest preview of each camera, at most [`PAGE_FETCH_PERMITS`] at a time,
    /// and returns what arrived by `deadline`, in the order asked.
    pub async fn fetch_latest(&self, cameras: &[Esn], deadline: Instant) -> Vec<Fetch<Image>> {
        let mut outcomes = Vec::with_capacity(cameras.len());
        let mut jobs = Vec::new();
        for (index, esn) in cameras.iter().enumerate() {
            // A fresh preview needs no task and no permit: a busy grid is mostly these.
            match self.latest.get(esn).await {
                Some(image) => outcomes.push(Fetch::Ready(image)),
                None => {
                    outcomes.push(Fetch::Late);
                    jobs.push((index, esn.clone()));
                }
            }
        }
        let fetched = bounded(jobs, deadline, |esn| {
            let this = self.clone();
            async move { this.latest(&esn).await }
        })
        .await;
        for (index, outcome) in fetched {
            outcomes[index] = outcome;
        }
        outcomes
    }

    /// Bytes currently held (for `/metrics`).
    pub fn weighted_size(&self) -> u64 {
        self.cache.weighted_size()
    }
}

/// Runs one task per job, each holding one of [`PAGE_FETCH_PERMITS`] permits while it runs,
/// in job order, and collects the results that arrive before `deadline`. Tasks still running
/// at the deadline are detached, not cancelled: they finish and fill the cache.
async fn bounded<I, T, F, Fut>(
    jobs: Vec<(usize, I)>,
    deadline: Instant,
    fetch: F,
) -> Vec<(usize, Fetch<T>)>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, SharedError>> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(PAGE_FETCH_PERMITS));
    let mut tasks = JoinSet::new();
    for (index, job) in jobs {
        // Boxed: the EEN call's future is several KiB, and a task would otherwise copy it
        // into its own allocation at spawn.
        let work = Box::pin(fetch(job));
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so this always yields a permit; it is released
            // when the task ends.
            let _permit = permits.acquire_owned().await.ok();
            (index, work.await)
        });
    }
    let mut done = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok((index, Ok(value))))) => done.push((index, Fetch::Ready(value))),
            Ok(Some(Ok((index, Err(error))))) => done.push((index, Fetch::Failed(error))),
            // A panicked fetch stays `Late`: the page shows a placeholder.
            Ok(Some(Err(error))) => tracing::error!(error = %error, "image fetch task failed"),
            Ok(None) => break,
            Err(_) => {
                tracing::debug!(late = tasks.len(), "page deadline passed");
                tasks.detach_all();
                break;
            }
        }
    }
    done
}

/// Width and height of a JPEG, read from its frame header, so `<img>` tags can reserve the
/// right space before the image loads.
pub fn jpeg_size(data: &[u8]) -> Option<(u16, u16)> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut at = 2;
    loop {
        // Skip fill bytes before a marker.
        while *data.get(at)? == 0xFF && *data.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *data.get(at)? != 0xFF {
            return None;
        }
        let marker = *data.get(at + 1)?;
        let length = usize::from(u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]));
        // SOF0..SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let height = u16::from_be_bytes([*data.get(at + 5)?, *data.get(at + 6)?]);
            let width = u16::from_be_bytes([*data.get(at + 7)?, *data.get(at + 8)?]);
            return (width > 0 && height > 0).then_some((width, height));
        }
        if marker == 0xDA || length < 2 {
            return None; // image data starts before any frame header: not a usable JPEG
        }
        at += 2 + length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_size_from_the_frame_header() {
        // SOI, an APP0 segment, a COM segment, then SOF0 for 320x240.
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00]);
        jpeg.extend([0xFF, 0xFE, 0x00, 0x05, b'h', b'i', b'!']);
        jpeg.extend([
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0xF0, 0x01, 0x40, 0x01, 0x01, 0x11, 0x00,
        ]);
        assert_eq!(jpeg_size(&jpeg), Some((320, 240)));
    }

    #[test]
    fn rejects_what_is_not_a_jpeg() {
        assert_eq!(jpeg_size(b""), None);
        assert_eq!(jpeg_size(b"<svg/>"), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00]), None);
        assert_eq!(jpeg_size(&[0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02]), None);
    }
}
