//! Domain types that cross the client boundary.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;

use crate::timestamp::EenTimestamp;

/// A camera (or bridge) id: 8 hex digits, stored lowercase.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Esn(String);

/// Why a string is not an ESN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a camera id (expected 8 hex digits)")]
pub struct ParseEsnError;

impl FromStr for Esn {
    type Err = ParseEsnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Esn(s.to_ascii_lowercase()))
        } else {
            Err(ParseEsnError)
        }
    }
}

impl Esn {
    /// The id as EEN writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Esn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A camera's overall status, decoded from the `device_status` bitmask as EEN documents it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CameraStatus {
    /// Registered, on and streaming.
    Online,
    /// On and registered but not streaming.
    Offline,
    /// On but not registered with the cloud.
    InternetOffline,
    /// Turned off by a user.
    Off,
    /// Needs an ONVIF password (effectively offline).
    PasswordNeeded,
}

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

/// A device from the device list.
#[derive(Clone, Debug)]
pub struct Camera {
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
}

/// A preview image and the time it was taken.
#[derive(Clone, Debug)]
pub struct Image {
    /// When the frame was taken.
    pub timestamp: EenTimestamp,
    /// The JPEG.
    pub bytes: Bytes,
}

/// Where a listing of previews ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Before {
    /// Up to now.
    Now,
    /// Strictly before this instant.
    At(EenTimestamp),
}
