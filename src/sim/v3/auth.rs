//! The OAuth2 endpoints (V3-SIM-10 … 14): `/oauth2/authorize` (consent page, codes),
//! `/oauth2/token` (code exchange, refresh) and `/oauth2/revoke`.
//!
//! Token-endpoint errors use RFC 6749 bodies (`{"error":"invalid_grant",…}`): no EEN source
//! shows them (spec §2.4), and clients are told to branch on the status alone.

use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, WWW_AUTHENTICATE,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::consent::{self, AuthorizeParams};
use super::oauth::RefreshError;
use super::stats::V3Event;
use super::wire::Query;
use super::{Req, V3Client};
use crate::sim::http::state::SimState;

/// The only scope EEN documents (spec §2.1).
const SCOPE: &str = "vms.all";

/// An OAuth error answer of the token and revoke endpoints.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
    basic_challenge: bool,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: &'static str) -> Self {
        Self {
            status,
            error,
            description,
            basic_challenge: false,
        }
    }

    fn bad(error: &'static str, description: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, description)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, body.to_string()).into_response();
        let h = response.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if self.basic_challenge {
            h.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"een\""),
            );
        }
        response
    }
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `302 Found` to the client's redirect URI with `params` added to its query.
fn redirect(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.finish());
    let mut response = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            response.headers_mut().insert(LOCATION, value);
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => html(
            StatusCode::BAD_REQUEST,
            consent::error_page("The redirect URI cannot be used."),
        ),
    }
}

/// Where an authorize request's parameters come from: the query (GET) or the form (POST).
fn authorize_params(q: &Query) -> AuthorizeParams {
    let owned = |name: &str| q.get(name).map(str::to_owned);
    AuthorizeParams {
        client_id: owned("client_id").unwrap_or_default(),
        redirect_uri: owned("redirect_uri").unwrap_or_default(),
        response_type: owned("response_type").unwrap_or_default(),
        scope: owned("scope"),
        state: owned("state"),
        code_challenge: owned("code_challenge"),
        code_challenge_method: owned("code_challenge_method"),
    }
}

