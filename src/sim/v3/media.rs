//! `liveImage.jpeg`, `recordedImage.jpeg` and `/media` (spec §6.5 … 6.7; V3-SIM-32 … 35):
//! the same frames and recordings v1 serves, in v3's parameters and headers.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HeaderName};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::Req;
use super::cameras::{connection_status, v3_cameras};
use super::wire::{self, V3Error, format_timestamp, json_response, parse_timestamp, quoted};
use crate::sim::account::devices::RESTRICTED_ESN;
use crate::sim::http::state::{CameraAssets, SimState};
use crate::sim::timeline::Window;
use crate::timestamp::EenTimestamp;

const X_EEN_TIMESTAMP: HeaderName = HeaderName::from_static("x-een-timestamp");
const X_EEN_NEXT_TOKEN: HeaderName = HeaderName::from_static("x-een-nexttoken");
const X_EEN_PREV_TOKEN: HeaderName = HeaderName::from_static("x-een-prevtoken");

/// The five timestamp operators of `recordedImage.jpeg`.
const OPERATORS: [&str; 5] = [
    "timestamp__lt",
    "timestamp__lte",
    "timestamp",
    "timestamp__gte",
    "timestamp__gt",
];

/// Image size: `preview` (the v1 frames) or `main` (larger, throttled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Preview,
    Main,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Preview => "preview",
            Kind::Main => "main",
        }
    }

    fn parse(req: &Req<'_>, allow_main: bool) -> Result<Self, V3Error> {
        match req.query.get("type") {
            Some("preview") => Ok(Kind::Preview),
            Some("main") if allow_main => Ok(Kind::Main),
            Some(other) => Err(V3Error::wrong_value(
                req.path,
                "type",
                &format!(
                    "has an unsupported value {} (expected {})",
                    quoted(other),
                    if allow_main {
                        "preview or main"
                    } else {
                        "preview"
                    }
                ),
            )),
            None => Err(V3Error::missing_argument(req.path, &["type"])),
        }
    }
}

/// The camera `deviceId` names, with its v3 status.
fn camera<'s>(
    state: &'s SimState,
    req: &Req<'_>,
    esn: &str,
) -> Result<(&'s CameraAssets, &'static str), V3Error> {
    if esn == RESTRICTED_ESN {
        return Err(V3Error::permission_denied(req.path));
    }
    let not_found = || V3Error::resource_not_found(req.path, "cameras", esn);
    let device = v3_cameras(state)
        .find(|d| d.esn.as_deref() == Some(esn))
        .ok_or_else(not_found)?;
    let assets = state.cameras.get(esn).ok_or_else(not_found)?;
    Ok((assets, connection_status(device)))
}

fn now_ms() -> i64 {
    EenTimestamp::now().as_millis()
}

/// An opaque image token (URL-safe base64 of `img:<esn>:<type>:<ms>`).
fn image_token(esn: &str, kind: Kind, ms: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("img:{esn}:{}:{ms}", kind.as_str()))
}

fn parse_image_token(token: &str) -> Option<(String, Kind, i64)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.split(':');
    let (tag, esn, kind, ms) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if tag != "img" || parts.next().is_some() {
        return None;
    }
    let kind = match kind {
        "preview" => Kind::Preview,
        "main" => Kind::Main,
        _ => return None,
    };
    Some((esn.to_owned(), kind, ms.parse().ok()?))
}

