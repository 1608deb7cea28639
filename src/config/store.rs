//! The shared store's settings (`STORE_…`, issue 16): the Valkey or Redis the replicas of a
//! gallery share. Without `STORE_URL` nothing is shared and everything stays in the process.
//!
//! The URL may carry a password, so it is taken as a secret (clap would print a value it
//! refuses, and `Debug` would show it) and checked here, where an error can name what is
//! wrong without repeating it.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{ConfigError, parse_secret};

/// The key prefix by default: one gallery (one EEN account) per prefix.
pub const DEFAULT_STORE_PREFIX: &str = "een-gallery";

/// The longest a shared image may be kept, in seconds (30 days).
const MONTH_SECS: u64 = 30 * 86_400;

/// The shared store's settings, as given.
#[derive(Clone, Debug, clap::Args)]
pub struct StoreConfig {
    /// Valkey or Redis shared by the gallery's replicas, e.g. `redis://valkey:6379/0`,
    /// `rediss://:password@host:6380/0` (TLS) or `valkey://…`. Without it every replica keeps
    /// everything to itself.
    #[arg(long, env = "STORE_URL", hide_env_values = true, value_parser = parse_secret)]
    pub store_url: Option<SecretString>,

    /// What every key of this gallery starts with; galleries of different EEN accounts
    /// sharing one store need different prefixes.
    #[arg(long, env = "STORE_PREFIX", default_value = DEFAULT_STORE_PREFIX)]
    pub store_prefix: String,

    /// The longest one call to the store may take, in milliseconds; a slower store is
    /// treated as down, and pages are served without it.
    #[arg(long, env = "STORE_TIMEOUT_MS", default_value_t = 250,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub store_timeout_ms: u64,

    /// How long an image is kept in the store, in seconds (the store's own eviction may drop
    /// it sooner: run it with `maxmemory-policy volatile-lru`, which evicts what has a TTL
    /// and so never the v3 connection).
    #[arg(long, env = "STORE_IMAGE_TTL_SECS", default_value_t = 86_400,
          value_parser = clap::value_parser!(u64).range(1..=MONTH_SECS))]
    pub store_image_ttl_secs: u64,
}

/// A checked store setting: where the store is and how to use it.
#[derive(Clone, Debug)]
pub struct StoreSettings {
    /// The store's URL.
    pub url: StoreUrl,
    /// The key prefix.
    pub prefix: String,
    /// The longest one call may take.
    pub timeout: Duration,
    /// How long an image is kept.
    pub image_ttl: Duration,
}

impl StoreConfig {
    /// The longest one call to the store may take.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.store_timeout_ms)
    }

    /// The store to use, if any.
    pub fn settings(&self) -> Result<Option<StoreSettings>, ConfigError> {
        let Some(url) = &self.store_url else {
            return Ok(None);
        };
        let url = StoreUrl::parse(url.expose_secret())?;
        let prefix = self.store_prefix.trim();
        if prefix.is_empty() || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::BadStorePrefix);
        }
        Ok(Some(StoreSettings {
            url,
            prefix: prefix.to_owned(),
            timeout: self.timeout(),
            image_ttl: Duration::from_secs(self.store_image_ttl_secs),
        }))
    }
}

/// A Valkey/Redis URL. `Debug` and `Display` show it without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreUrl(Url);

/// The schemes the store client speaks: TCP, TLS (`rediss`, `valkeys`) and Unix sockets.
const TCP_SCHEMES: [&str; 4] = ["redis", "rediss", "valkey", "valkeys"];
const UNIX_SCHEMES: [&str; 3] = ["redis+unix", "valkey+unix", "unix"];

