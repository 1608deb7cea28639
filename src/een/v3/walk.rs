//! Finding a camera's newest frames in few round trips, though v3 lists no frames.
//!
//! `recordedImage.jpeg` answers ONE frame: the newest before (or at) a time, or the one just
//! before a frame whose prev token it is given (spec §6.6). Following prev tokens costs one
//! round trip per frame. [`walk`] instead runs several *runs* side by side: one down from the
//! start frame and one down from each *anchor*, a frame fetched by time where, by the
//! camera's cadence, the 5th, 9th, 13th… frame should be. A run ends when its next frame is
//! one already known (the anchor below it): only that proves two runs have nothing between
//! them, so the answer never rests on the cadence estimate; only the cost does.
//!
//! With the right cadence, 20 frames cost 24 calls (20 frames and one per run that ends on
//! a known frame) and 5 round trips from [`Seek::Before`] (the anchors go out with the start
//! frame), 6 from [`Seek::Newest`] (anchors need the start frame's time). Without a cadence
//! the start frame and its predecessor measure it first: 7 round trips. (With at most 5
//! fetches out and one extra call per joining run, fewer are not possible for 20 frames: 5
//! runs of 4 rounds after those two find at most 18.) A walk never has more than
//! [`MAX_IN_FLIGHT`] fetches out, and plans at most `count + MAX_IN_FLIGHT` calls, plus up to
//! [`MAX_REFUNDED`] to make up for anchors that were wasted.

use std::collections::BTreeMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use crate::een::{Error, Image};
use crate::timestamp::EenTimestamp;

/// Most fetches a walk has out at once. It matches the page's 5-permit fetch
/// (`cache::PAGE_FETCH_PERMITS`): a camera page asks EEN for no more images at a time
/// whether it fetches them or walks to find them.
pub(crate) const MAX_IN_FLIGHT: usize = 5;

/// Most calls a walk makes up for when anchors were wasted (found no frame, or one already
/// known, or frames beyond the `count` newest): a recording gap that swallows several
/// anchors' times, a start far after the newest frame, a wrong cadence hint. With 0 a walk
/// never plans more than `count + MAX_IN_FLIGHT` calls, but such a walk is left to one run
/// and takes up to `count` round trips; with `MAX_IN_FLIGHT - 1`, 20 frames took at most 10
/// in the tests (and at most 29 calls).
const MAX_REFUNDED: usize = MAX_IN_FLIGHT - 1;

/// The cadence EEN allows a preview stream (0.25–16 s, spec §6.7); estimates are kept inside.
const MIN_CADENCE_MS: f64 = 250.0;
const MAX_CADENCE_MS: f64 = 16_000.0;

/// Where to look for one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seek {
    /// The camera's newest frame.
    Newest,
    /// The newest frame strictly before the instant (`timestamp__lt`).
    Before(EenTimestamp),
    /// The newest frame at or before the instant (`timestamp__lte`).
    AtOrBefore(EenTimestamp),
    /// The frame just before the one this prev token came with (`pageToken`).
    Prev(String),
}

/// One frame as `recordedImage.jpeg` or `liveImage.jpeg` answer it.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    /// The JPEG and its `X-Een-Timestamp`.
    pub(crate) image: Image,
    /// `X-Een-PrevToken`; `None` for the oldest frame.
    pub(crate) prev: Option<String>,
}

/// What a walk found.
#[derive(Debug)]
pub(crate) struct Walked {
    /// Newest first, distinct, consecutive (no frame missing between two), at most `count`.
    pub(crate) frames: Vec<Image>,
    /// The frame spacing this walk measured (median, within 0.25–16 s), else the hint: for
    /// the caller to pass next time.
    pub(crate) cadence: Option<Duration>,
}

