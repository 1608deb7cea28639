//! The operator's connect flow (EEN API v3): the setup link, the connection page, the
//! connect redirect with its cookie, EEN's callback and disconnecting. A v1 gallery has none
//! of it.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use een_gallery::cache::Status;
use een_gallery::een::ConnectionState;
use een_gallery::gallery::Settings;
use een_gallery::gallery::setup::LinkKind;
use een_gallery::sim::{Endpoint, V3_DEMO_CLIENT_SECRET};
use url::Url;

use crate::support::connect::{GALLERY_REDIRECT, V3Gallery, query_param, sign_in, sim};
use crate::support::gallery::{self, TestApp, TestResponse, attrs, text};
use crate::support::logs::Capture;
use crate::support::v3::v3_client;

/// A v1 backend has nothing to connect: every address of the flow is a plain 404 page, with
/// or without a token, and the announcer has nothing to say.
#[tokio::test]
async fn a_v1_gallery_has_no_connect_flow() {
    let app = gallery::start().await;
    for uri in [
        "/een",
        "/een?setup=anything",
        "/een/connect?setup=anything",
        "/een/callback?code=c&state=s",
        "/een/callback?error=access_denied&state=s",
    ] {
        let response = app.get(uri).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "GET {uri}");
        assert_eq!(
            text(&response.html(), "#error h1").as_deref(),
            Some("Page not found"),
            "GET {uri}"
        );
        assert!(response.header("set-cookie").is_none(), "GET {uri}");
    }
    let response = app
        .request(
            Request::post("/een/disconnect")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("setup=anything"))
                .expect("valid request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(app.state.health.gate().is_ok(), "v1 stays connected");

    // The announcer ends at once: there is no link to print.
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.state.spawn_setup_announcer(),
    )
    .await
    .expect("the announcer ends")
    .expect("the announcer does not panic");
    assert!(!app.state.setup.check(None));
}

/// Pages may post forms to the gallery itself (the connection page's Disconnect), nowhere
/// else.
#[tokio::test]
async fn pages_may_post_forms_to_the_gallery_only() {
    let app = gallery::start().await;
    let response = app.get("/").await;
    let csp = response.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert!(!csp.contains("form-action 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
}

// ---- API v3: the whole flow against the simulator's consent page ----

/// The token of a setup link.
fn token_of(link: &str) -> String {
    let url = Url::parse(link).expect("a full link");
    query_param(&url, "setup").expect("a setup token")
}

/// A connect flow as the operator's browser holds it after `/een/connect`.
struct Flow {
    /// EEN's authorize page, where the gallery sent the browser.
    authorize_url: Url,
    /// The `Set-Cookie` header as sent.
    set_cookie: String,
    /// The flow cookie's value.
    cookie: String,
}

/// `GET /een/connect?setup=token`, expecting the redirect to EEN.
async fn begin(app: &TestApp, token: &str) -> Flow {
    let response = app.get(&format!("/een/connect?setup={token}")).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let location = response.header("location").expect("a location");
    let set_cookie = response.header("set-cookie").expect("a cookie").to_owned();
    let cookie = set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("een_connect="))
        .expect("the flow cookie")
        .to_owned();
    Flow {
        authorize_url: Url::parse(location).expect("an absolute URL"),
        set_cookie,
        cookie,
    }
}

/// The browser arriving at the gallery's callback from EEN's redirect `back`, with the flow
/// cookie `cookie` (or none).
async fn callback(app: &TestApp, back: &Url, cookie: Option<&str>) -> TestResponse {
    let uri = format!("{}?{}", back.path(), back.query().unwrap_or_default());
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, format!("theme=dark; een_connect={cookie}"));
    }
    app.request(request.body(Body::empty()).expect("valid request"))
        .await
}

/// `POST /een/disconnect` with `setup=token`, as the connection page's form sends it.
async fn post_disconnect(app: &TestApp, token: &str) -> TestResponse {
    app.request(
        Request::post("/een/disconnect")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("setup={token}")))
            .expect("valid request"),
    )
    .await
}

/// A new setup link, as the announcer would print it; returns its token.
fn new_token(app: &TestApp, kind: LinkKind) -> String {
    token_of(app.state.setup.renew(kind).expose())
}

