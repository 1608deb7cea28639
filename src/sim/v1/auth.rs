//! Authenticate tokens and sessions of the demo account's users (SIM-10 … SIM-13,
//! SIM-15 … SIM-23, SIM-50).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine;
use rand::RngExt;

use super::wire::{ApiError, hex_id};
use crate::sim::Faults;
use crate::sim::account::users::{Refusal, User, check_login, users};
use crate::sim::http::query::lossy;
use crate::sim::http::state::Ctx;

/// A live session.
#[derive(Clone, Debug)]
struct Session {
    ordinal: u64,
    user: usize,
    expires: Instant,
    /// Authenticated requests seen on a non-login host, for SIM-23.
    cluster_requests: u32,
    /// When the requests let through in the last second arrived, oldest first (SIM-50).
    recent: VecDeque<Instant>,
}

/// A session that passed every check, for a handler.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SessionRef {
    pub(crate) user: usize,
}

#[derive(Debug)]
struct Token {
    user: usize,
    expires: Instant,
}

/// Users, tokens and sessions.
#[derive(Debug)]
pub(crate) struct Auth {
    users: Vec<User>,
    cluster: String,
    token_ttl: Duration,
    session_ttl: Duration,
    tokens: Mutex<HashMap<String, Token>>,
    sessions: Mutex<Sessions>,
}

#[derive(Debug, Default)]
struct Sessions {
    by_key: HashMap<String, Session>,
    created: u64,
}

// A poisoned lock only means another request panicked mid-update of plain maps; carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Auth {
    pub(crate) fn new(cluster: &str, token_ttl: Duration, session_ttl: Duration) -> Self {
        Self {
            users: users(),
            cluster: cluster.to_owned(),
            token_ttl,
            session_ttl,
            tokens: Mutex::new(HashMap::new()),
            sessions: Mutex::new(Sessions::default()),
        }
    }

    pub(crate) fn user(&self, index: usize) -> &User {
        // Indexes come only from our own tokens and sessions.
        &self.users[index.min(self.users.len() - 1)]
    }

    /// SIM-10/11/12: checks credentials and issues a single-use token.
    pub(crate) fn authenticate(&self, username: &str, password: &str) -> Result<String, ApiError> {
        let index = self.users.iter().position(|u| u.username == username);
        check_login(index.map(|i| &self.users[i]), password).map_err(refused)?;
        let user = index.unwrap_or_default();
        let token = new_token();
        let now = Instant::now();
        let mut tokens = lock(&self.tokens);
        tokens.retain(|_, t| t.expires > now);
        tokens.insert(
            token.clone(),
            Token {
                user,
                expires: now + self.token_ttl,
            },
        );
        Ok(token)
    }

    /// SIM-13: redeems a token (once) for a new session; returns its key and ordinal.
    pub(crate) fn authorize(&self, token: &str) -> Result<(String, SessionRef), ApiError> {
        let now = Instant::now();
        let token = lock(&self.tokens)
            .remove(token)
            .filter(|t| t.expires > now)
            .ok_or(ApiError::unauthorized("invalid token"))?;
        let key = format!("{}~{}", self.cluster, hex_id());
        let mut sessions = lock(&self.sessions);
        sessions.by_key.retain(|_, s| s.expires > now);
        sessions.created += 1;
        let ordinal = sessions.created;
        sessions.by_key.insert(
            key.clone(),
            Session {
                ordinal,
                user: token.user,
                expires: now + self.session_ttl,
                cluster_requests: 0,
                recent: VecDeque::new(),
            },
        );
        Ok((key, SessionRef { user: token.user }))
    }

    /// The ordinal of a live session among `candidates`, without counting anything (for the
    /// in-flight gauges).
    pub(crate) fn peek(&self, candidates: &SessionCandidates) -> Option<u64> {
        let now = Instant::now();
        let sessions = lock(&self.sessions);
        candidates
            .keys()
            .find_map(|k| sessions.by_key.get(k).filter(|s| s.expires > now))
            .map(|s| s.ordinal)
    }

    /// SIM-20/21/22/23/50: the session a request acts as, or why it may not.
    pub(crate) fn check(
        &self,
        candidates: &SessionCandidates,
        on_login_host: bool,
        faults: &Faults,
    ) -> Result<SessionRef, ApiError> {
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        let key = candidates
            .keys()
            .find(|k| sessions.by_key.get(*k).is_some_and(|s| s.expires > now))
            .ok_or_else(ApiError::session_expired)?;
        let session = sessions
            .by_key
            .get_mut(key)
            .ok_or_else(ApiError::session_expired)?;
        if !on_login_host && session.cluster_requests < faults.unauthorized_after_login {
            session.cluster_requests += 1;
            return Err(ApiError::session_expired());
        }
        if let Some(limit) = faults.rate_limit_per_second {
            // A sliding one-second window; refused requests do not use up the budget.
            while session
                .recent
                .front()
                .is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(1))
            {
                session.recent.pop_front();
            }
            if session.recent.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                return Err(ApiError::too_many_requests(faults.retry_after_secs));
            }
            session.recent.push_back(now);
        }
        Ok(SessionRef { user: session.user })
    }

    /// SIM-16: ends the session the request acts as.
    pub(crate) fn logout(&self, candidates: &SessionCandidates) {
        let mut sessions = lock(&self.sessions);
        for key in candidates.keys() {
            sessions.by_key.remove(key);
        }
    }

    /// Ends every session at once.
    pub(crate) fn expire_all(&self) {
        lock(&self.sessions).by_key.clear();
    }
}

