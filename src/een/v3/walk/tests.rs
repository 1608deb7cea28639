//! The walker against an in-memory recording with `Seek` semantics over a sorted list of
//! frame times. Fetches finish only when the test releases them, so a test decides the
//! order answers arrive in; releasing everything out at once makes one step one round
//! trip, and the number of steps the longest chain of dependent fetches.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::task::{Context, Waker};

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::*;

/// A camera's recording: frame times in ms, ascending, distinct.
struct Recording {
    frames: Vec<Ms>,
    /// Whether the oldest frame still carries a prev token (answered with a 404).
    token_at_the_end: bool,
    /// The call (0-based) that fails, if any.
    fail_call: Option<usize>,
}

#[derive(Default)]
struct Log {
    seeks: Vec<Seek>,
    out: BTreeSet<usize>,
    released: BTreeSet<usize>,
    peak: usize,
    /// The step each fetch was asked in.
    asked_in: Vec<usize>,
    step: usize,
}

struct Camera {
    rec: Recording,
    log: RefCell<Log>,
    /// The chain handed to walks (see `walk::chain`).
    chain: RefCell<Vec<EenTimestamp>>,
    /// The context handed to walks (see `walk::line`).
    context: RefCell<Vec<EenTimestamp>>,
}

struct Outcome {
    result: Result<Walked, Error>,
    calls: usize,
    rounds: usize,
    peak: usize,
}

impl Camera {
    fn new(frames: Vec<Ms>) -> Self {
        Camera {
            rec: Recording {
                frames,
                token_at_the_end: false,
                fail_call: None,
            },
            log: RefCell::default(),
            chain: RefCell::default(),
            context: RefCell::default(),
        }
    }

    fn frame(&self, index: usize) -> Frame {
        let at = self.rec.frames[index];
        Frame {
            image: Image {
                timestamp: EenTimestamp::from_millis(at),
                bytes: Bytes::from(format!("jpeg {at}")),
            },
            // The token names the frame it came with; the walker treats it as opaque.
            prev: (index > 0 || self.rec.token_at_the_end).then(|| format!("p{at}")),
        }
    }

    /// The index of the newest frame for which `keep` holds.
    fn newest(&self, keep: impl Fn(Ms) -> bool) -> Option<usize> {
        self.rec.frames.iter().rposition(|&t| keep(t))
    }

    fn answer(&self, seek: &Seek) -> Option<Frame> {
        let index = match seek {
            Seek::Newest => self.rec.frames.len().checked_sub(1),
            Seek::Before(t) => self.newest(|f| f < t.as_millis()),
            Seek::AtOrBefore(t) => self.newest(|f| f <= t.as_millis()),
            Seek::Prev(token) => {
                let at: Ms = token.strip_prefix('p').unwrap().parse().unwrap();
                self.newest(|f| f < at)
            }
        };
        index.map(|i| self.frame(i))
    }

