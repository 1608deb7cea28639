//! The gallery's pages against the in-process simulator: the grid, the camera page, error
//! pages and the demo banner.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::http::StatusCode;
use een_gallery::sim::{Endpoint, ErrorFault, Faults};
use een_gallery::timestamp::EenTimestamp;
use scraper::Html;

use crate::support::cameras::esn_of;
use crate::support::gallery::{Options, TestApp, attrs, sel, start, start_with, text};
use crate::support::jpeg;

/// The frames of a camera page: (timestamp, img src, data-state).
fn frames(html: &Html) -> Vec<(EenTimestamp, String, String)> {
    html.select(&sel("#frames li.frame"))
        .map(|li| {
            let ts = li
                .value()
                .attr("data-timestamp")
                .expect("frame has a timestamp")
                .parse()
                .expect("frame timestamp parses");
            let img = li.select(&sel("img")).next().expect("frame has an img");
            (
                ts,
                img.value().attr("src").expect("img has src").to_owned(),
                img.value()
                    .attr("data-state")
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_grid_shows_nine_distinct_attached_cameras_and_a_seed_repeats_them() {
    let app = start().await;
    let attached: BTreeSet<String> = app.attached_cameras().iter().map(esn_of).collect();
    assert!(attached.len() > 9, "the demo has more than 9 cameras");

    let html = app.page("/?seed=12345").await;
    let shown = attrs(&html, "#cameras li.tile", "data-esn");
    assert_eq!(shown.len(), 9, "{shown:?}");
    assert_eq!(
        shown.iter().collect::<BTreeSet<_>>().len(),
        9,
        "distinct: {shown:?}"
    );
    for esn in &shown {
        assert!(attached.contains(esn), "{esn} is not an attached camera");
    }
    // Every tile has a name, a status and an image with its size and alt text.
    for tile in html.select(&sel("#cameras li.tile")) {
        let img = tile.select(&sel("img")).next().expect("tile image");
        for attribute in ["src", "width", "height", "alt"] {
            assert!(
                img.value().attr(attribute).is_some(),
                "img without {attribute}"
            );
        }
        assert!(tile.select(&sel(".camera-name")).next().is_some());
        assert!(tile.select(&sel(".status")).next().is_some());
    }

    let again = app.page("/?seed=12345").await;
    assert_eq!(attrs(&again, "#cameras li.tile", "data-esn"), shown);
    assert_eq!(attrs(&again, "#permalink", "href"), ["/?seed=12345"]);

    // Shuffle links to another seed, which (for these seeds) shows another choice.
    let shuffle = attrs(&html, "#shuffle", "href");
    assert_eq!(shuffle.len(), 1);
    assert!(shuffle[0].starts_with("/?seed="), "{shuffle:?}");
    let other = app.page("/?seed=54321").await;
    assert_ne!(attrs(&other, "#cameras li.tile", "data-esn"), shown);
}

#[tokio::test]
async fn grid_tiles_show_status_with_the_een_reason_and_the_image_age() {
    let app = start().await;
    // Find a seed whose grid includes an offline camera (the demo has several).
    let offline: BTreeSet<String> = app
        .attached_cameras()
        .iter()
        .filter(|c| !c.is_online())
        .map(esn_of)
        .collect();
    assert!(!offline.is_empty());
    for seed in 1..200 {
        let html = app.page(&format!("/?seed={seed}")).await;
        for tile in html.select(&sel("#cameras li.tile")) {
            let esn = tile.value().attr("data-esn").unwrap_or_default();
            let status = tile
                .select(&sel(".status"))
                .next()
                .map(|s| s.text().collect::<String>())
                .unwrap_or_default();
            let age = tile
                .select(&sel(".age"))
                .next()
                .map(|s| s.text().collect::<String>())
                .unwrap_or_default();
            assert!(
                age.ends_with(" ago") || age == "just now" || age == "No images",
                "age {age:?}"
            );
            if offline.contains(esn) {
                assert!(
                    status.starts_with("Offline: ") || status.starts_with("Off: "),
                    "offline camera {esn} shows {status:?}"
                );
                return;
            }
            assert_eq!(status, "Online");
        }
    }
    panic!("no seed in 1..200 showed an offline camera");
}

#[tokio::test]
async fn the_camera_page_shows_twenty_images_newest_first_each_the_right_frame() {
    let app = start().await;
    let camera = app.online_camera();
    let esn = esn_of(&camera);
    let html = app.page(&format!("/cameras/{esn}")).await;

    assert_eq!(
        text(&html, "#camera-name").as_deref(),
        Some(camera.name.as_str())
    );
    assert_eq!(attrs(&html, "#back", "href"), ["/"]);
    let frames = frames(&html);
    assert_eq!(frames.len(), 20);
    assert!(
        frames.windows(2).all(|w| w[0].0 > w[1].0),
        "frames are newest first"
    );
    for (ts, src, state) in &frames {
        assert_eq!(state, "ready");
        assert_eq!(src, &format!("/cameras/{esn}/images/{ts}.jpg"));
        let image = app.get(src).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.header("content-type"), Some("image/jpeg"));
        assert_eq!(
            jpeg::comment(&image.body).as_deref(),
            Some(format!("een-sim esn={esn} ts={ts}").as_str())
        );
    }
    // Each image links to its frame in the viewer (full size).
    let links = attrs(&html, "#frames li.frame a", "href");
    let viewers: Vec<String> = frames
        .iter()
        .map(|f| format!("/cameras/{esn}/frames/{}", f.0))
        .collect();
    assert_eq!(links, viewers);
}

#[tokio::test]
async fn captions_use_the_camera_time_zone() {
    let app = start().await;
    let camera = app.online_camera();
    let esn = esn_of(&camera);
    let zone_name = camera.time_zone.clone().expect("camera has a zone");
    let tz = jiff::tz::TimeZone::get(&zone_name).expect("known zone");

    let html = app.page(&format!("/cameras/{esn}")).await;
    let zone_text = text(&html, "#time-zone").expect("time zone shown");
    assert!(zone_text.contains(&zone_name), "{zone_text:?}");

    let mut checked = 0;
    for li in html.select(&sel("#frames li.frame")) {
        let ts: EenTimestamp = li
            .value()
            .attr("data-timestamp")
            .and_then(|t| t.parse().ok())
            .expect("timestamp");
        let time = li.select(&sel("figcaption time")).next().expect("caption");
        let local = ts.in_zone(&tz);
        let expected_attr = local.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string();
        assert_eq!(time.value().attr("datetime"), Some(expected_attr.as_str()));
        let caption = time.text().collect::<String>();
        let expected_clock = local.strftime("%Y-%m-%d %H:%M:%S").to_string();
        assert!(
            caption.contains(&expected_clock),
            "{caption:?} lacks {expected_clock}"
        );
        let utc_clock = ts
            .in_zone(&jiff::tz::TimeZone::UTC)
            .strftime("%H:%M:%S")
            .to_string();
        assert!(!caption.contains(&utc_clock), "{caption:?} shows UTC time");
        checked += 1;
    }
    assert_eq!(checked, 20);
}

#[tokio::test]
async fn the_older_link_pages_back_without_repeating_a_frame() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    let first = app.page(&format!("/cameras/{esn}")).await;
    let first_frames = frames(&first);
    let oldest = first_frames.last().expect("frames").0;
    let older = attrs(&first, "#older", "href");
    assert_eq!(older, [format!("/cameras/{esn}?before={oldest}")]);
    assert!(attrs(&first, "#newest", "href").is_empty());

    let second = app.page(&older[0]).await;
    let second_frames = frames(&second);
    assert_eq!(second_frames.len(), 20);
    assert!(second_frames.iter().all(|f| f.0 < oldest));
    assert!(second_frames.windows(2).all(|w| w[0].0 > w[1].0));
    assert_eq!(
        attrs(&second, "#newest", "href"),
        [format!("/cameras/{esn}")]
    );
}

#[tokio::test]
async fn a_camera_without_images_says_so() {
    let app = start().await;
    let camera = app
        .attached_cameras()
        .into_iter()
        .find(|c| !c.has_images)
        .expect("the demo has a camera without images");
    let html = app.page(&format!("/cameras/{}", esn_of(&camera))).await;
    assert!(frames(&html).is_empty());
    assert_eq!(
        text(&html, "#no-images").as_deref(),
        Some("This camera has no images.")
    );
    assert!(attrs(&html, "#older", "href").is_empty());
}

#[tokio::test]
async fn bad_ids_and_timestamps_get_their_status_and_make_no_een_call() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    // Warm the camera list, then count only what the bad requests cause.
    app.page("/?seed=1").await;
    app.sim.reset_stats();

    let cases = [
        ("/cameras/not-hex!", StatusCode::NOT_FOUND),
        ("/cameras/1234567", StatusCode::NOT_FOUND),
        ("/cameras/123456789", StatusCode::NOT_FOUND),
        ("/cameras/zzzzzzzz", StatusCode::NOT_FOUND),
        ("/cameras/zzzzzzzz/preview.jpg", StatusCode::NOT_FOUND),
        (
            "/cameras/zzzzzzzz/images/20240101000000.000.jpg",
            StatusCode::NOT_FOUND,
        ),
        // Well-formed but not a camera of the account: known from the cached list.
        ("/cameras/0badf00d", StatusCode::NOT_FOUND),
        (
            "/cameras/0badf00d/images/20240101000000.000.jpg",
            StatusCode::NOT_FOUND,
        ),
    ];
    for (uri, status) in cases {
        let response = app.get(uri).await;
        assert_eq!(response.status, status, "{uri}");
        assert!(
            response
                .header("content-type")
                .unwrap_or_default()
                .starts_with("text/html")
        );
        assert_eq!(
            text(&response.html(), "#error .error-code").as_deref(),
            Some("404")
        );
    }
    let bad_times = [
        format!("/cameras/{esn}/images/yesterday.jpg"),
        format!("/cameras/{esn}/images/20241301000000.000.jpg"),
        format!("/cameras/{esn}/images/20240101000000.jpg"),
        format!("/cameras/{esn}?before=yesterday"),
        format!("/cameras/{esn}?before=2024-01-01T00:00:00Z"),
    ];
    for uri in &bad_times {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
        let html = response.html();
        assert_eq!(
            text(&html, "#error h1").as_deref(),
            Some("Malformed timestamp")
        );
    }
    assert_eq!(app.get("/?seed=abc").await.status, StatusCode::BAD_REQUEST);

    let stats = app.sim.stats();
    let total: u64 = stats.requests.values().flat_map(|m| m.values()).sum();
    assert_eq!(total, 0, "bad input reached EEN: {:?}", stats.requests);
}

#[tokio::test]
async fn unknown_routes_get_the_styled_404() {
    let app = start().await;
    for uri in [
        "/nope",
        "/cameras/",
        "/static/secret.txt",
        "/cameras/1000abcd/x",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
        let html = response.html();
        assert_eq!(
            text(&html, "#error .error-code").as_deref(),
            Some("404"),
            "{uri}"
        );
        assert!(attrs(&html, "link[rel=stylesheet]", "href")[0].starts_with("/static/style.css"));
    }
}

#[tokio::test]
async fn the_demo_banner_shows_on_every_page_in_demo_mode_only() {
    let demo = start_with(Options {
        settings: een_gallery::gallery::Settings {
            demo: true,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&demo.online_camera());
    for uri in [
        "/".to_owned(),
        format!("/cameras/{esn}"),
        "/nope".to_owned(),
    ] {
        let html = demo.get(&uri).await.html();
        let banner = text(&html, "#demo-banner").unwrap_or_default();
        assert!(banner.contains("Demo data"), "{uri}: {banner:?}");
    }

    let real = start().await;
    for uri in [
        "/".to_owned(),
        format!("/cameras/{esn}"),
        "/nope".to_owned(),
    ] {
        let html = real.get(&uri).await.html();
        assert!(text(&html, "#demo-banner").is_none(), "{uri}");
    }
}

#[tokio::test]
async fn late_images_show_the_placeholder_at_the_page_deadline() {
    let app: TestApp = start_with(Options {
        settings: een_gallery::gallery::Settings {
            page_deadline: Duration::from_millis(200),
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    // Images now take far longer than the page may wait.
    app.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::AssetImage, Duration::from_secs(30))].into(),
        ..Faults::default()
    });
    let html = app.page(&format!("/cameras/{esn}")).await;
    let frames = frames(&html);
    assert_eq!(frames.len(), 20);
    for (_, src, state) in &frames {
        assert_eq!(state, "late");
        assert!(src.starts_with("/static/placeholder.svg"), "{src}");
    }
    // Late images keep their size and alt text.
    let widths = attrs(&html, "#frames img", "width");
    assert_eq!(widths.len(), 20);
    assert_eq!(attrs(&html, "#frames img", "alt").len(), 20);
}

#[tokio::test]
async fn a_slow_image_list_gives_a_503_at_the_page_deadline_instead_of_hanging() {
    let app = start_with(Options {
        settings: een_gallery::gallery::Settings {
            page_deadline: Duration::from_millis(200),
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    app.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::ListImage, Duration::from_secs(30))].into(),
        ..Faults::default()
    });
    let response = app.get(&format!("/cameras/{esn}")).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        text(&response.html(), "#error h1").as_deref(),
        Some("Eagle Eye Networks is unreachable")
    );
}

