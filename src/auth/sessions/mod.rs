//! Sign-in sessions: a random id in the browser's cookie, the session's record here, and
//! with a shared store (`STORE_URL`) in the store too, so every replica knows it.
//!
//! The id is 32 random bytes; records are keyed by its SHA-256, so neither this process nor
//! the store ever holds a value that would sign anybody in. A session ends when it has not
//! been used for the idle lifetime, when it reaches its absolute lifetime, at sign-out, or
//! when its user's password changes or the user is removed (checked by the caller against
//! the users file, see [`Session::credential`]).
//!
//! With a store, the store is the authority and this process's memory a cache in front of
//! it: a session confirmed by the store within [`FRESH`] is taken from memory, so a page
//! and its images cost one read, and a sign-out on another replica takes effect here within
//! [`FRESH`]. While the store cannot be asked, sessions this replica holds keep working from
//! its memory (with their idle and absolute lifetimes), new sign-ins work here and are
//! written to the store once it answers, and sign-outs end the session here at once and in
//! the store once it answers (`shared`); a session this replica never saw is unknown until
//! then. A store that comes back empty (restarted without persistence) has lost every
//! session: their users sign in again.

mod record;
mod shared;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;
use moka::sync::Cache;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Digest as _;

use super::Role;
use super::secret::random_secret;
use crate::store::Store;
use shared::{Read, SharedSessions};

/// Sessions kept at once; past it the least recently used go first. Only good credentials
/// make sessions, and sign-ins are rate-limited, so this bounds memory, not legitimate use.
const MAX_SESSIONS: u64 = 100_000;

/// How long a session the store confirmed is taken from memory without asking again: the
/// longest a sign-out on another replica goes unnoticed here (while the store answers).
pub const FRESH: Duration = Duration::from_secs(2);

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
    /// When the user signed in (wall-clock time: replicas compare it).
    pub created: SystemTime,
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

/// A session as this process holds it.
#[derive(Clone)]
struct Held {
    session: Arc<Session>,
    /// When the store last confirmed it (or this process made it).
    checked: Instant,
    /// When this process last renewed its idle lifetime in the store.
    renewed: Instant,
}

impl Held {
    fn new(session: Arc<Session>, now: Instant) -> Self {
        Self {
            session,
            checked: now,
            renewed: now,
        }
    }
}

/// Each record lives for the idle lifetime after its last use, never past the absolute one.
struct Lifetime(Lifetimes);

impl Lifetime {
    fn left(&self, session: &Session) -> Duration {
        let absolute = self.0.absolute.saturating_sub(record::age(session.created));
        absolute.min(self.0.idle)
    }
}

impl Expiry<Key, Held> for Lifetime {
    fn expire_after_create(&self, _: &Key, held: &Held, _: Instant) -> Option<Duration> {
        Some(self.left(&held.session))
    }

    fn expire_after_read(
        &self,
        _: &Key,
        held: &Held,
        _: Instant,
        _: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        Some(self.left(&held.session))
    }

    fn expire_after_update(
        &self,
        _: &Key,
        held: &Held,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.left(&held.session))
    }
}

