//! One pace of requests to EEN for the replicas sharing a real Redis (issue 16): two v3
//! replicas (one connection, so one rate limit at EEN) in front of one rate-limited
//! simulator stay within what it allows, as one gallery does alone (issue 13); a pause EEN
//! asked of one holds the other back; with the store gone each keeps its own pace. Proved
//! with the simulator's counters, not timings. Skipped (saying so) where `redis-server` is
//! not installed.

use std::time::Duration;

use axum::http::StatusCode;
use een_gallery::een::v3::ClientConfig;
use een_gallery::een::{Error, Esn, PaceStats};
use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, ErrorFault, Faults, SimHandle};
use een_gallery::store::{Store, StoreStatus};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::support::cameras::is_live;
use crate::support::gallery::get_via;
use crate::support::redis::Redis;
use crate::support::replicas::{Replica, approving_v3_sim, store_settings, two_v3_replicas};

/// What the simulator lets through per access token (the one both replicas use) and second.
const ALLOWED_PER_SECOND: u32 = 5;

/// A v3 simulator approving the connect flow by itself, its tokens living an hour (no
/// refresh in a test).
async fn v3_sim() -> SimHandle {
    approving_v3_sim(Duration::from_secs(3600)).await
}

/// Two v3 replicas sharing `redis` (their clients set up by `tune_a` and `tune_b`),
/// connected through the first, both ready; their grids wait a second at most for previews.
async fn two_replicas(
    sim: &SimHandle,
    redis: &Redis,
    tune_a: fn(&mut ClientConfig),
    tune_b: fn(&mut ClientConfig),
) -> (Replica, Replica) {
    let gallery = || Settings {
        page_deadline: Duration::from_secs(1),
        ..Settings::default()
    };
    two_v3_replicas(sim, redis, gallery, tune_a, tune_b).await
}

/// What EEN saw: requests, and of them the ones answered 429.
#[derive(Clone, Copy, Debug)]
struct Seen {
    sent: u64,
    refused: u64,
}

impl Seen {
    fn of(sim: &SimHandle) -> Self {
        let stats = sim.stats();
        Self {
            sent: stats.requests.values().flat_map(|by| by.values()).sum(),
            refused: stats.requests.values().filter_map(|by| by.get(&429)).sum(),
        }
    }

    fn since(self, earlier: Seen) -> Seen {
        Seen {
            sent: self.sent - earlier.sent,
            refused: self.refused - earlier.refused,
        }
    }
}

/// What EEN allows over `elapsed`: its one-second window lets through at most this many.
fn allowed(elapsed: Duration) -> f64 {
    f64::from(ALLOWED_PER_SECOND) * elapsed.as_secs_f64().ceil()
}

/// `viewers` viewers at once, taking turns over `replicas`, each viewing `grids` grids of
/// seeds of its own from `first_seed`: together they want the latest preview of many
/// cameras at once, several times what EEN allows. Every grid is served (late previews are
/// placeholders).
async fn view_grids(replicas: &[&Replica], viewers: u32, grids: u32, first_seed: u32) {
    let mut running = JoinSet::new();
    for viewer in 0..viewers {
        let router = replicas[viewer as usize % replicas.len()].router.clone();
        running.spawn(async move {
            let mut statuses = Vec::new();
            for k in 0..grids {
                let seed = first_seed + viewer * grids + k;
                statuses.push(get_via(&router, &format!("/?seed={seed}")).await.status);
            }
            statuses
        });
    }
    while let Some(statuses) = running.join_next().await {
        for status in statuses.expect("a viewer") {
            assert_eq!(status, StatusCode::OK);
        }
    }
}

/// The pace of `replica` now.
fn pace(replica: &Replica) -> PaceStats {
    replica.state.een.pace()
}

/// Whether the pace is shared through a store that answers, and by how many replicas.
fn shared_by(stats: &PaceStats) -> Option<u32> {
    stats
        .shared
        .filter(|shared| shared.up)
        .map(|shared| shared.replicas)
}

