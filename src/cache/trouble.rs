//! What a failed EEN call means for whoever shows it: the cache layer's outcomes, so the
//! gallery picks a page or a placeholder without knowing EEN's errors.

use std::fmt;
use std::sync::Arc;

use crate::een;

/// An EEN error shared by every caller that waited on the same fetch.
pub type SharedError = Arc<een::Error>;

/// What went wrong, in the terms a page is rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// EEN has no such camera, image or frame.
    Missing,
    /// EEN could not be reached, did not answer in time, or lost the session.
    Unreachable,
    /// EEN rejected the configured credentials, or the account cannot log in.
    Rejected,
    /// EEN asked us to slow down.
    Busy,
    /// EEN answered something unexpected.
    BadAnswer,
    /// No EEN account is connected yet (v3).
    NotConnected,
    /// EEN refused to refresh the connection; an operator must connect again (v3).
    ReconnectionNeeded,
}

impl Trouble {
    /// What `error` means for a page.
    pub fn of(error: &een::Error) -> Self {
        match error {
            een::Error::NotFound => Trouble::Missing,
            een::Error::InvalidCredentials | een::Error::Account(_) | een::Error::CodeRejected => {
                Trouble::Rejected
            }
            een::Error::NotConnected => Trouble::NotConnected,
            een::Error::ReconnectionNeeded => Trouble::ReconnectionNeeded,
            // A lost session says nothing about the credentials: the next login may well
            // work, and the keeper is already at it.
            een::Error::SessionExpired
            | een::Error::Transport(_)
            | een::Error::Timeout
            | een::Error::Config(_)
            | een::Error::Unavailable(_) => Trouble::Unreachable,
            een::Error::Upstream(status) if *status >= 500 => Trouble::Unreachable,
            een::Error::RateLimited => Trouble::Busy,
            een::Error::Upstream(_) | een::Error::Decode(_) => Trouble::BadAnswer,
        }
    }
}

/// A call of the cache layer that failed: its [`Trouble`], and the EEN error behind it for
/// the log. Shows as that error (no credential or session key is ever in it).
#[derive(Clone, Debug)]
pub struct Failure {
    trouble: Trouble,
    cause: SharedError,
}

impl Failure {
    /// What the failure means for a page.
    pub fn trouble(&self) -> Trouble {
        self.trouble
    }

    /// The EEN error behind it.
    pub fn cause(&self) -> &een::Error {
        &self.cause
    }

    /// A failure of `trouble` with a typical cause, for tests of the layers above.
    #[cfg(test)]
    pub(crate) fn for_test(trouble: Trouble) -> Self {
        let cause = match trouble {
            Trouble::Missing => een::Error::NotFound,
            Trouble::Unreachable => een::Error::Timeout,
            Trouble::Rejected => een::Error::InvalidCredentials,
            Trouble::Busy => een::Error::RateLimited,
            Trouble::BadAnswer => een::Error::Decode("test".into()),
            Trouble::NotConnected => een::Error::NotConnected,
            Trouble::ReconnectionNeeded => een::Error::ReconnectionNeeded,
        };
        cause.into()
    }
}

impl From<SharedError> for Failure {
    fn from(cause: SharedError) -> Self {
        Self {
            trouble: Trouble::of(&cause),
            cause,
        }
    }
}

impl From<een::Error> for Failure {
    fn from(error: een::Error) -> Self {
        SharedError::new(error).into()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.cause, f)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause.source()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_errors_map_to_troubles_that_say_which() {
        assert_eq!(Trouble::of(&een::Error::NotFound), Trouble::Missing);
        assert_eq!(Trouble::of(&een::Error::Timeout), Trouble::Unreachable);
        assert_eq!(
            Trouble::of(&een::Error::Upstream(503)),
            Trouble::Unreachable
        );
        assert_eq!(Trouble::of(&een::Error::Upstream(418)), Trouble::BadAnswer);
        assert_eq!(
            Trouble::of(&een::Error::Decode("x".into())),
            Trouble::BadAnswer
        );
        assert_eq!(Trouble::of(&een::Error::RateLimited), Trouble::Busy);
        assert_eq!(
            Trouble::of(&een::Error::InvalidCredentials),
            Trouble::Rejected
        );
        assert_eq!(
            Trouble::of(&een::Error::Account(een::AccountProblem::Suspended)),
            Trouble::Rejected
        );
    }

    #[test]
    fn a_lost_session_is_not_shown_as_rejected_credentials() {
        assert_eq!(
            Trouble::of(&een::Error::SessionExpired),
            Trouble::Unreachable
        );
    }

    #[test]
    fn a_failure_shows_as_its_cause() {
        let failure = Failure::from(een::Error::Timeout);
        assert_eq!(failure.trouble(), Trouble::Unreachable);
        assert_eq!(failure.to_string(), een::Error::Timeout.to_string());
        assert!(matches!(failure.cause(), een::Error::Timeout));
    }
}
