//! One pace for the replicas sharing a store (`STORE_URL`, issue 16): together they stay
//! within EEN's rate limit as one gallery does alone.
//!
//! Each replica keeps its own [`Pace`], which every request consults without a store round
//! trip, and a task syncs it with the store every [`TICK`], or at once after a 429:
//! - **who is here**: each replica checks in to a roll call (`pace:replicas`, lapsing after
//!   [`CHECK_IN_FOR`]) with the requests EEN accepted from it over the last second, so
//!   every replica knows how many share EEN, and the one refused knows what EEN accepted
//!   from all of them together;
//! - **a pause**: a `Retry-After` on one replica is written as `pace:pause`, living as long
//!   as the pause (`SET PX`); every replica holds its requests back until it lapses;
//! - **a cut**: the replica refused writes the rate EEN accepted from all of them as
//!   `pace:refused`, living [`SHARED_FOR`] (its age is what the store's lifetime left says,
//!   so clocks need not agree). The replicas refused in the same second refine it (the
//!   highest of their counts: each is a lower bound, as the others' counts are up to a
//!   tick old). Every replica takes it, its share being an even split by the replicas alive,
//!   and rises from it in step with the others (the rise depends only on the cut and the
//!   time since).
//!
//! Why an even split, not shares by each replica's own traffic: a load balancer spreads
//! viewers evenly, and the shared image cache spreads EEN's fetches with them; an even
//! split can never add up to more than the cut, needs no feedback between the replicas, and
//! a replica idle at the cut is not left starved when viewers reach it. A busy replica may
//! wait while an idle one has room: the price of never overrunning EEN.
//!
//! The store down or slow: the sync fails within the store's timeout (or at once while the
//! store is known down), and the replica paces itself alone from what it learnt, as a
//! single gallery does; it takes part again once the store answers. No EEN request ever
//! waits for the store.

use std::sync::{Arc, Weak};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};

use super::{CUT, MAX_PAUSE, MIN_RATE, Pace, State, WINDOW};
use crate::store::{Store, StoreError, namespace};

/// How often a replica syncs its pace with the store when nothing happens: soon enough
/// that a pause or a cut reaches every replica within a fraction of a second, rare enough
/// to cost the store nothing (two round trips each).
const TICK: Duration = Duration::from_millis(250);

/// How long a replica's check-in counts: a dozen ticks, so a replica slowed by a busy
/// machine is not dropped (its share would go to the others), while one that died stops
/// being counted within seconds.
const CHECK_IN_FOR: Duration = Duration::from_secs(3);

/// How long a cut is kept for replicas to take: past the time the pace settles under the
/// rate refused and probes above it again, by when it is lifted or learnt anew.
const SHARED_FOR: Duration = Duration::from_secs(120);

/// The shared side of the pace of a replica.
#[derive(Debug)]
pub(super) struct SharedState {
    /// The replicas sharing the pace (at least this one). `rate` and `refused_at` are this
    /// replica's share of what all of them may send.
    pub(super) replicas: u32,
    /// Since when the store has counted fewer replicas than `replicas`: fewer are taken
    /// only after [`CHECK_IN_FOR`], so that a store that restarted empty, where the others
    /// check in a tick later, does not double this replica's share meanwhile.
    fewer_since: Option<Instant>,
    /// Whether the last sync with the store succeeded.
    pub(super) up: bool,
    /// A 429 came since the last sync: the store's cut is to be made or refined.
    pub(super) refused: bool,
    /// A 429 here set a pause since the last sync: it is to be published.
    pub(super) paused: bool,
    /// An answer came late to a request started before the last cut: the store's cut is to
    /// be refined (never made anew for it).
    pub(super) recounted: bool,
    /// The last cut taken from the store: the rate EEN accepted from all the replicas
    /// then, and when it was made.
    adopted: Option<(u64, Instant)>,
    /// Cuts taken from the store.
    pub(super) adoptions: u64,
}

impl SharedState {
    fn new() -> Self {
        Self {
            replicas: 1,
            fewer_since: None,
            up: false,
            refused: false,
            paused: false,
            recounted: false,
            adopted: None,
            adoptions: 0,
        }
    }
}

