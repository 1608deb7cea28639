//! Replicas of the gallery: galleries in front of one simulator, each with its own state (its
//! own EEN session and in-process caches), sharing one store, as replicas behind a load
//! balancer do.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use een_gallery::cache::Status;
use een_gallery::config::store::{StoreSettings, StoreUrl};
use een_gallery::een::v1;
use een_gallery::gallery::{AppState, Settings, app};
use een_gallery::sim::SimHandle;
use een_gallery::store::{Store, StoreStatus};
use scraper::Html;

use super::een::config;
use super::gallery::{TestResponse, get_via, quick_backoff, wait_for};
use super::redis::Redis;

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

/// [`replica`], returning once its EEN session is ready, whether or not the store answers.
pub async fn replica_whatever_the_store(sim: &SimHandle, settings: &StoreSettings) -> Replica {
    let client = v1::Client::new(config(sim)).expect("client builds");
    let store = Store::connect(settings).expect("the store client builds");
    let state =
        AppState::new(client, Settings::default()).with_store(store.clone(), settings.image_ttl);
    state.spawn_keeper(quick_backoff());
    wait_for(&state, Status::Ready).await;
    Replica {
        router: app(state.clone()),
        state,
        store,
    }
}

impl Replica {
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
