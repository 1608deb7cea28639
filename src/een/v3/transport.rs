//! HTTP to EEN for v3: the shared pool (`een::http::Pool`) built so that no redirect is
//! ever followed: a bearer token or a client secret must not travel to a host EEN's answer
//! chose.

use super::ClientConfig;
use crate::een::Error;
use crate::een::http::Pool;

/// The pool for `config`: its timeouts, name overrides and cap on requests in flight.
pub(super) fn pool(config: &ClientConfig) -> Result<Pool, Error> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none());
    for (host, addr) in &config.resolve {
        builder = builder.resolve(host, *addr);
    }
    Pool::new(builder, config.max_in_flight)
}
