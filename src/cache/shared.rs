//! The image cache's second level: the store the replicas share (`STORE_URL`).
//!
//! - **Frames** by camera and timestamp never change, so any replica's copy is as good as
//!   EEN's: looked up after the in-process cache misses, written after every frame fetched
//!   from EEN, kept for a TTL (and the store's own eviction bounds it).
//! - **Latest previews and listings** are EEN's answers for a short while (a preview
//!   lifetime; a listing before a past instant for longer): each is written with its lifetime
//!   as TTL, and a replica taking it keeps it only for the time it had left, so N replicas make
//!   the EEN calls of one and none serves an answer older than one replica would.
//!
//! Replicas that miss the same thing at once (a camera page opened on both) would all ask
//! EEN. So the first to miss claims it in the store for a moment and asks; the others wait for
//! its answer to appear (polling the store for at most [`CLAIM_WAIT`]) and ask EEN themselves
//! only if it does not.
//!
//! The store is only a cache here: a lookup that fails, times out or is skipped while the
//! store is down is a miss, and a write is never waited for.

use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::een::{Before, Esn, Image};
use crate::metrics::Metrics;
use crate::store::{Store, namespace};
use crate::timestamp::EenTimestamp;

/// How long a replica's claim on what it asks EEN for lasts: a few EEN round trips.
const CLAIM_LEASE: Duration = Duration::from_secs(3);
/// How long another replica waits for the claimer's answer before asking EEN itself.
const CLAIM_WAIT: Duration = Duration::from_millis(1500);
/// How often it looks for that answer meanwhile.
const CLAIM_POLL: Duration = Duration::from_millis(20);

/// An answer another replica stored, with how long it is still good for.
#[derive(Debug)]
pub(super) struct Shared<T> {
    /// The answer.
    pub(super) value: T,
    /// Its lifetime left in the store (`None`: no expiry).
    pub(super) left: Option<Duration>,
}

/// What a lookup is for: the metrics count frames and answers apart.
#[derive(Clone, Copy)]
enum Kind {
    Frame,
    Answer,
}

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

    /// The frame, if the store has it or another replica fetching it from EEN stores it soon;
    /// `None` when this replica should fetch it (it then holds the claim, or the store is not
    /// usable).
    pub(super) async fn frame_or_claim(&self, esn: &Esn, timestamp: EenTimestamp) -> Option<Bytes> {
        let key = self.frame_key(esn, timestamp);
        let found = self.take_or_claim(&key, Kind::Frame, |bytes| {
            // Anything else was not written by a gallery: fetched from EEN again, and
            // overwritten.
            is_jpeg(bytes).then(|| bytes.clone())
        });
        found.await.map(|shared| shared.value)
    }

    /// Stores the frame, in the background.
    pub(super) fn put_frame(&self, esn: &Esn, timestamp: EenTimestamp, bytes: &Bytes) {
        self.store
            .set_in_background(self.frame_key(esn, timestamp), bytes.clone(), self.ttl);
    }

    /// The camera's latest preview another replica fetched less than its lifetime ago, as
    /// [`SharedImages::frame_or_claim`] waits for a frame.
    pub(super) async fn latest_or_claim(&self, esn: &Esn) -> Option<Shared<Image>> {
        let key = self.store.key(namespace::LATEST, &[esn.as_str()]);
        self.take_or_claim(&key, Kind::Answer, decode_latest).await
    }

    /// Stores the camera's latest preview for `fresh_for`. With its frame, not beside it: a
    /// replica taking it needs no second lookup, and cannot find the one without the other.
    pub(super) fn put_latest(&self, esn: &Esn, image: &Image, fresh_for: Duration) {
        let key = self.store.key(namespace::LATEST, &[esn.as_str()]);
        self.store
            .set_in_background(key, encode_latest(image), fresh_for);
    }

    /// A listing another replica made, as [`SharedImages::frame_or_claim`] waits for a frame.
    pub(super) async fn listing_or_claim(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Option<Shared<Vec<EenTimestamp>>> {
        let key = self.listing_key(esn, before, count);
        self.take_or_claim(&key, Kind::Answer, decode_listing).await
    }

    /// Stores a listing for `fresh_for`.
    pub(super) fn put_listing(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
        timestamps: &[EenTimestamp],
        fresh_for: Duration,
    ) {
        let key = self.listing_key(esn, before, count);
        self.store
            .set_in_background(key, encode_listing(timestamps), fresh_for);
    }

    /// The value at `key` decoded, or, when the store has none, the claim on asking EEN for
    /// it: `None` when this replica holds the claim (or the store is not usable) and should
    /// ask; otherwise waits for the holder's answer, and gives up (`None`) after
    /// [`CLAIM_WAIT`].
    async fn take_or_claim<T>(
        &self,
        key: &str,
        kind: Kind,
        decode: impl Fn(&Bytes) -> Option<T>,
    ) -> Option<Shared<T>> {
        let take = |found: Option<(Bytes, Option<Duration>)>| {
            let (bytes, left) = found?;
            decode(&bytes).map(|value| Shared { value, left })
        };
        match self.store.get_with_ttl(key).await {
            Ok(found) => {
                if let Some(shared) = take(found) {
                    self.hit(kind);
                    return Some(shared);
                }
                self.miss(kind);
            }
            // Recorded (and logged, rate-limited) by the store's health.
            Err(_) => return None,
        }
        let claim = self.store.key(namespace::CLAIM, &[key]);
        match self.store.set_new(&claim, b"1", Some(CLAIM_LEASE)).await {
            // Ours, or the store failed: ask EEN.
            Ok(true) | Err(_) => return None,
            Ok(false) => {}
        }
        let until = Instant::now() + CLAIM_WAIT;
        while Instant::now() < until {
            tokio::time::sleep(CLAIM_POLL).await;
            match self.store.get_with_ttl(key).await {
                Ok(found) => {
                    if let Some(shared) = take(found) {
                        self.hit(kind);
                        return Some(shared);
                    }
                }
                Err(_) => return None,
            }
        }
        tracing::debug!(key, "another replica's answer did not come; asking EEN");
        None
    }

    fn hit(&self, kind: Kind) {
        match kind {
            Kind::Frame => self.metrics.shared_image_hit(),
            Kind::Answer => self.metrics.shared_answer_hit(),
        }
    }

    fn miss(&self, kind: Kind) {
        match kind {
            Kind::Frame => self.metrics.shared_image_miss(),
            Kind::Answer => self.metrics.shared_answer_miss(),
        }
    }

    fn frame_key(&self, esn: &Esn, timestamp: EenTimestamp) -> String {
        self.store.key(
            namespace::IMAGE,
            &[esn.as_str(), timestamp.to_string().as_str()],
        )
    }

    fn listing_key(&self, esn: &Esn, before: Before, count: u32) -> String {
        let end = match before {
            Before::Now => "now".to_owned(),
            Before::At(at) => at.to_string(),
        };
        self.store.key(
            namespace::LISTING,
            &[esn.as_str(), end.as_str(), count.to_string().as_str()],
        )
    }
}

