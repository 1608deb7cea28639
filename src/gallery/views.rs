//! View models: the page templates and the display-ready values they render. Nothing here
//! knows EEN's wire formats: the handlers turn domain types into these strings.

use std::sync::Arc;

use askama::Template;
use jiff::tz::TimeZone;
use secrecy::{ExposeSecret as _, SecretString};

use super::assets;
use crate::cache::Status;
use crate::een::{CameraStatus, Esn};
use crate::timestamp::EenTimestamp;

/// What every page shows around its content.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Show the "demo data" banner.
    pub demo: bool,
    /// A warning about EEN, when it is not ready.
    pub notice: Option<&'static str>,
    /// The stylesheet URL.
    pub css_href: String,
    /// The icon URL.
    pub icon_href: String,
    /// The gallery's path prefix (`""` at the root, `/cams` under a subpath): every link
    /// starts with it.
    pub base: String,
    /// The signed-in user, for the header.
    pub account: Option<AccountView>,
    /// Show the header's camera search (to visitors who may see cameras).
    pub search: bool,
}

/// The signed-in user in the page header: the name, the admin's link to the EEN connection
/// page, and the sign-out form (for a session; a proxy's user signs out at the proxy).
#[derive(Clone)]
pub struct AccountView {
    /// The user's name.
    pub name: String,
    /// The EEN connection page, for admins.
    pub admin_href: Option<String>,
    /// Where the sign-out form posts; `None` without a session.
    pub sign_out_path: Option<String>,
    /// The user's form token.
    pub csrf: SecretString,
}

impl std::fmt::Debug for AccountView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountView")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl AccountView {
    /// The form token, for the hidden field.
    pub fn csrf_token(&self) -> &str {
        self.csrf.expose_secret()
    }
}

impl Layout {
    /// The layout for the current mode and EEN status, under the path prefix `base`.
    pub fn new(demo: bool, status: Status, base: &str) -> Self {
        Self {
            demo,
            notice: (status != Status::Ready).then(|| status.describe()),
            css_href: format!("{base}{}", assets::href("style.css")),
            icon_href: format!("{base}{}", assets::href("favicon.svg")),
            base: base.to_owned(),
            account: None,
            search: false,
        }
    }

    /// The versioned URL of the asset `name` (a script, an image), under the path prefix.
    pub fn asset(&self, name: &str) -> String {
        format!("{}{}", self.base, assets::href(name))
    }

    /// The same, with the header's camera search or without.
    pub fn with_search(mut self, search: bool) -> Self {
        self.search = search;
        self
    }

    /// The same, showing `account` in the header.
    pub fn with_account(mut self, account: Option<AccountView>) -> Self {
        self.account = account;
        self
    }
}

/// A camera's status for display.
#[derive(Clone, Debug)]
pub struct StatusView {
    /// "Online", "Offline" or "Off".
    pub label: &'static str,
    /// EEN's reason for an offline camera.
    pub reason: Option<&'static str>,
    /// CSS modifier: `online`, `offline` or `off`.
    pub class: &'static str,
}

impl From<CameraStatus> for StatusView {
    fn from(status: CameraStatus) -> Self {
        let (label, reason, class) = match status {
            CameraStatus::Online => ("Online", None, "online"),
            CameraStatus::Offline => ("Offline", Some("not streaming"), "offline"),
            CameraStatus::InternetOffline => {
                ("Offline", Some("not connected to the cloud"), "offline")
            }
            CameraStatus::PasswordNeeded => ("Offline", Some("camera password needed"), "offline"),
            CameraStatus::Off => ("Off", Some("turned off by a user"), "off"),
            CameraStatus::BridgeOffline => ("Offline", Some("its bridge is offline"), "offline"),
            CameraStatus::Faulty => ("Offline", Some("a device error"), "offline"),
            CameraStatus::Unknown => (
                "Unknown",
                Some("Eagle Eye Networks does not know"),
                "offline",
            ),
        };
        Self {
            label,
            reason,
            class,
        }
    }
}

/// An `<img>`: always a URL on this server, with its size so the layout does not shift.
#[derive(Clone, Debug)]
pub struct ImageView {
    /// Image URL.
    pub src: String,
    /// Intrinsic width.
    pub width: u16,
    /// Intrinsic height.
    pub height: u16,
    /// Alt text.
    pub alt: String,
    /// `ready`, `late`, `failed` or `none` (for tests and styling).
    pub state: &'static str,
}

impl ImageView {
    /// The placeholder, for an image that is `state`.
    pub fn placeholder(base: &str, alt: String, state: &'static str, size: (u16, u16)) -> Self {
        Self {
            src: format!("{base}{}", assets::href("placeholder.svg")),
            width: size.0,
            height: size.1,
            alt,
            state,
        }
    }
}

