//! Faults and counters (V3-SIM-40, 41), and bad input answered with a 4xx envelope.

use std::time::{Duration, Instant};

use een_gallery::sim::{Endpoint, ErrorFault, Faults, V3Faults};
use een_gallery::timestamp::EenTimestamp;
use reqwest::header::RETRY_AFTER;
use serde_json::Value;

use crate::support::v3::*;

#[tokio::test]
async fn v3_sim_40_v1_latency_and_error_switches_apply_to_v3() {
    let v3 = V3::new().await;
    v3.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::V3Cameras, Duration::from_millis(300))].into(),
        errors: vec![ErrorFault::always(Some(Endpoint::V3Accounts), 503)],
        ..Faults::default()
    });
    let started = Instant::now();
    assert_eq!(v3.get("cameras?pageSize=1").await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let body = envelope(
        v3.get("accounts").await,
        503,
        "unavailable",
        "serviceUnavailable",
    )
    .await;
    assert_eq!(
        body["message"],
        "The service is currently not available, please try later again"
    );
    v3.sim.set_faults(Faults {
        errors: vec![ErrorFault::always(None, 500)],
        ..Faults::default()
    });
    let body = envelope(
        v3.get("users/self").await,
        500,
        "internal",
        "unexpectedError",
    )
    .await;
    assert_eq!(
        body["message"],
        "An internal error has occurred. Please try again later."
    );
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_40_429_with_and_without_retry_after() {
    let v3 = V3::new().await;
    for retry_after in [Some(7), None] {
        v3.sim.set_faults(Faults {
            errors: vec![ErrorFault::always(Some(Endpoint::V3RecordedImage), 429)],
            retry_after_secs: retry_after,
            ..Faults::default()
        });
        let response = v3
            .image("media/recordedImage.jpeg?deviceId=100a5bc2&type=preview&timestamp__lte=x")
            .await;
        assert_eq!(
            response
                .headers()
                .get(RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned()),
            retry_after.map(|s| s.to_string())
        );
        let body = envelope(response, 429, "tooManyRequests", "tooManyRequests").await;
        assert_eq!(
            body["message"],
            "Too many requests in a given amount of time"
        );
    }
    // The per-session rate limit counts per access token.
    v3.sim.set_faults(Faults {
        rate_limit_per_second: Some(3),
        ..Faults::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(v3.get("users/self").await.status().as_u16());
    }
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    let other = V3::log_in(&v3.sim, &v3.client).await;
    let token = other["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(token, "users/self").await.status(), 200);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_40_access_tokens_expire_mid_run_and_a_refresh_recovers() {
    let v3 = V3::new().await;
    assert_eq!(v3.get("users/self").await.status(), 200);
    v3.sim.expire_v3_access_tokens();
    envelope(
        v3.get("users/self").await,
        401,
        "unauthenticated",
        "unauthenticated",
    )
    .await;
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    assert_eq!(response.status(), 200);
    let fresh: Value = response.json().await.unwrap();
    let token = fresh["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(token, "users/self").await.status(), 200);

    // v1's "401 after login" applies per new access token.
    v3.sim.set_faults(Faults {
        unauthorized_after_login: 1,
        ..Faults::default()
    });
    let other = V3::log_in(&v3.sim, &v3.client).await;
    let token = other["access_token"].as_str().unwrap();
    assert_eq!(v3.get_as(token, "users/self").await.status(), 401);
    assert_eq!(v3.get_as(token, "users/self").await.status(), 200);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_40_a_refused_refresh_kills_the_token_as_a_replay_would() {
    let v3 = V3::new().await;
    v3.sim.refuse_v3_refreshes(1);
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The fault is used up, but the token is dead: re-authorization is needed.
    assert_eq!(
        refresh(&v3.sim, &v3.client, v3.refresh_token())
            .await
            .status(),
        401
    );
    assert_eq!(v3.get("users/self").await.status(), 401);
    assert_eq!(v3.sim.stats().v3.rotations_refused, 2);
    let again = V3::log_in(&v3.sim, &v3.client).await;
    let response = refresh(
        &v3.sim,
        &v3.client,
        again["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(response.status(), 200);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_40_the_api_host_moves_and_the_next_token_response_says_so() {
    let v3 = V3::new().await;
    assert!(v3.sim.set_v3_api_host(MOVED_API_HOST));
    assert!(!v3.sim.set_v3_api_host("not a host"));
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    let moved: Value = response.json().await.unwrap();
    assert_eq!(moved["httpsBaseUrl"]["hostname"], MOVED_API_HOST);
    let token = moved["access_token"].as_str().unwrap();
    let settings = v3
        .client
        .get(url(&v3.sim, GLOBAL_API_HOST, "/api/v3.0/clientSettings"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(settings["httpsBaseUrl"]["hostname"], MOVED_API_HOST);

    // With the strict switch the old host no longer serves the account.
    v3.sim.set_faults(Faults {
        v3: V3Faults {
            strict_api_host: true,
        },
        ..Faults::default()
    });
    assert_eq!(v3.get_as(token, "users/self").await.status(), 401);
    let response = v3
        .client
        .get(url(&v3.sim, MOVED_API_HOST, "/api/v3.0/users/self"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_41_stats_count_v3_requests_tokens_and_images_in_flight_per_token() {
    let v3 = V3::new().await;
    let esn = v3.camera_named("Front Entrance").await;
    v3.sim.reset_stats();
    v3.sim.set_faults(Faults {
        endpoint_latency: [(Endpoint::V3RecordedImage, Duration::from_millis(300))].into(),
        ..Faults::default()
    });
    let t = EenTimestamp::now().as_millis() - 10_000;
    let path = format!(
        "media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp__lte={}",
        enc(&iso(t))
    );
    let target = url(&v3.sim, API_HOST, &format!("/api/v3.0/{path}"));
    let calls: Vec<_> = (0..5)
        .map(|_| {
            let request = v3.client.get(target.clone()).bearer_auth(v3.access());
            tokio::spawn(request.send())
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(v3.get("nothing").await.status(), 404);
    let response = refresh(&v3.sim, &v3.client, v3.refresh_token()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        refresh(&v3.sim, &v3.client, v3.refresh_token())
            .await
            .status(),
        401
    );

    let stats = v3.sim.stats();
    assert_eq!(stats.count_status(Endpoint::V3RecordedImage, 200), 5);
    assert_eq!(stats.count_status(Endpoint::V3Other, 404), 1);
    assert_eq!(stats.count_status(Endpoint::V3Token, 200), 1);
    assert_eq!(stats.count_status(Endpoint::V3Token, 401), 1);
    assert_eq!(stats.v3.images_in_flight_peak, 5);
    // Token ordinals: 1 is the first access token issued.
    assert_eq!(stats.v3.images_in_flight_peak_per_token.get(&1), Some(&5));
    assert_eq!(stats.v3.tokens_issued, 1);
    assert_eq!(stats.v3.refreshes, 1);
    assert_eq!(stats.v3.rotations_refused, 1);
    assert_eq!(stats.images_in_flight_peak, 0, "v1's gauge is v1's");

    // The same over HTTP, without any token in it.
    let json: Value = v3
        .client
        .get(url(&v3.sim, API_HOST, "/_sim/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["requests"]["v3_recorded_image"]["200"], 5);
    assert_eq!(json["v3"]["images_in_flight_peak"], 5);
    assert_eq!(json["v3"]["images_in_flight_peak_per_token"]["1"], 5);
    assert_eq!(json["v3"]["refreshes"], 1);
    let text = json.to_string();
    assert!(!text.contains(v3.access()) && !text.contains(v3.refresh_token()));
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_bad_input_gets_a_4xx_envelope_and_never_a_5xx_or_a_hang() {
    let v3 = V3::new().await;
    let long = "x".repeat(10_000);
    let paths = [
        "cameras?pageSize=99999999999999999999999".to_owned(),
        "cameras?pageToken=%FF%FE".to_owned(),
        "cameras?include=%00".to_owned(),
        format!("cameras?name__contains={long}"),
        format!("cameras/{long}"),
        "cameras/%2e%2e".to_owned(),
        "cameras?sort=%2B%2B".to_owned(),
        "cameras?shareDetails.shared=yes".to_owned(),
        "media/liveImage.jpeg?deviceId=&type=preview".to_owned(),
        "media/liveImage.jpeg?deviceId=100a5bc2&type=preview&type=main".to_owned(),
        "media/recordedImage.jpeg?deviceId=100a5bc2&type=preview&timestamp__lte=9999-99-99T99:99:99.999%2B99:99".to_owned(),
        "media/recordedImage.jpeg?deviceId=100a5bc2&type=preview&timestamp__lte=%2B".to_owned(),
        "media/recordedImage.jpeg?pageToken=aW1nOjp4OjE".to_owned(),
        "media?deviceId=100a5bc2&type=preview&mediaType=image&startTimestamp__gte=0000-01-01T00:00:00.000%2B00:00&pageSize=-1".to_owned(),
        "media?deviceId=0badf00d&type=preview&mediaType=image&startTimestamp__gte=2020-01-01T00:00:00.000%2B00:00".to_owned(),
        "users/self?include=,,,".to_owned(),
        "accounts?pageToken=x".to_owned(),
    ];
    for path in &paths {
        let response = v3.get(path).await;
        let status = response.status().as_u16();
        if status == 200 {
            continue; // clamped or empty values that are fine
        }
        assert!((400..500).contains(&status), "{status} for {path}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("JSON for {path}"));
        assert_eq!(body["code"], status, "{path}");
    }
    // Token endpoint garbage.
    for body in ["%%%", "grant_type", "&&&=&=", &long] {
        let response = v3
            .client
            .post(url(&v3.sim, AUTH_HOST, "/oauth2/token"))
            .basic_auth(
                een_gallery::sim::V3_DEMO_CLIENT_ID,
                Some(een_gallery::sim::V3_DEMO_CLIENT_SECRET),
            )
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body:.20}");
    }
    let response = v3
        .client
        .post(url(&v3.sim, AUTH_HOST, "/oauth2/token"))
        .header("Authorization", "Basic %%%")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = v3
        .client
        .post(url(&v3.sim, AUTH_HOST, "/oauth2/token"))
        .body(vec![b'a'; 2 << 20])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let response = v3
        .client
        .get(url(
            &v3.sim,
            AUTH_HOST,
            "/oauth2/authorize?client_id=%FF&redirect_uri=%00",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    v3.sim.shutdown().await;
}
