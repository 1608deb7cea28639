//! `een-gallery sim`: the simulator as a standalone server.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use super::{DEMO_PASSWORD, DEMO_USERNAME, Endpoint, ErrorFault, Faults, SimConfig, spawn};

/// Command-line options of `een-gallery sim` (each also read from an environment variable).
#[derive(Clone, Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on.
    #[arg(long, env = "SIM_BIND", default_value = "127.0.0.1:9000")]
    pub bind: SocketAddr,
    /// Base domain answered as `login.<domain>` and `<cluster>.<domain>` (any Host works).
    #[arg(long, env = "SIM_BASE_DOMAIN", default_value = "eagleeyenetworks.com")]
    pub base_domain: String,
    /// Cluster subdomain, also the session key prefix.
    #[arg(long, env = "SIM_CLUSTER", default_value = "c000")]
    pub cluster: String,
    /// Leave `Domain=` out of the session cookies (for clients on plain localhost).
    #[arg(long, env = "SIM_NO_COOKIE_DOMAIN")]
    pub no_cookie_domain: bool,
    /// Session lifetime in seconds.
    #[arg(long, env = "SIM_SESSION_TTL_SECS", default_value_t = 14_400)]
    pub session_ttl_secs: u64,
    /// Days of preview frames kept.
    #[arg(long, env = "SIM_RETENTION_DAYS", default_value_t = 7)]
    pub retention_days: u64,
    /// Milliseconds between preview frames of one camera.
    #[arg(long, env = "SIM_PREVIEW_INTERVAL_MS", default_value_t = 1000)]
    pub preview_interval_ms: u64,
    /// Fixed latency added to every request, in milliseconds.
    #[arg(long, env = "SIM_LATENCY_MS", default_value_t = 0)]
    pub latency_ms: u64,
    /// Random extra latency of up to this many milliseconds per request.
    #[arg(long, env = "SIM_JITTER_MS", default_value_t = 0)]
    pub jitter_ms: u64,
    /// Probability (0.0 to 1.0) that a request answers `--error-status` instead.
    #[arg(long, env = "SIM_ERROR_RATE", default_value_t = 0.0)]
    pub error_rate: f64,
    /// The status of injected errors: 500, 502, 503 or 504.
    #[arg(long, env = "SIM_ERROR_STATUS", default_value_t = 503)]
    pub error_status: u16,
    /// Answer the first N requests after each login on the cluster host with 401.
    #[arg(long, env = "SIM_UNAUTHORIZED_AFTER_LOGIN", default_value_t = 0)]
    pub unauthorized_after_login: u32,
    /// Per-session requests per second above which requests answer 429.
    #[arg(long, env = "SIM_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// Answer a missing image with 400 "no matching asset" instead of 404.
    #[arg(long, env = "SIM_MISSING_IMAGE_AS_400")]
    pub missing_image_as_400: bool,
}

impl SimArgs {
    /// The configuration these options describe.
    pub fn config(&self) -> anyhow::Result<SimConfig> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.error_rate),
            "--error-rate must be between 0.0 and 1.0"
        );
        anyhow::ensure!(
            [500, 502, 503, 504].contains(&self.error_status),
            "--error-status must be 500, 502, 503 or 504"
        );
        anyhow::ensure!(
            self.preview_interval_ms > 0,
            "--preview-interval-ms must be positive"
        );
        let errors = if self.error_rate > 0.0 {
            vec![ErrorFault {
                endpoint: None,
                status: self.error_status,
                rate: self.error_rate,
            }]
        } else {
            Vec::new()
        };
        Ok(SimConfig {
            bind: self.bind,
            base_domain: self.base_domain.clone(),
            cluster: self.cluster.clone(),
            cookie_domain: !self.no_cookie_domain,
            session_ttl: Duration::from_secs(self.session_ttl_secs),
            retention: Duration::from_secs(self.retention_days * 86_400),
            preview_interval: Duration::from_millis(self.preview_interval_ms),
            faults: Faults {
                latency: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
                errors,
                unauthorized_after_login: self.unauthorized_after_login,
                rate_limit_per_second: self.rate_limit,
                missing_image_as_400: self.missing_image_as_400,
                ..Faults::default()
            },
            ..SimConfig::default()
        })
    }
}

/// Runs the simulator standalone until Ctrl-C or SIGTERM.
pub async fn run_standalone(args: SimArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let cluster = config.cluster.clone();
    let domain = config.base_domain.clone();
    let sim = spawn(config)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let url = sim.base_url();
    // The demo credentials are public (they are the real demo account's); printing them is
    // the point of this command.
    println!("EEN API v1 simulator listening on {url}");
    println!("  login host:   login.{domain} (any Host header is answered)");
    println!("  cluster host: {cluster}.{domain}");
    println!("  demo login:   {DEMO_USERNAME} / {DEMO_PASSWORD}");
    println!("  stats:        {url}_sim/stats");
    println!(
        "  try:          curl -s {url}g/aaa/authenticate -d 'username={DEMO_USERNAME}&password={DEMO_PASSWORD}'"
    );
    tracing::info!(%url, endpoints = Endpoint::ALL.len(), "simulator running");
    shutdown_signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
