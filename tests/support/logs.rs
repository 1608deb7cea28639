//! Capturing every log line one test's scenario writes, to check what reaches the log (a
//! setup link, once) and what never does (tokens, codes, secrets).

use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::Dispatch;
use tracing::subscriber::{DefaultGuard, NoSubscriber};
use tracing_subscriber::EnvFilter;

/// The lines written while it is installed, on this thread. Use it on a current-thread
/// runtime (`#[tokio::test]`), so every task of the scenario runs on this thread and is seen,
/// and nothing of the tests on other threads is.
pub struct Capture {
    buffer: Buffer,
    _guard: DefaultGuard,
    // tracing caches once per process whether a call site is of interest. While a single
    // dispatcher is registered, it asks only the default of the thread that reaches the call
    // site first: a sibling test with no subscriber would cache "never" for call sites this
    // capture needs. With two more dispatchers registered, every call site asks all of them.
    _ask_every_dispatcher: [Dispatch; 2],
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// Captures this thread's lines that pass `filter` (`RUST_LOG` syntax), as plain text.
    pub fn install(filter: &str) -> Self {
        let ask_every_dispatcher = [(); 2].map(|()| Dispatch::new(NoSubscriber::default()));
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(filter))
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        Self {
            buffer,
            _guard: tracing::subscriber::set_default(subscriber),
            _ask_every_dispatcher: ask_every_dispatcher,
        }
    }

    /// Everything captured so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.0.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned()
    }
}