    async fn fetch(&self, seek: Seek) -> Result<Option<Frame>, Error> {
        let id = {
            let mut log = self.log.borrow_mut();
            let id = log.seeks.len();
            log.seeks.push(seek.clone());
            let step = log.step;
            log.asked_in.push(step);
            log.out.insert(id);
            log.peak = log.peak.max(log.out.len());
            id
        };
        // Leaves `out` when it finishes or is dropped (cancelled).
        struct Out<'a>(&'a RefCell<Log>, usize);
        impl Drop for Out<'_> {
            fn drop(&mut self) {
                self.0.borrow_mut().out.remove(&self.1);
            }
        }
        let _out = Out(&self.log, id);
        poll_fn(|_| {
            if self.log.borrow().released.contains(&id) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        if self.rec.fail_call == Some(id) {
            return Err(Error::Upstream(500));
        }
        Ok(self.answer(&seek))
    }

    /// Runs a walk, releasing in each step all fetches out (`rng` = None) or a random
    /// non-empty part of them.
    fn run(
        &self,
        start: Seek,
        count: usize,
        hint: Option<Duration>,
        mut rng: Option<&mut StdRng>,
    ) -> Outcome {
        let chain = self.chain.borrow().clone();
        let context = self.context.borrow().clone();
        let fut = walk(start, count, hint, &chain, &context, |seek| {
            self.fetch(seek)
        });
        let mut fut = std::pin::pin!(fut);
        let mut cx = Context::from_waker(Waker::noop());
        let mut rounds = 0;
        let result = loop {
            if let Poll::Ready(result) = fut.as_mut().poll(&mut cx) {
                break result;
            }
            let mut log = self.log.borrow_mut();
            let out: Vec<usize> = log.out.iter().copied().collect();
            assert!(!out.is_empty(), "the walk waits for nothing");
            let release: Vec<usize> = match rng.as_deref_mut() {
                None => out,
                Some(rng) => {
                    let some: Vec<usize> = out
                        .iter()
                        .copied()
                        .filter(|_| rng.random_bool(0.5))
                        .collect();
                    if some.is_empty() { vec![out[0]] } else { some }
                }
            };
            log.released.extend(release);
            rounds += 1;
            log.step = rounds;
        };
        let log = self.log.borrow();
        Outcome {
            result,
            calls: log.seeks.len(),
            rounds,
            peak: log.peak,
        }
    }

    /// What the last walk asked, step by step, with frame numbers (0 = the newest frame)
    /// in place of times: for a failing test to show.
    fn trace(&self) -> String {
        let log = self.log.borrow();
        let f = &self.rec.frames;
        let index = |t: Ms| match f.binary_search(&t) {
            Ok(i) => format!("#{}", f.len() - 1 - i),
            Err(i) => format!("<#{}", f.len() - i),
        };
        let mut out = String::new();
        for (seek, step) in log.seeks.iter().zip(&log.asked_in) {
            let what = match seek {
                Seek::Newest => "newest".to_owned(),
                Seek::Before(t) => format!("before {}", index(t.as_millis())),
                Seek::AtOrBefore(t) => format!("anchor {}", index(t.as_millis())),
                Seek::Prev(token) => {
                    let at: Ms = token.strip_prefix('p').unwrap().parse().unwrap();
                    format!("prev of {}", index(at))
                }
            };
            out.push_str(&format!("[{step}] {what}\n"));
        }
        out
    }

    /// The `count` newest frames the start asks for, newest first.
    fn expected(&self, start: &Seek, count: usize) -> Vec<Ms> {
        let bound = match start {
            Seek::Before(t) => t.as_millis(),
            _ => Ms::MAX,
        };
        let mut want: Vec<Ms> = self
            .rec
            .frames
            .iter()
            .copied()
            .filter(|&f| f < bound)
            .collect();
        want.reverse();
        want.truncate(count);
        want
    }

    /// Runs a walk and checks it found exactly the expected frames, with their JPEGs,
    /// with at most MAX_IN_FLIGHT fetches out.
    fn check(
        &self,
        start: Seek,
        count: usize,
        hint: Option<Duration>,
        rng: Option<&mut StdRng>,
    ) -> Outcome {
        let want = self.expected(&start, count);
        let outcome = self.run(start.clone(), count, hint, rng);
        let walked = outcome
            .result
            .as_ref()
            .unwrap_or_else(|e| panic!("{start:?}: {e}"));
        let got: Vec<Ms> = walked
            .frames
            .iter()
            .map(|i| i.timestamp.as_millis())
            .collect();
        assert_eq!(got, want, "{start:?} count {count} hint {hint:?}");
        let chain = self.chain.borrow();
        for frame in &walked.frames {
            let at = frame.timestamp.as_millis();
            match &frame.bytes {
                Some(bytes) => assert_eq!(bytes, &Bytes::from(format!("jpeg {at}"))),
                // Only the chain supplies frames without their JPEG.
                None => assert!(chain.contains(&frame.timestamp), "{at} without a JPEG"),
            }
        }
        assert!(outcome.peak <= MAX_IN_FLIGHT, "peak {}", outcome.peak);
        assert!(self.log.borrow().out.is_empty(), "fetches left out");
        outcome
    }
}

const T0: Ms = 1_700_000_000_000;

