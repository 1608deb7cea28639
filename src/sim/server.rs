//! The request pipeline: one fallback handler that records, delays, injects faults, checks the
//! session and dispatches by path.
//!
//! The routing is done by hand rather than with axum's router because EEN's paths carry
//! quirks a router would normalise away: a trailing `/` must answer 500 (SIM-03) and queries
//! are split on `;` as well as `&` (SIM-04).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, COOKIE, HOST};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use rand::RngExt;
use tokio::sync::watch;

use super::auth::{Auth, SessionCandidates, SessionRef};
use super::frames::{FrameCamera, Frames};
use super::query::{Params, lossy};
use super::recording::{Recording, interval_for};
use super::seed::{Device, demo_devices};
use super::stats::{RecordedRequest, Recorder};
use super::timeline::Window;
use super::wire::{ApiError, g_json, pretty_json};
use super::{Endpoint, Faults, SimConfig, aaa, assets, devices, v3};

/// Request bodies larger than this answer 413 (logins are tiny).
const MAX_BODY: usize = 1 << 20;

/// A camera that has (or could have) preview frames.
#[derive(Debug)]
pub(crate) struct CameraAssets {
    pub(crate) timeline: Recording,
    pub(crate) frame_camera: FrameCamera,
    /// When it stopped sending previews (ms since the epoch), if it did.
    down_at: Option<i64>,
    has_images: bool,
}

/// Everything a request may need; shared by all requests.
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    faults: RwLock<Arc<Faults>>,
    /// What is left of [`Faults::transient_no_matching_asset`].
    transient_left: AtomicU32,
    pub(crate) recorder: Recorder,
    pub(crate) auth: Auth,
    pub(crate) devices: Vec<Device>,
    pub(crate) cameras: HashMap<String, CameraAssets>,
    pub(crate) frames: Frames,
    /// The API v3 side (OAuth clients, codes, tokens).
    pub(crate) v3: v3::V3State,
    login_host: String,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("config", &self.config)
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

impl SimState {
    pub(crate) fn new(config: SimConfig, shutdown: watch::Receiver<bool>) -> Self {
        let started_ms = crate::timestamp::EenTimestamp::now().as_millis();
        let interval_ms = i64::try_from(config.preview_interval.as_millis()).unwrap_or(i64::MAX);
        let retention_ms = i64::try_from(config.retention.as_millis()).unwrap_or(i64::MAX);
        let devices = demo_devices();
        let cameras = devices
            .iter()
            .filter(|d| d.is_camera())
            .filter_map(|d| {
                let esn = d.esn.clone()?;
                let time_zone = d
                    .time_zone
                    .and_then(|tz| jiff::tz::TimeZone::get(tz).ok())
                    .unwrap_or(jiff::tz::TimeZone::UTC);
                let down_at = d.down_for.map(|down| {
                    started_ms.saturating_sub(i64::try_from(down.as_millis()).unwrap_or(0))
                });
                Some((
                    esn.clone(),
                    CameraAssets {
                        timeline: Recording::new(
                            &esn,
                            interval_for(&d.name, interval_ms),
                            started_ms.saturating_sub(retention_ms),
                            started_ms,
                        ),
                        frame_camera: FrameCamera {
                            esn,
                            name: d.name.clone(),
                            time_zone,
                        },
                        down_at,
                        has_images: d.has_images,
                    },
                ))
            })
            .collect();
        let (w, h) = config.frame_size;
        Self {
            faults: RwLock::new(Arc::new(config.faults.clone())),
            transient_left: AtomicU32::new(config.faults.transient_no_matching_asset),
            recorder: Recorder::new(config.request_log_limit),
            auth: Auth::new(&config.cluster, config.token_ttl, config.session_ttl),
            devices,
            cameras,
            frames: Frames::new(w.max(1), h.max(1)),
            v3: v3::V3State::new(&config),
            login_host: format!("login.{}", config.base_domain.to_ascii_lowercase()),
            config,
            shutdown,
        }
    }

    pub(crate) fn faults(&self) -> Arc<Faults> {
        self.faults
            .read()
            .map(|f| Arc::clone(&f))
            .unwrap_or_else(|e| Arc::clone(&e.into_inner()))
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.transient_left
            .store(faults.transient_no_matching_asset, Ordering::SeqCst);
        let faults = Arc::new(faults);
        match self.faults.write() {
            Ok(mut f) => *f = faults,
            Err(e) => *e.into_inner() = faults,
        }
    }

