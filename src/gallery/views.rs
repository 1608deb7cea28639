//! View models: the page templates and the display-ready values they render. Nothing here
//! knows EEN's wire formats: the handlers turn domain types into these strings.

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
        }
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
}

/// One image of a camera page.
#[derive(Clone, Debug)]
pub struct Frame {
    /// EEN timestamp (UTC), as in URLs.
    pub timestamp: String,
    /// Full-size image URL.
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
    /// Images, newest first.
    pub frames: Vec<Frame>,
    /// What to say when there are no images.
    pub empty_message: &'static str,
    /// The page of older images.
    pub older_href: Option<String>,
    /// The newest images, when paging back.
    pub newest_href: Option<String>,
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
