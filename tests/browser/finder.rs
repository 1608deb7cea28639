//! Finding a camera and a moment in Chromium (issue 15): the header's search box and the
//! `/cameras` page's filters (name and status) list exactly the cameras they should, sorted by
//! name, and a row opens its camera; the camera page's date-time form, filled in the camera's
//! own zone, shows the frames before that moment (proved by the frames' JPEG comments), keeps
//! the moment in a URL that can be shared, and refuses the future.

use std::collections::BTreeMap;
use std::sync::Arc;

use een_gallery::sim::DeviceKind;
use een_gallery::timestamp::EenTimestamp;
use fantoccini::Locator;
use fantoccini::key::Key;
use jiff::tz::TimeZone;
use serde::Deserialize;
use url::Url;

use crate::driver::{Browser, Options};
use crate::gallery::Gallery;
use crate::support::cameras::{self, esn_of};
use crate::{FrameFacts, check_frames};

/// One row of the camera list, as the browser shows it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(crate) struct Row {
    pub(crate) esn: String,
    pub(crate) name: String,
    /// `online`, `offline` or `off`.
    pub(crate) class: String,
    /// "Online", "Offline: why", ...
    pub(crate) status: String,
    pub(crate) zone: String,
    pub(crate) href: String,
}

/// The rows of the camera list on screen.
pub(crate) async fn rows(b: &Browser) -> Vec<Row> {
    let value = b
        .js(r"
            return [...document.querySelectorAll('#camera-list li.camera-row')].map(row => ({
                esn: row.dataset.esn,
                name: row.querySelector('.camera-name').textContent.trim(),
                class: row.dataset.status,
                status: row.querySelector('.status').textContent.trim(),
                zone: row.querySelector('.time-zone').textContent.trim(),
                href: row.querySelector('a').getAttribute('href'),
            }));
        ")
        .await;
    serde_json::from_value(value).expect("camera rows")
}

/// Types `text` into the header's search box and presses Enter, as a person looks a camera
/// up from any page; waits for the camera list it leads to and returns its URL.
pub(crate) async fn search(b: &Browser, gallery: &Gallery, text: &str) -> Url {
    b.client
        .find(Locator::Css("#search-q"))
        .await
        .expect("the header's search box")
        .click()
        .await
        .expect("click the search box");
    b.type_keys(text).await;
    b.press(Key::Enter).await;
    let list = gallery.path("/cameras");
    b.wait_for_url("the camera list", |url| {
        url.path() == list && url.query_pairs().any(|(k, v)| k == "q" && v == text)
    })
    .await
}

/// Fills the camera page's date-time field with `at` (the camera's wall-clock time) by the
/// keyboard, as a person does in Chromium's en-US field (month, day, year, hour, minute,
/// second, AM/PM), checks the field took it, and presses Show.
pub(crate) async fn jump(b: &Browser, at: jiff::civil::DateTime) {
    // A click on the label puts the focus in the field's first part.
    b.client
        .find(Locator::Css("label[for=jump-at]"))
        .await
        .expect("the date-time field's label")
        .click()
        .await
        .expect("click the label");
    let hour = match at.hour() % 12 {
        0 => 12,
        h => h,
    };
    let half = if at.hour() < 12 { 'A' } else { 'P' };
    b.type_keys(&format!(
        "{:02}{:02}{:04}{hour:02}{:02}{:02}{half}",
        at.month(),
        at.day(),
        at.year(),
        at.minute(),
        at.second()
    ))
    .await;
    let value = b
        .js("return document.getElementById('jump-at').value")
        .await;
    assert_eq!(
        value.as_str(),
        Some(local_input(at).as_str()),
        "the field did not take {at}"
    );
    b.client
        .find(Locator::Css("#jump button[type=submit]"))
        .await
        .expect("the Show button")
        .click()
        .await
        .expect("press Show");
}

/// `at` as a `datetime-local` field's value (with seconds).
pub(crate) fn local_input(at: jiff::civil::DateTime) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A word several attached cameras' names share, but not all: the most common one (the first
/// in order among equals).
fn shared_word(gallery: &Gallery) -> String {
    let cameras = gallery.attached_cameras();
    let mut counts = BTreeMap::<String, usize>::new();
    for camera in &cameras {
        let mut words: Vec<String> = camera
            .name
            .split_whitespace()
            .map(str::to_lowercase)
            .filter(|w| w.len() >= 4)
            .collect();
        words.dedup();
        for word in words {
            *counts.entry(word).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| (2..cameras.len()).contains(n))
        .max_by_key(|(word, n)| (*n, std::cmp::Reverse(word.clone())))
        .map(|(word, _)| word)
        .expect("camera names share a word")
}

/// The rows the list must show for the name filter `needle`: every attached camera whose
/// name or id contains it, whatever the case, sorted by name. The browser's galleries run on
/// API v3, which lists a multiview encoder's channels but not the encoder itself.
fn expected_rows(gallery: &Gallery, needle: &str) -> Vec<(String, String)> {
    let needle = needle.to_lowercase();
    let mut expected: Vec<(String, String)> = gallery
        .attached_cameras()
        .into_iter()
        .filter(|c| c.kind != DeviceKind::MultiviewCamera)
        .filter(|c| c.name.to_lowercase().contains(&needle) || esn_of(c).contains(&needle))
        .map(|c| (c.name.to_lowercase(), esn_of(&c)))
        .collect();
    expected.sort();
    expected
}

/// Checks every row: it links to its camera, its status reads as its class says, its zone
/// is the camera's; and every preview on the page decoded.
async fn check_rows(b: &Browser, gallery: &Gallery, rows: &[Row]) {
    for row in rows {
        let camera = gallery
            .camera(&row.esn)
            .unwrap_or_else(|| panic!("{row:?} is not an attached camera"));
        assert_eq!(row.name, camera.name, "{row:?}");
        assert_eq!(row.href, gallery.path(&format!("/cameras/{}", row.esn)));
        let status_ok = match row.class.as_str() {
            "online" => row.status == "Online",
            "offline" => row.status.starts_with("Offline: ") || row.status.starts_with("Unknown: "),
            "off" => row.status.starts_with("Off: "),
            _ => false,
        };
        assert!(status_ok, "the status of {row:?}");
        let zone = camera.time_zone.as_deref().expect("a zone");
        assert!(row.zone.contains(zone), "{row:?} is not in {zone}");
    }
    let previews = b.images("#camera-list img").await;
    assert_eq!(previews.len(), rows.len());
    crate::assert_all_decoded(&previews, "the camera list");
}

/// Each row of the list reads as one line of facts beside its thumbnail: name, status and
/// zone all right of the image, none under it or past the row's edge.
pub(crate) async fn check_row_layout(b: &Browser, page: &str) {
    let misplaced = b
        .js(r"
            const out = [];
            for (const row of document.querySelectorAll('#camera-list .camera-row-link')) {
                const frame = row.getBoundingClientRect();
                const image = row.querySelector('img').getBoundingClientRect();
                for (const part of row.querySelectorAll('.camera-name, .status, .time-zone')) {
                    const r = part.getBoundingClientRect();
                    if (r.left < image.right - 1 || r.right > frame.right + 1 || r.width === 0) {
                        out.push({ esn: row.parentElement.dataset.esn, part: part.className,
                                   left: r.left, right: r.right, image: image.right, row: frame.right });
                    }
                }
            }
            return out;
        ")
        .await;
    assert_eq!(
        misplaced,
        serde_json::json!([]),
        "{page}: parts of camera rows are not beside their thumbnails"
    );
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn the_camera_list_filters_by_name_and_status_and_a_row_opens_its_camera() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // Every camera, sorted by name, from the grid's link.
            b.goto(&gallery.url("/")).await;
            let list = b.link("#find").await;
            b.click_and_wait("#find", &list).await;
            let all = rows(&b).await;
            let shown: Vec<(String, String)> = all
                .iter()
                .map(|r| (r.name.to_lowercase(), r.esn.clone()))
                .collect();
            assert_eq!(shown, expected_rows(&gallery, ""), "the whole list");
            check_rows(&b, &gallery, &all).await;
            check_row_layout(&b, "the camera list").await;
            crate::assert_labels_by_their_fields(&b, "the camera list").await;
            let total = all.len();
            assert_eq!(b.text("#summary").await, format!("{total} cameras."));
            b.screenshot("cameras").await;

            // By name, from the header's search box, whatever the case.
            let word = shared_word(&gallery);
            let typed = word.to_uppercase();
            search(&b, &gallery, &typed).await;
            let found = rows(&b).await;
            let shown: Vec<(String, String)> = found
                .iter()
                .map(|r| (r.name.to_lowercase(), r.esn.clone()))
                .collect();
            let expected = expected_rows(&gallery, &word);
            assert!(
                expected.len() >= 2 && expected.len() < total,
                "{word}: {expected:?}"
            );
            assert_eq!(shown, expected, "cameras named *{typed}*");
            check_rows(&b, &gallery, &found).await;
            assert_eq!(
                b.text("#summary").await,
                format!("{} of {total} cameras match.", expected.len())
            );
            let kept = b
                .js("return document.getElementById('filter-q').value")
                .await;
            assert_eq!(
                kept.as_str(),
                Some(typed.as_str()),
                "the filter shows the name"
            );

            // By status, from the filter's menu, with the name cleared: exactly the cameras of
            // that status in the whole list.
            let field = b
                .client
                .find(Locator::Css("#filter-q"))
                .await
                .expect("the name field");
            field.clear().await.expect("clear the name");
            for (status, label) in [("online", "Online"), ("offline", "Offline"), ("off", "Off")] {
                b.client
                    .find(Locator::Css("#filter-status"))
                    .await
                    .expect("the status menu")
                    .select_by_label(label)
                    .await
                    .unwrap_or_else(|e| panic!("choose {label}: {e}"));
                b.client
                    .find(Locator::Css("#filter button[type=submit]"))
                    .await
                    .expect("the Filter button")
                    .click()
                    .await
                    .expect("press Filter");
                let url = b
                    .wait_for_url(label, |url| {
                        url.query_pairs().any(|(k, v)| k == "status" && v == status)
                    })
                    .await;
                let filtered = rows(&b).await;
                let expected: Vec<Row> =
                    all.iter().filter(|r| r.class == status).cloned().collect();
                assert!(!expected.is_empty(), "the demo has {status} cameras");
                assert_eq!(filtered, expected, "{url}");
                check_rows(&b, &gallery, &filtered).await;
                b.screenshot(&format!("cameras-{status}")).await;
            }

            // Nothing matches: said so.
            search(&b, &gallery, "no such camera").await;
            assert!(rows(&b).await.is_empty());
            assert_eq!(b.text("#no-match").await, "No camera matches.");

            // A row opens its camera; Back returns to the list as it was.
            let list = search(&b, &gallery, &typed).await;
            let first = rows(&b).await.remove(0);
            let page = b.absolute(&first.href).await;
            b.click_and_wait("#camera-list li:first-child a", &page)
                .await;
            assert_eq!(b.text("#camera-name").await, first.name);
            b.client.back().await.expect("history back");
            b.wait_for_page(&list).await;
            assert_eq!(rows(&b).await[0], first);
            b.assert_quiet_console("the camera list").await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn a_jump_to_a_time_in_the_cameras_zone_shows_the_frames_just_before_it() {
    let gallery = Arc::new(Gallery::start().await);
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // A camera whose wall clock is not UTC, so a time read in the wrong zone shows.
            let camera = gallery
                .attached_cameras()
                .into_iter()
                .find(|c| cameras::is_live(c) && cameras::is_outside_utc(c))
                .expect("a live camera away from UTC");
            let esn = esn_of(&camera);
            let zone = TimeZone::get(camera.time_zone.as_deref().expect("a zone")).expect("zone");
            b.goto(&gallery.url(&format!("/cameras/{esn}"))).await;
            let newest = check_frames(&b, &gallery, &esn, &zone).await;

            // The whole second after the 11th frame: between two frames of this page, so the
            // frame just before it is known.
            let moment = whole_second_after(newest[10].timestamp);
            assert!(moment <= newest[0].timestamp, "{moment} is past the newest frame");
            let before: Vec<&FrameFacts> =
                newest.iter().filter(|f| f.timestamp < moment).collect();
            let local = moment.in_zone(&zone).datetime();
            jump(&b, local).await;
            let url = b
                .wait_for_url("the jump", |url| url.query_pairs().any(|(k, _)| k == "at"))
                .await;
            let asked = url
                .query_pairs()
                .find(|(k, _)| k == "at")
                .map(|(_, v)| v.into_owned());
            assert_eq!(asked, Some(local_input(local)), "the URL says the moment");
            let shown = check_frames(&b, &gallery, &esn, &zone).await;
            assert_frames_before(&b, &esn, &shown, moment).await;
            // The newest shown is the frame just before the moment, and on from there.
            let shown_ts: Vec<EenTimestamp> = shown.iter().map(|f| f.timestamp).collect();
            let known: Vec<EenTimestamp> = before.iter().map(|f| f.timestamp).collect();
            assert_eq!(
                shown_ts[..known.len()],
                known[..],
                "not the frames right before {moment}"
            );
            let kept = b.js("return document.getElementById('jump-at').value").await;
            assert_eq!(kept.as_str(), Some(local_input(local).as_str()));
            b.screenshot("camera-jump").await;

            // The URL can be shared: opened again, it shows the same frames.
            b.goto(url.as_str()).await;
            let again = check_frames(&b, &gallery, &esn, &zone).await;
            let again: Vec<EenTimestamp> = again.iter().map(|f| f.timestamp).collect();
            assert_eq!(again, shown_ts, "{url} shows other frames when opened again");

            // The future: the field refuses it, so the form is not sent.
            let tomorrow = EenTimestamp::now().add_millis(86_400_000);
            let tomorrow = whole_second_after(tomorrow).in_zone(&zone).datetime();
            b.client
                .find(Locator::Css("#jump-at"))
                .await
                .expect("the field")
                .clear()
                .await
                .expect("clear the field");
            jump(&b, tomorrow).await;
            let refused = b
                .js("const f = document.getElementById('jump-at'); \
                     return [f.validity.rangeOverflow, document.querySelectorAll(':invalid').length > 0];")
                .await;
            assert_eq!(refused, serde_json::json!([true, true]), "a time in the future");
            assert_eq!(b.url().await, url, "a form for the future was sent");
            // Asked for by its URL anyway: a page that says why.
            let future = gallery.url(&format!("/cameras/{esn}?at={}", local_input(tomorrow)));
            b.goto(&future).await;
            assert_eq!(b.text("#error h1").await, "That time is in the future");
            let problems = b
                .console_problems(|e| crate::is_own_status(e, &future, Some(400)))
                .await;
            assert!(problems.is_empty(), "console: {problems:#?}");
        })
        .await;
}

/// The jump form's URL on the camera page `camera` (an absolute URL), for a minute ago in the
/// camera's zone, as the form sends it.
pub(crate) fn jump_url(gallery: &Gallery, camera: &Url) -> String {
    let esn = camera.path().rsplit('/').next().expect("a camera id");
    let zone = gallery
        .camera(esn)
        .and_then(|c| c.time_zone)
        .and_then(|z| TimeZone::get(&z).ok())
        .expect("a camera with a known zone");
    let at = EenTimestamp::now()
        .add_millis(-60_000)
        .in_zone(&zone)
        .datetime();
    gallery.url(&format!("/cameras/{esn}?at={}", local_input(at)))
}

/// The first whole second after `t`.
pub(crate) fn whole_second_after(t: EenTimestamp) -> EenTimestamp {
    t.add_millis(1000 - t.as_millis().rem_euclid(1000))
}

/// Every frame shown is before `moment`, and is the frame it says: its image's JPEG names
/// this camera and that time.
pub(crate) async fn assert_frames_before(
    b: &Browser,
    esn: &str,
    frames: &[FrameFacts],
    moment: EenTimestamp,
) {
    let sources: Vec<String> = serde_json::from_value(
        b.js("return [...document.querySelectorAll('#frames li.frame img')].map(i => i.getAttribute('src'))")
            .await,
    )
    .expect("image sources");
    assert_eq!(sources.len(), frames.len());
    for (frame, src) in frames.iter().zip(&sources) {
        assert!(
            frame.timestamp < moment,
            "{} is not before {moment}",
            frame.timestamp
        );
        assert_eq!(
            b.jpeg_comment(src).await.as_deref(),
            Some(format!("een-sim esn={esn} ts={}", frame.timestamp).as_str()),
            "{src} is another frame"
        );
    }
}