    /// Uses up one of the injected transient "no matching asset" answers, if any are left.
    pub(crate) fn take_transient_no_matching_asset(&self) -> bool {
        self.transient_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    /// The span in which `camera` has frames at `now_ms`.
    pub(crate) fn window(&self, camera: &CameraAssets, now_ms: i64) -> Window {
        if !camera.has_images {
            return Window::EMPTY;
        }
        let retention = i64::try_from(self.config.retention.as_millis()).unwrap_or(i64::MAX);
        Window {
            first: now_ms.saturating_sub(retention),
            last: camera.down_at.map_or(now_ms, |down| down.min(now_ms)),
        }
    }

    /// Waits for `duration`, or less when the simulator shuts down (returns false then).
    pub(crate) async fn sleep(&self, duration: Duration) -> bool {
        let mut shutdown = self.shutdown.clone();
        if *shutdown.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = stopped(&mut shutdown) => false,
        }
    }
}

/// Resolves once the simulator is told to stop; never, if its handle was dropped instead.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// One request, parsed once.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) method: Method,
    pub(crate) endpoint: Endpoint,
    /// The host name (lowercase, without port).
    pub(crate) host: String,
    pub(crate) query: Params,
    /// Parameters from the body (form, JSON or multipart), or why the body is unreadable.
    pub(crate) body: Result<Params, ApiError>,
    pub(crate) candidates: SessionCandidates,
    trailing_slash: bool,
}

impl Ctx {
    /// Whether the request came in on `login.<base_domain>`.
    pub(crate) fn on_login_host(&self, state: &SimState) -> bool {
        self.host == state.login_host
    }
}

/// The fallback handler: every request arrives here.
pub(crate) async fn handle(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await;
    let raw_path = parts.uri.path();
    let (path, trailing_slash) = match raw_path.strip_suffix('/') {
        Some(p) if !p.is_empty() => (p, true),
        _ => (raw_path, false),
    };
    let endpoint = Endpoint::classify(path);
    if endpoint.is_v3() {
        return v3::handle(&state, endpoint, parts, body).await;
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
        Err(_) => (Bytes::new(), Err(ApiError::payload_too_large())),
    };
    let explicit_key = query
        .get_nonempty(&["A"])
        .or_else(|| {
            body_params
                .as_ref()
                .ok()
                .and_then(|p| p.get_nonempty(&["A"]))
        })
        .map(str::to_owned);
    let cookie_headers: Vec<String> = parts
        .headers
        .get_all(COOKIE)
        .iter()
        .map(|v| lossy(v.as_bytes()).into_owned())
        .collect();
    let cookie_refs: Vec<&str> = cookie_headers.iter().map(String::as_str).collect();
    let ctx = Ctx {
        method: parts.method.clone(),
        endpoint,
        host,
        query,
        body: body_params,
        candidates: SessionCandidates::new(explicit_key, &cookie_refs),
        trailing_slash,
    };

    let faults = state.faults();
    let in_flight = endpoint.is_image().then(|| {
        let ordinal = state.auth.peek(&ctx.candidates);
        state.recorder.image_started(ordinal)
    });
    let delay = delay_for(&faults, endpoint);
    let response = if !delay.is_zero() && !state.sleep(delay).await {
        ApiError::unavailable().into_response()
    } else {
        respond(&state, &ctx, &faults).await
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

/// The injected delay for one request (SIM-51).
fn delay_for(faults: &Faults, endpoint: Endpoint) -> Duration {
    if endpoint == Endpoint::Stats {
        return Duration::ZERO;
    }
    let jitter = if faults.jitter.is_zero() {
        Duration::ZERO
    } else {
        faults.jitter.mul_f64(rand::rng().random::<f64>())
    };
    let extra = faults
        .endpoint_latency
        .get(&endpoint)
        .copied()
        .unwrap_or_default();
    faults.latency + jitter + extra
}

/// The first injected error that fires for `endpoint`, if any.
fn injected_error(faults: &Faults, endpoint: Endpoint) -> Option<ApiError> {
    faults
        .errors
        .iter()
        .filter(|e| e.endpoint.is_none_or(|only| only == endpoint))
        .find(|e| e.rate >= 1.0 || (e.rate > 0.0 && rand::rng().random::<f64>() < e.rate))
        .map(|e| ApiError::injected(e.status))
}

async fn respond(state: &SimState, ctx: &Ctx, faults: &Faults) -> Response {
    if ctx.trailing_slash && state.config.trailing_slash_500 {
        return ApiError::internal().into_response();
    }
    if ctx.endpoint == Endpoint::Stats {
        return stats(state, ctx);
    }
    if ctx.endpoint == Endpoint::Other {
        return ApiError::not_found("not found").into_response();
    }
    if let Some(error) = injected_error(faults, ctx.endpoint) {
        return error.into_response();
    }
    let result = match ctx.endpoint {
        Endpoint::Authenticate => aaa::authenticate(state, ctx).await,
        Endpoint::Authorize => aaa::authorize(state, ctx).await,
        endpoint => match session(state, ctx, faults) {
            Err(e) => Err(e),
            Ok(session) => match endpoint {
                Endpoint::IsAuth => aaa::isauth(state, ctx),
                Endpoint::Logout => aaa::logout(state, ctx),
                Endpoint::User => aaa::user(state, ctx, session),
                Endpoint::DeviceList => devices::list(state, ctx),
                Endpoint::Device => devices::device(state, ctx),
                Endpoint::ListImage => assets::list(state, ctx),
                _ => assets::image(state, ctx, faults).await,
            },
        },
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// Method check, then the session the request acts as (SIM-20 … SIM-23, SIM-50).
fn session(state: &SimState, ctx: &Ctx, faults: &Faults) -> Result<SessionRef, ApiError> {
    let allowed = match ctx.endpoint {
        Endpoint::Logout if !state.config.logout_via_get => ctx.method == Method::POST,
        _ => ctx.method == Method::GET || ctx.method == Method::POST,
    };
    if !allowed {
        return Err(ApiError::method_not_allowed());
    }
    state
        .auth
        .check(&ctx.candidates, ctx.on_login_host(state), faults)
}

/// `GET /_sim/stats`: the counters as JSON (never the request log: it holds credentials).
fn stats(state: &SimState, ctx: &Ctx) -> Response {
    if ctx.method != Method::GET {
        return ApiError::method_not_allowed().into_response();
    }
    let body = pretty_json(&state.recorder.snapshot());
    g_json(StatusCode::OK, body, jiff::Timestamp::now())
}

/// Parameters in a request body: JSON, multipart, or urlencoded (also with no `Content-Type`
/// at all, as python-requests sends a `str` body).
async fn body_params(headers: &HeaderMap, body: &Bytes) -> Result<Params, ApiError> {
    if body.is_empty() {
        return Ok(Params::default());
    }
    let raw_content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Lowercase for matching only: a multipart boundary is case-sensitive.
    let content_type = raw_content_type.to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        return multipart_params(raw_content_type, body.clone()).await;
    }
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.starts_with("application/json")
        || (looks_json && !content_type.contains("form"))
    {
        return json_params(body);
    }
    Ok(Params::from_form(body))
}

fn json_params(body: &[u8]) -> Result<Params, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| ApiError::bad_request("malformed JSON body"))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad_request("expected a JSON object"))?;
    let mut params = Params::default();
    for (key, value) in object {
        match value {
            serde_json::Value::String(s) => params.push(key.as_str(), s.as_str()),
            serde_json::Value::Number(n) => params.push(key.as_str(), n.to_string()),
            serde_json::Value::Bool(b) => params.push(key.as_str(), b.to_string()),
            serde_json::Value::Null => {}
            _ => return Err(ApiError::bad_request(format!("invalid argument: {key}"))),
        }
    }
    Ok(params)
}

