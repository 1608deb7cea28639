//! One v3 connection shared by replicas through a real Redis (issue 16): EEN rotates refresh
//! tokens, so exactly one replica may refresh at a time and the others must take its new
//! pair. Proved with the simulator's counters: refreshes made, refreshes refused (a
//! rotated-away token sent), and the refresh tokens it was sent. Skipped (saying so) where
//! `redis-server` is not installed.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use een_gallery::cache::Status;
use een_gallery::een::{ConnectionState, Error};
use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, SimHandle};
use een_gallery::store::{Store, StoreStatus, namespace};

use crate::support::redis::Redis;
use crate::support::replicas::{Replica, approving_v3_sim, two_v3_replicas};

/// Two v3 replicas sharing `redis`, their clients set up by `tune`, connected through the
/// first, both ready.
async fn two_replicas(
    sim: &SimHandle,
    redis: &Redis,
    tune: fn(&mut een_gallery::een::v3::ClientConfig),
) -> (Replica, Replica) {
    two_v3_replicas(sim, redis, Settings::default, tune, tune).await
}

/// The refresh tokens the simulator was sent, in order.
fn refresh_tokens_sent(sim: &SimHandle) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::V3Token)
        .filter_map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "refresh_token")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

/// Asserts that no refresh token was sent twice and none was refused.
fn no_token_replayed(sim: &SimHandle) -> Vec<String> {
    let sent = refresh_tokens_sent(sim);
    let distinct: HashSet<_> = sent.iter().collect();
    assert_eq!(distinct.len(), sent.len(), "a refresh token was sent twice");
    assert_eq!(
        sim.stats().v3.rotations_refused,
        0,
        "a rotated-away token was sent"
    );
    sent
}

/// The store's key of the v3 connection's `name` (`connection`, `refresh-lock`, `spent`).
fn key(store: &Store, name: &str) -> String {
    store.key(namespace::EEN, &["v3", name])
}

