//! Logging setup, the request span and the request log line.

use std::io::IsTerminal;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response, StatusCode, header};
use tower_http::trace::OnResponse;
use tracing::Span;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter used when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,een_gallery=info,tower_http=info";

/// Installs the global subscriber: `RUST_LOG` filters, `format` picks text or JSON lines.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_FILTER.into());
    // Colour codes only for a person at a terminal, not in container or journald logs; an
    // explicit `with_ansi` overrides tracing's own NO_COLOR check, so honour it here.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal() && !no_color);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // Only fails when a subscriber is already installed (tests); the first one wins.
    drop(result);
}

/// The span of one HTTP request: method and route template, never the raw URI (which could
/// carry arbitrary user input and would explode metric cardinality).
pub fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// The log line of each answered request: at INFO, but for images served (a 2xx answer
/// with an image) and revalidations (304, which carry no type), logged at DEBUG. A camera
/// page brings 20 image requests and the grid 9, so at INFO they would be most of the log
/// and, formatted and written one by one, about a sixth of a cached image's CPU; the page
/// that asked for them is logged, and so is any image that failed.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestLog;

impl<B> OnResponse<B> for RequestLog {
    fn on_response(self, response: &Response<B>, latency: Duration, _: &Span) {
        let status = response.status();
        let image = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"image/"));
        let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        if (image && status.is_success()) || status == StatusCode::NOT_MODIFIED {
            tracing::debug!(status = status.as_u16(), latency_ms, "answered");
        } else {
            tracing::info!(status = status.as_u16(), latency_ms, "answered");
        }
    }
}
