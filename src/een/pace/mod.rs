//! One pace for every request to EEN, learnt from EEN's 429s.
//!
//! EEN publishes no rate limit (spec §8), so the pace starts unlimited. A 429 shows where the
//! limit is: the requests EEN accepted over the last second. The pace drops to 90 % of that
//! (once per second, since the requests in flight when the limit hit are all refused
//! together), and `Retry-After` holds every request back, not just the one refused. After
//! [`CALM`] without a 429, the pace rises by 5 % a second up to just under the rate EEN
//! accepted when it refused, and settles there; only after [`PROBE_AFTER`] does it probe
//! higher (EEN may allow more by then), and far above any rate refused it is lifted.
//! Requests wait for their turn in order; one that gives up waiting (its call's deadline
//! passed) leaves the queue and costs nothing.
//!
//! A paced request waits for two things: its spacing after the last one (1 / rate), and
//! room in the last [`WINDOW`]: no more than the rate's whole number of requests started in
//! any window. EEN's limit is a count over a window, so spacing alone is not enough: the
//! burst in flight when the first 429 came has used the window up, and spaced requests sent
//! at once after the cut would each be refused until that burst ages out of it.
//!
//! Replicas sharing a store (`STORE_URL`) keep one pace between them (`shared`): a pause
//! holds every replica back, and a cut is of what EEN accepted from all of them, each
//! replica keeping its share. No request waits on the store for it: a task syncs with the
//! store a few times a second, and the pace here is all a request consults.

mod shared;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::Error;
use shared::SharedState;

/// Slowest pace: one request every two seconds still shows a page's worth in a minute.
const MIN_RATE: f64 = 0.5;
/// The share of the accepted rate the pace drops to.
const CUT: f64 = 0.9;
/// How long after a 429 the pace stays put before it rises again.
const CALM: Duration = Duration::from_secs(5);
/// The pace's rise per calm second.
const RISE_PER_SEC: f64 = 1.05;
/// For this long after a 429 the pace rises no higher than just under the rate EEN accepted
/// then, so it settles below the limit instead of probing it every few seconds; after it, it
/// probes above (EEN may allow more by then).
const PROBE_AFTER: Duration = Duration::from_secs(60);
/// How close under the refused rate the pace settles.
const SETTLE: f64 = 0.95;
/// Above this many times the last refused rate, the pace is lifted.
const LIFT_AT: f64 = 4.0;
/// Longest `Retry-After` honoured: a broken header must not stop the gallery for hours.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// The window over which the rate EEN sees is measured.
const WINDOW: Duration = Duration::from_secs(1);
/// How much longer than [`WINDOW`] a start counts against the room in it: a request reaches
/// EEN a little after it starts (a connection to open, a busy machine), so two starts a
/// window apart may arrive less than a window apart.
const SLACK: Duration = Duration::from_millis(50);

/// The pace of every request to EEN; one per connection pool.
#[derive(Debug, Default)]
pub(crate) struct Pace {
    /// Waiters take turns in order (tokio's mutex is fair and cancel-safe).
    turn: tokio::sync::Mutex<()>,
    state: Mutex<State>,
    /// Wakes the task syncing with the store when a 429 taught something to share (its
    /// own handle, so that the task waits without keeping the pace alive).
    learnt: Arc<Notify>,
    /// Set once the pace is shared through a store.
    shared: OnceLock<()>,
}

#[derive(Debug, Default)]
struct State {
    /// Requests per second, `None` while unlimited.
    rate: Option<f64>,
    /// The rate EEN accepted over the window when it last refused.
    refused_at: Option<f64>,
    last_cut: Option<Instant>,
    /// The rate before the last cut (`None`: unlimited).
    before_cut: Option<f64>,
    /// Whether the last cut was made here, from this replica's own answers (not taken from
    /// the store).
    cut_here: bool,
    last_rise: Option<Instant>,
    paused_until: Option<Instant>,
    last_start: Option<Instant>,
    /// Starts of every request (whatever its answer) within the last [`WINDOW`] and
    /// [`SLACK`], oldest first: the room left in the window.
    starts: VecDeque<Instant>,
    /// Starts, within the last [`WINDOW`], of requests EEN accepted (answered other than 429).
    accepted: VecDeque<Instant>,
    waits: u64,
    waited: Duration,
    rate_limited: u64,
    refused_turns: u64,
    /// Requests waiting for their turn now.
    waiting: u64,
    /// With a store: what is shared, and what is still to be.
    shared: Option<SharedState>,
}

