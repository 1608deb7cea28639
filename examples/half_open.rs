//! Holds half-open HTTP connections against a server: the slow-client load of
//! `scripts/bench.sh` (issue 13).
//!
//! ```text
//! half_open ADDR COUNT WAIT_SECS
//! ```
//!
//! Opens COUNT connections to ADDR (`127.0.0.1:8080`), sends each `GET / HTTP/1.1\r\nHost: x\r\n`
//! and nothing more, and prints `held N` once all are open. From then on it keeps COUNT held:
//! a connection the server closes is counted and opened again, as a slow-header attacker
//! would. On SIGTERM or SIGINT it stops reopening, waits up to WAIT_SECS for the server to
//! close the ones still open, and prints one line of `key=value` figures:
//!
//! ```text
//! opened=… closed=… still_open=… errors=… held_min_ms=… held_max_ms=…
//! ```
//!
//! `closed` counts connections the server ended (EOF or reset), `held_*` how long those had
//! been open. A failure to open one of the first COUNT exits with status 1, so a harness
//! notices a tool that could not do its job; later connect failures are counted in `errors`
//! and retried.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Semaphore, watch};

/// The request head every connection sends: complete but for the blank line that ends it.
const HALF_HEAD: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n";

/// Connection attempts in flight at once: the server's listen backlog is finite, and a burst
/// of thousands of SYNs at once would be dropped and retried after a second.
const CONNECTS_AT_ONCE: usize = 64;

/// How long to wait before trying again after a failed connect during the hold.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// What the connection tasks share.
struct Shared {
    addr: SocketAddr,
    connects: Semaphore,
    /// Set on the stop signal: closed connections are no longer replaced.
    stopping: AtomicBool,
    opened: AtomicU64,
    closed: AtomicU64,
    errors: AtomicU64,
    held_min_ms: AtomicU64,
    held_max_ms: AtomicU64,
    /// Connections open now.
    open: watch::Sender<u64>,
}

/// Why a connection could not be opened and primed.
#[derive(Debug)]
struct OpenError(std::io::Error);

impl Shared {
    /// Connects and sends the half head.
    async fn open(&self) -> Result<TcpStream, OpenError> {
        let stream = {
            // The semaphore is never closed, so acquiring only fails if it were.
            let _permit = self.connects.acquire().await;
            TcpStream::connect(self.addr).await.map_err(OpenError)?
        };
        let mut sent = 0;
        while sent < HALF_HEAD.len() {
            stream.writable().await.map_err(OpenError)?;
            match stream.try_write(&HALF_HEAD[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(OpenError(e)),
            }
        }
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.open.send_modify(|n| *n += 1);
        Ok(stream)
    }

    /// Waits until the server ends the connection (whatever it answers first), then counts it.
    async fn hold(&self, stream: TcpStream) {
        let since = Instant::now();
        let mut buf = [0u8; 1024];
        loop {
            if stream.readable().await.is_err() {
                break;
            }
            match stream.try_read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {} // an answer (408, 400): keep reading until the close
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => break, // reset
            }
        }
        let ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.held_min_ms.fetch_min(ms, Ordering::Relaxed);
        self.held_max_ms.fetch_max(ms, Ordering::Relaxed);
        self.closed.fetch_add(1, Ordering::Relaxed);
        self.open.send_modify(|n| *n -= 1);
    }

    /// One slot: holds a connection, and a new one each time the server closes it, until the
    /// stop signal.
    async fn keep(self: Arc<Self>, first: TcpStream) {
        let mut stream = first;
        loop {
            self.hold(stream).await;
            stream = loop {
                if self.stopping.load(Ordering::Relaxed) {
                    return;
                }
                match self.open().await {
                    Ok(s) => break s,
                    Err(_) => {
                        self.errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                }
            };
        }
    }
}

/// The command line: ADDR COUNT WAIT_SECS.
fn args() -> Result<(SocketAddr, u64, Duration), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, count, wait] = args.as_slice() else {
        return Err("usage: half_open ADDR COUNT WAIT_SECS".to_owned());
    };
    let addr = addr
        .parse()
        .map_err(|e| format!("not an address: {addr}: {e}"))?;
    let count = count
        .parse()
        .map_err(|e| format!("not a count: {count}: {e}"))?;
    let wait = wait
        .parse()
        .map_err(|e| format!("not a number of seconds: {wait}: {e}"))?;
    Ok((addr, count, Duration::from_secs(wait)))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let (addr, count, wait) = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("half_open: {e}");
            return ExitCode::from(2);
        }
    };
    // Listen for the stop signal before anything else, so an early one is not lost.
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("half_open: cannot listen for signals: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (open, _) = watch::channel(0);
    let shared = Arc::new(Shared {
        addr,
        connects: Semaphore::new(CONNECTS_AT_ONCE),
        stopping: AtomicBool::new(false),
        opened: AtomicU64::new(0),
        closed: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        held_min_ms: AtomicU64::new(u64::MAX),
        held_max_ms: AtomicU64::new(0),
        open,
    });

    let mut first = tokio::task::JoinSet::new();
    for _ in 0..count {
        let shared = Arc::clone(&shared);
        first.spawn(async move { shared.open().await });
    }
    while let Some(opened) = first.join_next().await {
        match opened {
            Ok(Ok(stream)) => {
                tokio::spawn(Arc::clone(&shared).keep(stream));
            }
            Ok(Err(OpenError(e))) => {
                eprintln!("half_open: cannot open a connection to {addr}: {e}");
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("half_open: a connect task failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("held {count}");

    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    shared.stopping.store(true, Ordering::Relaxed);
    let mut open = shared.open.subscribe();
    // Past the wait, whatever is still open is reported as such.
    let _ = tokio::time::timeout(wait, open.wait_for(|n| *n == 0)).await;
    let min = shared.held_min_ms.load(Ordering::Relaxed);
    println!(
        "opened={} closed={} still_open={} errors={} held_min_ms={} held_max_ms={}",
        shared.opened.load(Ordering::Relaxed),
        shared.closed.load(Ordering::Relaxed),
        *shared.open.borrow(),
        shared.errors.load(Ordering::Relaxed),
        if min == u64::MAX { 0 } else { min },
        shared.held_max_ms.load(Ordering::Relaxed),
    );
    ExitCode::SUCCESS
}
