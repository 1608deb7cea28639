//! The endpoints for orchestrators: liveness, readiness, metrics.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;

use crate::cache::Status;
use crate::gallery::cache_policy::{self, NO_STORE};
use crate::gallery::error::AppError;
use crate::gallery::guard::Visitor;
use crate::gallery::state::AppState;
use crate::store::Store;

/// `GET /healthz`: the process serves HTTP.
pub async fn healthz() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, cache_policy::header(NO_STORE))],
        "ok\n",
    )
}

/// `GET /readyz`: 200 once an EEN session works; 503 (saying why) before that and while EEN
/// is unreachable or rejects the credentials. With a shared store a second line says how it
/// stands; it does not decide readiness: without it the gallery serves from its own cache
/// and EEN.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let status = state.health.status();
    let code = if status == Status::Ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut text = format!("{}\n", status.describe());
    if let Some(store) = &state.store {
        text.push_str("store: ");
        text.push_str(store.status().describe());
        text.push('\n');
    }
    (
        code,
        [(header::CACHE_CONTROL, cache_policy::header(NO_STORE))],
        text,
    )
}

/// `GET /metrics`: Prometheus text format. Open when the gallery is; otherwise for a
/// signed-in admin, or with `Authorization: Bearer <METRICS_TOKEN>` (401 for anybody else).
pub async fn metrics(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<impl IntoResponse, AppError> {
    let allowed = state.auth.metrics_open()
        || visitor.is_admin()
        || state.auth.metrics_token_presented(&headers);
    if !allowed {
        return Err(match visitor.user() {
            Some(_) => AppError::AdminOnly,
            None => AppError::SignInRequired,
        });
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, cache_policy::header(NO_STORE)),
        ],
        state.metrics.render(
            state.images.weighted_size(),
            state.health.status().name(),
            &Status::ALL.map(Status::name),
            state.een.pace(),
            state.store.as_ref().map(Store::stats),
        ),
    ))
}
