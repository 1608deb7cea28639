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
    /// API v3 options.
    #[command(flatten)]
    pub v3: super::V3Args,
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
            v3: self.v3.config()?,
            ..SimConfig::default()
        })
    }
}

/// Runs the simulator standalone until Ctrl-C or SIGTERM.
pub async fn run_standalone(args: SimArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let v3 = config.v3.clone();
    let cluster = config.cluster.clone();
    let domain = config.base_domain.clone();
    let sim = spawn(config)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?;
    let url = sim.base_url();
    // The demo credentials are public (they are the real demo account's); printing them is
    // the point of this command.
    println!("EEN simulator (API v1 and v3) listening on {url}");
    println!("  login host:   login.{domain} (any Host header is answered)");
    println!("  cluster host: {cluster}.{domain}");
    println!("  demo login:   {DEMO_USERNAME} / {DEMO_PASSWORD}");
    println!("  stats:        {url}_sim/stats");
    println!(
        "  try:          curl -s {url}g/aaa/authenticate -d 'username={DEMO_USERNAME}&password={DEMO_PASSWORD}'"
    );
    for line in super::v3::cli::describe(&v3, &domain, &cluster, sim.addr().port()) {
        println!("{line}");
    }
    tracing::info!(%url, endpoints = Endpoint::ALL.len(), "simulator running");
    crate::shutdown::signal().await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    fn parse(args: &[&str]) -> Result<SimConfig, String> {
        let cli = Cli::try_parse_from(std::iter::once("sim").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.sim.config().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_realistic_demo_on_port_9000() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.bind, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.base_domain, "eagleeyenetworks.com");
        assert!(config.cookie_domain && config.trailing_slash_500);
        assert_eq!(config.session_ttl, Duration::from_secs(14_400));
        assert_eq!(config.faults.latency, Duration::ZERO);
        assert!(config.faults.errors.is_empty());
    }

    #[test]
    fn flags_set_faults_and_switches() {
        let config = parse(&[
            "--bind=0.0.0.0:0",
            "--base-domain=een.test",
            "--no-cookie-domain",
            "--session-ttl-secs=5",
            "--latency-ms=40",
            "--jitter-ms=10",
            "--error-rate=0.25",
            "--error-status=502",
            "--unauthorized-after-login=2",
            "--rate-limit=50",
            "--missing-image-as-400",
        ])
        .unwrap();
        assert_eq!(config.base_domain, "een.test");
        assert!(!config.cookie_domain);
        assert_eq!(config.session_ttl, Duration::from_secs(5));
        assert_eq!(config.faults.latency, Duration::from_millis(40));
        assert_eq!(config.faults.jitter, Duration::from_millis(10));
        assert_eq!(config.faults.errors.len(), 1);
        assert_eq!(config.faults.errors[0].status, 502);
        assert_eq!(config.faults.unauthorized_after_login, 2);
        assert_eq!(config.faults.rate_limit_per_second, Some(50));
        assert!(config.faults.missing_image_as_400);
    }

    #[test]
    fn v3_sim_02_v3_flags_set_the_demo_client_and_the_api_host() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.v3.clients[0], super::super::V3Client::demo());
        assert!(config.v3.rotate_refresh_tokens);
        let config = parse(&[
            "--v3-client-id=abc",
            "--v3-client-secret=s3cret",
            "--v3-redirect-uri=http://127.0.0.1:8080/cb",
            "--v3-redirect-uri=https://gallery.example/cb",
            "--v3-api-host=127.0.0.1:9000",
            "--v3-access-token-ttl-secs=60",
            "--v3-no-rotate",
        ])
        .unwrap();
        let client = &config.v3.clients[0];
        assert_eq!(
            (client.id.as_str(), client.secret.as_str()),
            ("abc", "s3cret")
        );
        assert!(
            client
                .redirect_uris
                .contains(&"http://127.0.0.1:8080/cb".to_owned())
        );
        assert!(
            client
                .redirect_uris
                .contains(&"https://gallery.example/cb".to_owned())
        );
        assert_eq!(config.v3.api_host.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(config.v3.access_token_ttl, Duration::from_secs(60));
        assert!(!config.v3.rotate_refresh_tokens);
        assert!(parse(&["--v3-api-host=a b"]).is_err());
        assert!(parse(&["--v3-redirect-uri=ftp://x"]).is_err());
        assert!(parse(&["--v3-client-secret="]).is_err());
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(parse(&["--error-rate=2"]).is_err());
        assert!(parse(&["--error-status=418"]).is_err());
        assert!(parse(&["--preview-interval-ms=0"]).is_err());
        assert!(parse(&["--bind=nowhere"]).is_err());
    }
}
