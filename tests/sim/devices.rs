//! The device list and single devices: SIM-30 … SIM-33, SIM-60, SIM-61.

use std::collections::BTreeSet;

use een_gallery::sim::{DeviceKind, Endpoint, Faults, RESTRICTED_ESN, UnknownCameraAnswer};
use serde_json::Value;

use crate::support::net::raw;
use crate::support::sim::{CLUSTER_HOST, LOGIN_HOST, client, cluster_url, get, login, sim};

async fn rows(sim: &een_gallery::sim::SimHandle, query: &str) -> Vec<Vec<Value>> {
    let client = client(sim);
    let key = login(sim, &client).await;
    let response = get(
        &client,
        cluster_url(sim, &format!("/g/device/list{query}")),
        &key,
    )
    .await;
    assert_eq!(response.status(), 200, "{query}");
    let rows: Vec<Vec<Value>> = response.json().await.unwrap();
    rows
}

#[tokio::test]
async fn sim_31_rows_are_28_elements_typed_exactly_as_the_spec_table() {
    let sim = sim().await;
    let rows = rows(&sim, "?e=;n=;t=;s=").await;
    assert!(rows.len() >= 40, "{}", rows.len());
    for row in &rows {
        assert_eq!(row.len(), 28, "{row:?}");
        let attached = row[5] == "ATTD";
        assert!(row[0].is_string() || (row[0].is_null() && !attached));
        assert!(row[1].is_string() || (row[1].is_null() && !attached));
        assert!(row[2].is_string());
        assert!(["camera", "bridge", "multiview_camera"].contains(&row[3].as_str().unwrap()));
        for pair in row[4].as_array().unwrap() {
            let pair = pair.as_array().unwrap();
            assert_eq!(pair.len(), 2);
            assert!(pair[0].is_string() && pair[1].is_string());
        }
        assert!(row[5] == "ATTD" || row[5] == "IGND");
        assert!(row[6].is_string());
        assert!(row[7].as_array().unwrap().iter().all(Value::is_string));
        assert_eq!(row[8].as_str().unwrap().len(), 36, "a UUID");
        assert!(row[9].is_string() || row[9].is_null());
        assert!(row[10].is_u64());
        assert!(row[11].is_string() || row[11].is_null());
        assert!(row[12].is_i64() || row[12].is_null());
        assert!(row[13] == 0 || row[13] == 1);
        assert!(row[14].is_string());
        assert!(row[15] == 0 || row[15] == 1);
        assert!(row[16].is_string() || row[16].is_null());
        assert_eq!(row[17], Value::Bool(false), "is_upnp is a real bool");
        assert!(row[18].is_string() || row[18].is_null());
        assert!(row[19].is_string() || row[19].is_null());
        assert_eq!(row[20].as_array().unwrap().len(), 7);
        assert!(row[21].is_string() || row[21].is_null());
        assert!(row[22].is_string() || row[22].is_null());
        assert_eq!(row[23], 0);
        assert_eq!(row[24], Value::Array(Vec::new()));
        assert_eq!(row[25], 0);
        assert_eq!(row[26], Value::Object(Default::default()));
        match &row[27] {
            Value::String(ts) => {
                assert!(ts.parse::<een_gallery::timestamp::EenTimestamp>().is_ok())
            }
            other => assert!(other.is_null() && !attached),
        }
        if let Some(esn) = row[1].as_str() {
            assert_eq!(esn.len(), 8);
            assert!(
                esn.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_32_the_demo_account_is_realistic() {
    let sim = sim().await;
    let rows = rows(&sim, "").await;
    let cameras: Vec<_> = rows
        .iter()
        .filter(|r| r[5] == "ATTD" && r[3] != "bridge")
        .collect();
    assert!(cameras.len() >= 30);
    let zones: BTreeSet<&str> = cameras.iter().filter_map(|r| r[11].as_str()).collect();
    assert!(zones.len() >= 4, "{zones:?}");
    for zone in &zones {
        assert!(jiff::tz::TimeZone::get(zone).is_ok(), "IANA name {zone}");
    }
    let names: BTreeSet<&str> = cameras.iter().map(|r| r[2].as_str().unwrap()).collect();
    for expected in [
        "Front Entrance",
        "Lobby",
        "Loading Dock 2",
        "Parking Lot North",
    ] {
        assert!(names.contains(expected), "{expected}");
    }
    let with_status = |bits: u64| rows.iter().filter(|r| r[10] == bits).count();
    for bits in [0x168037, 0x1E803F, 0x128405, 0x22000, 0x8023] {
        assert!(with_status(bits) >= 1, "{bits:#x}");
    }
    // Bridges list their cameras at index 4, and those cameras name the bridge.
    let bridges: Vec<_> = rows.iter().filter(|r| r[3] == "bridge").collect();
    assert!(!bridges.is_empty());
    for bridge in &bridges {
        let esn = bridge[1].as_str().unwrap();
        let listed = bridge[4].as_array().unwrap();
        assert!(!listed.is_empty());
        for pair in listed {
            let camera = rows.iter().find(|r| r[1] == pair[0]).unwrap();
            assert!(camera[4].as_array().unwrap().iter().any(|p| p[0] == esn));
        }
    }
    // Unattached rows: null account and id, `make|model|version` names, bridges "IGND".
    let ignd: Vec<_> = rows.iter().filter(|r| r[5] == "IGND").collect();
    assert!(!ignd.is_empty());
    for row in ignd {
        assert!(row[0].is_null() && row[1].is_null() && row[11].is_null());
        assert_eq!(row[2].as_str().unwrap().split('|').count(), 3);
        assert!(row[4].as_array().unwrap().iter().all(|p| p[1] == "IGND"));
        assert_eq!(row[10], 0);
    }
    // A multiview camera with channel children.
    let parent = rows.iter().find(|r| r[3] == "multiview_camera").unwrap();
    let children: Vec<_> = rows.iter().filter(|r| r[21] == parent[1]).collect();
    assert!(children.len() >= 2);
    assert!(
        children
            .iter()
            .all(|c| c[22].as_str().unwrap().starts_with("Channel "))
    );
    // An analog camera, a shared camera.
    assert!(
        rows.iter()
            .any(|r| r[18].is_string() && r[19].is_string() && r[14] == "")
    );
    assert!(rows.iter().any(|r| r[15] == 1 && r[16].is_string()));
    // Exactly one attached online camera has no images, and the seed data says which.
    let no_images: Vec<_> = sim
        .cameras()
        .into_iter()
        .filter(|c| c.attached && c.kind == DeviceKind::Camera && !c.has_images)
        .collect();
    assert_eq!(no_images.len(), 1);
    assert!(no_images[0].is_online());
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_30_filters_and_the_alias_path() {
    let sim = sim().await;
    let all = rows(&sim, "?e=;n=;t=;s=").await;
    let cameras = rows(&sim, "?e=;n=;t=camera;s=").await;
    assert!(cameras.iter().all(|r| r[3] == "camera"));
    assert_eq!(
        cameras.len(),
        all.iter().filter(|r| r[3] == "camera").count()
    );
    let bridges = rows(&sim, "?t=bridge").await;
    assert!(!bridges.is_empty() && bridges.iter().all(|r| r[3] == "bridge"));
    let unattached = rows(&sim, "?s=IGND").await;
    assert!(!unattached.is_empty() && unattached.iter().all(|r| r[5] == "IGND"));
    let esn = cameras[0][1].as_str().unwrap();
    let one = rows(&sim, &format!("?e={esn}")).await;
    assert_eq!(one.len(), 1);
    let by_name = rows(&sim, "?n=Loading%20Dock%202").await;
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0][2], "Loading Dock 2");
    assert!(rows(&sim, "?n=Loading").await.is_empty(), "exact match");

    let client = client(&sim);
    let key = login(&sim, &client).await;
    let alias = get(&client, cluster_url(&sim, "/g/list/devices"), &key).await;
    let alias: Vec<Vec<Value>> = alias.json().await.unwrap();
    assert_eq!(alias.len(), all.len());
    assert_eq!(sim.stats().count_status(Endpoint::DeviceList, 200), 8);
    let unknown = get(&client, cluster_url(&sim, "/g/device/list?x=1"), &key).await;
    assert_eq!(unknown.status(), 400);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_60_g_json_is_pretty_printed_with_the_real_header_set() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let response = raw(
        sim.addr(),
        &format!(
            "GET /g/device/list?e=;n=;t=camera;s= HTTP/1.1\r\nHost: {LOGIN_HOST}\r\nCookie: auth_key={key}"
        ),
        b"",
    )
    .await;
    assert_eq!(response.status_line, "HTTP/1.1 200 OK");
    assert_eq!(
        response.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(response.header("server"), Some("openresty"));
    assert_eq!(
        response.header("vary"),
        Some("Authorization, Cookie, Accept-Encoding")
    );
    assert_eq!(response.header("cache-control"), Some("max-age=86400"));
    let expires = response.header("expires").unwrap();
    assert!(
        expires.ends_with(" GMT") && expires.contains(','),
        "{expires}"
    );
    let request_id = response.header("x-ee-request-id").unwrap();
    assert_eq!(request_id.len(), 32);
    assert!(request_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        response
            .header("p3p")
            .unwrap()
            .starts_with("policyref=\"/w3c/p3p.xml\"")
    );
    assert_eq!(
        response.header("content-length").unwrap(),
        response.body.len().to_string()
    );
    let text = String::from_utf8(response.body).unwrap();
    assert!(text.starts_with("[\n    [\n        \""), "{}", &text[..40]);
    assert!(
        text.contains("\n            [\n                \""),
        "nested arrays indent"
    );
    assert!(!text.ends_with('\n'));
    assert!(text.ends_with("\n    ]\n]"));
    // Re-serialising the parsed value the same way gives the same bytes.
    let value: Value = serde_json::from_str(&text).unwrap();
    let mut again = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut again, formatter);
    serde::Serialize::serialize(&value, &mut ser).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), text);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_33_single_devices() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let cameras = sim.cameras();
    let offline = cameras.iter().find(|c| c.status == 0x128405).unwrap();
    let esn = offline.esn.as_deref().unwrap();
    let response = get(
        &client,
        cluster_url(&sim, &format!("/g/device?id={esn}")),
        &key,
    )
    .await;
    assert_eq!(response.status(), 200);
    let device: Value = response.json().await.unwrap();
    assert_eq!(device["id"], esn);
    assert_eq!(device["name"], offline.name.as_str());
    assert_eq!(device["timezone"], offline.time_zone.as_deref().unwrap());
    assert!(device["utcOffset"].is_i64());
    assert_eq!(device["camera_info_status_code"], 200);
    assert_eq!(device["camera_info"]["status"], "1213445");
    assert_eq!(device["camera_info"]["status_hex"], "00128405");
    assert!(
        device["bridges"]
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == "ATTD")
    );
    let newest: een_gallery::timestamp::EenTimestamp = device["camera_info"]["camera_newest"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let age = een_gallery::timestamp::EenTimestamp::now().as_millis() - newest.as_millis();
    let down = i64::try_from(offline.down_for.unwrap().as_millis()).unwrap();
    assert!(
        age >= down,
        "an offline camera's newest frame is from before it went down"
    );

    let missing = get(&client, cluster_url(&sim, "/g/device?id=deadbeef"), &key).await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["status_code"], 404);
    let restricted = get(
        &client,
        cluster_url(&sim, &format!("/g/device?id={RESTRICTED_ESN}")),
        &key,
    )
    .await;
    assert_eq!(restricted.status(), 403);
    let no_id = get(&client, cluster_url(&sim, "/g/device"), &key).await;
    assert_eq!(no_id.status(), 400);

    sim.set_faults(Faults {
        unknown_camera: UnknownCameraAnswer::Forbidden,
        ..Faults::default()
    });
    let forbidden = get(&client, cluster_url(&sim, "/g/device?id=deadbeef"), &key).await;
    assert_eq!(forbidden.status(), 403);
    sim.shutdown().await;
}

