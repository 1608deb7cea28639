//! Images and recordings (V3-SIM-23, 32 … 35): live and recorded images, their tokens,
//! `/media` intervals with gaps, per-camera cadence, and the same frames as v1.

use std::time::Duration;

use een_gallery::timestamp::EenTimestamp;
use serde_json::Value;

use crate::support::sim;
use crate::support::v3::*;

/// `X-Een-Timestamp` of an image answer, in ms.
fn stamp(response: &reqwest::Response) -> i64 {
    iso_ms(response.headers()["x-een-timestamp"].to_str().unwrap())
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

fn recorded(esn: &str, op: &str, ms: i64) -> String {
    format!(
        "media/recordedImage.jpeg?deviceId={esn}&type=preview&{op}={}",
        enc(&iso(ms))
    )
}

#[tokio::test]
async fn v3_sim_32_the_live_image_is_the_newest_frame_with_a_token_to_the_one_before() {
    let v3 = V3::new().await;
    let esn = v3.camera_with_status("online").await;
    let before = EenTimestamp::now().as_millis();
    let live = v3
        .image(&format!("media/liveImage.jpeg?deviceId={esn}&type=preview"))
        .await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["content-type"], "image/jpeg");
    let ts = stamp(&live);
    assert!(ts <= EenTimestamp::now().as_millis() && ts > before - 5_000);
    assert!(header(&live, "x-een-nexttoken").is_none());
    let prev = header(&live, "x-een-prevtoken").expect("a token to the previous image");
    let jpeg = live.bytes().await.unwrap();
    assert_eq!(
        jpeg_comment(&jpeg),
        format!("een-sim esn={esn} ts={}", EenTimestamp::from_millis(ts))
    );
    // The token works as `pageToken` on recordedImage.jpeg, alone.
    let older = v3
        .image(&format!(
            "media/recordedImage.jpeg?pageToken={}",
            enc(&prev)
        ))
        .await;
    assert_eq!(older.status(), 200);
    let older_ts = stamp(&older);
    assert!(older_ts < ts);
    assert_eq!(
        header(&older, "x-een-nexttoken").map(|t| t.is_empty()),
        Some(false)
    );

    for status in ["deviceOffline", "off", "unknown"] {
        let other = v3.camera_with_status(status).await;
        let response = v3
            .image(&format!(
                "media/liveImage.jpeg?deviceId={other}&type=preview"
            ))
            .await;
        let body = envelope(response, 503, "unavailable", "deviceUnavailable").await;
        assert_eq!(
            body["message"],
            "The resource is currently not available, please try later again"
        );
    }
    let main = v3
        .image(&format!("media/liveImage.jpeg?deviceId={esn}&type=main"))
        .await;
    envelope(main, 400, "invalidArgument", "wrongArgumentValue").await;
    let unknown = v3
        .image("media/liveImage.jpeg?deviceId=0badf00d&type=preview")
        .await;
    envelope(unknown, 404, "notFound", "resourceNotFound").await;
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_33_the_five_operators_find_the_right_frames() {
    let v3 = V3::new().await;
    let esn = v3.camera_named("Front Entrance").await;
    let live = v3
        .image(&format!("media/liveImage.jpeg?deviceId={esn}&type=preview"))
        .await;
    let newest = stamp(&live);
    let lte = v3.image(&recorded(&esn, "timestamp__lte", newest)).await;
    assert_eq!(stamp(&lte), newest);
    let lt = v3.image(&recorded(&esn, "timestamp__lt", newest)).await;
    let prev = stamp(&lt);
    assert!(prev < newest);
    let gt = v3.image(&recorded(&esn, "timestamp__gt", prev)).await;
    assert_eq!(stamp(&gt), newest);
    let gte = v3.image(&recorded(&esn, "timestamp__gte", prev + 1)).await;
    assert_eq!(stamp(&gte), newest);
    let exact = v3.image(&recorded(&esn, "timestamp", prev)).await;
    assert_eq!(stamp(&exact), prev);
    let body = exact.bytes().await.unwrap();
    assert_eq!(
        jpeg_comment(&body),
        format!("een-sim esn={esn} ts={}", EenTimestamp::from_millis(prev))
    );
    let miss = v3.image(&recorded(&esn, "timestamp", prev + 1)).await;
    envelope(miss, 404, "notFound", "resourceNotFound").await;

    // Clients send the user's local offset; it is the same instant.
    let local = jiff::Timestamp::from_millisecond(prev)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("America/Chicago").unwrap())
        .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string();
    assert!(local.contains("-0"), "{local}");
    let response = v3
        .image(&format!(
            "media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp={}",
            enc(&local)
        ))
        .await;
    assert_eq!(stamp(&response), prev);

    // Nothing before the retention window, none after the newest frame.
    let old = EenTimestamp::now().as_millis() - 8 * 86_400_000;
    let response = v3.image(&recorded(&esn, "timestamp__lte", old)).await;
    envelope(response, 404, "notFound", "resourceNotFound").await;
    let future = EenTimestamp::now().as_millis() + 60_000;
    let response = v3.image(&recorded(&esn, "timestamp__gte", future)).await;
    envelope(response, 404, "notFound", "resourceNotFound").await;
    // A camera that never sent an image.
    let never = v3.camera_named("Stairwell B").await;
    let response = v3.image(&recorded(&never, "timestamp__lte", newest)).await;
    envelope(response, 404, "notFound", "resourceNotFound").await;

    // Exactly one operator.
    let none = v3
        .image(&format!(
            "media/recordedImage.jpeg?deviceId={esn}&type=preview"
        ))
        .await;
    envelope(none, 400, "invalidArgument", "missingRequiredArgument").await;
    let two = v3
        .image(&format!(
            "{}&timestamp__gte={}",
            recorded(&esn, "timestamp__lte", newest),
            enc(&iso(prev))
        ))
        .await;
    envelope(two, 400, "invalidArgument", "wrongArgumentValue").await;
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_33_page_tokens_walk_the_recording_and_override_every_other_parameter() {
    let v3 = V3::with(|c| c.retention = Duration::from_secs(30)).await;
    let esn = v3.camera_named("Front Entrance").await;
    // The oldest frame: no previous token.
    let start = EenTimestamp::now().as_millis() - 60_000;
    let first = v3.image(&recorded(&esn, "timestamp__gte", start)).await;
    assert_eq!(first.status(), 200);
    assert!(header(&first, "x-een-prevtoken").is_none(), "the start");
    let mut times = vec![stamp(&first)];
    let mut next = header(&first, "x-een-nexttoken").expect("a next token");
    for _ in 0..5 {
        // `pageToken` wins over nonsense in the other parameters.
        let response = v3
            .image(&format!(
                "media/recordedImage.jpeg?pageToken={}&deviceId=0badf00d&type=bogus&timestamp=x",
                enc(&next)
            ))
            .await;
        assert_eq!(response.status(), 200);
        times.push(stamp(&response));
        next = header(&response, "x-een-nexttoken").expect("more frames");
    }
    assert!(times.windows(2).all(|w| w[0] < w[1]), "{times:?}");
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.iter().all(|g| (700..=1300).contains(g)), "{gaps:?}");
    // And back with the previous token.
    let back = v3
        .image(&format!(
            "media/recordedImage.jpeg?pageToken={}",
            enc(&next)
        ))
        .await;
    let prev = header(&back, "x-een-prevtoken").unwrap();
    let response = v3
        .image(&format!(
            "media/recordedImage.jpeg?pageToken={}",
            enc(&prev)
        ))
        .await;
    assert_eq!(stamp(&response), times[5]);
    let bad = v3
        .image("media/recordedImage.jpeg?pageToken=nonsense")
        .await;
    envelope(bad, 400, "invalidArgument", "wrongArgumentValue").await;
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_33_main_images_are_larger_and_throttled() {
    let v3 = V3::new().await;
    let esn = v3.camera_named("Front Entrance").await;
    let t = EenTimestamp::now().as_millis() - 10_000;
    let preview = v3.image(&recorded(&esn, "timestamp__lte", t)).await;
    let preview_ts = stamp(&preview);
    let preview = preview.bytes().await.unwrap();
    let main_url = format!(
        "media/recordedImage.jpeg?deviceId={esn}&type=main&timestamp__lte={}",
        enc(&iso(t))
    );
    let main = v3.image(&main_url).await;
    assert_eq!(main.status(), 200);
    assert_eq!(stamp(&main), preview_ts, "the same frame");
    let main = main.bytes().await.unwrap();
    assert!(
        main.len() > preview.len() * 2,
        "{} vs {}",
        main.len(),
        preview.len()
    );
    assert_eq!(jpeg_comment(&main), jpeg_comment(&preview));
    // The default allows two a second per token; a burst of five trips it.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(v3.image(&main_url).await.status().as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let response = v3.image(&main_url).await;
    if response.status() == 429 {
        envelope(response, 429, "tooManyRequests", "tooManyRequests").await;
    }
    // Previews are not throttled.
    for _ in 0..10 {
        assert_eq!(
            v3.image(&recorded(&esn, "timestamp__lte", t))
                .await
                .status(),
            200
        );
    }
    v3.sim.shutdown().await;
}

#[tokio::test]
async fn v3_sim_23_z_and_unencoded_plus_are_refused_as_the_spec_says() {
    let v3 = V3::with(|_| {}).await;
    let esn = v3.camera_named("Front Entrance").await;
    let t = EenTimestamp::now().as_millis() - 5_000;
    let zulu = iso(t).replace("+00:00", "Z");
    // Z: refused on /media, accepted by default on recordedImage.jpeg.
    let response = v3
        .get(&format!(
            "media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={}",
            enc(&zulu)
        ))
        .await;
    envelope(response, 400, "invalidArgument", "wrongArgumentValue").await;
    let response = v3
        .image(&format!(
            "media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp__lte={}",
            enc(&zulu)
        ))
        .await;
    assert_eq!(response.status(), 200);
    // A raw `+` decodes to a space: 400 everywhere.
    let raw_plus = iso(t).replace(':', "%3A");
    for path in [
        format!("media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp__lte={raw_plus}"),
        format!("media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={raw_plus}"),
    ] {
        let body = envelope(
            v3.get(&path).await,
            400,
            "invalidArgument",
            "wrongArgumentValue",
        )
        .await;
        assert!(body["message"].as_str().unwrap().contains("%2B"), "{body}");
    }
    for bad in ["now", "1700000000000", "20240101000000.000", "2024-01-01"] {
        let response = v3
            .image(&format!(
                "media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp__lte={bad}"
            ))
            .await;
        envelope(response, 400, "invalidArgument", "wrongArgumentValue").await;
    }
    v3.sim.shutdown().await;

    let v3 = V3::with(|c| c.v3.reject_z_everywhere = true).await;
    let response = v3
        .image(&format!(
            "media/recordedImage.jpeg?deviceId={esn}&type=preview&timestamp__lte={}",
            enc(&zulu)
        ))
        .await;
    envelope(response, 400, "invalidArgument", "wrongArgumentValue").await;
    v3.sim.shutdown().await;
}

/// `/media` intervals of `esn` over the last `days`, all pages.
async fn intervals(v3: &V3, esn: &str, days: i64, extra: &str) -> Vec<(i64, i64)> {
    let from = EenTimestamp::now().as_millis() - days * 86_400_000;
    let mut query = format!(
        "media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={}{extra}&pageSize=50",
        enc(&iso(from))
    );
    let mut out = Vec::new();
    loop {
        let body = v3.json(&query).await;
        assert!(body.get("totalSize").is_none(), "no totalSize on /media");
        for item in body["results"].as_array().unwrap() {
            assert_eq!(item["deviceId"], esn);
            assert_eq!(item["type"], "preview");
            assert_eq!(item["mediaType"], "image");
            out.push((
                iso_ms(item["startTimestamp"].as_str().unwrap()),
                iso_ms(item["endTimestamp"].as_str().unwrap()),
            ));
        }
        let next = body["nextPageToken"].as_str().unwrap().to_owned();
        if next.is_empty() {
            return out;
        }
        query = format!("{query}&pageToken={}", enc(&next));
    }
}

#[tokio::test]
async fn v3_sim_34_media_lists_recordings_with_gaps_that_images_respect() {
    let v3 = V3::new().await;
    let esn = v3.camera_named("Front Entrance").await;
    let spans = intervals(&v3, &esn, 7, "").await;
    assert!(spans.len() >= 3, "a week of recording has gaps: {spans:?}");
    assert!(spans.iter().all(|(s, e)| s <= e));
    assert!(spans.windows(2).all(|w| w[0].1 < w[1].0), "sorted, apart");
    let now = EenTimestamp::now().as_millis();
    assert!(spans.last().unwrap().1 > now - 5_000, "recording up to now");

    // Inside a gap there is no image; the neighbours are the ends of the two recordings.
    let (a, b) = (spans[1], spans[2]);
    let middle = (a.1 + b.0) / 2;
    let lte = v3.image(&recorded(&esn, "timestamp__lte", middle)).await;
    assert_eq!(stamp(&lte), a.1);
    let gte = v3.image(&recorded(&esn, "timestamp__gte", middle)).await;
    assert_eq!(stamp(&gte), b.0);
    let next = lte.headers()["x-een-nexttoken"]
        .to_str()
        .unwrap()
        .to_owned();
    let over = v3
        .image(&format!(
            "media/recordedImage.jpeg?pageToken={}",
            enc(&next)
        ))
        .await;
    assert_eq!(stamp(&over), b.0, "the next token jumps the gap");
    // The same frames through v1 (the same account and timeline).
    let v1 = sim::login(&v3.sim, &v3.client).await;
    let list = sim::get(
        &v3.client,
        sim::cluster_url(
            &v3.sim,
            &format!(
                "/asset/list/image.jpeg?c={esn};t={};e={};a=pre",
                EenTimestamp::from_millis(a.1 - 1),
                EenTimestamp::from_millis(b.0)
            ),
        ),
        &v1,
    )
    .await;
    let listed: Vec<Value> = list.json().await.unwrap();
    let listed: Vec<String> = listed
        .iter()
        .map(|i| i["s"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        listed,
        [
            EenTimestamp::from_millis(a.1).to_string(),
            EenTimestamp::from_millis(b.0).to_string()
        ]
    );

    // coalesce=false cuts recordings into pieces that end where the next starts.
    let pieces = intervals(&v3, &esn, 1, "&coalesce=false").await;
    let merged = intervals(&v3, &esn, 1, "").await;
    assert!(pieces.len() > merged.len());
    let mut rebuilt: Vec<(i64, i64)> = Vec::new();
    for piece in pieces {
        match rebuilt.last_mut() {
            Some(last) if last.1 == piece.0 => last.1 = piece.1,
            _ => rebuilt.push(piece),
        }
    }
    // Pieces that end before the range are left out, so only the first one may start later.
    assert_eq!(rebuilt.len(), merged.len());
    assert_eq!(rebuilt[1..], merged[1..]);
    assert_eq!(rebuilt[0].1, merged[0].1);
    assert!(rebuilt[0].0 >= merged[0].0);

    // A down camera's recording ends when it went down.
    let off = v3.camera_with_status("off").await;
    let spans = intervals(&v3, &off, 7, "").await;
    assert!(spans.last().unwrap().1 < now - 3_600_000);

    for (query, reason) in [
        (
            format!("media?deviceId={esn}&type=preview&mediaType=image"),
            "missingRequiredArgument",
        ),
        (
            format!(
                "media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={}&sort=%2BstartTimestamp",
                enc(&iso(now))
            ),
            "unexpectedArgument",
        ),
        (
            format!(
                "media?deviceId={esn}&type=preview&mediaType=audio&startTimestamp__gte={}",
                enc(&iso(now))
            ),
            "wrongArgumentValue",
        ),
        (
            format!(
                "media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={}&endTimestamp__lte={}",
                enc(&iso(now)),
                enc(&iso(now - 1000))
            ),
            "wrongArgumentValue",
        ),
        (
            format!(
                "media?deviceId={esn}&type=preview&mediaType=image&startTimestamp__gte={}&coalesce=maybe",
                enc(&iso(now))
            ),
            "wrongArgumentValue",
        ),
    ] {
        envelope(v3.get(&query).await, 400, "invalidArgument", reason).await;
    }
    v3.sim.shutdown().await;
}

/// The mean gap between the first `n` frames of `name` from a minute ago on.
async fn mean_gap(v3: &V3, name: &str, n: usize) -> i64 {
    let esn = v3.camera_named(name).await;
    let start = EenTimestamp::now().as_millis() - 20 * 60_000;
    let first = v3.image(&recorded(&esn, "timestamp__gte", start)).await;
    let mut times = vec![stamp(&first)];
    let mut next = header(&first, "x-een-nexttoken").unwrap();
    while times.len() < n {
        let response = v3
            .image(&format!(
                "media/recordedImage.jpeg?pageToken={}",
                enc(&next)
            ))
            .await;
        times.push(stamp(&response));
        next = header(&response, "x-een-nexttoken").unwrap();
    }
    (times[n - 1] - times[0]) / (n as i64 - 1)
}

#[tokio::test]
async fn v3_sim_35_preview_cadence_differs_per_camera_and_frames_match_v1() {
    let v3 = V3::new().await;
    let fast = mean_gap(&v3, "Cash Register", 12).await;
    let normal = mean_gap(&v3, "Front Entrance", 12).await;
    let slow = mean_gap(&v3, "Gate House", 6).await;
    let slowest = mean_gap(&v3, "Yard Analog Cam", 4).await;
    assert!((180..=330).contains(&fast), "0.25 s: {fast}");
    assert!((800..=1200).contains(&normal), "1 s: {normal}");
    assert!((3_300..=4_700).contains(&slow), "4 s: {slow}");
    assert!((13_000..=19_000).contains(&slowest), "16 s: {slowest}");

    // The frame v3 serves is byte for byte the frame v1 serves at that time.
    let v1 = sim::login(&v3.sim, &v3.client).await;
    let esn = v3.camera_named("Cash Register").await;
    let t = EenTimestamp::now().as_millis() - 30_000;
    let via_v3 = v3.image(&recorded(&esn, "timestamp__lte", t)).await;
    let ts = EenTimestamp::from_millis(stamp(&via_v3));
    let via_v3 = via_v3.bytes().await.unwrap();
    let via_v1 = sim::get(
        &v3.client,
        sim::cluster_url(
            &v3.sim,
            &format!("/asset/asset/image.jpeg?c={esn};t={ts};a=pre"),
        ),
        &v1,
    )
    .await;
    assert_eq!(via_v1.status(), 200);
    assert_eq!(via_v1.bytes().await.unwrap(), via_v3);
    assert_eq!(jpeg_comment(&via_v3), format!("een-sim esn={esn} ts={ts}"));
    v3.sim.shutdown().await;
}
