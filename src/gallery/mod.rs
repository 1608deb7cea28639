//! The web gallery: routes, pages and image responses.

pub mod assets;
pub mod extract;
pub mod handlers;
pub mod pages;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;

use crate::error::ErrorInfo;
use crate::metrics::Metrics;
use crate::state::AppState;

/// The gallery's pages, images and assets.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(handlers::grid))
        .route("/cameras/{esn}", get(handlers::camera))
        .route("/cameras/{esn}/preview.jpg", get(handlers::preview))
        .route("/cameras/{esn}/images/{file}", get(handlers::image))
        .route("/static/{name}", get(assets::serve))
}

/// Health and metrics endpoints for orchestrators.
pub fn ops_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .route("/metrics", get(handlers::metrics))
}

/// Replaces the plain-text body of an [`AppError`](crate::error::AppError) response with the
/// styled error page (which needs the state for the demo banner).
pub async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let Some(info) = response.extensions_mut().remove::<ErrorInfo>() else {
        return response;
    };
    let page = pages::ErrorPage {
        layout: pages::Layout::new(state.settings.demo, state.health.status()),
        status: info.status.as_u16(),
        title: info.title,
        detail: info.detail,
    };
    match page.render() {
        Ok(html) => {
            let (mut parts, _) = response.into_parts();
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(html))
        }
        Err(error) => {
            tracing::error!(error = %error, "error page failed to render; answering plain text");
            response
        }
    }
}

/// Counts requests by route template and status.
pub async fn count_requests(
    State(metrics): State<Metrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    metrics.http_request(&route, response.status().as_u16());
    response
}
