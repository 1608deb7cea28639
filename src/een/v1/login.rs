//! Logging in to EEN v1 (spec §2): authenticate with the credentials, authorize with the
//! single-use token, keep the `auth_key` cookie, and move to the account's cluster host.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::Instrument;
use url::Url;

use super::session::Session;
use super::transport::endpoint;
use super::{Client, wire};
use crate::een::{AccountProblem, Error, http};

/// A login step that failed, and how long EEN asked us to wait before trying again.
type LoginFailure = (Error, Option<Duration>);

impl Client {
    /// A session other than generation `stale`, logging in if needed.
    pub(super) async fn session(
        &self,
        stale: Option<u64>,
        deadline: Instant,
    ) -> Result<Arc<Session>, Error> {
        self.inner
            .sessions
            .get(stale, false, |number| self.log_in(number, deadline))
            .await
    }

    /// Authenticate then authorize, retrying what is worth retrying.
    pub(super) async fn log_in(&self, number: u64, deadline: Instant) -> Result<Session, Error> {
        let max_retries = self.inner.config.max_retries;
        let mut retries = 0;
        let mut token_refused = false;
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let span = tracing::info_span!("een_login", attempt);
            let outcome = self.log_in_once(number).instrument(span.clone()).await;
            match outcome {
                Ok(session) => {
                    span.in_scope(|| {
                        let api_host = session.api_base.host_str();
                        tracing::info!(api_host, "logged in to EEN");
                    });
                    return Ok(session);
                }
                // The single-use token expired or was refused between the two steps.
                Err((Error::Upstream(401), _)) if !token_refused => {
                    token_refused = true;
                    span.in_scope(|| tracing::info!("EEN refused the login token; starting over"));
                }
                Err((error, hint)) if error.is_transient() && retries < max_retries => {
                    retries += 1;
                    span.in_scope(|| tracing::info!(%error, "EEN login failed; retrying"));
                    self.backoff(retries, hint, deadline, error).await?;
                }
                Err((error, _)) => {
                    span.in_scope(|| tracing::warn!(%error, "EEN login failed"));
                    return Err(error);
                }
            }
        }
    }

    async fn log_in_once(&self, number: u64) -> Result<Session, LoginFailure> {
        #[derive(Serialize)]
        struct Credentials<'a> {
            username: &'a str,
            password: &'a str,
            realm: &'a str,
        }
        #[derive(Deserialize)]
        struct Token {
            token: String,
            two_factor_authentication_code: Option<serde_json::Value>,
        }
        #[derive(Serialize)]
        struct Authorize<'a> {
            token: &'a str,
        }
        #[derive(Deserialize)]
        struct User {
            active_brand_subdomain: Option<String>,
        }

        let config = &self.inner.config;
        let no_hint = |e: Error| (e, None);
        let url = endpoint(&config.base_url, "g/aaa/authenticate", &[]).map_err(no_hint)?;
        let credentials = Credentials {
            username: &config.username,
            password: config.password.expose_secret(),
            realm: "eagleeyenetworks",
        };
        let transport = &self.inner.transport;
        let reply = transport
            .send(transport.pool.http.post(url).json(&credentials))
            .await
            .map_err(no_hint)?;
        match reply.status.as_u16() {
            200 => {}
            401 => return Err((Error::InvalidCredentials, None)),
            s => return Err(login_failure(s, &reply.headers)),
        }
        let token: Token = serde_json::from_slice(&reply.body).map_err(|_| {
            no_hint(Error::Decode(
                "authenticate answered without a token".into(),
            ))
        })?;
        if token.two_factor_authentication_code.is_some() {
            return Err((Error::Account(AccountProblem::TwoFactorRequired), None));
        }

        let url = endpoint(&config.base_url, "g/aaa/authorize", &[]).map_err(no_hint)?;
        let body = Authorize {
            token: &token.token,
        };
        let reply = transport
            .send(transport.pool.http.post(url).json(&body))
            .await
            .map_err(no_hint)?;
        match reply.status.as_u16() {
            200 => {}
            401 => return Err((Error::Upstream(401), None)),
            s => return Err(login_failure(s, &reply.headers)),
        }
        let key = wire::session_key(&reply.headers).ok_or_else(|| {
            no_hint(Error::Decode(
                "authorize answered without a session cookie".into(),
            ))
        })?;
        let mut cookie = HeaderValue::try_from(format!("auth_key={}", key.expose_secret()))
            .map_err(|_| {
                no_hint(Error::Decode(
                    "the session key is not a cookie value".into(),
                ))
            })?;
        cookie.set_sensitive(true);

        // The user object names the cluster; a body we cannot read just keeps the login host.
        let subdomain = serde_json::from_slice::<User>(&reply.body)
            .ok()
            .and_then(|user| user.active_brand_subdomain);
        let api_base = subdomain
            .filter(|_| config.cluster_host_switch)
            .and_then(|sub| cluster_base(&config.base_url, &sub))
            .unwrap_or_else(|| config.base_url.clone());
        Ok(Session::new(number, cookie, api_base))
    }
}

/// The error for a non-200, non-401 login answer.
fn login_failure(status: u16, headers: &HeaderMap) -> LoginFailure {
    let error = match AccountProblem::from_status(status) {
        Some(problem) => Error::Account(problem),
        None if status == 429 => Error::RateLimited,
        None => Error::Upstream(status),
    };
    (error, http::retry_after(headers))
}

/// or `None` when the base is not a login host or the subdomain is not a plain DNS label.
fn cluster_base(base: &Url, subdomain: &str) -> Option<Url> {
    let domain = base.host_str()?.strip_prefix("login.")?;
    let label = subdomain.trim().to_ascii_lowercase();
    let is_label = (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-');
    if !is_label || label == "login" {
        return None;
    }
    let mut url = base.clone();
    url.set_host(Some(&format!("{label}.{domain}"))).ok()?;
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn cluster_host_replaces_login() {
        let base = url("https://login.eagleeyenetworks.com/");
        assert_eq!(
            cluster_base(&base, "c000").unwrap().as_str(),
            "https://c000.eagleeyenetworks.com/"
        );
        let base = url("http://login.een.test:4567/");
        assert_eq!(
            cluster_base(&base, "C001").unwrap().as_str(),
            "http://c001.een.test:4567/"
        );
    }

    #[test]
    fn cluster_host_only_for_login_hosts_and_plain_labels() {
        let base = url("https://login.eagleeyenetworks.com/");
        for bad in [
            "",
            "login",
            "evil.com/x",
            "a.b",
            "-c0",
            "c0-",
            "c 0",
            &"c".repeat(64),
        ] {
            assert_eq!(cluster_base(&base, bad), None, "{bad:?}");
        }
        assert_eq!(cluster_base(&url("http://127.0.0.1:9000/"), "c000"), None);
        assert_eq!(
            cluster_base(&url("https://api.eagleeyenetworks.com/"), "c000"),
            None
        );
    }
}
