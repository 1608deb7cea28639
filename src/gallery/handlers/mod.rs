//! Request handlers, by family: parse the request, ask the cache layer, build a response.
//! `pages` (grid, camera) with `wall` (the grid as a wall), `viewer` (one frame full size),
//! `finder` (the camera list), `images`, `live` (the live tiles' JSON), `connect` (the
//! operator's v3 connect flow), `login` (signing in and out), `ops`.

pub mod connect;
pub mod finder;
pub mod images;
pub mod live;
pub mod login;
pub mod ops;
pub mod pages;
pub mod viewer;
pub mod wall;

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::cache_policy;
use super::error::{AppError, Result};
pub(crate) use super::frame::layout;
use crate::een::Esn;
use crate::timestamp::EenTimestamp;

/// Fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::PageNotFound
}

fn parse_esn(text: &str) -> Result<Esn> {
    text.parse().map_err(|_| AppError::CameraNotFound)
}

fn parse_timestamp(text: &str) -> Result<EenTimestamp> {
    text.parse().map_err(|_| AppError::BadTimestamp)
}

/// A rendered page, never stored by browsers or proxies (pages change with every view).
fn html(page: &impl Template) -> Result<Response> {
    let no_store = cache_policy::header(cache_policy::NO_STORE);
    Ok(([(header::CACHE_CONTROL, no_store)], Html(page.render()?)).into_response())
}
