//! A real nginx (Debian's package) in front of a test's gallery: started on a loopback port
//! with a config of the test's own in a temporary directory, stopped when dropped; its access
//! log says what reached it.
//!
//! Without nginx installed, [`Nginx::start`] answers `None` after saying so, and the test
//! that needs it passes without running; with `EEN_GALLERY_REQUIRE_NGINX=1` (as `.ci/run`
//! sets it) a missing nginx fails the test instead.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::connect::temp_dir;
use super::net::free_addr;

/// Where Debian installs nginx.
const NGINX: &str = "/usr/sbin/nginx";

/// A running nginx.
pub struct Nginx {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    dir: PathBuf,
}

impl Nginx {
    /// nginx serving `locations` (the body of its one `server` block), once it accepts
    /// connections; `None` when nginx is not installed and not required.
    pub async fn start(locations: &str) -> Option<Nginx> {
        let binary = [Path::new(NGINX).to_owned()]
            .into_iter()
            .chain(
                std::env::var_os("PATH")
                    .iter()
                    .flat_map(std::env::split_paths)
                    .map(|dir| dir.join("nginx")),
            )
            .find(|path| path.is_file());
        let Some(binary) = binary else {
            assert!(
                std::env::var_os("EEN_GALLERY_REQUIRE_NGINX").is_none(),
                "nginx is required (EEN_GALLERY_REQUIRE_NGINX) but not installed"
            );
            eprintln!("SKIPPED: nginx is not installed (apt-get install nginx to run this test)");
            return None;
        };
        let dir = temp_dir("nginx");
        std::fs::create_dir_all(&dir).expect("a directory for nginx");
        let addr = free_addr();
        let d = dir.display();
        let config = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 256; }}\n\
             http {{\n  log_format requests '$request_method $request_uri $status';\n  \
             access_log {d}/access.log requests;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  \
             server {{\n    listen {addr};\n{locations}\n  }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), config).expect("nginx.conf");
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Nginx { child, addr, dir };
        nginx.wait_until_listening().await;
        Some(nginx)
    }

    /// Polls until nginx accepts a connection (it binds at start, after reading its config).
    async fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                panic!("nginx exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "nginx does not listen on {}",
                self.addr
            );
            tokio::task::yield_now().await;
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request it has answered so far, oldest first, as `GET /path?query 200` (nginx
    /// writes each line when the answer is sent, unbuffered).
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("access.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
