//! An EEN API v1 simulator: the demo account behind demo mode, and the test double.
//!
//! It implements section 11 of the wire specification (`SIM-xx` requirements): login exactly
//! as real clients send it, sessions with cookies, the device list of a realistic demo account,
//! a preview timeline of about one frame per second per camera over the retention window,
//! image endpoints with EEN's headers, switchable faults, and counters for tests.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use een_gallery::sim::{self, SimConfig};
//! let sim = sim::spawn(SimConfig::default()).await?;
//! let login = sim.url_for_host("login.eagleeyenetworks.com"); // resolve it to 127.0.0.1
//! # let _ = login;
//! let stats = sim.stats();
//! # let _ = stats;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Like the real service it answers any `Host`; tests usually map `login.een.test` and
//! `c000.een.test` to `127.0.0.1` and set `base_domain` to `een.test`.
//!
//! # Layout
//!
//! Folders by role; every API shares the account, frames, timelines, counters and state:
//!
//! | module | holds |
//! |---|---|
//! | `mod.rs` | [`spawn`], [`SimHandle`], the public re-exports |
//! | `cli` | `een-gallery sim` |
//! | `config` | [`SimConfig`], [`Faults`] |
//! | `endpoint` | [`Endpoint`]: what stats count and faults target |
//! | `account/` | the demo account: `devices` (rows, ESNs, names, time zones), `users`; [`SimCamera`] |
//! | `frames/` | preview JPEGs: `canvas`, `scenes/`, `light`, `osd`, `jpeg`, the frame cache |
//! | `timeline` | when each camera has a frame |
//! | `recording` | a camera's timeline at its own cadence, minus the gaps it stopped recording |
//! | `hash` | the one stable hash every deterministic choice uses |
//! | `stats` | counters and the request log |
//! | `http/` | `state` (shared state, one parsed request), `query`, `body`, `dispatch` |
//! | `v1/` | API v1: `auth` (sessions), `aaa`, `devices`, `assets`, `params`, `wire` |
//! | `v3/` | API v3: `oauth` (codes, tokens), `auth` (`/oauth2/*`), `consent`, `users`, `cameras`, `media`, `wire`, `stats`, `config`, `cli`, `handle` |
//! | `golden` | (tests) the demo account and a dozen frames, pinned bit for bit |
//!
//! Imports flow one way: `http::dispatch` → the API folders (`v1/`, `v3/`) → `http::state` and the
//! shared modules. Nothing but this file imports `dispatch`; nothing shared imports an API. A
//! new API is a folder beside `v1/` and a branch in `http::dispatch`.

mod account;
mod cli;
mod config;
mod endpoint;
mod frames;
#[cfg(test)]
mod golden;
mod hash;
mod http;
mod recording;
mod stats;
mod timeline;
mod v1;
pub(crate) mod v3;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

pub use account::users::{DEMO_PASSWORD, DEMO_USERNAME, LOGIN_STATE_USERS};
pub use account::{DeviceKind, RESTRICTED_ESN, SimCamera};
pub use cli::{SimArgs, run_standalone};
pub use config::{ErrorFault, Faults, SimConfig, UnknownCameraAnswer};
pub use endpoint::Endpoint;
pub use stats::{MAX_HOSTS, MAX_RECORDED_BODY, OTHER_HOSTS, RecordedRequest, Stats};
pub use v1::assets::{DEFAULT_NEXT_TIMEOUT, MAX_LIST_COUNT, MAX_NEXT_TIMEOUT};
pub use v3::{
    V3_DEMO_CLIENT_ID, V3_DEMO_CLIENT_SECRET, V3_DEMO_REDIRECT_URIS, V3Args, V3Client, V3Config,
    V3Faults, V3Stats,
};

use http::dispatch::{self, Sim};

/// A running simulator. Dropping it does not stop it (it then runs as long as the tokio
/// runtime); call [`shutdown`](Self::shutdown).
pub struct SimHandle {
    addr: SocketAddr,
    sim: Arc<Sim>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Starts the simulator in-process and returns once it is listening.
pub async fn spawn(config: SimConfig) -> std::io::Result<SimHandle> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = watch::channel(false);
    let sim = Arc::new(Sim::new(config, stopped.clone()));
    let app = axum::Router::new()
        .fallback(dispatch::handle)
        .with_state(Arc::clone(&sim));
    let mut shutdown = stopped;
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app)
            .with_graceful_shutdown(async move { http::state::stopped(&mut shutdown).await });
        if let Err(error) = serve.await {
            tracing::error!(%error, "simulator server failed");
        }
    });
    Ok(SimHandle {
        addr,
        sim,
        stop,
        task,
    })
}

impl SimHandle {
    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> Url {
        self.url_for_host(&self.addr.ip().to_string())
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT/`, for a host name the client resolves to [`addr`](Self::addr).
    pub fn url_for_host(&self, host: &str) -> Url {
        let text = format!("http://{host}:{}/", self.addr.port());
        Url::parse(&text).unwrap_or_else(|_| {
            // Only a host that is not a valid URL host gets here; fall back to the address.
            let mut url = Url::parse("http://127.0.0.1/").expect("static URL parses");
            let _ = url.set_port(Some(self.addr.port()));
            url
        })
    }

    /// The login host name, `login.<base_domain>`.
    pub fn login_host(&self) -> String {
        format!("login.{}", self.sim.state.config.base_domain)
    }

    /// The cluster host name, `<cluster>.<base_domain>`.
    pub fn cluster_host(&self) -> String {
        format!(
            "{}.{}",
            self.sim.state.config.cluster, self.sim.state.config.base_domain
        )
    }

    /// The configuration it runs with (faults as at start).
    pub fn config(&self) -> &SimConfig {
        &self.sim.state.config
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.sim.state.recorder.snapshot()
    }

    /// Zeroes the counters and the peaks, and clears the request log.
    pub fn reset_stats(&self) {
        self.sim.state.recorder.reset();
    }

    /// Replaces the fault switches; takes effect for the next request.
    pub fn set_faults(&self, faults: Faults) {
        self.sim.state.set_faults(faults);
    }

    /// The fault switches in force.
    pub fn faults(&self) -> Faults {
        (*self.sim.state.faults()).clone()
    }

    /// The request log, oldest first (at most `request_log_limit` entries).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sim.state.recorder.requests()
    }

    /// Ends every current session: any later request with one answers 401.
    pub fn expire_sessions(&self) {
        self.sim.v1.expire_all();
    }

    /// Every device-list row of the demo account (bridges and unattached rows included).
    pub fn cameras(&self) -> Vec<SimCamera> {
        self.sim.state.devices.iter().map(SimCamera::from).collect()
    }

    /// Stops accepting, lets requests in flight finish (blocked `next` requests are cut
    /// short with 503) and returns when the server has stopped.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "simulator task failed");
        }
    }
}