/// One camera of the grid.
#[derive(Clone, Debug)]
pub struct Tile {
    /// Camera id.
    pub esn: String,
    /// Camera name.
    pub name: String,
    /// Link to the camera page.
    pub href: String,
    /// Status.
    pub status: StatusView,
    /// Latest preview.
    pub image: ImageView,
    /// How old the preview is ("12 s ago"), or why there is none.
    pub age: String,
    /// The preview's EEN timestamp, when there is one.
    pub timestamp: Option<String>,
    /// Where the live-tile script asks for a newer preview.
    pub live_href: String,
}

/// `/`: a few cameras chosen at random.
#[derive(Debug, Template)]
#[template(path = "grid.html")]
pub struct GridPage {
    /// Frame.
    pub layout: Layout,
    /// The chosen cameras.
    pub tiles: Vec<Tile>,
    /// "9 of 31 cameras".
    pub summary: String,
    /// A new random choice.
    pub shuffle_href: String,
    /// This choice again.
    pub permalink_href: String,
    /// This choice as a wall.
    pub wall_href: String,
}

/// One image of a camera page.
#[derive(Clone, Debug)]
pub struct Frame {
    /// EEN timestamp (UTC), as in URLs.
    pub timestamp: String,
    /// The frame viewer (full size, with the frames around it).
    pub href: String,
    /// The thumbnail.
    pub image: ImageView,
    /// Local time of the camera, e.g. "Tue 2024-05-01 14:03:12 CDT".
    pub caption: String,
    /// The same instant as RFC 3339 with the camera's UTC offset, for `<time datetime>`.
    pub datetime: String,
    /// Why the image is a placeholder, if it is.
    pub note: Option<&'static str>,
}

/// `/cameras/{esn}`: one camera's recent images.
#[derive(Debug, Template)]
#[template(path = "camera.html")]
pub struct CameraPage {
    /// Frame.
    pub layout: Layout,
    /// Camera name.
    pub name: String,
    /// Status.
    pub status: StatusView,
    /// Time zone, e.g. "America/Chicago (UTC−05:00)".
    pub time_zone: String,
    /// The images, newest first, rendered ([`FrameList`]; empty when there are none):
    /// the same for every viewer of one listing, so rendered once per listing (see
    /// `frame_list`).
    pub frames_html: Arc<str>,
    /// What to say when there are no images.
    pub empty_message: String,
    /// The page of older images.
    pub older_href: Option<String>,
    /// The page of newer images, when paging back.
    pub newer_href: Option<String>,
    /// The newest images, when paging back.
    pub newest_href: Option<String>,
    /// Where the jump form goes (the camera page).
    pub jump_action: String,
    /// The jump form's time, in the camera's zone (`2024-05-01T14:05:00`), if one was asked.
    pub jump_value: String,
    /// Now in the camera's zone: the latest time the form takes.
    pub jump_max: String,
    /// Whether the first frame is kept live (the newest page): loads the live-tile script
    /// and shows its pause button (the list itself carries where the script asks).
    pub live: bool,
}

/// A camera page's images, newest first: the part of the page that is the same for every
/// viewer of one listing.
#[derive(Debug, Template)]
#[template(path = "frames.html")]
pub struct FrameList {
    /// Images, newest first.
    pub frames: Vec<Frame>,
    /// On the newest page: where the live-tile script asks for a newer first frame.
    pub live_href: Option<String>,
}

/// `/?wall=1`: the grid's cameras full screen, for a screen on a wall.
#[derive(Debug, Template)]
#[template(path = "wall.html")]
pub struct WallPage {
    /// Frame (only its EEN notice shows).
    pub layout: Layout,
    /// The chosen cameras.
    pub tiles: Vec<Tile>,
    /// Seconds between shuffles, if the wall shuffles.
    pub rotate: Option<u32>,
    /// A new random choice, as a wall (with the same `rotate`).
    pub shuffle_href: String,
    /// This choice on the usual grid.
    pub exit_href: String,
}

/// A neighbouring frame in the viewer.
#[derive(Clone, Debug)]
pub struct Step {
    /// Its viewer page.
    pub href: String,
    /// Its image, to load ahead.
    pub image: String,
}

