//! A gallery with sign-in on, served on a real loopback socket (so the server's peer address
//! reaches the handlers), and a browser's side of signing in: the form, the cookies.

use std::path::PathBuf;
use std::time::Duration;

use een_gallery::auth::{Auth, Lifetimes, Role, TrustedProxies, Users, UsersFile};
use een_gallery::gallery::app;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use scraper::Html;
use secrecy::SecretString;

use super::connect::temp_dir;
use een_gallery::gallery::Settings;

use super::gallery::{Options, Served, TestApp, attrs, serve, start_with};

/// The admin of every signed-in gallery, and their password.
pub const ADMIN: (&str, &str) = ("ada", "ada's long password");
/// The viewer, and their password.
pub const VIEWER: (&str, &str) = ("vic", "vic's long password");

/// A gallery whose users file holds [`ADMIN`] and [`VIEWER`], served over HTTP; its
/// [`Browser`] is at hand (`door.sign_in(…)`).
pub struct Door {
    /// The gallery and its simulator.
    pub app: TestApp,
    /// The server.
    pub served: Served,
    /// The users file.
    pub users_path: PathBuf,
    dir: PathBuf,
    browser: Browser,
}

impl std::ops::Deref for Door {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// A browser's side of one gallery served over HTTP: it follows no redirect and keeps no
/// cookie, so each test says what it sends.
pub struct Browser {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// The HTTP client.
    pub http: reqwest::Client,
}

impl Drop for Door {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The users file of [`ADMIN`] and [`VIEWER`] at `path`.
pub fn write_users(path: &std::path::Path) {
    let mut users = Users::default();
    for (name, password, role) in [
        (ADMIN.0, ADMIN.1, Role::Admin),
        (VIEWER.0, VIEWER.1, Role::Viewer),
    ] {
        users
            .add(name, role, &SecretString::from(password))
            .expect("a user");
    }
    users.save(path).expect("the users file");
}

impl Door {
    /// Sign-in with the users file, default lifetimes, no trusted proxy.
    pub async fn start() -> Self {
        Self::start_with(|file| Auth::users(file, Lifetimes::default(), TrustedProxies::default()))
            .await
    }

    /// The gallery with the [`Auth`] `auth` makes of the users file.
    pub async fn start_with(auth: impl FnOnce(UsersFile) -> Auth) -> Self {
        Self::start_at(Settings::default(), auth).await
    }

    /// The same with `settings` (a public URL, say).
    pub async fn start_at(settings: Settings, auth: impl FnOnce(UsersFile) -> Auth) -> Self {
        let dir = temp_dir("signin");
        let users_path = dir.join("users");
        write_users(&users_path);
        let file = UsersFile::open(&users_path).expect("readable");
        let gallery = start_with(Options {
            settings,
            ..Options::default()
        })
        .await;
        let state = gallery.state.clone().with_auth(auth(file));
        let served = serve(app(state), Duration::from_secs(1)).await;
        let browser = Browser::at(served.addr);
        Self {
            app: gallery,
            served,
            users_path,
            dir,
            browser,
        }
    }
}

impl Browser {
    /// A browser of the gallery at `addr`.
    pub fn at(addr: std::net::SocketAddr) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        Self {
            base: format!("http://{addr}"),
            http,
        }
    }

    /// `GET path`, with `cookies` (`name=value; …`) if any.
    pub async fn get(&self, path: &str, cookies: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookies) = cookies {
            request = request.header(COOKIE, cookies);
        }
        request.send().await.expect("the gallery answers")
    }

    /// The sign-in form: its cookie (`een_login=…`) and its token.
    pub async fn login_form(&self) -> (String, String) {
        let page = self.get("/login", None).await;
        assert_eq!(page.status(), 200, "the sign-in page");
        let cookie = cookie_pair(&page, "een_login").expect("the form's cookie");
        let html = Html::parse_document(&page.text().await.expect("a page"));
        let token = attrs(&html, "#sign-in-form input[name=csrf]", "value")
            .pop()
            .expect("the form's token");
        (cookie, token)
    }

    /// Posts the sign-in form with `fields` (and `X-Forwarded-For: forwarded`, if given).
    pub async fn post_login(
        &self,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        forwarded: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}/login", self.base)).form(fields);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-for", forwarded);
        }
        request.send().await.expect("the gallery answers")
    }

    /// Signs in as `user` (fresh form) and answers the session cookie (`een_session=…`), or
    /// the refusal.
    pub async fn sign_in(&self, user: &str, password: &str) -> Result<String, reqwest::Response> {
        let (cookie, token) = self.login_form().await;
        let answer = self
            .post_login(
                Some(&cookie),
                &[("csrf", &token), ("user", user), ("password", password)],
                None,
            )
            .await;
        match cookie_pair(&answer, "een_session") {
            Some(session) if answer.status() == 303 => Ok(session),
            _ => Err(answer),
        }
    }

    /// A signed-in page's form token (the sign-out form's hidden field).
    pub async fn form_token(&self, session: &str) -> String {
        let page = self.get("/", Some(session)).await;
        assert_eq!(page.status(), 200, "the grid, signed in");
        let html = Html::parse_document(&page.text().await.expect("a page"));
        attrs(&html, "#sign-out input[name=csrf]", "value")
            .pop()
            .expect("the sign-out form's token")
    }

    /// `POST path` with `fields` and `cookies`.
    pub async fn post(
        &self,
        path: &str,
        cookies: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookies)
            .form(fields)
            .send()
            .await
            .expect("the gallery answers")
    }
}

/// `name=value` of the `Set-Cookie` for `name`, if set (and not cleared).
pub fn cookie_pair(response: &reqwest::Response, name: &str) -> Option<String> {
    set_cookie(response, name)
        .and_then(|cookie| cookie.split(';').next().map(str::to_owned))
        .filter(|pair| pair.len() > name.len() + 1)
}

/// The whole `Set-Cookie` header for `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Where a redirect goes.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
