//! Device list rows (spec §3.1): arrays of ~28 mixed-type elements, read by index.
//!
//! Rows vary in length across EEN versions (27 in the 2018 docs, 28 in real 2019 traffic, 29 in
//! the 2023 docs), any element may be null, and unattached rows have a null id. Indexes this
//! client does not know are ignored; missing trailing elements read as null.

use serde_json::Value;

use super::status::{self, Decoded};
use super::{Device, DeviceKind, ServiceStatus};
use crate::een::Esn;

const ACCOUNT_ID: usize = 0;
const ID: usize = 1;
const NAME: usize = 2;
const TYPE: usize = 3;
const BRIDGES: usize = 4;
const SERVICE_STATUS: usize = 5;
const TAGS: usize = 7;
const DEVICE_STATUS: usize = 10;
const TIMEZONE: usize = 11;
const UTC_OFFSET: usize = 12;
const IS_SHARED: usize = 15;
const OWNER_ACCOUNT_NAME: usize = 16;
const PARENT_CAMERA_ID: usize = 21;
const CHILD_CAMERA_VIEW: usize = 22;

/// Why a device list body was rejected as a whole.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RowsError {
    /// Not JSON at all (an HTML error page, a truncated body).
    #[error("the device list is not JSON")]
    NotJson,
    /// JSON, but not an array.
    #[error("the device list is not a JSON array")]
    NotAnArray,
}

/// Parses a `/g/device/list` body. Rows without a usable id (unattached devices, odd fixtures)
/// are skipped; `previous` supplies the last known status of a device, which EEN says to keep
/// when a row's status carries the "invalid" bit.
pub(crate) fn parse_device_list(
    body: &[u8],
    previous: impl Fn(&Esn) -> Option<Decoded>,
) -> Result<Vec<Device>, RowsError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| RowsError::NotJson)?;
    let Value::Array(rows) = value else {
        return Err(RowsError::NotAnArray);
    };
    let total = rows.len();
    let cameras: Vec<Device> = rows
        .iter()
        .filter_map(|row| parse_row(row, &previous))
        .collect();
    if cameras.len() != total {
        tracing::debug!(
            rows = total,
            skipped = total - cameras.len(),
            "skipped device rows without a usable id"
        );
    }
    Ok(cameras)
}

