//! Replicas sharing a real Redis (issue 16): two galleries in front of one simulator, each
//! with its own in-process cache, fetch each frame from EEN once between them; with Redis
//! gone they keep serving, say so, and share again once it is back; and the store's own
//! commands (counters, locks, fenced writes) against it. Skipped (saying so) where
//! `redis-server` is not installed. Sign-in across replicas is in `store_signin`, the v3
//! connection in `store_v3`.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::StatusCode;
use een_gallery::config::store::StoreUrl;
use een_gallery::een::{Before, Esn};
use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, SimHandle};
use een_gallery::store::StoreStatus;
use een_gallery::timestamp::EenTimestamp;
use rustix::process::{Pid, Signal, kill_process};

use crate::support::cameras::is_live;
use crate::support::gallery::{TestResponse, attrs, get_via};
use crate::support::jpeg;
use crate::support::logs::Capture;
use crate::support::redis::Redis;
use crate::support::replicas::{
    Replica, replica, replica_whatever_the_store, replica_with, store_settings,
};
use crate::support::sim::sim;

/// A past instant: camera pages before it list the same 20 frames on every replica (the
/// newest frames change every second).
fn two_minutes_ago() -> EenTimestamp {
    EenTimestamp::now().add_millis(-120_000)
}

/// The camera page of `esn` before `at`.
fn page_before(esn: &str, at: EenTimestamp) -> String {
    format!("/cameras/{esn}?before={at}")
}

/// The frames a camera page shows.
fn frames(html: &scraper::Html) -> Vec<String> {
    attrs(html, "#frames li.frame", "data-timestamp")
}

/// `count` live cameras of the demo account.
fn live_cameras(sim: &SimHandle, count: usize) -> Vec<String> {
    let cameras: Vec<String> = sim
        .cameras()
        .into_iter()
        .filter(is_live)
        .filter_map(|c| c.esn)
        .take(count)
        .collect();
    assert_eq!(
        cameras.len(),
        count,
        "the demo account has {count} live cameras"
    );
    cameras
}

fn frame_fetches(sim: &SimHandle) -> u64 {
    sim.stats().count(Endpoint::AssetImage)
}

/// Views `page` on `replica`, checks it shows 20 frames, and waits until the frames it
/// fetched are written to the store.
async fn view(replica: &Replica, page: &str) -> Vec<String> {
    let shown = frames(&replica.page(page).await);
    assert_eq!(shown.len(), 20, "{page} shows 20 frames");
    replica.store.settled().await;
    shown
}

#[tokio::test]
async fn two_replicas_fetch_each_frame_from_een_once() {
    let Some(redis) = Redis::start("two_replicas_fetch_each_frame_from_een_once").await else {
        return;
    };
    let sim = sim().await;
    let settings = store_settings(&redis);
    let a = replica(&sim, &settings).await;
    let b = replica(&sim, &settings).await;
    let esn = &live_cameras(&sim, 1)[0];
    let page = page_before(esn, two_minutes_ago());
    sim.reset_stats();

    let on_a = view(&a, &page).await;
    assert_eq!(
        frame_fetches(&sim),
        20,
        "replica A fetched the page's frames"
    );
    let on_b = view(&b, &page).await;
    assert_eq!(on_b, on_a, "both list the same frames");
    assert_eq!(
        frame_fetches(&sim),
        20,
        "replica B fetched no frame from EEN: the store had them all"
    );
    assert_eq!(b.metric("een_gallery_store_image_hits_total").await, 20.0);
    assert_eq!(a.metric("een_gallery_store_image_misses_total").await, 20.0);

    // The frames B serves are the right ones, not just any bytes.
    let image = b
        .get(&format!("/cameras/{esn}/images/{}.jpg", on_b[3]))
        .await;
    assert_eq!(image.status, StatusCode::OK);
    let comment = jpeg::comment(&image.body).expect("a simulator frame");
    assert!(
        comment.contains(esn) && comment.contains(&on_b[3]),
        "{comment}"
    );
    assert_eq!(frame_fetches(&sim), 20);
}

/// EEN's calls for a camera's latest preview and for listings of its frames.
fn answers_asked(sim: &SimHandle) -> (u64, u64) {
    let stats = sim.stats();
    (
        stats.count(Endpoint::PrevImage),
        stats.count(Endpoint::ListImage),
    )
}