/// What the pace is doing, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PaceStats {
    /// Requests per second allowed now; `None`: unlimited.
    pub rate: Option<f64>,
    /// Requests that had to wait for their turn.
    pub waits: u64,
    /// Time spent waiting, summed over requests.
    pub waited: Duration,
    /// 429 answers from EEN.
    pub rate_limited: u64,
    /// Requests not sent because their turn would have come after their call's deadline.
    pub refused_turns: u64,
    /// Requests waiting for their turn now.
    pub waiting: u64,
    /// How much longer every request is held back (EEN's `Retry-After`).
    pub paused: Duration,
    /// The pace shared with other replicas through the store; `None` without one.
    pub shared: Option<SharedPaceStats>,
}

/// What the pace shared through the store is doing, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SharedPaceStats {
    /// Whether the last sync with the store succeeded (else this replica paces itself alone
    /// from what it learnt).
    pub up: bool,
    /// The replicas sharing the pace, this one included, as last seen.
    pub replicas: u32,
    /// Rate cuts taken from the store (learnt by any replica).
    pub adopted: u64,
}

impl Pace {
    /// Waits until a request may start now; when it started, for [`Pace::answered`].
    /// [`Error::RateLimited`] at once when its turn would come after `deadline`.
    pub(crate) async fn admit(&self, deadline: Option<Instant>) -> Result<Instant, Error> {
        let _waiting = Waiting::new(self);
        let _turn = self.turn.lock().await;
        let asked = Instant::now();
        loop {
            let now = Instant::now();
            let next = self.lock().next_start(now);
            match next {
                Some(at) if deadline.is_some_and(|deadline| at >= deadline) => {
                    self.lock().refused_turns += 1;
                    return Err(Error::RateLimited);
                }
                Some(at) if at > now => tokio::time::sleep_until(at).await,
                _ => break,
            }
        }
        let now = Instant::now();
        let mut state = self.lock();
        state.last_start = Some(now);
        state.starts.push_back(now);
        if now > asked {
            state.waits += 1;
            state.waited += now - asked;
        }
        Ok(now)
    }

    /// Learns from the answer to a request that started at `started`: accepted, or refused
    /// with a 429 (`retry_after` when EEN said how long to wait).
    pub(crate) fn answered(&self, started: Instant, refused: bool, retry_after: Option<Duration>) {
        let now = Instant::now();
        let mut state = self.lock();
        state.prune(now);
        if !refused {
            if now - started < WINDOW {
                state.accepted.push_back(started);
                state.recount(now, started);
            }
            return;
        }
        state.rate_limited += 1;
        if let Some(shared) = &mut state.shared {
            shared.refused = true;
            shared.paused |= retry_after.is_some();
            self.learnt.notify_one();
        }
        if let Some(wait) = retry_after {
            state.pause(now + wait.min(MAX_PAUSE));
        }
        if state.last_cut.is_some_and(|at| now - at < WINDOW) {
            return;
        }
        let accepted = (state.accepted.len() as f64 / WINDOW.as_secs_f64()).max(MIN_RATE);
        let current = state.rate.unwrap_or(f64::INFINITY).min(accepted);
        state.before_cut = state.rate;
        state.rate = Some((current * CUT).max(MIN_RATE));
        state.refused_at = Some(accepted);
        state.last_cut = Some(now);
        state.cut_here = true;
        state.last_rise = Some(now);
        tracing::info!(
            rate = state.rate,
            "EEN is rate-limiting; slowing every request"
        );
    }