/// `n` frames `cadence_ms` apart, each up to `jitter_ms` off, the newest near T0.
fn frames(n: usize, cadence_ms: Ms, jitter_ms: Ms, seed: u64) -> Vec<Ms> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out: Vec<Ms> = (0..n as Ms)
        .map(|i| T0 - i * cadence_ms + rng.random_range(-jitter_ms..=jitter_ms))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn secs(s: f64) -> Option<Duration> {
    Some(Duration::from_secs_f64(s))
}

fn before(at: Ms) -> Seek {
    Seek::Before(EenTimestamp::from_millis(at))
}

/// Starts at a frame's time (as the page after a page does), 1 ms after one, 1 ms
/// before the next, and half-way between.
fn starts(cam: &Camera) -> [Seek; 5] {
    let f = &cam.rec.frames;
    let k = f.len() - 40;
    [
        Seek::Newest,
        before(f[k]),
        before(f[k] + 1),
        before(f[k + 1] - 1),
        before(f[k] + (f[k + 1] - f[k]) / 2),
    ]
}

/// Calls a walk of 20 makes at most, whatever the recording, start and hint.
const MOST_CALLS: usize = 20 + MAX_IN_FLIGHT;

#[test]
fn one_second_cadence_with_jitter_costs_few_calls_and_round_trips() {
    for seed in 0..20 {
        let cam = Camera::new(frames(600, 1000, 5, seed));
        for (i, start) in starts(&cam).into_iter().enumerate() {
            for hint in [None, secs(1.0)] {
                *cam.log.borrow_mut() = Log::default();
                let o = cam.check(start.clone(), 20, hint, None);
                // Without a cadence, two round trips measure it. With one, the anchors
                // from Newest wait for the start frame's time, and from Before the last
                // waits for a spacing to check the hint; half-way between frames, the
                // anchors' times fall within the jitter of frames and may land a frame
                // apart.
                let rounds = match (i, hint) {
                    (_, None) => 7,
                    (4, Some(_)) => 7,
                    (_, Some(_)) => 6,
                };
                assert!(o.calls <= 25, "{start:?} {hint:?}: {} calls", o.calls);
                assert!(
                    o.rounds <= rounds,
                    "{start:?} {hint:?}: {} rounds",
                    o.rounds
                );
                assert_eq!(o.peak, MAX_IN_FLIGHT, "{start:?} {hint:?}");
                let learned = o.result.unwrap().cadence.unwrap();
                assert!((learned.as_secs_f64() - 1.0).abs() < 0.011, "{learned:?}");
            }
        }
    }
}

#[test]
fn a_start_long_after_the_newest_frame() {
    // Anchors sent beside the start bet on frames near the bound; here they all find
    // the start frame, and the walk measures the cadence before betting again.
    for cadence in [250, 1000, 16_000] {
        let cam = Camera::new(frames(600, cadence, 5, 4));
        for hint in [None, secs(cadence as f64 / 1000.0)] {
            *cam.log.borrow_mut() = Log::default();
            let o = cam.check(before(T0 + 60_000), 20, hint, None);
            assert!(
                o.calls <= MOST_CALLS,
                "{cadence} {hint:?}: {} calls",
                o.calls
            );
            assert!(o.rounds <= 12, "{cadence} {hint:?}: {} rounds", o.rounds);
        }
    }
}

#[test]
fn fast_and_slow_cadences_with_a_wrong_hint_are_still_exact() {
    for (cadence, jitter) in [(250, 5), (16_000, 5), (4_000, 40)] {
        let cam = Camera::new(frames(400, cadence, jitter, 7));
        for start in starts(&cam) {
            for hint in [secs(1.0), None, secs(cadence as f64 / 1000.0)] {
                *cam.log.borrow_mut() = Log::default();
                let o = cam.check(start.clone(), 20, hint, None);
                let rounds = if hint == secs(1.0) { 16 } else { 8 };
                assert!(
                    o.calls <= MOST_CALLS,
                    "{cadence} {start:?} {hint:?}: {} calls",
                    o.calls
                );
                assert!(
                    o.rounds <= rounds,
                    "{cadence} {start:?} {hint:?}: {} rounds",
                    o.rounds
                );
                let learned = o.result.unwrap().cadence.unwrap().as_millis() as Ms;
                assert!((learned - cadence).abs() <= 2 * jitter, "{learned}");
            }
        }
    }
}

