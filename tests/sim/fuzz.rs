//! Hostile requests to the simulator over real HTTP (issue 13): whatever the path, query,
//! body or `Content-Type`, a v1 or v3 endpoint answers without a 5xx (no fault is switched on),
//! v3's 4xx answers are its JSON envelope, and bad credentials in any encoding are refused.

use proptest::prelude::*;
use serde_json::Value;

use crate::support::fuzz::{enc, json, mutated_bytes, query, run_async, text};
use crate::support::sim::{self, CLUSTER_HOST, LOGIN_HOST};
use crate::support::v3::{self, API_HOST, AUTH_HOST, V3};

const CASES: u32 = 64;

const V1_PATHS: [&str; 10] = [
    "/g/device/list",
    "/g/device",
    "/g/user",
    "/g/aaa/isauth",
    "/asset/list/image",
    "/asset/prev/image.jpeg",
    "/asset/next/image.jpeg",
    "/asset/after/image.jpeg",
    "/asset/asset/image.jpeg",
    "/g/list/devices",
];

const V1_KEYS: &[&str] = &[
    "id",
    "c",
    "t",
    "timestamp",
    "e",
    "end_timestamp",
    "asset_class",
    "a",
    "count",
    "q",
    "u",
];

const V3_PATHS: [&str; 7] = [
    "cameras",
    "cameras/1000c4ae",
    "media/liveImage.jpeg",
    "media/recordedImage.jpeg",
    "media",
    "users/self",
    "clientSettings",
];

const V3_KEYS: &[&str] = &[
    "deviceId",
    "type",
    "timestamp__lt",
    "timestamp__lte",
    "timestamp",
    "timestamp__gte",
    "timestamp__gt",
    "pageToken",
    "pageSize",
    "include",
    "mediaType",
    "startTimestamp__gte",
    "endTimestamp__lte",
    "coalesce",
];

/// A v3 4xx answer is the §5.1 envelope, with its status as `code`.
async fn check_envelope(response: reqwest::Response) -> Result<(), TestCaseError> {
    let status = response.status().as_u16();
    prop_assert!(status < 500, "{}: {}", response.url(), status);
    if status >= 400 {
        let url = response.url().clone();
        let body: Value = response
            .json()
            .await
            .map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
        prop_assert_eq!(
            body["code"].as_u64(),
            Some(u64::from(status)),
            "{}: {}",
            url,
            body
        );
    }
    Ok(())
}

#[test]
fn v1_endpoints_answer_any_query_without_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (sim, client, key) = runtime.block_on(async {
        let sim = sim::sim().await;
        let client = sim::client(&sim);
        let key = sim::login(&sim, &client).await;
        (sim, client, key)
    });
    let request = (
        prop::sample::select(V1_PATHS.to_vec()),
        query(V1_KEYS),
        any::<bool>(),
    );
    run_async(&runtime, CASES, request, |(path, query, signed_in)| {
        let (sim, client, key) = (&sim, &client, &key);
        async move {
            let mut request = client.get(sim::cluster_url(sim, &format!("{path}?{query}")));
            if signed_in {
                request = request.header("cookie", format!("auth_key={key}"));
            }
            let response = request.send().await.expect("answered");
            prop_assert!(
                !response.status().is_server_error(),
                "{} {}: {}",
                path,
                query,
                response.status()
            );
            if !signed_in {
                prop_assert!(
                    response.status().is_client_error(),
                    "{}: {}",
                    path,
                    response.status()
                );
            }
            Ok(())
        }
    });
}

