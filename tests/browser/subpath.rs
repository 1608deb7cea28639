//! The gallery on a subpath in Chromium (issue 15, `BASE_PATH`): behind a real nginx that
//! serves it at `/cameras-wall/` only, a person signs in, walks from the grid to a camera,
//! pages Older and Newer, steps through frames in the viewer with the arrow keys, finds a
//! camera on `/cameras`, comes back and signs out; every request the browser made, and every
//! one nginx answered, stayed under the prefix, and the console stayed quiet.

use std::collections::BTreeSet;
use std::sync::Arc;

use een_gallery::gallery::Settings;
use een_gallery::timestamp::EenTimestamp;
use fantoccini::key::Key;
use jiff::tz::TimeZone;

use crate::driver::{Browser, Options};
use crate::finder::{rows, search};
use crate::gallery::{Gallery, Setup};
use crate::signin::submit;
use crate::support::signin::VIEWER;
use crate::viewer::check_viewer;
use crate::{check_frames, check_grid, open_camera_with_images};

/// The prefix nginx serves the gallery under.
const BASE: &str = "/cameras-wall";

/// The page's own address and everything it has loaded so far (scripts' requests too).
async fn requested(b: &Browser) -> Vec<String> {
    serde_json::from_value(
        b.js(
            "return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]",
        )
        .await,
    )
    .expect("a list of URLs")
}

/// The frame time in a viewer's URL.
fn viewed(gallery: &Gallery, esn: &str, url: &url::Url) -> Option<EenTimestamp> {
    url.path()
        .strip_prefix(&gallery.path(&format!("/cameras/{esn}/frames/")))
        .and_then(|ts| ts.parse().ok())
}

