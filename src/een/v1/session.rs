//! The logged-in session and single-flight login.
//!
//! Every session carries a generation number. A caller that sees a 401 asks for a session newer
//! than the one it used; whoever gets the login lock first logs in, and every caller that queued
//! behind that login takes its session instead of logging in again. So twenty calls that hit a
//! 401 together cause one new login, and a rejected password is reported to all of them at once.
//! Other failures are not shared: a timeout may be due only to the first caller's nearly spent
//! deadline, so each queued caller tries the login itself (still one at a time).

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use url::Url;

use crate::een::Error;

/// Where the session stands (for readiness checks).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// No login attempted yet (or logged out).
    NotLoggedIn,
    /// A session is established.
    LoggedIn,
    /// The last login failed; says why (no secrets).
    Failed(String),
}

/// Right after login EEN may answer 401 for a moment while the session reaches the cluster
/// (spec §4.5, observed). A 401 within this time, before the session ever worked, is retried
/// as it is instead of logging in again.
const PROPAGATION_GRACE: Duration = Duration::from_secs(5);

/// One logged-in session.
pub(crate) struct Session {
    /// Which login made it; increases with every login.
    pub(crate) generation: u64,
    /// `Cookie: auth_key=…`, marked sensitive.
    pub(crate) cookie: HeaderValue,
    /// Where API calls go: the branded cluster host, or the login host.
    pub(crate) api_base: Url,
    created: Instant,
    confirmed: AtomicBool,
}

impl Session {
    pub(crate) fn new(generation: u64, cookie: HeaderValue, api_base: Url) -> Self {
        Self {
            generation,
            cookie,
            api_base,
            created: Instant::now(),
            confirmed: AtomicBool::new(false),
        }
    }

    /// Records that EEN accepted this session at least once.
    pub(crate) fn confirm(&self) {
        self.confirmed.store(true, Ordering::Relaxed);
    }

    /// Whether a 401 may be EEN still propagating this new session rather than a dead session.
    pub(crate) fn may_be_propagating(&self) -> bool {
        !self.confirmed.load(Ordering::Relaxed) && self.created.elapsed() < PROPAGATION_GRACE
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("generation", &self.generation)
            .field("api_base", &self.api_base.as_str())
            .finish_non_exhaustive()
    }
}

/// The current session, the login lock, and what readiness checks see.
pub(crate) struct Sessions {
    current: RwLock<Option<Arc<Session>>>,
    login: tokio::sync::Mutex<LastLogin>,
    logins_finished: AtomicU64,
    state: Mutex<SessionState>,
    rejected_login_cooldown: Duration,
}

#[derive(Default)]
struct LastLogin {
    /// Number of the last login that finished (its session's generation on success).
    number: u64,
    outcome: Option<Result<Arc<Session>, Error>>,
    finished_at: Option<Instant>,
}

impl Sessions {
    pub(crate) fn new(rejected_login_cooldown: Duration) -> Self {
        Self {
            current: RwLock::new(None),
            login: tokio::sync::Mutex::new(LastLogin::default()),
            logins_finished: AtomicU64::new(0),
            state: Mutex::new(SessionState::NotLoggedIn),
            rejected_login_cooldown,
        }
    }

    pub(crate) fn state(&self) -> SessionState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The current session, if any.
    pub(crate) fn current(&self) -> Option<Arc<Session>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn usable(&self, stale: Option<u64>) -> Option<Arc<Session>> {
        self.current().filter(|s| Some(s.generation) != stale)
    }

