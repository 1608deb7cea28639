//! Server configuration: command-line flags with environment-variable fallbacks.
//!
//! Every setting has an environment variable so a container can be configured without a
//! command line; `een-gallery --help` lists them all. Durations carry their unit in the name.

pub mod access;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// The production EEN login host (API v1).
pub const DEFAULT_EEN_BASE_URL: &str = "https://login.eagleeyenetworks.com";
/// Where the gallery keeps its state (the v3 connection, the users file) by default.
pub const DEFAULT_DATA_DIR: &str = "data";
/// EEN's OAuth2 host (API v3).
pub const DEFAULT_EEN_AUTH_URL: &str = "https://auth.eagleeyenetworks.com";
/// EEN's global API host, where v3 discovers an account's own API host.
pub const DEFAULT_EEN_API_URL: &str = "https://api.eagleeyenetworks.com";

/// The longest any duration setting may be, in seconds (one day): every wait is added to the
/// current time, and a larger value (up to `u64::MAX`) would overflow it and fail every
/// request instead of being refused at start.
const DAY_SECS: u64 = 86_400;

/// Settings of the gallery server.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// EEN account user name (an email address). Without credentials the gallery runs in demo
    /// mode against its built-in simulator.
    #[arg(long, env = "EEN_USERNAME")]
    pub een_username: Option<String>,

    /// EEN account password. Prefer EEN_PASSWORD_FILE for secrets mounted as files.
    #[arg(long, env = "EEN_PASSWORD", hide_env_values = true, value_parser = parse_secret)]
    pub een_password: Option<SecretString>,

    /// File holding the EEN password (Docker and Kubernetes secrets); one trailing newline is
    /// ignored.
    #[arg(long, env = "EEN_PASSWORD_FILE")]
    pub een_password_file: Option<PathBuf>,

    /// EEN login host (API v1).
    #[arg(long, env = "EEN_BASE_URL", default_value = DEFAULT_EEN_BASE_URL)]
    pub een_base_url: Url,

    /// OAuth client id of the application registered at EEN (API v3). Setting it selects
    /// v3; see the README for registering the application.
    #[arg(long, env = "EEN_CLIENT_ID")]
    pub een_client_id: Option<String>,

    /// OAuth client secret of that application. Prefer EEN_CLIENT_SECRET_FILE.
    #[arg(long, env = "EEN_CLIENT_SECRET", hide_env_values = true, value_parser = parse_secret)]
    pub een_client_secret: Option<SecretString>,

    /// File holding the OAuth client secret; one trailing newline is ignored.
    #[arg(long, env = "EEN_CLIENT_SECRET_FILE")]
    pub een_client_secret_file: Option<PathBuf>,

    /// The redirect URI registered with the application, exactly as registered (EEN compares
    /// it character by character); the gallery serves it at /een/callback, e.g.
    /// https://gallery.example.com/een/callback. `een-gallery connect` also takes EEN's local
    /// value http://127.0.0.1:3333.
    #[arg(long, env = "EEN_REDIRECT_URL")]
    pub een_redirect_url: Option<String>,

    /// EEN's OAuth2 host (API v3).
    #[arg(long, env = "EEN_AUTH_URL", default_value = DEFAULT_EEN_AUTH_URL)]
    pub een_auth_url: Url,

    /// EEN's global API host, for discovering the account's API host (API v3).
    #[arg(long, env = "EEN_API_URL", default_value = DEFAULT_EEN_API_URL)]
    pub een_api_url: Url,

    /// Where the EEN v3 connection (its tokens) is kept, in one file readable by this user
    /// only. Mount a volume here in a container.
    #[arg(long, env = "DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    pub data_dir: PathBuf,

    /// Which EEN API demo mode simulates (without credentials).
    #[arg(long, env = "EEN_API", value_enum, default_value_t = Api::V3)]
    pub een_api: Api,

    /// Address to listen on (use 0.0.0.0:8080 in a container).
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// The path prefix the gallery is served under behind a reverse proxy, e.g.
    /// `/cameras-wall`: every link, asset, redirect and cookie path starts with it. The proxy
    /// may pass the prefix on or strip it. Default: the path of PUBLIC_URL (or of the v3
    /// redirect URI), else the root.
    #[arg(long, env = "BASE_PATH", value_parser = parse_base_path)]
    pub base_path: Option<String>,

    /// Size of the in-memory image cache, in MiB.
    #[arg(long, env = "IMAGE_CACHE_MIB", default_value_t = 64)]
    pub image_cache_mib: u64,

    /// How long the camera list is served before it is refreshed in the background, in seconds.
    #[arg(long, env = "CAMERA_LIST_TTL_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS))]
    pub camera_list_ttl_secs: u64,

    /// How long a page waits for its images before rendering placeholders for the late ones,
    /// in milliseconds.
    #[arg(long, env = "PAGE_DEADLINE_MS", default_value_t = 4000,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS * 1000))]
    pub page_deadline_ms: u64,

    /// How long the latest preview of a camera is reused (and cached by browsers), in seconds.
    #[arg(long, env = "LATEST_PREVIEW_MAX_AGE_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS))]
    pub latest_preview_max_age_secs: u64,

    /// Timeout for connecting to EEN, in seconds.
    #[arg(long, env = "EEN_CONNECT_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS))]
    pub een_connect_timeout_secs: u64,

    /// Timeout for one EEN request, in seconds.
    #[arg(long, env = "EEN_REQUEST_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS))]
    pub een_request_timeout_secs: u64,

    /// Most EEN requests in flight at once, across all viewers.
    #[arg(long, env = "EEN_MAX_IN_FLIGHT", default_value_t = 16)]
    pub een_max_in_flight: usize,

    /// How long to let open requests finish after SIGTERM or Ctrl-C, in seconds.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(..=DAY_SECS))]
    pub shutdown_timeout_secs: u64,

    /// How long a client connection may take to send a request's headers, in seconds,
    /// counted from the moment it is ready for a request; so it is also how long an idle
    /// keep-alive connection stays open.
    #[arg(long, env = "HTTP_HEADER_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=DAY_SECS))]
    pub http_header_timeout_secs: u64,

    /// Most client connections open at once; further ones wait in the listen backlog until
    /// one closes. Default: the open-file limit (raised to its hard limit at start) less 256.
    #[arg(long, env = "MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,

    /// Largest request head (request line and headers) in bytes; a larger one gets 431.
    #[arg(long, env = "MAX_HEADER_BYTES", default_value_t = 32 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_header_bytes: u64,

    /// Log format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Who may use the gallery.
    #[command(flatten)]
    pub access: access::AccessConfig,

    /// The store shared by replicas (Valkey/Redis), if any.
    #[command(flatten)]
    pub store: store::StoreConfig,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// One of EEN's APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Api {
    /// API v1 ("legacy"): username and password.
    V1,
    /// API v3: OAuth2, connected once by an operator.
    V3,
}