/// The whole flow from a link: `/een/connect`, the consent page (Allow), the callback.
async fn connect_with(app: &TestApp, token: &str) -> Flow {
    let flow = begin(app, token).await;
    let back = sign_in(
        &app.sim,
        &v3_client(&app.sim),
        flow.authorize_url.as_str(),
        "allow",
    )
    .await;
    let response = callback(app, &back, Some(&flow.cookie)).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert_eq!(response.header("location"), Some("/"));
    flow
}

/// Waits (letting the announcer run, no timer) until the log has `n` lines containing
/// `needle`; returns the last of them.
async fn logged_line(capture: &Capture, needle: &str, n: usize) -> String {
    for _ in 0..10_000 {
        let logs = capture.text();
        let lines: Vec<&str> = logs.lines().filter(|l| l.contains(needle)).collect();
        if lines.len() >= n {
            assert_eq!(lines.len(), n, "one line per link: {logs}");
            return lines[n - 1].to_owned();
        }
        tokio::task::yield_now().await;
    }
    panic!("no line {n} with {needle} in the log:\n{}", capture.text());
}

/// The link in a log line.
fn link_in(line: &str) -> String {
    line.split_whitespace()
        .find(|word| word.starts_with("http://") && word.contains("setup="))
        .expect("a link")
        .trim_end_matches(['"', ','])
        .to_owned()
}

