//! How the gallery stands with EEN.
//!
//! Every EEN call is counted here; the login and the camera list decide whether EEN is
//! reachable and accepts the credentials, which `/readyz` and the pages show. Calls about one
//! camera's images do not: one slow image is not an outage. The keeper (see `keeper`) watches
//! this status and connects again whenever it is not [`Status::Ready`].

use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::watch;

use crate::een;
use crate::metrics::Metrics;

/// Where the gallery stands with EEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// No session yet; the first login is under way or being retried.
    Connecting,
    /// A session is established and the last call reached EEN.
    Ready,
    /// EEN could not be reached or did not answer in time.
    Unreachable,
    /// EEN rejected the username or password, or the account cannot log in.
    CredentialsRejected,
    /// v3: no EEN account is connected yet; an operator must approve access once.
    NotConnected,
    /// v3: EEN refused to refresh the connection; an operator must connect again.
    ReconnectionNeeded,
}

impl Status {
    /// A short explanation for operators and users (no internals, no secrets).
    pub fn describe(self) -> &'static str {
        match self {
            Status::Connecting => "connecting to Eagle Eye Networks",
            Status::Ready => "ready",
            Status::Unreachable => "Eagle Eye Networks cannot be reached",
            Status::CredentialsRejected => "Eagle Eye Networks rejected the configured credentials",
            Status::NotConnected => "Not connected to Eagle Eye Networks yet",
            Status::ReconnectionNeeded => {
                "Eagle Eye Networks asks for the account to be connected again"
            }
        }
    }

    /// Every status, for metrics.
    pub const ALL: [Status; 6] = [
        Status::Connecting,
        Status::Ready,
        Status::Unreachable,
        Status::CredentialsRejected,
        Status::NotConnected,
        Status::ReconnectionNeeded,
    ];

    /// A stable snake_case name, for metrics labels.
    pub fn name(self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Ready => "ready",
            Status::Unreachable => "unreachable",
            Status::CredentialsRejected => "credentials_rejected",
            Status::NotConnected => "not_connected",
            Status::ReconnectionNeeded => "reconnection_needed",
        }
    }

    /// Whether only an operator can change this status (connect the account, fix the
    /// credentials): page views then fail fast, and the keeper does not retry on its own.
    pub fn needs_operator(self) -> bool {
        matches!(
            self,
            Status::CredentialsRejected | Status::NotConnected | Status::ReconnectionNeeded
        )
    }
}

/// The shared health signal. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Health {
    tx: Arc<watch::Sender<Status>>,
    /// The error that made EEN [`Status::Unreachable`], for pages to show while it lasts.
    outage: Arc<RwLock<Option<een::Error>>>,
    metrics: Metrics,
}

impl Health {
    /// Starts in [`Status::Connecting`].
    pub fn new(metrics: Metrics) -> Self {
        Self {
            tx: Arc::new(watch::Sender::new(Status::Connecting)),
            outage: Arc::new(RwLock::new(None)),
            metrics,
        }
    }

    /// The current status.
    pub fn status(&self) -> Status {
        *self.tx.borrow()
    }

