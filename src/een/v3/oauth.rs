//! OAuth2 with EEN (spec §2): the authorize URL with `state` and PKCE S256, the code exchange,
//! refreshing (rotating refresh tokens) and revoking. Client authentication is HTTP Basic, as
//! every EEN sample does; parameters go in the form body.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use rand::RngExt as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

use super::store::Connection;
use super::{ClientConfig, host};
use crate::een::http::{Pool, Reply};
use crate::een::{AuthorizationRequest, Error};

/// The only scope EEN documents.
const SCOPE: &str = "vms.all";

/// Random bytes behind a `state` or a PKCE verifier (43 characters of base64url).
const RANDOM_BYTES: usize = 32;

/// The authorize URL for a fresh `state` and PKCE pair (spec §2.2; RFC 7636).
pub(super) fn authorization(config: &ClientConfig) -> Result<AuthorizationRequest, Error> {
    let state = random_token();
    let verifier = random_token();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = config
        .auth_url
        .join("oauth2/authorize")
        .map_err(|_| Error::Config("the EEN auth URL cannot take a path"))?;
    url.query_pairs_mut()
        .append_pair("scope", SCOPE)
        .append_pair("client_id", &config.client_id)
        .append_pair("response_type", "code")
        // Percent-encoded once, by the URL encoder (spec §12: encode once, exact string).
        .append_pair("redirect_uri", &config.redirect_uri)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(AuthorizationRequest {
        url,
        state: state.into(),
        verifier: verifier.into(),
    })
}

fn random_token() -> String {
    let bytes: [u8; RANDOM_BYTES] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Which token request, for the error rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    Code,
    Refresh,
}

/// The token answer (spec §2.3): snake_case, apart from `httpsBaseUrl`.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    expires_in: u64,
    #[serde(rename = "httpsBaseUrl", default)]
    https_base_url: Option<BaseUrl>,
}

#[derive(Deserialize)]
struct BaseUrl {
    hostname: String,
    #[serde(default = "https_port")]
    port: u16,
}

fn https_port() -> u16 {
    443
}

#[derive(Deserialize)]
struct TokenError {
    #[serde(default)]
    error: String,
}

/// Exchanges an authorization code (with its PKCE verifier) for a connection.
pub(super) async fn exchange(
    transport: &Pool,
    config: &ClientConfig,
    code: &str,
    verifier: &SecretString,
) -> Result<Connection, Error> {
    let form = [
        ("grant_type", "authorization_code"),
        ("scope", SCOPE),
        ("code", code),
        ("redirect_uri", &config.redirect_uri),
        ("code_verifier", verifier.expose_secret()),
    ];
    let reply = token_request(transport, config, &form).await?;
    connection(config, reply, Grant::Code, None).await
}

/// Refreshes with `refresh_token`. EEN rotates it: the old one is dead once this returns, so
/// the caller must keep the new connection before it uses it.
pub(super) async fn refresh(
    transport: &Pool,
    config: &ClientConfig,
    old: &Connection,
) -> Result<Connection, Error> {
    let form = [
        ("grant_type", "refresh_token"),
        ("scope", SCOPE),
        ("refresh_token", old.refresh_token.expose_secret()),
    ];
    let reply = token_request(transport, config, &form).await?;
    connection(config, reply, Grant::Refresh, Some(old)).await
}

/// Revokes `token` (a refresh token also kills its access token, spec §2.5).
pub(super) async fn revoke(
    transport: &Pool,
    config: &ClientConfig,
    token: &SecretString,
) -> Result<(), Error> {
    let url = endpoint(config, "oauth2/revoke")?;
    let request = transport
        .http
        .post(url)
        .basic_auth(
            &config.client_id,
            Some(config.client_secret.expose_secret()),
        )
        .form(&[
            ("token", token.expose_secret()),
            ("token_type_hint", "refresh_token"),
        ]);
    let reply = transport.send(request).await?;
    match reply.status.as_u16() {
        200..=299 => Ok(()),
        // Already dead (rotated away, expired): what revoking wanted.
        400 => Ok(()),
        401 => Err(Error::InvalidCredentials),
        s => Err(Error::Upstream(s)),
    }
}

fn endpoint(config: &ClientConfig, path: &str) -> Result<Url, Error> {
    config
        .auth_url
        .join(path)
        .map_err(|_| Error::Config("the EEN auth URL cannot take a path"))
}

async fn token_request(
    transport: &Pool,
    config: &ClientConfig,
    form: &[(&str, &str)],
) -> Result<Reply, Error> {
    let request = transport
        .http
        .post(endpoint(config, "oauth2/token")?)
        .basic_auth(
            &config.client_id,
            Some(config.client_secret.expose_secret()),
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form);
    transport.send(request).await
}

