//! Signing in and out, when the gallery's users file says who may (`AUTH=users`): `GET
//! /login` (the form), `POST /login`, `POST /logout`. In the other modes these addresses do
//! not exist.
//!
//! The sign-in form carries a random token that is also in a short-lived cookie only this
//! path gets back (`SameSite=Strict`), so another site cannot post it (login CSRF). A
//! successful sign-in always starts a new session (the id is never one a browser brought),
//! ends the one the browser had, and returns to the page first asked for, if that is a path
//! of this gallery. Nothing typed in the form reaches a log line.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::layout;
use crate::auth::SignInError;
use crate::auth::secret::{random_secret, same_secret};
use crate::gallery::cache_policy::{self, NO_STORE};
use crate::gallery::cookies::{self, Scope};
use crate::gallery::error::{AppError, Result};
use crate::gallery::extract::{Form, Query};
use crate::gallery::guard::{Peer, SESSION_COOKIE, Visitor};
use crate::gallery::state::AppState;
use crate::gallery::views::LoginPage;

/// The cookie holding the sign-in form's token.
pub const LOGIN_COOKIE: &str = "een_login";

/// How long a sign-in form stays good.
const LOGIN_FORM_TTL: Duration = Duration::from_secs(3600);

/// `?next=`: where to go after signing in.
#[derive(Debug, Deserialize)]
pub struct NextParams {
    next: Option<String>,
}

/// The sign-in form. No `Debug`: it holds the password.
#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

/// A form that carries only the visitor's form token. No `Debug`: it holds the token.
#[derive(Deserialize)]
pub struct TokenForm {
    csrf: Option<String>,
}

/// `GET /login?next=…`: the sign-in form (a signed-in visitor goes straight on to `next`).
pub async fn page(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    params: Result<Query<NextParams>>,
) -> Result<Response> {
    if !state.auth.has_sign_in() {
        return Err(AppError::PageNotFound);
    }
    let Query(params) = params?;
    let next = local_next(&base(&state), params.next.as_deref());
    if visitor.user().is_some() {
        return Ok(see_other(&next, &[]));
    }
    // Another tab's form stays good: its token is reused while its cookie lives.
    let token = cookies::value(&headers, LOGIN_COOKIE)
        .filter(|token| is_token(token))
        .map_or_else(random_secret, SecretString::from);
    sign_in_page(&state, StatusCode::OK, token, next, String::new(), None)
}

