//! The EEN API v3 simulator (spec `een-api-v3.md` §14, V3-SIM-01 … 41), beside the v1 one and
//! over the same demo account, frames and recordings.
//!
//! One process answers both APIs and, like EEN, any `Host`: the auth host
//! (`auth.<base_domain>`) serves `/oauth2/*` (consent page, codes, tokens, revoke), the API
//! host returned in `httpsBaseUrl` (`api.<cluster>.<base_domain>` unless configured) serves
//! `/api/v3.0/*`, and `api.<base_domain>` answers `/api/v3.0/clientSettings`. Every path is
//! answered on every host (a sim on a plain loopback port is one host); the
//! `strict_api_host` fault makes API calls on a host other than the current API host answer
//! 401, as after an account moved.
//!
//! The request pipeline mirrors v1's: the latency and error faults, the bearer check with
//! the per-token rate limit, dispatch, and the counters in `/_sim/stats`.

mod auth;
mod cameras;
pub(crate) mod cli;
pub(crate) mod config;
mod consent;
mod handle;
mod media;
mod oauth;
pub(crate) mod stats;
mod users;
mod wire;

use std::sync::RwLock;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use rand::RngExt;

pub use cli::V3Args;
pub use config::{
    V3_DEMO_CLIENT_ID, V3_DEMO_CLIENT_SECRET, V3_DEMO_REDIRECT_URIS, V3Client, V3Config, V3Faults,
};
pub use stats::V3Stats;

use super::account::users::{User, check_login, users};
use super::frames::Frames;
use super::http::state::SimState;
use super::stats::RecordedRequest;
use super::{Endpoint, Faults, SimConfig};
use oauth::{Bearer, BearerError, OAuth};
use wire::{Query, V3Error};

/// The v3 side of the simulator's shared state.
pub(crate) struct V3State {
    pub(crate) oauth: OAuth,
    clients: Vec<V3Client>,
    /// What `httpsBaseUrl` says now: host name and port.
    api_host: RwLock<(String, u16)>,
    /// Refresh grants still to refuse (the replayed-refresh fault).
    refusals_left: AtomicU32,
    /// Renderer of the larger `type=main` frames.
    pub(crate) main_frames: Frames,
    /// The demo account's users (the consent page accepts the same ones as v1's login).
    users: Vec<User>,
}

impl std::fmt::Debug for V3State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V3State")
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

/// `HOST` or `HOST:PORT` (`[v6]:PORT`) → host name and port (443 when absent).
pub(crate) fn split_host(text: &str) -> Option<(String, u16)> {
    let text = text.trim();
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            (host, port.parse().ok()?)
        }
        _ => (text, 443),
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    valid.then(|| (host.to_ascii_lowercase(), port))
}

impl V3State {
    pub(crate) fn new(config: &SimConfig) -> Self {
        let default_host = format!("api.{}.{}", config.cluster, config.base_domain);
        let api_host = config
            .v3
            .api_host
            .as_deref()
            .and_then(split_host)
            .unwrap_or_else(|| (default_host.to_ascii_lowercase(), 443));
        let (w, h) = config.v3.main_frame_size;
        Self {
            oauth: OAuth::new(&config.v3, &config.cluster),
            clients: config.v3.clients.clone(),
            api_host: RwLock::new(api_host),
            refusals_left: AtomicU32::new(0),
            main_frames: Frames::new(w.max(1), h.max(1)),
            users: users(),
        }
    }

    /// The user at `index` (indexes come only from our own codes and tokens).
    pub(crate) fn user(&self, index: usize) -> &User {
        &self.users[index.min(self.users.len().saturating_sub(1))]
    }

    /// The index of the user these credentials log in as, if they do.
    pub(crate) fn check_credentials(&self, username: &str, password: &str) -> Option<usize> {
        let index = self.user_index(username)?;
        check_login(self.users.get(index), password).ok()?;
        Some(index)
    }

    /// The index of the user named `username`, if there is one.
    pub(crate) fn user_index(&self, username: &str) -> Option<usize> {
        self.users.iter().position(|u| u.username == username)
    }

    pub(crate) fn clients(&self) -> &[V3Client] {
        &self.clients
    }

