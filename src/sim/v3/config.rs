//! How the v3 simulator is set up ([`V3Config`], part of `SimConfig`) and its run-time fault
//! switches ([`V3Faults`], part of `Faults`).

use std::time::Duration;

/// The demo OAuth client's id, printed by `een-gallery sim` (V3-SIM-02).
pub const V3_DEMO_CLIENT_ID: &str = "een-gallery-demo";
/// The demo OAuth client's secret (public: it only opens the simulator).
pub const V3_DEMO_CLIENT_SECRET: &str = "demo-client-secret";
/// The redirect URIs the demo client allows by default: EEN's documented local test value and
/// the gallery's own callback on its default address.
pub const V3_DEMO_REDIRECT_URIS: [&str; 2] = [
    "http://127.0.0.1:3333",
    "http://127.0.0.1:8080/een/callback",
];

/// A registered OAuth client (V3-SIM-02): a confidential client, as a server-side gallery is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3Client {
    /// `client_id`.
    pub id: String,
    /// `client_secret`.
    pub secret: String,
    /// Allowed redirect URIs, matched by exact string comparison (spec §2.1).
    pub redirect_uris: Vec<String>,
}

impl V3Client {
    /// The demo client with its default redirect URIs.
    pub fn demo() -> Self {
        Self {
            id: V3_DEMO_CLIENT_ID.to_owned(),
            secret: V3_DEMO_CLIENT_SECRET.to_owned(),
            redirect_uris: V3_DEMO_REDIRECT_URIS.map(str::to_owned).to_vec(),
        }
    }
}

/// The v3 half of the simulator's setup. `Default` is the realistic demo.
#[derive(Clone, Debug)]
pub struct V3Config {
    /// Registered OAuth clients; the first is the one `een-gallery sim` prints.
    pub clients: Vec<V3Client>,
    /// What `httpsBaseUrl` says (`HOST` or `HOST:PORT`, port 443 when absent); `None` means
    /// `api.<cluster>.<base_domain>`. Can be moved at run time
    /// ([`SimHandle::set_v3_api_host`](crate::sim::SimHandle::set_v3_api_host)).
    pub api_host: Option<String>,
    /// `expires_in` of access tokens (V3-SIM-12; EEN: about 12 hours).
    pub access_token_ttl: Duration,
    /// How long an authorization code may be exchanged (V3-SIM-11; EEN: 5 minutes).
    pub code_ttl: Duration,
    /// Refresh tokens rotate on every use (V3-SIM-13). When off, a refresh answers the same
    /// refresh token and, while it lives, the same access token.
    pub rotate_refresh_tokens: bool,
    /// A refresh token dies after this long unused (EEN: 14 days).
    pub refresh_idle_ttl: Duration,
    /// A refresh token family dies this long after the user approved (EEN: 90 days).
    pub refresh_max_ttl: Duration,
    /// V3-SIM-10: approve every valid authorize request at once as this user (skips the
    /// consent page; for tests).
    pub auto_approve: Option<String>,
    /// V3-SIM-23: reject `Z` timestamps on `recordedImage.jpeg` too (always rejected on
    /// `/media`).
    pub reject_z_everywhere: bool,
    /// V3-SIM-33: `type=main` recorded images allowed per access token per second; more
    /// answer 429.
    pub main_images_per_second: u32,
    /// Width and height of `type=main` frames (previews use `SimConfig::frame_size`).
    pub main_frame_size: (u16, u16),
}

impl Default for V3Config {
    fn default() -> Self {
        Self {
            clients: vec![V3Client::demo()],
            api_host: None,
            access_token_ttl: Duration::from_secs(43_200),
            code_ttl: Duration::from_secs(300),
            rotate_refresh_tokens: true,
            refresh_idle_ttl: Duration::from_secs(14 * 86_400),
            refresh_max_ttl: Duration::from_secs(90 * 86_400),
            auto_approve: None,
            reject_z_everywhere: false,
            main_images_per_second: 2,
            main_frame_size: (640, 480),
        }
    }
}

/// v3 fault switches (V3-SIM-40), on top of the v1 ones, which apply to v3 as well: latency
/// and jitter, injected errors (a 429 one answers `Retry-After` when `retry_after_secs` is
/// set), the per-session rate limit (per access token here) and `unauthorized_after_login`
/// (the first N calls with each new access token answer 401). The others are handle methods:
/// access-token expiry mid-run, refused refreshes, moving the API host. All off by default.
#[derive(Clone, Debug, Default)]
pub struct V3Faults {
    /// API calls (all but `/clientSettings`) on a host other than the current API host
    /// answer 401: after the host moved, the account is no longer served at the old one.
    pub strict_api_host: bool,
}
