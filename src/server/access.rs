//! Who may use the gallery, from the configuration: the mode, the users file (with the first
//! admin made at first start), the trusted proxies, the metrics token.

use anyhow::Context as _;
use axum::http::HeaderName;
use secrecy::ExposeSecret as _;

use crate::auth::{self, Auth, Lifetimes, ProxyHeaders, TrustedProxies, Users, UsersFile};
use crate::config::Config;
use crate::config::access::AuthMode;

/// The gallery's [`Auth`] for `config`; `demo` when the cameras are the built-in simulator's.
///
/// With a real EEN account and no `AUTH`, sign-in is on, and an empty users file gets an
/// `admin` with a random password, logged once: a fresh install is never open to whoever
/// finds its port. The demo shows nothing private, so it stays open unless users exist.
pub fn auth(config: &Config, demo: bool) -> anyhow::Result<Auth> {
    let access = &config.access;
    let trusted: TrustedProxies = access
        .auth_trusted_proxies
        .parse()
        .context("AUTH_TRUSTED_PROXIES")?;
    let path = access
        .auth_users_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("users"));
    let auth = match access.auth {
        Some(AuthMode::None) => {
            tracing::warn!(
                "AUTH=none: everybody who reaches the gallery sees every camera; only for a \
                 gallery behind a proxy that authenticates"
            );
            Auth::open(trusted)
        }
        Some(AuthMode::Proxy) => {
            anyhow::ensure!(
                !trusted.is_empty(),
                "AUTH=proxy needs AUTH_TRUSTED_PROXIES: the user header is believed only from them"
            );
            let header = |name: &str| {
                HeaderName::try_from(name.trim())
                    .with_context(|| format!("not a header name: {name:?}"))
            };
            let headers = ProxyHeaders {
                user: header(&access.auth_proxy_header)?,
                role: access
                    .auth_proxy_role_header
                    .as_deref()
                    .map(header)
                    .transpose()?,
            };
            tracing::info!(header = %headers.user, trusted = %trusted, "signing in by proxy header");
            Auth::proxy(headers, trusted)
        }
        None if demo && Users::load(&path)?.is_empty() => {
            tracing::info!(
                "demo mode without users: the gallery is open (add one with `een-gallery user add`)"
            );
            Auth::open(trusted)
        }
        Some(AuthMode::Users) | None => {
            if let Some(password) = auth::create_first_admin(&path)? {
                // The one time this password is shown; it is not kept anywhere but as a hash.
                tracing::warn!(
                    user = auth::FIRST_ADMIN,
                    password = password.expose_secret(),
                    users_file = %path.display(),
                    "created the first admin with a random password, shown only this once: \
                     sign in and change it with `een-gallery user passwd admin`"
                );
            }
            let file = UsersFile::open(&path)?;
            let (idle, absolute) = access.session_lifetimes();
            tracing::info!(
                users_file = %path.display(),
                users = file.fresh().iter().count(),
                "sign-in required"
            );
            Auth::users(file, Lifetimes { idle, absolute }, trusted)
        }
    };
    Ok(auth.with_metrics_token(access.metrics_token()?))
}
