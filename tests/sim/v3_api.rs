//! The JSON API (V3-SIM-01, 20 … 22, 30, 31): hosts, bearer auth, the error envelope,
//! pagination, users, accounts and cameras.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use een_gallery::sim::{DeviceKind, RESTRICTED_ESN};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::v3::*;

#[tokio::test]
async fn v3_sim_01_client_settings_on_the_global_host_and_the_api_host() {
    let v3 = V3::new().await;
    for host in [GLOBAL_API_HOST, API_HOST] {
        let response = v3
            .client
            .get(url(&v3.sim, host, "/api/v3.0/clientSettings"))
            .bearer_auth(v3.access())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{host}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body,
            json!({ "httpsBaseUrl": { "hostname": API_HOST, "port": 443 } })
        );
    }
    assert_eq!(v3.sim.v3_api_host(), API_HOST);
    assert_eq!(v3.sim.v3_auth_host(), AUTH_HOST);
    assert_eq!(v3.sim.v3_global_api_host(), GLOBAL_API_HOST);
    let stats = v3.sim.stats();
    assert_eq!(stats.host_count(GLOBAL_API_HOST), 1);
    assert_eq!(stats.host_count(API_HOST), 1);
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_01_the_api_host_is_configurable_as_host_and_port() {
    let v3 = V3::with(|c| c.v3.api_host = Some("127.0.0.1:9000".to_owned())).await;
    assert_eq!(
        v3.tokens["httpsBaseUrl"],
        json!({ "hostname": "127.0.0.1", "port": 9000 })
    );
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_20_every_call_needs_a_valid_bearer_token() {
    let v3 = V3::new().await;
    for path in [
        "users/self",
        "accounts",
        "cameras",
        "clientSettings",
        "media/liveImage.jpeg?deviceId=100a5bc2&type=preview",
    ] {
        let target = url(&v3.sim, API_HOST, &format!("/api/v3.0/{path}"));
        let none = v3.client.get(target.clone()).send().await.unwrap();
        let body = envelope(none, 401, "unauthenticated", "unauthenticated").await;
        assert_eq!(
            body,
            json!({
                "code": 401,
                "status": "unauthenticated",
                "message": "The client caller does not have a valid authentication credential",
                "details": [{
                    "type": "errorInfo",
                    "reason": "unauthenticated",
                    "domain": "apiv3",
                    "metadata": { "path": format!("/api/v3.0/{}", path.split('?').next().unwrap()) },
                }],
            })
        );
        for header in [
            "Bearer not-a-token".to_owned(),
            format!("Basic {}", v3.access()),
            "Bearer".to_owned(),
        ] {
            let response = v3
                .client
                .get(target.clone())
                .header("Authorization", header)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 401, "{path}");
        }
    }
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_20_accept_and_content_type_are_not_enforced_on_gets() {
    let v3 = V3::new().await;
    let esn = v3.camera_with_status("online").await;
    // As TK and the EEN samples send them: JSON headers even to the JPEG endpoint.
    let response = v3
        .client
        .get(url(
            &v3.sim,
            API_HOST,
            &format!("/api/v3.0/media/liveImage.jpeg?deviceId={esn}&type=preview"),
        ))
        .bearer_auth(v3.access())
        .header(ACCEPT, "application/json")
        .header(CONTENT_TYPE, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "image/jpeg");
    let jpeg = response.bytes().await.unwrap();
    assert!(jpeg_comment(&jpeg).starts_with(&format!("een-sim esn={esn} ts=")));
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_21_errors_use_the_envelope_with_the_documented_texts() {
    let v3 = V3::new().await;
    let body = envelope(
        v3.get("cameras?name__contains=a&colour=red&size=9").await,
        400,
        "invalidArgument",
        "unexpectedArgument",
    )
    .await;
    assert_eq!(body["message"], "Unexpected argument: colour, size");

    let body = envelope(
        v3.get("media/recordedImage.jpeg").await,
        400,
        "invalidArgument",
        "missingRequiredArgument",
    )
    .await;
    assert_eq!(
        body["message"],
        "Missing required arguments: deviceId, type"
    );

    let body = envelope(
        v3.get("cameras?pageSize=lots").await,
        400,
        "invalidArgument",
        "wrongArgumentValue",
    )
    .await;
    assert_eq!(
        body["message"],
        "Invalid Argument: Argument pageSize must be an integer"
    );
    assert_eq!(body["details"][1]["type"], "badRequest");
    assert_eq!(
        body["details"][1]["argumentViolations"][0]["argumentName"],
        "pageSize"
    );

    let body = envelope(
        v3.get("cameras/0badf00d").await,
        404,
        "notFound",
        "resourceNotFound",
    )
    .await;
    assert_eq!(body["message"], "The resource was not found");
    assert_eq!(
        body["details"][1],
        json!({ "type": "resourceInfo", "resource": "cameras", "ids": ["0badf00d"] })
    );
    let body = envelope(
        v3.get("nothing/here").await,
        404,
        "notFound",
        "endpointNotFound",
    )
    .await;
    assert_eq!(body["message"], "The API endpoint was not found");
    let body = envelope(
        v3.get(&format!("cameras/{RESTRICTED_ESN}")).await,
        403,
        "permissionDenied",
        "invalidPermission",
    )
    .await;
    assert_eq!(
        body["message"],
        "The client caller does not have permission for the specified operation"
    );
    let response = v3
        .client
        .post(url(&v3.sim, API_HOST, "/api/v3.0/cameras"))
        .bearer_auth(v3.access())
        .send()
        .await
        .unwrap();
    envelope(response, 405, "methodNotSupported", "methodNotSupported").await;
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_22_pages_are_clamped_and_walk_to_an_empty_next_token() {
    let v3 = V3::new().await;
    let mut seen = Vec::new();
    let mut query = "cameras?include=status&pageSize=7".to_owned();
    let mut pages = 0;
    let total = loop {
        let body = v3.json(&query).await;
        pages += 1;
        let results = body["results"].as_array().unwrap();
        assert!(results.len() <= 7);
        seen.extend(results.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
        let next = body["nextPageToken"].as_str().unwrap();
        if pages == 1 {
            assert_eq!(body["prevPageToken"], "");
        } else {
            assert_ne!(body["prevPageToken"], "");
        }
        if next.is_empty() {
            break body["totalSize"].as_u64().unwrap();
        }
        // Like FIXTURE's apiGetAll: the same filters again, plus the token.
        query = format!("cameras?include=status&pageSize=7&pageToken={}", enc(next));
    };
    assert_eq!(seen.len() as u64, total);
    assert_eq!(pages, total.div_ceil(7));
    let distinct: BTreeSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), seen.len(), "no camera twice");

    let all = v3.json("cameras?pageSize=1000").await;
    assert_eq!(all["results"].as_array().unwrap().len() as u64, total);
    assert_eq!(all["nextPageToken"], "");
    let one = v3.json("cameras?pageSize=0").await;
    assert_eq!(
        one["results"].as_array().unwrap().len(),
        1,
        "clamped up to 1"
    );
    let negative = v3.json("cameras?pageSize=-5").await;
    assert_eq!(negative["results"].as_array().unwrap().len(), 1);
    let default = v3.json("cameras").await;
    assert_eq!(
        default["results"].as_array().unwrap().len() as u64,
        total.min(100)
    );
    // totalSize is all cameras, not the filtered count (OAS-devices).
    let filtered = v3.json("cameras?name__contains=dock").await;
    assert_eq!(filtered["totalSize"].as_u64().unwrap(), total);
    assert!(filtered["results"].as_array().unwrap().len() < total as usize);

    for token in ["garbage", "%00", &enc(&een_v3_media_token())] {
        let response = v3.get(&format!("cameras?pageToken={token}")).await;
        envelope(response, 400, "invalidArgument", "wrongArgumentValue").await;
    }
    v3.sim.shutdown().await;
}

/// A `/media` page token, which `/cameras` must refuse.
fn een_v3_media_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("media:1")
}

#[tokio::test]
async fn v3_sim_30_the_user_and_the_account_with_their_time_zones() {
    let v3 = V3::new().await;
    let me = v3.json("users/self?include=timeZone,timeSettings").await;
    assert_eq!(me["email"], "demo@een.com");
    assert_eq!(me["accountId"], "00001106");
    assert_eq!(me["timeZone"], json!({ "timeZone": "America/Chicago" }));
    assert_eq!(me["timeSettings"]["format"], "24h");
    assert!(me["employeeId"].is_null());
    for field in ["id", "firstName", "lastName", "language"] {
        assert!(me[field].is_string(), "{field}");
    }
    let plain = v3.json("users/self").await;
    assert!(plain.get("timeZone").is_none());

    let accounts = v3.json("accounts?include=timeZone").await;
    assert_eq!(accounts["totalSize"], 1);
    assert_eq!(accounts["nextPageToken"], "");
    let own = &accounts["results"][0];
    assert_eq!(own["id"], me["accountId"]);
    assert_eq!(own["timeZone"]["timeZone"], "America/Chicago");
    assert_eq!(own["type"], "endUserAccount");
    assert_eq!(own["status"], "active");

    envelope(
        v3.get("users/self?include=timeZone,shoeSize").await,
        400,
        "invalidArgument",
        "wrongArgumentValue",
    )
    .await;
    envelope(
        v3.get("accounts?sort=name").await,
        400,
        "invalidArgument",
        "wrongArgumentValue",
    )
    .await;
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_31_cameras_are_the_v1_accounts_cameras_with_all_seven_statuses() {
    let v3 = V3::new().await;
    let cameras = v3.cameras("status,timeZone,deviceInfo,tags").await;
    let v1: BTreeMap<String, _> = v3
        .sim
        .cameras()
        .into_iter()
        .filter(|c| c.attached && c.kind == DeviceKind::Camera)
        .filter_map(|c| Some((c.esn.clone()?, c)))
        .collect();
    assert_eq!(cameras.len(), v1.len(), "the same cameras as v1");
    let mut statuses = BTreeSet::new();
    for camera in &cameras {
        let id = camera["id"].as_str().unwrap();
        let v1 = &v1[id];
        assert_eq!(camera["name"], v1.name.as_str());
        assert!(camera["accountId"].is_string());
        assert_eq!(
            camera["timeZone"]["zone"].as_str(),
            v1.time_zone.as_deref(),
            "{id}"
        );
        assert!(camera["tags"].is_array());
        assert!(camera["deviceInfo"]["make"].is_string());
        iso_ms(camera["createTimestamp"].as_str().unwrap());
        let status = camera["status"]["connectionStatus"].as_str().unwrap();
        if v1.is_online() && v1.has_images {
            assert_eq!(status, "online", "{}", v1.name);
        }
        statuses.insert(status.to_owned());
    }
    let all: BTreeSet<String> = [
        "online",
        "deviceOffline",
        "invalidCredentials",
        "bridgeOffline",
        "off",
        "error",
        "unknown",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(statuses, all);

    // Without includes, only the main fields.
    let plain = v3.cameras("").await;
    assert!(plain[0].get("status").is_none());
    assert!(plain[0]["createTimestamp"].is_string());
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_31_filters_sort_and_one_camera() {
    let v3 = V3::new().await;
    let ids = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let names = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let ascending = v3.json("cameras?sort=%2Bname&pageSize=500").await;
    let mut sorted = names(&ascending);
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names(&ascending), sorted);
    let descending = v3.json("cameras?sort=-name&pageSize=500").await;
    let mut reversed = names(&descending);
    reversed.reverse();
    assert_eq!(reversed, names(&ascending));
    for bad in [
        "name",
        "",
        "%2Bname,-name",
        "%2Bcolour",
        "%2Bname,%2BqRelevance,-locationSummary.name,%2BbridgeSummary.name",
    ] {
        envelope(
            v3.get(&format!("cameras?sort={bad}")).await,
            400,
            "invalidArgument",
            "wrongArgumentValue",
        )
        .await;
    }

    let docks = v3.json("cameras?name__contains=DOCK").await;
    assert!(names(&docks).len() >= 2);
    assert!(
        names(&docks)
            .iter()
            .all(|n| n.to_lowercase().contains("dock"))
    );
    let two: Vec<String> = ids(&ascending).into_iter().take(2).collect();
    let by_id = v3.json(&format!("cameras?id__in={}", two.join(","))).await;
    assert_eq!(
        ids(&by_id).into_iter().collect::<BTreeSet<_>>(),
        two.iter().cloned().collect()
    );
    let offline = v3
        .json("cameras?status__in=deviceOffline,OFF&include=status")
        .await;
    assert!(!ids(&offline).is_empty());
    assert!(offline["results"].as_array().unwrap().iter().all(|c| {
        ["deviceOffline", "off"].contains(&c["status"]["connectionStatus"].as_str().unwrap())
    }));
    let not_online = v3.json("cameras?status__ne=online&include=status").await;
    assert_eq!(ids(&not_online).len(), 6);
    let tagged = v3
        .json("cameras?tags__contains=austin,ip&include=tags")
        .await;
    assert!(!ids(&tagged).is_empty());
    for camera in tagged["results"].as_array().unwrap() {
        let tags = camera["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("austin")) && tags.contains(&json!("ip")));
    }
    let shared = v3.json("cameras?shareDetails.shared=true").await;
    assert_eq!(ids(&shared).len(), 1);
    envelope(
        v3.get("cameras?status__in=sleeping").await,
        400,
        "invalidArgument",
        "wrongArgumentValue",
    )
    .await;

    let id = &two[0];
    let one = v3
        .json(&format!("cameras/{id}?include=status,timeZone"))
        .await;
    assert_eq!(&one["id"], id);
    assert!(one["timeZone"]["zone"].is_string());
    assert!(one["status"]["connectionStatus"].is_string());
    v3.sim.shutdown().await;
}
