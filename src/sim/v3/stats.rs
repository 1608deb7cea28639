//! v3 counters (V3-SIM-41): tokens, refreshes, refused rotations and image requests in flight
//! per access token. Requests per endpoint and status are counted with v1's, under the
//! `v3_*` endpoint names.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;

/// The v3 part of [`Stats`](crate::sim::Stats).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct V3Stats {
    /// Authorization codes handed out by the authorize endpoint.
    pub codes_issued: u64,
    /// Access tokens issued (code exchanges and refreshes; a non-rotating refresh that
    /// answers the still-live access token issues none).
    pub tokens_issued: u64,
    /// Successful `grant_type=refresh_token` calls.
    pub refreshes: u64,
    /// Refresh attempts refused with 401: a rotated-away (replayed), revoked, expired or
    /// unknown refresh token.
    pub rotations_refused: u64,
    /// Successful revocations.
    pub revocations: u64,
    /// The most v3 image requests (`liveImage.jpeg`, `recordedImage.jpeg`) ever in flight.
    pub images_in_flight_peak: u64,
    /// The same peak per access token, keyed by the token's ordinal (1 for the first token
    /// issued, and so on; never the token). Only requests with a valid token count.
    pub images_in_flight_peak_per_token: BTreeMap<u64, u64>,
}

/// The mutable side of [`V3Stats`] and the in-flight gauges.
#[derive(Debug, Default)]
pub(crate) struct V3Recorder {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stats: V3Stats,
    in_flight: u64,
    per_token: HashMap<u64, u64>,
}

/// What to count once.
#[derive(Clone, Copy, Debug)]
pub(crate) enum V3Event {
    CodeIssued,
    TokenIssued,
    Refreshed,
    RotationRefused,
    Revoked,
}

impl V3Recorder {
    // Plain counters: a poisoned lock cannot leave them inconsistent in a way that matters.
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn snapshot(&self) -> V3Stats {
        self.inner().stats.clone()
    }

    /// Zeroes the counters; peaks restart from what is in flight now.
    pub(crate) fn reset(&self) {
        let mut inner = self.inner();
        let stats = V3Stats {
            images_in_flight_peak: inner.in_flight,
            images_in_flight_peak_per_token: inner
                .per_token
                .iter()
                .filter(|&(_, &n)| n > 0)
                .map(|(&k, &n)| (k, n))
                .collect(),
            ..V3Stats::default()
        };
        inner.stats = stats;
    }

    pub(crate) fn count(&self, event: V3Event) {
        let mut inner = self.inner();
        let stats = &mut inner.stats;
        match event {
            V3Event::CodeIssued => stats.codes_issued += 1,
            V3Event::TokenIssued => stats.tokens_issued += 1,
            V3Event::Refreshed => stats.refreshes += 1,
            V3Event::RotationRefused => stats.rotations_refused += 1,
            V3Event::Revoked => stats.revocations += 1,
        }
    }

    /// Counts an image request as started until the guard drops.
    pub(crate) fn image_started(&self, token: Option<u64>) -> V3InFlight<'_> {
        let mut inner = self.inner();
        inner.in_flight += 1;
        let now = inner.in_flight;
        inner.stats.images_in_flight_peak = inner.stats.images_in_flight_peak.max(now);
        if let Some(ordinal) = token {
            let n = inner.per_token.entry(ordinal).or_insert(0);
            *n += 1;
            let now = *n;
            let peak = inner
                .stats
                .images_in_flight_peak_per_token
                .entry(ordinal)
                .or_insert(0);
            *peak = (*peak).max(now);
        }
        V3InFlight {
            recorder: self,
            token,
        }
    }
}

/// A v3 image request in flight; see [`V3Recorder::image_started`].
pub(crate) struct V3InFlight<'a> {
    recorder: &'a V3Recorder,
    token: Option<u64>,
}

impl Drop for V3InFlight<'_> {
    fn drop(&mut self) {
        let mut inner = self.recorder.inner();
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if let Some(ordinal) = self.token
            && let Some(n) = inner.per_token.get_mut(&ordinal)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.per_token.remove(&ordinal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_sim_41_peaks_follow_requests_in_flight_overall_and_per_token() {
        let recorder = V3Recorder::default();
        {
            let _a = recorder.image_started(Some(1));
            let _b = recorder.image_started(Some(1));
            let _c = recorder.image_started(None);
        }
        let _d = recorder.image_started(Some(2));
        recorder.count(V3Event::TokenIssued);
        let stats = recorder.snapshot();
        assert_eq!(stats.images_in_flight_peak, 3);
        assert_eq!(stats.images_in_flight_peak_per_token[&1], 2);
        assert_eq!(stats.images_in_flight_peak_per_token[&2], 1);
        assert_eq!(stats.tokens_issued, 1);
        recorder.reset();
        let stats = recorder.snapshot();
        assert_eq!(stats.images_in_flight_peak, 1);
        assert_eq!(stats.tokens_issued, 0);
        assert_eq!(stats.images_in_flight_peak_per_token.get(&1), None);
    }
}