    /// A session other than generation `stale`: the current one, or a new one from `login`.
    ///
    /// A login that EEN refused (bad password, account problem) is not retried for a short
    /// while unless `force` is set, so that a busy gallery does not hammer EEN's login (and
    /// risk locking the account) with credentials that cannot work.
    pub(crate) async fn get<F, Fut>(
        &self,
        stale: Option<u64>,
        force: bool,
        login: F,
    ) -> Result<Arc<Session>, Error>
    where
        F: FnOnce(u64) -> Fut,
        Fut: Future<Output = Result<Session, Error>>,
    {
        if let Some(session) = self.usable(stale) {
            return Ok(session);
        }
        let seen = self.logins_finished.load(Ordering::Acquire);
        let mut last = self.login.lock().await;
        if last.number != seen {
            // A login finished while we queued for the lock: its session is ours too, and so is
            // EEN refusing the credentials (unless this caller insists on trying itself).
            match &last.outcome {
                Some(Ok(session)) if Some(session.generation) != stale => {
                    return Ok(Arc::clone(session));
                }
                Some(Err(error)) if !force && is_refusal(error) => return Err(error.clone()),
                _ => {}
            }
        }
        if let Some(session) = self.usable(stale) {
            return Ok(session);
        }
        if !force
            && let (Some(Err(error)), Some(at)) = (&last.outcome, last.finished_at)
            && is_refusal(error)
            && at.elapsed() < self.rejected_login_cooldown
        {
            return Err(error.clone());
        }

        let number = last.number + 1;
        let outcome = login(number).await.map(Arc::new);
        let (current, state) = match &outcome {
            Ok(session) => (Some(Arc::clone(session)), SessionState::LoggedIn),
            Err(error) => (None, SessionState::Failed(error.to_string())),
        };
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = current;
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
        *last = LastLogin {
            number,
            outcome: Some(outcome.clone()),
            finished_at: Some(Instant::now()),
        };
        self.logins_finished.store(number, Ordering::Release);
        outcome
    }