/// Finds the `count` newest frames from `start` ([`Seek::Newest`], or [`Seek::Before`] a
/// time), newest first, through `fetch` (`Ok(None)`: no such frame, a 404).
///
/// `cadence_hint` is the spacing of the camera's frames as an earlier walk measured it;
/// without it the walk measures it first (two round trips before anchors go out); a wrong
/// one costs round trips and calls, never frames. Stops at a frame without a
/// prev token or whose predecessor is `None`. `count == 0` makes no call. The first `Err`
/// ends the walk with that error, dropping (cancelling) the fetches still out: a page of
/// frames with a hole would be wrong, and the caller decides about retrying. An answer that
/// breaks its query (a predecessor that is not older, a frame after the time asked) is
/// [`Error::Decode`].
pub(crate) async fn walk<F, Fut>(
    start: Seek,
    count: usize,
    cadence_hint: Option<Duration>,
    fetch: F,
) -> Result<Walked, Error>
where
    F: Fn(Seek) -> Fut,
    Fut: Future<Output = Result<Option<Frame>, Error>>,
{
    let mut state = State::new(&start, count, cadence_hint);
    if count == 0 {
        return Ok(state.finish());
    }
    let mut out: Vec<(Job, Pin<Box<Fut>>)> = Vec::with_capacity(MAX_IN_FLIGHT);
    out.push((Job::Start, Box::pin(fetch(start))));
    state.calls = 1;
    loop {
        for (job, seek) in state.jobs(MAX_IN_FLIGHT - out.len()) {
            out.push((job, Box::pin(fetch(seek))));
        }
        if out.is_empty() {
            // Nothing left to ask that could help (only after inconsistent answers).
            break;
        }
        let (job, answer) = next_done(&mut out).await;
        state.apply(job, answer?)?;
        if state.complete() {
            break;
        }
    }
    Ok(state.finish())
}

/// Waits for the first of the fetches out to finish and takes it out of the list. (No
/// `FuturesUnordered`: the `futures` crate is not a dependency, and the fetches borrow the
/// client, so they cannot be spawned.)
async fn next_done<Fut: Future>(out: &mut Vec<(Job, Pin<Box<Fut>>)>) -> (Job, Fut::Output) {
    poll_fn(|cx| {
        for i in 0..out.len() {
            if let Poll::Ready(answer) = out[i].1.as_mut().poll(cx) {
                let (job, _) = out.swap_remove(i);
                return Poll::Ready((job, answer));
            }
        }
        Poll::Pending
    })
    .await
}

/// Milliseconds since the epoch.
type Ms = i64;

/// What a fetch was for.
#[derive(Clone, Copy, Debug)]
enum Job {
    /// The start frame.
    Start,
    /// The predecessor of the known frame at this time.
    Walk(Ms),
    /// The newest frame at or before this time.
    Anchor(Ms),
}

/// A known frame.
struct Node {
    image: Image,
    /// Its prev token, until it is walked.
    prev: Option<String>,
    /// No frame lies in `(timestamp, clear_to)`: what the query that found it proves.
    clear_to: Ms,
    below: Below,
    /// Anchors that answered this frame.
    anchored: usize,
}

/// What is known of the frame before a known frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Below {
    /// Its predecessor is not asked for yet.
    Open,
    /// Its predecessor is being fetched.
    Walking,
    /// Its predecessor is known: the frame at that time, or none (it is the oldest).
    Known(Option<Ms>),
}

/// A known frame as the planner sees it, newest first.
struct Slot {
    at: Ms,
    below: Below,
    walkable: bool,
    /// Its estimated position among all frames from the start (0 = the start frame).
    rank: usize,
    /// The next older known frame, and how far up from it nothing is (its `clear_to`).
    next: Option<Ms>,
    next_clear: Ms,
    /// The estimated number of unknown frames between it and `next`.
    gap: usize,
}

/// A stretch one run would walk alone, which anchors may split.
struct Stretch {
    /// The frame the run walks down from, or the start bound while the start is out.
    head: Ms,
    virtual_head: bool,
    /// Frames to find (the head excluded, except for a virtual head).
    frames: usize,
    /// The run ends on a known frame (one more call), whose `clear_to` this is.
    floor: Option<Ms>,
    /// Its first fetch is out already.
    busy: bool,
}

/// What a walk knows and has asked so far.
struct State {
    count: usize,
    /// Frames must be older than this (exclusive); `None` from `Newest`.
    bound: Option<Ms>,
    /// The start frame's time, once it is known.
    top: Option<Ms>,
    /// The start answered that there is no frame.
    empty: bool,
    start_out: bool,
    nodes: BTreeMap<Ms, Node>,
    /// Spacings of proven neighbours, for the cadence.
    spacings: Vec<Ms>,
    hint: Option<f64>,
    calls: usize,
    anchors_out: usize,
    /// Anchors that found no frame, or one already known.
    wasted: usize,
    /// Anchors placed by the hint before any spacing was measured.
    hinted: usize,
}

