//! Observability for tests (SIM-62): request counters, in-flight peaks and the request log.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use serde::Serialize;

use super::Endpoint;
use super::v3::stats::{V3Recorder, V3Stats};

/// The most distinct `Host` names counted one by one; requests on further hosts count under
/// [`OTHER_HOSTS`]. The `Host` header is chosen by the client, so the map must not grow with it.
pub const MAX_HOSTS: usize = 64;

/// The key in [`Stats::hosts`] for requests on hosts beyond the first [`MAX_HOSTS`] (not a valid
/// host name, so it cannot collide with one).
pub const OTHER_HOSTS: &str = "(other)";

/// How many bytes of a request body the request log keeps.
pub const MAX_RECORDED_BODY: usize = 4096;

/// Request counters and gauges for assertions (also served as JSON at `/_sim/stats`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Requests per endpoint name ([`Endpoint::as_str`]), then per HTTP status.
    pub requests: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Requests per endpoint name counted when they arrive, before any injected latency:
    /// a test can see that a request is being held, which `requests` (counted when answered)
    /// shows only afterwards.
    pub arrived: BTreeMap<String, u64>,
    /// Requests per `Host` header (the host name, without port; `""` when absent), for the
    /// first [`MAX_HOSTS`] names seen; later ones count under [`OTHER_HOSTS`].
    pub hosts: BTreeMap<String, u64>,
    /// The most image requests (`/asset/*/image.jpeg`) ever in flight at once.
    pub images_in_flight_peak: u64,
    /// The same peak per session, keyed by the session's ordinal (1 for the first session
    /// created, and so on; never the session key). Only requests with a valid session count.
    pub images_in_flight_peak_per_session: BTreeMap<u64, u64>,
    /// Sessions created by successful authorize calls.
    pub sessions_created: u64,
    /// API v3 counters (V3-SIM-41); v3 requests per endpoint are in `requests` as `v3_*`.
    pub v3: V3Stats,
}

impl Stats {
    /// Requests to `endpoint`, whatever their status.
    pub fn count(&self, endpoint: Endpoint) -> u64 {
        self.requests
            .get(endpoint.as_str())
            .map_or(0, |by_status| by_status.values().sum())
    }

    /// Requests to `endpoint` that have arrived, answered or not.
    pub fn arrived(&self, endpoint: Endpoint) -> u64 {
        self.arrived.get(endpoint.as_str()).copied().unwrap_or(0)
    }

    /// Requests to `endpoint` answered with `status`.
    pub fn count_status(&self, endpoint: Endpoint, status: u16) -> u64 {
        self.requests
            .get(endpoint.as_str())
            .and_then(|by_status| by_status.get(&status))
            .copied()
            .unwrap_or(0)
    }

    /// Requests to the four image endpoints, whatever their status.
    pub fn image_requests(&self) -> u64 {
        Endpoint::ALL
            .iter()
            .filter(|e| e.is_image())
            .map(|&e| self.count(e))
            .sum()
    }

    /// Requests on the host named `host` (without port).
    pub fn host_count(&self, host: &str) -> u64 {
        self.hosts.get(host).copied().unwrap_or(0)
    }
}

/// One request as the simulator received it (SIM-62).
///
/// This is an in-memory record for assertions in tests; it is never written to a log or served
/// over HTTP, because it holds credentials and session keys exactly as the client sent them.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// The `Host` header as sent (with port), if any.
    pub host: Option<String>,
    /// The path, as sent (percent-encoding kept).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Every header, in the order received; values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
    /// The request body, cut to its first [`MAX_RECORDED_BODY`] bytes.
    pub body: Bytes,
    /// The endpoint it addressed.
    pub endpoint: Endpoint,
    /// The status it was answered with.
    pub status: u16,
}

impl RecordedRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The mutable side of [`Stats`] plus the in-flight gauges and the request log.
#[derive(Debug)]
pub(crate) struct Recorder {
    inner: Mutex<RecorderInner>,
    log: Mutex<VecDeque<RecordedRequest>>,
    log_limit: usize,
    /// The v3 counters and gauges.
    pub(crate) v3: V3Recorder,
}

#[derive(Debug, Default)]
struct RecorderInner {
    stats: Stats,
    images_in_flight: u64,
    /// Images in flight per session ordinal.
    session_in_flight: HashMap<u64, u64>,
}

impl Recorder {
    pub(crate) fn new(log_limit: usize) -> Self {
        Self {
            inner: Mutex::new(RecorderInner::default()),
            log: Mutex::new(VecDeque::new()),
            log_limit,
            v3: V3Recorder::default(),
        }
    }

