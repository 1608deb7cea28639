//! The images: one by timestamp (immutable) and a camera's latest preview (briefly cached).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::time::Instant;

use super::{parse_esn, parse_timestamp};
use crate::cache::Fetch;
use crate::een::Esn;
use crate::gallery::assets;
use crate::gallery::cache_policy::{self, IMMUTABLE};
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::Path;
use crate::gallery::state::AppState;
use crate::gallery::views;
use crate::timestamp::EenTimestamp;

/// How far ahead of this server's clock an image may be asked for (clocks differ a little);
/// anything later cannot exist yet and is answered without asking EEN.
pub(super) const CLOCK_SKEW_MS: i64 = 60_000;

/// `GET /cameras/{esn}/images/{timestamp}.jpg`: one image, immutable.
pub async fn image(
    State(state): State<AppState>,
    Path((esn, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let timestamp = parse_timestamp(file.strip_suffix(".jpg").ok_or(AppError::PageNotFound)?)?;
    if timestamp > EenTimestamp::now().add_millis(CLOCK_SKEW_MS) {
        return Ok(assets::placeholder_response(StatusCode::NOT_FOUND));
    }
    let etag = etag(&esn, timestamp);
    // The bytes behind a timestamped URL never change, so a revalidation needs no EEN call.
    if if_none_match(&headers, &etag) {
        return Ok(not_modified(&etag, cache_policy::header(IMMUTABLE)));
    }
    let cameras = match state.directory.get(deadline).await {
        Ok(cameras) => cameras,
        Err(_) => return Ok(assets::placeholder_response(StatusCode::OK)),
    };
    if cameras.camera(&esn).is_none() {
        return Err(AppError::CameraNotFound);
    }
    let fetched = state.images.image_until(esn, timestamp, deadline).await;
    Ok(match fetched {
        Fetch::Ready(bytes) => jpeg(bytes, &etag, cache_policy::header(IMMUTABLE), None),
        Fetch::Missing => assets::placeholder_response(StatusCode::NOT_FOUND),
        // Failed or late: the short-lived placeholder, so the browser asks again soon (a late
        // image is in the cache by then).
        Fetch::Failed(_) | Fetch::Late => assets::placeholder_response(StatusCode::OK),
    })
}

/// `GET /cameras/{esn}/preview.jpg`: the latest preview, cached briefly; the placeholder
/// (200) while there is none to show.
pub async fn preview(
    State(state): State<AppState>,
    Path(esn): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let cameras = match state.directory.get(deadline).await {
        Ok(cameras) => cameras,
        Err(_) => return Ok(assets::placeholder_response(StatusCode::OK)),
    };
    if cameras.camera(&esn).is_none() {
        return Err(AppError::CameraNotFound);
    }
    Ok(
        match state.images.latest_until(esn.clone(), deadline).await {
            Fetch::Ready(image) => {
                let cache_control =
                    cache_policy::latest_preview(state.settings.latest_preview_max_age);
                let etag = etag(&esn, image.timestamp);
                if if_none_match(&headers, &etag) {
                    not_modified(&etag, cache_control)
                } else {
                    let location =
                        views::image_href(state.setup.base_path(), &esn, image.timestamp);
                    jpeg(image.bytes, &etag, cache_control, Some(&location))
                }
            }
            // A camera without images is no broken link: its picture is the placeholder, as
            // its grid tile shows it (the camera list's thumbnails are these URLs, and a 404
            // there would be an error in every visitor's console).
            Fetch::Missing | Fetch::Failed(_) | Fetch::Late => {
                assets::placeholder_response(StatusCode::OK)
            }
        },
    )
}

fn etag(esn: &Esn, timestamp: EenTimestamp) -> String {
    format!("\"{esn}-{timestamp}\"")
}

/// Whether `If-None-Match` lists `etag` (weak comparison, as RFC 9110 asks for this header).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn not_modified(etag: &str, cache_control: HeaderValue) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_caching(response.headers_mut(), etag, cache_control);
    response
}

fn jpeg(bytes: Bytes, etag: &str, cache_control: HeaderValue, location: Option<&str>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    set_caching(headers, etag, cache_control);
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::CONTENT_LOCATION, location);
    }
    response
}

fn set_caching(headers: &mut HeaderMap, etag: &str, cache_control: HeaderValue) {
    // Built from an ESN and a timestamp: always a valid header.
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, cache_control);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_accepts_lists_and_weak_tags() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"a-b\""),
        );
        assert!(if_none_match(&headers, "\"a-b\""));
        assert!(!if_none_match(&headers, "\"a-c\""));
        assert!(!if_none_match(&HeaderMap::new(), "\"a-b\""));
    }
}
