//! Shared helpers for the simulator's integration tests: a simulator on `127.0.0.1:0` reached
//! through the names `login.een.test` and `c000.een.test`, a login done the way the reference
//! Python client does it, and a raw HTTP/1.1 exchange for byte-exact assertions.

// Each test binary uses a different part of this module.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use een_gallery::sim::{self, DEMO_PASSWORD, DEMO_USERNAME, SimConfig, SimHandle};
use reqwest::header::SET_COOKIE;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

pub const DOMAIN: &str = "een.test";
pub const LOGIN_HOST: &str = "login.een.test";
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

/// A response read straight off the socket.
#[derive(Debug)]
pub struct RawResponse {
    /// `HTTP/1.1 401 session expired`.
    pub status_line: String,
    /// Header lines as sent (names lowercased for lookup).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Sends one raw HTTP/1.1 request (`Connection: close` is added) and reads the whole answer.
pub async fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> RawResponse {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    let mut request = head
        .trim_end_matches("\r\n")
        .replace('\n', "\r\n")
        .replace("\r\r", "\r");
    request.push_str(&format!(
        "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.expect("writes");
    stream.write_all(body).await.expect("writes body");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("reads");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8(bytes[..split].to_vec()).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    RawResponse {
        status_line,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}
