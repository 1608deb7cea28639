//! The connection in use: its tokens, refreshed ahead of expiry and after a 401, one refresh
//! at a time. EEN rotates refresh tokens (spec §2.4): each refresh kills the token it used,
//! so a refresh must never run twice with the same token, and the new pair is kept (stored)
//! before it is used. With a shared store, one refresh at a time among all replicas too
//! (`lease`).

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use secrecy::SecretString;
use url::Url;

use super::store::{Connection, Store};
use super::{ClientConfig, host, lease};
use crate::een::{ConnectionState, Error};

/// A connection as calls use it: the token, where it goes, and which refresh made it.
pub(super) struct Live {
    pub(super) connection: Connection,
    /// `scheme://api-host:port/`, checked against the auth host's domain.
    pub(super) api_base: Url,
    /// Counts connections: a caller that saw generation `n` fail asks for a refresh of `n`,
    /// and finds a newer one instead if another caller refreshed meanwhile.
    pub(super) generation: u64,
}

impl Live {
    pub(super) fn bearer(&self) -> &SecretString {
        &self.connection.access_token
    }

    /// Whether the token is due for a refresh (within `ahead` of expiry).
    fn due(&self, ahead: Duration) -> bool {
        let ahead = jiff::SignedDuration::try_from(ahead).unwrap_or(jiff::SignedDuration::MAX);
        self.connection
            .expires_at
            .checked_sub(ahead)
            .map_or(true, |at| Timestamp::now() >= at)
    }

    fn expired(&self) -> bool {
        Timestamp::now() >= self.connection.expires_at
    }
}

/// Where the connection stands.
pub(super) enum Held {
    NotConnected,
    Connected(Arc<Live>),
    ReconnectionNeeded,
}

/// The connection, shared by every clone of the client.
pub(super) struct Tokens {
    held: RwLock<Held>,
    /// Held while a refresh (or a new connection) is being made and stored: the single flight.
    pub(super) refreshing: tokio::sync::Mutex<()>,
    store: Store,
    generation: std::sync::atomic::AtomicU64,
    /// When the shared store was last asked for a connection while this replica had none.
    pub(super) followed: Mutex<Option<Instant>>,
}

impl Tokens {
    pub(super) fn new(store: Store) -> Self {
        Self {
            held: RwLock::new(Held::NotConnected),
            refreshing: tokio::sync::Mutex::new(()),
            store,
            generation: std::sync::atomic::AtomicU64::new(0),
            followed: Mutex::new(None),
        }
    }

    pub(super) fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn state(&self) -> ConnectionState {
        match &*self.held.read().unwrap_or_else(PoisonError::into_inner) {
            Held::NotConnected => ConnectionState::NotConnected,
            Held::Connected(_) => ConnectionState::Connected,
            Held::ReconnectionNeeded => ConnectionState::ReconnectionNeeded,
        }
    }

    pub(super) fn current(&self) -> Result<Arc<Live>, Error> {
        match &*self.held.read().unwrap_or_else(PoisonError::into_inner) {
            Held::NotConnected => Err(Error::NotConnected),
            Held::ReconnectionNeeded => Err(Error::ReconnectionNeeded),
            Held::Connected(live) => Ok(Arc::clone(live)),
        }
    }

    pub(super) fn set(&self, held: Held) {
        *self.held.write().unwrap_or_else(PoisonError::into_inner) = held;
    }

    pub(super) fn live(
        &self,
        config: &ClientConfig,
        connection: Connection,
    ) -> Result<Live, Error> {
        let api_base = host::api_base(&config.auth_url, &connection.api_host, connection.api_port)?;
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1;
        Ok(Live {
            connection,
            api_base,
            generation,
        })
    }

    /// Reads the stored connection, if nothing is held yet (the first call after start).
    /// With a shared store, also when the connection was lost or refused here: another
    /// replica may have been connected anew.
    pub(super) async fn load(&self, config: &ClientConfig) -> Result<(), Error> {
        if let Some(shared) = self.store.as_shared() {
            return self.follow(config, shared, None).await.map(drop);
        }
        let _flight = self.refreshing.lock().await;
        if !matches!(
            *self.held.read().unwrap_or_else(PoisonError::into_inner),
            Held::NotConnected
        ) {
            return Ok(());
        }
        let stored = self.store.load().await.map_err(|error| {
            tracing::error!(%error, "cannot read the stored EEN connection");
            Error::Config("the stored EEN connection cannot be read")
        })?;
        if let Some(connection) = stored {
            let live = self.live(config, connection)?;
            tracing::info!(expires_at = %live.connection.expires_at, "using the stored EEN connection");
            self.set(Held::Connected(Arc::new(live)));
        }
        Ok(())
    }