/// What a replica tells the store at a sync.
#[derive(Debug, Default, PartialEq)]
struct Report {
    /// Requests EEN accepted from this replica over the last second.
    accepted: u64,
    /// A 429 came since the last sync.
    refused: bool,
    /// An answer came late to a request started before the last cut.
    recounted: bool,
    /// A pause learnt here since the last sync, and the time left of it.
    pause: Option<Duration>,
}

/// What the store holds, as one sync found it.
#[derive(Debug, PartialEq)]
struct View {
    /// The replicas checked in, this one included.
    replicas: u32,
    /// The time left of a pause.
    pause: Option<Duration>,
    /// The last cut, if it is recent.
    cut: Option<SharedCut>,
}

/// A cut in the store: the requests per second EEN accepted from every replica together
/// when it refused, and how long ago.
#[derive(Clone, Copy, Debug, PartialEq)]
struct SharedCut {
    refused: u64,
    age: Duration,
}

impl Pace {
    /// Shares this pace with the other replicas using `store`: a task of its own syncs it
    /// every [`TICK`] (and at once after a 429) until the pace is dropped. A second call
    /// does nothing. Call within a Tokio runtime.
    pub(crate) fn share(self: &Arc<Self>, store: Store) {
        if self.shared.set(()).is_err() {
            return;
        }
        self.lock().shared = Some(SharedState::new());
        let learnt = Arc::clone(&self.learnt);
        tokio::spawn(sync_task(Arc::downgrade(self), learnt, Keys::new(store)));
    }
}

/// The pace's keys in the store, and this replica's name in its roll call.
struct Keys {
    store: Store,
    replicas: String,
    pause: String,
    refused: String,
    member: String,
}

impl Keys {
    fn new(store: Store) -> Self {
        let key = |name: &str| store.key(namespace::PACE, &[name]);
        let bytes: [u8; 12] = rand::rng().random();
        Self {
            replicas: key("replicas"),
            pause: key("pause"),
            refused: key("refused"),
            member: URL_SAFE_NO_PAD.encode(bytes),
            store,
        }
    }
}

/// Syncs the pace behind `pace` with the store, every tick and whenever `learnt` is
/// notified, until the pace is dropped (it is not held between syncs).
async fn sync_task(pace: Weak<Pace>, learnt: Arc<Notify>, keys: Keys) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = learnt.notified() => {}
        }
        let Some(pace) = pace.upgrade() else {
            return;
        };
        let report = pace.lock().report(Instant::now());
        let outcome = sync(&keys, &report).await;
        let mut state = pace.lock();
        match outcome {
            Ok(view) => state.adopt(Instant::now(), &view),
            Err(error) => state.unshared(&error),
        }
    }
}

/// One sync: checks in, reads the pause and the cut, and writes what `report` learnt.
async fn sync(keys: &Keys, report: &Report) -> Result<View, StoreError> {
    let store = &keys.store;
    let checked_in = store
        .roll_call(
            &keys.replicas,
            &keys.member,
            report.accepted.to_string().as_bytes(),
            CHECK_IN_FOR,
        )
        .await?;
    let replicas = u32::try_from(checked_in.len()).unwrap_or(u32::MAX).max(1);
    // What EEN accepted from all of them over the last second: this replica's count is
    // fresh, the others' at most a tick old.
    let accepted: u64 = checked_in
        .iter()
        .filter_map(|value| std::str::from_utf8(value).ok()?.parse::<u64>().ok())
        .sum();
    let mut found = store
        .counts(&[&keys.pause, &keys.refused])
        .await?
        .into_iter();
    let (pause, cut) = (found.next().flatten(), found.next().flatten());
    let mut pause = pause.map(|(_, left)| left);
    let mut cut = cut.map(|(refused, left)| SharedCut {
        refused,
        age: SHARED_FOR.saturating_sub(left),
    });
    if let Some(learnt) = report.pause
        && pause.is_none_or(|left| left < learnt)
    {
        store.set_for(&keys.pause, b"1", learnt).await?;
        pause = Some(learnt);
    }
    match cut {
        // Refused (or answered late) in the same second as that cut: the same limit, seen
        // from here, with answers the cut did not count yet.
        Some(same) if same.age < WINDOW && (report.refused || report.recounted) => {
            let refused = same.refused.max(accepted);
            if refused > same.refused {
                let left = SHARED_FOR.saturating_sub(same.age);
                store
                    .set_for(&keys.refused, refused.to_string().as_bytes(), left)
                    .await?;
            }
            cut = Some(SharedCut { refused, ..same });
        }
        _ if report.refused => {
            store
                .set_for(&keys.refused, accepted.to_string().as_bytes(), SHARED_FOR)
                .await?;
            cut = Some(SharedCut {
                refused: accepted,
                age: Duration::ZERO,
            });
        }
        _ => {}
    }
    Ok(View {
        replicas,
        pause,
        cut,
    })
}

