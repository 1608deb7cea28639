//! The EEN API v3 simulator as public v3 clients call it (spec `een-api-v3.md` §14): the v3
//! host names resolved to the simulator, the consent page filled in as a browser does,
//! form-encoded token requests with HTTP Basic, bearer calls to the host `httpsBaseUrl` names,
//! percent-encoded `+00:00` timestamps.

use base64::Engine;
use een_gallery::sim::{
    DEMO_PASSWORD, DEMO_USERNAME, SimConfig, SimHandle, V3_DEMO_CLIENT_ID, V3_DEMO_CLIENT_SECRET,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use scraper::{Html, Selector};
use serde_json::Value;
use url::Url;

use super::sim;

pub const AUTH_HOST: &str = "auth.een.test";
pub const API_HOST: &str = "api.c000.een.test";
pub const GLOBAL_API_HOST: &str = "api.een.test";
/// Another cluster's API host, for the "API host moved" fault.
pub const MOVED_API_HOST: &str = "api.c013.een.test";
/// EEN's documented local test redirect URI (registered for the demo client).
pub const REDIRECT: &str = "http://127.0.0.1:3333";

/// A simulator with base domain `een.test`, adjusted by `f`.
pub async fn v3_sim(f: impl FnOnce(&mut SimConfig)) -> SimHandle {
    sim::sim_with(f).await
}

/// A client that resolves every v3 host to the simulator, follows no redirects (the tests
/// look at them) and keeps no cookies.
pub fn v3_client(sim: &SimHandle) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(AUTH_HOST, sim.addr())
        .resolve(API_HOST, sim.addr())
        .resolve(GLOBAL_API_HOST, sim.addr())
        .resolve(MOVED_API_HOST, sim.addr())
        .resolve(sim::LOGIN_HOST, sim.addr())
        .resolve(sim::CLUSTER_HOST, sim.addr())
        .build()
        .expect("client builds")
}

/// `http://HOST:PORT/<path_and_query>`.
pub fn url(sim: &SimHandle, host: &str, path_and_query: &str) -> Url {
    sim.url_for_host(host)
        .join(path_and_query)
        .expect("valid URL")
}

/// The authorize URL as EEN documents it (spec §2.2), `redirect_uri` percent-encoded once.
pub fn authorize_url(sim: &SimHandle, redirect_uri: &str, state: Option<&str>) -> Url {
    let mut url = url(sim, AUTH_HOST, "/oauth2/authorize");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("scope", "vms.all")
            .append_pair("client_id", V3_DEMO_CLIENT_ID)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri);
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    url
}

/// The form of a consent page as a browser would submit it: its hidden fields, plus
/// `extra` (user name, password, the button pressed).
pub fn consent_form(html: &str, extra: &[(&str, &str)]) -> (String, Vec<(String, String)>) {
    let page = Html::parse_document(html);
    let form_sel = Selector::parse("form").unwrap();
    let form = page.select(&form_sel).next().expect("a form");
    assert_eq!(form.value().attr("method"), Some("post"));
    let action = form.value().attr("action").expect("an action").to_owned();
    let input = Selector::parse("input[type=hidden]").unwrap();
    let mut fields: Vec<(String, String)> = form
        .select(&input)
        .map(|i| {
            (
                i.value().attr("name").unwrap().to_owned(),
                i.value().attr("value").unwrap_or_default().to_owned(),
            )
        })
        .collect();
    for (k, v) in extra {
        fields.push(((*k).to_owned(), (*v).to_owned()));
    }
    (action, fields)
}