#[test]
fn a_gap_in_the_recording_inside_the_window() {
    for gap_after in [1, 3, 8, 11, 17] {
        for i in 0..5 {
            // 30 s without frames after the `gap_after`-th frame from the start.
            let mut f = frames(200, 1000, 5, 3);
            let first = if i == 0 { f.len() - 1 } else { f.len() - 41 };
            for t in &mut f[..first - gap_after] {
                *t -= 30_000;
            }
            let cam = Camera::new(f);
            let start = starts(&cam)[i].clone();
            for hint in [None, secs(1.0)] {
                *cam.log.borrow_mut() = Log::default();
                let o = cam.check(start.clone(), 20, hint, None);
                let label = format!("gap after {gap_after}, {start:?} {hint:?}");
                assert!(o.calls <= MOST_CALLS, "{label}: {} calls", o.calls);
                assert!(o.rounds <= 12, "{label}: {} rounds", o.rounds);
            }
        }
    }
}

#[test]
fn fewer_frames_than_asked_gives_all_of_them() {
    for n in [1, 2, 7, 19] {
        for token_at_the_end in [false, true] {
            for hint in [None, secs(1.0), secs(0.25)] {
                let mut cam = Camera::new(frames(n, 1000, 5, n as u64));
                cam.rec.token_at_the_end = token_at_the_end;
                for start in [Seek::Newest, before(T0 + 10_000), before(T0 - 3_500)] {
                    *cam.log.borrow_mut() = Log::default();
                    let o = cam.check(start.clone(), 20, hint, None);
                    assert!(
                        o.calls <= MOST_CALLS,
                        "{n} {start:?} {hint:?}: {} calls",
                        o.calls
                    );
                    assert!(
                        o.calls <= n + 2 * MAX_IN_FLIGHT,
                        "{n} {start:?} {hint:?}: {} calls",
                        o.calls
                    );
                }
            }
        }
    }
}

#[test]
fn nothing_recorded_before_the_start() {
    let cam = Camera::new(frames(50, 1000, 5, 1));
    let o = cam.check(before(T0 - 60_000), 20, secs(1.0), None);
    assert!(o.result.unwrap().frames.is_empty());
    assert_eq!(
        Camera::new(Vec::new())
            .check(Seek::Newest, 20, None, None)
            .calls,
        1
    );
}

#[test]
fn small_and_large_counts() {
    let cam = Camera::new(frames(300, 1000, 5, 9));
    for count in [1, 2, 3, 5, 6, 11, 50, 120] {
        for hint in [None, secs(1.0)] {
            *cam.log.borrow_mut() = Log::default();
            let o = cam.check(before(T0 - 999), count, hint, None);
            assert!(
                o.calls <= count + MAX_IN_FLIGHT,
                "{count}: {} calls",
                o.calls
            );
        }
    }
    *cam.log.borrow_mut() = Log::default();
    assert_eq!(cam.check(Seek::Newest, 1, secs(1.0), None).calls, 1);
}

#[test]
fn count_zero_makes_no_call() {
    let cam = Camera::new(frames(10, 1000, 0, 0));
    let o = cam.run(Seek::Newest, 0, secs(2.0), None);
    let walked = o.result.unwrap();
    assert!(walked.frames.is_empty());
    assert_eq!(walked.cadence, secs(2.0));
    assert_eq!((o.calls, o.rounds), (0, 0));
}