/// `/cameras/{esn}/frames/{timestamp}`: one frame full size, with its neighbours.
#[derive(Debug, Template)]
#[template(path = "viewer.html")]
pub struct ViewerPage {
    /// Frame.
    pub layout: Layout,
    /// Camera name.
    pub name: String,
    /// The camera page.
    pub camera_href: String,
    /// The camera page that starts at this frame (Esc).
    pub back_href: String,
    /// EEN timestamp (UTC), as in URLs.
    pub timestamp: String,
    /// The image, full size.
    pub image: ImageView,
    /// The full-size JPEG on its own.
    pub image_href: String,
    /// Local time of the camera.
    pub caption: String,
    /// The same instant as RFC 3339 with the camera's offset.
    pub datetime: String,
    /// Time zone, e.g. "America/Chicago (UTC-05:00)".
    pub time_zone: String,
    /// Why the image is a placeholder, if it is.
    pub note: Option<&'static str>,
    /// The frame just before (←).
    pub older: Option<Step>,
    /// Why there is no link to the frame before.
    pub older_missing: &'static str,
    /// The frame just after (→).
    pub newer: Option<Step>,
    /// Why there is no link to the frame after.
    pub newer_missing: &'static str,
    /// The camera's newest frame (Home).
    pub newest_href: String,
}

/// A camera's latest preview as the live-tile script reads it (`latest.json`).
#[derive(Debug, serde::Serialize)]
pub struct LivePreview {
    /// `ready`, `none` (no images), `failed` or `late`.
    pub state: &'static str,
    /// The preview's EEN timestamp, when ready.
    pub timestamp: Option<String>,
    /// The image URL (the placeholder when not ready).
    pub src: String,
    /// Alt text.
    pub alt: String,
    /// The frame viewer of the preview, when ready.
    pub href: Option<String>,
    /// Local time of the camera, when ready.
    pub caption: Option<String>,
    /// The same as RFC 3339 with the camera's offset, when ready.
    pub datetime: Option<String>,
    /// How old the preview is, in milliseconds, when ready (the script counts on from it,
    /// whatever the browser's clock says).
    pub age_ms: Option<i64>,
    /// How old the preview is, or why there is none, as the tile says it.
    pub age: String,
    /// Whether the camera is online (offline ones are asked less often).
    pub online: bool,
    /// How long this preview is reused: asking sooner finds nothing newer.
    pub refresh_ms: u64,
}

/// The styled error page.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// Frame.
    pub layout: Layout,
    /// HTTP status code.
    pub status: u16,
    /// Headline.
    pub title: &'static str,
    /// Explanation.
    pub detail: &'static str,
}

/// "America/Chicago (UTC-05:00)" at `now`.
pub fn time_zone_label(tz: &TimeZone, now: EenTimestamp) -> String {
    let local = now.in_zone(tz);
    let offset = local.strftime("%:z");
    match tz.iana_name() {
        Some(name) => format!("{name} (UTC{offset})"),
        None => format!("UTC{offset}"),
    }
}

/// The caption of a frame in the camera's local time.
pub fn caption(timestamp: EenTimestamp, tz: &TimeZone) -> (String, String) {
    let local = timestamp.in_zone(tz);
    (
        local.strftime("%a %Y-%m-%d %H:%M:%S %Z").to_string(),
        local.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
    )
}

