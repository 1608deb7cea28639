//! Wall mode in Chromium (issue 15): `/?wall=1` fills a wide screen with a 3 x 3 grid of large
//! names and shuffles unless paused; on a phone it is one column of whole-width tiles whose
//! names and ages read in full, the controls covering none of them.

use std::time::Duration;

use tokio::time::Instant;

use crate::driver::{Browser, Options, PHONE};
use crate::live::{SEED, Shown, live_gallery, shown};
use crate::{GRID_SIZE, assert_all_decoded, assert_no_sideways_scroll, columns};

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn a_wall_fills_the_screen_with_large_names_and_shuffles_unless_paused() {
    let gallery = live_gallery().await;
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // From the grid's Wall button.
            b.goto(&gallery.url(&format!("/?seed={SEED}"))).await;
            let grid_font = font_size(&b, "li.tile .camera-name").await;
            let wall = b.link("#wall-link").await;
            b.click_and_wait("#wall-link", &wall).await;
            assert_eq!(shown(&b).await.len(), GRID_SIZE);
            assert_all_decoded(&b.images("li.tile img").await, "the wall");
            let layout = b
                .js(r"
                    const rects = [...document.querySelectorAll('li.tile')]
                        .map(t => t.getBoundingClientRect());
                    return {
                        header: !!document.querySelector('header'),
                        banner: !!document.querySelector('#demo-banner'),
                        height: window.innerHeight,
                        width: window.innerWidth,
                        bottom: Math.max(...rects.map(r => r.bottom)),
                        right: Math.max(...rects.map(r => r.right)),
                        area: rects.reduce((a, r) => a + r.width * r.height, 0),
                    };
                ")
                .await;
            assert_eq!(layout["header"], false, "{layout}");
            assert_eq!(layout["banner"], false, "{layout}");
            let (height, width) = (layout["height"].as_f64().unwrap(), layout["width"].as_f64().unwrap());
            assert!(
                layout["bottom"].as_f64().unwrap() <= height + 1.0,
                "the wall does not fit the screen: {layout}"
            );
            assert!(
                layout["area"].as_f64().unwrap() >= 0.9 * width * height,
                "the tiles leave the screen empty: {layout}"
            );
            assert_eq!(columns(&b, "li.tile").await, 3, "a wide wall is a 3 x 3 grid");
            check_captions(&b).await;
            let wall_font = font_size(&b, "li.tile .camera-name").await;
            assert!(
                wall_font >= grid_font * 1.2,
                "names on the wall ({wall_font} px) are not larger than on the grid ({grid_font} px)"
            );
            b.screenshot("wall").await;

            // Shuffling every 10 s: another wall of cameras, shuffling on.
            let rotating = gallery.url(&format!("/?wall=1&rotate=10&seed={SEED}"));
            b.goto(&rotating).await;
            let before = shown(&b).await;
            let deadline = Instant::now() + Duration::from_secs(25);
            loop {
                let url = b.url().await;
                if url.as_str() != rotating {
                    assert!(
                        url.query().is_some_and(|q| q.starts_with("wall=1&rotate=10&seed=")),
                        "shuffled to {url}"
                    );
                    break;
                }
                assert!(Instant::now() < deadline, "the wall did not shuffle in 25 s");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            b.wait_for_page(&b.url().await).await;
            let after = shown(&b).await;
            let esns = |tiles: &[Shown]| tiles.iter().map(|t| t.esn.clone()).collect::<Vec<_>>();
            assert_ne!(esns(&after), esns(&before), "the same cameras");

            // Paused, it keeps its cameras past the next shuffle.
            let here = b.url().await;
            b.js("document.getElementById('live-toggle').click()").await;
            tokio::time::sleep(Duration::from_secs(13)).await;
            assert_eq!(b.url().await, here, "a paused wall shuffled");
            // Leave the next scenario's browser live (each has its own profile anyway).
            b.js("document.getElementById('live-toggle').click()").await;
        })
        .await;
}

