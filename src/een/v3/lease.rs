//! One refresh at a time among the replicas sharing a store (`STORE_URL`), so rotation
//! never breaks: the connection lives in the store (`shared`), and a replica refreshes it
//! only holding the refresh lock, whose lease bounds how long a replica that died holding
//! it delays the next refresh.
//!
//! A refresh, for the replica that needs one (its token is due, or EEN refused it):
//! 1. it reads the store; a pair other than its own, not being spent, is a refresh (or a
//!    new connection) another replica made: it takes that one, and EEN is not asked;
//! 2. otherwise it takes the lock (`SET NX PX`), reads again, marks the stored refresh
//!    token spent (only while the lock is still its own), and sends it to EEN, in a task
//!    of its own, so that a caller giving up cannot cut the step between EEN's answer and
//!    storing it;
//! 3. the new pair is written and the mark cleared in one step, then the lock let go;
//! 4. replicas that found the lock taken or the mark set wait for the new pair, reading the
//!    store every [`POLL`] within their call's deadline (a token that is only due does not
//!    wait: it is used while the other replica refreshes).
//!
//! A rotated-away refresh token is never sent: the mark is set before the token leaves and
//! stays until its successor is stored. When the store goes away after EEN answered, the
//! replica keeps the new pair, serves with it, and writes it as soon as the store answers;
//! the others wait meanwhile (their pages say EEN is unavailable for now) rather than send
//! the dead token. When the store cannot be reached at all, nobody refreshes: the current
//! token is used while it lives, and calls then fail as "unavailable" until the store is
//! back. A mark left by a replica that died between sending and storing is given up after
//! [`SPENT_GIVE_UP`]: the connection is then taken as lost (reconnection needed), since its
//! refresh token was spent and its successor died with that replica.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::ClientConfig;
use super::shared::{Claim, SharedConnection, Snapshot, Standing};
use super::store::Connection;
use super::tokens::{Held, Live, Tokens};
use crate::een::Error;
use crate::store::StoreError;

/// How often a replica waiting for another's refresh reads the store.
const POLL: Duration = Duration::from_millis(100);

/// How much longer than one token request a lock's lease lasts: the store's writes around
/// it, and slack for a slow machine.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// How long a spent mark is waited for before the connection is taken as lost.
const SPENT_GIVE_UP: Duration = Duration::from_secs(120);

/// How often the replica that could not store a new pair tries again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// How long a replica finding the store empty (it lost everything: restarted without
/// persistence) waits before writing its own pair back: a replica holding a newer one
/// (refreshed while the store was away) writes it within its retry, and wins.
const RESEED_GRACE: Duration = Duration::from_secs(5);

/// How often a replica without a connection asks the store whether another has one.
pub(super) const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// The error of a refresh the store's trouble holds up.
fn unavailable(error: StoreError) -> Error {
    tracing::warn!(%error, "the shared store cannot be reached: no EEN token refresh meanwhile");
    Error::Unavailable("the shared store cannot be reached, so the EEN token is not refreshed")
}

impl Tokens {
    /// Refreshes `live` (held under the local single flight) as the module says.
    pub(super) async fn refresh_across<F, Fut>(
        &self,
        config: &ClientConfig,
        shared: &SharedConnection,
        live: Arc<Live>,
        wait: bool,
        refresh: F,
    ) -> Result<Arc<Live>, Error>
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Connection, Error>> + Send + 'static,
    {
        let mut refresh = Some(refresh);
        loop {
            let snapshot = shared.snapshot().await.map_err(unavailable)?;
            if let Some(newer) = self.take_newer(config, &live, &snapshot)? {
                return Ok(newer);
            }
            match snapshot.spent {
                Some(since) if age(since) >= SPENT_GIVE_UP => {
                    tracing::error!(
                        "another replica spent the EEN refresh token and did not store its \
                         successor; the connection is lost: an operator must connect again"
                    );
                    self.set(Held::ReconnectionNeeded);
                    return Err(Error::ReconnectionNeeded);
                }
                // Another replica is refreshing, or has not stored its new pair yet.
                Some(_) => {}
                None if snapshot.standing.is_none() => {
                    // The store lost the connection; this replica's pair may be behind a
                    // refresh made while the store was away, whose replica writes it soon.
                    if !wait {
                        return Ok(live);
                    }
                    tokio::time::sleep(RESEED_GRACE).await;
                    let again = shared.snapshot().await.map_err(unavailable)?;
                    if again.standing.is_none() && again.spent.is_none() {
                        tracing::warn!(
                            "the shared store lost the EEN connection: writing this replica's back"
                        );
                        shared.seed(&live.connection).await.map_err(unavailable)?;
                    }
                    continue;
                }
                None => {
                    let claim = Claim::new();
                    let lease = config.request_timeout + LEASE_MARGIN;
                    if shared.lock(&claim, lease).await.map_err(unavailable)? {
                        let claimed = self
                            .refresh_claimed(config, shared, &live, claim, &mut refresh)
                            .await;
                        if let Some(outcome) = claimed {
                            return outcome;
                        }
                        continue;
                    }
                }
            }
            if !wait {
                return Ok(live);
            }
            // The caller's deadline bounds the wait: it drops this future.
            tokio::time::sleep(POLL).await;
        }
    }

