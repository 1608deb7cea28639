//! The frame viewer: one frame full size, with plain links to the frames just before and
//! after it, the newest frame and the camera page (`static/viewer.js` adds ←, →, Home and
//! Esc for them).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use tokio::time::Instant;

use super::images::CLOCK_SKEW_MS;
use super::pages::PAGE_SIZE;
use super::{html, layout, parse_esn, parse_timestamp};
use crate::cache::{Fetch, Trouble};
use crate::een::{Before, Esn, Side};
use crate::gallery::assets::PLACEHOLDER_SIZE;
use crate::gallery::cache_policy::{self, NO_STORE};
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::Path;
use crate::gallery::guard::Visitor;
use crate::gallery::jpeg::jpeg_size;
use crate::gallery::state::AppState;
use crate::gallery::views::{self, ImageView, Step, ViewerPage};
use crate::timestamp::EenTimestamp;

/// What stands in the frame's place in the URL for "the newest frame" (Home).
pub const NEWEST: &str = "newest";

/// `GET /cameras/{esn}/frames/{timestamp}`: the frame at `timestamp`, full size, captioned
/// in the camera's time zone; `…/frames/newest` redirects to the newest frame.
pub async fn frame(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((esn, at)): Path<(String, String)>,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let newest = at == NEWEST;
    let timestamp = if newest {
        None
    } else {
        Some(parse_timestamp(&at)?)
    };
    if timestamp.is_some_and(|ts| ts > EenTimestamp::now().add_millis(CLOCK_SKEW_MS)) {
        return Err(AppError::FrameNotFound);
    }
    let cameras = state.directory.get(deadline).await?;
    let camera = cameras.camera(&esn).ok_or(AppError::CameraNotFound)?;
    let base = state.setup.base_path();
    let Some(timestamp) = timestamp else {
        return newest_frame(&state, &esn, deadline).await;
    };

    let fetched = state
        .images
        .image_until(esn.clone(), timestamp, deadline)
        .await;
    let (caption, datetime) = views::caption(timestamp, &camera.time_zone);
    let alt = format!("{} at {caption}", camera.name);
    let image_href = views::image_href(base, &esn, timestamp);
    let (image, note) = match fetched {
        Fetch::Ready(bytes) => {
            let (width, height) = jpeg_size(&bytes).unwrap_or(PLACEHOLDER_SIZE);
            let image = ImageView {
                src: image_href.clone(),
                width,
                height,
                alt,
                state: "ready",
            };
            (image, None)
        }
        Fetch::Missing => return Err(AppError::FrameNotFound),
        Fetch::Failed(_) => (
            ImageView::placeholder(base, alt, "failed", PLACEHOLDER_SIZE),
            Some("(unavailable)"),
        ),
        Fetch::Late => (
            ImageView::placeholder(base, alt, "late", PLACEHOLDER_SIZE),
            Some("(still loading; reload)"),
        ),
    };
    // Both sides at once: each is a cache hit after a listing that showed them, else one
    // EEN call that brings the neighbour's JPEG along for the next step.
    let (older, newer) = tokio::join!(
        state
            .images
            .neighbour_until(&esn, timestamp, Side::Older, deadline),
        state
            .images
            .neighbour_until(&esn, timestamp, Side::Newer, deadline),
    );
    let step = |fetch: Fetch<EenTimestamp>, none: &'static str, failed: &'static str| match fetch {
        Fetch::Ready(ts) => (
            Some(Step {
                href: views::frame_href(base, &esn, ts),
                image: views::image_href(base, &esn, ts),
            }),
            "",
        ),
        Fetch::Missing => (None, none),
        Fetch::Failed(_) | Fetch::Late => (None, failed),
    };
    let (older, older_missing) = step(
        older,
        "This is the oldest image.",
        "The image before is unavailable; reload to try again.",
    );
    let (newer, newer_missing) = step(
        newer,
        "This is the newest image.",
        "The image after is unavailable; reload to try again.",
    );
    let camera_href = views::camera_href(base, &esn);
    let page = ViewerPage {
        layout: layout(&state, &visitor),
        name: camera.name.clone(),
        // The camera page that starts with this frame, so Esc returns to where it is.
        back_href: format!("{camera_href}?before={}", timestamp.add_millis(1)),
        camera_href,
        timestamp: timestamp.to_string(),
        image,
        image_href,
        caption,
        datetime,
        time_zone: views::time_zone_label(&camera.time_zone, EenTimestamp::now()),
        note,
        older,
        older_missing,
        newer,
        newer_missing,
        newest_href: format!("{base}/cameras/{esn}/frames/{NEWEST}"),
    };
    html(&page)
}

/// The newest frame's viewer, by a redirect: its URL names the frame, so it can be shared.
/// The newest frame is the first of the camera page's newest listing, which it shares.
async fn newest_frame(state: &AppState, esn: &Esn, deadline: Instant) -> Result<Response> {
    let listing = state
        .images
        .list(esn, Before::Now, PAGE_SIZE, deadline)
        .await;
    let newest = match listing {
        Err(failure) if failure.trouble() == Trouble::Missing => None,
        listed => listed?.first().copied(),
    };
    let newest = newest.ok_or(AppError::FrameNotFound)?;
    let location = views::frame_href(state.setup.base_path(), esn, newest);
    let mut response = Redirect::to(&location).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, cache_policy::header(NO_STORE));
    Ok(response)
}
