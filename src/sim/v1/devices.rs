//! `/g/device/list` (alias `/g/list/devices`) and `/g/device` (SIM-30, SIM-31, SIM-33).

use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::params::reject_unknown;
use super::wire::{ApiError, g_json, pretty_json};
use crate::sim::UnknownCameraAnswer;
use crate::sim::account::devices::{Device, DeviceKind, RESTRICTED_ESN};
use crate::sim::hash::hash_str;
use crate::sim::http::state::{Ctx, SimState};
use crate::timestamp::EenTimestamp;

/// `GET /g/device/list?e=;n=;t=camera;s=` → rows of 28 elements (SIM-30, SIM-31).
/// Filters match exactly; an empty value means no filter.
pub(crate) fn list(state: &SimState, ctx: &Ctx) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[&["A", "e", "n", "t", "s"]])?;
    let esn = ctx.query.get_nonempty(&["e"]);
    let name = ctx.query.get_nonempty(&["n"]);
    let kind = ctx.query.get_nonempty(&["t"]);
    let service = ctx.query.get_nonempty(&["s"]);
    let now = Timestamp::now();
    let rows: Vec<Value> = state
        .devices
        .iter()
        .filter(|d| esn.is_none_or(|e| d.esn.as_deref() == Some(e)))
        .filter(|d| name.is_none_or(|n| d.name == n))
        .filter(|d| kind.is_none_or(|t| d.kind.as_str() == t))
        .filter(|d| service.is_none_or(|s| service_status(d) == s))
        .map(|d| row(d, now))
        .collect();
    Ok(g_json(StatusCode::OK, pretty_json(&rows), now))
}

fn service_status(d: &Device) -> &'static str {
    if d.attached { "ATTD" } else { "IGND" }
}

/// The current UTC offset of a zone, in seconds (DST-aware, so it is computed per answer).
fn utc_offset(zone: &str, now: Timestamp) -> Option<i32> {
    jiff::tz::TimeZone::get(zone)
        .ok()
        .map(|tz| tz.to_offset(now).seconds())
}

/// One device-list row, typed exactly as spec §3.1 (indexes 0–27).
pub(crate) fn row(d: &Device, now: Timestamp) -> Value {
    let links: Vec<Value> = d.links.iter().map(|(esn, s)| json!([esn, s])).collect();
    let location = match d.site {
        Some(site) => json!([
            site.lat,
            site.lon,
            0.0,
            0.0,
            site.address,
            site.floor,
            site.name
        ]),
        None => json!([null, null, null, null, null, null, null]),
    };
    json!([
        d.account_id,                                 // 0 account_id
        d.esn,                                        // 1 id
        d.name,                                       // 2 name
        d.kind.as_str(),                              // 3 type
        links,                                        // 4 bridges / cameras
        service_status(d),                            // 5 service_status
        d.permissions,                                // 6 permissions
        d.tags,                                       // 7 tags
        d.guid,                                       // 8 guid
        d.serial,                                     // 9 serial_number
        d.status,                                     // 10 device_status
        d.time_zone,                                  // 11 timezone
        d.time_zone.and_then(|z| utc_offset(z, now)), // 12 timezone_utc_offset
        i32::from(d.is_unsupported),                  // 13 is_unsupported
        d.ip,                                         // 14 ip_address
        i32::from(d.is_shared),                       // 15 is_shared
        d.owner_account_name,                         // 16 owner_account_name
        false,                                        // 17 is_upnp (a real bool)
        d.video_input,                                // 18 video_input
        d.video_status,                               // 19 video_status
        location,                                     // 20 location
        d.parent,                                     // 21 parent_camera_id
        d.child_view,                                 // 22 child_camera_view
        0,                                            // 23 is_hidden
        [],                                           // 24 ignored_inputs
        0,                                            // 25 responder_camera
        {},                                           // 26 (always {} in 2019)
        d.attached_at                                 // 27 attach time or null
    ])
}

/// `GET /g/device?id=ESN` → the camera or bridge object (SIM-33).
pub(crate) fn device(state: &SimState, ctx: &Ctx) -> Result<Response, ApiError> {
    reject_unknown(state, ctx, &[&["A", "id"]])?;
    let id = ctx
        .query
        .get_nonempty(&["id"])
        .ok_or_else(|| ApiError::bad_request("missing argument: id"))?;
    if id == RESTRICTED_ESN {
        return Err(ApiError::forbidden());
    }
    let Some(d) = state.devices.iter().find(|d| d.esn.as_deref() == Some(id)) else {
        return Err(match state.faults().unknown_camera {
            UnknownCameraAnswer::Forbidden => ApiError::forbidden(),
            UnknownCameraAnswer::NoMatchingAsset => ApiError::no_matching_asset(),
            UnknownCameraAnswer::NotFound => ApiError::not_found("device not found"),
        });
    };
    let now = Timestamp::now();
    Ok(g_json(
        StatusCode::OK,
        pretty_json(&device_json(state, d, id, now)),
        now,
    ))
}

