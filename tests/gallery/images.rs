//! Image fetching and caching against the in-process simulator: the 5-permit page fetch, the
//! cache, single-flight misses, HTTP caching headers and the placeholder.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, ErrorFault, Faults};
use een_gallery::timestamp::EenTimestamp;

use crate::support::cameras::esn_of;
use crate::support::gallery::{Options, TestApp, TestResponse, attrs, sel, start, start_with};
use crate::support::jpeg;

fn frame_timestamps(html: &scraper::Html) -> Vec<EenTimestamp> {
    attrs(html, "#frames li.frame", "data-timestamp")
        .iter()
        .map(|t| t.parse().expect("timestamp parses"))
        .collect()
}

/// Latency on every simulated request, so that concurrent fetches overlap.
fn latency() -> Faults {
    Faults {
        latency: Duration::from_millis(30),
        ..Faults::default()
    }
}

#[tokio::test]
async fn a_page_view_fetches_its_twenty_images_at_most_five_at_once() {
    let app = start_with(Options {
        faults: latency(),
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    app.sim.reset_stats();

    let html = app.page(&format!("/cameras/{esn}")).await;
    assert_eq!(frame_timestamps(&html).len(), 20);

    let stats = app.sim.stats();
    assert_eq!(stats.count(Endpoint::ListImage), 1, "one list call");
    assert_eq!(stats.count(Endpoint::AssetImage), 20, "one call per image");
    assert!(
        stats.images_in_flight_peak <= 5,
        "peak {} > 5",
        stats.images_in_flight_peak
    );
    assert!(
        stats.images_in_flight_peak > 1,
        "images were fetched one at a time"
    );
}

#[tokio::test]
async fn the_grid_fetches_its_previews_at_most_five_at_once() {
    let app = start_with(Options {
        faults: latency(),
        ..Options::default()
    })
    .await;
    app.sim.reset_stats();
    let html = app.page("/?seed=777").await;
    assert_eq!(attrs(&html, "#cameras li.tile", "data-esn").len(), 9);
    let stats = app.sim.stats();
    assert_eq!(
        stats.count(Endpoint::PrevImage),
        9,
        "one latest preview per tile"
    );
    assert!(
        stats.images_in_flight_peak <= 5,
        "peak {}",
        stats.images_in_flight_peak
    );
    assert!(
        stats.images_in_flight_peak > 1,
        "previews fetched one at a time"
    );
}

#[tokio::test]
async fn grid_tiles_use_immutable_urls_of_frames_already_cached() {
    let app = start().await;
    let html = app.page("/?seed=99").await;
    app.sim.reset_stats();
    let mut ready = 0;
    for tile in html.select(&sel("#cameras li.tile")) {
        let esn = tile.value().attr("data-esn").expect("tile esn");
        let img = tile.select(&sel("img")).next().expect("tile img");
        if img.value().attr("data-state") != Some("ready") {
            continue;
        }
        let src = img.value().attr("src").expect("src");
        let ts = src
            .strip_prefix(&format!("/cameras/{esn}/images/"))
            .and_then(|rest| rest.strip_suffix(".jpg"))
            .unwrap_or_else(|| panic!("{src} is not a timestamped image URL"));
        let image = app.get(src).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(
            jpeg::comment(&image.body).as_deref(),
            Some(format!("een-sim esn={esn} ts={ts}").as_str())
        );
        assert_eq!(
            image.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        ready += 1;
    }
    assert!(ready >= 5, "only {ready} tiles had an image");
    assert_eq!(
        app.sim.stats().image_requests(),
        0,
        "tile images came from the cache"
    );
}

#[tokio::test]
async fn a_second_view_of_a_camera_page_fetches_only_new_images() {
    // The newest listing is reused as long as a latest preview: briefly here, so the second
    // view (after a new frame, a second later) lists again.
    let app = start_with(Options {
        settings: Settings {
            latest_preview_max_age: Duration::from_millis(200),
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    let uri = format!("/cameras/{esn}");
    let first: BTreeSet<EenTimestamp> = frame_timestamps(&app.page(&uri).await)
        .into_iter()
        .collect();
    assert_eq!(first.len(), 20);

    // Let at least one new frame appear (one per second), then view again.
    let newest = *first.last().expect("frames");
    tokio::time::timeout(Duration::from_secs(10), async {
        while app.newest_timestamps(&esn, 1).await.first() <= Some(&newest) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the simulator makes a new frame every second");
    app.sim.reset_stats();
    let second: BTreeSet<EenTimestamp> = frame_timestamps(&app.page(&uri).await)
        .into_iter()
        .collect();
    assert_eq!(second.len(), 20);
    let new = second.difference(&first).count() as u64;
    assert!(new >= 1, "no new frame appeared");
    let stats = app.sim.stats();
    assert_eq!(stats.count(Endpoint::ListImage), 1);
    assert_eq!(
        stats.count(Endpoint::AssetImage),
        new,
        "the warm view fetched more than the {new} new images"
    );
}

#[tokio::test]
async fn sixteen_concurrent_views_of_a_camera_page_make_one_list_call() {
    let app = start_with(Options {
        faults: latency(),
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    app.sim.reset_stats();
    let views: Vec<_> = (0..16)
        .map(|_| app.spawn_get(&format!("/cameras/{esn}")))
        .collect();
    let mut pages = Vec::new();
    for view in views {
        let page = view.await.expect("view");
        assert_eq!(page.status, StatusCode::OK);
        pages.push(frame_timestamps(&page.html()));
    }
    assert!(
        pages
            .iter()
            .all(|frames| frames.len() == 20 && *frames == pages[0])
    );
    let stats = app.sim.stats();
    assert_eq!(
        stats.count(Endpoint::ListImage),
        1,
        "one list call for sixteen views"
    );
    assert_eq!(
        stats.count(Endpoint::AssetImage),
        20,
        "each image fetched once"
    );
}

#[tokio::test]
async fn concurrent_requests_for_one_image_make_one_een_call() {
    let app = start_with(Options {
        faults: latency(),
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    let ts = app.newest_timestamps(&esn, 5).await[4];
    let uri = format!("/cameras/{esn}/images/{ts}.jpg");
    app.sim.reset_stats();

    let requests: Vec<_> = (0..16).map(|_| app.spawn_get(&uri)).collect();
    let mut responses = Vec::new();
    for request in requests {
        responses.push(request.await.expect("request task"));
    }
    for response in &responses {
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, responses[0].body);
    }
    assert_eq!(
        jpeg::comment(&responses[0].body).as_deref(),
        Some(format!("een-sim esn={esn} ts={ts}").as_str())
    );
    assert_eq!(app.sim.stats().count(Endpoint::AssetImage), 1);
}

#[tokio::test]
async fn timestamped_images_carry_an_etag_and_revalidate_without_een() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let ts = app.newest_timestamps(&esn, 3).await[2];
    let uri = format!("/cameras/{esn}/images/{ts}.jpg");

    let first = app.get(&uri).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        first.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = first.header("etag").expect("an ETag").to_owned();
    assert_eq!(
        first.header("content-length"),
        Some(first.body.len().to_string().as_str())
    );

    app.sim.reset_stats();
    let request = Request::get(&uri)
        .header("if-none-match", &etag)
        .body(Body::empty())
        .expect("request");
    let revalidated = app.request(request).await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.body.is_empty());
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));
    assert_eq!(app.sim.stats().image_requests(), 0);
}

#[tokio::test]
async fn the_latest_preview_route_is_cached_briefly() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let response = app.get(&format!("/cameras/{esn}/preview.jpg")).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("image/jpeg"));
    assert_eq!(response.header("cache-control"), Some("public, max-age=5"));
    let comment = jpeg::comment(&response.body).expect("a simulator frame");
    let location = response
        .header("content-location")
        .expect("points at the frame");
    let ts = location
        .strip_prefix(&format!("/cameras/{esn}/images/"))
        .and_then(|l| l.strip_suffix(".jpg"))
        .expect("a timestamped URL");
    assert_eq!(comment, format!("een-sim esn={esn} ts={ts}"));
}

#[tokio::test]
async fn an_upstream_image_failure_answers_the_placeholder_briefly_cached() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let stamps = app.newest_timestamps(&esn, 20).await;
    app.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::AssetImage), 500)],
        ..Faults::default()
    });

    let response = app
        .get(&format!("/cameras/{esn}/images/{}.jpg", stamps[3]))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("image/svg+xml"));
    assert_eq!(response.header("cache-control"), Some("public, max-age=10"));
    assert!(response.text().contains("<svg"));

    // The page shows the placeholder for the images that failed, and still renders.
    let html = app.page(&format!("/cameras/{esn}")).await;
    let states = attrs(&html, "#frames img", "data-state");
    assert_eq!(states.len(), 20);
    assert!(states.iter().all(|s| s == "failed"), "{states:?}");
    assert!(
        attrs(&html, "#frames img", "src")
            .iter()
            .all(|s| s.starts_with("/static/placeholder.svg"))
    );

    // Once EEN serves images again, the same URL answers the frame.
    app.sim.set_faults(Faults::default());
    let recovered = app
        .get(&format!("/cameras/{esn}/images/{}.jpg", stamps[3]))
        .await;
    assert_eq!(recovered.header("content-type"), Some("image/jpeg"));
}

