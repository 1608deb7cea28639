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
//! A hard cap: a walk of `count` frames makes at most `count + MAX_IN_FLIGHT` calls (25 for
//! 20). Every call beyond a frame of the answer is *overhead*, and each anchor costs exactly
//! one, whatever it finds (the call of the run that ends on it, or itself when it finds a
//! frame already known, none, or one beyond the `count` newest); the only other overhead is
//! walking to frames beyond the window. So a walk sends at most [`MAX_ANCHORS`] anchors in
//! all, and a run whose frames' ranks are uncertain walks only while the overhead left
//! covers that walk going beyond the window. Ranks are bounded from what the answers prove:
//! frames sit within 30 % of a cadence of their slots, so a span holds at most its length
//! over the shortest cadence the measured spacings allow, plus that jitter. A hint is never
//! trusted for that bound; the start's and the anchors' answers bound the cadence from below
//! until spacings are measured.
//!
//! Round trips, as the unit tests measure them (max over 40 recordings × 5 starts at each
//! cadence 0.25, 1, 4, 16 s): frames 5 ms off their slots and the right hint, 6 from
//! [`Seek::Newest`] and from [`Seek::Before`] a frame's time (7–8 half-way between frames;
//! the first wave's last anchor waits for a spacing to check the hint: five from `Before`
//! would need walks from anchors placed by an unchecked hint, which a hint 3× too long turns
//! into calls beyond the cap); frames up to 30 % off their slots as the simulator's, ≤ 8
//! with the right hint (mean 6.4), ≤ 10 without one (mean 8.2: one spacing is up to 30 %
//! off, so the first wave has two anchors and the rest wait for more spacings). A wrong
//! hint, a recording gap or a start far after the newest frame: ≤ 13, and ≤ 16 for a hint
//! three or more times too long (the first anchors land beyond the window and leave one).
//! A walk never has more than [`MAX_IN_FLIGHT`] fetches out.
//!
//! From `Newest`, a walk can be given the chain of frames the last such walk proved
//! (`chain`): it walks down from the new newest frame until an answer is the chain's newest
//! frame, and the rest of the page comes from the chain, without calls or JPEGs; `k` new
//! frames cost `k + 1` calls and as many round trips (anchors only when the new part is
//! longer than half a page). A chain the answers contradict is dropped. The cadence is
//! kept in `cadence`, the chain in `chain`.
//!
//! From any start, a walk can be given the frames the camera's last walk found (`context`):
//! a line fitted over them (`line`) aims the anchors half-way between predicted frames, so
//! frames 30 % off their slots still let each land on the frame meant, and all four go out
//! with the start. Once a proven spacing agrees with it (the start frame below a bound that
//! is a context frame, as on the page after a page), it also bounds ranks, so that the runs
//! from the anchors walk at once. An answer where it predicts no frame drops it. The page
//! after a page then takes 5 round trips (sim jitter, every cadence 0.25–16 s, 24 calls),
//! where the hint alone took 6–8.

use std::collections::BTreeMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use crate::een::{Error, Image, Listed};
use crate::timestamp::EenTimestamp;

/// Most fetches a walk has out at once. It matches the page's 5-permit fetch
/// (`cache::PAGE_FETCH_PERMITS`): a camera page asks EEN for no more images at a time
/// whether it fetches them or walks to find them.
pub(crate) const MAX_IN_FLIGHT: usize = 5;

/// Most anchors one walk sends, in all its waves. Each costs exactly one call beyond the
/// frames it helps find (the call of the run that ends on it, or itself when it finds a
/// frame already known, none, or one beyond the `count` newest), so anchors and walks
/// beyond the window together stay within `MAX_IN_FLIGHT` calls: one is kept for the walks
/// whose rank is uncertain (see [`State::jobs`]).
const MAX_ANCHORS: usize = MAX_IN_FLIGHT - 1;