    /// Keeps a new connection (from the connect flow): stored first, then used.
    pub(super) async fn adopt(
        &self,
        config: &ClientConfig,
        connection: Connection,
    ) -> Result<(), Error> {
        let _flight = self.refreshing.lock().await;
        let live = self.live(config, connection)?;
        self.keep(&live.connection).await?;
        self.set(Held::Connected(Arc::new(live)));
        Ok(())
    }

    /// Forgets the connection, here and in the store; returns the one that was held.
    pub(super) async fn forget(&self) -> Result<Option<Connection>, Error> {
        let _flight = self.refreshing.lock().await;
        let old = self.current().ok().map(|live| live.connection.clone());
        self.set(Held::NotConnected);
        self.store.delete().await.map_err(|error| {
            tracing::error!(%error, "cannot delete the stored EEN connection");
            Error::Config("the stored EEN connection cannot be deleted")
        })?;
        Ok(old)
    }

    /// The connection to call with, refreshed first when it is due. When a due refresh fails
    /// for a passing reason, the old token is used while it lives.
    pub(super) async fn bearer<F, Fut>(
        &self,
        config: &ClientConfig,
        refresh: F,
    ) -> Result<Arc<Live>, Error>
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Connection, Error>> + Send + 'static,
    {
        let live = match (self.current(), self.store.as_shared()) {
            (Ok(live), _) => live,
            // Another replica may have been connected since: asked at most once a second.
            (Err(error), Some(shared)) => self
                .follow(config, shared, Some(lease::FOLLOW_EVERY))
                .await?
                .ok_or(error)?,
            (Err(error), None) => return Err(error),
        };
        if !live.due(config.refresh_ahead) {
            return Ok(live);
        }
        // Due, not dead: when another replica is refreshing, its new pair is taken on the
        // next 401 rather than waited for now.
        match self.refresh(config, live.generation, false, refresh).await {
            Ok(new) => Ok(new),
            Err(error) if error.is_transient() && !live.expired() => {
                tracing::warn!(%error, "EEN token refresh failed; using the current token");
                Ok(live)
            }
            Err(error) => Err(error),
        }
    }

    /// Refreshes the connection of generation `seen` (which a call found due or EEN refused),
    /// unless another caller already did: then that newer connection is the answer. One
    /// refresh at a time; the new pair is stored before anyone uses it. With a shared store
    /// one at a time among the replicas, and `wait` says whether to wait for another
    /// replica's refresh (within the call's deadline) or answer the current connection.
    pub(super) async fn refresh<F, Fut>(
        &self,
        config: &ClientConfig,
        seen: u64,
        wait: bool,
        refresh: F,
    ) -> Result<Arc<Live>, Error>
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Connection, Error>> + Send + 'static,
    {
        let _flight = self.refreshing.lock().await;
        let live = self.current()?;
        if live.generation != seen {
            return Ok(live);
        }
        if let Some(shared) = self.store.as_shared() {
            return self
                .refresh_across(config, shared, live, wait, refresh)
                .await;
        }
        let outcome = refresh(live.connection.clone()).await;
        if let Ok(connection) = &outcome {
            // The old refresh token is dead now: the new pair must survive a restart.
            if let Err(error) = self.keep(connection).await {
                tracing::error!(
                    %error,
                    "the refreshed EEN connection could not be stored; it is used until \
                     the gallery stops, after which EEN must be connected again"
                );
            }
        }
        self.settle(config, outcome)
    }

    /// Holds the outcome of a refresh: the new connection, or what EEN's refusal means.
    pub(super) fn settle(
        &self,
        config: &ClientConfig,
        outcome: Result<Connection, Error>,
    ) -> Result<Arc<Live>, Error> {
        match outcome {
            Ok(connection) => {
                let new = Arc::new(self.live(config, connection)?);
                self.set(Held::Connected(Arc::clone(&new)));
                tracing::info!(expires_at = %new.connection.expires_at, "EEN token refreshed");
                Ok(new)
            }
            Err(Error::ReconnectionNeeded) => {
                tracing::error!(
                    "EEN refused to refresh the connection (expired, revoked or unused for too \
                     long); an operator must connect again"
                );
                self.set(Held::ReconnectionNeeded);
                Err(Error::ReconnectionNeeded)
            }
            Err(error) => Err(error),
        }
    }

    async fn keep(&self, connection: &Connection) -> Result<(), Error> {
        self.store.save(connection).await.map_err(|error| {
            tracing::error!(%error, "cannot store the EEN connection");
            Error::Config("the EEN connection cannot be stored")
        })
    }
}
