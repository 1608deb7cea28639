//! Health, readiness, recovery and serving over a real socket.

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::StatusCode;
use een_gallery::cache::Status;
use een_gallery::een::{self, v1};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::healthcheck::{self, HealthcheckArgs};
use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, Endpoint, ErrorFault, Faults};

use crate::support::een::config_at;
use crate::support::gallery::{
    Options, Served, TestApp, attrs, get_via, quick_backoff, serve, start, start_with, text,
    wait_for,
};
use crate::support::net::{free_addr, plain_client};
use crate::support::sim::sim_with;

#[tokio::test]
async fn healthz_answers_at_once_and_readyz_waits_for_a_session() {
    let app = start_with(Options {
        connect: false,
        ..Options::default()
    })
    .await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.header("cache-control"), Some("no-store"));

    let before = app.get("/readyz").await;
    assert_eq!(before.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.sim.stats().sessions_created, 0);

    app.connect();
    app.wait_for(Status::Ready).await;
    let after = app.get("/readyz").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(app.sim.stats().sessions_created, 1);
}

#[tokio::test]
async fn rejected_credentials_make_readyz_and_pages_503_saying_so() {
    let password = "not-the-password-3f9a";
    let app = start_with(Options {
        password: password.to_owned(),
        ..Options {
            connect: false,
            ..Options::default()
        }
    })
    .await;
    app.connect();
    app.wait_for(Status::CredentialsRejected).await;

    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        ready.text().contains("rejected the configured credentials"),
        "{}",
        ready.text()
    );

    app.sim.reset_stats();
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    let html = page.html();
    assert_eq!(
        text(&html, "#error h1").as_deref(),
        Some("Eagle Eye Networks rejected the credentials")
    );
    assert!(
        !page.text().contains(password),
        "the page shows the password"
    );
    // Pages do not retry a rejected login: only the keeper does, with backoff.
    assert_eq!(app.sim.stats().count(Endpoint::DeviceList), 0);
}

