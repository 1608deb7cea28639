//! The operator's one-time step on EEN API v3 in a real Chromium: the setup link, EEN's
//! sign-in and consent page (the simulator's), Allow, the callback, and the gallery showing the
//! account; then Deny, which stores nothing.

use std::time::Duration;

use een_gallery::cache::Status;
use een_gallery::een::v3::{Client, Store};
use een_gallery::een::{Backend, ConnectionState};
use een_gallery::gallery::setup::LinkKind;
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::{Limits, demo, serve};
use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, SimHandle};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use crate::driver::{Browser, Driver, Options};
use crate::support::v3::v3_sim;
use crate::{GRID_SIZE, tiles};

/// A v3 gallery on a real loopback socket, not connected, in front of a simulator whose
/// consent page a browser can reach (auth and API hosts on loopback, as a local simulator).
struct Connectable {
    base: Url,
    state: AppState,
    _sim: SimHandle,
    _stop: oneshot::Sender<()>,
}

impl Connectable {
    async fn start() -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let callback = base.join("een/callback").unwrap().to_string();
        let registered = callback.clone();
        let sim = v3_sim(move |c| c.v3.clients[0].redirect_uris.push(registered)).await;
        let origin = format!("127.0.0.1:{}", sim.addr().port());
        assert!(sim.set_v3_api_host(&origin));
        let mut config = demo::v3_client_config(&sim, &callback);
        config.auth_url = Url::parse(&format!("http://{origin}/")).unwrap();
        config.api_url = config.auth_url.clone();
        config.resolve.clear();
        let backend = Backend::from(Client::new(config, Store::memory()).unwrap());
        let settings = Settings {
            public_url: Some(base.clone()),
            ..Settings::default()
        };
        let state = AppState::new(backend, settings);
        state.spawn_keeper(crate::support::gallery::quick_backoff());
        let (stop, stopped) = oneshot::channel::<()>();
        let router = app(state.clone());
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.await;
            };
            let _ = serve(
                listener,
                router,
                Limits::default(),
                shutdown,
                Duration::from_secs(1),
            )
            .await;
        });
        Self {
            base,
            state,
            _sim: sim,
            _stop: stop,
        }
    }

    /// A fresh one-time connect link, as the log would print it.
    fn connect_link(&self) -> String {
        self.state
            .setup
            .renew(LinkKind::Connect)
            .expose()
            .to_owned()
    }
}

/// Fills in the simulator's consent page as a person does and presses `button`.
async fn consent(b: &Browser, button: &str) {
    b.js(&format!(
        "document.querySelector('input[name=username]').value = '{DEMO_USERNAME}';
         document.querySelector('input[name=password]').value = '{DEMO_PASSWORD}';"
    ))
    .await;
    let press = b
        .client
        .find(fantoccini::Locator::Css(&format!(
            "button[name=action][value={button}]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no {button} button: {e}"));
    press.click().await.expect("press the button");
}

#[tokio::test]
#[ignore = "needs Chromium and chromedriver: run ci/browser-check.sh"]
async fn an_operator_connects_eens_account_through_the_consent_page() {
    let gallery = Connectable::start().await;
    let mut health = gallery.state.health.subscribe();
    tokio::time::timeout(
        Duration::from_secs(10),
        health.wait_for(|s| *s == Status::NotConnected),
    )
    .await
    .expect("the gallery finds no connection")
    .unwrap();
    let driver = Driver::start().await;
    let link = gallery.connect_link();
    let base = gallery.base.clone();
    let state = gallery.state.clone();
    driver
        .run(Options::default(), move |b| async move {
            // Before: the grid says so and shows no camera.
            b.goto(base.as_str()).await;
            let title = b
                .js("return document.querySelector('h1').textContent")
                .await;
            assert_eq!(
                title.as_str(),
                Some("Not connected to Eagle Eye Networks yet")
            );
            assert!(tiles(&b).await.is_empty());

            // The setup link leads to EEN's page; Deny comes back with nothing stored.
            b.goto(&link).await;
            assert_ne!(
                b.url().await.origin(),
                base.origin(),
                "at EEN's sign-in page"
            );
            b.screenshot("connect-consent").await;
            consent(&b, "deny").await;
            // Back at the gallery, at whichever page it answers with.
            b.wait_for_url(base.as_str(), |url| url.origin() == base.origin())
                .await;
            let said = b
                .js("return document.querySelector('h1').textContent")
                .await;
            assert!(
                said.as_str().is_some_and(|t| !t.is_empty()),
                "an error page"
            );
            assert_eq!(state.account.state(), ConnectionState::NotConnected);

            // A new link, Allow: the grid shows the account.
            let link = state.setup.renew(LinkKind::Connect).expose().to_owned();
            b.goto(&link).await;
            consent(&b, "allow").await;
            b.wait_for_page(&base).await;
            assert_eq!(state.account.state(), ConnectionState::Connected);
            let mut ready = state.health.subscribe();
            tokio::time::timeout(
                Duration::from_secs(10),
                ready.wait_for(|s| *s == Status::Ready),
            )
            .await
            .expect("ready after connecting")
            .unwrap();
            b.goto(base.as_str()).await;
            let shown = tiles(&b).await;
            assert_eq!(shown.len(), GRID_SIZE);
            let images = b.images("li.tile img").await;
            assert!(images.iter().any(|i| i.decoded()), "tiles show previews");
            b.screenshot("connect-grid").await;

            // A camera page on v3: twenty frames, decoded (an online camera's: the demo has
            // one camera without images).
            let mut shown_frames = false;
            for tile in shown.iter().filter(|t| t.status == "Online") {
                let camera = base.join(&tile.href).unwrap();
                b.goto(camera.as_str()).await;
                let frames = b.images(".frame img").await;
                if frames.is_empty() {
                    continue;
                }
                assert_eq!(frames.len(), 20, "{camera}");
                assert!(frames.iter().all(|f| f.decoded()), "{camera}");
                shown_frames = true;
                break;
            }
            assert!(shown_frames, "an online camera's page shows its frames");
        })
        .await;
}