#[test]
fn an_error_from_any_fetch_ends_the_walk_with_it() {
    let mut cam = Camera::new(frames(100, 1000, 5, 2));
    for start in [Seek::Newest, before(T0 - 10_500)] {
        for hint in [None, secs(1.0)] {
            *cam.log.borrow_mut() = Log::default();
            let calls = cam.run(start.clone(), 20, hint, None).calls;
            for fail in 0..calls {
                cam.rec.fail_call = Some(fail);
                *cam.log.borrow_mut() = Log::default();
                let o = cam.run(start.clone(), 20, hint, None);
                assert!(matches!(o.result, Err(Error::Upstream(500))), "call {fail}");
                assert!(cam.log.borrow().out.is_empty(), "fetches left out");
            }
            cam.rec.fail_call = None;
        }
    }
}

#[test]
fn answers_that_break_their_query_are_decode_errors() {
    // A recording whose prev token points at a newer frame.
    let cam = Camera::new(frames(30, 1000, 0, 0));
    let newer = |seek: Seek| {
        let mut frame = cam.answer(&seek);
        if let (Seek::Prev(_), Some(f)) = (&seek, frame.as_mut()) {
            f.image.timestamp = f.image.timestamp.add_millis(5_000);
        }
        async move { Ok(frame) }
    };
    let fut = walk(Seek::Newest, 5, None, &[], &[], newer);
    let mut fut = std::pin::pin!(fut);
    let Poll::Ready(result) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("the answers are ready")
    };
    assert!(matches!(result, Err(Error::Decode(_))), "{result:?}");
}

#[test]
fn random_recordings_and_answer_orders() {
    let mut rng = StdRng::seed_from_u64(12);
    for case in 0..300 {
        let cadence = [250, 1000, 1000, 2000, 4000, 16_000][case % 6];
        let mut f = frames(
            rng.random_range(1..120),
            cadence,
            rng.random_range(0..=cadence / 10),
            case as u64,
        );
        // Up to three recording gaps of 1–60 s.
        for _ in 0..rng.random_range(0..=3) {
            let at = rng.random_range(0..f.len());
            let gap = rng.random_range(1_000..60_000);
            for t in &mut f[..at] {
                *t -= gap;
            }
        }
        // Half of the walks are given 20 consecutive frames of the recording (anywhere in
        // it, gaps and all) as the context an earlier walk found.
        let context: Vec<EenTimestamp> = if f.len() >= 20 && rng.random_bool(0.5) {
            let at = rng.random_range(20..=f.len());
            f[at - 20..at]
                .iter()
                .rev()
                .map(|&t| EenTimestamp::from_millis(t))
                .collect()
        } else {
            Vec::new()
        };
        let mut cam = Camera::new(f);
        *cam.context.borrow_mut() = context;
        cam.rec.token_at_the_end = rng.random_bool(0.5);
        let span = (T0 - cam.rec.frames[0]).max(0);
        let start = if rng.random_bool(0.3) {
            Seek::Newest
        } else {
            before(T0 + 1 - rng.random_range(0..=span + 1))
        };
        let hint = match rng.random_range(0..4) {
            0 => None,
            1 => secs(cadence as f64 / 1000.0),
            _ => secs(rng.random_range(0.1..20.0)),
        };
        let count = rng.random_range(1..40);
        let o = cam.check(start, count, hint, Some(&mut rng));
        let most = count + MAX_IN_FLIGHT;
        assert!(
            o.calls <= most,
            "case {case}: {} calls for {count}, hint {hint:?}\n{}",
            o.calls,
            cam.trace()
        );
    }
}

#[test]
fn the_walk_is_send_when_its_fetches_are() {
    fn send<T: Send>(_: &T) {}
    let fut = walk(Seek::Newest, 20, None, &[], &[], |_seek| async { Ok(None) });
    send(&fut);
}

#[test]
fn cadence_is_the_median_spacing_within_bounds() {
    let mut state = State::new(&Seek::Newest, 20, secs(30.0));
    assert_eq!(state.cadence(), Some(MAX_CADENCE_MS));
    state.spacings = vec![1000, 30_000, 990, 1010, 100];
    assert_eq!(state.cadence(), Some(1000.0));
    state.spacings = vec![10];
    assert_eq!(state.cadence(), Some(MIN_CADENCE_MS));
    assert_eq!(State::new(&Seek::Newest, 20, None).cadence(), None);
}

mod chain;
mod families;