/// How far off a hint may be when no spacing is measured yet and the anchors' answers do
/// not contradict it: a hint is a cadence measured over a whole page by an earlier walk.
const HINT_UNCERTAINTY: f64 = 0.1;

/// The uncertainty of a cadence measured from one spacing: a frame is up to 30 % of the
/// cadence off its slot (`sim::timeline`, and what real cameras do), so one spacing is
/// within ±30 % of the cadence.
const ONE_SPACING_UNCERTAINTY: f64 = 0.3;

/// The spread of a frame's time around its slot, as a share of the cadence: frames in a
/// span of `L` ms number at most `L / cadence + JITTER`.
const JITTER: f64 = 0.3;

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
    /// Newest first, distinct, consecutive (no frame missing between two), at most `count`;
    /// with their JPEGs, but for those the remembered chain supplied.
    pub(crate) frames: Vec<Listed>,
    /// The frame spacing this walk measured (median, within 0.25–16 s), else the hint: for
    /// the caller to pass next time.
    pub(crate) cadence: Option<Duration>,
}

/// Finds the `count` newest frames from `start` ([`Seek::Newest`], or [`Seek::Before`] a
/// time), newest first, through `fetch` (`Ok(None)`: no such frame, a 404).
///
/// `chain` is the newest frames an earlier walk from `Newest` found (newest first; used only
/// from `Newest`; see the module doc). `context` is the frames the camera's last walk found
/// (newest first, from any start; they only aim anchors and bound ranks, see `line`).
/// `cadence_hint` is the spacing of the camera's frames
/// as an earlier walk measured it;
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
    chain: &[EenTimestamp],
    context: &[EenTimestamp],
    fetch: F,
) -> Result<Walked, Error>
where
    F: Fn(Seek) -> Fut,
    Fut: Future<Output = Result<Option<Frame>, Error>>,
{
    let mut state = State::new(&start, count, cadence_hint);
    let chain = if start == Seek::Newest { chain } else { &[] };
    state.learn(context, chain);
    state.remember(chain);
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
        // Every answer in before planning: answers that come together are planned together.
        for (job, answer) in next_done(&mut out).await {
            state.apply(job, answer?)?;
        }
        if state.complete() {
            break;
        }
    }
    Ok(state.finish())
}