/// The checks every authorize request passes before a person sees the page: the answer for
/// a request that fails one. An unknown client or redirect URI gets an error page; anything
/// else wrong goes back to the client as `error=…` (RFC 6749 §4.1.2.1).
fn refuse_authorize(req: &Req<'_>, p: &AuthorizeParams) -> Option<Response> {
    let page = |message: &str| html(StatusCode::BAD_REQUEST, consent::error_page(message));
    if p.client_id.is_empty() {
        return Some(page("The request has no client_id."));
    }
    let Some(client) = req.v3.client(&p.client_id) else {
        return Some(page("The client_id is not a registered application."));
    };
    if p.redirect_uri.is_empty() {
        return Some(page("The request has no redirect_uri."));
    }
    if !client.redirect_uris.contains(&p.redirect_uri) {
        return Some(page(
            "The redirect_uri is not registered for this application (exact match required).",
        ));
    }
    let back = |error: &str, description: &str| {
        let mut params = vec![("error", error), ("error_description", description)];
        if let Some(s) = &p.state {
            params.push(("state", s));
        }
        redirect(&p.redirect_uri, &params)
    };
    if p.response_type != "code" {
        return Some(back(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    if p.scope.as_deref().is_some_and(|s| s != SCOPE) {
        return Some(back("invalid_scope", "scope must be vms.all"));
    }
    if let Some(challenge) = &p.code_challenge {
        if p.code_challenge_method.as_deref() != Some("S256") {
            return Some(back(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        let ok = (43..=128).contains(&challenge.len())
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if !ok {
            return Some(back("invalid_request", "malformed code_challenge"));
        }
    }
    None
}

fn approve(state: &SimState, req: &Req<'_>, p: &AuthorizeParams, user: usize) -> Response {
    let code = req.v3.oauth.new_code(
        &p.client_id,
        &p.redirect_uri,
        user,
        p.code_challenge.clone(),
    );
    state.recorder.v3.count(V3Event::CodeIssued);
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &p.state {
        params.push(("state", s));
    }
    redirect(&p.redirect_uri, &params)
}

/// `GET /oauth2/authorize` shows the page; `POST` (the page's form) approves or denies.
pub(crate) fn authorize(state: &SimState, req: &Req<'_>) -> Response {
    let form;
    let q = if req.method == Method::POST {
        form = Query::parse(req.body);
        &form
    } else if req.method == Method::GET {
        &req.query
    } else {
        return html(
            StatusCode::METHOD_NOT_ALLOWED,
            consent::error_page("Use GET or POST."),
        );
    };
    let params = authorize_params(q);
    if let Some(response) = refuse_authorize(req, &params) {
        return response;
    }
    if let Some(user) = state
        .config
        .v3
        .auto_approve
        .as_deref()
        .and_then(|u| req.v3.user_index(u))
    {
        return approve(state, req, &params, user);
    }
    if req.method == Method::GET {
        return html(StatusCode::OK, consent::page(&params, None, ""));
    }
    if q.get("action") == Some("deny") {
        let mut back = vec![
            ("error", "access_denied"),
            ("error_description", "The user denied access"),
        ];
        if let Some(s) = &params.state {
            back.push(("state", s));
        }
        return redirect(&params.redirect_uri, &back);
    }
    let username = q.get("username").unwrap_or_default();
    let password = q.get("password").unwrap_or_default();
    match req.v3.check_credentials(username, password) {
        Some(user) if q.get("action").is_none_or(|a| a == "allow") => {
            approve(state, req, &params, user)
        }
        Some(_) => html(
            StatusCode::BAD_REQUEST,
            consent::page(&params, Some("Choose Allow or Deny."), username),
        ),
        None => html(
            StatusCode::UNAUTHORIZED,
            consent::page(&params, Some("Wrong email or password."), username),
        ),
    }
}

/// Token and revoke parameters: the form body, then the query string (older samples send
/// them there with an empty body; spec §2.3).
fn token_params<'r>(req: &'r Req<'r>) -> impl Fn(&str) -> Option<String> + 'r {
    let body = Query::parse(req.body);
    move |name: &str| {
        body.get_nonempty(name)
            .or_else(|| req.query.get_nonempty(name))
            .map(str::to_owned)
    }
}

/// V3-SIM-12: the client, by HTTP Basic or by `client_id` + `client_secret` fields.
fn client<'r>(
    req: &'r Req<'r>,
    param: &dyn Fn(&str) -> Option<String>,
) -> Result<&'r V3Client, OAuthError> {
    let basic = req
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then(|| rest.trim())
        });
    let unknown = |basic_challenge| OAuthError {
        basic_challenge,
        ..OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed",
        )
    };
    let (id, secret) = match basic {
        Some(encoded) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| unknown(true))?;
            let (id, secret) = decoded.split_once(':').ok_or_else(|| unknown(true))?;
            (id.to_owned(), secret.to_owned())
        }
        None => match (param("client_id"), param("client_secret")) {
            (Some(id), Some(secret)) => (id, secret),
            _ => return Err(unknown(false)),
        },
    };
    // RFC 6749 §2.3.1 form-encodes both before Basic; most clients do not. Accept either.
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    req.v3
        .clients()
        .iter()
        .find(|c| {
            (c.id == id && c.secret == secret)
                || (c.id == decode(&id) && c.secret == decode(&secret))
        })
        .ok_or_else(|| unknown(basic.is_some()))
}