/// A refused login in v1's words (SIM-11).
fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::InvalidCredentials => ApiError::unauthorized("invalid credentials"),
        other => ApiError::login_state(other.status()),
    }
}

/// A fresh authenticate token: 344 characters of standard base64 with `+`, `/` and `==`, as
/// the real ones (SIM-12), so clients must percent-encode it in form bodies.
fn new_token() -> String {
    let mut rng = rand::rng();
    loop {
        let bytes: [u8; 256] = std::array::from_fn(|_| rng.random());
        let token = base64::engine::general_purpose::STANDARD.encode(bytes);
        // Almost every token has both; insisting makes the encoding trap certain.
        if token.contains('+') && token.contains('/') {
            return token;
        }
    }
}

/// The session keys a request offers, in EEN's order of precedence (SIM-20): `A` in the query,
/// `A` in a form body, `A` in a JSON body, then the `auth_key` / `videobank_sessionid` cookies.
#[derive(Clone, Debug, Default)]
pub(crate) struct SessionCandidates {
    /// An explicit `A` parameter; when present it is the only candidate.
    explicit: Option<String>,
    cookies: Vec<String>,
}

impl SessionCandidates {
    pub(crate) fn new(explicit: Option<String>, cookie_headers: &[&str]) -> Self {
        let cookies = if explicit.is_some() {
            Vec::new()
        } else {
            cookie_headers
                .iter()
                .flat_map(|h| session_cookies(h))
                .collect()
        };
        Self { explicit, cookies }
    }

    /// The candidates a request offers: `A` in its query or body, or its `Cookie` headers.
    pub(crate) fn of_request(ctx: &Ctx, headers: &HeaderMap) -> Self {
        let explicit_key = ctx
            .query
            .get_nonempty(&["A"])
            .or_else(|| ctx.body.as_ref().ok().and_then(|p| p.get_nonempty(&["A"])))
            .map(str::to_owned);
        let cookie_headers: Vec<String> = headers
            .get_all(COOKIE)
            .iter()
            .map(|v| lossy(v.as_bytes()).into_owned())
            .collect();
        let cookie_refs: Vec<&str> = cookie_headers.iter().map(String::as_str).collect();
        Self::new(explicit_key, &cookie_refs)
    }

    fn keys(&self) -> impl Iterator<Item = &String> {
        self.explicit.iter().chain(self.cookies.iter())
    }
}