/// The operator's whole journey, with every log line captured: the connect link from the
/// log, EEN's consent page, the callback, the grid; the management link; "reconnection
/// needed" and its fresh link; reconnecting; disconnecting. Each link is logged once, by
/// its own line; no other secret ever is.
#[tokio::test]
async fn the_setup_link_connects_through_the_consent_page_and_no_secret_is_logged() {
    let capture = Capture::install("trace,een_gallery::sim=off");
    let gallery = V3Gallery::start().await;
    let app = &gallery.app;
    app.wait_for(Status::NotConnected).await;
    app.state.spawn_setup_announcer();

    // At start: a connect link, with the public base.
    let line = logged_line(&capture, "/een/connect?setup=", 1).await;
    assert!(
        line.contains("Not connected to Eagle Eye Networks yet"),
        "{line}"
    );
    let link = link_in(&line);
    assert!(
        link.starts_with("http://127.0.0.1:8080/een/connect?setup="),
        "{link}"
    );
    let first = token_of(&link);
    assert_eq!(first.len(), 43, "32 random bytes, URL-safe base64");

    let page = app.page(&format!("/een?setup={first}")).await;
    assert_eq!(
        text(&page, "#connection-state").as_deref(),
        Some("Not connected")
    );
    assert_eq!(text(&page, "#connect").as_deref(), Some("Connect"));
    assert!(
        attrs(&page, "#disconnect", "action").is_empty(),
        "nothing to disconnect"
    );

    // The link sends the browser to EEN with state and PKCE, bound by a cookie.
    let flow = begin(app, &first).await;
    let cookie_attributes = flow.set_cookie.replacen(&flow.cookie, "B", 1);
    assert_eq!(
        cookie_attributes,
        "een_connect=B; HttpOnly; SameSite=Lax; Path=/een; Max-Age=600"
    );
    assert_eq!(flow.cookie.len(), 43);
    let authorize = &flow.authorize_url;
    assert_eq!(authorize.host_str(), Some("auth.een.test"));
    assert_eq!(authorize.path(), "/oauth2/authorize");
    assert_eq!(
        query_param(authorize, "redirect_uri").as_deref(),
        Some(GALLERY_REDIRECT)
    );
    assert_eq!(
        query_param(authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(query_param(authorize, "code_challenge").is_some());
    let state = query_param(authorize, "state").expect("a state");

    // The consent page, Allow, and back to the gallery.
    let browser = v3_client(&app.sim);
    let back = sign_in(&app.sim, &browser, authorize.as_str(), "allow").await;
    assert!(back.as_str().starts_with(GALLERY_REDIRECT), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(state.as_str()));
    let code = query_param(&back, "code").expect("a code");
    assert!(!gallery.stored());
    let response = callback(app, &back, Some(&flow.cookie)).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert_eq!(response.header("location"), Some("/"));
    assert_eq!(
        response.header("set-cookie"),
        Some("een_connect=; HttpOnly; SameSite=Lax; Path=/een; Max-Age=0")
    );
    assert_eq!(app.state.account.state(), ConnectionState::Connected);
    assert!(gallery.stored(), "the connection is kept in DATA_DIR");
    app.wait_for(Status::Ready).await;
    let grid = app.page("/").await;
    assert_eq!(attrs(&grid, ".tile img", "src").len(), 9, "the grid");
    let restarted = V3Gallery::backend(&app.sim, &gallery.data_dir);
    restarted
        .connect()
        .await
        .expect("a restart needs no browser");

    // The link was spent; the log has the management link instead.
    let used = app.get(&format!("/een/connect?setup={first}")).await;
    assert_eq!(used.status, StatusCode::FORBIDDEN);
    let line = logged_line(&capture, "/een?setup=", 1).await;
    assert!(line.contains("EEN account connected"), "{line}");
    let manage = token_of(&link_in(&line));
    let page = app.page(&format!("/een?setup={manage}")).await;
    assert_eq!(
        text(&page, "#connection-state").as_deref(),
        Some("Connected")
    );
    assert_eq!(text(&page, "#connect").as_deref(), Some("Reconnect"));
    assert_eq!(
        attrs(&page, "#disconnect input[name=setup]", "value"),
        vec![manage.clone()]
    );

    // EEN refuses the refresh: "reconnection needed", and a fresh connect link.
    let esn = app.online_camera().esn.expect("an ESN");
    app.sim.refuse_v3_refreshes(1);
    app.sim.expire_v3_access_tokens();
    assert_eq!(app.get(&format!("/cameras/{esn}")).await.status, 503);
    app.wait_for(Status::ReconnectionNeeded).await;
    let line = logged_line(&capture, "/een/connect?setup=", 2).await;
    assert!(
        line.contains("Eagle Eye Networks asks for the account to be connected again"),
        "{line}"
    );
    let again = token_of(&link_in(&line));
    assert_eq!(
        app.get(&format!("/een?setup={manage}")).await.status,
        StatusCode::FORBIDDEN,
        "the management link of the lost connection is dead"
    );
    let page = app.page(&format!("/een?setup={again}")).await;
    assert_eq!(
        text(&page, "#connection-state").as_deref(),
        Some("Reconnection needed")
    );
    assert_eq!(text(&page, "#connect").as_deref(), Some("Reconnect"));

    // Reconnecting, then disconnecting with the next management link.
    let reflow = connect_with(app, &again).await;
    app.wait_for(Status::Ready).await;
    let line = logged_line(&capture, "/een?setup=", 2).await;
    let manage_again = token_of(&link_in(&line));
    let revocations = app.sim.stats().v3.revocations;
    let response = post_disconnect(app, &manage_again).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert_eq!(response.header("location"), Some("/"));
    assert_eq!(
        app.sim.stats().v3.revocations,
        revocations + 1,
        "revoked at EEN"
    );
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    assert!(!gallery.stored(), "the connection file is gone");
    let grid = app.get("/").await;
    assert_eq!(grid.status, 503);
    assert_eq!(
        text(&grid.html(), "h1").as_deref(),
        Some("Not connected to Eagle Eye Networks yet")
    );
    assert_eq!(
        post_disconnect(app, &manage_again).await.status,
        StatusCode::FORBIDDEN,
        "spent"
    );
    let line = logged_line(&capture, "/een/connect?setup=", 3).await;
    let last = token_of(&link_in(&line));

    // Every secret that crossed the wire or the browser.
    let mut secrets = vec![
        code,
        state,
        flow.cookie.clone(),
        reflow.cookie.clone(),
        V3_DEMO_CLIENT_SECRET.to_owned(),
    ];
    if let Some(state) = query_param(&reflow.authorize_url, "state") {
        secrets.push(state);
    }
    for request in app.sim.requests() {
        if let Some(bearer) = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
        {
            secrets.push(bearer.to_owned());
        }
        if matches!(request.endpoint, Endpoint::V3Token | Endpoint::V3Revoke) {
            for (name, value) in url::form_urlencoded::parse(&request.body) {
                if matches!(&*name, "code" | "code_verifier" | "refresh_token" | "token") {
                    secrets.push(value.into_owned());
                }
            }
        }
    }
    assert!(
        secrets.len() > 10,
        "the scenario used tokens: {}",
        secrets.len()
    );
    let logs = capture.text();
    assert!(logs.contains("EEN account connected"), "the capture works");
    assert!(logs.contains("TRACE"), "at every level");
    for line in logs.lines() {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a log line contains a secret: {line}"
            );
        }
    }
    for token in [&first, &manage, &again, &manage_again, &last] {
        let lines = logs.lines().filter(|line| line.contains(token.as_str()));
        assert_eq!(
            lines.count(),
            1,
            "a setup token is logged once, in its link"
        );
    }
}

