//! Hostile URLs through the production router (issue 13): bad ESNs, timestamps, seeds and
//! image names answer 4xx before any call reaches EEN (the simulator's counters prove it),
//! and no path or query at all answers 5xx or panics.

use axum::http::StatusCode;
use een_gallery::sim::SimHandle;
use een_gallery::timestamp::EenTimestamp;
use proptest::prelude::*;

use crate::support::fuzz::{enc, hostile, mutated, query, run_async, text};
use crate::support::gallery::{self, TestApp};

const CASES: u32 = 64;

/// Every request the simulator has answered.
fn een_calls(sim: &SimHandle) -> u64 {
    sim.stats()
        .requests
        .values()
        .flat_map(|by_status| by_status.values())
        .sum()
}

fn is_esn(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The shape of an EEN timestamp, checked apart from the parser under test.
fn has_timestamp_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b[14] == b'.'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 14 || c.is_ascii_digit())
}

fn valid_timestamp() -> impl Strategy<Value = String> {
    (1_500_000_000_000i64..1_700_000_000_000)
        .prop_map(|ms| EenTimestamp::from_millis(ms).to_string())
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    esn: String,
}

fn fixture() -> Fixture {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let app = runtime.block_on(gallery::start());
    let esn = app
        .online_camera()
        .esn
        .expect("an online camera has an ESN");
    Fixture { runtime, app, esn }
}

impl Fixture {
    /// `GET uri`: its status, and whether it reached EEN.
    async fn get(&self, uri: &str) -> (StatusCode, bool) {
        let before = een_calls(&self.app.sim);
        let response = self.app.get(uri).await;
        (response.status, een_calls(&self.app.sim) != before)
    }
}

#[test]
fn bad_esns_are_404_without_asking_een() {
    let f = fixture();
    let esn =
        hostile("[0-9a-f]{8}".prop_map(String::from)).prop_filter("not an ESN", |s| !is_esn(s));
    run_async(&f.runtime, CASES, esn, |esn| {
        let f = &f;
        async move {
            let esn = enc(&esn);
            for uri in [
                format!("/cameras/{esn}"),
                format!("/cameras/{esn}/preview.jpg"),
                format!("/cameras/{esn}/images/20240101000000.000.jpg"),
            ] {
                let (status, reached) = f.get(&uri).await;
                prop_assert_eq!(status, StatusCode::NOT_FOUND, "{}", uri);
                prop_assert!(!reached, "{} reached EEN", uri);
            }
            Ok(())
        }
    });
}

#[test]
fn bad_before_values_are_400_without_asking_een() {
    let f = fixture();
    let before = hostile(valid_timestamp()).prop_filter("not a timestamp", |s| {
        !s.is_empty() && !has_timestamp_shape(s)
    });
    run_async(&f.runtime, CASES, before, |before| {
        let f = &f;
        async move {
            let uri = format!("/cameras/{}?before={}", f.esn, enc(&before));
            let (status, reached) = f.get(&uri).await;
            prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{}", uri);
            prop_assert!(!reached, "{} reached EEN", uri);
            Ok(())
        }
    });
}

#[test]
fn bad_seeds_are_400_without_asking_een() {
    let f = fixture();
    let seed = hostile((1u64..1_000_000_000).prop_map(|n| n.to_string()))
        .prop_filter("not a seed", |s| !s.is_empty() && s.parse::<u64>().is_err());
    run_async(&f.runtime, CASES, seed, |seed| {
        let f = &f;
        async move {
            let uri = format!("/?seed={}", enc(&seed));
            let (status, reached) = f.get(&uri).await;
            prop_assert_eq!(status, StatusCode::BAD_REQUEST, "{}", uri);
            prop_assert!(!reached, "{} reached EEN", uri);
            Ok(())
        }
    });
}

#[test]
fn bad_image_names_are_4xx_without_asking_een() {
    let f = fixture();
    let name = prop_oneof![
        hostile(valid_timestamp())
            .prop_filter("not a timestamp", |s| !has_timestamp_shape(s))
            .prop_map(|s| format!("{s}.jpg")),
        mutated(valid_timestamp().prop_map(|s| format!("{s}.jpg")))
            .prop_filter("not a name", |s| {
                !s.strip_suffix(".jpg").is_some_and(has_timestamp_shape)
            }),
    ];
    run_async(&f.runtime, CASES, name, |name| {
        let f = &f;
        async move {
            let uri = format!("/cameras/{}/images/{}", f.esn, enc(&name));
            let (status, reached) = f.get(&uri).await;
            prop_assert!(status.is_client_error(), "{}: {}", uri, status);
            prop_assert!(!reached, "{} reached EEN", uri);
            Ok(())
        }
    });
}

#[test]
fn no_path_or_query_answers_5xx() {
    let f = fixture();
    let segment = prop_oneof![
        prop::sample::select(vec![
            "cameras",
            "images",
            "preview.jpg",
            "een",
            "connect",
            "callback",
            "static",
            "..",
            ""
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    let request = (
        prop::collection::vec(segment, 0..5),
        query(&["seed", "before", "setup", "code", "state", "error"]),
    );
    run_async(&f.runtime, CASES, request, |(segments, query)| {
        let f = &f;
        async move {
            let path: Vec<String> = segments.iter().map(|s| enc(s)).collect();
            let uri = format!("/{}?{query}", path.join("/"));
            let response = f.app.get(&uri).await;
            prop_assert!(
                !response.status.is_server_error(),
                "{}: {}",
                uri,
                response.status
            );
            Ok(())
        }
    });
}

#[test]
fn the_v3_connect_routes_on_v1_are_404_without_asking_een() {
    let f = fixture();
    let request = (
        prop::sample::select(vec!["/een", "/een/connect", "/een/callback"]),
        query(&["setup", "code", "state", "error"]),
    );
    run_async(&f.runtime, CASES, request, |(path, query)| {
        let f = &f;
        async move {
            let uri = format!("{path}?{query}");
            let (status, reached) = f.get(&uri).await;
            prop_assert_eq!(status, StatusCode::NOT_FOUND, "{}", uri);
            prop_assert!(!reached, "{} reached EEN", uri);
            Ok(())
        }
    });
}

/// Found by the property above: a repeated parameter failed the query's parsing (400) before
/// the route checked for a connect flow, so v1 showed that the address exists.
#[tokio::test]
async fn a_repeated_connect_parameter_on_v1_is_404() {
    let app = gallery::start().await;
    for uri in [
        "/een/callback?state=&state=",
        "/een?setup=a&setup=b",
        "/een/connect?setup=&setup=",
    ] {
        assert_eq!(app.get(uri).await.status, StatusCode::NOT_FOUND, "{uri}");
    }
}
