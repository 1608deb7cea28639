//! How a simulator is set up: [`SimConfig`] at start, [`Faults`] switchable at run time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rand::RngExt;

use super::Endpoint;
use super::v3::config::{V3Config, V3Faults};

/// How the simulator is set up. `Default` is the realistic demo.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub bind: SocketAddr,
    /// The base domain: the simulator answers `login.<domain>` and `<cluster>.<domain>` (SIM-01),
    /// and in fact any `Host` at all.
    pub base_domain: String,
    /// The cluster subdomain, also the session key prefix and `active_brand_subdomain`.
    pub cluster: String,
    /// Whether session cookies carry `Domain=.<base_domain>` (off for plain-localhost use).
    pub cookie_domain: bool,
    /// Session lifetime (SIM-22); the cookie's `Max-Age` is this minus one second.
    pub session_ttl: Duration,
    /// Authenticate token lifetime (SIM-12).
    pub token_ttl: Duration,
    /// How far back preview frames exist.
    pub retention: Duration,
    /// Mean time between preview frames of one camera (SIM-40).
    pub preview_interval: Duration,
    /// Frame width and height in pixels.
    pub frame_size: (u16, u16),
    /// Paths ending in `/` answer 500, as the real server does (SIM-03). On by default; when off
    /// the trailing slash is ignored.
    pub trailing_slash_500: bool,
    /// Unknown query or body parameters answer 400 "unexpected argument" (the documented
    /// behaviour), and so does a `realm` other than `eagleeyenetworks`. On by default.
    pub reject_unknown_params: bool,
    /// `GET /g/aaa/logout` works like `POST` (the reference Python client uses GET; SIM-16).
    /// On by default; when off GET answers 405.
    pub logout_via_get: bool,
    /// How many requests the in-memory request log keeps (oldest dropped first; SIM-62).
    pub request_log_limit: usize,
    /// Fault switches, all off by default; can be changed at run time with
    /// [`SimHandle::set_faults`](super::SimHandle::set_faults).
    pub faults: Faults,
    /// The API v3 side: OAuth clients, token lifetimes, the API host (V3-SIM-01 … 15).
    pub v3: V3Config,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            base_domain: "eagleeyenetworks.com".to_owned(),
            cluster: "c000".to_owned(),
            cookie_domain: true,
            session_ttl: Duration::from_secs(14_400),
            token_ttl: Duration::from_secs(30),
            retention: Duration::from_secs(7 * 24 * 3600),
            preview_interval: Duration::from_secs(1),
            frame_size: (320, 240),
            trailing_slash_500: true,
            reject_unknown_params: true,
            logout_via_get: true,
            request_log_limit: 10_000,
            faults: Faults::default(),
            v3: V3Config::default(),
        }
    }
}

/// Fault switches (SIM-23, SIM-44, SIM-50, SIM-51). Every one is off by default.
///
/// Build one with struct-update syntax, e.g.
/// `Faults { latency: Duration::from_millis(50), ..Faults::default() }`.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fixed latency added to every request.
    pub latency: Duration,
    /// Uniform random jitter in `[0, jitter)` added on top of `latency`.
    pub jitter: Duration,
    /// Extra latency for single endpoints, added to `latency` (SIM-51).
    pub endpoint_latency: BTreeMap<Endpoint, Duration>,
    /// Injected error answers (SIM-51), checked in order; the first that fires wins.
    pub errors: Vec<ErrorFault>,
    /// SIM-23: the first N authenticated requests after each login that arrive on a host other
    /// than `login.<base_domain>` answer 401 "session expired" (the session stays valid).
    pub unauthorized_after_login: u32,
    /// SIM-50: at most this many requests per session in any one-second span; more answer 429
    /// (and do not count).
    pub rate_limit_per_second: Option<u32>,
    /// SIM-50: add `Retry-After: <secs>` to 429 answers.
    pub retry_after_secs: Option<u32>,
    /// SIM-51: the next N `now`-relative asset requests (list or image with `t=now` or a
    /// `+`/`-` offset) answer 400 "no matching asset", as seen right after a real login.
    pub transient_no_matching_asset: u32,
    /// SIM-44: a missing image answers the observed 400 "no matching asset" envelope instead
    /// of the documented 404.
    pub missing_image_as_400: bool,
    /// SIM-44: what an asset or device request for a camera that does not exist answers.
    pub unknown_camera: UnknownCameraAnswer,
    /// API v3 faults (V3-SIM-40) beyond the ones above, which apply to v3 too.
    pub v3: V3Faults,
}

impl Faults {
    /// The injected delay for one request to `endpoint` (SIM-51; v3 takes the same switches):
    /// the latency, a uniform jitter and the endpoint's extra latency. The stats endpoint is
    /// never delayed, so tests can read counters at once.
    pub(crate) fn delay_for(&self, endpoint: Endpoint) -> Duration {
        if endpoint == Endpoint::Stats {
            return Duration::ZERO;
        }
        let jitter = if self.jitter.is_zero() {
            Duration::ZERO
        } else {
            self.jitter.mul_f64(rand::rng().random::<f64>())
        };
        let extra = self
            .endpoint_latency
            .get(&endpoint)
            .copied()
            .unwrap_or_default();
        self.latency + jitter + extra
    }
}

/// One injected error (SIM-51).
#[derive(Clone, Debug)]
pub struct ErrorFault {
    /// The endpoint it applies to; `None` means every EEN endpoint (never `/_sim/stats`).
    pub endpoint: Option<Endpoint>,
    /// The status to answer: 500, 502, 503 or 504 (others are answered as given).
    pub status: u16,
    /// Probability per request, `0.0..=1.0`.
    pub rate: f64,
}

impl ErrorFault {
    /// An error that always fires on `endpoint` (or everywhere, for `None`).
    pub fn always(endpoint: Option<Endpoint>, status: u16) -> Self {
        Self {
            endpoint,
            status,
            rate: 1.0,
        }
    }
}

/// What a request for an unknown camera ESN answers (SIM-44). The spec does not know; the
/// default is the documented "element not found".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownCameraAnswer {
    /// 404 "not found".
    #[default]
    NotFound,
    /// 403 "forbidden", as for a camera of another account.
    Forbidden,
    /// 400 "no matching asset".
    NoMatchingAsset,
}
