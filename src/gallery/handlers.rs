//! Request handlers: parse the request, ask the cache and directory, build a page.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use jiff::tz::TimeZone;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use tokio::time::Instant;

use crate::een::{self, Before, EenTimestamp, Esn, Image};
use crate::error::{AppError, Result};
use crate::gallery::assets::{self, PLACEHOLDER_SIZE};
use crate::gallery::extract::{Path, Query};
use crate::gallery::pages::{
    self, CameraPage, Frame, GridPage, ImageView, Layout, StatusView, Tile,
};
use crate::images::{Fetch, jpeg_size};
use crate::state::AppState;
use crate::upstream::Status;

/// Cameras on the grid.
pub const GRID_SIZE: usize = 9;
/// Images on a camera page.
pub const PAGE_SIZE: u32 = 20;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// How far ahead of this server's clock an image may be asked for (clocks differ a little);
/// anything later cannot exist yet and is answered without asking EEN.
const CLOCK_SKEW_MS: i64 = 60_000;

/// Query of the grid.
#[derive(Debug, Deserialize)]
pub struct GridQuery {
    seed: Option<String>,
}

/// `GET /`: [`GRID_SIZE`] attached cameras chosen at random (or by `?seed=`), each with its
/// latest preview.
pub async fn grid(
    State(state): State<AppState>,
    Query(query): Query<GridQuery>,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let seed = match query.seed.as_deref().filter(|s| !s.is_empty()) {
        Some(seed) => seed.parse().map_err(|_| AppError::BadRequest("seed"))?,
        None => new_seed(),
    };
    let cameras = within(deadline, state.directory.get()).await?;
    let chosen = choose(cameras.attached(), seed);
    let previews = state.images.fetch_latest(&chosen, deadline).await;
    // Placeholders take the size of the previews that arrived, so the tiles line up.
    let size = previews
        .iter()
        .find_map(|f| match f {
            Fetch::Ready(image) => jpeg_size(&image.bytes),
            _ => None,
        })
        .unwrap_or(PLACEHOLDER_SIZE);
    let now = EenTimestamp::now();
    let tiles = chosen
        .iter()
        .zip(previews)
        .filter_map(|(esn, preview)| Some(tile(cameras.camera(esn)?, preview, now, size)))
        .collect::<Vec<_>>();
    let total = cameras.attached().len();
    let page = GridPage {
        layout: layout(&state),
        summary: format!(
            "{} of {total} camera{}, chosen at random.",
            tiles.len(),
            if total == 1 { "" } else { "s" }
        ),
        tiles,
        shuffle_href: format!("/?seed={}", new_seed()),
        permalink_href: format!("/?seed={seed}"),
    };
    html(&page)
}

/// A fresh seed, short enough to read in a URL.
fn new_seed() -> u64 {
    rand::rng().random_range(1..1_000_000_000)
}

/// The seeded choice. The list is sorted by id and the generator is a named algorithm, so a
/// seed picks the same cameras (in the same order) on every replica and after restarts.
fn choose(attached: &[Esn], seed: u64) -> Vec<Esn> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    attached.sample(&mut rng, GRID_SIZE).cloned().collect()
}

fn tile(camera: &een::Camera, preview: Fetch<Image>, now: EenTimestamp, size: (u16, u16)) -> Tile {
    let alt = format!("Latest image from {}", camera.name);
    let (image, age) = match preview {
        Fetch::Ready(image) => {
            let (width, height) = jpeg_size(&image.bytes).unwrap_or(size);
            let view = ImageView {
                src: pages::image_href(&camera.esn, image.timestamp),
                width,
                height,
                alt,
                state: "ready",
            };
            (view, pages::age(now, image.timestamp))
        }
        Fetch::Failed(error) if matches!(*error, een::Error::NotFound) => (
            ImageView::placeholder(alt, "none", size),
            "No images".to_owned(),
        ),
        Fetch::Failed(_) => (
            ImageView::placeholder(alt, "failed", size),
            "Image unavailable".to_owned(),
        ),
        Fetch::Late => (
            ImageView::placeholder(alt, "late", size),
            "Image still loading".to_owned(),
        ),
    };
    Tile {
        esn: camera.esn.to_string(),
        name: camera.name.clone(),
        href: pages::camera_href(&camera.esn),
        status: StatusView::from(camera.status),
        image,
        age,
    }
}

/// Query of the camera page.
#[derive(Debug, Deserialize)]
pub struct CameraQuery {
    before: Option<String>,
}

