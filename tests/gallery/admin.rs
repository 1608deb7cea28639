//! The admin's EEN page (issues 12 and 14): a signed-in admin connects and disconnects EEN
//! from `/een` with the page's form token instead of the setup link; a viewer and a stranger
//! cannot, and a form without the token does nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use een_gallery::auth::{Auth, Lifetimes, TrustedProxies, UsersFile};
use een_gallery::een::ConnectionState;
use een_gallery::gallery::app;
use url::Url;

use crate::support::connect::{V3Gallery, sign_in, temp_dir};
use crate::support::gallery::{TestApp, TestResponse, attrs};
use crate::support::signin::{ADMIN, VIEWER, write_users};
use crate::support::v3::v3_client;

/// A v3 gallery, not connected, with the sign-in of [`ADMIN`] and [`VIEWER`].
async fn gallery() -> (V3Gallery, std::path::PathBuf) {
    let mut v3 = V3Gallery::start().await;
    let dir = temp_dir("admin-users");
    write_users(&dir.join("users"));
    let file = UsersFile::open(&dir.join("users")).unwrap();
    let auth = Auth::users(file, Lifetimes::default(), TrustedProxies::default());
    v3.app.state = v3.app.state.clone().with_auth(auth);
    v3.app.router = app(v3.app.state.clone());
    (v3, dir)
}

fn form(uri: &str, cookie: &str, body: String) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body))
        .unwrap()
}

fn get(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

fn cookie_of(response: &TestResponse, name: &str) -> String {
    response
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .expect("the cookie")
        .to_owned()
}

/// Signs in through the router; the session cookie.
async fn session(app: &TestApp, (user, password): (&str, &str)) -> String {
    let page = app.get("/login").await;
    let login = cookie_of(&page, "een_login");
    let token = attrs(&page.html(), "#sign-in-form input[name=csrf]", "value").remove(0);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &token)
        .append_pair("user", user)
        .append_pair("password", password)
        .finish();
    let answer = app.request(form("/login", &login, body)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.text());
    cookie_of(&answer, "een_session")
}

#[tokio::test]
async fn a_signed_in_admin_connects_and_disconnects_from_the_admin_page() {
    let (v3, dir) = gallery().await;
    let app = &v3.app;
    let admin = session(app, ADMIN).await;

    // The grid links admins to the EEN page; the page's forms carry the admin's token.
    let grid = app.request(get("/", &admin)).await;
    assert_eq!(attrs(&grid.html(), "#admin-link", "href"), ["/een"]);
    let page = app.request(get("/een", &admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.html();
    assert_eq!(attrs(&html, "#connect-form", "action"), ["/een/connect"]);
    let token = attrs(&html, "#connect-form input[name=csrf]", "value").remove(0);
    assert!(
        !page.text().contains("setup="),
        "no setup link on the admin's page"
    );

    // Without the token, nothing starts.
    let forged = app
        .request(form("/een/connect", &admin, "csrf=forged".to_owned()))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let started = app
        .request(form("/een/connect", &admin, format!("csrf={token}")))
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.text());
    let authorize = started.header("location").expect("to EEN").to_owned();
    let flow = cookie_of(&started, "een_connect");
    let back: Url = sign_in(&app.sim, &v3_client(&app.sim), &authorize, "allow").await;
    let uri = format!("{}?{}", back.path(), back.query().unwrap_or_default());
    let done = app.request(get(&uri, &format!("{admin}; {flow}"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    assert_eq!(app.state.account.state(), ConnectionState::Connected);
    assert!(v3.stored());

    // Disconnect, with the token of the page now showing.
    let page = app.request(get("/een", &admin)).await;
    let html = page.html();
    let token = attrs(&html, "#disconnect input[name=csrf]", "value").remove(0);
    let forged = app
        .request(form("/een/disconnect", &admin, "csrf=forged".to_owned()))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.account.state(), ConnectionState::Connected);
    let gone = app
        .request(form("/een/disconnect", &admin, format!("csrf={token}")))
        .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER, "{}", gone.text());
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    assert!(!v3.stored());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn viewers_and_strangers_cannot_manage_the_connection() {
    let (v3, dir) = gallery().await;
    let app = &v3.app;
    let viewer = session(app, VIEWER).await;
    let grid = app.request(get("/", &viewer)).await;
    assert!(attrs(&grid.html(), "#admin-link", "href").is_empty());
    let token = attrs(&grid.html(), "#sign-out input[name=csrf]", "value").remove(0);

    assert_eq!(
        app.request(get("/een", &viewer)).await.status,
        StatusCode::FORBIDDEN
    );
    for path in ["/een/connect", "/een/disconnect"] {
        let answer = app
            .request(form(path, &viewer, format!("csrf={token}")))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        let answer = app.request(form(path, "", format!("csrf={token}"))).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}: a stranger");
        assert!(answer.header("location").is_none(), "{path}");
    }
    assert_eq!(app.state.account.state(), ConnectionState::NotConnected);
    std::fs::remove_dir_all(dir).unwrap();
}
