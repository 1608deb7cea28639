//! Who may use the gallery: the sign-in settings (`AUTH…`, `METRICS_TOKEN`, `PUBLIC_URL`).
//! Parsed here as given; `server` turns them into the gallery's `auth::Auth`.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{ConfigError, parse_secret, read_password_file};

/// The longest a session lifetime may be, in seconds (a year).
const YEAR_SECS: u64 = 366 * 86_400;

/// How visitors are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Users of the users file sign in on the gallery's own page.
    Users,
    /// Nobody signs in: everybody who reaches the gallery sees every camera. Only for a
    /// gallery behind a proxy that already authenticates.
    None,
    /// A trusted reverse proxy names the user in a header (AUTH_PROXY_HEADER), believed only
    /// from AUTH_TRUSTED_PROXIES.
    Proxy,
}

/// The sign-in settings.
#[derive(Clone, Debug, clap::Args)]
pub struct AccessConfig {
    /// Who may look: `users` (sign in with the users file), `none` (everybody), `proxy` (a
    /// trusted proxy's header). Default: `users`, creating a first `admin` with a random
    /// password (printed once in the log) when there is none; the demo stays open unless the
    /// users file has users.
    #[arg(long, env = "AUTH", value_enum)]
    pub auth: Option<AuthMode>,

    /// The users file (`een-gallery user …` edits it). Default: DATA_DIR/users.
    #[arg(long, env = "AUTH_USERS_FILE")]
    pub auth_users_file: Option<PathBuf>,

    /// The header a trusted proxy names the signed-in user in (AUTH=proxy).
    #[arg(long, env = "AUTH_PROXY_HEADER", default_value = "X-Forwarded-User")]
    pub auth_proxy_header: String,

    /// The header a trusted proxy names the user's role in (AUTH=proxy): `admin`, or anything
    /// else for a viewer. Without it every proxy user is a viewer.
    #[arg(long, env = "AUTH_PROXY_ROLE_HEADER")]
    pub auth_proxy_role_header: Option<String>,

    /// Reverse proxies trusted to name the user (AUTH=proxy) and the client's address
    /// (X-Forwarded-For, for the sign-in rate limit): addresses and CIDR blocks, comma
    /// separated, e.g. `127.0.0.1,10.0.0.0/8`.
    #[arg(long, env = "AUTH_TRUSTED_PROXIES", default_value = "")]
    pub auth_trusted_proxies: String,

    /// A session not used for this long ends, in seconds (default 12 hours).
    #[arg(long, env = "AUTH_SESSION_IDLE_SECS", default_value_t = 12 * 3600,
          value_parser = clap::value_parser!(u64).range(60..=YEAR_SECS))]
    pub auth_session_idle_secs: u64,

    /// Every session ends this long after sign-in, in seconds (default 7 days).
    #[arg(long, env = "AUTH_SESSION_MAX_SECS", default_value_t = 7 * 86_400,
          value_parser = clap::value_parser!(u64).range(60..=YEAR_SECS))]
    pub auth_session_max_secs: u64,

    /// Lets `Authorization: Bearer <token>` read /metrics (for Prometheus); otherwise only
    /// signed-in admins may, unless the gallery is open.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, value_parser = parse_secret)]
    pub metrics_token: Option<SecretString>,

    /// A file holding METRICS_TOKEN (e.g. a mounted secret).
    #[arg(long, env = "METRICS_TOKEN_FILE")]
    pub metrics_token_file: Option<PathBuf>,

    /// Where browsers reach the gallery, e.g. `https://gallery.example.com/`. Cookies are
    /// `Secure` and HSTS is sent when it is https. Default (API v3): EEN_REDIRECT_URL without
    /// /een/callback.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<Url>,
}

impl AccessConfig {
    /// How long sessions live: (idle, absolute).
    pub fn session_lifetimes(&self) -> (Duration, Duration) {
        let idle = Duration::from_secs(self.auth_session_idle_secs);
        let absolute = Duration::from_secs(self.auth_session_max_secs);
        (idle.min(absolute), absolute)
    }

    /// The metrics token, read from its file if given there.
    pub fn metrics_token(&self) -> Result<Option<SecretString>, ConfigError> {
        match (&self.metrics_token, &self.metrics_token_file) {
            (Some(_), Some(_)) => Err(ConfigError::TwoMetricsTokens),
            (Some(token), None) => Ok(Some(token.clone())),
            (None, Some(path)) => read_password_file(path).map(Some),
            (None, None) => Ok(None),
        }
    }
}
