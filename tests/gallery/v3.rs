//! The gallery on EEN API v3: the same pages as on v1, the frames of a camera page coming
//! with its listing (no second fetch), and the pages, `/readyz` and `/metrics` when no account
//! is connected yet or EEN asks for reconnection.

use std::time::Duration;

use een_gallery::cache::{Backoff, Status};
use een_gallery::een::Backend;
use een_gallery::een::v3::{Client, Store};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::demo;
use een_gallery::sim::{DEMO_USERNAME, Endpoint, SimConfig, SimHandle};

use crate::support::connect;
use crate::support::gallery::{TestApp, attrs, quick_backoff, text};
use crate::support::jpeg::comment;
use crate::support::v3::REDIRECT;

/// A v3 simulator (auto-approving the connect flow when `approve`), its `httpsBaseUrl` on its
/// own port.
async fn sim(approve: bool) -> SimHandle {
    sim_with(approve, |_| {}).await
}

async fn sim_with(approve: bool, f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    connect::sim(|c| {
        if approve {
            c.v3.auto_approve = Some(DEMO_USERNAME.to_owned());
        }
        f(c);
    })
    .await
}

/// A gallery on v3 in front of `sim`, connected (through the simulator's auto-approval) when
/// `connected`, with its keeper running.
async fn gallery(sim: SimHandle, connected: bool) -> TestApp {
    gallery_with(sim, connected, quick_backoff()).await
}

async fn gallery_with(sim: SimHandle, connected: bool, backoff: Backoff) -> TestApp {
    let config = demo::v3_client_config(&sim, REDIRECT);
    let resolve = config.resolve.clone();
    let backend = Backend::from(Client::new(config, Store::memory()).unwrap());
    if connected {
        demo::approve(&backend, &resolve).await.expect("connects");
    }
    let state = AppState::new(backend, Settings::default());
    state.spawn_keeper(backoff);
    let router = app(state.clone());
    TestApp { sim, state, router }
}

#[tokio::test]
async fn the_grid_and_a_camera_page_work_on_v3_and_frames_are_fetched_once() {
    let app = gallery(sim(true).await, true).await;
    app.wait_for(Status::Ready).await;
    let grid = app.page("/").await;
    let tiles = attrs(&grid, ".tile img", "src");
    assert_eq!(tiles.len(), 9, "nine tiles");

    let camera = app.online_camera();
    let esn = camera.esn.clone().unwrap();
    app.sim.reset_stats();
    let page = app.page(&format!("/cameras/{esn}")).await;
    let images = attrs(&page, ".frame img", "src");
    assert_eq!(images.len(), 20, "twenty frames");
    let listed = app.sim.stats().count(Endpoint::V3RecordedImage)
        + app.sim.stats().count(Endpoint::V3LiveImage);
    assert!(listed <= 25, "{listed} EEN image calls for a cold page");
    for src in &images {
        let image = app.get(src).await;
        assert_eq!(image.status, 200, "{src}");
        let note = comment(&image.body).expect("a simulator frame");
        assert!(note.contains(&format!("esn={esn}")), "{note}");
    }
    let after = app.sim.stats().count(Endpoint::V3RecordedImage)
        + app.sim.stats().count(Endpoint::V3LiveImage);
    assert_eq!(after, listed, "the page's images came with its listing");
}

