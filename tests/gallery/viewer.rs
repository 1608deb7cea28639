//! The frame viewer (`/cameras/{esn}/frames/{timestamp}`, issue 15): one frame full size in
//! the camera's zone, plain links to the frames around it found through the cache layer
//! (free after a camera page listed them, one EEN call per step otherwise), the newest frame
//! by a redirect, and clear 4xx answers for bad input that never reach EEN.

use axum::http::StatusCode;
use een_gallery::sim::Endpoint;
use een_gallery::timestamp::EenTimestamp;
use scraper::Html;

use crate::support::cameras::esn_of;
use crate::support::gallery::{TestApp, attrs, start, text};
use crate::support::jpeg;

/// The timestamps of a camera page's frames, newest first.
fn frame_times(html: &Html) -> Vec<EenTimestamp> {
    attrs(html, "#frames li.frame", "data-timestamp")
        .iter()
        .map(|t| t.parse().expect("a frame timestamp"))
        .collect()
}

fn viewer(esn: &str, ts: EenTimestamp) -> String {
    format!("/cameras/{esn}/frames/{ts}")
}

/// The one link matching `selector` on `html`.
fn link(html: &Html, selector: &str) -> Option<String> {
    attrs(html, selector, "href").pop()
}

/// Every EEN image call the simulator counted: single images, neighbours, lists.
fn image_calls(app: &TestApp) -> u64 {
    app.sim.stats().image_requests()
}

