//! Faults and observability: SIM-03, SIM-50, SIM-51, SIM-62, and a clean shutdown.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use een_gallery::sim::{Endpoint, ErrorFault, Faults};
use serde_json::Value;

use crate::support::cameras;
use crate::support::net::raw;
use crate::support::sim::{
    CLUSTER_HOST, client, cluster_url, get, login, login_url, sim, sim_with,
};

#[tokio::test]
async fn sim_03_paths_ending_in_a_slash_answer_500() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let response = raw(
        sim.addr(),
        &format!("GET /g/device/list/ HTTP/1.1\r\nHost: {CLUSTER_HOST}\r\nCookie: auth_key={key}"),
        b"",
    )
    .await;
    assert_eq!(response.status_line, "HTTP/1.1 500 internal server error");
    assert_eq!(
        response.body,
        br#"{"status_code": 500, "message": "internal server error", "data": null }"#
    );
    let login_slash = client
        .post(login_url(&sim, "/g/aaa/authenticate/"))
        .body("username=demo@een.com&password=bettercloud")
        .send()
        .await
        .unwrap();
    assert_eq!(login_slash.status(), 500);
    assert_eq!(sim.stats().count_status(Endpoint::DeviceList, 500), 1);
    sim.shutdown().await;

    let lenient = sim_with(|c| c.trailing_slash_500 = false).await;
    let client = crate::support::sim::client(&lenient);
    let key = login(&lenient, &client).await;
    let response = get(&client, cluster_url(&lenient, "/g/device/list/"), &key).await;
    assert_eq!(response.status(), 200);
    lenient.shutdown().await;
}

