//! A real Chromium driven over WebDriver: chromedriver started by the test on a free loopback
//! port, one fresh Chromium profile per session, and cleanup that also runs after a failed
//! assertion.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::Method;
use fantoccini::wd::{TimeoutConfiguration, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use url::Url;

use crate::support::net::free_addr;

/// Chromium binary, overridable with `CHROMIUM`.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
/// chromedriver binary, overridable with `CHROMEDRIVER`.
const DEFAULT_CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long chromedriver may take to accept connections.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest a page may take to show what a step waits for.
pub const WAIT: Duration = Duration::from_secs(20);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);
/// Longest a whole scenario may run before it counts as hung.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

/// Flags Chromium needs on these machines (no sandbox as root, no GPU, no network chatter).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=en-US",
];

/// A desktop window.
pub const DESKTOP: (u32, u32) = (1366, 900);
/// A phone viewport (iPhone 12-15 class), in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);

/// How a browser session is set up.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Whether pages may run JavaScript (WebDriver scripts run either way).
    pub javascript: bool,
    /// Emulate a phone (390x844, touch, device pixel ratio 3) instead of a desktop window.
    pub phone: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            javascript: true,
            phone: false,
        }
    }
}

/// A running chromedriver, killed (with the Chromium it started) when dropped.
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver on a free loopback port and waits until it accepts connections.
    ///
    /// Panics (fails the test) when chromedriver or Chromium is missing: these tests are run
    /// on purpose, so a missing browser is an error, not a reason to skip.
    pub async fn start() -> Self {
        let chromium = chromium_path();
        assert!(
            chromium.is_file(),
            "Chromium not found at {} (set CHROMIUM, or install it: apt-get install chromium \
             chromium-driver)",
            chromium.display()
        );
        let chromedriver = chromedriver_path();
        // chromedriver cannot report a port it picked itself, so it gets a free one.
        let addr = free_addr();
        let port = addr.port();
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        // Its own process group, so that Drop can also end the Chromium processes it started.
        #[cfg(unix)]
        command.process_group(0);
        let mut child = command.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start chromedriver ({}): {e} (set CHROMEDRIVER, or install it: apt-get \
                 install chromium chromium-driver)",
                chromedriver.display()
            )
        });
        let deadline = tokio::time::Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if TcpStream::connect(addr).await.is_ok() {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("chromedriver exited before accepting connections: {status}");
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chromedriver did not listen on {addr} within {DRIVER_START_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Self {
            child,
            url: format!("http://{addr}"),
        }
    }

    /// Opens a browser session, runs `scenario` with it, and closes the session whether the
    /// scenario passed, failed an assertion or hung; a failure is then re-raised.
    pub async fn run<F, Fut>(&self, options: Options, scenario: F)
    where
        F: FnOnce(Browser) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let profile = Profile::new();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(options, profile.path()))
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open a Chromium session: {e}"));
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(Duration::from_secs(30)),
                Some(Duration::from_secs(30)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("set WebDriver timeouts");
        let browser = Browser {
            client: client.clone(),
        };
        // On its own task, so that a panic is caught here and the session still gets closed.
        let mut task = tokio::spawn(scenario(browser));
        let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, &mut task).await;
        if outcome.is_err() {
            // A hung scenario must not keep using the session while it is being closed.
            task.abort();
        }
        if let Err(error) = client.close().await {
            eprintln!("closing the browser session failed: {error}");
        }
        drop(profile);
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Ok(Err(join)) => panic!("scenario task failed: {join}"),
            Err(_) => panic!("scenario did not finish within {SCENARIO_TIMEOUT:?}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A session closed normally has already quit Chromium; this catches one that did not
        // (a hung scenario). Only the process group this test started is signalled.
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
    }
}

fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from)
}

fn chromedriver_path() -> PathBuf {
    std::env::var_os("CHROMEDRIVER")
        .map_or_else(|| PathBuf::from(DEFAULT_CHROMEDRIVER), PathBuf::from)
}

/// The WebDriver capabilities for `options`.
fn capabilities(options: Options, profile: &Path) -> serde_json::Map<String, Value> {
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut chrome = json!({
        "binary": chromium_path(),
        "args": args,
    });
    if options.phone {
        chrome["mobileEmulation"] = json!({
            "deviceMetrics": {
                "width": PHONE.0, "height": PHONE.1, "pixelRatio": 3.0,
                "mobile": true, "touch": true
            }
        });
    } else {
        chrome["args"]
            .as_array_mut()
            .expect("args is a list")
            .push(json!(format!("--window-size={},{}", DESKTOP.0, DESKTOP.1)));
    }
    if !options.javascript {
        // The same switch as a user's "Don't allow sites to use JavaScript".
        chrome["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": chrome,
        "goog:loggingPrefs": { "browser": "ALL" },
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("built as an object"),
    }
}

/// A fresh, empty Chromium profile directory, removed when dropped.
struct Profile(PathBuf);

impl Profile {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "chromium-profile-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create a Chromium profile directory");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One console message, as chromedriver reports it.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// Where it came from (`javascript`, `network`, `security`, ...).
    pub source: String,
    /// The text, usually starting with the URL it concerns.
    pub message: String,
}

/// A browser session, as a scenario sees it.
#[derive(Clone)]
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
}

