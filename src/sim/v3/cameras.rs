//! `GET /api/v3.0/cameras` and `/cameras/{id}` (spec §6.3, §6.4; V3-SIM-31): the demo
//! account's attached cameras, with filters, includes, sort and pagination.
//!
//! The v3 connection status of a camera follows its v1 status bits, except for a few cameras
//! named below, so that all seven `DeviceConnectionStatus` values occur (the v1 bitmask has no
//! way to say "invalid credentials" or "error"). Only cameras that are offline in v1, and the
//! online camera that has never sent a preview, get another value.

use std::cmp::Ordering;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::Req;
use super::wire::{self, V3Error, format_timestamp, json_response, quoted};
use crate::sim::account::devices::{Device, DeviceKind, RESTRICTED_ESN, status};
use crate::sim::hash::hash_str;
use crate::sim::http::state::SimState;
use crate::timestamp::EenTimestamp;

/// The seven `DeviceConnectionStatus` values (OAS-devices).
pub(crate) const CONNECTION_STATUSES: [&str; 7] = [
    "online",
    "deviceOffline",
    "invalidCredentials",
    "bridgeOffline",
    "off",
    "error",
    "unknown",
];

const INCLUDES: &[&str] = &[
    "status",
    "locationSummary",
    "deviceAddress",
    "timeZone",
    "notes",
    "tags",
    "devicePosition",
    "networkInfo",
    "deviceInfo",
    "firmware",
    "visibleByBridges",
    "capabilities",
    "effectivePermissions",
    "shareDetails",
    "analog",
    "qRelevance",
    "packages",
    "dewarpConfig",
    "adminCredentials",
    "publicSafetySharing",
    "enabledAnalytics",
];

/// Filters this simulator applies.
const FILTERS: &[&str] = &[
    "id__in",
    "id__notIn",
    "id__contains",
    "name",
    "name__in",
    "name__contains",
    "status__in",
    "status__ne",
    "tags__contains",
    "tags__any",
    "locationId__in",
    "bridgeId__in",
    "multiCameraId",
    "multiCameraId__ne",
    "multiCameraId__in",
    "shareDetails.shared",
    "directToCloud",
    "q",
];

/// Parameters the OAS lists that this demo account has nothing to filter by: accepted, and
/// they match every camera.
const IGNORED: &[&str] = &[
    "packages__contains",
    "layoutId",
    "sharedCameraAccount",
    "firstResponder",
    "speakerId__in",
    "qRelevance__gte",
    "enabledAnalytics__contains",
];

const SORT_FIELDS: &[&str] = &[
    "name",
    "locationSummary.name",
    "bridgeSummary.name",
    "qRelevance",
];

/// The v3 connection status of a device (see the module comment).
pub(crate) fn connection_status(device: &Device) -> &'static str {
    match device.name.as_str() {
        "Back Door" => return "invalidCredentials",
        "Roof Access" => return "bridgeOffline",
        "Yard" => return "error",
        "Stairwell B" => return "unknown",
        _ => {}
    }
    match device.status {
        status::OFFLINE => "deviceOffline",
        status::INTERNET_OFFLINE => "bridgeOffline",
        status::OFF => "off",
        _ => "online",
    }
}

/// The cameras v3 lists: attached cameras and multiview channels (bridges, the multiview
/// encoder itself and unattached rows are other v3 resources).
pub(crate) fn v3_cameras(state: &SimState) -> impl Iterator<Item = &Device> {
    state
        .devices
        .iter()
        .filter(|d| d.attached && d.kind == DeviceKind::Camera && d.esn.is_some())
}

fn uuid_for(text: &str) -> String {
    let a = hash_str(text);
    let b = hash_str(&format!("{text}/uuid"));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        0x8000 | (b >> 48 & 0x3FFF),
        b & 0xFFFF_FFFF_FFFF
    )
}

fn bridge_id(device: &Device) -> Option<&str> {
    device.links.first().map(|(esn, _)| esn.as_str())
}

