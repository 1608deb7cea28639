//! Finding a camera and a time (issue 15): `/cameras` lists every camera sorted by name,
//! filtered by name and status, a page at a time; the camera page's jump form shows the
//! frames before a date and time in the camera's own zone. Bad input is a clear 400.

use axum::http::StatusCode;
use een_gallery::timestamp::EenTimestamp;
use jiff::tz::TimeZone;
use scraper::Html;

use crate::support::cameras::{esn_of, is_outside_utc, shown};
use crate::support::gallery::{TestApp, attrs, sel, start, text};

/// The list's rows: (esn, name, data-status).
fn rows(html: &Html) -> Vec<(String, String, String)> {
    html.select(&sel("#camera-list li.camera-row"))
        .map(|li| {
            let name = li
                .select(&sel(".camera-name"))
                .next()
                .map(|n| n.text().collect::<String>())
                .unwrap_or_default();
            (
                li.value().attr("data-esn").unwrap_or_default().to_owned(),
                name,
                li.value()
                    .attr("data-status")
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_list_shows_every_camera_sorted_by_name_and_filters_by_name_and_status() {
    let app = start().await;
    let cameras = shown(&app.sim.cameras());
    let html = app.page("/cameras").await;
    let all = rows(&html);
    assert_eq!(all.len(), cameras.len(), "every camera, on one page");
    let names: Vec<String> = all.iter().map(|(_, name, _)| name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    // Every row links to its camera page, which answers.
    let hrefs = attrs(&html, "#camera-list a", "href");
    assert_eq!(hrefs.len(), all.len());
    assert_eq!(app.get(&hrefs[0]).await.status, StatusCode::OK);

    // A part of one name, in another case, finds that camera (and any other with it).
    let (esn, name, _) = &all[all.len() / 2];
    let part: String = name
        .chars()
        .skip(1)
        .take(5)
        .collect::<String>()
        .to_uppercase();
    let found = rows(&app.page(&format!("/cameras?q={}", urlencode(&part))).await);
    assert!(
        found.iter().any(|(e, _, _)| e == esn),
        "{part} finds {name}"
    );
    assert!(
        found
            .iter()
            .all(|(_, n, _)| n.to_lowercase().contains(&part.to_lowercase()))
    );
    let none = app.page("/cameras?q=no-such-camera-anywhere").await;
    assert!(rows(&none).is_empty());
    assert_eq!(
        text(&none, "#no-match").as_deref(),
        Some("No camera matches.")
    );

    for status in ["online", "offline", "off"] {
        let kept = rows(&app.page(&format!("/cameras?status={status}")).await);
        assert!(kept.iter().all(|(_, _, s)| s == status), "{status}");
        let expected = all.iter().filter(|(_, _, s)| s == status).count();
        assert_eq!(kept.len(), expected, "{status}");
    }
    assert!(
        all.iter().any(|(_, _, s)| s == "online") && all.iter().any(|(_, _, s)| s != "online"),
        "the demo account has both, so the filter is seen to work"
    );
    // The header's search box leads here.
    assert_eq!(
        attrs(&app.page("/").await, "#search", "action"),
        ["/cameras"]
    );
}

#[tokio::test]
async fn the_lists_bad_input_is_a_clear_400_and_a_page_past_the_end_a_404() {
    let app = start().await;
    let long = "x".repeat(101);
    for uri in [
        "/cameras?page=0".to_owned(),
        "/cameras?page=abc".to_owned(),
        "/cameras?page=99999999999999999999999".to_owned(),
        "/cameras?status=Online".to_owned(),
        format!("/cameras?q={long}"),
    ] {
        let response = app.get(&uri).await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            text(&response.html(), "#error h1").as_deref(),
            Some("Bad request")
        );
    }
    let past = app.get("/cameras?page=2").await;
    assert_eq!(past.status, StatusCode::NOT_FOUND);
    assert_eq!(
        text(&past.html(), "#error h1").as_deref(),
        Some("No such page")
    );
}

/// The camera page's frames, newest first.
fn frame_times(html: &Html) -> Vec<EenTimestamp> {
    attrs(html, "#frames li.frame", "data-timestamp")
        .iter()
        .map(|t| t.parse().expect("a timestamp"))
        .collect()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A camera away from UTC, its zone, and its 60 newest frames.
async fn camera_away_from_utc(app: &TestApp) -> (String, TimeZone, Vec<EenTimestamp>) {
    let camera = app
        .sim
        .cameras()
        .into_iter()
        .find(|c| crate::support::cameras::is_live(c) && is_outside_utc(c))
        .expect("a live camera away from UTC");
    let tz = TimeZone::get(camera.time_zone.as_deref().unwrap()).unwrap();
    let esn = esn_of(&camera);
    let times = app.newest_timestamps(&esn, 60).await;
    (esn, tz, times)
}

#[tokio::test]
async fn a_jump_shows_the_frames_before_that_moment_in_the_cameras_zone() {
    let app = start().await;
    let (esn, tz, times) = camera_away_from_utc(&app).await;
    // A moment between two frames, written as the camera's wall clock shows it.
    let target = times[30];
    let moment = target.add_millis(1000 - target.as_millis().rem_euclid(1000));
    let local = moment
        .in_zone(&tz)
        .strftime("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let html = app
        .page(&format!("/cameras/{esn}?at={}", urlencode(&local)))
        .await;
    let shown = frame_times(&html);
    assert_eq!(shown.len(), 20);
    assert!(shown.iter().all(|t| *t < moment), "all before the moment");
    let expected: Vec<EenTimestamp> = times
        .iter()
        .copied()
        .filter(|t| *t < moment)
        .take(20)
        .collect();
    assert_eq!(shown, expected, "the 20 frames right before it");
    // The form shows the time asked, the URL can be shared, and paging goes on from there.
    assert_eq!(
        attrs(&html, "#jump-at", "value"),
        std::slice::from_ref(&local)
    );
    let older = attrs(&html, "#older", "href").remove(0);
    assert_eq!(older, format!("/cameras/{esn}?before={}", shown[19]));
    let newer = attrs(&html, "#newer", "href").remove(0);
    let newer_page = frame_times(&app.page(&newer).await);
    assert!(newer_page[0] > shown[0], "Newer shows later frames");
    assert!(
        newer_page.iter().any(|t| shown.contains(t)) || newer_page.last() > shown.first(),
        "no frame is skipped between the pages"
    );

    // Read as UTC, the same wall-clock time would be hours away: the zone matters.
    let offset = tz.to_offset(moment.to_timestamp()).seconds();
    assert_ne!(offset, 0);
}

#[tokio::test]
async fn a_jump_to_the_future_or_garbage_is_a_clear_400_and_the_distant_past_says_why_it_is_empty()
{
    let app = start().await;
    let (esn, tz, _) = camera_away_from_utc(&app).await;
    let tomorrow = EenTimestamp::now()
        .add_millis(86_400_000)
        .in_zone(&tz)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let future = app
        .get(&format!("/cameras/{esn}?at={}", urlencode(&tomorrow)))
        .await;
    assert_eq!(future.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        text(&future.html(), "#error h1").as_deref(),
        Some("That time is in the future")
    );
    for garbage in [
        "yesterday",
        "2024-13-45T99:00",
        "14:05",
        "9999999-01-01T00:00",
    ] {
        let answer = app
            .get(&format!("/cameras/{esn}?at={}", urlencode(garbage)))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{garbage}");
        assert_eq!(
            text(&answer.html(), "#error h1").as_deref(),
            Some("Unreadable date and time"),
            "{garbage}"
        );
    }
    let past = app
        .page(&format!("/cameras/{esn}?at=2001-01-01T00:00"))
        .await;
    assert!(frame_times(&past).is_empty());
    let message = text(&past, "#no-images").unwrap_or_default();
    assert!(
        message.contains("keeps recordings for a limited time"),
        "{message}"
    );
}