#[tokio::test]
async fn a_frame_from_the_camera_page_shows_full_size_in_the_camera_zone_between_its_neighbours() {
    let app = start().await;
    let camera = app.online_camera();
    let esn = esn_of(&camera);
    let zone = jiff::tz::TimeZone::get(camera.time_zone.as_deref().expect("a zone")).unwrap();
    let page = app.page(&format!("/cameras/{esn}")).await;
    let times = frame_times(&page);
    assert_eq!(times.len(), 20);
    // Every frame links to its viewer.
    let links = attrs(&page, "#frames li.frame a", "href");
    let expected: Vec<String> = times.iter().map(|&ts| viewer(&esn, ts)).collect();
    assert_eq!(links, expected);

    app.sim.reset_stats();
    let ts = times[5];
    let html = app.page(&viewer(&esn, ts)).await;
    // The camera page listed the neighbours and fetched the image: nothing more from EEN.
    assert_eq!(image_calls(&app), 0, "{:?}", app.sim.stats());

    let src = attrs(&html, "#viewer img", "src").pop().expect("an image");
    assert_eq!(src, format!("/cameras/{esn}/images/{ts}.jpg"));
    let image = app.get(&src).await;
    assert_eq!(
        jpeg::comment(&image.body).as_deref(),
        Some(format!("een-sim esn={esn} ts={ts}").as_str())
    );
    let local = ts.in_zone(&zone);
    let caption = text(&html, "#frame-time").expect("a caption");
    assert!(
        caption.contains(&local.strftime("%Y-%m-%d %H:%M:%S").to_string()),
        "{caption:?} is not {ts} in {zone:?}"
    );
    assert_eq!(
        attrs(&html, "#frame-time", "datetime"),
        [local.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()]
    );
    assert_eq!(
        text(&html, "#camera-name").as_deref(),
        Some(camera.name.as_str())
    );

    // ← is the next frame down the camera page, → the one above it.
    assert_eq!(link(&html, "#older"), Some(viewer(&esn, times[6])));
    assert_eq!(link(&html, "#newer"), Some(viewer(&esn, times[4])));
    assert_eq!(
        link(&html, "#newest"),
        Some(format!("/cameras/{esn}/frames/newest"))
    );
    // Esc: the camera page that starts at this frame.
    let back = link(&html, "#back").expect("a way back");
    assert_eq!(back, format!("/cameras/{esn}?before={}", ts.add_millis(1)));
    let back_page = app.page(&back).await;
    assert_eq!(frame_times(&back_page)[..14], times[5..19]);
    // The script, from this server only.
    let scripts = attrs(&html, "script", "src");
    assert_eq!(scripts.len(), 1, "{scripts:?}");
    assert!(
        scripts[0].starts_with("/static/viewer.js?v="),
        "{scripts:?}"
    );
    assert_eq!(app.get(&scripts[0]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn from_a_shared_link_each_step_costs_one_een_call_and_lands_on_the_next_frame() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    // Asked of EEN directly, so the gallery's cache knows none of them.
    let truth = app.newest_timestamps(&esn, 12).await;
    let start = truth[8];
    app.sim.reset_stats();
    let html = app.page(&viewer(&esn, start)).await;
    let stats = app.sim.stats();
    assert_eq!(stats.count(Endpoint::AssetImage), 1, "the frame itself");
    assert_eq!(stats.count(Endpoint::PrevImage), 1, "the frame before");
    assert_eq!(stats.count(Endpoint::AfterImage), 1, "the frame after");
    assert_eq!(link(&html, "#older"), Some(viewer(&esn, truth[9])));
    assert_eq!(link(&html, "#newer"), Some(viewer(&esn, truth[7])));

    // Stepping back: the frame's JPEG came with the answer, and the way forward is known.
    let mut at = html;
    for expected in [truth[9], truth[10]] {
        app.sim.reset_stats();
        let next = link(&at, "#older").expect("a frame before");
        at = app.page(&next).await;
        let stats = app.sim.stats();
        assert_eq!(
            stats.count(Endpoint::AssetImage),
            0,
            "{next}: the image was cached"
        );
        assert_eq!(
            stats.count(Endpoint::AfterImage),
            0,
            "{next}: the way back is known"
        );
        assert_eq!(stats.count(Endpoint::PrevImage), 1, "{next}");
        assert_eq!(
            attrs(&at, "#viewer", "data-timestamp"),
            [expected.to_string()]
        );
        let src = attrs(&at, "#viewer img", "src").pop().expect("an image");
        let image = app.get(&src).await;
        assert_eq!(
            jpeg::comment(&image.body).as_deref(),
            Some(format!("een-sim esn={esn} ts={expected}").as_str())
        );
    }
    assert_eq!(link(&at, "#newer"), Some(viewer(&esn, truth[9])));
}

#[tokio::test]
async fn newest_redirects_to_the_newest_frame_and_a_camera_without_images_has_none() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let before = app.newest_timestamps(&esn, 1).await[0];
    let answer = app.get(&format!("/cameras/{esn}/frames/newest")).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let location = answer.header("location").expect("a location").to_owned();
    let ts: EenTimestamp = location
        .strip_prefix(&format!("/cameras/{esn}/frames/"))
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("{location} is not a frame viewer"));
    assert!(ts >= before, "{ts} is older than the newest frame {before}");
    let html = app.page(&location).await;
    assert!(link(&html, "#older").is_some());

    let empty = app
        .attached_cameras()
        .into_iter()
        .find(|c| !c.has_images)
        .expect("a camera without images");
    let answer = app
        .get(&format!("/cameras/{}/frames/newest", esn_of(&empty)))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_frames_get_a_clear_4xx_and_never_reach_een() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let future = EenTimestamp::now().add_millis(86_400_000);
    let unknown = app
        .sim
        .cameras()
        .iter()
        .filter_map(|c| c.esn.clone())
        .max()
        .map(|max| format!("{:08x}", u32::from_str_radix(&max, 16).unwrap() + 1))
        .expect("an id no camera has");
    app.sim.reset_stats();
    for (path, status) in [
        (
            format!("/cameras/{esn}/frames/yesterday"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/cameras/{esn}/frames/20241301000000.000"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/cameras/{esn}/frames/2024"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/cameras/{esn}/frames/{future}"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/cameras/not-a-camera/frames/newest".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/cameras/zzzzzzzz/frames/20240101000000.000".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("/cameras/{unknown}/frames/newest"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let answer = app.get(&path).await;
        assert_eq!(answer.status, status, "{path}");
        assert!(
            answer
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "{path}: the styled error page"
        );
    }
    assert_eq!(image_calls(&app), 0, "bad input reached EEN");

    // A time between two frames has no frame: a 404 that says so.
    let times = app.newest_timestamps(&esn, 2).await;
    let between = times[1].add_millis(1);
    let answer = app.get(&viewer(&esn, between)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{between}");
    assert!(
        answer.text().contains("no image at this time"),
        "{}",
        answer.text()
    );
}