/// One camera object with the requested includes.
fn camera_json(device: &Device, includes: &[&str]) -> Value {
    let esn = device.esn.as_deref().unwrap_or_default();
    let created = device
        .attached_at
        .as_deref()
        .and_then(|t| t.parse::<EenTimestamp>().ok())
        .map(|t| format_timestamp(t.as_millis()));
    let mut camera = json!({
        "id": esn,
        "accountId": device.account_id,
        "name": device.name,
        "locationId": device.site.map(|s| uuid_for(s.name)),
        "multiCameraId": device.parent,
        "speakerId": null,
        "createTimestamp": created,
    });
    if let Some(bridge) = bridge_id(device) {
        camera["bridgeId"] = json!(bridge);
    }
    for &include in includes {
        let value = match include {
            "status" => json!({ "connectionStatus": connection_status(device) }),
            "timeZone" => json!({ "zone": device.time_zone.unwrap_or("UTC") }),
            "tags" => json!(device.tags),
            "deviceInfo" => json!({
                "make": device.make,
                "model": device.model,
                "directToCloud": bridge_id(device).is_none(),
                "icon": "securityCamera",
                "guid": device.guid,
            }),
            "locationSummary" => match device.site {
                Some(site) => json!({
                    "id": uuid_for(site.name),
                    "name": site.name,
                    "address": { "streetAddress": site.address },
                }),
                None => Value::Null,
            },
            "devicePosition" => match device.site {
                Some(site) => json!({
                    "latitude": site.lat,
                    "longitude": site.lon,
                    "azimuth": (hash_str(esn) % 360) as f64,
                    "floor": site.floor,
                    "rangeInMeters": 12.0,
                    "fieldOfView": 90.0,
                }),
                None => Value::Null,
            },
            "shareDetails" => json!({
                "shared": device.is_shared,
                "accountId": device.account_id,
                "firstResponder": false,
            }),
            "effectivePermissions" => json!({
                "viewPreviewVideo": true,
                "viewLiveVideo": true,
                "viewHistoricVideo": true,
                "edit": false,
                "delete": false,
            }),
            "firmware" => json!({ "currentVersion": device.firmware }),
            "notes" => json!(""),
            "analog" => json!({ "isAnalog": device.video_input.is_some() }),
            _ => continue,
        };
        camera[include] = value;
    }
    camera
}

fn bool_param(req: &Req<'_>, name: &str) -> Result<Option<bool>, V3Error> {
    match req.query.get_nonempty(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(V3Error::wrong_value(
            req.path,
            name,
            "must be true or false",
        )),
    }
}

fn statuses(req: &Req<'_>, name: &str) -> Result<Vec<&'static str>, V3Error> {
    req.query
        .list(name)
        .into_iter()
        .map(|s| {
            CONNECTION_STATUSES
                .iter()
                .copied()
                .find(|known| known.eq_ignore_ascii_case(s))
                .ok_or_else(|| {
                    V3Error::wrong_value(
                        req.path,
                        name,
                        &format!("has an unknown status {}", quoted(s)),
                    )
                })
        })
        .collect()
}

/// A predicate for every filter the request sends.
fn matcher<'r>(req: &'r Req<'r>) -> Result<impl Fn(&Device) -> bool + 'r, V3Error> {
    let q = &req.query;
    let status_in = statuses(req, "status__in")?;
    let status_ne = statuses(req, "status__ne")?;
    let shared = bool_param(req, "shareDetails.shared")?;
    let direct = bool_param(req, "directToCloud")?;
    let name_contains = q.get_nonempty("name__contains").map(str::to_lowercase);
    let text = q.get_nonempty("q").map(str::to_lowercase);
    Ok(move |d: &Device| {
        let esn = d.esn.as_deref().unwrap_or_default();
        let list = |name| q.list(name);
        let has = |name| q.get_nonempty(name).is_some();
        let location = d.site.map(|s| uuid_for(s.name)).unwrap_or_default();
        let parent = d.parent.as_deref().unwrap_or_default();
        let status = connection_status(d);
        (!has("id__in") || list("id__in").contains(&esn))
            && !list("id__notIn").contains(&esn)
            && q.get_nonempty("id__contains")
                .is_none_or(|s| esn.contains(s))
            && q.get_nonempty("name").is_none_or(|n| d.name == n)
            && (!has("name__in") || list("name__in").contains(&d.name.as_str()))
            && name_contains
                .as_deref()
                .is_none_or(|n| d.name.to_lowercase().contains(n))
            && (status_in.is_empty() || status_in.contains(&status))
            && !status_ne.contains(&status)
            && list("tags__contains").iter().all(|t| d.tags.contains(t))
            && (!has("tags__any") || list("tags__any").iter().any(|t| d.tags.contains(t)))
            && (!has("locationId__in") || list("locationId__in").contains(&location.as_str()))
            && (!has("bridgeId__in")
                || bridge_id(d).is_some_and(|b| list("bridgeId__in").contains(&b)))
            && q.get_nonempty("multiCameraId").is_none_or(|m| parent == m)
            && q.get_nonempty("multiCameraId__ne")
                .is_none_or(|m| parent != m)
            && (!has("multiCameraId__in") || list("multiCameraId__in").contains(&parent))
            && shared.is_none_or(|s| d.is_shared == s)
            && direct.is_none_or(|s| bridge_id(d).is_none() == s)
            && text.as_deref().is_none_or(|t| {
                d.name.to_lowercase().contains(t) || d.tags.iter().any(|tag| tag.contains(t))
            })
    })
}

/// `sort`: up to three `±field` entries, each field once (spec §3.3).
fn sort_keys<'a>(req: &'a Req<'_>) -> Result<Vec<(&'a str, bool)>, V3Error> {
    let Some(raw) = req.query.get("sort") else {
        return Ok(vec![("name", true)]);
    };
    let bad = |problem: &str| V3Error::wrong_value(req.path, "sort", problem);
    let items: Vec<&str> = raw.split(',').collect();
    if raw.is_empty() || items.len() > 3 {
        return Err(bad("must list one to three fields"));
    }
    let mut keys: Vec<(&str, bool)> = Vec::new();
    for item in items {
        // A raw `+` decodes to a space; take it for the `+` it was.
        let (ascending, field) = match item.as_bytes().first() {
            Some(b'+' | b' ') => (true, &item[1..]),
            Some(b'-') => (false, &item[1..]),
            _ => return Err(bad("entries must start with + or -")),
        };
        if !SORT_FIELDS.contains(&field) {
            return Err(bad(&format!("has an unknown field {}", quoted(field))));
        }
        if keys.iter().any(|(f, _)| *f == field) {
            return Err(bad("names a field twice"));
        }
        keys.push((field, ascending));
    }
    Ok(keys)
}