async fn font_size(b: &Browser, selector: &str) -> f64 {
    let selector = serde_json::to_string(selector).expect("JSON string");
    b.js(&format!(
        "return parseFloat(getComputedStyle(document.querySelector({selector})).fontSize);"
    ))
    .await
    .as_f64()
    .expect("a font size")
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn on_a_phone_the_wall_is_one_column_of_whole_tiles_that_read_in_full() {
    let gallery = live_gallery().await;
    let phone = Options {
        phone: true,
        ..Options::default()
    };
    gallery
        .browse(phone, |b, gallery| async move {
            b.goto(&gallery.url(&format!("/?wall=1&seed={SEED}"))).await;
            assert_eq!(shown(&b).await.len(), GRID_SIZE);
            assert_all_decoded(&b.images("li.tile img").await, "the phone wall");
            assert_no_sideways_scroll(&b, "the phone wall").await;
            assert_eq!(
                columns(&b, "li.tile").await,
                1,
                "a phone wall is one column"
            );
            b.screenshot("phone-wall").await;
            let layout = check_captions(&b).await;
            for tile in layout["tiles"].as_array().expect("tiles") {
                let t = &tile["tile"];
                assert!(
                    t["left"].as_f64() <= Some(1.0)
                        && t["right"].as_f64() >= Some(f64::from(PHONE.0) - 1.0),
                    "a tile narrower than the phone: {tile}"
                );
            }
            for control in layout["controls"].as_array().expect("controls") {
                assert!(
                    control["height"].as_f64() >= Some(44.0),
                    "a control too small to touch: {control}"
                );
            }
            b.assert_quiet_console("the phone wall").await;
        })
        .await;
}

/// Checks that every caption of the wall on screen reads in full (no name, age or status cut
/// short, none too small) and that no control hides one; returns where everything is.
async fn check_captions(b: &Browser) -> serde_json::Value {
    let layout = b
        .js(r"
            const box = e => { const r = e.getBoundingClientRect();
                return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
            const tiles = [...document.querySelectorAll('li.tile')].map(tile => ({
                tile: box(tile),
                body: box(tile.querySelector('.tile-body')),
                texts: [...tile.querySelectorAll('.camera-name, .age, .status')].map(t => ({
                    text: t.textContent.trim(),
                    cut: t.scrollWidth > t.clientWidth + 1 || t.scrollHeight > t.clientHeight + 1,
                    size: parseFloat(getComputedStyle(t).fontSize),
                })),
            }));
            const controls = [...document.querySelectorAll('.wall-controls .button')]
                .filter(c => c.offsetParent !== null)
                .map(c => ({ id: c.id, box: box(c), height: c.getBoundingClientRect().height }));
            return { tiles, controls };
        ")
        .await;
    let tiles = layout["tiles"].as_array().expect("tiles");
    let controls = layout["controls"].as_array().expect("controls");
    assert!(!controls.is_empty(), "no wall controls: {layout}");
    for tile in tiles {
        let (t, body) = (&tile["tile"], &tile["body"]);
        assert!(
            body["top"].as_f64() >= t["top"].as_f64().map(|top| top - 1.0)
                && body["bottom"].as_f64() <= t["bottom"].as_f64().map(|bottom| bottom + 1.0),
            "the caption is clipped by its tile: {tile}"
        );
        for text in tile["texts"].as_array().expect("texts") {
            assert_eq!(text["cut"], false, "cut short: {text}");
            assert!(
                text["size"].as_f64() >= Some(14.0),
                "too small to read: {text}"
            );
        }
        assert!(
            tile["texts"][0]["size"].as_f64() >= Some(18.0),
            "a camera name too small for a wall: {tile}"
        );
        // The controls (fixed in a corner) never hide a name or an age.
        for control in controls {
            let (c, body) = (&control["box"], &tile["body"]);
            let apart = c["right"].as_f64() <= body["left"].as_f64()
                || c["left"].as_f64() >= body["right"].as_f64()
                || c["bottom"].as_f64() <= body["top"].as_f64()
                || c["top"].as_f64() >= body["bottom"].as_f64();
            assert!(apart, "{control} covers the caption of {tile}");
        }
    }
    layout
}