#[tokio::test]
async fn two_replicas_ask_een_once_for_a_cameras_latest_preview_and_newest_frames() {
    let Some(redis) = Redis::start("two_replicas_ask_een_once_for_latest_and_listing").await else {
        return;
    };
    let sim = sim().await;
    let settings = store_settings(&redis);
    // Previews reused for a minute: B's views fall well inside A's answers' lifetime.
    let gallery = Settings {
        latest_preview_max_age: Duration::from_secs(60),
        ..Settings::default()
    };
    let a = replica_with(&sim, &settings, gallery.clone()).await;
    let b = replica_with(&sim, &settings, gallery).await;
    let esn = &live_cameras(&sim, 1)[0];
    let preview = format!("/cameras/{esn}/preview.jpg");
    let newest = format!("/cameras/{esn}");
    sim.reset_stats();

    let latest_on_a = a.get(&preview).await;
    assert_eq!(latest_on_a.status, StatusCode::OK);
    let on_a = view(&a, &newest).await;
    let asked = answers_asked(&sim);
    assert_eq!(
        asked,
        (1, 1),
        "A asked EEN for the latest preview and one listing"
    );
    let fetched = frame_fetches(&sim);

    let latest_on_b = b.get(&preview).await;
    assert_eq!(latest_on_b.status, StatusCode::OK);
    assert_eq!(
        jpeg::comment(&latest_on_b.body),
        jpeg::comment(&latest_on_a.body),
        "B serves the latest preview A fetched"
    );
    let on_b = view(&b, &newest).await;
    assert_eq!(on_b, on_a, "B shows the newest frames A listed");
    assert_eq!(
        answers_asked(&sim),
        asked,
        "B asked EEN for neither: the store had A's answers"
    );
    assert_eq!(frame_fetches(&sim), fetched, "nor for any frame");
    assert_eq!(b.metric("een_gallery_store_answer_hits_total").await, 2.0);
    assert_eq!(a.metric("een_gallery_store_answer_misses_total").await, 2.0);
}

#[tokio::test]
async fn two_replicas_missing_a_page_at_once_fetch_each_frame_once() {
    let Some(redis) = Redis::start("two_replicas_missing_a_page_at_once").await else {
        return;
    };
    let sim = sim().await;
    let settings = store_settings(&redis);
    let a = replica(&sim, &settings).await;
    let b = replica(&sim, &settings).await;
    let esn = &live_cameras(&sim, 1)[0];
    let page = page_before(esn, two_minutes_ago());
    sim.reset_stats();

    // Both open the page at the same moment: one claims each frame and fetches it, the other
    // waits for its copy in the store.
    let (on_a, on_b) = tokio::join!(a.page(&page), b.page(&page));
    let (on_a, on_b) = (frames(&on_a), frames(&on_b));
    assert_eq!(on_a.len(), 20);
    assert_eq!(on_b, on_a);
    let fetched = frame_fetches(&sim);
    assert!(
        fetched <= 22,
        "{fetched} EEN frame fetches for 20 frames on two replicas at once"
    );
}