fn sort_value(d: &Device, field: &str) -> String {
    match field {
        "name" => d.name.to_lowercase(),
        "locationSummary.name" => d.site.map(|s| s.name.to_lowercase()).unwrap_or_default(),
        "bridgeSummary.name" => bridge_id(d).unwrap_or_default().to_owned(),
        _ => String::new(),
    }
}

/// `GET /api/v3.0/cameras`.
pub(crate) fn list(state: &SimState, req: &Req<'_>) -> Result<Response, V3Error> {
    let allowed: Vec<&str> = FILTERS
        .iter()
        .chain(IGNORED)
        .chain(&["include", "pageToken", "pageSize", "sort"])
        .copied()
        .collect();
    req.query.only(req.path, &allowed)?;
    let includes = req.query.includes(req.path, INCLUDES)?;
    let keys = sort_keys(req)?;
    let matches = matcher(req)?;
    let mut cameras: Vec<&Device> = v3_cameras(state).filter(|d| matches(d)).collect();
    cameras.sort_by(|a, b| {
        keys.iter()
            .map(|&(field, ascending)| {
                let order = sort_value(a, field).cmp(&sort_value(b, field));
                if ascending { order } else { order.reverse() }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or_else(|| a.esn.cmp(&b.esn))
    });
    let total = v3_cameras(state).count();
    let items = cameras.iter().map(|d| camera_json(d, &includes)).collect();
    let body = wire::page(&req.query, req.path, "cameras", items, Some(total))?;
    Ok(json_response(StatusCode::OK, &body))
}

/// `GET /api/v3.0/cameras/{id}`.
pub(crate) fn one(state: &SimState, req: &Req<'_>) -> Result<Response, V3Error> {
    req.query.only(req.path, &["include"])?;
    let includes = req.query.includes(req.path, INCLUDES)?;
    let id = req
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    if id == RESTRICTED_ESN {
        return Err(V3Error::permission_denied(req.path));
    }
    let device = v3_cameras(state)
        .find(|d| d.esn.as_deref() == Some(id))
        .ok_or_else(|| V3Error::resource_not_found(req.path, "cameras", id))?;
    Ok(json_response(
        StatusCode::OK,
        &camera_json(device, &includes),
    ))
}
