//! `/asset/list/image` and `/asset/{asset,prev,next,after}/image.jpeg` (SIM-41 … SIM-44).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_LENGTH, CONTENT_LOCATION, CONTENT_TYPE, EXPIRES, HeaderName, SERVER,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use jiff::Timestamp;

use super::params::{TimeParam, reject_unknown};
use super::wire::{ApiError, g_json, hex_id, http_date, put};
use crate::sim::account::devices::RESTRICTED_ESN;
use crate::sim::http::state::{CameraAssets, Ctx, SimState};
use crate::sim::{Endpoint, Faults, UnknownCameraAnswer};
use crate::timestamp::EenTimestamp;

/// The most entries one list answer holds; larger counts are clamped (never an error).
pub const MAX_LIST_COUNT: usize = 10_000;
/// How long `next` waits for a new frame when the request gives no `timeout`.
pub const DEFAULT_NEXT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `timeout` honoured by `next`; longer ones are clamped.
pub const MAX_NEXT_TIMEOUT: Duration = Duration::from_secs(60);

const ID: &[&str] = &["id", "c"];
const CLASS: &[&str] = &["asset_class", "a"];
const LIST_PARAMS: &[&str] = &[
    "A",
    "id",
    "c",
    "start_timestamp",
    "t",
    "end_timestamp",
    "e",
    "count",
    "asset_class",
    "a",
    "quality",
    "q",
];
const IMAGE_PARAMS: &[&str] = &[
    "A",
    "id",
    "c",
    "timestamp",
    "t",
    "asset_class",
    "a",
    "quality",
    "q",
    "tm",
];
const NEXT_PARAMS: &[&str] = &["timeout", "time_limit", "l"];

const X_EE_TIMESTAMP: HeaderName = HeaderName::from_static("x-ee-timestamp");
const X_EE_PREV: HeaderName = HeaderName::from_static("x-ee-prev");
const X_EE_NEXT: HeaderName = HeaderName::from_static("x-ee-next");
const X_EEN_LB_TRIED_PROXIES: HeaderName = HeaderName::from_static("x-een-lb-tried-proxies");
const X_EEN_LB_REQUEST_ID: HeaderName = HeaderName::from_static("x-een-lb-request-id");
const X_EEN_LB_REQUEST_TIME: HeaderName = HeaderName::from_static("x-een-lb-request-time");

/// The asset class a request asks for (SIM-05: `preview` is an alias of `pre`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// `pre`, `preview` or `all`: preview frames.
    Preview,
    /// `thumb`: the simulator makes no thumbnails, so there are none.
    Thumb,
}

fn class(ctx: &Ctx) -> Result<Class, ApiError> {
    match ctx.query.get_nonempty(CLASS) {
        Some("pre" | "preview" | "all") => Ok(Class::Preview),
        Some("thumb") => Ok(Class::Thumb),
        Some(_) => Err(ApiError::bad_request("invalid argument: asset_class")),
        None => Err(ApiError::bad_request("missing argument: asset_class")),
    }
}

fn time(ctx: &Ctx, names: &[&str], what: &'static str) -> Result<Option<TimeParam>, ApiError> {
    ctx.query
        .get_nonempty(names)
        .map(|v| {
            TimeParam::parse(v)
                .map_err(|_| ApiError::bad_request(format!("invalid argument: {what}")))
        })
        .transpose()
}

/// The camera a request names; `Ok(None)` for a known device without frames (a bridge).
fn camera<'s>(state: &'s SimState, ctx: &Ctx) -> Result<Option<&'s CameraAssets>, ApiError> {
    let esn = ctx
        .query
        .get_nonempty(ID)
        .ok_or_else(|| ApiError::bad_request("missing argument: id"))?;
    if esn == RESTRICTED_ESN {
        return Err(ApiError::forbidden());
    }
    if let Some(camera) = state.cameras.get(esn) {
        return Ok(Some(camera));
    }
    if state.devices.iter().any(|d| d.esn.as_deref() == Some(esn)) {
        return Ok(None);
    }
    Err(match state.faults().unknown_camera {
        UnknownCameraAnswer::NotFound => ApiError::not_found("camera not found"),
        UnknownCameraAnswer::Forbidden => ApiError::forbidden(),
        UnknownCameraAnswer::NoMatchingAsset => ApiError::no_matching_asset(),
    })
}

fn now_ms() -> i64 {
    EenTimestamp::now().as_millis()
}