/// Session cookie values in a `Cookie` header, parsed leniently: pairs split on `;` and `,`
/// (a client once sent raw `Set-Cookie` strings joined by `, `), attributes ignored.
pub(crate) fn session_cookies(header: &str) -> Vec<String> {
    header
        .split([';', ','])
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| matches!(name.trim(), "auth_key" | "videobank_sessionid"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::account::users::{DEMO_PASSWORD, DEMO_USERNAME, LOGIN_STATE_USERS};

    #[test]
    fn sim_12_tokens_are_344_chars_of_standard_base64_with_the_awkward_characters() {
        for _ in 0..20 {
            let t = new_token();
            assert_eq!(t.len(), 344);
            assert!(t.ends_with("=="));
            assert!(t.contains('+') && t.contains('/'));
            assert!(base64::engine::general_purpose::STANDARD.decode(&t).is_ok());
        }
    }

    #[test]
    fn sim_20_cookie_parsing_is_lenient() {
        let joined = "videobank_sessionid=c000~aa; Domain=.eagleeyenetworks.com; expires=Tue, \
                      09-Apr-2019 06:37:25 GMT; httponly; Max-Age=14399; Path=/, auth_key=c000~bb; \
                      Domain=.eagleeyenetworks.com";
        assert_eq!(session_cookies(joined), ["c000~aa", "c000~bb"]);
        assert_eq!(session_cookies("other=1; auth_key=c000~cc"), ["c000~cc"]);
        assert!(session_cookies("auth_key=; foo").is_empty());
    }

    #[test]
    fn sim_11_refusals_answer_their_documented_status() {
        for refusal in [
            Refusal::InvalidCredentials,
            Refusal::AccountSuspended,
            Refusal::AccountInactive,
            Refusal::AccountPending,
            Refusal::UserDisabled,
            Refusal::UserPending,
        ] {
            let error = refused(refusal);
            assert_eq!(error.status, refusal.status(), "{refusal:?}");
            assert_eq!(error.message, refusal.to_string(), "{refusal:?}");
        }
        let wrong = Auth::new("c000", Duration::from_secs(30), Duration::from_secs(60))
            .authenticate(DEMO_USERNAME, "wrong")
            .unwrap_err();
        assert_eq!(wrong, ApiError::unauthorized("invalid credentials"));
        assert!(LOGIN_STATE_USERS.iter().all(|(_, status)| *status != 401));
    }

    #[test]
    fn tokens_are_single_use_and_sessions_carry_the_cluster_prefix() {
        let auth = Auth::new("c000", Duration::from_secs(30), Duration::from_secs(60));
        let token = auth.authenticate(DEMO_USERNAME, DEMO_PASSWORD).unwrap();
        let (key, _) = auth.authorize(&token).unwrap();
        assert!(key.starts_with("c000~") && key.len() == 37);
        assert_eq!(auth.authorize(&token).unwrap_err().status, 401);
        let candidates = SessionCandidates::new(Some(key), &[]);
        assert_eq!(
            auth.peek(&candidates),
            Some(1),
            "the first session's ordinal"
        );
        assert!(auth.check(&candidates, true, &Faults::default()).is_ok());
        auth.expire_all();
        assert_eq!(
            auth.check(&candidates, true, &Faults::default())
                .unwrap_err(),
            ApiError::session_expired()
        );
    }

    #[test]
    fn sim_23_and_sim_50_faults_count_per_session() {
        let auth = Auth::new("c000", Duration::from_secs(30), Duration::from_secs(60));
        let token = auth.authenticate(DEMO_USERNAME, DEMO_PASSWORD).unwrap();
        let (key, _) = auth.authorize(&token).unwrap();
        let c = SessionCandidates::new(None, &[&format!("auth_key={key}")]);
        let faults = Faults {
            unauthorized_after_login: 2,
            rate_limit_per_second: Some(2),
            ..Faults::default()
        };
        assert!(
            auth.check(&c, true, &faults).is_ok(),
            "login host is exempt"
        );
        assert_eq!(auth.check(&c, false, &faults).unwrap_err().status, 401);
        assert_eq!(auth.check(&c, false, &faults).unwrap_err().status, 401);
        assert!(auth.check(&c, false, &faults).is_ok());
        assert_eq!(auth.check(&c, false, &faults).unwrap_err().status, 429);
    }
}
