//! The chain a walk remembers: the frames an earlier walk from [`super::Seek::Newest`] proved
//! consecutive. A new walk from `Newest` walks down from the new newest frame until an
//! answer is the chain's newest frame (that predecessor answer proves nothing lies between)
//! and takes the rest of the page from the chain without calls. An answer that contradicts
//! the chain (a frame inside it that it does not hold, a walk that passes its newest frame)
//! drops it, and the walk goes on as if it had none: a chain costs calls, never frames.

use bytes::Bytes;

use super::{Below, Job, Ms, Node, State};
use crate::een::Image;
use crate::timestamp::EenTimestamp;

impl State {
    /// Takes in a chain, newest first; one that is not strictly descending is ignored.
    pub(super) fn remember(&mut self, chain: &[EenTimestamp]) {
        let times: Vec<Ms> = chain.iter().map(|t| t.as_millis()).collect();
        if times.is_empty() || times.windows(2).any(|w| w[0] <= w[1]) {
            return;
        }
        for (i, &at) in times.iter().enumerate() {
            let below = match times.get(i + 1) {
                Some(&next) => Below::Known(Some(next)),
                // The oldest: walked by time when the page needs more.
                None => Below::Open,
            };
            let clear_to = if i == 0 {
                at.saturating_add(1)
            } else {
                times[i - 1]
            };
            self.nodes.insert(
                at,
                Node {
                    image: Image {
                        timestamp: EenTimestamp::from_millis(at),
                        bytes: Bytes::new(),
                    },
                    prev: None,
                    clear_to,
                    below,
                    anchored: 0,
                    remembered: true,
                },
            );
        }
        // Its spacings are proven ones: the cadence is known from the start.
        self.spacings.extend(times.windows(2).map(|w| w[0] - w[1]));
        self.chain = Some((times[0], times[times.len() - 1]));
    }

    /// Drops the chain when the answer `at` to `job` contradicts it.
    pub(super) fn check_chain(&mut self, job: Job, at: Option<Ms>) {
        let Some((newest, oldest)) = self.chain else {
            return;
        };
        let inside = |t: Ms| (oldest..=newest).contains(&t);
        let contradicts = match (job, at) {
            // A frame inside the chain's span that the chain does not hold (answers are
            // checked before they are taken in).
            (_, Some(t)) if inside(t) => !self.nodes.contains_key(&t),
            // The newest frame older than the chain's newest: the chain's frames are gone.
            (Job::Start, Some(t)) => t < newest,
            (Job::Start, None) => true,
            // A walk from above the chain that passes its newest frame, or finds none.
            (Job::Walk(above, _), t) => above > newest && t.is_none_or(|t| t < newest),
            _ => false,
        };
        if contradicts {
            self.forget_chain();
        }
    }

    /// Takes the remembered frames out; the walk goes on from what it fetched.
    fn forget_chain(&mut self) {
        self.chain = None;
        let remembered: Vec<Ms> = self
            .nodes
            .iter()
            .filter(|(_, n)| n.remembered)
            .map(|(&t, _)| t)
            .collect();
        for t in &remembered {
            self.nodes.remove(t);
        }
        for node in self.nodes.values_mut() {
            if let Below::Known(Some(below)) = node.below
                && remembered.contains(&below)
            {
                // Its predecessor was one the chain claimed: ask again.
                node.below = Below::Open;
            }
        }
    }
}
