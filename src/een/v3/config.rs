//! How the v3 client reaches EEN and which application it is.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// The application registered at EEN and how to reach EEN. `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// EEN's OAuth2 host, default `https://auth.eagleeyenetworks.com`.
    pub auth_url: Url,
    /// EEN's global API host, where an account's own API host is discovered when a token
    /// answer does not name it.
    pub api_url: Url,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// The redirect URI, exactly as registered with EEN: it is compared character by
    /// character (`http://127.0.0.1:3333` is not `http://127.0.0.1:3333/`), so it is kept as
    /// text, not as a normalised URL.
    pub redirect_uri: String,
    /// TCP (and TLS) connect timeout of one request.
    pub connect_timeout: Duration,
    /// Timeout of one HTTP request, from sending it to the last byte of the answer.
    pub request_timeout: Duration,
    /// Deadline of one client call, including a token refresh, retries and waiting for a slot.
    pub call_deadline: Duration,
    /// Most requests in flight to EEN at once, over all callers.
    pub max_in_flight: usize,
    /// Retries of one call after a 429, 502, 503, 504 or a transport error.
    pub max_retries: u32,
    /// First backoff delay; it doubles per retry, with jitter.
    pub backoff_base: Duration,
    /// Longest backoff delay (a `Retry-After` may ask for more, within the deadline).
    pub backoff_max: Duration,
    /// How long before the access token expires it is refreshed (EEN suggests 5 minutes).
    pub refresh_ahead: Duration,
    /// DNS overrides (host name to address), e.g. to reach a local simulator.
    pub resolve: Vec<(String, SocketAddr)>,
    /// The `User-Agent` sent to EEN.
    pub user_agent: String,
}

impl ClientConfig {
    /// EEN's OAuth2 host.
    pub const DEFAULT_AUTH_URL: &'static str = "https://auth.eagleeyenetworks.com";
    /// EEN's global API host.
    pub const DEFAULT_API_URL: &'static str = "https://api.eagleeyenetworks.com";

    /// A configuration with the default timeouts, limits and retries.
    pub fn new(
        auth_url: Url,
        api_url: Url,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            auth_url,
            api_url,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            call_deadline: Duration::from_secs(20),
            max_in_flight: 16,
            max_retries: 3,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(5),
            refresh_ahead: Duration::from_secs(300),
            resolve: Vec::new(),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