/// `POST /login`: checks the form's token, the rate limit and the password; on success a
/// new session and a redirect to `next`.
pub async fn sign_in(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response> {
    if !state.auth.has_sign_in() {
        return Err(AppError::PageNotFound);
    }
    let next = local_next(&base(&state), form.next.as_deref());
    let presented = cookies::value(&headers, LOGIN_COOKIE).filter(|token| is_token(token));
    let Some(token) = presented.filter(|token| same_secret(&form.csrf, token)) else {
        let message = "The sign-in form had expired. Please sign in again.";
        return sign_in_page(
            &state,
            StatusCode::FORBIDDEN,
            random_secret(),
            next,
            form.user,
            Some(message.to_owned()),
        );
    };
    let token = SecretString::from(token);
    let client = state.auth.client_address(peer, &headers);
    let password = SecretString::from(form.password);
    match state.auth.sign_in(client, &form.user, password).await {
        Ok(session) => {
            if let Some(old) = cookies::value(&headers, SESSION_COOKIE) {
                state.auth.sign_out(old).await;
            }
            tracing::info!(user = %form.user, "signed in");
            let max_age = state.auth.lifetimes().absolute;
            let session_cookie = session_cookie(&state, Some(&session), max_age);
            let form_cookie = login_cookie(&state, None);
            Ok(see_other(&next, &[session_cookie, form_cookie]))
        }
        Err(SignInError::Wrong) => {
            // The same answer for an unknown name as for a wrong password.
            tracing::info!("sign-in refused: wrong user name or password");
            let message = "Wrong user name or password.";
            sign_in_page(
                &state,
                StatusCode::UNAUTHORIZED,
                token,
                next,
                form.user,
                Some(message.to_owned()),
            )
        }
        Err(SignInError::Limited(wait)) => {
            tracing::warn!(client = ?client, "sign-in refused: too many failures");
            let secs = wait.as_secs().max(1);
            let minutes = secs.div_ceil(60);
            let message = format!(
                "Too many failed sign-ins. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            );
            let mut response = sign_in_page(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                token,
                next,
                form.user,
                Some(message),
            )?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Ok(response)
        }
        Err(SignInError::NoSignIn) => Err(AppError::PageNotFound),
    }
}

/// `POST /logout` (form field `csrf`): ends the session here, not just in the browser, and
/// goes to the sign-in page.
pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response> {
    if !state.auth.has_sign_in() {
        return Err(AppError::PageNotFound);
    }
    if let Some(user) = visitor.user() {
        let presented = form.csrf.as_deref().unwrap_or_default();
        if !same_secret(presented, user.csrf.expose_secret()) {
            return Err(AppError::FormExpired);
        }
        if let Some(id) = cookies::value(&headers, SESSION_COOKIE) {
            state.auth.sign_out(id).await;
        }
        tracing::info!(user = %user.name, "signed out");
    }
    let cleared = session_cookie(&state, None, Duration::ZERO);
    let mut response = see_other(&format!("{}/login", base(&state)), &[cleared]);
    // Images are kept by the browser for a year (`private, immutable`): without this, the
    // camera images seen before stay viewable on this device after signing out.
    response.headers_mut().insert(
        HeaderName::from_static("clear-site-data"),
        HeaderValue::from_static("\"cache\""),
    );
    Ok(response)
}

fn sign_in_page(
    state: &AppState,
    status: StatusCode,
    token: SecretString,
    next: String,
    name: String,
    message: Option<String>,
) -> Result<Response> {
    let cookie = login_cookie(state, Some(&token));
    let page = LoginPage {
        // No camera search on the sign-in page: it would lead straight back here.
        layout: layout(state, &Visitor::Anyone).with_search(false),
        action: format!("{}/login", base(state)),
        csrf: token,
        next,
        // Only what a name may hold is shown again (the rest was never a name).
        name: if crate::auth::users::valid_name(&name) {
            name
        } else {
            String::new()
        },
        message,
    };
    let mut response = super::html(&page)?;
    *response.status_mut() = status;
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `next`, if it is a path of this gallery that a redirect can carry; else the grid.
pub fn local_next(base: &str, next: Option<&str>) -> String {
    let home = format!("{base}/");
    let Some(next) = next else { return home };
    let local = next.starts_with(&home)
        // `//host` and `/\host` are other sites to a browser.
        && !next.starts_with("//")
        && !next.contains('\\')
        // Visible ASCII only: what a header (and a redirect) may carry unescaped.
        && next.bytes().all(|b| b.is_ascii_graphic())
        && !next.starts_with(&format!("{base}/login"));
    if local { next.to_owned() } else { home }
}

/// A token this gallery could have made: URL-safe base64 of 32 bytes.
fn is_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn base(state: &AppState) -> String {
    state.setup.base_path().to_owned()
}

fn session_cookie(state: &AppState, id: Option<&SecretString>, max_age: Duration) -> HeaderValue {
    let path = format!("{}/", base(state));
    let scope = Scope {
        path: &path,
        // Lax: a link to a camera page from mail or chat opens signed in.
        same_site: "Lax",
        secure: state.setup.is_https(),
    };
    cookies::set(
        SESSION_COOKIE,
        id.map(|id| id.expose_secret()),
        max_age,
        scope,
    )
}

fn login_cookie(state: &AppState, token: Option<&SecretString>) -> HeaderValue {
    let path = format!("{}/login", base(state));
    let scope = Scope {
        path: &path,
        same_site: "Strict",
        secure: state.setup.is_https(),
    };
    cookies::set(
        LOGIN_COOKIE,
        token.map(|t| t.expose_secret()),
        LOGIN_FORM_TTL,
        scope,
    )
}

/// A `303 See Other` to `location`, kept by no cache, setting `cookies`.
fn see_other(location: &str, cookies: &[HeaderValue]) -> Response {
    let mut response = Redirect::to(location).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, cache_policy::header(NO_STORE));
    for cookie in cookies {
        headers.append(HeaderName::from_static("set-cookie"), cookie.clone());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_next("", None), "/");
        assert_eq!(
            local_next("", Some("/cameras/1001?before=x")),
            "/cameras/1001?before=x"
        );
        for outside in [
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "evil",
            "/login?next=/",
            "/caméra",
            "/a b",
            "",
        ] {
            assert_eq!(local_next("", Some(outside)), "/", "{outside}");
        }
        assert_eq!(
            local_next("/cams", Some("/cams/cameras/1")),
            "/cams/cameras/1"
        );
        assert_eq!(local_next("/cams", Some("/other/")), "/cams/");
    }

    #[test]
    fn tokens_look_like_the_gallerys_own() {
        assert!(is_token(random_secret().expose_secret()));
        assert!(!is_token("short"));
        assert!(!is_token(&"a;".repeat(22)[..43]));
    }
}
