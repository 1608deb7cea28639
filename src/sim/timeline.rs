//! Preview frame timelines (SIM-40): when each camera has a frame, without storing any.
//!
//! Frame `k` of a camera is at `k * interval + phase + jitter(k)` milliseconds since the epoch,
//! where `phase` and `jitter(k)` come from a hash of the ESN (and `k`), and the jitter stays
//! below 30 % of the interval so frames never swap order. A frame exists when its time lies in
//! the camera's window (retention start up to now, or up to when the camera went down). Every
//! question ("the frame at t", "the 20 before t") is a little arithmetic on `k`.

use super::hash::{hash_str, mix};

/// One camera's frame times.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeline {
    seed: u64,
    interval: i64,
    jitter: i64,
    phase: i64,
}

/// The span (inclusive, ms since the epoch) in which frames exist right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub(crate) first: i64,
    pub(crate) last: i64,
}

impl Window {
    /// A window holding nothing.
    pub(crate) const EMPTY: Window = Window { first: 1, last: 0 };
}

impl Timeline {
    /// The timeline of camera `esn` with frames every `interval_ms` on average.
    pub(crate) fn new(esn: &str, interval_ms: i64) -> Self {
        let seed = hash_str(esn);
        let interval = interval_ms.max(1);
        Self {
            seed,
            interval,
            jitter: interval * 3 / 10,
            phase: i64::try_from(seed % interval.unsigned_abs()).unwrap_or(0),
        }
    }

    /// The time of frame `k`.
    pub(crate) fn time(&self, k: i64) -> i64 {
        let jitter = if self.jitter > 0 {
            i64::try_from(mix(self.seed ^ k as u64) % self.jitter.unsigned_abs()).unwrap_or(0)
        } else {
            0
        };
        k.saturating_mul(self.interval)
            .saturating_add(self.phase)
            .saturating_add(jitter)
    }

    /// The largest `k` whose frame is at or before `t`.
    fn index_at_or_before(&self, t: i64) -> i64 {
        let k = t.saturating_sub(self.phase).div_euclid(self.interval);
        if self.time(k) <= t {
            k
        } else {
            k.saturating_sub(1)
        }
    }

    /// The indexes of the first and last frame inside `window`, if any.
    fn bounds(&self, window: Window) -> Option<(i64, i64)> {
        if window.first > window.last {
            return None;
        }
        let lo = self
            .index_at_or_before(window.first.saturating_sub(1))
            .saturating_add(1);
        let hi = self.index_at_or_before(window.last);
        (lo <= hi).then_some((lo, hi))
    }

    /// The frame exactly at `t`, if one exists.
    pub(crate) fn at(&self, window: Window, t: i64) -> Option<i64> {
        let (lo, hi) = self.bounds(window)?;
        let k = self.index_at_or_before(t);
        (lo..=hi)
            .contains(&k)
            .then(|| self.time(k))
            .filter(|&s| s == t)
    }

    /// The newest frame at or before `t`.
    pub(crate) fn at_or_before(&self, window: Window, t: i64) -> Option<i64> {
        let (lo, hi) = self.bounds(window)?;
        let k = self.index_at_or_before(t).min(hi);
        (k >= lo).then(|| self.time(k))
    }

    /// The newest frame strictly before `t`.
    pub(crate) fn before(&self, window: Window, t: i64) -> Option<i64> {
        self.at_or_before(window, t.saturating_sub(1))
    }

    /// The oldest frame strictly after `t`.
    pub(crate) fn after(&self, window: Window, t: i64) -> Option<i64> {
        let (lo, hi) = self.bounds(window)?;
        let k = self.index_at_or_before(t).saturating_add(1).max(lo);
        (k <= hi).then(|| self.time(k))
    }

    /// The first frame strictly after `t` ignoring any window: when the next one will come.
    pub(crate) fn next_ever(&self, t: i64) -> i64 {
        self.time(self.index_at_or_before(t).saturating_add(1))
    }

    /// Up to `n` frames strictly before `t`, newest first.
    pub(crate) fn list_before(&self, window: Window, t: i64, n: usize) -> Vec<i64> {
        let Some((lo, hi)) = self.bounds(window) else {
            return Vec::new();
        };
        let start = self.index_at_or_before(t.saturating_sub(1)).min(hi);
        let count = span(lo, start).min(n);
        (0..count as i64).map(|i| self.time(start - i)).collect()
    }

    /// Up to `n` frames at or after `from` and at or before `to`, oldest first.
    pub(crate) fn list_from(&self, window: Window, from: i64, to: i64, n: usize) -> Vec<i64> {
        let Some((lo, hi)) = self.bounds(window) else {
            return Vec::new();
        };
        let start = self
            .index_at_or_before(from.saturating_sub(1))
            .saturating_add(1)
            .max(lo);
        let end = self.index_at_or_before(to).min(hi);
        let count = span(start, end).min(n);
        (0..count as i64).map(|i| self.time(start + i)).collect()
    }

