//! Live tiles in Chromium (issue 15): a tile shows a newer frame by itself, stands still while
//! paused (remembered across a reload) or while its tab is hidden (a real hidden tab: another
//! tab in front), says how old its frame is as it changes, asks less often for an offline
//! camera, and EEN sees one call per camera per preview lifetime with two browsers open.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, SimHandle};
use een_gallery::timestamp::EenTimestamp;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Barrier;
use tokio::time::Instant;

use crate::driver::{Browser, Options};
use crate::gallery::{Gallery, Setup};
use crate::support::cameras;
use crate::support::gallery::sel;
use crate::support::net::plain_client;
use crate::{GRID_SIZE, is_age, tiles};

/// The preview lifetime of these scenarios' galleries: short, so a tile changes soon.
const LIFETIME: Duration = Duration::from_secs(1);
/// How long a scenario waits for a tile to change; several lifetimes and frame intervals.
const CHANGE_WITHIN: Duration = Duration::from_secs(15);
/// How long a paused or hidden page is watched for changes: several lifetimes, in which a
/// live page changes (the first part of each scenario shows it does).
const STILL_FOR: Duration = Duration::from_secs(5);
/// A grid whose cameras are mostly live (found by trying seeds; any seed works, this one
/// keeps screenshots comparable).
pub(crate) const SEED: u64 = 11;

/// A gallery whose previews live for [`LIFETIME`].
pub(crate) async fn live_gallery() -> Arc<Gallery> {
    let settings = Settings {
        latest_preview_max_age: LIFETIME,
        ..Settings::default()
    };
    Arc::new(
        Gallery::with(Setup {
            settings,
            ..Setup::default()
        })
        .await,
    )
}

/// A tile as the page shows it now.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub(crate) struct Shown {
    pub(crate) esn: String,
    timestamp: String,
    src: String,
    age: String,
    decoded: bool,
}

