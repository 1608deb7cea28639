//! HTTP pieces both backends share: the connection pool with its cap on requests in flight,
//! a reply read in full within a size limit, each public call's span and deadline,
//! `Retry-After`, the JPEG check and the jittered backoff.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{Instrument, field};

use super::pace::Pace;
use super::{Error, Esn};

/// One connection pool to EEN and the cap on its requests in flight, shared by every clone
/// of a client, so that many viewers cannot trip EEN's rate limit.
pub(crate) struct Pool {
    /// The pool, with connect and request timeouts.
    pub(crate) http: reqwest::Client,
    in_flight: Semaphore,
    /// The pace every request keeps, learnt from EEN's 429s (shared with a task that syncs
    /// it with the other replicas, when they share a store).
    pub(crate) pace: Arc<Pace>,
}

/// How a [`Pool`] reaches EEN.
pub(crate) struct PoolSettings<'a> {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) user_agent: &'a str,
    /// DNS overrides (host name to address), e.g. to reach a local simulator.
    pub(crate) resolve: &'a [(String, SocketAddr)],
    pub(crate) max_in_flight: usize,
}

impl Pool {
    /// The pool `settings` ask for. It never follows a redirect by itself: v1 follows them
    /// by hand (reqwest drops the Cookie header on a host change, and the session key must
    /// only go to EEN's own hosts), and v3 not at all (a bearer token or the client secret
    /// must not travel to a host EEN's answer chose).
    pub(crate) fn new(settings: &PoolSettings<'_>) -> Result<Self, Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(settings.user_agent)
            .redirect(reqwest::redirect::Policy::none());
        for (host, addr) in settings.resolve {
            builder = builder.resolve(host, *addr);
        }
        Ok(Self {
            http: builder.build().map_err(Error::transport)?,
            in_flight: Semaphore::new(settings.max_in_flight.clamp(1, Semaphore::MAX_PERMITS)),
            pace: Arc::default(),
        })
    }

    /// Sends one request when the pace allows, holding a slot of the in-flight cap until
    /// its body is read; a 429 slows the pace for every request.
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Reply, Error> {
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::Config("the request limiter is closed"))?;
        // A turn past the call's deadline is not waited for: EEN is limiting, say so now.
        let deadline = CALL_DEADLINE.try_with(|deadline| *deadline).ok();
        let started = self.pace.admit(deadline).await?;
        let request = request.build().map_err(Error::transport)?;
        // The path only: queries carry camera ids and times, and bodies (logins, token
        // requests) carry secrets; neither is logged.
        tracing::trace!(
            method = %request.method(),
            host = request.url().host_str(),
            path = request.url().path(),
            "sending request to EEN"
        );
        let mut response = self.http.execute(request).await.map_err(Error::transport)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let refused = status == StatusCode::TOO_MANY_REQUESTS;
        self.pace.answered(
            started,
            refused,
            refused.then(|| retry_after(&headers)).flatten(),
        );
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

tokio::task_local! {
    /// The deadline of the public call a request belongs to, for the pace to refuse a turn
    /// the call could not wait for.
    static CALL_DEADLINE: Instant;
}

/// Runs one public client call in its tracing span (`api`, `endpoint`, the camera, how long
/// it took), within `deadline` from now, and logs how it ended.
pub(crate) async fn traced_call<T, F, Fut>(
    api: &'static str,
    endpoint: &'static str,
    esn: Option<&Esn>,
    deadline: Duration,
    work: F,
) -> Result<T, Error>
where
    F: FnOnce(Instant) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let span = tracing::info_span!(
        "een",
        api,
        endpoint,
        esn = field::Empty,
        duration_ms = field::Empty,
    );
    if let Some(esn) = esn {
        span.record("esn", esn.as_str());
    }
    let started = Instant::now();
    let deadline = started + deadline;
    let result = CALL_DEADLINE
        .scope(deadline, tokio::time::timeout_at(deadline, work(deadline)))
        .instrument(span.clone())
        .await
        .unwrap_or(Err(Error::Timeout));
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("duration_ms", duration_ms);
    span.in_scope(|| match &result {
        Ok(_) => tracing::debug!("EEN call done"),
        Err(Error::NotFound) => tracing::debug!("EEN has no such item"),
        Err(error) => tracing::warn!(%error, "EEN call failed"),
    });
    result
}

/// Largest answer body accepted; EEN's device lists and preview JPEGs are far smaller.
pub(crate) const MAX_BODY: usize = 32 << 20;

/// One HTTP answer, body read in full.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

pub(crate) async fn read_body(response: &mut reqwest::Response) -> Result<Bytes, Error> {
    let too_large = || Error::Decode("the answer is too large".into());
    let expected = response.content_length().unwrap_or(0);
    if expected > MAX_BODY as u64 {
        return Err(too_large());
    }
    let mut body = BytesMut::with_capacity(usize::try_from(expected).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = at.duration_since(jiff::Timestamp::now());
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// JPEG data starts with the SOI marker.
pub(crate) fn is_jpeg(body: &[u8]) -> bool {
    body.starts_with(&[0xFF, 0xD8])
}

/// Waits before retry number `retry`: exponential backoff with jitter from `base` up to
/// `max`, at least as long as EEN asked (`at_least`). Gives up with `error` at once if the
/// wait would pass the deadline.
pub(crate) async fn backoff(
    (base, max): (Duration, Duration),
    retry: u32,
    at_least: Option<Duration>,
    deadline: Instant,
    error: Error,
) -> Result<(), Error> {
    let delay = jittered_backoff(base, max, retry).max(at_least.unwrap_or_default());
    if Instant::now() + delay >= deadline {
        return Err(error);
    }
    tokio::time::sleep(delay).await;
    Ok(())
}

/// Exponential backoff with "equal jitter": between half and all of `base * 2^(retry-1)`,
/// capped at `max`, so that many clients retrying together spread out.
pub(crate) fn jittered_backoff(base: Duration, max: Duration, retry: u32) -> Duration {
    let exp = base
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(max);
    let half = exp / 2;
    let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(rand::random_range(0..=half_nanos))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let h = headers(&[("retry-after", "3")]);
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let h = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]);
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(120);
        let date = jiff::fmt::rfc2822::to_string(&later.to_zoned_datetime(jiff::tz::TimeZone::UTC))
            .unwrap();
        let wait = retry_after(&headers(&[("retry-after", &date)])).unwrap();
        assert!(wait > Duration::from_secs(60) && wait <= Duration::from_secs(120));
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn jpeg_magic() {
        assert!(is_jpeg(&[
            0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'
        ]));
        assert!(!is_jpeg(b"<html>"));
        assert!(!is_jpeg(&[0xFF]));
        assert!(!is_jpeg(b""));
    }
    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for retry in 1..=10 {
            let exp = (base * 2u32.pow(retry - 1)).min(max);
            for _ in 0..50 {
                let d = jittered_backoff(base, max, retry);
                assert!(d >= exp / 2 && d <= exp, "retry {retry}: {d:?}");
            }
        }
        assert!(jittered_backoff(base, max, u32::MAX) <= max);
    }
}
