//! Running the server: pick the backend (or the demo), build the state, serve, shut down
//! cleanly. This is the wiring: the one module that knows every layer. `connect` is
//! `een-gallery connect`, the v3 connect flow from a terminal.

pub mod access;
pub mod connect;
pub mod demo;
mod listen;

pub use listen::{Limits, connection_budget, serve};

use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::cache::Backoff;
use crate::config::{Api, Config, OAuthApp, Upstream};
use crate::een::{Backend, v1, v3};
use crate::gallery::{AppState, Settings, app};
use crate::store::Store;

/// How long logging out of EEN may take on the way out.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the writes still going to the shared store may take on the way out, so the other
/// replicas find the frames this one fetched last.
const STORE_SETTLE_TIMEOUT: Duration = Duration::from_secs(1);

/// Runs the gallery until SIGINT or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let store_settings = config.store.settings()?;
    let store = match &store_settings {
        Some(settings) => {
            tracing::info!(
                store = %settings.url,
                prefix = %settings.prefix,
                "sharing frames, sign-ins, the EEN connection and its pace with the other \
                 replicas through the store"
            );
            Some(Store::connect(settings).context("cannot set up the store client")?)
        }
        None => None,
    };
    let (backend, simulator) = match config.upstream()? {
        Upstream::Een {
            base_url,
            username,
            password,
        } => {
            tracing::info!(base_url = %base_url, username = %username, "using EEN account");
            let mut een_config = v1::ClientConfig::new(base_url, username, password);
            tune(&config, &mut een_config);
            let client = v1::Client::new(een_config).context("cannot build the EEN client")?;
            (Backend::from(client), None)
        }
        Upstream::EenV3(app) => {
            tracing::info!(
                auth_url = %app.auth_url,
                client_id = %app.client_id,
                data_dir = %app.data_dir.display(),
                "using EEN API v3"
            );
            if !app
                .redirect_url
                .path()
                .ends_with(crate::config::CALLBACK_PATH)
            {
                tracing::warn!(
                    redirect = %app.redirect_uri,
                    "EEN_REDIRECT_URL does not end in /een/callback: the gallery cannot take \
                     EEN's redirect itself; connect with `een-gallery connect` instead"
                );
            }
            (v3_backend(&app, &config, store.as_ref())?, None)
        }
        Upstream::Demo(api) => {
            // The demo's own callback is registered with its simulator, so an operator can
            // try Disconnect and Connect on the demo as on a real account.
            let callback = demo::callback_url(config.bind);
            let mut sim_config = demo::sim_config();
            sim_config.v3.clients[0]
                .redirect_uris
                .push(callback.clone());
            let simulator = demo::spawn_simulator_with(sim_config)
                .await
                .context("cannot start the built-in EEN simulator")?;
            tracing::warn!(
                simulator = %simulator.base_url(),
                api = ?api,
                "DEMO MODE: no EEN account configured, serving simulated cameras from the \
                 built-in EEN simulator. Set EEN_CLIENT_ID (API v3) or EEN_USERNAME (API v1) \
                 to show a real account; see the README."
            );
            let backend = match api {
                Api::V1 => {
                    let mut een_config = demo::client_config(&simulator);
                    tune(&config, &mut een_config);
                    demo::backend(een_config).context("cannot build the EEN client")?
                }
                Api::V3 => {
                    let mut een_config = demo::v3_client_config(&simulator, &callback);
                    tune_v3(&config, &mut een_config);
                    demo::connected_v3_backend(een_config)
                        .await
                        .context("cannot connect to the demo simulator over API v3")?
                }
            };
            (backend, Some(simulator))
        }
    };

    if let Some(store) = &store {
        backend.share_pace(store);
    }
    let mut settings = Settings::from_config(&config, simulator.is_some());
    if simulator.is_some() {
        settings.public_url = demo::callback_url(config.bind)
            .parse::<url::Url>()
            .ok()
            .and_then(|url| url.join("/").ok());
    }
    let auth = access::auth(&config, simulator.is_some())?;
    let mut state = AppState::new(backend.clone(), settings).with_auth(auth);
    if let (Some(store), Some(settings)) = (&store, &store_settings) {
        state = state.with_store(store.clone(), settings.image_ttl);
    }
    let keeper = state.spawn_keeper(Backoff::default());
    let announcer = state.spawn_setup_announcer();
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "serving the gallery");

    let limits = limits(&config);
    tracing::info!(
        max_connections = limits.max_connections,
        header_timeout = ?limits.header_timeout,
        "connection limits"
    );
    serve(
        listener,
        app(state),
        limits,
        crate::shutdown::signal(),
        config.shutdown_timeout(),
    )
    .await
    .context("server failed")?;

    keeper.abort();
    announcer.abort();
    if let Some(store) = store
        && tokio::time::timeout(STORE_SETTLE_TIMEOUT, store.settled())
            .await
            .is_err()
    {
        tracing::warn!("writes to the store still under way at exit were dropped");
    }
    match tokio::time::timeout(LOGOUT_TIMEOUT, backend.close()).await {
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

/// Applies the EEN client settings the configuration asks for.
fn tune(config: &Config, een_config: &mut v1::ClientConfig) {
    een_config.connect_timeout = config.een_connect_timeout();
    een_config.request_timeout = config.een_request_timeout();
    een_config.max_in_flight = config.een_max_in_flight;
    // A call may retry; leave it room for at least two full requests.
    een_config.call_deadline = een_config.call_deadline.max(een_config.request_timeout * 2);
}

/// Applies the EEN client settings the configuration asks for (v3).
fn tune_v3(config: &Config, een_config: &mut v3::ClientConfig) {
    een_config.connect_timeout = config.een_connect_timeout();
    een_config.request_timeout = config.een_request_timeout();
    een_config.max_in_flight = config.een_max_in_flight;
    een_config.call_deadline = een_config.call_deadline.max(een_config.request_timeout * 2);
}

/// The v3 backend for a registered application, its connection kept in `store` when the
/// replicas share one, else in `DATA_DIR`. Makes no EEN call; the stored connection is read
/// on first use.
pub fn v3_backend(
    app: &OAuthApp,
    config: &Config,
    store: Option<&Store>,
) -> anyhow::Result<Backend> {
    let mut een_config = v3::ClientConfig::new(
        app.auth_url.clone(),
        app.api_url.clone(),
        app.client_id.clone(),
        app.client_secret.clone(),
        app.redirect_uri.clone(),
    );
    tune_v3(config, &mut een_config);
    let kept = match store {
        Some(store) => v3::Store::shared(store.clone()),
        None => v3::Store::file(&app.data_dir),
    };
    let client = v3::Client::new(een_config, kept).context("cannot build the EEN v3 client")?;
    Ok(Backend::from(client))
}

/// The connection bounds the configuration asks for.
pub fn limits(config: &Config) -> Limits {
    Limits {
        header_timeout: config.http_header_timeout(),
        max_connections: config.max_connections.map_or_else(connection_budget, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        }),
        max_header_bytes: usize::try_from(config.max_header_bytes).unwrap_or(usize::MAX),
    }
}
