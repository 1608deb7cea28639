//! Sign-in sessions: a random id in the browser's cookie, the session's record here.
//!
//! The id is 32 random bytes; the store keys records by its SHA-256, so the store (memory
//! today, a shared Valkey/Redis later: issue 16) never holds a value that would sign anybody
//! in. A session ends when it has not been used for the idle lifetime, when it reaches its
//! absolute lifetime, at sign-out, or when its user's password changes or the user is
//! removed (checked by the caller against the users file, see [`Session::credential`]).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::sync::Cache;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;

use super::Role;
use super::secret::random_secret;

/// Sessions kept at once; past it the least recently used go first. Only good credentials
/// make sessions, and sign-ins are rate-limited, so this bounds memory, not legitimate use.
const MAX_SESSIONS: u64 = 100_000;

/// How long sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    /// Ends a session not used for this long.
    pub idle: Duration,
    /// Ends every session this long after sign-in, used or not.
    pub absolute: Duration,
}

impl Default for Lifetimes {
    /// 12 hours idle (a working day's shift at a camera wall), 7 days at most.
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(12 * 3600),
            absolute: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A signed-in browser, as the store keeps it.
#[derive(Clone)]
pub struct Session {
    /// Who signed in.
    pub user: String,
    /// The role at sign-in (the users file's current role is what counts).
    pub role: Role,
    /// The token this session's forms carry (sign-out, EEN connect and disconnect).
    pub csrf: SecretString,
    /// The fingerprint of the password signed in with ([`super::User::credential`]).
    pub credential: [u8; 16],
    /// When the user signed in.
    pub created: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The store's key for a session id: its SHA-256.
type Key = [u8; 32];

fn key(id: &str) -> Key {
    sha2::Sha256::digest(id.as_bytes()).into()
}

/// Each record lives for the idle lifetime after its last use, never past the absolute one.
struct Lifetime(Lifetimes);

impl Lifetime {
    fn left(&self, session: &Session, now: Instant) -> Duration {
        let absolute = (session.created + self.0.absolute).saturating_duration_since(now);
        absolute.min(self.0.idle)
    }
}

impl Expiry<Key, Arc<Session>> for Lifetime {
    fn expire_after_create(
        &self,
        _: &Key,
        session: &Arc<Session>,
        now: Instant,
    ) -> Option<Duration> {
        Some(self.left(session, now))
    }

    fn expire_after_read(
        &self,
        _: &Key,
        session: &Arc<Session>,
        now: Instant,
        _: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        Some(self.left(session, now))
    }
}

/// The session store: in this process's memory. Cheap to clone. Its methods are what a
/// shared store must offer too: create, look up (which counts as use), end.
#[derive(Clone)]
pub struct Sessions {
    records: Cache<Key, Arc<Session>>,
    lifetimes: Lifetimes,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("lifetimes", &self.lifetimes)
            .field("count", &self.records.entry_count())
            .finish()
    }
}

impl Sessions {
    /// An empty store whose sessions live `lifetimes`.
    pub fn new(lifetimes: Lifetimes) -> Self {
        Self {
            records: Cache::builder()
                .max_capacity(MAX_SESSIONS)
                .expire_after(Lifetime(lifetimes))
                .build(),
            lifetimes,
        }
    }

    /// How long sessions live.
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    /// Starts a session for `user` and answers the id for its cookie: always a new one, so
    /// an id planted in a browser before sign-in is worth nothing after it.
    pub fn create(&self, user: &super::User) -> SecretString {
        let id = random_secret();
        let session = Session {
            user: user.name.clone(),
            role: user.role,
            csrf: random_secret(),
            credential: user.credential(),
            created: Instant::now(),
        };
        self.records
            .insert(key(id.expose_secret()), Arc::new(session));
        id
    }

    /// The live session with this id, if any; looking it up counts as using it.
    pub fn get(&self, id: &str) -> Option<Arc<Session>> {
        let session = self.records.get(&key(id))?;
        // Moka expires lazily; the absolute end is checked here to the instant.
        (session.created.elapsed() < self.lifetimes.absolute).then_some(session)
    }

    /// Ends the session with this id (nothing if there is none).
    pub fn end(&self, id: &str) {
        self.records.invalidate(&key(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Users;

    fn user() -> super::super::User {
        let mut users = Users::default();
        users
            .add("ada", Role::Admin, &SecretString::from("correct horse"))
            .unwrap();
        users.find("ada").unwrap().clone()
    }

    #[test]
    fn a_session_is_found_by_its_id_until_it_ends() {
        let sessions = Sessions::new(Lifetimes::default());
        let user = user();
        let id = sessions.create(&user);
        let other = sessions.create(&user);
        assert_ne!(id.expose_secret(), other.expose_secret());
        let session = sessions.get(id.expose_secret()).expect("live");
        assert_eq!((session.user.as_str(), session.role), ("ada", Role::Admin));
        assert_eq!(session.credential, user.credential());
        assert!(sessions.get("not-an-id").is_none());
        sessions.end(id.expose_secret());
        assert!(sessions.get(id.expose_secret()).is_none());
        assert!(
            sessions.get(other.expose_secret()).is_some(),
            "others live on"
        );
    }

    #[test]
    fn a_session_ends_at_its_absolute_lifetime() {
        let sessions = Sessions::new(Lifetimes {
            idle: Duration::from_secs(60),
            absolute: Duration::ZERO,
        });
        let id = sessions.create(&user());
        assert!(sessions.get(id.expose_secret()).is_none());
    }

    #[test]
    fn neither_debug_output_shows_a_secret() {
        let sessions = Sessions::new(Lifetimes::default());
        let id = sessions.create(&user());
        let session = sessions.get(id.expose_secret()).unwrap();
        let shown = format!("{session:?} {sessions:?}");
        assert!(!shown.contains(id.expose_secret()), "{shown}");
        assert!(!shown.contains(session.csrf.expose_secret()), "{shown}");
    }
}
