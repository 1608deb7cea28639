//! What a camera recorded: its frame timeline (per-camera cadence, V3-SIM-35) minus the
//! spans in which it stopped recording (gaps, V3-SIM-34). Both APIs read frames through this,
//! so v1 and v3 serve the same account.
//!
//! Cadence: most cameras send a preview about once per `preview_interval`, a few four times
//! as often and some 4 to 16 times less often, as EEN lets users set it from 0.25 s to 16 s
//! (spec v3 §6.7). The cameras the v1 tests and the gallery pick first keep the base cadence.
//!
//! Gaps: the day is cut into 6-hour UTC blocks; in about half of them a camera stops
//! recording once, for 2 to 20 minutes, at a hashed time. Only blocks that ended at least an
//! hour before the simulator started have gaps, so the recent past (what a gallery shows and
//! what `now`-relative requests see) is never in one. Within one run a frame's existence
//! never changes; across runs only gaps of the last hours before start may differ.

use super::hash::{hash_str, mix};
use super::timeline::{Timeline, Window};

const BLOCK_MS: i64 = 6 * 3_600_000;
const MIN_GAP_MS: i64 = 2 * 60_000;
const MAX_GAP_MS: i64 = 20 * 60_000;
/// Blocks ending later than this before the start have no gaps.
const QUIET_MS: i64 = 3_600_000;

/// How many times the base preview interval camera `name` waits between frames, in quarters
/// (4 = the base cadence). Cameras not listed use the base cadence.
fn cadence_quarters(name: &str) -> i64 {
    match name {
        "Cash Register" | "Server Room" | "DVR Fitting Rooms" => 1,
        "5th Ave Sidewalk" | "Gate House" => 16,
        "Parking Lot North" | "Car Park" => 32,
        "Yard Analog Cam" | "Forklift Bay" => 64,
        _ => 4,
    }
}

/// The preview interval of camera `name` given the base interval (at least 1 ms).
pub(crate) fn interval_for(name: &str, base_ms: i64) -> i64 {
    (base_ms.saturating_mul(cadence_quarters(name)) / 4).max(1)
}

/// One camera's recording.
#[derive(Clone, Debug)]
pub(crate) struct Recording {
    timeline: Timeline,
    /// Sorted, disjoint, inclusive `(start, end)` spans without frames.
    gaps: Vec<(i64, i64)>,
}

impl Recording {
    /// Camera `esn` with frames every `interval_ms` and the gaps of the blocks between
    /// `from_ms` and an hour before `started_ms`.
    pub(crate) fn new(esn: &str, interval_ms: i64, from_ms: i64, started_ms: i64) -> Self {
        Self {
            timeline: Timeline::new(esn, interval_ms),
            gaps: gaps(esn, from_ms, started_ms.saturating_sub(QUIET_MS)),
        }
    }

    fn gap_at(&self, t: i64) -> Option<(i64, i64)> {
        let i = self.gaps.partition_point(|&(start, _)| start <= t);
        let gap = *self.gaps.get(i.checked_sub(1)?)?;
        (t <= gap.1).then_some(gap)
    }

    /// The frame exactly at `t`, if one exists.
    pub(crate) fn at(&self, window: Window, t: i64) -> Option<i64> {
        self.timeline
            .at(window, t)
            .filter(|&s| self.gap_at(s).is_none())
    }

    /// The newest frame at or before `t`.
    pub(crate) fn at_or_before(&self, window: Window, t: i64) -> Option<i64> {
        let mut found = self.timeline.at_or_before(window, t)?;
        while let Some((start, _)) = self.gap_at(found) {
            found = self
                .timeline
                .at_or_before(window, start.saturating_sub(1))?;
        }
        Some(found)
    }

    /// The newest frame strictly before `t`.
    pub(crate) fn before(&self, window: Window, t: i64) -> Option<i64> {
        if self.gaps.is_empty() {
            return self.timeline.before(window, t);
        }
        self.at_or_before(window, t.saturating_sub(1))
    }

    /// The oldest frame strictly after `t`.
    pub(crate) fn after(&self, window: Window, t: i64) -> Option<i64> {
        let mut found = self.timeline.after(window, t)?;
        while let Some((_, end)) = self.gap_at(found) {
            found = self.timeline.after(window, end)?;
        }
        Some(found)
    }

    /// The first frame strictly after `t` ignoring any window (gaps are all in the past).
    pub(crate) fn next_ever(&self, t: i64) -> i64 {
        self.timeline.next_ever(t)
    }

    fn has_gap_in(&self, from: i64, to: i64) -> bool {
        self.gaps.iter().any(|&(s, e)| s <= to && e >= from)
    }

    /// Up to `n` frames strictly before `t`, newest first.
    pub(crate) fn list_before(&self, window: Window, t: i64, n: usize) -> Vec<i64> {
        // Usually no gap lies in the span the plain list covers: then it is the answer.
        let plain = self.timeline.list_before(window, t, n);
        let oldest = plain.last().copied().unwrap_or(window.first);
        if !self.has_gap_in(oldest.min(t), t) {
            return plain;
        }
        let mut out = Vec::new();
        let mut cursor = t;
        while out.len() < n {
            let Some(found) = self.before(window, cursor) else {
                break;
            };
            out.push(found);
            cursor = found;
        }
        out
    }