    /// Under the lock of `claim`: looks again, marks the token spent, refreshes, stores.
    /// `None` when the store changed under the claim (look again).
    async fn refresh_claimed<F, Fut>(
        &self,
        config: &ClientConfig,
        shared: &SharedConnection,
        live: &Arc<Live>,
        claim: Claim,
        refresh: &mut Option<F>,
    ) -> Option<Result<Arc<Live>, Error>>
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Connection, Error>> + Send + 'static,
    {
        let snapshot = match shared.snapshot().await {
            Ok(snapshot) => snapshot,
            Err(error) => {
                let _ = shared.unlock(&claim).await;
                return Some(Err(unavailable(error)));
            }
        };
        match self.take_newer(config, live, &snapshot) {
            Ok(None) if snapshot.spent.is_none() => {}
            Ok(None) => {
                let _ = shared.unlock(&claim).await;
                return None;
            }
            taken => {
                let _ = shared.unlock(&claim).await;
                return Some(taken.and_then(|newer| newer.ok_or(Error::NotConnected)));
            }
        }
        // The store's pair is this replica's; none at all means the store lost it (it
        // restarted empty), and this replica's pair is the newest anyone knows.
        let old = match snapshot.standing {
            Some(Standing::Connected(stored)) => stored,
            _ => live.connection.clone(),
        };
        match shared.mark_spent(&claim).await {
            Ok(true) => {}
            // The lease ran out first: someone else may hold the lock now.
            Ok(false) => return None,
            Err(error) => {
                let _ = shared.unlock(&claim).await;
                return Some(Err(unavailable(error)));
            }
        }
        let Some(refresh) = refresh.take() else {
            // Each call refreshes once; a second claim would be a bug: undo the mark.
            let _ = shared.unspend(&claim).await;
            let _ = shared.unlock(&claim).await;
            return Some(Err(Error::Unavailable(
                "the EEN token was refreshed already",
            )));
        };
        let step = critical(shared.clone(), claim, old, refresh, config.request_timeout);
        let outcome = tokio::spawn(step)
            .await
            .unwrap_or(Err(Error::Unavailable("the EEN token refresh stopped")));
        Some(self.settle(config, outcome))
    }

    /// What `snapshot` says for a replica holding `live`: `Some` newer pair to take, an
    /// error when the connection ended for everybody, `None` when this replica's pair is
    /// still the one to refresh (or the new one is not there yet).
    fn take_newer(
        &self,
        config: &ClientConfig,
        live: &Live,
        snapshot: &Snapshot,
    ) -> Result<Option<Arc<Live>>, Error> {
        match &snapshot.standing {
            Some(Standing::Disconnected) => {
                tracing::warn!("the EEN account was disconnected on another replica");
                self.set(Held::NotConnected);
                Err(Error::NotConnected)
            }
            Some(Standing::ReconnectionNeeded) => {
                self.set(Held::ReconnectionNeeded);
                Err(Error::ReconnectionNeeded)
            }
            Some(Standing::Connected(stored))
                if snapshot.spent.is_none() && !stored.same_as(&live.connection) =>
            {
                let newer = Arc::new(self.live(config, stored.clone())?);
                self.set(Held::Connected(Arc::clone(&newer)));
                tracing::info!(
                    expires_at = %newer.connection.expires_at,
                    "using the EEN token another replica refreshed"
                );
                Ok(Some(newer))
            }
            Some(Standing::Connected(_)) | None => Ok(None),
        }
    }

