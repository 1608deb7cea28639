//! The image cache's second level: the store the replicas share (`STORE_URL`). Frames by
//! camera and timestamp never change, so any replica's copy is as good as EEN's: looked up
//! after the in-process cache misses, written after every frame fetched from EEN, kept for a
//! TTL (and the store's own eviction bounds it).
//!
//! Replicas that miss the same frame at once (a camera page opened on both) would all fetch
//! it from EEN. So the first to miss claims the frame in the store for a moment and fetches it;
//! the others wait for its copy to appear (polling the store for at most [`CLAIM_WAIT`]) and
//! fetch it themselves only if it does not.
//!
//! The store is only a cache here: a lookup that fails, times out or is skipped while the
//! store is down is a miss, and a write is never waited for.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::een::Esn;
use crate::metrics::Metrics;
use crate::store::{Store, namespace};
use crate::timestamp::EenTimestamp;

/// How long a replica's claim on a frame it fetches from EEN lasts: a few EEN round trips.
const CLAIM_LEASE: Duration = Duration::from_secs(3);
/// How long another replica waits for the claimer's copy before fetching the frame itself.
const CLAIM_WAIT: Duration = Duration::from_millis(1500);
/// How often it looks for that copy meanwhile.
const CLAIM_POLL: Duration = Duration::from_millis(20);

/// The shared images. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct SharedImages {
    store: Store,
    ttl: Duration,
    metrics: Metrics,
}

impl SharedImages {
    /// Images in `store`, each kept for `ttl`.
    pub(super) fn new(store: Store, ttl: Duration, metrics: Metrics) -> Self {
        Self {
            store,
            ttl,
            metrics,
        }
    }

    /// The frame, if the store has it.
    pub(super) async fn get(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        match self.store.get(&self.key(esn, timestamp)).await {
            Ok(Some(bytes)) if is_jpeg(&bytes) => {
                self.metrics.shared_image_hit();
                Some(bytes)
            }
            Ok(Some(_)) => {
                // Not written by a gallery: fetched from EEN again, and overwritten.
                tracing::debug!(esn = %esn, timestamp = %timestamp, "the store holds no JPEG for this frame");
                self.metrics.shared_image_miss();
                None
            }
            Ok(None) => {
                self.metrics.shared_image_miss();
                None
            }
            // Recorded (and logged, rate-limited) by the store's health.
            Err(_) => None,
        }
    }

    /// The frame, if the store has it or another replica fetching it from EEN stores it soon;
    /// `None` when this replica should fetch it (it then holds the claim, or the store is not
    /// usable).
    pub(super) async fn get_or_claim(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        if let Some(bytes) = self.get(esn, timestamp).await {
            return Some(bytes);
        }
        let claim = self.store.key(
            namespace::IMAGE_CLAIM,
            &[esn.as_str(), timestamp.to_string().as_str()],
        );
        match self.store.set_new(&claim, b"1", Some(CLAIM_LEASE)).await {
            // Ours, or the store failed: fetch from EEN.
            Ok(true) | Err(_) => return None,
            Ok(false) => {}
        }
        let until = Instant::now() + CLAIM_WAIT;
        while Instant::now() < until {
            tokio::time::sleep(CLAIM_POLL).await;
            match self.store.get(&self.key(esn, timestamp)).await {
                Ok(Some(bytes)) if is_jpeg(&bytes) => {
                    self.metrics.shared_image_hit();
                    return Some(bytes);
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        tracing::debug!(esn = %esn, timestamp = %timestamp, "another replica's copy did not come; fetching it");
        None
    }

    /// Stores the frame, in the background.
    pub(super) fn put(&self, esn: &Esn, timestamp: EenTimestamp, bytes: &Bytes) {
        self.store
            .set_in_background(self.key(esn, timestamp), bytes.clone(), self.ttl);
    }

    fn key(&self, esn: &Esn, timestamp: EenTimestamp) -> String {
        self.store.key(
            namespace::IMAGE,
            &[esn.as_str(), timestamp.to_string().as_str()],
        )
    }
}

/// Whether `bytes` start as a JPEG does (SOI, then a marker).
fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}
