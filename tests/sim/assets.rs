//! Preview timelines, lists and images: SIM-04, SIM-05, SIM-40 … SIM-44.

use std::time::{Duration, Instant};

use een_gallery::sim::{
    DeviceKind, Endpoint, Faults, MAX_LIST_COUNT, RESTRICTED_ESN, SimHandle, UnknownCameraAnswer,
};
use een_gallery::timestamp::EenTimestamp;
use serde_json::Value;

use crate::support::net::raw;
use crate::support::sim::{
    CLUSTER_HOST, LOGIN_HOST, client, cluster_url, get, login, sim, sim_with,
};
use crate::support::{cameras, jpeg};

struct Session {
    sim: SimHandle,
    client: reqwest::Client,
    key: String,
}

impl Session {
    async fn new() -> Self {
        Self::with(sim().await).await
    }

    async fn with(sim: SimHandle) -> Self {
        let client = client(&sim);
        let key = login(&sim, &client).await;
        Self { sim, client, key }
    }

    async fn get(&self, path_and_query: &str) -> reqwest::Response {
        get(
            &self.client,
            cluster_url(&self.sim, path_and_query),
            &self.key,
        )
        .await
    }

    /// The timestamps a list call answers.
    async fn list(&self, query: &str) -> Vec<String> {
        let response = self.get(&format!("/asset/list/image.jpeg?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
        let items: Vec<Value> = response.json().await.unwrap();
        items
            .iter()
            .map(|item| {
                assert_eq!(item.as_object().unwrap().len(), 2);
                assert_eq!(item["t"], "PRFR");
                item["s"].as_str().unwrap().to_owned()
            })
            .collect()
    }

    async fn image(&self, which: &str, query: &str) -> reqwest::Response {
        self.get(&format!("/asset/{which}/image.jpeg?{query}"))
            .await
    }

    async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

fn millis(ts: &str) -> i64 {
    ts.parse::<EenTimestamp>().unwrap().as_millis()
}

#[tokio::test]
async fn sim_40_and_41_the_last_20_previews_are_a_second_apart_newest_first_and_fetchable() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let before = EenTimestamp::now().as_millis();
    // Exactly as the reference client asks.
    let listed = s.list(&format!("c={esn};t=now;a=preview;count=-20")).await;
    let after = EenTimestamp::now().as_millis();
    assert_eq!(listed.len(), 20);
    let times: Vec<i64> = listed.iter().map(|t| millis(t)).collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(times[0] < after && times[0] > before - 2_000, "up to now");
    let gaps: Vec<i64> = times.windows(2).map(|w| w[0] - w[1]).collect();
    assert!(gaps.iter().all(|g| (700..=1300).contains(g)), "{gaps:?}");
    assert!(
        times.iter().any(|t| t % 1000 != times[0] % 1000),
        "ms jitter"
    );

    for ts in &listed[..5] {
        let query = format!("c={esn};t={ts};a=preview;q=med");
        let first = s.image("asset", &query).await;
        assert_eq!(first.status(), 200);
        let first = first.bytes().await.unwrap();
        assert_eq!(
            jpeg::comment(&first),
            Some(format!("een-sim esn={esn} ts={ts}"))
        );
        let second = s.image("asset", &query).await.bytes().await.unwrap();
        assert_eq!(first, second, "same bytes every time");
    }
    assert_eq!(s.sim.stats().count_status(Endpoint::AssetImage, 200), 10);
    s.shutdown().await;
}

#[tokio::test]
async fn sim_40_frames_are_deterministic_across_simulators() {
    let a = Session::new().await;
    let b = Session::new().await;
    let esn = cameras::live(&a.sim).esn.unwrap();
    assert_eq!(cameras::live(&b.sim).esn.unwrap(), esn, "stable ESNs");
    let listed = a.list(&format!("c={esn};t=-60000;a=pre;count=-3")).await;
    assert_eq!(listed.len(), 3);
    // The other simulator lists the same frames over the same span and serves the same bytes.
    let from_b = b
        .list(&format!("c={esn};t={};e={};a=pre", listed[2], listed[0]))
        .await;
    assert_eq!(from_b, listed.iter().rev().cloned().collect::<Vec<_>>());
    for ts in &listed {
        let query = format!("c={esn};t={ts};a=pre");
        let x = a.image("asset", &query).await.bytes().await.unwrap();
        let y = b.image("asset", &query).await.bytes().await.unwrap();
        assert_eq!(x, y);
    }
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn sim_41_counts_ranges_offsets_and_long_names() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let newest = s.list(&format!("c={esn};t=now;a=pre;count=-10")).await;
    let (t, e) = (&newest[9], &newest[0]);

    // count=-N is strictly before t.
    let before = s.list(&format!("c={esn};t={e};a=pre;count=-3")).await;
    assert_eq!(before, newest[1..4]);
    // count=+N from t on (t included), oldest first.
    let forward = s.list(&format!("c={esn};t={t};a=pre;count=3")).await;
    assert_eq!(
        forward,
        [newest[9].clone(), newest[8].clone(), newest[7].clone()]
    );
    // t..e inclusive, oldest first; with a positive count as a limit; a negative count takes
    // the newest of the range, newest first.
    let range = s.list(&format!("c={esn};t={t};e={e};a=pre")).await;
    assert_eq!(range, newest.iter().rev().cloned().collect::<Vec<_>>());
    let limited = s.list(&format!("c={esn};t={t};e={e};a=pre;count=2")).await;
    assert_eq!(limited, range[..2]);
    let newest_of_range = s.list(&format!("c={esn};t={t};e={e};a=pre;count=-2")).await;
    assert_eq!(newest_of_range, newest[..2]);
    // Long names, `&` separators, the path without `.jpeg`, and `all`.
    let long = s
        .get(&format!(
            "/asset/list/image?id={esn}&start_timestamp={t}&end_timestamp={e}&asset_class=all"
        ))
        .await;
    let long: Vec<Value> = long.json().await.unwrap();
    assert_eq!(long.len(), 10);
    // Offsets from now in ms, with a raw `+` (decoded as a space) or an encoded one.
    let last_minute = s.list(&format!("c={esn};t=-60000;e=+0;a=pre")).await;
    assert!(
        (45..=75).contains(&last_minute.len()),
        "{}",
        last_minute.len()
    );
    let encoded = s
        .list(&format!("c={esn};t=-60000;e=%2B0;a=pre;count=5"))
        .await;
    assert_eq!(encoded.len(), 5);
    // Thumbnails: the simulator makes none.
    assert!(
        s.list(&format!("c={esn};t=now;a=thumb;count=-5"))
            .await
            .is_empty()
    );
    // Nothing before the retention window.
    assert!(
        s.list(&format!("c={esn};t=20100101000000.000;a=pre;count=-5"))
            .await
            .is_empty()
    );
    s.shutdown().await;
}

#[tokio::test]
async fn sim_41_huge_counts_are_clamped_and_bad_input_is_400() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let huge = s
        .list(&format!("c={esn};t=now;a=pre;count=-9999999999"))
        .await;
    assert_eq!(huge.len(), MAX_LIST_COUNT);
    let week = s.list(&format!("c={esn};t=-604800000;e=now;a=pre")).await;
    assert_eq!(week.len(), MAX_LIST_COUNT);
    for query in [
        format!("c={esn};t=now;a=pre"),                // neither e nor count
        format!("c={esn};t=yesterday;a=pre;count=-5"), // bad timestamp
        format!("c={esn};t=20191309024212.149;a=pre;count=-5"), // month 13
        format!("c={esn};t=now;e=never;a=pre"),        // bad end
        format!("c={esn};t=now;a=pre;count=twenty"),   // bad count
        format!("c={esn};t=now;a=pre;count=99999999999999999999999"), // overflows
        format!("c={esn};t=now;count=-5"),             // no asset class
        format!("c={esn};t=now;a=video;count=-5"),     // unknown asset class
        format!("c={esn};a=pre;count=-5"),             // no t
        "t=now;a=pre;count=-5".to_owned(),             // no camera
        format!("c={esn};t=now;a=pre;count=-5;bogus=1"), // unknown parameter
        format!("c={esn};t=+;a=pre;count=-5"),         // an offset without digits
    ] {
        let response = s.get(&format!("/asset/list/image.jpeg?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status_code"], 400);
        assert!(body["data"].is_null());
    }
    s.shutdown().await;
}

#[tokio::test]
async fn sim_04_and_05_separators_repeats_encoding_and_aliases() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let plain = s.list(&format!("c={esn};t=now;a=preview;count=-3")).await;
    assert_eq!(plain.len(), 3);
    let t = &plain[0];
    let equivalent = [
        format!("c={esn}&t={t}&a=pre&count=-2;"),
        format!("c={esn};t={t}&a=preview;count=-2;;"),
        format!("id={esn};start_timestamp={t};asset_class=pre;count=-2"),
        format!("c=00000000;c={esn};t={t};a=pre;count=-2"), // the last repeat wins
        format!("c=%31%30{};t={t};a=pre;count=-2", &esn[2..]), // percent-encoded
        format!("c={esn};t={t};a=pre;count=-2;e=;q=;quality=high"), // empty e is no filter
    ];
    for query in equivalent {
        assert_eq!(s.list(&query).await, plain[1..3], "{query}");
    }
    let image_queries = [
        format!("c={esn};t={t};a=preview;q=med"),
        format!("id={esn}&timestamp={t}&asset_class=pre&quality=high"),
        format!("c={esn};t={t};a=all;tm=1"),
    ];
    for query in image_queries {
        let response = s.image("asset", &query).await;
        assert_eq!(response.status(), 200, "{query}");
        let comment = jpeg::comment(&response.bytes().await.unwrap());
        assert_eq!(comment, Some(format!("een-sim esn={esn} ts={t}")));
    }
    s.shutdown().await;
}

