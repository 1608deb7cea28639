//! The gallery under test: started in-process in demo mode on `127.0.0.1:0` (with sign-in on,
//! on a base path, behind a real nginx, as a scenario asks), or an external one (the container)
//! named by `EEN_GALLERY_URL`; and [`Gallery::browse`], which opens a browser on it.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use een_gallery::auth::{Auth, Lifetimes, TrustedProxies, UsersFile};
use een_gallery::cache::{Backoff, Status};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::demo;
use een_gallery::sim::{SimCamera, SimConfig, SimHandle};
use tokio::sync::oneshot;
use url::Url;

use crate::driver::{Browser, Driver, Options};
use crate::support::cameras;
use crate::support::connect::temp_dir;
use crate::support::gallery::{Served, serve};
use crate::support::nginx::Nginx;
use crate::support::signin::write_users;

/// The page deadline of the in-process galleries (see `in_process`).
const BUSY_PAGE_DEADLINE: Duration = Duration::from_secs(15);
/// Environment variable naming an already running gallery to test instead of an in-process one.
pub const GALLERY_URL_VAR: &str = "EEN_GALLERY_URL";

/// How long the in-process gallery may take to log in to its simulator.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// How an in-process gallery is set up.
#[derive(Debug, Default)]
pub struct Setup {
    /// Its settings (a short preview lifetime, a base path, ...).
    pub settings: Settings,
    /// Sign-in on, with the users file of `support::signin` (`ADMIN` and `VIEWER`).
    pub sign_in: bool,
    /// Reached through a real nginx on a loopback port, which passes the base path
    /// (`settings.base_path`) on: `location /base/ { proxy_pass http://gallery; }`.
    pub behind_nginx: bool,
}

/// A gallery to point the browser at, and the demo account it shows.
pub struct Gallery {
    /// Where the browser finds its grid (with the base path, ending in `/`).
    base: Url,
    cameras: Vec<SimCamera>,
    /// Stops the in-process server when dropped (none for an external gallery).
    _stop: Option<oneshot::Sender<()>>,
    /// Keeps the in-process simulator alive.
    sim: Option<SimHandle>,
    nginx: Option<Nginx>,
    /// The users file's directory, removed when dropped.
    users: Option<PathBuf>,
}

impl Gallery {
    /// The gallery at `$EEN_GALLERY_URL` if set, else a fresh in-process demo gallery.
    ///
    /// An external gallery must run in demo mode (the default with no EEN credentials): the
    /// scenarios look cameras up in the demo account, whose ids are the same on every run.
    pub async fn start() -> Self {
        match std::env::var(GALLERY_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => Self::external(url.trim()).await,
            _ => Self::with(Setup::default()).await,
        }
    }

    /// A fresh in-process demo gallery set up as `setup` says, its simulator at hand to count
    /// EEN's calls. Never the external gallery: its simulator cannot be read, its users are
    /// not the test's.
    pub async fn with(setup: Setup) -> Self {
        let users = setup.sign_in.then(|| temp_dir("browser-users"));
        let auth = match &users {
            Some(dir) => {
                std::fs::create_dir_all(dir).expect("a directory for the users file");
                let path = dir.join("users");
                write_users(&path);
                Auth::users(
                    UsersFile::open(&path).expect("open the users file"),
                    Lifetimes::default(),
                    TrustedProxies::default(),
                )
            }
            None => Auth::default(),
        };
        let prefix = setup.settings.base_path.clone().unwrap_or_default();
        let (addr, stop, sim) = in_process(auth, setup.settings).await;
        let nginx = if setup.behind_nginx {
            assert!(!prefix.is_empty(), "nginx passes a base path on: set one");
            let location = format!("    location {prefix}/ {{ proxy_pass http://{addr}; }}");
            // These tests are run on purpose (ci/browser-check.sh installs nginx with the
            // browser), so a missing nginx fails them as a missing browser does.
            let nginx = Nginx::start(&location).await;
            Some(nginx.expect("nginx is installed (apt-get install nginx)"))
        } else {
            None
        };
        let origin = nginx
            .as_ref()
            .map_or_else(|| format!("http://{addr}"), Nginx::base);
        Self {
            base: Url::parse(&format!("{origin}{prefix}/")).expect("valid URL"),
            cameras: sim.cameras(),
            _stop: Some(stop),
            sim: Some(sim),
            nginx,
            users,
        }
    }

    async fn external(url: &str) -> Self {
        let mut base = Url::parse(url)
            .unwrap_or_else(|e| panic!("{GALLERY_URL_VAR}={url:?} is not a URL: {e}"));
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
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
            nginx: None,
            users: None,
        }
    }

    /// Starts chromedriver, opens a browser session with `options`, and runs `scenario` with
    /// it and this gallery; the session is closed however the scenario ends.
    pub async fn browse<F, Fut>(self: &Arc<Self>, options: Options, scenario: F)
    where
        F: FnOnce(Browser, Arc<Gallery>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let driver = Driver::start().await;
        let gallery = Arc::clone(self);
        driver.run(options, move |b| scenario(b, gallery)).await;
    }

    /// The absolute URL of the gallery's `path` (with its query), under its base path.
    pub fn url(&self, path: &str) -> String {
        self.base
            .join(path.trim_start_matches('/'))
            .expect("valid path")
            .to_string()
    }

    /// The gallery's `path` as its pages write it: with the base path in front.
    pub fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix())
    }

    /// The base path (`/cameras-wall`), or nothing.
    pub fn prefix(&self) -> &str {
        self.base.path().trim_end_matches('/')
    }

    /// The in-process gallery's simulator (none for an external gallery).
    pub fn sim(&self) -> Option<&SimHandle> {
        self.sim.as_ref()
    }

    /// The nginx in front of it, if any.
    pub fn nginx(&self) -> Option<&Nginx> {
        self.nginx.as_ref()
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

impl Drop for Gallery {
    fn drop(&mut self) {
        if let Some(dir) = &self.users {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The wiring of `server::run` in demo mode, served on a loopback socket: API v3, connected
/// by the simulator's auto-approval; with a request log, so scenarios can count EEN's calls
/// per camera.
async fn in_process(
    auth: Auth,
    settings: Settings,
) -> (std::net::SocketAddr, oneshot::Sender<()>, SimHandle) {
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
    (addr, stop, sim)
}