#[tokio::test]
async fn bridges_are_not_cameras_of_the_gallery() {
    let app = start().await;
    let bridge = app
        .sim
        .cameras()
        .into_iter()
        .find(|c| c.kind == een_gallery::sim::DeviceKind::Bridge && c.esn.is_some())
        .expect("the demo has a bridge");
    let response = app.get(&format!("/cameras/{}", esn_of(&bridge))).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(
        text(&response.html(), "#error h1").as_deref(),
        Some("Camera not found")
    );
}

#[tokio::test]
async fn the_camera_list_is_served_from_the_cache_and_refreshed_in_the_background() {
    // A long TTL: views reuse the list the keeper loaded.
    let cached = start().await;
    cached.sim.reset_stats();
    for seed in 1..=3 {
        cached.page(&format!("/?seed={seed}")).await;
    }
    assert_eq!(cached.sim.stats().count(Endpoint::DeviceList), 0);

    // A zero TTL: every view is served from the cache at once and starts a background refresh.
    let stale = start_with(Options {
        settings: een_gallery::gallery::Settings {
            camera_list_ttl: Duration::ZERO,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    // While EEN's device list fails, views still render from the old list, and each stale
    // view starts a background refresh.
    stale.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), 503)],
        ..Faults::default()
    });
    stale.sim.reset_stats();
    let page = stale.get("/?seed=4").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(attrs(&page.html(), "#cameras li.tile", "data-esn").len(), 9);
    tokio::time::timeout(Duration::from_secs(10), async {
        while stale.sim.stats().count(Endpoint::DeviceList) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a background refresh reached EEN");

    // A device list that takes 30 s does not hold up a view: it would pass the page deadline.
    stale.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::DeviceList, Duration::from_secs(30))].into(),
        ..Faults::default()
    });
    for seed in 5..=6 {
        assert_eq!(
            stale.get(&format!("/?seed={seed}")).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_failing_camera_list_is_not_refetched_by_every_stale_view() {
    let app = start_with(Options {
        settings: een_gallery::gallery::Settings {
            camera_list_ttl: Duration::ZERO,
            ..Default::default()
        },
        ..Options::default()
    })
    .await;
    let esn = esn_of(&app.online_camera());
    let newest = app.newest_timestamps(&esn, 1).await;
    let uri = format!("/cameras/{esn}?before={}", newest[0]);
    app.page(&uri).await;
    // A 500 says nothing about EEN as a whole, so the keeper stays idle: every device-list
    // call counted below comes from page views. The slow image list makes each view outlast
    // the background refresh it starts, so without a backoff every view would start another.
    app.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), 500)],
        endpoint_latency: [(Endpoint::ListImage, Duration::from_millis(30))].into(),
        ..Faults::default()
    });
    app.sim.reset_stats();
    for _ in 0..50 {
        app.page(&uri).await; // served from the old list
    }
    let calls = app.sim.stats().count(Endpoint::DeviceList);
    assert!(calls <= 2, "{calls} device-list calls for 50 views");
}

