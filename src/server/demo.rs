//! Demo mode: the built-in EEN simulator as the account, reached the way a real one is.
//!
//! `server::run` uses this when no EEN credentials are configured, and the browser tests use
//! it to start the same demo in-process, so the two cannot drift apart.

use secrecy::SecretString;

use crate::een::{self, Backend, v1};
use crate::sim::{self, SimConfig, SimHandle};

/// The made-up domain of the demo simulator (`.invalid` can never be a real host).
pub const DOMAIN: &str = "een-demo.invalid";

/// The demo simulator's settings: a loopback port, the demo domain, no request log (nothing
/// reads it in demo mode; it would only hold memory).
pub fn sim_config() -> SimConfig {
    SimConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        base_domain: DOMAIN.to_owned(),
        request_log_limit: 0,
        ..SimConfig::default()
    }
}

/// Starts the demo simulator on a loopback port.
pub async fn spawn_simulator() -> std::io::Result<SimHandle> {
    sim::spawn(sim_config()).await
}

/// The v1 client settings for the demo account of `simulator`, with the default timeouts.
///
/// The demo takes the same path as a real account: log in on `login.<domain>`, then move to
/// the cluster host; both names resolve to the simulator, in-process only.
pub fn client_config(simulator: &SimHandle) -> v1::ClientConfig {
    let mut config = v1::ClientConfig::new(
        simulator.url_for_host(&simulator.login_host()),
        sim::DEMO_USERNAME.to_owned(),
        SecretString::from(sim::DEMO_PASSWORD),
    );
    config.resolve = vec![
        (simulator.login_host(), simulator.addr()),
        (simulator.cluster_host(), simulator.addr()),
    ];
    config
}

/// The backend for the demo account, from [`client_config`] (possibly adjusted).
pub fn backend(config: v1::ClientConfig) -> Result<Backend, een::Error> {
    v1::Client::new(config).map(Backend::from)
}
