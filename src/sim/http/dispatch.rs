//! The request pipeline: one fallback handler that records, delays, injects faults and hands
//! the request to the API it is for.
//!
//! The routing is done by hand rather than with axum's router because EEN's paths carry
//! quirks a router would normalise away: a trailing `/` must answer 500 (SIM-03) and queries
//! are split on `;` as well as `&` (SIM-04).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use tokio::sync::watch;

use super::body::{BodyError, body_params};
use super::query::{Params, lossy};
use super::state::{Ctx, SimState};
use crate::sim::stats::RecordedRequest;
use crate::sim::v1;
use crate::sim::v1::auth::{Auth, SessionCandidates};
use crate::sim::v1::wire::{ApiError, g_json, pretty_json};
use crate::sim::v3::{self, V3State};
use crate::sim::{Endpoint, Faults, SimConfig};

/// Request bodies larger than this answer 413 (logins are tiny).
const MAX_BODY: usize = 1 << 20;

/// The whole simulator behind the listener: the shared state and each API's own.
#[derive(Debug)]
pub(crate) struct Sim {
    /// What every API reads: configuration, faults, the demo account, frames, counters.
    pub(crate) state: SimState,
    /// API v1's authenticate tokens and sessions.
    pub(crate) v1: Auth,
    /// API v3's OAuth clients, codes and tokens.
    pub(crate) v3: V3State,
}

impl Sim {
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> Self {
        let v1 = Auth::new(&config.cluster, config.token_ttl, config.session_ttl);
        let v3 = V3State::new(&config);
        Self {
            state: SimState::new(config, shutdown),
            v1,
            v3,
        }
    }
}

/// The fallback handler: every request arrives here.
pub(crate) async fn handle(State(sim): State<Arc<Sim>>, request: Request) -> Response {
    let state = &sim.state;
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    let raw_path = parts.uri.path();
    let (path, trailing_slash) = match raw_path.strip_suffix('/') {
        Some(p) if !p.is_empty() => (p, true),
        _ => (raw_path, false),
    };
    let endpoint = Endpoint::classify(path);
    if endpoint.is_v3() {
        return v3::handle(state, &sim.v3, endpoint, parts, body).await;
    }
    let host_header = parts
        .headers
        .get(HOST)
        .map(|h| lossy(h.as_bytes()).into_owned())
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    let host = host_header.as_deref().map(host_name).unwrap_or_default();
    let query = Params::from_query(parts.uri.query().unwrap_or(""));

    let (body_bytes, body_params) = match body {
        Ok(bytes) => {
            let params = body_params(&parts.headers, &bytes).await;
            (bytes, params)
        }
        Err(_) => (Bytes::new(), Err(BodyError::TooLarge)),
    };
    let ctx = Ctx {
        method: parts.method.clone(),
        endpoint,
        host,
        query,
        body: body_params,
        trailing_slash,
    };
    let candidates = SessionCandidates::of_request(&ctx, &parts.headers);

    let faults = state.faults();
    let in_flight = endpoint.is_image().then(|| {
        let ordinal = sim.v1.peek(&candidates);
        state.recorder.image_started(ordinal)
    });
    let delay = faults.delay_for(endpoint);
    state.recorder.arrived(endpoint);
    let response = if !delay.is_zero() && !state.sleep(delay).await {
        ApiError::unavailable().into_response()
    } else {
        respond(&sim, &ctx, &candidates, &faults).await
    };
    drop(in_flight);

    state.recorder.finish(
        RecordedRequest {
            method: parts.method.to_string(),
            host: host_header,
            path: raw_path.to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), lossy(v.as_bytes()).into_owned()))
                .collect(),
            body: body_bytes,
            endpoint,
            status: response.status().as_u16(),
        },
        ctx.host,
    );
    response
}

/// `c000.een.test:8080` → `c000.een.test`; `[::1]:80` → `[::1]`.
fn host_name(host: &str) -> String {
    let name = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.to_ascii_lowercase()
}

async fn respond(
    sim: &Sim,
    ctx: &Ctx,
    candidates: &SessionCandidates,
    faults: &Faults,
) -> Response {
    let state = &sim.state;
    if ctx.trailing_slash && state.config.trailing_slash_500 {
        return ApiError::internal().into_response();
    }
    if ctx.endpoint == Endpoint::Stats {
        return stats(state, ctx);
    }
    v1::respond(state, &sim.v1, ctx, candidates, faults).await
}

/// `GET /_sim/stats`: the counters as JSON (never the request log: it holds credentials).
fn stats(state: &SimState, ctx: &Ctx) -> Response {
    if ctx.method != Method::GET {
        return ApiError::method_not_allowed().into_response();
    }
    let body = pretty_json(&state.recorder.snapshot());
    g_json(StatusCode::OK, body, jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_drop_the_port_and_case() {
        assert_eq!(host_name("C000.een.test:8080"), "c000.een.test");
        assert_eq!(host_name("login.een.test"), "login.een.test");
        assert_eq!(host_name("[::1]:80"), "[::1]");
        assert_eq!(host_name("127.0.0.1:9000"), "127.0.0.1");
    }
}
