//! The v3 part of [`SimHandle`]: host names and run-time faults for tests (V3-SIM-01, 40).

use super::split_host;
use crate::sim::SimHandle;

impl SimHandle {
    /// The v3 OAuth host name, `auth.<base_domain>`.
    pub fn v3_auth_host(&self) -> String {
        format!("auth.{}", self.sim.state.config.base_domain)
    }

    /// The host name `httpsBaseUrl` returns now (`api.<cluster>.<base_domain>` by default).
    pub fn v3_api_host(&self) -> String {
        self.sim.v3.api_host().0
    }

    /// The global API front door, `api.<base_domain>` (it answers `/clientSettings`).
    pub fn v3_global_api_host(&self) -> String {
        format!("api.{}", self.sim.state.config.base_domain)
    }

    /// V3-SIM-40: moves the API host (`HOST` or `HOST:PORT`); the next token response and
    /// `/clientSettings` name the new one. False (and nothing changes) if `host` is not a
    /// host name.
    pub fn set_v3_api_host(&self, host: &str) -> bool {
        match split_host(host) {
            Some(parsed) => {
                self.sim.v3.set_api_host(parsed);
                true
            }
            None => false,
        }
    }

    /// V3-SIM-40: every access token issued so far expires now (refresh tokens live on).
    pub fn expire_v3_access_tokens(&self) {
        self.sim.v3.oauth.expire_access_tokens();
    }

    /// V3-SIM-40: the next `n` refresh-token grants answer 401 as a replayed refresh token
    /// does, and the token they present dies (as if another process had rotated it first).
    pub fn refuse_v3_refreshes(&self, n: u32) {
        self.sim.v3.refuse_refreshes(n);
    }
}