    pub(crate) fn client(&self, id: &str) -> Option<&V3Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// The host name and port `httpsBaseUrl` says now.
    pub(crate) fn api_host(&self) -> (String, u16) {
        self.api_host
            .read()
            .map(|h| h.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub(crate) fn set_api_host(&self, host: (String, u16)) {
        match self.api_host.write() {
            Ok(mut h) => *h = host,
            Err(e) => *e.into_inner() = host,
        }
    }

    pub(crate) fn refuse_refreshes(&self, n: u32) {
        self.refusals_left.store(n, Ordering::SeqCst);
    }

    /// Uses up one of the refresh refusals, if any are left.
    pub(crate) fn take_refusal(&self) -> bool {
        self.refusals_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// One v3 request, parsed once.
pub(crate) struct Req<'a> {
    /// API v3's own state (clients, codes, tokens, users).
    pub(crate) v3: &'a V3State,
    pub(crate) method: Method,
    pub(crate) endpoint: Endpoint,
    /// The path as sent (for the envelope's `metadata.path`).
    pub(crate) path: &'a str,
    /// The host name, lowercase, without port.
    pub(crate) host: &'a str,
    pub(crate) query: Query,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl Req<'_> {
    /// The bearer token sent, if any.
    pub(crate) fn bearer(&self) -> Option<&str> {
        bearer(self.headers)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `api.c000.een.test:8080` → `api.c000.een.test`; `[::1]:80` → `[::1]`.
fn host_name(host: &str) -> String {
    let name = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.to_ascii_lowercase()
}

/// Every v3 request arrives here from the simulator's dispatcher.
pub(crate) async fn handle(
    state: &SimState,
    v3: &V3State,
    endpoint: Endpoint,
    parts: Parts,
    body: Result<Bytes, axum::Error>,
) -> Response {
    let host_header = parts
        .headers
        .get(HOST)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let host = host_header.as_deref().map(host_name).unwrap_or_default();
    let path = parts.uri.path();
    let (body, too_large) = match body {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    let req = Req {
        v3,
        method: parts.method.clone(),
        endpoint,
        path,
        host: &host,
        query: Query::parse(parts.uri.query().unwrap_or("").as_bytes()),
        headers: &parts.headers,
        body: &body,
    };

    let faults = state.faults();
    let in_flight = endpoint.is_v3_image().then(|| {
        let ordinal = req.bearer().and_then(|t| req.v3.oauth.peek(t));
        state.recorder.v3.image_started(ordinal)
    });
    let delay = faults.delay_for(endpoint);
    state.recorder.arrived(endpoint);
    let response = if too_large {
        V3Error::payload_too_large(path).into_response()
    } else if !delay.is_zero() && !state.sleep(delay).await {
        V3Error::service_unavailable(path).into_response()
    } else {
        respond(state, &req, &faults).await
    };
    drop(in_flight);

    state.recorder.finish(
        RecordedRequest {
            method: parts.method.to_string(),
            host: host_header,
            path: path.to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
            endpoint,
            status: response.status().as_u16(),
        },
        host,
    );
    response
}

/// The first injected error that fires for `endpoint`, in the v3 envelope.
fn injected_error(faults: &Faults, endpoint: Endpoint, path: &str) -> Option<V3Error> {
    faults
        .errors
        .iter()
        .filter(|e| e.endpoint.is_none_or(|only| only == endpoint))
        .find(|e| e.rate >= 1.0 || (e.rate > 0.0 && rand::rng().random::<f64>() < e.rate))
        .map(|e| match e.status {
            429 => V3Error::too_many_requests(path, faults.retry_after_secs),
            status => V3Error::injected(status, path),
        })
}

async fn respond(state: &SimState, req: &Req<'_>, faults: &Faults) -> Response {
    if let Some(error) = injected_error(faults, req.endpoint, req.path) {
        return error.into_response();
    }
    match req.endpoint {
        Endpoint::V3Authorize => auth::authorize(state, req),
        Endpoint::V3Token => auth::token(state, req),
        Endpoint::V3Revoke => auth::revoke(state, req),
        Endpoint::V3Other if req.path.starts_with("/oauth2/") => {
            V3Error::endpoint_not_found(req.path).into_response()
        }
        _ => api(state, req, faults)
            .await
            .unwrap_or_else(IntoResponse::into_response),
    }
}

/// V3-SIM-20: the bearer check, then the endpoint.
async fn api(state: &SimState, req: &Req<'_>, faults: &Faults) -> Result<Response, V3Error> {
    let token = req
        .bearer()
        .ok_or_else(|| V3Error::unauthenticated(req.path))?;
    let bearer: Bearer = req
        .v3
        .oauth
        .check(token, faults.rate_limit_per_second)
        .map_err(|e| match e {
            BearerError::Unauthenticated => V3Error::unauthenticated(req.path),
            BearerError::TooMany => V3Error::too_many_requests(req.path, faults.retry_after_secs),
        })?;
    if faults.v3.strict_api_host
        && req.endpoint != Endpoint::V3ClientSettings
        && req.host != req.v3.api_host().0
    {
        return Err(V3Error::unauthenticated(req.path));
    }
    if req.method != Method::GET {
        return Err(V3Error::method_not_supported(req.path));
    }
    match req.endpoint {
        Endpoint::V3ClientSettings => users::client_settings(req),
        Endpoint::V3UsersSelf => users::user_self(req, bearer),
        Endpoint::V3Accounts => users::accounts(req),
        Endpoint::V3Cameras => cameras::list(state, req),
        Endpoint::V3Camera => cameras::one(state, req),
        Endpoint::V3LiveImage => media::live_image(state, req),
        Endpoint::V3RecordedImage => media::recorded_image(state, req, token),
        Endpoint::V3Media => media::intervals(state, req),
        _ => Err(V3Error::endpoint_not_found(req.path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_hosts_parse_with_and_without_port() {
        assert_eq!(
            split_host("api.c000.een.test"),
            Some(("api.c000.een.test".to_owned(), 443))
        );
        assert_eq!(
            split_host("127.0.0.1:9000"),
            Some(("127.0.0.1".to_owned(), 9000))
        );
        assert_eq!(split_host("[::1]:9000"), Some(("[::1]".to_owned(), 9000)));
        assert_eq!(split_host("a b"), None);
        assert_eq!(split_host(""), None);
        assert_eq!(split_host("x:99999"), None);
    }
}