/// The sessions: in this process's memory, and in the shared store when there is one.
/// Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    records: Cache<Key, Held>,
    lifetimes: Lifetimes,
    shared: Option<SharedSessions>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("lifetimes", &self.lifetimes)
            .field("count", &self.records.entry_count())
            .field("shared", &self.shared.is_some())
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
            shared: None,
        }
    }

    /// The same lifetimes, the sessions kept in `store` for every replica (this process's
    /// memory in front of it). Call within a Tokio runtime.
    pub fn shared(lifetimes: Lifetimes, store: Store) -> Self {
        Self {
            shared: Some(SharedSessions::new(store, lifetimes)),
            ..Self::new(lifetimes)
        }
    }

    /// How long sessions live.
    pub fn lifetimes(&self) -> Lifetimes {
        self.lifetimes
    }

    /// Starts a session for `user` and answers the id for its cookie: always a new one, so
    /// an id planted in a browser before sign-in is worth nothing after it.
    pub async fn create(&self, user: &super::User) -> SecretString {
        let id = random_secret();
        let session = Arc::new(Session {
            user: user.name.clone(),
            role: user.role,
            csrf: random_secret(),
            credential: user.credential(),
            created: SystemTime::now(),
        });
        let key = key(id.expose_secret());
        self.records
            .insert(key, Held::new(Arc::clone(&session), Instant::now()));
        if let Some(shared) = &self.shared {
            shared.create(key, session).await;
        }
        id
    }

    /// The live session with this id, if any; looking it up counts as using it.
    pub async fn get(&self, id: &str) -> Option<Arc<Session>> {
        let key = key(id);
        let held = self.records.get(&key);
        let Some(shared) = &self.shared else {
            return held.and_then(|held| self.alive(held.session));
        };
        if let Some(held) = &held
            && held.checked.elapsed() < FRESH
        {
            return self.alive(Arc::clone(&held.session));
        }
        let renew_every = shared::RENEW_EVERY.min(self.lifetimes.idle / 4);
        let renew = held
            .as_ref()
            .is_none_or(|held| held.renewed.elapsed() >= renew_every);
        match shared.read(&key, renew).await {
            Read::Live(session) => {
                let now = Instant::now();
                let renewed = match &held {
                    Some(held) if !renew => held.renewed,
                    _ => now,
                };
                let checked = Held {
                    session: Arc::clone(&session),
                    checked: now,
                    renewed,
                };
                self.records.insert(key, checked);
                Some(session)
            }
            Read::Ended => {
                self.records.invalidate(&key);
                None
            }
            // From memory while the store cannot say.
            Read::Unknown => held.and_then(|held| self.alive(held.session)),
        }
    }

    /// Ends the session with this id (nothing if there is none), on every replica.
    pub async fn end(&self, id: &str) {
        let key = key(id);
        self.records.invalidate(&key);
        if let Some(shared) = &self.shared {
            shared.end(key).await;
        }
    }

    /// `session`, unless it reached its absolute lifetime (moka expires lazily; this is
    /// checked to the instant).
    fn alive(&self, session: Arc<Session>) -> Option<Arc<Session>> {
        (record::age(session.created) < self.lifetimes.absolute).then_some(session)
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

    #[tokio::test]
    async fn a_session_is_found_by_its_id_until_it_ends() {
        let sessions = Sessions::new(Lifetimes::default());
        let user = user();
        let id = sessions.create(&user).await;
        let other = sessions.create(&user).await;
        assert_ne!(id.expose_secret(), other.expose_secret());
        let session = sessions.get(id.expose_secret()).await.expect("live");
        assert_eq!((session.user.as_str(), session.role), ("ada", Role::Admin));
        assert_eq!(session.credential, user.credential());
        assert!(sessions.get("not-an-id").await.is_none());
        sessions.end(id.expose_secret()).await;
        assert!(sessions.get(id.expose_secret()).await.is_none());
        assert!(
            sessions.get(other.expose_secret()).await.is_some(),
            "others live on"
        );
    }

    #[tokio::test]
    async fn a_session_ends_at_its_absolute_lifetime() {
        let sessions = Sessions::new(Lifetimes {
            idle: Duration::from_secs(60),
            absolute: Duration::ZERO,
        });
        let id = sessions.create(&user()).await;
        assert!(sessions.get(id.expose_secret()).await.is_none());
    }

    #[tokio::test]
    async fn neither_debug_output_shows_a_secret() {
        let sessions = Sessions::new(Lifetimes::default());
        let id = sessions.create(&user()).await;
        let session = sessions.get(id.expose_secret()).await.unwrap();
        let shown = format!("{session:?} {sessions:?}");
        assert!(!shown.contains(id.expose_secret()), "{shown}");
        assert!(!shown.contains(session.csrf.expose_secret()), "{shown}");
    }
}
