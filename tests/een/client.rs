//! The EEN client against the in-process simulator, over real HTTP. Request counts come from
//! the simulator's own counters (SIM-62), so each test proves what went over the wire.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use een_gallery::een::v1::{Client, SessionState};
use een_gallery::een::{AccountProblem, Before, CameraStatus, Error, Esn, Side};
use een_gallery::sim::{
    DEMO_PASSWORD, Endpoint, ErrorFault, Faults, LOGIN_STATE_USERS, SimHandle, UnknownCameraAnswer,
};

use crate::support::een::{client, config, config_as, online_camera, online_cameras};
use crate::support::jpeg;
use crate::support::sim::{sim, sim_with_faults};

fn hosts_of(sim: &SimHandle, endpoint: Endpoint) -> HashSet<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.endpoint == endpoint)
        .filter_map(|r| r.host)
        .map(|h| h.split(':').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn new_client_does_not_touch_the_network() {
    let sim = sim().await;
    let client = client(&sim);
    assert_eq!(client.session_state(), SessionState::NotLoggedIn);
    assert!(sim.requests().is_empty());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_for_many_calls() {
    let sim = sim().await;
    let client = client(&sim);
    let cameras = client.cameras().await.unwrap();
    assert!(!cameras.is_empty());
    assert_eq!(client.session_state(), SessionState::LoggedIn);

    let esns = online_cameras(&sim);
    let mut tasks = Vec::new();
    for esn in esns.iter().cycle().take(30) {
        let (client, esn) = (client.clone(), esn.clone());
        tasks.push(tokio::spawn(async move {
            let latest = client.latest_preview(&esn).await?;
            let list = client.list_previews(&esn, Before::Now, 3).await?;
            client.preview(&esn, list[0]).await?;
            Ok::<_, Error>(latest)
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    client.cameras().await.unwrap();

    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::Authenticate), 1);
    assert_eq!(stats.count(Endpoint::Authorize), 1);
    assert_eq!(stats.sessions_created, 1);
    assert_eq!(stats.count_status(Endpoint::DeviceList, 200), 2);
    assert_eq!(stats.count_status(Endpoint::PrevImage, 200), 30);
    assert_eq!(stats.count_status(Endpoint::ListImage, 200), 30);
    assert_eq!(stats.count_status(Endpoint::AssetImage, 200), 30);
    sim.shutdown().await;
}

#[tokio::test]
async fn moves_to_the_cluster_host_after_login() {
    let sim = sim().await;
    let client = client(&sim);
    client.cameras().await.unwrap();
    client.latest_preview(&online_camera(&sim)).await.unwrap();

    let login = sim.login_host();
    let cluster = sim.cluster_host();
    assert_eq!(cluster, "c000.een.test");
    assert_eq!(
        hosts_of(&sim, Endpoint::Authenticate),
        HashSet::from([login.clone()])
    );
    assert_eq!(
        hosts_of(&sim, Endpoint::Authorize),
        HashSet::from([login.clone()])
    );
    assert_eq!(
        hosts_of(&sim, Endpoint::DeviceList),
        HashSet::from([cluster.clone()])
    );
    assert_eq!(
        hosts_of(&sim, Endpoint::PrevImage),
        HashSet::from([cluster.clone()])
    );
    let stats = sim.stats();
    assert_eq!(stats.host_count(&login), 2);
    assert_eq!(stats.host_count(&cluster), 2);

    // The session travels as an explicit auth_key cookie, nothing else.
    let listing = sim
        .requests()
        .into_iter()
        .find(|r| r.endpoint == Endpoint::DeviceList)
        .unwrap();
    let cookie = listing.header("cookie").unwrap();
    assert!(cookie.starts_with("auth_key=c000~"), "{cookie}");
    assert!(!cookie.contains(';'), "{cookie}");
    assert_eq!(listing.query, None);
    sim.shutdown().await;
}

#[tokio::test]
async fn stays_on_the_login_host_when_switching_is_off() {
    let sim = sim().await;
    let mut config = config(&sim);
    config.cluster_host_switch = false;
    let client = Client::new(config).unwrap();
    client.cameras().await.unwrap();
    assert_eq!(
        hosts_of(&sim, Endpoint::DeviceList),
        HashSet::from([sim.login_host()])
    );
    assert_eq!(sim.stats().host_count(&sim.cluster_host()), 0);
    sim.shutdown().await;
}

/// The spec's §3.2 table of real values, and its algorithm for any other value.
fn expected_status(bits: u32) -> (CameraStatus, bool) {
    let table = match bits {
        1474615 | 1441847 => Some((CameraStatus::Online, false)),
        1998911 | 1966143 => Some((CameraStatus::Online, true)),
        1213445 | 1212417 | 1179649 => Some((CameraStatus::Offline, false)),
        139264 => Some((CameraStatus::InternetOffline, false)),
        32803 | 0 => Some((CameraStatus::Off, false)),
        _ => None,
    };
    table.unwrap_or_else(|| {
        let status = if bits & 0x02_0000 == 0 {
            CameraStatus::Off
        } else if bits & 0x10_0000 == 0 {
            CameraStatus::InternetOffline
        } else if bits & 0x04_0000 != 0 {
            CameraStatus::Online
        } else if bits & 0x100 != 0 {
            CameraStatus::PasswordNeeded
        } else {
            CameraStatus::Offline
        };
        (status, bits & 0x08_0000 != 0)
    })
}

#[tokio::test]
async fn device_rows_parse_and_every_status_decodes_as_the_spec_says() {
    let sim = sim().await;
    let client = client(&sim);
    let cameras = client.cameras().await.unwrap();
    let seed = sim.cameras();

    // Rows with a null id (unattached discovered cameras) are skipped, all others parse.
    let unattached = seed.iter().filter(|c| c.esn.is_none()).count();
    assert!(unattached > 0, "the demo seed has IGND rows with a null id");
    assert_eq!(cameras.len(), seed.len() - unattached);

    let mut seen = BTreeMap::new();
    for want in seed.iter().filter(|c| c.esn.is_some()) {
        let esn = want.esn.as_deref().unwrap();
        let got = cameras.iter().find(|c| c.esn.as_str() == esn).unwrap();
        assert_eq!(got.name, want.name);
        assert_eq!(got.device_status, u64::from(want.status));
        assert_eq!(
            (got.status, got.recording),
            expected_status(want.status),
            "{esn} {:#x}",
            want.status
        );
        assert_eq!(got.timezone, want.time_zone);
        assert_eq!(
            got.is_attached_camera(),
            want.attached && want.kind != een_gallery::sim::DeviceKind::Bridge
        );
        assert_eq!(
            got.parent_esn.as_ref().map(|e| e.as_str().to_owned()),
            want.parent_esn
        );
        assert_eq!(got.is_shared, want.shared);
        *seen.entry(format!("{:?}", got.status)).or_insert(0) += 1;
    }
    // The seed exercises each branch of the algorithm that real data showed.
    for status in ["Online", "Offline", "InternetOffline", "Off"] {
        assert!(seen.contains_key(status), "no {status} camera in {seen:?}");
    }
    assert!(cameras.iter().any(|c| c.recording));
    // Channels of the multiview camera name their parent.
    assert!(cameras.iter().any(|c| c.parent_esn.is_some()));
    sim.shutdown().await;
}

#[tokio::test]
async fn previews_list_newest_first_and_fetch_the_right_frames() {
    let sim = sim().await;
    let client = client(&sim);
    let esn = online_camera(&sim);

    // The list first, then the latest preview: a frame made between the two calls can only
    // make the latest newer, so the comparison below cannot race the camera's cadence.
    let page = client.list_previews(&esn, Before::Now, 20).await.unwrap();
    assert_eq!(page.len(), 20);
    assert!(
        page.windows(2).all(|w| w[0] > w[1]),
        "newest first: {page:?}"
    );

    let latest = client.latest_preview(&esn).await.unwrap();
    assert_eq!(
        jpeg::comment(&latest.bytes).unwrap(),
        format!("een-sim esn={esn} ts={}", latest.timestamp)
    );
    assert!(page[0] <= latest.timestamp);

    for ts in &page[..3] {
        let image = client.preview(&esn, *ts).await.unwrap();
        assert_eq!(image.timestamp, *ts);
        assert_eq!(
            jpeg::comment(&image.bytes).unwrap(),
            format!("een-sim esn={esn} ts={ts}")
        );
    }

    // Paging back in time continues strictly before the oldest frame, without overlap.
    let oldest = *page.last().unwrap();
    let older = client
        .list_previews(&esn, Before::At(oldest), 20)
        .await
        .unwrap();
    assert_eq!(older.len(), 20);
    assert!(older.iter().all(|ts| *ts < oldest));
    assert!(older.windows(2).all(|w| w[0] > w[1]));

    // Asking for nothing asks EEN nothing.
    let before = sim.stats().count(Endpoint::ListImage);
    assert!(
        client
            .list_previews(&esn, Before::Now, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(sim.stats().count(Endpoint::ListImage), before);

    // The query forms the spec shows.
    let requests = sim.requests();
    let list = requests
        .iter()
        .find(|r| r.endpoint == Endpoint::ListImage)
        .unwrap();
    assert_eq!(list.path, "/asset/list/image");
    assert_eq!(
        list.query.as_deref(),
        Some(format!("id={esn}&start_timestamp=now&count=-20&asset_class=pre").as_str())
    );
    let prev = requests
        .iter()
        .find(|r| r.endpoint == Endpoint::PrevImage)
        .unwrap();
    assert_eq!(
        prev.query.as_deref(),
        Some(format!("id={esn}&timestamp=now&asset_class=pre").as_str())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_cameras_and_images_are_not_found() {
    let sim = sim().await;
    let client = client(&sim);
    let nobody = "0badcafe".parse().unwrap();
    assert!(matches!(
        client.latest_preview(&nobody).await,
        Err(Error::NotFound)
    ));
    let esn = online_camera(&sim);
    let long_ago = "20000101000000.000".parse().unwrap();
    assert!(matches!(
        client.preview(&esn, long_ago).await,
        Err(Error::NotFound)
    ));

    let without_images: Vec<_> = sim
        .cameras()
        .into_iter()
        .filter(|c| c.attached && !c.has_images)
        .filter_map(|c| c.esn?.parse().ok())
        .collect();
    let esn = without_images
        .first()
        .expect("the seed has a camera without images");
    assert!(matches!(
        client.latest_preview(esn).await,
        Err(Error::NotFound)
    ));
    assert!(
        client
            .list_previews(esn, Before::Now, 20)
            .await
            .unwrap()
            .is_empty()
    );

    // The observed 400 "no matching asset" form of a missing image means the same.
    sim.set_faults(Faults {
        missing_image_as_400: true,
        unknown_camera: UnknownCameraAnswer::NoMatchingAsset,
        ..Faults::default()
    });
    assert!(matches!(
        client.preview(&online_camera(&sim), long_ago).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        client.latest_preview(&nobody).await,
        Err(Error::NotFound)
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn logs_in_again_once_after_the_session_expires() {
    let sim = sim().await;
    let client = client(&sim);
    client.cameras().await.unwrap();
    sim.expire_sessions();
    client.cameras().await.unwrap();

    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::Authenticate), 2);
    assert_eq!(stats.sessions_created, 2);
    assert_eq!(stats.count_status(Endpoint::DeviceList, 401), 1);
    assert_eq!(stats.count_status(Endpoint::DeviceList, 200), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_401s_cause_exactly_one_new_login() {
    // Latency keeps all twenty requests in flight together, and the cap on requests in flight
    // lets them all go at once.
    let sim = sim_with_faults(Faults {
        latency: Duration::from_millis(100),
        ..Faults::default()
    })
    .await;
    let mut config = config(&sim);
    config.max_in_flight = 32;
    let client = Client::new(config).unwrap();
    let esns = online_cameras(&sim);
    client.latest_preview(&esns[0]).await.unwrap();
    sim.expire_sessions();
    sim.reset_stats();

    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = esns
        .iter()
        .cycle()
        .take(20)
        .map(|esn| {
            let (client, esn, barrier) = (client.clone(), esn.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                client.latest_preview(&esn).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = sim.stats();
    // All twenty were refused with the expired session...
    assert_eq!(stats.count_status(Endpoint::PrevImage, 401), 20);
    // ...and one login served them all.
    assert_eq!(stats.count(Endpoint::Authenticate), 1);
    assert_eq!(stats.count(Endpoint::Authorize), 1);
    assert_eq!(stats.sessions_created, 1);
    assert_eq!(stats.count_status(Endpoint::PrevImage, 200), 20);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absorbs_401s_right_after_login() {
    // SIM-23: the first N requests of a new session on the cluster host answer 401, as EEN
    // did in recorded traffic while the session propagated.
    let sim = sim_with_faults(Faults {
        unauthorized_after_login: 3,
        ..Faults::default()
    })
    .await;
    let client = client(&sim);
    client.cameras().await.unwrap();
    let stats = sim.stats();
    assert_eq!(stats.count_status(Endpoint::DeviceList, 401), 3);
    assert_eq!(stats.count_status(Endpoint::DeviceList, 200), 1);
    assert_eq!(stats.count(Endpoint::Authenticate), 1);

    // After an expiry the new session is just as slow to arrive; concurrent callers ride it out.
    sim.expire_sessions();
    let tasks: Vec<_> = online_cameras(&sim)
        .into_iter()
        .cycle()
        .take(10)
        .map(|esn| {
            let client = client.clone();
            tokio::spawn(async move { client.latest_preview(&esn).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::Authenticate), 2);
    assert_eq!(stats.count_status(Endpoint::PrevImage, 200), 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_session_that_never_works_fails_instead_of_looping() {
    // More 401s after login than the client will sit out: it gives up with SessionExpired
    // after one new login, not in a loop.
    let sim = sim_with_faults(Faults {
        unauthorized_after_login: 1000,
        ..Faults::default()
    })
    .await;
    let mut config = config(&sim);
    config.max_retries = 2;
    let client = Client::new(config).unwrap();
    assert!(matches!(client.cameras().await, Err(Error::SessionExpired)));
    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::Authenticate), 2);
    // Session 1: first try + 2 retries; session 2: the one retry after logging in again.
    assert_eq!(stats.count_status(Endpoint::DeviceList, 401), 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn retries_a_transient_no_matching_asset_once() {
    let sim = sim_with_faults(Faults {
        transient_no_matching_asset: 1,
        ..Faults::default()
    })
    .await;
    let client = client(&sim);
    let esn = online_camera(&sim);
    client.latest_preview(&esn).await.unwrap();
    let stats = sim.stats();
    assert_eq!(stats.count_status(Endpoint::PrevImage, 400), 1);
    assert_eq!(stats.count_status(Endpoint::PrevImage, 200), 1);

    // Twice in a row is not transient any more: one retry only, then NotFound.
    sim.set_faults(Faults {
        transient_no_matching_asset: 2,
        ..Faults::default()
    });
    sim.reset_stats();
    assert!(matches!(
        client.list_previews(&esn, Before::Now, 5).await,
        Err(Error::NotFound)
    ));
    assert_eq!(sim.stats().count_status(Endpoint::ListImage, 400), 2);
    assert_eq!(sim.stats().count(Endpoint::ListImage), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backs_off_on_429_without_a_retry_storm() {
    let sim = sim().await;
    let client = client(&sim);
    let esn = online_camera(&sim);
    client.cameras().await.unwrap();

    // Always 429: every call gives up as rate-limited, after at most 1 + max_retries
    // requests; the first 429s slow every call, so far fewer go out.
    sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::PrevImage), 429)],
        ..Faults::default()
    });
    sim.reset_stats();
    let calls = 10;
    let tasks: Vec<_> = (0..calls)
        .map(|_| {
            let (client, esn) = (client.clone(), esn.clone());
            tokio::spawn(async move { client.latest_preview(&esn).await })
        })
        .collect();
    for task in tasks {
        assert!(matches!(task.await.unwrap(), Err(Error::RateLimited)));
    }
    let max_retries = u64::from(config(&sim).max_retries);
    let refused = sim.stats().count_status(Endpoint::PrevImage, 429);
    assert!(refused >= calls, "each call asked at least once: {refused}");
    assert!(
        refused < calls * (1 + max_retries),
        "the pace held retries back: {refused} requests"
    );
    assert_eq!(client.pace().rate_limited, refused);

    // A Retry-After longer than the call's deadline is not waited for, nor retried early
    // (a client of its own: the one above learnt a slow pace).
    let client = self::client(&sim);
    client.cameras().await.unwrap();
    sim.set_faults(Faults {
        rate_limit_per_second: Some(1),
        retry_after_secs: Some(120),
        ..Faults::default()
    });
    sim.reset_stats();
    client.latest_preview(&esn).await.unwrap();
    assert!(matches!(
        client.latest_preview(&esn).await,
        Err(Error::RateLimited)
    ));
    assert_eq!(sim.stats().count_status(Endpoint::PrevImage, 429), 1);
    assert_eq!(sim.stats().count(Endpoint::PrevImage), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honours_retry_after_and_gets_through_a_rate_limit() {
    let sim = sim_with_faults(Faults {
        rate_limit_per_second: Some(5),
        retry_after_secs: Some(1),
        ..Faults::default()
    })
    .await;
    let client = client(&sim);
    client.login().await.unwrap();
    let esns = online_cameras(&sim);
    let calls = 12;
    let tasks: Vec<_> = esns
        .iter()
        .cycle()
        .take(calls)
        .map(|esn| {
            let (client, esn) = (client.clone(), esn.clone());
            tokio::spawn(async move { client.latest_preview(&esn).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = sim.stats();
    let ok = stats.count_status(Endpoint::PrevImage, 200);
    let limited = stats.count_status(Endpoint::PrevImage, 429);
    assert_eq!(ok, calls as u64);
    assert!(limited > 0, "the limit was reached");
    // Every retry waited for a new one-second window, so each window let through its 5 and
    // turned away only the rest: no client retried into the same window again and again.
    assert!(
        limited <= calls as u64 - 5 + (calls as u64 - 10),
        "{limited} answers 429"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn retries_gateway_errors_but_not_server_errors() {
    let sim = sim().await;
    let client = client(&sim);
    client.login().await.unwrap();
    let max_retries = u64::from(config(&sim).max_retries);
    for (status, tries) in [
        (502, 1 + max_retries),
        (503, 1 + max_retries),
        (504, 1 + max_retries),
        (500, 1),
    ] {
        sim.set_faults(Faults {
            errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), status)],
            ..Faults::default()
        });
        sim.reset_stats();
        let err = client.cameras().await.unwrap_err();
        assert!(matches!(err, Error::Upstream(s) if s == status), "{err:?}");
        assert_eq!(err.status(), Some(status));
        assert_eq!(sim.stats().count(Endpoint::DeviceList), tries, "{status}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn request_timeout_fires_on_injected_latency() {
    let sim = sim().await;
    let mut config = config(&sim);
    config.request_timeout = Duration::from_millis(100);
    config.max_retries = 1;
    let client = Client::new(config).unwrap();
    client.login().await.unwrap();
    sim.set_faults(Faults {
        endpoint_latency: BTreeMap::from([(Endpoint::PrevImage, Duration::from_secs(2))]),
        ..Faults::default()
    });
    let err = client
        .latest_preview(&online_camera(&sim))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    // Other endpoints are not slow and still work.
    client.cameras().await.unwrap();
    // No graceful shutdown: it would wait for the abandoned slow requests. The runtime's end
    // stops the simulator.
}

#[tokio::test]
async fn call_deadline_bounds_retries_and_slow_answers() {
    let sim = sim_with_faults(Faults {
        latency: Duration::from_secs(2),
        ..Faults::default()
    })
    .await;
    let mut config = config(&sim);
    config.call_deadline = Duration::from_millis(300);
    let client = Client::new(config).unwrap();
    // The deadline covers the lazy login as well.
    let err = client.cameras().await.unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(matches!(client.session_state(), SessionState::NotLoggedIn));
    // No graceful shutdown: it would wait for the abandoned slow login.
}

#[tokio::test]
async fn unreachable_een_is_a_transport_error() {
    let sim = sim().await;
    let config = config(&sim);
    sim.shutdown().await;
    let client = Client::new(config).unwrap();
    let err = client.cameras().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn invalid_credentials_fail_once_without_a_loop() {
    let sim = sim().await;
    let client = Client::new(config_as(&sim, "demo@een.com", "not-the-password")).unwrap();
    assert!(matches!(
        client.cameras().await,
        Err(Error::InvalidCredentials)
    ));
    assert!(matches!(
        client.latest_preview(&online_camera(&sim)).await,
        Err(Error::InvalidCredentials)
    ));
    // Lazy calls right after a rejection reuse it; only an explicit login tries again.
    assert_eq!(sim.stats().count(Endpoint::Authenticate), 1);
    assert!(matches!(
        client.login().await,
        Err(Error::InvalidCredentials)
    ));
    assert_eq!(sim.stats().count(Endpoint::Authenticate), 2);
    assert_eq!(sim.stats().count(Endpoint::Authorize), 0);
    match client.session_state() {
        SessionState::Failed(reason) => {
            assert!(reason.contains("rejected"), "{reason}");
            assert!(!reason.contains("not-the-password"));
        }
        other => panic!("{other:?}"),
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn account_problems_have_names() {
    let sim = sim().await;
    for (username, code) in LOGIN_STATE_USERS {
        let client = Client::new(config_as(&sim, username, DEMO_PASSWORD)).unwrap();
        let err = client.login().await.unwrap_err();
        let Error::Account(problem) = err else {
            panic!("{username}: {err:?}");
        };
        assert_eq!(problem.status(), code, "{username}");
        assert_eq!(AccountProblem::from_status(code), Some(problem));
        assert!(
            matches!(client.session_state(), SessionState::Failed(r) if r.contains(&problem.to_string()))
        );
    }
    assert_eq!(sim.stats().count(Endpoint::Authorize), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_the_next_call_logs_in_again() {
    let sim = sim().await;
    let client = client(&sim);
    client.logout().await.unwrap(); // nothing to end yet
    assert_eq!(sim.stats().count(Endpoint::Logout), 0);
    client.cameras().await.unwrap();
    client.logout().await.unwrap();
    assert_eq!(client.session_state(), SessionState::NotLoggedIn);
    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::Logout), 1);
    assert!(
        stats.count_status(Endpoint::Logout, 204) + stats.count_status(Endpoint::Logout, 200) == 1
    );
    client.cameras().await.unwrap();
    assert_eq!(sim.stats().count(Endpoint::Authenticate), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caps_requests_in_flight() {
    let sim = sim_with_faults(Faults {
        latency: Duration::from_millis(20),
        ..Faults::default()
    })
    .await;
    let mut config = config(&sim);
    config.max_in_flight = 3;
    let client = Client::new(config).unwrap();
    let esn = online_camera(&sim);
    let page = client.list_previews(&esn, Before::Now, 20).await.unwrap();
    let tasks: Vec<_> = page
        .iter()
        .map(|ts| {
            let (client, esn, ts) = (client.clone(), esn.clone(), *ts);
            tokio::spawn(async move { client.preview(&esn, ts).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let stats = sim.stats();
    assert_eq!(stats.count_status(Endpoint::AssetImage, 200), 20);
    assert!(
        stats.images_in_flight_peak <= 3,
        "{}",
        stats.images_in_flight_peak
    );
    assert!(stats.images_in_flight_peak >= 1);
    sim.shutdown().await;
}

/// A caller queued behind a login that timed out tries the login itself instead of taking on
/// the timeout (which may be due only to the first caller's request timeout).
#[tokio::test]
async fn a_caller_queued_behind_a_timed_out_login_logs_in_itself() {
    let sim = sim_with_faults(Faults {
        endpoint_latency: BTreeMap::from([(Endpoint::Authorize, Duration::from_secs(60))]),
        ..Faults::default()
    })
    .await;
    let mut config = config(&sim);
    config.request_timeout = Duration::from_secs(1);
    config.max_retries = 0;
    let client = Client::new(config).unwrap();

    let first = tokio::spawn({
        let client = client.clone();
        async move { client.cameras().await }
    });
    // Once its authorize is held at the simulator, the first caller holds the login lock
    // (and the hang it met was chosen when it arrived, so recovering does not undo it).
    tokio::time::timeout(Duration::from_secs(10), async {
        while sim.stats().arrived(Endpoint::Authorize) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the first login reached the simulator");
    let second = tokio::spawn({
        let client = client.clone();
        async move { client.cameras().await }
    });
    // EEN recovers while the first authorize is still hanging.
    sim.set_faults(Faults::default());

    let first = first.await.unwrap();
    assert!(matches!(first, Err(Error::Timeout)), "{first:?}");
    let second = second.await.unwrap();
    assert!(second.is_ok(), "{second:?}");
    assert_eq!(sim.stats().count(Endpoint::Authenticate), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_frames_neighbours_are_the_listings_next_frames_with_their_jpegs() {
    let sim = sim().await;
    let client = client(&sim);
    let esn = online_camera(&sim);
    // A window in the past, so no frame appears in it while the test runs.
    let before = een_gallery::timestamp::EenTimestamp::now().add_millis(-60_000);
    let page = client
        .list_previews(&esn, Before::At(before), 5)
        .await
        .unwrap();
    assert_eq!(page.len(), 5);
    sim.reset_stats();
    for pair in page.windows(2) {
        let (newer, older) = (pair[0], pair[1]);
        let found = client
            .neighbour_preview(&esn, newer, Side::Older)
            .await
            .unwrap();
        assert_eq!(found.timestamp, older, "the frame before {newer}");
        assert_eq!(
            jpeg::comment(&found.bytes).unwrap(),
            format!("een-sim esn={esn} ts={older}")
        );
        let found = client
            .neighbour_preview(&esn, older, Side::Newer)
            .await
            .unwrap();
        assert_eq!(found.timestamp, newer, "the frame after {older}");
        assert_eq!(
            jpeg::comment(&found.bytes).unwrap(),
            format!("een-sim esn={esn} ts={newer}")
        );
    }
    // One request each: `prev` for the frame before, `after` for the one after.
    let stats = sim.stats();
    assert_eq!(stats.count_status(Endpoint::PrevImage, 200), 4);
    assert_eq!(stats.count_status(Endpoint::AfterImage, 200), 4);

    // A camera without images has no neighbours on either side.
    let empty: Esn = sim
        .cameras()
        .into_iter()
        .find(|c| c.attached && !c.has_images && c.esn.is_some())
        .and_then(|c| c.esn?.parse().ok())
        .expect("the demo has a camera without images");
    for side in [Side::Older, Side::Newer] {
        let answer = client.neighbour_preview(&empty, before, side).await;
        assert!(
            matches!(answer, Err(Error::NotFound)),
            "{side:?}: {answer:?}"
        );
    }
    sim.shutdown().await;
}
