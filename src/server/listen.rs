//! Accepting and serving HTTP/1.1 connections within bounds, so that slow or many clients
//! cannot hold the server: a header timeout that also ends idle keep-alive connections, a cap
//! on open connections kept below the process's file-descriptor limit, and a cap on header
//! size. `axum::serve` exposes none of these (its connections have no timer at all), so this
//! is its accept loop with hyper's own settings turned on.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::{Extension, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Layer as _;

/// File descriptors left to everything but client connections: EEN connections, the
/// listener, files, the log.
const RESERVED_FDS: u64 = 256;

/// How long to wait after an accept error that is not about one connection (out of file
/// descriptors, out of memory) before accepting again, as `axum::serve` does.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// How the server bounds its client connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest a connection may wait for a request's headers to be complete, counted from the
    /// moment it is ready for a request: on a new connection and between keep-alive requests
    /// alike (hyper runs one timer for both), so it is also the keep-alive idle timeout.
    pub header_timeout: Duration,
    /// Most client connections open at once. Beyond it, new connections wait in the kernel's
    /// listen backlog until one closes; the ones being served are not touched.
    pub max_connections: usize,
    /// Largest request head (request line and headers) in bytes; a larger one gets 431.
    pub max_header_bytes: usize,
}

impl Limits {
    /// The default header timeout: Apache's keep-alive timeout, and long enough for any
    /// real client on a slow link to send a few hundred bytes of headers.
    pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default head size cap: nginx's `large_client_header_buffers 4 8k`.
    pub const MAX_HEADER_BYTES: usize = 32 * 1024;
}

impl Default for Limits {
    /// The defaults, with 1,024 connections; the server itself sizes the cap from the
    /// file-descriptor limit ([`connection_budget`]).
    fn default() -> Self {
        Limits {
            header_timeout: Self::HEADER_TIMEOUT,
            max_connections: 1024,
            max_header_bytes: Self::MAX_HEADER_BYTES,
        }
    }
}

/// Raises this process's soft limit on open files to its hard limit (as Go and nginx's
/// `worker_rlimit_nofile` do; a shell's soft limit is often 1024 while the hard one allows far
/// more), and answers how many client connections fit in it with [`RESERVED_FDS`] to spare.
pub fn connection_budget() -> usize {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.maximum.is_some() && limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        // When raising is refused, the current soft limit is what there is.
        if setrlimit(Resource::Nofile, raised).is_ok() {
            limit = raised;
        }
    }
    // `None` is unlimited; 65,536 connections is more than one process of this server
    // should hold anyway.
    let soft = limit.current.unwrap_or(u64::MAX).min(65_536 + RESERVED_FDS);
    usize::try_from(soft.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX)
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets open
/// requests finish for at most `drain` (idle connections close at once).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    drain: Duration,
) -> io::Result<()> {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A permit first: past the cap, connections stay in the backlog, not in memory.
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                tracing::error!(%error, "accept error");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        // Pages are small and written at once; waiting to fill packets only adds latency.
        let _ = stream.set_nodelay(true);
        // Handlers see the peer's address (`ConnectInfo`), as with `axum::serve`'s
        // `into_make_service_with_connect_info`: the sign-in limit and the trusted-proxy
        // checks need it.
        let service = TowerToHyperService::new(Extension(ConnectInfo(peer)).layer(app.clone()));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that times out or goes away is its own business.
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(drain) => {
            tracing::warn!(?drain, "requests still open after the drain time; stopping anyway");
        }
    }
    Ok(())
}

/// Errors that concern one connection only (it was reset before it was accepted), after
/// which accepting goes straight on.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_budget_leaves_room_within_the_file_limit() {
        let budget = connection_budget() as u64;
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert!(budget >= 16);
        if let Some(soft) = limit.current {
            assert!(
                budget + RESERVED_FDS <= soft.max(16 + RESERVED_FDS),
                "{budget} {soft}"
            );
        }
    }
}
