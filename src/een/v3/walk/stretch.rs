//! Where a stretch's anchors go and how many round trips its runs then take.

use super::line::Line;
use super::{Job, Ms, Seek, Stretch};
use crate::timestamp::EenTimestamp;

impl Stretch {
    /// The `k` anchors that split it, as [`Stretch::offsets`] places them: aimed by the
    /// line where it predicts well, else by the cadence from the head.
    pub(super) fn anchors(&self, k: usize, cadence: f64, line: Option<&Line>) -> Vec<(Job, Seek)> {
        if k == 0 {
            return Vec::new();
        }
        self.offsets(k)
            .into_iter()
            .filter_map(|offset| {
                // The `offset+1`-th frame below a real head; frame number `offset` (0 = the
                // start) below a bound, which is up to one cadence above the start frame.
                let depth = if self.virtual_head {
                    offset as f64 - 0.5
                } else {
                    offset as f64 + 0.5
                };
                let by_line = line.and_then(|line| {
                    let depth = if self.virtual_head {
                        offset
                    } else {
                        offset + 1
                    };
                    line.target(self.head, self.virtual_head, depth)
                });
                let target = by_line
                    .unwrap_or_else(|| self.head.saturating_sub((depth * cadence).round() as Ms));
                (target < self.head && self.floor.is_none_or(|floor| target >= floor)).then(|| {
                    let seek = Seek::AtOrBefore(EenTimestamp::from_millis(target));
                    (Job::Anchor(target), seek)
                })
            })
            .collect()
    }

    /// Round trips until its runs end with `k` anchors: `k + 1` runs, each but the last (or
    /// every one, when the stretch ends on a known frame) one call longer than its frames.
    pub(super) fn cost(&self, k: usize) -> usize {
        let runs = k + 1;
        match self.floor {
            Some(_) => self.frames.div_ceil(runs) + 1,
            None => (self.frames + k).div_ceil(runs),
        }
    }

    /// Where the `k` anchors go: how many frames the runs above each one have to find. The
    /// slack goes to the last runs, so that an anchor landing one frame early (see
    /// [`State::anchors`]) costs no round trip.
    fn offsets(&self, k: usize) -> Vec<usize> {
        let rounds = self.cost(k);
        let mut lengths = vec![rounds - 1; k + 1];
        if self.floor.is_none() {
            lengths[k] = rounds;
        }
        let mut excess = lengths.iter().sum::<usize>().saturating_sub(self.frames);
        for length in lengths.iter_mut().rev() {
            let take = excess.min(length.saturating_sub(1));
            *length -= take;
            excess -= take;
        }
        lengths[..k]
            .iter()
            .scan(0, |offset, length| {
                *offset += length;
                Some(*offset)
            })
            .collect()
    }
}