    /// Watches status changes (tests wait on this instead of polling).
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.tx.subscribe()
    }

    /// Records the camera-list call. It alone (with the login) decides readiness: it is what
    /// every page needs, and it asks EEN about the account as a whole.
    pub fn record_camera_list<T>(&self, result: &Result<T, een::Error>) {
        self.metrics.een_call("cameras", result.is_ok());
        match result {
            Ok(_) => self.set(Status::Ready),
            Err(error) => self.fail(error),
        }
    }

    /// Records a call about one camera's images. It only counts: one slow or missing image
    /// (even one fetched in the background after its page gave up) says nothing about EEN as
    /// a whole, and must not turn `/readyz` or every page to "unreachable". The exception is
    /// a login (or v3 refresh) that EEN refused while the call logged in again: that is a
    /// connection outcome, and the gate must stop pages from retrying it.
    pub fn record_image_call<T>(&self, call: &'static str, result: &Result<T, een::Error>) {
        self.metrics.een_call(call, result.is_ok());
        if let Err(error) = result
            && let Some(status) = status_after(error)
            && status.needs_operator()
        {
            self.set(status);
        }
    }

    /// Records a connection an operator just made (v3 connect flow, or a disconnect, with
    /// `result` `Err(NotConnected)`): the keeper takes it from there.
    pub fn record_connect(&self, result: &Result<(), een::Error>) {
        self.metrics.een_call("connect", result.is_ok());
        match result {
            Ok(()) => self.set(Status::Connecting),
            Err(error) => self.fail(error),
        }
    }

    /// Records a login. Success alone does not make the gallery ready: the camera list that
    /// follows does, so `/readyz` turns 200 only when a first page view can be served warm.
    /// But it does prove the credentials, so it ends [`Status::CredentialsRejected`] (and
    /// with it the gate) even when the camera list then fails.
    pub fn record_login(&self, result: &Result<(), een::Error>) {
        self.metrics.een_call("login", result.is_ok());
        match result {
            Ok(()) => {
                if self.status() != Status::Ready {
                    self.set(Status::Connecting);
                }
            }
            Err(error) => self.fail(error),
        }
    }

    /// Fails fast while only an operator can help: retrying rejected credentials on every
    /// page view could get the account locked, and a refused refresh must never be retried.
    /// Only the keeper task retries credentials, with backoff. Also fails fast while EEN is
    /// known to be unreachable (the login or the camera list found it so): a page then says
    /// so at once, with that error, instead of waiting out its deadline on a dead EEN, and
    /// the keeper alone probes until EEN answers again.
    pub fn gate(&self) -> Result<(), een::Error> {
        match self.status() {
            Status::CredentialsRejected => Err(een::Error::InvalidCredentials),
            Status::NotConnected => Err(een::Error::NotConnected),
            Status::ReconnectionNeeded => Err(een::Error::ReconnectionNeeded),
            Status::Unreachable => Err(self
                .outage
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
                .unwrap_or(een::Error::Timeout)),
            Status::Connecting | Status::Ready => Ok(()),
        }
    }

    /// Takes in what a failed connection call says about EEN as a whole.
    fn fail(&self, error: &een::Error) {
        let Some(status) = status_after(error) else {
            return;
        };
        if status == Status::Unreachable {
            *self.outage.write().unwrap_or_else(PoisonError::into_inner) = Some(error.clone());
        }
        self.set(status);
    }

    fn set(&self, status: Status) {
        self.tx.send_if_modified(|current| {
            if *current == status {
                return false;
            }
            match status {
                Status::Ready => tracing::info!("EEN session ready"),
                other => tracing::warn!(status = ?other, "{}", other.describe()),
            }
            *current = status;
            true
        });
    }
}

/// What an error of a login or camera-list call says about EEN as a whole; `None` when it
/// concerns only the one request (a rate limit, an odd answer).
fn status_after(error: &een::Error) -> Option<Status> {
    match error {
        een::Error::InvalidCredentials | een::Error::Account(_) => {
            Some(Status::CredentialsRejected)
        }
        een::Error::NotConnected => Some(Status::NotConnected),
        een::Error::ReconnectionNeeded => Some(Status::ReconnectionNeeded),
        een::Error::Transport(_)
        | een::Error::Timeout
        | een::Error::Config(_)
        | een::Error::Unavailable(_) => Some(Status::Unreachable),
        // A gateway error that outlasted the client's retries: EEN is down or overloaded.
        een::Error::Upstream(502..=504) => Some(Status::Unreachable),
        // Logging in again did not help: let the keeper establish a new session.
        een::Error::SessionExpired => Some(Status::Connecting),
        een::Error::NotFound
        | een::Error::CodeRejected
        | een::Error::RateLimited
        | een::Error::Upstream(_)
        | een::Error::Decode(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_login_lifts_rejected_credentials_but_does_not_make_ready() {
        let health = Health::new(Metrics::default());
        health.record_login(&Err(een::Error::InvalidCredentials));
        assert_eq!(health.status(), Status::CredentialsRejected);
        assert!(health.gate().is_err());

        health.record_login(&Ok(()));
        assert_eq!(health.status(), Status::Connecting);
        assert!(health.gate().is_ok());

        // The camera list failing after the login leaves the gallery not ready, not rejected;
        // while EEN is known unreachable, pages are told so at once.
        health.record_camera_list::<()>(&Err(een::Error::Upstream(503)));
        assert_eq!(health.status(), Status::Unreachable);
        assert!(matches!(health.gate(), Err(een::Error::Upstream(503))));
        health.record_camera_list(&Ok(()));
        assert_eq!(health.status(), Status::Ready);
        health.record_login(&Ok(()));
        assert_eq!(
            health.status(),
            Status::Ready,
            "a login never lowers readiness"
        );
    }

    #[test]
    fn image_calls_only_count_unless_a_login_inside_them_was_refused() {
        let health = Health::new(Metrics::default());
        health.record_camera_list(&Ok(()));
        for error in [
            een::Error::Timeout,
            een::Error::Upstream(503),
            een::Error::SessionExpired,
            een::Error::NotFound,
        ] {
            health.record_image_call::<()>("preview", &Err(error));
            assert_eq!(health.status(), Status::Ready);
        }
        health.record_image_call::<()>("preview", &Err(een::Error::InvalidCredentials));
        assert_eq!(health.status(), Status::CredentialsRejected);
    }
}
