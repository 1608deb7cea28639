//! No log line the client (or reqwest, hyper, anything but the simulator) writes contains the
//! password, the login token or the session key, even at TRACE level, across logins,
//! re-logins, retries, failures and logout.

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use een_gallery::een::v1::Client;
use een_gallery::een::{Before, Error};
use een_gallery::sim::{DEMO_PASSWORD, Endpoint, ErrorFault, Faults};
use tracing::Dispatch;
use tracing::subscriber::NoSubscriber;
use tracing_subscriber::EnvFilter;

use crate::support::een::{client, config_as, online_camera};
use crate::support::sim::sim_with_faults;

/// A tracing writer that appends to a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

const WRONG_PASSWORD: &str = "wrong-password-4711";

// This test shares its process with the other client tests, so it must see exactly its own
// log lines, all of them, whatever runs beside it:
// - the subscriber is this thread's default (never the global one), and the test runs on a
//   current-thread runtime, so it sees every task of the scenario, including reqwest's and
//   hyper's connection tasks, and nothing of the tests on other threads;
// - tracing caches whether a call site is of interest once, for the whole process. While a
//   single dispatcher is registered, tracing-core 0.1 computes that from the default of the
//   thread that first reaches the call site: a sibling test with no subscriber would cache
//   "never" for the client's call sites and this capture would miss their lines. With two more
//   dispatchers registered first, every call site asks all registered dispatchers instead,
//   this capture among them, so no line of the scenario is dropped.
#[tokio::test]
async fn no_log_line_contains_a_secret() {
    let _ask_every_dispatcher = [(); 2].map(|()| Dispatch::new(NoSubscriber::default()));
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("trace,een_gallery::sim=off"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim_with_faults(Faults {
        unauthorized_after_login: 1,
        transient_no_matching_asset: 1,
        ..Faults::default()
    })
    .await;
    let client = client(&sim);
    let esn = online_camera(&sim);

    client.login().await.unwrap();
    let cameras = client.cameras().await.unwrap();
    tracing::info!(?client, cameras = cameras.len(), "state after listing");
    let latest = client.latest_preview(&esn).await.unwrap();
    let page = client.list_previews(&esn, Before::Now, 5).await.unwrap();
    client.preview(&esn, page[0]).await.unwrap();
    tracing::info!(frame = %latest.timestamp, "latest frame");

    sim.expire_sessions();
    client.cameras().await.unwrap();
    sim.set_faults(Faults {
        errors: vec![ErrorFault::always(Some(Endpoint::PrevImage), 503)],
        ..Faults::default()
    });
    let err = client.latest_preview(&esn).await.unwrap_err();
    tracing::warn!(error = ?err, "expected failure");
    sim.set_faults(Faults::default());
    client.logout().await.unwrap();

    let bad = Client::new(config_as(&sim, "demo@een.com", WRONG_PASSWORD)).unwrap();
    let err = bad.login().await.unwrap_err();
    assert!(matches!(err, Error::InvalidCredentials));
    tracing::warn!(error = ?err, client = ?bad, "expected failure");

    // Every secret that crossed the wire, from the simulator's request log.
    let requests = sim.requests();
    let mut secrets = vec![DEMO_PASSWORD.to_owned(), WRONG_PASSWORD.to_owned()];
    for request in &requests {
        if let Some(cookie) = request.header("cookie") {
            let key = cookie.strip_prefix("auth_key=").expect("auth_key cookie");
            secrets.push(key.to_owned());
            // The random part alone, in case something logged it without the cluster prefix.
            secrets.extend(key.split_once('~').map(|(_, hex)| hex.to_owned()));
        }
        if request.endpoint == Endpoint::Authorize {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            secrets.push(body["token"].as_str().unwrap().to_owned());
        }
    }
    let keys = requests
        .iter()
        .filter(|r| r.header("cookie").is_some())
        .count();
    assert!(keys > 5, "the scenario used the session");
    assert_eq!(sim.stats().sessions_created, 2);

    let logs = capture.text();
    // The capture works and saw the client at work, at every level.
    assert!(logs.contains("logged in to EEN"), "{logs}");
    assert!(logs.contains("endpoint=\"device_list\""));
    assert!(logs.contains("TRACE"));
    for line in logs.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a log line contains a secret: {line}"
            );
        }
    }
    sim.shutdown().await;
}
