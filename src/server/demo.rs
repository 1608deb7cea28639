//! Demo mode: the built-in EEN simulator as the account, reached the way a real one is.
//!
//! `server::run` uses this when no EEN credentials are configured, and the browser tests use
//! it to start the same demo in-process, so the two cannot drift apart. The demo runs on API
//! v3 by default (the simulator approves the connect flow by itself, standing in for the
//! operator's one browser step) or on v1 (`EEN_API=v1`); the cameras are the same.

use std::net::SocketAddr;

use reqwest::header::LOCATION;
use secrecy::SecretString;
use url::Url;

use crate::een::{self, Backend, v1, v3};
use crate::sim::{self, SimConfig, SimHandle};

/// The made-up domain of the demo simulator (`.invalid` can never be a real host).
pub const DOMAIN: &str = "een-demo.invalid";

/// The redirect URI of the demo connection: EEN's documented local value, registered for the
/// simulator's demo client. Nothing listens there: the demo takes the code from the redirect.
pub const REDIRECT_URL: &str = "http://127.0.0.1:3333";

/// The gallery's own callback when it listens on `bind` (a wildcard address is reached on
/// loopback), as the demo registers it with its simulator.
pub fn callback_url(bind: SocketAddr) -> String {
    let host = if bind.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], bind.port()))
    } else {
        bind
    };
    format!("http://{host}/een/callback")
}

/// The demo simulator's settings: a loopback port, the demo domain, no request log (nothing
/// reads it in demo mode; it would only hold memory), and v3 consent given by the demo user.
pub fn sim_config() -> SimConfig {
    let mut config = SimConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        base_domain: DOMAIN.to_owned(),
        request_log_limit: 0,
        ..SimConfig::default()
    };
    config.v3.auto_approve = Some(sim::DEMO_USERNAME.to_owned());
    config
}

/// Starts the demo simulator on a loopback port.
pub async fn spawn_simulator() -> std::io::Result<SimHandle> {
    spawn_simulator_with(sim_config()).await
}

/// Starts a simulator with `config` and points its v3 `httpsBaseUrl` at its own port, so
/// the API host it names is reachable (in-process name overrides carry no port).
pub async fn spawn_simulator_with(config: SimConfig) -> std::io::Result<SimHandle> {
    let simulator = sim::spawn(config).await?;
    let api_host = format!("{}:{}", simulator.v3_api_host(), simulator.addr().port());
    simulator.set_v3_api_host(&api_host);
    Ok(simulator)
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

/// The v3 client settings for the demo application of `simulator` (its demo client id and
/// secret), redirecting to `redirect_uri` (exactly as registered): the auth, global API and account API hosts all
/// resolve to the simulator, in-process only.
pub fn v3_client_config(simulator: &SimHandle, redirect_uri: &str) -> v3::ClientConfig {
    let mut config = v3::ClientConfig::new(
        simulator.url_for_host(&simulator.v3_auth_host()),
        simulator.url_for_host(&simulator.v3_global_api_host()),
        sim::V3_DEMO_CLIENT_ID,
        SecretString::from(sim::V3_DEMO_CLIENT_SECRET),
        redirect_uri,
    );
    config.resolve = [
        simulator.v3_auth_host(),
        simulator.v3_global_api_host(),
        simulator.v3_api_host(),
    ]
    .into_iter()
    .map(|host| (host, simulator.addr()))
    .collect();
    config
}

/// The v3 backend for the demo account, connected at once (see [`approve`]). The
/// connection is kept in memory only.
pub async fn connected_v3_backend(config: v3::ClientConfig) -> anyhow::Result<Backend> {
    let resolve = config.resolve.clone();
    let backend = Backend::from(v3::Client::new(config, v3::Store::memory())?);
    approve(&backend, &resolve).await?;
    Ok(backend)
}

/// Runs the connect flow of `backend` against a simulator that approves authorize requests
/// by itself (its auto-approve switch): the code in its redirect is exchanged as the
/// gallery's callback would. `resolve` maps the simulator's host names to its address.
pub async fn approve(backend: &Backend, resolve: &[(String, SocketAddr)]) -> anyhow::Result<()> {
    let request = backend
        .begin_authorization()
        .ok_or_else(|| anyhow::anyhow!("the backend has no connect flow"))?;
    let mut browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    for (host, addr) in resolve {
        browser = browser.resolve(host, *addr);
    }
    let answer = browser.build()?.get(request.url).send().await?;
    let code = answer
        .headers()
        .get(LOCATION)
        .and_then(|location| location.to_str().ok())
        .and_then(|location| Url::parse(location).ok())
        .and_then(|to| {
            to.query_pairs()
                .find(|(name, _)| name == "code")
                .map(|(_, code)| code.into_owned())
        })
        .ok_or_else(|| {
            anyhow::anyhow!(
                "the simulator did not approve the connect flow (HTTP {})",
                answer.status()
            )
        })?;
    backend
        .complete_authorization(&code, &request.verifier)
        .await?;
    Ok(())
}