/// The connection a token answer gives, or the error it means. EEN's error bodies are not
/// documented (spec §2.4): the status decides, the RFC 6749 `error` only tells a wrong client
/// secret from a dead grant.
async fn connection(
    config: &ClientConfig,
    reply: Reply,
    grant: Grant,
    old: Option<&Connection>,
) -> Result<Connection, Error> {
    let status = reply.status.as_u16();
    if !(200..=299).contains(&status) {
        let error = serde_json::from_slice::<TokenError>(&reply.body)
            .map(|e| e.error)
            .unwrap_or_default();
        return Err(match (status, grant) {
            (_, _) if error == "invalid_client" => Error::InvalidCredentials,
            (400 | 401, Grant::Refresh) => Error::ReconnectionNeeded,
            (400, Grant::Code) => Error::CodeRejected,
            (401, Grant::Code) => Error::InvalidCredentials,
            (429, _) => Error::RateLimited,
            (s, _) => Error::Upstream(s),
        });
    }
    let answer: TokenAnswer = serde_json::from_slice(&reply.body)
        .map_err(|_| Error::Decode("the token answer is not the documented JSON".into()))?;
    let (api_host, api_port) = match (answer.https_base_url, old) {
        (Some(base), _) => (base.hostname, base.port),
        (None, Some(old)) => (old.api_host.clone(), old.api_port),
        (None, None) => {
            return Err(Error::Decode(
                "the token answer names no API host (httpsBaseUrl)".into(),
            ));
        }
    };
    // Checked before anything is kept: a poisoned host never receives the token. The host is
    // kept as the check read it (lowercase, percent escapes and IDNA resolved), so the host
    // stored, logged and shown is the host that was checked.
    let api_host = host::api_base(&config.auth_url, &api_host, api_port)?
        .host_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::Decode("the token answer names no API host (httpsBaseUrl)".into()))?;
    let refresh_token = match (answer.refresh_token, old) {
        (Some(token), _) => SecretString::from(token),
        // A non-rotating refresh may leave it out: the old one stays valid.
        (None, Some(old)) => old.refresh_token.clone(),
        (None, None) => {
            return Err(Error::Decode(
                "the token answer has no refresh token (is the client confidential?)".into(),
            ));
        }
    };
    let lifetime = Duration::from_secs(answer.expires_in.min(365 * 86_400));
    let expires_at = Timestamp::now()
        .checked_add(lifetime)
        .map_err(|_| Error::Decode("the token lifetime is out of range".into()))?;
    Ok(Connection {
        access_token: answer.access_token.into(),
        refresh_token,
        expires_at,
        api_host,
        api_port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClientConfig {
        ClientConfig::new(
            Url::parse("https://auth.eagleeyenetworks.com").unwrap(),
            Url::parse("https://api.eagleeyenetworks.com").unwrap(),
            "my-client",
            "client-secret-value",
            "https://gallery.example.com/een/callback",
        )
    }

    #[test]
    fn the_authorize_url_carries_state_and_an_s256_challenge_of_the_verifier() {
        let config = config();
        let request = authorization(&config).unwrap();
        let url = &request.url;
        assert_eq!(url.host_str(), Some("auth.eagleeyenetworks.com"));
        assert_eq!(url.path(), "/oauth2/authorize");
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["scope"], "vms.all");
        assert_eq!(query["client_id"], "my-client");
        assert_eq!(query["response_type"], "code");
        assert_eq!(
            query["redirect_uri"],
            "https://gallery.example.com/een/callback"
        );
        assert_eq!(query["state"], request.state.expose_secret());
        assert_eq!(query["code_challenge_method"], "S256");
        let expected =
            URL_SAFE_NO_PAD.encode(Sha256::digest(request.verifier.expose_secret().as_bytes()));
        assert_eq!(query["code_challenge"], expected);
        assert_eq!(request.verifier.expose_secret().len(), 43);
        assert!(!url.as_str().contains("client-secret-value"));
        // Fresh each time.
        let again = authorization(&config).unwrap();
        assert_ne!(again.state.expose_secret(), request.state.expose_secret());
        assert_ne!(
            again.verifier.expose_secret(),
            request.verifier.expose_secret()
        );
    }
}

/// Property tests (issue 13): a token answer of any status and body is a connection or one
/// of the errors the rules name, never a panic; a documented answer gives its connection; an
/// API host outside EEN's domain is refused.
#[cfg(test)]
mod fuzz {
    use axum::http::{HeaderMap, StatusCode};
    use bytes::Bytes;
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::fuzzing::{config as cases, json, mutated, text};

    fn client() -> ClientConfig {
        ClientConfig::new(
            Url::parse("https://auth.eagleeyenetworks.com").unwrap(),
            Url::parse("https://api.eagleeyenetworks.com").unwrap(),
            "my-client",
            "client-secret-value",
            "https://gallery.example.com/een/callback",
        )
    }