#[tokio::test]
async fn sim_42_asset_prev_after_and_next() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let listed = s.list(&format!("c={esn};t=now;a=pre;count=-5")).await;
    let (older, newer) = (&listed[2], &listed[1]);
    let one_ms_after = EenTimestamp::from_millis(millis(older) + 1);
    let ts_of = |response: &reqwest::Response| {
        response.headers()["x-ee-timestamp"]
            .to_str()
            .unwrap()
            .strip_prefix("preview-")
            .unwrap()
            .to_owned()
    };
    // asset: exactly at t, or 404.
    let exact = s.image("asset", &format!("c={esn};t={older};a=pre")).await;
    assert_eq!(ts_of(&exact), *older);
    let between = s
        .image("asset", &format!("c={esn};t={one_ms_after};a=pre"))
        .await;
    assert_eq!(between.status(), 404);
    // prev: at or before.
    let prev = s.image("prev", &format!("c={esn};t={older};a=pre")).await;
    assert_eq!(ts_of(&prev), *older);
    let prev = s
        .image("prev", &format!("c={esn};t={one_ms_after};a=pre"))
        .await;
    assert_eq!(ts_of(&prev), *older);
    // after: strictly after; `now` is 404.
    let after = s.image("after", &format!("c={esn};t={older};a=pre")).await;
    assert_eq!(ts_of(&after), *newer);
    let after_now = s.image("after", &format!("c={esn};t=now;a=pre")).await;
    assert_eq!(after_now.status(), 404);
    // next on a past frame answers at once with the following one.
    let next = s.image("next", &format!("c={esn};t={older};a=pre")).await;
    assert_eq!(ts_of(&next), *newer);
    // asset/prev with `now`: the latest frame.
    let latest = s.image("asset", &format!("c={esn};t=now;a=pre")).await;
    let latest_ts = ts_of(&latest);
    assert!(millis(&latest_ts) >= millis(&listed[0]));
    assert_eq!(latest.headers()["x-ee-next"], "unknown");
    let prev_now = s.image("prev", &format!("c={esn};t=now;a=pre")).await;
    assert!(millis(&ts_of(&prev_now)) >= millis(&latest_ts));
    s.shutdown().await;
}