impl Browser {
    /// Navigates to `url` and waits for its load event.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("navigate to {url}: {e}"));
    }

    /// The current URL.
    pub async fn url(&self) -> Url {
        self.client.current_url().await.expect("current URL")
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Clicks the element matching `selector` and waits until the browser has loaded the
    /// page at `expected` (a link is followed as a person would, not by `goto`).
    pub async fn click_and_wait(&self, selector: &str, expected: &Url) {
        let element = self
            .client
            .find(fantoccini::Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no element {selector}: {e}"));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
        self.wait_for_page(expected).await;
    }

    /// Waits until the browser shows a fully loaded page at `expected`.
    pub async fn wait_for_page(&self, expected: &Url) {
        self.wait_for_url(expected.as_str(), |url| url == expected)
            .await;
    }

    /// Waits until the browser shows a fully loaded page whose URL `accept`s (a redirect or a
    /// script's navigation may still be under way); returns that URL.
    pub async fn wait_for_url(&self, what: &str, accept: impl Fn(&Url) -> bool) -> Url {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if accept(&url)
                && self.js("return document.readyState").await.as_str() == Some("complete")
            {
                return url;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected to arrive at {what} within {WAIT:?}, still at {url}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until `script` (which returns a boolean) is true; a script failing while a page
    /// is replaced counts as not yet.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let done = self.client.execute(script, Vec::new()).await;
            if matches!(done, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} did not happen within {WAIT:?}; at {}",
                self.url().await
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Scrolls to each image that has not loaded yet (so lazy images start loading, as they
    /// would for a person scrolling), until every image has loaded or failed; then scrolls back
    /// to the top and returns facts about each `<img>` matching `selector`.
    ///
    /// Only synchronous scripts: WebDriver's asynchronous scripts never call back in a page
    /// with JavaScript disabled.
    pub async fn images(&self, selector: &str) -> Vec<ImageFacts> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let settled = self
                .js(
                    "const pending = [...document.images].find(img => !img.complete);\n\
                     if (pending) { pending.scrollIntoView({ block: 'center' }); return false; }\n\
                     window.scrollTo(0, 0);\n\
                     return true;",
                )
                .await;
            if settled.as_bool() == Some(true) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "images of {} still loading after {WAIT:?}",
                self.url().await
            );
            tokio::time::sleep(POLL).await;
        }
        let selector = serde_json::to_string(selector).expect("JSON string");
        let value = self
            .js(&format!(
                r#"return [...document.querySelectorAll({selector})].map(img => ({{
                    src: img.currentSrc || img.src,
                    alt: img.getAttribute('alt'),
                    complete: img.complete,
                    naturalWidth: img.naturalWidth,
                    naturalHeight: img.naturalHeight,
                    widthAttr: img.getAttribute('width'),
                    heightAttr: img.getAttribute('height'),
                    state: img.dataset.state || null,
                }}));"#
            ))
            .await;
        serde_json::from_value(value).expect("image facts")
    }

    /// Reads (and clears) the console messages logged since the last call.
    pub async fn console(&self) -> Vec<LogEntry> {
        let value = self
            .client
            .issue_cmd(GetLog("browser"))
            .await
            .expect("read the browser console log");
        value
            .as_array()
            .expect("a list of log entries")
            .iter()
            .map(|entry| LogEntry {
                level: entry["level"].as_str().unwrap_or_default().to_owned(),
                source: entry["source"].as_str().unwrap_or_default().to_owned(),
                message: entry["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Saves a screenshot of the whole page (not only the viewport) as
    /// `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({})).await;
        let size = &metrics["cssContentSize"];
        let width = size["width"].as_f64().unwrap_or(f64::from(DESKTOP.0));
        // Bounded, so that a runaway page cannot make a giant file.
        let height = size["height"]
            .as_f64()
            .unwrap_or(f64::from(DESKTOP.1))
            .min(8000.0);
        // In CSS pixels: a phone's 3x device pixels would make a 10 000-pixel-tall picture.
        let scale = 1.0
            / self
                .js("return window.devicePixelRatio")
                .await
                .as_f64()
                .unwrap_or(1.0);
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": scale }
                }),
            )
            .await;
        let png = shot["data"].as_str().expect("screenshot data");
        let bytes = base64_decode(png);
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("create target/screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Makes pages see `prefers-color-scheme: dark` (or light), as a system setting would.
    pub async fn prefer_color_scheme(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": value }] }),
        )
        .await;
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
    }
}

/// `target/screenshots/` (next to `target/tmp/`, wherever the target directory is).
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp has a parent")
        .join("screenshots")
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("valid base64 screenshot")
}

/// What the browser made of one `<img>`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageFacts {
    /// The URL it loaded.
    pub src: String,
    /// Its alt text.
    pub alt: Option<String>,
    /// Whether loading finished.
    pub complete: bool,
    /// Decoded width (0 for a broken image).
    pub natural_width: u32,
    /// Decoded height.
    pub natural_height: u32,
    /// The `width` attribute.
    pub width_attr: Option<String>,
    /// The `height` attribute.
    pub height_attr: Option<String>,
    /// The gallery's `data-state` (`ready`, `none`, `failed`, `late`).
    pub state: Option<String>,
}

impl ImageFacts {
    /// Whether the image really decoded.
    pub fn decoded(&self) -> bool {
        self.complete && self.natural_width > 0 && self.natural_height > 0
    }
}

/// chromedriver's console log endpoint (not in the W3C standard, so not in fantoccini).
#[derive(Debug)]
struct GetLog(&'static str);

impl WebDriverCompatibleCommand for GetLog {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        (Method::POST, Some(json!({ "type": self.0 }).to_string()))
    }
}

/// chromedriver's pass-through to the DevTools protocol.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        (
            Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}
