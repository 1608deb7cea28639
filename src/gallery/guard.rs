//! Who is asking, and whether they may see cameras: the `identify` middleware finds the
//! [`Visitor`] of every request (by session cookie, or a trusted proxy's header), and the
//! route layers keep strangers away from camera data: pages send them to the sign-in page
//! (and back after it), images and `/metrics` answer 401.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies;
use super::error::AppError;
use super::state::AppState;
use crate::auth::Principal;

/// The cookie holding a sign-in session's id.
pub const SESSION_COOKIE: &str = "een_session";

/// Who sent a request.
#[derive(Clone, Debug)]
pub enum Visitor {
    /// Anybody: the gallery is open (`AUTH=none`, or the demo without users).
    Anyone,
    /// A signed-in user, or one a trusted proxy names.
    User(Principal),
    /// Nobody the gallery knows; `sign_in` is the sign-in page, if the gallery has one.
    Stranger {
        /// The sign-in page's path.
        sign_in: Option<String>,
        /// The gallery's path prefix, which the request's path no longer has.
        base: String,
    },
}

impl Visitor {
    /// Whether the visitor may see cameras.
    pub fn may_view(&self) -> bool {
        !matches!(self, Visitor::Stranger { .. })
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&Principal> {
        match self {
            Visitor::User(user) => Some(user),
            _ => None,
        }
    }

    /// Whether the visitor is a signed-in admin.
    pub fn is_admin(&self) -> bool {
        self.user().is_some_and(Principal::is_admin)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = Infallible;

    /// The visitor `identify` found; a stranger where it did not run.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .unwrap_or(Visitor::Stranger {
                sign_in: None,
                base: String::new(),
            }))
    }
}

/// The peer's address, when the server put it in the request (tests calling the router
/// directly do not).
pub fn peer(request: &Request) -> Option<IpAddr> {
    peer_of(request.extensions())
}

fn peer_of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// The connection's peer address, as an extractor (`None` where the server gave none).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Peer(peer_of(&parts.extensions)))
    }
}

/// Finds the request's [`Visitor`] and puts it in the request's extensions.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let visitor = if state.auth.is_open() {
        Visitor::Anyone
    } else {
        let session = cookies::value(request.headers(), SESSION_COOKIE);
        match state
            .auth
            .identify(peer(&request), request.headers(), session)
            .await
        {
            Some(user) => Visitor::User(user),
            None => Visitor::Stranger {
                sign_in: state
                    .auth
                    .has_sign_in()
                    .then(|| format!("{}/login", state.setup.base_path())),
                base: state.setup.base_path().to_owned(),
            },
        }
    };
    request.extensions_mut().insert(visitor);
    next.run(request).await
}

/// Pages need a visitor who may view; a stranger goes to the sign-in page, which sends them
/// back to this page after (its path and query are a local path, never a secret).
pub async fn pages_need_viewer(visitor: Visitor, request: Request, next: Next) -> Response {
    match visitor {
        Visitor::Stranger {
            sign_in: Some(sign_in),
            base,
        } => {
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let back = format!("{base}{path}");
            let query = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &back)
                .finish();
            let mut response = Redirect::to(&format!("{sign_in}?{query}")).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                super::cache_policy::header(super::cache_policy::NO_STORE),
            );
            response
        }
        Visitor::Stranger { sign_in: None, .. } => AppError::SignInRequired.into_response(),
        _ => next.run(request).await,
    }
}

/// Images need a visitor who may view: strangers get 401. With sign-in on, images are for
/// the browser that asked only: no shared cache in front may keep them (`private`).
pub async fn images_need_viewer(visitor: Visitor, request: Request, next: Next) -> Response {
    match visitor {
        Visitor::Stranger { .. } => AppError::SignInRequired.into_response(),
        Visitor::Anyone => next.run(request).await,
        Visitor::User(_) => {
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            let private = headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("public"))
                .and_then(|rest| HeaderValue::try_from(format!("private{rest}")).ok());
            if let Some(private) = private {
                headers.insert(header::CACHE_CONTROL, private);
            }
            response
        }
    }
}
