//! The endpoints the simulator knows, and how a path maps to one.

use serde::Serialize;

/// An endpoint of the simulated API, as counted in [`Stats`](super::Stats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /g/aaa/authenticate`.
    Authenticate,
    /// `POST /g/aaa/authorize`.
    Authorize,
    /// `GET /g/aaa/isauth`.
    IsAuth,
    /// `POST` (or `GET`) `/g/aaa/logout`.
    Logout,
    /// `GET /g/user`.
    User,
    /// `GET /g/device/list` and its alias `/g/list/devices`.
    DeviceList,
    /// `GET /g/device?id=`.
    Device,
    /// `GET /asset/list/image` and `/asset/list/image.jpeg`.
    ListImage,
    /// `GET /asset/asset/image.jpeg`.
    AssetImage,
    /// `GET /asset/prev/image.jpeg`.
    PrevImage,
    /// `GET /asset/next/image.jpeg`.
    NextImage,
    /// `GET /asset/after/image.jpeg`.
    AfterImage,
    /// `GET /_sim/stats` (the simulator's own, not EEN's).
    Stats,
    /// Anything else (answered 404).
    Other,
    // API v3 (see `sim::v3`).
    /// v3 `GET`/`POST /oauth2/authorize` (the consent page).
    V3Authorize,
    /// v3 `POST /oauth2/token`.
    V3Token,
    /// v3 `POST /oauth2/revoke`.
    V3Revoke,
    /// v3 `GET /api/v3.0/clientSettings`.
    V3ClientSettings,
    /// v3 `GET /api/v3.0/users/self`.
    V3UsersSelf,
    /// v3 `GET /api/v3.0/accounts`.
    V3Accounts,
    /// v3 `GET /api/v3.0/cameras`.
    V3Cameras,
    /// v3 `GET /api/v3.0/cameras/{id}`.
    V3Camera,
    /// v3 `GET /api/v3.0/media/liveImage.jpeg`.
    V3LiveImage,
    /// v3 `GET /api/v3.0/media/recordedImage.jpeg`.
    V3RecordedImage,
    /// v3 `GET /api/v3.0/media`.
    V3Media,
    /// Any other v3 path (`/oauth2/*`, `/api/v3.0/*`): 404 `endpointNotFound`.
    V3Other,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 26] = [
        Endpoint::Authenticate,
        Endpoint::Authorize,
        Endpoint::IsAuth,
        Endpoint::Logout,
        Endpoint::User,
        Endpoint::DeviceList,
        Endpoint::Device,
        Endpoint::ListImage,
        Endpoint::AssetImage,
        Endpoint::PrevImage,
        Endpoint::NextImage,
        Endpoint::AfterImage,
        Endpoint::Stats,
        Endpoint::Other,
        Endpoint::V3Authorize,
        Endpoint::V3Token,
        Endpoint::V3Revoke,
        Endpoint::V3ClientSettings,
        Endpoint::V3UsersSelf,
        Endpoint::V3Accounts,
        Endpoint::V3Cameras,
        Endpoint::V3Camera,
        Endpoint::V3LiveImage,
        Endpoint::V3RecordedImage,
        Endpoint::V3Media,
        Endpoint::V3Other,
    ];

    /// The name used as key in [`Stats::requests`](super::Stats::requests).
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Authenticate => "authenticate",
            Endpoint::Authorize => "authorize",
            Endpoint::IsAuth => "isauth",
            Endpoint::Logout => "logout",
            Endpoint::User => "user",
            Endpoint::DeviceList => "device_list",
            Endpoint::Device => "device",
            Endpoint::ListImage => "list_image",
            Endpoint::AssetImage => "asset_image",
            Endpoint::PrevImage => "prev_image",
            Endpoint::NextImage => "next_image",
            Endpoint::AfterImage => "after_image",
            Endpoint::Stats => "stats",
            Endpoint::Other => "other",
            Endpoint::V3Authorize => "v3_authorize",
            Endpoint::V3Token => "v3_token",
            Endpoint::V3Revoke => "v3_revoke",
            Endpoint::V3ClientSettings => "v3_client_settings",
            Endpoint::V3UsersSelf => "v3_users_self",
            Endpoint::V3Accounts => "v3_accounts",
            Endpoint::V3Cameras => "v3_cameras",
            Endpoint::V3Camera => "v3_camera",
            Endpoint::V3LiveImage => "v3_live_image",
            Endpoint::V3RecordedImage => "v3_recorded_image",
            Endpoint::V3Media => "v3_media",
            Endpoint::V3Other => "v3_other",
        }
    }

    /// Whether this endpoint answers a JPEG (`/asset/{asset,prev,next,after}/image.jpeg`);
    /// these are the requests counted in flight.
    pub fn is_image(self) -> bool {
        matches!(
            self,
            Endpoint::AssetImage | Endpoint::PrevImage | Endpoint::NextImage | Endpoint::AfterImage
        )
    }

    /// Whether this is an API v3 endpoint (served by `sim::v3`).
    pub fn is_v3(self) -> bool {
        self.as_str().starts_with("v3_")
    }

    /// Whether this is one of the two v3 JPEG endpoints (counted in flight per token).
    pub fn is_v3_image(self) -> bool {
        matches!(self, Endpoint::V3LiveImage | Endpoint::V3RecordedImage)
    }

    /// The endpoint a path (without its trailing slash) addresses.
    pub(crate) fn classify(path: &str) -> Endpoint {
        match path {
            "/g/aaa/authenticate" => Endpoint::Authenticate,
            "/g/aaa/authorize" => Endpoint::Authorize,
            "/g/aaa/isauth" => Endpoint::IsAuth,
            "/g/aaa/logout" => Endpoint::Logout,
            "/g/user" => Endpoint::User,
            "/g/device/list" | "/g/list/devices" => Endpoint::DeviceList,
            "/g/device" => Endpoint::Device,
            "/asset/list/image" | "/asset/list/image.jpeg" => Endpoint::ListImage,
            "/asset/asset/image.jpeg" => Endpoint::AssetImage,
            "/asset/prev/image.jpeg" => Endpoint::PrevImage,
            "/asset/next/image.jpeg" => Endpoint::NextImage,
            "/asset/after/image.jpeg" => Endpoint::AfterImage,
            "/_sim/stats" => Endpoint::Stats,
            "/oauth2/authorize" => Endpoint::V3Authorize,
            "/oauth2/token" => Endpoint::V3Token,
            "/oauth2/revoke" => Endpoint::V3Revoke,
            "/api/v3.0/clientSettings" => Endpoint::V3ClientSettings,
            "/api/v3.0/users/self" => Endpoint::V3UsersSelf,
            "/api/v3.0/accounts" => Endpoint::V3Accounts,
            "/api/v3.0/cameras" => Endpoint::V3Cameras,
            "/api/v3.0/media/liveImage.jpeg" => Endpoint::V3LiveImage,
            "/api/v3.0/media/recordedImage.jpeg" => Endpoint::V3RecordedImage,
            "/api/v3.0/media" => Endpoint::V3Media,
            _ if path
                .strip_prefix("/api/v3.0/cameras/")
                .is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
            {
                Endpoint::V3Camera
            }
            "/oauth2" | "/api/v3.0" => Endpoint::V3Other,
            _ if path.starts_with("/oauth2/") || path.starts_with("/api/v3.0/") => {
                Endpoint::V3Other
            }
            _ => Endpoint::Other,
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_documented_paths_and_aliases() {
        assert_eq!(Endpoint::classify("/g/list/devices"), Endpoint::DeviceList);
        assert_eq!(Endpoint::classify("/g/device/list"), Endpoint::DeviceList);
        assert_eq!(Endpoint::classify("/asset/list/image"), Endpoint::ListImage);
        assert_eq!(
            Endpoint::classify("/asset/list/image.jpeg"),
            Endpoint::ListImage
        );
        assert_eq!(Endpoint::classify("/asset/asset/image"), Endpoint::Other);
        assert_eq!(Endpoint::classify("/"), Endpoint::Other);
        assert_eq!(
            Endpoint::classify("/api/v3.0/cameras/100a5bc2"),
            Endpoint::V3Camera
        );
        assert_eq!(
            Endpoint::classify("/api/v3.0/cameras/a/b"),
            Endpoint::V3Other
        );
        assert_eq!(Endpoint::classify("/oauth2/nothing"), Endpoint::V3Other);
        assert!(Endpoint::ALL.iter().filter(|e| e.is_v3()).count() == 12);
    }

    #[test]
    fn names_are_unique_and_images_are_the_four_jpeg_endpoints() {
        let names: std::collections::BTreeSet<_> =
            Endpoint::ALL.iter().map(|e| e.as_str()).collect();
        assert_eq!(names.len(), Endpoint::ALL.len());
        let images: Vec<_> = Endpoint::ALL.iter().filter(|e| e.is_image()).collect();
        assert_eq!(images.len(), 4);
    }
}
