//! The frame viewer in Chromium (issue 15): a frame of the camera page opens full size; ←
//! and → step to the frames around it (the camera page's own neighbours), Home to the newest
//! frame, Esc back to the camera page; keyboard focus shows.

use std::sync::Arc;

use fantoccini::key::Key;
use jiff::tz::TimeZone;

use crate::driver::{Browser, Options};
use crate::gallery::Gallery;
use crate::support::cameras;
use crate::{FrameFacts, check_caption, check_frames, find_tile};

/// Checks the viewer on screen shows `frame` of camera `esn` (decoded, the right JPEG, its
/// caption in the camera's zone).
pub(crate) async fn check_viewer(
    b: &Browser,
    gallery: &Gallery,
    esn: &str,
    frame: &FrameFacts,
    zone: &TimeZone,
) {
    let url = b.url().await;
    assert_eq!(
        url.path(),
        gallery.path(&format!("/cameras/{esn}/frames/{}", frame.timestamp)),
        "the viewer shows another frame"
    );
    let images = b.images("#viewer img").await;
    assert_eq!(images.len(), 1, "{url}");
    assert!(images[0].decoded(), "{url}: {:?}", images[0]);
    assert_eq!(
        b.jpeg_comment(&images[0].src).await.as_deref(),
        Some(format!("een-sim esn={esn} ts={}", frame.timestamp).as_str()),
        "{url}"
    );
    let shown = FrameFacts {
        timestamp: frame.timestamp,
        href: url.path().to_owned(),
        caption: b.text("#frame-time").await,
        datetime: b
            .js("return document.getElementById('frame-time').getAttribute('datetime')")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    check_caption(&shown, zone, &url);
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn the_viewer_steps_through_frames_with_the_arrow_keys_home_and_escape() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            let is_wanted = |esn: &str| {
                gallery
                    .camera(esn)
                    .is_some_and(|c| cameras::is_live(&c) && cameras::is_outside_utc(&c))
            };
            let tile = find_tile(&b, &gallery, is_wanted).await;
            let camera = gallery.camera(&tile.esn).expect("a demo camera");
            let zone = TimeZone::get(camera.time_zone.as_deref().expect("a zone")).unwrap();
            let esn = tile.esn.clone();
            b.goto(&gallery.url(&format!("/cameras/{esn}"))).await;
            let frames = check_frames(&b, &gallery, &esn, &zone).await;

            // A frame of the camera page opens in the viewer.
            let opened = b.absolute(&frames[3].href).await;
            b.click_and_wait("#frames li:nth-child(4) a", &opened).await;
            check_viewer(&b, &gallery, &esn, &frames[3], &zone).await;
            assert!(
                b.js("return !document.getElementById('viewer-keys').hidden")
                    .await
                    .as_bool()
                    .unwrap_or(false),
                "the keys are not explained"
            );
            b.screenshot("viewer").await;

            // ← the frame before (the next one down the camera page), → back and on.
            b.press(Key::Left).await;
            let before = b.absolute(&frames[4].href).await;
            b.wait_for_page(&before).await;
            check_viewer(&b, &gallery, &esn, &frames[4], &zone).await;
            for index in [3, 2] {
                b.press(Key::Right).await;
                let after = b.absolute(&frames[index].href).await;
                b.wait_for_page(&after).await;
                check_viewer(&b, &gallery, &esn, &frames[index], &zone).await;
            }

            // Home: the newest frame, at least as new as the camera page's newest.
            b.press(Key::Home).await;
            let prefix = gallery.path(&format!("/cameras/{esn}/frames/"));
            let newest = b
                .wait_for_url("the newest frame", |url| {
                    url.path()
                        .strip_prefix(&prefix)
                        .and_then(|ts| ts.parse::<een_gallery::timestamp::EenTimestamp>().ok())
                        .is_some_and(|ts| ts >= frames[0].timestamp)
                })
                .await;
            assert!(
                b.find_all("#older").await.len() == 1,
                "{newest}: the newest frame has one before it"
            );

            // Esc: back to the camera page that starts with this frame.
            b.press(Key::Escape).await;
            let page = b
                .wait_for_url("the camera page", |url| {
                    url.path() == gallery.path(&format!("/cameras/{esn}"))
                })
                .await;
            let shown = check_frames(&b, &gallery, &esn, &zone).await;
            let viewed = newest
                .path()
                .strip_prefix(&prefix)
                .and_then(|ts| ts.parse().ok())
                .expect("a frame time");
            assert_eq!(
                shown[0].timestamp, viewed,
                "{page} does not start at the frame"
            );

            // Keyboard focus shows on the viewer's links.
            b.goto(opened.as_str()).await;
            let mut tabs = 0;
            let focus = loop {
                assert!(tabs < 20, "20 Tabs never reached the Earlier link");
                b.press(Key::Tab).await;
                tabs += 1;
                let focus = b
                    .js(r"
                        const a = document.activeElement;
                        const style = getComputedStyle(a);
                        return {
                            id: a.id,
                            visible: a.matches(':focus-visible'),
                            outline: style.outlineStyle,
                            width: parseFloat(style.outlineWidth),
                        };
                    ")
                    .await;
                if focus["id"] == "older" {
                    break focus;
                }
            };
            assert_eq!(focus["visible"], true, "{focus}");
            assert_ne!(focus["outline"], "none", "no focus ring: {focus}");
            assert!(
                focus["width"].as_f64() >= Some(2.0),
                "a thin focus ring: {focus}"
            );
            // Enter follows it, as ← does.
            b.press(Key::Enter).await;
            b.wait_for_page(&before).await;

            b.assert_quiet_console("the viewer").await;
        })
        .await;
}
