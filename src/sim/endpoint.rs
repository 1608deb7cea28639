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
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: [Endpoint; 14] = [
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
