//! How the client reaches and logs in to EEN.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// How to reach and log in to EEN. `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Login host, default `https://login.eagleeyenetworks.com`.
    pub base_url: Url,
    /// Account user name (an email address).
    pub username: String,
    /// Account password.
    pub password: SecretString,
    /// TCP (and TLS) connect timeout of one request.
    pub connect_timeout: Duration,
    /// Timeout of one HTTP request, from sending it to the last byte of the answer.
    pub request_timeout: Duration,
    /// Deadline of one client call, including logging in, retries and waiting for a slot.
    pub call_deadline: Duration,
    /// Most requests in flight to EEN at once, over all callers, so that many viewers cannot
    /// trip EEN's rate limit.
    pub max_in_flight: usize,
    /// Retries of one call after a 429, 502, 503, 504 or a transport error.
    pub max_retries: u32,
    /// First backoff delay; it doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff delay (a `Retry-After` from EEN may ask for more, within the deadline).
    pub backoff_max: Duration,
    /// After EEN rejected the credentials or the account, how long calls report that failure
    /// again instead of trying to log in (an explicit `Client::login` always tries).
    pub rejected_login_cooldown: Duration,
    /// After login, move to the branded cluster host `{active_brand_subdomain}.{domain}` when
    /// the base host is `login.{domain}`, as EEN recommends for speed and robustness.
    pub cluster_host_switch: bool,
    /// DNS overrides (host name to address), e.g. to map `login.een.test` to a local simulator.
    pub resolve: Vec<(String, SocketAddr)>,
    /// The `User-Agent` sent to EEN.
    pub user_agent: String,
}

impl ClientConfig {
    /// EEN's canonical login host.
    pub const DEFAULT_BASE_URL: &'static str = "https://login.eagleeyenetworks.com";

    /// A configuration with the default timeouts, limits and retries.
    pub fn new(
        base_url: Url,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        Self {
            base_url,
            username: username.into(),
            password: password.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            call_deadline: Duration::from_secs(20),
            max_in_flight: 16,
            max_retries: 3,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            rejected_login_cooldown: Duration::from_secs(30),
            cluster_host_switch: true,
            resolve: Vec::new(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = ClientConfig::new(
            Url::parse(ClientConfig::DEFAULT_BASE_URL).unwrap(),
            "demo@een.com",
            "bettercloud-secret",
        );
        let shown = format!("{config:?}");
        assert!(!shown.contains("bettercloud-secret"), "{shown}");
        assert!(shown.contains("login.eagleeyenetworks.com"));
    }
}