async fn multipart_params(content_type: &str, body: Bytes) -> Result<Params, ApiError> {
    let malformed = || ApiError::bad_request("malformed multipart body");
    let boundary = multer::parse_boundary(content_type).map_err(|_| malformed())?;
    let stream = Body::from(body).into_data_stream();
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut params = Params::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| malformed())? {
        let name = field.name().unwrap_or_default().to_owned();
        let value = field.text().await.map_err(|_| malformed())?;
        params.push(name, value);
    }
    Ok(params)
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

    #[tokio::test]
    async fn bodies_are_read_as_json_multipart_or_form_whatever_the_content_type() {
        let mut headers = HeaderMap::new();
        let form = Bytes::from_static(b"username=demo@een.com&password=bettercloud");
        let p = body_params(&headers, &form).await.unwrap();
        assert_eq!(p.get(&["username"]), Some("demo@een.com"));

        let json = Bytes::from_static(br#"{"token": "a+b/=", "n": 3}"#);
        let p = body_params(&headers, &json).await.unwrap();
        assert_eq!(p.get(&["token"]), Some("a+b/="));
        assert_eq!(p.get(&["n"]), Some("3"));

        headers.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        let err = body_params(&headers, &Bytes::from_static(b"[1]")).await;
        assert_eq!(err.unwrap_err().status, 400);
        let err = body_params(&headers, &Bytes::from_static(b"{\"a\": {}}")).await;
        assert_eq!(err.unwrap_err().status, 400);

        headers.insert(
            CONTENT_TYPE,
            "multipart/form-data; boundary=XyZ".parse().unwrap(),
        );
        let multipart = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\ndemo@een.com\r\n--XyZ--\r\n",
        );
        let p = body_params(&headers, &multipart).await.unwrap();
        assert_eq!(p.get(&["username"]), Some("demo@een.com"));
        let err = body_params(&headers, &Bytes::from_static(b"garbage")).await;
        assert_eq!(err.unwrap_err().status, 400);
    }
}
