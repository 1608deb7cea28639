//! HTTP to EEN for v3: the shared pool (`een::http::Pool`), which never follows a redirect,
//! so a bearer token or a client secret cannot travel to a host EEN's answer chose.

use super::ClientConfig;
use crate::een::Error;
use crate::een::http::{Pool, PoolSettings};

/// The pool for `config`: its timeouts, name overrides and cap on requests in flight.
pub(super) fn pool(config: &ClientConfig) -> Result<Pool, Error> {
    Pool::new(&PoolSettings {
        connect_timeout: config.connect_timeout,
        request_timeout: config.request_timeout,
        user_agent: &config.user_agent,
        resolve: &config.resolve,
        max_in_flight: config.max_in_flight,
    })
}
