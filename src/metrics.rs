//! Counters served at `/metrics` in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::een::PaceStats;
use crate::store::{StoreStats, StoreStatus};

/// Process-wide counters. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Requests by route template and status.
    http: Mutex<BTreeMap<(String, u16), u64>>,
    /// EEN calls by kind and outcome.
    een: Mutex<BTreeMap<(&'static str, bool), u64>>,
    image_cache_hits: AtomicU64,
    image_cache_misses: AtomicU64,
    shared_image_hits: AtomicU64,
    shared_image_misses: AtomicU64,
    shared_answer_hits: AtomicU64,
    shared_answer_misses: AtomicU64,
}

impl Metrics {
    /// Counts one answered HTTP request.
    pub fn http_request(&self, route: &str, status: u16) {
        let mut http = self.inner.http.lock().unwrap_or_else(|p| p.into_inner());
        *http.entry((route.to_owned(), status)).or_default() += 1;
    }

    /// Counts one EEN call.
    pub fn een_call(&self, call: &'static str, ok: bool) {
        let mut een = self.inner.een.lock().unwrap_or_else(|p| p.into_inner());
        *een.entry((call, ok)).or_default() += 1;
    }

    /// Counts an image served from the cache.
    pub fn image_cache_hit(&self) {
        self.inner.image_cache_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an image that had to be fetched (or joined an in-flight fetch).
    pub fn image_cache_miss(&self) {
        self.inner
            .image_cache_misses
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an image the in-process cache missed and the shared store had.
    pub fn shared_image_hit(&self) {
        self.inner.shared_image_hits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an image the in-process cache missed and the shared store did not have.
    pub fn shared_image_miss(&self) {
        self.inner
            .shared_image_misses
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a latest preview or listing this replica took from the shared store (another
    /// replica asked EEN for it).
    pub fn shared_answer_hit(&self) {
        self.inner
            .shared_answer_hits
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a latest preview or listing the shared store did not have.
    pub fn shared_answer_miss(&self) {
        self.inner
            .shared_answer_misses
            .fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text exposition; `cache_bytes` is the image cache's current weight,
    /// `een_status` names where the gallery stands with EEN now (one of `een_statuses`),
    /// `pace` what the pace of requests to EEN is doing, `store` the shared store's figures
    /// (none without `STORE_URL`).
    pub fn render(
        &self,
        cache_bytes: u64,
        een_status: &str,
        een_statuses: &[&str],
        pace: PaceStats,
        store: Option<StoreStats>,
    ) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP een_gallery_een_status Where the gallery stands with EEN (1 for the current state).\n",
        );
        out.push_str("# TYPE een_gallery_een_status gauge\n");
        for status in een_statuses {
            let _ = writeln!(
                out,
                "een_gallery_een_status{{status=\"{status}\"}} {}",
                u8::from(*status == een_status)
            );
        }
        out.push_str("# HELP een_gallery_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE een_gallery_http_requests_total counter\n");
        for ((route, status), n) in self
            .inner
            .http
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "een_gallery_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP een_gallery_een_calls_total Calls made to EEN.\n");
        out.push_str("# TYPE een_gallery_een_calls_total counter\n");
        for ((call, ok), n) in self
            .inner
            .een
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            let outcome = if *ok { "ok" } else { "error" };
            let _ = writeln!(
                out,
                "een_gallery_een_calls_total{{call=\"{call}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        let hits = self.inner.image_cache_hits.load(Ordering::Relaxed);
        let misses = self.inner.image_cache_misses.load(Ordering::Relaxed);
        let _ = write!(
            out,
            "# HELP een_gallery_image_cache_hits_total Images served from the cache.\n\
             # TYPE een_gallery_image_cache_hits_total counter\n\
             een_gallery_image_cache_hits_total {hits}\n\
             # HELP een_gallery_image_cache_misses_total Images that had to be fetched from EEN.\n\
             # TYPE een_gallery_image_cache_misses_total counter\n\
             een_gallery_image_cache_misses_total {misses}\n\
             # HELP een_gallery_image_cache_bytes Bytes held by the image cache.\n\
             # TYPE een_gallery_image_cache_bytes gauge\n\
             een_gallery_image_cache_bytes {cache_bytes}\n"
        );
        // Unlimited is +Inf, which Prometheus reads as a float.
        let rate = pace
            .rate
            .map_or_else(|| "+Inf".to_owned(), |r| format!("{r:.3}"));
        let _ = write!(
            out,
            "# HELP een_gallery_een_pace_rate Requests per second the gallery allows itself at EEN (+Inf until EEN rate-limits).\n\
             # TYPE een_gallery_een_pace_rate gauge\n\
             een_gallery_een_pace_rate {rate}\n\
             # HELP een_gallery_een_pace_waits_total EEN requests that waited for the pace.\n\
             # TYPE een_gallery_een_pace_waits_total counter\n\
             een_gallery_een_pace_waits_total {}\n\
             # HELP een_gallery_een_pace_wait_seconds_total Time EEN requests waited for the pace.\n\
             # TYPE een_gallery_een_pace_wait_seconds_total counter\n\
             een_gallery_een_pace_wait_seconds_total {:.3}\n\
             # HELP een_gallery_een_rate_limited_total 429 answers from EEN.\n\
             # TYPE een_gallery_een_rate_limited_total counter\n\
             een_gallery_een_rate_limited_total {}\n\
             # HELP een_gallery_een_pace_refused_total EEN requests not sent: their turn came after their deadline.\n\
             # TYPE een_gallery_een_pace_refused_total counter\n\
             een_gallery_een_pace_refused_total {}\n\
             # HELP een_gallery_een_pace_waiting EEN requests waiting for their turn now.\n\
             # TYPE een_gallery_een_pace_waiting gauge\n\
             een_gallery_een_pace_waiting {}\n\
             # HELP een_gallery_een_pace_paused_seconds How much longer every EEN request is held back (Retry-After).\n\
             # TYPE een_gallery_een_pace_paused_seconds gauge\n\
             een_gallery_een_pace_paused_seconds {:.3}\n",
            pace.waits,
            pace.waited.as_secs_f64(),
            pace.rate_limited,
            pace.refused_turns,
            pace.waiting,
            pace.paused.as_secs_f64(),
        );
        if let Some(shared) = pace.shared {
            let _ = write!(
                out,
                "# HELP een_gallery_een_pace_shared Whether the pace is shared with the other replicas now (the store answered its last sync).\n\
                 # TYPE een_gallery_een_pace_shared gauge\n\
                 een_gallery_een_pace_shared {}\n\
                 # HELP een_gallery_een_pace_replicas Replicas sharing the pace of requests to EEN, this one included.\n\
                 # TYPE een_gallery_een_pace_replicas gauge\n\
                 een_gallery_een_pace_replicas {}\n\
                 # HELP een_gallery_een_pace_shared_cuts_total Rate cuts taken from the store (learnt by any replica).\n\
                 # TYPE een_gallery_een_pace_shared_cuts_total counter\n\
                 een_gallery_een_pace_shared_cuts_total {}\n",
                u8::from(shared.up),
                shared.replicas,
                shared.adopted,
            );
        }
        if let Some(store) = store {
            self.render_store(&mut out, store);
        }
        out
    }

    fn render_store(&self, out: &mut String, store: StoreStats) {
        let up = u8::from(store.status == StoreStatus::Up);
        let hits = self.inner.shared_image_hits.load(Ordering::Relaxed);
        let misses = self.inner.shared_image_misses.load(Ordering::Relaxed);
        let answer_hits = self.inner.shared_answer_hits.load(Ordering::Relaxed);
        let answer_misses = self.inner.shared_answer_misses.load(Ordering::Relaxed);
        let _ = write!(
            out,
            "# HELP een_gallery_store_up Whether the shared store (STORE_URL) answers.\n\
             # TYPE een_gallery_store_up gauge\n\
             een_gallery_store_up {up}\n\
             # HELP een_gallery_store_errors_total Calls to the shared store that failed or timed out.\n\
             # TYPE een_gallery_store_errors_total counter\n\
             een_gallery_store_errors_total {}\n\
             # HELP een_gallery_store_image_hits_total Images the in-process cache missed and the shared store had.\n\
             # TYPE een_gallery_store_image_hits_total counter\n\
             een_gallery_store_image_hits_total {hits}\n\
             # HELP een_gallery_store_image_misses_total Images neither the in-process cache nor the shared store had.\n\
             # TYPE een_gallery_store_image_misses_total counter\n\
             een_gallery_store_image_misses_total {misses}\n\
             # HELP een_gallery_store_answer_hits_total Latest previews and listings taken from the shared store (another replica asked EEN).\n\
             # TYPE een_gallery_store_answer_hits_total counter\n\
             een_gallery_store_answer_hits_total {answer_hits}\n\
             # HELP een_gallery_store_answer_misses_total Latest previews and listings the shared store did not have.\n\
             # TYPE een_gallery_store_answer_misses_total counter\n\
             een_gallery_store_answer_misses_total {answer_misses}\n",
            store.errors,
        );
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let m = Metrics::default();
        m.http_request("/cameras/{esn}", 200);
        m.http_request("/cameras/{esn}", 200);
        m.een_call("preview", false);
        m.image_cache_hit();
        let pace = PaceStats {
            rate: Some(8.0),
            waits: 3,
            waited: std::time::Duration::from_millis(1500),
            rate_limited: 2,
            refused_turns: 1,
            waiting: 4,
            paused: std::time::Duration::from_millis(2500),
            shared: None,
        };
        let text = m.render(42, "ready", &["connecting", "ready"], pace, None);
        assert!(text.contains("een_gallery_een_pace_waiting 4\n"));
        assert!(text.contains("een_gallery_een_pace_paused_seconds 2.500\n"));
        assert!(!text.contains("een_gallery_een_pace_shared"), "not shared");
        assert!(text.contains("een_gallery_een_pace_rate 8.000\n"));
        assert!(text.contains("een_gallery_een_pace_wait_seconds_total 1.500\n"));
        assert!(text.contains("een_gallery_een_rate_limited_total 2\n"));
        assert!(text.contains("een_gallery_een_pace_refused_total 1\n"));
        let unlimited = m.render(0, "ready", &["ready"], PaceStats::default(), None);
        assert!(unlimited.contains("een_gallery_een_pace_rate +Inf\n"));
        assert!(text.contains("een_gallery_een_status{status=\"ready\"} 1\n"));
        assert!(text.contains("een_gallery_een_status{status=\"connecting\"} 0\n"));
        assert!(text.contains(
            "een_gallery_http_requests_total{route=\"/cameras/{esn}\",status=\"200\"} 2"
        ));
        assert!(text.contains("een_gallery_een_calls_total{call=\"preview\",outcome=\"error\"} 1"));
        assert!(text.contains("een_gallery_image_cache_hits_total 1\n"));
        assert!(text.contains("een_gallery_image_cache_bytes 42\n"));
        assert!(
            !text.contains("een_gallery_store"),
            "no store, no store figures"
        );
    }

    #[test]
    fn renders_the_store_when_there_is_one() {
        let m = Metrics::default();
        m.shared_image_hit();
        m.shared_image_hit();
        m.shared_image_miss();
        let down = StoreStats {
            status: StoreStatus::Down,
            errors: 3,
        };
        let text = m.render(0, "ready", &["ready"], PaceStats::default(), Some(down));
        assert!(text.contains("een_gallery_store_up 0\n"));
        assert!(text.contains("een_gallery_store_errors_total 3\n"));
        assert!(text.contains("een_gallery_store_image_hits_total 2\n"));
        assert!(text.contains("een_gallery_store_image_misses_total 1\n"));
        let up = StoreStats {
            status: StoreStatus::Up,
            errors: 0,
        };
        let text = m.render(0, "ready", &["ready"], PaceStats::default(), Some(up));
        assert!(text.contains("een_gallery_store_up 1\n"));
    }

    #[test]
    fn renders_the_shared_pace_when_there_is_one() {
        let m = Metrics::default();
        let pace = PaceStats {
            shared: Some(crate::een::SharedPaceStats {
                up: true,
                replicas: 3,
                adopted: 2,
            }),
            ..PaceStats::default()
        };
        let text = m.render(0, "ready", &["ready"], pace, None);
        assert!(text.contains("een_gallery_een_pace_shared 1\n"));
        assert!(text.contains("een_gallery_een_pace_replicas 3\n"));
        assert!(text.contains("een_gallery_een_pace_shared_cuts_total 2\n"));
    }
}