/// Where the gallery gets its cameras from.
#[derive(Clone, Debug)]
pub enum Upstream {
    /// A real EEN account on API v1.
    Een {
        /// Login host.
        base_url: Url,
        /// User name.
        username: String,
        /// Password.
        password: SecretString,
    },
    /// A real EEN account on API v3.
    EenV3(Box<OAuthApp>),
    /// No credentials: the built-in simulator, on this API.
    Demo(Api),
}

/// The application registered at EEN (API v3) and where its connection is kept. `Debug`
/// shows no secret.
#[derive(Clone, Debug)]
pub struct OAuthApp {
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// The redirect URI, parsed (where to listen, the public base of the gallery).
    pub redirect_url: Url,
    /// The redirect URI exactly as given, which EEN compares character by character.
    pub redirect_uri: String,
    /// EEN's OAuth2 host.
    pub auth_url: Url,
    /// EEN's global API host (base-URL discovery).
    pub api_url: Url,
    /// Where the connection file lives.
    pub data_dir: PathBuf,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A user name without a password, or the reverse.
    #[error(
        "set both EEN_USERNAME and a password (EEN_PASSWORD or EEN_PASSWORD_FILE), or neither for demo mode"
    )]
    IncompleteCredentials,
    /// Both ways of giving the password were used.
    #[error("set only one of EEN_PASSWORD and EEN_PASSWORD_FILE")]
    TwoPasswords,
    /// Both ways of giving the metrics token were used.
    #[error("set only one of METRICS_TOKEN and METRICS_TOKEN_FILE")]
    TwoMetricsTokens,
    /// Both ways of giving the client secret were used.
    #[error("set only one of EEN_CLIENT_SECRET and EEN_CLIENT_SECRET_FILE")]
    TwoClientSecrets,
    /// A v3 client id without its secret or redirect URI.
    #[error(
        "EEN_CLIENT_ID needs a client secret (EEN_CLIENT_SECRET or EEN_CLIENT_SECRET_FILE) and \
         EEN_REDIRECT_URL"
    )]
    IncompleteApp,
    /// The redirect URI is not an http(s) URL.
    #[error(
        "EEN_REDIRECT_URL must be an http(s) URL, e.g. https://gallery.example.com/een/callback (got {0})"
    )]
    BadRedirect(String),
    /// A v3 client secret or redirect URI without a client id.
    #[error("EEN_CLIENT_SECRET and EEN_REDIRECT_URL need EEN_CLIENT_ID")]
    AppWithoutClientId,
    /// Both v1 and v3 credentials were given.
    #[error(
        "set EEN_USERNAME (API v1) or EEN_CLIENT_ID (API v3), not both: the gallery shows one \
         account through one API"
    )]
    TwoApis,
    /// `STORE_URL` is not a Valkey/Redis URL (the message never repeats it: it may hold a
    /// password).
    #[error("STORE_URL is not a Valkey/Redis URL: {0}")]
    BadStoreUrl(&'static str),
    /// `STORE_PREFIX` is empty or has spaces.
    #[error("STORE_PREFIX must be non-empty, without spaces")]
    BadStorePrefix,
    /// A secret file could not be read.
    #[error("cannot read {path}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Config {
    /// Decides between a real EEN account (v1 or v3) and demo mode, reading secret files if
    /// given.
    pub fn upstream(&self) -> Result<Upstream, ConfigError> {
        let password = match (&self.een_password, &self.een_password_file) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoPasswords),
            (Some(p), None) => Some(p.clone()),
            (None, Some(path)) => Some(read_password_file(path)?),
            (None, None) => None,
        };
        let username = self
            .een_username
            .as_deref()
            .filter(|u| !u.trim().is_empty());
        let client_id = self
            .een_client_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty());
        if let Some(client_id) = client_id {
            if username.is_some() || password.is_some() {
                return Err(ConfigError::TwoApis);
            }
            return self
                .oauth_app(client_id)
                .map(|app| Upstream::EenV3(Box::new(app)));
        }
        if self.een_client_secret.is_some()
            || self.een_client_secret_file.is_some()
            || self.een_redirect_url.is_some()
        {
            return Err(ConfigError::AppWithoutClientId);
        }
        match (username, password) {
            (None, None) => Ok(Upstream::Demo(self.een_api)),
            (Some(username), Some(password)) => Ok(Upstream::Een {
                base_url: self.een_base_url.clone(),
                username: username.trim().to_owned(),
                password,
            }),
            _ => Err(ConfigError::IncompleteCredentials),
        }
    }

    fn oauth_app(&self, client_id: &str) -> Result<OAuthApp, ConfigError> {
        let client_secret = match (&self.een_client_secret, &self.een_client_secret_file) {
            (Some(_), Some(_)) => return Err(ConfigError::TwoClientSecrets),
            (Some(s), None) => s.clone(),
            (None, Some(path)) => read_password_file(path)?,
            (None, None) => return Err(ConfigError::IncompleteApp),
        };
        let redirect_uri = self
            .een_redirect_url
            .as_deref()
            .map(str::trim)
            .ok_or(ConfigError::IncompleteApp)?
            .to_owned();
        let redirect_url = Url::parse(&redirect_uri)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| ConfigError::BadRedirect(redirect_uri.clone()))?;
        Ok(OAuthApp {
            client_id: client_id.to_owned(),
            client_secret,
            redirect_url,
            redirect_uri,
            auth_url: self.een_auth_url.clone(),
            api_url: self.een_api_url.clone(),
            data_dir: self.data_dir.clone(),
        })
    }

    /// Byte budget of the image cache.
    pub fn image_cache_bytes(&self) -> u64 {
        self.image_cache_mib.saturating_mul(1024 * 1024)
    }

    /// Camera-list freshness.
    pub fn camera_list_ttl(&self) -> Duration {
        Duration::from_secs(self.camera_list_ttl_secs)
    }

    /// Page deadline.
    pub fn page_deadline(&self) -> Duration {
        Duration::from_millis(self.page_deadline_ms)
    }

    /// Reuse time of a latest preview.
    pub fn latest_preview_max_age(&self) -> Duration {
        Duration::from_secs(self.latest_preview_max_age_secs)
    }

    /// EEN connect timeout.
    pub fn een_connect_timeout(&self) -> Duration {
        Duration::from_secs(self.een_connect_timeout_secs)
    }

    /// EEN request timeout.
    pub fn een_request_timeout(&self) -> Duration {
        Duration::from_secs(self.een_request_timeout_secs)
    }

    /// Drain time on shutdown.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    /// The header timeout (and keep-alive idle timeout) of client connections.
    pub fn http_header_timeout(&self) -> Duration {
        Duration::from_secs(self.http_header_timeout_secs)
    }
}

