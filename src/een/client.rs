//! The client: session, login, re-login, retries.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{COOKIE, HeaderMap, HeaderValue, LOCATION};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{Instrument, Span, field};
use url::Url;

use super::error::AccountProblem;
use super::session::{Session, Sessions};
use super::status::Decoded;
use super::{Before, Camera, ClientConfig, EenTimestamp, Error, Esn, Image, rows, wire};

/// Largest answer body accepted; EEN's device lists and preview JPEGs are far smaller.
const MAX_BODY: usize = 32 << 20;
/// Asset requests may be redirected to another archiver (spec §4.5, 301).
const MAX_REDIRECTS: usize = 3;

/// Where the session stands (for readiness checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// No login attempted yet (or logged out).
    NotLoggedIn,
    /// A session is established.
    LoggedIn,
    /// The last login failed; says why (no secrets).
    Failed(String),
}

/// The EEN API v1 client. Cheap to clone: clones share the session, the connection pool and
/// the cap on requests in flight.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    sessions: Sessions,
    in_flight: Semaphore,
    /// Each device's last decoded status, which EEN says to keep when a new one is "invalid".
    last_status: Mutex<HashMap<Esn, Decoded>>,
}

/// What one call is, for tracing and for the retry rules.
#[derive(Clone, Copy)]
struct Op<'a> {
    endpoint: &'static str,
    esn: Option<&'a Esn>,
    /// Asks for "now": EEN may briefly answer 400 `no matching asset` to these.
    now_relative: bool,
}

impl Op<'static> {
    fn new(endpoint: &'static str) -> Self {
        Op {
            endpoint,
            esn: None,
            now_relative: false,
        }
    }
}

/// One HTTP answer, body read in full.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// A login step that failed, and how long EEN asked us to wait before trying again.
type LoginFailure = (Error, Option<Duration>);

