//! The client's error type.

/// Everything that can go wrong talking to EEN. No message contains a credential or session key.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// EEN rejected the username or password (401 from authenticate).
    #[error("EEN rejected the username or password")]
    InvalidCredentials,
    /// The account or user cannot log in (402, 412, 460, 461, 462, 465); says why.
    #[error("EEN account problem: {0}")]
    Account(&'static str),
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
    Transport(#[source] reqwest::Error),
    /// EEN answered something that is not what the API says.
    #[error("unexpected answer from EEN: {0}")]
    Decode(String),
}

impl Error {
    /// The upstream HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::InvalidCredentials | Error::SessionExpired => Some(401),
            Error::NotFound => Some(404),
            Error::RateLimited => Some(429),
            Error::Upstream(s) => Some(*s),
            _ => None,
        }
    }
}
