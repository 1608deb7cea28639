//! The scenarios: what a person sees and does, one browser session each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use fantoccini::key::Key;
use jiff::tz::TimeZone;
use reqwest::StatusCode;

use crate::driver::{Options, PHONE};
use crate::finder::{
    assert_frames_before, check_row_layout, jump, jump_url, rows, search, whole_second_after,
};
use crate::gallery::Gallery;
use crate::support::cameras::{self, esn_of};
use crate::support::net::plain_client;
use crate::{
    GRID_SIZE, PAGE_SIZE, as_set, assert_all_decoded, assert_labels_by_their_fields,
    assert_no_sideways_scroll, check_frames, check_grid, columns, esns, find_tile, is_own_status,
    open_camera_with_images, tiles, unknown_esn,
};

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn grid_shows_nine_decoded_cameras_and_a_seed_repeats_the_choice() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            let first = check_grid(&b, &gallery).await;
            let permalink = b.link("#permalink").await;
            b.screenshot("grid").await;

            // "Shuffle" picks another set of cameras.
            let shuffle = b.link("#shuffle").await;
            b.click_and_wait("#shuffle", &shuffle).await;
            let shuffled = check_grid(&b, &gallery).await;
            assert_ne!(
                as_set(&shuffled),
                as_set(&first),
                "Shuffle ({shuffle}) showed the same cameras"
            );

            // The first view's seed URL shows the same cameras in the same order, every time.
            for _ in 0..2 {
                b.goto(permalink.as_str()).await;
                let again = check_grid(&b, &gallery).await;
                assert_eq!(
                    esns(&again),
                    esns(&first),
                    "{permalink} chose other cameras"
                );
            }
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn a_tile_opens_the_camera_page_which_pages_back_opens_images_and_returns() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // A camera whose captions differ from UTC, so a caption in the wrong zone shows.
            let is_wanted = |esn: &str| {
                gallery
                    .camera(esn)
                    .is_some_and(|c| cameras::is_live(&c) && cameras::is_outside_utc(&c))
            };
            let tile = find_tile(&b, &gallery, is_wanted).await;
            let camera = gallery.camera(&tile.esn).expect("a demo camera");
            let zone_name = camera.time_zone.clone().expect("the camera has a zone");
            let zone = TimeZone::get(&zone_name).expect("a known zone");

            let page_url = b.absolute(&tile.href).await;
            b.click_and_wait(&format!("li.tile[data-esn='{}'] a", tile.esn), &page_url)
                .await;
            assert_eq!(b.text("#camera-name").await, camera.name);
            let zone_label = b.text("#time-zone").await;
            assert!(
                zone_label.contains(&zone_name),
                "the page shows zone {zone_label:?}, the camera is in {zone_name}"
            );

            let newest = check_frames(&b, &gallery, &tile.esn, &zone).await;
            b.screenshot("camera").await;
            assert!(
                b.find_all("#newest").await.is_empty(),
                "the newest page links to itself"
            );

            // "Older" shows the 20 images before the oldest one shown.
            let older_url = b.link("#older").await;
            b.click_and_wait("#older", &older_url).await;
            let older = check_frames(&b, &gallery, &tile.esn, &zone).await;
            let oldest_shown = newest.last().expect("20 frames").timestamp;
            for frame in &older {
                assert!(
                    frame.timestamp < oldest_shown,
                    "{older_url} shows {} which is not older than {oldest_shown}",
                    frame.timestamp
                );
            }
            assert_eq!(
                b.link("#newest").await,
                page_url,
                "Newest goes to the first page"
            );
            b.screenshot("camera-older").await;

            // A thumbnail opens its frame in the viewer, which opens the JPEG on its own.
            let viewer = b.absolute(&older[0].href).await;
            b.click_and_wait("#frames li:first-child a", &viewer).await;
            let full = b.link("#full-image").await;
            b.click_and_wait("#full-image", &full).await;
            let document = b
                .js("return { type: document.contentType, images: document.images.length }")
                .await;
            assert_eq!(document["type"], "image/jpeg", "{full} is not a JPEG");
            let image = b.images("img").await;
            assert_eq!(image.len(), 1);
            assert!(image[0].decoded(), "{full} did not decode: {:?}", image[0]);
            b.screenshot("image-full-size").await;

            // Browser back returns to the viewer and the camera page; its back link returns
            // to the grid.
            b.client.back().await.expect("history back");
            b.wait_for_page(&viewer).await;
            b.client.back().await.expect("history back");
            b.wait_for_page(&older_url).await;
            let grid = b.absolute("/").await;
            b.click_and_wait("#back", &grid).await;
            assert_eq!(tiles(&b).await.len(), GRID_SIZE);
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn unknown_and_malformed_ids_show_the_styled_error_page_with_their_status() {
    let gallery = Arc::new(Gallery::start().await);
    let some_camera = esn_of(&gallery.attached_cameras()[0]);
    let cases = [
        (
            "error-unknown-camera",
            format!("/cameras/{}", unknown_esn(&gallery)),
            StatusCode::NOT_FOUND,
        ),
        (
            "error-malformed-id",
            "/cameras/not-a-camera".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "error-malformed-timestamp",
            format!("/cameras/{some_camera}?before=yesterday"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "error-unknown-route",
            "/no/such/page".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ];
    // The browser does not expose status codes: ask over plain HTTP first.
    let http = plain_client();
    for (_, path, status) in &cases {
        let response = http
            .get(gallery.url(path))
            .send()
            .await
            .expect("GET answers");
        assert_eq!(response.status(), *status, "GET {path}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/html"),
            "GET {path}: {content_type}"
        );
    }

    gallery
        .browse(Options::default(), |b, gallery| async move {
            for (name, path, status) in cases {
                b.goto(&gallery.url(&path)).await;
                let page = b
                    .js(r#"
                        const error = document.querySelector('#error');
                        const style = error && getComputedStyle(error);
                        return {
                            status: error && error.dataset.status,
                            code: error && error.querySelector('.error-code').textContent.trim(),
                            heading: error && error.querySelector('h1').textContent.trim(),
                            centered: style && style.textAlign,
                            stylesheets: document.styleSheets.length,
                            banner: !!document.querySelector('#demo-banner'),
                            home: [...document.querySelectorAll('header a')].map(a => a.getAttribute('href')),
                        };
                    "#)
                    .await;
                let code = status.as_u16().to_string();
                assert_eq!(page["status"], code.as_str(), "{path}: {page}");
                assert_eq!(page["code"], code.as_str(), "{path}: {page}");
                assert!(
                    page["heading"].as_str().is_some_and(|h| !h.is_empty()),
                    "{path}: no headline: {page}"
                );
                // The stylesheet loaded and applies: the error box is centred.
                assert_eq!(page["centered"], "center", "{path} is unstyled: {page}");
                assert!(page["stylesheets"].as_u64() >= Some(1), "{path}: {page}");
                assert_eq!(page["banner"], true, "{path}: no demo banner");
                b.screenshot(name).await;

                // Its way out works.
                let grid = b.absolute("/").await;
                b.click_and_wait("header nav a[href='/']", &grid)
                    .await;
                assert_eq!(tiles(&b).await.len(), GRID_SIZE, "{path}: the way out");
            }
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn a_camera_without_images_shows_the_empty_state_not_broken_images() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            let empty = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| !c.has_images && c.is_online())
                .expect("the demo account has an online camera without images");
            let esn = esn_of(&empty);

            // On the grid, its tile shows the placeholder, which decodes, and says why.
            let tile = find_tile(&b, &gallery, |e| e == esn).await;
            assert_eq!(tile.age, "No images", "{tile:?}");
            let image = b
                .images(&format!("li.tile[data-esn='{esn}'] img"))
                .await
                .pop()
                .expect("the tile has an image");
            assert!(
                image.decoded(),
                "the tile's placeholder is broken: {image:?}"
            );
            assert!(
                image
                    .alt
                    .as_deref()
                    .is_some_and(|a| a.contains(&empty.name)),
                "{image:?}"
            );

            // Its page says so, with no image at all (so none can be broken) and no pager.
            b.goto(&gallery.url(&format!("/cameras/{esn}"))).await;
            assert_eq!(b.text("#camera-name").await, empty.name);
            let message = b.text("#no-images").await;
            assert!(
                message.to_lowercase().contains("no images"),
                "empty state says {message:?}"
            );
            assert!(b.find_all("#frames").await.is_empty());
            assert!(b.find_all("#older").await.is_empty());
            let images = b.images("main img").await;
            assert!(images.is_empty(), "the empty page shows images: {images:?}");
            assert_all_decoded(&b.images("img").await, "the empty camera page");
            b.screenshot("camera-empty").await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn on_a_phone_nothing_scrolls_sideways_and_tiles_reflow() {
    let gallery = Arc::new(Gallery::start().await);
    let phone = Options {
        phone: true,
        ..Options::default()
    };
    gallery
        .browse(phone, |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            let viewport = b.js("return window.innerWidth").await;
            assert_eq!(
                viewport.as_u64(),
                Some(u64::from(PHONE.0)),
                "the grid is not laid out in the phone's width (content wider than the screen, or no viewport meta)"
            );
            assert_eq!(tiles(&b).await.len(), GRID_SIZE);
            assert_all_decoded(&b.images("img").await, "the phone grid");
            assert_no_sideways_scroll(&b, "the grid").await;
            let tile_columns = columns(&b, "li.tile").await;
            assert!(
                (1..=2).contains(&tile_columns),
                "the grid has {tile_columns} columns on a phone"
            );
            b.screenshot("phone-grid").await;

            open_camera_with_images(&b, &gallery).await;
            assert_all_decoded(&b.images("img").await, "the phone camera page");
            assert_no_sideways_scroll(&b, "the camera page").await;
            let frame_columns = columns(&b, "li.frame").await;
            assert!(
                (1..=2).contains(&frame_columns),
                "the camera page has {frame_columns} columns on a phone"
            );
            assert_labels_by_their_fields(&b, "the camera page on a phone").await;
            b.screenshot("phone-camera").await;

            b.goto(&gallery.url("/cameras")).await;
            assert_all_decoded(&b.images("img").await, "the phone camera list");
            assert_no_sideways_scroll(&b, "the camera list").await;
            check_row_layout(&b, "the camera list on a phone").await;
            assert_labels_by_their_fields(&b, "the camera list on a phone").await;
            b.screenshot("phone-cameras").await;

            let empty = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| !c.has_images)
                .expect("a camera without images");
            b.goto(&gallery.url(&format!("/cameras/{}", esn_of(&empty))))
                .await;
            assert_no_sideways_scroll(&b, "the empty camera page").await;

            b.goto(&gallery.url("/cameras/not-a-camera")).await;
            assert_no_sideways_scroll(&b, "the error page").await;
            b.screenshot("phone-error").await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn keyboard_only_tab_reaches_the_first_camera_and_enter_opens_it() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            let mut visited = Vec::new();
            let focused = loop {
                assert!(
                    visited.len() < 15,
                    "15 Tabs never reached a camera; focus went {visited:?}"
                );
                b.press(Key::Tab).await;
                let focus = b
                    .js(r"
                        const a = document.activeElement;
                        return {
                            tag: a.tagName,
                            href: a.getAttribute('href'),
                            tile: a.matches('.tile-link'),
                            first: a === document.querySelector('.tile-link'),
                            visible: a.matches(':focus-visible'),
                        };
                    ")
                    .await;
                if focus["tile"] == true {
                    break focus;
                }
                visited.push(format!("{} {}", focus["tag"], focus["href"]));
            };
            assert_eq!(
                focused["first"], true,
                "Tab skipped the first camera: {focused}"
            );
            assert_eq!(
                focused["visible"], true,
                "keyboard focus is not visible: {focused}"
            );
            let href = focused["href"].as_str().expect("a link").to_owned();
            b.press(Key::Enter).await;
            let expected = b.absolute(&href).await;
            b.wait_for_page(&expected).await;
            assert!(!b.text("#camera-name").await.is_empty());
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn no_page_logs_a_console_error() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // The collector works: an error logged by a script shows up.
            b.goto(&gallery.url("/")).await;
            b.js("console.error('een-browser-probe')").await;
            let probe = b.console().await;
            assert!(
                probe
                    .iter()
                    .any(|e| e.level == "SEVERE" && e.message.contains("een-browser-probe")),
                "the console collector missed a logged error: {probe:?}"
            );

            let camera = open_camera_with_images(&b, &gallery).await;
            let older = b.link("#older").await;
            let image = b.link("#frames li a").await;
            let empty = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| !c.has_images)
                .expect("a camera without images");
            let viewer = image.clone();
            b.goto(viewer.as_str()).await;
            let full_image = b.link("#full-image").await;
            let pages = [
                (gallery.url("/"), None),
                (gallery.url("/?wall=1&rotate=60"), None),
                (camera.to_string(), None),
                (older.to_string(), None),
                (viewer.to_string(), None),
                (full_image.to_string(), None),
                (gallery.url(&format!("/cameras/{}", esn_of(&empty))), None),
                (jump_url(&gallery, &camera), None),
                (gallery.url("/cameras"), None),
                (gallery.url("/cameras?q=door&status=offline"), None),
                (
                    gallery.url(&format!("/cameras/{}", unknown_esn(&gallery))),
                    Some(404),
                ),
                (gallery.url("/cameras/not-a-camera"), Some(404)),
                (gallery.url("/no/such/page"), Some(404)),
            ];
            let mut problems = Vec::new();
            for (url, status) in pages {
                b.goto(&url).await;
                // Lazy images load (and could fail) only when scrolled to.
                b.images("img").await;
                for problem in b.console_problems(|e| is_own_status(e, &url, status)).await {
                    problems.push(format!("{url}: {problem}"));
                }
            }
            assert!(
                problems.is_empty(),
                "console errors or warnings:\n{}",
                problems.join("\n")
            );
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn the_pages_work_with_javascript_disabled() {
    let gallery = Arc::new(Gallery::start().await);
    let no_js = Options {
        javascript: false,
        ..Options::default()
    };
    gallery
        .browse(no_js, |b, gallery| async move {
            // JavaScript really is off for pages.
            b.goto("data:text/html,<title>off</title><script>document.title='on'</script>")
                .await;
            assert_eq!(
                b.client.title().await.expect("title"),
                "off",
                "a page script ran"
            );

            b.goto(&gallery.url("/")).await;
            let grid = tiles(&b).await;
            assert_eq!(grid.len(), GRID_SIZE);
            assert_all_decoded(&b.images("li.tile img").await, "the grid without JS");
            b.screenshot("nojs-grid").await;

            open_camera_with_images(&b, &gallery).await;
            let images = b.images("#frames img").await;
            assert_eq!(images.len(), PAGE_SIZE);
            assert_all_decoded(&images, "the camera page without JS");
            b.screenshot("nojs-camera").await;

            let older = b.link("#older").await;
            b.click_and_wait("#older", &older).await;
            let images = b.images("#frames img").await;
            assert_eq!(images.len(), PAGE_SIZE);
            assert_all_decoded(&images, "the older page without JS");

            // A frame opens in the viewer, whose plain links step without JavaScript.
            let viewer = b.link("#frames li a").await;
            b.click_and_wait("#frames li a", &viewer).await;
            assert_all_decoded(&b.images("img").await, "the viewer without JS");
            let before = b.link("#older").await;
            b.click_and_wait("#older", &before).await;
            assert_all_decoded(&b.images("img").await, "the frame before, without JS");
            let after = b.link("#newer").await;
            assert_eq!(
                after, viewer,
                "the frame after the one before is the first one"
            );
            b.click_and_wait("#newer", &after).await;
            b.screenshot("nojs-viewer").await;
            let back = b.link("#back").await;
            b.click_and_wait("#back", &back).await;
            assert_eq!(b.images("#frames img").await.len(), PAGE_SIZE);
            b.goto(older.as_str()).await;

            let home = b.absolute("/").await;
            b.click_and_wait("#back", &home).await;
            assert_eq!(tiles(&b).await.len(), GRID_SIZE);
            // Buttons only a script can work stay out of sight.
            let hidden = b
                .js("return getComputedStyle(document.getElementById('live-toggle')).display")
                .await;
            assert_eq!(hidden, "none", "a Pause button that cannot pause");

            // The wall, from its button.
            let wall = b.link("#wall-link").await;
            b.click_and_wait("#wall-link", &wall).await;
            assert_all_decoded(&b.images("li.tile img").await, "the wall without JS");
            assert!(
                b.find_all("header").await.is_empty(),
                "the wall has a header"
            );
            b.screenshot("nojs-wall").await;

            // A camera found by the header's search box, a moment found by the date-time
            // field: plain forms.
            let camera = gallery
                .attached_cameras()
                .into_iter()
                .find(cameras::is_live)
                .expect("a live camera");
            let esn = esn_of(&camera);
            b.goto(&gallery.url("/")).await;
            search(&b, &gallery, &camera.name).await;
            assert!(
                rows(&b).await.iter().any(|r| r.esn == esn),
                "{} not found",
                camera.name
            );
            assert_all_decoded(&b.images("img").await, "the camera list without JS");
            let page = b.absolute(&gallery.path(&format!("/cameras/{esn}"))).await;
            b.click_and_wait(&format!("#camera-list li[data-esn='{esn}'] a"), &page)
                .await;
            let zone = TimeZone::get(camera.time_zone.as_deref().expect("a zone")).expect("zone");
            let newest = check_frames(&b, &gallery, &esn, &zone).await;
            let moment = whole_second_after(newest[10].timestamp);
            jump(&b, moment.in_zone(&zone).datetime()).await;
            b.wait_for_url("the jump", |url| url.query_pairs().any(|(k, _)| k == "at"))
                .await;
            let shown = check_frames(&b, &gallery, &esn, &zone).await;
            assert_frames_before(&b, &esn, &shown, moment).await;
            b.screenshot("nojs-jump").await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn every_link_and_image_on_every_page_answers() {
    let gallery = Arc::new(Gallery::start().await);
    let origin = gallery.origin();
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url("/")).await;
            let camera = open_camera_with_images(&b, &gallery).await;
            let older = b.link("#older").await;
            let empty = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| !c.has_images)
                .expect("a camera without images");
            let viewer = b.link("#frames li a").await;
            let pages = [
                gallery.url("/"),
                gallery.url("/?wall=1&rotate=60"),
                camera.to_string(),
                viewer.to_string(),
                older.to_string(),
                jump_url(&gallery, &camera),
                gallery.url(&format!("/cameras/{}", esn_of(&empty))),
                // A part of the list: the whole one links to every camera's page, each a
                // cold page of 20 frames, which the pages above already stand for.
                gallery.url("/cameras?q=door&status=offline"),
                gallery.url("/cameras/not-a-camera"),
            ];
            let http = plain_client();
            let mut broken = Vec::new();
            let mut checked = BTreeSet::new();
            // What each header link says, and where it goes (its path) on every page.
            let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for page in pages {
                b.goto(&page).await;
                let nav: Vec<(String, String)> = serde_json::from_value(
                    b.js("return [...document.querySelectorAll('header nav a')]
                              .map(a => [a.textContent.trim(), a.pathname]);")
                        .await,
                )
                .expect("header links");
                for (text, path) in nav {
                    named.entry(text).or_default().insert(path);
                }
                let targets: Vec<String> = serde_json::from_value(
                    b.js(r"
                        return [
                            ...[...document.querySelectorAll('a[href], link[href]')].map(e => e.href),
                            ...[...document.images].map(i => i.currentSrc || i.src),
                        ];
                    ")
                    .await,
                )
                .expect("a list of URLs");
                assert!(!targets.is_empty(), "{page} links nowhere at all");
                for target in targets {
                    assert!(
                        target.starts_with(&origin),
                        "{page} refers to another site: {target}"
                    );
                    if !checked.insert(target.clone()) {
                        continue;
                    }
                    let status = http
                        .get(&target)
                        .send()
                        .await
                        .map(|r| r.status())
                        .unwrap_or_else(|e| panic!("GET {target} (from {page}): {e}"));
                    if status != StatusCode::OK {
                        broken.push(format!("{page} -> {target}: {status}"));
                    }
                }
            }
            assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
            // One name, one place: a header link that says the same on two pages goes to the
            // same page.
            let ambiguous: Vec<_> = named.iter().filter(|(_, paths)| paths.len() > 1).collect();
            assert!(
                ambiguous.is_empty(),
                "header links named alike lead to different pages: {ambiguous:?}"
            );
        })
        .await;
}