impl Client {
    /// Builds the client; does not log in yet.
    pub fn new(mut config: ClientConfig) -> Result<Self, Error> {
        let base = &mut config.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::Config(
                "the EEN base URL must be http(s) with a host",
            ));
        }
        // API paths are joined to the base, which therefore must end in '/'.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.set_query(None);
        base.set_fragment(None);

        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            // Redirects are followed by hand: reqwest drops the Cookie header on a host change,
            // and the session key must only ever go to EEN's own hosts.
            .redirect(reqwest::redirect::Policy::none());
        for (host, addr) in &config.resolve {
            builder = builder.resolve(host, *addr);
        }
        let http = builder.build().map_err(Error::transport)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                sessions: Sessions::new(config.rejected_login_cooldown),
                in_flight: Semaphore::new(config.max_in_flight.clamp(1, Semaphore::MAX_PERMITS)),
                last_status: Mutex::new(HashMap::new()),
                config,
            }),
        })
    }

    /// Makes sure there is a session, logging in now if there is none (otherwise that happens
    /// on first use). Unlike a lazy login, this also tries right after a rejected login.
    pub async fn login(&self) -> Result<(), Error> {
        self.call(Op::new("login"), |deadline| async move {
            self.inner
                .sessions
                .get(None, true, |number| self.log_in(number, deadline))
                .await
                .map(drop)
        })
        .await
    }

    /// Where the session stands.
    pub fn session_state(&self) -> SessionState {
        self.inner.sessions.state()
    }

    /// All devices with an id: cameras, bridges and channels of multiview cameras. Rows EEN
    /// lists without an id (discovered, unattached cameras) are left out.
    pub async fn cameras(&self) -> Result<Vec<Camera>, Error> {
        let op = Op::new("device_list");
        self.call(op, |deadline| async move {
            let reply = self.get(op, deadline, "g/device/list", &[]).await?;
            let mut last = self
                .inner
                .last_status
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let cameras = rows::parse_device_list(&reply.body, |esn| last.get(esn).copied())
                .map_err(|e| Error::Decode(e.to_string()))?;
            *last = cameras
                .iter()
                .map(|c| {
                    let decoded = Decoded {
                        status: c.status,
                        recording: c.recording,
                    };
                    (c.esn.clone(), decoded)
                })
                .collect();
            Ok(cameras)
        })
        .await
    }

    /// The newest preview of a camera, in one request.
    pub async fn latest_preview(&self, esn: &Esn) -> Result<Image, Error> {
        let op = Op {
            endpoint: "latest_preview",
            esn: Some(esn),
            now_relative: true,
        };
        self.call(op, |deadline| async move {
            let query = [
                ("id", esn.as_str()),
                ("timestamp", "now"),
                ("asset_class", "pre"),
            ];
            let reply = self
                .get(op, deadline, "asset/prev/image.jpeg", &query)
                .await?;
            image(reply, None)
        })
        .await
    }

    /// Timestamps of up to `count` previews strictly before `before`, newest first.
    pub async fn list_previews(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<EenTimestamp>, Error> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let op = Op {
            endpoint: "list_previews",
            esn: Some(esn),
            now_relative: before == Before::Now,
        };
        // Whether EEN includes a frame exactly at the start time is undocumented: ask for one
        // more and drop it ourselves, so paging back never repeats a frame.
        let (start, ask, cutoff) = match before {
            Before::Now => ("now".to_owned(), count, None),
            Before::At(ts) => (ts.to_string(), count.saturating_add(1), Some(ts)),
        };
        let count_param = format!("-{ask}");
        self.call(op, |deadline| async move {
            let query = [
                ("id", esn.as_str()),
                ("start_timestamp", &start),
                ("count", &count_param),
                ("asset_class", "pre"),
            ];
            let reply = self.get(op, deadline, "asset/list/image", &query).await?;
            let mut list = wire::parse_image_list(&reply.body)
                .map_err(|_| Error::Decode("the image list is not a JSON array".into()))?;
            if let Some(cutoff) = cutoff {
                list.retain(|ts| *ts < cutoff);
            }
            list.truncate(usize::try_from(count).unwrap_or(usize::MAX));
            Ok(list)
        })
        .await
    }

    /// The preview at exactly `timestamp`.
    pub async fn preview(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Image, Error> {
        let op = Op {
            endpoint: "preview",
            esn: Some(esn),
            now_relative: false,
        };
        self.call(op, |deadline| async move {
            let ts = timestamp.to_string();
            let query = [
                ("id", esn.as_str()),
                ("timestamp", ts.as_str()),
                ("asset_class", "pre"),
            ];
            let reply = self
                .get(op, deadline, "asset/asset/image.jpeg", &query)
                .await?;
            image(reply, Some(timestamp))
        })
        .await
    }

    /// Ends the session. The next call logs in again.
    pub async fn logout(&self) -> Result<(), Error> {
        self.call(Op::new("logout"), |_| async move {
            let Some(session) = self.inner.sessions.take().await else {
                return Ok(());
            };
            let url = endpoint(&session.api_base, "g/aaa/logout", &[])?;
            let request = self
                .inner
                .http
                .post(url)
                .header(COOKIE, session.cookie.clone());
            let reply = self.send(request).await?;
            let status = reply.status.as_u16();
            Span::current().record("status", status);
            match status {
                // 401: the session was already gone, which is what we wanted.
                200..=299 | 401 => Ok(()),
                s => Err(Error::Upstream(s)),
            }
        })
        .await
    }

    /// Runs one public call in its tracing span, within the overall deadline.
    async fn call<T, F, Fut>(&self, op: Op<'_>, work: F) -> Result<T, Error>
    where
        F: FnOnce(Instant) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let span = tracing::info_span!(
            "een",
            endpoint = op.endpoint,
            esn = field::Empty,
            status = field::Empty,
            attempt = field::Empty,
            duration_ms = field::Empty,
        );
        if let Some(esn) = op.esn {
            span.record("esn", esn.as_str());
        }
        let started = Instant::now();
        let deadline = started + self.inner.config.call_deadline;
        let result = tokio::time::timeout_at(deadline, work(deadline))
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

    /// An authenticated GET with the session rules and retries: log in lazily; a 401 on a
    /// session that just started is retried as is, any other 401 logs in again (once per
    /// call, one login for all callers); 429/502/503/504 and transport errors back off and
    /// retry; a `now` request's 400 `no matching asset` is retried once.
    async fn get(
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
        for attempt in 1u32.. {
            if let Some(newer) = self
                .inner
                .sessions
                .current()
                .filter(|s| s.generation > session.generation)
            {
                session = newer;
            }
            Span::current().record("attempt", attempt);
            let url = endpoint(&session.api_base, path, query)?;
            // Judged at send time: a 401 to a request sent before the session ever worked may
            // be EEN still propagating it, even if a concurrent call succeeded meanwhile.
            let propagating = session.may_be_propagating();
            let reply = match self.fetch(url, &session.cookie).await {
                Ok(reply) => reply,
                Err(error) if error.is_transient() && retries < max_retries => {
                    retries += 1;
                    tracing::info!(%error, retries, "EEN request failed; retrying");
                    self.backoff(retries, None, deadline, error).await?;
                    continue;
                }
                Err(error) => return Err(error),
            };
            let status = reply.status.as_u16();
            Span::current().record("status", status);
            match status {
                200..=299 => {
                    session.confirm();
                    return Ok(reply);
                }
                401 if propagating && retries < max_retries => {
                    retries += 1;
                    tracing::info!(retries, "new session not accepted yet; retrying");
                    self.backoff(retries, None, deadline, Error::SessionExpired)
                        .await?;
                }
                401 if !logged_in_again => {
                    logged_in_again = true;
                    tracing::info!("session rejected; logging in again");
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
                    tracing::info!(status, retries, "EEN asked to try again; backing off");
                    let hint = wire::retry_after(&reply.headers);
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
                    tracing::info!("no matching asset yet; retrying once");
                    self.backoff(1, None, deadline, Error::NotFound).await?;
                }
                404 => {
                    session.confirm();
                    return Err(Error::NotFound);
                }
                s => return Err(Error::Upstream(s)),
            }
        }
        unreachable!("the attempt counter does not run out")
    }

    /// GET `url` with the session cookie, following redirects within EEN's domain.
    async fn fetch(&self, mut url: Url, cookie: &HeaderValue) -> Result<Reply, Error> {
        for _ in 0..=MAX_REDIRECTS {
            let request = self
                .inner
                .http
                .get(url.clone())
                .header(COOKIE, cookie.clone());
            let reply = self.send(request).await?;
            if !reply.status.is_redirection() || reply.status == StatusCode::NOT_MODIFIED {
                return Ok(reply);
            }
            let status = reply.status.as_u16();
            let next = reply
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| url.join(location).ok());
            match next {
                Some(next) if self.may_follow(&next, &url) => {
                    tracing::debug!(status, host = next.host_str(), "following EEN redirect");
                    url = next;
                }
                _ => {
                    tracing::warn!(status, "not following a redirect outside EEN");
                    return Err(Error::Upstream(status));
                }
            }
        }
        Err(Error::Decode("too many redirects".into()))
    }

    /// Whether a redirect target is one of EEN's hosts, so the session cookie may go there.
    fn may_follow(&self, next: &Url, from: &Url) -> bool {
        let base = &self.inner.config.base_url;
        let scheme_ok = match base.scheme() {
            "https" => next.scheme() == "https",
            _ => matches!(next.scheme(), "http" | "https"),
        };
        let Some(host) = next.host_str() else {
            return false;
        };
        let same_host = Some(host) == from.host_str() || Some(host) == base.host_str();
        let in_domain = base
            .host_str()
            .and_then(|h| h.strip_prefix("login."))
            .and_then(|domain| host.strip_suffix(domain))
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.'));
        scheme_ok && (same_host || in_domain)
    }

    /// Sends one request, holding a slot of the global in-flight cap until its body is read.
    async fn send(&self, request: RequestBuilder) -> Result<Reply, Error> {
        let _slot = self
            .inner
            .in_flight
            .acquire()
            .await
            .map_err(|_| Error::Config("the request limiter is closed"))?;
        let request = request.build().map_err(Error::transport)?;
        tracing::trace!(
            method = %request.method(),
            host = request.url().host_str(),
            path = request.url().path(),
            "sending request to EEN"
        );
        let started = Instant::now();
        let mut response = self
            .inner
            .http
            .execute(request)
            .await
            .map_err(Error::transport)?;
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

    /// Waits before retry number `retry`: exponential backoff with jitter, at least as long as
    /// EEN asked. Gives up with `error` at once if the wait would pass the deadline.
    async fn backoff(
        &self,
        retry: u32,
        at_least: Option<Duration>,
        deadline: Instant,
        error: Error,
    ) -> Result<(), Error> {
        let config = &self.inner.config;
        let delay = jittered_backoff(config.backoff_base, config.backoff_max, retry)
            .max(at_least.unwrap_or_default());
        if Instant::now() + delay >= deadline {
            return Err(error);
        }
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// A session other than generation `stale`, logging in if needed.
    async fn session(&self, stale: Option<u64>, deadline: Instant) -> Result<Arc<Session>, Error> {
        self.inner
            .sessions
            .get(stale, false, |number| self.log_in(number, deadline))
            .await
    }

    /// Authenticate then authorize, retrying what is worth retrying.
    async fn log_in(&self, number: u64, deadline: Instant) -> Result<Session, Error> {
        let span = tracing::info_span!("een_login", status = field::Empty, attempt = field::Empty);
        async {
            let max_retries = self.inner.config.max_retries;
            let mut retries = 0;
            let mut token_refused = false;
            for attempt in 1u32.. {
                Span::current().record("attempt", attempt);
                match self.log_in_once(number).await {
                    Ok(session) => {
                        tracing::info!(api_host = session.api_base.host_str(), "logged in to EEN");
                        return Ok(session);
                    }
                    // The single-use token expired or was refused between the two steps.
                    Err((Error::Upstream(401), _)) if !token_refused => {
                        token_refused = true;
                        tracing::info!("EEN refused the login token; starting over");
                    }
                    Err((error, hint)) if error.is_transient() && retries < max_retries => {
                        retries += 1;
                        tracing::info!(%error, retries, "EEN login failed; retrying");
                        self.backoff(retries, hint, deadline, error).await?;
                    }
                    Err((error, _)) => {
                        tracing::warn!(%error, "EEN login failed");
                        return Err(error);
                    }
                }
            }
            unreachable!("the attempt counter does not run out")
        }
        .instrument(span)
        .await
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
        let reply = self
            .send(self.inner.http.post(url).json(&credentials))
            .await
            .map_err(no_hint)?;
        Span::current().record("status", reply.status.as_u16());
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
        let reply = self
            .send(self.inner.http.post(url).json(&body))
            .await
            .map_err(no_hint)?;
        Span::current().record("status", reply.status.as_u16());
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

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("session", &self.session_state())
            .finish_non_exhaustive()
    }
}

/// The error for a non-200, non-401 login answer.
fn login_failure(status: u16, headers: &HeaderMap) -> LoginFailure {
    let error = match AccountProblem::from_status(status) {
        Some(problem) => Error::Account(problem),
        None if status == 429 => Error::RateLimited,
        None => Error::Upstream(status),
    };
    (error, wire::retry_after(headers))
}

/// A JPEG answer as an image, timed by `X-Ee-Timestamp` (or by the time asked for).
fn image(reply: Reply, requested: Option<EenTimestamp>) -> Result<Image, Error> {
    if !wire::is_jpeg(&reply.body) {
        return Err(Error::Decode("the image is not a JPEG".into()));
    }
    let timestamp = wire::frame_timestamp(&reply.headers)
        .or(requested)
        .ok_or_else(|| Error::Decode("the image has no X-Ee-Timestamp".into()))?;
    Ok(Image {
        timestamp,
        bytes: reply.body,
    })
}

async fn read_body(response: &mut reqwest::Response) -> Result<Bytes, Error> {
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

/// `base` + relative `path` + query.
fn endpoint(base: &Url, path: &str, query: &[(&str, &str)]) -> Result<Url, Error> {
    let mut url = base
        .join(path)
        .map_err(|_| Error::Config("the EEN base URL cannot take a path"))?;
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Ok(url)
}

/// The branded cluster URL `{subdomain}.{domain}` for a base on `login.{domain}` (spec §1),
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

/// Exponential backoff with "equal jitter": between half and all of `base * 2^(retry-1)`,
/// capped at `max`, so that many clients retrying together spread out.
fn jittered_backoff(base: Duration, max: Duration, retry: u32) -> Duration {
    let exp = base
        .saturating_mul(1 << retry.saturating_sub(1).min(16))
        .min(max);
    let half = exp / 2;
    let half_nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(rand::random_range(0..=half_nanos))
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

    #[test]
    fn endpoints_join_paths_and_queries() {
        let base = url("http://login.een.test:9000/");
        assert_eq!(
            endpoint(&base, "g/device/list", &[]).unwrap().as_str(),
            "http://login.een.test:9000/g/device/list"
        );
        let u = endpoint(
            &base,
            "asset/list/image",
            &[
                ("id", "1000c4ae"),
                ("start_timestamp", "now"),
                ("count", "-20"),
            ],
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "http://login.een.test:9000/asset/list/image?id=1000c4ae&start_timestamp=now&count=-20"
        );
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

    #[test]
    fn client_rejects_unusable_base_urls() {
        for bad in ["mailto:demo@een.com", "file:///tmp/x"] {
            let config = ClientConfig::new(url(bad), "u", "p");
            assert!(
                matches!(Client::new(config), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn redirects_are_followed_only_within_een() {
        let config = ClientConfig::new(url("https://login.eagleeyenetworks.com"), "u", "p");
        let client = Client::new(config).unwrap();
        let from = url("https://c000.eagleeyenetworks.com/asset/asset/image.jpeg");
        let ok = [
            "https://c001.eagleeyenetworks.com/asset/asset/image.jpeg",
            "https://login.eagleeyenetworks.com/x",
            "https://c000.eagleeyenetworks.com:8443/x",
        ];
        for to in ok {
            assert!(client.may_follow(&url(to), &from), "{to}");
        }
        let refused = [
            "http://c001.eagleeyenetworks.com/x",
            "https://eagleeyenetworks.com.evil.test/x",
            "https://evileagleeyenetworks.com/x",
            "https://example.com/x",
        ];
        for to in refused {
            assert!(!client.may_follow(&url(to), &from), "{to}");
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let config = ClientConfig::new(
            url("https://login.eagleeyenetworks.com"),
            "demo@een.com",
            "hunter2-password",
        );
        let client = Client::new(config).unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("NotLoggedIn"));
    }

    #[test]
    fn images_must_be_jpegs_with_a_time() {
        let jpeg = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]);
        let ts: EenTimestamp = "20190409024212.149".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ee-timestamp",
            HeaderValue::from_static("preview-20190409024212.149"),
        );
        let reply = |headers: HeaderMap, body: Bytes| Reply {
            status: StatusCode::OK,
            headers,
            body,
        };
        let img = image(reply(headers.clone(), jpeg.clone()), None).unwrap();
        assert_eq!(img.timestamp, ts);
        assert_eq!(img.bytes, jpeg);
        let html = Bytes::from_static(b"<html>502 Bad Gateway</html>");
        assert!(matches!(
            image(reply(headers, html), None),
            Err(Error::Decode(_))
        ));
        assert!(matches!(
            image(reply(HeaderMap::new(), jpeg.clone()), None),
            Err(Error::Decode(_))
        ));
        let asked = ts.add_millis(5);
        assert_eq!(
            image(reply(HeaderMap::new(), jpeg), Some(asked))
                .unwrap()
                .timestamp,
            asked
        );
    }
}
