//! The account's connection as operators manage it: the v3 connect flow and disconnecting,
//! recorded in [`Health`] so pages, `/readyz` and the keeper follow at once.

use secrecy::SecretString;

use super::health::Health;
use super::trouble::Failure;
use crate::een::{AuthorizationRequest, Backend, ConnectionState, Error};

/// The operator's handle on the EEN connection. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Account {
    een: Backend,
    health: Health,
}

impl Account {
    /// The handle for `een`, reporting to `health`.
    pub fn new(een: Backend, health: Health) -> Self {
        Self { een, health }
    }

    /// Whether a working authorization is held.
    pub fn state(&self) -> ConnectionState {
        self.een.connection_state()
    }

    /// Whether this backend has a connect flow at all (v3 does, v1 does not).
    pub fn can_connect(&self) -> bool {
        self.een.has_connect_flow()
    }

    /// Starts a connect flow: where to send the browser, with fresh `state` and PKCE.
    pub fn begin(&self) -> Option<AuthorizationRequest> {
        self.een.begin_authorization()
    }

    /// Finishes a connect flow with the code EEN sent back; on success the keeper loads the
    /// cameras and the gallery becomes ready.
    pub async fn complete(&self, code: &str, verifier: &SecretString) -> Result<(), Failure> {
        let result = self.een.complete_authorization(code, verifier).await;
        match &result {
            Ok(()) => tracing::info!("EEN account connected"),
            Err(error) => tracing::warn!(%error, "EEN connect flow failed"),
        }
        // A refused code says nothing about the stored connection (there may be one).
        if result.is_ok() {
            self.health.record_connect(&result);
        }
        result.map_err(Failure::from)
    }

    /// Revokes the connection at EEN and forgets it; pages then say "not connected".
    pub async fn disconnect(&self) -> Result<(), Failure> {
        let result = self.een.disconnect().await;
        match &result {
            Ok(()) => tracing::info!("EEN account disconnected"),
            Err(error) => tracing::warn!(%error, "EEN disconnect failed"),
        }
        if self.een.connection_state() == ConnectionState::NotConnected {
            self.health.record_connect(&Err(Error::NotConnected));
        }
        result.map_err(Failure::from)
    }
}