fn parse_row(row: &Value, previous: &impl Fn(&Esn) -> Option<Decoded>) -> Option<Device> {
    let row = row.as_array()?;
    let at = |i: usize| row.get(i).unwrap_or(&Value::Null);
    let esn: Esn = at(ID).as_str()?.parse().ok()?;
    let bits = at(DEVICE_STATUS).as_u64().unwrap_or(0);
    let Decoded { status, recording } = status::decode(bits, previous(&esn));
    Some(Device {
        name: string(at(NAME)).unwrap_or_default(),
        kind: DeviceKind::from_wire(at(TYPE).as_str().unwrap_or_default()),
        service_status: ServiceStatus::from_wire(at(SERVICE_STATUS).as_str().unwrap_or_default()),
        status,
        recording,
        timezone: string(at(TIMEZONE)).filter(|tz| !tz.is_empty()),
        utc_offset: at(UTC_OFFSET).as_i64().and_then(|s| i32::try_from(s).ok()),
        bridges: bridges(at(BRIDGES)),
        tags: array(at(TAGS)).filter_map(string).collect(),
        account_id: string(at(ACCOUNT_ID)),
        device_status: bits,
        parent_esn: at(PARENT_CAMERA_ID).as_str().and_then(|s| s.parse().ok()),
        child_camera_view: string(at(CHILD_CAMERA_VIEW)),
        is_shared: flag(at(IS_SHARED)),
        owner_account_name: string(at(OWNER_ACCOUNT_NAME)),
        esn,
    })
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn array(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// EEN's `is_*` columns are 0/1 ints, except one that is a bool.
fn flag(v: &Value) -> bool {
    v.as_i64().map(|i| i != 0).or_else(|| v.as_bool()) == Some(true)
}

/// `[[esn, status], ...]`; entries whose id is not an ESN are dropped.
fn bridges(v: &Value) -> Vec<Esn> {
    array(v)
        .filter_map(|pair| pair.get(0)?.as_str()?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::een::CameraStatus;

    /// The real camera row from the spec (§3.1, recorded 2019 traffic), 28 elements.
    const CAMERA_ROW: &str = r#"["00001106", "10099857", "CFA1 Closet", "camera", [["10031c5f", "ATTD"]], "ATTD",
 "AGMLNSYZcgfhpswz", ["austin", "austin floor 1", "zz_hik"],
 "b0026fac-cf69-11b2-80e2-54c4158c8223", "20170512192919177", 1474615, "US/Central", -18000, 0,
 "*10.143.81.7,[fe80::56c4:15ff:fe8c:8223]", 0, "Capital Factory", false, null, null,
 [30.268947, -97.740397, 0.0, 0.0, "700 San Jacinto Blvd, Austin, TX 78701", null, "Omni2  Building"],
 null, null, 0, [], 0, {}, "20170515171558.000"]"#;

    /// The real unattached discovered camera row from the spec: null account and id.
    const UNATTACHED_ROW: &str = r#"[null, null, "AXIS|AXIS M1054|5.40.9.2", "camera", [["100a9af6", "IGND"], ["10051705", "IGND"]],
 "IGND", "ws", [], "c38e032a-9e63-11e1-a288-00408cda16f3", null, 0, null, null, 0,
 "*169.254.210.162,10.143.194.77", 0, null, false, null, null,
 [null, null, null, null, null, null, null], null, null, 0, [], 0, {}, null]"#;

    fn parse(body: &str) -> Vec<Device> {
        parse_device_list(body.as_bytes(), |_| None).unwrap()
    }

    #[test]
    fn parses_the_real_camera_row() {
        let cams = parse(&format!("[{CAMERA_ROW}]"));
        assert_eq!(cams.len(), 1);
        let c = &cams[0];
        assert_eq!(c.esn.as_str(), "10099857");
        assert_eq!(c.name, "CFA1 Closet");
        assert_eq!(c.kind, DeviceKind::Camera);
        assert_eq!(c.service_status, ServiceStatus::Attached);
        assert_eq!(c.status, CameraStatus::Online);
        assert!(!c.recording);
        assert_eq!(c.device_status, 1474615);
        assert_eq!(c.timezone.as_deref(), Some("US/Central"));
        assert_eq!(c.utc_offset, Some(-18000));
        assert_eq!(c.bridges, vec!["10031c5f".parse::<Esn>().unwrap()]);
        assert_eq!(c.tags, ["austin", "austin floor 1", "zz_hik"]);
        assert_eq!(c.account_id.as_deref(), Some("00001106"));
        assert_eq!(c.owner_account_name.as_deref(), Some("Capital Factory"));
        assert!(!c.is_shared);
        assert_eq!(c.parent_esn, None);
        assert!(c.is_attached_camera());
    }

    #[test]
    fn skips_rows_with_a_null_id() {
        let cams = parse(&format!(
            "[{UNATTACHED_ROW}, {CAMERA_ROW}, {UNATTACHED_ROW}]"
        ));
        assert_eq!(cams.len(), 1);
        assert_eq!(cams[0].esn.as_str(), "10099857");
    }

    #[test]
    fn tolerates_27_to_29_and_more_elements() {
        let full: Vec<Value> = serde_json::from_str(CAMERA_ROW).unwrap();
        assert_eq!(full.len(), 28);
        for len in [27, 28] {
            let row = Value::Array(full[..len].to_vec());
            let cams = parse(&Value::Array(vec![row]).to_string());
            assert_eq!(cams.len(), 1, "{len} elements");
            assert_eq!(cams[0].status, CameraStatus::Online);
        }
        let mut longer = full.clone();
        longer.push(serde_json::json!({"flags": ["x"]}));
        longer.push(Value::Null);
        longer.push(serde_json::json!("something new"));
        let cams = parse(&Value::Array(vec![Value::Array(longer)]).to_string());
        assert_eq!(cams.len(), 1);
        assert_eq!(cams[0].name, "CFA1 Closet");
    }

    #[test]
    fn tolerates_nulls_and_short_rows() {
        // Everything but the id null: defaults, no panic.
        let mut row = vec![Value::Null; 28];
        row[ID] = "1000C4AE".into();
        let cams = parse(&Value::Array(vec![Value::Array(row)]).to_string());
        assert_eq!(cams.len(), 1);
        let c = &cams[0];
        assert_eq!(c.esn.as_str(), "1000c4ae");
        assert_eq!(c.name, "");
        assert_eq!(c.status, CameraStatus::Off);
        assert_eq!(c.timezone, None);
        assert!(c.bridges.is_empty() && c.tags.is_empty());
        // A row cut after the id still parses.
        let cams = parse(r#"[["00001106", "1000c4ae"]]"#);
        assert_eq!(cams.len(), 1);
    }

    #[test]
    fn skips_rows_that_are_not_usable() {
        // A non-hex id (a test fixture in a public client uses "c0"), a number id, an object row.
        let cams = parse(r#"[["a", "c0", "x"], ["a", 268435456], {"id": "1000c4ae"}, 42, []]"#);
        assert!(cams.is_empty());
    }

    #[test]
    fn reads_multiview_channels_shared_cameras_and_bridge_lists() {
        let mut row: Vec<Value> = serde_json::from_str(CAMERA_ROW).unwrap();
        row[TYPE] = "camera".into();
        row[IS_SHARED] = 1.into();
        row[OWNER_ACCOUNT_NAME] = "Papa Murphy's Lakeway (00003655)".into();
        row[PARENT_CAMERA_ID] = "100ac28e".into();
        row[CHILD_CAMERA_VIEW] = "Channel 3".into();
        let mut bridge: Vec<Value> = serde_json::from_str(CAMERA_ROW).unwrap();
        bridge[ID] = "10101f43".into();
        bridge[TYPE] = "bridge".into();
        bridge[BRIDGES] = serde_json::json!([["100b4012", "ATTD"], ["nothex!!", "ATTD"], [], null]);
        bridge[DEVICE_STATUS] = 1212417.into();
        let body = Value::Array(vec![Value::Array(row), Value::Array(bridge)]).to_string();
        let cams = parse(&body);
        assert!(cams[0].is_shared);
        assert_eq!(
            cams[0].parent_esn.as_ref().map(Esn::as_str),
            Some("100ac28e")
        );
        assert_eq!(cams[0].child_camera_view.as_deref(), Some("Channel 3"));
        assert_eq!(cams[1].kind, DeviceKind::Bridge);
        assert!(!cams[1].is_attached_camera());
        assert_eq!(cams[1].bridges, vec!["100b4012".parse::<Esn>().unwrap()]);
    }

    #[test]
    fn keeps_the_previous_status_when_the_invalid_bit_is_set() {
        let mut row: Vec<Value> = serde_json::from_str(CAMERA_ROW).unwrap();
        row[DEVICE_STATUS] = (0x01_0000 | 0x02_0000).into();
        let body = Value::Array(vec![Value::Array(row)]).to_string();
        let kept = Decoded {
            status: CameraStatus::Online,
            recording: true,
        };
        let cams = parse_device_list(body.as_bytes(), |_| Some(kept)).unwrap();
        assert_eq!(cams[0].status, CameraStatus::Online);
        assert!(cams[0].recording);
        // No previous status: decode the rest (on, not registered).
        let cams = parse(&body);
        assert_eq!(cams[0].status, CameraStatus::InternetOffline);
    }

    #[test]
    fn rejects_bodies_that_are_not_a_json_array() {
        let html = b"<html><body>502 Bad Gateway</body></html>";
        assert_eq!(
            parse_device_list(html, |_| None).unwrap_err(),
            RowsError::NotJson
        );
        let truncated = format!("[{CAMERA_ROW}");
        assert_eq!(
            parse_device_list(truncated.as_bytes(), |_| None).unwrap_err(),
            RowsError::NotJson
        );
        assert_eq!(
            parse_device_list(br#"{"status_code": 200}"#, |_| None).unwrap_err(),
            RowsError::NotAnArray
        );
        assert!(parse("[]").is_empty());
    }
}

/// Property tests (issue 13): any body is a list of devices or a [`RowsError`], never a
/// panic; rows of any shape are read or skipped; a row with an ESN keeps it.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::fuzzing::{config, json, mutated, text};

    /// A row as the spec describes it (§3.1): 27 to 29 columns of the documented types.
    fn row() -> impl Strategy<Value = Value> {
        (
            "[0-9a-fA-F]{8}",
            text(),
            prop::sample::select(vec![
                "camera",
                "bridge",
                "multiview_camera",
                "mobile_camera",
            ]),
            prop::collection::vec("[0-9a-f]{8}", 0..3),
            prop::sample::select(vec!["ATTD", "IGND", "IDLE", "ERSE", ""]),
            prop::collection::vec(text(), 0..3),
            any::<u64>(),
            prop::option::of(prop::sample::select(vec![
                "US/Central",
                "Europe/Berlin",
                "Nowhere",
            ])),
            any::<i64>(),
            27usize..=29,
        )
            .prop_map(
                |(esn, name, kind, bridges, service, tags, bits, tz, offset, len)| {
                    let bridges: Vec<Value> = bridges.iter().map(|b| json!([b, "ATTD"])).collect();
                    let mut row = vec![Value::Null; len];
                    row[ACCOUNT_ID] = json!("00001106");
                    row[ID] = json!(esn);
                    row[NAME] = json!(name);
                    row[TYPE] = json!(kind);
                    row[BRIDGES] = json!(bridges);
                    row[SERVICE_STATUS] = json!(service);
                    row[TAGS] = json!(tags);
                    row[DEVICE_STATUS] = json!(bits);
                    row[TIMEZONE] = json!(tz);
                    row[UTC_OFFSET] = json!(offset);
                    row[IS_SHARED] = json!(0);
                    row[PARENT_CAMERA_ID] = json!(esn);
                    Value::Array(row)
                },
            )
    }

    fn list(rows: Vec<Value>) -> String {
        Value::Array(rows).to_string()
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_body_is_devices_or_a_rows_error(body in prop::collection::vec(any::<u8>(), 0..64)) {
            match parse_device_list(&body, |_| None) {
                Ok(_) | Err(RowsError::NotJson | RowsError::NotAnArray) => {}
            }
        }

        #[test]
        fn any_json_is_read_or_a_rows_error(value in json()) {
            let result = parse_device_list(value.to_string().as_bytes(), |_| None);
            match (value, result) {
                (Value::Array(_), Ok(devices)) => {
                    for device in devices {
                        let _ = device.time_zone();
                    }
                }
                (_, Err(RowsError::NotAnArray)) => {}
                (value, other) => prop_assert!(false, "{value} gave {other:?}"),
            }
        }

        #[test]
        fn valid_rows_keep_their_esn_and_every_column(rows in prop::collection::vec(row(), 0..5)) {
            let devices = parse_device_list(list(rows.clone()).as_bytes(), |_| None).unwrap();
            prop_assert_eq!(devices.len(), rows.len());
            for (device, row) in devices.iter().zip(&rows) {
                let esn = row[ID].as_str().unwrap().to_ascii_lowercase();
                prop_assert_eq!(device.esn.as_str(), esn.as_str());
                prop_assert_eq!(device.parent_esn.as_ref(), Some(&device.esn));
                prop_assert_eq!(&device.name, row[NAME].as_str().unwrap());
                prop_assert_eq!(device.device_status, row[DEVICE_STATUS].as_u64().unwrap());
                prop_assert_eq!(device.bridges.len(), row[BRIDGES].as_array().unwrap().len());
                let _ = device.time_zone();
            }
        }

        #[test]
        fn rows_with_any_columns_are_read_or_skipped(
            rows in prop::collection::vec(prop::collection::vec(json(), 0..30), 0..4)
        ) {
            let rows: Vec<Value> = rows.into_iter().map(Value::Array).collect();
            let devices = parse_device_list(list(rows.clone()).as_bytes(), |_| None).unwrap();
            let with_esn = rows
                .iter()
                .filter(|r| r[ID].as_str().is_some_and(|id| id.parse::<Esn>().is_ok()))
                .count();
            prop_assert_eq!(devices.len(), with_esn);
        }

        #[test]
        fn near_valid_lists_are_read_or_a_rows_error(
            body in mutated(prop::collection::vec(row(), 1..3).prop_map(list))
        ) {
            match parse_device_list(body.as_bytes(), |_| None) {
                Ok(_) | Err(RowsError::NotJson | RowsError::NotAnArray) => {}
            }
        }
    }
}