pub(crate) async fn shown(b: &Browser) -> Vec<Shown> {
    let value = b
        .js(r"
            return [...document.querySelectorAll('li.tile')].map(tile => {
                const img = tile.querySelector('img');
                return {
                    esn: tile.dataset.esn,
                    timestamp: tile.dataset.timestamp || '',
                    src: img.getAttribute('src'),
                    age: tile.querySelector('.age').textContent.trim(),
                    decoded: img.complete && img.naturalWidth > 0,
                };
            });
        ")
        .await;
    serde_json::from_value(value).expect("tile facts")
}

/// Records, in the page, when a tile changes its frame and when the page is hidden or shown
/// (in the page's own clock, `performance.now()`).
async fn watch(b: &Browser) {
    b.js(r"
        window.__changes = [];
        window.__visibility = [];
        new MutationObserver(records => {
            for (const r of records) window.__changes.push(performance.now());
        }).observe(document.getElementById('cameras'), {
            subtree: true, attributes: true, attributeFilter: ['data-timestamp', 'src'],
        });
        document.addEventListener('visibilitychange', () =>
            window.__visibility.push([document.visibilityState, performance.now()]));
    ")
        .await;
}

/// Frame changes and `latest.json` requests started after `since` (page clock, ms), and
/// before `until` if given.
async fn activity(b: &Browser, since: f64, until: Option<f64>) -> (u64, u64) {
    let until = until.unwrap_or(f64::MAX);
    let value = b
        .js(&format!(
            r"
            const since = {since}, until = {until};
            const inside = t => t > since && t < until;
            return [
                window.__changes.filter(inside).length,
                performance.getEntriesByType('resource')
                    .filter(e => e.name.includes('/latest.json') && inside(e.startTime)).length,
            ];
            "
        ))
        .await;
    let pair: (u64, u64) = serde_json::from_value(value).expect("two counts");
    pair
}

async fn page_now(b: &Browser) -> f64 {
    b.js("return performance.now()")
        .await
        .as_f64()
        .expect("a time")
}

/// Waits until a tile of a live camera shows a newer frame than in `before`; checks that
/// frame (it decoded, its URL and its JPEG are that camera's at that time, its age reads
/// right) and returns the tiles then.
async fn newer_frame(b: &Browser, gallery: &Gallery, before: &[Shown]) -> Vec<Shown> {
    let deadline = Instant::now() + CHANGE_WITHIN;
    loop {
        let now = shown(b).await;
        let changed = now
            .iter()
            .zip(before)
            .find(|(after, was)| after.timestamp > was.timestamp && after.decoded);
        if let Some((tile, was)) = changed {
            assert_eq!(tile.esn, was.esn, "the tiles moved");
            let ts: EenTimestamp = tile.timestamp.parse().expect("a frame time");
            assert_eq!(
                tile.src,
                gallery.path(&format!("/cameras/{}/images/{ts}.jpg", tile.esn))
            );
            assert_eq!(
                b.jpeg_comment(&tile.src).await.as_deref(),
                Some(format!("een-sim esn={} ts={ts}", tile.esn).as_str()),
                "the tile shows another frame than it says"
            );
            check_ages(b).await;
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "no tile showed a newer frame within {CHANGE_WITHIN:?}: {now:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Checks that every grid or wall tile the script has asked about (a `latest.json` request) says how old
/// the frame it shows is, now: its age text is that of its `data-timestamp` by the page's
/// clock, within the script's one-second tick (and a second of slack for this check itself).
async fn check_ages(b: &Browser) {
    let value = b
        .js(r"
            const asked = new Set(performance.getEntriesByType('resource')
                .map(e => (e.name.match(/\/cameras\/([0-9a-f]{8})\/latest\.json/) || [])[1])
                .filter(Boolean));
            return [...document.querySelectorAll('li.tile[data-timestamp]')]
                .filter(el => asked.has(el.dataset.esn))
                .map(el => ({
                    esn: el.dataset.esn,
                    timestamp: el.dataset.timestamp,
                    age: el.querySelector('.age').textContent.trim(),
                    now: Date.now(),
                }));
        ")
        .await;
    let ages: Vec<Value> = serde_json::from_value(value).expect("tile ages");
    assert!(!ages.is_empty(), "no tile has been asked about yet");
    for tile in ages {
        let ts: EenTimestamp = tile["timestamp"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("a frame time: {tile}"));
        let now = tile["now"].as_i64().expect("the page's clock");
        let age_s = (now - ts.as_millis()) as f64 / 1000.0;
        let text = tile["age"].as_str().unwrap_or_default();
        let (low, high) = age_range(text).unwrap_or_else(|| panic!("{text:?} is no age: {tile}"));
        assert!(
            low - 2.0 <= age_s && age_s < high + 2.0,
            "a tile says {text:?} of a frame {age_s:.1} s old: {tile}"
        );
    }
}

/// The ages, in seconds, an age text stands for (`[low, high)`).
fn age_range(text: &str) -> Option<(f64, f64)> {
    if text == "just now" {
        return Some((f64::MIN, 1.0));
    }
    if !is_age(text) {
        return None;
    }
    let mut words = text.split(' ');
    let n: f64 = words.next()?.parse().ok()?;
    let unit = match words.next()? {
        "s" => 1.0,
        "min" => 60.0,
        "h" => 3600.0,
        _ => 86_400.0,
    };
    Some((n * unit, (n + 1.0) * unit))
}

/// Whether the grid on screen has live cameras (it is the scenario's grid).
fn live_tiles(gallery: &Gallery, shown: &[Shown]) -> usize {
    shown
        .iter()
        .filter(|t| gallery.camera(&t.esn).is_some_and(|c| cameras::is_live(&c)))
        .count()
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn a_live_tile_shows_newer_frames_and_stands_still_while_paused_or_hidden() {
    let gallery = live_gallery().await;
    gallery
        .browse(Options::default(), |b, gallery| async move {
            b.goto(&gallery.url(&format!("/?seed={SEED}"))).await;
            let first = shown(&b).await;
            assert_eq!(first.len(), GRID_SIZE);
            assert!(live_tiles(&gallery, &first) >= 3, "{first:#?}");
            watch(&b).await;
            let toggle = b.text("#live-toggle").await;
            assert_eq!(toggle, "Pause live updates", "the script shows its button");

            // Live: a newer frame appears by itself.
            let live = newer_frame(&b, &gallery, &first).await;
            b.screenshot("live-grid").await;

            // Paused: nothing changes, nothing is asked.
            let paused_at = b
                .js("document.getElementById('live-toggle').click(); return performance.now();")
                .await
                .as_f64()
                .expect("a time");
            assert_eq!(b.text("#live-toggle").await, "Resume live updates");
            tokio::time::sleep(STILL_FOR).await;
            let (changes, asks) = activity(&b, paused_at + 50.0, None).await;
            assert_eq!((changes, asks), (0, 0), "a paused grid changed or asked");

            // Remembered: a new view of the grid starts paused and asks nothing.
            b.goto(&gallery.url(&format!("/?seed={SEED}"))).await;
            watch(&b).await;
            assert_eq!(b.text("#live-toggle").await, "Resume live updates");
            let loaded = page_now(&b).await;
            tokio::time::sleep(STILL_FOR).await;
            assert_eq!(activity(&b, 0.0, None).await.1, 0, "a paused page asked");
            assert_eq!(activity(&b, loaded, None).await.0, 0);

            // Resumed: live again.
            b.client
                .find(fantoccini::Locator::Css("#live-toggle"))
                .await
                .expect("the button")
                .click()
                .await
                .expect("click Resume");
            assert_eq!(b.text("#live-toggle").await, "Pause live updates");
            let resumed = shown(&b).await;
            let live_again = newer_frame(&b, &gallery, &resumed).await;
            assert_ne!(live_again, live);

            // Hidden (another tab in front): nothing changes, nothing is asked.
            let grid = b.client.window().await.expect("this tab");
            let other = b.client.new_window(true).await.expect("a new tab");
            b.client
                .switch_to_window(other.handle)
                .await
                .expect("switch to the new tab");
            tokio::time::sleep(STILL_FOR).await;
            b.client.close_window().await.expect("close the new tab");
            b.client
                .switch_to_window(grid)
                .await
                .expect("back to the grid");
            let visibility: Vec<(String, f64)> =
                serde_json::from_value(b.js("return window.__visibility").await)
                    .expect("visibility changes");
            let hidden_at = visibility
                .iter()
                .find(|(state, _)| state == "hidden")
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("the tab was never hidden: {visibility:?}"));
            let shown_at = visibility
                .iter()
                .find(|(state, t)| state == "visible" && *t > hidden_at)
                .map(|(_, t)| *t)
                .unwrap_or_else(|| panic!("the tab was never shown again: {visibility:?}"));
            assert!(
                shown_at - hidden_at >= STILL_FOR.as_secs_f64() * 1000.0 * 0.8,
                "hidden only {} ms",
                shown_at - hidden_at
            );
            let (changes, asks) = activity(&b, hidden_at + 50.0, Some(shown_at)).await;
            assert_eq!((changes, asks), (0, 0), "a hidden grid changed or asked");

            // Shown again: live again.
            let back = shown(&b).await;
            newer_frame(&b, &gallery, &back).await;
            b.assert_quiet_console("the live grid").await;
        })
        .await;
}

/// A grid seed whose tiles show at least one camera that is not online but has a frame, and
/// three live ones: their ids (not online, live). Found over plain HTTP, cheaper than a browser.
async fn grid_with_an_offline_camera(gallery: &Gallery) -> (u64, Vec<String>, Vec<String>) {
    let http = plain_client();
    for seed in 1..=crate::SEED_TRIES {
        let html = http
            .get(gallery.url(&format!("/?seed={seed}")))
            .send()
            .await
            .expect("the grid answers")
            .text()
            .await
            .expect("its page");
        let html = scraper::Html::parse_document(&html);
        let (mut offline, mut live) = (Vec::new(), Vec::new());
        for tile in html.select(&sel("li.tile")) {
            let esn = tile.value().attr("data-esn").unwrap_or_default().to_owned();
            let online = tile
                .select(&sel(".status"))
                .any(|s| s.value().classes().any(|c| c == "status-online"));
            if !online && tile.value().attr("data-timestamp").is_some() {
                offline.push(esn);
            } else if online && gallery.camera(&esn).is_some_and(|c| cameras::is_live(&c)) {
                live.push(esn);
            }
        }
        if !offline.is_empty() && live.len() >= 3 {
            return (seed, offline, live);
        }
    }
    panic!("no grid shows an offline camera with a frame beside three live ones");
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn an_offline_camera_is_asked_less_often_and_every_tile_says_how_old_its_frame_is() {
    // Several of an offline camera's intervals (six lifetimes, less the script's jitter).
    const WATCH: Duration = Duration::from_secs(15);
    const LOOKS: u32 = 5;
    let gallery = live_gallery().await;
    let (seed, offline, live) = grid_with_an_offline_camera(&gallery).await;
    gallery
        .browse(Options::default(), move |b, gallery| async move {
            // On a wall every tile is on screen, so every one is asked about.
            b.goto(&gallery.url(&format!("/?wall=1&seed={seed}"))).await;
            let since = page_now(&b).await;
            b.wait_until(
                "every tile's first question",
                "const asked = performance.getEntriesByType('resource').map(e => e.name); \
                 return [...document.querySelectorAll('li.tile')].every(t => \
                     asked.some(u => u.includes('/cameras/' + t.dataset.esn + '/latest.json')));",
            )
            .await;
            // Read now and then while frames come and go: every age is the truth.
            for _ in 0..LOOKS {
                check_ages(&b).await;
                tokio::time::sleep(WATCH / LOOKS).await;
            }
            check_ages(&b).await;
            let counts: BTreeMap<String, u64> = serde_json::from_value(
                b.js(&format!(
                    r"
                    const counts = {{}};
                    for (const e of performance.getEntriesByType('resource')) {{
                        const m = e.name.match(/\/cameras\/([0-9a-f]{{8}})\/latest\.json/);
                        if (m && e.startTime >= {since}) counts[m[1]] = (counts[m[1]] || 0) + 1;
                    }}
                    return counts;
                    "
                ))
                .await,
            )
            .expect("counts by camera");
            // An offline camera: once per six lifetimes (at most 10 % sooner), and once more
            // for a watch that starts between two questions.
            let slow = WATCH.as_secs_f64() / (LIFETIME.as_secs_f64() * 6.0 * 0.9);
            let bound = slow.floor() as u64 + 1;
            for esn in &offline {
                let asked = counts.get(esn).copied().unwrap_or(0);
                assert!(
                    asked <= bound,
                    "offline camera {esn} asked {asked} times in {WATCH:?} (at most {bound}): {counts:?}"
                );
            }
            let busiest = live.iter().filter_map(|esn| counts.get(esn)).max().copied();
            assert!(
                busiest > Some(2 * bound),
                "no live camera was asked more than twice as often as an offline one may be \
                 ({bound}), which proves nothing: {counts:?}"
            );
            b.screenshot("live-offline").await;
            b.assert_quiet_console("the grid with an offline camera").await;
        })
        .await;
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn two_browsers_cost_een_one_call_per_camera_per_preview_lifetime() {
    const WATCH: Duration = Duration::from_secs(12);
    let gallery = live_gallery().await;
    // The watch starts when both browsers show the grid and ends when both have counted
    // (starting the browsers takes a while, and longer on a busy machine).
    let together = Arc::new(Barrier::new(2));
    let window: Arc<Mutex<Window>> = Arc::default();
    let view = || {
        let gallery = Arc::clone(&gallery);
        let together = Arc::clone(&together);
        let window = Arc::clone(&window);
        async move {
            gallery
                .browse(Options::default(), move |b, gallery| async move {
                    b.goto(&gallery.url(&format!("/?seed={SEED}"))).await;
                    assert_eq!(tiles(&b).await.len(), GRID_SIZE);
                    let sim = gallery.sim().expect("an in-process simulator");
                    if together.wait().await.is_leader() {
                        sim.reset_stats();
                        window.lock().expect("not poisoned").start = Some(Instant::now());
                    }
                    together.wait().await;
                    let since = page_now(&b).await;
                    tokio::time::sleep(WATCH).await;
                    let value = b
                        .js(&format!(
                            r"
                            const counts = {{}};
                            for (const e of performance.getEntriesByType('resource')) {{
                                const m = e.name.match(/\/cameras\/([0-9a-f]{{8}})\/latest\.json/);
                                if (m && e.startTime >= {since}) counts[m[1]] = (counts[m[1]] || 0) + 1;
                            }}
                            return counts;
                            "
                        ))
                        .await;
                    let counts = serde_json::from_value(value).expect("counts by camera");
                    window.lock().expect("not poisoned").asked.push(counts);
                    if together.wait().await.is_leader() {
                        let mut window = window.lock().expect("not poisoned");
                        window.end = Some(Instant::now());
                        window.calls = live_image_calls(sim);
                    }
                })
                .await;
        }
    };
    // Side by side: two people watching the same grid.
    tokio::join!(view(), view());

    let window = window.lock().expect("not poisoned").clone();
    let (Some(start), Some(end)) = (window.start, window.end) else {
        panic!("the watch did not run: {window:?}");
    };
    let lifetimes = (end - start).as_secs_f64() / LIFETIME.as_secs_f64();
    // One call per lifetime, and one more for a lifetime cut by the window's edges.
    let bound = lifetimes.ceil() as u64 + 1;
    assert_eq!(window.asked.len(), 2, "both browsers reported");
    for (esn, &made) in &window.calls {
        assert!(
            made <= bound,
            "camera {esn}: {made} EEN calls in {:?}, more than one per {LIFETIME:?}",
            end - start
        );
    }
    let mut watched = 0;
    let asked_for = window
        .asked
        .iter()
        .flat_map(BTreeMap::keys)
        .collect::<BTreeSet<_>>();
    for esn in asked_for {
        let asked: u64 = window.asked.iter().filter_map(|a| a.get(esn)).sum();
        // Without the shared cache each of these would have been an EEN call.
        if asked > bound {
            watched += 1;
            // And the cache did go back to EEN: the previews the browsers saw were renewed,
            // not one kept for the whole watch.
            let made = window.calls.get(esn).copied().unwrap_or(0);
            assert!(
                made >= 2,
                "camera {esn}: asked {asked} times, but EEN saw {made} calls in {:?}: {window:?}",
                end - start
            );
        }
    }
    assert!(
        watched >= 3,
        "fewer than 3 cameras were asked for more often than EEN may be (bound {bound}), \
         which proves nothing: {window:?}"
    );
}

/// The watch of [`two_browsers_cost_een_one_call_per_camera_per_preview_lifetime`].
#[derive(Clone, Debug, Default)]
struct Window {
    start: Option<Instant>,
    end: Option<Instant>,
    /// Each browser's `latest.json` requests in the watch, by camera.
    asked: Vec<BTreeMap<String, u64>>,
    /// EEN's newest-frame calls in the watch, by camera.
    calls: BTreeMap<String, u64>,
}

/// EEN's newest-frame calls (`liveImage`) since the simulator's counters were reset, by
/// camera.
fn live_image_calls(sim: &SimHandle) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for request in sim.requests() {
        if request.endpoint != Endpoint::V3LiveImage {
            continue;
        }
        let esn = request
            .query
            .as_deref()
            .and_then(|q| {
                q.split('&')
                    .find_map(|pair| pair.strip_prefix("deviceId=").map(str::to_owned))
            })
            .expect("a liveImage call names its camera");
        *calls.entry(esn).or_default() += 1;
    }
    calls
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn the_newest_frame_of_a_camera_page_is_live_and_older_pages_are_not() {
    let gallery = live_gallery().await;
    gallery
        .browse(Options::default(), |b, gallery| async move {
            // A camera sending a frame about every second, so its newest frame changes soon.
            let mut found = None;
            for camera in gallery.attached_cameras().into_iter().filter(cameras::is_live) {
                let esn = cameras::esn_of(&camera);
                b.goto(&gallery.url(&format!("/cameras/{esn}"))).await;
                let zone = jiff::tz::TimeZone::get(camera.time_zone.as_deref().expect("a zone"))
                    .expect("a known zone");
                let frames = crate::check_frames(&b, &gallery, &esn, &zone).await;
                let spacing = frames[0].timestamp.as_millis() - frames[1].timestamp.as_millis();
                if spacing <= 1500 {
                    found = Some((esn, zone, frames));
                    break;
                }
            }
            let (esn, zone, frames) = found.expect("a camera with a frame a second");
            assert_eq!(b.text("#live-toggle").await, "Pause live updates");

            let deadline = Instant::now() + CHANGE_WITHIN;
            let first = loop {
                let value = b
                    .js(r"
                        const li = document.querySelector('#frames li.frame');
                        return {
                            timestamp: li.dataset.timestamp,
                            href: li.querySelector('a').getAttribute('href'),
                            src: li.querySelector('img').getAttribute('src'),
                            caption: li.querySelector('time').textContent.trim(),
                            datetime: li.querySelector('time').getAttribute('datetime'),
                            age: (li.querySelector('.age') || {}).textContent || '',
                        };
                    ")
                    .await;
                let ts: EenTimestamp = value["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .expect("a frame time");
                if ts > frames[0].timestamp {
                    break (ts, value);
                }
                assert!(
                    Instant::now() < deadline,
                    "the newest frame did not change in {CHANGE_WITHIN:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            let (ts, value) = first;
            assert_eq!(value["href"], format!("/cameras/{esn}/frames/{ts}").as_str());
            assert_eq!(value["src"], format!("/cameras/{esn}/images/{ts}.jpg").as_str());
            let shown = crate::FrameFacts {
                timestamp: ts,
                href: value["href"].as_str().unwrap_or_default().to_owned(),
                caption: value["caption"].as_str().unwrap_or_default().to_owned(),
                datetime: value["datetime"].as_str().unwrap_or_default().to_owned(),
            };
            crate::check_caption(&shown, &zone, &b.url().await);
            assert!(
                is_age(value["age"].as_str().unwrap_or_default().trim()),
                "no age beside the live frame: {value}"
            );
            // The rest of the page stays as it was.
            let rest: Vec<String> = serde_json::from_value(
                b.js("return [...document.querySelectorAll('#frames li.frame')].slice(1).map(li => li.dataset.timestamp)")
                    .await,
            )
            .expect("timestamps");
            let expected: Vec<String> = frames[1..].iter().map(|f| f.timestamp.to_string()).collect();
            assert_eq!(rest, expected);
            b.screenshot("camera-live").await;

            // An older page is history: nothing on it is live.
            let older = b.link("#older").await;
            b.click_and_wait("#older", &older).await;
            let live = b
                .js("return [document.querySelectorAll('[data-live]').length, document.querySelectorAll('script').length, !!document.getElementById('live-toggle')]")
                .await;
            assert_eq!(live, serde_json::json!([0, 0, false]), "{older}");
        })
        .await;
}