#[tokio::test]
async fn without_a_connection_pages_say_so_and_show_no_camera_data() {
    let app = gallery(sim(false).await, false).await;
    app.wait_for(Status::NotConnected).await;
    let page = app.get("/").await;
    assert_eq!(page.status, 503);
    let html = page.html();
    assert_eq!(
        text(&html, "h1").as_deref(),
        Some("Not connected to Eagle Eye Networks yet")
    );
    assert!(
        attrs(&html, "a", "href")
            .iter()
            .all(|href| !href.starts_with("/cameras/"))
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(ready.text().contains("Not connected"), "{}", ready.text());
    let metrics = app.get("/metrics").await.text();
    assert!(metrics.contains("een_gallery_een_status{status=\"not_connected\"} 1"));
    let stats = app.sim.stats();
    assert_eq!(
        stats.count(Endpoint::V3Cameras),
        0,
        "no EEN call without a connection"
    );
}

#[tokio::test]
async fn a_refused_refresh_asks_for_reconnection_and_pages_stop_trying() {
    let app = gallery(sim(true).await, true).await;
    app.wait_for(Status::Ready).await;
    let esn = app.online_camera().esn.unwrap();
    app.sim.refuse_v3_refreshes(1);
    app.sim.expire_v3_access_tokens();
    let page = app.get(&format!("/cameras/{esn}")).await;
    assert_eq!(page.status, 503);
    assert_eq!(
        text(&page.html(), "h1").as_deref(),
        Some("Reconnection to Eagle Eye Networks needed")
    );
    app.wait_for(Status::ReconnectionNeeded).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status, 503);
    assert!(
        app.get("/metrics")
            .await
            .text()
            .contains("een_gallery_een_status{status=\"reconnection_needed\"} 1")
    );
    let tokens = app.sim.stats().count(Endpoint::V3Token);
    // The grid may still show the cached camera list, under the notice; nothing new is asked.
    let grid = app.get("/").await;
    assert!(
        grid.text()
            .contains("Eagle Eye Networks asks for the account to be connected again"),
        "{}",
        grid.text()
    );
    assert_eq!(app.get(&format!("/cameras/{esn}")).await.status, 503);
    // A cached latest preview may still be served; an uncached one is not fetched.
    app.get(&format!("/cameras/{esn}/preview.jpg")).await;
    assert_eq!(
        app.sim.stats().count(Endpoint::V3Token),
        tokens,
        "page views never retry a refused refresh"
    );
}

#[tokio::test]
async fn an_idle_gallery_refreshes_its_token_before_it_expires() {
    // Tokens live 301 s; refreshing 300 s ahead makes one due a second after it is issued.
    let sim = sim_with(true, |c| c.v3.access_token_ttl = Duration::from_secs(301)).await;
    let backoff = Backoff {
        keep_alive: Duration::from_millis(100),
        ..quick_backoff()
    };
    let app = gallery_with(sim, true, backoff).await;
    app.wait_for(Status::Ready).await;
    let before = app.sim.stats().v3.refreshes;
    // No page is viewed: the keeper alone must refresh. Polled, with a deadline.
    let refreshed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tick.tick().await;
            if app.sim.stats().v3.refreshes > before {
                break;
            }
        }
    })
    .await;
    assert!(
        refreshed.is_ok(),
        "the keeper refreshed the idle connection"
    );
    assert_eq!(app.sim.stats().v3.rotations_refused, 0);
    assert_eq!(app.state.health.status(), Status::Ready);
}

#[tokio::test]
async fn viewers_of_one_cold_camera_page_share_one_walk() {
    let app = gallery(sim(true).await, true).await;
    app.wait_for(Status::Ready).await;
    let esn = app.online_camera().esn.unwrap();
    app.sim.reset_stats();
    let views: Vec<_> = (0..16)
        .map(|_| app.spawn_get(&format!("/cameras/{esn}")))
        .collect();
    for view in views {
        let page = view.await.unwrap();
        assert_eq!(page.status, 200);
        assert_eq!(attrs(&page.html(), ".frame img", "src").len(), 20);
    }
    let stats = app.sim.stats();
    let calls = stats.count(Endpoint::V3RecordedImage) + stats.count(Endpoint::V3LiveImage);
    assert!(
        calls <= 25,
        "16 viewers made {calls} EEN image calls: one walk"
    );
    // Paging back is shared too, and reused: a second round of viewers costs nothing.
    let older = attrs(
        &app.page(&format!("/cameras/{esn}")).await,
        "#older",
        "href",
    );
    let before = app.sim.stats().count(Endpoint::V3RecordedImage);
    for _ in 0..2 {
        assert_eq!(app.get(&older[0]).await.status, 200);
    }
    let walked = app.sim.stats().count(Endpoint::V3RecordedImage) - before;
    assert!(walked <= 25, "{walked}");
    let again = app.sim.stats().count(Endpoint::V3RecordedImage);
    app.get(&older[0]).await;
    assert_eq!(app.sim.stats().count(Endpoint::V3RecordedImage), again);
}
