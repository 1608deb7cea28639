//! Sessions in the store the replicas share (`STORE_URL`): a session made on one replica
//! is valid on every other, and signing out on any ends it everywhere.
//!
//! Each record lives under `{prefix}:session:{base64url SHA-256 of the id}` with the
//! store's TTL for the idle lifetime (renewed on use, by each replica at most once a
//! [`RENEW_EVERY`]), and the absolute lifetime is checked from the record's sign-in time on
//! every read. Sign-out overwrites the record with [`record::ENDED`] for the absolute
//! lifetime.
//!
//! While the store cannot be reached, what could not be written waits here (bounded) and is
//! written once it answers again: a sign-in as a new record only if there is none (`NX`,
//! so a sign-out that landed first wins), a sign-out over whatever is there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Key, Lifetimes, Session, record};
use crate::store::{Store, StoreStatus, namespace};

/// The longest a replica goes without renewing the idle lifetime of a session it serves:
/// reads within it do not write, so image requests cost no write each.
pub(super) const RENEW_EVERY: Duration = Duration::from_secs(60);

/// Writes kept for a store that does not answer; past that, new sign-ins work only on the
/// replica that made them (and a sign-out only there), which is logged.
const MAX_PENDING: usize = 10_000;

/// How often waiting writes are tried while the store is back.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// A write the store has not taken yet.
#[derive(Clone)]
enum Pending {
    /// A sign-in: the record, written only if the key is free.
    Create(Arc<Session>),
    /// A sign-out: [`record::ENDED`], written over anything.
    End,
}

/// What the store says of a session.
pub(super) enum Read {
    /// It is live: here is its record.
    Live(Arc<Session>),
    /// It ended (signed out, expired, or the store lost it).
    Ended,
    /// The store could not be asked (down, slow, or a sign-in here not written yet).
    Unknown,
}

/// The store side of the sessions. Cheap to clone.
#[derive(Clone)]
pub(super) struct SharedSessions {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    lifetimes: Lifetimes,
    pending: Mutex<HashMap<Key, Pending>>,
}

impl SharedSessions {
    /// Sessions in `store`; starts the task that writes what had to wait.
    pub(super) fn new(store: Store, lifetimes: Lifetimes) -> Self {
        let shared = Self {
            inner: Arc::new(Inner {
                store,
                lifetimes,
                pending: Mutex::default(),
            }),
        };
        spawn_flusher(Arc::downgrade(&shared.inner));
        shared
    }

    /// Writes a new session's record.
    pub(super) async fn create(&self, key: Key, session: Arc<Session>) {
        if !self
            .inner
            .apply(&key, &Pending::Create(Arc::clone(&session)))
            .await
        {
            self.wait(key, Pending::Create(session));
        }
    }

    /// Ends the session of `key` for every replica.
    pub(super) async fn end(&self, key: Key) {
        if !self.inner.apply(&key, &Pending::End).await {
            self.wait(key, Pending::End);
        }
    }

    /// The store's word on the session of `key`; `renew` also renews its idle lifetime.
    pub(super) async fn read(&self, key: &Key, renew: bool) -> Read {
        match self.inner.pending().get(key) {
            Some(Pending::End) => return Read::Ended,
            Some(Pending::Create(_)) => return Read::Unknown,
            None => {}
        }
        let at = self.inner.key(key);
        let answer = if renew {
            self.inner
                .store
                .get_and_renew(&at, self.inner.lifetimes.idle)
                .await
        } else {
            self.inner.store.get(&at).await
        };
        match answer {
            Ok(Some(bytes)) => match record::decode(&bytes) {
                Some(session) if record::age(session.created) < self.inner.lifetimes.absolute => {
                    Read::Live(Arc::new(session))
                }
                _ => Read::Ended,
            },
            Ok(None) => Read::Ended,
            // Recorded (and logged, rate-limited) by the store's health.
            Err(_) => Read::Unknown,
        }
    }

    fn wait(&self, key: Key, write: Pending) {
        let mut pending = self.inner.pending();
        if pending.len() >= MAX_PENDING && !pending.contains_key(&key) {
            tracing::warn!(
                "too many sign-ins and sign-outs wait for the store: this one holds on this \
                 replica only"
            );
            return;
        }
        pending.insert(key, write);
    }
}

impl Inner {
    fn key(&self, key: &Key) -> String {
        self.store
            .key(namespace::SESSION, &[&URL_SAFE_NO_PAD.encode(key)])
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes `write` to the store; false when the store did not take it.
    async fn apply(&self, key: &Key, write: &Pending) -> bool {
        let at = self.key(key);
        let outcome = match write {
            Pending::Create(session) => {
                let age = record::age(session.created);
                let Some(left) = self.lifetimes.absolute.checked_sub(age) else {
                    return true; // Over already: nothing to write.
                };
                let ttl = left.min(self.lifetimes.idle);
                // `NX`: a sign-out written first (the word `ended`) stays.
                self.store
                    .set_new(&at, &record::encode(session), Some(ttl))
                    .await
                    .map(drop)
            }
            Pending::End => {
                self.store
                    .set_for(&at, record::ENDED, self.lifetimes.absolute)
                    .await
            }
        };
        outcome.is_ok()
    }

    /// Writes what waited, once the store answers; what fails again waits again, unless a
    /// newer write for the same session came meanwhile.
    async fn flush(&self) {
        let waiting: Vec<(Key, Pending)> = self.pending().drain().collect();
        let mut failed = Vec::new();
        for (key, write) in waiting {
            if !self.apply(&key, &write).await {
                failed.push((key, write));
            }
        }
        if failed.is_empty() {
            tracing::info!(
                "the sign-ins and sign-outs made while the store was away are in it now"
            );
        }
        let mut pending = self.pending();
        for (key, write) in failed {
            pending.entry(key).or_insert(write);
        }
    }
}

/// The task that writes what waited, every [`FLUSH_EVERY`] while the store is not down. It
/// ends with the sessions.
fn spawn_flusher(inner: Weak<Inner>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            if inner.store.status() != StoreStatus::Down && !inner.pending().is_empty() {
                inner.flush().await;
            }
        }
    });
}
