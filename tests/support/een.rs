//! An EEN API v1 client for the simulator: pointed at `login.een.test` with resolver overrides
//! (so the client's switch to the cluster host `c000.een.test` is real) and short backoffs, so
//! retries do not slow the tests.

use std::net::SocketAddr;
use std::time::Duration;

use een_gallery::een::Esn;
use een_gallery::een::v1::{Client, ClientConfig};
use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, SimHandle};

use super::cameras;
use super::sim::{CLUSTER_HOST, LOGIN_HOST};

/// A client configuration for the demo user against `sim`.
pub fn config(sim: &SimHandle) -> ClientConfig {
    config_as(sim, DEMO_USERNAME, DEMO_PASSWORD)
}

/// Like [`config`], for another user.
pub fn config_as(sim: &SimHandle, username: &str, password: &str) -> ClientConfig {
    config_at(sim.addr(), username, password)
}

/// A client configuration for `username` against a simulator for `een.test` that listens (or
/// will listen, or never does) at `addr`: base `http://login.een.test:PORT/`, both hosts
/// resolved to `addr`.
pub fn config_at(addr: SocketAddr, username: &str, password: &str) -> ClientConfig {
    let base = format!("http://{LOGIN_HOST}:{}/", addr.port())
        .parse()
        .expect("valid URL");
    let mut config = ClientConfig::new(base, username, password.to_owned());
    config.resolve = vec![
        (LOGIN_HOST.to_owned(), addr),
        (CLUSTER_HOST.to_owned(), addr),
    ];
    config.backoff_base = Duration::from_millis(10);
    config.backoff_max = Duration::from_millis(100);
    config
}

/// A client for the demo user against `sim`.
pub fn client(sim: &SimHandle) -> Client {
    Client::new(config(sim)).expect("client builds")
}

/// ESNs of the live cameras (attached, online, with preview frames), in account order.
pub fn online_cameras(sim: &SimHandle) -> Vec<Esn> {
    sim.cameras()
        .into_iter()
        .filter(cameras::is_live)
        .filter_map(|c| c.esn?.parse().ok())
        .collect()
}

/// The first live camera.
pub fn online_camera(sim: &SimHandle) -> Esn {
    cameras::esn_of(&cameras::live(sim))
        .parse()
        .expect("a valid ESN")
}
