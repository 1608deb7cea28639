//! The pages: the grid of cameras and one camera's recent images.

use axum::extract::State;
use axum::response::Response;
use jiff::tz::TimeZone;
use rand::rngs::Xoshiro256PlusPlus;
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use tokio::time::Instant;

use super::wall::Wall;
use super::{html, layout, parse_esn, parse_timestamp};
use crate::cache::{Fetch, Trouble};
use crate::een::{Before, Camera, Esn, Image};
use crate::gallery::assets::PLACEHOLDER_SIZE;
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::{Path, Query};
use crate::gallery::frame_list::Frames;
use crate::gallery::guard::Visitor;
use crate::gallery::jpeg::jpeg_size;
use crate::gallery::state::AppState;
use crate::gallery::views::{self, CameraPage, GridPage, ImageView, StatusView, Tile};
use crate::timestamp::EenTimestamp;

/// Cameras on the grid.
pub const GRID_SIZE: usize = 9;
/// Images on a camera page.
pub const PAGE_SIZE: u32 = 20;

/// Query of the grid.
#[derive(Debug, Deserialize)]
pub struct GridQuery {
    seed: Option<String>,
    wall: Option<String>,
    rotate: Option<String>,
}

/// `GET /`: [`GRID_SIZE`] attached cameras chosen at random (or by `?seed=`), each with its
/// latest preview.
pub async fn grid(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<GridQuery>,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    let wall = Wall::from_query(query.wall.as_deref(), query.rotate.as_deref())?;
    let seed = match query.seed.as_deref().filter(|s| !s.is_empty()) {
        Some(seed) => seed.parse().map_err(|_| AppError::BadRequest("seed"))?,
        None => new_seed(),
    };
    let cameras = state.directory.get(deadline).await?;
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
    let base = state.setup.base_path();
    let tiles = chosen
        .iter()
        .zip(previews)
        .filter_map(|(esn, preview)| Some(tile(base, cameras.camera(esn)?, preview, now, size)))
        .collect::<Vec<_>>();
    if let Some(wall) = wall {
        return html(&wall.page(layout(&state, &visitor), tiles, seed, new_seed(), base));
    }
    let total = cameras.attached().len();
    let page = GridPage {
        layout: layout(&state, &visitor),
        summary: format!(
            "{} of {total} camera{}, chosen at random.",
            tiles.len(),
            if total == 1 { "" } else { "s" }
        ),
        tiles,
        shuffle_href: format!("{base}/?seed={}", new_seed()),
        permalink_href: format!("{base}/?seed={seed}"),
        wall_href: format!("{base}/?wall=1&seed={seed}"),
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

fn tile(
    base: &str,
    camera: &Camera,
    preview: Fetch<Image>,
    now: EenTimestamp,
    size: (u16, u16),
) -> Tile {
    let alt = format!("Latest image from {}", camera.name);
    let timestamp = match &preview {
        Fetch::Ready(image) => Some(image.timestamp.to_string()),
        _ => None,
    };
    let (image, age) = match preview {
        Fetch::Ready(image) => {
            let (width, height) = jpeg_size(&image.bytes).unwrap_or(size);
            let view = ImageView {
                src: views::image_href(base, &camera.esn, image.timestamp),
                width,
                height,
                alt,
                state: "ready",
            };
            (view, views::age(now, image.timestamp))
        }
        Fetch::Missing => (
            ImageView::placeholder(base, alt, "none", size),
            "No images".to_owned(),
        ),
        Fetch::Failed(_) => (
            ImageView::placeholder(base, alt, "failed", size),
            "Image unavailable".to_owned(),
        ),
        Fetch::Late => (
            ImageView::placeholder(base, alt, "late", size),
            "Image still loading".to_owned(),
        ),
    };
    Tile {
        esn: camera.esn.to_string(),
        name: camera.name.clone(),
        href: views::camera_href(base, &camera.esn),
        status: StatusView::from(camera.status),
        image,
        age,
        timestamp,
        live_href: views::live_href(base, &camera.esn),
    }
}

/// Query of the camera page: `before` (an instant, from the Older and Newer links) or `at`
/// (a date and time in the camera's zone, from the jump form); `before` wins when both are
/// given.
#[derive(Debug, Deserialize)]
pub struct CameraQuery {
    before: Option<String>,
    at: Option<String>,
}

/// The format of `<input type="datetime-local" step="1">` values.
const LOCAL_INPUT: &str = "%Y-%m-%dT%H:%M:%S";

/// A jump form's `at` (`2024-05-01T14:05` or with seconds), read without a zone: the camera's
/// is applied once the camera is known.
fn parse_local(text: &str) -> Result<jiff::civil::DateTime> {
    text.trim()
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| AppError::BadTime)
}

/// `at` in zone `tz` as an instant (a time skipped by a clock change counts as the one after
/// it, one repeated as its first).
fn in_zone(at: jiff::civil::DateTime, tz: &TimeZone) -> Result<EenTimestamp> {
    let zoned = tz.to_zoned_datetime(at).map_err(|_| AppError::BadTime)?;
    Ok(EenTimestamp::from_timestamp(zoned.timestamp()))
}

/// `GET /cameras/{esn}`: the camera's last [`PAGE_SIZE`] images (before `?before=`), newest
/// first, captioned in the camera's local time.
pub async fn camera(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(esn): Path<String>,
    Query(query): Query<CameraQuery>,
) -> Result<Response> {
    let deadline = Instant::now() + state.settings.page_deadline;
    // All parse before anything reaches EEN.
    let esn = parse_esn(&esn)?;
    let before = match query.before.as_deref().filter(|s| !s.is_empty()) {
        Some(text) => Some(parse_timestamp(text)?),
        None => None,
    };
    let at = match query.at.as_deref().filter(|s| !s.is_empty()) {
        Some(text) if before.is_none() => Some(parse_local(text)?),
        _ => None,
    };
    let cameras = state.directory.get(deadline).await?;
    let camera = cameras.camera(&esn).ok_or(AppError::CameraNotFound)?;
    let now = EenTimestamp::now();
    let jumped_to = match at {
        Some(at) => {
            let instant = in_zone(at, &camera.time_zone)?;
            if instant > now {
                return Err(AppError::FutureTime);
            }
            Some(instant)
        }
        None => None,
    };
    let before = before.or(jumped_to);
    let before_at = before.map_or(Before::Now, Before::At);
    let listing = state
        .images
        .list(&esn, before_at, PAGE_SIZE, deadline)
        .await;
    let timestamps = match listing {
        Err(failure) if failure.trouble() == Trouble::Missing => Vec::new(),
        listed => listed?,
    };
    let fetched = state.images.fetch_page(&esn, &timestamps, deadline).await;

    let tz = &camera.time_zone;
    // Late images take the size of the ones that arrived, so the page does not jump.
    let size = fetched
        .iter()
        .find_map(|f| match f {
            Fetch::Ready(bytes) => jpeg_size(bytes),
            _ => None,
        })
        .unwrap_or(PLACEHOLDER_SIZE);
    let base = state.setup.base_path();
    // The newest page keeps its first frame live (the live-tile script).
    let live = before.is_none() && !timestamps.is_empty();
    let frames_html = state.frames.render(Frames {
        camera,
        timestamps: &timestamps,
        fetched,
        size,
        base,
        live,
    })?;
    // EEN may answer fewer than asked although older images exist, so any non-empty page
    // links to the one before its oldest image; only an empty page is known to be the end.
    let camera_href = views::camera_href(base, &esn);
    let older_href = timestamps
        .last()
        .map(|oldest| format!("{camera_href}?before={oldest}"));
    let newer_href = before.map(|_| newer(&camera_href, &timestamps, now));
    let empty_message = match (jumped_to, before) {
        (Some(at), _) => format!(
            "There are no images of this camera before {}. Eagle Eye Networks keeps \
             recordings for a limited time, so this may be before the oldest one.",
            views::caption(at, tz).0
        ),
        (None, Some(_)) => "There are no older images of this camera.".to_owned(),
        (None, None) => "This camera has no images.".to_owned(),
    };
    let page = CameraPage {
        layout: layout(&state, &visitor),
        name: camera.name.clone(),
        status: StatusView::from(camera.status),
        time_zone: views::time_zone_label(tz, EenTimestamp::now()),
        frames_html,
        empty_message,
        older_href,
        newer_href,
        newest_href: before.map(|_| camera_href.clone()),
        jump_action: camera_href.clone(),
        jump_value: jumped_to
            .map(|at| at.in_zone(tz).strftime(LOCAL_INPUT).to_string())
            .unwrap_or_default(),
        jump_max: now.in_zone(tz).strftime(LOCAL_INPUT).to_string(),
        live,
    };
    html(&page)
}

/// The page after this one (`timestamps`, newest first): frames before the newest plus about
/// this page's time span (a little less, so that pages overlap by a frame or two rather than
/// leave a gap: there is no listing forwards in time), or the newest frames when that reaches
/// now.
fn newer(camera_href: &str, timestamps: &[EenTimestamp], now: EenTimestamp) -> String {
    let (Some(newest), Some(oldest)) = (timestamps.first(), timestamps.last()) else {
        return camera_href.to_owned();
    };
    let span = newest.as_millis() - oldest.as_millis();
    let target = newest.add_millis(span * 19 / 20 + 1);
    if span == 0 || target >= now {
        camera_href.to_owned()
    } else {
        format!("{camera_href}?before={target}")
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
}
