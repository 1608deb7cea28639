//! The operator's connect flow (EEN API v3): the connection page, the start of a connect
//! flow, EEN's callback, and disconnecting. Every step but the callback needs the setup
//! token from the log (see `gallery::setup`); the callback needs the flow's `state` and the
//! cookie of the browser that started it. For a backend without a connect flow (v1) these
//! addresses do not exist.
//!
//! Nothing secret reaches a log line: the request span names the route only, and no error
//! here carries the token, the state, the verifier or the code.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{html, layout};
use crate::een::ConnectionState;
use crate::gallery::cache_policy::{self, NO_STORE};
use crate::gallery::cookies;
use crate::gallery::error::{AppError, ConnectProblem, Result};
use crate::gallery::extract::{Form, Query};
use crate::gallery::guard::Visitor;
use crate::gallery::setup::{FLOW_TTL, Setup, same_secret};
use crate::gallery::state::AppState;
use crate::gallery::views::ConnectPage;

/// The cookie that binds a connect flow to the browser that started it.
pub const FLOW_COOKIE: &str = "een_connect";

/// A request carrying the setup token (`?setup=`). No `Debug`: it holds the token.
#[derive(Deserialize)]
pub struct SetupParams {
    setup: Option<String>,
}

/// A connect or disconnect form: the setup token, or a signed-in admin's form token. No
/// `Debug`: it holds them.
#[derive(Deserialize)]
pub struct ProofForm {
    setup: Option<String>,
    csrf: Option<String>,
}

/// What EEN sends to the redirect URI: `code` and `state`, or `error` and `state`. No
/// `Debug`: it holds the code.
#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// What allowed a step: the setup token from the log (spent when the step succeeds), or a
/// signed-in admin (whose forms carry their form token).
pub enum Proof {
    /// The setup token.
    Setup(SecretString),
    /// A signed-in admin's form token.
    Admin(SecretString),
}

impl Proof {
    /// The setup token to spend on success (none for an admin).
    fn setup_token(&self) -> &str {
        match self {
            Proof::Setup(token) => token.expose_secret(),
            Proof::Admin(_) => "",
        }
    }
}

/// `GET /een` (a signed-in admin) or `GET /een?setup=…`: the connection's state, with Connect
/// (or Reconnect) and Disconnect.
pub async fn manage(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<SetupParams>>,
) -> Result<Response> {
    let Query(params) = connect_flow_only(&state, params)?;
    let proof = match params.setup.as_deref() {
        Some(token) => authorize(&state, &visitor, Some(token), None)?,
        None => authorize_admin(&visitor)?,
    };
    let base = state.setup.base_path();
    let (state_label, state_class, explanation, connected) = match state.account.state() {
        ConnectionState::Connected => (
            "Connected",
            "connected",
            "The gallery shows the cameras of the connected Eagle Eye Networks account. \
             Disconnecting revokes its access at Eagle Eye Networks.",
            true,
        ),
        ConnectionState::NotConnected => (
            "Not connected",
            "not-connected",
            "No Eagle Eye Networks account is connected. Connect one by signing in at Eagle \
             Eye Networks and allowing the gallery access.",
            false,
        ),
        ConnectionState::ReconnectionNeeded => (
            "Reconnection needed",
            "reconnect",
            "Eagle Eye Networks no longer accepts the gallery's connection (it expired or was \
             revoked). Sign in again to reconnect.",
            true,
        ),
    };
    let (setup, csrf) = match proof {
        Proof::Setup(token) => (Some(token), None),
        Proof::Admin(csrf) => (None, Some(csrf)),
    };
    let page = ConnectPage {
        layout: layout(&state, &visitor),
        state_label,
        state_class,
        explanation,
        connect_label: if connected { "Reconnect" } else { "Connect" },
        connect_path: format!("{base}/een/connect"),
        disconnect_path: connected.then(|| format!("{base}/een/disconnect")),
        home_href: home(&state),
        setup,
        csrf,
    };
    html(&page)
}

/// `GET /een/connect?setup=…` (the link in the log): starts a connect flow and sends the
/// browser to EEN's authorize page, with a cookie binding the flow to this browser.
pub async fn connect(
    State(state): State<AppState>,
    visitor: Visitor,
    params: Result<Query<SetupParams>>,
) -> Result<Response> {
    let Query(params) = connect_flow_only(&state, params)?;
    let proof = authorize(&state, &visitor, params.setup.as_deref(), None)?;
    start(&state, &proof)
}

