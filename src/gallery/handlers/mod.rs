//! Request handlers, by family: parse the request, ask the cache layer, build a response.
//! `pages` (grid, camera), `images`, `connect` (the operator's v3 connect flow), `login`
//! (signing in and out), `ops`.

pub mod connect;
pub mod images;
pub mod login;
pub mod ops;
pub mod pages;

use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::cache_policy;
use super::error::{AppError, Result};
use super::guard::Visitor;
use super::state::AppState;
use super::views::{AccountView, Layout};
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

/// The frame of a page for `visitor`: the demo banner, EEN's status, who is signed in.
fn layout(state: &AppState, visitor: &Visitor) -> Layout {
    let base = state.setup.base_path();
    let account = visitor.user().map(|user| AccountView {
        name: user.name.clone(),
        admin_href: (user.is_admin() && state.account.can_connect()).then(|| format!("{base}/een")),
        sign_out_path: user.has_session.then(|| format!("{base}/logout")),
        csrf: user.csrf.clone(),
    });
    Layout::new(state.settings.demo, state.health.status()).with_account(account)
}

/// A rendered page, never stored by browsers or proxies (pages change with every view).
fn html(page: &impl Template) -> Result<Response> {
    let no_store = cache_policy::header(cache_policy::NO_STORE);
    Ok(([(header::CACHE_CONTROL, no_store)], Html(page.render()?)).into_response())
}