impl State {
    /// What a sync tells the store; what was still to be shared is taken.
    fn report(&mut self, now: Instant) -> Report {
        self.prune(now);
        let accepted = u64::try_from(self.accepted.len()).unwrap_or(u64::MAX);
        let paused_until = self.paused_until;
        let Some(shared) = &mut self.shared else {
            return Report::default();
        };
        let refused = std::mem::take(&mut shared.refused);
        let paused = std::mem::take(&mut shared.paused);
        let recounted = std::mem::take(&mut shared.recounted);
        Report {
            accepted,
            refused,
            recounted,
            pause: paused_until
                .filter(|_| paused)
                .map(|until| until.saturating_duration_since(now))
                .filter(|left| !left.is_zero()),
        }
    }

    /// Takes what a sync found: this replica's share of the pace for the replicas alive,
    /// the shared pause, and a cut it has not taken yet.
    fn adopt(&mut self, now: Instant, view: &View) {
        let Some(shared) = &mut self.shared else {
            return;
        };
        shared.up = true;
        let seen = view.replicas.max(1);
        let replicas = if seen >= shared.replicas {
            shared.fewer_since = None;
            seen
        } else {
            let since = *shared.fewer_since.get_or_insert(now);
            if now - since >= CHECK_IN_FOR {
                shared.fewer_since = None;
                seen
            } else {
                shared.replicas
            }
        };
        let before = std::mem::replace(&mut shared.replicas, replicas);
        let taken = shared.adopted;
        let floor = MIN_RATE / f64::from(replicas);
        if before != replicas {
            // The same rate for all of them, split anew.
            let scale = f64::from(before) / f64::from(replicas);
            self.rate = self.rate.map(|rate| (rate * scale).max(floor));
            self.refused_at = self.refused_at.map(|refused| refused * scale);
        }
        if let Some(left) = view.pause {
            self.pause(now + left.min(MAX_PAUSE));
        }
        let Some(cut) = view.cut else {
            return;
        };
        let at = now.checked_sub(cut.age).unwrap_or(now);
        let same = |earlier: Instant| at.max(earlier) - at.min(earlier) < WINDOW;
        let known = taken.is_some_and(|(refused, when)| refused == cut.refused && same(when));
        // A cut made here after the one found (a 429 during the sync) is newer: it is
        // shared at the next sync.
        let older = self.last_cut.is_some_and(|local| at + WINDOW < local);
        if known || older {
            return;
        }
        let share = (cut.refused as f64 / f64::from(replicas)).max(floor);
        self.refused_at = Some(share);
        self.rate = Some((share * CUT).max(floor));
        self.last_cut = Some(at);
        self.last_rise = Some(at);
        self.cut_here = false;
        if let Some(shared) = &mut self.shared {
            shared.adopted = Some((cut.refused, at));
            shared.adoptions += 1;
        }
        tracing::info!(
            rate = self.rate,
            replicas,
            "EEN rate-limited the replicas; taking this replica's share"
        );
    }

