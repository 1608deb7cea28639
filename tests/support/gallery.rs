//! The gallery in front of its own simulator: the production router with an EEN client logged
//! in to it, called in-process with `oneshot` or served on a real loopback socket; and the
//! HTML helpers that read its pages.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use bytes::Bytes;
use een_gallery::cache::{Backoff, Status};
use een_gallery::een::v1::{self, ClientConfig};
use een_gallery::een::{self, Esn};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server;
use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, Faults, SimCamera, SimHandle};
use een_gallery::timestamp::EenTimestamp;
use http_body_util::BodyExt;
use scraper::{Html, Selector};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::ServiceExt;

use super::een::config_as;
use super::{cameras, sim};

/// How a test app is set up.
pub struct Options {
    /// Faults of the simulator from the start.
    pub faults: Faults,
    /// Gallery settings.
    pub settings: Settings,
    /// The password the gallery logs in with.
    pub password: String,
    /// Whether to start the keeper task and wait until the session is ready.
    pub connect: bool,
    /// Adjusts the EEN client's configuration (timeouts, retries) after the test defaults.
    pub client: fn(&mut ClientConfig),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            faults: Faults::default(),
            settings: Settings::default(),
            password: DEMO_PASSWORD.to_owned(),
            connect: true,
            client: |_| {},
        }
    }
}

/// A gallery in front of its own simulator.
pub struct TestApp {
    /// The simulator, to set faults and read its counters.
    pub sim: SimHandle,
    /// The gallery's state, to reach its caches and health directly.
    pub state: AppState,
    /// The production router over that state.
    pub router: Router,
}

/// An answer, fully read.
pub struct TestResponse {
    /// The status code.
    pub status: StatusCode,
    /// The headers as sent.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as HTML.
    pub fn html(&self) -> Html {
        Html::parse_document(&self.text())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A gallery with default options, logged in.
pub async fn start() -> TestApp {
    start_with(Options::default()).await
}

/// A gallery with `options`.
pub async fn start_with(options: Options) -> TestApp {
    let sim = sim::sim_with_faults(options.faults).await;
    let mut config = config_as(&sim, DEMO_USERNAME, &options.password);
    (options.client)(&mut config);
    let client = v1::Client::new(config).expect("client builds");
    let state = AppState::new(client, options.settings);
    let router = app(state.clone());
    let test_app = TestApp { sim, state, router };
    if options.connect {
        test_app.connect();
        test_app.wait_for(Status::Ready).await;
    }
    test_app
}

/// Keeper backoff for tests: retries quickly.
pub fn quick_backoff() -> Backoff {
    Backoff {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        keep_alive: Duration::from_secs(600),
    }
}

impl TestApp {
    /// Starts the keeper task (login with backoff).
    pub fn connect(&self) {
        self.state.spawn_keeper(quick_backoff());
    }

    /// Waits until the gallery's EEN status is `status` (fails the test after 10 s).
    pub async fn wait_for(&self, status: Status) {
        wait_for(&self.state, status).await;
    }

    /// `GET uri` through the production router.
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.request(
            Request::get(uri)
                .body(Body::empty())
                .expect("valid request"),
        )
        .await
    }

    /// Sends `request` through the production router.
    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        send(self.router.clone(), request).await
    }

    /// `GET uri` on a task of its own, so that many requests run at once.
    pub fn spawn_get(&self, uri: &str) -> tokio::task::JoinHandle<TestResponse> {
        let request = Request::get(uri)
            .body(Body::empty())
            .expect("valid request");
        tokio::spawn(send(self.router.clone(), request))
    }

    /// `GET uri`, expecting a 200 HTML page.
    pub async fn page(&self, uri: &str) -> Html {
        let response = self.get(uri).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "GET {uri}: {}",
            response.text()
        );
        assert!(
            response
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "GET {uri} is not HTML"
        );
        response.html()
    }

    /// The simulator's attached cameras (the ones the gallery may show).
    pub fn attached_cameras(&self) -> Vec<SimCamera> {
        cameras::shown(&self.sim.cameras())
    }

    /// An attached, online camera with images, in a time zone away from UTC.
    pub fn online_camera(&self) -> SimCamera {
        self.sim
            .cameras()
            .into_iter()
            .find(|c| cameras::is_live(c) && cameras::is_outside_utc(c))
            .expect("the demo account has an online camera outside UTC")
    }

    /// The timestamps of a camera's newest previews, asked of EEN directly.
    pub async fn newest_timestamps(&self, esn: &str, count: u32) -> Vec<EenTimestamp> {
        let esn: Esn = esn.parse().expect("valid ESN");
        self.state
            .een
            .list_previews(&esn, een::Before::Now, count)
            .await
            .expect("list previews")
            .into_iter()
            .map(|listed| listed.timestamp)
            .collect()
    }
}

/// Waits until the EEN status of the gallery with `state` is `status` (fails the test after
/// 10 s).
pub async fn wait_for(state: &AppState, status: Status) {
    let mut changes = state.health.subscribe();
    tokio::time::timeout(Duration::from_secs(10), changes.wait_for(|s| *s == status))
        .await
        .unwrap_or_else(|_| panic!("EEN status did not become {status:?}"))
        .expect("health channel open");
}

/// Sends `request` through `router`.
pub async fn send(router: Router, request: Request<Body>) -> TestResponse {
    let response = router
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body reads").to_bytes();
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// `GET uri` through `router`.
pub async fn get_via(router: &Router, uri: &str) -> TestResponse {
    let request = Request::get(uri)
        .body(Body::empty())
        .expect("valid request");
    send(router.clone(), request).await
}

/// A CSS selector.
pub fn sel(selector: &str) -> Selector {
    Selector::parse(selector).expect("valid selector")
}

/// The values of `attr` on every element matching `selector`.
pub fn attrs(html: &Html, selector: &str, attr: &str) -> Vec<String> {
    html.select(&sel(selector))
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// The text of the first element matching `selector`.
pub fn text(html: &Html, selector: &str) -> Option<String> {
    html.select(&sel(selector))
        .next()
        .map(|e| e.text().collect::<String>())
}

/// A router served on a real loopback socket.
pub struct Served {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Sending on it starts the graceful shutdown; dropping it does too.
    pub stop: oneshot::Sender<()>,
    /// The server task; it ends when the shutdown has drained.
    pub task: JoinHandle<io::Result<()>>,
}

/// Serves `router` with the production server on `127.0.0.1:0`. The socket is bound before
/// this returns, so the server accepts connections at once; `drain` is how long the graceful
/// shutdown waits for requests in flight.
pub async fn serve(router: Router, drain: Duration) -> Served {
    serve_with(router, server::Limits::default(), drain).await
}

/// [`serve`] within these connection limits.
pub async fn serve_with(router: Router, limits: server::Limits, drain: Duration) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(
        listener,
        router,
        limits,
        async move {
            let _ = stopped.await;
        },
        drain,
    ));
    Served { addr, stop, task }
}
