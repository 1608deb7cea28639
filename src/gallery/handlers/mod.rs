//! Request handlers, by family: parse the request, ask the cache layer, build a response.
//! `pages` (grid, camera), `images`, `connect` (the operator's v3 connect flow), `ops`.

pub mod connect;
pub mod images;
pub mod ops;
pub mod pages;

use super::error::{AppError, Result};
use super::state::AppState;
use super::views::Layout;
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

fn layout(state: &AppState) -> Layout {
    Layout::new(state.settings.demo, state.health.status())
}