impl State {
    fn new(start: &Seek, count: usize, hint: Option<Duration>) -> Self {
        let bound = match start {
            Seek::Before(t) => Some(t.as_millis()),
            Seek::AtOrBefore(t) => Some(t.as_millis().saturating_add(1)),
            Seek::Newest | Seek::Prev(_) => None,
        };
        State {
            count,
            bound,
            top: None,
            empty: false,
            start_out: true,
            nodes: BTreeMap::new(),
            spacings: Vec::new(),
            hint: hint.map(|h| (h.as_secs_f64() * 1000.0).clamp(MIN_CADENCE_MS, MAX_CADENCE_MS)),
            calls: 0,
            anchors_out: 0,
            wasted: 0,
            hinted: 0,
        }
    }

    /// The cadence in ms: the median spacing measured so far, else the hint.
    fn cadence(&self) -> Option<f64> {
        if self.spacings.is_empty() {
            return self.hint;
        }
        let mut sorted = self.spacings.clone();
        sorted.sort_unstable();
        // The lower median: a recording gap is a long spacing, never a short one.
        let median = sorted[(sorted.len() - 1) / 2] as f64;
        Some(median.clamp(MIN_CADENCE_MS, MAX_CADENCE_MS))
    }

    /// Takes in one answer.
    fn apply(&mut self, job: Job, frame: Option<Frame>) -> Result<(), Error> {
        let at = frame.as_ref().map(|f| f.image.timestamp.as_millis());
        if let (Some(at), Some(bound)) = (at, self.bound)
            && at >= bound
        {
            return Err(Error::Decode(
                "EEN answered a frame after the time asked".into(),
            ));
        }
        match job {
            Job::Start => {
                self.start_out = false;
                match frame {
                    None => self.empty = true,
                    Some(frame) => {
                        self.top = at;
                        let at = self.insert(frame, self.bound.unwrap_or(Ms::MAX));
                        // Anchors that found the start frame before it came were no help.
                        self.wasted += self.nodes.get(&at).map_or(0, |n| n.anchored);
                    }
                }
            }
            Job::Walk(above) => {
                if let Some(node) = self.nodes.get_mut(&above) {
                    node.below = Below::Known(at);
                }
                if let (Some(frame), Some(at)) = (frame, at) {
                    if at >= above {
                        return Err(Error::Decode(
                            "EEN's previous frame is not older than its successor".into(),
                        ));
                    }
                    self.spacings.push(above - at);
                    self.insert(frame, above);
                }
            }
            Job::Anchor(target) => {
                self.anchors_out -= 1;
                let (Some(frame), Some(at)) = (frame, at) else {
                    self.wasted += 1;
                    return Ok(());
                };
                if at > target {
                    return Err(Error::Decode(
                        "EEN answered a frame after the time asked".into(),
                    ));
                }
                if self.nodes.contains_key(&at) {
                    self.wasted += 1;
                }
                self.insert(frame, target.saturating_add(1));
                if let Some(node) = self.nodes.get_mut(&at) {
                    node.anchored += 1;
                }
            }
        }
        Ok(())
    }

    fn insert(&mut self, frame: Frame, clear_to: Ms) -> Ms {
        let at = frame.image.timestamp.as_millis();
        let node = self.nodes.entry(at).or_insert_with(|| Node {
            below: if frame.prev.is_some() {
                Below::Open
            } else {
                Below::Known(None)
            },
            image: frame.image,
            prev: frame.prev,
            clear_to,
            anchored: 0,
        });
        node.clear_to = node.clear_to.max(clear_to);
        at
    }