#[tokio::test]
async fn unreachable_een_says_so_and_the_gallery_recovers_by_itself() {
    let addr = free_addr();
    // The client is pointed at an address where no simulator runs yet.
    let state = unreachable_state(addr);
    let router = app(state.clone());
    state.spawn_keeper(quick_backoff());
    wait_for(&state, Status::Unreachable).await;

    let test_app = TestApp {
        // Start the simulator where the client looks; the keeper finds it by itself.
        sim: sim_with(|config| config.bind = addr).await,
        state: state.clone(),
        router,
    };
    let ready = test_app.get("/readyz").await;
    // Whatever the keeper has done by now, readiness says the truth; then it becomes ready.
    assert!(matches!(
        ready.status,
        StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE
    ));
    test_app.wait_for(Status::Ready).await;
    assert_eq!(test_app.get("/readyz").await.status, StatusCode::OK);
    assert_eq!(test_app.get("/?seed=3").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_page_while_een_is_unreachable_is_a_503_saying_so() {
    let router = app(unreachable_state(free_addr()));
    let response = get_via(&router, "/").await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        text(&response.html(), "#error h1").as_deref(),
        Some("Eagle Eye Networks is unreachable")
    );
}

/// A gallery whose EEN client logs in as the demo user to a simulator that will listen on
/// `addr` (but does not yet), quick to find out that nothing answers and never retrying.
fn unreachable_state(addr: SocketAddr) -> AppState {
    let mut config = config_at(addr, DEMO_USERNAME, DEMO_PASSWORD);
    config.connect_timeout = Duration::from_secs(1);
    config.max_retries = 0;
    AppState::new(
        v1::Client::new(config).expect("client"),
        Settings::default(),
    )
}

#[tokio::test]
async fn metrics_count_requests_een_calls_and_cache_hits() {
    let app = start().await;
    let esn = app.online_camera().esn.expect("esn");
    // A fixed page: with `Before::Now` a frame newer than the first view could appear.
    let newest = app.newest_timestamps(&esn, 1).await;
    let uri = format!("/cameras/{esn}?before={}", newest[0]);
    app.page(&uri).await;
    app.page(&uri).await;
    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, StatusCode::OK);
    let body = metrics.text();
    assert!(
        body.contains(r#"een_gallery_http_requests_total{route="/cameras/{esn}",status="200"} 2"#),
        "{body}"
    );
    assert!(body.contains(r#"een_gallery_een_calls_total{call="preview",outcome="ok"}"#));
    let hits = body
        .lines()
        .find_map(|l| l.strip_prefix("een_gallery_image_cache_hits_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .expect("hits counter");
    assert!(hits >= 20, "the second view hit the cache: {hits}");
}

#[tokio::test]
async fn serves_over_a_real_socket_and_stops_when_asked() {
    let test_app = start().await;
    let Served {
        addr,
        stop,
        task: server,
    } = serve(test_app.router.clone(), Duration::from_secs(5)).await;

    let client = plain_client();
    let page = client
        .get(format!("http://{addr}/?seed=8"))
        .send()
        .await
        .expect("grid answers");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let headers = page.headers().clone();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .contains("default-src 'none'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");

    let args = HealthcheckArgs {
        url: Some(format!("http://{addr}/healthz").parse().expect("url")),
        bind: addr,
        timeout_secs: 3,
    };
    assert!(healthcheck::run(&args).await);

    stop.send(()).expect("server running");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops")
        .expect("server task")
        .expect("server result");
    assert!(!healthcheck::run(&args).await, "nothing listens any more");
}

#[tokio::test]
async fn the_healthcheck_fails_when_nothing_listens() {
    let addr = free_addr();
    let args = HealthcheckArgs {
        url: None,
        bind: addr,
        timeout_secs: 2,
    };
    assert!(!healthcheck::run(&args).await);
}

#[tokio::test]
async fn readiness_follows_a_session_lost_mid_run() {
    let app: TestApp = start().await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    // The session expires at EEN: the client logs in again by itself and pages keep working.
    app.sim.expire_sessions();
    let esn = app.online_camera().esn.expect("esn");
    assert_eq!(
        app.get(&format!("/cameras/{esn}")).await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    assert!(app.sim.stats().sessions_created >= 2);
}

#[tokio::test]
async fn shutdown_drains_for_a_bounded_time_even_with_a_request_hanging() {
    let test_app = start().await;
    let esn = test_app.online_camera().esn.expect("esn");
    test_app.sim.set_faults(een_gallery::sim::Faults {
        endpoint_latency: [(Endpoint::AssetImage, Duration::from_secs(60))].into(),
        ..Default::default()
    });
    let Served {
        addr,
        stop,
        task: server,
    } = serve(test_app.router.clone(), Duration::from_millis(200)).await;
    // An image request that EEN will not answer for a minute.
    let client = plain_client();
    let hanging = tokio::spawn(
        client
            .get(format!(
                "http://{addr}/cameras/{esn}/images/20200101000000.000.jpg"
            ))
            .send(),
    );
    // Wait until the request is in flight at EEN (counted when it ends, but the in-flight peak
    // rises when it starts), then ask the server to stop.
    test_app.sim.reset_stats();
    tokio::time::timeout(Duration::from_secs(10), async {
        while test_app.sim.stats().images_in_flight_peak == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the image request reached the simulator");
    stop.send(()).expect("server running");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after the drain time, not after EEN answers")
        .expect("server task")
        .expect("server result");
    hanging.abort();
}

#[tokio::test]
async fn a_slow_image_does_not_make_the_gallery_unreachable() {
    let app = start_with(Options {
        settings: Settings {
            page_deadline: Duration::from_millis(200),
            ..Settings::default()
        },
        client: |config| {
            config.request_timeout = Duration::from_millis(300);
            config.call_deadline = Duration::from_millis(600);
            config.max_retries = 0;
        },
        ..Options::default()
    })
    .await;
    let esn: een::Esn = app.online_camera().esn.expect("esn").parse().expect("esn");
    // Images take far longer than the page deadline and the client's own timeout.
    app.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::AssetImage, Duration::from_secs(60))].into(),
        ..Faults::default()
    });
    let page = app.page(&format!("/cameras/{esn}")).await;
    assert!(
        !attrs(&page, "img[data-state=late]", "alt").is_empty(),
        "the page gave up on its images"
    );
    // Wait for one of the fetches the page left running in the background to time out.
    let late = app.newest_timestamps(esn.as_str(), 1).await;
    let fetch = tokio::time::timeout(
        Duration::from_secs(10),
        app.state.images.image(&esn, late[0]),
    )
    .await
    .expect("the client's timeout ends the fetch");
    assert!(
        matches!(fetch.as_ref().map_err(|e| &**e), Err(een::Error::Timeout)),
        "{fetch:?}"
    );

    assert_eq!(app.state.health.status(), Status::Ready);
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);
    let grid = app.page("/?seed=5").await;
    assert_eq!(text(&grid, "#upstream-notice"), None, "no EEN warning");
}

#[tokio::test]
async fn a_camera_list_answering_503_makes_readyz_503() {
    let app = start().await;
    app.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), 503)],
        ..Faults::default()
    });
    let refresh = app.state.directory.refresh().await;
    assert!(
        matches!(refresh, Err(een::Error::Upstream(503))),
        "{refresh:?}"
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        ready.text().contains("cannot be reached"),
        "{}",
        ready.text()
    );
}

#[tokio::test]
async fn pages_say_at_once_that_een_is_known_down_and_leave_the_probing_to_the_keeper() {
    // EEN hangs: the keeper's login times out after half a second, and the page deadline is
    // far longer than the test waits, so only an answer that does not wait for EEN arrives.
    let app = start_with(Options {
        faults: Faults {
            endpoint_latency: [(Endpoint::Authenticate, Duration::from_secs(60))].into(),
            ..Faults::default()
        },
        settings: Settings {
            page_deadline: Duration::from_secs(30),
            ..Settings::default()
        },
        connect: false,
        client: |config| {
            config.request_timeout = Duration::from_millis(500);
            config.call_deadline = Duration::from_secs(1);
            config.max_retries = 0;
        },
        ..Options::default()
    })
    .await;
    // One probe, then the keeper waits a minute before the next.
    app.state.spawn_keeper(een_gallery::cache::Backoff {
        initial: Duration::from_secs(60),
        max: Duration::from_secs(60),
        keep_alive: Duration::from_secs(600),
    });
    app.wait_for(Status::Unreachable).await;
    app.sim.reset_stats();

    for path in ["/", "/cameras/10096820", "/cameras/10096820/preview.jpg"] {
        let answer = tokio::time::timeout(Duration::from_secs(5), app.get(path))
            .await
            .unwrap_or_else(|_| panic!("{path} waited for a dead EEN"));
        // The tile image answers its placeholder; the pages say why.
        if path != "/cameras/10096820/preview.jpg" {
            assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
            assert_eq!(
                text(&answer.html(), "h1").as_deref(),
                Some("Eagle Eye Networks is unreachable"),
                "{path}"
            );
        }
    }
    let stats = app.sim.stats();
    let asked: u64 = stats.requests.values().flat_map(|by| by.values()).sum();
    assert_eq!(asked, 0, "page views left EEN to the keeper: {stats:?}");
}
