//! HTTP to EEN for v3: one connection pool, the cap on requests in flight, body limits. No
//! redirect is ever followed: a bearer token or a client secret must not travel to a host
//! EEN's answer chose.

use reqwest::RequestBuilder;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::ClientConfig;
use crate::een::Error;
use crate::een::http::{Reply, read_body};

/// The HTTP side of the client, shared by every clone.
pub(super) struct Transport {
    /// The pool, with connect and request timeouts.
    pub(super) http: reqwest::Client,
    in_flight: Semaphore,
}

impl Transport {
    pub(super) fn new(config: &ClientConfig) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none());
        for (host, addr) in &config.resolve {
            builder = builder.resolve(host, *addr);
        }
        Ok(Self {
            http: builder.build().map_err(Error::transport)?,
            in_flight: Semaphore::new(config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS)),
        })
    }

    /// Sends one request, holding a slot of the in-flight cap until its body is read.
    pub(super) async fn send(&self, request: RequestBuilder) -> Result<Reply, Error> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::Config("the request limiter is closed"))?;
        let request = request.build().map_err(Error::transport)?;
        // The path only: queries carry camera ids and times, and token requests carry secrets
        // in their bodies, which are never logged.
        tracing::trace!(
            method = %request.method(),
            host = request.url().host_str(),
            path = request.url().path(),
            "sending request to EEN"
        );
        let started = Instant::now();
        let mut response = self.http.execute(request).await.map_err(Error::transport)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = read_body(&mut response).await?;
        tracing::debug!(
            status = status.as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            bytes = body.len(),
            "EEN answered"
        );
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}