/// `GET /cameras/{esn}`: the camera's last [`PAGE_SIZE`] images (before `?before=`), newest
/// first, captioned in the camera's local time.
pub async fn camera(
    State(state): State<AppState>,
    Path(esn): Path<String>,
    Query(query): Query<CameraQuery>,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    // Both parse before anything reaches EEN.
    let esn = parse_esn(&esn)?;
    let before = match query.before.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(parse_timestamp(text)?),
        None => None,
    };
    let cameras = within(deadline, state.directory.get()).await?;
    let camera = cameras.camera(&esn).ok_or(AppError::CameraNotFound)?;
    let listing = state
        .images
        .list(&esn, before.map_or(Before::Now, Before::At), PAGE_SIZE);
    let timestamps = match within(deadline, listing).await {
        Err(een::Error::NotFound) => Vec::new(),
        listed => listed?,
    };
    let fetched = state.images.fetch_page(&esn, &timestamps, deadline).await;

    let tz = camera.time_zone();
    // Late images take the size of the ones that arrived, so the page does not jump.
    let size = fetched
        .iter()
        .find_map(|f| match f {
            Fetch::Ready(bytes) => jpeg_size(bytes),
            _ => None,
        })
        .unwrap_or(PLACEHOLDER_SIZE);
    let frames = timestamps
        .iter()
        .zip(fetched)
        .map(|(&timestamp, fetch)| frame(camera, &tz, timestamp, fetch, size))
        .collect::<Vec<_>>();
    // EEN may answer fewer than asked although older images exist, so any non-empty page
    // links to the one before its oldest image; only an empty page is known to be the end.
    let older_href = timestamps
        .last()
        .map(|oldest| format!("/cameras/{esn}?before={oldest}"));
    let page = CameraPage {
        layout: layout(&state),
        name: camera.name.clone(),
        status: StatusView::from(camera.status),
        time_zone: pages::time_zone_label(&tz, EenTimestamp::now()),
        frames,
        empty_message: if before.is_some() {
            "There are no older images of this camera."
        } else {
            "This camera has no images."
        },
        older_href,
        newest_href: before.map(|_| pages::camera_href(&esn)),
    };
    html(&page)
}

fn frame(
    camera: &een::Camera,
    tz: &TimeZone,
    timestamp: EenTimestamp,
    fetch: Fetch<Bytes>,
    size: (u16, u16),
) -> Frame {
    let (caption, datetime) = pages::caption(timestamp, tz);
    let href = pages::image_href(&camera.esn, timestamp);
    let alt = format!("{} at {caption}", camera.name);
    let (image, note) = match fetch {
        Fetch::Ready(bytes) => {
            let (width, height) = jpeg_size(&bytes).unwrap_or(size);
            let image = ImageView {
                src: href.clone(),
                width,
                height,
                alt,
                state: "ready",
            };
            (image, None)
        }
        Fetch::Failed(_) => (
            ImageView::placeholder(alt, "failed", size),
            Some("(unavailable)"),
        ),
        Fetch::Late => (
            ImageView::placeholder(alt, "late", size),
            Some("(still loading; open it or reload)"),
        ),
    };
    Frame {
        timestamp: timestamp.to_string(),
        href,
        image,
        caption,
        datetime,
        note,
    }
}