#[tokio::test]
async fn static_assets_are_compiled_in_and_versioned() {
    let app = start().await;
    let html = app.page("/?seed=5").await;
    let css = attrs(&html, "link[rel=stylesheet]", "href");
    assert_eq!(css.len(), 1);
    let response = app.get(&css[0]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        response.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let unversioned = app.get("/static/style.css").await;
    assert_eq!(
        unversioned.header("cache-control"),
        Some("public, max-age=300")
    );
    assert_eq!(unversioned.body, response.body);
    // Pages themselves are never cached: they show live data.
    assert_eq!(
        app.get("/?seed=5").await.header("cache-control"),
        Some("no-store")
    );
}

#[tokio::test]
async fn images_carry_no_page_policy_and_the_site_icon_answers_at_favicon_ico() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let ts = app.newest_timestamps(&esn, 1).await[0];

    // A browser opening an image on its own styles its viewer inline; the page policy must
    // not travel with the image, or the viewer breaks (and logs console errors).
    let image = app.get(&format!("/cameras/{esn}/images/{ts}.jpg")).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), Some("image/jpeg"));
    assert_eq!(image.header("content-security-policy"), None);
    assert_eq!(image.header("x-content-type-options"), Some("nosniff"));

    let page = app.get(&format!("/cameras/{esn}")).await;
    assert!(
        page.header("content-security-policy")
            .is_some_and(|csp| csp.contains("default-src 'none'"))
    );

    // Pages without an icon link (an image opened on its own) make browsers ask for this.
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header("content-type"), Some("image/svg+xml"));
    assert!(icon.text().contains("<svg"));
}

