//! The backend seam: one variant per EEN API, all answering in domain types.
//!
//! An enum rather than a trait object: the set of backends is closed and ours, a `match`
//! dispatches statically and keeps the calls plain `async fn`s (no boxed futures, no generics
//! threaded through the cache layer and the gallery), and the compiler lists every method a
//! new variant must answer. See `docs/ARCHITECTURE.md`.

use secrecy::SecretString;

use super::{
    AuthorizationRequest, Before, Camera, ConnectionState, Error, Esn, Image, Listed, Side, v1, v3,
};
use crate::store::Store;
use crate::timestamp::EenTimestamp;

/// The EEN account the gallery shows, reached through one of EEN's APIs. Cheap to clone:
/// clones share the session and the connection pool.
#[derive(Clone, Debug)]
pub enum Backend {
    /// EEN API v1: username and password, a session key, positional device rows.
    V1(v1::Client),
    /// EEN API v3: an OAuth2 connection approved once, rotating refresh tokens, JSON.
    V3(v3::Client),
}

impl From<v1::Client> for Backend {
    fn from(client: v1::Client) -> Self {
        Backend::V1(client)
    }
}

impl From<v3::Client> for Backend {
    fn from(client: v3::Client) -> Self {
        Backend::V3(client)
    }
}

impl Backend {
    /// Connects now (logs in), even right after EEN refused the credentials; otherwise calls
    /// connect on first use.
    pub async fn connect(&self) -> Result<(), Error> {
        match self {
            Backend::V1(client) => client.login().await,
            Backend::V3(client) => client.connect().await,
        }
    }

    /// Whether a connection (a session, a usable token) is established.
    pub fn is_connected(&self) -> bool {
        match self {
            Backend::V1(client) => client.session_state() == v1::SessionState::LoggedIn,
            Backend::V3(client) => client.connection_state() == ConnectionState::Connected,
        }
    }

    /// The cameras the gallery can show: attached cameras, without bridges or devices that
    /// were discovered but not attached to the account.
    pub async fn cameras(&self) -> Result<Vec<Camera>, Error> {
        match self {
            Backend::V1(client) => client.cameras().await.map(v1::attached_cameras),
            Backend::V3(client) => client.cameras().await,
        }
    }

    /// The newest preview of a camera.
    pub async fn latest_preview(&self, esn: &Esn) -> Result<Image, Error> {
        match self {
            Backend::V1(client) => client.latest_preview(esn).await,
            Backend::V3(client) => client.latest_preview(esn).await,
        }
    }

    /// Up to `count` previews strictly before `before`, newest first, distinct; with their
    /// JPEGs when the backend fetched them to find them.
    pub async fn list_previews(
        &self,
        esn: &Esn,
        before: Before,
        count: u32,
    ) -> Result<Vec<Listed>, Error> {
        match self {
            Backend::V1(client) => {
                let times = client.list_previews(esn, before, count).await?;
                Ok(times
                    .into_iter()
                    .map(|timestamp| Listed {
                        timestamp,
                        bytes: None,
                    })
                    .collect())
            }
            Backend::V3(client) => client.list_previews(esn, before, count).await,
        }
    }

    /// The preview at exactly `timestamp`.
    pub async fn preview(&self, esn: &Esn, timestamp: EenTimestamp) -> Result<Image, Error> {
        match self {
            Backend::V1(client) => client.preview(esn, timestamp).await,
            Backend::V3(client) => client.preview(esn, timestamp).await,
        }
    }

    /// The preview just before or just after the frame at `timestamp` (`side`), with its
    /// JPEG; [`Error::NotFound`] when there is none on that side.
    pub async fn neighbour_preview(
        &self,
        esn: &Esn,
        timestamp: EenTimestamp,
        side: Side,
    ) -> Result<Image, Error> {
        match self {
            Backend::V1(client) => client.neighbour_preview(esn, timestamp, side).await,
            Backend::V3(client) => client.neighbour_preview(esn, timestamp, side).await,
        }
    }

    /// What the shared pace of requests to EEN is doing (it slows after EEN's 429s).
    pub fn pace(&self) -> crate::een::PaceStats {
        match self {
            Backend::V1(client) => client.pace(),
            Backend::V3(client) => client.pace(),
        }
    }

    /// Shares the pace of requests to EEN with the other replicas using `store`
    /// (`STORE_URL`), so that together they stay within EEN's rate limit: a task of its
    /// own syncs it a few times a second. Call once, within a Tokio runtime.
    pub fn share_pace(&self, store: &Store) {
        match self {
            Backend::V1(client) => client.share_pace(store),
            Backend::V3(client) => client.share_pace(store),
        }
    }

    /// Whether the gallery holds a working authorization for the account. v1 always does:
    /// its credentials are configured.
    pub fn connection_state(&self) -> ConnectionState {
        match self {
            Backend::V1(_) => ConnectionState::Connected,
            Backend::V3(client) => client.connection_state(),
        }
    }

    /// Whether this backend has an operator's connect flow (v3 does, v1 does not).
    pub fn has_connect_flow(&self) -> bool {
        matches!(self, Backend::V3(_))
    }

    /// Starts a connect flow (v3): the authorize URL with a fresh `state` and PKCE pair.
    /// `None` for v1, which has nothing to connect.
    pub fn begin_authorization(&self) -> Option<AuthorizationRequest> {
        match self {
            Backend::V1(_) => None,
            Backend::V3(client) => match client.begin_authorization() {
                Ok(request) => Some(request),
                Err(error) => {
                    tracing::error!(%error, "cannot start the EEN connect flow");
                    None
                }
            },
        }
    }

    /// Finishes a connect flow (v3): exchanges the code EEN sent to the redirect URI, with
    /// the PKCE verifier of [`Backend::begin_authorization`], and keeps the connection.
    pub async fn complete_authorization(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<(), Error> {
        match self {
            Backend::V1(_) => Err(Error::Config("EEN API v1 has no connect flow")),
            Backend::V3(client) => client.complete_authorization(code, verifier).await,
        }
    }

    /// Ends the account's connection for good: v1 logs out (the next call logs in again);
    /// v3 revokes the refresh token at EEN and forgets the stored connection.
    pub async fn disconnect(&self) -> Result<(), Error> {
        match self {
            Backend::V1(client) => client.logout().await,
            Backend::V3(client) => client.disconnect().await,
        }
    }

    /// Keeps an idle connection alive: v3 refreshes its token when it is due, so that a
    /// gallery nobody looks at for two weeks does not lose its refresh token to EEN's idle
    /// limit. v1 needs nothing (a lost session is simply logged in again).
    pub async fn keep_alive(&self) -> Result<(), Error> {
        match self {
            Backend::V1(_) => Ok(()),
            Backend::V3(client) => client.connect().await,
        }
    }

    /// Whether another replica's connect flow can bring back a lost connection here: v3
    /// with a shared store (see [`Backend::follow`]).
    pub fn follows_others(&self) -> bool {
        matches!(self, Backend::V3(client) if client.is_shared())
    }

    /// v3 with a shared store and no connection here: takes the one another replica holds
    /// in the store (its operator connected it anew), if any; whether connected now. Asks
    /// the store at most once a second; v1 and a v3 without a store: `false`.
    pub async fn follow(&self) -> bool {
        match self {
            Backend::V1(_) => false,
            Backend::V3(client) => client.follow().await,
        }
    }

    /// Called on the way out: v1 logs out; v3 keeps its connection for the next start.
    pub async fn close(&self) -> Result<(), Error> {
        match self {
            Backend::V1(client) => client.logout().await,
            Backend::V3(_) => Ok(()),
        }
    }
}
