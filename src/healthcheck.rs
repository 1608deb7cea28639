//! `een-gallery healthcheck`: probes `/healthz` for container health checks, which run without
//! shell tools (no curl in the image).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::Url;

/// Options of `een-gallery healthcheck`.
#[derive(Clone, Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// URL to probe; by default `/healthz` on the server's own BIND address.
    #[arg(long, env = "HEALTHCHECK_URL")]
    pub url: Option<Url>,

    /// The server's listen address (used when --url is not given).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Give up after this many seconds.
    #[arg(long, default_value_t = 3)]
    pub timeout_secs: u64,
}

impl HealthcheckArgs {
    /// The URL to probe.
    pub fn target(&self) -> Url {
        if let Some(url) = &self.url {
            return url.clone();
        }
        // A wildcard listen address is reached through loopback.
        let ip = match self.bind.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let mut url = Url::parse("http://localhost/healthz").expect("a valid static URL");
        // Neither can fail on an http URL.
        let _ = url.set_ip_host(ip);
        let _ = url.set_port(Some(self.bind.port()));
        url
    }
}

/// Probes the URL; `true` when it answers 200.
pub async fn run(args: &HealthcheckArgs) -> bool {
    let target = args.target();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(args.timeout_secs))
        .no_proxy()
        .build();
    let result = match client {
        Ok(client) => client.get(target.clone()).send().await,
        Err(error) => Err(error),
    };
    match result {
        Ok(response) if response.status() == reqwest::StatusCode::OK => true,
        Ok(response) => {
            eprintln!("unhealthy: {target} answered {}", response.status());
            false
        }
        Err(error) => {
            eprintln!("unhealthy: {target}: {error}");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_probed_on_loopback() {
        let args = HealthcheckArgs {
            url: None,
            bind: "0.0.0.0:8080".parse().unwrap(),
            timeout_secs: 1,
        };
        assert_eq!(args.target().as_str(), "http://127.0.0.1:8080/healthz");
        let args = HealthcheckArgs {
            bind: "[::]:9000".parse().unwrap(),
            ..args
        };
        assert_eq!(args.target().as_str(), "http://[::1]:9000/healthz");
    }
}
