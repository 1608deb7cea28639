//! The one error every backend reports, with the variants a caller acts on.

use std::sync::Arc;

/// Everything that can go wrong talking to EEN. No message contains a credential or session key.
///
/// Cheap to clone, so one failed login can be reported to every caller that waited for it.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// EEN rejected the username or password (401 from authenticate).
    #[error("EEN rejected the username or password")]
    InvalidCredentials,
    /// The account or user cannot log in (402, 412, 460, 461, 462, 465); says why.
    #[error("EEN account problem: {0}")]
    Account(AccountProblem),
    /// v3: no EEN account is connected yet.
    #[error("no EEN account connected")]
    NotConnected,
    /// v3: EEN refused to refresh the connection; an operator must connect again.
    #[error("EEN asks for the account to be connected again")]
    ReconnectionNeeded,
    /// v3: EEN refused the authorization code (used, expired, or not for this client).
    #[error("EEN refused the authorization code")]
    CodeRejected,
    /// The session expired and logging in again did not help.
    #[error("EEN session expired")]
    SessionExpired,
    /// The camera or image does not exist.
    #[error("not found at EEN")]
    NotFound,
    /// EEN kept answering 429.
    #[error("EEN rate limit reached")]
    RateLimited,
    /// EEN answered an unexpected status.
    #[error("EEN answered HTTP {0}")]
    Upstream(u16),
    /// The call did not finish within its deadline.
    #[error("EEN did not answer in time")]
    Timeout,
    /// EEN could not be reached.
    #[error("EEN could not be reached")]
    Transport(#[source] Arc<reqwest::Error>),
    /// EEN answered something that is not what the API says.
    #[error("unexpected answer from EEN: {0}")]
    Decode(String),
    /// The client is configured in a way that cannot work (e.g. a base URL without a host).
    #[error("EEN client configuration: {0}")]
    Config(&'static str),
    /// v3 with replicas: the connection cannot be used or refreshed now (the shared store
    /// cannot be reached, or another replica's refresh is not finished); says why.
    #[error("the EEN connection is unavailable for now: {0}")]
    Unavailable(&'static str),
}

/// Why EEN refuses to log this user in, from the documented authenticate status codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccountProblem {
    /// 402: the account is suspended.
    #[error("the account is suspended")]
    Suspended,
    /// 412: the user is disabled (also after too many failed two-factor attempts).
    #[error("the user is disabled")]
    UserDisabled,
    /// 460: the account is inactive.
    #[error("the account is inactive")]
    Inactive,
    /// 461: the account is pending.
    #[error("the account is pending")]
    AccountPending,
    /// 462: the user is pending.
    #[error("the user is pending")]
    UserPending,
    /// 465: logins are not allowed from this IP address.
    #[error("logins are not allowed from this IP address")]
    IpAddressInvalid,
    /// The user has two-factor authentication, which this client does not do.
    #[error("the user has two-factor authentication, which is not supported")]
    TwoFactorRequired,
}

impl AccountProblem {
    /// The problem behind an authenticate status code, if it is one of the documented ones.
    pub fn from_status(status: u16) -> Option<Self> {
        Some(match status {
            402 => Self::Suspended,
            412 => Self::UserDisabled,
            460 => Self::Inactive,
            461 => Self::AccountPending,
            462 => Self::UserPending,
            465 => Self::IpAddressInvalid,
            _ => return None,
        })
    }

    /// The HTTP status EEN uses for this problem.
    pub fn status(self) -> u16 {
        match self {
            Self::Suspended => 402,
            Self::UserDisabled => 412,
            Self::Inactive => 460,
            Self::AccountPending => 461,
            Self::UserPending => 462,
            Self::IpAddressInvalid => 465,
            // Authorize answers 401 when the two-factor code is missing.
            Self::TwoFactorRequired => 401,
        }
    }
}

impl Error {
    /// The upstream HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::InvalidCredentials
            | Error::SessionExpired
            | Error::NotConnected
            | Error::ReconnectionNeeded => Some(401),
            Error::CodeRejected => Some(400),
            Error::Account(problem) => Some(problem.status()),
            Error::NotFound => Some(404),
            Error::RateLimited => Some(429),
            Error::Upstream(s) => Some(*s),
            Error::Timeout
            | Error::Transport(_)
            | Error::Decode(_)
            | Error::Config(_)
            | Error::Unavailable(_) => None,
        }
    }

    /// Whether trying again later may help (EEN or the network had trouble), as opposed to a
    /// problem with the request, the credentials or the account.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited | Error::Timeout | Error::Transport(_) | Error::Unavailable(_) => {
                true
            }
            Error::Upstream(s) => matches!(s, 502..=504),
            _ => false,
        }
    }

    pub(crate) fn transport(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Error::Timeout
        } else {
            // The URL is dropped: a redirect target chosen by the server could carry anything.
            Error::Transport(Arc::new(e.without_url()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_codes_map_to_named_account_problems() {
        for (code, text) in [
            (402, "suspended"),
            (412, "user is disabled"),
            (460, "inactive"),
            (461, "account is pending"),
            (462, "user is pending"),
            (465, "IP address"),
        ] {
            let problem = AccountProblem::from_status(code).unwrap();
            assert_eq!(problem.status(), code);
            let err = Error::Account(problem);
            assert_eq!(err.status(), Some(code));
            assert!(err.to_string().contains(text), "{code}: {err}");
        }
        for code in [200, 400, 401, 403, 404, 429, 500] {
            assert_eq!(AccountProblem::from_status(code), None, "{code}");
        }
    }

    #[test]
    fn status_accessor() {
        assert_eq!(Error::InvalidCredentials.status(), Some(401));
        assert_eq!(Error::SessionExpired.status(), Some(401));
        assert_eq!(Error::NotFound.status(), Some(404));
        assert_eq!(Error::RateLimited.status(), Some(429));
        assert_eq!(Error::Upstream(503).status(), Some(503));
        assert_eq!(Error::Timeout.status(), None);
        assert_eq!(Error::Decode("x".into()).status(), None);
    }

    #[test]
    fn transient_errors() {
        assert!(Error::RateLimited.is_transient());
        assert!(Error::Timeout.is_transient());
        assert!(Error::Upstream(502).is_transient());
        assert!(!Error::Upstream(400).is_transient());
        assert!(!Error::Upstream(500).is_transient());
        assert!(!Error::InvalidCredentials.is_transient());
        assert!(!Error::NotFound.is_transient());
    }
}