/// Waits until the pace of `replica` is `what` says (fails the test after 10 s).
async fn wait_for_pace(replica: &Replica, what: &str, ok: impl Fn(&PaceStats) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok(&pace(replica)) {
        assert!(
            Instant::now() < deadline,
            "the pace did not become {what}: {:?}",
            pace(replica)
        );
        // The pace syncs with the store a few times a second; this only paces the checks.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Two replicas sharing their pace (both see two in the roll call), then EEN limiting
/// them to [`ALLOWED_PER_SECOND`].
async fn two_replicas_sharing_a_limited_een(sim: &SimHandle, redis: &Redis) -> (Replica, Replica) {
    let (a, b) = two_replicas(sim, redis, |_| {}, |_| {}).await;
    for replica in [&a, &b] {
        wait_for_pace(replica, "shared by two", |p| shared_by(p) == Some(2)).await;
    }
    sim.set_faults(Faults {
        rate_limit_per_second: Some(ALLOWED_PER_SECOND),
        ..Faults::default()
    });
    (a, b)
}

/// Viewers on A alone until EEN rate-limits it, then until B has taken A's cut from the
/// store (B has not met EEN's limit itself).
async fn teach_a_then_b(a: &Replica, b: &Replica) {
    for round in 0..10 {
        if pace(a).rate.is_some() {
            break;
        }
        view_grids(&[a], 8, 1, round * 8).await;
    }
    assert!(pace(a).rate.is_some(), "EEN rate-limited A: {:?}", pace(a));
    // (B's own background calls may meet the limit too; the cut it takes is A's.)
    wait_for_pace(b, "taken from the store", |b| {
        b.shared.is_some_and(|shared| shared.adopted >= 1) && b.rate.is_some()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_under_a_burst_of_viewers_stay_within_what_een_allows() {
    let Some(redis) = Redis::start("two_replicas_under_a_burst_of_viewers").await else {
        return;
    };
    let sim = v3_sim().await;
    let (a, b) = two_replicas_sharing_a_limited_een(&sim, &redis).await;
    sim.reset_stats();
    let began = Instant::now();
    teach_a_then_b(&a, &b).await;
    let taught = Seen::of(&sim);
    let burst_began = Instant::now();

    // The burst: viewers on both replicas at once, B never refused so far.
    view_grids(&[&a, &b], 16, 4, 1_000).await;
    let burst = Seen::of(&sim).since(taught);
    let allowed_in_burst = allowed(burst_began.elapsed());
    let whole = Seen::of(&sim);
    let allowed_in_all = allowed(began.elapsed());
    eprintln!(
        "two replicas: EEN saw {} requests ({} answered 429) over the burst, which it allows \
         {allowed_in_burst}; {} ({} answered 429) in all, which it allows {allowed_in_all}",
        burst.sent, burst.refused, whole.sent, whole.refused
    );
    assert!(burst.sent > 0, "the burst reached EEN");
    assert!(
        burst.sent as f64 <= 1.2 * allowed_in_burst,
        "{burst:?} over the burst, EEN allows {allowed_in_burst}"
    );
    // Both replicas knew the pace when the burst began: 429s stay rare (each replica's
    // spacing lets one request more into a second now and then, a fifth of a limit this
    // low). Had B not learnt it from A, it would meet the limit with a dozen requests at
    // once (13 to 16 of 26 to 50 were answered 429 so).
    assert!(
        burst.refused <= 5 + burst.sent / 10,
        "{burst:?}: 429s are not rare"
    );
    // The first requests of all, before the pace was learnt, are the only burst EEN refused.
    assert!(
        whole.sent as f64 <= 1.2 * allowed_in_all + 16.0,
        "{whole:?} in all, EEN allows {allowed_in_all}"
    );
    let (on_a, on_b) = (pace(&a), pace(&b));
    let together = on_a.rate.unwrap_or(f64::INFINITY) + on_b.rate.unwrap_or(f64::INFINITY);
    assert!(
        together <= f64::from(ALLOWED_PER_SECOND) * 1.2,
        "paced at {together} requests/s together: {on_a:?} {on_b:?}"
    );
    for replica in [&a, &b] {
        assert_eq!(replica.metric("een_gallery_een_pace_shared").await, 1.0);
        assert_eq!(replica.metric("een_gallery_een_pace_replicas").await, 2.0);
    }
    assert!(b.metric("een_gallery_een_pace_shared_cuts_total").await >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_een_asked_of_one_replica_holds_the_other_back() {
    let Some(redis) = Redis::start("a_pause_een_asked_of_one_replica").await else {
        return;
    };
    let sim = v3_sim().await;
    // A gives up at once when EEN asks it to wait (its deadline is shorter than the pause);
    // B waits as long as its call may.
    let (a, b) = two_replicas(
        &sim,
        &redis,
        |c| c.call_deadline = Duration::from_secs(1),
        |_| {},
    )
    .await;
    let esn: Esn = sim
        .cameras()
        .into_iter()
        .filter(is_live)
        .find_map(|camera| camera.esn)
        .expect("a live camera")
        .parse()
        .expect("an ESN");
    sim.set_faults(Faults {
        errors: vec![ErrorFault {
            endpoint: Some(Endpoint::V3LiveImage),
            status: 429,
            rate: 1.0,
        }],
        retry_after_secs: Some(5),
        ..Faults::default()
    });
    let refused = a.state.een.latest_preview(&esn).await.expect_err("429");
    assert!(matches!(refused, Error::RateLimited), "{refused}");
    assert_eq!(sim.stats().count_status(Endpoint::V3LiveImage, 429), 1);
    sim.set_faults(Faults::default());

    // B learns the pause from the store, not from EEN, and its call waits for it.
    wait_for_pace(&b, "paused", |p| !p.paused.is_zero()).await;
    let before = sim.stats().arrived(Endpoint::V3LiveImage);
    let een = b.state.een.clone();
    let call = tokio::spawn(async move { een.latest_preview(&esn).await });
    wait_for_pace(&b, "holding a request", |p| p.waiting >= 1).await;
    assert_eq!(
        sim.stats().arrived(Endpoint::V3LiveImage),
        before,
        "B's request is held back"
    );
    assert!(
        !pace(&b).paused.is_zero(),
        "still paused when EEN's count was read"
    );
    let image = call
        .await
        .expect("the call ran")
        .expect("served after the pause");
    assert!(!image.bytes.is_empty());
    assert_eq!(sim.stats().arrived(Endpoint::V3LiveImage), before + 1);
    let on_b = pace(&b);
    assert_eq!(on_b.rate_limited, 0, "B was never refused");
    assert!(on_b.waits >= 1, "its request waited");
    assert_eq!(on_b.waiting, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_stopped_each_replica_keeps_serving_on_its_own_pace() {
    let Some(mut redis) = Redis::start("with_the_store_stopped_each_replica_keeps").await else {
        return;
    };
    let sim = v3_sim().await;
    let (a, b) = two_replicas_sharing_a_limited_een(&sim, &redis).await;
    teach_a_then_b(&a, &b).await;

    redis.stop();
    for replica in [&a, &b] {
        replica.wait_for_store(StoreStatus::Down).await;
        wait_for_pace(replica, "alone", |p| {
            p.shared.is_some_and(|shared| !shared.up)
        })
        .await;
        assert_eq!(replica.metric("een_gallery_een_pace_shared").await, 0.0);
    }
    let before = Seen::of(&sim);
    let began = Instant::now();
    view_grids(&[&a, &b], 16, 3, 2_000).await;
    let alone = Seen::of(&sim).since(before);
    let allowed_alone = allowed(began.elapsed());
    eprintln!(
        "store down: EEN saw {} requests ({} answered 429), which it allows {allowed_alone}",
        alone.sent, alone.refused
    );
    assert!(alone.sent > 0, "both kept serving from EEN");
    assert!(
        alone.sent as f64 <= 1.2 * allowed_alone,
        "{alone:?} with the store down, EEN allows {allowed_alone}"
    );
    for replica in [&a, &b] {
        assert!(pace(replica).rate.is_some(), "each kept the pace it had");
    }

    // Back (empty): they share again.
    redis.restart().await;
    for replica in [&a, &b] {
        replica.wait_for_store(StoreStatus::Up).await;
        wait_for_pace(replica, "shared by two again", |p| shared_by(p) == Some(2)).await;
    }
}

#[tokio::test]
async fn the_roll_call_counts_the_replicas_checked_in_and_forgets_the_ones_that_stop() {
    let Some(redis) = Redis::start("the_roll_call_counts_the_replicas").await else {
        return;
    };
    let store = Store::connect(&store_settings(&redis)).expect("a client");
    let key = store.key("test", &["roll-call"]);
    let long = Duration::from_secs(60);
    let mut values = store.roll_call(&key, "a", b"3", long).await.unwrap();
    assert_eq!(values, [&b"3"[..]]);
    values = store
        .roll_call(&key, "b", b"4 and more", long)
        .await
        .unwrap();
    values.sort();
    assert_eq!(values, [&b"3"[..], &b"4 and more"[..]]);
    // A checks in again with a new value and a lifetime of a millisecond.
    values = store
        .roll_call(&key, "a", b"5", Duration::from_millis(1))
        .await
        .unwrap();
    values.sort();
    assert_eq!(values, [&b"4 and more"[..], &b"5"[..]]);
    // Its check-in lapses (this waits out its millisecond, not a server).
    tokio::time::sleep(Duration::from_millis(20)).await;
    values = store.roll_call(&key, "b", b"6", long).await.unwrap();
    assert_eq!(values, [&b"6"[..]], "A is no longer counted");
}