    /// Up to `n` frames at or after `from` and at or before `to`, newest first.
    pub(crate) fn list_range_newest_first(
        &self,
        window: Window,
        from: i64,
        to: i64,
        n: usize,
    ) -> Vec<i64> {
        self.list_before(window, to.saturating_add(1), n)
            .into_iter()
            .take_while(|&s| s >= from)
            .collect()
    }
}

/// How many indexes `from..=to` holds (0 when empty, saturating when huge).
fn span(from: i64, to: i64) -> usize {
    if to < from {
        return 0;
    }
    usize::try_from(i128::from(to) - i128::from(from) + 1).unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_700_000_000_000;

    fn window() -> Window {
        Window {
            first: NOW - DAY,
            last: NOW,
        }
    }

    #[test]
    fn sim_40_frames_are_about_one_a_second_with_jitter_and_strictly_increasing() {
        let tl = Timeline::new("1000c4ae", 1000);
        let k0 = NOW / 1000;
        let times: Vec<_> = (k0..k0 + 500).map(|k| tl.time(k)).collect();
        let gaps: Vec<_> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g > 700 && g < 1300), "{gaps:?}");
        let distinct: std::collections::BTreeSet<_> = gaps.iter().collect();
        assert!(distinct.len() > 50, "jitter varies the gaps");
        assert!(
            times.iter().any(|t| t % 1000 != times[0] % 1000),
            "ms precision"
        );
    }

    #[test]
    fn sim_40_timelines_are_deterministic_and_differ_per_camera() {
        let a = Timeline::new("1000c4ae", 1000);
        let b = Timeline::new("1000c4ae", 1000);
        let c = Timeline::new("10099857", 1000);
        let k = NOW / 1000;
        assert_eq!(a.time(k), b.time(k));
        assert!((0..20).any(|i| a.time(k + i) != c.time(k + i)));
    }

    #[test]
    fn every_frame_is_found_exactly_and_neighbours_are_consistent() {
        let tl = Timeline::new("100a5bc2", 1000);
        let w = window();
        let listed = tl.list_before(w, NOW, 50);
        assert_eq!(listed.len(), 50);
        assert!(listed.windows(2).all(|p| p[0] > p[1]), "newest first");
        assert!(listed.iter().all(|&t| t < NOW));
        for pair in listed.windows(2) {
            let (newer, older) = (pair[0], pair[1]);
            assert_eq!(tl.at(w, newer), Some(newer));
            assert_eq!(tl.at(w, newer - 1), None);
            assert_eq!(tl.before(w, newer), Some(older));
            assert_eq!(tl.after(w, older), Some(newer));
            assert_eq!(tl.at_or_before(w, newer), Some(newer));
            assert_eq!(tl.at_or_before(w, newer - 1), Some(older));
            assert_eq!(tl.after(w, older + 1), Some(newer));
        }
    }

    #[test]
    fn lists_respect_the_window_and_limits() {
        let tl = Timeline::new("100e1e7d", 1000);
        let w = Window {
            first: NOW - 10_000,
            last: NOW,
        };
        let all = tl.list_before(w, NOW + 1, 100);
        assert!((9..=11).contains(&all.len()), "{}", all.len());
        assert!(all.iter().all(|&t| t >= w.first && t <= w.last));
        assert!(tl.list_before(w, w.first, 5).is_empty());
        assert!(tl.list_before(Window::EMPTY, NOW, 5).is_empty());
        assert_eq!(tl.at_or_before(Window::EMPTY, NOW), None);

        let forward = tl.list_from(w, NOW - 5000, NOW, 3);
        assert_eq!(forward.len(), 3);
        assert!(forward.windows(2).all(|p| p[0] < p[1]), "oldest first");
        assert!(forward[0] >= NOW - 5000);
        let oldest = *all.last().unwrap();
        assert_eq!(
            tl.list_from(w, oldest, oldest, 10),
            vec![oldest],
            "inclusive"
        );

        let ranged = tl.list_range_newest_first(w, NOW - 5000, NOW, 100);
        assert!(ranged.iter().all(|&t| t >= NOW - 5000));
        assert!(ranged.windows(2).all(|p| p[0] > p[1]));
        assert_eq!(tl.after(w, NOW), None, "nothing after the window");
        assert!(tl.next_ever(NOW) > NOW);
    }

    #[test]
    fn extreme_inputs_do_not_panic() {
        let tl = Timeline::new("10000001", 1);
        let w = Window {
            first: i64::MIN,
            last: i64::MAX,
        };
        let _ = tl.list_before(w, i64::MIN, 5);
        let _ = tl.list_from(w, i64::MAX, i64::MAX, 5);
        let _ = tl.at(w, i64::MAX);
        let _ = tl.after(w, i64::MAX);
        let _ = Timeline::new("10000001", 0).time(3);
    }
}
