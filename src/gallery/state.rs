//! The state shared by every request.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::frame_list::RenderedFrames;
use super::setup::{self, Setup};
use crate::auth::Auth;
use crate::cache::{self, Account, Backoff, Directory, Health, Images};
use crate::config::Config;
use crate::een::Backend;
use crate::metrics::Metrics;
use crate::store::Store;

/// Tunables of the gallery and its cache layer (the EEN client has its own).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether the cameras come from the built-in simulator (shows the demo banner).
    pub demo: bool,
    /// Byte budget of the image cache.
    pub image_cache_bytes: u64,
    /// How long the camera list is fresh.
    pub camera_list_ttl: Duration,
    /// After the camera list failed to load, how long page views wait before asking again.
    pub camera_list_retry_after: Duration,
    /// How long a page waits for its images.
    pub page_deadline: Duration,
    /// How long a latest preview is reused and cached by browsers.
    pub latest_preview_max_age: Duration,
    /// Where browsers reach the gallery (`PUBLIC_URL`, else for v3 the registered redirect
    /// URI without `/een/callback`, see [`setup::public_base`]); the setup links in the log start with
    /// it, cookies are `Secure` when it is `https`, and its path prefixes the flow's
    /// redirects and cookie. `None`: links are paths only.
    pub public_url: Option<Url>,
    /// The path prefix (`BASE_PATH`) when it is not the public URL's path; `None`: that path.
    pub base_path: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            demo: false,
            image_cache_bytes: 64 * 1024 * 1024,
            camera_list_ttl: Duration::from_secs(30),
            camera_list_retry_after: Duration::from_secs(5),
            page_deadline: Duration::from_secs(4),
            latest_preview_max_age: Duration::from_secs(5),
            public_url: None,
            base_path: None,
        }
    }
}

impl Settings {
    /// The settings a configuration asks for.
    pub fn from_config(config: &Config, demo: bool) -> Self {
        Self {
            demo,
            image_cache_bytes: config.image_cache_bytes(),
            camera_list_ttl: config.camera_list_ttl(),
            camera_list_retry_after: Settings::default().camera_list_retry_after,
            page_deadline: config.page_deadline(),
            latest_preview_max_age: config.latest_preview_max_age(),
            public_url: config.access.public_url.clone().or_else(|| {
                config
                    .een_redirect_url
                    .as_deref()
                    .and_then(|uri| Url::parse(uri.trim()).ok())
                    .and_then(|url| setup::public_base(&url))
            }),
            base_path: config.base_path.clone(),
        }
    }
}

/// Everything handlers need. Cheap to clone: every field is a handle.
///
/// Handlers go through the cache layer (`directory`, `images`, `health`); the backend is
/// here for the keeper and for tests that ask EEN directly.
///
/// Every request clones it (each middleware and handler takes its own), and the layers hold
/// moka caches, which are costly to clone (a dozen `Arc`s and channel handles each), so it is
/// one `Arc` around [`Layers`], read through `Deref`.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Layers>);

/// What [`AppState`] holds.
#[derive(Clone, Debug)]
pub struct Layers {
    /// The EEN account.
    pub een: Backend,
    /// The cached camera list.
    pub directory: Directory,
    /// The image cache.
    pub images: Images,
    /// The EEN connection as operators manage it.
    pub account: Account,
    /// The operator's setup token and the connect flows under way (v3).
    pub setup: Setup,
    /// How the gallery stands with EEN.
    pub health: Health,
    /// Who may look, and the sign-in sessions.
    pub auth: Auth,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// The camera pages' image lists, rendered once per listing.
    pub frames: RenderedFrames,
    /// The store shared by replicas (`STORE_URL`), if any; its status shows in `/readyz`
    /// and `/metrics`.
    pub store: Option<Store>,
    /// Tunables.
    pub settings: Arc<Settings>,
}

impl std::ops::Deref for AppState {
    type Target = Layers;

    fn deref(&self) -> &Layers {
        &self.0
    }
}

impl AppState {
    /// Wires the layers together. Makes no EEN call; see [`AppState::spawn_keeper`].
    pub fn new(een: impl Into<Backend>, settings: Settings) -> Self {
        let een = een.into();
        let metrics = Metrics::default();
        let health = Health::new(metrics.clone());
        let directory = Directory::new(
            een.clone(),
            health.clone(),
            settings.camera_list_ttl,
            settings.camera_list_retry_after,
        );
        let images = Images::new(
            een.clone(),
            health.clone(),
            metrics.clone(),
            settings.image_cache_bytes,
            settings.latest_preview_max_age,
        );
        let account = Account::new(een.clone(), health.clone());
        let mut setup = Setup::new(settings.public_url.clone());
        if let Some(path) = &settings.base_path {
            setup = setup.with_base_path(path);
        }
        Self(Arc::new(Layers {
            een,
            directory,
            images,
            account,
            setup,
            health,
            auth: Auth::default(),
            metrics,
            frames: RenderedFrames::default(),
            store: None,
            settings: Arc::new(settings),
        }))
    }

    /// The layers to change while the state is being built (before it is shared, so this
    /// copies nothing).
    fn layers(&mut self) -> &mut Layers {
        Arc::make_mut(&mut self.0)
    }

    /// The same state, letting in whom `auth` says (the default lets in everybody).
    pub fn with_auth(mut self, auth: Auth) -> Self {
        let auth = match &self.store {
            Some(store) => auth.with_store(store),
            None => auth,
        };
        self.layers().auth = auth;
        self
    }

    /// The same state sharing `store` with other replicas: the image cache's second level,
    /// each frame kept there for `image_ttl`, and the sign-in sessions and limits.
    pub fn with_store(mut self, store: Store, image_ttl: Duration) -> Self {
        let layers = self.layers();
        layers.images = layers.images.clone().with_store(store.clone(), image_ttl);
        layers.auth = layers.auth.with_store(&store);
        layers.store = Some(store);
        self
    }

    /// Starts the background task that logs in (with backoff) and reconnects after failures.
    pub fn spawn_keeper(&self, backoff: Backoff) -> tokio::task::JoinHandle<()> {
        cache::spawn_keeper(
            self.een.clone(),
            self.directory.clone(),
            self.health.clone(),
            backoff,
        )
    }

    /// Starts the task that logs each new setup link once (v3; nothing for v1): at start,
    /// whenever the connection is lost, and after a link was used.
    pub fn spawn_setup_announcer(&self) -> tokio::task::JoinHandle<()> {
        setup::spawn_announcer(
            self.account.clone(),
            self.health.clone(),
            self.setup.clone(),
        )
    }
}
