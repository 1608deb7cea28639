//! The client: session, login, re-login, retries.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{Before, Camera, EenTimestamp, Error, Esn, Image};

/// How to reach and log in to EEN.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Login host, default `https://login.eagleeyenetworks.com`.
    pub base_url: Url,
    /// Account user name (an email address).
    pub username: String,
    /// Account password.
    pub password: SecretString,
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Timeout of one HTTP request.
    pub request_timeout: Duration,
}

/// Where the session stands (for readiness checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// No login attempted yet.
    NotLoggedIn,
    /// A session is established.
    LoggedIn,
    /// The last login failed; says why (no secrets).
    Failed(String),
}

/// The EEN API v1 client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Client {}

impl Client {
    /// Builds the client; does not log in yet.
    pub fn new(_config: ClientConfig) -> Result<Self, Error> {
        unimplemented!()
    }
    /// Logs in now (otherwise it happens on first use).
    pub async fn login(&self) -> Result<(), Error> {
        unimplemented!()
    }
    /// Where the session stands.
    pub fn session_state(&self) -> SessionState {
        unimplemented!()
    }
    /// All devices with an id.
    pub async fn cameras(&self) -> Result<Vec<Camera>, Error> {
        unimplemented!()
    }
    /// The newest preview of a camera, in one request.
    pub async fn latest_preview(&self, _esn: &Esn) -> Result<Image, Error> {
        unimplemented!()
    }
    /// Timestamps of up to `count` previews before `before`, newest first.
    pub async fn list_previews(
        &self,
        _esn: &Esn,
        _before: Before,
        _count: u32,
    ) -> Result<Vec<EenTimestamp>, Error> {
        unimplemented!()
    }
    /// The preview at exactly `timestamp`.
    pub async fn preview(&self, _esn: &Esn, _timestamp: EenTimestamp) -> Result<Image, Error> {
        unimplemented!()
    }
    /// Ends the session.
    pub async fn logout(&self) -> Result<(), Error> {
        unimplemented!()
    }
}