    // A panic while holding these locks cannot leave the counters inconsistent in a way that
    // matters, so a poisoned lock is simply taken over.
    fn inner(&self) -> MutexGuard<'_, RecorderInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn log(&self) -> MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn snapshot(&self) -> Stats {
        let mut stats = self.inner().stats.clone();
        stats.v3 = self.v3.snapshot();
        stats
    }

    /// Clears counters, the request log and the peaks (a peak restarts from what is in flight
    /// right now).
    pub(crate) fn reset(&self) {
        let mut inner = self.inner();
        let in_flight = inner.images_in_flight;
        let sessions = inner.session_in_flight.clone();
        inner.stats = Stats {
            images_in_flight_peak: in_flight,
            images_in_flight_peak_per_session: sessions
                .into_iter()
                .filter(|&(_, n)| n > 0)
                .collect(),
            ..Stats::default()
        };
        drop(inner);
        self.v3.reset();
        self.log().clear();
    }

    pub(crate) fn session_created(&self) {
        self.inner().stats.sessions_created += 1;
    }

    /// Counts a request to `endpoint` as arrived (its faults are chosen already).
    pub(crate) fn arrived(&self, endpoint: Endpoint) {
        *self
            .inner()
            .stats
            .arrived
            .entry(endpoint.as_str().to_owned())
            .or_insert(0) += 1;
    }

    /// Counts an image request as started; the returned guard counts it as finished when
    /// dropped (also when the client goes away mid-request).
    pub(crate) fn image_started(&self, session: Option<u64>) -> InFlight<'_> {
        let mut inner = self.inner();
        inner.images_in_flight += 1;
        let now = inner.images_in_flight;
        let peak = &mut inner.stats.images_in_flight_peak;
        *peak = (*peak).max(now);
        if let Some(ordinal) = session {
            let n = inner.session_in_flight.entry(ordinal).or_insert(0);
            *n += 1;
            let now = *n;
            let peak = inner
                .stats
                .images_in_flight_peak_per_session
                .entry(ordinal)
                .or_insert(0);
            *peak = (*peak).max(now);
        }
        InFlight {
            recorder: self,
            session,
        }
    }

    pub(crate) fn finish(&self, mut request: RecordedRequest, host_name: String) {
        {
            let mut inner = self.inner();
            *inner
                .stats
                .requests
                .entry(request.endpoint.as_str().to_owned())
                .or_default()
                .entry(request.status)
                .or_insert(0) += 1;
            let hosts = &mut inner.stats.hosts;
            let named = hosts.len() - usize::from(hosts.contains_key(OTHER_HOSTS));
            let key = if hosts.contains_key(&host_name) || named < MAX_HOSTS {
                host_name
            } else {
                OTHER_HOSTS.to_owned()
            };
            *hosts.entry(key).or_insert(0) += 1;
        }
        if self.log_limit > 0 {
            if request.body.len() > MAX_RECORDED_BODY {
                // A copy, not a slice: a slice would keep the whole body alive.
                request.body = Bytes::copy_from_slice(&request.body[..MAX_RECORDED_BODY]);
            }
            let mut log = self.log();
            while log.len() >= self.log_limit {
                log.pop_front();
            }
            log.push_back(request);
        }
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.log().iter().cloned().collect()
    }
}

/// An image request in flight; see [`Recorder::image_started`].
pub(crate) struct InFlight<'a> {
    recorder: &'a Recorder,
    session: Option<u64>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut inner = self.recorder.inner();
        inner.images_in_flight = inner.images_in_flight.saturating_sub(1);
        if let Some(ordinal) = self.session
            && let Some(n) = inner.session_in_flight.get_mut(&ordinal)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                inner.session_in_flight.remove(&ordinal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_follow_the_most_requests_in_flight_overall_and_per_session() {
        let recorder = Recorder::new(10);
        {
            let _a = recorder.image_started(Some(1));
            let _b = recorder.image_started(Some(1));
            let _c = recorder.image_started(Some(2));
        }
        let _d = recorder.image_started(Some(1));
        let stats = recorder.snapshot();
        assert_eq!(stats.images_in_flight_peak, 3);
        assert_eq!(stats.images_in_flight_peak_per_session[&1], 2);
        assert_eq!(stats.images_in_flight_peak_per_session[&2], 1);

        recorder.reset();
        let stats = recorder.snapshot();
        assert_eq!(stats.images_in_flight_peak, 1, "the one still in flight");
        assert_eq!(stats.images_in_flight_peak_per_session.get(&2), None);
    }

    fn request(host: Option<&str>, body: Bytes) -> RecordedRequest {
        RecordedRequest {
            method: "POST".to_owned(),
            host: host.map(str::to_owned),
            path: "/".to_owned(),
            query: None,
            headers: Vec::new(),
            body,
            endpoint: Endpoint::Other,
            status: 404,
        }
    }

    #[test]
    fn distinct_hosts_are_capped_and_the_rest_counted_together() {
        let recorder = Recorder::new(0);
        for round in 0..2 {
            for i in 0..MAX_HOSTS + 10 {
                let host = format!("h{i}.example");
                recorder.finish(request(Some(&host), Bytes::new()), host);
            }
            let stats = recorder.snapshot();
            assert_eq!(stats.hosts.len(), MAX_HOSTS + 1, "round {round}");
            assert_eq!(stats.host_count("h0.example"), round + 1);
            assert_eq!(
                stats.host_count(&format!("h{}.example", MAX_HOSTS - 1)),
                round + 1
            );
            assert_eq!(stats.host_count(&format!("h{MAX_HOSTS}.example")), 0);
            assert_eq!(stats.host_count(OTHER_HOSTS), 10 * (round + 1));
        }
    }

    #[test]
    fn the_log_keeps_only_the_start_of_large_bodies() {
        let recorder = Recorder::new(10);
        let large = Bytes::from(vec![b'x'; 1024 * 1024]);
        recorder.finish(request(None, large), String::new());
        recorder.finish(request(None, Bytes::from_static(b"small")), String::new());
        let bodies: Vec<_> = recorder.requests().into_iter().map(|r| r.body).collect();
        assert_eq!(bodies[0].len(), MAX_RECORDED_BODY);
        assert_eq!(bodies[1], Bytes::from_static(b"small"));
    }

    #[test]
    fn the_log_keeps_only_the_newest_requests() {
        let recorder = Recorder::new(2);
        for status in [200, 401, 404] {
            recorder.finish(
                RecordedRequest {
                    method: "GET".to_owned(),
                    host: None,
                    path: "/".to_owned(),
                    query: None,
                    headers: Vec::new(),
                    body: Bytes::new(),
                    endpoint: Endpoint::Other,
                    status,
                },
                String::new(),
            );
        }
        let statuses: Vec<_> = recorder.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [401, 404]);
        assert_eq!(recorder.snapshot().count(Endpoint::Other), 3);
    }
}