fn device_json(state: &SimState, d: &Device, esn: &str, now: Timestamp) -> Value {
    let now_ms = now.as_millisecond();
    let bridges: serde_json::Map<String, Value> = if d.kind == DeviceKind::Bridge {
        serde_json::Map::new()
    } else {
        d.links
            .iter()
            .map(|(b, s)| (b.clone(), Value::from(*s)))
            .collect()
    };
    let (newest, oldest) = state
        .cameras
        .get(esn)
        .map(|cam| {
            let window = state.window(cam, now_ms);
            let newest = cam.timeline.at_or_before(window, now_ms);
            let oldest = cam.timeline.after(window, window.first.saturating_sub(1));
            (newest, oldest)
        })
        .unwrap_or((None, None));
    let ts = |ms: Option<i64>| ms.map(|ms| EenTimestamp::from_millis(ms).to_string());
    let bridge = d.links.first().map(|(b, _)| b.as_str());
    let reachable = d.status & 0x100000 != 0;
    let retention_days = state.config.retention.as_secs() / 86_400;
    let camera_info = json!({
        "esn": esn,
        "class": d.kind.as_str(),
        "camtype": if d.video_input.is_some() { "analog" } else { "ip" },
        "make": d.make,
        "model": d.model,
        "uuid": d.guid,
        "bridgeid": bridge,
        "bridge": bridge,
        "service": "ATTD",
        "connect": if reachable { "STRM" } else { "IDLE" },
        "status": d.status.to_string(),
        "status_hex": format!("{:08x}", d.status),
        "intf": "eth0",
        "mac": mac(&d.guid),
        "ipaddr": d.ip,
        "version": d.firmware,
        "camera_newest": ts(newest),
        "camera_oldest": ts(oldest),
        "now": EenTimestamp::from_millis(now_ms).to_string(),
        "ts": EenTimestamp::from_millis(now_ms).to_string(),
        "retention": u64::try_from(state.config.retention.as_millis()).unwrap_or(u64::MAX),
    });
    let interval_ms = u64::try_from(state.config.preview_interval.as_millis()).unwrap_or(u64::MAX);
    let (parameters_status, camera_parameters) = if reachable {
        (
            200,
            json!({
                "active_settings": {"preview_interval_ms": {"v": interval_ms}},
                "active_filters": [],
                "user_settings": {},
                "schedules": {},
            }),
        )
    } else {
        (404, Value::Null)
    };
    let site = d.site;
    json!({
        "account_id": d.account_id,
        "id": esn,
        "name": d.name,
        "utcOffset": d.time_zone.and_then(|z| utc_offset(z, now)),
        "timezone": d.time_zone,
        "guid": d.guid,
        "permissions": d.permissions,
        "tags": d.tags,
        "bridges": bridges,
        "is_sureview_enabled": 0,
        "sureview_email": null,
        "settings": {
            "bridge": bridge,
            "guid": d.guid,
            "username": "admin",
            "password": "",
            "roi_names": {},
            "alert_notifications": {},
            "alert_modes": {},
            "alert_levels": {},
            "notes": "",
            "latitude": site.map(|s| s.lat),
            "longitude": site.map(|s| s.lon),
            "street_address": site.map(|s| s.address),
            "azimuth": 0.0,
            "range": 0.0,
            "floor": site.and_then(|s| s.floor),
            "share_email": [],
            "cloud_retention_days": retention_days,
        },
        "camera_settings_status_code": 200,
        "camera_settings": "{}",
        "camera_info_status_code": 200,
        "camera_info": camera_info,
        "camera_parameters_status_code": parameters_status,
        "camera_parameters": camera_parameters,
    })
}

/// A stable, locally administered MAC address from the GUID.
fn mac(guid: &str) -> String {
    let h = hash_str(guid);
    let b = h.to_be_bytes();
    format!(
        "02:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        b[0], b[1], b[2], b[3], b[4]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::account::devices::demo_devices;

    #[test]
    fn sim_31_rows_have_28_elements_typed_as_the_spec_table() {
        let now = Timestamp::now();
        for d in demo_devices() {
            let row = row(&d, now);
            let a = row.as_array().unwrap();
            assert_eq!(a.len(), 28, "{}", d.name);
            assert!(a[0].is_string() || (a[0].is_null() && !d.attached));
            assert!(a[1].is_string() || a[1].is_null());
            assert!(a[2].is_string() && a[3].is_string() && a[5].is_string());
            assert!(
                a[4].as_array()
                    .unwrap()
                    .iter()
                    .all(|p| p.as_array().unwrap().len() == 2)
            );
            assert!(a[7].is_array() && a[8].is_string());
            assert!(a[10].is_u64());
            assert!(a[13].is_i64() && a[15].is_i64() && a[23].is_i64() && a[25].is_i64());
            assert!(a[17].is_boolean());
            assert_eq!(a[20].as_array().unwrap().len(), 7);
            assert_eq!(a[24], json!([]));
            assert_eq!(a[26], json!({}));
            assert!(a[27].is_string() || a[27].is_null());
            if a[11].is_string() {
                assert!(a[12].is_i64());
            }
        }
    }
}