/// The query pairs of a redirect's `Location`, after checking where it points.
pub fn redirected_to(response: &reqwest::Response, redirect_uri: &str) -> Vec<(String, String)> {
    assert_eq!(response.status(), 302, "a redirect");
    let location = response.headers()[LOCATION].to_str().unwrap();
    assert!(
        location.starts_with(&format!("{redirect_uri}?")),
        "{location}"
    );
    let url = Url::parse(location).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A browser through the consent page: GET it, fill in the demo user, press Allow, read
/// the code off the redirect.
pub async fn consent(sim: &SimHandle, client: &reqwest::Client, state: &str) -> String {
    let page = client
        .get(authorize_url(sim, REDIRECT, Some(state)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let (action, fields) = consent_form(
        &html,
        &[
            ("username", DEMO_USERNAME),
            ("password", DEMO_PASSWORD),
            ("action", "allow"),
        ],
    );
    let response = client
        .post(url(sim, AUTH_HOST, &action))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let pairs = redirected_to(&response, REDIRECT);
    assert_eq!(pair(&pairs, "state"), Some(state), "state is echoed");
    pair(&pairs, "code").expect("a code").to_owned()
}

/// `POST /oauth2/token` as SKILL-01 and the official samples send it: HTTP Basic, a form
/// body, `Accept: application/json`.
pub async fn token_call(
    sim: &SimHandle,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url(sim, AUTH_HOST, "/oauth2/token"))
        .basic_auth(V3_DEMO_CLIENT_ID, Some(V3_DEMO_CLIENT_SECRET))
        .header(ACCEPT, "application/json")
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The code exchange; asserts success and returns the token JSON.
pub async fn exchange(sim: &SimHandle, client: &reqwest::Client, code: &str) -> Value {
    let response = token_call(
        sim,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("scope", "vms.all"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A refresh (`scope` sent, as SKILL-02 does); the response as it came.
pub async fn refresh(
    sim: &SimHandle,
    client: &reqwest::Client,
    refresh_token: &str,
) -> reqwest::Response {
    token_call(
        sim,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("scope", "vms.all"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

/// A simulator that approves every authorize request as the demo user, its client, and a
/// fresh token pair.
pub struct V3 {
    pub sim: SimHandle,
    pub client: reqwest::Client,
    pub tokens: Value,
}

impl V3 {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(f: impl FnOnce(&mut SimConfig)) -> Self {
        let sim = v3_sim(|c| {
            c.v3.auto_approve = Some(DEMO_USERNAME.to_owned());
            f(c);
        })
        .await;
        let client = v3_client(&sim);
        let tokens = Self::log_in(&sim, &client).await;
        Self {
            sim,
            client,
            tokens,
        }
    }

    /// Authorize (auto-approved) and exchange the code.
    pub async fn log_in(sim: &SimHandle, client: &reqwest::Client) -> Value {
        let response = client
            .get(authorize_url(sim, REDIRECT, None))
            .send()
            .await
            .unwrap();
        let pairs = redirected_to(&response, REDIRECT);
        let code = pair(&pairs, "code").unwrap().to_owned();
        exchange(sim, client, &code).await
    }

    pub fn access(&self) -> &str {
        self.tokens["access_token"].as_str().unwrap()
    }

    pub fn refresh_token(&self) -> &str {
        self.tokens["refresh_token"].as_str().unwrap()
    }

    /// `GET https://<api host>/api/v3.0/<path_and_query>` with the bearer token.
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.get_as(self.access(), path_and_query).await
    }

    pub async fn get_as(&self, token: &str, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(url(
                &self.sim,
                API_HOST,
                &format!("/api/v3.0/{path_and_query}"),
            ))
            .bearer_auth(token)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .unwrap()
    }

    /// A JSON GET that must answer 200.
    pub async fn json(&self, path_and_query: &str) -> Value {
        let response = self.get(path_and_query).await;
        assert_eq!(response.status(), 200, "{path_and_query}");
        response.json().await.unwrap()
    }

    /// An image GET with `Accept: image/jpeg`, as EEN's examples send it.
    pub async fn image(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(url(
                &self.sim,
                API_HOST,
                &format!("/api/v3.0/{path_and_query}"),
            ))
            .bearer_auth(self.access())
            .header(ACCEPT, "image/jpeg")
            .send()
            .await
            .unwrap()
    }

    /// The cameras of the demo account, every page, with `include`.
    pub async fn cameras(&self, include: &str) -> Vec<Value> {
        let body = self
            .json(&format!("cameras?include={include}&pageSize=500"))
            .await;
        assert_eq!(body["nextPageToken"], "");
        body["results"].as_array().unwrap().clone()
    }

    /// The id of the first camera with this connection status.
    pub async fn camera_with_status(&self, status: &str) -> String {
        self.cameras("status")
            .await
            .into_iter()
            .find(|c| c["status"]["connectionStatus"] == status)
            .and_then(|c| c["id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("a camera that is {status}"))
    }

    /// The id of the camera named `name`.
    pub async fn camera_named(&self, name: &str) -> String {
        let body = self.json(&format!("cameras?name={}", enc(name))).await;
        body["results"][0]["id"].as_str().unwrap().to_owned()
    }
}

/// Percent-encodes a query value (`:` → `%3A`, `+` → `%2B`), as EEN's examples do.
pub fn enc(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Asserts the §5.1 envelope with the §5.2 status and reason; returns the body.
pub async fn envelope(response: reqwest::Response, code: u16, status: &str, reason: &str) -> Value {
    assert_eq!(response.status(), code);
    assert_eq!(
        response.headers()[CONTENT_TYPE].to_str().unwrap(),
        "application/json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["details"][0]["type"], "errorInfo", "{body}");
    assert_eq!(body["details"][0]["reason"], reason, "{body}");
    assert_eq!(body["details"][0]["domain"], "apiv3", "{body}");
    body
}

/// The text of a JPEG's comment segment (`een-sim esn=… ts=…`).
pub fn jpeg_comment(jpeg: &[u8]) -> String {
    super::jpeg::comment(jpeg).expect("a JPEG with a comment")
}

/// Milliseconds of a `2024-11-07T20:44:09.439+00:00` timestamp, checking that exact form.
pub fn iso_ms(text: &str) -> i64 {
    let b = text.as_bytes();
    assert!(
        b.len() == 29 && b[19] == b'.' && text.ends_with("+00:00"),
        "{text} is not YYYY-MM-DDTHH:MM:SS.sss+00:00"
    );
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// `ms` as the clients send it: `…T…​.sss+00:00`.
pub fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00")
        .to_string()
}

/// The claims of a JWT-shaped token.
pub fn jwt_claims(token: &str) -> Value {
    let claims = token.split('.').nth(1).expect("three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