#[tokio::test]
async fn concurrent_misses_in_a_replica_make_one_store_lookup_and_one_een_call() {
    let Some(redis) = Redis::start("concurrent_misses_in_a_replica").await else {
        return;
    };
    let sim = sim().await;
    let settings = store_settings(&redis);
    let a = replica(&sim, &settings).await;
    let b = replica(&sim, &settings).await;
    let cameras = live_cameras(&sim, 2);
    let at = two_minutes_ago();
    let shared = view(&a, &page_before(&cameras[0], at)).await[7].clone();
    let esn: Esn = cameras[1].parse().expect("a valid ESN");
    let cold = b
        .state
        .een
        .list_previews(&esn, Before::At(at), 1)
        .await
        .expect("a listing")[0]
        .timestamp;
    sim.reset_stats();

    // A frame the store has (A fetched it): eight concurrent views on B, one lookup.
    let uri = format!("/cameras/{}/images/{shared}.jpg", cameras[0]);
    for response in eight_at_once(&b, &uri).await {
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_eq!(frame_fetches(&sim), 0, "the store had the frame");
    assert_eq!(
        b.metric("een_gallery_store_image_hits_total").await,
        1.0,
        "eight concurrent misses made one store lookup"
    );

    // A frame nobody has: eight concurrent views on B, one lookup and one EEN call; then A
    // finds it in the store.
    let uri = format!("/cameras/{}/images/{cold}.jpg", cameras[1]);
    for response in eight_at_once(&b, &uri).await {
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_eq!(
        frame_fetches(&sim),
        1,
        "one EEN call for eight concurrent misses"
    );
    assert_eq!(b.metric("een_gallery_store_image_misses_total").await, 1.0);
    b.store.settled().await;
    assert_eq!(a.get(&uri).await.status, StatusCode::OK);
    assert_eq!(frame_fetches(&sim), 1, "A took B's fetch from the store");
}

/// Eight concurrent `GET uri` on `replica`.
async fn eight_at_once(replica: &Replica, uri: &str) -> Vec<TestResponse> {
    let views: Vec<_> = (0..8)
        .map(|_| {
            let router = replica.router.clone();
            let uri = uri.to_owned();
            tokio::spawn(async move { get_via(&router, &uri).await })
        })
        .collect();
    let mut responses = Vec::new();
    for view in views {
        responses.push(view.await.expect("the view ran"));
    }
    responses
}

#[tokio::test]
async fn with_the_store_gone_replicas_keep_serving_and_share_again_when_it_is_back() {
    let Some(mut redis) = Redis::start("with_the_store_gone_replicas_keep_serving").await else {
        return;
    };
    let sim = sim().await;
    let settings = store_settings(&redis);
    let a = replica(&sim, &settings).await;
    let b = replica(&sim, &settings).await;
    let [first, while_down, once_back] =
        <[String; 3]>::try_from(live_cameras(&sim, 3)).expect("three cameras");
    let at = two_minutes_ago();
    view(&a, &page_before(&first, at)).await;
    assert_eq!(a.metric("een_gallery_store_up").await, 1.0);

    redis.stop();
    sim.reset_stats();
    // Pages still render, their frames from EEN; what each replica had it still serves.
    for replica in [&a, &b] {
        view(replica, &page_before(&while_down, at)).await;
        replica.wait_for_store(StoreStatus::Down).await;
        assert_eq!(replica.metric("een_gallery_store_up").await, 0.0);
        assert!(replica.metric("een_gallery_store_errors_total").await >= 1.0);
        let ready = replica.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK, "EEN works: still ready");
        assert!(ready.text().contains("store: down"), "{}", ready.text());
    }
    assert_eq!(
        frame_fetches(&sim),
        40,
        "without the store each replica fetched the page's frames itself"
    );
    let seen = view(&a, &page_before(&first, at)).await;
    assert_eq!(
        frame_fetches(&sim),
        40,
        "A's own cache still serves what it saw"
    );
    let image = a
        .get(&format!("/cameras/{first}/images/{}.jpg", seen[0]))
        .await;
    assert_eq!(image.status, StatusCode::OK);

    // Back, and empty (it keeps nothing): the replicas find it by themselves.
    redis.restart().await;
    for replica in [&a, &b] {
        replica.wait_for_store(StoreStatus::Up).await;
        assert_eq!(replica.metric("een_gallery_store_up").await, 1.0);
        assert!(replica.get("/readyz").await.text().contains("store: up"));
    }
    sim.reset_stats();
    let on_a = view(&a, &page_before(&once_back, at)).await;
    let on_b = view(&b, &page_before(&once_back, at)).await;
    assert_eq!(on_a, on_b);
    assert_eq!(frame_fetches(&sim), 20, "shared again: B fetched nothing");
    let distinct: BTreeSet<_> = on_b.iter().collect();
    assert_eq!(distinct.len(), 20);
}

#[tokio::test]
async fn a_store_that_stops_answering_costs_a_page_no_image() {
    let Some(redis) = Redis::start("a_store_that_stops_answering").await else {
        return;
    };
    let sim = sim().await;
    let a = replica(&sim, &store_settings(&redis)).await;
    let esn = &live_cameras(&sim, 1)[0];
    // The server stops reading (a hung or swapping store): connections stay open, nothing
    // answers. Each call gives up at the store's timeout, and the page's images come from
    // EEN well within the page's deadline.
    signal(&redis, Signal::STOP);
    sim.reset_stats();
    let html = a.page(&page_before(esn, two_minutes_ago())).await;
    let states = attrs(&html, "#frames img", "data-state");
    assert_eq!(states.len(), 20);
    assert!(states.iter().all(|s| s == "ready"), "{states:?}");
    assert_eq!(frame_fetches(&sim), 20);
    assert_eq!(a.metric("een_gallery_store_up").await, 0.0);

    signal(&redis, Signal::CONT);
    a.wait_for_store(StoreStatus::Up).await;
}

fn signal(redis: &Redis, signal: Signal) {
    let pid = Pid::from_raw(i32::try_from(redis.pid()).expect("a pid")).expect("a pid");
    kill_process(pid, signal).expect("redis-server takes the signal");
}

#[tokio::test]
async fn a_password_in_the_url_is_used_and_never_logged() {
    const PASSWORD: &str = "s3cret-store-password";
    const WRONG: &str = "wrong-store-password";
    let Some(redis) = Redis::start_with_password("a_password_in_the_url", PASSWORD).await else {
        return;
    };
    let logs = Capture::install("een_gallery=debug");
    let sim = sim().await;
    let settings = store_settings(&redis);
    // It answers only when the password was given: up means the AUTH worked.
    let a = replica(&sim, &settings).await;
    let esn = &live_cameras(&sim, 1)[0];
    view(&a, &page_before(esn, two_minutes_ago())).await;
    assert_eq!(a.metric("een_gallery_store_errors_total").await, 0.0);

    // The wrong password: the store is down for that replica, which serves all the same.
    let mut wrong = settings.clone();
    wrong.url = StoreUrl::parse(&redis.url().replace(PASSWORD, WRONG)).expect("a URL");
    let b = replica_whatever_the_store(&sim, &wrong).await;
    b.wait_for_store(StoreStatus::Down).await;
    view(&b, &page_before(esn, two_minutes_ago())).await;
    assert!(b.get("/readyz").await.text().contains("store: down"));

    let text = logs.text();
    assert!(
        text.contains("the store failed"),
        "the log was captured:\n{text}"
    );
    for secret in [PASSWORD, WRONG] {
        assert!(
            !text.contains(secret),
            "a store password reached the log:\n{text}"
        );
        assert!(!format!("{:?} {:?} {}", a.store, wrong, wrong.url).contains(secret));
    }
}

#[tokio::test]
async fn the_stores_counters_locks_and_fenced_writes_do_what_shared_state_needs() {
    let Some(redis) = Redis::start("the_stores_counters_locks_and_fenced_writes").await else {
        return;
    };
    let store = een_gallery::store::Store::connect(&store_settings(&redis)).expect("a client");
    let window = std::time::Duration::from_secs(60);
    let key = store.key("test", &["count"]);
    assert_eq!(store.counts(&[&key]).await.unwrap(), [None]);
    for n in 1..=3 {
        let (count, left) = store.count(&key, window).await.unwrap();
        assert_eq!(count, n);
        assert!(left <= window && left > window / 2, "{left:?}");
    }
    let [Some((3, left))] = store.counts(&[&key]).await.unwrap()[..] else {
        panic!("three counted");
    };
    assert!(left <= window);

    // A lock: taken once, released only by its holder.
    let lock = store.key("test", &["lock"]);
    let lease = Some(std::time::Duration::from_secs(30));
    assert!(store.set_new(&lock, b"holder", lease).await.unwrap());
    assert!(!store.set_new(&lock, b"other", lease).await.unwrap());
    assert!(!store.delete_if(&lock, b"other").await.unwrap());
    // Writes fenced by it: only its holder's land.
    let value = store.key("test", &["value"]);
    assert!(!store.set_if(&lock, b"other", &value, b"no").await.unwrap());
    assert!(
        store
            .set_if(&lock, b"holder", &value, b"yes")
            .await
            .unwrap()
    );
    assert!(
        store
            .set_if_and_clear(&lock, b"holder", &value, b"last")
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&value).await.unwrap().as_deref(),
        Some(&b"last"[..])
    );
    assert!(
        store.set_new(&lock, b"next", lease).await.unwrap(),
        "cleared"
    );
    assert!(store.delete_if(&lock, b"next").await.unwrap());

    // A read that renews the value's lifetime answers it; a write only-if-new leaves it.
    let short = std::time::Duration::from_secs(2);
    store.set_for(&value, b"renewed", short).await.unwrap();
    let got = store.get_and_renew(&value, window).await.unwrap();
    assert_eq!(got.as_deref(), Some(&b"renewed"[..]));
    assert!(!store.set_new(&value, b"x", None).await.unwrap());
    assert_eq!(
        store.get(&value).await.unwrap().as_deref(),
        Some(&b"renewed"[..])
    );
    store.delete(&[&value, &key]).await.unwrap();
    assert_eq!(store.get_many(&[&value, &key]).await.unwrap(), [None, None]);
}