#[tokio::test]
async fn sim_42_next_with_now_blocks_until_a_new_frame() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let asked = EenTimestamp::now();
    let response = s
        .image("next", &format!("c={esn};t=now;a=pre;timeout=5000"))
        .await;
    assert_eq!(response.status(), 200);
    let ts = response.headers()["x-ee-timestamp"].to_str().unwrap()[8..].to_owned();
    assert!(
        millis(&ts) > asked.as_millis(),
        "a frame newer than the request"
    );
    let jpeg = response.bytes().await.unwrap();
    assert_eq!(
        jpeg::comment(&jpeg),
        Some(format!("een-sim esn={esn} ts={ts}"))
    );
    s.shutdown().await;
}

#[tokio::test]
async fn sim_42_next_times_out_with_408_when_no_frame_comes() {
    let s = Session::new().await;
    let cameras = s.sim.cameras();
    let offline = cameras.iter().find(|c| c.down_for.is_some()).unwrap();
    let no_images = cameras
        .iter()
        .find(|c| c.attached && c.kind == DeviceKind::Camera && !c.has_images)
        .unwrap();
    for camera in [offline, no_images] {
        let esn = camera.esn.as_deref().unwrap();
        let started = Instant::now();
        let response = s
            .image("next", &format!("c={esn};t=now;a=pre;timeout=300"))
            .await;
        assert_eq!(response.status(), 408, "{}", camera.name);
        assert!(
            started.elapsed() >= Duration::from_millis(300),
            "waited the timeout"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status_code"], 408);
    }
    let bad = s
        .image(
            "next",
            &format!(
                "c={};t=now;a=pre;timeout=soon",
                offline.esn.as_deref().unwrap()
            ),
        )
        .await;
    assert_eq!(bad.status(), 400);
    s.shutdown().await;
}

#[tokio::test]
async fn sim_43_image_headers_on_the_cluster_and_login_hosts() {
    let s = Session::new().await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let listed = s.list(&format!("c={esn};t=now;a=pre;count=-3")).await;
    let ts = &listed[1];
    let request = |host: &str| {
        format!(
            "GET /asset/asset/image.jpeg?c={esn};t={ts};a=preview;q=med HTTP/1.1\r\nHost: {host}\r\nCookie: auth_key={}",
            s.key
        )
    };
    let cluster = raw(s.sim.addr(), &request(CLUSTER_HOST), b"").await;
    assert_eq!(cluster.status_line, "HTTP/1.1 200 OK");
    assert_eq!(cluster.header("content-type"), Some("image/jpeg"));
    assert_eq!(cluster.header("server"), Some("openresty"));
    assert_eq!(
        cluster.header("content-length"),
        Some(cluster.body.len().to_string().as_str())
    );
    assert_eq!(cluster.header("cache-control"), Some("max-age=86400"));
    assert!(cluster.header("expires").unwrap().ends_with(" GMT"));
    assert_eq!(
        cluster.header("content-location"),
        Some(format!("/asset/asset/image.jpeg?a=preview;t={ts};c={esn}&tm=1").as_str())
    );
    assert_eq!(
        cluster.header("x-ee-timestamp"),
        Some(format!("preview-{ts}").as_str())
    );
    assert_eq!(
        cluster.header("x-ee-prev"),
        Some(format!("preview-{}", listed[2]).as_str())
    );
    assert_eq!(
        cluster.header("x-ee-next"),
        Some(format!("preview-{}", listed[0]).as_str())
    );
    assert!(cluster.header("x-een-lb-tried-proxies").is_some());
    assert_eq!(cluster.header("x-een-lb-request-id").unwrap().len(), 32);
    let took: f64 = cluster
        .header("x-een-lb-request-time")
        .unwrap()
        .parse()
        .unwrap();
    assert!(took >= 0.0);
    assert!(cluster.body.starts_with(&[0xFF, 0xD8]));

    let login = raw(s.sim.addr(), &request(LOGIN_HOST), b"").await;
    assert_eq!(login.status_line, "HTTP/1.1 200 OK");
    assert!(
        login.header("x-een-lb-request-id").is_none(),
        "cluster host only"
    );
    assert_eq!(login.body, cluster.body);

    // Following Content-Location (shorthand names and `tm=1`) gets the same frame.
    let location = cluster.header("content-location").unwrap();
    let again = s.get(location).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap(), cluster.body);
    s.shutdown().await;
}

