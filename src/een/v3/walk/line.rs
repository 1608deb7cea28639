//! The camera's frame times as a line: frame `k` is about `origin + k × interval`, fitted
//! over frames an earlier walk proved consecutive (`context`, see [`super::walk`]).
//!
//! A cadence measured from one spacing is up to 30 % off, and the median of a page's
//! spacings a few %: an anchor 16 frames down placed by it lands frames off. A least-squares
//! line over 20 consecutive frames knows the interval to about 0.3 % and where the frames
//! sit around their slots, so an anchor aimed half-way between two predicted frames lands on
//! the frame meant even when each frame is up to 30 % of the cadence off its slot (as the
//! simulator's are, `sim::timeline`). The line only aims anchors: a walk's answer still
//! rests on what the runs prove, and an answer the line does not predict drops it.

use super::{Job, MAX_CADENCE_MS, MIN_CADENCE_MS, Ms, State};
use crate::timestamp::EenTimestamp;

/// Fewest consecutive frames a line is fitted over: fewer predict too little.
pub(crate) const MIN_FRAMES: usize = 8;

/// How far off (one standard error, as a share of the interval) a predicted frame time may
/// be for an anchor to be aimed by the line: half an interval is the room either side, and
/// the frames' own spread takes part of it.
const MOST_ERROR: f64 = 0.12;

/// How much farther than the fitted frames a frame may be from its predicted time, as a
/// share of the interval, besides some standard errors of the prediction: counting frames
/// in a span takes the tighter reach (a frame counted too few costs a walk one call, which
/// the cap's spare call covers); dropping the line takes the wider one (a line dropped in
/// vain costs round trips).
const COUNT_REACH: (f64, f64) = (2.0, 0.05);
const AGREE_REACH: (f64, f64) = (4.0, 0.08);

/// A fitted line of frame times.
#[derive(Clone, Debug)]
pub(super) struct Line {
    /// Ms between frames.
    pub(super) interval: f64,
    /// The predicted time of frame 0 (the newest fitted).
    origin: f64,
    /// The mean frame index fitted, and the sum of squared index deviations.
    k_mean: f64,
    sxx: f64,
    n: usize,
    /// The residuals' standard deviation, in ms.
    sigma: f64,
    /// The largest residual, as a share of the interval.
    spread: f64,
    /// The frames fitted: (index, time).
    points: Vec<(f64, f64)>,
}

impl Line {
    /// Fits frames proven consecutive, newest first; `None` for fewer than [`MIN_FRAMES`],
    /// times not descending, or a fit outside the cadences EEN allows. A spacing much longer
    /// than the others is a recording gap: the frames after it keep their slots.
    pub(super) fn fit(times: &[Ms]) -> Option<Line> {
        if times.len() < MIN_FRAMES || times.windows(2).any(|w| w[0] <= w[1]) {
            return None;
        }
        let mut spacings: Vec<Ms> = times.windows(2).map(|w| w[0] - w[1]).collect();
        spacings.sort_unstable();
        // The lower median: a gap is a long spacing, never a short one.
        let median = spacings[(spacings.len() - 1) / 2] as f64;
        let mut k = 0i64;
        let mut points = Vec::with_capacity(times.len());
        points.push((0.0, times[0] as f64));
        for w in times.windows(2) {
            let slots = ((w[0] - w[1]) as f64 / median).round().max(1.0);
            k -= slots as i64;
            points.push((k as f64, w[1] as f64));
        }
        Self::through(points)
    }

