//! Domain types: what every backend answers in, and all the layers above `een` see.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use jiff::tz::TimeZone;

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

/// A camera's overall status, as EEN documents it (v1 decodes it from the `device_status`
/// bitmask).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum CameraStatus {
    /// Registered, on and streaming.
    Online,
    /// On and registered but not streaming.
    Offline,
    /// On but not registered with the cloud.
    InternetOffline,
    /// Turned off by a user.
    Off,
    /// Needs an ONVIF password (effectively offline); v3's `invalidCredentials`.
    PasswordNeeded,
    /// Its bridge is offline, so the cloud cannot see it (v3's `bridgeOffline`).
    BridgeOffline,
    /// Offline for a reason EEN does not describe (v3's `error`).
    Faulty,
    /// EEN does not know its state (v3's `unknown`, and any value this gallery does not know).
    Unknown,
}

impl CameraStatus {
    /// Whether the camera delivers pictures now.
    pub fn is_online(self) -> bool {
        self == CameraStatus::Online
    }
}

/// A camera the gallery can show, as every backend describes it.
#[derive(Clone, Debug)]
pub struct Camera {
    /// Its id.
    pub esn: Esn,
    /// Its name.
    pub name: String,
    /// Whether it delivers pictures now, and if not, why.
    pub status: CameraStatus,
    /// Its local time zone (UTC when EEN does not say), for captions in local time.
    pub time_zone: TimeZone,
}

/// A preview image and the time it was taken.
#[derive(Clone, Debug)]
pub struct Image {
    /// When the frame was taken.
    pub timestamp: EenTimestamp,
    /// The JPEG.
    pub bytes: Bytes,
}

/// A preview found by a listing: its time, and its JPEG when the backend had to fetch the
/// frame to find it (v3 finds frames by fetching them; v1 lists times only).
#[derive(Clone, Debug)]
pub struct Listed {
    /// When the frame was taken.
    pub timestamp: EenTimestamp,
    /// The JPEG, when the listing fetched it already.
    pub bytes: Option<Bytes>,
}

/// Whether the gallery holds a working authorization for the EEN account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Credentials (v1) or a stored connection (v3) are there to use.
    Connected,
    /// v3: no account connected yet; an operator must approve access once.
    NotConnected,
    /// v3: EEN refused to refresh the connection (expired, revoked, idle too long); an
    /// operator must connect again.
    ReconnectionNeeded,
}

/// The start of a v3 connect flow: where to send the operator's browser, the `state` that
/// must come back with the code, and the PKCE verifier that goes with the code exchange.
/// `Debug` shows neither secret.
pub struct AuthorizationRequest {
    /// EEN's authorize page, with `client_id`, `redirect_uri`, `state` and the PKCE challenge.
    pub url: url::Url,
    /// The random `state`, to bind to the browser that started the flow.
    pub state: secrecy::SecretString,
    /// The PKCE code verifier, sent with the code exchange.
    pub verifier: secrecy::SecretString,
}

impl fmt::Debug for AuthorizationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries the state, so it is left out too.
        f.debug_struct("AuthorizationRequest")
            .finish_non_exhaustive()
    }
}

/// Which neighbour of a frame: the one just before it or the one just after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The newest frame strictly before.
    Older,
    /// The oldest frame strictly after.
    Newer,
}

impl Side {
    /// The other side: the frame `Older` of `a` is `b` exactly when `a` is `Newer` of `b`.
    pub fn opposite(self) -> Self {
        match self {
            Side::Older => Side::Newer,
            Side::Newer => Side::Older,
        }
    }

    /// `found`, if it is on this side of `of`: a frame on the wrong side would make the
    /// viewer step in place or backwards, so it is a bad answer.
    pub fn checked(self, of: EenTimestamp, found: Image) -> Result<Image, super::Error> {
        let beside = match self {
            Side::Older => found.timestamp < of,
            Side::Newer => found.timestamp > of,
        };
        if beside {
            Ok(found)
        } else {
            Err(super::Error::Decode(
                "the neighbouring image is on the wrong side".into(),
            ))
        }
    }
}

/// Where a listing of previews ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Before {
    /// Up to now.
    Now,
    /// Strictly before this instant.
    At(EenTimestamp),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esn_is_eight_hex_digits_stored_lowercase() {
        let esn: Esn = "1000C4AE".parse().unwrap();
        assert_eq!(esn.as_str(), "1000c4ae");
        assert_eq!(esn.to_string(), "1000c4ae");
        for bad in [
            "",
            "1000c4a",
            "1000c4ae0",
            "1000c4ag",
            "c0",
            "1000c4a/",
            " 1000c4a",
            "１000c4ae",
        ] {
            assert_eq!(bad.parse::<Esn>(), Err(ParseEsnError), "{bad:?}");
        }
    }
}

/// Property tests (issue 13): an ESN is exactly 8 hex digits, stored lowercase; anything else
/// is [`ParseEsnError`], never a panic.
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{config, mutated, text};

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn any_text_is_an_esn_only_if_it_is_8_hex_digits(s in text()) {
            let want = s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
            match s.parse::<Esn>() {
                Ok(esn) => {
                    prop_assert!(want);
                    prop_assert_eq!(esn.as_str(), s.to_ascii_lowercase());
                }
                Err(ParseEsnError) => prop_assert!(!want),
            }
        }

        #[test]
        fn near_valid_esns_parse_or_are_rejected(s in mutated("[0-9a-fA-F]{8}")) {
            let want = s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit());
            prop_assert_eq!(s.parse::<Esn>().is_ok(), want);
        }

        #[test]
        fn esns_round_trip(s in "[0-9a-fA-F]{8}") {
            let esn: Esn = s.parse().unwrap();
            prop_assert_eq!(esn.to_string().parse::<Esn>(), Ok(esn));
        }
    }
}
