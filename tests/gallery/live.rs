//! `latest.json`, what the live tiles ask (issue 15): the cached latest preview's time, its
//! immutable image URL and its age, one EEN call however many ask, guarded like the images.

use axum::http::StatusCode;
use een_gallery::gallery::Settings;
use een_gallery::sim::Endpoint;
use een_gallery::timestamp::EenTimestamp;
use serde_json::Value;
use std::time::Duration;

use crate::support::cameras::esn_of;
use crate::support::gallery::{Options, TestResponse, start, start_with};
use crate::support::jpeg;
use crate::support::signin::{Door, VIEWER};

fn json(answer: &TestResponse) -> Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.header("content-type"), Some("application/json"));
    serde_json::from_slice(&answer.body).expect("JSON")
}

#[tokio::test]
async fn it_names_the_latest_preview_its_image_viewer_and_age() {
    let app = start_with(Options {
        settings: Settings {
            latest_preview_max_age: Duration::from_millis(2500),
            ..Settings::default()
        },
        ..Options::default()
    })
    .await;
    let camera = app.online_camera();
    let esn = esn_of(&camera);
    let answer = app.get(&format!("/cameras/{esn}/latest.json")).await;
    // Never kept by the browser: each question must reach the server's cache.
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let preview = json(&answer);
    assert_eq!(preview["state"], "ready", "{preview}");
    assert_eq!(preview["online"], true);
    assert_eq!(preview["refresh_ms"], 2500);
    let ts: EenTimestamp = preview["timestamp"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        preview["src"],
        format!("/cameras/{esn}/images/{ts}.jpg").as_str()
    );
    assert_eq!(
        preview["href"],
        format!("/cameras/{esn}/frames/{ts}").as_str()
    );
    let age = preview["age_ms"].as_i64().expect("an age");
    let most = EenTimestamp::now().as_millis() - ts.as_millis();
    assert!((0..=most).contains(&age), "age {age} ms of {ts}");
    assert!(preview["alt"].as_str().unwrap().contains(&camera.name));
    let zone = jiff::tz::TimeZone::get(camera.time_zone.as_deref().unwrap()).unwrap();
    assert_eq!(
        preview["datetime"],
        ts.in_zone(&zone)
            .strftime("%Y-%m-%dT%H:%M:%S%.3f%:z")
            .to_string()
            .as_str()
    );

    // Its image is the frame it names, from the cache.
    app.sim.reset_stats();
    let image = app.get(preview["src"].as_str().unwrap()).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(
        jpeg::comment(&image.body).as_deref(),
        Some(format!("een-sim esn={esn} ts={ts}").as_str())
    );
    assert_eq!(app.sim.stats().image_requests(), 0);
}

#[tokio::test]
async fn many_askers_at_once_make_one_een_call() {
    let app = start().await;
    let esn = esn_of(&app.online_camera());
    app.sim.reset_stats();
    let asks: Vec<_> = (0..16)
        .map(|_| app.spawn_get(&format!("/cameras/{esn}/latest.json")))
        .collect();
    let mut times = Vec::new();
    for ask in asks {
        let preview = json(&ask.await.expect("the request ran"));
        times.push(preview["timestamp"].as_str().unwrap().to_owned());
    }
    times.dedup();
    assert_eq!(times.len(), 1, "all were told the same preview: {times:?}");
    assert_eq!(app.sim.stats().count(Endpoint::PrevImage), 1);
}

#[tokio::test]
async fn cameras_without_images_or_offline_say_so_and_bad_ids_are_404() {
    let app = start().await;
    let cameras = app.attached_cameras();
    let empty = cameras
        .iter()
        .find(|c| !c.has_images)
        .expect("a camera without images");
    let preview = json(
        &app.get(&format!("/cameras/{}/latest.json", esn_of(empty)))
            .await,
    );
    assert_eq!(preview["state"], "none", "{preview}");
    assert_eq!(preview["age"], "No images");
    assert!(preview["timestamp"].is_null());
    assert!(
        preview["src"]
            .as_str()
            .unwrap()
            .starts_with("/static/placeholder.svg")
    );

    let offline = cameras
        .iter()
        .find(|c| !c.is_online())
        .expect("an offline camera");
    let preview = json(
        &app.get(&format!("/cameras/{}/latest.json", esn_of(offline)))
            .await,
    );
    assert_eq!(preview["online"], false, "{preview}");

    app.sim.reset_stats();
    for path in [
        "/cameras/not-a-camera/latest.json",
        "/cameras/0badf00d/latest.json",
        "/cameras/ZZZZZZZZ/latest.json",
    ] {
        assert_eq!(app.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.sim.stats().image_requests(), 0);
}

#[tokio::test]
async fn with_sign_in_on_strangers_get_401_and_users_their_preview() {
    let door = Door::start().await;
    let esn = esn_of(&door.app.online_camera());
    let path = format!("/cameras/{esn}/latest.json");
    let stranger = door.get(&path, None).await;
    assert_eq!(stranger.status(), 401);
    let forged = door.get(&path, Some("een_session=forged")).await;
    assert_eq!(forged.status(), 401);

    let session = door.sign_in(VIEWER.0, VIEWER.1).await.expect("signs in");
    let answer = door.get(&path, Some(&session)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let preview: Value = answer.json().await.expect("JSON");
    assert_eq!(preview["state"], "ready", "{preview}");
}