    /// The least-squares line through `points` (index, time).
    fn through(points: Vec<(f64, f64)>) -> Option<Line> {
        let n = points.len() as f64;
        let k_mean = points.iter().map(|p| p.0).sum::<f64>() / n;
        let t_mean = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - k_mean).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - k_mean) * (p.1 - t_mean)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let interval = sxy / sxx;
        if !(MIN_CADENCE_MS * 0.9..=MAX_CADENCE_MS * 1.1).contains(&interval) {
            return None;
        }
        let origin = t_mean - interval * k_mean;
        let residual = |p: &(f64, f64)| p.1 - origin - interval * p.0;
        let ss: f64 = points.iter().map(|p| residual(p).powi(2)).sum();
        let spread = points.iter().map(|p| residual(p).abs()).fold(0.0, f64::max) / interval;
        Some(Line {
            interval,
            origin,
            k_mean,
            sxx,
            n: points.len(),
            sigma: (ss / (n - 2.0)).sqrt(),
            spread,
            points,
        })
    }

    /// The (fractional) frame index of time `t`.
    fn index(&self, t: f64) -> f64 {
        (t - self.origin) / self.interval
    }

    fn centre(&self, k: f64) -> f64 {
        self.origin + k * self.interval
    }

    /// One standard error of the predicted time of frame `k`, as a share of the interval.
    fn error(&self, k: f64) -> f64 {
        let var = 1.0 / self.n as f64 + (k - self.k_mean).powi(2) / self.sxx;
        self.sigma * var.sqrt() / self.interval
    }

    /// Where to ask (`timestamp__lte`) for the frame `depth` frames below the frame at
    /// `head` (`virtual_head`: below the bound `head`, depth 0 being the newest frame before
    /// it): half-way between that frame's predicted time and the next newer one's. `None`
    /// when the line predicts that far too poorly.
    pub(super) fn target(&self, head: Ms, virtual_head: bool, depth: usize) -> Option<Ms> {
        let x = self.index(head as f64);
        let k = if virtual_head {
            // The newest frame before the bound; a bound on a predicted frame time (the
            // page after a page starts at a frame) is taken to be that frame.
            (x - 0.2).ceil() - 1.0 - depth as f64
        } else {
            x.round() - depth as f64
        };
        let error = self.error(k);
        (error <= MOST_ERROR).then(|| (self.centre(k) + self.interval / 2.0).round() as Ms)
    }

    /// The shortest the interval can be, as far as the fit shows: three standard errors of
    /// its slope less, and at least 2 % (frames in a span are counted by it, see
    /// `State::shortest`).
    pub(super) fn shortest(&self) -> f64 {
        let slope_error = self.sigma / self.sxx.sqrt() / self.interval;
        self.interval * (1.0 - (3.0 * slope_error).max(0.02))
    }

    /// How far from its predicted time frame `k` may be, as a share of the interval, with
    /// `(errors, margin)` as [`COUNT_REACH`] or [`AGREE_REACH`].
    fn reach(&self, k: f64, (errors, margin): (f64, f64)) -> f64 {
        self.spread + errors * self.error(k) + margin
    }

    /// The most frames older than the frame at `upper` and at or after `clear` can be, if
    /// the frames keep to the line; `None` where it predicts too poorly.
    pub(super) fn most_between(&self, upper: Ms, clear: Ms) -> Option<usize> {
        let top = self.index(upper as f64).round();
        if self.error(top) > MOST_ERROR {
            return None;
        }
        let x = self.index(clear as f64);
        let lowest = (x - self.reach(x.round(), COUNT_REACH)).ceil();
        Some((top - lowest).max(0.0) as usize)
    }

    /// Whether a frame at `t` is where the line says frames are (near here: far away, a
    /// small error in the interval adds up, and nothing is predicted).
    pub(super) fn agrees(&self, t: Ms) -> bool {
        let x = self.index(t as f64);
        let k = x.round();
        self.error(k) > MOST_ERROR || (x - k).abs() <= self.reach(k, AGREE_REACH)
    }

    /// Whether `t` is the time of a frame fitted.
    fn fitted(&self, t: Ms) -> bool {
        self.points.iter().any(|p| p.1 == t as f64)
    }

    /// Whether frames at `upper` and `lower` are one interval apart, as far as the line
    /// can tell.
    fn one_apart(&self, upper: Ms, lower: Ms) -> bool {
        let (x, y) = (self.index(upper as f64), self.index(lower as f64));
        self.error(y.round()) <= MOST_ERROR
            && ((x - y) - 1.0).abs() <= self.reach(y.round(), AGREE_REACH)
    }

    /// The line refitted with a frame found at `t`, where the line predicts well enough
    /// to know its index (and `t` is not fitted yet): each answer near the frames fitted
    /// makes the next anchors' aim better. The residuals' spread stays the context's.
    fn with(&self, t: Ms) -> Option<Line> {
        let x = self.index(t as f64);
        let k = x.round();
        let time = t as f64;
        if self.error(k) > MOST_ERROR || self.points.iter().any(|p| p.1 == time) {
            return None;
        }
        let mut points = self.points.clone();
        points.push((k, time));
        // How far frames stray from the line is what the context's consecutive frames
        // showed: frames that merely agree with the line must not widen what agrees.
        Self::through(points).map(|line| Line {
            sigma: self.sigma,
            spread: self.spread,
            ..line
        })
    }
}