#[tokio::test]
async fn sim_50_rate_limit_per_session_answers_429() {
    let sim = sim().await;
    sim.set_faults(Faults {
        rate_limit_per_second: Some(3),
        ..Faults::default()
    });
    let client = client(&sim);
    let a = login(&sim, &client).await;
    let b = login(&sim, &client).await;
    let url = cluster_url(&sim, "/g/aaa/isauth");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&client, url.clone(), &a).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    assert_eq!(
        get(&client, url.clone(), &b).await.status(),
        200,
        "per session"
    );

    let response = raw(
        sim.addr(),
        &format!("GET /g/aaa/isauth HTTP/1.1\r\nHost: {CLUSTER_HOST}\r\nCookie: auth_key={a}"),
        b"",
    )
    .await;
    assert_eq!(response.status_line, "HTTP/1.1 429 too many requests");
    assert_eq!(
        response.body,
        br#"{"status_code": 429, "message": "Too many requests", "data": null }"#
    );
    assert_eq!(
        response.header("retry-after"),
        None,
        "no Retry-After by default"
    );

    sim.set_faults(Faults {
        rate_limit_per_second: Some(0),
        retry_after_secs: Some(2),
        ..Faults::default()
    });
    let limited = get(&client, url, &b).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2");
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_51_injected_errors_per_endpoint_and_rate() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let esn = cameras::live(&sim).esn.unwrap();
    let list_images = cluster_url(
        &sim,
        &format!("/asset/list/image.jpeg?c={esn};t=now;a=pre;count=-1"),
    );
    let devices = cluster_url(&sim, "/g/device/list");
    for (status, reason) in [
        (500, "internal server error"),
        (502, "bad gateway"),
        (503, "service unavailable"),
        (504, "gateway timeout"),
    ] {
        sim.set_faults(Faults {
            errors: vec![ErrorFault::always(Some(Endpoint::ListImage), status)],
            ..Faults::default()
        });
        let response = raw(
            sim.addr(),
            &format!(
                "GET {}?{} HTTP/1.1\r\nHost: {CLUSTER_HOST}\r\nCookie: auth_key={key}",
                list_images.path(),
                list_images.query().unwrap()
            ),
            b"",
        )
        .await;
        assert_eq!(response.status_line, format!("HTTP/1.1 {status} {reason}"));
        let body: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["status_code"], status);
        assert!(response.header("x-ee-server-message").is_some());
        assert_eq!(
            get(&client, devices.clone(), &key).await.status(),
            200,
            "other endpoints"
        );
    }
    // Everywhere, but never the simulator's own stats.
    sim.set_faults(Faults {
        errors: vec![ErrorFault::always(None, 503)],
        ..Faults::default()
    });
    assert_eq!(get(&client, devices.clone(), &key).await.status(), 503);
    let stats = client
        .get(sim.base_url().join("/_sim/stats").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stats.status(), 200);
    // A rate between 0 and 1 fails some requests and not others.
    sim.set_faults(Faults {
        errors: vec![ErrorFault {
            endpoint: Some(Endpoint::IsAuth),
            status: 502,
            rate: 0.5,
        }],
        ..Faults::default()
    });
    let mut seen = BTreeMap::new();
    for _ in 0..200 {
        let status = get(&client, cluster_url(&sim, "/g/aaa/isauth"), &key)
            .await
            .status();
        *seen.entry(status.as_u16()).or_insert(0) += 1;
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        [200, 502],
        "{seen:?}"
    );
    sim.set_faults(Faults::default());
    assert_eq!(get(&client, devices, &key).await.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_51_latency_per_request_and_per_endpoint() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    sim.set_faults(Faults {
        latency: Duration::from_millis(100),
        endpoint_latency: [(Endpoint::DeviceList, Duration::from_millis(200))].into(),
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(
        get(&client, cluster_url(&sim, "/g/aaa/isauth"), &key)
            .await
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(
        get(&client, cluster_url(&sim, "/g/device/list"), &key)
            .await
            .status(),
        200
    );
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "fixed + per-endpoint"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_51_transient_no_matching_asset_for_now_relative_requests() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let esn = cameras::live(&sim).esn.unwrap();
    let listed = get(
        &client,
        cluster_url(
            &sim,
            &format!("/asset/list/image.jpeg?c={esn};t=now;a=pre;count=-1"),
        ),
        &key,
    )
    .await;
    let listed: Vec<Value> = listed.json().await.unwrap();
    let ts = listed[0]["s"].as_str().unwrap().to_owned();
    sim.set_faults(Faults {
        transient_no_matching_asset: 2,
        ..Faults::default()
    });
    // A request by absolute timestamp is not affected and does not use one up.
    let fixed = cluster_url(
        &sim,
        &format!("/asset/asset/image.jpeg?c={esn};t={ts};a=pre"),
    );
    assert_eq!(get(&client, fixed, &key).await.status(), 200);
    let now_image = cluster_url(
        &sim,
        &format!("/asset/asset/image.jpeg?c={esn};t=now;a=pre"),
    );
    let now_list = cluster_url(
        &sim,
        &format!("/asset/list/image.jpeg?c={esn};t=now;a=pre;count=-1"),
    );
    let first = get(&client, now_list.clone(), &key).await;
    assert_eq!(first.status(), 400);
    let body = first.text().await.unwrap();
    assert_eq!(
        body,
        r#"{"status_code": 400, "message": "no matching asset", "data": null }"#
    );
    assert_eq!(get(&client, now_image.clone(), &key).await.status(), 400);
    assert_eq!(get(&client, now_image, &key).await.status(), 200);
    assert_eq!(get(&client, now_list, &key).await.status(), 200);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_62_request_log_and_stats() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let esn = cameras::live(&sim).esn.unwrap();
    sim.reset_stats();
    assert!(sim.requests().is_empty());
    let query = format!("c={esn};t=now;a=preview;count=-2");
    let response = get(
        &client,
        cluster_url(&sim, &format!("/asset/list/image.jpeg?{query}")),
        &key,
    )
    .await;
    let listed: Vec<Value> = response.json().await.unwrap();
    for item in &listed {
        let ts = item["s"].as_str().unwrap();
        let url = cluster_url(
            &sim,
            &format!("/asset/asset/image.jpeg?c={esn};t={ts};a=pre"),
        );
        assert_eq!(get(&client, url, &key).await.status(), 200);
    }
    client
        .post(cluster_url(&sim, "/g/aaa/isauth"))
        .header("Cookie", format!("auth_key={key}"))
        .body("x=1")
        .send()
        .await
        .unwrap();

    let log = sim.requests();
    assert_eq!(log.len(), 4);
    let first = &log[0];
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/asset/list/image.jpeg");
    assert_eq!(first.query.as_deref(), Some(query.as_str()));
    assert_eq!(
        first.host.as_deref(),
        Some(format!("{CLUSTER_HOST}:{}", sim.addr().port()).as_str())
    );
    assert_eq!(
        first.header("cookie"),
        Some(format!("auth_key={key}").as_str())
    );
    assert_eq!(first.endpoint, Endpoint::ListImage);
    assert_eq!(first.status, 200);
    assert_eq!(log[3].method, "POST");
    assert_eq!(&log[3].body[..], b"x=1");

    let stats = sim.stats();
    assert_eq!(stats.count(Endpoint::ListImage), 1);
    assert_eq!(stats.count_status(Endpoint::AssetImage, 200), 2);
    assert_eq!(stats.image_requests(), 2);
    assert_eq!(stats.host_count(CLUSTER_HOST), 4);
    assert_eq!(stats.images_in_flight_peak, 1, "sequential requests");

    // The same counters as JSON, keyed by endpoint name and status; no session keys in it.
    let json = client
        .get(sim.base_url().join("/_sim/stats").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
    let text = json.text().await.unwrap();
    assert!(!text.contains(&key[5..]), "never a session key");
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["requests"]["asset_image"]["200"], 2);
    assert_eq!(json["requests"]["list_image"]["200"], 1);
    assert_eq!(json["hosts"][CLUSTER_HOST], 4);
    assert_eq!(json["images_in_flight_peak"], 1);
    assert_eq!(
        json["sessions_created"], 0,
        "the login came before the reset"
    );
    assert!(json["images_in_flight_peak_per_session"].is_object());
    sim.reset_stats();
    assert_eq!(sim.stats().count(Endpoint::ListImage), 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_62_peak_images_in_flight_overall_and_per_session() {
    let sim = sim().await;
    let client = client(&sim);
    let a = login(&sim, &client).await;
    let b = login(&sim, &client).await;
    let esn = cameras::live(&sim).esn.unwrap();
    // Slow images keep every request of the burst in flight together.
    sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::AssetImage, Duration::from_millis(1500))].into(),
        ..Faults::default()
    });
    let url = cluster_url(
        &sim,
        &format!("/asset/asset/image.jpeg?c={esn};t=now;a=pre"),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for key in std::iter::repeat_n(a.clone(), 5).chain(std::iter::repeat_n(b.clone(), 3)) {
        let (client, url) = (client.clone(), url.clone());
        tasks.spawn(async move { get(&client, url, &key).await.status().as_u16() });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let stats = sim.stats();
    assert_eq!(stats.images_in_flight_peak, 8);
    // Session ordinals: the first login is 1, the second 2.
    assert_eq!(
        stats.images_in_flight_peak_per_session,
        [(1, 5), (2, 3)].into()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_cuts_blocked_requests_short_and_stops_listening() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let offline = sim
        .cameras()
        .into_iter()
        .find(|c| c.down_for.is_some())
        .and_then(|c| c.esn)
        .unwrap();
    let url = cluster_url(
        &sim,
        &format!("/asset/next/image.jpeg?c={offline};t=now;a=pre;timeout=60000"),
    );
    let addr = sim.addr();
    let blocked = tokio::spawn({
        let client = client.clone();
        async move { get(&client, url, &key).await.status().as_u16() }
    });
    // Wait until the simulator holds the request, then stop it.
    while sim.stats().images_in_flight_peak == 0 {
        tokio::task::yield_now().await;
    }
    sim.shutdown().await;
    // 503 rather than the 408 the 60 s timeout would give: the wait was cut short.
    assert_eq!(blocked.await.unwrap(), 503);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
