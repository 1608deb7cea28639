//! The funnel every API call goes through: the bearer token (refreshed when due), one
//! deadline per call, a refresh and one retry after a 401, backoff with jitter on 429, 502,
//! 503, 504 and transport errors, EEN's `Retry-After` honoured.

use std::future::Future;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use secrecy::ExposeSecret as _;
use tokio::time::Instant;
use tracing::{Instrument, field};

use super::store::Connection;
use super::{Client, oauth, wire};

/// A refresh at EEN under way.
type BoxedRefresh =
    std::pin::Pin<Box<dyn Future<Output = Result<Connection, Error>> + Send + 'static>>;
use crate::een::http::{self, Reply};
use crate::een::{Error, Esn};

/// What one call is, for tracing.
#[derive(Clone, Copy)]
pub(super) struct Op<'a> {
    pub(super) endpoint: &'static str,
    pub(super) esn: Option<&'a Esn>,
}

/// What a call accepts.
#[derive(Clone, Copy)]
pub(super) enum Accept {
    Json,
    Jpeg,
}

impl Client {
    /// Runs one public call in its tracing span, within the overall deadline.
    pub(super) async fn call<T, F, Fut>(&self, op: Op<'_>, work: F) -> Result<T, Error>
    where
        F: FnOnce(Instant) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let deadline = self.inner.config.call_deadline;
        http::traced_call("v3", op.endpoint, op.esn, deadline, work).await
    }

    /// An authenticated GET of `path` (under `/api/v3.0/`) on the account's API host.
    /// Answers 2xx replies and the 404s and 503s a caller interprets; a 401 refreshes the
    /// token once (one refresh for all callers) and retries.
    pub(super) async fn get(
        &self,
        deadline: Instant,
        path: &str,
        query: &[(&str, &str)],
        accept: Accept,
    ) -> Result<Reply, Error> {
        let config = &self.inner.config;
        let mut live = self.bearer().await?;
        let mut retries = 0;
        let mut refreshed = false;
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            let mut url = live
                .api_base
                .join("api/v3.0/")
                .and_then(|base| base.join(path))
                .map_err(|_| Error::Config("the EEN API path is not a URL"))?;
            if !query.is_empty() {
                url.query_pairs_mut().extend_pairs(query);
            }
            let mut bearer =
                HeaderValue::from_str(&format!("Bearer {}", live.bearer().expose_secret()))
                    .map_err(|_| {
                        Error::Decode("EEN issued a token that is not a header value".into())
                    })?;
            bearer.set_sensitive(true);
            let request = self
                .inner
                .transport
                .http
                .get(url)
                .header(AUTHORIZATION, bearer)
                .header(
                    ACCEPT,
                    match accept {
                        Accept::Json => "application/json",
                        Accept::Jpeg => "image/jpeg",
                    },
                );
            let span = tracing::debug_span!("attempt", n = attempt, status = field::Empty);
            let outcome = self
                .inner
                .transport
                .send(request)
                .instrument(span.clone())
                .await;
            let reply = match outcome {
                Ok(reply) => reply,
                Err(error) if error.is_transient() && retries < config.max_retries => {
                    retries += 1;
                    tracing::info!(%error, attempt, "EEN request failed; retrying");
                    self.backoff(retries, None, deadline, error).await?;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let status = reply.status.as_u16();
            span.record("status", status);
            match status {
                200..=299 | 404 => return Ok(reply),
                401 if !refreshed => {
                    refreshed = true;
                    tracing::info!(attempt, "EEN refused the token; refreshing");
                    live = self
                        .inner
                        .tokens
                        .refresh(config, live.generation, true, self.refresher())
                        .await?;
                }
                // A fresh token refused too: the connection itself is fine (it refreshed),
                // so this is not a reconnection; the next call tries again.
                401 => return Err(Error::SessionExpired),
                // A camera that cannot deliver: for the caller to interpret.
                503 if wire::error_reason(&reply.body).as_deref() == Some("deviceUnavailable") => {
                    return Ok(reply);
                }
                429 | 502 | 503 | 504 => {
                    let error = if status == 429 {
                        Error::RateLimited
                    } else {
                        Error::Upstream(status)
                    };
                    if retries >= config.max_retries {
                        return Err(error);
                    }
                    retries += 1;
                    tracing::info!(attempt, status, "EEN asked to try again; backing off");
                    let hint = wire::retry_after(&reply.headers);
                    self.backoff(retries, hint, deadline, error).await?;
                }
                s => return Err(Error::Upstream(s)),
            }
        }
    }

    /// The connection to call with, refreshed first when it is due.
    pub(super) async fn bearer(&self) -> Result<std::sync::Arc<super::tokens::Live>, Error> {
        let config = &self.inner.config;
        self.inner.tokens.bearer(config, self.refresher()).await
    }

    /// A refresh at EEN that owns what it needs: with replicas it runs in a task of its own
    /// (see `lease`).
    fn refresher(&self) -> impl FnOnce(Connection) -> BoxedRefresh + Send + 'static {
        let client = self.clone();
        move |old| {
            Box::pin(async move {
                oauth::refresh(&client.inner.transport, &client.inner.config, &old).await
            })
        }
    }

    /// Waits before retry number `retry` (see [`http::backoff`]), with this client's bounds.
    async fn backoff(
        &self,
        retry: u32,
        at_least: Option<Duration>,
        deadline: Instant,
        error: Error,
    ) -> Result<(), Error> {
        let config = &self.inner.config;
        let bounds = (config.backoff_base, config.backoff_max);
        http::backoff(bounds, retry, at_least, deadline, error).await
    }
}
