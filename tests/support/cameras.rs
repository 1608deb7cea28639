//! Picking demo cameras by what a test needs of them. The demo account is the same on every
//! run, but a test names the trait it relies on (online, with frames, away from UTC) rather
//! than an ESN, so it says why it picked the camera and survives a change of the account.

use een_gallery::sim::{DeviceKind, SimCamera, SimHandle};
use jiff::tz::TimeZone;

/// Whether the gallery may show it: attached, with an id, and not a bridge.
pub fn is_shown(camera: &SimCamera) -> bool {
    camera.attached && camera.esn.is_some() && camera.kind != DeviceKind::Bridge
}

/// Whether it is an attached camera (not a bridge or a multiview) that is online, by EEN's
/// status and by the simulator's timeline, and sends preview frames.
pub fn is_live(camera: &SimCamera) -> bool {
    camera.attached
        && camera.kind == DeviceKind::Camera
        && camera.has_images
        && camera.is_online()
        && camera.down_for.is_none()
}

/// Whether its time zone is away from UTC right now, so a time shown in the wrong zone shows.
pub fn is_outside_utc(camera: &SimCamera) -> bool {
    camera
        .time_zone
        .as_deref()
        .and_then(|zone| TimeZone::get(zone).ok())
        .is_some_and(|zone| zone.to_offset(jiff::Timestamp::now()).seconds() != 0)
}

/// The cameras the gallery may show, in account order.
pub fn shown(cameras: &[SimCamera]) -> Vec<SimCamera> {
    cameras.iter().filter(|c| is_shown(c)).cloned().collect()
}

/// The simulator's first live camera (see [`is_live`]).
#[track_caller]
pub fn live(sim: &SimHandle) -> SimCamera {
    sim.cameras()
        .into_iter()
        .find(is_live)
        .expect("the demo account has a live camera")
}

/// The id of a camera the gallery shows (every one has one).
#[track_caller]
pub fn esn_of(camera: &SimCamera) -> String {
    camera.esn.clone().expect("attached cameras have an id")
}
