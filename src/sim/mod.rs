//! An EEN API v1 simulator: the demo account behind demo mode, and the test double.
//!
//! PUBLIC API CONTRACT (used by the client, the gallery, tests and benchmarks; keep these names).
//! The bodies here are placeholders to be replaced by the real implementation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
mod frames;

/// The demo user's login name (the public EEN demo account's, as the original app used).
pub const DEMO_USERNAME: &str = "demo@een.com";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "bettercloud";

/// How the simulator is set up. `Default` is the realistic demo.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen; `127.0.0.1:0` picks a free port.
    pub bind: SocketAddr,
    /// The base domain: the simulator answers `login.<domain>` and `<cluster>.<domain>` (SIM-01).
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
    /// Fault switches, all off by default; can be changed at run time with `SimHandle::set_faults`.
    pub faults: Faults,
}

/// Fault switches (SIM-23, SIM-50, SIM-51). Every one is off by default.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Fixed latency added to every request.
    pub latency: Duration,
    /// Uniform random jitter added on top of `latency`.
    pub jitter: Duration,
}

/// A running simulator. Dropping it does not stop it; call `shutdown`.
#[derive(Debug)]
pub struct SimHandle {}

/// Request counters and gauges for assertions (also served as JSON at `/_sim/stats`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    /// Requests per endpoint name, then per HTTP status.
    pub requests: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Requests per `Host` header value.
    pub hosts: BTreeMap<String, u64>,
    /// The most image requests (`/asset/*/image.jpeg`) ever in flight at once.
    pub images_in_flight_peak: u64,
}

/// Starts the simulator in-process and returns once it is listening.
pub async fn spawn(_config: SimConfig) -> std::io::Result<SimHandle> {
    unimplemented!()
}

/// Command-line options of `een-gallery sim`.
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, env = "SIM_BIND", default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,
}

/// Runs the simulator standalone until Ctrl-C or SIGTERM.
pub async fn run_standalone(_args: SimArgs) -> anyhow::Result<()> {
    unimplemented!()
}