/// `GET /asset/list/image[.jpeg]` → `[{"t":"PRFR","s":"…"}, …]` (SIM-41).
///
/// `count=-N`: the N frames strictly before `t`, newest first. `count=N` without `e`: the N
/// frames from `t` on (at or after), oldest first. With `e`: the frames from `t` to `e`
/// (inclusive), oldest first, limited by a positive `count`, or the newest `|count|` of them
/// newest first for a negative one.
pub(crate) fn list(state: &SimState, ctx: &Ctx) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[LIST_PARAMS])?;
    let camera = camera(state, ctx)?;
    let start = time(ctx, &["start_timestamp", "t"], "start_timestamp")?
        .ok_or_else(|| ApiError::bad_request("missing argument: start_timestamp"))?;
    let end = time(ctx, &["end_timestamp", "e"], "end_timestamp")?;
    let count = ctx
        .query
        .get_nonempty(&["count"])
        .map(|c| {
            c.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::bad_request("invalid argument: count"))
        })
        .transpose()?;
    let class = class(ctx)?;
    if end.is_none() && count.is_none() {
        return Err(ApiError::bad_request(
            "missing argument: end_timestamp or count",
        ));
    }
    if (start.is_relative() || end.is_some_and(TimeParam::is_relative))
        && state.take_transient_no_matching_asset()
    {
        return Err(ApiError::no_matching_asset());
    }

    let now = now_ms();
    let limit = |n: i64| {
        usize::try_from(n.unsigned_abs())
            .unwrap_or(usize::MAX)
            .min(MAX_LIST_COUNT)
    };
    let times = match (camera, class) {
        (Some(cam), Class::Preview) => {
            let window = state.window(cam, now);
            let tl = &cam.timeline;
            let t = start.resolve(now);
            match (end.map(|e| e.resolve(now)), count) {
                (None, Some(n)) if n < 0 => tl.list_before(window, t, limit(n)),
                (None, Some(n)) => tl.list_from(window, t, i64::MAX, limit(n)),
                (Some(e), Some(n)) if n < 0 => tl.list_range_newest_first(window, t, e, limit(n)),
                (Some(e), n) => tl.list_from(window, t, e, n.map_or(MAX_LIST_COUNT, limit)),
                (None, None) => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let mut body = String::with_capacity(2 + times.len() * 36);
    body.push('[');
    for (i, ms) in times.iter().enumerate() {
        if i > 0 {
            body.push_str(", ");
        }
        body.push_str("{\"t\": \"PRFR\", \"s\": \"");
        body.push_str(&EenTimestamp::from_millis(*ms).to_string());
        body.push_str("\"}");
    }
    body.push(']');
    Ok(g_json(
        StatusCode::OK,
        body.into_bytes(),
        Timestamp::from_millisecond(now).unwrap_or(Timestamp::now()),
    ))
}

/// `GET /asset/{asset,prev,next,after}/image.jpeg` (SIM-42, SIM-43, SIM-44).
pub(crate) async fn image(
    state: &SimState,
    ctx: &Ctx,
    faults: &Faults,
) -> Result<Response, ApiError> {
    let started = Instant::now();
    let endpoint = ctx.endpoint;
    if endpoint == Endpoint::NextImage {
        reject_unknown(state, ctx, &[IMAGE_PARAMS, NEXT_PARAMS])?;
    } else {
        reject_unknown(state, ctx, &[IMAGE_PARAMS])?;
    }
    let camera = camera(state, ctx)?;
    let t = time(ctx, &["timestamp", "t"], "timestamp")?
        .ok_or_else(|| ApiError::bad_request("missing argument: timestamp"))?;
    let class = class(ctx)?;
    let timeout = next_timeout(ctx)?;
    if t.is_relative() && state.take_transient_no_matching_asset() {
        return Err(ApiError::no_matching_asset());
    }
    let missing = || {
        if faults.missing_image_as_400 {
            ApiError::no_matching_asset()
        } else {
            ApiError::not_found("image not found")
        }
    };
    let Some(cam) = camera.filter(|_| class == Class::Preview) else {
        if endpoint == Endpoint::NextImage {
            return wait_in_vain(state, timeout).await;
        }
        return Err(missing());
    };

    let arrival = now_ms();
    let at = t.resolve(arrival);
    let tl = &cam.timeline;
    let found = match endpoint {
        Endpoint::AssetImage if t.is_relative() => tl.at_or_before(state.window(cam, arrival), at),
        Endpoint::AssetImage => tl.at(state.window(cam, arrival), at),
        Endpoint::PrevImage => tl.at_or_before(state.window(cam, arrival), at),
        Endpoint::AfterImage if t.is_now() => None,
        Endpoint::AfterImage => tl.after(state.window(cam, arrival), at),
        _ => return next(state, ctx, cam, at, timeout, started).await,
    };
    let ts = found.ok_or_else(missing)?;
    Ok(jpeg_response(state, ctx, cam, ts, now_ms(), started))
}

fn next_timeout(ctx: &Ctx) -> Result<Duration, ApiError> {
    match ctx.query.get_nonempty(NEXT_PARAMS) {
        None => Ok(DEFAULT_NEXT_TIMEOUT),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(|ms| Duration::from_millis(ms).min(MAX_NEXT_TIMEOUT))
            .map_err(|_| ApiError::bad_request("invalid argument: timeout")),
    }
}

/// `next`: the first frame strictly after `at`, waiting for it to be taken if need be; 408 when
/// it does not come within the timeout.
async fn next(
    state: &SimState,
    ctx: &Ctx,
    cam: &CameraAssets,
    at: i64,
    timeout: Duration,
    started: Instant,
) -> Result<Response, ApiError> {
    let deadline = started + timeout;
    loop {
        let now = now_ms();
        let window = state.window(cam, now);
        if let Some(ts) = cam.timeline.after(window, at) {
            return Ok(jpeg_response(state, ctx, cam, ts, now, started));
        }
        // Only a camera still sending previews will ever have a newer frame.
        if window.last < now {
            return wait_in_vain(state, deadline.saturating_duration_since(Instant::now())).await;
        }
        let due = cam.timeline.next_ever(at.max(now));
        let wait = Duration::from_millis(u64::try_from(due - now).unwrap_or(0) + 1);
        let left = deadline.saturating_duration_since(Instant::now());
        if wait > left {
            return wait_in_vain(state, left).await;
        }
        if !state.sleep(wait).await {
            return Err(ApiError::unavailable());
        }
    }
}

/// Waits out a `next` timeout and answers 408 (503 if the simulator shuts down meanwhile).
async fn wait_in_vain(state: &SimState, timeout: Duration) -> Result<Response, ApiError> {
    if state.sleep(timeout).await {
        Err(ApiError::asset_timeout())
    } else {
        Err(ApiError::unavailable())
    }
}

/// A JPEG with the headers of a real image answer (SIM-43).
fn jpeg_response(
    state: &SimState,
    ctx: &Ctx,
    cam: &CameraAssets,
    ts_ms: i64,
    now: i64,
    started: Instant,
) -> Response {
    let ts = EenTimestamp::from_millis(ts_ms);
    let jpeg = state.frames.jpeg(&cam.frame_camera, ts);
    let window = state.window(cam, now);
    let neighbour = |ms: Option<i64>| {
        ms.map_or_else(
            || "unknown".to_owned(),
            |ms| format!("preview-{}", EenTimestamp::from_millis(ms)),
        )
    };
    let prev = neighbour(cam.timeline.before(window, ts_ms));
    let next = neighbour(cam.timeline.after(window, ts_ms));
    let len = jpeg.len();
    let mut response = Response::new(Body::from(jpeg));
    let h = response.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("openresty"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=86400"));
    put(
        h,
        CONTENT_LOCATION,
        &format!(
            "/asset/asset/image.jpeg?a=preview;t={ts};c={}&tm=1",
            cam.frame_camera.esn
        ),
    );
    put(h, X_EE_TIMESTAMP, &format!("preview-{ts}"));
    put(h, X_EE_NEXT, &next);
    put(h, X_EE_PREV, &prev);
    let now_ts = Timestamp::from_millisecond(now).unwrap_or(Timestamp::now());
    put(
        h,
        EXPIRES,
        &http_date(now_ts + jiff::SignedDuration::from_hours(24)),
    );
    if !ctx.on_login_host(state) {
        put(h, X_EEN_LB_TRIED_PROXIES, "10.64.248.23:80");
        put(h, X_EEN_LB_REQUEST_ID, &hex_id());
        put(
            h,
            X_EEN_LB_REQUEST_TIME,
            &format!("{:.3}", started.elapsed().as_secs_f64()),
        );
    }
    response
}