impl StoreUrl {
    /// Checks a URL given as `STORE_URL`; the error never repeats it.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let url = Url::parse(text.trim()).map_err(|_| ConfigError::BadStoreUrl("not a URL"))?;
        let scheme = url.scheme();
        if TCP_SCHEMES.contains(&scheme) {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(ConfigError::BadStoreUrl("it names no host"));
            }
            let db = url.path().trim_start_matches('/');
            if !db.is_empty() && db.parse::<u16>().is_err() {
                return Err(ConfigError::BadStoreUrl(
                    "its path must be a database number, e.g. /0",
                ));
            }
        } else if UNIX_SCHEMES.contains(&scheme) {
            if url.path().is_empty() || url.path() == "/" {
                return Err(ConfigError::BadStoreUrl("it names no socket"));
            }
        } else {
            return Err(ConfigError::BadStoreUrl(
                "its scheme must be redis, rediss, valkey, valkeys or redis+unix",
            ));
        }
        Ok(Self(url))
    }

    /// The whole URL, password included: for the store client only.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the connection is encrypted (`rediss`, `valkeys`).
    pub fn is_tls(&self) -> bool {
        matches!(self.0.scheme(), "rediss" | "valkeys")
    }

    /// The URL without its password (nor a `pass` query parameter), for logs.
    pub fn redacted(&self) -> String {
        let mut url = self.0.clone();
        if url.password().is_some() {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = url.set_password(Some("***"));
        }
        if url.query().is_some() {
            let kept: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k == "pass" || k == "password" {
                        "***".into()
                    } else {
                        v
                    };
                    (k.into_owned(), v.into_owned())
                })
                .collect();
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
        url.into()
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoreUrl").field(&self.redacted()).finish()
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        store: StoreConfig,
    }

    fn settings(args: &[&str]) -> Result<Option<StoreSettings>, ConfigError> {
        Cli::try_parse_from(std::iter::once("een-gallery").chain(args.iter().copied()))
            .expect("valid arguments")
            .store
            .settings()
    }

    #[test]
    fn no_url_means_no_store() {
        assert!(matches!(settings(&[]), Ok(None)));
    }

    #[test]
    fn takes_tcp_tls_password_database_valkey_and_unix_urls() {
        for url in [
            "redis://127.0.0.1:6379",
            "redis://valkey:6379/0",
            "rediss://:s3cret@cache.example.com:6380/2",
            "redis://user:s3cret@[::1]:6379/15",
            "valkey://valkey",
            "valkeys://valkey.example.com",
            "redis+unix:///run/redis.sock?db=1",
        ] {
            let store = settings(&["--store-url", url])
                .unwrap_or_else(|e| panic!("{url}: {e}"))
                .expect("a store");
            assert_eq!(store.url.expose(), url);
            assert_eq!(store.prefix, DEFAULT_STORE_PREFIX);
            assert_eq!(store.timeout, Duration::from_millis(250));
            assert_eq!(store.image_ttl, Duration::from_secs(86_400));
        }
        let tls = StoreUrl::parse("rediss://cache.example.com").unwrap();
        assert!(tls.is_tls());
        assert!(!StoreUrl::parse("redis://cache").unwrap().is_tls());
    }

    #[test]
    fn refuses_other_urls_without_repeating_them() {
        for url in [
            "http://:s3cret@cache:6379",
            "redis://:s3cret@/0",
            "redis://:s3cret@cache/zero",
            "not a url s3cret",
            "redis+unix://",
        ] {
            let error = settings(&["--store-url", url]).expect_err(url);
            assert!(matches!(error, ConfigError::BadStoreUrl(_)), "{url}");
            assert!(!error.to_string().contains("s3cret"), "{url}: {error}");
        }
        assert!(matches!(
            settings(&["--store-url", "redis://cache", "--store-prefix", " "]),
            Err(ConfigError::BadStorePrefix)
        ));
    }

    #[test]
    fn debug_and_display_hide_the_password() {
        let store = settings(&[
            "--store-url",
            "rediss://gallery:s3cret@cache:6380/1",
            "--store-prefix",
            "site-a",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(store.url.to_string(), "rediss://gallery:***@cache:6380/1");
        let debug = format!("{store:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("site-a"));
        let unix = StoreUrl::parse("redis+unix:///run/r.sock?pass=s3cret&db=2").unwrap();
        assert!(!unix.to_string().contains("s3cret"), "{unix}");
        assert!(unix.to_string().contains("db=2"));

        let raw =
            Cli::try_parse_from(["een-gallery", "--store-url", "redis://:s3cret@cache"]).unwrap();
        assert!(!format!("{:?}", raw.store).contains("s3cret"));
    }

    #[test]
    fn timeouts_and_ttls_are_bounded() {
        for (flag, bad) in [
            ("--store-timeout-ms", "0"),
            ("--store-timeout-ms", "60001"),
            ("--store-image-ttl-secs", "0"),
            ("--store-image-ttl-secs", "2592001"),
        ] {
            assert!(
                Cli::try_parse_from(["een-gallery", flag, bad]).is_err(),
                "{flag} {bad}"
            );
        }
    }
}
