//! No log line the client (or reqwest, hyper, anything but the simulator) writes contains the
//! password, the login token or the session key, even at TRACE level, across logins,
//! re-logins, retries, failures and logout.

use een_gallery::een::v1::Client;
use een_gallery::een::{Before, Error};
use een_gallery::sim::{DEMO_PASSWORD, Endpoint, ErrorFault, Faults};

use crate::support::een::{client, config_as, online_camera};
use crate::support::logs::Capture;
use crate::support::sim::sim_with_faults;

const WRONG_PASSWORD: &str = "wrong-password-4711";

// This test shares its process with the other client tests, so it must see exactly its own
// log lines, all of them: `Capture` is this thread's subscriber on a current-thread runtime
// (see tests/support/logs.rs for why it sees every call site).
#[tokio::test]
async fn no_log_line_contains_a_secret() {
    let capture = Capture::install("trace,een_gallery::sim=off");

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

/// The v3 client, at TRACE level, across the connect flow (code exchange with a PKCE
/// verifier), refreshes with rotation, a refused refresh and a revoke: no access token,
/// refresh token, code, verifier or client secret in any line.
#[tokio::test]
async fn no_v3_log_line_contains_a_token_code_or_secret() {
    use een_gallery::een::Backend;
    use een_gallery::een::v3::{Client as V3Client, Store};
    use een_gallery::server::demo;
    use een_gallery::sim::{DEMO_USERNAME, V3_DEMO_CLIENT_SECRET};

    use crate::support::{connect, v3};

    let capture = Capture::install("trace,een_gallery::sim=off");
    let sim = connect::sim(|c| c.v3.auto_approve = Some(DEMO_USERNAME.to_owned())).await;
    let config = demo::v3_client_config(&sim, v3::REDIRECT);
    let resolve = config.resolve.clone();
    let client = V3Client::new(config, Store::memory()).unwrap();
    demo::approve(&Backend::from(client.clone()), &resolve)
        .await
        .unwrap();
    let esn = online_camera(&sim);
    let cameras = client.cameras().await.unwrap();
    tracing::info!(?client, cameras = cameras.len(), "state after listing");
    for _ in 0..2 {
        sim.expire_v3_access_tokens();
        client.latest_preview(&esn).await.unwrap();
    }
    client.list_previews(&esn, Before::Now, 5).await.unwrap();
    client.disconnect().await.unwrap();
    demo::approve(&Backend::from(client.clone()), &resolve)
        .await
        .unwrap();
    sim.refuse_v3_refreshes(1);
    sim.expire_v3_access_tokens();
    let err = client.latest_preview(&esn).await.unwrap_err();
    tracing::warn!(error = ?err, ?client, "expected failure");

    // Every secret that crossed the wire, from the simulator's request log.
    let mut secrets = vec![V3_DEMO_CLIENT_SECRET.to_owned()];
    for request in sim.requests() {
        if let Some(bearer) = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
        {
            secrets.push(bearer.to_owned());
        }
        for (name, value) in url::form_urlencoded::parse(&request.body) {
            if matches!(&*name, "code" | "code_verifier" | "refresh_token" | "token") {
                secrets.push(value.into_owned());
            }
        }
    }
    assert!(
        secrets.len() > 8,
        "the scenario used tokens: {}",
        secrets.len()
    );
    let logs = capture.text();
    assert!(logs.contains("EEN token refreshed"), "{logs}");
    assert!(logs.contains("TRACE"));
    for line in logs.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a log line contains a secret: {line}"
            );
        }
    }
}