    /// The frames from the start down, as far as each is proven to follow the one above.
    fn proven(&self) -> impl Iterator<Item = Ms> + '_ {
        let mut next = if self.empty { None } else { self.top };
        std::iter::from_fn(move || {
            let at = next?;
            next = match self.nodes.get(&at).map(|n| n.below) {
                Some(Below::Known(Some(below))) if self.nodes.contains_key(&below) => Some(below),
                _ => None,
            };
            Some(at)
        })
    }

    /// Whether the answer is known: `count` proven frames, or the proven ones end at the
    /// oldest frame (or there is none).
    fn complete(&self) -> bool {
        if self.empty {
            return true;
        }
        let Some(last) = self.proven().take(self.count).last() else {
            return false;
        };
        self.proven().take(self.count).count() == self.count
            || matches!(self.nodes[&last].below, Below::Known(_))
    }

    fn finish(mut self) -> Walked {
        let proven: Vec<Ms> = self.proven().take(self.count).collect();
        let frames = proven
            .into_iter()
            .filter_map(|at| self.nodes.remove(&at).map(|n| n.image))
            .collect();
        Walked {
            frames,
            cadence: self
                .cadence()
                .map(|ms| Duration::from_secs_f64(ms / 1000.0)),
        }
    }

    /// The known frames, newest first, with estimated ranks and gaps.
    fn slots(&self) -> Vec<Slot> {
        let cadence = self.cadence();
        let desc: Vec<(&Ms, &Node)> = self.nodes.iter().rev().collect();
        // While the start is out, frames may be above the newest one known.
        let mut extra = match (self.top, self.bound, cadence, desc.first()) {
            (None, Some(bound), Some(c), Some((_, first))) => between(bound, first.clear_to, c),
            _ => 0,
        };
        let mut slots = Vec::with_capacity(desc.len());
        for (i, &(&at, node)) in desc.iter().enumerate() {
            let next = desc.get(i + 1);
            let gap = match (node.below, next, cadence) {
                (Below::Open | Below::Walking, Some((_, below)), Some(c)) => {
                    between(at, below.clear_to, c)
                }
                _ => 0,
            };
            slots.push(Slot {
                at,
                below: node.below,
                walkable: node.prev.is_some(),
                rank: i + extra,
                next: next.map(|&(&t, _)| t),
                next_clear: next.map_or(Ms::MIN, |(_, n)| n.clear_to),
                gap,
            });
            extra += gap;
        }
        slots
    }

    /// The calls a walk plans at most: `count` frames and up to `MAX_IN_FLIGHT` more, plus
    /// as many as anchors wasted (up to `MAX_IN_FLIGHT - 1`): an anchor that finds a frame
    /// already known, as where a recording gap swallows the times of several, leaves one run
    /// to walk the rest alone unless others take over.
    fn budget(&self) -> usize {
        // Frames found beyond the `count` newest (by a wrong cadence) were wasted too.
        let beyond = self.slots().iter().filter(|s| s.rank >= self.count).count();
        // So were anchors placed by a hint that measurement then contradicted.
        let misplaced = match (self.hint, self.spacings.is_empty(), self.cadence()) {
            (Some(hint), false, Some(measured))
                if measured / hint > 1.5 || hint / measured > 1.5 =>
            {
                self.hinted
            }
            _ => 0,
        };
        let refund = (self.wasted + beyond + misplaced).min(MAX_REFUNDED);
        self.count.saturating_add(MAX_IN_FLIGHT + refund)
    }

    /// The fetches to start now, at most `free`: first the predecessors of frames that may be
    /// among the `count` newest, then anchors when a run is long and calls are left.
    fn jobs(&mut self, free: usize) -> Vec<(Job, Seek)> {
        let mut jobs = Vec::new();
        if free == 0 || self.complete() {
            return jobs;
        }
        // The proven run's last frame is always walked; other runs' frames only while the
        // budget lasts (their ranks are estimates).
        let last_proven = self.proven().last();
        let budget = self.budget();
        for slot in self.slots() {
            if jobs.len() == free {
                break;
            }
            let needed = Some(slot.at) == last_proven || self.calls + jobs.len() < budget;
            if slot.below == Below::Open
                && slot.walkable
                && slot.rank + 1 < self.count
                && needed
                && let Some(node) = self.nodes.get_mut(&slot.at)
                && let Some(token) = node.prev.take()
            {
                node.below = Below::Walking;
                jobs.push((Job::Walk(slot.at), Seek::Prev(token)));
            }
        }
        self.calls += jobs.len();
        if jobs.len() < free && self.anchors_out == 0 {
            let anchors = self.anchors(free - jobs.len());
            if self.spacings.is_empty() {
                self.hinted += anchors.len();
            }
            self.calls += anchors.len();
            self.anchors_out += anchors.len();
            jobs.extend(anchors);
        }
        jobs
    }

    /// Stretches that runs still have to walk.
    fn stretches(&self) -> Vec<Stretch> {
        if self.nodes.is_empty() {
            // Only the start is out: with a bound, the anchors can go out beside it.
            return match self.bound {
                Some(bound) if self.start_out => vec![Stretch {
                    head: bound,
                    virtual_head: true,
                    frames: self.count,
                    floor: None,
                    busy: true,
                }],
                _ => Vec::new(),
            };
        }
        self.slots()
            .into_iter()
            .filter(|s| matches!(s.below, Below::Open | Below::Walking) && s.rank + 1 < self.count)
            .filter_map(|s| {
                let room = self.count - 1 - s.rank;
                let ends_on_known = s.next.is_some() && s.gap < room;
                let frames = if ends_on_known { s.gap } else { room };
                (frames > 0 || ends_on_known).then_some(Stretch {
                    head: s.at,
                    virtual_head: false,
                    frames,
                    floor: ends_on_known.then_some(s.next_clear),
                    busy: s.below == Below::Walking,
                })
            })
            .collect()
    }

    /// Anchors splitting the longest stretch, so that its runs end in the fewest round
    /// trips, within `free` slots and the call budget.
    fn anchors(&self, free: usize) -> Vec<(Job, Seek)> {
        let Some(cadence) = self.cadence() else {
            return Vec::new();
        };
        if self.top.is_none() && !self.nodes.is_empty() {
            return Vec::new();
        }
        // Anchors placed by the hint alone that were wasted say the hint (or the bet that
        // the start frame is near the bound) was wrong: measure before betting again.
        if self.spacings.is_empty() && self.wasted > 0 {
            return Vec::new();
        }
        let stretches = self.stretches();
        // Calls still needed as things stand: each stretch's frames, plus one for each run
        // that ends on a known frame, less the fetches already out.
        let needed: usize = stretches
            .iter()
            .map(|s| s.frames + usize::from(s.floor.is_some()) - usize::from(s.busy))
            .sum();
        // One call of margin: the estimate can be a frame short where jitter puts a frame
        // right at an anchor's time.
        let affordable = self.budget().saturating_sub(self.calls + needed + 1);
        let mut by_cost: Vec<&Stretch> = stretches.iter().collect();
        by_cost.sort_by_key(|s| std::cmp::Reverse(s.cost(0)));
        let Some(&longest) = by_cost.first() else {
            return Vec::new();
        };
        let second = by_cost.get(1).map_or(0, |s| s.cost(0));
        // Each anchor costs one call net: its own, plus the run above ending on it, less the
        // frame it finds. Each run must have a frame of its own.
        let most = free.min(affordable).min(longest.frames.saturating_sub(1));
        let best = (0..=most)
            .min_by_key(|&k| (longest.cost(k), k))
            .unwrap_or(0);
        // Only worth a call if the walk as a whole ends sooner.
        if best == 0 || longest.cost(best).max(second) >= longest.cost(0) {
            return Vec::new();
        }
        longest
            .offsets(best)
            .into_iter()
            .filter_map(|offset| {
                // The `offset+1`-th frame below a real head; frame number `offset` (0 = the
                // start) below a bound, which is up to one cadence above the start frame.
                let depth = if longest.virtual_head {
                    offset as f64 - 0.5
                } else {
                    offset as f64 + 0.5
                };
                let target = longest.head.saturating_sub((depth * cadence).round() as Ms);
                (target < longest.head && longest.floor.is_none_or(|floor| target >= floor)).then(
                    || {
                        let seek = Seek::AtOrBefore(EenTimestamp::from_millis(target));
                        (Job::Anchor(target), seek)
                    },
                )
            })
            .collect()
    }
}

impl Stretch {
    /// Round trips until its runs end with `k` anchors: `k + 1` runs, each but the last (or
    /// every one, when the stretch ends on a known frame) one call longer than its frames.
    fn cost(&self, k: usize) -> usize {
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

/// The estimated number of frames older than the frame at `upper` and newer than `clear`, at
/// one per `cadence` ms. Where `clear` falls on a frame's time, jitter decides whether that
/// frame is inside; the estimate then says no: a frame too few makes a walk start a frame
/// early, a frame too many would make it wait.
fn between(upper: Ms, clear: Ms, cadence: f64) -> usize {
    if clear >= upper {
        return 0;
    }
    let frames = ((upper - clear) as f64 / cadence - 0.1).floor();
    if frames > 0.0 { frames as usize } else { 0 }
}

#[cfg(test)]
mod tests;
