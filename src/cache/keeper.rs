//! The keeper: the background task that (re)connects to EEN.
//!
//! The server starts before EEN answers; the keeper logs in with backoff and probes again
//! whenever the login or the camera list fails in a way that says EEN is gone (the health
//! status leaves [`Status::Ready`]), so the gallery recovers by itself.

use std::time::Duration;

use super::directory::Directory;
use super::health::{Health, Status};
use crate::een::Backend;

/// Backoff bounds of the keeper.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// First wait after a failure.
    pub initial: Duration,
    /// Longest wait.
    pub max: Duration,
    /// While ready, how often the backend may keep an idle connection alive (v3 refreshes
    /// a token that is due).
    pub keep_alive: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            keep_alive: Duration::from_secs(600),
        }
    }
}

/// How often a replica without a v3 connection looks whether another replica was connected
/// (a shared store): the connect flow ran on that one, and this one takes its connection.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// Spawns the task that keeps a session: it logs in (and loads the camera list) whenever the
/// status is not [`Status::Ready`], retrying with exponential backoff until it works; while
/// ready, it lets the backend keep an idle connection alive every [`Backoff::keep_alive`].
/// A v3 replica sharing its connection through a store that lost it (or never had it)
/// looks every [`FOLLOW_EVERY`] whether another replica holds one again.
pub fn spawn_keeper(
    een: Backend,
    directory: Directory,
    health: Health,
    backoff: Backoff,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut changes = health.subscribe();
        let mut wait = backoff.initial;
        loop {
            // Rejected credentials are retried (an operator may have fixed them at EEN); a
            // missing or refused v3 connection only an operator's connect flow can restore.
            let due = |s: &Status| {
                *s != Status::Ready
                    && !matches!(s, Status::NotConnected | Status::ReconnectionNeeded)
            };
            let following = een.follows_others();
            let lost = |s: Status| matches!(s, Status::NotConnected | Status::ReconnectionNeeded);
            // A deadline, not a sleep per turn: looking for another replica's connection
            // every few seconds must not put the keep-alive off.
            let mut keep_alive_at = tokio::time::Instant::now() + backoff.keep_alive;
            loop {
                tokio::select! {
                    // The guard `wait_for` returns is not `Send`: only whether it came is kept.
                    open = async { changes.wait_for(due).await.is_ok() } => {
                        if !open {
                            return;
                        }
                        break;
                    }
                    () = tokio::time::sleep(FOLLOW_EVERY), if following => {
                        if lost(health.status()) && een.follow().await {
                            tracing::info!("took the EEN connection another replica made");
                            break;
                        }
                    }
                    () = tokio::time::sleep_until(keep_alive_at) => {
                        keep_alive_at = tokio::time::Instant::now() + backoff.keep_alive;
                        if health.status() == Status::Ready {
                            let result = een.keep_alive().await;
                            if let Err(error) = &result {
                                tracing::warn!(%error, "keeping the EEN connection alive failed");
                            }
                            health.record_image_call("keep_alive", &result);
                        }
                    }
                }
            }
            if connect(&een, &directory, &health).await {
                wait = backoff.initial;
            } else {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(backoff.max);
            }
        }
    })
}

/// One attempt: log in if there is no session, then refresh the camera list (which proves the
/// session works and warms the list for the first page view).
async fn connect(een: &Backend, directory: &Directory, health: &Health) -> bool {
    if !een.is_connected() {
        let login = een.connect().await;
        health.record_login(&login);
        if let Err(error) = login {
            tracing::warn!(error = %error, "EEN login failed");
            // A login failure that says nothing about EEN as a whole still is not a session.
            return false;
        }
    }
    match directory.refresh().await {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(error = %error, "EEN camera list failed");
            false
        }
    }
}