/// `POST /een/connect` (form field `setup`, or a signed-in admin's `csrf`): the same, from the
/// connection page's button.
pub async fn connect_form(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ProofForm>,
) -> Result<Response> {
    let proof = authorize(
        &state,
        &visitor,
        form.setup.as_deref(),
        form.csrf.as_deref(),
    )?;
    start(&state, &proof)
}

fn start(state: &AppState, proof: &Proof) -> Result<Response> {
    let request = state.account.begin().ok_or(AppError::PageNotFound)?;
    let binding = state
        .setup
        .start_flow(&request.state, request.verifier, proof.setup_token());
    let cookie = flow_cookie(&state.setup, Some(&binding));
    Ok(see_other(request.url.as_str(), Some(cookie)))
}

/// `GET /een/callback?code=…&state=…` (or `?error=…&state=…`): EEN sends the browser back.
/// The flow must be known (once), belong to this browser, and EEN must take the code; then
/// the connection is kept, the setup token is spent and the browser goes to the grid.
/// Anything else stores nothing.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<CallbackParams>>,
) -> Result<Response> {
    let Query(params) = connect_flow_only(&state, params)?;
    // Whatever happens next, this browser's flow cookie has served its purpose.
    let clear = flow_cookie(&state.setup, None);
    match finish(&state, &headers, params).await {
        Ok(()) => Ok(see_other(&home(&state), Some(clear))),
        Err(problem) => Ok((
            [(header::SET_COOKIE, clear)],
            AppError::ConnectFailed(problem),
        )
            .into_response()),
    }
}

async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    params: CallbackParams,
) -> std::result::Result<(), ConnectProblem> {
    let flow = params
        .state
        .as_deref()
        .and_then(|s| state.setup.finish_flow(s))
        .ok_or(ConnectProblem::NotThisFlow)?;
    let cookie = cookies::value(headers, FLOW_COOKIE).ok_or(ConnectProblem::NotThisFlow)?;
    if !same_secret(cookie, flow.binding.expose_secret()) {
        return Err(ConnectProblem::NotThisFlow);
    }
    if params.error.is_some() {
        return Err(ConnectProblem::Denied);
    }
    let code = params
        .code
        .filter(|code| !code.is_empty())
        .ok_or(ConnectProblem::ExchangeFailed)?;
    state
        .account
        .complete(&code, &flow.verifier)
        .await
        // The account logs why; the page says what the operator can do.
        .map_err(|_| ConnectProblem::ExchangeFailed)?;
    // It may be another account than before: nothing cached of that one is shown.
    forget_account_data(state);
    state.setup.spend(flow.token.expose_secret());
    Ok(())
}

/// `POST /een/disconnect` (form field `setup`, or a signed-in admin's `csrf`): revokes the
/// connection at EEN and forgets it, with the cameras and images cached of it; the pages then
/// say "not connected", and the log shows a new connect link.
pub async fn disconnect(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<ProofForm>,
) -> Result<Response> {
    let proof = authorize(
        &state,
        &visitor,
        form.setup.as_deref(),
        form.csrf.as_deref(),
    )?;
    if let Err(failure) = state.account.disconnect().await {
        // The backend forgets the connection even when EEN cannot be told (the account
        // logged why); only a connection still held is worth an error page.
        if state.account.state() == ConnectionState::Connected {
            return Err(failure.into());
        }
    }
    forget_account_data(&state);
    state.setup.spend(proof.setup_token());
    Ok(see_other(&home(&state), None))
}

/// Drops the cached camera list and images of the account that was connected until now.
fn forget_account_data(state: &AppState) {
    state.directory.forget();
    state.images.forget();
}

/// The grid, under the gallery's base path.
fn home(state: &AppState) -> String {
    format!("{}/", state.setup.base_path())
}

/// A `303 See Other` to `location`, kept by no cache, setting `cookie`.
fn see_other(location: &str, cookie: Option<HeaderValue>) -> Response {
    let mut response = Redirect::to(location).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_policy::header(NO_STORE));
    if let Some(cookie) = cookie {
        headers.insert(header::SET_COOKIE, cookie);
    }
    response
}

/// The query's parameters, once the backend is known to have a connect flow: without one
/// (v1) these addresses do not exist, whatever their query holds (a malformed one answered
/// 400 before this was checked, showing that they do). The forms keep their extractor, so an
/// oversized body is still refused (413) before anything else.
fn connect_flow_only<T>(state: &AppState, params: Result<T>) -> Result<T> {
    if !state.account.can_connect() {
        return Err(AppError::PageNotFound);
    }
    params
}

