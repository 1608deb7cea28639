//! Replicas of the gallery: galleries in front of one simulator, each with its own state (its
//! own EEN session or v3 client and in-process caches), sharing one store, as replicas behind
//! a load balancer do; with sign-in on, each served on a socket of its own.

use std::path::Path;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use een_gallery::auth::{Auth, Lifetimes, TrustedProxies, UsersFile};
use een_gallery::cache::Status;
use een_gallery::config::store::{StoreSettings, StoreUrl};
use een_gallery::een::{Backend, v1, v3};
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::server::demo;
use een_gallery::sim::{DEMO_USERNAME, SimHandle};
use een_gallery::store::{Store, StoreStatus};
use scraper::Html;

use super::een::config;
use super::gallery::{Served, TestResponse, get_via, quick_backoff, serve, wait_for};
use super::redis::Redis;
use super::signin::Browser;
use super::v3::REDIRECT;

/// The store settings of a test: `redis`, the default prefix, a short timeout.
pub fn store_settings(redis: &Redis) -> StoreSettings {
    StoreSettings {
        url: StoreUrl::parse(&redis.url()).expect("a valid store URL"),
        prefix: "een-gallery".to_owned(),
        timeout: Duration::from_millis(250),
        image_ttl: Duration::from_secs(86_400),
    }
}

/// One replica.
pub struct Replica {
    /// Its state.
    pub state: AppState,
    /// Its connection to the store.
    pub store: Store,
    /// The production router over its state.
    pub router: Router,
}

/// A replica in front of `sim` (API v1), sharing the store of `settings`; returns once its
/// EEN session is ready and its store answers.
pub async fn replica(sim: &SimHandle, settings: &StoreSettings) -> Replica {
    let replica = replica_whatever_the_store(sim, settings).await;
    replica.wait_for_store(StoreStatus::Up).await;
    replica
}

/// [`replica`] with the gallery settings `gallery`.
pub async fn replica_with(sim: &SimHandle, settings: &StoreSettings, gallery: Settings) -> Replica {
    let client = v1::Client::new(config(sim)).expect("client builds");
    let store = Store::connect(settings).expect("the store client builds");
    let replica = replica_over(Backend::from(client), store, settings, gallery);
    wait_for(&replica.state, Status::Ready).await;
    replica.wait_for_store(StoreStatus::Up).await;
    replica
}

/// [`replica`], returning once its EEN session is ready, whether or not the store answers.
pub async fn replica_whatever_the_store(sim: &SimHandle, settings: &StoreSettings) -> Replica {
    let client = v1::Client::new(config(sim)).expect("client builds");
    let store = Store::connect(settings).expect("the store client builds");
    let replica = replica_over(Backend::from(client), store, settings, Settings::default());
    wait_for(&replica.state, Status::Ready).await;
    replica
}

/// A replica over `backend` with the gallery settings `gallery`, sharing `store` (of
/// `settings`) and the EEN pace in it, as `server::run` does, its keeper running.
fn replica_over(
    backend: Backend,
    store: Store,
    settings: &StoreSettings,
    gallery: Settings,
) -> Replica {
    backend.share_pace(&store);
    let state = AppState::new(backend, gallery).with_store(store.clone(), settings.image_ttl);
    state.spawn_keeper(quick_backoff());
    Replica {
        router: app(state.clone()),
        state,
        store,
    }
}

/// A replica on API v3 in front of `sim` (which approves the connect flow by itself), its
/// connection in the store of `settings`, the gallery on `gallery` settings, its client set
/// up by `tune`. Not connected: [`Replica::connect_v3`] connects one replica, and the others
/// take its connection from the store.
pub fn v3_replica_with(
    sim: &SimHandle,
    settings: &StoreSettings,
    gallery: Settings,
    tune: impl FnOnce(&mut v3::ClientConfig),
) -> Replica {
    let mut config = demo::v3_client_config(sim, REDIRECT);
    tune(&mut config);
    // One connection to the store per replica, as `server::run` makes.
    let store = Store::connect(settings).expect("the store client builds");
    let client =
        v3::Client::new(config, v3::Store::shared(store.clone())).expect("the client builds");
    replica_over(Backend::from(client), store, settings, gallery)
}

