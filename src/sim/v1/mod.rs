//! EEN API v1 (SIM-xx of the wire specification): login and sessions, the device list, the
//! preview assets, and their wire format. Every endpoint reads the shared state of
//! [`http::state`](crate::sim::http::state); the dispatcher calls [`respond`].
//!
//! - `auth`: authenticate tokens and sessions; `aaa`: `/g/aaa/*` and `/g/user`;
//!   `devices`: `/g/device/list` and `/g/device`; `assets`: `/asset/*`.
//! - `wire`: the error envelope, EEN's headers, pretty JSON, cookies;
//!   `params`: allowed query keys and EEN's time parameters.

pub(crate) mod aaa;
pub(crate) mod assets;
pub(crate) mod auth;
pub(crate) mod devices;
pub(crate) mod params;
pub(crate) mod wire;

use axum::http::Method;
use axum::response::Response;
use rand::RngExt;

use auth::{Auth, SessionCandidates, SessionRef};
use wire::ApiError;

use crate::sim::http::state::{Ctx, SimState};
use crate::sim::{Endpoint, Faults};

/// Answers a request for a v1 endpoint: injected errors, the session check, the endpoint.
pub(crate) async fn respond(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
    candidates: &SessionCandidates,
    faults: &Faults,
) -> Response {
    if ctx.endpoint == Endpoint::Other {
        return ApiError::not_found("not found").into_response();
    }
    if let Some(error) = injected_error(faults, ctx.endpoint) {
        return error.into_response();
    }
    let result = match ctx.endpoint {
        Endpoint::Authenticate => aaa::authenticate(state, auth, ctx).await,
        Endpoint::Authorize => aaa::authorize(state, auth, ctx).await,
        endpoint => match session(state, auth, ctx, candidates, faults) {
            Err(e) => Err(e),
            Ok(session) => match endpoint {
                Endpoint::IsAuth => aaa::isauth(state, ctx),
                Endpoint::Logout => aaa::logout(state, auth, ctx, candidates),
                Endpoint::User => aaa::user(state, auth, ctx, session),
                Endpoint::DeviceList => devices::list(state, ctx),
                Endpoint::Device => devices::device(state, ctx),
                Endpoint::ListImage => assets::list(state, ctx),
                _ => assets::image(state, ctx, faults).await,
            },
        },
    };
    result.unwrap_or_else(ApiError::into_response)
}

/// The first injected error that fires for `endpoint`, if any.
fn injected_error(faults: &Faults, endpoint: Endpoint) -> Option<ApiError> {
    faults
        .errors
        .iter()
        .filter(|e| e.endpoint.is_none_or(|only| only == endpoint))
        .find(|e| e.rate >= 1.0 || (e.rate > 0.0 && rand::rng().random::<f64>() < e.rate))
        .map(|e| ApiError::injected(e.status))
}

/// Method check, then the session the request acts as (SIM-20 … SIM-23, SIM-50).
fn session(
    state: &SimState,
    auth: &Auth,
    ctx: &Ctx,
    candidates: &SessionCandidates,
    faults: &Faults,
) -> Result<SessionRef, ApiError> {
    let allowed = match ctx.endpoint {
        Endpoint::Logout if !state.config.logout_via_get => ctx.method == Method::POST,
        _ => ctx.method == Method::GET || ctx.method == Method::POST,
    };
    if !allowed {
        return Err(ApiError::method_not_allowed());
    }
    auth.check(candidates, ctx.on_login_host(state), faults)
}
