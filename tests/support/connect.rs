//! The operator's side of the v3 connect flow: a v3 simulator whose API host is reachable, a
//! gallery on v3 in front of it keeping its connection in a directory of its own, and a
//! browser that signs in on the simulator's consent page.

use std::path::PathBuf;

use een_gallery::een::Backend;
use een_gallery::een::v3::{CONNECTION_FILE, Client, Store};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::demo;
use een_gallery::sim::{DEMO_PASSWORD, DEMO_USERNAME, SimConfig, SimHandle};
use reqwest::header::LOCATION;
use url::Url;

use super::gallery::{TestApp, quick_backoff};
use super::v3::{self, AUTH_HOST, consent_form};

/// The gallery's own callback, registered for the simulator's demo client.
pub const GALLERY_REDIRECT: &str = "http://127.0.0.1:8080/een/callback";

/// A fresh directory name under the system's temporary directory (not created).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "een-gallery-connect-{name}-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A v3 simulator (base domain `een.test`, consent page on), adjusted by `f`, whose
/// `httpsBaseUrl` names its own port.
pub async fn sim(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let sim = v3::v3_sim(f).await;
    let host = format!("{}:{}", sim.v3_api_host(), sim.addr().port());
    assert!(sim.set_v3_api_host(&host));
    sim
}

/// A gallery on v3 in front of its own simulator, not connected, keeping its connection in
/// [`V3Gallery::data_dir`], its keeper running.
pub struct V3Gallery {
    /// The gallery.
    pub app: TestApp,
    /// Where its connection is kept.
    pub data_dir: PathBuf,
}

impl V3Gallery {
    /// A gallery with the simulator's redirect to [`GALLERY_REDIRECT`], public at its base.
    pub async fn start() -> Self {
        let settings = Settings {
            public_url: Url::parse(GALLERY_REDIRECT)
                .ok()
                .and_then(|url| een_gallery::gallery::setup::public_base(&url)),
            ..Settings::default()
        };
        Self::start_with(sim(|_| {}).await, settings).await
    }

    /// A gallery in front of `sim` with `settings`.
    pub async fn start_with(sim: SimHandle, settings: Settings) -> Self {
        let data_dir = temp_dir("gallery");
        let backend = Self::backend(&sim, &data_dir);
        let state = AppState::new(backend, settings);
        state.spawn_keeper(quick_backoff());
        let router = app(state.clone());
        Self {
            app: TestApp { sim, state, router },
            data_dir,
        }
    }

    /// A backend of the same application keeping its connection in `data_dir`: what the
    /// gallery would be after a restart.
    pub fn backend(sim: &SimHandle, data_dir: &PathBuf) -> Backend {
        let config = demo::v3_client_config(sim, GALLERY_REDIRECT);
        Backend::from(Client::new(config, Store::file(data_dir)).expect("client builds"))
    }

    /// Whether a connection file was written.
    pub fn stored(&self) -> bool {
        self.data_dir.join(CONNECTION_FILE).exists()
    }
}

impl Drop for V3Gallery {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// The operator's browser at EEN: opens `authorize_url` (the consent page), signs in as the
/// demo user and presses `button` (`allow` or `deny`). Returns where EEN sends the browser
/// back (the redirect URI with `code` or `error`, and `state`).
pub async fn sign_in(
    sim: &SimHandle,
    browser: &reqwest::Client,
    authorize_url: &str,
    button: &str,
) -> Url {
    let page = browser
        .get(authorize_url)
        .send()
        .await
        .expect("EEN answers");
    assert_eq!(page.status(), 200, "the consent page");
    let html = page.text().await.expect("a page");
    let (action, fields) = consent_form(
        &html,
        &[
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("action", button),
        ],
    );
    let answer = browser
        .post(v3::url(sim, AUTH_HOST, &action))
        .form(&fields)
        .send()
        .await
        .expect("EEN answers");
    assert_eq!(answer.status(), 302, "EEN sends the browser back");
    let location = answer.headers()[LOCATION].to_str().expect("a location");
    Url::parse(location).expect("an absolute redirect")
}

/// The value of query parameter `name` of `url`.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}