/// Without the current setup token nothing starts: no page, no redirect, no cookie, no EEN
/// call.
#[tokio::test]
async fn a_wrong_or_missing_setup_token_is_refused_and_starts_nothing() {
    let gallery = V3Gallery::start().await;
    let app = &gallery.app;
    app.wait_for(Status::NotConnected).await;
    let token = new_token(app, LinkKind::Connect);
    let wrong = format!("{}A", &token[..token.len() - 1]);
    let wrong = if wrong == token {
        format!("{}B", &token[..42])
    } else {
        wrong
    };
    for uri in [
        "/een".to_owned(),
        "/een?setup=".to_owned(),
        format!("/een?setup={wrong}"),
        "/een/connect".to_owned(),
        format!("/een/connect?setup={}", &token[..42]),
        format!("/een/connect?setup={token}{token}"),
        format!("/een/connect?setup={}", token.to_lowercase()),
    ] {
        let response = app.get(&uri).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "GET {uri}");
        assert_eq!(
            text(&response.html(), "#error h1").as_deref(),
            Some("This setup link is not valid"),
            "GET {uri}"
        );
        assert!(response.header("set-cookie").is_none(), "GET {uri}");
        assert!(response.header("location").is_none(), "GET {uri}");
    }
    for body in [format!("setup={wrong}"), String::new()] {
        let response = app
            .request(
                Request::post("/een/disconnect")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .expect("valid request"),
            )
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
    }
    let stats = app.sim.stats();
    assert_eq!(stats.count(Endpoint::V3Authorize), 0);
    assert_eq!(stats.count(Endpoint::V3Token), 0);
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    assert!(!gallery.stored());
    assert!(
        app.state.setup.check(Some(&token)),
        "the real token still works"
    );
}

/// A flow's `state` is good for one callback, in the browser that started it: a missing or
/// foreign cookie, an unknown, missing or replayed state are refused, and the code is never
/// exchanged for them.
#[tokio::test]
async fn a_state_is_good_once_and_only_in_the_browser_that_started_it() {
    let gallery = V3Gallery::start().await;
    let app = &gallery.app;
    app.wait_for(Status::NotConnected).await;
    let token = new_token(app, LinkKind::Connect);
    let browser = v3_client(&app.sim);
    let refused = |response: &TestResponse| {
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        assert_eq!(
            text(&response.html(), "#error h1").as_deref(),
            Some("This sign-in cannot be completed")
        );
    };

    // No cookie (another browser), then the right one: the state was used up.
    let first = begin(app, &token).await;
    let back = sign_in(&app.sim, &browser, first.authorize_url.as_str(), "allow").await;
    refused(&callback(app, &back, None).await);
    refused(&callback(app, &back, Some(&first.cookie)).await);

    // Another flow's cookie.
    let second = begin(app, &token).await;
    let third = begin(app, &token).await;
    let back = sign_in(&app.sim, &browser, second.authorize_url.as_str(), "allow").await;
    let response = callback(app, &back, Some(&third.cookie)).await;
    refused(&response);
    assert!(
        response
            .header("set-cookie")
            .is_some_and(|c| c.starts_with("een_connect=;") && c.contains("Max-Age=0")),
        "the flow cookie is cleared"
    );
    refused(&callback(app, &back, Some(&second.cookie)).await);

    // Unknown and missing states.
    let fourth = begin(app, &token).await;
    let unknown = Url::parse(&format!("{GALLERY_REDIRECT}?code=abc&state=unknown")).unwrap();
    refused(&callback(app, &unknown, Some(&fourth.cookie)).await);
    let missing = Url::parse(&format!("{GALLERY_REDIRECT}?code=abc")).unwrap();
    refused(&callback(app, &missing, Some(&fourth.cookie)).await);

    assert_eq!(
        app.sim.stats().count(Endpoint::V3Token),
        0,
        "no code exchanged"
    );
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    assert!(!gallery.stored());

    // The right browser, once: connected. Again: refused, and no second exchange.
    let fifth = begin(app, &token).await;
    let back = sign_in(&app.sim, &browser, fifth.authorize_url.as_str(), "allow").await;
    let response = callback(app, &back, Some(&fifth.cookie)).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert_eq!(app.state.account.state(), ConnectionState::Connected);
    let exchanges = app.sim.stats().count(Endpoint::V3Token);
    refused(&callback(app, &back, Some(&fifth.cookie)).await);
    assert_eq!(app.sim.stats().count(Endpoint::V3Token), exchanges);
    assert!(!app.state.setup.check(Some(&token)), "the token was spent");
}