/// Where the gallery serves the OAuth redirect URI (under its base path).
pub const CALLBACK_PATH: &str = "/een/callback";

/// `/a/b` (no trailing slash; `""` for the root): segments of letters, digits and `. _ ~ -`,
/// none of them empty, `.` or `..`, so the prefix is safe in any link, header or cookie path.
fn parse_base_path(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = trimmed.strip_prefix('/') else {
        return Err("a base path starts with /, e.g. /cameras-wall".to_owned());
    };
    let valid = rest.split('/').all(|segment| {
        !segment.is_empty()
            && segment != "."
            && segment != ".."
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
    });
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err("a base path is /-separated segments of letters, digits and . _ ~ -".to_owned())
    }
}

fn parse_secret(s: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(s))
}

fn read_password_file(path: &PathBuf) -> Result<SecretString, ConfigError> {
    let mut text = std::fs::read_to_string(path).map_err(|source| ConfigError::PasswordFile {
        path: path.clone(),
        source,
    })?;
    // Secrets written with `echo` end in a newline that is not part of the password.
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(SecretString::from(text))
}

#[cfg(test)]
mod base_path_tests {
    use super::parse_base_path;

    #[test]
    fn base_paths_are_normalised_and_odd_ones_refused() {
        assert_eq!(parse_base_path("").unwrap(), "");
        assert_eq!(parse_base_path("/").unwrap(), "");
        assert_eq!(parse_base_path("/cameras-wall/").unwrap(), "/cameras-wall");
        assert_eq!(parse_base_path("/a/b.c_d~e").unwrap(), "/a/b.c_d~e");
        for bad in [
            "cams", "/a//b", "/a/../b", "/a b", "/a;b", "/ä", "/a?b", "/a%2F",
        ] {
            assert!(parse_base_path(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn parse(args: &[&str]) -> Config {
        Cli::try_parse_from(std::iter::once("een-gallery").chain(args.iter().copied()))
            .expect("valid arguments")
            .config
    }

    #[test]
    fn no_credentials_means_demo() {
        let config = parse(&[]);
        assert!(matches!(config.upstream(), Ok(Upstream::Demo(Api::V3))));
        let config = parse(&["--een-api", "v1"]);
        assert!(matches!(config.upstream(), Ok(Upstream::Demo(Api::V1))));
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn half_credentials_are_an_error() {
        let config = parse(&["--een-username", "a@b.c"]);
        assert!(matches!(
            config.upstream(),
            Err(ConfigError::IncompleteCredentials)
        ));
        let config = parse(&["--een-password", "x"]);
        assert!(matches!(
            config.upstream(),
            Err(ConfigError::IncompleteCredentials)
        ));
    }

    #[test]
    fn password_file_drops_one_trailing_newline() {
        let dir = std::env::temp_dir().join(format!("een-gallery-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("password");
        std::fs::write(&file, "s3cret \n").unwrap();
        let config = parse(&[
            "--een-username",
            "a@b.c",
            "--een-password-file",
            file.to_str().unwrap(),
        ]);
        let Ok(Upstream::Een {
            password, username, ..
        }) = config.upstream()
        else {
            panic!("expected EEN credentials");
        };
        assert_eq!(username, "a@b.c");
        assert_eq!(password.expose_secret(), "s3cret ");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_passwords_are_an_error() {
        let config = parse(&[
            "--een-username",
            "a@b.c",
            "--een-password",
            "x",
            "--een-password-file",
            "/nonexistent",
        ]);
        assert!(matches!(config.upstream(), Err(ConfigError::TwoPasswords)));
    }

    #[test]
    fn a_client_id_selects_v3_and_needs_its_secret_and_redirect() {
        let config = parse(&[
            "--een-client-id",
            "app",
            "--een-client-secret",
            "client-secret-value",
            "--een-redirect-url",
            "https://gallery.example.com/een/callback",
        ]);
        let Ok(Upstream::EenV3(app)) = config.upstream() else {
            panic!("expected v3");
        };
        assert_eq!(app.client_id, "app");
        assert_eq!(app.auth_url.as_str(), "https://auth.eagleeyenetworks.com/");
        assert!(!format!("{app:?}").contains("client-secret-value"));

        let config = parse(&["--een-client-id", "app"]);
        assert!(matches!(config.upstream(), Err(ConfigError::IncompleteApp)));
        let config = parse(&[
            "--een-client-id",
            "app",
            "--een-client-secret",
            "s",
            "--een-redirect-url",
            "gallery.example.com/een/callback",
        ]);
        assert!(matches!(
            config.upstream(),
            Err(ConfigError::BadRedirect(_))
        ));
        let config = parse(&["--een-client-secret", "s"]);
        assert!(matches!(
            config.upstream(),
            Err(ConfigError::AppWithoutClientId)
        ));
    }

    #[test]
    fn v1_and_v3_credentials_together_are_an_error() {
        let config = parse(&[
            "--een-username",
            "a@b.c",
            "--een-password",
            "x",
            "--een-client-id",
            "app",
        ]);
        assert!(matches!(config.upstream(), Err(ConfigError::TwoApis)));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let config = parse(&["--een-username", "a@b.c", "--een-password", "hunter2"]);
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}

/// Property tests (issue 13): any value of a flag or environment variable is a config or
/// clap's error for a bad value, never a panic; every duration a config gives can be waited
/// for (added to now) without overflow.
#[cfg(test)]
mod fuzz {
    use clap::Parser;
    use clap::error::ErrorKind;
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config as cases, mutated, text};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    const NUMBERS: [&str; 14] = [
        "--image-cache-mib",
        "--camera-list-ttl-secs",
        "--page-deadline-ms",
        "--latest-preview-max-age-secs",
        "--een-connect-timeout-secs",
        "--een-request-timeout-secs",
        "--een-max-in-flight",
        "--shutdown-timeout-secs",
        "--http-header-timeout-secs",
        "--max-connections",
        "--max-header-bytes",
        "--bind",
        "--store-timeout-ms",
        "--store-image-ttl-secs",
    ];

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            (0u64..100_000).prop_map(|n| n.to_string()),
            text(),
            mutated(Just("4000".to_owned())),
        ]
    }

    fn durations(config: &Config) -> [Duration; 8] {
        [
            config.camera_list_ttl(),
            config.page_deadline(),
            config.latest_preview_max_age(),
            config.een_connect_timeout(),
            config.een_request_timeout(),
            config.shutdown_timeout(),
            config.http_header_timeout(),
            config.store.timeout(),
        ]
    }

    /// Found by `any_number_is_a_config_or_a_bad_value`: `PAGE_DEADLINE_MS=u64::MAX` was
    /// taken, and every page then panicked adding it to the current time.
    #[test]
    fn durations_past_a_day_are_refused_at_start() {
        for (flag, most) in [
            ("--page-deadline-ms", "86400000"),
            ("--camera-list-ttl-secs", "86400"),
        ] {
            assert!(Cli::try_parse_from(["een-gallery", flag, most]).is_ok());
            let past = (most.parse::<u64>().unwrap() + 1).to_string();
            for value in [past.as_str(), "18446744073709551615"] {
                let e = Cli::try_parse_from(["een-gallery", flag, value])
                    .err()
                    .unwrap();
                assert_eq!(e.kind(), ErrorKind::ValueValidation, "{flag} {value}");
            }
        }
    }

    proptest! {
        #![proptest_config(cases(256))]

        #[test]
        fn any_number_is_a_config_or_a_bad_value(
            flag in prop::sample::select(NUMBERS.to_vec()),
            value in value(),
        ) {
            // `--flag=value`, so a value starting with `-` is a value and not a flag.
            match Cli::try_parse_from(["een-gallery", &format!("{flag}={value}")]) {
                Ok(cli) => {
                    let now = std::time::Instant::now();
                    for wait in durations(&cli.config) {
                        prop_assert!(now.checked_add(wait).is_some(), "{} {}: {:?}", flag, value, wait);
                    }
                    let _ = cli.config.image_cache_bytes();
                }
                Err(e) => prop_assert!(
                    matches!(e.kind(), ErrorKind::ValueValidation | ErrorKind::InvalidValue),
                    "{flag} {value:?}: {:?}", e.kind()
                ),
            }
        }

        #[test]
        fn any_app_settings_are_an_upstream_or_a_config_error(
            client_id in text(),
            secret in text(),
            redirect in prop_oneof![text(), mutated(Just("https://gallery.example.com/een/callback".to_owned()))],
        ) {
            let args = [
                "een-gallery".to_owned(),
                format!("--een-client-id={client_id}"),
                format!("--een-client-secret={secret}"),
                format!("--een-redirect-url={redirect}"),
            ];
            if let Ok(cli) = Cli::try_parse_from(args) {
                match cli.config.upstream() {
                    Ok(Upstream::EenV3(app)) => {
                        prop_assert!(matches!(app.redirect_url.scheme(), "http" | "https"));
                    }
                    Ok(Upstream::Demo(_)) => prop_assert!(client_id.trim().is_empty()),
                    Err(ConfigError::BadRedirect(_) | ConfigError::AppWithoutClientId) => {}
                    Ok(Upstream::Een { .. }) | Err(_) => prop_assert!(false),
                }
            }
        }
    }
}