#[tokio::test]
#[ignore = "needs Chromium, chromedriver and nginx: run ci/browser-check.sh"]
async fn the_whole_walk_works_behind_nginx_on_a_subpath() {
    let setup = Setup {
        settings: Settings {
            base_path: Some(BASE.to_owned()),
            ..Settings::default()
        },
        sign_in: true,
        behind_nginx: true,
    };
    let gallery = Arc::new(Gallery::with(setup).await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            let mut seen = BTreeSet::new();
            assert!(gallery.url("/").ends_with(&format!("{BASE}/")));

            // A stranger at the grid meets the sign-in page under the prefix, which leads back.
            b.goto(&gallery.url("/")).await;
            let login = gallery.path("/login");
            let url = b
                .wait_for_url("the sign-in page", |url| url.path() == login)
                .await;
            let next = url
                .query_pairs()
                .find(|(k, _)| k == "next")
                .map(|(_, v)| v.into_owned());
            assert_eq!(next, Some(gallery.path("/")), "{url}");
            seen.extend(requested(&b).await);
            submit(&b, VIEWER.0, VIEWER.1).await;
            let grid = url::Url::parse(&gallery.url("/")).expect("a URL");
            b.wait_for_page(&grid).await;
            check_grid(&b, &gallery).await;
            seen.extend(requested(&b).await);

            // A tile opens its camera; Older and Newer page through it.
            let camera_url = open_camera_with_images(&b, &gallery).await;
            let esn = camera_url
                .path()
                .rsplit('/')
                .next()
                .expect("an id")
                .to_owned();
            let camera = gallery.camera(&esn).expect("a demo camera");
            let zone = TimeZone::get(camera.time_zone.as_deref().expect("a zone")).expect("zone");
            let newest = check_frames(&b, &gallery, &esn, &zone).await;
            seen.extend(requested(&b).await);
            let older_url = b.link("#older").await;
            b.click_and_wait("#older", &older_url).await;
            let older = check_frames(&b, &gallery, &esn, &zone).await;
            assert!(older[0].timestamp < newest[19].timestamp, "{older_url}");
            seen.extend(requested(&b).await);
            let newer_url = b.link("#newer").await;
            b.click_and_wait("#newer", &newer_url).await;
            let newer = check_frames(&b, &gallery, &esn, &zone).await;
            assert!(newer[0].timestamp > older[0].timestamp, "{newer_url}");
            seen.extend(requested(&b).await);

            // A frame in the viewer; ← the one before, → back, Esc to its camera page.
            let frame_url = b.absolute(&newer[1].href).await;
            b.click_and_wait("#frames li:nth-child(2) a", &frame_url)
                .await;
            check_viewer(&b, &gallery, &esn, &newer[1], &zone).await;
            seen.extend(requested(&b).await);
            b.press(Key::Left).await;
            let earlier = b
                .wait_for_url("the frame before", |url| {
                    viewed(&gallery, &esn, url).is_some_and(|ts| ts < newer[1].timestamp)
                })
                .await;
            assert_eq!(
                viewed(&gallery, &esn, &earlier),
                Some(newer[2].timestamp),
                "← went elsewhere"
            );
            check_viewer(&b, &gallery, &esn, &newer[2], &zone).await;
            seen.extend(requested(&b).await);
            b.press(Key::Right).await;
            b.wait_for_page(&frame_url).await;
            seen.extend(requested(&b).await);
            b.press(Key::Escape).await;
            let camera_path = gallery.path(&format!("/cameras/{esn}"));
            b.wait_for_url("the camera page", |url| url.path() == camera_path)
                .await;
            check_frames(&b, &gallery, &esn, &zone).await;
            seen.extend(requested(&b).await);

            // Find a camera by the header's search box; a row opens it; Back, then the grid.
            let word = camera.name.split_whitespace().next().expect("a name");
            let list = search(&b, &gallery, word).await;
            let found = rows(&b).await;
            assert!(found.iter().any(|r| r.esn == esn), "{list}: {found:?}");
            seen.extend(requested(&b).await);
            let row = format!("#camera-list li[data-esn='{esn}'] a");
            b.click_and_wait(&row, &camera_url).await;
            seen.extend(requested(&b).await);
            b.client.back().await.expect("history back");
            b.wait_for_page(&list).await;
            b.click_and_wait("#back", &grid).await;
            check_grid(&b, &gallery).await;
            seen.extend(requested(&b).await);

            // Signing out: the sign-in page under the prefix.
            b.click_and_wait("#sign-out button", &b.absolute(&login).await)
                .await;
            seen.extend(requested(&b).await);

            // The browser asked for nothing outside the prefix, or from anywhere else ...
            let under = gallery.url("/");
            let outside: Vec<&String> = seen.iter().filter(|u| !u.starts_with(&under)).collect();
            assert!(outside.is_empty(), "requests outside {under}: {outside:#?}");
            for kind in [
                "/static/",
                "/images/",
                "/latest.json",
                "/frames/",
                "/cameras?",
            ] {
                assert!(
                    seen.iter().any(|u| u.contains(kind)),
                    "no request for {kind}: {seen:#?}"
                );
            }
            // ... and nginx, which serves only the prefix, answered every request it got.
            let nginx = gallery.nginx().expect("nginx in front");
            let answered = nginx.requests();
            for kind in ["/static/", "/latest.json", "/login"] {
                assert!(
                    answered.iter().any(|line| line.contains(kind)),
                    "nginx never saw {kind}: {answered:#?}"
                );
            }
            // 499 is nginx's note that the browser left before the answer (a live tile's
            // question cut short by the next page), not an answer of the gallery's.
            let wrong: Vec<&String> = answered
                .iter()
                .filter(|line| {
                    let mut parts = line.split(' ');
                    let (_, uri, status) = (parts.next(), parts.next(), parts.next());
                    !uri.is_some_and(|u| u.starts_with(&format!("{BASE}/")))
                        || !status
                            .is_some_and(|s| s.starts_with('2') || s.starts_with('3') || s == "499")
                })
                .collect();
            assert!(wrong.is_empty(), "nginx saw: {wrong:#?}");
            b.assert_quiet_console("the walk on a subpath").await;
        })
        .await;
}
