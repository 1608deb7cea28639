//! `een-gallery connect`: the connect flow from a terminal, its temporary listener on the
//! redirect URI's port served for real, against the simulator's consent page.

use std::path::PathBuf;

use een_gallery::een::v3::{CONNECTION_FILE, Client, Store};
use een_gallery::een::{Backend, ConnectionState};
use een_gallery::server::connect::{ConnectError, Stop, TerminalFlow, bind};
use een_gallery::server::demo;
use een_gallery::sim::{Endpoint, SimHandle};
use url::Url;

use crate::support::connect::{query_param, sign_in, sim, temp_dir};
use crate::support::een::client as v1_client;
use crate::support::net::plain_client;
use crate::support::sim::sim as v1_sim;
use crate::support::v3::v3_client;

/// A terminal flow on a fresh loopback port registered (as `http://127.0.0.1:PORT`, EEN's
/// documented form) for the simulator's demo client, its backend keeping the connection in
/// its own directory.
struct Terminal {
    sim: SimHandle,
    redirect: String,
    data_dir: PathBuf,
    backend: Backend,
    flow: TerminalFlow,
    _cleanup: Cleanup,
}

impl Terminal {
    async fn start() -> Self {
        let listener = bind(&Url::parse("http://127.0.0.1:0").unwrap())
            .await
            .expect("a loopback port");
        let redirect = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let registered = redirect.clone();
        let sim = sim(move |c| c.v3.clients[0].redirect_uris.push(registered)).await;
        let data_dir = temp_dir("terminal");
        let backend = Self::backend(&sim, &redirect, &data_dir);
        let flow = TerminalFlow::start(backend.clone(), &Url::parse(&redirect).unwrap(), listener)
            .expect("a v3 backend has a connect flow");
        Self {
            sim,
            redirect,
            _cleanup: Cleanup(data_dir.clone()),
            data_dir,
            backend,
            flow,
        }
    }

    fn backend(sim: &SimHandle, redirect: &str, data_dir: &PathBuf) -> Backend {
        let config = demo::v3_client_config(sim, redirect);
        Backend::from(Client::new(config, Store::file(data_dir)).expect("client builds"))
    }

    /// The operator at EEN's consent page, pressing `button`; where EEN sends the browser.
    async fn sign_in(&self, button: &str) -> Url {
        let back = sign_in(
            &self.sim,
            &v3_client(&self.sim),
            self.flow.authorize_url().as_str(),
            button,
        )
        .await;
        assert!(back.as_str().starts_with(&self.redirect), "{back}");
        back
    }
}

/// Removes a test's data directory when the test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The browser follows EEN's redirect to the terminal's listener.
async fn open(url: &str) -> (u16, String) {
    let response = plain_client()
        .get(url)
        .send()
        .await
        .expect("the listener answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a page"))
}

#[tokio::test]
async fn the_terminal_flow_serves_the_redirect_uri_and_keeps_the_connection() {
    let terminal = Terminal::start().await;
    let authorize = terminal.flow.authorize_url().clone();
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some(terminal.redirect.as_str()),
        "exactly as registered"
    );
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let back = terminal.sign_in("allow").await;

    // Anything but this flow's callback is turned away, and the flow keeps waiting.
    let (status, _) = open(&format!("{}/favicon.ico", terminal.redirect)).await;
    assert_eq!(status, 404);
    let (status, page) = open(&format!("{}/?code=abc&state=forged", terminal.redirect)).await;
    assert_eq!(status, 400);
    assert!(page.contains("id=\"not-this-flow\""), "{page}");
    assert_eq!(terminal.sim.stats().count(Endpoint::V3Token), 0);

    let (status, page) = open(back.as_str()).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=\"connected\""), "{page}");
    let Terminal {
        flow,
        backend,
        ref sim,
        ref redirect,
        ref data_dir,
        ..
    } = terminal;
    flow.finish(std::future::pending())
        .await
        .expect("connected");
    assert_eq!(backend.connection_state(), ConnectionState::Connected);
    assert!(data_dir.join(CONNECTION_FILE).exists(), "kept in DATA_DIR");

    // The gallery, started afterwards, serves without a browser step.
    let gallery = Terminal::backend(sim, redirect, data_dir);
    gallery
        .connect()
        .await
        .expect("the stored connection works");
    assert!(!gallery.cameras().await.expect("cameras").is_empty());

    // The listener is gone.
    assert!(plain_client().get(back.as_str()).send().await.is_err());
}

#[tokio::test]
async fn deny_ends_the_terminal_flow_and_stores_nothing() {
    let terminal = Terminal::start().await;
    let back = terminal.sign_in("deny").await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let (status, page) = open(back.as_str()).await;
    assert_eq!(status, 400);
    assert!(page.contains("id=\"denied\""), "{page}");
    let Terminal {
        flow,
        backend,
        ref data_dir,
        ..
    } = terminal;
    let outcome = flow.finish(std::future::pending()).await;
    assert!(matches!(outcome, Err(ConnectError::Denied)), "{outcome:?}");
    assert!(!data_dir.join(CONNECTION_FILE).exists());
    assert_eq!(backend.connection_state(), ConnectionState::NotConnected);
}

#[tokio::test]
async fn a_timeout_or_ctrl_c_ends_the_terminal_flow_and_stores_nothing() {
    for (stop, expected) in [
        (Stop::TimedOut, "TimedOut"),
        (Stop::Interrupted, "Interrupted"),
    ] {
        let terminal = Terminal::start().await;
        let back = terminal.sign_in("allow").await;
        let redirect = terminal.redirect.clone();
        let Terminal {
            flow,
            backend,
            ref sim,
            ref data_dir,
            ..
        } = terminal;
        let outcome = flow.finish(async move { stop }).await;
        assert_eq!(
            outcome.as_ref().map_err(|e| format!("{e:?}")),
            Err(expected.to_owned())
        );
        assert!(!data_dir.join(CONNECTION_FILE).exists());
        assert_eq!(sim.stats().count(Endpoint::V3Token), 0, "no code exchanged");
        assert_eq!(backend.connection_state(), ConnectionState::NotConnected);
        // The listener is closed: the late callback reaches nothing.
        assert!(
            plain_client().get(back.as_str()).send().await.is_err(),
            "{redirect}"
        );
    }
}

#[tokio::test]
async fn a_v1_backend_has_no_terminal_flow() {
    let sim = v1_sim().await;
    let listener = bind(&Url::parse("http://127.0.0.1:0").unwrap())
        .await
        .unwrap();
    let backend = Backend::from(v1_client(&sim));
    let outcome = TerminalFlow::start(
        backend,
        &Url::parse("http://127.0.0.1:3333").unwrap(),
        listener,
    );
    assert!(matches!(outcome, Err(ConnectError::NoConnectFlow)));
}
