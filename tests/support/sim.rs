//! The simulator every test talks to: on `127.0.0.1:0` under the made-up domain `een.test`,
//! reached through the names `login.een.test` and `c000.een.test`, and a login done the way the
//! reference Python client does it.

use een_gallery::sim::{self, DEMO_PASSWORD, DEMO_USERNAME, Faults, SimConfig, SimHandle};
use reqwest::header::SET_COOKIE;
use url::Url;

/// The simulator's base domain in every test.
pub const DOMAIN: &str = "een.test";
/// The simulator's login host under [`DOMAIN`].
pub const LOGIN_HOST: &str = "login.een.test";
/// The simulator's cluster host under [`DOMAIN`], where API calls go after login.
pub const CLUSTER_HOST: &str = "c000.een.test";

/// The demo simulator with base domain `een.test`.
pub async fn sim() -> SimHandle {
    sim_with(|_| {}).await
}

/// The demo simulator with base domain `een.test`, adjusted by `f`.
pub async fn sim_with(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig {
        base_domain: DOMAIN.to_owned(),
        ..SimConfig::default()
    };
    f(&mut config);
    sim::spawn(config).await.expect("simulator starts")
}

/// The demo simulator with base domain `een.test` and `faults` from the start.
pub async fn sim_with_faults(faults: Faults) -> SimHandle {
    sim_with(|config| config.faults = faults).await
}

/// A client that resolves both simulator host names to the simulator, with no cookie jar and
/// no proxy.
pub fn client(sim: &SimHandle) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .resolve(LOGIN_HOST, sim.addr())
        .resolve(CLUSTER_HOST, sim.addr())
        .build()
        .expect("client builds")
}

/// `http://login.een.test:PORT/<path_and_query>`.
pub fn login_url(sim: &SimHandle, path_and_query: &str) -> Url {
    sim.url_for_host(LOGIN_HOST)
        .join(path_and_query)
        .expect("valid URL")
}

/// `http://c000.een.test:PORT/<path_and_query>`.
pub fn cluster_url(sim: &SimHandle, path_and_query: &str) -> Url {
    sim.url_for_host(CLUSTER_HOST)
        .join(path_and_query)
        .expect("valid URL")
}

/// Authenticate as the reference Python client does: a `str` body, so no Content-Type, with
/// the username not percent-encoded (a raw `@`). Returns the token.
pub async fn authenticate(sim: &SimHandle, client: &reqwest::Client) -> String {
    let body = format!("username={DEMO_USERNAME}&password={DEMO_PASSWORD}&realm=eagleeyenetworks");
    let response = client
        .post(login_url(sim, "/g/aaa/authenticate"))
        .body(body)
        .send()
        .await
        .expect("authenticate answers");
    assert_eq!(response.status(), 200);
    let json: serde_json::Value = response.json().await.expect("token JSON");
    json["token"].as_str().expect("a token").to_owned()
}

/// The full login; returns the session key from the `auth_key` cookie.
pub async fn login(sim: &SimHandle, client: &reqwest::Client) -> String {
    let token = authenticate(sim, client).await;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &token)
        .finish();
    let response = client
        .post(login_url(sim, "/g/aaa/authorize"))
        .body(body)
        .send()
        .await
        .expect("authorize answers");
    assert_eq!(response.status(), 200);
    session_from(&response).expect("an auth_key cookie")
}

/// The `auth_key` value of a response's `Set-Cookie` headers.
pub fn session_from(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("auth_key="))
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned)
}

/// GET with the session as `Cookie: auth_key=…`, as the spec recommends clients send it.
pub async fn get(client: &reqwest::Client, url: Url, key: &str) -> reqwest::Response {
    client
        .get(url)
        .header("Cookie", format!("auth_key={key}"))
        .send()
        .await
        .expect("the simulator answers")
}
