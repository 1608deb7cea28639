//! Wall mode (`/?wall=1`, issue 15): the grid's cameras without the page's chrome (only an EEN
//! trouble notice stays), live tiles, an optional shuffle every `rotate` seconds (a plain
//! refresh without JavaScript), and a clear 400 for a bad `wall` or `rotate`.

use axum::http::StatusCode;
use een_gallery::een;
use een_gallery::gallery::Settings;
use een_gallery::sim::{Endpoint, ErrorFault, Faults};

use crate::support::gallery::{Options, attrs, start, start_with, text};

fn demo() -> Options {
    Options {
        settings: Settings {
            demo: true,
            ..Settings::default()
        },
        ..Options::default()
    }
}

#[tokio::test]
async fn the_wall_shows_the_grids_cameras_without_chrome_and_links_back() {
    let app = start_with(demo()).await;
    let grid = app.page("/?seed=4242").await;
    assert_eq!(attrs(&grid, "#wall-link", "href"), ["/?wall=1&seed=4242"]);
    assert!(text(&grid, "#demo-banner").is_some());

    let wall = app.page("/?wall=1&seed=4242").await;
    let on_grid = attrs(&grid, "#cameras li.tile", "data-esn");
    assert_eq!(attrs(&wall, "#cameras li.tile", "data-esn"), on_grid);
    assert_eq!(on_grid.len(), 9);
    for (selector, what) in [
        ("header", "a header"),
        ("#demo-banner", "the demo banner"),
        ("#upstream-notice", "an EEN notice while EEN is fine"),
        (".summary", "the grid's summary"),
    ] {
        assert!(
            wall.select(&crate::support::gallery::sel(selector))
                .next()
                .is_none(),
            "the wall shows {what}"
        );
    }
    // Every tile is live, names its camera and says how old its image is.
    let live = attrs(&wall, "#cameras li.tile", "data-live");
    let expected: Vec<String> = on_grid
        .iter()
        .map(|esn| format!("/cameras/{esn}/latest.json"))
        .collect();
    assert_eq!(live, expected);
    assert_eq!(attrs(&wall, "#cameras .camera-name", "class").len(), 9);
    assert_eq!(attrs(&wall, "#cameras .age", "class").len(), 9);
    assert_eq!(attrs(&wall, "#exit-wall", "href"), ["/?seed=4242"]);
    let shuffle = attrs(&wall, "#shuffle", "href");
    assert!(shuffle[0].starts_with("/?wall=1&seed="), "{shuffle:?}");
    assert!(attrs(&wall, "script", "src")[0].starts_with("/static/live.js?v="));
    // No shuffle unless asked.
    assert!(attrs(&wall, "meta[http-equiv=refresh]", "content").is_empty());
    assert!(attrs(&wall, "[data-rotate-s]", "data-rotate-s").is_empty());
}

#[tokio::test]
async fn rotate_shuffles_the_wall_with_or_without_javascript() {
    let app = start().await;
    let answer = app.get("/?wall=1&rotate=60&seed=7").await;
    assert_eq!(answer.status, StatusCode::OK);
    let page = answer.text();
    let wall = answer.html();
    let rotate = attrs(&wall, "#cameras", "data-rotate-s");
    assert_eq!(rotate, ["60"]);
    let next = attrs(&wall, "#cameras", "data-rotate-href")
        .pop()
        .expect("where to");
    assert!(next.starts_with("/?wall=1&rotate=60&seed="), "{next}");
    assert_ne!(next, "/?wall=1&rotate=60&seed=7");
    // Without JavaScript a refresh does it (the `<noscript>` in the head is raw text to
    // an HTML parser that runs scripts, so read it as text).
    let refresh = format!(
        r#"<noscript><meta http-equiv="refresh" content="60; url={}"></noscript>"#,
        next.replace('&', "&#38;")
    );
    assert!(page.contains(&refresh), "no {refresh} in the page");
    // The next wall keeps shuffling at the same pace.
    let again = app.page(&next).await;
    assert_eq!(attrs(&again, "#cameras", "data-rotate-s"), ["60"]);
}

#[tokio::test]
async fn bad_wall_or_rotate_values_are_a_400_that_says_what_works() {
    let app = start().await;
    app.sim.reset_stats();
    for (query, says) in [
        ("wall=yes", "wall=1"),
        ("wall=2", "wall=1"),
        ("wall=1&rotate=9", "10 to 3600"),
        ("wall=1&rotate=3601", "10 to 3600"),
        ("wall=1&rotate=-60", "10 to 3600"),
        ("wall=1&rotate=1m", "10 to 3600"),
        ("wall=1&rotate=99999999999999999999", "10 to 3600"),
        ("rotate=60", "wall=1"),
        ("wall=0&rotate=60", "wall=1"),
    ] {
        let answer = app.get(&format!("/?{query}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        let page = answer.html();
        let detail = text(&page, "#error p:last-child").unwrap_or_default();
        assert!(detail.contains(says), "{query}: {detail:?}");
    }
    assert_eq!(app.sim.stats().image_requests(), 0, "bad input reached EEN");
    // The edges are fine.
    for query in [
        "wall=1&rotate=10",
        "wall=1&rotate=3600",
        "wall=0",
        "wall=1&rotate=",
    ] {
        assert_eq!(
            app.get(&format!("/?{query}")).await.status,
            StatusCode::OK,
            "{query}"
        );
    }
}

#[tokio::test]
async fn an_een_trouble_notice_still_shows_on_the_wall() {
    let app = start_with(demo()).await;
    // A first view fills the caches; then the camera list fails, and EEN counts as down.
    app.page("/?wall=1&seed=3").await;
    app.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::DeviceList), 503)],
        ..Faults::default()
    });
    let refresh = app.state.directory.refresh().await;
    assert!(
        matches!(refresh, Err(een::Error::Upstream(503))),
        "{refresh:?}"
    );
    let wall = app.page("/?wall=1&seed=3").await;
    let notice = text(&wall, "#upstream-notice").expect("the EEN notice");
    assert!(!notice.trim().is_empty());
    assert!(text(&wall, "#demo-banner").is_none());
    assert_eq!(attrs(&wall, "#cameras li.tile", "data-esn").len(), 9);
}
