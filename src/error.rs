//! The one error type of the HTTP layer, named by what the user sees.
//!
//! `AppError` turns into a response carrying an [`ErrorInfo`]; the gallery's error-page
//! middleware renders that as the styled page (it knows whether the demo banner is due). The
//! user sees a status, a title and a sentence; causes go to the log once, never to the page.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::een;
use crate::images::SharedError;

/// Results of handlers.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such route.
    #[error("page not found")]
    NotFound,
    /// The camera id is malformed, or no attached camera has it.
    #[error("camera not found")]
    CameraNotFound,
    /// A timestamp in the URL is not `YYYYMMDDhhmmss.mmm`.
    #[error("malformed timestamp")]
    BadTimestamp,
    /// Some other part of the request is malformed; says which.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// EEN could not be reached or timed out.
    #[error("EEN unreachable")]
    EenUnreachable(#[source] SharedError),
    /// EEN rejected the configured credentials, or the account cannot log in.
    #[error("EEN rejected the credentials")]
    EenCredentials(#[source] SharedError),
    /// EEN is rate limiting us.
    #[error("EEN rate limit")]
    EenBusy(#[source] SharedError),
    /// EEN answered something unexpected.
    #[error("unexpected answer from EEN")]
    EenBadAnswer(#[source] SharedError),
    /// A page template failed to render.
    #[error("template rendering failed")]
    Render(#[from] askama::Error),
}

/// What the error page shows; attached to error responses as an extension.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    /// The HTTP status.
    pub status: StatusCode,
    /// A short headline.
    pub title: &'static str,
    /// One or two sentences for the user.
    pub detail: &'static str,
}

impl AppError {
    /// The status and what to tell the user.
    pub fn info(&self) -> ErrorInfo {
        let (status, title, detail) = match self {
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address.",
            ),
            AppError::CameraNotFound => (
                StatusCode::NOT_FOUND,
                "Camera not found",
                "There is no camera with this id on the account.",
            ),
            AppError::BadTimestamp => (
                StatusCode::BAD_REQUEST,
                "Malformed timestamp",
                "Image times look like 20240501140312.000 (UTC, to the millisecond).",
            ),
            AppError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                "Part of this address is malformed.",
            ),
            AppError::EenUnreachable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Eagle Eye Networks is unreachable",
                "The gallery cannot reach Eagle Eye Networks right now. It keeps trying by \
                 itself; reload in a moment.",
            ),
            AppError::EenCredentials(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Eagle Eye Networks rejected the credentials",
                "Eagle Eye Networks does not accept the username and password this gallery is \
                 configured with. The operator needs to fix the configuration.",
            ),
            AppError::EenBusy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Eagle Eye Networks is busy",
                "Eagle Eye Networks asked the gallery to slow down. Reload in a moment.",
            ),
            AppError::EenBadAnswer(_) => (
                StatusCode::BAD_GATEWAY,
                "Unexpected answer from Eagle Eye Networks",
                "Eagle Eye Networks answered in a way the gallery does not understand.",
            ),
            AppError::Render(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be shown.",
            ),
        };
        ErrorInfo {
            status,
            title,
            detail,
        }
    }
}

impl From<SharedError> for AppError {
    fn from(error: SharedError) -> Self {
        match &*error {
            een::Error::NotFound => AppError::NotFound,
            een::Error::InvalidCredentials | een::Error::Account(_) => {
                AppError::EenCredentials(error)
            }
            // A lost session says nothing about the credentials: the next login may well
            // work, and the keeper is already at it.
            een::Error::SessionExpired
            | een::Error::Transport(_)
            | een::Error::Timeout
            | een::Error::Config(_) => AppError::EenUnreachable(error),
            een::Error::Upstream(status) if *status >= 500 => AppError::EenUnreachable(error),
            een::Error::RateLimited => AppError::EenBusy(error),
            een::Error::Upstream(_) | een::Error::Decode(_) => AppError::EenBadAnswer(error),
        }
    }
}

impl From<een::Error> for AppError {
    fn from(error: een::Error) -> Self {
        SharedError::new(error).into()
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::NotFound
    }
}

impl From<QueryRejection> for AppError {
    fn from(_: QueryRejection) -> Self {
        AppError::BadRequest("query")
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let info = self.info();
        if info.status.is_server_error() {
            // Display only: causes may carry upstream URLs, which must not reach the log.
            let cause = std::error::Error::source(&self).map(ToString::to_string);
            tracing::error!(status = info.status.as_u16(), error = %self, cause, "request failed");
        } else {
            tracing::debug!(status = info.status.as_u16(), error = %self, "request rejected");
        }
        // Plain text until the error-page middleware swaps in the styled page.
        let mut response = (
            info.status,
            [
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
            ],
            format!("{}\n\n{}\n", info.title, info.detail),
        )
            .into_response();
        response.extensions_mut().insert(info);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_errors_map_to_statuses_that_say_which() {
        let status = |e: een::Error| AppError::from(e).info().status;
        assert_eq!(status(een::Error::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(status(een::Error::Timeout), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            status(een::Error::Upstream(503)),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status(een::Error::Upstream(418)), StatusCode::BAD_GATEWAY);
        let rejected = AppError::from(een::Error::InvalidCredentials).info();
        let unreachable = AppError::from(een::Error::Timeout).info();
        assert_eq!(rejected.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_ne!(rejected.title, unreachable.title);
    }

    #[test]
    fn a_lost_session_is_not_shown_as_rejected_credentials() {
        let lost = AppError::from(een::Error::SessionExpired).info();
        let unreachable = AppError::from(een::Error::Timeout).info();
        assert_eq!(lost.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(lost.title, unreachable.title);
    }
}