fn put(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The JPEG of frame `ts` with `X-Een-Timestamp` and the neighbour tokens (absent at the ends
/// of the recording).
fn jpeg(
    state: &SimState,
    req: &Req<'_>,
    cam: &CameraAssets,
    kind: Kind,
    ts: i64,
    window: Window,
    with_next: bool,
) -> Response {
    let frames = match kind {
        Kind::Preview => &state.frames,
        Kind::Main => &req.v3.main_frames,
    };
    let bytes = frames.jpeg(&cam.frame_camera, EenTimestamp::from_millis(ts));
    let len = bytes.len();
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    put(&mut response, X_EEN_TIMESTAMP, &format_timestamp(ts));
    let esn = &cam.frame_camera.esn;
    if let Some(prev) = cam.timeline.before(window, ts) {
        put(
            &mut response,
            X_EEN_PREV_TOKEN,
            &image_token(esn, kind, prev),
        );
    }
    if with_next && let Some(next) = cam.timeline.after(window, ts) {
        put(
            &mut response,
            X_EEN_NEXT_TOKEN,
            &image_token(esn, kind, next),
        );
    }
    response
}

/// `GET /api/v3.0/media/liveImage.jpeg?deviceId&type=preview` (V3-SIM-32).
pub(crate) fn live_image(state: &SimState, req: &Req<'_>) -> Result<Response, V3Error> {
    req.query.only(req.path, &["deviceId", "type"])?;
    req.query.require(req.path, &["deviceId", "type"])?;
    let kind = Kind::parse(req, false)?;
    let esn = req.query.get("deviceId").unwrap_or_default();
    let (cam, status) = camera(state, req, esn)?;
    if status != "online" {
        return Err(V3Error::device_unavailable(req.path));
    }
    let now = now_ms();
    let window = state.window(cam, now);
    let ts = cam
        .timeline
        .at_or_before(window, now)
        .ok_or_else(|| V3Error::device_unavailable(req.path))?;
    Ok(jpeg(state, req, cam, kind, ts, window, false))
}

/// `GET /api/v3.0/media/recordedImage.jpeg` (V3-SIM-33).
pub(crate) fn recorded_image(
    state: &SimState,
    req: &Req<'_>,
    token: &str,
) -> Result<Response, V3Error> {
    let now = now_ms();
    let (esn, kind, found) = if let Some(page) = req.query.get_nonempty("pageToken") {
        // "If this parameter is present no other parameters are required, and any sent will
        // be ignored."
        let (esn, kind, ms) = parse_image_token(page).ok_or_else(|| {
            V3Error::wrong_value(req.path, "pageToken", "is not a valid image token")
        })?;
        let (cam, _) = camera(state, req, &esn)?;
        let found = cam.timeline.at(state.window(cam, now), ms);
        (esn, kind, found)
    } else {
        // `targetWidth`/`targetHeight` are sent by some clients (spec §12); no resizing here.
        let mut allowed = vec!["deviceId", "type", "pageToken", "overlayId__in", "include"];
        allowed.extend(["targetWidth", "targetHeight"]);
        allowed.extend(OPERATORS);
        req.query.only(req.path, &allowed)?;
        req.query.require(req.path, &["deviceId", "type"])?;
        let kind = Kind::parse(req, true)?;
        let given: Vec<&str> = OPERATORS
            .iter()
            .copied()
            .filter(|op| req.query.has(op))
            .collect();
        let op = match given.as_slice() {
            [] => return Err(V3Error::missing_argument(req.path, &["timestamp__gte"])),
            [op] => *op,
            _ => {
                return Err(V3Error::wrong_value(
                    req.path,
                    given[1],
                    "cannot be combined with another timestamp operator",
                ));
            }
        };
        let raw = req.query.get(op).unwrap_or_default();
        let t = parse_timestamp(raw, !state.config.v3.reject_z_everywhere)
            .map_err(|e| V3Error::wrong_value(req.path, op, &e.to_string()))?;
        let esn = req.query.get("deviceId").unwrap_or_default().to_owned();
        let (cam, _) = camera(state, req, &esn)?;
        let window = state.window(cam, now);
        let tl = &cam.timeline;
        let found = match op {
            "timestamp__lt" => tl.before(window, t),
            "timestamp__lte" => tl.at_or_before(window, t),
            "timestamp" => tl.at(window, t),
            "timestamp__gte" => tl.after(window, t.saturating_sub(1)),
            _ => tl.after(window, t),
        };
        (esn, kind, found)
    };
    let (cam, _) = camera(state, req, &esn)?;
    let ts = found.ok_or_else(|| V3Error::resource_not_found(req.path, "media", &esn))?;
    if kind == Kind::Main
        && !req
            .v3
            .oauth
            .allow_main(token, state.config.v3.main_images_per_second)
    {
        return Err(V3Error::too_many_requests(req.path, Some(1)));
    }
    Ok(jpeg(
        state,
        req,
        cam,
        kind,
        ts,
        state.window(cam, now),
        true,
    ))
}

/// UTC hour boundaries split recordings when `coalesce=false`.
const PIECE_MS: i64 = 3_600_000;

/// `GET /api/v3.0/media?deviceId&type&mediaType&startTimestamp__gte[&endTimestamp__lte]`
/// (V3-SIM-34): the recording intervals overlapping the range, whole (not clipped).
pub(crate) fn intervals(state: &SimState, req: &Req<'_>) -> Result<Response, V3Error> {
    req.query.only(
        req.path,
        &[
            "deviceId",
            "type",
            "mediaType",
            "startTimestamp__gte",
            "endTimestamp__lte",
            "coalesce",
            "include",
            "pageToken",
            "pageSize",
        ],
    )?;
    req.query.require(
        req.path,
        &["deviceId", "type", "mediaType", "startTimestamp__gte"],
    )?;
    let kind = Kind::parse(req, true)?;
    let media_type = match req.query.get("mediaType") {
        Some(m @ ("image" | "video")) => m,
        Some(other) => {
            return Err(V3Error::wrong_value(
                req.path,
                "mediaType",
                &format!(
                    "has an unsupported value {} (expected video or image)",
                    quoted(other)
                ),
            ));
        }
        None => return Err(V3Error::missing_argument(req.path, &["mediaType"])),
    };
    let includes = req.query.includes(
        req.path,
        &["flvUrl", "rtspUrl", "rtspsUrl", "multipartUrl", "mp4Url"],
    )?;
    let time = |name: &str| -> Result<Option<i64>, V3Error> {
        req.query
            .get(name)
            .map(|v| {
                parse_timestamp(v, false)
                    .map_err(|e| V3Error::wrong_value(req.path, name, &e.to_string()))
            })
            .transpose()
    };
    let now = now_ms();
    let from = time("startTimestamp__gte")?.unwrap_or(now);
    let to = time("endTimestamp__lte")?.unwrap_or(now);
    if to < from {
        return Err(V3Error::wrong_value(
            req.path,
            "endTimestamp__lte",
            "is before startTimestamp__gte",
        ));
    }
    let coalesce = match req.query.get_nonempty("coalesce") {
        None | Some("true") => true,
        Some("false") => false,
        Some(_) => {
            return Err(V3Error::wrong_value(
                req.path,
                "coalesce",
                "must be true or false",
            ));
        }
    };
    let esn = req.query.get("deviceId").unwrap_or_default();
    let (cam, _) = camera(state, req, esn)?;
    let window = state.window(cam, now);
    let mut spans = cam.timeline.intervals(window, from, to);
    if !coalesce {
        spans = spans
            .into_iter()
            .flat_map(|span| pieces(cam, window, span))
            .filter(|&(s, e)| s <= to && e >= from)
            .collect();
    }
    let media_host = format!(
        "media.{}.{}",
        state.config.cluster, state.config.base_domain
    );
    let items: Vec<Value> = spans
        .into_iter()
        .map(|(s, e)| {
            let mut item = json!({
                "type": kind.as_str(),
                "deviceId": esn,
                "mediaType": media_type,
                "startTimestamp": format_timestamp(s),
                "endTimestamp": format_timestamp(e),
            });
            for &include in &includes {
                let (scheme, stream) = match include {
                    "rtspUrl" => ("rtsp", "rtsp"),
                    "rtspsUrl" => ("rtsps", "rtsp"),
                    "multipartUrl" => ("https", "multipart"),
                    "mp4Url" => ("https", "video.mp4"),
                    _ => ("https", "video.flv"),
                };
                item[include] = json!(format!(
                    "{scheme}://{media_host}/media/streams/{}/{stream}?esn={esn}&from={}&till={}",
                    kind.as_str(),
                    encode(&format_timestamp(s)),
                    encode(&format_timestamp(e)),
                ));
            }
            item
        })
        .collect();
    let body = wire::page(&req.query, req.path, "media", items, None)?;
    Ok(json_response(StatusCode::OK, &body))
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A recording split at UTC hours; each piece ends where the next one starts, so that
/// `coalesce=true` would merge them back.
fn pieces(cam: &CameraAssets, window: Window, (first, last): (i64, i64)) -> Vec<(i64, i64)> {
    let mut starts = vec![first];
    let mut boundary = (first.div_euclid(PIECE_MS) + 1).saturating_mul(PIECE_MS);
    while boundary <= last {
        match cam.timeline.after(window, boundary.saturating_sub(1)) {
            Some(start) if start <= last && start > *starts.last().unwrap_or(&first) => {
                starts.push(start)
            }
            _ => {}
        }
        boundary = boundary.saturating_add(PIECE_MS);
    }
    let mut ends: Vec<i64> = starts.iter().skip(1).copied().collect();
    ends.push(last);
    starts.into_iter().zip(ends).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tokens_round_trip_and_refuse_others() {
        let token = image_token("100a5bc2", Kind::Main, 1_700_000_000_123);
        assert_eq!(
            parse_image_token(&token),
            Some(("100a5bc2".to_owned(), Kind::Main, 1_700_000_000_123))
        );
        assert_eq!(parse_image_token("bm9wZQ"), None);
        assert_eq!(parse_image_token("!!"), None);
        let other = wire::page_token("cameras", 3);
        assert_eq!(parse_image_token(&other), None);
    }
}

/// Property tests (issue 13): any image token is a frame or `None`, never a panic; tokens
/// the simulator writes read back.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated, text};

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_token_is_a_frame_or_none(token in prop_oneof![
            text(),
            mutated(any::<i64>().prop_map(|ms| image_token("1000c4ae", Kind::Preview, ms))),
        ]) {
            let _ = parse_image_token(&token);
        }

        #[test]
        fn image_tokens_round_trip(esn in "[0-9a-f]{8}", main in any::<bool>(), ms in any::<i64>()) {
            let kind = if main { Kind::Main } else { Kind::Preview };
            prop_assert_eq!(parse_image_token(&image_token(&esn, kind, ms)), Some((esn, kind, ms)));
        }
    }
}
