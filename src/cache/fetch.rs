//! Fetching against a deadline: the bounded page fetch (at most [`PAGE_FETCH_PERMITS`] in
//! flight) and single detached fetches. Fetches still running at the deadline are detached,
//! not cancelled: they finish in the background and land in the cache, so the browser's
//! request for the image (or the next view) finds it there.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::trouble::{Failure, SharedError, Trouble};
use crate::een;

/// How many images one page fetches at once.
pub const PAGE_FETCH_PERMITS: usize = 5;

/// The outcome of one image of a page.
#[derive(Debug)]
pub enum Fetch<T> {
    /// It arrived (or was cached).
    Ready(T),
    /// EEN says there is no such image (a camera without images, a time without a frame).
    Missing,
    /// It failed; never [`Trouble::Missing`], which is [`Fetch::Missing`].
    Failed(Trouble),
    /// It did not arrive before the deadline.
    Late,
}

impl<T> From<Result<T, SharedError>> for Fetch<T> {
    fn from(result: Result<T, SharedError>) -> Self {
        match result {
            Ok(value) => Fetch::Ready(value),
            Err(error) => match Trouble::of(&error) {
                Trouble::Missing => Fetch::Missing,
                trouble => Fetch::Failed(trouble),
            },
        }
    }
}

/// Waits for an EEN call no longer than `deadline`, so a page never hangs on EEN.
pub(super) async fn within<T>(
    deadline: Instant,
    call: impl Future<Output = Result<T, een::Error>>,
) -> Result<T, Failure> {
    tokio::time::timeout_at(deadline, call)
        .await
        .unwrap_or(Err(een::Error::Timeout))
        .map_err(Failure::from)
}

/// Runs one fetch on its own task and waits for it until `deadline`; [`Fetch::Late`] when
/// it is late. A late fetch is not cancelled: it finishes in the background and fills the
/// cache, as a page's late images do.
pub(super) async fn detached<T: Send + 'static>(
    deadline: Instant,
    fetch: impl Future<Output = Result<T, SharedError>> + Send + 'static,
) -> Fetch<T> {
    match tokio::time::timeout_at(deadline, tokio::spawn(fetch)).await {
        Ok(Ok(outcome)) => outcome.into(),
        Ok(Err(error)) => {
            tracing::error!(error = %error, "image fetch task failed");
            Fetch::Late
        }
        Err(_) => Fetch::Late,
    }
}

/// Runs one task per job, each holding one of [`PAGE_FETCH_PERMITS`] permits while it runs,
/// in job order, and collects the results that arrive before `deadline`. Tasks still running
/// at the deadline are detached, not cancelled: they finish and fill the cache.
pub(super) async fn bounded<I, T, F, Fut>(
    jobs: Vec<(usize, I)>,
    deadline: Instant,
    fetch: F,
) -> Vec<(usize, Fetch<T>)>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<T, SharedError>> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(PAGE_FETCH_PERMITS));
    let mut tasks = JoinSet::new();
    for (index, job) in jobs {
        // Boxed: the EEN call's future is several KiB, and a task would otherwise copy it
        // into its own allocation at spawn.
        let work = Box::pin(fetch(job));
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so this always yields a permit; it is released
            // when the task ends.
            let _permit = permits.acquire_owned().await.ok();
            (index, work.await)
        });
    }
    let mut done = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok((index, result)))) => done.push((index, Fetch::from(result))),
            // A panicked fetch stays `Late`: the page shows a placeholder.
            Ok(Some(Err(error))) => tracing::error!(error = %error, "image fetch task failed"),
            Ok(None) => break,
            Err(_) => {
                tracing::debug!(late = tasks.len(), "page deadline passed");
                tasks.detach_all();
                break;
            }
        }
    }
    done
}