fn token_answer(req: &Req<'_>, issued: &super::oauth::Issued) -> Response {
    let (hostname, port) = req.v3.api_host();
    let body = json!({
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
        "httpsBaseUrl": { "hostname": hostname, "port": port },
        "scope": SCOPE,
        "token_type": "Bearer",
    });
    let mut response = (StatusCode::OK, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `POST /oauth2/token` (V3-SIM-12, 13).
pub(crate) fn token(state: &SimState, req: &Req<'_>) -> Response {
    token_inner(state, req).unwrap_or_else(IntoResponse::into_response)
}

fn token_inner(state: &SimState, req: &Req<'_>) -> Result<Response, OAuthError> {
    if req.method != Method::POST {
        return Err(OAuthError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "use POST",
        ));
    }
    let param = token_params(req);
    let client = client(req, &param)?;
    if param("scope").is_some_and(|s| s != SCOPE) {
        return Err(OAuthError::bad("invalid_scope", "scope must be vms.all"));
    }
    let unauthorized_after = state.faults().unauthorized_after_login;

    let issued = match param("grant_type").as_deref() {
        Some("authorization_code") => {
            let code = param("code")
                .ok_or_else(|| OAuthError::bad("invalid_request", "code is missing"))?;
            let redirect_uri = param("redirect_uri")
                .ok_or_else(|| OAuthError::bad("invalid_request", "redirect_uri is missing"))?;
            let invalid = || OAuthError::bad("invalid_grant", "invalid authorization code");
            let code = req.v3.oauth.take_code(&code).ok_or_else(invalid)?;
            if code.client_id != client.id || code.redirect_uri != redirect_uri {
                return Err(invalid());
            }
            if let Some(challenge) = &code.challenge {
                let verifier = param("code_verifier")
                    .ok_or_else(|| OAuthError::bad("invalid_grant", "code_verifier is missing"))?;
                if pkce_s256(&verifier) != *challenge {
                    return Err(OAuthError::bad(
                        "invalid_grant",
                        "code_verifier does not match",
                    ));
                }
            }
            let user_id = req.v3.user(code.user).id;
            req.v3
                .oauth
                .issue(&client.id, (code.user, user_id), unauthorized_after)
        }
        Some("refresh_token") => {
            let token = param("refresh_token")
                .ok_or_else(|| OAuthError::bad("invalid_request", "refresh_token is missing"))?;
            let refused = || {
                state.recorder.v3.count(V3Event::RotationRefused);
                OAuthError::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_grant",
                    "the refresh token is invalid, expired, revoked or already used",
                )
            };
            if req.v3.take_refusal() {
                req.v3.oauth.kill_refresh(&client.id, &token);
                return Err(refused());
            }
            let issued = req
                .v3
                .oauth
                .refresh(
                    &client.id,
                    &token,
                    |user| req.v3.user(user).id.to_owned(),
                    unauthorized_after,
                )
                .map_err(|e| match e {
                    RefreshError::Invalid => refused(),
                    RefreshError::OtherClient => OAuthError::bad(
                        "invalid_grant",
                        "the refresh token belongs to another client",
                    ),
                })?;
            state.recorder.v3.count(V3Event::Refreshed);
            issued
        }
        Some(_) => {
            return Err(OAuthError::bad(
                "unsupported_grant_type",
                "grant_type must be authorization_code or refresh_token",
            ));
        }
        None => return Err(OAuthError::bad("invalid_request", "grant_type is missing")),
    };
    if issued.minted {
        state.recorder.v3.count(V3Event::TokenIssued);
    }
    Ok(token_answer(req, &issued))
}

/// `BASE64URL(SHA-256(verifier))` without padding (RFC 7636 S256).
fn pkce_s256(verifier: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// `POST /oauth2/revoke` (V3-SIM-14): 200 with an empty body, also for a token that is
/// unknown or dead already (RFC 7009 §2.2).
pub(crate) fn revoke(state: &SimState, req: &Req<'_>) -> Response {
    let inner = || -> Result<Response, OAuthError> {
        if req.method != Method::POST {
            return Err(OAuthError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "use POST",
            ));
        }
        let param = token_params(req);
        let client = client(req, &param)?;
        let token =
            param("token").ok_or_else(|| OAuthError::bad("invalid_request", "token is missing"))?;
        if req.v3.oauth.revoke(&client.id, &token) {
            state.recorder.v3.count(V3Event::Revoked);
        }
        Ok(StatusCode::OK.into_response())
    };
    inner().unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn v3_sim_10_pkce_s256_is_unpadded_base64url_of_sha_256() {
        // SHA-256("abc") is the FIPS 180-2 example digest ba7816bf…15ad.
        assert_eq!(
            super::pkce_s256("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
