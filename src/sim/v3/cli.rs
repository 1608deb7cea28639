//! The v3 switches of `een-gallery sim` (flattened into its options) and the lines it prints
//! about the v3 demo client (V3-SIM-02).

use std::time::Duration;

use super::config::{V3_DEMO_CLIENT_ID, V3_DEMO_CLIENT_SECRET, V3Client, V3Config};
use super::split_host;
use crate::sim::DEMO_USERNAME;

/// API v3 options of `een-gallery sim`.
#[derive(Clone, Debug, clap::Args)]
pub struct V3Args {
    /// The v3 demo OAuth client's id.
    #[arg(long, env = "SIM_V3_CLIENT_ID", default_value = V3_DEMO_CLIENT_ID)]
    pub v3_client_id: String,
    /// The v3 demo OAuth client's secret.
    #[arg(long, env = "SIM_V3_CLIENT_SECRET", default_value = V3_DEMO_CLIENT_SECRET)]
    pub v3_client_secret: String,
    /// Registers a redirect URI for the v3 demo client (exact string; repeatable; added to
    /// the defaults, which are printed at start).
    #[arg(
        long = "v3-redirect-uri",
        value_name = "URI",
        env = "SIM_V3_REDIRECT_URIS",
        value_delimiter = ','
    )]
    pub v3_redirect_uris: Vec<String>,
    /// What `httpsBaseUrl` returns, `HOST[:PORT]` (e.g. `127.0.0.1:9000` when the simulator
    /// runs on a plain loopback port); default `api.<cluster>.<base-domain>` port 443.
    #[arg(long, value_name = "HOST[:PORT]", env = "SIM_V3_API_HOST")]
    pub v3_api_host: Option<String>,
    /// Lifetime of v3 access tokens (`expires_in`), in seconds.
    #[arg(long, env = "SIM_V3_ACCESS_TOKEN_TTL_SECS", default_value_t = 43_200)]
    pub v3_access_token_ttl_secs: u64,
    /// Refresh tokens do not rotate (a refresh answers the same refresh token).
    #[arg(long, env = "SIM_V3_NO_ROTATE")]
    pub v3_no_rotate: bool,
    /// Approve every authorize request as the demo user, without the consent page.
    #[arg(long, env = "SIM_V3_AUTO_APPROVE")]
    pub v3_auto_approve: bool,
}

impl V3Args {
    /// The v3 configuration these options describe.
    pub fn config(&self) -> anyhow::Result<V3Config> {
        anyhow::ensure!(
            !self.v3_client_id.is_empty() && !self.v3_client_secret.is_empty(),
            "--v3-client-id and --v3-client-secret must not be empty"
        );
        if let Some(host) = &self.v3_api_host {
            anyhow::ensure!(
                split_host(host).is_some(),
                "--v3-api-host must be HOST or HOST:PORT"
            );
        }
        let mut client = V3Client::demo();
        client.id = self.v3_client_id.clone();
        client.secret = self.v3_client_secret.clone();
        for uri in &self.v3_redirect_uris {
            anyhow::ensure!(
                uri.starts_with("http://") || uri.starts_with("https://"),
                "--v3-redirect-uri must start with http:// or https://"
            );
            if !client.redirect_uris.contains(uri) {
                client.redirect_uris.push(uri.clone());
            }
        }
        Ok(V3Config {
            clients: vec![client],
            api_host: self.v3_api_host.clone(),
            access_token_ttl: Duration::from_secs(self.v3_access_token_ttl_secs),
            rotate_refresh_tokens: !self.v3_no_rotate,
            auto_approve: self.v3_auto_approve.then(|| DEMO_USERNAME.to_owned()),
            ..V3Config::default()
        })
    }
}

/// The lines `een-gallery sim` prints about v3. The demo client's secret only opens the
/// simulator; printing it is the point (as for the v1 demo password).
pub(crate) fn describe(config: &V3Config, domain: &str, cluster: &str, port: u16) -> Vec<String> {
    let api = config
        .api_host
        .clone()
        .unwrap_or_else(|| format!("api.{cluster}.{domain}"));
    let mut lines = vec![
        "EEN API v3 on the same port (any Host header is answered):".to_owned(),
        format!("  auth host:    auth.{domain} (/oauth2/authorize, /oauth2/token, /oauth2/revoke)"),
        format!("  API host:     {api} (httpsBaseUrl; /api/v3.0/...)"),
    ];
    if let Some(client) = config.clients.first() {
        lines.push(format!(
            "  demo client:  client_id {} / client_secret {}",
            client.id, client.secret
        ));
        lines.push(format!(
            "  redirect URIs (exact match): {}",
            client.redirect_uris.join(", ")
        ));
        let redirect = client.redirect_uris.first().map_or("", String::as_str);
        lines.push(format!(
            "  try:          http://127.0.0.1:{port}/oauth2/authorize?scope=vms.all&response_type=code&client_id={}&redirect_uri={}",
            encode(&client.id),
            encode(redirect)
        ));
    }
    lines
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