/// How long ago `then` was, e.g. "12 s ago", "3 min ago", "2 h ago", "4 d ago".
pub fn age(now: EenTimestamp, then: EenTimestamp) -> String {
    let seconds = (now.as_millis() - then.as_millis()) / 1000;
    match seconds {
        ..=0 => "just now".to_owned(),
        1..60 => format!("{seconds} s ago"),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..86_400 => format!("{} h ago", seconds / 3600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

/// URL of the camera page, under the path prefix `base`.
pub fn camera_href(base: &str, esn: &Esn) -> String {
    format!("{base}/cameras/{esn}")
}

/// URL of the frame viewer at `timestamp`, under the path prefix `base`.
pub fn frame_href(base: &str, esn: &Esn, timestamp: EenTimestamp) -> String {
    format!("{base}/cameras/{esn}/frames/{timestamp}")
}

/// URL of a camera's latest preview as JSON (for the live tiles), under the path prefix.
pub fn live_href(base: &str, esn: &Esn) -> String {
    format!("{base}/cameras/{esn}/latest.json")
}

/// URL of an image by timestamp, under the path prefix `base`.
pub fn image_href(base: &str, esn: &Esn, timestamp: EenTimestamp) -> String {
    format!("{base}/cameras/{esn}/images/{timestamp}.jpg")
}

/// `/een`: the EEN connection (v3) and what the operator can do about it. Holds the setup
/// token for its links and form; `Debug` shows it redacted.
#[derive(Debug, Template)]
#[template(path = "connect.html")]
pub struct ConnectPage {
    /// Frame.
    pub layout: Layout,
    /// "Connected", "Not connected" or "Reconnection needed".
    pub state_label: &'static str,
    /// CSS modifier and test hook: `connected`, `not-connected` or `reconnect`.
    pub state_class: &'static str,
    /// A sentence on what that means.
    pub explanation: &'static str,
    /// "Connect" or "Reconnect".
    pub connect_label: &'static str,
    /// Where the connect link goes (`/een/connect`, under the base path).
    pub connect_path: String,
    /// Where the disconnect form posts (`/een/disconnect`, under the base path); `None`
    /// when there is nothing to disconnect.
    pub disconnect_path: Option<String>,
    /// The gallery's front page.
    pub home_href: String,
    /// The setup token, for the connect link and the disconnect form (the setup link's way).
    pub setup: Option<SecretString>,
    /// A signed-in admin's form token, for the connect and disconnect forms (the admin's way).
    pub csrf: Option<SecretString>,
}

impl ConnectPage {
    /// The connect link, setup token included (the setup link's way).
    pub fn connect_href(&self) -> String {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("setup", self.setup_token())
            .finish();
        format!("{}?{query}", self.connect_path)
    }

    /// The forms' hidden field: `setup` or `csrf`.
    pub fn proof_field(&self) -> &'static str {
        if self.setup.is_some() {
            "setup"
        } else {
            "csrf"
        }
    }

    /// The forms' hidden value: the setup token or the admin's form token.
    pub fn proof_value(&self) -> &str {
        self.setup
            .as_ref()
            .or(self.csrf.as_ref())
            .map_or("", |secret| secret.expose_secret())
    }

    /// The setup token, if that is the proof.
    pub fn setup_token(&self) -> &str {
        self.setup
            .as_ref()
            .map_or("", |token| token.expose_secret())
    }
}

/// One camera in the camera list.
#[derive(Clone, Debug)]
pub struct CameraRow {
    /// Its id.
    pub esn: String,
    /// Its name.
    pub name: String,
    /// Its page.
    pub href: String,
    /// Its latest preview (loaded lazily: a page holds many).
    pub preview_src: String,
    /// Online, offline (why) or off.
    pub status: StatusView,
    /// Its zone and offset now.
    pub time_zone: String,
}

/// `/cameras`: every camera, filtered and a page at a time.
#[derive(Debug, Template)]
#[template(path = "cameras.html")]
pub struct CamerasPage {
    /// Frame.
    pub layout: Layout,
    /// Where the filter form goes.
    pub action: String,
    /// The name filter as typed.
    pub query: String,
    /// The status filter: `all`, `online`, `offline` or `off`.
    pub status: &'static str,
    /// How many cameras match, and which page this is.
    pub summary: String,
    /// This page's cameras.
    pub rows: Vec<CameraRow>,
    /// The page before, if any.
    pub previous_href: Option<String>,
    /// The page after, if any.
    pub next_href: Option<String>,
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// Frame.
    pub layout: Layout,
    /// Where the form posts (`/login`, under the base path).
    pub action: String,
    /// The form's token (also in the sign-in cookie).
    pub csrf: SecretString,
    /// Where to go after signing in (a local path).
    pub next: String,
    /// The name typed before, after a failed sign-in.
    pub name: String,
    /// Why the last sign-in failed.
    pub message: Option<String>,
}

impl std::fmt::Debug for LoginPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginPage")
            .field("next", &self.next)
            .field("name", &self.name)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl LoginPage {
    /// The form token, for the hidden field.
    pub fn csrf_token(&self) -> &str {
        self.csrf.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> EenTimestamp {
        s.parse().unwrap()
    }

    #[test]
    fn ages_read_naturally() {
        let now = ts("20240501120000.000");
        assert_eq!(age(now, ts("20240501115948.000")), "12 s ago");
        assert_eq!(age(now, ts("20240501115700.000")), "3 min ago");
        assert_eq!(age(now, ts("20240501100000.000")), "2 h ago");
        assert_eq!(age(now, ts("20240427120000.000")), "4 d ago");
        assert_eq!(age(now, ts("20240501120005.000")), "just now");
    }

    #[test]
    fn captions_use_the_camera_zone() {
        let tz = TimeZone::get("America/Chicago").unwrap();
        let (text, datetime) = caption(ts("20240501190312.149"), &tz);
        assert_eq!(text, "Wed 2024-05-01 14:03:12 CDT");
        assert_eq!(datetime, "2024-05-01T14:03:12.149-05:00");
        assert_eq!(
            time_zone_label(&tz, ts("20240101000000.000")),
            "America/Chicago (UTC-06:00)"
        );
    }
}