/// A v3 simulator approving the connect flow by itself, its access tokens living `ttl`.
pub async fn approving_v3_sim(ttl: Duration) -> SimHandle {
    super::connect::sim(|c| {
        c.v3.auto_approve = Some(DEMO_USERNAME.to_owned());
        c.v3.access_token_ttl = ttl;
    })
    .await
}

/// Two v3 replicas in front of `sim` sharing `redis`, on the gallery settings `gallery`
/// makes, their clients set up by `tune_a` and `tune_b`; connected through the first (the
/// second never connects itself: it takes the connection from the store), both ready and
/// their store up.
pub async fn two_v3_replicas(
    sim: &SimHandle,
    redis: &Redis,
    gallery: impl Fn() -> Settings,
    tune_a: impl FnOnce(&mut v3::ClientConfig),
    tune_b: impl FnOnce(&mut v3::ClientConfig),
) -> (Replica, Replica) {
    let settings = store_settings(redis);
    let a = v3_replica_with(sim, &settings, gallery(), tune_a);
    let b = v3_replica_with(sim, &settings, gallery(), tune_b);
    a.connect_v3(sim).await;
    for replica in [&a, &b] {
        replica.wait_for(Status::Ready).await;
        replica.wait_for_store(StoreStatus::Up).await;
    }
    (a, b)
}

impl Replica {
    /// Runs the v3 connect flow on this replica (the simulator approves by itself).
    pub async fn connect_v3(&self, sim: &SimHandle) {
        let resolve = demo::v3_client_config(sim, REDIRECT).resolve;
        demo::approve(&self.state.een, &resolve)
            .await
            .expect("the connect flow completes");
    }

    /// Waits until its EEN status is `status` (fails the test after 10 s).
    pub async fn wait_for(&self, status: Status) {
        wait_for(&self.state, status).await;
    }

    /// This replica with sign-in on, the users of `users` signing in (default lifetimes, no
    /// trusted proxy), served on a loopback socket of its own.
    pub async fn with_sign_in(self, users: &Path) -> Door {
        let file = UsersFile::open(users).expect("a readable users file");
        let auth = Auth::users(file, Lifetimes::default(), TrustedProxies::default());
        let state = self.state.clone().with_auth(auth);
        let served = serve(app(state), Duration::from_secs(1)).await;
        Door {
            browser: Browser::at(served.addr),
            replica: self,
            served,
        }
    }

    /// `GET uri` through the production router.
    pub async fn get(&self, uri: &str) -> TestResponse {
        get_via(&self.router, uri).await
    }

    /// `GET uri`, expecting a 200 HTML page.
    pub async fn page(&self, uri: &str) -> Html {
        let response = self.get(uri).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "GET {uri}: {}",
            response.text()
        );
        response.html()
    }

    /// The value of the metric `name` (a line `name value`) at `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self.get("/metrics").await.text();
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
            .parse()
            .expect("a number")
    }

    /// Waits until its store is `status` (fails the test after 10 s).
    pub async fn wait_for_store(&self, status: StoreStatus) {
        let mut changes = self.store.subscribe();
        tokio::time::timeout(Duration::from_secs(10), changes.wait_for(|s| *s == status))
            .await
            .unwrap_or_else(|_| panic!("the store did not become {status:?}"))
            .expect("the store's status channel is open");
    }
}

/// A replica with sign-in on, served on a socket: its [`Browser`] is at hand.
pub struct Door {
    /// The replica (its router has no sign-in: the served one has).
    pub replica: Replica,
    /// The server.
    pub served: Served,
    browser: Browser,
}

impl std::ops::Deref for Door {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}
