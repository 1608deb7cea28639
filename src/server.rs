//! Running the server: pick the upstream, build the state, serve, shut down cleanly.

use std::future::Future;
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use secrecy::SecretString;
use tokio::net::TcpListener;
use url::Url;

use crate::config::{Config, Upstream};
use crate::state::{AppState, Settings};
use crate::upstream::Backoff;
use crate::{app, een, sim};

/// The made-up domain of the demo simulator (`.invalid` can never be a real host).
const DEMO_DOMAIN: &str = "een-demo.invalid";

/// How long logging out of EEN may take on the way out.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs the gallery until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let (client, simulator) = match config.upstream()? {
        Upstream::Een {
            base_url,
            username,
            password,
        } => {
            tracing::info!(base_url = %base_url, username = %username, "using EEN account");
            let een_config = client_config(&config, base_url, username, password);
            let client = een::Client::new(een_config).context("cannot build the EEN client")?;
            (client, None)
        }
        Upstream::Demo => {
            let simulator = sim::spawn(sim::SimConfig {
                bind: ([127, 0, 0, 1], 0).into(),
                base_domain: DEMO_DOMAIN.to_owned(),
                // Nothing reads the request log in demo mode; it would only hold memory.
                request_log_limit: 0,
                ..sim::SimConfig::default()
            })
            .await
            .context("cannot start the built-in EEN simulator")?;
            tracing::warn!(
                simulator = %simulator.base_url(),
                "DEMO MODE: no EEN credentials configured, serving simulated cameras from the \
                 built-in EEN simulator. Set EEN_USERNAME and EEN_PASSWORD (or \
                 EEN_PASSWORD_FILE) to show a real account."
            );
            // The demo takes the same path as a real account: log in on `login.<domain>`, then
            // move to the cluster host; both names resolve to the simulator, in-process only.
            let mut een_config = client_config(
                &config,
                simulator.url_for_host(&simulator.login_host()),
                sim::DEMO_USERNAME.to_owned(),
                SecretString::from(sim::DEMO_PASSWORD),
            );
            een_config.resolve = vec![
                (simulator.login_host(), simulator.addr()),
                (simulator.cluster_host(), simulator.addr()),
            ];
            let client = een::Client::new(een_config).context("cannot build the EEN client")?;
            (client, Some(simulator))
        }
    };

    let state = AppState::new(
        client.clone(),
        Settings::from_config(&config, simulator.is_some()),
    );
    let keeper = state.spawn_keeper(Backoff::default());
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "serving the gallery");

    serve(
        listener,
        app(state),
        crate::shutdown::signal(),
        config.shutdown_timeout(),
    )
    .await
    .context("server failed")?;

    keeper.abort();
    match tokio::time::timeout(LOGOUT_TIMEOUT, client.logout()).await {
        Ok(Ok(())) => tracing::info!("logged out of EEN"),
        Ok(Err(error)) => tracing::warn!(error = %error, "EEN logout failed"),
        Err(_) => tracing::warn!("EEN logout timed out"),
    }
    if let Some(simulator) = simulator {
        simulator.shutdown().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The EEN client settings the configuration asks for.
fn client_config(
    config: &Config,
    base_url: Url,
    username: String,
    password: SecretString,
) -> een::ClientConfig {
    let mut een_config = een::ClientConfig::new(base_url, username, password);
    een_config.connect_timeout = config.een_connect_timeout();
    een_config.request_timeout = config.een_request_timeout();
    een_config.max_in_flight = config.een_max_in_flight;
    // A call may retry; leave it room for at least two full requests.
    een_config.call_deadline = een_config.call_deadline.max(een_config.request_timeout * 2);
    een_config
}

/// Serves `app` until `shutdown` completes, then lets open requests finish for at most
/// `drain` before returning.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> std::io::Result<()> {
    let (stopping, mut stopped) = tokio::sync::watch::channel(false);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        let _ = stopping.send(true);
    });
    tokio::select! {
        result = server => result,
        () = async move {
            let _ = stopped.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(drain).await;
        } => {
            tracing::warn!(?drain, "requests still open after the drain time; stopping anyway");
            Ok(())
        }
    }
}
