//! The HTTP application: routes, the error page, handlers, view models, assets, and each
//! route's cache policy. Knows the cache layer's outcomes and the domain types only, never an
//! EEN error or wire format.
//!
//! - [`app`]: the whole router with its layers; [`router`] and [`ops_router`] list the routes;
//! - `state`: [`AppState`] and [`Settings`];
//! - `error`: [`AppError`](error::AppError), the error page;
//! - `handlers`: `pages` (grid, camera), `wall` (the grid as a wall), `viewer` (one frame),
//!   `images` (by timestamp, latest preview), `live` (the live tiles' JSON), `connect` (the
//!   operator's v3 connect flow), `login` (signing in and out), `ops`;
//! - `guard`: who is asking ([`guard::Visitor`]) and keeping strangers from camera data;
//!   `frame`: the layout around every page for that visitor; `frame_list`: a camera page's
//!   images, rendered once per listing; `cookies`: reading and setting them;
//! - `setup`: the setup token and the connect flows under way (v3);
//! - `views`: the view models and templates; `jpeg`: reading a JPEG's size for them;
//! - `assets`: the compiled-in stylesheet and images; `cache_policy`: every `Cache-Control`.

pub mod assets;
pub mod cache_policy;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod frame;
pub mod frame_list;
pub mod guard;
pub mod handlers;
pub mod jpeg;
pub mod setup;
pub mod state;
pub mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::CALLBACK_PATH;
use crate::metrics::Metrics;
use crate::telemetry;
pub use state::{AppState, Settings};

/// Longest a request may run; pages stop waiting for images long before this (the page
/// deadline), so it only catches the unexpected and bounds the shutdown drain.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest request body read: the gallery's only bodies are small forms (nginx's
/// `client_max_body_size` is 1 MiB for uploads; nothing is uploaded here).
const MAX_BODY_BYTES: usize = 16 * 1024;

/// The pages can load only their own CSS, images and scripts (files of this server, never
/// inline), fetch only from this server (the live tiles' JSON), and post forms (the
/// connection page's Disconnect) only to this server: no frames.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; img-src 'self'; style-src 'self'; \
     script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The whole HTTP application: gallery routes, error pages, health and metrics endpoints.
pub fn app(state: AppState) -> Router {
    let base = state.setup.base_path().to_owned();
    let gallery = router()
        .fallback(handlers::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            count_requests,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(telemetry::request_span::<axum::body::Body>)
                .on_response(telemetry::RequestLog),
        );
    // Over https, browsers are told to use nothing else for a year (HSTS; not for subdomains,
    // which the gallery does not speak for).
    let hsts = state
        .setup
        .is_https()
        .then(|| HeaderValue::from_static("max-age=31536000"));
    // Probes are frequent and boring: they stay out of the request log and the metrics.
    let app = gallery
        .merge(ops_router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::identify,
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            html_only_csp,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &Response| hsts.clone(),
        ))
        .with_state(state);
    under_base_path(app, base)
}

/// `app` answering under the path prefix `base` too (`/cams/cameras/…` as `/cameras/…`), so
/// a reverse proxy may pass the prefix on or strip it. The prefix is taken off before routing;
/// the links the pages carry have it.
fn under_base_path(app: Router, base: String) -> Router {
    if base.is_empty() {
        return app;
    }
    let strip = move |mut request: Request| {
        let uri = request.uri();
        let stripped = uri.path().strip_prefix(base.as_str()).and_then(|rest| {
            let path = match rest {
                "" => "/",
                rest if rest.starts_with('/') => rest,
                // `/camsX`: another path that only starts like the prefix.
                _ => return None,
            };
            let path_and_query = match uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path.to_owned(),
            };
            let mut parts = uri.clone().into_parts();
            parts.path_and_query = path_and_query.parse().ok();
            axum::http::Uri::from_parts(parts).ok()
        });
        if let Some(stripped) = stripped {
            *request.uri_mut() = stripped;
        }
        request
    };
    Router::new().fallback_service(tower::ServiceBuilder::new().map_request(strip).service(app))
}

/// The gallery's pages, images and assets. Camera pages and images are for visitors who may
/// view (see `guard`); sign-in, the connect flow (which checks its own proof), the assets and
/// the icon are for everybody.
pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/", get(handlers::pages::grid))
        .route("/cameras", get(handlers::finder::cameras))
        .route("/cameras/{esn}", get(handlers::pages::camera))
        .route(
            "/cameras/{esn}/frames/{timestamp}",
            get(handlers::viewer::frame),
        )
        .route_layer(axum::middleware::from_fn(guard::pages_need_viewer));
    let images = Router::new()
        .route("/cameras/{esn}/preview.jpg", get(handlers::images::preview))
        .route("/cameras/{esn}/images/{file}", get(handlers::images::image))
        .route("/cameras/{esn}/latest.json", get(handlers::live::latest))
        .route_layer(axum::middleware::from_fn(guard::images_need_viewer));
    let open = Router::new()
        .route(
            "/login",
            get(handlers::login::page).post(handlers::login::sign_in),
        )
        .route("/logout", post(handlers::login::sign_out))
        .route("/een", get(handlers::connect::manage))
        .route(
            "/een/connect",
            get(handlers::connect::connect).post(handlers::connect::connect_form),
        )
        .route(CALLBACK_PATH, get(handlers::connect::callback))
        .route("/een/disconnect", post(handlers::connect::disconnect))
        .route("/static/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon));
    pages.merge(images).merge(open)
}

/// Health and metrics endpoints for orchestrators.
pub fn ops_router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(handlers::ops::healthz))
        .route("/readyz", get(handlers::ops::readyz))
        .route("/metrics", get(handlers::ops::metrics))
}

/// The policy goes on HTML pages only: a browser shows an image opened on its own in a
/// generated page styled inline, which a `style-src 'self'` policy on the image would break.
fn html_only_csp(response: &Response) -> Option<HeaderValue> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    is_html.then(|| HeaderValue::from_static(CONTENT_SECURITY_POLICY))
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
