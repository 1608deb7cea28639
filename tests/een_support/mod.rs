//! Shared setup for the EEN client's integration tests: an in-process simulator on loopback
//! under the made-up domain `een.test`, and a client pointed at `login.een.test` with resolver
//! overrides, so the client's cluster host switch to `c000.een.test` is real.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::time::Duration;

use een_gallery::een::v1::{Client, ClientConfig};
use een_gallery::een::{Esn, Image};
use een_gallery::sim::{self, DEMO_PASSWORD, DEMO_USERNAME, Faults, SimConfig, SimHandle};

/// The simulator's base domain in these tests.
pub const DOMAIN: &str = "een.test";

/// Starts a simulator for `een.test` with the given faults.
pub async fn sim_with(faults: Faults) -> SimHandle {
    sim::spawn(SimConfig {
        base_domain: DOMAIN.to_owned(),
        faults,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// Starts a simulator for `een.test` without faults.
pub async fn sim() -> SimHandle {
    sim_with(Faults::default()).await
}

/// A client configuration for the demo user against `sim`: base `http://login.een.test:PORT`,
/// both hosts resolved to the simulator, short backoffs so retries do not slow the tests.
pub fn config(sim: &SimHandle) -> ClientConfig {
    config_as(sim, DEMO_USERNAME, DEMO_PASSWORD)
}

/// Like [`config`], for another user.
pub fn config_as(sim: &SimHandle, username: &str, password: &str) -> ClientConfig {
    let mut config = ClientConfig::new(
        sim.url_for_host(&sim.login_host()),
        username,
        password.to_owned(),
    );
    config.resolve = vec![
        (sim.login_host(), sim.addr()),
        (sim.cluster_host(), sim.addr()),
    ];
    config.backoff_base = Duration::from_millis(10);
    config.backoff_max = Duration::from_millis(100);
    config
}

/// A client for the demo user against `sim`.
pub fn client(sim: &SimHandle) -> Client {
    Client::new(config(sim)).expect("client builds")
}

/// ESNs of attached, online cameras that have preview frames.
pub fn online_cameras(sim: &SimHandle) -> Vec<Esn> {
    sim.cameras()
        .into_iter()
        .filter(|c| {
            c.attached && c.has_images && c.is_online() && c.kind == sim::DeviceKind::Camera
        })
        .filter_map(|c| c.esn?.parse().ok())
        .collect()
}

/// The first attached, online camera with preview frames.
pub fn online_camera(sim: &SimHandle) -> Esn {
    online_cameras(sim)
        .into_iter()
        .next()
        .expect("the demo account has an online camera")
}

/// The simulator's JPEG comment segment (`een-sim esn=… ts=…`), which names the frame.
pub fn jpeg_comment(image: &Image) -> Option<String> {
    let bytes = &image.bytes;
    let start = bytes.windows(2).position(|w| w == [0xFF, 0xFE])?;
    let len = usize::from(u16::from_be_bytes([
        *bytes.get(start + 2)?,
        *bytes.get(start + 3)?,
    ]));
    let text = bytes.get(start + 4..start + 2 + len)?;
    String::from_utf8(text.to_vec()).ok()
}