    /// What the pace is doing now.
    pub(crate) fn stats(&self) -> PaceStats {
        let now = Instant::now();
        let state = self.lock();
        PaceStats {
            rate: state.rate,
            waits: state.waits,
            waited: state.waited,
            rate_limited: state.rate_limited,
            refused_turns: state.refused_turns,
            waiting: state.waiting,
            paused: state
                .paused_until
                .map_or(Duration::ZERO, |until| until.saturating_duration_since(now)),
            shared: state.shared.as_ref().map(|shared| SharedPaceStats {
                up: shared.up,
                replicas: shared.replicas,
                adopted: shared.adoptions,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Counts a request as waiting for its turn while it lives (a caller giving up drops it).
struct Waiting<'a>(&'a Pace);

impl<'a> Waiting<'a> {
    fn new(pace: &'a Pace) -> Self {
        pace.lock().waiting += 1;
        Self(pace)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.waiting = state.waiting.saturating_sub(1);
    }
}

impl State {
    /// Holds every request back until `until` (a later pause already set stands).
    fn pause(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Counts again what EEN accepted before the last cut, after an answer that came late
    /// to a request started before it: at the first 429 of a burst, the requests EEN
    /// accepted in the same second may not have been answered yet, and a cut by the ones
    /// answered so far could leave the pace at a fraction of the limit for a minute. Only
    /// raises a cut made here; the store's is refined by the next sync.
    fn recount(&mut self, now: Instant, started: Instant) {
        let Some(cut) = self.last_cut else {
            return;
        };
        if started > cut || now - cut >= WINDOW {
            return;
        }
        if let Some(shared) = &mut self.shared {
            shared.recounted = true;
        }
        if !self.cut_here {
            return;
        }
        let from = cut.checked_sub(WINDOW);
        let seen = self
            .accepted
            .iter()
            .filter(|&&t| t <= cut && from.is_none_or(|from| t > from))
            .count() as f64
            / WINDOW.as_secs_f64();
        if self.refused_at.is_some_and(|refused| seen > refused) {
            let current = self.before_cut.unwrap_or(f64::INFINITY).min(seen);
            self.refused_at = Some(seen);
            self.rate = Some((current * CUT).max(MIN_RATE));
        }
    }

    /// When the next request may start; `None`: now.
    fn next_start(&mut self, now: Instant) -> Option<Instant> {
        self.rise(now);
        self.prune(now);
        let paused = self.paused_until.filter(|&until| until > now);
        let spaced = match (self.rate, self.last_start) {
            (Some(rate), Some(last)) => Some(last + Duration::from_secs_f64(1.0 / rate)),
            _ => None,
        };
        [paused, spaced, self.room(now)].into_iter().flatten().max()
    }

    /// When the window has room for one more start under the rate (`None`: now, or the
    /// rate is below one a second, where the spacing alone keeps it).
    fn room(&self, now: Instant) -> Option<Instant> {
        // Whole requests only: at 10.8 a second, 11 in one window may be one too many.
        let fits = self.rate.filter(|&rate| rate >= 1.0)?.floor() as usize;
        let over = (self.starts.len() + 1).checked_sub(fits)?;
        // The start that has to leave the window before one more fits in it.
        let leaving = *self.starts.get(over.checked_sub(1)?)?;
        Some(leaving + WINDOW + SLACK).filter(|&at| at > now)
    }

    /// Raises the pace after a calm spell, and lifts it far above the refused rate.
    fn rise(&mut self, now: Instant) {
        let (Some(rate), Some(cut), Some(risen)) = (self.rate, self.last_cut, self.last_rise)
        else {
            return;
        };
        // The calm spell itself earns nothing: the rise counts from its end.
        let since = risen.max(cut + CALM);
        if now < since + WINDOW {
            return;
        }
        let secs = (now - since).as_secs_f64();
        let mut raised = rate * RISE_PER_SEC.powf(secs);
        if let Some(refused) = self.refused_at
            && now - cut < PROBE_AFTER
        {
            raised = raised.min((refused * SETTLE).max(rate));
        }
        self.last_rise = Some(now);
        self.rate = match self.refused_at {
            Some(refused) if raised > refused * LIFT_AT => None,
            _ => Some(raised),
        };
    }

    fn prune(&mut self, now: Instant) {
        // Answers come back out of order; the window is only trimmed from its oldest end.
        while self.accepted.front().is_some_and(|&t| now - t >= WINDOW) {
            self.accepted.pop_front();
        }
        while self
            .starts
            .front()
            .is_some_and(|&t| now - t >= WINDOW + SLACK)
        {
            self.starts.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` requests, each answered at once: accepted, or refused after the first `ok`.
    async fn run(pace: &Pace, n: usize, ok: usize) {
        for i in 0..n {
            let started = pace.admit(None).await.unwrap();
            pace.answered(started, i >= ok, None);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_until_a_429_then_spaced_under_the_accepted_rate() {
        let pace = Pace::default();
        let started = Instant::now();
        run(&pace, 20, 20).await;
        assert_eq!(Instant::now(), started, "no wait before any 429");
        assert_eq!(pace.stats().rate, None);

        // EEN accepted 20 in the last second and refuses the next: 18 a second from now on,
        // once the 21 sent this second have left the window.
        run(&pace, 1, 0).await;
        assert_eq!(pace.stats().rate, Some(18.0));
        let before = Instant::now();
        run(&pace, 18, 18).await;
        let took = Instant::now() - before;
        let spacing = Duration::from_secs_f64(1.0 / 18.0);
        assert!(
            took >= WINDOW + SLACK + spacing * 17
                && took <= WINDOW + SLACK + spacing * 18 + Duration::from_millis(20),
            "{took:?}"
        );
        assert_eq!(pace.stats().rate_limited, 1);
        assert!(pace.stats().waits >= 17);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_holds_every_request_back() {
        let pace = Pace::default();
        let started = pace.admit(None).await.unwrap();
        pace.answered(started, true, Some(Duration::from_secs(3)));
        let before = Instant::now();
        pace.admit(None).await.unwrap();
        assert!(Instant::now() - before >= Duration::from_secs(3));
        // A silly Retry-After is capped.
        pace.answered(Instant::now(), true, Some(Duration::from_secs(86_400)));
        let before = Instant::now();
        pace.admit(None).await.unwrap();
        assert!(Instant::now() - before <= MAX_PAUSE + Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_accepted_before_the_cut_but_answered_after_it_raise_it() {
        let pace = Pace::default();
        let mut started = Vec::new();
        for _ in 0..16 {
            started.push(pace.admit(None).await.unwrap());
        }
        // The first answer is a 429: nothing accepted is known yet.
        pace.answered(started[0], true, None);
        assert_eq!(pace.stats().rate, Some(MIN_RATE));
        // Then EEN's answers to the 5 it accepted in that second come in.
        for &at in &started[1..=5] {
            pace.answered(at, false, None);
        }
        assert_eq!(pace.stats().rate, Some(4.5));
        for &at in &started[6..] {
            pace.answered(at, true, None);
        }
        assert_eq!(pace.stats().rate, Some(4.5));
        // A request started after the cut counts for the next one only.
        let later = pace.admit(None).await.unwrap();
        pace.answered(later, false, None);
        assert_eq!(pace.stats().rate, Some(4.5));
    }

    /// `n` requests in flight at once, answered in order: the first `ok` accepted.
    async fn burst(pace: &Pace, n: usize, ok: usize) -> Instant {
        let mut started = Vec::new();
        for _ in 0..n {
            started.push(pace.admit(None).await.unwrap());
        }
        for (i, at) in started.into_iter().enumerate() {
            pace.answered(at, i >= ok, None);
        }
        Instant::now()
    }

    #[tokio::test(start_paused = true)]
    async fn the_requests_refused_together_cut_the_pace_once() {
        let pace = Pace::default();
        burst(&pace, 15, 10).await;
        assert_eq!(pace.stats().rate, Some(9.0));
        assert_eq!(pace.stats().rate_limited, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_cut_requests_wait_until_the_burst_has_left_the_window() {
        // EEN counts what it accepted over a window: the burst used it up, and a request
        // spaced at 9 a second but sent now would be refused too.
        let pace = Pace::default();
        let sent = burst(&pace, 15, 10).await;
        let next = pace.admit(None).await.unwrap();
        assert_eq!(next, sent + WINDOW + SLACK);
    }

    #[tokio::test(start_paused = true)]
    async fn no_more_whole_requests_in_a_window_than_the_rate_allows() {
        // 12 accepted: 10.8 a second. Spaced alone, 11 would start within one second.
        let pace = Pace::default();
        burst(&pace, 13, 12).await;
        assert_eq!(pace.stats().rate, Some(10.8));
        tokio::time::advance(WINDOW + SLACK).await;
        let mut starts = Vec::new();
        for _ in 0..11 {
            let at = pace.admit(None).await.unwrap();
            pace.answered(at, false, None);
            starts.push(at);
        }
        let spacing = Duration::from_secs_f64(1.0 / 10.8);
        assert!(
            starts[9] - starts[0] <= spacing * 9 + Duration::from_millis(10),
            "{starts:?}"
        );
        assert!(starts[10] - starts[0] >= WINDOW + SLACK, "{starts:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_calm_spell_the_pace_rises_and_is_lifted_at_last() {
        let pace = Pace::default();
        run(&pace, 11, 10).await;
        tokio::time::advance(CALM + Duration::from_secs(2)).await;
        pace.admit(None).await.unwrap();
        let risen = pace.stats().rate.expect("still paced");
        assert!(risen > 9.0 && risen < 9.0 * 1.5, "{risen}");
        tokio::time::advance(Duration::from_secs(60)).await;
        pace.admit(None).await.unwrap();
        assert_eq!(pace.stats().rate, None, "lifted far above the refused rate");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_gives_up_costs_nothing() {
        let pace = Pace::default();
        let started = pace.admit(None).await.unwrap();
        pace.answered(started, true, Some(Duration::from_secs(10)));
        let gave_up = tokio::time::timeout(Duration::from_secs(1), pace.admit(None)).await;
        assert!(gave_up.is_err());
        tokio::time::advance(Duration::from_secs(10)).await;
        let before = Instant::now();
        pace.admit(None).await.unwrap();
        assert!(Instant::now() - before <= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_past_the_deadline_is_refused_at_once() {
        let pace = Pace::default();
        let started = pace.admit(None).await.unwrap();
        pace.answered(started, true, Some(Duration::from_secs(10)));
        let before = Instant::now();
        let refused = pace.admit(Some(before + Duration::from_secs(4))).await;
        assert!(matches!(refused, Err(Error::RateLimited)), "{refused:?}");
        assert_eq!(Instant::now(), before, "refused without waiting");
        assert_eq!(pace.stats().refused_turns, 1);
        let later = pace.admit(Some(before + Duration::from_secs(11))).await;
        assert!(later.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_settles_under_the_refused_rate_until_it_probes_again() {
        let pace = Pace::default();
        run(&pace, 11, 10).await;
        assert_eq!(pace.stats().rate, Some(9.0));
        tokio::time::advance(Duration::from_secs(30)).await;
        pace.admit(None).await.unwrap();
        assert_eq!(
            pace.stats().rate,
            Some(10.0 * SETTLE),
            "settled just under 10/s"
        );
        tokio::time::advance(PROBE_AFTER).await;
        pace.admit(None).await.unwrap();
        assert!(
            pace.stats().rate.is_none_or(|rate| rate > 10.0),
            "probes above again"
        );
    }
}