#[tokio::test]
async fn five_refreshes_with_both_replicas_serving_never_send_a_rotated_away_token() {
    let Some(redis) = Redis::start("five_refreshes_with_both_replicas_serving").await else {
        return;
    };
    // Tokens live 2 s and are refreshed 1 s ahead: a refresh a second while both serve.
    let sim = approving_v3_sim(Duration::from_secs(2)).await;
    let (a, b) = two_replicas(&sim, &redis, |c| c.refresh_ahead = Duration::from_secs(1)).await;
    sim.reset_stats();

    let stop = Arc::new(AtomicBool::new(false));
    let mut servers = Vec::new();
    for replica in [&a, &b] {
        for _ in 0..2 {
            let een = replica.state.een.clone();
            let stop = Arc::clone(&stop);
            let served = Arc::new(AtomicU64::new(0));
            let counter = Arc::clone(&served);
            let task = tokio::spawn(async move {
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match een.cameras().await {
                        Ok(cameras) => {
                            assert!(!cameras.is_empty());
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => failures.push(error.to_string()),
                    }
                    // A viewer's pace, not a load test.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                failures
            });
            servers.push((served, task));
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while sim.stats().v3.refreshes < 5 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} refreshes in a minute",
            sim.stats().v3.refreshes
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for (served, task) in servers {
        let failures = task.await.expect("the server task ran");
        assert!(failures.is_empty(), "calls failed: {failures:?}");
        assert!(served.load(Ordering::Relaxed) >= 5, "every task served");
    }
    let sent = no_token_replayed(&sim);
    assert_eq!(
        sent.len() as u64,
        sim.stats().v3.refreshes,
        "every refresh sent was taken"
    );
    assert!(sent.len() >= 5);
    // Both still serve with the newest pair.
    for replica in [&a, &b] {
        replica.state.een.cameras().await.expect("still connected");
    }
    no_token_replayed(&sim);
}

#[tokio::test]
async fn a_replica_that_died_holding_the_lock_delays_the_refresh_only_until_its_lease_ends() {
    let Some(redis) = Redis::start("a_replica_that_died_holding_the_lock").await else {
        return;
    };
    let sim = approving_v3_sim(Duration::from_secs(3600)).await;
    let (a, b) = two_replicas(&sim, &redis, |_| {}).await;
    // A third replica took the lock and died: its lease runs out in 1.5 s.
    let lock = key(&a.store, "refresh-lock");
    let taken = a
        .store
        .set_new(
            &lock,
            b"a-replica-that-died",
            Some(Duration::from_millis(1500)),
        )
        .await
        .expect("the store answers");
    assert!(taken);
    sim.reset_stats();
    sim.expire_v3_access_tokens();

    // A's call waits for the lease, then refreshes; B takes A's pair.
    a.state
        .een
        .cameras()
        .await
        .expect("A refreshed after the lease");
    b.state.een.cameras().await.expect("B took A's pair");
    assert_eq!(sim.stats().v3.refreshes, 1, "one refresh for both");
    no_token_replayed(&sim);
}

#[tokio::test]
async fn with_the_store_down_nobody_refreshes_and_the_connection_survives_it() {
    let Some(mut redis) = Redis::start("with_the_store_down_nobody_refreshes").await else {
        return;
    };
    let sim = approving_v3_sim(Duration::from_secs(3600)).await;
    let (a, b) = two_replicas(&sim, &redis, |_| {}).await;
    redis.stop();
    for replica in [&a, &b] {
        replica.wait_for_store(StoreStatus::Down).await;
    }
    sim.reset_stats();
    sim.expire_v3_access_tokens();
    // EEN refuses the tokens, and no replica may refresh without the lock: "unavailable".
    for replica in [&a, &b] {
        let refused = replica.state.een.cameras().await.expect_err("no token");
        assert!(matches!(refused, Error::Unavailable(_)), "{refused}");
    }
    assert_eq!(
        sim.stats().count(Endpoint::V3Token),
        0,
        "no refresh was sent"
    );

    // Back, and empty: a replica writes its pair back and refreshes it, once for both.
    redis.restart().await;
    for replica in [&a, &b] {
        replica.wait_for_store(StoreStatus::Up).await;
    }
    let (on_a, on_b) = tokio::join!(a.state.een.cameras(), b.state.een.cameras());
    on_a.expect("A serves again");
    on_b.expect("B serves again");
    assert_eq!(sim.stats().v3.refreshes, 1);
    no_token_replayed(&sim);
}

#[tokio::test]
async fn a_refresh_the_store_could_not_take_is_kept_and_written_when_it_is_back() {
    let Some(mut redis) = Redis::start("a_refresh_the_store_could_not_take").await else {
        return;
    };
    let sim = approving_v3_sim(Duration::from_secs(3600)).await;
    let (a, b) = two_replicas(&sim, &redis, |_| {}).await;
    // The token endpoint is slow, so the store can die while A's refresh is at EEN.
    let mut faults = sim.faults();
    faults
        .endpoint_latency
        .insert(Endpoint::V3Token, Duration::from_millis(1500));
    sim.set_faults(faults);
    sim.reset_stats();
    sim.expire_v3_access_tokens();
    let een = a.state.een.clone();
    let refreshing = tokio::spawn(async move { een.cameras().await });
    // A marked the token spent (it is at EEN now): the store dies.
    let spent = key(&a.store, "spent");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !matches!(a.store.get(&spent).await, Ok(Some(_))) {
        assert!(tokio::time::Instant::now() < deadline, "A never refreshed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    redis.stop();
    refreshing
        .await
        .expect("the call ran")
        .expect("A serves with the pair it got");
    let refused = b
        .state
        .een
        .cameras()
        .await
        .expect_err("B has no usable token");
    assert!(matches!(refused, Error::Unavailable(_)), "{refused}");
    assert_eq!(sim.stats().count(Endpoint::V3Token), 1, "B sent nothing");

    // Back (empty): A writes its pair, and B takes it instead of refreshing.
    sim.set_faults(Default::default());
    redis.restart().await;
    b.wait_for_store(StoreStatus::Up).await;
    b.state.een.cameras().await.expect("B took A's pair");
    a.state.een.cameras().await.expect("A still serves");
    assert_eq!(sim.stats().v3.refreshes, 1, "the one refresh A made");
    no_token_replayed(&sim);
}

#[tokio::test]
async fn disconnecting_on_one_replica_reaches_the_other_and_so_does_connecting_again() {
    let Some(redis) = Redis::start("disconnecting_on_one_replica").await else {
        return;
    };
    let sim = approving_v3_sim(Duration::from_secs(3600)).await;
    let (a, b) = two_replicas(&sim, &redis, |_| {}).await;
    a.state.een.disconnect().await.expect("disconnected");
    // B's token was revoked with the refresh token: its next call learns why from the store
    // (through the cache layer, so B's health says so too).
    let refused = b.state.directory.refresh().await.expect_err("disconnected");
    assert!(matches!(refused, Error::NotConnected), "{refused}");
    assert_eq!(
        b.state.een.connection_state(),
        ConnectionState::NotConnected
    );
    assert_eq!(b.state.health.status(), Status::NotConnected);
    assert_eq!(sim.stats().v3.rotations_refused, 0);

    // Connected again on A: B's keeper finds the new connection in the store.
    a.connect_v3(&sim).await;
    b.wait_for(Status::Ready).await;
    b.state
        .een
        .cameras()
        .await
        .expect("B uses A's new connection");
    no_token_replayed(&sim);
}