    /// With nothing held here: takes the connection the store holds, if there is one not
    /// being spent. `every` limits how often the store is asked.
    pub(super) async fn follow(
        &self,
        config: &ClientConfig,
        shared: &SharedConnection,
        every: Option<Duration>,
    ) -> Result<Option<Arc<Live>>, Error> {
        let _flight = self.refreshing.lock().await;
        if let Ok(live) = self.current() {
            return Ok(Some(live));
        }
        if let Some(every) = every {
            let mut followed = self.followed.lock().unwrap_or_else(PoisonError::into_inner);
            if followed.is_some_and(|at| at.elapsed() < every) {
                return Ok(None);
            }
            *followed = Some(Instant::now());
        }
        let snapshot = shared.snapshot().await.map_err(unavailable)?;
        match snapshot.standing {
            Some(Standing::Connected(stored)) if snapshot.spent.is_none() => {
                let live = Arc::new(self.live(config, stored)?);
                tracing::info!(expires_at = %live.connection.expires_at, "using the shared EEN connection");
                self.set(Held::Connected(Arc::clone(&live)));
                Ok(Some(live))
            }
            _ => Ok(None),
        }
    }
}

/// The step no caller's deadline may cut: the refresh at EEN and storing its answer (or
/// what it means), then letting the lock go.
async fn critical<F, Fut>(
    shared: SharedConnection,
    claim: Claim,
    old: Connection,
    refresh: F,
    timeout: Duration,
) -> Result<Connection, Error>
where
    F: FnOnce(Connection) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Connection, Error>> + Send + 'static,
{
    let outcome = tokio::time::timeout(timeout, refresh(old))
        .await
        .unwrap_or(Err(Error::Timeout));
    let finish = match &outcome {
        Ok(new) => Finish::Publish(new.clone()),
        Err(Error::ReconnectionNeeded) => Finish::Refused,
        // Nothing rotated, as far as anyone can tell (as a single gallery takes it too).
        Err(_) => Finish::Unspend,
    };
    if !finish.apply(&shared, &claim).await {
        tracing::error!(
            "the outcome of the EEN token refresh could not be put in the shared store: \
             this replica uses it and writes it as soon as the store answers; the other \
             replicas wait for it meanwhile"
        );
        tokio::spawn(retry(shared.clone(), claim.clone(), finish));
    }
    let _ = shared.unlock(&claim).await;
    outcome
}

/// The last write of a claim.
enum Finish {
    Publish(Connection),
    Refused,
    Unspend,
}

impl Finish {
    /// Writes it; false when the store did not take it.
    async fn apply(&self, shared: &SharedConnection, claim: &Claim) -> bool {
        let written = match self {
            // A store that lost the mark lost everything (restarted empty): this pair is
            // the newest, and is written back unless another replica wrote one first.
            Finish::Publish(new) => match shared.publish(claim, new).await {
                Ok(false) => shared.seed(new).await.map(|_| false),
                outcome => outcome,
            },
            Finish::Refused => shared.refused(claim).await,
            Finish::Unspend => shared.unspend(claim).await,
        };
        match written {
            Ok(true) => true,
            Ok(false) => {
                // The mark is gone: an operator connected (or disconnected) meanwhile,
                // which the store holds now and every replica follows.
                tracing::warn!("the shared EEN connection changed during the token refresh");
                true
            }
            Err(_) => false,
        }
    }
}

/// Tries `finish` again every [`RETRY_EVERY`] until the store takes it: replicas that gave
/// up waiting for it take it then (they follow the store).
async fn retry(shared: SharedConnection, claim: Claim, finish: Finish) {
    loop {
        tokio::time::sleep(RETRY_EVERY).await;
        if finish.apply(&shared, &claim).await {
            tracing::info!("the outcome of the EEN token refresh is in the shared store now");
            return;
        }
    }
}

/// How long ago `at` was (zero for a time in the future).
fn age(at: SystemTime) -> Duration {
    at.elapsed().unwrap_or_default()
}