/// Waits for fetches out to finish and takes those that did out of the list, in the order
/// they were sent. (No `FuturesUnordered`: the `futures` crate is not a dependency, and the
/// fetches borrow the client, so they cannot be spawned.)
async fn next_done<Fut: Future>(out: &mut Vec<(Job, Pin<Box<Fut>>)>) -> Vec<(Job, Fut::Output)> {
    poll_fn(|cx| {
        let mut done = Vec::new();
        let mut i = 0;
        while i < out.len() {
            if let Poll::Ready(answer) = out[i].1.as_mut().poll(cx) {
                let (job, _) = out.remove(i);
                done.push((job, answer));
            } else {
                i += 1;
            }
        }
        if done.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(done)
        }
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
    /// The predecessor of the known frame at this time; `true` when that frame's rank is
    /// uncertain, so the answer may lie beyond the `count` newest (see [`State::jobs`]).
    Walk(Ms, bool),
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
    /// A frame of the chain an earlier walk proved (see [`walk`]): no JPEG, no prev token.
    remembered: bool,
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
    /// The most its position can be, as far as the cadence is known (`usize::MAX`: unknown).
    rank_hi: usize,
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
    /// Anchors sent so far, in all waves (at most [`MAX_ANCHORS`]).
    anchors_sent: usize,
    /// Anchors that found no frame, or one already known.
    wasted: usize,
    /// How far below its time each anchor that found a new frame found it: with a hint and
    /// no spacing yet, the only sign of whether the hint is right.
    residuals: Vec<Ms>,
    /// Uncertain walks out (see [`Job::Walk`]).
    risky_out: usize,
    /// What each uncertain walk that came back answered (the frame, or for none the frame
    /// walked from): it cost nothing beyond its frame once that is among the proven ones.
    risky: Vec<Ms>,
    /// The newest and oldest frame of the remembered chain, while it holds.
    chain: Option<(Ms, Ms)>,
    /// The line fitted over the context (see [`line`]), while the answers agree with it.
    line: Option<Line>,
    /// How many of `spacings` (the first) came with the context.
    context_spacings: usize,
    /// The context's spacings, until this walk confirms the line.
    context_pending: Vec<Ms>,
    /// A spacing this walk proved agrees with the line: it may bound ranks.
    line_confirmed: bool,
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
            anchors_sent: 0,
            wasted: 0,
            residuals: Vec::new(),
            risky_out: 0,
            risky: Vec::new(),
            chain: None,
            line: None,
            context_spacings: 0,
            context_pending: Vec::new(),
            line_confirmed: false,
        }
    }

    /// Takes in one answer.
    fn apply(&mut self, job: Job, frame: Option<Frame>) -> Result<(), Error> {
        let at = frame.as_ref().map(|f| f.image.timestamp.as_millis());
        self.check_chain(job, at);
        if let Some(at) = at {
            self.check_line(job, at);
        }
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
                        if let (Some(bound), Some(at)) = (self.bound, at) {
                            self.residuals.push(bound - 1 - at);
                        }
                        let at = self.insert(frame, self.bound.unwrap_or(Ms::MAX));
                        // Anchors that found the start frame before it came were no help.
                        self.wasted += self.nodes.get(&at).map_or(0, |n| n.anchored);
                    }
                }
            }
            Job::Walk(above, risky) => {
                if let Some(node) = self.nodes.get_mut(&above) {
                    node.below = Below::Known(at);
                }
                if risky {
                    self.risky_out -= 1;
                    self.risky.push(at.unwrap_or(above));
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
                } else {
                    self.residuals.push(target - at);
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
        let node = match self.nodes.entry(at) {
            std::collections::btree_map::Entry::Vacant(entry) => entry.insert(Node {
                below: if frame.prev.is_some() {
                    Below::Open
                } else {
                    Below::Known(None)
                },
                image: frame.image,
                prev: frame.prev,
                clear_to,
                anchored: 0,
                remembered: false,
            }),
            std::collections::btree_map::Entry::Occupied(entry) => {
                let node = entry.into_mut();
                if node.remembered {
                    // Fetched after all: its JPEG comes with the page.
                    node.remembered = false;
                    node.image = frame.image;
                    if node.below == Below::Open {
                        node.prev = frame.prev;
                    }
                }
                node
            }
        };
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
            .filter_map(|at| self.nodes.remove(&at))
            .map(|n| Listed {
                timestamp: n.image.timestamp,
                bytes: (!n.remembered).then_some(n.image.bytes),
            })
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
        // The shortest the cadence may be: spans then hold the most frames.
        let shortest = self.shortest();
        let jitter = self.jitter();
        let desc: Vec<(&Ms, &Node)> = self.nodes.iter().rev().collect();
        // While the start is out, frames may be above the newest one known.
        let (mut extra, mut extra_hi) = match (self.top, self.bound, desc.first()) {
            (None, Some(bound), Some((_, first))) => (
                cadence.map_or(0, |c| between(bound, first.clear_to, c)),
                // The bound is no frame: one more may lie just below it.
                shortest.map_or(usize::MAX, |c| {
                    most_between(bound, first.clear_to, c, jitter).saturating_add(1)
                }),
            ),
            _ => (0, 0),
        };
        let mut slots = Vec::with_capacity(desc.len());
        for (i, &(&at, node)) in desc.iter().enumerate() {
            let next = desc.get(i + 1);
            let (gap, gap_hi) = match (node.below, next) {
                (Below::Open | Below::Walking, Some((_, below))) => (
                    cadence.map_or(0, |c| between(at, below.clear_to, c)),
                    // The line, where it predicts, counts the slots; else the cadence.
                    self.trusted_line()
                        .and_then(|line| line.most_between(at, below.clear_to))
                        .or_else(|| shortest.map(|c| most_between(at, below.clear_to, c, jitter)))
                        .unwrap_or(usize::MAX),
                ),
                _ => (0, 0),
            };
            slots.push(Slot {
                at,
                below: node.below,
                walkable: node.prev.is_some() || node.remembered,
                rank: i + extra,
                rank_hi: i.saturating_add(extra_hi),
                next: next.map(|&(&t, _)| t),
                next_clear: next.map_or(Ms::MIN, |(_, n)| n.clear_to),
                gap,
            });
            extra += gap;
            extra_hi = extra_hi.saturating_add(gap_hi);
        }
        slots
    }

    /// Overhead calls spent or at stake: one per anchor sent (see [`MAX_ANCHORS`]), and one
    /// per uncertain walk until its answer is sure to be among the `count` newest (proven,
    /// or by what is known now). Together they stay within `MAX_IN_FLIGHT`, so that a walk
    /// makes at most `count + MAX_IN_FLIGHT` calls.
    fn overhead(&self, slots: &[Slot]) -> usize {
        let proven: Vec<Ms> = self.proven().take(self.count).collect();
        let unresolved = self
            .risky
            .iter()
            .filter(|t| {
                !proven.contains(t)
                    && slots
                        .iter()
                        .find(|s| s.at == **t)
                        .is_none_or(|s| s.rank_hi.saturating_add(1) >= self.count)
            })
            .count();
        self.anchors_sent + self.risky_out + unresolved
    }

    /// The fetches to start now, at most `free`: first the predecessors of frames that may be
    /// among the `count` newest, then anchors when a run is long and calls are left.
    ///
    /// The proven run's last frame is always walked: its predecessor is among the `count`
    /// newest, or the one the run ends on. Another run's frame is walked when even at its
    /// highest possible rank its predecessor is among them; else the walk is *uncertain*
    /// (it may find a frame beyond them, one call more) and goes out only while the overhead
    /// allows one more.
    fn jobs(&mut self, free: usize) -> Vec<(Job, Seek)> {
        let mut jobs = Vec::new();
        if free == 0 || self.complete() {
            return jobs;
        }
        let last_proven = self.proven().last();
        let slots = self.slots();
        let mut overhead = self.overhead(&slots);
        for slot in slots {
            if jobs.len() == free {
                break;
            }
            if slot.below != Below::Open || !slot.walkable || slot.rank + 1 >= self.count {
                continue;
            }
            let sure = Some(slot.at) == last_proven || slot.rank_hi.saturating_add(1) < self.count;
            // An uncertain walk waits for the anchors out: their answers may show a frame
            // that deserves the call more, or the walk's frame beyond the window. A frame
            // that may as well lie two windows down is not worth the bet.
            let hopeless = slot.rank_hi >= 3 * self.count;
            if !sure && (overhead >= MAX_IN_FLIGHT || self.anchors_out > 0 || hopeless) {
                continue;
            }
            let Some(node) = self.nodes.get_mut(&slot.at) else {
                continue;
            };
            // A remembered frame has no token: the newest frame before it is its predecessor.
            let seek = match node.prev.take() {
                Some(token) => Seek::Prev(token),
                None if node.remembered => Seek::Before(node.image.timestamp),
                None => continue,
            };
            node.below = Below::Walking;
            if !sure {
                overhead += 1;
                self.risky_out += 1;
            }
            jobs.push((Job::Walk(slot.at, !sure), seek));
        }
        self.calls += jobs.len();
        if jobs.len() < free && self.anchors_out == 0 {
            let room =
                (MAX_IN_FLIGHT - overhead.min(MAX_IN_FLIGHT)).min(MAX_ANCHORS - self.anchors_sent);
            let anchors = self.anchors(room, free - jobs.len());
            self.calls += anchors.len();
            self.anchors_out += anchors.len();
            self.anchors_sent += anchors.len();
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
                })
            })
            .collect()
    }

    /// Anchors splitting the longest stretch, so that its runs end in the fewest round
    /// trips, within `free` slots and the call budget.
    fn anchors(&self, room: usize, free: usize) -> Vec<(Job, Seek)> {
        let Some(cadence) = self.cadence() else {
            return Vec::new();
        };
        if self.top.is_none() && !self.nodes.is_empty() {
            return Vec::new();
        }
        // Down to a remembered chain, a run alone costs the fewest calls: anchors only when
        // the new part is long (the camera was not viewed for a while).
        if let (Some((newest, _)), Some(top)) = (self.chain, self.top)
            && between(top, newest.saturating_add(1), cadence) < self.count / 2
        {
            return Vec::new();
        }
        // Anchors placed by the hint alone that were wasted say the hint (or the bet that
        // the start frame is near the bound) was wrong: measure before betting again.
        // Likewise a second wave: the first one's answers may say the hint is wrong.
        if self.spacings.is_empty() && (self.wasted > 0 || self.anchors_sent > 0) {
            return Vec::new();
        }
        let Some(uncertainty) = self.uncertainty() else {
            return Vec::new();
        };
        // The less sure the cadence, the fewer anchors go out at once: anchors far down,
        // placed by a cadence 30 % off, land on the same frames as others or beyond the
        // window, and each costs a call whatever it finds. The rest go out once the runs
        // have measured more spacings.
        let wave = if self.line.is_some() {
            // Aimed by a line, they land where meant (or the answers drop the line).
            MAX_ANCHORS
        } else if uncertainty >= 0.25 {
            2
        } else if uncertainty >= 0.12 || self.spacings.is_empty() {
            // Anchors placed by a hint alone leave two calls for walks from them that may
            // go beyond the window, until a spacing checks the hint.
            3
        } else {
            MAX_ANCHORS
        };
        let stretches = self.stretches();
        // Anchors go one by one to the stretch that takes longest, as long as that makes it
        // shorter; each run must have a frame of its own.
        let before = stretches.iter().map(|s| s.cost(0)).max().unwrap_or(0);
        let mut split = vec![0; stretches.len()];
        // Planned as if all anchors the overhead allows went out now; then only the `wave`
        // newest go, and the deepest wait: the run above them has the fewest frames left.
        for _ in 0..room {
            let Some((i, s)) = stretches
                .iter()
                .enumerate()
                .max_by_key(|(i, s)| (s.cost(split[*i]), std::cmp::Reverse(*i)))
            else {
                break;
            };
            let k = split[i];
            if k + 1 >= s.frames || s.cost(k + 1) >= s.cost(k) {
                break;
            }
            split[i] += 1;
        }
        let after = stretches
            .iter()
            .zip(&split)
            .map(|(s, &k)| s.cost(k))
            .max()
            .unwrap_or(0);
        // Only worth calls if the walk as a whole ends sooner.
        if after >= before {
            return Vec::new();
        }
        let mut anchors: Vec<(Job, Seek)> = stretches
            .iter()
            .zip(split)
            .flat_map(|(s, k)| s.anchors(k, cadence, self.line.as_ref()))
            .collect();
        anchors.sort_by_key(|(job, _)| match job {
            Job::Anchor(target) => std::cmp::Reverse(*target),
            _ => std::cmp::Reverse(Ms::MIN),
        });
        anchors.truncate(wave.min(free));
        anchors
    }
}

mod cadence;
mod chain;
mod line;
mod stretch;

use cadence::{between, most_between};
use line::Line;

/// Fewest frames a walk must have found for the next one to take them as its `context`.
pub(crate) use line::MIN_FRAMES as CONTEXT_FRAMES;

#[cfg(test)]
mod tests;
