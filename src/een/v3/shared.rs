//! The connection in the store the replicas share (`STORE_URL`): the token pair and API
//! host every replica calls EEN with, the lock that lets one replica at a time refresh it,
//! and the mark that says its refresh token is being (or was) spent.
//!
//! Keys, in the store's `een` namespace:
//! - `v3:connection`: the record (connected, with the pair; disconnected; or refused by
//!   EEN, so reconnection is needed), with no expiry;
//! - `v3:refresh-lock`: the refreshing replica's claim, with a lease (`SET NX PX`), so a
//!   replica that dies holding it delays the next refresh by the lease at most;
//! - `v3:spent`: set under the lock just before the refresh token is sent, cleared in the
//!   same step as the new pair is written. While it is there no replica sends the stored
//!   refresh token: it may be dead already. It outlives the lock on purpose: a replica that
//!   got the new pair but could not write it (the store went away) keeps it and writes it
//!   when the store is back, and until then nobody burns the connection with the old token.
//!
//! The record holds the tokens as the connection file does: the store must be as private as
//! `DATA_DIR` (a password, TLS, a private network).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use super::store::{Connection, Stored};
use crate::store::{Store, StoreError, namespace};

/// The record at `v3:connection`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "state", content = "connection", rename_all = "snake_case")]
enum Record {
    Connected(Stored),
    Disconnected,
    ReconnectionNeeded,
}

/// Where the shared connection stands.
pub(super) enum Standing {
    /// Connected, with this pair.
    Connected(Connection),
    /// An operator disconnected it.
    Disconnected,
    /// EEN refused to refresh it: an operator must connect again.
    ReconnectionNeeded,
}

/// What the store holds now.
pub(super) struct Snapshot {
    /// The record (`None`: none yet, or the store lost it, or one this version does not read).
    pub(super) standing: Option<Standing>,
    /// Since when the stored refresh token is being spent, if it is.
    pub(super) spent: Option<SystemTime>,
}

/// A replica's claim to refresh: the value of its lock and of its spent mark.
#[derive(Clone)]
pub(super) struct Claim {
    owner: String,
    mark: String,
}

impl Claim {
    /// A fresh claim, marked with the time it was made.
    pub(super) fn new() -> Self {
        let bytes: [u8; 16] = rand::rng().random();
        let owner = URL_SAFE_NO_PAD.encode(bytes);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        Self {
            mark: format!("{owner} {now}"),
            owner,
        }
    }
}

/// When the mark `value` was made.
fn marked_at(value: &[u8]) -> Option<SystemTime> {
    let text = std::str::from_utf8(value).ok()?;
    let millis: u64 = text.split_once(' ')?.1.parse().ok()?;
    UNIX_EPOCH.checked_add(Duration::from_millis(millis))
}

/// The shared connection's keys in `store`. Cheap to clone.
#[derive(Clone)]
pub struct SharedConnection {
    store: Store,
    keys: Arc<Keys>,
}

struct Keys {
    connection: String,
    lock: String,
    spent: String,
}