impl State {
    /// Takes in the frames an earlier walk proved consecutive (newest first): the line
    /// fitted over them, and their spacings for when this walk confirms it (unless they
    /// are the chain's, which [`State::remember`] takes).
    pub(super) fn learn(&mut self, context: &[EenTimestamp], chain: &[EenTimestamp]) {
        let times: Vec<Ms> = context.iter().map(|t| t.as_millis()).collect();
        let Some(line) = Line::fit(&times) else {
            return;
        };
        self.line = Some(line);
        if context != chain {
            self.context_pending = times.windows(2).map(|w| w[0] - w[1]).collect();
        }
    }

    /// Drops the line, and the spacings that came with it, when a frame found at `at` (the
    /// answer to `job`) is not where it predicts: the camera's cadence is not what it was.
    /// Else refits it with the frame, and takes it as confirmed when the frame is proven
    /// the predecessor of one a frame's interval above it (a walk's answer, or the start
    /// frame below a bound that is a frame of the context).
    pub(super) fn check_line(&mut self, job: Job, at: Ms) {
        let Some(line) = &self.line else {
            return;
        };
        if !line.agrees(at) {
            self.line = None;
            self.line_confirmed = false;
            self.context_pending.clear();
            self.spacings.drain(..self.context_spacings);
            self.context_spacings = 0;
            return;
        }
        let above = match job {
            Job::Walk(above, _) => Some(above),
            Job::Start => self.bound.filter(|&b| line.fitted(b)),
            Job::Anchor(_) => None,
        };
        if !self.line_confirmed && above.is_some_and(|above| line.one_apart(above, at)) {
            self.line_confirmed = true;
            // The context's spacings count as measured ones now (first, to drop them).
            let pending = std::mem::take(&mut self.context_pending);
            self.context_spacings = pending.len();
            self.spacings.splice(0..0, pending);
        }
        if let Some(refitted) = line.with(at) {
            self.line = Some(refitted);
        }
    }

    /// The line, once this walk's answers confirmed it: only then does it bound how many
    /// frames a span holds (a wrong one would let walks go beyond the window, calls beyond
    /// the cap); until then it only aims anchors, which cost one call each whatever they find.
    pub(super) fn trusted_line(&self) -> Option<&Line> {
        self.line.as_ref().filter(|_| self.line_confirmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_over_regular_frames_predicts_the_next_ones() {
        // Frames up to 10 % of the interval late.
        let times: Vec<Ms> = (0..20)
            .map(|i| 1_000_000 - i * 1000 + (i * 37) % 100)
            .collect();
        let line = Line::fit(&times).unwrap();
        assert!((line.interval - 1000.0).abs() < 5.0, "{line:?}");
        // Below the bound at the oldest frame: just above the 3rd frame below it (the
        // newest before the bound being the 1st, depth 0).
        let oldest = *times.last().unwrap();
        let target = line.target(oldest, true, 2).unwrap();
        assert!(target < oldest - 2000 && target > oldest - 3000, "{target}");
        assert_eq!(line.target(oldest, false, 3), Some(target));
        // Frames near their slots agree; a frame half-way between two does not.
        assert!(line.agrees(oldest - 5000 + 40));
        assert!(!line.agrees(target));
        // Two frames lie between the oldest and the target: none below it is counted.
        assert_eq!(line.most_between(oldest, target + 1), Some(2));
        // A day away nothing is predicted, and nothing disagrees.
        assert_eq!(line.target(oldest - 86_400_000, true, 0), None);
        assert!(line.agrees(oldest - 86_400_500));
    }

    #[test]
    fn a_gap_keeps_the_slots_and_few_frames_fit_nothing() {
        let mut times: Vec<Ms> = (0..20).map(|i| 1_000_000 - i * 1000).collect();
        for t in &mut times[10..] {
            *t -= 30_000;
        }
        let line = Line::fit(&times).unwrap();
        assert!((line.interval - 1000.0).abs() < 1.0, "{line:?}");
        assert!(Line::fit(&times[..5]).is_none());
        assert!(Line::fit(&[3, 2, 1, 0, 5, 4, 3, 2, 1]).is_none());
    }
}
