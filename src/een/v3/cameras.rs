//! `GET /api/v3.0/cameras`: one page of the camera list (spec §3.4, §6.4) as domain cameras.

use jiff::tz::TimeZone;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::een::{Camera, CameraStatus, Error, Esn};

/// The camera list, relative to the API root `/api/v3.0/`.
pub(super) const CAMERAS_PATH: &str = "cameras";

/// The query of every page: the two includes the gallery shows, and the largest page the
/// API allows (it clamps larger values, §3.4).
pub(super) const CAMERAS_QUERY: [(&str, &str); 2] =
    [("include", "status,timeZone"), ("pageSize", "500")];

/// The parameter that asks for the page after the first, with the same query (§3.4).
pub(super) const PAGE_TOKEN: &str = "pageToken";

/// One page of the camera list.
#[derive(Debug)]
pub(super) struct CameraPage {
    /// The page's cameras the gallery can name, in EEN's order.
    pub(super) cameras: Vec<Camera>,
    /// The token for the next page; `None` on the last page.
    pub(super) next_page_token: Option<String>,
}

/// The query for a page: [`CAMERAS_QUERY`], plus [`PAGE_TOKEN`] after the first page.
pub(super) fn page_query(token: Option<&str>) -> Vec<(&'static str, &str)> {
    let mut query = CAMERAS_QUERY.to_vec();
    if let Some(token) = token {
        query.push((PAGE_TOKEN, token));
    }
    query
}

/// The paginated envelope (§3.4); other fields (`prevPageToken`, `totalSize`) are ignored.
#[derive(Deserialize)]
struct Page {
    results: Vec<serde_json::Value>,
    /// `null` or `""` on the last page (§3.4); absent is read the same way.
    #[serde(rename = "nextPageToken", default)]
    next_page_token: Option<String>,
}

/// One camera of `results`; fields not named here are ignored.
#[derive(Deserialize)]
struct WireCamera {
    id: String,
    /// Required by the API; a camera without one is shown under its id.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<Status>,
    #[serde(rename = "timeZone", default)]
    time_zone: Option<Zone>,
}

/// `status`: the documented object, or a bare string as some clients report (§12).
#[derive(Deserialize)]
#[serde(untagged)]
enum Status {
    Object {
        #[serde(rename = "connectionStatus")]
        connection_status: Option<String>,
    },
    Bare(String),
    Other(IgnoredAny),
}

/// `timeZone` of a camera: `{"zone": "America/Chicago"}` (§6.3 names it `zone` for cameras).
#[derive(Deserialize)]
#[serde(untagged)]
enum Zone {
    Object { zone: Option<String> },
    Other(IgnoredAny),
}