    /// Forgets the current session (on logout) and returns it.
    pub(crate) async fn take(&self) -> Option<Arc<Session>> {
        // Waiting for the login lock keeps a login that is under way from re-installing a
        // session right after we dropped it.
        let mut last = self.login.lock().await;
        last.outcome = None;
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = SessionState::NotLoggedIn;
        self.current
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Whether EEN refused the login itself (the credentials or the account), as opposed to a
/// failure that another attempt may not meet.
fn is_refusal(error: &Error) -> bool {
    matches!(error, Error::InvalidCredentials | Error::Account(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn session(generation: u64) -> Session {
        let mut cookie = HeaderValue::from_static("auth_key=c000~secret");
        cookie.set_sensitive(true);
        Session::new(
            generation,
            cookie,
            Url::parse("http://c000.een.test/").unwrap(),
        )
    }

    #[tokio::test]
    async fn logs_in_once_and_reuses_the_session() {
        let sessions = Sessions::new(Duration::from_secs(30));
        let count = AtomicUsize::new(0);
        let logins = &count;
        for _ in 0..3 {
            let s = sessions
                .get(None, false, |n| async move {
                    logins.fetch_add(1, Ordering::SeqCst);
                    Ok(session(n))
                })
                .await
                .unwrap();
            assert_eq!(s.generation, 1);
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert_eq!(sessions.state(), SessionState::LoggedIn);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_stale_sessions_cause_one_login() {
        let sessions = Arc::new(Sessions::new(Duration::from_secs(30)));
        let logins = Arc::new(AtomicUsize::new(0));
        let first = sessions
            .get(None, false, |n| async move { Ok(session(n)) })
            .await
            .unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let sessions = Arc::clone(&sessions);
                let logins = Arc::clone(&logins);
                let stale = first.generation;
                tokio::spawn(async move {
                    sessions
                        .get(Some(stale), false, |n| async move {
                            logins.fetch_add(1, Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            Ok(session(n))
                        })
                        .await
                        .unwrap()
                        .generation
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 2);
        }
        assert_eq!(logins.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_rejected_login_is_not_repeated_at_once_unless_forced() {
        let sessions = Sessions::new(Duration::from_secs(30));
        let count = AtomicUsize::new(0);
        let logins = &count;
        let attempt = |force| {
            sessions.get(None, force, move |_| async move {
                logins.fetch_add(1, Ordering::SeqCst);
                Err::<Session, _>(Error::InvalidCredentials)
            })
        };
        assert!(matches!(
            attempt(false).await,
            Err(Error::InvalidCredentials)
        ));
        assert!(matches!(
            attempt(false).await,
            Err(Error::InvalidCredentials)
        ));
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(matches!(
            attempt(true).await,
            Err(Error::InvalidCredentials)
        ));
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert_eq!(
            sessions.state(),
            SessionState::Failed("EEN rejected the username or password".into())
        );
    }

    #[tokio::test]
    async fn transient_login_failures_are_retried_by_the_next_caller() {
        let sessions = Sessions::new(Duration::from_secs(30));
        let err = sessions
            .get(None, false, |_| async { Err::<Session, _>(Error::Timeout) })
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Timeout));
        let s = sessions
            .get(None, false, |n| async move { Ok(session(n)) })
            .await
            .unwrap();
        assert_eq!(s.generation, 2);
    }

    /// Starts a login by a first caller that fails with `error` once `release` fires, queues a
    /// second caller (`force` or not) behind it, and returns the second caller's outcome and
    /// how many logins ran.
    async fn second_caller_after_failed_login(
        error: Error,
        force: bool,
    ) -> (Result<u64, Error>, usize) {
        let sessions = Arc::new(Sessions::new(Duration::from_secs(30)));
        let logins = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let first = {
            let sessions = Arc::clone(&sessions);
            let logins = Arc::clone(&logins);
            tokio::spawn(async move {
                sessions
                    .get(None, false, |_| async move {
                        logins.fetch_add(1, Ordering::SeqCst);
                        let _ = released.await;
                        Err::<Session, _>(error)
                    })
                    .await
                    .map(|s| s.generation)
            })
        };
        // Let the first caller take the login lock (the runtime is single-threaded).
        tokio::task::yield_now().await;
        let second = {
            let sessions = Arc::clone(&sessions);
            let logins = Arc::clone(&logins);
            tokio::spawn(async move {
                sessions
                    .get(None, force, |n| async move {
                        logins.fetch_add(1, Ordering::SeqCst);
                        Ok(session(n))
                    })
                    .await
                    .map(|s| s.generation)
            })
        };
        // Let the second caller queue for the lock before the first login ends.
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        assert!(first.await.unwrap().is_err());
        let outcome = second.await.unwrap();
        (outcome, logins.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn a_queued_caller_retries_after_a_transient_login_failure() {
        let (outcome, logins) = second_caller_after_failed_login(Error::Timeout, false).await;
        assert_eq!(outcome.unwrap(), 2);
        assert_eq!(logins, 2);
    }

    #[tokio::test]
    async fn a_queued_caller_shares_a_refused_login() {
        let (outcome, logins) =
            second_caller_after_failed_login(Error::InvalidCredentials, false).await;
        assert!(matches!(outcome, Err(Error::InvalidCredentials)));
        assert_eq!(logins, 1);
    }

    #[tokio::test]
    async fn a_forced_login_does_not_take_a_queued_refusal() {
        let (outcome, logins) =
            second_caller_after_failed_login(Error::InvalidCredentials, true).await;
        assert_eq!(outcome.unwrap(), 2);
        assert_eq!(logins, 2);
    }

    #[tokio::test]
    async fn take_forgets_the_session() {
        let sessions = Sessions::new(Duration::from_secs(30));
        sessions
            .get(None, false, |n| async move { Ok(session(n)) })
            .await
            .unwrap();
        assert!(sessions.take().await.is_some());
        assert!(sessions.current().is_none());
        assert_eq!(sessions.state(), SessionState::NotLoggedIn);
    }

    #[test]
    fn debug_hides_the_cookie() {
        let shown = format!("{:?}", session(7));
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("generation: 7"));
    }
}