/// What allows a step: the current setup token (`setup`), or a signed-in admin presenting
/// their form token (`csrf`; a GET link carries none, so it needs the setup token).
fn authorize(
    state: &AppState,
    visitor: &Visitor,
    setup: Option<&str>,
    csrf: Option<&str>,
) -> Result<Proof> {
    if !state.account.can_connect() {
        return Err(AppError::PageNotFound);
    }
    if let Some(token) = setup {
        return if state.setup.check(Some(token)) {
            Ok(Proof::Setup(SecretString::from(token)))
        } else {
            Err(AppError::SetupLinkInvalid)
        };
    }
    let Proof::Admin(expected) = authorize_admin(visitor)? else {
        return Err(AppError::SetupLinkInvalid);
    };
    match csrf {
        Some(csrf) if same_secret(csrf, expected.expose_secret()) => Ok(Proof::Admin(expected)),
        _ => Err(AppError::FormExpired),
    }
}

/// A signed-in admin, or why not: a stranger must sign in (or use the setup link), a viewer
/// is not an admin.
fn authorize_admin(visitor: &Visitor) -> Result<Proof> {
    match visitor.user() {
        Some(user) if user.is_admin() => Ok(Proof::Admin(user.csrf.clone())),
        Some(_) => Err(AppError::AdminOnly),
        None => Err(AppError::SetupLinkInvalid),
    }
}

/// `Set-Cookie` for the flow cookie: `binding` for [`FLOW_TTL`], or cleared (`None`). Only
/// this server's `/een` pages get it back, never a script (`HttpOnly`); `SameSite=Lax`
/// still sends it on the top-level redirect from EEN back to the callback.
pub fn flow_cookie(setup: &Setup, binding: Option<&SecretString>) -> HeaderValue {
    let path = format!("{}/een", setup.base_path());
    let scope = cookies::Scope {
        path: &path,
        same_site: "Lax",
        secure: setup.is_https(),
    };
    cookies::set(
        FLOW_COOKIE,
        binding.map(ExposeSecret::expose_secret),
        FLOW_TTL,
        scope,
    )
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;
    use crate::gallery::setup::public_base;

    fn setup(redirect: &str) -> Setup {
        Setup::new(public_base(&redirect.parse().unwrap()))
    }

    #[test]
    fn the_flow_cookie_is_http_only_lax_under_een_for_ten_minutes() {
        let binding = SecretString::from("b1nd1ng");
        let plain = flow_cookie(&setup("http://127.0.0.1:8080/een/callback"), Some(&binding));
        assert_eq!(
            plain,
            "een_connect=b1nd1ng; HttpOnly; SameSite=Lax; Path=/een; Max-Age=600"
        );
        let secure = flow_cookie(&setup("https://g.example.com/een/callback"), Some(&binding));
        assert_eq!(
            secure,
            "een_connect=b1nd1ng; HttpOnly; SameSite=Lax; Path=/een; Max-Age=600; Secure"
        );
        let nested = flow_cookie(&setup("https://g.example.com/cams/een/callback"), None);
        assert_eq!(
            nested,
            "een_connect=; HttpOnly; SameSite=Lax; Path=/cams/een; Max-Age=0; Secure"
        );
        assert_eq!(
            flow_cookie(&Setup::new(None), None),
            "een_connect=; HttpOnly; SameSite=Lax; Path=/een; Max-Age=0"
        );
    }

    #[test]
    fn the_connection_page_carries_the_token_in_its_link_and_form_only() {
        let page = ConnectPage {
            layout: crate::gallery::views::Layout::new(false, crate::cache::Status::Ready, "/cams"),
            state_label: "Connected",
            state_class: "connected",
            explanation: "",
            connect_label: "Reconnect",
            connect_path: "/cams/een/connect".to_owned(),
            disconnect_path: Some("/cams/een/disconnect".to_owned()),
            home_href: "/cams/".to_owned(),
            setup: Some(SecretString::from("t0k-en_")),
            csrf: None,
        };
        let html = page.render().unwrap();
        assert!(
            html.contains(r#"href="/cams/een/connect?setup=t0k-en_""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<form method="post" action="/cams/een/disconnect" id="disconnect">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<input type="hidden" name="setup" value="t0k-en_">"#),
            "{html}"
        );
        assert_eq!(html.matches("t0k-en_").count(), 2, "{html}");
        assert!(!format!("{page:?}").contains("t0k-en_"));
    }
}
