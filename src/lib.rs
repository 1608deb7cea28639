//! een-gallery: a fast, small web gallery for Eagle Eye Networks (EEN) cloud cameras.
//!
//! Layers, top to bottom: `gallery` (HTTP pages and image responses), `images` (the image
//! cache and the 5-at-a-time page fetch), `een` (a typed EEN API v1 client that keeps a
//! session alive) and `sim` (an EEN API v1 simulator: the demo account and the test double).

pub mod cameras;
pub mod config;
pub mod een;
pub mod error;
pub mod gallery;
pub mod healthcheck;
pub mod images;
pub mod metrics;
pub mod server;
pub mod sim;
pub mod state;
pub mod telemetry;
pub mod timestamp;
pub mod upstream;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use state::{AppState, Settings};
pub use timestamp::EenTimestamp;

/// Longest a request may run; pages stop waiting for images long before this (the page
/// deadline), so it only catches the unexpected and bounds the shutdown drain.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The pages can load only their own CSS and images: no scripts, frames or forms.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The whole HTTP application: gallery routes, error pages, health and metrics endpoints.
pub fn app(state: AppState) -> Router {
    let gallery = gallery::router()
        .fallback(gallery::handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            gallery::error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            gallery::count_requests,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span::<axum::body::Body>)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    // Probes are frequent and boring: they stay out of the request log and the metrics.
    gallery
        .merge(gallery::ops_router())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}