impl fmt::Debug for SharedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedConnection")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl SharedConnection {
    pub(super) fn new(store: Store) -> Self {
        let key = |name: &str| store.key(namespace::EEN, &["v3", name]);
        let keys = Keys {
            connection: key("connection"),
            lock: key("refresh-lock"),
            spent: key("spent"),
        };
        Self {
            keys: Arc::new(keys),
            store,
        }
    }

    /// The record and the spent mark, read at once.
    pub(super) async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let keys = [self.keys.connection.as_str(), self.keys.spent.as_str()];
        let mut values = self.store.get_many(&keys).await?.into_iter();
        let (record, spent) = (values.next().flatten(), values.next().flatten());
        let standing = record.and_then(|bytes| match serde_json::from_slice(&bytes) {
            Ok(Record::Connected(stored)) => stored.connection().map(Standing::Connected),
            Ok(Record::Disconnected) => Some(Standing::Disconnected),
            Ok(Record::ReconnectionNeeded) => Some(Standing::ReconnectionNeeded),
            Err(_) => {
                tracing::warn!("the shared store holds an EEN connection this version cannot read");
                None
            }
        });
        Ok(Snapshot {
            standing,
            // A mark that does not say when counts from now: it is waited for, not ignored.
            spent: spent.map(|value| marked_at(&value).unwrap_or_else(SystemTime::now)),
        })
    }

    /// The stored pair, if connected (the first use after start).
    pub(super) async fn load(&self) -> Result<Option<Connection>, StoreError> {
        Ok(match self.snapshot().await?.standing {
            Some(Standing::Connected(connection)) => Some(connection),
            _ => None,
        })
    }

    /// A new connection (the connect flow): stored for every replica, any spent mark gone
    /// with the grant it was about.
    pub(super) async fn adopt(&self, connection: &Connection) -> Result<(), StoreError> {
        let record = encode(&Record::Connected(Stored::of(connection)));
        self.store
            .set_forever_and_delete(&self.keys.connection, &record, &self.keys.spent)
            .await
    }

    /// Writes `connection` only if the store has no record (it lost it: restarted empty);
    /// whether it did.
    pub(super) async fn seed(&self, connection: &Connection) -> Result<bool, StoreError> {
        let record = encode(&Record::Connected(Stored::of(connection)));
        self.store
            .set_new(&self.keys.connection, &record, None)
            .await
    }

    /// Disconnected, for every replica.
    pub(super) async fn disconnect(&self) -> Result<(), StoreError> {
        self.store
            .set_forever_and_delete(
                &self.keys.connection,
                &encode(&Record::Disconnected),
                &self.keys.spent,
            )
            .await
    }

    /// Takes the refresh lock for `lease`; whether it was free.
    pub(super) async fn lock(&self, claim: &Claim, lease: Duration) -> Result<bool, StoreError> {
        self.store
            .set_new(&self.keys.lock, claim.owner.as_bytes(), Some(lease))
            .await
    }

    /// Lets the lock go, if it is still this claim's.
    pub(super) async fn unlock(&self, claim: &Claim) -> Result<bool, StoreError> {
        self.store
            .delete_if(&self.keys.lock, claim.owner.as_bytes())
            .await
    }

    /// Marks the stored refresh token spent, if the lock is still this claim's; whether it
    /// did.
    pub(super) async fn mark_spent(&self, claim: &Claim) -> Result<bool, StoreError> {
        self.store
            .set_if(
                &self.keys.lock,
                claim.owner.as_bytes(),
                &self.keys.spent,
                claim.mark.as_bytes(),
            )
            .await
    }

    /// Writes the new pair and clears this claim's mark, in one step; false when the mark
    /// is no longer this claim's (an operator connected anew meanwhile).
    pub(super) async fn publish(
        &self,
        claim: &Claim,
        connection: &Connection,
    ) -> Result<bool, StoreError> {
        let record = encode(&Record::Connected(Stored::of(connection)));
        self.finish(claim, &record).await
    }

    /// Records that EEN refused the refresh (reconnection needed), clearing this claim's
    /// mark: no replica sends the refused token again.
    pub(super) async fn refused(&self, claim: &Claim) -> Result<bool, StoreError> {
        self.finish(claim, &encode(&Record::ReconnectionNeeded))
            .await
    }

    /// Clears this claim's mark: the refresh failed for a passing reason, and the stored
    /// token is taken to be as good as before (as a single gallery takes it).
    pub(super) async fn unspend(&self, claim: &Claim) -> Result<bool, StoreError> {
        self.store
            .delete_if(&self.keys.spent, claim.mark.as_bytes())
            .await
    }

    async fn finish(&self, claim: &Claim, record: &[u8]) -> Result<bool, StoreError> {
        self.store
            .set_if_and_clear(
                &self.keys.spent,
                claim.mark.as_bytes(),
                &self.keys.connection,
                record,
            )
            .await
    }
}

fn encode(record: &Record) -> Vec<u8> {
    // Strings, numbers and a timestamp always serialize.
    serde_json::to_vec(record).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_says_when_it_was_made() {
        let claim = Claim::new();
        let at = marked_at(claim.mark.as_bytes()).expect("a time");
        assert!(at.elapsed().unwrap_or_default() < Duration::from_secs(5));
        assert_ne!(Claim::new().owner, claim.owner);
        assert!(marked_at(b"no time").is_none());
    }

    #[test]
    fn records_read_back_and_show_no_token_in_the_state() {
        for record in [Record::Disconnected, Record::ReconnectionNeeded] {
            let bytes = encode(&record);
            let back: Record = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                std::mem::discriminant(&back),
                std::mem::discriminant(&record)
            );
        }
        assert_eq!(
            encode(&Record::Disconnected),
            br#"{"state":"disconnected"}"#
        );
    }
}
