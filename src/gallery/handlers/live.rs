//! `latest.json`: a camera's latest preview for the live tiles' script (`static/live.js`).
//!
//! It answers from the cache layer's latest preview, which is reused for its lifetime and
//! refreshed by one call at a time, so however many browsers ask, EEN sees at most one call
//! per camera per preview lifetime. The image it names is the timestamped (immutable) one
//! that preview was stored under, so loading it costs EEN nothing either.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

use super::parse_esn;
use crate::cache::Fetch;
use crate::een::CameraStatus;
use crate::gallery::assets;
use crate::gallery::cache_policy::{self, NO_STORE};
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::Path;
use crate::gallery::state::AppState;
use crate::gallery::views::{self, LivePreview};
use crate::timestamp::EenTimestamp;

/// `GET /cameras/{esn}/latest.json`: the latest preview's time, image URL and age.
pub async fn latest(State(state): State<AppState>, Path(esn): Path<String>) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let cameras = state.directory.get(deadline).await?;
    let camera = cameras.camera(&esn).ok_or(AppError::CameraNotFound)?;
    let base = state.setup.base_path();
    let alt = format!("Latest image from {}", camera.name);
    let refresh_ms =
        u64::try_from(state.settings.latest_preview_max_age.as_millis()).unwrap_or(u64::MAX);
    let mut preview = LivePreview {
        state: "ready",
        timestamp: None,
        src: format!("{base}{}", assets::href("placeholder.svg")),
        alt,
        href: None,
        caption: None,
        datetime: None,
        age_ms: None,
        age: String::new(),
        online: camera.status == CameraStatus::Online,
        refresh_ms,
    };
    match state.images.latest_until(esn.clone(), deadline).await {
        Fetch::Ready(image) => {
            let now = EenTimestamp::now();
            let (caption, datetime) = views::caption(image.timestamp, &camera.time_zone);
            preview.timestamp = Some(image.timestamp.to_string());
            preview.src = views::image_href(base, &esn, image.timestamp);
            preview.href = Some(views::frame_href(base, &esn, image.timestamp));
            preview.caption = Some(caption);
            preview.datetime = Some(datetime);
            preview.age_ms = Some((now.as_millis() - image.timestamp.as_millis()).max(0));
            preview.age = views::age(now, image.timestamp);
        }
        // The same words the grid uses for a tile without an image.
        Fetch::Missing => (preview.state, preview.age) = ("none", "No images".to_owned()),
        Fetch::Failed(_) => {
            (preview.state, preview.age) = ("failed", "Image unavailable".to_owned());
        }
        Fetch::Late => (preview.state, preview.age) = ("late", "Image still loading".to_owned()),
    }
    // Never kept: the next question must reach the server, whose cache answers it.
    Ok((
        [(header::CACHE_CONTROL, cache_policy::header(NO_STORE))],
        Json(preview),
    )
        .into_response())
}
