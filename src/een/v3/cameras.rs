//! TEMPORARY (replaced by the v3-media branch): camera pages.

use serde_json::Value;

use crate::een::{Camera, CameraStatus, Error};

pub(crate) struct CameraPage {
    pub(crate) cameras: Vec<Camera>,
    pub(crate) next_page_token: Option<String>,
}

pub(crate) fn parse_page(body: &[u8]) -> Result<CameraPage, Error> {
    let v: Value = serde_json::from_slice(body).map_err(|_| Error::Decode("cameras".into()))?;
    let cameras = v["results"]
        .as_array()
        .ok_or_else(|| Error::Decode("cameras".into()))?
        .iter()
        .filter_map(|c| {
            let esn = c["id"].as_str()?.parse().ok()?;
            let status = match c["status"]["connectionStatus"].as_str().unwrap_or("") {
                "online" => CameraStatus::Online,
                "deviceOffline" => CameraStatus::Offline,
                "invalidCredentials" => CameraStatus::PasswordNeeded,
                "bridgeOffline" => CameraStatus::BridgeOffline,
                "off" => CameraStatus::Off,
                "error" => CameraStatus::Faulty,
                _ => CameraStatus::Unknown,
            };
            let time_zone = c["timeZone"]["zone"]
                .as_str()
                .and_then(|z| jiff::tz::TimeZone::get(z).ok())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            Some(Camera {
                esn,
                name: c["name"].as_str().unwrap_or_default().to_owned(),
                status,
                time_zone,
            })
        })
        .collect();
    let next_page_token = v["nextPageToken"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    Ok(CameraPage {
        cameras,
        next_page_token,
    })
}