/// Asks for `uri` with a generous guard against a hang (the route's own deadline is short).
async fn get_guarded(app: &TestApp, uri: &str) -> TestResponse {
    tokio::time::timeout(Duration::from_secs(10), app.get(uri))
        .await
        .unwrap_or_else(|_| panic!("GET {uri} hung"))
}

fn assert_placeholder(response: &TestResponse) {
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("image/svg+xml"));
    assert_eq!(response.header("cache-control"), Some("public, max-age=10"));
}

#[tokio::test]
async fn a_slow_image_answers_the_placeholder_at_the_deadline_and_still_lands_in_the_cache() {
    let app = start_with(Options {
        settings: een_gallery::gallery::Settings {
            page_deadline: Duration::from_millis(100),
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    let stamps = app.newest_timestamps(&esn, 1).await;
    app.sim.set_faults(Faults {
        endpoint_latency: [
            (Endpoint::AssetImage, Duration::from_secs(1)),
            (Endpoint::PrevImage, Duration::from_secs(60)),
        ]
        .into(),
        ..Faults::default()
    });
    app.sim.reset_stats();

    let image = get_guarded(&app, &format!("/cameras/{esn}/images/{}.jpg", stamps[0])).await;
    assert_placeholder(&image);
    let preview = get_guarded(&app, &format!("/cameras/{esn}/preview.jpg")).await;
    assert_placeholder(&preview);

    // The late fetch went on: asking for the image joins it instead of calling EEN again.
    let esn_id = esn.parse().expect("esn");
    let bytes = tokio::time::timeout(
        Duration::from_secs(10),
        app.state.images.image(&esn_id, stamps[0]),
    )
    .await
    .expect("the fetch finishes")
    .expect("the image arrives");
    assert_eq!(
        jpeg::comment(&bytes),
        Some(format!("een-sim esn={esn} ts={}", stamps[0]))
    );
    assert_eq!(app.sim.stats().count(Endpoint::AssetImage), 1);
}

#[tokio::test]
async fn an_image_from_the_future_is_404_without_asking_een() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    app.sim.reset_stats();
    let tomorrow = EenTimestamp::now().add_millis(24 * 3600 * 1000);
    for _ in 0..3 {
        let response = app
            .get(&format!("/cameras/{esn}/images/{tomorrow}.jpg"))
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.header("content-type"), Some("image/svg+xml"));
    }
    assert_eq!(app.sim.stats().image_requests(), 0);
}

#[tokio::test]
async fn een_not_found_is_cached_briefly() {
    let app = start().await;
    let without_images = app
        .attached_cameras()
        .into_iter()
        .find(|c| !c.has_images)
        .expect("the demo has a camera without images");
    let empty = esn_of(&without_images);
    let esn = esn_of(&app.online_camera());
    app.sim.reset_stats();
    for _ in 0..3 {
        // The camera's picture is the placeholder (an <img> of it is no broken link).
        let preview = app.get(&format!("/cameras/{empty}/preview.jpg")).await;
        assert_eq!(preview.status, StatusCode::OK);
        assert_eq!(preview.header("content-type"), Some("image/svg+xml"));
        // Long before the retention window: EEN has no such frame.
        let image = app
            .get(&format!("/cameras/{esn}/images/20000101000000.000.jpg"))
            .await;
        assert_eq!(image.status, StatusCode::NOT_FOUND);
    }
    let stats = app.sim.stats();
    assert_eq!(
        stats.count(Endpoint::PrevImage),
        1,
        "one latest-preview call"
    );
    assert_eq!(stats.count(Endpoint::AssetImage), 1, "one image call");
}

#[tokio::test]
async fn a_stale_latest_preview_is_served_at_once_while_one_refresh_runs() {
    // Every latest preview is stale as soon as it is fetched.
    let app = start_with(Options {
        settings: Settings {
            latest_preview_max_age: Duration::ZERO,
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    let uri = format!("/cameras/{esn}/preview.jpg");
    let first = app.get(&uri).await;
    let first_comment = jpeg::comment(&first.body).expect("a simulator frame");

    // EEN now takes a second for a latest preview: viewers do not wait for it.
    app.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::PrevImage, Duration::from_secs(1))].into(),
        ..Faults::default()
    });
    app.sim.reset_stats();
    let viewers: Vec<_> = (0..16).map(|_| app.spawn_get(&uri)).collect();
    for viewer in viewers {
        let answer = tokio::time::timeout(Duration::from_millis(900), viewer)
            .await
            .expect("served without waiting for EEN")
            .expect("task");
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(jpeg::comment(&answer.body), Some(first_comment.clone()));
    }
    // One refresh for all sixteen, which then serves the next viewer.
    tokio::time::timeout(Duration::from_secs(10), async {
        while app.sim.stats().count(Endpoint::PrevImage) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the refresh reached EEN");
    assert_eq!(app.sim.stats().count(Endpoint::PrevImage), 1);
    let refreshed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let answer = app.get(&uri).await;
            let comment = jpeg::comment(&answer.body).expect("a simulator frame");
            if comment != first_comment {
                break comment;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the refreshed preview is served");
    assert!(
        refreshed > first_comment,
        "{refreshed} after {first_comment}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_request_log_has_pages_and_failed_images_at_info_and_images_served_at_debug() {
    let logs = crate::support::logs::Capture::install("info");
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let html = app.page(&format!("/cameras/{esn}")).await;
    let src = attrs(&html, "#frames img", "src").remove(0);
    assert_eq!(app.get(&src).await.status, StatusCode::OK);
    let missing = format!("/cameras/{esn}/images/20000101000000.000.jpg");
    assert_eq!(app.get(&missing).await.status, StatusCode::NOT_FOUND);

    let text = logs.text();
    let answered = |route: &str, status: u16| {
        text.lines().any(|line| {
            line.contains(&format!("route=\"{route}\""))
                && line.contains(&format!("status={status}"))
                && line.contains("answered")
        })
    };
    assert!(answered("/cameras/{esn}", 200), "the page at INFO:\n{text}");
    assert!(
        answered("/cameras/{esn}/images/{file}", 404),
        "a failed image at INFO:\n{text}"
    );
    assert!(
        !answered("/cameras/{esn}/images/{file}", 200),
        "an image served is not at INFO:\n{text}"
    );
}