#[test]
fn v1_login_refuses_any_body_without_a_5xx() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (sim, client) = runtime.block_on(async {
        let sim = sim::sim().await;
        let client = sim::client(&sim);
        (sim, client)
    });
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        json().prop_map(|v| v.to_string().into_bytes()),
        mutated_bytes(Just(
            b"username=demo@een.com&password=wrong&realm=eagleeyenetworks".to_vec()
        )),
    ];
    let content_type = prop::option::of(prop_oneof![
        Just("application/json".to_owned()),
        Just("application/x-www-form-urlencoded".to_owned()),
        Just("multipart/form-data; boundary=XyZ".to_owned()),
        text(),
    ]);
    let request = (
        prop::sample::select(vec!["/g/aaa/authenticate", "/g/aaa/authorize"]),
        body,
        content_type,
    );
    run_async(&runtime, CASES, request, |(path, body, content_type)| {
        let (sim, client) = (&sim, &client);
        async move {
            let mut request = client.post(sim::login_url(sim, path)).body(body);
            if let Some(value) =
                content_type.filter(|v| reqwest::header::HeaderValue::from_str(v).is_ok())
            {
                request = request.header("content-type", value);
            }
            let response = request.send().await.expect("answered");
            prop_assert!(
                response.status().is_client_error(),
                "{}: {}",
                path,
                response.status()
            );
            Ok(())
        }
    });
}

#[test]
fn v3_endpoints_answer_any_query_with_a_result_or_their_envelope() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let v3 = runtime.block_on(V3::new());
    let request = (prop::sample::select(V3_PATHS.to_vec()), query(V3_KEYS));
    run_async(&runtime, CASES, request, |(path, query)| {
        let v3 = &v3;
        async move { check_envelope(v3.get(&format!("{path}?{query}")).await).await }
    });
}

#[test]
fn v3_token_calls_refuse_any_body_with_their_envelope_or_an_oauth_error() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let v3 = runtime.block_on(V3::new());
    let body = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        mutated_bytes(Just(
            b"grant_type=refresh_token&scope=vms.all&refresh_token=x".to_vec()
        )),
        mutated_bytes(Just(
            b"grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A3333"
                .to_vec()
        )),
    ];
    let request = (
        prop::sample::select(vec!["/oauth2/token", "/oauth2/revoke"]),
        body,
        any::<bool>(),
    );
    run_async(&runtime, CASES, request, |(path, body, form)| {
        let v3 = &v3;
        async move {
            let mut request = v3.client.post(v3::url(&v3.sim, AUTH_HOST, path)).body(body);
            if form {
                request = request.header("content-type", "application/x-www-form-urlencoded");
            }
            let response = request.send().await.expect("answered");
            let status = response.status();
            // Revoking an unknown token is a 200 by RFC 7009; nothing here is a valid grant.
            prop_assert!(!status.is_server_error(), "{}: {}", path, status);
            if path == "/oauth2/token" {
                prop_assert!(status.is_client_error(), "{}: {}", path, status);
            }
            Ok(())
        }
    });
}

#[test]
fn no_path_on_any_host_answers_5xx_but_sim_03s_trailing_slash() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let v3 = runtime.block_on(V3::new());
    let v1_client = sim::client(&v3.sim);
    let segment = prop_oneof![
        prop::sample::select(vec![
            "g", "asset", "api", "v3.0", "oauth2", "media", "cameras", "_sim", "", ".."
        ])
        .prop_map(str::to_owned),
        text(),
    ];
    let request = (
        prop::sample::select(vec![LOGIN_HOST, CLUSTER_HOST, AUTH_HOST, API_HOST]),
        prop::collection::vec(segment, 0..5),
        query(V3_KEYS),
    );
    run_async(&runtime, CASES, request, |(host, segments, query)| {
        let (v3, v1_client) = (&v3, &v1_client);
        async move {
            let path: Vec<String> = segments.iter().map(|s| enc(s)).collect();
            let path = format!("/{}", path.join("/"));
            // Set piece by piece: a joined `//x` would name another host.
            let mut url = v3.sim.url_for_host(host);
            url.set_path(&path);
            url.set_query(Some(&query));
            let response = if host == LOGIN_HOST || host == CLUSTER_HOST {
                v1_client.get(url.clone()).send().await
            } else {
                v3.client
                    .get(url.clone())
                    .bearer_auth(v3.access())
                    .send()
                    .await
            };
            let status = response.expect("answered").status();
            // SIM-03: v1 answers a path ending in `/` with a 500, as the real server does (v3
            // paths do not); nothing else is a 5xx.
            if status.is_server_error() {
                let trailing = url.path().len() > 1 && url.path().ends_with('/');
                prop_assert!(trailing && status.as_u16() == 500, "{}: {}", url, status);
            }
            Ok(())
        }
    });
}