#[tokio::test]
async fn sim_44_missing_images_unknown_and_forbidden_cameras() {
    let s = Session::new().await;
    let cameras = s.sim.cameras();
    let esn = cameras::live(&s.sim).esn.unwrap();
    let no_images = cameras
        .iter()
        .find(|c| c.attached && c.kind == DeviceKind::Camera && !c.has_images)
        .and_then(|c| c.esn.clone())
        .unwrap();
    assert!(
        s.list(&format!("c={no_images};t=now;a=preview;count=-20"))
            .await
            .is_empty()
    );
    let none = s
        .image("asset", &format!("c={no_images};t=now;a=pre"))
        .await;
    assert_eq!(none.status(), 404);
    let old = s
        .image("asset", &format!("c={esn};t=20100101000000.000;a=pre"))
        .await;
    assert_eq!(old.status(), 404, "outside retention");
    let unknown = s.image("asset", "c=deadbeef;t=now;a=pre").await;
    assert_eq!(unknown.status(), 404);
    let unknown_list = s
        .get("/asset/list/image.jpeg?c=deadbeef;t=now;a=pre;count=-1")
        .await;
    assert_eq!(unknown_list.status(), 404);
    let forbidden = s
        .image("asset", &format!("c={RESTRICTED_ESN};t=now;a=pre"))
        .await;
    assert_eq!(forbidden.status(), 403);

    // The observed variant: 400 "no matching asset", byte-exact.
    s.sim.set_faults(Faults {
        missing_image_as_400: true,
        unknown_camera: UnknownCameraAnswer::NoMatchingAsset,
        ..Faults::default()
    });
    for c in [no_images.as_str(), "deadbeef"] {
        let response = raw(
            s.sim.addr(),
            &format!(
                "GET /asset/asset/image.jpeg?c={c};t=now;a=pre HTTP/1.1\r\nHost: {CLUSTER_HOST}\r\nCookie: auth_key={}",
                s.key
            ),
            b"",
        )
        .await;
        assert_eq!(response.status_line, "HTTP/1.1 400 bad request");
        assert_eq!(
            response.header("x-ee-server-message"),
            Some("no matching asset")
        );
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(
            response.body,
            br#"{"status_code": 400, "message": "no matching asset", "data": null }"#
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn sim_40_offline_cameras_have_frames_only_until_they_went_down() {
    let s = Session::new().await;
    for camera in s.sim.cameras().iter().filter(|c| c.down_for.is_some()) {
        let esn = camera.esn.as_deref().unwrap();
        let listed = s.list(&format!("c={esn};t=now;a=pre;count=-2")).await;
        assert_eq!(listed.len(), 2, "{}", camera.name);
        let age = EenTimestamp::now().as_millis() - millis(&listed[0]);
        let down = i64::try_from(camera.down_for.unwrap().as_millis()).unwrap();
        assert!(age >= down, "{}: newest frame {age} ms old", camera.name);
        let latest = s.image("asset", &format!("c={esn};t=now;a=pre")).await;
        assert_eq!(
            latest.headers()["x-ee-timestamp"],
            format!("preview-{}", listed[0])
        );
    }
    s.shutdown().await;
}

#[tokio::test]
async fn sim_40_interval_and_retention_are_configurable() {
    let sim = sim_with(|c| {
        c.preview_interval = Duration::from_millis(250);
        c.retention = Duration::from_secs(10);
    })
    .await;
    let s = Session::with(sim).await;
    let esn = cameras::live(&s.sim).esn.unwrap();
    let all = s.list(&format!("c={esn};t=now;a=pre;count=-1000")).await;
    assert!(
        (35..=41).contains(&all.len()),
        "{} frames in 10 s at 4/s",
        all.len()
    );
    let times: Vec<i64> = all.iter().map(|t| millis(t)).collect();
    assert!(
        times
            .windows(2)
            .all(|w| (175..=325).contains(&(w[0] - w[1])))
    );
    s.shutdown().await;
}