    /// Up to `n` frames at or after `from` and at or before `to`, oldest first.
    pub(crate) fn list_from(&self, window: Window, from: i64, to: i64, n: usize) -> Vec<i64> {
        let plain = self.timeline.list_from(window, from, to, n);
        let newest = plain.last().copied().unwrap_or(to.min(window.last));
        if !self.has_gap_in(from, newest.max(from)) {
            return plain;
        }
        let mut out = Vec::new();
        let mut cursor = from.saturating_sub(1);
        while out.len() < n {
            match self.after(window, cursor) {
                Some(found) if found <= to => {
                    out.push(found);
                    cursor = found;
                }
                _ => break,
            }
        }
        out
    }

    /// Up to `n` frames at or after `from` and at or before `to`, newest first.
    pub(crate) fn list_range_newest_first(
        &self,
        window: Window,
        from: i64,
        to: i64,
        n: usize,
    ) -> Vec<i64> {
        if !self.has_gap_in(from, to) {
            return self.timeline.list_range_newest_first(window, from, to, n);
        }
        self.list_before(window, to.saturating_add(1), n)
            .into_iter()
            .take_while(|&s| s >= from)
            .collect()
    }

    /// The spans of continuous recording (first and last frame of each) that overlap
    /// `from..=to`, oldest first.
    pub(crate) fn intervals(&self, window: Window, from: i64, to: i64) -> Vec<(i64, i64)> {
        let mut spans = Vec::new();
        let mut start = window.first;
        for &(gap_start, gap_end) in &self.gaps {
            if gap_end < window.first {
                continue;
            }
            if gap_start > window.last {
                break;
            }
            spans.push((start, gap_start.saturating_sub(1)));
            start = gap_end.saturating_add(1);
        }
        spans.push((start, window.last));
        spans
            .into_iter()
            .filter(|&(s, e)| s <= to && e >= from)
            .filter_map(|(s, e)| {
                let span = Window { first: s, last: e };
                let first = self.timeline.after(span, s.saturating_sub(1))?;
                let last = self.timeline.at_or_before(span, e)?;
                (first <= last).then_some((first, last))
            })
            .collect()
    }
}

/// The gaps of camera `esn` in the blocks from `from_ms` up to those ending before `until_ms`.
fn gaps(esn: &str, from_ms: i64, until_ms: i64) -> Vec<(i64, i64)> {
    let seed = hash_str(esn) ^ 0x6761_7073; // "gaps"
    let first_block = from_ms.div_euclid(BLOCK_MS).saturating_sub(1);
    let last_block = until_ms.div_euclid(BLOCK_MS);
    (first_block..last_block)
        .filter_map(|block| {
            let h = mix(seed ^ block as u64);
            if h.is_multiple_of(2) {
                return None;
            }
            let len =
                MIN_GAP_MS + i64::try_from((h >> 8) % (MAX_GAP_MS - MIN_GAP_MS) as u64).ok()?;
            let offset = i64::try_from((h >> 24) % (BLOCK_MS - len) as u64).ok()?;
            let start = block.saturating_mul(BLOCK_MS).saturating_add(offset);
            let end = start.saturating_add(len);
            (end < until_ms).then_some((start, end))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;
    const WEEK: i64 = 7 * 86_400_000;

    fn recording() -> Recording {
        Recording::new("100a5bc2", 1000, NOW - WEEK, NOW)
    }

    #[test]
    fn v3_sim_34_a_week_has_gaps_of_minutes_but_the_last_hour_has_none() {
        let r = recording();
        assert!(r.gaps.len() >= 5, "{:?}", r.gaps);
        assert!(
            r.gaps.windows(2).all(|w| w[0].1 < w[1].0),
            "sorted, disjoint"
        );
        for &(s, e) in &r.gaps {
            assert!((MIN_GAP_MS..=MAX_GAP_MS).contains(&(e - s)));
            assert!(e < NOW - QUIET_MS);
        }
    }

    #[test]
    fn v3_sim_34_no_frame_lies_in_a_gap_and_neighbours_jump_over_it() {
        let r = recording();
        let w = Window {
            first: NOW - WEEK,
            last: NOW,
        };
        let (s, e) = r.gaps[r.gaps.len() / 2];
        assert_eq!(r.at(w, (s + e) / 2), None);
        let before = r.at_or_before(w, (s + e) / 2).unwrap();
        assert!(before < s);
        let after = r.after(w, before).unwrap();
        assert!(after > e, "the next frame is after the gap");
        assert_eq!(r.before(w, after), Some(before));
        let listed = r.list_before(w, e + 5_000, 10);
        assert_eq!(listed.len(), 10);
        assert!(listed.iter().all(|&t| r.gap_at(t).is_none()));
        assert!(listed.windows(2).all(|p| p[0] > p[1]));
        let forward = r.list_from(w, s - 3_000, e + 3_000, 100);
        assert!(forward.iter().all(|&t| t < s || t > e));
        assert!(forward.windows(2).all(|p| p[0] < p[1]));
        let spans = r.intervals(w, s - 60_000, e + 60_000);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!(spans[0].1, before);
        assert_eq!(spans[1].0, after);
    }

    #[test]
    fn v3_sim_35_cadence_differs_per_camera() {
        assert_eq!(interval_for("Front Entrance", 1000), 1000);
        assert_eq!(interval_for("Cash Register", 1000), 250);
        assert_eq!(interval_for("Gate House", 1000), 4000);
        assert_eq!(interval_for("Yard Analog Cam", 1000), 16_000);
        assert_eq!(interval_for("Cash Register", 2), 1);
    }
}