    fn old() -> Connection {
        Connection {
            access_token: "old-access".into(),
            refresh_token: "old-refresh".into(),
            expires_at: Timestamp::UNIX_EPOCH,
            api_host: "api.c001.eagleeyenetworks.com".into(),
            api_port: 443,
        }
    }

    /// `connection` for this answer, on a refresh (with the old connection) or a code.
    fn answer(status: u16, body: Vec<u8>, refresh: bool) -> Result<Connection, Error> {
        let reply = Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::from(body),
        };
        let (grant, old) = if refresh {
            (Grant::Refresh, Some(old()))
        } else {
            (Grant::Code, None)
        };
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(connection(&client(), reply, grant, old.as_ref()))
    }

    fn documented() -> impl Strategy<Value = serde_json::Value> {
        (
            "[A-Za-z0-9._-]{1,60}",
            "[A-Za-z0-9._-]{1,60}",
            any::<u64>(),
            "(api\\.)?c[0-9]{3}\\.eagleeyenetworks\\.com",
            any::<u16>(),
        )
            .prop_map(|(access, refresh, expires, host, port)| {
                json!({
                    "access_token": access,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": expires,
                    "scope": "vms.all",
                    "httpsBaseUrl": {"hostname": host, "port": port},
                })
            })
    }

    /// Found by `api_hosts_outside_the_domain_are_refused`: the host was checked as the URL
    /// parser read it (`%6D` is `m`) but kept as sent.
    #[test]
    fn the_api_host_is_kept_as_it_was_checked() {
        let wire = json!({
            "access_token": "a",
            "refresh_token": "r",
            "expires_in": 3600,
            "httpsBaseUrl": {"hostname": "API.c001.EagleEyeNetworks.co%6D", "port": 443},
        });
        let got = answer(200, wire.to_string().into_bytes(), false).unwrap();
        assert_eq!(got.api_host, "api.c001.eagleeyenetworks.com");
    }

    proptest! {
        #![proptest_config(cases(256))]

        #[test]
        fn any_answer_is_a_connection_or_a_named_error(
            status in 200u16..600,
            body in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..64),
                json().prop_map(|v| v.to_string().into_bytes()),
                mutated(documented().prop_map(|v| v.to_string())).prop_map(String::into_bytes),
            ],
            refresh in any::<bool>(),
        ) {
            match answer(status, body, refresh) {
                Ok(connection) => prop_assert!((200..300).contains(&status), "{:?}", connection),
                Err(Error::Decode(_)) => prop_assert!((200..300).contains(&status)),
                Err(
                    Error::InvalidCredentials
                    | Error::ReconnectionNeeded
                    | Error::CodeRejected
                    | Error::RateLimited,
                ) => prop_assert!(!(200..300).contains(&status)),
                Err(Error::Upstream(s)) => prop_assert_eq!(s, status),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
        }

        #[test]
        fn documented_answers_give_their_connection(wire in documented(), refresh in any::<bool>()) {
            let body = wire.to_string().into_bytes();
            let got = answer(200, body, refresh).unwrap();
            prop_assert_eq!(got.access_token.expose_secret(), wire["access_token"].as_str().unwrap());
            prop_assert_eq!(got.refresh_token.expose_secret(), wire["refresh_token"].as_str().unwrap());
            prop_assert_eq!(got.api_host.as_str(), wire["httpsBaseUrl"]["hostname"].as_str().unwrap());
            prop_assert_eq!(u64::from(got.api_port), wire["httpsBaseUrl"]["port"].as_u64().unwrap());
            prop_assert!(got.expires_at > Timestamp::now() - jiff::SignedDuration::from_secs(60));
        }

        #[test]
        fn api_hosts_outside_the_domain_are_refused(
            host in prop_oneof![
                text(),
                mutated(Just("api.c001.eagleeyenetworks.com".to_owned())),
                Just("api.c001.eagleeyenetworks.co%6D".to_owned()),
            ],
            port in any::<u16>(),
        ) {
            let mut wire = json!({
                "access_token": "a",
                "refresh_token": "r",
                "expires_in": 3600,
                "httpsBaseUrl": {"hostname": host, "port": port},
            });
            let inside = host::api_base(&client().auth_url, &host, port).is_ok();
            match answer(200, wire.to_string().into_bytes(), false) {
                Ok(got) => {
                    prop_assert!(inside);
                    let api = got.api_host.as_str();
                    prop_assert!(api == "eagleeyenetworks.com" || api.ends_with(".eagleeyenetworks.com"), "{}", api);
                }
                Err(Error::Decode(_)) => prop_assert!(!inside),
                Err(other) => prop_assert!(false, "{other:?}"),
            }
            wire["httpsBaseUrl"]["hostname"] = json!(format!("{host}.evil.example"));
            prop_assert!(matches!(answer(200, wire.to_string().into_bytes(), false), Err(Error::Decode(_))));
        }
    }
}
