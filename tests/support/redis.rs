//! A real Redis for the store tests: Debian's `redis-server` on a loopback port with a
//! temporary directory and no persistence, ready when it answers PING, killed on drop.
//!
//! Where `redis-server` is not installed the tests that need it are skipped, saying so on
//! stderr (plain `cargo test` on a fresh machine must pass); with
//! `EEN_GALLERY_REQUIRE_REDIS=1` (as `.ci/run` sets) they fail instead.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::net::free_addr;

/// The variable that turns a missing `redis-server` from a skip into a failure.
pub const REQUIRE: &str = "EEN_GALLERY_REQUIRE_REDIS";

/// How long a starting server may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A `redis-server` of one test.
pub struct Redis {
    binary: PathBuf,
    addr: SocketAddr,
    dir: PathBuf,
    password: Option<String>,
    child: Option<Child>,
}

impl Redis {
    /// A server on a free loopback port, answering PING; `None` (with a message on stderr)
    /// where `redis-server` is not installed and [`REQUIRE`] is not set.
    pub async fn start(test: &str) -> Option<Redis> {
        Self::start_with(test, None).await
    }

    /// [`Redis::start`], asking clients for `password` (`requirepass`).
    pub async fn start_with_password(test: &str, password: &str) -> Option<Redis> {
        Self::start_with(test, Some(password.to_owned())).await
    }

    async fn start_with(test: &str, password: Option<String>) -> Option<Redis> {
        let Some(binary) = find_on_path("redis-server") else {
            if std::env::var(REQUIRE).is_ok_and(|v| !v.is_empty() && v != "0") {
                panic!("{test}: redis-server is not installed, and {REQUIRE} is set");
            }
            // Straight to stderr: the test harness captures `eprintln!` of passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: redis-server is not installed (apt-get install redis-server; \
                 set {REQUIRE}=1 to fail instead)"
            );
            return None;
        };
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "een-gallery-redis-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory for redis-server");
        // A port found free may be taken before the server binds it: then it exits, and
        // another port is tried.
        for _ in 0..5 {
            let mut redis = Redis {
                binary: binary.clone(),
                addr: free_addr(),
                dir: dir.clone(),
                password: password.clone(),
                child: None,
            };
            if redis.launch().await {
                return Some(redis);
            }
        }
        panic!(
            "redis-server did not start on a free port (see {})",
            dir.display()
        );
    }

    /// `redis://127.0.0.1:PORT/0`, with its password: `redis://:PASSWORD@127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@{}/0", self.addr),
            None => format!("redis://{}/0", self.addr),
        }
    }

    /// The process id of the running server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("redis-server runs").id()
    }

    /// Kills the server (as a crash or an orchestrator would) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty (it keeps nothing).
    pub async fn restart(&mut self) {
        self.stop();
        assert!(
            self.launch().await,
            "redis-server did not start again on {}",
            self.addr
        );
    }

    /// Starts `redis-server` and waits until it answers PING; false when it exited first.
    async fn launch(&mut self) -> bool {
        let log = std::fs::File::create(self.dir.join("redis.log")).expect("redis log file");
        let mut command = Command::new(&self.binary);
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        let child = command
            .args(["--bind", "127.0.0.1", "--port"])
            .arg(self.addr.port().to_string())
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if pong(self.addr).await {
                return true;
            }
            let exited = self
                .child
                .as_mut()
                .is_some_and(|child| child.try_wait().ok().flatten().is_some());
            if exited {
                self.child = None;
                return false;
            }
            // Connection refused comes back at once; this paces the retries.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("redis-server did not answer PING within {READY_WITHIN:?}");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether a Redis at `addr` answers PING (with PONG, or asking for the password).
async fn pong(addr: SocketAddr) -> bool {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.write_all(b"PING\r\n").await?;
        let mut answer = [0u8; 7];
        stream.read_exact(&mut answer).await?;
        Ok::<_, std::io::Error>(&answer == b"+PONG\r\n" || &answer == b"-NOAUTH")
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), exchange).await,
        Ok(Ok(true))
    )
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
