//! One pace for all of EEN: a burst of viewers in front of a rate-limited EEN makes about the
//! requests EEN allows, not one 429 after another, and `/metrics` shows the pacing.

use std::time::Duration;

use axum::http::StatusCode;
use een_gallery::gallery::Settings;
use een_gallery::sim::Faults;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::support::gallery::{Options, get_via, start_with};

/// What the simulator lets through per session and second.
const ALLOWED_PER_SECOND: u32 = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_viewers_makes_about_the_requests_a_rate_limited_een_allows() {
    let app = start_with(Options {
        settings: Settings {
            page_deadline: Duration::from_secs(1),
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    app.sim.set_faults(Faults {
        rate_limit_per_second: Some(ALLOWED_PER_SECOND),
        ..Faults::default()
    });
    app.sim.reset_stats();

    // 16 viewers, each on grids of its own seeds: together they want the latest preview of
    // every camera at once, several times EEN's limit.
    let began = Instant::now();
    let mut viewers = JoinSet::new();
    for viewer in 0..16u32 {
        let router = app.router.clone();
        viewers.spawn(async move {
            let mut answers = Vec::new();
            for k in 0..6 {
                answers.push(get_via(&router, &format!("/?seed={}", viewer * 6 + k)).await);
            }
            answers
        });
    }
    let mut pages = 0;
    while let Some(answers) = viewers.join_next().await {
        for answer in answers.expect("viewer") {
            // Late previews are placeholders; the grid itself is served.
            assert_eq!(answer.status, StatusCode::OK);
            pages += 1;
        }
    }
    let elapsed = began.elapsed();
    let stats = app.sim.stats();
    let sent: u64 = stats.requests.values().flat_map(|by| by.values()).sum();
    let refused: u64 = stats.requests.values().filter_map(|by| by.get(&429)).sum();
    // EEN's one-second window lets through at most this many over the run.
    let windows = elapsed.as_secs_f64().ceil();
    let allowed = f64::from(ALLOWED_PER_SECOND) * windows;
    assert_eq!(pages, 96);
    eprintln!(
        "EEN saw {sent} requests ({refused} answered 429) in {elapsed:?}; it allows {allowed}"
    );
    assert!(
        sent as f64 <= 1.2 * allowed + 16.0,
        "{sent} requests to EEN in {elapsed:?}, which allows {allowed}"
    );
    // The first answers teach the pace; after them 429s are rare.
    assert!(
        refused <= 16 + windows as u64,
        "{refused} of {sent} answered 429 in {elapsed:?}"
    );
    assert!(refused > 0, "the burst met the limit");

    let metrics = app.get("/metrics").await.text();
    let line = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("{name} in {metrics}"))
    };
    let rate: f64 = line("een_gallery_een_pace_rate").parse().expect("a rate");
    assert!(
        rate < f64::from(ALLOWED_PER_SECOND) * 1.2,
        "paced at {rate} requests/s"
    );
    assert_eq!(
        line("een_gallery_een_rate_limited_total"),
        refused.to_string()
    );
    assert!(
        line("een_gallery_een_pace_waits_total")
            .parse::<u64>()
            .expect("count")
            > 0
    );
}