    /// A sync failed: the replica paces itself alone from what it learnt until the store
    /// answers again. What it learnt meanwhile stays its own: a 429 shared minutes late
    /// would cut the others by what they send then, not by what EEN refused.
    fn unshared(&mut self, error: &StoreError) {
        let Some(shared) = &mut self.shared else {
            return;
        };
        if shared.up {
            tracing::warn!(%error, "the shared EEN pace is out of reach: pacing this replica alone");
        }
        shared.up = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_state() -> State {
        State {
            shared: Some(SharedState::new()),
            ..State::default()
        }
    }

    fn view(replicas: u32, cut: Option<(u64, Duration)>) -> View {
        View {
            replicas,
            pause: None,
            cut: cut.map(|(refused, age)| SharedCut { refused, age }),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_found_in_the_store_is_split_by_the_replicas_alive() {
        let mut state = shared_state();
        tokio::time::advance(Duration::from_secs(10)).await;
        let now = Instant::now();
        state.adopt(now, &view(2, Some((10, Duration::ZERO))));
        assert_eq!(state.rate, Some(4.5), "90 % of half of 10/s");
        assert_eq!(state.refused_at, Some(5.0));
        // Taken once: found again, it changes nothing.
        state.rate = Some(4.0);
        state.adopt(now, &view(2, Some((10, Duration::from_millis(250)))));
        assert_eq!(state.rate, Some(4.0));
        // A third replica: the same rate for all of them, in thirds.
        state.adopt(now, &view(3, Some((10, Duration::from_millis(250)))));
        assert!((state.rate.unwrap() - 4.0 * 2.0 / 3.0).abs() < 1e-9);
        let stats = state.shared.as_ref().unwrap();
        assert_eq!((stats.replicas, stats.adoptions, stats.up), (3, 1, true));
    }

    #[tokio::test(start_paused = true)]
    async fn fewer_replicas_are_taken_only_once_the_others_stayed_away() {
        let mut state = shared_state();
        state.adopt(Instant::now(), &view(2, Some((10, Duration::ZERO))));
        assert_eq!(state.rate, Some(4.5));
        // The store restarted empty: this replica checks in first.
        tokio::time::advance(TICK).await;
        state.adopt(Instant::now(), &view(1, None));
        assert_eq!(state.rate, Some(4.5), "not doubled at once");
        tokio::time::advance(TICK).await;
        state.adopt(Instant::now(), &view(2, None));
        // The other replica died: after a while its share comes back to this one.
        state.adopt(Instant::now(), &view(1, None));
        tokio::time::advance(CHECK_IN_FOR).await;
        state.adopt(Instant::now(), &view(1, None));
        assert_eq!(state.rate, Some(9.0));
        assert_eq!(state.shared.as_ref().unwrap().replicas, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn an_old_cut_is_taken_with_the_rise_it_has_earned_since() {
        let mut state = shared_state();
        tokio::time::advance(Duration::from_secs(100)).await;
        let now = Instant::now();
        state.adopt(now, &view(1, Some((10, Duration::from_secs(30)))));
        assert_eq!(state.last_cut, Some(now - Duration::from_secs(30)));
        state.rise(now);
        assert_eq!(state.rate, Some(10.0 * crate::een::pace::SETTLE), "settled");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_found_holds_requests_back_and_one_learnt_here_is_reported_once() {
        let mut state = shared_state();
        let now = Instant::now();
        state.adopt(
            now,
            &View {
                replicas: 2,
                pause: Some(Duration::from_secs(3)),
                cut: None,
            },
        );
        assert_eq!(state.next_start(now), Some(now + Duration::from_secs(3)));
        // A 429 here with its own pause: reported with the time left, then no more.
        state.accepted.push_back(now);
        state.pause(now + Duration::from_secs(5));
        if let Some(shared) = &mut state.shared {
            shared.refused = true;
            shared.paused = true;
        }
        let report = state.report(now);
        assert_eq!(
            report,
            Report {
                accepted: 1,
                refused: true,
                recounted: false,
                pause: Some(Duration::from_secs(5)),
            }
        );
        assert_eq!(
            state.report(now),
            Report {
                accepted: 1,
                ..Report::default()
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cut_made_here_after_the_one_found_is_kept() {
        let mut state = shared_state();
        tokio::time::advance(Duration::from_secs(10)).await;
        let now = Instant::now();
        state.last_cut = Some(now);
        state.rate = Some(2.0);
        state.adopt(now, &view(1, Some((10, Duration::from_secs(5)))));
        assert_eq!(state.rate, Some(2.0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_sync_leaves_the_replica_on_its_share() {
        let mut state = shared_state();
        state.adopt(Instant::now(), &view(2, Some((10, Duration::ZERO))));
        state.unshared(&StoreError::Down);
        let shared = state.shared.as_ref().unwrap();
        assert!(!shared.up);
        assert_eq!(shared.replicas, 2);
        assert_eq!(state.rate, Some(4.5), "its share is kept");
    }
}