#[tokio::test]
async fn views_queued_behind_a_failed_camera_list_share_its_failure() {
    let app = start_with(Options {
        faults: Faults {
            errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), 500)],
            ..Faults::default()
        },
        // No keeper: the views themselves are the first to ask for the list.
        connect: false,
        ..Options::default()
    })
    .await;
    let views: Vec<_> = (0..50)
        .map(|seed| app.spawn_get(&format!("/?seed={seed}")))
        .collect();
    for view in views {
        let page = view.await.expect("view task");
        assert!(page.status.is_server_error(), "{}", page.status);
    }
    let calls = app.sim.stats().count(Endpoint::DeviceList);
    assert!(calls <= 2, "{calls} device-list calls for 50 views");
}

#[tokio::test]
async fn a_short_page_still_links_to_older_images() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    // Just after the camera's oldest frame EEN answers fewer than twenty images. The oldest
    // frame is at the start of the retention window, or, when the camera had stopped
    // recording then (a gap of up to 20 minutes), where it started again: found by bisection,
    // since a page before it is empty and any page after it is not.
    let retention = i64::try_from(app.sim.config().retention.as_millis()).expect("retention");
    let (mut empty, mut full) = (
        EenTimestamp::now().add_millis(-retention),
        EenTimestamp::now().add_millis(25 * 60_000 - retention),
    );
    while full.as_millis() - empty.as_millis() > 500 {
        let mid = EenTimestamp::from_millis((empty.as_millis() + full.as_millis()) / 2);
        let page = app.page(&format!("/cameras/{esn}?before={mid}")).await;
        if frames(&page).is_empty() {
            empty = mid;
        } else {
            full = mid;
        }
    }
    let before = full.add_millis(10_000);
    let uri = format!("/cameras/{esn}?before={before}");
    let page = app.page(&uri).await;
    let shown = frames(&page);
    assert!(
        !shown.is_empty() && shown.len() < 20,
        "{} frames",
        shown.len()
    );
    let oldest = shown.last().expect("frames").0;
    let older = attrs(&page, "#older", "href");
    assert_eq!(older, [format!("/cameras/{esn}?before={oldest}")]);

    // Where the list is empty, the page says so and links no further.
    let end = app
        .page(&format!(
            "/cameras/{esn}?before={}",
            shown[0].0.add_millis(-retention)
        ))
        .await;
    assert!(frames(&end).is_empty());
    assert_eq!(
        text(&end, "#no-images").as_deref(),
        Some("There are no older images of this camera.")
    );
    assert!(attrs(&end, "#older", "href").is_empty());
}