/// Whether `bytes` start as a JPEG does (SOI, then a marker).
fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// A latest preview as the store keeps it: its timestamp, a space, its JPEG.
fn encode_latest(image: &Image) -> Bytes {
    let mut value = image.timestamp.to_string().into_bytes();
    value.push(b' ');
    value.extend_from_slice(&image.bytes);
    Bytes::from(value)
}

/// A stored latest preview read back; `None` for anything a gallery did not write.
fn decode_latest(value: &Bytes) -> Option<Image> {
    let space = value.iter().position(|&b| b == b' ')?;
    let timestamp = std::str::from_utf8(&value[..space]).ok()?.parse().ok()?;
    let bytes = value.slice(space + 1..);
    is_jpeg(&bytes).then_some(Image { timestamp, bytes })
}

/// A listing as the store keeps it: the timestamps, newest first, comma-separated.
fn encode_listing(timestamps: &[EenTimestamp]) -> Bytes {
    let text: Vec<String> = timestamps.iter().map(ToString::to_string).collect();
    Bytes::from(text.join(","))
}

/// A stored listing read back; `None` for anything a gallery did not write.
fn decode_listing(bytes: &Bytes) -> Option<Vec<EenTimestamp>> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(|part| part.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_back_as_written() {
        let listing: Vec<EenTimestamp> = ["20261201120000.250", "20261201115959.250"]
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        assert_eq!(
            decode_listing(&encode_listing(&listing)),
            Some(listing.clone())
        );
        assert_eq!(decode_listing(&encode_listing(&[])), Some(Vec::new()));
    }

    #[test]
    fn a_latest_preview_reads_back_as_written_and_nothing_else_does() {
        let image = Image {
            timestamp: "20261201120000.250".parse().unwrap(),
            bytes: Bytes::from_static(b"\xff\xd8\xff\xe0 a jpeg"),
        };
        let read = decode_latest(&encode_latest(&image)).unwrap();
        assert_eq!((read.timestamp, read.bytes), (image.timestamp, image.bytes));
        assert!(decode_latest(&Bytes::from_static(b"20261201120000.250 not a jpeg")).is_none());
        assert!(decode_latest(&Bytes::from_static(b"\xff\xd8\xff")).is_none());
        assert!(decode_latest(&Bytes::from_static(b"yesterday \xff\xd8\xff")).is_none());
    }

    #[test]
    fn a_listing_a_gallery_did_not_write_is_none() {
        assert_eq!(
            decode_listing(&Bytes::from_static(b"20261201120000.250,x")),
            None
        );
        assert_eq!(decode_listing(&Bytes::from_static(b"\xff\xd8\xff")), None);
    }
}