/// Reads one page of `GET /cameras`. A body that is not the envelope is
/// [`Error::Decode`] (the message says where, not what the body held). A camera whose `id`
/// is not an ESN, or that is not an object with a string `id`, is skipped.
pub(super) fn parse_page(body: &[u8]) -> Result<CameraPage, Error> {
    let page: Page = serde_json::from_slice(body).map_err(|e| {
        Error::Decode(format!(
            "the camera list is not the v3 page ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let cameras = page
        .results
        .into_iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let camera = WireCamera::deserialize(value)
                .inspect_err(|_| {
                    tracing::debug!(index, "skipping a camera that is not an object with an id")
                })
                .ok()?;
            let Ok(esn) = camera.id.parse::<Esn>() else {
                tracing::debug!(index, "skipping a camera whose id is not 8 hex digits");
                return None;
            };
            Some(Camera {
                name: camera
                    .name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| esn.to_string()),
                esn,
                status: status(camera.status.as_ref()),
                time_zone: time_zone(camera.time_zone.as_ref()),
            })
        })
        .collect();
    Ok(CameraPage {
        cameras,
        next_page_token: page.next_page_token.filter(|t| !t.is_empty()),
    })
}

/// The domain status of a `connectionStatus` (§6.4), matched case-insensitively; a value
/// this client does not know, and a missing one, are [`CameraStatus::Unknown`].
fn status(status: Option<&Status>) -> CameraStatus {
    let value = match status {
        Some(Status::Object {
            connection_status: Some(v),
        })
        | Some(Status::Bare(v)) => v.trim(),
        _ => return CameraStatus::Unknown,
    };
    const KNOWN: [(&str, CameraStatus); 7] = [
        ("online", CameraStatus::Online),
        ("deviceOffline", CameraStatus::Offline),
        ("invalidCredentials", CameraStatus::PasswordNeeded),
        ("bridgeOffline", CameraStatus::BridgeOffline),
        ("off", CameraStatus::Off),
        ("error", CameraStatus::Faulty),
        ("unknown", CameraStatus::Unknown),
    ];
    KNOWN
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map_or(CameraStatus::Unknown, |&(_, s)| s)
}

/// The camera's IANA zone; UTC when it is missing or not a zone this build knows.
fn time_zone(zone: Option<&Zone>) -> TimeZone {
    match zone {
        Some(Zone::Object { zone: Some(name) }) => {
            TimeZone::get(name.trim()).unwrap_or_else(|_| {
                tracing::debug!("a camera's time zone is not one this build knows; using UTC");
                TimeZone::UTC
            })
        }
        _ => TimeZone::UTC,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The captured `/cameras` answer of spec §6.4 (FIXTURE), with `status` and `timeZone`
    /// as `include=status,timeZone` adds them.
    const FIXTURE: &str = r#"{
        "totalSize": 16,
        "nextPageToken": "",
        "prevPageToken": "",
        "results": [
            {
                "id": "1009eb6c",
                "accountId": "00001106",
                "name": "CF5 3D Print Lab",
                "bridgeId": "100062b4",
                "locationId": "c23563aa-50f3-4d9d-9f8d-533bdb521a92",
                "speakerId": null,
                "multiCameraId": null,
                "devicePosition": {
                    "latitude": 30.26880986,
                    "longitude": -97.74051703,
                    "azimuth": 275.27560084,
                    "floor": 5,
                    "rangeInMeters": 11.256103,
                    "fieldOfView": null
                },
                "createTimestamp": "2024-11-07T20:44:09.439+00:00",
                "status": {"connectionStatus": "online"},
                "timeZone": {"zone": "America/Chicago"}
            }
        ]
    }"#;

    fn camera(json: &str) -> String {
        format!(r#"{{"results":[{json}],"nextPageToken":null}}"#)
    }

    fn one(json: &str) -> Camera {
        let mut page = parse_page(camera(json).as_bytes()).unwrap();
        assert_eq!(page.cameras.len(), 1, "{json}");
        page.cameras.remove(0)
    }

    #[test]
    fn reads_the_captured_page() {
        let page = parse_page(FIXTURE.as_bytes()).unwrap();
        assert_eq!(page.next_page_token, None);
        let [cam] = page.cameras.as_slice() else {
            panic!("{:?}", page.cameras)
        };
        assert_eq!(cam.esn.as_str(), "1009eb6c");
        assert_eq!(cam.name, "CF5 3D Print Lab");
        assert_eq!(cam.status, CameraStatus::Online);
        assert_eq!(cam.time_zone.iana_name(), Some("America/Chicago"));
    }

    #[test]
    fn next_page_token_empty_null_absent_or_set() {
        let token = |json: &str| parse_page(json.as_bytes()).unwrap().next_page_token;
        assert_eq!(token(r#"{"results":[],"nextPageToken":""}"#), None);
        assert_eq!(token(r#"{"results":[],"nextPageToken":null}"#), None);
        assert_eq!(token(r#"{"results":[]}"#), None);
        assert_eq!(
            token(
                r#"{"results":[],"nextPageToken":"MToxMDA6MTY2MDU3NzAzNjM2Njot","prevPageToken":""}"#
            ),
            Some("MToxMDA6MTY2MDU3NzAzNjM2Njot".to_owned())
        );
    }

    #[test]
    fn the_seven_connection_states_in_any_case() {
        for (value, want) in [
            ("online", CameraStatus::Online),
            ("deviceOffline", CameraStatus::Offline),
            ("invalidCredentials", CameraStatus::PasswordNeeded),
            ("bridgeOffline", CameraStatus::BridgeOffline),
            ("off", CameraStatus::Off),
            ("error", CameraStatus::Faulty),
            ("unknown", CameraStatus::Unknown),
            ("ONLINE", CameraStatus::Online),
            ("deviceoffline", CameraStatus::Offline),
            ("BridgeOffline", CameraStatus::BridgeOffline),
            ("streaming", CameraStatus::Unknown),
            ("offline", CameraStatus::Unknown),
            ("", CameraStatus::Unknown),
        ] {
            let object = one(&format!(
                r#"{{"id":"1000c4ae","name":"a","status":{{"connectionStatus":"{value}"}}}}"#
            ));
            assert_eq!(object.status, want, "object {value:?}");
            let bare = one(&format!(
                r#"{{"id":"1000c4ae","name":"a","status":"{value}"}}"#
            ));
            assert_eq!(bare.status, want, "bare {value:?}");
        }
    }

    #[test]
    fn missing_or_odd_status_is_unknown() {
        for status in [
            "",
            r#","status":null"#,
            r#","status":{}"#,
            r#","status":{"connectionStatus":null}"#,
            r#","status":{"connectionStatus":3}"#,
            r#","status":42"#,
            r#","status":["online"]"#,
        ] {
            let cam = one(&format!(r#"{{"id":"1000c4ae","name":"a"{status}}}"#));
            assert_eq!(cam.status, CameraStatus::Unknown, "{status}");
        }
    }

    #[test]
    fn time_zone_by_iana_name_else_utc() {
        let zone = |tz: &str| {
            one(&format!(r#"{{"id":"1000c4ae","name":"a"{tz}}}"#))
                .time_zone
                .iana_name()
                .map(str::to_owned)
        };
        assert_eq!(
            zone(r#","timeZone":{"zone":"Europe/Amsterdam"}"#).as_deref(),
            Some("Europe/Amsterdam")
        );
        for utc in [
            "",
            r#","timeZone":null"#,
            r#","timeZone":{}"#,
            r#","timeZone":{"zone":"Mars/Olympus_Mons"}"#,
            r#","timeZone":{"zone":""}"#,
            r#","timeZone":"America/Chicago""#,
            r#","timeZone":{"timeZone":"America/Chicago"}"#,
        ] {
            assert_eq!(zone(utc).as_deref(), Some("UTC"), "{utc}");
        }
    }

    #[test]
    fn cameras_without_a_valid_id_are_skipped() {
        let body = camera(concat!(
            r#"{"id":"1000C4AE","name":"kept, id lowercased"},"#,
            r#"{"id":"1000c4a","name":"short"},"#,
            r#"{"id":"bridge-1","name":"not hex"},"#,
            r#"{"id":10001234,"name":"a number"},"#,
            r#"{"name":"no id"},"#,
            r#""not an object","#,
            r#"{"id":"100d4c41"}"#
        ));
        let page = parse_page(body.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = page
            .cameras
            .iter()
            .map(|c| (c.esn.as_str(), c.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("1000c4ae", "kept, id lowercased"),
                ("100d4c41", "100d4c41")
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_the_page_is_a_decode_error_without_the_body() {
        for body in [
            "",
            "<html>502</html>",
            "[]",
            r#"{"nextPageToken":""}"#,
            r#"{"results":{"secret-looking":"x"}}"#,
            r#"{"results":[],"nextPageToken":7}"#,
        ] {
            match parse_page(body.as_bytes()) {
                Err(Error::Decode(msg)) => {
                    assert!(
                        !msg.contains("secret-looking") && !msg.contains("html"),
                        "{msg}"
                    )
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_query_of_the_first_and_later_pages() {
        assert_eq!(CAMERAS_PATH, "cameras");
        assert_eq!(
            page_query(None),
            [("include", "status,timeZone"), ("pageSize", "500")]
        );
        assert_eq!(
            page_query(Some("b2Zmc2V0PTEw")),
            [
                ("include", "status,timeZone"),
                ("pageSize", "500"),
                ("pageToken", "b2Zmc2V0PTEw")
            ]
        );
    }
}

/// Property tests (issue 13): any body is a page or [`Error::Decode`], never a panic or
/// another error; cameras of any shape are read or skipped; well-formed cameras keep their
/// fields.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::fuzzing::{config, json, mutated, text};

    const STATES: [&str; 8] = [
        "online",
        "deviceOffline",
        "invalidCredentials",
        "bridgeOffline",
        "off",
        "error",
        "unknown",
        "streaming",
    ];

    /// A camera as `include=status,timeZone` answers it (§6.4), with a status either way.
    fn camera() -> impl Strategy<Value = Value> {
        (
            "[0-9a-fA-F]{8}",
            "[A-Za-z0-9 ]{1,20}",
            prop::sample::select(STATES.to_vec()),
            any::<bool>(),
            prop::sample::select(vec!["America/Chicago", "Europe/Berlin", "UTC", "Mars/Base"]),
        )
            .prop_map(|(id, name, status, bare, zone)| {
                let status = if bare {
                    json!(status)
                } else {
                    json!({"connectionStatus": status})
                };
                json!({"id": id, "name": name, "status": status, "timeZone": {"zone": zone}})
            })
    }

    fn page(results: Vec<Value>, token: Option<String>) -> String {
        json!({"results": results, "nextPageToken": token}).to_string()
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_body_is_a_page_or_a_decode_error(body in prop::collection::vec(any::<u8>(), 0..64)) {
            match parse_page(&body) {
                Ok(_) | Err(Error::Decode(_)) => {}
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn any_results_are_read_or_skipped(results in prop::collection::vec(json(), 0..6)) {
            let valid = results
                .iter()
                .filter(|c| c.get("id").and_then(Value::as_str).is_some_and(|id| id.parse::<Esn>().is_ok()))
                .count();
            let got = parse_page(page(results.clone(), None).as_bytes());
            // A camera whose other fields have the wrong types is skipped too.
            prop_assert!(got.unwrap().cameras.len() <= valid);
        }

        #[test]
        fn cameras_keep_their_fields(
            cameras in prop::collection::vec(camera(), 0..6),
            token in prop::option::of("[A-Za-z0-9]{0,20}"),
        ) {
            let got = parse_page(page(cameras.clone(), token.clone()).as_bytes()).unwrap();
            prop_assert_eq!(got.next_page_token, token.filter(|t| !t.is_empty()));
            prop_assert_eq!(got.cameras.len(), cameras.len());
            for (camera, wire) in got.cameras.iter().zip(&cameras) {
                let id = wire["id"].as_str().unwrap().to_ascii_lowercase();
                prop_assert_eq!(camera.esn.as_str(), id.as_str());
                let name = wire["name"].as_str().unwrap();
                let want = if name.trim().is_empty() { id.as_str() } else { name };
                prop_assert_eq!(camera.name.as_str(), want);
                let status = wire["status"].as_str().or(wire["status"]["connectionStatus"].as_str());
                prop_assert_eq!(
                    camera.status == CameraStatus::Unknown,
                    matches!(status, Some("unknown" | "streaming"))
                );
            }
        }

        #[test]
        fn near_valid_pages_are_read_or_a_decode_error(
            body in mutated(prop::collection::vec(camera(), 1..3).prop_map(|c| page(c, None)))
        ) {
            match parse_page(body.as_bytes()) {
                Ok(_) | Err(Error::Decode(_)) => {}
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn any_status_and_zone_text_is_read(status in text(), zone in text()) {
            let body = page(
                vec![json!({"id": "1000c4ae", "status": status, "timeZone": {"zone": zone}})],
                None,
            );
            prop_assert_eq!(parse_page(body.as_bytes()).unwrap().cameras.len(), 1);
        }
    }
}
