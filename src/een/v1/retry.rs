//! The retry funnel every call goes through: one deadline per call, re-login on 401, backoff
//! with jitter on 429, 502, 503, 504 and transport errors, EEN's `Retry-After` honoured.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{Instrument, field};

use super::transport::{Reply, endpoint};
use super::{Client, wire};
use crate::een::http;
use crate::een::{Error, Esn};

/// What one call is, for tracing and for the retry rules.
/// What one call is, for tracing and for the retry rules.
#[derive(Clone, Copy)]
pub(super) struct Op<'a> {
    pub(super) endpoint: &'static str,
    pub(super) esn: Option<&'a Esn>,
    /// Asks for "now": EEN may briefly answer 400 `no matching asset` to these.
    pub(super) now_relative: bool,
}

impl Op<'static> {
    pub(super) fn new(endpoint: &'static str) -> Self {
        Op {
            endpoint,
            esn: None,
            now_relative: false,
        }
    }
}

impl Client {
    /// Runs one public call in its tracing span, within the overall deadline.
    pub(super) async fn call<T, F, Fut>(&self, op: Op<'_>, work: F) -> Result<T, Error>
    where
        F: FnOnce(Instant) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        http::traced_call(
            "v1",
            op.endpoint,
            op.esn,
            self.inner.config.call_deadline,
            work,
        )
        .await
    }

    /// An authenticated GET with the session rules and retries: log in lazily; a 401 on a
    /// session that just started is retried as is, any other 401 logs in again (once per
    /// call, one login for all callers); 429/502/503/504 and transport errors back off and
    /// retry; a `now` request's 400 `no matching asset` is retried once.
    pub(super) async fn get(
        &self,
        op: Op<'_>,
        deadline: Instant,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Reply, Error> {
        let max_retries = self.inner.config.max_retries;
        let mut session = self.session(None, deadline).await?;
        let mut retries = 0;
        let mut logged_in_again = false;
        let mut asset_retried = false;
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            if let Some(newer) = self
                .inner
                .sessions
                .current()
                .filter(|s| s.generation > session.generation)
            {
                session = newer;
            }
            let url = endpoint(&session.api_base, path, query)?;
            // Judged at send time: a 401 to a request sent before the session ever worked may
            // be EEN still propagating it, even if a concurrent call succeeded meanwhile.
            let propagating = session.may_be_propagating();
            let span = tracing::debug_span!("attempt", n = attempt, status = field::Empty);
            let outcome = self
                .inner
                .transport
                .get(url, &session.cookie)
                .instrument(span.clone())
                .await;
            let reply = match outcome {
                Ok(reply) => reply,
                Err(error) if error.is_transient() && retries < max_retries => {
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
                200..=299 => {
                    session.confirm();
                    return Ok(reply);
                }
                401 if propagating && retries < max_retries => {
                    retries += 1;
                    tracing::info!(attempt, "new session not accepted yet; retrying");
                    self.backoff(retries, None, deadline, Error::SessionExpired)
                        .await?;
                }
                401 if !logged_in_again => {
                    logged_in_again = true;
                    tracing::info!(attempt, "session rejected; logging in again");
                    session = self.session(Some(session.generation), deadline).await?;
                }
                401 => return Err(Error::SessionExpired),
                429 | 502 | 503 | 504 => {
                    let error = if status == 429 {
                        Error::RateLimited
                    } else {
                        Error::Upstream(status)
                    };
                    if retries >= max_retries {
                        return Err(error);
                    }
                    retries += 1;
                    tracing::info!(attempt, status, "EEN asked to try again; backing off");
                    let hint = http::retry_after(&reply.headers);
                    self.backoff(retries, hint, deadline, error).await?;
                }
                400 if wire::is_no_matching_asset(
                    wire::server_message(&reply.headers, &reply.body).as_deref(),
                ) =>
                {
                    session.confirm();
                    if !op.now_relative || asset_retried {
                        return Err(Error::NotFound);
                    }
                    asset_retried = true;
                    tracing::info!(attempt, "no matching asset yet; retrying once");
                    self.backoff(1, None, deadline, Error::NotFound).await?;
                }
                404 => {
                    session.confirm();
                    return Err(Error::NotFound);
                }
                s => return Err(Error::Upstream(s)),
            }
        }
    }

    /// Waits before retry number `retry` (see [`http::backoff`]), with this client's bounds.
    pub(super) async fn backoff(
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
