//! Static assets compiled into the binary (the stylesheet, images and the two small scripts),
//! served with a content hash in their URL.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::cache_policy::{self, FAVICON, IMMUTABLE, PLACEHOLDER, UNVERSIONED_ASSET};
use super::error::AppError;
use super::extract::{Path, Query};

/// The stylesheet.
pub const STYLE_CSS: &str = include_str!("../../static/style.css");
/// The image shown for a frame that is late, missing or failed.
pub const PLACEHOLDER_SVG: &str = include_str!("../../static/placeholder.svg");
/// The site icon.
pub const FAVICON_SVG: &str = include_str!("../../static/favicon.svg");
/// The live tiles (grid, wall, a camera's newest frame): refresh, pause, wall shuffle.
pub const LIVE_JS: &str = include_str!("../../static/live.js");
/// The frame viewer's keys.
pub const VIEWER_JS: &str = include_str!("../../static/viewer.js");

/// Width and height the placeholder is drawn at.
pub const PLACEHOLDER_SIZE: (u16, u16) = (640, 360);

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
    version: u64,
}

const ASSETS: [Asset; 5] = [
    asset("style.css", "text/css; charset=utf-8", STYLE_CSS),
    asset("placeholder.svg", "image/svg+xml", PLACEHOLDER_SVG),
    asset("favicon.svg", "image/svg+xml", FAVICON_SVG),
    asset("live.js", "text/javascript; charset=utf-8", LIVE_JS),
    asset("viewer.js", "text/javascript; charset=utf-8", VIEWER_JS),
];

/// An asset, its version the hash of its body.
const fn asset(name: &'static str, content_type: &'static str, body: &'static str) -> Asset {
    Asset {
        name,
        content_type,
        body,
        version: fnv1a(body.as_bytes()),
    }
}

/// FNV-1a: a content hash computed at compile time, so asset URLs change when assets do.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The versioned URL of an asset, e.g. `/static/style.css?v=1a2b…`.
pub fn href(name: &str) -> String {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => format!("/static/{}?v={:016x}", asset.name, asset.version),
        None => format!("/static/{name}"),
    }
}

/// Query of an asset URL.
#[derive(Debug, serde::Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /static/{name}`: immutable when asked for the current version, revalidated otherwise.
pub async fn serve(
    Path(name): Path<String>,
    Query(query): Query<AssetQuery>,
) -> Result<Response, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or(AppError::PageNotFound)?;
    let version = format!("{:016x}", asset.version);
    let cache_control = if query.v.as_deref() == Some(version.as_str()) {
        IMMUTABLE
    } else {
        UNVERSIONED_ASSET
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, cache_policy::header(cache_control)),
        ],
        asset.body,
    )
        .into_response())
}

/// `GET /favicon.ico`: browsers ask for it on pages without an icon link (an image opened on
/// its own); the SVG icon answers, as every current browser accepts SVG icons.
pub async fn favicon() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, cache_policy::header(FAVICON)),
        ],
        FAVICON_SVG,
    )
        .into_response()
}

/// The placeholder as an image response with a short cache lifetime, so a failed image is
/// retried soon instead of being remembered.
pub fn placeholder_response(status: axum::http::StatusCode) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, cache_policy::header(PLACEHOLDER)),
        ],
        PLACEHOLDER_SVG,
    )
        .into_response()
}
