//! Sign-in shared by replicas through a real Redis (issue 16): a session made on one replica
//! is valid on the other, signing out on either ends it on both (within the 2 s the other
//! replica trusts its memory), failed sign-ins count for both together, and with Redis hung
//! the sessions each replica knows keep working while sign-ins and sign-outs made meanwhile
//! reach the other replica once Redis answers again. Skipped (saying so) where
//! `redis-server` is not installed.

use std::time::Duration;

use een_gallery::auth::sessions::FRESH;
use een_gallery::store::StoreStatus;
use rustix::process::{Pid, Signal, kill_process};

use crate::support::connect::temp_dir;
use crate::support::redis::Redis;
use crate::support::replicas::{Door, replica, store_settings};
use crate::support::signin::{ADMIN, VIEWER, location, write_users};
use crate::support::sim::sim;

/// Two replicas with sign-in on, sharing `redis` and one users file.
async fn two_doors(redis: &Redis) -> (Door, Door, std::path::PathBuf) {
    let sim = sim().await;
    let settings = store_settings(redis);
    let dir = temp_dir("store-signin");
    std::fs::create_dir_all(&dir).expect("a directory");
    let users = dir.join("users");
    write_users(&users);
    let a = replica(&sim, &settings).await.with_sign_in(&users).await;
    let b = replica(&sim, &settings).await.with_sign_in(&users).await;
    (a, b, dir)
}

/// Whether `session` (a `name=value` cookie) shows the grid on `door` (else: the sign-in
/// page).
async fn signed_in(door: &Door, session: &str) -> bool {
    let page = door.get("/", Some(session)).await;
    match page.status().as_u16() {
        200 => true,
        303 => {
            assert!(location(&page).contains("/login"), "{}", location(&page));
            false
        }
        other => panic!("GET / answered {other}"),
    }
}

/// Signs out `session` on `door` with its form token.
async fn sign_out(door: &Door, session: &str) {
    let token = door.form_token(session).await;
    let answer = door.post("/logout", session, &[("csrf", &token)]).await;
    assert_eq!(answer.status(), 303, "signed out");
}

#[tokio::test]
async fn a_session_from_one_replica_works_on_the_other_and_signing_out_ends_it_on_both() {
    let Some(redis) = Redis::start("a_session_from_one_replica_works_on_the_other").await else {
        return;
    };
    let (a, b, dir) = two_doors(&redis).await;
    let session = a.sign_in(ADMIN.0, ADMIN.1).await.expect("signed in on A");
    assert!(signed_in(&a, &session).await);
    assert!(signed_in(&b, &session).await, "B knows A's session");
    // The form token is the session's, whichever replica rendered the form.
    assert_eq!(a.form_token(&session).await, b.form_token(&session).await);
    let other = b.sign_in(VIEWER.0, VIEWER.1).await.expect("signed in on B");
    assert!(signed_in(&a, &other).await, "A knows B's session");

    // Signed out on B: gone on B at once, and on A once its memory of it is older than FRESH.
    sign_out(&b, &session).await;
    let signed_out = tokio::time::Instant::now();
    assert!(!signed_in(&b, &session).await);
    tokio::time::sleep_until(signed_out + FRESH).await;
    assert!(!signed_in(&a, &session).await, "ended on A too");
    assert!(signed_in(&a, &other).await, "the other session lives on");
    assert!(signed_in(&b, &other).await);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn five_failures_spread_over_two_replicas_make_the_sixth_429_on_either() {
    let Some(redis) = Redis::start("five_failures_spread_over_two_replicas").await else {
        return;
    };
    let (a, b, dir) = two_doors(&redis).await;
    // Per name: three wrong passwords on A, two on B (each replica alone saw fewer than 5).
    for door in [&a, &a, &a, &b, &b] {
        let refused = door
            .sign_in(VIEWER.0, "not the password")
            .await
            .unwrap_err();
        assert_eq!(refused.status(), 401);
    }
    for door in [&a, &b] {
        let limited = door.sign_in(VIEWER.0, VIEWER.1).await.unwrap_err();
        assert_eq!(limited.status(), 429, "the name is limited on either");
        assert!(limited.headers().contains_key("retry-after"));
    }
    // The address (both replicas see 127.0.0.1) had five failures too: another name waits.
    let limited = a.sign_in(ADMIN.0, ADMIN.1).await.unwrap_err();
    assert_eq!(limited.status(), 429, "the address is limited");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn with_redis_hung_known_sessions_work_and_what_happened_meanwhile_reaches_the_other() {
    let Some(redis) = Redis::start("with_redis_hung_known_sessions_work").await else {
        return;
    };
    let (a, b, dir) = two_doors(&redis).await;
    let kept = a.sign_in(ADMIN.0, ADMIN.1).await.expect("signed in");
    let ended = a.sign_in(VIEWER.0, VIEWER.1).await.expect("signed in");
    for session in [&kept, &ended] {
        assert!(signed_in(&b, session).await);
    }

    // Redis stops answering (a hung or partitioned store): calls time out, then are not sent.
    signal(&redis, Signal::STOP);
    // Past FRESH, each replica asks the store again, cannot, and serves from its memory.
    tokio::time::sleep(FRESH).await;
    for door in [&a, &b] {
        assert!(signed_in(door, &kept).await, "a known session works");
        door.replica.wait_for_store(StoreStatus::Down).await;
    }
    // A sign-in while the store is away works where it was made; the other replica cannot
    // know it yet.
    let made = a
        .sign_in(ADMIN.0, ADMIN.1)
        .await
        .expect("signed in while down");
    assert!(signed_in(&a, &made).await);
    assert!(
        !signed_in(&b, &made).await,
        "unknown to B until the store has it"
    );
    // A sign-out while the store is away ends the session here at once.
    sign_out(&b, &ended).await;
    assert!(!signed_in(&b, &ended).await);

    signal(&redis, Signal::CONT);
    for door in [&a, &b] {
        door.replica.wait_for_store(StoreStatus::Up).await;
    }
    // The waiting writes land within a second or so: poll B for the sign-in made on A.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !signed_in(&b, &made).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sign-in made during the outage never reached B"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And the sign-out made on B reached A (within FRESH of landing).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while signed_in(&a, &ended).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sign-out made during the outage never reached A"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signed_in(&b, &kept).await, "the untouched session lives on");
    assert!(signed_in(&a, &kept).await);
    let _ = std::fs::remove_dir_all(dir);
}

fn signal(redis: &Redis, signal: Signal) {
    let pid = Pid::from_raw(i32::try_from(redis.pid()).expect("a pid")).expect("a pid");
    kill_process(pid, signal).expect("redis-server takes the signal");
}