/// `GET /cameras/{esn}/images/{timestamp}.jpg`: one image, immutable.
pub async fn image(
    State(state): State<AppState>,
    Path((esn, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let timestamp = parse_timestamp(file.strip_suffix(".jpg").ok_or(AppError::NotFound)?)?;
    if timestamp > EenTimestamp::now().add_millis(CLOCK_SKEW_MS) {
        return Ok(assets::placeholder_response(StatusCode::NOT_FOUND));
    }
    let etag = etag(&esn, timestamp);
    // The bytes behind a timestamped URL never change, so a revalidation needs no EEN call.
    if if_none_match(&headers, &etag) {
        return Ok(not_modified(&etag, IMMUTABLE));
    }
    let cameras = match within(deadline, state.directory.get()).await {
        Ok(cameras) => cameras,
        Err(_) => return Ok(assets::placeholder_response(StatusCode::OK)),
    };
    if cameras.camera(&esn).is_none() {
        return Err(AppError::CameraNotFound);
    }
    let images = state.images.clone();
    let fetch = detached_within(deadline, async move { images.image(&esn, timestamp).await });
    Ok(match fetch.await {
        Some(Ok(bytes)) => jpeg(bytes, &etag, IMMUTABLE, None),
        Some(Err(error)) if matches!(*error, een::Error::NotFound) => {
            assets::placeholder_response(StatusCode::NOT_FOUND)
        }
        // Failed or late: the short-lived placeholder, so the browser asks again soon (a late
        // image is in the cache by then).
        Some(Err(_)) | None => assets::placeholder_response(StatusCode::OK),
    })
}

/// `GET /cameras/{esn}/preview.jpg`: the latest preview, cached briefly.
pub async fn preview(
    State(state): State<AppState>,
    Path(esn): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let esn = parse_esn(&esn)?;
    let cameras = match within(deadline, state.directory.get()).await {
        Ok(cameras) => cameras,
        Err(_) => return Ok(assets::placeholder_response(StatusCode::OK)),
    };
    if cameras.camera(&esn).is_none() {
        return Err(AppError::CameraNotFound);
    }
    let cache_control = format!(
        "public, max-age={}",
        state.settings.latest_preview_max_age.as_secs()
    );
    let images = state.images.clone();
    let camera = esn.clone();
    let fetch = detached_within(deadline, async move { images.latest(&camera).await });
    Ok(match fetch.await {
        Some(Ok(image)) => {
            let etag = etag(&esn, image.timestamp);
            if if_none_match(&headers, &etag) {
                not_modified(&etag, &cache_control)
            } else {
                let location = pages::image_href(&esn, image.timestamp);
                jpeg(image.bytes, &etag, &cache_control, Some(&location))
            }
        }
        Some(Err(error)) if matches!(*error, een::Error::NotFound) => {
            assets::placeholder_response(StatusCode::NOT_FOUND)
        }
        Some(Err(_)) | None => assets::placeholder_response(StatusCode::OK),
    })
}

/// `GET /healthz`: the process serves HTTP.
pub async fn healthz() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok\n")
}

/// `GET /readyz`: 200 once an EEN session works; 503 (saying why) before that and while EEN
/// is unreachable or rejects the credentials.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let status = state.health.status();
    let code = if status == Status::Ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        [(header::CACHE_CONTROL, "no-store")],
        format!("{}\n", status.describe()),
    )
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(state.images.weighted_size()),
    )
}

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// Waits for an EEN call no longer than the page deadline, so a page never hangs on EEN.
async fn within<T>(
    deadline: Instant,
    call: impl Future<Output = Result<T, een::Error>>,
) -> Result<T, een::Error> {
    tokio::time::timeout_at(deadline, call)
        .await
        .unwrap_or(Err(een::Error::Timeout))
}

/// Runs an image fetch on its own task and waits for it until `deadline`; `None` when it is
/// late. A late fetch is not cancelled: it finishes in the background and fills the cache, as
/// a page's late images do.
async fn detached_within<T: Send + 'static>(
    deadline: Instant,
    fetch: impl Future<Output = T> + Send + 'static,
) -> Option<T> {
    match tokio::time::timeout_at(deadline, tokio::spawn(fetch)).await {
        Ok(Ok(outcome)) => Some(outcome),
        Ok(Err(error)) => {
            tracing::error!(error = %error, "image fetch task failed");
            None
        }
        Err(_) => None,
    }
}

fn parse_esn(text: &str) -> Result<Esn> {
    text.parse().map_err(|_| AppError::CameraNotFound)
}

fn parse_timestamp(text: &str) -> Result<EenTimestamp> {
    text.parse().map_err(|_| AppError::BadTimestamp)
}

fn layout(state: &AppState) -> Layout {
    Layout::new(state.settings.demo, state.health.status())
}

/// Renders a page; pages show live data, so no cache keeps them.
fn html(page: &impl Template) -> Result<Response> {
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
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

fn not_modified(etag: &str, cache_control: &str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    set_caching(response.headers_mut(), etag, cache_control);
    response
}

fn jpeg(bytes: Bytes, etag: &str, cache_control: &str, location: Option<&str>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    set_caching(headers, etag, cache_control);
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::CONTENT_LOCATION, location);
    }
    response
}

fn set_caching(headers: &mut HeaderMap, etag: &str, cache_control: &str) {
    // Both values are built from an ESN, a timestamp and constants: always valid headers.
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(cache_control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esns(n: usize) -> Vec<Esn> {
        (0..n)
            .map(|i| format!("{:08x}", 0x1000_0000 + i).parse().unwrap())
            .collect()
    }

    #[test]
    fn a_seed_picks_the_same_distinct_cameras() {
        let all = esns(40);
        let first = choose(&all, 42);
        assert_eq!(first.len(), GRID_SIZE);
        assert_eq!(choose(&all, 42), first);
        let mut unique = first.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), GRID_SIZE);
        assert_ne!(choose(&all, 43), first);
    }

    #[test]
    fn fewer_cameras_than_tiles_shows_them_all() {
        assert_eq!(choose(&esns(4), 7).len(), 4);
        assert!(choose(&[], 7).is_empty());
    }

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