/// Deny at EEN, or a code EEN will not take: a clear page, nothing stored, and the setup
/// link still works for another try.
#[tokio::test]
async fn deny_or_a_refused_code_stores_nothing_and_the_link_still_works() {
    let gallery = V3Gallery::start().await;
    let app = &gallery.app;
    app.wait_for(Status::NotConnected).await;
    let token = new_token(app, LinkKind::Connect);
    let browser = v3_client(&app.sim);

    let flow = begin(app, &token).await;
    let back = sign_in(&app.sim, &browser, flow.authorize_url.as_str(), "deny").await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("access_denied")
    );
    let response = callback(app, &back, Some(&flow.cookie)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        text(&response.html(), "#error h1").as_deref(),
        Some("Access was not granted")
    );
    assert_eq!(app.sim.stats().count(Endpoint::V3Token), 0);

    let flow = begin(app, &token).await;
    let back = sign_in(&app.sim, &browser, flow.authorize_url.as_str(), "allow").await;
    let mut forged = back.clone();
    let state = query_param(&back, "state").expect("a state");
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", "not-a-code-een-issued")
        .append_pair("state", &state);
    let response = callback(app, &forged, Some(&flow.cookie)).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        text(&response.html(), "#error h1").as_deref(),
        Some("Eagle Eye Networks did not complete the sign-in")
    );
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    assert!(!gallery.stored());
    assert_eq!(app.state.health.status(), Status::NotConnected);

    assert!(
        app.state.setup.check(Some(&token)),
        "the link was not used up"
    );
    connect_with(app, &token).await;
    assert_eq!(app.state.account.state(), ConnectionState::Connected);
}

/// Behind HTTPS under a path, the flow cookie is `Secure` and scoped to that path, and the
/// pages link under it.
#[tokio::test]
async fn behind_https_under_a_path_the_cookie_is_secure_and_links_follow_the_path() {
    let settings = Settings {
        public_url: Url::parse("https://gallery.example.com/cams/").ok(),
        ..Settings::default()
    };
    let gallery = V3Gallery::start_with(sim(|_| {}).await, settings).await;
    let app = &gallery.app;
    app.wait_for(Status::NotConnected).await;
    let link = app.state.setup.renew(LinkKind::Manage);
    assert!(
        link.expose()
            .starts_with("https://gallery.example.com/cams/een?setup="),
        "{link:?}"
    );
    let token = token_of(link.expose());
    let page = app.page(&format!("/een?setup={token}")).await;
    assert_eq!(
        attrs(&page, "#connect", "href"),
        vec![format!("/cams/een/connect?setup={token}")]
    );
    let flow = begin(app, &token).await;
    assert_eq!(
        flow.set_cookie.replacen(&flow.cookie, "B", 1),
        "een_connect=B; HttpOnly; SameSite=Lax; Path=/cams/een; Max-Age=600; Secure"
    );
}
