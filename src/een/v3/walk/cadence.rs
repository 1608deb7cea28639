//! What the walk knows of a camera's cadence: the estimate that places anchors and ranks
//! frames, how far off it may be, and the bounds on how many frames a span can hold, which
//! keep a walk within its cap.

use super::{
    HINT_UNCERTAINTY, JITTER, MAX_CADENCE_MS, MIN_CADENCE_MS, Ms, ONE_SPACING_UNCERTAINTY, State,
};

impl State {
    /// The cadence in ms: the interval of the line while the walk holds one (`line`, fitted
    /// over consecutive frames: closer than any median); else the median spacing measured
    /// so far, else the hint; while fewer than three spacings are measured, the hint when
    /// they agree with it (a hint is the median of a whole page's spacings, one spacing is
    /// up to 30 % off).
    pub(super) fn cadence(&self) -> Option<f64> {
        if let Some(line) = &self.line {
            return Some(line.interval.clamp(MIN_CADENCE_MS, MAX_CADENCE_MS));
        }
        if self.spacings.is_empty() {
            return self.hint;
        }
        let mut sorted = self.spacings.clone();
        sorted.sort_unstable();
        if let Some(hint) = self.hint
            && sorted.len() < 3
            && sorted
                .iter()
                .all(|&s| agrees(s as f64, hint, ONE_SPACING_UNCERTAINTY))
        {
            return Some(hint);
        }
        // The lower median: a recording gap is a long spacing, never a short one.
        let median = sorted[(sorted.len() - 1) / 2] as f64;
        Some(median.clamp(MIN_CADENCE_MS, MAX_CADENCE_MS))
    }

    /// How far off [`State::cadence`] may be, as a share of it; `None` without a cadence.
    pub(super) fn uncertainty(&self) -> Option<f64> {
        let cadence = self.cadence()?;
        let regular = self.regular_spacings(cadence);
        let hint = self
            .hint
            .filter(|&h| agrees(cadence, h, ONE_SPACING_UNCERTAINTY));
        let deviation = |s: f64| (s / cadence - 1.0).abs();
        let spread = regular
            .iter()
            .chain(hint.as_ref())
            .map(|&s| deviation(s))
            .fold(0.0, f64::max);
        let u = match (regular.len(), hint) {
            (0, _) => HINT_UNCERTAINTY,
            (1, None) => ONE_SPACING_UNCERTAINTY,
            (1, Some(_)) => 0.02 + spread,
            // A few spacings can agree by chance, all a frame's jitter off.
            (n, None) if n < 4 => ONE_SPACING_UNCERTAINTY,
            (n, None) => (0.02 + spread / ((n - 1) as f64).sqrt()).max(0.6 / n as f64),
            (n, Some(_)) => 0.02 + spread / ((n - 1) as f64).sqrt(),
        };
        Some(u.min(0.6))
    }

    /// The shortest the cadence can be, as far as the answers show: spans then hold the
    /// most frames. From the line once this walk confirmed it (`State::trusted_line`);
    /// from measured spacings, [`State::cadence`] less its uncertainty. With only a hint,
    /// nothing the hint says (a hint may be wrong): a query finds the newest frame before
    /// its time, less than a cadence and its jitter below it, so how far below their times
    /// the start and the anchors found frames bounds the cadence from below. The second
    /// largest of those counts, as a recording gap can make one large.
    pub(super) fn shortest(&self) -> Option<f64> {
        if let Some(line) = self.trusted_line() {
            return Some(line.shortest().max(MIN_CADENCE_MS));
        }
        if !self.spacings.is_empty() {
            let cadence = self.cadence()?;
            let regular = self
                .spacings
                .iter()
                .map(|&s| s as f64)
                .filter(|&s| s <= cadence * (1.0 + 2.0 * JITTER));
            if self.spacings.len() < 4 {
                // A few spacings can all be long by chance, and agree with a hint that is
                // too long; but one without a recording gap in it is no longer than the
                // cadence and its jitter, and the shortest is the likeliest to have none.
                let shortest = regular.fold(f64::MAX, f64::min) / (1.0 + JITTER);
                return Some(shortest.max(MIN_CADENCE_MS));
            }
            return self.uncertainty().map(|u| cadence * (1.0 - u));
        }
        self.hint?;
        let mut residuals = self.residuals.clone();
        residuals.sort_unstable_by(|a, b| b.cmp(a));
        let floor = residuals.get(1).map_or(0.0, |&r| r as f64 / (1.0 + JITTER));
        Some(floor.max(MIN_CADENCE_MS))
    }

    /// How far a frame may be off its slot, as a share of the cadence: [`JITTER`] until
    /// enough spacings show less (a spacing is off the cadence by the difference of two
    /// frames' jitters, so twice the largest difference seen, with a margin).
    pub(super) fn jitter(&self) -> f64 {
        let Some(cadence) = self.cadence() else {
            return JITTER;
        };
        let regular = self.regular_spacings(cadence);
        if regular.len() < 4 {
            return JITTER;
        }
        let largest = regular
            .iter()
            .map(|&s| (s / cadence - 1.0).abs())
            .fold(0.0, f64::max);
        (2.0 * largest).clamp(0.05, JITTER)
    }

    /// The spacings measured, in ms, but those that span a recording gap: they say nothing of
    /// the cadence.
    fn regular_spacings(&self, cadence: f64) -> Vec<f64> {
        self.spacings
            .iter()
            .map(|&s| s as f64)
            .filter(|&s| s <= cadence * (1.0 + 2.0 * JITTER))
            .collect()
    }
}

/// The estimated number of frames older than the frame at `upper` and newer than `clear`, at
/// one per `cadence` ms. Where `clear` falls on a frame's time, jitter decides whether that
/// frame is inside; the estimate then says no: a frame too few makes a walk start a frame
/// early, a frame too many would make it wait.
pub(super) fn between(upper: Ms, clear: Ms, cadence: f64) -> usize {
    if clear >= upper {
        return 0;
    }
    let frames = ((upper - clear) as f64 / cadence - 0.1).floor();
    if frames > 0.0 { frames as usize } else { 0 }
}

/// The most frames older than the frame at `upper` and at or after `clear` can be at a
/// cadence of at least `cadence` ms: each frame is within `jitter` cadences of its slot, and
/// gaps only take frames away.
pub(super) fn most_between(upper: Ms, clear: Ms, cadence: f64, jitter: f64) -> usize {
    if clear >= upper {
        return 0;
    }
    let frames = ((upper - clear) as f64 / cadence + jitter).floor();
    if frames > 0.0 { frames as usize } else { 0 }
}

/// Whether `measured` is within `uncertainty` (and 5 % more) of `expected`.
fn agrees(measured: f64, expected: f64, uncertainty: f64) -> bool {
    (measured / expected - 1.0).abs() <= uncertainty + 0.05
}
