//! Devices as the v1 device list describes them (spec §3.1), and the cameras they show as.

use jiff::tz::{Offset, TimeZone};

use crate::een::{Camera, CameraStatus, Esn};

/// What kind of device a row describes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DeviceKind {
    /// A camera.
    Camera,
    /// A bridge.
    Bridge,
    /// A multiview camera (has channel children).
    MultiviewCamera,
    /// Any other type string.
    Other(String),
}

impl DeviceKind {
    /// From the device list's type column.
    pub fn from_wire(s: &str) -> Self {
        match s {
            "camera" => Self::Camera,
            "bridge" => Self::Bridge,
            "multiview_camera" => Self::MultiviewCamera,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether this kind produces images. The 2023 docs add `mobile_camera` and `mca_camera`,
    /// so any `*_camera` type counts.
    pub fn is_camera(&self) -> bool {
        match self {
            Self::Camera | Self::MultiviewCamera => true,
            Self::Bridge => false,
            Self::Other(s) => s.ends_with("_camera"),
        }
    }
}

/// The device's service status.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum ServiceStatus {
    /// `ATTD`: attached to the account.
    Attached,
    /// `IGND`: discovered, not attached.
    Unattached,
    /// `IDLE`.
    Idle,
    /// `ERSE`.
    Erase,
    /// Anything else.
    Other(String),
}

impl ServiceStatus {
    /// From the device list's service status column.
    pub fn from_wire(s: &str) -> Self {
        match s {
            "ATTD" => Self::Attached,
            "IGND" => Self::Unattached,
            "IDLE" => Self::Idle,
            "ERSE" => Self::Erase,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A device from the v1 device list, with every column this client reads (the gallery needs
/// only the [`Camera`] it turns into).
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// Its id.
    pub esn: Esn,
    /// Its name.
    pub name: String,
    /// Camera, bridge, ...
    pub kind: DeviceKind,
    /// Attached or not.
    pub service_status: ServiceStatus,
    /// Decoded status.
    pub status: CameraStatus,
    /// Whether it is recording.
    pub recording: bool,
    /// IANA time zone name, if known.
    pub timezone: Option<String>,
    /// UTC offset in seconds, if known.
    pub utc_offset: Option<i32>,
    /// Bridges that see it (or, for a bridge, its cameras).
    pub bridges: Vec<Esn>,
    /// Tags.
    pub tags: Vec<String>,
    /// The account it belongs to (8 digits), if EEN says.
    pub account_id: Option<String>,
    /// The raw `device_status` bitmask, for diagnostics.
    pub device_status: u64,
    /// For a channel of a multiview camera: the parent camera.
    pub parent_esn: Option<Esn>,
    /// For a channel of a multiview camera: the channel's label, e.g. `Channel 3`.
    pub child_camera_view: Option<String>,
    /// Whether another account shares this camera with us.
    pub is_shared: bool,
    /// The owning account's name, if EEN says.
    pub owner_account_name: Option<String>,
}

impl Device {
    /// The camera's local time zone: its IANA zone if known, else its fixed UTC offset, else
    /// UTC.
    pub fn time_zone(&self) -> TimeZone {
        self.timezone
            .as_deref()
            .and_then(|name| TimeZone::get(name).ok())
            .or_else(|| {
                self.utc_offset
                    .and_then(|secs| Offset::from_seconds(secs).ok())
                    .map(TimeZone::fixed)
            })
            .unwrap_or(TimeZone::UTC)
    }

    /// Whether this is a camera attached to the account, the only kind that has previews to
    /// show (bridges and discovered-but-unattached cameras have none).
    pub fn is_attached_camera(&self) -> bool {
        self.kind.is_camera() && self.service_status == ServiceStatus::Attached
    }

    /// The domain camera this device shows as.
    pub fn into_camera(self) -> Camera {
        Camera {
            time_zone: self.time_zone(),
            esn: self.esn,
            name: self.name,
            status: self.status,
        }
    }
}

/// The devices the gallery can show, as domain cameras: attached cameras only.
pub(crate) fn attached_cameras(devices: Vec<Device>) -> Vec<Camera> {
    devices
        .into_iter()
        .filter(Device::is_attached_camera)
        .map(Device::into_camera)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::EenTimestamp;

    fn camera(timezone: Option<&str>, utc_offset: Option<i32>) -> Device {
        Device {
            esn: "1000c4ae".parse().unwrap(),
            name: "Lobby".into(),
            kind: DeviceKind::Camera,
            service_status: ServiceStatus::Attached,
            status: CameraStatus::Online,
            recording: false,
            timezone: timezone.map(str::to_owned),
            utc_offset,
            bridges: Vec::new(),
            tags: Vec::new(),
            account_id: None,
            device_status: 0x16_8037,
            parent_esn: None,
            child_camera_view: None,
            is_shared: false,
            owner_account_name: None,
        }
    }

    #[test]
    fn time_zone_falls_back_to_the_offset_then_utc() {
        let ts: EenTimestamp = "20190409024212.149".parse().unwrap();
        let local = |c: &Device| ts.in_zone(&c.time_zone()).strftime("%H:%M").to_string();
        // EEN still sends old link names such as US/Central.
        assert_eq!(local(&camera(Some("US/Central"), Some(-18000))), "21:42");
        assert_eq!(local(&camera(Some("Europe/Berlin"), None)), "04:42");
        assert_eq!(local(&camera(Some("Not/AZone"), Some(3600))), "03:42");
        assert_eq!(local(&camera(None, Some(-7 * 3600))), "19:42");
        assert_eq!(local(&camera(None, Some(999_999_999))), "02:42");
        assert_eq!(local(&camera(None, None)), "02:42");
    }

    #[test]
    fn attached_cameras_only() {
        assert!(camera(None, None).is_attached_camera());
        let mut c = camera(None, None);
        c.kind = DeviceKind::Bridge;
        assert!(!c.is_attached_camera());
        c.kind = DeviceKind::from_wire("mobile_camera");
        assert!(c.is_attached_camera());
        c.service_status = ServiceStatus::from_wire("IGND");
        assert!(!c.is_attached_camera());
        assert_eq!(
            DeviceKind::from_wire("multiview_camera"),
            DeviceKind::MultiviewCamera
        );
        assert_eq!(
            ServiceStatus::from_wire("XYZ"),
            ServiceStatus::Other("XYZ".into())
        );
    }

    #[test]
    fn only_attached_cameras_show_in_the_gallery() {
        let mut bridge = camera(None, None);
        bridge.esn = "10031c5f".parse().unwrap();
        bridge.kind = DeviceKind::Bridge;
        let shown = attached_cameras(vec![camera(Some("US/Central"), None), bridge]);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].esn.as_str(), "1000c4ae");
        assert_eq!(shown[0].time_zone.iana_name(), Some("US/Central"));
    }
}
