//! The gallery under test: started in-process in demo mode on `127.0.0.1:0`, or an external
//! one (the container) named by `EEN_GALLERY_URL`.

use std::time::Duration;

use een_gallery::auth::Auth;
use een_gallery::cache::{Backoff, Status};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::demo;
use een_gallery::sim::{SimCamera, SimConfig, SimHandle};
use tokio::sync::oneshot;
use url::Url;

use crate::support::cameras;
use crate::support::gallery::{Served, serve};

/// The page deadline of the in-process galleries (see `in_process`).
const BUSY_PAGE_DEADLINE: Duration = Duration::from_secs(15);
/// Environment variable naming an already running gallery to test instead of an in-process one.
pub const GALLERY_URL_VAR: &str = "EEN_GALLERY_URL";

/// How long the in-process gallery may take to log in to its simulator.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A gallery to point the browser at, and the demo account it shows.
pub struct Gallery {
    base: Url,
    cameras: Vec<SimCamera>,
    /// Stops the in-process server when dropped (none for an external gallery).
    _stop: Option<oneshot::Sender<()>>,
    /// Keeps the in-process simulator alive.
    sim: Option<SimHandle>,
}

impl Gallery {
    /// The gallery at `$EEN_GALLERY_URL` if set, else a fresh in-process demo gallery.
    ///
    /// An external gallery must run in demo mode (the default with no EEN credentials): the
    /// scenarios look cameras up in the demo account, whose ids are the same on every run.
    pub async fn start() -> Self {
        match std::env::var(GALLERY_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Self::external(url.trim()).await,
            _ => Self::in_process(Auth::default(), Settings::default()).await,
        }
    }

    /// A fresh in-process demo gallery that lets in whom `auth` says. Never the external
    /// gallery: its users are not the test's.
    pub async fn with_auth(auth: Auth) -> Self {
        Self::in_process(auth, Settings::default()).await
    }

    /// A fresh in-process demo gallery with `settings` (a short preview lifetime, say), its
    /// simulator at hand to count EEN's calls. Never the external gallery: its simulator
    /// cannot be read.
    pub async fn with_settings(settings: Settings) -> Self {
        Self::in_process(Auth::default(), settings).await
    }

    async fn external(url: &str) -> Self {
        let base = Url::parse(url)
            .unwrap_or_else(|e| panic!("{GALLERY_URL_VAR}={url:?} is not a URL: {e}"));
        // The demo account is seeded from names, so a throwaway simulator lists the same cameras
        // as the one inside the external gallery.
        let sim = demo::spawn_simulator()
            .await
            .expect("the reference simulator starts");
        let cameras = sim.cameras();
        sim.shutdown().await;
        Self {
            base,
            cameras,
            _stop: None,
            sim: None,
        }
    }

    async fn in_process(auth: Auth, settings: Settings) -> Self {
        // The wiring of `server::run` in demo mode: API v3, connected by the simulator's
        // auto-approval; with a request log, so scenarios can count EEN's calls per camera.
        let sim = demo::spawn_simulator_with(SimConfig {
            request_log_limit: 100_000,
            ..demo::sim_config()
        })
        .await
        .expect("the demo simulator starts");
        let backend = demo::connected_v3_backend(demo::v3_client_config(&sim, demo::REDIRECT_URL))
            .await
            .expect("the gallery connects to its simulator over API v3");
        // A fresh gallery's first grid asks EEN for 9 previews while Chromium and another test
        // share the 2 cores of CI: a long page deadline keeps a "late" tile meaning broken,
        // not busy (the deadline's own behaviour is tested in tests/gallery/).
        let page_deadline = settings.page_deadline.max(BUSY_PAGE_DEADLINE);
        let state = AppState::new(
            backend,
            Settings {
                demo: true,
                page_deadline,
                ..settings
            },
        )
        .with_auth(auth);
        state.spawn_keeper(Backoff::default());
        let mut health = state.health.subscribe();
        tokio::time::timeout(READY_TIMEOUT, health.wait_for(|s| *s == Status::Ready))
            .await
            .expect("the gallery logs in to its simulator")
            .expect("health channel open");

        let Served { addr, stop, .. } = serve(app(state), Duration::from_secs(1)).await;
        let base = Url::parse(&format!("http://{addr}/")).expect("valid URL");
        Self {
            base,
            cameras: sim.cameras(),
            _stop: Some(stop),
            sim: Some(sim),
        }
    }

    /// `path` (with its query) on the gallery, as an absolute URL.
    pub fn url(&self, path: &str) -> String {
        self.base.join(path).expect("valid path").to_string()
    }

    /// The in-process gallery's simulator (none for an external gallery).
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    /// The gallery's origin, e.g. `http://127.0.0.1:41234`.
    pub fn origin(&self) -> String {
        self.base.origin().ascii_serialization()
    }

    /// The demo account's attached cameras: the ones the gallery may show.
    pub fn attached_cameras(&self) -> Vec<SimCamera> {
        cameras::shown(&self.cameras)
    }

    /// The attached camera with id `esn`.
    pub fn camera(&self, esn: &str) -> Option<SimCamera> {
        self.attached_cameras()
            .into_iter()
            .find(|c| c.esn.as_deref() == Some(esn))
    }

    /// Every id in the account (attached or not), to pick one that does not exist.
    pub fn all_ids(&self) -> Vec<String> {
        self.cameras.iter().filter_map(|c| c.esn.clone()).collect()
    }
}
