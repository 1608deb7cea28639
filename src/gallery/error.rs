//! The one error type of the HTTP layer, named by what the user sees, and the error page.
//!
//! `AppError` turns into a response carrying an [`ErrorInfo`]; the [`error_pages`] middleware
//! renders that as the styled page (it knows whether the demo banner is due). The user sees a
//! status, a title and a sentence; causes go to the log once, never to the page.

use askama::Template;
use axum::body::Body;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::cache_policy;
use super::guard::Visitor;
use super::state::AppState;
use super::views::{ErrorPage, Layout};
use crate::cache::{Failure, Trouble};

/// Results of handlers.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such route (or nothing at this address).
    #[error("page not found")]
    PageNotFound,
    /// The camera id is malformed, or no attached camera has it.
    #[error("camera not found")]
    CameraNotFound,
    /// A timestamp in the URL is not `YYYYMMDDhhmmss.mmm`.
    #[error("malformed timestamp")]
    BadTimestamp,
    /// The camera has no frame at the time in the URL (the frame viewer).
    #[error("frame not found")]
    FrameNotFound,
    /// `wall=` is not `1` or `0`.
    #[error("malformed wall setting")]
    BadWall,
    /// `rotate=` is not a whole number of seconds in range, or comes without `wall=1`.
    #[error("malformed rotation time")]
    BadRotate,
    /// A jump form's date and time that cannot be read.
    #[error("malformed date and time")]
    BadTime,
    /// A jump form's time after now.
    #[error("time in the future")]
    FutureTime,
    /// Some other part of the request is malformed; says which.
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    /// A request body past the gallery's limit (its forms are small).
    #[error("request body too large")]
    TooLarge,
    /// EEN could not be reached or timed out.
    #[error("EEN unreachable")]
    EenUnreachable(#[source] Failure),
    /// EEN rejected the configured credentials, or the account cannot log in.
    #[error("EEN rejected the credentials")]
    EenCredentials(#[source] Failure),
    /// EEN is rate limiting us.
    #[error("EEN rate limit")]
    EenBusy(#[source] Failure),
    /// EEN answered something unexpected.
    #[error("unexpected answer from EEN")]
    EenBadAnswer(#[source] Failure),
    /// No EEN account is connected yet (v3).
    #[error("no EEN account connected")]
    EenNotConnected(#[source] Failure),
    /// EEN asks for the account to be connected again (v3).
    #[error("EEN reconnection needed")]
    EenReconnect(#[source] Failure),
    /// The setup link (v3) is missing, wrong, used up, or from before a restart.
    #[error("setup link not valid")]
    SetupLinkInvalid,
    /// A connect flow (v3) ended without a connection; nothing was stored.
    #[error("connect flow failed: {0}")]
    ConnectFailed(ConnectProblem),
    /// A page of the camera list past its last.
    #[error("no such page of the camera list")]
    NoSuchListPage,
    /// Camera data or `/metrics` asked for by a visitor who is not signed in.
    #[error("sign-in required")]
    SignInRequired,
    /// A signed-in user who is not an admin asked for an admin's page.
    #[error("admins only")]
    AdminOnly,
    /// A form posted without the visitor's form token: from another site, or from a page
    /// older than the visitor's session.
    #[error("form token missing or wrong")]
    FormExpired,
    /// A page template failed to render.
    #[error("template rendering failed")]
    Render(#[from] askama::Error),
}

/// Why a connect flow ended without a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectProblem {
    /// The callback's `state` is missing, unknown, expired or used, or the browser is not
    /// the one that started the flow (its cookie is missing or does not match).
    #[error("no such flow in this browser")]
    NotThisFlow,
    /// EEN sent the user back without access (Deny, or sign-in cancelled).
    #[error("access not granted")]
    Denied,
    /// EEN did not take the code (it refused it, or could not be reached).
    #[error("code exchange failed")]
    ExchangeFailed,
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
            AppError::PageNotFound => (
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
            AppError::FrameNotFound => (
                StatusCode::NOT_FOUND,
                "Image not found",
                "This camera has no image at this time.",
            ),
            AppError::BadWall => (
                StatusCode::BAD_REQUEST,
                "Bad wall setting",
                "wall=1 shows the cameras as a wall; wall=0, or no wall at all, the usual grid.",
            ),
            AppError::BadRotate => (
                StatusCode::BAD_REQUEST,
                "Bad rotation time",
                "rotate= shuffles a wall every so many seconds: a whole number from 10 to 3600, \
                 with wall=1, as in /?wall=1&rotate=60.",
            ),
            AppError::BadTime => (
                StatusCode::BAD_REQUEST,
                "Unreadable date and time",
                "Pick a date and time with the form, or write it as 2024-05-01T14:05 (in the \
                 camera's local time).",
            ),
            AppError::FutureTime => (
                StatusCode::BAD_REQUEST,
                "That time is in the future",
                "The camera page shows the images taken before a moment that has passed. Pick \
                 an earlier time.",
            ),
            AppError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "Bad request",
                "Part of this address is malformed.",
            ),
            AppError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "The gallery's forms are small; this request sent far more than they hold.",
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
            AppError::EenNotConnected(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Not connected to Eagle Eye Networks yet",
                "No Eagle Eye Networks account is connected to this gallery yet. The operator \
                 connects one with the setup link in the gallery's log.",
            ),
            AppError::EenReconnect(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Reconnection to Eagle Eye Networks needed",
                "Eagle Eye Networks no longer accepts this gallery's connection (it expired or \
                 was revoked). The operator connects again with the setup link in the log.",
            ),
            AppError::SetupLinkInvalid => (
                StatusCode::FORBIDDEN,
                "This setup link is not valid",
                "It is incomplete, was used already, or the gallery restarted since it was \
                 printed. The gallery's log shows the current setup link.",
            ),
            AppError::ConnectFailed(ConnectProblem::NotThisFlow) => (
                StatusCode::BAD_REQUEST,
                "This sign-in cannot be completed",
                "It was started in another browser, took longer than 10 minutes, or was \
                 completed already. Nothing was stored. Start again from the setup link in the \
                 gallery's log.",
            ),
            AppError::ConnectFailed(ConnectProblem::Denied) => (
                StatusCode::BAD_REQUEST,
                "Access was not granted",
                "Eagle Eye Networks did not give the gallery access to the account (access \
                 was denied, or the sign-in was cancelled). Nothing was stored. To connect, \
                 start again from the setup link in the gallery's log.",
            ),
            AppError::ConnectFailed(ConnectProblem::ExchangeFailed) => (
                StatusCode::BAD_REQUEST,
                "Eagle Eye Networks did not complete the sign-in",
                "Eagle Eye Networks refused the sign-in or could not be reached. Nothing was \
                 stored. Start again from the setup link in the gallery's log.",
            ),
            AppError::NoSuchListPage => (
                StatusCode::NOT_FOUND,
                "No such page",
                "The camera list has fewer pages. Go back to its first page.",
            ),
            AppError::SignInRequired => (
                StatusCode::UNAUTHORIZED,
                "Sign-in required",
                "Sign in to the gallery to see its cameras.",
            ),
            AppError::AdminOnly => (
                StatusCode::FORBIDDEN,
                "Admins only",
                "This page is for the gallery's admins. Ask one to make you an admin, or to do \
                 what you came for.",
            ),
            AppError::FormExpired => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "It was sent from an old page, another site, or before a new sign-in. Go back, \
                 reload the page and send it again.",
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

impl From<Failure> for AppError {
    fn from(failure: Failure) -> Self {
        match failure.trouble() {
            Trouble::Missing => AppError::PageNotFound,
            Trouble::Rejected => AppError::EenCredentials(failure),
            Trouble::Unreachable => AppError::EenUnreachable(failure),
            Trouble::Busy => AppError::EenBusy(failure),
            Trouble::BadAnswer => AppError::EenBadAnswer(failure),
            Trouble::NotConnected => AppError::EenNotConnected(failure),
            Trouble::ReconnectionNeeded => AppError::EenReconnect(failure),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::PageNotFound
    }
}

impl From<QueryRejection> for AppError {
    fn from(_: QueryRejection) -> Self {
        AppError::BadRequest("query")
    }
}

impl From<FormRejection> for AppError {
    fn from(rejection: FormRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::BadRequest("form")
        }
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
                (
                    header::CACHE_CONTROL,
                    cache_policy::header(cache_policy::NO_STORE),
                ),
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

/// Replaces the plain-text body of an [`AppError`] response with the styled error page
/// (which needs the state for the demo banner).
pub async fn error_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let visitor = request.extensions().get::<Visitor>().cloned();
    let mut response = next.run(request).await;
    let Some(info) = response.extensions_mut().remove::<ErrorInfo>() else {
        return response;
    };
    let page = ErrorPage {
        layout: match &visitor {
            Some(visitor) => super::frame::layout(&state, visitor),
            None => Layout::new(
                state.settings.demo,
                state.health.status(),
                state.setup.base_path(),
            ),
        },
        status: info.status.as_u16(),
        title: info.title,
        detail: info.detail,
    };
    match page.render() {
        Ok(html) => {
            let (mut parts, _) = response.into_parts();
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(html))
        }
        Err(error) => {
            tracing::error!(error = %error, "error page failed to render; answering plain text");
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(trouble: Trouble) -> ErrorInfo {
        AppError::from(Failure::for_test(trouble)).info()
    }

    #[test]
    fn upstream_troubles_map_to_statuses_that_say_which() {
        assert_eq!(info(Trouble::Missing).status, StatusCode::NOT_FOUND);
        assert_eq!(
            info(Trouble::Unreachable).status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(info(Trouble::Busy).status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(info(Trouble::BadAnswer).status, StatusCode::BAD_GATEWAY);
        let rejected = info(Trouble::Rejected);
        let unreachable = info(Trouble::Unreachable);
        assert_eq!(rejected.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_ne!(rejected.title, unreachable.title);
    }

    #[test]
    fn the_log_names_the_cause() {
        let failure = Failure::for_test(Trouble::Unreachable);
        let cause = failure.to_string();
        let error = AppError::from(failure);
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source, Some(cause));
    }
}