#[tokio::test]
async fn sim_61_errors_use_the_envelope_with_custom_reason_phrases() {
    let sim = sim().await;
    let client = client(&sim);
    let key = login(&sim, &client).await;
    let cases = [
        (
            "GET /g/device?id=deadbeef",
            "HTTP/1.1 404 not found",
            "device not found",
        ),
        (
            "GET /g/device",
            "HTTP/1.1 400 bad request",
            "missing argument: id",
        ),
        ("GET /g/nothing/here", "HTTP/1.1 404 not found", "not found"),
        (
            "PUT /g/device/list",
            "HTTP/1.1 405 method not allowed",
            "unexpected HTTP method",
        ),
    ];
    for (request, status_line, message) in cases {
        let response = raw(
            sim.addr(),
            &format!("{request} HTTP/1.1\r\nHost: {CLUSTER_HOST}\r\nCookie: auth_key={key}"),
            b"",
        )
        .await;
        assert_eq!(response.status_line, status_line, "{request}");
        assert_eq!(response.header("x-ee-server-message"), Some(message));
        assert_eq!(response.header("content-type"), Some("application/json"));
        let code = status_line.split(' ').nth(1).unwrap();
        assert_eq!(
            String::from_utf8(response.body).unwrap(),
            format!("{{\"status_code\": {code}, \"message\": \"{message}\", \"data\": null }}")
        );
    }
    sim.shutdown().await;
}
