//! The EEN API v3 client over real HTTP against the in-process simulator: the connect flow
//! through the consent page, the stored connection across a restart, single-flight refresh,
//! rotation, "reconnection needed", the API host check, and the camera page's frames (proved
//! by their JPEG comments, counted at the simulator).

use std::collections::HashSet;

use een_gallery::een::v3::{CONNECTION_FILE, Client, Store};
use een_gallery::een::{Backend, Before, ConnectionState, Error, Esn, Side, v1};
use een_gallery::server::demo;
use een_gallery::sim::{DEMO_USERNAME, Endpoint, SimHandle};
use een_gallery::timestamp::EenTimestamp;
use secrecy::ExposeSecret;

use crate::support::connect;
use crate::support::een as v1_support;
use crate::support::jpeg::comment;
use crate::support::v3::{self as sim_v3, REDIRECT};

/// A simulator that approves the connect flow by itself.
async fn approving_sim() -> SimHandle {
    connect::sim(|c| c.v3.auto_approve = Some(DEMO_USERNAME.to_owned())).await
}

fn client(sim: &SimHandle, store: Store) -> Client {
    let config = demo::v3_client_config(sim, REDIRECT);
    Client::new(config, store).expect("client builds")
}

/// A client connected through the simulator's auto-approval, its connection in memory.
async fn connected(sim: &SimHandle) -> Client {
    let client = client(sim, Store::memory());
    let config = demo::v3_client_config(sim, REDIRECT);
    demo::approve(&Backend::from(client.clone()), &config.resolve)
        .await
        .expect("connects");
    client
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

#[tokio::test]
async fn the_connect_flow_goes_through_the_consent_page_and_survives_a_restart() {
    let sim = connect::sim(|_| {}).await;
    let dir = connect::temp_dir("een-connect");
    let gallery = client(&sim, Store::file(&dir));
    assert_eq!(gallery.connection_state(), ConnectionState::NotConnected);
    assert!(matches!(gallery.connect().await, Err(Error::NotConnected)));

    // The operator's browser: the authorize page, the consent form, Allow.
    let request = gallery.begin_authorization().unwrap();
    let browser = sim_v3::v3_client(&sim);
    let back = connect::sign_in(&sim, &browser, request.url.as_str(), "allow").await;
    assert!(back.as_str().starts_with(REDIRECT), "{back}");
    let state = connect::query_param(&back, "state");
    assert_eq!(state.as_deref(), Some(request.state.expose_secret()));
    let code = connect::query_param(&back, "code").expect("a code");

    // A wrong verifier is refused (PKCE) and stores nothing.
    let wrong = secrecy::SecretString::from("not-the-verifier-of-this-flow-0123456789abc");
    assert!(matches!(
        gallery.complete_authorization(&code, &wrong).await,
        Err(Error::CodeRejected)
    ));
    assert!(!dir.join(CONNECTION_FILE).exists());

    // The code is single use, so the flow starts over for the good exchange.
    let request = gallery.begin_authorization().unwrap();
    let back = connect::sign_in(&sim, &browser, request.url.as_str(), "allow").await;
    let code = connect::query_param(&back, "code").expect("a code");
    gallery
        .complete_authorization(&code, &request.verifier)
        .await
        .expect("the code is exchanged");
    assert_eq!(gallery.connection_state(), ConnectionState::Connected);
    let cameras = gallery.cameras().await.expect("cameras");
    assert!(!cameras.is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join(CONNECTION_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(dir.join(CONNECTION_FILE)).unwrap();
    assert!(!text.contains(&code), "the code is not kept");

    // A restart: a new client over the same directory serves without any browser step.
    let codes_before = sim.stats().v3.codes_issued;
    let restarted = client(&sim, Store::file(&dir));
    restarted
        .connect()
        .await
        .expect("the stored connection is used");
    assert_eq!(restarted.cameras().await.unwrap().len(), cameras.len());
    assert_eq!(sim.stats().v3.codes_issued, codes_before);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn twenty_concurrent_calls_with_an_expired_token_make_one_refresh() {
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let esn = v1_support::online_camera(&sim);
    gallery.latest_preview(&esn).await.expect("a preview");
    sim.expire_v3_access_tokens();
    let before = sim.stats().v3.refreshes;
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let gallery = gallery.clone();
            let esn = esn.clone();
            tokio::spawn(async move { gallery.latest_preview(&esn).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("every call gets through");
    }
    assert_eq!(sim.stats().v3.refreshes - before, 1, "exactly one refresh");
    assert_eq!(sim.stats().v3.rotations_refused, 0);
}

#[tokio::test]
async fn rotation_survives_three_refreshes_and_never_replays_a_token() {
    let sim = approving_sim().await;
    let dir = connect::temp_dir("een-rotation");
    let store = Store::file(&dir);
    let gallery = client(&sim, store.clone());
    let config = demo::v3_client_config(&sim, REDIRECT);
    demo::approve(&Backend::from(gallery.clone()), &config.resolve)
        .await
        .unwrap();
    let esn = v1_support::online_camera(&sim);
    for round in 1..=3 {
        sim.expire_v3_access_tokens();
        gallery
            .latest_preview(&esn)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
    let sent = refresh_tokens_sent(&sim);
    assert_eq!(sent.len(), 3);
    let distinct: HashSet<_> = sent.iter().collect();
    assert_eq!(distinct.len(), 3, "no refresh token was sent twice");
    assert_eq!(sim.stats().v3.rotations_refused, 0);
    // What is stored is the newest pair: a restart refreshes with it, not a dead one.
    let restarted = client(&sim, store);
    restarted.connect().await.unwrap();
    sim.expire_v3_access_tokens();
    restarted.latest_preview(&esn).await.expect("after restart");
    assert_eq!(sim.stats().v3.rotations_refused, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_refused_refresh_means_reconnection_needed_and_is_not_retried() {
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let esn = v1_support::online_camera(&sim);
    sim.refuse_v3_refreshes(1);
    sim.expire_v3_access_tokens();
    assert!(matches!(
        gallery.latest_preview(&esn).await,
        Err(Error::ReconnectionNeeded)
    ));
    assert_eq!(
        gallery.connection_state(),
        ConnectionState::ReconnectionNeeded
    );
    let token_calls = sim.stats().count(Endpoint::V3Token);
    for _ in 0..3 {
        assert!(matches!(
            gallery.cameras().await,
            Err(Error::ReconnectionNeeded)
        ));
    }
    assert_eq!(
        sim.stats().count(Endpoint::V3Token),
        token_calls,
        "no retry"
    );
}

#[tokio::test]
async fn a_poisoned_api_host_gets_no_token() {
    let sim = approving_sim().await;
    let port = sim.addr().port();
    assert!(sim.set_v3_api_host(&format!("api.evil.example:{port}")));
    let gallery = client(&sim, Store::memory());
    let config = demo::v3_client_config(&sim, REDIRECT);
    let refused = demo::approve(&Backend::from(gallery.clone()), &config.resolve).await;
    assert!(refused.is_err(), "the connection is refused");
    assert_eq!(gallery.connection_state(), ConnectionState::NotConnected);

    // Connected first, then a refresh names a host outside EEN's domain.
    assert!(sim.set_v3_api_host(&format!("{}:{port}", sim_v3::API_HOST)));
    let gallery = connected(&sim).await;
    let esn = v1_support::online_camera(&sim);
    assert!(sim.set_v3_api_host(&format!("api.evil.example:{port}")));
    sim.expire_v3_access_tokens();
    assert!(gallery.latest_preview(&esn).await.is_err());
    assert_eq!(sim.stats().host_count("api.evil.example"), 0);
}

/// The frames a v1 client lists for the same camera and window: the simulator serves one
/// account through both APIs, so this is the truth the v3 walk must find.
async fn v1_truth(sim: &SimHandle, esn: &Esn, before: EenTimestamp) -> Vec<EenTimestamp> {
    let v1 = v1::Client::new(v1_support::config(sim)).unwrap();
    v1.list_previews(esn, Before::At(before), 20).await.unwrap()
}

#[tokio::test]
async fn a_camera_page_is_the_twenty_newest_frames_with_at_most_five_in_flight() {
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let cameras = gallery.cameras().await.unwrap();
    // The base cadence, four times faster, and the slowest (16 s).
    for name in ["Cash Register", "Yard Analog Cam"]
        .into_iter()
        .chain(std::iter::once(""))
    {
        let camera = cameras
            .iter()
            .find(|c| {
                if name.is_empty() {
                    c.status.is_online()
                } else {
                    c.name == name
                }
            })
            .unwrap_or_else(|| panic!("camera {name:?}"));
        sim.reset_stats();
        let listed = gallery
            .list_previews(&camera.esn, Before::Now, 20)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", camera.name));
        let stats = sim.stats();
        let calls = stats.count(Endpoint::V3RecordedImage) + stats.count(Endpoint::V3LiveImage);
        // The first view of a camera measures its cadence first; whatever frame jitter does
        // to the anchors, a walk of 20 makes at most 25 calls (see `walk`).
        assert!(calls <= 25, "{}: {calls} EEN calls", camera.name);
        assert!(stats.v3.images_in_flight_peak <= 5, "{}: peak", camera.name);
        assert_eq!(listed.len(), 20, "{}", camera.name);
        let times: Vec<_> = listed.iter().map(|l| l.timestamp).collect();
        assert!(
            times.windows(2).all(|w| w[0] > w[1]),
            "newest first, distinct"
        );
        for item in &listed {
            let bytes = item.bytes.as_ref().expect("frames come with their JPEG");
            let text = comment(bytes).expect("a simulator frame");
            assert!(
                text.contains(&format!("esn={}", camera.esn))
                    && text.contains(&format!("ts={}", item.timestamp)),
                "{text}"
            );
        }
        let newest = times[0].add_millis(1);
        assert_eq!(
            times,
            v1_truth(&sim, &camera.esn, newest).await,
            "{}",
            camera.name
        );

        // Older: the 20 before the oldest shown, with the cadence learned now.
        sim.reset_stats();
        let older = gallery
            .list_previews(&camera.esn, Before::At(times[19]), 20)
            .await
            .unwrap();
        let older: Vec<_> = older.iter().map(|l| l.timestamp).collect();
        assert_eq!(older, v1_truth(&sim, &camera.esn, times[19]).await);
        // The cadence is known now: at most 25 calls, as v1's list call and 20 images.
        let calls = sim.stats().count(Endpoint::V3RecordedImage);
        assert!(calls <= 25, "{}: {calls} EEN calls for Older", camera.name);

        // And the page before that, its anchors aimed by the frames of the last one.
        sim.reset_stats();
        let oldest = older[19];
        let oldest_page = gallery
            .list_previews(&camera.esn, Before::At(oldest), 20)
            .await
            .unwrap();
        let oldest_page: Vec<_> = oldest_page.iter().map(|l| l.timestamp).collect();
        assert_eq!(oldest_page, v1_truth(&sim, &camera.esn, oldest).await);
        let calls = sim.stats().count(Endpoint::V3RecordedImage);
        assert!(calls <= 25, "{}: {calls} EEN calls, 3rd page", camera.name);
    }
}

#[tokio::test]
async fn a_rate_limited_een_is_waited_out_as_retry_after_asks() {
    use een_gallery::sim::Faults;
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let esn = v1_support::online_camera(&sim);
    // One request a second per token, and EEN says to wait a second.
    sim.set_faults(Faults {
        rate_limit_per_second: Some(1),
        retry_after_secs: Some(1),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    for _ in 0..3 {
        gallery.latest_preview(&esn).await.expect("gets through");
    }
    let limited = sim.stats().count_status(Endpoint::V3LiveImage, 429);
    assert!(limited >= 1, "the limit was hit");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "the client waited as Retry-After asked"
    );
}

#[tokio::test]
async fn the_camera_list_maps_every_connection_status_and_time_zone() {
    use een_gallery::een::CameraStatus;
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let cameras = gallery.cameras().await.unwrap();
    let statuses: HashSet<_> = cameras.iter().map(|c| c.status).collect();
    for status in [
        CameraStatus::Online,
        CameraStatus::Offline,
        CameraStatus::PasswordNeeded,
        CameraStatus::BridgeOffline,
        CameraStatus::Off,
        CameraStatus::Faulty,
        CameraStatus::Unknown,
    ] {
        assert!(statuses.contains(&status), "{status:?} occurs");
    }
    assert!(
        cameras
            .iter()
            .any(|c| c.time_zone.iana_name().is_some_and(|z| z != "UTC")),
        "time zones come through"
    );
    // The same cameras the v1 API shows (attached cameras), whatever the API.
    let v1 = v1::Client::new(v1_support::config(&sim)).unwrap();
    let mut v1_ids: Vec<_> = v1
        .cameras()
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.kind == v1::DeviceKind::Camera)
        .map(|d| d.esn)
        .collect();
    let mut v3_ids: Vec<_> = cameras.iter().map(|c| c.esn.clone()).collect();
    v1_ids.sort();
    v3_ids.sort();
    assert_eq!(v1_ids, v3_ids);
}

#[tokio::test]
async fn a_second_view_of_the_newest_frames_walks_only_the_new_ones() {
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let cameras = gallery.cameras().await.unwrap();
    // Four frames a second: new ones come while the test waits for them.
    let camera = cameras
        .iter()
        .find(|c| c.name == "Cash Register")
        .expect("the fast camera");
    let image_calls = |sim: &SimHandle| {
        let stats = sim.stats();
        stats.count(Endpoint::V3RecordedImage) + stats.count(Endpoint::V3LiveImage)
    };
    sim.reset_stats();
    let first = gallery
        .list_previews(&camera.esn, Before::Now, 20)
        .await
        .unwrap();
    let cold = image_calls(&sim);
    assert_eq!(first.len(), 20);
    assert!(cold <= 25, "{cold} calls for the first view");

    // Polled through v1 (which the count below leaves out), with a deadline: a few new
    // frames, fewer than a page.
    let seen = first[0].timestamp;
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let newest = v1_truth(&sim, &camera.esn, EenTimestamp::now()).await;
            if newest
                .iter()
                .position(|&t| t == seen)
                .is_some_and(|i| i >= 3)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("new frames come");

    sim.reset_stats();
    let second = gallery
        .list_previews(&camera.esn, Before::Now, 20)
        .await
        .unwrap();
    let warm = image_calls(&sim);
    let times: Vec<_> = second.iter().map(|l| l.timestamp).collect();
    assert_eq!(
        times,
        v1_truth(&sim, &camera.esn, times[0].add_millis(1)).await
    );
    let new = times
        .iter()
        .position(|&t| t == seen)
        .expect("the first view's newest");
    // The new frames, and the call whose answer is the first view's newest frame.
    assert!(warm <= new as u64 + 2, "{warm} calls for {new} new frames");
    assert!(warm * 2 < cold, "{warm} calls warm, {cold} cold");
    for item in &second {
        match &item.bytes {
            Some(bytes) => {
                let text = comment(bytes).expect("a simulator frame");
                assert!(text.contains(&format!("ts={}", item.timestamp)), "{text}");
            }
            // The rest come from the first view: the cache layer has their JPEGs.
            None => assert!(first.iter().any(|f| f.timestamp == item.timestamp)),
        }
    }
}

#[tokio::test]
async fn a_frames_neighbours_are_one_call_each_and_match_v1() {
    let sim = approving_sim().await;
    let gallery = connected(&sim).await;
    let esn: Esn = v1_support::online_camera(&sim);
    // A window in the past, so no frame appears in it while the test runs.
    let before = EenTimestamp::now().add_millis(-60_000);
    let truth = v1_truth(&sim, &esn, before).await;
    sim.reset_stats();
    for pair in truth[..5].windows(2) {
        let (newer, older) = (pair[0], pair[1]);
        let found = gallery
            .neighbour_preview(&esn, newer, Side::Older)
            .await
            .unwrap();
        assert_eq!(found.timestamp, older, "the frame before {newer}");
        assert_eq!(
            comment(&found.bytes).unwrap(),
            format!("een-sim esn={esn} ts={older}")
        );
        let found = gallery
            .neighbour_preview(&esn, older, Side::Newer)
            .await
            .unwrap();
        assert_eq!(found.timestamp, newer, "the frame after {older}");
    }
    assert_eq!(sim.stats().count(Endpoint::V3RecordedImage), 8);
}
